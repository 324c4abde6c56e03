/* The RFC 3339 parser: the forms clients send, and what it refuses. */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "timeutil.h"

#define BAD INT64_MIN /* the case must be refused */

static const struct {
	const char *s;
	int64_t want_ms;
} cases[] = {
    /* what the API itself prints */
    {"1970-01-01T00:00:00Z", 0},
    {"2024-05-01T12:00:00Z", 1714564800000},
    /* JavaScript's toISOString(): milliseconds */
    {"2024-05-01T12:00:00.123Z", 1714564800123},
    {"2024-05-01T12:00:00.5Z", 1714564800500},
    {"2024-05-01T12:00:00.000Z", 1714564800000},
    /* finer than a millisecond: truncated */
    {"2024-05-01T12:00:00.123456789Z", 1714564800123},
    {"2024-05-01T12:00:00.9999Z", 1714564800999},
    /* offsets: the same instant */
    {"2024-05-01T14:00:00+02:00", 1714564800000},
    {"2024-05-01T06:30:00-05:30", 1714564800000},
    {"2024-05-01T12:00:00+00:00", 1714564800000},
    {"2024-05-01T12:00:00-00:00", 1714564800000},
    {"2024-05-01T20:00:00.250+08:00", 1714564800250},
    /* an offset that crosses midnight and a year */
    {"2023-12-31T23:30:00-01:00", 1704069000000},
    /* lower case t and z */
    {"2024-05-01t12:00:00z", 1714564800000},
    /* calendar edges */
    {"2024-02-29T00:00:00Z", 1709164800000},
    {"2000-02-29T00:00:00Z", 951782400000},
    {"2024-12-31T23:59:59Z", 1735689599000},
    {"1969-12-31T23:59:59Z", -1000},
    {"2016-12-31T23:59:60Z", 1483228800000},
    /* refused */
    {"", BAD},
    {"2024-05-01", BAD},
    {"2024-05-01T12:00:00", BAD},
    {"2024-05-01 12:00:00Z", BAD},
    {"2024-05-01T12:00Z", BAD},
    {"2024-5-01T12:00:00Z", BAD},
    {"24-05-01T12:00:00Z", BAD},
    {"2024-05-01T12:00:00.Z", BAD},
    {"2024-05-01T12:00:00,5Z", BAD},
    {"2024-05-01T12:00:00ZZ", BAD},
    {"2024-05-01T12:00:00Z ", BAD},
    {" 2024-05-01T12:00:00Z", BAD},
    {"2024-05-01T12:00:00+02", BAD},
    {"2024-05-01T12:00:00+0200", BAD},
    {"2024-05-01T12:00:00+2:00", BAD},
    {"2024-05-01T12:00:00+24:00", BAD},
    {"2024-05-01T12:00:00+02:60", BAD},
    {"2024-05-01T12:00:00 02:00", BAD},
    {"2024-13-01T12:00:00Z", BAD},
    {"2024-00-01T12:00:00Z", BAD},
    {"2024-04-31T12:00:00Z", BAD},
    {"2023-02-29T12:00:00Z", BAD},
    {"1900-02-29T12:00:00Z", BAD},
    {"2024-05-00T12:00:00Z", BAD},
    {"2024-05-01T24:00:00Z", BAD},
    {"2024-05-01T12:60:00Z", BAD},
    {"2024-05-01T12:00:61Z", BAD},
    {"2024-05-01T12:00:00UTC", BAD},
    {"1714564800000", BAD},
    {"now", BAD},
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = 42;
		int rc = time_parse_rfc3339(cases[i].s, &ms);

		CHECK(cases[i].want_ms == BAD
		          ? rc == -1 && ms == 42
		          : rc == 0 && ms == cases[i].want_ms,
		    "'%s': rc %d, %lld ms, want %s %lld", cases[i].s, rc,
		    (long long)ms, cases[i].want_ms == BAD ? "refusal" : "",
		    (long long)(cases[i].want_ms == BAD ? 0
		                                        : cases[i].want_ms));
	}
	CHECK(time_parse_rfc3339(NULL, &(int64_t){0}) == -1, "NULL accepted");
	return check_summary("timeutil_test");
}
