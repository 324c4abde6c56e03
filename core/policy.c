/*
 * DVFS policies (see policy.h). The table is the controller's half of the
 * contract in docs/agent-protocol.md: a parameter the agent would not
 * understand is refused here, at the request, not discovered on a node.
 * Pure: the shell turns a request's JSON into policy_arg and a policy back
 * into JSON (controllerd/policyjson.c).
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

int
policy_check(const char *name, const struct policy_arg *args, int nargs,
    struct policy *out, char *err, size_t errlen)
{
	const struct policy_arg *v;
	size_t i;
	int k;

	memset(out, 0, sizeof(*out));
	if (!policy_known(name)) {
		snprintf(err, errlen,
		    "unknown policy '%s' (performance, "
		    "powersave, power_cap, thermal, energy, curtail)",
		    name);
		return -1;
	}
	for (k = 0; k < nargs; k++) {
		v = &args[k];
		for (i = 0; i < NROWS; i++)
			if (strcmp(params_table[i].policy, name) == 0 &&
			    params_table[i].param != NULL &&
			    strcmp(params_table[i].param, v->name) == 0)
				break;
		if (i == NROWS) {
			snprintf(err, errlen,
			    "policy %s takes no parameter "
			    "'%s'",
			    name, v->name);
			return -1;
		}
		if (!v->is_number || v->value < params_table[i].min ||
		    v->value > params_table[i].max) {
			snprintf(err, errlen, "%s must be a number in %g..%g",
			    v->name, params_table[i].min, params_table[i].max);
			return -1;
		}
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	for (i = 0; i < NROWS; i++) {
		const struct param_row *r = &params_table[i];
		struct policy_param *p;

		if (strcmp(r->policy, name) != 0 || r->param == NULL)
			continue;
		for (v = NULL, k = 0; k < nargs && v == NULL; k++)
			if (strcmp(args[k].name, r->param) == 0)
				v = &args[k];
		if (v == NULL && isnan(r->def)) {
			snprintf(
			    err, errlen, "policy %s needs %s", name, r->param);
			memset(out, 0, sizeof(*out));
			return -1;
		}
		if (out->nparams == POLICY_PARAMS_MAX)
			break; /* the table has fewer per policy */
		p = &out->params[out->nparams++];
		snprintf(p->name, sizeof(p->name), "%s", r->param);
		p->value = v ? v->value : r->def;
	}
	return 0;
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
policy_set(struct policy *p, const char *name,
    const struct policy_param *params, int nparams)
{
	int i;

	policy_clear(p);
	snprintf(p->name, sizeof(p->name), "%s", name);
	for (i = 0; i < nparams && i < POLICY_PARAMS_MAX; i++)
		p->params[p->nparams++] = params[i];
}

void
policy_clear(struct policy *p)
{
	memset(p, 0, sizeof(*p));
}
