/*
 * The scheduler: a pure function from the state of the fabric and the queue
 * to decisions. No I/O, no clock reads, no globals: the controller calls it
 * on every pass with the time, pod-schedsim calls it in virtual time over a
 * trace, and the unit tests call it with hand-built states.
 *
 * The caller describes the topology (nodes with their pod, leaf group and
 * free accelerators), the running jobs (their allocations and when their
 * time limits end), and the pending jobs in any order. sched_pass() orders
 * the pending jobs by priority, places what fits (gang allocations: all of a
 * job's nodes at once, inside one group, one pod or the fewest pods), and
 * with EASY backfilling lets a lower job jump ahead only when it does not
 * delay the reservation of the top job. Every job it does not start gets a
 * reason.
 *
 * Admission is part of the pass: given each pod's power and heat headroom
 * (and the fabric's heat headroom), a job whose predicted draw does not fit
 * is not started (PowerBudget, CoolingCapacity) and what it would have held
 * stays free for the jobs behind it; a reservation holds the power its job
 * will draw, so a backfilled job that would still run at the reservation's
 * start leaves that power free.
 */
#ifndef CTL_SCHED_H
#define CTL_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_MAX_ACCELS 64 /* accelerators per node: one uint64_t mask */
#define SCHED_MAX_QUOTAS 4  /* quotas one job draws on */

enum sched_within {
	SCHED_WITHIN_GROUP,  /* all nodes under one leaf switch */
	SCHED_WITHIN_POD,    /* all nodes in one pod (default) */
	SCHED_WITHIN_FABRIC, /* the fewest pods that fit */
};

enum sched_policy {
	SCHED_FCFS,         /* strict priority order, no backfill */
	SCHED_EASY,         /* backfill behind one reservation (default) */
	SCHED_CONSERVATIVE, /* backfill behind a reservation for every job */
};

/* Why a pending job did not start (Slurm's words). */
enum sched_reason {
	SCHED_R_NONE,        /* started this pass */
	SCHED_R_PRIORITY,    /* a higher-priority job goes first */
	SCHED_R_RESOURCES,   /* not enough free resources now */
	SCHED_R_RESERVATION, /* would delay a higher job's reservation */
	SCHED_R_NODES_DOWN,  /* fits the fabric only with nodes now down or
	                        drained */
	SCHED_R_NEVER,       /* can never fit the fabric as configured */
	SCHED_R_POWER,       /* its draw would exceed a pod's power budget */
	SCHED_R_COOLING,     /* its heat would exceed a pod's or the
	                        facility's cooling */
	SCHED_R_LIMIT,       /* a quota ran out this pass: the decision's
	                        `limit` names it (QOSMaxJobsPerUserLimit, …) */
	SCHED_R_NREASONS
};

struct sched_node {
	int pod;     /* 0-based pod index */
	int group;   /* 0-based group index, unique in the fabric */
	int naccels; /* accelerators on the node (≤ SCHED_MAX_ACCELS) */
	int usable;  /* up, not drained: may take new work */
	uint64_t free_mask; /* bit i: accelerator i is free */
	/* Admission only (see sched_power); unused without it. */
	double tdp_w;  /* an accelerator's rated draw, W: a job's draw when it
	                  has no prediction */
	double idle_w; /* an idle accelerator's draw, W */
	const double *accel_w; /* naccels entries: each accelerator's draw
	                          now, W; NULL: idle_w each */
};

/* A job's request, normalized by the caller. */
struct sched_request {
	int nnodes;          /* nodes */
	int accels_per_node; /* accelerators on each node */
	int exclusive;       /* whole nodes: no other job shares them */
	enum sched_within within;
	int64_t time_limit_ms;
};

/* One node of an allocation. */
struct sched_slot {
	int node;      /* index into the node array */
	uint64_t mask; /* accelerators taken on it */
};

struct sched_running {
	int64_t end_ms; /* start + time limit: when its resources free up */
	int nslots;
	const struct sched_slot *slots;
	int exclusive;
};

struct sched_pending {
	int64_t id;        /* the caller's, echoed in decisions */
	int64_t prio;      /* configured priority */
	int64_t submit_ms; /* original submit time (kept across requeues) */
	struct sched_request req;
	double power_per_accel_w; /* predicted draw of each of its
	                             accelerators, W; 0: the node's tdp_w */
	int power_exempt; /* may run capped: the power budget does not hold it
	                     back (cooling still does) */
	int set;     /* 0: any node; k > 0: only the nodes in in->sets[k - 1] (a
	                partition, less nodes reserved over its run) */
	int nquotas; /* quotas it draws on (≤ SCHED_MAX_QUOTAS) */
	int quota[SCHED_MAX_QUOTAS]; /* indices into in->quotas */
};

/*
 * A limit counted as the pass starts jobs: a QOS's jobs or accelerators
 * per user or per account, an array's running tasks. A job starts only if
 * every quota it draws on has room for one more job and its accelerators;
 * the pass spends the room as it starts jobs. A job held by a quota holds
 * nothing: the jobs behind it go on.
 */
struct sched_quota {
	int64_t jobs;   /* jobs it may still start; INT64_MAX: no limit */
	int64_t accels; /* accelerators it may still start */
	const char *jobs_reason;   /* borrowed: "QOSMaxJobsPerUserLimit" */
	const char *accels_reason; /* borrowed: "QOSMaxGRESPerUser" */
};

/*
 * Admission headroom: what the pods and the facility can still take now.
 * A job starts only if, on every pod it touches, the draw it adds (its
 * predicted draw less what its accelerators draw now) fits the pod's power
 * room and heat room, and the sum over pods fits the fabric's heat room.
 * Rooms may be negative (already over); INFINITY means no limit.
 */
struct sched_power {
	const double *pod_power_w; /* npods entries: budget less draw, W */
	const double *pod_heat_w;  /* npods entries: cooling capacity less
	                              heat carried now, W */
	double fabric_heat_w;      /* facility cooling less the fabric's heat,
	                              W */
};

struct sched_input {
	int64_t now_ms;
	enum sched_policy policy;
	double age_weight_per_h; /* priority points per hour of waiting */
	int64_t age_cap_h;       /* waiting counted up to this many hours */
	int64_t starve_after_h;  /* the longest waiting job, once it has
	                            waited this long, goes first (and gets
	                            EASY's reservation); 0: never */
	const struct sched_node *nodes;
	int nnodes;
	int npods, ngroups;
	const struct sched_running *running;
	int nrunning;
	const struct sched_pending *pending;
	int npending;
	const struct sched_power *power; /* NULL: no admission */
	/* Node sets: sets[k] has nnodes bytes, non-zero where a job of set
	 * k + 1 may run. Borrowed. */
	const unsigned char *const *sets;
	int nsets;
	const struct sched_quota *quotas; /* borrowed; the pass copies them */
	int nquotas;
};

/* The decision for pending[i]: start it on `slots`, or a reason. */
struct sched_decision {
	enum sched_reason reason;
	int64_t start_ms;  /* reservation start for the top job(s), or 0 */
	const char *limit; /* SCHED_R_LIMIT: the quota's reason, borrowed */
	int nslots;
	struct sched_slot *slots; /* owned by the sched_result */
};

struct sched_result {
	struct sched_decision *d; /* npending entries, in input order */
	int npending;
	int nstarted;
};

/* Effective priority: prio + age_weight_per_h × hours waited (capped). */
double sched_priority(
    const struct sched_input *in, const struct sched_pending *p);
/* Checks a request against the fabric as configured (every node usable and
 * free). Returns SCHED_R_NONE if it could ever run, SCHED_R_NEVER with a
 * message in why otherwise. */
enum sched_reason sched_check(const struct sched_node *nodes, int nnodes,
    int npods, int ngroups, const struct sched_request *req, char *why,
    size_t whylen);
/* A QOS limit as a quota: max_jobs and max_accels (0: no limit) less what
 * running jobs hold (jobs, accels), with Slurm's reasons for a limit per
 * user (per_user) or per account. */
struct sched_quota sched_qos_quota(int64_t max_jobs, int64_t jobs,
    int64_t max_accels, int64_t accels, int per_user);
/* One scheduling pass. Fills res (caller frees with sched_result_free()).
 * 0, or -1 on allocation failure. */
int sched_pass(const struct sched_input *in, struct sched_result *res);
void sched_result_free(struct sched_result *res);
/* "Priority", "Resources", … */
const char *sched_reason_name(enum sched_reason r);

#endif
