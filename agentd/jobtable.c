/*
 * The agent's jobs: see jobs.h. Each attempt is a struct job in one list,
 * in the order the agent learned of it. Its life:
 *
 *	desired, new	claim (the runner records it), then start; a claim
 *			refused means a record exists: never start it
 *	running		time limit timer armed; its accelerators loaded
 *	stopping	stop cause recorded, SIGTERM, grace timer for SIGKILL
 *	ended		reported until the controller drops it from desired
 *			after a report carrying the end was answered; then
 *			forgotten (a tombstone) and freed
 *
 * Runners poke; the poke is an event, so the list is only walked from the
 * loop and never while a runner call is still on the stack.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "job.h"
#include "jobtable.h"
#include "log.h"
#include "names.h"
#include "runner.h"
#include "timeutil.h"

TAILQ_HEAD(job_list, job);

struct jobtable {
	struct event_base *base; /* borrowed */
	char node[NAME_MAX_LEN];
	int naccel;
	struct runner run;
	struct job_list list;
	int njobs;
	int64_t said_version; /* desired version whose refusals were logged */
	int adopting;         /* 1: ends found at start are not news */
	struct event *poke;
	struct event *housekeep;
	struct jobs_hooks hooks;
};

static void job_stop(
    struct jobtable *js, struct job *j, enum job_cause cause, int record);

/* Starts and ends are worth a line (at `level`) for one real node, not for
 * each of a simulated fleet's thousands (debug). */
static void __attribute__((format(printf, 3, 4)))
jobs_log(const struct jobtable *js, enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(js->run.simulated ? LOG_LVL_DEBUG : level, fmt, ap);
	va_end(ap);
}

static void
on_poke(evutil_socket_t fd, short what, void *arg)
{
	jobtable_poll(arg);
}

static void
poke(void *arg)
{
	struct jobtable *js = arg;

	event_active(js->poke, EV_TIMEOUT, 1);
}

static void
on_housekeep(evutil_socket_t fd, short what, void *arg)
{
	struct jobtable *js = arg;

	js->run.ops->housekeep(js->run.ctx, time_wall_ms());
}

static struct job *
job_find(struct jobtable *js, int64_t id, int attempt)
{
	struct job *j;

	TAILQ_FOREACH(j, &js->list, entry)
	{
		if (j->spec.id == id && j->spec.attempt == attempt)
			return j;
	}
	return NULL;
}

static struct job *
job_alloc(struct jobtable *js, int64_t id, int attempt)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	j->jobs = js;
	j->spec.id = id;
	j->spec.attempt = attempt;
	j->state = JOB_RUNNING;
	j->end.exit_code = -1;
	return j;
}

static void
job_free(struct jobtable *js, struct job *j)
{
	js->run.ops->release(js->run.ctx, j);
	if (j->limit != NULL)
		event_free(j->limit);
	if (j->grace != NULL)
		event_free(j->grace);
	job_spec_clear(&j->spec);
	free(j->log);
	free(j);
}

static void
job_insert(struct jobtable *js, struct job *j)
{
	TAILQ_INSERT_TAIL(&js->list, j, entry);
	js->njobs++;
}

static void
job_remove(struct jobtable *js, struct job *j)
{
	TAILQ_REMOVE(&js->list, j, entry);
	js->njobs--;
	job_free(js, j);
}

static void
job_load(struct jobtable *js, struct job *j, int busy)
{
	int i;

	if (j->loaded == busy || js->hooks.accel == NULL)
		return;
	j->loaded = busy;
	for (i = 0; i < j->spec.naccel; i++)
		js->hooks.accel(js->hooks.arg, j->spec.accel[i], busy,
		    job_membound(&j->spec));
}

static void
news(struct jobtable *js)
{
	if (js->hooks.news != NULL)
		js->hooks.news(js->hooks.arg);
}

static void
on_limit(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	job_stop(j->jobs, j, JOB_CAUSE_TIMEOUT, 1);
}

static void
on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	struct jobtable *js = j->jobs;

	if (j->state != JOB_RUNNING)
		return;
	jobs_log(js, LOG_LVL_INFO,
	    "%s: job %lld.%d still running %lld s after SIGTERM: "
	    "SIGKILL",
	    js->node, (long long)j->spec.id, j->spec.attempt,
	    (long long)j->spec.kill_grace_s);
	js->run.ops->signal(js->run.ctx, j, SIGKILL);
}

/* Arms a timer `ms` from now (clamped at 0). 0, or -1 (logged). */
static int
arm(struct jobtable *js, struct event **ev, event_callback_fn cb, struct job *j,
    int64_t ms)
{
	struct timeval tv;

	if (*ev == NULL && (*ev = evtimer_new(js->base, cb, j)) == NULL) {
		log_warnx("%s: job %lld.%d: cannot create a timer", __func__,
		    (long long)j->spec.id, j->spec.attempt);
		return -1;
	}
	if (ms < 0)
		ms = 0;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return evtimer_add(*ev, &tv);
}

/* A running attempt's time limit and load; also for adopted ones, whose
 * limit counts from their recorded start. */
static void
job_running(struct jobtable *js, struct job *j)
{
	int64_t left_ms;

	if (j->spec.time_limit_s > 0) {
		left_ms = j->started_ms + j->spec.time_limit_s * 1000 -
		          time_wall_ms();
		arm(js, &j->limit, on_limit, j, left_ms);
	}
	job_load(js, j, 1);
}

/*
 * SIGTERM now, SIGKILL after the grace period. `record` writes the cause
 * first, so that an agent restarted meanwhile still reports it; an adopted
 * attempt whose stop was recorded is stopped again with record 0.
 */
static void
job_stop(struct jobtable *js, struct job *j, enum job_cause cause, int record)
{
	if (j->state != JOB_RUNNING || j->stop_cause != JOB_CAUSE_NONE)
		return;
	j->stop_cause = cause;
	if (record)
		js->run.ops->save_stop(js->run.ctx, j);
	jobs_log(js, LOG_LVL_INFO,
	    "%s: job %lld.%d %s: SIGTERM, SIGKILL in %lld s", js->node,
	    (long long)j->spec.id, j->spec.attempt, job_cause_name(cause),
	    (long long)j->spec.kill_grace_s);
	if (j->limit != NULL)
		evtimer_del(j->limit);
	js->run.ops->signal(js->run.ctx, j, SIGTERM);
	arm(js, &j->grace, on_grace, j, j->spec.kill_grace_s * 1000);
}

static void
job_ended(struct jobtable *js, struct job *j, const struct job_end *end)
{
	const struct job_end *e = &j->end;

	j->end = *end;
	if (j->stop_cause != JOB_CAUSE_NONE &&
	    end->cause != JOB_CAUSE_LAUNCH_ERROR)
		j->end.cause = j->stop_cause;
	j->state = JOB_ENDED;
	if (j->limit != NULL)
		evtimer_del(j->limit);
	if (j->grace != NULL)
		evtimer_del(j->grace);
	job_load(js, j, 0);
	if (js->adopting)
		return; /* logged by the agent that saw it, or summed up */
	if (e->cause == JOB_CAUSE_LAUNCH_ERROR)
		jobs_log(js, LOG_LVL_WARN, "%s: job %lld.%d not started: %s",
		    js->node, (long long)j->spec.id, j->spec.attempt,
		    e->message);
	else if (e->signal > 0)
		jobs_log(js, LOG_LVL_INFO,
		    "%s: job %lld.%d ended (%s): signal %d%s%s", js->node,
		    (long long)j->spec.id, j->spec.attempt,
		    job_cause_name(e->cause), e->signal,
		    e->message[0] ? "; " : "", e->message);
	else
		jobs_log(js, LOG_LVL_INFO,
		    "%s: job %lld.%d ended (%s): exit %d%s%s", js->node,
		    (long long)j->spec.id, j->spec.attempt,
		    job_cause_name(e->cause), e->exit_code,
		    e->message[0] ? "; " : "", e->message);
	news(js);
}

/* Ends an attempt that never ran, and records why. */
static void
job_refused(
    struct jobtable *js, struct job *j, int cause, const char *why, int record)
{
	struct job_end end;

	memset(&end, 0, sizeof(end));
	end.cause = cause;
	end.exit_code = -1;
	end.ended_ms = time_wall_ms();
	snprintf(end.message, sizeof(end.message), "%s", why);
	j->end = end;
	if (record)
		js->run.ops->save_end(js->run.ctx, j);
	job_ended(js, j, &end);
}

/* A desired attempt the agent has not seen yet; a valid entry's strings
 * move into the job (e is left without them). Returns the job when it is
 * claimed and to be started by job_start() once the claims are durable,
 * else NULL (a record exists, or it ended at once: refused, cancelled). */
static struct job *
job_claim(struct jobtable *js, struct desired_job *e)
{
	struct job *j;
	char err[JOB_MESSAGE_MAX];
	int64_t id = e->id;
	int attempt = e->attempt, cancel = e->cancel, valid, rc;

	if ((j = job_alloc(js, id, attempt)) == NULL)
		return NULL;
	j->started_ms = time_wall_ms();
	snprintf(err, sizeof(err), "%s", e->error);
	valid = e->error[0] == '\0' &&
	        job_spec_check(e, js->naccel, err, sizeof(err)) == 0;
	if (valid) {
		j->spec = *e;
		memset(e, 0, sizeof(*e));
	}
	j->spec.id = id;
	j->spec.attempt = attempt;
	j->spec.cancel = cancel;
	if ((rc = js->run.ops->claim(js->run.ctx, j)) == 0) {
		/* Forgotten within the day: the controller repeats itself. */
		log_debug("%s: job %lld.%d has a record; not started again",
		    js->node, (long long)id, attempt);
		job_free(js, j);
		return NULL;
	}
	j->listed = 1;
	job_insert(js, j);
	if (rc == -1) {
		job_refused(js, j, JOB_CAUSE_LAUNCH_ERROR,
		    "cannot record the attempt in state_dir", 0);
		return NULL;
	}
	if (cancel) {
		/* Cancelled before it reached us: end it without a process,
		 * so the controller hears of it. */
		job_refused(js, j, JOB_CAUSE_CANCELLED,
		    "cancelled before it started", 1);
		return NULL;
	}
	if (!valid) {
		job_refused(js, j, JOB_CAUSE_LAUNCH_ERROR, err, 1);
		return NULL;
	}
	return j;
}

/* Starts a job job_claim() returned, its claim durable (synced 1) or not
 * (0: it is refused, never started). */
static void
job_start(struct jobtable *js, struct job *j, int synced)
{
	char err[JOB_MESSAGE_MAX];
	int64_t id = j->spec.id;
	int attempt = j->spec.attempt;

	if (!synced) {
		job_refused(js, j, JOB_CAUSE_LAUNCH_ERROR,
		    "cannot record the attempt in state_dir", 0);
		return;
	}
	if (js->run.ops->start(js->run.ctx, j, err, sizeof(err)) == -1) {
		job_refused(js, j, JOB_CAUSE_LAUNCH_ERROR, err, 1);
		return;
	}
	jobs_log(js, LOG_LVL_INFO, "%s: job %lld.%d (%s) launched: %s",
	    js->node, (long long)id, attempt, j->spec.name, j->spec.argv[0]);
	job_running(js, j);
	news(js);
}

/*
 * Converges to d in three steps: every new attempt is claimed first, the
 * claims are made durable in one commit (a node given eight jobs syncs
 * once, not eight times), then the claimed attempts start. Nothing starts
 * before its claim is durable.
 */
void
jobtable_apply(struct jobtable *js, struct desired *d)
{
	struct job *j, *tmp, **go = NULL;
	int64_t version = d->version;
	int i, say, full = 0, ngo = 0, synced;

	if (d->njobs < 0 && d->jobs_error[0] == '\0')
		return;
	say = version != js->said_version;
	js->said_version = version;
	if (d->njobs < 0) {
		if (say)
			log_warnx("%s: desired state %lld: %s; jobs left as "
			          "they are",
			    js->node, (long long)version, d->jobs_error);
		return;
	}
	if (d->njobs > 0 && (go = calloc(d->njobs, sizeof(*go))) == NULL) {
		log_warn("%s: %s: desired state %lld: jobs left as they are",
		    __func__, js->node, (long long)version);
		return;
	}
	TAILQ_FOREACH(j, &js->list, entry)
	{
		j->listed = 0;
	}
	for (i = 0; i < d->njobs; i++) {
		struct desired_job *e = &d->jobs[i];

		if (!e->key_ok) {
			if (say)
				log_warnx("%s: desired state %lld: jobs[%d] "
				          "ignored: %s",
				    js->node, (long long)version, i, e->error);
			continue;
		}
		if ((j = job_find(js, e->id, e->attempt)) != NULL) {
			j->listed = 1;
			if (e->cancel)
				job_stop(js, j, JOB_CAUSE_CANCELLED, 1);
			continue;
		}
		if (js->njobs >= JOBS_MAX) {
			full++;
			continue;
		}
		if ((j = job_claim(js, e)) != NULL)
			go[ngo++] = j;
	}
	synced = ngo == 0 || js->run.ops->commit == NULL ||
	         js->run.ops->commit(js->run.ctx) == 0;
	for (i = 0; i < ngo; i++)
		job_start(js, go[i], synced);
	free(go);
	if (full > 0 && say)
		log_warnx("%s: desired state %lld: %d job(s) not started: "
		          "already %d known",
		    js->node, (long long)version, full, JOBS_MAX);
	for (j = TAILQ_FIRST(&js->list); j != NULL; j = tmp) {
		tmp = TAILQ_NEXT(j, entry);
		if (j->listed)
			continue;
		if (j->state == JOB_RUNNING)
			job_stop(js, j, JOB_CAUSE_CANCELLED, 1);
		else if (j->end_acked) {
			js->run.ops->forget(js->run.ctx, j, time_wall_ms());
			job_remove(js, j);
		}
	}
}

int
jobtable_fence(struct jobtable *js, int64_t unconfirmed_s)
{
	struct job *j;
	int n = 0;

	TAILQ_FOREACH(j, &js->list, entry)
	{
		if (j->state != JOB_RUNNING || j->stop_cause != JOB_CAUSE_NONE)
			continue;
		jobs_log(js, LOG_LVL_WARN,
		    "%s: job %lld.%d not confirmed by the controller for %lld "
		    "s: fencing it",
		    js->node, (long long)j->spec.id, j->spec.attempt,
		    (long long)unconfirmed_s);
		job_stop(js, j, JOB_CAUSE_FENCED, 1);
		n++;
	}
	return n;
}

void
jobtable_kill(struct jobtable *js, int64_t id, int attempt)
{
	struct job *j = job_find(js, id, attempt);

	if (j == NULL || j->state != JOB_RUNNING ||
	    j->stop_cause != JOB_CAUSE_NONE)
		return;
	jobs_log(js, LOG_LVL_WARN,
	    "%s: job %lld.%d was superseded (the controller answers kill "
	    "it): stopping it",
	    js->node, (long long)id, attempt);
	job_stop(js, j, JOB_CAUSE_CANCELLED, 1);
}

int
jobtable_lease(struct jobtable *js, int64_t until_ms)
{
	return js->run.ops->lease(js->run.ctx, until_ms);
}

int64_t
jobtable_lease_get(struct jobtable *js)
{
	return js->run.ops->lease_get(js->run.ctx);
}

void
jobtable_poll(struct jobtable *js)
{
	struct job_end end;
	struct job *j, *tmp;
	long pid;

	for (j = TAILQ_FIRST(&js->list); j != NULL; j = tmp) {
		tmp = TAILQ_NEXT(j, entry);
		if (j->state != JOB_RUNNING)
			continue;
		pid = j->pid;
		if (js->run.ops->poll(js->run.ctx, j, &end) == 1)
			job_ended(js, j, &end);
		else if (pid == 0 && j->pid > 0)
			news(js); /* the pid completes the start's report */
	}
}

json_t *
jobtable_report(struct jobtable *js)
{
	struct job *j;
	json_t *arr, *o;

	if ((arr = json_array()) == NULL)
		goto fail;
	TAILQ_FOREACH(j, &js->list, entry)
	{
		if ((o = job_json(j)) == NULL ||
		    json_array_append_new(arr, o) == -1)
			goto fail;
		if (j->state == JOB_ENDED)
			j->end_in_flight = 1;
	}
	return arr;
fail:
	log_warnx("%s: out of memory", __func__);
	json_decref(arr);
	return NULL;
}

void
jobtable_report_done(struct jobtable *js, int delivered)
{
	struct job *j;

	TAILQ_FOREACH(j, &js->list, entry)
	{
		if (j->end_in_flight && delivered)
			j->end_acked = 1;
		j->end_in_flight = 0;
	}
}

void
jobtable_count(const struct jobtable *js, int *running, int *ended)
{
	const struct job *j;

	*running = *ended = 0;
	TAILQ_FOREACH(j, &js->list, entry)
	{
		if (j->state == JOB_RUNNING)
			(*running)++;
		else
			(*ended)++;
	}
}

/* jobdir_scan() callback: an attempt an earlier agent left. */
static void
adopt_one(void *arg, int64_t id, int attempt)
{
	struct jobtable *js = arg;
	struct job *j;

	if (js->njobs >= JOBS_MAX) {
		log_warnx("%s: job %lld.%d left alone: already %d known",
		    js->node, (long long)id, attempt, JOBS_MAX);
		return;
	}
	if ((j = job_alloc(js, id, attempt)) == NULL)
		return;
	if (js->run.ops->adopt(js->run.ctx, j) == -1) {
		job_free(js, j);
		return;
	}
	j->listed = 1;
	job_insert(js, j);
}

/* Takes over what an earlier agent left: ended attempts are reported,
 * running ones get their time limit, load and any stop in progress. */
static void
jobs_adopt(struct jobtable *js)
{
	enum job_cause cause;
	struct job *j;
	int running, ended;

	if (js->run.ops->scan(js->run.ctx, time_wall_ms(), adopt_one, js) == -1)
		return;
	js->adopting = 1;
	jobtable_poll(js);
	js->adopting = 0;
	TAILQ_FOREACH(j, &js->list, entry)
	{
		if (j->state != JOB_RUNNING)
			continue;
		job_running(js, j);
		if ((cause = j->stop_cause) != JOB_CAUSE_NONE) {
			j->stop_cause = JOB_CAUSE_NONE;
			job_stop(js, j, cause, 0);
		}
	}
	jobtable_count(js, &running, &ended);
	if (running + ended > 0)
		log_info("%s: adopted %d running and %d ended job(s) from an "
		         "earlier agent",
		    js->node, running, ended);
}

struct jobtable *
jobtable_new(struct event_base *base, const struct agent_conf *conf, int naccel,
    const struct jobs_hooks *hooks)
{
	struct timeval tv = {JOBS_HOUSEKEEP_MS / 1000, 0};
	struct jobtable *js;
	int rc;

	if ((js = calloc(1, sizeof(*js))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	js->base = base;
	snprintf(js->node, sizeof(js->node), "%s", conf->name);
	js->naccel = naccel;
	js->said_version = -1;
	js->hooks = *hooks;
	TAILQ_INIT(&js->list);
	if ((js->poke = event_new(base, -1, 0, on_poke, js)) == NULL ||
	    (js->housekeep = event_new(
	         base, -1, EV_PERSIST, on_housekeep, js)) == NULL ||
	    evtimer_add(js->housekeep, &tv) == -1) {
		log_warnx("%s: %s: cannot create events", __func__, conf->name);
		goto fail;
	}
	if (conf->job_runner == AGENT_JOBS_SIMULATED)
		rc = runner_sim_new(&js->run, base, poke, js);
	else
		rc = runner_proc_new(&js->run, base, conf->state_dir,
		    conf->name, conf->jobs_allow_root, poke, js);
	if (rc == -1)
		goto fail;
	jobs_adopt(js);
	return js;
fail:
	jobtable_free(js);
	return NULL;
}

void
jobtable_free(struct jobtable *js)
{
	struct job *j;

	if (js == NULL)
		return;
	while ((j = TAILQ_FIRST(&js->list)) != NULL) {
		TAILQ_REMOVE(&js->list, j, entry);
		job_free(js, j);
	}
	if (js->run.ops != NULL)
		js->run.ops->free(js->run.ctx);
	if (js->poke != NULL)
		event_free(js->poke);
	if (js->housekeep != NULL)
		event_free(js->housekeep);
	free(js);
}
