/*
 * A shared site's rules for the queue (see tenancy.h).
 *
 * Fair share needs each association's usage decayed to now. Ended
 * attempts fold into one number per (user, account), kept with the time
 * it was last decayed to, and loaded at start from the jobs that ended
 * within ten half-lives (older usage weighs under 0.1 %); running
 * attempts add their decayed usage so far on every pass. The pass then
 * asks the organisation for the account tree and computes every factor
 * once (fs_compute()).
 *
 * Node sets and quotas are shared by the jobs that have the same key
 * (partition and the reservations they must keep off; QOS and user or
 * account; array), found through one small hash map per pass, so a queue
 * of 10,000 jobs makes a handful of sets and quotas, not 10,000.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "config.h"
#include "fleet.h"
#include "jobdeps.h"
#include "jobs.h"
#include "log.h"
#include "org.h"
#include "preempt.h"
#include "store.h"
#include "tenancy.h"
#include "timeutil.h"

#define TEN_KEY_MAX 512 /* bytes of a set's or quota's key */
#define TEN_MAX_OFF 32  /* reservations one job's run may have to avoid */

/* Usage of one association from ended attempts, decayed to ref_ms. */
struct usage_ent {
	char user[JOB_USER_MAX];
	char account[JOB_TAG_MAX];
	double usage; /* accelerator-seconds */
	int64_t ref_ms;
};

struct tenancy {
	struct usage_ent *v;
	int n, cap;
};

/* String keys to small integers: open addressing, never shrinks. */
struct keymap {
	char **key;
	int *val;
	int cap, n;
};

/* The plan's keys and the pass's fair-share factors. */
struct plankeys {
	struct keymap sets, quotas, fs;
	int setcap, quotacap;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The value of key, or -1. */
static int
km_get(const struct keymap *m, const char *key)
{
	uint64_t i;

	if (m->cap == 0)
		return -1;
	for (i = hash(key) & (m->cap - 1); m->key[i] != NULL;
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->key[i], key) == 0)
			return m->val[i];
	return -1;
}

/* Adds key with val (absent). 0 or -1. */
static int
km_put(struct keymap *m, const char *key, int val)
{
	uint64_t i;
	int c, k;

	if (2 * (m->n + 1) > m->cap) {
		struct keymap g = {0};

		c = m->cap ? 2 * m->cap : 64;
		g.key = calloc(c, sizeof(*g.key));
		g.val = calloc(c, sizeof(*g.val));
		if (g.key == NULL || g.val == NULL) {
			free(g.key);
			free(g.val);
			return -1;
		}
		g.cap = c;
		for (k = 0; k < m->cap; k++) {
			if (m->key[k] == NULL)
				continue;
			for (i = hash(m->key[k]) & (c - 1); g.key[i] != NULL;
			     i = (i + 1) & (c - 1))
				;
			g.key[i] = m->key[k];
			g.val[i] = m->val[k];
		}
		free(m->key);
		free(m->val);
		m->key = g.key;
		m->val = g.val;
		m->cap = c;
	}
	for (i = hash(key) & (m->cap - 1); m->key[i] != NULL;
	     i = (i + 1) & (m->cap - 1))
		;
	if ((m->key[i] = strdup(key)) == NULL)
		return -1;
	m->val[i] = val;
	m->n++;
	return 0;
}

static void
km_free(struct keymap *m)
{
	int i;

	for (i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->val);
	memset(m, 0, sizeof(*m));
}

/* Usage ----------------------------------------------------------------- */

static struct usage_ent *
usage_of(struct tenancy *t, const char *user, const char *account)
{
	struct usage_ent *e;
	int i, c;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].user, user) == 0 &&
		    strcmp(t->v[i].account, account) == 0)
			return &t->v[i];
	if (t->n == t->cap) {
		c = t->cap ? 2 * t->cap : 16;
		if ((e = realloc(t->v, c * sizeof(*e))) == NULL)
			return NULL;
		t->v = e;
		t->cap = c;
	}
	e = &t->v[t->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->user, sizeof(e->user), "%s", user);
	snprintf(e->account, sizeof(e->account), "%s", account);
	return e;
}

/* Adds accels used over [start_ms, end_ms] to (user, account). */
static void
usage_add(struct ctl_state *st, const char *user, const char *account,
    int accels, int64_t start_ms, int64_t end_ms)
{
	double h = st->conf->half_life_h;
	struct usage_ent *e;

	if (st->ten == NULL || start_ms <= 0 || end_ms <= start_ms)
		return;
	if ((e = usage_of(st->ten, user, account)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return;
	}
	if (e->ref_ms < end_ms) {
		e->usage = fs_decay(e->usage, end_ms - e->ref_ms, h);
		e->ref_ms = end_ms;
	}
	e->usage += fs_usage(accels, start_ms, end_ms, e->ref_ms, h);
}

static void
load_cb(void *arg, const char *user, const char *account, int accels,
    int64_t start_ms, int64_t end_ms)
{
	usage_add(arg, user, account, accels, start_ms, end_ms);
}

int
tenancy_init(struct ctl_state *st)
{
	double h = st->conf->half_life_h;
	int64_t since = 0;

	if ((st->ten = calloc(1, sizeof(*st->ten))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	if (h > 0)
		since = time_wall_ms() - (int64_t)(10 * h * 3600000.0);
	return store_job_usage(st->store, since, load_cb, st);
}

void
tenancy_free(struct ctl_state *st)
{
	if (st->ten == NULL)
		return;
	free(st->ten->v);
	free(st->ten);
	st->ten = NULL;
}

void
tenancy_used(
    struct ctl_state *st, const struct job *j, int64_t start_ms, int64_t end_ms)
{
	usage_add(st, j->user, j->account, j->accels_total, start_ms, end_ms);
}

int
tenancy_admit(
    struct ctl_state *st, struct job *j, char *err, size_t errlen, int *status)
{
	if (org_admit(st, j, err, errlen, status) == -1)
		return -1;
	return jobdeps_admit(st, j, err, errlen, status);
}

/* Fair share ------------------------------------------------------------ */

/* The tree node that (user, account) charges: its association, else the
 * account, else the root. */
static int
fs_node_of(const struct org *o, const char *user, const char *account)
{
	int k = org_fs_leaf(o, user, account);

	if (k < 0)
		k = org_account_find(o, account);
	return k < 0 ? 0 : k;
}

/* The account tree with every association's usage at now_ms, computed.
 * *v is malloc'ed. 0 or -1. */
static int
fs_tree_now(struct ctl_state *st, int64_t now_ms, struct fs_node **v, int *n)
{
	const struct org *o = &st->org;
	double h = st->conf->half_life_h;
	int i, k;

	if (org_fs_tree(o, v, n) == -1)
		return -1;
	if (*n == 0) {
		free(*v);
		*v = NULL;
		return -1;
	}
	for (i = 0; st->ten != NULL && i < st->ten->n; i++) {
		const struct usage_ent *e = &st->ten->v[i];

		k = fs_node_of(o, e->user, e->account);
		(*v)[k].usage += fs_decay(e->usage, now_ms - e->ref_ms, h);
	}
	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		if (j->state != JOB_RUNNING || j->start_ms <= 0)
			continue;
		k = fs_node_of(o, j->user, j->account);
		(*v)[k].usage +=
		    fs_usage(j->accels_total, j->start_ms, now_ms, now_ms, h);
	}
	if (fs_compute(*v, *n) == -1) {
		free(*v);
		*v = NULL;
		return -1;
	}
	return 0;
}

/* QOS priority over the highest, [0, 1]. */
static double
qos_norm(const struct org *o, const struct org_qos *q)
{
	int64_t max = 0;
	int i;

	for (i = 0; i < o->nqos; i++)
		if (o->qos[i].priority > max)
			max = o->qos[i].priority;
	return q != NULL && max > 0 ? (double)q->priority / (double)max : 0;
}

static void
weights_of(const struct config *c, struct prio_weights *w)
{
	memset(w, 0, sizeof(*w));
	w->age_per_h = c->age_weight_per_h;
	w->age_cap_h = c->age_cap_h;
	w->fairshare = c->w_fairshare;
	w->jobsize = c->w_jobsize;
	w->qos = c->w_qos;
	w->operator_ = c->w_operator;
	w->favor_small = c->jobsize_favor_small;
	w->half_life_h = c->half_life_h;
}

static int
total_accels(const struct ctl_state *st)
{
	int i, n = 0;

	for (i = 0; i < st->fleet->nnodes; i++)
		n += fleet_node_accels(st->fleet, &st->fleet->nodes[i]);
	return n;
}

int
tenancy_factors(struct ctl_state *st, struct job *const *v, int n,
    int64_t now_ms, struct prio_factors *f, double *fs)
{
	const struct org *o = &st->org;
	struct prio_weights w;
	struct prio_job pj;
	struct fs_node *tree = NULL;
	int i, ntree, total = total_accels(st);

	if (fs_tree_now(st, now_ms, &tree, &ntree) == -1)
		return -1;
	weights_of(st->conf, &w);
	for (i = 0; i < n; i++) {
		memset(&pj, 0, sizeof(pj));
		pj.submit_ms = v[i]->submit_ms;
		pj.priority = v[i]->priority;
		pj.accels = v[i]->accels_total;
		pj.fairshare =
		    tree[fs_node_of(o, v[i]->user, v[i]->account)].factor;
		pj.qos = qos_norm(o, org_qos_find(o, v[i]->qos));
		prio_factors(&w, total, now_ms, &pj, &f[i]);
		fs[i] = pj.fairshare;
	}
	free(tree);
	return 0;
}

/* The plan --------------------------------------------------------------- */

/* The index of the set of partition part less the noff reservations off
 * (indices into org.resvs), inside reservation `inside` (-1: none), made
 * when new; 0 for "every node". -1 on allocation failure. */
static int
plan_set(struct ctl_state *st, struct tenancy_plan *pl,
    const struct org_partition *part, const int *off, int noff, int inside)
{
	struct plankeys *pk = pl->keys;
	const struct org *o = &st->org;
	char key[TEN_KEY_MAX];
	unsigned char *m, **grown;
	int k, r, nn = st->fleet->nnodes, c;
	size_t len;

	if ((part == NULL || part->nmembers >= nn) && noff == 0 && inside < 0)
		return 0;
	len = (size_t)snprintf(
	    key, sizeof(key), "%s\x1f%d", part ? part->name : "", inside);
	for (r = 0; r < noff && len < sizeof(key); r++)
		len += (size_t)snprintf(
		    key + len, sizeof(key) - len, ",%d", off[r]);
	if ((k = km_get(&pk->sets, key)) >= 0)
		return k;
	if ((m = malloc(nn + 1)) == NULL)
		return -1;
	for (k = 0; k < nn; k++) {
		m[k] = part == NULL || part->nodes[k];
		if (inside >= 0)
			m[k] &= o->resvs[inside].nodes[k] != 0;
		for (r = 0; r < noff; r++)
			if (o->resvs[off[r]].nodes[k])
				m[k] = 0;
	}
	if (pl->nsets == pk->setcap) {
		c = pk->setcap ? 2 * pk->setcap : 8;
		if ((grown = realloc(pl->sets, c * sizeof(*grown))) == NULL)
			goto fail;
		pl->sets = grown;
		pk->setcap = c;
	}
	pl->sets[pl->nsets++] = m;
	if (km_put(&pk->sets, key, pl->nsets) == -1)
		return -1;
	return pl->nsets;
fail:
	free(m);
	return -1;
}

/* The index of the quota keyed so, q when new. -1 on allocation
 * failure. */
static int
plan_quota(struct tenancy_plan *pl, const char *key, struct sched_quota q)
{
	struct plankeys *pk = pl->keys;
	struct sched_quota *grown;
	int k, c;

	if ((k = km_get(&pk->quotas, key)) >= 0)
		return k;
	if (pl->nquotas == pk->quotacap) {
		c = pk->quotacap ? 2 * pk->quotacap : 16;
		if ((grown = realloc(pl->quotas, c * sizeof(*grown))) == NULL)
			return -1;
		pl->quotas = grown;
		pk->quotacap = c;
	}
	k = pl->nquotas++;
	pl->quotas[k] = q;
	return km_put(&pk->quotas, key, k) == -1 ? -1 : k;
}

/* One QOS limit: who it counts (u: user, a: account) and where. */
static const struct qos_limit {
	char who;
	size_t jobs_off, accels_off; /* int fields of struct org_qos */
} qos_limits[] = {
    {'u', offsetof(struct org_qos, max_jobs_per_user),
        offsetof(struct org_qos, max_accels_per_user)},
    {'a', offsetof(struct org_qos, max_jobs_per_account),
        offsetof(struct org_qos, max_accels_per_account)},
};

#define NLIMITS (sizeof(qos_limits) / sizeof(qos_limits[0]))

static int
limit_of(const struct org_qos *q, size_t off)
{
	return *(const int *)((const char *)q + off);
}

static void
quota_key(char *key, size_t size, const struct org_qos *q, char who,
    const struct job *j)
{
	snprintf(key, size, "q\x1f%s\x1f%c\x1f%s", q->name, who,
	    who == 'u' ? j->user : j->account);
}

/* The quotas of job j: its QOS's per user and per account, its array's.
 * 0 or -1. */
static int
plan_quotas(struct tenancy_plan *pl, const struct org *o, const struct job *j,
    struct sched_pending *p)
{
	const struct org_qos *q = org_qos_find(o, j->qos);
	char key[TEN_KEY_MAX];
	size_t l;
	int k, mj, ma;

	p->nquotas = 0;
	for (l = 0; q != NULL && l < NLIMITS; l++) {
		mj = limit_of(q, qos_limits[l].jobs_off);
		ma = limit_of(q, qos_limits[l].accels_off);
		if (mj <= 0 && ma <= 0)
			continue;
		quota_key(key, sizeof(key), q, qos_limits[l].who, j);
		if ((k = plan_quota(pl, key,
		         sched_qos_quota(
		             mj, 0, ma, 0, qos_limits[l].who == 'u'))) == -1)
			return -1;
		p->quota[p->nquotas++] = k;
	}
	if (j->array_job_id != 0 && j->array_max > 0) {
		snprintf(
		    key, sizeof(key), "A\x1f%lld", (long long)j->array_job_id);
		if ((k = plan_quota(pl, key,
		         (struct sched_quota){j->array_max, INT64_MAX,
		             "JobArrayTaskLimit", "JobArrayTaskLimit"})) == -1)
			return -1;
		p->quota[p->nquotas++] = k;
	}
	return 0;
}

/* Spends in the plan's quotas what the running jobs hold. */
static void
plan_spend_running(struct ctl_state *st, struct tenancy_plan *pl)
{
	struct plankeys *pk = pl->keys;
	const struct org_qos *q;
	char key[TEN_KEY_MAX];
	size_t l;
	int i, k;

	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		if (j->state != JOB_RUNNING)
			continue;
		q = org_qos_find(&st->org, j->qos);
		for (l = 0; q != NULL && l < NLIMITS; l++) {
			quota_key(key, sizeof(key), q, qos_limits[l].who, j);
			if ((k = km_get(&pk->quotas, key)) < 0)
				continue;
			if (pl->quotas[k].jobs != INT64_MAX)
				pl->quotas[k].jobs--;
			if (pl->quotas[k].accels != INT64_MAX)
				pl->quotas[k].accels -= j->accels_total;
		}
		if (j->array_job_id == 0)
			continue;
		snprintf(
		    key, sizeof(key), "A\x1f%lld", (long long)j->array_job_id);
		if ((k = km_get(&pk->quotas, key)) >= 0)
			pl->quotas[k].jobs--;
	}
}

/*
 * Where job j may run if it started at now_ms: its partition, less every
 * reservation its run would overlap that is not its own (maintenance, or
 * another account's), or inside the reservation it names. Sets *held
 * when it names one that has not begun, or when its run would cross more
 * reservations than a set is made of (it waits rather than risk one).
 * The set's index, or -1.
 */
static int
plan_where(struct ctl_state *st, struct tenancy_plan *pl, const struct job *j,
    int64_t now_ms, const char **held)
{
	const struct org *o = &st->org;
	const struct org_partition *part = org_partition_find(o, j->partition);
	int64_t end = now_ms + j->time_limit_s * 1000;
	int off[TEN_MAX_OFF];
	int r, noff = 0, inside = -1, acct = org_account_find(o, j->account);

	for (r = 0; r < o->nresvs; r++) {
		const struct org_resv *rv = &o->resvs[r];

		if (j->reservation[0] != '\0' &&
		    strcmp(rv->name, j->reservation) == 0) {
			inside = r;
			if (now_ms < rv->start_ms || end > rv->end_ms)
				*held = "Reservation";
			continue;
		}
		if (rv->end_ms <= now_ms || rv->start_ms >= end)
			continue;
		if (!rv->maint && rv->account == acct)
			continue;
		if (noff == TEN_MAX_OFF) {
			*held = "Reservation";
			break;
		}
		off[noff++] = r;
	}
	if (j->reservation[0] != '\0' && inside < 0)
		*held = "ReqNodeNotAvail";
	return plan_set(st, pl, part, off, noff, inside);
}

/* The fair-share factor of (user, account) this pass, from the tree. */
static double
plan_fs(struct tenancy_plan *pl, const struct org *o, const struct fs_node *v,
    const struct job *j)
{
	struct plankeys *pk = pl->keys;
	char key[TEN_KEY_MAX];
	int k;

	snprintf(key, sizeof(key), "%s\x1f%s", j->user, j->account);
	if ((k = km_get(&pk->fs, key)) >= 0)
		return v[k].factor;
	k = fs_node_of(o, j->user, j->account);
	(void)km_put(&pk->fs, key, k); /* a miss only costs a lookup */
	return v[k].factor;
}

int
tenancy_plan(struct ctl_state *st, struct job **pjobs,
    struct sched_pending *pending, int n, int64_t now_ms,
    struct tenancy_plan *pl)
{
	const struct org *o = &st->org;
	struct prio_weights w;
	struct prio_job pj;
	struct fs_node *tree = NULL;
	int i, ntree, total = total_accels(st);

	memset(pl, 0, sizeof(*pl));
	pl->held = calloc(n + 1, sizeof(*pl->held));
	pl->keys = calloc(1, sizeof(struct plankeys));
	if (pl->held == NULL || pl->keys == NULL ||
	    fs_tree_now(st, now_ms, &tree, &ntree) == -1)
		goto fail;
	weights_of(st->conf, &w);
	for (i = 0; i < n; i++) {
		const struct job *j = pjobs[i];
		struct sched_pending *p = &pending[i];

		memset(&pj, 0, sizeof(pj));
		pj.submit_ms = j->submit_ms;
		pj.priority = j->priority;
		pj.accels = j->accels_total;
		pj.fairshare = plan_fs(pl, o, tree, j);
		pj.qos = qos_norm(o, org_qos_find(o, j->qos));
		p->prio = prio_static(&w, total, &pj);
		pl->held[i] = jobdeps_hold(st, j);
		if ((p->set = plan_where(st, pl, j, now_ms, &pl->held[i])) ==
		        -1 ||
		    plan_quotas(pl, o, j, p) == -1)
			goto fail;
	}
	plan_spend_running(st, pl);
	free(tree);
	return 0;
fail:
	log_warnx("%s: out of memory", __func__);
	free(tree);
	tenancy_plan_free(pl);
	return -1;
}

void
tenancy_plan_free(struct tenancy_plan *pl)
{
	struct plankeys *pk = pl->keys;
	int i;

	for (i = 0; i < pl->nsets; i++)
		free(pl->sets[i]);
	free(pl->sets);
	free(pl->quotas);
	free(pl->held);
	if (pk != NULL) {
		km_free(&pk->sets);
		km_free(&pk->quotas);
		km_free(&pk->fs);
		free(pk);
	}
	memset(pl, 0, sizeof(*pl));
}

/* Preemption ------------------------------------------------------------- */

#define TEN_MAX_VICTIMS 256 /* candidates one preemption weighs */

/* Candidates in the order to stop them. */
struct cand {
	int run;          /* index into in->running */
	int64_t qos_prio; /* its QOS's priority: lowest goes first */
	int64_t start_ms; /* then the latest started */
};

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->qos_prio != y->qos_prio)
		return x->qos_prio < y->qos_prio ? -1 : 1;
	if (x->start_ms != y->start_ms)
		return x->start_ms > y->start_ms ? -1 : 1;
	return x->run - y->run;
}

/* 1 if QOS q (of preemptor) may preempt QOS index v. */
static int
preempts(const struct org_qos *q, int v)
{
	int k;

	for (k = 0; k < q->npreempt; k++)
		if (q->preempt[k] == v)
			return 1;
	return 0;
}

int
tenancy_preempt(struct ctl_state *st, const struct sched_input *in,
    struct job **rjobs, struct job **pjobs, const struct sched_result *res,
    struct job **v, int max)
{
	const struct org *o = &st->org;
	const struct org_qos *q, *vq;
	struct cand c[TEN_MAX_VICTIMS];
	int order[TEN_MAX_VICTIMS];
	int i, top = -1, nc = 0, k;
	double best = 0, pr;

	for (i = 0; i < in->nrunning; i++)
		if (rjobs[i]->ending == CAUSE_PREEMPTED)
			return 0; /* one at a time: let it land first */
	for (i = 0; i < in->npending; i++) {
		if (res->d[i].reason != SCHED_R_RESOURCES &&
		    res->d[i].reason != SCHED_R_RESERVATION)
			continue;
		pr = sched_priority(in, &in->pending[i]);
		if (top < 0 || pr > best) {
			top = i;
			best = pr;
		}
	}
	if (top < 0 || (q = org_qos_find(o, pjobs[top]->qos)) == NULL ||
	    q->npreempt == 0)
		return 0;
	for (i = 0; i < in->nrunning && nc < TEN_MAX_VICTIMS; i++) {
		const struct job *j = rjobs[i];

		if (j->state != JOB_RUNNING || j->ending != CAUSE_NONE ||
		    j->cancel_requested || !j->requeue ||
		    (vq = org_qos_find(o, j->qos)) == NULL ||
		    !preempts(q, (int)(vq - o->qos)))
			continue;
		c[nc].run = i;
		c[nc].qos_prio = vq->priority;
		c[nc].start_ms = j->start_ms;
		nc++;
	}
	if (nc == 0)
		return 0;
	qsort(c, nc, sizeof(c[0]), cand_cmp);
	for (i = 0; i < nc; i++)
		order[i] = c[i].run;
	k = preempt_choose(in, &in->pending[top], order, nc);
	if (k <= 0 || k > max)
		return 0;
	for (i = 0; i < k; i++) {
		v[i] = rjobs[order[i]];
		(void)job_preempt(v[i]);
		log_info("job %lld (QOS %s) preempted for job %lld (QOS %s)",
		    (long long)v[i]->id, v[i]->qos, (long long)pjobs[top]->id,
		    pjobs[top]->qos);
	}
	return k;
}
