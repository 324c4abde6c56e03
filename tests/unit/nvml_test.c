/*
 * nvml_test: the power/nvml plugin against a stand-in libnvidia-ml.so.1
 * (nvml_standin.c, built beside this test, its path in NVML_STANDIN), as
 * the agent loads it: enumeration, readings and energy, a clock cap that
 * picks a supported clock, a power limit in mW, a refused setting said
 * once with what it needs, a lost GPU said once while the others read, no
 * GPU or no driver, a missing library refused with a clear message, and
 * bad keys.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pod/plugin_util.h>

#include "check.h"
#include "plugrig.h"

static char dir[64];        /* the temporary folder */
static char state_path[96]; /* the stand-in's state */
static char log_path[96];   /* settings the stand-in applied */
static const char *libkv = "library=" NVML_STANDIN;

/* Rewrites the stand-in's state file with the given lines. */
static int __attribute__((format(printf, 1, 2))) state(const char *fmt, ...)
{
	va_list ap;
	FILE *f;

	if ((f = fopen(state_path, "w")) == NULL)
		return -1;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f);
}

/* The settings applied so far, into buf (empty when none). */
static const char *
applied(char *buf, size_t size)
{
	size_t n = 0;
	FILE *f;

	buf[0] = '\0';
	if ((f = fopen(log_path, "r")) != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static int
fresh(const char *lines)
{
	unlink(log_path);
	return state("%s", lines);
}

static int
open_rig(struct plugrig *r)
{
	const char *kv[] = {libkv, NULL};

	if (plugrig_open(r, "power", "nvml", "n1", kv) == -1) {
		plugrig_dump(r);
		return -1;
	}
	return 0;
}

static int
case_enumerate(void)
{
	struct plugrig r;
	const struct pod_device *d;
	const uint32_t all = POD_F_POWER | POD_F_ENERGY | POD_F_TEMP |
	                     POD_F_CLOCK | POD_F_UTIL | POD_F_MEM |
	                     POD_CTL_CLOCK | POD_CTL_POWER_LIMIT;
	int i;

	REQUIRE(fresh("gpus 3\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	CHECK(r.ndev == 3, "%d devices", r.ndev);
	CHECK(r.nlog == 0, "%d lines logged", r.nlog);
	for (i = 0; i < r.ndev; i++) {
		d = &r.dev[i];
		CHECK(d->domain == POD_DOMAIN_ACCEL && d->index == i);
		CHECK(d->caps == all, "%s caps %#x", d->name, d->caps);
	}
	d = &r.dev[1];
	CHECK(strcmp(d->name, "accel1") == 0, "name %s", d->name);
	CHECK(strcmp(d->model, "NVIDIA Stand-in 1 80GB") == 0, "model %s",
	    d->model);
	CHECK(d->mem_total_mib == 81920, "mem %g", d->mem_total_mib);
	CHECK(d->power_min_w == 200 && d->power_max_w == 700, "power %g..%g",
	    d->power_min_w, d->power_max_w);
	CHECK(d->tdp_w == 700, "tdp %g", d->tdp_w);
	CHECK(d->clock_min_mhz == 345 && d->clock_max_mhz == 1980,
	    "clock %g..%g", d->clock_min_mhz, d->clock_max_mhz);
	CHECK(d->temp_crit_c == 87, "crit %g", d->temp_crit_c);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_readings(void)
{
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	const uint32_t all = POD_F_POWER | POD_F_ENERGY | POD_F_TEMP |
	                     POD_F_CLOCK | POD_F_UTIL | POD_F_MEM;
	int64_t before;

	REQUIRE(fresh("gpus 2\npower_mw.0 250500\nenergy_mj.0 5000000\n"
	              "no_energy.1 1\npower_mw.1 300000\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	before = pod_clock_ms(CLOCK_REALTIME);
	REQUIRE(plugrig_read(&r, 1000, s) == 0);
	CHECK(s[0].valid == all, "valid %#x", s[0].valid);
	CHECK(s[0].t_ms >= before && s[0].t_ms < before + 60000);
	CHECK(fabs(s[0].power_w - 250.5) < 1e-9, "power %g", s[0].power_w);
	CHECK(s[0].energy_j == 0, "energy %g", s[0].energy_j);
	CHECK(
	    s[1].temp_c == 41 && s[1].clock_mhz == 1755 && s[1].util_pct == 51,
	    "temp %g clock %g util %g", s[1].temp_c, s[1].clock_mhz,
	    s[1].util_pct);
	CHECK(s[1].mem_used_mib == 1025, "mem %g", s[1].mem_used_mib);
	/* the driver's counter, from the first read: 1500 J; GPU 1 has no
	 * counter: 300 W for 2 s */
	REQUIRE(state("gpus 2\npower_mw.0 250500\nenergy_mj.0 6500000\n"
	              "no_energy.1 1\npower_mw.1 300000\n") == 0);
	REQUIRE(plugrig_read(&r, 3000, s) == 0);
	CHECK(fabs(s[0].energy_j - 1500) < 1e-9, "energy %g", s[0].energy_j);
	CHECK(s[1].valid & POD_F_ENERGY);
	CHECK(fabs(s[1].energy_j - 600) < 1e-9, "energy %g", s[1].energy_j);
	/* a counter that went back (driver reloaded): energy stays */
	REQUIRE(state("gpus 2\nenergy_mj.0 1000\nno_energy.1 1\n") == 0);
	REQUIRE(plugrig_read(&r, 4000, s) == 0);
	CHECK(fabs(s[0].energy_j - 1500) < 1e-9, "energy %g", s[0].energy_j);
	REQUIRE(state("gpus 2\nenergy_mj.0 3000\nno_energy.1 1\n") == 0);
	REQUIRE(plugrig_read(&r, 5000, s) == 0);
	CHECK(fabs(s[0].energy_j - 1502) < 1e-9, "energy %g", s[0].energy_j);
	CHECK(r.nlog == 0, "%d lines logged", r.nlog);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_clock(void)
{
	static const struct {
		double cap_mhz;
		const char *applied;
	} rows[] = {
	    {1500, "appclocks 1 2619 1500\n"},   /* on the grid */
	    {1507.9, "appclocks 1 2619 1500\n"}, /* the one under it */
	    {100, "appclocks 1 2619 345\n"},     /* under all: the lowest */
	    {5000, "appclocks 1 2619 1980\n"},   /* no cap: the top */
	};
	struct plugrig r;
	struct pod_control c = {.set = POD_CTL_CLOCK};
	char buf[256];
	size_t i;

	REQUIRE(fresh("gpus 2\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	for (i = 0; i < NELEM(rows); i++) {
		unlink(log_path);
		c.clock_max_mhz = rows[i].cap_mhz;
		CHECK(
		    r.pl->desc->ops->control(r.ctx, 1, &c) == 0, "row %zu", i);
		CHECK(strcmp(applied(buf, sizeof(buf)), rows[i].applied) == 0,
		    "row %zu: applied '%s'", i, buf);
	}
	/* refused: not a number; no such device */
	unlink(log_path);
	c.clock_max_mhz = NAN;
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == -1);
	CHECK(plugrig_logged(&r, "accel0: control refused") == 1);
	c.clock_max_mhz = 1500;
	CHECK(r.pl->desc->ops->control(r.ctx, 2, &c) == -1);
	CHECK(applied(buf, sizeof(buf))[0] == '\0', "applied '%s'", buf);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_limit(void)
{
	static const struct {
		double limit_w;
		const char *applied;
	} rows[] = {
	    {300.5, "powerlimit 0 300500\n"},
	    {1e6, "powerlimit 0 700000\n"}, /* over the top: no limit */
	    {50, "powerlimit 0 200000\n"},  /* under the lowest: the lowest */
	};
	struct plugrig r;
	struct pod_control c = {.set = POD_CTL_POWER_LIMIT};
	char buf[256];
	size_t i;

	REQUIRE(fresh("gpus 1\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	for (i = 0; i < NELEM(rows); i++) {
		unlink(log_path);
		c.power_limit_w = rows[i].limit_w;
		CHECK(
		    r.pl->desc->ops->control(r.ctx, 0, &c) == 0, "row %zu", i);
		CHECK(strcmp(applied(buf, sizeof(buf)), rows[i].applied) == 0,
		    "row %zu: applied '%s'", i, buf);
	}
	/* both at once */
	unlink(log_path);
	c.set = POD_CTL_POWER_LIMIT | POD_CTL_CLOCK;
	c.power_limit_w = 400;
	c.clock_max_mhz = 1000;
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == 0);
	CHECK(strcmp(applied(buf, sizeof(buf)),
	          "appclocks 0 2619 990\npowerlimit 0 400000\n") == 0,
	    "applied '%s'", buf);
	c.set = POD_CTL_POWER_LIMIT;
	c.power_limit_w = -5;
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == -1);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_denied(void)
{
	struct plugrig r;
	struct pod_control c = {.set = POD_CTL_CLOCK, .clock_max_mhz = 1500};
	struct pod_control p = {
	    .set = POD_CTL_POWER_LIMIT, .power_limit_w = 300};
	char buf[256];
	int i;

	REQUIRE(fresh("gpus 2\ndeny 1\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	/* said once for all GPUs, as it is true of all of them */
	for (i = 0; i < 5; i++) {
		CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == -1);
		CHECK(r.pl->desc->ops->control(r.ctx, 0, &p) == -1);
		CHECK(r.pl->desc->ops->control(r.ctx, 1, &c) == -1);
		CHECK(r.pl->desc->ops->control(r.ctx, 1, &p) == -1);
	}
	CHECK(plugrig_logged(&r,
	          "accel0: nvmlDeviceSetApplicationsClocks: Insufficient "
	          "Permissions: setting application clocks needs root or "
	          "`nvidia-smi -acp UNRESTRICTED`") == 1,
	    "said %d times",
	    plugrig_logged(&r, "nvmlDeviceSetApplicationsClocks"));
	CHECK(plugrig_logged(&r,
	          "accel0: nvmlDeviceSetPowerManagementLimit: Insufficient "
	          "Permissions: setting the power limit needs root") == 1);
	CHECK(r.nlog == 2, "%d lines", r.nlog);
	CHECK(applied(buf, sizeof(buf))[0] == '\0', "applied '%s'", buf);
	/* allowed again: it works, and a new refusal is said again */
	REQUIRE(state("gpus 2\n") == 0);
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == 0);
	REQUIRE(state("gpus 2\ndeny 1\n") == 0);
	CHECK(r.pl->desc->ops->control(r.ctx, 0, &c) == -1);
	CHECK(plugrig_logged(&r, "nvmlDeviceSetApplicationsClocks") == 2);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_lost(void)
{
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	struct pod_control c = {.set = POD_CTL_CLOCK, .clock_max_mhz = 1500};
	int i;

	REQUIRE(fresh("gpus 3\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	REQUIRE(plugrig_read(&r, 1000, s) == 0);
	REQUIRE(state("gpus 3\nlost.1 1\npower_mw.0 123000\n") == 0);
	for (i = 0; i < 6; i++) {
		REQUIRE(plugrig_read(&r, 2000 + 1000 * i, s) == 0);
		CHECK(s[1].valid == 0, "accel1 valid %#x", s[1].valid);
		CHECK(s[0].valid & POD_F_POWER);
		CHECK(s[2].valid & POD_F_TEMP);
	}
	CHECK(s[0].power_w == 123);
	CHECK(plugrig_logged(&r, "accel1: nvmlDeviceGetPowerUsage: GPU is "
	                         "lost: the GPU fell off the bus") == 1,
	    "said %d times", plugrig_logged(&r, "accel1"));
	CHECK(plugrig_logged(&r, "accel1") == 1);
	CHECK(r.pl->desc->ops->control(r.ctx, 1, &c) == -1);
	CHECK(plugrig_logged(&r, "accel1: nvmlDeviceSetApplicationsClocks: "
	                         "GPU is lost") == 1);
	/* back (after a reset): said once, reads */
	REQUIRE(state("gpus 3\n") == 0);
	REQUIRE(plugrig_read(&r, 9000, s) == 0);
	REQUIRE(plugrig_read(&r, 10000, s) == 0);
	CHECK(s[1].valid & POD_F_POWER);
	CHECK(plugrig_logged(&r, "accel1: reads again") == 1);
	/* all lost: read() fails */
	REQUIRE(state("gpus 3\nlost.0 1\nlost.1 1\nlost.2 1\n") == 0);
	CHECK(plugrig_read(&r, 11000, s) == -1);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_no_gpu(void)
{
	struct plugrig r;
	struct pod_sample s[1];

	REQUIRE(fresh("gpus 0\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	CHECK(r.ndev == 0);
	CHECK(r.nlog == 1 && plugrig_logged(&r, "NVML sees no GPU") == 1);
	CHECK(plugrig_read(&r, 1000, s) == 0);
	plugrig_close(&r);
	/* the library is there, the kernel module is not */
	REQUIRE(fresh("init 9\n") == 0);
	REQUIRE(open_rig(&r) == 0);
	CHECK(r.ndev == 0);
	CHECK(r.nlog == 1 && plugrig_logged(&r, "nvmlInit_v2: Driver Not "
	                                        "Loaded (is the nvidia "
	                                        "kernel module loaded?)") == 1);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_refused(void)
{
	static const struct {
		const char *kv[3];
		const char *said;
	} rows[] = {
	    {{"library=/nonexistent/libnvidia-ml.so.1"},
	        "test.conf:1: library: /nonexistent/libnvidia-ml.so.1 not "
	        "found: is the NVIDIA driver installed?"},
	    {{"library=libnvidia-ml-nonexistent.so.1"},
	        "libnvidia-ml-nonexistent.so.1 not found: is the NVIDIA "
	        "driver installed?"},
	    /* a library that loads but is not NVML */
	    {{"library=libm.so.6"}, "libm.so.6 has no nvmlInit_v2"},
	    {{"library=" NVML_STANDIN, "gpus=2"},
	        "test.conf:2: gpus: unknown key"},
	    {{"library="}, "test.conf:1: library: want"},
	};
	struct plugrig r;
	size_t i;

	REQUIRE(fresh("gpus 1\n") == 0);
	for (i = 0; i < NELEM(rows); i++) {
		CHECK(plugrig_open(&r, "power", "nvml", "n1", rows[i].kv) == -1,
		    "row %zu", i);
		CHECK(r.ctx == NULL);
		if (!CHECK(plugrig_logged(&r, rows[i].said) == 1 && r.nlog == 1,
		        "row %zu", i))
			plugrig_dump(&r);
		plugrig_close(&r);
	}
	return 0;
fail:
	return -1;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"enumerate", case_enumerate},
    {"readings", case_readings},
    {"clock", case_clock},
    {"limit", case_limit},
    {"denied", case_denied},
    {"lost", case_lost},
    {"no_gpu", case_no_gpu},
    {"refused", case_refused},
};

int
main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "/tmp/nvml_test.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		printf("mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(state_path, sizeof(state_path), "%s/state", dir);
	snprintf(log_path, sizeof(log_path), "%s/applied", dir);
	setenv("NVML_STANDIN_STATE", state_path, 1);
	setenv("NVML_STANDIN_LOG", log_path, 1);
	for (i = 0; i < NELEM(cases); i++) {
		printf("%s\n", cases[i].name);
		RUN_CASE(cases[i].name, cases[i].fn());
	}
	unlink(state_path);
	unlink(log_path);
	rmdir(dir);
	return check_summary("nvml_test");
}
