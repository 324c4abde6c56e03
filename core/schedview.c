/*
 * The scheduler's views and placement (see schedview.h for the data).
 *
 * A pass at fabric size looks at 12,800 nodes and ten thousand pending
 * jobs, so it never asks a node-level question per job. A view keeps, for
 * every group, pod and the fabric, cumulative counts of eligible nodes per
 * accelerator count, updated in O(accelerators) when a node changes.
 * "Does this job fit now?" is then one lookup (fabric), or a scan of 100
 * pods or 800 groups that is cached per request shape: while a view only
 * shrinks (jobs start in it), a shape that did not fit never fits again,
 * and the unit that held the most nodes is rechecked first. Nodes are
 * walked only to place a job, and then only inside the units chosen.
 * The tightest groups for a shape are kept as well, with a log of the
 * groups changed since (see best_group()), and a job's slots change their
 * pod's and the fabric's counts once a group (struct sv_batch).
 *
 * Placement is tightest fit, to keep large holes for large jobs: the
 * group with the fewest eligible nodes that holds the job; failing that,
 * the pod that needs the fewest groups, fullest groups first; failing
 * that, the fewest pods, freest first. Inside a group, shared jobs go to
 * the nodes with the fewest free accelerators, so whole nodes stay whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedview.h"

/* Bits set in each byte, for sv_popc(). */
#define SV_B2(n) n, n + 1, n + 1, n + 2
#define SV_B4(n) SV_B2(n), SV_B2(n + 1), SV_B2(n + 1), SV_B2(n + 2)
#define SV_B6(n) SV_B4(n), SV_B4(n + 1), SV_B4(n + 1), SV_B4(n + 2)
const unsigned char sv_popc8[256] = {SV_B6(0), SV_B6(1), SV_B6(1), SV_B6(2)};

static uint64_t
full_mask(int naccels)
{
	return naccels >= 64 ? ~0ULL : (1ULL << naccels) - 1;
}

/* The lowest a accelerators of m. */
static uint64_t
low_bits(uint64_t m, int a)
{
	uint64_t out = 0;

	while (a-- > 0 && m != 0) {
		out |= m & -m;
		m &= m - 1;
	}
	return out;
}

/* Accelerators a request needs on each node, as the summaries count them:
 * an exclusive job needs a node with at least one. */
int
sv_req_accels(const struct sched_request *r)
{
	if (r->exclusive && r->accels_per_node < 1)
		return 1;
	return r->accels_per_node;
}

/* 1 if the request is well formed: nodes, accelerators, limit, within. */
int
sv_req_valid(const struct sched_request *r)
{
	if (r->nnodes < 1 || r->time_limit_ms <= 0)
		return 0;
	if (r->within != SCHED_WITHIN_GROUP && r->within != SCHED_WITHIN_POD &&
	    r->within != SCHED_WITHIN_FABRIC)
		return 0;
	if (r->accels_per_node < (r->exclusive ? 0 : 1) ||
	    r->accels_per_node > SCHED_MAX_ACCELS)
		return 0;
	return 1;
}

/* In range of the fabric, with 1 to SCHED_MAX_ACCELS accelerators. */
int
sv_node_valid(const struct sched_node *n, int npods, int ngroups)
{
	return n->pod >= 0 && n->pod < npods && n->group >= 0 &&
	       n->group < ngroups && n->naccels >= 1 &&
	       n->naccels <= SCHED_MAX_ACCELS;
}

/* Frees what sv_topo_build() allocated; t is cleared. */
void
sv_topo_free(struct sv_topo *t)
{
	free(t->full);
	free(t->open);
	free(t->goff);
	free(t->gnodes);
	free(t->poff);
	free(t->pgroups);
	free(t->gpod);
	free(t->gsort);
	free(t->psort);
	memset(t, 0, sizeof(*t));
}

/* Lists items by owner: key[i] owns item i (-1: nobody); off gets
 * nowners + 1 offsets, out the items owner by owner, in index order. */
static void
csr(const int *key, int nitems, int *off, int nowners, int *out)
{
	int i, o;

	memset(off, 0, (nowners + 1) * sizeof(*off));
	for (i = 0; i < nitems; i++)
		if (key[i] >= 0)
			off[key[i] + 1]++;
	for (o = 0; o < nowners; o++)
		off[o + 1] += off[o];
	for (i = 0; i < nitems; i++) /* off[o] walks as a cursor... */
		if (key[i] >= 0)
			out[off[key[i]]++] = i;
	for (o = nowners; o > 0; o--) /* ...and is put back */
		off[o] = off[o - 1];
	off[0] = 0;
}

/* Builds t from in's nodes: masks, nodes by group, groups by pod. 0, or
 * -1 on allocation failure with t cleared. */
int
sv_topo_build(struct sv_topo *t, const struct sched_input *in)
{
	const struct sched_node *n;
	int *key, i, g, ng = in->ngroups > 0 ? in->ngroups : 0;
	int np = in->npods > 0 ? in->npods : 0;
	int nn = in->nnodes > 0 ? in->nnodes : 0;

	memset(t, 0, sizeof(*t));
	t->nodes = in->nodes;
	t->nnodes = nn;
	t->ngroups = ng;
	t->npods = np;
	t->full = calloc(nn + 1, sizeof(*t->full));
	t->open = calloc(nn + 1, 1);
	t->goff = calloc(ng + 1, sizeof(int));
	t->gnodes = calloc(nn + 1, sizeof(int));
	t->poff = calloc(np + 1, sizeof(int));
	t->pgroups = calloc(ng + 1, sizeof(int));
	t->gpod = malloc((ng + 1) * sizeof(int));
	t->gsort = calloc(ng + 1, sizeof(int));
	t->psort = calloc(np + 1, sizeof(int));
	key = malloc((nn + 1) * sizeof(int));
	if (key == NULL || t->full == NULL || t->open == NULL ||
	    t->goff == NULL || t->gnodes == NULL || t->poff == NULL ||
	    t->pgroups == NULL || t->gpod == NULL || t->gsort == NULL ||
	    t->psort == NULL)
		goto fail;
	for (g = 0; g < ng; g++)
		t->gpod[g] = -1;
	for (i = 0; i < nn; i++) {
		n = &in->nodes[i];
		if (!sv_node_valid(n, np, ng))
			continue;
		t->full[i] = full_mask(n->naccels);
		t->open[i] = n->usable != 0;
		if (n->naccels + 1 > t->na)
			t->na = n->naccels + 1;
		if (t->gpod[n->group] < 0)
			t->gpod[n->group] = n->pod;
	}
	for (i = 0; i < nn; i++)
		key[i] = t->full[i] != 0 ? in->nodes[i].group : -1;
	csr(key, nn, t->goff, ng, t->gnodes);
	csr(t->gpod, ng, t->poff, np, t->pgroups);
	free(key);
	return 0;
fail:
	free(key);
	sv_topo_free(t);
	return -1;
}

/* The level of pod p: after the groups. */
int
sv_lv_pod(const struct sv_topo *t, int p)
{
	return t->ngroups + p;
}

/* The level of the fabric: the last. */
int
sv_lv_fabric(const struct sv_topo *t)
{
	return t->ngroups + t->npods;
}

/* Frees a view's arrays; freeing again is harmless. */
void
sv_free(struct sv_view *v)
{
	free(v->mask);
	free(v->cnt);
	free(v->facc);
	free(v->bg);
	free(v->bgepoch);
	free(v->glog);
	v->mask = NULL;
	v->cnt = NULL;
	v->facc = NULL;
	v->bg = NULL;
	v->bgepoch = NULL;
	v->glog = NULL;
}

/* best_group()'s results are forgotten: the counts changed other than
 * node by node. */
static void
bg_reset(struct sv_view *v)
{
	v->bepoch++;
	v->nglog = 0;
}

/* Group g's counts changed. */
static void
bg_log(struct sv_view *v, int g)
{
	if (v->nglog == v->glogcap)
		bg_reset(v);
	else
		v->glog[v->nglog++] = g;
}

/* The row of counts for (excl, a), a < na: one per level. */
static int *
row(const struct sv_view *v, int excl, int a)
{
	return v->cnt + ((size_t)excl * v->t->na + a) * v->nlv;
}

/* Eligible nodes for (excl, a) at level lv: none past the largest node. */
int
sv_elig(const struct sv_view *v, int lv, int excl, int a)
{
	return a < v->t->na ? row(v, excl, a)[lv] : 0;
}

/* A view of t, which must outlive it, its arrays zeroed or not. 0, or -1
 * on allocation failure (nothing left allocated). */
static int
view_alloc(struct sv_view *v, struct sv_topo *t, int zero)
{
	size_t nm = (size_t)t->nnodes + 1, nc, nb;

	memset(v, 0, sizeof(*v));
	v->t = t;
	v->nlv = sv_lv_fabric(t) + 1;
	nc = (size_t)2 * t->na * v->nlv + 1;
	v->mask =
	    zero ? calloc(nm, sizeof(*v->mask)) : malloc(nm * sizeof(*v->mask));
	v->cnt =
	    zero ? calloc(nc, sizeof(*v->cnt)) : malloc(nc * sizeof(*v->cnt));
	v->facc = zero ? calloc(v->nlv, sizeof(*v->facc))
	               : malloc(v->nlv * sizeof(*v->facc));
	nb = (size_t)2 * t->na * (SV_BG_N + 1) + 1;
	v->bg = malloc(nb * sizeof(*v->bg));
	v->bgepoch = calloc(nb, sizeof(*v->bgepoch));
	v->glogcap = 2 * t->ngroups + SV_BG_LOG;
	v->glog = malloc(v->glogcap * sizeof(*v->glog));
	v->bepoch = 1; /* the entries' 0 is no epoch */
	if (v->mask == NULL || v->cnt == NULL || v->facc == NULL ||
	    v->bg == NULL || v->bgepoch == NULL || v->glog == NULL) {
		sv_free(v);
		return -1;
	}
	return 0;
}

/* An empty view of t, which must outlive it. 0, or -1 on allocation
 * failure (nothing left allocated). */
int
sv_alloc(struct sv_view *v, struct sv_topo *t)
{
	return view_alloc(v, t, 1);
}

/* A view of t whose masks and counts are not set: the caller writes
 * every mask and calls sv_rebuild(), or sv_copy()s into it, before any
 * other use. A pass's views are all written so, and zeroing them first
 * was a tenth of its instructions. 0, or -1 on allocation failure. */
int
sv_alloc_unset(struct sv_view *v, struct sv_topo *t)
{
	return view_alloc(v, t, 0);
}

static void
view_forget(struct sv_view *v)
{
	int e, w, a;

	v->version++;
	v->grown = v->version;
	bg_reset(v);
	for (e = 0; e < 2; e++)
		for (w = 0; w < 2; w++)
			for (a = 0; a < SV_NA; a++)
				v->fc[e][w][a].version = -1;
}

/* Recomputes every level from v->mask: exact counts per group, summed
 * into pods and the fabric, then made cumulative over a. */
void
sv_rebuild(struct sv_view *v)
{
	struct sv_topo *t = v->t;
	int i, g, a, e, f, nd, up, nlv = v->nlv, na = t->na, lv[3], k;
	int h0[SV_NA], h1[SV_NA];
	int *c0 = v->cnt, *c1 = v->cnt + (size_t)na * nlv, *r, *r1;
	uint64_t m;

	memset(v->cnt, 0, (size_t)2 * na * nlv * sizeof(*v->cnt));
	memset(v->facc, 0, nlv * sizeof(*v->facc));
	lv[2] = sv_lv_fabric(t);
	for (g = 0; g < t->ngroups; g++) {
		if (t->goff[g] == t->goff[g + 1] || t->gpod[g] < 0)
			continue; /* no node: nothing to count */
		memset(h0, 0, na * sizeof(*h0));
		memset(h1, 0, na * sizeof(*h1));
		f = 0;
		for (i = t->goff[g]; i < t->goff[g + 1]; i++) {
			nd = t->gnodes[i];
			if ((m = v->mask[nd]) == 0)
				continue;
			a = sv_popc(m);
			h0[a]++;
			f += a;
			if (m == t->full[nd])
				h1[a]++;
		}
		/* the group's exact counts, added to its pod and the fabric */
		lv[0] = g;
		lv[1] = sv_lv_pod(t, t->gpod[g]);
		for (k = 0; k < 3; k++)
			v->facc[lv[k]] += f;
		for (a = 1; a < na; a++) {
			for (k = 0; h0[a] != 0 && k < 3; k++)
				c0[(size_t)a * nlv + lv[k]] += h0[a];
			for (k = 0; h1[a] != 0 && k < 3; k++)
				c1[(size_t)a * nlv + lv[k]] += h1[a];
		}
	}
	for (e = 0; e < 2; e++) /* cumulative: at least a */
		for (a = na - 2; a >= 0; a--) {
			r = row(v, e, a);
			r1 = row(v, e, a + 1);
			for (up = 0; up < nlv; up++)
				r[up] += r1[up];
		}
	view_forget(v);
}

/* dst, of the same topology, becomes src (caches too). */
void
sv_copy(struct sv_view *dst, const struct sv_view *src)
{
	const struct sv_topo *t = src->t;

	memcpy(dst->mask, src->mask, t->nnodes * sizeof(*dst->mask));
	memcpy(dst->cnt, src->cnt,
	    (size_t)2 * t->na * src->nlv * sizeof(*dst->cnt));
	memcpy(dst->facc, src->facc, src->nlv * sizeof(*dst->facc));
	memcpy(dst->fc, src->fc, sizeof(dst->fc));
	dst->version = src->version;
	dst->grown = src->grown;
	dst->allow = src->allow;
	bg_reset(dst);
}

/* Sets a node's open accelerators and updates its group, pod and fabric.
 * Everything it reads is loaded once into locals: the counts are ints,
 * and through them the compiler would reload every field at each store. */
static void
view_set(struct sv_view *v, int nd, uint64_t m)
{
	const struct sv_topo *t = v->t;
	uint64_t old = v->mask[nd], full = t->full[nd];
	int lvs[3], k, a, f0 = sv_popc(old), f1 = sv_popc(m), g, d, lo, hi;
	int w0 = old != 0 && old == full, w1 = m != 0 && m == full, nl, pf;
	int nlv = v->nlv, *c0 = v->cnt, *c1 = v->cnt + (size_t)t->na * nlv;
	int64_t *facc = v->facc;

	if (old == m || full == 0)
		return;
	g = t->nodes[nd].group;
	lvs[0] = g;
	lvs[1] = t->gpod[g] >= 0 ? sv_lv_pod(t, t->gpod[g]) : -1;
	lvs[2] = sv_lv_fabric(t);
	nl = lvs[1] >= 0 ? 3 : 1;
	if (nl == 1)
		lvs[1] = lvs[2], nl = 2;
	d = f1 > f0 ? 1 : -1;
	lo = (f1 > f0 ? f0 : f1) + 1;
	hi = f1 > f0 ? f1 : f0;
	pf = sv_popc(full);
	for (k = 0; k < nl; k++) {
		int *r0 = c0 + lvs[k], *r1 = c1 + lvs[k];

		for (a = lo; a <= hi; a++)
			r0[(size_t)a * nlv] += d;
		facc[lvs[k]] += f1 - f0;
		if (w0 != w1)
			for (a = 0; a <= pf; a++)
				r1[(size_t)a * nlv] += w1 ? 1 : -1;
	}
	v->mask[nd] = m;
	v->version++;
	if ((m & ~old) != 0)
		v->grown = v->version;
	bg_log(v, g);
}

/* Sets node nd's open accelerators to m (within the node's), keeping the
 * summaries. */
void
sv_set(struct sv_view *v, int nd, uint64_t m)
{
	view_set(v, nd, m & v->t->full[nd]);
}

/* Takes accelerators m of node nd out of the view. */
void
sv_take(struct sv_view *v, int nd, uint64_t m)
{
	view_set(v, nd, v->mask[nd] & ~m);
}

/* Gives accelerators back; nodes that are not open take no work. */
void
sv_give(struct sv_view *v, int nd, uint64_t m)
{
	if (v->t->open[nd] && (v->allow == NULL || v->allow[nd]))
		view_set(v, nd, (v->mask[nd] | m) & v->t->full[nd]);
}

/*
 * Whether r fits the view now. A fabric request asks one level; a group or
 * pod request the largest unit, found by a scan that is cached per shape:
 * the unit found last is rechecked first, and as long as nothing was freed
 * since the scan a count above its best cannot fit.
 */
int
sv_fits(struct sv_view *v, const struct sched_request *r)
{
	struct sv_topo *t = v->t;
	int excl = r->exclusive != 0, a = sv_req_accels(r), n = r->nnodes;
	int u, lo, hi, best = -1, bestu = 0, e;
	struct sv_fitcache *c;

	if (!sv_req_valid(r) || sv_elig(v, sv_lv_fabric(t), excl, a) < n)
		return 0;
	if (r->within == SCHED_WITHIN_FABRIC)
		return 1;
	c = &v->fc[excl][r->within == SCHED_WITHIN_GROUP][a];
	if (c->version == v->version)
		return n <= c->best;
	if (c->version >= 0) {
		if (sv_elig(v, c->unit, excl, a) >= n)
			return 1;
		if (c->version >= v->grown && n > c->best)
			return 0;
	}
	lo = r->within == SCHED_WITHIN_GROUP ? 0 : t->ngroups;
	hi = r->within == SCHED_WITHIN_GROUP ? t->ngroups : sv_lv_fabric(t);
	for (u = lo; u < hi; u++) {
		e = sv_elig(v, u, excl, a);
		if (e > best) {
			best = e;
			bestu = u;
		}
	}
	c->version = v->version;
	c->best = best;
	c->unit = bestu;
	return n <= best;
}

/* The most eligible nodes for (excl, a) in one unit of level w: the
 * largest group or pod, or the fabric. A scan, not cached. */
int
sv_most(const struct sv_view *v, int excl, int a, enum sched_within w)
{
	const struct sv_topo *t = v->t;
	const int *c;
	int u, lo, hi, best = 0;

	if (a >= t->na)
		return 0;
	c = row(v, excl, a);
	if (w == SCHED_WITHIN_FABRIC)
		return c[sv_lv_fabric(t)];
	lo = w == SCHED_WITHIN_GROUP ? 0 : t->ngroups;
	hi = w == SCHED_WITHIN_GROUP ? t->ngroups : sv_lv_fabric(t);
	for (u = lo; u < hi; u++)
		if (c[u] > best)
			best = c[u];
	return best;
}

static int
node_elig(const struct sv_view *v, int nd, int excl, int a)
{
	uint64_t m = v->mask[nd], full = v->t->full[nd];

	if (excl)
		return m != 0 && m == full && sv_popc(full) >= a;
	return sv_popc(m) >= a;
}

/*
 * Takes k eligible nodes of group g, tightest first: for a shared job the
 * nodes with the fewest free accelerators (so whole nodes stay whole), for
 * an exclusive one the smallest nodes; by index among equals. Returns k.
 */
static int
take_group(const struct sv_view *v, int excl, int a, int g, int k,
    struct sched_slot *out)
{
	const struct sv_topo *t = v->t;
	int hist[SV_NA], i, nd, key, thr, below = 0, eq, n = 0, best = -1;
	int bestkey = SV_NA; /* more than any node's accelerators */

	if (k == 1) { /* the first of the tightest: one walk */
		for (i = t->goff[g]; i < t->goff[g + 1]; i++) {
			nd = t->gnodes[i];
			if (!node_elig(v, nd, excl, a))
				continue;
			key = sv_popc(v->mask[nd]);
			if (key < bestkey) {
				best = nd;
				bestkey = key;
			}
		}
		if (best < 0)
			return 0;
		out[0].node = best;
		out[0].mask = excl ? t->full[best] : low_bits(v->mask[best], a);
		return 1;
	}
	memset(hist, 0, sizeof(hist));
	for (i = t->goff[g]; i < t->goff[g + 1]; i++)
		if (node_elig(v, t->gnodes[i], excl, a))
			hist[sv_popc(v->mask[t->gnodes[i]])]++;
	for (thr = 0; thr < SV_NA - 1 && below + hist[thr] < k; thr++)
		below += hist[thr];
	eq = k - below;
	for (i = t->goff[g]; i < t->goff[g + 1] && n < k; i++) {
		nd = t->gnodes[i];
		if (!node_elig(v, nd, excl, a))
			continue;
		key = sv_popc(v->mask[nd]);
		if (key > thr || (key == thr && eq-- <= 0))
			continue;
		out[n].node = nd;
		out[n].mask = excl ? t->full[nd] : low_bits(v->mask[nd], a);
		n++;
	}
	return n;
}

/* Whether group g, with cnt eligible nodes and facc free accelerators,
 * fits tighter than group b with bcnt and bfacc: fewer eligible nodes,
 * then fewer free accelerators, then the first. */
static int
key_before(int cnt, int64_t facc, int g, int bcnt, int64_t bfacc, int b)
{
	if (cnt != bcnt)
		return cnt < bcnt;
	if (facc != bfacc)
		return facc < bfacc;
	return g < b;
}

static int
group_before(const struct sv_view *v, const int *c, int g, int b)
{
	return key_before(c[g], v->facc[g], g, c[b], v->facc[b], b);
}

/* Puts g into l (nl of at most k, tightest first) where it belongs, the
 * last one falling off a full list. Returns the new count. */
static int
list_insert(const struct sv_view *v, const int *c, int *l, int nl, int k, int g)
{
	int j = nl < k ? nl : k - 1;

	if (nl == k && !group_before(v, c, g, l[k - 1]))
		return nl;
	for (; j > 0 && group_before(v, c, g, l[j - 1]); j--)
		l[j] = l[j - 1];
	l[j] = g;
	return nl < k ? nl + 1 : nl;
}

/* The SV_BG_K tightest groups holding n on row c into bc, by a scan: a
 * group with more eligible nodes than the last of a full list is passed
 * over on one comparison. */
static void
scan_groups(const struct sv_view *v, const int *c, int n, struct sv_bgcache *bc)
{
	int g, e, nl = 0, ecut = INT32_MAX;

	for (g = 0; g < v->t->ngroups; g++) {
		e = c[g];
		if (e < n || e > ecut)
			continue;
		nl = list_insert(v, c, bc->l, nl, SV_BG_K, g);
		if (nl == SV_BG_K)
			ecut = c[bc->l[SV_BG_K - 1]];
	}
	bc->nl = nl;
	bc->all = nl < SV_BG_K;
	if (!bc->all) {
		bc->tg = bc->l[nl - 1];
		bc->tcnt = c[bc->tg];
		bc->tfacc = v->facc[bc->tg];
	}
}

/* Whether group g, as it is now, is tighter than bc's bound was. */
static int
within_bound(
    const struct sv_view *v, const int *c, int g, const struct sv_bgcache *bc)
{
	return bc->all ||
	       key_before(c[g], v->facc[g], g, bc->tcnt, bc->tfacc, bc->tg);
}

/*
 * Best fit among the groups of the fabric holding n: the fewest eligible
 * nodes, then the fewest free accelerators, then the first. n >= 1. -1
 * if none.
 *
 * Every placement asks it, thousands of times a pass when thousands of
 * small jobs start, and a scan of 800 groups each time was most of such
 * a pass. The SV_BG_K tightest groups for a shape are kept (v->bg), and
 * a bound: no other group was tighter than it (the last one kept, unless
 * they were all there were). Only the groups in the view's log changed
 * since; so the tightest of the kept ones and the logged ones, as they
 * are now, is the answer if it is tighter than the bound. Otherwise (the
 * kept ones filled up), or past SV_BG_LOG changes, or in a new epoch, a
 * scan.
 */
static int
best_group(struct sv_view *v, int excl, int a, int n)
{
	const struct sv_topo *t = v->t;
	struct sv_bgcache *bc, one;
	const int *c;
	int i, j, g, nl = 0, ncand, cand[SV_BG_K + 1];
	size_t k;

	if (a >= t->na) /* no node has a accelerators, and n >= 1 */
		return -1;
	c = row(v, excl, a);
	if (n > SV_BG_N) {
		scan_groups(v, c, n, &one);
		return one.nl > 0 ? one.l[0] : -1;
	}
	k = ((size_t)excl * t->na + a) * (SV_BG_N + 1) + n;
	bc = &v->bg[k];
	if (v->bgepoch[k] != v->bepoch || v->nglog - bc->pos > SV_BG_LOG)
		goto scan;
	/* the kept ones and the changed ones, as they are now */
	ncand = bc->nl + v->nglog - bc->pos;
	for (i = 0; i < ncand; i++) {
		g = i < bc->nl ? bc->l[i] : v->glog[bc->pos + i - bc->nl];
		if (c[g] < n || !within_bound(v, c, g, bc))
			continue;
		for (j = 0; j < nl && cand[j] != g; j++)
			;
		if (j == nl)
			nl = list_insert(v, c, cand, nl, SV_BG_K + 1, g);
	}
	if (nl == 0 && !bc->all)
		goto scan;  /* the kept ones all filled up */
	if (nl > SV_BG_K) { /* a tighter bound: the last one kept */
		bc->all = 0;
		bc->tg = cand[SV_BG_K - 1];
		bc->tcnt = c[bc->tg];
		bc->tfacc = v->facc[bc->tg];
		nl = SV_BG_K;
	}
	memcpy(bc->l, cand, nl * sizeof(*cand));
	bc->nl = nl;
	goto keep;
scan:
	scan_groups(v, c, n, bc);
keep:
	v->bgepoch[k] = v->bepoch;
	bc->pos = v->nglog;
	return bc->nl > 0 ? bc->l[0] : -1;
}

/* Best fit among the groups of pod p holding n, as best_group(). n >= 1.
 * -1 if none. */
static int
pod_best_group(const struct sv_view *v, int excl, int a, int n, int p)
{
	const struct sv_topo *t = v->t;
	const int64_t *facc = v->facc;
	const int *c;
	int i, g, e, best = -1, beste = INT32_MAX;

	if (a >= t->na)
		return -1;
	c = row(v, excl, a);
	for (i = t->poff[p]; i < t->poff[p + 1]; i++) {
		g = t->pgroups[i];
		e = c[g];
		if (e < n || e > beste)
			continue;
		if (e < beste || facc[g] < facc[best]) {
			best = g;
			beste = e;
		}
	}
	return best;
}

/* Units (levels) with eligible nodes into out, most first; returns how
 * many. out may be units itself. Insertion sort: a pod has a handful of
 * groups, a fabric 100 pods. */
static int
sort_units(const struct sv_view *v, int excl, int a, const int *units, int nu,
    int *out)
{
	int i, j, k = 0, u, e;

	for (i = 0; i < nu; i++) {
		u = units[i];
		e = sv_elig(v, u, excl, a);
		if (e <= 0)
			continue;
		for (j = k; j > 0 && sv_elig(v, out[j - 1], excl, a) < e; j--)
			out[j] = out[j - 1];
		out[j] = u;
		k++;
	}
	return k;
}

/* Of sorted units, how many of the fullest hold n (nu + 1 if they don't);
 * *last gets the tightest unit past them that holds the remainder. */
static int
fewest_units(const struct sv_view *v, int excl, int a, const int *s, int nu,
    int n, int *last, int *rem)
{
	int i, j, sum = 0, e;

	for (i = 0; i < nu && sum + sv_elig(v, s[i], excl, a) < n; i++)
		sum += sv_elig(v, s[i], excl, a);
	if (i == nu)
		return nu + 1;
	*rem = n - sum;
	*last = i;
	for (j = i + 1; j < nu; j++) {
		e = sv_elig(v, s[j], excl, a);
		if (e >= *rem && e <= sv_elig(v, s[*last], excl, a))
			*last = j;
	}
	return i + 1;
}

/* Takes n nodes of pod p: one group if one holds them (best fit), else
 * the fewest groups, fullest first and the last one best fit. */
static int
fill_pod(const struct sv_view *v, int excl, int a, int p, int n,
    struct sched_slot *out)
{
	const struct sv_topo *t = v->t;
	int g, ns, k, i, last = 0, rem = 0, placed = 0;

	g = pod_best_group(v, excl, a, n, p);
	if (g >= 0)
		return take_group(v, excl, a, g, n, out);
	ns = sort_units(v, excl, a, t->pgroups + t->poff[p],
	    t->poff[p + 1] - t->poff[p], t->gsort);
	k = fewest_units(v, excl, a, t->gsort, ns, n, &last, &rem);
	if (k > ns)
		return -1;
	for (i = 0; i < k - 1; i++)
		placed += take_group(v, excl, a, t->gsort[i],
		    sv_elig(v, t->gsort[i], excl, a), out + placed);
	placed += take_group(v, excl, a, t->gsort[last], rem, out + placed);
	return placed;
}

/* The pod for n nodes when no group holds them: the fewest groups, then
 * the fewest eligible nodes. -1 if no pod holds them. */
static int
best_pod(const struct sv_view *v, int excl, int a, int n)
{
	const struct sv_topo *t = v->t;
	int p, e, k, ns, last, rem, best = -1, bestk = 0, beste = 0;

	for (p = 0; p < t->npods; p++) {
		e = sv_elig(v, sv_lv_pod(t, p), excl, a);
		if (e < n)
			continue;
		ns = sort_units(v, excl, a, t->pgroups + t->poff[p],
		    t->poff[p + 1] - t->poff[p], t->gsort);
		k = fewest_units(v, excl, a, t->gsort, ns, n, &last, &rem);
		if (best < 0 || k < bestk || (k == bestk && e < beste)) {
			best = p;
			bestk = k;
			beste = e;
		}
	}
	return best;
}

/* Spreads n nodes over the fewest pods: the freest first, the last one
 * best fit, each filled group by group. */
static int
fill_fabric(
    const struct sv_view *v, int excl, int a, int n, struct sched_slot *out)
{
	const struct sv_topo *t = v->t;
	int p, ns, k, i, last = 0, rem = 0, placed = 0, m;

	for (p = 0; p < t->npods; p++)
		t->psort[p] = sv_lv_pod(t, p);
	ns = sort_units(v, excl, a, t->psort, t->npods, t->psort);
	k = fewest_units(v, excl, a, t->psort, ns, n, &last, &rem);
	if (k > ns)
		return -1;
	for (i = 0; i < k - 1; i++) {
		p = t->psort[i] - t->ngroups;
		m = fill_pod(v, excl, a, p, sv_elig(v, t->psort[i], excl, a),
		    out + placed);
		if (m < 0)
			return -1;
		placed += m;
	}
	m = fill_pod(
	    v, excl, a, t->psort[last] - t->ngroups, rem, out + placed);
	return m < 0 ? -1 : placed + m;
}

/*
 * Chooses where r goes in the view, without taking it: out gets r->nnodes
 * slots. Returns their number, or -1 if r does not fit.
 */
int
sv_place(
    struct sv_view *v, const struct sched_request *r, struct sched_slot *out)
{
	int excl = r->exclusive != 0, a = sv_req_accels(r), n = r->nnodes, g, p;

	if (!sv_fits(v, r))
		return -1;
	g = best_group(v, excl, a, n);
	if (r->within == SCHED_WITHIN_GROUP || g >= 0)
		return g < 0 ? -1 : take_group(v, excl, a, g, n, out);
	p = best_pod(v, excl, a, n);
	if (p >= 0)
		return fill_pod(v, excl, a, p, n, out);
	if (r->within == SCHED_WITHIN_POD)
		return -1;
	return fill_fabric(v, excl, a, n, out);
}

/*
 * Changes to the nodes of one group, gathered node by node and added to
 * the counts of the group, its pod and the fabric at once: where
 * view_set() adds to every level's cumulative counts for each node, a job
 * of sixteen nodes in one group changes them once. The exact changes are
 * kept per accelerator count and made cumulative when they are added.
 */
struct sv_batch {
	int g;          /* the group gathered; -1: none */
	int lo, hi;     /* ex0 is zero outside [lo - 1, hi] */
	int hi1;        /* ex1 is zero past hi1; -1: all zero */
	int grown;      /* some node gained an accelerator */
	int64_t df;     /* free accelerators: after less before */
	int ex0[SV_NA]; /* nodes by open accelerators: after less before */
	int ex1[SV_NA]; /* whole nodes by accelerators: after less before */
};

static void
batch_init(struct sv_batch *b, int na)
{
	int a;

	b->g = -1;
	for (a = 0; a < na; a++)
		b->ex0[a] = b->ex1[a] = 0;
}

/* Adds what b gathered to the counts, as view_set() would have node by
 * node, and leaves b empty. */
static void
batch_flush(struct sv_view *v, struct sv_batch *b)
{
	const struct sv_topo *t = v->t;
	int lvs[3], nl, k, a, cum, nlv = v->nlv;
	int *c0 = v->cnt, *c1 = v->cnt + (size_t)t->na * nlv;

	if (b->g < 0)
		return;
	lvs[0] = b->g;
	lvs[1] = t->gpod[b->g] >= 0 ? sv_lv_pod(t, t->gpod[b->g]) : -1;
	lvs[2] = sv_lv_fabric(t);
	nl = lvs[1] >= 0 ? 3 : 1;
	if (nl == 1)
		lvs[1] = lvs[2], nl = 2;
	for (a = b->hi, cum = 0; a >= b->lo; a--) {
		cum += b->ex0[a];
		b->ex0[a] = 0;
		for (k = 0; cum != 0 && k < nl; k++)
			c0[(size_t)a * nlv + lvs[k]] += cum;
	}
	if (b->lo >= 1)
		b->ex0[b->lo - 1] = 0;
	for (a = b->hi1, cum = 0; a >= 0; a--) {
		cum += b->ex1[a];
		b->ex1[a] = 0;
		for (k = 0; cum != 0 && k < nl; k++)
			c1[(size_t)a * nlv + lvs[k]] += cum;
	}
	for (k = 0; k < nl; k++)
		v->facc[lvs[k]] += b->df;
	v->version++;
	if (b->grown)
		v->grown = v->version;
	bg_log(v, b->g);
	b->g = -1;
}

/* Sets node nd's open accelerators to m (within the node's), through b:
 * the counts change when b is flushed. */
static void
batch_set(struct sv_view *v, struct sv_batch *b, int nd, uint64_t m)
{
	const struct sv_topo *t = v->t;
	uint64_t old = v->mask[nd], full = t->full[nd];
	int f0, f1, w0, w1, pf, g;

	if (old == m || full == 0)
		return;
	g = t->nodes[nd].group;
	if (g != b->g) {
		batch_flush(v, b);
		b->g = g;
		b->lo = SV_NA;
		b->hi = 0;
		b->hi1 = -1;
		b->grown = 0;
		b->df = 0;
	}
	f0 = sv_popc(old);
	f1 = sv_popc(m);
	if (f0 != f1) {
		b->ex0[f0]--;
		b->ex0[f1]++;
		if ((f0 < f1 ? f0 : f1) + 1 < b->lo)
			b->lo = (f0 < f1 ? f0 : f1) + 1;
		if ((f0 > f1 ? f0 : f1) > b->hi)
			b->hi = f0 > f1 ? f0 : f1;
		b->df += f1 - f0;
	}
	w0 = old != 0 && old == full;
	w1 = m != 0 && m == full;
	if (w0 != w1) {
		pf = sv_popc(full);
		b->ex1[pf] += w1 - w0;
		if (pf > b->hi1)
			b->hi1 = pf;
	}
	if ((m & ~old) != 0)
		b->grown = 1;
	v->mask[nd] = m;
}

/* Takes every slot of an allocation out of the view. */
void
sv_take_slots(struct sv_view *v, const struct sched_slot *s, int n)
{
	struct sv_batch b;
	int i;

	if (n == 1) { /* a shared job's one node: nothing to gather */
		sv_take(v, s->node, s->mask);
		return;
	}
	batch_init(&b, v->t->na);
	for (i = 0; i < n; i++)
		batch_set(v, &b, s[i].node, v->mask[s[i].node] & ~s[i].mask);
	batch_flush(v, &b);
}

/* Gives the accelerators of every slot back (with whole, each node's
 * free accelerators in the input too), on the nodes open to new work;
 * slots off the fabric are passed over. */
void
sv_give_slots(struct sv_view *v, const struct sched_slot *s, int n, int whole)
{
	const struct sv_topo *t = v->t;
	struct sv_batch b;
	uint64_t m;
	int i, nd;

	batch_init(&b, t->na);
	for (i = 0; i < n; i++) {
		nd = s[i].node;
		if (nd < 0 || nd >= t->nnodes || !t->open[nd] ||
		    (v->allow != NULL && !v->allow[nd]))
			continue;
		m = s[i].mask | (whole ? t->nodes[nd].free_mask : 0);
		batch_set(v, &b, nd, (v->mask[nd] | m) & t->full[nd]);
	}
	batch_flush(v, &b);
}
