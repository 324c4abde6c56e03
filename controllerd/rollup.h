/*
 * Telemetry rollups, the arithmetic: a running summary (count, sum,
 * minimum, maximum) that takes samples or stored summaries, the periods
 * and partitions of each resolution, and the choice of resolution and step
 * for a history request. Pure: no I/O, no clock; store_samples.c feeds it
 * rows and writes what it sums up, api_power.c asks it which resolution
 * answers a range.
 */
#ifndef CTL_ROLLUP_H
#define CTL_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

/* The resolutions of stored telemetry, finest first. */
enum rollup_res {
	ROLLUP_RAW, /* the samples as stored (every store_interval_s) */
	ROLLUP_1M,  /* one row per node and accelerator per minute */
	ROLLUP_1H,  /* one row per node and accelerator per hour */
	ROLLUP_NRES
};

#define ROLLUP_1M_S 60   /* a 1m period, s */
#define ROLLUP_1H_S 3600 /* a 1h period, s */

/* Summary of one quantity over a period; n 0 means no value (mean NaN). */
struct rollup_stat {
	int64_t n;       /* values summed */
	double sum;      /* of the values, in their unit */
	double min, max; /* in their unit; NaN while n is 0 */
};

/* An empty summary. */
void rollup_stat_init(struct rollup_stat *s);
/* Adds one value; NaN (a value not read) is ignored. */
void rollup_stat_add(struct rollup_stat *s, double v);
/* Adds a stored summary of n values with that mean, minimum and maximum
 * (a finer period's row); a NaN mean or n <= 0 adds nothing. */
void rollup_stat_add_summary(
    struct rollup_stat *s, int64_t n, double mean, double min, double max);
/* The mean, NaN when no value was added. */
double rollup_stat_mean(const struct rollup_stat *s);

/* The start of the period of step_s seconds holding t_ms (t_ms >= 0). */
int64_t rollup_period_start(int64_t t_ms, int step_s);
/* The UTC day of t_ms as YYYYMMDD. */
int rollup_day(int64_t t_ms);
/* The partition (YYYYMMDD of its first day, UTC) holding t_ms for
 * resolution res: a day for raw samples and minutes, a month (its first
 * day) for hours. */
int rollup_partition(int64_t t_ms, enum rollup_res res);
/* "raw", "1m", "1h". */
const char *rollup_res_name(enum rollup_res res);
/* The resolution named s, or -1. */
int rollup_res_parse(const char *s);

/* A history request, as api_telemetry() parsed it. */
struct rollup_query {
	int64_t from_ms, to_ms; /* the range asked, from <= to */
	int64_t now_ms;         /* wall clock */
	int step_s;             /* asked, 0 when not given */
	int res;                /* asked (enum rollup_res), -1 to choose */
	int raw_every_s;        /* store_interval_s: raw samples' spacing */
	int retention_days[ROLLUP_NRES]; /* how long each is kept */
};

/* How a request is answered. */
struct rollup_plan {
	enum rollup_res res;
	int step_s;         /* buckets of the reply, s: a multiple of the
	                       resolution's period */
	int stored_every_s; /* the resolution's own spacing, s */
};

#define ROLLUP_RAW_MAX_S   (6 * 3600)       /* raw up to this range */
#define ROLLUP_1M_MAX_S    (7 * 86400)      /* 1m up to this range */
#define ROLLUP_MAX_RANGE_S (31LL * 86400)   /* raw or 1m at most */
#define ROLLUP_1H_MAX_S    (1000LL * 86400) /* 1h at most */

/*
 * Chooses the resolution and step that answer q: the one asked, or raw
 * for ranges up to 6 h, 1m up to 7 days (and steps under an hour), 1h
 * beyond, skipping a resolution whose retention no longer covers from. A
 * step not given is 60 s, or the smallest of 5 min, 15 min, 1 h, 3 h,
 * 6 h, 1 day that keeps the reply within 1,440 points; a step is rounded
 * up to a multiple of the resolution's period. 0, or -1 with err naming
 * the parameter at fault (a range too long for the resolution).
 */
int rollup_choose(const struct rollup_query *q, struct rollup_plan *out,
    char *err, size_t errlen);

#endif
