/*
 * Accounting's pure parts and its records in the store: the share of an
 * attempt inside a period (prorating), the record a job's attempt makes
 * in each of its states, and in a temporary store that a record written
 * once ended never changes, that filters select what they say and that
 * pruning drops only what ended before the bound.
 */
#include <sys/stat.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "check.h"
#include "tmpdir.h"
#include "config.h"
#include "fleet.h"
#include "jobs.h"
#include "log.h"
#include "schema.h"
#include "store.h"

#define H_MS 3600000LL
#define T0   1714564800000LL /* 2024-05-01T12:00:00Z */

static char tmpdir[256];

/* Rows: the attempt [start, end), the period [from, to) (0: open), the
 * share of the attempt inside. */
static const struct {
	int64_t start, end, from, to;
	double want;
} shares[] = {
    {T0, T0 + H_MS, 0, 0, 1},                            /* all time */
    {T0, T0 + H_MS, T0 - H_MS, T0 + 2 * H_MS, 1},        /* inside */
    {T0, T0 + H_MS, T0 + H_MS / 2, 0, 0.5},              /* last half */
    {T0, T0 + H_MS, 0, T0 + H_MS / 4, 0.25},             /* first 1/4 */
    {T0, T0 + 4 * H_MS, T0 + H_MS, T0 + 2 * H_MS, 0.25}, /* middle */
    {T0, T0 + H_MS, T0 + H_MS, T0 + 2 * H_MS, 0},        /* just after */
    {T0, T0 + H_MS, T0 - H_MS, T0, 0},                   /* just before */
    {T0, T0, T0 - 1, T0 + 1, 1},                         /* an instant */
    {T0, T0, T0, T0 + 1, 1},                             /* at the start */
    {T0, T0, T0 - 1, T0, 0},                             /* at the end */
};

static int
test_share(void)
{
	size_t i;

	for (i = 0; i < NELEM(shares); i++) {
		double got = acct_share(shares[i].start, shares[i].end,
		    shares[i].from, shares[i].to);

		CHECK(fabs(got - shares[i].want) < 1e-12,
		    "row %zu: %g, want %g", i, got, shares[i].want);
	}
	return 0;
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

static const struct sched_slot two_nodes[] = {{2, 0xff}, {3, 0xff}};

/* Node `node` of j's two is lost (-1: none); the other ranks stop, as
 * their agents would report once told. */
static void
lose_node(struct job *j, int node, int64_t now_ms)
{
	int i;

	if (node >= 0)
		job_node_down(j, node, now_ms);
	for (i = 0; i < j->nranks; i++)
		if (j->ranks[i].state != RANK_ENDED) {
			j->ranks[i].state = RANK_ENDED;
			j->ranks[i].cause = CAUSE_CANCELLED;
			j->ranks[i].signal = 15;
			j->ranks[i].ended_ms = now_ms;
			j->ranks[i].dirty = 1;
		}
	job_settle(j, now_ms);
}

/* A job of two whole nodes, started at T0 with 100 J already spent by an
 * earlier attempt. */
static struct job *
running_job(void)
{
	struct job *j = job_new();

	j->id = 9;
	j->nnodes = 2;
	j->accels_per_node = 8;
	j->accels_total = 16;
	j->requeue = 1;
	j->submit_ms = T0 - H_MS;
	snprintf(j->name, sizeof(j->name), "train");
	j->command = strdup("[\"train\"]");
	snprintf(j->user, sizeof(j->user), "alice");
	j->energy_j = 100;
	job_start(j, two_nodes, 2, T0);
	return j;
}

static int
test_row_from_job(void)
{
	struct config *c = NULL;
	struct fleet *f = default_fleet(&c);
	struct job *j = NULL;
	struct acct_row r;

	REQUIRE(f != NULL);
	/* queued: nothing to record */
	REQUIRE((j = job_new()) != NULL);
	CHECK(acct_row_from_job(j, f, T0, &r) == 0);
	/* cancelled in the queue: attempt 0, an instant at its end */
	CHECK(job_cancel(j, T0) == 0);
	REQUIRE(acct_row_from_job(j, f, T0 + 5, &r) == 1);
	CHECK(
	    r.attempt == 0 && strcmp(r.state, "cancelled") == 0, "%s", r.state);
	CHECK(r.start_ms == 0 && r.end_ms == T0 && r.accel_hours == 0);
	job_free(j);

	/* running, half an hour in: counts up to now */
	j = running_job();
	j->energy_j = 100 + 5000;
	j->peak_power_w = 2400;
	REQUIRE(acct_row_from_job(j, f, T0 + H_MS / 2, &r) == 1);
	CHECK(r.attempt == 1 && strcmp(r.state, "running") == 0);
	CHECK(r.end_ms == 0 && !r.has_exit);
	CHECK(fabs(r.accel_hours - 8) < 1e-9, "%g", r.accel_hours);
	CHECK(fabs(r.energy_j - 5000) < 1e-9, "%g", r.energy_j);
	CHECK(r.peak_power_w == 2400);
	CHECK(strcmp(r.nodes, "pod01-n[003-004]") == 0, "%s", r.nodes);
	CHECK(strcmp(r.user, "alice") == 0 && strcmp(r.account, "root") == 0);
	CHECK(r.nnodes == 2 && r.accels == 16);

	/* a lost node requeues it: the attempt ends as node_fail */
	lose_node(j, 3, T0 + H_MS);
	REQUIRE(j->state == JOB_PENDING);
	REQUIRE(acct_row_from_job(j, f, T0 + 2 * H_MS, &r) == 1);
	CHECK(strcmp(r.state, "node_fail") == 0, "%s", r.state);
	CHECK(
	    strcmp(r.reason, "lost pod01-n004; requeued") == 0, "%s", r.reason);
	CHECK(r.end_ms > 0 && !r.has_exit);

	/* attempt 2 starts from the energy spent so far */
	job_start(j, two_nodes, 2, T0 + 3 * H_MS);
	REQUIRE(acct_row_from_job(j, f, T0 + 3 * H_MS, &r) == 1);
	CHECK(r.attempt == 2 && r.energy_j == 0, "%g", r.energy_j);
	CHECK(isnan(r.peak_power_w));

	/* preempted for another job: its own state, requeued */
	REQUIRE(job_preempt(j) == 0);
	lose_node(j, -1, T0 + 4 * H_MS);
	REQUIRE(j->state == JOB_PENDING);
	REQUIRE(acct_row_from_job(j, f, T0 + 4 * H_MS, &r) == 1);
	CHECK(r.attempt == 2 && strcmp(r.state, ACCT_PREEMPTED) == 0, "%s",
	    r.state);
	CHECK(strcmp(r.reason, "preempted; requeued") == 0, "%s", r.reason);
	job_free(j);
	j = NULL;
fail:
	job_free(j);
	fleet_free(f);
	config_free(c);
	return 0;
}

static int
collect(const struct acct_row *r, void *arg)
{
	struct acct_row *v = arg;
	int i;

	for (i = 0; v[i].job_id != 0; i++)
		;
	if (i >= 7)
		return -1;
	v[i] = *r;
	return 0;
}

/* The rows f selects, their count; v has room for 8 (zeroed here). */
static int
select_rows(struct store *s, struct acct_filter *f, struct acct_row *v)
{
	int n;

	memset(v, 0, 8 * sizeof(*v));
	if (store_acct_each(s, f, collect, v) == -1)
		return -1;
	for (n = 0; v[n].job_id != 0; n++)
		;
	return n;
}

static int
test_store(void)
{
	char path[512];
	struct config *c = NULL;
	struct fleet *f = default_fleet(&c);
	struct store *s = NULL;
	struct job *j = running_job(), *k = running_job();
	struct acct_row v[8], r;
	struct acct_filter flt;

	snprintf(path, sizeof(path), "%s/acct/ctl.db", tmpdir);
	REQUIRE(f != NULL && (s = store_open(path)) != NULL);
	REQUIRE(store_load_fleet(s, f) == 0);
	j->id = 0;
	k->id = 0;
	snprintf(k->user, sizeof(k->user), "bob");
	REQUIRE(store_insert_job(s, j) == 0 && store_insert_job(s, k) == 0);
	j->dirty = k->dirty = 1;
	REQUIRE(store_put_jobs(s, (struct job *[]){j, k}, 2, f) == 0);
	REQUIRE(store_acct_get(s, j->id, 1, &r) == 1);
	CHECK(strcmp(r.state, "running") == 0);

	/* j's attempt ends; written again later, its record stays */
	lose_node(j, 2, T0 + H_MS);
	REQUIRE(store_put_jobs(s, &j, 1, f) == 0);
	REQUIRE(store_acct_get(s, j->id, 1, &r) == 1);
	CHECK(strcmp(r.state, "node_fail") == 0 && r.end_ms == T0 + H_MS);
	CHECK(
	    strcmp(r.reason, "lost pod01-n003; requeued") == 0, "%s", r.reason);
	j->dirty = 1;
	REQUIRE(job_cancel(j, T0 + 2 * H_MS) == 0);
	REQUIRE(store_put_jobs(s, &j, 1, f) == 0);
	REQUIRE(store_acct_get(s, j->id, 1, &r) == 1);
	CHECK(strcmp(r.state, "node_fail") == 0 && r.end_ms == T0 + H_MS);

	/* filters */
	memset(&flt, 0, sizeof(flt));
	flt.now_ms = T0 + 2 * H_MS;
	CHECK(select_rows(s, &flt, v) == 2);
	flt.users[flt.nusers++] = "bob";
	CHECK(select_rows(s, &flt, v) == 1 && v[0].job_id == k->id);
	flt.nusers = 0;
	flt.states[flt.nstates++] = "node_fail";
	CHECK(select_rows(s, &flt, v) == 1 && v[0].job_id == j->id);
	flt.nstates = 0;
	flt.from_ms = T0 + H_MS; /* j ended then; k still runs */
	CHECK(select_rows(s, &flt, v) == 1 && v[0].job_id == k->id);
	flt.from_ms = 0;
	flt.to_ms = T0; /* both started then: not before */
	CHECK(select_rows(s, &flt, v) == 0);
	flt.to_ms = 0;
	flt.jobs[flt.njobs++] = j->id;
	CHECK(select_rows(s, &flt, v) == 1 && v[0].job_id == j->id);

	/* pruning: only what ended before the bound, never a running one */
	CHECK(store_acct_prune(s, T0 + H_MS) == 0);
	CHECK(store_acct_prune(s, T0 + 100 * H_MS) == 1);
	CHECK(store_acct_get(s, j->id, 1, &r) == 0);
	CHECK(store_acct_get(s, k->id, 1, &r) == 1);
fail:
	job_free(j);
	job_free(k);
	store_close(s);
	fleet_free(f);
	config_free(c);
	return 0;
}

/* Jobs of a database from before accounting, as rows of its jobs table:
 * the migration gives each its last attempt's record. */
static const char old_jobs[] =
    "INSERT INTO pods (name, nodes_total, groups_total, accels_per_node,"
    " power_budget_w, cooling_capacity_w) VALUES ('pod01', 2, 1, 8, 1e4,"
    " 1e4);"
    "INSERT INTO nodes (id, name, pod, grp) VALUES (1, 'pod01-n001',"
    " 'pod01', 'g01'), (2, 'pod01-n002', 'pod01', 'g01');"
    "INSERT INTO jobs (id, name, command, nnodes, accels_per_node,"
    " accels_total, exclusive, within, time_limit_s, priority, requeue,"
    " state, attempt, submit_ms, start_ms, end_ms, exit_code, energy_j,"
    " submitted_by, user, account) VALUES"
    " (1, 'done', '[]', 2, 8, 16, 1, 'pod', 60, 0, 1, 'completed', 1,"
    " 1000, 2000, 3602000, 0, 5000, 'alice', 'alice', 'physics'),"
    " (2, 'queued', '[]', 1, 8, 8, 1, 'pod', 60, 0, 1, 'cancelled', 0,"
    " 1000, NULL, 1500, NULL, NULL, 'bob', '', ''),"
    " (3, 'runs', '[]', 1, 8, 8, 1, 'pod', 60, 0, 1, 'running', 2,"
    " 1000, 9000, NULL, NULL, 700, 'bob', 'bob', ''),"
    " (4, 'waits', '[]', 1, 8, 8, 1, 'pod', 60, 0, 1, 'pending', 0,"
    " 1000, NULL, NULL, NULL, NULL, 'bob', 'bob', '');"
    "INSERT INTO job_ranks (job_id, attempt, rank, node_id, accel_mask,"
    " state) VALUES (1, 1, 0, 1, 255, 'ended'), (1, 1, 1, 2, 255, 'ended'),"
    " (3, 1, 0, 1, 255, 'ended'), (3, 2, 0, 2, 255, 'running');";

static int
test_migration(void)
{
	char path[512], sql[64], *err = NULL;
	sqlite3 *db = NULL;
	struct store *s = NULL;
	struct acct_row r;
	int i;

	snprintf(path, sizeof(path), "%s/acct-migrate.db", tmpdir);
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	for (i = 0; i < schema_nmigrations && schema_migrations[i].version < 10;
	     i++) {
		REQUIRE(sqlite3_exec(db, schema_migrations[i].sql, NULL, NULL,
		            NULL) == SQLITE_OK,
		    "%s", schema_migrations[i].file);
		/* the version is an integer */
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    schema_migrations[i].version);
		REQUIRE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	}
	i = sqlite3_exec(db, old_jobs, NULL, NULL, &err);
	REQUIRE(i == SQLITE_OK, "%d %s", i, err);
	sqlite3_close(db);
	db = NULL;
	REQUIRE((s = store_open(path)) != NULL);
	REQUIRE(store_acct_get(s, 1, 1, &r) == 1);
	CHECK(strcmp(r.state, "completed") == 0 && r.has_exit &&
	      r.exit_code == 0);
	CHECK(strcmp(r.nodes, "pod01-n001,pod01-n002") == 0 ||
	          strcmp(r.nodes, "pod01-n002,pod01-n001") == 0,
	    "%s", r.nodes);
	CHECK(
	    strcmp(r.account, "physics") == 0 && strcmp(r.user, "alice") == 0);
	CHECK(fabs(r.accel_hours - 16) < 1e-9 && r.energy_j == 5000);
	REQUIRE(store_acct_get(s, 2, 0, &r) == 1);
	CHECK(strcmp(r.state, "cancelled") == 0 && r.start_ms == 0 &&
	      r.end_ms == 1500);
	CHECK(strcmp(r.user, "bob") == 0 && strcmp(r.account, "root") == 0);
	REQUIRE(store_acct_get(s, 3, 2, &r) == 1);
	CHECK(strcmp(r.state, "running") == 0 && r.end_ms == 0);
	CHECK(isnan(r.energy_j) && strcmp(r.nodes, "pod01-n002") == 0);
	CHECK(store_acct_get(s, 3, 1, &r) == 0);
	CHECK(store_acct_get(s, 4, 0, &r) == 0);
fail:
	sqlite3_free(err);
	if (db != NULL)
		sqlite3_close(db);
	store_close(s);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"migration", test_migration},
    {"share", test_share},
    {"row_from_job", test_row_from_job},
    {"store", test_store},
};

int
main(void)
{
	size_t i;

	log_init("acct_test", LOG_LVL_ERROR);
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "acct") == -1)
		return 1;
	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	tmpdir_remove(tmpdir);
	return check_summary("acct_test");
}
