/*
 * The DVFS controllers: see dvfs.h for their shape and docs/dvfs.md for
 * the reasoning and the measured responses.
 *
 * Every step starts by fitting the accelerator model through the sample
 * each accelerator just gave: with S a fixed share of its TDP, D follows
 * from P = S + D·g(f) at the clock it ran, where g(f) = (f/f_max)·(V/V_max)²
 * and V is linear in f. Fitting through the operating point makes the
 * model exact where the accelerator is and only approximate where it is
 * going, so each loop below is an integrator in velocity form whose state
 * is the measured power itself: u_n = P_n + correction. That is also the
 * anti-windup: an accelerator held at f_max by its own ceiling reads back
 * its real power, so no integral grows beyond what the hardware did.
 *
 * Node power caps share the accelerators' budget at one clock level for
 * all (x from 0 at f_min to 1 at f_max, each accelerator's own range):
 * under the model that gives every accelerator the same share of its own
 * dynamic range, so a busy one, whose D is large, gets more watts than an
 * idle one. The level is found by bisection; clocks then go down to the
 * clock grid and the budget left over lifts the busiest accelerators one
 * step each, which resolves the node's power finer than one step.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dvfs.h"

#define DVFS_V_MIN_RATIO   (2.0 / 3.0) /* V(f_min) / V(f_max) */
#define DVFS_STATIC_SHARE  0.10        /* static power, share of TDP */
#define DVFS_STATIC_NO_TDP 0.20        /* without a TDP, share of a sample */
#define DVFS_STATIC_MAX    0.80        /* static at most, share of a sample */
#define DVFS_CAP_GAIN      0.7         /* cap error corrected per step, share */
#define DVFS_CAP_DEADBAND  0.005       /* error left alone, share of the cap */
#define DVFS_UTIL_BUCKET   10.0        /* utilisation ranks by this much, % */
#define DVFS_DIE_TAU_S     5.0         /* die + cold plate lag assumed, s */
#define DVFS_RTH_INIT      0.05 /* die to coolant before an estimate, K/W */
#define DVFS_RTH_MIN       0.01 /* K/W, bounds of the estimate */
#define DVFS_RTH_MAX       1.0
#define DVFS_LOOP_TAU_S    10.0 /* loop outlet lag assumed, s */
#define DVFS_LOOP_GAIN     0.5  /* outlet loop: share of the ideal gain */
#define DVFS_LOOP_K_MIN    1e-5 /* outlet rise per node W, K/W, bounds */
#define DVFS_LOOP_K_MAX    0.1
#define DVFS_LOOP_DT_MIN_C 0.5  /* rise too small to estimate from, K */
#define DVFS_EST_TAU_S     30.0 /* smoothing of the thermal estimates, s */
#define DVFS_UTIL_TAU_S    5.0  /* energy: falling utilisation, s */
#define DVFS_BISECT_ITER   40   /* bisection steps: 2^-40 of a range */
#define DVFS_CAP_MAX_W     1e7  /* a node cap beyond any node, W */

/* The model of one accelerator, fitted through its last sample. */
struct model {
	double s_w; /* static power, W */
	double d_w; /* dynamic power at f_max, W */
	int ok;     /* 0: no power reading, no model */
};

typedef void (*stage_fn)(struct dvfs *d, const struct dvfs_input *in,
    const struct model *m, double *clk);
typedef double (*cap_fn)(struct dvfs *d, const struct dvfs_input *in);

static void stage_max(struct dvfs *d, const struct dvfs_input *in,
    const struct model *m, double *clk);
static void stage_min(struct dvfs *d, const struct dvfs_input *in,
    const struct model *m, double *clk);
static void stage_thermal(struct dvfs *d, const struct dvfs_input *in,
    const struct model *m, double *clk);
static void stage_energy(struct dvfs *d, const struct dvfs_input *in,
    const struct model *m, double *clk);
static double cap_power_cap(struct dvfs *d, const struct dvfs_input *in);
static double cap_curtail(struct dvfs *d, const struct dvfs_input *in);

/*
 * The policies, in enum dvfs_policy order. name: the protocol's; stage:
 * the clocks the policy proposes; cap: the node cap the policy adds to the
 * allocator's (NULL: none).
 */
static const struct policy_def {
	const char *name;
	stage_fn stage;
	cap_fn cap;
} policies[DVFS_NPOLICIES] = {
    {"performance", stage_max, NULL},
    {"powersave", stage_min, NULL},
    {"power_cap", stage_max, cap_power_cap},
    {"thermal", stage_thermal, NULL},
    {"energy", stage_energy, NULL},
    {"curtail", stage_max, cap_curtail},
};

static double
clamp(double v, double lo, double hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

/* The lower of two caps, NaN meaning none. */
static double
min_cap(double a, double b)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return a < b ? a : b;
}

/* Exponential smoothing over dt with time constant tau. */
static double
smooth(double avg, double v, double dt_s, double tau_s)
{
	if (isnan(avg))
		return v;
	return avg + (v - avg) * (1.0 - exp(-dt_s / tau_s));
}

/* g(f): switching power at f, as a share of that at f_max. */
static double
shape(const struct dvfs_accel *a, double f_mhz)
{
	double span = a->clock_max_mhz - a->clock_min_mhz, v;

	v = span > 0 ? clamp((f_mhz - a->clock_min_mhz) / span, 0, 1) : 1;
	v = DVFS_V_MIN_RATIO + (1.0 - DVFS_V_MIN_RATIO) * v;
	return f_mhz / a->clock_max_mhz * v * v;
}

static double
model_w(const struct model *m, const struct dvfs_accel *a, double f_mhz)
{
	return m->s_w + m->d_w * shape(a, f_mhz);
}

/* The clock at which the model draws p_w, within [f_min, f_max]. */
static double
model_mhz(const struct model *m, const struct dvfs_accel *a, double p_w)
{
	double lo = a->clock_min_mhz, hi = a->clock_max_mhz, mid;
	int k;

	if (!m->ok || model_w(m, a, hi) <= p_w)
		return hi;
	if (model_w(m, a, lo) >= p_w)
		return lo;
	for (k = 0; k < DVFS_BISECT_ITER; k++) {
		mid = (lo + hi) / 2;
		if (model_w(m, a, mid) <= p_w)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void
model_fit(struct model *m, const struct dvfs_accel *a, double ran_mhz)
{
	double s;

	m->ok = 0;
	if (!isfinite(a->power_w) || a->power_w <= 0 || !isfinite(ran_mhz) ||
	    ran_mhz <= 0 || a->clock_max_mhz <= 0)
		return;
	s = a->tdp_w > 0 ? DVFS_STATIC_SHARE * a->tdp_w
	                 : DVFS_STATIC_NO_TDP * a->power_w;
	if (s > DVFS_STATIC_MAX * a->power_w)
		s = DVFS_STATIC_MAX * a->power_w;
	m->s_w = s;
	m->d_w = (a->power_w - s) / shape(a, ran_mhz);
	m->ok = 1;
}

/* The highest grid clock not above f. */
static double
grid_floor(const struct dvfs_accel *a, double f_mhz)
{
	double step = a->clock_step_mhz;

	if (f_mhz >= a->clock_max_mhz)
		return a->clock_max_mhz;
	if (f_mhz <= a->clock_min_mhz)
		return a->clock_min_mhz;
	if (step <= 0)
		return f_mhz;
	return a->clock_min_mhz +
	       step * floor((f_mhz - a->clock_min_mhz) / step + 1e-9);
}

/* The lowest grid clock not below f. */
static double
grid_ceil(const struct dvfs_accel *a, double f_mhz)
{
	double step = a->clock_step_mhz, v;

	if (f_mhz <= a->clock_min_mhz)
		return a->clock_min_mhz;
	if (f_mhz >= a->clock_max_mhz)
		return a->clock_max_mhz;
	if (step <= 0)
		return f_mhz;
	v = a->clock_min_mhz +
	    step * ceil((f_mhz - a->clock_min_mhz) / step - 1e-9);
	return v > a->clock_max_mhz ? a->clock_max_mhz : v;
}

/* The grid clock one step above the grid clock f (f_max stays). */
static double
grid_next(const struct dvfs_accel *a, double f_mhz)
{
	if (a->clock_step_mhz <= 0)
		return f_mhz;
	return grid_ceil(a, f_mhz + a->clock_step_mhz / 2);
}

/* Accelerator a's clock at level x (0: f_min, 1: f_max). */
static double
level_mhz(const struct dvfs_accel *a, double x)
{
	return a->clock_min_mhz + x * (a->clock_max_mhz - a->clock_min_mhz);
}

/* The modelled accelerator power at level x, no clock above lim. */
static double
level_w(const struct dvfs_input *in, const struct model *m, const double *lim,
    double x)
{
	double sum = 0;
	int i;

	for (i = 0; i < in->naccel; i++)
		if (m[i].ok)
			sum += model_w(&m[i], &in->accel[i],
			    fmin(lim[i], level_mhz(&in->accel[i], x)));
	return sum;
}

static double
util_rank(const struct dvfs_accel *a)
{
	if (!isfinite(a->util_pct))
		return 0;
	return floor(a->util_pct / DVFS_UTIL_BUCKET);
}

/*
 * Clocks under lim[] whose modelled power adds up to budget_w at most:
 * one level for all, down to the grid, then the busiest accelerators one
 * step up while the budget lasts. Returns 1 when some clock ends under
 * its lim, else 0 (the budget does not bind).
 */
static int
cap_share(const struct dvfs_input *in, const struct model *m, const double *lim,
    double budget_w, double *out)
{
	const struct dvfs_accel *a;
	double lo = 0, hi = 1, mid, rest, up, dp, ui, uj;
	int order[DVFS_MAX_ACCELS], i, j, k, n = in->naccel, binding = 0;

	if (level_w(in, m, lim, 1.0) <= budget_w) {
		memcpy(out, lim, n * sizeof(out[0]));
		return 0;
	}
	if (level_w(in, m, lim, 0.0) < budget_w)
		for (k = 0; k < DVFS_BISECT_ITER; k++) {
			mid = (lo + hi) / 2;
			if (level_w(in, m, lim, mid) <= budget_w)
				lo = mid;
			else
				hi = mid;
		}
	rest = budget_w;
	for (i = 0; i < n; i++) {
		a = &in->accel[i];
		out[i] = fmin(lim[i], grid_floor(a, level_mhz(a, lo)));
		if (m[i].ok)
			rest -= model_w(&m[i], a, out[i]);
	}
	/* Busiest first, by buckets of utilisation so that sensor noise
	 * does not reorder equally busy ones; index breaks ties. */
	for (i = 0; i < n; i++) {
		ui = util_rank(&in->accel[i]);
		for (j = i; j > 0; j--) {
			uj = util_rank(&in->accel[order[j - 1]]);
			if (!(ui > uj))
				break;
			order[j] = order[j - 1];
		}
		order[j] = i;
	}
	for (k = 0; k < n; k++) {
		i = order[k];
		a = &in->accel[i];
		up = fmin(lim[i], grid_next(a, out[i]));
		if (!m[i].ok || up <= out[i])
			continue;
		dp = model_w(&m[i], a, up) - model_w(&m[i], a, out[i]);
		if (dp <= rest) {
			out[i] = up;
			rest -= dp;
		}
	}
	for (i = 0; i < n; i++)
		if (out[i] < lim[i] - 0.5)
			binding = 1;
	return binding;
}

static void
stage_max(struct dvfs *d, const struct dvfs_input *in, const struct model *m,
    double *clk)
{
	int i;

	for (i = 0; i < in->naccel; i++)
		clk[i] = in->accel[i].clock_max_mhz;
}

static void
stage_min(struct dvfs *d, const struct dvfs_input *in, const struct model *m,
    double *clk)
{
	int i;

	for (i = 0; i < in->naccel; i++)
		clk[i] = in->accel[i].clock_min_mhz;
}

/*
 * thermal: one PI loop per die and one on the loop outlet, all on power.
 * For a die, the plant is T = coolant + R_th·P lagged by τ, so the gains
 * K_p = 1/R_th and K_i = K_p/τ cancel the lag and leave a first-order
 * closed loop of time constant τ. R_th is estimated from the samples,
 * (T − coolant)/P, smoothed slowly from a typical value, because a die
 * that has just started working is still cool and would make it look
 * small (and the gain large). The outlet loop does the same on the node
 * with the measured rise per watt, at half the gain: its lag is longer
 * and less certain.
 *
 * A loop engages when its temperature reaches the target and disengages
 * when its output is back at f_max. While disengaged it only remembers
 * its error: the proportional term of a velocity PI would otherwise cut
 * the clocks of a die that is warming up far below its target.
 */
static void
stage_thermal(struct dvfs *d, const struct dvfs_input *in,
    const struct model *m, double *clk)
{
	const struct dvfs_accel *a;
	double target = d->conf.target_c, coolant = NAN, e, e_prev, r, kp, ki;
	double u, acc = 0, out[DVFS_MAX_ACCELS];
	int i;

	if (isfinite(in->supply_c) && isfinite(in->return_c))
		coolant = (in->supply_c + in->return_c) / 2;
	for (i = 0; i < in->naccel; i++) {
		a = &in->accel[i];
		clk[i] = a->clock_max_mhz;
		if (!m[i].ok)
			continue;
		acc += a->power_w;
		if (!isfinite(a->temp_c))
			continue;
		if (isfinite(coolant) && a->temp_c > coolant) {
			r = clamp((a->temp_c - coolant) / a->power_w,
			    DVFS_RTH_MIN, DVFS_RTH_MAX);
			d->rth_k_per_w[i] = smooth(
			    d->rth_k_per_w[i], r, in->dt_s, DVFS_EST_TAU_S);
		}
		e = target - a->temp_c;
		e_prev = d->die_err_c[i];
		d->die_err_c[i] = e;
		if (!d->die_on[i] && e > 0)
			continue;
		kp = 1.0 / d->rth_k_per_w[i];
		ki = kp / DVFS_DIE_TAU_S;
		u = a->power_w + kp * (e - e_prev) + ki * in->dt_s * e;
		clk[i] = grid_floor(a, model_mhz(&m[i], a, u));
		d->die_on[i] = clk[i] < a->clock_max_mhz;
	}
	if (!isfinite(in->return_c) || !isfinite(in->supply_c) ||
	    !isfinite(in->node_power_w) || in->node_power_w <= 0 || acc <= 0)
		return;
	if (in->return_c - in->supply_c >= DVFS_LOOP_DT_MIN_C) {
		r = clamp((in->return_c - in->supply_c) / in->node_power_w,
		    DVFS_LOOP_K_MIN, DVFS_LOOP_K_MAX);
		d->loop_k_per_w =
		    smooth(d->loop_k_per_w, r, in->dt_s, DVFS_EST_TAU_S);
	}
	e = target - in->return_c;
	e_prev = d->ret_err_c;
	d->ret_err_c = e;
	if (isnan(d->loop_k_per_w) || (!d->ret_on && e > 0))
		return;
	kp = DVFS_LOOP_GAIN / d->loop_k_per_w;
	ki = kp / DVFS_LOOP_TAU_S;
	u = acc + kp * (e - e_prev) + ki * in->dt_s * e;
	d->ret_on = cap_share(in, m, clk, u, out);
	if (d->ret_on)
		memcpy(clk, out, in->naccel * sizeof(clk[0]));
}

/*
 * energy: with T(f) = T(f_max)·(β·f_max/f + 1 − β), the slowdown
 * β·(f_max/f − 1) stays under b at f ≥ β·f_max/(β + b): the lowest grid
 * clock at or above that. Utilisation rises at once and falls slowly, so
 * a job that starts is not held slow while an average catches up; a
 * choice moves down only when it is two steps too high, so noise on the
 * utilisation does not flip it between neighbouring steps.
 */
static void
stage_energy(struct dvfs *d, const struct dvfs_input *in, const struct model *m,
    double *clk)
{
	const struct dvfs_accel *a;
	double b = d->conf.slowdown_pct / 100.0, util, beta, need, f, prev;
	int i;

	for (i = 0; i < in->naccel; i++) {
		a = &in->accel[i];
		util = isfinite(a->util_pct) ? a->util_pct : 100.0;
		if (isnan(d->util_pct[i]) || util >= d->util_pct[i])
			d->util_pct[i] = util;
		else
			d->util_pct[i] = smooth(
			    d->util_pct[i], util, in->dt_s, DVFS_UTIL_TAU_S);
		beta = dvfs_beta(d->util_pct[i], a->membound);
		if (beta <= 0)
			need = a->clock_min_mhz;
		else if (b <= 0)
			need = a->clock_max_mhz;
		else
			need = beta * a->clock_max_mhz / (beta + b);
		f = grid_ceil(a, need);
		prev = d->energy_mhz[i];
		if (isfinite(prev) && prev >= f && prev <= grid_next(a, f))
			f = prev;
		d->energy_mhz[i] = f;
		clk[i] = f;
	}
}

static double
cap_power_cap(struct dvfs *d, const struct dvfs_input *in)
{
	return d->conf.cap_w;
}

/* curtail: the first node power measured after the policy (or its
 * fraction) was set is the reference. */
static double
cap_curtail(struct dvfs *d, const struct dvfs_input *in)
{
	if (isnan(d->curtail_ref_w) && isfinite(in->node_power_w))
		d->curtail_ref_w = in->node_power_w;
	return d->conf.fraction * d->curtail_ref_w;
}

/*
 * The cap stage: accelerator power to aim at is what they drew plus
 * DVFS_CAP_GAIN of the node's error against the set point, which is the
 * node cap less the non-accelerator power the node just measured, with
 * the error only partly corrected per step so that sensor noise is damped
 * and model errors shrink geometrically instead of flipping sign. Within
 * a deadband around the set point the clocks of the last step hold (as
 * long as the policy still allows them), so that sensor noise does not
 * move clocks back and forth by a step; without a node reading they hold
 * too.
 */
static int
cap_stage(struct dvfs *d, const struct dvfs_input *in, const struct model *m,
    double cap_w, double *clk)
{
	double out[DVFS_MAX_ACCELS], acc = 0, budget, sp, prev;
	int i, binding = 0, hold = 1;

	if (isnan(cap_w)) {
		for (i = 0; i < in->naccel; i++)
			d->prev_cap_mhz[i] = NAN;
		return 0;
	}
	for (i = 0; i < in->naccel; i++) {
		prev = d->prev_cap_mhz[i];
		if (!isfinite(prev) || prev > clk[i] + 0.5)
			hold = 0;
	}
	sp = cap_w * (1.0 - DVFS_CAP_MARGIN);
	if (!isfinite(in->node_power_w) ||
	    (hold &&
	        fabs(sp - in->node_power_w) <= DVFS_CAP_DEADBAND * cap_w)) {
		for (i = 0; i < in->naccel; i++)
			if (isfinite(d->prev_cap_mhz[i]) &&
			    d->prev_cap_mhz[i] < clk[i] - 0.5) {
				clk[i] = d->prev_cap_mhz[i];
				binding = 1;
			}
		return binding;
	}
	for (i = 0; i < in->naccel; i++)
		if (m[i].ok)
			acc += in->accel[i].power_w;
	budget = acc + DVFS_CAP_GAIN * (sp - in->node_power_w);
	binding = cap_share(in, m, clk, budget, out);
	memcpy(clk, out, in->naccel * sizeof(clk[0]));
	memcpy(d->prev_cap_mhz, out, in->naccel * sizeof(out[0]));
	return binding;
}

static void
dvfs_reset(struct dvfs *d)
{
	int i;

	for (i = 0; i < DVFS_MAX_ACCELS; i++) {
		d->prev_cap_mhz[i] = NAN;
		d->die_err_c[i] = 0;
		d->die_on[i] = 0;
		d->rth_k_per_w[i] = DVFS_RTH_INIT;
		d->util_pct[i] = NAN;
		d->energy_mhz[i] = NAN;
	}
	d->ret_err_c = 0;
	d->ret_on = 0;
	d->loop_k_per_w = NAN;
	d->curtail_ref_w = NAN;
}

void
dvfs_init(struct dvfs *d)
{
	memset(d, 0, sizeof(*d));
	d->conf.policy = DVFS_PERFORMANCE;
	d->conf.cap_w = NAN;
	d->conf.target_c = DVFS_DEFAULT_TARGET_C;
	d->conf.slowdown_pct = DVFS_DEFAULT_SLOWDOWN;
	d->conf.fraction = 1.0;
	dvfs_reset(d);
}

void
dvfs_set(struct dvfs *d, const struct dvfs_policy_conf *c)
{
	if (c->policy != d->conf.policy)
		dvfs_reset(d);
	else if (c->policy == DVFS_CURTAIL && c->fraction != d->conf.fraction)
		d->curtail_ref_w = NAN;
	d->conf = *c;
}

void
dvfs_step(struct dvfs *d, const struct dvfs_input *in, struct dvfs_output *out)
{
	const struct policy_def *p = &policies[d->conf.policy];
	const struct dvfs_accel *a;
	struct model m[DVFS_MAX_ACCELS];
	double clk[DVFS_MAX_ACCELS], cap = in->cap_w, ran;
	int i;

	memset(out, 0, sizeof(*out));
	out->node_cap_w = NAN;
	if (in->naccel <= 0 || in->naccel > DVFS_MAX_ACCELS)
		return;
	for (i = 0; i < in->naccel; i++) {
		a = &in->accel[i];
		ran = isfinite(a->clock_mhz) ? a->clock_mhz : a->clock_max_mhz;
		model_fit(&m[i], a, ran);
	}
	p->stage(d, in, m, clk);
	for (i = 0; i < in->naccel; i++)
		if (in->accel[i].pinned)
			clk[i] = in->accel[i].clock_min_mhz;
	if (p->cap != NULL)
		cap = min_cap(cap, p->cap(d, in));
	out->node_cap_w = cap;
	out->limiting = cap_stage(d, in, m, cap, clk);
	for (i = 0; i < in->naccel; i++)
		out->clock_cap_mhz[i] = clk[i];
}

int
dvfs_conf_valid(const struct dvfs_policy_conf *c, char *err, size_t errlen)
{
	switch (c->policy) {
	case DVFS_POWER_CAP:
		if (!(c->cap_w > 0 && c->cap_w <= DVFS_CAP_MAX_W)) {
			snprintf(err, errlen,
			    "power_cap needs cap_w in (0, %g]", DVFS_CAP_MAX_W);
			return 0;
		}
		break;
	case DVFS_THERMAL:
		if (!(c->target_c >= DVFS_THERMAL_TARGET_MIN &&
		        c->target_c <= DVFS_THERMAL_TARGET_MAX)) {
			snprintf(err, errlen,
			    "thermal needs target_c in [%g, %g]",
			    DVFS_THERMAL_TARGET_MIN, DVFS_THERMAL_TARGET_MAX);
			return 0;
		}
		break;
	case DVFS_ENERGY:
		if (!(c->slowdown_pct >= 0 && c->slowdown_pct <= 100)) {
			snprintf(err, errlen,
			    "energy needs slowdown_pct in [0, 100]");
			return 0;
		}
		break;
	case DVFS_CURTAIL:
		if (!(c->fraction >= 0 && c->fraction <= 1)) {
			snprintf(
			    err, errlen, "curtail needs fraction in [0, 1]");
			return 0;
		}
		break;
	case DVFS_PERFORMANCE:
	case DVFS_POWERSAVE:
		break;
	default:
		snprintf(err, errlen, "unknown policy %d", (int)c->policy);
		return 0;
	}
	return 1;
}

const char *
dvfs_policy_name(enum dvfs_policy p)
{
	if ((unsigned)p >= DVFS_NPOLICIES)
		return "?";
	return policies[p].name;
}

int
dvfs_policy_parse(const char *s, enum dvfs_policy *out)
{
	int i;

	for (i = 0; i < DVFS_NPOLICIES; i++)
		if (strcmp(s, policies[i].name) == 0) {
			*out = (enum dvfs_policy)i;
			return 0;
		}
	return -1;
}

double
dvfs_slowdown(double beta, double f_mhz, double f_max_mhz)
{
	return beta * (f_max_mhz / f_mhz - 1.0);
}

double
dvfs_beta(double util_pct, double membound)
{
	double m = isfinite(membound) ? clamp(membound, 0, 1) : 0;

	return clamp(util_pct / 100.0, 0, 1) * (1.0 - m);
}
