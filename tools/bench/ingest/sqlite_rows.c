/*
 * sqlite_rows: the first baseline of the ingest benchmark
 * (tools/bench/ingest/run). It inserts the rows the controller stores for
 * a fleet's second of samples (one row per node in samples_DAY, one per
 * accelerator in accel_samples_DAY: the tables, indexes and pragmas of
 * controllerd/store_samples.c and controllerd/store.c) straight into a
 * fresh SQLite database, one transaction per second of samples, with
 * prepared statements and nothing else: no HTTP, no JSON, no queue. What
 * it reaches is what SQLite on this machine allows the controller's
 * writer at best, so the controller's figures are given as a share of it.
 *
 * Prints one line of JSON: the rounds' rows/s and node samples/s (a node
 * sample being one node row and its accelerators' rows), median, minimum
 * and maximum over the rounds.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define SQLR_DAY 20261203 /* the partition written */

struct sqlr_state {
	long nodes;     /* nodes in the fleet */
	long accels;    /* accelerators per node */
	long rounds;    /* seconds of samples written, one transaction each */
	const char *db; /* database path */
	sqlite3 *conn;
	sqlite3_stmt *ins_node;
	sqlite3_stmt *ins_accel;
};

static struct sqlr_state sqlr;

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: sqlite_rows --db path [--nodes n] "
	                "[--accels k] [--rounds r]\n");
	exit(2);
}

static long
arg_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(
		    stderr, "%s: '%s' is not in %ld..%ld\n", opt, s, min, max);
		exit(2);
	}
	return v;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
exec(struct sqlr_state *st, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(st->conn, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite_rows: %s: %s\n", sql, err);
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

/* The controller's pragmas and the day's partition, as it makes them. */
static int
open_db(struct sqlr_state *st)
{
	char sql[1024];

	unlink(st->db);
	if (sqlite3_open(st->db, &st->conn) != SQLITE_OK) {
		fprintf(stderr, "sqlite_rows: %s: %s\n", st->db,
		    sqlite3_errmsg(st->conn));
		return -1;
	}
	/* the table names are built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    "CREATE TABLE samples_%08d (node_id INTEGER NOT"
	    " NULL, t_ms INTEGER NOT NULL, power_w REAL, inlet_c REAL,"
	    " outlet_c REAL, flow_lpm REAL, hottest_c REAL);"
	    "CREATE INDEX samples_%08d_node ON samples_%08d (node_id, t_ms);"
	    "CREATE TABLE accel_samples_%08d (node_id INTEGER"
	    " NOT NULL, idx INTEGER NOT NULL, t_ms INTEGER NOT NULL,"
	    " power_w REAL, temp_c REAL, clock_mhz REAL, util_pct REAL,"
	    " energy_j REAL);"
	    "CREATE INDEX accel_samples_%08d_node ON"
	    " accel_samples_%08d (node_id, t_ms);",
	    SQLR_DAY, SQLR_DAY, SQLR_DAY, SQLR_DAY, SQLR_DAY, SQLR_DAY);
	if (exec(st, sql) == -1)
		return -1;
	/* the table name is built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO samples_%08d (node_id, t_ms, power_w, inlet_c,"
	    " outlet_c, flow_lpm, hottest_c) VALUES (?, ?, ?, ?, ?, ?, ?)",
	    SQLR_DAY);
	if (sqlite3_prepare_v2(st->conn, sql, -1, &st->ins_node, NULL) !=
	    SQLITE_OK)
		goto fail;
	/* the table name is built from the integer day only */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO accel_samples_%08d (node_id, idx, t_ms, power_w,"
	    " temp_c, clock_mhz, util_pct, energy_j) VALUES (?, ?, ?, ?, ?,"
	    " ?, ?, ?)",
	    SQLR_DAY);
	if (sqlite3_prepare_v2(st->conn, sql, -1, &st->ins_accel, NULL) !=
	    SQLITE_OK)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "sqlite_rows: prepare: %s\n", sqlite3_errmsg(st->conn));
	return -1;
}

static int
step(struct sqlr_state *st, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE) {
		fprintf(stderr, "sqlite_rows: insert: %s\n",
		    sqlite3_errmsg(st->conn));
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* One second of the fleet's samples in one transaction: rows written, or
 * -1. */
static long
write_second(struct sqlr_state *st, long round)
{
	int64_t t_ms = 1764720000000LL + round * 1000;
	long n, i, rows = 0;

	if (exec(st, "BEGIN IMMEDIATE") == -1)
		return -1;
	for (n = 1; n <= st->nodes; n++) {
		sqlite3_bind_int64(st->ins_node, 1, n);
		sqlite3_bind_int64(st->ins_node, 2, t_ms + n % 1000);
		sqlite3_bind_double(st->ins_node, 3, 1650 + n % 97);
		sqlite3_bind_double(st->ins_node, 4, 30.0 + (n % 7) * 0.1);
		sqlite3_bind_double(st->ins_node, 5, 38.0 + (n % 11) * 0.1);
		sqlite3_bind_double(st->ins_node, 6, 10.0 + (n % 5) * 0.01);
		sqlite3_bind_double(st->ins_node, 7, 60.0 + (n % 13) * 0.1);
		if (step(st, st->ins_node) == -1)
			return -1;
		rows++;
		for (i = 0; i < st->accels; i++) {
			sqlite3_bind_int64(st->ins_accel, 1, n);
			sqlite3_bind_int(st->ins_accel, 2, (int)i);
			sqlite3_bind_int64(st->ins_accel, 3, t_ms + n % 1000);
			sqlite3_bind_double(
			    st->ins_accel, 4, 200 + (n + i) % 500);
			sqlite3_bind_double(
			    st->ins_accel, 5, 40 + (n + i) % 30);
			sqlite3_bind_double(st->ins_accel, 6, 1980);
			sqlite3_bind_double(st->ins_accel, 7, (n * i) % 100);
			sqlite3_bind_double(
			    st->ins_accel, 8, 1e6 + round * 300.0 + i);
			if (step(st, st->ins_accel) == -1)
				return -1;
			rows++;
		}
	}
	if (exec(st, "COMMIT") == -1)
		return -1;
	return rows;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'f'},
	    {"nodes", required_argument, NULL, 'n'},
	    {"accels", required_argument, NULL, 'k'},
	    {"rounds", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	struct sqlr_state *st = &sqlr;
	double *rate = NULL, t0, dt;
	long r, rows;
	int ch, rc = 1;

	st->nodes = 12800;
	st->accels = 8;
	st->rounds = 5;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			st->db = optarg;
			break;
		case 'n':
			st->nodes = arg_long("--nodes", optarg, 1, 10000000);
			break;
		case 'k':
			st->accels = arg_long("--accels", optarg, 0, 63);
			break;
		case 'r':
			st->rounds = arg_long("--rounds", optarg, 1, 1000);
			break;
		default:
			usage();
		}
	}
	if (st->db == NULL || optind != argc)
		usage();
	if ((rate = calloc(st->rounds, sizeof(*rate))) == NULL ||
	    open_db(st) == -1)
		goto fail;
	for (r = 0; r < st->rounds; r++) {
		t0 = now_s();
		if ((rows = write_second(st, r)) == -1)
			goto fail;
		dt = now_s() - t0;
		rate[r] = rows / (dt > 0 ? dt : 1e-9);
	}
	qsort(rate, st->rounds, sizeof(*rate), cmp_double);
	printf("{\"rows_per_s\": {\"median\": %.0f, \"min\": %.0f, \"max\": "
	       "%.0f}, \"rows_per_sample\": %ld, \"rounds\": %ld, "
	       "\"nodes\": %ld}\n",
	    rate[st->rounds / 2], rate[0], rate[st->rounds - 1], 1 + st->accels,
	    st->rounds, st->nodes);
	rc = 0;
fail:
	sqlite3_finalize(st->ins_node);
	sqlite3_finalize(st->ins_accel);
	sqlite3_close(st->conn);
	free(rate);
	return rc;
}
