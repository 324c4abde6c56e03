/*
 * Node health in the controller: see nodehealth.h. The decision is the
 * core's and is taken again every tick from what holds now, so a drain the
 * store refused is simply tried again on the next one; a node already
 * drained, by an operator or by an earlier tick, is left as it is.
 */
#include <stdio.h>

#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "health.h"
#include "jobs.h"
#include "log.h"
#include "nodehealth.h"
#include "queue.h"
#include "store.h"
#include "timeutil.h"

/* The drain reason for the conditions that fired: what, and for how long
 * when the rule waited. */
static void
reason(const struct config *c, unsigned fired, char *buf, size_t size)
{
	char words[192];
	int k, after = 0;

	for (k = 0; k < HEALTH_NCONDS; k++)
		if ((fired & HEALTH_BIT(k)) &&
		    c->health.rule[k].drain_after_s > after)
			after = c->health.rule[k].drain_after_s;
	health_describe(fired, 1, words, sizeof(words));
	if (after > 0)
		snprintf(buf, size, "%s for %d s", words, after);
	else
		snprintf(buf, size, "%s", words);
}

static void
drain(struct ctl_state *st, struct node *n, unsigned fired)
{
	struct node saved = *n;

	n->drained = 1;
	reason(st->conf, fired, n->reason, sizeof(n->reason));
	n->drained_at_ms = time_wall_ms();
	snprintf(n->drained_by, sizeof(n->drained_by), "health");
	if (store_put_drain(st->store, n, "health", "drain") == -1) {
		/* not drained until stored; the next tick tries again */
		*n = saved;
		return;
	}
	log_warnx("node %s drained: it reports %s", n->name, n->reason);
}

void
nodehealth_tick(struct ctl_state *st)
{
	struct health_decision d;
	int64_t now = time_mono_ms();
	char why[192];
	int i;

	for (i = 0; i < st->fleet->nnodes; i++) {
		struct node *n = &st->fleet->nodes[i];

		/* a silent node's last word is not acted on; it is down */
		if (n->health.conds == 0 || !n->up)
			continue;
		health_decide(
		    &st->conf->health, &n->health, n->drained, now, &d);
		if (d.drain)
			drain(st, n, d.fired);
		if (d.requeue && n->running_jobs > 0) {
			health_describe(d.fired, 0, why, sizeof(why));
			(void)queue_stop_node(st, n,
			    (d.fired & HEALTH_BIT(HEALTH_LEAK))
			        ? CAUSE_LEAK
			        : CAUSE_NODE_FAIL,
			    why);
		}
	}
}
