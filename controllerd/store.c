/*
 * The SQLite store (see store.h).
 *
 * Samples go to per-day tables, samples_YYYYMMDD for nodes and
 * accel_samples_YYYYMMDD for accelerators, listed in sample_partitions;
 * retention drops whole tables, which is instant, where a DELETE of a day of
 * rows would rewrite the file. Table names cannot be bound parameters, so
 * they are the one piece of SQL built with snprintf(), and only ever from an
 * integer date.
 *
 * WAL mode with synchronous=NORMAL: a committed transaction survives a crash
 * of the controller; after a power loss the last second of samples may be
 * lost but the file stays consistent. Decisions commit before the reply.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alarms.h"
#include "fleet.h"
#include "hostlist.h"
#include "jsonx.h"
#include "jobs.h"
#include "log.h"
#include <pod/wire.h>
#include "schema.h"
#include "store.h"
#include "timeutil.h"

#define ACCEL_COLS 5 /* power_w, temp_c, clock_mhz, util_pct, energy_j */

struct queued {
	int64_t node_id;
	int64_t t_ms;
	double power_w, inlet_c, outlet_c, flow_lpm, hottest_c;
	int naccels;
	double *accels; /* naccels × ACCEL_COLS */
};

struct store {
	sqlite3 *db;
	struct queued *q;
	int nq;
	int dropped; /* samples dropped since the last warning */
	int day;     /* partition the cached statements write to */
	sqlite3_stmt *ins_node, *ins_accel;
};

static int
exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static sqlite3_stmt *
prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("store: prepare %s: %s", sql, sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

static int
step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static void
bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static double
column_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
	           ? NAN
	           : sqlite3_column_double(st, i);
}

static void
column_text(sqlite3_stmt *st, int i, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

static int
make_parent_dir(const char *path)
{
	char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		log_warn("store: mkdir %s", dir);
		return -1;
	}
	return 0;
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt *st = prepare(s, "PRAGMA user_version");
	int v = -1;

	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
migrate(struct store *s)
{
	int have = store_schema_version(s), i;
	int newest = schema_migrations[schema_nmigrations - 1].version;
	char sql[64];

	if (have < 0)
		return -1;
	if (have > newest) {
		log_warnx("store: database schema %d is newer than this "
		          "controller's %d; refusing to touch it",
		    have, newest);
		return -1;
	}
	for (i = 0; i < schema_nmigrations; i++) {
		const struct schema_migration *m = &schema_migrations[i];

		if (m->version <= have)
			continue;
		/* PRAGMA takes no parameters; the version is our integer. */
		snprintf(
		    sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
		if (exec(s, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (exec(s, m->sql) == -1 || exec(s, sql) == -1) {
			log_warnx("store: migration %s failed", m->file);
			(void)exec(s, "ROLLBACK");
			return -1;
		}
		if (exec(s, "COMMIT") == -1)
			return -1;
		log_info("store: applied schema %s", m->file);
	}
	return 0;
}

struct store *
store_open(const char *path)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if (make_parent_dir(path) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		log_warnx("%s: %s: %s", __func__, path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode = WAL") == -1 ||
	    exec(s, "PRAGMA synchronous = NORMAL") == -1 ||
	    exec(s, "PRAGMA foreign_keys = ON") == -1 || migrate(s) == -1) {
		log_warnx("%s: %s: cannot use this database", __func__, path);
		goto fail;
	}
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	int i;

	if (s == NULL)
		return;
	sqlite3_finalize(s->ins_node);
	sqlite3_finalize(s->ins_accel);
	for (i = 0; i < s->nq; i++)
		free(s->q[i].accels);
	free(s->q);
	sqlite3_close(s->db);
	free(s);
}

static int
load_accels(struct store *s, sqlite3_stmt *st, struct node *n)
{
	struct accel *a;
	int count = 0, cap = 8;

	if ((a = calloc(cap, sizeof(*a))) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, n->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int idx = sqlite3_column_int(st, 0);

		if (idx != count || count >= 64)
			break;
		if (count == cap) {
			struct accel *b = realloc(a, 2 * cap * sizeof(*a));

			if (b == NULL)
				break;
			a = b;
			cap *= 2;
		}
		memset(&a[count], 0, sizeof(a[count]));
		a[count].index = idx;
		column_text(st, 1, a[count].model, sizeof(a[count].model));
		a[count].clock_min_mhz = column_real(st, 2);
		a[count].clock_max_mhz = column_real(st, 3);
		a[count].power_max_w = column_real(st, 4);
		a[count].tdp_w = column_real(st, 5);
		a[count].temp_crit_c = column_real(st, 6);
		a[count].mem_total_mib = column_real(st, 7);
		a[count].power_w = a[count].energy_j = a[count].temp_c = NAN;
		a[count].clock_mhz = a[count].util_pct = NAN;
		a[count].mem_used_mib = NAN;
		count++;
	}
	sqlite3_reset(st);
	free(n->accels);
	n->accels = a;
	n->naccels = count;
	return 0;
}

int
store_load_fleet(struct store *s, struct fleet *f)
{
	sqlite3_stmt *pod = NULL, *node = NULL, *sel = NULL, *acc = NULL;
	int i, rc = -1;

	pod =
	    prepare(s, "INSERT INTO pods (name, nodes_total, groups_total,"
	               " accels_per_node, power_budget_w, cooling_capacity_w)"
	               " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE"
	               " SET nodes_total = excluded.nodes_total,"
	               " groups_total = excluded.groups_total,"
	               " accels_per_node = excluded.accels_per_node,"
	               " power_budget_w = excluded.power_budget_w,"
	               " cooling_capacity_w = excluded.cooling_capacity_w");
	node = prepare(s, "INSERT INTO nodes (name, pod, grp) VALUES (?, ?, ?)"
	                  " ON CONFLICT(name) DO UPDATE SET pod = excluded.pod,"
	                  " grp = excluded.grp");
	sel = prepare(s, "SELECT id, drained, reason, drained_at_ms,"
	                 " drained_by, last_seen_ms, boot_id, agent_version"
	                 " FROM nodes WHERE name = ?");
	acc = prepare(s, "SELECT idx, model, clock_min_mhz, clock_max_mhz,"
	                 " power_max_w, tdp_w, temp_crit_c, mem_total_mib"
	                 " FROM accelerators WHERE node_id = ? ORDER BY idx");
	if (pod == NULL || node == NULL || sel == NULL || acc == NULL ||
	    exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < f->npods; i++) {
		const struct pod_config *pc = &f->pods[i].conf;

		sqlite3_bind_text(pod, 1, pc->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(pod, 2, pc->nodes);
		sqlite3_bind_int(pod, 3, pc->groups);
		sqlite3_bind_int(pod, 4, pc->accels_per_node);
		sqlite3_bind_double(pod, 5, pc->power_budget_w);
		sqlite3_bind_double(pod, 6, pc->cooling_capacity_w);
		if (step_done(s, pod, "upsert pod") == -1)
			goto rollback;
	}
	for (i = 0; i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];

		sqlite3_bind_text(node, 1, n->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    node, 2, f->pods[n->pod].conf.name, -1, SQLITE_STATIC);
		sqlite3_bind_text(node, 3, n->group, -1, SQLITE_STATIC);
		if (step_done(s, node, "upsert node") == -1)
			goto rollback;
		sqlite3_bind_text(sel, 1, n->name, -1, SQLITE_STATIC);
		if (sqlite3_step(sel) != SQLITE_ROW) {
			log_warnx("store: node %s vanished", n->name);
			sqlite3_reset(sel);
			goto rollback;
		}
		n->id = sqlite3_column_int64(sel, 0);
		n->drained = sqlite3_column_int(sel, 1);
		column_text(sel, 2, n->reason, sizeof(n->reason));
		n->drained_at_ms = sqlite3_column_int64(sel, 3);
		column_text(sel, 4, n->drained_by, sizeof(n->drained_by));
		n->last_seen_ms = sqlite3_column_int64(sel, 5);
		column_text(sel, 6, n->boot_id, sizeof(n->boot_id));
		column_text(sel, 7, n->agent_version, sizeof(n->agent_version));
		sqlite3_reset(sel);
		if (load_accels(s, acc, n) == -1)
			goto rollback;
	}
	if (exec(s, "COMMIT") == -1)
		goto rollback;
	rc = 0;
	goto fail;
rollback:
	(void)exec(s, "ROLLBACK");
fail:
	sqlite3_finalize(pod);
	sqlite3_finalize(node);
	sqlite3_finalize(sel);
	sqlite3_finalize(acc);
	return rc;
}

/* Adds an audit line, inside the caller's transaction. 0 or -1. */
static int
audit(struct store *s, const char *who, const char *action, const char *object,
    const char *detail)
{
	sqlite3_stmt *st =
	    prepare(s, "INSERT INTO audit (t_ms, who, action,"
	               " object, detail) VALUES (?, ?, ?, ?, ?)");
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, time_wall_ms());
	sqlite3_bind_text(st, 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, object, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, detail, -1, SQLITE_STATIC);
	rc = step_done(s, st, "audit");
	sqlite3_finalize(st);
	return rc;
}

json_t *
store_audit(struct store *s, int64_t since_ms, int64_t until_ms,
    const char *actor, const char *action, int limit)
{
	sqlite3_stmt *st;
	json_t *a = json_array(), *o;

	/* the newest `limit` lines that match, turned oldest first below */
	st =
	    prepare(s, "SELECT id, t_ms, who, action, object, detail FROM audit"
	               " WHERE t_ms >= ?1 AND t_ms < ?2 AND (?3 IS NULL OR"
	               " who = ?3) AND (?4 IS NULL OR action = ?4)"
	               " ORDER BY id DESC LIMIT ?5");
	if (st == NULL || a == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, until_ms);
	if (actor != NULL)
		sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
	if (action != NULL)
		sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 5);

		o = json_pack("{s:I,s:o,s:s,s:s,s:s,s:o}", "id",
		    (json_int_t)sqlite3_column_int64(st, 0), "time",
		    jsonx_time(sqlite3_column_int64(st, 1)), "actor",
		    (const char *)sqlite3_column_text(st, 2), "action",
		    (const char *)sqlite3_column_text(st, 3), "object",
		    (const char *)sqlite3_column_text(st, 4), "detail",
		    detail ? json_string(detail) : json_null());
		if (o == NULL || json_array_insert_new(a, 0, o) == -1)
			goto fail;
	}
	sqlite3_finalize(st);
	return a;
fail:
	log_warnx("%s: cannot read the audit log", __func__);
	sqlite3_finalize(st);
	json_decref(a);
	return NULL;
}

int
store_put_drain(
    struct store *s, const struct node *n, const char *who, const char *action)
{
	sqlite3_stmt *up;
	int rc = -1;

	up = prepare(s, "UPDATE nodes SET drained = ?, reason = ?,"
	                " drained_at_ms = ?, drained_by = ? WHERE id = ?");
	if (up == NULL || exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	sqlite3_bind_int(up, 1, n->drained);
	if (n->drained) {
		sqlite3_bind_text(up, 2, n->reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 3, n->drained_at_ms);
		sqlite3_bind_text(up, 4, n->drained_by, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(up, 5, n->id);
	if (step_done(s, up, "update drain") == -1 ||
	    audit(s, who, action, n->name, n->drained ? n->reason : NULL) ==
	        -1 ||
	    exec(s, "COMMIT") == -1) {
		(void)exec(s, "ROLLBACK");
		goto fail;
	}
	rc = 0;
fail:
	sqlite3_finalize(up);
	return rc;
}

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
	if (exec(s, sql) == -1)
		return -1;
	st = prepare(s, "INSERT OR IGNORE INTO sample_partitions (day,"
	                " created_ms) VALUES (?, ?)");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, day);
	sqlite3_bind_int64(st, 2, time_wall_ms());
	if (step_done(s, st, "add partition") == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	sqlite3_finalize(s->ins_node);
	sqlite3_finalize(s->ins_accel);
	s->ins_accel = NULL;
	snprintf(sql, sizeof(sql),
	    "INSERT INTO samples_%08d (node_id, t_ms, power_w, inlet_c,"
	    " outlet_c, flow_lpm, hottest_c) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    day);
	if ((s->ins_node = prepare(s, sql)) == NULL)
		return -1;
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accel_samples_%08d (node_id, idx, t_ms, power_w,"
	    " temp_c, clock_mhz, util_pct, energy_j) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?)",
	    day);
	if ((s->ins_accel = prepare(s, sql)) == NULL) {
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
	bind_real(s->ins_node, 3, q->power_w);
	bind_real(s->ins_node, 4, q->inlet_c);
	bind_real(s->ins_node, 5, q->outlet_c);
	bind_real(s->ins_node, 6, q->flow_lpm);
	bind_real(s->ins_node, 7, q->hottest_c);
	if (step_done(s, s->ins_node, "insert sample") == -1)
		return -1;
	for (i = 0; i < q->naccels; i++) {
		sqlite3_bind_int64(s->ins_accel, 1, q->node_id);
		sqlite3_bind_int(s->ins_accel, 2, i);
		sqlite3_bind_int64(s->ins_accel, 3, q->t_ms);
		for (k = 0; k < ACCEL_COLS; k++)
			bind_real(
			    s->ins_accel, 4 + k, q->accels[i * ACCEL_COLS + k]);
		if (step_done(s, s->ins_accel, "insert accel sample") == -1)
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
	if (step_done(s, del, "delete accelerators") == -1)
		return -1;
	for (i = 0; i < n->naccels; i++) {
		const struct accel *a = &n->accels[i];

		sqlite3_bind_int64(ins, 1, n->id);
		sqlite3_bind_int(ins, 2, i);
		sqlite3_bind_text(ins, 3, a->model, -1, SQLITE_STATIC);
		bind_real(ins, 4, a->clock_min_mhz);
		bind_real(ins, 5, a->clock_max_mhz);
		bind_real(ins, 6, a->power_max_w);
		bind_real(ins, 7, a->tdp_w);
		bind_real(ins, 8, a->temp_crit_c);
		bind_real(ins, 9, a->mem_total_mib);
		if (step_done(s, ins, "insert accelerator") == -1)
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
	seen = prepare(s, "UPDATE nodes SET last_seen_ms = ?, boot_id = ?,"
	                  " agent_version = ?, first_seen_ms ="
	                  " coalesce(first_seen_ms, ?) WHERE id = ?");
	del = prepare(s, "DELETE FROM accelerators WHERE node_id = ?");
	ins = prepare(s, "INSERT INTO accelerators (node_id, idx, model,"
	                 " clock_min_mhz, clock_max_mhz, power_max_w, tdp_w,"
	                 " temp_crit_c, mem_total_mib) VALUES (?, ?, ?, ?, ?,"
	                 " ?, ?, ?, ?)");
	if (seen == NULL || del == NULL || ins == NULL ||
	    exec(s, "BEGIN IMMEDIATE") == -1)
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
		if (step_done(s, seen, "update last seen") == -1)
			goto rollback;
	}
	if (exec(s, "COMMIT") == -1)
		goto rollback;
	for (i = 0; i < f->nnodes; i++)
		f->nodes[i].inventory_dirty = f->nodes[i].seen_dirty = 0;
	for (i = 0; i < s->nq; i++)
		free(s->q[i].accels);
	s->nq = 0;
	rc = 0;
	goto fail;
rollback:
	(void)exec(s, "ROLLBACK");
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

	st = prepare(s, "SELECT day FROM sample_partitions WHERE day < ?"
	                " ORDER BY day LIMIT 64");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, cutoff);
	while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
		list[n++] = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if ((del = prepare(s, "DELETE FROM sample_partitions WHERE day = ?")) ==
	    NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (list[i] == s->day) {
			sqlite3_finalize(s->ins_node);
			sqlite3_finalize(s->ins_accel);
			s->ins_node = s->ins_accel = NULL;
		}
		snprintf(sql, sizeof(sql),
		    "DROP TABLE IF EXISTS samples_%08d;"
		    "DROP TABLE IF EXISTS accel_samples_%08d",
		    list[i], list[i]);
		sqlite3_bind_int(del, 1, list[i]);
		if (exec(s, sql) == -1 ||
		    step_done(s, del, "delete partition") == -1)
			break;
		dropped++;
	}
	sqlite3_finalize(del);
	return dropped;
}

/* ---- jobs ---- */

#define JOB_COLUMNS                                                            \
	"id, name, command, nnodes, accels_per_node, accels_total, exclusive," \
	" within, time_limit_s, priority, policy, requeue, state, reason,"     \
	" attempt, submit_ms, start_ms, end_ms, exit_code, energy_j,"          \
	" submitted_by, cancel_requested, power_per_accel_w, allow_capped"

static void
bind_opt_int64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Binds every column but id, in JOB_COLUMNS order, from parameter 2. */
static void
bind_job(sqlite3_stmt *st, const struct job *j)
{
	sqlite3_bind_text(st, 2, j->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->command, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, j->nnodes);
	sqlite3_bind_int(st, 5, j->accels_per_node);
	sqlite3_bind_int(st, 6, j->accels_total);
	sqlite3_bind_int(st, 7, j->exclusive);
	sqlite3_bind_text(st, 8, job_within_name(j->within), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, j->time_limit_s);
	sqlite3_bind_int64(st, 10, j->priority);
	if (j->policy[0] != '\0')
		sqlite3_bind_text(st, 11, j->policy, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, j->requeue);
	sqlite3_bind_text(st, 13, job_state_name(j->state), -1, SQLITE_STATIC);
	if (j->reason != NULL)
		sqlite3_bind_text(st, 14, j->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 15, j->attempt);
	sqlite3_bind_int64(st, 16, j->submit_ms);
	bind_opt_int64(st, 17, j->start_ms);
	bind_opt_int64(st, 18, j->end_ms);
	if (j->has_exit)
		sqlite3_bind_int(st, 19, j->exit_code);
	bind_real(st, 20, j->energy_j);
	sqlite3_bind_text(st, 21, j->submitted_by, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 22, j->cancel_requested);
	bind_real(st, 23, j->power_per_accel_w);
	sqlite3_bind_int(st, 24, j->allow_capped);
}

int
store_insert_job(struct store *s, struct job *j)
{
	sqlite3_stmt *st;
	int rc = -1;

	st = prepare(s, "INSERT INTO jobs (" JOB_COLUMNS ") VALUES (?, ?, ?,"
	                " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	                " ?, ?, ?)");
	if (st == NULL)
		return -1;
	/* parameter 1, the id, stays NULL: SQLite chooses it */
	bind_job(st, j);
	if (step_done(s, st, "insert job") == 0) {
		j->id = sqlite3_last_insert_rowid(s->db);
		j->dirty = 0;
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
put_rank(struct store *s, sqlite3_stmt *st, const struct job *j,
    const struct job_rank *r, const struct fleet *f)
{
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int(st, 2, r->attempt);
	sqlite3_bind_int(st, 3, r->rank);
	sqlite3_bind_int64(st, 4, f->nodes[r->node].id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)r->mask);
	sqlite3_bind_text(st, 6,
	    r->state == RANK_ENDED     ? "ended"
	    : r->state == RANK_RUNNING ? "running"
	                               : "starting",
	    -1, SQLITE_STATIC);
	if (r->cause != CAUSE_NONE)
		sqlite3_bind_text(
		    st, 7, job_cause_name(r->cause), -1, SQLITE_STATIC);
	if (r->has_exit)
		sqlite3_bind_int(st, 8, r->exit_code);
	if (r->signal != 0)
		sqlite3_bind_int(st, 9, r->signal);
	bind_opt_int64(st, 10, r->started_ms);
	bind_opt_int64(st, 11, r->ended_ms);
	if (r->log[0] != '\0')
		sqlite3_bind_text(st, 12, r->log, -1, SQLITE_STATIC);
	return step_done(s, st, "put rank");
}

int
store_put_jobs(struct store *s, struct job **v, int n, const struct fleet *f)
{
	sqlite3_stmt *job = NULL, *rank = NULL;
	int i, k, rc = -1;

	job =
	    prepare(s, "REPLACE INTO jobs (" JOB_COLUMNS ") VALUES (?, ?,"
	               " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	               " ?, ?, ?, ?)");
	rank =
	    prepare(s, "REPLACE INTO job_ranks (job_id, attempt, rank,"
	               " node_id, accel_mask, state, cause, exit_code, signal,"
	               " started_ms, ended_ms, log) VALUES (?, ?, ?, ?, ?, ?,"
	               " ?, ?, ?, ?, ?, ?)");
	if (job == NULL || rank == NULL || exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		struct job *j = v[i];

		if (j->dirty) {
			sqlite3_bind_int64(job, 1, j->id);
			bind_job(job, j);
			if (step_done(s, job, "put job") == -1)
				goto rollback;
		}
		for (k = 0; k < j->nranks; k++)
			if (j->ranks[k].dirty &&
			    put_rank(s, rank, j, &j->ranks[k], f) == -1)
				goto rollback;
	}
	if (exec(s, "COMMIT") == -1)
		goto rollback;
	for (i = 0; i < n; i++) {
		v[i]->dirty = 0;
		for (k = 0; k < v[i]->nranks; k++)
			v[i]->ranks[k].dirty = 0;
	}
	rc = 0;
	goto fail;
rollback:
	(void)exec(s, "ROLLBACK");
fail:
	sqlite3_finalize(job);
	sqlite3_finalize(rank);
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
read_job(sqlite3_stmt *st)
{
	struct job *j = job_new();
	const unsigned char *t;
	int w, state;

	if (j == NULL)
		return NULL;
	j->id = sqlite3_column_int64(st, 0);
	column_text(st, 1, j->name, sizeof(j->name));
	t = sqlite3_column_text(st, 2);
	j->command = strdup(t ? (const char *)t : "[]");
	j->nnodes = sqlite3_column_int(st, 3);
	j->accels_per_node = sqlite3_column_int(st, 4);
	j->accels_total = sqlite3_column_int(st, 5);
	j->exclusive = sqlite3_column_int(st, 6);
	t = sqlite3_column_text(st, 7);
	w = job_within_parse(t ? (const char *)t : "");
	j->within = w < 0 ? SCHED_WITHIN_POD : w;
	j->time_limit_s = sqlite3_column_int64(st, 8);
	j->priority = sqlite3_column_int64(st, 9);
	column_text(st, 10, j->policy, sizeof(j->policy));
	j->requeue = sqlite3_column_int(st, 11);
	t = sqlite3_column_text(st, 12);
	state = job_state_parse(t ? (const char *)t : "");
	j->state = state < 0 ? JOB_FAILED : state;
	j->attempt = sqlite3_column_int(st, 14);
	j->submit_ms = sqlite3_column_int64(st, 15);
	j->start_ms = sqlite3_column_int64(st, 16);
	j->end_ms = sqlite3_column_int64(st, 17);
	if (sqlite3_column_type(st, 18) != SQLITE_NULL) {
		j->has_exit = 1;
		j->exit_code = sqlite3_column_int(st, 18);
	}
	j->energy_j = column_real(st, 19);
	column_text(st, 20, j->submitted_by, sizeof(j->submitted_by));
	j->cancel_requested = sqlite3_column_int(st, 21);
	j->power_per_accel_w = column_real(st, 22);
	j->allow_capped = sqlite3_column_int(st, 23);
	if (j->command == NULL) {
		job_free(j);
		return NULL;
	}
	return j;
}

/* Loads j's ranks: those of its current attempt and any not ended. */
static int
read_ranks(struct store *s, sqlite3_stmt *st, struct job *j, const int *map,
    int64_t max_id)
{
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int(st, 2, j->attempt);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct job_rank *r, *v;
		int64_t node_id = sqlite3_column_int64(st, 2);
		const unsigned char *t;

		if (node_id < 0 || node_id > max_id || map[node_id] < 0)
			continue; /* a node no longer configured */
		v = realloc(j->ranks, (j->nranks + 1) * sizeof(*v));
		if (v == NULL) {
			sqlite3_reset(st);
			return -1;
		}
		j->ranks = v;
		r = &j->ranks[j->nranks++];
		memset(r, 0, sizeof(*r));
		r->attempt = sqlite3_column_int(st, 0);
		r->rank = sqlite3_column_int(st, 1);
		r->node = map[node_id];
		r->mask = (uint64_t)sqlite3_column_int64(st, 3);
		t = sqlite3_column_text(st, 4);
		r->state =
		    t == NULL                                  ? RANK_ENDED
		    : strcmp((const char *)t, "running") == 0  ? RANK_RUNNING
		    : strcmp((const char *)t, "starting") == 0 ? RANK_STARTING
		                                               : RANK_ENDED;
		t = sqlite3_column_text(st, 5);
		r->cause = job_cause_parse(t ? (const char *)t : "");
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			r->has_exit = 1;
			r->exit_code = sqlite3_column_int(st, 6);
		}
		r->signal = sqlite3_column_int(st, 7);
		r->started_ms = sqlite3_column_int64(st, 8);
		r->ended_ms = sqlite3_column_int64(st, 9);
		column_text(st, 10, r->log, sizeof(r->log));
	}
	sqlite3_reset(st);
	return 0;
}

int
store_load_jobs(
    struct store *s, struct jobs *t, const struct fleet *f, int recent)
{
	sqlite3_stmt *st = NULL, *ranks = NULL;
	int64_t max_id = 0;
	int *map = node_map(f, &max_id), rc = -1;

	if (map == NULL)
		return -1;
	/* the job's own ranks are bound (job id, attempt) */
	ranks = prepare(s, "SELECT attempt, rank, node_id, accel_mask, state,"
	                   " cause, exit_code, signal, started_ms,"
	                   " ended_ms, log FROM job_ranks WHERE job_id = ?1 AND"
	                   " (attempt = ?2 OR state != 'ended') ORDER BY"
	                   " attempt, rank");
	st = prepare(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE state IN"
	                " ('pending', 'running') OR id IN (SELECT id FROM jobs"
	                " WHERE state NOT IN ('pending', 'running') ORDER BY"
	                " id DESC LIMIT ?) ORDER BY id");
	if (st == NULL || ranks == NULL)
		goto fail;
	sqlite3_bind_int(st, 1, recent);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct job *j = read_job(st);

		if (j == NULL || read_ranks(s, ranks, j, map, max_id) == -1 ||
		    jobs_add(t, j) == -1) {
			job_free(j);
			log_warnx("%s: out of memory", __func__);
			goto fail;
		}
	}
	rc = 0;
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(ranks);
	free(map);
	return rc;
}

struct job *
store_get_job(struct store *s, int64_t id, const struct fleet *f)
{
	sqlite3_stmt *st = NULL, *ranks = NULL;
	struct job *j = NULL;
	int64_t max_id = 0;
	int *map = node_map(f, &max_id);

	if (map == NULL)
		return NULL;
	ranks = prepare(s, "SELECT attempt, rank, node_id, accel_mask, state,"
	                   " cause, exit_code, signal, started_ms,"
	                   " ended_ms, log FROM job_ranks WHERE job_id = ?1 AND"
	                   " attempt = ?2 ORDER BY rank");
	st = prepare(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?");
	if (st == NULL || ranks == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && (j = read_job(st)) != NULL &&
	    read_ranks(s, ranks, j, map, max_id) == -1) {
		job_free(j);
		j = NULL;
	}
fail:
	sqlite3_finalize(st);
	sqlite3_finalize(ranks);
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
sum_add(struct attempt_sum *a, sqlite3_stmt *st)
{
	const unsigned char *state = sqlite3_column_text(st, 2);
	const unsigned char *cause = sqlite3_column_text(st, 3);
	int64_t started = sqlite3_column_int64(st, 6);
	enum rank_cause *v, f = CAUSE_NONE;
	struct job_rank r;

	if ((v = realloc(a->fails, (a->nranks + 1) * sizeof(*v))) == NULL)
		return -1;
	a->fails = v;
	json_array_append_new(
	    a->nodes, json_string((const char *)sqlite3_column_text(st, 1)));
	if (started > 0 && (a->start_ms == 0 || started < a->start_ms))
		a->start_ms = started;
	if (state == NULL || strcmp((const char *)state, "ended") != 0) {
		a->live++;
	} else {
		if (sqlite3_column_int64(st, 7) > a->end_ms)
			a->end_ms = sqlite3_column_int64(st, 7);
		memset(&r, 0, sizeof(r));
		r.cause = job_cause_parse(cause ? (const char *)cause : "");
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			r.has_exit = 1;
			r.exit_code = sqlite3_column_int(st, 4);
		}
		r.signal = sqlite3_column_int(st, 5);
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
	sqlite3_stmt *st;
	struct attempt_sum a;
	json_t *out = json_array(), *o;
	int rc, have = 0;

	st = prepare(s, "SELECT " RANK_ROW_COLUMNS " FROM job_ranks r LEFT"
	                " JOIN nodes n ON n.id = r.node_id WHERE"
	                " r.job_id = ? ORDER BY r.attempt, r.rank");
	if (st == NULL || out == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, job_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int attempt = sqlite3_column_int(st, 0);

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
	if (rc != SQLITE_DONE ||
	    (have && ((o = sum_json(&a, 1)) == NULL ||
	                 json_array_append_new(out, o) == -1)))
		goto fail;
	if (have)
		sum_free(&a);
	sqlite3_finalize(st);
	return out;
fail:
	log_warnx("%s: job %lld: %s", __func__, (long long)job_id,
	    sqlite3_errmsg(s->db));
	if (have)
		sum_free(&a);
	sqlite3_finalize(st);
	json_decref(out);
	return NULL;
}

json_t *
store_node_attempts(struct store *s, int64_t node_id, int max)
{
	sqlite3_stmt *list, *ranks;
	struct attempt_sum a;
	json_t *out = json_array(), *o;
	int rc, have = 0;

	/* Newest first by this node's rank: its start, or its end if it never
	 * started; one just placed (neither yet) comes first. */
	list = prepare(s, "SELECT r.job_id, j.name, r.attempt FROM job_ranks r"
	                  " JOIN jobs j ON j.id = r.job_id WHERE r.node_id = ?"
	                  " GROUP BY r.job_id, r.attempt ORDER BY"
	                  " MAX(COALESCE(r.started_ms, r.ended_ms)) DESC NULLS"
	                  " FIRST, r.job_id DESC, r.attempt DESC LIMIT ?");
	ranks = prepare(s, "SELECT " RANK_ROW_COLUMNS " FROM job_ranks r LEFT"
	                   " JOIN nodes n ON n.id = r.node_id WHERE"
	                   " r.job_id = ? AND r.attempt = ? ORDER BY r.rank");
	if (list == NULL || ranks == NULL || out == NULL)
		goto fail;
	sqlite3_bind_int64(list, 1, node_id);
	sqlite3_bind_int(list, 2, max);
	while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
		int64_t job_id = sqlite3_column_int64(list, 0);

		if (sum_start(&a, sqlite3_column_int(list, 2)) == -1)
			goto fail;
		have = 1;
		sqlite3_bind_int64(ranks, 1, job_id);
		sqlite3_bind_int(ranks, 2, a.attempt);
		while ((rc = sqlite3_step(ranks)) == SQLITE_ROW)
			if (sum_add(&a, ranks) == -1)
				goto fail;
		sqlite3_reset(ranks);
		if (rc != SQLITE_DONE || (o = sum_json(&a, 0)) == NULL)
			goto fail;
		json_object_set_new(o, "job_id", json_integer(job_id));
		json_object_set_new(o, "job_name",
		    json_string((const char *)sqlite3_column_text(list, 1)));
		if (json_array_append_new(out, o) == -1)
			goto fail;
		sum_free(&a);
		have = 0;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(list);
	sqlite3_finalize(ranks);
	return out;
fail:
	log_warnx("%s: node %lld: %s", __func__, (long long)node_id,
	    sqlite3_errmsg(s->db));
	if (have)
		sum_free(&a);
	sqlite3_finalize(list);
	sqlite3_finalize(ranks);
	json_decref(out);
	return NULL;
}

/* ---- the power envelope: policies, settings, alarms, energy ---- */

/* 1 when the policy stored for (scope, target) is already `name` with
 * `params_json` (name NULL: when none is stored), else 0. */
static int
same_policy(struct store *s, const char *scope, const char *target,
    const char *name, const char *params_json)
{
	sqlite3_stmt *st = prepare(s, "SELECT name, params FROM policies"
	                              " WHERE scope = ? AND target = ?");
	int same;

	if (st == NULL)
		return 0;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		same = name == NULL;
	else
		same = name != NULL &&
		       strcmp((const char *)sqlite3_column_text(st, 0), name) ==
		           0 &&
		       strcmp((const char *)sqlite3_column_text(st, 1),
		           params_json ? params_json : "") == 0;
	sqlite3_finalize(st);
	return same;
}

int
store_put_policy(struct store *s, const char *scope, const char *target,
    const char *name, const char *params_json, const char *who)
{
	sqlite3_stmt *st;
	char object[128], detail[512];
	int rc = -1;

	if (same_policy(s, scope, target, name, params_json))
		return 0; /* nothing changes: nothing to store or audit */
	st = name != NULL
	         ? prepare(s,
	               "REPLACE INTO policies (scope, target, name, params,"
	               " set_by, set_ms) VALUES (?, ?, ?, ?, ?, ?)")
	         : prepare(s,
	               "DELETE FROM policies WHERE scope = ? AND target = ?");
	if (st == NULL || exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, target, -1, SQLITE_STATIC);
	if (name != NULL) {
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, params_json, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, who, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, time_wall_ms());
	}
	snprintf(object, sizeof(object), "%s %s", scope, target);
	snprintf(detail, sizeof(detail), "%s %s", name ? name : "inherit",
	    params_json ? params_json : "");
	if (step_done(s, st, "put policy") == -1 ||
	    audit(s, who, "policy", object, detail) == -1 ||
	    exec(s, "COMMIT") == -1) {
		(void)exec(s, "ROLLBACK");
		goto fail;
	}
	rc = 0;
fail:
	sqlite3_finalize(st);
	return rc;
}

int
store_load_policies(struct store *s,
    void (*cb)(const char *, const char *, const char *, const char *, void *),
    void *arg)
{
	sqlite3_stmt *st = prepare(s, "SELECT scope, target, name, params FROM"
	                              " policies ORDER BY scope, target");

	if (st == NULL)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW)
		cb((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3), arg);
	sqlite3_finalize(st);
	return 0;
}

int
store_get_setting(struct store *s, const char *key, double *value)
{
	sqlite3_stmt *st = prepare(s, "SELECT value FROM settings WHERE"
	                              " key = ?");
	int rc = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*value = sqlite3_column_double(st, 0);
		rc = 1;
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_put_setting(
    struct store *s, const char *key, double value, const char *who)
{
	sqlite3_stmt *st;
	char detail[128];
	double old = 0;
	int had, rc = -1;

	had = store_get_setting(s, key, &old);
	if (had == 1 && old == value)
		return 0; /* nothing changes: nothing to store or audit */
	st = prepare(s, "REPLACE INTO settings (key, value, set_by, set_ms)"
	                " VALUES (?, ?, ?, ?)");
	if (st == NULL || exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, value);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, time_wall_ms());
	if (had == 1)
		snprintf(detail, sizeof(detail), "%g -> %g", old, value);
	else
		snprintf(detail, sizeof(detail), "unset -> %g", value);
	if (step_done(s, st, "put setting") == -1 ||
	    audit(s, who, "set", key, detail) == -1 ||
	    exec(s, "COMMIT") == -1) {
		(void)exec(s, "ROLLBACK");
		goto fail;
	}
	rc = 0;
fail:
	sqlite3_finalize(st);
	return rc;
}

int
store_put_alarms(struct store *s, struct alarms *a)
{
	sqlite3_stmt *st;
	int i, rc = -1, any = 0;

	for (i = 0; i < a->n; i++)
		any |= a->v[i]->dirty;
	if (!any)
		return 0;
	st = prepare(s, "REPLACE INTO alarms (id, kind, object, message, state,"
	                " first_ms, last_ms, cleared_ms, acked_ms, acked_by,"
	                " count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (st == NULL || exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < a->n; i++) {
		struct alarm *al = a->v[i];

		if (!al->dirty)
			continue;
		if (al->id > 0)
			sqlite3_bind_int64(st, 1, al->id);
		sqlite3_bind_text(
		    st, 2, alarm_kind_name(al->kind), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, al->object, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, al->message, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    st, 5, alarm_state_name(al->state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, al->first_ms);
		sqlite3_bind_int64(st, 7, al->last_ms);
		bind_opt_int64(st, 8, al->cleared_ms);
		bind_opt_int64(st, 9, al->acked_ms);
		if (al->acked_by[0] != '\0')
			sqlite3_bind_text(
			    st, 10, al->acked_by, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 11, al->count);
		if (step_done(s, st, "put alarm") == -1) {
			(void)exec(s, "ROLLBACK");
			goto fail;
		}
		if (al->id == 0)
			al->id = sqlite3_last_insert_rowid(s->db);
	}
	if (exec(s, "COMMIT") == -1) {
		(void)exec(s, "ROLLBACK");
		goto fail;
	}
	for (i = 0; i < a->n; i++)
		a->v[i]->dirty = 0;
	rc = 0;
fail:
	sqlite3_finalize(st);
	return rc;
}

int
store_load_alarms(struct store *s, struct alarms *a, int recent)
{
	sqlite3_stmt *st;

	st = prepare(s, "SELECT id, kind, object, message, state, first_ms,"
	                " last_ms, cleared_ms, acked_ms, acked_by, count FROM"
	                " alarms WHERE state != 'cleared' OR id IN (SELECT id"
	                " FROM alarms WHERE state = 'cleared' ORDER BY id DESC"
	                " LIMIT ?) ORDER BY id");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, recent);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct alarm *al = calloc(1, sizeof(*al));
		const unsigned char *t;
		int k;

		if (al == NULL)
			break;
		al->id = sqlite3_column_int64(st, 0);
		t = sqlite3_column_text(st, 1);
		k = alarm_kind_parse(t ? (const char *)t : "");
		column_text(st, 2, al->object, sizeof(al->object));
		column_text(st, 3, al->message, sizeof(al->message));
		t = sqlite3_column_text(st, 4);
		al->state = alarm_state_parse(t ? (const char *)t : "cleared");
		al->first_ms = sqlite3_column_int64(st, 5);
		al->last_ms = sqlite3_column_int64(st, 6);
		al->cleared_ms = sqlite3_column_int64(st, 7);
		al->acked_ms = sqlite3_column_int64(st, 8);
		column_text(st, 9, al->acked_by, sizeof(al->acked_by));
		al->count = sqlite3_column_int(st, 10);
		if (k < 0 || (int)al->state < 0 || alarms_add(a, al) == -1) {
			free(al);
			continue;
		}
		al->kind = k;
	}
	sqlite3_finalize(st);
	return 0;
}

int
store_put_pod_energy(
    struct store *s, const struct fleet *f, const double *energy_j)
{
	sqlite3_stmt *st = prepare(s, "UPDATE pods SET energy_j = ? WHERE"
	                              " name = ?");
	int p, rc = 0;

	if (st == NULL)
		return -1;
	for (p = 0; p < f->npods && rc == 0; p++) {
		sqlite3_bind_double(st, 1, energy_j[p]);
		sqlite3_bind_text(
		    st, 2, f->pods[p].conf.name, -1, SQLITE_STATIC);
		rc = step_done(s, st, "put pod energy");
	}
	sqlite3_finalize(st);
	return rc;
}

int
store_load_pod_energy(struct store *s, const struct fleet *f, double *energy_j)
{
	sqlite3_stmt *st = prepare(s, "SELECT energy_j FROM pods WHERE"
	                              " name = ?");
	int p;

	if (st == NULL)
		return -1;
	for (p = 0; p < f->npods; p++) {
		sqlite3_bind_text(
		    st, 1, f->pods[p].conf.name, -1, SQLITE_STATIC);
		energy_j[p] = sqlite3_step(st) == SQLITE_ROW
		                  ? sqlite3_column_double(st, 0)
		                  : 0;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

/* ---- telemetry history ---- */

static void
set_avg(json_t *o, const char *key, sqlite3_stmt *st, int col, int decimals)
{
	double v = column_real(st, col), scale = pow(10, decimals);

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

	days = prepare(s, "SELECT day FROM sample_partitions WHERE day BETWEEN"
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
		if ((st = prepare(s, sql)) == NULL)
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

int
store_count_jobs(struct store *s, int64_t *count, int n)
{
	sqlite3_stmt *st;
	char name[32];
	int k, rc;

	for (k = 0; k < n; k++)
		count[k] = 0;
	/* the jobs_state index answers this without reading the rows */
	st = prepare(s, "SELECT state, count(*) FROM jobs GROUP BY state");
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		column_text(st, 0, name, sizeof(name));
		if ((k = job_state_parse(name)) >= 0 && k < n)
			count[k] = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE) {
		log_warnx("store: count jobs: %s", sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}
