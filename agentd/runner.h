/*
 * Job runners: how the attempts the core (jobtable.h) decides to run are
 * actually run. One interface, two implementations, chosen when the agent
 * is created:
 *
 *	processes	pod-agentd: real processes under a shepherd
 *			(shepherd.h), recorded in state_dir (jobdir.h)
 *	simulation	pod-fleetsim: no process; a timer per attempt, and the
 *			exactly-once records in memory
 *
 * The split keeps everything the protocol says (which attempt to start,
 * stop or forget, the cause of an end, what is reported) in the core, once,
 * and leaves a runner only the mechanics: record, start, signal, look. A
 * runner never calls into the core except through its poke callback, which
 * only asks the core to look again soon (from the loop, never from inside a
 * runner call).
 */
#ifndef AGENT_RUNNER_H
#define AGENT_RUNNER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"

struct event_base;

/* "Something may have changed: poll the running jobs soon." */
typedef void (*runner_poke_cb)(void *arg);

/* The operations; ctx is the runner's own state, j the core's entry (the
 * runner keeps its per-job state in j->rp). */
struct runner_ops {
	/* Calls cb for every attempt recorded by an earlier run and not yet
	 * forgotten, so that the core adopts it. 0, or -1 (logged). */
	int (*scan)(void *ctx, int64_t now_ms,
	    void (*cb)(void *arg, int64_t id, int attempt), void *arg);
	/* Fills an adopted j (spec, started_ms, stop_cause, log) from its
	 * record; j->spec.id and attempt are set. An unreadable record
	 * leaves the spec empty. 0, or -1 (logged) when out of memory. */
	int (*adopt)(void *ctx, struct job *j);
	/* Records (id, attempt) before anything starts, with j->spec (empty
	 * but for the key when the entry was refused): durably once
	 * commit() has returned 0, or at once for a runner without one. 1
	 * claimed, 0 already recorded (never start it), -1 (logged) cannot
	 * record. */
	int (*claim)(void *ctx, struct job *j);
	/* Makes every claim since the last commit durable, in one go (a
	 * batch of launches syncs once). 0, or -1 (logged): then none of
	 * them may start. NULL: claims are durable as made. */
	int (*commit)(void *ctx);
	/* Starts a claimed attempt with a valid spec; sets j->log and, when
	 * known, j->pid. 0, or -1 with why in err (a launch_error). */
	int (*start)(void *ctx, struct job *j, char *err, size_t errlen);
	/* Looks at a running attempt: 1 when it has ended, with *end filled
	 * (cause exit or launch_error), else 0. May set j->pid. */
	int (*poll)(void *ctx, struct job *j, struct job_end *end);
	/* Sends sig to the attempt's process group (delivered later when
	 * the group is not known yet). */
	void (*signal)(void *ctx, struct job *j, int sig);
	/* Records j->stop_cause durably. 0, or -1 (logged). */
	int (*save_stop)(void *ctx, struct job *j);
	/* Records j->end durably, for an end the core decided. 0 or -1. */
	int (*save_end)(void *ctx, struct job *j);
	/* Leaves a tombstone: never start (id, attempt) again. */
	void (*forget)(void *ctx, struct job *j, int64_t now_ms);
	/* Drops tombstones older than a day. */
	void (*housekeep)(void *ctx, int64_t now_ms);
	/* Records the fencing lease: until monotonic until_ms the agent may
	 * keep its attempts running (docs/fencing.md). A runner whose jobs
	 * outlive the agent stops them itself once it has passed. 0, or -1
	 * (logged). */
	int (*lease)(void *ctx, int64_t until_ms);
	/* The lease recorded by an earlier agent, monotonic ms; 0: none. */
	int64_t (*lease_get)(void *ctx);
	/* Frees j->rp; the attempt itself is left alone. */
	void (*release)(void *ctx, struct job *j);
	/* Frees the runner; running attempts are left alone. */
	void (*free)(void *ctx);
};

struct runner {
	const struct runner_ops *ops;
	void *ctx;
	int simulated; /* 1: no processes */
};

/* Real processes, recorded in state_dir/jobs (created if missing), each
 * run as its entry's user; `node` names this node in %N and in reasons,
 * allow_root lets jobs run as uid 0. Watches SIGCHLD on base. Returns 0,
 * or -1 (logged, one line saying why state_dir is unusable). */
int runner_proc_new(struct runner *r, struct event_base *base,
    const char *state_dir, const char *node, int allow_root,
    runner_poke_cb poke, void *arg);
/* Simulated jobs: see job_sim_duration_s(). 0, or -1 (logged). */
int runner_sim_new(
    struct runner *r, struct event_base *base, runner_poke_cb poke, void *arg);

#endif
