/*
 * Fuzzes the agent's report as the controller reads it (api_agents.c):
 * the body parsed by jsonx_parse() and decoded by wire_report_decode()
 * (common/wire.c). A report that decodes is encoded again as an agent
 * would send it, and that must decode too. And the fast path
 * (wire_report_scan(), common/wire_scan.c) on the same bytes: what it
 * takes, the Jansson way must take and decode to the very same struct.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jsonx.h"
#include "wire.h"

/* 1 when a and b hold the same, to the bit (both from memset structs). */
static int
same(const struct report *a, const struct report *b)
{
	struct report x = *a, y = *b;

	x.samples = y.samples = NULL;
	x.jobs = y.jobs = NULL;
	return memcmp(&x, &y, sizeof(x)) == 0 &&
	       (a->nsamples == 0 ||
	           memcmp(a->samples, b->samples,
	               (size_t)a->nsamples * sizeof(*a->samples)) == 0) &&
	       (a->njobs <= 0 || memcmp(a->jobs, b->jobs,
	                             (size_t)a->njobs * sizeof(*a->jobs)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report r, again, fast;
	char err[256];
	json_t *root, *enc;
	int took;

	took = wire_report_scan((const char *)data, size, &fast);
	root = jsonx_parse((const char *)data, size, err, sizeof(err));
	if (took) {
		if (root == NULL ||
		    wire_report_decode(root, &r, err, sizeof(err)) == -1) {
			fprintf(stderr, "the scanner took what the Jansson way "
			                "refuses\n");
			abort();
		}
		if (!same(&fast, &r)) {
			fprintf(stderr, "the scanner decoded otherwise\n");
			abort();
		}
		wire_report_free(&r);
		wire_report_free(&fast);
	}
	if (root == NULL)
		return 0;
	if (wire_report_decode(root, &r, err, sizeof(err)) == 0) {
		if ((enc = wire_report_encode(&r)) == NULL)
			abort();
		if (wire_report_decode(enc, &again, err, sizeof(err)) == -1) {
			fprintf(
			    stderr, "a decoded report re-encoded: %s\n", err);
			abort();
		}
		wire_report_free(&again);
		json_decref(enc);
		wire_report_free(&r);
	}
	json_decref(root);
	return 0;
}
