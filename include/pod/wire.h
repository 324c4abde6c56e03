/*
 * The wire records between agent and controller (docs/agent-protocol.md):
 * what an agent's report says, as plain C structs, defined once for both
 * daemons. The codec (common/wire.h) turns them into JSON and back, and
 * refuses a bad report whole, before anything in the fleet changes, with a
 * message that says which member is wrong. No library types here, so the
 * pure core (core/) may take these records as they are.
 */
#ifndef POD_WIRE_H
#define POD_WIRE_H

#include <stdint.h>

#define REPORT_MAX_SAMPLES 600
#define REPORT_MAX_ACCELS  64

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

#endif
