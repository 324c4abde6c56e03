/*
 * A shared site's rules, between the queue and the scheduler: at submit,
 * who pays and under which QOS and partition (org.c) and what the job
 * waits for (jobdeps.c); on every pass, each pending job's multifactor
 * priority (core/prio.h, with fair share from the accounts' decayed
 * usage), the nodes it may use (its partition, less the reservations it
 * would run into), the quotas it draws on (QOS limits per user and per
 * account, an array's running tasks) and what holds it before the pass
 * (dependencies, a reservation not yet begun).
 */
#ifndef CTL_TENANCY_H
#define CTL_TENANCY_H

#include <stddef.h>
#include <stdint.h>

#include "prio.h"
#include "sched.h"

struct ctl_state;
struct job;

/* What a pass needs beyond the jobs (tenancy_plan()). */
struct tenancy_plan {
	const char **held;    /* per pending job: why it is held before the
	                         pass (static text), or NULL */
	unsigned char **sets; /* node sets, as sched_input.sets */
	int nsets;
	struct sched_quota *quotas;
	int nquotas;
	void *keys; /* internal: the sets' and quotas' keys */
};

/* Fair-share usage: loads what ended within ten half-lives from the
 * store. 0, or -1 (logged). */
int tenancy_init(struct ctl_state *st);
void tenancy_free(struct ctl_state *st);

/*
 * Admission at submit: org_admit() (account, QOS, partition, reservation
 * and their limits) then jobdeps_admit(). 0, or -1 with err and *status.
 */
int tenancy_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status);

/* An attempt of j that ran from start_ms to end_ms ended: its usage joins
 * its association's. */
void tenancy_used(struct ctl_state *st, const struct job *j, int64_t start_ms,
    int64_t end_ms);

/*
 * Fills pending[i].prio, .set and .quota for the n pending jobs pjobs at
 * now_ms, and plan (freed with tenancy_plan_free()). 0, or -1 on
 * allocation failure (plan cleared).
 */
int tenancy_plan(struct ctl_state *st, struct job **pjobs,
    struct sched_pending *pending, int n, int64_t now_ms,
    struct tenancy_plan *plan);
void tenancy_plan_free(struct tenancy_plan *plan);

/*
 * After a pass (in, res; rjobs[i] runs in->running[i], pjobs[i] is
 * in->pending[i]): when the highest pending job waiting for resources has
 * a QOS that preempts others and no preemption is under way, asks the
 * fewest running jobs of those QOS to stop (lowest QOS first, then the
 * latest started) so that it can start, with job_preempt(). The victims go
 * into v (room for max); returns how many, 0 for none.
 */
int tenancy_preempt(struct ctl_state *st, const struct sched_input *in,
    struct job **rjobs, struct job **pjobs, const struct sched_result *res,
    struct job **v, int max);

/* The priority factors of the n jobs v at now_ms (as `podctl prio` shows
 * them) into f[i], and their associations' fair-share factors into fs[i].
 * 0, or -1 on allocation failure. */
int tenancy_factors(struct ctl_state *st, struct job *const *v, int n,
    int64_t now_ms, struct prio_factors *f, double *fs);

#endif
