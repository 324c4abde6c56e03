/*
 * Accounting, as Slurm's sacct and sreport give it: one record per attempt
 * of a job (who, which account, QOS and partition, where, how long, how it
 * ended, the energy of its accelerators, accelerator-hours and its peak
 * draw). The store writes an attempt's record in the same transaction as
 * the job change that starts or ends it (store_acct.c), so accounting never
 * disagrees with the jobs; this module tracks what the record needs while
 * the attempt runs (its peak draw, from the reports), puts the records of
 * running attempts right after a restart, prunes old records, and holds the
 * pure arithmetic of usage over a period (api_acct.c serves both).
 */
#ifndef CTL_ACCT_H
#define CTL_ACCT_H

#include <stdint.h>

struct ctl_state;
struct fleet;
struct job;

#define ACCT_TAG_MAX    64   /* user, account, QOS, partition, with NUL */
#define ACCT_NAME_MAX   128  /* job name, with NUL */
#define ACCT_NODES_MAX  1024 /* host list text, with NUL */
#define ACCT_REASON_MAX 256
#define ACCT_LIST_MAX   64 /* items of one filter list (jobs, users, …) */
#define ACCT_PREEMPTED  "preempted" /* the state of an attempt preempted */

/* One attempt's record, as stored (schema/010_acct.sql). */
struct acct_row {
	int64_t job_id;
	int attempt; /* 1…; 0 for a job ended before it ever started */
	char user[ACCT_TAG_MAX];
	char account[ACCT_TAG_MAX];
	char qos[ACCT_TAG_MAX];
	char partition[ACCT_TAG_MAX];
	char name[ACCT_NAME_MAX];
	char nodes[ACCT_NODES_MAX]; /* host list; "" when it never ran */
	int nnodes;
	int accels;         /* accelerators of the attempt */
	int64_t submit_ms;  /* wall clock, ms since the epoch */
	int64_t start_ms;   /* 0 when it never started */
	int64_t end_ms;     /* 0 while it runs */
	char state[16];     /* a job state name; "running" until it ends;
	                     * ACCT_PREEMPTED for one stopped for another */
	int has_exit;       /* exit_code is known */
	int exit_code;      /* the job's exit status */
	double energy_j;    /* the attempt's accelerators, J; NaN unknown */
	double accel_hours; /* accels × wall hours (up to now while running) */
	double peak_power_w; /* highest summed draw seen, W; NaN unknown */
	char reason[ACCT_REASON_MAX]; /* why it ended so; "" */
};

/* What GET /acct filters by; an empty list or a zero bound means any. */
struct acct_filter {
	const char *users[ACCT_LIST_MAX];
	int nusers;
	const char *accounts[ACCT_LIST_MAX];
	int naccounts;
	const char *states[ACCT_LIST_MAX];
	int nstates;
	int64_t jobs[ACCT_LIST_MAX];
	int njobs;
	int64_t from_ms; /* the attempt overlaps [from_ms, to_ms) */
	int64_t to_ms;   /* 0: no bound */
	int64_t now_ms;  /* the end of attempts still running */
	int limit;       /* the newest rows by job id; 0: all */
};

/*
 * The share of the attempt [start_ms, end_ms) that lies inside the period
 * [from_ms, to_ms), from 0 to 1. An attempt of no length counts whole when
 * its instant lies inside the period, else not at all. A zero from_ms or
 * to_ms is an open end.
 */
double acct_share(
    int64_t start_ms, int64_t end_ms, int64_t from_ms, int64_t to_ms);
/*
 * The record of job j's current attempt as it stands at now_ms, node names
 * from f: a running attempt's accelerator-hours count up to now_ms, its
 * energy from the attempt's start. Returns 1 with *out filled, or 0 when j
 * has no attempt to record (queued, never started, not ended).
 */
int acct_row_from_job(const struct job *j, const struct fleet *f,
    int64_t now_ms, struct acct_row *out);
/*
 * Node `idx` has just reported: every running attempt with a rank there
 * compares the summed draw of its nodes (a whole node's draw where it holds
 * every accelerator, its accelerators' draw where it shares the node) with
 * its peak so far.
 */
void acct_sample(struct ctl_state *st, int idx);
/*
 * After the jobs are loaded (queue_init): the running attempts take back
 * the energy baseline and the peak of their stored records, so that a
 * restart neither zeroes nor doubles them. 0 or -1 (logged).
 */
int acct_resume(struct ctl_state *st);
/* Called every tick: once a minute writes the running attempts' records
 * as they stand; once an hour prunes the records that ended more than
 * [accounting] retention_days ago. */
void acct_tick(struct ctl_state *st);

#endif
