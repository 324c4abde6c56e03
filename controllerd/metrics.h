/*
 * Prometheus metrics: the controller's view of the fabric in the text
 * exposition format (version 0.0.4), served at /metrics beside /api/v1, so
 * that full-resolution history lives in Prometheus-compatible storage and
 * not in the controller's SQLite file.
 */
#ifndef CTL_METRICS_H
#define CTL_METRICS_H

#include <stdint.h>

struct config;
struct envelope;
struct evbuffer;
struct fleet;
struct jobs;
struct selfstat;
struct store;

/* What /metrics reads, and only reads: the controller fills it once its
 * modules are up (main.c). */
struct metrics_view {
	const struct fleet *fleet;
	const struct jobs *jobs;    /* pending, running, recently ended */
	const struct envelope *env; /* allocations, energy, limits, alarms */
	struct store *store;        /* ended jobs are counted from it */
	int64_t start_mono_ms;      /* the controller's start */
	/* agents' requests refused for their node credential (nodeauth.c);
	 * NULL none */
	const int64_t *node_auth_refused;
	/* REST requests refused for their token: 401, 403; NULL none */
	const int64_t *api_refused;
	/* the running config, through the controller's pointer, which a
	 * reload swaps: (*conf)->min_flow_lpm is the threshold in force */
	struct config *const *conf;
	/* the controller's own counts (selfstat.h); NULL none */
	const struct selfstat *self;
	/* its part among the controllers on its database (leader.h), and
	 * whether it has loaded its state yet: a standby's view has only
	 * the controller's own families (env NULL); NULL lead: none */
	const struct leader *lead;
	const int *standby;
};

/* Appends every metric of v to out. */
void metrics_write(const struct metrics_view *v, struct evbuffer *out);

#endif
