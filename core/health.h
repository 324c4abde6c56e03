/*
 * Node health: what the controller does about a node whose safety guard
 * reports a coolant leak, low coolant flow or an accelerator over its
 * critical temperature. The agent's guard has already throttled the node;
 * this module decides the rest, from the node's conditions, since when
 * each has held, the site's rules and the time:
 *
 *	usable	a node with any condition takes no new work, whatever its
 *		drain state (DESIGN.md, "Health gates work")
 *	drain	a condition held for its rule's drain_after_s drains the
 *		node, unless it is drained already or an operator resumed it
 *		over that very condition (forced)
 *	requeue	the same, for a rule that requeues: the node's running jobs
 *		end there and go back to the queue
 *
 * A condition that clears leaves the node as it is: undrained, it takes
 * work again at once; drained, it stays drained until an operator resumes
 * it, which is then allowed. Pure (no I/O, no clock): the controller's
 * shell (controllerd/nodehealth.c) passes the time in, monotonic ms.
 */
#ifndef CORE_HEALTH_H
#define CORE_HEALTH_H

#include <stddef.h>
#include <stdint.h>

enum health_cond {
	HEALTH_LEAK,     /* the node's loop leaks */
	HEALTH_LOWFLOW,  /* coolant flow under the guard's threshold */
	HEALTH_OVERTEMP, /* an accelerator over its critical temperature */
	HEALTH_NCONDS
};

#define HEALTH_BIT(c) (1u << (c))
#define HEALTH_NEVER  (-1) /* drain_after_s: gate work, never drain */

/* What a site does about one condition ([health] in the config). */
struct health_rule {
	int drain_after_s; /* held this long before a drain, s; 0 at once,
	                    * HEALTH_NEVER never */
	int requeue;       /* 1: running jobs requeued when the rule fires */
};

struct health_config {
	struct health_rule rule[HEALTH_NCONDS];
};

/* One node's health, kept by the shell with health_update(). */
struct health {
	unsigned conds;                  /* HEALTH_BIT()s holding now */
	int64_t since_ms[HEALTH_NCONDS]; /* when each began, monotonic ms */
	unsigned forced; /* conditions an operator resumed the node over;
	                  * each bit goes when its condition clears */
};

/* The shell's orders for one node. */
struct health_decision {
	int usable;     /* 1: may take new work */
	int drain;      /* 1: drain it now */
	int requeue;    /* 1: requeue the jobs running on it now */
	unsigned fired; /* conditions whose rule's time has come */
};

/* The built-in rules: a leak drains at once and requeues; low flow drains
 * after 30 s, an over-temperature after 60 s, neither requeues. */
void health_config_default(struct health_config *c);
/* Takes the conditions a report shows (HEALTH_BIT()s) at monotonic time
 * now_ms: a condition that appears starts its clock, one that clears
 * forgets its clock and any force over it. */
void health_update(struct health *h, unsigned conds, int64_t now_ms);
/* 1 when a node with health h may take new work: no condition holds. */
int health_usable(const struct health *h);
/* Decides for a node with health h, drained (1) or not, at now_ms. */
void health_decide(const struct health_config *c, const struct health *h,
    int drained, int64_t now_ms, struct health_decision *d);
/* An operator resumes the node with force: every condition holding now is
 * overridden (no drain for it until it clears and returns). */
void health_force(struct health *h);
/* The condition's name in JSON and the config: "leak", "low_flow",
 * "overtemp"; NULL for another value. */
const char *health_cond_name(enum health_cond c);
/* The conditions in conds as words for people into buf: in a sentence
 * ("a coolant leak and low coolant flow"), or terse, as a drain reason
 * ("coolant leak and low coolant flow"); "" for none. Returns buf. */
char *health_describe(unsigned conds, int terse, char *buf, size_t size);
/* The conditions' names joined by ',' ("leak,low_flow"), or "ok" for none,
 * into buf. Returns buf. */
char *health_names(unsigned conds, char *buf, size_t size);

#endif
