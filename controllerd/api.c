/*
 * The REST API. Every request goes through api_dispatch(): the path is split
 * into segments and matched against the route table, where "*" captures a
 * name; then the authentication hook runs; then the handler. Handlers read
 * the fleet (memory) and write decisions through the store before replying,
 * so what a 2xx acknowledged survives a restart. Anything not under /api is
 * a file of the dashboard.
 */
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "api.h"
#include "apireq.h"
#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "alarms.h"
#include "httpcap.h"
#include "envelope.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "queue.h"
#include "wire.h"
#include "store.h"
#include "timeutil.h"

#define MAX_SEGMENTS 8 /* path segments under /api/v1 */

typedef void (*handler_fn)(struct api_req *r);

static void h_health(struct api_req *);
static void h_status(struct api_req *);
static void h_pods(struct api_req *);
static void h_pod(struct api_req *);
static void h_nodes(struct api_req *);
static void h_node(struct api_req *);
static void h_drain(struct api_req *);
static void h_resume(struct api_req *);
static void h_report(struct api_req *);
static void h_desired(struct api_req *);

/*
 * Routes. Columns: HTTP method; path under /api/v1 with "*" for a captured
 * name; handler; whether an agent (rather than an operator) calls it.
 */
static const struct route {
	enum evhttp_cmd_type method;
	const char *path;
	handler_fn fn;
	int agent;
} routes[] = {
    {EVHTTP_REQ_GET, "/health", h_health, 0},
    {EVHTTP_REQ_GET, "/status", h_status, 0},
    {EVHTTP_REQ_GET, "/pods", h_pods, 0},
    {EVHTTP_REQ_GET, "/pods/*", h_pod, 0},
    {EVHTTP_REQ_GET, "/nodes", h_nodes, 0},
    {EVHTTP_REQ_GET, "/nodes/*", h_node, 0},
    {EVHTTP_REQ_POST, "/nodes/*/drain", h_drain, 0},
    {EVHTTP_REQ_POST, "/nodes/*/resume", h_resume, 0},
    {EVHTTP_REQ_GET, "/jobs", api_jobs, 0},
    {EVHTTP_REQ_POST, "/jobs", api_submit, 0},
    {EVHTTP_REQ_GET, "/jobs/*", api_job, 0},
    {EVHTTP_REQ_DELETE, "/jobs/*", api_cancel, 0},
    {EVHTTP_REQ_GET, "/telemetry", api_telemetry, 0},
    {EVHTTP_REQ_GET, "/power", api_power, 0},
    {EVHTTP_REQ_PUT, "/power", api_power_set, 0},
    {EVHTTP_REQ_GET, "/policy", api_policy, 0},
    {EVHTTP_REQ_PUT, "/policy", api_policy_set, 0},
    {EVHTTP_REQ_GET, "/alarms", api_alarms, 0},
    {EVHTTP_REQ_POST, "/alarms/*/ack", api_alarm_ack, 0},
    {EVHTTP_REQ_GET, "/audit", api_audit, 0},
    {EVHTTP_REQ_POST, "/agents/*/report", h_report, 1},
    {EVHTTP_REQ_GET, "/agents/*/desired", h_desired, 1},
};

/* ---- replies ---- */

void
api_reply_json(struct evhttp_request *req, int code, json_t *j)
{
	struct evbuffer *buf = evbuffer_new();
	char *text;

	text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
	json_decref(j);
	if (buf == NULL || text == NULL) {
		log_warnx("%s: out of memory", __func__);
		free(text);
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add(buf, text, strlen(text));
	evbuffer_add(buf, "\n", 1);
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
}

void
api_reply_error(struct evhttp_request *req, int code, const char *errcode,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_json(req, code,
	    json_pack(
	        "{s:{s:s,s:s}}", "error", "code", errcode, "message", msg));
}

/* Parses the request body as JSON; on failure replies 400 and returns
 * NULL. New reference. */
json_t *
api_read_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	char err[256];
	json_t *j;

	if (len == 0) {
		api_reply_error(req, 400, "bad_request",
		    "request body: expected JSON, got nothing");
		return NULL;
	}
	if (len > API_MAX_BODY) {
		api_reply_error(req, 413, "payload_too_large",
		    "request body: %zu bytes is over the %d byte limit", len,
		    API_MAX_BODY);
		return NULL;
	}
	j = jsonx_parse(
	    (const char *)evbuffer_pullup(in, -1), len, err, sizeof(err));
	if (j == NULL)
		api_reply_error(
		    req, 400, "bad_request", "request body: %s", err);
	return j;
}

/* Fills q from the query string and checks every key is in `allowed` (a
 * NULL-terminated list). On failure replies 400 and returns -1; the caller
 * clears q either way. */
int
api_read_query(
    struct evhttp_request *req, struct evkeyvalq *q, const char *const *allowed)
{
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyval *kv;
	int i, ok;

	TAILQ_INIT(q);
	if (query == NULL)
		return 0;
	if (evhttp_parse_query_str(query, q) == -1) {
		api_reply_error(
		    req, 400, "bad_request", "malformed query string");
		return -1;
	}
	TAILQ_FOREACH(kv, q, next)
	{
		for (ok = 0, i = 0; allowed[i] != NULL; i++)
			ok |= strcmp(kv->key, allowed[i]) == 0;
		if (!ok) {
			api_reply_error(req, 400, "bad_request",
			    "unknown query parameter '%s'", kv->key);
			return -1;
		}
	}
	return 0;
}

/* A time: milliseconds since the epoch, or an RFC 3339 time (fractions of a
 * second and offsets allowed). A '+' sent unescaped in a query string
 * arrives as a space; before an offset it can only have been a '+'. -1 when
 * neither. */
int64_t
api_parse_time(const char *s)
{
	char buf[64];
	size_t len = strlen(s);
	int64_t ms;
	char *end;
	long long v;

	if (s[0] >= '0' && s[0] <= '9' && strchr(s, '-') == NULL) {
		v = strtoll(s, &end, 10);
		return *end == '\0' && v >= 0 ? v : -1;
	}
	if (len > 6 && len < sizeof(buf) && s[len - 6] == ' ') {
		memcpy(buf, s, len + 1);
		buf[len - 6] = '+';
		s = buf;
	}
	if (time_parse_rfc3339(s, &ms) == -1 || ms < 0)
		return -1;
	return ms;
}

/* ---- JSON views of the fleet ---- */

static json_t *
summary_json(const struct fleet_summary *s, json_t *o)
{
	jsonx_set_real(o, "power_w", s->power_w, 1);
	jsonx_set_real(o, "budget_w", s->budget_w, 1);
	jsonx_set_real(o, "heat_w", s->heat_w, 1);
	jsonx_set_real(o, "cooling_capacity_w", s->cooling_capacity_w, 1);
	jsonx_set_real(o, "supply_c", s->supply_c, 2);
	jsonx_set_real(o, "return_c", s->return_c, 2);
	jsonx_set_real(o, "flow_lpm", s->flow_lpm, 2);
	return o;
}

static json_t *
by_state_json(const struct fleet_summary *s)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k < NODE_NSTATES; k++)
		json_object_set_new(
		    o, fleet_state_name(k), json_integer(s->by_state[k]));
	return o;
}

static json_t *
pod_json(const struct fleet *f, int p)
{
	struct fleet_summary s;
	json_t *o = json_object();

	fleet_summarize(f, p, &s);
	json_object_set_new(o, "name", json_string(f->pods[p].conf.name));
	json_object_set_new(o, "nodes_total", json_integer(s.nodes_total));
	json_object_set_new(o, "nodes_up", json_integer(s.nodes_up));
	json_object_set_new(
	    o, "accelerators_total", json_integer(s.accels_total));
	json_object_set_new(o, "accelerators_up", json_integer(s.accels_up));
	summary_json(&s, o);
	jsonx_set_real(o, "hottest_c", s.hottest_c, 1);
	json_object_set_new(o, "groups", json_integer(f->pods[p].conf.groups));
	json_object_set_new(o, "leaks", json_integer(s.leaks));
	json_object_set_new(o, "nodes_by_state", by_state_json(&s));
	return o;
}

static json_t *
leak_json(int leak)
{
	return leak < 0 ? json_null() : json_boolean(leak);
}

static json_t *
node_json(const struct fleet *f, const struct node *n, int detail)
{
	const char *reason = fleet_node_reason(n);
	json_t *o = json_object(), *accels;
	int i;

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "pod", json_string(f->pods[n->pod].conf.name));
	json_object_set_new(o, "group", json_string(n->group));
	json_object_set_new(
	    o, "state", json_string(fleet_state_name(fleet_node_state(f, n))));
	json_object_set_new(
	    o, "reason", reason ? json_string(reason) : json_null());
	json_object_set_new(o, "drained", json_boolean(n->drained));
	jsonx_set_real(o, "power_w", n->power_w, 1);
	json_object_set_new(o, "last_seen", jsonx_time(n->last_seen_ms));
	json_object_set_new(o, "accelerators_total",
	    json_integer(n->naccels > 0
	                     ? n->naccels
	                     : f->pods[n->pod].conf.accels_per_node));
	jsonx_set_real(o, "hottest_c", fleet_node_hottest_c(n), 1);
	jsonx_set_real(o, "inlet_c", n->inlet_c, 2);
	jsonx_set_real(o, "outlet_c", n->outlet_c, 2);
	jsonx_set_real(o, "flow_lpm", n->flow_lpm, 2);
	jsonx_set_real(o, "heat_w", fleet_node_heat_w(f, n), 1);
	json_object_set_new(o, "leak", leak_json(n->leak));
	if (!detail)
		return o;
	json_object_set_new(o, "drained_at",
	    n->drained ? jsonx_time(n->drained_at_ms) : json_null());
	json_object_set_new(o, "drained_by",
	    n->drained && n->drained_by[0] ? json_string(n->drained_by)
	                                   : json_null());
	jsonx_set_real(o, "pressure_kpa", n->pressure_kpa, 1);
	jsonx_set_real(o, "pump_pct", n->pump_pct, 1);
	json_object_set_new(o, "sample_time", jsonx_time(n->sample_t_ms));
	json_object_set_new(o, "agent_version",
	    n->agent_version[0] ? json_string(n->agent_version) : json_null());
	json_object_set_new(o, "boot_id",
	    n->boot_id[0] ? json_string(n->boot_id) : json_null());
	accels = json_array();
	for (i = 0; i < n->naccels; i++) {
		const struct accel *a = &n->accels[i];
		json_t *ja = json_object();

		json_object_set_new(ja, "index", json_integer(i));
		json_object_set_new(ja, "model",
		    a->model[0] ? json_string(a->model) : json_null());
		jsonx_set_real(ja, "power_w", a->power_w, 1);
		jsonx_set_real(ja, "temp_c", a->temp_c, 1);
		jsonx_set_real(ja, "clock_mhz", a->clock_mhz, 0);
		jsonx_set_real(ja, "clock_max_mhz", a->clock_max_mhz, 0);
		jsonx_set_real(ja, "util_pct", a->util_pct, 1);
		jsonx_set_real(ja, "mem_used_mib", a->mem_used_mib, 0);
		jsonx_set_real(ja, "mem_total_mib", a->mem_total_mib, 0);
		jsonx_set_real(ja, "energy_j", a->energy_j, 1);
		jsonx_set_real(ja, "tdp_w", a->tdp_w, 1);
		jsonx_set_real(ja, "temp_crit_c", a->temp_crit_c, 1);
		json_array_append_new(accels, ja);
	}
	json_object_set_new(o, "accelerators", accels);
	return o;
}

/* ---- handlers ---- */

static void
h_health(struct api_req *r)
{
	struct fleet_summary s;

	fleet_summarize(r->st->fleet, -1, &s);
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:s,s:I,s:i,s:i,s:i}", "status", "ok", "version",
	        POD_VERSION, "uptime_s",
	        (json_int_t)((time_mono_ms() - r->st->start_mono_ms) / 1000),
	        "schema_version", store_schema_version(r->st->store),
	        "nodes_total", s.nodes_total, "nodes_up", s.nodes_up));
}

static void
h_status(struct api_req *r)
{
	const struct fleet *f = r->st->fleet;
	struct fleet_summary s;
	json_t *o = json_object(), *hot = json_null();

	fleet_summarize(f, -1, &s);
	json_object_set_new(o, "pods_total", json_integer(f->npods));
	json_object_set_new(o, "nodes",
	    json_pack("{s:i,s:i}", "total", s.nodes_total, "up", s.nodes_up));
	json_object_update(json_object_get(o, "nodes"), by_state_json(&s));
	json_object_set_new(o, "accelerators",
	    json_pack("{s:i,s:i}", "total", s.accels_total, "up", s.accels_up));
	summary_json(&s, o);
	if (s.hottest_node >= 0) {
		hot = json_pack("{s:s,s:i}", "node",
		    f->nodes[s.hottest_node].name, "index", s.hottest_index);
		jsonx_set_real(hot, "temp_c", s.hottest_c, 1);
	}
	json_object_set_new(o, "hottest", hot);
	json_object_set_new(o, "leaks", json_integer(s.leaks));
	json_object_set_new(
	    o, "alarms_open", json_integer(envelope_alarms_open(r->st)));
	json_object_set_new(
	    o, "alarms_unacked", json_integer(envelope_alarms_unacked(r->st)));
	api_reply_json(r->req, 200, o);
}

static void
h_pods(struct api_req *r)
{
	json_t *a = json_array();
	int p;

	for (p = 0; p < r->st->fleet->npods; p++)
		json_array_append_new(a, pod_json(r->st->fleet, p));
	api_reply_json(r->req, 200, json_pack("{s:o}", "pods", a));
}

static void
h_pod(struct api_req *r)
{
	int p = fleet_pod_index(r->st->fleet, r->args[0]);

	if (p < 0) {
		api_reply_error(
		    r->req, 404, "not_found", "no pod '%s'", r->args[0]);
		return;
	}
	api_reply_json(r->req, 200, pod_json(r->st->fleet, p));
}

int
api_parse_list(const char *list, int (*lookup)(void *, const char *), void *ctx,
    unsigned char *set, int n, char *bad, size_t badlen)
{
	char item[128];
	const char *p, *end;
	size_t len;
	int i;

	for (p = list;; p = end + 1) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		if (len == 0 || len >= sizeof(item) ||
		    (i = lookup(ctx, item)) < 0 || i >= n) {
			snprintf(bad, badlen, "%s", item);
			return -1;
		}
		set[i] = 1;
		if (*end == '\0')
			return 0;
	}
}

static int
lookup_pod(void *ctx, const char *name)
{
	return fleet_pod_index(ctx, name);
}

static int
lookup_node_state(void *ctx, const char *name)
{
	return fleet_state_parse(name);
}

/* GET /nodes?pod=&state=: each a comma-separated list, any of which
 * matches. */
static void
h_nodes(struct api_req *r)
{
	static const char *const allowed[] = {"pod", "state", NULL};
	const struct fleet *f = r->st->fleet;
	unsigned char states[NODE_NSTATES] = {0}, *pods = NULL;
	struct evkeyvalq q;
	const char *pod, *state;
	char bad[128];
	int i;
	json_t *a;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	pod = evhttp_find_header(&q, "pod");
	state = evhttp_find_header(&q, "state");
	if (pod != NULL && *pod) {
		if ((pods = calloc(f->npods + 1, 1)) == NULL) {
			api_reply_error(
			    r->req, 500, "internal", "out of memory");
			goto done;
		}
		if (api_parse_list(pod, lookup_pod, (void *)f, pods, f->npods,
		        bad, sizeof(bad)) == -1) {
			api_reply_error(
			    r->req, 404, "not_found", "no pod '%s'", bad);
			goto done;
		}
	}
	if (state != NULL && *state &&
	    api_parse_list(state, lookup_node_state, NULL, states, NODE_NSTATES,
	        bad, sizeof(bad)) == -1) {
		api_reply_error(r->req, 400, "bad_request",
		    "unknown node state '%s' (idle, mixed, allocated, down, "
		    "draining, drained)",
		    bad);
		goto done;
	}
	a = json_array();
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];

		if ((pods != NULL && !pods[n->pod]) ||
		    (state != NULL && *state &&
		        !states[fleet_node_state(f, n)]))
			continue;
		json_array_append_new(a, node_json(f, n, 0));
	}
	api_reply_json(r->req, 200, json_pack("{s:o}", "nodes", a));
done:
	free(pods);
	evhttp_clear_headers(&q);
}

static struct node *
find_node(struct api_req *r)
{
	struct node *n = fleet_node(r->st->fleet, r->args[0]);

	if (n == NULL)
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
	return n;
}

/* Attempts listed in a node's detail. */
#define NODE_RECENT_ATTEMPTS 10

/* GET /nodes/{name}: the detail, with the attempts that ran there last
 * (from the store, lost ones included). */
static void
h_node(struct api_req *r)
{
	struct node *n = find_node(r);
	json_t *o, *recent;

	if (n == NULL)
		return;
	recent = store_node_attempts(r->st->store, n->id, NODE_RECENT_ATTEMPTS);
	if (recent == NULL) {
		api_reply_error(r->req, 500, "internal",
		    "could not read the recent attempts on %s", n->name);
		return;
	}
	o = node_json(r->st->fleet, n, 1);
	json_object_set_new(o, "recent_attempts", recent);
	api_reply_json(r->req, 200, o);
}

int
api_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* POST /nodes/{name}/drain. The reply is the node's detail with
 * "replaced": the reason, who and when of the drain it replaced, or null
 * when the node was not drained. */
static void
h_drain(struct api_req *r)
{
	struct node *n, saved;
	const char *reason = NULL;
	json_t *body, *reply, *replaced;
	char err[128];

	if ((n = find_node(r)) == NULL)
		return;
	if ((body = api_read_body(r->req)) == NULL)
		return;
	if (!json_is_object(body) ||
	    jsonx_string(body, "reason", &reason, err, sizeof(err)) != 1 ||
	    reason[strspn(reason, " \t")] == '\0' ||
	    strlen(reason) >= sizeof(n->reason) || !api_printable(reason)) {
		api_reply_error(r->req, 400, "bad_request",
		    "drain needs {\"reason\": TEXT}, 1 to %zu printable "
		    "characters",
		    sizeof(n->reason) - 1);
		goto done;
	}
	if (n->drained && strcmp(n->reason, reason) == 0) {
		/* the same drain again changes nothing: no store, no audit */
		reply = node_json(r->st->fleet, n, 1);
		json_object_set_new(reply, "replaced", json_null());
		json_object_set_new(reply, "unchanged", json_true());
		api_reply_json(r->req, 200, reply);
		goto done;
	}
	saved = *n;
	n->drained = 1;
	snprintf(n->reason, sizeof(n->reason), "%s", reason);
	n->drained_at_ms = time_wall_ms();
	snprintf(n->drained_by, sizeof(n->drained_by), "%s", r->who);
	if (store_put_drain(r->st->store, n, r->who, "drain") == -1) {
		*n = saved;
		api_reply_error(r->req, 500, "internal",
		    "could not store the drain of %s", n->name);
		goto done;
	}
	if (saved.drained) {
		replaced = json_object();
		json_object_set_new(replaced, "reason",
		    saved.reason[0] ? json_string(saved.reason) : json_null());
		json_object_set_new(replaced, "drained_by",
		    saved.drained_by[0] ? json_string(saved.drained_by)
		                        : json_null());
		json_object_set_new(
		    replaced, "drained_at", jsonx_time(saved.drained_at_ms));
		log_info("node %s drained by %s: %s (replaced: %s)", n->name,
		    r->who, n->reason, saved.reason);
	} else {
		replaced = json_null();
		log_info(
		    "node %s drained by %s: %s", n->name, r->who, n->reason);
	}
	reply = node_json(r->st->fleet, n, 1);
	json_object_set_new(reply, "replaced", replaced);
	json_object_set_new(reply, "unchanged", json_false());
	api_reply_json(r->req, 200, reply);
done:
	json_decref(body);
}

static void
h_resume(struct api_req *r)
{
	struct node *n, saved;

	if ((n = find_node(r)) == NULL)
		return;
	if (!n->drained) {
		api_reply_error(r->req, 409, "conflict",
		    "node '%s' is not drained or draining", n->name);
		return;
	}
	saved = *n;
	n->drained = 0;
	n->reason[0] = n->drained_by[0] = '\0';
	n->drained_at_ms = 0;
	if (store_put_drain(r->st->store, n, r->who, "resume") == -1) {
		*n = saved;
		api_reply_error(r->req, 500, "internal",
		    "could not store the resume of %s", n->name);
		return;
	}
	log_info("node %s resumed by %s", n->name, r->who);
	api_reply_json(r->req, 200, node_json(r->st->fleet, n, 1));
}

/* Logs a report from an unknown agent once per name. */
static void
note_unknown(struct ctl_state *st, const char *name)
{
	int i;

	for (i = 0; i < st->nunknown; i++)
		if (strcmp(st->unknown[i], name) == 0)
			return;
	if (st->nunknown == CTL_MAX_UNKNOWN)
		return;
	log_warnx("report from unknown node '%s' refused (not in the "
	          "configured fabric)",
	    name);
	st->unknown[st->nunknown] = strdup(name);
	if (st->unknown[st->nunknown] != NULL)
		st->nunknown++;
}

static void
queue_sample(struct node *n, const struct report_sample *s, void *arg)
{
	struct ctl_state *st = arg;
	int64_t every_ms = (int64_t)st->conf->store_interval_s * 1000;

	if (s->t_ms - n->stored_t_ms < every_ms && s->t_ms >= n->stored_t_ms)
		return;
	store_queue_sample(st->store, n, s);
	n->stored_t_ms = s->t_ms;
}

static void
h_report(struct api_req *r)
{
	struct node *n = fleet_node(r->st->fleet, r->args[0]);
	struct report rep;
	json_t *body;
	char err[256];

	if (n == NULL) {
		note_unknown(r->st, r->args[0]);
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
		return;
	}
	if ((body = api_read_body(r->req)) == NULL)
		return;
	if (wire_report_decode(body, &rep, err, sizeof(err)) == -1) {
		log_debug("report from %s refused: %s", n->name, err);
		api_reply_error(r->req, 400, "bad_request", "report: %s", err);
		json_decref(body);
		return;
	}
	json_decref(body);
	/* A pod returning at once logs a few lines and a count per tick. */
	if (fleet_apply_report(r->st->fleet, n, &rep, time_wall_ms(),
	        time_mono_ms(), queue_sample, r->st) &&
	    r->st->up_logged++ < 8)
		log_info("node %s is up (agent %s, boot %s)", n->name,
		    n->agent_version[0] ? n->agent_version : "?", n->boot_id);
	queue_report(r->st, n, &rep);
	envelope_report(r->st, n, &rep);
	wire_report_free(&rep);
	api_reply_json(r->req, 200,
	    json_pack("{s:I,s:o}", "ack_seq", (json_int_t)n->ack_seq, "desired",
	        queue_desired(r->st, n)));
}

/* ---- desired state, long-polled ---- */

/*
 * A held GET /agents/NODE/desired. It is answered by a 100 ms check that
 * sees the node's version change or the wait run out; if the agent hangs
 * up first, the connection's close callback drops it unanswered.
 */
struct parked {
	struct ctl_state *st;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	const struct node *node;
	int64_t version;     /* the version the agent has */
	int64_t deadline_ms; /* monotonic */
	struct event *ev;
	struct parked *prev, *next;
};

static void
unpark(struct parked *p)
{
	struct ctl_state *st = p->st;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		st->parked = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	st->nparked--;
	evhttp_connection_set_closecb(p->conn, NULL, NULL);
	event_free(p->ev);
	free(p);
}

static void
parked_closed(struct evhttp_connection *conn, void *arg)
{
	unpark(arg);
}

static void
parked_check(evutil_socket_t fd, short ev, void *arg)
{
	struct parked *p = arg;
	struct timeval tick = {0, 100000};

	if (p->node->desired_version == p->version &&
	    time_mono_ms() < p->deadline_ms) {
		event_add(p->ev, &tick);
		return;
	}
	api_reply_json(p->req, 200, queue_desired(p->st, p->node));
	unpark(p);
}

static void
h_desired(struct api_req *r)
{
	static const char *const allowed[] = {"version", "wait", NULL};
	struct node *n = fleet_node(r->st->fleet, r->args[0]);
	struct timeval tick = {0, 100000};
	struct evkeyvalq q;
	const char *v, *w;
	long long version = -1, wait_s = 0;
	struct parked *p = NULL;
	char *end;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	if (n == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
		goto done;
	}
	v = evhttp_find_header(&q, "version");
	w = evhttp_find_header(&q, "wait");
	if (v != NULL && ((version = strtoll(v, &end, 10)) < 0 || *end)) {
		api_reply_error(r->req, 400, "bad_request",
		    "version must be a non-negative integer");
		goto done;
	}
	if (w != NULL && ((wait_s = strtoll(w, &end, 10)) < 0 || *end ||
	                     wait_s > API_MAX_WAIT_S)) {
		api_reply_error(r->req, 400, "bad_request",
		    "wait must be 0 to %d seconds", API_MAX_WAIT_S);
		goto done;
	}
	if (version != n->desired_version && v != NULL)
		wait_s = 0;
	if (wait_s == 0 || r->st->nparked >= API_MAX_PARKED ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		api_reply_json(r->req, 200, queue_desired(r->st, n));
		goto done;
	}
	p->st = r->st;
	p->req = r->req;
	p->conn = evhttp_request_get_connection(r->req);
	p->node = n;
	p->version = version;
	p->deadline_ms = time_mono_ms() + wait_s * 1000;
	if ((p->ev = evtimer_new(r->st->base, parked_check, p)) == NULL ||
	    event_add(p->ev, &tick) == -1) {
		if (p->ev != NULL)
			event_free(p->ev);
		free(p);
		api_reply_json(r->req, 200, queue_desired(r->st, n));
		goto done;
	}
	evhttp_connection_set_closecb(p->conn, parked_closed, p);
	p->next = r->st->parked;
	if (p->next != NULL)
		p->next->prev = p;
	r->st->parked = p;
	r->st->nparked++;
done:
	evhttp_clear_headers(&q);
}

/* ---- authentication hook ---- */

/*
 * Every request passes here before its handler. Fills r->who with the
 * principal recorded in the audit log; returns 0 to go on, or -1 after
 * replying. Tokens arrive with a later issue; until then every peer is
 * allowed and known by its address.
 */
static int
authorize(struct api_req *r, const struct route *rt)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	const char *addr = NULL;
	ev_uint16_t port = 0;

	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	snprintf(r->who, sizeof(r->who), "%s", addr ? addr : "unknown");
	(void)rt;
	return 0;
}

/* ---- the dashboard's files ---- */

static const struct {
	const char *ext, *type;
} mime[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
};

static void
serve_file(struct ctl_state *st, struct evhttp_request *req, const char *path)
{
	char file[8192];
	const char *type = "application/octet-stream", *dot;
	struct evbuffer *buf;
	struct stat sb;
	size_t i;
	int fd;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		api_reply_error(
		    req, 405, "method_not_allowed", "%s takes GET, HEAD", path);
		return;
	}
	if (st->web_dir[0] == '\0' || strstr(path, "..") != NULL ||
	    strchr(path, '%') != NULL) {
		api_reply_error(req, 404, "not_found", "no file '%s'", path);
		return;
	}
	snprintf(file, sizeof(file), "%s%s%s", st->web_dir, path,
	    path[strlen(path) - 1] == '/' ? "index.html" : "");
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		api_reply_error(req, 404, "not_found", "no file '%s'", path);
		return;
	}
	if ((dot = strrchr(file, '.')) != NULL)
		for (i = 0; i < sizeof(mime) / sizeof(mime[0]); i++)
			if (strcmp(dot, mime[i].ext) == 0)
				type = mime[i].type;
	buf = evbuffer_new();
	if (buf == NULL || evbuffer_add_file(buf, fd, 0, sb.st_size) == -1) {
		if (buf != NULL)
			evbuffer_free(buf);
		else
			close(fd);
		api_reply_error(req, 500, "internal", "cannot read '%s'", path);
		return;
	}
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

/* ---- Prometheus ---- */

static void
serve_metrics(struct ctl_state *st, struct evhttp_request *req)
{
	struct evbuffer *buf;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", "GET");
		api_reply_error(
		    req, 405, "method_not_allowed", "/metrics takes GET");
		return;
	}
	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	metrics_write(st, buf);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

/* ---- dispatch ---- */

static int
match(const char *pattern, char **seg, int nseg, const char **args)
{
	char pat[128], *save, *ps;
	int i = 0, a = 0;

	snprintf(pat, sizeof(pat), "%s", pattern);
	for (ps = strtok_r(pat, "/", &save); ps != NULL;
	     ps = strtok_r(NULL, "/", &save), i++) {
		if (i >= nseg)
			return 0;
		if (strcmp(ps, "*") == 0) {
			if (a < MAX_ARGS)
				args[a++] = seg[i];
		} else if (strcmp(ps, seg[i]) != 0) {
			return 0;
		}
	}
	return i == nseg;
}

static const char *
method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_OPTIONS:
		return "OPTIONS";
	case EVHTTP_REQ_TRACE:
		return "TRACE";
	case EVHTTP_REQ_CONNECT:
		return "CONNECT";
	case EVHTTP_REQ_PATCH:
		return "PATCH";
	default:
		return "other";
	}
}

/* Answers the stand-in httpcap.c made for a request over a limit; 1 when
 * it was one. The connection closes after the reply. */
static int
refused(struct evhttp_request *req)
{
	const char *why = evhttp_find_header(
	    evhttp_request_get_input_headers(req), HTTPCAP_REJECT);

	if (why == NULL)
		return 0;
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Connection", "close");
	if (strncmp(why, "413", 3) == 0)
		api_reply_error(req, 413, "payload_too_large",
		    "request body: %s bytes is over the %d byte limit",
		    why[3] == ' ' ? why + 4 : "?", API_MAX_BODY);
	else if (strcmp(why, "431") == 0)
		api_reply_error(req, 431, "header_too_large",
		    "request line and headers are over the %d byte limit",
		    HTTPCAP_MAX_HEAD);
	else
		api_reply_error(req, 400, "bad_request", "request: %s",
		    why[3] == ' ' ? why + 4 : why);
	return 1;
}

static void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct ctl_state *st = arg;
	struct api_req r;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char *seg[MAX_SEGMENTS], *save, *s;
	char allow[64] = "";
	int nseg = 0;
	size_t i;

	if (path == NULL || *path == '\0')
		path = "/";
	if (refused(req))
		return;
	if (strcmp(path, "/metrics") == 0) {
		serve_metrics(st, req);
		return;
	}
	if (strncmp(path, "/api/", 5) != 0) {
		serve_file(st, req, path);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.req = req;
	r.st = st;
	if (strncmp(path, "/api/v1/", 8) != 0 ||
	    strlen(path) - 7 >= sizeof(r.segbuf)) {
		api_reply_error(req, 404, "not_found", "no route %s", path);
		return;
	}
	snprintf(r.segbuf, sizeof(r.segbuf), "%s", path + 7);
	for (s = strtok_r(r.segbuf, "/", &save); s != NULL;
	     s = strtok_r(NULL, "/", &save)) {
		if (nseg == MAX_SEGMENTS) {
			api_reply_error(
			    req, 404, "not_found", "no route %s", path);
			return;
		}
		seg[nseg++] = s;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *rt = &routes[i];

		if (!match(rt->path, seg, nseg, r.args))
			continue;
		if (rt->method != method) {
			size_t l = strlen(allow);

			snprintf(allow + l, sizeof(allow) - l, "%s%s",
			    l ? ", " : "", method_name(rt->method));
			continue;
		}
		if (authorize(&r, rt) == -1)
			return;
		rt->fn(&r);
		return;
	}
	if (allow[0] != '\0') {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", allow);
		api_reply_error(req, 405, "method_not_allowed",
		    "%s takes %s, not %s", path, allow, method_name(method));
		return;
	}
	api_reply_error(req, 404, "not_found", "no route %s", path);
}

int
api_start(struct ctl_state *st)
{
	struct evhttp_bound_socket *bs;
	char host[128], *colon;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char shown[INET6_ADDRSTRLEN] = "?";
	int port;

	snprintf(host, sizeof(host), "%s", st->conf->listen);
	colon = strrchr(host, ':');
	*colon = '\0';
	port = (int)strtol(colon + 1, NULL, 10);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if ((st->http = evhttp_new(st->base)) == NULL) {
		log_warnx("%s: evhttp_new failed", __func__);
		return -1;
	}
	evhttp_set_max_body_size(st->http, API_MAX_BODY);
	evhttp_set_max_headers_size(st->http, HTTPCAP_MAX_HEAD + 64);
	evhttp_set_timeout(st->http, 30);
	/* Every method libevent knows reaches api_dispatch(), so that a
	 * wrong one gets the JSON 405; httpcap answers oversized requests. */
	evhttp_set_allowed_methods(st->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
	        EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	if ((st->httpcap = httpcap_new()) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	evhttp_set_bevcb(st->http, httpcap_bev, st->httpcap);
	evhttp_set_gencb(st->http, api_dispatch, st);
	if ((bs = evhttp_bind_socket_with_handle(st->http, host, port)) ==
	    NULL) {
		log_warn("cannot listen on %s ([controller] listen)",
		    st->conf->listen);
		evhttp_free(st->http);
		st->http = NULL;
		return -1;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
	        &sl) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			inet_ntop(
			    AF_INET, &sin->sin_addr, shown, sizeof(shown));
			port = ntohs(sin->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(
			    AF_INET6, &sin6->sin6_addr, shown, sizeof(shown));
			port = ntohs(sin6->sin6_port);
		}
	}
	log_info("REST API listening on http://%s%s%s:%d/api/v1",
	    strchr(shown, ':') ? "[" : "", shown, strchr(shown, ':') ? "]" : "",
	    port);
	return 0;
}

void
api_stop(struct ctl_state *st)
{
	while (st->parked != NULL)
		unpark(st->parked);
	if (st->http != NULL)
		evhttp_free(st->http);
	st->http = NULL;
	httpcap_free(st->httpcap);
	st->httpcap = NULL;
}
