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
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <zlib.h>

#include "api.h"
#include "apireq.h"
#include "auth.h"
#include "ctl.h"
#include "fleet.h"
#include "httpcap.h"
#include "jsonx.h"
#include "log.h"
#include "names.h"
#include "nodeauth.h"
#include "selfstat.h"
#include "store.h"
#include "timeutil.h"

#define MAX_SEGMENTS       8    /* path segments under /api/v1 */
#define API_LISTEN_BACKLOG 4096 /* connections waiting to be accepted */

typedef void (*handler_fn)(struct api_req *r);

/*
 * Routes. Columns: HTTP method; path under /api/v1 with "*" for a captured
 * name; handler; who may call it (enum auth_rule, auth.h: public, read,
 * user, operator, admin, or node for the node's own agent); STANDBY_TOO
 * when a standby serves it too, because its answer is read from the database
 * alone (the rest needs the active controller's memory, or writes). The
 * rule is checked before the handler runs; a handler checks only what
 * depends on the object (a user cancels only its own jobs).
 */
static const struct route {
	enum evhttp_cmd_type method;
	const char *path;
	handler_fn fn;
	enum auth_rule rule;
	enum { ACTIVE_ONLY, STANDBY_TOO } standby;
} routes[] = {
    {EVHTTP_REQ_GET, "/health", api_health, RULE_PUBLIC, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/whoami", api_whoami, RULE_READ, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/status", api_status, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/pods", api_pods, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/pods/*", api_pod, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/nodes", api_nodes, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/nodes/*", api_node, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/nodes/*/credential", api_node_credential, RULE_ADMIN,
        ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/nodes/*/drain", api_drain, RULE_OPERATOR, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/nodes/*/resume", api_resume, RULE_OPERATOR,
        ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/jobs", api_jobs, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/jobs", api_submit, RULE_USER, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/jobs/*", api_job, RULE_READ, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/jobs/*/priority", api_job_priority, RULE_READ,
        ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/priority", api_priority, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_DELETE, "/jobs/*", api_cancel, RULE_USER, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/telemetry", api_telemetry, RULE_READ, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/power", api_power, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_PUT, "/power", api_power_set, RULE_OPERATOR, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/policy", api_policy, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_PUT, "/policy", api_policy_set, RULE_OPERATOR, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/alarms", api_alarms, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/alarms/*/ack", api_alarm_ack, RULE_OPERATOR,
        ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/audit", api_audit, RULE_OPERATOR, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/acct", api_acct, RULE_READ, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/usage", api_usage, RULE_READ, STANDBY_TOO},
    {EVHTTP_REQ_GET, "/tokens", api_tokens, RULE_ADMIN, STANDBY_TOO},
    {EVHTTP_REQ_POST, "/tokens", api_token_create, RULE_ADMIN, ACTIVE_ONLY},
    {EVHTTP_REQ_DELETE, "/tokens/*", api_token_revoke, RULE_ADMIN, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/accounts", api_accounts, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/accounts", api_account_add, RULE_ADMIN, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/accounts/*", api_account, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_PATCH, "/accounts/*", api_account_modify, RULE_ADMIN,
        ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/users", api_users, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/users", api_user_add, RULE_ADMIN, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/users/*", api_user, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_PATCH, "/users/*", api_user_modify, RULE_ADMIN, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/qos", api_qos, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/partitions", api_partitions, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/reservations", api_reservations, RULE_READ, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/reservations", api_reservation_add, RULE_OPERATOR,
        ACTIVE_ONLY},
    {EVHTTP_REQ_DELETE, "/reservations/*", api_reservation_delete,
        RULE_OPERATOR, ACTIVE_ONLY},
    {EVHTTP_REQ_POST, "/agents/*/report", api_report, RULE_NODE, ACTIVE_ONLY},
    {EVHTTP_REQ_GET, "/agents/*/desired", api_desired, RULE_NODE, ACTIVE_ONLY},
};

/* /metrics, beside /api/v1: a route of its own for the rule check. */
static const struct route metrics_route = {
    EVHTTP_REQ_GET, "/metrics", NULL, RULE_READ, ACTIVE_ONLY};

/* The methods requests are counted by, in the order of their keys. */
static const enum evhttp_cmd_type methods[] = {EVHTTP_REQ_GET, EVHTTP_REQ_POST,
    EVHTTP_REQ_PUT, EVHTTP_REQ_DELETE, EVHTTP_REQ_HEAD, EVHTTP_REQ_OPTIONS,
    EVHTTP_REQ_TRACE, EVHTTP_REQ_CONNECT, EVHTTP_REQ_PATCH};
#define NMETHODS ((int)(sizeof(methods) / sizeof(methods[0])) + 1)

/* HTTP series keys (selfstat.h): a route's index in the table; then
 * /metrics; then, by method, the dashboard's files and the requests no
 * route takes (route="other"). */
#define NROUTES     ((int)(sizeof(routes) / sizeof(routes[0])))
#define KEY_METRICS NROUTES
#define KEY_FILES   (KEY_METRICS + 1)
#define KEY_OTHER   (KEY_FILES + NMETHODS)
_Static_assert(KEY_OTHER + NMETHODS <= SELFSTAT_HTTP_KEYS,
    "SELFSTAT_HTTP_KEYS is too small for the route table");

/* ---- replies ---- */

/* Replies smaller than this go as they are: gzip's header and trailer
 * (18 bytes) and the deflate call cost more than they save. */
#define API_GZIP_MIN 1024
/* zlib's fastest level: replies are compressed on the event loop, where
 * a millisecond saved matters more than a few percent of bytes (JSON and
 * the Prometheus text shrink 6-10x even so). */
#define API_GZIP_LEVEL 1

/* The q value of one Accept-Encoding item's parameters (";q=0.5"); 1
 * when none. */
static double
coding_q(const char *params, size_t len)
{
	char buf[64], *q, *end;
	double v;

	snprintf(buf, sizeof(buf), "%.*s", (int)(len < 63 ? len : 63), params);
	for (q = buf; (q = strchr(q, ';')) != NULL;) {
		for (q++; *q == ' ' || *q == '\t'; q++)
			continue;
		if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
			v = strtod(q + 2, &end);
			return end == q + 2 ? 1 : v;
		}
	}
	return 1;
}

int
api_accepts_gzip(struct evhttp_request *req)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Accept-Encoding");
	const char *p, *end, *semi;
	double gzip_q = -1, star_q = -1;
	size_t len, nlen;

	if (h == NULL)
		return 0;
	for (p = h; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		semi = memchr(p, ';', len);
		nlen = semi ? (size_t)(semi - p) : len;
		while (nlen > 0 && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
			nlen--;
		if ((nlen == 4 && strncasecmp(p, "gzip", 4) == 0) ||
		    (nlen == 6 && strncasecmp(p, "x-gzip", 6) == 0))
			gzip_q = semi ? coding_q(semi, len - (semi - p)) : 1;
		else if (nlen == 1 && *p == '*')
			star_q = semi ? coding_q(semi, len - (semi - p)) : 1;
	}
	return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

/* Feeds z's input to deflate with flush into out until it has taken it
 * all (and, for Z_FINISH, ended the stream). 0, or -1. */
static int
deflate_into(z_stream *z, int flush, struct evbuffer *out)
{
	struct evbuffer_iovec space;
	int rc;

	do {
		if (evbuffer_reserve_space(out, 65536, &space, 1) != 1)
			return -1;
		z->next_out = space.iov_base;
		z->avail_out = (uInt)space.iov_len;
		rc = deflate(z, flush);
		if (rc == Z_STREAM_ERROR)
			return -1;
		space.iov_len -= z->avail_out;
		if (evbuffer_commit_space(out, &space, 1) == -1)
			return -1;
	} while (
	    z->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

/* body gzipped into a new evbuffer (chunk by chunk, without copying it
 * flat first), or NULL: the caller sends it plain. */
static struct evbuffer *
gzip_buffer(struct evbuffer *body)
{
	struct evbuffer *out = evbuffer_new();
	struct evbuffer_iovec *in = NULL;
	z_stream z;
	int n, i, ok = 0;

	memset(&z, 0, sizeof(z));
	if (out == NULL || deflateInit2(&z, API_GZIP_LEVEL, Z_DEFLATED, 15 + 16,
	                       8, Z_DEFAULT_STRATEGY) != Z_OK) {
		if (out != NULL)
			evbuffer_free(out);
		return NULL;
	}
	n = evbuffer_peek(body, -1, NULL, NULL, 0);
	if (n < 0 || (in = calloc(n + 1, sizeof(*in))) == NULL ||
	    evbuffer_peek(body, -1, NULL, in, n) != n)
		goto fail;
	for (i = 0; i < n; i++) {
		z.next_in = in[i].iov_base;
		z.avail_in = (uInt)in[i].iov_len;
		if (deflate_into(&z, Z_NO_FLUSH, out) == -1)
			goto fail;
	}
	z.next_in = NULL;
	z.avail_in = 0;
	ok = deflate_into(&z, Z_FINISH, out) == 0;
fail:
	deflateEnd(&z);
	free(in);
	if (!ok) {
		log_warnx("%s: deflate failed", __func__);
		evbuffer_free(out);
		return NULL;
	}
	return out;
}

void
api_send(struct evhttp_request *req, int code, struct evbuffer *body)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *z = NULL;

	evhttp_add_header(h, "Vary", "Accept-Encoding");
	if (evbuffer_get_length(body) >= API_GZIP_MIN &&
	    api_accepts_gzip(req) && (z = gzip_buffer(body)) != NULL)
		evhttp_add_header(h, "Content-Encoding", "gzip");
	evhttp_send_reply(req, code, NULL, z != NULL ? z : body);
	if (z != NULL)
		evbuffer_free(z);
}

/* Sends len bytes of JSON text and a newline; a 500 on no memory. */
static void
api_reply_text(
    struct evhttp_request *req, int code, const char *text, size_t len)
{
	struct evbuffer *buf = evbuffer_new();

	if (buf == NULL || evbuffer_add(buf, text, len) == -1 ||
	    evbuffer_add(buf, "\n", 1) == -1) {
		log_warnx("%s: out of memory", __func__);
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-store");
	api_send(req, code, buf);
	evbuffer_free(buf);
}

void
api_reply_json(struct evhttp_request *req, int code, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));

	json_decref(j);
	if (text == NULL) {
		log_warnx("%s: out of memory", __func__);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	api_reply_text(req, code, text, strlen(text));
	free(text);
}

void
api_reply_jsonw(struct evhttp_request *req, int code, struct jsonw *w)
{
	if (jsonw_done(w) == -1) {
		log_warnx(
		    "%s: out of memory, or past %zu bytes", __func__, w->max);
		evhttp_send_error(req, 500, NULL);
		return;
	}
	api_reply_text(req, code, w->buf, w->len);
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

/* m's place in methods[], NMETHODS - 1 for any other. */
static int
method_index(enum evhttp_cmd_type m)
{
	int i;

	for (i = 0; i < NMETHODS - 1 && methods[i] != m; i++)
		continue;
	return i;
}

/* ---- counting ---- */

/* The request's reply went out: count its status (the callback's
 * argument is its series). */
static void
answered(struct evhttp_request *req, void *arg)
{
	selfstat_http_code(
	    arg, time_mono_ms(), evhttp_request_get_response_code(req));
}

/* From here on the request counts in series key. Returns key. */
static int
track(struct ctl_state *st, struct evhttp_request *req, int key)
{
	evhttp_request_set_on_complete_cb(
	    req, answered, selfstat_http_slot(st->self, key));
	return key;
}

/* Names every series, once: the routes as /api/v1 patterns. */
static void
name_series(struct selfstat *self)
{
	int i, m;

	for (i = 0; i < NROUTES; i++)
		selfstat_http_name(self, i, method_name(routes[i].method),
		    "/api/v1", routes[i].path);
	selfstat_http_name(self, KEY_METRICS, "GET", "", "/metrics");
	for (m = 0; m < NMETHODS; m++) {
		const char *name =
		    m < NMETHODS - 1 ? method_name(methods[m]) : "other";

		selfstat_http_name(self, KEY_FILES + m, name, "", "static");
		selfstat_http_name(self, KEY_OTHER + m, name, "", "other");
	}
}

/* ---- authentication hook ---- */

const char *
api_bearer(struct evhttp_request *req)
{
	const char *h = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL; /* none, or a scheme we do not take */
	for (h += 7; *h == ' '; h++)
		continue;
	return *h != '\0' ? h : NULL;
}

/* The path the request asked for, for messages. */
static const char *
request_path(struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;

	return path ? path : "?";
}

/* Replies 401 with the challenge RFC 6750 asks for. */
static void
unauthorized(struct evhttp_request *req, const char *msg)
{
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Bearer realm=\"pod\"");
	api_reply_error(req, 401, "unauthorized", "%s", msg);
}

/* Records a token's use, writing it to the store at most once a minute
 * (a failed write is tried again at the next use). */
static void
touch(struct ctl_state *st, struct auth_token *t, int64_t now)
{
	t->last_used_ms = now;
	/* a standby writes nothing: the active one records the uses */
	if (st->standby || now - t->stored_used_ms < AUTH_TOUCH_MS)
		return;
	if (store_touch_token(st->store, t->id, now) == 0)
		t->stored_used_ms = now;
}

/*
 * Every request passes here before its handler: the caller's token, if
 * any, gives r->user and r->role, and the route's rule decides. Fills
 * r->who (the user, else the peer's address) for the audit and the logs.
 * The agents' routes take the node's credential instead (nodeauth.h).
 * Returns 0 to go on, or -1 after replying 401 or 403.
 */
static int
authorize(struct api_req *r, const struct route *rt)
{
	struct ctl_state *st = r->st;
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	const char *addr = NULL, *tok, *why;
	unsigned char hash[AUTH_HASH_LEN];
	struct auth_token *t;
	ev_uint16_t port = 0;
	int64_t now = time_wall_ms();
	char msg[256];
	int verdict;

	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&addr, &port);
	snprintf(r->who, sizeof(r->who), "%s", addr ? addr : "unknown");
	r->role = AUTH_ANONYMOUS;
	if (rt->rule == RULE_PUBLIC)
		return 0;
	if (rt->rule == RULE_NODE) /* the node named by the path's "*" */
		return nodeauth_check(r, r->args[0]);
	if ((tok = api_bearer(r->req)) != NULL) {
		if (auth_token_hash(tok, hash) == -1 ||
		    (t = auth_find(&st->auth, hash)) == NULL) {
			st->auth.refused[0]++;
			unauthorized(r->req,
			    "the token is not one this controller made");
			return -1;
		}
		if ((why = auth_unusable(t, now)) != NULL) {
			st->auth.refused[0]++;
			snprintf(msg, sizeof(msg), "token %lld was %s",
			    (long long)t->id, why);
			unauthorized(r->req, msg);
			return -1;
		}
		touch(st, t, now);
		snprintf(r->user, sizeof(r->user), "%s", t->user);
		snprintf(r->who, sizeof(r->who), "%s", t->user);
		r->role = t->role;
		r->token_id = t->id;
	}
	verdict = auth_decide(rt->rule, r->role, st->conf->anonymous_read);
	if (verdict != 0)
		st->auth.refused[verdict == 403]++;
	if (verdict == 401) {
		snprintf(msg, sizeof(msg),
		    "%s %s needs a token: send the header "
		    "'Authorization: Bearer TOKEN' (podctl: --token-file, "
		    "POD_TOKEN or ~/.config/pod/token)",
		    method_name(rt->method), request_path(r->req));
		unauthorized(r->req, msg);
		return -1;
	}
	if (verdict == 403) {
		api_reply_error(r->req, 403, "forbidden",
		    "%s %s needs the %s role; %s is %s",
		    method_name(rt->method), request_path(r->req),
		    auth_rule_name(rt->rule), r->user, auth_role_name(r->role));
		return -1;
	}
	return 0;
}

void
api_print_routes(FILE *out)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		fprintf(out, "%s /api/v1%s %s %s\n",
		    method_name(routes[i].method), routes[i].path,
		    auth_rule_name(routes[i].rule),
		    routes[i].standby == STANDBY_TOO ? "standby" : "active");
	fprintf(out, "%s %s %s active\n", method_name(metrics_route.method),
	    metrics_route.path, auth_rule_name(metrics_route.rule));
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
	char why[128];

	return names_text_check(s, why, sizeof(why)) == 0;
}

int
api_text_check(const char *field, const char *s, char *why, size_t len)
{
	char what[128];

	if (names_text_check(s, what, sizeof(what)) == 0)
		return 0;
	snprintf(why, len, "%s: %s", field, what);
	return -1;
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
 * A write (POST, PUT, PATCH, DELETE) over its peer's rate gets 429 with the
 * seconds to wait in Retry-After; 1 then. The agents' routes are left
 * alone: a fleet behind one address reports every second.
 */
static int
over_rate(struct api_req *r, const struct route *rt)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	int64_t wait_ms;
	char secs[32];

	if (rt->rule == RULE_NODE || c == NULL ||
	    (rt->method != EVHTTP_REQ_POST && rt->method != EVHTTP_REQ_PUT &&
	        rt->method != EVHTTP_REQ_DELETE &&
	        rt->method != EVHTTP_REQ_PATCH))
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

/* On a controller that has taken the lead and waits out the old leader's
 * lease: when it acts, in req's Retry-After (RFC 9110's delay-seconds,
 * rounded up), so that agents come back then rather than after their
 * backoff. Nothing in any other role. */
static void
say_when(struct ctl_state *st, struct evhttp_request *req)
{
	int64_t in_ms = leader_acts_in_ms(&st->lead, time_mono_ms());
	char secs[32];

	if (in_ms < 0)
		return;
	snprintf(secs, sizeof(secs), "%lld",
	    (long long)(in_ms + 999) / 1000 + (in_ms == 0));
	evhttp_add_header(
	    evhttp_request_get_output_headers(req), "Retry-After", secs);
}

/* Whether req, of route rt (NULL: /metrics or a file), must wait for the
 * active controller: on a standby, all but the dashboard's files,
 * /metrics and the routes a standby serves; on a leader that cannot tell
 * it still leads (leader.c), the agents' routes and every write. Replies
 * 503 with where the active one is, and returns 1. */
static int
not_leading(struct ctl_state *st, struct evhttp_request *req,
    const struct route *rt, enum evhttp_cmd_type method)
{
	const char *active = st->lead.active_url;
	json_t *body;

	if (st->standby) {
		if (rt == NULL || rt->standby) /* files, /metrics */
			return 0;
		say_when(st, req);
		if (st->lead.role == LEADER_WAITING) /* active: itself */
			body = json_pack("{s:{s:s,s:s,s:s}}", "error", "code",
			    "standby", "message",
			    "this controller is taking the lead: it acts once "
			    "the previous leader's lease has run out",
			    "active", active);
		else
			body = json_pack("{s:{s:s,s:s+,s:s}}", "error", "code",
			    "standby", "message",
			    "this controller is the standby; the active "
			    "controller is at ",
			    active[0] ? active : "(not known yet)", "active",
			    active);
	} else if (leader_acting(&st->lead, time_mono_ms()) ||
	           (method == EVHTTP_REQ_GET &&
	               (rt == NULL || rt->rule != RULE_NODE))) {
		return 0;
	} else {
		body = json_pack("{s:{s:s,s:s,s:s}}", "error", "code",
		    "not_active", "message",
		    "this controller cannot confirm with the database that "
		    "it still leads: it serves reads only",
		    "active", active);
	}
	if (active[0] != '\0')
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "X-Pod-Active", active);
	api_reply_json(req, 503, body);
	return 1;
}

/* Routes req and runs its handler. Returns its series key. */
static int
route_request(struct ctl_state *st, struct evhttp_request *req)
{
	struct api_req r;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	char *seg[MAX_SEGMENTS], *save, *s;
	char allow[64] = "";
	int nseg = 0, key = track(st, req, KEY_OTHER + method_index(method));
	size_t i;

	if (path == NULL || *path == '\0')
		path = "/";
	if (refused(st, req) || (strncmp(path, "/api/", 5) != 0 &&
	                            not_leading(st, req, NULL, method)))
		return key;
	if (strcmp(path, "/metrics") == 0) {
		key = track(st, req, KEY_METRICS);
		memset(&r, 0, sizeof(r));
		r.req = req;
		r.st = st;
		/* a wrong method gets its 405 whoever asks */
		if (method != metrics_route.method ||
		    authorize(&r, &metrics_route) == 0)
			api_serve_metrics(&st->metrics, req);
		return key;
	}
	if (strncmp(path, "/api/", 5) != 0) {
		key = track(st, req, KEY_FILES + method_index(method));
		api_serve_file(st->web_dir, req, path);
		return key;
	}
	memset(&r, 0, sizeof(r));
	r.req = req;
	r.st = st;
	if (strncmp(path, "/api/v1/", 8) != 0 ||
	    strlen(path) - 7 >= sizeof(r.segbuf)) {
		api_reply_error(req, 404, "not_found", "no route %s", path);
		return key;
	}
	snprintf(r.segbuf, sizeof(r.segbuf), "%s", path + 7);
	for (s = strtok_r(r.segbuf, "/", &save); s != NULL;
	     s = strtok_r(NULL, "/", &save)) {
		if (nseg == MAX_SEGMENTS) {
			api_reply_error(
			    req, 404, "not_found", "no route %s", path);
			return key;
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
		key = track(st, req, (int)i);
		if (not_leading(st, req, rt, method))
			return key;
		if (authorize(&r, rt) == -1 || over_rate(&r, rt)) {
			if (rt->fn == api_report && st->self != NULL)
				selfstat_count(&st->self->reports_refused,
				    time_mono_ms(), 1);
			return key;
		}
		rt->fn(&r);
		return key;
	}
	if (allow[0] != '\0') {
		evhttp_add_header(
		    evhttp_request_get_output_headers(req), "Allow", allow);
		api_reply_error(req, 405, "method_not_allowed",
		    "%s takes %s, not %s", path, allow, method_name(method));
		return key;
	}
	api_reply_error(req, 404, "not_found", "no route %s", path);
	return key;
}

/* Every request: routed, run, and its time on the loop counted
 * (pod_http_request_seconds; its status is counted when the reply has
 * gone out, answered()). */
static void
api_dispatch(struct evhttp_request *req, void *arg)
{
	struct ctl_state *st = arg;
	double t0 = selfstat_clock_s();
	int key = route_request(st, req);

	selfstat_http_time(
	    st->self, key, time_mono_ms(), selfstat_clock_s() - t0);
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
	if (httpcap_tls(st->httpcap, st->conf) == -1) {
		log_warnx("cannot serve TLS ([controller] tls_cert, tls_key)");
		evhttp_free(st->http);
		st->http = NULL;
		return -1;
	}
	evhttp_set_bevcb(st->http, httpcap_bev, st->httpcap);
	if (st->self != NULL)
		name_series(st->self);
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
	snprintf(st->url, sizeof(st->url), "%s://%s%s%s:%d",
	    httpcap_is_tls(st->httpcap) ? "https" : "http",
	    strchr(shown, ':') ? "[" : "", shown, strchr(shown, ':') ? "]" : "",
	    port);
	log_info("REST API listening on %s/api/v1", st->url);
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
