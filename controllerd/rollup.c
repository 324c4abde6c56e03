/*
 * Telemetry rollups, the arithmetic (see rollup.h). A period's summary is
 * kept as count, sum, minimum and maximum rather than as a mean, so that
 * summaries merge exactly: an hour is its minutes' rows added up, each
 * weighted by the samples it holds, which is the mean of the hour's
 * samples, not the mean of means. The choice of resolution lives here,
 * away from the HTTP code, so that its rules are tested without a server.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rollup.h"

/* Each resolution: its name in the API and its period (raw: the
 * store_interval_s of the request). */
static const struct {
	const char *name;
	int period_s;
} resolutions[ROLLUP_NRES] = {
    [ROLLUP_RAW] = {"raw", 0},
    [ROLLUP_1M] = {"1m", ROLLUP_1M_S},
    [ROLLUP_1H] = {"1h", ROLLUP_1H_S},
};

/* Steps offered when none is asked, s, shortest first. */
static const int default_steps_s[] = {60, 300, 900, 3600, 10800, 21600, 86400};
#define DEFAULT_MAX_POINTS 1440 /* a step not asked keeps within this */

void
rollup_stat_init(struct rollup_stat *s)
{
	s->n = 0;
	s->sum = 0;
	s->min = s->max = NAN;
}

void
rollup_stat_add(struct rollup_stat *s, double v)
{
	if (isnan(v))
		return;
	if (s->n == 0 || v < s->min)
		s->min = v;
	if (s->n == 0 || v > s->max)
		s->max = v;
	s->sum += v;
	s->n++;
}

void
rollup_stat_add_summary(
    struct rollup_stat *s, int64_t n, double mean, double min, double max)
{
	if (n <= 0 || isnan(mean))
		return;
	/* a stored row always has its extremes; be safe if one is lost */
	if (isnan(min))
		min = mean;
	if (isnan(max))
		max = mean;
	if (s->n == 0 || min < s->min)
		s->min = min;
	if (s->n == 0 || max > s->max)
		s->max = max;
	s->sum += mean * (double)n;
	s->n += n;
}

double
rollup_stat_mean(const struct rollup_stat *s)
{
	return s->n > 0 ? s->sum / (double)s->n : NAN;
}

int64_t
rollup_period_start(int64_t t_ms, int step_s)
{
	int64_t p = (int64_t)step_s * 1000;

	return t_ms - t_ms % p;
}

int
rollup_day(int64_t t_ms)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int
rollup_partition(int64_t t_ms, enum rollup_res res)
{
	int day = rollup_day(t_ms);

	return res == ROLLUP_1H ? day - day % 100 + 1 : day;
}

const char *
rollup_res_name(enum rollup_res res)
{
	return res >= 0 && res < ROLLUP_NRES ? resolutions[res].name : "?";
}

int
rollup_res_parse(const char *s)
{
	int i;

	for (i = 0; i < ROLLUP_NRES; i++)
		if (strcmp(s, resolutions[i].name) == 0)
			return i;
	return -1;
}

/* Whether resolution res still holds data as old as q->from_ms. */
static int
covers(const struct rollup_query *q, enum rollup_res res)
{
	return q->from_ms >=
	       q->now_ms - (int64_t)q->retention_days[res] * 86400 * 1000;
}

/* The resolution to use when none is asked. */
static enum rollup_res
choose_res(const struct rollup_query *q, int64_t range_s, int step_s)
{
	if (range_s <= ROLLUP_RAW_MAX_S && covers(q, ROLLUP_RAW))
		return ROLLUP_RAW;
	if (range_s <= ROLLUP_1M_MAX_S && step_s < ROLLUP_1H_S &&
	    covers(q, ROLLUP_1M))
		return ROLLUP_1M;
	return ROLLUP_1H;
}

int
rollup_choose(const struct rollup_query *q, struct rollup_plan *out, char *err,
    size_t errlen)
{
	int64_t range_s = (q->to_ms - q->from_ms) / 1000;
	int step_s = q->step_s, period_s, i;
	enum rollup_res res;

	if (step_s <= 0) {
		step_s = default_steps_s[0];
		for (i = 0; i < (int)(sizeof(default_steps_s) /
		                      sizeof(default_steps_s[0]));
		     i++) {
			step_s = default_steps_s[i];
			if (range_s / step_s <= DEFAULT_MAX_POINTS)
				break;
		}
	}
	res = q->res >= 0 && q->res < ROLLUP_NRES
	          ? (enum rollup_res)q->res
	          : choose_res(q, range_s, step_s);
	if (range_s >
	    (res == ROLLUP_1H ? ROLLUP_1H_MAX_S : ROLLUP_MAX_RANGE_S)) {
		snprintf(err, errlen,
		    "to: at most %lld days after from at resolution %s",
		    (long long)(res == ROLLUP_1H ? ROLLUP_1H_MAX_S
		                                 : ROLLUP_MAX_RANGE_S) /
		        86400,
		    resolutions[res].name);
		return -1;
	}
	period_s =
	    res == ROLLUP_RAW ? q->raw_every_s : resolutions[res].period_s;
	if (period_s < 1)
		period_s = 1;
	/* raw buckets may be any step; rollup buckets hold whole periods */
	if (res != ROLLUP_RAW && step_s % period_s != 0)
		step_s += period_s - step_s % period_s;
	out->res = res;
	out->step_s = step_s;
	out->stored_every_s = period_s;
	return 0;
}
