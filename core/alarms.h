/*
 * Alarms: conditions of the fabric that need a person, raised and cleared
 * by rules (one static table in alarms.c), acknowledged by operators, kept
 * in the store. This module is pure: the daemon computes the rule inputs,
 * calls alarms_evaluate() once a tick, and stores, logs and acts on what
 * changed (the alarms listed in `ev` after the call).
 *
 * Open alarms are indexed by (kind, node or pod), so one evaluation costs
 * one pass over the nodes per rule with O(1) work per node, whatever the
 * number of alarms. Threshold alarms have a dwell time and hysteresis; an
 * event over many nodes of a pod (agents lost, coolant flow lost) is one
 * alarm of the pod that lists its nodes.
 */
#ifndef CORE_ALARMS_H
#define CORE_ALARMS_H

#include <stddef.h>
#include <stdint.h>

#include "holder.h"

#define ALARM_OBJECT_MAX  64   /* a pod or node name with its NUL, "fabric" */
#define ALARM_MESSAGE_MAX 1024 /* a message with its NUL */
#define ALARM_NODES_MAX   768  /* a pod's node list, compacted, with NUL */

enum alarm_kind {
	ALARM_LEAK,
	ALARM_OVERTEMP,
	ALARM_LOWFLOW,
	ALARM_NODE_DOWN,
	ALARM_POWER_OVER_CAP,
	ALARM_HEAT_OVER_CAPACITY,
	ALARM_SUPPLY_HIGH,
	ALARM_CURTAIL_MISSED,
	ALARM_BMS_WATCHDOG,
	ALARM_DUPLICATE_NODE,
	ALARM_NODE_AUTH,
	ALARM_MAINTENANCE,
	ALARM_NKINDS
};

enum alarm_state { ALARM_OPEN, ALARM_ACKED, ALARM_CLEARED };

/* What the last evaluation did to an alarm (listed in alarms.ev). */
enum alarm_event {
	ALARM_EV_NONE,
	ALARM_EV_RAISED,   /* new */
	ALARM_EV_REOPENED, /* back soon after it cleared: count grew */
	ALARM_EV_CHANGED,  /* nodes joined or left a pod's alarm */
	ALARM_EV_CLEARED
};

struct alarm {
	int64_t id; /* 0 until stored */
	enum alarm_kind kind;
	char object[ALARM_OBJECT_MAX]; /* node or pod name, or "fabric" */
	char message[ALARM_MESSAGE_MAX];
	enum alarm_state state;
	int64_t first_ms, last_ms, cleared_ms, acked_ms; /* wall clock */
	char acked_by[64];
	int count; /* times raised; a condition back within 5 min reopens */
	/* A pod's alarm over many nodes: how many are in it now and their
	 * names as a host list (the last ones when it cleared); 0 and "" for
	 * an alarm of one node, a pod or the fabric. */
	int nnodes;
	char nodes[ALARM_NODES_MAX];
	/* Node names read back from the store, resolved into the index by the
	 * next evaluation (which frees them); owned, NULL when none. */
	char **load_nodes;
	int nload_nodes;
	int dirty;              /* changed since stored */
	int fresh;              /* raised or reopened by the last evaluation */
	enum alarm_event event; /* of the last evaluation */
	int ix;       /* its slot in the index; -1 none, -2 not indexed yet */
	int ix_group; /* ix is a pod in groups[kind], not a slot */
};

/* One accelerator as the rules see it; NaN unknown. */
struct alarm_accel {
	double temp_c;      /* °C */
	double temp_crit_c; /* its critical temperature, °C */
};

/* One node as the rules see it. */
struct alarm_node {
	const char *name;     /* borrowed */
	int up;               /* reporting */
	int drained;          /* taken out of service on purpose */
	int leak;             /* 1 leak, 0 dry, -1 unknown */
	int64_t last_seen_ms; /* wall clock; 0 never */
	double flow_lpm;      /* coolant flow, L/min; NaN unknown */
	double inlet_c;       /* coolant supply, °C; NaN unknown */
	int naccels;
	const struct alarm_accel *accels; /* naccels, borrowed */
	const char *boot_id; /* the agent holding it; borrowed, "" none */
	/* reports refused from another boot id (core/holder.h); borrowed,
	 * NULL none */
	const struct holder_intruder *intruder;
	/* reports for it refused for a missing or wrong credential
	 * (controllerd/nodeauth.c): wall clock of the last, 0 none, and the
	 * address it came from (borrowed, "" unknown) */
	int64_t auth_refused_ms;
	const char *auth_from;
};

/* One pod as the rules see it; its nodes are nodes[first..first+nnodes). */
struct alarm_pod {
	const char *name; /* borrowed */
	int first, nnodes;
	double power_w;            /* its draw, W; NaN unknown */
	double budget_w;           /* its configured budget, W */
	double heat_w;             /* heat into its loop, W; NaN unknown */
	double cooling_capacity_w; /* its CDU's capacity, W */
};

/* Writes the compact form of names[0..n-1] into buf (size bytes, always
 * NUL-terminated); 0, or -1 when truncated. The shell passes the host
 * list formatter (common/hostlist.c). */
typedef int (*alarm_compact_fn)(
    const char *const *names, int n, char *buf, size_t size);

/* What the rules read: the fabric's nodes and pods, and the rest. Zero
 * for any of the dwell and hysteresis members keeps the rule table's
 * times and clears an alarm as soon as its condition ends. */
struct alarm_inputs {
	const struct alarm_node *nodes; /* nnodes, borrowed */
	int nnodes;
	const struct alarm_pod *pods; /* npods, borrowed */
	int npods;
	int64_t now_ms;
	double min_flow_lpm;       /* low-flow threshold, L/min */
	const double *pod_limit_w; /* per pod: what it may draw now, W */
	int64_t uptime_ms; /* of the controller: down needs a heartbeat */
	int64_t heartbeat_ms;
	double max_supply_c; /* supply_high threshold, °C */
	int curtail_missed;  /* the curtailment missed its deadline */
	int bms_expired;     /* the BMS heartbeat watchdog expired */
	/* dwell and hysteresis of threshold alarms */
	int64_t dwell_ms;          /* a condition holds this long to raise */
	int64_t clear_hold_ms;     /* ... stays on the safe side to clear */
	double overtemp_margin_c;  /* clears at once this far under critical */
	double lowflow_margin_lpm; /* clears at once this far over min_flow */
	double supply_margin_c;    /* clears at once this far under max */
	/* duplicate_node and node_auth clear this long after the last
	 * refused report; 0: HOLDER_EPISODE_MS */
	int64_t duplicate_window_ms;
	alarm_compact_fn compact; /* NULL: names joined by commas */
	/* per pod: the notice of a maintenance window coming or under way
	 * on its nodes (borrowed), NULL none; NULL: no pod has one */
	const char *const *pod_notice;
};

/* Per (kind, node or pod): the alarm of that object, and how long its
 * condition has held (or been gone). */
struct alarm_slot {
	struct alarm *al;       /* live or recently cleared; NULL none */
	int64_t hold_since_ms;  /* condition held since; 0 not holding */
	int64_t clear_since_ms; /* on the safe side since; 0 not */
	int member;             /* in its pod's alarm (grouped kinds) */
};

struct alarms {
	struct alarm **v; /* every alarm in memory, in no order */
	int n, cap;
	/* changed by the last evaluation (fresh, changed or cleared) */
	struct alarm **ev;
	int nev, capev;
	/* the index: per kind, one slot per node, pod or the fabric; for the
	 * kinds grouped by pod, groups[k][pod] is the pod's alarm */
	struct alarm_slot *slots[ALARM_NKINDS];
	struct alarm_slot *groups[ALARM_NKINDS];
	int *pod_of;            /* nnodes: each node's pod */
	unsigned char *touched; /* npods: a group changed this evaluation */
	int inodes, ipods;      /* sizes indexed; -1 not indexed */
	int reindex;            /* alarms added since */
};

const char *alarm_kind_name(enum alarm_kind k);
const char *alarm_severity(enum alarm_kind k);
const char *alarm_state_name(enum alarm_state s);
/* Whether nodes of a pod share one alarm of kind k (listing them). */
int alarm_kind_grouped(enum alarm_kind k);
/* Whether the rules of kind k look at nodes (not pods or the fabric). */
int alarm_kind_of_nodes(enum alarm_kind k);
int alarm_state_parse(const char *name);
int alarm_kind_parse(const char *name);
/* Runs every rule over the nodes and pods of in: raises new alarms (fresh,
 * dirty), counts repeats, updates pod alarms whose nodes changed, clears
 * alarms whose condition ended, and lists every alarm it changed in
 * a->ev (event says how). A condition that cannot be judged (a node not
 * reporting, a controller up for less than a heartbeat) neither raises
 * nor clears. 0 or -1 (out of memory). */
int alarms_evaluate(struct alarms *a, const struct alarm_inputs *in);
/* Adds an alarm (one loaded from the store); a takes ownership. 0 or -1. */
int alarms_add(struct alarms *a, struct alarm *al);
/* Frees an alarm not (or no longer) held by an alarms. */
void alarm_free(struct alarm *al);
struct alarm *alarms_find(const struct alarms *a, int64_t id);
/* Acknowledges an open alarm. 0, or -1 if it is not open. */
int alarm_ack(struct alarm *al, const char *who, int64_t now_ms);
/* Drops cleared alarms beyond the newest `keep` from memory. */
void alarms_trim(struct alarms *a, int keep);
void alarms_clear(struct alarms *a);
/* Alarms not cleared. */
int alarms_open(const struct alarms *a);
/* Nodes concerned by the alarms of kind k not cleared: the nodes of a
 * pod's alarms, one per alarm of a node (for the BMS, which counts nodes,
 * not alarms). */
int alarms_nodes_in(const struct alarms *a, enum alarm_kind k);
/* Whether node i (its index in the last evaluation's inputs) is in an
 * alarm of kind k not cleared: its own, or as one of its pod's. O(1); 0
 * before the first evaluation. */
int alarms_node_in(const struct alarms *a, enum alarm_kind k, int i);

#endif
