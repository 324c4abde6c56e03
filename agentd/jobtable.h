/*
 * The agent's jobs: the one place where the "Jobs" section of
 * docs/agent-protocol.md is carried out, for pod-agentd and pod-fleetsim
 * alike. It converges on the desired state of each reply (start what was
 * never started, stop what is cancelled or gone, forget what the controller
 * has stored), enforces time limits and kill grace periods with its own
 * timers, whether or not the controller is reachable, and says what every
 * known attempt is doing for each report. How an attempt actually runs is a
 * runner's business (runner.h), chosen from conf->job_runner.
 *
 * Forgetting is guarded: an ended attempt is forgotten only once a report
 * that carried its end has been answered, so a reply that crossed the end
 * (it was computed before the controller could know) never loses it.
 */
#ifndef AGENT_JOBTABLE_H
#define AGENT_JOBTABLE_H

#include <jansson.h>
#include <stdint.h>

#include "agentconf.h"

#define JOBS_MAX          256     /* attempts known at once */
#define JOBS_HOUSEKEEP_MS 3600000 /* how often tombstones are pruned */

struct event_base;
struct jobtable;
struct desired;

/* What the core tells its agent; every callback runs from the loop. */
struct jobs_hooks {
	/* An attempt started or ended: worth a report now. */
	void (*news)(void *arg);
	/* Accelerator `index` starts (busy 1) or stops (busy 0) carrying
	 * one job's load, whose memory-boundness (0–1) is `membound`
	 * (job_membound()). Calls balance, with the same membound; indices
	 * may be >= the node's. */
	void (*accel)(void *arg, int index, int busy, double membound);
	void *arg;
};

/* Creates the jobs of node conf->name with naccel accelerators on base
 * (borrowed), with the runner conf->job_runner names; the process runner
 * adopts what an earlier agent left in conf->state_dir. Returns NULL
 * (logged, saying why, e.g. state_dir unusable). Caller frees with
 * jobtable_free(), which leaves every job running. */
struct jobtable *jobtable_new(struct event_base *base,
    const struct agent_conf *conf, int naccel, const struct jobs_hooks *hooks);
/* Frees js and its runner (NULL is fine); running jobs keep running. */
void jobtable_free(struct jobtable *js);
/* Converges on a reply's decoded desired state (borrowed; the strings of
 * the entries it launches move into the jobtable). A desired state
 * without "jobs" says nothing about jobs and changes nothing; a malformed
 * entry is refused with one line per desired version and, when it names an
 * attempt, ends that attempt as a launch_error saying why. */
void jobtable_apply(struct jobtable *js, struct desired *d);
/* Fences: stops every running attempt (SIGTERM, SIGKILL after its
 * grace) with cause fenced, saying it was not confirmed for
 * unconfirmed_s. Returns how many it stopped. */
int jobtable_fence(struct jobtable *js, int64_t unconfirmed_s);
/* Stops attempt (id, attempt) if it runs: the controller answered its
 * report with "kill it" (superseded). */
void jobtable_kill(struct jobtable *js, int64_t id, int attempt);
/* Records the fencing lease, monotonic ms (see runner.h). 0 or -1. */
int jobtable_lease(struct jobtable *js, int64_t until_ms);
/* The lease an earlier agent recorded; 0: none. */
int64_t jobtable_lease_get(struct jobtable *js);
/* The report's "jobs" array: every attempt known. Marks the ends in it as
 * in flight. New reference, NULL when out of memory (logged). */
json_t *jobtable_report(struct jobtable *js);
/* The report built last was answered with 200 (delivered 1) or not (0). */
void jobtable_report_done(struct jobtable *js, int delivered);
/* Looks at every running attempt now; the agent calls it every tick. */
void jobtable_poll(struct jobtable *js);
/* Attempts known: running and ended. */
void jobtable_count(const struct jobtable *js, int *running, int *ended);

#endif
