/*
 * Multifactor priority and fair share (see prio.h and docs/scheduler.md).
 *
 * Fair share follows Slurm's classic algorithm. Shares are normalised
 * down the tree: a node's share of the site is its shares over its
 * siblings' sum, times its parent's share of the site. Usage is summed up
 * the tree and normalised by the root's, then blended on the way down so
 * that an account that used much drags its children's effective usage up
 * (and one that used little lifts them):
 *
 *   eff = norm_usage + (parent's eff - norm_usage) x shares / siblings'
 *
 * except under the root, whose usage is everyone's (eff = norm_usage),
 * and the factor is 2^(-eff / norm_shares): 1 for no usage, 0.5 for usage
 * exactly at its share, towards 0 above it. Usage decays with a half-life,
 * so a team's past weighs less the older it is; fs_usage() integrates the
 * decay over a job's run in closed form.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "prio.h"

#define PRIO_MS_PER_H 3600000.0

static double
clamp01(double x)
{
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* The job-size factor: the share of the fabric it asks for, or its
 * complement when small jobs go first. */
static double
size_factor(const struct prio_weights *w, int total_accels, int accels)
{
	double f = total_accels > 0 ? (double)accels / total_accels : 0;

	f = clamp01(f);
	return w->favor_small ? 1 - f : f;
}

/* The weighted factors of job j at now_ms; see prio.h. */
void
prio_factors(const struct prio_weights *w, int total_accels, int64_t now_ms,
    const struct prio_job *j, struct prio_factors *f)
{
	double h = (double)(now_ms - j->submit_ms) / PRIO_MS_PER_H;

	if (h < 0)
		h = 0;
	if (w->age_cap_h > 0 && h > (double)w->age_cap_h)
		h = (double)w->age_cap_h;
	f->age = w->age_per_h * h;
	f->fairshare = w->fairshare * clamp01(j->fairshare);
	f->jobsize = w->jobsize * size_factor(w, total_accels, j->accels);
	f->qos = w->qos * clamp01(j->qos);
	f->operator_ = w->operator_ * (double)j->priority;
	f->total = f->age + f->fairshare + f->jobsize + f->qos + f->operator_;
}

/* Every weighted factor but age, rounded to the nearest point. */
int64_t
prio_static(
    const struct prio_weights *w, int total_accels, const struct prio_job *j)
{
	struct prio_factors f;

	prio_factors(w, total_accels, j->submit_ms, j, &f);
	return llround(f.total - f.age);
}

/* Computes norm_shares, norm_usage, eff_usage and factor of every node,
 * summing usage up from the leaves first. 0, or -1 if a parent comes
 * after its child or on allocation failure (nothing computed). */
int
fs_compute(struct fs_node *v, int n)
{
	double *kids, total, s, k;
	int i, p;

	for (i = 0; i < n; i++)
		if (i == 0 ? v[i].parent != -1
		           : v[i].parent < 0 || v[i].parent >= i)
			return -1;
	if ((kids = calloc(n + 1, sizeof(*kids))) == NULL)
		return -1;
	/* children come after parents: walking back sums usage upwards */
	for (i = n - 1; i > 0; i--) {
		v[v[i].parent].usage += v[i].usage;
		kids[v[i].parent] += v[i].shares > 0 ? v[i].shares : 0;
	}
	total = n > 0 ? v[0].usage : 0;
	for (i = 0; i < n; i++) {
		v[i].norm_usage = total > 0 ? v[i].usage / total : 0;
		if (i == 0) {
			v[i].norm_shares = 1;
			v[i].eff_usage = v[i].norm_usage;
		} else {
			p = v[i].parent;
			s = v[i].shares > 0 ? v[i].shares : 0;
			k = kids[p] > 0 ? s / kids[p] : 0;
			v[i].norm_shares = v[p].norm_shares * k;
			/* the root's usage is everyone's: no blend under it */
			v[i].eff_usage =
			    p == 0 ? v[i].norm_usage
			           : v[i].norm_usage +
			                 (v[p].eff_usage - v[i].norm_usage) * k;
		}
		v[i].factor = v[i].norm_shares > 0
		                  ? exp2(-v[i].eff_usage / v[i].norm_shares)
		                  : 0;
	}
	free(kids);
	return 0;
}

/* usage aged by dt_ms: halved every half_life_h. */
double
fs_decay(double usage, int64_t dt_ms, double half_life_h)
{
	if (half_life_h <= 0 || dt_ms <= 0)
		return usage;
	return usage * exp2(-(double)dt_ms / (half_life_h * PRIO_MS_PER_H));
}

/*
 * Decayed accelerator-seconds at now_ms of accels used over [start_ms,
 * end_ms]: the integral of accels x 2^(-(now - t) / H) dt, which is
 * accels x H / ln 2 x (2^(-(now - end) / H) - 2^(-(now - start) / H)).
 */
double
fs_usage(int accels, int64_t start_ms, int64_t end_ms, int64_t now_ms,
    double half_life_h)
{
	double h_s, a, b;

	if (end_ms > now_ms)
		end_ms = now_ms;
	if (accels <= 0 || end_ms <= start_ms)
		return 0;
	if (half_life_h <= 0)
		return accels * (double)(end_ms - start_ms) / 1000.0;
	h_s = half_life_h * 3600.0;
	a = exp2(-(double)(now_ms - end_ms) / 1000.0 / h_s);
	b = exp2(-(double)(now_ms - start_ms) / 1000.0 / h_s);
	return accels * h_s / M_LN2 * (a - b);
}
