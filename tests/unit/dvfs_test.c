/*
 * dvfs_test: the DVFS policies (core/dvfs.c) closed around the real
 * simulation plugins, loaded as the built shared objects through the
 * project's loader, and driven the way pod-agentd drives them: every
 * simulated second the loop is read (hearing last second's heat), the
 * guard hears it, the accelerators are read (hearing the coolant and their
 * load), agentd/power.c decides, and the caps that changed go to the
 * plugin's control(). Time is virtual, so a two-minute step response takes
 * milliseconds and the same seed gives the same run.
 *
 * The assertions are about the loops, not the numbers of one run: a cap
 * step settles within a few periods, without overshoot or oscillation,
 * and is then held within 2 %; a thermal target is held without
 * oscillation; the energy policy picks lower clocks for memory-bound work
 * and keeps the slowdown (computed from the clocks the simulation ran)
 * under its bound; the fixed policies give their clocks.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dvfs.h"
#include "log.h"
#include "plugin.h"
#include "power.h"
#include "simrig.h"

#define F_MIN_MHZ  600.0 /* the sim's default clock range */
#define F_MAX_MHZ  1980.0
#define JOB_UTIL   0.95 /* the load pod-agentd asks for a job */
#define MAX_TRACE  600  /* samples a case may record */
#define SETTLE_MAX 6    /* periods a cap step may take to settle */

static double
hottest_c(const struct rig *r)
{
	double t = -1e9;
	int i;

	for (i = 0; i < r->naccel; i++)
		t = fmax(t, r->ps[i].temp_c);
	return t;
}

/* How a recorded response to a step toward `level` behaved. */
struct response {
	int settle;        /* first sample from which all stay in band */
	double over;       /* beyond the level, against the step, share */
	double band;       /* largest deviation after settling, share */
	int crossings;     /* sign changes of deviations beyond `noise` */
	int growing;       /* 1: a swing larger than the one before */
	double mean_share; /* mean after settling, share of the level */
};

/*
 * Reads y[0..n-1] after a step from y[0]'s side toward `level`: where it
 * settles into ±band_share, how far it went past the level (for a step
 * down, below it), and whether it swings about the level with growing
 * amplitude. Deviations within ±noise_share are the sensors', not swings.
 */
static void
response_of(const double *y, int n, double level, double band_share,
    double noise_share, struct response *out)
{
	double dev, peak = 0, last_peak = 0, sum = 0;
	int i, sign = 0, s, down = y[0] > level;

	memset(out, 0, sizeof(*out));
	out->settle = n;
	for (i = n - 1; i >= 0; i--)
		if (fabs(y[i] - level) > band_share * level)
			break;
	out->settle = i + 1;
	for (i = 0; i < n; i++) {
		dev = (y[i] - level) / level;
		if (down && -dev > out->over)
			out->over = -dev;
		if (!down && dev > out->over)
			out->over = dev;
		if (i >= out->settle) {
			out->band = fmax(out->band, fabs(dev));
			sum += y[i];
		}
		if (fabs(dev) <= noise_share)
			continue;
		s = dev > 0 ? 1 : -1;
		if (sign != 0 && s != sign) {
			out->crossings++;
			if (last_peak > 0 && peak > last_peak)
				out->growing = 1;
			last_peak = peak;
			peak = 0;
		}
		sign = s;
		peak = fmax(peak, fabs(dev));
	}
	if (n > out->settle)
		out->mean_share = sum / (n - out->settle) / level;
}

static int
t_performance_powersave(const struct plugins *pl)
{
	struct rig r;
	double busy_w, save_w;
	int i;

	REQUIRE(rig_open(&r, pl, 11, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	REQUIRE(rig_run(&r, 30) == 0, "run");
	busy_w = rig_node_w(&r);
	for (i = 0; i < r.naccel; i++)
		REQUIRE(r.ps[i].clock_mhz == F_MAX_MHZ &&
		            r.pw.caps_mhz[i] == F_MAX_MHZ,
		    "performance: accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
	REQUIRE(!r.pw.limiting, "limiting without a cap");
	REQUIRE(r.controls == r.naccel, "%d control() calls for one setting",
	    r.controls);
	rig_policy(&r, "{\"policy\": \"powersave\"}");
	REQUIRE(rig_run(&r, 30) == 0, "run");
	save_w = rig_node_w(&r);
	printf("  performance %.0f W, powersave %.0f W\n", busy_w, save_w);
	for (i = 0; i < r.naccel; i++)
		REQUIRE(r.ps[i].clock_mhz == F_MIN_MHZ &&
		            r.pw.caps_mhz[i] == F_MIN_MHZ,
		    "powersave: accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
	REQUIRE(save_w < 0.5 * busy_w, "powersave draws %.0f W", save_w);
	REQUIRE(r.controls == 2 * r.naccel,
	    "%d control() calls for two settings", r.controls);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/*
 * The cap of the brief: a busy node (~6.6 kW) under power_cap 6 kW, the
 * cap stepped to 4 kW, then back up to 6 kW.
 */
static int
t_power_cap_step(const struct plugins *pl)
{
	static const struct {
		const char *policy;
		double cap_w;
	} steps[] = {
	    {"{\"policy\": \"power_cap\", \"params\": {\"cap_w\": 4000}}",
	        4000},
	    {"{\"policy\": \"power_cap\", \"params\": {\"cap_w\": 6000}}",
	        6000},
	};
	struct rig r;
	struct response rs;
	double y[MAX_TRACE], level;
	size_t k;
	int i, n = 60, controls = 0;

	REQUIRE(rig_open(&r, pl, 12, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": "
	               "6000}}");
	REQUIRE(rig_run(&r, 60) == 0, "run");
	REQUIRE(
	    r.pw.limiting, "6 kW does not limit a %.0f W node", rig_node_w(&r));
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		y[0] = rig_node_w(&r);
		rig_policy(&r, steps[k].policy);
		for (i = 1; i <= n; i++) {
			if (i == n / 2)
				controls = r.controls;
			REQUIRE(rig_step(&r) == 0, "step");
			y[i] = rig_node_w(&r);
		}
		controls = r.controls - controls;
		level = steps[k].cap_w * (1 - DVFS_CAP_MARGIN);
		response_of(y, n + 1, level, 0.01, 0.01, &rs);
		printf("  cap %.0f → %.0f W: settled in %d periods, "
		       "overshoot %.1f %%, then within %.2f %% of the set "
		       "point, mean %.1f %% of the cap; %d swings, %d "
		       "control() calls in the last %d s\n",
		    y[0], steps[k].cap_w, rs.settle, 100 * rs.over,
		    100 * rs.band, 100 * rs.mean_share * level / steps[k].cap_w,
		    rs.crossings, controls, n / 2);
		REQUIRE(rs.settle <= SETTLE_MAX, "settled after %d periods",
		    rs.settle);
		REQUIRE(rs.over <= 0.05, "overshoot %.1f %%", 100 * rs.over);
		REQUIRE(!rs.growing && rs.crossings <= 1,
		    "oscillates: %d swings%s", rs.crossings,
		    rs.growing ? ", growing" : "");
		for (i = rs.settle; i <= n; i++)
			REQUIRE(fabs(y[i] - steps[k].cap_w) <=
			            0.02 * steps[k].cap_w,
			    "%.0f W at %d s, cap %.0f W", y[i], i,
			    steps[k].cap_w);
		REQUIRE(r.pw.limiting && r.pw.node_cap_w == steps[k].cap_w,
		    "limiting %d, cap %.0f W", r.pw.limiting, r.pw.node_cap_w);
		/* Held, not chattering: noise does not move the clocks. */
		REQUIRE(controls <= 2 * r.naccel,
		    "%d control() calls in the last %d s", controls, n / 2);
	}
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* The allocator's cap_w bounds every policy, as the lower of two caps; a
 * cap above the draw does not limit. */
static int
t_allocator_cap(const struct plugins *pl)
{
	struct rig r;
	double sum = 0;
	int i;

	REQUIRE(rig_open(&r, pl, 13, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": "
	               "6000}, \"cap_w\": 5000}");
	REQUIRE(rig_run(&r, 20) == 0, "run");
	for (i = 0; i < 20; i++) {
		REQUIRE(rig_step(&r) == 0, "step");
		REQUIRE(fabs(rig_node_w(&r) - 5000) <= 100,
		    "%.0f W under 5000 W", rig_node_w(&r));
		sum += rig_node_w(&r) / 20;
	}
	REQUIRE(r.pw.node_cap_w == 5000 && r.pw.limiting, "cap %.0f W",
	    r.pw.node_cap_w);
	printf("  power_cap 6000 W, cap_w 5000 W: mean %.0f W\n", sum);
	rig_policy(&r, "{\"policy\": \"performance\", \"cap_w\": 7500}");
	REQUIRE(rig_run(&r, 10) == 0, "run");
	REQUIRE(!r.pw.limiting && r.pw.node_cap_w == 7500, "limiting at %.0f W",
	    rig_node_w(&r));
	for (i = 0; i < r.naccel; i++)
		REQUIRE(r.ps[i].clock_mhz == F_MAX_MHZ, "accel%d at %.0f MHz",
		    i, r.ps[i].clock_mhz);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* A cap shared among busy and idle accelerators: the busy ones get the
 * watts, and a second job starting is absorbed within the cap. */
static int
t_cap_sharing(const struct plugins *pl)
{
	struct rig r;
	double busy_w = 0, idle_w = 0;
	int i;

	REQUIRE(rig_open(&r, pl, 14, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 4, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"performance\", \"cap_w\": 3000}");
	REQUIRE(rig_run(&r, 30) == 0, "run");
	for (i = 0; i < 8; i++) {
		if (i < 4)
			busy_w += r.ps[i].power_w / 4;
		else
			idle_w += r.ps[i].power_w / 4;
	}
	printf("  cap 3000 W: node %.0f W, busy accelerators %.0f W at "
	       "%.0f MHz, idle ones %.0f W at %.0f MHz\n",
	    rig_node_w(&r), busy_w, r.ps[0].clock_mhz, idle_w,
	    r.ps[4].clock_mhz);
	REQUIRE(fabs(rig_node_w(&r) - 3000) < 0.02 * 3000, "node %.0f W",
	    rig_node_w(&r));
	REQUIRE(
	    busy_w > 2.5 * idle_w, "busy %.0f W, idle %.0f W", busy_w, idle_w);
	/* Equal levels: no accelerator more than one step from another. */
	for (i = 1; i < 8; i++)
		REQUIRE(
		    fabs(r.pw.caps_mhz[i] - r.pw.caps_mhz[0]) <= DVFS_STEP_MHZ,
		    "accel%d at %.0f MHz, accel0 at %.0f MHz", i,
		    r.pw.caps_mhz[i], r.pw.caps_mhz[0]);
	rig_load(&r, 4, 8, JOB_UTIL, 0.7);
	REQUIRE(rig_step(&r) == 0, "step");
	printf("  a second job: the node jumps to %.0f W for one period\n",
	    rig_node_w(&r));
	REQUIRE(rig_run(&r, SETTLE_MAX) == 0, "run");
	for (i = 0; i < 20; i++) {
		REQUIRE(rig_step(&r) == 0, "step");
		REQUIRE(fabs(rig_node_w(&r) - 3000) < 0.02 * 3000,
		    "node %.0f W after the second job", rig_node_w(&r));
	}
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* curtail holds a fraction of the draw measured when it was applied, and
 * measures again when the fraction changes. */
static int
t_curtail(const struct plugins *pl)
{
	static const double fractions[] = {0.6, 0.8};
	struct rig r;
	double ref, target;
	size_t k;
	int i;

	REQUIRE(rig_open(&r, pl, 15, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	REQUIRE(rig_run(&r, 30) == 0, "run");
	for (k = 0; k < sizeof(fractions) / sizeof(fractions[0]); k++) {
		char json[128];

		ref = rig_node_w(&r);
		snprintf(json, sizeof(json),
		    "{\"policy\": \"curtail\", \"params\": {\"fraction\": "
		    "%g}}",
		    fractions[k]);
		rig_policy(&r, json);
		REQUIRE(rig_run(&r, SETTLE_MAX + 1) == 0, "run");
		target = fractions[k] * ref;
		REQUIRE(fabs(r.pw.node_cap_w - target) < 0.02 * target,
		    "reference: cap %.0f W, want %.0f W", r.pw.node_cap_w,
		    target);
		for (i = 0; i < 20; i++) {
			REQUIRE(rig_step(&r) == 0, "step");
			REQUIRE(fabs(rig_node_w(&r) - target) < 0.025 * target,
			    "%.0f W, target %.0f W", rig_node_w(&r), target);
		}
		printf("  curtail %.1f of %.0f W: %.0f W\n", fractions[k], ref,
		    rig_node_w(&r));
	}
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* thermal: a busy node whose dies settle near 66 °C held at 60 °C; then,
 * at the default 80 °C, a part with a failed cold plate held alone. */
static int
t_thermal(const struct plugins *pl)
{
	static const struct pod_kv hot[] = {{"fault", "hot:3@20", "t:1"}};
	struct rig r;
	struct response rs;
	double y[MAX_TRACE], others = 0;
	int i, n = 120;

	memset(&r, 0, sizeof(r));
	REQUIRE(rig_open(&r, pl, 16, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	REQUIRE(rig_run(&r, 40) == 0, "run");
	y[0] = hottest_c(&r);
	rig_policy(&r, "{\"policy\": \"thermal\", \"params\": {\"target_c\": "
	               "60}}");
	for (i = 1; i <= n; i++) {
		REQUIRE(rig_step(&r) == 0, "step");
		y[i] = hottest_c(&r);
	}
	response_of(y, n + 1, 60, 1.0 / 60, 0.5 / 60, &rs);
	printf("  %.1f → 60 °C: within 1 K after %d s, overshoot %.2f K, "
	       "then within %.2f K, mean %.2f °C, %d swings\n",
	    y[0], rs.settle, 60 * rs.over, 60 * rs.band, 60 * rs.mean_share,
	    rs.crossings);
	REQUIRE(rs.settle <= 40, "settled after %d s", rs.settle);
	REQUIRE(60 * rs.over <= 1.5, "overshoot %.2f K", 60 * rs.over);
	REQUIRE(!rs.growing && rs.crossings <= 2, "oscillates: %d swings",
	    rs.crossings);
	/* Under the target, by less than the clock step's worth. */
	REQUIRE(60 * rs.mean_share > 58.5 && 60 * rs.mean_share < 60.3,
	    "mean %.2f °C", 60 * rs.mean_share);
	REQUIRE(!r.pw.limiting, "thermal throttling is not a cap");
	rig_close(&r);

	REQUIRE(rig_open(&r, pl, 17, hot, 1, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"thermal\"}");
	REQUIRE(rig_run(&r, 120) == 0, "run");
	for (i = 0; i < 60; i++) {
		REQUIRE(rig_step(&r) == 0, "step");
		REQUIRE(
		    r.ps[3].temp_c < 81, "accel3 at %.1f °C", r.ps[3].temp_c);
	}
	for (i = 0; i < r.naccel; i++)
		if (i != 3) {
			REQUIRE(r.ps[i].clock_mhz == F_MAX_MHZ,
			    "accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
			others = fmax(others, r.ps[i].temp_c);
		}
	printf("  hot accel3 held at %.1f °C (%.0f MHz), the others at "
	       "%.0f MHz, %.1f °C\n",
	    r.ps[3].temp_c, r.ps[3].clock_mhz, F_MAX_MHZ, others);
	REQUIRE(r.ps[3].temp_c > 78, "accel3 needlessly cold: %.1f °C",
	    r.ps[3].temp_c);
	REQUIRE(r.pw.guard.overtemp[3] == 0, "the guard had to act");
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* The loop outlet counts as much as a die: pure, with a node whose dies
 * are cool and whose outlet is over the target. */
static int
t_thermal_outlet(const struct plugins *pl)
{
	struct dvfs d;
	struct dvfs_policy_conf c = {DVFS_THERMAL, NAN, 80, 5, 1};
	struct dvfs_accel acc[4];
	struct dvfs_input in;
	struct dvfs_output out;
	int i;

	dvfs_init(&d);
	dvfs_set(&d, &c);
	for (i = 0; i < 4; i++) {
		memset(&acc[i], 0, sizeof(acc[i]));
		acc[i].clock_min_mhz = F_MIN_MHZ;
		acc[i].clock_max_mhz = F_MAX_MHZ;
		acc[i].clock_step_mhz = DVFS_STEP_MHZ;
		acc[i].tdp_w = 700;
		acc[i].power_w = 650;
		acc[i].temp_c = 70;
		acc[i].clock_mhz = F_MAX_MHZ;
		acc[i].util_pct = 95;
		acc[i].membound = 0.1;
	}
	memset(&in, 0, sizeof(in));
	in.accel = acc;
	in.naccel = 4;
	in.node_power_w = 3500;
	in.supply_c = 50;
	in.dt_s = 1;
	in.cap_w = NAN;
	in.return_c = 78;
	dvfs_step(&d, &in, &out);
	for (i = 0; i < 4; i++)
		REQUIRE(out.clock_cap_mhz[i] == F_MAX_MHZ,
		    "outlet under target: %.0f MHz", out.clock_cap_mhz[i]);
	in.return_c = 84;
	dvfs_step(&d, &in, &out);
	for (i = 0; i < 4; i++)
		REQUIRE(out.clock_cap_mhz[i] < F_MAX_MHZ - 100,
		    "outlet 4 K over: %.0f MHz", out.clock_cap_mhz[i]);
	printf("  outlet 84 °C for 80: clocks to %.0f MHz\n",
	    out.clock_cap_mhz[0]);
	return 0;
fail:
	return -1;
}

/* Energy and work of one run of `seconds` under policy, from the
 * simulation's clocks and energy counters; work per accelerator per second
 * is 1/T(f) of T(f_max) = 1, with the true β of its load. The model is
 * docs/dvfs.md's, written out here rather than taken from dvfs.c, so that
 * the policy is judged by it and not by its own arithmetic:
 * T(f)/T(f_max) = β f_max/f + 1 − β, β = util (1 − membound). */
static int
energy_run(const struct plugins *pl, const char *policy, int seconds,
    double *energy_j, double *work, double *worst_slowdown, double *clk)
{
	struct rig r;
	double e0[DVFS_MAX_ACCELS], beta, sd;
	int i, k;

	REQUIRE(rig_open(&r, pl, 18, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 4, JOB_UTIL, 0.1);
	rig_load(&r, 4, 8, JOB_UTIL, 0.7);
	rig_policy(&r, policy);
	REQUIRE(rig_run(&r, 30) == 0, "run");
	for (i = 0; i < r.naccel; i++)
		e0[i] = r.ps[i].energy_j;
	*work = 0;
	*worst_slowdown = 0;
	for (k = 0; k < seconds; k++) {
		REQUIRE(rig_step(&r) == 0, "step");
		for (i = 0; i < r.naccel; i++) {
			beta = r.load[i].util * (1 - r.load[i].membound);
			sd = beta * (F_MAX_MHZ / r.ps[i].clock_mhz - 1);
			*work += 1.0 / (1.0 + sd);
			*worst_slowdown = fmax(*worst_slowdown, sd);
		}
	}
	*energy_j = 0;
	for (i = 0; i < r.naccel; i++) {
		*energy_j += r.ps[i].energy_j - e0[i];
		clk[i] = r.ps[i].clock_mhz;
	}
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static int
t_energy(const struct plugins *pl)
{
	double pe, pw, ps, ee, ew, es, pclk[DVFS_MAX_ACCELS],
	    eclk[DVFS_MAX_ACCELS];
	int i;

	REQUIRE(energy_run(pl, "{\"policy\": \"performance\"}", 60, &pe, &pw,
	            &ps, pclk) == 0,
	    "performance run");
	REQUIRE(energy_run(pl,
	            "{\"policy\": \"energy\", \"params\": {\"slowdown_pct\": "
	            "5}}",
	            60, &ee, &ew, &es, eclk) == 0,
	    "energy run");
	printf("  compute-bound at %.0f MHz, memory-bound at %.0f MHz; "
	       "worst slowdown %.2f %%, work %.1f %% of performance's, "
	       "energy per work %.1f %% of it\n",
	    eclk[0], eclk[4], 100 * es, 100 * ew / pw,
	    100 * (ee / ew) / (pe / pw));
	for (i = 0; i < 4; i++) {
		REQUIRE(eclk[i] < F_MAX_MHZ && eclk[i + 4] < eclk[i],
		    "compute accel%d %.0f MHz, memory accel%d %.0f MHz", i,
		    eclk[i], i + 4, eclk[i + 4]);
	}
	/* docs/dvfs.md: the lowest grid clock at or above β f_max / (β + b),
	 * b = 0.05; a choice moves down only when two steps too high. */
	for (i = 0; i < 8; i++) {
		double beta = JOB_UTIL * (1 - (i < 4 ? 0.1 : 0.7));
		double need = beta * F_MAX_MHZ / (beta + 0.05);

		REQUIRE(eclk[i] >= need && eclk[i] < need + 2 * DVFS_STEP_MHZ,
		    "accel%d at %.0f MHz, wants %.0f", i, eclk[i], need);
	}
	REQUIRE(es <= 0.05, "slowdown %.2f %% over the bound", 100 * es);
	REQUIRE(ew / pw >= 0.95, "work %.1f %%", 100 * ew / pw);
	REQUIRE(ee / ew < pe / pw, "no energy saved per unit of work");
	return 0;
fail:
	return -1;
}

/* Utilisation noise does not flip the energy policy's clock. */
static int
t_energy_steady(const struct plugins *pl)
{
	struct rig r;

	REQUIRE(rig_open(&r, pl, 19, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.4);
	rig_policy(&r, "{\"policy\": \"energy\"}");
	REQUIRE(rig_run(&r, 20) == 0, "run");
	r.controls = 0;
	REQUIRE(rig_run(&r, 200) == 0, "run");
	printf("  %d control() calls in 200 s at %.0f MHz\n", r.controls,
	    r.ps[0].clock_mhz);
	REQUIRE(r.controls <= 8, "%d control() calls", r.controls);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static const struct dvfscase {
	const char *name;
	int (*fn)(const struct plugins *);
} cases[] = {
    {"performance_powersave", t_performance_powersave},
    {"power_cap_step", t_power_cap_step},
    {"allocator_cap", t_allocator_cap},
    {"cap_sharing", t_cap_sharing},
    {"curtail", t_curtail},
    {"thermal", t_thermal},
    {"thermal_outlet", t_thermal_outlet},
    {"energy", t_energy},
    {"energy_steady", t_energy_steady},
};

int
main(void)
{
	struct plugins pl = {NULL, NULL};
	size_t i;

	log_init("dvfs_test", LOG_LVL_WARN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pl.power = plugin_load(NULL, "power", "sim");
	pl.cooling = plugin_load(NULL, "cooling", "sim");
	if (!CHECK(pl.power != NULL && pl.cooling != NULL,
	        "cannot load the plugins from %s", plugin_default_dir()))
		goto done;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("%s\n", cases[i].name);
		RUN_CASE(cases[i].name, cases[i].fn(&pl));
	}
done:
	plugin_unload(pl.power);
	plugin_unload(pl.cooling);
	return check_summary("dvfs_test");
}
