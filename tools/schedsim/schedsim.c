/*
 * pod-schedsim: replays a job trace in the Standard Workload Format through
 * the controller's own scheduler (core/sched.c) in virtual time, and
 * prints what an operator compares policies by: makespan, utilisation,
 * waits and bounded slowdown.
 *
 * It is a discrete-event simulation with two kinds of events, a job's
 * submission and a job's end. At each event time it applies all ends, then
 * all submissions, then runs one sched_pass() with that time as "now" and
 * starts what the pass started. The scheduler sees what a real one sees:
 * time limits, not run times; a job runs for its trace run time, cut at its
 * limit as a real system would kill it. Running jobs' ends wait in a binary
 * heap, so a long trace costs O(events x pass), not O(events x jobs).
 *
 * With a pod power budget or cooling capacity, the pass admits as the
 * controller's does: every pod draws an idle share for each accelerator
 * and each running job adds its draw (the trace's optional 19th field, W
 * per processor, else the rated draw) over that, and a job whose draw does
 * not fit waits with PowerBudget or CoolingCapacity.
 *
 * With --config, the queue is ordered as the controller orders it: the
 * trace's users and groups become users and accounts (a fair-share tree
 * under one root), its queue and partition numbers become QOS and
 * partitions, and every pass gives each pending job its multifactor
 * priority (core/prio.c, with fair-share usage decayed in virtual time),
 * its partition's node set and its QOS's quotas, as controllerd/tenancy.c
 * does. What can never run under a QOS's or partition's limits is refused
 * at submission, as the controller refuses it.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prio.h"
#include "sched.h"
#include "simconf.h"
#include "swf.h"

#define SIM_MAX_PODS          1000
#define SIM_MAX_NODES_PER_POD 10000
#define SIM_MAX_NODES         200000   /* nodes in one simulated fabric */
#define SIM_MAX_JOBS          10000000 /* trace jobs held in memory */
#define SIM_BSLD_MIN_S        10.0     /* bounded slowdown threshold */
#define SIM_MAX_MAP           256      /* entries of --qos-map and kin */
#define SIM_QUOTAS_PER_JOB    2        /* a QOS's per user, per account */

enum sim_map { MAP_ACCELS, MAP_NODES, MAP_N };
enum sim_output { OUT_TEXT, OUT_JSON, OUT_N };
#define WITHIN_AUTO 3 /* after the three enum sched_within values */

/* Option values, indexed by their enum; looked up by lookup(). */
static const char *const policy_names[] = {
    [SCHED_FCFS] = "fcfs",
    [SCHED_EASY] = "easy",
    [SCHED_CONSERVATIVE] = "conservative",
};
static const char *const map_names[MAP_N] = {
    [MAP_ACCELS] = "accels",
    [MAP_NODES] = "nodes",
};
static const char *const within_names[] = {
    [SCHED_WITHIN_GROUP] = "group",
    [SCHED_WITHIN_POD] = "pod",
    [SCHED_WITHIN_FABRIC] = "fabric",
    [WITHIN_AUTO] = "auto",
};
static const char *const output_names[OUT_N] = {
    [OUT_TEXT] = "text",
    [OUT_JSON] = "json",
};

struct sim_job {
	int64_t id; /* the trace's job number */
	int64_t submit_ms;
	int64_t run_ms;   /* as simulated: cut at the limit */
	int64_t limit_ms; /* what the scheduler is told */
	struct sched_request req;
	int64_t start_ms; /* -1 until started */
	struct sched_slot *slots;
	int nslots;
	int runpos;     /* index in the running list while running */
	long seq;       /* position in the trace: ties in submit time */
	double accel_w; /* predicted draw per accelerator, W */
	int power_held; /* waited at least once on power or cooling */
	int limit_held; /* waited at least once on a QOS limit */
	long swf_user, swf_group, swf_queue, swf_part; /* as in the trace */
	int user, account, assoc; /* indices into the state's tables */
	int qos, part;            /* indices into the config's */
	int accels;      /* asked: nodes x accelerators (as quotas count) */
	int refuse;      /* refused at submit by a QOS or partition limit */
	int accels_used; /* allocated, for fair-share usage */
};

/* One entry of --qos-map, --partition-map or --shares. */
struct sim_map_entry {
	char key[SIMCONF_NAME_MAX]; /* "3" (a trace number) or "g3" */
	char val[SIMCONF_NAME_MAX];
};

/* Per user or account: what its jobs got. */
struct sim_stat {
	long jobs;
	double wait_s, bsld, max_wait_s, accel_s;
};

/* A (user, account) pair: a leaf of the fair-share tree. */
struct sim_assoc {
	int user, account;
	double done; /* decayed usage of its ended jobs at done_ms */
	int64_t done_ms;
	double factor; /* its fair-share factor, this pass */
};

struct schedsim_state {
	const char *trace;
	int pods, nodes_per_pod, accels, groups_per_pod;
	enum sched_policy policy;
	enum sim_map map;
	int within; /* enum sched_within, or WITHIN_AUTO */
	enum sim_output output;
	long max_jobs;              /* job lines read, 0: all */
	double budget_w, cooling_w; /* per pod, W; 0: no limit */
	double tdp_w, idle_w;       /* per accelerator, W */

	struct sched_node *nodes;
	int nnodes, ngroups;
	struct sim_job *jobs;
	long njobs, jobcap;
	long skipped, refused;
	int *pending; /* job indices waiting, in submission order */
	int npending;
	int *running; /* job indices running */
	int nrunning;
	int *heap; /* running job indices, earliest end on top */
	int nheap;
	struct sched_running *rin; /* pass input, rebuilt per pass */
	struct sched_pending *pin;
	double *pod_draw_w; /* per pod: idle draw plus running jobs', W */
	double *power_room, *heat_room; /* admission input, per pod */

	/* results */
	long done;
	int64_t first_submit_ms, last_end_ms;
	double accel_s, wait_sum_s, wait_max_s, bsld_sum;
	double peak_pod_w;
	long power_held;

	/* --config and what it brings */
	const char *config_path;
	int policy_set; /* --policy given: it wins over the config's */
	int by_user, by_account;
	struct simconf conf;
	struct sim_map_entry qos_map[SIM_MAX_MAP], part_map[SIM_MAX_MAP],
	    shares[SIM_MAX_MAP];
	int nqos_map, npart_map, nshares;
	long *user_ids, *account_ids; /* the trace's, sorted */
	int nusers, naccounts;
	struct sim_assoc *assocs;
	int nassocs;
	struct fs_node *fs; /* root, accounts, assocs */
	double *acct_shares;
	double max_qos_prio;
	unsigned char **sets; /* per partition not spanning the fabric */
	int nsets;
	int *part_set;     /* per partition: its set (1-based), 0 all */
	int *part_members; /* per partition: nodes in it */
	int64_t *qu_jobs, *qu_accels; /* running, per QOS x user */
	int64_t *qa_jobs, *qa_accels; /* running, per QOS x account */
	int *qu_slot, *qa_slot;       /* quota index this pass, or -1 */
	struct sched_quota *quotas;
	long limit_held, large_jobs;
	double large_wait_sum_s, large_wait_max_s;
	struct sim_stat *ustat, *astat;
};

/* Prints the usage, as the man page's synopsis, and exits: on stdout
 * with 0 when asked for (--help), on stderr with 1 after a bad option. */
static _Noreturn void
usage(int status)
{
	fprintf(status == 0 ? stdout : stderr,
	    "usage: pod-schedsim --trace file.swf [--pods n] "
	    "[--nodes-per-pod m]\n"
	    "\t[--accels-per-node k] [--groups-per-pod g] "
	    "[--policy fcfs|easy|conservative]\n"
	    "\t[--jobs n] [--map accels|nodes] "
	    "[--within auto|group|pod|fabric] [-o text|json]\n"
	    "\t[--pod-budget-w w] [--pod-cooling-w w] [--accel-tdp-w w] "
	    "[--accel-idle-w w]\n"
	    "\t[--config file] [--qos-map n=qos,...] "
	    "[--partition-map n=partition,...]\n"
	    "\t[--shares account=shares,...] [--by-user] [--by-account]\n"
	    "       pod-schedsim --help | --version\n");
	exit(status);
}

static _Noreturn void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static _Noreturn void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pod-schedsim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static long
arg_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || v < min || v > max)
		die("%s: '%s' is not an integer in %ld..%ld", opt, s, min, max);
	return v;
}

static int
lookup(const char *opt, const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return i;
	die("%s: unknown value '%s'", opt, s);
}

/*
 * Parses "k=v,k=v" (--qos-map 1=high,2=normal) into out, at most
 * SIM_MAX_MAP entries; with numeric, every key must be an integer.
 */
static int
parse_map(
    const char *opt, const char *s, struct sim_map_entry *out, int numeric)
{
	const char *p = s, *eq, *end;
	int n = 0;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (n == SIM_MAX_MAP || eq == NULL || eq == p ||
		    eq + 1 == end || eq - p >= SIMCONF_NAME_MAX ||
		    end - eq > SIMCONF_NAME_MAX)
			die("%s: '%s' is not key=value,...", opt, s);
		snprintf(
		    out[n].key, sizeof(out[n].key), "%.*s", (int)(eq - p), p);
		snprintf(out[n].val, sizeof(out[n].val), "%.*s",
		    (int)(end - eq - 1), eq + 1);
		if (numeric)
			arg_long(opt, out[n].key, -1, INT32_MAX);
		n++;
		p = *end == ',' ? end + 1 : end;
	}
	return n;
}

static void
parse_args(struct schedsim_state *st, int argc, char **argv)
{
	enum {
		O_TRACE = 256,
		O_PODS,
		O_NPP,
		O_APN,
		O_GPP,
		O_POLICY,
		O_JOBS,
		O_MAP,
		O_WITHIN,
		O_BUDGET,
		O_COOLING,
		O_TDP,
		O_IDLE,
		O_CONFIG,
		O_QOSMAP,
		O_PARTMAP,
		O_SHARES,
		O_BYUSER,
		O_BYACCOUNT,
		O_VERSION
	};
	static const struct option opts[] = {
	    {"trace", required_argument, NULL, O_TRACE},
	    {"pods", required_argument, NULL, O_PODS},
	    {"nodes-per-pod", required_argument, NULL, O_NPP},
	    {"accels-per-node", required_argument, NULL, O_APN},
	    {"groups-per-pod", required_argument, NULL, O_GPP},
	    {"policy", required_argument, NULL, O_POLICY},
	    {"jobs", required_argument, NULL, O_JOBS},
	    {"map", required_argument, NULL, O_MAP},
	    {"within", required_argument, NULL, O_WITHIN},
	    {"pod-budget-w", required_argument, NULL, O_BUDGET},
	    {"pod-cooling-w", required_argument, NULL, O_COOLING},
	    {"accel-tdp-w", required_argument, NULL, O_TDP},
	    {"accel-idle-w", required_argument, NULL, O_IDLE},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"qos-map", required_argument, NULL, O_QOSMAP},
	    {"partition-map", required_argument, NULL, O_PARTMAP},
	    {"shares", required_argument, NULL, O_SHARES},
	    {"by-user", no_argument, NULL, O_BYUSER},
	    {"by-account", no_argument, NULL, O_BYACCOUNT},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, O_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int c, gpp_set = 0;

	st->pods = 1;
	st->nodes_per_pod = 128;
	st->accels = 8;
	st->groups_per_pod = 8;
	st->policy = SCHED_EASY;
	st->map = MAP_ACCELS;
	st->within = WITHIN_AUTO;
	st->output = OUT_TEXT;
	st->tdp_w = 700;
	st->idle_w = 140;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case O_TRACE:
			st->trace = optarg;
			break;
		case O_PODS:
			st->pods = arg_long("--pods", optarg, 1, SIM_MAX_PODS);
			break;
		case O_NPP:
			st->nodes_per_pod = arg_long("--nodes-per-pod", optarg,
			    1, SIM_MAX_NODES_PER_POD);
			break;
		case O_APN:
			st->accels = arg_long(
			    "--accels-per-node", optarg, 1, SCHED_MAX_ACCELS);
			break;
		case O_GPP:
			st->groups_per_pod = arg_long("--groups-per-pod",
			    optarg, 1, SIM_MAX_NODES_PER_POD);
			gpp_set = 1;
			break;
		case O_POLICY:
			st->policy = lookup("--policy", optarg, policy_names,
			    sizeof(policy_names) / sizeof(policy_names[0]));
			st->policy_set = 1;
			break;
		case O_CONFIG:
			st->config_path = optarg;
			break;
		case O_QOSMAP:
			st->nqos_map =
			    parse_map("--qos-map", optarg, st->qos_map, 1);
			break;
		case O_PARTMAP:
			st->npart_map = parse_map(
			    "--partition-map", optarg, st->part_map, 1);
			break;
		case O_SHARES:
			st->nshares =
			    parse_map("--shares", optarg, st->shares, 0);
			break;
		case O_BYUSER:
			st->by_user = 1;
			break;
		case O_BYACCOUNT:
			st->by_account = 1;
			break;
		case O_JOBS:
			st->max_jobs =
			    arg_long("--jobs", optarg, 1, SIM_MAX_JOBS);
			break;
		case O_MAP:
			st->map = lookup("--map", optarg, map_names, MAP_N);
			break;
		case O_WITHIN:
			st->within = lookup("--within", optarg, within_names,
			    sizeof(within_names) / sizeof(within_names[0]));
			break;
		case O_BUDGET:
			st->budget_w =
			    arg_long("--pod-budget-w", optarg, 1, 1000000000);
			break;
		case O_COOLING:
			st->cooling_w =
			    arg_long("--pod-cooling-w", optarg, 1, 1000000000);
			break;
		case O_TDP:
			st->tdp_w =
			    arg_long("--accel-tdp-w", optarg, 1, 100000);
			break;
		case O_IDLE:
			st->idle_w =
			    arg_long("--accel-idle-w", optarg, 0, 100000);
			break;
		case 'o':
			st->output = lookup("-o", optarg, output_names, OUT_N);
			break;
		case 'h':
			usage(0);
		case O_VERSION:
			printf("pod-schedsim %s\n", POD_VERSION);
			exit(0);
		default:
			usage(1);
		}
	}
	if (optind != argc || st->trace == NULL)
		usage(1);
	if ((long)st->pods * st->nodes_per_pod > SIM_MAX_NODES)
		die("at most %d nodes in all", SIM_MAX_NODES);
	if (!gpp_set && st->groups_per_pod > st->nodes_per_pod)
		st->groups_per_pod = st->nodes_per_pod;
	if (st->groups_per_pod > st->nodes_per_pod)
		die("--groups-per-pod: %d groups for %d nodes",
		    st->groups_per_pod, st->nodes_per_pod);
	if (st->idle_w > st->tdp_w)
		die("--accel-idle-w: %.0f W idle above %.0f W rated",
		    st->idle_w, st->tdp_w);
	if (st->config_path == NULL &&
	    (st->nqos_map > 0 || st->npart_map > 0 || st->nshares > 0))
		die("--qos-map, --partition-map and --shares need --config");
}

static int
admission(const struct schedsim_state *st)
{
	return st->budget_w > 0 || st->cooling_w > 0;
}

/* Pods of nodes_per_pod nodes, each pod cut into groups_per_pod groups of
 * equal size (the last one smaller when it does not divide). */
static void
build_fabric(struct schedsim_state *st)
{
	int i, p, k, gsize;

	st->nnodes = st->pods * st->nodes_per_pod;
	st->ngroups = st->pods * st->groups_per_pod;
	gsize =
	    (st->nodes_per_pod + st->groups_per_pod - 1) / st->groups_per_pod;
	if ((st->nodes = calloc(st->nnodes, sizeof(*st->nodes))) == NULL)
		die("out of memory");
	for (i = 0; i < st->nnodes; i++) {
		p = i / st->nodes_per_pod;
		k = i % st->nodes_per_pod;
		st->nodes[i].pod = p;
		st->nodes[i].group = p * st->groups_per_pod + k / gsize;
		st->nodes[i].naccels = st->accels;
		st->nodes[i].usable = 1;
		st->nodes[i].free_mask =
		    st->accels >= 64 ? ~0ULL : (1ULL << st->accels) - 1;
		st->nodes[i].tdp_w = st->tdp_w;
		st->nodes[i].idle_w = st->idle_w;
	}
	st->pod_draw_w = calloc(st->pods, sizeof(double));
	st->power_room = calloc(st->pods, sizeof(double));
	st->heat_room = calloc(st->pods, sizeof(double));
	if (st->pod_draw_w == NULL || st->power_room == NULL ||
	    st->heat_room == NULL)
		die("out of memory");
	for (p = 0; p < st->pods; p++)
		st->pod_draw_w[p] = st->peak_pod_w =
		    st->idle_w * st->accels * (double)st->nodes_per_pod;
}

/* Adds (sign 1) or removes (-1) a job's draw above idle on its pods. */
static void
draw(struct schedsim_state *st, const struct sim_job *job, int sign)
{
	double over = job->accel_w - st->idle_w;
	int i, p;

	if (over <= 0)
		return;
	for (i = 0; i < job->nslots; i++) {
		p = st->nodes[job->slots[i].node].pod;
		st->pod_draw_w[p] +=
		    sign * over * __builtin_popcountll(job->slots[i].mask);
		if (st->pod_draw_w[p] > st->peak_pod_w)
			st->peak_pod_w = st->pod_draw_w[p];
	}
}

static int64_t
sec_to_ms(double s)
{
	return (int64_t)llround(s * 1000.0);
}

/*
 * A trace job as a request (see the man page): processors are
 * accelerators, whole nodes from one node's worth up, or nodes with
 * --map nodes. Returns 0, or -1 when it has no run time or processors.
 */
static int
map_job(const struct schedsim_state *st, const struct swf_job *j,
    struct sim_job *out)
{
	double procs = j->f[SWF_REQ_PROCS] > 0 ? j->f[SWF_REQ_PROCS]
	                                       : j->f[SWF_ALLOC_PROCS];
	double run = j->f[SWF_RUN], lim = j->f[SWF_REQ_TIME];
	long n = (long)ceil(procs);

	if (run <= 0 || procs <= 0 || j->f[SWF_SUBMIT] < 0 || n > INT32_MAX)
		return -1;
	memset(out, 0, sizeof(*out));
	out->id = (int64_t)j->f[SWF_JOB];
	out->submit_ms = sec_to_ms(j->f[SWF_SUBMIT]);
	out->limit_ms = sec_to_ms(lim > 0 ? lim : run);
	if (out->limit_ms < 1)
		out->limit_ms = 1;
	out->run_ms = sec_to_ms(run);
	if (out->run_ms < 1)
		out->run_ms = 1;
	if (out->run_ms > out->limit_ms)
		out->run_ms = out->limit_ms;
	out->start_ms = -1;
	out->accel_w = j->f[SWF_POWER] > 0 ? j->f[SWF_POWER] : st->tdp_w;
	out->req.time_limit_ms = out->limit_ms;
	out->swf_user = (long)j->f[SWF_USER];
	out->swf_group = (long)j->f[SWF_GROUP];
	out->swf_queue = (long)j->f[SWF_QUEUE];
	out->swf_part = (long)j->f[SWF_PARTITION];
	if (st->map == MAP_NODES) {
		/* every node has st->accels: asking them all rules none out,
		 * and quotas count them */
		out->req.nnodes = (int)n;
		out->req.accels_per_node = st->accels;
		out->req.exclusive = 1;
	} else if (n >= st->accels) {
		out->req.nnodes = (int)((n + st->accels - 1) / st->accels);
		out->req.accels_per_node = st->accels;
		out->req.exclusive = 1;
	} else {
		out->req.nnodes = 1;
		out->req.accels_per_node = (int)n;
		out->req.exclusive = 0;
	}
	out->accels = out->req.nnodes * out->req.accels_per_node;
	if (st->within != WITHIN_AUTO)
		out->req.within = st->within;
	else if (out->req.nnodes <= st->nodes_per_pod)
		out->req.within = SCHED_WITHIN_POD;
	else
		out->req.within = SCHED_WITHIN_FABRIC;
	return 0;
}

static int
job_cmp(const void *pa, const void *pb)
{
	const struct sim_job *a = pa, *b = pb;

	if (a->submit_ms != b->submit_ms)
		return a->submit_ms < b->submit_ms ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

static void
read_trace(struct schedsim_state *st)
{
	struct swf_reader r;
	struct swf_job j;
	struct sim_job *n;
	long lines = 0;
	int rc;

	if (swf_open(&r, st->trace) == -1)
		die("%s", r.err);
	while ((st->max_jobs == 0 || lines < st->max_jobs) &&
	       (rc = swf_next(&r, &j)) != 0) {
		if (rc == -1) {
			swf_close(&r);
			die("%s", r.err);
		}
		lines++;
		if (st->njobs == st->jobcap) {
			if (st->jobcap >= SIM_MAX_JOBS)
				die("%s: more than %d jobs", st->trace,
				    SIM_MAX_JOBS);
			st->jobcap = st->jobcap ? 2 * st->jobcap : 1024;
			n = realloc(st->jobs, st->jobcap * sizeof(*n));
			if (n == NULL)
				die("out of memory");
			st->jobs = n;
		}
		if (map_job(st, &j, &st->jobs[st->njobs]) == -1) {
			st->skipped++;
			continue;
		}
		st->jobs[st->njobs].seq = lines;
		st->njobs++;
	}
	swf_close(&r);
	qsort(st->jobs, st->njobs, sizeof(*st->jobs), job_cmp);
}

static int
long_cmp(const void *pa, const void *pb)
{
	long a = *(const long *)pa, b = *(const long *)pb;

	return (a > b) - (a < b);
}

/* The distinct values of a job field, sorted: *out (caller frees). */
static int
distinct(const struct schedsim_state *st, size_t off, long **out)
{
	long *v = malloc((st->njobs + 1) * sizeof(long));
	long i, n = 0;

	if (v == NULL)
		die("out of memory");
	for (i = 0; i < st->njobs; i++)
		v[i] =
		    *(const long *)(const void *)((const char *)&st->jobs[i] +
		                                  off);
	qsort(v, st->njobs, sizeof(long), long_cmp);
	for (i = 0; i < st->njobs; i++)
		if (n == 0 || v[n - 1] != v[i])
			v[n++] = v[i];
	*out = v;
	return (int)n;
}

static int
index_of(const long *v, int n, long id)
{
	const long *hit = bsearch(&id, v, n, sizeof(long), long_cmp);

	return (int)(hit - v);
}

static int
assoc_cmp(const void *pa, const void *pb)
{
	const struct sim_assoc *a = pa, *b = pb;

	if (a->account != b->account)
		return a->account - b->account;
	return a->user - b->user;
}

/* "u12", "g3": the names a trace's user and group numbers go by. */
static const char *
user_name(const struct schedsim_state *st, int u, char *buf, size_t size)
{
	snprintf(buf, size, "u%ld", st->user_ids[u]);
	return buf;
}

static const char *
account_name(const struct schedsim_state *st, int a, char *buf, size_t size)
{
	snprintf(buf, size, "g%ld", st->account_ids[a]);
	return buf;
}

/* The value of key in a map, or NULL. */
static const char *
map_find(const struct sim_map_entry *m, int n, const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i].key, key) == 0)
			return m[i].val;
	return NULL;
}

/* Users, accounts and their pairs, from the trace: every job gets its
 * indices. */
static void
build_org(struct schedsim_state *st)
{
	struct sim_assoc key, *hit;
	long i;
	int k, n = 0;

	st->nusers =
	    distinct(st, offsetof(struct sim_job, swf_user), &st->user_ids);
	st->naccounts =
	    distinct(st, offsetof(struct sim_job, swf_group), &st->account_ids);
	st->assocs = calloc(st->njobs + 1, sizeof(*st->assocs));
	st->ustat = calloc(st->nusers + 1, sizeof(*st->ustat));
	st->astat = calloc(st->naccounts + 1, sizeof(*st->astat));
	if (st->assocs == NULL || st->ustat == NULL || st->astat == NULL)
		die("out of memory");
	for (i = 0; i < st->njobs; i++) {
		st->jobs[i].user =
		    index_of(st->user_ids, st->nusers, st->jobs[i].swf_user);
		st->jobs[i].account = index_of(
		    st->account_ids, st->naccounts, st->jobs[i].swf_group);
		st->assocs[i].user = st->jobs[i].user;
		st->assocs[i].account = st->jobs[i].account;
	}
	qsort(st->assocs, st->njobs, sizeof(*st->assocs), assoc_cmp);
	for (k = 0; k < st->njobs; k++)
		if (n == 0 || assoc_cmp(&st->assocs[n - 1], &st->assocs[k]))
			st->assocs[n++] = st->assocs[k];
	st->nassocs = n;
	for (i = 0; i < st->njobs; i++) {
		key.user = st->jobs[i].user;
		key.account = st->jobs[i].account;
		hit = bsearch(&key, st->assocs, n, sizeof(key), assoc_cmp);
		st->jobs[i].assoc = (int)(hit - st->assocs);
	}
}

/* The QOS or partition a trace number maps to: its index, or the
 * default. */
static int
mapped(const struct schedsim_state *st, const struct sim_map_entry *m, int n,
    long number, int qos)
{
	char key[32];
	const char *name;

	snprintf(key, sizeof(key), "%ld", number);
	if ((name = map_find(m, n, key)) == NULL)
		return qos ? st->conf.default_qos : st->conf.default_part;
	return qos ? simconf_qos_find(&st->conf, name)
	           : simconf_part_find(&st->conf, name);
}

/*
 * What the controller refuses at submit (org_admit()): a time limit over
 * the QOS's or the partition's maximum, a partition the account may not
 * use, more accelerators than the QOS lets a user or an account run, more
 * nodes than the partition has. 1 to refuse.
 */
static int
refused_by_limits(const struct schedsim_state *st, const struct sim_job *j)
{
	const struct simconf_qos *q = &st->conf.qos[j->qos];
	const struct simconf_part *p;
	char name[64];

	if (q->max_wall_s > 0 && j->limit_ms > q->max_wall_s * 1000)
		return 1;
	if ((q->max_accels_per_user > 0 &&
	        j->accels > q->max_accels_per_user) ||
	    (q->max_accels_per_account > 0 &&
	        j->accels > q->max_accels_per_account))
		return 1;
	if (j->part < 0)
		return 0;
	p = &st->conf.part[j->part];
	if (p->max_time_s > 0 && j->limit_ms > p->max_time_s * 1000)
		return 1;
	if (!simconf_part_allows(
	        p, account_name(st, j->account, name, sizeof(name))))
		return 1;
	return j->req.nnodes > st->part_members[j->part];
}

/* Partitions as node sets: one set for each that does not span the
 * fabric. */
static void
build_sets(struct schedsim_state *st)
{
	unsigned char *member;
	char err[512];
	int p, n;

	st->sets = calloc(st->conf.npart + 1, sizeof(*st->sets));
	st->part_set = calloc(st->conf.npart + 1, sizeof(int));
	st->part_members = calloc(st->conf.npart + 1, sizeof(int));
	if (st->sets == NULL || st->part_set == NULL ||
	    st->part_members == NULL)
		die("out of memory");
	for (p = 0; p < st->conf.npart; p++) {
		if ((member = calloc(st->nnodes, 1)) == NULL)
			die("out of memory");
		n = simconf_partition_nodes(&st->conf.part[p], st->pods,
		    st->nodes_per_pod, st->groups_per_pod, member, err,
		    sizeof(err));
		if (n == -1)
			die("%s: [partition %s]: %s", st->conf.part[p].where,
			    st->conf.part[p].name, err);
		st->part_members[p] = n;
		if (n == st->nnodes) {
			free(member);
			continue;
		}
		st->sets[st->nsets++] = member;
		st->part_set[p] = st->nsets;
	}
}

/* --config: reads it, and gives every job its QOS and partition. */
static void
apply_config(struct schedsim_state *st)
{
	char err[1024], name[64];
	long i;
	int k, a;

	if (simconf_load(&st->conf, st->config_path, err, sizeof(err)) == -1)
		die("%s", err);
	if (!st->policy_set)
		st->policy = st->conf.policy;
	for (k = 0; k < st->nqos_map; k++)
		if (simconf_qos_find(&st->conf, st->qos_map[k].val) < 0)
			die("--qos-map: no [qos %s] in %s", st->qos_map[k].val,
			    st->config_path);
	for (k = 0; k < st->npart_map; k++)
		if (simconf_part_find(&st->conf, st->part_map[k].val) < 0)
			die("--partition-map: no [partition %s] in %s",
			    st->part_map[k].val, st->config_path);
	for (k = 0; k < st->conf.nqos; k++)
		if (st->conf.qos[k].priority > st->max_qos_prio)
			st->max_qos_prio = (double)st->conf.qos[k].priority;
	build_sets(st);
	st->acct_shares = calloc(st->naccounts + 1, sizeof(double));
	if (st->acct_shares == NULL)
		die("out of memory");
	for (a = 0; a < st->naccounts; a++)
		st->acct_shares[a] = 1;
	for (k = 0; k < st->nshares; k++) {
		for (a = 0; a < st->naccounts; a++)
			if (strcmp(account_name(st, a, name, sizeof(name)),
			        st->shares[k].key) == 0)
				break;
		if (a == st->naccounts)
			die("--shares: no account %s in the trace (accounts "
			    "are g and the trace's group number)",
			    st->shares[k].key);
		st->acct_shares[a] = strtod(st->shares[k].val, NULL);
		if (!(st->acct_shares[a] > 0))
			die("--shares: %s=%s is not a positive number",
			    st->shares[k].key, st->shares[k].val);
	}
	for (i = 0; i < st->njobs; i++) {
		st->jobs[i].qos = mapped(
		    st, st->qos_map, st->nqos_map, st->jobs[i].swf_queue, 1);
		st->jobs[i].part = st->conf.npart == 0
		                       ? -1
		                       : mapped(st, st->part_map, st->npart_map,
		                             st->jobs[i].swf_part, 0);
		st->jobs[i].refuse = refused_by_limits(st, &st->jobs[i]);
	}
	st->fs = calloc(1 + st->naccounts + st->nassocs, sizeof(*st->fs));
	st->qu_jobs = calloc((size_t)st->conf.nqos * st->nusers, 8);
	st->qu_accels = calloc((size_t)st->conf.nqos * st->nusers, 8);
	st->qa_jobs = calloc((size_t)st->conf.nqos * st->naccounts, 8);
	st->qa_accels = calloc((size_t)st->conf.nqos * st->naccounts, 8);
	st->qu_slot = malloc((size_t)st->conf.nqos * st->nusers * sizeof(int));
	st->qa_slot =
	    malloc((size_t)st->conf.nqos * st->naccounts * sizeof(int));
	st->quotas =
	    calloc((size_t)st->conf.nqos * (st->nusers + st->naccounts) + 1,
	        sizeof(*st->quotas));
	if (st->fs == NULL || st->qu_jobs == NULL || st->qu_accels == NULL ||
	    st->qa_jobs == NULL || st->qa_accels == NULL ||
	    st->qu_slot == NULL || st->qa_slot == NULL || st->quotas == NULL)
		die("out of memory");
}

/* The heap of running jobs by actual end. */
static int64_t
end_of(const struct schedsim_state *st, int j)
{
	return st->jobs[j].start_ms + st->jobs[j].run_ms;
}

static void
heap_push(struct schedsim_state *st, int j)
{
	int i = st->nheap++, up, t;

	st->heap[i] = j;
	while (i > 0 && end_of(st, st->heap[up = (i - 1) / 2]) >
	                    end_of(st, st->heap[i])) {
		t = st->heap[up];
		st->heap[up] = st->heap[i];
		st->heap[i] = t;
		i = up;
	}
}

static int
heap_pop(struct schedsim_state *st)
{
	int top = st->heap[0], i = 0, c, t;

	st->heap[0] = st->heap[--st->nheap];
	for (;;) {
		c = 2 * i + 1;
		if (c >= st->nheap)
			break;
		if (c + 1 < st->nheap &&
		    end_of(st, st->heap[c + 1]) < end_of(st, st->heap[c]))
			c++;
		if (end_of(st, st->heap[i]) <= end_of(st, st->heap[c]))
			break;
		t = st->heap[c];
		st->heap[c] = st->heap[i];
		st->heap[i] = t;
		i = c;
	}
	return top;
}

/* Counts a job in (sign 1) or out of (-1) its QOS's running jobs and
 * accelerators, per user and per account. */
static void
count_running(struct schedsim_state *st, const struct sim_job *job, int sign)
{
	size_t u, a;

	if (st->config_path == NULL)
		return;
	u = (size_t)job->qos * st->nusers + job->user;
	a = (size_t)job->qos * st->naccounts + job->account;
	st->qu_jobs[u] += sign;
	st->qu_accels[u] += sign * job->accels;
	st->qa_jobs[a] += sign;
	st->qa_accels[a] += sign * job->accels;
}

static void
finish(struct schedsim_state *st, int j)
{
	struct sim_job *job = &st->jobs[j];
	struct sim_assoc *as = &st->assocs[job->assoc];
	double hl = st->conf.w.half_life_h;
	int64_t end_ms = end_of(st, j);
	int i, last;

	if (st->config_path != NULL) {
		as->done = fs_decay(as->done, end_ms - as->done_ms, hl) +
		           fs_usage(job->accels_used, job->start_ms, end_ms,
		               end_ms, hl);
		as->done_ms = end_ms;
		count_running(st, job, -1);
	}

	for (i = 0; i < job->nslots; i++)
		st->nodes[job->slots[i].node].free_mask |= job->slots[i].mask;
	draw(st, job, -1);
	free(job->slots);
	job->slots = NULL;
	last = st->running[--st->nrunning];
	st->running[job->runpos] = last;
	st->jobs[last].runpos = job->runpos;
	if (end_of(st, j) > st->last_end_ms)
		st->last_end_ms = end_of(st, j);
}

static void
start(struct schedsim_state *st, int j, const struct sched_decision *d,
    int64_t now_ms)
{
	struct sim_job *job = &st->jobs[j];
	double wait_s, run_s = job->run_ms / 1000.0, bsld;
	struct sim_stat *us = &st->ustat[job->user];
	struct sim_stat *as = &st->astat[job->account];
	int i, accels = 0;

	if ((job->slots = malloc(d->nslots * sizeof(*job->slots))) == NULL)
		die("out of memory");
	memcpy(job->slots, d->slots, d->nslots * sizeof(*job->slots));
	job->nslots = d->nslots;
	for (i = 0; i < d->nslots; i++) {
		st->nodes[d->slots[i].node].free_mask &= ~d->slots[i].mask;
		accels += __builtin_popcountll(d->slots[i].mask);
	}
	job->start_ms = now_ms;
	draw(st, job, 1);
	job->runpos = st->nrunning;
	st->running[st->nrunning++] = j;
	heap_push(st, j);

	wait_s = (now_ms - job->submit_ms) / 1000.0;
	bsld = (wait_s + run_s) /
	       (run_s > SIM_BSLD_MIN_S ? run_s : SIM_BSLD_MIN_S);
	st->done++;
	st->accel_s += accels * run_s;
	st->wait_sum_s += wait_s;
	if (wait_s > st->wait_max_s)
		st->wait_max_s = wait_s;
	bsld = bsld < 1 ? 1 : bsld;
	st->bsld_sum += bsld;
	job->accels_used = accels;
	count_running(st, job, 1);
	us->jobs++;
	us->wait_s += wait_s;
	us->bsld += bsld;
	us->accel_s += accels * run_s;
	if (wait_s > us->max_wait_s)
		us->max_wait_s = wait_s;
	as->jobs++;
	as->wait_s += wait_s;
	as->bsld += bsld;
	as->accel_s += accels * run_s;
	if (wait_s > as->max_wait_s)
		as->max_wait_s = wait_s;
	if (2 * (long)job->accels > (long)st->nnodes * st->accels) {
		st->large_jobs++;
		st->large_wait_sum_s += wait_s;
		if (wait_s > st->large_wait_max_s)
			st->large_wait_max_s = wait_s;
	}
}

/*
 * Each association's fair-share factor at now_ms: its ended jobs' usage
 * decayed to now, plus its running jobs' so far, through the tree (root,
 * accounts under it with their shares, associations under their account
 * with equal shares).
 */
static void
fair_share(struct schedsim_state *st, int64_t now_ms)
{
	struct fs_node *v = st->fs;
	const struct sim_job *job;
	double hl = st->conf.w.half_life_h;
	int i, a, na = st->naccounts;

	v[0].parent = -1;
	v[0].shares = 1;
	v[0].usage = 0;
	for (a = 0; a < na; a++) {
		v[1 + a].parent = 0;
		v[1 + a].shares = st->acct_shares[a];
		v[1 + a].usage = 0;
	}
	for (i = 0; i < st->nassocs; i++) {
		v[1 + na + i].parent = 1 + st->assocs[i].account;
		v[1 + na + i].shares = 1;
		v[1 + na + i].usage = fs_decay(
		    st->assocs[i].done, now_ms - st->assocs[i].done_ms, hl);
	}
	for (i = 0; i < st->nrunning; i++) {
		job = &st->jobs[st->running[i]];
		v[1 + na + job->assoc].usage += fs_usage(
		    job->accels_used, job->start_ms, now_ms, now_ms, hl);
	}
	if (fs_compute(v, 1 + na + st->nassocs) == -1)
		die("fs_compute: the tree is out of order");
	for (i = 0; i < st->nassocs; i++)
		st->assocs[i].factor = v[1 + na + i].factor;
}

/* A quota of `limit` jobs or accelerators less what runs; its index. */
static int
add_quota(struct schedsim_state *st, int *nq, int64_t max_jobs, int64_t jobs,
    int64_t max_accels, int64_t accels, int per_user)
{
	st->quotas[*nq] =
	    sched_qos_quota(max_jobs, jobs, max_accels, accels, per_user);
	return (*nq)++;
}

/*
 * What the controller's tenancy fills in for a pending job: its priority
 * (every factor but age: the pass adds age), its partition's node set,
 * and its QOS's quotas (one per user, one per account, shared by every
 * job that draws on it this pass).
 */
static void
tenancy(struct schedsim_state *st, const struct sim_job *job,
    struct sched_pending *p, int *nq)
{
	const struct simconf_qos *q = &st->conf.qos[job->qos];
	struct prio_job pj;
	size_t u, a;

	memset(&pj, 0, sizeof(pj));
	pj.submit_ms = job->submit_ms;
	pj.accels = job->accels;
	pj.fairshare = st->assocs[job->assoc].factor;
	pj.qos = st->max_qos_prio > 0 ? q->priority / st->max_qos_prio : 0;
	p->prio = prio_static(&st->conf.w, st->nnodes * st->accels, &pj);
	p->set = job->part >= 0 ? st->part_set[job->part] : 0;
	p->nquotas = 0;
	u = (size_t)job->qos * st->nusers + job->user;
	a = (size_t)job->qos * st->naccounts + job->account;
	if (q->max_jobs_per_user > 0 || q->max_accels_per_user > 0) {
		if (st->qu_slot[u] < 0)
			st->qu_slot[u] = add_quota(st, nq, q->max_jobs_per_user,
			    st->qu_jobs[u], q->max_accels_per_user,
			    st->qu_accels[u], 1);
		p->quota[p->nquotas++] = st->qu_slot[u];
	}
	if (q->max_jobs_per_account > 0 || q->max_accels_per_account > 0) {
		if (st->qa_slot[a] < 0)
			st->qa_slot[a] = add_quota(st, nq,
			    q->max_jobs_per_account, st->qa_jobs[a],
			    q->max_accels_per_account, st->qa_accels[a], 0);
		p->quota[p->nquotas++] = st->qa_slot[a];
	}
}

/* One scheduling pass at now_ms; starts what it starts. */
static void
schedule(struct schedsim_state *st, int64_t now_ms)
{
	struct sched_input in;
	struct sched_result res;
	struct sched_power pw;
	struct sim_job *job;
	int i, k = 0, nq = 0;

	for (i = 0; i < st->nrunning; i++) {
		job = &st->jobs[st->running[i]];
		st->rin[i].end_ms = job->start_ms + job->limit_ms;
		st->rin[i].nslots = job->nslots;
		st->rin[i].slots = job->slots;
		st->rin[i].exclusive = job->req.exclusive;
	}
	for (i = 0; i < st->npending; i++) {
		job = &st->jobs[st->pending[i]];
		st->pin[i].id = job->id;
		st->pin[i].prio = 0;
		st->pin[i].set = 0;
		st->pin[i].nquotas = 0;
		st->pin[i].submit_ms = job->submit_ms;
		st->pin[i].req = job->req;
		st->pin[i].power_per_accel_w = job->accel_w;
	}
	memset(&in, 0, sizeof(in));
	if (st->config_path != NULL) {
		if (st->conf.w.fairshare > 0)
			fair_share(st, now_ms);
		memset(st->qu_slot, 0xff,
		    (size_t)st->conf.nqos * st->nusers * sizeof(int));
		memset(st->qa_slot, 0xff,
		    (size_t)st->conf.nqos * st->naccounts * sizeof(int));
		for (i = 0; i < st->npending; i++)
			tenancy(
			    st, &st->jobs[st->pending[i]], &st->pin[i], &nq);
		in.age_weight_per_h = st->conf.age_weight_per_h;
		in.age_cap_h = st->conf.age_cap_h;
		in.starve_after_h = st->conf.starve_after_h;
		in.sets = (const unsigned char *const *)st->sets;
		in.nsets = st->nsets;
		in.quotas = st->quotas;
		in.nquotas = nq;
	}
	in.now_ms = now_ms;
	in.policy = st->policy;
	in.nodes = st->nodes;
	in.nnodes = st->nnodes;
	in.npods = st->pods;
	in.ngroups = st->ngroups;
	in.running = st->rin;
	in.nrunning = st->nrunning;
	in.pending = st->pin;
	in.npending = st->npending;
	if (admission(st)) {
		for (i = 0; i < st->pods; i++) {
			st->power_room[i] =
			    st->budget_w > 0 ? st->budget_w - st->pod_draw_w[i]
			                     : INFINITY;
			st->heat_room[i] =
			    st->cooling_w > 0
			        ? st->cooling_w - st->pod_draw_w[i]
			        : INFINITY;
		}
		pw.pod_power_w = st->power_room;
		pw.pod_heat_w = st->heat_room;
		pw.fabric_heat_w = INFINITY;
		in.power = &pw;
	}
	if (sched_pass(&in, &res) == -1)
		die("sched_pass: out of memory");
	for (i = 0; i < st->npending; i++) {
		job = &st->jobs[st->pending[i]];
		if (res.d[i].reason == SCHED_R_NONE) {
			start(st, st->pending[i], &res.d[i], now_ms);
			continue;
		}
		if (res.d[i].reason == SCHED_R_LIMIT && !job->limit_held) {
			job->limit_held = 1;
			st->limit_held++;
		}
		if ((res.d[i].reason == SCHED_R_POWER ||
		        res.d[i].reason == SCHED_R_COOLING) &&
		    !job->power_held) {
			job->power_held = 1;
			st->power_held++;
		}
		st->pending[k++] = st->pending[i];
	}
	st->npending = k;
	sched_result_free(&res);
}

static void
simulate(struct schedsim_state *st)
{
	long next = 0, i;
	int64_t now_ms;
	char why[256];
	int changed;

	st->pending = malloc((st->njobs + 1) * sizeof(int));
	st->running = malloc((st->njobs + 1) * sizeof(int));
	st->heap = malloc((st->njobs + 1) * sizeof(int));
	st->rin = malloc((st->njobs + 1) * sizeof(*st->rin));
	st->pin = malloc((st->njobs + 1) * sizeof(*st->pin));
	if (st->pending == NULL || st->running == NULL || st->heap == NULL ||
	    st->rin == NULL || st->pin == NULL)
		die("out of memory");
	if (st->njobs > 0)
		st->first_submit_ms = st->last_end_ms = st->jobs[0].submit_ms;
	while (next < st->njobs || st->nheap > 0) {
		now_ms =
		    next < st->njobs ? st->jobs[next].submit_ms : INT64_MAX;
		if (st->nheap > 0 && end_of(st, st->heap[0]) < now_ms)
			now_ms = end_of(st, st->heap[0]);
		changed = 0;
		while (st->nheap > 0 && end_of(st, st->heap[0]) == now_ms) {
			finish(st, heap_pop(st));
			changed = 1;
		}
		for (; next < st->njobs && st->jobs[next].submit_ms == now_ms;
		     next++) {
			if (st->jobs[next].refuse ||
			    sched_check(st->nodes, st->nnodes, st->pods,
			        st->ngroups, &st->jobs[next].req, why,
			        sizeof(why)) != SCHED_R_NONE) {
				st->refused++;
				continue;
			}
			st->pending[st->npending++] = next;
			changed = 1;
		}
		if (changed && st->npending > 0)
			schedule(st, now_ms);
	}
	for (i = 0; i < st->npending; i++) /* too big for a pod's power */
		st->refused++;
	if (st->npending > 0)
		fprintf(stderr, "pod-schedsim: %d jobs never started\n",
		    st->npending);
}

/* What is printed, in order: name, value, and whether it is a count. */
struct metric {
	const char *name;
	double v;
	int count;
};

/*
 * Writes a figure as people read it: counts as integers, others with at
 * most three decimals and no trailing zeros ("180", "73.333", "0.5"), which
 * is as precise as the simulation (times are whole milliseconds). Returns
 * buf.
 */
static const char *
figure(char *buf, size_t size, double v, int count)
{
	size_t len;

	snprintf(buf, size, "%.*f", count ? 0 : 3, v);
	if (!count && strchr(buf, '.') != NULL) {
		len = strlen(buf);
		while (len > 0 && buf[len - 1] == '0')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '.')
			buf[--len] = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, size, "0");
	return buf;
}

/*
 * --by-user, --by-account: one row per user or account with its jobs,
 * mean and worst wait, mean bounded slowdown and accelerator-hours. As a
 * JSON array under key, or a table after the figures.
 */
static void
report_table(const struct schedsim_state *st, const char *key, const char *what,
    const struct sim_stat *v, int n)
{
	char name[64], b1[64], b2[64], b3[64], b4[64];
	int i, acct = what[0] == 'a';
	double k;

	if (st->output == OUT_JSON)
		printf(",\"%s\":[", key);
	else
		printf("\n%-10s %8s %12s %12s %12s %12s\n", what, "jobs",
		    "mean_wait_s", "max_wait_s", "mean_bsld", "accel_h");
	for (i = 0; i < n; i++) {
		k = v[i].jobs > 0 ? (double)v[i].jobs : 1;
		if (acct)
			account_name(st, i, name, sizeof(name));
		else
			user_name(st, i, name, sizeof(name));
		figure(b1, sizeof(b1), v[i].wait_s / k, 0);
		figure(b2, sizeof(b2), v[i].max_wait_s, 0);
		figure(b3, sizeof(b3), v[i].jobs > 0 ? v[i].bsld / k : 0, 0);
		figure(b4, sizeof(b4), v[i].accel_s / 3600.0, 0);
		if (st->output == OUT_JSON)
			printf("%s{\"%s\":\"%s\",\"jobs\":%ld,"
			       "\"mean_wait_s\":%s,\"max_wait_s\":%s,"
			       "\"mean_bounded_slowdown\":%s,\"accel_h\":%s}",
			    i ? "," : "", what, name, v[i].jobs, b1, b2, b3,
			    b4);
		else
			printf("%-10s %8ld %12s %12s %12s %12s\n", name,
			    v[i].jobs, b1, b2, b3, b4);
	}
	if (st->output == OUT_JSON)
		printf("]");
}

static void
report(const struct schedsim_state *st)
{
	double makespan_s = (st->last_end_ms - st->first_submit_ms) / 1000.0;
	double n = st->done > 0 ? (double)st->done : 1;
	const struct metric m[] = {
	    {"jobs", (double)st->done, 1},
	    {"skipped", (double)st->skipped, 1},
	    {"refused", (double)st->refused, 1},
	    {"makespan_s", makespan_s, 0},
	    {"utilisation",
	        makespan_s > 0 ? st->accel_s / ((double)st->nnodes *
	                                           st->accels * makespan_s)
	                       : 0,
	        0},
	    {"mean_wait_s", st->wait_sum_s / n, 0},
	    {"mean_bounded_slowdown", st->done > 0 ? st->bsld_sum / n : 0, 0},
	    {"max_wait_s", st->wait_max_s, 0},
	    {"power_held", (double)st->power_held, 1},
	    {"peak_pod_power_w", st->peak_pod_w, 0},
	    {"limit_held", (double)st->limit_held, 1},
	    {"large_jobs", (double)st->large_jobs, 1},
	    {"large_mean_wait_s",
	        st->large_jobs > 0 ? st->large_wait_sum_s / st->large_jobs : 0,
	        0},
	    {"large_max_wait_s", st->large_wait_max_s, 0},
	    {"users", (double)st->nusers, 1},
	    {"accounts", (double)st->naccounts, 1},
	};
	size_t i, nm = sizeof(m) / sizeof(m[0]);
	char buf[64];

	if (st->output == OUT_JSON)
		printf("{\"policy\":\"%s\"", policy_names[st->policy]);
	else
		printf("%-22s %s\n", "policy", policy_names[st->policy]);
	for (i = 0; i < nm; i++) {
		figure(buf, sizeof(buf), m[i].v, m[i].count);
		if (st->output == OUT_JSON)
			printf(",\"%s\":%s", m[i].name, buf);
		else
			printf("%-22s %s\n", m[i].name, buf);
	}
	if (st->by_user)
		report_table(st, "by_user", "user", st->ustat, st->nusers);
	if (st->by_account)
		report_table(
		    st, "by_account", "account", st->astat, st->naccounts);
	if (st->output == OUT_JSON)
		printf("}\n");
}

int
main(int argc, char **argv)
{
	struct schedsim_state st;
	long i;

	memset(&st, 0, sizeof(st));
	parse_args(&st, argc, argv);
	build_fabric(&st);
	read_trace(&st);
	build_org(&st);
	if (st.config_path != NULL)
		apply_config(&st);
	simulate(&st);
	report(&st);
	for (i = 0; i < st.njobs; i++)
		free(st.jobs[i].slots);
	free(st.jobs);
	free(st.nodes);
	free(st.pending);
	free(st.running);
	free(st.heap);
	free(st.rin);
	free(st.pin);
	free(st.pod_draw_w);
	free(st.power_room);
	free(st.heat_room);
	for (i = 0; i < st.nsets; i++)
		free(st.sets[i]);
	free(st.sets);
	free(st.part_set);
	free(st.part_members);
	free(st.user_ids);
	free(st.account_ids);
	free(st.assocs);
	free(st.ustat);
	free(st.astat);
	free(st.fs);
	free(st.acct_shares);
	free(st.qu_jobs);
	free(st.qu_accels);
	free(st.qa_jobs);
	free(st.qa_accels);
	free(st.qu_slot);
	free(st.qa_slot);
	free(st.quotas);
	return 0;
}
