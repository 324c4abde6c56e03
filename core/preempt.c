/*
 * Preemption (see preempt.h). Freeing more jobs never makes a placement
 * impossible that was possible with fewer, so the shortest prefix is
 * found by bisection: about log2(ncands) scheduling passes of one job.
 */
#include <stdlib.h>
#include <string.h>

#include "preempt.h"

struct trial {
	const struct sched_input *in;
	const struct sched_pending *p;
	const int *cands;
	struct sched_node *nodes;     /* the input's, with victims freed */
	struct sched_running *others; /* the running jobs that stay */
	unsigned char *gone;          /* per running job: stopped */
};

static uint64_t
full_of(int k)
{
	return k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
}

/* 1 if p starts once the first k candidates stop, 0 if not, -1 on
 * allocation failure. */
static int
starts_without(struct trial *t, int k)
{
	const struct sched_input *in = t->in;
	struct sched_input sub;
	struct sched_result res;
	int i, j, n = 0, ok;

	memcpy(t->nodes, in->nodes, in->nnodes * sizeof(*t->nodes));
	memset(t->gone, 0, in->nrunning);
	for (i = 0; i < k; i++)
		t->gone[t->cands[i]] = 1;
	for (i = 0; i < in->nrunning; i++) {
		const struct sched_running *r = &in->running[i];

		if (!t->gone[i]) {
			t->others[n++] = *r;
			continue;
		}
		for (j = 0; j < r->nslots; j++) {
			const struct sched_slot *s = &r->slots[j];

			if (s->node < 0 || s->node >= in->nnodes)
				continue;
			t->nodes[s->node].free_mask |=
			    r->exclusive ? full_of(t->nodes[s->node].naccels)
			                 : s->mask;
		}
	}
	sub = *in;
	sub.nodes = t->nodes;
	sub.running = t->others;
	sub.nrunning = n;
	sub.pending = t->p;
	sub.npending = 1;
	sub.policy = SCHED_FCFS;
	if (sched_pass(&sub, &res) == -1)
		return -1;
	ok = res.d[0].reason == SCHED_R_NONE;
	sched_result_free(&res);
	return ok;
}

/* The shortest prefix of cands whose stop lets p start; see preempt.h. */
int
preempt_choose(const struct sched_input *in, const struct sched_pending *p,
    const int *cands, int ncands)
{
	struct trial t;
	int lo = 0, hi = ncands, mid, r, rc = -2;

	memset(&t, 0, sizeof(t));
	t.in = in;
	t.p = p;
	t.cands = cands;
	t.nodes = malloc((in->nnodes + 1) * sizeof(*t.nodes));
	t.others = malloc((in->nrunning + 1) * sizeof(*t.others));
	t.gone = malloc(in->nrunning + 1);
	if (t.nodes == NULL || t.others == NULL || t.gone == NULL)
		goto done;
	/* the answer lies in [lo, hi]: stopping hi is enough, lo is not
	 * known to be */
	if ((r = starts_without(&t, ncands)) != 1) {
		rc = r == 0 ? -1 : -2;
		goto done;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = starts_without(&t, mid)) == -1)
			goto done;
		if (r)
			hi = mid;
		else
			lo = mid + 1;
	}
	rc = lo;
done:
	free(t.nodes);
	free(t.others);
	free(t.gone);
	return rc;
}
