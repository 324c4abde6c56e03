/*
 * The safety guard: the part of the agent that must act whatever the
 * controller says and whether or not it is reachable. It looks at every
 * sample after the DVFS policy and says which accelerators must run at
 * their lowest clock:
 *
 *	leak on the node's loop	every accelerator; clears once the plugin
 *				has reported dry for clear_s on end
 *	flow under min_flow_lpm	every accelerator; clears at 1.2 × that
 *	die over temp_crit_c	that accelerator; clears 5 °C under it
 *
 * Pure, like the DVFS controllers (no I/O, no clock: the caller passes
 * the time between samples), and deliberately independent of them: it
 * holds no reference to a policy, a cap or the controller, so nothing
 * that goes wrong there can keep it from acting. The loop is looked at
 * separately from the accelerators, so that the agent can throttle on a
 * leak right after reading the loop, before it reads the accelerators: the
 * sample that first shows the leak already shows its clocks at f_min.
 *
 * A reading that was not taken never trips nor clears anything; for the
 * leak it also breaks the dry spell, which must be one unbroken run of
 * dry readings from the first to the last.
 */
#ifndef AGENT_GUARD_H
#define AGENT_GUARD_H

#define GUARD_MAX_ACCELS        64   /* accelerators per node (protocol) */
#define GUARD_DEFAULT_MIN_FLOW  2.0  /* L/min */
#define GUARD_DEFAULT_CLEAR_S   10.0 /* s dry before a leak clears */
#define GUARD_TEMP_HYSTERESIS_C 5.0  /* overtemp clears this far under, K */
#define GUARD_FLOW_HYSTERESIS   1.2  /* lowflow clears at this × threshold */

struct guard {
	double min_flow_lpm;            /* L/min; 0: no flow check */
	double clear_s;                 /* s dry before a leak clears */
	int leak;                       /* 1: leak state */
	int dry;                        /* 1: read dry since the last wet */
	double dry_s;                   /* dry for this long in leak state, s */
	int lowflow;                    /* 1: flow state */
	int overtemp[GUARD_MAX_ACCELS]; /* 1: accelerator i over critical */
};

/* Starts g with nothing tripped. */
void guard_init(struct guard *g, double min_flow_lpm, double clear_s);
/* Takes one loop reading: leak 1 wet, 0 dry, -1 not read; flow_lpm NaN
 * when not read; dt_s since the previous loop reading (0 for the first).
 * The dry time counts from the first dry reading of a run. */
void guard_loop(struct guard *g, int leak, double flow_lpm, double dt_s);
/* Takes one reading of n accelerators: die temperature (NaN: not read)
 * and critical temperature (0 or less, NaN: unknown, never trips). */
void guard_accels(
    struct guard *g, int n, const double *temp_c, const double *crit_c);
/* 1 when every accelerator must be at f_min (leak or low flow). */
int guard_all(const struct guard *g);
/* 1 when accelerator i must be at f_min. */
int guard_pinned(const struct guard *g, int i);

#endif
