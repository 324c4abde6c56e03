/*
 * sched_bench: how long one scheduling pass takes on a fabric-size state,
 * next to the cheapest thing a pass could possibly do, one plain scan over
 * every node. The state is built from a seed: pods of nodes, a running set
 * of mixed jobs filling a share of the accelerators (whole-node jobs of a
 * group, a pod or several pods, and shared jobs of a few accelerators), a
 * few nodes down, and a queue of pending jobs of the same mix with
 * priorities, ages and time limits spread the way a busy cluster's are.
 * The same input is passed to sched_pass() again and again, so every pass
 * does the same work; after an untimed warm-up pass (the first pays for
 * cold caches and fresh pages), the table gives the wall time's median,
 * 99th percentile and spread, and the pass's own CPU time, since on a
 * shared machine the wall time is mostly waiting for a core (the run's
 * preemptions and load are printed too). A digest of every decision shows
 * that a faster scheduler decides the same. --sibling runs a busy process
 * beside the passes.
 * A second state is what the next pass sees half an hour on: the first
 * pass's starts running, the jobs whose limits ran out gone.
 * It prints a Markdown fragment that tools/bench/run puts in
 * docs/benchmarks.md.
 *
 * With --tenancy the pass gets what a shared site's controller gives it
 * (controllerd/tenancy.c): users in accounts, each pending job's
 * multifactor priority with fair share (core/prio.c, the tree recomputed
 * from every user's decayed usage and the running jobs'), QOS limits per
 * user and per account as quotas, and a maintenance reservation of the
 * last pod a few hours ahead as a node set for the jobs that would still
 * run then. The work to build those inputs ("tenancy") is timed as well as
 * the pass, and with it. Its random draws come from their own stream, so
 * the fabric, running set and queue are the same as without it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "prio.h"
#include "sched.h"

#define BENCH_MAX_PASSES  100000
#define BENCH_MAX_NODES   200000
#define BENCH_MAX_JOBS    1000000
#define BENCH_DOWN_SHARE  0.005 /* nodes down or drained */
#define MIN_MS            60000LL
#define HOUR_MS           3600000LL
#define BENCH_LATER_MS    (30 * MIN_MS) /* the second state: this much later */
#define BENCH_USERS       400           /* --tenancy: users ... */
#define BENCH_ACCOUNTS    40            /* ... in this many accounts */
#define BENCH_MAINT_MS    (4 * HOUR_MS) /* maintenance starts this far on */
#define BENCH_HALF_LIFE_H 168.0
#define BENCH_SIBLING_MIB 64 /* --sibling: memory the busy process streams */

/*
 * --tenancy: the QOS. Columns: priority, then limits (0: none): running
 * jobs and accelerators per user, per account. Jobs pick one at random
 * with the weights in the last column (percent).
 */
static const struct bench_qos {
	const char *name;
	int64_t prio;
	int64_t user_jobs, user_accels, acct_jobs, acct_accels;
	int share_pct;
} bench_qos[] = {
    {"short", 100, 0, 0, 0, 0, 30},
    {"normal", 50, 100, 0, 0, 4096, 60},
    {"long", 0, 10, 1024, 40, 0, 10},
};
#define BENCH_NQOS ((int)(sizeof(bench_qos) / sizeof(bench_qos[0])))

/* --tenancy: the multifactor weights of the recommended shared-site
 * configuration (packaging/examples/controller-shared-site.conf). */
static const struct prio_weights bench_weights = {
    .age_per_h = 100,
    .age_cap_h = 720,
    .fairshare = 10000,
    .jobsize = 40000,
    .qos = 10000,
    .operator_ = 1,
    .favor_small = 1,
    .half_life_h = BENCH_HALF_LIFE_H,
};

/* --tenancy: who a job is, for a running or a pending one. */
struct ten_job {
	int user, qos;
	int64_t start_ms; /* running: when it started */
	int accels;       /* running: accelerators it holds */
};

static const char *const policy_names[] = {
    [SCHED_FCFS] = "fcfs",
    [SCHED_EASY] = "easy",
    [SCHED_CONSERVATIVE] = "conservative",
};

/*
 * The job mixes, for the running set and the queue alike. Each row: its
 * share in percent (a mix's rows add up to 100), node count range,
 * accelerators per node (0: the whole node, -1: 1, 2 or 4), exclusive,
 * placement.
 */
struct shape {
	int share_pct;
	int min_nodes, max_nodes;
	int accels;
	int exclusive;
	enum sched_within within;
};

/* Most jobs small, most node-hours in large ones. */
static const struct shape mix_default[] = {
    {35, 1, 1, -1, 0, SCHED_WITHIN_POD},
    {40, 1, 16, 0, 1, SCHED_WITHIN_GROUP},
    {20, 16, 128, 0, 1, SCHED_WITHIN_POD},
    {5, 128, 512, 0, 1, SCHED_WITHIN_FABRIC},
};

/* The worst case for one pass: thousands of tiny jobs that all start. */
static const struct shape mix_small[] = {
    {100, 1, 1, -1, 0, SCHED_WITHIN_POD},
};

static const struct mix {
	const char *name;
	const struct shape *shapes;
	size_t nshapes;
} mixes[] = {
    {"default", mix_default, sizeof(mix_default) / sizeof(mix_default[0])},
    {"small", mix_small, sizeof(mix_small) / sizeof(mix_small[0])},
};

struct bench_state {
	int pods, nodes_per_pod, accels, groups_per_pod;
	int npending, passes;
	double busy;
	uint64_t seed;
	enum sched_policy policy;
	const struct mix *mix;
	int check;          /* --check: the first pass must start something */
	double power;       /* --power: each pod's room as a share of its
	                       accelerators' rated draw above idle; 0: no admission */
	int tenancy;        /* --tenancy */
	int warmup;         /* --warmup: untimed passes before each state's */
	int sibling;        /* --sibling: a busy process beside the passes */
	double first_ms[2]; /* the first (cold) pass of each state, wall */
	long nivcsw;        /* the timed passes' involuntary switches */

	uint64_t rng;
	struct sched_node *nodes;
	int nnodes, ngroups;
	struct sched_running *run;
	struct sched_slot *slots; /* all running jobs' slots */
	int nrun, nslots;
	struct sched_pending *pend;
	long busy_accels, total_accels;
	int ndown; /* nodes not usable */

	/* --tenancy */
	uint64_t trng;                /* its own random stream */
	struct ten_job *trun, *tpend; /* parallel to run and pend */
	double *done;                 /* per user: decayed usage at done_ms */
	int64_t done_ms;
	double *acct_shares;
	struct fs_node *fs; /* root, accounts, users */
	int64_t *qu_jobs, *qu_accels, *qa_jobs, *qa_accels; /* running */
	int *qu_slot, *qa_slot; /* quota index this pass, or -1 */
	struct sched_quota *quotas;
	unsigned char *maint_set; /* every node but the last pod's */
	const unsigned char *sets[1];
	int64_t maint_start_ms;
};

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: sched_bench [--pods n] [--nodes-per-pod m] "
	    "[--accels-per-node k]\n"
	    "\t[--groups-per-pod g] [--pending n] [--busy share] "
	    "[--passes n] [--seed s]\n"
	    "\t[--policy fcfs|easy|conservative] [--mix default|small] "
	    "[--check] [--power share]\n\t[--tenancy] [--warmup n] "
	    "[--sibling]\n");
	exit(1);
}

static _Noreturn void
die(const char *what, const char *s)
{
	fprintf(stderr, "sched_bench: %s '%s'\n", what, s);
	exit(1);
}

static long
arg_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		die("bad number", s);
	return v;
}

static uint64_t
rnd(struct bench_state *b)
{
	uint64_t x = (b->rng += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The --tenancy stream: the same generator on its own state. */
static uint64_t
trnd(struct bench_state *b)
{
	uint64_t x = (b->trng += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static long
rnd_in(struct bench_state *b, long lo, long hi)
{
	return lo + (long)(rnd(b) % (uint64_t)(hi - lo + 1));
}

/* A time limit between 10 minutes and a day, most of them short. */
static int64_t
rnd_limit_ms(struct bench_state *b)
{
	double u = (rnd(b) >> 11) * 0x1.0p-53;

	return (int64_t)(10 * MIN_MS * pow(144.0, u));
}

static const struct shape *
rnd_shape(struct bench_state *b)
{
	const struct shape *s = b->mix->shapes;
	long x = rnd_in(b, 0, 99);
	size_t i;

	for (i = 0; i < b->mix->nshapes - 1; i++) {
		if (x < s[i].share_pct)
			return &s[i];
		x -= s[i].share_pct;
	}
	return &s[i];
}

static void
rnd_request(struct bench_state *b, struct sched_request *r)
{
	static const int small[] = {1, 2, 4};
	const struct shape *s = rnd_shape(b);
	int maxn = s->max_nodes;

	if (s->within == SCHED_WITHIN_GROUP &&
	    maxn > b->nodes_per_pod / b->groups_per_pod)
		maxn = b->nodes_per_pod / b->groups_per_pod;
	if (s->within == SCHED_WITHIN_POD && maxn > b->nodes_per_pod)
		maxn = b->nodes_per_pod;
	if (maxn > b->nnodes / 2)
		maxn = b->nnodes / 2 > 0 ? b->nnodes / 2 : 1;
	r->nnodes =
	    (int)rnd_in(b, s->min_nodes < maxn ? s->min_nodes : 1, maxn);
	r->accels_per_node =
	    s->accels >= 0 ? s->accels : small[rnd_in(b, 0, 2)];
	if (r->accels_per_node > b->accels)
		r->accels_per_node = b->accels;
	r->exclusive = s->exclusive;
	r->within = s->within;
	r->time_limit_ms = rnd_limit_ms(b);
}

static void
build_fabric(struct bench_state *b)
{
	int i, p, k, gsize = b->nodes_per_pod / b->groups_per_pod;

	b->nnodes = b->pods * b->nodes_per_pod;
	b->ngroups = b->pods * b->groups_per_pod;
	b->nodes = calloc(b->nnodes, sizeof(*b->nodes));
	if (b->nodes == NULL)
		die("out of memory", "");
	for (i = 0; i < b->nnodes; i++) {
		p = i / b->nodes_per_pod;
		k = i % b->nodes_per_pod;
		b->nodes[i].pod = p;
		b->nodes[i].group =
		    p * b->groups_per_pod + (k / gsize < b->groups_per_pod
		                                    ? k / gsize
		                                    : b->groups_per_pod - 1);
		b->nodes[i].naccels = b->accels;
		b->nodes[i].usable =
		    (rnd(b) >> 11) * 0x1.0p-53 >= BENCH_DOWN_SHARE;
		b->ndown += !b->nodes[i].usable;
		b->nodes[i].free_mask =
		    b->accels >= 64 ? ~0ULL : (1ULL << b->accels) - 1;
	}
	b->total_accels = (long)b->nnodes * b->accels;
}

/*
 * One running job of a random shape, on the first fitting nodes from a
 * random place (whole free nodes for exclusive jobs, any node with room for
 * shared ones), which leaves the fragmentation a busy cluster has. Returns
 * 0, or -1 when it found no room.
 */
static int
add_running(struct bench_state *b, int64_t now_ms)
{
	struct sched_request r;
	struct sched_running *rj = &b->run[b->nrun];
	struct sched_slot *s = &b->slots[b->nslots];
	uint64_t full = b->accels >= 64 ? ~0ULL : (1ULL << b->accels) - 1;
	uint64_t fm, m;
	int i, nd, n = 0, a, start;

	rnd_request(b, &r);
	if (b->nslots + r.nnodes > b->nnodes * b->accels)
		return -1;
	start = (int)rnd_in(b, 0, b->nnodes - 1);
	for (i = 0; i < b->nnodes && n < r.nnodes; i++) {
		nd = (start + i) % b->nnodes;
		fm = b->nodes[nd].free_mask;
		if (!b->nodes[nd].usable ||
		    (r.exclusive
		            ? fm != full
		            : __builtin_popcountll(fm) < r.accels_per_node))
			continue;
		if (r.exclusive) {
			m = full;
		} else {
			for (m = 0, a = 0; a < r.accels_per_node; a++) {
				m |= fm & -fm;
				fm &= fm - 1;
			}
		}
		s[n].node = nd;
		s[n].mask = m;
		n++;
	}
	if (n < r.nnodes)
		return -1;
	for (i = 0; i < n; i++) {
		b->nodes[s[i].node].free_mask &= ~s[i].mask;
		b->busy_accels += __builtin_popcountll(s[i].mask);
	}
	rj->end_ms = now_ms + rnd_in(b, MIN_MS, r.time_limit_ms);
	rj->nslots = n;
	rj->slots = s;
	rj->exclusive = r.exclusive;
	b->nslots += n;
	b->nrun++;
	return 0;
}

static void
build_state(struct bench_state *b, int64_t now_ms)
{
	int i, misses = 0;

	b->run = calloc(b->nnodes * b->accels, sizeof(*b->run));
	b->slots = calloc(b->nnodes * b->accels, sizeof(*b->slots));
	b->pend = calloc(b->npending, sizeof(*b->pend));
	if (b->run == NULL || b->slots == NULL || b->pend == NULL)
		die("out of memory", "");
	while (b->busy_accels < b->busy * b->total_accels && misses < 1000)
		if (add_running(b, now_ms) == -1)
			misses++;
	for (i = 0; i < b->npending; i++) {
		b->pend[i].id = i + 1;
		b->pend[i].prio = rnd_in(b, 0, 1000);
		b->pend[i].submit_ms = now_ms - rnd_in(b, 0, 48 * HOUR_MS);
		rnd_request(b, &b->pend[i].req);
	}
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		die("out of memory", "");
	return p;
}

static int
ten_accels(const struct sched_running *rj)
{
	int i, n = 0;

	for (i = 0; i < rj->nslots; i++)
		n += __builtin_popcountll(rj->slots[i].mask);
	return n;
}

static int
ten_qos(struct bench_state *b)
{
	long x = (long)(trnd(b) % 100);
	int q;

	for (q = 0; q < BENCH_NQOS - 1; q++) {
		if (x < bench_qos[q].share_pct)
			return q;
		x -= bench_qos[q].share_pct;
	}
	return q;
}

/* A user, the busiest ones most often (the square of a uniform draw). */
static int
ten_user(struct bench_state *b)
{
	double u = (trnd(b) >> 11) * 0x1.0p-53;

	return (int)(u * u * BENCH_USERS);
}

/*
 * --tenancy: who runs and who waits, each user's past usage (up to a
 * week of a few nodes, decayed), the accounts' shares, and the
 * maintenance window's node set: every node but the last pod's.
 */
static void
ten_setup(struct bench_state *b, int64_t now_ms)
{
	size_t nq = (size_t)BENCH_NQOS;
	int i;

	b->trng = b->seed ^ 0x5eed7e4a4c7ULL;
	b->trun = xcalloc((size_t)b->nnodes * b->accels, sizeof(*b->trun));
	b->tpend = xcalloc(b->npending, sizeof(*b->tpend));
	b->done = xcalloc(BENCH_USERS, sizeof(double));
	b->acct_shares = xcalloc(BENCH_ACCOUNTS, sizeof(double));
	b->fs = xcalloc(1 + BENCH_ACCOUNTS + BENCH_USERS, sizeof(*b->fs));
	b->qu_jobs = xcalloc(nq * BENCH_USERS, sizeof(int64_t));
	b->qu_accels = xcalloc(nq * BENCH_USERS, sizeof(int64_t));
	b->qa_jobs = xcalloc(nq * BENCH_ACCOUNTS, sizeof(int64_t));
	b->qa_accels = xcalloc(nq * BENCH_ACCOUNTS, sizeof(int64_t));
	b->qu_slot = xcalloc(nq * BENCH_USERS, sizeof(int));
	b->qa_slot = xcalloc(nq * BENCH_ACCOUNTS, sizeof(int));
	b->quotas =
	    xcalloc(nq * (BENCH_USERS + BENCH_ACCOUNTS), sizeof(*b->quotas));
	b->maint_set = xcalloc(b->nnodes, 1);
	for (i = 0; i < b->nnodes; i++)
		b->maint_set[i] = b->nodes[i].pod != b->pods - 1;
	b->sets[0] = b->maint_set;
	b->maint_start_ms = now_ms + BENCH_MAINT_MS;
	b->done_ms = now_ms;
	for (i = 0; i < BENCH_USERS; i++)
		b->done[i] = fs_usage(8 * (int)(1 + trnd(b) % 32),
		                 now_ms - 7 * 24 * HOUR_MS, now_ms, now_ms,
		                 BENCH_HALF_LIFE_H) *
		             (double)(trnd(b) % 100) / 100.0;
	for (i = 0; i < BENCH_ACCOUNTS; i++)
		b->acct_shares[i] = (double)(1 + trnd(b) % 4);
	for (i = 0; i < b->nrun; i++) {
		b->trun[i].user = ten_user(b);
		b->trun[i].qos = ten_qos(b);
		b->trun[i].accels = ten_accels(&b->run[i]);
		b->trun[i].start_ms =
		    now_ms - (int64_t)(trnd(b) % (uint64_t)(2 * HOUR_MS));
	}
	for (i = 0; i < b->npending; i++) {
		b->tpend[i].user = ten_user(b);
		b->tpend[i].qos = ten_qos(b);
	}
}

static int
ten_quota(struct bench_state *b, int *nq, int64_t max_jobs, int64_t jobs,
    int64_t max_accels, int64_t accels, int per_user)
{
	b->quotas[*nq] =
	    sched_qos_quota(max_jobs, jobs, max_accels, accels, per_user);
	return (*nq)++;
}

/*
 * --tenancy: what the controller computes before each pass, as
 * controllerd/tenancy.c does: the fair-share tree from every user's
 * decayed usage and the running jobs', each pending job's priority
 * (prio_static()), node set and quotas, with the quotas' room less what
 * the running jobs hold.
 */
static void
ten_fill(struct bench_state *b, struct sched_input *in)
{
	const struct bench_qos *q;
	struct sched_pending *p;
	struct prio_job pj;
	size_t nu = (size_t)BENCH_NQOS * BENCH_USERS;
	size_t na = (size_t)BENCH_NQOS * BENCH_ACCOUNTS;
	int64_t now = in->now_ms;
	int i, u, a, nq = 0, total = b->nnodes * b->accels;
	size_t ku, ka;

	b->fs[0].parent = -1;
	b->fs[0].shares = 1;
	b->fs[0].usage = 0;
	for (a = 0; a < BENCH_ACCOUNTS; a++) {
		b->fs[1 + a].parent = 0;
		b->fs[1 + a].shares = b->acct_shares[a];
		b->fs[1 + a].usage = 0;
	}
	for (u = 0; u < BENCH_USERS; u++) {
		b->fs[1 + BENCH_ACCOUNTS + u].parent = 1 + u % BENCH_ACCOUNTS;
		b->fs[1 + BENCH_ACCOUNTS + u].shares = 1;
		b->fs[1 + BENCH_ACCOUNTS + u].usage =
		    fs_decay(b->done[u], now - b->done_ms, BENCH_HALF_LIFE_H);
	}
	memset(b->qu_jobs, 0, nu * sizeof(int64_t));
	memset(b->qu_accels, 0, nu * sizeof(int64_t));
	memset(b->qa_jobs, 0, na * sizeof(int64_t));
	memset(b->qa_accels, 0, na * sizeof(int64_t));
	for (i = 0; i < b->nrun; i++) {
		u = b->trun[i].user;
		b->fs[1 + BENCH_ACCOUNTS + u].usage +=
		    fs_usage(b->trun[i].accels, b->trun[i].start_ms, now, now,
		        BENCH_HALF_LIFE_H);
		ku = (size_t)b->trun[i].qos * BENCH_USERS + u;
		ka = (size_t)b->trun[i].qos * BENCH_ACCOUNTS +
		     u % BENCH_ACCOUNTS;
		b->qu_jobs[ku]++;
		b->qu_accels[ku] += b->trun[i].accels;
		b->qa_jobs[ka]++;
		b->qa_accels[ka] += b->trun[i].accels;
	}
	if (fs_compute(b->fs, 1 + BENCH_ACCOUNTS + BENCH_USERS) == -1)
		die("fs_compute failed", "");
	memset(b->qu_slot, 0xff, nu * sizeof(int));
	memset(b->qa_slot, 0xff, na * sizeof(int));
	for (i = 0; i < in->npending; i++) {
		p = &b->pend[i];
		u = b->tpend[i].user;
		q = &bench_qos[b->tpend[i].qos];
		memset(&pj, 0, sizeof(pj));
		pj.submit_ms = p->submit_ms;
		pj.accels = p->req.nnodes * (p->req.accels_per_node > 0
		                                    ? p->req.accels_per_node
		                                    : b->accels);
		pj.fairshare = b->fs[1 + BENCH_ACCOUNTS + u].factor;
		pj.qos = (double)q->prio / (double)bench_qos[0].prio;
		p->prio = prio_static(&bench_weights, total, &pj);
		p->set = now + p->req.time_limit_ms > b->maint_start_ms;
		p->nquotas = 0;
		ku = (size_t)b->tpend[i].qos * BENCH_USERS + u;
		ka = (size_t)b->tpend[i].qos * BENCH_ACCOUNTS +
		     u % BENCH_ACCOUNTS;
		if (q->user_jobs > 0 || q->user_accels > 0) {
			if (b->qu_slot[ku] < 0)
				b->qu_slot[ku] = ten_quota(b, &nq, q->user_jobs,
				    b->qu_jobs[ku], q->user_accels,
				    b->qu_accels[ku], 1);
			p->quota[p->nquotas++] = b->qu_slot[ku];
		}
		if (q->acct_jobs > 0 || q->acct_accels > 0) {
			if (b->qa_slot[ka] < 0)
				b->qa_slot[ka] = ten_quota(b, &nq, q->acct_jobs,
				    b->qa_jobs[ka], q->acct_accels,
				    b->qa_accels[ka], 0);
			p->quota[p->nquotas++] = b->qa_slot[ka];
		}
	}
	in->quotas = b->quotas;
	in->nquotas = nq;
	in->sets = b->sets;
	in->nsets = 1;
	in->age_weight_per_h = bench_weights.age_per_h;
	in->age_cap_h = bench_weights.age_cap_h;
}

static int
dbl_cmp(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;

	return (a > b) - (a < b);
}

/* Nearest-rank percentile of n sorted samples. */
static double
percentile(const double *v, int n, double pct)
{
	int k = (int)ceil(pct / 100.0 * n);

	return v[k < 1 ? 0 : k - 1];
}

static void
parse_args(struct bench_state *b, int argc, char **argv)
{
	enum {
		O_PODS = 256,
		O_NPP,
		O_APN,
		O_GPP,
		O_PEND,
		O_BUSY,
		O_PASSES,
		O_SEED,
		O_POLICY,
		O_MIX,
		O_CHECK,
		O_POWER,
		O_TENANCY,
		O_WARMUP,
		O_SIBLING
	};
	static const struct option opts[] = {
	    {"pods", required_argument, NULL, O_PODS},
	    {"nodes-per-pod", required_argument, NULL, O_NPP},
	    {"accels-per-node", required_argument, NULL, O_APN},
	    {"groups-per-pod", required_argument, NULL, O_GPP},
	    {"pending", required_argument, NULL, O_PEND},
	    {"busy", required_argument, NULL, O_BUSY},
	    {"passes", required_argument, NULL, O_PASSES},
	    {"seed", required_argument, NULL, O_SEED},
	    {"policy", required_argument, NULL, O_POLICY},
	    {"mix", required_argument, NULL, O_MIX},
	    {"check", no_argument, NULL, O_CHECK},
	    {"power", required_argument, NULL, O_POWER},
	    {"tenancy", no_argument, NULL, O_TENANCY},
	    {"warmup", required_argument, NULL, O_WARMUP},
	    {"sibling", no_argument, NULL, O_SIBLING},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;
	size_t i;

	b->pods = 100;
	b->nodes_per_pod = 128;
	b->accels = 8;
	b->groups_per_pod = 8;
	b->npending = 10000;
	b->busy = 0.8;
	b->passes = 50;
	b->warmup = 1;
	b->seed = 1;
	b->policy = SCHED_EASY;
	b->mix = &mixes[0];
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_PODS:
			b->pods = arg_long(optarg, 1, 1000);
			break;
		case O_NPP:
			b->nodes_per_pod = arg_long(optarg, 1, 10000);
			break;
		case O_APN:
			b->accels = arg_long(optarg, 1, SCHED_MAX_ACCELS);
			break;
		case O_GPP:
			b->groups_per_pod = arg_long(optarg, 1, 10000);
			break;
		case O_PEND:
			b->npending = arg_long(optarg, 0, BENCH_MAX_JOBS);
			break;
		case O_BUSY:
			b->busy = strtod(optarg, &end);
			if (*end != '\0' || !(b->busy >= 0 && b->busy <= 1))
				die("--busy: not a share in 0..1:", optarg);
			break;
		case O_PASSES:
			b->passes = arg_long(optarg, 1, BENCH_MAX_PASSES);
			break;
		case O_SEED:
			b->seed = (uint64_t)arg_long(optarg, 0, 1L << 62);
			break;
		case O_POLICY:
			for (i = 0;
			     i < sizeof(policy_names) / sizeof(policy_names[0]);
			     i++)
				if (strcmp(optarg, policy_names[i]) == 0)
					break;
			if (i == sizeof(policy_names) / sizeof(policy_names[0]))
				die("--policy: unknown", optarg);
			b->policy = (enum sched_policy)i;
			break;
		case O_MIX:
			for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
				if (strcmp(optarg, mixes[i].name) == 0)
					break;
			if (i == sizeof(mixes) / sizeof(mixes[0]))
				die("--mix: unknown", optarg);
			b->mix = &mixes[i];
			break;
		case O_CHECK:
			b->check = 1;
			break;
		case O_TENANCY:
			b->tenancy = 1;
			break;
		case O_WARMUP:
			b->warmup = arg_long(optarg, 0, BENCH_MAX_PASSES);
			break;
		case O_SIBLING:
			b->sibling = 1;
			break;
		case O_POWER:
			b->power = strtod(optarg, &end);
			if (*end != '\0' || !(b->power > 0 && b->power <= 1))
				die("--power: not a share in (0, 1]:", optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if ((long)b->pods * b->nodes_per_pod > BENCH_MAX_NODES)
		die("too many nodes:", "--pods x --nodes-per-pod");
	if (b->groups_per_pod > b->nodes_per_pod)
		die("more groups than nodes in a pod:", "--groups-per-pod");
}

/*
 * --sibling: a child that streams over BENCH_SIBLING_MIB, reading and
 * writing, until it is killed: another process's work on the other core
 * (or on this one), and the last-level cache it keeps evicting, as the
 * controller's ingest does beside its scheduler. Returns its pid.
 */
static pid_t
start_sibling(void)
{
	size_t n = (size_t)BENCH_SIBLING_MIB << 20, i;
	unsigned char *buf;
	pid_t pid = fork();

	if (pid == -1)
		die("fork failed", strerror(errno));
	if (pid > 0)
		return pid;
	if ((buf = calloc(n, 1)) == NULL)
		_exit(1);
	for (;;)
		for (i = 0; i < n; i += 64)
			buf[i] = (unsigned char)(buf[i] * 31 + i);
}

static double
elapsed_ms(const struct timespec *a, const struct timespec *z)
{
	return (z->tv_sec - a->tv_sec) * 1e3 + (z->tv_nsec - a->tv_nsec) / 1e6;
}

/* What the last timed pass decided: a count per reason, and how many of
 * the started jobs were backfilled (below the job holding a reservation). */
struct decisions {
	int reasons[SCHED_R_NREASONS];
	int backfilled;
	uint64_t digest; /* FNV-1a of every decision: reason, start, slots */
};

static uint64_t
fnv(uint64_t h, int64_t x)
{
	int i;

	for (i = 0; i < 8; i++) {
		h ^= (uint64_t)(x >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
count_decisions(const struct sched_input *in, const struct sched_result *res,
    struct decisions *dc)
{
	double top = 0;
	int k, j, have = 0;

	memset(dc, 0, sizeof(*dc));
	dc->digest = 0xcbf29ce484222325ULL;
	for (k = 0; k < res->npending; k++) {
		dc->reasons[res->d[k].reason]++;
		dc->digest = fnv(dc->digest, res->d[k].reason);
		dc->digest = fnv(dc->digest, res->d[k].start_ms);
		dc->digest = fnv(dc->digest, res->d[k].nslots);
		for (j = 0; j < res->d[k].nslots; j++) {
			dc->digest = fnv(dc->digest, res->d[k].slots[j].node);
			dc->digest =
			    fnv(dc->digest, (int64_t)res->d[k].slots[j].mask);
		}
		if (res->d[k].reason == SCHED_R_RESOURCES &&
		    res->d[k].start_ms != 0 &&
		    (!have || sched_priority(in, &in->pending[k]) > top)) {
			top = sched_priority(in, &in->pending[k]);
			have = 1;
		}
	}
	for (k = 0; have && k < res->npending; k++)
		if (res->d[k].reason == SCHED_R_NONE &&
		    sched_priority(in, &in->pending[k]) < top)
			dc->backfilled++;
}

/* The calling thread's CPU time, ms: what the pass itself used, whoever
 * else had the core meanwhile. */
static double
cpu_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long
nivcsw_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) == -1)
		return 0;
	return ru.ru_nivcsw;
}

/*
 * Runs b->warmup untimed passes (the first one's wall time into
 * b->first_ms[st]: a process's first pass pays for cold caches and fresh
 * pages), then the timed passes on the current state: wall times into
 * pass_ms and the thread's CPU times into cpu_ms (both sorted), the
 * decisions of the last one into dc. With --tenancy, the inputs are built
 * before each pass, that time into fill_ms and the sum into sum_ms; and
 * in turn with each, the same pass without node sets and quotas into
 * plain_ms, so that both see the machine alike.
 */
static void
time_passes(struct bench_state *b, struct sched_input *in, int st,
    double *pass_ms, double *cpu_ms, double *fill_ms, double *sum_ms,
    double *plain_ms, struct decisions *dc)
{
	struct sched_result res;
	struct sched_input plain;
	struct timespec t0, t1, t2;
	double c0;
	long sw;
	int i;

	b->first_ms[st] = 0;
	for (i = 0; i < b->warmup; i++) {
		if (b->tenancy)
			ten_fill(b, in);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sched_pass(in, &res) == -1)
			die("sched_pass failed", "");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		sched_result_free(&res);
		if (i == 0)
			b->first_ms[st] = elapsed_ms(&t0, &t1);
	}
	sw = nivcsw_now();
	for (i = 0; i < b->passes; i++) {
		if (b->tenancy) {
			ten_fill(b, in);
			plain = *in;
			plain.sets = NULL;
			plain.nsets = 0;
			plain.quotas = NULL;
			plain.nquotas = 0;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (sched_pass(&plain, &res) == -1)
				die("sched_pass failed", "");
			clock_gettime(CLOCK_MONOTONIC, &t1);
			sched_result_free(&res);
			plain_ms[i] = elapsed_ms(&t0, &t1);
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (b->tenancy)
			ten_fill(b, in);
		c0 = cpu_now_ms();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (sched_pass(in, &res) == -1)
			die("sched_pass failed", "");
		clock_gettime(CLOCK_MONOTONIC, &t2);
		cpu_ms[i] = cpu_now_ms() - c0;
		if (i == b->passes - 1)
			count_decisions(in, &res, dc);
		sched_result_free(&res);
		pass_ms[i] = elapsed_ms(&t1, &t2);
		fill_ms[i] = elapsed_ms(&t0, &t1);
		sum_ms[i] = elapsed_ms(&t0, &t2);
	}
	b->nivcsw += nivcsw_now() - sw;
	qsort(pass_ms, b->passes, sizeof(double), dbl_cmp);
	qsort(cpu_ms, b->passes, sizeof(double), dbl_cmp);
	qsort(fill_ms, b->passes, sizeof(double), dbl_cmp);
	qsort(sum_ms, b->passes, sizeof(double), dbl_cmp);
	qsort(plain_ms, b->passes, sizeof(double), dbl_cmp);
}

/*
 * Dies unless a start is one the state allowed: as many distinct usable
 * nodes as asked, only accelerators free before it, whole nodes for an
 * exclusive job and accels_per_node of each for a shared one, only nodes
 * of its node set. Timings of
 * a pass that breaks these mean nothing, and ctest runs the benchmark for
 * this check.
 */
static void
check_start(const struct bench_state *b, const struct sched_pending *p,
    const struct sched_decision *d)
{
	uint64_t full = b->accels >= 64 ? ~0ULL : (1ULL << b->accels) - 1;
	uint64_t m;
	char id[32];
	int j, k, nd;

	snprintf(id, sizeof(id), "%lld", (long long)p->id);
	if (d->nslots != p->req.nnodes)
		die("a start with the wrong node count, job", id);
	for (j = 0; j < d->nslots; j++) {
		nd = d->slots[j].node;
		m = d->slots[j].mask;
		if (nd < 0 || nd >= b->nnodes || !b->nodes[nd].usable)
			die("a start on a node not usable, job", id);
		for (k = 0; k < j; k++)
			if (d->slots[k].node == nd)
				die("a start on one node twice, job", id);
		if (m == 0 || (b->nodes[nd].free_mask & m) != m)
			die("a start on accelerators not free, job", id);
		if (p->req.exclusive
		        ? m != full
		        : __builtin_popcountll(m) != p->req.accels_per_node)
			die("a start with the wrong accelerators, job", id);
		if (p->set > 0 && !b->sets[p->set - 1][nd])
			die("a start outside the job's node set, job", id);
	}
}

/* --tenancy: spends a start in the room of its quotas (left: a copy of
 * every quota's room); dies when one goes below zero. */
static void
check_quotas(const struct sched_pending *p, struct sched_quota *left)
{
	int64_t a = (int64_t)p->req.nnodes * p->req.accels_per_node;
	char id[32];
	int k;

	snprintf(id, sizeof(id), "%lld", (long long)p->id);
	for (k = 0; k < p->nquotas; k++) {
		if (left[p->quota[k]].jobs != INT64_MAX &&
		    --left[p->quota[k]].jobs < 0)
			die("a start over its quota of jobs, job", id);
		if (left[p->quota[k]].accels != INT64_MAX &&
		    (left[p->quota[k]].accels -= a) < 0)
			die("a start over its quota of accelerators, job", id);
	}
}

/* The state the next pass sees: what this one started runs, until its
 * time limit, and leaves the queue. Dies when the pass started something
 * the state did not allow. */
static void
apply_pass(struct bench_state *b, struct sched_input *in)
{
	struct sched_result res;
	struct sched_running *rj;
	struct sched_quota *left = NULL;
	int i, j, n = 0;

	if (b->tenancy) {
		left = xcalloc(in->nquotas, sizeof(*left));
		memcpy(left, in->quotas, in->nquotas * sizeof(*left));
	}
	if (sched_pass(in, &res) == -1)
		die("sched_pass failed", "");
	for (i = 0; i < res.npending; i++) {
		if (res.d[i].reason != SCHED_R_NONE) {
			if (b->tenancy)
				b->tpend[n] = b->tpend[i];
			b->pend[n++] = b->pend[i];
			continue;
		}
		check_start(b, &b->pend[i], &res.d[i]);
		if (b->tenancy) {
			check_quotas(&b->pend[i], left);
			b->trun[b->nrun] = b->tpend[i];
			b->trun[b->nrun].start_ms = in->now_ms;
		}
		rj = &b->run[b->nrun++];
		rj->end_ms = in->now_ms + b->pend[i].req.time_limit_ms;
		rj->nslots = res.d[i].nslots;
		rj->slots = &b->slots[b->nslots];
		rj->exclusive = b->pend[i].req.exclusive;
		for (j = 0; j < res.d[i].nslots; j++) {
			b->slots[b->nslots++] = res.d[i].slots[j];
			b->nodes[res.d[i].slots[j].node].free_mask &=
			    ~res.d[i].slots[j].mask;
			b->busy_accels +=
			    __builtin_popcountll(res.d[i].slots[j].mask);
		}
	}
	sched_result_free(&res);
	free(left);
	for (i = 0; b->tenancy && i < b->nrun; i++)
		b->trun[i].accels = ten_accels(&b->run[i]);
	in->nrunning = b->nrun;
	in->npending = n;
}

/* Moves the state later_ms on: the jobs whose time limits ran out by then
 * end and free their accelerators. */
static void
advance(struct bench_state *b, struct sched_input *in, int64_t later_ms)
{
	struct sched_running *rj;
	int i, j, n = 0;

	in->now_ms += later_ms;
	for (i = 0; b->tenancy && i < BENCH_USERS; i++)
		b->done[i] = fs_decay(
		    b->done[i], in->now_ms - b->done_ms, BENCH_HALF_LIFE_H);
	b->done_ms = in->now_ms;
	for (i = 0; i < b->nrun; i++) {
		rj = &b->run[i];
		if (rj->end_ms > in->now_ms) {
			if (b->tenancy)
				b->trun[n] = b->trun[i];
			b->run[n++] = *rj;
			continue;
		}
		/* its usage joins its user's, at the new now */
		if (b->tenancy)
			b->done[b->trun[i].user] +=
			    fs_usage(b->trun[i].accels, b->trun[i].start_ms,
			        rj->end_ms, in->now_ms, BENCH_HALF_LIFE_H);
		for (j = 0; j < rj->nslots; j++) {
			b->nodes[rj->slots[j].node].free_mask |=
			    rj->slots[j].mask;
			b->busy_accels -=
			    __builtin_popcountll(rj->slots[j].mask);
		}
	}
	b->nrun = n;
	in->nrunning = n;
}

/* The baseline: one plain look at every node, counting free accelerators. */
static long
time_scans(const struct bench_state *b, double *scan_ms)
{
	struct timespec t0, t1;
	volatile long sink = 0; /* keeps the scan from being optimized out */
	long nfree;
	int i, nd;

	for (i = 0; i < b->passes; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		nfree = 0;
		for (nd = 0; nd < b->nnodes; nd++)
			if (b->nodes[nd].usable)
				nfree += __builtin_popcountll(
				    b->nodes[nd].free_mask);
		sink = nfree;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		scan_ms[i] = elapsed_ms(&t0, &t1);
	}
	qsort(scan_ms, b->passes, sizeof(double), dbl_cmp);
	return sink;
}

static void
print_decisions(const char *what, const struct decisions *dc)
{
	int k;

	printf("%s:", what);
	for (k = 0; k < SCHED_R_NREASONS; k++)
		printf("%s %s %d", k ? "," : "",
		    k == SCHED_R_NONE ? "started" : sched_reason_name(k),
		    dc->reasons[k]);
	printf(" (%d of the started backfilled below the reserved job; "
	       "digest of every decision %016llx).\n",
	    dc->backfilled, (unsigned long long)dc->digest);
}

/*
 * --power: every accelerator rated 700 W and idle at 140 W, jobs drawing
 * their rating, and each pod's power and heat room the given share of what
 * its accelerators could add above idle, so that admission holds jobs back.
 * *room (both rooms: admission only reads them) is the caller's to free.
 */
static const struct sched_power *
bench_power(struct bench_state *b, struct sched_power *pw, double **room)
{
	int i;

	if ((*room = malloc(b->pods * sizeof(double))) == NULL)
		die("out of memory", "");
	for (i = 0; i < b->pods; i++)
		(*room)[i] =
		    b->power * b->nodes_per_pod * b->accels * (700 - 140);
	for (i = 0; i < b->nnodes; i++) {
		b->nodes[i].tdp_w = 700;
		b->nodes[i].idle_w = 140;
	}
	pw->pod_power_w = *room;
	pw->pod_heat_w = *room;
	pw->fabric_heat_w = INFINITY;
	return pw;
}

/* One row of the table: a sorted sample's median and p99, and the median
 * over the scan's. */
static void
row(const struct bench_state *b, const char *what, const double *v,
    const double *cpu, double med_scan)
{
	double med = percentile(v, b->passes, 50);
	char c[48] = "";

	if (cpu != NULL)
		snprintf(c, sizeof(c), "%.3f / %.3f",
		    percentile(cpu, b->passes, 50),
		    percentile(cpu, b->passes, 99));
	printf("| %s | %.3f | %.3f | %.3f–%.3f | %s | %.0f |\n", what, med,
	    percentile(v, b->passes, 99), v[0], v[b->passes - 1], c,
	    med_scan > 0 ? med / med_scan : 0);
}

/* The rows of one state ("fresh" or "later"). */
static void
rows(const struct bench_state *b, const char *state, double *const *ms,
    double med_scan)
{
	char what[160];

	snprintf(what, sizeof(what), "`sched_pass()`, %s, %s",
	    policy_names[b->policy], state);
	row(b, what, ms[0], ms[4], med_scan);
	if (!b->tenancy)
		return;
	snprintf(what, sizeof(what),
	    "`sched_pass()` without the node set and quotas, %s", state);
	row(b, what, ms[3], NULL, med_scan);
	snprintf(what, sizeof(what),
	    "`sched_pass()` with them, over without, %s", state);
	printf("| %s | | | | | %.2f |\n", what,
	    percentile(ms[0], b->passes, 50) /
	        percentile(ms[3], b->passes, 50));
	snprintf(what, sizeof(what),
	    "priority, fair share, quotas and node set of every pending job, "
	    "%s",
	    state);
	row(b, what, ms[1], NULL, med_scan);
	snprintf(what, sizeof(what),
	    "**the two, one pass of a shared site, %s**", state);
	row(b, what, ms[2], NULL, med_scan);
}

int
main(int argc, char **argv)
{
	struct bench_state b;
	struct sched_input in;
	double *ms[10], *scan_ms, med_scan, load1 = -1;
	pid_t sib = -1;
	FILE *la;
	struct decisions fresh_d, later_d;
	struct sched_power pw;
	double *room = NULL;
	int64_t now_ms = 1000 * HOUR_MS;
	long nfree;
	double busy_pct;
	int nrun, nstarted, i;

	memset(&b, 0, sizeof(b));
	parse_args(&b, argc, argv);
	b.rng = b.seed;
	build_fabric(&b);
	build_state(&b, now_ms);
	if (b.tenancy)
		ten_setup(&b, now_ms);
	for (i = 0; i < 10; i++)
		ms[i] = xcalloc(b.passes, sizeof(double));
	scan_ms = xcalloc(b.passes, sizeof(double));

	memset(&in, 0, sizeof(in));
	in.now_ms = now_ms;
	in.policy = b.policy;
	in.age_weight_per_h = 10;
	in.age_cap_h = 72;
	in.nodes = b.nodes;
	in.nnodes = b.nnodes;
	in.npods = b.pods;
	in.ngroups = b.ngroups;
	in.running = b.run;
	in.nrunning = b.nrun;
	in.pending = b.pend;
	in.npending = b.npending;
	if (b.power > 0)
		in.power = bench_power(&b, &pw, &room);

	nfree = time_scans(&b, scan_ms);
	busy_pct = 100.0 * b.busy_accels / b.total_accels;
	nrun = b.nrun;
	if ((la = fopen("/proc/loadavg", "r")) != NULL) {
		if (fscanf(la, "%lf", &load1) != 1)
			load1 = -1;
		fclose(la);
	}
	if (b.sibling)
		sib = start_sibling();
	time_passes(&b, &in, 0, ms[0], ms[4], ms[1], ms[2], ms[3], &fresh_d);
	apply_pass(&b, &in);
	nstarted = b.nrun - nrun;
	/* every start was checked in apply_pass(); none is no check */
	if (b.check && nstarted == 0)
		die("--check: the first pass started", "nothing");
	advance(&b, &in, BENCH_LATER_MS);
	time_passes(&b, &in, 1, ms[5], ms[9], ms[6], ms[7], ms[8], &later_d);
	if (sib > 0) {
		kill(sib, SIGKILL);
		waitpid(sib, NULL, 0);
	}
	med_scan = percentile(scan_ms, b.passes, 50);

	printf("Parameters: %d pods x %d nodes x %d accelerators (%d nodes, "
	       "%d groups of %d), %d nodes down, %d pending jobs, running "
	       "set %d jobs on %.1f %% of the accelerators (%ld free on "
	       "usable nodes), policy %s, %d passes each, seed %llu. "
	       "\"Later\" is the state %d minutes on: the first pass's %d "
	       "starts running, the jobs whose limits ran out gone (%d "
	       "running, %.1f %% busy).\n\n",
	    b.pods, b.nodes_per_pod, b.accels, b.nnodes, b.ngroups,
	    b.nodes_per_pod / b.groups_per_pod, b.ndown, b.npending, nrun,
	    busy_pct, nfree, policy_names[b.policy], b.passes,
	    (unsigned long long)b.seed, (int)(BENCH_LATER_MS / MIN_MS),
	    nstarted, b.nrun, 100.0 * b.busy_accels / b.total_accels);
	if (b.tenancy)
		printf("Tenancy: %d users in %d accounts (shares 1 to 4), %d "
		       "QOS (per-user and per-account limits on two), "
		       "weights fair share %g, job size %g (small first), QOS "
		       "%g, age %g an hour; a maintenance window on pod %d "
		       "from %d hours on, so that the jobs that would run "
		       "into it get a node set without that pod.\n\n",
		    BENCH_USERS, BENCH_ACCOUNTS, BENCH_NQOS,
		    bench_weights.fairshare, bench_weights.jobsize,
		    bench_weights.qos, bench_weights.age_per_h, b.pods,
		    (int)(BENCH_MAINT_MS / HOUR_MS));
	if (b.sibling)
		printf("Beside the passes: a busy sibling, a second process "
		       "that streams over %d MiB for as long as they run "
		       "(the other core's work, and the cache it evicts).\n\n",
		    BENCH_SIBLING_MIB);
	printf("| measurement | median (ms) | p99 (ms) | min–max (ms) | CPU "
	       "median / p99 (ms) | median / scan |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	rows(&b, "fresh", ms, med_scan);
	rows(&b, "later", ms + 5, med_scan);
	printf("| baseline: one scan of all %d nodes | %.4f | %.4f | "
	       "%.4f–%.4f | | 1 |\n\n",
	    b.nnodes, med_scan, percentile(scan_ms, b.passes, 99), scan_ms[0],
	    scan_ms[b.passes - 1]);
	printf("Wall time per pass; CPU is the thread's own time in the pass "
	       "(what it cost whoever else held the core). Not in the sample: "
	       "%d untimed pass%s before each state's, the first of which, "
	       "cold (fresh pages, caches), took %.3f ms fresh and %.3f ms "
	       "later. The timed passes were preempted %ld times "
	       "(involuntary context switches); load average %.2f at the "
	       "start.\n\n",
	    b.warmup, b.warmup == 1 ? "" : "es", b.first_ms[0], b.first_ms[1],
	    b.nivcsw, load1);
	print_decisions("Decisions of a fresh pass", &fresh_d);
	printf("\n");
	print_decisions("Decisions of a later pass", &later_d);
	for (i = 0; i < 10; i++)
		free(ms[i]);
	free(scan_ms);
	free(room);
	free(b.nodes);
	free(b.run);
	free(b.slots);
	free(b.pend);
	free(b.trun);
	free(b.tpend);
	free(b.done);
	free(b.acct_shares);
	free(b.fs);
	free(b.qu_jobs);
	free(b.qu_accels);
	free(b.qa_jobs);
	free(b.qa_accels);
	free(b.qu_slot);
	free(b.qa_slot);
	free(b.quotas);
	free(b.maint_set);
	return 0;
}
