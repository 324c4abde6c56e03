/*
 * Alarm rules and lifecycle (core/alarms.c) on a small fabric built here:
 * dwell and hysteresis of the threshold alarms (a table of timed steps),
 * an accelerator cycling around its critical temperature raised once, a
 * pod's lost agents as one alarm listing them that nodes join and leave,
 * conditions the controller cannot judge (nodes not reporting yet after a
 * restart) that neither clear nor reopen an acknowledged alarm, a leak at
 * once and its repeat counted, cleared alarms trimmed out of the index,
 * two agents reporting as one node (and a restarted agent, which is not);
 * and through the shell, acknowledgements and a pod alarm's nodes kept
 * across a restart of the store.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarms.h"
#include "check.h"
#include "tmpdir.h"
#include "hostlist.h"
#include "log.h"
#include "store.h"

#define NPODS     2
#define PODNODES  16
#define NNODES    (NPODS * PODNODES)
#define T0_MS     1714564800000LL /* 2024-05-01T12:00:00Z */
#define HEARTBEAT 10000

/* A fabric of NPODS pods of PODNODES nodes, one accelerator each. */
struct rig {
	char names[NNODES][16], podnames[NPODS][8];
	struct alarm_node nodes[NNODES];
	struct alarm_accel accels[NNODES];
	struct alarm_pod pods[NPODS];
	struct alarm_inputs in;
	struct alarms a;
};

static void
rig_init(struct rig *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < NPODS; i++) {
		snprintf(
		    r->podnames[i], sizeof(r->podnames[i]), "pod%02d", i + 1);
		r->pods[i].name = r->podnames[i];
		r->pods[i].first = i * PODNODES;
		r->pods[i].nnodes = PODNODES;
		r->pods[i].power_w = 1000;
		r->pods[i].budget_w = 100000;
		r->pods[i].heat_w = 1000;
		r->pods[i].cooling_capacity_w = 100000;
	}
	for (i = 0; i < NNODES; i++) {
		struct alarm_node *n = &r->nodes[i];

		snprintf(r->names[i], sizeof(r->names[i]), "pod%02d-n%03d",
		    i / PODNODES + 1, i % PODNODES + 1);
		n->name = r->names[i];
		n->up = 1;
		n->leak = 0;
		n->last_seen_ms = T0_MS;
		n->flow_lpm = 10;
		n->inlet_c = 30;
		n->naccels = 1;
		n->accels = &r->accels[i];
		r->accels[i].temp_c = 60;
		r->accels[i].temp_crit_c = 90;
	}
	r->in.nodes = r->nodes;
	r->in.nnodes = NNODES;
	r->in.pods = r->pods;
	r->in.npods = NPODS;
	r->in.min_flow_lpm = 2;
	r->in.max_supply_c = 45;
	r->in.heartbeat_ms = HEARTBEAT;
	r->in.uptime_ms = 3600000;
	r->in.compact = hostlist_compact;
}

/* Evaluates at T0 + t_s seconds; the number of alarms it raised (new or
 * reopened), or -1. */
static int
eval_at(struct rig *r, double t_s)
{
	int i, raised = 0;

	r->in.now_ms = T0_MS + (int64_t)(t_s * 1000);
	if (alarms_evaluate(&r->a, &r->in) == -1)
		return -1;
	for (i = 0; i < r->a.nev; i++)
		raised += r->a.ev[i]->fresh;
	return raised;
}

/* The alarm of kind k not cleared (NULL none); more than one fails. */
static struct alarm *
live_one(const struct alarms *a, enum alarm_kind k)
{
	struct alarm *found = NULL;
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		if (a->v[i]->kind == k && a->v[i]->state != ALARM_CLEARED) {
			found = a->v[i];
			n++;
		}
	CHECK(n <= 1, "%d live alarms of %s", n, alarm_kind_name(k));
	return found;
}

/* Sets the value a threshold rule reads, on node 0 (or its pod). */
static void
set_value(struct rig *r, enum alarm_kind k, double v)
{
	if (k == ALARM_OVERTEMP)
		r->accels[0].temp_c = v;
	else if (k == ALARM_LOWFLOW)
		r->nodes[0].flow_lpm = v;
	else if (k == ALARM_SUPPLY_HIGH)
		r->nodes[0].inlet_c = v;
}

/*
 * Threshold alarms, dwell and hysteresis: per case the kind, the dwell,
 * the clear hold and the margin, then timed steps: at t seconds the value
 * becomes v, and after the evaluation the alarm is live (1) or not (0).
 * Every case ends with how many times the alarm was raised in all.
 */
static const struct threshold_case {
	const char *name;
	enum alarm_kind kind;
	int dwell_s, clear_hold_s;
	double margin;
	struct {
		double t, v;
		int live;
	} steps[12];
	int nsteps, raises;
} threshold_cases[] = {
    {"overtemp waits for its dwell", ALARM_OVERTEMP, 5, 30, 5,
        {{1, 95, 0}, {3, 95, 0}, {5.9, 95, 0}, {6, 95, 1}, {7, 95, 1}}, 5, 1},
    {"overtemp that does not last is not raised", ALARM_OVERTEMP, 5, 30, 5,
        {{1, 95, 0}, {4, 95, 0}, {5, 80, 0}, {6, 95, 0}, {10, 95, 0},
            {11, 95, 1}},
        6, 1},
    {"overtemp in the margin stays until the clear hold", ALARM_OVERTEMP, 0, 30,
        5, {{1, 95, 1}, {2, 88, 1}, {20, 88, 1}, {31.9, 88, 1}, {32, 88, 0}}, 5,
        1},
    {"overtemp clears at once under the margin", ALARM_OVERTEMP, 0, 30, 5,
        {{1, 95, 1}, {2, 88, 1}, {3, 84.9, 0}}, 3, 1},
    {"overtemp back over the threshold restarts the clear hold", ALARM_OVERTEMP,
        0, 10, 5,
        {{1, 95, 1}, {2, 88, 1}, {11, 91, 1}, {12, 88, 1}, {21, 88, 1},
            {22, 88, 0}},
        6, 1},
    {"no hysteresis configured: clears at the threshold", ALARM_OVERTEMP, 0, 0,
        0, {{1, 95, 1}, {2, 89, 0}, {3, 95, 1}}, 3, 2},
    {"lowflow keeps its own 3 s under a shorter dwell", ALARM_LOWFLOW, 1, 30,
        0.5, {{1, 1, 0}, {3, 1, 0}, {4, 1, 1}, {5, 2.2, 1}, {6, 3, 0}}, 5, 1},
    {"lowflow in the margin clears after the hold", ALARM_LOWFLOW, 0, 5, 0.5,
        {{1, 1, 0}, {4, 1, 1}, {5, 2.3, 1}, {9.9, 2.3, 1}, {10, 2.3, 0}}, 5, 1},
    {"supply_high dwell and margin", ALARM_SUPPLY_HIGH, 12, 30, 2,
        {{1, 46, 0}, {12.9, 46, 0}, {13, 46, 1}, {14, 44, 1}, {15, 42.9, 0}}, 5,
        1},
};

static int
case_threshold(const struct threshold_case *c)
{
	struct rig r;
	int i, raised = 0, got;

	rig_init(&r);
	r.in.dwell_ms = (int64_t)c->dwell_s * 1000;
	r.in.clear_hold_ms = (int64_t)c->clear_hold_s * 1000;
	r.in.overtemp_margin_c = r.in.lowflow_margin_lpm =
	    r.in.supply_margin_c = c->margin;
	REQUIRE(eval_at(&r, 0) == 0, "%s: an alarm at rest", c->name);
	for (i = 0; i < c->nsteps; i++) {
		set_value(&r, c->kind, c->steps[i].v);
		REQUIRE((got = eval_at(&r, c->steps[i].t)) >= 0);
		raised += got;
		CHECK((live_one(&r.a, c->kind) != NULL) == c->steps[i].live,
		    "%s: step %d (t %g, value %g): want %s", c->name, i,
		    c->steps[i].t, c->steps[i].v,
		    c->steps[i].live ? "live" : "none");
	}
	CHECK(raised == c->raises, "%s: raised %d times, want %d", c->name,
	    raised, c->raises);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* The report's case: one node cycling to 90 °C for two minutes, over its
 * critical temperature for 6 s of every 9, down to 86 °C between. With the
 * defaults (dwell 5 s, clear hold 30 s, margin 5 °C): raised once. */
static int
case_cycling_overtemp(void)
{
	struct rig r;
	int t, raised = 0, got;

	rig_init(&r);
	r.in.dwell_ms = 5000;
	r.in.clear_hold_ms = 30000;
	r.in.overtemp_margin_c = 5;
	for (t = 0; t < 120; t++) {
		r.accels[3].temp_c = t % 9 < 6 ? 92 : 86;
		REQUIRE((got = eval_at(&r, t)) >= 0);
		raised += got;
	}
	CHECK(raised == 1, "raised %d times in 2 minutes", raised);
	CHECK(live_one(&r.a, ALARM_OVERTEMP) != NULL &&
	      live_one(&r.a, ALARM_OVERTEMP)->count == 1);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* Nodes of a pod stop reporting: one alarm of the pod listing them, which
 * later losses and returns change; it clears when the last one is back. */
static int
case_pod_agents_lost(void)
{
	struct rig r;
	struct alarm *al;
	int i, raised;
	int64_t id;

	rig_init(&r);
	REQUIRE(eval_at(&r, 0) == 0);
	for (i = 0; i < 12; i++)
		r.nodes[i].up = 0;
	r.nodes[PODNODES + 4].up = 0; /* pod02-n005 */
	raised = eval_at(&r, 1);
	REQUIRE(raised == 2, "raised %d", raised);
	CHECK(r.a.n == 2, "%d alarms", r.a.n);
	al = strcmp(r.a.v[0]->object, "pod01") == 0 ? r.a.v[0] : r.a.v[1];
	CHECK(strcmp(al->object, "pod01") == 0 && al->nnodes == 12);
	CHECK(strcmp(al->message, "12 nodes of pod01 stopped reporting: "
	                          "pod01-n[001-012]") == 0,
	    "message '%s'", al->message);
	CHECK(strcmp(al->nodes, "pod01-n[001-012]") == 0, "'%s'", al->nodes);
	CHECK(alarms_nodes_in(&r.a, ALARM_NODE_DOWN) == 13);
	CHECK(alarms_node_in(&r.a, ALARM_NODE_DOWN, 11) &&
	      alarms_node_in(&r.a, ALARM_NODE_DOWN, PODNODES + 4) &&
	      !alarms_node_in(&r.a, ALARM_NODE_DOWN, 12) &&
	      !alarms_node_in(&r.a, ALARM_LEAK, 11));
	al->id = id = 7; /* as the store gives it */
	CHECK(alarm_ack(al, "op", T0_MS + 1500) == 0);

	/* one more lost, one back: the same alarm, changed, still acked */
	r.nodes[12].up = 0;
	r.nodes[0].up = 1;
	REQUIRE(eval_at(&r, 2) == 0);
	CHECK(r.a.n == 2 && al->state == ALARM_ACKED && al->id == id);
	CHECK(al->event == ALARM_EV_CHANGED && al->nnodes == 12);
	CHECK(strcmp(al->message, "12 nodes of pod01 stopped reporting: "
	                          "pod01-n[002-013]") == 0,
	    "message '%s'", al->message);
	/* nothing changes: no event */
	REQUIRE(eval_at(&r, 3) == 0);
	CHECK(r.a.nev == 0, "%d events", r.a.nev);

	/* all back: cleared, with the last list kept */
	for (i = 0; i < NNODES; i++)
		r.nodes[i].up = 1;
	REQUIRE(eval_at(&r, 4) == 0);
	CHECK(al->state == ALARM_CLEARED && al->event == ALARM_EV_CLEARED);
	CHECK(strstr(al->message, "pod01-n[002-013]") != NULL, "'%s'",
	    al->message);
	CHECK(live_one(&r.a, ALARM_NODE_DOWN) == NULL);
	/* a drained node is not missed */
	r.nodes[20].up = 0;
	r.nodes[20].drained = 1;
	REQUIRE(eval_at(&r, 5) == 0);
	CHECK(live_one(&r.a, ALARM_NODE_DOWN) == NULL);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* A restarted controller: nodes not reporting yet, up for less than a
 * heartbeat. Nothing it cannot judge clears, so acknowledgements stay. */
static int
case_unknown_keeps_acks(void)
{
	struct rig r;
	struct alarm *leak, *down;
	int i;

	rig_init(&r);
	r.nodes[5].leak = 1;
	r.nodes[PODNODES].up = 0; /* pod02-n001 */
	REQUIRE(eval_at(&r, 0) == 2);
	REQUIRE((leak = live_one(&r.a, ALARM_LEAK)) != NULL);
	REQUIRE((down = live_one(&r.a, ALARM_NODE_DOWN)) != NULL);
	CHECK(alarms_node_in(&r.a, ALARM_LEAK, 5) &&
	      !alarms_node_in(&r.a, ALARM_LEAK, 6));
	CHECK(alarm_ack(leak, "op", T0_MS) == 0);
	CHECK(alarm_ack(down, "op", T0_MS) == 0);
	/* the restart: nobody reports yet */
	for (i = 0; i < NNODES; i++)
		r.nodes[i].up = 0;
	r.in.uptime_ms = 1000;
	for (i = 1; i < 10; i++)
		REQUIRE(eval_at(&r, i) == 0);
	CHECK(leak->state == ALARM_ACKED && down->state == ALARM_ACKED);
	CHECK(down->nnodes == 1 && r.a.n == 2, "%d nodes, %d alarms",
	    down->nnodes, r.a.n);
	/* they report again, the leak with them: still the acked alarm */
	for (i = 0; i < NNODES; i++)
		r.nodes[i].up = i != PODNODES;
	r.in.uptime_ms = HEARTBEAT + 1000;
	REQUIRE(eval_at(&r, 11) == 0);
	CHECK(leak->state == ALARM_ACKED && leak->count == 1 &&
	          leak->last_ms == T0_MS + 11000,
	    "leak %s, count %d", alarm_state_name(leak->state), leak->count);
	CHECK(down->state == ALARM_ACKED && r.a.n == 2);
	/* dry: cleared; wet again within 5 minutes: the same one, counted */
	r.nodes[5].leak = 0;
	REQUIRE(eval_at(&r, 12) == 0);
	CHECK(leak->state == ALARM_CLEARED);
	r.nodes[5].leak = 1;
	REQUIRE(eval_at(&r, 13) == 1);
	CHECK(leak->state == ALARM_OPEN && leak->count == 2 &&
	      leak->event == ALARM_EV_REOPENED);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* A pod's alarm read back from the store with its nodes: they are in it
 * again, and it clears when they report. */
static int
case_loaded_pod_alarm(void)
{
	struct rig r;
	struct alarm *al = calloc(1, sizeof(*al));
	struct hostlist hl = {NULL, 0};
	char err[128];

	rig_init(&r);
	REQUIRE(al != NULL);
	al->id = 3;
	al->kind = ALARM_NODE_DOWN;
	snprintf(al->object, sizeof(al->object), "pod02");
	snprintf(al->nodes, sizeof(al->nodes), "pod02-n[003-004]");
	al->state = ALARM_ACKED;
	al->count = 1;
	al->first_ms = al->last_ms = T0_MS - 60000;
	REQUIRE(hostlist_expand(al->nodes, 100, &hl, err, sizeof(err)) == 0);
	al->load_nodes = hl.names;
	al->nload_nodes = hl.n;
	REQUIRE(alarms_add(&r.a, al) == 0);
	r.nodes[PODNODES + 2].up = r.nodes[PODNODES + 3].up = 0;
	r.in.uptime_ms = 1000;
	REQUIRE(eval_at(&r, 0) == 0);
	CHECK(al->nnodes == 2 && al->state == ALARM_ACKED && r.a.n == 1);
	CHECK(alarms_nodes_in(&r.a, ALARM_NODE_DOWN) == 2);
	r.nodes[PODNODES + 2].up = 1;
	r.in.uptime_ms = HEARTBEAT + 1;
	REQUIRE(eval_at(&r, 1) == 0);
	CHECK(al->nnodes == 1 && al->state == ALARM_ACKED &&
	          strcmp(al->nodes, "pod02-n004") == 0,
	    "'%s'", al->nodes);
	r.nodes[PODNODES + 3].up = 1;
	REQUIRE(eval_at(&r, 2) == 0);
	CHECK(al->state == ALARM_CLEARED);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* Cleared alarms beyond those kept leave memory and the index: their
 * objects raise new alarms afterwards (no stale slot). */
static int
case_trim(void)
{
	struct rig r;
	int i;

	rig_init(&r);
	for (i = 0; i < 8; i++)
		r.nodes[i].leak = 1;
	REQUIRE(eval_at(&r, 0) == 8);
	for (i = 0; i < 8; i++)
		r.nodes[i].leak = 0;
	REQUIRE(eval_at(&r, 1) == 0);
	REQUIRE(eval_at(&r, 2) == 0);
	for (i = 0; i < r.a.n; i++)
		r.a.v[i]->dirty = 0; /* as once stored */
	alarms_trim(&r.a, 2);
	CHECK(r.a.n == 2, "%d kept", r.a.n);
	for (i = 0; i < 8; i++)
		r.nodes[i].leak = 1;
	/* 2 reopened, 6 new; all live, one each */
	CHECK(eval_at(&r, 3) == 8);
	CHECK(r.a.n == 8 && alarms_open(&r.a) == 8, "%d, %d open", r.a.n,
	    alarms_open(&r.a));
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* Two agents with one node's name: raised once both were seen reporting,
 * one alarm while the refused one retries, cleared a window after its
 * last refused report. A restarted agent refused until its old self's
 * heartbeat expired raises nothing. */
static int
case_duplicate_node(void)
{
	struct rig r;
	struct holder_intruder dup, restart;
	struct alarm *al;
	int t;

	rig_init(&r);
	memset(&dup, 0, sizeof(dup));
	memset(&restart, 0, sizeof(restart));
	r.nodes[3].boot_id = "aaaa";
	r.nodes[3].intruder = &dup;
	r.nodes[9].boot_id = "cccc";
	r.nodes[9].intruder = &restart;
	r.in.duplicate_window_ms = 60000;
	/* pod01-n004's second agent is refused; its holder reports on */
	holder_refused(&dup, "bbbb", T0_MS, T0_MS + 1000);
	/* pod01-n010's agent restarted: its old self is silent */
	holder_refused(&restart, "dddd", T0_MS, T0_MS + 1000);
	REQUIRE(eval_at(&r, 1) == 0, "raised on one refusal");
	holder_refused(&dup, "bbbb", T0_MS + 1500, T0_MS + 2000);
	holder_refused(&restart, "dddd", T0_MS, T0_MS + 2000);
	REQUIRE(eval_at(&r, 2) == 1);
	REQUIRE((al = live_one(&r.a, ALARM_DUPLICATE_NODE)) != NULL);
	CHECK(strcmp(al->object, "pod01-n004") == 0, "on %s", al->object);
	CHECK(strcmp(alarm_kind_name(al->kind), "duplicate_node") == 0 &&
	      strcmp(alarm_severity(al->kind), "major") == 0);
	CHECK(strstr(al->message, "boot id aaaa holds it") != NULL &&
	          strstr(al->message, "boot id bbbb are refused") != NULL,
	    "message '%s'", al->message);
	CHECK(alarms_node_in(&r.a, ALARM_DUPLICATE_NODE, 3) &&
	      !alarms_node_in(&r.a, ALARM_DUPLICATE_NODE, 9));
	/* it retries every 30 s for a while: still the one alarm */
	for (t = 3; t <= 92; t++) {
		if (t % 30 == 2)
			holder_refused(&dup, "bbbb", T0_MS + (t - 1) * 1000LL,
			    T0_MS + t * 1000LL);
		REQUIRE(eval_at(&r, t) == 0, "raised again at %d s", t);
	}
	CHECK(al->state == ALARM_OPEN && al->count == 1 && r.a.n == 1,
	    "%s, count %d, %d alarms", alarm_state_name(al->state), al->count,
	    r.a.n);
	/* its last refusal at 92 s: cleared once a window has passed */
	REQUIRE(eval_at(&r, 152) == 0);
	CHECK(al->state == ALARM_OPEN);
	REQUIRE(eval_at(&r, 152.5) == 0);
	CHECK(al->state == ALARM_CLEARED && al->event == ALARM_EV_CLEARED);
	alarms_clear(&r.a);

	/* a restarted controller has refused nothing yet: an acknowledged
	 * alarm stays until a window has passed without refusals */
	rig_init(&r);
	REQUIRE((al = calloc(1, sizeof(*al))) != NULL);
	al->id = 4;
	al->kind = ALARM_DUPLICATE_NODE;
	snprintf(al->object, sizeof(al->object), "pod01-n004");
	al->state = ALARM_ACKED;
	al->count = 1;
	REQUIRE(alarms_add(&r.a, al) == 0);
	r.in.uptime_ms = 1000;
	REQUIRE(eval_at(&r, 0) == 0);
	CHECK(al->state == ALARM_ACKED);
	r.in.uptime_ms = 60000;
	REQUIRE(eval_at(&r, 59) == 0);
	CHECK(al->state == ALARM_CLEARED);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* ---- through the store: a restart keeps acks and a pod's nodes ---- */

static char tmpdir[256];

static int
case_store_restart(void)
{
	char path[512];
	struct store *s = NULL;
	struct rig r;
	struct alarm *leak, *down;
	int i;

	rig_init(&r);
	snprintf(path, sizeof(path), "%s/ctl.db", tmpdir);
	REQUIRE((s = store_open(path)) != NULL);
	r.nodes[5].leak = 1;
	for (i = 0; i < 4; i++)
		r.nodes[i + 8].up = 0;
	REQUIRE(eval_at(&r, 0) == 2);
	REQUIRE(store_put_alarms(s, &r.a) == 0);
	REQUIRE((leak = live_one(&r.a, ALARM_LEAK)) != NULL);
	REQUIRE((down = live_one(&r.a, ALARM_NODE_DOWN)) != NULL);
	CHECK(alarm_ack(down, "alice", T0_MS + 500) == 0);
	REQUIRE(store_put_alarms(s, &r.a) == 0);
	store_close(s);
	alarms_clear(&r.a);

	/* the restart */
	REQUIRE((s = store_open(path)) != NULL);
	REQUIRE(store_load_alarms(s, &r.a, 500) == 0);
	for (i = 0; i < NNODES; i++)
		r.nodes[i].up = 0;
	r.in.uptime_ms = 1000;
	REQUIRE(eval_at(&r, 5) == 0);
	REQUIRE((down = live_one(&r.a, ALARM_NODE_DOWN)) != NULL);
	CHECK(down->state == ALARM_ACKED &&
	          strcmp(down->acked_by, "alice") == 0 &&
	          down->acked_ms == T0_MS + 500,
	    "%s by '%s'", alarm_state_name(down->state), down->acked_by);
	CHECK(down->nnodes == 4 && strcmp(down->nodes, "pod01-n[009-012]") == 0,
	    "%d '%s'", down->nnodes, down->nodes);
	CHECK(live_one(&r.a, ALARM_LEAK) != NULL);
	/* all report but 9-12, the leak still there: nothing new, nothing
	 * reopened */
	for (i = 0; i < NNODES; i++)
		r.nodes[i].up = i < 8 || i >= 12;
	r.in.uptime_ms = HEARTBEAT + 1000;
	CHECK(eval_at(&r, 20) == 0);
	CHECK(r.a.n == 2 && down->state == ALARM_ACKED && down->nnodes == 4);
	store_close(s);
	alarms_clear(&r.a);
	return 0;
fail:
	store_close(s);
	alarms_clear(&r.a);
	return -1;
}

/* Reports for a node refused for a wrong credential: one alarm naming the
 * address, raised by the first refusal and cleared a window after the
 * last; another node stays clear. */
static int
case_node_auth(void)
{
	struct rig r;
	struct alarm *al;
	int t;

	rig_init(&r);
	r.in.duplicate_window_ms = 60000;
	r.nodes[2].auth_refused_ms = T0_MS + 500;
	r.nodes[2].auth_from = "10.0.0.66";
	REQUIRE(eval_at(&r, 1) == 1, "not raised at once");
	REQUIRE((al = live_one(&r.a, ALARM_NODE_AUTH)) != NULL);
	CHECK(strcmp(al->object, "pod01-n003") == 0, "on %s", al->object);
	CHECK(strcmp(alarm_kind_name(al->kind), "node_auth") == 0 &&
	      strcmp(alarm_severity(al->kind), "major") == 0);
	CHECK(strcmp(al->message, "reports for pod01-n003 refused: wrong "
	                          "credential from 10.0.0.66") == 0,
	    "message '%s'", al->message);
	CHECK(alarms_node_in(&r.a, ALARM_NODE_AUTH, 2) &&
	      !alarms_node_in(&r.a, ALARM_NODE_AUTH, 3));
	/* refused every 10 s for a minute: the one alarm */
	for (t = 2; t <= 60; t++) {
		if (t % 10 == 0)
			r.nodes[2].auth_refused_ms = T0_MS + t * 1000LL;
		REQUIRE(eval_at(&r, t) == 0, "raised again at %d s", t);
	}
	CHECK(al->state == ALARM_OPEN && al->count == 1 && r.a.n == 1);
	REQUIRE(eval_at(&r, 119.5) == 0);
	CHECK(al->state == ALARM_OPEN);
	REQUIRE(eval_at(&r, 120.5) == 0);
	CHECK(al->state == ALARM_CLEARED);
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

/* A maintenance window announced on pod02: one info alarm of the pod with
 * the shell's notice, none on pod01, cleared when the notice goes. */
static int
case_maintenance(void)
{
	const char *notice[NPODS] = {NULL, "maintenance m1 from A to B"};
	struct rig r;
	struct alarm *al;

	rig_init(&r);
	REQUIRE(eval_at(&r, 1) == 0, "raised without a notice");
	r.in.pod_notice = notice;
	REQUIRE(eval_at(&r, 2) == 1, "not raised at once");
	REQUIRE((al = live_one(&r.a, ALARM_MAINTENANCE)) != NULL);
	CHECK(strcmp(al->object, "pod02") == 0, "on %s", al->object);
	CHECK(strcmp(alarm_kind_name(al->kind), "maintenance") == 0 &&
	      strcmp(alarm_severity(al->kind), "info") == 0);
	CHECK(strcmp(al->message, notice[1]) == 0, "message '%s'", al->message);
	REQUIRE(eval_at(&r, 3) == 0, "raised again");
	notice[1] = NULL;
	REQUIRE(eval_at(&r, 4) == 0);
	CHECK(al->state == ALARM_CLEARED, "not cleared with its notice");
	alarms_clear(&r.a);
	return 0;
fail:
	alarms_clear(&r.a);
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"a maintenance window announced", case_maintenance},
    {"a node cycling around its critical temperature", case_cycling_overtemp},
    {"a pod's agents lost: one alarm", case_pod_agents_lost},
    {"what cannot be judged keeps acks", case_unknown_keeps_acks},
    {"a pod alarm read back with its nodes", case_loaded_pod_alarm},
    {"trimmed alarms leave the index", case_trim},
    {"two agents with one node's name", case_duplicate_node},
    {"reports with a wrong node credential", case_node_auth},
    {"a restart keeps acks and nodes", case_store_restart},
};

int
main(void)
{
	size_t i;

	log_init("alarms_test", LOG_LVL_ERROR);
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "alarms") == -1)
		return 1;
	for (i = 0; i < NELEM(threshold_cases); i++)
		RUN_CASE(threshold_cases[i].name,
		    case_threshold(&threshold_cases[i]));
	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	tmpdir_remove(tmpdir);
	return check_summary("alarms_test");
}
