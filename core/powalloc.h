/*
 * The power-budget allocator: a pure function from the fabric's draw and
 * limits to a power cap per node. Limits nest: the facility cap (and a
 * curtailment, a fraction of the draw when it began) bounds the fabric, each
 * pod's budget bounds the pod, and within a pod every up node gets a share.
 *
 * While a pod's nodes want less than it may draw, nobody is capped: caps
 * cost performance and are only worth it when the envelope binds. When it
 * binds, every node first gets its floor (what it draws at the lowest
 * clocks), then the rest goes by priority, highest first, each node up to
 * what it wants; nodes below their share so leave the slack to nodes held
 * at their cap, and under a curtailment the lowest priority is throttled
 * first.
 */
#ifndef CORE_POWALLOC_H
#define CORE_POWALLOC_H

#include <stdint.h>

struct powalloc_node {
	int pod;        /* pod index */
	int up;         /* reporting: only these draw and get caps */
	double power_w; /* measured now, W */
	double floor_w; /* draw at the lowest clocks, W */
	double max_w;   /* draw at full speed, W */
	double cap_w;   /* the cap it has now, W; 0 none */
	int limiting;   /* held at its cap (reported by the agent) */
	int64_t prio;   /* priority of its highest running job; idle lowest */
};

struct powalloc_pod {
	double budget_w; /* W */
};

struct powalloc_input {
	double facility_cap_w; /* 0: none */
	double curtail_frac;   /* 0–1 of the draw to shed; 0: none */
	double curtail_base_w; /* fabric draw when the curtailment began */
	const struct powalloc_pod *pods;
	int npods;
	const struct powalloc_node *nodes;
	int nnodes;
};

struct powalloc_result {
	double fabric_limit_w; /* the binding limit of the fabric, W */
	double *pod_alloc_w;   /* npods: what each pod may draw, W */
	double *node_cap_w;    /* nnodes: the cap to send; 0 none */
};

/* What a node wants: its draw with room to grow when it is held at a cap,
 * bounded by floor and max. */
double powalloc_demand(const struct powalloc_node *n);
/* Allocates. res arrays are allocated here (caller frees with
 * powalloc_result_free()). 0, or -1 on allocation failure. */
int powalloc_allocate(
    const struct powalloc_input *in, struct powalloc_result *res);
void powalloc_result_free(struct powalloc_result *res);

#endif
