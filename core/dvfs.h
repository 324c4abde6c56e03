/*
 * The DVFS controllers: from one node's accelerators, their latest samples
 * and the policy the controller asked for, the clock cap each accelerator
 * should run under. Pure: state in, decisions out, no I/O, no clock reads,
 * no globals, so that a unit test or a benchmark drives them against the
 * simulation plugins in virtual time, and pod-agentd and pod-fleetsim run
 * the very same code on every tick.
 *
 * A step has two stages. The policy proposes a clock per accelerator
 * (performance: f_max, powersave: f_min, energy: the lowest clock whose
 * predicted slowdown stays under the bound, thermal: PI loops on the die
 * and loop outlet temperatures). Then a node power cap, when one is in
 * force (the allocator's cap_w, power_cap's own cap, curtail's target,
 * whichever is lowest), lowers those clocks as far as needed by feedback
 * on the measured node power. Both stages share one model of an
 * accelerator, P(f) = S + D·(f/f_max)·(V(f)/V_max)², fitted through its
 * last sample every step, so that a target power turns into a clock
 * directly and the feedback only corrects what the model gets wrong.
 * docs/dvfs.md has the derivations and the constants.
 *
 * The clock caps are multiples of a clock step above f_min (or f_max
 * itself), as firmware runs them; clocks are the only actuator, so the
 * device's own power limit never fights these loops.
 */
#ifndef AGENT_DVFS_H
#define AGENT_DVFS_H

#include <stddef.h>
#include <stdint.h>

#define DVFS_MAX_ACCELS         64   /* accelerators per node (protocol) */
#define DVFS_STEP_MHZ           15.0 /* clock granularity assumed, MHz */
#define DVFS_DEFAULT_TARGET_C   80.0 /* thermal: target, °C */
#define DVFS_DEFAULT_SLOWDOWN   5.0  /* energy: slowdown bound, % */
#define DVFS_CAP_MARGIN         0.01 /* set point under a cap, share */
#define DVFS_THERMAL_TARGET_MIN 20.0 /* thermal target range, °C */
#define DVFS_THERMAL_TARGET_MAX 120.0

enum dvfs_policy {
	DVFS_PERFORMANCE = 0, /* highest clocks */
	DVFS_POWERSAVE,       /* lowest clocks */
	DVFS_POWER_CAP,       /* node power held under cap_w */
	DVFS_THERMAL,         /* hottest die and loop outlet under target_c */
	DVFS_ENERGY,          /* lowest clock within slowdown_pct */
	DVFS_CURTAIL,         /* node power at fraction of its draw */
};
#define DVFS_NPOLICIES 6

/* A policy and its parameters; only the policy's own field counts. */
struct dvfs_policy_conf {
	enum dvfs_policy policy;
	double cap_w;        /* power_cap: node cap, W */
	double target_c;     /* thermal: target, °C */
	double slowdown_pct; /* energy: slowdown bound, % */
	double fraction;     /* curtail: share of the draw, 0–1 */
};

/* One accelerator at one step: its limits and its latest sample. A
 * reading that was not taken is NaN. */
struct dvfs_accel {
	double clock_min_mhz;  /* lowest settable clock, MHz */
	double clock_max_mhz;  /* highest clock, MHz */
	double clock_step_mhz; /* granularity, MHz; 0: any clock */
	double tdp_w;          /* thermal design power, W; 0: unknown */
	double power_w;        /* W */
	double temp_c;         /* die, °C */
	double clock_mhz;      /* clock it ran at, MHz */
	double util_pct;       /* busy, 0–100 % */
	double membound;       /* how memory-bound its work is believed to
	                          be, 0–1; NaN: unknown (taken as 0) */
	int pinned;            /* 1: the safety guard holds it at f_min */
};

/* What a step sees of the node. */
struct dvfs_input {
	const struct dvfs_accel *accel; /* naccel of them, in index order */
	int naccel;                     /* 1..DVFS_MAX_ACCELS */
	double node_power_w;            /* the node's power, W; NaN */
	double supply_c;                /* coolant in, °C; NaN */
	double return_c; /* coolant out (loop outlet), °C; NaN */
	double dt_s;     /* since the previous step, s */
	double cap_w;    /* cap from outside (allocator or fallback), W; NaN */
};

/* What a step decides. */
struct dvfs_output {
	double clock_cap_mhz[DVFS_MAX_ACCELS]; /* per accelerator, MHz */
	double node_cap_w; /* the node cap in force, W; NaN: none */
	int limiting;      /* 1: a cap holds some clock under the policy's */
};

/* A node's controller state; a plain value, no allocation. */
struct dvfs {
	struct dvfs_policy_conf conf;
	double prev_cap_mhz[DVFS_MAX_ACCELS]; /* cap stage's last, MHz */
	double die_err_c[DVFS_MAX_ACCELS];    /* thermal: last error, K */
	int die_on[DVFS_MAX_ACCELS];          /* thermal: loop engaged */
	double rth_k_per_w[DVFS_MAX_ACCELS];  /* thermal: die to coolant */
	double ret_err_c;                     /* thermal: outlet error, K */
	int ret_on;                           /* thermal: outlet engaged */
	double loop_k_per_w;                  /* thermal: outlet rise per W */
	double util_pct[DVFS_MAX_ACCELS];     /* energy: smoothed, % */
	double energy_mhz[DVFS_MAX_ACCELS];   /* energy: last choice, MHz */
	double curtail_ref_w; /* curtail: draw when applied, W; NaN */
};

/* Starts d with `performance` and no state. */
void dvfs_init(struct dvfs *d);
/* Sets the policy. A different policy starts from fresh state
 * (integrators, estimates); the same policy keeps it, except that curtail
 * measures its reference draw again when the fraction changes. The
 * parameters must be valid (dvfs_conf_valid()). */
void dvfs_set(struct dvfs *d, const struct dvfs_policy_conf *c);
/* One control step; fills *out. The accelerators must be the same, in the
 * same order, from one step to the next. */
void dvfs_step(
    struct dvfs *d, const struct dvfs_input *in, struct dvfs_output *out);
/* 1 when the parameters the policy reads are in range, else 0 with why
 * in err. */
int dvfs_conf_valid(const struct dvfs_policy_conf *c, char *err, size_t errlen);
/* "performance", …; static. */
const char *dvfs_policy_name(enum dvfs_policy p);
/* The policy named s: 0, or -1 when there is none. */
int dvfs_policy_parse(const char *s, enum dvfs_policy *out);

/* The slowdown the energy policy's model predicts at clock f for work of
 * compute-boundness beta (0–1): beta·(f_max/f − 1), as a share. Exposed
 * for the tests and the benchmark, which measure against it. */
double dvfs_slowdown(double beta, double f_mhz, double f_max_mhz);
/* The energy policy's compute-boundness from utilisation (0–100 %) and
 * memory-boundness (0–1; NaN: 0). */
double dvfs_beta(double util_pct, double membound);

#endif
