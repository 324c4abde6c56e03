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

#include <pod/wire.h>

/* Fills r from a parsed report. Returns 0, or -1 with the offending member
 * named in err (r is then empty). Caller frees with wire_report_free(). */
int wire_report_decode(
    json_t *root, struct report *r, char *err, size_t errlen);
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

#endif
