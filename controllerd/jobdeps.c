/*
 * Job dependencies (see jobdeps.h): the shell around core/depend.c, which
 * parses, normalises and judges; this file answers its questions about
 * jobs from memory and the store.
 *
 * Pending and running jobs are always in memory; ended ones may have left
 * it (queue.c keeps only [scheduler] jobs_kept of them), so the store is
 * asked whenever memory cannot settle a reference alone: a job memory does
 * not hold, or an array none of whose tasks in memory is still active
 * (its other tasks may have ended and left). While a task of the array is
 * active, memory settles it: the array has not finished, and a failed task
 * among those that left is found once the rest end, as Slurm decides an
 * array's dependency when the whole array has finished.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "depend.h"
#include "jobdeps.h"
#include "jobs.h"
#include "log.h"
#include "store.h"

/* Jobs a cycle walk visits at most; a longer chain is refused as one. */
#define JOBDEPS_WALK_MAX 10000

struct env_arg {
	struct ctl_state *st;
	const struct job *self; /* the job asking, for singleton */
};

/* 1 when job j is (one of) what the reference (id, task) names. */
static int
names(const struct job *j, int64_t id, int task)
{
	if (task >= 0)
		return j->array_job_id == id && j->array_task_id == task;
	return j->id == id || j->array_job_id == id;
}

static void
count_job(const struct job *j, struct depend_counts *c)
{
	c->total++;
	c->started += j->attempt > 0 || job_ended(j);
	c->ok += j->state == JOB_COMPLETED;
	c->notok += job_ended(j) && j->state != JOB_COMPLETED;
}

static int
lookup(void *arg, int64_t id, int task, struct depend_counts *c)
{
	struct env_arg *a = arg;
	struct jobs *t = &a->st->jobs;
	struct depend_counts stored;
	int i, active = 0, array = 0;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < t->n; i++) {
		const struct job *j = t->v[i];

		if (!names(j, id, task))
			continue;
		count_job(j, c);
		active += !job_ended(j);
		array |= j->array_job_id != 0 && task < 0;
	}
	if (c->total > 0 && (!array || active > 0))
		return 0;
	memset(&stored, 0, sizeof(stored));
	if (store_dep_counts(a->st->store, id, task, &stored) == -1) {
		/* Not known now is not "never": ask again next pass. */
		c->total = 1;
		c->started = c->ok = c->notok = 0;
		return 0;
	}
	/* Memory is fresher for what it holds; the store counts more only
	 * when ended tasks have left memory, and those it has stored. */
	if (stored.total > c->total)
		*c = stored;
	return c->total > 0 ? 0 : -1;
}

/* Another job of the same name and user running, or pending ahead. */
static int
singleton_busy(void *arg)
{
	struct env_arg *a = arg;
	struct jobs *t = &a->st->jobs;
	const struct job *self = a->self;
	int i;

	for (i = 0; i < t->n; i++) {
		const struct job *j = t->v[i];

		if (j == self || j->id == self->id ||
		    strcmp(j->name, self->name) != 0 ||
		    strcmp(j->user, self->user) != 0)
			continue;
		if (j->state == JOB_RUNNING ||
		    (j->state == JOB_PENDING && !j->cancel_requested &&
		        (self->id == 0 || j->id < self->id)))
			return 1;
	}
	return 0;
}

/* The jobs in memory a reference names. Only those can wait on anything,
 * so only they can close a cycle. */
static void
resolve(void *arg, const struct depend_ref *r, void (*fn)(void *, int64_t),
    void *ctx)
{
	struct env_arg *a = arg;
	struct jobs *t = &a->st->jobs;
	int i;

	for (i = 0; i < t->n; i++)
		if (!job_ended(t->v[i]) && names(t->v[i], r->job, r->task))
			fn(ctx, t->v[i]->id);
}

static void
deps_of(void *arg, int64_t id, void (*fn)(void *, int64_t), void *ctx)
{
	struct env_arg *a = arg;
	const struct job *j = jobs_find(&a->st->jobs, id);
	struct depend d;
	char err[256];
	int i;

	if (j == NULL || j->dependency[0] == '\0' ||
	    depend_parse(j->dependency, &d, err, sizeof(err)) == -1)
		return;
	for (i = 0; i < d.nrefs; i++)
		resolve(arg, &d.refs[i], fn, ctx);
}

int
jobdeps_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	struct env_arg a = {st, j};
	const struct depend_env env = {
	    lookup, singleton_busy, resolve, deps_of, &a};
	struct depend d;
	struct depend_counts c;
	char text[JOB_DEP_MAX], ref[48];
	int64_t via;
	int i, rc;

	*status = 400;
	if (depend_parse(j->dependency, &d, err, errlen) == -1)
		return -1;
	for (i = 0; i < d.nrefs; i++) {
		const struct depend_ref *r = &d.refs[i];

		if (r->task >= 0)
			snprintf(ref, sizeof(ref), "%lld_%d", (long long)r->job,
			    r->task);
		else
			snprintf(ref, sizeof(ref), "%lld", (long long)r->job);
		if (j->id != 0 && r->task < 0 && r->job == j->id) {
			snprintf(err, errlen,
			    "dependency on job %s: a job cannot depend on "
			    "itself",
			    ref);
			return -1;
		}
		if (lookup(&a, r->job, r->task, &c) == -1) {
			snprintf(err, errlen,
			    "dependency on job %s: no such job", ref);
			return -1;
		}
	}
	/* A new job has no id yet, so nothing can name it: a loop needs a
	 * job that already exists to be given a dependency. */
	if (j->id != 0) {
		rc = depend_cycle(j->id, &d, &env, JOBDEPS_WALK_MAX, &via);
		if (rc == -1) {
			snprintf(err, errlen, "out of memory");
			*status = 500;
			return -1;
		}
		if (rc == 1) {
			snprintf(err, errlen,
			    "dependency '%s' is circular: job %lld leads back "
			    "to job %lld",
			    j->dependency, (long long)via, (long long)j->id);
			return -1;
		}
	}
	if (depend_format(&d, text, sizeof(text)) == -1) {
		snprintf(
		    err, errlen, "dependency '%s' is too long", j->dependency);
		return -1;
	}
	snprintf(j->dependency, sizeof(j->dependency), "%s", text);
	return 0;
}

const char *
jobdeps_hold(struct ctl_state *st, const struct job *j)
{
	struct env_arg a = {st, j};
	const struct depend_env env = {
	    lookup, singleton_busy, resolve, deps_of, &a};
	struct depend d;
	char err[256];

	if (j->dependency[0] == '\0')
		return NULL;
	if (depend_parse(j->dependency, &d, err, sizeof(err)) == -1) {
		/* admitted text that no longer parses: a stored row edited */
		log_warnx("%s: job %lld: %s", __func__, (long long)j->id, err);
		return "DependencyNeverSatisfied";
	}
	switch (depend_eval(&d, &env)) {
	case DEPEND_SATISFIED:
		return NULL;
	case DEPEND_WAITING:
		return "Dependency";
	default:
		return "DependencyNeverSatisfied";
	}
}
