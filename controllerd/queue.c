/*
 * The job queue (see queue.h). Every path that changes a job ends the same
 * way: settle the job (jobs.c decides its fate), store it, give the nodes it
 * touches a new desired version, recount what each node holds. Nothing is
 * sent to an agent that is not already in the store, so a controller that
 * restarts finds every attempt it ever handed out.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "acct.h"
#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "envelope.h"
#include "fence.h"
#include "hostlist.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "nodehealth.h"
#include "queue.h"
#include <pod/wire.h>
#include "sched.h"
#include "selfstat.h"
#include "store.h"
#include "tenancy.h"
#include "timeutil.h"
#include "wire.h"

static void queue_pass(struct ctl_state *st);
static void run_pass(struct ctl_state *st);

static uint64_t
all_mask(int k)
{
	return k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
}

static int
live_ranks(const struct job *j)
{
	int i, n = 0;

	for (i = 0; i < j->nranks; i++)
		n += j->ranks[i].state != RANK_ENDED;
	return n;
}

static void
bump_nodes(struct ctl_state *st, const struct job *j)
{
	int i;

	for (i = 0; i < j->nranks; i++)
		st->fleet->nodes[j->ranks[i].node].desired_version =
		    ++st->version;
}

/* Recomputes what every node holds from the live ranks. */
static void
recount(struct ctl_state *st)
{
	struct fleet *f = st->fleet;
	int i, k;

	for (i = 0; i < f->nnodes; i++) {
		f->nodes[i].running_jobs = 0;
		f->nodes[i].alloc_mask = 0;
	}
	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		for (k = 0; k < j->nranks; k++) {
			const struct job_rank *r = &j->ranks[k];

			if (r->state == RANK_ENDED)
				continue;
			f->nodes[r->node].alloc_mask |= r->mask;
			f->nodes[r->node].running_jobs++;
		}
	}
}

static int
persist(struct ctl_state *st, struct job **v, int n)
{
	if (n == 0)
		return 0;
	if (store_put_jobs(st->store, v, n, st->fleet) == -1) {
		log_warnx(
		    "queue: could not store %d job changes; will retry", n);
		return -1;
	}
	return 0;
}

/* The nodes as the scheduler sees them. Caller frees. */
static struct sched_node *
sched_nodes(struct ctl_state *st)
{
	struct fleet *f = st->fleet;
	struct sched_node *v = calloc(f->nnodes, sizeof(*v));
	int i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];
		int k = fleet_node_accels(f, n);

		v[i].pod = n->pod;
		v[i].group = n->gindex;
		v[i].naccels = k > SCHED_MAX_ACCELS ? SCHED_MAX_ACCELS : k;
		/* a node whose guard reports trouble takes no new work,
		 * drained or not (core/health.h) */
		v[i].usable = n->up && !n->drained && health_usable(&n->health);
		v[i].free_mask = all_mask(v[i].naccels) & ~n->alloc_mask;
	}
	return v;
}

static void
pass_cb(evutil_socket_t fd, short ev, void *arg)
{
	queue_pass(arg);
}

int
queue_init(struct ctl_state *st)
{
	int i;

	if (store_load_jobs(
	        st->store, &st->jobs, st->fleet, st->conf->jobs_kept) == -1)
		return -1;
	st->version = time_wall_ms();
	for (i = 0; i < st->fleet->nnodes; i++)
		st->fleet->nodes[i].desired_version = st->version;
	if ((st->pass_ev = event_new(st->base, -1, 0, pass_cb, st)) == NULL)
		return -1;
	recount(st);
	if (acct_resume(st) == -1)
		return -1;
	log_info("queue: %d jobs loaded", st->jobs.n);
	return 0;
}

void
queue_free(struct ctl_state *st)
{
	if (st->pass_ev != NULL)
		event_free(st->pass_ev);
	st->pass_ev = NULL;
	jobs_clear(&st->jobs);
}

void
queue_kick(struct ctl_state *st)
{
	if (st->pass_ev != NULL &&
	    !event_pending(st->pass_ev, EV_TIMEOUT, NULL))
		event_active(st->pass_ev, EV_TIMEOUT, 0);
}

/* The largest node of the fabric, in accelerators. */
static int
max_node_accels(const struct fleet *f)
{
	int i, m = 1;

	for (i = 0; i < f->nnodes; i++)
		if (fleet_node_accels(f, &f->nodes[i]) > m)
			m = fleet_node_accels(f, &f->nodes[i]);
	return m;
}

/* Keeps in nodes only the members of j's partition, in order; returns
 * how many. */
static int
in_partition(
    struct ctl_state *st, const struct job *j, struct sched_node *nodes)
{
	const struct org_partition *p =
	    org_partition_find(&st->org, j->partition);
	int i, n = 0;

	for (i = 0; i < st->fleet->nnodes; i++)
		if (p == NULL || p->nodes[i])
			nodes[n++] = nodes[i];
	return n;
}

/* "in partition 'gpu': " before err. */
static void
prefix_partition(const struct job *j, char *err, size_t errlen)
{
	char why[512];

	snprintf(why, sizeof(why), "%s", err);
	snprintf(err, errlen, "in partition '%s': %s", j->partition, why);
}

int
queue_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	struct sched_request req;
	struct sched_node *nodes;
	int s = max_node_accels(st->fleet), n;
	enum sched_reason never;

	*status = 400;
	if (j->nnodes > 0) {
		if (j->accels_per_node == 0) {
			j->exclusive = 1;
			j->accels_per_node = s;
		}
		j->accels_total = j->nnodes * j->accels_per_node;
	} else {
		if (j->accels_per_node == 0) {
			n = (j->accels_total + s - 1) / s;
			if (j->accels_total % n != 0) {
				snprintf(err, errlen,
				    "%d accelerators do not "
				    "split evenly over %d nodes; give "
				    "accels_per_node",
				    j->accels_total, n);
				return -1;
			}
			j->accels_per_node = j->accels_total / n;
			j->exclusive = j->accels_per_node == s;
		} else if (j->accels_total % j->accels_per_node != 0) {
			snprintf(err, errlen,
			    "accelerators (%d) must be a "
			    "multiple of accels_per_node (%d)",
			    j->accels_total, j->accels_per_node);
			return -1;
		}
		j->nnodes = j->accels_total / j->accels_per_node;
	}
	if (tenancy_admit(st, j, err, errlen, status) == -1)
		return -1;
	if (j->time_limit_s == 0)
		j->time_limit_s = st->conf->default_time_limit_s;
	if (j->time_limit_s == 0) {
		snprintf(err, errlen,
		    "'time_limit_s' is required: this controller has no "
		    "default time limit ([scheduler] default_time_limit_s) "
		    "and partition '%s' none of its own",
		    j->partition);
		return -1;
	}
	req.nnodes = j->nnodes;
	req.accels_per_node = j->accels_per_node;
	req.exclusive = j->exclusive;
	req.within = j->within;
	req.time_limit_ms = j->time_limit_s * 1000;
	if ((nodes = sched_nodes(st)) == NULL) {
		snprintf(err, errlen, "out of memory");
		*status = 500;
		return -1;
	}
	never = sched_check(nodes, in_partition(st, j, nodes), st->fleet->npods,
	    st->fleet->ngroups, &req, err, errlen);
	free(nodes);
	if (never != SCHED_R_NONE) {
		if (strcmp(j->partition, st->org.partitions[0].name) != 0 ||
		    st->org.npartitions > 1)
			prefix_partition(j, err, errlen);
		return -1;
	}
	return 0;
}

int
queue_enqueue(struct ctl_state *st, struct job **v, int n, char *err,
    size_t errlen, int *status)
{
	int64_t now = time_wall_ms();
	int i;

	for (i = 0; i < n; i++) {
		v[i]->state = JOB_PENDING;
		v[i]->submit_ms = now;
	}
	if ((v[0]->array_task_id < 0 && n == 1
	            ? store_insert_job(st->store, v[0])
	            : store_insert_jobs(st->store, v, n)) == -1) {
		snprintf(err, errlen, "could not store the job");
		*status = 500;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (jobs_add(&st->jobs, v[i]) == -1) {
			/* stored but not in memory: a restart picks it up */
			log_warnx("queue: job %lld stored but out of memory",
			    (long long)v[i]->id);
			continue;
		}
		if (n == 1)
			log_info("job %lld '%s' submitted by %s: %d nodes x "
			         "%d accelerators%s",
			    (long long)v[i]->id, v[i]->name, v[i]->submitted_by,
			    v[i]->nnodes, v[i]->accels_per_node,
			    v[i]->exclusive ? " (whole nodes)" : "");
	}
	queue_kick(st);
	return 0;
}

int
queue_submit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	if (queue_admit(st, j, err, errlen, status) == -1)
		return -1;
	return queue_enqueue(st, &j, 1, err, errlen, status);
}

int
queue_cancel_jobs(
    struct ctl_state *st, struct job **v, int n, char *err, size_t errlen)
{
	struct job *saved;
	int i;

	for (i = 0; i < n; i++)
		if (job_ended(v[i])) {
			snprintf(err, errlen, "job %lld already ended (%s)",
			    (long long)v[i]->id, job_state_name(v[i]->state));
			return -1;
		}
	if ((saved = malloc((size_t)n * sizeof(*saved))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		saved[i] = *v[i];
		(void)job_cancel(v[i], time_wall_ms());
	}
	if (persist(st, v, n) == -1) {
		for (i = 0; i < n; i++)
			*v[i] = saved[i];
		free(saved);
		snprintf(err, errlen, "could not store the cancel");
		return -1;
	}
	free(saved);
	for (i = 0; i < n; i++) {
		bump_nodes(st, v[i]);
		/* an array's tasks: one line for them all (arrays.c) */
		if (n == 1)
			log_info("job %lld: cancel (%s)", (long long)v[i]->id,
			    job_state_name(v[i]->state));
	}
	return 0;
}

int
queue_cancel(struct ctl_state *st, struct job *j, char *err, size_t errlen)
{
	return queue_cancel_jobs(st, &j, 1, err, errlen);
}

/* The compact list of the nodes of j's ranks of `attempt`; only those that
 * ended with `cause` unless it is CAUSE_NONE. Returns buf. */
static const char *
nodelist(struct ctl_state *st, const struct job *j, int attempt,
    enum rank_cause cause, char *buf, size_t size)
{
	const char *names[1024];
	int i, n = 0;

	for (i = 0; i < j->nranks && n < 1024; i++)
		if (j->ranks[i].attempt == attempt &&
		    (cause == CAUSE_NONE || j->ranks[i].cause == cause))
			names[n++] = st->fleet->nodes[j->ranks[i].node].name;
	(void)hostlist_compact(names, n, buf, size);
	return buf;
}

static void
log_end(struct ctl_state *st, const struct job *j)
{
	char list[512];

	if (j->state == JOB_PENDING)
		log_info("job %lld attempt %d lost %s; requeued",
		    (long long)j->id, j->attempt,
		    nodelist(st, j, j->attempt, CAUSE_NODE_FAIL, list,
		        sizeof(list)));
	else if (job_ended(j))
		log_info("job %lld %s (exit %d) after attempt %d",
		    (long long)j->id, job_state_name(j->state),
		    j->has_exit ? j->exit_code : -1, j->attempt);
}

/* Settles, stores and announces the jobs in v. */
static void
commit(struct ctl_state *st, struct job **v, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		enum job_state before = v[i]->state;

		if (job_settle(v[i], time_wall_ms()) && v[i]->state != before) {
			log_end(st, v[i]);
			if (before == JOB_RUNNING)
				tenancy_used(
				    st, v[i], v[i]->start_ms, time_wall_ms());
		}
	}
	(void)persist(st, v, n);
	for (i = 0; i < n; i++)
		bump_nodes(st, v[i]);
	recount(st);
	queue_kick(st);
}

static int
add_unique(struct job **v, int n, struct job *j)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == j)
			return n;
	v[n] = j;
	return n + 1;
}

void
queue_report(struct ctl_state *st, struct node *n, const struct report *r)
{
	struct job *changed[REPORT_MAX_JOBS];
	int i, nchanged = 0, idx = (int)(n - st->fleet->nodes);

	for (i = 0; i < r->njobs; i++) {
		struct job *j = jobs_find(&st->jobs, r->jobs[i].id);

		if (j != NULL && job_rank_report(j, idx, &r->jobs[i]))
			nchanged = add_unique(changed, nchanged, j);
	}
	if (nchanged > 0)
		commit(st, changed, nchanged);
}

int
queue_desired_fill(
    struct ctl_state *st, const struct node *n, struct desired *d)
{
	int idx = (int)(n - st->fleet->nodes), i, k, b, cap = 0;
	char list[1024];

	memset(d, 0, sizeof(*d));
	d->version = n->desired_version;
	d->njobs = 0;
	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		for (k = 0; k < j->nranks; k++) {
			const struct job_rank *r = &j->ranks[k];
			struct desired_job *dj;
			json_t *cmd, *v;
			size_t a;

			if (r->node != idx || r->state == RANK_ENDED)
				continue;
			if (d->njobs == cap) {
				int ncap = cap ? 2 * cap : 4;
				struct desired_job *nv =
				    realloc(d->jobs, ncap * sizeof(*nv));

				if (nv == NULL)
					goto fail;
				d->jobs = nv;
				cap = ncap;
			}
			dj = &d->jobs[d->njobs++];
			memset(dj, 0, sizeof(*dj));
			dj->id = j->id;
			dj->attempt = r->attempt;
			dj->key_ok = 1;
			dj->name = strdup(j->name);
			dj->user = strdup(j->user);
			dj->workdir = strdup(j->workdir);
			dj->output = strdup(j->output);
			dj->errout = strdup(j->errout);
			dj->nodelist = strdup(nodelist(
			    st, j, r->attempt, CAUSE_NONE, list, sizeof(list)));
			cmd = json_loads(j->command, 0, NULL);
			dj->argv =
			    calloc(json_array_size(cmd) + 1, sizeof(*dj->argv));
			if (dj->name == NULL || dj->nodelist == NULL ||
			    dj->argv == NULL || dj->user == NULL ||
			    dj->workdir == NULL || dj->output == NULL ||
			    dj->errout == NULL) {
				json_decref(cmd);
				goto fail;
			}
			json_array_foreach(cmd, a, v)
			{
				if ((dj->argv[dj->argc] =
				            strdup(json_is_string(v)
				                       ? json_string_value(v)
				                       : "")) == NULL) {
					json_decref(cmd);
					goto fail;
				}
				dj->argc++;
			}
			json_decref(cmd);
			dj->nnodes = j->nnodes;
			dj->node_rank = r->rank;
			for (b = 0; b < 64 && b < REPORT_MAX_ACCELS; b++)
				if (r->mask & ((uint64_t)1 << b))
					dj->accel[dj->naccel++] = b;
			dj->time_limit_s = j->time_limit_s;
			dj->kill_grace_s = st->conf->kill_grace_s;
			dj->cancel = job_rank_cancel(j, r);
			dj->array_job_id = j->array_job_id;
			dj->array_task_id = j->array_task_id;
		}
	}
	d->has_power = 1;
	envelope_desired(st, n, &d->power);
	d->fence_timeout_s = st->conf->fence_timeout_s;
	return 0;
fail:
	log_warnx("%s: out of memory", __func__);
	wire_desired_free(d);
	return -1;
}

json_t *
queue_desired(struct ctl_state *st, const struct node *n)
{
	struct desired d;
	json_t *o;

	if (queue_desired_fill(st, n, &d) == -1)
		return NULL;
	o = wire_desired_encode(&d);
	wire_desired_free(&d);
	return o;
}

/* Lost nodes fail their ranks, once their agents have fenced them
 * (docs/fencing.md); jobs far past their limit are stopped. */
static void
check_running(struct ctl_state *st)
{
	int64_t now = time_wall_ms(), mono = time_mono_ms();
	const struct fence_conf fc = {st->conf->fence_timeout_s,
	    st->conf->kill_grace_s, st->conf->fence_margin_s};
	struct job **changed;
	int i, k, n = 0;

	if (st->fleet->lag_ms > 0)
		log_warnx("controller: the event loop was %lld ms late; that "
		          "time is not counted against the agents",
		    (long long)st->fleet->lag_ms);

	if ((changed = calloc(st->jobs.n + 1, sizeof(*changed))) == NULL)
		return;
	for (i = 0; i < st->jobs.n; i++) {
		struct job *j = st->jobs.v[i];
		int64_t overdue_ms =
		    (j->time_limit_s + st->conf->kill_grace_s + 60) * 1000;

		if (live_ranks(j) == 0)
			continue;
		/* A node not heard from since a restart counts from the
		 * start; one heard from, from its last report. */
		for (k = 0; k < j->nranks && st->fleet->tick_mono_ms != 0;
		     k++) {
			struct job_rank *r = &j->ranks[k];
			const struct node *nd = &st->fleet->nodes[r->node];

			if (r->state != RANK_ENDED && !nd->up &&
			    fence_requeue_due(
			        fleet_node_silent_ms(st->fleet, nd, mono),
			        &fc) &&
			    job_node_down(j, r->node, now))
				n = add_unique(changed, n, j);
		}
		if (j->state == JOB_RUNNING && now - j->start_ms > overdue_ms) {
			for (k = 0; k < j->nranks; k++) {
				struct job_rank *r = &j->ranks[k];

				if (r->state == RANK_ENDED)
					continue;
				r->state = RANK_ENDED;
				r->cause = CAUSE_TIMEOUT;
				r->ended_ms = now;
				r->dirty = 1;
			}
			log_warnx("job %lld: no end reported long past its "
			          "time limit; counted as timeout",
			    (long long)j->id);
			n = add_unique(changed, n, j);
		}
	}
	if (n > 0)
		commit(st, changed, n);
	free(changed);
}

static int
by_end(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a;
	const struct job *y = *(struct job *const *)b;

	return (x->end_ms > y->end_ms) - (x->end_ms < y->end_ms);
}

/* Keeps at most jobs_kept ended jobs in memory; the store has them all. */
static void
evict(struct ctl_state *st)
{
	struct job **ended;
	int i, n = 0, kept = st->conf->jobs_kept;

	for (i = 0; i < st->jobs.n; i++)
		n += job_ended(st->jobs.v[i]) && live_ranks(st->jobs.v[i]) == 0;
	if (n <= kept + kept / 10 + 16)
		return;
	if ((ended = calloc(n, sizeof(*ended))) == NULL)
		return;
	n = 0;
	for (i = 0; i < st->jobs.n; i++)
		if (job_ended(st->jobs.v[i]) &&
		    live_ranks(st->jobs.v[i]) == 0 && !st->jobs.v[i]->dirty)
			ended[n++] = st->jobs.v[i];
	qsort(ended, n, sizeof(*ended), by_end);
	for (i = 0; i < n - kept; i++)
		jobs_remove(&st->jobs, ended[i]);
	free(ended);
}

void
queue_tick(struct ctl_state *st)
{
	int i, dirty = 0;

	/* changes a failed store left behind */
	for (i = 0; i < st->jobs.n; i++)
		dirty |= st->jobs.v[i]->dirty;
	if (dirty)
		(void)persist(st, st->jobs.v, st->jobs.n);
	check_running(st);
	nodehealth_tick(st);
	evict(st);
	queue_pass(st);
}

int
queue_stop_node(struct ctl_state *st, struct node *n, enum rank_cause cause,
    const char *why)
{
	int64_t now = time_wall_ms();
	int i, count = 0, idx = (int)(n - st->fleet->nodes);
	struct job **changed;

	if ((changed = calloc(st->jobs.n + 1, sizeof(*changed))) == NULL) {
		log_warnx("%s: out of memory stopping the jobs on %s", __func__,
		    n->name);
		return -1;
	}
	for (i = 0; i < st->jobs.n; i++) {
		struct job *j = st->jobs.v[i];

		if (!(cause == CAUSE_LEAK ? job_node_leak(j, idx, now)
		                          : job_node_down(j, idx, now)))
			continue;
		if (job_settle(j, now) && j->state != JOB_RUNNING)
			tenancy_used(st, j, j->start_ms, now);
		changed[count++] = j;
		log_warnx(
		    "job %lld attempt %d stopped on %s, which reports %s; "
		    "%s",
		    (long long)j->id, j->attempt, n->name, why,
		    j->state == JOB_PENDING ? "requeued"
		                            : job_state_name(j->state));
	}
	if (count > 0) {
		(void)persist(st, changed, count);
		for (i = 0; i < count; i++)
			bump_nodes(st, changed[i]);
		recount(st);
		queue_kick(st);
	}
	free(changed);
	return count;
}

/* A scheduling pass, timed (pod_sched_pass_seconds). */
static void
queue_pass(struct ctl_state *st)
{
	double t0 = selfstat_clock_s();

	run_pass(st);
	if (st->self != NULL)
		selfstat_wobserve(&st->self->sched_pass_s, time_mono_ms(),
		    selfstat_clock_s() - t0);
}

/* One scheduling pass over every pending job. */
static void
run_pass(struct ctl_state *st)
{
	struct sched_input in;
	struct sched_result res;
	struct sched_node *nodes = NULL;
	struct sched_running *running = NULL;
	struct sched_pending *pending = NULL;
	struct sched_slot *slots = NULL;
	struct job **pjobs = NULL, **started = NULL, **rjobs = NULL;
	int64_t now = time_wall_ms();
	int i, k, nrun = 0, npend = 0, nslots = 0, nstarted = 0, npre;
	struct envelope_admission adm;
	struct tenancy_plan plan;

	memset(&adm, 0, sizeof(adm));
	memset(&plan, 0, sizeof(plan));
	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		if (j->state == JOB_PENDING && !j->cancel_requested)
			npend++;
		if (live_ranks(j) > 0) {
			nrun++;
			nslots += j->nranks;
		}
	}
	if (npend == 0)
		return;
	nodes = sched_nodes(st);
	running = calloc(nrun + 1, sizeof(*running));
	slots = calloc(nslots + 1, sizeof(*slots));
	pending = calloc(npend, sizeof(*pending));
	pjobs = calloc(npend, sizeof(*pjobs));
	started = calloc(npend, sizeof(*started));
	rjobs = calloc(nrun + 1, sizeof(*rjobs));
	if (nodes == NULL || running == NULL || slots == NULL ||
	    pending == NULL || pjobs == NULL || started == NULL ||
	    rjobs == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	nrun = npend = nslots = 0;
	for (i = 0; i < st->jobs.n; i++) {
		struct job *j = st->jobs.v[i];

		if (live_ranks(j) > 0) {
			struct sched_running *r = &running[nrun];

			rjobs[nrun++] = j;
			r->slots = &slots[nslots];
			r->exclusive = j->exclusive;
			r->end_ms = j->state == JOB_RUNNING &&
			                    j->ending == CAUSE_NONE &&
			                    !j->cancel_requested
			                ? j->start_ms + j->time_limit_s * 1000
			                : now + st->conf->kill_grace_s * 1000;
			for (k = 0; k < j->nranks; k++) {
				if (j->ranks[k].state == RANK_ENDED)
					continue;
				slots[nslots].node = j->ranks[k].node;
				slots[nslots].mask = j->ranks[k].mask;
				nslots++;
				r->nslots++;
			}
		}
		if (j->state == JOB_PENDING && !j->cancel_requested) {
			struct sched_pending *p = &pending[npend];

			pjobs[npend++] = j;
			p->id = j->id;
			p->prio = j->priority;
			p->submit_ms = j->submit_ms;
			p->req.nnodes = j->nnodes;
			p->req.accels_per_node = j->accels_per_node;
			p->req.exclusive = j->exclusive;
			p->req.within = j->within;
			p->req.time_limit_ms = j->time_limit_s * 1000;
			p->power_exempt = j->allow_capped;
		}
	}
	/* the site's rules: priority, node sets, quotas; held jobs wait
	 * outside the pass with their reason */
	if (tenancy_plan(st, pjobs, pending, npend, now, &plan) == -1)
		goto fail;
	for (i = k = 0; i < npend; i++) {
		if (plan.held[i] != NULL) {
			pjobs[i]->reason = plan.held[i];
			continue;
		}
		pending[k] = pending[i];
		pjobs[k++] = pjobs[i];
	}
	npend = k;
	memset(&in, 0, sizeof(in));
	in.now_ms = now;
	in.policy = st->conf->sched_policy;
	in.age_weight_per_h = st->conf->age_weight_per_h;
	in.age_cap_h = st->conf->age_cap_h;
	in.starve_after_h = st->conf->starve_after_h;
	in.nodes = nodes;
	in.nnodes = st->fleet->nnodes;
	in.npods = st->fleet->npods;
	in.ngroups = st->fleet->ngroups;
	in.running = running;
	in.nrunning = nrun;
	in.pending = pending;
	in.npending = npend;
	in.sets = (const unsigned char *const *)plan.sets;
	in.nsets = plan.nsets;
	in.quotas = plan.quotas;
	in.nquotas = plan.nquotas;
	if (st->env != NULL) {
		if (envelope_admission(st, nodes, &adm) == -1)
			goto fail;
		in.power = &adm.power;
		for (i = 0; i < npend; i++)
			pending[i].power_per_accel_w =
			    envelope_predict_w(&adm, pjobs[i]);
	}
	if (sched_pass(&in, &res) == -1) {
		log_warnx("%s: scheduling pass failed", __func__);
		goto fail;
	}
	for (i = 0; i < npend; i++) {
		const struct sched_decision *d = &res.d[i];
		struct job *j = pjobs[i];

		j->reason = d->reason == SCHED_R_LIMIT ? d->limit
		            : d->reason != SCHED_R_NONE
		                ? sched_reason_name(d->reason)
		                : NULL;
		if (d->reason != SCHED_R_NONE)
			continue;
		if (job_start(j, d->slots, d->nslots, now) == -1) {
			log_warnx("%s: out of memory starting job %lld",
			    __func__, (long long)j->id);
			continue;
		}
		started[nstarted++] = j;
	}
	/* a job of a QOS that preempts others, still waiting: ask the
	 * fewest of theirs to stop (requeued); it starts once they have.
	 * Only on a pass that started nothing, whose input is still true. */
	npre = nstarted > 0 ? 0
	                    : tenancy_preempt(
	                          st, &in, rjobs, pjobs, &res, started, npend);
	sched_result_free(&res);
	if (persist(st, started, nstarted + npre) == -1) {
		/* Nobody was told; undo the starts and try again later. */
		for (i = 0; i < nstarted; i++) {
			struct job *j = started[i];

			j->nranks -= j->nnodes;
			j->attempt--;
			j->state = JOB_PENDING;
			j->start_ms = 0;
			j->dirty = 0;
		}
		for (i = 0; i < npre; i++)
			started[i]->ending = CAUSE_NONE;
		goto fail;
	}
	for (i = nstarted; i < nstarted + npre; i++)
		bump_nodes(st, started[i]);
	for (i = 0; i < nstarted; i++) {
		char list[512];

		bump_nodes(st, started[i]);
		log_info("job %lld attempt %d started on %s",
		    (long long)started[i]->id, started[i]->attempt,
		    nodelist(st, started[i], started[i]->attempt, CAUSE_NONE,
		        list, sizeof(list)));
	}
	if (nstarted > 0)
		recount(st);
fail:
	free(nodes);
	free(running);
	free(slots);
	free(pending);
	free(pjobs);
	free(started);
	free(rjobs);
	envelope_admission_free(&adm);
	tenancy_plan_free(&plan);
}

struct job *
queue_job(struct ctl_state *st, long long id, struct job **loaded)
{
	struct job *j = jobs_find(&st->jobs, id);

	*loaded = NULL;
	if (j == NULL && (*loaded = store_get_job(st->store, id, st->fleet)))
		j = *loaded;
	return j;
}

static json_t *
time_or_null(int64_t ms)
{
	return ms > 0 ? jsonx_time(ms) : json_null();
}

json_t *
queue_job_json(struct ctl_state *st, const struct job *j, int detail)
{
	json_t *o = json_object(), *nodes = json_array(), *ranks, *cmd;
	const struct job_rank *rank0 = NULL;
	const char *said = NULL; /* a rank's explanation of the end */
	int i, b;

	for (i = 0; i < j->nranks; i++) {
		const struct job_rank *r = &j->ranks[i];

		if (r->attempt != j->attempt || j->state == JOB_PENDING)
			continue;
		json_array_append_new(
		    nodes, json_string(st->fleet->nodes[r->node].name));
		if (r->rank == 0)
			rank0 = r;
		if (said == NULL && r->message[0] != '\0' &&
		    r->cause == CAUSE_LAUNCH_ERROR)
			said = r->message;
	}
	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "name", json_string(j->name));
	json_object_set_new(o, "state", json_string(job_state_name(j->state)));
	/* Why it waits; or, once ended, why a rank could not start. */
	json_object_set_new(o, "reason",
	    j->state == JOB_PENDING && j->reason ? json_string(j->reason)
	    : job_ended(j) && said               ? json_string(said)
	                                         : json_null());
	json_object_set_new(o, "nodes", nodes);
	json_object_set_new(o, "nnodes", json_integer(j->nnodes));
	json_object_set_new(
	    o, "accels_per_node", json_integer(j->accels_per_node));
	json_object_set_new(
	    o, "accelerators_total", json_integer(j->accels_total));
	json_object_set_new(o, "exclusive", json_boolean(j->exclusive));
	json_object_set_new(
	    o, "within", json_string(job_within_name(j->within)));
	json_object_set_new(o, "priority", json_integer(j->priority));
	json_object_set_new(o, "time_limit_s", json_integer(j->time_limit_s));
	json_object_set_new(o, "submit_time", time_or_null(j->submit_ms));
	json_object_set_new(o, "start_time", time_or_null(j->start_ms));
	json_object_set_new(o, "end_time",
	    job_ended(j) ? time_or_null(j->end_ms) : json_null());
	json_object_set_new(o, "attempt", json_integer(j->attempt));
	json_object_set_new(o, "exit_code",
	    j->has_exit && job_ended(j) ? json_integer(j->exit_code)
	                                : json_null());
	jsonx_set_real(o, "energy_j", j->energy_j, 1);
	cmd = json_loads(j->command, 0, NULL);
	json_object_set_new(o, "command", cmd != NULL ? cmd : json_array());
	json_object_set_new(o, "log",
	    rank0 && rank0->log[0] ? json_string(rank0->log) : json_null());
	json_object_set_new(o, "requeue", json_boolean(j->requeue));
	json_object_set_new(
	    o, "cancel_requested", json_boolean(j->cancel_requested));
	json_object_set_new(o, "submitted_by", json_string(j->submitted_by));
	json_object_set_new(o, "user", json_string(j->user));
	json_object_set_new(o, "chdir", json_string(j->workdir));
	json_object_set_new(o, "output", json_string(j->output));
	json_object_set_new(o, "error", json_string(j->errout));
	json_object_set_new(
	    o, "policy", j->policy[0] ? json_string(j->policy) : json_null());
	jsonx_set_real(o, "power_per_accel_w", j->power_per_accel_w, 1);
	json_object_set_new(o, "allow_capped", json_boolean(j->allow_capped));
	json_object_set_new(o, "account", json_string(j->account));
	json_object_set_new(o, "qos", json_string(j->qos));
	json_object_set_new(o, "partition", json_string(j->partition));
	json_object_set_new(o, "reservation",
	    j->reservation[0] ? json_string(j->reservation) : json_null());
	json_object_set_new(o, "dependency",
	    j->dependency[0] ? json_string(j->dependency) : json_null());
	json_object_set_new(o, "array_job_id",
	    j->array_job_id ? json_integer(j->array_job_id) : json_null());
	json_object_set_new(o, "array_task_id",
	    j->array_task_id >= 0 ? json_integer(j->array_task_id)
	                          : json_null());
	if (!detail)
		return o;
	ranks = json_array();
	for (i = 0; i < j->nranks; i++) {
		const struct job_rank *r = &j->ranks[i];
		json_t *accels = json_array(), *jr;

		if (r->attempt != j->attempt)
			continue;
		for (b = 0; b < 64; b++)
			if (r->mask & ((uint64_t)1 << b))
				json_array_append_new(accels, json_integer(b));
		jr = json_pack("{s:i,s:s,s:o,s:s}", "rank", r->rank, "node",
		    st->fleet->nodes[r->node].name, "accelerators", accels,
		    "state",
		    r->state == RANK_ENDED     ? "ended"
		    : r->state == RANK_RUNNING ? "running"
		                               : "starting");
		json_object_set_new(jr, "exit_code",
		    r->has_exit ? json_integer(r->exit_code) : json_null());
		json_object_set_new(jr, "cause",
		    r->cause != CAUSE_NONE
		        ? json_string(job_cause_name(r->cause))
		        : json_null());
		json_object_set_new(jr, "signal",
		    r->signal ? json_integer(r->signal) : json_null());
		json_object_set_new(
		    jr, "log", r->log[0] ? json_string(r->log) : json_null());
		json_object_set_new(jr, "message",
		    r->message[0] ? json_string(r->message) : json_null());
		json_array_append_new(ranks, jr);
	}
	json_object_set_new(o, "ranks", ranks);
	return o;
}
