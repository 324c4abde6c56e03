/*
 * The store's telemetry samples (see store.h). Samples go to per-day
 * tables, samples_YYYYMMDD for nodes and accel_samples_YYYYMMDD for
 * accelerators, listed in sample_partitions; retention drops whole tables,
 * which is instant, where a DELETE of a day of rows would rewrite the file.
 * Table names cannot be bound parameters, so they are the one piece of SQL
 * built with snprintf(), and only ever from an integer date.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "jsonx.h"
#include "log.h"
#include <pod/wire.h>
#include "store.h"
#include "store_int.h"
#include "timeutil.h"

void
store_queue_sample(
    struct store *s, const struct node *n, const struct report_sample *smp)
{
	struct queued *q;
	double hottest = NAN;
	int i;

	if (s->nq >= STORE_QUEUE_MAX) {
		s->dropped++;
		return;
	}
	if (s->nq % 1024 == 0) {
		q = realloc(s->q, (s->nq + 1024) * sizeof(*q));
		if (q == NULL) {
			s->dropped++;
			return;
		}
		s->q = q;
	}
	q = &s->q[s->nq];
	memset(q, 0, sizeof(*q));
	if (smp->naccels > 0 && (q->accels = calloc(smp->naccels,
	                             ACCEL_COLS * sizeof(double))) == NULL) {
		s->dropped++;
		return;
	}
	for (i = 0; i < smp->naccels; i++) {
		const struct report_accel *a = &smp->accels[i];
		double *c = &q->accels[i * ACCEL_COLS];

		c[0] = a->power_w;
		c[1] = a->temp_c;
		c[2] = a->clock_mhz;
		c[3] = a->util_pct;
		c[4] = a->energy_j;
		if (!isnan(a->temp_c) &&
		    (isnan(hottest) || a->temp_c > hottest))
			hottest = a->temp_c;
	}
	q->naccels = smp->naccels;
	q->node_id = n->id;
	q->t_ms = smp->t_ms;
	q->power_w = smp->power_w;
	q->inlet_c = smp->supply_c;
	q->outlet_c = smp->return_c;
	q->flow_lpm = smp->flow_lpm;
	q->hottest_c = hottest;
	s->nq++;
}

int
store_queued(const struct store *s)
{
	return s->nq;
}

static int
day_of(int64_t t_ms)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* Makes the statements write to the partition of `day`, creating it. */
static int
use_partition(struct store *s, int day)
{
	char sql[1024];
	sqlite3_stmt *st;

	if (day == s->day && s->ins_node != NULL)
		return 0;
	/* table names are built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS samples_%08d (node_id INTEGER NOT"
	    " NULL, t_ms INTEGER NOT NULL, power_w REAL, inlet_c REAL,"
	    " outlet_c REAL, flow_lpm REAL, hottest_c REAL);"
	    "CREATE INDEX IF NOT EXISTS samples_%08d_node ON samples_%08d"
	    " (node_id, t_ms);"
	    "CREATE TABLE IF NOT EXISTS accel_samples_%08d (node_id INTEGER"
	    " NOT NULL, idx INTEGER NOT NULL, t_ms INTEGER NOT NULL,"
	    " power_w REAL, temp_c REAL, clock_mhz REAL, util_pct REAL,"
	    " energy_j REAL);"
	    "CREATE INDEX IF NOT EXISTS accel_samples_%08d_node ON"
	    " accel_samples_%08d (node_id, t_ms);",
	    day, day, day, day, day, day);
	if (store_exec(s, sql) == -1)
		return -1;
	st = store_prepare(s, "INSERT OR IGNORE INTO sample_partitions (day,"
	                      " created_ms) VALUES (?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, day);
	sqlite3_bind_int64(st, 2, time_wall_ms());
	if (store_step_done(s, st, "add partition") == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(s->ins_node);
	sqlite3_finalize(s->ins_accel);
	s->ins_accel = NULL;
	/* the table name is built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO samples_%08d (node_id, t_ms, power_w, inlet_c,"
	    " outlet_c, flow_lpm, hottest_c) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    day);
	if ((s->ins_node = store_prepare(s, sql)) == NULL)
		return -1;
	/* the table name is built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accel_samples_%08d (node_id, idx, t_ms, power_w,"
	    " temp_c, clock_mhz, util_pct, energy_j) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?)",
	    day);
	if ((s->ins_accel = store_prepare(s, sql)) == NULL) {
		sqlite3_finalize(s->ins_node);
		s->ins_node = NULL;
		return -1;
	}
	s->day = day;
	return 0;
}

static int
write_sample(struct store *s, const struct queued *q)
{
	int i, k;

	if (use_partition(s, day_of(q->t_ms)) == -1)
		return -1;
	sqlite3_bind_int64(s->ins_node, 1, q->node_id);
	sqlite3_bind_int64(s->ins_node, 2, q->t_ms);
	store_bind_real(s->ins_node, 3, q->power_w);
	store_bind_real(s->ins_node, 4, q->inlet_c);
	store_bind_real(s->ins_node, 5, q->outlet_c);
	store_bind_real(s->ins_node, 6, q->flow_lpm);
	store_bind_real(s->ins_node, 7, q->hottest_c);
	if (store_step_done(s, s->ins_node, "insert sample") == -1)
		return -1;
	for (i = 0; i < q->naccels; i++) {
		sqlite3_bind_int64(s->ins_accel, 1, q->node_id);
		sqlite3_bind_int(s->ins_accel, 2, i);
		sqlite3_bind_int64(s->ins_accel, 3, q->t_ms);
		for (k = 0; k < ACCEL_COLS; k++)
			store_bind_real(
			    s->ins_accel, 4 + k, q->accels[i * ACCEL_COLS + k]);
		if (store_step_done(s, s->ins_accel, "insert accel sample") ==
		    -1)
			return -1;
	}
	return 0;
}

static int
write_inventory(
    struct store *s, sqlite3_stmt *del, sqlite3_stmt *ins, const struct node *n)
{
	int i;

	sqlite3_bind_int64(del, 1, n->id);
	if (store_step_done(s, del, "delete accelerators") == -1)
		return -1;
	for (i = 0; i < n->naccels; i++) {
		const struct accel *a = &n->accels[i];

		sqlite3_bind_int64(ins, 1, n->id);
		sqlite3_bind_int(ins, 2, i);
		sqlite3_bind_text(ins, 3, a->model, -1, SQLITE_STATIC);
		store_bind_real(ins, 4, a->clock_min_mhz);
		store_bind_real(ins, 5, a->clock_max_mhz);
		store_bind_real(ins, 6, a->power_max_w);
		store_bind_real(ins, 7, a->tdp_w);
		store_bind_real(ins, 8, a->temp_crit_c);
		store_bind_real(ins, 9, a->mem_total_mib);
		if (store_step_done(s, ins, "insert accelerator") == -1)
			return -1;
	}
	return 0;
}

int
store_flush(struct store *s, struct fleet *f)
{
	sqlite3_stmt *seen = NULL, *del = NULL, *ins = NULL;
	int i, rc = -1;

	if (s->dropped > 0) {
		log_warnx(
		    "store: sample queue full, dropped %d samples", s->dropped);
		s->dropped = 0;
	}
	seen =
	    store_prepare(s, "UPDATE nodes SET last_seen_ms = ?, boot_id = ?,"
	                     " agent_version = ?, first_seen_ms ="
	                     " coalesce(first_seen_ms, ?) WHERE id = ?");
	del = store_prepare(s, "DELETE FROM accelerators WHERE node_id = ?");
	ins = store_prepare(s,
	    "INSERT INTO accelerators (node_id, idx, model,"
	    " clock_min_mhz, clock_max_mhz, power_max_w, tdp_w,"
	    " temp_crit_c, mem_total_mib) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?, ?)");
	if (seen == NULL || del == NULL || ins == NULL ||
	    store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < s->nq; i++)
		if (write_sample(s, &s->q[i]) == -1)
			goto rollback;
	for (i = 0; i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];

		if (n->inventory_dirty && write_inventory(s, del, ins, n) == -1)
			goto rollback;
		if (!n->seen_dirty)
			continue;
		sqlite3_bind_int64(seen, 1, n->last_seen_ms);
		sqlite3_bind_text(seen, 2, n->boot_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(seen, 3, n->agent_version, -1, SQLITE_STATIC);
		sqlite3_bind_int64(seen, 4, n->last_seen_ms);
		sqlite3_bind_int64(seen, 5, n->id);
		if (store_step_done(s, seen, "update last seen") == -1)
			goto rollback;
	}
	if (store_exec(s, "COMMIT") == -1)
		goto rollback;
	for (i = 0; i < f->nnodes; i++)
		f->nodes[i].inventory_dirty = f->nodes[i].seen_dirty = 0;
	for (i = 0; i < s->nq; i++)
		free(s->q[i].accels);
	s->nq = 0;
	rc = 0;
	goto fail;
rollback:
	(void)store_exec(s, "ROLLBACK");
fail:
	sqlite3_finalize(seen);
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return rc;
}

int
store_expire(struct store *s, int64_t now_ms, int days)
{
	sqlite3_stmt *st, *del;
	int cutoff = day_of(now_ms - (int64_t)days * 86400000), dropped = 0;
	int list[64], n = 0, i;
	char sql[256];

	st = store_prepare(s, "SELECT day FROM sample_partitions WHERE day < ?"
	                      " ORDER BY day LIMIT 64");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, cutoff);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
		list[n++] = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if ((del = store_prepare(
	         s, "DELETE FROM sample_partitions WHERE day = ?")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (list[i] == s->day) {
			sqlite3_finalize(s->ins_node);
			sqlite3_finalize(s->ins_accel);
			s->ins_node = s->ins_accel = NULL;
		}
		/* table names are built from the integer day only */
		snprintf(sql, sizeof(sql),
		    "DROP TABLE IF EXISTS samples_%08d;"
		    "DROP TABLE IF EXISTS accel_samples_%08d",
		    list[i], list[i]);
		sqlite3_bind_int(del, 1, list[i]);
		if (store_exec(s, sql) == -1 ||
		    store_step_done(s, del, "delete partition") == -1)
			break;
		dropped++;
	}
	sqlite3_finalize(del);
	return dropped;
}

/* ---- telemetry history ---- */

static void
set_avg(json_t *o, const char *key, sqlite3_stmt *st, int col, int decimals)
{
	double v = store_column_real(st, col), scale = pow(10, decimals);

	json_object_set_new(o, key,
	    isnan(v) ? json_null() : json_real(round(v * scale) / scale));
}

json_t *
store_telemetry(struct store *s, int64_t node_id, int64_t from_ms,
    int64_t to_ms, int step_s, int max_points)
{
	sqlite3_stmt *days = NULL, *st = NULL;
	json_t *points = json_array();
	int64_t step_ms = (int64_t)step_s * 1000;
	char sql[512];
	int n = 0;

	days = store_prepare(s,
	    "SELECT day FROM sample_partitions WHERE day BETWEEN"
	    " ? AND ? ORDER BY day");
	if (days == NULL || points == NULL)
		goto fail;
	sqlite3_bind_int(days, 1, day_of(from_ms));
	sqlite3_bind_int(days, 2, day_of(to_ms));
	while (sqlite3_step(days) == SQLITE_ROW && n < max_points) {
		/* the table name is built from an integer date only */
		snprintf(sql, sizeof(sql),
		    "SELECT t_ms / ?1 AS b, avg(power_w), max(hottest_c),"
		    " avg(inlet_c), avg(outlet_c), avg(flow_lpm) FROM"
		    " samples_%08d WHERE node_id = ?2 AND t_ms BETWEEN ?3 AND"
		    " ?4 GROUP BY b ORDER BY b",
		    sqlite3_column_int(days, 0));
		if ((st = store_prepare(s, sql)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, step_ms);
		sqlite3_bind_int64(st, 2, node_id);
		sqlite3_bind_int64(st, 3, from_ms);
		sqlite3_bind_int64(st, 4, to_ms);
		while (sqlite3_step(st) == SQLITE_ROW && n++ < max_points) {
			json_t *o = json_object();

			json_object_set_new(o, "t",
			    jsonx_time(sqlite3_column_int64(st, 0) * step_ms));
			set_avg(o, "power_w", st, 1, 1);
			set_avg(o, "hottest_c", st, 2, 1);
			set_avg(o, "inlet_c", st, 3, 2);
			set_avg(o, "outlet_c", st, 4, 2);
			set_avg(o, "flow_lpm", st, 5, 2);
			json_array_append_new(points, o);
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	sqlite3_finalize(days);
	return points;
fail:
	sqlite3_finalize(days);
	sqlite3_finalize(st);
	json_decref(points);
	return NULL;
}
