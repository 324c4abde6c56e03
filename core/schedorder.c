/*
 * The queue's order (see schedorder.h): a radix sort of the priorities,
 * then a merge sort of each run of equal ones by the whole comparison.
 * The merge sort alone, the comparison inline, is the reference: it is
 * stable, as glibc's qsort() (a merge sort too) was, and a queue with a
 * NaN priority, which compares with nothing, is still ordered by it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedorder.h"

/* Sort key of a pending job. */
struct prio_key {
	double prio;
	int64_t submit_ms;
	int64_t id;
	int idx;
};

/* Whether a goes before b: higher priority, then earlier submit, then
 * lower id. */
static inline int
prio_before(const struct prio_key *a, const struct prio_key *b)
{
	if (a->prio != b->prio)
		return a->prio > b->prio;
	if (a->submit_ms != b->submit_ms)
		return a->submit_ms < b->submit_ms;
	return a->id < b->id;
}

/*
 * Orders n keys, highest priority first: a bottom-up merge sort, stable
 * as glibc's qsort() (a merge sort too) was, so that the order is the
 * same; with the comparison inline it costs a third of qsort()'s calls
 * through a pointer, which were a third of an EASY pass. Returns the
 * array that holds the result: keys or tmp, both n long.
 */
static struct prio_key *
sort_prio(struct prio_key *keys, struct prio_key *tmp, int n)
{
	struct prio_key *src = keys, *dst = tmp, *sw;
	int w, lo, mid, hi, i, j, k;

	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = lo + 2 * w < n ? lo + 2 * w : n;
			for (i = lo, j = mid, k = lo; k < hi; k++)
				if (i < mid &&
				    (j >= hi || !prio_before(&src[j], &src[i])))
					dst[k] = src[i++];
				else
					dst[k] = src[j++];
		}
		sw = src;
		src = dst;
		dst = sw;
	}
	return src;
}

/* A pending job's place in the queue as one integer: its priority's bits,
 * made to sort ascending as the priority descends. */
struct prio_rank {
	uint64_t key;
	int idx;
};

/* The rank key of priority p, not NaN: the bits of a double, with the
 * sign bit flipped for p >= 0 and all bits for p < 0, order as p does
 * (-0 taken as 0, so that equal priorities have equal keys); complemented,
 * they order as p descends. */
static uint64_t
prio_rank_key(double p)
{
	uint64_t u;

	if (p == 0)
		p = 0;
	memcpy(&u, &p, sizeof(u));
	u = u >> 63 ? ~u : u | 1ULL << 63;
	return ~u;
}

/*
 * Orders n ranks by key: an LSD radix sort, a byte a round, stable, that
 * skips the rounds whose byte every key shares (the top bytes of
 * priorities of one range). A merge sort of ten thousand jobs by their
 * comparison was a sixth of an EASY pass. Returns the array that holds
 * the result: rk or tmp, both n long.
 */
static struct prio_rank *
sort_ranks(struct prio_rank *rk, struct prio_rank *tmp, int n)
{
	struct prio_rank *src = rk, *dst = tmp, *sw;
	int cnt[8][256], b, i, sum, c, *h;

	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		for (b = 0; b < 8; b++)
			cnt[b][(src[i].key >> (8 * b)) & 0xff]++;
	for (b = 0; b < 8; b++) {
		h = cnt[b];
		if (n < 2 || h[(src[0].key >> (8 * b)) & 0xff] == n)
			continue; /* one value: the order stays */
		for (i = 0, sum = 0; i < 256; i++) {
			c = h[i];
			h[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[h[(src[i].key >> (8 * b)) & 0xff]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	return src;
}

/* Orders keys[0..n) by the whole comparison (prio_before()) into order,
 * as pending indices. 0, or -1 on allocation failure. */
static int
order_keys(struct prio_key *keys, int n, int *order)
{
	struct prio_key *tmp, *sorted;
	int i;

	if ((tmp = malloc((n + 1) * sizeof(*tmp))) == NULL)
		return -1;
	sorted = sort_prio(keys, tmp, n);
	for (i = 0; i < n; i++)
		order[i] = sorted[i].idx;
	free(tmp);
	return 0;
}

/* A pending job's sort key. */
static void
prio_key_of(
    const struct sched_input *in, int i, double prio, struct prio_key *k)
{
	k->prio = prio;
	k->submit_ms = in->pending[i].submit_ms;
	k->id = in->pending[i].id;
	k->idx = i;
}

/*
 * The queue in priority order (see prio_before()) into order, which has
 * room for in->npending indices. The priorities are ranked by a radix
 * sort; only runs of equal priority are then ordered by submit time and
 * id, as the merge sort of every key would, which is also what a NaN
 * priority falls back to (it compares with nothing). 0, or -1 on
 * allocation failure.
 */
int
so_order(const struct sched_input *in, int *order)
{
	struct prio_rank *rk, *tmp, *sorted;
	struct prio_key *keys = NULL;
	int i, lo, hi, n = in->npending, nan = 0, rc = -1;
	double p;

	rk = malloc((n + 1) * sizeof(*rk));
	tmp = malloc((n + 1) * sizeof(*tmp));
	if (rk == NULL || tmp == NULL)
		goto fail;
	for (i = 0; i < n && !nan; i++) {
		p = sched_priority(in, &in->pending[i]);
		nan = isnan(p);
		rk[i].key = nan ? 0 : prio_rank_key(p);
		rk[i].idx = i;
	}
	if (nan) {
		if ((keys = malloc((n + 1) * sizeof(*keys))) == NULL)
			goto fail;
		for (i = 0; i < n; i++)
			prio_key_of(in, i, sched_priority(in, &in->pending[i]),
			    &keys[i]);
		if (order_keys(keys, n, order) == -1)
			goto fail;
		goto done;
	}
	sorted = sort_ranks(rk, tmp, n);
	for (lo = 0; lo < n; lo = hi) {
		for (hi = lo + 1; hi < n && sorted[hi].key == sorted[lo].key;
		     hi++)
			;
		if (hi - lo == 1) {
			order[lo] = sorted[lo].idx;
			continue;
		}
		if (keys == NULL &&
		    (keys = malloc((n + 1) * sizeof(*keys))) == NULL)
			goto fail;
		for (i = lo; i < hi; i++)
			prio_key_of(in, sorted[i].idx,
			    sched_priority(in, &in->pending[sorted[i].idx]),
			    &keys[i - lo]);
		if (order_keys(keys, hi - lo, order + lo) == -1)
			goto fail;
	}
done:
	rc = 0;
fail:
	free(keys);
	free(rk);
	free(tmp);
	return rc;
}
