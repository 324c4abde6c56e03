/*
 * HTTP requests on the agent's event loop: libevent's HTTP client (TLS
 * through libevent_openssl), shared by every agent in the process, so that
 * pod-fleetsim's hundreds of agents cost one loop and no threads, each
 * request object one keep-alive connection. A request never blocks: its
 * completion arrives as a callback from the loop.
 */
#ifndef AGENT_NET_H
#define AGENT_NET_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct net;
struct net_req;

#define NET_REPLY_MAX (4 * 1024 * 1024) /* longest reply body kept, bytes */

/* How a request ended; everything borrowed until the callback returns. */
struct net_result {
	int ok;            /* 1: an HTTP reply arrived (any status) */
	long status;       /* HTTP status when ok */
	const char *error; /* why not ok, in words */
	const char *body;  /* reply body when ok, NUL-terminated */
	size_t body_len;   /* bytes in body */
	int retry_after_s; /* the reply's Retry-After in seconds (1 to
	                    * NET_RETRY_AFTER_MAX_S); 0: none, or a date */
};
#define NET_RETRY_AFTER_MAX_S 3600

/* Called once per request from the loop. The request is idle again and may
 * be reused or freed inside the callback. */
typedef void (*net_done_cb)(
    struct net_req *req, const struct net_result *res, void *arg);

/* Creates the shared client on `base` (borrowed; must outlive it). Returns
 * NULL (logged) on failure. Caller frees with net_free() after every request
 * object is freed. */
struct net *net_new(struct event_base *base);
void net_free(struct net *n);
/* The PEM CA certificates that https servers are verified with, for
 * requests created from now on (path copied); NULL or "" for the system's.
 * Verification of an https server is never turned off. 0, or -1 (logged)
 * when out of memory. */
int net_set_ca_file(struct net *n, const char *path);
/* The event base the client runs on; borrowed. */
struct event_base *net_base(const struct net *n);

/* Creates a reusable request object (one connection's worth of state).
 * Returns NULL (logged). Caller frees with net_req_free(), which cancels a
 * request in flight without calling its callback. */
struct net_req *net_req_new(struct net *n, const char *user_agent);
void net_req_free(struct net_req *r);
/* Starts POSTing `body` (JSON, `len` bytes; ownership passes to the request,
 * which frees it with free()) to `url` with a total time limit. Returns 0,
 * or -1 (logged; body freed) if it could not start or one is in flight. */
int net_req_post(struct net_req *r, const char *url, char *body, size_t len,
    long timeout_ms, net_done_cb cb, void *arg);
/* Starts a GET of `url` with a total time limit (a long poll's is its
 * wait and a margin). The request object may have POSTed before: it GETs
 * from now on only if this is called again. Returns 0, or -1 (logged) if
 * it could not start or one is in flight. */
int net_req_get(struct net_req *r, const char *url, long timeout_ms,
    net_done_cb cb, void *arg);
/* Sends `Authorization: Bearer cred` with every later request (cred ""
 * sends none). 0, or -1 (logged) out of memory. */
int net_req_set_bearer(struct net_req *r, const char *cred);
/* Abandons the request in flight, if any, without calling its callback,
 * and drops its connection; the object is idle and reusable after. */
void net_req_cancel(struct net_req *r);
/* 1 while a request is in flight. */
int net_req_busy(const struct net_req *r);

#endif
