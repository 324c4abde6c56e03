/*
 * sim_test: the two simulation plugins, power/sim and cooling/sim, loaded as
 * the built shared objects through the project's loader (common/plugin.c), so
 * that loading is covered too. Most cases drive both plugins coupled the way
 * pod-agentd does: the power plugin hears the mean coolant temperature of the
 * last loop sample, the cooling plugin the node's last electrical power, and
 * both are read once per simulated second. The assertions are physical (heat
 * balance, responses in the right direction, limits honoured, faults on time)
 * plus determinism and the refusals (bad config keys, a foreign ABI major).
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "plugin.h"

#define RHO_KG_PER_L  1.02    /* coolant density the cooling sim uses, kg/L */
#define CP_J_PER_KG_K 3900.0  /* and its heat capacity, J/(kg·K) */
#define T0_MS         5000000 /* first read on the monotonic clock, ms */

struct plugins {
	struct plugin *power;   /* power-sim.so */
	struct plugin *cooling; /* cooling-sim.so */
};

/* What the plugins of one rig logged. */
struct logbuf {
	int nerror;     /* POD_LOG_ERROR lines */
	char last[512]; /* the last line of any level */
};

/* One simulated node: a power and a cooling instance, coupled. */
struct rig {
	struct pod_host ph, ch;
	struct logbuf log;
	const struct plugins *pl;
	void *pctx, *cctx;
	struct pod_device dev[POD_MAX_DEVICES];
	int ndev;   /* power devices */
	int naccel; /* of which accelerators */
	int inode;  /* index of "node" */
	struct pod_load load[POD_MAX_DEVICES];
	struct pod_sample ps[POD_MAX_DEVICES]; /* last power samples */
	struct pod_sample cs;                  /* last loop sample */
	double heat_in_w; /* heat handed to the loop at the last step, W */
	int nsteps;
	int64_t first_ms; /* first read, ms */
	int64_t now_ms;   /* last read, ms */
};

static void
test_log(
    const struct pod_host *host, enum pod_log_level level, const char *fmt, ...)
{
	struct logbuf *lb = host->opaque;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lb->last, sizeof(lb->last), fmt, ap);
	va_end(ap);
	if (level == POD_LOG_ERROR) {
		lb->nerror++;
		printf("  (plugin said: %s)\n", lb->last);
	}
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

/* Creates both instances with the given keys. 0, or -1 (said why). */
static int
rig_open(struct rig *r, const struct plugins *pl, uint64_t seed,
    const struct pod_kv *pconf, int npconf, const struct pod_kv *cconf,
    int ncconf)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->pl = pl;
	r->ph.node = r->ch.node = "pod01-n001";
	r->ph.seed = seed;
	r->ch.seed = seed ^ 0x5a5a5a5a5a5a5a5aull;
	r->ph.log = r->ch.log = test_log;
	r->ph.opaque = r->ch.opaque = &r->log;
	r->ph.conf = pconf;
	r->ph.nconf = npconf;
	r->ch.conf = cconf;
	r->ch.nconf = ncconf;
	r->inode = -1;
	r->now_ms = T0_MS;
	if (pl->power->desc->init(&r->ph, &r->pctx) == -1) {
		printf("  power init failed: %s\n", r->log.last);
		goto fail;
	}
	if (pl->cooling->desc->init(&r->ch, &r->cctx) == -1) {
		printf("  cooling init failed: %s\n", r->log.last);
		goto fail;
	}
	r->ndev =
	    pl->power->desc->ops->devices(r->pctx, r->dev, POD_MAX_DEVICES);
	if (r->ndev <= 0) {
		printf("  power devices: %d\n", r->ndev);
		goto fail;
	}
	for (i = 0; i < r->ndev; i++) {
		if (r->dev[i].domain == POD_DOMAIN_ACCEL)
			r->naccel++;
		else if (r->dev[i].domain == POD_DOMAIN_NODE)
			r->inode = i;
	}
	if (r->inode < 0 || r->naccel == 0) {
		printf("  no node or no accelerators\n");
		goto fail;
	}
	return 0;
fail:
	rig_close(r);
	return -1;
}

static void
rig_load(struct rig *r, double util, double membound)
{
	int i;

	for (i = 0; i < r->naccel; i++) {
		r->load[i].util = util;
		r->load[i].membound = membound;
	}
}

/*
 * One agent tick, `dt_ms` after the last: the power plugin hears the mean
 * coolant temperature of the last loop sample and is read, then the loop
 * hears the node power just read and is read.
 */
static int
rig_step(struct rig *r, int64_t dt_ms)
{
	const struct pod_plugin_ops *pops = r->pl->power->desc->ops;
	const struct pod_plugin_ops *cops = r->pl->cooling->desc->ops;
	struct pod_env pe, ce;

	if (r->nsteps == 0)
		r->first_ms = r->now_ms;
	else
		r->now_ms += dt_ms;
	pe.coolant_c =
	    r->nsteps == 0 ? NAN : (r->cs.supply_c + r->cs.return_c) / 2;
	pe.heat_w = NAN;
	pe.load = r->load;
	pe.nload = r->ndev;
	pops->environ(r->pctx, &pe);
	if (pops->read(r->pctx, r->now_ms, r->ps, r->ndev) == -1)
		return -1;
	ce.coolant_c = NAN;
	ce.heat_w = r->ps[r->inode].power_w;
	ce.load = NULL;
	ce.nload = 0;
	r->heat_in_w = ce.heat_w;
	cops->environ(r->cctx, &ce);
	if (cops->read(r->cctx, r->now_ms, &r->cs, 1) == -1)
		return -1;
	r->nsteps++;
	return 0;
}

static int
rig_run(struct rig *r, int seconds)
{
	int i;

	for (i = 0; i < seconds; i++)
		if (rig_step(r, 1000) == -1)
			return -1;
	return 0;
}

static int
rig_control_all(struct rig *r, const struct pod_control *c)
{
	int i;

	for (i = 0; i < r->naccel; i++)
		if (r->pl->power->desc->ops->control(r->pctx, i, c) == -1)
			return -1;
	return 0;
}

static double
mean_accel(const struct rig *r, size_t off)
{
	double sum = 0;
	int i;

	for (i = 0; i < r->naccel; i++)
		sum += *(const double *)((const char *)&r->ps[i] + off);
	return sum / r->naccel;
}

/* Heat the loop sample says it carries: flow × ρ × c_p × (return − supply). */
static double
loop_heat_w(const struct pod_sample *cs)
{
	return cs->flow_lpm / 60.0 * RHO_KG_PER_L * CP_J_PER_KG_K *
	       (cs->return_c - cs->supply_c);
}

static int
t_devices(const struct plugins *pl)
{
	struct rig r;
	struct pod_device loop;
	char want[32];
	int i;

	memset(&r, 0, sizeof(r));
	REQUIRE(pl->power->desc->abi == POD_PLUGIN_ABI, "abi %#x",
	    pl->power->desc->abi);
	REQUIRE(pl->power->desc->ops->control != NULL, "no control op");
	REQUIRE(rig_open(&r, pl, 1, NULL, 0, NULL, 0) == 0, "open");
	REQUIRE(
	    r.ndev == 9 && r.naccel == 8 && r.inode == 8, "%d devices", r.ndev);
	for (i = 0; i < r.naccel; i++) {
		snprintf(want, sizeof(want), "accel%d", i);
		REQUIRE(strcmp(r.dev[i].name, want) == 0 && r.dev[i].index == i,
		    "device %d is %s", i, r.dev[i].name);
		REQUIRE((r.dev[i].caps &
		            (POD_F_POWER | POD_F_TEMP | POD_CTL_POWER_LIMIT)) ==
		            (POD_F_POWER | POD_F_TEMP | POD_CTL_POWER_LIMIT),
		    "caps %#x", r.dev[i].caps);
		REQUIRE(r.dev[i].tdp_w == 700 && r.dev[i].clock_max_mhz == 1980,
		    "tdp %g W, f_max %g MHz", r.dev[i].tdp_w,
		    r.dev[i].clock_max_mhz);
	}
	REQUIRE(strcmp(r.dev[8].name, "node") == 0 &&
	            r.dev[8].caps == (POD_F_POWER | POD_F_ENERGY),
	    "node is %s caps %#x", r.dev[8].name, r.dev[8].caps);
	REQUIRE(pl->cooling->desc->ops->devices(r.cctx, &loop, 1) == 1, "loop");
	REQUIRE(strcmp(loop.name, "loop") == 0 &&
	            loop.domain == POD_DOMAIN_LOOP && (loop.caps & POD_F_LEAK),
	    "loop device %s", loop.name);
	REQUIRE(pl->power->desc->ops->devices(r.pctx, r.dev, 4) == -1,
	    "short buffer accepted");
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* Idle parts draw 80–100 W; busy compute-bound ones their TDP; memory-bound
 * ones clearly less. */
static int
t_calibration(const struct plugins *pl)
{
	struct rig r;
	double idle_w, busy_w, mem_w, node_w, busy_c;

	REQUIRE(rig_open(&r, pl, 2, NULL, 0, NULL, 0) == 0, "open");
	REQUIRE(rig_run(&r, 60) == 0, "run");
	idle_w = mean_accel(&r, offsetof(struct pod_sample, power_w));
	node_w = r.ps[r.inode].power_w;
	rig_load(&r, 1.0, 0.0);
	REQUIRE(rig_run(&r, 60) == 0, "run");
	busy_w = mean_accel(&r, offsetof(struct pod_sample, power_w));
	busy_c = mean_accel(&r, offsetof(struct pod_sample, temp_c));
	rig_load(&r, 1.0, 1.0);
	REQUIRE(rig_run(&r, 60) == 0, "run");
	mem_w = mean_accel(&r, offsetof(struct pod_sample, power_w));
	printf("  idle %.1f W, node idle %.0f W, busy %.1f W at %.1f °C, "
	       "memory-bound %.1f W\n",
	    idle_w, node_w, busy_w, busy_c, mem_w);
	REQUIRE(idle_w >= 80 && idle_w <= 100, "idle %.1f W", idle_w);
	REQUIRE(node_w > 8 * idle_w + 850 && node_w < 8 * idle_w + 950,
	    "node idle %.0f W", node_w);
	REQUIRE(fabs(busy_w - 700) < 0.03 * 700, "busy %.1f W", busy_w);
	REQUIRE(busy_c > 55 && busy_c < 75, "busy %.1f °C", busy_c);
	REQUIRE(mem_w < 0.8 * busy_w && mem_w > idle_w + 100,
	    "memory-bound %.1f W", mem_w);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* In steady state all electrical power goes into the liquid. */
static int
t_heat_balance(const struct plugins *pl)
{
	/*
	 * util: the load; tol: how far one sample may stray, as a share. At
	 * idle the rise is only ~2.5 K, so the sensors' ±0.01 °C weigh more
	 * on a single sample; the mean must be within 2 % in either case.
	 */
	static const struct {
		double util, tol;
	} loads[] = {{1.0, 0.02}, {0.0, 0.03}};
	struct rig r;
	double in_w, out_w, err;
	size_t u;
	int i;

	memset(&r, 0, sizeof(r));
	for (u = 0; u < sizeof(loads) / sizeof(loads[0]); u++) {
		REQUIRE(rig_open(&r, pl, 3, NULL, 0, NULL, 0) == 0, "open");
		rig_load(&r, loads[u].util, 0.0);
		REQUIRE(rig_run(&r, 240) == 0, "run");
		in_w = out_w = 0;
		for (i = 0; i < 60; i++) {
			REQUIRE(rig_step(&r, 1000) == 0, "step");
			in_w += r.heat_in_w / 60;
			out_w += loop_heat_w(&r.cs) / 60;
			err = fabs(loop_heat_w(&r.cs) - r.heat_in_w) /
			      r.heat_in_w;
			REQUIRE(err < loads[u].tol,
			    "sample %d: in %.0f W, out %.0f W", i, r.heat_in_w,
			    loop_heat_w(&r.cs));
		}
		err = fabs(out_w - in_w) / in_w;
		printf("  util %.0f: heat in %.0f W, carried %.0f W "
		       "(ΔT %.2f K), error %.2f %%\n",
		    loads[u].util, in_w, out_w, r.cs.return_c - r.cs.supply_c,
		    100 * err);
		REQUIRE(err < 0.02, "mean error %.2f %%", 100 * err);
		rig_close(&r);
	}
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static int
t_temp_rises(const struct plugins *pl)
{
	struct rig lo, hi;
	double lo_c, hi_c, lo_w, hi_w;

	memset(&lo, 0, sizeof(lo));
	memset(&hi, 0, sizeof(hi));
	REQUIRE(rig_open(&lo, pl, 4, NULL, 0, NULL, 0) == 0, "open");
	REQUIRE(rig_open(&hi, pl, 4, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&hi, 1.0, 0.0);
	REQUIRE(rig_run(&lo, 60) == 0 && rig_run(&hi, 60) == 0, "run");
	lo_c = mean_accel(&lo, offsetof(struct pod_sample, temp_c));
	hi_c = mean_accel(&hi, offsetof(struct pod_sample, temp_c));
	lo_w = mean_accel(&lo, offsetof(struct pod_sample, power_w));
	hi_w = mean_accel(&hi, offsetof(struct pod_sample, power_w));
	printf("  util 0: %.0f W %.1f °C; util 1: %.0f W %.1f °C\n", lo_w, lo_c,
	    hi_w, hi_c);
	REQUIRE(hi_w > lo_w + 400, "power %.0f vs %.0f W", hi_w, lo_w);
	REQUIRE(hi_c > lo_c + 15, "temp %.1f vs %.1f °C", hi_c, lo_c);
	/* ΔT over coolant scales with power through R_th ≈ 0.045 K/W. */
	REQUIRE(fabs((hi_c - lo_c) / (hi_w - lo_w) - 0.045) < 0.01, "%.4f K/W",
	    (hi_c - lo_c) / (hi_w - lo_w));
	rig_close(&lo);
	rig_close(&hi);
	return 0;
fail:
	rig_close(&lo);
	rig_close(&hi);
	return -1;
}

static int
t_clock_cap(const struct plugins *pl)
{
	struct rig r;
	struct pod_control c = {.set = POD_CTL_CLOCK, .clock_max_mhz = 1200};
	double before_w, after_w;
	int i;

	REQUIRE(rig_open(&r, pl, 5, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 1.0, 0.0);
	REQUIRE(rig_run(&r, 30) == 0, "run");
	before_w = mean_accel(&r, offsetof(struct pod_sample, power_w));
	REQUIRE(rig_control_all(&r, &c) == 0, "control");
	REQUIRE(rig_run(&r, 30) == 0, "run");
	after_w = mean_accel(&r, offsetof(struct pod_sample, power_w));
	printf("  uncapped %.0f W, capped at 1200 MHz %.0f W\n", before_w,
	    after_w);
	for (i = 0; i < r.naccel; i++)
		REQUIRE(r.ps[i].clock_mhz == 1200, "accel%d at %.0f MHz", i,
		    r.ps[i].clock_mhz);
	REQUIRE(
	    after_w < before_w - 200, "%.0f W vs %.0f W", after_w, before_w);
	c.clock_max_mhz = 100; /* below f_min: clamped */
	REQUIRE(rig_control_all(&r, &c) == 0, "control");
	REQUIRE(rig_step(&r, 1000) == 0, "step");
	REQUIRE(r.ps[0].clock_mhz == 600, "%.0f MHz", r.ps[0].clock_mhz);
	c.set = POD_CTL_CLOCK | (1u << 30);
	REQUIRE(r.pl->power->desc->ops->control(r.pctx, 0, &c) == -1,
	    "unknown control bit accepted");
	c.set = POD_CTL_CLOCK;
	REQUIRE(r.pl->power->desc->ops->control(r.pctx, r.inode, &c) == -1,
	    "control of the node accepted");
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static int
t_power_limit(const struct plugins *pl)
{
	static const double limits_w[] = {400, 550, 250};
	struct rig r;
	struct pod_control c = {.set = POD_CTL_POWER_LIMIT};
	double max_w, sum_w;
	size_t l;
	int i, k;

	REQUIRE(rig_open(&r, pl, 6, NULL, 0, NULL, 0) == 0, "open");
	rig_load(&r, 1.0, 0.0);
	for (l = 0; l < sizeof(limits_w) / sizeof(limits_w[0]); l++) {
		c.power_limit_w = limits_w[l];
		REQUIRE(rig_control_all(&r, &c) == 0, "control");
		REQUIRE(rig_run(&r, 30) == 0, "run");
		max_w = sum_w = 0;
		for (k = 0; k < 30; k++) {
			REQUIRE(rig_step(&r, 1000) == 0, "step");
			for (i = 0; i < r.naccel; i++) {
				max_w = fmax(max_w, r.ps[i].power_w);
				sum_w += r.ps[i].power_w / (30 * r.naccel);
				REQUIRE(r.ps[i].clock_mhz < 1980, "%.0f MHz",
				    r.ps[i].clock_mhz);
			}
		}
		printf("  limit %.0f W: mean %.1f W, max %.1f W, clock %.0f "
		       "MHz\n",
		    limits_w[l], sum_w, max_w, r.ps[0].clock_mhz);
		REQUIRE(max_w <= limits_w[l] * 1.02, "max %.1f W", max_w);
		REQUIRE(sum_w >= limits_w[l] * 0.93,
		    "mean %.1f W: more clock "
		    "would fit",
		    sum_w);
	}
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

static int
t_leak(const struct plugins *pl)
{
	static const struct pod_kv cconf[] = {
	    {"fault", "leak@20", "test.conf:3"},
	};
	struct rig r;
	int64_t elapsed_ms;
	int k;

	REQUIRE(rig_open(&r, pl, 7, NULL, 0, cconf, 1) == 0, "open");
	for (k = 0; k < 60; k++) {
		/* Half-second ticks, to see the flag at its very time. */
		REQUIRE(rig_step(&r, 500) == 0, "step");
		elapsed_ms = r.now_ms - r.first_ms;
		REQUIRE(r.cs.valid & POD_F_LEAK, "leak not valid");
		REQUIRE(r.cs.leak == (elapsed_ms >= 20000),
		    "leak %d at %lld ms", r.cs.leak, (long long)elapsed_ms);
	}
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* 1 when two rigs' last samples are the same but for when they were
 * taken (t_ms, the wall clock: the same model stepped twice is not read
 * at the same millisecond). */
static int
rig_same(const struct rig *a, const struct rig *b)
{
	struct pod_sample x, y;
	int i;

	for (i = 0; i <= POD_MAX_DEVICES; i++) {
		x = i < POD_MAX_DEVICES ? a->ps[i] : a->cs;
		y = i < POD_MAX_DEVICES ? b->ps[i] : b->cs;
		x.t_ms = y.t_ms = 0;
		if (memcmp(&x, &y, sizeof(x)) != 0)
			return 0;
	}
	return 1;
}

static int
t_flowloss(const struct plugins *pl)
{
	static const struct pod_kv cconf[] = {
	    {"fault", "flowloss@60", "test.conf:4"},
	};
	struct rig base, loss;

	memset(&base, 0, sizeof(base));
	memset(&loss, 0, sizeof(loss));
	REQUIRE(rig_open(&base, pl, 8, NULL, 0, NULL, 0) == 0, "open");
	REQUIRE(rig_open(&loss, pl, 8, NULL, 0, cconf, 1) == 0, "open");
	rig_load(&base, 0.8, 0.2);
	rig_load(&loss, 0.8, 0.2);
	REQUIRE(rig_run(&base, 60) == 0 && rig_run(&loss, 60) == 0, "run");
	/* Same seed, fault not yet active: the two are the same node. */
	REQUIRE(rig_same(&base, &loss), "differ before the fault");
	REQUIRE(rig_run(&base, 120) == 0 && rig_run(&loss, 120) == 0, "run");
	printf("  after 120 s: flow %.1f → %.1f L/min, return %.1f → %.1f "
	       "°C, accel0 %.1f → %.1f °C\n",
	    base.cs.flow_lpm, loss.cs.flow_lpm, base.cs.return_c,
	    loss.cs.return_c, base.ps[0].temp_c, loss.ps[0].temp_c);
	REQUIRE(loss.cs.flow_lpm < 0.15 * base.cs.flow_lpm, "flow %.2f L/min",
	    loss.cs.flow_lpm);
	REQUIRE(loss.cs.pressure_kpa < 0.05 * base.cs.pressure_kpa,
	    "pressure %.1f kPa", loss.cs.pressure_kpa);
	REQUIRE(loss.cs.return_c > base.cs.return_c + 20, "return %.1f °C",
	    loss.cs.return_c);
	REQUIRE(loss.ps[0].temp_c > base.ps[0].temp_c + 10, "accel0 %.1f °C",
	    loss.ps[0].temp_c);
	rig_close(&base);
	rig_close(&loss);
	return 0;
fail:
	rig_close(&base);
	rig_close(&loss);
	return -1;
}

static int
t_hot(const struct plugins *pl)
{
	static const struct pod_kv pconf[] = {
	    {"fault", "hot:3@10", "test.conf:5"},
	};
	struct rig r;
	double others_c;
	int i;

	REQUIRE(rig_open(&r, pl, 9, pconf, 1, NULL, 0) == 0, "open");
	rig_load(&r, 1.0, 0.0);
	REQUIRE(rig_run(&r, 10) == 0, "run");
	for (others_c = 0, i = 0; i < r.naccel; i++)
		if (i != 3)
			others_c = fmax(others_c, r.ps[i].temp_c);
	REQUIRE(r.ps[3].temp_c < others_c + 3, "hot before its time: %.1f °C",
	    r.ps[3].temp_c);
	REQUIRE(rig_run(&r, 60) == 0, "run");
	for (others_c = 0, i = 0; i < r.naccel; i++)
		if (i != 3)
			others_c = fmax(others_c, r.ps[i].temp_c);
	printf("  accel3 %.1f °C %.0f W %.0f MHz, hottest other %.1f °C\n",
	    r.ps[3].temp_c, r.ps[3].power_w, r.ps[3].clock_mhz, others_c);
	REQUIRE(r.ps[3].temp_c > 85, "accel3 %.1f °C", r.ps[3].temp_c);
	/* Firmware slows it down before it cooks: about 95 °C, not 130. */
	REQUIRE(r.ps[3].temp_c < 97 && r.ps[3].clock_mhz < r.ps[0].clock_mhz,
	    "accel3 %.1f °C at %.0f MHz", r.ps[3].temp_c, r.ps[3].clock_mhz);
	REQUIRE(r.ps[3].temp_c > others_c + 15, "accel3 %.1f vs %.1f °C",
	    r.ps[3].temp_c, others_c);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/* Same seed, same calls, same now_ms: same samples, bit for bit. */
static int
t_determinism(const struct plugins *pl)
{
	static const struct pod_kv pconf[] = {
	    {"fault", "hot:1@30", "test.conf:6"},
	};
	struct rig a, b, other;
	struct pod_control c = {
	    .set = POD_CTL_POWER_LIMIT, .power_limit_w = 450};
	int k, differs = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&other, 0, sizeof(other));
	REQUIRE(rig_open(&a, pl, 42, pconf, 1, NULL, 0) == 0, "open");
	REQUIRE(rig_open(&b, pl, 42, pconf, 1, NULL, 0) == 0, "open");
	REQUIRE(rig_open(&other, pl, 43, pconf, 1, NULL, 0) == 0, "open");
	for (k = 0; k < 120; k++) {
		rig_load(&a, 0.5 + 0.5 * sin(k / 7.0), k % 3 / 2.0);
		rig_load(&b, 0.5 + 0.5 * sin(k / 7.0), k % 3 / 2.0);
		rig_load(&other, 0.5 + 0.5 * sin(k / 7.0), k % 3 / 2.0);
		if (k == 50) {
			REQUIRE(rig_control_all(&a, &c) == 0 &&
			            rig_control_all(&b, &c) == 0 &&
			            rig_control_all(&other, &c) == 0,
			    "control");
		}
		/* Irregular ticks, as a loaded agent has. */
		REQUIRE(rig_step(&a, 700 + k * 37 % 600) == 0 &&
		            rig_step(&b, 700 + k * 37 % 600) == 0 &&
		            rig_step(&other, 700 + k * 37 % 600) == 0,
		    "step");
		REQUIRE(rig_same(&a, &b), "step %d differs", k);
		if (!rig_same(&a, &other))
			differs = 1;
	}
	REQUIRE(differs, "another seed gives the same samples");
	rig_close(&a);
	rig_close(&b);
	rig_close(&other);
	return 0;
fail:
	rig_close(&a);
	rig_close(&b);
	rig_close(&other);
	return -1;
}

/* Energy counters only grow and integrate the power they report. */
static int
t_energy(const struct plugins *pl)
{
	struct rig r;
	double prev_j[POD_MAX_DEVICES] = {0}, sum_j[POD_MAX_DEVICES] = {0};
	int i, k;

	REQUIRE(rig_open(&r, pl, 10, NULL, 0, NULL, 0) == 0, "open");
	for (k = 0; k < 90; k++) {
		rig_load(&r, k < 30 ? 0.0 : 1.0, 0.0);
		REQUIRE(rig_step(&r, 1000) == 0, "step");
		for (i = 0; i < r.ndev; i++) {
			REQUIRE(r.ps[i].valid & POD_F_ENERGY, "no energy");
			REQUIRE(r.ps[i].energy_j >= prev_j[i], "%s went back",
			    r.dev[i].name);
			prev_j[i] = r.ps[i].energy_j;
			if (k > 0)
				sum_j[i] += r.ps[i].power_w;
		}
	}
	for (i = 0; i < r.ndev; i++)
		REQUIRE(fabs(r.ps[i].energy_j - sum_j[i]) < 1e-6 * sum_j[i],
		    "%s: %.1f J vs %.1f J", r.dev[i].name, r.ps[i].energy_j,
		    sum_j[i]);
	rig_close(&r);
	return 0;
fail:
	rig_close(&r);
	return -1;
}

/*
 * Config keys the plugins must refuse. kind: which plugin; key, value: the
 * one key given. Each must make init fail with an error naming "file:line".
 */
static const struct badconf {
	const char *kind;
	const char *key;
	const char *value;
} badconfs[] = {
    {"power", "acels", "8"},
    {"power", "accels", "0"},
    {"power", "accels", "64"},
    {"power", "accels", "8x"},
    {"power", "accels", "2.5"},
    {"power", "tdp_w", "-700"},
    {"power", "tdp_w", "nan"},
    {"power", "clock_min_mhz", "1990"},
    {"power", "host_power_w", ""},
    {"power", "fault", "hot"},
    {"power", "fault", "warm@5"},
    {"power", "fault", "hot:8@5"},
    {"power", "fault", "hot:-1@5"},
    {"power", "fault", "hot@-5"},
    {"power", "fault", "leak@5"},
    {"cooling", "supply", "30"},
    {"cooling", "flow_lpm", "0"},
    {"cooling", "supply_c", "hot"},
    {"cooling", "fault", "hot@5"},
    {"cooling", "fault", "leak@"},
    {"cooling", "fault", "leak:1@5"},
};

static int
t_bad_config(const struct plugins *pl)
{
	static const struct pod_kv good[] = {
	    {"accels", "4", "good.conf:1"},
	    {"tdp_w", "500", "good.conf:2"},
	    {"fault", "hot:3@5", "good.conf:3"},
	    {"fault", "hot@7.5", "good.conf:4"},
	};
	const struct plugin *p;
	struct pod_host host;
	struct pod_kv kv;
	struct logbuf lb;
	void *ctx;
	size_t i;

	memset(&host, 0, sizeof(host));
	host.node = "pod01-n001";
	host.log = test_log;
	host.opaque = &lb;
	host.conf = &kv;
	host.nconf = 1;
	for (i = 0; i < sizeof(badconfs) / sizeof(badconfs[0]); i++) {
		p = strcmp(badconfs[i].kind, "power") == 0 ? pl->power
		                                           : pl->cooling;
		kv.key = badconfs[i].key;
		kv.value = badconfs[i].value;
		kv.where = "test.conf:7";
		memset(&lb, 0, sizeof(lb));
		ctx = NULL;
		REQUIRE(p->desc->init(&host, &ctx) == -1,
		    "%s: %s = %s accepted", badconfs[i].kind, kv.key, kv.value);
		REQUIRE(
		    lb.nerror == 1 && strstr(lb.last, "test.conf:7") != NULL,
		    "%s: %s = %s: logged %d errors, last '%s'",
		    badconfs[i].kind, kv.key, kv.value, lb.nerror, lb.last);
	}
	/* And good keys pass, so the refusals above mean something. */
	host.conf = good;
	host.nconf = sizeof(good) / sizeof(good[0]);
	memset(&lb, 0, sizeof(lb));
	ctx = NULL;
	REQUIRE(pl->power->desc->init(&host, &ctx) == 0, "good keys refused");
	pl->power->desc->fini(ctx);
	return 0;
fail:
	return -1;
}

static int
t_bad_abi(const struct plugins *pl)
{
	struct plugin *p;
	char path[4096];

	/* The file must exist, so that the refusal is about its ABI. */
	snprintf(
	    path, sizeof(path), "%s/power-badabi.so", plugin_default_dir());
	REQUIRE(access(path, R_OK) == 0, "%s missing", path);
	p = plugin_load(NULL, "power", "badabi");
	if (p != NULL)
		plugin_unload(p);
	REQUIRE(p == NULL, "loader accepted ABI major %d",
	    POD_PLUGIN_ABI_MAJOR + 1);
	return 0;
fail:
	return -1;
}

/*
 * The cases. name: what is printed; fn: returns 0 on pass, -1 on failure
 * (after printing why).
 */
static const struct simcase {
	const char *name;
	int (*fn)(const struct plugins *);
} cases[] = {
    {"devices", t_devices},
    {"calibration", t_calibration},
    {"heat_balance", t_heat_balance},
    {"temp_rises_with_power", t_temp_rises},
    {"clock_cap", t_clock_cap},
    {"power_limit", t_power_limit},
    {"leak", t_leak},
    {"flowloss", t_flowloss},
    {"hot_fault", t_hot},
    {"determinism", t_determinism},
    {"energy", t_energy},
    {"bad_config", t_bad_config},
    {"bad_abi", t_bad_abi},
};

int
main(void)
{
	struct plugins pl = {NULL, NULL};
	size_t i;

	log_init("sim_test", LOG_LVL_WARN);
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
	return check_summary("sim_test");
}
