/*
 * Jobs in memory and their lifecycle (see jobs.h). The rules that decide a
 * job's fate are all here, as small functions over one job, so that they
 * read as the state machine they are and can be tested without a daemon:
 *
 *  - an attempt ends when every one of its ranks has ended;
 *  - a rank that fails (non-zero exit, launch error, timeout, its node
 *    lost) while others still run makes the job stop the others;
 *  - the final state follows the most telling cause: node_fail or a
 *    coolant leak on the node (requeued when allowed), then an operator's
 * cancel, then timeout, then failure; completed only when every rank exited 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include <pod/wire.h>

static const char *const state_names[JOB_NSTATES] = {
    [JOB_PENDING] = "pending",
    [JOB_RUNNING] = "running",
    [JOB_COMPLETED] = "completed",
    [JOB_FAILED] = "failed",
    [JOB_CANCELLED] = "cancelled",
    [JOB_TIMEOUT] = "timeout",
    [JOB_NODE_FAIL] = "node_fail",
};

static const char *const cause_names[CAUSE_NCAUSES] = {
    [CAUSE_NONE] = "",
    [CAUSE_EXIT] = "exit",
    [CAUSE_CANCELLED] = "cancelled",
    [CAUSE_TIMEOUT] = "timeout",
    [CAUSE_LAUNCH_ERROR] = "launch_error",
    [CAUSE_NODE_FAIL] = "node_fail",
    [CAUSE_LEAK] = "leak",
    [CAUSE_PREEMPTED] = "preempted",
};

static const char *const within_names[] = {
    [SCHED_WITHIN_GROUP] = "group",
    [SCHED_WITHIN_POD] = "pod",
    [SCHED_WITHIN_FABRIC] = "fabric",
};

struct job *
job_new(void)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->state = JOB_PENDING;
	j->within = SCHED_WITHIN_POD;
	j->requeue = 1;
	j->energy_j = NAN;
	j->peak_power_w = NAN;
	j->power_per_accel_w = NAN;
	j->array_task_id = -1;
	return j;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->command);
	free(j->ranks);
	free(j);
}

int
jobs_add(struct jobs *t, struct job *j)
{
	struct job **v;

	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 256;

		if ((v = realloc(t->v, cap * sizeof(*v))) == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = j;
	return 0;
}

void
jobs_remove(struct jobs *t, struct job *j)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->v[i] == j) {
			t->v[i] = t->v[--t->n];
			job_free(j);
			return;
		}
}

void
jobs_clear(struct jobs *t)
{
	int i;

	for (i = 0; i < t->n; i++)
		job_free(t->v[i]);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

struct job *
jobs_find(const struct jobs *t, int64_t id)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (t->v[i]->id == id)
			return t->v[i];
	return NULL;
}

const char *
job_state_name(enum job_state s)
{
	return (s >= 0 && s < JOB_NSTATES) ? state_names[s] : "unknown";
}

int
job_state_parse(const char *name)
{
	int s;

	for (s = 0; s < JOB_NSTATES; s++)
		if (strcmp(state_names[s], name) == 0)
			return s;
	return -1;
}

const char *
job_cause_name(enum rank_cause c)
{
	return (c >= 0 && c < CAUSE_NCAUSES) ? cause_names[c] : "";
}

enum rank_cause
job_cause_parse(const char *name)
{
	int c;

	for (c = 1; c < CAUSE_NCAUSES; c++)
		if (strcmp(cause_names[c], name) == 0)
			return c;
	return CAUSE_NONE;
}

const char *
job_within_name(enum sched_within w)
{
	return within_names[w];
}

int
job_within_parse(const char *name)
{
	int w;

	for (w = 0; w < 3; w++)
		if (strcmp(within_names[w], name) == 0)
			return w;
	return -1;
}

int
job_ended(const struct job *j)
{
	return j->state != JOB_PENDING && j->state != JOB_RUNNING;
}

void
job_prune_ranks(struct job *j)
{
	int i, k = 0;

	for (i = 0; i < j->nranks; i++) {
		struct job_rank *r = &j->ranks[i];

		/* Stored ends of earlier attempts, or of an attempt
		 * requeued; a running or ended attempt keeps its ranks. */
		if (r->state == RANK_ENDED && !r->dirty &&
		    (r->attempt != j->attempt || j->state == JOB_PENDING))
			continue;
		j->ranks[k++] = *r;
	}
	j->nranks = k;
}

int
job_start(
    struct job *j, const struct sched_slot *slots, int nslots, int64_t now_ms)
{
	struct job_rank *r;
	int i;

	job_prune_ranks(j);
	r = realloc(j->ranks, (j->nranks + nslots) * sizeof(*r));
	if (r == NULL)
		return -1;
	j->ranks = r;
	j->attempt++;
	for (i = 0; i < nslots; i++) {
		r = &j->ranks[j->nranks++];
		memset(r, 0, sizeof(*r));
		r->attempt = j->attempt;
		r->rank = i;
		r->node = slots[i].node;
		r->mask = slots[i].mask;
		r->state = RANK_STARTING;
		r->dirty = 1;
	}
	j->state = JOB_RUNNING;
	j->reason = NULL;
	j->start_ms = now_ms;
	/* what accounting tells of this attempt starts from here */
	j->attempt_energy0_j = isnan(j->energy_j) ? 0 : j->energy_j;
	j->peak_power_w = NAN;
	j->end_ms = 0;
	j->has_exit = 0;
	j->ending = CAUSE_NONE;
	j->dirty = 1;
	return 0;
}

int
job_rank_report(struct job *j, int node, const struct report_job *rj)
{
	struct job_rank *r = NULL;
	int i;

	for (i = 0; i < j->nranks; i++)
		if (j->ranks[i].attempt == rj->attempt &&
		    j->ranks[i].node == node)
			r = &j->ranks[i];
	if (r == NULL || r->state == RANK_ENDED)
		return 0;
	if (rj->log[0] != '\0' && strcmp(r->log, rj->log) != 0) {
		memcpy(r->log, rj->log, sizeof(r->log));
		r->dirty = 1;
	}
	if (r->started_ms == 0 && rj->started_ms != 0) {
		r->started_ms = rj->started_ms;
		r->dirty = 1;
	}
	if (rj->state == RJOB_RUNNING) {
		if (r->state == RANK_STARTING) {
			r->state = RANK_RUNNING;
			r->dirty = 1;
		}
		return r->dirty;
	}
	r->state = RANK_ENDED;
	/* An agent that fenced the attempt lost its controller: for the job
	 * that is its node lost, and it is requeued as such. */
	r->cause = strcmp(rj->cause, "fenced") == 0
	               ? CAUSE_NODE_FAIL
	               : job_cause_parse(rj->cause);
	r->has_exit = rj->has_exit;
	r->exit_code = rj->exit_code;
	r->signal = rj->signal;
	r->ended_ms = rj->ended_ms;
	memcpy(r->message, rj->message, sizeof(r->message));
	r->dirty = 1;
	return 1;
}

/* Ends the live ranks of j on `node` with `cause`; 1 if any. */
static int
node_stop(struct job *j, int node, enum rank_cause cause, int64_t now_ms)
{
	int i, changed = 0;

	for (i = 0; i < j->nranks; i++) {
		struct job_rank *r = &j->ranks[i];

		if (r->node != node || r->state == RANK_ENDED)
			continue;
		r->state = RANK_ENDED;
		r->cause = cause;
		r->ended_ms = now_ms;
		r->dirty = 1;
		changed = 1;
	}
	return changed;
}

int
job_node_down(struct job *j, int node, int64_t now_ms)
{
	return node_stop(j, node, CAUSE_NODE_FAIL, now_ms);
}

int
job_node_leak(struct job *j, int node, int64_t now_ms)
{
	return node_stop(j, node, CAUSE_LEAK, now_ms);
}

int
job_cancel(struct job *j, int64_t now_ms)
{
	if (job_ended(j))
		return -1;
	if (j->state == JOB_PENDING) {
		j->state = JOB_CANCELLED;
		j->reason = NULL;
		j->end_ms = now_ms;
	}
	j->cancel_requested = 1;
	j->dirty = 1;
	return 0;
}

int
job_preempt(struct job *j)
{
	if (j->state != JOB_RUNNING || j->ending != CAUSE_NONE ||
	    j->cancel_requested || !j->requeue)
		return -1;
	j->ending = CAUSE_PREEMPTED;
	j->dirty = 1;
	return 0;
}

enum rank_cause
job_rank_failure(const struct job_rank *r)
{
	if (r->cause == CAUSE_EXIT && r->has_exit && r->exit_code == 0 &&
	    r->signal == 0)
		return CAUSE_NONE;
	return r->cause == CAUSE_NONE ? CAUSE_EXIT : r->cause;
}

int
job_cause_weight(enum rank_cause c)
{
	static const int weight[CAUSE_NCAUSES] = {
	    [CAUSE_NONE] = 0,
	    [CAUSE_CANCELLED] = 1,
	    [CAUSE_EXIT] = 2,
	    [CAUSE_LAUNCH_ERROR] = 3,
	    [CAUSE_TIMEOUT] = 4,
	    [CAUSE_NODE_FAIL] = 5,
	    [CAUSE_LEAK] = 5,
	    [CAUSE_PREEMPTED] = 6,
	};

	return (c >= 0 && c < CAUSE_NCAUSES) ? weight[c] : 0;
}

int
job_settle(struct job *j, int64_t now_ms)
{
	enum rank_cause worst = CAUSE_NONE;
	const struct job_rank *first_bad = NULL;
	int i, live = 0, total = 0, lost;
	int64_t end = 0;

	if (j->state != JOB_RUNNING)
		return 0;
	for (i = 0; i < j->nranks; i++) {
		const struct job_rank *r = &j->ranks[i];
		enum rank_cause f;

		if (r->attempt != j->attempt)
			continue;
		total++;
		if (r->state != RANK_ENDED) {
			live++;
			continue;
		}
		if (r->ended_ms > end)
			end = r->ended_ms;
		/* The first rank with the most telling failure speaks for
		 * the job: a rank stopped because another failed does not. */
		f = job_rank_failure(r);
		if (job_cause_weight(f) > job_cause_weight(worst)) {
			worst = f;
			first_bad = r;
		}
	}
	if (total == 0)
		return 0;
	if (live > 0) {
		/* A failed rank stops the others; the cause is kept. */
		if (worst != CAUSE_NONE &&
		    job_cause_weight(worst) > job_cause_weight(j->ending)) {
			j->ending = worst;
			j->dirty = 1;
			return 1;
		}
		return 0;
	}
	if (job_cause_weight(j->ending) > job_cause_weight(worst))
		worst = j->ending;
	j->end_ms = end > 0 ? end : now_ms;
	j->ending = CAUSE_NONE;
	j->dirty = 1;
	j->has_exit = 0;
	if (first_bad != NULL && first_bad->has_exit) {
		j->has_exit = 1;
		j->exit_code = first_bad->exit_code;
	} else if (first_bad == NULL) {
		j->has_exit = 1;
		j->exit_code = 0;
	}
	if (worst == CAUSE_PREEMPTED && !j->cancel_requested) {
		/* its ranks say why they ended, for the attempt's record */
		for (i = 0; i < j->nranks; i++)
			if (j->ranks[i].attempt == j->attempt) {
				j->ranks[i].cause = CAUSE_PREEMPTED;
				j->ranks[i].dirty = 1;
			}
		j->state = JOB_PENDING;
		j->reason = NULL;
		j->has_exit = 0;
		return 1;
	}
	lost = worst == CAUSE_NODE_FAIL || worst == CAUSE_LEAK;
	if (lost && j->requeue && !j->cancel_requested) {
		/* Back in the queue; submit_ms is kept, so is its priority. */
		j->state = JOB_PENDING;
		j->reason = NULL;
		j->has_exit = 0;
		return 1;
	}
	if (j->cancel_requested)
		j->state = JOB_CANCELLED;
	else if (lost)
		j->state = JOB_NODE_FAIL;
	else if (worst == CAUSE_TIMEOUT)
		j->state = JOB_TIMEOUT;
	else if (worst == CAUSE_NONE)
		j->state = JOB_COMPLETED;
	else
		j->state = JOB_FAILED;
	return 1;
}

int
job_rank_cancel(const struct job *j, const struct job_rank *r)
{
	return r->attempt != j->attempt || j->state != JOB_RUNNING ||
	       j->cancel_requested || j->ending != CAUSE_NONE;
}
