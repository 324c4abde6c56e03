/*
 * DVFS policies in JSON (see policyjson.h). The checks themselves are the
 * core's; only "params must be an object" is a JSON matter.
 */
#include <stdio.h>

#include "policyjson.h"

/* More members than any policy takes; the core names the first one it
 * does not know, and that is among these. */
#define ARGS_MAX 32

int
policyjson_check(const char *name, json_t *params, struct policy *out,
    char *err, size_t errlen)
{
	struct policy_arg args[ARGS_MAX];
	const char *key;
	json_t *v;
	int n = 0;

	if (params != NULL && !json_is_object(params)) {
		snprintf(err, errlen, "params must be an object");
		return -1;
	}
	json_object_foreach(params, key, v)
	{
		if (n == ARGS_MAX)
			break;
		args[n].name = key;
		args[n].is_number = json_is_number(v);
		args[n].value = json_is_number(v) ? json_number_value(v) : 0;
		n++;
	}
	return policy_check(name, args, n, out, err, errlen);
}

void
policyjson_load(struct policy *p, const char *name, json_t *params)
{
	struct policy_param v[POLICY_PARAMS_MAX];
	const char *key;
	json_t *x;
	int n = 0;

	json_object_foreach(params, key, x)
	{
		if (!json_is_number(x) || n == POLICY_PARAMS_MAX)
			continue;
		snprintf(v[n].name, sizeof(v[n].name), "%s", key);
		v[n].value = json_number_value(x);
		n++;
	}
	policy_set(p, name, v, n);
}

json_t *
policyjson_params(const struct policy *p)
{
	json_t *o = json_object();
	int i;

	for (i = 0; o != NULL && i < p->nparams; i++)
		json_object_set_new(
		    o, p->params[i].name, json_real(p->params[i].value));
	return o;
}

json_t *
policyjson(const struct policy *p)
{
	if (p->name[0] == '\0')
		return json_null();
	return json_pack(
	    "{s:s,s:o}", "name", p->name, "params", policyjson_params(p));
}
