/*
 * Request caps in front of evhttp, so that a request over the body or
 * head limit gets the API's JSON error instead of libevent's HTML page.
 */
#ifndef POD_HTTPCAP_H
#define POD_HTTPCAP_H

#include <event2/bufferevent.h>
#include <event2/event.h>

#define HTTPCAP_MAX_HEAD 16384 /* bytes of request line and headers */
/* Set on a refused request: "413 LENGTH", "431" or "400 REASON". A client
 * sending it only refuses itself. */
#define HTTPCAP_REJECT "X-Pod-Reject"

struct httpcap;

/* The connections being watched. NULL when out of memory. Free with
 * httpcap_free() after evhttp_free(). */
struct httpcap *httpcap_new(void);
void httpcap_free(struct httpcap *h);

/* For evhttp_set_bevcb(), arg the httpcap: a bufferevent for one incoming
 * connection, its input watched. NULL on failure (evhttp then makes a
 * plain one). */
struct bufferevent *httpcap_bev(struct event_base *base, void *arg);

/* Lets go of the connections evhttp has closed (their sockets close now).
 * Call every second or so. Returns how many are still open. */
int httpcap_sweep(struct httpcap *h);

#endif
