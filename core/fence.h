/*
 * Fencing (docs/fencing.md): the decisions that keep one attempt of a job
 * from running on two nodes at once, as pure functions so that a unit
 * test can walk the timeline without clocks or sockets.
 *
 *  - The agent stops every job attempt it could not confirm with the
 *    controller for fence_timeout_s (fence_agent_due()): its lease runs
 *    from the moment it sent the last report the controller answered.
 *  - The controller requeues a silent node's attempts only after the
 *    agent's lease, the kill grace and a margin have all passed
 *    (fence_requeue_due()), and counts only the time its own loop ran on
 *    time (fence_credit_ms()): a controller that was stalled has not
 *    watched its agents, so it may not count that time against them.
 *  - A report of an attempt the node's desired state no longer lists
 *    (requeued, ended or unknown) is answered "kill it"
 *    (fence_superseded()).
 */
#ifndef CORE_FENCE_H
#define CORE_FENCE_H

#include <stdint.h>

#include <pod/wire.h>

/* The fabric's fencing settings, s. */
struct fence_conf {
	int timeout_s;    /* the agents' lease: fence_timeout_s */
	int kill_grace_s; /* SIGTERM to SIGKILL when a job is stopped */
	int margin_s;     /* clock rates, check periods, scheduling delays */
};

/* The agent's lease, ms (monotonic, the agent's clock): until when it may
 * keep its jobs running, having sent at sent_ms a report the controller
 * answered. timeout_s is the lower of the agent's own and the one the
 * controller announced (0: not announced). */
int64_t fence_lease_until(
    int64_t sent_ms, int own_timeout_s, int said_timeout_s);
/* 1 when an agent whose lease runs until until_ms must stop its jobs at
 * now_ms (both monotonic). */
int fence_agent_due(int64_t now_ms, int64_t until_ms);
/* The silence after which the controller may requeue a node's attempts,
 * ms: the agent's lease, then the kill grace, then the margin. */
int64_t fence_requeue_after_ms(const struct fence_conf *c);
/* 1 when a node silent for silent_ms (counted by fence_credit_ms()) may
 * have its attempts requeued. */
int fence_requeue_due(int64_t silent_ms, const struct fence_conf *c);
/* The part of elapsed_ms, the time between two ticks of a loop meant to
 * tick every period_ms, that counts as watched: at most two periods. The
 * rest is the loop's own lag (*lag_ms, may be NULL). */
int64_t fence_credit_ms(int64_t elapsed_ms, int64_t period_ms, int64_t *lag_ms);
/* The attempts in reported[0..nreported) that the agent says are running
 * but that listed[0..nlisted) (the node's desired state) does not hold,
 * into out[0..max). Returns how many. */
int fence_superseded(const struct report_job *reported, int nreported,
    const struct desired_job *listed, int nlisted, struct reply_kill *out,
    int max);

#endif
