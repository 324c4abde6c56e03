/*
 * Alarm rules and lifecycle (see alarms.h).
 *
 * Each rule looks at one node, one pod or the fabric and judges its
 * condition: raise (over the threshold), band (on the safe side, but within
 * the clear margin), clear, or unknown (a node not reporting, a controller
 * up for less than a heartbeat). A condition must hold for the rule's dwell
 * time before it raises (power converging under a new cap should not page
 * anyone; an accelerator touching its critical temperature for one sample
 * neither). A threshold alarm clears at once below the threshold minus its
 * margin, or after its value stayed in the band for the clear hold time;
 * others clear as soon as their condition ends. An unknown condition does
 * neither, so a restarted controller keeps its alarms (and who
 * acknowledged them) until it knows better.
 *
 * One alarm per (kind, object) is live at a time; a condition back within
 * five minutes of a clear reopens the same alarm and counts it. For the
 * kinds grouped by pod (agents lost, coolant flow lost) the object is the
 * pod and each node joins or leaves the pod's alarm after its own dwell or
 * hysteresis: 127 agents lost at once are one alarm listing them.
 *
 * The index: per kind, an array of slots, one per node, pod or the
 * fabric, holding the object's alarm and how long its condition has held.
 * An evaluation is one pass over the objects of each rule with O(1) work
 * each, plus one pass over a pod's nodes when its group changed; nothing
 * scans the list of alarms, which only the API walks.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"

#define REOPEN_MS (5 * 60 * 1000) /* a condition back this soon reopens */

/* A rule's judgement of one object. */
enum cond {
	C_UNKNOWN, /* cannot tell: neither raise nor clear */
	C_CLEAR,   /* safe: clears at once */
	C_BAND,    /* under the threshold, within the clear margin */
	C_RAISE    /* the condition holds */
};

/* Rule on the i-th node, pod or the fabric (i 0): its judgement, with the
 * alarm's message in msg unless msg is NULL (formatting is most of the
 * cost of a rule, and only a raise needs it). */
typedef enum cond (*rule_fn)(
    const struct alarm_inputs *in, int i, char *msg, size_t len);
/* For the kinds grouped by pod: what happened to the nodes, after "12
 * nodes of pod01 ". */
typedef void (*what_fn)(const struct alarm_inputs *in, char *buf, size_t len);

static enum cond r_leak(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_overtemp(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_lowflow(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_down(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_power(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_heat(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_supply(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_curtail(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_bms(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_duplicate(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_node_auth(const struct alarm_inputs *, int, char *, size_t);
static enum cond r_maint(const struct alarm_inputs *, int, char *, size_t);
static void w_lowflow(const struct alarm_inputs *, char *, size_t);
static void w_down(const struct alarm_inputs *, char *, size_t);

/* What a rule looks at: each node, each pod, or the fabric as a whole. */
enum scope { S_NODES, S_PODS, S_FABRIC };

/*
 * The rules. Columns: kind; its name in the API; severity; what it looks
 * at (nodes, pods, the fabric); threshold (1: the configured dwell and
 * clear hold apply, the longer of the dwell and hold_s); seconds the
 * condition must hold before it raises at least; the test; for the kinds
 * whose nodes share one alarm per pod, what happened to them (NULL: one
 * alarm per object).
 */
static const struct rule {
	enum alarm_kind kind;
	const char *name;
	const char *severity;
	enum scope scope;
	int threshold;
	int hold_s;
	rule_fn test;
	what_fn group;
} rules[ALARM_NKINDS] = {
    {ALARM_LEAK, "leak", "critical", S_NODES, 0, 0, r_leak, NULL},
    {ALARM_OVERTEMP, "overtemp", "major", S_NODES, 1, 0, r_overtemp, NULL},
    {ALARM_LOWFLOW, "lowflow", "major", S_NODES, 1, 3, r_lowflow, w_lowflow},
    {ALARM_NODE_DOWN, "node_down", "major", S_NODES, 0, 0, r_down, w_down},
    {ALARM_POWER_OVER_CAP, "power_over_cap", "major", S_PODS, 1, 15, r_power,
        NULL},
    {ALARM_HEAT_OVER_CAPACITY, "heat_over_capacity", "major", S_PODS, 1, 15,
        r_heat, NULL},
    {ALARM_SUPPLY_HIGH, "supply_high", "major", S_PODS, 1, 10, r_supply, NULL},
    {ALARM_CURTAIL_MISSED, "curtail_missed", "major", S_FABRIC, 0, 0, r_curtail,
        NULL},
    {ALARM_BMS_WATCHDOG, "bms_watchdog", "major", S_FABRIC, 0, 0, r_bms, NULL},
    {ALARM_DUPLICATE_NODE, "duplicate_node", "major", S_NODES, 0, 0,
        r_duplicate, NULL},
    {ALARM_NODE_AUTH, "node_auth", "major", S_NODES, 0, 0, r_node_auth, NULL},
    {ALARM_MAINTENANCE, "maintenance", "info", S_PODS, 0, 0, r_maint, NULL},
};

static const char *const state_names[] = {"open", "acked", "cleared"};

static enum cond
r_leak(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];

	/* what the controller did about it is the shell's to add */
	if (msg != NULL)
		snprintf(msg, len, "coolant leak detected on %s", n->name);
	if (!n->up || n->leak < 0)
		return C_UNKNOWN;
	return n->leak == 1 ? C_RAISE : C_CLEAR;
}

static enum cond
r_overtemp(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];
	enum cond c = C_UNKNOWN;
	int k;

	if (!n->up)
		return C_UNKNOWN;
	for (k = 0; k < n->naccels; k++) {
		const struct alarm_accel *a = &n->accels[k];
		double crit = isnan(a->temp_crit_c) ? 90 : a->temp_crit_c;

		if (isnan(a->temp_c))
			continue;
		if (a->temp_c > crit) {
			if (msg != NULL)
				snprintf(msg, len,
				    "accelerator %d of %s at %.1f °C, "
				    "above its critical %.0f °C",
				    k, n->name, a->temp_c, crit);
			return C_RAISE;
		}
		if (a->temp_c > crit - in->overtemp_margin_c)
			c = C_BAND;
		else if (c == C_UNKNOWN)
			c = C_CLEAR;
	}
	return c;
}

static enum cond
r_lowflow(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];

	if (msg != NULL)
		snprintf(msg, len,
		    "coolant flow of %s at %.1f L/min, under %.1f", n->name,
		    n->flow_lpm, in->min_flow_lpm);
	if (!n->up || isnan(n->flow_lpm))
		return C_UNKNOWN;
	if (n->flow_lpm < in->min_flow_lpm)
		return C_RAISE;
	return n->flow_lpm < in->min_flow_lpm + in->lowflow_margin_lpm
	           ? C_BAND
	           : C_CLEAR;
}

static void
w_lowflow(const struct alarm_inputs *in, char *buf, size_t len)
{
	snprintf(
	    buf, len, "lost coolant flow (under %.1f L/min)", in->min_flow_lpm);
}

/* Down once agents had a heartbeat's time to report to this controller; a
 * node drained on purpose, or never seen, is not missed. */
static enum cond
r_down(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];

	if (msg != NULL)
		snprintf(msg, len, "%s stopped reporting", n->name);
	if (in->uptime_ms <= in->heartbeat_ms)
		return C_UNKNOWN;
	return !n->up && !n->drained && n->last_seen_ms > 0 ? C_RAISE : C_CLEAR;
}

static void
w_down(const struct alarm_inputs *in, char *buf, size_t len)
{
	(void)in;
	snprintf(buf, len, "stopped reporting");
}

static enum cond
r_power(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const struct alarm_pod *s = &in->pods[p];
	double limit = in->pod_limit_w ? in->pod_limit_w[p] : s->budget_w;

	if (msg != NULL)
		snprintf(msg, len,
		    "%s draws %.1f kW, over its limit of %.1f kW", s->name,
		    s->power_w / 1000, limit / 1000);
	if (isnan(s->power_w))
		return C_UNKNOWN;
	if (!(limit > 0) || s->power_w <= limit)
		return C_CLEAR;
	/* the allocator holds a pod at its limit: 2 % over it raises */
	return s->power_w > limit * 1.02 ? C_RAISE : C_BAND;
}

static enum cond
r_heat(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const struct alarm_pod *s = &in->pods[p];

	if (msg != NULL)
		snprintf(msg, len,
		    "%s sends %.1f kW to its loop, over the CDU's "
		    "%.1f kW",
		    s->name, s->heat_w / 1000, s->cooling_capacity_w / 1000);
	if (isnan(s->heat_w))
		return C_UNKNOWN;
	if (s->heat_w > s->cooling_capacity_w)
		return C_RAISE;
	return s->heat_w > s->cooling_capacity_w * 0.98 ? C_BAND : C_CLEAR;
}

/* The pod's warmest coolant supply among its reporting nodes. */
static enum cond
r_supply(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const struct alarm_pod *pod = &in->pods[p];
	double worst = NAN;
	int i;

	if (!(in->max_supply_c > 0))
		return C_CLEAR;
	for (i = pod->first; i < pod->first + pod->nnodes; i++)
		if (in->nodes[i].up && !isnan(in->nodes[i].inlet_c) &&
		    !(in->nodes[i].inlet_c <= worst))
			worst = in->nodes[i].inlet_c;
	if (msg != NULL)
		snprintf(msg, len,
		    "coolant supply of %s at %.1f °C, above %.1f", pod->name,
		    worst, in->max_supply_c);
	if (isnan(worst))
		return C_UNKNOWN;
	if (worst > in->max_supply_c)
		return C_RAISE;
	return worst > in->max_supply_c - in->supply_margin_c ? C_BAND
	                                                      : C_CLEAR;
}

static enum cond
r_curtail(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	(void)i;
	if (msg != NULL)
		snprintf(msg, len,
		    "the fabric did not reach its curtailment target "
		    "within the ramp time");
	return in->curtail_missed ? C_RAISE : C_CLEAR;
}

static enum cond
r_bms(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	(void)i;
	if (msg != NULL)
		snprintf(msg, len,
		    "the BMS stopped writing its heartbeat; its "
		    "curtailment was removed and the safe cap, if any, "
		    "applied");
	return in->bms_expired ? C_RAISE : C_CLEAR;
}

/* Two agents report as one node: the one holding it, and another whose
 * reports are refused (core/holder.h) while the holder reports too. A
 * restarted agent, refused until its old self's heartbeat expired, is not
 * one. Clears once refused reports stopped for the window; a controller
 * up for less than that, having refused nothing, cannot tell yet. */
static enum cond
r_duplicate(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];
	const struct holder_intruder *x = n->intruder;
	int64_t window = in->duplicate_window_ms > 0 ? in->duplicate_window_ms
	                                             : HOLDER_EPISODE_MS;

	if (msg != NULL && x != NULL)
		snprintf(msg, len,
		    "two agents report as %s: boot id %s holds it, the "
		    "reports of boot id %s are refused (another host or a "
		    "second agent with this node's name)",
		    n->name, n->boot_id != NULL ? n->boot_id : "?", x->boot_id);
	if (x == NULL || x->last_ms == 0)
		return in->uptime_ms < window ? C_UNKNOWN : C_CLEAR;
	return holder_duplicate(x, in->now_ms, window) ? C_RAISE : C_CLEAR;
}

/* Reports for a node came without its credential (docs/security.md): a
 * misconfigured agent, or someone forging a node's telemetry. Raised by
 * the first refused report, cleared once refusals stopped for the window;
 * a controller up for less than that, having refused nothing, cannot tell
 * yet. */
static enum cond
r_node_auth(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];
	int64_t window = in->duplicate_window_ms > 0 ? in->duplicate_window_ms
	                                             : HOLDER_EPISODE_MS;

	if (msg != NULL)
		snprintf(msg, len,
		    "reports for %s refused: wrong credential from %s", n->name,
		    n->auth_from != NULL && n->auth_from[0] != '\0'
		        ? n->auth_from
		        : "an unknown address");
	if (n->auth_refused_ms == 0)
		return in->uptime_ms < window ? C_UNKNOWN : C_CLEAR;
	return in->now_ms - n->auth_refused_ms < window ? C_RAISE : C_CLEAR;
}

/* A maintenance window on the pod's nodes is near or under way (the
 * shell words the notice: which, when, which nodes): raised when it is
 * announced, cleared when it ends. */
static enum cond
r_maint(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const char *notice = in->pod_notice ? in->pod_notice[p] : NULL;

	if (notice == NULL)
		return C_CLEAR;
	if (msg != NULL)
		snprintf(msg, len, "%s", notice);
	return C_RAISE;
}

const char *
alarm_kind_name(enum alarm_kind k)
{
	return rules[k].name;
}

const char *
alarm_severity(enum alarm_kind k)
{
	return rules[k].severity;
}

const char *
alarm_state_name(enum alarm_state s)
{
	return state_names[s];
}

int
alarm_kind_grouped(enum alarm_kind k)
{
	return rules[k].group != NULL;
}

int
alarm_kind_of_nodes(enum alarm_kind k)
{
	return rules[k].scope == S_NODES;
}

int
alarm_state_parse(const char *name)
{
	int s;

	for (s = 0; s < 3; s++)
		if (strcmp(state_names[s], name) == 0)
			return s;
	return -1;
}

int
alarm_kind_parse(const char *name)
{
	int k;

	for (k = 0; k < ALARM_NKINDS; k++)
		if (strcmp(rules[k].name, name) == 0)
			return k;
	return -1;
}

/* Appends al to the list without touching the index. */
static int
push(struct alarms *a, struct alarm *al)
{
	if (a->n == a->cap) {
		int cap = a->cap ? 2 * a->cap : 64;
		struct alarm **v = realloc(a->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = al;
	return 0;
}

int
alarms_add(struct alarms *a, struct alarm *al)
{
	if (push(a, al) == -1)
		return -1;
	al->ix = -2;
	al->ix_group = 0;
	a->reindex = 1;
	return 0;
}

static void
free_load_nodes(struct alarm *al)
{
	int i;

	for (i = 0; i < al->nload_nodes; i++)
		free(al->load_nodes[i]);
	free(al->load_nodes);
	al->load_nodes = NULL;
	al->nload_nodes = 0;
}

void
alarm_free(struct alarm *al)
{
	if (al == NULL)
		return;
	free_load_nodes(al);
	free(al);
}

struct alarm *
alarms_find(const struct alarms *a, int64_t id)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (a->v[i]->id == id)
			return a->v[i];
	return NULL;
}

/* ---- the index ---- */

/* Names to indices: open addressing over a power-of-two table. */
struct names {
	int *slot; /* index + 1; 0 empty */
	unsigned mask;
};

static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Builds the table of n names got through name(arg, i). 0 or -1. */
static int
names_build(struct names *t, int n, const char *(*name)(const void *, int),
    const void *arg)
{
	unsigned size = 16, h;
	int i;

	while (size < 2u * (unsigned)n)
		size *= 2;
	if ((t->slot = calloc(size, sizeof(*t->slot))) == NULL)
		return -1;
	t->mask = size - 1;
	for (i = 0; i < n; i++) {
		for (h = hash(name(arg, i)) & t->mask; t->slot[h] != 0;
		     h = (h + 1) & t->mask)
			;
		t->slot[h] = i + 1;
	}
	return 0;
}

static int
names_find(const struct names *t, const char *s,
    const char *(*name)(const void *, int), const void *arg)
{
	unsigned h;

	for (h = hash(s) & t->mask; t->slot[h] != 0; h = (h + 1) & t->mask)
		if (strcmp(name(arg, t->slot[h] - 1), s) == 0)
			return t->slot[h] - 1;
	return -1;
}

static const char *
node_name(const void *arg, int i)
{
	return ((const struct alarm_inputs *)arg)->nodes[i].name;
}

static const char *
pod_name(const void *arg, int i)
{
	return ((const struct alarm_inputs *)arg)->pods[i].name;
}

static int
scope_size(const struct rule *r, const struct alarm_inputs *in)
{
	return r->scope == S_NODES  ? in->nnodes
	       : r->scope == S_PODS ? in->npods
	                            : 1;
}

/* Which of two alarms of one object the index keeps: the live one, else
 * the one cleared last. */
static int
better(const struct alarm *x, const struct alarm *cur)
{
	if (cur == NULL)
		return 1;
	if ((x->state == ALARM_CLEARED) != (cur->state == ALARM_CLEARED))
		return x->state != ALARM_CLEARED;
	return x->cleared_ms > cur->cleared_ms;
}

static void
attach(struct alarm_slot *s, struct alarm *al, int ix, int group)
{
	if (!better(al, s->al))
		return;
	if (s->al != NULL)
		s->al->ix = -1;
	s->al = al;
	al->ix = ix;
	al->ix_group = group;
}

/* Puts al in the index: its object's slot, and for a pod's alarm the
 * membership of the nodes it was stored with. */
static void
index_one(struct alarms *a, struct alarm *al, const struct alarm_inputs *in,
    const struct names *nodes, const struct names *pods)
{
	const struct rule *r = &rules[al->kind];
	int i, j;

	al->ix = -1;
	al->ix_group = 0;
	if (r->scope == S_FABRIC) {
		if (strcmp(al->object, "fabric") == 0)
			attach(&a->slots[al->kind][0], al, 0, 0);
	} else if (r->scope == S_PODS) {
		if ((i = names_find(pods, al->object, pod_name, in)) >= 0)
			attach(&a->slots[al->kind][i], al, i, 0);
	} else if ((i = names_find(nodes, al->object, node_name, in)) >= 0) {
		/* one node's alarm (of a grouped kind: from before the
		 * grouping; it clears, but no new one is raised) */
		attach(&a->slots[al->kind][i], al, i, 0);
	} else if (r->group != NULL &&
	           (i = names_find(pods, al->object, pod_name, in)) >= 0) {
		attach(&a->groups[al->kind][i], al, i, 1);
		if (al->ix == i && al->state != ALARM_CLEARED) {
			al->nnodes = 0;
			for (j = 0; j < al->nload_nodes; j++) {
				int n = names_find(
				    nodes, al->load_nodes[j], node_name, in);

				if (n >= 0 && a->pod_of[n] == i &&
				    !a->slots[al->kind][n].member) {
					a->slots[al->kind][n].member = 1;
					al->nnodes++;
				}
			}
		}
	}
	free_load_nodes(al);
}

static void
index_free(struct alarms *a)
{
	int k;

	for (k = 0; k < ALARM_NKINDS; k++) {
		free(a->slots[k]);
		free(a->groups[k]);
		a->slots[k] = a->groups[k] = NULL;
	}
	free(a->pod_of);
	free(a->touched);
	a->pod_of = NULL;
	a->touched = NULL;
	a->inodes = a->ipods = -1;
}

/* (Re)builds the index for the nodes and pods of in when they changed, or
 * adds the alarms added since. 0 or -1. */
static int
index_update(struct alarms *a, const struct alarm_inputs *in)
{
	struct names nodes = {NULL, 0}, pods = {NULL, 0};
	int k, i, p,
	    full = a->slots[0] == NULL || a->inodes != in->nnodes ||
	           a->ipods != in->npods;
	int rc = -1;

	if (!full && !a->reindex)
		return 0;
	if (full) {
		index_free(a);
		for (k = 0; k < ALARM_NKINDS; k++) {
			a->slots[k] = calloc(scope_size(&rules[k], in) + 1,
			    sizeof(struct alarm_slot));
			if (a->slots[k] == NULL)
				goto fail;
			if (rules[k].group != NULL &&
			    (a->groups[k] = calloc(in->npods + 1,
			         sizeof(struct alarm_slot))) == NULL)
				goto fail;
		}
		a->pod_of = calloc(in->nnodes + 1, sizeof(int));
		a->touched = calloc(in->npods + 1, 1);
		if (a->pod_of == NULL || a->touched == NULL)
			goto fail;
		for (i = 0; i < in->nnodes; i++)
			a->pod_of[i] = -1;
		for (p = 0; p < in->npods; p++)
			for (i = in->pods[p].first;
			     i < in->pods[p].first + in->pods[p].nnodes &&
			     i < in->nnodes;
			     i++)
				a->pod_of[i] = p;
		a->inodes = in->nnodes;
		a->ipods = in->npods;
	}
	if (names_build(&nodes, in->nnodes, node_name, in) == -1 ||
	    names_build(&pods, in->npods, pod_name, in) == -1)
		goto fail;
	for (i = 0; i < a->n; i++)
		if (full || a->v[i]->ix == -2)
			index_one(a, a->v[i], in, &nodes, &pods);
	a->reindex = 0;
	rc = 0;
fail:
	if (rc == -1)
		index_free(a);
	free(nodes.slot);
	free(pods.slot);
	return rc;
}

/* ---- evaluation ---- */

/* Lists al as changed by this evaluation. */
static int
event(struct alarms *a, struct alarm *al, enum alarm_event ev)
{
	al->dirty = 1;
	if (al->event == ALARM_EV_NONE) {
		if (a->nev == a->capev) {
			int cap = a->capev ? 2 * a->capev : 64;
			struct alarm **v = realloc(a->ev, cap * sizeof(*v));

			if (v == NULL)
				return -1;
			a->ev = v;
			a->capev = cap;
		}
		a->ev[a->nev++] = al;
	}
	/* raised then changed in one evaluation is still raised */
	if (!(ev == ALARM_EV_CHANGED && (al->event == ALARM_EV_RAISED ||
	                                    al->event == ALARM_EV_REOPENED)))
		al->event = ev;
	al->fresh =
	    al->event == ALARM_EV_RAISED || al->event == ALARM_EV_REOPENED;
	return 0;
}

static int64_t
dwell_ms(const struct rule *r, const struct alarm_inputs *in)
{
	int64_t own = (int64_t)r->hold_s * 1000;

	return r->threshold && in->dwell_ms > own ? in->dwell_ms : own;
}

static int64_t
clear_hold_ms(const struct rule *r, const struct alarm_inputs *in)
{
	return r->threshold ? in->clear_hold_ms : 0;
}

/* Raises the alarm of slot s (kind k, object): the one it holds again if
 * it cleared within REOPEN_MS, else a new one. NULL on no memory. */
static struct alarm *
raise_alarm(struct alarms *a, struct alarm_slot *s, enum alarm_kind k,
    const char *object, const char *msg, int ix, int group, int64_t now)
{
	struct alarm *al = s->al;

	if (al != NULL && al->state == ALARM_CLEARED &&
	    now - al->cleared_ms < REOPEN_MS) {
		al->state = ALARM_OPEN;
		al->cleared_ms = al->acked_ms = 0;
		al->acked_by[0] = '\0';
		al->last_ms = now;
		al->count++;
		snprintf(al->message, sizeof(al->message), "%s", msg);
		return event(a, al, ALARM_EV_REOPENED) == -1 ? NULL : al;
	}
	if ((al = calloc(1, sizeof(*al))) == NULL)
		return NULL;
	al->kind = k;
	snprintf(al->object, sizeof(al->object), "%s", object);
	snprintf(al->message, sizeof(al->message), "%s", msg);
	al->state = ALARM_OPEN;
	al->first_ms = al->last_ms = now;
	al->count = 1;
	if (push(a, al) == -1) {
		free(al);
		return NULL;
	}
	if (s->al != NULL)
		s->al->ix = -1;
	s->al = al;
	al->ix = ix;
	al->ix_group = group;
	return event(a, al, ALARM_EV_RAISED) == -1 ? NULL : al;
}

static int
clear_alarm(struct alarms *a, struct alarm *al, int64_t now)
{
	al->state = ALARM_CLEARED;
	al->cleared_ms = now;
	return event(a, al, ALARM_EV_CLEARED);
}

/*
 * Dwell and hysteresis of one object: whether its condition c now moves it
 * in (1: it held for the dwell time), out (-1: it was safe long enough)
 * or neither (0), given whether it is in now.
 */
static int
step(struct alarm_slot *s, int in_now, enum cond c, int64_t dwell,
    int64_t clear_hold, int64_t now)
{
	if (c == C_UNKNOWN) {
		s->hold_since_ms = s->clear_since_ms = 0;
		return 0;
	}
	if (in_now) {
		s->hold_since_ms = 0;
		if (c == C_RAISE) {
			s->clear_since_ms = 0;
			return 0;
		}
		if (c == C_BAND && clear_hold > 0) {
			if (s->clear_since_ms == 0)
				s->clear_since_ms = now;
			if (now - s->clear_since_ms < clear_hold)
				return 0;
		}
		s->clear_since_ms = 0;
		return -1;
	}
	s->clear_since_ms = 0;
	if (c != C_RAISE) {
		s->hold_since_ms = 0;
		return 0;
	}
	if (s->hold_since_ms == 0)
		s->hold_since_ms = now;
	if (now - s->hold_since_ms < dwell)
		return 0;
	s->hold_since_ms = 0;
	return 1;
}

static int
live(const struct alarm *al)
{
	return al != NULL && al->state != ALARM_CLEARED;
}

/* A rule with one alarm per object: nodes, pods or the fabric. */
static int
eval_single(
    struct alarms *a, const struct rule *r, const struct alarm_inputs *in)
{
	char msg[ALARM_MESSAGE_MAX];
	int64_t dwell = dwell_ms(r, in), hold = clear_hold_ms(r, in);
	int i, count = scope_size(r, in);

	for (i = 0; i < count; i++) {
		struct alarm_slot *s = &a->slots[r->kind][i];
		const char *object = r->scope == S_PODS    ? in->pods[i].name
		                     : r->scope == S_NODES ? in->nodes[i].name
		                                           : "fabric";
		enum cond c = r->test(in, i, NULL, 0);
		int on = live(s->al);

		switch (step(s, on, c, dwell, hold, in->now_ms)) {
		case 1:
			(void)r->test(in, i, msg, sizeof(msg));
			if (raise_alarm(a, s, r->kind, object, msg, i, 0,
			        in->now_ms) == NULL)
				return -1;
			break;
		case -1:
			if (clear_alarm(a, s->al, in->now_ms) == -1)
				return -1;
			break;
		default:
			if (on && c == C_RAISE)
				s->al->last_ms = in->now_ms;
		}
	}
	return 0;
}

/* The message and node list of pod p's alarm from its members. 0 or -1. */
static int
describe(struct alarms *a, const struct rule *r, const struct alarm_inputs *in,
    int p, struct alarm *al)
{
	const struct alarm_pod *pod = &in->pods[p];
	const char **names = calloc(pod->nnodes + 1, sizeof(*names));
	char what[128];
	int i, n = 0;

	if (names == NULL)
		return -1;
	for (i = pod->first; i < pod->first + pod->nnodes; i++)
		if (a->slots[r->kind][i].member)
			names[n++] = in->nodes[i].name;
	if (n > 0) {
		if (in->compact != NULL) {
			(void)in->compact(
			    names, n, al->nodes, sizeof(al->nodes));
		} else {
			size_t off = 0;

			al->nodes[0] = '\0';
			for (i = 0; i < n && off < sizeof(al->nodes); i++)
				off += snprintf(al->nodes + off,
				    sizeof(al->nodes) - off, "%s%s",
				    i ? "," : "", names[i]);
		}
		r->group(in, what, sizeof(what));
		snprintf(al->message, sizeof(al->message),
		    "%d node%s of %s %s: %s", n, n == 1 ? "" : "s", pod->name,
		    what, al->nodes);
	}
	al->nnodes = n;
	free(names);
	return 0;
}

/* Touched marks of a grouped evaluation, per pod. */
#define T_CHANGED 1 /* a node joined or left */
#define T_UNKNOWN 2 /* a node's condition is unknown */
#define T_HOLDS   4 /* a member's condition holds */

/* A rule whose nodes share one alarm per pod. */
static int
eval_grouped(
    struct alarms *a, const struct rule *r, const struct alarm_inputs *in)
{
	int64_t dwell = dwell_ms(r, in), hold = clear_hold_ms(r, in);
	int i, p;

	memset(a->touched, 0, in->npods);
	for (i = 0; i < in->nnodes; i++) {
		struct alarm_slot *s = &a->slots[r->kind][i];
		enum cond c = r->test(in, i, NULL, 0);
		int pod = a->pod_of[i];

		if (pod < 0)
			continue;
		if (s->al != NULL) {
			/* a node's own alarm from before the grouping */
			if (live(s->al) && c != C_UNKNOWN && c != C_RAISE &&
			    clear_alarm(a, s->al, in->now_ms) == -1)
				return -1;
			if (live(s->al))
				continue;
		}
		if (c == C_UNKNOWN)
			a->touched[pod] |= T_UNKNOWN;
		else if (c == C_RAISE && s->member)
			a->touched[pod] |= T_HOLDS;
		switch (step(s, s->member, c, dwell, hold, in->now_ms)) {
		case 1:
			s->member = 1;
			a->touched[pod] |= T_CHANGED | T_HOLDS;
			break;
		case -1:
			s->member = 0;
			a->touched[pod] |= T_CHANGED;
			break;
		}
	}
	for (p = 0; p < in->npods; p++) {
		struct alarm_slot *g = &a->groups[r->kind][p];
		struct alarm *al = g->al;
		int on = live(al);

		if (!(a->touched[p] & T_CHANGED)) {
			/* a pod's alarm read back without its nodes, none of
			 * which is in it now: cleared once all are known */
			if (on && al->nnodes == 0 &&
			    !(a->touched[p] & T_UNKNOWN) &&
			    clear_alarm(a, al, in->now_ms) == -1)
				return -1;
			if (on && (a->touched[p] & T_HOLDS))
				al->last_ms = in->now_ms;
			continue;
		}
		if (!on) {
			struct alarm tmp;

			/* the message first, then the alarm it belongs to */
			memset(&tmp, 0, sizeof(tmp));
			tmp.kind = r->kind;
			if (describe(a, r, in, p, &tmp) == -1)
				return -1;
			if (tmp.nnodes == 0)
				continue;
			if ((al = raise_alarm(a, g, r->kind, in->pods[p].name,
			         tmp.message, p, 1, in->now_ms)) == NULL)
				return -1;
			al->nnodes = tmp.nnodes;
			memcpy(al->nodes, tmp.nodes, sizeof(al->nodes));
			continue;
		}
		{
			struct alarm tmp = *al;

			/* the last list stays with an alarm that clears */
			if (describe(a, r, in, p, &tmp) == -1)
				return -1;
			al->nnodes = tmp.nnodes;
			if (tmp.nnodes == 0) {
				if (clear_alarm(a, al, in->now_ms) == -1)
					return -1;
				continue;
			}
			memcpy(al->nodes, tmp.nodes, sizeof(al->nodes));
			memcpy(al->message, tmp.message, sizeof(al->message));
			al->last_ms = in->now_ms;
			if (event(a, al, ALARM_EV_CHANGED) == -1)
				return -1;
		}
	}
	return 0;
}

int
alarms_evaluate(struct alarms *a, const struct alarm_inputs *in)
{
	size_t r;
	int i;

	for (i = 0; i < a->nev; i++) {
		a->ev[i]->fresh = 0;
		a->ev[i]->event = ALARM_EV_NONE;
	}
	a->nev = 0;
	if (index_update(a, in) == -1)
		return -1;
	for (r = 0; r < ALARM_NKINDS; r++)
		if ((rules[r].group != NULL
		            ? eval_grouped(a, &rules[r], in)
		            : eval_single(a, &rules[r], in)) == -1)
			return -1;
	return 0;
}

int
alarm_ack(struct alarm *al, const char *who, int64_t now_ms)
{
	if (al->state != ALARM_OPEN)
		return -1;
	al->state = ALARM_ACKED;
	al->acked_ms = now_ms;
	snprintf(al->acked_by, sizeof(al->acked_by), "%s", who);
	al->dirty = 1;
	return 0;
}

static int
newer_first(const void *x, const void *y)
{
	const struct alarm *a = *(struct alarm *const *)x;
	const struct alarm *b = *(struct alarm *const *)y;

	return (a->cleared_ms < b->cleared_ms) -
	       (a->cleared_ms > b->cleared_ms);
}

/* Takes al out of the index before it is freed. */
static void
unindex(struct alarms *a, struct alarm *al)
{
	struct alarm_slot *v;

	if (al->ix < 0)
		return;
	v = al->ix_group ? a->groups[al->kind] : a->slots[al->kind];
	if (v != NULL && v[al->ix].al == al)
		v[al->ix].al = NULL;
	al->ix = -1;
}

void
alarms_trim(struct alarms *a, int keep)
{
	int i, k = 0, cleared = 0;

	for (i = 0; i < a->n; i++)
		cleared += a->v[i]->state == ALARM_CLEARED;
	if (cleared <= keep)
		return;
	qsort(a->v, a->n, sizeof(*a->v), newer_first);
	/* cleared ones sorted newest first; open ones have cleared_ms 0;
	 * one listed in ev stays until the next evaluation */
	for (i = 0; i < a->n; i++) {
		struct alarm *al = a->v[i];

		if (al->state == ALARM_CLEARED && !al->dirty &&
		    al->event == ALARM_EV_NONE && keep-- <= 0) {
			unindex(a, al);
			alarm_free(al);
			continue;
		}
		a->v[k++] = al;
	}
	a->n = k;
}

void
alarms_clear(struct alarms *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		alarm_free(a->v[i]);
	free(a->v);
	free(a->ev);
	index_free(a);
	memset(a, 0, sizeof(*a));
	a->inodes = a->ipods = -1;
}

int
alarms_open(const struct alarms *a)
{
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->v[i]->state != ALARM_CLEARED;
	return n;
}

int
alarms_nodes_in(const struct alarms *a, enum alarm_kind k)
{
	int i, n = 0;

	for (i = 0; i < a->n; i++) {
		const struct alarm *al = a->v[i];

		if (al->kind == k && al->state != ALARM_CLEARED)
			n += al->nodes[0] != '\0' ? al->nnodes : 1;
	}
	return n;
}

int
alarms_node_in(const struct alarms *a, enum alarm_kind k, int i)
{
	const struct alarm_slot *s;

	if (a->slots[k] == NULL || rules[k].scope != S_NODES || i < 0 ||
	    i >= a->inodes)
		return 0;
	s = &a->slots[k][i];
	return s->member || live(s->al);
}
