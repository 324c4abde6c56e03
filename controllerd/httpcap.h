/*
 * The guard in front of evhttp: caps on each request (a body or head over
 * the limit gets the API's JSON error instead of libevent's HTML page),
 * absolute deadlines for a request's head and body, caps on connections in
 * total and per peer, a write rate per peer, and accepting paused with
 * backoff when the process is out of file descriptors; and TLS, when
 * configured, under all of it.
 */
#ifndef POD_HTTPCAP_H
#define POD_HTTPCAP_H

#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#define HTTPCAP_MAX_HEAD 16384 /* bytes of request line and headers */
/* Set on a refused request: "413 LENGTH", "431", "408" or "400 REASON". A
 * client sending it only refuses itself. */
#define HTTPCAP_REJECT "X-Pod-Reject"

struct config;
struct sockaddr;
struct httpcap;

/* The connections being watched, on base. NULL when out of memory. Free
 * with httpcap_free() after evhttp_free(). */
struct httpcap *httpcap_new(struct event_base *base);
void httpcap_free(struct httpcap *h);

/* Takes the limits of c ([controller] max_connections, max_per_peer,
 * limit_exempt, header_timeout_s, body_timeout_s, write_rate_per_s,
 * write_burst); max_connections = 0 is taken as the process's open-file
 * limit less a reserve. Call at start and on reload; c is copied from. */
void httpcap_configure(struct httpcap *h, const struct config *c);

/* Loads ([controller] tls_cert and tls_key in c), or on reload re-reads,
 * the certificate and key new connections are served with; nothing when
 * c has none. 0, or -1 with the reason logged: at start the server must
 * not run, on reload the running certificate is kept. Whether TLS is on
 * cannot change after start. */
int httpcap_tls(struct httpcap *h, const struct config *c);
/* Whether connections are served over TLS. */
int httpcap_is_tls(const struct httpcap *h);

/* Watches lev, evhttp's listener: when accepting fails (out of file
 * descriptors), accepting pauses and is retried with backoff, with one log
 * line when it starts and one when it ends. */
void httpcap_listen(struct httpcap *h, struct evconnlistener *lev);

/* For evhttp_set_bevcb(), arg the httpcap: a bufferevent for one incoming
 * connection (an accepting OpenSSL one under TLS), its input watched.
 * NULL on failure (evhttp then makes a plain one; under TLS, one that
 * never yields a request). */
struct bufferevent *httpcap_bev(struct event_base *base, void *arg);

/* Lets go of the connections evhttp has closed (their sockets close now)
 * and logs what was refused since the last call. Call every second or so.
 * Returns how many are still open. */
int httpcap_sweep(struct httpcap *h);

/* A write (POST, PUT, DELETE) from peer sa: 0 when its bucket allows it
 * now, else the ms until it would (the write is not counted then). */
int64_t httpcap_write_wait(struct httpcap *h, const struct sockaddr *sa);

#endif
