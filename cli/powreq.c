/*
 * Power and policy requests: see powreq.h. Numbers are checked by hand
 * before strtod() reads them, because strtod() alone takes leading spaces,
 * "+", exponents, hexadecimal, "inf" and "nan", none of which a power cap
 * or a temperature should be. A number typed without a point goes to the
 * server as a JSON integer and one with a point as a real, so that
 * "cap_w=5000" is sent as 5000, as it was typed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "names.h"
#include "powreq.h"

#define MAX_PARAMS  4      /* parameters one policy knows */
#define MAX_INT_ABS 9.0e15 /* larger whole numbers are sent as reals */
#define KEY_MAX_LEN 64     /* longest parameter name, with its NUL */

/*
 * The policies of the REST contract. Per row: the name "policy set" takes,
 * and the parameters it knows by the server's names (unit in the name),
 * NULL-terminated.
 */
static const struct {
	const char *name;
	const char *params[MAX_PARAMS];
} policies[] = {
    {"performance", {NULL}},
    {"powersave", {NULL}},
    {"power_cap", {"cap_w", NULL}},
    {"thermal", {"target_c", NULL}},
    {"energy", {"slowdown_pct", NULL}},
    {"curtail", {"fraction", NULL}},
};

#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))

int
powreq_parse_number(const char *s, double *out)
{
	const char *p = s;
	char *end;
	size_t n;
	double v;

	if (strlen(s) > POWREQ_MAX_NUMBER_LEN)
		return -1;
	if (*p == '-')
		p++;
	if ((n = strspn(p, "0123456789")) == 0)
		return -1;
	p += n;
	if (*p == '.') {
		p++;
		if ((n = strspn(p, "0123456789")) == 0)
			return -1;
		p += n;
	}
	if (*p != '\0')
		return -1;
	v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* The number s (checked) as JSON: an integer when typed without a point. */
static json_t *
number_json(const char *s, double v)
{
	if (strchr(s, '.') == NULL && fabs(v) <= MAX_INT_ABS)
		return json_integer((json_int_t)v);
	return json_real(v);
}

int
powreq_scope(const char *pod, const char *node, const char **scope,
    const char **target, char *err, size_t errlen)
{
	if (pod != NULL && node != NULL) {
		snprintf(err, errlen, "give at most one of --pod and --node");
		return -1;
	}
	if (pod != NULL && !names_valid(pod)) {
		snprintf(err, errlen, "invalid pod name '%s'", pod);
		return -1;
	}
	if (node != NULL && !names_valid(node)) {
		snprintf(err, errlen, "invalid node name '%s'", node);
		return -1;
	}
	*scope = pod != NULL ? "pod" : node != NULL ? "node" : "fleet";
	*target = pod != NULL ? pod : node;
	return 0;
}

/* The row of policy `name`, or -1. */
static int
find_policy(const char *name)
{
	size_t i;

	for (i = 0; i < NPOLICIES; i++)
		if (strcmp(policies[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* 1 when policy row p knows parameter key. */
static int
knows_param(int p, const char *key)
{
	const char *const *k;

	for (k = policies[p].params; *k != NULL; k++)
		if (strcmp(*k, key) == 0)
			return 1;
	return 0;
}

/* Writes what policy row p takes: "cap_w", or "no parameters". */
static void
params_known(char *buf, size_t size, int p)
{
	const char *const *k;
	size_t len = 0;

	buf[0] = '\0';
	if (policies[p].params[0] == NULL) {
		snprintf(buf, size, "no parameters");
		return;
	}
	for (k = policies[p].params; *k != NULL && len < size; k++)
		len += snprintf(buf + len, size - len, "%s%s",
		    k == policies[p].params ? "only " : ", ", *k);
}

/* Adds the words KEY=VALUE to params for policy row p. Returns 0, or -1
 * with err filled. */
static int
add_params(json_t *params, int p, char *const *words, int nwords, char *err,
    size_t errlen)
{
	char key[KEY_MAX_LEN], known[128];
	const char *eq, *val;
	json_t *v;
	double d;
	int i;

	for (i = 0; i < nwords; i++) {
		eq = strchr(words[i], '=');
		if (eq == NULL || eq == words[i]) {
			snprintf(err, errlen,
			    "'%s' is not a parameter (KEY=VALUE)", words[i]);
			return -1;
		}
		snprintf(
		    key, sizeof(key), "%.*s", (int)(eq - words[i]), words[i]);
		val = eq + 1;
		if ((size_t)(eq - words[i]) >= sizeof(key) ||
		    !knows_param(p, key)) {
			params_known(known, sizeof(known), p);
			snprintf(err, errlen,
			    "policy %s has no parameter '%s' (it takes %s)",
			    policies[p].name, key, known);
			return -1;
		}
		if (json_object_get(params, key) != NULL) {
			snprintf(
			    err, errlen, "parameter '%s' given twice", key);
			return -1;
		}
		if (powreq_parse_number(val, &d) == -1) {
			snprintf(err, errlen,
			    "%s needs a number such as 5000 or 0.25, not '%s'",
			    key, val);
			return -1;
		}
		if ((v = number_json(val, d)) == NULL ||
		    json_object_set_new(params, key, v) == -1) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

json_t *
powreq_policy_body(const char *pod, const char *node, char *const *words,
    int nwords, char *err, size_t errlen)
{
	const char *scope, *target, *name;
	json_t *body, *params;
	int p = -1, inherit;

	if (powreq_scope(pod, node, &scope, &target, err, errlen) == -1)
		return NULL;
	if (nwords < 1) {
		snprintf(err, errlen, "missing the policy name (one of: %s %s)",
		    POWREQ_POLICIES, POWREQ_INHERIT);
		return NULL;
	}
	name = words[0];
	inherit = strcmp(name, POWREQ_INHERIT) == 0;
	if (!inherit && (p = find_policy(name)) == -1) {
		snprintf(err, errlen, "unknown policy '%s' (one of: %s %s)",
		    name, POWREQ_POLICIES, POWREQ_INHERIT);
		return NULL;
	}
	if (inherit && target == NULL) {
		snprintf(err, errlen,
		    "the fleet has no policy to inherit; '%s' removes the "
		    "override of a --pod or --node",
		    POWREQ_INHERIT);
		return NULL;
	}
	if (inherit && nwords > 1) {
		snprintf(err, errlen, "'%s' takes no parameters, not '%s'",
		    POWREQ_INHERIT, words[1]);
		return NULL;
	}

	if ((params = json_object()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!inherit &&
	    add_params(params, p, words + 1, nwords - 1, err, errlen) == -1) {
		json_decref(params);
		return NULL;
	}
	/* "s*" leaves the fleet's target out; "o" takes params even when
	 * json_pack() fails. */
	if ((body = json_pack("{s:s,s:s*,s:s,s:o}", "scope", scope, "target",
	         target, "name", name, "params", params)) == NULL)
		snprintf(err, errlen, "out of memory");
	return body;
}

json_t *
powreq_cap_body(const char *s, char *err, size_t errlen)
{
	json_t *body;
	double kw;

	if (strcmp(s, "none") == 0)
		body = json_pack("{s:n}", "cap_w");
	else if (powreq_parse_number(s, &kw) == -1) {
		snprintf(err, errlen,
		    "the cap is a number of kW such as 850 or 850.5, or "
		    "'none', not '%s'",
		    s);
		return NULL;
	} else if (kw < POWREQ_MIN_CAP_KW || kw > POWREQ_MAX_CAP_KW) {
		snprintf(err, errlen,
		    "the cap must be from %.0f to %.0f kW, not '%s' ('none' "
		    "removes it)",
		    (double)POWREQ_MIN_CAP_KW, POWREQ_MAX_CAP_KW, s);
		return NULL;
	} else
		body =
		    json_pack("{s:I}", "cap_w", (json_int_t)llround(kw * 1000));
	if (body == NULL)
		snprintf(err, errlen, "out of memory");
	return body;
}

json_t *
powreq_curtail_body(const char *s, char *err, size_t errlen)
{
	json_t *body, *v;
	double pct;

	if (powreq_parse_number(s, &pct) == -1 || pct < 0 ||
	    pct > POWREQ_MAX_CURTAIL) {
		snprintf(err, errlen,
		    "the curtailment is a percentage from 0 to %d (0 ends it), "
		    "not '%s'",
		    POWREQ_MAX_CURTAIL, s);
		return NULL;
	}
	/* "-0" is 0, sent as 0 rather than as -0; "o" takes v even when
	 * json_pack() fails. */
	if ((v = number_json(s, pct == 0 ? 0 : pct)) == NULL ||
	    (body = json_pack("{s:o}", "curtail_pct", v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return body;
}

static int
key_cmp(const void *pa, const void *pb)
{
	const char *const *a = pa, *const *b = pb;

	return strcmp(*a, *b);
}

/* Writes one parameter value: a number as typed, anything else as JSON. */
static void
value_text(char *buf, size_t size, json_t *v)
{
	char *s;

	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.10g", json_real_value(v));
	else if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) != NULL) {
		snprintf(buf, size, "%s", s);
		free(s);
	} else
		snprintf(buf, size, "?");
}

const char *
powreq_params_text(char *buf, size_t size, json_t *params)
{
	const char **keys = NULL;
	char val[64];
	const char *k;
	size_t i, n = 0, len = 0;
	json_t *v;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (!json_is_object(params) || json_object_size(params) == 0)
		return buf;
	if ((keys = calloc(json_object_size(params), sizeof(*keys))) == NULL)
		return buf;
	json_object_foreach(params, k, v)
	{
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n && len < size; i++) {
		value_text(val, sizeof(val), json_object_get(params, keys[i]));
		len += snprintf(buf + len, size - len, "%s%s=%s",
		    i > 0 ? " " : "", keys[i], val);
	}
	free(keys);
	return buf;
}

const char *
powreq_policy_text(char *buf, size_t size, json_t *policy)
{
	json_t *name = json_object_get(policy, "name");
	char params[256];

	if (!json_is_string(name)) {
		snprintf(buf, size, "%s", FMT_UNKNOWN);
		return buf;
	}
	powreq_params_text(
	    params, sizeof(params), json_object_get(policy, "params"));
	snprintf(buf, size, "%s%s%s", json_string_value(name),
	    params[0] != '\0' ? " " : "", params);
	return buf;
}

/*
 * What budget_capped_by says, in words. Per row: the value in the reply;
 * the words podctl shows.
 */
static const struct {
	const char *value;
	const char *words;
} capped_by[] = {
    {"facility_cap", "facility cap"},
    {"curtailment", "curtailment"},
};

const char *
powreq_capped_by_text(json_t *obj)
{
	json_t *v = json_object_get(obj, "budget_capped_by");
	size_t i;

	if (!json_is_string(v))
		return "";
	for (i = 0; i < sizeof(capped_by) / sizeof(capped_by[0]); i++)
		if (strcmp(json_string_value(v), capped_by[i].value) == 0)
			return capped_by[i].words;
	return json_string_value(v);
}

const char *
powreq_budget_text(char *buf, size_t size, json_t *obj)
{
	const char *by = powreq_capped_by_text(obj);
	char kw[32], conf[32];

	fmt_num(kw, sizeof(kw), obj, "budget_w", 1e-3, 1);
	if (by[0] == '\0')
		snprintf(buf, size, "%s kW budget", kw);
	else
		snprintf(buf, size,
		    "%s kW budget, capped by the %s (%s kW configured)", kw, by,
		    fmt_num(conf, sizeof(conf), obj, "configured_budget_w",
		        1e-3, 1));
	return buf;
}
