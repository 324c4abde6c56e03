/*
 * DVFS policies as the controller knows them: the names the agents
 * implement, the parameters each takes (one static table), and where a
 * node's policy comes from: the policy of a job running on it, else the
 * node's own, the pod's, the fleet's, else `performance`.
 */
#ifndef CTL_POLICY_H
#define CTL_POLICY_H

#include <jansson.h>
#include <stddef.h>

#define POLICY_NAME_MAX 32

enum policy_scope { POLICY_FLEET, POLICY_POD, POLICY_NODE };

struct policy {
	char name[POLICY_NAME_MAX]; /* "" when not set */
	json_t *params;             /* object of numbers, owned; NULL empty */
};

/* Checks a policy name and its parameters (an object of numbers, or NULL)
 * against the table; fills in defaults. Returns a new params object, or
 * NULL with the reason in err. */
json_t *policy_check(
    const char *name, json_t *params, char *err, size_t errlen);
/* 1 when name is a known policy. */
int policy_known(const char *name);
const char *policy_scope_name(enum policy_scope s);
int policy_scope_parse(const char *name);
/* Sets p to name/params (params borrowed, a reference is taken). */
void policy_set(struct policy *p, const char *name, json_t *params);
void policy_clear(struct policy *p);
/* {"name":…,"params":{…}}, or null when unset. New reference. */
json_t *policy_json(const struct policy *p);

#endif
