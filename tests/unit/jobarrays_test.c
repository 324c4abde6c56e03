/*
 * Job arrays and dependencies in the controller (controllerd/arrays.c,
 * controllerd/jobdeps.c) on the least of its state they need, as
 * queue_test does: a fleet of one pod of four 8-accelerator nodes, a store
 * on a temporary SQLite file, an event base never run. Arrays: specs taken
 * or refused (the size cap from the config), one stored row per task with
 * the array's id, a new queue on the same database finding them all, the
 * listing collapsed or expanded, references "A_T", and an array's cancel.
 * Dependencies: refusals at submit, the normal form, and the hold reason
 * as the jobs named change state, from memory and from the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "arrays.h"
#include "check.h"
#include "ctlrig.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "jobdeps.h"
#include "jobs.h"
#include "log.h"
#include "queue.h"
#include "store.h"
#include "tenancy.h"
#include "timeutil.h"

static const char conf_text[] = "[controller]\n"
                                "[scheduler]\n"
                                "max_array_size = 100\n"
                                "[fabric]\n"
                                "nodes_per_pod = 4\n"
                                "groups_per_pod = 1\n"
                                "accels_per_node = 8\n";

static char tmpdir[] = "/tmp/pod-jobarrays-test-XXXXXX";
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

/* A one-accelerator submission named `name`. Caller frees. */
static struct job *
submission(const char *name, const char *array, const char *dependency)
{
	struct job *j = job_new();

	if (j == NULL)
		return NULL;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->command = strdup("[\"true\"]");
	j->accels_total = 1;
	snprintf(j->submitted_by, sizeof(j->submitted_by), "alice");
	snprintf(j->user, sizeof(j->user), "alice");
	snprintf(j->array_spec, sizeof(j->array_spec), "%s", array);
	snprintf(j->dependency, sizeof(j->dependency), "%s", dependency);
	return j;
}

/* Array submissions: spec; then the tasks and the text of the listing's
 * entry, or the HTTP status and a part of the refusal. */
static const struct {
	const char *spec;
	int tasks;
	const char *listed;
	int status;
	const char *err;
} array_cases[] = {
    {"0-9%3", 10, "0-9%3", 0, NULL},
    {"1,3,5-7", 5, "1,3,5-7", 0, NULL},
    {"0-15:4", 4, "0,4,8,12", 0, NULL},
    {"0-99", 100, "0-99", 0, NULL},
    {"0-100", 0, NULL, 400, "more than 100 tasks"},
    {"0-100", 0, NULL, 400, "[scheduler] max_array_size"},
    {"0-9x", 0, NULL, 400, "array '0-9x': unexpected 'x' at 4"},
};

static int
t_array_submit(void)
{
	struct ctl_state st;
	struct job *j = NULL, *t, *v[100];
	char err[256];
	json_t *reply, *list;
	size_t i;
	int rc = -1, status, k, n, total = 0;

	REQUIRE(ctl_open(&st) == 0);
	for (i = 0; i < NELEM(array_cases); i++) {
		REQUIRE(
		    (j = submission("sweep", array_cases[i].spec, "")) != NULL);
		err[0] = '\0';
		reply = arrays_submit(&st, j, err, sizeof(err), &status);
		if (array_cases[i].err != NULL) {
			CHECK(reply == NULL && status == array_cases[i].status,
			    "case %zu: status %d", i, status);
			CHECK(strstr(err, array_cases[i].err) != NULL,
			    "case %zu: '%s'", i, err);
			job_free(j);
			j = NULL;
			continue;
		}
		if (!CHECK(reply != NULL, "case %zu: %s", i, err)) {
			job_free(j);
			j = NULL;
			continue;
		}
		total += array_cases[i].tasks;
		CHECK(json_integer_value(json_object_get(reply, "tasks")) ==
		              array_cases[i].tasks &&
		          json_integer_value(json_object_get(
		              reply, "array_job_id")) == j->id &&
		          j->array_job_id == j->id,
		    "case %zu", i);
		/* the tasks: the ids after the first, each its own task */
		for (k = 0; k < array_cases[i].tasks; k++) {
			t = jobs_find(&st.jobs, j->id + k);
			CHECK(
			    t != NULL && t->array_job_id == j->id &&
			        t->state == JOB_PENDING &&
			        arrays_task(&st, j->id, t->array_task_id) == t,
			    "case %zu: task %d", i, k);
		}
		for (k = n = 0; k < st.jobs.n; k++)
			if (st.jobs.v[k]->array_job_id == j->id)
				v[n++] = st.jobs.v[k];
		list = arrays_list_json(&st, v, n, 0);
		CHECK(list != NULL &&
		          strcmp(json_string_value(json_object_get(
		                     json_array_get(list, 0), "array")),
		              array_cases[i].listed) == 0,
		    "case %zu", i);
		json_decref(list);
		json_decref(reply);
		j = NULL; /* the queue's now */
	}
	CHECK(st.jobs.n == total, "%d jobs, %d tasks", st.jobs.n, total);
	ctl_close(&st);
	/* a new queue finds every task, with its array */
	REQUIRE(ctl_open(&st) == 0);
	CHECK(st.jobs.n == total, "%d jobs after a restart", st.jobs.n);
	CHECK(arrays_task(&st, 1, 9) != NULL &&
	          arrays_task(&st, 1, 9)->array_max == 3 &&
	          arrays_task(&st, 11, 7) != NULL &&
	          arrays_task(&st, 11, 2) == NULL,
	    "tasks reloaded");
	CHECK(store_find_task(st.store, 11, 7) == 15 &&
	          store_find_task(st.store, 11, 2) == 0,
	    "tasks in the store");
	rc = 0;
fail:
	job_free(j);
	ctl_close(&st);
	return rc;
}

/* The listing: pending tasks of two arrays as one entry each, at the place
 * of their first task; running tasks and other jobs one each; expanded,
 * every job. */
static int
t_list(void)
{
	struct ctl_state st;
	struct job *v[64];
	json_t *reply = NULL, *list = NULL, *e;
	char err[256];
	int rc = -1, status, i, n = 0;

	REQUIRE(ctl_open(&st) == 0);
	REQUIRE((v[0] = submission("a", "0-4%2", "")) != NULL);
	REQUIRE((reply = arrays_submit(&st, v[0], err, sizeof(err), &status)) !=
	        NULL);
	json_decref(reply);
	REQUIRE((v[0] = submission("one", "", "")) != NULL);
	REQUIRE(queue_submit(&st, v[0], err, sizeof(err), &status) == 0);
	REQUIRE((v[0] = submission("b", "7,9", "")) != NULL);
	REQUIRE((reply = arrays_submit(&st, v[0], err, sizeof(err), &status)) !=
	        NULL);
	json_decref(reply);
	/* task 1 of the first array runs: listed on its own */
	jobs_find(&st.jobs, 2)->state = JOB_RUNNING;
	for (i = 0; i < st.jobs.n; i++)
		v[n++] = st.jobs.v[i];
	REQUIRE((list = arrays_list_json(&st, v, n, 0)) != NULL);
	CHECK(json_array_size(list) == 4, "%zu entries", json_array_size(list));
	e = json_array_get(list, 0);
	CHECK(json_integer_value(json_object_get(e, "id")) == 1 &&
	          strcmp(json_string_value(json_object_get(e, "array")),
	              "0,2-4%2") == 0 &&
	          json_integer_value(
	              json_object_get(e, "array_tasks_pending")) == 4 &&
	          json_is_null(json_object_get(e, "array_task_id")),
	    "the first array's pending tasks");
	e = json_array_get(list, 1);
	CHECK(
	    json_integer_value(json_object_get(e, "id")) == 2 &&
	        json_integer_value(json_object_get(e, "array_task_id")) == 1 &&
	        json_object_get(e, "array") == NULL,
	    "its running task");
	e = json_array_get(list, 3);
	CHECK(
	    strcmp(json_string_value(json_object_get(e, "array")), "7,9") == 0,
	    "the second array");
	json_decref(list);
	REQUIRE((list = arrays_list_json(&st, v, n, 1)) != NULL);
	CHECK(json_array_size(list) == (size_t)n, "expanded: %zu",
	    json_array_size(list));
	rc = 0;
fail:
	json_decref(list);
	ctl_close(&st);
	return rc;
}

/* References of the API: text, then 0 with id and task, or -1. */
static const struct {
	const char *text;
	int rc;
	long long id;
	int task;
} refs[] = {
    {"123", 0, 123, -1},
    {"123_7", 0, 123, 7},
    {"123_0", 0, 123, 0},
    {"0", -1, 0, 0},
    {"123_", -1, 0, 0},
    {"_7", -1, 0, 0},
    {"12a", -1, 0, 0},
    {"123_7_1", -1, 0, 0},
    {"123_-1", -1, 0, 0},
    {"", -1, 0, 0},
    {"1_1000000000", -1, 0, 0},
};

static int
t_refs(void)
{
	int64_t id;
	size_t i;
	int task;

	for (i = 0; i < NELEM(refs); i++) {
		int rc = arrays_parse_ref(refs[i].text, &id, &task);

		CHECK(rc == refs[i].rc, "row %zu: %d", i, rc);
		CHECK(rc != 0 || (id == refs[i].id && task == refs[i].task),
		    "row %zu", i);
	}
	return 0;
}

/* Cancelling array 1 cancels its tasks that have not ended, in one go. */
static int
t_cancel(void)
{
	struct ctl_state st;
	struct job *j;
	json_t *reply;
	char err[256];
	int rc = -1, status, n, i;

	REQUIRE(ctl_open(&st) == 0);
	REQUIRE((j = submission("a", "0-5", "")) != NULL);
	REQUIRE(
	    (reply = arrays_submit(&st, j, err, sizeof(err), &status)) != NULL);
	json_decref(reply);
	REQUIRE(
	    queue_cancel(&st, arrays_task(&st, 1, 2), err, sizeof(err)) == 0);
	CHECK(
	    arrays_cancel(&st, 1, &n, err, sizeof(err), &status) == 0 && n == 5,
	    "%d cancelled: %s", n, err);
	for (i = 0; i < st.jobs.n; i++)
		CHECK(st.jobs.v[i]->state == JOB_CANCELLED, "job %d", i);
	CHECK(arrays_cancel(&st, 1, &n, err, sizeof(err), &status) == -1 &&
	          status == 409,
	    "again: %d", status);
	rc = 0;
fail:
	ctl_close(&st);
	return rc;
}

/* Dependencies at submit: text; then the normal form, or a part of the
 * refusal. Jobs 1 (plain) and 2-4 (array 2, tasks 0-2) exist. */
static const struct {
	const char *text;
	const char *normal;
	const char *err;
} admits[] = {
    {"afterok:2,afterany:1", "afterany:1,afterok:2", NULL},
    {"afterok:2_1:1", "afterok:1:2_1", NULL},
    {"afterok:3", "afterok:3", NULL},
    {"singleton", "singleton", NULL},
    {"", "", NULL},
    {"afterok:99", NULL, "dependency on job 99: no such job"},
    {"afterok:2_5", NULL, "dependency on job 2_5: no such job"},
    {"afterok:1?afterok:2", NULL, "unexpected '?' at 10"},
    {"before:1", NULL, "unknown kind 'before' at 1"},
};

/*
 * Holds: the state given to job 1 and to the tasks of array 2; then the
 * dependency of a new job and the reason jobdeps_hold() gives (NULL: it
 * may go).
 */
static const struct {
	enum job_state one, tasks[3];
	const char *dep;
	const char *want;
} holds[] = {
    {JOB_PENDING, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "afterok:1",
        "Dependency"},
    {JOB_COMPLETED, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "afterok:1", NULL},
    {JOB_FAILED, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "afterok:1",
        "DependencyNeverSatisfied"},
    {JOB_FAILED, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "afternotok:1", NULL},
    {JOB_COMPLETED, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "afternotok:1",
        "DependencyNeverSatisfied"},
    {JOB_CANCELLED, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "afterany:1",
        NULL},
    {JOB_COMPLETED, {JOB_COMPLETED, JOB_RUNNING, JOB_COMPLETED}, "afterok:2",
        "Dependency"},
    {JOB_COMPLETED, {JOB_COMPLETED, JOB_COMPLETED, JOB_COMPLETED}, "afterok:2",
        NULL},
    {JOB_COMPLETED, {JOB_COMPLETED, JOB_RUNNING, JOB_COMPLETED}, "afterok:2_2",
        NULL},
    {JOB_COMPLETED, {JOB_TIMEOUT, JOB_COMPLETED, JOB_COMPLETED}, "afterok:2",
        "DependencyNeverSatisfied"},
    {JOB_RUNNING, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "after:1", NULL},
    /* job 1 is named "x" as the new job: running, it holds a singleton */
    {JOB_RUNNING, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "singleton",
        "Dependency"},
    {JOB_COMPLETED, {JOB_PENDING, JOB_PENDING, JOB_PENDING}, "singleton", NULL},
};

static int
t_dependencies(void)
{
	struct ctl_state st;
	struct job *j = NULL, *dep = NULL;
	json_t *reply;
	char err[256];
	size_t i;
	int rc = -1, status, k;

	REQUIRE(ctl_open(&st) == 0);
	REQUIRE((j = submission("x", "", "")) != NULL);
	REQUIRE(queue_submit(&st, j, err, sizeof(err), &status) == 0);
	REQUIRE((j = submission("y", "0-2", "")) != NULL);
	REQUIRE(
	    (reply = arrays_submit(&st, j, err, sizeof(err), &status)) != NULL);
	json_decref(reply);
	j = NULL;
	for (i = 0; i < NELEM(admits); i++) {
		REQUIRE((dep = submission("d", "", admits[i].text)) != NULL);
		err[0] = '\0';
		k = jobdeps_admit(&st, dep, err, sizeof(err), &status);
		if (admits[i].err != NULL)
			CHECK(k == -1 && status == 400 &&
			          strstr(err, admits[i].err) != NULL,
			    "admit %zu: '%s'", i, err);
		else
			CHECK(k == 0 && strcmp(dep->dependency,
			                    admits[i].normal) == 0,
			    "admit %zu: '%s' %s", i, dep->dependency, err);
		job_free(dep);
		dep = NULL;
	}
	for (i = 0; i < NELEM(holds); i++) {
		const char *got;

		for (k = 0; k < 4; k++) {
			struct job *t = jobs_find(&st.jobs, 1 + k);

			t->state =
			    k == 0 ? holds[i].one : holds[i].tasks[k - 1];
			t->attempt = t->state != JOB_PENDING;
		}
		REQUIRE((dep = submission("x", "", holds[i].dep)) != NULL);
		REQUIRE(
		    jobdeps_admit(&st, dep, err, sizeof(err), &status) == 0);
		got = jobdeps_hold(&st, dep);
		CHECK((got == NULL && holds[i].want == NULL) ||
		          (got != NULL && holds[i].want != NULL &&
		              strcmp(got, holds[i].want) == 0),
		    "hold %zu: %s", i, got ? got : "none");
		job_free(dep);
		dep = NULL;
	}
	rc = 0;
fail:
	job_free(j);
	job_free(dep);
	ctl_close(&st);
	return rc;
}

/* A job that has left memory is judged from the store. */
static int
t_from_store(void)
{
	struct ctl_state st;
	struct job *j = NULL, *dep = NULL;
	char err[256];
	int rc = -1, status;

	REQUIRE(ctl_open(&st) == 0);
	REQUIRE((j = submission("x", "", "")) != NULL);
	REQUIRE(queue_submit(&st, j, err, sizeof(err), &status) == 0);
	j->state = JOB_FAILED;
	j->end_ms = time_wall_ms();
	j->dirty = 1;
	REQUIRE(store_put_jobs(st.store, &j, 1, st.fleet) == 0);
	jobs_remove(&st.jobs, j);
	j = NULL;
	REQUIRE((dep = submission("d", "", "afternotok:1")) != NULL);
	REQUIRE(jobdeps_admit(&st, dep, err, sizeof(err), &status) == 0);
	CHECK(jobdeps_hold(&st, dep) == NULL, "afternotok on a failed job");
	snprintf(dep->dependency, sizeof(dep->dependency), "afterok:1");
	CHECK(
	    jobdeps_hold(&st, dep) != NULL &&
	        strcmp(jobdeps_hold(&st, dep), "DependencyNeverSatisfied") == 0,
	    "afterok on a failed job");
	rc = 0;
fail:
	job_free(j);
	job_free(dep);
	ctl_close(&st);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"arrays submitted, stored, reloaded", t_array_submit},
    {"pending tasks listed as one entry", t_list},
    {"references A and A_T", t_refs},
    {"an array's cancel", t_cancel},
    {"dependencies admitted and judged", t_dependencies},
    {"dependencies judged from the store", t_from_store},
};

int
main(void)
{
	size_t i;

	log_init("jobarrays_test", LOG_LVL_ERROR);
	if (!CHECK(ctlrig_files(
	               tmpdir, conf_text, conf_path, sizeof(conf_path)) == 0))
		return check_summary("jobarrays_test");
	for (i = 0; i < NELEM(cases); i++) {
		/* each case on a database of its own */
		ctlrig_db(db, sizeof(db), tmpdir, "a", i);
		RUN_CASE(cases[i].name, cases[i].fn());
	}
	ctlrig_clean(tmpdir, "a", NELEM(cases));
	return check_summary("jobarrays_test");
}
