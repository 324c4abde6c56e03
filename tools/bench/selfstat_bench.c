/*
 * selfstat_bench: what the controller's counting of itself
 * (controllerd/selfstat.c) costs per event, next to the work it counts.
 * Two events are timed, each as the controller counts it:
 *
 *	report	api_report's counting of a one-sample report: accepted,
 *		received/duplicate/lost by seq, sample delay, handling time
 *		(two clock reads) and the HTTP series' time and status
 *	request	api_dispatch's counting of any request: two clock reads, the
 *		route's histogram and the status code
 *
 * against the baseline of decoding that report's JSON (jsonx_parse and
 * wire_report_decode of a one-sample, eight-accelerator report), the least
 * work a report costs the loop. Rounds give the median and the spread
 * (min–max) of ns per event and of the ratio to the baseline measured in
 * the same round. --rounds and --events set the size; --tiny is the
 * suite's short run, which only checks the table is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "selfstat.h"
#include "wire.h"

#define MAX_ROUNDS 64

/* A one-sample report of a node of eight accelerators. */
static const char report_json[] =
    "{\"boot_id\":\"5f0c2a9e1b7d4c36\",\"agent_version\":\"0.1.0\","
    "\"interval_ms\":1000,\"desired_version\":3,\"dropped_samples\":0,"
    "\"samples\":[{\"seq\":17,\"t_ms\":1795900000000,\"power_w\":6200.5,"
    "\"accels\":["
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440},"
    "{\"power_w\":612,\"energy_j\":10230.5,\"temp_c\":61.3,\"clock_mhz\":1980,"
    "\"util_pct\":87,\"mem_used_mib\":61440}],"
    "\"loop\":{\"supply_c\":30,\"return_c\":39.8,\"flow_lpm\":9,"
    "\"pressure_kpa\":120,\"leak\":false}}]}";

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* ns per decode of report_json. */
static double
time_decode(int n)
{
	struct report rep;
	char err[256];
	double t0 = now_ns();
	json_t *j;
	int i;

	for (i = 0; i < n; i++) {
		j = jsonx_parse(
		    report_json, sizeof(report_json) - 1, err, sizeof(err));
		if (j == NULL ||
		    wire_report_decode(j, &rep, err, sizeof(err))) {
			fprintf(stderr, "selfstat_bench: %s\n", err);
			exit(1);
		}
		json_decref(j);
		wire_report_free(&rep);
	}
	return (now_ns() - t0) / n;
}

/* ns per report counted as api_report and api_dispatch count it. */
static double
time_report(struct selfstat *s, int n)
{
	struct selfstat_http *h = selfstat_http_slot(s, 0);
	double t0 = now_ns(), a, b;
	int64_t seq, mono = 1000000;
	int i;

	for (i = 0; i < n; i++) {
		seq = i + 1;
		a = selfstat_clock_s();
		selfstat_count(&s->reports_accepted, mono + i, 1);
		selfstat_report(s, mono + i, i % s->nnodes, 1, i, &seq, 1, 0);
		selfstat_wobserve(&s->sample_delay_s, mono + i, 0.2);
		b = selfstat_clock_s();
		selfstat_wobserve(&s->report_s, mono + i, b - a);
		selfstat_http_time(s, 0, mono + i, b - a);
		selfstat_http_code(h, mono + i, 200);
	}
	return (now_ns() - t0) / n;
}

/* ns per request counted as api_dispatch counts it. */
static double
time_request(struct selfstat *s, int n)
{
	struct selfstat_http *h = selfstat_http_slot(s, 1);
	double t0 = now_ns(), a;
	int i;

	for (i = 0; i < n; i++) {
		a = selfstat_clock_s();
		selfstat_http_time(s, 1, 1000000 + i, selfstat_clock_s() - a);
		selfstat_http_code(h, 1000000 + i, 200);
	}
	return (now_ns() - t0) / n;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: selfstat_bench [--rounds r] [--events n] [--tiny]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {{"rounds", 1, NULL, 'r'},
	    {"events", 1, NULL, 'n'}, {"tiny", 0, NULL, 't'},
	    {NULL, 0, NULL, 0}};
	double dec[MAX_ROUNDS], rep[MAX_ROUNDS], req[MAX_ROUNDS];
	double rr[MAX_ROUNDS], qr[MAX_ROUNDS];
	int rounds = 9, n = 200000, ch, k;
	struct selfstat *s;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			rounds = (int)strtol(optarg, NULL, 10);
			break;
		case 'n':
			n = (int)strtol(optarg, NULL, 10);
			break;
		case 't':
			rounds = 3;
			n = 1000;
			break;
		default:
			usage();
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || n < 1)
		usage();
	if ((s = selfstat_new(12800, 0)) == NULL)
		return 1;
	selfstat_http_name(s, 0, "POST", "/api/v1", "/agents/*/report");
	selfstat_http_name(s, 1, "GET", "/api/v1", "/nodes/*");
	for (k = 0; k < rounds; k++) {
		dec[k] = time_decode(n / 10 > 0 ? n / 10 : 1);
		rep[k] = time_report(s, n);
		req[k] = time_request(s, n);
		rr[k] = 100 * rep[k] / dec[k];
		qr[k] = 100 * req[k] / dec[k];
	}
	qsort(dec, rounds, sizeof(double), dbl_cmp);
	qsort(rep, rounds, sizeof(double), dbl_cmp);
	qsort(req, rounds, sizeof(double), dbl_cmp);
	qsort(rr, rounds, sizeof(double), dbl_cmp);
	qsort(qr, rounds, sizeof(double), dbl_cmp);
	printf(
	    "%d rounds of %d events (decodes: a tenth of that)\n\n", rounds, n);
	printf("| what | ns per event, median (min–max) | %% of decoding the "
	       "report, median (min–max) |\n|---|---|---|\n");
	printf("| baseline: decode a one-sample report | %.0f (%.0f–%.0f) | "
	       "100 |\n",
	    dec[rounds / 2], dec[0], dec[rounds - 1]);
	printf("| count a report (api_report + dispatch) | %.0f (%.0f–%.0f) | "
	       "%.3f (%.3f–%.3f) |\n",
	    rep[rounds / 2], rep[0], rep[rounds - 1], rr[rounds / 2], rr[0],
	    rr[rounds - 1]);
	printf("| count a request (dispatch) | %.0f (%.0f–%.0f) | "
	       "%.3f (%.3f–%.3f) |\n",
	    req[rounds / 2], req[0], req[rounds - 1], qr[rounds / 2], qr[0],
	    qr[rounds - 1]);
	selfstat_free(s);
	return 0;
}
