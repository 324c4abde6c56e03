/*
 * dbsize_bench: how much disk a day of telemetry takes, raw and rolled up,
 * at 128 and 12,800 nodes, and what the rollups cost the sample writer.
 *
 * A representative stretch (an hour by default) of samples of up to 128
 * nodes of 8 accelerators, every store_interval_s (10 s, the default),
 * goes through the real store code: store_queue_sample(), the writer
 * thread's batches, then the writer's rollup passes (store_rollup_pass(),
 * in virtual time: the samples are dated in 2100 so that no pass by the
 * wall clock closes a period early). SQLite's dbstat table then gives the
 * bytes of each table with its index, hence bytes per row and per node;
 * the day and the retention figures are those measured bytes times the
 * rows a day holds, times the nodes. Rows of different nodes are alike,
 * so the bytes scale with the node count; a day is not written whole (at
 * 12,800 nodes it would be 1.1 billion rows).
 *
 * The writer's time for the stretch's raw samples is the baseline; the
 * rollup passes are given as a ratio to it, median and range over rounds.
 * Output: the "Telemetry storage" section of docs/benchmarks.md (markdown).
 */
#include <sys/stat.h>

#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fleet.h"
#include "log.h"
#include "pod/wire.h"
#include "store.h"

#define T0_MS      4102444800000LL /* 2100-01-01T00:00:00Z */
#define MAX_ROUNDS 16

/* The table groups measured: raw, minutes and hours, node and accel. */
enum group {
	G_RAW_NODE,
	G_RAW_ACCEL,
	G_1M_NODE,
	G_1M_ACCEL,
	G_1H_NODE,
	G_1H_ACCEL,
	NGROUPS
};

/* Each group: its label and the prefix of its tables' names. */
static const struct {
	const char *label;
	const char *prefix;
} groups[NGROUPS] = {
    [G_RAW_NODE] = {"raw, node", "samples_"},
    [G_RAW_ACCEL] = {"raw, accelerators", "accel_samples_"},
    [G_1M_NODE] = {"1 min, node", "node_rollup_60_"},
    [G_1M_ACCEL] = {"1 min, accelerators", "accel_rollup_60_"},
    [G_1H_NODE] = {"1 h, node", "node_rollup_3600_"},
    [G_1H_ACCEL] = {"1 h, accelerators", "accel_rollup_3600_"},
};

/* What one round measured. */
struct round {
	double bytes[NGROUPS]; /* tables and their indexes */
	double rows[NGROUPS];
	double raw_s, rollup_s;         /* wall time to write them */
	double raw_cpu_s, rollup_cpu_s; /* CPU time of the process */
	double hours_s;                 /* of rollup_s: the hours' pass */
	int periods;                    /* minutes and hours computed */
};

static struct {
	int nodes, minutes, rounds, interval_s;
	char dir[256];
} opt = {128, 60, 3, 10, ""};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double
cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* A pseudo-random number in [0, 1): a value as a sensor gives it, not a
 * round one that SQLite would store in fewer bytes. */
static double
jitter(unsigned *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 8) / 16777216.0;
}

static void
queue(struct store *s, const struct node *n, int64_t t_ms, unsigned *rnd)
{
	struct report_sample smp;
	int i;

	memset(&smp, 0, sizeof(smp));
	smp.t_ms = t_ms;
	smp.naccels = 8;
	smp.power_w = 0;
	for (i = 0; i < smp.naccels; i++) {
		struct report_accel *a = &smp.accels[i];

		a->power_w = 400 + 300 * jitter(rnd);
		a->temp_c = 55 + 20 * jitter(rnd);
		a->clock_mhz = 1200 + 780 * jitter(rnd);
		a->util_pct = 100 * jitter(rnd);
		a->energy_j = 1e6 * jitter(rnd);
		smp.power_w += a->power_w;
	}
	smp.power_w += 800 + 50 * jitter(rnd);
	smp.supply_c = 30 + jitter(rnd);
	smp.return_c = 40 + 3 * jitter(rnd);
	smp.flow_lpm = 9 + jitter(rnd);
	store_queue_sample(s, n, &smp);
}

/* Adds up dbstat's bytes and the rows of each group's tables: a table's
 * rows are the cells of its leaf pages, or of all its pages when it is
 * WITHOUT ROWID (a b-tree whose interior cells are rows too). */
static int
measure(const char *path, struct round *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int g, rc = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(db,
	        "SELECT m.tbl_name, sum(d.pgsize), sum(CASE WHEN d.name ="
	        " m.tbl_name AND (d.pagetype = 'leaf' OR t.sql LIKE"
	        " '%WITHOUT ROWID%') THEN d.ncell ELSE 0 END) FROM dbstat d"
	        " JOIN sqlite_master m ON m.name = d.name JOIN sqlite_master"
	        " t ON t.name = m.tbl_name AND t.type = 'table' GROUP BY"
	        " m.tbl_name",
	        -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "dbstat: %s\n", sqlite3_errmsg(db));
		goto fail;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		for (g = NGROUPS - 1; g >= 0; g--)
			if (strncmp(name, groups[g].prefix,
			        strlen(groups[g].prefix)) == 0)
				break;
		if (g < 0)
			continue;
		r->bytes[g] += sqlite3_column_double(st, 1);
		r->rows[g] += sqlite3_column_double(st, 2);
	}
	rc = 0;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
one_round(int k, struct round *r)
{
	struct config *c = NULL;
	struct fleet *f = NULL;
	struct store *s = NULL;
	char path[512], err[256];
	int64_t t, end = T0_MS + (int64_t)opt.minutes * 60000;
	unsigned rnd = 12345u + (unsigned)k;
	double t0, t1, c0;
	int i, n, rc = -1;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/r%d/ctl.db", opt.dir, k);
	if ((c = config_load(NULL, err, sizeof(err))) == NULL ||
	    (f = fleet_new(c)) == NULL || (s = store_open(path)) == NULL ||
	    store_load_fleet(s, f) == -1) {
		fprintf(stderr, "dbsize_bench: cannot open %s\n", path);
		goto fail;
	}
	t0 = now_s();
	c0 = cpu_s();
	for (t = T0_MS; t < end; t += (int64_t)opt.interval_s * 1000) {
		for (i = 0; i < opt.nodes && i < f->nnodes; i++)
			queue(s, &f->nodes[i], t + i, &rnd);
		if (store_flush_wait(s, f) == -1)
			goto fail;
	}
	r->raw_s = now_s() - t0;
	r->raw_cpu_s = cpu_s() - c0;
	t0 = now_s();
	c0 = cpu_s();
	/* every minute but the last, then the hours and the last minute */
	while ((n = store_rollup_pass(s, end + 19999)) > 0)
		r->periods += n;
	t1 = now_s();
	while (n == 0 && (n = store_rollup_pass(s, end + 2 * 3600000LL)) > 0)
		r->periods += n;
	r->rollup_s = now_s() - t0;
	r->hours_s = now_s() - t1;
	r->rollup_cpu_s = cpu_s() - c0;
	if (n == -1)
		goto fail;
	store_close(s);
	s = NULL;
	rc = measure(path, r);
fail:
	store_close(s);
	fleet_free(f);
	config_free(c);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Bytes as MB, GB or TB, 3 significant digits. */
static const char *
human(double b, char *buf, size_t size)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	int u = 0;

	while (b >= 1000 && u < 5) {
		b /= 1000;
		u++;
	}
	snprintf(buf, size, "%.*f %s",
	    b < 10    ? 2
	    : b < 100 ? 1
	              : 0,
	    b, unit[u]);
	return buf;
}

/* One line of the day table: a resolution's bytes per node-day. */
static void
day_line(const char *label, double per_node_day, double rows_per_node_day,
    int retention_days, double bytes_per_row)
{
	char a[32], b[32], x[32], y[32];

	printf("| %s | %.0f | %.0f | %s | %s | %d days | %s | %s |\n", label,
	    rows_per_node_day, bytes_per_row,
	    human(per_node_day * 128, a, sizeof(a)),
	    human(per_node_day * 12800, b, sizeof(b)), retention_days,
	    human(per_node_day * 128 * retention_days, x, sizeof(x)),
	    human(per_node_day * 12800 * retention_days, y, sizeof(y)));
}

static void
usage(void)
{
	fprintf(stderr, "usage: dbsize_bench [--nodes N] [--minutes M] "
	                "[--rounds R] [--interval S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct round r[MAX_ROUNDS];
	double ratio[MAX_ROUNDS], raw[MAX_ROUNDS], cratio[MAX_ROUNDS];
	double rawcpu[MAX_ROUNDS];
	double per_day[NGROUPS], rows_day[NGROUPS], bpr[NGROUPS];
	const char *base = getenv("TMPDIR");
	double node_minutes, node_hours, raw_x;
	int i, g;

	for (i = 1; i < argc; i++) {
		int *v = strcmp(argv[i], "--nodes") == 0      ? &opt.nodes
		         : strcmp(argv[i], "--minutes") == 0  ? &opt.minutes
		         : strcmp(argv[i], "--rounds") == 0   ? &opt.rounds
		         : strcmp(argv[i], "--interval") == 0 ? &opt.interval_s
		                                              : NULL;

		if (v == NULL || i + 1 >= argc)
			usage();
		*v = (int)strtol(argv[++i], NULL, 10);
	}
	if (opt.nodes < 1 || opt.nodes > 128 || opt.minutes < 1 ||
	    opt.rounds < 1 || opt.rounds > MAX_ROUNDS || opt.interval_s < 1)
		usage();
	log_init("dbsize_bench", LOG_LVL_ERROR);
	snprintf(opt.dir, sizeof(opt.dir), "%s/pod-dbsize-XXXXXX",
	    base ? base : "/tmp");
	if (mkdtemp(opt.dir) == NULL) {
		perror(opt.dir);
		return 1;
	}
	for (i = 0; i < opt.rounds; i++)
		if (one_round(i, &r[i]) == -1) {
			nftw(opt.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
			return 1;
		}
	nftw(opt.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	/* sizes from the first round (every round writes the same rows) */
	node_minutes = (double)opt.nodes * opt.minutes;
	node_hours = (double)opt.nodes * ((opt.minutes + 59) / 60);
	for (g = 0; g < NGROUPS; g++) {
		double per = g <= G_RAW_ACCEL  ? node_minutes / 1440
		             : g <= G_1M_ACCEL ? node_minutes / 1440
		                               : node_hours / 24;

		per_day[g] = r[0].bytes[g] / per;
		rows_day[g] = r[0].rows[g] / per;
		bpr[g] = r[0].rows[g] > 0 ? r[0].bytes[g] / r[0].rows[g] : NAN;
	}
	for (i = 0; i < opt.rounds; i++) {
		ratio[i] = r[i].rollup_s / r[i].raw_s;
		raw[i] = r[i].raw_s;
		cratio[i] = r[i].rollup_cpu_s / r[i].raw_cpu_s;
		rawcpu[i] = r[i].raw_cpu_s;
	}
	qsort(cratio, opt.rounds, sizeof(double), cmp_double);
	qsort(rawcpu, opt.rounds, sizeof(double), cmp_double);
	qsort(ratio, opt.rounds, sizeof(double), cmp_double);
	qsort(raw, opt.rounds, sizeof(double), cmp_double);
	raw_x = (double)opt.interval_s / 1;

	printf("Measured: %d nodes of 8 accelerators, %d minutes of samples "
	       "every %d s through the store's writer, then its rollup "
	       "passes; bytes from SQLite's `dbstat` (tables and their "
	       "indexes, whole pages), %d round%s. Per day = bytes per node "
	       "and minute (raw, 1 min) or per node and hour (1 h) times a "
	       "day, times the nodes.\n\n",
	    opt.nodes, opt.minutes, opt.interval_s, opt.rounds,
	    opt.rounds > 1 ? "s" : "");
	printf("| resolution | rows per node per day | bytes per row | per "
	       "day, 128 nodes | per day, 12,800 nodes | default retention | "
	       "at retention, 128 | at retention, 12,800 |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
	for (g = 0; g < NGROUPS; g += 2) {
		static const int keep[] = {7, 30, 400};
		static const char *const name[] = {
		    "raw", "1 min rollups", "1 h rollups"};
		char label[64];
		double both = per_day[g] + per_day[g + 1];
		double rows = rows_day[g] + rows_day[g + 1];
		double b = (r[0].bytes[g] + r[0].bytes[g + 1]) /
		           (r[0].rows[g] + r[0].rows[g + 1]);

		if (g == 0)
			snprintf(label, sizeof(label), "raw (every %d s)",
			    opt.interval_s);
		else
			snprintf(label, sizeof(label), "%s", name[g / 2]);
		day_line(label, both, rows, keep[g / 2], b);
		if (g == 0 && opt.interval_s > 1)
			day_line("raw (every 1 s, computed: rows × "
			         "store_interval_s)",
			    both * raw_x, rows * raw_x, keep[0], b);
	}
	printf("\nBy table (bytes per row): ");
	for (g = 0; g < NGROUPS; g++)
		printf("%s%s %.0f", g ? ", " : "", groups[g].label, bpr[g]);
	printf(".\n\n");
	printf("The writer's work for the stretch, the raw samples as the "
	       "baseline (median, and min–max over the rounds):\n\n");
	printf("| | raw samples | rollup passes, ratio to raw | at 12,800 "
	       "nodes, raw | at 12,800 nodes, rollups |\n");
	printf("|---|---|---|---|---|\n");
	printf("| wall time | %.2f s (%.2f–%.2f) | %.3f× (%.3f–%.3f) | "
	       "%.0f %% of the time | %.0f %% of the time |\n",
	    raw[opt.rounds / 2], raw[0], raw[opt.rounds - 1],
	    ratio[opt.rounds / 2], ratio[0], ratio[opt.rounds - 1],
	    100 * raw[opt.rounds / 2] * (12800.0 / opt.nodes) /
	        (opt.minutes * 60.0),
	    100 * raw[opt.rounds / 2] * ratio[opt.rounds / 2] *
	        (12800.0 / opt.nodes) / (opt.minutes * 60.0));
	printf("| of which the hours' pass (first round) | | %.3f× | | |\n",
	    r[0].hours_s / r[0].raw_s);
	printf("| CPU time | %.2f s (%.2f–%.2f) | %.3f× (%.3f–%.3f) | "
	       "%.0f %% of a core | %.0f %% of a core |\n",
	    rawcpu[opt.rounds / 2], rawcpu[0], rawcpu[opt.rounds - 1],
	    cratio[opt.rounds / 2], cratio[0], cratio[opt.rounds - 1],
	    100 * rawcpu[opt.rounds / 2] * (12800.0 / opt.nodes) /
	        (opt.minutes * 60.0),
	    100 * rawcpu[opt.rounds / 2] * cratio[opt.rounds / 2] *
	        (12800.0 / opt.nodes) / (opt.minutes * 60.0));
	return 0;
}
