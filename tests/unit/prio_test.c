/*
 * Multifactor priority and fair share (core/prio.c): the classic
 * fair-share tree on hand-computed cases, usage decay and its integral over
 * a run, and the weighted factors (age capped, small- or large-first).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "prio.h"

#define HOUR_MS 3600000LL

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-6 * (1 + fabs(b));
}

/*
 * A tree of root -> {A, B} -> {a1 under A, b1 under B}: usage on the
 * leaves, factors by hand from the classic formula.
 */
static const struct fs_case {
	const char *name;
	double shares_a, shares_b, use_a1, use_b1;
	double f_a1, f_b1; /* expected factors */
} fs_cases[] = {
    /* nobody used anything: everyone at 1 */
    {"idle", 1, 1, 0, 0, 1, 1},
    /* A used all of it: eff 1 over share .5 -> 2^-2; B untouched */
    {"one used", 1, 1, 100, 0, 0.25, 1},
    /* both used their share exactly: 2^-1 each */
    {"at share", 1, 1, 50, 50, 0.5, 0.5},
    /* A holds 3 of 4 shares and used 3/4: both at their share */
    {"weighted", 3, 1, 75, 25, 0.5, 0.5},
};

static void
test_fairshare(void)
{
	size_t i;

	for (i = 0; i < NELEM(fs_cases); i++) {
		const struct fs_case *c = &fs_cases[i];
		struct fs_node v[5];

		memset(v, 0, sizeof(v));
		v[0].parent = -1;
		v[0].shares = 1;
		v[1].parent = 0;
		v[1].shares = c->shares_a;
		v[2].parent = 0;
		v[2].shares = c->shares_b;
		v[3].parent = 1;
		v[3].shares = 1;
		v[3].usage = c->use_a1;
		v[4].parent = 2;
		v[4].shares = 1;
		v[4].usage = c->use_b1;
		CHECK(fs_compute(v, 5) == 0, "%s", c->name);
		CHECK(near(v[3].factor, c->f_a1), "%s: a1 %g", c->name,
		    v[3].factor);
		CHECK(near(v[4].factor, c->f_b1), "%s: b1 %g", c->name,
		    v[4].factor);
		CHECK(near(v[0].usage, c->use_a1 + c->use_b1), "%s", c->name);
	}
}

/* Under one account, two users with the same shares: the one who used
 * more ranks lower, and a sub-account's usage drags its users down. */
static void
test_fairshare_order(void)
{
	struct fs_node v[4];

	memset(v, 0, sizeof(v));
	v[0].parent = -1;
	v[1].parent = 0;
	v[1].shares = 1;
	v[2].parent = 1;
	v[2].shares = 1;
	v[2].usage = 10;
	v[3].parent = 1;
	v[3].shares = 1;
	v[3].usage = 30;
	CHECK(fs_compute(v, 4) == 0);
	CHECK(v[2].factor > v[3].factor, "%g %g", v[2].factor, v[3].factor);
	CHECK(near(v[2].norm_shares, 0.5) && near(v[3].norm_shares, 0.5));
	/* a parent after its child is refused */
	v[1].parent = 2;
	CHECK(fs_compute(v, 4) == -1);
}

static const struct decay_case {
	const char *name;
	int accels;
	int64_t start_ms, end_ms, now_ms;
	double half_life_h, want;
} decay_cases[] = {
    {"no decay", 2, 0, HOUR_MS, HOUR_MS, 0, 2 * 3600.0},
    /* the integral of 2^-(1h - t)/1h over an hour: 3600 / ln 2 / 2 */
    {"one half-life", 1, 0, HOUR_MS, HOUR_MS, 1, 3600.0 / M_LN2 * 0.5},
    /* an hour later the same run weighs half */
    {"aged", 1, 0, HOUR_MS, 2 * HOUR_MS, 1, 3600.0 / M_LN2 * 0.25},
    /* a running job counts up to now only */
    {"running", 1, 0, 5 * HOUR_MS, HOUR_MS, 0, 3600.0},
    {"nothing", 4, HOUR_MS, HOUR_MS, 2 * HOUR_MS, 1, 0},
};

static void
test_decay(void)
{
	size_t i;

	for (i = 0; i < NELEM(decay_cases); i++) {
		const struct decay_case *c = &decay_cases[i];
		double u = fs_usage(c->accels, c->start_ms, c->end_ms,
		    c->now_ms, c->half_life_h);

		CHECK(near(u, c->want), "%s: %g, want %g", c->name, u, c->want);
	}
	CHECK(near(fs_decay(100, HOUR_MS * 168, 168), 50));
	CHECK(near(fs_decay(100, HOUR_MS, 0), 100));
}

static void
test_factors(void)
{
	struct prio_weights w = {.age_per_h = 10,
	    .age_cap_h = 24,
	    .fairshare = 1000,
	    .jobsize = 100,
	    .qos = 500,
	    .operator_ = 2,
	    .favor_small = 1};
	struct prio_job j = {.submit_ms = 0,
	    .priority = 7,
	    .accels = 256,
	    .fairshare = 0.5,
	    .qos = 1};
	struct prio_factors f;

	/* 48 h waited, capped at 24 */
	prio_factors(&w, 1024, 48 * HOUR_MS, &j, &f);
	CHECK(near(f.age, 240), "%g", f.age);
	CHECK(near(f.fairshare, 500));
	CHECK(near(f.jobsize, 75), "%g", f.jobsize);
	CHECK(near(f.qos, 500));
	CHECK(near(f.operator_, 14));
	CHECK(near(f.total, 240 + 500 + 75 + 500 + 14));
	CHECK(prio_static(&w, 1024, &j) == 500 + 75 + 500 + 14);
	w.favor_small = 0;
	prio_factors(&w, 1024, 0, &j, &f);
	CHECK(near(f.jobsize, 25) && near(f.age, 0));
	/* factors outside [0, 1] are clamped */
	j.fairshare = 3;
	j.qos = -1;
	prio_factors(&w, 1024, 0, &j, &f);
	CHECK(near(f.fairshare, 1000) && near(f.qos, 0));
}

int
main(void)
{
	test_fairshare();
	test_fairshare_order();
	test_decay();
	test_factors();
	return check_summary("prio_test");
}
