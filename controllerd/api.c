/*
 * The REST API. Every request goes through api_dispatch(): the path is split
 * into segments and matched against the route table, where "*" captures a
 * name; then the authentication hook runs; then the handler. Handlers read
 * the fleet (memory) and write decisions through the store before replying,
 * so what a 2xx acknowledged survives a restart. Anything not under /api is
 * a file of the dashboard or /metrics (api_static.c). This file holds the
 * plumbing: the route table, dispatch, the reply and request helpers every
 * handler shares, and the listener; the handlers live in api_*.c by what
 * they serve.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "api.h"
#include "apireq.h"
#include "ctl.h"
#include "fleet.h"
#include "httpcap.h"
#include "jsonx.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#define MAX_SEGMENTS       8    /* path segments under /api/v1 */
#define API_LISTEN_BACKLOG 4096 /* connections waiting to be accepted */

typedef void (*handler_fn)(struct api_req *r);

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
    {EVHTTP_REQ_GET, "/health", api_health, 0},
    {EVHTTP_REQ_GET, "/status", api_status, 0},
    {EVHTTP_REQ_GET, "/pods", api_pods, 0},
    {EVHTTP_REQ_GET, "/pods/*", api_pod, 0},
    {EVHTTP_REQ_GET, "/nodes", api_nodes, 0},
    {EVHTTP_REQ_GET, "/nodes/*", api_node, 0},
    {EVHTTP_REQ_POST, "/nodes/*/drain", api_drain, 0},
    {EVHTTP_REQ_POST, "/nodes/*/resume", api_resume, 0},
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
    {EVHTTP_REQ_POST, "/agents/*/report", api_report, 1},
    {EVHTTP_REQ_GET, "/agents/*/desired", api_desired, 1},
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

void
api_reply_store_error(struct api_req *r, const char *fmt, ...)
{
	const char *why = store_unavailable(r->st->store);
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (why == NULL) {
		api_reply_error(r->req, 500, "internal", "%s", msg);
		return;
	}
	evhttp_add_header(
	    evhttp_request_get_output_headers(r->req), "Retry-After", "1");
	api_reply_error(r->req, 503, "unavailable",
	    "%s: %s; nothing was changed, try again", msg, why);
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

int
api_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
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
refused(struct ctl_state *st, struct evhttp_request *req)
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
	else if (strcmp(why, "408") == 0)
		api_reply_error(req, 408, "request_timeout",
		    "request line and headers not complete within %d s "
		    "([controller] header_timeout_s)",
		    st->conf->header_timeout_s);
	else if (strcmp(why, "431") == 0)
		api_reply_error(req, 431, "header_too_large",
		    "request line and headers are over the %d byte limit",
		    HTTPCAP_MAX_HEAD);
	else
		api_reply_error(req, 400, "bad_request", "request: %s",
		    why[3] == ' ' ? why + 4 : why);
	return 1;
}

/*
 * A write (POST, PUT, DELETE) over its peer's rate gets 429 with the
 * seconds to wait in Retry-After; 1 then. The agents' routes are left
 * alone: a fleet behind one address reports every second.
 */
static int
over_rate(struct api_req *r, const struct route *rt)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	int64_t wait_ms;
	char secs[32];

	if (rt->agent || c == NULL ||
	    (rt->method != EVHTTP_REQ_POST && rt->method != EVHTTP_REQ_PUT &&
	        rt->method != EVHTTP_REQ_DELETE))
		return 0;
	wait_ms =
	    httpcap_write_wait(r->st->httpcap, evhttp_connection_get_addr(c));
	if (wait_ms == 0)
		return 0;
	snprintf(secs, sizeof(secs), "%lld", (long long)(wait_ms + 999) / 1000);
	evhttp_add_header(
	    evhttp_request_get_output_headers(r->req), "Retry-After", secs);
	api_reply_error(r->req, 429, "too_many_requests",
	    "%s: over %g writes per second ([controller] write_rate_per_s); "
	    "retry in %s s",
	    r->who, r->st->conf->write_rate_per_s, secs);
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
	if (refused(st, req))
		return;
	if (strcmp(path, "/metrics") == 0) {
		api_serve_metrics(&st->metrics, req);
		return;
	}
	if (strncmp(path, "/api/", 5) != 0) {
		api_serve_file(st->web_dir, req, path);
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
		if (authorize(&r, rt) == -1 || over_rate(&r, rt))
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
	if ((st->httpcap = httpcap_new(st->base)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	httpcap_configure(st->httpcap, st->conf);
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
	httpcap_listen(st->httpcap, evhttp_bound_socket_get_listener(bs));
	/* libevent listens with a backlog of 128; a fabric's agents reconnect
	 * at once after a stall, and past the backlog their SYNs are dropped
	 * until their connect times out. Linux takes a new backlog from a
	 * second listen() (the kernel caps it at net.core.somaxconn). */
	if (listen(evhttp_bound_socket_get_fd(bs), API_LISTEN_BACKLOG) == -1)
		log_warn("%s: listen backlog %d", __func__, API_LISTEN_BACKLOG);
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
	api_agents_stop(st);
	if (st->http != NULL)
		evhttp_free(st->http);
	st->http = NULL;
	httpcap_free(st->httpcap);
	st->httpcap = NULL;
}
