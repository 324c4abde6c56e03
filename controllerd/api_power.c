/*
 * The REST API's handlers for the power envelope (facility cap and
 * curtailment, DVFS policies), alarms and telemetry history. Routed by the
 * table in api.c; the decisions are made and stored by envelope.c.
 * Alarms are listed most urgent first and capped (an alarm storm must
 * not grow one reply without bound), with the counts of what matched.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "alarmview.h"
#include "api.h"
#include "apireq.h"
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
#include "rollup.h"
#include "store.h"
#include "timeutil.h"

/* ---- power, policies, alarms ---- */

void
api_power(struct api_req *r)
{
	api_reply_json(r->req, 200, envelope_power_json(r->st));
}

void
api_power_set(struct api_req *r)
{
	static const char *const members[] = {"cap_w", "curtail_pct", NULL};
	const char *key;
	json_t *body, *v, *cap, *curtail;
	char err[256];
	int k;

	if ((body = api_read_body(r->req)) == NULL)
		return;
	if (!json_is_object(body)) {
		api_reply_error(r->req, 400, "bad_request",
		    "power: expected an "
		    "object with cap_w and/or curtail_pct");
		goto done;
	}
	json_object_foreach(body, key, v)
	{
		for (k = 0; members[k] != NULL; k++)
			if (strcmp(key, members[k]) == 0)
				break;
		if (members[k] == NULL) {
			api_reply_error(r->req, 400, "bad_request",
			    "power: unknown member '%s'", key);
			goto done;
		}
	}
	cap = json_object_get(body, "cap_w");
	curtail = json_object_get(body, "curtail_pct");
	if (cap == NULL && curtail == NULL) {
		api_reply_error(r->req, 400, "bad_request",
		    "power: give cap_w (W or null) and/or curtail_pct (0-100)");
		goto done;
	}
	if (cap != NULL && !json_is_null(cap) &&
	    (!json_is_number(cap) || json_number_value(cap) < 1000 ||
	        json_number_value(cap) > 1e9)) {
		api_reply_error(r->req, 400, "bad_request",
		    "power: cap_w must be null or 1000 to 1e9 W");
		goto done;
	}
	if (curtail != NULL &&
	    (!json_is_number(curtail) || json_number_value(curtail) < 0 ||
	        json_number_value(curtail) > 100)) {
		api_reply_error(r->req, 400, "bad_request",
		    "power: curtail_pct must be 0 to 100");
		goto done;
	}
	if (cap != NULL && envelope_set_cap(r->st->env,
	                       json_is_null(cap) ? 0 : json_number_value(cap),
	                       r->who, "rest", err, sizeof(err)) == -1) {
		api_reply_store_error(r, "%s", err);
		goto done;
	}
	if (curtail != NULL &&
	    envelope_set_curtail(r->st->env, json_number_value(curtail), r->who,
	        "rest", err, sizeof(err)) == -1) {
		api_reply_store_error(r, "%s", err);
		goto done;
	}
	api_reply_json(r->req, 200, envelope_power_json(r->st));
done:
	json_decref(body);
}

/* The scope and target named by ?pod= or ?node=, or by a body. -1 after a
 * reply. */
static int
policy_target(
    struct api_req *r, const char *pod, const char *node, const char **target)
{
	if (pod != NULL && node != NULL) {
		api_reply_error(
		    r->req, 400, "bad_request", "give pod or node, not both");
		return -1;
	}
	*target = pod ? pod : node;
	if (pod != NULL && fleet_pod_index(r->st->fleet, pod) < 0) {
		api_reply_error(r->req, 404, "not_found", "no pod '%s'", pod);
		return -1;
	}
	if (node != NULL && fleet_node(r->st->fleet, node) == NULL) {
		api_reply_error(r->req, 404, "not_found", "no node '%s'", node);
		return -1;
	}
	return pod ? POLICY_POD : node ? POLICY_NODE : POLICY_FLEET;
}

void
api_policy(struct api_req *r)
{
	static const char *const allowed[] = {"pod", "node", NULL};
	struct evkeyvalq q;
	const char *target;
	int scope;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	scope = policy_target(r, evhttp_find_header(&q, "pod"),
	    evhttp_find_header(&q, "node"), &target);
	if (scope >= 0)
		api_reply_json(
		    r->req, 200, envelope_policy_json(r->st, scope, target));
done:
	evhttp_clear_headers(&q);
}

void
api_policy_set(struct api_req *r)
{
	static const char *const members[] = {
	    "scope", "target", "name", "params", NULL};
	const char *key, *scope_s = NULL, *target = NULL, *name = NULL;
	json_t *body, *v, *params;
	char err[256];
	int k, scope, status;

	if ((body = api_read_body(r->req)) == NULL)
		return;
	if (!json_is_object(body)) {
		api_reply_error(
		    r->req, 400, "bad_request", "policy: expected an object");
		goto done;
	}
	json_object_foreach(body, key, v)
	{
		for (k = 0; members[k] != NULL; k++)
			if (strcmp(key, members[k]) == 0)
				break;
		if (members[k] == NULL) {
			api_reply_error(r->req, 400, "bad_request",
			    "policy: unknown member '%s'", key);
			goto done;
		}
	}
	if (jsonx_string(body, "scope", &scope_s, err, sizeof(err)) != 1 ||
	    (scope = policy_scope_parse(scope_s)) < 0 ||
	    jsonx_string(body, "name", &name, err, sizeof(err)) != 1 ||
	    jsonx_string(body, "target", &target, err, sizeof(err)) == -1) {
		api_reply_error(r->req, 400, "bad_request",
		    "policy: needs scope "
		    "(fleet, pod, node), name, and a target for pod and node");
		goto done;
	}
	if ((scope != POLICY_FLEET) != (target != NULL)) {
		api_reply_error(r->req, 400, "bad_request",
		    "policy: a %s policy "
		    "%s a target",
		    scope_s, target ? "takes no" : "needs");
		goto done;
	}
	params = json_object_get(body, "params");
	if (envelope_set_policy(r->st, scope, target, name, params, r->who, err,
	        sizeof(err), &status) == -1) {
		if (status == 500) {
			api_reply_store_error(r, "policy: %s", err);
			goto done;
		}
		api_reply_error(r->req, status,
		    status == 400   ? "bad_request"
		    : status == 404 ? "not_found"
		                    : "internal",
		    "policy: %s", err);
		goto done;
	}
	api_reply_json(r->req, 200, envelope_policy_json(r->st, scope, target));
done:
	json_decref(body);
}

/* GET /alarms: the most a reply lists by default, and at most. */
#define ALARMS_LIMIT_DEFAULT 500
#define ALARMS_LIMIT_MAX     5000

/* Most urgent first, then the newest raised first. */
static int
alarm_order(const void *a, const void *b)
{
	const struct alarm *x = *(const struct alarm *const *)a;
	const struct alarm *y = *(const struct alarm *const *)b;
	int cx = alarmview_class_of(x->kind), cy = alarmview_class_of(y->kind);

	if (cx != cy)
		return cx - cy;
	if (x->first_ms != y->first_ms)
		return x->first_ms > y->first_ms ? -1 : 1;
	return (x->id < y->id) - (x->id > y->id);
}

static int
lookup_alarm_state(void *ctx, const char *name)
{
	return alarm_state_parse(name);
}

static int
lookup_alarm_class(void *ctx, const char *name)
{
	return alarmview_class_parse(name);
}

static int
lookup_alarm_pod(void *ctx, const char *name)
{
	return fleet_pod_index(ctx, name);
}

/* A query's integer in [lo, hi]: 0, or -1 after a 400 naming it. */
static int
query_int(struct api_req *r, const char *key, const char *v, long lo, long hi,
    long *out)
{
	char *end;
	long n;

	if (v == NULL)
		return 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		api_reply_error(r->req, 400, "bad_request",
		    "'%s' must be an integer from %ld to %ld, not '%s'", key,
		    lo, hi, v);
		return -1;
	}
	*out = n;
	return 0;
}

/* The counts of the alarms matched, before the limit: per class, and per
 * kind with the nodes they list, so that a client can say "99 node_down
 * alarms over 300 nodes" without asking for all of them. */
static json_t *
alarms_summary_json(struct alarm *const *v, int n)
{
	int cls[ALARMVIEW_NCLASSES] = {0}, kinds[ALARM_NKINDS] = {0};
	int nodes[ALARM_NKINDS] = {0};
	json_t *o = json_object(), *by_kind = json_object();
	int i, k;

	for (i = 0; i < n; i++) {
		cls[alarmview_class_of(v[i]->kind)]++;
		kinds[v[i]->kind]++;
		nodes[v[i]->kind] += v[i]->nnodes > 0 ? v[i]->nnodes
		                     : alarm_kind_of_nodes(v[i]->kind) ? 1
		                                                       : 0;
	}
	for (k = 0; k < ALARMVIEW_NCLASSES; k++)
		json_object_set_new(
		    o, alarmview_class_name(k), json_integer(cls[k]));
	for (k = 0; k < ALARM_NKINDS; k++)
		if (kinds[k] > 0)
			json_object_set_new(by_kind, alarm_kind_name(k),
			    json_pack("{s:i,s:i}", "alarms", kinds[k], "nodes",
			        nodes[k]));
	json_object_set_new(o, "kinds", by_kind);
	return o;
}

/* GET /alarms?state=&severity=&pod=&limit=: the alarms matched (open and
 * acknowledged by default), critical first, newest first within a
 * severity, at most `limit`; X-Total-Count says how many matched. */
void
api_alarms(struct api_req *r)
{
	static const char *const allowed[] = {
	    "state", "severity", "pod", "limit", NULL};
	const struct fleet *f = r->st->fleet;
	struct alarms *a = &r->st->env->alarms;
	unsigned char states[3] = {1, 1, 0}, cls[ALARMVIEW_NCLASSES];
	unsigned char *pods = NULL;
	struct alarm **v = NULL;
	struct evkeyvalq q;
	const char *state, *severity, *pod;
	char bad[128], total[32];
	long limit = ALARMS_LIMIT_DEFAULT;
	json_t *arr;
	int i, n = 0;

	memset(cls, 1, sizeof(cls));
	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	state = evhttp_find_header(&q, "state");
	severity = evhttp_find_header(&q, "severity");
	pod = evhttp_find_header(&q, "pod");
	if (query_int(r, "limit", evhttp_find_header(&q, "limit"), 1,
	        ALARMS_LIMIT_MAX, &limit) == -1)
		goto done;
	if (state != NULL && strcmp(state, "all") == 0)
		memset(states, 1, sizeof(states));
	else if (state != NULL &&
	         (memset(states, 0, sizeof(states)),
	             api_parse_list(state, lookup_alarm_state, NULL, states, 3,
	                 bad, sizeof(bad)) == -1)) {
		api_reply_error(r->req, 400, "bad_request",
		    "'state': unknown alarm state '%s' (open, acked, cleared, "
		    "all)",
		    bad);
		goto done;
	}
	if (severity != NULL &&
	    (memset(cls, 0, sizeof(cls)),
	        api_parse_list(severity, lookup_alarm_class, NULL, cls,
	            ALARMVIEW_NCLASSES, bad, sizeof(bad)) == -1)) {
		api_reply_error(r->req, 400, "bad_request",
		    "'severity': unknown severity '%s' (critical, warning or "
		    "major, info)",
		    bad);
		goto done;
	}
	if (pod != NULL) {
		if ((pods = calloc((size_t)f->npods + 1, 1)) == NULL) {
			api_reply_error(
			    r->req, 500, "internal", "out of memory");
			goto done;
		}
		if (api_parse_list(pod, lookup_alarm_pod, (void *)f, pods,
		        f->npods, bad, sizeof(bad)) == -1) {
			api_reply_error(r->req, 400, "bad_request",
			    "'pod': no pod '%s'", bad);
			goto done;
		}
	}
	if ((v = calloc((size_t)a->n + 1, sizeof(*v))) == NULL) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	for (i = 0; i < a->n; i++) {
		struct alarm *al = a->v[i];
		int p;

		if (al->id == 0)
			continue; /* not stored yet */
		if (!states[al->state] || !cls[alarmview_class_of(al->kind)])
			continue;
		if (pods != NULL &&
		    ((p = alarmview_pod(f, al)) < 0 || !pods[p]))
			continue;
		v[n++] = al;
	}
	qsort(v, (size_t)n, sizeof(*v), alarm_order);
	arr = json_array();
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(arr, alarm_json(v[i]));
	snprintf(total, sizeof(total), "%d", n);
	evhttp_add_header(
	    evhttp_request_get_output_headers(r->req), "X-Total-Count", total);
	api_reply_json(r->req, 200,
	    json_pack("{s:o,s:o}", "alarms", arr, "summary",
	        alarms_summary_json(v, n)));
done:
	free(v);
	free(pods);
	evhttp_clear_headers(&q);
}

void
api_alarm_ack(struct api_req *r)
{
	struct alarms *a = &r->st->env->alarms;
	char *end;
	long long id = strtoll(r->args[0], &end, 10);
	struct alarm *al = *end == '\0' ? alarms_find(a, id) : NULL;
	int n;

	if (al == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "no alarm '%s'", r->args[0]);
		return;
	}
	if ((n = envelope_ack_alarms(r->st->env, al, r->who)) == 0) {
		api_reply_error(r->req, 409, "conflict",
		    "alarm %lld is %s, not open", id,
		    alarm_state_name(al->state));
		return;
	}
	if (n == -1) {
		api_reply_store_error(r, "could not store the acknowledgement");
		return;
	}
	api_reply_json(r->req, 200, alarm_json(al));
}

/* ---- telemetry history ---- */

/* Parses an integer query parameter into *v within lo..hi; absent leaves
 * *v. 0, or -1 having answered 400 naming it. */
static int
telemetry_int(struct api_req *r, struct evkeyvalq *q, const char *key, long lo,
    long hi, long *v)
{
	const char *s = evhttp_find_header(q, key);
	char *end;
	long x;

	if (s == NULL)
		return 0;
	x = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || x < lo || x > hi) {
		api_reply_error(r->req, 400, "bad_request",
		    "telemetry: %s='%s' must be an integer from %ld to %ld",
		    key, s, lo, hi);
		return -1;
	}
	*v = x;
	return 0;
}

void
api_telemetry(struct api_req *r)
{
	static const char *const allowed[] = {
	    "node", "from", "to", "step", "resolution", "accel", NULL};
	struct evkeyvalq q;
	const char *name, *from_s, *to_s, *res_s;
	const struct config *c = r->st->conf;
	int64_t now = time_wall_ms();
	long step = 0, accel = -1;
	struct rollup_query rq = {.now_ms = now, .res = -1};
	struct rollup_plan plan;
	struct store_history_q h;
	struct node *n;
	json_t *points;
	char err[160];

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	name = evhttp_find_header(&q, "node");
	from_s = evhttp_find_header(&q, "from");
	to_s = evhttp_find_header(&q, "to");
	res_s = evhttp_find_header(&q, "resolution");
	if (name == NULL || (n = fleet_node(r->st->fleet, name)) == NULL) {
		api_reply_error(r->req, name ? 404 : 400,
		    name ? "not_found" : "bad_request",
		    name ? "no node '%s'" : "telemetry needs node=NAME%s",
		    name ? name : "");
		goto done;
	}
	rq.from_ms = from_s ? api_parse_time(from_s) : now - 3600 * 1000;
	rq.to_ms = to_s ? api_parse_time(to_s) : now;
	if (rq.from_ms < 0 || rq.to_ms < 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "telemetry: %s='%s' is not a time: give ms since the epoch "
		    "or RFC 3339 (2024-05-01T12:00:00Z, "
		    "2024-05-01T12:00:00.250Z, "
		    "2024-05-01T14:00:00+02:00)",
		    rq.from_ms < 0 ? "from" : "to",
		    rq.from_ms < 0 ? from_s : to_s);
		goto done;
	}
	if (rq.from_ms > rq.to_ms) {
		api_reply_error(r->req, 400, "bad_request",
		    "telemetry: from must not be after to");
		goto done;
	}
	if (telemetry_int(r, &q, "step", 1, 86400, &step) == -1 ||
	    telemetry_int(r, &q, "accel", 0,
	        n->naccels > 0 ? n->naccels - 1 : 63, &accel) == -1)
		goto done;
	if (res_s != NULL && (rq.res = rollup_res_parse(res_s)) < 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "telemetry: resolution='%s' must be raw, 1m or 1h", res_s);
		goto done;
	}
	rq.step_s = (int)step;
	rq.raw_every_s = c->store_interval_s;
	rq.retention_days[ROLLUP_RAW] = c->retention_days;
	rq.retention_days[ROLLUP_1M] = c->retention_1m_days;
	rq.retention_days[ROLLUP_1H] = c->retention_1h_days;
	if (rollup_choose(&rq, &plan, err, sizeof(err)) == -1) {
		api_reply_error(
		    r->req, 400, "bad_request", "telemetry: %s", err);
		goto done;
	}
	h = (struct store_history_q){.node_id = n->id,
	    .accel = (int)accel,
	    .res = plan.res,
	    .from_ms = rq.from_ms,
	    .to_ms = rq.to_ms,
	    .step_s = plan.step_s,
	    .max_points = TELEMETRY_MAX_POINTS};
	if ((points = store_history(r->st->store, &h)) == NULL) {
		api_reply_error(
		    r->req, 500, "internal", "could not read samples");
		goto done;
	}
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:o,s:o,s:s,s:i,s:i,s:o,s:o}", "node", n->name,
	        "from", jsonx_time(rq.from_ms), "to", jsonx_time(rq.to_ms),
	        "resolution", rollup_res_name(plan.res), "step_s", plan.step_s,
	        "stored_every_s", plan.stored_every_s, "accel",
	        accel >= 0 ? json_integer(accel) : json_null(), "points",
	        points));
done:
	evhttp_clear_headers(&q);
}
