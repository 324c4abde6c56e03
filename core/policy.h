/*
 * DVFS policies as the controller knows them: the names the agents
 * implement, the parameters each takes (one static table), and where a
 * node's policy comes from: the policy of a job running on it, else the
 * node's own, the pod's, the fleet's, else `performance`.
 */
#ifndef CORE_POLICY_H
#define CORE_POLICY_H

#include <stddef.h>

#define POLICY_NAME_MAX   32
#define POLICY_PARAMS_MAX 4 /* parameters of one policy */

enum policy_scope { POLICY_FLEET, POLICY_POD, POLICY_NODE };

struct policy_param {
	char name[POLICY_NAME_MAX];
	double value; /* in the parameter's unit (W, °C, %, fraction) */
};

/* A policy with its parameters in the table's order. Plain data: copy it
 * by assignment. */
struct policy {
	char name[POLICY_NAME_MAX]; /* "" when not set */
	int nparams;
	struct policy_param params[POLICY_PARAMS_MAX];
};

/* One parameter as a request gave it, before checking. */
struct policy_arg {
	const char *name; /* borrowed */
	double value;
	int is_number; /* 0: the request's value was not a number */
};

/* Checks a policy name and its parameters (args[0..nargs), in the
 * request's order) against the table; fills in defaults. Returns 0 with
 * the checked policy in *out, or -1 with the reason in err. */
int policy_check(const char *name, const struct policy_arg *args, int nargs,
    struct policy *out, char *err, size_t errlen);
/* 1 when name is a known policy. */
int policy_known(const char *name);
const char *policy_scope_name(enum policy_scope s);
int policy_scope_parse(const char *name);
/* Sets p to name with the parameters params[0..nparams) as they are
 * (loaded from the store, checked when they were set). */
void policy_set(struct policy *p, const char *name,
    const struct policy_param *params, int nparams);
/* Unsets p. */
void policy_clear(struct policy *p);

#endif
