/*
 * The report wire format of docs/agent-protocol.md, both ways: the body an
 * agent POSTs to /api/v1/agents/{node}/report, and the reply it gets back.
 * Pure (no I/O, no clock), so the exact shape the controller sees can be
 * checked by a unit test from fixed samples.
 */
#ifndef AGENT_REPORT_H
#define AGENT_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <pod/plugin.h>
#include <pod/wire.h>

#include "ring.h"

#define REPORT_BATCH_MAX 120 /* samples per request, oldest first */

/* What a report says besides its samples. */
struct report_head {
	const char *boot_id;      /* 16 hex digits */
	int64_t interval_ms;      /* sampling interval, ms */
	int64_t desired_version;  /* latest desired state seen */
	uint64_t dropped_samples; /* overwritten before acknowledgement */
	json_t *inventory; /* report_inventory()'s, borrowed; NULL: left out */
	json_t *jobs;      /* the "jobs" array, borrowed; NULL: [] */
	json_t *power;     /* the "power" member, borrowed; NULL: left out */
};

/* The inventory object: plugin names (NULL: none) and the accelerators in
 * index order. Returns a new reference, NULL on no memory (logged). */
json_t *report_inventory(const char *power_plugin, const char *cooling_plugin,
    const struct pod_device *accels, int naccel);
/* Serializes a report of the n oldest samples of r (n <= ring_len()).
 * Returns NUL-terminated JSON text with its length in *len, or NULL on no
 * memory (logged). Caller frees with free(). */
char *report_build(
    const struct report_head *h, const struct ring *r, size_t n, size_t *len);
/* Parses a 200 reply body into the wire record (pod/wire.h) with the
 * codec. Returns 0, or -1 with the reason in err. On success the caller
 * releases `out` with wire_reply_free(). */
int report_parse_reply(
    const char *body, size_t len, struct reply *out, char *err, size_t errlen);
/* Writes "code: message" from an error body of the API's shape, else a
 * printable excerpt of the body, into out (always NUL-terminated). */
void report_error_text(const char *body, size_t len, char *out, size_t size);

#endif
