/* Host list compaction. */
#include <stdio.h>
#include <string.h>

#include "hostlist.h"

static const struct {
	const char *names[8];
	int n;
	const char *want;
} cases[] = {
    {{"pod01-n001"}, 1, "pod01-n001"},
    {{"pod01-n001", "pod01-n002", "pod01-n003", "pod01-n004"}, 4,
        "pod01-n[001-004]"},
    {{"pod01-n004", "pod01-n001", "pod01-n003", "pod01-n007"}, 4,
        "pod01-n[001,003-004,007]"},
    {{"pod02-n001", "pod01-n128", "pod02-n002"}, 3,
        "pod01-n128,pod02-n[001-002]"},
    {{"login", "pod01-n001", "pod01-n002"}, 3, "login,pod01-n[001-002]"},
    {{0}, 0, ""},
};

int
main(void)
{
	int pass = 0, fail = 0;
	size_t i;
	char buf[256], small[12];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = hostlist_compact(
		    cases[i].names, cases[i].n, buf, sizeof(buf));

		if (rc == 0 && strcmp(buf, cases[i].want) == 0) {
			pass++;
		} else {
			fail++;
			printf("FAIL case %zu: got '%s' want '%s'\n", i, buf,
			    cases[i].want);
		}
	}
	/* too small a buffer: -1, still terminated */
	if (hostlist_compact(cases[1].names, 4, small, sizeof(small)) == -1 &&
	    strlen(small) < sizeof(small))
		pass++;
	else
		fail++, printf("FAIL small buffer\n");
	printf("hostlist_test: %d passed, %d failed\n", pass, fail);
	return fail != 0;
}
