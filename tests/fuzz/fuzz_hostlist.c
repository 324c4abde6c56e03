/*
 * Fuzzes host list expressions (common/hostlist.c) as podctl takes them
 * from an operator: expand with podctl's limit, then compact the names and
 * expand that again, which must give the same names.
 */
#include "fuzz.h"
#include "hostlist.h"

#define MAX_NAMES 65536 /* podctl's limit (cli/cmd_node.c) */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostlist hl = {0}, again = {0};
	char err[256], *expr = fuzz_cstr(data, size);
	static char buf[1 << 20];
	int i;

	if (hostlist_expand(expr, MAX_NAMES, &hl, err, sizeof(err)) == 0) {
		if (hostlist_compact((const char *const *)hl.names, hl.n, buf,
		        sizeof(buf)) == 0 &&
		    hl.n > 0) {
			if (hostlist_expand(buf, MAX_NAMES, &again, err,
			        sizeof(err)) == -1 ||
			    again.n != hl.n) {
				fprintf(stderr, "'%s' compacts to '%s': %s\n",
				    expr, buf, err);
				abort();
			}
			for (i = 0; i < hl.n; i++)
				if (strlen(hl.names[i]) > HOSTLIST_NAME_MAX)
					abort();
			hostlist_free(&again);
		}
		hostlist_free(&hl);
	}
	free(expr);
	return 0;
}
