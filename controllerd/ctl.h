/*
 * The controller daemon's one global state, shared by its event-loop
 * callbacks (main.c), the REST handlers (api*.c) and the modules that
 * coordinate the whole controller (queue.c, envelope.c, nodehealth.c).
 * Narrower shells get only the handles they use, wired by main.c: the BMS
 * server (struct bms_handles), /metrics (struct metrics_view) and the
 * dashboard's files (the web directory); see docs/architecture.md.
 */
#ifndef CTL_CTL_H
#define CTL_CTL_H

#include <stdint.h>

#include "auth.h"
#include "jobs.h"
#include "leader.h"
#include "metrics.h"
#include "org.h"

struct config;
struct fleet;
struct store;
struct event;
struct event_base;
struct evhttp;
struct httpcap;
struct envelope;
struct parking;
struct bms;
struct nodeauth;
struct tenancy;
struct selfstat;

#define CTL_MAX_UNKNOWN 1024 /* unknown agent names remembered, to log once */

struct ctl_state {
	struct event_base *base;
	struct evhttp *http;
	struct httpcap *httpcap; /* request caps in front of http */
	struct config *conf;
	struct fleet *fleet;
	struct store *store;
	char web_dir[4096]; /* resolved dashboard directory */
	char url[600]; /* the REST API's, as bound: scheme, address, port */
	int64_t start_mono_ms;
	char *unknown[CTL_MAX_UNKNOWN]; /* agents refused as unknown */
	int nunknown;
	int up_logged;         /* nodes logged as up since the last tick */
	struct jobs jobs;      /* pending, running and recently ended */
	int64_t version;       /* last desired-state version handed out */
	struct event *pass_ev; /* a scheduling pass, soon */
	struct envelope *env;  /* power, policies, alarms */
	struct parking *park;  /* held long polls (api_agents.c) */
	int nparked;
	struct bms *bms;             /* the BMS Modbus server; NULL when off */
	struct metrics_view metrics; /* what /metrics reads (main.c) */
	struct auth auth;            /* the REST API's tokens (auth.h) */
	struct nodeauth *nodeauth;   /* the site secret (nodeauth.c) */
	struct org org;              /* accounts, QOS, partitions (org.c) */
	struct tenancy *ten;         /* fair-share usage (tenancy.c) */
	struct selfstat *self;       /* the controller's own counts */
	struct event *lag_ev;        /* the loop-lag timer (main.c) */
	double lag_due_s;            /* when it should fire, monotonic s */
	struct leader lead;          /* active or standby (leader.h) */
	int standby;  /* 1 until it leads and has loaded the state */
	int stopping; /* a signal asked it to stop */
};

#endif
