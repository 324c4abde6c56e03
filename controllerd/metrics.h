/*
 * Prometheus metrics: the controller's view of the fabric in the text
 * exposition format (version 0.0.4), served at /metrics beside /api/v1, so
 * that full-resolution history lives in Prometheus-compatible storage and
 * not in the controller's SQLite file.
 */
#ifndef CTL_METRICS_H
#define CTL_METRICS_H

struct ctl_state;
struct evbuffer;

/* Appends every metric to out. */
void metrics_write(struct ctl_state *st, struct evbuffer *out);

#endif
