/*
 * DVFS policies in JSON: the shell around the pure policy table
 * (core/policy.h). A request's "params" object becomes policy_arg for the
 * check, and a policy becomes the JSON that the API, the store and the
 * agents' desired state carry.
 */
#ifndef CTL_POLICYJSON_H
#define CTL_POLICYJSON_H

#include <jansson.h>
#include <stddef.h>

#include "policy.h"

/* Checks name and params (an object of numbers, or NULL) as
 * policy_check() does. Returns 0 with the checked policy in *out, or -1
 * with the reason in err. */
int policyjson_check(const char *name, json_t *params, struct policy *out,
    char *err, size_t errlen);
/* Sets p to name and the number members of params (an object, borrowed),
 * as loaded from the store. */
void policyjson_load(struct policy *p, const char *name, json_t *params);
/* The parameters of p as an object of numbers. New reference. */
json_t *policyjson_params(const struct policy *p);
/* {"name":…,"params":{…}}, or null when p is unset. New reference. */
json_t *policyjson(const struct policy *p);

#endif
