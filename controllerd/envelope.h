/*
 * The power and cooling envelope: the imperative shell around power.c (the
 * budget allocator), policy.c (DVFS policies) and alarms.c (alarm rules).
 * It holds the facility cap and curtailment, the policies by scope, each
 * node's cap, the energy counters and the alarms; stores every operator
 * change before it is acknowledged; and hands each node its power settings
 * in the desired state.
 *
 * Other modules read its fields (through a const pointer where they can)
 * and change them only through the functions below. The ones a narrow
 * shell calls (the BMS server, bms.c) take the envelope handle itself;
 * the rest take the controller's state.
 */
#ifndef CTL_ENVELOPE_H
#define CTL_ENVELOPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alarms.h"
#include "alarmview.h"
#include "policy.h"
#include "sched.h"
#include <pod/wire.h>

struct alarm;
struct ctl_state;
struct job;
struct node;
struct report;
struct name_w;

struct envelope {
	double facility_cap_w;   /* 0: none */
	double curtail_pct;      /* 0–100; 0: none */
	double curtail_base_w;   /* fabric draw when it began, W */
	char source[16];         /* who set a limit last: config, rest, bms */
	char cap_source[16];     /* who set the facility cap */
	char curtail_source[16]; /* who set the curtailment */
	struct policy fleet;
	struct policy *pods;  /* npods */
	struct policy *nodes; /* nnodes */
	double *node_cap_w;   /* nnodes: sent caps; 0 none */
	double *pod_alloc_w;  /* npods: what each pod may draw now */
	double fabric_limit_w;
	double *pod_energy_j; /* npods, since the database began */
	uint64_t *power_hash; /* nnodes: of the power settings last sent */
	struct alarms alarms;
	struct alarmview alarmview; /* the rules' view, kept between ticks */
	int64_t last_alloc_ms, last_energy_store_ms;
	int64_t curtail_since_ms; /* monotonic: the curtailment began */
	/* from the building (bms.c) */
	double facility_supply_c;  /* facility water supply, °C; NaN unknown */
	double facility_cooling_w; /* cooling the facility has left, W; 0
	                              unknown: bounds the fabric's heat */
	int curtail_missed;        /* curtailment not met within ramp time */
	int bms_expired;           /* the BMS heartbeat watchdog expired */
	struct ctl_state *st;      /* the controller it serves (envelope.c's) */
};

/* Loads settings, policies, alarms and energy counters. 0 or -1. */
int envelope_init(struct ctl_state *st);
void envelope_free(struct ctl_state *st);
/* Counts the energy of an accepted report from n (pods, jobs). */
void envelope_report(
    struct ctl_state *st, struct node *n, const struct report *r);
/* Once a second: reallocates budgets, evaluates alarms, stores what
 * changed. (A leak's drain and requeue are node health's: nodehealth.c.) */
void envelope_tick(struct ctl_state *st);
/* The "power" member of n's desired state, into *out. */
void envelope_desired(
    struct ctl_state *st, const struct node *n, struct desired_power *out);
/* GET /power. New reference. */
json_t *envelope_power_json(struct ctl_state *st);
/* Sets the facility cap (W, 0 for none), stored and audited. 0 or -1. */
int envelope_set_cap(struct envelope *e, double cap_w, const char *who,
    const char *source, char *err, size_t errlen);
/* Sets the curtailment (0–100 %), stored and audited. 0 or -1. */
int envelope_set_curtail(struct envelope *e, double pct, const char *who,
    const char *source, char *err, size_t errlen);
/* What the building says (its BMS, over Modbus): the facility water
 * supply temperature (°C; NaN unknown) and the cooling the facility has
 * left (W; NaN unknown), both weighed by the next tick's rules. */
void envelope_set_facility_supply(struct envelope *e, double supply_c);
void envelope_set_facility_cooling(struct envelope *e, double cooling_w);
/* Whether the BMS heartbeat watchdog has expired (shown by GET /power and
 * the Modbus map; what expiry undoes is done through the setters above). */
void envelope_set_bms_expired(struct envelope *e, int expired);
/* Whether the curtailment in force was missed: the fabric still draws
 * over its target once the ramp time has passed (the BMS server judges
 * it; shown in the Modbus map). */
void envelope_set_curtail_missed(struct envelope *e, int missed);
/* Acknowledges for `who` the open alarm `only`, or every open alarm when
 * only is NULL, and stores them. Returns how many were acknowledged (0:
 * none was open), or -1 when they could not be stored (logged; they stay
 * open). */
int envelope_ack_alarms(
    struct envelope *e, struct alarm *only, const char *who);
/* GET /policy for scope and target (NULL target: the whole table). */
json_t *envelope_policy_json(
    struct ctl_state *st, int scope, const char *target);
/* Sets (name NULL or "inherit": removes) a policy. 0, or -1 with err and
 * *status. */
int envelope_set_policy(struct ctl_state *st, int scope, const char *target,
    const char *name, json_t *params, const char *who, char *err, size_t errlen,
    int *status);
/*
 * Admission input of one scheduling pass (struct sched_power in sched.h):
 * each pod's power room (its budget, or its allocation when lower, less
 * its draw now) and heat room (its cooling capacity less the heat its loop
 * carries), the fabric's heat room under the facility's available cooling
 * (when known), and the history that predicts a job's draw.
 */
struct envelope_admission {
	struct sched_power power; /* points into the arrays below */
	double *pod_power_w;      /* npods entries, W */
	double *pod_heat_w;       /* npods entries, W */
	double *accel_w;          /* every node's accelerators' draw now, W */
	struct name_w *hist;      /* completed jobs' draw, by name */
	int nhist;
};
/* Fills a for the fleet as it is now, and each of the fleet's nodes (as
 * the scheduler sees them, naccels set) with its accelerators' rated, idle
 * and present draw (pointing into a). 0, or -1 on allocation failure
 * (logged; a is cleared): the caller must then not start jobs. Free with
 * envelope_admission_free(). */
int envelope_admission(struct ctl_state *st, struct sched_node *nodes,
    struct envelope_admission *a);
/* j's predicted draw per accelerator, W: as declared, else the mean of the
 * completed jobs of its name, else 0 (the scheduler takes the TDP). */
double envelope_predict_w(
    const struct envelope_admission *a, const struct job *j);
void envelope_admission_free(struct envelope_admission *a);
/* Open (not cleared) alarms. */
int envelope_alarms_open(struct ctl_state *st);
/* Open alarms nobody has acknowledged yet. */
int envelope_alarms_unacked(struct ctl_state *st);

#endif
