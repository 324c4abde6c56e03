/*
 * Unit tests of podctl's job parts: time limits, counts, the body of
 * "submit" and the server's words turned into its options (jobreq.c); node
 * lists, accelerator ranges, energy and times as
 * "jobs" and "job show" print them (fmt.c, over common/hostlist.c). Each group
 * is a static table of cases; the last line says how many passed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "check.h"
#include "fmt.h"
#include "jobreq.h"

/* --- time limits ------------------------------------------------------ */

/* Per case: the text; the seconds, or -1 with a fragment of the message. */
static const struct {
	const char *s;
	int64_t secs;
	const char *err;
} time_cases[] = {
    /* Slurm's forms: minutes alone, M:S, H:M:S, D-H, D-H:M, D-H:M:S */
    {"90", 5400, NULL},
    {"1", 60, NULL},
    {"007", 420, NULL},
    {"527040", 366 * 86400LL, NULL},
    {"1:30", 90, NULL},
    {"90:00", 5400, NULL},
    {"0:59", 59, NULL},
    {"1:02:03", 3723, NULL},
    {"100:00:00", 360000, NULL},
    {"1-0", 86400, NULL},
    {"2-12", 216000, NULL},
    {"1-2:30", 95400, NULL},
    {"1-00:00:00", 86400, NULL},
    {"0-0:0:1", 1, NULL},
    {"1-23:59:59", 172799, NULL},
    {"366-0", 366 * 86400LL, NULL},
    {"365-23:59:60", -1, "seconds must be below 60"},
    {"1:60", -1, "seconds must be below 60"},
    {"1:60:00", -1, "minutes must be below 60"},
    {"1:00:60", -1, "seconds must be below 60"},
    {"1-24", -1, "hours must be below 24"},
    {"1-1:60", -1, "minutes must be below 60"},
    {"0:00", -1, "more than 0"},
    {"0-0", -1, "more than 0"},
    {"0-0:00:00", -1, "more than 0"},
    {"1:2:3:4", -1, "not a duration"},
    {"1-2-3", -1, "not a duration"},
    {"1-2:3:4:5", -1, "not a duration"},
    {"1-", -1, "not a duration"},
    {"1--2", -1, "not a duration"},
    {":30", -1, "not a duration"},
    {"1:", -1, "not a duration"},
    {"1::2", -1, "not a duration"},
    {"-1-0", -1, "positive"},
    {"1-2h", -1, "not a duration"},
    {"1:30m", -1, "not a duration"},
    {"527041", -1, "longer than 366 days"},
    {"367-0", -1, "longer than 366 days"},
    {"366-0:0:1", -1, "longer than 366 days"},
    {"8784:00:01", -1, "longer than 366 days"},
    {"99999999999999999999:00", -1, "longer than"},
    /* numbers with units */
    {"90s", 90, NULL},
    {"15m", 900, NULL},
    {"2h", 7200, NULL},
    {"1d", 86400, NULL},
    {"1h30m", 5400, NULL},
    {"1d2h3m4s", 93784, NULL},
    {"1d4s", 86404, NULL},
    {"0h90m", 5400, NULL},
    {"366d", 366 * 86400LL, NULL},
    {"31622400s", 31622400, NULL},
    {"0", -1, "more than 0"},
    {"0s", -1, "more than 0"},
    {"0d0h", -1, "more than 0"},
    {"-5", -1, "positive"},
    {"-1h", -1, "positive"},
    {"", -1, "not a duration"},
    {"+5", -1, "not a duration"},
    {" 5", -1, "not a duration"},
    {"5 ", -1, "not a duration"},
    {"h", -1, "not a duration"},
    {"1x", -1, "not a duration"},
    {"1.5h", -1, "not a duration"},
    {"2H", -1, "not a duration"},
    {"1h30", -1, "not a duration"},
    {"30m1h", -1, "not a duration"},
    {"1h1h", -1, "not a duration"},
    {"1hm", -1, "not a duration"},
    {"0x10", -1, "not a duration"},
    {"367d", -1, "longer than 366 days"},
    {"31622401s", -1, "longer than 366 days"},
    {"365d24h1s", -1, "longer than 366 days"},
    {"99999999999999999999", -1, "longer than"},
    {"99999999999999999999h", -1, "longer than"},
};

static void
test_time(void)
{
	char err[256], detail[384];
	int64_t secs;
	size_t i;
	int r, ok;

	for (i = 0; i < sizeof(time_cases) / sizeof(time_cases[0]); i++) {
		secs = -7;
		err[0] = '\0';
		r = jobreq_parse_time(time_cases[i].s, &secs, err, sizeof(err));
		if (time_cases[i].err == NULL)
			ok = r == 0 && secs == time_cases[i].secs;
		else
			ok = r == -1 && secs == -7 &&
			     strstr(err, time_cases[i].err) != NULL &&
			     strstr(err, "--time") != NULL;
		snprintf(detail, sizeof(detail), "result %d secs %lld err '%s'",
		    r, (long long)secs, err);
		CHECK(ok, "time: %s: %s", time_cases[i].s, detail);
	}
}

/* --- counts and states ------------------------------------------------ */

static const struct {
	const char *s;
	int64_t max;
	int64_t want; /* -1: refused */
} count_cases[] = {
    {"1", 10, 1},
    {"10", 10, 10},
    {"0010", 10, 10},
    {"11", 10, -1},
    {"0", 10, -1},
    {"-1", 10, -1},
    {"+1", 10, -1},
    {"", 10, -1},
    {"1e3", 10000, -1},
    {"3 ", 10, -1},
    {"9223372036854775807", INT64_MAX, INT64_MAX},
    {"9223372036854775808", INT64_MAX, -1},
    {"99999999999999999999999", INT64_MAX, -1},
};

static void
test_counts(void)
{
	char detail[64];
	int64_t v;
	size_t i;
	int r;

	for (i = 0; i < sizeof(count_cases) / sizeof(count_cases[0]); i++) {
		v = -7;
		r = jobreq_parse_count(
		    count_cases[i].s, count_cases[i].max, &v);
		snprintf(detail, sizeof(detail), "result %d value %lld", r,
		    (long long)v);
		CHECK(count_cases[i].want == -1
		          ? r == -1 && v == -7
		          : r == 0 && v == count_cases[i].want,
		    "count: %s: %s", count_cases[i].s, detail);
	}
	CHECK(jobreq_state_valid("pending") &&
	          jobreq_state_valid("node_fail") &&
	          jobreq_state_valid("timeout"),
	    "state: %s: %s", "valid", "");
	CHECK(!jobreq_state_valid("Pending") && !jobreq_state_valid("") &&
	          !jobreq_state_valid("done") && !jobreq_state_valid("node"),
	    "state: %s: %s", "invalid", "");
}

/* --- submit ------------------------------------------------------------ */

#define MAX_ARGV 24

/*
 * Per case: name; submit's argv (after the word "submit"), NULL-ended;
 * then either the body expected, as compact JSON with sorted keys, or a
 * fragment of the message when the command line is refused.
 */
static const struct {
	const char *name;
	const char *argv[MAX_ARGV];
	const char *body;
	const char *err;
} submit_cases[] = {
    {"minimal", {"--nodes", "4", "--time", "2h", "--", "train", NULL},
        "{\"command\":[\"train\"],\"name\":\"train\",\"nodes\":4,"
        "\"time_limit_s\":7200}",
        NULL},
    {"everything",
        {"--name", "big run", "--accelerators", "32", "--accels-per-node", "8",
            "--time=1h30m", "--priority", "-5", "--within", "group", "--policy",
            "energy-saver", "--no-requeue", "--", "sh", "-c",
            "sleep 10; echo 'done'", NULL},
        "{\"accelerators\":32,\"accels_per_node\":8,\"command\":[\"sh\","
        "\"-c\",\"sleep 10; echo 'done'\"],\"name\":\"big run\","
        "\"policy\":\"energy-saver\",\"priority\":-5,\"requeue\":false,"
        "\"time_limit_s\":5400,\"within\":\"group\"}",
        NULL},
    {"paths",
        {"-N", "1", "-t", "1m", "-D", "/scratch/x", "--output", "%u-%j.out",
            "-e", "%j.err", "--", "a", NULL},
        "{\"chdir\":\"/scratch/x\",\"command\":[\"a\"],\"error\":"
        "\"%j.err\",\"name\":\"a\",\"nodes\":1,\"output\":\"%u-%j.out\","
        "\"time_limit_s\":60}",
        NULL},
    {"name from path",
        {"--nodes", "1", "--time", "90s", "--", "/opt/apps/bin/lammps", "-in",
            "in.lj", NULL},
        "{\"command\":[\"/opt/apps/bin/lammps\",\"-in\",\"in.lj\"],"
        "\"name\":\"lammps\",\"nodes\":1,\"time_limit_s\":90}",
        NULL},
    {"name from dir", {"--nodes", "1", "--time", "90s", "--", "./x/", NULL},
        "{\"command\":[\"./x/\"],\"name\":\"./x/\",\"nodes\":1,"
        "\"time_limit_s\":90}",
        NULL},
    {"sbatch letters",
        {"-N", "2", "-t", "1-00:00:00", "-J", "train", "--", "sleep", "5",
            NULL},
        "{\"command\":[\"sleep\",\"5\"],\"name\":\"train\",\"nodes\":2,"
        "\"time_limit_s\":86400}",
        NULL},
    {"sbatch letters joined", {"-N2", "-t90", "-Jx", "--", "a", NULL},
        "{\"command\":[\"a\"],\"name\":\"x\",\"nodes\":2,"
        "\"time_limit_s\":5400}",
        NULL},
    {"gpus", {"-G", "16", "-t", "2:00:00", "--", "a", NULL},
        "{\"accelerators\":16,\"command\":[\"a\"],\"name\":\"a\","
        "\"time_limit_s\":7200}",
        NULL},
    {"no time: the server's default", {"--nodes", "2", "--", "x", NULL},
        "{\"command\":[\"x\"],\"name\":\"x\",\"nodes\":2}", NULL},
    {"letters in the command stay there",
        {"-N", "1", "--", "srun", "-N", "4", "-t", "5", NULL},
        "{\"command\":[\"srun\",\"-N\",\"4\",\"-t\",\"5\"],"
        "\"name\":\"srun\",\"nodes\":1}",
        NULL},
    {"both sizes by letters", {"-N", "4", "-G", "8", "--", "x", NULL}, NULL,
        "exactly one of --nodes"},
    {"bad nodes by letter", {"-N", "zero", "--", "x", NULL}, NULL,
        "--nodes needs a whole number"},
    {"bad time by letter", {"-N", "1", "-t", "1:60", "--", "x", NULL}, NULL,
        "--time '1:60': seconds must be below 60"},
    {"options after the command stay in it",
        {"--time", "1m", "--nodes", "2", "--", "prog", "--nodes", "9", "--",
            NULL},
        "{\"command\":[\"prog\",\"--nodes\",\"9\",\"--\"],\"name\":\"prog\","
        "\"nodes\":2,\"time_limit_s\":60}",
        NULL},
    {"within fabric",
        {"--nodes", "300", "--time", "1d", "--within", "fabric", "--", "a",
            NULL},
        "{\"command\":[\"a\"],\"name\":\"a\",\"nodes\":300,"
        "\"time_limit_s\":86400,\"within\":\"fabric\"}",
        NULL},
    {"missing --", {"--nodes", "4", "--time", "2h", "train", NULL}, NULL,
        "must follow '--'"},
    {"no command", {"--nodes", "4", "--time", "2h", "--", NULL}, NULL,
        "no command"},
    {"empty command", {"--nodes", "4", "--time", "2h", "--", "", NULL}, NULL,
        "no command"},
    {"word before --", {"--nodes", "4", "x", "--time", "2h", "--", "y", NULL},
        NULL, "unexpected argument 'x'"},
    {"both sizes",
        {"--nodes", "4", "--accelerators", "8", "--time", "2h", "--", "x",
            NULL},
        NULL, "exactly one of --nodes"},
    {"no size", {"--time", "2h", "--", "x", NULL}, NULL,
        "exactly one of --nodes"},
    {"zero nodes", {"--nodes", "0", "--time", "2h", "--", "x", NULL}, NULL,
        "--nodes needs a whole number"},
    {"negative accelerators",
        {"--accelerators", "-8", "--time", "2h", "--", "x", NULL}, NULL,
        "--accelerators needs a whole number"},
    {"too many nodes", {"--nodes", "1000001", "--time", "2h", "--", "x", NULL},
        NULL, "--nodes needs a whole number"},
    {"bad per node",
        {"--nodes", "2", "--accels-per-node", "four", "--time", "2h", "--", "x",
            NULL},
        NULL, "--accels-per-node needs"},
    {"bad time", {"--nodes", "2", "--time", "2x", "--", "x", NULL}, NULL,
        "not a duration"},
    {"zero time", {"--nodes", "2", "--time", "0", "--", "x", NULL}, NULL,
        "more than 0"},
    {"bad within",
        {"--nodes", "2", "--time", "1h", "--within", "rack", "--", "x", NULL},
        NULL, "--within is group, pod or fabric"},
    {"bad priority",
        {"--nodes", "2", "--time", "1h", "--priority", "high", "--", "x", NULL},
        NULL, "--priority needs a whole number"},
    {"top priority",
        {"--nodes", "2", "--time", "1h", "--priority", "1000000", "--", "x",
            NULL},
        "{\"command\":[\"x\"],\"name\":\"x\",\"nodes\":2,"
        "\"priority\":1000000,\"time_limit_s\":3600}",
        NULL},
    {"priority too high",
        {"--nodes", "2", "--time", "1h", "--priority", "1000001", "--", "x",
            NULL},
        NULL, "--priority needs a whole number from -1000000 to 1000000"},
    {"priority too low",
        {"--nodes", "2", "--time", "1h", "--priority", "-1000001", "--", "x",
            NULL},
        NULL, "--priority needs a whole number"},
    {"bad policy",
        {"--nodes", "2", "--time", "1h", "--policy", "a b", "--", "x", NULL},
        NULL, "invalid policy name"},
    {"empty name",
        {"--name", "", "--nodes", "2", "--time", "1h", "--", "x", NULL}, NULL,
        "job name"},
    {"control in name",
        {"--name", "a\tb", "--nodes", "2", "--time", "1h", "--", "x", NULL},
        NULL, "job name"},
    {"name not UTF-8",
        {"--name", "caf\xe9", "--nodes", "2", "--time", "1h", "--", "x", NULL},
        NULL, "UTF-8"},
    {"command not UTF-8",
        {"--nodes", "2", "--time", "1h", "--", "x", "caf\xe9", NULL}, NULL,
        "argument 2 of the command is not UTF-8"},
};

static void
test_submit(void)
{
	char *argv[MAX_ARGV], err[256], detail[1024], *got;
	struct args a;
	json_t *body;
	size_t i;
	int argc, ok;

	for (i = 0; i < sizeof(submit_cases) / sizeof(submit_cases[0]); i++) {
		for (argc = 0; submit_cases[i].argv[argc] != NULL; argc++)
			argv[argc] = (char *)submit_cases[i].argv[argc];
		err[0] = '\0';
		got = NULL;
		body = NULL;
		if (args_parse(argc, argv, jobreq_opts, JOBREQ_NOPTS, 0, &a,
		        err, sizeof(err)) == 0 &&
		    (body = jobreq_body(&a, err, sizeof(err))) != NULL)
			got = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
		if (submit_cases[i].body != NULL)
			ok = got != NULL &&
			     strcmp(got, submit_cases[i].body) == 0;
		else
			ok = body == NULL &&
			     strstr(err, submit_cases[i].err) != NULL;
		snprintf(detail, sizeof(detail), "body %s, error '%s'",
		    got != NULL ? got : "NULL", err);
		CHECK(ok, "submit: %s: %s", submit_cases[i].name, detail);
		free(got);
		json_decref(body);
	}
}

/* --- the server's words ----------------------------------------------- */

/* Per case: a message of the server; what podctl prints of it. */
static const struct {
	const char *msg;
	const char *want;
} explain_cases[] = {
    {"job: 'accels_per_node' must be 1 to 64",
        "job: --accels-per-node must be 1 to 64"},
    {"job: accelerators (12) must be a multiple of accels_per_node (8)",
        "job: accelerators (12) must be a multiple of --accels-per-node (8)"},
    {"job: 12 accelerators do not split evenly over 2 nodes; give "
     "accels_per_node",
        "job: 12 accelerators do not split evenly over 2 nodes; give "
        "--accels-per-node"},
    {"job: give exactly one of 'nodes' and 'accelerators'",
        "job: give exactly one of --nodes and --accelerators"},
    {"job: 'time_limit_s' is required: this controller has no default "
     "time limit ([scheduler] default_time_limit_s)",
        "job: --time is required: this controller has no default time "
        "limit ([scheduler] default_time_limit_s)"},
    {"job: 'power_per_accel_w' must be 1 to 10000",
        "job: --power-per-accel must be 1 to 10000"},
    {"job: 'requeue' must be true or false",
        "job: --no-requeue must be true or false"},
    {"job: 'command' must be a non-empty array of strings",
        "job: the command must be a non-empty array of strings"},
    {"job: needs 9 nodes; the fabric has 4",
        "job: needs 9 nodes; the fabric has 4"},
    {"job: 'name' must be 1 to 127 printable characters",
        "job: --name must be 1 to 127 printable characters"},
    {"job: 'bogus_member' and 'x'", "job: 'bogus_member' and 'x'"},
    {"my_accels_per_node_x", "my_accels_per_node_x"},
    {"'accels_per_node", "'--accels-per-node"},
    {"", ""},
};

static void
test_explain(void)
{
	char buf[256], small[8], detail[640];
	size_t i;

	for (i = 0; i < sizeof(explain_cases) / sizeof(explain_cases[0]); i++) {
		jobreq_explain(explain_cases[i].msg, buf, sizeof(buf));
		snprintf(detail, sizeof(detail), "got '%s'", buf);
		CHECK(strcmp(buf, explain_cases[i].want) == 0,
		    "explain: %s: %s", explain_cases[i].msg, detail);
	}
	/* A small buffer is cut, still terminated. */
	jobreq_explain(
	    "'accels_per_node' must be 1 to 64", small, sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1 &&
	          strncmp(small, "--accel", 7) == 0,
	    "explain: %s: %s", "small buffer", small);
}

/* The command line may hold more words than a few options. */
static void
test_submit_long(void)
{
	char *argv[ARGS_MAX_POS + 8], err[256];
	struct args a;
	json_t *body = NULL;
	int argc = 0, i, r;

	argv[argc++] = "--nodes";
	argv[argc++] = "1";
	argv[argc++] = "--time";
	argv[argc++] = "1h";
	argv[argc++] = "--";
	for (i = 0; i < 200; i++)
		argv[argc++] = "w";
	err[0] = '\0';
	r = args_parse(
	    argc, argv, jobreq_opts, JOBREQ_NOPTS, 0, &a, err, sizeof(err));
	if (r == 0)
		body = jobreq_body(&a, err, sizeof(err));
	CHECK(body != NULL &&
	          json_array_size(json_object_get(body, "command")) == 200,
	    "submit: %s: %s", "200 words", err);
	json_decref(body);
}

/* --- node lists and accelerator ranges -------------------------------- */

/* Per case: name; the "nodes" array of a job as JSON; the list expected. */
static const struct {
	const char *name;
	const char *json;
	const char *want;
} nodelist_cases[] = {
    {"none", "[]", ""},
    {"single", "[\"pod01-n001\"]", "pod01-n001"},
    {"range", "[\"pod01-n001\",\"pod01-n002\",\"pod01-n003\",\"pod01-n004\"]",
        "pod01-n[001-004]"},
    {"gaps",
        "[\"pod01-n001\",\"pod01-n002\",\"pod01-n003\",\"pod01-n005\","
        "\"pod01-n007\",\"pod01-n008\"]",
        "pod01-n[001-003,005,007-008]"},
    {"unsorted",
        "[\"pod01-n004\",\"pod01-n002\",\"pod01-n001\",\"pod01-n003\"]",
        "pod01-n[001-004]"},
    {"several pods",
        "[\"pod02-n001\",\"pod01-n127\",\"pod01-n128\",\"pod02-n002\","
        "\"pod03-n064\"]",
        "pod01-n[127-128],pod02-n[001-002],pod03-n064"},
    {"carry keeps padding", "[\"pod01-n099\",\"pod01-n100\",\"pod01-n101\"]",
        "pod01-n[099-101]"},
    {"not strings skipped", "[\"pod01-n001\",null,7,\"pod01-n002\"]",
        "pod01-n[001-002]"},
    {"not an array", "{}", ""},
};

static void
test_nodelist(void)
{
	char detail[256], *got;
	json_t *arr;
	size_t i;

	for (i = 0; i < sizeof(nodelist_cases) / sizeof(nodelist_cases[0]);
	     i++) {
		arr = json_loads(nodelist_cases[i].json, 0, NULL);
		got = arr != NULL ? fmt_nodelist(arr) : NULL;
		snprintf(detail, sizeof(detail), "got '%s', want '%s'",
		    got != NULL ? got : "NULL", nodelist_cases[i].want);
		CHECK(got != NULL && strcmp(got, nodelist_cases[i].want) == 0,
		    "nodelist: %s: %s", nodelist_cases[i].name, detail);
		free(got);
		json_decref(arr);
	}
}

/* A whole pod of 128 nodes, given backwards, is one range. */
static void
test_nodelist_pod(void)
{
	json_t *arr = json_array();
	char name[16], *got;
	int i;

	for (i = 128; i >= 1; i--) {
		snprintf(name, sizeof(name), "pod01-n%03d", i);
		json_array_append_new(arr, json_string(name));
	}
	got = fmt_nodelist(arr);
	CHECK(got != NULL && strcmp(got, "pod01-n[001-128]") == 0,
	    "nodelist: %s: %s", "whole pod", got != NULL ? got : "NULL");
	free(got);
	json_decref(arr);
}

#define MAX_NUMS 12

/* Per case: name; the numbers; how many; buffer size; text expected. */
static const struct {
	const char *name;
	int64_t v[MAX_NUMS];
	size_t n;
	size_t size;
	const char *want;
} ranges_cases[] = {
    {"none", {0}, 0, 32, ""},
    {"one", {3}, 1, 32, "3"},
    {"all eight", {0, 1, 2, 3, 4, 5, 6, 7}, 8, 32, "0-7"},
    {"gap", {0, 1, 2, 3, 5}, 5, 32, "0-3,5"},
    {"pairs", {0, 1, 4, 5}, 4, 32, "0-1,4-5"},
    {"singles", {0, 2, 4}, 3, 32, "0,2,4"},
    {"unsorted with duplicates", {5, 3, 0, 2, 1, 3}, 6, 32, "0-3,5"},
    {"large", {62, 63, 1000000007}, 3, 32, "62-63,1000000007"},
    {"exactly fits", {0, 1, 2, 3, 5}, 5, 6, "0-3,5"},
    {"cut", {0, 2, 4, 6, 8, 10}, 6, 8, "0,2..."},
    {"cut at once", {10, 12}, 2, 4, "..."},
};

static void
test_ranges(void)
{
	char buf[64], detail[128];
	const char *got;
	size_t i;

	for (i = 0; i < sizeof(ranges_cases) / sizeof(ranges_cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		got = fmt_ranges(buf, ranges_cases[i].size, ranges_cases[i].v,
		    ranges_cases[i].n);
		snprintf(detail, sizeof(detail), "got '%s'", buf);
		CHECK(got == buf && strcmp(buf, ranges_cases[i].want) == 0 &&
		          strlen(buf) < ranges_cases[i].size,
		    "ranges: %s: %s", ranges_cases[i].name, detail);
	}
}

/* --- energy and times -------------------------------------------------- */

static const struct {
	const char *json;
	const char *want;
} energy_cases[] = {
    {"{\"e\":0}", "0.0 J"},
    {"{\"e\":123.4}", "123.4 J"},
    {"{\"e\":999}", "999.0 J"},
    {"{\"e\":1000}", "1.0 kJ"},
    {"{\"e\":45300}", "45.3 kJ"},
    {"{\"e\":2100000}", "2.1 MJ"},
    {"{\"e\":3600000}", "1.0 kWh"},
    {"{\"e\":45000000}", "12.5 kWh"},
    {"{\"e\":1.152e10}", "3.2 MWh"},
    {"{\"e\":null}", "-"},
    {"{\"e\":\"x\"}", "-"},
    {"{}", "-"},
};

static void
test_energy(void)
{
	char buf[32], detail[96];
	json_t *obj;
	size_t i;

	for (i = 0; i < sizeof(energy_cases) / sizeof(energy_cases[0]); i++) {
		obj = json_loads(energy_cases[i].json, 0, NULL);
		fmt_energy(buf, sizeof(buf), obj, "e");
		snprintf(detail, sizeof(detail), "got '%s', want '%s'", buf,
		    energy_cases[i].want);
		CHECK(obj != NULL && strcmp(buf, energy_cases[i].want) == 0,
		    "energy: %s: %s", energy_cases[i].json, detail);
		json_decref(obj);
	}
}

#define NOW_MS 1795813503000LL /* 2026-11-27T21:05:03Z */

static void
test_time_ago(void)
{
	json_t *obj = json_loads("{\"t\":\"2026-11-27T21:00:03Z\","
	                         "\"bad\":\"soon\",\"null\":null}",
	    0, NULL);
	char buf[64];

	CHECK(strcmp(fmt_time_ago(buf, sizeof(buf), obj, "t", NOW_MS),
	          "2026-11-27T21:00:03Z (5m00s ago)") == 0,
	    "time ago: %s: %s", "known", buf);
	CHECK(strcmp(fmt_time_ago(buf, sizeof(buf), obj, "bad", NOW_MS),
	          "soon") == 0,
	    "time ago: %s: %s", "not a time", buf);
	CHECK(strcmp(fmt_time_ago(buf, sizeof(buf), obj, "null", NOW_MS),
	          "-") == 0,
	    "time ago: %s: %s", "null", buf);
	json_decref(obj);
}

int
main(void)
{
	test_time();
	test_counts();
	test_submit();
	test_submit_long();
	test_explain();
	test_nodelist();
	test_nodelist_pod();
	test_ranges();
	test_energy();
	test_time_ago();
	return check_summary("cli_jobs_test");
}
