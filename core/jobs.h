/*
 * Jobs in memory and their lifecycle: submitted → pending → running (one
 * attempt, one rank per node) → completed, failed, cancelled, timeout or
 * node_fail, with requeue after a node failure. Like the fleet, this module
 * does no I/O: it changes state and marks what changed (`dirty`), and the
 * daemon writes that through the store before it answers anyone.
 *
 * A job's ranks array holds the ranks of its current attempt and, while
 * they are being stopped, those of earlier attempts (rank.attempt tells).
 * A rank leaves the array once it has ended and been stored; the store keeps
 * every attempt's ranks.
 */
#ifndef CTL_JOBS_H
#define CTL_JOBS_H

#include <stdint.h>

#include "sched.h"

struct report_job;

enum job_state {
	JOB_PENDING,
	JOB_RUNNING,
	JOB_COMPLETED,
	JOB_FAILED,
	JOB_CANCELLED,
	JOB_TIMEOUT,
	JOB_NODE_FAIL,
	JOB_NSTATES
};

enum rank_state { RANK_STARTING, RANK_RUNNING, RANK_ENDED };

enum rank_cause {
	CAUSE_NONE,
	CAUSE_EXIT,
	CAUSE_CANCELLED,
	CAUSE_TIMEOUT,
	CAUSE_LAUNCH_ERROR,
	CAUSE_NODE_FAIL,
	CAUSE_LEAK, /* stopped by the controller: coolant leak on its node */
	CAUSE_PREEMPTED, /* stopped for a job of a higher QOS; requeued */
	CAUSE_NCAUSES
};

#define JOB_NAME_MAX    128
#define JOB_COMMAND_MAX 8192 /* bytes of the command's JSON text */
#define JOB_USER_MAX    64   /* the Unix user name, with its NUL */
#define JOB_PATH_MAX    1024 /* chdir, output and error, with the NUL */
#define JOB_TAG_MAX     64   /* account, QOS, partition, reservation names */
#define JOB_DEP_MAX     512  /* the dependency text, with its NUL */

struct job_rank {
	int attempt;
	int rank;      /* 0..nnodes-1 */
	int node;      /* index into fleet.nodes */
	uint64_t mask; /* accelerators */
	enum rank_state state;
	enum rank_cause cause;
	int has_exit;
	int exit_code;
	int signal;         /* 0: none */
	int64_t started_ms; /* wall clock at the agent; 0 unknown */
	int64_t ended_ms;
	char log[1024];    /* path on the node */
	char message[256]; /* the agent's explanation (a launch_error's); "" */
	int dirty;         /* changed since stored */
};

struct job {
	int64_t id; /* 0 until stored */
	char name[JOB_NAME_MAX];
	char *command; /* JSON array text, owned */
	int nnodes;
	int accels_per_node;
	int accels_total;
	int exclusive;
	enum sched_within within;
	int64_t time_limit_s;
	int64_t priority;
	char policy[32];
	int requeue;
	enum job_state state;
	const char *reason; /* static text, or NULL */
	int attempt;        /* attempts started so far */
	int64_t submit_ms;  /* first submission, wall clock */
	int64_t start_ms;   /* start of the current attempt */
	int64_t end_ms;
	int has_exit;
	int exit_code;
	double energy_j;          /* NaN until measured */
	double attempt_energy0_j; /* energy_j as the current attempt began, J */
	double peak_power_w; /* the current attempt's highest draw, W; NaN */
	char submitted_by[64];
	char user[JOB_USER_MAX];    /* the Unix user it runs as */
	char workdir[JOB_PATH_MAX]; /* "chdir"; "": the user's home */
	char output[JOB_PATH_MAX];  /* stdout pattern; "": the agent's log */
	char errout[JOB_PATH_MAX];  /* "error": stderr pattern; "": stdout */
	int cancel_requested;
	char account[JOB_TAG_MAX];     /* who pays; "": the user's default */
	char qos[JOB_TAG_MAX];         /* "": the default QOS */
	char partition[JOB_TAG_MAX];   /* "": the default partition */
	char reservation[JOB_TAG_MAX]; /* runs inside it; "": none */
	char dependency[JOB_DEP_MAX];  /* "afterok:12:13,singleton"; "" */
	char array_spec[128]; /* the submission's "array" ("0-999%50"); not
	                         stored: the tasks are */
	int64_t array_job_id; /* the array's id (its first task's); 0: none */
	int array_task_id;    /* POD_ARRAY_TASK_ID; -1: not an array task */
	int array_max;        /* tasks of the array running at once; 0: any */
	double power_per_accel_w; /* declared draw per accelerator, W; NaN */
	int allow_capped;         /* may start under a DVFS cap */
	enum rank_cause ending;   /* the attempt is being stopped for this */
	struct job_rank *ranks;
	int nranks;
	int dirty; /* job row changed since stored */
};

struct jobs {
	struct job **v; /* active first is not guaranteed: search by id */
	int n;
	int cap;
};

/* Allocates an empty job (state pending, energy NaN). NULL on failure.
 * Freed with job_free() or by the table that owns it. */
struct job *job_new(void);
void job_free(struct job *j);
/* Adds j to the table, which then owns it. 0 or -1. */
int jobs_add(struct jobs *t, struct job *j);
/* Removes and frees job j. */
void jobs_remove(struct jobs *t, struct job *j);
void jobs_clear(struct jobs *t);
struct job *jobs_find(const struct jobs *t, int64_t id);

const char *job_state_name(enum job_state s);
int job_state_parse(const char *name); /* -1 when unknown */
const char *job_cause_name(enum rank_cause c);
enum rank_cause job_cause_parse(const char *name);
const char *job_within_name(enum sched_within w);
int job_within_parse(const char *name);
/* 1 for completed, failed, cancelled, timeout, node_fail. */
int job_ended(const struct job *j);

/* Starts a new attempt of pending job j on `slots` at wall time now_ms.
 * 0 or -1 (allocation failure, j unchanged). */
int job_start(
    struct job *j, const struct sched_slot *slots, int nslots, int64_t now_ms);
/* Applies what the agent on node `node` says of one of j's attempts.
 * Returns 1 if anything changed. */
int job_rank_report(struct job *j, int node, const struct report_job *rj);
/* Node `node` is down: ranks there end with node_fail, and a running
 * attempt that had one ends too (requeued when the job allows). Returns 1
 * if j changed. */
int job_node_down(struct job *j, int node, int64_t now_ms);
/* Node `node` has a coolant leak: as job_node_down(), but its ranks end
 * with cause leak, which counts as a lost node (requeue, or node_fail). */
int job_node_leak(struct job *j, int node, int64_t now_ms);
/* How rank r's end counts against its attempt: CAUSE_NONE for a clean exit
 * (0, no signal), else its cause (exit for a failed one). */
enum rank_cause job_rank_failure(const struct job_rank *r);
/* How telling a cause is, to choose the one that speaks for an attempt:
 * higher wins (a lost node or leak, then timeout, launch error, a failed
 * exit, cancel; CAUSE_NONE lowest). */
int job_cause_weight(enum rank_cause c);
/* Cancels j: a pending job ends now, a running one is asked to stop.
 * Returns 0, or -1 if j has already ended. */
int job_cancel(struct job *j, int64_t now_ms);
/* Asks running job j to stop for another job: once its ranks have ended
 * it goes back to the queue (its ranks' cause preempted). 0, or -1 if j
 * is not running, is already stopping, or may not be requeued. */
int job_preempt(struct job *j);
/* Settles j after changes: a running attempt whose ranks all ended gets its
 * final state (or goes back to pending, on node failure with requeue); one
 * whose rank failed has the others stopped. Returns 1 if j changed. */
int job_settle(struct job *j, int64_t now_ms);
/* The cancel flag sent to the agent for rank r of j. */
int job_rank_cancel(const struct job *j, const struct job_rank *r);
/* Drops ranks of earlier or requeued attempts that have ended and been
 * stored (their rows stay in the store). */
void job_prune_ranks(struct job *j);

#endif
