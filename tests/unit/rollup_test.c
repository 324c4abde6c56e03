/*
 * Telemetry rollups: the arithmetic of controllerd/rollup.c (a summary's
 * mean, minimum and maximum, an hour summed up from its minutes weighted
 * by their samples, periods and partitions, the choice of resolution and
 * step for a history request), then the store's rollups on a temporary
 * SQLite file in virtual time: a minute computed only once closed, an hour
 * from its minutes, the marks of a period surviving a restart, a late
 * sample recomputing its minute and hour without counting any sample
 * twice, retention dropping the partitions of each resolution, and a
 * database of schema 10 with samples upgraded in place. The
 * samples are dated in 2100 so that the writer's own passes, which go by
 * the wall clock, never close a period before the test does.
 */
#include <sys/stat.h>

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tmpdir.h"
#include "config.h"
#include "fleet.h"
#include "log.h"
#include "pod/wire.h"
#include "rollup.h"
#include "schema.h"
#include "store.h"

#define T0_MS  4102444800000LL /* 2100-01-01T00:00:00Z */
#define MIN_MS 60000LL
#define DAY_MS 86400000LL

static char tmpdir[256];

static int
t_stat(void)
{
	struct rollup_stat a, m1, m2, h;
	static const double v1[] = {100, NAN, 200, 600};
	static const double v2[] = {1000};
	size_t i;

	rollup_stat_init(&a);
	CHECK(isnan(rollup_stat_mean(&a)) && isnan(a.min) && isnan(a.max));
	rollup_stat_add(&a, NAN);
	CHECK(a.n == 0, "a NaN is no value");
	rollup_stat_init(&m1);
	rollup_stat_init(&m2);
	for (i = 0; i < NELEM(v1); i++)
		rollup_stat_add(&m1, v1[i]);
	for (i = 0; i < NELEM(v2); i++)
		rollup_stat_add(&m2, v2[i]);
	CHECK(m1.n == 3 && rollup_stat_mean(&m1) == 300, "n %lld mean %g",
	    (long long)m1.n, rollup_stat_mean(&m1));
	CHECK(m1.min == 100 && m1.max == 600, "%g..%g", m1.min, m1.max);
	/* negative values: the minimum is not stuck at 0 */
	rollup_stat_init(&a);
	rollup_stat_add(&a, -5);
	rollup_stat_add(&a, -2);
	CHECK(a.min == -5 && a.max == -2, "%g..%g", a.min, a.max);
	/* the hour of the two minutes: the mean of the four samples, not the
	 * mean of the two means (650) */
	rollup_stat_init(&h);
	rollup_stat_add_summary(
	    &h, m1.n, rollup_stat_mean(&m1), m1.min, m1.max);
	rollup_stat_add_summary(
	    &h, m2.n, rollup_stat_mean(&m2), m2.min, m2.max);
	rollup_stat_add_summary(&h, 0, 5, 5, 5);
	rollup_stat_add_summary(&h, 7, NAN, NAN, NAN);
	CHECK(h.n == 4 && rollup_stat_mean(&h) == 475, "n %lld mean %g",
	    (long long)h.n, rollup_stat_mean(&h));
	CHECK(h.min == 100 && h.max == 1000, "%g..%g", h.min, h.max);
	return 0;
}

static int
t_periods(void)
{
	/* 2024-05-31T23:59:59.999Z */
	int64_t t = 1717199999999LL;

	CHECK(rollup_period_start(t, 60) == t - 59999);
	CHECK(rollup_period_start(t, 3600) == t - 3599999);
	CHECK(rollup_period_start(T0_MS, 60) == T0_MS);
	CHECK(rollup_day(t) == 20240531);
	CHECK(rollup_partition(t, ROLLUP_RAW) == 20240531);
	CHECK(rollup_partition(t, ROLLUP_1M) == 20240531);
	CHECK(rollup_partition(t, ROLLUP_1H) == 20240501, "%d",
	    rollup_partition(t, ROLLUP_1H));
	CHECK(rollup_partition(t + 1, ROLLUP_1H) == 20240601);
	CHECK(rollup_res_parse("1h") == ROLLUP_1H);
	CHECK(rollup_res_parse("raw") == ROLLUP_RAW);
	CHECK(rollup_res_parse("1d") == -1 && rollup_res_parse("") == -1);
	CHECK(strcmp(rollup_res_name(ROLLUP_1M), "1m") == 0);
	return 0;
}

/* Requests and the plan that answers them. */
static const struct {
	int64_t range_s, age_s; /* to - from; now - to */
	int step_s, res;        /* asked; 0 and -1 not */
	int want_res, want_step_s;
	const char *err; /* a word of the error, or NULL */
} choices[] = {
    /* the dashboard's hour: raw, its own step */
    {3600, 0, 60, -1, ROLLUP_RAW, 60, NULL},
    {3600, 0, 5, -1, ROLLUP_RAW, 5, NULL},
    {3600, 0, 0, -1, ROLLUP_RAW, 60, NULL},
    /* a day: minutes; a default step that keeps 1,440 points */
    {86400, 0, 0, -1, ROLLUP_1M, 60, NULL},
    {86400, 0, 90, -1, ROLLUP_1M, 120, NULL},
    {7 * 86400, 0, 0, -1, ROLLUP_1M, 900, NULL},
    /* an hour's step over a day: hours */
    {86400, 0, 3600, -1, ROLLUP_1H, 3600, NULL},
    /* beyond a week, or older than raw and minutes are kept: hours */
    {8 * 86400, 0, 0, -1, ROLLUP_1H, 3600, NULL},
    {365LL * 86400, 0, 0, -1, ROLLUP_1H, 86400, NULL},
    {3600, 8 * 86400, 60, -1, ROLLUP_1M, 60, NULL},
    {3600, 40 * 86400, 60, -1, ROLLUP_1H, 3600, NULL},
    /* asked: honoured, the step rounded up to whole periods */
    {3600, 0, 60, ROLLUP_1H, ROLLUP_1H, 3600, NULL},
    {3600, 0, 1, ROLLUP_1M, ROLLUP_1M, 60, NULL},
    {30LL * 86400, 0, 3600, ROLLUP_RAW, ROLLUP_RAW, 3600, NULL},
    {32LL * 86400, 0, 3600, ROLLUP_RAW, 0, 0, "31 days"},
    {32LL * 86400, 0, 3600, ROLLUP_1M, 0, 0, "to:"},
    {999LL * 86400, 0, 86400, ROLLUP_1H, ROLLUP_1H, 86400, NULL},
    {1001LL * 86400, 0, 86400, -1, 0, 0, "1000 days"},
};

static int
t_choose(void)
{
	size_t i;

	for (i = 0; i < NELEM(choices); i++) {
		struct rollup_query q = {
		    .now_ms = T0_MS,
		    .to_ms = T0_MS - choices[i].age_s * 1000,
		    .step_s = choices[i].step_s,
		    .res = choices[i].res,
		    .raw_every_s = 10,
		    .retention_days = {7, 30, 400},
		};
		struct rollup_plan p;
		char err[160] = "";
		int rc;

		q.from_ms = q.to_ms - choices[i].range_s * 1000;
		rc = rollup_choose(&q, &p, err, sizeof(err));
		if (choices[i].err != NULL) {
			CHECK(rc == -1 && strstr(err, choices[i].err) != NULL,
			    "row %zu: %d '%s'", i, rc, err);
			continue;
		}
		if (!CHECK(rc == 0, "row %zu: %s", i, err))
			continue;
		CHECK(p.res == (enum rollup_res)choices[i].want_res &&
		          p.step_s == choices[i].want_step_s,
		    "row %zu: %s step %d", i, rollup_res_name(p.res), p.step_s);
		CHECK(p.stored_every_s == (p.res == ROLLUP_RAW     ? 10
		                              : p.res == ROLLUP_1M ? 60
		                                                   : 3600),
		    "row %zu", i);
	}
	return 0;
}

/* Queues one sample of node n at t_ms: node power_w, accelerator 0 at a
 * tenth of it and 50 °C + power_w / 100. */
static void
sample(struct store *s, const struct node *n, int64_t t_ms, double power_w)
{
	struct report_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.t_ms = t_ms;
	smp.power_w = power_w;
	smp.naccels = 2;
	smp.accels[0].power_w = power_w / 10;
	smp.accels[0].temp_c = 50 + power_w / 100;
	smp.accels[0].clock_mhz = 1980;
	smp.accels[0].util_pct = 50;
	smp.accels[1].power_w = NAN;
	smp.accels[1].temp_c = NAN;
	smp.accels[1].clock_mhz = NAN;
	smp.accels[1].util_pct = NAN;
	smp.supply_c = 30;
	smp.return_c = 40;
	smp.flow_lpm = 12;
	store_queue_sample(s, n, &smp);
}

/* The points of node n (accel -1) at resolution res over T0's first day,
 * in buckets of step_s. */
static json_t *
history(struct store *s, const struct node *n, int accel, int res, int step_s)
{
	struct store_history_q h = {
	    .node_id = n->id,
	    .accel = accel,
	    .res = res,
	    .from_ms = T0_MS,
	    .to_ms = T0_MS + DAY_MS - 1,
	    .step_s = step_s,
	    .max_points = 100,
	};

	return store_history(s, &h);
}

static double
num(json_t *a, size_t i, const char *key)
{
	json_t *v = json_object_get(json_array_get(a, i), key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Opens the store at the case's path with the default fleet loaded. */
static struct store *
open_store(struct fleet *f)
{
	char path[512];
	struct store *s;

	snprintf(path, sizeof(path), "%s/rollups/ctl.db", tmpdir);
	if ((s = store_open(path)) == NULL)
		return NULL;
	if (store_load_fleet(s, f) == -1) {
		store_close(s);
		return NULL;
	}
	return s;
}

static int
t_store(void)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	struct node *n;
	json_t *a = NULL;
	char err[256];
	int rc = -1;

	REQUIRE((c = config_load(NULL, err, sizeof(err))) != NULL, "%s", err);
	REQUIRE((f = fleet_new(c)) != NULL);
	REQUIRE((s = open_store(f)) != NULL);
	n = &f->nodes[0];
	/* minute 0: 100, 200, 600 W; minute 1: 1000 W */
	sample(s, n, T0_MS, 100);
	sample(s, n, T0_MS + 10000, 200);
	sample(s, n, T0_MS + 20000, 600);
	sample(s, n, T0_MS + MIN_MS + 5000, 1000);
	REQUIRE(store_flush_wait(s, f) == 0);

	/* minute 0 closes 20 s after its end, not before */
	CHECK(store_rollup_pass(s, T0_MS + MIN_MS + 19999) == 0);
	REQUIRE((a = history(s, n, -1, ROLLUP_1M, 60)) != NULL);
	CHECK(json_array_size(a) == 0, "%zu points", json_array_size(a));
	json_decref(a);
	CHECK(store_rollup_pass(s, T0_MS + MIN_MS + 20000) == 1);
	REQUIRE((a = history(s, n, -1, ROLLUP_1M, 60)) != NULL);
	REQUIRE(json_array_size(a) == 1, "%zu points", json_array_size(a));
	CHECK(num(a, 0, "power_w") == 300 && num(a, 0, "power_w_min") == 100 &&
	          num(a, 0, "power_w_max") == 600 && num(a, 0, "samples") == 3,
	    "%g %g %g %g", num(a, 0, "power_w"), num(a, 0, "power_w_min"),
	    num(a, 0, "power_w_max"), num(a, 0, "samples"));
	CHECK(num(a, 0, "inlet_c") == 30 && num(a, 0, "flow_lpm_max") == 12);
	json_decref(a);
	/* an accelerator's minute; one never read has no rows */
	REQUIRE((a = history(s, n, 0, ROLLUP_1M, 60)) != NULL);
	REQUIRE(json_array_size(a) == 1, "%zu points", json_array_size(a));
	CHECK(num(a, 0, "power_w") == 30 && num(a, 0, "temp_c_max") == 56 &&
	          num(a, 0, "temp_c_min") == 51 &&
	          num(a, 0, "clock_mhz") == 1980,
	    "%g %g %g", num(a, 0, "power_w"), num(a, 0, "temp_c_max"),
	    num(a, 0, "temp_c_min"));
	json_decref(a);
	REQUIRE((a = history(s, n, 1, ROLLUP_1M, 60)) != NULL);
	CHECK(json_array_size(a) == 0, "%zu points", json_array_size(a));
	json_decref(a);
	a = NULL;

	/* a restart with minute 1 pending: it is computed from the disk */
	store_close(s);
	REQUIRE((s = open_store(f)) != NULL);
	/* minute 1, then the hour (closed at 1 h 20 s) */
	CHECK(store_rollup_pass(s, T0_MS + 3600000 + 19999) == 1);
	CHECK(store_rollup_pass(s, T0_MS + 3600000 + 20000) == 1);
	REQUIRE((a = history(s, n, -1, ROLLUP_1H, 3600)) != NULL);
	REQUIRE(json_array_size(a) == 1, "%zu points", json_array_size(a));
	CHECK(num(a, 0, "power_w") == 475 && num(a, 0, "power_w_min") == 100 &&
	          num(a, 0, "power_w_max") == 1000 && num(a, 0, "samples") == 4,
	    "%g %g %g %g", num(a, 0, "power_w"), num(a, 0, "power_w_min"),
	    num(a, 0, "power_w_max"), num(a, 0, "samples"));
	json_decref(a);
	/* minutes in buckets of 2: weighted by their samples too */
	REQUIRE((a = history(s, n, -1, ROLLUP_1M, 120)) != NULL);
	CHECK(json_array_size(a) == 1 && num(a, 0, "power_w") == 475,
	    "%zu points", json_array_size(a));
	json_decref(a);
	/* nothing pending, nothing done */
	CHECK(store_rollup_pass(s, T0_MS + 2 * 3600000) == 0);

	/* a late sample in minute 0: the minute and the hour again, each
	 * sample once */
	sample(s, n, T0_MS + 30000, 1200);
	REQUIRE(store_flush_wait(s, f) == 0);
	CHECK(store_rollup_pass(s, T0_MS + 2 * 3600000) == 2);
	REQUIRE((a = history(s, n, -1, ROLLUP_1M, 60)) != NULL);
	REQUIRE(json_array_size(a) == 2, "%zu points", json_array_size(a));
	CHECK(num(a, 0, "power_w") == 525 && num(a, 0, "power_w_max") == 1200 &&
	          num(a, 0, "samples") == 4,
	    "%g %g %g", num(a, 0, "power_w"), num(a, 0, "power_w_max"),
	    num(a, 0, "samples"));
	json_decref(a);
	REQUIRE((a = history(s, n, -1, ROLLUP_1H, 3600)) != NULL);
	REQUIRE(json_array_size(a) == 1, "%zu points", json_array_size(a));
	CHECK(num(a, 0, "power_w") == 620 && num(a, 0, "samples") == 5, "%g %g",
	    num(a, 0, "power_w"), num(a, 0, "samples"));
	json_decref(a);
	a = NULL;

	/* retention: 40 days on, raw (7 days) and minutes (30) go, the
	 * hours' month stays (400); then a day of hours drops it */
	store_set_rollup_retention(s, 30, 400);
	CHECK(store_expire(s, T0_MS + 40 * DAY_MS, 7) == 1);
	REQUIRE((a = history(s, n, -1, ROLLUP_1M, 60)) != NULL);
	CHECK(json_array_size(a) == 0, "%zu points", json_array_size(a));
	json_decref(a);
	REQUIRE((a = history(s, n, -1, ROLLUP_1H, 3600)) != NULL);
	CHECK(json_array_size(a) == 1, "%zu points", json_array_size(a));
	json_decref(a);
	store_set_rollup_retention(s, 30, 1);
	CHECK(store_expire(s, T0_MS + 40 * DAY_MS, 7) == 0);
	REQUIRE((a = history(s, n, -1, ROLLUP_1H, 3600)) != NULL);
	CHECK(json_array_size(a) == 0, "%zu points", json_array_size(a));
	rc = 0;
fail:
	json_decref(a);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* A minute rolled up, its raw day dropped by retention, then a sample of
 * it arriving late (the raw day's table made again, with that sample
 * only): the minute keeps its rows rather than being recomputed from the
 * one sample. Dated ten days before the wall clock, which the writer's
 * retention goes by. */
static int
t_late_after_expiry(void)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	json_t *a = NULL;
	char path[512], err[256];
	int64_t now = (int64_t)time(NULL) * 1000;
	int64_t t1 = now - now % 3600000 - 10 * DAY_MS;
	struct store_history_q h = {
	    .accel = -1,
	    .res = ROLLUP_1M,
	    .from_ms = t1,
	    .to_ms = t1 + 3600000,
	    .step_s = 60,
	    .max_points = 10,
	};
	int rc = -1;

	snprintf(path, sizeof(path), "%s/late/ctl.db", tmpdir);
	REQUIRE((c = config_load(NULL, err, sizeof(err))) != NULL, "%s", err);
	REQUIRE((f = fleet_new(c)) != NULL);
	REQUIRE((s = store_open(path)) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	h.node_id = f->nodes[0].id;
	sample(s, &f->nodes[0], t1, 100);
	sample(s, &f->nodes[0], t1 + 10000, 200);
	sample(s, &f->nodes[0], t1 + 20000, 600);
	REQUIRE(store_flush_wait(s, f) == 0);
	/* (the writer's own pass, by the wall clock, may be first) */
	CHECK(store_rollup_pass(s, t1 + 2 * MIN_MS) >= 0);
	REQUIRE((a = store_history(s, &h)) != NULL);
	CHECK(json_array_size(a) == 1 && num(a, 0, "samples") == 3,
	    "%zu points", json_array_size(a));
	json_decref(a);
	a = NULL;
	/* raw kept 2 days: the day goes, the minutes stay (30) */
	CHECK(store_expire(s, now, 2) == 1);
	sample(s, &f->nodes[0], t1 + 30000, 1200);
	REQUIRE(store_flush_wait(s, f) == 0);
	CHECK(store_rollup_pass(s, t1 + 2 * 3600000) >= 0);
	REQUIRE((a = store_history(s, &h)) != NULL);
	CHECK(json_array_size(a) == 1 && num(a, 0, "power_w") == 300 &&
	          num(a, 0, "samples") == 3,
	    "%zu points, %g W, %g samples", json_array_size(a),
	    num(a, 0, "power_w"), num(a, 0, "samples"));
	rc = 0;
fail:
	json_decref(a);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* A database as a controller of schema 10 left it, with a day of raw
 * samples (of node id 1, the first the fleet's load inserts): it opens,
 * migrates to the newest schema, keeps its samples and rolls up the new
 * ones. */
static int
t_upgrade(void)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	sqlite3 *db = NULL;
	json_t *a = NULL;
	char path[512], err[256];
	int i, rc = -1;

	snprintf(path, sizeof(path), "%s/upgrade.db", tmpdir);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0;
	     i < schema_nmigrations && schema_migrations[i].version <= 10; i++)
		REQUIRE(sqlite3_exec(db, schema_migrations[i].sql, NULL, NULL,
		            NULL) == SQLITE_OK,
		    "%s", schema_migrations[i].file);
	REQUIRE(sqlite3_exec(db,
	            "PRAGMA user_version = 10;"
	            "CREATE TABLE samples_21000101 (node_id INTEGER NOT NULL,"
	            " t_ms INTEGER NOT NULL, power_w REAL, inlet_c REAL,"
	            " outlet_c REAL, flow_lpm REAL, hottest_c REAL);"
	            "INSERT INTO samples_21000101 VALUES (1, 4102444800000,"
	            " 4000, 30, 40, 9, 70);"
	            "INSERT INTO sample_partitions VALUES (21000101, 0);",
	            NULL, NULL, NULL) == SQLITE_OK,
	    "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	db = NULL;

	REQUIRE((c = config_load(NULL, err, sizeof(err))) != NULL, "%s", err);
	REQUIRE((f = fleet_new(c)) != NULL);
	REQUIRE((s = store_open(path)) != NULL);
	CHECK(store_schema_version(s) ==
	      schema_migrations[schema_nmigrations - 1].version);
	REQUIRE(store_load_fleet(s, f) == 0);
	REQUIRE(f->nodes[0].id == 1, "node id %lld", (long long)f->nodes[0].id);
	REQUIRE((a = history(s, &f->nodes[0], -1, ROLLUP_RAW, 60)) != NULL);
	CHECK(json_array_size(a) == 1 && num(a, 0, "power_w") == 4000,
	    "%zu points", json_array_size(a));
	json_decref(a);
	a = NULL;
	sample(s, &f->nodes[0], T0_MS + 10000, 2000);
	REQUIRE(store_flush_wait(s, f) == 0);
	CHECK(store_rollup_pass(s, T0_MS + 2 * MIN_MS) == 1);
	REQUIRE((a = history(s, &f->nodes[0], -1, ROLLUP_1M, 60)) != NULL);
	/* the old sample is in its minute too: a minute is what is stored */
	CHECK(json_array_size(a) == 1 && num(a, 0, "power_w") == 3000 &&
	          num(a, 0, "samples") == 2,
	    "%zu points, %g W", json_array_size(a), num(a, 0, "power_w"));
	rc = 0;
fail:
	json_decref(a);
	sqlite3_close(db);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"summaries: mean, min, max, weighted merge", t_stat},
    {"periods and partitions", t_periods},
    {"resolution and step of a request", t_choose},
    {"store: minutes, hours, restart, late sample, retention", t_store},
    {"a late sample after its raw day expired", t_late_after_expiry},
    {"a schema 10 database upgraded", t_upgrade},
};

int
main(void)
{
	size_t i;

	log_init("rollup_test", LOG_LVL_ERROR);
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "rollup") == -1)
		return 1;
	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	tmpdir_remove(tmpdir);
	return check_summary("rollup_test");
}
