/*
 * The controller's shell around node health (core/health.c): once a tick
 * it asks the core what to do about every node whose guard reports a
 * condition, and does it: drains the node (stored and audited, by
 * "health") and requeues its jobs (queue.c). The gate itself, no new work
 * while a condition holds, is in the scheduler's input (queue.c).
 */
#ifndef CTL_NODEHEALTH_H
#define CTL_NODEHEALTH_H

struct ctl_state;

/* Drains and requeues as the [health] rules say, at the monotonic time
 * now; logs what it did, once per node and job. */
void nodehealth_tick(struct ctl_state *st);

#endif
