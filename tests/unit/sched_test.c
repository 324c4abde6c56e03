/*
 * The scheduler on hand-built fabrics: placement (group, pod, fabric, best
 * fit, shared jobs on partly used nodes), priority and aging, FCFS
 * blocking, EASY backfill and its reservation, CONSERVATIVE, the reasons,
 * admission (power and heat room, spent down the queue, held by
 * reservations),
 * node sets (partitions, reservations) and quotas (QOS and array limits),
 * preemption's choice of the fewest jobs to stop,
 * sched_check()'s messages, and a seeded property test that EASY never
 * delays the top job and that no accelerator is ever given twice.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "preempt.h"
#include "sched.h"
#include "schedview.h"

#define MAXN  64 /* nodes in a test fabric */
#define MAXR  96 /* running jobs */
#define MAXP  32 /* pending jobs */
#define G     SCHED_WITHIN_GROUP
#define P     SCHED_WITHIN_POD
#define F     SCHED_WITHIN_FABRIC
#define HOUR  3600000LL
#define NOCHK 0xffffffffffffffffULL /* don't check the mask */
#define INF   INFINITY

/* A test fabric with its running and pending jobs. */
struct fab {
	struct sched_node nodes[MAXN];
	int nnodes, npods, ngroups;
	struct sched_running run[MAXR];
	struct sched_slot rslots[MAXR][MAXN];
	int nrun;
	struct sched_pending pend[MAXP];
	int npend;
};

static uint64_t
full_of(int naccels)
{
	return naccels >= 64 ? ~0ULL : (1ULL << naccels) - 1;
}

/* npods pods of gpp groups of npg nodes, each with naccels, all free. */
static void
fab_init(struct fab *f, int npods, int gpp, int npg, int naccels)
{
	int i;

	memset(f, 0, sizeof(*f));
	f->npods = npods;
	f->ngroups = npods * gpp;
	f->nnodes = npods * gpp * npg;
	for (i = 0; i < f->nnodes; i++) {
		f->nodes[i].pod = i / (gpp * npg);
		f->nodes[i].group = i / npg;
		f->nodes[i].naccels = naccels;
		f->nodes[i].usable = 1;
		f->nodes[i].free_mask = full_of(naccels);
	}
}

/* A running job on the nodes listed (ending with -1): whole nodes if excl,
 * else the lowest `accels` free accelerators of each. */
static void
fab_run(struct fab *f, int64_t end_ms, int excl, int accels, const int *nodes)
{
	struct sched_running *r = &f->run[f->nrun];
	struct sched_slot *s = f->rslots[f->nrun];
	uint64_t m, fm;
	int i, a;

	r->end_ms = end_ms;
	r->exclusive = excl;
	r->slots = s;
	for (i = 0; nodes[i] >= 0; i++) {
		fm = f->nodes[nodes[i]].free_mask;
		m = 0;
		if (excl)
			m = full_of(f->nodes[nodes[i]].naccels);
		else
			for (a = 0; a < accels && fm != 0; a++) {
				m |= fm & -fm;
				fm &= fm - 1;
			}
		s[i].node = nodes[i];
		s[i].mask = m;
		f->nodes[nodes[i]].free_mask &= ~m;
	}
	r->nslots = i;
	f->nrun++;
}

static void
fab_job(struct fab *f, int64_t id, int64_t prio, int64_t submit_ms, int nnodes,
    int apn, int excl, enum sched_within within, int64_t limit_ms)
{
	struct sched_pending *p = &f->pend[f->npend++];

	p->id = id;
	p->prio = prio;
	p->submit_ms = submit_ms;
	p->req.nnodes = nnodes;
	p->req.accels_per_node = apn;
	p->req.exclusive = excl;
	p->req.within = within;
	p->req.time_limit_ms = limit_ms;
}

static struct sched_input
fab_input(const struct fab *f, int64_t now_ms, enum sched_policy pol)
{
	struct sched_input in;

	memset(&in, 0, sizeof(in));
	in.now_ms = now_ms;
	in.policy = pol;
	in.age_weight_per_h = 0;
	in.age_cap_h = 0;
	in.nodes = f->nodes;
	in.nnodes = f->nnodes;
	in.npods = f->npods;
	in.ngroups = f->ngroups;
	in.running = f->run;
	in.nrunning = f->nrun;
	in.pending = f->pend;
	in.npending = f->npend;
	return in;
}

static int
slot_cmp(const void *a, const void *b)
{
	return ((const struct sched_slot *)a)->node -
	       ((const struct sched_slot *)b)->node;
}

/* Whether decision d took exactly the nodes in want (ascending, -1 ends). */
static int
took_nodes(struct sched_decision *d, const int *want)
{
	int i;

	qsort(d->slots, d->nslots, sizeof(*d->slots), slot_cmp);
	for (i = 0; want[i] >= 0; i++)
		if (i >= d->nslots || d->slots[i].node != want[i])
			return 0;
	return i == d->nslots;
}

/*
 * Checks every start of a result against the input: the right count of
 * distinct usable nodes in one group or pod as asked, only accelerators
 * free before the pass, none given twice, whole nodes for exclusive jobs
 * and nothing beside them. Returns the number of violations.
 */
static int
validate(const struct sched_input *in, const struct sched_result *res)
{
	uint64_t used[MAXN];
	int excl_held[MAXN], i, j, k, bad = 0, nd;
	const struct sched_request *r;
	const struct sched_decision *d;

	for (i = 0; i < in->nnodes; i++) {
		used[i] = ~in->nodes[i].free_mask;
		excl_held[i] = 0;
	}
	for (i = 0; i < in->nrunning; i++)
		if (in->running[i].exclusive)
			for (j = 0; j < in->running[i].nslots; j++)
				excl_held[in->running[i].slots[j].node] = 1;
	for (i = 0; i < res->npending; i++) {
		d = &res->d[i];
		r = &in->pending[i].req;
		if (d->reason != SCHED_R_NONE) {
			bad += d->nslots != 0;
			continue;
		}
		bad += d->nslots != r->nnodes;
		for (j = 0; j < d->nslots; j++) {
			nd = d->slots[j].node;
			if (nd < 0 || nd >= in->nnodes ||
			    !in->nodes[nd].usable) {
				bad++;
				continue;
			}
			for (k = 0; k < j; k++)
				bad += d->slots[k].node == nd;
			if (r->within == SCHED_WITHIN_GROUP)
				bad += in->nodes[nd].group !=
				       in->nodes[d->slots[0].node].group;
			if (r->within == SCHED_WITHIN_POD)
				bad += in->nodes[nd].pod !=
				       in->nodes[d->slots[0].node].pod;
			bad += excl_held[nd] != 0;
			bad += (used[nd] & d->slots[j].mask) != 0;
			if (r->exclusive) {
				bad +=
				    used[nd] != ~full_of(in->nodes[nd].naccels);
				bad += d->slots[j].mask !=
				       full_of(in->nodes[nd].naccels);
				excl_held[nd] = 1;
			} else {
				bad += __builtin_popcountll(d->slots[j].mask) !=
				       r->accels_per_node;
			}
			used[nd] |= d->slots[j].mask;
		}
	}
	return bad;
}

/* Placement ---------------------------------------------------------------- */

enum setup { SETUP_EXCL, SETUP_SHARED, SETUP_SPREAD };

/*
 * One job alone on a prepared fabric. SETUP_EXCL: 2 pods x 2 groups x 4
 * nodes x 8 accelerators with nodes 0-2, 4-5 and 12 held by exclusive
 * jobs, so the groups have 1, 2, 4 and 3 free nodes. SETUP_SHARED: one
 * group of 4 nodes with 2, 4, 8 and (held by an exclusive job that asked
 * for 4) 4 free accelerators. SETUP_SPREAD: 2 pods of 3 groups of 4 nodes
 * x 8; pod 0 is free, pod 1's groups have 2 nodes with 8 free (the
 * others held), 2 nodes with 4 (the others held) and 4 nodes with 1: the
 * last one has more nodes a job of one accelerator may take than the
 * other two, and the fewest free accelerators.
 */
static const struct place_case {
	const char *name;
	enum setup setup;
	struct sched_request req; /* nnodes, apn, exclusive, within, limit */
	enum sched_reason reason;
	int nodes[16];  /* expected nodes, ascending, -1 ends */
	uint64_t mask0; /* expected mask on the first node, or NOCHK */
} place_cases[] = {
    {"group best fit: the fuller group", SETUP_EXCL, {2, 8, 1, G, 10},
        SCHED_R_NONE, {6, 7, -1}, 0xff},
    {"group best fit of 3", SETUP_EXCL, {3, 8, 1, G, 10}, SCHED_R_NONE,
        {13, 14, 15, -1}, NOCHK},
    {"group of 4", SETUP_EXCL, {4, 8, 1, G, 10}, SCHED_R_NONE,
        {8, 9, 10, 11, -1}, NOCHK},
    {"group larger than any", SETUP_EXCL, {5, 8, 1, G, 10}, SCHED_R_NEVER, {-1},
        NOCHK},
    {"pod, one node: tightest group", SETUP_EXCL, {1, 0, 1, P, 10},
        SCHED_R_NONE, {3, -1}, NOCHK},
    {"pod: fewest groups, fullest first", SETUP_EXCL, {5, 8, 1, P, 10},
        SCHED_R_NONE, {8, 9, 10, 11, 13, -1}, NOCHK},
    {"pod: not now", SETUP_EXCL, {8, 8, 1, P, 10}, SCHED_R_RESOURCES, {-1},
        NOCHK},
    {"pod larger than any", SETUP_EXCL, {9, 8, 1, P, 10}, SCHED_R_NEVER, {-1},
        NOCHK},
    {"fabric in one group", SETUP_EXCL, {3, 8, 1, F, 10}, SCHED_R_NONE,
        {13, 14, 15, -1}, NOCHK},
    {"fabric in one pod", SETUP_EXCL, {6, 8, 1, F, 10}, SCHED_R_NONE,
        {8, 9, 10, 11, 13, 14, -1}, NOCHK},
    {"fabric over two pods", SETUP_EXCL, {9, 8, 1, F, 10}, SCHED_R_NONE,
        {6, 7, 8, 9, 10, 11, 13, 14, 15, -1}, NOCHK},
    {"fabric: everything free", SETUP_EXCL, {10, 8, 1, F, 10}, SCHED_R_NONE,
        {3, 6, 7, 8, 9, 10, 11, 13, 14, 15, -1}, NOCHK},
    {"fabric: not now", SETUP_EXCL, {11, 8, 1, F, 10}, SCHED_R_RESOURCES, {-1},
        NOCHK},
    {"shared in the tightest group", SETUP_EXCL, {1, 4, 0, G, 10}, SCHED_R_NONE,
        {3, -1}, 0x0f},
    {"shared fills the fullest node", SETUP_SHARED, {1, 2, 0, G, 10},
        SCHED_R_NONE, {0, -1}, 0xc0},
    {"shared: next fullest that holds 3", SETUP_SHARED, {1, 3, 0, G, 10},
        SCHED_R_NONE, {1, -1}, 0x70},
    {"shared on two nodes", SETUP_SHARED, {2, 4, 0, G, 10}, SCHED_R_NONE,
        {1, 2, -1}, 0xf0},
    {"shared: not beside an exclusive job", SETUP_SHARED, {1, 5, 0, G, 10},
        SCHED_R_NONE, {2, -1}, 0x1f},
    {"shared: two of 5 do not fit", SETUP_SHARED, {2, 5, 0, G, 10},
        SCHED_R_RESOURCES, {-1}, NOCHK},
    {"exclusive: only the whole node", SETUP_SHARED, {1, 1, 1, G, 10},
        SCHED_R_NONE, {2, -1}, 0xff},
    {"exclusive: partly used nodes are not free", SETUP_SHARED,
        {2, 1, 1, G, 10}, SCHED_R_RESOURCES, {-1}, NOCHK},
    {"best fit: fewest eligible nodes, then fewest free", SETUP_SPREAD,
        {1, 1, 0, G, 10}, SCHED_R_NONE, {16, -1}, 0x10},
    {"best fit in a pod, the same", SETUP_SPREAD, {1, 1, 0, P, 10},
        SCHED_R_NONE, {16, -1}, 0x10},
    {"best fit of 3: the fewest free of 4", SETUP_SPREAD, {3, 1, 0, G, 10},
        SCHED_R_NONE, {20, 21, 22, -1}, 0x80},
    {"fabric: the rest in the best group of the last pod", SETUP_SPREAD,
        {13, 1, 0, F, 10}, SCHED_R_NONE,
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, -1}, 0x01},
};

static void
setup_fab(struct fab *f, enum setup s)
{
	if (s == SETUP_EXCL) {
		fab_init(f, 2, 2, 4, 8);
		fab_run(f, 1000, 1, 8, (const int[]){0, 1, 2, -1});
		fab_run(f, 1000, 1, 8, (const int[]){4, 5, -1});
		fab_run(f, 1000, 1, 8, (const int[]){12, -1});
		return;
	}
	if (s == SETUP_SPREAD) {
		fab_init(f, 2, 3, 4, 8);
		fab_run(f, 1000, 1, 8, (const int[]){14, 15, -1});
		fab_run(f, 1000, 0, 4, (const int[]){16, 17, -1});
		fab_run(f, 1000, 1, 8, (const int[]){18, 19, -1});
		fab_run(f, 1000, 0, 7, (const int[]){20, 21, 22, 23, -1});
		return;
	}
	fab_init(f, 1, 1, 4, 8);
	fab_run(f, 1000, 0, 6, (const int[]){0, -1});
	fab_run(f, 1000, 0, 4, (const int[]){1, -1});
	fab_run(f, 1000, 1, 4, (const int[]){3, -1});
	/* a caller that gave an exclusive job 4 of 8 accelerators */
	f->rslots[2][0].mask = 0x0f;
	f->nodes[3].free_mask = 0xf0;
}

static void
test_placement(void)
{
	const struct place_case *c;
	struct sched_input in;
	struct sched_result res;
	struct fab f;
	size_t i;

	for (i = 0; i < sizeof(place_cases) / sizeof(place_cases[0]); i++) {
		c = &place_cases[i];
		setup_fab(&f, c->setup);
		fab_job(&f, 1, 0, 0, c->req.nnodes, c->req.accels_per_node,
		    c->req.exclusive, c->req.within, c->req.time_limit_ms);
		in = fab_input(&f, 0, SCHED_EASY);
		if (sched_pass(&in, &res) == -1) {
			CHECK(0, "%s", c->name);
			continue;
		}
		CHECK(res.d[0].reason == c->reason, "%s", c->name);
		CHECK(validate(&in, &res) == 0, "%s", c->name);
		if (c->reason == SCHED_R_NONE) {
			CHECK(took_nodes(&res.d[0], c->nodes), "%s", c->name);
			if (c->mask0 != NOCHK)
				CHECK(res.d[0].slots[0].mask == c->mask0, "%s",
				    c->name);
		}
		sched_result_free(&res);
	}
}

/* Priority and aging ---------------------------------------------------------
 */

static const struct prio_case {
	int64_t prio, submit_ms, now_ms;
	double weight_per_h;
	int64_t cap_h;
	double want;
} prio_cases[] = {
    {10, 0, 5 * HOUR, 1.0, 72, 15},
    {10, 0, 5 * HOUR, 1.0, 3, 13},
    {10, 0, 5 * HOUR / 2, 2.0, 72, 15},
    {10, 2 * HOUR, 0, 1.0, 72, 10}, /* submitted "later": no aging */
    {10, 0, 5 * HOUR, 2.5, 0, 10},  /* no cap: no aging */
    {-5, 0, 10 * HOUR, 0.5, 72, 0},
};

/* Which of the pending jobs starts when exactly one node is free. */
static int64_t
first_started(struct fab *f, int64_t now_ms, double w, int64_t cap_h)
{
	struct sched_input in = fab_input(f, now_ms, SCHED_FCFS);
	struct sched_result res;
	int64_t id = -1;
	int i;

	in.age_weight_per_h = w;
	in.age_cap_h = cap_h;
	if (sched_pass(&in, &res) == -1)
		return -2;
	for (i = 0; i < res.npending; i++)
		if (res.d[i].reason == SCHED_R_NONE)
			id = f->pend[i].id;
	sched_result_free(&res);
	return id;
}

static void
test_priority(void)
{
	const struct prio_case *c;
	struct sched_input in;
	struct sched_pending p;
	struct fab f;
	size_t i;

	memset(&in, 0, sizeof(in));
	memset(&p, 0, sizeof(p));
	for (i = 0; i < sizeof(prio_cases) / sizeof(prio_cases[0]); i++) {
		c = &prio_cases[i];
		in.now_ms = c->now_ms;
		in.age_weight_per_h = c->weight_per_h;
		in.age_cap_h = c->cap_h;
		p.prio = c->prio;
		p.submit_ms = c->submit_ms;
		CHECK(sched_priority(&in, &p) == c->want);
	}
	/* an old low-priority job overtakes a new higher one, up to the cap */
	fab_init(&f, 1, 1, 1, 8);
	fab_job(&f, 1, 100, 60 * HOUR, 1, 8, 1, G, HOUR);
	fab_job(&f, 2, 50, 0, 1, 8, 1, G, HOUR);
	CHECK(first_started(&f, 60 * HOUR, 1.0, 72) == 2);
	CHECK(first_started(&f, 60 * HOUR, 1.0, 24) == 1);
	CHECK(first_started(&f, 60 * HOUR, 0.0, 72) == 1);
	/* ties: the earlier submission, then the lower id */
	fab_init(&f, 1, 1, 1, 8);
	fab_job(&f, 7, 5, 10, 1, 8, 1, G, HOUR);
	fab_job(&f, 9, 5, 5, 1, 8, 1, G, HOUR);
	CHECK(first_started(&f, 100, 0, 0) == 9);
	fab_init(&f, 1, 1, 1, 8);
	fab_job(&f, 7, 5, 10, 1, 8, 1, G, HOUR);
	fab_job(&f, 3, 5, 10, 1, 8, 1, G, HOUR);
	CHECK(first_started(&f, 100, 0, 0) == 3);
}

/*
 * The queue's order, whole: n jobs of one whole node each on a group of n
 * free nodes, so that the job ranked k takes node k (the lowest free).
 * Columns: id, configured priority, submit time, the rank it should get.
 */
struct rank_case {
	int64_t id, prio, submit_ms;
	int rank;
};

static const struct rank_case rank_mixed[] = {
    /* now 10 h, 1 point an hour: jobs submitted at 0 get 10 */
    {10, 5, 0, 2},               /* 15 */
    {11, -3, 0, 7},              /* 7 */
    {12, 1LL << 40, 0, 1},       /* 2^40 + 10 */
    {13, (1LL << 40) + 1, 0, 0}, /* 2^40 + 11: apart in a low byte */
    {14, 5, 0, 4},               /* 15, a higher id */
    {9, 6, HOUR, 5},             /* 15, submitted later */
    {10, 5, 0, 3},               /* the first one again: input order */
    {15, -(1LL << 40), 0, 11},   /* -2^40 + 10 */
    {16, -10, 0, 9},             /* 0 */
    {17, -3, 0, 8},              /* 7, a higher id */
    {18, 5, HOUR / 2, 6},        /* 14.5 */
    {19, -11, 0, 10},            /* -1 */
};

/* Infinite aging: the jobs submitted now have a NaN priority, which
 * compares with nothing; the others +inf. The merge of the comparison
 * then keeps the input order. */
static const struct rank_case rank_nan[] = {
    {1, 1, 0, 0},
    {2, 2, 10 * HOUR, 1},
    {3, 3, 0, 2},
    {4, 4, 10 * HOUR, 3},
    {5, 5, 10 * HOUR, 4},
    {6, 6, 0, 5},
};

static void
check_ranks(const char *name, const struct rank_case *c, int n, double weight)
{
	struct sched_result res;
	struct sched_input in;
	struct fab f;
	int i;

	fab_init(&f, 1, 1, n, 1);
	for (i = 0; i < n; i++)
		fab_job(
		    &f, c[i].id, c[i].prio, c[i].submit_ms, 1, 1, 1, G, HOUR);
	in = fab_input(&f, 10 * HOUR, SCHED_FCFS);
	in.age_weight_per_h = weight;
	in.age_cap_h = 1000;
	REQUIRE(sched_pass(&in, &res) == 0, "%s", name);
	for (i = 0; i < n; i++)
		CHECK(res.d[i].reason == SCHED_R_NONE && res.d[i].nslots == 1 &&
		          res.d[i].slots[0].node == c[i].rank,
		    "%s: job %d ranked %d", name, i,
		    res.d[i].nslots == 1 ? res.d[i].slots[0].node : -1);
	sched_result_free(&res);
fail:
	return;
}

static void
test_queue_order(void)
{
	check_ranks("mixed", rank_mixed, NELEM(rank_mixed), 1.0);
	check_ranks("NaN", rank_nan, NELEM(rank_nan), INFINITY);
}

/* Policies -------------------------------------------------------------------
 */

/* A policy scenario: expected reason and reservation start per job. */
struct want {
	enum sched_reason reason;
	int64_t start_ms; /* -1: don't check */
	int node;         /* the single node it starts on, -1: don't check */
};

static void
check_wants(const char *name, struct fab *f, enum sched_policy pol,
    const struct want *w)
{
	struct sched_input in = fab_input(f, 0, pol);
	struct sched_result res;
	int i;

	if (sched_pass(&in, &res) == -1) {
		CHECK(0, "%s", name);
		return;
	}
	CHECK(validate(&in, &res) == 0, "%s", name);
	for (i = 0; i < f->npend; i++) {
		if (res.d[i].reason != w[i].reason)
			printf("  %s: job %" PRId64 ": %s, want %s\n", name,
			    f->pend[i].id, sched_reason_name(res.d[i].reason),
			    sched_reason_name(w[i].reason));
		CHECK(res.d[i].reason == w[i].reason, "%s", name);
		if (w[i].start_ms >= 0)
			CHECK(res.d[i].start_ms == w[i].start_ms, "%s", name);
		if (w[i].node >= 0)
			CHECK(res.d[i].nslots == 1 &&
			          res.d[i].slots[0].node == w[i].node,
			    "%s", name);
	}
	sched_result_free(&res);
}

/*
 * One pod, two groups of 4 nodes. Nodes 0-1 are busy until 100, nodes 4-6
 * until 300; 2, 3 and 7 are free. J1 needs a whole group: it gets group 0
 * at 100. EASY backfills J2 on node 7 (not reserved), refuses J3 (would
 * hold node 2 or 3 past 100), starts J4 (ends at 100, when J1 starts),
 * refuses J5 (ends at 101); J6 does not fit at all.
 */
static void
easy_fab(struct fab *f)
{
	fab_init(f, 1, 2, 4, 8);
	fab_run(f, 100, 1, 8, (const int[]){0, 1, -1});
	fab_run(f, 300, 1, 8, (const int[]){4, 5, 6, -1});
	fab_job(f, 1, 10, 0, 4, 8, 1, G, 1000);
	fab_job(f, 2, 9, 0, 1, 8, 1, P, 1000);
	fab_job(f, 3, 8, 0, 1, 8, 1, P, 1000);
	fab_job(f, 4, 7, 0, 1, 8, 1, P, 100);
	fab_job(f, 5, 6, 0, 1, 8, 1, P, 101);
	fab_job(f, 6, 5, 0, 2, 8, 1, P, 50);
}

static void
test_fcfs_easy(void)
{
	static const struct want easy[] = {
	    {SCHED_R_RESOURCES, 100, -1},
	    {SCHED_R_NONE, 0, 7},
	    {SCHED_R_RESERVATION, 0, -1},
	    {SCHED_R_NONE, 0, 2},
	    {SCHED_R_RESERVATION, 0, -1},
	    {SCHED_R_RESOURCES, 0, -1},
	};
	static const struct want fcfs[] = {
	    {SCHED_R_RESOURCES, 100, -1},
	    {SCHED_R_PRIORITY, 0, -1},
	    {SCHED_R_PRIORITY, 0, -1},
	    {SCHED_R_PRIORITY, 0, -1},
	    {SCHED_R_PRIORITY, 0, -1},
	    {SCHED_R_PRIORITY, 0, -1},
	};
	struct fab f;

	easy_fab(&f);
	check_wants("EASY", &f, SCHED_EASY, easy);
	check_wants("FCFS", &f, SCHED_FCFS, fcfs);
}

/*
 * The reservation's start, by hand. One group of 8 nodes: A holds 0-2
 * until 300, B 3-4 until 100, C node 5 until 200; 6 and 7 are free. Five
 * nodes: 2 now, 4 at 100, 5 at 200. A shared job of 6 accelerators on a
 * node where 2 are free and two shared jobs of 3 end at 150 and 250 (and
 * every other node is held): 5 at 150, 8 at 250. A job that should have
 * ended already is due any moment: now + 1.
 */
static void
test_reservation_time(void)
{
	static const struct want w5[] = {{SCHED_R_RESOURCES, 200, -1}};
	static const struct want w6[] = {{SCHED_R_RESOURCES, 250, -1}};
	static const struct want wlate[] = {{SCHED_R_RESOURCES, 1, -1}};
	struct fab f;

	fab_init(&f, 1, 1, 8, 8);
	fab_run(&f, 300, 1, 8, (const int[]){0, 1, 2, -1});
	fab_run(&f, 100, 1, 8, (const int[]){3, 4, -1});
	fab_run(&f, 200, 1, 8, (const int[]){5, -1});
	fab_job(&f, 1, 0, 0, 5, 8, 1, G, 10);
	check_wants("reservation of 5 nodes", &f, SCHED_EASY, w5);
	check_wants("FCFS estimate of 5 nodes", &f, SCHED_FCFS, w5);

	fab_init(&f, 1, 1, 2, 8);
	fab_run(&f, 150, 0, 3, (const int[]){0, -1});
	fab_run(&f, 250, 0, 3, (const int[]){0, -1});
	fab_run(&f, 1000, 1, 8, (const int[]){1, -1});
	fab_job(&f, 1, 0, 0, 1, 6, 0, G, 10);
	check_wants("reservation of 6 accelerators", &f, SCHED_EASY, w6);

	fab_init(&f, 1, 1, 1, 8);
	fab_run(&f, -5, 1, 8, (const int[]){0, -1});
	fab_job(&f, 1, 0, 0, 1, 8, 1, G, 10);
	check_wants("overdue job", &f, SCHED_EASY, wlate);
}

/*
 * CONSERVATIVE against EASY. One group of 4 nodes, 0-1 busy until 100.
 * J1 (3 nodes, 1000) gets nodes 0-2 at 100; J2 (4 nodes) waits for J1,
 * until 1100. J3 (1 node for 5000) fits now on node 3: EASY starts it,
 * which delays J2; CONSERVATIVE gives it 1200, after J2. J4 (1 node for
 * 1101) would overlap J2 by 1 ms: 1200 too. J5 (1 node for 1100) ends as
 * J2 starts: CONSERVATIVE starts it on node 3.
 */
static void
test_conservative(void)
{
	static const struct want cons[] = {
	    {SCHED_R_RESOURCES, 100, -1},
	    {SCHED_R_RESOURCES, 1100, -1},
	    {SCHED_R_RESERVATION, 1200, -1},
	    {SCHED_R_RESERVATION, 1200, -1},
	    {SCHED_R_NONE, 0, 3},
	};
	static const struct want easy[] = {
	    {SCHED_R_RESOURCES, 100, -1},
	    {SCHED_R_RESOURCES, 0, -1},
	    {SCHED_R_NONE, 0, 3},
	    {SCHED_R_RESERVATION, 0, -1},
	    {SCHED_R_RESERVATION, 0, -1},
	};
	struct fab f;

	fab_init(&f, 1, 1, 4, 8);
	fab_run(&f, 100, 1, 8, (const int[]){0, 1, -1});
	fab_job(&f, 1, 4, 0, 3, 8, 1, G, 1000);
	fab_job(&f, 2, 3, 0, 4, 8, 1, G, 100);
	fab_job(&f, 3, 2, 0, 1, 8, 1, G, 5000);
	fab_job(&f, 4, 1, 0, 1, 8, 1, G, 1101);
	fab_job(&f, 5, 0, 0, 1, 8, 1, G, 1100);
	check_wants("CONSERVATIVE", &f, SCHED_CONSERVATIVE, cons);
	check_wants("EASY beside CONSERVATIVE", &f, SCHED_EASY, easy);
}

/*
 * CONSERVATIVE's unit skip: the group whose lower bound (the first
 * instant enough of its nodes are free at once) is earliest is not always
 * where the job starts. One pod of three groups of 2: A (nodes 0-1) busy
 * until 100, B (2-3) until 300, C (4-5) until 250. J1 (4 nodes in the
 * pod, for 1000) gets A and C at 250. J2 (2 nodes in a group, for 500):
 * A is free at 100 (its bound) but only until 250; its start is 300 in
 * B, searched because B's bound (300) is earlier than A's start (1250).
 */
static void
test_conservative_bound(void)
{
	static const struct want cons[] = {
	    {SCHED_R_RESOURCES, 250, -1},
	    {SCHED_R_RESOURCES, 300, -1},
	};
	struct fab f;

	fab_init(&f, 1, 3, 2, 8);
	fab_run(&f, 100, 1, 8, (const int[]){0, 1, -1});
	fab_run(&f, 300, 1, 8, (const int[]){2, 3, -1});
	fab_run(&f, 250, 1, 8, (const int[]){4, 5, -1});
	fab_job(&f, 1, 2, 0, 4, 8, 1, P, 1000);
	fab_job(&f, 2, 1, 0, 2, 8, 1, G, 500);
	check_wants(
	    "CONSERVATIVE past the lowest bound", &f, SCHED_CONSERVATIVE, cons);
}

/*
 * CONSERVATIVE's bounds per class of time limits, on the same shape in
 * hours: A (nodes 0-1) busy until 1 h, B (2-3) until 3 h, C (4-5) until
 * 2.5 h. J1 (4 nodes in the pod, 10 h) gets A and C at 2.5 h. J2 (2 nodes
 * in a group, 5 h): A's run [1 h, 2.5 h) is too short for its class, so
 * A's bound is past J1's end and B's 3 h is the start. J3 (2 nodes, 1 h)
 * fits that run of A at 1 h. J4 (the same class) finds A's bound stale
 * (J3's reservation left it [2 h, 2.5 h), shorter than the class), and
 * waits for B after J2, at 8 h. A bound that was not a bound would start
 * J2 or J4 too late, in the unit searched first.
 */
static void
test_conservative_classes(void)
{
	static const struct want cons[] = {
	    {SCHED_R_RESOURCES, 5 * HOUR / 2, -1},
	    {SCHED_R_RESOURCES, 3 * HOUR, -1},
	    {SCHED_R_RESOURCES, 1 * HOUR, -1},
	    {SCHED_R_RESOURCES, 8 * HOUR, -1},
	};
	struct fab f;

	fab_init(&f, 1, 3, 2, 8);
	fab_run(&f, 1 * HOUR, 1, 8, (const int[]){0, 1, -1});
	fab_run(&f, 3 * HOUR, 1, 8, (const int[]){2, 3, -1});
	fab_run(&f, 5 * HOUR / 2, 1, 8, (const int[]){4, 5, -1});
	fab_job(&f, 1, 4, 0, 4, 8, 1, P, 10 * HOUR);
	fab_job(&f, 2, 3, 0, 2, 8, 1, G, 5 * HOUR);
	fab_job(&f, 3, 2, 0, 2, 8, 1, G, 1 * HOUR);
	fab_job(&f, 4, 1, 0, 2, 8, 1, G, 1 * HOUR);
	check_wants(
	    "CONSERVATIVE by class of limit", &f, SCHED_CONSERVATIVE, cons);
}

/*
 * CONSERVATIVE places a reservation in a view of its window that leaves
 * out only the units that cannot hold it then. One pod of three groups of
 * 2: A (nodes 0-1) busy until 2 h, B (2-3) node 2 until 2 h and node 3
 * until 5 h, C (4-5) until 3 h. J1 (one node, 1 h) starts at 2 h in A or
 * B; A is searched first and B, whose bound is no earlier, is not, yet
 * the tightest fit is B's node 2. So J2 (2 nodes in a group, 1 h) finds
 * A whole at 2 h; had J1 gone to A, J2 would wait until 3 h.
 */
static void
test_conservative_window(void)
{
	static const struct want cons[] = {
	    {SCHED_R_RESOURCES, 2 * HOUR, -1},
	    {SCHED_R_RESOURCES, 2 * HOUR, -1},
	};
	struct fab f;

	fab_init(&f, 1, 3, 2, 8);
	fab_run(&f, 2 * HOUR, 1, 8, (const int[]){0, 1, 2, -1});
	fab_run(&f, 5 * HOUR, 1, 8, (const int[]){3, -1});
	fab_run(&f, 3 * HOUR, 1, 8, (const int[]){4, 5, -1});
	fab_job(&f, 1, 2, 0, 1, 8, 1, G, HOUR);
	fab_job(&f, 2, 1, 0, 2, 8, 1, G, HOUR);
	check_wants("CONSERVATIVE's window, tightest fit", &f,
	    SCHED_CONSERVATIVE, cons);
}

/*
 * The views' bit count and sv_set(): a view changed node by node keeps
 * the same summaries as one rebuilt from its masks.
 */
static void
test_view_set(void)
{
	struct sched_input in;
	struct sv_topo t;
	struct sv_view a, b;
	struct fab f;
	uint64_t s = 7, m;
	int i, nd, same = 1, popc_ok = 1;

	for (i = 0; i < 10000; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		m = s >> (s & 63);
		if (sv_popc(m) != __builtin_popcountll(m))
			popc_ok = 0;
	}
	CHECK(popc_ok);
	fab_init(&f, 2, 2, 4, 8);
	f.nodes[5].usable = 0;
	in = fab_input(&f, 0, SCHED_CONSERVATIVE);
	CHECK(sv_topo_build(&t, &in) == 0);
	CHECK(sv_alloc(&a, &t) == 0 && sv_alloc(&b, &t) == 0);
	for (i = 0; i < 2000; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		nd = (int)(s >> 33) % f.nnodes;
		m = (s >> 8) & 0xff;
		if (i % 3 == 0)
			m = 0xff;
		sv_set(&a, nd, m);
		memcpy(b.mask, a.mask, f.nnodes * sizeof(*b.mask));
		sv_rebuild(&b);
		/* row (shared, 0) is never asked (a job needs at least one
		 * accelerator) and sv_set() leaves it */
		if (memcmp(a.cnt + a.nlv, b.cnt + b.nlv,
		        ((size_t)2 * t.na - 1) * a.nlv * sizeof(int)) != 0 ||
		    memcmp(a.facc, b.facc, a.nlv * sizeof(*a.facc)) != 0)
			same = 0;
	}
	CHECK(same);
	sv_free(&a);
	sv_free(&b);
	sv_topo_free(&t);
}

/*
 * sv_take_slots() and sv_give_slots(), which change a group's counts once
 * for a run of its slots: random allocations over one or more groups,
 * taken and given back (whole or not), keep the summaries of a view
 * rebuilt from the same masks, and the masks those of a node-by-node
 * reference; a view whose cache says a job cannot fit sees it fit once a
 * give frees room.
 */
static void
test_view_batch(void)
{
	static const unsigned char allow[16] = {
	    1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1};
	struct sched_request r = {2, 8, 1, G, 10};
	struct sched_slot sl[8];
	struct sched_input in;
	struct sv_topo t;
	struct sv_view a, b;
	struct fab f;
	uint64_t s = 11, ref[16], m;
	int i, k, n, nd, whole, same = 1, masks = 1;

	fab_init(&f, 2, 2, 4, 8);
	f.nodes[5].usable = 0;
	f.nodes[9].free_mask = 0x0f; /* given back whole: these too */
	in = fab_input(&f, 0, SCHED_EASY);
	REQUIRE(sv_topo_build(&t, &in) == 0);
	CHECK(sv_alloc(&a, &t) == 0 && sv_alloc(&b, &t) == 0);
	for (nd = 0; nd < f.nnodes; nd++)
		a.mask[nd] = ref[nd] = t.open[nd] ? 0xff : 0;
	sv_rebuild(&a);
	a.allow = allow;
	for (i = 0; i < 3000; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		n = 1 + (int)((s >> 40) % 8);
		nd =
		    (int)((s >> 20) % (uint64_t)f.nnodes); /* a run, may wrap */
		for (k = 0; k < n; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			sl[k].node = (nd + k) % f.nnodes;
			sl[k].mask = (s >> 13) & 0xff;
		}
		whole = (int)(s >> 50) & 1;
		if (i % 2 == 0) {
			sv_take_slots(&a, sl, n);
			for (k = 0; k < n; k++)
				ref[sl[k].node] &= ~sl[k].mask;
		} else {
			sv_give_slots(&a, sl, n, whole);
			for (k = 0; k < n; k++) {
				nd = sl[k].node;
				m = sl[k].mask |
				    (whole ? f.nodes[nd].free_mask : 0);
				if (t.open[nd] && allow[nd])
					ref[nd] = (ref[nd] | m) & 0xff;
			}
		}
		if (memcmp(a.mask, ref, f.nnodes * sizeof(*ref)) != 0)
			masks = 0;
		memcpy(b.mask, a.mask, f.nnodes * sizeof(*b.mask));
		sv_rebuild(&b);
		if (memcmp(a.cnt + a.nlv, b.cnt + b.nlv,
		        ((size_t)2 * t.na - 1) * a.nlv * sizeof(int)) != 0 ||
		    memcmp(a.facc, b.facc, a.nlv * sizeof(*a.facc)) != 0)
			same = 0;
	}
	CHECK(masks);
	CHECK(same);
	/* full, then a node back in each of two groups: asked and cached;
	 * then two more in the group not cached */
	for (nd = 0; nd < f.nnodes; nd++) {
		sl[nd % 8].node = nd;
		sl[nd % 8].mask = 0xff;
		if (nd % 8 == 7)
			sv_take_slots(&a, sl, 8);
	}
	sl[0].node = 4; /* one node in each of groups 1 and 3 */
	sl[1].node = 12;
	sv_give_slots(&a, sl, 2, 0);
	CHECK(!sv_fits(&a, &r)); /* group 1 found first with the most */
	sl[0].node = 13;
	sl[1].node = 14;
	sv_give_slots(&a, sl, 2, 0);
	CHECK(sv_fits(&a, &r));
	sv_free(&a);
	sv_free(&b);
	sv_topo_free(&t);
fail:
	return;
}

/*
 * Placement in a view changed step by step (takes, gives, single nodes,
 * bursts of changes past the log) against a copy of it made just before,
 * which knows nothing of earlier placements: best_group()'s kept groups
 * and bound must always give what a scan finds.
 */
static void
test_view_best_group(void)
{
	struct sched_slot sl[8], pa[MAXN], pb[MAXN];
	struct sched_request r;
	struct sched_input in;
	struct sv_topo t;
	struct sv_view a, b;
	struct fab f;
	uint64_t s = 5;
	int i, j, k, n, nd, na, nb, q, same = 1, placed = 0;

	fab_init(&f, 4, 8, 2, 8); /* more groups than best_group() keeps */
	f.nodes[6].usable = 0;
	in = fab_input(&f, 0, SCHED_EASY);
	REQUIRE(sv_topo_build(&t, &in) == 0);
	CHECK(sv_alloc(&a, &t) == 0 && sv_alloc(&b, &t) == 0);
	for (nd = 0; nd < f.nnodes; nd++)
		a.mask[nd] = t.open[nd] ? 0xff : 0;
	sv_rebuild(&a);
	for (i = 0; i < 4000; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		switch ((int)((s >> 59) % 8)) {
		case 0: /* a placement taken, as a pass starts a job */
		case 1:
		case 2:
		case 3:
		case 4:
			r.nnodes = 1 + (int)((s >> 20) % 4);
			r.accels_per_node = 1 + (int)((s >> 30) % 8);
			r.exclusive = (int)((s >> 40) % 3) == 0;
			r.within = (s >> 44) % 2 ? G : P;
			r.time_limit_ms = 10;
			if (sv_place(&a, &r, pa) == r.nnodes)
				sv_take_slots(&a, pa, r.nnodes);
			break;
		case 5: /* a release: a few nodes of a group back */
		case 6:
			n = 1 + (int)((s >> 20) % 4);
			nd = (int)((s >> 24) % (uint64_t)f.nnodes);
			for (k = 0; k < n; k++) {
				sl[k].node = (nd + k) % f.nnodes;
				sl[k].mask = (s >> (8 + k)) & 0xff;
			}
			sv_give_slots(&a, sl, n, (int)(s >> 50) & 1);
			break;
		default: /* a burst of single changes, some past the log */
			n = (int)((s >> 20) % 3 == 0 ? 2 * SV_BG_LOG : 3);
			for (k = 0; k < n; k++) {
				s = s * 6364136223846793005ULL +
				    1442695040888963407ULL;
				sv_set(&a,
				    (int)((s >> 33) % (uint64_t)f.nnodes),
				    (s >> 8) & 0xff);
			}
		}
		/* a few shapes, asked of the view and of a fresh copy: each
		 * shape's kept groups age over many changes */
		sv_copy(&b, &a);
		for (k = 0; k < 3; k++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			q = (int)((s >> 33) % 64);
			r.exclusive = q / 32;
			r.accels_per_node = 1 + q / 4 % 8;
			r.nnodes = 1 + q % 4;
			r.within = P;
			r.time_limit_ms = 10;
			na = sv_place(&a, &r, pa);
			nb = sv_place(&b, &r, pb);
			if (na != nb)
				same = 0;
			for (j = 0; j < na && j < nb; j++)
				if (pa[j].node != pb[j].node ||
				    pa[j].mask != pb[j].mask)
					same = 0;
			placed += na > 0;
		}
	}
	CHECK(same);
	CHECK(placed > 3000, "%d", placed);
	/* whole nodes: groups 0 and 1 free, all that hold a job; then ten
	 * more given back, more than are kept; then the eight kept ones
	 * taken: the answer is one that was not kept */
	r.nnodes = 1;
	r.accels_per_node = 8;
	r.exclusive = 1;
	r.within = G;
	r.time_limit_ms = 10;
	for (nd = 0; nd < f.nnodes; nd++)
		a.mask[nd] = nd < 4 ? 0xff : 0;
	sv_rebuild(&a);
	CHECK(sv_place(&a, &r, pa) == 1 && pa[0].node == 0);
	for (k = 20; k < 40; k += 2) {
		sl[0].node = k;
		sl[1].node = k + 1;
		sl[0].mask = sl[1].mask = 0xff;
		sv_give_slots(&a, sl, 2, 0);
	}
	CHECK(sv_place(&a, &r, pa) == 1 && pa[0].node == 0);
	for (k = 0; k < 16; k++) {
		sl[k % 8].node = k < 4 ? k : 16 + k;
		sl[k % 8].mask = 0xff;
		if (k % 8 == 7)
			sv_take_slots(&a, sl, 8);
	}
	CHECK(sv_place(&a, &r, pa) == 1 && pa[0].node == 32, "%d", pa[0].node);
	sv_free(&a);
	sv_free(&b);
	sv_topo_free(&t);
fail:
	return;
}

/*
 * NodesDown against Resources and Never. One group of 4: nodes 0-1 down,
 * 2-3 busy until 100. Three nodes need the down ones (and do not block
 * FCFS: nothing they could wait for is known); two wait for 100; five
 * never fit; neither does a node of 9 accelerators.
 */
static void
test_nodes_down(void)
{
	static const struct want w[] = {
	    {SCHED_R_NODES_DOWN, 0, -1},
	    {SCHED_R_RESOURCES, 100, -1},
	    {SCHED_R_NEVER, 0, -1},
	    {SCHED_R_NEVER, 0, -1},
	    {SCHED_R_PRIORITY, 0, -1},
	};
	struct fab f;

	fab_init(&f, 1, 1, 4, 8);
	f.nodes[0].usable = 0;
	f.nodes[1].usable = 0;
	fab_run(&f, 100, 1, 8, (const int[]){2, 3, -1});
	fab_job(&f, 1, 5, 0, 3, 8, 1, G, 10);
	fab_job(&f, 2, 4, 0, 2, 8, 1, G, 10);
	fab_job(&f, 3, 3, 0, 5, 8, 1, G, 10);
	fab_job(&f, 4, 2, 0, 1, 9, 0, G, 10);
	fab_job(&f, 5, 1, 0, 1, 1, 0, G, 10);
	check_wants("NodesDown", &f, SCHED_FCFS, w);
}

/* sched_check -------------------------------------------------------------- */

/* On 2 pods x 2 groups x 4 nodes x 8 accelerators; hetero: the nodes of
 * group 0 have only 4. */
static const struct check_case {
	int hetero;
	struct sched_request req;
	enum sched_reason want;
	const char *why;
} check_cases[] = {
    {0, {4, 8, 1, G, 10}, SCHED_R_NONE, ""},
    {0, {16, 8, 1, F, 10}, SCHED_R_NONE, ""},
    {0, {5, 8, 1, G, 10}, SCHED_R_NEVER,
        "needs 5 nodes in one group; the largest group has 4"},
    {0, {9, 1, 0, P, 10}, SCHED_R_NEVER,
        "needs 9 nodes in one pod; the largest pod has 8"},
    {0, {17, 8, 1, F, 10}, SCHED_R_NEVER, "needs 17 nodes; the fabric has 16"},
    {0, {1, 9, 0, G, 10}, SCHED_R_NEVER,
        "needs 9 accelerators per node; the largest node has 8"},
    {0, {1, 65, 1, F, 10}, SCHED_R_NEVER,
        "needs 65 accelerators per node; the largest node has 8"},
    {0, {0, 8, 1, G, 10}, SCHED_R_NEVER, "needs at least one node"},
    {0, {1, 0, 0, G, 10}, SCHED_R_NEVER,
        "needs at least one accelerator per node"},
    {0, {1, 8, 1, G, 0}, SCHED_R_NEVER, "needs a positive time limit"},
    {0, {1, 8, 1, (enum sched_within)7, 10}, SCHED_R_NEVER,
        "has an unknown placement"},
    {1, {8, 8, 1, P, 10}, SCHED_R_NONE, ""},
    {1, {16, 8, 1, F, 10}, SCHED_R_NEVER,
        "needs 16 nodes with 8 accelerators; the fabric has 12"},
    {1, {5, 8, 0, P, 10}, SCHED_R_NONE, ""},
    {1, {2, 5, 0, G, 10}, SCHED_R_NONE, ""},
    {1, {16, 4, 0, F, 10}, SCHED_R_NONE, ""},
};

static void
test_check(void)
{
	const struct check_case *c;
	enum sched_reason r;
	struct fab f;
	char why[128];
	size_t i;
	int n;

	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		c = &check_cases[i];
		fab_init(&f, 2, 2, 4, 8);
		if (c->hetero)
			for (n = 0; n < 4; n++)
				f.nodes[n].naccels = 4;
		r = sched_check(f.nodes, f.nnodes, f.npods, f.ngroups, &c->req,
		    why, sizeof(why));
		if (r != c->want || strcmp(why, c->why) != 0)
			printf("  check case %zu: %s \"%s\"\n", i,
			    sched_reason_name(r), why);
		CHECK(r == c->want);
		CHECK(strcmp(why, c->why) == 0);
	}
	CHECK(strcmp(sched_reason_name(SCHED_R_NONE), "None") == 0);
	CHECK(strcmp(sched_reason_name(SCHED_R_PRIORITY), "Priority") == 0);
	CHECK(strcmp(sched_reason_name(SCHED_R_RESOURCES), "Resources") == 0);
	CHECK(
	    strcmp(sched_reason_name(SCHED_R_RESERVATION), "Reservation") == 0);
	CHECK(strcmp(sched_reason_name(SCHED_R_NODES_DOWN), "NodesDown") == 0);
	CHECK(strcmp(sched_reason_name(SCHED_R_NEVER), "Never") == 0);
	CHECK(strcmp(sched_reason_name(SCHED_R_NREASONS), "Unknown") == 0);
}

/* Admission -----------------------------------------------------------------
 */

enum adm_setup {
	ADM_POD,  /* one pod of 4 nodes x 4 accelerators, all free */
	ADM_PODS, /* two such pods */
	ADM_RESV, /* one pod of 8 nodes; nodes 0-3 busy until 100 ms */
};

/* Admission cases: every job asks for whole nodes of one pod (4
 * accelerators of 500 W predicted each; rated 500 W, idle 100 W) in
 * priority order; rooms in W (INF: none); accelerators' draw now (0: idle).
 * want: each job's reason. */
static const struct adm_case {
	const char *what;
	enum adm_setup setup;
	enum sched_policy policy;
	double power_w, heat_w, fabric_w, now_w;
	struct {
		int nnodes;
		int64_t limit_ms;
		int exempt;
		double per_accel_w; /* 0: the rated draw */
	} job[3];
	int njobs;
	enum sched_reason want[3];
	double power1_w; /* pod 1's power room; 0: power_w */
} adm_cases[] = {
    {"within the room it starts", ADM_POD, SCHED_EASY, 3200, INF, INF, 0,
        {{2, 1000, 0, 0}}, 1, {SCHED_R_NONE}, 0},
    {"over the room: PowerBudget, a smaller job takes the nodes", ADM_POD,
        SCHED_EASY, 3199, INF, INF, 0, {{2, 1000, 0, 0}, {1, 1000, 0, 0}}, 2,
        {SCHED_R_POWER, SCHED_R_NONE}, 0},
    {"FCFS too: a refused job does not block", ADM_POD, SCHED_FCFS, 3199, INF,
        INF, 0, {{2, 1000, 0, 0}, {1, 1000, 0, 0}}, 2,
        {SCHED_R_POWER, SCHED_R_NONE}, 0},
    {"the room is spent down the queue", ADM_POD, SCHED_EASY, 5000, INF, INF, 0,
        {{2, 1000, 0, 0}, {2, 1000, 0, 0}}, 2, {SCHED_R_NONE, SCHED_R_POWER},
        0},
    {"heat room: CoolingCapacity", ADM_POD, SCHED_EASY, INF, 1000, INF, 0,
        {{1, 1000, 0, 0}}, 1, {SCHED_R_COOLING}, 0},
    {"exempt: the power budget does not hold it back", ADM_POD, SCHED_EASY, 0,
        INF, INF, 0, {{1, 1000, 1, 0}}, 1, {SCHED_R_NONE}, 0},
    {"exempt: cooling still does", ADM_POD, SCHED_EASY, 0, 1000, INF, 0,
        {{1, 1000, 1, 0}}, 1, {SCHED_R_COOLING}, 0},
    {"the fabric's heat room", ADM_PODS, SCHED_EASY, INF, INF, 1599, 0,
        {{1, 1000, 0, 0}}, 1, {SCHED_R_COOLING}, 0},
    {"what the accelerators draw now counts", ADM_POD, SCHED_EASY, 200, INF,
        INF, 450, {{1, 1000, 0, 0}}, 1, {SCHED_R_NONE}, 0},
    {"a declared draw below today's adds nothing", ADM_POD, SCHED_EASY, -50,
        INF, INF, 450, {{1, 1000, 0, 400}}, 1, {SCHED_R_NONE}, 0},
    {"the prediction, not the rating", ADM_POD, SCHED_EASY, 1000, INF, INF, 0,
        {{1, 1000, 0, 300}}, 1, {SCHED_R_NONE}, 0},
    {"EASY: a backfill past the reservation leaves its power", ADM_RESV,
        SCHED_EASY, 10000, INF, INF, 0, {{6, 1000, 0, 0}, {2, 1000, 0, 0}}, 2,
        {SCHED_R_RESOURCES, SCHED_R_POWER}, 0},
    {"EASY: a backfill ending before the reservation may use it", ADM_RESV,
        SCHED_EASY, 10000, INF, INF, 0, {{6, 1000, 0, 0}, {2, 50, 0, 0}}, 2,
        {SCHED_R_RESOURCES, SCHED_R_NONE}, 0},
    {"EASY: the reservation's heat held too", ADM_RESV, SCHED_EASY, INF, 10000,
        INF, 0, {{6, 1000, 0, 0}, {2, 1000, 0, 0}}, 2,
        {SCHED_R_RESOURCES, SCHED_R_COOLING}, 0},
    {"CONSERVATIVE: reservations hold power", ADM_RESV, SCHED_CONSERVATIVE,
        10000, INF, INF, 0, {{6, 1000, 0, 0}, {2, 1000, 0, 0}}, 2,
        {SCHED_R_RESOURCES, SCHED_R_POWER}, 0},
    {"CONSERVATIVE: a short backfill may use it", ADM_RESV, SCHED_CONSERVATIVE,
        10000, INF, INF, 0, {{6, 1000, 0, 0}, {2, 50, 0, 0}}, 2,
        {SCHED_R_RESOURCES, SCHED_R_NONE}, 0},
    /* the first job is refused in pod 0; the second, of a smaller draw,
     * fills pod 0's nodes, so the third, of the first's shape, goes to pod
     * 1: a refusal is not remembered past a start */
    {"a refused shape is placed anew after a start", ADM_PODS, SCHED_EASY, 1000,
        INF, INF, 0, {{4, 1000, 0, 0}, {4, 1000, 0, 150}, {4, 1000, 0, 0}}, 3,
        {SCHED_R_POWER, SCHED_R_NONE, SCHED_R_NONE}, 100000},
};

static int
run_adm_case(const struct adm_case *c)
{
	static const int busy[] = {0, 1, 2, 3, -1};
	static struct fab f;
	double power[2], heat[2], now[MAXN * 4];
	struct sched_power pw;
	struct sched_input in;
	struct sched_result res;
	int i, np = c->setup == ADM_PODS ? 2 : 1;

	fab_init(&f, np, 1, c->setup == ADM_RESV ? 8 : 4, 4);
	if (c->setup == ADM_RESV)
		fab_run(&f, 100, 1, 4, busy);
	for (i = 0; i < f.nnodes * 4; i++)
		now[i] = c->now_w > 0 ? c->now_w : 100;
	for (i = 0; i < f.nnodes; i++) {
		f.nodes[i].tdp_w = 500;
		f.nodes[i].idle_w = 100;
		f.nodes[i].accel_w = c->now_w > 0 ? &now[4 * i] : NULL;
	}
	for (i = 0; i < np; i++) {
		power[i] =
		    i == 1 && c->power1_w != 0 ? c->power1_w : c->power_w;
		heat[i] = c->heat_w;
	}
	pw.pod_power_w = power;
	pw.pod_heat_w = heat;
	pw.fabric_heat_w = c->fabric_w;
	for (i = 0; i < c->njobs; i++) {
		fab_job(&f, i + 1, 100 - i, 0, c->job[i].nnodes, 4, 1, P,
		    c->job[i].limit_ms);
		f.pend[i].power_exempt = c->job[i].exempt;
		f.pend[i].power_per_accel_w = c->job[i].per_accel_w;
	}
	in = fab_input(&f, 0, c->policy);
	in.power = &pw;
	if (!CHECK(sched_pass(&in, &res) == 0, "%s: the pass", c->what))
		return -1;
	CHECK(
	    validate(&in, &res) == 0, "%s: a start breaks the rules", c->what);
	for (i = 0; i < c->njobs; i++)
		CHECK(res.d[i].reason == c->want[i], "%s: job %d %s, want %s",
		    c->what, i + 1, sched_reason_name(res.d[i].reason),
		    sched_reason_name(c->want[i]));
	sched_result_free(&res);
	return 0;
}

static void
test_admission(void)
{
	size_t i;

	for (i = 0; i < NELEM(adm_cases); i++)
		RUN_CASE(adm_cases[i].what, run_adm_case(&adm_cases[i]));
	CHECK(strcmp(sched_reason_name(SCHED_R_POWER), "PowerBudget") == 0);
	CHECK(
	    strcmp(sched_reason_name(SCHED_R_COOLING), "CoolingCapacity") == 0);
}

/* Property test --------------------------------------------------------------
 */

static uint64_t
rnd(uint64_t *s)
{
	uint64_t x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static int
rnd_in(uint64_t *s, int lo, int hi)
{
	return lo + (int)(rnd(s) % (uint64_t)(hi - lo + 1));
}

/* A random state: 2 pods x 2 groups x 4 nodes x 4 accelerators, some
 * nodes down, exclusive and shared running jobs, 16 pending jobs. */
static void
random_fab(struct fab *f, uint64_t *s)
{
	static const enum sched_within within[] = {G, P, F};
	int nd, k, nodes[3];

	fab_init(f, 2, 2, 4, 4);
	for (nd = 0; nd < f->nnodes; nd++) {
		if (rnd_in(s, 0, 9) == 0)
			f->nodes[nd].usable = 0;
		k = rnd_in(s, 0, 9);
		if (k < 3) {
			nodes[0] = nd;
			nodes[1] = -1;
			if (nd + 1 < f->nnodes && rnd_in(s, 0, 1) &&
			    f->nodes[nd + 1].free_mask == 0xf) {
				nodes[1] = nd + 1;
				nodes[2] = -1;
			}
			fab_run(f, rnd_in(s, 1, 1000), 1, 4, nodes);
			nd += nodes[1] >= 0;
			continue;
		}
		while (k-- > 3 && f->nodes[nd].free_mask != 0) {
			nodes[0] = nd;
			nodes[1] = -1;
			fab_run(
			    f, rnd_in(s, 1, 1000), 0, rnd_in(s, 1, 2), nodes);
		}
	}
	for (k = 0; k < 16; k++)
		fab_job(f, k + 1, rnd_in(s, 0, 5), rnd_in(s, 0, 100),
		    rnd_in(s, 1, 6), rnd_in(s, 1, 4), rnd_in(s, 0, 1),
		    within[rnd_in(s, 0, 2)], rnd_in(s, 1, 1500));
}

/* The first job in priority order that neither started nor is NodesDown
 * or Never: the one EASY protects. */
static int
top_blocked(const struct fab *f, const struct sched_result *res)
{
	int i, best = -1;

	for (i = 0; i < res->npending; i++) {
		if (res->d[i].reason != SCHED_R_RESOURCES &&
		    res->d[i].reason != SCHED_R_RESERVATION)
			continue;
		if (best < 0 || f->pend[i].prio > f->pend[best].prio ||
		    (f->pend[i].prio == f->pend[best].prio &&
		        (f->pend[i].submit_ms < f->pend[best].submit_ms ||
		            (f->pend[i].submit_ms == f->pend[best].submit_ms &&
		                f->pend[i].id < f->pend[best].id))))
			best = i;
	}
	return best;
}

/* f after res: started jobs run until now + limit, leave the queue. */
static void
apply_starts(struct fab *f, const struct sched_result *res, int64_t now_ms)
{
	struct sched_pending left[MAXP];
	struct sched_running *r;
	int i, j, n = 0;

	for (i = 0; i < res->npending; i++) {
		if (res->d[i].reason != SCHED_R_NONE) {
			left[n++] = f->pend[i];
			continue;
		}
		r = &f->run[f->nrun];
		r->end_ms = now_ms + f->pend[i].req.time_limit_ms;
		r->exclusive = f->pend[i].req.exclusive;
		r->nslots = res->d[i].nslots;
		for (j = 0; j < r->nslots; j++) {
			f->rslots[f->nrun][j] = res->d[i].slots[j];
			f->nodes[res->d[i].slots[j].node].free_mask &=
			    ~res->d[i].slots[j].mask;
		}
		r->slots = f->rslots[f->nrun];
		f->nrun++;
	}
	memcpy(f->pend, left, n * sizeof(left[0]));
	f->npend = n;
}

static void
test_property(void)
{
	static const enum sched_policy pols[] = {
	    SCHED_FCFS, SCHED_EASY, SCHED_CONSERVATIVE};
	struct sched_result res, fcfs, again;
	struct sched_input in;
	struct fab f;
	uint64_t seed = 20261127;
	int iter, p, top, top2, bad = 0, delayed = 0, moved = 0, protected = 0;
	int64_t t0 = 0, id;

	for (iter = 0; iter < 400; iter++) {
		random_fab(&f, &seed);
		for (p = 0; p < 3; p++) {
			in = fab_input(&f, 0, pols[p]);
			if (sched_pass(&in, &res) == -1) {
				bad++;
				continue;
			}
			bad += validate(&in, &res);
			sched_result_free(&res);
		}
		/* the reservation without backfill */
		in = fab_input(&f, 0, SCHED_FCFS);
		if (sched_pass(&in, &fcfs) == -1) {
			bad++;
			continue;
		}
		top = top_blocked(&f, &fcfs);
		if (top >= 0)
			t0 = fcfs.d[top].start_ms;
		sched_result_free(&fcfs);
		in = fab_input(&f, 0, SCHED_EASY);
		if (sched_pass(&in, &res) == -1) {
			bad++;
			continue;
		}
		if (top < 0 || t0 == 0) {
			sched_result_free(&res);
			continue;
		}
		protected++;
		moved += res.d[top].start_ms != t0;
		id = f.pend[top].id;
		apply_starts(&f, &res, 0);
		sched_result_free(&res);
		/* with every backfilled job running, the top job starts no
		 * later than it would have without them */
		in = fab_input(&f, 0, SCHED_FCFS);
		if (sched_pass(&in, &again) == -1) {
			bad++;
			continue;
		}
		top2 = top_blocked(&f, &again);
		if (top2 < 0 || f.pend[top2].id != id ||
		    again.d[top2].start_ms > t0) {
			printf("  seed state %d: top job %" PRId64
			       " delayed past %" PRId64 "\n",
			    iter, id, t0);
			delayed++;
		}
		sched_result_free(&again);
	}
	CHECK(bad == 0);
	CHECK(moved == 0);
	CHECK(delayed == 0);
	CHECK(protected > 50); /* the property was exercised */
	printf(
	    "  property: %d states, %d with a reservation\n", iter, protected);
}

/* Reason code and, for SCHED_R_LIMIT, its text. */
static int
limited(const struct sched_decision *d, const char *why)
{
	return d->reason == SCHED_R_LIMIT && d->limit != NULL &&
	       strcmp(d->limit, why) == 0;
}

/*
 * Node sets: 2 pods x 2 groups x 2 nodes of 4 accelerators; set 1 is pod
 * 0. A job of the set runs only there, waits for it (its reservation from
 * the set's own releases, not an earlier release outside it) while jobs
 * outside the set use pod 1, and a backfilled job keeps off its
 * reservation.
 */
static void
test_sets(void)
{
	static const enum sched_policy pols[] = {
	    SCHED_FCFS, SCHED_EASY, SCHED_CONSERVATIVE};
	static const unsigned char pod0[8] = {1, 1, 1, 1, 0, 0, 0, 0};
	const unsigned char *sets[1] = {pod0};
	struct sched_result res;
	struct sched_input in;
	struct fab f;
	int p, i, bad;

	for (p = 0; p < 3; p++) {
		/* all free: the set's job lands in pod 0 although pod 1
		 * comes first in a tie */
		fab_init(&f, 2, 2, 2, 4);
		fab_job(&f, 1, 10, 0, 2, 4, 1, P, HOUR);
		f.pend[0].set = 1;
		in = fab_input(&f, 0, pols[p]);
		in.sets = sets;
		in.nsets = 1;
		CHECK(sched_pass(&in, &res) == 0);
		CHECK(res.d[0].reason == SCHED_R_NONE);
		for (bad = 0, i = 0; i < res.d[0].nslots; i++)
			bad += res.d[0].slots[i].node >= 4;
		CHECK(bad == 0);
		sched_result_free(&res);

		/* pod 0 busy until 5 h, pod 1 until 1 h: the set's job is
		 * reserved at 5 h; a job outside the set starts on pod 1
		 * once it frees, and here now on nothing */
		fab_init(&f, 2, 2, 2, 4);
		fab_run(&f, 5 * HOUR, 1, 4, (const int[]){0, 1, 2, 3, -1});
		fab_run(&f, 1 * HOUR, 1, 4, (const int[]){4, 5, -1});
		fab_job(&f, 1, 10, 0, 2, 4, 1, P, HOUR);
		f.pend[0].set = 1;
		fab_job(&f, 2, 5, 0, 2, 4, 1, P, 10 * HOUR);
		in = fab_input(&f, 0, pols[p]);
		in.sets = sets;
		in.nsets = 1;
		CHECK(sched_pass(&in, &res) == 0);
		CHECK(res.d[0].reason == SCHED_R_RESOURCES);
		if (pols[p] != SCHED_FCFS) {
			CHECK(res.d[0].start_ms == 5 * HOUR);
			/* pod 1's free nodes 6, 7 are not the set's: the
			 * job outside it backfills there */
			CHECK(res.d[1].reason == SCHED_R_NONE &&
			      took_nodes(&res.d[1], (const int[]){6, 7, -1}));
		}
		sched_result_free(&res);
	}
}

/*
 * Quotas: four one-node jobs under a quota of two jobs, two under one of
 * 8 accelerators; the quota's reason for those held, and a job with no
 * quota behind them still starts.
 */
static void
test_quotas(void)
{
	static const enum sched_policy pols[] = {
	    SCHED_FCFS, SCHED_EASY, SCHED_CONSERVATIVE};
	/* two jobs per user; 12 accelerators per account, 4 already held */
	struct sched_quota q[2] = {
	    sched_qos_quota(2, 0, 0, 0, 1),
	    sched_qos_quota(0, 0, 12, 4, 0),
	};
	struct sched_result res;
	struct sched_input in;
	struct fab f;
	int p, i, started;

	for (p = 0; p < 3; p++) {
		fab_init(&f, 1, 2, 4, 4);
		for (i = 0; i < 4; i++) {
			fab_job(&f, i + 1, 100 - i, 0, 1, 4, 1, P, HOUR);
			f.pend[i].nquotas = 1;
			f.pend[i].quota[0] = 0;
		}
		for (i = 4; i < 7; i++) {
			fab_job(&f, i + 1, 50 - i, 0, 1, 4, 1, P, HOUR);
			f.pend[i].nquotas = 1;
			f.pend[i].quota[0] = 1;
		}
		fab_job(&f, 8, 1, 0, 1, 4, 1, P, HOUR);
		in = fab_input(&f, 0, pols[p]);
		in.quotas = q;
		in.nquotas = 2;
		CHECK(sched_pass(&in, &res) == 0);
		for (started = 0, i = 0; i < 4; i++)
			started += res.d[i].reason == SCHED_R_NONE;
		CHECK(started == 2);
		CHECK(limited(&res.d[2], "QOSMaxJobsPerUserLimit"));
		CHECK(limited(&res.d[3], "QOSMaxJobsPerUserLimit"));
		CHECK(res.d[4].reason == SCHED_R_NONE);
		CHECK(res.d[5].reason == SCHED_R_NONE);
		CHECK(limited(&res.d[6], "QOSMaxGRESPerAccount"));
		CHECK(res.d[7].reason == SCHED_R_NONE);
		/* the input's quotas are not spent */
		CHECK(q[0].jobs == 2 && q[1].accels == 8);
		CHECK(q[0].accels == INT64_MAX && q[1].jobs == INT64_MAX);
		sched_result_free(&res);
	}
}

/*
 * Preemption on 1 pod of 2 groups of 2 nodes: r0 holds nodes 0-1, r1 node
 * 2, r2 node 3; a job wants 2 nodes in one group. Stopping r2 then r1
 * frees group 1 (two stops); r0 first frees group 0 (one); five nodes
 * never fit; a fabric with room needs none.
 */
static void
test_preempt(void)
{
	static const struct {
		const char *name;
		int nnodes;
		int order[3];
		int want;
	} cases[] = {
	    {"lowest first needs two", 2, {2, 1, 0}, 2},
	    {"the big one first", 2, {0, 2, 1}, 1},
	    {"never enough", 5, {2, 1, 0}, -1},
	};
	struct sched_input in;
	struct fab f;
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		fab_init(&f, 1, 2, 2, 4);
		fab_run(&f, 9 * HOUR, 1, 4, (const int[]){0, 1, -1});
		fab_run(&f, 9 * HOUR, 1, 4, (const int[]){2, -1});
		fab_run(&f, 9 * HOUR, 1, 4, (const int[]){3, -1});
		fab_job(&f, 1, 10, 0, cases[i].nnodes, 4, 1, G, HOUR);
		if (cases[i].nnodes > 4)
			f.pend[0].req.within = F;
		in = fab_input(&f, 0, SCHED_EASY);
		CHECK(preempt_choose(&in, &f.pend[0], cases[i].order, 3) ==
		          cases[i].want,
		    "%s", cases[i].name);
	}
	fab_init(&f, 1, 2, 2, 4);
	fab_run(&f, 9 * HOUR, 1, 4, (const int[]){0, -1});
	fab_job(&f, 1, 10, 0, 2, 4, 1, G, HOUR);
	in = fab_input(&f, 0, SCHED_EASY);
	CHECK(preempt_choose(&in, &f.pend[0], (const int[]){0}, 1) == 0);
}

/* Starvation guard: past starve_after_h the longest waiting job goes
 * first whatever its priority and takes the pass's one start; another
 * job past it keeps its place. */
static void
test_starve(void)
{
	struct sched_result res;
	struct sched_input in;
	struct fab f;

	fab_init(&f, 1, 1, 2, 4);
	fab_job(&f, 1, 1000000, 60 * HOUR, 2, 4, 1, P, HOUR);
	fab_job(&f, 2, 0, 10 * HOUR, 2, 4, 1, P, HOUR);
	fab_job(&f, 3, 0, 0, 2, 4, 1, P, HOUR);
	in = fab_input(&f, 60 * HOUR, SCHED_FCFS);
	CHECK(
	    sched_priority(&in, &f.pend[0]) > sched_priority(&in, &f.pend[2]));
	CHECK(sched_pass(&in, &res) == 0 && res.d[0].reason == SCHED_R_NONE);
	sched_result_free(&res);
	in.starve_after_h = 48;
	CHECK(sched_pass(&in, &res) == 0);
	CHECK(res.d[2].reason == SCHED_R_NONE);
	CHECK(res.d[0].reason == SCHED_R_RESOURCES);
	CHECK(res.d[1].reason == SCHED_R_PRIORITY);
	sched_result_free(&res);
	/* under EASY the guard's job gets the reservation: the fabric is
	 * busy for an hour, and the priority job does not jump it */
	fab_run(&f, 61 * HOUR, 1, 4, (const int[]){0, -1});
	in = fab_input(&f, 60 * HOUR, SCHED_EASY);
	in.starve_after_h = 48;
	CHECK(sched_pass(&in, &res) == 0);
	CHECK(res.d[2].reason == SCHED_R_RESOURCES &&
	      res.d[2].start_ms == 61 * HOUR);
	CHECK(res.d[0].reason != SCHED_R_NONE && res.d[0].start_ms == 0);
	sched_result_free(&res);
}

/*
 * EASY with two partitions (sets: pod 0, pod 1): the top job of each gets
 * a reservation, so a long job of pod 1's partition cannot take the nodes
 * its own top job waits for, while a short one that ends first can.
 */
static void
test_sets_reserve_each(void)
{
	static const unsigned char pod0[8] = {1, 1, 1, 1, 0, 0, 0, 0};
	static const unsigned char pod1[8] = {0, 0, 0, 0, 1, 1, 1, 1};
	const unsigned char *sets[2] = {pod0, pod1};
	struct sched_result res;
	struct sched_input in;
	struct fab f;

	fab_init(&f, 2, 2, 2, 4);
	fab_run(&f, 5 * HOUR, 1, 4, (const int[]){0, 1, 2, 3, -1});
	fab_run(&f, 3 * HOUR, 1, 4, (const int[]){4, 5, -1});
	fab_job(&f, 1, 40, 0, 4, 4, 1, P, HOUR); /* pod 0's top job */
	f.pend[0].set = 1;
	fab_job(&f, 2, 30, 0, 4, 4, 1, P, HOUR); /* pod 1's top job */
	f.pend[1].set = 2;
	fab_job(&f, 3, 20, 0, 2, 4, 1, P, 10 * HOUR); /* long, pod 1 */
	f.pend[2].set = 2;
	fab_job(&f, 4, 10, 0, 2, 4, 1, P, HOUR); /* short, pod 1 */
	f.pend[3].set = 2;
	in = fab_input(&f, 0, SCHED_EASY);
	in.sets = sets;
	in.nsets = 2;
	REQUIRE(sched_pass(&in, &res) == 0);
	CHECK(res.d[0].reason == SCHED_R_RESOURCES &&
	      res.d[0].start_ms == 5 * HOUR);
	CHECK(res.d[1].reason == SCHED_R_RESOURCES &&
	      res.d[1].start_ms == 3 * HOUR);
	CHECK(res.d[2].reason == SCHED_R_RESERVATION, "%s",
	    sched_reason_name(res.d[2].reason));
	CHECK(res.d[3].reason == SCHED_R_NONE &&
	      took_nodes(&res.d[3], (const int[]){6, 7, -1}));
	sched_result_free(&res);
fail:
	return;
}

int
main(void)
{
	test_placement();
	test_priority();
	test_queue_order();
	test_fcfs_easy();
	test_reservation_time();
	test_conservative();
	test_conservative_bound();
	test_conservative_classes();
	test_conservative_window();
	test_view_set();
	test_view_batch();
	test_view_best_group();
	test_nodes_down();
	test_check();
	test_admission();
	test_sets();
	test_sets_reserve_each();
	test_quotas();
	test_preempt();
	test_starve();
	test_property();
	return check_summary("sched_test");
}
