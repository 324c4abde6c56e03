/*
 * The SQLite store (see store.h): opening and migrating the database, the
 * helpers its files share (store_int.h), the inventory, drains and the
 * audit log. Samples, jobs and the power envelope's tables have files of
 * their own.
 *
 * WAL mode with synchronous=NORMAL: a committed transaction survives a crash
 * of the controller; after a power loss the last second of samples may be
 * lost but the file stays consistent. Decisions commit before the reply.
 *
 * The event loop's connection waits at most STORE_LOOP_BUSY_MS for a lock
 * another holds (another process, or the sample writer between its short
 * transactions): past that a write fails, the caller replies 503 and
 * nothing is acknowledged, and the loop goes on serving from memory. The
 * bulk of the writes, samples, go through a thread with its own connection
 * (store_samples.c), which may wait as long as it takes, and which lets
 * the loop's connection in first when it is waiting (store_writer_begin).
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fleet.h"
#include "jsonx.h"
#include "log.h"
#include "schema.h"
#include "store.h"
#include "store_int.h"
#include "timeutil.h"

#define STORE_LOOP_BUSY_MS   100  /* the loop waits this long for a lock */
#define STORE_WRITER_BUSY_MS 5000 /* the sample writer, between retries */
#define STORE_YIELD_MS       5    /* the writer's pause for a waiting loop */

/* The loop connection's busy handler: waits up to STORE_LOOP_BUSY_MS for
 * the lock in steps of 1 ms, flagging the wait for the writer thread,
 * which pauses before its next transaction while the flag is up. */
static int
loop_busy(void *arg, int tries)
{
	struct store *s = arg;

	if (tries >= STORE_LOOP_BUSY_MS) {
		atomic_store(&s->waiting, 0);
		return 0;
	}
	atomic_store(&s->waiting, 1);
	sqlite3_sleep(1);
	return 1;
}

int
store_writer_begin(struct store *ws)
{
	if (ws->loop_waiting != NULL && atomic_exchange(ws->loop_waiting, 0))
		sqlite3_sleep(STORE_YIELD_MS);
	return store_exec(ws, "BEGIN IMMEDIATE");
}

int
store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	int rc;

	if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		s->err = rc;
		log_warnx("store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	s->err = 0;
	return 0;
}

sqlite3_stmt *
store_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int rc;

	if ((rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL)) != SQLITE_OK) {
		s->err = rc;
		log_warnx("store: prepare %s: %s", sql, sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

void
store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		(void)store_exec(s, "ROLLBACK");
}

const char *
store_unavailable(const struct store *s)
{
	switch (s->err & 0xff) { /* the primary code of an extended one */
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return "the database is locked by another process";
	case SQLITE_FULL:
		return "the database's disk is full";
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
		return "the database cannot be written";
	default:
		return NULL;
	}
}

int
store_step_done(struct store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		s->err = rc;
		log_warnx("store: %s: %s", what, sqlite3_errmsg(s->db));
		return -1;
	}
	s->err = 0;
	return 0;
}

void
store_bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

void
store_bind_opt_int64(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

double
store_column_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
	           ? NAN
	           : sqlite3_column_double(st, i);
}

void
store_column_text(sqlite3_stmt *st, int i, char *out, size_t size)
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
	sqlite3_stmt *st = store_prepare(s, "PRAGMA user_version");
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
		if (store_exec(s, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (store_exec(s, m->sql) == -1 || store_exec(s, sql) == -1) {
			log_warnx("store: migration %s failed", m->file);
			store_rollback(s);
			return -1;
		}
		if (store_exec(s, "COMMIT") == -1)
			return -1;
		log_info("store: applied schema %s", m->file);
	}
	return 0;
}

sqlite3 *
store_connect(const char *path, int busy_ms)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, busy_ms);
	sqlite3_extended_result_codes(db, 1);
	return db;
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
	/* the migration may wait as long as the writer would */
	if ((s->db = store_connect(path, STORE_WRITER_BUSY_MS)) == NULL)
		goto fail;
	/* Checkpoints write the WAL back and fsync, hundreds of ms on a busy
	 * disk: the writer thread makes them (store_samples.c), never the
	 * event loop's commits. */
	if (store_exec(s, "PRAGMA journal_mode = WAL") == -1 ||
	    store_exec(s, "PRAGMA synchronous = NORMAL") == -1 ||
	    store_exec(s, "PRAGMA foreign_keys = ON") == -1 ||
	    store_exec(s, "PRAGMA wal_autocheckpoint = 0") == -1 ||
	    migrate(s) == -1) {
		log_warnx("%s: %s: cannot use this database", __func__, path);
		goto fail;
	}
	sqlite3_busy_handler(s->db, loop_busy, s);
	if (store_writer_start(s, path) == -1)
		goto fail;
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
	store_writer_stop(s);
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
		store_column_text(
		    st, 1, a[count].model, sizeof(a[count].model));
		a[count].clock_min_mhz = store_column_real(st, 2);
		a[count].clock_max_mhz = store_column_real(st, 3);
		a[count].power_max_w = store_column_real(st, 4);
		a[count].tdp_w = store_column_real(st, 5);
		a[count].temp_crit_c = store_column_real(st, 6);
		a[count].mem_total_mib = store_column_real(st, 7);
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

	pod = store_prepare(s,
	    "INSERT INTO pods (name, nodes_total, groups_total,"
	    " accels_per_node, power_budget_w, cooling_capacity_w)"
	    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE"
	    " SET nodes_total = excluded.nodes_total,"
	    " groups_total = excluded.groups_total,"
	    " accels_per_node = excluded.accels_per_node,"
	    " power_budget_w = excluded.power_budget_w,"
	    " cooling_capacity_w = excluded.cooling_capacity_w");
	node = store_prepare(s,
	    "INSERT INTO nodes (name, pod, grp) VALUES (?, ?, ?)"
	    " ON CONFLICT(name) DO UPDATE SET pod = excluded.pod,"
	    " grp = excluded.grp");
	sel =
	    store_prepare(s, "SELECT id, drained, reason, drained_at_ms,"
	                     " drained_by, last_seen_ms, boot_id, agent_version"
	                     " FROM nodes WHERE name = ?");
	acc = store_prepare(s,
	    "SELECT idx, model, clock_min_mhz, clock_max_mhz,"
	    " power_max_w, tdp_w, temp_crit_c, mem_total_mib"
	    " FROM accelerators WHERE node_id = ? ORDER BY idx");
	if (pod == NULL || node == NULL || sel == NULL || acc == NULL ||
	    store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	for (i = 0; i < f->npods; i++) {
		const struct pod_config *pc = &f->pods[i].conf;

		sqlite3_bind_text(pod, 1, pc->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(pod, 2, pc->nodes);
		sqlite3_bind_int(pod, 3, pc->groups);
		sqlite3_bind_int(pod, 4, pc->accels_per_node);
		sqlite3_bind_double(pod, 5, pc->power_budget_w);
		sqlite3_bind_double(pod, 6, pc->cooling_capacity_w);
		if (store_step_done(s, pod, "upsert pod") == -1)
			goto rollback;
	}
	for (i = 0; i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];

		sqlite3_bind_text(node, 1, n->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(
		    node, 2, f->pods[n->pod].conf.name, -1, SQLITE_STATIC);
		sqlite3_bind_text(node, 3, n->group, -1, SQLITE_STATIC);
		if (store_step_done(s, node, "upsert node") == -1)
			goto rollback;
		sqlite3_bind_text(sel, 1, n->name, -1, SQLITE_STATIC);
		if (sqlite3_step(sel) != SQLITE_ROW) {
			log_warnx("store: node %s vanished", n->name);
			sqlite3_reset(sel);
			goto rollback;
		}
		n->id = sqlite3_column_int64(sel, 0);
		n->drained = sqlite3_column_int(sel, 1);
		store_column_text(sel, 2, n->reason, sizeof(n->reason));
		n->drained_at_ms = sqlite3_column_int64(sel, 3);
		store_column_text(sel, 4, n->drained_by, sizeof(n->drained_by));
		n->last_seen_ms = sqlite3_column_int64(sel, 5);
		store_column_text(sel, 6, n->boot_id, sizeof(n->boot_id));
		store_column_text(
		    sel, 7, n->agent_version, sizeof(n->agent_version));
		sqlite3_reset(sel);
		if (load_accels(s, acc, n) == -1)
			goto rollback;
	}
	if (store_exec(s, "COMMIT") == -1)
		goto rollback;
	rc = 0;
	goto fail;
rollback:
	store_rollback(s);
fail:
	sqlite3_finalize(pod);
	sqlite3_finalize(node);
	sqlite3_finalize(sel);
	sqlite3_finalize(acc);
	return rc;
}

int
store_commit_audited(struct store *s, sqlite3_stmt *st, const char *what,
    const char *who, const char *action, const char *object, const char *detail)
{
	if (store_step_done(s, st, what) == -1) {
		store_rollback(s);
		return -1;
	}
	return store_commit_audit(s, who, action, object, detail);
}

int
store_commit_audit(struct store *s, const char *who, const char *action,
    const char *object, const char *detail)
{
	sqlite3_stmt *au =
	    store_prepare(s, "INSERT INTO audit (t_ms, who, action,"
	                     " object, detail) VALUES (?, ?, ?, ?, ?)");
	int rc = -1;

	if (au != NULL) {
		sqlite3_bind_int64(au, 1, time_wall_ms());
		sqlite3_bind_text(au, 2, who, -1, SQLITE_STATIC);
		sqlite3_bind_text(au, 3, action, -1, SQLITE_STATIC);
		sqlite3_bind_text(au, 4, object, -1, SQLITE_STATIC);
		sqlite3_bind_text(au, 5, detail, -1, SQLITE_STATIC);
		if (store_step_done(s, au, "audit") == 0 &&
		    store_exec(s, "COMMIT") == 0)
			rc = 0;
	}
	if (rc == -1)
		store_rollback(s);
	sqlite3_finalize(au);
	return rc;
}

json_t *
store_audit(struct store *s, int64_t since_ms, int64_t until_ms,
    const char *actor, const char *action, int limit)
{
	sqlite3_stmt *st;
	json_t *a = json_array(), *o;

	/* the newest `limit` lines that match, turned oldest first below */
	st = store_prepare(s,
	    "SELECT id, t_ms, who, action, object, detail FROM audit"
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
	return store_put_drain_detail(
	    s, n, who, action, n->drained ? n->reason : NULL);
}

int
store_put_drain_detail(struct store *s, const struct node *n, const char *who,
    const char *action, const char *detail)
{
	sqlite3_stmt *up;
	int rc = -1;

	up =
	    store_prepare(s, "UPDATE nodes SET drained = ?, reason = ?,"
	                     " drained_at_ms = ?, drained_by = ? WHERE id = ?");
	if (up == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	sqlite3_bind_int(up, 1, n->drained);
	if (n->drained) {
		sqlite3_bind_text(up, 2, n->reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(up, 3, n->drained_at_ms);
		sqlite3_bind_text(up, 4, n->drained_by, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(up, 5, n->id);
	if (store_commit_audited(
	        s, up, "update drain", who, action, n->name, detail) == -1)
		goto fail;
	rc = 0;
fail:
	sqlite3_finalize(up);
	return rc;
}
