/*
 * Inside the store: the handle and the helpers its files share. store.c
 * opens the database, runs the schema, keeps the inventory, drains and the
 * audit log; store_samples.c the telemetry samples and their day tables;
 * store_jobs.c jobs, ranks and attempts; store_power.c policies, settings,
 * alarms and energy. Only store*.c include this.
 */
#ifndef CTL_STORE_INT_H
#define CTL_STORE_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"

#define ACCEL_COLS 5 /* power_w, temp_c, clock_mhz, util_pct, energy_j */

struct queued {
	int64_t node_id;
	int64_t t_ms;
	double power_w, inlet_c, outlet_c, flow_lpm, hottest_c;
	int naccels;
	double *accels; /* naccels × ACCEL_COLS */
};

struct fleet;
struct job;
struct store_rollups;
struct store_writer;

struct store {
	struct db *db;
	/* The loop's handle: 1 while its connection waits for a lock; the
	 * writer's: the loop's flag, which it yields to (store_writer_begin) */
	atomic_int waiting;
	atomic_int *loop_waiting;
	struct queued *q;
	int nq;
	int dropped; /* samples dropped since the last warning */
	int schema;  /* the schema's version, once migrated */
	int day;     /* partition the cached statements write to */
	struct db_stmt *ins_node, *ins_accel;
	struct store_writer *w; /* the sample writer; NULL in its own handle */
	struct store_rollups *ru; /* the writer's rollup statements */
};

/* Ends the open transaction, if SQLite has not already rolled it back (as
 * it does after a full disk). */
void store_rollback(struct store *s);
/* Starts the thread that writes samples on a connection of its own
 * (store_samples.c). 0 or -1 logged. */
int store_writer_start(struct store *s, const char *path);
/* Writes the samples queued, waits for it, and stops the thread. */
void store_writer_stop(struct store *s);
/* db_exec() of sql; -1 logged. */
int store_exec(struct store *s, const char *sql);
/* BEGIN IMMEDIATE on the writer's handle ws, after letting the loop's
 * connection take the lock first when it is waiting for it: without
 * this, a writer committing chunk after chunk re-takes the lock before
 * the loop's waits notice it was free, and the loop's writes (a job's
 * submission) fail for as long as the writer has work. 0 or -1 logged. */
int store_writer_begin(struct store *ws);
/* A prepared statement (caller finalizes), or NULL logged. */
struct db_stmt *store_prepare(struct store *s, const char *sql);
/* Steps st once, resets it and clears its bindings; -1 logged with what. */
int store_step_done(struct store *s, struct db_stmt *st, const char *what);
/* Whether a read loop that ended on step (db_step()'s last result) read
 * what it meant to: all its rows (DB_DONE), or up to a row it chose to
 * stop at (DB_ROW). -1 when the read was cut short (the connection lost,
 * an error), logged with what unless the loss was; else 0. A load cut
 * short must fail: a part of the state taken for the whole loses jobs. */
int store_read_end(struct store *s, int step, const char *what);
/* Steps st, an INSERT … RETURNING id, resets it and clears its bindings:
 * the new row's id, or 0 logged with what. */
int64_t store_insert_id(struct store *s, struct db_stmt *st, const char *what);
/* Binds v, or NULL for NaN. */
void store_bind_real(struct db_stmt *st, int i, double v);
/* Binds v, or NULL for 0 (a time or id not known). */
void store_bind_opt_int64(struct db_stmt *st, int i, int64_t v);
/* Column i as a double, NaN for NULL. */
double store_column_real(struct db_stmt *st, int i);
/* Column i copied into out ("" for NULL). */
void store_column_text(struct db_stmt *st, int i, char *out, size_t size);
/* Inside a transaction the caller began: steps st (a write), adds the
 * audit line that says who did it, and commits; on any failure rolls the
 * whole transaction back. 0 or -1 (logged). */
int store_commit_audited(struct store *s, struct db_stmt *st, const char *what,
    const char *who, const char *action, const char *object,
    const char *detail);
/* As store_commit_audited(), for a transaction whose writes are done. */
int store_commit_audit(struct store *s, const char *who, const char *action,
    const char *object, const char *detail);
/* The statement store_acct_put() runs, for store_put_jobs() to prepare
 * with its own (store_acct.c). Caller finalizes; NULL logged. */
struct db_stmt *store_acct_prepare(struct store *s);
/* Inside store_put_jobs()' transaction: writes the accounting record of
 * job j's current attempt, if it has one to record (acct_row_from_job()),
 * unless that record has already ended. 0 or -1 (logged). */
int store_acct_put(struct store *s, struct db_stmt *st, const struct job *j,
    const struct fleet *f);

/* Rollups (store_rollup.c), on the writer's connection. Inside the
 * caller's transaction: marks the minute of node_id holding t_ms as
 * pending. 0 or -1 (logged). */
int store_rollup_mark(struct store *s, int64_t node_id, int64_t t_ms);
/* Computes the pending periods closed by now_ms (a bounded number per
 * call, in transactions of their own). A minute of a day before that of
 * raw_from_ms (0: any), or an hour of a day before that of m1_from_ms,
 * has lost its source to retention (a sample far in the past re-created
 * the day's table): its mark is cleared and its rows kept as they are.
 * How many pending periods were handled, or -1 (logged). */
int store_rollup_close(
    struct store *s, int64_t now_ms, int64_t raw_from_ms, int64_t m1_from_ms);
/* Drops minute partitions older than days_1m and hour partitions older
 * than days_1h before now_ms. How many, or -1 (logged). */
int store_rollup_expire(
    struct store *s, int64_t now_ms, int days_1m, int days_1h);
/* Frees s's rollup statements. */
void store_rollup_free(struct store *s);

#endif
