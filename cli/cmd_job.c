/*
 * Job commands: "submit" queues a job, "jobs" lists them, "job show"
 * details one with its ranks and its attempts, "cancel" ends one. Everything a
 * person types is checked by jobreq.c before a request goes out; this file is
 * the shell that sends it and renders the answer.
 *
 * Some cells are not members of the job as the server sends it but derived
 * from several (the TIME of a job depends on its state; a node list is
 * compacted). Rather than give the table module a callback, job_derive()
 * adds them to the reply as members whose names begin with "_", and the
 * tables below stay one static declaration each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "jobreq.h"
#include "log.h"
#include "podctl.h"
#include "table.h"
#include "timeutil.h"

#define PATH_MAX_LEN 128 /* longest request path built here */
#define RANGES_LEN   256 /* accelerator ranges of one rank, "0-7" */

/*
 * Columns of "jobs". Per column: title; priority (0 always shown, larger
 * dropped sooner when the terminal is narrow); alignment; how far free text
 * may be cut (0 never); then the field shown: kind, member, second member
 * of a ratio, scale, decimal places. "_id", "_time" and "_nodelist" come
 * from job_derive(): "_id" is the id, or for an array task "123_7" (array
 * job id, task id) and for an array's pending tasks "123_[5-999%50]". SUBMITTED
 * is an age, and the first to go. TABLE_WIDE columns are shown with -o wide or
 * when named by --format.
 */
static const struct table_col job_cols[] = {
    {"ID", 0, TABLE_RIGHT, 0, FMT_FIELD_STR("_id")},
    {"NAME", 1, TABLE_LEFT, 10, FMT_FIELD_STR("name")},
    {"STATE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("state")},
    {"REASON", 3, TABLE_LEFT, 12, FMT_FIELD_STR("reason")},
    {"NODES", 2, TABLE_RIGHT, 0, FMT_FIELD_NUM("nnodes", 1, 0)},
    {"ACCELS", 5, TABLE_RIGHT, 0, FMT_FIELD_NUM("accelerators_total", 1, 0)},
    {"TIME", 2, TABLE_RIGHT, 0, FMT_FIELD_STR("_time")},
    {"SUBMITTED", 6, TABLE_RIGHT, 0, FMT_FIELD_AGE("submit_time")},
    {"NODELIST", 4, TABLE_LEFT, 16, FMT_FIELD_STR("_nodelist")},
    {"USER", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("user")},
    {"ACCOUNT", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("account")},
    {"QOS", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("qos")},
    {"PARTITION", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("partition")},
    {"PRIORITY", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("priority", 1, 0)},
    {"TIME_LIMIT_S", TABLE_WIDE, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("time_limit_s", 1, 0)},
    {"WITHIN", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("within")},
    {"POLICY", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("policy")},
    {"ATTEMPT", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("attempt", 1, 0)},
    {"EXIT_CODE", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("exit_code", 1, 0)},
    {"ENERGY_KJ", TABLE_WIDE, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("energy_j", 1e-3, 1)},
};

#define NJOB_COLS ((int)(sizeof(job_cols) / sizeof(job_cols[0])))

/* Columns of the ranks of "job show", as job_cols; "_accels" and "_exit"
 * come from rank_derive(). */
static const struct table_col rank_cols[] = {
    {"RANK", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("rank", 1, 0)},
    {"NODE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("node")},
    {"ACCELS", 1, TABLE_LEFT, 0, FMT_FIELD_STR("_accels")},
    {"STATE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("state")},
    {"EXIT", 0, TABLE_LEFT, 0, FMT_FIELD_STR("_exit")},
    {"LOG", 2, TABLE_LEFT, 20, FMT_FIELD_STR("log")},
};

/* Columns of the attempts of "job show", as job_cols; "_nodelist" and
 * "_how" come from attempt_derive(). */
static const struct table_col attempt_cols[] = {
    {"ATTEMPT", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("attempt", 1, 0)},
    {"NODES", 0, TABLE_LEFT, 16, FMT_FIELD_STR("_nodelist")},
    {"START", 1, TABLE_LEFT, 0, FMT_FIELD_STR("start")},
    {"END", 1, TABLE_LEFT, 0, FMT_FIELD_STR("end")},
    {"ENDED BY", 0, TABLE_LEFT, 20, FMT_FIELD_STR("_how")},
};

/*
 * Checks a job reference from the command line: an id ("123"), or task T
 * of array A ("A_T", *task T; else -1). Returns PODCTL_OK or reports.
 */
static int
job_ref(const char *s, int64_t *id, int64_t *task)
{
	const char *us = strchr(s, '_');
	char head[32];

	*task = -1;
	if (us != NULL && (size_t)(us - s) < sizeof(head)) {
		snprintf(head, sizeof(head), "%.*s", (int)(us - s), s);
		if (jobreq_parse_count(head, INT64_MAX, id) == 0 &&
		    (strcmp(us + 1, "0") == 0 ||
		        jobreq_parse_count(us + 1, 999999999, task) == 0))
			return PODCTL_OK;
	} else if (us == NULL && jobreq_parse_count(s, INT64_MAX, id) == 0)
		return PODCTL_OK;
	return podctl_usage_error("invalid job id '%s' (a positive whole "
	                          "number, or ARRAY_TASK as 123_7)",
	    s);
}

/* ms since the epoch of the time in obj[key]; -1 when unknown. */
static int
time_of(json_t *obj, const char *key, int64_t *ms)
{
	return time_parse_rfc3339(fmt_str(obj, key), ms);
}

/* Writes the duration from obj[from] to obj[to], "-" when either is
 * unknown. Returns buf. */
static const char *
span(char *buf, size_t size, json_t *obj, const char *from, const char *to)
{
	int64_t a, b;

	if (time_of(obj, from, &a) == -1 || time_of(obj, to, &b) == -1)
		snprintf(buf, size, "%s", FMT_UNKNOWN);
	else
		fmt_age(buf, size, (b - a) / 1000);
	return buf;
}

/*
 * The TIME of a job: its limit while pending, how long it has run while
 * running, how long it ran once ended. Returns buf.
 */
static const char *
job_time(char *buf, size_t size, json_t *job, int64_t now_ms)
{
	const char *state = fmt_str(job, "state");
	json_t *limit = json_object_get(job, "time_limit_s");
	int64_t start;

	snprintf(buf, size, "%s", FMT_UNKNOWN);
	if (strcmp(state, "pending") == 0) {
		if (json_is_integer(limit))
			fmt_age(buf, size, json_integer_value(limit));
	} else if (strcmp(state, "running") == 0) {
		if (time_of(job, "start_time", &start) == 0)
			fmt_age(buf, size, (now_ms - start) / 1000);
	} else
		span(buf, size, job, "start_time", "end_time");
	return buf;
}

/* The integers in `arr` as ranges, "0-3,5", into buf. */
static const char *
ranges_of(char *buf, size_t size, json_t *arr)
{
	int64_t *v;
	size_t i, n = 0;

	buf[0] = '\0';
	if ((v = calloc(json_array_size(arr) + 1, sizeof(*v))) == NULL) {
		log_warn("%s", __func__);
		return buf;
	}
	for (i = 0; i < json_array_size(arr); i++)
		if (json_is_integer(json_array_get(arr, i)))
			v[n++] = json_integer_value(json_array_get(arr, i));
	fmt_ranges(buf, size, v, n);
	free(v);
	return buf;
}

/* Sets obj[key] to a copy of text, "-" for "". Returns 0 or -1 (logged). */
static int
derive(json_t *obj, const char *key, const char *text)
{
	if (json_object_set_new(obj, key,
	        json_string(text[0] != '\0' ? text : FMT_UNKNOWN)) == -1) {
		log_warnx("%s: cannot set %s", __func__, key);
		return -1;
	}
	return 0;
}

/* The ID of a job: "123", an array task's "123_7", or an array's pending
 * tasks "123_[5-999%50]". Returns buf. */
static const char *
job_display_id(char *buf, size_t size, json_t *job)
{
	json_t *id = json_object_get(job, "id"),
	       *array = json_object_get(job, "array_job_id"),
	       *task = json_object_get(job, "array_task_id"),
	       *pending = json_object_get(job, "array");

	if (json_is_integer(array) && json_is_string(pending))
		snprintf(buf, size, "%lld_[%s]",
		    (long long)json_integer_value(array),
		    json_string_value(pending));
	else if (json_is_integer(array) && json_is_integer(task))
		snprintf(buf, size, "%lld_%lld",
		    (long long)json_integer_value(array),
		    (long long)json_integer_value(task));
	else if (json_is_integer(id))
		snprintf(buf, size, "%lld", (long long)json_integer_value(id));
	else
		snprintf(buf, size, "%s", FMT_UNKNOWN);
	return buf;
}

/* Adds "_id", "_time" and "_nodelist" to a job. Returns 0 or -1
 * (logged). */
static int
job_derive(json_t *job, int64_t now_ms)
{
	char buf[64], ident[192], *list;
	int rc;

	if ((list = fmt_nodelist(json_object_get(job, "nodes"))) == NULL)
		return -1;
	rc = 0;
	if (derive(job, "_id", job_display_id(ident, sizeof(ident), job)) ==
	        -1 ||
	    derive(job, "_time", job_time(buf, sizeof(buf), job, now_ms)) ==
	        -1 ||
	    derive(job, "_nodelist", list) == -1)
		rc = -1;
	free(list);
	return rc;
}

/*
 * The EXIT of a rank: its exit code, or the signal that ended it, with the
 * cause when it was not a plain exit: "0", "signal 15 (cancelled)",
 * "launch_error". Returns buf.
 */
static const char *
rank_exit(char *buf, size_t size, json_t *rank)
{
	json_t *code = json_object_get(rank, "exit_code"),
	       *sig = json_object_get(rank, "signal");
	const char *cause = fmt_str(rank, "cause");
	char how[32];

	if (json_is_integer(code))
		snprintf(how, sizeof(how), "%lld",
		    (long long)json_integer_value(code));
	else if (json_is_integer(sig))
		snprintf(how, sizeof(how), "signal %lld",
		    (long long)json_integer_value(sig));
	else
		snprintf(how, sizeof(how), "%s", FMT_UNKNOWN);
	if (strcmp(cause, FMT_UNKNOWN) == 0 || strcmp(cause, "exit") == 0)
		snprintf(buf, size, "%s", how);
	else if (strcmp(how, FMT_UNKNOWN) == 0)
		snprintf(buf, size, "%s", cause);
	else
		snprintf(buf, size, "%s (%s)", how, cause);
	return buf;
}

/* Adds "_accels" and "_exit" to a rank. Returns 0 or -1 (logged). */
static int
rank_derive(json_t *rank)
{
	char ranges[RANGES_LEN], exit[64];

	if (derive(rank, "_accels",
	        ranges_of(ranges, sizeof(ranges),
	            json_object_get(rank, "accelerators"))) == -1 ||
	    derive(rank, "_exit", rank_exit(exit, sizeof(exit), rank)) == -1)
		return -1;
	return 0;
}

/*
 * How an attempt ended, for people: "running" (or "starting") until it has;
 * then "exit N" for an exit with its code, else its ended_by with the
 * server's reason when there is one ("node_fail: lost pod01-n002").
 * Returns buf.
 */
static const char *
attempt_how(char *buf, size_t size, json_t *at)
{
	const char *by = fmt_str(at, "ended_by"),
	           *reason = fmt_str(at, "reason");
	json_t *code = json_object_get(at, "exit_code");

	if (strcmp(by, FMT_UNKNOWN) == 0)
		snprintf(buf, size, "%s",
		    json_is_string(json_object_get(at, "start")) ? "running"
		                                                 : "starting");
	else if (strcmp(by, "exit") == 0 && json_is_integer(code))
		snprintf(buf, size, "exit %lld",
		    (long long)json_integer_value(code));
	else if (strcmp(reason, FMT_UNKNOWN) == 0)
		snprintf(buf, size, "%s", by);
	else
		snprintf(buf, size, "%s: %s", by, reason);
	return buf;
}

/* Adds "_nodelist" and "_how" to an attempt. Returns 0 or -1 (logged). */
static int
attempt_derive(json_t *at)
{
	char how[320], *list;
	int rc = 0;

	if ((list = fmt_nodelist(json_object_get(at, "nodes"))) == NULL)
		return -1;
	if (derive(at, "_nodelist", list) == -1 ||
	    derive(at, "_how", attempt_how(how, sizeof(how), at)) == -1)
		rc = -1;
	free(list);
	return rc;
}

int
cmd_submit(struct podctl *pc, const struct args *a)
{
	json_t *body, *reply = NULL, *id;
	char err[256];
	int rc;

	if ((body = jobreq_body(a, err, sizeof(err))) == NULL)
		return podctl_usage_error("submit: %s", err);
	rc = podctl_call_explained(
	    pc, "POST", "/api/v1/jobs", body, &reply, jobreq_explain);
	if (rc == PODCTL_OK && reply != NULL) {
		if (!json_is_integer(id = json_object_get(reply, "id")))
			rc = podctl_bad_reply("no job 'id'");
		else
			printf("%lld\n", (long long)json_integer_value(id));
	}
	json_decref(reply);
	json_decref(body);
	return rc;
}

int
cmd_jobs(struct podctl *pc, const struct args *a)
{
	const char *state = args_get(a, "state");
	json_t *reply = NULL, *jobs, *job;
	char path[PATH_MAX_LEN], bad[64];
	size_t i;
	int rc, n;

	if (state != NULL &&
	    args_list_check(state, jobreq_state_valid, bad, sizeof(bad)) == -1)
		return podctl_usage_error(
		    "unknown job state '%s' (one of: " JOBREQ_STATES ")", bad);
	if ((rc = podctl_check_columns(pc, job_cols, NJOB_COLS)) != PODCTL_OK)
		return rc;
	/* Valid states are letters and commas: nothing to encode. */
	n = snprintf(path, sizeof(path), "/api/v1/jobs%s%s%s",
	    state != NULL ? "?state=" : "", state != NULL ? state : "",
	    args_get(a, "array") == NULL ? ""
	    : state != NULL              ? "&expand=1"
	                                 : "?expand=1");
	if (n < 0 || (size_t)n >= sizeof(path))
		return podctl_usage_error("--state: too long a list");
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(jobs = json_object_get(reply, "jobs"))) {
		rc = podctl_bad_reply("no 'jobs' array");
		goto fail;
	}
	json_array_foreach(jobs, i, job)
	{
		if (!json_is_object(job)) {
			rc = podctl_bad_reply("a job is not an object");
			goto fail;
		}
		if (job_derive(job, pc->now_ms) == -1) {
			rc = PODCTL_EAPI;
			goto fail;
		}
	}
	rc = podctl_print_table(pc, job_cols, NJOB_COLS, jobs);

fail:
	json_decref(reply);
	return rc;
}

/* 1 when w needs no quoting for a POSIX shell. */
static int
shell_safe(const char *w)
{
	if (*w == '\0')
		return 0;
	return w[strspn(w,
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	           "0123456789_@%+=:,./-")] == '\0';
}

/*
 * The command as a shell would need it typed, each word quoted when it has
 * to be ("sh -c 'sleep 10'"), so that a copy and paste runs the same thing.
 * Caller frees with free(); NULL (logged) when memory runs out.
 */
static char *
command_line(json_t *cmd)
{
	const char *w;
	char *out = NULL;
	size_t len, i;
	FILE *f;

	if ((f = open_memstream(&out, &len)) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	for (i = 0; i < json_array_size(cmd); i++) {
		w = json_string_value(json_array_get(cmd, i));
		if (w == NULL)
			w = "";
		if (i > 0)
			fputc(' ', f);
		if (shell_safe(w)) {
			fputs(w, f);
			continue;
		}
		fputc('\'', f);
		for (; *w != '\0'; w++)
			if (*w == '\'')
				fputs("'\\''", f);
			else
				fputc(*w, f);
		fputc('\'', f);
	}
	if (fclose(f) == EOF) {
		log_warn("%s", __func__);
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Where the accelerators of a job are: the nodes of its ranks grouped by
 * the accelerators they use, each group compacted,
 * "pod01-n[001-004]:0-7; pod01-n005:0-3". Caller frees with free(); NULL
 * (logged) when memory runs out.
 */
static char *
accel_places(json_t *ranks)
{
	json_t *group = NULL, *node;
	char *keys = NULL, *done = NULL, *list, *out = NULL, *result = NULL;
	size_t n = json_array_size(ranks), i, j, len;
	FILE *f = NULL;

	if ((keys = calloc(n + 1, RANGES_LEN)) == NULL ||
	    (done = calloc(n + 1, 1)) == NULL ||
	    (f = open_memstream(&out, &len)) == NULL) {
		log_warn("%s", __func__);
		goto fail;
	}
	for (i = 0; i < n; i++)
		ranges_of(keys + i * RANGES_LEN, RANGES_LEN,
		    json_object_get(json_array_get(ranks, i), "accelerators"));
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		if ((group = json_array()) == NULL) {
			log_warnx("%s: out of memory", __func__);
			goto fail;
		}
		for (j = i; j < n; j++) {
			if (done[j] || strcmp(keys + i * RANGES_LEN,
			                   keys + j * RANGES_LEN) != 0)
				continue;
			done[j] = 1;
			node =
			    json_object_get(json_array_get(ranks, j), "node");
			if (json_is_string(node) &&
			    json_array_append(group, node) == -1) {
				log_warnx("%s: out of memory", __func__);
				goto fail;
			}
		}
		if ((list = fmt_nodelist(group)) == NULL)
			goto fail;
		json_decref(group);
		group = NULL;
		fprintf(f, "%s%s:%s", ftell(f) > 0 ? "; " : "",
		    list[0] != '\0' ? list : FMT_UNKNOWN,
		    keys[i * RANGES_LEN] != '\0' ? keys + i * RANGES_LEN
		                                 : FMT_UNKNOWN);
		free(list);
	}
	if (fclose(f) == EOF) {
		log_warn("%s", __func__);
		f = NULL;
		goto fail;
	}
	f = NULL;
	result = out;
	out = NULL;

fail:
	json_decref(group);
	if (f != NULL)
		fclose(f);
	free(out);
	free(done);
	free(keys);
	return result;
}

/* "2026-11-27T21:05:03Z (5m ago), <what> 2m00s" when both times are known,
 * else as fmt_time_ago(). Returns buf. */
static const char *
time_with_span(char *buf, size_t size, json_t *job, const char *key,
    const char *from, const char *what, int64_t now_ms)
{
	char t[96], d[32];

	fmt_time_ago(t, sizeof(t), job, key, now_ms);
	if (strcmp(span(d, sizeof(d), job, from, key), FMT_UNKNOWN) == 0)
		snprintf(buf, size, "%s", t);
	else
		snprintf(buf, size, "%s, %s %s", t, what, d);
	return buf;
}

/* "2h00m (7200 s)", with what is left while the job runs. Returns buf. */
static const char *
time_limit(char *buf, size_t size, json_t *job, int64_t now_ms)
{
	json_t *limit = json_object_get(job, "time_limit_s");
	char d[32], left[32];
	int64_t start, s;

	if (!json_is_integer(limit)) {
		snprintf(buf, size, "%s", FMT_UNKNOWN);
		return buf;
	}
	s = json_integer_value(limit);
	fmt_age(d, sizeof(d), s);
	if (strcmp(fmt_str(job, "state"), "running") == 0 &&
	    time_of(job, "start_time", &start) == 0)
		snprintf(buf, size, "%s (%lld s), %s left", d, (long long)s,
		    fmt_age(left, sizeof(left),
		        s - (now_ms > start ? (now_ms - start) / 1000 : 0)));
	else
		snprintf(buf, size, "%s (%lld s)", d, (long long)s);
	return buf;
}

static int
print_job(struct podctl *pc, json_t *job)
{
	json_t *ranks = json_object_get(job, "ranks"),
	       *attempts = json_object_get(job, "attempts"),
	       *cancel = json_object_get(job, "cancel_requested"),
	       *excl = json_object_get(job, "exclusive"), *rank, *at;
	const char *by = fmt_str(job, "submitted_by"),
	           *state = fmt_str(job, "state");
	char b1[160], b2[64], b3[64], *nodes = NULL, *places = NULL,
	                              *cmd = NULL;
	size_t i;
	int rc = PODCTL_EAPI;

	json_array_foreach(ranks, i, rank)
	{
		if (!json_is_object(rank))
			return podctl_bad_reply("a rank is not an object");
	}
	json_array_foreach(attempts, i, at)
	{
		if (!json_is_object(at))
			return podctl_bad_reply("an attempt is not an object");
	}
	if ((nodes = fmt_nodelist(json_object_get(job, "nodes"))) == NULL ||
	    (json_is_array(ranks) && (places = accel_places(ranks)) == NULL) ||
	    (cmd = command_line(json_object_get(job, "command"))) == NULL)
		goto fail;

	podctl_line("Job", "%s", fmt_num(b1, sizeof(b1), job, "id", 1, 0));
	/* an array task: "123_7" as the listings show it */
	if (json_is_integer(json_object_get(job, "array_job_id")))
		podctl_line(
		    "Array task", "%s", job_display_id(b1, sizeof(b1), job));
	podctl_line("Name", "%s", fmt_str(job, "name"));
	/* Once the job has ended, the request is history. */
	podctl_line("State", "%s%s", state,
	    json_is_true(cancel) && strcmp(state, "running") == 0
	        ? ", cancel requested"
	        : "");
	podctl_line("Reason", "%s", fmt_str(job, "reason"));
	if (json_is_string(json_object_get(job, "dependency")))
		podctl_line("Dependency", "%s", fmt_str(job, "dependency"));
	podctl_line(
	    "Attempt", "%s", fmt_num(b1, sizeof(b1), job, "attempt", 1, 0));
	podctl_line(
	    "Exit code", "%s", fmt_num(b1, sizeof(b1), job, "exit_code", 1, 0));
	podctl_line(
	    "Priority", "%s", fmt_num(b1, sizeof(b1), job, "priority", 1, 0));
	podctl_line("Within", "%s%s", fmt_str(job, "within"),
	    json_is_true(excl)    ? ", whole nodes"
	    : json_is_false(excl) ? ", shared nodes"
	                          : "");
	podctl_line("Policy", "%s", fmt_str(job, "policy"));
	podctl_line("Nodes", "%s%s%s",
	    fmt_num(b1, sizeof(b1), job, "nnodes", 1, 0),
	    nodes[0] != '\0' ? ": " : "", nodes);
	podctl_line("Accelerators", "%s (%s per node)%s%s",
	    fmt_num(b1, sizeof(b1), job, "accelerators_total", 1, 0),
	    fmt_num(b2, sizeof(b2), job, "accels_per_node", 1, 0),
	    places != NULL && places[0] != '\0' ? ": " : "",
	    places != NULL ? places : "");
	fmt_time_ago(b1, sizeof(b1), job, "submit_time", pc->now_ms);
	if (strcmp(by, FMT_UNKNOWN) == 0)
		podctl_line("Submitted", "%s", b1);
	else
		podctl_line("Submitted", "%s by %s", b1, by);
	podctl_line("Started", "%s",
	    time_with_span(b1, sizeof(b1), job, "start_time", "submit_time",
	        "queued", pc->now_ms));
	podctl_line("Ended", "%s",
	    time_with_span(b1, sizeof(b1), job, "end_time", "start_time", "ran",
	        pc->now_ms));
	podctl_line(
	    "Time limit", "%s", time_limit(b1, sizeof(b1), job, pc->now_ms));
	podctl_line(
	    "Energy", "%s", fmt_energy(b3, sizeof(b3), job, "energy_j"));
	podctl_line("Requeue", "%s", fmt_bool(job, "requeue"));
	podctl_line("Log", "%s", fmt_str(job, "log"));
	podctl_line("Command", "%s", cmd[0] != '\0' ? cmd : FMT_UNKNOWN);
	rc = PODCTL_OK;
	if (json_is_array(ranks) && json_array_size(ranks) > 0) {
		putchar('\n');
		json_array_foreach(ranks, i, rank)
		{
			if (rank_derive(rank) == -1) {
				rc = PODCTL_EAPI;
				goto fail;
			}
		}
		rc = podctl_print_table(pc, rank_cols,
		    sizeof(rank_cols) / sizeof(rank_cols[0]), ranks);
	}
	if (rc != PODCTL_OK || json_array_size(attempts) == 0)
		goto fail;
	/* Every attempt, oldest first: where it ran and how it ended. */
	putchar('\n');
	json_array_foreach(attempts, i, at)
	{
		if (attempt_derive(at) == -1) {
			rc = PODCTL_EAPI;
			goto fail;
		}
	}
	rc = podctl_print_table(pc, attempt_cols,
	    sizeof(attempt_cols) / sizeof(attempt_cols[0]), attempts);

fail:
	free(cmd);
	free(places);
	free(nodes);
	return rc;
}

/* Writes "/api/v1/jobs/<id>" (or ".../<id>_<task>") into buf, and the
 * reference as typed, for messages, into ref. */
static void
job_path(
    char *buf, size_t size, char *ref, size_t refsize, int64_t id, int64_t task)
{
	if (task >= 0)
		snprintf(
		    ref, refsize, "%lld_%lld", (long long)id, (long long)task);
	else
		snprintf(ref, refsize, "%lld", (long long)id);
	snprintf(buf, size, "/api/v1/jobs/%s", ref);
}

int
cmd_job_show(struct podctl *pc, const struct args *a)
{
	json_t *job = NULL;
	char path[PATH_MAX_LEN], ref[48];
	int64_t id, task;
	int rc;

	if ((rc = job_ref(a->pos[0], &id, &task)) != PODCTL_OK)
		return rc;
	job_path(path, sizeof(path), ref, sizeof(ref), id, task);
	rc = podctl_call(pc, "GET", path, NULL, &job);
	if (rc != PODCTL_OK || job == NULL)
		return rc;
	if (!json_is_object(job))
		rc = podctl_bad_reply("not an object");
	else
		rc = print_job(pc, job);
	json_decref(job);
	return rc;
}

int
cmd_cancel(struct podctl *pc, const struct args *a)
{
	json_t *job = NULL, *n;
	const char *state;
	char path[PATH_MAX_LEN], ref[48];
	int64_t id, task;
	int rc;

	if ((rc = job_ref(a->pos[0], &id, &task)) != PODCTL_OK)
		return rc;
	job_path(path, sizeof(path), ref, sizeof(ref), id, task);
	rc = podctl_call(pc, "DELETE", path, NULL, &job);
	if (rc != PODCTL_OK || job == NULL)
		return rc;
	if (!json_is_object(job)) {
		rc = podctl_bad_reply("not an object");
		goto fail;
	}
	/* An array job id cancels the whole array. */
	if (json_is_integer(n = json_object_get(job, "tasks_cancelled"))) {
		printf("array %s: cancel of %lld tasks\n", ref,
		    (long long)json_integer_value(n));
		goto fail;
	}
	/* A pending job is gone at once; a running one ends when its
	 * agents have stopped it. */
	state = fmt_str(job, "state");
	if (strcmp(state, FMT_UNKNOWN) == 0)
		rc = podctl_bad_reply("no job 'state'");
	else if (strcmp(state, "cancelled") == 0)
		printf("job %s cancelled\n", ref);
	else if (strcmp(state, "running") == 0 || strcmp(state, "pending") == 0)
		printf("job %s: cancel requested\n", ref);
	else
		printf("job %s %s\n", ref, state);

fail:
	json_decref(job);
	return rc;
}
