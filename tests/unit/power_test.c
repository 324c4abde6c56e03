/*
 * The power-budget allocator: no caps while the envelope does not bind;
 * when it binds, caps that add up to the limit, floors first, priority
 * next, slack to the nodes held at their caps; curtailment and pod budgets.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "powalloc.h"

static struct powalloc_node
node(int pod, double power_w, int64_t prio)
{
	struct powalloc_node n;

	memset(&n, 0, sizeof(n));
	n.pod = pod;
	n.up = 1;
	n.power_w = power_w;
	n.floor_w = 1500;
	n.max_w = 7000;
	n.prio = prio;
	return n;
}

static double
sum_caps(const struct powalloc_result *r, int n)
{
	double s = 0;
	int i;

	for (i = 0; i < n; i++)
		s += r->node_cap_w[i];
	return s;
}

int
main(void)
{
	struct powalloc_pod pods[2] = {{20000}, {20000}};
	struct powalloc_node nodes[4] = {node(0, 5000, 0), node(0, 5000, 0),
	    node(1, 3000, 10), node(1, 3000, INT64_MIN)};
	struct powalloc_input in = {0, 0, 0, pods, 2, nodes, 4};
	struct powalloc_result r;
	int i;

	/* 16 kW drawn, 40 kW of budgets: nobody is capped */
	CHECK(powalloc_allocate(&in, &r) == 0);
	CHECK(sum_caps(&r, 4) == 0 && r.fabric_limit_w == 40000);
	powalloc_result_free(&r);

	/* a facility cap of 12 kW binds: caps sum to it, floors kept */
	in.facility_cap_w = 12000;
	CHECK(powalloc_allocate(&in, &r) == 0);
	CHECK(fabs(sum_caps(&r, 4) - 12000) < 1);
	for (i = 0; i < 4; i++)
		CHECK(r.node_cap_w[i] >= 1500 - 1e-6);
	/* pod 1 gets 6 kW: its job of priority 10 is served in full (its
	 * 3 kW and 2 % of room) before the idle node gets what is left */
	CHECK(fabs(r.pod_alloc_w[1] - 6000) < 1);
	CHECK(fabs(r.node_cap_w[2] - 3060) < 1);
	CHECK(fabs(r.node_cap_w[3] - 2940) < 1);
	powalloc_result_free(&r);

	/* slack: a node wanting little leaves it to one held at its cap */
	nodes[0].power_w = 2000;
	nodes[1].power_w = 4000;
	nodes[1].cap_w = 4000;
	nodes[1].limiting = 1;
	in.facility_cap_w = 0;
	pods[0].budget_w = 6000;
	CHECK(powalloc_allocate(&in, &r) == 0);
	CHECK(r.node_cap_w[1] > r.node_cap_w[0]);
	CHECK(fabs(r.node_cap_w[0] + r.node_cap_w[1] - 6000) < 1);
	CHECK(r.node_cap_w[0] >= 2040 - 1); /* its 2 kW and 2 % */
	powalloc_result_free(&r);

	/* a 25 % curtailment of a 16 kW draw: the fabric holds 12 kW */
	pods[0].budget_w = 20000;
	nodes[0].power_w = nodes[1].power_w = 5000;
	nodes[1].limiting = 0;
	in.curtail_frac = 0.25;
	in.curtail_base_w = 16000;
	CHECK(powalloc_allocate(&in, &r) == 0);
	CHECK(r.fabric_limit_w == 12000);
	CHECK(fabs(sum_caps(&r, 4) - 12000) < 1);
	powalloc_result_free(&r);

	/* a down node gets nothing and draws nothing */
	nodes[3].up = 0;
	CHECK(powalloc_allocate(&in, &r) == 0);
	CHECK(r.node_cap_w[3] == 0);
	powalloc_result_free(&r);

	/* below every floor: shares of the floors */
	in.curtail_frac = 0;
	in.facility_cap_w = 3000;
	CHECK(powalloc_allocate(&in, &r) == 0);
	CHECK(fabs(sum_caps(&r, 4) - 3000) < 1);
	powalloc_result_free(&r);

	return check_summary("power_test");
}
