/*
 * The power-budget allocator (see powalloc.h). Two water-fillings: the
 * fabric's limit over the pods, by what their nodes want, each pod bounded
 * by its budget; then each pod's allocation over its nodes, floors first
 * and the rest by priority.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "powalloc.h"

#define DEMAND_GROWTH 1.10 /* a capped node may want 10 % more */

double
powalloc_demand(const struct powalloc_node *n)
{
	double d = n->power_w;

	if (isnan(d))
		d = n->floor_w;
	if (n->limiting && n->cap_w > 0)
		d = fmax(d, n->cap_w) * DEMAND_GROWTH;
	else
		d *= 1.02; /* a little room, so a steady node is not capped */
	if (d < n->floor_w)
		d = n->floor_w;
	if (n->max_w > 0 && d > n->max_w)
		d = n->max_w;
	return d;
}

/* Pours `total` into buckets with the given wants, each bounded by cap
 * (≤ 0: none), evenly: the classic water-filling. Writes out[i]. */
static void
waterfill(
    double total, const double *want, const double *cap, int n, double *out)
{
	int i, open = 0, changed = 1;

	for (i = 0; i < n; i++) {
		out[i] = 0;
		open += want[i] > 0;
	}
	while (total > 1e-6 && open > 0 && changed) {
		double share = total / open;

		changed = 0;
		open = 0;
		for (i = 0; i < n; i++) {
			double limit = want[i];
			double give;

			if (cap[i] > 0 && cap[i] < limit)
				limit = cap[i];
			if (out[i] >= limit)
				continue;
			give = fmin(share, limit - out[i]);
			out[i] += give;
			total -= give;
			changed |= give > 0;
			if (out[i] < limit)
				open++;
		}
	}
}

struct by_prio {
	int node;
	int64_t prio;
};

static int
cmp_prio(const void *a, const void *b)
{
	const struct by_prio *x = a, *y = b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return x->node - y->node;
}

/* Splits a pod's allocation over its up nodes. */
static int
split_pod(
    const struct powalloc_input *in, int pod, double alloc, double *node_cap)
{
	struct by_prio *order;
	double want_sum = 0, floor_sum = 0, left;
	int i, k, n = 0;

	for (i = 0; i < in->nnodes; i++) {
		const struct powalloc_node *nd = &in->nodes[i];

		if (nd->pod != pod || !nd->up)
			continue;
		want_sum += powalloc_demand(nd);
		floor_sum += nd->floor_w;
		n++;
	}
	if (n == 0 || want_sum <= alloc)
		return 0; /* the envelope does not bind: no caps */
	if ((order = calloc(n, sizeof(*order))) == NULL)
		return -1;
	for (i = 0, k = 0; i < in->nnodes; i++)
		if (in->nodes[i].pod == pod && in->nodes[i].up) {
			order[k].node = i;
			order[k++].prio = in->nodes[i].prio;
		}
	qsort(order, n, sizeof(*order), cmp_prio);
	/* Everyone's floor first; below the floors, shares of the floors. */
	left = alloc - floor_sum;
	for (k = 0; k < n; k++) {
		const struct powalloc_node *nd = &in->nodes[order[k].node];

		node_cap[order[k].node] =
		    left >= 0 ? nd->floor_w : nd->floor_w * alloc / floor_sum;
	}
	/* Then by priority; equal priorities share evenly. */
	for (k = 0; k < n && left > 0;) {
		int e = k, m;
		double *want, *out, *none;

		while (e < n && order[e].prio == order[k].prio)
			e++;
		m = e - k;
		want = calloc(m, sizeof(double));
		out = calloc(m, sizeof(double));
		none = calloc(m, sizeof(double));
		if (want == NULL || out == NULL || none == NULL) {
			free(want);
			free(out);
			free(none);
			free(order);
			return -1;
		}
		for (i = 0; i < m; i++) {
			const struct powalloc_node *nd =
			    &in->nodes[order[k + i].node];

			want[i] = powalloc_demand(nd) - nd->floor_w;
			if (want[i] < 0)
				want[i] = 0;
		}
		waterfill(left, want, none, m, out);
		for (i = 0; i < m; i++) {
			node_cap[order[k + i].node] += out[i];
			left -= out[i];
		}
		free(want);
		free(out);
		free(none);
		k = e;
	}
	/* What nobody wanted stays spread over all, so caps sum to alloc. */
	if (left > 1e-6)
		for (k = 0; k < n; k++)
			node_cap[order[k].node] += left / n;
	free(order);
	return 0;
}

int
powalloc_allocate(const struct powalloc_input *in, struct powalloc_result *res)
{
	double *want = NULL, *cap = NULL, limit = 0;
	int p, i;

	memset(res, 0, sizeof(*res));
	res->pod_alloc_w = calloc(in->npods + 1, sizeof(double));
	res->node_cap_w = calloc(in->nnodes + 1, sizeof(double));
	want = calloc(in->npods + 1, sizeof(double));
	cap = calloc(in->npods + 1, sizeof(double));
	if (res->pod_alloc_w == NULL || res->node_cap_w == NULL ||
	    want == NULL || cap == NULL)
		goto fail;
	for (p = 0; p < in->npods; p++) {
		cap[p] = in->pods[p].budget_w;
		limit += cap[p];
	}
	if (in->facility_cap_w > 0 && in->facility_cap_w < limit)
		limit = in->facility_cap_w;
	if (in->curtail_frac > 0 && in->curtail_base_w > 0 &&
	    in->curtail_base_w * (1 - in->curtail_frac) < limit)
		limit = in->curtail_base_w * (1 - in->curtail_frac);
	res->fabric_limit_w = limit;
	for (i = 0; i < in->nnodes; i++)
		if (in->nodes[i].up)
			want[in->nodes[i].pod] +=
			    powalloc_demand(&in->nodes[i]);
	/* Pods that want little keep what they want; the rest share. */
	waterfill(limit, want, cap, in->npods, res->pod_alloc_w);
	for (p = 0; p < in->npods; p++) {
		/* slack a pod leaves stays usable by it up to its budget */
		double spare = limit;

		for (i = 0; i < in->npods; i++)
			spare -= res->pod_alloc_w[i];
		if (spare > 0 && res->pod_alloc_w[p] < cap[p])
			res->pod_alloc_w[p] =
			    fmin(cap[p], res->pod_alloc_w[p] + spare);
		if (split_pod(in, p, res->pod_alloc_w[p], res->node_cap_w) ==
		    -1)
			goto fail;
	}
	free(want);
	free(cap);
	return 0;
fail:
	free(want);
	free(cap);
	powalloc_result_free(res);
	return -1;
}

void
powalloc_result_free(struct powalloc_result *res)
{
	free(res->pod_alloc_w);
	free(res->node_cap_w);
	memset(res, 0, sizeof(*res));
}
