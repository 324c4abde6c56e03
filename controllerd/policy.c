/*
 * DVFS policies (see policy.h). The table is the controller's half of the
 * contract in docs/agent-protocol.md: a parameter the agent would not
 * understand is refused here, at the request, not discovered on a node.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

/*
 * Policies and their parameters. Columns: policy, parameter, lowest and
 * highest value, default (NAN: required; no row: takes none). A policy
 * with no parameters has one row with a NULL parameter.
 */
static const struct param_row {
	const char *policy;
	const char *param;
	double min, max, def;
} params_table[] = {
    {"performance", NULL, 0, 0, 0},
    {"powersave", NULL, 0, 0, 0},
    {"power_cap", "cap_w", 100, 1e6, NAN},
    {"thermal", "target_c", 30, 110, 80},
    {"energy", "slowdown_pct", 0, 100, 5},
    {"curtail", "fraction", 0.05, 1, NAN},
};

#define NROWS (sizeof(params_table) / sizeof(params_table[0]))

static const char *const scope_names[] = {"fleet", "pod", "node"};

int
policy_known(const char *name)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (strcmp(params_table[i].policy, name) == 0)
			return 1;
	return 0;
}

json_t *
policy_check(const char *name, json_t *params, char *err, size_t errlen)
{
	const char *key;
	json_t *out, *v;
	size_t i;

	if (!policy_known(name)) {
		snprintf(err, errlen,
		    "unknown policy '%s' (performance, "
		    "powersave, power_cap, thermal, energy, curtail)",
		    name);
		return NULL;
	}
	if (params != NULL && !json_is_object(params)) {
		snprintf(err, errlen, "params must be an object");
		return NULL;
	}
	json_object_foreach(params, key, v)
	{
		for (i = 0; i < NROWS; i++)
			if (strcmp(params_table[i].policy, name) == 0 &&
			    params_table[i].param != NULL &&
			    strcmp(params_table[i].param, key) == 0)
				break;
		if (i == NROWS) {
			snprintf(err, errlen,
			    "policy %s takes no parameter "
			    "'%s'",
			    name, key);
			return NULL;
		}
		if (!json_is_number(v) ||
		    json_number_value(v) < params_table[i].min ||
		    json_number_value(v) > params_table[i].max) {
			snprintf(err, errlen, "%s must be a number in %g..%g",
			    key, params_table[i].min, params_table[i].max);
			return NULL;
		}
	}
	if ((out = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < NROWS; i++) {
		const struct param_row *r = &params_table[i];

		if (strcmp(r->policy, name) != 0 || r->param == NULL)
			continue;
		v = params ? json_object_get(params, r->param) : NULL;
		if (v == NULL && isnan(r->def)) {
			snprintf(
			    err, errlen, "policy %s needs %s", name, r->param);
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, r->param,
		    json_real(v ? json_number_value(v) : r->def));
	}
	return out;
}

const char *
policy_scope_name(enum policy_scope s)
{
	return scope_names[s];
}

int
policy_scope_parse(const char *name)
{
	int s;

	for (s = 0; s < 3; s++)
		if (strcmp(scope_names[s], name) == 0)
			return s;
	return -1;
}

void
policy_set(struct policy *p, const char *name, json_t *params)
{
	policy_clear(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->params = params ? json_incref(params) : json_object();
}

void
policy_clear(struct policy *p)
{
	json_decref(p->params);
	p->params = NULL;
	p->name[0] = '\0';
}

json_t *
policy_json(const struct policy *p)
{
	if (p->name[0] == '\0')
		return json_null();
	return json_pack("{s:s,s:o}", "name", p->name, "params",
	    p->params ? json_incref(p->params) : json_object());
}
