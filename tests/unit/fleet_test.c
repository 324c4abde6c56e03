/*
 * The in-memory fleet: naming and grouping, state and reason, liveness,
 * the heat carried by the coolant and the pod summaries.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "fleet.h"
#include <pod/wire.h>

static struct report
one_sample(const char *boot, int64_t seq, double power_w, double temp_c,
    double supply_c, double return_c, double flow_lpm)
{
	static struct report_sample s;
	struct report r;

	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	snprintf(r.boot_id, sizeof(r.boot_id), "%s", boot);
	r.ninventory = -1;
	s.seq = seq;
	s.t_ms = 1000 * seq;
	s.power_w = power_w;
	s.naccels = 2;
	s.accels[0].temp_c = temp_c;
	s.accels[1].temp_c = temp_c - 5;
	s.has_loop = 1;
	s.supply_c = supply_c;
	s.return_c = return_c;
	s.flow_lpm = flow_lpm;
	s.capacity_w = NAN;
	s.pump_pct = NAN;
	s.leak = 0;
	r.samples = &s;
	r.nsamples = 1;
	return r;
}

static void
count(struct node *n, const struct report_sample *s, void *arg)
{
	(*(int *)arg)++;
}

static void
test_names_and_groups(struct fleet *f)
{
	CHECK(f->nnodes == 128);
	CHECK(strcmp(f->nodes[0].name, "pod01-n001") == 0);
	CHECK(strcmp(f->nodes[127].name, "pod01-n128") == 0);
	CHECK(strcmp(f->nodes[0].group, "pod01-g01") == 0);
	CHECK(strcmp(f->nodes[15].group, "pod01-g01") == 0);
	CHECK(strcmp(f->nodes[16].group, "pod01-g02") == 0);
	CHECK(strcmp(f->nodes[127].group, "pod01-g08") == 0);
	CHECK(fleet_node(f, "pod01-n064") == &f->nodes[63]);
	CHECK(fleet_node(f, "pod01-n129") == NULL);
	CHECK(fleet_pod_index(f, "pod01") == 0);
	CHECK(fleet_pod_index(f, "pod02") == -1);
}

static void
test_states_and_liveness(struct fleet *f)
{
	struct node *n = fleet_node(f, "pod01-n002");
	struct report r = one_sample("aa", 1, 3000, 60, 30, 40, 10);
	int seen = 0;

	CHECK(fleet_node_state(f, n) == NODE_DOWN);
	CHECK(strcmp(fleet_node_reason(n), "Not responding") == 0);
	CHECK(fleet_apply_report(f, n, &r, 5000, 100000, count, &seen) == 1);
	CHECK(seen == 1);
	CHECK(fleet_node_state(f, n) == NODE_IDLE);
	CHECK(fleet_node_reason(n) == NULL);
	CHECK(fleet_node_hottest_c(n) == 60);
	/* a repeated sample is not applied twice */
	CHECK(fleet_apply_report(f, n, &r, 6000, 101000, count, &seen) == 0);
	CHECK(seen == 1);
	/* a new boot restarts the sequence */
	r = one_sample("bb", 1, 3100, 61, 30, 40, 10);
	fleet_apply_report(f, n, &r, 7000, 102000, count, &seen);
	CHECK(seen == 2 && n->power_w == 3100);
	n->drained = 1;
	snprintf(n->reason, sizeof(n->reason), "fan");
	CHECK(fleet_node_state(f, n) == NODE_DRAINED);
	n->running_jobs = 1;
	CHECK(fleet_node_state(f, n) == NODE_DRAINING);
	n->running_jobs = 0;
	CHECK(strcmp(fleet_node_reason(n), "fan") == 0);
	/* silent past the timeout: down, telemetry forgotten */
	CHECK(fleet_check_liveness(f, 111000, 10000, NULL, NULL) == 0);
	CHECK(fleet_check_liveness(f, 112001, 10000, NULL, NULL) == 1);
	CHECK(fleet_node_state(f, n) == NODE_DOWN && isnan(n->power_w));
	CHECK(strcmp(fleet_node_reason(n), "fan") == 0);
	n->drained = 0;
}

static void
test_heat_and_summary(struct fleet *f)
{
	struct node *a = fleet_node(f, "pod01-n010");
	struct node *b = fleet_node(f, "pod01-n011");
	struct report r;
	struct fleet_summary s;
	double qa;

	r = one_sample("cc", 1, 5000, 70, 30, 40, 10);
	fleet_apply_report(f, a, &r, 1, 1, NULL, NULL);
	r = one_sample("dd", 1, 2000, 50, 32, 36, 30);
	fleet_apply_report(f, b, &r, 1, 1, NULL, NULL);
	/* Q = 10 L/min / 60 × 1.02 kg/L × 3900 J/(kg·K) × 10 K = 6630 W;
	 * b: 30 L/min / 60 × 1.02 × 3900 × 4 K = 7956 W */
	qa = fleet_node_heat_w(f, a);
	CHECK(fabs(qa - 6630) < 0.01);
	CHECK(fabs(fleet_node_heat_w(f, b) - 7956) < 0.01);
	fleet_summarize(f, 0, &s);
	CHECK(s.nodes_up == 2 && s.nodes_total == 128);
	CHECK(s.by_state[NODE_IDLE] == 2 && s.by_state[NODE_DOWN] == 126);
	CHECK(s.power_w == 7000);
	CHECK(fabs(s.heat_w - (6630 + 7956)) < 0.01);
	CHECK(s.flow_lpm == 40);
	/* flow-weighted: (10×30 + 30×32) / 40 */
	CHECK(fabs(s.supply_c - 31.5) < 1e-9);
	CHECK(fabs(s.return_c - 37) < 1e-9);
	CHECK(s.hottest_c == 70 && s.hottest_node == a - f->nodes &&
	      s.hottest_index == 0);
	CHECK(s.budget_w == 850e3);
	/* a CDU reading less than configured bounds the pod */
	CHECK(s.cooling_capacity_w == 900e3);
	b->cdu_capacity_w = 500e3;
	fleet_summarize(f, 0, &s);
	CHECK(s.cooling_capacity_w == 500e3);
	fleet_summarize(f, -1, &s);
	CHECK(s.cooling_capacity_w == 500e3);
	b->cdu_capacity_w = NAN;
	/* a stopped pump: the loop removes nothing */
	b->pump_pct = 0;
	fleet_summarize(f, 0, &s);
	CHECK(s.cooling_capacity_w == 0);
	b->pump_pct = 60;
	fleet_summarize(f, 0, &s);
	CHECK(s.cooling_capacity_w == 900e3);
}

/* The reply asks for the inventory until the holding boot has sent it,
 * and again after a new boot. */
static void
test_wants_inventory(struct fleet *f)
{
	struct node *n = fleet_node(f, "pod01-n020");
	struct report r = one_sample("ee", 1, 3000, 60, 30, 40, 10);

	CHECK(fleet_wants_inventory(n));
	fleet_apply_report(f, n, &r, 1, 1, NULL, NULL);
	CHECK(fleet_wants_inventory(n)); /* samples alone: still wanted */
	r = one_sample("ee", 2, 3000, 60, 30, 40, 10);
	r.ninventory = 2;
	snprintf(r.inventory[0].model, sizeof(r.inventory[0].model), "X-1");
	snprintf(r.inventory[1].model, sizeof(r.inventory[1].model), "X-1");
	r.inventory[1].index = 1;
	fleet_apply_report(f, n, &r, 2, 2, NULL, NULL);
	CHECK(!fleet_wants_inventory(n));
	CHECK(n->naccels == 2 && strcmp(n->accels[1].model, "X-1") == 0);
	r = one_sample("ee", 3, 3000, 60, 30, 40, 10);
	fleet_apply_report(f, n, &r, 3, 3, NULL, NULL);
	CHECK(!fleet_wants_inventory(n));
	r = one_sample("ff", 1, 3000, 60, 30, 40, 10); /* the agent restarted */
	fleet_apply_report(f, n, &r, 4, 4, NULL, NULL);
	CHECK(fleet_wants_inventory(n));
}

int
main(void)
{
	char err[256];
	struct config *c = config_load(NULL, err, sizeof(err));
	struct fleet *f;

	CHECK(c != NULL);
	if (c == NULL)
		return 1;
	f = fleet_new(c);
	test_names_and_groups(f);
	test_states_and_liveness(f);
	test_heat_and_summary(f);
	test_wants_inventory(f);
	fleet_free(f);
	config_free(c);
	return check_summary("fleet_test");
}
