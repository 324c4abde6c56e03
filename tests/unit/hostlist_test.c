/*
 * Host lists: compaction, and expansion with its refusals. Each group is a
 * static table of cases; the last line says how many passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
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

/*
 * Expansion. Per case: the expression; the most names allowed; the names
 * expected joined by spaces, or NULL when refused, with a fragment of the
 * message in err.
 */
static const struct {
	const char *expr;
	int max;
	const char *want;
	const char *err;
} expand_cases[] = {
    {"pod01-n001", 100, "pod01-n001", NULL},
    {"pod01-n[001-004,010]", 100,
        "pod01-n001 pod01-n002 pod01-n003 pod01-n004 pod01-n010", NULL},
    {"pod01-n[001-002],pod02-n007", 100, "pod01-n001 pod01-n002 pod02-n007",
        NULL},
    {"a,b,c", 100, "a b c", NULL},
    {"n[8-10]", 100, "n8 n9 n10", NULL},
    {"n[08-10]", 100, "n08 n09 n10", NULL},
    {"n[098-101]", 100, "n098 n099 n100 n101", NULL},
    {"n[7]", 100, "n7", NULL},
    {"pod[01-02]-n[001-002]", 100,
        "pod01-n001 pod01-n002 pod02-n001 pod02-n002", NULL},
    {"r[1-2]x", 100, "r1x r2x", NULL},
    {"[1-3]", 100, "1 2 3", NULL},
    {"n[3,1,2]", 100, "n3 n1 n2", NULL},
    {"n[1-3],n2,n[1-2]", 100, "n1 n2 n3", NULL},
    {"n[1-4]", 4, "n1 n2 n3 n4", NULL},
    {"n[1-5]", 4, NULL, "more than 4 names"},
    {"n[1-3],m[1-2]", 4, NULL, "more than 4 names"},
    {"n[1-999999999]", 100, NULL, "more than 100 names"},
    {"n[1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9][1-9]", 100, NULL,
        "more than"},
    {"", 100, NULL, "an empty name"},
    {"a,,b", 100, NULL, "an empty name"},
    {"a,", 100, NULL, "an empty name"},
    {",a", 100, NULL, "an empty name"},
    {"pod01-n[001-004", 100, NULL, "'[' without ']'"},
    {"pod01-n001]", 100, NULL, "']' without '['"},
    {"n[1-[2]]", 100, NULL, "'[' inside brackets"},
    {"n[]", 100, NULL, "'' in brackets is not a number"},
    {"n[1,]", 100, NULL, "'' in brackets is not a number"},
    {"n[,1]", 100, NULL, "in brackets is not a number"},
    {"n[a-b]", 100, NULL, "'a-b' in brackets is not a number"},
    {"n[1-]", 100, NULL, "'1-' in brackets is not a number"},
    {"n[-3]", 100, NULL, "'-3' in brackets is not a number"},
    {"n[1-2-3]", 100, NULL, "'1-2-3' in brackets"},
    {"n[1 -2]", 100, NULL, "in brackets is not a number"},
    {"n[1234567890]", 100, NULL, "in brackets is not a number"},
    {"n[5-3]", 100, NULL, "range '5-3' goes down"},
};

static void
join(const struct hostlist *hl, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < hl->n && len < size; i++)
		len += snprintf(
		    buf + len, size - len, "%s%s", i ? " " : "", hl->names[i]);
}

static void
test_expand(void)
{
	struct hostlist hl;
	char got[1024], err[256], big[400];
	size_t i;
	int r, ok;

	for (i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++) {
		err[0] = '\0';
		r = hostlist_expand(expand_cases[i].expr, expand_cases[i].max,
		    &hl, err, sizeof(err));
		join(&hl, got, sizeof(got));
		if (expand_cases[i].want != NULL)
			ok = r == 0 && strcmp(got, expand_cases[i].want) == 0;
		else
			ok = r == -1 && hl.n == 0 && hl.names == NULL &&
			     strstr(err, expand_cases[i].err) != NULL &&
			     strstr(err, "host list") != NULL;
		CHECK(ok, "expand '%s': result %d, got '%s', err '%s'",
		    expand_cases[i].expr, r, got, err);
		hostlist_free(&hl);
	}

	/* A name longer than HOSTLIST_NAME_MAX is refused. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(hostlist_expand(big, 10, &hl, err, sizeof(err)) == -1 &&
	          strstr(err, "longer than 255") != NULL,
	    "long name: %s", err);
	hostlist_free(&hl);

	/* A whole pod, and back: expansion and compaction agree. */
	CHECK(hostlist_expand(
	          "pod01-n[001-128]", 1000, &hl, err, sizeof(err)) == 0 &&
	          hl.n == 128 &&
	          hostlist_compact((const char *const *)hl.names, hl.n, got,
	              sizeof(got)) == 0 &&
	          strcmp(got, "pod01-n[001-128]") == 0,
	    "round trip: '%s' %s", got, err);
	hostlist_free(&hl);
}

int
main(void)
{
	size_t i;
	char buf[256], small[12];

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = hostlist_compact(
		    cases[i].names, cases[i].n, buf, sizeof(buf));

		CHECK(rc == 0 && strcmp(buf, cases[i].want) == 0,
		    "case %zu: got '%s' want '%s'", i, buf, cases[i].want);
	}
	/* too small a buffer: -1, still terminated */
	CHECK(hostlist_compact(cases[1].names, 4, small, sizeof(small)) == -1 &&
	          strlen(small) < sizeof(small),
	    "small buffer");
	test_expand();
	return check_summary("hostlist_test");
}
