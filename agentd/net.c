/*
 * HTTP client on libevent: see net.h. This is curl's multi-socket pattern
 * (its hiperfifo example): curl tells us, through the socket callback,
 * which sockets to watch for what, and through the timer callback when it
 * next wants to be woken; libevent watches; every wake-up is handed back
 * with curl_multi_socket_action(), after which finished transfers are
 * collected and their callbacks run. Watched sockets are also kept in a
 * list so that whatever curl still holds at the end is freed.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "log.h"
#include "net.h"

struct net_sock {
	LIST_ENTRY(net_sock) entry;
	struct net *net;
	curl_socket_t fd;
	struct event *ev; /* NULL until curl asks for a direction */
};

struct net {
	struct event_base *base; /* borrowed */
	CURLM *multi;
	struct event *timer; /* curl's timeout */
	int running;         /* transfers curl is working on */
	LIST_HEAD(, net_sock) socks;
	char *ca_file; /* CURLOPT_CAINFO of new requests; NULL: system's */
};

struct net_req {
	struct net *net;
	CURL *easy;
	struct curl_slist *headers;
	char *body;        /* the request body in flight, owned */
	char *reply;       /* reply buffer, grows to NET_REPLY_MAX */
	size_t reply_len;  /* bytes in reply */
	size_t reply_size; /* bytes allocated */
	int toobig;        /* the reply passed NET_REPLY_MAX */
	int busy;          /* 1: added to the multi handle */
	net_done_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE]; /* curl's message for this transfer */
};

static int curl_users; /* net objects alive: curl_global_* bracket them */

static void
collect_done(struct net *n)
{
	struct net_result res;
	struct net_req *r;
	CURLMsg *msg;
	CURLcode rc;
	char *p;
	int left;

	while ((msg = curl_multi_info_read(n->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		rc = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
		r = (struct net_req *)p;
		curl_multi_remove_handle(n->multi, r->easy);
		r->busy = 0;
		free(r->body);
		r->body = NULL;
		memset(&res, 0, sizeof(res));
		if (rc == CURLE_OK) {
			res.ok = 1;
			curl_easy_getinfo(
			    r->easy, CURLINFO_RESPONSE_CODE, &res.status);
			res.body = r->reply ? r->reply : "";
			res.body_len = r->reply_len;
		} else if (r->toobig)
			res.error = "reply larger than the cap";
		else
			res.error =
			    r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc);
		/* Last: the callback may reuse or free r. */
		r->cb(r, &res, r->arg);
	}
}

static void
on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;
	int action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(n->multi, fd, action, &n->running);
	collect_done(n);
	/* The timer is left to curl (set_timer() with -1): a callback may
	 * just have started the next request, whose first timeout curl set
	 * after `running` was counted. */
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;

	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &n->running);
	collect_done(n);
}

/* CURLMOPT_TIMERFUNCTION: only arms our timer; curl must not be re-entered
 * from here. */
static int
set_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct net *n = arg;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(n->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(n->timer, &tv) == 0 ? 0 : -1;
}

static void
sock_free(struct net_sock *s)
{
	LIST_REMOVE(s, entry);
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: watch `fd` as curl asks. */
static int
set_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct net *n = arg;
	struct net_sock *s = sockp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(n->multi, fd, NULL);
			sock_free(s);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			log_warn("%s: calloc", __func__);
			return -1;
		}
		s->net = n;
		s->fd = fd;
		LIST_INSERT_HEAD(&n->socks, s, entry);
		curl_multi_assign(n->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s->ev != NULL)
		event_free(s->ev);
	if ((s->ev = event_new(n->base, fd, kind, on_socket, n)) == NULL ||
	    event_add(s->ev, NULL) == -1) {
		log_warnx("%s: cannot watch socket %d", __func__, (int)fd);
		return -1;
	}
	return 0;
}

struct net *
net_new(struct event_base *base)
{
	struct net *n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	LIST_INIT(&n->socks);
	n->base = base;
	if (curl_users++ == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_warnx("%s: curl_global_init failed", __func__);
		goto fail;
	}
	if ((n->multi = curl_multi_init()) == NULL ||
	    (n->timer = evtimer_new(base, on_timeout, n)) == NULL) {
		log_warnx("%s: cannot create the curl multi handle", __func__);
		goto fail;
	}
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, set_socket);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, set_timer);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	return n;
fail:
	net_free(n);
	return NULL;
}

void
net_free(struct net *n)
{
	if (n == NULL)
		return;
	if (n->multi != NULL)
		curl_multi_cleanup(n->multi);
	while (!LIST_EMPTY(&n->socks))
		sock_free(LIST_FIRST(&n->socks));
	if (n->timer != NULL)
		event_free(n->timer);
	if (--curl_users == 0)
		curl_global_cleanup();
	free(n->ca_file);
	free(n);
}

struct event_base *
net_base(const struct net *n)
{
	return n->base;
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct net_req *r = arg;
	size_t len = size * nmemb, want;
	char *p;

	if (r->reply_len + len > NET_REPLY_MAX) {
		r->toobig = 1;
		return 0;
	}
	if (r->reply_len + len + 1 > r->reply_size) {
		want = r->reply_size ? r->reply_size : 4096;
		while (want < r->reply_len + len + 1)
			want *= 2;
		if (want > NET_REPLY_MAX + 1)
			want = NET_REPLY_MAX + 1;
		if ((p = realloc(r->reply, want)) == NULL)
			return 0;
		r->reply = p;
		r->reply_size = want;
	}
	memcpy(r->reply + r->reply_len, data, len);
	r->reply_len += len;
	r->reply[r->reply_len] = '\0';
	return len;
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
	return 0;
}

struct net_req *
net_req_new(struct net *n, const char *user_agent)
{
	struct net_req *r;
	struct curl_slist *h;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	r->net = n;
	if ((r->easy = curl_easy_init()) == NULL) {
		log_warnx("%s: curl_easy_init failed", __func__);
		goto fail;
	}
	/* No Expect: 100-continue round trip before a large report. */
	if ((h = curl_slist_append(NULL, "Content-Type: application/json")) ==
	    NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	r->headers = h;
	if ((h = curl_slist_append(r->headers, "Expect:")) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	r->headers = h;
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT, user_agent);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (n->ca_file != NULL &&
	    curl_easy_setopt(r->easy, CURLOPT_CAINFO, n->ca_file) != CURLE_OK) {
		log_warnx(
		    "%s: cannot use the CA file %s", __func__, n->ca_file);
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
	if (r->busy)
		curl_multi_remove_handle(r->net->multi, r->easy);
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->body);
	free(r->reply);
	free(r);
}

int
net_req_set_bearer(struct net_req *r, const char *cred)
{
	struct curl_slist *h;
	char line[128];

	if (cred[0] == '\0')
		return 0;
	if ((size_t)snprintf(line, sizeof(line), "Authorization: Bearer %s",
	        cred) >= sizeof(line)) {
		log_warnx("%s: credential too long", __func__);
		return -1;
	}
	if ((h = curl_slist_append(r->headers, line)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	r->headers = h;
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
	return 0;
}

int
net_req_post(struct net_req *r, const char *url, char *body, size_t len,
    long timeout_ms, net_done_cb cb, void *arg)
{
	CURLMcode mc;

	if (r->busy) {
		log_warnx(
		    "%s: %s: a request is already in flight", __func__, url);
		free(body);
		return -1;
	}
	r->body = body;
	r->reply_len = 0;
	r->toobig = 0;
	r->errbuf[0] = '\0';
	r->cb = cb;
	r->arg = arg;
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if ((mc = curl_multi_add_handle(r->net->multi, r->easy)) != CURLM_OK) {
		log_warnx("%s: %s: %s", __func__, url, curl_multi_strerror(mc));
		free(r->body);
		r->body = NULL;
		return -1;
	}
	r->busy = 1;
	return 0;
}

int
net_req_get(struct net_req *r, const char *url, long timeout_ms, net_done_cb cb,
    void *arg)
{
	CURLMcode mc;

	if (r->busy) {
		log_warnx(
		    "%s: %s: a request is already in flight", __func__, url);
		return -1;
	}
	r->reply_len = 0;
	r->toobig = 0;
	r->errbuf[0] = '\0';
	r->cb = cb;
	r->arg = arg;
	curl_easy_setopt(r->easy, CURLOPT_URL, url);
	curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if ((mc = curl_multi_add_handle(r->net->multi, r->easy)) != CURLM_OK) {
		log_warnx("%s: %s: %s", __func__, url, curl_multi_strerror(mc));
		return -1;
	}
	r->busy = 1;
	return 0;
}

int
net_req_busy(const struct net_req *r)
{
	return r->busy;
}
