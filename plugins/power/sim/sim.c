/*
 * power/sim: a simulated node's accelerators, modelled from the physics of a
 * CMOS chip on a cold plate rather than from random numbers, so that the DVFS
 * policies, the safety guard and the scheduler see the cause and effect they
 * will see on hardware: more work or a higher clock draws more power, more
 * power heats the die, a hotter die leaks more, a frequency cap or a power
 * limit trades clock for watts.
 *
 * An accelerator's power is leakage plus switching power. Leakage grows
 * mildly with die temperature. Switching power is C·activity·f·V(f)², with the
 * core voltage rising linearly with the clock; activity is a clock-tree floor
 * plus the utilisation the host asks for, less for memory-bound work, which
 * stalls the cores but draws some HBM power instead. The switching constant C
 * is calibrated at init so that a fully busy, compute-bound part at its top
 * clock draws its TDP. A power limit is honoured the way firmware does it: the
 * highest clock step whose predicted power stays under the limit. The die
 * temperature follows coolant + R_th·power with a first-order lag, using the
 * real time between reads. The "node" device adds the host's own power (CPUs,
 * NICs, fans and pumps on the node). docs/simulation.md has the constants and
 * why they are plausible.
 *
 * pod-fleetsim runs hundreds of instances of this one loaded object, so all
 * state lives in the instance (about 1 KB for eight accelerators), and every
 * output follows from the host's seed and the sequence of calls: the noise
 * comes from a splitmix64 generator in the instance, drawn the same number of
 * times on every read. The plugin does not link the project's library; it
 * logs through host->log only.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#define PSIM_ACCELS_MAX     (POD_MAX_DEVICES - 1) /* one slot for "node" */
#define PSIM_FAULTS_MAX     16
#define PSIM_CLOCK_STEP_MHZ 15.0  /* firmware clock granularity, MHz */
#define PSIM_V_MIN          0.70  /* core voltage at the lowest clock, V */
#define PSIM_V_MAX          1.05  /* core voltage at the highest clock, V */
#define PSIM_ACT_FLOOR      0.065 /* clock tree and always-on logic, 0–1 */
#define PSIM_MEMBOUND_CORE  0.5   /* core activity memory-bound work loses */
#define PSIM_HBM_W          40.0  /* HBM power, busy memory-bound work, W */
#define PSIM_LEAK_25C_W     50.0  /* leakage at 25 °C die temperature, W */
#define PSIM_LEAK_W_PER_K   0.65  /* leakage growth, W/K */
#define PSIM_LEAK_SPREAD    0.06  /* part-to-part leakage spread, ±share */
#define PSIM_RTH_K_PER_W    0.045 /* die to coolant, K/W */
#define PSIM_RTH_SPREAD     0.04  /* part-to-part cold-plate spread, ±share */
#define PSIM_HOT_FACTOR     3.0   /* R_th multiplier of a stuck-hot part */
#define PSIM_TAU_S          5.0   /* die + cold-plate time constant, s */
#define PSIM_COOLANT_C      35.0  /* coolant when the host does not say, °C */
#define PSIM_TEMP_CRIT_C    90.0  /* critical die temperature, °C */
#define PSIM_TEMP_SLOW_C    95.0  /* firmware thermal slowdown, °C */
#define PSIM_MEM_TOTAL_MIB  81920.0 /* device memory, MiB */
#define PSIM_MEM_BASE_MIB   2048.0  /* context, runtime, MiB */
#define PSIM_MEM_WORK_MIB   71680.0 /* working set of a fully busy job, MiB */
#define PSIM_MEM_NOISE_MIB  96.0    /* allocator churn, ±MiB */
#define PSIM_LIMIT_MIN_FRAC (2.0 / 7.0) /* lowest power limit, share of TDP */
#define PSIM_HOST_LOAD      0.15 /* host power added at full load, share */
#define PSIM_POWER_NOISE    0.01 /* sensor noise on power, ±share */
#define PSIM_TEMP_NOISE_C   0.1  /* sensor noise on temperature, ±°C */
#define PSIM_UTIL_NOISE_PCT 1.5  /* sampling noise on utilisation, ±% */

struct psim_conf {
	int accels;           /* accelerators on the node */
	double tdp_w;         /* per accelerator, W */
	double clock_min_mhz; /* lowest core clock, MHz */
	double clock_max_mhz; /* highest core clock, MHz */
	double host_power_w;  /* host (non-accelerator) power at idle, W */
	struct psim_fault {
		int index;         /* accelerator */
		int64_t at_ms;     /* after the first read, ms */
		const char *where; /* borrowed from host->conf */
	} faults[PSIM_FAULTS_MAX];
	int nfaults;
};

struct psim_accel {
	double leak_scale;  /* this part's leakage, share of nominal */
	double rth_k_per_w; /* die to coolant, K/W */
	double util;        /* busy fraction the host asks, 0–1 */
	double membound;    /* how memory-bound the work is, 0–1 */
	double cap_mhz;     /* frequency cap, MHz */
	double limit_w;     /* power limit, W */
	double temp_c;      /* die temperature, °C */
	double energy_j;    /* since the first read, J */
	int hot;            /* 1: stuck-hot fault active */
};

struct psim {
	const struct pod_host *host; /* borrowed, valid until fini */
	struct psim_conf conf;
	double dyn_w;            /* switching power at activity 1, f_max, W */
	double power_min_w;      /* lowest power limit, W */
	double coolant_c;        /* mean coolant at the cold plates, °C */
	uint64_t rng;            /* splitmix64 state */
	int started;             /* 1 after the first read */
	int64_t start_ms;        /* first read, ms */
	int64_t last_ms;         /* previous read, ms */
	double node_energy_j;    /* since the first read, J */
	uint32_t fault_done;     /* bit i: conf.faults[i] applied */
	struct psim_accel acc[]; /* conf.accels of them */
};

#define PSIM_LOG(s, lvl, ...) (s)->host->log((s)->host, (lvl), __VA_ARGS__)

/*
 * The configuration keys. name: the key in the plugin's section; type: how
 * its value reads (an integer, a real number, or a fault spec that adds to a
 * list); min, max: the accepted range, inclusive; off: where the value lands
 * in struct psim_conf.
 */
enum psim_ktype { PSIM_K_INT, PSIM_K_REAL, PSIM_K_FAULT };
static const struct psim_key {
	const char *name;
	enum psim_ktype type;
	double min, max;
	size_t off;
} psim_keys[] = {
    {"accels", PSIM_K_INT, 1, PSIM_ACCELS_MAX,
        offsetof(struct psim_conf, accels)},
    {"tdp_w", PSIM_K_REAL, 150, 1200, offsetof(struct psim_conf, tdp_w)},
    {"clock_min_mhz", PSIM_K_REAL, 100, 5000,
        offsetof(struct psim_conf, clock_min_mhz)},
    {"clock_max_mhz", PSIM_K_REAL, 100, 5000,
        offsetof(struct psim_conf, clock_max_mhz)},
    {"host_power_w", PSIM_K_REAL, 0, 20000,
        offsetof(struct psim_conf, host_power_w)},
    {"fault", PSIM_K_FAULT, 0, 0, 0},
};

/* splitmix64: small, fast, and good enough for sensor noise. */
static uint64_t
psim_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double
psim_noise(uint64_t *state)
{
	return (double)(psim_next(state) >> 11) * 0x1.0p-52 - 1.0;
}

static double
psim_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/* Core voltage at clock f: linear between (f_min, V_min) and (f_max, V_max). */
static double
psim_volts(const struct psim *s, double f_mhz)
{
	const struct psim_conf *c = &s->conf;

	return PSIM_V_MIN + (PSIM_V_MAX - PSIM_V_MIN) *
	                        (f_mhz - c->clock_min_mhz) /
	                        (c->clock_max_mhz - c->clock_min_mhz);
}

static double
psim_leak_w(double scale, double temp_c)
{
	double w = PSIM_LEAK_25C_W + PSIM_LEAK_W_PER_K * (temp_c - 25.0);

	return scale * (w > 0.0 ? w : 0.0);
}

/* Noise-free power of part `a` at clock f and die temperature t, W. */
static double
psim_power_w(const struct psim *s, const struct psim_accel *a, double f_mhz,
    double temp_c)
{
	double act, v, dyn;

	act =
	    PSIM_ACT_FLOOR + a->util * (1.0 - PSIM_MEMBOUND_CORE * a->membound);
	v = psim_volts(s, f_mhz) / PSIM_V_MAX;
	dyn = s->dyn_w * act * (f_mhz / s->conf.clock_max_mhz) * v * v;
	return psim_leak_w(a->leak_scale, temp_c) + dyn +
	       PSIM_HBM_W * a->util * a->membound;
}

/*
 * The clock firmware would run: the highest clock not above the cap whose
 * predicted power at the present die temperature stays under the limit.
 * Below f_max, clocks sit on the grid f_min + k·step; below f_min the part
 * cannot go, limit or not. Firmware also slows a part down that would settle
 * above PSIM_TEMP_SLOW_C: that is a power limit of (T_slow − coolant) / R_th.
 * It sits above the critical temperature on purpose, so that a part with a
 * failed cold plate still crosses it and the agent's guard has work to do.
 */
static double
psim_clock_mhz(const struct psim *s, const struct psim_accel *a)
{
	const struct psim_conf *c = &s->conf;
	double cap, f, limit_w;
	int k;

	limit_w = fmin(
	    a->limit_w, (PSIM_TEMP_SLOW_C - s->coolant_c) / a->rth_k_per_w);
	cap = psim_clamp(a->cap_mhz, c->clock_min_mhz, c->clock_max_mhz);
	if (cap >= c->clock_max_mhz &&
	    psim_power_w(s, a, c->clock_max_mhz, a->temp_c) <= limit_w)
		return c->clock_max_mhz;
	k = (int)floor((cap - c->clock_min_mhz) / PSIM_CLOCK_STEP_MHZ + 1e-9);
	if (c->clock_min_mhz + k * PSIM_CLOCK_STEP_MHZ >= c->clock_max_mhz)
		k--;
	for (; k > 0; k--) {
		f = c->clock_min_mhz + k * PSIM_CLOCK_STEP_MHZ;
		if (psim_power_w(s, a, f, a->temp_c) <= limit_w)
			return f;
	}
	return c->clock_min_mhz;
}

/*
 * `fault = hot@SECONDS` or `hot:INDEX@SECONDS`: accelerator INDEX (default 0)
 * loses cold-plate contact SECONDS after the first read. The index is checked
 * against `accels` once every key is read.
 */
static int
psim_key_fault(
    const struct pod_host *host, const struct pod_kv *kv, struct psim_conf *c)
{
	const char *v = kv->value, *at;
	struct psim_fault *f;
	char *end;
	long idx = 0;
	double sec;

	if (c->nfaults == PSIM_FAULTS_MAX) {
		host->log(host, POD_LOG_ERROR, "%s: %s: more than %d faults",
		    kv->where, kv->key, PSIM_FAULTS_MAX);
		return -1;
	}
	if ((at = strchr(v, '@')) == NULL || strncmp(v, "hot", 3) != 0 ||
	    (v[3] != ':' && v[3] != '@')) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want hot@SECONDS or hot:INDEX@SECONDS",
		    kv->where, kv->key, v);
		return -1;
	}
	if (v[3] == ':') {
		errno = 0;
		idx = strtol(v + 4, &end, 10);
		if (end == v + 4 || end != at || errno != 0 || idx < 0 ||
		    idx >= PSIM_ACCELS_MAX) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: '%s': bad accelerator index", kv->where,
			    kv->key, v);
			return -1;
		}
	}
	if (pod_parse_real(at + 1, &sec) == -1 || sec < 0 || sec > 1e7) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': bad time, want seconds 0..1e7", kv->where,
		    kv->key, v);
		return -1;
	}
	f = &c->faults[c->nfaults++];
	f->index = (int)idx;
	f->at_ms = (int64_t)llround(sec * 1000.0);
	f->where = kv->where;
	return 0;
}

static int
psim_conf_parse(const struct pod_host *host, struct psim_conf *c)
{
	const struct pod_kv *kv;
	const struct psim_key *k;
	const char *clock_where = NULL;
	double d;
	size_t j;
	int i;

	memset(c, 0, sizeof(*c));
	c->accels = 8;
	c->tdp_w = 700.0;
	c->clock_min_mhz = 600.0;
	c->clock_max_mhz = 1980.0;
	c->host_power_w = 900.0;
	for (i = 0; i < host->nconf; i++) {
		kv = &host->conf[i];
		k = NULL;
		for (j = 0; j < sizeof(psim_keys) / sizeof(psim_keys[0]); j++)
			if (strcmp(kv->key, psim_keys[j].name) == 0)
				k = &psim_keys[j];
		if (k == NULL) {
			host->log(host, POD_LOG_ERROR, "%s: %s: unknown key",
			    kv->where, kv->key);
			return -1;
		}
		if (k->type == PSIM_K_FAULT) {
			if (psim_key_fault(host, kv, c) == -1)
				return -1;
			continue;
		}
		if (pod_parse_real(kv->value, &d) == -1 || d < k->min ||
		    d > k->max || (k->type == PSIM_K_INT && d != floor(d))) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: '%s': want %s %g..%g", kv->where, kv->key,
			    kv->value,
			    k->type == PSIM_K_INT ? "an integer" : "a number",
			    k->min, k->max);
			return -1;
		}
		if (k->type == PSIM_K_INT)
			*(int *)((char *)c + k->off) = (int)d;
		else
			*(double *)((char *)c + k->off) = d;
		if (strncmp(k->name, "clock_", 6) == 0)
			clock_where = kv->where;
	}
	if (c->clock_max_mhz - c->clock_min_mhz < PSIM_CLOCK_STEP_MHZ) {
		/* Only a clock key can get here. */
		host->log(host, POD_LOG_ERROR,
		    "%s: clock_min_mhz %g must be at least %g below "
		    "clock_max_mhz %g",
		    clock_where, c->clock_min_mhz, PSIM_CLOCK_STEP_MHZ,
		    c->clock_max_mhz);
		return -1;
	}
	for (i = 0; i < c->nfaults; i++)
		if (c->faults[i].index >= c->accels) {
			host->log(host, POD_LOG_ERROR,
			    "%s: fault: accelerator %d, but accels is %d",
			    c->faults[i].where, c->faults[i].index, c->accels);
			return -1;
		}
	return 0;
}

static int
psim_init(const struct pod_host *host, void **ctx)
{
	struct psim_conf conf;
	struct psim_accel *a;
	struct psim *s = NULL;
	double t_ref_c;
	int i;

	if (psim_conf_parse(host, &conf) == -1)
		goto fail;
	s = calloc(1, sizeof(*s) + conf.accels * sizeof(s->acc[0]));
	if (s == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		goto fail;
	}
	s->host = host;
	s->conf = conf;
	s->rng = host->seed;
	s->coolant_c = PSIM_COOLANT_C;
	s->power_min_w = conf.tdp_w * PSIM_LIMIT_MIN_FRAC;
	/* Calibrate C: a nominal part, fully busy at f_max, at the die
	 * temperature it settles to on default coolant, draws its TDP. */
	t_ref_c = PSIM_COOLANT_C + PSIM_RTH_K_PER_W * conf.tdp_w;
	s->dyn_w =
	    (conf.tdp_w - psim_leak_w(1.0, t_ref_c)) / (PSIM_ACT_FLOOR + 1.0);
	for (i = 0; i < conf.accels; i++) {
		a = &s->acc[i];
		a->leak_scale = 1.0 + PSIM_LEAK_SPREAD * psim_noise(&s->rng);
		a->rth_k_per_w = PSIM_RTH_K_PER_W *
		                 (1.0 + PSIM_RTH_SPREAD * psim_noise(&s->rng));
		a->cap_mhz = conf.clock_max_mhz;
		a->limit_w = conf.tdp_w;
	}
	*ctx = s;
	return 0;
fail:
	free(s);
	return -1;
}

static void
psim_fini(void *ctx)
{
	free(ctx);
}

static int
psim_devices(void *ctx, struct pod_device *out, int max)
{
	struct psim *s = ctx;
	const struct psim_conf *c = &s->conf;
	struct pod_device *d;
	int i, n = c->accels + 1;

	if (max < n) {
		PSIM_LOG(s, POD_LOG_ERROR, "%s: %d devices, room for %d",
		    __func__, n, max);
		return -1;
	}
	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < c->accels; i++) {
		d = &out[i];
		snprintf(d->name, sizeof(d->name), "accel%d", i);
		snprintf(d->model, sizeof(d->model), "SIM-X%.0f", c->tdp_w);
		d->domain = POD_DOMAIN_ACCEL;
		d->index = i;
		d->caps = POD_F_POWER | POD_F_ENERGY | POD_F_TEMP |
		          POD_F_CLOCK | POD_F_UTIL | POD_F_MEM | POD_CTL_CLOCK |
		          POD_CTL_POWER_LIMIT;
		d->clock_min_mhz = c->clock_min_mhz;
		d->clock_max_mhz = c->clock_max_mhz;
		d->power_min_w = s->power_min_w;
		d->power_max_w = c->tdp_w;
		d->tdp_w = c->tdp_w;
		d->temp_crit_c = PSIM_TEMP_CRIT_C;
		d->mem_total_mib = PSIM_MEM_TOTAL_MIB;
	}
	d = &out[c->accels];
	snprintf(d->name, sizeof(d->name), "node");
	snprintf(d->model, sizeof(d->model), "SIM-N%d", c->accels);
	d->domain = POD_DOMAIN_NODE;
	d->index = 0;
	d->caps = POD_F_POWER | POD_F_ENERGY;
	d->tdp_w =
	    c->accels * c->tdp_w + c->host_power_w * (1.0 + PSIM_HOST_LOAD);
	return n;
}

/*
 * Where the die of an idle part settles on the present coolant: the start
 * of the first read, so that a fresh instance shows no warm-up ramp. Power
 * depends on temperature through leakage, hence the fixed-point iteration;
 * it converges in a few steps because d(leak)/dT · R_th is about 0.03.
 */
static double
psim_idle_temp_c(const struct psim *s, const struct psim_accel *a)
{
	struct psim_accel idle = *a;
	int i;

	idle.util = 0.0;
	idle.membound = 0.0;
	idle.temp_c = s->coolant_c;
	for (i = 0; i < 8; i++)
		idle.temp_c = s->coolant_c +
		              idle.rth_k_per_w * psim_power_w(s, &idle,
		                                     psim_clock_mhz(s, &idle),
		                                     idle.temp_c);
	return idle.temp_c;
}

static void
psim_faults(struct psim *s, int64_t elapsed_ms)
{
	const struct psim_fault *f;
	int i;

	for (i = 0; i < s->conf.nfaults; i++) {
		f = &s->conf.faults[i];
		if ((s->fault_done & (1u << i)) || elapsed_ms < f->at_ms)
			continue;
		s->fault_done |= 1u << i;
		if (s->acc[f->index].hot)
			continue;
		s->acc[f->index].hot = 1;
		s->acc[f->index].rth_k_per_w *= PSIM_HOT_FACTOR;
		PSIM_LOG(s, POD_LOG_INFO,
		    "%s: fault hot: accel%d cold plate degraded", __func__,
		    f->index);
	}
}

static int
psim_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct psim *s = ctx;
	struct psim_accel *a;
	struct pod_sample smp, *o;
	double dt_s, alpha, f, p, sum_w = 0, util_sum = 0, node_w;
	int64_t wall_ms = pod_clock_ms(CLOCK_REALTIME);
	int i;

	if (!s->started) {
		s->started = 1;
		s->start_ms = s->last_ms = now_ms;
		for (i = 0; i < s->conf.accels; i++)
			s->acc[i].temp_c = psim_idle_temp_c(s, &s->acc[i]);
	}
	dt_s = now_ms > s->last_ms ? (now_ms - s->last_ms) / 1000.0 : 0.0;
	if (now_ms > s->last_ms)
		s->last_ms = now_ms;
	psim_faults(s, now_ms - s->start_ms);
	alpha = 1.0 - exp(-dt_s / PSIM_TAU_S);
	for (i = s->conf.accels + 1; i < n; i++)
		memset(&out[i], 0, sizeof(out[i]));
	for (i = 0; i < s->conf.accels; i++) {
		o = i < n ? &out[i] : &smp;
		a = &s->acc[i];
		/* The load set by environ() ran over the last dt at the
		 * clock chosen now; the die then moves toward its target. */
		f = psim_clock_mhz(s, a);
		p = psim_power_w(s, a, f, a->temp_c) *
		    (1.0 + PSIM_POWER_NOISE * psim_noise(&s->rng));
		a->energy_j += p * dt_s;
		a->temp_c +=
		    (s->coolant_c + a->rth_k_per_w * p - a->temp_c) * alpha;
		memset(o, 0, sizeof(*o));
		o->valid = POD_F_POWER | POD_F_ENERGY | POD_F_TEMP |
		           POD_F_CLOCK | POD_F_UTIL | POD_F_MEM;
		o->t_ms = wall_ms;
		o->power_w = p;
		o->energy_j = a->energy_j;
		o->temp_c = a->temp_c + PSIM_TEMP_NOISE_C * psim_noise(&s->rng);
		o->clock_mhz = f;
		o->util_pct = psim_clamp(
		    a->util * 100.0 + PSIM_UTIL_NOISE_PCT * psim_noise(&s->rng),
		    0.0, 100.0);
		if (a->util == 0.0)
			o->util_pct = 0.0;
		o->mem_used_mib =
		    psim_clamp(PSIM_MEM_BASE_MIB + a->util * PSIM_MEM_WORK_MIB +
		                   PSIM_MEM_NOISE_MIB * psim_noise(&s->rng),
		        0.0, PSIM_MEM_TOTAL_MIB);
		sum_w += p;
		util_sum += a->util;
	}
	node_w =
	    sum_w + s->conf.host_power_w *
	                (1.0 + PSIM_HOST_LOAD * util_sum / s->conf.accels) *
	                (1.0 + PSIM_POWER_NOISE * psim_noise(&s->rng));
	s->node_energy_j += node_w * dt_s;
	o = s->conf.accels < n ? &out[s->conf.accels] : &smp;
	memset(o, 0, sizeof(*o));
	o->t_ms = wall_ms;
	o->valid = POD_F_POWER | POD_F_ENERGY;
	o->power_w = node_w;
	o->energy_j = s->node_energy_j;
	return 0;
}

static int
psim_control(void *ctx, int dev, const struct pod_control *c)
{
	struct psim *s = ctx;
	struct psim_accel *a;
	const uint32_t known = POD_CTL_CLOCK | POD_CTL_POWER_LIMIT;

	if (dev < 0 || dev >= s->conf.accels) {
		PSIM_LOG(s, POD_LOG_ERROR, "%s: device %d takes no control",
		    __func__, dev);
		return -1;
	}
	if ((c->set & ~known) != 0 ||
	    ((c->set & POD_CTL_CLOCK) && !isfinite(c->clock_max_mhz)) ||
	    ((c->set & POD_CTL_POWER_LIMIT) && !isfinite(c->power_limit_w))) {
		PSIM_LOG(s, POD_LOG_ERROR, "%s: accel%d: bad control (set %#x)",
		    __func__, dev, c->set);
		return -1;
	}
	a = &s->acc[dev];
	if (c->set & POD_CTL_CLOCK)
		a->cap_mhz = psim_clamp(c->clock_max_mhz, s->conf.clock_min_mhz,
		    s->conf.clock_max_mhz);
	if (c->set & POD_CTL_POWER_LIMIT)
		a->limit_w =
		    psim_clamp(c->power_limit_w, s->power_min_w, s->conf.tdp_w);
	return 0;
}

static void
psim_environ(void *ctx, const struct pod_env *env)
{
	struct psim *s = ctx;
	struct psim_accel *a;
	int i;

	s->coolant_c =
	    isfinite(env->coolant_c) ? env->coolant_c : PSIM_COOLANT_C;
	for (i = 0; i < s->conf.accels; i++) {
		a = &s->acc[i];
		a->util = a->membound = 0.0;
		if (env->load == NULL || i >= env->nload)
			continue;
		if (isfinite(env->load[i].util))
			a->util = psim_clamp(env->load[i].util, 0.0, 1.0);
		if (isfinite(env->load[i].membound))
			a->membound =
			    psim_clamp(env->load[i].membound, 0.0, 1.0);
	}
}

static const struct pod_plugin_ops psim_ops = {
    .devices = psim_devices,
    .read = psim_read,
    .control = psim_control,
    .environ = psim_environ,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "power",
    .name = "sim",
    .description = "simulated accelerators: DVFS power model, thermal lag",
    .init = psim_init,
    .fini = psim_fini,
    .ops = &psim_ops,
};
