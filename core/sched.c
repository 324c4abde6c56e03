/*
 * The scheduler: gang placement on the fabric's topology with FCFS, EASY or
 * conservative backfilling, as a pure function of its input (see sched.h
 * for the contract, docs/scheduler.md for the rules).
 *
 * A pass orders the queue once (schedorder.c) and walks it once. Every
 * question about free resources goes to a view (schedview.c), which
 * answers from summaries per group, pod and fabric instead of walking
 * 12,800 nodes per job. A pass keeps several: "now" (free now, less what this
 * pass started), "cap" (every usable node free: a job that does not fit there
 * waits for nodes that are down), "all" (every node free: it never fits),
 * "clear" (now, less every reserved accelerator: what backfill may take
 * without touching a reservation) and a scratch view of a future state.
 *
 * EASY's one reservation comes from replaying the release profile (running
 * jobs and those started in this pass, sorted by end) onto a copy of
 * "now", checking only the units each release touched, until the job
 * fits. CONSERVATIVE gives every job a reservation; it keeps each node's
 * free accelerators over time as a step function and finds a job's
 * earliest start by sweeping, unit by unit, the start times at which
 * enough nodes stay free for its whole time limit. Units are searched
 * least lower bound first (when enough of its nodes first can each hold
 * a job of the limit's class, kept per unit and rebuilt only when needed
 * after one of its nodes changed), and the search ends at the first unit
 * whose bound is no earlier than the best start found. The reservation is
 * then placed in a view of its window in which only the units whose bound
 * allows that start are open.
 *
 * Node sets (a partition, less nodes reserved over a job's run) get their
 * own "now" and "clear" views, built on first use by closing the nodes
 * outside the set, and kept in step with every start; a set's view never
 * takes back a node outside it. Quotas (QOS limits, array task limits)
 * are counted down as jobs start; a job they hold holds nothing.
 *
 * Admission (when the input carries headroom) runs where a job would start:
 * the draw it adds on each pod must fit the pod's power and heat room, less
 * what reservations starting before its end will draw; a job that does not
 * fit is not started and holds nothing. Starts and reservations spend the
 * room as the walk goes down the queue.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "schedorder.h"
#include "schedview.h"

#define SCHED_CONS_DEPTH 256 /* CONSERVATIVE: future reservations per pass */
#define SCHED_MEMO       64  /* admission refusals remembered per pass */
#define SCHED_EASY_RESV  16  /* EASY: reservations per pass, one a set */
#define SCHED_FOREVER    INT64_MAX
#define SCHED_LIMIT_MS   (1000LL * 3600 * 24 * 365 * 100) /* limits capped */
#define SCHED_MS_PER_H   3600000.0
#define SCHED_MAX_GROW   (1 << 28)   /* elements in one growing array */
#define SCHED_HORIZON_MS (1LL << 43) /* CONSERVATIVE looks 278 years ahead */
#define SCHED_CLASS_MS   (1LL << 16) /* least limit of the second class */
#define SCHED_NCLASS     28 /* classes of time limits, each twice the last */

/* Resources that come free at end_ms: a running job or one started now. */
struct release {
	int64_t end_ms;
	const struct sched_slot *slots;
	int nslots;
	int exclusive; /* the node's other free accelerators come back too */
};

/*
 * CONSERVATIVE: a node's free accelerators from now on, as a step
 * function: f[k] is free over [t[k], t[k + 1]), the last step for ever.
 * Running jobs and reservations split steps and clear bits.
 */
struct nprof {
	int64_t *t; /* step starts, ms, ascending, t[0] = now */
	uint64_t *f;
	int n, tcap, fcap; /* n = 0: the node is not open */
	int64_t free_ms;   /* start of the first step with anything free;
	                      SCHED_FOREVER: none. Almost every node is busy
	                      at the start of a reservation's window: one
	                      comparison tells, instead of a walk. */
};

/*
 * CONSERVATIVE: when a unit (group or pod) has k nodes that can each hold
 * a job of one request shape (exclusive, or a free accelerators) and one
 * class of time limits, from its nodes' profiles. A start of a job of
 * limit L on a node lies in a run of eligible steps [A, B) with
 * B - A >= L; every L of a class is at least the class's least limit D,
 * so the node cannot start such a job before the first run with
 * B - A >= D begins, and a k-node job not before the k-th such time of
 * its unit: a lower bound. Without the limit (the first instant k nodes
 * were free at once) a unit whose nodes are free soon but only until a
 * reservation looked as good as one free for good, and a long job's
 * search walked most units of the fabric. A pod's times are its groups',
 * merged. Built on first use and rebuilt when the unit comes up again
 * after one of its nodes changed (see ps->uver); until then the old times
 * are a bound still.
 */
struct ulb {
	int64_t ver; /* the unit's version it was built at; 0: never */
	int64_t *t;  /* ms after now at which the (i + 1)-th node first can
	                hold such a job, ascending; room for every node of
	                the unit */
	int n;
};

/* Power a reservation will draw on one pod from start_ms, W. */
struct held {
	int64_t start_ms;
	int pod;
	double w;
	int power; /* counts against the power budget (not power_exempt) */
};

/* A node set's views, built on first use (see view_of()). */
struct setview {
	struct sv_view now, clear;
	int has_now, has_clear;
};

/* A shape of job admission refused since the pass last changed. */
struct refused {
	struct sched_request req;
	int set;
	double w;   /* predicted draw per accelerator, W */
	int exempt; /* power_exempt */
	enum sched_reason why;
};

struct pass {
	const struct sched_input *in;
	struct sched_result *res;
	struct sv_topo t;
	struct sv_view now, cap, all, clear, scratch;
	int *order;          /* pending indices, highest priority first */
	struct release *rel; /* running jobs, then jobs started now */
	int nrel, relcap;
	struct sched_slot *buf; /* placement scratch, one slot per node */
	unsigned char *touched; /* per level: released into this step */
	int *touchlist;
	/* CONSERVATIVE only */
	struct nprof *prof; /* per node */
	uint64_t *keys;     /* sweep: time after now << 1 | window opens */
	uint64_t *keytmp;
	int nkeys, keycap, keytmpcap;
	int nresv;        /* future reservations made */
	int64_t *uver;    /* per level: bumped when a node of it changes */
	struct ulb **ulb; /* per shape and class ((excl * na + a) *
	                     SCHED_NCLASS + class): nlv bounds, one a level,
	                     allocated on first use */
	int64_t *ubound;  /* per unit of the job at hand: its lower bound */
	int *uheap;       /* units of the job at hand, least bound first */
	int *runoff;      /* the runs ulb_pod() merges, ngroups + 1 */
	int64_t *gfree;   /* per group: no later than its open nodes' earliest
	                     free_ms (exact when window_view() last walked it;
	                     free_ms only grows, so it stays a bound) */
	/* admission, when in->power is set */
	double *power_room,
	    *heat_room;          /* per pod, W, less this pass's starts */
	double fabric_heat_room; /* W */
	double *add;             /* per pod: the job at hand adds, W */
	int *addpods, naddpods;  /* pods with add > 0 */
	struct held *held;       /* reservations' draw */
	int nheld, heldcap;
	double max_now_w; /* most any free accelerator draws now, W */
	double min_tdp_w; /* least rated draw of any node, W */
	double best_power, best_heat; /* largest pod rooms, W */
	double sum_power, sum_heat;   /* pod rooms above zero, summed, W */
	/*
	 * Refusals since the views, rooms or reservations last changed: a job
	 * of the same shape would be placed on the same nodes and refused for
	 * the same reason, so it is told without placing it. Once the pods'
	 * power is spent, this saves placing thousands of jobs only to refuse
	 * each.
	 */
	struct refused memo[SCHED_MEMO];
	int nmemo;
	int64_t resv_ms; /* EASY: the one reservation's start; 0 before */
	int clear_live;  /* "clear" is read in this pass: starts take from it.
	                    EASY copies it from "now" at its first reservation
	                    and FCFS never reads it, so until then a start
	                    takes from "now" only. */
	/* intrinsic(): the most eligible nodes in one unit of "all" ([0])
	 * and "cap" ([1]), per [exclusive][within][accels]; -1: not asked
	 * yet. Neither view changes in a pass, and ten thousand jobs come in
	 * a few dozen shapes. */
	int most[2][2][3][SV_NA];
	struct setview *sets;     /* in->nsets entries */
	int64_t *qjobs, *qaccels; /* per quota: room left */
};

static int64_t
limit_ms(const struct sched_request *r)
{
	return r->time_limit_ms > SCHED_LIMIT_MS ? SCHED_LIMIT_MS
	                                         : r->time_limit_ms;
}

/* prio + age_weight_per_h x hours since submit_ms, the hours capped at
 * age_cap_h (none when the cap is 0 or less, none before submit_ms). */
double
sched_priority(const struct sched_input *in, const struct sched_pending *p)
{
	double h = (double)(in->now_ms - p->submit_ms) / SCHED_MS_PER_H;

	if (h < 0)
		h = 0;
	if (h > (double)in->age_cap_h)
		h = in->age_cap_h > 0 ? (double)in->age_cap_h : 0;
	return (double)p->prio + in->age_weight_per_h * h;
}

static const char *const reason_names[SCHED_R_NREASONS] = {
    [SCHED_R_NONE] = "None",
    [SCHED_R_PRIORITY] = "Priority",
    [SCHED_R_RESOURCES] = "Resources",
    [SCHED_R_RESERVATION] = "Reservation",
    [SCHED_R_NODES_DOWN] = "NodesDown",
    [SCHED_R_NEVER] = "Never",
    [SCHED_R_POWER] = "PowerBudget",
    [SCHED_R_COOLING] = "CoolingCapacity",
    [SCHED_R_LIMIT] = "Limit",
};

/* Slurm's word for r; "Unknown" out of range. Static storage. */
const char *
sched_reason_name(enum sched_reason r)
{
	if ((int)r < 0 || r >= SCHED_R_NREASONS)
		return "Unknown";
	return reason_names[r];
}

/* Pass ------------------------------------------------------------------- */

/*
 * Room for need elements in arr, which has *cap: doubles from 8. Returns
 * the array, perhaps moved, or NULL on allocation failure or past
 * SCHED_MAX_GROW elements. Every growing array is bounded by the input
 * anyway: slots of running jobs, of jobs started and of reservations.
 */
static void *
grow(void *arr, int need, int *cap, size_t size)
{
	int c = *cap > 0 ? *cap : 8;
	void *p;

	while (c < need) {
		if (c > SCHED_MAX_GROW / 2)
			return NULL;
		c *= 2;
	}
	if (c == *cap)
		return arr;
	if ((p = realloc(arr, (size_t)c * size)) == NULL)
		return NULL;
	*cap = c;
	return p;
}

#define RADIX_BITS 11
#define RADIX_KEY  ((1LL << (4 * RADIX_BITS)) - 1) /* 557 years in ms */

/*
 * Orders the release profile by end: an LSD radix sort on the time after
 * now, RADIX_BITS a round. With tens of thousands of running jobs qsort's
 * comparisons were a fifth of a pass. 0, or -1 on allocation failure.
 */
static int
sort_releases(struct pass *ps)
{
	struct release *tmp, *src = ps->rel, *dst, *sw;
	int cnt[1 << RADIX_BITS], i, k, n = ps->nrel, sum, c;
	int64_t key;

	if (n < 2)
		return 0;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return -1;
	dst = tmp;
	for (k = 0; k < 4; k++) {
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++) {
			key = src[i].end_ms - ps->in->now_ms;
			key = key > RADIX_KEY ? RADIX_KEY : key;
			cnt[(key >> (k * RADIX_BITS)) &
			    ((1 << RADIX_BITS) - 1)]++;
		}
		for (i = 0, sum = 0; i < (1 << RADIX_BITS); i++) {
			c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++) {
			key = src[i].end_ms - ps->in->now_ms;
			key = key > RADIX_KEY ? RADIX_KEY : key;
			dst[cnt[(key >> (k * RADIX_BITS)) &
			        ((1 << RADIX_BITS) - 1)]++] = src[i];
		}
		sw = src;
		src = dst;
		dst = sw;
	}
	free(tmp); /* four rounds: the result is back in ps->rel */
	return 0;
}

static int
add_release(struct pass *ps, int64_t end_ms, const struct sched_slot *slots,
    int nslots, int excl)
{
	struct release *n;

	if ((n = grow(ps->rel, ps->nrel + 1, &ps->relcap, sizeof(*n))) == NULL)
		return -1;
	ps->rel = n;
	if (end_ms <= ps->in->now_ms) /* overdue: it ends any moment */
		end_ms = ps->in->now_ms + 1;
	n[ps->nrel].end_ms = end_ms;
	n[ps->nrel].slots = slots;
	n[ps->nrel].nslots = nslots;
	n[ps->nrel].exclusive = excl;
	ps->nrel++;
	return 0;
}

/* What a release gives back on slot s: an exclusive job held the node's
 * other free accelerators too. */
static uint64_t
rel_mask(
    const struct pass *ps, const struct release *r, const struct sched_slot *s)
{
	if (r->exclusive)
		return s->mask | ps->in->nodes[s->node].free_mask;
	return s->mask;
}

static int
slot_valid(const struct pass *ps, const struct sched_slot *s)
{
	return s->node >= 0 && s->node < ps->t.nnodes &&
	       ps->t.full[s->node] != 0;
}

/* Builds now, cap and all from the input, and the release profile. */
static int
pass_init_views(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	const struct sched_running *rj;
	struct sv_topo *t = &ps->t;
	int i, j;

	for (i = 0; i < t->nnodes; i++) {
		ps->now.mask[i] =
		    t->open[i] ? in->nodes[i].free_mask & t->full[i] : 0;
		ps->cap.mask[i] = t->open[i] ? t->full[i] : 0;
		ps->all.mask[i] = t->full[i];
	}
	for (i = 0; i < in->nrunning; i++) {
		rj = &in->running[i];
		if (rj->slots == NULL || rj->nslots <= 0)
			continue;
		for (j = 0; j < rj->nslots; j++)
			if (rj->exclusive && slot_valid(ps, &rj->slots[j]))
				ps->now.mask[rj->slots[j].node] = 0;
		if (add_release(ps, rj->end_ms, rj->slots, rj->nslots,
		        rj->exclusive != 0) == -1)
			return -1;
	}
	sv_rebuild(&ps->now);
	sv_rebuild(&ps->cap);
	sv_rebuild(&ps->all);
	return 0;
}

/* Why a job cannot run whatever the queue: Never, NodesDown or None. */
static enum sched_reason
intrinsic(struct pass *ps, const struct sched_request *r)
{
	int excl = r->exclusive != 0, a, *m;

	if (!sv_req_valid(r))
		return SCHED_R_NEVER;
	a = sv_req_accels(r);
	m = ps->most[0][excl][r->within];
	if (m[a] < 0)
		m[a] = sv_most(&ps->all, excl, a, r->within);
	if (r->nnodes > m[a])
		return SCHED_R_NEVER;
	m = ps->most[1][excl][r->within];
	if (m[a] < 0)
		m[a] = sv_most(&ps->cap, excl, a, r->within);
	if (r->nnodes > m[a])
		return SCHED_R_NODES_DOWN;
	return SCHED_R_NONE;
}

/* Admission -------------------------------------------------------------- */

/*
 * The draw pending job p adds on each pod on slots (into ps->add, the pods
 * in ps->addpods): per accelerator, its predicted draw less what that
 * accelerator draws now, or, for a reservation (later), less an idle
 * accelerator's draw. Never negative per accelerator: a job predicted
 * below today's draw frees nothing for others.
 */
static void
job_draw(struct pass *ps, const struct sched_pending *p,
    const struct sched_slot *slots, int n, int later)
{
	const struct sched_node *nd;
	double w, now;
	int i, k;

	ps->naddpods = 0;
	for (i = 0; i < n; i++) {
		nd = &ps->in->nodes[slots[i].node];
		w = p->power_per_accel_w > 0 ? p->power_per_accel_w : nd->tdp_w;
		for (k = 0; k < nd->naccels; k++) {
			if (!(slots[i].mask & ((uint64_t)1 << k)))
				continue;
			now = later || nd->accel_w == NULL ? nd->idle_w
			                                   : nd->accel_w[k];
			if (w <= now)
				continue;
			if (ps->add[nd->pod] == 0)
				ps->addpods[ps->naddpods++] = nd->pod;
			ps->add[nd->pod] += w - now;
		}
	}
}

static void
draw_clear(struct pass *ps)
{
	int i;

	for (i = 0; i < ps->naddpods; i++)
		ps->add[ps->addpods[i]] = 0;
	ps->naddpods = 0;
}

/* What reservations starting before end_ms will draw on pod (pod -1: on
 * every pod), W; power: only those that count against the budget. */
static double
held_w(const struct pass *ps, int pod, int64_t end_ms, int power)
{
	double w = 0;
	int i;

	for (i = 0; i < ps->nheld; i++)
		if (ps->held[i].start_ms < end_ms &&
		    (pod < 0 || ps->held[i].pod == pod) &&
		    (!power || ps->held[i].power))
			w += ps->held[i].w;
	return w;
}

/*
 * Whether pending[i], drawing ps->add, may start now and run until end_ms
 * beside the pass's starts and reservations: SCHED_R_NONE, SCHED_R_POWER
 * or SCHED_R_COOLING. Always SCHED_R_NONE without admission input.
 */
static enum sched_reason
admit(struct pass *ps, int i, int64_t end_ms)
{
	const struct sched_pending *p = &ps->in->pending[i];
	double a, all = 0;
	int k, pod;

	if (ps->in->power == NULL)
		return SCHED_R_NONE;
	for (k = 0; k < ps->naddpods; k++) {
		pod = ps->addpods[k];
		a = ps->add[pod];
		if (!p->power_exempt &&
		    a + held_w(ps, pod, end_ms, 1) > ps->power_room[pod])
			return SCHED_R_POWER;
		if (a + held_w(ps, pod, end_ms, 0) > ps->heat_room[pod])
			return SCHED_R_COOLING;
		all += a;
	}
	if (all > 0 && all + held_w(ps, -1, end_ms, 0) > ps->fabric_heat_room)
		return SCHED_R_COOLING;
	return SCHED_R_NONE;
}

/* The largest rooms and the rooms' sums, after the rooms changed. */
static void
admit_bests(struct pass *ps)
{
	int p;

	ps->best_power = ps->best_heat = -INFINITY;
	ps->sum_power = ps->sum_heat = 0;
	for (p = 0; p < ps->in->npods; p++) {
		if (ps->power_room[p] > ps->best_power)
			ps->best_power = ps->power_room[p];
		if (ps->heat_room[p] > ps->best_heat)
			ps->best_heat = ps->heat_room[p];
		if (ps->power_room[p] > 0)
			ps->sum_power += ps->power_room[p];
		if (ps->heat_room[p] > 0)
			ps->sum_heat += ps->heat_room[p];
	}
}

/* Spends the room of the job whose draw is in ps->add. */
static void
admit_spend(struct pass *ps)
{
	int k, pod;

	for (k = 0; k < ps->naddpods; k++) {
		pod = ps->addpods[k];
		ps->power_room[pod] -= ps->add[pod];
		ps->heat_room[pod] -= ps->add[pod];
		ps->fabric_heat_room -= ps->add[pod];
	}
	if (ps->naddpods > 0)
		admit_bests(ps);
}

/*
 * Whether pending[i] cannot start now wherever it is placed: its least
 * possible draw (its accelerators, each at the lowest predicted draw less
 * the most any free accelerator draws now) does not fit the largest pod's
 * room (the rooms' sum for a job across pods). Saves placing, only to
 * refuse, each of thousands of jobs once the pods are full. SCHED_R_NONE
 * when it may fit; the full check (admit()) decides then.
 */
static enum sched_reason
admit_bound(struct pass *ps, int i)
{
	const struct sched_pending *p = &ps->in->pending[i];
	const struct sched_request *r = &p->req;
	double w, least;
	int across = r->within == SCHED_WITHIN_FABRIC;

	if (ps->in->power == NULL)
		return SCHED_R_NONE;
	w = p->power_per_accel_w > 0 ? p->power_per_accel_w : ps->min_tdp_w;
	least = (double)r->nnodes * sv_req_accels(r) * (w - ps->max_now_w);
	if (least <= 0)
		return SCHED_R_NONE;
	if (!p->power_exempt &&
	    least > (across ? ps->sum_power : ps->best_power))
		return SCHED_R_POWER;
	if (least > (across ? ps->sum_heat : ps->best_heat) ||
	    least > ps->fabric_heat_room)
		return SCHED_R_COOLING;
	return SCHED_R_NONE;
}

/* Holds the draw of pending[i] reserved on slots from start_ms. */
static int
admit_hold(struct pass *ps, int i, const struct sched_slot *slots, int n,
    int64_t start_ms)
{
	struct held *h;
	int k;

	ps->nmemo = 0; /* the reservation changed what is clear */
	if (ps->in->power == NULL)
		return 0;
	job_draw(ps, &ps->in->pending[i], slots, n, 1);
	for (k = 0; k < ps->naddpods; k++) {
		h = grow(
		    ps->held, ps->nheld + 1, &ps->heldcap, sizeof(*ps->held));
		if (h == NULL) {
			draw_clear(ps);
			return -1;
		}
		ps->held = h;
		h = &ps->held[ps->nheld++];
		h->start_ms = start_ms;
		h->pod = ps->addpods[k];
		h->w = ps->add[h->pod];
		h->power = !ps->in->pending[i].power_exempt;
	}
	draw_clear(ps);
	return 0;
}

/* Node sets and quotas --------------------------------------------------- */

/*
 * The view a job of `set` places in: "now" or "clear" (clear), or that
 * set's own, built from it on first use by closing every node outside the
 * set. NULL on allocation failure.
 */
static struct sv_view *
view_of(struct pass *ps, int set, int clear)
{
	struct sv_view *base = clear ? &ps->clear : &ps->now, *v;
	struct setview *sv;
	int *has, nd;

	if (set <= 0 || set > ps->in->nsets || ps->sets == NULL)
		return base;
	sv = &ps->sets[set - 1];
	v = clear ? &sv->clear : &sv->now;
	has = clear ? &sv->has_clear : &sv->has_now;
	if (*has)
		return v;
	if (v->t == NULL && sv_alloc_unset(v, &ps->t) == -1)
		return NULL;
	v->allow = ps->in->sets[set - 1];
	for (nd = 0; nd < ps->t.nnodes; nd++)
		v->mask[nd] = v->allow[nd] ? base->mask[nd] : 0;
	sv_rebuild(v);
	*has = 1;
	return v;
}

/* Takes slots out of "clear" (once it is live) and, when now is set, "now",
 * in every set's views built so far too. */
static void
take_slots(struct pass *ps, const struct sched_slot *slots, int n, int now)
{
	int k;

	if (now)
		sv_take_slots(&ps->now, slots, n);
	if (ps->clear_live)
		sv_take_slots(&ps->clear, slots, n);
	for (k = 0; ps->sets != NULL && k < ps->in->nsets; k++) {
		if (now && ps->sets[k].has_now)
			sv_take_slots(&ps->sets[k].now, slots, n);
		if (ps->sets[k].has_clear)
			sv_take_slots(&ps->sets[k].clear, slots, n);
	}
}

/* "clear" was rebuilt: the sets' clear views follow on their next use. */
static void
clear_changed(struct pass *ps)
{
	int k;

	for (k = 0; ps->sets != NULL && k < ps->in->nsets; k++)
		ps->sets[k].has_clear = 0;
}

/* The quota that holds p back, or NULL when all have room. */
static const char *
quota_hold(const struct pass *ps, const struct sched_pending *p)
{
	int k, q;
	int64_t a = (int64_t)p->req.nnodes * p->req.accels_per_node;

	for (k = 0; k < p->nquotas && k < SCHED_MAX_QUOTAS; k++) {
		q = p->quota[k];
		if (q < 0 || q >= ps->in->nquotas || ps->qjobs == NULL)
			continue;
		if (ps->qjobs[q] < 1)
			return ps->in->quotas[q].jobs_reason;
		if (ps->qaccels[q] < a)
			return ps->in->quotas[q].accels_reason;
	}
	return NULL;
}

/* Spends the room p takes in each of its quotas. */
static void
quota_spend(struct pass *ps, const struct sched_pending *p)
{
	int k, q;
	int64_t a = (int64_t)p->req.nnodes * p->req.accels_per_node;

	for (k = 0; k < p->nquotas && k < SCHED_MAX_QUOTAS; k++) {
		q = p->quota[k];
		if (q < 0 || q >= ps->in->nquotas || ps->qjobs == NULL)
			continue;
		if (ps->qjobs[q] != INT64_MAX)
			ps->qjobs[q]--;
		if (ps->qaccels[q] != INT64_MAX)
			ps->qaccels[q] -= a;
	}
}

/* A QOS limit as a quota; see sched.h. */
struct sched_quota
sched_qos_quota(int64_t max_jobs, int64_t jobs, int64_t max_accels,
    int64_t accels, int per_user)
{
	struct sched_quota q;

	q.jobs = max_jobs > 0 ? max_jobs - jobs : INT64_MAX;
	q.accels = max_accels > 0 ? max_accels - accels : INT64_MAX;
	q.jobs_reason =
	    per_user ? "QOSMaxJobsPerUserLimit" : "QOSMaxJobsPerAccountLimit";
	q.accels_reason =
	    per_user ? "QOSMaxGRESPerUser" : "QOSMaxGRESPerAccount";
	return q;
}

/* Holds pending[i] if one of its quotas has no room: 1 held (the
 * decision names the quota), 0 not. */
static int
held_by_quota(struct pass *ps, int i)
{
	const char *why = quota_hold(ps, &ps->in->pending[i]);

	if (why == NULL)
		return 0;
	ps->res->d[i].reason = SCHED_R_LIMIT;
	ps->res->d[i].limit = why;
	return 1;
}

/* Starts pending[i] on slots: the decision, the views, the profile. */
static int
start_job(struct pass *ps, int i, const struct sched_slot *slots, int n)
{
	const struct sched_pending *p = &ps->in->pending[i];
	struct sched_decision *d = &ps->res->d[i];

	d->slots = malloc(n * sizeof(*d->slots));
	if (d->slots == NULL)
		return -1;
	memcpy(d->slots, slots, n * sizeof(*d->slots));
	d->nslots = n;
	d->reason = SCHED_R_NONE;
	d->start_ms = 0;
	ps->res->nstarted++;
	ps->nmemo = 0;
	take_slots(ps, slots, n, 1);
	quota_spend(ps, p);
	return add_release(ps, ps->in->now_ms + limit_ms(&p->req), d->slots, n,
	    p->req.exclusive != 0);
}

/*
 * Whether p would meet the refusal m: the same request and draw; the same
 * time limit under CONSERVATIVE (its reservations start at many times),
 * under EASY only the same side of the one reservation's start (which
 * decides where it is placed and whether the reservation's draw counts).
 */
static int
same_shape(const struct pass *ps, const struct refused *m,
    const struct sched_pending *p)
{
	const struct sched_request *a = &m->req, *b = &p->req;
	int64_t room = ps->resv_ms - ps->in->now_ms;

	if (a->nnodes != b->nnodes || m->set != p->set ||
	    a->accels_per_node != b->accels_per_node ||
	    a->exclusive != b->exclusive || a->within != b->within ||
	    m->w != p->power_per_accel_w || m->exempt != p->power_exempt)
		return 0;
	if (ps->in->policy == SCHED_CONSERVATIVE)
		return a->time_limit_ms == b->time_limit_ms;
	return ps->resv_ms == 0 ||
	       (limit_ms(a) <= room) == (limit_ms(b) <= room);
}

/* The reason a job of p's shape was refused since the pass last changed,
 * or SCHED_R_NONE. */
static enum sched_reason
memo_find(const struct pass *ps, const struct sched_pending *p)
{
	int k;

	for (k = 0; k < ps->nmemo; k++)
		if (same_shape(ps, &ps->memo[k], p))
			return ps->memo[k].why;
	return SCHED_R_NONE;
}

static void
memo_add(struct pass *ps, const struct sched_pending *p, enum sched_reason why)
{
	struct refused *m;

	if (ps->nmemo == SCHED_MEMO)
		return;
	m = &ps->memo[ps->nmemo++];
	m->req = p->req;
	m->set = p->set;
	m->w = p->power_per_accel_w;
	m->exempt = p->power_exempt;
	m->why = why;
}

/*
 * Starts pending[i] on slots if admission lets it: 1 started, 0 refused
 * (the decision says why; nothing taken), -1 on allocation failure.
 */
static int
try_start(struct pass *ps, int i, const struct sched_slot *slots, int n)
{
	const struct sched_pending *p = &ps->in->pending[i];
	enum sched_reason why;

	if (ps->in->power != NULL) {
		job_draw(ps, p, slots, n, 0);
		why = admit(ps, i, ps->in->now_ms + limit_ms(&p->req));
		if (why != SCHED_R_NONE) {
			draw_clear(ps);
			ps->res->d[i].reason = why;
			memo_add(ps, p, why);
			return 0;
		}
		admit_spend(ps);
		draw_clear(ps);
	}
	return start_job(ps, i, slots, n) == -1 ? -1 : 1;
}

static void
touch(struct pass *ps, int lv, int *nt)
{
	if (!ps->touched[lv]) {
		ps->touched[lv] = 1;
		ps->touchlist[(*nt)++] = lv;
	}
}

/* Whether r fits now that the touched units grew; it did not before. */
static int
touched_fits(struct pass *ps, const struct sched_request *r, int nt)
{
	struct sv_view *v = &ps->scratch;
	int i, u, excl = r->exclusive != 0, a = sv_req_accels(r);
	int group = r->within == SCHED_WITHIN_GROUP;

	if (sv_elig(v, sv_lv_fabric(&ps->t), excl, a) < r->nnodes)
		return 0;
	if (r->within == SCHED_WITHIN_FABRIC)
		return 1;
	for (i = 0; i < nt; i++) {
		u = ps->touchlist[i];
		if ((u < ps->t.ngroups) == group &&
		    sv_elig(v, u, excl, a) >= r->nnodes)
			return 1;
	}
	return 0;
}

/*
 * The reservation of a job that does not fit now: replays the release
 * profile on a copy of `from` ("now", or its node set's) until it fits,
 * and places it there. Returns the start time, with the slots in out,
 * SCHED_FOREVER when it would not fit even after every known release, or
 * -2 on allocation failure.
 */
static int64_t
earliest_fit(struct pass *ps, const struct sv_view *from,
    const struct sched_request *r, struct sched_slot *out)
{
	struct sv_view *v = &ps->scratch;
	const struct release *rl;
	const struct sched_slot *s;
	int64_t t_ms = SCHED_FOREVER;
	int i = 0, j, nt, fits, g;

	sv_copy(v, from);
	if (sort_releases(ps) == -1)
		return -2;
	while (i < ps->nrel) {
		t_ms = ps->rel[i].end_ms;
		nt = 0;
		for (; i < ps->nrel && ps->rel[i].end_ms == t_ms; i++) {
			rl = &ps->rel[i];
			sv_give_slots(v, rl->slots, rl->nslots, rl->exclusive);
			for (j = 0; j < rl->nslots; j++) {
				s = &rl->slots[j];
				if (!slot_valid(ps, s))
					continue;
				g = ps->t.nodes[s->node].group;
				touch(ps, g, &nt);
				if (ps->t.gpod[g] >= 0)
					touch(ps,
					    sv_lv_pod(&ps->t, ps->t.gpod[g]),
					    &nt);
			}
		}
		fits = touched_fits(ps, r, nt);
		for (j = 0; j < nt; j++)
			ps->touched[ps->touchlist[j]] = 0;
		if (fits && sv_place(v, r, out) == r->nnodes)
			return t_ms;
	}
	return SCHED_FOREVER;
}

/* 1 if a job of set has a reservation in this pass. */
static int
set_reserved(const int *sets, int n, int set)
{
	int k;

	for (k = 0; k < n; k++)
		if (sets[k] == set)
			return 1;
	return 0;
}

/*
 * Backfill: where r (of set) may start now without delaying a
 * reservation: anywhere if it ends before the first one starts, else
 * only off reserved accelerators. fits: sv_fits(now, r), which the
 * caller knows. Returns r->nnodes with the slots in
 * ps->buf, 0 if it does not fit, -1 on allocation failure.
 */
static int
backfill_place(struct pass *ps, int set, const struct sched_request *r,
    struct sv_view *now, int fits, int64_t resv_ms)
{
	struct sv_view *clear;

	if (!fits)
		return 0;
	if (limit_ms(r) <= resv_ms - ps->in->now_ms)
		return sv_place(now, r, ps->buf) == r->nnodes ? r->nnodes : 0;
	if ((clear = view_of(ps, set, 1)) == NULL)
		return -1;
	return sv_place(clear, r, ps->buf) == r->nnodes ? r->nnodes : 0;
}

/*
 * FCFS and EASY: one walk down the queue in priority order. Under EASY
 * the first job that cannot start gets a reservation, and so does the
 * first of every other node set (a partition's top job is not starved by
 * another partition's backfill), up to SCHED_EASY_RESV; the jobs after
 * them start only where they delay none.
 */
static int
pass_queue(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	const struct sched_request *r;
	struct sched_decision *d;
	struct sv_view *now, *from;
	int64_t resv_ms = 0, t_ms;
	int rsets[SCHED_EASY_RESV];
	int k, i, n, set, nr = 0, blocked = 0, fits;
	enum sched_reason why;

	for (k = 0; k < in->npending; k++) {
		i = ps->order[k];
		r = &in->pending[i].req;
		set = in->pending[i].set;
		d = &ps->res->d[i];
		if ((why = intrinsic(ps, r)) != SCHED_R_NONE) {
			d->reason = why;
			continue;
		}
		if (blocked) {
			d->reason = SCHED_R_PRIORITY;
			continue;
		}
		if (held_by_quota(ps, i))
			continue;
		if ((now = view_of(ps, set, 0)) == NULL)
			return -1;
		/* nothing below changes "now" before the job starts */
		fits = sv_fits(now, r);
		if (fits && ((why = admit_bound(ps, i)) != SCHED_R_NONE ||
		                (why = memo_find(ps, &in->pending[i])) !=
		                    SCHED_R_NONE)) {
			d->reason = why;
			continue;
		}
		if (nr == 0)
			n = fits && sv_place(now, r, ps->buf) == r->nnodes
			        ? r->nnodes
			        : 0;
		else if ((n = backfill_place(ps, set, r, now, fits, resv_ms)) ==
		         -1)
			return -1;
		if (n == r->nnodes) {
			if (try_start(ps, i, ps->buf, n) == -1)
				return -1;
			continue;
		}
		if (nr > 0 &&
		    (set_reserved(rsets, nr, set) || nr == SCHED_EASY_RESV)) {
			d->reason =
			    fits ? SCHED_R_RESERVATION : SCHED_R_RESOURCES;
			continue;
		}
		/* the first blocked job of its set: its reservation, from
		 * what the reservations before it leave */
		d->reason = SCHED_R_RESOURCES;
		from = nr == 0 ? now : view_of(ps, set, 1);
		if (from == NULL ||
		    (t_ms = earliest_fit(ps, from, r, ps->buf)) == -2)
			return -1;
		if (in->policy == SCHED_FCFS)
			blocked = 1;
		if (t_ms == SCHED_FOREVER)
			continue;
		d->start_ms = t_ms;
		if (in->policy == SCHED_FCFS)
			continue;
		if (nr == 0) {
			sv_copy(&ps->clear, &ps->now);
			ps->clear_live = 1;
			clear_changed(ps);
		}
		if (nr == 0 || t_ms < resv_ms)
			resv_ms = t_ms;
		ps->resv_ms = resv_ms;
		ps->nmemo = 0;
		rsets[nr++] = set;
		take_slots(ps, ps->buf, r->nnodes, 0);
		if (admit_hold(ps, i, ps->buf, r->nnodes, t_ms) == -1)
			return -1;
	}
	return 0;
}

/* CONSERVATIVE ----------------------------------------------------------- */

/* Node nd's step function. */
static struct nprof *
prof_of(struct pass *ps, int nd)
{
	return &ps->prof[nd];
}

/* Splits a profile at time x (> its first step) and returns the index of
 * the step starting at x, or -1 on allocation failure. */
static int
prof_split(struct nprof *p, int64_t x)
{
	int lo = 0, hi = p->n - 1, mid;
	int64_t *t;
	uint64_t *f;

	while (lo < hi) { /* the last step starting at or before x */
		mid = (lo + hi + 1) / 2;
		if (p->t[mid] <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (p->t[lo] == x)
		return lo;
	if ((t = grow(p->t, p->n + 1, &p->tcap, sizeof(*t))) == NULL)
		return -1;
	p->t = t;
	if ((f = grow(p->f, p->n + 1, &p->fcap, sizeof(*f))) == NULL)
		return -1;
	p->f = f;
	memmove(t + lo + 2, t + lo + 1, (p->n - lo - 1) * sizeof(*t));
	memmove(f + lo + 2, f + lo + 1, (p->n - lo - 1) * sizeof(*f));
	t[lo + 1] = x;
	f[lo + 1] = f[lo];
	p->n++;
	return lo + 1;
}

/* Finds p->free_ms again after steps lost accelerators. */
static void
prof_free_ms(struct nprof *p)
{
	int k;

	for (k = 0; k < p->n && p->f[k] == 0; k++)
		;
	p->free_ms = k < p->n ? p->t[k] : SCHED_FOREVER;
}

/* Node nd's profile changed: its group's, pod's and the fabric's lower
 * bounds are rebuilt on their next use. */
static void
unit_changed(struct pass *ps, int nd)
{
	int g = ps->t.nodes[nd].group;

	ps->uver[g]++;
	if (ps->t.gpod[g] >= 0)
		ps->uver[sv_lv_pod(&ps->t, ps->t.gpod[g])]++;
	ps->uver[sv_lv_fabric(&ps->t)]++;
}

/* Marks accelerators mask of node nd busy over [s_ms, e_ms). */
static int
prof_busy(struct pass *ps, int nd, int64_t s_ms, int64_t e_ms, uint64_t mask)
{
	struct nprof *p = prof_of(ps, nd);
	int64_t horizon = ps->in->now_ms + SCHED_HORIZON_MS;
	int ks, ke, k;

	if (e_ms > horizon)
		e_ms = horizon;
	if (p->n == 0 || e_ms <= s_ms)
		return 0; /* not open: no profile */
	if ((ks = prof_split(p, s_ms)) == -1 ||
	    (ke = prof_split(p, e_ms)) == -1)
		return -1;
	for (k = ks; k < ke; k++)
		p->f[k] &= ~mask;
	prof_free_ms(p);
	unit_changed(ps, nd);
	return 0;
}

static int
prof_busy_slots(struct pass *ps, const struct sched_slot *s, int n,
    int64_t s_ms, int64_t e_ms)
{
	int i;

	for (i = 0; i < n; i++)
		if (prof_busy(ps, s[i].node, s_ms, e_ms, s[i].mask) == -1)
			return -1;
	return 0;
}

/* Accelerators of node nd free over all of [s_ms, e_ms). */
static uint64_t
window_mask(struct pass *ps, int nd, int64_t s_ms, int64_t e_ms)
{
	const struct nprof *p = prof_of(ps, nd);
	uint64_t m = ~0ULL;
	int lo = 0, hi = p->n - 1, mid;

	if (p->n == 0 || p->free_ms > s_ms) /* not open, or busy at s_ms */
		return 0;
	if (p->n == 1) /* the same for ever */
		return p->f[0];
	if (p->t[hi] <= s_ms) /* the window starts in the last step */
		return p->f[hi];
	if (p->n <= 8) { /* most nodes: a handful of steps, walked */
		while (lo < hi && p->t[lo + 1] <= s_ms)
			lo++;
	} else {
		while (lo < hi) {
			mid = (lo + hi + 1) / 2;
			if (p->t[mid] <= s_ms)
				lo = mid;
			else
				hi = mid - 1;
		}
	}
	for (; m != 0 && lo < p->n && p->t[lo] < e_ms; lo++)
		m &= p->f[lo]; /* most nodes are busy in a reservation's window
		                */
	return m;
}

/* Room for n more sweep keys. 0, or -1 on allocation failure. */
static int
key_room(struct pass *ps, int n)
{
	uint64_t *k;

	if ((k = grow(ps->keys, ps->nkeys + n, &ps->keycap, sizeof(*k))) ==
	    NULL)
		return -1;
	ps->keys = k;
	return 0;
}

/* Adds a sweep key; key_room() made room for it. */
static inline void
add_key(struct pass *ps, int64_t t_ms, int open)
{
	ps->keys[ps->nkeys++] =
	    (uint64_t)(t_ms - ps->in->now_ms) << 1 | (open != 0);
}

/* Sorts the sweep keys: insertion sort for a few, else an LSD radix sort
 * on bytes that skips the bytes every key shares (times cluster). */
static int
sort_keys(struct pass *ps)
{
	uint64_t *a = ps->keys, *tmp, *sw, x;
	int n = ps->nkeys, i, j, k, cnt[256], sum, c, d, moved = 0;

	if (n < 32) {
		for (i = 1; i < n; i++) {
			x = a[i];
			for (j = i; j > 0 && a[j - 1] > x; j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return 0;
	}
	if ((tmp = grow(ps->keytmp, n, &ps->keytmpcap, sizeof(*tmp))) == NULL)
		return -1;
	ps->keytmp = tmp;
	for (k = 0; k < 6; k++) { /* 48 bits: time after now and the flag */
		memset(cnt, 0, sizeof(cnt));
		for (i = 0; i < n; i++)
			cnt[(a[i] >> (8 * k)) & 0xff]++;
		if (cnt[(a[0] >> (8 * k)) & 0xff] == n)
			continue;
		for (d = 0, sum = 0; d < 256; d++) {
			c = cnt[d];
			cnt[d] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			tmp[cnt[(a[i] >> (8 * k)) & 0xff]++] = a[i];
		sw = a;
		a = tmp;
		tmp = sw;
		moved ^= 1;
	}
	if (moved) { /* the sorted keys are in the other array: swap */
		ps->keys = a;
		ps->keytmp = tmp;
		c = ps->keycap;
		ps->keycap = ps->keytmpcap;
		ps->keytmpcap = c;
	}
	return 0;
}

/* Whether free accelerators m of a node whose accelerators are full
 * suffice for a job needing a on it (the whole node when excl; the
 * caller checked that the node has a at all). */
static inline int
suffices(uint64_t m, uint64_t full, int excl, int a)
{
	return excl ? m == full : sv_popc(m) >= a;
}

/* What a request asks of each node, worked out once per search. */
struct need {
	int excl, a;
	int64_t lim_ms;
};

/*
 * node_windows() for an exclusive job, in one walk: each run of wholly
 * free steps [A, B) (B the first step not wholly free) gives the starts
 * [A, B - lim + 1), a run to the end every start from A. The same starts
 * as the general walk's, which gives them step by step: the sweep counts
 * the same nodes open at every time.
 */
static int
excl_windows(struct pass *ps, const struct nprof *p, uint64_t full, int64_t lim,
    int64_t before)
{
	int k = 0, m;
	int64_t hi;

	while (k < p->n && p->t[k] < before) {
		if (p->f[k] != full) {
			k++;
			continue;
		}
		for (m = k + 1; m < p->n && p->f[m] == full; m++)
			;
		if (m == p->n) {
			add_key(ps, p->t[k], 1);
			break;
		}
		hi = p->t[m] - lim + 1;
		if (p->t[k] < hi) {
			add_key(ps, p->t[k], 1);
			add_key(ps, hi, 0);
		}
		k = m + 1;
	}
	return 0;
}

/*
 * The start times before `before` at which node nd is free for r's whole
 * time limit, as keys opening and closing intervals [lo, hi): a window
 * starting in step k of the node's profile is feasible until it reaches
 * the first later step whose free accelerators, intersected with those
 * before, fall short.
 */
static int
node_windows(struct pass *ps, int nd, const struct need *nr, int64_t before)
{
	const struct nprof *p = prof_of(ps, nd);
	int64_t lim = nr->lim_ms, lo, hi;
	uint64_t full = ps->t.full[nd], acc;
	int k, m, excl = nr->excl, a = nr->a;

	/* not open, too small for ever, or nothing before `before` */
	if (p->n == 0 || ps->t.nodes[nd].naccels < a || p->free_ms >= before)
		return 0;
	if (ps->nkeys + 2 * p->n > ps->keycap && key_room(ps, 2 * p->n) == -1)
		return -1;
	if (excl)
		return excl_windows(ps, p, full, lim, before);
	if (p->n == 1) { /* nothing changes: free for ever, or never */
		if (suffices(p->f[0], full, excl, a))
			add_key(ps, p->t[0], 1);
		return 0;
	}
	for (k = 0; k < p->n && p->t[k] < before; k++) {
		if (!suffices(p->f[k], full, excl, a))
			continue;
		lo = p->t[k];
		hi = k + 1 < p->n ? p->t[k + 1] : SCHED_FOREVER;
		acc = p->f[k];
		for (m = k + 1; m < p->n && p->t[m] - lim < hi; m++) {
			acc &= p->f[m];
			if (!suffices(acc, full, excl, a)) {
				if (p->t[m] - lim + 1 < hi)
					hi = p->t[m] - lim + 1;
				break;
			}
		}
		if (lo >= hi)
			continue;
		add_key(ps, lo, 1);
		if (hi != SCHED_FOREVER)
			add_key(ps, hi, 0);
	}
	return 0;
}

/* The first time at which n nodes' windows are open at once, from the
 * sorted keys, or SCHED_FOREVER. */
static int64_t
sweep(const struct pass *ps, int n)
{
	uint64_t tk;
	int i = 0, cnt = 0;

	while (i < ps->nkeys) {
		tk = ps->keys[i] >> 1;
		for (; i < ps->nkeys && ps->keys[i] >> 1 == tk; i++)
			cnt += ps->keys[i] & 1 ? 1 : -1;
		if (cnt >= n)
			return ps->in->now_ms + (int64_t)tk;
	}
	return SCHED_FOREVER;
}

/* Group range [*glo, *ghi) of unit u of a request's `within` (indices
 * into pgroups for a pod, groups otherwise), and its level. */
static int
unit_groups(
    const struct sv_topo *t, enum sched_within w, int u, int *glo, int *ghi)
{
	*glo = w == SCHED_WITHIN_POD     ? t->poff[u]
	       : w == SCHED_WITHIN_GROUP ? u
	                                 : 0;
	*ghi = w == SCHED_WITHIN_POD     ? t->poff[u + 1]
	       : w == SCHED_WITHIN_GROUP ? u + 1
	                                 : t->ngroups;
	return w == SCHED_WITHIN_GROUP ? u
	       : w == SCHED_WITHIN_POD ? sv_lv_pod(t, u)
	                               : sv_lv_fabric(t);
}

/* The i-th group of a unit's range. */
static int
unit_group(const struct sv_topo *t, enum sched_within w, int i)
{
	return w == SCHED_WITHIN_POD ? t->pgroups[i] : i;
}

/* Nodes in a unit's range of groups. */
static int
unit_nodes(const struct sv_topo *t, enum sched_within w, int glo, int ghi)
{
	int i, n = 0;

	for (i = glo; i < ghi; i++)
		n += t->goff[unit_group(t, w, i) + 1] -
		     t->goff[unit_group(t, w, i)];
	return n;
}

/* Keeps n ascending times (ms after now) in b, which has room for
 * nmax (the unit's nodes, ≥ n): allocated once, on the first build. 0,
 * or -1 on allocation failure. */
static int
ulb_keep(struct ulb *b, const uint64_t *times, int n, int nmax)
{
	int i;

	b->n = 0;
	if (b->t == NULL && (b->t = malloc((nmax + 1) * sizeof(*b->t))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		b->t[i] = (int64_t)times[i];
	b->n = n;
	return 0;
}

/*
 * Builds b for unit lv (groups [glo, ghi) of within w), (excl, a) and
 * limits of at least d_ms (≥ 1): when each of its nodes first can hold
 * such a job, at the start A of its first run of eligible steps [A, B) as
 * long as d_ms (B - A ≥ d_ms, or B never), in ascending order. A start
 * of a k-node job needs k nodes each inside such a run, so not before
 * the k-th of these times. 0, or -1 on allocation failure.
 */
static int
ulb_build(struct pass *ps, struct ulb *b, enum sched_within w, int glo, int ghi,
    int excl, int a, int64_t d_ms)
{
	const struct sv_topo *t = &ps->t;
	const struct nprof *p;
	int i, j, k, m, nd;

	ps->nkeys = 0;
	b->n = 0;
	for (i = glo; i < ghi; i++)
		for (j = t->goff[unit_group(t, w, i)];
		     j < t->goff[unit_group(t, w, i) + 1]; j++) {
			nd = t->gnodes[j];
			p = prof_of(ps, nd);
			if (p->n == 0 || t->nodes[nd].naccels < a)
				continue;
			if (ps->nkeys + 1 > ps->keycap && key_room(ps, 1) == -1)
				return -1;
			for (k = 0; k < p->n;) {
				if (!suffices(p->f[k], t->full[nd], excl, a)) {
					k++;
					continue;
				}
				for (m = k + 1;
				     m < p->n &&
				     suffices(p->f[m], t->full[nd], excl, a);
				     m++)
					;
				if (m == p->n || p->t[m] - p->t[k] >= d_ms) {
					add_key(ps, p->t[k], 1);
					break;
				}
				k = m + 1;
			}
		}
	if (sort_keys(ps) == -1)
		return -1;
	for (i = 0; i < ps->nkeys; i++)
		ps->keys[i] >>= 1;
	return ulb_keep(b, ps->keys, ps->nkeys, unit_nodes(t, w, glo, ghi));
}

/*
 * Builds b for pod p from the bounds of its groups (lvb, every level's
 * for the same shape and class; each group's built first if stale): the
 * pod's nodes are its groups', so its times are theirs, merged, two lists
 * at a time. 0, or -1 on allocation failure.
 */
static int
ulb_pod(struct pass *ps, struct ulb *lvb, int p, int excl, int a, int64_t d_ms)
{
	const struct sv_topo *t = &ps->t;
	struct ulb *gb;
	uint64_t *src, *dst, *sw;
	int i, j, g, n = 0, nr = 0, r, w, lo, mid, hi, x, y, k;
	int *off = ps->runoff;

	for (i = t->poff[p]; i < t->poff[p + 1]; i++) {
		g = t->pgroups[i];
		gb = &lvb[g];
		if (gb->ver != ps->uver[g]) {
			if (ulb_build(ps, gb, SCHED_WITHIN_GROUP, g, g + 1,
			        excl, a, d_ms) == -1)
				return -1;
			gb->ver = ps->uver[g];
		}
		n += gb->n;
	}
	if (key_room(ps, n) == -1 ||
	    (ps->keytmp = grow(
	         ps->keytmp, n, &ps->keytmpcap, sizeof(*ps->keytmp))) == NULL)
		return -1;
	off[0] = n = 0;
	for (i = t->poff[p]; i < t->poff[p + 1]; i++) {
		gb = &lvb[t->pgroups[i]];
		for (j = 0; j < gb->n; j++)
			ps->keys[n++] = (uint64_t)gb->t[j];
		if (gb->n > 0)
			off[++nr] = n;
	}
	src = ps->keys;
	dst = ps->keytmp;
	while (nr > 1) { /* runs [off[r], off[r + 1]) */
		for (r = 0, w = 0; r < nr; r += 2, w++) {
			lo = off[r];
			mid = off[r + 1];
			hi = r + 2 <= nr ? off[r + 2] : mid;
			for (x = lo, y = mid, k = lo; k < hi; k++)
				dst[k] =
				    y >= hi || (x < mid && src[x] <= src[y])
				        ? src[x++]
				        : src[y++];
			off[w] = lo;
		}
		off[w] = n;
		nr = w;
		sw = src;
		src = dst;
		dst = sw;
	}
	return ulb_keep(&lvb[sv_lv_pod(t, p)], src, n,
	    unit_nodes(t, SCHED_WITHIN_POD, t->poff[p], t->poff[p + 1]));
}

/* The class of a time limit: 0 below SCHED_CLASS_MS, then one more for
 * each doubling. */
static int
lim_class(int64_t lim_ms)
{
	int c = 0;

	while (c < SCHED_NCLASS - 1 && (SCHED_CLASS_MS << c) <= lim_ms)
		c++;
	return c;
}

/* The least limit of class c, ms: no limit of the class is shorter. */
static int64_t
class_ms(int c)
{
	return c == 0 ? 1 : SCHED_CLASS_MS << (c - 1);
}

/* The lower bounds of every level for (excl, a) and limit class c,
 * allocated on first use; NULL on allocation failure. */
static struct ulb *
ulb_levels(struct pass *ps, int excl, int a, int c)
{
	struct ulb **b =
	    &ps->ulb[((size_t)excl * ps->t.na + a) * SCHED_NCLASS + c];

	if (*b == NULL)
		*b = calloc(ps->now.nlv, sizeof(**b));
	return *b;
}

/*
 * The lower bound b gives for k nodes, ms, or SCHED_FOREVER; now if b was
 * never built. A bound built before the unit changed is a bound still:
 * profiles only lose accelerators in a pass, so the first instant k nodes
 * are eligible at once can only come later.
 */
static int64_t
ulb_bound(const struct pass *ps, const struct ulb *b, int k)
{
	if (b->ver == 0)
		return ps->in->now_ms;
	if (b->n < k)
		return SCHED_FOREVER;
	return ps->in->now_ms + b->t[k - 1];
}

/* The lower bound of level lv for k nodes of (excl, a) and limit class
 * c, from the bounds as last built: a lower class's, where the class's
 * were never built (it clips the runs less), now when none were. */
static int64_t
unit_bound(struct pass *ps, int excl, int a, int c, int lv, int k)
{
	const struct ulb *b;

	for (; c >= 0; c--) {
		b = ps->ulb[((size_t)excl * ps->t.na + a) * SCHED_NCLASS + c];
		if (b != NULL && b[lv].ver != 0)
			return ulb_bound(ps, &b[lv], k);
	}
	return ps->in->now_ms;
}

/* Whether unit u is searched before unit v: the lower bound, then the
 * index. */
static inline int
unit_before(const struct pass *ps, int u, int v)
{
	return ps->ubound[u] < ps->ubound[v] ||
	       (ps->ubound[u] == ps->ubound[v] && u < v);
}

/* Sifts the unit at index i of the heap of n units (ps->uheap) down. */
static void
heap_down(struct pass *ps, int n, int i)
{
	int *h = ps->uheap, u = h[i], c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && unit_before(ps, h[c + 1], h[c]))
			c++;
		if (!unit_before(ps, h[c], u))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = u;
}

/* The earliest time r fits for its whole time limit in unit u, if before
 * `before`, else `before` or later; -2 on allocation failure. */
static int64_t
unit_earliest(struct pass *ps, const struct sched_request *r, int u,
    const unsigned char *allow, const struct need *nr, int64_t before)
{
	const struct sv_topo *t = &ps->t;
	int glo, ghi, i, j;

	unit_groups(t, r->within, u, &glo, &ghi);
	ps->nkeys = 0;
	for (i = glo; i < ghi; i++)
		for (j = t->goff[unit_group(t, r->within, i)];
		     j < t->goff[unit_group(t, r->within, i) + 1]; j++)
			if ((allow == NULL || allow[t->gnodes[j]]) &&
			    node_windows(ps, t->gnodes[j], nr, before) == -1)
				return -2;
	if (sort_keys(ps) == -1)
		return -2;
	return sweep(ps, r->nnodes);
}

/*
 * The earliest time r fits for its whole time limit in one unit (group,
 * pod or the fabric, after its `within`), or SCHED_FOREVER; -2 on
 * allocation failure. Units too small even when all free are skipped; the
 * others are searched least lower bound (struct ulb) first, and the search
 * ends at the first unit whose bound is no earlier than the best start
 * found. A unit's bound is taken as last built, which is a bound still,
 * and rebuilt only when the unit comes up with a stale one: it then goes
 * back in its place. Most units never come up, so that the search walks
 * the nodes of a few units where it walked the fabric's, and rebuilds the
 * bounds of those few. The minimum over units is the same. On return
 * (but for a request over the fabric), ps->ubound holds for every unit a
 * time no later than its earliest start, SCHED_FOREVER if it has none.
 */
static int64_t
cons_earliest(struct pass *ps, const struct sched_request *r, int set)
{
	const struct sv_topo *t = &ps->t;
	int64_t best = SCHED_FOREVER, tu;
	int u, nu, lv, glo, ghi, n = 0, i, excl = r->exclusive != 0;
	int a = sv_req_accels(r);
	const unsigned char *allow =
	    set > 0 && set <= ps->in->nsets ? ps->in->sets[set - 1] : NULL;
	struct need nr = {excl, a, limit_ms(r)};
	int cls = lim_class(nr.lim_ms);
	struct ulb *lvb, *b;

	nu = r->within == SCHED_WITHIN_GROUP ? t->ngroups
	     : r->within == SCHED_WITHIN_POD ? t->npods
	                                     : 1;
	if (nu == 1) { /* one unit (the fabric's, or the only group or pod) */
		lv = unit_groups(t, r->within, 0, &glo, &ghi);
		if (sv_elig(&ps->cap, lv, excl, a) >= r->nnodes)
			best = unit_earliest(ps, r, 0, allow, &nr, best);
		ps->ubound[0] = best;
		return best;
	}
	if ((lvb = ulb_levels(ps, excl, a, cls)) == NULL)
		return -2;
	for (u = 0; u < nu; u++) {
		lv = unit_groups(t, r->within, u, &glo, &ghi);
		ps->ubound[u] = SCHED_FOREVER;
		if (sv_elig(&ps->cap, lv, excl, a) < r->nnodes)
			continue;
		ps->ubound[u] = unit_bound(ps, excl, a, cls, lv, r->nnodes);
		if (ps->ubound[u] != SCHED_FOREVER)
			ps->uheap[n++] = u;
	}
	for (i = n / 2 - 1; i >= 0; i--)
		heap_down(ps, n, i);
	while (n > 0 && ps->ubound[u = ps->uheap[0]] < best) {
		lv = unit_groups(t, r->within, u, &glo, &ghi);
		b = &lvb[lv];
		if (b->ver !=
		    ps->uver[lv]) { /* stale: rebuilt, back in place */
			if ((r->within == SCHED_WITHIN_POD
			            ? ulb_pod(
			                  ps, lvb, u, excl, a, class_ms(cls))
			            : ulb_build(ps, b, r->within, glo, ghi,
			                  excl, a, class_ms(cls))) == -1)
				return -2;
			b->ver = ps->uver[lv];
			ps->ubound[u] = ulb_bound(ps, b, r->nnodes);
			if (ps->ubound[u] == SCHED_FOREVER)
				ps->uheap[0] = ps->uheap[--n];
		} else {
			if ((tu = unit_earliest(ps, r, u, allow, &nr, best)) ==
			    -2)
				return -2;
			/* its start if before best, else no earlier than best
			 */
			ps->ubound[u] = tu < best ? tu : best;
			if (tu < best)
				best = tu;
			ps->uheap[0] = ps->uheap[--n];
		}
		heap_down(ps, n, 0);
	}
	return best;
}

/*
 * The scratch view: what is free over all of [s_ms, e_ms) on the nodes
 * of set. In a reservation's window almost every node is busy (94 % at
 * fabric size), so the view is updated node by node, with its summaries,
 * from the last window's (the pass allocates it empty), only where a
 * node's window differs: rebuilding the summaries of 12,800 nodes for each
 * reservation cost as much as finding its start. A group is not walked at
 * all when every node of it is busy at s_ms (by ps->gfree) and none is
 * open in the view: nothing of it would change.
 *
 * The view is for placing r, which cons_earliest() found to start at
 * s_ms, and placement only takes a group or pod that holds r at once:
 * one whose earliest start is s_ms. So a unit of r's `within` whose bound
 * (ps->ubound) is later is left closed in the view, as if busy: where
 * r goes is the same, and only the few units that can hold r are walked.
 * A request over the fabric may take any node: the view is whole then.
 */
static void
window_view(struct pass *ps, const struct sched_request *r, int64_t s_ms,
    int64_t e_ms, int set)
{
	const struct sv_topo *t = &ps->t;
	const unsigned char *allow =
	    set > 0 && set <= ps->in->nsets ? ps->in->sets[set - 1] : NULL;
	const struct nprof *p;
	uint64_t m;
	int64_t lo;
	int g, i, nd, u;

	for (g = 0; g < t->ngroups; g++) {
		u = r->within == SCHED_WITHIN_GROUP ? g : t->gpod[g];
		if (r->within != SCHED_WITHIN_FABRIC &&
		    (u < 0 || ps->ubound[u] > s_ms)) {
			for (i = t->goff[g];
			     ps->scratch.facc[g] != 0 && i < t->goff[g + 1];
			     i++)
				if (ps->scratch.mask[t->gnodes[i]] != 0)
					sv_set(&ps->scratch, t->gnodes[i], 0);
			continue;
		}
		if (ps->gfree[g] > s_ms && ps->scratch.facc[g] == 0)
			continue;
		lo = SCHED_FOREVER;
		for (i = t->goff[g]; i < t->goff[g + 1]; i++) {
			nd = t->gnodes[i];
			p = prof_of(ps, nd);
			m = allow != NULL && !allow[nd]
			        ? 0
			        : window_mask(ps, nd, s_ms, e_ms);
			if (m != ps->scratch.mask[nd])
				sv_set(&ps->scratch, nd, m);
			if (p->n > 0 && p->free_ms < lo)
				lo = p->free_ms;
		}
		ps->gfree[g] = lo;
	}
}

/* Every open node's profile from now: what is free, less what running
 * jobs hold until their ends. Accelerators busy but held by no running
 * job stay busy. */
static int
cons_init(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	const struct release *rl;
	const struct sched_slot *s;
	struct nprof *p;
	uint64_t *held;
	int nn = ps->t.nnodes, i, j, nu;

	ps->prof = calloc(nn + 1, sizeof(*ps->prof));
	ps->uver = malloc(ps->now.nlv * sizeof(*ps->uver));
	ps->ulb =
	    calloc((size_t)2 * ps->t.na * SCHED_NCLASS + 1, sizeof(*ps->ulb));
	nu = (ps->t.ngroups > ps->t.npods ? ps->t.ngroups : ps->t.npods) + 1;
	ps->ubound = malloc(nu * sizeof(*ps->ubound));
	ps->uheap = malloc(nu * sizeof(*ps->uheap));
	ps->runoff = malloc((ps->t.ngroups + 2) * sizeof(*ps->runoff));
	ps->gfree = malloc((ps->t.ngroups + 1) * sizeof(*ps->gfree));
	if ((held = calloc(nn + 1, sizeof(*held))) == NULL ||
	    ps->prof == NULL || ps->uver == NULL || ps->ulb == NULL ||
	    ps->ubound == NULL || ps->uheap == NULL || ps->gfree == NULL ||
	    ps->runoff == NULL)
		goto fail;
	for (i = 0; i < ps->now.nlv; i++)
		ps->uver[i] = 1;
	for (i = 0; i < ps->t.ngroups; i++)
		ps->gfree[i] = INT64_MIN; /* walked the first time */
	for (i = 0; i < ps->nrel; i++)
		for (j = 0, rl = &ps->rel[i]; j < rl->nslots; j++)
			if (slot_valid(ps, s = &rl->slots[j]))
				held[s->node] |= rel_mask(ps, rl, s);
	for (i = 0; i < nn; i++) {
		if (!ps->t.open[i])
			continue;
		p = &ps->prof[i];
		if ((p->t = grow(NULL, 1, &p->tcap, sizeof(*p->t))) == NULL ||
		    (p->f = grow(NULL, 1, &p->fcap, sizeof(*p->f))) == NULL)
			goto fail;
		p->n = 1;
		p->t[0] = in->now_ms;
		p->f[0] = ps->t.full[i] & (in->nodes[i].free_mask | held[i]);
		prof_free_ms(p);
	}
	for (i = 0; i < ps->nrel; i++)
		for (j = 0, rl = &ps->rel[i]; j < rl->nslots; j++)
			if (slot_valid(ps, s = &rl->slots[j]) &&
			    prof_busy(ps, s->node, in->now_ms, rl->end_ms,
			        rel_mask(ps, rl, s)) == -1)
				goto fail;
	free(held);
	return 0;
fail:
	free(held);
	return -1;
}

/*
 * CONSERVATIVE: every job in priority order gets the earliest start that
 * keeps all reservations made before it; it starts if that is now. Past
 * SCHED_CONS_DEPTH future reservations a job only starts if it fits beside
 * every reservation, like Slurm's bf_max_job_test.
 */
static int
pass_conservative(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	const struct sched_request *r;
	struct sched_decision *d;
	struct sv_view *clear, *now;
	int64_t t_ms;
	int k, i, n, set;
	enum sched_reason why;

	if (cons_init(ps) == -1)
		return -1;
	for (k = 0; k < in->npending; k++) {
		i = ps->order[k];
		r = &in->pending[i].req;
		set = in->pending[i].set;
		d = &ps->res->d[i];
		if ((why = intrinsic(ps, r)) != SCHED_R_NONE) {
			d->reason = why;
			continue;
		}
		if (held_by_quota(ps, i))
			continue;
		if ((clear = view_of(ps, set, 1)) == NULL ||
		    (now = view_of(ps, set, 0)) == NULL)
			return -1;
		if (sv_fits(clear, r) &&
		    ((why = admit_bound(ps, i)) != SCHED_R_NONE ||
		        (why = memo_find(ps, &in->pending[i])) !=
		            SCHED_R_NONE)) {
			d->reason = why;
			continue;
		}
		n = sv_place(clear, r, ps->buf);
		if (n == r->nnodes) {
			t_ms = in->now_ms;
		} else if (ps->nresv >= SCHED_CONS_DEPTH) {
			d->reason = sv_fits(now, r) ? SCHED_R_RESERVATION
			                            : SCHED_R_RESOURCES;
			continue;
		} else {
			if ((t_ms = cons_earliest(ps, r, set)) == -2)
				return -1;
			if (t_ms == SCHED_FOREVER) {
				d->reason = SCHED_R_RESOURCES;
				continue;
			}
			window_view(ps, r, t_ms, t_ms + limit_ms(r), set);
			n = sv_place(&ps->scratch, r, ps->buf);
			if (n !=
			    r->nnodes) { /* cannot happen: the sweep found it */
				d->reason = SCHED_R_RESOURCES;
				continue;
			}
		}
		if (t_ms == in->now_ms) {
			if ((n = try_start(ps, i, ps->buf, n)) == -1)
				return -1;
			if (n == 1 && prof_busy_slots(ps, d->slots, d->nslots,
			                  t_ms, t_ms + limit_ms(r)) == -1)
				return -1;
			continue;
		}
		if (prof_busy_slots(ps, ps->buf, n, t_ms, t_ms + limit_ms(r)) ==
		        -1 ||
		    admit_hold(ps, i, ps->buf, n, t_ms) == -1)
			return -1;
		ps->nresv++;
		take_slots(ps, ps->buf, n, 0);
		d->reason =
		    sv_fits(now, r) ? SCHED_R_RESERVATION : SCHED_R_RESOURCES;
		d->start_ms = t_ms;
	}
	return 0;
}

static void
pass_free(struct pass *ps)
{
	int i, j;

	if (ps->prof != NULL) /* before the topology, which counts nodes */
		for (i = 0; i < ps->t.nnodes; i++) {
			free(ps->prof[i].t);
			free(ps->prof[i].f);
		}
	free(ps->prof);
	for (i = 0; ps->ulb != NULL && i < 2 * ps->t.na * SCHED_NCLASS; i++) {
		for (j = 0; ps->ulb[i] != NULL && j < ps->now.nlv; j++) {
			free(ps->ulb[i][j].t);
		}
		free(ps->ulb[i]);
	}
	free(ps->ulb);
	free(ps->uver);
	free(ps->ubound);
	free(ps->uheap);
	free(ps->runoff);
	free(ps->gfree);
	free(ps->keys);
	free(ps->keytmp);
	sv_free(&ps->now);
	sv_free(&ps->cap);
	sv_free(&ps->all);
	sv_free(&ps->clear);
	sv_free(&ps->scratch);
	sv_topo_free(&ps->t);
	free(ps->power_room);
	free(ps->heat_room);
	free(ps->add);
	free(ps->addpods);
	free(ps->held);
	free(ps->order);
	free(ps->rel);
	free(ps->buf);
	free(ps->touched);
	free(ps->touchlist);
	for (i = 0; ps->sets != NULL && i < ps->in->nsets; i++) {
		sv_free(&ps->sets[i].now);
		sv_free(&ps->sets[i].clear);
	}
	free(ps->sets);
	free(ps->qjobs);
	free(ps->qaccels);
}

/* The rooms admission spends, copied from the input. */
static int
pass_init_power(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	int np = in->npods > 0 ? in->npods : 0, nd, k;
	double now;

	if (in->power == NULL)
		return 0;
	ps->power_room = malloc((np + 1) * sizeof(double));
	ps->heat_room = malloc((np + 1) * sizeof(double));
	ps->add = calloc(np + 1, sizeof(double));
	ps->addpods = malloc((np + 1) * sizeof(int));
	if (ps->power_room == NULL || ps->heat_room == NULL ||
	    ps->add == NULL || ps->addpods == NULL)
		return -1;
	memcpy(ps->power_room, in->power->pod_power_w, np * sizeof(double));
	memcpy(ps->heat_room, in->power->pod_heat_w, np * sizeof(double));
	ps->fabric_heat_room = in->power->fabric_heat_w;
	admit_bests(ps);
	ps->max_now_w = -INFINITY;
	ps->min_tdp_w = INFINITY;
	for (nd = 0; nd < in->nnodes; nd++) {
		const struct sched_node *n = &in->nodes[nd];

		if (!sv_node_valid(n, in->npods, in->ngroups))
			continue;
		if (n->tdp_w < ps->min_tdp_w)
			ps->min_tdp_w = n->tdp_w;
		for (k = 0; k < n->naccels; k++) {
			now = n->accel_w == NULL ? n->idle_w : n->accel_w[k];
			if ((n->free_mask >> k & 1) && now > ps->max_now_w)
				ps->max_now_w = now;
		}
	}
	return 0;
}

/* Room for the node sets' views and the quotas' counts. */
static int
pass_init_limits(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	int q;

	if (in->nsets > 0 && in->sets != NULL &&
	    (ps->sets = calloc(in->nsets, sizeof(*ps->sets))) == NULL)
		return -1;
	if (in->nquotas <= 0 || in->quotas == NULL)
		return 0;
	ps->qjobs = malloc(in->nquotas * sizeof(*ps->qjobs));
	ps->qaccels = malloc(in->nquotas * sizeof(*ps->qaccels));
	if (ps->qjobs == NULL || ps->qaccels == NULL)
		return -1;
	for (q = 0; q < in->nquotas; q++) {
		ps->qjobs[q] = in->quotas[q].jobs;
		ps->qaccels[q] = in->quotas[q].accels;
	}
	return 0;
}

/*
 * The starvation guard: the job that has waited longest, once it has
 * waited starve_after_h, goes to the head of the queue, so that it starts
 * or gets EASY's reservation; every other job keeps its place, starving or
 * not, so backfilling still takes them in priority order. One job at a
 * time: that bounds every job's wait (it becomes the longest waiting in
 * turn) without turning a busy queue into FCFS.
 */
static void
starving_first(struct pass *ps)
{
	const struct sched_input *in = ps->in;
	int64_t lim = in->starve_after_h * 3600000, oldest = 0;
	int k, at = -1, i;

	if (in->starve_after_h <= 0)
		return;
	for (k = 0; k < in->npending; k++) {
		const struct sched_pending *p = &in->pending[ps->order[k]];

		if (in->now_ms - p->submit_ms >= lim &&
		    (at < 0 || p->submit_ms < oldest)) {
			at = k;
			oldest = p->submit_ms;
		}
	}
	if (at <= 0)
		return;
	i = ps->order[at];
	memmove(&ps->order[1], &ps->order[0], at * sizeof(*ps->order));
	ps->order[0] = i;
}

/* The queue in priority order (schedorder.c), the starving job first. 0,
 * or -1 on allocation failure. */
static int
pass_order(struct pass *ps)
{
	if (so_order(ps->in, ps->order) == -1)
		return -1;
	starving_first(ps);
	return 0;
}

/*
 * One pass (see sched.h and docs/scheduler.md): orders the queue, then
 * FCFS, EASY or CONSERVATIVE. res gets one decision per pending job, in
 * input order; the caller frees it with sched_result_free(). 0, or -1 on
 * allocation failure with res cleared.
 */
int
sched_pass(const struct sched_input *in, struct sched_result *res)
{
	struct pass ps;
	int nlv, nn = in->nnodes > 0 ? in->nnodes : 0, np = in->npending;

	memset(&ps, 0, sizeof(ps));
	memset(res, 0, sizeof(*res));
	if (np < 0)
		np = 0;
	ps.in = in;
	ps.res = res;
	res->npending = np;
	res->d = calloc(np + 1, sizeof(*res->d));
	if (res->d == NULL || sv_topo_build(&ps.t, in) == -1)
		goto fail;
	nlv = sv_lv_fabric(&ps.t) + 1;
	ps.order = malloc((np + 1) * sizeof(*ps.order));
	ps.buf = malloc((nn + 1) * sizeof(*ps.buf));
	ps.touched = calloc(nlv, 1);
	ps.touchlist = malloc(nlv * sizeof(*ps.touchlist));
	if (ps.order == NULL || ps.buf == NULL || ps.touched == NULL ||
	    ps.touchlist == NULL)
		goto fail;
	/* every view is written whole before it is read (pass_init_views()
	 * and sv_rebuild(), or sv_copy()), but CONSERVATIVE's scratch view,
	 * which window_view() changes from empty */
	if (sv_alloc_unset(&ps.now, &ps.t) == -1 ||
	    sv_alloc_unset(&ps.cap, &ps.t) == -1 ||
	    sv_alloc_unset(&ps.all, &ps.t) == -1 ||
	    sv_alloc_unset(&ps.clear, &ps.t) == -1 ||
	    (in->policy == SCHED_CONSERVATIVE
	            ? sv_alloc(&ps.scratch, &ps.t)
	            : sv_alloc_unset(&ps.scratch, &ps.t)) == -1)
		goto fail;
	if (pass_order(&ps) == -1 || pass_init_views(&ps) == -1 ||
	    pass_init_power(&ps) == -1 || pass_init_limits(&ps) == -1)
		goto fail;
	memset(ps.most, -1, sizeof(ps.most));
	if (in->policy == SCHED_CONSERVATIVE) {
		sv_copy(&ps.clear, &ps.now);
		ps.clear_live = 1;
		if (pass_conservative(&ps) == -1)
			goto fail;
	} else if (pass_queue(&ps) == -1)
		goto fail;
	pass_free(&ps);
	return 0;
fail:
	pass_free(&ps);
	sched_result_free(res);
	return -1;
}

/* Frees what sched_pass() put in res; res is cleared. */
void
sched_result_free(struct sched_result *res)
{
	int i;

	if (res->d != NULL)
		for (i = 0; i < res->npending; i++)
			free(res->d[i].slots);
	free(res->d);
	memset(res, 0, sizeof(*res));
}

/* sched_check ------------------------------------------------------------ */

/* Largest count among n counters. */
static int
max_of(const int *c, int n)
{
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (c[i] > m)
			m = c[i];
	return m;
}

/*
 * Whether a request could ever run on the fabric as configured (every
 * node usable and free). SCHED_R_NONE, or SCHED_R_NEVER with a human
 * sentence in why ("needs 20 nodes in one group; the largest group has
 * 16"). why may be NULL.
 */
enum sched_reason
sched_check(const struct sched_node *nodes, int nnodes, int npods, int ngroups,
    const struct sched_request *req, char *why, size_t whylen)
{
	static const char *const unit_name[] = {
	    [SCHED_WITHIN_GROUP] = "group",
	    [SCHED_WITHIN_POD] = "pod",
	};
	int *pg = NULL, i, a = sv_req_accels(req), maxacc = 0;
	int fit = 0, total = 0, have, nu;
	char buf[256];

	buf[0] = '\0';
	if (req->nnodes < 1)
		snprintf(buf, sizeof(buf), "needs at least one node");
	else if (req->time_limit_ms <= 0)
		snprintf(buf, sizeof(buf), "needs a positive time limit");
	else if (req->within != SCHED_WITHIN_GROUP &&
	         req->within != SCHED_WITHIN_POD &&
	         req->within != SCHED_WITHIN_FABRIC)
		snprintf(buf, sizeof(buf), "has an unknown placement");
	else if (req->accels_per_node < (req->exclusive ? 0 : 1))
		snprintf(buf, sizeof(buf),
		    "needs at least one accelerator per node");
	if (buf[0] != '\0')
		goto fail;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	nu = req->within == SCHED_WITHIN_GROUP ? ngroups : npods;
	if (req->within != SCHED_WITHIN_FABRIC &&
	    (pg = calloc(nu > 0 ? nu : 1, sizeof(int))) == NULL)
		return SCHED_R_NONE; /* undecided: the pass decides */
	for (i = 0; i < nnodes; i++) {
		if (!sv_node_valid(&nodes[i], npods, ngroups))
			continue;
		total++;
		if (nodes[i].naccels > maxacc)
			maxacc = nodes[i].naccels;
		if (nodes[i].naccels < a)
			continue;
		fit++;
		if (pg != NULL)
			pg[req->within == SCHED_WITHIN_GROUP ? nodes[i].group
			                                     : nodes[i].pod]++;
	}
	if (a > maxacc) {
		snprintf(buf, sizeof(buf),
		    "needs %d accelerators per node; the largest node has %d",
		    a, maxacc);
		goto fail;
	}
	have = pg != NULL ? max_of(pg, nu) : fit;
	if (req->nnodes <= have) {
		free(pg);
		return SCHED_R_NONE;
	}
	if (pg == NULL && fit == total)
		snprintf(buf, sizeof(buf), "needs %d nodes; the fabric has %d",
		    req->nnodes, have);
	else if (pg == NULL)
		snprintf(buf, sizeof(buf),
		    "needs %d nodes with %d accelerators; the fabric has %d",
		    req->nnodes, a, have);
	else if (fit == total)
		snprintf(buf, sizeof(buf),
		    "needs %d nodes in one %s; the largest %s has %d",
		    req->nnodes, unit_name[req->within], unit_name[req->within],
		    have);
	else
		snprintf(buf, sizeof(buf),
		    "needs %d nodes with %d accelerators in one %s; the "
		    "largest %s has %d",
		    req->nnodes, a, unit_name[req->within],
		    unit_name[req->within], have);
fail:
	free(pg);
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", buf);
	return SCHED_R_NEVER;
}
