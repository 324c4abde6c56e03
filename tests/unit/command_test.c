/*
 * command_test: the power/command plugin. First its pure parts: the value
 * parser (units, N/A, garbage), the JSON and CSV mapping of
 * plugins/power/command/cmdmap.c (paths, header names, scales, partial
 * records, caps) and the command-line splitting of cmdproc.c. Then the
 * plugin itself, loaded through plugrig as the agent loads it, with
 * tests/integration/fake_smi.py standing in for a vendor's tool: values as
 * the tool prints them, a device missing from one output, a tool that
 * hangs (killed at timeout_ms, its process group with it, said once,
 * values stale after stale_ms, read() never waiting), exits 3, prints
 * garbage or too much, is missing; controls reaching the tool's set
 * commands; the stream mode; every bad key refused with its where; and no
 * child or descriptor left behind.
 *
 * No fixed waits: a test waits on the tool (inotify on its folder, where
 * it notes each run and record) and on its processes (pidfds), each wait
 * bounded by a deadline.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pod/plugin_util.h>

#include "check.h"
#include "cmdmap.h"
#include "cmdproc.h"
#include "plugrig.h"

#ifndef FAKE_SMI
#define FAKE_SMI "../integration/fake_smi.py"
#endif

static char state[256]; /* the fake tool's folder */

/* ---- the pure parts ---- */

static const struct {
	const char *in;
	int rc;
	double v;
} value_cases[] = {
    {"250.00 W", 1, 250.0},
    {"1410 MHz", 1, 1410},
    {" 45 %", 1, 45},
    {"1024 MiB", 1, 1024},
    {"45C", 1, 45},
    {"1e3", 1, 1000},
    {"-3.5", 1, -3.5},
    {"[N/A]", 0, 0},
    {"N/A", 0, 0},
    {"[Not Supported]", 0, 0},
    {"", 0, 0},
    {"  ", 0, 0},
    {"abc", -1, 0},
    {"12abc", -1, 0},
    {"12 W W", -1, 0},
    {"nan", -1, 0},
    {"inf", -1, 0},
    {"123456789012345678901234567890123456789012345678901234567890123456789",
        -1, 0},
};

static int
case_values(void)
{
	double d;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(value_cases); i++) {
		d = 0;
		rc = cmdmap_value(
		    value_cases[i].in, strlen(value_cases[i].in), &d);
		CHECK(rc == value_cases[i].rc, "'%s': rc %d", value_cases[i].in,
		    rc);
		if (rc == 1)
			CHECK(d == value_cases[i].v, "'%s': %g",
			    value_cases[i].in, d);
	}
	return 0;
}

static void
json_map(struct cmdmap *m)
{
	cmdmap_init(m);
	snprintf(m->devices, sizeof(m->devices), "data.gpus");
	snprintf(m->name[CMDMAP_INDEX], CMDMAP_NAME_MAX, "index");
	snprintf(m->name[CMDMAP_POWER], CMDMAP_NAME_MAX, "power_draw");
	snprintf(m->name[CMDMAP_TEMP], CMDMAP_NAME_MAX, "temperature.gpu");
	snprintf(m->name[CMDMAP_CLOCK], CMDMAP_NAME_MAX, "clocks.sm");
	snprintf(m->name[CMDMAP_UTIL], CMDMAP_NAME_MAX, "util");
	snprintf(m->name[CMDMAP_ENERGY], CMDMAP_NAME_MAX, "energy_mj");
	m->scale[CMDMAP_ENERGY] = 0.001;
}

static int
case_json(void)
{
	static const char out[] =
	    "{\"data\": {\"gpus\": ["
	    "{\"index\": 1, \"power_draw\": 250.5, \"temperature.gpu\": 45,"
	    " \"clocks\": {\"sm\": \"1410 MHz\"}, \"util\": \"45 %\","
	    " \"energy_mj\": 123456},"
	    "{\"index\": 0, \"power_draw\": \"N/A\", \"temperature.gpu\": null,"
	    " \"clocks\": {\"sm\": \"fast\"}, \"util\": [1]}]}}";
	struct cmdmap m;
	struct cmdmap_rec rec[4];
	char err[128];
	int n, more;

	json_map(&m);
	n = cmdmap_parse(&m, out, strlen(out), rec, 4, &more, err, sizeof(err));
	REQUIRE(n == 2, "n %d: %s", n, err);
	CHECK(more == 0);
	CHECK(rec[0].index == 1 && rec[1].index == 0);
	CHECK(rec[0].valid == (POD_F_POWER | POD_F_TEMP | POD_F_CLOCK |
	                          POD_F_UTIL | POD_F_ENERGY),
	    "valid %#x", rec[0].valid);
	CHECK(rec[0].v[CMDMAP_POWER] == 250.5 && rec[0].v[CMDMAP_TEMP] == 45 &&
	      rec[0].v[CMDMAP_CLOCK] == 1410 && rec[0].v[CMDMAP_UTIL] == 45);
	CHECK(fabs(rec[0].v[CMDMAP_ENERGY] - 123.456) < 1e-9);
	CHECK(rec[0].bad[0] == '\0', "%s", rec[0].bad);
	/* N/A and null absent, garbage absent and said */
	CHECK(rec[1].valid == 0, "valid %#x", rec[1].valid);
	CHECK(
	    strstr(rec[1].bad, "clock_mhz: 'fast'") != NULL, "%s", rec[1].bad);
	/* the cap */
	n = cmdmap_parse(&m, out, strlen(out), rec, 1, &more, err, sizeof(err));
	CHECK(n == 1 && more == 1, "n %d more %d", n, more);
	/* not JSON, no array at the path */
	n = cmdmap_parse(&m, "{\"data\": ", 9, rec, 4, &more, err, sizeof(err));
	CHECK(n == -1 && strstr(err, "not JSON") != NULL, "%d %s", n, err);
	n = cmdmap_parse(
	    &m, "{\"gpus\": []}", 12, rec, 4, &more, err, sizeof(err));
	CHECK(n == -1 && strstr(err, "no device array at 'data.gpus'"), "%s",
	    err);
	/* a top-level array, and one device as an object */
	snprintf(m.devices, sizeof(m.devices), ".");
	n = cmdmap_parse(&m, "[{\"power_draw\": 7}, {\"power_draw\": 8}]", 38,
	    rec, 4, &more, err, sizeof(err));
	CHECK(n == 2 && rec[1].v[CMDMAP_POWER] == 8 && rec[1].index == -1,
	    "n %d: %s", n, err);
	n = cmdmap_parse(
	    &m, "{\"power_draw\": 9}", 17, rec, 4, &more, err, sizeof(err));
	CHECK(n == 1 && rec[0].v[CMDMAP_POWER] == 9, "n %d", n);
	n = cmdmap_parse(&m, "[3]", 3, rec, 4, &more, err, sizeof(err));
	CHECK(n == 1 && strstr(rec[0].bad, "not an object"), "%s", rec[0].bad);
	return 0;
fail:
	return -1;
}

static int
case_csv(void)
{
	static const char out[] =
	    "index, power.draw [W], temperature.gpu, clocks.sm [MHz]\n"
	    "0, 250.50 W, 45, 1410 MHz\r\n"
	    "1, [N/A], \"46\", 1300 MHz\n"
	    "\n"
	    "2, 100 W\n";
	struct cmdmap m;
	struct cmdmap_rec rec[4];
	struct cmdmap_cols cols;
	char err[128];
	int n, more;

	cmdmap_init(&m);
	m.format = CMDMAP_CSV;
	snprintf(m.name[CMDMAP_INDEX], CMDMAP_NAME_MAX, "index");
	snprintf(m.name[CMDMAP_POWER], CMDMAP_NAME_MAX, "power.draw");
	snprintf(m.name[CMDMAP_TEMP], CMDMAP_NAME_MAX, "temperature.gpu");
	m.column[CMDMAP_CLOCK] = 4;
	m.scale[CMDMAP_POWER] = 2;
	n = cmdmap_parse(&m, out, strlen(out), rec, 4, &more, err, sizeof(err));
	REQUIRE(n == 3, "n %d: %s", n, err);
	CHECK(rec[0].index == 0 && rec[0].v[CMDMAP_POWER] == 501.0 &&
	      rec[0].v[CMDMAP_TEMP] == 45 && rec[0].v[CMDMAP_CLOCK] == 1410);
	CHECK(rec[1].valid == (POD_F_TEMP | POD_F_CLOCK), "%#x", rec[1].valid);
	CHECK(rec[1].bad[0] == '\0', "%s", rec[1].bad);
	CHECK(rec[2].index == 2 && rec[2].valid == POD_F_POWER &&
	          strstr(rec[2].bad, "partial record") != NULL,
	    "%s", rec[2].bad);
	/* a header without the named column */
	snprintf(m.name[CMDMAP_UTIL], CMDMAP_NAME_MAX, "utilization.gpu");
	n = cmdmap_parse(&m, out, strlen(out), rec, 4, &more, err, sizeof(err));
	CHECK(n == -1 && strstr(err, "no column 'utilization.gpu'"), "%s", err);
	m.name[CMDMAP_UTIL][0] = '\0';
	/* garbage: no line is a record with a value */
	n = cmdmap_parse(&m,
	    "index, power.draw [W], temperature.gpu, clocks.sm\n"
	    "Segmentation fault\n%%&&**\n",
	    75, rec, 4, &more, err, sizeof(err));
	CHECK(n == -1, "n %d", n);
	/* the cap */
	n = cmdmap_parse(&m, out, strlen(out), rec, 2, &more, err, sizeof(err));
	CHECK(n == 2 && more == 1, "n %d more %d", n, more);
	/* columns by number, no header; a stream repeating its header */
	cmdmap_init(&m);
	m.format = CMDMAP_CSV;
	m.header = 0;
	m.column[CMDMAP_POWER] = 2;
	n = cmdmap_parse(
	    &m, "a,7 W\nb,8 W\n", 12, rec, 4, &more, err, sizeof(err));
	CHECK(n == 2 && rec[1].v[CMDMAP_POWER] == 8, "n %d", n);
	m.header = 1;
	snprintf(m.name[CMDMAP_INDEX], CMDMAP_NAME_MAX, "index");
	memset(&cols, 0, sizeof(cols));
	CHECK(cmdmap_csv_line(&m, &cols, "index, p", 8, rec, err, 128) == 0);
	CHECK(cmdmap_csv_line(&m, &cols, "3, 9 W", 6, rec, err, 128) == 1 &&
	      rec[0].index == 3 && rec[0].v[CMDMAP_POWER] == 9);
	CHECK(cmdmap_csv_line(&m, &cols, "index, p", 8, rec, err, 128) == 0);
	return 0;
fail:
	return -1;
}

static const struct {
	const char *line;
	int argc;
	const char *last;
} split_cases[] = {
    {"npu-smi info -t power -i 0", 6, "0"},
    {"  sh -c \"vendor-smi | head -1\"  ", 3, "vendor-smi | head -1"},
    {"a \"b \\\"c\\\" d\"", 2, "b \"c\" d"},
    {"a\"b c\"d", 1, "ab cd"},
    {"a \"b", -1, NULL},
    {"   ", -1, NULL},
};

static int
case_split(void)
{
	struct cmdproc_argv a;
	char err[64];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(split_cases); i++) {
		rc = cmdproc_split(split_cases[i].line, &a, err, sizeof(err));
		if (split_cases[i].argc < 0) {
			CHECK(rc == -1, "'%s'", split_cases[i].line);
			continue;
		}
		CHECK(
		    rc == 0 && a.argc == split_cases[i].argc &&
		        strcmp(a.argv[a.argc - 1], split_cases[i].last) == 0 &&
		        a.argv[a.argc] == NULL,
		    "'%s': rc %d argc %d", split_cases[i].line, rc, a.argc);
	}
	return 0;
}

/* ---- the plugin with the fake tool ---- */

static void
put(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", state, name);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

/* Lines of the fake tool's file `name` that contain needle. */
static int
lines_with(const char *name, const char *needle)
{
	char path[512], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", state, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return n;
}

/* ---- waiting on the fake tool ----
 *
 * What read() returns changes when the tool does something: a run starts
 * (it appends "COMMAND PID" to runs.log as it starts, and the plugin's run
 * before it is then done with: one child at a time), a stream prints a
 * record (records.log), a set is applied (sets.log); values also age out,
 * while the tool keeps being run. So a wait blocks until the tool writes
 * in its folder (inotify), looks at its condition again, and gives up at
 * its deadline. A script watched with watch_exec() counts the times it
 * was opened to be run, for a tool that never gets to write anything. */
static int watch_fd = -1;
static int watch_exec_wd = -1; /* the script watch_exec() watches, or -1 */
static int exec_tries;         /* times that script was opened */

static int
watch_init(void)
{
	if ((watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	return inotify_add_watch(watch_fd, state,
	           IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO) == -1
	           ? -1
	           : 0;
}

/* Counts the times path is opened (execve() opens a script it runs), in
 * exec_tries; NULL stops. The opens alternate with closes in the queue,
 * so that none is merged with the one before. */
static int
watch_exec(const char *path)
{
	if (watch_exec_wd != -1)
		inotify_rm_watch(watch_fd, watch_exec_wd);
	watch_exec_wd = -1;
	exec_tries = 0;
	if (path != NULL && (watch_exec_wd = inotify_add_watch(watch_fd, path,
	                         IN_OPEN | IN_CLOSE_NOWRITE)) == -1)
		return -1;
	return 0;
}

/* Blocks until the tool writes in its folder, or the watched script is
 * opened, or until end_ms (monotonic). 1 woken by one, 0 at end_ms. */
static int
tool_acts(int64_t end_ms)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	struct pollfd p = {.fd = watch_fd, .events = POLLIN};
	int64_t left = end_ms - pod_clock_ms(CLOCK_MONOTONIC);
	ssize_t n;
	char *q;

	if (left <= 0 || poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left) != 1)
		return 0;
	while ((n = read(watch_fd, buf, sizeof(buf))) > 0)
		for (q = buf; q < buf + n; q += sizeof(*e) + e->len) {
			e = (const struct inotify_event *)q;
			if (e->wd == watch_exec_wd && (e->mask & IN_OPEN))
				exec_tries++;
		}
	return 1;
}

/* Runs of the tool as `what` ("query", "set-clock", "stream") so far. */
static int
tool_runs(const char *what)
{
	return lines_with("runs.log", what);
}

static const char two_devs[] =
    "[{\"index\": 0, \"power_w\": 250.5, \"temp_c\": 45, \"clock_mhz\": 1410,"
    " \"util_pct\": 40, \"mem_used_mib\": 1024, \"energy_mj\": 5000000},"
    " {\"index\": 1, \"power_w\": 300.0, \"temp_c\": null, \"clock_mhz\": "
    "1300, \"util_pct\": 90, \"mem_used_mib\": 2048, \"energy_mj\": 9000000}]";

static void
reset_state(void)
{
	put("devices.json", two_devs);
	put("mode", "normal");
	put("set_mode", "normal");
	put("sets.log", "");
	put("hung.pids", "");
}

static char cmd_json[600], cmd_csv[600], cmd_stream[600], set_clock[600],
    set_power[600];

static void
make_commands(void)
{
	snprintf(cmd_json, sizeof(cmd_json),
	    "command=/usr/bin/python3 %s --state %s --format json query",
	    FAKE_SMI, state);
	snprintf(cmd_csv, sizeof(cmd_csv),
	    "command=/usr/bin/python3 %s --state %s --format csv query",
	    FAKE_SMI, state);
	snprintf(cmd_stream, sizeof(cmd_stream),
	    "command=/usr/bin/python3 %s --state %s --format csv "
	    "--interval-ms 100 stream",
	    FAKE_SMI, state);
	snprintf(set_clock, sizeof(set_clock),
	    "set_clock=/usr/bin/python3 %s --state %s set-clock {index} {mhz}",
	    FAKE_SMI, state);
	snprintf(set_power, sizeof(set_power),
	    "set_power_limit=python3 %s --state %s set-power {index} {watts}",
	    FAKE_SMI, state);
}

/* The JSON keys for fake_smi.py's output, then `more`. */
static const char *const json_keys[] = {
    "format=json", "json_devices=data.gpus", "field.index=index",
    "field.power_w=power_draw", "field.temp_c=temperature.gpu",
    "field.clock_mhz=clocks.sm", "field.util_pct=util",
    "field.mem_used_mib=memory_used_mib", "field.energy_j=energy_mj",
    "scale.energy_j=0.001", "period_ms=100", "stale_ms=1500",
    "timeout_ms=1000", /* last: left out by some cases */
};

static const char *const csv_keys[] = {
    "format=csv", "column.index=1", "column.power_w=power.draw",
    "column.temp_c=temperature.gpu", "column.clock_mhz=clocks.sm",
    "period_ms=100", "stale_ms=1500",
    "timeout_ms=1000", /* last: left out by some cases */
};

/* kv: command, base keys, extra keys (NULL-terminated), into out. */
static void
keys(const char **out, const char *command, const char *const *base,
    size_t nbase, const char *const *extra)
{
	size_t i, n = 0;

	out[n++] = command;
	for (i = 0; i < nbase; i++)
		out[n++] = base[i];
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		out[n++] = extra[i];
	out[n] = NULL;
}

typedef int (*pred_fn)(
    const struct plugrig *r, const struct pod_sample *s, const void *arg);

/* Reads, and again each time the tool does something (tool_acts), until
 * pred holds, for up to timeout_ms; 1 when it did. The longest read()
 * seen goes to *slowest_ms when given. */
static int
wait_read(struct plugrig *r, struct pod_sample *s, pred_fn pred,
    const void *arg, int timeout_ms, int64_t *slowest_ms)
{
	int64_t end = pod_clock_ms(CLOCK_MONOTONIC) + timeout_ms, t0, dt;

	for (;;) {
		t0 = pod_clock_ms(CLOCK_MONOTONIC);
		plugrig_read(r, t0, s);
		dt = pod_clock_ms(CLOCK_MONOTONIC) - t0;
		if (slowest_ms != NULL && dt > *slowest_ms)
			*slowest_ms = dt;
		if (pred(r, s, arg))
			return 1;
		if (pod_clock_ms(CLOCK_MONOTONIC) >= end)
			return 0;
		tool_acts(end);
	}
}

static int
has_power(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	const double *want = a;
	int i;

	for (i = 0; i < r->ndev; i++)
		if (!(s[i].valid & POD_F_POWER) ||
		    fabs(s[i].power_w - want[i]) > 1e-6)
			return 0;
	return 1;
}

static int
all_invalid(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	int i;

	(void)a;
	for (i = 0; i < r->ndev; i++)
		if (s[i].valid != 0)
			return 0;
	return 1;
}

static int
dev1_gone(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	(void)a;
	return r->ndev == 2 && s[1].valid == 0 && (s[0].valid & POD_F_POWER);
}

static int
logged(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	(void)s;
	return plugrig_logged(r, a) > 0;
}

struct runs {
	const char *what; /* as tool_runs() */
	int n;
};

/* The tool has been run as a->what at least a->n times. */
static int
ran(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	const struct runs *w = a;

	(void)r;
	(void)s;
	return tool_runs(w->what) >= w->n;
}

/* The watched script has been tried at least *a times. */
static int
tried(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	(void)r;
	(void)s;
	return exec_tries >= *(const int *)a;
}

/* Children of this process that are zombies, or any still alive when
 * `alive` (the tool's children that outlived their run). */
static int
children(int alive)
{
	char path[300], buf[512], *p;
	struct dirent *e;
	DIR *d;
	FILE *f;
	int n = 0, ppid;
	char st;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %d", &st, &ppid) == 2 &&
		    ppid == getpid() && (alive || st == 'Z'))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int
open_fds(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The pids fake_smi.py wrote to hung.pids: all gone (or zombies of init). */
static int
hung_gone(void)
{
	char path[512], buf[64];
	FILE *f, *s;
	int a, b, left = 0;
	char st;

	snprintf(path, sizeof(path), "%s/hung.pids", state);
	if ((f = fopen(path, "r")) == NULL)
		return 1;
	while (fscanf(f, "%d %d", &a, &b) == 2) {
		int pids[2] = {a, b};
		for (int i = 0; i < 2; i++) {
			snprintf(buf, sizeof(buf), "/proc/%d/stat", pids[i]);
			if ((s = fopen(buf, "r")) == NULL)
				continue;
			if (fscanf(s, "%*d (%*[^)]) %c", &st) == 1 && st != 'Z')
				left++;
			fclose(s);
		}
	}
	fclose(f);
	return left == 0;
}

/* Waits until each pid in hung.pids has ended (its pidfd is readable once
 * it has, a zombie included), or until end_ms; then hung_gone(). Its own
 * pidfds closed. */
static int
wait_hung_gone(int64_t end_ms)
{
	char path[512];
	struct pollfd p = {.events = POLLIN};
	int64_t left;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/hung.pids", state);
	if ((f = fopen(path, "r")) == NULL)
		return hung_gone();
	while (fscanf(f, "%d", &pid) == 1) {
		if ((p.fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
			continue; /* gone already */
		left = end_ms - pod_clock_ms(CLOCK_MONOTONIC);
		if (left > 0)
			poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		close(p.fd);
	}
	fclose(f);
	return hung_gone();
}

static int
case_json_values(void)
{
	const char *kv[32];
	static const double want[] = {250.5, 300.0};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	double e0;

	reset_state();
	keys(kv, cmd_json, json_keys, NELEM(json_keys), NULL);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0, "open");
	REQUIRE(r.ndev == 2, "ndev %d", r.ndev);
	CHECK(strcmp(r.dev[0].name, "accel0") == 0 &&
	      r.dev[1].domain == POD_DOMAIN_ACCEL && r.dev[1].index == 1);
	CHECK((r.dev[0].caps & (POD_F_POWER | POD_F_ENERGY | POD_F_MEM)) ==
	      (POD_F_POWER | POD_F_ENERGY | POD_F_MEM));
	CHECK(!(r.dev[0].caps & (POD_CTL_CLOCK | POD_CTL_POWER_LIMIT)),
	    "no control without its command");
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "values");
	CHECK(s[0].temp_c == 45 && s[0].clock_mhz == 1410 &&
	      s[0].util_pct == 40 && s[0].mem_used_mib == 1024);
	CHECK(!(s[1].valid & POD_F_TEMP), "null is absent");
	CHECK(s[1].t_ms > 0);
	/* the tool's energy counter, rebased at start, follows it */
	CHECK((s[0].valid & POD_F_ENERGY) && s[0].energy_j == 0, "%g",
	    s[0].energy_j);
	put("devices.json",
	    "[{\"index\": 0, \"power_w\": 251.5, \"energy_mj\": 5100000},"
	    " {\"index\": 1, \"power_w\": 301.0, \"energy_mj\": 8000000}]");
	REQUIRE(
	    wait_read(&r, s, has_power, (double[]){251.5, 301.0}, 5000, NULL),
	    "new values");
	CHECK(fabs(s[0].energy_j - 100.0) < 1e-6, "%g", s[0].energy_j);
	e0 = s[1].energy_j;
	CHECK(e0 == 0, "a counter that goes back is rebased: %g", e0);
	CHECK(!(s[0].valid & POD_F_TEMP), "a field gone is absent at once");
	CHECK(plugrig_logged(&r, "2 accelerators, oneshot JSON") == 1);
fail:
	if (check_failed != check_case_failed)
		plugrig_dump(&r);
	plugrig_close(&r);
	return 0;
}

static int
case_csv_missing_device(void)
{
	const char *kv[32];
	static const double want[] = {250.5, 300.0};
	static const char *const extra[] = {"accels=2", NULL};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	double e1;
	int i;

	reset_state();
	keys(kv, cmd_csv, csv_keys, NELEM(csv_keys), extra);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0, "open");
	REQUIRE(r.ndev == 2);
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "values");
	CHECK(s[0].clock_mhz == 1410 && s[0].temp_c == 45);
	CHECK(!(s[1].valid & POD_F_TEMP), "[N/A] is absent");
	/* energy integrated from power, never going back */
	e1 = s[1].energy_j;
	put("devices.json", "[{\"index\": 0, \"power_w\": 250.5}]");
	for (i = 0; i < 3; i++)
		REQUIRE(wait_read(&r, s, dev1_gone, NULL, 5000, NULL),
		    "device 1 gone");
	CHECK(s[0].energy_j > 0, "%g", s[0].energy_j);
	CHECK(plugrig_logged(&r, "accel1: missing from the output") == 1);
	put("devices.json", two_devs);
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "back");
	CHECK(s[1].energy_j >= e1, "%g < %g", s[1].energy_j, e1);
	REQUIRE(wait_read(
	    &r, s, logged, "accel1: readings whole again", 2000, NULL));
	CHECK(plugrig_logged(&r, "accel1: readings whole again") == 1);
	/* a partial output: the cut record says so, once */
	put("mode", "partial");
	REQUIRE(wait_read(&r, s, logged, "partial record", 3000, NULL));
	put("mode", "normal");
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "whole again");
	CHECK(plugrig_logged(&r, "partial record") == 1);
fail:
	if (check_failed != check_case_failed)
		plugrig_dump(&r);
	plugrig_close(&r);
	return 0;
}

/* One kind of trouble: mode `mode` said as `said` once while the plugin
 * keeps sampling, values stale after stale_ms, recovery said once. */
static int
trouble(const char *mode, const char *said, int stale)
{
	const char *kv[32];
	static const double want[] = {250.5, 300.0};
	static const char *const extra[] = {
	    "timeout_ms=400", "max_output_bytes=65536", NULL};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	int64_t slowest = 0, t0;
	int n;

	reset_state();
	keys(kv, cmd_json, json_keys, NELEM(json_keys) - 1, extra);
	REQUIRE(
	    plugrig_open(&r, "power", "command", "n1", kv) == 0, "%s", mode);
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "values");
	put("mode", mode);
	t0 = pod_clock_ms(CLOCK_MONOTONIC);
	REQUIRE(
	    wait_read(&r, s, logged, said, 5000, &slowest), "%s said", mode);
	if (stale) {
		REQUIRE(wait_read(&r, s, all_invalid, NULL, 5000, &slowest),
		    "%s: stale", mode);
		CHECK(pod_clock_ms(CLOCK_MONOTONIC) - t0 >= 1500 - 400,
		    "%s: invalid before stale_ms", mode);
	}
	/* a few more runs fail the same way: still said once (the third
	 * starting, the two before it are done with) */
	n = tool_runs("query");
	REQUIRE(wait_read(
	            &r, s, ran, &(struct runs){"query", n + 3}, 5000, &slowest),
	    "%s: more runs", mode);
	plugrig_read(&r, 0, s);
	CHECK(plugrig_logged(&r, said) == 1, "%s: said %d times", mode,
	    plugrig_logged(&r, said));
	CHECK(
	    slowest < 100, "%s: read() took %lld ms", mode, (long long)slowest);
	put("mode", "normal");
	REQUIRE(
	    wait_read(&r, s, has_power, want, 5000, NULL), "%s: back", mode);
	REQUIRE(wait_read(
	    &r, s, logged, "fake_smi.py: readings again", 2000, NULL));
	CHECK(plugrig_logged(&r, "readings again") == 1);
fail:
	plugrig_close(&r);
	CHECK(children(0) == 0, "%s: zombies left", mode);
	CHECK(children(1) == 0, "%s: children left", mode);
	if (check_failed != check_case_failed)
		plugrig_dump(&r);
	return 0;
}

static int
case_hang(void)
{
	int fds = open_fds();

	trouble("hang", "fake_smi.py: timed out after 400 ms: killed", 1);
	/* the tool's own child went with its process group */
	CHECK(wait_hung_gone(pod_clock_ms(CLOCK_MONOTONIC) + 3000),
	    "the hung tool's group is still there");
	CHECK(lines_with("hung.pids", " ") > 0, "the tool never hung");
	CHECK(open_fds() == fds, "descriptors: %d then %d", fds, open_fds());
	return 0;
}

static int
case_exit3(void)
{
	return trouble("exit3",
	    "fake_smi.py: exited with status 3: error: driver not loaded", 1);
}

static int
case_garbage(void)
{
	return trouble("garbage", "fake_smi.py: output is not JSON", 1);
}

static int
case_big(void)
{
	return trouble("big", "printed more than max_output_bytes (65536)", 1);
}

/* A tool that cannot be run: vendor-smi, a script whose #! line names
 * /no/such/vendor-smi, so that execve() fails with ENOENT as for any
 * missing tool, and each try shows as the kernel opening the script. */
static int
case_missing_tool(void)
{
	char script[300], command[320], said[400];
	const char *kv[] = {command, "field.power_w=p", "accels=1",
	    "period_ms=100", "stale_ms=500", NULL};
	static const char *const kv2[] = {
	    "command=no-such-vendor-smi -q", "field.power_w=p", NULL};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	FILE *f;
	int n;

	snprintf(script, sizeof(script), "%s/vendor-smi", state);
	snprintf(command, sizeof(command), "command=%s -q", script);
	snprintf(said, sizeof(said), "cannot run %s: No such file or directory",
	    script);
	if ((f = fopen(script, "w")) != NULL) {
		fputs("#!/no/such/vendor-smi\n", f);
		fclose(f);
	}
	if (!CHECK(f != NULL && chmod(script, 0755) == 0 &&
	               watch_exec(script) == 0,
	        "%s", script))
		return 0;
	/* accels given: the agent starts, the trouble is said once */
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0);
	REQUIRE(wait_read(&r, s, logged, said, 3000, NULL));
	/* a few more tries fail the same way: still said once */
	n = exec_tries + 3;
	REQUIRE(
	    wait_read(&r, s, tried, &n, 3000, NULL), "tries: %d", exec_tries);
	plugrig_read(&r, 0, s);
	CHECK(plugrig_logged(&r, "cannot run") == 1);
	CHECK(s[0].valid == 0);
	plugrig_close(&r);
	/* found at start: init says why and how to start anyway */
	CHECK(plugrig_open(&r, "power", "command", "n1", kv2) == -1);
	CHECK(plugrig_logged(&r, "test.conf:1: no-such-vendor-smi: finding "
	                         "the devices: cannot run no-such-vendor-smi: "
	                         "not found in PATH (accels = N") == 1);
fail:
	plugrig_dump(&r);
	plugrig_close(&r);
	watch_exec(NULL);
	return 0;
}

static int
sets_logged(const struct plugrig *r, const struct pod_sample *s, const void *a)
{
	(void)r;
	(void)s;
	return lines_with("sets.log", a) > 0;
}

static int
case_controls(void)
{
	const char *kv[32];
	static const char *extra[] = {set_clock, set_power, "clock_min_mhz=600",
	    "clock_max_mhz=1980", "power_min_w=100", "power_max_w=400", NULL};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	struct pod_control c = {0};
	int64_t t0, dt;
	int n;

	reset_state();
	keys(kv, cmd_json, json_keys, NELEM(json_keys), extra);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0);
	CHECK((r.dev[1].caps & (POD_CTL_CLOCK | POD_CTL_POWER_LIMIT)) ==
	      (POD_CTL_CLOCK | POD_CTL_POWER_LIMIT));
	CHECK(r.dev[0].clock_min_mhz == 600 && r.dev[0].power_max_w == 400);
	c.set = POD_CTL_CLOCK;
	c.clock_max_mhz = 1200;
	t0 = pod_clock_ms(CLOCK_MONOTONIC);
	CHECK(r.pl->desc->ops->control(r.ctx, 1, &c) == 0);
	c.set = POD_CTL_POWER_LIMIT;
	c.power_limit_w = 9999; /* clamped to power_max_w */
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == 0);
	dt = pod_clock_ms(CLOCK_MONOTONIC) - t0;
	CHECK(dt < 50, "control() took %lld ms", (long long)dt);
	CHECK(wait_read(&r, s, sets_logged, "clock 1 1200", 5000, NULL));
	CHECK(wait_read(&r, s, sets_logged, "power 0 400", 5000, NULL));
	/* a refused set: said once, however often it is tried */
	put("set_mode", "fail");
	c.set = POD_CTL_CLOCK;
	c.clock_max_mhz = 1000;
	CHECK(r.pl->desc->ops->control(r.ctx, 1, &c) == 0);
	CHECK(wait_read(&r, s, logged,
	    "accel1: set_clock 1000 MHz failed: exited with status 4: set: "
	    "permission denied",
	    5000, NULL));
	n = tool_runs("set-clock");
	CHECK(r.pl->desc->ops->control(r.ctx, 1, &c) == 0);
	/* tried again, and done with: a query started after it */
	CHECK(wait_read(
	    &r, s, ran, &(struct runs){"set-clock", n + 1}, 5000, NULL));
	CHECK(wait_read(&r, s, ran,
	    &(struct runs){"query", tool_runs("query") + 1}, 5000, NULL));
	plugrig_read(&r, 0, s);
	CHECK(plugrig_logged(&r, "set_clock 1000 MHz failed") == 1);
	put("set_mode", "normal");
	CHECK(r.pl->desc->ops->control(r.ctx, 1, &c) == 0);
	CHECK(wait_read(
	    &r, s, logged, "accel1: set_clock works again", 5000, NULL));
	CHECK(lines_with("sets.log", "clock 1 1000") == 1);
	/* no control without its command */
	c.set = POD_CTL_CLOCK;
	plugrig_close(&r);
	keys(kv, cmd_json, json_keys, NELEM(json_keys), NULL);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0);
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == -1);
	CHECK(plugrig_logged(&r, "set_clock is not configured") == 1);
fail:
	if (check_failed != check_case_failed)
		plugrig_dump(&r);
	plugrig_close(&r);
	return 0;
}

static int
case_stream(void)
{
	const char *kv[32];
	static const double want[] = {250.5, 300.0};
	static const char *const extra[] = {
	    "mode=stream", "accels=2", "timeout_ms=500", NULL};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	int64_t slowest = 0;

	reset_state();
	keys(kv, cmd_stream, csv_keys, NELEM(csv_keys) - 1, extra);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0);
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "values");
	put("devices.json",
	    "[{\"index\": 0, \"power_w\": 111.0}, {\"index\": 1, "
	    "\"power_w\": 222.0}]");
	REQUIRE(wait_read(&r, s, has_power, (double[]){111, 222}, 5000, NULL),
	    "the stream's next records");
	put("mode", "hang");
	REQUIRE(
	    wait_read(&r, s, logged, "no record for 500 ms", 5000, &slowest));
	REQUIRE(wait_read(&r, s, all_invalid, NULL, 5000, &slowest), "stale");
	put("mode", "exit3");
	REQUIRE(
	    wait_read(&r, s, logged, "exited with status 3", 8000, &slowest));
	put("mode", "normal");
	REQUIRE(
	    wait_read(&r, s, has_power, (double[]){111, 222}, 10000, &slowest),
	    "restarted");
	/* the values are published before the line is said */
	REQUIRE(wait_read(
	    &r, s, logged, "fake_smi.py: readings again", 2000, &slowest));
	CHECK(plugrig_logged(&r, "no record for 500 ms") == 1);
	CHECK(plugrig_logged(&r, "exited with status 3") == 1);
	CHECK(plugrig_logged(&r, "readings again") == 1);
	CHECK(slowest < 100, "read() took %lld ms", (long long)slowest);
fail:
	if (check_failed != check_case_failed)
		plugrig_dump(&r);
	plugrig_close(&r);
	CHECK(children(1) == 0, "children left");
	return 0;
}

/* A JSON stream: one document per line; a slow oneshot tool (longer
 * than period_ms, shorter than timeout_ms) is no trouble. */
static int
case_stream_json_and_slow(void)
{
	const char *kv[32];
	static const double want[] = {250.5, 300.0};
	static const char *const extra[] = {"mode=stream", "accels=2", NULL};
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	char cmd[600];
	int i, n;

	reset_state();
	snprintf(cmd, sizeof(cmd),
	    "command=/usr/bin/python3 %s --state %s --format json "
	    "--interval-ms 100 stream",
	    FAKE_SMI, state);
	keys(kv, cmd, json_keys, NELEM(json_keys), extra);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0);
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "values");
	CHECK(s[0].temp_c == 45 && (s[0].valid & POD_F_ENERGY));
	plugrig_close(&r);

	put("mode", "slow");
	put("slow_s", "0.4");
	keys(kv, cmd_json, json_keys, NELEM(json_keys), NULL);
	REQUIRE(plugrig_open(&r, "power", "command", "n1", kv) == 0);
	REQUIRE(wait_read(&r, s, has_power, want, 5000, NULL), "slow");
	/* more slow runs, each done with when the next starts: values
	 * throughout, nothing said */
	n = tool_runs("query");
	for (i = 1; i <= 4; i++) {
		REQUIRE(wait_read(&r, s, ran, &(struct runs){"query", n + i},
		            5000, NULL),
		    "slow run %d", i);
		CHECK(has_power(&r, s, want), "slow run %d", i);
	}
	plugrig_read(&r, 0, s);
	CHECK(r.nlog == 1, "only the start said: %d lines", r.nlog);
fail:
	if (check_failed != check_case_failed)
		plugrig_dump(&r);
	plugrig_close(&r);
	return 0;
}

/* Keys refused, each with the line that says why. */
static const struct {
	const char *kv[8];
	const char *said;
} bad_cases[] = {
    {{"command=x", "field.power_w=p", "speed=9", NULL},
        "test.conf:3: speed: unknown key"},
    {{"command=x", "field.power_w=p", "period_ms=fast", NULL},
        "test.conf:3: period_ms: 'fast': want an integer 100..3600000"},
    {{"command=x \"y", NULL}, "test.conf:1: command: a double quote is "
                              "not closed"},
    {{"field.power_w=p", NULL}, "needs command = TOOL"},
    {{"command=x", NULL}, "maps no metric"},
    {{"command=x", "field.power_w=p", "field.power_w=q", NULL},
        "test.conf:3: field.power_w: given twice"},
    {{"command=x", "field.watts=p", NULL},
        "test.conf:2: field.watts: unknown metric"},
    {{"command=x", "format=csv", "field.power_w=p", NULL},
        "test.conf:3: field.power_w: for format = json"},
    {{"command=x", "column.power_w=3", NULL},
        "test.conf:2: column.power_w: for format = csv"},
    {{"command=x", "format=csv", "csv_header=no", "column.power_w=power", NULL},
        "test.conf:4: column.power_w: a header name needs csv_header"},
    {{"command=x", "format=xml", NULL}, "test.conf:2: format: 'xml'"},
    {{"command=x", "field.power_w=p", "scale.power_w=0", NULL},
        "test.conf:3: scale.power_w: '0'"},
    {{"command=x", "field.power_w=p", "set_clock=smi -i {index}", NULL},
        "test.conf:3: set_clock: no {mhz} in the command"},
    {{"command=x", "field.power_w=p", "set_clock=smi {gpu} {mhz}", NULL},
        "test.conf:3: set_clock: {gpu}: unknown placeholder"},
    {{"command=x", "field.power_w=p", "set_clock=smi {mhz}", NULL},
        "test.conf:3: set_clock needs clock_min_mhz and clock_max_mhz"},
    {{"command=x", "field.power_w=p", "set_power_limit=smi {watts}",
         "power_min_w=300", "power_max_w=200", NULL},
        "test.conf:4: power_min_w (300) must be below power_max_w"},
    {{"command=x", "field.power_w=p", "mode=stream", NULL},
        "test.conf:3: mode = stream needs accels = N"},
    {{"command=x", "format=csv", "column.power_w=2", "mode=stream", "accels=4",
         NULL},
        "test.conf:4: mode = stream with CSV needs column.index"},
    {{"command=x", "field.power_w=p", "stale_ms=1000", NULL},
        "test.conf:3: stale_ms (1000) must exceed period_ms (1000)"},
    {{"command=x", "field.power_w=p", "accels=65", NULL},
        "test.conf:3: accels: '65'"},
};

static int
case_bad_keys(void)
{
	struct plugrig r;
	size_t i;

	for (i = 0; i < NELEM(bad_cases); i++) {
		CHECK(plugrig_open(
		          &r, "power", "command", "n1", bad_cases[i].kv) == -1,
		    "case %zu opened", i);
		if (!CHECK(plugrig_logged(&r, bad_cases[i].said) == 1 &&
		               r.nlog == 1,
		        "case %zu: want '%s'", i, bad_cases[i].said))
			plugrig_dump(&r);
		plugrig_close(&r);
	}
	return 0;
}

/* A value its scale takes out of a double's range is garbage, not an
 * infinite reading (found by fuzz_cmdmap: corpus cmdmap/scale-overflow). */
static int
case_scale_overflow(void)
{
	static const char out[] = "mem [GiB], power [W]\n1e308, 1e308 W\n";
	struct cmdmap m;
	struct cmdmap_rec rec[2];
	char err[128];
	int n, more;

	cmdmap_init(&m);
	m.format = CMDMAP_CSV;
	snprintf(m.name[CMDMAP_MEM], CMDMAP_NAME_MAX, "mem");
	snprintf(m.name[CMDMAP_POWER], CMDMAP_NAME_MAX, "power");
	m.scale[CMDMAP_MEM] = 1024;
	n = cmdmap_parse(&m, out, strlen(out), rec, 2, &more, err, sizeof(err));
	REQUIRE(n == 1, "n %d: %s", n, err);
	CHECK(rec[0].valid == POD_F_POWER, "valid %#x", rec[0].valid);
	CHECK(rec[0].v[CMDMAP_POWER] == 1e308);
	CHECK(strcmp(rec[0].bad, "mem_used_mib: '1e308' is out of range") == 0,
	    "%s", rec[0].bad);
	return 0;
fail:
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"values", case_values},
    {"json", case_json},
    {"csv", case_csv},
    {"scale_overflow", case_scale_overflow},
    {"split", case_split},
    {"json_values", case_json_values},
    {"csv_missing_device", case_csv_missing_device},
    {"hang", case_hang},
    {"exit3", case_exit3},
    {"garbage", case_garbage},
    {"big", case_big},
    {"missing_tool", case_missing_tool},
    {"controls", case_controls},
    {"stream", case_stream},
    {"stream_json_and_slow", case_stream_json_and_slow},
    {"bad_keys", case_bad_keys},
};

int
main(int argc, char **argv)
{
	char tmpl[] = "/tmp/command_test.XXXXXX";
	char cmd[300];
	size_t i;

	if (mkdtemp(tmpl) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(state, sizeof(state), "%s", tmpl);
	if (watch_init() == -1) {
		perror("inotify");
		return 1;
	}
	make_commands();
	for (i = 0; i < NELEM(cases); i++)
		if (argc < 2 || strcmp(argv[1], cases[i].name) == 0)
			RUN_CASE(cases[i].name, cases[i].fn());
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state);
	if (system(cmd) != 0)
		printf("could not remove %s\n", state);
	return check_summary("command_test");
}
