/*
 * Alarm rules and lifecycle (see alarms.h).
 *
 * Each rule looks at one node or one pod and says whether its condition
 * holds, with a message. A condition must hold for the rule's hold time
 * before it raises an alarm (power converging under a new cap should not
 * page anyone), and an alarm clears as soon as its condition ends. One alarm
 * per (kind, object) is live at a time; a condition that comes back while
 * its alarm is still open or acknowledged counts a repeat instead.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"

#define REOPEN_MS (5 * 60 * 1000) /* a condition back this soon reopens */

/* Rule i-th node, pod or the fabric (i 0): 1 when the condition holds,
 * with the alarm's message in msg. */
typedef int (*rule_fn)(
    const struct alarm_inputs *in, int i, char *msg, size_t len);

static int r_leak(const struct alarm_inputs *, int, char *, size_t);
static int r_overtemp(const struct alarm_inputs *, int, char *, size_t);
static int r_lowflow(const struct alarm_inputs *, int, char *, size_t);
static int r_down(const struct alarm_inputs *, int, char *, size_t);
static int r_power(const struct alarm_inputs *, int, char *, size_t);
static int r_heat(const struct alarm_inputs *, int, char *, size_t);
static int r_supply(const struct alarm_inputs *, int, char *, size_t);
static int r_curtail(const struct alarm_inputs *, int, char *, size_t);
static int r_bms(const struct alarm_inputs *, int, char *, size_t);

/* What a rule looks at: each node, each pod, or the fabric as a whole. */
enum scope { S_NODES, S_PODS, S_FABRIC };

/*
 * The rules. Columns: kind; its name in the API; severity; what it looks
 * at (nodes, pods, the fabric); seconds the condition must hold before it
 * raises; the test.
 */
static const struct rule {
	enum alarm_kind kind;
	const char *name;
	const char *severity;
	enum scope scope;
	int hold_s;
	rule_fn test;
} rules[ALARM_NKINDS] = {
    {ALARM_LEAK, "leak", "critical", S_NODES, 0, r_leak},
    {ALARM_OVERTEMP, "overtemp", "major", S_NODES, 0, r_overtemp},
    {ALARM_LOWFLOW, "lowflow", "major", S_NODES, 3, r_lowflow},
    {ALARM_NODE_DOWN, "node_down", "major", S_NODES, 0, r_down},
    {ALARM_POWER_OVER_CAP, "power_over_cap", "major", S_PODS, 15, r_power},
    {ALARM_HEAT_OVER_CAPACITY, "heat_over_capacity", "major", S_PODS, 15,
        r_heat},
    {ALARM_SUPPLY_HIGH, "supply_high", "major", S_PODS, 10, r_supply},
    {ALARM_CURTAIL_MISSED, "curtail_missed", "major", S_FABRIC, 0, r_curtail},
    {ALARM_BMS_WATCHDOG, "bms_watchdog", "major", S_FABRIC, 0, r_bms},
};

static const char *const state_names[] = {"open", "acked", "cleared"};

static int
r_leak(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];

	snprintf(msg, len,
	    "coolant leak detected on %s; node drained, its "
	    "jobs requeued",
	    n->name);
	return n->up && n->leak == 1;
}

static int
r_overtemp(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];
	int k;

	if (!n->up)
		return 0;
	for (k = 0; k < n->naccels; k++) {
		const struct alarm_accel *a = &n->accels[k];
		double crit = isnan(a->temp_crit_c) ? 90 : a->temp_crit_c;

		if (!isnan(a->temp_c) && a->temp_c > crit) {
			snprintf(msg, len,
			    "accelerator %d of %s at %.1f °C, "
			    "above its critical %.0f °C",
			    k, n->name, a->temp_c, crit);
			return 1;
		}
	}
	return 0;
}

static int
r_lowflow(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];

	snprintf(msg, len, "coolant flow of %s at %.1f L/min, under %.1f",
	    n->name, n->flow_lpm, in->min_flow_lpm);
	return n->up && !isnan(n->flow_lpm) && n->flow_lpm < in->min_flow_lpm;
}

static int
r_down(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	const struct alarm_node *n = &in->nodes[i];

	snprintf(msg, len, "%s stopped reporting", n->name);
	return !n->up && !n->drained && n->last_seen_ms > 0 &&
	       in->uptime_ms > in->heartbeat_ms;
}

static int
r_power(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const struct alarm_pod *s = &in->pods[p];
	double limit = in->pod_limit_w ? in->pod_limit_w[p] : s->budget_w;

	snprintf(msg, len, "%s draws %.1f kW, over its limit of %.1f kW",
	    s->name, s->power_w / 1000, limit / 1000);
	return !isnan(s->power_w) && limit > 0 && s->power_w > limit * 1.02;
}

static int
r_heat(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const struct alarm_pod *s = &in->pods[p];

	snprintf(msg, len,
	    "%s sends %.1f kW to its loop, over the CDU's "
	    "%.1f kW",
	    s->name, s->heat_w / 1000, s->cooling_capacity_w / 1000);
	return !isnan(s->heat_w) && s->heat_w > s->cooling_capacity_w;
}

/* The pod's warmest coolant supply among its reporting nodes. */
static int
r_supply(const struct alarm_inputs *in, int p, char *msg, size_t len)
{
	const struct alarm_pod *pod = &in->pods[p];
	double worst = NAN;
	int i;

	for (i = pod->first; i < pod->first + pod->nnodes; i++)
		if (in->nodes[i].up && !isnan(in->nodes[i].inlet_c) &&
		    !(in->nodes[i].inlet_c <= worst))
			worst = in->nodes[i].inlet_c;
	snprintf(msg, len, "coolant supply of %s at %.1f °C, above %.1f",
	    pod->name, worst, in->max_supply_c);
	return in->max_supply_c > 0 && !isnan(worst) &&
	       worst > in->max_supply_c;
}

static int
r_curtail(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	snprintf(msg, len,
	    "the fabric did not reach its curtailment target "
	    "within the ramp time");
	return in->curtail_missed;
}

static int
r_bms(const struct alarm_inputs *in, int i, char *msg, size_t len)
{
	snprintf(msg, len,
	    "the BMS stopped writing its heartbeat; its "
	    "curtailment was removed and the safe cap, if any, applied");
	return in->bms_expired;
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

int
alarms_add(struct alarms *a, struct alarm *al)
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

struct alarm *
alarms_find(const struct alarms *a, int64_t id)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (a->v[i]->id == id)
			return a->v[i];
	return NULL;
}

static struct alarm *
live(const struct alarms *a, enum alarm_kind k, const char *object)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (a->v[i]->kind == k && a->v[i]->state != ALARM_CLEARED &&
		    strcmp(a->v[i]->object, object) == 0)
			return a->v[i];
	return NULL;
}

/* A cleared alarm of (k, object) that cleared within REOPEN_MS. */
static struct alarm *
recent(
    const struct alarms *a, enum alarm_kind k, const char *object, int64_t now)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (a->v[i]->kind == k && a->v[i]->state == ALARM_CLEARED &&
		    now - a->v[i]->cleared_ms < REOPEN_MS &&
		    strcmp(a->v[i]->object, object) == 0)
			return a->v[i];
	return NULL;
}

/* The candidate for (k, object), created at now when new; NULL on OOM. */
static struct alarm_candidate *
candidate(struct alarms *a, enum alarm_kind k, const char *object, int64_t now)
{
	struct alarm_candidate *c;
	int i;

	for (i = 0; i < a->ncand; i++)
		if (a->cand[i].kind == k &&
		    strcmp(a->cand[i].object, object) == 0)
			return &a->cand[i];
	if (a->ncand == a->capcand) {
		int cap = a->capcand ? 2 * a->capcand : 64;

		c = realloc(a->cand, cap * sizeof(*c));
		if (c == NULL)
			return NULL;
		a->cand = c;
		a->capcand = cap;
	}
	c = &a->cand[a->ncand++];
	c->kind = k;
	snprintf(c->object, sizeof(c->object), "%s", object);
	c->since_ms = now;
	return c;
}

static void
drop_candidate(struct alarms *a, enum alarm_kind k, const char *object)
{
	int i;

	for (i = 0; i < a->ncand; i++)
		if (a->cand[i].kind == k &&
		    strcmp(a->cand[i].object, object) == 0) {
			a->cand[i] = a->cand[--a->ncand];
			return;
		}
}

/* One rule on one object: raise, refresh or clear. */
static int
apply(struct alarms *a, const struct rule *r, const char *object, int holds,
    const char *msg, const struct alarm_inputs *in)
{
	struct alarm *al = live(a, r->kind, object);
	struct alarm_candidate *c;

	if (!holds) {
		drop_candidate(a, r->kind, object);
		if (al != NULL) {
			al->state = ALARM_CLEARED;
			al->cleared_ms = in->now_ms;
			al->dirty = 1;
		}
		return 0;
	}
	if (al != NULL) {
		al->last_ms = in->now_ms;
		return 0; /* stored at its next change; last_ms is memory's */
	}
	if ((c = candidate(a, r->kind, object, in->now_ms)) == NULL)
		return -1;
	if (in->now_ms - c->since_ms < (int64_t)r->hold_s * 1000)
		return 0;
	drop_candidate(a, r->kind, object);
	/* Back soon after it cleared: the same alarm again, counted. */
	if ((al = recent(a, r->kind, object, in->now_ms)) != NULL) {
		al->state = ALARM_OPEN;
		al->cleared_ms = al->acked_ms = 0;
		al->acked_by[0] = '\0';
		al->last_ms = in->now_ms;
		al->count++;
		al->dirty = al->fresh = 1;
		return 0;
	}
	if ((al = calloc(1, sizeof(*al))) == NULL)
		return -1;
	al->kind = r->kind;
	snprintf(al->object, sizeof(al->object), "%s", object);
	snprintf(al->message, sizeof(al->message), "%s", msg);
	al->state = ALARM_OPEN;
	al->first_ms = al->last_ms = in->now_ms;
	al->count = 1;
	al->dirty = al->fresh = 1;
	if (alarms_add(a, al) == -1) {
		free(al);
		return -1;
	}
	return 0;
}

int
alarms_evaluate(struct alarms *a, const struct alarm_inputs *in)
{
	char msg[256];
	size_t r;
	int i;

	for (i = 0; i < a->n; i++)
		a->v[i]->fresh = 0;
	for (r = 0; r < ALARM_NKINDS; r++) {
		const struct rule *rule = &rules[r];
		int count = rule->scope == S_PODS    ? in->npods
		            : rule->scope == S_NODES ? in->nnodes
		                                     : 1;

		for (i = 0; i < count; i++) {
			const char *object =
			    rule->scope == S_PODS    ? in->pods[i].name
			    : rule->scope == S_NODES ? in->nodes[i].name
			                             : "fabric";
			int holds = rule->test(in, i, msg, sizeof(msg));

			if (apply(a, rule, object, holds, msg, in) == -1)
				return -1;
		}
	}
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

void
alarms_trim(struct alarms *a, int keep)
{
	int i, k = 0, cleared = 0;

	for (i = 0; i < a->n; i++)
		cleared += a->v[i]->state == ALARM_CLEARED;
	if (cleared <= keep)
		return;
	qsort(a->v, a->n, sizeof(*a->v), newer_first);
	/* cleared ones sorted newest first; open ones have cleared_ms 0 */
	for (i = 0; i < a->n; i++) {
		struct alarm *al = a->v[i];

		if (al->state == ALARM_CLEARED && !al->dirty && keep-- <= 0) {
			free(al);
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
		free(a->v[i]);
	free(a->v);
	free(a->cand);
	memset(a, 0, sizeof(*a));
}

int
alarms_open(const struct alarms *a)
{
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->v[i]->state != ALARM_CLEARED;
	return n;
}
