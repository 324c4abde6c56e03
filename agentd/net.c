/*
 * HTTP client on libevent: see net.h. Each request object keeps one
 * keep-alive evhttp connection to the server of its last URL; an https
 * connection is a bufferevent over OpenSSL (libevent_openssl) that
 * verifies the server's chain and its name or address. This used to be
 * libcurl: linking it loaded some thirty shared libraries (GnuTLS through
 * librtmp and libldap, Kerberos, libssh2, nghttp2 ...) that the agent
 * never used, about 7 MiB of its 11.7 MiB RSS (docs/operations.md, "Agent
 * footprint"); libevent's client does the one thing needed, HTTP/1.1 POST
 * and GET of JSON.
 *
 * Callbacks reach the caller through a zero-delay event, never from inside
 * libevent's own request callback, so the caller may free or reuse the
 * request (and so its connection) from its callback. A connection that
 * failed, timed out or was closed is dropped and made anew for the next
 * request: an OpenSSL bufferevent cannot be reconnected.
 */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "net.h"

#define NET_ERR_MAX 256 /* bytes of an error message */

struct net {
	struct event_base *base; /* borrowed */
	struct evdns_base *dns;  /* made for the first host name; NULL: none */
	SSL_CTX *tls;            /* made for the first https URL */
	char *ca_file;           /* PEM CAs of https; NULL: the system's */
};

struct net_req {
	struct net *net;
	char *user_agent;
	char *bearer; /* "Bearer …", or NULL */
	struct evhttp_connection *conn;
	char conn_key[300];       /* scheme://host:port of conn */
	int conn_dead;            /* conn closed or failed: make anew */
	int conn_reused;          /* conn served a request before */
	int retried;              /* this request was sent again */
	int timed_out;            /* the total time limit passed */
	enum evhttp_cmd_type cmd; /* of the request in flight */
	int tls;
	int port;
	char host[256];
	char hostport[300]; /* the Host header */
	char target[2048];  /* path and query */
	size_t body_len;
	struct evhttp_request *http; /* in flight, libevent's; NULL: none */
	struct event *timer;         /* the request's total time limit */
	struct event *deliver;       /* runs the caller's callback */
	int busy;                    /* 1: started, callback not yet run */
	long timeout_ms;
	char *body; /* the request body in flight, owned */
	char *reply;
	size_t reply_len;
	int status; /* HTTP status; 0: failed, see err */
	int retry_after_s;
	char err[NET_ERR_MAX];
	net_done_cb cb;
	void *arg;
};

struct net *
net_new(struct event_base *base)
{
	struct net *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	n->base = base;
	return n;
}

void
net_free(struct net *n)
{
	if (n == NULL)
		return;
	if (n->dns != NULL)
		evdns_base_free(n->dns, 0);
	SSL_CTX_free(n->tls);
	free(n->ca_file);
	free(n);
}

struct event_base *
net_base(const struct net *n)
{
	return n->base;
}

int
net_set_ca_file(struct net *n, const char *path)
{
	char *p = NULL;

	if (path != NULL && path[0] != '\0' && (p = strdup(path)) == NULL) {
		log_warn("%s: strdup", __func__);
		return -1;
	}
	free(n->ca_file);
	n->ca_file = p;
	/* connections made from now on use the new CAs; live ones hold
	 * their own reference to the old context */
	SSL_CTX_free(n->tls);
	n->tls = NULL;
	return 0;
}

/* The TLS client context, made on first use: peer verification on, the
 * CA file or the system's CAs. NULL (err says why) on failure. */
static SSL_CTX *
tls_ctx(struct net *n, char *err, size_t errlen)
{
	SSL_CTX *c;

	if (n->tls != NULL)
		return n->tls;
	if ((c = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "cannot make a TLS context");
		return NULL;
	}
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	if (n->ca_file != NULL
	        ? SSL_CTX_load_verify_locations(c, n->ca_file, NULL) != 1
	        : SSL_CTX_set_default_verify_paths(c) != 1) {
		snprintf(err, errlen, "cannot load the CA certificates %s",
		    n->ca_file ? n->ca_file : "of the system");
		SSL_CTX_free(c);
		return NULL;
	}
	n->tls = c;
	return c;
}

/* 1 when host is an IPv4 or IPv6 literal. */
static int
is_address(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

static void
conn_drop(struct net_req *r)
{
	if (r->conn != NULL) {
		/* no callback of ours may run for it any more */
		evhttp_connection_set_closecb(r->conn, NULL, NULL);
		evhttp_connection_free(r->conn);
	}
	r->conn = NULL;
	r->conn_dead = 0;
	r->conn_key[0] = '\0';
}

static void
on_close(struct evhttp_connection *conn, void *arg)
{
	struct net_req *r = arg;

	(void)conn;
	r->conn_dead = 1;
}

static void issue(struct net_req *r);

/* Runs the caller's callback from the loop, with what the request
 * gathered. */
static void
on_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct net_req *r = arg;
	struct net_result res;

	(void)fd;
	(void)what;
	if (!r->busy)
		return;
	if (r->status == 0 && r->conn_reused && !r->retried && !r->timed_out) {
		/* A kept connection the server had closed as we sent: once
		 * more on a new one, as a browser or curl would. */
		r->retried = 1;
		conn_drop(r);
		issue(r);
		return;
	}
	r->busy = 0;
	evtimer_del(r->timer);
	free(r->body);
	r->body = NULL;
	memset(&res, 0, sizeof(res));
	if (r->status > 0) {
		res.ok = 1;
		res.status = r->status;
		res.body = r->reply ? r->reply : "";
		res.body_len = r->reply_len;
		res.retry_after_s = r->retry_after_s;
	} else {
		res.error = r->err[0] ? r->err : "request failed";
		r->conn_dead = 1;
	}
	/* Last: the callback may reuse or free r. */
	r->cb(r, &res, r->arg);
}

static void
finish(struct net_req *r)
{
	r->http = NULL;
	event_active(r->deliver, EV_TIMEOUT, 1);
}

/* Words for a failure of the connection: the certificate check's verdict
 * or OpenSSL's first reason when TLS failed, else the socket's error. */
static void
conn_error(struct net_req *r, const char *what)
{
	struct bufferevent *bev = NULL;
	unsigned long e, first = 0;
	long verify = X509_V_OK;
	char tls[160];
	SSL *ssl;
	int saved = EVUTIL_SOCKET_ERROR();

	if (r->conn != NULL &&
	    (bev = evhttp_connection_get_bufferevent(r->conn)) != NULL) {
		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (first == 0 && ERR_GET_LIB(e) != 0)
				first = e;
		if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL)
			verify = SSL_get_verify_result(ssl);
	}
	if (verify != X509_V_OK)
		snprintf(r->err, sizeof(r->err),
		    "%s: TLS: certificate verify failed: %s", what,
		    X509_verify_cert_error_string(verify));
	else if (first != 0) {
		ERR_error_string_n(first, tls, sizeof(tls));
		snprintf(r->err, sizeof(r->err), "%s: TLS: %s", what, tls);
	} else if (saved != 0 && saved != ENOTCONN)
		/* ENOTCONN is libevent's own shutdown() of the failed socket,
		 * not why it failed */
		snprintf(r->err, sizeof(r->err), "%s: %s", what,
		    evutil_socket_error_to_string(saved));
	else
		snprintf(r->err, sizeof(r->err), "%s", what);
}

static void
on_error(enum evhttp_request_error error, void *arg)
{
	struct net_req *r = arg;
	static const struct {
		enum evhttp_request_error error;
		const char *words;
	} table[] = {
	    {EVREQ_HTTP_TIMEOUT, "timed out"},
	    {EVREQ_HTTP_EOF, "connection failed or closed"},
	    {EVREQ_HTTP_INVALID_HEADER, "bad reply header"},
	    {EVREQ_HTTP_BUFFER_ERROR, "connection failed"},
	    {EVREQ_HTTP_REQUEST_CANCEL, "cancelled"},
	    {EVREQ_HTTP_DATA_TOO_LONG, "reply larger than the cap"},
	};
	size_t i;

	if (r->http == NULL || r->err[0] != '\0')
		return;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].error == error) {
			conn_error(r, table[i].words);
			return;
		}
	conn_error(r, "request failed");
}

/* The reply's Retry-After when it is delay-seconds (RFC 9110) from 1 to
 * NET_RETRY_AFTER_MAX_S, else 0: a date, or a value out of reason. */
static int
retry_after(struct evhttp_request *http)
{
	const char *v = evhttp_find_header(
	    evhttp_request_get_input_headers(http), "Retry-After");
	char *end;
	long s;

	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	s = strtol(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	return *end == '\0' && s >= 1 && s <= NET_RETRY_AFTER_MAX_S ? (int)s
	                                                            : 0;
}

static void
on_done(struct evhttp_request *http, void *arg)
{
	struct net_req *r = arg;
	struct evbuffer *in;
	size_t len;
	char *p;

	if (r->http == NULL)
		return; /* cancelled: the timer has said so */
	if (http == NULL || evhttp_request_get_response_code(http) == 0) {
		if (r->err[0] == '\0')
			conn_error(r, "connection failed");
		finish(r);
		return;
	}
	in = evhttp_request_get_input_buffer(http);
	len = evbuffer_get_length(in);
	if ((p = realloc(r->reply, len + 1)) == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		finish(r);
		return;
	}
	r->reply = p;
	evbuffer_remove(in, r->reply, len);
	r->reply[len] = '\0';
	r->reply_len = len;
	r->status = evhttp_request_get_response_code(http);
	r->retry_after_s = retry_after(http);
	finish(r);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct net_req *r = arg;
	struct evhttp_request *http = r->http;

	(void)fd;
	(void)what;
	if (http == NULL)
		return;
	r->http = NULL; /* its callbacks, if any still run, do nothing */
	evhttp_cancel_request(http);
	snprintf(
	    r->err, sizeof(r->err), "timed out after %ld ms", r->timeout_ms);
	r->status = 0;
	r->timed_out = 1;
	r->conn_dead = 1;
	event_active(r->deliver, EV_TIMEOUT, 1);
}

struct net_req *
net_req_new(struct net *n, const char *user_agent)
{
	struct net_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->user_agent = strdup(user_agent)) == NULL) {
		log_warn("%s: calloc", __func__);
		goto fail;
	}
	r->net = n;
	if ((r->timer = evtimer_new(n->base, on_timeout, r)) == NULL ||
	    (r->deliver = event_new(n->base, -1, 0, on_deliver, r)) == NULL) {
		log_warnx("%s: cannot make its events", __func__);
		goto fail;
	}
	return r;
fail:
	net_req_free(r);
	return NULL;
}

void
net_req_free(struct net_req *r)
{
	if (r == NULL)
		return;
	if (r->http != NULL) {
		struct evhttp_request *http = r->http;

		r->http = NULL;
		evhttp_cancel_request(http);
	}
	conn_drop(r);
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->deliver != NULL)
		event_free(r->deliver);
	free(r->user_agent);
	free(r->bearer);
	free(r->body);
	free(r->reply);
	free(r);
}

int
net_req_set_bearer(struct net_req *r, const char *cred)
{
	char *b;

	if (cred[0] == '\0')
		return 0;
	if (strlen(cred) > 100) {
		log_warnx("%s: credential too long", __func__);
		return -1;
	}
	if ((b = malloc(strlen(cred) + 8)) == NULL) {
		log_warn("%s: malloc", __func__);
		return -1;
	}
	snprintf(b, strlen(cred) + 8, "Bearer %s", cred);
	free(r->bearer);
	r->bearer = b;
	return 0;
}

/* A connection to the URL's server: the one kept when it is the same
 * server and still good, else a new one. NULL (err says why). */
static struct evhttp_connection *
conn_for(struct net_req *r, int tls, const char *host, int port)
{
	struct net *n = r->net;
	struct bufferevent *bev = NULL;
	SSL_CTX *ctx;
	SSL *ssl = NULL;
	char key[sizeof(r->conn_key)];

	snprintf(
	    key, sizeof(key), "%s://%s:%d", tls ? "https" : "http", host, port);
	if (r->conn != NULL && !r->conn_dead && strcmp(key, r->conn_key) == 0) {
		r->conn_reused = 1;
		return r->conn;
	}
	r->conn_reused = 0;
	conn_drop(r);
	if (!is_address(host) && n->dns == NULL &&
	    (n->dns = evdns_base_new(
	         n->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	                      EVDNS_BASE_DISABLE_WHEN_INACTIVE)) == NULL) {
		snprintf(r->err, sizeof(r->err), "cannot start a resolver");
		return NULL;
	}
	if (tls) {
		if ((ctx = tls_ctx(n, r->err, sizeof(r->err))) == NULL)
			return NULL;
		if ((ssl = SSL_new(ctx)) == NULL)
			goto tls_fail;
		if (is_address(host)
		        ? X509_VERIFY_PARAM_set1_ip_asc(
		              SSL_get0_param(ssl), host) != 1
		        : (SSL_set_tlsext_host_name(ssl, host) != 1 ||
		              SSL_set1_host(ssl, host) != 1))
			goto tls_fail;
		if ((bev = bufferevent_openssl_socket_new(n->base, -1, ssl,
		         BUFFEREVENT_SSL_CONNECTING,
		         BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS)) ==
		    NULL)
			goto tls_fail;
		ssl = NULL; /* the bufferevent owns it */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	}
	if ((r->conn = evhttp_connection_base_bufferevent_new(n->base,
	         is_address(host) ? NULL : n->dns, bev, host,
	         (unsigned short)port)) == NULL) {
		snprintf(r->err, sizeof(r->err), "cannot make a connection");
		if (bev != NULL)
			bufferevent_free(bev);
		return NULL;
	}
	evhttp_connection_set_retries(r->conn, 0);
	evhttp_connection_set_max_body_size(r->conn, NET_REPLY_MAX);
	evhttp_connection_set_closecb(r->conn, on_close, r);
	snprintf(r->conn_key, sizeof(r->conn_key), "%s", key);
	return r->conn;
tls_fail:
	SSL_free(ssl);
	snprintf(r->err, sizeof(r->err), "cannot set up TLS for %s", host);
	return NULL;
}

/* Sends the request r holds on a kept or new connection. On failure the
 * callback is scheduled with the reason. */
static void
issue(struct net_req *r)
{
	struct evhttp_connection *conn;
	struct evkeyvalq *h;

	r->err[0] = '\0';
	r->status = 0;
	r->retry_after_s = 0;
	r->reply_len = 0;
	if ((conn = conn_for(r, r->tls, r->host, r->port)) == NULL ||
	    (r->http = evhttp_request_new(on_done, r)) == NULL) {
		if (r->err[0] == '\0')
			snprintf(r->err, sizeof(r->err), "out of memory");
		event_active(r->deliver, EV_TIMEOUT, 1);
		return;
	}
	evhttp_request_set_error_cb(r->http, on_error);
	h = evhttp_request_get_output_headers(r->http);
	if (evhttp_add_header(h, "Host", r->hostport) == -1 ||
	    evhttp_add_header(h, "User-Agent", r->user_agent) == -1 ||
	    (r->bearer != NULL &&
	        evhttp_add_header(h, "Authorization", r->bearer) == -1) ||
	    (r->cmd == EVHTTP_REQ_POST &&
	        (evhttp_add_header(h, "Content-Type", "application/json") ==
	                -1 ||
	            evbuffer_add(evhttp_request_get_output_buffer(r->http),
	                r->body, r->body_len) == -1))) {
		evhttp_request_free(r->http);
		r->http = NULL;
		snprintf(r->err, sizeof(r->err), "out of memory");
		event_active(r->deliver, EV_TIMEOUT, 1);
		return;
	}
	/* libevent's own idle limit (50 s by default) past ours, so that a
	 * long poll is cut by our timer only */
	evhttp_connection_set_timeout(conn, (int)(r->timeout_ms / 1000) + 5);
	if (evhttp_make_request(conn, r->http, r->cmd, r->target) == -1) {
		r->http = NULL;
		snprintf(r->err, sizeof(r->err), "cannot send the request");
		event_active(r->deliver, EV_TIMEOUT, 1);
	}
}

/* Starts a request: POST with body (owned from here) or GET (body NULL). */
static int
start(struct net_req *r, enum evhttp_cmd_type cmd, const char *url, char *body,
    size_t len, long timeout_ms, net_done_cb cb, void *arg)
{
	struct evhttp_uri *uri = NULL;
	const char *scheme, *host, *path, *query;
	struct timeval tv;
	int tls, port;

	if (r->busy) {
		log_warnx(
		    "%s: %s: a request is already in flight", __func__, url);
		goto fail;
	}
	if ((uri = evhttp_uri_parse(url)) == NULL ||
	    (scheme = evhttp_uri_get_scheme(uri)) == NULL ||
	    (host = evhttp_uri_get_host(uri)) == NULL ||
	    strlen(host) >= sizeof(r->host)) {
		log_warnx("%s: %s: not a URL", __func__, url);
		goto fail;
	}
	if (strcmp(scheme, "http") == 0)
		tls = 0;
	else if (strcmp(scheme, "https") == 0)
		tls = 1;
	else {
		log_warnx("%s: %s: neither http nor https", __func__, url);
		goto fail;
	}
	if ((port = evhttp_uri_get_port(uri)) <= 0)
		port = tls ? 443 : 80;
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	if ((size_t)snprintf(r->target, sizeof(r->target), "%s%s%s",
	        path && path[0] ? path : "/", query ? "?" : "",
	        query ? query : "") >= sizeof(r->target)) {
		log_warnx("%s: %s: URL too long", __func__, url);
		goto fail;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->hostport, sizeof(r->hostport),
	    strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	evhttp_uri_free(uri);
	r->tls = tls;
	r->port = port;
	r->cmd = cmd;
	free(r->body);
	r->body = body;
	r->body_len = len;
	r->cb = cb;
	r->arg = arg;
	r->timeout_ms = timeout_ms;
	r->retried = 0;
	r->timed_out = 0;
	r->busy = 1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(r->timer, &tv);
	issue(r);
	return 0;
fail:
	if (uri != NULL)
		evhttp_uri_free(uri);
	free(body);
	return -1;
}

int
net_req_post(struct net_req *r, const char *url, char *body, size_t len,
    long timeout_ms, net_done_cb cb, void *arg)
{
	return start(r, EVHTTP_REQ_POST, url, body, len, timeout_ms, cb, arg);
}

int
net_req_get(struct net_req *r, const char *url, long timeout_ms, net_done_cb cb,
    void *arg)
{
	return start(r, EVHTTP_REQ_GET, url, NULL, 0, timeout_ms, cb, arg);
}

void
net_req_cancel(struct net_req *r)
{
	struct evhttp_request *http = r->http;

	if (!r->busy)
		return;
	/* as in net_req_free(): none of its callbacks does anything now */
	r->http = NULL;
	r->busy = 0;
	if (http != NULL)
		evhttp_cancel_request(http);
	conn_drop(r);
	evtimer_del(r->timer);
	event_del(r->deliver);
	free(r->body);
	r->body = NULL;
}

int
net_req_busy(const struct net_req *r)
{
	return r->busy;
}
