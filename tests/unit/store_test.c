/*
 * The store (controllerd/store.c) on a temporary SQLite file, or on fresh
 * databases of the PostgreSQL server POD_TEST_PG names, through its
 * public functions only: the schema migrations and PRAGMA user_version (a
 * newer database is refused), a drain that survives closing and opening,
 * a setting stored twice with the same value audited once, policies set,
 * replaced, unchanged and removed, the audit log's filters and limit, a
 * job inserted and loaded back, the attempts of a job and of a node summed
 * up from their ranks, and telemetry written to per-day partitions that
 * retention drops. Each case opens its own database file in one temporary
 * directory, removed at the end (kept with POD_KEEP_TMP set).
 */
#include <sys/stat.h>

#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tmpdir.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "fleet.h"
#include "jobs.h"
#include "log.h"
#include "org.h"
#include "pod/wire.h"
#include "schema.h"
#include "store.h"
#include "store_int.h"

#define DAY_MS    86400000LL
#define T0_MS     1714564800000LL /* 2024-05-01T12:00:00Z */
#define FOREVER   INT64_MAX
#define AUDIT_MAX 1000

static char tmpdir[256];
/* POD_TEST_PG: a PostgreSQL server's URL (tests/integration/pgserver.py),
 * whose fresh databases the cases use instead of SQLite files */
static const char *pg_server;

/* A fresh database for the case `name`: a path in a directory the store
 * must create, or on PostgreSQL a database created for it (the same name
 * again is the same database). */
static const char *
db_path(const char *name)
{
	static char path[512];
	static char made[16][32];
	char sql[96];
	const char *slash;
	struct db *db;
	int i;

	if (pg_server == NULL) {
		snprintf(path, sizeof(path), "%s/%s/ctl.db", tmpdir, name);
		return path;
	}
	slash = strrchr(pg_server, '/');
	snprintf(path, sizeof(path), "%.*s/store_%s_%d",
	    (int)(slash - pg_server), pg_server, name, (int)getpid());
	for (i = 0; i < 16 && made[i][0] != '\0'; i++)
		if (strcmp(made[i], name) == 0)
			return path;
	/* the name and pid are ours: no quoting needed */
	snprintf(sql, sizeof(sql), "CREATE DATABASE store_%s_%d", name,
	    (int)getpid());
	if ((db = db_open(pg_server, 5000)) == NULL || db_exec(db, sql) == -1)
		printf("cannot create a database on %s\n", pg_server);
	db_close(db);
	if (i < 16)
		snprintf(made[i], sizeof(made[i]), "%s", name);
	return path;
}

/* A fleet of the built-in default configuration. Caller frees both. */
static struct fleet *
default_fleet(struct config **c)
{
	char err[256];

	if ((*c = config_load(NULL, err, sizeof(err))) == NULL) {
		printf("config_load: %s\n", err);
		return NULL;
	}
	return fleet_new(*c);
}

/* How many audit lines match actor and action (NULL: any). */
static int
audit_count(struct store *s, const char *actor, const char *action)
{
	json_t *a = store_audit(s, 0, FOREVER, actor, action, AUDIT_MAX);
	int n = a == NULL ? -1 : (int)json_array_size(a);

	json_decref(a);
	return n;
}

/* The string member `key` of the i-th element of array a, or "". */
static const char *
member(json_t *a, size_t i, const char *key)
{
	const char *v =
	    json_string_value(json_object_get(json_array_get(a, i), key));

	return v ? v : "";
}

static int
t_migrations(void)
{
	int newest = schema_migrations[schema_nmigrations - 1].version, i;
	struct store *s;
	sqlite3 *db = NULL;
	int rc = -1;

	/* The versions go up: user_version says which migrations ran. */
	for (i = 1; i < schema_nmigrations; i++)
		CHECK(schema_migrations[i].version >
		          schema_migrations[i - 1].version,
		    "%s after %s", schema_migrations[i].file,
		    schema_migrations[i - 1].file);
	REQUIRE((s = store_open(db_path("migrate"))) != NULL);
	CHECK(store_schema_version(s) == newest, "version %d, newest %d",
	    store_schema_version(s), newest);
	store_close(s);
	/* Opening again applies nothing and keeps the version. */
	REQUIRE((s = store_open(db_path("migrate"))) != NULL);
	CHECK(store_schema_version(s) == newest);
	store_close(s);
	/* A database from a newer controller is refused, untouched. */
	REQUIRE(sqlite3_open(db_path("migrate"), &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 9999", NULL, NULL,
	            NULL) == SQLITE_OK);
	sqlite3_close(db);
	db = NULL;
	CHECK(store_open(db_path("migrate")) == NULL, "newer schema opened");
	REQUIRE(sqlite3_open(db_path("migrate"), &db) == SQLITE_OK);
	{
		sqlite3_stmt *st;

		REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
		            NULL) == SQLITE_OK);
		CHECK(sqlite3_step(st) == SQLITE_ROW &&
		      sqlite3_column_int(st, 0) == 9999);
		sqlite3_finalize(st);
	}
	rc = 0;
fail:
	sqlite3_close(db);
	return rc;
}

static int
t_drain_round_trip(void)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	struct node *n;
	int rc = -1;

	REQUIRE((f = default_fleet(&c)) != NULL && f->nnodes >= 2);
	REQUIRE((s = store_open(db_path("drain"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	n = &f->nodes[1];
	CHECK(n->id > 0 && !n->drained, "id %lld", (long long)n->id);
	n->drained = 1;
	snprintf(n->reason, sizeof(n->reason), "%s", "fan swap");
	n->drained_at_ms = T0_MS;
	snprintf(n->drained_by, sizeof(n->drained_by), "%s", "alice");
	REQUIRE(store_put_drain(s, n, "alice", "drain") == 0);
	store_close(s);
	fleet_free(f);

	/* A new controller on the same file finds the drain. */
	REQUIRE((f = fleet_new(c)) != NULL);
	REQUIRE((s = store_open(db_path("drain"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	n = &f->nodes[1];
	CHECK(n->drained == 1);
	CHECK(strcmp(n->reason, "fan swap") == 0, "reason '%s'", n->reason);
	CHECK(n->drained_at_ms == T0_MS);
	CHECK(strcmp(n->drained_by, "alice") == 0, "by '%s'", n->drained_by);
	CHECK(!f->nodes[0].drained, "a node never drained came back drained");

	/* Resume: undrained after another restart, two audit lines. */
	n->drained = 0;
	REQUIRE(store_put_drain(s, n, "bob", "resume") == 0);
	store_close(s);
	fleet_free(f);
	REQUIRE((f = fleet_new(c)) != NULL);
	REQUIRE((s = store_open(db_path("drain"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	CHECK(!f->nodes[1].drained);
	CHECK(audit_count(s, NULL, "drain") == 1);
	CHECK(audit_count(s, "bob", "resume") == 1);
	rc = 0;
fail:
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* The loop's commits never checkpoint (an fsync on the event loop; the
 * writer thread does, store_samples.c): past SQLite's auto-checkpoint of
 * 1,000 pages the WAL keeps growing instead of starting over. */
static int
t_checkpoint(void)
{
	const char *path = db_path("checkpoint");
	char wal[4200];
	struct store *s;
	struct stat sb;
	int i, rc = -1;

	REQUIRE((s = store_open(path)) != NULL);
	for (i = 0; i < 1500; i++)
		REQUIRE(store_put_setting(s, "pod_budget_w", i, "alice") == 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	REQUIRE(stat(wal, &sb) == 0);
	/* a frame is a page and its 24-byte header */
	CHECK(sb.st_size > 2000L * (4096 + 24), "WAL of %lld bytes",
	    (long long)sb.st_size);
	rc = 0;
fail:
	store_close(s);
	return rc;
}

/* A stand-in for the sample writer: transaction after transaction, each
 * inserting a chunk of rows, until told to stop. */
struct busy_writer {
	struct store ws;
	atomic_int stop;
	int failed;
};

static void *
busy_writer_main(void *arg)
{
	struct busy_writer *b = arg;

	while (!atomic_load(&b->stop)) {
		if (store_writer_begin(&b->ws) == -1 ||
		    store_exec(&b->ws, "DELETE FROM chunk") == -1 ||
		    store_exec(&b->ws,
		        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL "
		        "SELECT x + 1 FROM n WHERE x < 20000) "
		        "INSERT INTO chunk SELECT x FROM n") == -1 ||
		    store_exec(&b->ws, "COMMIT") == -1) {
			b->failed = 1;
			break;
		}
	}
	return NULL;
}

/* The loop's writes get in while the writer commits chunk after chunk:
 * the loop tries every millisecond, its wait flagged, and the writer lets
 * it go first. (SQLite's own busy timeout tries 8 times in 100 ms, ever
 * further apart, and misses the microseconds between two chunks: 5 to 13
 * of the 20 writes went in.) */
static int
t_loop_first(void)
{
	const char *path = db_path("loopfirst");
	struct busy_writer b = {0};
	struct store *s;
	pthread_t th;
	int i, ok = 0, started = 0, rc = -1;

	REQUIRE((s = store_open(path)) != NULL);
	REQUIRE((b.ws.db = db_open(path, 5000)) != NULL);
	b.ws.loop_waiting = &s->waiting;
	REQUIRE(store_exec(&b.ws, "CREATE TABLE chunk (x)") == 0);
	REQUIRE(pthread_create(&th, NULL, busy_writer_main, &b) == 0);
	started = 1;
	for (i = 0; i < 20; i++)
		ok += store_put_setting(s, "pod_budget_w", 1000 + i, "alice") ==
		      0;
	CHECK(ok == 20, "%d of 20 of the loop's writes went in", ok);
	rc = 0;
fail:
	atomic_store(&b.stop, 1);
	if (started)
		pthread_join(th, NULL);
	CHECK(!b.failed, "the writer failed: %s", db_errmsg(b.ws.db));
	db_close(b.ws.db);
	store_close(s);
	return rc;
}

static int
t_settings(void)
{
	struct store *s;
	double v = -1;
	json_t *a = NULL;
	int rc = -1;

	REQUIRE((s = store_open(db_path("settings"))) != NULL);
	CHECK(store_get_setting(s, "pod_budget_w", &v) == 0 && v == -1);
	REQUIRE(store_put_setting(s, "pod_budget_w", 500000, "alice") == 0);
	/* The same value again: stored once, audited once. */
	REQUIRE(store_put_setting(s, "pod_budget_w", 500000, "bob") == 0);
	CHECK(audit_count(s, NULL, "set") == 1, "%d audit lines",
	    audit_count(s, NULL, "set"));
	CHECK(store_get_setting(s, "pod_budget_w", &v) == 1 && v == 500000);
	REQUIRE(store_put_setting(s, "pod_budget_w", 400000, "bob") == 0);
	CHECK(store_get_setting(s, "pod_budget_w", &v) == 1 && v == 400000);
	REQUIRE((a = store_audit(s, 0, FOREVER, NULL, "set", 10)) != NULL);
	REQUIRE(json_array_size(a) == 2);
	CHECK(strcmp(member(a, 0, "detail"), "unset -> 500000") == 0, "'%s'",
	    member(a, 0, "detail"));
	CHECK(strcmp(member(a, 1, "detail"), "500000 -> 400000") == 0, "'%s'",
	    member(a, 1, "detail"));
	CHECK(strcmp(member(a, 1, "actor"), "bob") == 0);
	CHECK(strcmp(member(a, 1, "object"), "pod_budget_w") == 0);
	rc = 0;
fail:
	json_decref(a);
	store_close(s);
	return rc;
}

/* store_load_policies' callback: appends "scope target name params;". */
static void
collect_policy(const char *scope, const char *target, const char *name,
    const char *params, void *arg)
{
	char *buf = arg;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s %s %s %s;", scope, target, name,
	    params ? params : "");
}

static int
t_policies(void)
{
	struct store *s;
	char got[512];
	int rc = -1;

	REQUIRE((s = store_open(db_path("policies"))) != NULL);
	REQUIRE(store_put_policy(
	            s, "pod", "pod01", "cap", "{\"cap_w\":800}", "alice") == 0);
	REQUIRE(store_put_policy(s, "node", "pod01-n002", "performance", "{}",
	            "alice") == 0);
	got[0] = '\0';
	REQUIRE(store_load_policies(s, collect_policy, got) == 0);
	CHECK(strcmp(got, "node pod01-n002 performance {};"
	                  "pod pod01 cap {\"cap_w\":800};") == 0,
	    "'%s'", got);
	/* The same policy again audits nothing; a change replaces it. */
	REQUIRE(store_put_policy(
	            s, "pod", "pod01", "cap", "{\"cap_w\":800}", "bob") == 0);
	CHECK(audit_count(s, NULL, "policy") == 2);
	REQUIRE(store_put_policy(
	            s, "pod", "pod01", "cap", "{\"cap_w\":700}", "bob") == 0);
	CHECK(audit_count(s, "bob", "policy") == 1);
	/* NULL name: back to inheriting, the row gone. */
	REQUIRE(
	    store_put_policy(s, "node", "pod01-n002", NULL, NULL, "bob") == 0);
	REQUIRE(
	    store_put_policy(s, "node", "pod01-n002", NULL, NULL, "bob") == 0);
	CHECK(audit_count(s, "bob", "policy") == 2);
	got[0] = '\0';
	REQUIRE(store_load_policies(s, collect_policy, got) == 0);
	CHECK(strcmp(got, "pod pod01 cap {\"cap_w\":700};") == 0, "'%s'", got);
	rc = 0;
fail:
	store_close(s);
	return rc;
}

/*
 * Audit filters: five lines by two actors and three actions. Columns: the
 * actor and action filters (NULL: any), the limit, how many lines come
 * back and the object of the first (the oldest of the newest `limit`).
 */
static const struct {
	const char *actor, *action;
	int limit, n;
	const char *first;
} audit_cases[] = {
    {NULL, NULL, 100, 5, "k1"},
    {"alice", NULL, 100, 3, "k1"},
    {"bob", NULL, 100, 2, "k3"},
    {NULL, "set", 100, 4, "k1"},
    {"bob", "set", 100, 1, "k3"},
    {"carol", NULL, 100, 0, NULL},
    {NULL, "drain", 100, 0, NULL},
    {NULL, NULL, 2, 2, "k4"}, /* the newest two, oldest first */
    {"alice", "set", 1, 1, "k4"},
};

static int
t_audit_filters(void)
{
	struct store *s;
	json_t *a = NULL;
	size_t i;
	int rc = -1;

	REQUIRE((s = store_open(db_path("audit"))) != NULL);
	REQUIRE(store_put_setting(s, "k1", 1, "alice") == 0);
	REQUIRE(store_put_setting(s, "k2", 1, "alice") == 0);
	REQUIRE(store_put_setting(s, "k3", 1, "bob") == 0);
	REQUIRE(store_put_setting(s, "k4", 1, "alice") == 0);
	REQUIRE(store_put_policy(s, "pod", "k5", "cap", "{}", "bob") == 0);
	for (i = 0; i < NELEM(audit_cases); i++) {
		a = store_audit(s, 0, FOREVER, audit_cases[i].actor,
		    audit_cases[i].action, audit_cases[i].limit);
		REQUIRE(a != NULL);
		CHECK((int)json_array_size(a) == audit_cases[i].n,
		    "case %zu: %zu lines", i, json_array_size(a));
		if (audit_cases[i].first != NULL)
			CHECK(strcmp(member(a, 0, "object"),
			          audit_cases[i].first) == 0,
			    "case %zu: first '%s'", i, member(a, 0, "object"));
		json_decref(a);
	}
	a = NULL;
	/* The time window: nothing before the epoch's first second, nothing
	 * in the future. */
	REQUIRE((a = store_audit(s, 0, 1000, NULL, NULL, 100)) != NULL);
	CHECK(json_array_size(a) == 0);
	json_decref(a);
	REQUIRE((a = store_audit(s, FOREVER - 1, FOREVER, NULL, NULL, 100)) !=
	        NULL);
	CHECK(json_array_size(a) == 0);
	rc = 0;
fail:
	json_decref(a);
	store_close(s);
	return rc;
}

/* A pending job as the API would build it. Caller frees. */
static struct job *
new_job(const char *name, int nnodes)
{
	struct job *j = job_new();

	if (j == NULL)
		return NULL;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->command = strdup("[\"sleep\",\"60\"]");
	j->nnodes = nnodes;
	j->accels_per_node = 8;
	j->accels_total = 8 * nnodes;
	j->exclusive = 1;
	j->within = SCHED_WITHIN_POD;
	j->time_limit_s = 3600;
	j->priority = 5;
	snprintf(j->policy, sizeof(j->policy), "%s", "performance");
	j->requeue = 1;
	j->submit_ms = T0_MS;
	snprintf(j->submitted_by, sizeof(j->submitted_by), "%s", "alice");
	j->power_per_accel_w = 650;
	j->allow_capped = 1;
	j->dirty = 1;
	return j;
}

/* Ends rank r of j as its agent would report it. */
static void
end_rank(struct job_rank *r, enum rank_cause cause, int exit_code,
    int64_t started_ms, int64_t ended_ms)
{
	r->state = RANK_ENDED;
	r->cause = cause;
	r->has_exit = cause == CAUSE_EXIT;
	r->exit_code = exit_code;
	r->started_ms = started_ms;
	r->ended_ms = ended_ms;
	r->dirty = 1;
}

static int
t_jobs(void)
{
	static const struct sched_slot slots[] = {{2, 0xff}, {3, 0xff}};
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	struct job *j = NULL, *k = NULL, *got = NULL;
	struct jobs t = {NULL, 0, 0};
	int64_t count[JOB_NSTATES];
	int rc = -1;

	REQUIRE((f = default_fleet(&c)) != NULL && f->nnodes >= 4);
	REQUIRE((s = store_open(db_path("jobs"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	REQUIRE((j = new_job("train", 2)) != NULL);
	REQUIRE((k = new_job("eval", 1)) != NULL);
	REQUIRE(store_insert_job(s, j) == 0);
	REQUIRE(store_insert_job(s, k) == 0);
	CHECK(j->id > 0 && k->id > j->id, "ids %lld %lld", (long long)j->id,
	    (long long)k->id);

	/* Loaded back as inserted. */
	REQUIRE((got = store_get_job(s, j->id, f)) != NULL);
	CHECK(strcmp(got->name, "train") == 0 && got->nnodes == 2 &&
	      got->accels_per_node == 8 && got->accels_total == 16);
	CHECK(strcmp(got->command, "[\"sleep\",\"60\"]") == 0, "'%s'",
	    got->command);
	CHECK(got->state == JOB_PENDING && got->within == SCHED_WITHIN_POD &&
	      got->time_limit_s == 3600 && got->priority == 5 &&
	      got->requeue == 1 && got->submit_ms == T0_MS);
	CHECK(strcmp(got->policy, "performance") == 0 &&
	      strcmp(got->submitted_by, "alice") == 0);
	CHECK(got->power_per_accel_w == 650 && got->allow_capped == 1);
	CHECK(isnan(got->energy_j), "energy %g", got->energy_j);
	job_free(got);
	got = NULL;
	CHECK(store_get_job(s, 9999, f) == NULL, "a job never stored");

	/* Started on nodes 2 and 3; rank 0 exits 0, rank 1 exits 3. */
	REQUIRE(job_start(j, slots, 2, T0_MS + 1000) == 0);
	end_rank(&j->ranks[0], CAUSE_EXIT, 0, T0_MS + 2000, T0_MS + 9000);
	end_rank(&j->ranks[1], CAUSE_EXIT, 3, T0_MS + 2100, T0_MS + 8000);
	j->state = JOB_FAILED;
	j->has_exit = 1;
	j->exit_code = 3;
	j->end_ms = T0_MS + 9000;
	j->energy_j = 1.5e6;
	j->dirty = 1;
	REQUIRE(store_put_jobs(s, &j, 1, f) == 0);
	CHECK(!j->dirty && !j->ranks[0].dirty && !j->ranks[1].dirty,
	    "dirty flags kept after a good write");
	REQUIRE((got = store_get_job(s, j->id, f)) != NULL);
	CHECK(got->state == JOB_FAILED && got->attempt == 1 &&
	      got->exit_code == 3 && got->end_ms == T0_MS + 9000 &&
	      got->energy_j == 1.5e6);
	job_free(got);
	got = NULL;

	/* The pending job and the ended one, with 5 recent. */
	REQUIRE(store_load_jobs(s, &t, f, 5) == 0);
	CHECK(t.n == 2, "%d jobs loaded", t.n);
	CHECK(jobs_find(&t, j->id) != NULL && jobs_find(&t, k->id) != NULL);
	jobs_clear(&t);
	/* With no recent ended job: the pending one only. */
	REQUIRE(store_load_jobs(s, &t, f, 0) == 0);
	CHECK(t.n == 1 && jobs_find(&t, k->id) != NULL, "%d jobs", t.n);
	REQUIRE(store_count_jobs(s, count, JOB_NSTATES) == 0);
	CHECK(count[JOB_PENDING] == 1 && count[JOB_FAILED] == 1 &&
	      count[JOB_RUNNING] == 0 && count[JOB_COMPLETED] == 0);
	rc = 0;
fail:
	jobs_clear(&t);
	free(t.v);
	job_free(got);
	job_free(j);
	job_free(k);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* An array goes in whole or not at all (store_insert_jobs(), pipelined
 * on PostgreSQL, where a failed row shows only at the COMMIT): its tasks
 * numbered on from the jobs before, each naming the first as its array;
 * with one row refused (a trigger), none is stored and no id is kept, and
 * the next array takes the ids it would have taken. */
static int
t_array_insert(void)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	struct job *one = NULL, *v[5] = {NULL}, *got = NULL;
	int64_t count[JOB_NSTATES];
	int i, rc = -1;

	REQUIRE((f = default_fleet(&c)) != NULL);
	REQUIRE((s = store_open(db_path("arrays"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	REQUIRE((one = new_job("single", 1)) != NULL);
	REQUIRE(store_insert_job(s, one) == 0);
	for (i = 0; i < 5; i++) {
		REQUIRE((v[i] = new_job("task", 1)) != NULL);
		v[i]->array_task_id = i;
		v[i]->array_max = 5;
	}
	REQUIRE(store_exec(s,
	            pg_server != NULL
	                ? "CREATE FUNCTION refuse_bad() RETURNS trigger AS $$"
	                  " BEGIN IF NEW.name = 'bad' THEN RAISE EXCEPTION"
	                  " 'a bad name'; END IF; RETURN NEW; END $$ LANGUAGE"
	                  " plpgsql; CREATE TRIGGER refuse_bad BEFORE INSERT"
	                  " ON jobs FOR EACH ROW EXECUTE FUNCTION refuse_bad()"
	                : "CREATE TRIGGER refuse_bad BEFORE INSERT ON jobs"
	                  " WHEN NEW.name = 'bad' BEGIN SELECT RAISE(ABORT,"
	                  " 'a bad name'); END") == 0);
	snprintf(v[3]->name, sizeof(v[3]->name), "%s", "bad");
	CHECK(store_insert_jobs(s, v, 5) == -1, "an array with a bad row in");
	for (i = 0; i < 5; i++)
		CHECK(v[i]->id == 0 && v[i]->array_job_id == 0 && v[i]->dirty,
		    "task %d kept id %lld", i, (long long)v[i]->id);
	REQUIRE(store_count_jobs(s, count, JOB_NSTATES) == 0);
	CHECK(count[JOB_PENDING] == 1, "%lld pending after the refused array",
	    (long long)count[JOB_PENDING]);

	snprintf(v[3]->name, sizeof(v[3]->name), "%s", "task");
	REQUIRE(store_insert_jobs(s, v, 5) == 0);
	for (i = 0; i < 5; i++) {
		CHECK(v[i]->id == one->id + 1 + i && !v[i]->dirty,
		    "task %d: id %lld after %lld", i, (long long)v[i]->id,
		    (long long)one->id);
		REQUIRE((got = store_get_job(s, v[i]->id, f)) != NULL);
		CHECK(got->array_job_id == v[0]->id &&
		          got->array_task_id == i && got->array_max == 5 &&
		          strcmp(got->name, "task") == 0,
		    "task %d: array %lld, task %d", i,
		    (long long)got->array_job_id, got->array_task_id);
		job_free(got);
		got = NULL;
	}
	CHECK(store_find_task(s, v[0]->id, 4) == v[4]->id);
	rc = 0;
fail:
	job_free(got);
	job_free(one);
	for (i = 0; i < 5; i++)
		job_free(v[i]);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/*
 * Attempts: one job, three attempts on nodes 2 and 3.
 *  1: node 3 lost (node_fail) while rank 0 is cancelled: requeued;
 *  2: a leak on node 2 while rank 1 is cancelled: requeued;
 *  3: rank 0 running, rank 1 not started.
 */
static int
t_attempts(void)
{
	static const struct sched_slot slots[] = {{2, 0xff}, {3, 0xff}};
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	struct job *j = NULL;
	json_t *a = NULL, *o;
	char *text = NULL;
	int rc = -1;

	REQUIRE((f = default_fleet(&c)) != NULL && f->nnodes >= 4);
	REQUIRE((s = store_open(db_path("attempts"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	REQUIRE((j = new_job("train", 2)) != NULL);
	REQUIRE(store_insert_job(s, j) == 0);

	/* Never started: no attempt. */
	REQUIRE((a = store_job_attempts(s, j->id)) != NULL);
	CHECK(json_array_size(a) == 0);
	json_decref(a);
	a = NULL;

	REQUIRE(job_start(j, slots, 2, T0_MS) == 0);
	end_rank(&j->ranks[0], CAUSE_CANCELLED, 0, T0_MS + 1000, T0_MS + 6000);
	j->ranks[0].signal = 15;
	end_rank(&j->ranks[1], CAUSE_NODE_FAIL, 0, T0_MS + 1000, T0_MS + 5000);
	j->state = JOB_PENDING;
	REQUIRE(store_put_jobs(s, &j, 1, f) == 0);
	job_prune_ranks(j);
	REQUIRE(job_start(j, slots, 2, T0_MS + 10000) == 0);
	end_rank(&j->ranks[0], CAUSE_LEAK, 0, T0_MS + 11000, T0_MS + 20000);
	end_rank(
	    &j->ranks[1], CAUSE_CANCELLED, 0, T0_MS + 11000, T0_MS + 21000);
	j->ranks[1].signal = 15;
	j->state = JOB_PENDING;
	REQUIRE(store_put_jobs(s, &j, 1, f) == 0);
	job_prune_ranks(j);
	REQUIRE(job_start(j, slots, 2, T0_MS + 30000) == 0);
	REQUIRE(j->nranks == 2 && j->ranks[0].attempt == 3);
	j->ranks[0].state = RANK_RUNNING;
	j->ranks[0].started_ms = T0_MS + 31000;
	j->ranks[0].dirty = 1;
	REQUIRE(store_put_jobs(s, &j, 1, f) == 0);

	REQUIRE((a = store_job_attempts(s, j->id)) != NULL);
	text = json_dumps(a, JSON_COMPACT);
	REQUIRE(json_array_size(a) == 3, "%s", text);
	o = json_array_get(a, 0);
	CHECK(
	    json_integer_value(json_object_get(o, "attempt")) == 1, "%s", text);
	CHECK(strcmp(member(a, 0, "ended_by"), "node_fail") == 0, "%s", text);
	CHECK(strcmp(member(a, 0, "start"), "2024-05-01T12:00:01Z") == 0 &&
	          strcmp(member(a, 0, "end"), "2024-05-01T12:00:06Z") == 0,
	    "%s", text);
	CHECK(json_is_null(json_object_get(o, "exit_code")), "%s", text);
	CHECK(strstr(member(a, 0, "reason"), f->nodes[3].name) != NULL,
	    "reason '%s' names no lost node", member(a, 0, "reason"));
	o = json_array_get(a, 1);
	CHECK(strcmp(member(a, 1, "ended_by"), "leak") == 0 &&
	          json_is_null(json_object_get(o, "exit_code")),
	    "%s", text);
	CHECK(strstr(member(a, 1, "reason"), f->nodes[2].name) != NULL,
	    "reason '%s' names no leaking node", member(a, 1, "reason"));
	CHECK(strcmp(member(a, 1, "end"), "2024-05-01T12:00:21Z") == 0, "%s",
	    text);
	o = json_array_get(a, 2);
	CHECK(strcmp(member(a, 2, "start"), "2024-05-01T12:00:31Z") == 0, "%s",
	    text);
	CHECK(json_is_null(json_object_get(o, "end")) &&
	          json_is_null(json_object_get(o, "ended_by")),
	    "%s", text);
	o = json_object_get(o, "nodes");
	CHECK(json_array_size(o) == 2 &&
	          strcmp(json_string_value(json_array_get(o, 0)),
	              f->nodes[2].name) == 0,
	    "%s", text);
	json_decref(a);
	free(text);
	text = NULL;

	/* Node 3 saw all three attempts, the newest first; node 0 none. */
	REQUIRE((a = store_node_attempts(s, f->nodes[3].id, 10)) != NULL);
	text = json_dumps(a, JSON_COMPACT);
	REQUIRE(json_array_size(a) == 3, "%s", text);
	CHECK(json_integer_value(
	          json_object_get(json_array_get(a, 0), "attempt")) == 3 &&
	          json_integer_value(
	              json_object_get(json_array_get(a, 2), "attempt")) == 1,
	    "%s", text);
	CHECK(strcmp(member(a, 0, "job_name"), "train") == 0, "%s", text);
	json_decref(a);
	REQUIRE((a = store_node_attempts(s, f->nodes[3].id, 1)) != NULL);
	CHECK(json_array_size(a) == 1);
	json_decref(a);
	REQUIRE((a = store_node_attempts(s, f->nodes[0].id, 10)) != NULL);
	CHECK(json_array_size(a) == 0);
	rc = 0;
fail:
	free(text);
	json_decref(a);
	job_free(j);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* Queues one sample of node n at t_ms drawing power_w. */
static void
queue_sample(
    struct store *s, const struct node *n, int64_t t_ms, double power_w)
{
	struct report_sample smp;

	memset(&smp, 0, sizeof(smp));
	smp.t_ms = t_ms;
	smp.power_w = power_w;
	smp.naccels = 2;
	smp.accels[0].temp_c = 60;
	smp.accels[1].temp_c = 70;
	smp.supply_c = 30;
	smp.return_c = 40;
	smp.flow_lpm = 12;
	store_queue_sample(s, n, &smp);
}

static int
t_telemetry(void)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	struct node *n;
	json_t *a = NULL;
	int rc = -1;

	REQUIRE((f = default_fleet(&c)) != NULL);
	REQUIRE((s = store_open(db_path("telemetry"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	n = &f->nodes[0];
	/* Two samples three days ago, two today. */
	queue_sample(s, n, T0_MS - 3 * DAY_MS, 1000);
	queue_sample(s, n, T0_MS - 3 * DAY_MS + 1000, 3000);
	queue_sample(s, n, T0_MS, 5000);
	queue_sample(s, n, T0_MS + 1000, 7000);
	CHECK(store_queued(s) == 4);
	REQUIRE(store_flush_wait(s, f) == 0);
	CHECK(store_queued(s) == 0);

	/* One 60 s bucket a day: the mean of each. */
	REQUIRE((a = store_telemetry(s, n->id, T0_MS - 4 * DAY_MS,
	             T0_MS + DAY_MS, 60, 100)) != NULL);
	REQUIRE(json_array_size(a) == 2, "%zu points", json_array_size(a));
	CHECK(json_number_value(
	          json_object_get(json_array_get(a, 0), "power_w")) == 2000);
	CHECK(json_number_value(
	          json_object_get(json_array_get(a, 1), "power_w")) == 6000);
	CHECK(json_number_value(
	          json_object_get(json_array_get(a, 1), "hottest_c")) == 70);
	json_decref(a);
	a = NULL;

	/* Keeping 7 days drops nothing; keeping 1 drops the older day. */
	CHECK(store_expire(s, T0_MS, 7) == 0);
	CHECK(store_expire(s, T0_MS, 1) == 1);
	CHECK(store_expire(s, T0_MS, 1) == 0);
	REQUIRE((a = store_telemetry(s, n->id, T0_MS - 4 * DAY_MS,
	             T0_MS + DAY_MS, 60, 100)) != NULL);
	CHECK(json_array_size(a) == 1, "%zu points", json_array_size(a));
	json_decref(a);
	a = NULL;
	/* Today's partition dropped too, then written again. */
	CHECK(store_expire(s, T0_MS + 2 * DAY_MS, 1) == 1);
	queue_sample(s, n, T0_MS + 2000, 9000);
	REQUIRE(store_flush_wait(s, f) == 0);
	REQUIRE((a = store_telemetry(
	             s, n->id, T0_MS, T0_MS + DAY_MS, 60, 100)) != NULL);
	CHECK(json_array_size(a) == 1 &&
	          json_number_value(
	              json_object_get(json_array_get(a, 0), "power_w")) == 9000,
	    "%zu points", json_array_size(a));
	rc = 0;
fail:
	json_decref(a);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* The writer's pipeline (db_pipeline(): PostgreSQL's, nothing on SQLite):
 * a thousand rows sent without waiting are all there after the commit,
 * and a transaction with a failed write does not commit (on PostgreSQL
 * the failure shows at the COMMIT, on SQLite at the step) and leaves no
 * row. */
static int
t_pipeline(void)
{
	struct db *db = NULL;
	struct db_stmt *ins = NULL, *count = NULL;
	int i, failed = 0, rc = -1;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/pipeline", tmpdir);
	if (pg_server == NULL) /* the store makes its folder; db_open not */
		REQUIRE(mkdir(dir, 0700) == 0);
	REQUIRE((db = db_open(db_path("pipeline"), 5000)) != NULL);
	REQUIRE(db_exec(db, "CREATE TABLE p (k BIGINT PRIMARY KEY)") == 0);
	REQUIRE(db_pipeline(db, 1) == 0);
	REQUIRE((ins = db_prepare(db, "INSERT INTO p (k) VALUES (?)")) != NULL);
	REQUIRE((count = db_prepare(db, "SELECT count(*) FROM p")) != NULL);
	REQUIRE(db_exec(db, "BEGIN IMMEDIATE") == 0);
	for (i = 1; i <= 1000; i++) {
		db_bind_int64(ins, 1, i);
		CHECK(db_step(ins) == DB_DONE, "row %d", i);
		db_reset(ins);
	}
	CHECK(db_exec(db, "COMMIT") == 0, "%s", db_errmsg(db));
	CHECK(db_step(count) == DB_ROW && db_column_int(count, 0) == 1000,
	    "%d rows", db_column_int(count, 0));
	db_reset(count);

	REQUIRE(db_exec(db, "BEGIN IMMEDIATE") == 0);
	/* as the store does: a step that fails rolls back, else commit */
	for (i = 2000; i <= 2002 && !failed; i++) { /* 2001 twice */
		db_bind_int64(ins, 1, i == 2002 ? 2001 : i);
		failed = db_step(ins) == -1;
		db_reset(ins);
	}
	if (!failed)
		failed = db_exec(db, "COMMIT") == -1;
	CHECK(failed, "a write that failed was committed");
	if (db_in_transaction(db))
		(void)db_exec(db, "ROLLBACK");
	CHECK(db_step(count) == DB_ROW && db_column_int(count, 0) == 1000,
	    "%d rows after the failed transaction", db_column_int(count, 0));
	rc = 0;
fail:
	db_finalize(ins);
	db_finalize(count);
	db_close(db);
	return rc;
}

/* Cuts the store's session from the server's side, as a failover or a
 * restart of PostgreSQL does: the next call finds it gone. */
static void
cut(struct store *s)
{
	(void)store_exec(s, "SELECT pg_terminate_backend(pg_backend_pid())");
}

/* Tokens: what is stored loads back. Then on PostgreSQL, each load a
 * takeover makes (and a standby's reads) fails when the server cuts it
 * short, rather than give a part for the whole: fewer tokens would sign
 * nobody in, fewer jobs would lose some. */
static int
t_tokens(void)
{
	struct store *s = NULL;
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct auth a = {0};
	struct auth_token t;
	struct jobs jobs = {0};
	struct org org = {0};
	json_t *audit = NULL;
	int i, rc = -1;

	REQUIRE((f = default_fleet(&c)) != NULL);
	REQUIRE((s = store_open(db_path("tokens"))) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	for (i = 0; i < 2; i++) {
		memset(&t, 0, sizeof(t));
		snprintf(t.user, sizeof(t.user), "u%d", i);
		t.role = AUTH_VIEWER;
		t.hash[0] = (unsigned char)(i + 1);
		t.created_ms = 1000 + i;
		REQUIRE(store_put_token(s, &t, "store_test") == 0);
	}
	REQUIRE(store_load_tokens(s, &a) == 0);
	CHECK(a.n == 2 && strcmp(a.tokens[1].user, "u1") == 0 &&
	          a.tokens[1].hash[0] == 2 && a.tokens[1].role == AUTH_VIEWER,
	    "%d tokens", a.n);
	auth_clear(&a);
	if (pg_server != NULL) {
		cut(s);
		CHECK(store_load_tokens(s, &a) == -1,
		    "a read cut short gave %d tokens", a.n);
		cut(s);
		CHECK(store_load_jobs(s, &jobs, f, 10) == -1,
		    "a load cut short gave %d jobs", jobs.n);
		cut(s);
		CHECK(store_load_org(s, &org) == -1,
		    "a load cut short gave %d accounts", org.naccounts);
		cut(s);
		audit = store_audit(s, 0, FOREVER, NULL, NULL, 10);
		CHECK(audit == NULL, "a read cut short gave %zu lines",
		    json_array_size(audit));
		cut(s);
		CHECK(store_read_node_ids(s, f) == -1);
	}
	rc = 0;
fail:
	auth_clear(&a);
	jobs_clear(&jobs);
	org_free(&org);
	json_decref(audit);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

/* lite: the case is about SQLite itself (its file, PRAGMAs, WAL, locks)
 * and does not run on PostgreSQL */
static const struct {
	const char *name;
	int (*fn)(void);
	int lite;
} cases[] = {
    {"migrations and user_version", t_migrations, 1},
    {"drain survives a restart", t_drain_round_trip, 0},
    {"settings: the same value is a no-op", t_settings, 0},
    {"the loop's commits leave checkpoints to the writer", t_checkpoint, 1},
    {"the loop's writes go first while the writer is busy", t_loop_first, 1},
    {"policies", t_policies, 0},
    {"audit filters", t_audit_filters, 0},
    {"jobs inserted and loaded", t_jobs, 0},
    {"an array in whole or not at all", t_array_insert, 0},
    {"job and node attempts", t_attempts, 0},
    {"telemetry partitions and expiry", t_telemetry, 0},
    {"a pipeline's rows, and its failed write", t_pipeline, 0},
    {"tokens, and loads cut short", t_tokens, 0},
};

int
main(void)
{
	size_t i;

	log_init("store_test", LOG_LVL_ERROR);
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "store") == -1)
		return 1;
	pg_server = getenv("POD_TEST_PG");
	if (pg_server == NULL && getenv("POD_TEST_WANT_PG") != NULL) {
		printf("skip: no PostgreSQL server (POD_TEST_PG)\n");
		return 77;
	}
	if (pg_server != NULL && strrchr(pg_server, '/') == NULL)
		pg_server = NULL;
	printf("store_test on %s\n", pg_server ? pg_server : "SQLite");
	for (i = 0; i < NELEM(cases); i++)
		if (pg_server == NULL || !cases[i].lite)
			RUN_CASE(cases[i].name, cases[i].fn());
	tmpdir_remove(tmpdir);
	return check_summary("store_test");
}
