/*
 * Job array specifications (core/arrayspec.c): sbatch's texts into sorted
 * task ids and a %N limit, refusals that say where the text is wrong, the
 * size cap checked before anything is expanded, and ids back into text for
 * listings.
 */
#include <string.h>

#include "arrayspec.h"
#include "check.h"

#define CAP 10001

/* want: the ids as arrayspec_format() writes them ("" for a refusal);
 * error: a substring of the refusal. */
static const struct {
	const char *text;
	int cap;
	int n;
	const char *want;
	int max_running;
	const char *error;
} cases[] = {
    {"0-999%50", CAP, 1000, "0-999%50", 50, NULL},
    {"1,3,5-7", CAP, 5, "1,3,5-7", 0, NULL},
    {"0-15:4", CAP, 4, "0,4,8,12", 0, NULL},
    {"7", CAP, 1, "7", 0, NULL},
    {"5-7,1,6", CAP, 4, "1,5-7", 0, NULL}, /* sorted, once each */
    {"0-10:5%1", CAP, 3, "0,5,10%1", 1, NULL},
    {"0-10000", CAP, 10001, "0-10000", 0, NULL}, /* at the cap */
    {"0-10001", CAP, 0, "", 0, "more than 10001 tasks"},
    {"0-99,0-99", 150, 0, "", 0, "more than 150 tasks"},
    {"0-999999999", CAP, 0, "", 0, "more than 10001 tasks"},
    {"0-9x", CAP, 0, "", 0, "array '0-9x': unexpected 'x' at 4"},
    {"", CAP, 0, "", 0, "array '': empty"},
    {"1,", CAP, 0, "", 0, "a task id expected at 3"},
    {"-3", CAP, 0, "", 0, "unexpected '-' at 1"},
    {"5-3", CAP, 0, "", 0, "range ends before it starts at 1"},
    {"0-15:0", CAP, 0, "", 0, "step 0 at 6"},
    {"0-15:", CAP, 0, "", 0, "a step expected at 6"},
    {"0-9%0", CAP, 0, "", 0, "limit %0 at 5"},
    {"0-9%", CAP, 0, "", 0, "a limit expected at 5"},
    {"0-9%5%5", CAP, 0, "", 0, "unexpected '%' at 6"},
    {"1 ,2", CAP, 0, "", 0, "unexpected ' ' at 2"},
    {"1\x01", CAP, 0, "", 0, "unexpected byte 0x01 at 2"},
    {"1234567890", CAP, 0, "", 0, "number too large at 1"},
    {"3:2", CAP, 0, "", 0, "unexpected ':' at 2"},
};

static int
t_parse(void)
{
	char err[256], text[256];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		struct arrayspec a;
		int rc;

		err[0] = '\0';
		rc = arrayspec_parse(
		    cases[i].text, cases[i].cap, &a, err, sizeof(err));
		if (cases[i].error != NULL) {
			CHECK(rc == (strstr(cases[i].error, "more than") ? -2
			                                                 : -1),
			    "row %zu: got %d", i, rc);
			CHECK(strstr(err, cases[i].error) != NULL,
			    "row %zu: got '%s'", i, err);
			CHECK(a.ids == NULL && a.n == 0, "row %zu", i);
			continue;
		}
		if (!CHECK(rc == 0, "row %zu: %s", i, err))
			continue;
		CHECK(a.n == cases[i].n, "row %zu: %d ids", i, a.n);
		CHECK(a.max_running == cases[i].max_running, "row %zu", i);
		arrayspec_format(a.ids, a.n, a.max_running, text, sizeof(text));
		CHECK(strcmp(text, cases[i].want) == 0, "row %zu: got '%s'", i,
		    text);
		arrayspec_free(&a);
		CHECK(a.ids == NULL && a.n == 0, "row %zu", i);
	}
	return 0;
}

static int
t_too_long(void)
{
	char text[ARRAYSPEC_TEXT_MAX + 1], err[256];
	struct arrayspec a;
	size_t i;

	for (i = 0; i < sizeof(text) - 1; i++)
		text[i] = i % 2 ? ',' : '1';
	text[sizeof(text) - 1] = '\0';
	CHECK(arrayspec_parse(text, CAP, &a, err, sizeof(err)) == -1);
	CHECK(strstr(err, "longer than") != NULL, "%s", err);
	return 0;
}

/* Formatting: runs, singletons, the limit, and snprintf's contract when
 * the buffer is short. */
static int
t_format(void)
{
	static const int ids[] = {1, 2, 3, 5, 8, 9, 100};
	char buf[64], small[6];
	size_t need;

	need = arrayspec_format(ids, NELEM(ids), 0, buf, sizeof(buf));
	CHECK(strcmp(buf, "1-3,5,8-9,100") == 0, "%s", buf);
	CHECK(need == strlen("1-3,5,8-9,100"));
	need = arrayspec_format(ids, NELEM(ids), 4, small, sizeof(small));
	CHECK(need == strlen("1-3,5,8-9,100%4"), "%zu", need);
	CHECK(strcmp(small, "1-3,5") == 0, "%s", small);
	need = arrayspec_format(ids, 0, 0, buf, sizeof(buf));
	CHECK(need == 0 && buf[0] == '\0');
	CHECK(arrayspec_format(ids, NELEM(ids), 0, NULL, 0) == 13);
	return 0;
}

int
main(void)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} t[] = {
	    {"parse", t_parse},
	    {"too long", t_too_long},
	    {"format", t_format},
	};
	size_t i;

	for (i = 0; i < NELEM(t); i++)
		RUN_CASE(t[i].name, t[i].fn());
	return check_summary("arrayspec_test");
}
