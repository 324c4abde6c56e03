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
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"
#include "swf.h"

#define SIM_MAX_PODS          1000
#define SIM_MAX_NODES_PER_POD 10000
#define SIM_MAX_NODES         200000   /* nodes in one simulated fabric */
#define SIM_MAX_JOBS          10000000 /* trace jobs held in memory */
#define SIM_BSLD_MIN_S        10.0     /* bounded slowdown threshold */

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
	if (st->map == MAP_NODES) {
		out->req.nnodes = (int)n;
		out->req.accels_per_node = 0;
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

static void
finish(struct schedsim_state *st, int j)
{
	struct sim_job *job = &st->jobs[j];
	int i, last;

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
	st->bsld_sum += bsld < 1 ? 1 : bsld;
}

/* One scheduling pass at now_ms; starts what it starts. */
static void
schedule(struct schedsim_state *st, int64_t now_ms)
{
	struct sched_input in;
	struct sched_result res;
	struct sched_power pw;
	struct sim_job *job;
	int i, k = 0;

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
		st->pin[i].submit_ms = job->submit_ms;
		st->pin[i].req = job->req;
		st->pin[i].power_per_accel_w = job->accel_w;
	}
	memset(&in, 0, sizeof(in));
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
			if (sched_check(st->nodes, st->nnodes, st->pods,
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
	return 0;
}
