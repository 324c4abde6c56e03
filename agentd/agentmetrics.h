/*
 * The agent's /metrics: what one node's agent sees and does, in
 * Prometheus' text format, so that full-resolution telemetry can be
 * scraped from every node (default port 9471) without the controller.
 */
#ifndef AGENT_AGENTMETRICS_H
#define AGENT_AGENTMETRICS_H

struct agent;
struct event_base;
struct evbuffer;
struct evhttp;

/* Appends a's metrics to out. */
void agentmetrics_write(const struct agent *a, struct evbuffer *out);
/* Serves GET /metrics for `a` on "ADDR:PORT" (port 0 picks one; the
 * address bound is logged). Returns the server (free with evhttp_free()),
 * or NULL (logged). */
struct evhttp *agentmetrics_listen(
    struct event_base *base, const char *addr, struct agent *a);

#endif
