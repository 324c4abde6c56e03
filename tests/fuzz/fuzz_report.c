/*
 * Fuzzes the agent's report as the controller reads it (api_agents.c):
 * the body parsed by jsonx_parse() and decoded by wire_report_decode()
 * (common/wire.c). A report that decodes is encoded again as an agent
 * would send it, and that must decode too.
 */
#include <jansson.h>

#include "fuzz.h"
#include "jsonx.h"
#include "wire.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct report r, again;
	char err[256];
	json_t *root, *enc;

	root = jsonx_parse((const char *)data, size, err, sizeof(err));
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
