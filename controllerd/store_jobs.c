/*
 * The store's jobs (see store.h): one row per job, kept across requeues,
 * one row per node of every attempt in job_ranks, and the summaries of a
 * job's or a node's attempts read back from those rows.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depend.h"
#include "fleet.h"
#include "hostlist.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

/* ---- jobs ---- */

#define JOB_COLUMNS                                                            \
	"id, name, command, nnodes, accels_per_node, accels_total, exclusive," \
	" within, time_limit_s, priority, policy, requeue, state, reason,"     \
	" attempt, submit_ms, start_ms, end_ms, exit_code, energy_j,"          \
	" submitted_by, cancel_requested, power_per_accel_w, allow_capped,"    \
	" \"user\", chdir, output, error, account, qos, partition,"            \
	" reservation,"                                                        \
	" dependency, array_job_id, array_task_id, array_max"

/* A new job's id, as SQLite picks a rowid: one past the highest (the
 * event loop's connection alone inserts jobs). */
#define JOB_NEW_ID "COALESCE(?, (SELECT MAX(id) FROM jobs) + 1, 1)"

/* What a put of a job changes: every column but id. */
#define JOB_UPDATES                                                            \
	"name = excluded.name, command = excluded.command,"                    \
	" nnodes = excluded.nnodes, accels_per_node = "                        \
	"excluded.accels_per_node,"                                            \
	" accels_total = excluded.accels_total,"                               \
	" exclusive = excluded.exclusive, within = excluded.within,"           \
	" time_limit_s = excluded.time_limit_s,"                               \
	" priority = excluded.priority, policy = excluded.policy,"             \
	" requeue = excluded.requeue, state = excluded.state,"                 \
	" reason = excluded.reason, attempt = excluded.attempt,"               \
	" submit_ms = excluded.submit_ms, start_ms = excluded.start_ms,"       \
	" end_ms = excluded.end_ms, exit_code = excluded.exit_code,"           \
	" energy_j = excluded.energy_j, submitted_by = excluded.submitted_by," \
	" cancel_requested = excluded.cancel_requested,"                       \
	" power_per_accel_w = excluded.power_per_accel_w,"                     \
	" allow_capped = excluded.allow_capped, \"user\" = excluded.\"user\"," \
	" chdir = excluded.chdir, output = excluded.output,"                   \
	" error = excluded.error, account = excluded.account,"                 \
	" qos = excluded.qos, partition = excluded.partition,"                 \
	" reservation = excluded.reservation,"                                 \
	" dependency = excluded.dependency,"                                   \
	" array_job_id = excluded.array_job_id,"                               \
	" array_task_id = excluded.array_task_id,"                             \
	" array_max = excluded.array_max"

/* Binds every column but id, in JOB_COLUMNS order, from parameter 2. */
static void
bind_job(struct db_stmt *st, const struct job *j)
{
	db_bind_text(st, 2, j->name);
	db_bind_text(st, 3, j->command);
	db_bind_int(st, 4, j->nnodes);
	db_bind_int(st, 5, j->accels_per_node);
	db_bind_int(st, 6, j->accels_total);
	db_bind_int(st, 7, j->exclusive);
	db_bind_text(st, 8, job_within_name(j->within));
	db_bind_int64(st, 9, j->time_limit_s);
	db_bind_int64(st, 10, j->priority);
	if (j->policy[0] != '\0')
		db_bind_text(st, 11, j->policy);
	db_bind_int(st, 12, j->requeue);
	db_bind_text(st, 13, job_state_name(j->state));
	if (j->reason != NULL)
		db_bind_text(st, 14, j->reason);
	db_bind_int(st, 15, j->attempt);
	db_bind_int64(st, 16, j->submit_ms);
	store_bind_opt_int64(st, 17, j->start_ms);
	store_bind_opt_int64(st, 18, j->end_ms);
	if (j->has_exit)
		db_bind_int(st, 19, j->exit_code);
	store_bind_real(st, 20, j->energy_j);
	db_bind_text(st, 21, j->submitted_by);
	db_bind_int(st, 22, j->cancel_requested);
	store_bind_real(st, 23, j->power_per_accel_w);
	db_bind_int(st, 24, j->allow_capped);
	db_bind_text(st, 25, j->user);
	db_bind_text(st, 26, j->workdir);
	db_bind_text(st, 27, j->output);
	db_bind_text(st, 28, j->errout);
	db_bind_text(st, 29, j->account);
	db_bind_text(st, 30, j->qos);
	db_bind_text(st, 31, j->partition);
	db_bind_text(st, 32, j->reservation);
	db_bind_text(st, 33, j->dependency);
	db_bind_int64(st, 34, j->array_job_id);
	db_bind_int(st, 35, j->array_task_id);
	db_bind_int(st, 36, j->array_max);
}

int
store_insert_job(struct store *s, struct job *j)
{
	struct db_stmt *st;
	int rc = -1;

	st = store_prepare(s,
	    "INSERT INTO jobs (" JOB_COLUMNS ") VALUES (" JOB_NEW_ID ", ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	if (st == NULL)
		return -1;
	/* parameter 1, the id, stays NULL: JOB_NEW_ID chooses it */
	bind_job(st, j);
	if ((j->id = store_insert_id(s, st, "insert job")) > 0) {
		j->dirty = 0;
		rc = 0;
	}
	db_finalize(st);
	return rc;
}

int
store_insert_jobs(struct store *s, struct job **v, int n)
{
	struct db_stmt *st = NULL, *next = NULL;
	int i, array = n > 0 && v[0]->array_task_id >= 0, rc = -1;
	int64_t id;

	/* The ids are taken in the transaction, as JOB_NEW_ID takes one a
	 * row: the rows then need no answer, and PostgreSQL takes them in
	 * one round trip (db_pipeline) instead of one a row. Only the leader
	 * writes jobs. */
	next = store_prepare(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM jobs");
	st = store_prepare(s,
	    "INSERT INTO jobs (" JOB_COLUMNS ") VALUES (?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL || next == NULL ||
	    store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	if (db_step(next) != DB_ROW) {
		log_warnx("store: next job id: %s", db_errmsg(s->db));
		goto rollback;
	}
	id = db_column_int64(next, 0);
	db_reset(next);
	(void)db_pipeline(s->db, 1);
	for (i = 0; i < n; i++) {
		v[i]->id = id + i;
		/* an array's id is its first task's */
		if (array)
			v[i]->array_job_id = id;
		db_bind_int64(st, 1, v[i]->id);
		bind_job(st, v[i]);
		if (store_step_done(s, st, "insert job") == -1)
			goto rollback;
	}
	if (store_exec(s, "COMMIT") == -1)
		goto rollback;
	(void)db_pipeline(s->db, 0);
	for (i = 0; i < n; i++)
		v[i]->dirty = 0;
	rc = 0;
	goto fail;
rollback:
	store_rollback(s);
	(void)db_pipeline(s->db, 0);
	for (i = 0; i < n; i++) {
		v[i]->id = 0;
		if (array)
			v[i]->array_job_id = 0;
	}
fail:
	db_finalize(st);
	db_finalize(next);
	return rc;
}

int64_t
store_find_task(struct store *s, int64_t array, int task)
{
	struct db_stmt *st;
	int64_t id = -1;
	int rc;

	st = store_prepare(s, "SELECT id FROM jobs WHERE array_job_id = ?"
	                      " AND array_task_id = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, array);
	db_bind_int(st, 2, task);
	if ((rc = db_step(st)) == DB_ROW)
		id = db_column_int64(st, 0);
	else if (rc == DB_DONE)
		id = 0;
	else
		log_warnx("%s: array %lld: %s", __func__, (long long)array,
		    db_errmsg(s->db));
	db_finalize(st);
	return id;
}

int
store_dep_counts(struct store *s, int64_t id, int task, struct depend_counts *c)
{
	struct db_stmt *st;
	int rc = -1;

/* started: an attempt began, or it ended without one (after:); a
 * condition counted as a CASE, which PostgreSQL sums and a boolean not */
#define DEP_COUNTS                                                             \
	"SELECT count(*), coalesce(sum(CASE WHEN attempt > 0 OR state NOT IN"  \
	" ('pending', 'running') THEN 1 ELSE 0 END), 0),"                      \
	" coalesce(sum(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), 0),"  \
	" coalesce(sum(CASE WHEN state NOT IN ('pending', 'running',"          \
	" 'completed') THEN 1 ELSE 0 END), 0) FROM jobs WHERE "

	/* two statements, so that each uses its index */
	st = store_prepare(s,
	    task < 0 ? DEP_COUNTS "id = ?1 OR array_job_id = ?1"
	             : DEP_COUNTS "array_job_id = ?1 AND array_task_id = ?2");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, id);
	if (task >= 0)
		db_bind_int(st, 2, task);
	if (db_step(st) == DB_ROW) {
		c->total = db_column_int(st, 0);
		c->started = db_column_int(st, 1);
		c->ok = db_column_int(st, 2);
		c->notok = db_column_int(st, 3);
		rc = 0;
	} else {
		log_warnx("%s: job %lld: %s", __func__, (long long)id,
		    db_errmsg(s->db));
	}
	db_finalize(st);
	return rc;
}

static int
put_rank(struct store *s, struct db_stmt *st, const struct job *j,
    const struct job_rank *r, const struct fleet *f)
{
	db_bind_int64(st, 1, j->id);
	db_bind_int(st, 2, r->attempt);
	db_bind_int(st, 3, r->rank);
	db_bind_int64(st, 4, f->nodes[r->node].id);
	db_bind_int64(st, 5, (int64_t)r->mask);
	db_bind_text(st, 6,
	    r->state == RANK_ENDED     ? "ended"
	    : r->state == RANK_RUNNING ? "running"
	                               : "starting");
	if (r->cause != CAUSE_NONE)
		db_bind_text(st, 7, job_cause_name(r->cause));
	if (r->has_exit)
		db_bind_int(st, 8, r->exit_code);
	if (r->signal != 0)
		db_bind_int(st, 9, r->signal);
	store_bind_opt_int64(st, 10, r->started_ms);
	store_bind_opt_int64(st, 11, r->ended_ms);
	if (r->log[0] != '\0')
		db_bind_text(st, 12, r->log);
	db_bind_text(st, 13, r->message);
	return store_step_done(s, st, "put rank");
}

int
store_put_jobs(struct store *s, struct job **v, int n, const struct fleet *f)
{
	struct db_stmt *job = NULL, *rank = NULL, *acct = NULL;
	int i, k, rc = -1;

	job = store_prepare(s,
	    "INSERT INTO jobs (" JOB_COLUMNS ") VALUES (?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (id) DO UPDATE SET " JOB_UPDATES);
	rank = store_prepare(s,
	    "INSERT INTO job_ranks (job_id, attempt, rank,"
	    " node_id, accel_mask, state, cause, exit_code, signal,"
	    " started_ms, ended_ms, log, message) VALUES (?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, attempt, rank)"
	    " DO UPDATE SET node_id = excluded.node_id,"
	    " accel_mask = excluded.accel_mask, state = excluded.state,"
	    " cause = excluded.cause, exit_code = excluded.exit_code,"
	    " signal = excluded.signal, started_ms = excluded.started_ms,"
	    " ended_ms = excluded.ended_ms, log = excluded.log,"
	    " message = excluded.message");
	acct = store_acct_prepare(s);
	if (job == NULL || rank == NULL || acct == NULL ||
	    store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	/* every statement here a write: on PostgreSQL, one round trip */
	(void)db_pipeline(s->db, 1);
	for (i = 0; i < n; i++) {
		struct job *j = v[i];

		if (j->dirty) {
			db_bind_int64(job, 1, j->id);
			bind_job(job, j);
			if (store_step_done(s, job, "put job") == -1 ||
			    store_acct_put(s, acct, j, f) == -1)
				goto rollback;
		}
		for (k = 0; k < j->nranks; k++)
			if (j->ranks[k].dirty &&
			    put_rank(s, rank, j, &j->ranks[k], f) == -1)
				goto rollback;
	}
	if (store_exec(s, "COMMIT") == -1)
		goto rollback;
	(void)db_pipeline(s->db, 0);
	for (i = 0; i < n; i++) {
		v[i]->dirty = 0;
		for (k = 0; k < v[i]->nranks; k++)
			v[i]->ranks[k].dirty = 0;
	}
	rc = 0;
	goto fail;
rollback:
	store_rollback(s);
	(void)db_pipeline(s->db, 0);
fail:
	db_finalize(job);
	db_finalize(rank);
	db_finalize(acct);
	return rc;
}

/* Maps node row ids to fleet indexes; -1 where unknown. Caller frees. */
static int *
node_map(const struct fleet *f, int64_t *max_id)
{
	int64_t max = 0;
	int *map, i;

	for (i = 0; i < f->nnodes; i++)
		if (f->nodes[i].id > max)
			max = f->nodes[i].id;
	if ((map = malloc((max + 1) * sizeof(*map))) == NULL)
		return NULL;
	memset(map, 0xff, (max + 1) * sizeof(*map));
	for (i = 0; i < f->nnodes; i++)
		map[f->nodes[i].id] = i;
	*max_id = max;
	return map;
}

static struct job *
read_job(struct db_stmt *st)
{
	struct job *j = job_new();
	const char *t;
	int w, state;

	if (j == NULL)
		return NULL;
	j->id = db_column_int64(st, 0);
	store_column_text(st, 1, j->name, sizeof(j->name));
	t = db_column_text(st, 2);
	j->command = strdup(t ? (const char *)t : "[]");
	j->nnodes = db_column_int(st, 3);
	j->accels_per_node = db_column_int(st, 4);
	j->accels_total = db_column_int(st, 5);
	j->exclusive = db_column_int(st, 6);
	t = db_column_text(st, 7);
	w = job_within_parse(t ? (const char *)t : "");
	j->within = w < 0 ? SCHED_WITHIN_POD : w;
	j->time_limit_s = db_column_int64(st, 8);
	j->priority = db_column_int64(st, 9);
	store_column_text(st, 10, j->policy, sizeof(j->policy));
	j->requeue = db_column_int(st, 11);
	t = db_column_text(st, 12);
	state = job_state_parse(t ? (const char *)t : "");
	j->state = state < 0 ? JOB_FAILED : state;
	j->attempt = db_column_int(st, 14);
	j->submit_ms = db_column_int64(st, 15);
	j->start_ms = db_column_int64(st, 16);
	j->end_ms = db_column_int64(st, 17);
	if (!db_column_is_null(st, 18)) {
		j->has_exit = 1;
		j->exit_code = db_column_int(st, 18);
	}
	j->energy_j = store_column_real(st, 19);
	store_column_text(st, 20, j->submitted_by, sizeof(j->submitted_by));
	j->cancel_requested = db_column_int(st, 21);
	j->power_per_accel_w = store_column_real(st, 22);
	j->allow_capped = db_column_int(st, 23);
	store_column_text(st, 24, j->user, sizeof(j->user));
	store_column_text(st, 25, j->workdir, sizeof(j->workdir));
	store_column_text(st, 26, j->output, sizeof(j->output));
	store_column_text(st, 27, j->errout, sizeof(j->errout));
	store_column_text(st, 28, j->account, sizeof(j->account));
	store_column_text(st, 29, j->qos, sizeof(j->qos));
	store_column_text(st, 30, j->partition, sizeof(j->partition));
	store_column_text(st, 31, j->reservation, sizeof(j->reservation));
	store_column_text(st, 32, j->dependency, sizeof(j->dependency));
	j->array_job_id = db_column_int64(st, 33);
	j->array_task_id = db_column_int(st, 34);
	j->array_max = db_column_int(st, 35);
	if (j->command == NULL) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* Loads j's ranks: those of its current attempt and any not ended. */
static int
read_ranks(struct store *s, struct db_stmt *st, struct job *j, const int *map,
    int64_t max_id)
{
	int step;

	db_bind_int64(st, 1, j->id);
	db_bind_int(st, 2, j->attempt);
	while ((step = db_step(st)) == DB_ROW) {
		struct job_rank *r, *v;
		int64_t node_id = db_column_int64(st, 2);
		const char *t;

		if (node_id < 0 || node_id > max_id || map[node_id] < 0)
			continue; /* a node no longer configured */
		v = realloc(j->ranks, (j->nranks + 1) * sizeof(*v));
		if (v == NULL) {
			db_reset(st);
			return -1;
		}
		j->ranks = v;
		r = &j->ranks[j->nranks++];
		memset(r, 0, sizeof(*r));
		r->attempt = db_column_int(st, 0);
		r->rank = db_column_int(st, 1);
		r->node = map[node_id];
		r->mask = (uint64_t)db_column_int64(st, 3);
		t = db_column_text(st, 4);
		r->state =
		    t == NULL                                  ? RANK_ENDED
		    : strcmp((const char *)t, "running") == 0  ? RANK_RUNNING
		    : strcmp((const char *)t, "starting") == 0 ? RANK_STARTING
		                                               : RANK_ENDED;
		t = db_column_text(st, 5);
		r->cause = job_cause_parse(t ? (const char *)t : "");
		if (!db_column_is_null(st, 6)) {
			r->has_exit = 1;
			r->exit_code = db_column_int(st, 6);
		}
		r->signal = db_column_int(st, 7);
		r->started_ms = db_column_int64(st, 8);
		r->ended_ms = db_column_int64(st, 9);
		store_column_text(st, 10, r->log, sizeof(r->log));
		store_column_text(st, 11, r->message, sizeof(r->message));
	}
	db_reset(st);
	return store_read_end(s, step, "load a job's ranks");
}

int
store_load_jobs(
    struct store *s, struct jobs *t, const struct fleet *f, int recent)
{
	struct db_stmt *st = NULL, *ranks = NULL;
	int64_t max_id = 0;
	int *map = node_map(f, &max_id), rc = -1, step;

	if (map == NULL)
		return -1;
	/* the job's own ranks are bound (job id, attempt) */
	ranks = store_prepare(s,
	    "SELECT attempt, rank, node_id, accel_mask, state,"
	    " cause, exit_code, signal, started_ms,"
	    " ended_ms, log, message FROM job_ranks WHERE job_id = ?1 AND"
	    " (attempt = ?2 OR state != 'ended') ORDER BY"
	    " attempt, rank");
	st = store_prepare(s,
	    "SELECT " JOB_COLUMNS " FROM jobs WHERE state IN"
	    " ('pending', 'running') OR id IN (SELECT id FROM jobs"
	    " WHERE state NOT IN ('pending', 'running') ORDER BY"
	    " id DESC LIMIT ?) ORDER BY id");
	if (st == NULL || ranks == NULL)
		goto fail;
	db_bind_int(st, 1, recent);
	while ((step = db_step(st)) == DB_ROW) {
		struct job *j = read_job(st);

		if (j == NULL || read_ranks(s, ranks, j, map, max_id) == -1 ||
		    jobs_add(t, j) == -1) {
			job_free(j);
			log_warnx("%s: cannot load the jobs", __func__);
			goto fail;
		}
	}
	rc = store_read_end(s, step, "load the jobs");
fail:
	db_finalize(st);
	db_finalize(ranks);
	free(map);
	return rc;
}

struct job *
store_get_job(struct store *s, int64_t id, const struct fleet *f)
{
	struct db_stmt *st = NULL, *ranks = NULL;
	struct job *j = NULL;
	int64_t max_id = 0;
	int *map = node_map(f, &max_id);

	if (map == NULL)
		return NULL;
	ranks = store_prepare(s,
	    "SELECT attempt, rank, node_id, accel_mask, state,"
	    " cause, exit_code, signal, started_ms,"
	    " ended_ms, log, message FROM job_ranks WHERE job_id = ?1 AND"
	    " attempt = ?2 ORDER BY rank");
	st = store_prepare(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?");
	if (st == NULL || ranks == NULL)
		goto fail;
	db_bind_int64(st, 1, id);
	if (db_step(st) == DB_ROW && (j = read_job(st)) != NULL &&
	    read_ranks(s, ranks, j, map, max_id) == -1) {
		job_free(j);
		j = NULL;
	}
fail:
	db_finalize(st);
	db_finalize(ranks);
	free(map);
	return j;
}

/* ---- a job's attempts, summed up from the stored ranks ---- */

/* Columns of a rank row, in this order, for sum_add(). A node no longer in
 * the nodes table is named by its row id. */
#define RANK_ROW_COLUMNS                                                       \
	"r.attempt, COALESCE(n.name, '#' || r.node_id), r.state, r.cause,"     \
	" r.exit_code, r.signal, r.started_ms, r.ended_ms"

/* One attempt being summed up from its ranks, fed in rank order. */
struct attempt_sum {
	int attempt;
	json_t *nodes;          /* names by rank, owned */
	enum rank_cause *fails; /* job_rank_failure() by rank; NONE if live */
	int nranks, live;       /* ranks, and those not ended */
	int64_t start_ms;       /* earliest rank start; 0 none yet */
	int64_t end_ms;         /* latest rank end */
	int tell;               /* the rank whose end speaks; -1 none yet */
	struct job_rank told;   /* that rank's end */
};

static void
sum_free(struct attempt_sum *a)
{
	json_decref(a->nodes);
	free(a->fails);
	memset(a, 0, sizeof(*a));
}

static int
sum_start(struct attempt_sum *a, int attempt)
{
	memset(a, 0, sizeof(*a));
	a->attempt = attempt;
	a->tell = -1;
	return (a->nodes = json_array()) == NULL ? -1 : 0;
}

/* Adds the rank row at st's current step (RANK_ROW_COLUMNS). 0 or -1. */
static int
sum_add(struct attempt_sum *a, struct db_stmt *st)
{
	const char *state = db_column_text(st, 2);
	const char *cause = db_column_text(st, 3);
	int64_t started = db_column_int64(st, 6);
	enum rank_cause *v, f = CAUSE_NONE;
	struct job_rank r;

	if ((v = realloc(a->fails, (a->nranks + 1) * sizeof(*v))) == NULL)
		return -1;
	a->fails = v;
	json_array_append_new(a->nodes, json_string(db_column_text(st, 1)));
	if (started > 0 && (a->start_ms == 0 || started < a->start_ms))
		a->start_ms = started;
	if (state == NULL || strcmp((const char *)state, "ended") != 0) {
		a->live++;
	} else {
		if (db_column_int64(st, 7) > a->end_ms)
			a->end_ms = db_column_int64(st, 7);
		memset(&r, 0, sizeof(r));
		r.cause = job_cause_parse(cause ? (const char *)cause : "");
		if (!db_column_is_null(st, 4)) {
			r.has_exit = 1;
			r.exit_code = db_column_int(st, 4);
		}
		r.signal = db_column_int(st, 5);
		/* as job_settle(): the first of the most telling ends */
		f = job_rank_failure(&r);
		if (a->tell < 0 ||
		    job_cause_weight(f) > job_cause_weight(a->fails[a->tell])) {
			a->tell = a->nranks;
			a->told = r;
		}
	}
	a->fails[a->nranks++] = f;
	return 0;
}

/* The host list of a's nodes whose rank's end counts as cause c. */
static const char *
sum_nodes(
    const struct attempt_sum *a, enum rank_cause c, char *buf, size_t size)
{
	const char **names = calloc(a->nranks + 1, sizeof(*names));
	int i, n = 0;

	buf[0] = '\0';
	if (names == NULL)
		return buf;
	for (i = 0; i < a->nranks; i++)
		if (a->fails[i] == c)
			names[n++] =
			    json_string_value(json_array_get(a->nodes, i));
	(void)hostlist_compact(names, n, buf, size);
	free(names);
	return buf;
}

/* Why the attempt ended, in words, into buf ("" when its ended_by says
 * all: a clean exit, a cancel, a timeout). */
static void
sum_reason(const struct attempt_sum *a, char *buf, size_t size)
{
	enum rank_cause c = a->fails[a->tell];
	const char *node = json_string_value(json_array_get(a->nodes, a->tell));
	char list[256];

	buf[0] = '\0';
	if (c == CAUSE_NODE_FAIL)
		snprintf(
		    buf, size, "lost %s", sum_nodes(a, c, list, sizeof(list)));
	else if (c == CAUSE_LEAK)
		snprintf(buf, size, "coolant leak on %s",
		    sum_nodes(a, c, list, sizeof(list)));
	else if (c == CAUSE_PREEMPTED)
		snprintf(buf, size, "preempted by a job of a higher QOS");
	else if (c == CAUSE_LAUNCH_ERROR)
		snprintf(buf, size, "could not launch on %s",
		    sum_nodes(a, c, list, sizeof(list)));
	else if (c == CAUSE_EXIT && a->told.signal != 0)
		snprintf(
		    buf, size, "%s killed by signal %d", node, a->told.signal);
	else if (c == CAUSE_EXIT && a->told.has_exit)
		snprintf(buf, size, "%s exited %d", node, a->told.exit_code);
}

/* The attempt's JSON, as docs/openapi.yaml describes it; `nodes` adds the
 * names of its nodes. New reference, or NULL. */
static json_t *
sum_json(const struct attempt_sum *a, int nodes)
{
	json_t *o = json_object();
	int ended = a->live == 0 && a->tell >= 0;
	enum rank_cause c = ended ? a->fails[a->tell] : CAUSE_NONE;
	char reason[512] = "";

	if (o == NULL)
		return NULL;
	if (ended)
		sum_reason(a, reason, sizeof(reason));
	json_object_set_new(o, "attempt", json_integer(a->attempt));
	if (nodes)
		json_object_set_new(o, "nodes", json_deep_copy(a->nodes));
	json_object_set_new(o, "start",
	    a->start_ms > 0 ? jsonx_time(a->start_ms) : json_null());
	json_object_set_new(o, "end",
	    ended && a->end_ms > 0 ? jsonx_time(a->end_ms) : json_null());
	json_object_set_new(o, "ended_by",
	    !ended            ? json_null()
	    : c == CAUSE_NONE ? json_string("exit")
	                      : json_string(job_cause_name(c)));
	json_object_set_new(o, "exit_code",
	    ended && a->told.has_exit && (c == CAUSE_NONE || c == CAUSE_EXIT)
	        ? json_integer(a->told.exit_code)
	        : json_null());
	json_object_set_new(
	    o, "reason", reason[0] ? json_string(reason) : json_null());
	return o;
}

json_t *
store_job_attempts(struct store *s, int64_t job_id)
{
	struct db_stmt *st;
	struct attempt_sum a;
	json_t *out = json_array(), *o;
	int rc, have = 0;

	st =
	    store_prepare(s, "SELECT " RANK_ROW_COLUMNS " FROM job_ranks r LEFT"
	                     " JOIN nodes n ON n.id = r.node_id WHERE"
	                     " r.job_id = ? ORDER BY r.attempt, r.rank");
	if (st == NULL || out == NULL)
		goto fail;
	db_bind_int64(st, 1, job_id);
	while ((rc = db_step(st)) == DB_ROW) {
		int attempt = db_column_int(st, 0);

		if (have && attempt != a.attempt) {
			if ((o = sum_json(&a, 1)) == NULL ||
			    json_array_append_new(out, o) == -1)
				goto fail;
			sum_free(&a);
			have = 0;
		}
		if (!have && sum_start(&a, attempt) == -1)
			goto fail;
		have = 1;
		if (sum_add(&a, st) == -1)
			goto fail;
	}
	if (rc != DB_DONE || (have && ((o = sum_json(&a, 1)) == NULL ||
	                                  json_array_append_new(out, o) == -1)))
		goto fail;
	if (have)
		sum_free(&a);
	db_finalize(st);
	return out;
fail:
	log_warnx(
	    "%s: job %lld: %s", __func__, (long long)job_id, db_errmsg(s->db));
	if (have)
		sum_free(&a);
	db_finalize(st);
	json_decref(out);
	return NULL;
}

json_t *
store_node_attempts(struct store *s, int64_t node_id, int max)
{
	struct db_stmt *list, *ranks;
	struct attempt_sum a;
	json_t *out = json_array(), *o;
	int rc, have = 0;

	/* Newest first by this node's rank: its start, or its end if it never
	 * started; one just placed (neither yet) comes first. */
	list = store_prepare(s,
	    "SELECT r.job_id, j.name, r.attempt FROM job_ranks r"
	    " JOIN jobs j ON j.id = r.job_id WHERE r.node_id = ?"
	    " GROUP BY r.job_id, j.name, r.attempt ORDER BY"
	    " MAX(COALESCE(r.started_ms, r.ended_ms)) DESC NULLS"
	    " FIRST, r.job_id DESC, r.attempt DESC LIMIT ?");
	ranks =
	    store_prepare(s, "SELECT " RANK_ROW_COLUMNS " FROM job_ranks r LEFT"
	                     " JOIN nodes n ON n.id = r.node_id WHERE"
	                     " r.job_id = ? AND r.attempt = ? ORDER BY r.rank");
	if (list == NULL || ranks == NULL || out == NULL)
		goto fail;
	db_bind_int64(list, 1, node_id);
	db_bind_int(list, 2, max);
	while ((rc = db_step(list)) == DB_ROW) {
		int64_t job_id = db_column_int64(list, 0);

		if (sum_start(&a, db_column_int(list, 2)) == -1)
			goto fail;
		have = 1;
		db_bind_int64(ranks, 1, job_id);
		db_bind_int(ranks, 2, a.attempt);
		while ((rc = db_step(ranks)) == DB_ROW)
			if (sum_add(&a, ranks) == -1)
				goto fail;
		db_reset(ranks);
		if (rc != DB_DONE || (o = sum_json(&a, 0)) == NULL)
			goto fail;
		json_object_set_new(o, "job_id", json_integer(job_id));
		json_object_set_new(
		    o, "job_name", json_string(db_column_text(list, 1)));
		if (json_array_append_new(out, o) == -1)
			goto fail;
		sum_free(&a);
		have = 0;
	}
	if (rc != DB_DONE)
		goto fail;
	db_finalize(list);
	db_finalize(ranks);
	return out;
fail:
	log_warnx("%s: node %lld: %s", __func__, (long long)node_id,
	    db_errmsg(s->db));
	if (have)
		sum_free(&a);
	db_finalize(list);
	db_finalize(ranks);
	json_decref(out);
	return NULL;
}

int
store_count_jobs(struct store *s, int64_t *count, int n)
{
	struct db_stmt *st;
	char name[32];
	int k, rc;

	for (k = 0; k < n; k++)
		count[k] = 0;
	/* the jobs_state index answers this without reading the rows */
	st =
	    store_prepare(s, "SELECT state, count(*) FROM jobs GROUP BY state");
	if (st == NULL)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		store_column_text(st, 0, name, sizeof(name));
		if ((k = job_state_parse(name)) >= 0 && k < n)
			count[k] = db_column_int64(st, 1);
	}
	if (rc != DB_DONE) {
		log_warnx("store: count jobs: %s", db_errmsg(s->db));
		db_finalize(st);
		return -1;
	}
	db_finalize(st);
	return 0;
}

int
store_job_usage(struct store *s, int64_t since_ms,
    void (*cb)(void *arg, const char *user, const char *account, int accels,
        int64_t start_ms, int64_t end_ms),
    void *arg)
{
	struct db_stmt *st;
	int rc;

	st = store_prepare(s,
	    "SELECT \"user\", account, accels_total, start_ms, end_ms"
	    " FROM jobs"
	    " WHERE end_ms > ? AND start_ms > 0");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, since_ms);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *u = db_column_text(st, 0);
		const char *a = db_column_text(st, 1);

		cb(arg, u ? (const char *)u : "", a ? (const char *)a : "",
		    db_column_int(st, 2), db_column_int64(st, 3),
		    db_column_int64(st, 4));
	}
	db_finalize(st);
	if (rc != DB_DONE) {
		log_warnx("%s: %s", __func__, db_errmsg(s->db));
		return -1;
	}
	return 0;
}
