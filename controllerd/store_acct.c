/*
 * The store's accounting records (see store.h and acct.h): one row per
 * attempt in the acct table. store_put_jobs() writes the record of every
 * job it writes, in its transaction; a record still "running" is replaced,
 * one that has ended never changes again, so a job written again later
 * (a requeued one, cancelled while it waits) leaves its attempts' records
 * as they ended. Reading goes through one query with every filter bound,
 * lists as JSON arrays (json_each(), json_array_elements_text()), rows handed
 * to a callback so that usage over a long period never holds the rows in
 * memory.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acct.h"
#include "jobs.h"
#include "log.h"
#include "store.h"
#include "store_int.h"
#include "timeutil.h"

#define ACCT_COLUMNS                                                           \
	"job_id, attempt, \"user\", account, qos, partition, name, nodes,"     \
	" nnodes,"                                                             \
	" accelerators, submit_ms, start_ms, end_ms, state, exit_code,"        \
	" energy_j, accel_hours, peak_power_w, reason"

struct db_stmt *
store_acct_prepare(struct store *s)
{
	return store_prepare(s,
	    "INSERT INTO acct (" ACCT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, attempt)"
	    " DO UPDATE SET \"user\" = excluded.\"user\","
	    " account = excluded.account,"
	    " qos = excluded.qos, partition = excluded.partition,"
	    " name = excluded.name, nodes = excluded.nodes,"
	    " nnodes = excluded.nnodes, accelerators = excluded.accelerators,"
	    " submit_ms = excluded.submit_ms, start_ms = excluded.start_ms,"
	    " end_ms = excluded.end_ms, state = excluded.state,"
	    " exit_code = excluded.exit_code, energy_j = excluded.energy_j,"
	    " accel_hours = excluded.accel_hours,"
	    " peak_power_w = excluded.peak_power_w, reason = excluded.reason"
	    " WHERE acct.state = 'running'");
}

int
store_acct_put(struct store *s, struct db_stmt *st, const struct job *j,
    const struct fleet *f)
{
	struct acct_row r;

	if (!acct_row_from_job(j, f, time_wall_ms(), &r))
		return 0;
	db_bind_int64(st, 1, r.job_id);
	db_bind_int(st, 2, r.attempt);
	db_bind_text(st, 3, r.user);
	db_bind_text(st, 4, r.account);
	db_bind_text(st, 5, r.qos);
	db_bind_text(st, 6, r.partition);
	db_bind_text(st, 7, r.name);
	db_bind_text(st, 8, r.nodes);
	db_bind_int(st, 9, r.nnodes);
	db_bind_int(st, 10, r.accels);
	db_bind_int64(st, 11, r.submit_ms);
	store_bind_opt_int64(st, 12, r.start_ms);
	store_bind_opt_int64(st, 13, r.end_ms);
	db_bind_text(st, 14, r.state);
	if (r.has_exit)
		db_bind_int(st, 15, r.exit_code);
	store_bind_real(st, 16, r.energy_j);
	db_bind_double(st, 17, r.accel_hours);
	store_bind_real(st, 18, r.peak_power_w);
	if (r.reason[0] != '\0')
		db_bind_text(st, 19, r.reason);
	return store_step_done(s, st, "put accounting record");
}

int
store_acct_put_running(
    struct store *s, struct job *const *v, int n, const struct fleet *f)
{
	struct db_stmt *st = store_acct_prepare(s);
	int i;

	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (v[i]->state == JOB_RUNNING &&
		    store_acct_put(s, st, v[i], f) == -1) {
			store_rollback(s);
			goto fail;
		}
	if (store_exec(s, "COMMIT") == -1) {
		store_rollback(s);
		goto fail;
	}
	db_finalize(st);
	return 0;
fail:
	db_finalize(st);
	return -1;
}

/* Reads the row at st's current step (ACCT_COLUMNS) into r. */
static void
read_row(struct db_stmt *st, struct acct_row *r)
{
	memset(r, 0, sizeof(*r));
	r->job_id = db_column_int64(st, 0);
	r->attempt = db_column_int(st, 1);
	store_column_text(st, 2, r->user, sizeof(r->user));
	store_column_text(st, 3, r->account, sizeof(r->account));
	store_column_text(st, 4, r->qos, sizeof(r->qos));
	store_column_text(st, 5, r->partition, sizeof(r->partition));
	store_column_text(st, 6, r->name, sizeof(r->name));
	store_column_text(st, 7, r->nodes, sizeof(r->nodes));
	r->nnodes = db_column_int(st, 8);
	r->accels = db_column_int(st, 9);
	r->submit_ms = db_column_int64(st, 10);
	r->start_ms = db_column_int64(st, 11);
	r->end_ms = db_column_int64(st, 12);
	store_column_text(st, 13, r->state, sizeof(r->state));
	if (!db_column_is_null(st, 14)) {
		r->has_exit = 1;
		r->exit_code = db_column_int(st, 14);
	}
	r->energy_j = store_column_real(st, 15);
	r->accel_hours = db_column_double(st, 16);
	r->peak_power_w = store_column_real(st, 17);
	store_column_text(st, 18, r->reason, sizeof(r->reason));
}

int
store_acct_get(
    struct store *s, int64_t job_id, int attempt, struct acct_row *out)
{
	struct db_stmt *st = store_prepare(s,
	    "SELECT " ACCT_COLUMNS " FROM acct WHERE job_id = ? AND"
	    " attempt = ?");
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, job_id);
	db_bind_int(st, 2, attempt);
	rc = db_step(st);
	if (rc == DB_ROW)
		read_row(st, out);
	else if (rc != DB_DONE)
		log_warnx("%s: job %lld: %s", __func__, (long long)job_id,
		    db_errmsg(s->db));
	db_finalize(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

/* Binds the n strings of v as a JSON array at parameter i, or NULL (no
 * filter) when n is 0. 0 or -1. */
static int
bind_list(
    struct db_stmt *st, int i, const char *const *v, const int64_t *ids, int n)
{
	json_t *a;
	char *text;
	int k;

	if (n == 0)
		return 0;
	if ((a = json_array()) == NULL)
		return -1;
	for (k = 0; k < n; k++)
		json_array_append_new(
		    a, v != NULL ? json_string(v[k]) : json_integer(ids[k]));
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (text == NULL)
		return -1;
	db_bind_text_owned(st, i, text);
	return 0;
}

/* The lists of a filter, JSON arrays: rows of SQLite's json_each(), or
 * of PostgreSQL's json_array_elements_text() (job ids cast back). */
#define LITE_LIST(n) "SELECT value FROM json_each(?" #n ")"
#define PG_ROWS(n)   "json_array_elements_text(CAST(?" #n " AS json))"
#define PG_LIST(n)   "SELECT " PG_ROWS(n)
#define PG_IDS(n)    "SELECT CAST(" PG_ROWS(n) " AS BIGINT)"
#define ACCT_EACH(list, ids)                                                   \
	"SELECT * FROM (SELECT " ACCT_COLUMNS " FROM acct WHERE"               \
	" (CAST(?1 AS TEXT) IS NULL OR \"user\" IN (" list(                    \
	    1) ")) AND"                                                        \
	       " (CAST(?2 AS TEXT) IS NULL OR account IN (" list(              \
	           2) ")) AND"                                                 \
	              " (CAST(?3 AS TEXT) IS NULL OR state IN (" list(         \
	                  3) ")) AND"                                          \
	                     " (CAST(?4 AS TEXT) IS NULL OR job_id IN (" ids(  \
	                         4) ")) AND"                                   \
	                            " (CAST(?6 AS BIGINT) IS NULL OR "         \
	                            "COALESCE(start_ms, end_ms) < ?6) AND"     \
	                            " (CAST(?5 AS BIGINT) IS NULL OR "         \
	                            "COALESCE(end_ms, ?7) > ?5 OR"             \
	                            "  COALESCE(start_ms, end_ms) >= ?5)"      \
	                            " ORDER BY job_id DESC, attempt DESC "     \
	                            "LIMIT ?8) AS a"                           \
	                            " ORDER BY job_id, attempt"

int
store_acct_each(struct store *s, const struct acct_filter *f,
    int (*cb)(const struct acct_row *r, void *arg), void *arg)
{
	struct acct_row r;
	struct db_stmt *st;
	int rc;

	/* The window is [?5, ?6); an attempt spans [start, end or now), one
	 * that never started is an instant at its end. The newest `limit`
	 * by job id, given oldest first. */
	st = store_prepare(s, db_engine(s->db) == DB_SQLITE
	                          ? ACCT_EACH(LITE_LIST, LITE_LIST)
	                          : ACCT_EACH(PG_LIST, PG_IDS));
	if (st == NULL)
		return -1;
	if (bind_list(st, 1, f->users, NULL, f->nusers) == -1 ||
	    bind_list(st, 2, f->accounts, NULL, f->naccounts) == -1 ||
	    bind_list(st, 3, f->states, NULL, f->nstates) == -1 ||
	    bind_list(st, 4, NULL, f->jobs, f->njobs) == -1) {
		log_warnx("%s: out of memory", __func__);
		db_finalize(st);
		return -1;
	}
	store_bind_opt_int64(st, 5, f->from_ms);
	store_bind_opt_int64(st, 6, f->to_ms);
	db_bind_int64(st, 7, f->now_ms);
	db_bind_int64(st, 8, f->limit > 0 ? f->limit : INT64_MAX);
	while ((rc = db_step(st)) == DB_ROW) {
		read_row(st, &r);
		if (cb(&r, arg) == -1) {
			db_finalize(st);
			return -1;
		}
	}
	if (rc != DB_DONE) {
		log_warnx("%s: %s", __func__, db_errmsg(s->db));
		db_finalize(st);
		return -1;
	}
	db_finalize(st);
	return 0;
}

int
store_acct_prune(struct store *s, int64_t before_ms)
{
	struct db_stmt *st = store_prepare(s,
	    "DELETE FROM acct WHERE end_ms IS NOT NULL AND end_ms < ? AND"
	    " state != 'running'");
	int n = -1;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, before_ms);
	if (store_step_done(s, st, "prune accounting") == 0)
		n = db_changes(s->db);
	db_finalize(st);
	return n;
}
