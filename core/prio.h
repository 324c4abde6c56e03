/*
 * Multifactor priority, as Slurm's priority/multifactor plugin computes it:
 * a job's priority is the sum of weighted factors, each factor in [0, 1]:
 *
 *   age        hours waited (linear, capped), in points per hour
 *   fairshare  2^(-U/S) of the job's association (user in account): S its
 *              shares normalised down the account tree, U its decayed usage
 *              normalised and blended with its parent's (Slurm "classic")
 *   jobsize    small-first: 1 - accelerators / fabric's; large-first: the
 *              fraction itself
 *   qos        the QOS's priority over the highest QOS priority
 *
 * plus the operator's priority (the job's own `priority`) times its weight.
 * Pure: the controller and pod-schedsim feed it the same numbers.
 *
 * The age factor moves with the clock, so the scheduler adds it during its
 * pass (sched_input.age_weight_per_h and age_cap_h); the others are fixed
 * for a pass and go into sched_pending.prio (prio_static()).
 */
#ifndef CTL_PRIO_H
#define CTL_PRIO_H

#include <stdint.h>

struct prio_weights {
	double age_per_h;  /* points per hour waited */
	int64_t age_cap_h; /* hours after which age stops counting; 0 none */
	double fairshare;  /* points for a factor of 1 */
	double jobsize;
	double qos;
	double operator_;   /* points per unit of the job's own priority */
	int favor_small;    /* jobsize: 1 small-first, 0 large-first */
	double half_life_h; /* fair share usage decay; 0: no decay */
};

/* One job's inputs. */
struct prio_job {
	int64_t submit_ms;
	int64_t priority; /* the operator's (job's) priority */
	int accels;       /* accelerators it asks for */
	double fairshare; /* its association's factor, [0, 1] (fs_compute()) */
	double qos;       /* its QOS's priority over the highest, [0, 1] */
};

/* The weighted factors (points) and their sum. */
struct prio_factors {
	double age, fairshare, jobsize, qos, operator_;
	double total;
};

/* The factors of job j at now_ms on a fabric of total_accels. */
void prio_factors(const struct prio_weights *w, int total_accels,
    int64_t now_ms, const struct prio_job *j, struct prio_factors *f);
/* What sched_pending.prio gets: every weighted factor but age, rounded. */
int64_t prio_static(
    const struct prio_weights *w, int total_accels, const struct prio_job *j);

/*
 * The account tree for fair share. Nodes come parent before child (root
 * first, parent -1); users are leaves under their account. The caller
 * fills parent, shares and usage (its own decayed usage, for users; 0 for
 * accounts, which fs_compute() sums from their children) and gets the
 * rest.
 */
struct fs_node {
	int parent;    /* index, -1 for the root */
	double shares; /* raw shares among its siblings */
	double usage;  /* decayed accelerator-seconds; summed up the tree */
	double norm_shares; /* out: its share of the whole site, [0, 1] */
	double norm_usage;  /* out: its usage over the site's */
	double eff_usage;   /* out: blended with its parent's */
	double factor;      /* out: 2^(-eff_usage / norm_shares) */
};

/* Computes the out fields of n nodes. 0, or -1 if a parent comes after
 * its child (nothing computed). */
int fs_compute(struct fs_node *v, int n);
/* usage aged by dt_ms under half_life_h (≤ 0: no decay). */
double fs_decay(double usage, int64_t dt_ms, double half_life_h);
/* Decayed accelerator-seconds at now_ms of accels used from start_ms to
 * end_ms (end ≤ now; a running job passes now). */
double fs_usage(int accels, int64_t start_ms, int64_t end_ms, int64_t now_ms,
    double half_life_h);

#endif
