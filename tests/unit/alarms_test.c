/*
 * Alarm rules and lifecycle: a leak raises at once and clears when dry, a
 * return within minutes reopens and counts, low flow must hold before it
 * raises, acknowledgement, node down only once agents had time to report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alarmview.h"
#include "check.h"
#include "config.h"
#include "fleet.h"

static int
count(const struct alarms *a, enum alarm_kind k, enum alarm_state s)
{
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->v[i]->kind == k && a->v[i]->state == s;
	return n;
}

int
main(void)
{
	char err[256];
	struct config *c = config_load(NULL, err, sizeof(err));
	struct fleet *f = fleet_new(c);
	struct alarms a;
	struct alarm_inputs in;
	struct node *n = &f->nodes[4];
	int i;

	memset(&a, 0, sizeof(a));
	memset(&in, 0, sizeof(in));
	in.min_flow_lpm = 2;
	in.heartbeat_ms = 10000;
	in.uptime_ms = 5000;
	for (i = 0; i < f->nnodes; i++) {
		f->nodes[i].up = 1;
		f->nodes[i].flow_lpm = 10;
		f->nodes[i].leak = 0;
	}
	in.now_ms = 1000;
	CHECK(alarmview_evaluate(&a, f, &in) == 0 && a.n == 0);

	n->leak = 1;
	in.now_ms = 2000;
	alarmview_evaluate(&a, f, &in);
	CHECK(count(&a, ALARM_LEAK, ALARM_OPEN) == 1 && a.v[0]->fresh);
	CHECK(strcmp(a.v[0]->object, n->name) == 0 && a.v[0]->dirty);
	in.now_ms = 3000;
	alarmview_evaluate(&a, f, &in);
	CHECK(a.n == 1 && !a.v[0]->fresh && a.v[0]->last_ms == 3000);
	CHECK(alarm_ack(a.v[0], "op", 3000) == 0);
	CHECK(alarm_ack(a.v[0], "op", 3000) == -1);
	n->leak = 0;
	in.now_ms = 4000;
	alarmview_evaluate(&a, f, &in);
	CHECK(count(&a, ALARM_LEAK, ALARM_CLEARED) == 1);
	n->leak = 1;
	in.now_ms = 5000;
	alarmview_evaluate(&a, f, &in);
	CHECK(a.n == 1 && a.v[0]->state == ALARM_OPEN && a.v[0]->count == 2);
	n->leak = 0;

	/* low flow holds 3 s before it raises */
	f->nodes[7].flow_lpm = 0.5;
	in.now_ms = 10000;
	alarmview_evaluate(&a, f, &in);
	CHECK(count(&a, ALARM_LOWFLOW, ALARM_OPEN) == 0);
	in.now_ms = 13500;
	alarmview_evaluate(&a, f, &in);
	CHECK(count(&a, ALARM_LOWFLOW, ALARM_OPEN) == 1);

	/* a node that stops reporting, once agents had a heartbeat */
	f->nodes[9].up = 0;
	f->nodes[9].last_seen_ms = 9000;
	alarmview_evaluate(&a, f, &in);
	CHECK(count(&a, ALARM_NODE_DOWN, ALARM_OPEN) == 0);
	in.uptime_ms = 20000;
	alarmview_evaluate(&a, f, &in);
	CHECK(count(&a, ALARM_NODE_DOWN, ALARM_OPEN) == 1);
	CHECK(
	    alarm_kind_parse("heat_over_capacity") == ALARM_HEAT_OVER_CAPACITY);

	alarms_clear(&a);
	fleet_free(f);
	config_free(c);
	return check_summary("alarms_test");
}
