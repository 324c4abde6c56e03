/*
 * The store (see store.h): opening and migrating the database, the
 * helpers its files share (store_int.h), the inventory, drains, the audit
 * log and the lead among controllers sharing a database. Samples, jobs
 * and the power envelope's tables have files of their own. Every engine
 * call goes through db.h, the same for SQLite and PostgreSQL; what
 * follows about WAL and locks is SQLite's (PostgreSQL waits for a lock at
 * most lock_timeout, the same STORE_LOOP_BUSY_MS on the loop's session).
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db.h"
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
#define MIGRATE_KEY          "5066624599404" /* the migrations' lock: not LEAD_KEY */

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
	db_sleep_ms(1);
	return 1;
}

int
store_writer_begin(struct store *ws)
{
	if (ws->loop_waiting != NULL && atomic_exchange(ws->loop_waiting, 0))
		db_sleep_ms(STORE_YIELD_MS);
	return store_exec(ws, "BEGIN IMMEDIATE");
}

int
store_exec(struct store *s, const char *sql)
{
	return db_exec(s->db, sql);
}

struct db_stmt *
store_prepare(struct store *s, const char *sql)
{
	return db_prepare(s->db, sql);
}

void
store_rollback(struct store *s)
{
	if (db_in_transaction(s->db))
		(void)store_exec(s, "ROLLBACK");
}

const char *
store_where(const struct store *s)
{
	return db_where(s->db);
}

int
store_shared(const struct store *s)
{
	return db_engine(s->db) == DB_POSTGRESQL;
}

/* The advisory lock's key: "PODCTL" in ASCII, one per database. */
#define LEAD_KEY 0x504f4443544cLL

/* Logs a failure of the lead's statements, but not each second of a
 * database that is away (db_pg.c says that once). */
static void
lead_warn(struct store *s, const char *what)
{
	if (db_fault(s->db) != DB_UNREACHABLE)
		log_warnx("store: %s: %s", what, db_errmsg(s->db));
}

int
store_lead_lock(struct store *s)
{
	struct db_stmt *st;
	int rc = -1;

	if (!store_shared(s))
		return 1;
	if ((st = store_prepare(s, "SELECT pg_try_advisory_lock(?)")) == NULL)
		return -1;
	db_bind_int64(st, 1, LEAD_KEY);
	if (db_step(st) == DB_ROW)
		rc = db_column_int(st, 0) ? 1 : 0;
	else
		lead_warn(s, "take the lead");
	db_finalize(st);
	return rc;
}

int
store_lead_held(struct store *s)
{
	struct db_stmt *st;
	int rc = -1;

	if (!store_shared(s))
		return 1;
	/* a bigint key shows as classid (high half) and objid (low half) */
	st = store_prepare(s, "SELECT count(*) FROM pg_locks WHERE"
	                      " locktype = 'advisory' AND granted AND"
	                      " pid = pg_backend_pid() AND objsubid = 1 AND"
	                      " classid::bigint * 4294967296 + objid::bigint"
	                      " = ?");
	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, LEAD_KEY);
	if (db_step(st) == DB_ROW)
		rc = db_column_int(st, 0) > 0;
	else
		lead_warn(s, "check the lead");
	db_finalize(st);
	return rc;
}

int
store_lead_claim(struct store *s, const char *url, int64_t *epoch)
{
	struct db_stmt *st;

	st = store_prepare(s,
	    "INSERT INTO leader (id, epoch, url, since_ms)"
	    " VALUES (1, 1, ?, ?) ON CONFLICT (id) DO UPDATE"
	    " SET epoch = leader.epoch + 1, url = excluded.url,"
	    " since_ms = excluded.since_ms RETURNING epoch");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, url);
	db_bind_int64(st, 2, time_wall_ms());
	*epoch = store_insert_id(s, st, "claim the lead");
	db_finalize(st);
	return *epoch > 0 ? 0 : -1;
}

int
store_lead_read(struct store *s, int64_t *epoch, char *url, size_t url_size)
{
	struct db_stmt *st;
	int rc;

	*epoch = 0;
	url[0] = '\0';
	if ((st = store_prepare(s, "SELECT epoch, url FROM leader")) == NULL)
		return -1;
	if ((rc = db_step(st)) == DB_ROW) {
		*epoch = db_column_int64(st, 0);
		store_column_text(st, 1, url, url_size);
	} else if (rc == -1) {
		lead_warn(s, "read the lead");
	}
	db_finalize(st);
	return rc == -1 ? -1 : 0;
}

const char *
store_unavailable(const struct store *s)
{
	switch (db_fault(s->db)) {
	case DB_BUSY:
		return "the database is locked by another process";
	case DB_FULL:
		return "the database's disk is full";
	case DB_READONLY:
		return "the database cannot be written";
	case DB_UNREACHABLE:
		return "the database server is not reachable";
	default:
		return NULL;
	}
}

int
store_step_done(struct store *s, struct db_stmt *st, const char *what)
{
	int rc = db_step(st);

	db_reset(st);
	db_clear_bindings(st);
	if (rc == -1) {
		log_warnx("store: %s: %s", what, db_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
store_read_end(struct store *s, int step, const char *what)
{
	if (step == DB_DONE || step == DB_ROW)
		return 0;
	if (db_fault(s->db) != DB_UNREACHABLE) /* a loss is logged once */
		log_warnx("store: %s: %s", what, db_errmsg(s->db));
	return -1;
}

void
store_bind_real(struct db_stmt *st, int i, double v)
{
	if (isnan(v))
		db_bind_null(st, i);
	else
		db_bind_double(st, i, v);
}

void
store_bind_opt_int64(struct db_stmt *st, int i, int64_t v)
{
	if (v == 0)
		db_bind_null(st, i);
	else
		db_bind_int64(st, i, v);
}

double
store_column_real(struct db_stmt *st, int i)
{
	return db_column_is_null(st, i) ? NAN : db_column_double(st, i);
}

void
store_column_text(struct db_stmt *st, int i, char *out, size_t size)
{
	const char *t = db_column_text(st, i);

	snprintf(out, size, "%s", t ? t : "");
}

int64_t
store_insert_id(struct store *s, struct db_stmt *st, const char *what)
{
	int64_t id = 0;

	if (db_step(st) == DB_ROW)
		id = db_column_int64(st, 0);
	else
		log_warnx("store: %s: %s", what, db_errmsg(s->db));
	db_reset(st);
	db_clear_bindings(st);
	return id;
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
	return s->schema;
}

/* migrate(), its lock held. */
static int
migrate_locked(struct store *s)
{
	int pg = db_engine(s->db) == DB_POSTGRESQL;
	const struct schema_migration *set =
	    pg ? schema_pg_migrations : schema_migrations;
	int n = pg ? schema_pg_nmigrations : schema_nmigrations;
	int have = db_schema_version(s->db), i;
	int newest = set[n - 1].version;

	if (have < 0)
		return -1;
	if (have > newest) {
		log_warnx("store: database schema %d is newer than this "
		          "controller's %d; refusing to touch it",
		    have, newest);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct schema_migration *m = &set[i];

		if (m->version <= have)
			continue;
		if (store_exec(s, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (store_exec(s, m->sql) == -1 ||
		    db_set_schema_version(s->db, m->version) == -1) {
			log_warnx("store: migration %s failed", m->file);
			store_rollback(s);
			return -1;
		}
		if (store_exec(s, "COMMIT") == -1)
			return -1;
		log_info("store: applied schema %s", m->file);
	}
	s->schema = db_schema_version(s->db);
	return 0;
}

/* Runs the migrations this database lacks. Controllers starting together
 * on one PostgreSQL database take turns (an advisory lock of its own). */
static int
migrate(struct store *s)
{
	int rc;

	if (store_shared(s) &&
	    store_exec(s, "SELECT pg_advisory_lock(" MIGRATE_KEY ")") == -1)
		return -1;
	rc = migrate_locked(s);
	if (store_shared(s))
		(void)store_exec(
		    s, "SELECT pg_advisory_unlock(" MIGRATE_KEY ")");
	return rc;
}

struct store *
store_open(const char *path)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if (!db_is_url(path) && make_parent_dir(path) == -1)
		goto fail;
	/* the migration may wait as long as the writer would */
	if ((s->db = db_open(path, STORE_WRITER_BUSY_MS)) == NULL)
		goto fail;
	/* Checkpoints write the WAL back and fsync, hundreds of ms on a busy
	 * disk: the writer thread makes them (store_samples.c), never the
	 * event loop's commits. */
	if ((db_engine(s->db) == DB_SQLITE &&
	        (store_exec(s, "PRAGMA journal_mode = WAL") == -1 ||
	            store_exec(s, "PRAGMA synchronous = NORMAL") == -1 ||
	            store_exec(s, "PRAGMA foreign_keys = ON") == -1 ||
	            store_exec(s, "PRAGMA wal_autocheckpoint = 0") == -1)) ||
	    migrate(s) == -1) {
		log_warnx("%s: %s: cannot use this database", __func__,
		    db_where(s->db));
		goto fail;
	}
	db_busy_handler(s->db, loop_busy, s, STORE_LOOP_BUSY_MS);
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
	db_finalize(s->ins_node);
	db_finalize(s->ins_accel);
	for (i = 0; i < s->nq; i++)
		free(s->q[i].accels);
	free(s->q);
	db_close(s->db);
	free(s);
}

static int
load_accels(struct store *s, struct db_stmt *st, struct node *n)
{
	struct accel *a;
	int count = 0, cap = 8, step;

	if ((a = calloc(cap, sizeof(*a))) == NULL)
		return -1;
	db_bind_int64(st, 1, n->id);
	while ((step = db_step(st)) == DB_ROW) {
		int idx = db_column_int(st, 0);

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
	db_reset(st);
	if (store_read_end(s, step, "load accelerators") == -1) {
		free(a);
		return -1;
	}
	free(n->accels);
	n->accels = a;
	n->naccels = count;
	return 0;
}

int
store_load_fleet(struct store *s, struct fleet *f)
{
	struct db_stmt *pod = NULL, *node = NULL, *sel = NULL, *acc = NULL;
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

		db_bind_text(pod, 1, pc->name);
		db_bind_int(pod, 2, pc->nodes);
		db_bind_int(pod, 3, pc->groups);
		db_bind_int(pod, 4, pc->accels_per_node);
		db_bind_double(pod, 5, pc->power_budget_w);
		db_bind_double(pod, 6, pc->cooling_capacity_w);
		if (store_step_done(s, pod, "upsert pod") == -1)
			goto rollback;
	}
	for (i = 0; i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];

		db_bind_text(node, 1, n->name);
		db_bind_text(node, 2, f->pods[n->pod].conf.name);
		db_bind_text(node, 3, n->group);
		if (store_step_done(s, node, "upsert node") == -1)
			goto rollback;
		db_bind_text(sel, 1, n->name);
		if (db_step(sel) != DB_ROW) {
			log_warnx("store: node %s vanished", n->name);
			db_reset(sel);
			goto rollback;
		}
		n->id = db_column_int64(sel, 0);
		n->drained = db_column_int(sel, 1);
		store_column_text(sel, 2, n->reason, sizeof(n->reason));
		n->drained_at_ms = db_column_int64(sel, 3);
		store_column_text(sel, 4, n->drained_by, sizeof(n->drained_by));
		n->last_seen_ms = db_column_int64(sel, 5);
		store_column_text(sel, 6, n->boot_id, sizeof(n->boot_id));
		store_column_text(
		    sel, 7, n->agent_version, sizeof(n->agent_version));
		db_reset(sel);
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
	db_finalize(pod);
	db_finalize(node);
	db_finalize(sel);
	db_finalize(acc);
	return rc;
}

int
store_read_node_ids(struct store *s, struct fleet *f)
{
	struct db_stmt *st = store_prepare(s, "SELECT id, name FROM nodes");
	char name[sizeof(f->nodes[0].name)];
	struct node *n;
	int step;

	if (st == NULL)
		return -1;
	while ((step = db_step(st)) == DB_ROW) {
		store_column_text(st, 1, name, sizeof(name));
		if ((n = fleet_node(f, name)) != NULL)
			n->id = db_column_int64(st, 0);
	}
	db_finalize(st);
	return store_read_end(s, step, "read node ids");
}

int
store_commit_audited(struct store *s, struct db_stmt *st, const char *what,
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
	struct db_stmt *au =
	    store_prepare(s, "INSERT INTO audit (t_ms, who, action,"
	                     " object, detail) VALUES (?, ?, ?, ?, ?)");
	int rc = -1;

	if (au != NULL) {
		db_bind_int64(au, 1, time_wall_ms());
		db_bind_text(au, 2, who);
		db_bind_text(au, 3, action);
		db_bind_text(au, 4, object);
		db_bind_text(au, 5, detail);
		if (store_step_done(s, au, "audit") == 0 &&
		    store_exec(s, "COMMIT") == 0)
			rc = 0;
	}
	if (rc == -1)
		store_rollback(s);
	db_finalize(au);
	return rc;
}

json_t *
store_audit(struct store *s, int64_t since_ms, int64_t until_ms,
    const char *actor, const char *action, int limit)
{
	struct db_stmt *st;
	json_t *a = json_array(), *o;
	int step;

	/* the newest `limit` lines that match, turned oldest first below */
	st = store_prepare(s,
	    "SELECT id, t_ms, who, action, object, detail FROM audit"
	    " WHERE t_ms >= ?1 AND t_ms < ?2 AND (CAST(?3 AS TEXT) IS NULL OR"
	    " who = ?3) AND (CAST(?4 AS TEXT) IS NULL OR action = ?4)"
	    " ORDER BY id DESC LIMIT ?5");
	if (st == NULL || a == NULL)
		goto fail;
	db_bind_int64(st, 1, since_ms);
	db_bind_int64(st, 2, until_ms);
	if (actor != NULL)
		db_bind_text(st, 3, actor);
	if (action != NULL)
		db_bind_text(st, 4, action);
	db_bind_int(st, 5, limit);
	while ((step = db_step(st)) == DB_ROW) {
		const char *detail = db_column_text(st, 5);

		o = json_pack("{s:I,s:o,s:s,s:s,s:s,s:o}", "id",
		    (json_int_t)db_column_int64(st, 0), "time",
		    jsonx_time(db_column_int64(st, 1)), "actor",
		    db_column_text(st, 2), "action", db_column_text(st, 3),
		    "object", db_column_text(st, 4), "detail",
		    detail ? json_string(detail) : json_null());
		if (o == NULL || json_array_insert_new(a, 0, o) == -1)
			goto fail;
	}
	if (store_read_end(s, step, "read the audit log") == -1)
		goto fail;
	db_finalize(st);
	return a;
fail:
	log_warnx("%s: cannot read the audit log", __func__);
	db_finalize(st);
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
	struct db_stmt *up;
	int rc = -1;

	up =
	    store_prepare(s, "UPDATE nodes SET drained = ?, reason = ?,"
	                     " drained_at_ms = ?, drained_by = ? WHERE id = ?");
	if (up == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_int(up, 1, n->drained);
	if (n->drained) {
		db_bind_text(up, 2, n->reason);
		db_bind_int64(up, 3, n->drained_at_ms);
		db_bind_text(up, 4, n->drained_by);
	}
	db_bind_int64(up, 5, n->id);
	if (store_commit_audited(
	        s, up, "update drain", who, action, n->name, detail) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(up);
	return rc;
}
