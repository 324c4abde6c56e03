/*
 * The REST API's job handlers: submit (every member validated, then the
 * queue normalizes and stores it), list, show and cancel. Routed by the
 * table in api.c.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "alarms.h"
#include "api.h"
#include "arrays.h"
#include "apireq.h"
#include "auth.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "names.h"
#include "policy.h"
#include "queue.h"
#include "store.h"
#include "timeutil.h"

/* ---- jobs ---- */

/* Members a submission may have; anything else is refused. */
static const char *const submit_members[] = {"name", "command", "nodes",
    "accelerators", "accels_per_node", "time_limit_s", "priority", "within",
    "policy", "requeue", "power_per_accel_w", "allow_capped", "chdir", "output",
    "error", "account", "qos", "partition", "reservation", "dependency",
    "array", NULL};

/* The text members of a submission that name things or say what a job
 * waits for, and where they go in struct job; their meaning is checked
 * where the submission is admitted (queue_submit()). */
static const struct {
	const char *key;
	size_t off;  /* in struct job */
	size_t size; /* of that buffer */
} text_members[] = {
    {"account", offsetof(struct job, account), JOB_TAG_MAX},
    {"qos", offsetof(struct job, qos), JOB_TAG_MAX},
    {"partition", offsetof(struct job, partition), JOB_TAG_MAX},
    {"reservation", offsetof(struct job, reservation), JOB_TAG_MAX},
    {"dependency", offsetof(struct job, dependency), JOB_DEP_MAX},
    {"array", offsetof(struct job, array_spec),
        sizeof(((struct job *)0)->array_spec)},
};

/* The path members of a submission and where they go in struct job. */
static const struct {
	const char *key;
	size_t off; /* of a JOB_PATH_MAX buffer in struct job */
} path_members[] = {
    {"chdir", offsetof(struct job, workdir)},
    {"output", offsetof(struct job, output)},
    {"error", offsetof(struct job, errout)},
};

/* Reads an optional integer member in [min, max] into *out: 1 read, 0
 * absent, -1 bad (err says why). */
static int
member_int(json_t *body, const char *key, long long min, long long max,
    long long *out, char *err, size_t errlen)
{
	int rc = jsonx_integer(body, key, out, err, errlen);

	if (rc == 1 && (*out < min || *out > max)) {
		snprintf(
		    err, errlen, "'%s' must be %lld to %lld", key, min, max);
		return -1;
	}
	return rc;
}

int
api_job_parse(const struct config *conf, json_t *body, struct job *j, char *err,
    size_t errlen)
{
	const char *key, *s = NULL;
	json_t *v, *cmd;
	long long nodes = 0, accels = 0, per = 0, limit = 0, prio = 0;
	size_t i;
	int k, rn, ra, rt, w, requeue;

	if (!json_is_object(body)) {
		snprintf(err, errlen, "a job must be a JSON object");
		return -1;
	}
	json_object_foreach(body, key, v)
	{
		for (k = 0; submit_members[k] != NULL; k++)
			if (strcmp(key, submit_members[k]) == 0)
				break;
		if (submit_members[k] == NULL) {
			snprintf(err, errlen, "unknown member '%s'", key);
			return -1;
		}
	}
	cmd = json_object_get(body, "command");
	if (!json_is_array(cmd) || json_array_size(cmd) == 0 ||
	    json_array_size(cmd) > 1024) {
		snprintf(err, errlen,
		    "'command' must be a non-empty array of strings");
		return -1;
	}
	json_array_foreach(cmd, i, v)
	{
		if (!json_is_string(v) ||
		    (i == 0 && json_string_length(v) == 0) ||
		    json_string_length(v) > 4096 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			snprintf(err, errlen,
			    "command[%zu] must be a string of at most 4096 "
			    "bytes without NUL, the first not empty",
			    i);
			return -1;
		}
	}
	if ((j->command = json_dumps(cmd, JSON_COMPACT)) == NULL ||
	    strlen(j->command) > JOB_COMMAND_MAX) {
		snprintf(
		    err, errlen, "'command' is over %d bytes", JOB_COMMAND_MAX);
		return -1;
	}
	if ((rn = member_int(body, "nodes", 1, 100000, &nodes, err, errlen)) ==
	        -1 ||
	    (ra = member_int(body, "accelerators", 1, 6400000, &accels, err,
	         errlen)) == -1 ||
	    member_int(body, "accels_per_node", 1, 64, &per, err, errlen) ==
	        -1 ||
	    (rt = member_int(body, "time_limit_s", 1, 366 * 86400LL, &limit,
	         err, errlen)) == -1 ||
	    member_int(
	        body, "priority", -1000000, 1000000, &prio, err, errlen) == -1)
		return -1;
	if (rn + ra != 1) {
		snprintf(err, errlen,
		    "give exactly one of 'nodes' and 'accelerators'");
		return -1;
	}
	j->nnodes = (int)nodes;
	j->accels_total = (int)accels;
	j->accels_per_node = (int)per;
	/* no limit given: 0, for the partition's default or the
	 * scheduler's at admission (queue_submit()) */
	if (rt == 1 && limit > conf->max_time_limit_s) {
		snprintf(err, errlen,
		    "'time_limit_s' is %lld s; this controller allows at most "
		    "%d s ([scheduler] max_time_limit_s)",
		    limit, conf->max_time_limit_s);
		return -1;
	}
	j->time_limit_s = limit;
	j->priority = prio;
	switch (jsonx_string(body, "within", &s, err, errlen)) {
	case -1:
		return -1;
	case 1:
		if ((w = job_within_parse(s)) < 0) {
			snprintf(err, errlen,
			    "'within' must be group, pod or fabric");
			return -1;
		}
		j->within = w;
	}
	s = NULL;
	if (jsonx_string(body, "policy", &s, err, errlen) == -1)
		return -1;
	if (s != NULL) {
		struct policy ok;

		if (policy_check(s, NULL, 0, &ok, err, errlen) == -1)
			return -1;
	}
	snprintf(j->policy, sizeof(j->policy), "%s", s ? s : "");
	if ((k = jsonx_bool(body, "requeue", &requeue, err, errlen)) == -1)
		return -1;
	if (k == 1)
		j->requeue = requeue;
	if (jsonx_bool(body, "allow_capped", &j->allow_capped, err, errlen) ==
	    -1)
		return -1;
	k = jsonx_number(
	    body, "power_per_accel_w", &j->power_per_accel_w, err, errlen);
	if (k == -1 || (k == 1 && (j->power_per_accel_w < 1 ||
	                              j->power_per_accel_w > 10000))) {
		snprintf(err, errlen, "'power_per_accel_w' must be 1 to 10000");
		return -1;
	}
	s = NULL;
	if (jsonx_string(body, "name", &s, err, errlen) == -1)
		return -1;
	if (s == NULL) {
		s = strrchr(json_string_value(json_array_get(cmd, 0)), '/');
		s = s ? s + 1 : json_string_value(json_array_get(cmd, 0));
	}
	if (*s == '\0' || strlen(s) >= sizeof(j->name)) {
		snprintf(err, errlen,
		    "'name' must be 1 to %zu printable characters",
		    sizeof(j->name) - 1);
		return -1;
	}
	if (api_text_check("name", s, err, errlen) == -1)
		return -1;
	snprintf(j->name, sizeof(j->name), "%s", s);
	for (i = 0; i < sizeof(path_members) / sizeof(path_members[0]); i++) {
		char *buf = (char *)j + path_members[i].off;

		s = NULL;
		if (jsonx_string(body, path_members[i].key, &s, err, errlen) ==
		    -1)
			return -1;
		if (s != NULL &&
		    (strlen(s) >= JOB_PATH_MAX ||
		        strlen(s) != json_string_length(json_object_get(
		                         body, path_members[i].key)) ||
		        !api_printable(s))) {
			snprintf(err, errlen,
			    "'%s' must be a path of at most %d printable "
			    "characters",
			    path_members[i].key, JOB_PATH_MAX - 1);
			return -1;
		}
		snprintf(buf, JOB_PATH_MAX, "%s", s ? s : "");
	}
	for (i = 0; i < sizeof(text_members) / sizeof(text_members[0]); i++) {
		char *buf = (char *)j + text_members[i].off;

		s = NULL;
		if (jsonx_string(body, text_members[i].key, &s, err, errlen) ==
		    -1)
			return -1;
		if (s != NULL &&
		    (*s == '\0' || strlen(s) >= text_members[i].size ||
		        strlen(s) != json_string_length(json_object_get(
		                         body, text_members[i].key)) ||
		        !api_printable(s))) {
			snprintf(err, errlen,
			    "'%s' must be 1 to %zu printable characters",
			    text_members[i].key, text_members[i].size - 1);
			return -1;
		}
		snprintf(buf, text_members[i].size, "%s", s ? s : "");
	}
	return 0;
}

/* 1 when `s` can be a Unix user name as the agents take it (letters,
 * digits, . _ -, not first -; a final $), 0 if not. */
static int
user_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= JOB_USER_MAX || s[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		        s[i] == '_' || s[i] == '-' ||
		        (s[i] == '$' && i == n - 1)))
			return 0;
	return 1;
}

/*
 * The user a job submitted by r runs as: the token's user (the route
 * admits only requests with one). 0, or -1 with why.
 */
static int
submit_user(
    const struct api_req *r, char *out, size_t size, char *err, size_t errlen)
{
	if (r->user[0] == '\0') {
		snprintf(err, errlen, "the request names no user to run as");
		return -1;
	}
	snprintf(out, size, "%s", r->user);
	if (!user_name_ok(out)) {
		snprintf(err, errlen, "user '%s' is not a Unix user name", out);
		return -1;
	}
	return 0;
}

void
api_submit(struct api_req *r)
{
	struct job *j;
	json_t *body, *reply;
	char err[512];
	int status;

	if ((body = api_read_body(r->req)) == NULL)
		return;
	if ((j = job_new()) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	snprintf(j->submitted_by, sizeof(j->submitted_by), "%s", r->who);
	if (submit_user(r, j->user, sizeof(j->user), err, sizeof(err)) == -1 ||
	    api_job_parse(r->st->conf, body, j, err, sizeof(err)) == -1) {
		api_reply_error(r->req, 400, "bad_request", "job: %s", err);
		job_free(j);
		goto done;
	}
	/* an array: one job per task (arrays.c) */
	reply = NULL;
	if (j->array_spec[0] != '\0'
	        ? (reply = arrays_submit(
	               r->st, j, err, sizeof(err), &status)) == NULL
	        : queue_submit(r->st, j, err, sizeof(err), &status) == -1) {
		if (status == 500)
			api_reply_store_error(r, "job: %s", err);
		else
			api_reply_error(r->req, status,
			    status == 400 ? "bad_request" : "internal",
			    "job: %s", err);
		job_free(j);
		goto done;
	}
	api_reply_json(r->req, 201,
	    reply != NULL ? reply
	                  : json_pack("{s:I}", "id", (json_int_t)j->id));
done:
	json_decref(body);
}

/* Order of the job list: running, then pending by priority, then ended,
 * newest first. */
static int
job_order(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a;
	const struct job *y = *(struct job *const *)b;
	int cx = x->state == JOB_RUNNING ? 0 : x->state == JOB_PENDING ? 1 : 2;
	int cy = y->state == JOB_RUNNING ? 0 : y->state == JOB_PENDING ? 1 : 2;

	if (cx != cy)
		return cx - cy;
	if (cx == 1 && x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (cx == 2 && x->end_ms != y->end_ms)
		return x->end_ms > y->end_ms ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int
lookup_job_state(void *ctx, const char *name)
{
	return job_state_parse(name);
}

/* GET /jobs: the most entries a reply lists when `limit` is given. */
#define JOBS_LIMIT_MAX 5000

/* A pending array task and its position in a sorted list. */
struct jobs_member {
	int64_t array;
	int pos;
};

static int
member_order(const void *a, const void *b)
{
	const struct jobs_member *x = a, *y = b;

	if (x->array != y->array)
		return x->array < y->array ? -1 : 1;
	return x->pos - y->pos;
}

/* For each position of the sorted list v[0..n-1], lead[i]: the position of
 * the entry it is listed in (arrays_list_json() shows an array's pending
 * tasks as one entry at the first of them, unless expanded); lead[i] == i
 * for an entry of its own. 0 or -1 (no memory). */
static int
jobs_entries(struct job *const *v, int n, int expand, int *lead)
{
	struct jobs_member *m;
	int i, k, nm = 0;

	if ((m = calloc((size_t)n + 1, sizeof(*m))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		lead[i] = i;
		if (!expand && v[i]->state == JOB_PENDING &&
		    v[i]->array_job_id != 0)
			m[nm++] = (struct jobs_member){v[i]->array_job_id, i};
	}
	qsort(m, (size_t)nm, sizeof(*m), member_order);
	for (i = 0; i < nm; i = k)
		for (k = i; k < nm && m[k].array == m[i].array; k++)
			lead[m[k].pos] = m[i].pos;
	free(m);
	return 0;
}

/* Whether job j runs (or last ran) on a node of a pod marked in pods. */
static int
job_in_pods(
    const struct fleet *f, const struct job *j, const unsigned char *pods)
{
	int k;

	for (k = 0; k < j->nranks; k++)
		if (j->ranks[k].attempt == j->attempt &&
		    j->ranks[k].node >= 0 && j->ranks[k].node < f->nnodes &&
		    pods[f->nodes[j->ranks[k].node].pod])
			return 1;
	return 0;
}

static int
lookup_jobs_pod(void *ctx, const char *name)
{
	return fleet_pod_index(ctx, name);
}

/* GET /jobs?state=&pod=&expand=&limit=&after=: `state` and `pod` are
 * comma-separated lists, any of which matches (a job is in a pod when a
 * rank of its attempt is); expand=1 lists an array's pending tasks one
 * by one. The list's order (running, pending by priority, ended newest
 * first) pages: `after` is the id of the last entry of the previous
 * page, `limit` (1-5000) the most entries a page lists; X-Total-Count
 * says how many entries the whole list has. */
void
api_jobs(struct api_req *r)
{
	static const char *const allowed[] = {
	    "state", "expand", "pod", "limit", "after", NULL};
	const struct fleet *f = r->st->fleet;
	struct jobs *t = &r->st->jobs;
	unsigned char states[JOB_NSTATES] = {0}, *pods = NULL;
	struct evkeyvalq q;
	const char *state, *expand, *pod, *limit_s, *after_s;
	struct job **v = NULL, **w = NULL, *cursor = NULL;
	int *lead = NULL;
	char bad[128], total[32], *end;
	long limit = -1;
	long long after = 0;
	json_t *a;
	int i, n = 0, nw = 0, s = 0, entries = 0, from = 0, cut, lo, hi;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	expand = evhttp_find_header(&q, "expand");
	if (expand != NULL && strcmp(expand, "0") != 0 &&
	    strcmp(expand, "1") != 0) {
		api_reply_error(
		    r->req, 400, "bad_request", "'expand' must be 0 or 1");
		goto done;
	}
	if ((limit_s = evhttp_find_header(&q, "limit")) != NULL) {
		limit = strtol(limit_s, &end, 10);
		if (*limit_s == '\0' || *end != '\0' || limit < 1 ||
		    limit > JOBS_LIMIT_MAX) {
			api_reply_error(r->req, 400, "bad_request",
			    "'limit' must be an integer from 1 to %d, not '%s'",
			    JOBS_LIMIT_MAX, limit_s);
			goto done;
		}
	}
	if ((after_s = evhttp_find_header(&q, "after")) != NULL) {
		after = strtoll(after_s, &end, 10);
		for (i = 0; *after_s != '\0' && *end == '\0' && i < t->n; i++)
			if (t->v[i]->id == after)
				cursor = t->v[i];
		if (cursor == NULL) {
			api_reply_error(r->req, 400, "bad_request",
			    "'after': no job '%s' to list after (the id of "
			    "the last job of the previous page)",
			    after_s);
			goto done;
		}
	}
	state = evhttp_find_header(&q, "state");
	if (state != NULL && *state) {
		if (api_parse_list(state, lookup_job_state, NULL, states,
		        JOB_NSTATES, bad, sizeof(bad)) == -1) {
			api_reply_error(r->req, 400, "bad_request",
			    "unknown job state '%s' (pending, running, "
			    "completed, failed, cancelled, timeout, "
			    "node_fail)",
			    bad);
			goto done;
		}
		s = 1;
	}
	if ((pod = evhttp_find_header(&q, "pod")) != NULL) {
		if ((pods = calloc((size_t)f->npods + 1, 1)) == NULL) {
			api_reply_error(
			    r->req, 500, "internal", "out of memory");
			goto done;
		}
		if (api_parse_list(pod, lookup_jobs_pod, (void *)f, pods,
		        f->npods, bad, sizeof(bad)) == -1) {
			api_reply_error(r->req, 400, "bad_request",
			    "'pod': no pod '%s'", bad);
			goto done;
		}
	}
	if ((v = calloc(t->n + 1, sizeof(*v))) == NULL ||
	    (w = calloc(t->n + 1, sizeof(*w))) == NULL ||
	    (lead = calloc(t->n + 1, sizeof(*lead))) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	for (i = 0; i < t->n; i++)
		if ((!s || states[t->v[i]->state]) &&
		    (pods == NULL || job_in_pods(f, t->v[i], pods)))
			v[n++] = t->v[i];
	qsort(v, n, sizeof(*v), job_order);
	if (jobs_entries(
	        v, n, expand != NULL && strcmp(expand, "1") == 0, lead) == -1) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		entries += lead[i] == i;
	/* the page starts after the cursor's place in the order, wherever
	 * the cursor is now (it may have left the list since) */
	if (cursor != NULL) {
		for (lo = 0, hi = n; lo < hi;) {
			int mid = lo + (hi - lo) / 2;

			if (job_order(&v[mid], &cursor) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		from = lo;
	}
	for (cut = from, i = 0; cut < n; cut++)
		if (lead[cut] == cut && limit >= 0 && i++ == limit)
			break;
	/* the page's entries, with their arrays' other pending tasks */
	for (i = from; i < n; i++)
		if (lead[i] >= from && lead[i] < cut)
			w[nw++] = v[i];
	/* an array's pending tasks as one entry, unless expanded */
	if ((a = arrays_list_json(r->st, w, nw,
	         expand != NULL && strcmp(expand, "1") == 0)) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	snprintf(total, sizeof(total), "%d", entries);
	evhttp_add_header(
	    evhttp_request_get_output_headers(r->req), "X-Total-Count", total);
	api_reply_json(r->req, 200, json_pack("{s:o}", "jobs", a));
done:
	free(lead);
	free(w);
	free(v);
	free(pods);
	evhttp_clear_headers(&q);
}

/* The job named in the path ("123", or task 7 of array 123 as "123_7"),
 * or NULL after a 404; *loaded is set when it came from the store (the
 * caller frees it); *task is the task the path names, else -1. */
static struct job *
find_job(struct api_req *r, struct job **loaded, int *task)
{
	struct job *j = NULL;
	int64_t id;

	*loaded = NULL;
	if (arrays_parse_ref(r->args[0], &id, task) == 0) {
		if (*task < 0)
			j = queue_job(r->st, id, loaded);
		else if ((j = arrays_task(r->st, id, *task)) == NULL &&
		         (id = store_find_task(r->st->store, id, *task)) > 0)
			j = queue_job(r->st, id, loaded);
	}
	if (j == NULL)
		api_reply_error(
		    r->req, 404, "not_found", "no job '%s'", r->args[0]);
	return j;
}

/* GET /jobs/{id}: the job's detail, with its attempts read from the store
 * (in memory, the ranks of earlier attempts are pruned). */
void
api_job(struct api_req *r)
{
	struct job *loaded, *j;
	json_t *o, *attempts;
	int task;

	j = find_job(r, &loaded, &task);

	if (j == NULL)
		return;
	if ((attempts = store_job_attempts(r->st->store, j->id)) == NULL) {
		api_reply_store_error(r,
		    "could not read the attempts of job %lld",
		    (long long)j->id);
	} else {
		o = queue_job_json(r->st, j, 1);
		json_object_set_new(o, "attempts", attempts);
		api_reply_json(r->req, 200, o);
	}
	job_free(loaded);
}

void
api_cancel(struct api_req *r)
{
	struct job *loaded, *j;
	char err[256];
	int task, status, n;

	if ((j = find_job(r, &loaded, &task)) == NULL)
		return;
	if (r->role < AUTH_OPERATOR && strcmp(j->submitted_by, r->user) != 0) {
		api_reply_error(r->req, 403, "forbidden",
		    "job %lld is %s's: only its owner or an operator may "
		    "cancel it",
		    (long long)j->id, j->submitted_by);
	} else if (task < 0 && j->array_job_id == j->id) {
		/* an array's job id: every task (tasks share their owner) */
		if (arrays_cancel(
		        r->st, j->id, &n, err, sizeof(err), &status) == -1) {
			if (status == 409)
				api_reply_error(
				    r->req, 409, "conflict", "%s", err);
			else
				api_reply_store_error(r, "%s", err);
		} else {
			log_info("array %lld: %d tasks cancelled by %s",
			    (long long)j->id, n, r->who);
			api_reply_json(r->req, 200,
			    json_pack("{s:I,s:i}", "array_job_id",
			        (json_int_t)j->id, "tasks_cancelled", n));
		}
	} else if (loaded != NULL || job_ended(j)) {
		api_reply_error(r->req, 409, "conflict",
		    "job %lld already ended (%s)", (long long)j->id,
		    job_state_name(j->state));
	} else if (queue_cancel(r->st, j, err, sizeof(err)) == -1) {
		api_reply_store_error(r, "%s", err);
	} else {
		log_info("job %lld cancelled by %s", (long long)j->id, r->who);
		api_reply_json(r->req, 200, queue_job_json(r->st, j, 1));
	}
	job_free(loaded);
}
