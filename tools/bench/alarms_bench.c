/*
 * alarms_bench: the cost of one alarm evaluation (alarms_evaluate(),
 * core/alarms.c) on a fabric-size view, in steady state and through a
 * wave of late reports: a share of the nodes, spread over every pod, stop
 * reporting at once, stay silent, then come back. Each measurement is
 * timed over many evaluations next to the cheapest thing an evaluation
 * could do: one plain scan over every node and its accelerators. The
 * table gives the median and the 99th percentile, and the median as a
 * multiple of the scan's, which compares across machines and builds.
 *
 * It uses only the alarm API that has not changed since the first version
 * (the inputs' nodes and pods, alarms_evaluate, alarms_open,
 * alarms_clear), so tools/bench/run can build it against an older
 * core/alarms.c and show before and after in one run.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alarms.h"

#define NAME_LEN 32

struct bench {
	int pods, per_pod, accels, cycles, held;
	double late_pct;
	char (*names)[NAME_LEN];
	char (*podnames)[NAME_LEN];
	struct alarm_node *nodes;
	struct alarm_accel *acc;
	struct alarm_pod *podv;
	struct alarm_inputs in;
	int *late; /* indices of the nodes the wave makes late */
	int nlate;
};

static void
usage(void)
{
	fprintf(stderr, "usage: alarms_bench [--pods n] [--nodes-per-pod m] "
	                "[--late-pct p] [--cycles c] [--held h]\n");
	exit(2);
}

static double
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Nearest-rank percentile of n sorted samples. */
static double
percentile(const double *v, int n, double pct)
{
	int k = (int)ceil(pct / 100 * n) - 1;

	return n == 0 ? 0 : v[k < 0 ? 0 : k >= n ? n - 1 : k];
}

static void
build(struct bench *b)
{
	int n = b->pods * b->per_pod, i, k, p;

	b->names = calloc(n, sizeof(*b->names));
	b->podnames = calloc(b->pods, sizeof(*b->podnames));
	b->nodes = calloc(n, sizeof(*b->nodes));
	b->acc = calloc((size_t)n * b->accels, sizeof(*b->acc));
	b->podv = calloc(b->pods, sizeof(*b->podv));
	b->late = calloc(n, sizeof(int));
	if (!b->names || !b->podnames || !b->nodes || !b->acc || !b->podv ||
	    !b->late) {
		fprintf(stderr, "alarms_bench: out of memory\n");
		exit(1);
	}
	for (p = 0; p < b->pods; p++) {
		snprintf(b->podnames[p], NAME_LEN, "pod%02d", p + 1);
		b->podv[p].name = b->podnames[p];
		b->podv[p].first = p * b->per_pod;
		b->podv[p].nnodes = b->per_pod;
		b->podv[p].power_w = 500e3;
		b->podv[p].budget_w = 1e6;
		b->podv[p].heat_w = 500e3;
		b->podv[p].cooling_capacity_w = 1e6;
	}
	for (i = 0; i < n; i++) {
		struct alarm_node *nd = &b->nodes[i];

		snprintf(b->names[i], NAME_LEN, "pod%02d-n%03d",
		    i / b->per_pod + 1, i % b->per_pod + 1);
		nd->name = b->names[i];
		nd->up = 1;
		nd->leak = 0;
		nd->last_seen_ms = 1;
		nd->flow_lpm = 12;
		nd->inlet_c = 30;
		nd->naccels = b->accels;
		nd->accels = &b->acc[(size_t)i * b->accels];
		for (k = 0; k < b->accels; k++) {
			b->acc[(size_t)i * b->accels + k].temp_c = 55 + k;
			b->acc[(size_t)i * b->accels + k].temp_crit_c = 90;
		}
		/* exactly late_pct of the nodes, evenly spread */
		if (floor((i + 1) * b->late_pct / 100) >
		    floor(i * b->late_pct / 100))
			b->late[b->nlate++] = i;
	}
	memset(&b->in, 0, sizeof(b->in));
	b->in.nodes = b->nodes;
	b->in.nnodes = n;
	b->in.pods = b->podv;
	b->in.npods = b->pods;
	b->in.now_ms = 1700000000000LL;
	b->in.min_flow_lpm = 2;
	b->in.max_supply_c = 45;
	b->in.heartbeat_ms = 10000;
	b->in.uptime_ms = 3600000;
}

/* Times one evaluation; exits on failure. */
static double
timed_eval(struct bench *b, struct alarms *a)
{
	struct timespec t0, t1;

	b->in.now_ms += 1000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (alarms_evaluate(a, &b->in) == -1) {
		fprintf(stderr, "alarms_bench: alarms_evaluate failed\n");
		exit(1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ms_between(&t0, &t1);
}

static void
set_late(struct bench *b, int late)
{
	int i;

	for (i = 0; i < b->nlate; i++)
		b->nodes[b->late[i]].up = !late;
}

/* What an evaluation reads at least: every node and accelerator once. */
static double
timed_scan(const struct bench *b, volatile double *sink)
{
	struct timespec t0, t1;
	double sum = 0;
	int i, k;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < b->in.nnodes; i++) {
		const struct alarm_node *n = &b->nodes[i];

		sum += n->up + n->flow_lpm;
		for (k = 0; k < n->naccels; k++)
			sum += n->accels[k].temp_c;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*sink = sum;
	return ms_between(&t0, &t1);
}

static void
row(const char *what, double *v, int n, double scan)
{
	qsort(v, n, sizeof(double), dbl_cmp);
	printf("| %s | %.3f | %.3f | %.0f |\n", what, percentile(v, n, 50),
	    percentile(v, n, 99), scan > 0 ? percentile(v, n, 50) / scan : 0);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"pods", required_argument, NULL, 'p'},
	    {"nodes-per-pod", required_argument, NULL, 'n'},
	    {"late-pct", required_argument, NULL, 'l'},
	    {"cycles", required_argument, NULL, 'c'},
	    {"held", required_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct bench b;
	struct alarms a;
	double *steady, *onset, *held, *back, *scan, med_scan;
	volatile double sink;
	int c, i, j, nheld = 0, open_wave = 0;

	memset(&b, 0, sizeof(b));
	b.pods = 100;
	b.per_pod = 128;
	b.accels = 8;
	b.cycles = 20;
	b.held = 5;
	b.late_pct = 10;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		double v = optarg ? strtod(optarg, &end) : 0;

		if (optarg == NULL || *end != '\0' || v < 0 || v > 1e6)
			usage();
		switch (c) {
		case 'p':
			b.pods = (int)v;
			break;
		case 'n':
			b.per_pod = (int)v;
			break;
		case 'l':
			b.late_pct = v;
			break;
		case 'c':
			b.cycles = (int)v;
			break;
		case 'h':
			b.held = (int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || b.pods < 1 || b.per_pod < 1 || b.cycles < 1 ||
	    b.held < 1 || b.late_pct > 100)
		usage();
	build(&b);
	memset(&a, 0, sizeof(a));
	steady = calloc(b.cycles, sizeof(double));
	onset = calloc(b.cycles, sizeof(double));
	back = calloc(b.cycles, sizeof(double));
	scan = calloc(b.cycles, sizeof(double));
	held = calloc((size_t)b.cycles * b.held, sizeof(double));
	if (!steady || !onset || !back || !scan || !held) {
		fprintf(stderr, "alarms_bench: out of memory\n");
		return 1;
	}
	(void)timed_eval(&b, &a); /* warm up: first evaluation's set-up */
	for (i = 0; i < b.cycles; i++) {
		scan[i] = timed_scan(&b, &sink);
		steady[i] = timed_eval(&b, &a);
		set_late(&b, 1);
		onset[i] = timed_eval(&b, &a);
		for (j = 0; j < b.held; j++)
			held[nheld++] = timed_eval(&b, &a);
		if (i == 0)
			open_wave = alarms_open(&a);
		set_late(&b, 0);
		back[i] = timed_eval(&b, &a);
	}
	qsort(scan, b.cycles, sizeof(double), dbl_cmp);
	med_scan = percentile(scan, b.cycles, 50);
	printf("Parameters: %d pods x %d nodes x %d accelerators (%d nodes), "
	       "a wave of %d late nodes (%g %%, spread evenly over the pods), "
	       "%d waves, each held for %d evaluations; open alarms during "
	       "the wave: %d.\n\n",
	    b.pods, b.per_pod, b.accels, b.in.nnodes, b.nlate, b.late_pct,
	    b.cycles, b.held, open_wave);
	printf("| measurement | median (ms) | p99 (ms) | median / scan |\n");
	printf("|---|---:|---:|---:|\n");
	row("steady state, every node reporting", steady, b.cycles, med_scan);
	row("the wave begins: late nodes raise node_down", onset, b.cycles,
	    med_scan);
	row("the wave held: late nodes still silent", held, nheld, med_scan);
	row("the wave ends: nodes back, alarms clear", back, b.cycles,
	    med_scan);
	printf("| baseline: one scan of every node and accelerator | %.4f | "
	       "%.4f | 1 |\n",
	    med_scan, percentile(scan, b.cycles, 99));
	alarms_clear(&a);
	free(b.names);
	free(b.podnames);
	free(b.nodes);
	free(b.acc);
	free(b.podv);
	free(b.late);
	free(steady);
	free(onset);
	free(held);
	free(back);
	free(scan);
	return 0;
}
