/*
 * The store's accounting records (see store.h and acct.h): one row per
 * attempt in the acct table. store_put_jobs() writes the record of every
 * job it writes, in its transaction; a record still "running" is replaced,
 * one that has ended never changes again, so a job written again later
 * (a requeued one, cancelled while it waits) leaves its attempts' records
 * as they ended. Reading goes through one query with every filter bound,
 * lists as JSON arrays through json_each(), rows handed to a callback so
 * that usage over a long period never holds the rows in memory.
 */
#include <math.h>
#include <sqlite3.h>
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
	"job_id, attempt, user, account, qos, partition, name, nodes, nnodes," \
	" accelerators, submit_ms, start_ms, end_ms, state, exit_code,"        \
	" energy_j, accel_hours, peak_power_w, reason"

sqlite3_stmt *
store_acct_prepare(struct store *s)
{
	return store_prepare(s,
	    "INSERT INTO acct (" ACCT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id, attempt)"
	    " DO UPDATE SET user = excluded.user, account = excluded.account,"
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
store_acct_put(struct store *s, sqlite3_stmt *st, const struct job *j,
    const struct fleet *f)
{
	struct acct_row r;

	if (!acct_row_from_job(j, f, time_wall_ms(), &r))
		return 0;
	sqlite3_bind_int64(st, 1, r.job_id);
	sqlite3_bind_int(st, 2, r.attempt);
	sqlite3_bind_text(st, 3, r.user, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r.account, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r.qos, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, r.partition, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, r.name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, r.nodes, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 9, r.nnodes);
	sqlite3_bind_int(st, 10, r.accels);
	sqlite3_bind_int64(st, 11, r.submit_ms);
	store_bind_opt_int64(st, 12, r.start_ms);
	store_bind_opt_int64(st, 13, r.end_ms);
	sqlite3_bind_text(st, 14, r.state, -1, SQLITE_TRANSIENT);
	if (r.has_exit)
		sqlite3_bind_int(st, 15, r.exit_code);
	store_bind_real(st, 16, r.energy_j);
	sqlite3_bind_double(st, 17, r.accel_hours);
	store_bind_real(st, 18, r.peak_power_w);
	if (r.reason[0] != '\0')
		sqlite3_bind_text(st, 19, r.reason, -1, SQLITE_TRANSIENT);
	return store_step_done(s, st, "put accounting record");
}

int
store_acct_put_running(
    struct store *s, struct job *const *v, int n, const struct fleet *f)
{
	sqlite3_stmt *st = store_acct_prepare(s);
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
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	return -1;
}

/* Reads the row at st's current step (ACCT_COLUMNS) into r. */
static void
read_row(sqlite3_stmt *st, struct acct_row *r)
{
	memset(r, 0, sizeof(*r));
	r->job_id = sqlite3_column_int64(st, 0);
	r->attempt = sqlite3_column_int(st, 1);
	store_column_text(st, 2, r->user, sizeof(r->user));
	store_column_text(st, 3, r->account, sizeof(r->account));
	store_column_text(st, 4, r->qos, sizeof(r->qos));
	store_column_text(st, 5, r->partition, sizeof(r->partition));
	store_column_text(st, 6, r->name, sizeof(r->name));
	store_column_text(st, 7, r->nodes, sizeof(r->nodes));
	r->nnodes = sqlite3_column_int(st, 8);
	r->accels = sqlite3_column_int(st, 9);
	r->submit_ms = sqlite3_column_int64(st, 10);
	r->start_ms = sqlite3_column_int64(st, 11);
	r->end_ms = sqlite3_column_int64(st, 12);
	store_column_text(st, 13, r->state, sizeof(r->state));
	if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
		r->has_exit = 1;
		r->exit_code = sqlite3_column_int(st, 14);
	}
	r->energy_j = store_column_real(st, 15);
	r->accel_hours = sqlite3_column_double(st, 16);
	r->peak_power_w = store_column_real(st, 17);
	store_column_text(st, 18, r->reason, sizeof(r->reason));
}

int
store_acct_get(
    struct store *s, int64_t job_id, int attempt, struct acct_row *out)
{
	sqlite3_stmt *st = store_prepare(s,
	    "SELECT " ACCT_COLUMNS " FROM acct WHERE job_id = ? AND"
	    " attempt = ?");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, job_id);
	sqlite3_bind_int(st, 2, attempt);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, out);
	else if (rc != SQLITE_DONE)
		log_warnx("%s: job %lld: %s", __func__, (long long)job_id,
		    sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Binds the n strings of v as a JSON array at parameter i, or NULL (no
 * filter) when n is 0. 0 or -1. */
static int
bind_list(
    sqlite3_stmt *st, int i, const char *const *v, const int64_t *ids, int n)
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
	sqlite3_bind_text(st, i, text, -1, free);
	return 0;
}

int
store_acct_each(struct store *s, const struct acct_filter *f,
    int (*cb)(const struct acct_row *r, void *arg), void *arg)
{
	struct acct_row r;
	sqlite3_stmt *st;
	int rc;

	/* The window is [?5, ?6); an attempt spans [start, end or now), one
	 * that never started is an instant at its end. The newest `limit`
	 * by job id, given oldest first. */
	st = store_prepare(s,
	    "SELECT * FROM (SELECT " ACCT_COLUMNS " FROM acct WHERE"
	    " (?1 IS NULL OR user IN (SELECT value FROM json_each(?1))) AND"
	    " (?2 IS NULL OR account IN (SELECT value FROM json_each(?2))) AND"
	    " (?3 IS NULL OR state IN (SELECT value FROM json_each(?3))) AND"
	    " (?4 IS NULL OR job_id IN (SELECT value FROM json_each(?4))) AND"
	    " (?6 IS NULL OR COALESCE(start_ms, end_ms) < ?6) AND"
	    " (?5 IS NULL OR COALESCE(end_ms, ?7) > ?5 OR"
	    "  COALESCE(start_ms, end_ms) >= ?5)"
	    " ORDER BY job_id DESC, attempt DESC LIMIT ?8)"
	    " ORDER BY job_id, attempt");
	if (st == NULL)
		return -1;
	if (bind_list(st, 1, f->users, NULL, f->nusers) == -1 ||
	    bind_list(st, 2, f->accounts, NULL, f->naccounts) == -1 ||
	    bind_list(st, 3, f->states, NULL, f->nstates) == -1 ||
	    bind_list(st, 4, NULL, f->jobs, f->njobs) == -1) {
		log_warnx("%s: out of memory", __func__);
		sqlite3_finalize(st);
		return -1;
	}
	store_bind_opt_int64(st, 5, f->from_ms);
	store_bind_opt_int64(st, 6, f->to_ms);
	sqlite3_bind_int64(st, 7, f->now_ms);
	sqlite3_bind_int(st, 8, f->limit > 0 ? f->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		read_row(st, &r);
		if (cb(&r, arg) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		log_warnx("%s: %s", __func__, sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_acct_prune(struct store *s, int64_t before_ms)
{
	sqlite3_stmt *st = store_prepare(s,
	    "DELETE FROM acct WHERE end_ms IS NOT NULL AND end_ms < ? AND"
	    " state != 'running'");
	int n = -1;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before_ms);
	if (store_step_done(s, st, "prune accounting") == 0)
		n = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return n;
}
