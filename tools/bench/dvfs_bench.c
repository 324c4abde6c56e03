/*
 * dvfs_bench: what the DVFS policies and the safety guard buy and cost, on
 * simulated nodes (the power and cooling sim plugins, loaded as pod-agentd
 * loads them) driven by the agent's own power code (agentd/power.c,
 * dvfs.c, guard.c). Three measurements:
 *
 *	energy		a node under a steady job mix, once under
 *			`performance` and once under `energy`, same seed:
 *			energy per unit of work and the slowdown, as ratios
 *			from the same run length; work per accelerator and
 *			second is 1/T(f) of the energy model (docs/dvfs.md)
 *			with the true memory-boundness of the load
 *	cap step	power_cap stepped on a busy node: periods until the
 *			node power stays within 2 % of the cap, overshoot
 *			past it, and the band it is then held in
 *	leak		the real agent core (agentd/agent.h) on its event
 *			loop with a leak planted in the loop: in which sample
 *			period the accelerators run at f_min, and how long
 *			after the loop read the last control() returned
 *
 * The first two run in virtual time (one simulated second per step, as
 * fast as the CPU allows); the third in real time at a 100 ms interval.
 * It prints a Markdown fragment for docs/benchmarks.md; --tiny runs each
 * part briefly so that ctest keeps it compiling and running.
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "agent.h"
#include "dvfs.h"
#include "log.h"
#include "net.h"
#include "plugin.h"
#include "power.h"
#include "simrig.h"

#define F_MIN_MHZ    600.0 /* the sim's default clock range */
#define F_MAX_MHZ    1980.0
#define JOB_UTIL     0.95 /* the load pod-agentd asks for a job */
#define WARMUP_S     60   /* before anything is measured, s */
#define STEP_S       60   /* a cap step is watched this long, s */
#define TAIL_S       30   /* its steady part, the last, s */
#define BAND_SHARE   0.02 /* settled: within this share of the cap */
#define LEAK_MS      100  /* the agent's interval in the leak runs, ms */
#define LEAK_AT      "leak@0.55"
#define LEAK_WAIT_MS 5000 /* a leak run gives up after, ms */
#define MAX_RUNS     1000

/*
 * The steady mix: accelerator, its load (util, membound) and the class it
 * is reported under. Half compute-bound training, a quarter memory-bound
 * (inference, data movement), one mixed, one idle.
 */
static const struct mixrow {
	double util, membound;
	const char *cls;
} mix[8] = {
    {JOB_UTIL, 0.1, "compute-bound"},
    {JOB_UTIL, 0.1, "compute-bound"},
    {JOB_UTIL, 0.1, "compute-bound"},
    {JOB_UTIL, 0.1, "compute-bound"},
    {JOB_UTIL, 0.7, "memory-bound"},
    {JOB_UTIL, 0.7, "memory-bound"},
    {JOB_UTIL, 0.4, "mixed"},
    {0.0, 0.0, "idle"},
};

static const char *const classes[] = {
    "compute-bound", "memory-bound", "mixed", "idle"};
#define NCLASSES 4

/* What one energy run measured, per class of accelerator and in all. */
struct erun {
	double energy_j[NCLASSES + 1];  /* accelerators' counters, J */
	double work[NCLASSES + 1];      /* units of work done */
	double clock_mhz[NCLASSES + 1]; /* mean clock run */
	double node_j;                  /* the node's counter, J */
	int n[NCLASSES + 1];            /* accelerators in the class */
};

static int
class_of(int i)
{
	int c;

	for (c = 0; c < NCLASSES; c++)
		if (strcmp(mix[i].cls, classes[c]) == 0)
			return c;
	return NCLASSES - 1;
}

static int
energy_run(
    const struct plugins *pl, const char *policy, int seconds, struct erun *out)
{
	struct rig r;
	double e0[8], node0, beta, sd;
	int i, k, c;

	memset(out, 0, sizeof(*out));
	if (rig_open(&r, pl, 7, NULL, 0, NULL, 0) == -1)
		return -1;
	for (i = 0; i < 8 && i < r.naccel; i++)
		rig_load(&r, i, i + 1, mix[i].util, mix[i].membound);
	rig_policy(&r, policy);
	if (rig_run(&r, WARMUP_S) == -1)
		goto fail;
	for (i = 0; i < r.naccel; i++)
		e0[i] = r.ps[i].energy_j;
	node0 = r.ps[r.inode].energy_j;
	for (k = 0; k < seconds; k++) {
		if (rig_step(&r) == -1)
			goto fail;
		for (i = 0; i < 8 && i < r.naccel; i++) {
			c = class_of(i);
			beta = dvfs_beta(100 * mix[i].util, mix[i].membound);
			sd = dvfs_slowdown(beta, r.ps[i].clock_mhz, F_MAX_MHZ);
			if (mix[i].util > 0) {
				out->work[c] += 1.0 / (1.0 + sd);
				out->work[NCLASSES] += 1.0 / (1.0 + sd);
			}
			out->clock_mhz[c] += r.ps[i].clock_mhz;
		}
	}
	for (i = 0; i < 8 && i < r.naccel; i++) {
		c = class_of(i);
		out->energy_j[c] += r.ps[i].energy_j - e0[i];
		out->energy_j[NCLASSES] += r.ps[i].energy_j - e0[i];
		out->n[c]++;
		out->n[NCLASSES]++;
	}
	for (c = 0; c < NCLASSES; c++)
		if (out->n[c] > 0)
			out->clock_mhz[c] /= (double)out->n[c] * seconds;
	out->node_j = r.ps[r.inode].energy_j - node0;
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static int
bench_energy(const struct plugins *pl, int seconds)
{
	static const double bounds[] = {5, 10};
	struct erun perf, en;
	char policy[128];
	size_t b;
	int c;

	if (energy_run(pl, "{\"policy\": \"performance\"}", seconds, &perf) ==
	    -1)
		return -1;
	printf("### Energy per unit of work: `energy` against "
	       "`performance`\n\n");
	printf("One simulated node (8 x 700 W, 30 °C supply, 10 L/min), "
	       "%d s after a %d s warm-up, the same seed for every run. "
	       "Load: 4 compute-bound accelerators (util 0.95, membound "
	       "0.1), 2 memory-bound (0.95, 0.7), 1 mixed (0.95, 0.4), 1 "
	       "idle. Work per accelerator-second is 1/T(f) with "
	       "T(f)/T(f_max) = beta f_max/f + 1 - beta and the load's true "
	       "beta = util (1 - membound); the agent estimates beta from "
	       "the measured utilisation and the load it asked for. Energy "
	       "is the plugin's counters.\n\n",
	    seconds, WARMUP_S);
	printf("| slowdown bound | class | clock (MHz) | energy / work | "
	       "slowdown |\n");
	printf("|---:|---|---:|---:|---:|\n");
	for (b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		snprintf(policy, sizeof(policy),
		    "{\"policy\": \"energy\", \"params\": {\"slowdown_pct\": "
		    "%g}}",
		    bounds[b]);
		if (energy_run(pl, policy, seconds, &en) == -1)
			return -1;
		for (c = 0; c <= NCLASSES; c++) {
			if (c < NCLASSES && (c == NCLASSES - 1 || en.n[c] == 0))
				continue;
			if (c == NCLASSES)
				printf("| %g %% | **all accelerators** | | "
				       "**%.3f** | **%.2f %%** |\n",
				    bounds[b],
				    (en.energy_j[c] / en.work[c]) /
				        (perf.energy_j[c] / perf.work[c]),
				    100 * (perf.work[c] / en.work[c] - 1));
			else
				printf("| %g %% | %s | %.0f (perf. %.0f) | "
				       "%.3f | %.2f %% |\n",
				    bounds[b], classes[c], en.clock_mhz[c],
				    perf.clock_mhz[c],
				    (en.energy_j[c] / en.work[c]) /
				        (perf.energy_j[c] / perf.work[c]),
				    100 * (perf.work[c] / en.work[c] - 1));
		}
		printf("| %g %% | node (host included) | | %.3f | |\n",
		    bounds[b],
		    (en.node_j / en.work[NCLASSES]) /
		        (perf.node_j / perf.work[NCLASSES]));
	}
	printf("\nEnergy / work and slowdown are ratios to the `performance` "
	       "run: 0.900 is 10 %% less energy per unit of work. The idle "
	       "accelerator (f_min under `energy`) does no work; its energy "
	       "counts in \"all\".\n\n");
	return 0;
}

/* What one cap step did. */
struct stepres {
	int settle;   /* periods until within BAND_SHARE of the cap */
	double over;  /* past the set point, share of it */
	double mean;  /* last TAIL_S: mean, share of the cap */
	double max;   /* last TAIL_S: highest, share of the cap */
	double sigma; /* last TAIL_S: standard deviation, share */
	int controls; /* control() calls in the last TAIL_S */
};

/* One cap step on a busy node: from `from_w` (NaN: uncapped) to `to_w`. */
static int
cap_step(
    const struct plugins *pl, double from_w, double to_w, struct stepres *out)
{
	struct rig r;
	char policy[128];
	double trace[STEP_S + 1], sp = to_w * (1 - DVFS_CAP_MARGIN), dev;
	double sum = 0, sum2 = 0;
	int k, down, last_out = 0, controls0 = 0;

	memset(out, 0, sizeof(*out));
	if (rig_open(&r, pl, 8, NULL, 0, NULL, 0) == -1)
		return -1;
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	if (isfinite(from_w)) {
		snprintf(policy, sizeof(policy),
		    "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": "
		    "%g}}",
		    from_w);
		rig_policy(&r, policy);
	}
	if (rig_run(&r, WARMUP_S) == -1)
		goto fail;
	down = rig_node_w(&r) > to_w;
	snprintf(policy, sizeof(policy),
	    "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": %g}}", to_w);
	rig_policy(&r, policy);
	for (k = 1; k <= STEP_S; k++) {
		if (k == STEP_S - TAIL_S + 1)
			controls0 = r.controls;
		if (rig_step(&r) == -1)
			goto fail;
		trace[k] = rig_node_w(&r);
		if (fabs(trace[k] - to_w) > BAND_SHARE * to_w)
			last_out = k;
		dev = (trace[k] - sp) / sp;
		if (down && -dev > out->over)
			out->over = -dev;
		if (!down && k > 1 && dev > out->over)
			out->over = dev;
	}
	out->settle = last_out + 1;
	for (k = STEP_S - TAIL_S + 1; k <= STEP_S; k++) {
		sum += trace[k];
		sum2 += trace[k] * trace[k];
		out->max = fmax(out->max, trace[k] / to_w);
	}
	out->mean = sum / TAIL_S / to_w;
	out->sigma =
	    sqrt(fmax(0, sum2 / TAIL_S - (sum / TAIL_S) * (sum / TAIL_S))) /
	    to_w;
	out->controls = r.controls - controls0;
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static int
bench_cap(const struct plugins *pl)
{
	static const struct {
		double from_w, to_w;
	} steps[] = {
	    {6000, 4000},
	    {4000, 6000},
	    {NAN, 5000},
	    {NAN, 3000},
	    {6000, 2500},
	};
	struct stepres sr;
	size_t k;

	printf("### `power_cap`: step response\n\n");
	printf("A busy node (8 accelerators at util 0.95, compute-bound; "
	       "~6.6 kW uncapped) held %d s under the first cap, then the "
	       "cap stepped; one sample per second, %d s watched. Settled: "
	       "the node power stays within %.0f %% of the new cap from "
	       "that period on (period 1 still shows the old clocks: the new "
	       "caps go out after it). Overshoot: the farthest past the set "
	       "point (%.0f %% under the cap) in the direction of the step. "
	       "The last three columns are over the last %d s: mean and "
	       "highest sample as a share of the cap, and the standard "
	       "deviation (the sensors alone give about 0.3 %%).\n\n",
	    WARMUP_S, STEP_S, 100 * BAND_SHARE, 100 * DVFS_CAP_MARGIN, TAIL_S);
	printf("| step | settled after (periods) | overshoot | mean / cap | "
	       "max / cap | σ | control() calls |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		if (cap_step(pl, steps[k].from_w, steps[k].to_w, &sr) == -1)
			return -1;
		if (isfinite(steps[k].from_w))
			printf("| %.0f W → %.0f W ", steps[k].from_w,
			    steps[k].to_w);
		else
			printf("| uncapped → %.0f W ", steps[k].to_w);
		printf("| %d | %.1f %% | %.3f | %.3f | %.2f %% | %d |\n",
		    sr.settle, 100 * sr.over, sr.mean, sr.max, 100 * sr.sigma,
		    sr.controls);
	}
	printf("\n");
	return 0;
}

/* The leak runs: one agent per run on a loop of its own. */
struct leakrun {
	struct agent *a;
	struct event_base *base;
	struct event *poll;
	int64_t deadline_ms;
	int done;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct leakrun *lr = arg;
	struct agent_stats st;

	agent_stats(lr->a, &st);
	if (st.guard_trip_seq > 0 || now_ms() > lr->deadline_ms) {
		lr->done = 1;
		event_base_loopbreak(lr->base);
	}
}

static int
leak_run(const struct plugin *power, const struct plugin *cooling, int run,
    struct agent_stats *out)
{
	struct timeval tv = {0, 5000};
	struct leakrun lr;
	struct agent_conf ac;
	struct net *net = NULL;
	char err[256];
	int rc = -1;

	memset(&lr, 0, sizeof(lr));
	agentconf_init(&ac);
	if ((lr.base = event_base_new()) == NULL ||
	    (net = net_new(lr.base)) == NULL ||
	    agentconf_set_server(&ac, "http://127.0.0.1:1", err, sizeof(err)) ==
	        -1 ||
	    agentconf_kv_add(&ac.cooling_kv, "fault", LEAK_AT, "bench") == -1)
		goto fail;
	snprintf(ac.name, sizeof(ac.name), "pod01-n%03d", run % 1000 + 1);
	ac.interval_ms = LEAK_MS;
	ac.job_runner = AGENT_JOBS_SIMULATED;
	if ((lr.a = agent_new(net, &ac, &power, cooling)) == NULL ||
	    (lr.poll = event_new(lr.base, -1, EV_PERSIST, on_poll, &lr)) ==
	        NULL ||
	    event_add(lr.poll, &tv) == -1 || agent_start(lr.a, 0) == -1)
		goto fail;
	lr.deadline_ms = now_ms() + LEAK_WAIT_MS;
	event_base_dispatch(lr.base);
	agent_stats(lr.a, out);
	rc = out->guard_trip_seq > 0 ? 0 : -1;
fail:
	if (lr.poll != NULL)
		event_free(lr.poll);
	agent_free(lr.a);
	net_free(net);
	if (lr.base != NULL)
		event_base_free(lr.base);
	agentconf_free(&ac);
	return rc;
}

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return (a > b) - (a < b);
}

static int
bench_leak(const struct plugin *power, const struct plugin *cooling, int runs)
{
	struct agent_stats st;
	int64_t us[MAX_RUNS];
	int k, same = 0;

	for (k = 0; k < runs; k++) {
		if (leak_run(power, cooling, k, &st) == -1) {
			fprintf(stderr,
			    "dvfs_bench: leak run %d: no throttle\n", k);
			return -1;
		}
		us[k] = st.guard_trip_us;
		same += st.guard_trip_clock_mhz == F_MIN_MHZ;
	}
	qsort(us, runs, sizeof(us[0]), cmp_i64);
	printf("### Leak → throttle in the agent\n\n");
	printf("The agent core (`agentd/agent.c`) on its own event loop, "
	       "sampling every %d ms, the cooling sim with `fault = %s`, the "
	       "controller unreachable; %d runs. The leak is seen at the "
	       "first loop read after it (so at most one interval after the "
	       "fact); the guard then sets every accelerator to f_min before "
	       "the accelerators are read.\n\n",
	    LEAK_MS, LEAK_AT, runs);
	printf("| measurement | value |\n|---|---:|\n");
	printf("| sample periods from the first sample showing the leak to "
	       "clocks at f_min | 0 in %d of %d runs |\n",
	    same, runs);
	printf("| loop read → last `control()` returned, median | %.3f ms "
	       "|\n",
	    us[runs / 2] / 1000.0);
	printf("| loop read → last `control()` returned, worst | %.3f ms "
	       "|\n",
	    us[runs - 1] / 1000.0);
	printf("| the leak → clocks at f_min, worst case | one interval "
	       "(%d ms) + %.3f ms |\n\n",
	    LEAK_MS, us[runs - 1] / 1000.0);
	return same == runs ? 0 : -1;
}

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: dvfs_bench [--seconds n] [--runs n] "
	                "[--tiny]\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"runs", required_argument, NULL, 'r'},
	    {"tiny", no_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	struct plugins pl = {NULL, NULL};
	char *end;
	long v;
	int c, seconds = 600, runs = 20, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
		case 'r':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > (c == 's' ? 86400 : MAX_RUNS))
				usage();
			if (c == 's')
				seconds = (int)v;
			else
				runs = (int)v;
			break;
		case 't':
			seconds = 30;
			runs = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("dvfs_bench", LOG_LVL_ERROR);
	pl.power = plugin_load(NULL, "power", "sim");
	pl.cooling = plugin_load(NULL, "cooling", "sim");
	if (pl.power == NULL || pl.cooling == NULL) {
		fprintf(stderr,
		    "dvfs_bench: cannot load the sim plugins from "
		    "%s\n",
		    plugin_default_dir());
		goto done;
	}
	if (bench_energy(&pl, seconds) == -1 || bench_cap(&pl) == -1 ||
	    bench_leak(pl.power, pl.cooling, runs) == -1)
		goto done;
	rc = 0;
done:
	plugin_unload(pl.power);
	plugin_unload(pl.cooling);
	return rc;
}
