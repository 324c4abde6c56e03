/*
 * The fleet in memory: every pod and node the configuration declares, what
 * the operators decided about each node (mirrored from the store), and the
 * latest telemetry each agent reported. Memory is the truth for "now"; the
 * store is the truth for state. No I/O here: the daemon feeds it reports and
 * clock readings, and reads summaries back.
 */
#ifndef CTL_FLEET_H
#define CTL_FLEET_H

#include <stdint.h>

#include "config.h"
#include "health.h"
#include "holder.h"
#include "names.h"
#include "nodecred.h"

struct report;
struct report_sample;

/* Node states shown to operators (DESIGN.md). */
enum node_state {
	NODE_IDLE,
	NODE_MIXED,
	NODE_ALLOCATED,
	NODE_DOWN,
	NODE_DRAINING,
	NODE_DRAINED,
	NODE_NSTATES
};

struct accel {
	int index;
	char model[64];
	double clock_min_mhz, clock_max_mhz; /* MHz */
	double power_max_w, tdp_w;           /* W */
	double temp_crit_c;                  /* °C */
	double mem_total_mib;                /* MiB */
	/* latest sample; NaN when unknown */
	double power_w;        /* W */
	double energy_j;       /* J, the agent's counter */
	double temp_c;         /* °C */
	double clock_mhz;      /* MHz */
	double util_pct;       /* % */
	double mem_used_mib;   /* MiB */
	double energy_delta_j; /* J counted by the last report */
};

struct node {
	char name[NAME_MAX_LEN];
	char group[NAME_MAX_LEN]; /* "pod01-g01" */
	int pod;                  /* index into fleet.pods */
	int gindex;               /* group index, unique in the fabric */
	int64_t id;               /* row id in the store */

	/* operator decisions, persisted */
	int drained; /* drain requested */
	char reason[256];
	int64_t drained_at_ms; /* wall clock */
	char drained_by[64];

	/* liveness */
	int up;
	int64_t last_seen_ms;       /* wall clock of the last report */
	int64_t last_seen_mono_ms;  /* monotonic, for the timeout */
	int64_t last_seen_watch_ms; /* the fleet's watched clock, then */

	/* agent session */
	char boot_id[17]; /* the agent holding the node's name */
	int64_t ack_seq;  /* highest sample seq held for boot_id */
	char agent_version[32];
	char inventory_boot[17];         /* whose inventory accels holds; "" */
	struct holder_intruder intruder; /* reports refused from another */
	/* its credential (nodeauth.c): derived once, and the reports
	 * refused for a missing or wrong one */
	char credential[NODECRED_BUF]; /* "" not derived yet */
	int64_t auth_refused_ms;       /* wall clock of the last; 0 none */
	int64_t auth_since_ms;         /* wall clock: its episode's first */
	int64_t auth_refusals;         /* refused in the episode */
	char auth_from[64];            /* the address of the last */

	/* latest telemetry; NaN when unknown */
	int naccels;
	struct accel *accels;
	double power_w;        /* node electrical power, W */
	double inlet_c;        /* coolant in, °C */
	double outlet_c;       /* coolant out, °C */
	double flow_lpm;       /* L/min */
	double cdu_capacity_w; /* its pod CDU's capacity as read, W; NaN */
	double pump_pct;       /* its loop's pump speed, %; NaN */
	double pressure_kpa;   /* kPa */
	int leak;              /* 1 leak, 0 dry, -1 unknown */
	int64_t sample_t_ms;   /* time of the latest sample */
	int64_t stored_t_ms;   /* time of the latest sample stored */

	int limiting;            /* held at its cap (agent's word) */
	double energy_j;         /* J since the controller started */
	double energy_delta_j;   /* J counted by the last report */
	int running_jobs;        /* job ranks holding resources here */
	uint64_t alloc_mask;     /* accelerators held by jobs */
	int64_t desired_version; /* changes whenever its desired state does */
	int inventory_dirty;     /* accelerators changed since stored */
	int seen_dirty;          /* last_seen changed since stored */
	struct health health;    /* what its guard reports (core/health.h) */
};

struct pod {
	struct pod_config conf;
	int first;  /* index of its first node in fleet.nodes */
	int nnodes; /* == conf.nodes */
};

/* Sums over a pod or the whole fabric. NaN where nothing is known. */
struct fleet_summary {
	int nodes_total, nodes_up;
	int by_state[NODE_NSTATES];
	int accels_total, accels_up;
	double power_w;            /* IT power of nodes that report, W */
	double heat_w;             /* heat carried by the coolant, W */
	double budget_w;           /* W */
	double cooling_capacity_w; /* W */
	double supply_c, return_c; /* flow-weighted means, °C */
	double flow_lpm;           /* L/min */
	double hottest_c;          /* °C */
	int hottest_node;          /* index into fleet.nodes, -1 none */
	int hottest_index;         /* accelerator index */
	int leaks;                 /* nodes reporting a leak */
	int nodes_hot; /* up, an accelerator within hot_margin_c of critical */
};

struct fleet {
	struct pod *pods;
	int npods;
	struct node *nodes; /* sorted by name */
	int nnodes;
	int ngroups; /* leaf groups in the fabric */
	double coolant_density_kg_l;
	double coolant_cp_j_kgk;
	double hot_margin_c; /* [alarms] overtemp_margin_c, °C */
	/* The time the controller watched: monotonic time less its loop's
	 * own lag, so that a stalled controller does not count the stall
	 * against its agents (docs/fencing.md). */
	int64_t tick_mono_ms;   /* the previous liveness check; 0: none */
	int64_t lag_total_ms;   /* lag since start, ms */
	int64_t lag_ms;         /* the lag the last check found, ms */
	int64_t start_watch_ms; /* the watched clock at the first check */
	/* fleet_summary_recent()'s: each pod's summary, then the fabric's
	 * (npods + 1), made at recent_mono_ms; 0: to be made again */
	struct fleet_summary *recent;
	int64_t recent_mono_ms;
};

#define FLEET_TICK_MS 1000 /* how often the daemon checks liveness */
/* An accelerator's critical temperature when it does not say, °C. */
#define FLEET_TEMP_CRIT_C 90

/* How old fleet_summary_recent() lets a summary grow, ms. */
#define FLEET_SUMMARY_MAX_AGE_MS 100

/* Builds the fleet the config declares, every node down and undrained.
 * Returns NULL on allocation failure. Caller frees with fleet_free(). */
struct fleet *fleet_new(const struct config *c);
void fleet_free(struct fleet *f);
/* Takes a reloaded config's pod settings (budgets, cooling, ...) and
 * coolant constants; c declares the same pods, nodes and groups as the
 * config f was built from (the caller checked). */
void fleet_configure(struct fleet *f, const struct config *c);
/* The node called `name`, or NULL. */
struct node *fleet_node(struct fleet *f, const char *name);
/* The index of pod `name`, or -1. */
int fleet_pod_index(const struct fleet *f, const char *name);
/* Accelerators on n: reported, else as configured for its pod. */
int fleet_node_accels(const struct fleet *f, const struct node *n);
/* The state an operator sees. */
enum node_state fleet_node_state(const struct fleet *f, const struct node *n);
const char *fleet_state_name(enum node_state s);
/* The state called `name`, or -1. */
int fleet_state_parse(const char *name);
/* The reason shown with the node's state: drain reason, "not responding",
 * or NULL. */
const char *fleet_node_reason(const struct node *n);
/* Heat the node's coolant carries, W (NaN when unknown). */
double fleet_node_heat_w(const struct fleet *f, const struct node *n);
/* The node's hottest accelerator temperature, °C (NaN when unknown). */
double fleet_node_hottest_c(const struct node *n);
/*
 * As fleet_summarize(), for the REST API's many readers: a summary of pod
 * (-1: the fabric) at most FLEET_SUMMARY_MAX_AGE_MS old at now_mono_ms,
 * all of them made again in one pass over the nodes when older. A node's
 * state changed by the fleet (up, down) or by a drain marks them stale at
 * once; telemetry and job placements show within that age. Borrowed,
 * valid until the next call.
 */
const struct fleet_summary *fleet_summary_recent(
    struct fleet *f, int pod, int64_t now_mono_ms);
/* The next fleet_summary_recent() summarizes afresh. */
void fleet_summary_stale(struct fleet *f);
/* Applies an accepted report received at wall time now_ms / monotonic
 * mono_ms: session, inventory, latest sample, health, liveness. Calls on_sample
 * (may be NULL) for each sample not seen before, oldest first. Returns 1 when
 * the node came back up, else 0. */
int fleet_apply_report(struct fleet *f, struct node *n, const struct report *r,
    int64_t now_ms, int64_t mono_ms,
    void (*on_sample)(struct node *n, const struct report_sample *s, void *arg),
    void *arg);
/* 1 when n's reports should carry the inventory: none was heard from
 * the agent holding it now (a new boot, or since the controller started),
 * so the reply asks for it (want_inventory, docs/agent-protocol.md). */
int fleet_wants_inventory(const struct node *n);
/* Whether a report for n from boot id `boot`, at monotonic mono_ms with
 * the heartbeat timeout timeout_ms, is its holder's, takes it over (the
 * holder silent past the timeout, or not heard since start) or is refused
 * (core/holder.h). */
enum holder_verdict fleet_judge_boot(const struct fleet *f,
    const struct node *n, const char *boot, int64_t mono_ms,
    int64_t timeout_ms);
/* Marks nodes silent for more than timeout_ms down; stores the names of
 * the nodes that just went down through cb. Returns how many. Called
 * every FLEET_TICK_MS: a call later than two ticks after the previous one
 * measures the loop's lag (lag_ms), which no node's silence counts. */
int fleet_check_liveness(struct fleet *f, int64_t mono_ms, int64_t timeout_ms,
    void (*cb)(struct node *n, void *arg), void *arg);
/* How long node n has been silent at monotonic mono_ms, less the time
 * the controller itself was stalled; for a node not heard from since
 * start, the time since start. */
int64_t fleet_node_silent_ms(
    const struct fleet *f, const struct node *n, int64_t mono_ms);
/* What pod `pod`'s loop can carry, W: its configured capacity, or less
 * when a CDU plugin on one of its nodes reads less, or 0 when a node's
 * loop reports its pump stopped. */
double fleet_pod_capacity_w(const struct fleet *f, int pod);
/* Summarises pod `pod`, or the whole fabric when pod is -1. */
void fleet_summarize(const struct fleet *f, int pod, struct fleet_summary *s);

#endif
