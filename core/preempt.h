/*
 * Preemption: which running jobs must stop for a pending one to start
 * now. Pure, like the scheduler it asks: the caller lists the candidates
 * in the order it would rather stop them (lowest QOS first, then the
 * latest started, which loses the least work), and this finds the
 * shortest prefix of that list whose release lets the job start, by
 * asking sched_pass() about the fabric without them.
 */
#ifndef CTL_PREEMPT_H
#define CTL_PREEMPT_H

#include "sched.h"

/*
 * in: the fabric as for a pass (its pending jobs are ignored); p: the
 * job that would preempt; cands: indices into in->running, in the order
 * to stop them. Returns how many from the front must stop (1..ncands),
 * 0 if p starts without stopping any, -1 if stopping all of them does not
 * make room, -2 on allocation failure.
 */
int preempt_choose(const struct sched_input *in, const struct sched_pending *p,
    const int *cands, int ncands);

#endif
