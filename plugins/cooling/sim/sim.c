/*
 * cooling/sim: a simulated node's coolant loop, one device "loop". Coolant
 * (25 % propylene glycol) arrives from the CDU at the supply temperature,
 * which the CDU holds to within a few tenths of a degree, passes the cold
 * plates and leaves warmer by the heat the node puts into it:
 *
 *	Q = ṁ·c_p·(T_return − T_supply),	ṁ = flow·ρ
 *
 * The heat is what the host last measured as the node's electrical power
 * (env.heat_w): in steady state every watt a node draws ends up in its
 * liquid. The return temperature follows with a first-order lag whose time
 * constant is the loop's thermal mass over ṁ·c_p, so it stretches when the
 * flow drops. The differential pressure across the node's fixed hydraulic
 * resistance goes with flow². Faults ("leak", "flowloss") switch on at a
 * configured time after the first read, which is what the agent's safety
 * guard and the alarms are tested against. docs/simulation.md has the
 * constants and why they are plausible.
 *
 * Like power/sim, all state lives in the instance (pod-fleetsim runs many),
 * the noise comes from a splitmix64 generator seeded by the host, and the
 * plugin logs only through host->log.
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

#define CSIM_RHO_KG_PER_L    1.02   /* 25 % propylene glycol, ~30 °C, kg/L */
#define CSIM_CP_J_PER_KG_K   3900.0 /* same, J/(kg·K) */
#define CSIM_TAU_S           10.0   /* loop lag at nominal flow, s */
#define CSIM_R_KPA_PER_LPM2  1.2    /* ΔP = R·flow²: 120 kPa at 10 L/min */
#define CSIM_PUMP_PCT        60.0   /* CDU pump speed, % */
#define CSIM_WANDER1_C       0.2    /* slow CDU control swing, ±°C */
#define CSIM_WANDER2_C       0.1    /* faster CDU control swing, ±°C */
#define CSIM_FLOW_NOISE      0.003  /* flow meter noise, ±share */
#define CSIM_TEMP_NOISE_C    0.01   /* RTD noise, ±°C */
#define CSIM_FLOWLOSS_FRAC   0.1    /* flow left after a flow loss, share */
#define CSIM_FLOWLOSS_RAMP_S 2.0    /* how long the flow takes to fall, s */
#define CSIM_PI              3.14159265358979323846

struct csim_conf {
	double supply_c;        /* CDU supply set point, °C */
	double flow_lpm;        /* nominal flow through the node, L/min */
	int64_t leak_at_ms;     /* leak shows, after first read, ms; -1 never */
	int64_t flowloss_at_ms; /* flow starts to fall, ms; -1 never */
};

struct csim {
	const struct pod_host *host; /* borrowed, valid until fini */
	struct csim_conf conf;
	uint64_t rng;          /* splitmix64 state */
	double period1_s;      /* slow supply swing period, s */
	double period2_s;      /* faster supply swing period, s */
	double phase1, phase2; /* their phases, rad */
	double heat_w;         /* last heat the host reported, W; NaN none */
	double rise_k;         /* lagged return − supply, K */
	int primed;            /* 1: rise_k has met a known heat */
	int started;           /* 1 after the first read */
	int64_t start_ms;      /* first read, ms */
	int64_t last_ms;       /* previous read, ms */
	int leak_logged, flowloss_logged;
};

#define CSIM_LOG(s, lvl, ...) (s)->host->log((s)->host, (lvl), __VA_ARGS__)

/*
 * The configuration keys. name: the key in the plugin's section; type: a
 * real number or a fault spec; min, max: accepted range, inclusive; off:
 * where the value lands in struct csim_conf.
 */
enum csim_ktype { CSIM_K_REAL, CSIM_K_FAULT };
static const struct csim_key {
	const char *name;
	enum csim_ktype type;
	double min, max;
	size_t off;
} csim_keys[] = {
    {"supply_c", CSIM_K_REAL, 5, 60, offsetof(struct csim_conf, supply_c)},
    {"flow_lpm", CSIM_K_REAL, 0.5, 200, offsetof(struct csim_conf, flow_lpm)},
    {"fault", CSIM_K_FAULT, 0, 0, 0},
};

/*
 * The fault kinds. name: what `fault = NAME@SECONDS` says; off: the field
 * of struct csim_conf that holds its start time.
 */
static const struct csim_fault {
	const char *name;
	size_t off;
} csim_faults[] = {
    {"leak", offsetof(struct csim_conf, leak_at_ms)},
    {"flowloss", offsetof(struct csim_conf, flowloss_at_ms)},
};

static uint64_t
csim_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double
csim_noise(uint64_t *state)
{
	return (double)(csim_next(state) >> 11) * 0x1.0p-52 - 1.0;
}

/* `fault = KIND@SECONDS`; the earliest time wins when a kind repeats. */
static int
csim_key_fault(
    const struct pod_host *host, const struct pod_kv *kv, struct csim_conf *c)
{
	const char *v = kv->value, *at;
	const struct csim_fault *f = NULL;
	int64_t *slot, at_ms;
	double sec;
	size_t j, len;

	if ((at = strchr(v, '@')) == NULL) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want leak@SECONDS or flowloss@SECONDS",
		    kv->where, kv->key, v);
		return -1;
	}
	len = at - v;
	for (j = 0; j < sizeof(csim_faults) / sizeof(csim_faults[0]); j++)
		if (strlen(csim_faults[j].name) == len &&
		    strncmp(v, csim_faults[j].name, len) == 0)
			f = &csim_faults[j];
	if (f == NULL) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': unknown fault, want leak or flowloss",
		    kv->where, kv->key, v);
		return -1;
	}
	if (pod_parse_real(at + 1, &sec) == -1 || sec < 0 || sec > 1e7) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': bad time, want seconds 0..1e7", kv->where,
		    kv->key, v);
		return -1;
	}
	slot = (int64_t *)((char *)c + f->off);
	at_ms = (int64_t)llround(sec * 1000.0);
	if (*slot < 0 || at_ms < *slot)
		*slot = at_ms;
	return 0;
}

static int
csim_conf_parse(const struct pod_host *host, struct csim_conf *c)
{
	const struct pod_kv *kv;
	const struct csim_key *k;
	double d;
	size_t j;
	int i;

	c->supply_c = 30.0;
	c->flow_lpm = 10.0;
	c->leak_at_ms = -1;
	c->flowloss_at_ms = -1;
	for (i = 0; i < host->nconf; i++) {
		kv = &host->conf[i];
		k = NULL;
		for (j = 0; j < sizeof(csim_keys) / sizeof(csim_keys[0]); j++)
			if (strcmp(kv->key, csim_keys[j].name) == 0)
				k = &csim_keys[j];
		if (k == NULL) {
			host->log(host, POD_LOG_ERROR, "%s: %s: unknown key",
			    kv->where, kv->key);
			return -1;
		}
		if (k->type == CSIM_K_FAULT) {
			if (csim_key_fault(host, kv, c) == -1)
				return -1;
			continue;
		}
		if (pod_parse_real(kv->value, &d) == -1 || d < k->min ||
		    d > k->max) {
			host->log(host, POD_LOG_ERROR,
			    "%s: %s: '%s': want a number %g..%g", kv->where,
			    kv->key, kv->value, k->min, k->max);
			return -1;
		}
		*(double *)((char *)c + k->off) = d;
	}
	return 0;
}

static int
csim_init(const struct pod_host *host, void **ctx)
{
	struct csim_conf conf;
	struct csim *s = NULL;

	if (csim_conf_parse(host, &conf) == -1)
		goto fail;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		goto fail;
	}
	s->host = host;
	s->conf = conf;
	s->rng = host->seed;
	/* Each node's CDU swing has its own periods and phases. */
	s->period1_s = 750.0 + 150.0 * csim_noise(&s->rng);
	s->period2_s = 180.0 + 60.0 * csim_noise(&s->rng);
	s->phase1 = CSIM_PI * csim_noise(&s->rng);
	s->phase2 = CSIM_PI * csim_noise(&s->rng);
	s->heat_w = NAN;
	*ctx = s;
	return 0;
fail:
	free(s);
	return -1;
}

static void
csim_fini(void *ctx)
{
	free(ctx);
}

static int
csim_devices(void *ctx, struct pod_device *out, int max)
{
	struct csim *s = ctx;

	if (max < 1) {
		CSIM_LOG(
		    s, POD_LOG_ERROR, "%s: no room for the loop", __func__);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "loop");
	snprintf(out->model, sizeof(out->model), "SIM-CDU-PG25");
	out->domain = POD_DOMAIN_LOOP;
	out->index = 0;
	out->caps = POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW | POD_F_PRESSURE |
	            POD_F_PUMP | POD_F_LEAK;
	return 1;
}

/* Share of nominal flow left `elapsed_ms` after the first read. */
static double
csim_flow_frac(struct csim *s, int64_t elapsed_ms)
{
	double t_s;

	if (s->conf.flowloss_at_ms < 0 || elapsed_ms < s->conf.flowloss_at_ms)
		return 1.0;
	if (!s->flowloss_logged) {
		s->flowloss_logged = 1;
		CSIM_LOG(s, POD_LOG_INFO, "%s: fault flowloss", __func__);
	}
	t_s = (elapsed_ms - s->conf.flowloss_at_ms) / 1000.0;
	if (t_s >= CSIM_FLOWLOSS_RAMP_S)
		return CSIM_FLOWLOSS_FRAC;
	return 1.0 - (1.0 - CSIM_FLOWLOSS_FRAC) * t_s / CSIM_FLOWLOSS_RAMP_S;
}

static int
csim_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct csim *s = ctx;
	int64_t elapsed_ms;
	double dt_s, t_s, flow_lpm, mcp_w_per_k, rise_ss_k, supply_c, tau_s;
	int leak;

	if (n < 1) {
		CSIM_LOG(
		    s, POD_LOG_ERROR, "%s: no room for the loop", __func__);
		return -1;
	}
	if (!s->started) {
		s->started = 1;
		s->start_ms = s->last_ms = now_ms;
	}
	dt_s = now_ms > s->last_ms ? (now_ms - s->last_ms) / 1000.0 : 0.0;
	if (now_ms > s->last_ms)
		s->last_ms = now_ms;
	elapsed_ms = now_ms - s->start_ms;
	t_s = elapsed_ms / 1000.0;

	supply_c =
	    s->conf.supply_c +
	    CSIM_WANDER1_C * sin(2 * CSIM_PI * t_s / s->period1_s + s->phase1) +
	    CSIM_WANDER2_C * sin(2 * CSIM_PI * t_s / s->period2_s + s->phase2);
	flow_lpm = s->conf.flow_lpm * csim_flow_frac(s, elapsed_ms);
	mcp_w_per_k = flow_lpm / 60.0 * CSIM_RHO_KG_PER_L * CSIM_CP_J_PER_KG_K;
	/* Thermal mass over ṁ·c_p: the nominal τ at nominal flow. */
	tau_s = CSIM_TAU_S * s->conf.flow_lpm / flow_lpm;
	if (isfinite(s->heat_w)) {
		rise_ss_k = s->heat_w / mcp_w_per_k;
		if (!s->primed) {
			/* Start where the loop would already be, no ramp. */
			s->primed = 1;
			s->rise_k = rise_ss_k;
		}
		s->rise_k +=
		    (rise_ss_k - s->rise_k) * (1.0 - exp(-dt_s / tau_s));
	}
	leak = s->conf.leak_at_ms >= 0 && elapsed_ms >= s->conf.leak_at_ms;
	if (leak && !s->leak_logged) {
		s->leak_logged = 1;
		CSIM_LOG(s, POD_LOG_INFO, "%s: fault leak", __func__);
	}

	memset(out, 0, n * sizeof(*out));
	out->valid = POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW | POD_F_PRESSURE |
	             POD_F_PUMP | POD_F_LEAK;
	out->t_ms = pod_clock_ms(CLOCK_REALTIME);
	out->supply_c = supply_c + CSIM_TEMP_NOISE_C * csim_noise(&s->rng);
	out->return_c =
	    supply_c + s->rise_k + CSIM_TEMP_NOISE_C * csim_noise(&s->rng);
	out->flow_lpm =
	    flow_lpm * (1.0 + CSIM_FLOW_NOISE * csim_noise(&s->rng));
	out->pressure_kpa = CSIM_R_KPA_PER_LPM2 * flow_lpm * flow_lpm;
	out->pump_pct = CSIM_PUMP_PCT;
	out->leak = leak;
	return 0;
}

static void
csim_environ(void *ctx, const struct pod_env *env)
{
	struct csim *s = ctx;

	/* Unknown heat: the host has no power sample yet, or lost it; keep
	 * the last one rather than cool the loop down on a gap. */
	if (isfinite(env->heat_w))
		s->heat_w = env->heat_w > 0.0 ? env->heat_w : 0.0;
}

static const struct pod_plugin_ops csim_ops = {
    .devices = csim_devices,
    .read = csim_read,
    .control = NULL,
    .environ = csim_environ,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "cooling",
    .name = "sim",
    .description = "simulated coolant loop: heat balance, flow, faults",
    .init = csim_init,
    .fini = csim_fini,
    .ops = &csim_ops,
};
