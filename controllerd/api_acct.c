/*
 * The REST API's accounting: GET /acct lists the attempts' records as
 * sacct does, filtered by user, account, state, job and a time window that
 * the attempt overlaps; GET /usage sums accelerator-hours and energy per
 * account or per user over a period as sreport does, an attempt partly
 * inside the period counting the part inside (acct_share()). Both read the
 * store's records; an attempt still running is shown as it stands now, from
 * the job in memory, rather than as it was last written.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "acct.h"
#include "apireq.h"
#include "ctl.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#define ACCT_DEFAULT_ROWS 10000
#define ACCT_MAX_ROWS     100000
#define J_PER_KWH         3.6e6

/* The attempt as it stands: a running one from the job in memory. */
static const struct acct_row *
live(struct ctl_state *st, const struct acct_row *r, int64_t now_ms,
    struct acct_row *buf)
{
	const struct job *j;

	if (strcmp(r->state, "running") != 0 ||
	    (j = jobs_find(&st->jobs, r->job_id)) == NULL ||
	    j->state != JOB_RUNNING || j->attempt != r->attempt ||
	    !acct_row_from_job(j, st->fleet, now_ms, buf))
		return r;
	return buf;
}

static json_t *
opt_real(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

/* One record as GET /acct gives it (docs/openapi.yaml, AcctRecord). */
static json_t *
row_json(const struct acct_row *r, int64_t now_ms)
{
	int64_t end = r->end_ms > 0 ? r->end_ms : now_ms;
	json_t *o = json_object();

	json_object_set_new(o, "job_id", json_integer(r->job_id));
	json_object_set_new(o, "attempt", json_integer(r->attempt));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "user", json_string(r->user));
	json_object_set_new(o, "account", json_string(r->account));
	json_object_set_new(o, "qos", json_string(r->qos));
	json_object_set_new(o, "partition", json_string(r->partition));
	json_object_set_new(o, "nodelist", json_string(r->nodes));
	json_object_set_new(o, "nnodes", json_integer(r->nnodes));
	json_object_set_new(o, "accelerators", json_integer(r->accels));
	json_object_set_new(o, "submit_time", jsonx_time(r->submit_ms));
	json_object_set_new(o, "start_time", jsonx_time(r->start_ms));
	json_object_set_new(o, "end_time", jsonx_time(r->end_ms));
	json_object_set_new(o, "elapsed_s",
	    json_integer(r->start_ms > 0 && end > r->start_ms
	                     ? (end - r->start_ms) / 1000
	                     : 0));
	json_object_set_new(o, "state", json_string(r->state));
	json_object_set_new(o, "exit_code",
	    r->has_exit ? json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "energy_j", opt_real(r->energy_j));
	json_object_set_new(o, "accel_hours", json_real(r->accel_hours));
	json_object_set_new(o, "peak_power_w", opt_real(r->peak_power_w));
	json_object_set_new(o, "reason",
	    r->reason[0] != '\0' ? json_string(r->reason) : json_null());
	return o;
}

/* Splits the comma-separated text s into buf (size bytes) and v[0..max-1];
 * returns how many items, or -1 for an empty item or too many. */
static int
split(const char *s, char *buf, size_t size, const char **v, int max)
{
	char *p, *comma;
	int n = 0;

	if (strlen(s) >= size)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	for (p = buf;; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0' || n == max)
			return -1;
		v[n++] = p;
		if (comma == NULL)
			return n;
	}
}

/* A state accounting knows: a job's (running too) less pending, and
 * preempted. */
static int
known_state(const char *s)
{
	int k = job_state_parse(s);

	return (k >= 0 && k != JOB_PENDING) || strcmp(s, ACCT_PREEMPTED) == 0;
}

/* The query's time window into *from and *to (0: open); -1 after a 400. */
static int
window(struct api_req *r, struct evkeyvalq *q, int64_t *from, int64_t *to)
{
	const char *s = evhttp_find_header(q, "start");
	const char *e = evhttp_find_header(q, "end");

	*from = *to = 0;
	if ((s != NULL && (*from = api_parse_time(s)) < 0) ||
	    (e != NULL && (*to = api_parse_time(e)) < 0)) {
		api_reply_error(r->req, 400, "bad_request",
		    "%s='%s' is not a time: give ms since the epoch or RFC "
		    "3339 (2024-05-01T12:00:00Z)",
		    *from < 0 ? "start" : "end", *from < 0 ? s : e);
		return -1;
	}
	if (*from > 0 && *to > 0 && *from >= *to) {
		api_reply_error(
		    r->req, 400, "bad_request", "start must be before end");
		return -1;
	}
	return 0;
}

struct list_ctx {
	struct ctl_state *st;
	json_t *rows;
	int64_t now_ms;
};

static int
add_row(const struct acct_row *r, void *arg)
{
	struct list_ctx *c = arg;
	struct acct_row buf;

	return json_array_append_new(
	    c->rows, row_json(live(c->st, r, c->now_ms, &buf), c->now_ms));
}

void
api_acct(struct api_req *r)
{
	static const char *const allowed[] = {
	    "user", "account", "state", "start", "end", "job", "limit", NULL};
	char users[1024], accounts[1024], states[1024], jobs[1024];
	const char *ids[ACCT_LIST_MAX], *v;
	struct acct_filter f;
	struct list_ctx c = {r->st, NULL, time_wall_ms()};
	struct evkeyvalq q;
	char *end;
	long n;
	int i;

	memset(&f, 0, sizeof(f));
	f.now_ms = c.now_ms;
	f.limit = ACCT_DEFAULT_ROWS;
	if (api_read_query(r->req, &q, allowed) == -1 ||
	    window(r, &q, &f.from_ms, &f.to_ms) == -1)
		goto done;
	if ((v = evhttp_find_header(&q, "user")) != NULL &&
	    (f.nusers = split(
	         v, users, sizeof(users), f.users, ACCT_LIST_MAX)) < 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "acct: user: give up to %d names, comma-separated",
		    ACCT_LIST_MAX);
		goto done;
	}
	if ((v = evhttp_find_header(&q, "account")) != NULL &&
	    (f.naccounts = split(v, accounts, sizeof(accounts), f.accounts,
	         ACCT_LIST_MAX)) < 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "acct: account: give up to %d names, comma-separated",
		    ACCT_LIST_MAX);
		goto done;
	}
	if ((v = evhttp_find_header(&q, "state")) != NULL) {
		f.nstates =
		    split(v, states, sizeof(states), f.states, ACCT_LIST_MAX);
		for (i = 0; i < f.nstates && known_state(f.states[i]); i++)
			;
		if (f.nstates < 0 || i < f.nstates) {
			api_reply_error(r->req, 400, "bad_request",
			    "acct: state '%s' is not one of running, "
			    "completed, failed, cancelled, timeout, node_fail, "
			    "preempted",
			    f.nstates < 0 ? v : f.states[i]);
			goto done;
		}
	}
	if ((v = evhttp_find_header(&q, "job")) != NULL) {
		f.njobs = split(v, jobs, sizeof(jobs), ids, ACCT_LIST_MAX);
		for (i = 0; i < f.njobs; i++)
			if ((f.jobs[i] = strtoll(ids[i], &end, 10)) < 1 ||
			    *end != '\0')
				break;
		if (f.njobs < 0 || i < f.njobs) {
			api_reply_error(r->req, 400, "bad_request",
			    "acct: job: give up to %d job ids, "
			    "comma-separated",
			    ACCT_LIST_MAX);
			goto done;
		}
	}
	if ((v = evhttp_find_header(&q, "limit")) != NULL) {
		n = strtol(v, &end, 10);
		if (n < 1 || *end != '\0' || n > ACCT_MAX_ROWS) {
			api_reply_error(r->req, 400, "bad_request",
			    "acct: limit must be 1 to %d records",
			    ACCT_MAX_ROWS);
			goto done;
		}
		f.limit = (int)n;
	}
	if ((c.rows = json_array()) == NULL ||
	    store_acct_each(r->st->store, &f, add_row, &c) == -1) {
		json_decref(c.rows);
		api_reply_error(r->req, 500, "internal",
		    "could not read the accounting records");
		goto done;
	}
	api_reply_json(r->req, 200, json_pack("{s:o}", "acct", c.rows));
done:
	evhttp_clear_headers(&q);
}

struct usage_ctx {
	struct ctl_state *st;
	int by_user;
	int64_t from_ms, to_ms, now_ms;
	json_t *groups; /* key -> {name, accel_hours, energy_j, attempts} */
	double accel_hours, energy_j;
	int attempts;
};

static int
add_usage(const struct acct_row *row, void *arg)
{
	struct usage_ctx *c = arg;
	struct acct_row buf;
	const struct acct_row *r = live(c->st, row, c->now_ms, &buf);
	const char *key = c->by_user ? r->user : r->account;
	int64_t start = r->start_ms > 0 ? r->start_ms : r->end_ms;
	int64_t end = r->end_ms > 0 ? r->end_ms : c->now_ms;
	double share = acct_share(start, end, c->from_ms, c->to_ms);
	double ah = r->accel_hours * share;
	double e = isnan(r->energy_j) ? 0 : r->energy_j * share;
	json_t *g = json_object_get(c->groups, key);

	if (g == NULL) {
		g = json_pack("{s:s,s:f,s:f,s:i}",
		    c->by_user ? "user" : "account", key, "accel_hours", 0.0,
		    "energy_j", 0.0, "attempts", 0);
		if (g == NULL || json_object_set_new(c->groups, key, g) == -1)
			return -1;
	}
	json_object_set_new(g, "accel_hours",
	    json_real(json_real_value(json_object_get(g, "accel_hours")) + ah));
	json_object_set_new(g, "energy_j",
	    json_real(json_real_value(json_object_get(g, "energy_j")) + e));
	json_object_set_new(g, "attempts",
	    json_integer(
	        json_integer_value(json_object_get(g, "attempts")) + 1));
	c->accel_hours += ah;
	c->energy_j += e;
	c->attempts++;
	return 0;
}

static int
by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The groups of c in name order, each with its energy in kWh too. */
static json_t *
usage_rows(struct usage_ctx *c)
{
	size_t n = json_object_size(c->groups), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	json_t *out = json_array(), *g;
	const char *k;

	if (keys == NULL || out == NULL) {
		free(keys);
		json_decref(out);
		return NULL;
	}
	json_object_foreach(c->groups, k, g) keys[i++] = k;
	qsort(keys, n, sizeof(*keys), by_key);
	for (i = 0; i < n; i++) {
		g = json_object_get(c->groups, keys[i]);
		json_object_set_new(g, "energy_kwh",
		    json_real(json_real_value(json_object_get(g, "energy_j")) /
		              J_PER_KWH));
		json_array_append(out, g);
	}
	free(keys);
	return out;
}

void
api_usage(struct api_req *r)
{
	static const char *const allowed[] = {"start", "end", "by", NULL};
	struct usage_ctx c;
	struct acct_filter f;
	struct evkeyvalq q;
	const char *by;
	json_t *rows;

	memset(&c, 0, sizeof(c));
	memset(&f, 0, sizeof(f));
	c.st = r->st;
	c.now_ms = f.now_ms = time_wall_ms();
	if (api_read_query(r->req, &q, allowed) == -1 ||
	    window(r, &q, &f.from_ms, &f.to_ms) == -1)
		goto done;
	if (f.to_ms == 0)
		f.to_ms = c.now_ms;
	if (f.from_ms >= f.to_ms) {
		api_reply_error(
		    r->req, 400, "bad_request", "start must be before end");
		goto done;
	}
	c.from_ms = f.from_ms;
	c.to_ms = f.to_ms;
	by = evhttp_find_header(&q, "by");
	if (by != NULL && strcmp(by, "account") != 0 &&
	    strcmp(by, "user") != 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "usage: by must be account or user, not '%s'", by);
		goto done;
	}
	c.by_user = by != NULL && strcmp(by, "user") == 0;
	if ((c.groups = json_object()) == NULL ||
	    store_acct_each(r->st->store, &f, add_usage, &c) == -1 ||
	    (rows = usage_rows(&c)) == NULL) {
		api_reply_error(
		    r->req, 500, "internal", "could not sum the usage");
		goto done;
	}
	api_reply_json(r->req, 200,
	    json_pack("{s:o,s:o,s:s,s:o,s:{s:f,s:f,s:f,s:i}}", "start",
	        jsonx_time(f.from_ms), "end", jsonx_time(f.to_ms), "by",
	        c.by_user ? "user" : "account", "usage", rows, "total",
	        "accel_hours", c.accel_hours, "energy_j", c.energy_j,
	        "energy_kwh", c.energy_j / J_PER_KWH, "attempts", c.attempts));
done:
	json_decref(c.groups);
	evhttp_clear_headers(&q);
}
