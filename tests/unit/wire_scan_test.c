/*
 * wire_scan_test: the report's fast path (common/wire_scan.c) against the
 * Jansson path (jsonx_parse + wire_report_decode). Whatever the scanner
 * takes, the Jansson path takes too and decodes to the very same struct;
 * what it must take (every report an agent writes) it takes.
 *
 *	agents' reports	random reports (samples with unread values, loops or
 *			none, jobs running and ended, power), encoded as an
 *			agent encodes them: taken, and equal
 *	texts		a table of reports written by hand: taken or
 *			declined as the table says, and equal when taken
 *	mutations	every agent's report above, bytes changed, dropped
 *			or repeated at random: whatever is taken is equal
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonx.h"
#include "wire.h"

#define NREPORTS   200 /* random reports */
#define NMUTATIONS 300 /* mutations of each */

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t
next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, n). */
static int
below(int n)
{
	return (int)(next() % (uint64_t)n);
}

/* A reading, or NaN one time in eight. */
static double
reading(double lo, double hi)
{
	if (below(8) == 0)
		return NAN;
	return lo + (hi - lo) * (double)(next() >> 11) * 0x1.0p-53;
}

static void
random_report(struct report *r)
{
	static const char *const causes[] = {
	    "exit", "cancelled", "timeout", "launch_error", "fenced"};
	int i, k;

	memset(r, 0, sizeof(*r));
	snprintf(r->boot_id, sizeof(r->boot_id), "%016llx",
	    (unsigned long long)next());
	snprintf(r->agent_version, sizeof(r->agent_version), "0.%d.%d",
	    below(9), below(99));
	r->interval_ms = 100 + below(10000);
	r->desired_version = below(1000);
	r->dropped_samples = below(3) == 0 ? below(500) : 0;
	r->ninventory = -1;
	r->nsamples = below(30);
	r->samples = calloc(r->nsamples + 1, sizeof(*r->samples));
	for (i = 0; i < r->nsamples; i++) {
		struct report_sample *s = &r->samples[i];

		s->seq = 1 + below(100000);
		s->t_ms = 1795900000000LL + below(1000000);
		s->power_w = reading(0, 12000);
		s->naccels = below(10);
		for (k = 0; k < s->naccels; k++) {
			struct report_accel *a = &s->accels[k];

			a->power_w = reading(0, 1000);
			a->energy_j = reading(0, 1e9);
			a->temp_c = reading(-10, 110);
			a->clock_mhz = reading(300, 2200);
			a->util_pct = reading(0, 100);
			a->mem_used_mib = reading(0, 196608);
		}
		s->has_loop = below(4) != 0;
		s->supply_c = reading(15, 45);
		s->return_c = reading(20, 60);
		s->flow_lpm = reading(0, 40);
		s->pressure_kpa = reading(50, 300);
		s->pump_pct = reading(0, 100);
		s->capacity_w = reading(0, 2e6);
		s->leak = below(3) - 1;
	}
	r->njobs = below(4) == 0 ? -1 : below(4);
	if (r->njobs > 0)
		r->jobs = calloc(r->njobs, sizeof(*r->jobs));
	for (i = 0; i < r->njobs; i++) {
		struct report_job *j = &r->jobs[i];

		j->id = 1 + below(1000000);
		j->attempt = 1 + below(5);
		j->state = below(2) ? RJOB_RUNNING : RJOB_ENDED;
		j->pid = below(4) ? 1 + below(4000000) : 0;
		j->started_ms = below(4) ? 1795900000000LL + below(100000) : 0;
		if (j->state == RJOB_ENDED) {
			snprintf(
			    j->cause, sizeof(j->cause), "%s", causes[below(5)]);
			j->has_exit = below(2);
			j->exit_code = j->has_exit ? below(256) : 0;
			j->signal = below(3) == 0 ? 1 + below(31) : 0;
			j->ended_ms = j->started_ms ? j->started_ms + 5 : 0;
			if (below(2))
				snprintf(j->message, sizeof(j->message),
				    "exited with %d", j->exit_code);
		}
		if (below(2))
			snprintf(j->log, sizeof(j->log), "/tmp/j%d.log", i);
	}
	r->has_power = below(4) != 0;
	if (r->has_power) {
		struct report_power *p = &r->power;

		snprintf(p->policy, sizeof(p->policy), "%s",
		    below(2) ? "performance" : "balanced");
		p->cap_w = reading(1000, 12000);
		p->limiting = below(2);
		p->fallback = below(5) == 0;
		p->ncaps = below(9);
		for (k = 0; k < p->ncaps; k++)
			p->clock_caps_mhz[k] =
			    below(4) ? 600 + below(1500) : -1;
		p->guard_leak = below(6) == 0;
		p->guard_lowflow = below(6) == 0;
		p->guard_overtemp = below(4) == 0 ? next() & 0xff : 0;
	}
}

/* The report as an agent writes it (report.c's flags). */
static char *
encode(const struct report *r)
{
	json_t *j = wire_report_encode(r);
	char *text =
	    j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;

	json_decref(j);
	return text;
}

/* Jansson's way: 1 taken (into r), 0 refused. */
static int
slow(const char *text, size_t len, struct report *r)
{
	char err[256];
	json_t *j = jsonx_parse(text, len, err, sizeof(err));
	int rc;

	memset(r, 0, sizeof(*r));
	if (j == NULL)
		return 0;
	rc = wire_report_decode(j, r, err, sizeof(err)) == 0;
	json_decref(j);
	return rc;
}

/* 1 when a and b hold the same, to the bit. */
static int
same(const struct report *a, const struct report *b)
{
	struct report x = *a, y = *b;

	x.samples = y.samples = NULL;
	x.jobs = y.jobs = NULL;
	if (memcmp(&x, &y, sizeof(x)) != 0)
		return 0;
	if (a->nsamples > 0 &&
	    memcmp(a->samples, b->samples,
	        (size_t)a->nsamples * sizeof(*a->samples)) != 0)
		return 0;
	return a->njobs <= 0 || memcmp(a->jobs, b->jobs,
	                            (size_t)a->njobs * sizeof(*a->jobs)) == 0;
}

/* Scans text: -1 when the scanner took what Jansson refuses or decoded
 * it otherwise, else whether it was taken. The scanner reads a copy of
 * exactly len bytes, unterminated, so that the sanitizers see a read
 * past its end. */
static int
compare(const char *text, size_t len)
{
	struct report fast, ref;
	char *copy = malloc(len ? len : 1);
	int took, rc;

	if (copy == NULL)
		return -1;
	memcpy(copy, text, len);
	took = rc = wire_report_scan(copy, len, &fast);
	free(copy);

	if (took && (!slow(text, len, &ref) || !same(&fast, &ref))) {
		printf("  differs: %.*s\n", (int)(len < 300 ? len : 300), text);
		rc = -1;
	}
	if (took)
		wire_report_free(&ref);
	wire_report_free(&fast);
	return rc;
}

static int
agents_reports(void)
{
	struct report r;
	char *text;
	int i, taken = 0, bad = 0;

	for (i = 0; i < NREPORTS; i++) {
		random_report(&r);
		text = encode(&r);
		REQUIRE(text != NULL);
		switch (compare(text, strlen(text))) {
		case 1:
			taken++;
			break;
		case 0:
			printf("  declined: %.300s\n", text);
			break;
		default:
			bad++;
		}
		free(text);
		free(r.samples);
		free(r.jobs);
	}
	CHECK(taken == NREPORTS && bad == 0, "%d of %d taken, %d differ", taken,
	    NREPORTS, bad);
	return 0;
fail:
	return -1;
}

/* A report written by hand, and whether the scanner takes it. */
static const struct {
	const char *text;
	int taken;
} texts[] = {
    {"{\"boot_id\":\"ab\",\"samples\":[]}", 1},
    {" {\n\t\"samples\" : [ ] ,\r\"boot_id\" : \"AB12\" } \n", 1},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":2,\"t_ms\":5},"
     "{\"seq\":1,\"t_ms\":4,\"accels\":null,\"loop\":null}]}",
        1},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":0,"
     "\"power_w\":-0.0,\"accels\":[null,{},{\"temp_c\":1e1}],"
     "\"loop\":{\"leak\":null,\"pressure_kpa\":-5E-1}}]}",
        1},
    {"{\"boot_id\":\"ab\",\"jobs\":null,\"power\":null,\"inventory\":null,"
     "\"agent_version\":null,\"interval_ms\":null,\"samples\":[]}",
        1},
    {"{\"boot_id\":\"ab\",\"power\":{\"clock_caps_mhz\":[1.5,null,-3,"
     "2000000,7],\"guard\":{\"overtemp\":[64,-1,3,2.0]}},\"samples\":[]}",
        1},
    /* declined, and refused by Jansson's way too */
    {"", 0},
    {"[]", 0},
    {"{\"boot_id\":\"ab\"}", 0},
    {"{\"samples\":[]}", 0},
    {"{\"boot_id\":\"xy\",\"samples\":[]}", 0},
    {"{\"boot_id\":\"0123456789abcdef0\",\"samples\":[]}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[]} x", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[],}", 0},
    {"{\"boot_id\":\"ab\",\"boot_id\":\"ab\",\"samples\":[]}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1.0,\"t_ms\":1}]}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":0,\"t_ms\":1}]}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1}]}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"power_w\":1e400}]}",
        0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"power_w\":01}]}",
        0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"accels\":[{\"temp_c\":300}]}]}",
        0},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":99999999999999999999,"
     "\"t_ms\":1}]}",
        0},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":1,\"state\":\"ended\",\"cause\":\"oops\"}]}",
        0},
    /* declined, though Jansson's way takes it: that way decodes it */
    {"{\"boot_id\":\"ab\",\"samples\":[],\"extra\":1}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"interval_ms\":1.5}", 0},
    {"{\"boot_id\":\"\\u0061b\",\"samples\":[]}", 0},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"inventory\":{\"accelerators\":"
     "[]}}",
        0},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":1,\"state\":\"running\",\"log\":\"a\\nb\"}]}",
        0},
};

static int
hand_written(void)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		rc = compare(texts[i].text, strlen(texts[i].text));
		CHECK(
		    rc == texts[i].taken, "%s: scanned %d", texts[i].text, rc);
	}
	return 0;
}

/* Changes text (len bytes, room for len + 64) at random; its new length. */
static size_t
mutate(char *text, size_t len)
{
	static const char bytes[] =
	    "{}[]\":,.-+eE0123456789 \\nultrfase\x01\xc3";
	size_t at = (size_t)below((int)len), n;

	switch (below(3)) {
	case 0: /* one byte changed */
		text[at] = bytes[below(sizeof(bytes) - 1)];
		return len;
	case 1: /* a run dropped */
		n = 1 + (size_t)below(8);
		if (at + n > len)
			n = len - at;
		memmove(text + at, text + at + n, len - at - n);
		return len - n;
	default: /* a run repeated */
		n = 1 + (size_t)below(32);
		if (at + n > len)
			n = len - at;
		memmove(text + at + n, text + at, len - at);
		return len + n;
	}
}

static int
mutations(void)
{
	struct report r;
	char *text, *m;
	size_t len, mlen;
	int i, k, taken = 0, bad = 0, tries = 0;

	for (i = 0; i < NREPORTS / 4; i++) {
		random_report(&r);
		text = encode(&r);
		free(r.samples);
		free(r.jobs);
		REQUIRE(text != NULL);
		len = strlen(text);
		if ((m = malloc(len + 64 * 4)) == NULL) {
			free(text);
			goto fail;
		}
		for (k = 0; k < NMUTATIONS; k++) {
			memcpy(m, text, len);
			mlen = mutate(m, len);
			if (below(2))
				mlen = mutate(m, mlen);
			if (mlen == 0)
				continue;
			tries++;
			switch (compare(m, mlen)) {
			case 1:
				taken++;
				break;
			case -1:
				bad++;
				break;
			}
		}
		free(m);
		free(text);
	}
	CHECK(bad == 0, "%d of %d mutations decoded otherwise", bad, tries);
	/* most changes break the text or its types: some are still taken */
	CHECK(taken > 0 && taken < tries, "%d of %d taken", taken, tries);
	return 0;
fail:
	return -1;
}

/*
 * Reals of every shape as the power's cap_w: 1 to 19 digits, a point
 * anywhere or none, an exponent or none, leading and trailing zeros. The
 * scanner reads most of them without strtod (wire_scan.c); each must
 * decode to the Jansson path's bits, which strtod gives.
 */
static int
numbers(void)
{
	char num[64], text[256];
	int i, j, nd, point, rc, taken = 0, wrong = 0;
	size_t n;

	for (i = 0; i < 200000; i++) {
		n = 0;
		if (next() % 4 == 0)
			num[n++] = '-';
		nd = 1 + (int)(next() % 19);
		point = (int)(next() % (unsigned)(nd + 1));
		for (j = 0; j < nd; j++) {
			if (j == point && j > 0)
				num[n++] = '.';
			/* a leading zero only alone before the point */
			num[n++] =
			    (char)('0' + (j == 0 && (point != 1 || nd == 1)
			                         ? 1 + next() % 9
			                         : next() % 10));
		}
		if (point == 0 && nd > 1 && next() % 2)
			n += (size_t)snprintf(num + n, sizeof(num) - n, ".%d",
			    (int)(next() % 1000));
		if (next() % 3 == 0)
			n += (size_t)snprintf(num + n, sizeof(num) - n, "e%s%d",
			    next() % 2 ? "-" : (next() % 2 ? "+" : ""),
			    (int)(next() % 40));
		num[n] = '\0';
		snprintf(text, sizeof(text),
		    "{\"boot_id\":\"ab\",\"samples\":[],"
		    "\"power\":{\"cap_w\":%s}}",
		    num);
		rc = compare(text, strlen(text));
		wrong += rc == -1;
		taken += rc == 1;
	}
	CHECK(wrong == 0, "%d decoded otherwise", wrong);
	/* all but integers past long long's range, which Jansson refuses */
	CHECK(taken > i - i / 100, "only %d of %d taken", taken, i);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"agents' reports", agents_reports},
    {"texts", hand_written},
    {"mutations", mutations},
    {"numbers", numbers},
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("wire_scan_test");
}
