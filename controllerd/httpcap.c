/*
 * Request caps in front of evhttp. libevent 2.1 answers a body over its
 * limit, or a request head over its limit, with an HTML page of its own and
 * no hook for the server to speak first. So each connection's input buffer
 * has a callback that reads every request's head line by line as it
 * arrives, before evhttp parses it. When a Content-Length is over
 * API_MAX_BODY, or the head grows past HTTPCAP_MAX_HEAD, the rest of the
 * head is replaced by an HTTPCAP_REJECT header and its end (or, before the
 * request line was whole, by a small stand-in request carrying it), the
 * connection's further input is dropped, and api.c answers with the JSON
 * error and closes. Bodies within the limit pass untouched, counted by
 * Content-Length so that the next head is found; a chunked body ends the
 * watching for that connection, and evhttp's own limit stays the backstop.
 *
 * Each connection also has a timer. It first runs as soon as evhttp has
 * given the new bufferevent its socket (the bufferevent callback runs
 * before, with no socket yet): the peer is counted, and a connection over
 * max_connections or max_per_peer gets a 503 written straight to the
 * socket, which is then shut down. After that the timer is the absolute
 * deadline of the head being read (header_timeout_s from the connection or
 * from the head's first byte) or of the body (body_timeout_s from the end
 * of its head): evhttp's own timeout restarts with every byte, so a client
 * trickling bytes would never meet it. A first request still unfinished at
 * its deadline is ended by a stand-in carrying "408", answered by api.c;
 * anything else is shut down.
 *
 * libevent tells nobody when evhttp frees a connection's bufferevent, so
 * each one is held by a reference of ours, and httpcap_sweep() lets go of
 * those evhttp has finished with (their callbacks are cleared on free); a
 * peer at its cap sweeps its own connections at once, and the server at
 * its total all of them, at most ten times a second.
 *
 * With [controller] tls_cert and tls_key set, every connection's
 * bufferevent is an OpenSSL one, accepting, made with a fresh SSL from the
 * shared context (tls.c), and the input watched above is the decrypted
 * stream, so the caps and deadlines work alike. Three things differ: a
 * connection over a cap is cut without the 503 (nothing can be written
 * before the handshake), as is one whose handshake is not done by the head
 * deadline; and the input buffer of an OpenSSL bufferevent is never frozen.
 * Should no TLS bufferevent be made (out of memory), the plain one returned
 * instead has its input frozen at the front, so that evhttp never reads a
 * request from it and plain HTTP is never served.
 *
 * When accept() fails, for want of file descriptors mostly, libevent's
 * listener would report it on every turn of the loop, since the pending
 * connection keeps the socket readable. So the listener is disabled and
 * re-enabled by a timer with a backoff, and one log line marks the start of
 * such an episode and one its end.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include <openssl/ssl.h>

#include "api.h"
#include "config.h"
#include "httpcap.h"
#include "log.h"
#include "peertab.h"
#include "timeutil.h"
#include "tls.h"

#define HTTPCAP_PEERS        16384 /* peers remembered (core/peertab.h) */
#define HTTPCAP_PAUSE_MIN_MS 50    /* first pause of accepting, ms */
#define HTTPCAP_PAUSE_MAX_MS 2000  /* longest pause of accepting, ms */
#define HTTPCAP_SWEEP_MS     100   /* sweeps at a cap at most this often */

enum cap_state {
	CAP_HEAD,    /* reading a request's head, line by line */
	CAP_BODY,    /* passing `left` bytes of a body */
	CAP_PASS,    /* passing everything: a chunked body came */
	CAP_DISCARD, /* dropping everything: a request was refused */
};

enum deadline {
	DL_NONE,  /* evhttp has the request, or the connection is idle */
	DL_ADMIT, /* the timer is the admission check, due now */
	DL_HEAD,  /* the head must be complete by the timer */
	DL_BODY,  /* the body must be complete by the timer */
};

struct cap {
	struct httpcap *h;
	struct bufferevent *bev; /* held by our reference */
	struct event *ev;        /* admission, then the deadline */
	enum deadline dl;
	struct peer *peer;         /* counted against; NULL when not counted */
	struct cap *pnext, *pprev; /* the peer's connections (peer->user) */
	int live;                  /* counted in h->live */
	int heads;                 /* heads complete on this connection */
	enum cap_state state;
	size_t pos;  /* bytes of the input already looked at */
	size_t head; /* bytes of the current head so far */
	int lines;   /* lines of the current head so far */
	size_t clen; /* its Content-Length */
	int chunked; /* it has a Transfer-Encoding */
	size_t left; /* bytes of the current body still to pass */
	int busy;    /* our own edits of the buffer are under way */
	int tls;     /* an OpenSSL bufferevent */
	LIST_ENTRY(cap) link;
};

/* The httpcap whose listener is watched. libevent calls a listener's error
 * callback with the listener's one argument, which evhttp holds (its own
 * evhttp), so the callback finds its httpcap here; the daemon has one. */
static struct httpcap *listening;

struct httpcap {
	struct event_base *base;
	LIST_HEAD(, cap) caps;
	int n;                /* caps held */
	int live;             /* connections admitted, not yet let go */
	struct peertab peers; /* connections and write buckets per peer */
	int max_conns;        /* in effect; 0 none */
	int max_per_peer;     /* connections */
	struct config_netlist exempt;
	int header_timeout_s;
	int body_timeout_s;
	double write_rate_per_s;
	int write_burst;
	int64_t swept_ms; /* last sweep at a cap */
	struct evconnlistener *lev;
	struct event *resume_ev; /* re-enables the listener */
	int64_t paused_ms;       /* start of the accept pause; 0 none */
	int64_t failed_ms;       /* last failed accept */
	int pause_ms;            /* the next pause, ms */
	long failures;           /* failed accepts in this episode */
	long refused;            /* connections over a cap, since logged */
	long timed_out;          /* connections past a deadline, since logged */
	long limited;            /* writes refused, since logged */
	SSL_CTX *tls;            /* new connections' context; NULL plain */
};

/* Keeps the first `keep` bytes of `in` and drops the rest. */
static void
truncate_at(struct evbuffer *in, size_t keep)
{
	struct evbuffer *tmp = evbuffer_new();

	if (tmp == NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_remove_buffer(in, tmp, keep);
	evbuffer_drain(in, evbuffer_get_length(in));
	evbuffer_add_buffer(in, tmp);
	evbuffer_free(tmp);
}

/* Makes the timer of c the deadline dl, from now. The admission check,
 * due first, is never replaced. */
static void
set_deadline(struct cap *c, enum deadline dl)
{
	struct timeval tv = {0, 0};

	if (c->dl == dl || c->dl == DL_ADMIT)
		return;
	c->dl = dl;
	event_del(c->ev);
	if (dl == DL_NONE)
		return;
	tv.tv_sec =
	    dl == DL_HEAD ? c->h->header_timeout_s : c->h->body_timeout_s;
	event_add(c->ev, &tv);
}

/* Ends the current head at c->pos with the reject header, and drops what
 * follows. */
static void
refuse(struct cap *c, struct evbuffer *in, const char *why)
{
	truncate_at(in, c->pos);
	evbuffer_add_printf(in,
	    "%s" HTTPCAP_REJECT ": %s\r\nConnection: close\r\n\r\n",
	    c->lines == 0 ? "GET / HTTP/1.1\r\n" : "", why);
	c->pos = evbuffer_get_length(in);
	c->state = CAP_DISCARD;
	set_deadline(c, DL_NONE);
}

/* The value of header line `line` if its name is `name`, else NULL. */
static const char *
header_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	for (line += n + 1; *line == ' ' || *line == '\t'; line++)
		;
	return line;
}

/* One whole line of a head (without its end of line). 0, or -1 after
 * refusing the request. */
static int
head_line(struct cap *c, struct evbuffer *in, const char *line)
{
	const char *v;
	char *end, why[64];
	unsigned long long n;

	if (c->lines++ == 0)
		return 0; /* the request line */
	if ((v = header_value(line, "Transfer-Encoding")) != NULL)
		c->chunked = 1;
	if ((v = header_value(line, "Content-Length")) == NULL)
		return 0;
	n = strtoull(v, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (!isdigit((unsigned char)*v) || *end != '\0') {
		c->lines--; /* this line is replaced */
		refuse(c, in, "400 bad Content-Length");
		return -1;
	}
	if (n > API_MAX_BODY) {
		c->lines--;
		snprintf(why, sizeof(why), "413 %llu", n);
		refuse(c, in, why);
		return -1;
	}
	c->clen = (size_t)n;
	return 0;
}

/* Looks at the input past c->pos. */
static void
scan(struct cap *c, struct evbuffer *in)
{
	struct evbuffer_ptr p, eol;
	size_t have, n, eol_len;
	char line[HTTPCAP_MAX_HEAD + 1];

	while ((have = evbuffer_get_length(in)) > c->pos) {
		switch (c->state) {
		case CAP_DISCARD:
			truncate_at(in, c->pos);
			return;
		case CAP_PASS:
			c->pos = have;
			return;
		case CAP_BODY:
			n = have - c->pos < c->left ? have - c->pos : c->left;
			c->pos += n;
			if ((c->left -= n) == 0) {
				c->state = CAP_HEAD;
				set_deadline(c, DL_NONE);
			}
			break;
		case CAP_HEAD:
			set_deadline(c, DL_HEAD); /* its first byte came */
			evbuffer_ptr_set(in, &p, c->pos, EVBUFFER_PTR_SET);
			eol_len = 0;
			eol = evbuffer_search_eol(
			    in, &p, &eol_len, EVBUFFER_EOL_CRLF);
			n = eol.pos < 0 ? have - c->pos
			                : (size_t)eol.pos - c->pos;
			if (c->head + n + eol_len > HTTPCAP_MAX_HEAD) {
				refuse(c, in, "431");
				return;
			}
			if (eol.pos < 0)
				return; /* wait for the rest of the line */
			evbuffer_copyout_from(in, &p, line, n);
			line[n] = '\0';
			c->head += n + eol_len;
			if (n == 0 && c->lines == 0) {
				/* evhttp skips blank lines before a request */
				c->pos += eol_len;
				c->head = 0;
				break;
			}
			if (n == 0) {
				c->pos += eol_len;
				c->state = c->chunked    ? CAP_PASS
				           : c->clen > 0 ? CAP_BODY
				                         : CAP_HEAD;
				c->left = c->clen;
				c->head = c->clen = 0;
				c->lines = c->chunked = 0;
				c->heads++;
				set_deadline(c,
				    c->state == CAP_HEAD ? DL_NONE : DL_BODY);
				break;
			}
			if (head_line(c, in, line) == -1)
				return;
			c->pos += n + eol_len;
			break;
		}
	}
}

static void
on_input(struct evbuffer *in, const struct evbuffer_cb_info *info, void *arg)
{
	struct cap *c = arg;

	if (c->busy)
		return;
	/* evhttp reads from the front, and never past what we saw */
	c->pos -= info->n_deleted < c->pos ? info->n_deleted : c->pos;
	if (info->n_added == 0)
		return;
	c->busy = 1;
	scan(c, in);
	c->busy = 0;
}

/* Shuts the connection's socket down: evhttp reads its end and lets go. */
static void
cut(struct cap *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->state = CAP_DISCARD;
	if (fd >= 0)
		(void)shutdown(fd, SHUT_RDWR);
}

/* Lets go of one connection: its callback, its counts, then our reference
 * (which closes the socket when evhttp has let go too). */
static void
release(struct httpcap *h, struct cap *c)
{
	evbuffer_remove_cb(bufferevent_get_input(c->bev), on_input, c);
	LIST_REMOVE(c, link);
	h->n--;
	if (c->live)
		h->live--;
	if (c->peer != NULL) {
		c->peer->conns--;
		if (c->pprev != NULL)
			c->pprev->pnext = c->pnext;
		else
			c->peer->user = c->pnext;
		if (c->pnext != NULL)
			c->pnext->pprev = c->pprev;
	}
	event_free(c->ev);
	bufferevent_decref(c->bev);
	free(c);
}

/* Whether evhttp has freed the connection's bufferevent (it clears its
 * callbacks then). */
static int
closed(const struct cap *c)
{
	bufferevent_event_cb ecb;

	bufferevent_getcb(c->bev, NULL, NULL, &ecb, NULL);
	return ecb == NULL;
}

static void
sweep(struct httpcap *h)
{
	struct cap *c, *next;

	for (c = LIST_FIRST(&h->caps); c != NULL; c = next) {
		next = LIST_NEXT(c, link);
		if (closed(c))
			release(h, c);
	}
}

/* Lets go of the connections of peer p that evhttp has closed. */
static void
sweep_peer(struct httpcap *h, struct peer *p)
{
	struct cap *c, *next;

	for (c = p->user; c != NULL; c = next) {
		next = c->pnext;
		if (closed(c))
			release(h, c);
	}
}

/* A sweep when the total cap is reached, so that connections closed since
 * the last tick do not count; at most every HTTPCAP_SWEEP_MS, as it looks
 * at every connection. */
static void
sweep_at_cap(struct httpcap *h, int64_t now_ms)
{
	if (now_ms - h->swept_ms < HTTPCAP_SWEEP_MS)
		return;
	h->swept_ms = now_ms;
	sweep(h);
}

/* The peer of sa in the table, or NULL (not IP, or no room). */
static struct peer *
peer_of(struct httpcap *h, const struct sockaddr *sa, int64_t now_ms)
{
	static const unsigned char v4mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a;
	unsigned char key[16];

	if (sa->sa_family == AF_INET)
		peertab_key(key, 4,
		    (const unsigned char *)&((const struct sockaddr_in *)sa)
		        ->sin_addr);
	else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
			peertab_key(key, 4, a + 12);
		else
			peertab_key(key, 6, a);
	} else
		return NULL;
	return peertab_get(&h->peers, key, h->write_burst, now_ms);
}

/* Answers a connection over a cap with a 503 written straight to its
 * socket (evhttp has read nothing yet), then cuts it. */
static void
turn_away(struct cap *c, const char *what, int max)
{
	char body[256], msg[512];
	int blen, mlen;
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->h->refused++;
	if (c->tls) {
		cut(c);
		return;
	}
	blen = snprintf(body, sizeof(body),
	    "{\"error\":{\"code\":\"too_many_connections\",\"message\":"
	    "\"over the %d connections of %s; try again later\"}}",
	    max, what);
	mlen = snprintf(msg, sizeof(msg),
	    "HTTP/1.1 503 Service Unavailable\r\n"
	    "Content-Type: application/json\r\n"
	    "Retry-After: 1\r\nConnection: close\r\n"
	    "Content-Length: %d\r\n\r\n%s",
	    blen, body);
	if (fd >= 0 && mlen > 0 && (size_t)mlen < sizeof(msg))
		(void)send(fd, msg, (size_t)mlen, MSG_NOSIGNAL | MSG_DONTWAIT);
	cut(c);
}

/* The first run of a connection's timer: counts it, and turns it away
 * when over a cap; else starts the deadline of its first head. */
static void
admit(struct cap *c)
{
	struct httpcap *h = c->h;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	int64_t now = time_mono_ms();
	struct peer *p;
	int one = 1;

	c->dl = DL_NONE;
	c->live = 1;
	h->live++;
	/* libevent writes a large reply in more than one piece: with
	 * Nagle's algorithm on, the last piece waited for the client's
	 * delayed ACK of the one before, 40 ms on Linux a reply. */
	if (fd >= 0 &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_debug("%s: TCP_NODELAY: %s", __func__, strerror(errno));
	if (h->max_conns > 0 && h->live > h->max_conns) {
		sweep_at_cap(h, now);
		if (h->live > h->max_conns) {
			turn_away(c, "max_connections", h->max_conns);
			return;
		}
	}
	if (fd >= 0 && getpeername(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    !config_netlist_match(&h->exempt, sa) &&
	    (p = peer_of(h, sa, now)) != NULL) {
		if (p->conns >= h->max_per_peer) {
			sweep_peer(h, p);
			if (p->conns >= h->max_per_peer) {
				turn_away(c, "max_per_peer", h->max_per_peer);
				return;
			}
		}
		p->conns++;
		c->peer = p;
		c->pnext = p->user;
		if (c->pnext != NULL)
			c->pnext->pprev = c;
		p->user = c;
	}
	set_deadline(
	    c, c->heads == 0 && c->state == CAP_HEAD ? DL_HEAD : DL_NONE);
}

/* A connection's timer: the admission check, or a deadline passed. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct cap *c = arg;
	enum deadline dl = c->dl;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	(void)fd;
	(void)what;
	c->dl = DL_NONE;
	if (closed(c))
		return; /* evhttp is done with it; the sweep lets go */
	if (dl == DL_ADMIT) {
		admit(c);
		return;
	}
	c->h->timed_out++;
	/* evhttp reads the first request's head until it is whole, so a
	 * stand-in can end it; later ones may overlap a reply */
	if (dl == DL_HEAD && c->heads == 0 && c->state == CAP_HEAD &&
	    (!c->tls ||
	        SSL_is_init_finished(bufferevent_openssl_get_ssl(c->bev)))) {
		/* a socket bufferevent takes input only while it reads */
		c->busy = 1;
		if (!c->tls)
			evbuffer_unfreeze(in, 0);
		refuse(c, in, "408");
		if (!c->tls)
			evbuffer_freeze(in, 0);
		c->busy = 0;
		bufferevent_trigger(
		    c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
		return;
	}
	cut(c);
}

struct httpcap *
httpcap_new(struct event_base *base)
{
	struct httpcap *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	LIST_INIT(&h->caps);
	h->base = base;
	h->max_per_peer = 256;
	h->header_timeout_s = 10;
	h->body_timeout_s = 30;
	h->write_burst = 1;
	if (peertab_init(&h->peers, HTTPCAP_PEERS) == -1) {
		free(h);
		return NULL;
	}
	return h;
}

void
httpcap_configure(struct httpcap *h, const struct config *c)
{
	struct rlimit rl;
	long nofile = 0, reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		nofile =
		    rl.rlim_cur > INT32_MAX ? INT32_MAX : (long)rl.rlim_cur;
	reserve = nofile / 8 < 256 ? nofile / 8 : 256;
	h->max_conns = c->http_max_conns;
	if (h->max_conns == 0 && nofile > 0)
		h->max_conns = nofile - reserve > INT32_MAX
		                   ? INT32_MAX
		                   : (int)(nofile - reserve);
	h->max_per_peer = c->http_max_per_peer;
	h->exempt = c->http_exempt;
	h->header_timeout_s = c->header_timeout_s;
	h->body_timeout_s = c->body_timeout_s;
	h->write_rate_per_s = c->write_rate_per_s;
	h->write_burst = c->write_burst;
	if (nofile > 0 && h->max_conns > nofile - 32)
		log_warnx("[controller] max_connections %d is near or over "
		          "the open-file limit %ld: the server may run out of "
		          "descriptors before it refuses connections",
		    h->max_conns, nofile);
}

/* The pause is over: accept again (a failure pauses again, longer). */
static void
on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct httpcap *h = arg;

	(void)fd;
	(void)what;
	if (h->lev != NULL)
		evconnlistener_enable(h->lev);
}

/* accept() failed other than for a retry: pause accepting. */
static void
on_accept_error(struct evconnlistener *lev, void *arg)
{
	struct httpcap *h = listening;
	int err = EVUTIL_SOCKET_ERROR();
	int64_t now = time_mono_ms();
	struct timeval tv;

	(void)arg;
	if (h == NULL || h->lev != lev)
		return;
	evconnlistener_disable(lev);
	if (h->paused_ms == 0) {
		h->paused_ms = now;
		h->pause_ms = HTTPCAP_PAUSE_MIN_MS;
		h->failures = 0;
		log_warnx("REST: cannot accept connections: %s (%d open); "
		          "pausing, retrying with backoff",
		    strerror(err), h->live);
	} else if ((h->pause_ms *= 2) > HTTPCAP_PAUSE_MAX_MS)
		h->pause_ms = HTTPCAP_PAUSE_MAX_MS;
	h->failures++;
	h->failed_ms = now;
	tv.tv_sec = h->pause_ms / 1000;
	tv.tv_usec = (h->pause_ms % 1000) * 1000;
	event_add(h->resume_ev, &tv);
}

void
httpcap_listen(struct httpcap *h, struct evconnlistener *lev)
{
	if (h->resume_ev == NULL &&
	    (h->resume_ev = evtimer_new(h->base, on_resume, h)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return;
	}
	h->lev = lev;
	listening = h;
	evconnlistener_set_error_cb(lev, on_accept_error);
}

int
httpcap_tls(struct httpcap *h, const struct config *c)
{
	char what[512];

	if (c->tls_cert[0] == '\0')
		return 0;
	if (h->tls == NULL) {
		if ((h->tls = tls_ctx_new(c->tls_cert, c->tls_key)) == NULL)
			return -1;
	} else if (tls_ctx_reload(&h->tls, c->tls_cert, c->tls_key) == -1) {
		tls_describe(h->tls, what, sizeof(what));
		log_warnx("TLS: keeping the running certificate (%s)", what);
		return -1;
	}
	tls_describe(h->tls, what, sizeof(what));
	log_info("TLS certificate %s: %s", c->tls_cert, what);
	return 0;
}

int
httpcap_is_tls(const struct httpcap *h)
{
	return h != NULL && h->tls != NULL;
}

/* A connection the TLS bufferevent could not be made for: a plain one that
 * evhttp can read no request from (see the top of the file), or NULL. */
static struct bufferevent *
refused_plain(struct event_base *base)
{
	struct bufferevent *bev;

	log_warnx("REST: out of memory for a TLS connection; refusing it");
	if ((bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) !=
	    NULL)
		evbuffer_freeze(bufferevent_get_input(bev), 1);
	return bev;
}

/* The bufferevent of a new connection: TLS when h has a context. */
static struct bufferevent *
new_bev(struct httpcap *h, struct event_base *base)
{
	SSL *ssl;

	if (h->tls == NULL)
		return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if ((ssl = SSL_new(h->tls)) == NULL)
		return NULL;
	/* libevent 2.1 sets the socket when evhttp gives it one. On failure
	 * the SSL is left alone: libevent 2.1.12 frees it or not depending on
	 * which of its allocations failed, and a leak when out of memory is
	 * better than a double free. */
	return bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

struct bufferevent *
httpcap_bev(struct event_base *base, void *arg)
{
	struct httpcap *h = arg;
	struct cap *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return h->tls != NULL ? refused_plain(base) : NULL;
	c->h = h;
	c->tls = h->tls != NULL;
	c->bev = new_bev(h, base);
	c->ev = evtimer_new(base, on_timer, c);
	if (c->bev == NULL || c->ev == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(c->bev), on_input, c) ==
	        NULL) {
		log_warnx("%s: out of memory", __func__);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		if (c->ev != NULL)
			event_free(c->ev);
		free(c);
		return h->tls != NULL ? refused_plain(base) : NULL;
	}
	bufferevent_incref(c->bev);
	LIST_INSERT_HEAD(&h->caps, c, link);
	h->n++;
	/* evhttp gives the bufferevent its socket after this returns */
	c->dl = DL_ADMIT;
	event_active(c->ev, EV_TIMEOUT, 1);
	return c->bev;
}

int
httpcap_sweep(struct httpcap *h)
{
	int64_t now = time_mono_ms();

	if (h == NULL)
		return 0;
	sweep(h);
	if (h->paused_ms != 0 && now - h->failed_ms > HTTPCAP_PAUSE_MAX_MS) {
		log_info("REST: accepting connections again after %.1f s "
		         "(%ld failed attempts)",
		    (double)(h->failed_ms - h->paused_ms) / 1000, h->failures);
		h->paused_ms = 0;
	}
	if (h->refused > 0)
		log_warnx("REST: turned away %ld connections over "
		          "max_connections (%d) or max_per_peer (%d)",
		    h->refused, h->max_conns, h->max_per_peer);
	if (h->timed_out > 0)
		log_info("REST: cut %ld connections past header_timeout_s "
		         "(%d s) or body_timeout_s (%d s)",
		    h->timed_out, h->header_timeout_s, h->body_timeout_s);
	if (h->limited > 0)
		log_info("REST: refused %ld writes over write_rate_per_s (%g)",
		    h->limited, h->write_rate_per_s);
	h->refused = h->timed_out = h->limited = 0;
	return h->live;
}

int64_t
httpcap_write_wait(struct httpcap *h, const struct sockaddr *sa)
{
	int64_t now = time_mono_ms(), wait;
	struct peer *p;

	if (h->write_rate_per_s <= 0 || sa == NULL ||
	    config_netlist_match(&h->exempt, sa) ||
	    (p = peer_of(h, sa, now)) == NULL)
		return 0;
	if ((wait = peer_take(p, h->write_rate_per_s, h->write_burst, now)) > 0)
		h->limited++;
	return wait;
}

void
httpcap_free(struct httpcap *h)
{
	if (h == NULL)
		return;
	while (!LIST_EMPTY(&h->caps))
		release(h, LIST_FIRST(&h->caps));
	if (h->resume_ev != NULL)
		event_free(h->resume_ev);
	if (listening == h)
		listening = NULL;
	peertab_free(&h->peers);
	SSL_CTX_free(h->tls);
	free(h);
}
