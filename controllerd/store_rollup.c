/*
 * The store's telemetry rollups (see schema/011_rollups.sql and rollup.h):
 * per node and per accelerator, the mean, minimum and maximum of each
 * quantity over every minute and every hour, in partitions that retention
 * drops whole (a day of minutes, a month of hours), and the history reads
 * at every resolution.
 *
 * The sample writer (store_samples.c) marks a node's minute as pending in
 * the transaction that stores a raw sample in it. Once a pending period has
 * closed (its end plus ROLLUP_GRACE_MS, so that a report's usual delay
 * does not make it twice), a pass of the writer computes it from what is
 * stored, a minute from its raw samples, an hour from its minute rows,
 * replaces its rows, clears the mark and marks the minute's hour, in one
 * transaction. So a period is always the rollup of what the database
 * holds: a restart loses none and counts none twice, a sample that arrives
 * late (an agent's buffer, sent after an outage) marks its period again,
 * and nothing depends on the writer's memory. The cost is a read of the
 * period's rows, which were written moments ago and are in the page cache.
 *
 * Table names cannot be bound parameters: they are built with snprintf()
 * from an integer date and the static column lists below, never from input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "log.h"
#include "rollup.h"
#include "store.h"
#include "store_int.h"
#include "timeutil.h"

#define ROLLUP_GRACE_MS   20000 /* a period closes this long after its end */
#define ROLLUP_CHUNK      64    /* minutes in one transaction */
#define ROLLUP_CHUNK_1H   16    /* hours (60 minutes each) in one */
#define ROLLUP_PASS_MAX   2048  /* periods of one resolution in one pass */
#define ROLLUP_MAX_ACCELS 64    /* as a report allows */
#define NODE_Q            5     /* quantities of a node row */
#define ACCEL_Q           4     /* quantities of an accelerator row */

/* The quantities rolled up, as named in the raw tables; a rollup table
 * has, for each, the mean under that name and _min and _max beside. */
static const char *const node_q[NODE_Q] = {
    "power_w", "inlet_c", "outlet_c", "flow_lpm", "hottest_c"};
static const char *const accel_q[ACCEL_Q] = {
    "power_w", "temp_c", "clock_mhz", "util_pct"};

/* The writer's statements for one partition of minutes or hours. */
struct part_stmts {
	int day;                  /* YYYYMMDD of the partition; 0 none */
	int src_day;              /* YYYYMMDD of the source partition */
	struct db_stmt *src_node; /* reads a period's source rows */
	struct db_stmt *src_accel;
	struct db_stmt *put_node; /* replaces a period's row */
	struct db_stmt *put_accel;
};

/* The writer's rollup state, on its own connection. */
struct store_rollups {
	struct db_stmt *mark;   /* INSERT OR IGNORE a pending period */
	struct db_stmt *due;    /* pending periods closed by a time */
	struct db_stmt *unmark; /* DELETE one pending period */
	struct part_stmts p[2]; /* [0] minutes, [1] hours */
};

/* A period's summaries being computed. */
struct period_sum {
	int64_t n; /* node rows */
	struct rollup_stat node[NODE_Q];
	int64_t accel_n[ROLLUP_MAX_ACCELS]; /* rows of each accelerator */
	struct rollup_stat accel[ROLLUP_MAX_ACCELS][ACCEL_Q];
	int naccels; /* highest index seen + 1 */
};

static void
free_part(struct part_stmts *p)
{
	db_finalize(p->src_node);
	db_finalize(p->src_accel);
	db_finalize(p->put_node);
	db_finalize(p->put_accel);
	memset(p, 0, sizeof(*p));
}

void
store_rollup_free(struct store *s)
{
	struct store_rollups *r = s->ru;

	if (r == NULL)
		return;
	db_finalize(r->mark);
	db_finalize(r->due);
	db_finalize(r->unmark);
	free_part(&r->p[0]);
	free_part(&r->p[1]);
	free(r);
	s->ru = NULL;
}

static struct store_rollups *
rollups(struct store *s)
{
	struct store_rollups *r = s->ru;

	if (r != NULL)
		return r;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	r->mark = store_prepare(s, "INSERT INTO rollup_pending (step_s,"
	                           " node_id, t_ms) VALUES (?, ?, ?)"
	                           " ON CONFLICT DO NOTHING");
	r->due = store_prepare(s, "SELECT node_id, t_ms FROM rollup_pending"
	                          " WHERE step_s = ? AND t_ms <= ? ORDER BY"
	                          " t_ms LIMIT ?");
	r->unmark =
	    store_prepare(s, "DELETE FROM rollup_pending WHERE"
	                     " step_s = ? AND node_id = ? AND t_ms = ?");
	s->ru = r;
	if (r->mark == NULL || r->due == NULL || r->unmark == NULL) {
		store_rollup_free(s);
		return NULL;
	}
	return r;
}

int
store_rollup_mark(struct store *s, int64_t node_id, int64_t t_ms)
{
	struct store_rollups *r = rollups(s);

	if (r == NULL)
		return -1;
	db_bind_int(r->mark, 1, ROLLUP_1M_S);
	db_bind_int64(r->mark, 2, node_id);
	db_bind_int64(r->mark, 3, rollup_period_start(t_ms, ROLLUP_1M_S));
	return store_step_done(s, r->mark, "mark rollup");
}

/* Appends ", q, q_min, q_max" for each of the n quantities to buf. */
static void
rollup_cols(char *buf, size_t size, const char *const *q, int n, int types)
{
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len,
		    types ? ", %s DOUBLE PRECISION, %s_min DOUBLE PRECISION,"
		            " %s_max DOUBLE PRECISION"
		          : ", %s, %s_min, %s_max",
		    q[i], q[i], q[i]);
	}
}

/* Appends ", q = excluded.q, q_min = …, q_max = …" for each of the n
 * quantities to buf: an upsert's replacement of a period's row. */
static void
rollup_updates(char *buf, size_t size, const char *const *q, int n)
{
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len,
		    ", %s = excluded.%s, %s_min = excluded.%s_min,"
		    " %s_max = excluded.%s_max",
		    q[i], q[i], q[i], q[i], q[i], q[i]);
	}
}

/* Ends a table's definition in buf with its primary key: on SQLite a
 * clustered table (WITHOUT ROWID), read in ranges of that key; PostgreSQL
 * has no such thing. */
static void
end_table(struct store *s, char *buf, size_t size, const char *key)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, ", PRIMARY KEY (%s))%s", key,
	    db_engine(s->db) == DB_SQLITE ? " WITHOUT ROWID" : "");
}

/* Appends ", ?, ?, …" for n parameters to buf. */
static void
params(char *buf, size_t size, int n)
{
	size_t len;
	int i;

	for (i = 0; i < n; i++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, ", ?");
	}
}

/*
 * Makes p the statements of the partition of resolution res (1m or 1h)
 * holding t_ms, creating its tables; the source statements read the raw
 * day (1m) or the minutes' day (1h), and stay NULL when that table is gone
 * (retention dropped it). 0 or -1.
 */
static int
use_part(
    struct store *s, struct part_stmts *p, enum rollup_res res, int64_t t_ms)
{
	int step_s = res == ROLLUP_1M ? ROLLUP_1M_S : ROLLUP_1H_S;
	int day = rollup_partition(t_ms, res), src = rollup_day(t_ms);
	char sql[2048], name[64];
	struct db_stmt *st;

	if (p->day == day && p->src_day == src && p->put_node != NULL)
		return 0;
	free_part(p);
	/* table names are built from the integer step and day only */
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS node_rollup_%d_%08d (node_id BIGINT"
	    " NOT NULL, t_ms BIGINT NOT NULL, n BIGINT NOT NULL",
	    step_s, day);
	rollup_cols(sql, sizeof(sql), node_q, NODE_Q, 1);
	end_table(s, sql, sizeof(sql), "node_id, t_ms");
	/* integer step and day only */
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
	    ";CREATE TABLE IF NOT EXISTS accel_rollup_%d_%08d (node_id BIGINT"
	    " NOT NULL, idx BIGINT NOT NULL, t_ms BIGINT NOT NULL, n BIGINT"
	    " NOT NULL",
	    step_s, day);
	rollup_cols(sql, sizeof(sql), accel_q, ACCEL_Q, 1);
	end_table(s, sql, sizeof(sql), "node_id, t_ms, idx");
	if (store_exec(s, sql) == -1)
		return -1;
	if ((st = store_prepare(s, "INSERT INTO rollup_partitions (step_s,"
	                           " day, created_ms) VALUES (?, ?, ?)"
	                           " ON CONFLICT DO NOTHING")) == NULL)
		return -1;
	db_bind_int(st, 1, step_s);
	db_bind_int(st, 2, day);
	db_bind_int64(st, 3, time_wall_ms());
	if (store_step_done(s, st, "add rollup partition") == -1) {
		db_finalize(st);
		return -1;
	}
	db_finalize(st);

	/* integer step and day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO node_rollup_%d_%08d (node_id, t_ms, n", step_s, day);
	rollup_cols(sql, sizeof(sql), node_q, NODE_Q, 0);
	snprintf(
	    sql + strlen(sql), sizeof(sql) - strlen(sql), ") VALUES (?, ?, ?");
	params(sql, sizeof(sql), 3 * NODE_Q);
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
	    ") ON CONFLICT (node_id, t_ms) DO UPDATE SET n = excluded.n");
	rollup_updates(sql, sizeof(sql), node_q, NODE_Q);
	if ((p->put_node = store_prepare(s, sql)) == NULL)
		goto fail;
	/* integer step and day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accel_rollup_%d_%08d (node_id, idx, t_ms, n", step_s,
	    day);
	rollup_cols(sql, sizeof(sql), accel_q, ACCEL_Q, 0);
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
	    ") VALUES (?, ?, ?, ?");
	params(sql, sizeof(sql), 3 * ACCEL_Q);
	snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
	    ") ON CONFLICT (node_id, t_ms, idx) DO UPDATE SET n = excluded.n");
	rollup_updates(sql, sizeof(sql), accel_q, ACCEL_Q);
	if ((p->put_accel = store_prepare(s, sql)) == NULL)
		goto fail;

	/* the source: raw samples of the day, or the day's minute rows */
	if (res == ROLLUP_1M)
		snprintf(name, sizeof(name), "samples_%08d", src);
	else
		snprintf(name, sizeof(name), "node_rollup_60_%08d", src);
	if (db_table_exists(s->db, name) == 1) {
		if (res == ROLLUP_1M)
			/* the integer day only */
			snprintf(sql, sizeof(sql),
			    "SELECT 1, power_w, NULL, NULL, inlet_c, NULL,"
			    " NULL, outlet_c, NULL, NULL, flow_lpm, NULL, NULL,"
			    " hottest_c, NULL, NULL FROM samples_%08d WHERE"
			    " node_id = ? AND t_ms >= ? AND t_ms < ?",
			    src);
		else {
			snprintf(sql, sizeof(sql), "SELECT n");
			rollup_cols(sql, sizeof(sql), node_q, NODE_Q, 0);
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
			    " FROM node_rollup_60_%08d WHERE node_id = ? AND"
			    " t_ms >= ? AND t_ms < ?",
			    src);
		}
		if ((p->src_node = store_prepare(s, sql)) == NULL)
			goto fail;
		if (res == ROLLUP_1M)
			/* the integer day only */
			snprintf(sql, sizeof(sql),
			    "SELECT idx, 1, power_w, NULL, NULL, temp_c, NULL,"
			    " NULL, clock_mhz, NULL, NULL, util_pct, NULL, NULL"
			    " FROM accel_samples_%08d WHERE node_id = ? AND"
			    " t_ms >= ? AND t_ms < ?",
			    src);
		else {
			snprintf(sql, sizeof(sql), "SELECT idx, n");
			rollup_cols(sql, sizeof(sql), accel_q, ACCEL_Q, 0);
			snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql),
			    " FROM accel_rollup_60_%08d WHERE node_id = ? AND"
			    " t_ms >= ? AND t_ms < ?",
			    src);
		}
		if ((p->src_accel = store_prepare(s, sql)) == NULL)
			goto fail;
	}
	p->day = day;
	p->src_day = src;
	return 0;
fail:
	free_part(p);
	return -1;
}

/* Adds the row's (n, mean, min, max) quadruples from column `col` on to
 * sums[0..nq-1]; a raw row is (1, value, NULL, NULL). */
static void
add_row(struct db_stmt *st, int col, struct rollup_stat *sums, int nq)
{
	int64_t n = db_column_int64(st, col);
	int i;

	for (i = 0; i < nq; i++) {
		int c = col + 1 + 3 * i;

		rollup_stat_add_summary(&sums[i], n, store_column_real(st, c),
		    store_column_real(st, c + 1), store_column_real(st, c + 2));
	}
}

/* Binds the summaries sums[0..nq-1] as (mean, min, max) from index i. */
static void
bind_sums(struct db_stmt *st, int i, const struct rollup_stat *sums, int nq)
{
	int k;

	for (k = 0; k < nq; k++) {
		store_bind_real(st, i + 3 * k, rollup_stat_mean(&sums[k]));
		store_bind_real(st, i + 3 * k + 1, sums[k].min);
		store_bind_real(st, i + 3 * k + 2, sums[k].max);
	}
}

/* Sums up node_id's period [t_ms, t_ms + step) from p's source. */
static int
sum_period(struct store *s, struct part_stmts *p, int64_t node_id, int64_t t_ms,
    int step_s, struct period_sum *ps)
{
	int i, k, rc;

	memset(ps, 0, sizeof(*ps));
	for (k = 0; k < NODE_Q; k++)
		rollup_stat_init(&ps->node[k]);
	for (i = 0; i < ROLLUP_MAX_ACCELS; i++)
		for (k = 0; k < ACCEL_Q; k++)
			rollup_stat_init(&ps->accel[i][k]);
	if (p->src_node == NULL)
		return 0;
	db_bind_int64(p->src_node, 1, node_id);
	db_bind_int64(p->src_node, 2, t_ms);
	db_bind_int64(p->src_node, 3, t_ms + (int64_t)step_s * 1000);
	while ((rc = db_step(p->src_node)) == DB_ROW) {
		ps->n += db_column_int64(p->src_node, 0);
		add_row(p->src_node, 0, ps->node, NODE_Q);
	}
	db_reset(p->src_node);
	if (rc != DB_DONE)
		goto fail;
	db_bind_int64(p->src_accel, 1, node_id);
	db_bind_int64(p->src_accel, 2, t_ms);
	db_bind_int64(p->src_accel, 3, t_ms + (int64_t)step_s * 1000);
	while ((rc = db_step(p->src_accel)) == DB_ROW) {
		i = db_column_int(p->src_accel, 0);
		if (i < 0 || i >= ROLLUP_MAX_ACCELS)
			continue;
		ps->accel_n[i] += db_column_int64(p->src_accel, 1);
		add_row(p->src_accel, 1, ps->accel[i], ACCEL_Q);
		if (i >= ps->naccels)
			ps->naccels = i + 1;
	}
	db_reset(p->src_accel);
	if (rc != DB_DONE)
		goto fail;
	return 0;
fail:
	log_warnx("store: read rollup source: %s", db_errmsg(s->db));
	return -1;
}

/* Whether any of sums[0..nq-1] holds a value. */
static int
has_values(const struct rollup_stat *sums, int nq)
{
	int k;

	for (k = 0; k < nq; k++)
		if (sums[k].n > 0)
			return 1;
	return 0;
}

/* Writes ps as node_id's rows for the period at t_ms. */
static int
put_period(struct store *s, struct part_stmts *p, int64_t node_id, int64_t t_ms,
    const struct period_sum *ps)
{
	int i;

	if (ps->n > 0) {
		db_bind_int64(p->put_node, 1, node_id);
		db_bind_int64(p->put_node, 2, t_ms);
		db_bind_int64(p->put_node, 3, ps->n);
		bind_sums(p->put_node, 4, ps->node, NODE_Q);
		if (store_step_done(s, p->put_node, "put node rollup") == -1)
			return -1;
	}
	for (i = 0; i < ps->naccels; i++) {
		if (!has_values(ps->accel[i], ACCEL_Q))
			continue; /* a device not read: no row */
		db_bind_int64(p->put_accel, 1, node_id);
		db_bind_int(p->put_accel, 2, i);
		db_bind_int64(p->put_accel, 3, t_ms);
		db_bind_int64(p->put_accel, 4, ps->accel_n[i]);
		bind_sums(p->put_accel, 5, ps->accel[i], ACCEL_Q);
		if (store_step_done(s, p->put_accel, "put accel rollup") == -1)
			return -1;
	}
	return 0;
}

/*
 * Computes up to `max` closed pending periods of resolution res, in
 * transactions short enough that the loop's own writes, which wait
 * at most 100 ms for the lock, get it between them. How many, or -1.
 */
static int
close_res(struct store *s, struct store_rollups *r, enum rollup_res res,
    int64_t now_ms, int from_day, int max)
{
	int step_s = res == ROLLUP_1M ? ROLLUP_1M_S : ROLLUP_1H_S;
	int chunk = res == ROLLUP_1M ? ROLLUP_CHUNK : ROLLUP_CHUNK_1H;
	struct part_stmts *p = &r->p[res == ROLLUP_1M ? 0 : 1];
	struct period_sum *ps = NULL;
	struct {
		int64_t node_id, t_ms;
	} due[ROLLUP_CHUNK];
	int n, i, done = 0;

	if ((ps = malloc(sizeof(*ps))) == NULL) {
		log_warn("%s: malloc", __func__);
		return -1;
	}
	while (done < max) {
		db_bind_int(r->due, 1, step_s);
		db_bind_int64(r->due, 2,
		    now_ms - (int64_t)step_s * 1000 - ROLLUP_GRACE_MS);
		db_bind_int(r->due, 3, chunk);
		for (n = 0; n < chunk && db_step(r->due) == DB_ROW; n++) {
			due[n].node_id = db_column_int64(r->due, 0);
			due[n].t_ms = db_column_int64(r->due, 1);
		}
		db_reset(r->due);
		if (n == 0)
			break;
		if (store_writer_begin(s) == -1)
			goto fail;
		for (i = 0; i < n; i++) {
			int keep = rollup_day(due[i].t_ms) < from_day;

			ps->n = 0;
			if (!keep && (use_part(s, p, res, due[i].t_ms) == -1 ||
			                 sum_period(s, p, due[i].node_id,
			                     due[i].t_ms, step_s, ps) == -1 ||
			                 put_period(s, p, due[i].node_id,
			                     due[i].t_ms, ps) == -1))
				goto rollback;
			db_bind_int(r->unmark, 1, step_s);
			db_bind_int64(r->unmark, 2, due[i].node_id);
			db_bind_int64(r->unmark, 3, due[i].t_ms);
			if (store_step_done(s, r->unmark, "clear rollup") == -1)
				goto rollback;
			if (res != ROLLUP_1M || ps->n == 0)
				continue;
			db_bind_int(r->mark, 1, ROLLUP_1H_S);
			db_bind_int64(r->mark, 2, due[i].node_id);
			db_bind_int64(r->mark, 3,
			    rollup_period_start(due[i].t_ms, ROLLUP_1H_S));
			if (store_step_done(s, r->mark, "mark rollup") == -1)
				goto rollback;
		}
		if (store_exec(s, "COMMIT") == -1)
			goto rollback;
		done += n;
	}
	free(ps);
	return done;
rollback:
	store_rollback(s);
fail:
	/* a statement may point at a table the rollback took back */
	free_part(p);
	free(ps);
	return -1;
}

int
store_rollup_close(
    struct store *s, int64_t now_ms, int64_t raw_from_ms, int64_t m1_from_ms)
{
	struct store_rollups *r = rollups(s);
	int m, h;

	if (r == NULL)
		return -1;
	/* minutes first, so that an hour closing now has all its minutes */
	if ((m = close_res(s, r, ROLLUP_1M, now_ms,
	         raw_from_ms > 0 ? rollup_day(raw_from_ms) : 0,
	         ROLLUP_PASS_MAX)) == -1)
		return -1;
	if ((h = close_res(s, r, ROLLUP_1H, now_ms, rollup_day(m1_from_ms),
	         ROLLUP_PASS_MAX)) == -1)
		return -1;
	return m + h;
}

/* Drops the partitions of step_s before partition `cutoff`. How many, or
 * -1. */
static int
expire_res(struct store *s, int step_s, int cutoff)
{
	struct db_stmt *st, *del;
	int list[64], n = 0, i, dropped = 0;
	char sql[256];

	st = store_prepare(s, "SELECT day FROM rollup_partitions WHERE"
	                      " step_s = ? AND day < ? ORDER BY day LIMIT 64");
	if (st == NULL)
		return -1;
	db_bind_int(st, 1, step_s);
	db_bind_int(st, 2, cutoff);
	while (n < 64 && db_step(st) == DB_ROW)
		list[n++] = db_column_int(st, 0);
	db_finalize(st);
	if ((del = store_prepare(s, "DELETE FROM rollup_partitions WHERE"
	                            " step_s = ? AND day = ?")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		/* table names are built from the integer step and day only */
		snprintf(sql, sizeof(sql),
		    "DROP TABLE IF EXISTS node_rollup_%d_%08d;"
		    "DROP TABLE IF EXISTS accel_rollup_%d_%08d",
		    step_s, list[i], step_s, list[i]);
		db_bind_int(del, 1, step_s);
		db_bind_int(del, 2, list[i]);
		if (store_exec(s, sql) == -1 ||
		    store_step_done(s, del, "delete rollup partition") == -1)
			break;
		dropped++;
	}
	db_finalize(del);
	return dropped;
}

int
store_rollup_expire(struct store *s, int64_t now_ms, int days_1m, int days_1h)
{
	int a, b;

	/* the cached statements may write to a partition about to go */
	if (s->ru != NULL) {
		free_part(&s->ru->p[0]);
		free_part(&s->ru->p[1]);
	}
	a = expire_res(s, ROLLUP_1M_S,
	    rollup_partition(now_ms - (int64_t)days_1m * 86400000, ROLLUP_1M));
	b = expire_res(s, ROLLUP_1H_S,
	    rollup_partition(now_ms - (int64_t)days_1h * 86400000, ROLLUP_1H));
	if (a == -1 || b == -1)
		return -1;
	if (a + b > 0)
		log_info("store: dropped %d days of 1m rollups older than %d "
		         "days and %d months of 1h rollups older than %d days",
		    a, days_1m, b, days_1h);
	return a + b;
}

/* ---- history reads, on the loop's connection ---- */

/* How a column of a reply is computed: from which quantity, how. */
enum agg { AGG_MEAN, AGG_MIN, AGG_MAX };

/* A reply column: its JSON name, the quantity, the aggregate, and the
 * decimals it is rounded to. */
struct hist_col {
	const char *json;
	const char *q;
	enum agg agg;
	int decimals;
};

/* A node's points: power, the loop's temperatures and flow, the hottest
 * accelerator (hottest_c is the maximum, as it always was). */
static const struct hist_col node_cols[] = {
    {"power_w", "power_w", AGG_MEAN, 1},
    {"power_w_min", "power_w", AGG_MIN, 1},
    {"power_w_max", "power_w", AGG_MAX, 1},
    {"hottest_c", "hottest_c", AGG_MAX, 1},
    {"hottest_c_mean", "hottest_c", AGG_MEAN, 1},
    {"hottest_c_min", "hottest_c", AGG_MIN, 1},
    {"inlet_c", "inlet_c", AGG_MEAN, 2},
    {"inlet_c_min", "inlet_c", AGG_MIN, 2},
    {"inlet_c_max", "inlet_c", AGG_MAX, 2},
    {"outlet_c", "outlet_c", AGG_MEAN, 2},
    {"outlet_c_min", "outlet_c", AGG_MIN, 2},
    {"outlet_c_max", "outlet_c", AGG_MAX, 2},
    {"flow_lpm", "flow_lpm", AGG_MEAN, 2},
    {"flow_lpm_min", "flow_lpm", AGG_MIN, 2},
    {"flow_lpm_max", "flow_lpm", AGG_MAX, 2},
};

/* An accelerator's points. */
static const struct hist_col accel_cols[] = {
    {"power_w", "power_w", AGG_MEAN, 1},
    {"power_w_min", "power_w", AGG_MIN, 1},
    {"power_w_max", "power_w", AGG_MAX, 1},
    {"temp_c", "temp_c", AGG_MEAN, 1},
    {"temp_c_min", "temp_c", AGG_MIN, 1},
    {"temp_c_max", "temp_c", AGG_MAX, 1},
    {"clock_mhz", "clock_mhz", AGG_MEAN, 0},
    {"clock_mhz_min", "clock_mhz", AGG_MIN, 0},
    {"clock_mhz_max", "clock_mhz", AGG_MAX, 0},
    {"util_pct", "util_pct", AGG_MEAN, 1},
    {"util_pct_min", "util_pct", AGG_MIN, 1},
    {"util_pct_max", "util_pct", AGG_MAX, 1},
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The SELECT of one partition's points into sql; ?1 step ms, ?2 node,
 * ?3 from, ?4 to, ?5 accelerator index (accel only). */
static void
history_sql(char *sql, size_t size, enum rollup_res res, int accel, int day)
{
	const struct hist_col *cols = accel ? accel_cols : node_cols;
	int ncols = accel ? NCOLS(accel_cols) : NCOLS(node_cols), i;
	int step_s = res == ROLLUP_1M ? ROLLUP_1M_S : ROLLUP_1H_S;
	size_t len;

	snprintf(sql, size, "SELECT t_ms / ?1 AS b, %s",
	    res == ROLLUP_RAW ? "count(*)" : "sum(n)");
	for (i = 0; i < ncols; i++) {
		const char *q = cols[i].q;

		len = strlen(sql);
		if (res == ROLLUP_RAW)
			snprintf(sql + len, size - len, ", %s(%s)",
			    cols[i].agg == AGG_MEAN  ? "avg"
			    : cols[i].agg == AGG_MIN ? "min"
			                             : "max",
			    q);
		else if (cols[i].agg == AGG_MEAN)
			snprintf(sql + len, size - len,
			    ", sum(%s * n) / sum(CASE WHEN %s IS NULL THEN"
			    " NULL ELSE n END)",
			    q, q);
		else
			snprintf(sql + len, size - len, ", %s(%s_%s)",
			    cols[i].agg == AGG_MIN ? "min" : "max", q,
			    cols[i].agg == AGG_MIN ? "min" : "max");
	}
	len = strlen(sql);
	/* table names are built from the integer step and day only */
	if (res == ROLLUP_RAW && accel)
		snprintf(
		    sql + len, size - len, " FROM accel_samples_%08d", day);
	else if (res == ROLLUP_RAW)
		snprintf(sql + len, size - len, " FROM samples_%08d", day);
	else if (accel)
		snprintf(sql + len, size - len, " FROM accel_rollup_%d_%08d",
		    step_s, day);
	else
		snprintf(sql + len, size - len, " FROM node_rollup_%d_%08d",
		    step_s, day);
	len = strlen(sql);
	snprintf(sql + len, size - len,
	    " WHERE node_id = ?2 AND t_ms BETWEEN ?3 AND ?4%s GROUP BY b"
	    " ORDER BY b",
	    accel ? " AND idx = ?5" : "");
}

static void
set_rounded(json_t *o, const char *key, double v, int decimals)
{
	double scale = pow(10, decimals);

	json_object_set_new(o, key,
	    isnan(v) ? json_null() : json_real(round(v * scale) / scale));
}

json_t *
store_history(struct store *s, const struct store_history_q *h)
{
	const struct hist_col *cols = h->accel >= 0 ? accel_cols : node_cols;
	int ncols = h->accel >= 0 ? NCOLS(accel_cols) : NCOLS(node_cols), i;
	struct db_stmt *parts = NULL, *st = NULL;
	json_t *points = json_array();
	int64_t step_ms = (int64_t)h->step_s * 1000;
	char sql[4096];
	int n = 0, step;

	if (h->res == ROLLUP_RAW)
		parts = store_prepare(s, "SELECT day FROM sample_partitions"
		                         " WHERE day BETWEEN ?1 AND ?2 ORDER BY"
		                         " day");
	else
		parts = store_prepare(s, "SELECT day FROM rollup_partitions"
		                         " WHERE day BETWEEN ?1 AND ?2 AND"
		                         " step_s = ?3 ORDER BY day");
	if (parts == NULL || points == NULL)
		goto fail;
	db_bind_int(parts, 1, rollup_partition(h->from_ms, h->res));
	db_bind_int(parts, 2, rollup_partition(h->to_ms, h->res));
	if (h->res != ROLLUP_RAW)
		db_bind_int(
		    parts, 3, h->res == ROLLUP_1M ? ROLLUP_1M_S : ROLLUP_1H_S);
	while ((step = db_step(parts)) == DB_ROW && n < h->max_points) {
		history_sql(sql, sizeof(sql), h->res, h->accel >= 0,
		    db_column_int(parts, 0));
		if ((st = store_prepare(s, sql)) == NULL)
			goto fail;
		db_bind_int64(st, 1, step_ms);
		db_bind_int64(st, 2, h->node_id);
		db_bind_int64(st, 3, h->from_ms);
		db_bind_int64(st, 4, h->to_ms);
		if (h->accel >= 0)
			db_bind_int(st, 5, h->accel);
		while ((step = db_step(st)) == DB_ROW && n++ < h->max_points) {
			json_t *o = json_object();

			json_object_set_new(o, "t",
			    jsonx_time(db_column_int64(st, 0) * step_ms));
			for (i = 0; i < ncols; i++)
				set_rounded(o, cols[i].json,
				    store_column_real(st, 2 + i),
				    cols[i].decimals);
			json_object_set_new(
			    o, "samples", json_integer(db_column_int64(st, 1)));
			json_array_append_new(points, o);
		}
		if (store_read_end(s, step, "read history") == -1)
			goto fail;
		db_finalize(st);
		st = NULL;
	}
	if (store_read_end(s, step, "read history's partitions") == -1)
		goto fail;
	db_finalize(parts);
	return points;
fail:
	db_finalize(parts);
	db_finalize(st);
	json_decref(points);
	return NULL;
}
