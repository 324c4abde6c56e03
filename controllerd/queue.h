/*
 * The job queue: the imperative shell around jobs.c and sched.c. It turns
 * submissions, cancels, agent reports and lost nodes into job state changes,
 * stores every change before anyone is told of it, runs scheduling passes,
 * and derives each node's desired state (the job ranks it should run) with a
 * version that changes whenever that state does.
 */
#ifndef CTL_QUEUE_H
#define CTL_QUEUE_H

#include <jansson.h>
#include <stddef.h>

#include "jobs.h"
struct desired;

struct ctl_state;
struct job;
struct node;
struct report;

/* Loads jobs from the store and prepares the pass event. 0 or -1. */
int queue_init(struct ctl_state *st);
/* Gives node n a new desired version (st->version, which only grows) and
 * wakes the long polls it holds. Every change of what n's desired state
 * says goes through here. */
void queue_bump(struct ctl_state *st, struct node *n);
void queue_free(struct ctl_state *st);
/* Checks and normalizes a submission, stores it and queues it; j is then
 * owned by the queue. Returns 0, or -1 with a reason in err (j untouched,
 * still the caller's); *status is the HTTP status for the refusal. */
int queue_submit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status);
/* queue_submit() in two steps, for arrays (arrays.c): queue_admit()
 * checks and normalizes j as queue_submit() does, storing nothing
 * (0, or -1 with err and *status); queue_enqueue() stores v[0..n-1] in
 * one transaction and queues them, an array's tasks (array_task_id >= 0)
 * getting v[0]'s id as their array_job_id (0, the jobs then owned by the queue,
 * or -1 with err and *status 500, the jobs still the caller's). */
int queue_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status);
int queue_enqueue(struct ctl_state *st, struct job **v, int n, char *err,
    size_t errlen, int *status);
/* Cancels job j. Returns 0, or -1 if it already ended or could not be
 * stored (err says which). */
int queue_cancel(struct ctl_state *st, struct job *j, char *err, size_t errlen);
/* Cancels jobs v[0..n-1], stored in one transaction: 0, or -1 (one has
 * ended, or the store failed; err says which; nothing changed). */
int queue_cancel_jobs(
    struct ctl_state *st, struct job **v, int n, char *err, size_t errlen);
/* Applies the job states in an accepted report from node n, storing
 * changes. */
void queue_report(struct ctl_state *st, struct node *n, const struct report *r);
/* Fills d with the desired state of node n for the agent: its version,
 * the job ranks it should run, its power settings. Returns 0 (release d
 * with wire_desired_free()), or -1 when out of memory (logged). */
int queue_desired_fill(
    struct ctl_state *st, const struct node *n, struct desired *d);
/* The same as JSON (wire_desired_encode()). New reference, or NULL. */
json_t *queue_desired(struct ctl_state *st, const struct node *n);
/* Once a second: lost nodes fail their jobs, overdue jobs are stopped,
 * old ended jobs leave memory, and a pass runs. */
void queue_tick(struct ctl_state *st);
/* Ends the job ranks running on node n with `cause` (CAUSE_LEAK or
 * CAUSE_NODE_FAIL), because it reports `why` ("a coolant leak"); their jobs
 * settle as after a lost node (requeued when they may be), stored and
 * logged. Returns how many jobs changed, or -1 (out of memory, logged). */
int queue_stop_node(struct ctl_state *st, struct node *n, enum rank_cause cause,
    const char *why);
/* Asks for a scheduling pass as soon as the loop is free. */
void queue_kick(struct ctl_state *st);
/* A job by id: from memory, or loaded from the store into *loaded (which
 * the caller frees with job_free()). NULL if there is none. */
struct job *queue_job(struct ctl_state *st, long long id, struct job **loaded);
/* JSON of a job for the API; `detail` adds its ranks. */
json_t *queue_job_json(struct ctl_state *st, const struct job *j, int detail);

#endif
