/*
 * pod-schedsim's reading of the controller's configuration
 * (tools/schedsim/simconf.c): the keys it takes and the ones it leaves to
 * the controller, the defaults, the errors with file and line, and the
 * partitions' pods, groups and nodes resolved on a small fabric.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "simconf.h"

/* Writes text to a new temporary file; its path in path. 0 or -1. */
static int
write_tmp(char *path, size_t len, const char *text)
{
	FILE *f;
	int fd;

	snprintf(path, len, "/tmp/simconf_test.XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Files in, and either the error (after "PATH:") or nothing. */
static const struct load_case {
	const char *name;
	const char *text;
	const char *err; /* NULL: loads */
} load_cases[] = {
    {"empty", "", NULL},
    {"the controller's sections are skipped",
        "[controller]\nlisten = 127.0.0.1:1\n[fabric]\npods = 3\n"
        "[scheduler]\nkill_grace_s = 5\npolicy = fcfs\n",
        NULL},
    {"unknown priority key", "[priority]\nweight_age = 1\n",
        ":2: unknown key 'weight_age' in [priority]"},
    {"weight out of range", "[priority]\nweight_operator = 2e6\n",
        ":2: weight_operator"},
    {"bad enum", "[priority]\njobsize_favor = medium\n",
        ":2: jobsize_favor: unknown value 'medium'"},
    {"bad policy", "[scheduler]\npolicy = lottery\n",
        ":2: policy: unknown value 'lottery'"},
    {"priority takes no name", "[priority x]\nweight_qos = 1\n",
        ":2: [priority] takes no argument"},
    {"qos needs a name", "[qos]\npriority = 1\n", ":2: [qos] needs a name"},
    {"unknown qos key", "[qos gold]\nmax_gpus = 1\n",
        ":2: unknown key 'max_gpus' in [qos]"},
    {"default_qos missing", "[scheduler]\ndefault_qos = gold\n",
        ":2: default_qos: no [qos gold]"},
    {"no normal QOS: the first is the default",
        "[qos high]\npriority = 1\n[qos low]\npriority = 0\n", NULL},
    {"preempt names another QOS",
        "[qos high]\npreempt = low\n[qos low]\npriority = 0\n", NULL},
    {"preempt names no QOS",
        "[qos high]\npreempt = low, gone\n"
        "[qos low]\npriority = 0\n",
        ":2: [qos high] preempt: no such QOS 'gone'"},
    {"preempt names itself", "[qos high]\npreempt = high\n",
        ":2: [qos high] preempt: a QOS cannot preempt itself"},
    {"QOS limit out of the controller's range",
        "[qos high]\nmax_jobs_per_user = 20000000\n", ":2: max_jobs_per_user"},
    {"two default partitions",
        "[partition a]\ndefault = true\n[partition b]\ndefault = true\n",
        ": more than one default partition"},
    {"default time above max",
        "[partition a]\ndefault_time_s = 100\nmax_time_s = 10\n",
        ":2: [partition a] default_time_s above max_time_s"},
};

static int
load_case(const struct load_case *c)
{
	struct simconf sc;
	char path[64], err[512];
	const char *colon;
	int rc;

	REQUIRE(write_tmp(path, sizeof(path), c->text) == 0);
	rc = simconf_load(&sc, path, err, sizeof(err));
	unlink(path);
	if (c->err == NULL)
		return CHECK(rc == 0, "%s: %s", c->name, err) ? 0 : -1;
	colon =
	    strncmp(err, path, strlen(path)) == 0 ? err + strlen(path) : err;
	CHECK(rc == -1 && strstr(colon, c->err) == colon, "%s: got '%s'",
	    c->name, rc == 0 ? "(loaded)" : err);
	return 0;
fail:
	return -1;
}

/* Defaults, and a full file read into the struct. */
static int
values(void)
{
	struct simconf sc;
	char path[64], err[512];

	REQUIRE(write_tmp(path, sizeof(path), "") == 0);
	REQUIRE(simconf_load(&sc, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	CHECK(
	    sc.policy == 1 && sc.age_weight_per_h == 60 && sc.age_cap_h == 168);
	CHECK(sc.w.operator_ == 1 && sc.w.favor_small == 1 &&
	      sc.w.half_life_h == 168 && sc.w.fairshare == 0);
	CHECK(sc.nqos == 1 && strcmp(sc.qos[0].name, "normal") == 0 &&
	      sc.default_qos == 0 && sc.npart == 0);

	REQUIRE(
	    write_tmp(path, sizeof(path),
	        "[scheduler]\npolicy = conservative\nage_weight_per_h = 5\n"
	        "age_cap_h = 24\ndefault_qos = low\n"
	        "[priority]\nweight_fairshare = 100\njobsize_favor = large\n"
	        "weight_jobsize = 7\nweight_qos = 3\nweight_operator = 0\n"
	        "half_life_h = 12\n"
	        "[qos high]\npriority = 10\nmax_wall_s = 600\n"
	        "max_jobs_per_user = 2\nmax_accels_per_user = 16\n"
	        "max_jobs_per_account = 4\nmax_accels_per_account = 32\n"
	        "preempt = low\n"
	        "[qos low]\npriority = 0\n"
	        "[partition a]\npods = pod01\n"
	        "[partition b]\ndefault = true\nmax_time_s = 60\n"
	        "accounts = g1, g2\n") == 0);
	REQUIRE(simconf_load(&sc, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	CHECK(sc.policy == 2 && sc.w.age_per_h == 5 && sc.w.age_cap_h == 24);
	CHECK(sc.w.fairshare == 100 && sc.w.favor_small == 0 &&
	      sc.w.jobsize == 7 && sc.w.qos == 3 && sc.w.operator_ == 0 &&
	      sc.w.half_life_h == 12);
	CHECK(sc.nqos == 2 && sc.default_qos == 1 &&
	      simconf_qos_find(&sc, "high") == 0 &&
	      simconf_qos_find(&sc, "none") == -1);
	CHECK(sc.qos[0].priority == 10 && sc.qos[0].max_wall_s == 600 &&
	      sc.qos[0].max_jobs_per_user == 2 &&
	      sc.qos[0].max_accels_per_user == 16 &&
	      sc.qos[0].max_jobs_per_account == 4 &&
	      sc.qos[0].max_accels_per_account == 32);
	CHECK(sc.npart == 2 && sc.default_part == 1 &&
	      sc.part[1].max_time_s == 60 &&
	      strcmp(sc.part[0].pods, "pod01") == 0);
	CHECK(simconf_part_allows(&sc.part[1], "g2") &&
	      !simconf_part_allows(&sc.part[1], "g") &&
	      !simconf_part_allows(&sc.part[1], "g12") &&
	      simconf_part_allows(&sc.part[0], "anyone"));

	/* without default_qos and without "normal", the first QOS */
	REQUIRE(write_tmp(path, sizeof(path),
	            "[qos high]\npriority = 1\n[qos low]\npriority = 0\n"
	            "[qos normal]\npriority = 0\n") == 0);
	REQUIRE(simconf_load(&sc, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	CHECK(sc.default_qos == 2, "%d", sc.default_qos);
	REQUIRE(
	    write_tmp(path, sizeof(path),
	        "[qos high]\npriority = 1\n[qos low]\npriority = 0\n") == 0);
	REQUIRE(simconf_load(&sc, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	CHECK(sc.default_qos == 0, "%d", sc.default_qos);
	return 0;
fail:
	return -1;
}

/* Partitions on 2 pods of 10 nodes in 3 groups (of 4, 4 and 2 nodes):
 * which nodes, by index, or the error. */
static const struct part_case {
	const char *pods, *groups, *nodes;
	const char *members; /* '1' per member node, 20 of them */
	const char *err;
} part_cases[] = {
    {"", "", "", "11111111111111111111", NULL},
    {"pod02", "", "", "00000000001111111111", NULL},
    {"", "pod01-g03,pod02-g01", "", "00000000111111000000", NULL},
    {"", "", "pod01-n[001-002],pod02-n010", "11000000000000000001", NULL},
    {"pod01", "", "pod02-n005", "11111111110000100000", NULL},
    {"pod03", "", "", NULL, "no pod 'pod03' in the fabric"},
    {"", "pod01-g4", "", NULL, "no group 'pod01-g4' in the fabric"},
    {"", "", "pod01-n011", NULL, "no node 'pod01-n011' in the fabric"},
    {"", "", "pod01-n[002-001]", NULL, ""},
};

static int
part_case(const struct part_case *c)
{
	struct simconf_part p;
	unsigned char member[20];
	char err[256], got[21];
	int n, i, ones;

	memset(&p, 0, sizeof(p));
	memset(member, 0, sizeof(member));
	snprintf(p.pods, sizeof(p.pods), "%s", c->pods);
	snprintf(p.groups, sizeof(p.groups), "%s", c->groups);
	snprintf(p.nodes, sizeof(p.nodes), "%s", c->nodes);
	n = simconf_partition_nodes(&p, 2, 10, 3, member, err, sizeof(err));
	if (c->err != NULL) {
		CHECK(n == -1 && strstr(err, c->err) != NULL, "%s%s%s: %s",
		    c->pods, c->groups, c->nodes, n == -1 ? err : "(no error)");
		return 0;
	}
	for (i = 0, ones = 0; i < 20; i++) {
		got[i] = member[i] ? '1' : '0';
		ones += c->members[i] == '1';
	}
	got[20] = '\0';
	CHECK(strcmp(got, c->members) == 0 && n == ones, "%s%s%s: got %s (%d)",
	    c->pods, c->groups, c->nodes, got, n);
	return 0;
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(load_cases); i++)
		RUN_CASE(load_cases[i].name, load_case(&load_cases[i]));
	RUN_CASE("values", values());
	for (i = 0; i < NELEM(part_cases); i++)
		RUN_CASE(
		    part_cases[i].members ? part_cases[i].members : "error",
		    part_case(&part_cases[i]));
	return check_summary("simconf_test");
}
