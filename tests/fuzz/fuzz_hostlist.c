/*
 * Fuzzes host list expressions (common/hostlist.c) as podctl takes them
 * from an operator: expand with a limit, then compact the names and
 * expand that again, which must give the same names.
 */
#include "fuzz.h"
#include "hostlist.h"

#define MAX_NAMES 4096 /* podctl allows 65536; fewer keeps it fast */

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostlist hl = {0}, again = {0};
	char err[256], *expr = fuzz_cstr(data, size);
	static char buf[1 << 20];
	int i, same;

	if (hostlist_expand(expr, MAX_NAMES, &hl, err, sizeof(err)) == 0) {
		if (hostlist_compact((const char *const *)hl.names, hl.n, buf,
		        sizeof(buf)) == 0 &&
		    hl.n > 0) {
			err[0] = '\0';
			same = hostlist_expand(buf, MAX_NAMES, &again, err,
			           sizeof(err)) == 0 &&
			       again.n == hl.n;
			if (same) {
				qsort(hl.names, hl.n, sizeof(char *), cmp_name);
				qsort(again.names, again.n, sizeof(char *),
				    cmp_name);
				for (i = 0; i < hl.n && same; i++)
					same = strcmp(hl.names[i],
					           again.names[i]) == 0;
			}
			if (!same) {
				fprintf(stderr,
				    "'%s' compacts to '%s', which expands "
				    "to other names %s\n",
				    expr, buf, err);
				abort();
			}
			hostlist_free(&again);
		}
		hostlist_free(&hl);
	}
	free(expr);
	return 0;
}
