/*
 * selfstat_test: the controller's own counters (controllerd/selfstat.c) in
 * virtual time: windows that forget what is older than a minute, buckets
 * and percentiles as Prometheus' histogram_quantile() estimates them,
 * samples judged new, duplicate or lost by seq and dropped_samples, HTTP
 * status codes per series, and back-pressure doubling and easing.
 */
#include <math.h>
#include <string.h>

#include "check.h"
#include "selfstat.h"

#define T0 1000000 /* a monotonic start, ms */

static int
counter_window(void)
{
	struct selfstat_counter c;

	memset(&c, 0, sizeof(c));
	selfstat_count(&c, T0, 5);
	selfstat_count(&c, T0 + 500, 1);
	selfstat_count(&c, T0 + 30000, 10);
	CHECK(c.total == 16, "total %llu", (unsigned long long)c.total);
	CHECK(selfstat_recent(&c, T0 + 30000, 60) == 16);
	CHECK(selfstat_recent(&c, T0 + 30000, 5) == 10);
	/* a minute on, the first second is out of the window */
	CHECK(selfstat_recent(&c, T0 + 60000, 60) == 10, "%llu",
	    (unsigned long long)selfstat_recent(&c, T0 + 60000, 60));
	/* and a slot reused a minute later starts from zero */
	selfstat_count(&c, T0 + 60000, 2);
	CHECK(selfstat_recent(&c, T0 + 60000, 1) == 2);
	CHECK(c.total == 18);
	return 0;
}

static int
buckets_and_quantiles(void)
{
	static const double b[] = {0.001, 0.01, 0.1, 1};
	struct selfstat_whist w;
	double q;
	int i;

	memset(&w, 0, sizeof(w));
	selfstat_hist_init(&w.h, b, 4);
	CHECK(isnan(selfstat_quantile(&w, T0, 60, 0.5)), "empty: NaN");
	/* 90 fast (0.0005 s), 10 slow (0.05 s) */
	for (i = 0; i < 90; i++)
		selfstat_wobserve(&w, T0, 0.0005);
	for (i = 0; i < 10; i++)
		selfstat_wobserve(&w, T0 + 1000, 0.05);
	CHECK(w.h.count == 100 && w.h.bucket[0] == 90 && w.h.bucket[2] == 10);
	CHECK(fabs(w.h.sum - (90 * 0.0005 + 10 * 0.05)) < 1e-9);
	/* a value on a bound is in that bucket (le) */
	selfstat_observe(&w.h, 0.1);
	CHECK(w.h.bucket[2] == 11);
	/* p50: rank 50 of 90 in [0, 0.001] */
	q = selfstat_quantile(&w, T0 + 1000, 60, 0.5);
	CHECK(fabs(q - 0.001 * 50 / 90) < 1e-9, "p50 %g", q);
	/* p99: rank 99, the 9th of 10 in (0.01, 0.1] */
	q = selfstat_quantile(&w, T0 + 1000, 60, 0.99);
	CHECK(fabs(q - (0.01 + 0.09 * 9 / 10)) < 1e-9, "p99 %g", q);
	/* the last second alone holds only the slow ones */
	q = selfstat_quantile(&w, T0 + 1000, 1, 0.5);
	CHECK(q > 0.01 && q <= 0.1, "recent p50 %g", q);
	/* past the highest bound: that bound */
	selfstat_wobserve(&w, T0 + 2000, 7);
	CHECK(selfstat_quantile(&w, T0 + 2000, 1, 0.5) == 1);
	CHECK(w.h.bucket[4] == 1, "+Inf");
	/* a minute later the window is empty, the totals are not */
	CHECK(isnan(selfstat_quantile(&w, T0 + 63000, 60, 0.5)));
	CHECK(w.h.count == 102);
	return 0;
}

/* Rows of reports of node 0: boot, ack held, seqs, dropped_samples; what
 * it adds to received, duplicate, lost. */
static const struct {
	const char *what;
	int same_boot;
	int64_t ack;
	int64_t seqs[4];
	int nseqs;
	int64_t dropped;
	uint64_t received, dup, lost;
} reports[] = {
    {"first of a boot: no gap before it", 0, 0, {5, 6}, 2, 3, 2, 0, 0},
    {"in order", 1, 6, {7, 8}, 2, 3, 2, 0, 0},
    {"a retry", 1, 8, {7, 8}, 2, 3, 0, 2, 0},
    {"part retry, part new", 1, 8, {8, 9}, 2, 3, 1, 1, 0},
    {"a gap of 3", 1, 9, {13}, 1, 3, 1, 0, 3},
    {"dropped grew by 5", 1, 13, {14}, 1, 8, 1, 0, 5},
    {"gap and growth: one loss", 1, 14, {17}, 1, 10, 1, 0, 2},
    {"growth larger than the gap", 1, 17, {19}, 1, 14, 1, 0, 4},
    {"no samples, growth", 1, 19, {0}, 0, 15, 0, 0, 1},
    {"a new boot: baseline", 0, 19, {1}, 1, 40, 1, 0, 0},
    {"then its growth", 1, 1, {2}, 1, 41, 1, 0, 1},
};

static int
seq_accounting(void)
{
	struct selfstat *s = selfstat_new(2, T0);
	uint64_t r0, d0, l0;
	size_t i;

	REQUIRE(s != NULL);
	for (i = 0; i < NELEM(reports); i++) {
		r0 = s->samples_received.total;
		d0 = s->samples_duplicate.total;
		l0 = s->samples_lost.total;
		selfstat_report(s, T0, 0, reports[i].same_boot, reports[i].ack,
		    reports[i].seqs, reports[i].nseqs, reports[i].dropped);
		CHECK(s->samples_received.total - r0 == reports[i].received &&
		          s->samples_duplicate.total - d0 == reports[i].dup &&
		          s->samples_lost.total - l0 == reports[i].lost,
		    "%s: received %llu dup %llu lost %llu", reports[i].what,
		    (unsigned long long)(s->samples_received.total - r0),
		    (unsigned long long)(s->samples_duplicate.total - d0),
		    (unsigned long long)(s->samples_lost.total - l0));
	}
	/* another node's baseline is its own; an index out of range is
	 * counted without one */
	selfstat_report(s, T0, 1, 1, 0, NULL, 0, 7);
	selfstat_report(s, T0, 5, 1, 0, NULL, 0, 7);
	CHECK(s->node_dropped[1] == 7);
	selfstat_free(s);
	return 0;
fail:
	return -1;
}

static int
http_codes(void)
{
	struct selfstat *s = selfstat_new(0, T0);
	struct selfstat_http *h;
	int i;

	REQUIRE(s != NULL);
	selfstat_http_name(s, 3, "GET", "/api/v1", "/nodes/*");
	h = selfstat_http_slot(s, 3);
	REQUIRE(h != NULL && strcmp(h->route, "/api/v1/nodes/*") == 0);
	CHECK(selfstat_http_slot(s, SELFSTAT_HTTP_KEYS) == NULL);
	selfstat_http_code(h, T0, 200);
	selfstat_http_code(h, T0, 200);
	selfstat_http_code(h, T0, 404);
	CHECK(h->codes[0].code == 200 && h->codes[0].n == 2);
	CHECK(h->codes[1].code == 404 && h->codes[1].n == 1);
	/* more codes than slots: the rest under code 0 ("other") */
	for (i = 0; i < SELFSTAT_HTTP_CODES + 3; i++)
		selfstat_http_code(h, T0, 500 + i);
	CHECK(h->codes[SELFSTAT_HTTP_CODES - 1].code == 0);
	CHECK(h->codes[SELFSTAT_HTTP_CODES - 1].n == 6, "%llu",
	    (unsigned long long)h->codes[SELFSTAT_HTTP_CODES - 1].n);
	CHECK(s->http_total.total == 3 + SELFSTAT_HTTP_CODES + 3);
	selfstat_http_time(s, 3, T0, 0.002);
	CHECK(h->seconds.count == 1 && s->http_s.h.count == 1);
	selfstat_modbus(s, T0, 3, 0);
	selfstat_modbus(s, T0, 3, 1);
	selfstat_modbus(s, T0, 300, 1); /* masked, never out of range */
	CHECK(s->modbus[3][0] == 1 && s->modbus[3][1] == 1);
	CHECK(strcmp(selfstat_modbus_name(3), "read_holding_registers") == 0);
	CHECK(selfstat_modbus_name(99) == NULL);
	selfstat_free(s);
	return 0;
fail:
	selfstat_free(s);
	return -1;
}

/* One second of back-pressure at t (ms after T0): the queue at depth, and
 * the loop's lag that second. */
static int
second(struct selfstat *s, const struct selfstat_bp_conf *c, int64_t t,
    int depth, double lag_s)
{
	int i;

	s->store_queue = depth;
	for (i = 0; i < 10; i++)
		selfstat_wobserve(&s->loop_lag_s, T0 + t, lag_s);
	return selfstat_backpressure(s, T0 + t, c);
}

static int
backpressure(void)
{
	const struct selfstat_bp_conf c = {0.5, 200, 0.8, 8000, 0};
	struct selfstat *s = selfstat_new(0, T0);
	int64_t t = 0;
	int ask = 0, seen[8], n = 0, i;

	REQUIRE(s != NULL);
	s->store_queue_max = 100;
	CHECK(second(s, &c, t, 50, 0.001) == 0, "at the share: not behind");
	CHECK(s->behind[0] == '\0');
	/* the queue over half its cap: 2 s, doubled each time the last ask
	 * has been in force for its length, up to 8 s */
	for (t = 1000; t <= 30000; t += 1000) {
		ask = second(s, &c, t, 60, 0.001);
		if (n == 0 || seen[n - 1] != ask)
			seen[n++] = ask;
	}
	CHECK(n == 3 && seen[0] == 2000 && seen[1] == 4000 && seen[2] == 8000,
	    "steps %d: %d %d %d", n, seen[0], n > 1 ? seen[1] : -1,
	    n > 2 ? seen[2] : -1);
	CHECK(strstr(s->behind, "store queue") != NULL, "%s", s->behind);
	/* healthy: halves once healthy for as long as the ask, then none */
	n = 0;
	for (t = 31000; t <= 60000; t += 1000) {
		ask = second(s, &c, t, 0, 0.001);
		if (n == 0 || seen[n - 1] != ask)
			seen[n++] = ask;
	}
	CHECK(n == 4 && seen[0] == 8000 && seen[1] == 4000 && seen[2] == 2000 &&
	          seen[3] == 0,
	    "easing %d: %d %d %d %d", n, seen[0], seen[1], seen[2], seen[3]);
	/* right after easing from 4 s, agents may still be silent 4 s */
	CHECK(selfstat_silence_ms(s, T0 + t) <= 2000);
	/* a lagging loop: its p99 over the last 5 s */
	ask = second(s, &c, 61000, 0, 0.5);
	CHECK(ask == 2000 && strstr(s->behind, "loop lag") != NULL, "%d %s",
	    ask, s->behind);
	CHECK(selfstat_silence_ms(s, T0 + 61000) == 2000);
	/* the lag ages out of the 5 s window; healthy again, the ask goes */
	for (i = 0, t = 62000; i < 20; i++, t += 1000)
		ask = second(s, &c, t, 0, 0.001);
	CHECK(ask == 0 && s->behind[0] == '\0', "%d %s", ask, s->behind);
	/* the loop's thread busy 90 % of a core (0.9 s of CPU a second) */
	CHECK(isnan(selfstat_loop_share(s)));
	for (i = 0; i < 6; i++, t += 1000) {
		selfstat_loop_cpu(s, 0.9 * i, 100.0 + i);
		ask = second(s, &c, t, 0, 0.001);
	}
	CHECK(fabs(selfstat_loop_share(s) - 0.9) < 1e-9, "%g",
	    selfstat_loop_share(s));
	CHECK(ask >= 2000 && strstr(s->behind, "event loop busy 90 %") != NULL,
	    "%d %s", ask, s->behind);
	/* half a core: the window's mean falls under 80 %, not behind */
	for (; i < 12; i++, t += 1000) {
		selfstat_loop_cpu(s, 4.5 + 0.5 * (i - 5), 100.0 + i);
		ask = second(s, &c, t, 0, 0.001);
	}
	CHECK(fabs(selfstat_loop_share(s) - 0.5) < 1e-9, "%g",
	    selfstat_loop_share(s));
	CHECK(s->behind[0] == '\0', "%s", s->behind);
	selfstat_free(s);
	return 0;
fail:
	selfstat_free(s);
	return -1;
}

/* The fabric's size asks an interval whatever the load: behind, it
 * doubles from there; healthy again, it comes back to it, never under. */
static int
backpressure_floor(void)
{
	const struct selfstat_bp_conf c = {0.5, 200, 0.8, 16000, 5000};
	const struct selfstat_bp_conf big = {0.5, 200, 0.8, 8000, 64000};
	struct selfstat *s = selfstat_new(0, T0);
	int64_t t;
	int ask = 0, most = 0;

	REQUIRE(s != NULL);
	s->store_queue_max = 100;
	CHECK(second(s, &c, 0, 0, 0.001) == 5000, "not behind: the floor");
	CHECK(s->behind[0] == '\0' && selfstat_silence_ms(s, T0) == 5000);
	for (t = 1000; t <= 30000; t += 1000) {
		ask = second(s, &c, t, 60, 0.001);
		CHECK(ask >= 5000, "under the floor at %lld: %d", (long long)t,
		    ask);
		most = ask > most ? ask : most;
	}
	CHECK(most == 16000, "behind: doubled to the cap, got %d", most);
	for (t = 31000; t <= 90000; t += 1000) {
		ask = second(s, &c, t, 0, 0.001);
		CHECK(ask >= 5000, "under the floor at %lld: %d", (long long)t,
		    ask);
	}
	CHECK(ask == 5000, "healthy: back to the floor, got %d", ask);
	/* a floor over the longest interval is capped by it */
	CHECK(second(s, &big, 91000, 0, 0.001) == 8000);
	selfstat_free(s);
	return 0;
fail:
	selfstat_free(s);
	return -1;
}

static int
status_json(void)
{
	struct selfstat *s = selfstat_new(1, T0);
	json_t *o = NULL;

	REQUIRE(s != NULL);
	selfstat_count(&s->reports_accepted, T0 + 500, 30);
	selfstat_wobserve(&s->report_s, T0 + 500, 0.0004);
	o = selfstat_json(s, T0 + 9999);
	REQUIRE(o != NULL);
	/* 30 reports in the 10 s the controller has been up */
	CHECK(json_real_value(json_object_get(o, "reports_per_s")) == 3.0, "%g",
	    json_real_value(json_object_get(o, "reports_per_s")));
	CHECK(json_is_real(json_object_get(o, "report_p50_ms")));
	CHECK(json_is_null(json_object_get(o, "loop_lag_p99_ms")));
	CHECK(
	    json_integer_value(json_object_get(o, "report_interval_ms")) == 0);
	CHECK(json_is_null(json_object_get(o, "behind")));
	json_decref(o);
	selfstat_free(s);
	return 0;
fail:
	json_decref(o);
	selfstat_free(s);
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"counter_window", counter_window},
    {"buckets_and_quantiles", buckets_and_quantiles},
    {"seq_accounting", seq_accounting},
    {"http_codes", http_codes},
    {"backpressure", backpressure},
    {"backpressure_floor", backpressure_floor},
    {"status_json", status_json},
};

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("selfstat_test");
}
