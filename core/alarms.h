/*
 * Alarms: conditions of the fabric that need a person, raised and cleared
 * by rules (one static table in alarms.c), acknowledged by operators, kept
 * in the store. This module is pure: the daemon computes the rule inputs,
 * calls alarms_evaluate() once a tick, and stores and acts on what changed.
 */
#ifndef CORE_ALARMS_H
#define CORE_ALARMS_H

#include <stdint.h>

#define ALARM_OBJECT_MAX 64 /* a pod or node name with its NUL, "fabric" */

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
	ALARM_NKINDS
};

enum alarm_state { ALARM_OPEN, ALARM_ACKED, ALARM_CLEARED };

struct alarm {
	int64_t id; /* 0 until stored */
	enum alarm_kind kind;
	char object[ALARM_OBJECT_MAX]; /* node or pod name, or "fabric" */
	char message[256];
	enum alarm_state state;
	int64_t first_ms, last_ms, cleared_ms, acked_ms; /* wall clock */
	char acked_by[64];
	int count; /* times raised; a condition back within 5 min reopens */
	int dirty; /* changed since stored */
	int fresh; /* raised by the last evaluation */
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

/* What the rules read: the fabric's nodes and pods, and the rest. */
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
};

/* A condition that held at the last evaluation but not long enough yet. */
struct alarm_candidate {
	enum alarm_kind kind;
	char object[ALARM_OBJECT_MAX];
	int64_t since_ms;
};

struct alarms {
	struct alarm **v;
	int n, cap;
	struct alarm_candidate *cand;
	int ncand, capcand;
};

const char *alarm_kind_name(enum alarm_kind k);
const char *alarm_severity(enum alarm_kind k);
const char *alarm_state_name(enum alarm_state s);
int alarm_state_parse(const char *name);
int alarm_kind_parse(const char *name);
/* Runs every rule over the nodes and pods of in: raises new alarms (fresh,
 * dirty), counts repeats, clears alarms whose condition ended. 0 or -1
 * (out of memory). */
int alarms_evaluate(struct alarms *a, const struct alarm_inputs *in);
/* Adds an alarm loaded from the store. 0 or -1. */
int alarms_add(struct alarms *a, struct alarm *al);
struct alarm *alarms_find(const struct alarms *a, int64_t id);
/* Acknowledges an open alarm. 0, or -1 if it is not open. */
int alarm_ack(struct alarm *al, const char *who, int64_t now_ms);
/* Drops cleared alarms beyond the newest `keep` from memory. */
void alarms_trim(struct alarms *a, int keep);
void alarms_clear(struct alarms *a);
/* Alarms not cleared. */
int alarms_open(const struct alarms *a);

#endif
