/*
 * dvfs_test: the DVFS policies (agentd/dvfs.c) closed around the real
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

#include "dvfs.h"
#include "log.h"
#include "plugin.h"
#include "power.h"

#define T0_MS      5000000 /* first read on the monotonic clock, ms */
#define F_MIN_MHZ  600.0   /* the sim's default clock range */
#define F_MAX_MHZ  1980.0
#define JOB_UTIL   0.95 /* the load pod-agentd asks for a job */
#define MAX_TRACE  600  /* samples a case may record */
#define SETTLE_MAX 6    /* periods a cap step may take to settle */

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("  %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
			printf(__VA_ARGS__);                                   \
			printf("\n");                                          \
			goto fail;                                             \
		}                                                              \
	} while (0)

struct plugins {
	struct plugin *power;
	struct plugin *cooling;
};

/* One simulated node under the agent's power code. */
struct rig {
	const struct plugins *pl;
	struct pod_host ph, ch;
	void *pctx, *cctx;
	struct pod_device dev[POD_MAX_DEVICES];
	int ndev, naccel, inode;
	struct pod_load load[POD_MAX_DEVICES];
	struct pod_sample ps[POD_MAX_DEVICES]; /* last power read */
	struct pod_sample cs;                  /* last loop read */
	struct sample s;                       /* as the agent keeps it */
	struct sample_accel sacc[DVFS_MAX_ACCELS];
	struct power pw;
	double applied[DVFS_MAX_ACCELS]; /* caps in force, MHz */
	double membound[DVFS_MAX_ACCELS];
	double silent_s; /* the controller's silence, s */
	int controls;    /* control() calls */
	int nsteps;
	int64_t now_ms;
};

static void
test_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > POD_LOG_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("  (plugin said: %s)\n", line);
}

static void
rig_close(struct rig *r)
{
	if (r->pctx != NULL)
		r->pl->power->desc->fini(r->pctx);
	if (r->cctx != NULL)
		r->pl->cooling->desc->fini(r->cctx);
	r->pctx = r->cctx = NULL;
}

/* A node with the given plugin keys, idle, under `performance`. */
static int
rig_open(struct rig *r, const struct plugins *pl, uint64_t seed,
    const struct pod_kv *pconf, int npconf, const struct pod_kv *cconf,
    int ncconf)
{
	struct pod_device accels[DVFS_MAX_ACCELS];
	int i;

	memset(r, 0, sizeof(*r));
	r->pl = pl;
	r->ph.node = r->ch.node = "pod01-n001";
	r->ph.seed = seed;
	r->ch.seed = seed ^ 0x5a5a5a5a5a5a5a5aull;
	r->ph.log = r->ch.log = test_log;
	r->ph.conf = pconf;
	r->ph.nconf = npconf;
	r->ch.conf = cconf;
	r->ch.nconf = ncconf;
	r->now_ms = T0_MS;
	r->inode = -1;
	r->silent_s = 0;
	if (pl->power->desc->init(&r->ph, &r->pctx) == -1 ||
	    pl->cooling->desc->init(&r->ch, &r->cctx) == -1)
		goto fail;
	r->ndev =
	    pl->power->desc->ops->devices(r->pctx, r->dev, POD_MAX_DEVICES);
	for (i = 0; i < r->ndev; i++) {
		if (r->dev[i].domain == POD_DOMAIN_ACCEL)
			accels[r->naccel++] = r->dev[i];
		else if (r->dev[i].domain == POD_DOMAIN_NODE)
			r->inode = i;
	}
	if (r->inode < 0 || r->naccel == 0)
		goto fail;
	power_init(&r->pw, accels, r->naccel, 2, 10);
	r->s.naccel = r->naccel;
	r->s.accels = r->sacc;
	for (i = 0; i < r->naccel; i++) {
		r->applied[i] = NAN;
		r->membound[i] = NAN;
	}
	return 0;
fail:
	printf("  cannot open the rig\n");
	rig_close(r);
	return -1;
}

/* Every accelerator in [from, to) runs work of util and membound, and the
 * agent knows how memory-bound it is. */
static void
rig_load(struct rig *r, int from, int to, double util, double membound)
{
	int i;

	for (i = from; i < to && i < r->naccel; i++) {
		r->load[i].util = util;
		r->load[i].membound = membound;
		r->membound[i] = util > 0 ? membound : NAN;
	}
}

static void
rig_policy(struct rig *r, const char *json)
{
	struct power_want w;
	json_t *o;
	char err[256];

	if ((o = json_loads(json, 0, NULL)) == NULL ||
	    power_parse(o, &w, err, sizeof(err)) == -1) {
		printf("  bad test policy %s\n", json);
		abort();
	}
	json_decref(o);
	power_set(&r->pw, &w);
}

static void
rig_apply(struct rig *r)
{
	struct pod_control c = {.set = POD_CTL_CLOCK};
	int i;

	for (i = 0; i < r->naccel; i++) {
		if (fabs(r->pw.caps_mhz[i] - r->applied[i]) < 0.5)
			continue;
		c.clock_max_mhz = r->pw.caps_mhz[i];
		if (r->pl->power->desc->ops->control(r->pctx, i, &c) == 0)
			r->applied[i] = c.clock_max_mhz;
		r->controls++;
	}
}

/* One agent tick, one simulated second after the last. */
static int
rig_step(struct rig *r)
{
	const struct pod_plugin_ops *pops = r->pl->power->desc->ops;
	const struct pod_plugin_ops *cops = r->pl->cooling->desc->ops;
	struct pod_env env;
	struct sample_loop *l = &r->s.loop;
	struct sample_accel *sa;
	double dt_s = r->nsteps > 0 ? 1.0 : 0.0;
	int i;

	if (r->nsteps++ > 0)
		r->now_ms += 1000;
	env.coolant_c = NAN;
	env.heat_w = r->nsteps > 1 ? r->ps[r->inode].power_w : NAN;
	env.load = NULL;
	env.nload = 0;
	cops->environ(r->cctx, &env);
	if (cops->read(r->cctx, r->now_ms, &r->cs, 1) == -1)
		return -1;
	r->s.has_loop = 1;
	l->valid = r->cs.valid;
	l->supply_c = r->cs.supply_c;
	l->return_c = r->cs.return_c;
	l->flow_lpm = r->cs.flow_lpm;
	l->leak = r->cs.leak;
	if (power_loop(&r->pw, l, dt_s))
		rig_apply(r);
	env.coolant_c = (r->cs.supply_c + r->cs.return_c) / 2;
	env.heat_w = NAN;
	env.load = r->load;
	env.nload = r->ndev;
	pops->environ(r->pctx, &env);
	if (pops->read(r->pctx, r->now_ms, r->ps, r->ndev) == -1)
		return -1;
	for (i = 0; i < r->naccel; i++) {
		sa = &r->sacc[i];
		sa->valid = r->ps[i].valid;
		sa->power_w = r->ps[i].power_w;
		sa->temp_c = r->ps[i].temp_c;
		sa->clock_mhz = r->ps[i].clock_mhz;
		sa->util_pct = r->ps[i].util_pct;
	}
	r->s.power_w = r->ps[r->inode].power_w;
	power_step(&r->pw, &r->s, r->membound, dt_s, r->silent_s);
	rig_apply(r);
	return 0;
}

static int
rig_run(struct rig *r, int seconds)
{
	int i;

	for (i = 0; i < seconds; i++)
		if (rig_step(r) == -1)
			return -1;
	return 0;
}

static double
node_w(const struct rig *r)
{
	return r->ps[r->inode].power_w;
}

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

	CHECK(rig_open(&r, pl, 11, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	CHECK(rig_run(&r, 30) == 0, "run");
	busy_w = node_w(&r);
	for (i = 0; i < r.naccel; i++)
		CHECK(r.ps[i].clock_mhz == F_MAX_MHZ &&
		          r.pw.caps_mhz[i] == F_MAX_MHZ,
		    "performance: accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
	CHECK(!r.pw.limiting, "limiting without a cap");
	CHECK(r.controls == r.naccel, "%d control() calls for one setting",
	    r.controls);
	rig_policy(&r, "{\"policy\": \"powersave\"}");
	CHECK(rig_run(&r, 30) == 0, "run");
	save_w = node_w(&r);
	printf("  performance %.0f W, powersave %.0f W\n", busy_w, save_w);
	for (i = 0; i < r.naccel; i++)
		CHECK(r.ps[i].clock_mhz == F_MIN_MHZ &&
		          r.pw.caps_mhz[i] == F_MIN_MHZ,
		    "powersave: accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
	CHECK(save_w < 0.5 * busy_w, "powersave draws %.0f W", save_w);
	CHECK(r.controls == 2 * r.naccel, "%d control() calls for two settings",
	    r.controls);
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

	CHECK(rig_open(&r, pl, 12, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": "
	               "6000}}");
	CHECK(rig_run(&r, 60) == 0, "run");
	CHECK(r.pw.limiting, "6 kW does not limit a %.0f W node", node_w(&r));
	for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		y[0] = node_w(&r);
		rig_policy(&r, steps[k].policy);
		for (i = 1; i <= n; i++) {
			if (i == n / 2)
				controls = r.controls;
			CHECK(rig_step(&r) == 0, "step");
			y[i] = node_w(&r);
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
		CHECK(rs.settle <= SETTLE_MAX, "settled after %d periods",
		    rs.settle);
		CHECK(rs.over <= 0.05, "overshoot %.1f %%", 100 * rs.over);
		CHECK(!rs.growing && rs.crossings <= 1,
		    "oscillates: %d swings%s", rs.crossings,
		    rs.growing ? ", growing" : "");
		for (i = rs.settle; i <= n; i++)
			CHECK(fabs(y[i] - steps[k].cap_w) <=
			          0.02 * steps[k].cap_w,
			    "%.0f W at %d s, cap %.0f W", y[i], i,
			    steps[k].cap_w);
		CHECK(r.pw.limiting && r.pw.node_cap_w == steps[k].cap_w,
		    "limiting %d, cap %.0f W", r.pw.limiting, r.pw.node_cap_w);
		/* Held, not chattering: noise does not move the clocks. */
		CHECK(controls <= 2 * r.naccel,
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

	CHECK(rig_open(&r, pl, 13, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"power_cap\", \"params\": {\"cap_w\": "
	               "6000}, \"cap_w\": 5000}");
	CHECK(rig_run(&r, 20) == 0, "run");
	for (i = 0; i < 20; i++) {
		CHECK(rig_step(&r) == 0, "step");
		CHECK(fabs(node_w(&r) - 5000) <= 100, "%.0f W under 5000 W",
		    node_w(&r));
		sum += node_w(&r) / 20;
	}
	CHECK(r.pw.node_cap_w == 5000 && r.pw.limiting, "cap %.0f W",
	    r.pw.node_cap_w);
	printf("  power_cap 6000 W, cap_w 5000 W: mean %.0f W\n", sum);
	rig_policy(&r, "{\"policy\": \"performance\", \"cap_w\": 7500}");
	CHECK(rig_run(&r, 10) == 0, "run");
	CHECK(!r.pw.limiting && r.pw.node_cap_w == 7500, "limiting at %.0f W",
	    node_w(&r));
	for (i = 0; i < r.naccel; i++)
		CHECK(r.ps[i].clock_mhz == F_MAX_MHZ, "accel%d at %.0f MHz", i,
		    r.ps[i].clock_mhz);
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

	CHECK(rig_open(&r, pl, 14, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 4, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"performance\", \"cap_w\": 3000}");
	CHECK(rig_run(&r, 30) == 0, "run");
	for (i = 0; i < 8; i++) {
		if (i < 4)
			busy_w += r.ps[i].power_w / 4;
		else
			idle_w += r.ps[i].power_w / 4;
	}
	printf("  cap 3000 W: node %.0f W, busy accelerators %.0f W at "
	       "%.0f MHz, idle ones %.0f W at %.0f MHz\n",
	    node_w(&r), busy_w, r.ps[0].clock_mhz, idle_w, r.ps[4].clock_mhz);
	CHECK(fabs(node_w(&r) - 3000) < 0.02 * 3000, "node %.0f W", node_w(&r));
	CHECK(
	    busy_w > 2.5 * idle_w, "busy %.0f W, idle %.0f W", busy_w, idle_w);
	/* Equal levels: no accelerator more than one step from another. */
	for (i = 1; i < 8; i++)
		CHECK(
		    fabs(r.pw.caps_mhz[i] - r.pw.caps_mhz[0]) <= DVFS_STEP_MHZ,
		    "accel%d at %.0f MHz, accel0 at %.0f MHz", i,
		    r.pw.caps_mhz[i], r.pw.caps_mhz[0]);
	rig_load(&r, 4, 8, JOB_UTIL, 0.7);
	CHECK(rig_step(&r) == 0, "step");
	printf("  a second job: the node jumps to %.0f W for one period\n",
	    node_w(&r));
	CHECK(rig_run(&r, SETTLE_MAX) == 0, "run");
	for (i = 0; i < 20; i++) {
		CHECK(rig_step(&r) == 0, "step");
		CHECK(fabs(node_w(&r) - 3000) < 0.02 * 3000,
		    "node %.0f W after the second job", node_w(&r));
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

	CHECK(rig_open(&r, pl, 15, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	CHECK(rig_run(&r, 30) == 0, "run");
	for (k = 0; k < sizeof(fractions) / sizeof(fractions[0]); k++) {
		char json[128];

		ref = node_w(&r);
		snprintf(json, sizeof(json),
		    "{\"policy\": \"curtail\", \"params\": {\"fraction\": "
		    "%g}}",
		    fractions[k]);
		rig_policy(&r, json);
		CHECK(rig_run(&r, SETTLE_MAX + 1) == 0, "run");
		target = fractions[k] * ref;
		CHECK(fabs(r.pw.node_cap_w - target) < 0.02 * target,
		    "reference: cap %.0f W, want %.0f W", r.pw.node_cap_w,
		    target);
		for (i = 0; i < 20; i++) {
			CHECK(rig_step(&r) == 0, "step");
			CHECK(fabs(node_w(&r) - target) < 0.025 * target,
			    "%.0f W, target %.0f W", node_w(&r), target);
		}
		printf("  curtail %.1f of %.0f W: %.0f W\n", fractions[k], ref,
		    node_w(&r));
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
	CHECK(rig_open(&r, pl, 16, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	CHECK(rig_run(&r, 40) == 0, "run");
	y[0] = hottest_c(&r);
	rig_policy(&r, "{\"policy\": \"thermal\", \"params\": {\"target_c\": "
	               "60}}");
	for (i = 1; i <= n; i++) {
		CHECK(rig_step(&r) == 0, "step");
		y[i] = hottest_c(&r);
	}
	response_of(y, n + 1, 60, 1.0 / 60, 0.5 / 60, &rs);
	printf("  %.1f → 60 °C: within 1 K after %d s, overshoot %.2f K, "
	       "then within %.2f K, mean %.2f °C, %d swings\n",
	    y[0], rs.settle, 60 * rs.over, 60 * rs.band, 60 * rs.mean_share,
	    rs.crossings);
	CHECK(rs.settle <= 40, "settled after %d s", rs.settle);
	CHECK(60 * rs.over <= 1.5, "overshoot %.2f K", 60 * rs.over);
	CHECK(!rs.growing && rs.crossings <= 2, "oscillates: %d swings",
	    rs.crossings);
	/* Under the target, by less than the clock step's worth. */
	CHECK(60 * rs.mean_share > 58.5 && 60 * rs.mean_share < 60.3,
	    "mean %.2f °C", 60 * rs.mean_share);
	CHECK(!r.pw.limiting, "thermal throttling is not a cap");
	rig_close(&r);

	CHECK(rig_open(&r, pl, 17, hot, 1, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.1);
	rig_policy(&r, "{\"policy\": \"thermal\"}");
	CHECK(rig_run(&r, 120) == 0, "run");
	for (i = 0; i < 60; i++) {
		CHECK(rig_step(&r) == 0, "step");
		CHECK(r.ps[3].temp_c < 81, "accel3 at %.1f °C", r.ps[3].temp_c);
	}
	for (i = 0; i < r.naccel; i++)
		if (i != 3) {
			CHECK(r.ps[i].clock_mhz == F_MAX_MHZ,
			    "accel%d at %.0f MHz", i, r.ps[i].clock_mhz);
			others = fmax(others, r.ps[i].temp_c);
		}
	printf("  hot accel3 held at %.1f °C (%.0f MHz), the others at "
	       "%.0f MHz, %.1f °C\n",
	    r.ps[3].temp_c, r.ps[3].clock_mhz, F_MAX_MHZ, others);
	CHECK(r.ps[3].temp_c > 78, "accel3 needlessly cold: %.1f °C",
	    r.ps[3].temp_c);
	CHECK(r.pw.guard.overtemp[3] == 0, "the guard had to act");
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
		CHECK(out.clock_cap_mhz[i] == F_MAX_MHZ,
		    "outlet under target: %.0f MHz", out.clock_cap_mhz[i]);
	in.return_c = 84;
	dvfs_step(&d, &in, &out);
	for (i = 0; i < 4; i++)
		CHECK(out.clock_cap_mhz[i] < F_MAX_MHZ - 100,
		    "outlet 4 K over: %.0f MHz", out.clock_cap_mhz[i]);
	printf("  outlet 84 °C for 80: clocks to %.0f MHz\n",
	    out.clock_cap_mhz[0]);
	return 0;
fail:
	return -1;
}

/* Energy and work of one run of `seconds` under policy, from the
 * simulation's clocks and energy counters; work per accelerator per second
 * is 1/T(f) of T(f_max) = 1, with the true β of its load. */
static int
energy_run(const struct plugins *pl, const char *policy, int seconds,
    double *energy_j, double *work, double *worst_slowdown, double *clk)
{
	struct rig r;
	double e0[DVFS_MAX_ACCELS], beta, sd;
	int i, k;

	CHECK(rig_open(&r, pl, 18, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 4, JOB_UTIL, 0.1);
	rig_load(&r, 4, 8, JOB_UTIL, 0.7);
	rig_policy(&r, policy);
	CHECK(rig_run(&r, 30) == 0, "run");
	for (i = 0; i < r.naccel; i++)
		e0[i] = r.ps[i].energy_j;
	*work = 0;
	*worst_slowdown = 0;
	for (k = 0; k < seconds; k++) {
		CHECK(rig_step(&r) == 0, "step");
		for (i = 0; i < r.naccel; i++) {
			beta =
			    dvfs_beta(100 * r.load[i].util, r.load[i].membound);
			sd = dvfs_slowdown(beta, r.ps[i].clock_mhz, F_MAX_MHZ);
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

	CHECK(energy_run(pl, "{\"policy\": \"performance\"}", 60, &pe, &pw, &ps,
	          pclk) == 0,
	    "performance run");
	CHECK(energy_run(pl,
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
		CHECK(eclk[i] < F_MAX_MHZ && eclk[i + 4] < eclk[i],
		    "compute accel%d %.0f MHz, memory accel%d %.0f MHz", i,
		    eclk[i], i + 4, eclk[i + 4]);
	}
	CHECK(es <= 0.05, "slowdown %.2f %% over the bound", 100 * es);
	CHECK(ew / pw >= 0.95, "work %.1f %%", 100 * ew / pw);
	CHECK(ee / ew < pe / pw, "no energy saved per unit of work");
	return 0;
fail:
	return -1;
}

/* Utilisation noise does not flip the energy policy's clock. */
static int
t_energy_steady(const struct plugins *pl)
{
	struct rig r;

	CHECK(rig_open(&r, pl, 19, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 0, 8, JOB_UTIL, 0.4);
	rig_policy(&r, "{\"policy\": \"energy\"}");
	CHECK(rig_run(&r, 20) == 0, "run");
	r.controls = 0;
	CHECK(rig_run(&r, 200) == 0, "run");
	printf("  %d control() calls in 200 s at %.0f MHz\n", r.controls,
	    r.ps[0].clock_mhz);
	CHECK(r.controls <= 8, "%d control() calls", r.controls);
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
	int pass = 0, fail = 0;

	log_init("dvfs_test", LOG_LVL_WARN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	pl.power = plugin_load(NULL, "power", "sim");
	pl.cooling = plugin_load(NULL, "cooling", "sim");
	if (pl.power == NULL || pl.cooling == NULL) {
		printf("dvfs_test: cannot load the plugins from %s\n",
		    plugin_default_dir());
		fail = 1;
		goto done;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printf("%s\n", cases[i].name);
		if (cases[i].fn(&pl) == 0) {
			printf("ok %s\n", cases[i].name);
			pass++;
		} else {
			printf("FAIL %s\n", cases[i].name);
			fail++;
		}
	}
done:
	plugin_unload(pl.power);
	plugin_unload(pl.cooling);
	printf("dvfs_test: %d passed, %d failed\n", pass, fail);
	return fail == 0 ? 0 : 1;
}
