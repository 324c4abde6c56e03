/*
 * The REST API's organisation handlers: accounts, users, QOS, partitions
 * and reservations (docs/openapi.yaml). Reads come from the organisation
 * in memory (org.h); changes go through org.c, which stores and audits
 * them before memory changes. Routed, with their rules, by the table in
 * api.c: reads for anyone who may read, accounts and users for admins,
 * reservations for operators.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apireq.h"
#include "ctl.h"
#include "fleet.h"
#include "hostlist.h"
#include "jsonx.h"
#include "log.h"
#include "org.h"
#include "timeutil.h"

#define ORG_MAX_LIST   256             /* accounts one user request may name */
#define ORG_NODES_TEXT 65536           /* a compacted node list, bytes */
#define RESV_MAX_S     (366LL * 86400) /* the longest reservation, s */

/* Replies with an org.c refusal: status and its error code. */
static void
reply_refusal(struct api_req *r, int status, const char *err)
{
	static const struct {
		int status;
		const char *code;
	} codes[] = {{400, "bad_request"}, {404, "not_found"},
	    {409, "conflict"}, {503, "unavailable"}};
	const char *code = "internal";
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].status == status)
			code = codes[i].code;
	if (status == 503)
		evhttp_add_header(evhttp_request_get_output_headers(r->req),
		    "Retry-After", "1");
	api_reply_error(r->req, status, code, "%s", err);
}

/* Refuses members of body not in allowed (NULL-ended); -1 after a 400. */
static int
only_members(struct api_req *r, json_t *body, const char *what,
    const char *const *allowed)
{
	const char *key;
	json_t *v;
	int i, ok;

	if (!json_is_object(body)) {
		api_reply_error(r->req, 400, "bad_request",
		    "%s: expected a JSON object", what);
		return -1;
	}
	json_object_foreach(body, key, v)
	{
		for (ok = 0, i = 0; allowed[i] != NULL; i++)
			ok |= strcmp(key, allowed[i]) == 0;
		if (!ok) {
			api_reply_error(r->req, 400, "bad_request",
			    "%s: unknown field '%s'", what, key);
			return -1;
		}
	}
	return 0;
}

/* A string member: 1 found, 0 absent, -1 after a 400 (wrong type or not
 * printable). */
static int
text_member(struct api_req *r, json_t *body, const char *key, const char **out)
{
	char err[160];
	int rc = jsonx_string(body, key, out, err, sizeof(err));

	if (rc == -1) {
		api_reply_error(r->req, 400, "bad_request", "%s", err);
		return -1;
	}
	if (rc == 1 && api_text_check(key, *out, err, sizeof(err)) == -1) {
		api_reply_error(r->req, 400, "bad_request", "%s", err);
		return -1;
	}
	return rc;
}

/* ---- accounts ---- */

static json_t *
account_json(const struct org *o, int i, int detail)
{
	const struct org_account *a = &o->accounts[i];
	json_t *j = json_object(), *users = json_array(), *kids;
	int k;

	json_object_set_new(j, "name", json_string(a->name));
	json_object_set_new(j, "parent",
	    a->parent >= 0 ? json_string(o->accounts[a->parent].name)
	                   : json_null());
	json_object_set_new(j, "shares", json_real(a->shares));
	json_object_set_new(j, "description", json_string(a->description));
	for (k = 0; k < o->nassocs; k++)
		if (o->assocs[k].account == i)
			json_array_append_new(
			    users, json_string(o->assocs[k].user));
	json_object_set_new(j, "users", users);
	if (!detail)
		return j;
	kids = json_array();
	for (k = 0; k < o->naccounts; k++)
		if (o->accounts[k].parent == i)
			json_array_append_new(
			    kids, json_string(o->accounts[k].name));
	json_object_set_new(j, "children", kids);
	return j;
}

void
api_accounts(struct api_req *r)
{
	const struct org *o = &r->st->org;
	json_t *a = json_array();
	int i;

	for (i = 0; i < o->naccounts; i++)
		json_array_append_new(a, account_json(o, i, 0));
	api_reply_json(r->req, 200, json_pack("{s:o}", "accounts", a));
}

void
api_account(struct api_req *r)
{
	int i = org_account_find(&r->st->org, r->args[0]);

	if (i < 0) {
		api_reply_error(r->req, 404, "not_found",
		    "unknown account '%s'", r->args[0]);
		return;
	}
	api_reply_json(r->req, 200, account_json(&r->st->org, i, 1));
}

/* POST /accounts and PATCH /accounts/{name}. */
static void
account_write(struct api_req *r, int modify)
{
	static const char *const members[] = {
	    "name", "parent", "shares", "description", NULL};
	const char *name = modify ? r->args[0] : NULL, *parent = NULL,
	           *desc = NULL;
	double shares = modify ? -1 : 1;
	json_t *body = api_read_body(r->req);
	char err[512];
	int status, rc;

	if (body == NULL)
		return;
	if (only_members(r, body, "account", members) == -1 ||
	    (!modify && text_member(r, body, "name", &name) == -1) ||
	    text_member(r, body, "parent", &parent) == -1 ||
	    text_member(r, body, "description", &desc) == -1)
		goto done;
	if (modify && json_object_get(body, "name") != NULL) {
		api_reply_error(r->req, 400, "bad_request",
		    "account: the name cannot change");
		goto done;
	}
	if (!modify && name == NULL) {
		api_reply_error(
		    r->req, 400, "bad_request", "account: 'name' is required");
		goto done;
	}
	if ((rc = jsonx_number(body, "shares", &shares, err, sizeof(err))) ==
	        -1 ||
	    (rc == 1 && shares <= 0)) {
		api_reply_error(r->req, 400, "bad_request",
		    "account: 'shares' must be a number over 0");
		goto done;
	}
	if (desc != NULL &&
	    strlen(desc) >= sizeof(((struct org_account *)0)->description)) {
		api_reply_error(r->req, 400, "bad_request",
		    "account: 'description' is longer than 127 bytes");
		goto done;
	}
	rc = modify ? org_account_modify(r->st, name, parent, shares, desc,
	                  r->who, err, sizeof(err), &status)
	            : org_account_add(r->st, name, parent, shares, desc, r->who,
	                  err, sizeof(err), &status);
	if (rc == -1) {
		reply_refusal(r, status, err);
		goto done;
	}
	api_reply_json(r->req, modify ? 200 : 201,
	    account_json(&r->st->org, org_account_find(&r->st->org, name), 1));
done:
	json_decref(body);
}

void
api_account_add(struct api_req *r)
{
	account_write(r, 0);
}

void
api_account_modify(struct api_req *r)
{
	account_write(r, 1);
}

/* ---- users ---- */

static json_t *
user_json(const struct org *o, const struct org_user *u)
{
	json_t *a = json_array();
	int k;

	for (k = 0; k < o->nassocs; k++)
		if (strcmp(o->assocs[k].user, u->name) == 0)
			json_array_append_new(
			    a, json_string(
			           o->accounts[o->assocs[k].account].name));
	return json_pack("{s:s,s:s,s:o}", "name", u->name, "default_account",
	    o->accounts[u->default_account].name, "accounts", a);
}

void
api_users(struct api_req *r)
{
	const struct org *o = &r->st->org;
	json_t *a = json_array();
	int i;

	for (i = 0; i < o->nusers; i++)
		json_array_append_new(a, user_json(o, &o->users[i]));
	api_reply_json(r->req, 200, json_pack("{s:o}", "users", a));
}

void
api_user(struct api_req *r)
{
	const struct org_user *u = org_user_find(&r->st->org, r->args[0]);

	if (u == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "unknown user '%s'", r->args[0]);
		return;
	}
	api_reply_json(r->req, 200, user_json(&r->st->org, u));
}

/* POST /users and PATCH /users/{name}. */
static void
user_write(struct api_req *r, int modify)
{
	static const char *const members[] = {
	    "name", "accounts", "default_account", NULL};
	const char *name = modify ? r->args[0] : NULL, *dflt = NULL;
	const char *names[ORG_MAX_LIST];
	json_t *body = api_read_body(r->req), *accts, *v;
	char err[512];
	size_t i;
	int status, n = 0;

	if (body == NULL)
		return;
	if (only_members(r, body, "user", members) == -1 ||
	    (!modify && text_member(r, body, "name", &name) == -1) ||
	    text_member(r, body, "default_account", &dflt) == -1)
		goto done;
	if (modify && json_object_get(body, "name") != NULL) {
		api_reply_error(
		    r->req, 400, "bad_request", "user: the name cannot change");
		goto done;
	}
	if (!modify && name == NULL) {
		api_reply_error(
		    r->req, 400, "bad_request", "user: 'name' is required");
		goto done;
	}
	accts = json_object_get(body, "accounts");
	if (accts != NULL &&
	    (!json_is_array(accts) || json_array_size(accts) > ORG_MAX_LIST)) {
		api_reply_error(r->req, 400, "bad_request",
		    "user: 'accounts' must be an array of at most %d account "
		    "names",
		    ORG_MAX_LIST);
		goto done;
	}
	json_array_foreach(accts, i, v)
	{
		if (!json_is_string(v)) {
			api_reply_error(r->req, 400, "bad_request",
			    "user: 'accounts' must hold account names");
			goto done;
		}
		names[n++] = json_string_value(v);
	}
	if (org_user_put(r->st, modify, name, accts ? names : NULL, n, dflt,
	        r->who, err, sizeof(err), &status) == -1) {
		reply_refusal(r, status, err);
		goto done;
	}
	api_reply_json(r->req, modify ? 200 : 201,
	    user_json(&r->st->org, org_user_find(&r->st->org, name)));
done:
	json_decref(body);
}

void
api_user_add(struct api_req *r)
{
	user_write(r, 0);
}

void
api_user_modify(struct api_req *r)
{
	user_write(r, 1);
}

/* ---- QOS and partitions ---- */

void
api_qos(struct api_req *r)
{
	const struct org *o = &r->st->org;
	json_t *a = json_array(), *pre;
	int i, k;

	for (i = 0; i < o->nqos; i++) {
		const struct org_qos *q = &o->qos[i];

		pre = json_array();
		for (k = 0; k < q->npreempt; k++)
			json_array_append_new(
			    pre, json_string(o->qos[q->preempt[k]].name));
		json_array_append_new(
		    a, json_pack("{s:s,s:b,s:I,s:I,s:i,s:i,s:i,s:i,s:o}",
		           "name", q->name, "default", i == o->default_qos,
		           "priority", (json_int_t)q->priority, "max_wall_s",
		           (json_int_t)q->max_wall_s, "max_jobs_per_user",
		           q->max_jobs_per_user, "max_accels_per_user",
		           q->max_accels_per_user, "max_jobs_per_account",
		           q->max_jobs_per_account, "max_accels_per_account",
		           q->max_accels_per_account, "preempt", pre));
	}
	api_reply_json(r->req, 200, json_pack("{s:o}", "qos", a));
}

/* The nodes with set[k] != 0 as a compact host list, or NULL when it
 * would not fit. New reference. */
static json_t *
nodes_json(const struct fleet *f, const unsigned char *set)
{
	const char **names = malloc((f->nnodes + 1) * sizeof(*names));
	char *buf = malloc(ORG_NODES_TEXT);
	json_t *j = json_null();
	int k, n = 0;

	if (names != NULL && buf != NULL) {
		for (k = 0; k < f->nnodes; k++)
			if (set[k])
				names[n++] = f->nodes[k].name;
		if (hostlist_compact(names, n, buf, ORG_NODES_TEXT) == 0)
			j = json_string(buf);
	}
	free(names);
	free(buf);
	return j;
}

void
api_partitions(struct api_req *r)
{
	const struct org *o = &r->st->org;
	json_t *a = json_array(), *acc;
	int i, k;

	for (i = 0; i < o->npartitions; i++) {
		const struct org_partition *pt = &o->partitions[i];

		acc = json_null();
		if (pt->accounts != NULL) {
			acc = json_array();
			for (k = 0; k < pt->naccounts; k++)
				json_array_append_new(acc,
				    json_string(
				        o->accounts[pt->accounts[k]].name));
		}
		json_array_append_new(a,
		    json_pack("{s:s,s:b,s:i,s:o,s:I,s:I,s:o}", "name", pt->name,
		        "default", i == o->default_partition, "nodes_total",
		        pt->nmembers, "nodes",
		        nodes_json(r->st->fleet, pt->nodes), "default_time_s",
		        (json_int_t)pt->default_time_s, "max_time_s",
		        (json_int_t)pt->max_time_s, "accounts", acc));
	}
	api_reply_json(r->req, 200, json_pack("{s:o}", "partitions", a));
}

/* ---- reservations ---- */

static json_t *
resv_json(const struct org *o, const struct org_resv *v, int64_t now)
{
	const char *state = now < v->start_ms ? "planned"
	                    : now < v->end_ms ? "active"
	                                      : "ended";

	return json_pack("{s:s,s:o,s:o,s:I,s:b,s:o,s:s,s:i,s:s,s:s,s:o}",
	    "name", v->name, "start", jsonx_time(v->start_ms), "end",
	    jsonx_time(v->end_ms), "duration_s",
	    (json_int_t)((v->end_ms - v->start_ms) / 1000), "maint", v->maint,
	    "account",
	    v->account >= 0 ? json_string(o->accounts[v->account].name)
	                    : json_null(),
	    "nodes", v->nodes_text, "nodes_total", v->nnodes, "state", state,
	    "created_by", v->created_by, "created", jsonx_time(v->created_ms));
}

void
api_reservations(struct api_req *r)
{
	const struct org *o = &r->st->org;
	int64_t now = time_wall_ms();
	json_t *a = json_array();
	int i;

	for (i = 0; i < o->nresvs; i++)
		json_array_append_new(a, resv_json(o, &o->resvs[i], now));
	api_reply_json(r->req, 200, json_pack("{s:o}", "reservations", a));
}

/* The nodes of pods (a JSON array of pod names) as a host list, into buf;
 * 0, or -1 after a 400. */
static int
pods_nodes(struct api_req *r, json_t *pods, char *buf, size_t size)
{
	const struct fleet *f = r->st->fleet;
	const char **names = NULL;
	unsigned char *in = NULL;
	json_t *v;
	size_t i;
	int p, k, n = 0, rc = -1;

	if (!json_is_array(pods) || json_array_size(pods) == 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: 'pods' must be an array of pod names");
		return -1;
	}
	if ((in = calloc(f->npods + 1, 1)) == NULL ||
	    (names = malloc((f->nnodes + 1) * sizeof(*names))) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	json_array_foreach(pods, i, v)
	{
		if (!json_is_string(v) ||
		    (p = fleet_pod_index(f, json_string_value(v))) < 0) {
			api_reply_error(r->req, 400, "bad_request",
			    "reservation: unknown pod '%s'",
			    json_is_string(v) ? json_string_value(v) : "?");
			goto done;
		}
		in[p] = 1;
	}
	for (k = 0; k < f->nnodes; k++)
		if (in[f->nodes[k].pod])
			names[n++] = f->nodes[k].name;
	if (hostlist_compact(names, n, buf, size) == -1) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: too many nodes to list");
		goto done;
	}
	rc = 0;
done:
	free(in);
	free(names);
	return rc;
}

/* A time member: an RFC 3339 string or ms since the epoch; 1 found, 0
 * absent, -1 after a 400. */
static int
time_member(struct api_req *r, json_t *body, const char *key, int64_t *out)
{
	json_t *v = json_object_get(body, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*out = json_integer_value(v);
	else if (!json_is_string(v) ||
	         (*out = api_parse_time(json_string_value(v))) < 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: '%s' must be an RFC 3339 time "
		    "(2026-12-04T08:00:00Z) or milliseconds since the epoch",
		    key);
		return -1;
	}
	return 1;
}

void
api_reservation_add(struct api_req *r)
{
	static const char *const members[] = {"name", "start", "start_ms",
	    "end", "duration_s", "pods", "nodes", "maint", "account", NULL};
	const char *name = NULL, *nodes = NULL, *account = NULL;
	json_t *body = api_read_body(r->req), *pods;
	struct org_resv v;
	long long dur = 0;
	char err[512], *text = NULL;
	int status, rc, maint = 0;
	int64_t now = time_wall_ms();

	if (body == NULL)
		return;
	memset(&v, 0, sizeof(v));
	v.start_ms = now;
	v.account = -1;
	if (only_members(r, body, "reservation", members) == -1 ||
	    text_member(r, body, "name", &name) == -1 ||
	    text_member(r, body, "nodes", &nodes) == -1 ||
	    text_member(r, body, "account", &account) == -1 ||
	    time_member(r, body, "start", &v.start_ms) == -1 ||
	    time_member(r, body, "start_ms", &v.start_ms) == -1 ||
	    (rc = time_member(r, body, "end", &v.end_ms)) == -1)
		goto done;
	if (name == NULL) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: 'name' is required");
		goto done;
	}
	snprintf(v.name, sizeof(v.name), "%s", name);
	if (jsonx_bool(body, "maint", &maint, err, sizeof(err)) == -1 ||
	    jsonx_integer(body, "duration_s", &dur, err, sizeof(err)) == -1 ||
	    dur < 0 || dur > RESV_MAX_S) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: 'maint' is true or false, 'duration_s' "
		    "seconds up to %lld",
		    RESV_MAX_S);
		goto done;
	}
	v.maint = maint;
	if ((rc == 1) == (dur > 0)) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: give 'duration_s' or 'end', one of them");
		goto done;
	}
	if (dur > 0)
		v.end_ms = v.start_ms + dur * 1000;
	if (v.end_ms - v.start_ms > RESV_MAX_S * 1000) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: longer than %lld s", RESV_MAX_S);
		goto done;
	}
	if (account != NULL &&
	    (v.account = org_account_find(&r->st->org, account)) < 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "unknown account '%s'", account);
		goto done;
	}
	pods = json_object_get(body, "pods");
	if ((pods != NULL) == (nodes != NULL)) {
		api_reply_error(r->req, 400, "bad_request",
		    "reservation: give 'pods' (an array of pod names) or "
		    "'nodes' (a host list), one of them");
		goto done;
	}
	if ((text = malloc(ORG_NODES_TEXT)) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	if (pods != NULL) {
		if (pods_nodes(r, pods, text, ORG_NODES_TEXT) == -1)
			goto done;
	} else
		snprintf(text, ORG_NODES_TEXT, "%s", nodes);
	if (org_resv_add(r->st, &v, text, r->who, err, sizeof(err), &status) ==
	    -1) {
		reply_refusal(r, status, err);
		goto done;
	}
	api_reply_json(r->req, 201,
	    resv_json(&r->st->org, org_resv_find(&r->st->org, v.name), now));
done:
	free(text);
	json_decref(body);
}

void
api_reservation_delete(struct api_req *r)
{
	char err[512];
	int status;

	if (org_resv_delete(
	        r->st, r->args[0], r->who, err, sizeof(err), &status) == -1) {
		reply_refusal(r, status, err);
		return;
	}
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:b}", "name", r->args[0], "deleted", 1));
}
