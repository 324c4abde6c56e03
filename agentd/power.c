/*
 * A node's power settings: see power.h. The order inside a step is the
 * protocol's: the policy decides (dvfs_step(), with whichever cap is in
 * force), then the guard overrides it. The guard's word also goes into the
 * controller as "pinned", so that the power-cap loop counts a throttled
 * accelerator as fixed rather than as one that will draw more if given
 * more; but the override afterwards does not depend on the controller
 * having listened.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "power.h"
#include "wire.h"

/*
 * The policy parameters desired.power.params may carry. key: the member;
 * policy: the only policy that reads it; off: where it lands in struct
 * dvfs_policy_conf. A member of another policy is ignored (the controller
 * refuses unknown ones; the agent takes what it understands).
 */
static const struct param_def {
	const char *key;
	enum dvfs_policy policy;
	size_t off;
} params[] = {
    {"cap_w", DVFS_POWER_CAP, offsetof(struct dvfs_policy_conf, cap_w)},
    {"target_c", DVFS_THERMAL, offsetof(struct dvfs_policy_conf, target_c)},
    {"slowdown_pct", DVFS_ENERGY,
        offsetof(struct dvfs_policy_conf, slowdown_pct)},
    {"fraction", DVFS_CURTAIL, offsetof(struct dvfs_policy_conf, fraction)},
};

void
power_init(struct power *p, const struct pod_device *accels, int naccel,
    double guard_min_flow_lpm, double guard_clear_s)
{
	struct dvfs_accel *a;
	int i;

	memset(p, 0, sizeof(*p));
	if (naccel > DVFS_MAX_ACCELS)
		naccel = DVFS_MAX_ACCELS;
	p->naccel = naccel;
	for (i = 0; i < naccel; i++) {
		a = &p->acc[i];
		a->clock_min_mhz = accels[i].clock_min_mhz;
		a->clock_max_mhz = accels[i].clock_max_mhz;
		a->clock_step_mhz = DVFS_STEP_MHZ;
		a->tdp_w = accels[i].tdp_w;
		a->power_w = a->temp_c = a->clock_mhz = a->util_pct = NAN;
		a->membound = NAN;
		p->temp_crit_c[i] = accels[i].temp_crit_c;
		p->caps_mhz[i] = a->clock_max_mhz;
	}
	dvfs_init(&p->dvfs);
	guard_init(&p->guard, guard_min_flow_lpm, guard_clear_s);
	p->want.policy = p->dvfs.conf;
	p->want.cap_w = p->want.fallback_cap_w = NAN;
	p->want.fallback_after_s = NAN;
	p->node_cap_w = NAN;
}

int
power_from_wire(const struct desired_power *d, struct power_want *out,
    char *err, size_t errlen)
{
	char e[128];
	size_t i;
	int k;

	memset(out, 0, sizeof(*out));
	out->policy.cap_w = NAN;
	out->policy.target_c = DVFS_DEFAULT_TARGET_C;
	out->policy.slowdown_pct = DVFS_DEFAULT_SLOWDOWN;
	out->policy.fraction = 1.0;
	if (dvfs_policy_parse(d->policy[0] ? d->policy : "performance",
	        &out->policy.policy) == -1) {
		snprintf(err, errlen,
		    "'policy' must be one of performance, "
		    "powersave, power_cap, thermal, energy, "
		    "curtail");
		return -1;
	}
	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		if (params[i].policy != out->policy.policy)
			continue;
		for (k = 0; k < d->nparams; k++)
			if (strcmp(d->params[k].name, params[i].key) == 0)
				*(double *)((char *)&out->policy +
				            params[i].off) = d->params[k].value;
	}
	if (!dvfs_conf_valid(&out->policy, e, sizeof(e))) {
		snprintf(err, errlen, "params: %s", e);
		return -1;
	}
	out->cap_w = d->cap_w;
	out->fallback_cap_w = d->fallback_cap_w;
	out->fallback_after_s = isnan(d->fallback_after_s)
	                            ? POWER_FALLBACK_AFTER_S
	                            : d->fallback_after_s;
	return 0;
}

int
power_parse(json_t *obj, struct power_want *out, char *err, size_t errlen)
{
	struct desired_power d;

	if (wire_desired_power_decode(obj, &d, err, errlen) == -1)
		return -1;
	return power_from_wire(&d, out, err, errlen);
}

/* The parameter of c's policy, NULL when it reads none. */
static const struct param_def *
param_of(const struct dvfs_policy_conf *c)
{
	size_t i;

	for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
		if (params[i].policy == c->policy)
			return &params[i];
	return NULL;
}

static double
param_value(const struct dvfs_policy_conf *c, const struct param_def *pd)
{
	return *(const double *)((const char *)c + pd->off);
}

/* NaN-aware equality. */
static int
same(double x, double y)
{
	return (isnan(x) && isnan(y)) || x == y;
}

int
power_want_equal(const struct power_want *a, const struct power_want *b)
{
	const struct param_def *pd = param_of(&a->policy);

	return a->policy.policy == b->policy.policy &&
	       (pd == NULL || same(param_value(&a->policy, pd),
	                          param_value(&b->policy, pd))) &&
	       same(a->cap_w, b->cap_w) &&
	       same(a->fallback_cap_w, b->fallback_cap_w) &&
	       same(a->fallback_after_s, b->fallback_after_s);
}

void
power_describe(const struct power_want *w, char *buf, size_t size)
{
	const struct param_def *pd = param_of(&w->policy);
	char param[64] = "", cap[32] = "none", fb[64] = "none";

	if (pd != NULL)
		snprintf(param, sizeof(param), " (%s %g)", pd->key,
		    param_value(&w->policy, pd));
	if (isfinite(w->cap_w))
		snprintf(cap, sizeof(cap), "%.0f W", w->cap_w);
	if (isfinite(w->fallback_cap_w))
		snprintf(fb, sizeof(fb), "%.0f W after %g s", w->fallback_cap_w,
		    w->fallback_after_s);
	snprintf(buf, size, "policy %s%s, cap %s, fallback %s",
	    dvfs_policy_name(w->policy.policy), param, cap, fb);
}

void
power_set(struct power *p, const struct power_want *w)
{
	p->want = *w;
	dvfs_set(&p->dvfs, &w->policy);
}

int
power_loop(struct power *p, const struct sample_loop *l, double dt_s)
{
	int i, leak = -1;
	double flow = NAN;

	if (l != NULL && (l->valid & POD_F_LEAK))
		leak = l->leak != 0;
	if (l != NULL && (l->valid & POD_F_FLOW))
		flow = l->flow_lpm;
	guard_loop(&p->guard, leak, flow, dt_s);
	if (!guard_all(&p->guard))
		return 0;
	for (i = 0; i < p->naccel; i++)
		p->caps_mhz[i] = p->acc[i].clock_min_mhz;
	return 1;
}

void
power_step(struct power *p, const struct sample *s, const double *membound,
    double dt_s, double silent_s)
{
	const struct sample_accel *sa;
	const struct power_want *w = &p->want;
	struct dvfs_accel *a;
	struct dvfs_input in;
	struct dvfs_output out;
	double temp[DVFS_MAX_ACCELS];
	int i, n = p->naccel < s->naccel ? p->naccel : s->naccel;

	for (i = 0; i < n; i++) {
		sa = &s->accels[i];
		temp[i] = (sa->valid & POD_F_TEMP) ? sa->temp_c : NAN;
	}
	guard_accels(&p->guard, n, temp, p->temp_crit_c);
	for (i = 0; i < p->naccel; i++) {
		a = &p->acc[i];
		sa = i < n ? &s->accels[i] : NULL;
		a->power_w =
		    sa && (sa->valid & POD_F_POWER) ? sa->power_w : NAN;
		a->temp_c = i < n ? temp[i] : NAN;
		/* Without a clock reading, the cap it was given is the
		 * best guess of the clock it ran. */
		a->clock_mhz = sa && (sa->valid & POD_F_CLOCK) ? sa->clock_mhz
		                                               : p->caps_mhz[i];
		a->util_pct =
		    sa && (sa->valid & POD_F_UTIL) ? sa->util_pct : NAN;
		a->membound = membound != NULL ? membound[i] : NAN;
		a->pinned = guard_pinned(&p->guard, i);
	}
	memset(&in, 0, sizeof(in));
	in.accel = p->acc;
	in.naccel = p->naccel;
	in.node_power_w = s->power_w;
	in.supply_c = in.return_c = NAN;
	if (s->has_loop && (s->loop.valid & POD_F_SUPPLY))
		in.supply_c = s->loop.supply_c;
	if (s->has_loop && (s->loop.valid & POD_F_RETURN))
		in.return_c = s->loop.return_c;
	in.dt_s = dt_s;
	p->fallback = isfinite(silent_s) && isfinite(w->fallback_cap_w) &&
	              isfinite(w->fallback_after_s) &&
	              silent_s >= w->fallback_after_s;
	in.cap_w = p->fallback ? w->fallback_cap_w : w->cap_w;
	dvfs_step(&p->dvfs, &in, &out);
	p->node_cap_w = out.node_cap_w;
	p->limiting = out.limiting;
	for (i = 0; i < p->naccel; i++)
		p->caps_mhz[i] = p->acc[i].pinned ? p->acc[i].clock_min_mhz
		                                  : out.clock_cap_mhz[i];
}

json_t *
power_json(const struct power *p, const double *applied_mhz)
{
	struct report_power w;
	int i;

	memset(&w, 0, sizeof(w));
	snprintf(w.policy, sizeof(w.policy), "%s",
	    dvfs_policy_name(p->want.policy.policy));
	w.cap_w = p->node_cap_w;
	w.limiting = p->limiting;
	w.fallback = p->fallback;
	for (i = 0; i < p->naccel && i < REPORT_MAX_ACCELS; i++)
		w.clock_caps_mhz[w.ncaps++] = isfinite(applied_mhz[i])
		                                  ? (int)llround(applied_mhz[i])
		                                  : -1;
	w.guard_leak = p->guard.leak;
	w.guard_lowflow = p->guard.lowflow;
	for (i = 0; i < p->naccel && i < GUARD_MAX_ACCELS && i < 64; i++)
		if (p->guard.overtemp[i])
			w.guard_overtemp |= (uint64_t)1 << i;
	return wire_power_json(&w);
}
