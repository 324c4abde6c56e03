/*
 * rapl_test: the power/rapl plugin on a fake powercap tree built in a
 * temporary folder (two packages with DRAM subzones, a core subzone, a
 * psys zone and an MMIO duplicate that must be passed over), loaded as the
 * agent loads it: enumeration, power from energy deltas, the counter's
 * wraparound and a counter that goes back otherwise, power limits read and
 * written (the file's content checked), a read-only limit that gives no
 * control, an unreadable counter said once while the other devices keep
 * reading, no RAPL at all, and bad keys.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pod/plugin_util.h>

#include "check.h"
#include "plugrig.h"

#define RANGE_UJ 262143328850ull /* a real package's max_energy_range_uj */

static char tmp[64]; /* the fake /sys/class/powercap */
static char rootkv[128];

static int
put(const char *rel, mode_t mode, const char *fmt, ...)
{
	char path[256];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	chmod(path, 0644); /* so that a test not run as root may rewrite */
	if ((f = fopen(path, "w")) == NULL) {
		printf("fopen %s: %s\n", path, strerror(errno));
		return -1;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	if (fclose(f) != 0 || chmod(path, mode) != 0)
		return -1;
	return 0;
}

static int
get(const char *rel, char *buf, size_t size)
{
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

static int
mkd(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	return mkdir(path, 0755);
}

/* One zone: its folder, name, counter and range, and a long-term limit
 * (mode 0 for none) with its top. */
static int
zone(const char *rel, const char *name, unsigned long long energy_uj,
    unsigned long long range_uj, mode_t limit_mode, unsigned long long limit_uw,
    unsigned long long max_uw)
{
	char f[200];
	int rc = 0;

	rc |= mkd(rel);
	snprintf(f, sizeof(f), "%s/name", rel);
	rc |= put(f, 0444, "%s", name);
	snprintf(f, sizeof(f), "%s/energy_uj", rel);
	rc |= put(f, 0444, "%llu", energy_uj);
	snprintf(f, sizeof(f), "%s/max_energy_range_uj", rel);
	rc |= put(f, 0444, "%llu", range_uj);
	snprintf(f, sizeof(f), "%s/enabled", rel);
	rc |= put(f, 0644, "1");
	if (limit_mode == 0)
		return rc;
	snprintf(f, sizeof(f), "%s/constraint_0_name", rel);
	rc |= put(f, 0444, "long_term");
	snprintf(f, sizeof(f), "%s/constraint_1_name", rel);
	rc |= put(f, 0444, "short_term");
	snprintf(f, sizeof(f), "%s/constraint_0_power_limit_uw", rel);
	rc |= put(f, limit_mode, "%llu", limit_uw);
	snprintf(f, sizeof(f), "%s/constraint_1_power_limit_uw", rel);
	rc |= put(f, limit_mode, "%llu", limit_uw * 6 / 5);
	snprintf(f, sizeof(f), "%s/constraint_0_max_power_uw", rel);
	rc |= put(f, 0444, "%llu", max_uw);
	return rc;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
tree_remove(void)
{
	char path[256];

	if (tmp[0] == '\0')
		return;
	/* undo a chmod 000 so that the walk can remove it */
	snprintf(path, sizeof(path), "%s/intel-rapl:1/energy_uj", tmp);
	chmod(path, 0644);
	nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmp[0] = '\0';
}

/* Two packages, each with DRAM (package 0's DRAM limit read-only), a core
 * subzone, the platform zone and an MMIO copy of package 0. */
static int
tmp_make(void)
{
	tree_remove();
	snprintf(tmp, sizeof(tmp), "/tmp/rapl_test.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		printf("mkdtemp: %s\n", strerror(errno));
		tmp[0] = '\0';
		return -1;
	}
	snprintf(rootkv, sizeof(rootkv), "root=%s", tmp);
	return 0;
}

static int
tree_make(void)
{
	int rc = 0;

	if (tmp_make() == -1)
		return -1;
	rc |= zone("intel-rapl:0", "package-0", 1000000, RANGE_UJ, 0644,
	    165000000, 205000000);
	rc |= zone("intel-rapl:0/intel-rapl:0:0", "core", 5, RANGE_UJ, 0, 0, 0);
	rc |= zone("intel-rapl:0/intel-rapl:0:1", "dram", 2000000, 65712999613,
	    0444, 0, 0);
	rc |= zone("intel-rapl:1", "package-1", 3000000, RANGE_UJ, 0644,
	    165000000, 205000000);
	rc |= zone("intel-rapl:1/intel-rapl:1:0", "dram", 4000000, 65712999613,
	    0644, 40000000, 60000000);
	rc |= zone("intel-rapl:2", "psys", 7, RANGE_UJ, 0644, 1, 2);
	rc |= zone("intel-rapl-mmio:0", "package-0", 8, RANGE_UJ, 0644, 1, 2);
	return rc;
}

static int
open_rig(struct plugrig *r, const char *extra)
{
	const char *kv[] = {rootkv, extra, NULL};

	if (plugrig_open(r, "power", "rapl", "n1", kv) == -1) {
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
	int i;

	REQUIRE(tree_make() == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	CHECK(r.ndev == 4, "%d devices", r.ndev);
	CHECK(r.nlog == 0, "%d lines logged", r.nlog);
	CHECK(plugrig_dev(&r, "cpu0") == 0 && plugrig_dev(&r, "cpu1") == 1);
	CHECK(plugrig_dev(&r, "dram0") == 2 && plugrig_dev(&r, "dram1") == 3);
	for (i = 0; i < r.ndev; i++) {
		d = &r.dev[i];
		CHECK(d->index == i % 2, "%s index %d", d->name, d->index);
		CHECK(d->domain == (i < 2 ? POD_DOMAIN_CPU : POD_DOMAIN_MEM),
		    "%s domain %d", d->name, d->domain);
		CHECK((d->caps & (POD_F_POWER | POD_F_ENERGY)) ==
		          (POD_F_POWER | POD_F_ENERGY),
		    "%s caps %#x", d->name, d->caps);
	}
	d = &r.dev[0];
	CHECK(d->caps & POD_CTL_POWER_LIMIT);
	CHECK(fabs(d->power_max_w - 205) < 1e-9, "max %g", d->power_max_w);
	CHECK(
	    fabs(d->power_min_w - 205 * 0.25) < 1e-9, "min %g", d->power_min_w);
	CHECK(fabs(d->tdp_w - 205) < 1e-9, "tdp %g", d->tdp_w);
	/* dram0's limit is read-only: no control */
	CHECK(!(r.dev[2].caps & POD_CTL_POWER_LIMIT), "dram0 caps %#x",
	    r.dev[2].caps);
	CHECK(r.dev[3].caps & POD_CTL_POWER_LIMIT);
	plugrig_close(&r);
	/* only what `domains` asks for */
	REQUIRE(open_rig(&r, "domains=dram") == 0);
	CHECK(
	    r.ndev == 2 && plugrig_dev(&r, "dram1") == 1, "%d devices", r.ndev);
	plugrig_close(&r);
	REQUIRE(open_rig(&r, "control=no") == 0);
	CHECK(r.ndev == 4 && !(r.dev[0].caps & POD_CTL_POWER_LIMIT));
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

/* A package of two dies (Cascade Lake-AP) names its zones package-K-die-D;
 * the DRAM of each die follows its die. */
static int
case_dies(void)
{
	struct plugrig r;

	REQUIRE(tmp_make() == 0);
	REQUIRE(
	    zone("intel-rapl:0", "package-0-die-0", 1, RANGE_UJ, 0, 0, 0) == 0);
	REQUIRE(
	    zone("intel-rapl:1", "package-0-die-1", 1, RANGE_UJ, 0, 0, 0) == 0);
	REQUIRE(zone("intel-rapl:1/intel-rapl:1:0", "dram", 1, RANGE_UJ, 0, 0,
	            0) == 0);
	REQUIRE(zone("intel-rapl:3", "package-x", 1, RANGE_UJ, 0, 0, 0) == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	CHECK(r.ndev == 3, "%d devices", r.ndev);
	CHECK(plugrig_dev(&r, "cpu0-die0") == 0);
	CHECK(plugrig_dev(&r, "cpu0-die1") == 1 && r.dev[1].index == 1);
	CHECK(plugrig_dev(&r, "dram0-die1") == 2 && r.dev[2].index == 0);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_power(void)
{
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	int64_t before;

	REQUIRE(tree_make() == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	before = pod_clock_ms(CLOCK_REALTIME);
	REQUIRE(plugrig_read(&r, 1000, s) == 0);
	/* first read: energy from here on, no power yet */
	CHECK(s[0].valid == POD_F_ENERGY, "valid %#x", s[0].valid);
	CHECK(s[0].energy_j == 0);
	CHECK(s[0].t_ms >= before && s[0].t_ms <= before + 60000);
	/* 150 J in 1 s on cpu0, 20 J in 1 s on dram1 */
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "%llu", 151000000ull) == 0);
	REQUIRE(put("intel-rapl:1/intel-rapl:1:0/energy_uj", 0444, "%llu",
	            24000000ull) == 0);
	REQUIRE(plugrig_read(&r, 2000, s) == 0);
	CHECK(s[0].valid == (POD_F_ENERGY | POD_F_POWER));
	CHECK(fabs(s[0].power_w - 150) < 1e-9, "power %g", s[0].power_w);
	CHECK(fabs(s[0].energy_j - 150) < 1e-9, "energy %g", s[0].energy_j);
	CHECK(fabs(s[3].power_w - 20) < 1e-9, "dram1 power %g", s[3].power_w);
	CHECK(s[1].power_w == 0 && (s[1].valid & POD_F_POWER), "cpu1 power %g",
	    s[1].power_w);
	/* 300 J in 2 s */
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "%llu", 451000000ull) == 0);
	REQUIRE(plugrig_read(&r, 4000, s) == 0);
	CHECK(fabs(s[0].power_w - 150) < 1e-9, "power %g", s[0].power_w);
	CHECK(fabs(s[0].energy_j - 450) < 1e-9, "energy %g", s[0].energy_j);
	/* a read at the same instant changes nothing and loses nothing */
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "%llu", 551000000ull) == 0);
	REQUIRE(plugrig_read(&r, 4000, s) == 0);
	CHECK(fabs(s[0].energy_j - 450) < 1e-9, "energy %g", s[0].energy_j);
	REQUIRE(plugrig_read(&r, 5000, s) == 0);
	CHECK(fabs(s[0].energy_j - 550) < 1e-9, "energy %g", s[0].energy_j);
	CHECK(fabs(s[0].power_w - 100) < 1e-9, "power %g", s[0].power_w);
	CHECK(r.nlog == 0, "%d lines logged", r.nlog);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_wrap(void)
{
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	int i;

	REQUIRE(tree_make() == 0);
	REQUIRE(
	    put("intel-rapl:0/max_energy_range_uj", 0444, "1000000000") == 0);
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "900000000") == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	REQUIRE(plugrig_read(&r, 1000, s) == 0);
	/* 900 → 1000 (the wrap) → 50: 150 J */
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "50000000") == 0);
	REQUIRE(plugrig_read(&r, 2000, s) == 0);
	CHECK(s[0].valid == (POD_F_ENERGY | POD_F_POWER), "%#x", s[0].valid);
	CHECK(fabs(s[0].power_w - 150) < 1e-9, "power %g", s[0].power_w);
	CHECK(fabs(s[0].energy_j - 150) < 1e-9, "energy %g", s[0].energy_j);
	/* 50 → 40: a wrap would mean 990 J in a second: a reset. Energy
	 * stays, no power, said once however often it happens. */
	for (i = 0; i < 5; i++) {
		REQUIRE(put("intel-rapl:0/energy_uj", 0444, "%d",
		            40000000 - i * 1000000) == 0);
		REQUIRE(plugrig_read(&r, 3000 + i * 1000, s) == 0);
		CHECK(s[0].valid == POD_F_ENERGY, "valid %#x", s[0].valid);
		CHECK(fabs(s[0].energy_j - 150) < 1e-9, "energy %g",
		    s[0].energy_j);
	}
	CHECK(plugrig_logged(&r, "went back") == 1, "said %d times",
	    plugrig_logged(&r, "went back"));
	/* counting again from the new value: 36 → 46 in 1 s */
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "46000000") == 0);
	REQUIRE(plugrig_read(&r, 8000, s) == 0);
	CHECK(fabs(s[0].power_w - 10) < 1e-9, "power %g", s[0].power_w);
	CHECK(fabs(s[0].energy_j - 160) < 1e-9, "energy %g", s[0].energy_j);
	/* a value above the range is no wrap either */
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "2000000000") == 0);
	REQUIRE(plugrig_read(&r, 9000, s) == 0);
	REQUIRE(put("intel-rapl:0/energy_uj", 0444, "10") == 0);
	REQUIRE(plugrig_read(&r, 10000, s) == 0);
	CHECK(s[0].valid == POD_F_ENERGY, "valid %#x", s[0].valid);
	CHECK(s[0].energy_j >= 160, "energy %g", s[0].energy_j);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_limits(void)
{
	struct plugrig r;
	struct pod_control c = {.set = POD_CTL_POWER_LIMIT};
	const struct pod_plugin_ops *ops;
	char buf[64];

	REQUIRE(tree_make() == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	ops = r.pl->desc->ops;
	REQUIRE(ops->control != NULL);
	c.power_limit_w = 120;
	CHECK(ops->control(r.ctx, 0, &c) == 0);
	REQUIRE(get("intel-rapl:0/constraint_0_power_limit_uw", buf,
	            sizeof(buf)) == 0);
	CHECK(strcmp(buf, "120000000\n") == 0, "wrote '%s'", buf);
	/* the short-term limit is not touched */
	REQUIRE(get("intel-rapl:0/constraint_1_power_limit_uw", buf,
	            sizeof(buf)) == 0);
	CHECK(strcmp(buf, "198000000\n") == 0, "short term '%s'", buf);
	/* above the top: no limit, the top written */
	c.power_limit_w = 1e6;
	CHECK(ops->control(r.ctx, 1, &c) == 0);
	REQUIRE(get("intel-rapl:1/constraint_0_power_limit_uw", buf,
	            sizeof(buf)) == 0);
	CHECK(strcmp(buf, "205000000\n") == 0, "wrote '%s'", buf);
	/* under the lowest: raised to it, said once */
	c.power_limit_w = 10;
	CHECK(ops->control(r.ctx, 0, &c) == 0);
	CHECK(ops->control(r.ctx, 0, &c) == 0);
	REQUIRE(get("intel-rapl:0/constraint_0_power_limit_uw", buf,
	            sizeof(buf)) == 0);
	CHECK(strcmp(buf, "51250000\n") == 0, "wrote '%s'", buf);
	CHECK(plugrig_logged(&r, "lowest offered") == 1);
	/* DRAM of package 1: its own limit */
	c.power_limit_w = 35.5;
	CHECK(ops->control(r.ctx, 3, &c) == 0);
	REQUIRE(get("intel-rapl:1/intel-rapl:1:0/constraint_0_power_limit_uw",
	            buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "35500000\n") == 0, "wrote '%s'", buf);
	/* refused: nonsense, a read-only limit, a clock cap */
	c.power_limit_w = NAN;
	CHECK(ops->control(r.ctx, 0, &c) == -1);
	CHECK(plugrig_logged(&r, "cpu0: power limit nan W refused") == 1);
	c.power_limit_w = 0;
	CHECK(ops->control(r.ctx, 0, &c) == -1);
	c.power_limit_w = 20;
	CHECK(ops->control(r.ctx, 2, &c) == -1);
	CHECK(plugrig_logged(&r, "dram0: takes only a power limit, and its "
	                         "limit is read-only") == 1);
	REQUIRE(get("intel-rapl:0/intel-rapl:0:1/constraint_0_power_limit_uw",
	            buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "0\n") == 0, "read-only file now '%s'", buf);
	/* a limit the kernel refuses (here: a folder in its place): said
	 * once however often it is tried, and that it works again */
	REQUIRE(snprintf(buf, sizeof(buf),
	            "%s/intel-rapl:1/"
	            "constraint_0_power_limit_uw",
	            tmp) < (int)sizeof(buf));
	REQUIRE(unlink(buf) == 0 && mkdir(buf, 0755) == 0);
	c.power_limit_w = 100;
	CHECK(ops->control(r.ctx, 1, &c) == -1);
	CHECK(ops->control(r.ctx, 1, &c) == -1);
	CHECK(plugrig_logged(&r, "cpu1: ") == 1 &&
	          plugrig_logged(&r, "open constraint_0_power_limit_uw: "
	                             "Is a directory") == 1,
	    "said %d times", plugrig_logged(&r, "cpu1: "));
	REQUIRE(rmdir(buf) == 0);
	REQUIRE(
	    put("intel-rapl:1/constraint_0_power_limit_uw", 0644, "1") == 0);
	CHECK(ops->control(r.ctx, 1, &c) == 0);
	CHECK(plugrig_logged(&r, "cpu1: limit set again") == 1);
	c.set = POD_CTL_CLOCK;
	c.clock_max_mhz = 2000;
	CHECK(ops->control(r.ctx, 0, &c) == -1);
	CHECK(ops->control(r.ctx, 9, &c) == -1);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_unreadable(void)
{
	struct plugrig r;
	struct pod_sample s[POD_MAX_DEVICES];
	char path[256];
	int i, root = geteuid() == 0;

	REQUIRE(tree_make() == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	snprintf(path, sizeof(path), "%s/intel-rapl:1/energy_uj", tmp);
	if (root) {
		/* chmod does not stop root: a folder in its place does */
		printf("  (as root: energy_uj replaced by a folder)\n");
		REQUIRE(unlink(path) == 0 && mkdir(path, 0755) == 0);
	} else {
		/* both packages: "root only" is said once for all */
		REQUIRE(chmod(path, 0) == 0);
		snprintf(path, sizeof(path),
		    "%s/intel-rapl:0/intel-rapl:0:1/energy_uj", tmp);
		REQUIRE(chmod(path, 0) == 0);
		snprintf(path, sizeof(path), "%s/intel-rapl:1/energy_uj", tmp);
	}
	for (i = 0; i < 10; i++) {
		REQUIRE(put("intel-rapl:0/energy_uj", 0444, "%d",
		            1000000 + (i + 1) * 100000000) == 0);
		REQUIRE(plugrig_read(&r, 1000 * (i + 1), s) == 0);
		CHECK(s[1].valid == 0, "cpu1 valid %#x", s[1].valid);
		CHECK(s[0].valid & POD_F_ENERGY, "cpu0 valid %#x", s[0].valid);
		CHECK((s[2].valid & POD_F_ENERGY) || !root, "dram0 valid %#x",
		    s[2].valid);
		CHECK(s[3].valid & POD_F_ENERGY, "dram1 valid %#x", s[3].valid);
	}
	CHECK(fabs(s[0].power_w - 100) < 1e-9, "cpu0 power %g", s[0].power_w);
	CHECK(plugrig_logged(&r, "intel-rapl:1/energy_uj") == 1,
	    "said %d times", plugrig_logged(&r, "intel-rapl:1/energy_uj"));
	if (!root)
		CHECK(plugrig_logged(&r, "energy_uj: Permission denied: "
		                         "readable by root only; run "
		                         "pod-agentd as root") == 1 &&
		          r.nlog == 1,
		    "%d lines", r.nlog);
	else
		CHECK(plugrig_logged(&r, "energy_uj: Is a directory") == 1);
	/* readable again: said once, and it reads */
	if (root)
		REQUIRE(rmdir(path) == 0);
	REQUIRE(put("intel-rapl:1/energy_uj", 0444, "3000000") == 0);
	REQUIRE(plugrig_read(&r, 20000, s) == 0);
	CHECK(s[1].valid & POD_F_ENERGY, "cpu1 valid %#x", s[1].valid);
	CHECK(plugrig_logged(&r, "reads again") == 1);
	/* when nothing can be read, read() says so */
	for (i = 0; i < 4; i++) {
		static const char *const rel[] = {"intel-rapl:0",
		    "intel-rapl:1", "intel-rapl:0/intel-rapl:0:1",
		    "intel-rapl:1/intel-rapl:1:0"};

		snprintf(path, sizeof(path), "%s/%s/energy_uj", tmp, rel[i]);
		REQUIRE(unlink(path) == 0);
	}
	CHECK(plugrig_read(&r, 21000, s) == -1);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_no_rapl(void)
{
	struct plugrig r;
	struct pod_sample s[1];
	const char *kv[] = {"root=/nonexistent/powercap", NULL};

	REQUIRE(plugrig_open(&r, "power", "rapl", "n1", kv) == 0);
	CHECK(r.ndev == 0);
	CHECK(r.nlog == 1 && plugrig_logged(&r, "no devices") == 1, "%d lines",
	    r.nlog);
	CHECK(plugrig_read(&r, 1000, s) == 0);
	CHECK(r.nlog == 1);
	plugrig_close(&r);
	/* a powercap folder with another driver's zones only */
	REQUIRE(tmp_make() == 0);
	REQUIRE(mkd("dtpm") == 0);
	REQUIRE(zone("intel-rapl:0", "psys", 7, RANGE_UJ, 0, 0, 0) == 0);
	REQUIRE(open_rig(&r, NULL) == 0);
	CHECK(r.ndev == 0);
	CHECK(r.nlog == 1 && plugrig_logged(&r, "no intel-rapl zones") == 1);
	plugrig_close(&r);
	return 0;
fail:
	plugrig_close(&r);
	return -1;
}

static int
case_bad_keys(void)
{
	static const struct {
		const char *kv[3];
		const char *said;
	} rows[] = {
	    {{"root=/sys/class/powercap", "bogus=1"},
	        "test.conf:2: bogus: unknown key"},
	    {{"domains=package,gpu"}, "test.conf:1: domains: 'gpu'"},
	    {{"domains="}, "test.conf:1: domains: ''"},
	    {{"control=maybe"}, "test.conf:1: control: 'maybe'"},
	    {{"root="}, "test.conf:1: root"},
	};
	struct plugrig r;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		CHECK(plugrig_open(&r, "power", "rapl", "n1", rows[i].kv) == -1,
		    "row %zu", i);
		CHECK(r.ctx == NULL);
		if (!CHECK(plugrig_logged(&r, rows[i].said) == 1, "row %zu", i))
			plugrig_dump(&r);
		plugrig_close(&r);
	}
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"enumerate", case_enumerate},
    {"dies", case_dies},
    {"power", case_power},
    {"wrap", case_wrap},
    {"limits", case_limits},
    {"unreadable", case_unreadable},
    {"no_rapl", case_no_rapl},
    {"bad_keys", case_bad_keys},
};

int
main(void)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < NELEM(cases); i++) {
		printf("%s\n", cases[i].name);
		RUN_CASE(cases[i].name, cases[i].fn());
	}
	tree_remove();
	return check_summary("rapl_test");
}
