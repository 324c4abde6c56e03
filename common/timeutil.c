/*
 * Time (see timeutil.h). The RFC 3339 parser is written out by hand rather
 * than with strptime(), whose %z and fractions differ between C libraries
 * and which accepts out-of-range fields that timegm() then silently
 * normalises; the date arithmetic is the proleptic Gregorian calendar's, so
 * the result does not depend on the process's time zone.
 */
#include <time.h>

#include "timeutil.h"

static int64_t
read_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
time_mono_ms(void)
{
	return read_ms(CLOCK_MONOTONIC);
}

int64_t
time_wall_ms(void)
{
	return read_ms(CLOCK_REALTIME);
}

/* Reads exactly n decimal digits at *p into *out and advances *p. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

/* Consumes character c, or one of c and its lower case d, at *p. */
static int
expect(const char **p, char c, char d)
{
	if (**p != c && **p != d)
		return -1;
	(*p)++;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
time_parse_rfc3339(const char *s, int64_t *ms)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *p = s;
	int year, mon, day, hour, min, sec, frac = 0, scale = 100;
	int off_h = 0, off_m = 0, sign = 0;
	int64_t t;

	if (s == NULL || digits(&p, 4, &year) == -1 ||
	    expect(&p, '-', '-') == -1 || digits(&p, 2, &mon) == -1 ||
	    expect(&p, '-', '-') == -1 || digits(&p, 2, &day) == -1 ||
	    expect(&p, 'T', 't') == -1 || digits(&p, 2, &hour) == -1 ||
	    expect(&p, ':', ':') == -1 || digits(&p, 2, &min) == -1 ||
	    expect(&p, ':', ':') == -1 || digits(&p, 2, &sec) == -1)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &off_h) == -1 || expect(&p, ':', ':') == -1 ||
		    digits(&p, 2, &off_m) == -1 || off_h > 23 || off_m > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	if (mon < 1 || mon > 12 || day < 1 ||
	    day > mdays[mon - 1] + (mon == 2 && leap(year)) || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;
	t = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 +
	    sec - sign * (off_h * 3600 + off_m * 60);
	*ms = t * 1000 + frac;
	return 0;
}
