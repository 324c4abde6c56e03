/*
 * Golden-file tests of the controller's configuration parser: each case is
 * data/config/NAME.conf in, and data/config/NAME.out holds the normalized
 * configuration (config_dump) or the error line it must produce. Run with
 * POD_UPDATE_GOLDEN=1 to rewrite the .out files, then review the diff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

static const char *const cases[] = {
    "minimal",     /* an empty [controller]: every default */
    "override",    /* fabric defaults and a [pod NAME] override */
    "quoted",      /* quoted values and comments */
    "unknown_key", /* refused with file:line */
    "unknown_section", "bad_number", "out_of_range", "bad_listen",
    "no_such_pod", "too_many_groups", "no_equals", "key_outside_section",
    "pod_without_name", "bad_policy", "scheduler",
    "time_limits",         /* no default time limit, a maximum */
    "time_limit_lowered",  /* a maximum below the default lowers it */
    "time_limit_over_max", /* a default over the maximum: refused */
};

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
main(void)
{
	int update = getenv("POD_UPDATE_GOLDEN") != NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char in[256], out[256], err[512], got[65536], *want;
		struct config *c;
		FILE *mem;

		snprintf(in, sizeof(in), "data/config/%s.conf", cases[i]);
		snprintf(out, sizeof(out), "data/config/%s.out", cases[i]);
		mem = fmemopen(got, sizeof(got), "w");
		if ((c = config_load(in, err, sizeof(err))) != NULL) {
			config_dump(c, mem);
			config_free(c);
		} else {
			fprintf(mem, "error: %s\n", err);
		}
		fclose(mem);
		if (update) {
			FILE *f = fopen(out, "w");

			fputs(got, f);
			fclose(f);
		}
		want = slurp(out);
		CHECK(want != NULL && strcmp(want, got) == 0,
		    "%s\n--- want\n%s--- got\n%s", cases[i],
		    want ? want : "(missing)\n", got);
		free(want);
	}
	return check_summary("config_test");
}
