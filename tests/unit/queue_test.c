/*
 * The job queue (controllerd/queue.c) through its public functions, on the
 * least of the controller's state it needs: a fleet of one pod of four
 * 8-accelerator nodes, a store on a temporary SQLite file, the envelope
 * loaded from it, and a libevent base that is only ever run once without
 * blocking (a kicked pass is an active event; no socket is opened).
 * Submissions are normalized or refused with a status and a message (a
 * static table); a pass starts what fits and says why the rest waits; the
 * desired state lists a node's ranks; agents' reports end a job; a cancel
 * ends a pending job once; a lost node requeues a job onto the others; and
 * a new queue on the same database finds every job again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "check.h"
#include "ctlrig.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "jobs.h"
#include "log.h"
#include "queue.h"
#include "pod/wire.h"
#include "store.h"
#include "tenancy.h"
#include "timeutil.h"

static const char conf_text[] = "[controller]\n"
                                "[fabric]\n"
                                "nodes_per_pod = 4\n"
                                "groups_per_pod = 1\n"
                                "accels_per_node = 8\n";

static char tmpdir[] = "/tmp/pod-queue-test-XXXXXX";
static char db[64], conf_path[64];

/* The controller state the queue reads, built and torn down per case. */
static int
ctl_open(struct ctl_state *st)
{
	return ctlrig_open(st, conf_path, db);
}

static void
ctl_close(struct ctl_state *st)
{
	ctlrig_close(st);
}

/* Runs what is pending on the loop (a kicked pass), without waiting. */
static void
run_loop(struct ctl_state *st)
{
	event_base_loop(st->base, EVLOOP_NONBLOCK);
}

/* A submission as the API would pass it on. Caller frees. */
static struct job *
submission(int nnodes, int accels_per_node, int accels_total, int requeue)
{
	struct job *j = job_new();

	if (j == NULL)
		return NULL;
	snprintf(j->name, sizeof(j->name), "%s", "train");
	j->command = strdup("[\"sleep\",\"60\"]");
	j->nnodes = nnodes;
	j->accels_per_node = accels_per_node;
	j->accels_total = accels_total;
	j->within = SCHED_WITHIN_FABRIC;
	j->requeue = requeue;
	snprintf(j->submitted_by, sizeof(j->submitted_by), "%s", "alice");
	return j;
}

/*
 * Submissions. Columns: nodes, accelerators per node and in all as the
 * request gave them (0: not given); then 0 with the normalized nodes,
 * accelerators per node, whether whole nodes, or -1 with the status and
 * the start of the message.
 */
static const struct {
	int nnodes, per_node, total;
	int rc, want_nodes, want_per_node, want_exclusive;
	int status;
	const char *err;
} submit_cases[] = {
    {2, 0, 0, 0, 2, 8, 1, 0, NULL},
    {1, 4, 0, 0, 1, 4, 0, 0, NULL},
    {0, 0, 16, 0, 2, 8, 1, 0, NULL},
    {0, 0, 4, 0, 1, 4, 0, 0, NULL},
    {0, 2, 6, 0, 3, 2, 0, 0, NULL},
    {0, 0, 12, 0, 2, 6, 0, 0, NULL},
    {0, 0, 9, -1, 0, 0, 0, 400,
        "9 accelerators do not split evenly over 2 nodes"},
    {0, 4, 6, -1, 0, 0, 0, 400,
        "accelerators (6) must be a multiple of accels_per_node (4)"},
    {5, 0, 0, -1, 0, 0, 0, 400, NULL},
    {1, 9, 0, -1, 0, 0, 0, 400, NULL},
};

static int
t_submit(void)
{
	struct ctl_state st;
	struct job *j = NULL;
	char err[256];
	size_t i;
	int rc = -1, status, got;

	REQUIRE(ctl_open(&st) == 0);
	for (i = 0; i < NELEM(submit_cases); i++) {
		REQUIRE((j = submission(submit_cases[i].nnodes,
		             submit_cases[i].per_node, submit_cases[i].total,
		             0)) != NULL);
		err[0] = '\0';
		status = 0;
		got = queue_submit(&st, j, err, sizeof(err), &status);
		CHECK(got == submit_cases[i].rc, "case %zu: %d (%s)", i, got,
		    err);
		if (got == 0) {
			CHECK(j->id > 0 && j->state == JOB_PENDING &&
			          j->nnodes == submit_cases[i].want_nodes &&
			          j->accels_per_node ==
			              submit_cases[i].want_per_node &&
			          j->exclusive ==
			              submit_cases[i].want_exclusive &&
			          j->accels_total ==
			              j->nnodes * j->accels_per_node,
			    "case %zu: %d x %d, exclusive %d", i, j->nnodes,
			    j->accels_per_node, j->exclusive);
			CHECK(j->time_limit_s == st.conf->default_time_limit_s,
			    "case %zu: time limit %lld", i,
			    (long long)j->time_limit_s);
			j = NULL; /* the queue's now */
			continue;
		}
		CHECK(status == submit_cases[i].status && err[0] != '\0' &&
		          (submit_cases[i].err == NULL ||
		              strncmp(err, submit_cases[i].err,
		                  strlen(submit_cases[i].err)) == 0),
		    "case %zu: status %d, '%s'", i, status, err);
		job_free(j);
		j = NULL;
	}
	CHECK(st.jobs.n == 6, "%d jobs queued", st.jobs.n);
	rc = 0;
fail:
	job_free(j);
	ctl_close(&st);
	return rc;
}

/* The job ids in node i's desired state, as "id.attempt ..." in buf. */
static const char *
desired_ids(struct ctl_state *st, int i, char *buf, size_t size)
{
	json_t *d = queue_desired(st, &st->fleet->nodes[i]), *e;
	size_t k, len;

	buf[0] = '\0';
	json_array_foreach(json_object_get(d, "jobs"), k, e)
	{
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%lld.%lld", k ? " " : "",
		    (long long)json_integer_value(json_object_get(e, "id")),
		    (long long)json_integer_value(
		        json_object_get(e, "attempt")));
	}
	json_decref(d);
	return buf;
}

/* A report from node `node` that every rank of `j` there ended with
 * exit code `code`. */
static void
report_end(struct ctl_state *st, struct job *j, int node, int code)
{
	struct report_job rj;
	struct report r;

	memset(&r, 0, sizeof(r));
	memset(&rj, 0, sizeof(rj));
	rj.id = j->id;
	rj.attempt = j->attempt;
	rj.state = RJOB_ENDED;
	snprintf(rj.cause, sizeof(rj.cause), "%s", "exit");
	rj.has_exit = 1;
	rj.exit_code = code;
	rj.started_ms = j->start_ms;
	rj.ended_ms = j->start_ms + 1000;
	r.jobs = &rj;
	r.njobs = 1;
	queue_report(st, &st->fleet->nodes[node], &r);
}

static int
t_pass_desired_report(void)
{
	struct ctl_state st;
	struct job *a, *b = NULL, *c = NULL, *loaded = NULL;
	char err[256], ids[128], want[64];
	int status, rc = -1, na, k;
	int64_t cid;
	json_t *d = NULL, *e;

	REQUIRE(ctl_open(&st) == 0);
	REQUIRE((a = submission(3, 0, 0, 0)) != NULL);
	REQUIRE(queue_submit(&st, a, err, sizeof(err), &status) == 0);
	REQUIRE((b = submission(2, 0, 0, 0)) != NULL);
	REQUIRE(queue_submit(&st, b, err, sizeof(err), &status) == 0);
	c = b;
	b = NULL;
	/* The kicked pass runs on the loop: a starts, c waits for nodes. */
	run_loop(&st);
	CHECK(a->state == JOB_RUNNING && a->attempt == 1 && a->nranks == 3,
	    "a: %s", job_state_name(a->state));
	CHECK(c->state == JOB_PENDING && c->reason != NULL &&
	          strcmp(c->reason, "Resources") == 0,
	    "c: %s, %s", job_state_name(c->state),
	    c->reason ? c->reason : "no reason");

	/* Each of a's nodes is told of its rank, the fourth of nothing. */
	snprintf(want, sizeof(want), "%lld.1", (long long)a->id);
	na = 0;
	for (k = 0; k < 4; k++)
		na += strcmp(desired_ids(&st, k, ids, sizeof(ids)), want) == 0;
	CHECK(na == 3, "%d nodes have job a", na);
	d = queue_desired(&st, &st.fleet->nodes[a->ranks[0].node]);
	e = json_array_get(json_object_get(d, "jobs"), 0);
	CHECK(json_integer_value(json_object_get(d, "version")) ==
	      st.fleet->nodes[a->ranks[0].node].desired_version);
	CHECK(json_array_size(json_object_get(e, "accelerators")) == 8 &&
	      json_integer_value(json_object_get(e, "nnodes")) == 3 &&
	      json_integer_value(json_object_get(e, "node_rank")) == 0 &&
	      json_is_false(json_object_get(e, "cancel")));
	CHECK(strcmp(json_string_value(json_object_get(e, "nodelist")),
	          "pod01-n[001-003]") == 0,
	    "nodelist %s", json_string_value(json_object_get(e, "nodelist")));
	json_decref(d);
	d = NULL;

	/* Every rank exits 0: a completes, is stored so, and c starts. */
	for (k = 0; k < a->nranks; k++)
		report_end(&st, a, a->ranks[k].node, 0);
	CHECK(a->state == JOB_COMPLETED, "a: %s", job_state_name(a->state));
	run_loop(&st);
	CHECK(c->state == JOB_RUNNING, "c: %s", job_state_name(c->state));
	REQUIRE((loaded = store_get_job(st.store, a->id, st.fleet)) != NULL);
	CHECK(loaded->state == JOB_COMPLETED && loaded->exit_code == 0);
	job_free(loaded);
	loaded = NULL;

	/* A new queue on the same database finds both (c running). */
	cid = c->id;
	ctl_close(&st);
	REQUIRE(ctl_open(&st) == 0);
	CHECK(st.jobs.n == 2, "%d jobs loaded", st.jobs.n);
	CHECK(queue_job(&st, cid, &loaded) != NULL && loaded == NULL &&
	      jobs_find(&st.jobs, cid)->state == JOB_RUNNING);
	rc = 0;
fail:
	json_decref(d);
	job_free(b);
	job_free(loaded);
	ctl_close(&st);
	return rc;
}

static int
t_cancel(void)
{
	struct ctl_state st;
	struct job *j;
	char err[256];
	int status, rc = -1;

	REQUIRE(ctl_open(&st) == 0);
	/* Five nodes never fit: refused at submission; so take all four and
	 * queue one more behind. */
	REQUIRE((j = submission(4, 0, 0, 0)) != NULL);
	REQUIRE(queue_submit(&st, j, err, sizeof(err), &status) == 0);
	run_loop(&st);
	REQUIRE((j = submission(1, 0, 0, 0)) != NULL);
	REQUIRE(queue_submit(&st, j, err, sizeof(err), &status) == 0);
	run_loop(&st);
	CHECK(j->state == JOB_PENDING);
	CHECK(queue_cancel(&st, j, err, sizeof(err)) == 0, "%s", err);
	CHECK(j->state == JOB_CANCELLED, "%s", job_state_name(j->state));
	err[0] = '\0';
	CHECK(queue_cancel(&st, j, err, sizeof(err)) == -1);
	CHECK(strstr(err, "already ended (cancelled)") != NULL, "'%s'", err);
	rc = 0;
fail:
	ctl_close(&st);
	return rc;
}

static int
t_lost_node_requeues(void)
{
	struct ctl_state st;
	struct job *j;
	char err[256];
	int status, rc = -1, lost, k;

	REQUIRE(ctl_open(&st) == 0);
	REQUIRE((j = submission(2, 0, 0, 1)) != NULL);
	REQUIRE(queue_submit(&st, j, err, sizeof(err), &status) == 0);
	run_loop(&st);
	REQUIRE(j->state == JOB_RUNNING && j->nranks == 2);
	lost = j->ranks[1].node;
	/* The node goes silent: down at once, but its rank is kept until
	 * its agent has fenced it (fence timeout, kill grace, margin). */
	st.fleet->tick_mono_ms = time_mono_ms();
	st.fleet->nodes[lost].up = 0;
	st.fleet->nodes[lost].last_seen_mono_ms = 1;
	st.fleet->nodes[lost].last_seen_watch_ms =
	    time_mono_ms() -
	    (int64_t)(st.conf->fence_timeout_s + st.conf->kill_grace_s) * 1000;
	queue_tick(&st);
	CHECK(j->state == JOB_RUNNING && j->ending == CAUSE_NONE &&
	          j->attempt == 1,
	    "requeued before the agent's fence and margin passed");
	st.fleet->nodes[lost].last_seen_watch_ms -=
	    (int64_t)st.conf->fence_margin_s * 1000 + 1000;
	queue_tick(&st);
	/* Its rank ended node_fail; the other is asked to stop. */
	CHECK(j->state == JOB_RUNNING && j->ending == CAUSE_NODE_FAIL, "%s",
	    job_state_name(j->state));
	for (k = 0; k < j->nranks; k++)
		if (j->ranks[k].node != lost && j->ranks[k].attempt == 1)
			CHECK(job_rank_cancel(j, &j->ranks[k]));
	for (k = 0; k < j->nranks; k++)
		if (j->ranks[k].node != lost && j->ranks[k].attempt == 1)
			report_end(&st, j, j->ranks[k].node, 143);
	/* Requeued, and started again at once on nodes that are up. */
	queue_tick(&st);
	CHECK(j->state == JOB_RUNNING && j->attempt == 2, "%s, attempt %d",
	    job_state_name(j->state), j->attempt);
	for (k = 0; k < j->nranks; k++)
		if (j->ranks[k].attempt == 2)
			CHECK(j->ranks[k].node != lost,
			    "rank %d on the lost node", j->ranks[k].rank);
	rc = 0;
fail:
	ctl_close(&st);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"submissions normalized or refused", t_submit},
    {"pass, desired state, reports, restart", t_pass_desired_report},
    {"cancel a pending job once", t_cancel},
    {"a lost node requeues its job", t_lost_node_requeues},
};

int
main(void)
{
	size_t i;

	log_init("queue_test", LOG_LVL_ERROR);
	if (!CHECK(ctlrig_files(
	               tmpdir, conf_text, conf_path, sizeof(conf_path)) == 0))
		return check_summary("queue_test");
	for (i = 0; i < NELEM(cases); i++) {
		/* each case on a database of its own */
		ctlrig_db(db, sizeof(db), tmpdir, "q", i);
		RUN_CASE(cases[i].name, cases[i].fn());
	}
	ctlrig_clean(tmpdir, "q", NELEM(cases));
	return check_summary("queue_test");
}
