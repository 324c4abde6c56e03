/*
 * The wire records between agent and controller (docs/agent-protocol.md),
 * as plain C structs defined once for both daemons: what an agent's report
 * says, and what the controller answers (the acknowledgement and the
 * node's desired state: job attempts to run or stop, power settings, the
 * fence timeout). The codec (common/wire.h) turns them into JSON and back.
 * A bad report is refused whole, before anything in the fleet changes; in
 * a desired state a bad job entry or power member is refused alone (the
 * agent reports that attempt as a launch error, or keeps its power
 * settings), each with a message that says which member is wrong. No
 * library types here, so the pure core (core/) may take these records as
 * they are.
 */
#ifndef POD_WIRE_H
#define POD_WIRE_H

#include <stdint.h>

#define REPORT_MAX_SAMPLES          600
#define WIRE_MAX_REPORT_INTERVAL_MS 600000 /* longest interval asked */
#define REPORT_MAX_ACCELS           64

/* One accelerator in one sample; NaN when not read. */
struct report_accel {
	double power_w, energy_j, temp_c, clock_mhz, util_pct, mem_used_mib;
};

struct report_sample {
	int64_t seq;
	int64_t t_ms; /* wall clock at the agent */
	double power_w;
	int naccels;
	struct report_accel accels[REPORT_MAX_ACCELS];
	int has_loop;
	double supply_c, return_c, flow_lpm, pressure_kpa; /* NaN unknown */
	double capacity_w; /* the pod CDU's capacity, W; NaN unknown */
	double pump_pct;   /* coolant pump speed, %; NaN unknown */
	int leak;          /* -1 unknown */
};

struct report_device {
	int index;
	char model[64];
	double clock_min_mhz, clock_max_mhz, power_max_w, tdp_w, temp_crit_c,
	    mem_total_mib; /* NaN unknown */
};

#define REPORT_MAX_JOBS 256

enum report_job_state { RJOB_RUNNING, RJOB_ENDED };

/* One job attempt as the agent sees it (docs/agent-protocol.md, "Jobs"). */
struct report_job {
	int64_t id;
	int attempt;
	enum report_job_state state;
	char cause[16]; /* exit, cancelled, timeout, launch_error; "" */
	int has_exit;
	int exit_code;
	int signal;         /* 0: none */
	int64_t started_ms; /* 0: unknown */
	int64_t ended_ms;   /* 0: unknown */
	int pid;            /* of the job's process; 0: none */
	char log[1024];     /* truncated when longer */
	char message[256];  /* truncated when longer */
};

/* What the agent applied, and its safety guard (the "power" member). */
struct report_power {
	char policy[32];                       /* DVFS policy in force */
	double cap_w;                          /* node cap, W; NaN none */
	int limiting;                          /* held at a cap */
	int fallback;                          /* on the fallback cap */
	int ncaps;                             /* entries in clock_caps_mhz */
	int clock_caps_mhz[REPORT_MAX_ACCELS]; /* applied, MHz; -1 none */
	int guard_leak, guard_lowflow;         /* the safety guard's state */
	uint64_t guard_overtemp; /* accelerators over critical, bit per index */
};

struct report {
	char boot_id[17];
	char agent_version[32];
	int64_t interval_ms;
	int64_t desired_version;
	int64_t dropped_samples;
	int ninventory;                            /* -1: no inventory member */
	char power_plugin[32], cooling_plugin[32]; /* "": none */
	struct report_device inventory[REPORT_MAX_ACCELS];
	int nsamples;
	struct report_sample *samples; /* ordered by seq */
	int njobs;                     /* -1: no jobs member */
	struct report_job *jobs;
	int has_power; /* a power member was sent */
	struct report_power power;
};

/* ---- the controller's answer ---- */

#define DESIRED_MAX_JOBS         1024   /* entries in desired.jobs */
#define DESIRED_MAX_ARGS         1024   /* command arguments */
#define DESIRED_COMMAND_MAX      131072 /* bytes of all arguments together */
#define DESIRED_NAME_MAX         256    /* job name, with its NUL */
#define DESIRED_NODELIST_MAX     65536  /* compact hostlist, with its NUL */
#define DESIRED_MAX_NODES        1000000
#define DESIRED_TIME_LIMIT_MAX_S (366LL * 24 * 3600)
#define DESIRED_KILL_GRACE_MAX_S 3600
#define DESIRED_KILL_GRACE_DEF_S 10 /* when the entry does not say */
#define DESIRED_POLICY_PARAMS    4  /* parameters of one policy */
#define DESIRED_FALLBACK_MAX_S   86400.0
#define DESIRED_FENCE_MAX_S      86400     /* fence_timeout_s at most */
#define REPLY_MAX_KILLS          256       /* entries in a reply's "kill" */
#define DESIRED_USER_MAX         64        /* user name, with its NUL */
#define DESIRED_PATH_MAX         1024      /* chdir, output, error; with NUL */
#define DESIRED_ARRAY_TASK_MAX   999999999 /* largest array task id */

/*
 * One entry of desired.jobs: a job attempt this node should run (or stop,
 * when cancel). Strings are owned (release with wire_desired_job_clear()).
 * When the entry was refused, `error` says why and only id and attempt are
 * set, as far as they could be read (key_ok says whether they were).
 */
struct desired_job {
	int64_t id;     /* the controller's job id, >= 1 */
	int attempt;    /* >= 1 */
	char *name;     /* owned */
	char **argv;    /* owned, NULL-terminated; NULL: unknown */
	int argc;       /* entries in argv */
	int nnodes;     /* nodes of the whole job */
	int node_rank;  /* this node's rank, 0..nnodes-1 */
	char *nodelist; /* owned, compact hostlist */
	int accel[REPORT_MAX_ACCELS]; /* accelerator indices on this node */
	int naccel;                   /* entries in accel */
	int64_t time_limit_s;         /* s after the start; 0: none */
	int64_t kill_grace_s;         /* s between SIGTERM and SIGKILL */
	int cancel;                   /* 1: stop it, or never start it */
	char *user;    /* owned; the Unix user it runs as; "": unsaid */
	char *workdir; /* owned; "chdir": working directory; "": home */
	char *output;  /* owned; stdout pattern; "": the agent's log */
	char *errout;  /* owned; "error": stderr pattern; "": with stdout */
	int64_t array_job_id; /* its array's job id; 0: not an array task */
	int array_task_id;    /* its task id in the array; -1: none */
	int key_ok;           /* id and attempt were read */
	char error[256];      /* "": valid; else why it was refused */
};

/* desired.power: the node's DVFS policy and caps. */
struct desired_power {
	char policy[32]; /* a policy name; checked by whoever applies it */
	int nparams;
	struct {
		char name[32];
		double value; /* in the parameter's unit */
	} params[DESIRED_POLICY_PARAMS];
	double cap_w;            /* the allocator's share, W; NaN: none */
	double fallback_cap_w;   /* W; NaN: none */
	double fallback_after_s; /* controller silence before it, s; NaN */
};

/*
 * A node's desired state, as the report reply and the long poll carry it.
 * The jobs and power members are decoded each on their own, so that a bad
 * one does not cost the others: jobs_error / power_error say why one was
 * refused.
 */
struct desired {
	int64_t version;          /* a change token, >= 0 */
	int njobs;                /* -1: no (usable) jobs member */
	struct desired_job *jobs; /* owned */
	char jobs_error[128];     /* "" or why "jobs" was refused whole */
	int has_power;            /* a power member was sent (not null) */
	struct desired_power power;
	char power_error[256]; /* "" or why "power" was refused */
	int fence_timeout_s;   /* the fabric's fence timeout; 0: unsaid */
};

/* An attempt the controller wants stopped at once: its report was late,
 * and the attempt has been superseded (requeued, or ended) meanwhile. */
struct reply_kill {
	int64_t id;
	int attempt;
};

/* The 200 reply to a report. */
struct reply {
	int64_t ack_seq; /* highest sample seq the controller holds */
	int nkill;
	struct reply_kill kill[REPLY_MAX_KILLS];
	int has_desired; /* a desired member was sent (not null) */
	struct desired desired;
	/* back-pressure: send reports at most this often, ms; 0: at the
	 * agent's own interval (docs/agent-protocol.md) */
	int64_t report_interval_ms;
	/* 1: send the inventory with the next report; 0: the controller
	 * holds this boot's; -1: unsaid (absent), read as 1 by agents, as a
	 * controller that never asks expects it every time */
	int want_inventory;
};

#endif
