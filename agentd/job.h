/*
 * One job attempt on this node, as the agent sees it, and the pure parts
 * of handling it: the desired-state entry of docs/agent-protocol.md
 * ("Jobs") checked against this node, the entry the agent reports
 * back, the environment a job runs with, the duration a simulated job
 * lasts, and the two small text files a shepherd leaves in the job's
 * directory (its pids, and how the job ended).
 *
 * Everything here is free of I/O and clocks so that a unit test can feed it
 * malformed entries and odd commands. The status-file formatter is more
 * than pure: it is async-signal-safe (no stdio, no malloc, no locale),
 * because the shepherd, a fork of a process that may have had threads,
 * calls it before it exits.
 */
#ifndef AGENT_JOB_H
#define AGENT_JOB_H

#include <sys/queue.h>
#include <sys/types.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include <pod/wire.h>

#define JOB_MAX_ARGS         DESIRED_MAX_ARGS
#define JOB_COMMAND_MAX      DESIRED_COMMAND_MAX
#define JOB_NAME_MAX         DESIRED_NAME_MAX
#define JOB_NODELIST_MAX     DESIRED_NODELIST_MAX
#define JOB_MAX_ACCELS       64 /* accelerators per node (protocol) */
#define JOB_MAX_NODES        DESIRED_MAX_NODES
#define JOB_TIME_LIMIT_MAX_S DESIRED_TIME_LIMIT_MAX_S
#define JOB_KILL_GRACE_MAX_S DESIRED_KILL_GRACE_MAX_S
#define JOB_KILL_GRACE_DEF_S DESIRED_KILL_GRACE_DEF_S
#define JOB_MESSAGE_MAX      256  /* a launch error's explanation */
#define JOB_SIM_DEFAULT_S    30.0 /* a simulated command that is no sleep */
#define JOB_SIM_MAX_S        (366.0 * 24 * 3600)
#define JOB_STATUS_MAX       1024 /* bytes of a status file */
#define JOB_MEMBOUND_COMPUTE 0.1  /* a job's load: compute-bound, 0–1 */
#define JOB_MEMBOUND_MEMORY  0.7  /* a job's load: memory-bound, 0–1 */
#define JOB_USER_MAX         DESIRED_USER_MAX
#define JOB_PATH_MAX         DESIRED_PATH_MAX
#define JOB_MAX_GROUPS       1024 /* supplementary groups of a job's user */
#define JOB_SAFE_PATH        "/usr/local/bin:/usr/bin:/bin" /* a job's PATH */

/* Why an attempt ended; the names are the protocol's. */
enum job_cause {
	JOB_CAUSE_NONE = 0,     /* not ended, or not stopped by the agent */
	JOB_CAUSE_EXIT,         /* the command ended by itself */
	JOB_CAUSE_CANCELLED,    /* the controller cancelled or dropped it */
	JOB_CAUSE_TIMEOUT,      /* its time limit passed */
	JOB_CAUSE_LAUNCH_ERROR, /* it never ran */
	JOB_CAUSE_FENCED,       /* not confirmed for fence_timeout_s */
};

/* The step of a launch that failed, as a shepherd records it. */
enum job_step {
	JOB_STEP_NONE = 0,
	JOB_STEP_FORK,    /* the shepherd could not fork the job */
	JOB_STEP_SETSID,  /* the job could not get its own session */
	JOB_STEP_CHDIR,   /* into the job's directory */
	JOB_STEP_OUTPUT,  /* /dev/null or output.log */
	JOB_STEP_EXEC,    /* the command itself */
	JOB_STEP_USER,    /* setgroups, setgid or setuid to the job's user */
	JOB_STEP_WORKDIR, /* the job's working directory, as its user */
	JOB_STEP_STDOUT,  /* the job's `output` file, as its user */
	JOB_STEP_STDERR,  /* the job's `error` file, as its user */
	JOB_NSTEPS
};

enum job_state {
	JOB_RUNNING = 0, /* started (or starting); no end known */
	JOB_ENDED,       /* `end` says how */
};

/* What the controller wants run, one entry of desired.jobs, is the wire
 * record struct desired_job (pod/wire.h), decoded by common/wire.c. */

/* The account a job runs as, from the node's user database (looked up by
 * the agent before it forks: NSS is not for a forked child). */
struct job_user {
	char name[JOB_USER_MAX];
	uid_t uid;
	gid_t gid;                    /* primary group */
	gid_t groups[JOB_MAX_GROUPS]; /* supplementary, primary included */
	int ngroups;                  /* entries in groups */
	char home[JOB_PATH_MAX];      /* pw_dir */
	char shell[JOB_PATH_MAX];     /* pw_shell; "" is /bin/sh */
};

/* How an attempt ended. */
struct job_end {
	enum job_cause cause;
	int exit_code;          /* -1: none (a signal, or it never ran) */
	int signal;             /* the signal that ended it; 0: none */
	int64_t ended_ms;       /* wall clock, ms since the epoch */
	enum job_step err_step; /* launch_error from a shepherd */
	int err_errno;          /* errno of err_step; 0: none */
	char message[JOB_MESSAGE_MAX]; /* "" or the explanation */
};

struct event;
struct jobtable;

/* An attempt the agent knows, running or ended and not yet forgotten. The
 * core (jobtable.h) owns it; a runner keeps its own state in `rp`. */
struct job {
	TAILQ_ENTRY(job) entry;
	struct jobtable *jobs;   /* the owner, for timer callbacks */
	struct desired_job spec; /* id and attempt always set */
	enum job_state state;
	int64_t started_ms;        /* wall, when the agent launched it */
	long pid;                  /* the job's process (its group); 0: none */
	char *log;                 /* owned path of output.log, or NULL */
	struct job_end end;        /* when ended */
	enum job_cause stop_cause; /* NONE, or CANCELLED/TIMEOUT asked */
	int listed;                /* in the desired state just applied */
	int loaded;                /* its accelerators carry its load */
	int end_in_flight;         /* the end is in the report in flight */
	int end_acked;             /* a report with the end was answered */
	struct event *limit;       /* time limit timer, or NULL */
	struct event *grace;       /* SIGKILL timer, or NULL */
	void *rp;                  /* the runner's per-job state */
};

/* Checks a decoded entry against this node: its accelerator indices must
 * be below naccel. Returns 0, or -1 with why in err. */
int job_spec_check(
    const struct desired_job *s, int naccel, char *err, size_t errlen);
/* Decodes a desired.jobs entry (wire_desired_job_decode()) and checks it
 * (job_spec_check()). Returns 0 (release out with job_spec_clear()), or -1
 * with why in err; then out holds nothing to free but id and attempt as
 * far as they could be read. */
int job_spec_parse(json_t *entry, int naccel, struct desired_job *out,
    char *err, size_t errlen);
/* Frees what s owns and zeroes it; a zeroed spec is fine. */
void job_spec_clear(struct desired_job *s);

/* How long a simulated job runs, s: N for `sleep N` or `sh -c "sleep N"`
 * (N a decimal with an optional s, m, h or d suffix, as sleep(1) takes it),
 * JOB_SIM_DEFAULT_S for anything else. */
double job_sim_duration_s(const struct desired_job *s);

/* How memory-bound a job's work is taken to be, for the load it puts on
 * its accelerators (docs/dvfs.md): JOB_MEMBOUND_MEMORY when an argument of
 * its command contains "mem" in any case (memtest, stream_mem, --mem-bound),
 * else JOB_MEMBOUND_COMPUTE. */
double job_membound(const struct desired_job *s);

/* The environment a job runs with, built clean so that nothing of the
 * agent's (root's) environment reaches a user's job: PATH (JOB_SAFE_PATH),
 * HOME, USER, LOGNAME and SHELL from u, LANG when `lang` is not NULL (the
 * agent's own), then the protocol's POD_* variables for this spec, with
 * POD_ARRAY_JOB_ID and POD_ARRAY_TASK_ID last for an array task.
 * Returns a NULL-terminated array, or NULL (logged) when out of memory.
 * Caller frees with job_env_free(). */
char **job_env_build(
    const struct desired_job *s, const struct job_user *u, const char *lang);
/* Frees an array from job_env_build(); NULL is fine. */
void job_env_free(char **env);

/* Expands an `output` or `error` pattern of job s into out: %j the job
 * id, %A the array's job id and %a the task id (for a job that is no array
 * task, its own id and 0), %u the user, %N the node name, %% a percent
 * sign; any other % sequence is kept as it is, as sbatch keeps what it
 * does not know. Returns 0, or -1 when the result does not fit in size
 * bytes. */
int job_pattern_expand(const char *pat, const struct desired_job *s,
    const char *user, const char *node, char *out, size_t size);

/* "exit", "cancelled", …; NULL for JOB_CAUSE_NONE. Static. */
const char *job_cause_name(enum job_cause c);
/* The cause named `s`, or JOB_CAUSE_NONE. */
enum job_cause job_cause_parse(const char *s);

/* Writes a status file's text for `e` into buf: "key value" lines.
 * Async-signal-safe. Returns the length, or 0 when it does not fit. */
size_t job_end_format(const struct job_end *e, char *buf, size_t size);
/* Parses a status file's text. Unknown keys are skipped, so that a newer
 * shepherd's file still reads. Returns 0, or -1 with why in err. */
int job_end_parse(const char *text, size_t len, struct job_end *out, char *err,
    size_t errlen);
/* Fills e->message, when empty, from err_step and err_errno, naming argv0
 * for an exec failure (borrowed; may be NULL). For the steps done as the
 * job's user the shepherd wrote what it was doing (the agent prepared the
 * text): the errno's explanation is added to it, once. */
void job_end_explain(struct job_end *e, const char *argv0);

/* The pid file a shepherd writes: "SHEPHERD JOB\n". Formatting is
 * async-signal-safe and returns the length, or 0 when it does not fit. */
size_t job_pids_format(pid_t shepherd, pid_t job, char *buf, size_t size);
/* 0 with both pids (> 0) set, or -1. */
int job_pids_parse(const char *text, size_t len, pid_t *shepherd, pid_t *job);

/* The entry for a report's "jobs": a new reference, NULL when out of
 * memory. */
json_t *job_json(const struct job *j);

#endif
