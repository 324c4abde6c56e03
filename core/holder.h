/*
 * Which agent holds a node's name. The controller takes the reports of one
 * agent per node: the boot id it accepted last (every agent process has
 * its own, docs/agent-protocol.md). A report from another boot id is a
 * restarted agent, which takes the node over, when the holder has been
 * silent past the heartbeat timeout; while the holder still reports it is
 * a second agent with the same name (started twice by mistake, or two
 * hosts given one name), which is refused, so that the node's boot id,
 * samples and jobs stay with one agent instead of flipping between two.
 *
 * Refused reports are kept as episodes: one per (node, refused boot id),
 * lasting while its reports keep coming, so that the controller logs one
 * line per episode and raises one alarm per node, and only when both
 * agents were seen alive at once (a restart, whose old agent has gone
 * silent, raises none). Pure: the shell passes times in (wall ms for the
 * episode, silence as the liveness check counts it).
 */
#ifndef CORE_HOLDER_H
#define CORE_HOLDER_H

#include <stdint.h>

/* What to do with a report from a boot id. */
enum holder_verdict {
	HOLDER_SAME,   /* the holder's own: accepted */
	HOLDER_TAKE,   /* another, the holder silent or none: it holds now */
	HOLDER_REFUSE, /* another while the holder reports: refused (409) */
};

/* Refused reports this far apart are one episode, ms: twice an agent's
 * longest retry delay (30 s), so that a duplicate that goes on is one
 * episode and one alarm, which clears this long after its last report. */
#define HOLDER_EPISODE_MS 60000

/* A node's refused reports: the episode of the boot id refused last. */
struct holder_intruder {
	char boot_id[17]; /* refused last; "" none */
	int64_t since_ms; /* wall clock: the episode's first refused report */
	int64_t last_ms;  /* wall clock: its last refused report; 0 none */
	int64_t reports;  /* refused in the episode */
	int both;         /* the holder reported during it: two agents */
	int ended;        /* it took the node over: the next refusal is new */
};

/* The verdict on a report from boot id `boot` for a node held by boot id
 * `held` ("" none) whose holder has been silent for silent_ms (-1: not
 * heard since the controller started), with the heartbeat timeout
 * timeout_ms: the holder is alive while silent_ms <= timeout_ms, the same
 * bound that marks a node down. */
enum holder_verdict holder_judge(
    const char *held, int64_t silent_ms, int64_t timeout_ms, const char *boot);
/* Notes a report from `boot` refused at wall time now_ms, the holder
 * having last reported at wall time holder_seen_ms. Returns 1 when it
 * opens an episode (another boot id than the one refused last, the same
 * after HOLDER_EPISODE_MS without a refusal, or after it took the node
 * over), which the shell logs; else 0. */
int holder_refused(struct holder_intruder *x, const char *boot,
    int64_t holder_seen_ms, int64_t now_ms);
/* Notes that `boot` took the node over: the episode of that boot id ends
 * (its refused reports still count for holder_duplicate()). */
void holder_took(struct holder_intruder *x, const char *boot);
/* 1 while x shows two agents with one name at wall time now_ms: refused
 * reports within HOLDER_EPISODE_MS (window_ms when not 0) of now, with
 * the holder reporting during their episode. */
int holder_duplicate(
    const struct holder_intruder *x, int64_t now_ms, int64_t window_ms);

#endif
