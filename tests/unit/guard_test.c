/*
 * guard_test: the safety guard (core/guard.c) on its own, fed readings
 * from static tables (hysteresis, the leak's dry time, noise near a
 * threshold), and inside the agent's power code (agentd/power.c) closed
 * around the real simulation plugins, loaded through the project's
 * loader and driven as pod-agentd drives them: a leak throttles every
 * accelerator in the very sample that first shows it, whatever the
 * policy; an accelerator over its critical temperature goes to f_min
 * alone and comes back only 5 °C under it; a lost flow throttles all;
 * and a silent controller brings the fallback cap, and its answer takes
 * it away.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dvfs.h"
#include "guard.h"
#include "log.h"
#include "plugin.h"
#include "power.h"
#include "simrig.h"

#define F_MIN_MHZ 600.0 /* the sim's default clock range */
#define F_MAX_MHZ 1980.0
#define JOB_UTIL  0.95 /* the load pod-agentd asks for a job */

/* 1 when every accelerator of the last read ran at f_min. */
static int
all_at_min(const struct rig *r)
{
	int i;

	for (i = 0; i < r->naccel; i++)
		if (r->ps[i].clock_mhz != F_MIN_MHZ ||
		    r->pw.caps_mhz[i] != F_MIN_MHZ)
			return 0;
	return 1;
}

/*
 * The leak's dry time: readings a second apart, and the leak state after
 * each, with clear_s 10. The time counts from the first dry reading; a
 * wet blip or an unread loop starts it over.
 */
static const struct {
	const char *name;
	const char *leak; /* one reading per character: W wet, d dry, ? none */
	const char *want; /* state after each: L leak, . none */
} leak_seqs[] = {
    {"clears after 10 s dry", "Wdddddddddddd", "LLLLLLLLLLL.."},
    {"a wet blip starts over", "WdddddWddddddddddddd", "LLLLLLLLLLLLLLLLL..."},
    {"unread is not dry", "Wddd????dddddddddddd", "LLLLLLLLLLLLLLLLLL.."},
    {"never wet, never set", "ddd???ddd", "........."},
};

static int
t_leak_clearing(const struct plugins *pl)
{
	struct guard g;
	size_t k, i;
	int leak;

	for (k = 0; k < sizeof(leak_seqs) / sizeof(leak_seqs[0]); k++) {
		guard_init(&g, 2, 10);
		for (i = 0; leak_seqs[k].leak[i] != '\0'; i++) {
			leak = leak_seqs[k].leak[i] == 'W'   ? 1
			       : leak_seqs[k].leak[i] == 'd' ? 0
			                                     : -1;
			guard_loop(&g, leak, 10.0, i > 0 ? 1.0 : 0.0);
			REQUIRE(g.leak == (leak_seqs[k].want[i] == 'L'),
			    "%s: reading %zu: leak %d", leak_seqs[k].name, i,
			    g.leak);
			REQUIRE(guard_all(&g) == g.leak &&
			            guard_pinned(&g, 5) == g.leak,
			    "%s: pinning", leak_seqs[k].name);
		}
	}
	return 0;
fail:
	return -1;
}

/* Thresholds: readings in order and the state after each. Flow threshold
 * 2 L/min (clears at 2.4), critical 90 °C (clears under 85). */
static const struct {
	const char *name;
	int temp;         /* 1: temperature of accelerator 0, else flow */
	double v[8];      /* readings; NaN: not read */
	const char *want; /* state after each: X tripped, . not */
} thresholds[] = {
    {"flow trips under 2", 0, {3, 2.1, 2.0, 1.99, 1.5, 1, 0.5, 0}, "...XXXXX"},
    {"flow clears at 2.4", 0, {1, 2.1, 2.39, NAN, 2.4, 2.2, 1.9, 2.5},
        "XXXX..X."},
    {"temperature trips over 90", 1, {80, 89.9, 90, 90.1, 95, 88, 86, 85.1},
        "...XXXXX"},
    {"temperature clears under 85", 1, {91, 87, 85, NAN, 84.9, 88, 89, 90.5},
        "XXXX...X"},
};

static int
t_thresholds(const struct plugins *pl)
{
	struct guard g;
	double crit[2] = {90, 90}, temp[2];
	size_t k, i;
	int on;

	for (k = 0; k < sizeof(thresholds) / sizeof(thresholds[0]); k++) {
		guard_init(&g, 2, 10);
		for (i = 0; i < 8; i++) {
			if (thresholds[k].temp) {
				temp[0] = thresholds[k].v[i];
				temp[1] = 40;
				guard_accels(&g, 2, temp, crit);
				on = g.overtemp[0];
				REQUIRE(!g.overtemp[1] &&
				            guard_pinned(&g, 0) == on &&
				            !guard_pinned(&g, 1) &&
				            !guard_all(&g),
				    "%s: only accelerator 0",
				    thresholds[k].name);
			} else {
				guard_loop(&g, 0, thresholds[k].v[i], 1);
				on = g.lowflow;
				REQUIRE(guard_all(&g) == on, "%s: pinning",
				    thresholds[k].name);
			}
			REQUIRE(on == (thresholds[k].want[i] == 'X'),
			    "%s: reading %zu (%g): %d", thresholds[k].name, i,
			    thresholds[k].v[i], on);
		}
	}
	/* An unknown critical temperature never trips. */
	guard_init(&g, 2, 10);
	crit[0] = 0;
	temp[0] = 150;
	guard_accels(&g, 1, temp, crit);
	REQUIRE(!g.overtemp[0], "tripped without a critical temperature");
	return 0;
fail:
	return -1;
}

/* Uniform in [-1, 1) from a 64-bit LCG: reproducible sensor noise. */
static double
noise(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*x >> 11) * 0x1.0p-52 - 1.0;
}

/* A signal wandering around its threshold with sensor noise trips once and
 * stays tripped: no flapping. */
static int
t_no_flapping(const struct plugins *pl)
{
	struct guard g;
	uint64_t x = 42;
	double crit = 90, temp;
	int i, flips_flow = 0, flips_temp = 0, was_flow = 0, was_temp = 0;

	guard_init(&g, 2, 10);
	for (i = 0; i < 600; i++) {
		guard_loop(&g, 0, 2.0 + 0.15 * noise(&x), 1);
		temp = 90 + 1.5 * noise(&x);
		guard_accels(&g, 1, &temp, &crit);
		flips_flow += g.lowflow != was_flow;
		flips_temp += g.overtemp[0] != was_temp;
		was_flow = g.lowflow;
		was_temp = g.overtemp[0];
	}
	printf("  600 noisy readings: flow state changed %d time(s), "
	       "temperature state %d time(s)\n",
	    flips_flow, flips_temp);
	REQUIRE(flips_flow == 1 && flips_temp == 1, "flapping");
	return 0;
fail:
	return -1;
}

/*
 * A leak throttles every accelerator in the sample that first shows it,
 * whatever the policy and with the controller long silent: the caps go
 * out after the loop read, before the accelerators are read.
 */
static int
t_leak_same_sample(const struct plugins *pl)
{
	static const struct pod_kv leak[] = {{"fault", "leak@10", "t:1"}};
	static const char *const policies[] = {
	    "{\"policy\": \"performance\"}",
	    "{\"policy\": \"energy\", \"cap_w\": 6000}",
	    "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": 5000}, "
	    "\"fallback_cap_w\": 4000}",
	    "{\"policy\": \"thermal\"}",
	    "{\"policy\": \"curtail\", \"params\": {\"fraction\": 0.9}}",
	};
	struct rig r;
	size_t k;
	int i, seen;

	memset(&r, 0, sizeof(r));
	for (k = 0; k < sizeof(policies) / sizeof(policies[0]); k++) {
		REQUIRE(
		    rig_open(&r, pl, 21 + k, NULL, 0, leak, 1) == 0, "open");
		rig_load(&r, 0, 8, JOB_UTIL, 0.1);
		rig_policy(&r, policies[k]);
		r.silent_s = 1e6;
		for (i = 0, seen = 0; i < 20 && !seen; i++) {
			REQUIRE(rig_step(&r) == 0, "step");
			seen = r.cs.leak;
			REQUIRE(seen || r.ps[0].clock_mhz > F_MIN_MHZ,
			    "%s: accel0 at f_min before the leak, at %d s",
			    policies[k], i);
		}
		REQUIRE(seen, "no leak after 20 s");
		REQUIRE(r.pw.guard.leak && all_at_min(&r),
		    "%s: the leak's sample shows accel0 at %.0f MHz",
		    policies[k], r.ps[0].clock_mhz);
		REQUIRE(
		    rig_run(&r, 30) == 0 && all_at_min(&r) && r.pw.guard.leak,
		    "%s: released while wet", policies[k]);
		rig_close(&r);
	}
	printf("  every policy: f_min in the sample that first shows the "
	       "leak\n");
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* A part with a failed cold plate under `performance`: it alone goes to
 * f_min above 90 °C and comes back only under 85 °C. */
static int
t_overtemp(const struct plugins *pl)
{
	static const struct pod_kv hot[] = {{"fault", "hot:3@10", "t:1"}};
	struct rig r;
	double peak = 0, low = 1e9;
	int i, k, trips = 0, clears = 0, was = 0;

	REQUIRE(rig_open(&r, pl, 31, hot, 1, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	for (k = 0; k < 300; k++) {
		REQUIRE(rig_step(&r) == 0, "step");
		if (r.pw.guard.overtemp[3] && !was) {
			trips++;
			REQUIRE(r.ps[3].temp_c > 90, "tripped at %.1f °C",
			    r.ps[3].temp_c);
		} else if (!r.pw.guard.overtemp[3] && was) {
			clears++;
			REQUIRE(r.ps[3].temp_c < 85, "cleared at %.1f °C",
			    r.ps[3].temp_c);
		}
		was = r.pw.guard.overtemp[3];
		REQUIRE(r.pw.caps_mhz[3] == (was ? F_MIN_MHZ : F_MAX_MHZ),
		    "accel3 cap %.0f MHz, overtemp %d", r.pw.caps_mhz[3], was);
		for (i = 0; i < r.naccel; i++)
			REQUIRE(i == 3 || (r.ps[i].clock_mhz == F_MAX_MHZ &&
			                      !r.pw.guard.overtemp[i]),
			    "accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
		if (trips > 0) {
			peak = fmax(peak, r.ps[3].temp_c);
			low = fmin(low, r.ps[3].temp_c);
		}
	}
	/* Under `performance` the part heats past 90 °C at f_max and cools
	 * under 85 °C at f_min within seconds, so it cycles; every change
	 * happened beyond its end of the band (checked above), none inside. */
	printf("  300 s: accel3 tripped %d and cleared %d time(s), between "
	       "%.1f and %.1f °C\n",
	    trips, clears, low, peak);
	REQUIRE(trips >= 1 && clears >= 1, "no full cycle");
	REQUIRE(peak < 93, "accel3 reached %.1f °C", peak);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* Flow lost on the node's branch: every accelerator to f_min in the sample
 * whose loop reading first shows it under 2 L/min. */
static int
t_lowflow(const struct plugins *pl)
{
	static const struct pod_kv loss[] = {{"fault", "flowloss@10", "t:1"}};
	struct rig r;
	int k;

	REQUIRE(rig_open(&r, pl, 32, NULL, 0, loss, 1) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	for (k = 0; k < 30; k++) {
		REQUIRE(rig_step(&r) == 0, "step");
		REQUIRE(r.pw.guard.lowflow == (r.cs.flow_lpm < 2),
		    "lowflow %d at %.2f L/min", r.pw.guard.lowflow,
		    r.cs.flow_lpm);
		if (r.pw.guard.lowflow)
			break;
		REQUIRE(r.ps[0].clock_mhz == F_MAX_MHZ,
		    "throttled at %.2f L/min", r.cs.flow_lpm);
	}
	REQUIRE(r.pw.guard.lowflow && all_at_min(&r),
	    "flow %.2f L/min: accel0 at %.0f MHz", r.cs.flow_lpm,
	    r.ps[0].clock_mhz);
	REQUIRE(rig_run(&r, 60) == 0 && all_at_min(&r), "released");
	printf("  flow %.2f L/min after %d s: all at %.0f MHz, node %.0f W\n",
	    r.cs.flow_lpm, k, F_MIN_MHZ, rig_node_w(&r));
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* The fallback cap: applies once the controller has been silent for
 * fallback_after_s, and until it answers. */
static int
t_fallback(const struct plugins *pl)
{
	struct rig r;
	int k;

	REQUIRE(rig_open(&r, pl, 33, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"performance\", \"cap_w\": 6000, "
	               "\"fallback_cap_w\": 3500, \"fallback_after_s\": 20}");
	for (k = 0; k < 40; k++) {
		r.silent_s = k;
		REQUIRE(rig_step(&r) == 0, "step");
		REQUIRE(r.pw.fallback == (k >= 20), "fallback %d after %d s",
		    r.pw.fallback, k);
		REQUIRE(r.pw.node_cap_w == (k >= 20 ? 3500 : 6000),
		    "cap %.0f W", r.pw.node_cap_w);
	}
	REQUIRE(fabs(rig_node_w(&r) - 3500) < 0.02 * 3500,
	    "node %.0f W under the "
	    "fallback",
	    rig_node_w(&r));
	printf(
	    "  silent 20 s: fallback 3500 W, node at %.0f W\n", rig_node_w(&r));
	r.silent_s = 0;
	REQUIRE(rig_run(&r, 10) == 0, "run");
	REQUIRE(!r.pw.fallback && r.pw.node_cap_w == 6000 &&
	            fabs(rig_node_w(&r) - 6000) < 0.02 * 6000,
	    "answered: fallback %d, node %.0f W", r.pw.fallback,
	    rig_node_w(&r));
	/* No fallback cap: silence changes nothing. */
	rig_policy(&r, "{\"policy\": \"performance\", \"cap_w\": 6000}");
	r.silent_s = 1e6;
	REQUIRE(
	    rig_run(&r, 3) == 0 && !r.pw.fallback && r.pw.node_cap_w == 6000,
	    "fallback without a fallback cap");
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static const struct guardcase {
	const char *name;
	int (*fn)(const struct plugins *);
} cases[] = {
    {"leak_clearing", t_leak_clearing},
    {"thresholds", t_thresholds},
    {"no_flapping", t_no_flapping},
    {"leak_same_sample", t_leak_same_sample},
    {"overtemp", t_overtemp},
    {"lowflow", t_lowflow},
    {"fallback", t_fallback},
};

int
main(void)
{
	struct plugins pl = {NULL, NULL};
	size_t i;

	log_init("guard_test", LOG_LVL_WARN);
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
	return check_summary("guard_test");
}
