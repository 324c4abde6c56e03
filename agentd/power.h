/*
 * A node's power settings as the agent carries them out: the "Power"
 * section of docs/agent-protocol.md between the wire and the controllers.
 * It parses desired.power, keeps the DVFS controller (dvfs.h) and the
 * safety guard (guard.h) of one node, decides on every sample which cap
 * is in force (the allocator's cap_w, or fallback_cap_w once the
 * controller has been silent for fallback_after_s), lets the guard
 * override the policy, and writes the report's "power" member.
 *
 * Pure like the two it combines: the agent passes in samples, the time
 * between them and how long the controller has been silent, and applies
 * the clock caps this module decides through its plugin. Keeping the
 * combination here rather than in the agent is what lets a unit test
 * check, without sockets, that the guard wins over every policy and that
 * the fallback comes and goes on time.
 */
#ifndef AGENT_POWER_H
#define AGENT_POWER_H

#include <jansson.h>
#include <stddef.h>

#include <pod/plugin.h>
#include <pod/wire.h>

#include "dvfs.h"
#include "guard.h"
#include "ring.h"

#define POWER_FALLBACK_AFTER_S 30.0 /* when desired.power does not say */

/* desired.power, parsed. */
struct power_want {
	struct dvfs_policy_conf policy;
	double cap_w;            /* allocator's share, W; NaN: none */
	double fallback_cap_w;   /* W; NaN: none */
	double fallback_after_s; /* controller silence before it, s */
};

struct power {
	int naccel;
	struct dvfs_accel acc[DVFS_MAX_ACCELS]; /* limits, latest readings */
	double temp_crit_c[DVFS_MAX_ACCELS];    /* °C; 0: unknown */
	struct dvfs dvfs;
	struct guard guard;
	struct power_want want;
	double caps_mhz[DVFS_MAX_ACCELS]; /* decided, guard included, MHz */
	double node_cap_w;                /* cap in force, W; NaN: none */
	int limiting;                     /* a cap holds clocks down */
	int fallback;                     /* fallback_cap_w in force */
};

/* Starts p for naccel accelerators (their devices, borrowed for the
 * call) with `performance`, no cap, every cap at f_max, and a guard with
 * the given flow threshold (L/min) and leak clearing time (s). */
void power_init(struct power *p, const struct pod_device *accels, int naccel,
    double guard_min_flow_lpm, double guard_clear_s);
/* Takes a decoded desired.power (pod/wire.h). Returns 0, or -1 with why
 * in err: an unknown policy, a parameter out of range. Without
 * fallback_after_s, POWER_FALLBACK_AFTER_S. */
int power_from_wire(const struct desired_power *d, struct power_want *out,
    char *err, size_t errlen);
/* Decodes a desired.power object (borrowed) with the wire codec, then
 * power_from_wire(). Returns 0, or -1 with why in err (a cap that is not a
 * positive number or null is the codec's refusal). */
int power_parse(json_t *obj, struct power_want *out, char *err, size_t errlen);
/* 1 when a and b say the same (the parameters of their policy alike). */
int power_want_equal(const struct power_want *a, const struct power_want *b);
/* Writes w for a log line into buf (always NUL-terminated), e.g.
 * "policy energy (slowdown_pct 5), cap 5200 W, fallback 3000 W after
 * 30 s". */
void power_describe(const struct power_want *w, char *buf, size_t size);
/* Takes new desired settings (see dvfs_set() for what resets). */
void power_set(struct power *p, const struct power_want *w);
/* Takes a loop reading (NULL: none this time) dt_s after the previous
 * one. Returns 1 when the guard now holds every accelerator at f_min, and
 * then caps_mhz already says so: apply them before reading the
 * accelerators. */
int power_loop(struct power *p, const struct sample_loop *l, double dt_s);
/*
 * One decision after the accelerators were read: s is the sample (its
 * power part at least), membound[i] what the agent believes of the work
 * on accelerator i (0–1, NaN unknown), dt_s the time since the previous
 * step, silent_s how long the controller has not answered (NaN: it
 * never has). Fills caps_mhz, node_cap_w, limiting and fallback.
 */
void power_step(struct power *p, const struct sample *s, const double *membound,
    double dt_s, double silent_s);
/* The report's "power" member: applied_mhz[i] is what accelerator i runs
 * under (NaN: not known, reported null). New reference, NULL when out of
 * memory. */
json_t *power_json(const struct power *p, const double *applied_mhz);

#endif
