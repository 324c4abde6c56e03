/*
 * Power and policy requests from the command line: the pure part of
 * "policy get|set" and "power cap|curtail". It turns what an operator types
 * into the bodies of PUT /api/v1/policy and PUT /api/v1/power, checking
 * every word before anything is sent, so that a typo is a usage error
 * naming the word rather than a 400 from the server, and so that the whole
 * translation is tested without a server. The server checks everything
 * again; only the policy names and their parameter names are repeated
 * here, from the REST contract, so that the message can list the right
 * ones. It also words the budgets "power get" shows, which under a
 * facility cap or a curtailment are the effective ones, not the
 * configured ones.
 */
#ifndef POD_POWREQ_H
#define POD_POWREQ_H

#include <jansson.h>
#include <stddef.h>

#define POWREQ_MIN_CAP_KW     1   /* smallest facility cap, kW, as the server */
#define POWREQ_MAX_CAP_KW     1e6 /* largest, kW (1 GW), as the server */
#define POWREQ_MAX_CURTAIL    100 /* curtailment, per cent */
#define POWREQ_MAX_NUMBER_LEN 32  /* longest number typed, characters */
#define POWREQ_INHERIT        "inherit" /* removes a pod or node override */

/* The policies of the REST contract, as "policy set" accepts them. */
#define POWREQ_POLICIES "performance powersave power_cap thermal energy curtail"

/*
 * Parses a plain decimal number: an optional "-", digits, and optionally a
 * "." followed by digits ("850", "850.5", "-3"). No spaces, "+", exponent,
 * hexadecimal, "inf" or "nan", and at most POWREQ_MAX_NUMBER_LEN
 * characters. Returns 0 with *out set, or -1.
 */
int powreq_parse_number(const char *s, double *out);

/*
 * The scope and target of a policy from the --pod and --node options
 * (either may be NULL): "fleet" with *target NULL, "pod" or "node" with
 * *target the name (borrowed). Returns 0, or -1 with one line in err when
 * both are given or a name is not valid.
 */
int powreq_scope(const char *pod, const char *node, const char **scope,
    const char **target, char *err, size_t errlen);

/*
 * Builds the body of PUT /api/v1/policy, {"scope", "target" (not for the
 * fleet), "name", "params": {KEY: number...}}, from --pod and --node
 * (either may be NULL) and the words NAME [KEY=VALUE...]. NAME is one of
 * POWREQ_POLICIES, or POWREQ_INHERIT for a pod or node, which takes no
 * parameters; each KEY must be one the policy knows, at most once, with a
 * number as powreq_parse_number() reads it. Returns the body, a new
 * reference the caller drops with json_decref(), or NULL with one line in
 * err.
 */
json_t *powreq_policy_body(const char *pod, const char *node,
    char *const *words, int nwords, char *err, size_t errlen);

/*
 * Builds the body of PUT /api/v1/power for "power cap": "none" gives
 * {"cap_w": null}; a number of kW from POWREQ_MIN_CAP_KW to
 * POWREQ_MAX_CAP_KW, decimals allowed, gives {"cap_w": W} in whole watts.
 * Returns a new reference, or NULL with one line in err.
 */
json_t *powreq_cap_body(const char *s, char *err, size_t errlen);

/*
 * Builds the body of PUT /api/v1/power for "power curtail":
 * {"curtail_pct": PCT} for a number from 0 (ends the curtailment) to
 * POWREQ_MAX_CURTAIL, decimals allowed. Returns a new reference, or NULL
 * with one line in err.
 */
json_t *powreq_curtail_body(const char *s, char *err, size_t errlen);

/*
 * Writes the parameters of a policy, {"cap_w": 5000, "fraction": 0.25}, as
 * "cap_w=5000 fraction=0.25" in key order ("" for none or not an object;
 * members that are not numbers are shown as they are in JSON). Returns
 * buf; a longer text is cut.
 */
const char *powreq_params_text(char *buf, size_t size, json_t *params);

/*
 * Writes a policy object {"name": …, "params": {…}} as "power_cap
 * cap_w=5000", or "-" when it is not an object with a name. Returns buf.
 */
const char *powreq_policy_text(char *buf, size_t size, json_t *policy);

/*
 * The words for what holds a budget of GET /api/v1/power (the fabric or
 * one pod, obj) below its configured budget, from its budget_capped_by:
 * "facility cap", "curtailment", any other value as it is, or "" when
 * nothing does (null or missing). Borrowed from obj or static.
 */
const char *powreq_capped_by_text(json_t *obj);

/*
 * Writes the budget of obj (the fabric or one pod of GET /api/v1/power) in
 * kW: "850.0 kW budget" when nothing holds it below the configured
 * budget, else "60.0 kW budget, capped by the facility cap (1700.0 kW
 * configured)"; "-" for a number the reply does not have. Returns buf.
 */
const char *powreq_budget_text(char *buf, size_t size, json_t *obj);

#endif
