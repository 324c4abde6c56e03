/*
 * Views for the scheduler (internal to sched.c): the fabric's topology,
 * and a state of its accelerators summarised per group, pod and fabric so
 * that "does this request fit?" costs a lookup or a scan of units, never a
 * walk over nodes. Placement (where a request goes in a view, tightest fit
 * first) lives here too, because it reads the same summaries.
 *
 * Nothing here allocates after sv_alloc() (or sv_alloc_unset()) and
 * nothing reads a clock: the module is as pure as sched.c, which owns
 * every view and topology.
 */
#ifndef CTL_SCHEDVIEW_H
#define CTL_SCHEDVIEW_H

#include <stdint.h>

#include "sched.h"

#define SV_NA (SCHED_MAX_ACCELS + 1) /* accelerator counts 0..64 */

/*
 * The fabric's shape, built once per pass. Groups and pods are compressed
 * lists: the nodes of group g are gnodes[goff[g]..goff[g + 1]), the groups
 * of pod p are pgroups[poff[p]..poff[p + 1]). A group belongs to the pod of
 * its first node. Nodes with a pod, group or accelerator count out of range
 * are not part of the fabric (full = 0).
 */
struct sv_topo {
	const struct sched_node *nodes; /* borrowed from the input */
	int nnodes, ngroups, npods;
	int na;              /* rows of counts: the largest node's
	                        accelerators + 1 (≤ SV_NA) */
	uint64_t *full;      /* per node: its accelerators */
	unsigned char *open; /* per node: in the fabric and usable */
	int *goff, *gnodes;
	int *poff, *pgroups;
	int *gpod;  /* pod of each group, -1 when it has no node */
	int *gsort; /* scratch: groups of one pod */
	int *psort; /* scratch: pods */
};

/* Largest unit count seen for one request shape (see sv_fits()). */
struct sv_fitcache {
	int64_t version; /* view version of the scan, -1: none */
	int best;        /* most eligible nodes in one unit then */
	int unit;        /* that unit's level */
};

#define SV_BG_N   32 /* best_group() remembered for jobs of up to 32 nodes */
#define SV_BG_LOG 64 /* ... and brought up to date over this many changes */
#define SV_BG_K   8  /* ... keeping the 8 tightest groups */

/* The tightest groups of the fabric for one request shape, as last found
 * (see best_group() in schedview.c). */
struct sv_bgcache {
	int pos;        /* the view's nglog then */
	int nl;         /* groups in l */
	int all;        /* l held every group that held the job then */
	int l[SV_BG_K]; /* the tightest, tightest first */
	int tg;         /* unless all, the bound: no group outside l was
	                   tighter than this one, ... */
	int tcnt;       /* ... which then had these eligible nodes ... */
	int64_t tfacc;  /* ... and these free accelerators */
};

/*
 * A state of the fabric: what is open to new work on every node, and its
 * summaries per level: the groups, then the pods, then the fabric
 * (sv_lv_pod(), sv_lv_fabric()). cnt holds one row of nlv counts per
 * (exclusive, a), a below the topology's na: for shared work the open
 * nodes with at least a free accelerators, for exclusive work the wholly
 * free nodes with at least a accelerators. A row is contiguous, so
 * scanning every group for one request shape stays in a few cache lines;
 * and only as many rows as the largest node needs (9 for nodes of 8, not
 * 65), so that a pass's views stay small enough to copy and to come from
 * the heap rather than fresh pages.
 */
struct sv_view {
	struct sv_topo *t; /* borrowed */
	uint64_t *mask;    /* per node: accelerators open to new work */
	int *cnt;          /* [exclusive][a < na][level] eligible nodes */
	int64_t *facc;     /* per level: free accelerators on open nodes */
	int nlv;           /* levels */
	int64_t version;   /* bumped by every change */
	int64_t grown;     /* version of the last change that freed something */
	struct sv_fitcache fc[2][2][SV_NA]; /* [exclusive][in group][accels] */
	const unsigned char *allow; /* per node: 0 takes nothing back (a node
	                               set's view); NULL: every open node */
	/* Groups changed since bepoch began, one entry a change, for
	 * best_group()'s results in bg ([exclusive][a < na][nodes ≤
	 * SV_BG_N]). A new epoch (a rebuild, a copy, a full log) forgets
	 * them all. */
	struct sv_bgcache *bg; /* read only once its epoch is set */
	int64_t *bgepoch;      /* per entry of bg: the view's bepoch when it
	                          was set; another: unknown. Apart, so that
	                          only these are zeroed, not the lists */
	int *glog;
	int nglog, glogcap;
	int64_t bepoch;
};

extern const unsigned char sv_popc8[256];

/* Accelerators in a mask. Without the popcnt instruction (Debian's amd64
 * baseline lacks it) the builtin is a call into libgcc, and the pass
 * counts bits in its inner loops (a fifth of a CONSERVATIVE pass went to
 * the call): nodes of up to 8 accelerators are a table lookup, larger
 * ones a SWAR count of a dozen inline instructions. */
static inline int
sv_popc(uint64_t m)
{
#ifdef __POPCNT__
	return __builtin_popcountll(m);
#else
	if (m < 256)
		return sv_popc8[m];
	m = m - ((m >> 1) & 0x5555555555555555ULL);
	m = (m & 0x3333333333333333ULL) + ((m >> 2) & 0x3333333333333333ULL);
	m = (m + (m >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)((m * 0x0101010101010101ULL) >> 56);
#endif
}

/* Accelerators a request needs on each node, as the summaries count them:
 * an exclusive job needs a node with at least one. */
int sv_req_accels(const struct sched_request *r);
/* 1 if the request is well formed (nodes, accelerators, limit, within). */
int sv_req_valid(const struct sched_request *r);
/* 1 if the node is part of a fabric of npods pods and ngroups groups. */
int sv_node_valid(const struct sched_node *n, int npods, int ngroups);

/* Builds the topology of in's nodes into t (freed with sv_topo_free()).
 * 0, or -1 on allocation failure with t cleared. */
int sv_topo_build(struct sv_topo *t, const struct sched_input *in);
void sv_topo_free(struct sv_topo *t);
/* The level of pod p, and of the fabric (the last level). */
int sv_lv_pod(const struct sv_topo *t, int p);
int sv_lv_fabric(const struct sv_topo *t);

/* Allocates an empty view of t (freed with sv_free()); t must outlive it.
 * 0, or -1 on allocation failure. */
int sv_alloc(struct sv_view *v, struct sv_topo *t);
/* Allocates a view of t whose masks and counts are not set (freed with
 * sv_free()): the caller writes every mask and calls sv_rebuild(), or
 * sv_copy()s into it, before any other use. 0, or -1 on allocation
 * failure. */
int sv_alloc_unset(struct sv_view *v, struct sv_topo *t);
void sv_free(struct sv_view *v);
/* Recomputes the summaries after the caller wrote v->mask directly. */
void sv_rebuild(struct sv_view *v);
/* Makes dst, allocated on the same topology, equal to src (its allow
 * too). */
void sv_copy(struct sv_view *dst, const struct sv_view *src);
/* Sets node nd's open accelerators to m (within the node's), keeping the
 * summaries: O(accelerators), where sv_rebuild() is O(nodes). */
void sv_set(struct sv_view *v, int nd, uint64_t m);
/* Takes accelerators m of node nd out of the view. */
void sv_take(struct sv_view *v, int nd, uint64_t m);
/* Takes every slot of an allocation out of the view: the counts of each
 * group's run of slots change at once. */
void sv_take_slots(struct sv_view *v, const struct sched_slot *s, int n);
/* Gives back every slot of an allocation that ends, on the nodes open to
 * new work (and allowed): the slot's accelerators and, when whole (an
 * exclusive job's), the node's free accelerators in the input too. Slots
 * off the fabric are passed over. */
void sv_give_slots(
    struct sv_view *v, const struct sched_slot *s, int n, int whole);
/* Gives accelerators m of node nd back, if the node is open (and allowed). */
void sv_give(struct sv_view *v, int nd, uint64_t m);
/* Eligible nodes for (excl, a) at level lv. */
int sv_elig(const struct sv_view *v, int lv, int excl, int a);
/* The most eligible nodes for (excl, a) in one unit of level w (the
 * largest group or pod, or the fabric); 0 when a is past the largest
 * node. */
int sv_most(const struct sv_view *v, int excl, int a, enum sched_within w);
/* 1 if r fits the view as it is, 0 if not (or r is malformed). */
int sv_fits(struct sv_view *v, const struct sched_request *r);
/* Chooses where r goes in the view, tightest fit first, without taking
 * it: out (room for r->nnodes) gets the slots. Returns r->nnodes, or -1
 * if r does not fit. */
int sv_place(
    struct sv_view *v, const struct sched_request *r, struct sched_slot *out);

#endif
