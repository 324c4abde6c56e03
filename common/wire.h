/*
 * The codec of the wire records (pod/wire.h): JSON text of
 * docs/agent-protocol.md to plain structs and back, one module for both
 * daemons, so what an agent sends and what the controller reads cannot
 * drift apart. The decoder checks every member for type and range.
 */
#ifndef COMMON_WIRE_H
#define COMMON_WIRE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <pod/wire.h>

/* Fills r from a parsed report. Returns 0, or -1 with the offending member
 * named in err (r is then empty). Caller frees with wire_report_free(). */
int wire_report_decode(
    json_t *root, struct report *r, char *err, size_t errlen);
/* The common report read straight from its text (len bytes), with no
 * JSON tree (wire_scan.c): 1 with r filled exactly as jsonx_parse() and
 * wire_report_decode() would fill it, or 0 when it declines (anything
 * outside the subset it reads, every error among it) and r is empty;
 * the caller then decodes the Jansson way, which says what is wrong.
 * Caller frees with wire_report_free(). */
int wire_report_scan(const char *text, size_t len, struct report *r);
/* Releases what wire_report_decode() allocated; r may be reused. */
void wire_report_free(struct report *r);
/* The JSON object of r, members as an agent sends them: numbers rounded to
 * what sensors tell, NaN as null, samples in r's order; "inventory" null
 * when r->ninventory < 0, "jobs" always an array (empty when r->njobs <=
 * 0), "power" only when r->has_power. Returns a new reference, or NULL on
 * no memory. */
json_t *wire_report_encode(const struct report *r);
/* The members of a report one by one, for an agent that assembles its
 * report from parts kept in different modules. Each returns a new
 * reference, or NULL on no memory. */
json_t *wire_inventory_json(const char *power_plugin,
    const char *cooling_plugin, const struct report_device *d, int n);
json_t *wire_sample_json(const struct report_sample *s);
json_t *wire_job_json(const struct report_job *j);
json_t *wire_power_json(const struct report_power *p);

/* ---- the desired state and the report's reply ---- */

/* Reads just "id" and "attempt" of a desired.jobs entry (or of a reply's
 * "kill" entry), so that even an otherwise malformed entry can be named.
 * Returns 0, or -1 with why in err. */
int wire_desired_job_key(
    json_t *entry, int64_t *id, int *attempt, char *err, size_t errlen);
/* Decodes one desired.jobs entry. Returns 0 (release out with
 * wire_desired_job_clear()), or -1 with why in out->error; then out holds
 * nothing to free, and id and attempt as far as they could be read
 * (out->key_ok). Accelerator indices are checked against the protocol's
 * limit only: the node's own count is the agent's to check. */
int wire_desired_job_decode(json_t *entry, struct desired_job *out);
/* Frees what s owns and zeroes it but its error; a zeroed one is fine. */
void wire_desired_job_clear(struct desired_job *s);
/* The entry's JSON, members in the protocol's order. New reference, or
 * NULL on no memory. */
json_t *wire_desired_job_json(const struct desired_job *s);
/* Decodes desired.power: types and ranges (a policy name is a string, the
 * parameters numbers, caps positive or null, fallback_after_s in
 * [0, 86400] or null: NaN). Whether the policy and its parameters make
 * sense is the agent's to check. Returns 0, or -1 with why in err. */
int wire_desired_power_decode(
    json_t *obj, struct desired_power *out, char *err, size_t errlen);
/* desired.power's JSON (caps NaN as null). New reference or NULL. */
json_t *wire_desired_power_json(const struct desired_power *p);
/* A hash of what wire_desired_power_json() would print: equal settings
 * hash alike, so that a change of settings can be seen without printing
 * them (the controller compares it for every node every second). */
uint64_t wire_desired_power_hash(const struct desired_power *p);
/* Decodes a desired state. Returns -1 with why in err only when the whole
 * is unusable (not an object, no version, a bad fence_timeout_s); a bad
 * "jobs" or "power" is kept in jobs_error / power_error, a bad job entry
 * in its own error. Caller frees with wire_desired_free(). */
int wire_desired_decode(
    json_t *root, struct desired *d, char *err, size_t errlen);
/* Releases what wire_desired_decode() allocated. */
void wire_desired_free(struct desired *d);
/* The desired state's JSON: version, jobs (njobs <= 0: []), power when
 * has_power, fence_timeout_s when set. New reference, or NULL. */
json_t *wire_desired_encode(const struct desired *d);
/* Decodes the 200 reply to a report. Returns 0 (release with
 * wire_reply_free()), or -1 with why in err. */
int wire_reply_decode(json_t *root, struct reply *r, char *err, size_t errlen);
void wire_reply_free(struct reply *r);
/* The reply's JSON: ack_seq, "kill" only when there is one,
 * report_interval_ms only when above 0, desired (null when !has_desired).
 * New reference, or NULL on no memory. */
json_t *wire_reply_encode(const struct reply *r);

#endif
