/*
 * The site's organisation (controllerd/org.c, store_org.c, resv.c) on the
 * least of the controller's state it needs: a config with QOS and
 * partitions, a fleet of two pods of four nodes, a store on a temporary
 * SQLite file. Accounts and users are made through org.c as the REST
 * handlers make them; then a static table of submissions, each admitted
 * with the defaults it must get or refused with the message it must give;
 * the tree kept parents first across a move and a reload from the store;
 * reservations refused where they overlap; and a maintenance window's
 * drain and resume by resv_tick(), an operator's drain left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "jobs.h"
#include "log.h"
#include "org.h"
#include "resv.h"
#include "store.h"
#include "timeutil.h"

static const char conf_text[] = "[fabric]\n"
                                "pods = 2\n"
                                "nodes_per_pod = 4\n"
                                "groups_per_pod = 2\n"
                                "[qos normal]\n"
                                "priority = 0\n"
                                "[qos debug]\n"
                                "max_wall_s = 3600\n"
                                "max_accels_per_user = 8\n"
                                "max_accels_per_account = 16\n"
                                "[partition batch]\n"
                                "pods = pod01\n"
                                "default = true\n"
                                "default_time_s = 600\n"
                                "max_time_s = 7200\n"
                                "[partition gpu]\n"
                                "groups = pod02-g01\n"
                                "nodes = pod02-n004\n"
                                "accounts = ai\n";

static char tmpdir[] = "/tmp/pod-org-test-XXXXXX";
static char db[64], conf_path[64];

static int
ctl_open(struct ctl_state *st)
{
	char err[256];

	memset(st, 0, sizeof(*st));
	if ((st->conf = config_load(conf_path, err, sizeof(err))) == NULL) {
		printf("config: %s\n", err);
		return -1;
	}
	if ((st->fleet = fleet_new(st->conf)) == NULL ||
	    (st->store = store_open(db)) == NULL ||
	    store_load_fleet(st->store, st->fleet) == -1)
		return -1;
	return org_load(st);
}

static void
ctl_close(struct ctl_state *st)
{
	org_free(&st->org);
	store_close(st->store);
	fleet_free(st->fleet);
	config_free(st->conf);
}

/*
 * Submissions. Columns: the user; account, QOS, partition, reservation
 * as the job names them ("" none); time limit (0 none); accelerators;
 * then either the account, QOS, partition and time limit it must get, or
 * (err not NULL) the text its refusal must hold.
 */
static const struct admit_case {
	const char *user, *account, *qos, *partition, *resv;
	int64_t time_s;
	int accels;
	const char *want_account, *want_qos, *want_partition;
	int64_t want_time_s;
	const char *err;
} admit_cases[] = {
    {"alice", "", "", "", "", 0, 8, "ai", "normal", "batch", 600, NULL},
    {"alice", "physics", "debug", "", "", 100, 8, "physics", "debug", "batch",
        100, NULL},
    {"bob", "", "", "gpu", "", 60, 8, "ai", "normal", "gpu", 60, NULL},
    {"root", "", "", "", "", 60, 8, "root", "normal", "batch", 60, NULL},
    {"alice", "phys", "", "", "", 60, 8, NULL, NULL, NULL, 0,
        "unknown account 'phys'"},
    {"alice", "", "gold", "", "", 60, 8, NULL, NULL, NULL, 0,
        "unknown QOS 'gold'"},
    {"alice", "", "", "tpu", "", 60, 8, NULL, NULL, NULL, 0,
        "unknown partition 'tpu'"},
    {"alice", "", "", "", "r9", 60, 8, NULL, NULL, NULL, 0,
        "unknown reservation 'r9'"},
    {"alice", "root", "", "", "", 60, 8, NULL, NULL, NULL, 0,
        "user 'alice' may not charge account 'root'"},
    {"root", "ai", "", "", "", 60, 8, NULL, NULL, NULL, 0,
        "user 'root' may not charge account 'ai'"},
    {"alice", "physics", "", "gpu", "", 60, 8, NULL, NULL, NULL, 0,
        "account 'physics' may not use partition 'gpu' (AccountNotAllowed)"},
    {"alice", "", "debug", "", "", 7200, 8, NULL, NULL, NULL, 0,
        "time limit 7200 s is over QOS 'debug' max_wall_s 3600 "
        "(QOSMaxWallDurationPerJobLimit)"},
    {"alice", "", "", "", "", 9000, 8, NULL, NULL, NULL, 0,
        "time limit 9000 s is over partition 'batch' max_time_s 7200 "
        "(PartitionTimeLimit)"},
    {"alice", "", "debug", "", "", 60, 9, NULL, NULL, NULL, 0,
        "9 accelerators is over QOS 'debug' max_accels_per_user 8"},
    {"alice", "", "", "", "m1", 60, 8, NULL, NULL, NULL, 0,
        "reservation 'm1' is a maintenance window"},
    {"alice", "physics", "", "", "r1", 60, 8, NULL, NULL, NULL, 0,
        "account 'physics' may not use reservation 'r1'"},
    {"bob", "", "", "", "r1", 60, 8, "ai", "normal", "batch", 60, NULL},
};

static void
set(char *dst, const char *src)
{
	snprintf(dst, JOB_TAG_MAX, "%s", src);
}

static int
check_admit(struct ctl_state *st, const struct admit_case *c)
{
	struct job *j = job_new();
	char err[512] = "";
	int status = 0, rc;

	REQUIRE(j != NULL);
	snprintf(j->user, sizeof(j->user), "%s", c->user);
	set(j->account, c->account);
	set(j->qos, c->qos);
	set(j->partition, c->partition);
	set(j->reservation, c->resv);
	j->time_limit_s = c->time_s;
	j->accels_total = c->accels;
	j->nnodes = 1;
	j->accels_per_node = c->accels;
	rc = org_admit(st, j, err, sizeof(err), &status);
	if (c->err != NULL) {
		CHECK(rc == -1 && status == 400 && strstr(err, c->err) != NULL,
		    "%s: refused %d with '%s', not '%s'", c->user, status, err,
		    c->err);
	} else {
		CHECK(rc == 0, "%s: refused: %s", c->user, err);
		CHECK(strcmp(j->account, c->want_account) == 0 &&
		          strcmp(j->qos, c->want_qos) == 0 &&
		          strcmp(j->partition, c->want_partition) == 0 &&
		          j->time_limit_s == c->want_time_s,
		    "%s: got %s/%s/%s/%lld", c->user, j->account, j->qos,
		    j->partition, (long long)j->time_limit_s);
	}
	job_free(j);
	return 0;
fail:
	job_free(j);
	return -1;
}

/* The accounts, users and reservations every case shares. */
static int
populate(struct ctl_state *st)
{
	static const char *const alice[] = {"ai", "physics"};
	static const char *const bob[] = {"ai"};
	struct org_resv r;
	int64_t now = time_wall_ms();
	char err[512];
	int status;

	memset(&r, 0, sizeof(r));
	if (org_account_add(st, "physics", "", 2, "", "t", err, sizeof(err),
	        &status) == -1 ||
	    org_account_add(st, "ai", "physics", 1, "", "t", err, sizeof(err),
	        &status) == -1 ||
	    org_user_put(st, 0, "alice", alice, 2, "ai", "t", err, sizeof(err),
	        &status) == -1 ||
	    org_user_put(st, 0, "bob", bob, 1, NULL, "t", err, sizeof(err),
	        &status) == -1)
		goto fail;
	snprintf(r.name, sizeof(r.name), "m1");
	r.start_ms = now + 3600 * 1000;
	r.end_ms = now + 7200 * 1000;
	r.maint = 1;
	r.account = -1;
	if (org_resv_add(
	        st, &r, "pod01-n001", "t", err, sizeof(err), &status) == -1)
		goto fail;
	snprintf(r.name, sizeof(r.name), "r1");
	r.maint = 0;
	r.account = org_account_find(&st->org, "ai");
	if (org_resv_add(st, &r, "pod02-n[001-002]", "t", err, sizeof(err),
	        &status) == -1)
		goto fail;
	return 0;
fail:
	printf("populate: %s\n", err);
	return -1;
}

/* After a move: gpu still lets ai in, and what is under it, not physics. */
static const struct admit_case after_move[] = {
    {"bob", "", "", "gpu", "", 60, 8, "ai", "normal", "gpu", 60, NULL},
    {"alice", "physics", "", "gpu", "", 60, 8, NULL, NULL, NULL, 0,
        "(AccountNotAllowed)"},
};

/* The tree: parents first after a move, a move under oneself refused,
 * and the same organisation read back from the store. */
static int
case_tree(struct ctl_state *st)
{
	const struct org_partition *gpu;
	struct ctl_state again;
	char err[512];
	int status, a;

	CHECK(org_account_add(
	          st, "chem", "", 1, "", "t", err, sizeof(err), &status) == 0,
	    "%s", err);
	CHECK(org_account_add(st, "qcd", "chem", 1, "", "t", err, sizeof(err),
	          &status) == 0,
	    "%s", err);
	/* ai under qcd, made after it: the accounts reorder */
	CHECK(org_account_modify(st, "ai", "qcd", -1, NULL, "t", err,
	          sizeof(err), &status) == 0,
	    "%s", err);
	/* the move reordered the accounts: partitions follow */
	REQUIRE(check_admit(st, &after_move[0]) == 0);
	REQUIRE(check_admit(st, &after_move[1]) == 0);
	gpu = org_partition_find(&st->org, "gpu");
	CHECK(gpu != NULL && gpu->naccounts == 1 &&
	          strcmp(st->org.accounts[gpu->accounts[0]].name, "ai") == 0,
	    "gpu's account is no longer ai");
	for (a = 1; a < st->org.naccounts; a++)
		CHECK(st->org.accounts[a].parent >= 0 &&
		          st->org.accounts[a].parent < a,
		    "%s comes before its parent", st->org.accounts[a].name);
	CHECK(org_account_modify(st, "chem", "ai", -1, NULL, "t", err,
	          sizeof(err), &status) == -1 &&
	          status == 400 && strstr(err, "'ai' is under 'chem'"),
	    "a cycle: %d %s", status, err);
	CHECK(org_account_add(st, "chem", "", 1, "", "t", err, sizeof(err),
	          &status) == -1 &&
	          status == 409,
	    "a second chem: %d %s", status, err);
	REQUIRE(ctl_open(&again) == 0);
	CHECK(again.org.naccounts == st->org.naccounts &&
	          again.org.nusers == st->org.nusers &&
	          again.org.nassocs == st->org.nassocs &&
	          again.org.nresvs == st->org.nresvs,
	    "the store gives %d accounts, %d users, %d resvs",
	    again.org.naccounts, again.org.nusers, again.org.nresvs);
	a = org_account_find(&again.org, "ai");
	CHECK(a > 0 &&
	          strcmp(again.org.accounts[again.org.accounts[a].parent].name,
	              "qcd") == 0,
	    "ai is not under qcd after a reload");
	CHECK(strcmp(again.org
	                 .accounts[org_user_find(&again.org, "alice")
	                               ->default_account]
	                 .name,
	          "ai") == 0);
	ctl_close(&again);
	return 0;
fail:
	return -1;
}

/* Partitions resolved per node; reservations refused where they hold a
 * node another holds then. */
static int
case_nodes(struct ctl_state *st)
{
	const struct org_partition *gpu = org_partition_find(&st->org, "gpu");
	struct org_resv r;
	char err[512];
	int status, k;

	REQUIRE(gpu != NULL);
	CHECK(gpu->nmembers == 3, "gpu has %d nodes", gpu->nmembers);
	for (k = 0; k < st->fleet->nnodes; k++)
		CHECK(
		    gpu->nodes[k] ==
		        (strcmp(st->fleet->nodes[k].name, "pod02-n001") == 0 ||
		            strcmp(st->fleet->nodes[k].name, "pod02-n002") ==
		                0 ||
		            strcmp(st->fleet->nodes[k].name, "pod02-n004") ==
		                0),
		    "%s", st->fleet->nodes[k].name);
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "r2");
	r.start_ms = time_wall_ms() + 3700 * 1000; /* inside r1 */
	r.end_ms = r.start_ms + 60000;
	r.account = org_account_find(&st->org, "physics");
	CHECK(org_resv_add(
	          st, &r, "pod02-n002", "t", err, sizeof(err), &status) == -1 &&
	          status == 409 && strstr(err, "in reservation 'r1'"),
	    "%d %s", status, err);
	CHECK(org_resv_add(
	          st, &r, "pod03-n001", "t", err, sizeof(err), &status) == -1 &&
	          status == 400 && strstr(err, "no node 'pod03-n001'"),
	    "%d %s", status, err);
	return 0;
fail:
	return -1;
}

/* A window under way drains its nodes with the reason and resumes them
 * once deleted; an operator's drain is left as it was. */
static int
case_window(struct ctl_state *st)
{
	struct node *n1 = fleet_node(st->fleet, "pod01-n003"),
	            *n2 = fleet_node(st->fleet, "pod01-n004");
	struct org_resv r;
	char err[512];
	int status;

	REQUIRE(n1 != NULL && n2 != NULL);
	n2->drained = 1;
	snprintf(n2->reason, sizeof(n2->reason), "bad fan");
	snprintf(n2->drained_by, sizeof(n2->drained_by), "olga");
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "w1");
	r.start_ms = time_wall_ms() - 1000;
	r.end_ms = r.start_ms + 3600 * 1000;
	r.maint = 1;
	r.account = -1;
	REQUIRE(org_resv_add(st, &r, "pod01-n[003-004]", "t", err, sizeof(err),
	            &status) == 0,
	    "%s", err);
	resv_tick(st);
	CHECK(n1->drained && strcmp(n1->reason, "maintenance w1") == 0,
	    "%s: drained %d '%s'", n1->name, n1->drained, n1->reason);
	CHECK(n2->drained && strcmp(n2->reason, "bad fan") == 0,
	    "the operator's drain became '%s'", n2->reason);
	CHECK(st->org.pod_notice != NULL && st->org.pod_notice[0] != NULL &&
	          strstr(st->org.pod_notice[0], "maintenance w1") &&
	          st->org.pod_notice[1] == NULL,
	    "the notices");
	REQUIRE(org_resv_delete(st, "w1", "t", err, sizeof(err), &status) == 0,
	    "%s", err);
	resv_tick(st);
	CHECK(!n1->drained && n1->reason[0] == '\0', "%s stays drained '%s'",
	    n1->name, n1->reason);
	CHECK(n2->drained && strcmp(n2->reason, "bad fan") == 0,
	    "the operator's drain was undone");
	return 0;
fail:
	return -1;
}

int
main(void)
{
	struct ctl_state st;
	FILE *f;
	size_t i;

	log_init("org_test", LOG_LVL_ERROR);
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return 1;
	}
	snprintf(db, sizeof(db), "%s/c.db", tmpdir);
	snprintf(conf_path, sizeof(conf_path), "%s/c.conf", tmpdir);
	if ((f = fopen(conf_path, "w")) == NULL) {
		perror(conf_path);
		return 1;
	}
	fputs(conf_text, f);
	fclose(f);
	if (!CHECK(ctl_open(&st) == 0, "controller state") ||
	    !CHECK(populate(&st) == 0, "accounts and users"))
		goto done;
	for (i = 0; i < NELEM(admit_cases); i++)
		RUN_CASE(admit_cases[i].err ? admit_cases[i].err : "admitted",
		    check_admit(&st, &admit_cases[i]));
	RUN_CASE("the tree", case_tree(&st));
	RUN_CASE("nodes of partitions and reservations", case_nodes(&st));
	RUN_CASE("a maintenance window", case_window(&st));
done:
	ctl_close(&st);
	unlink(db);
	snprintf(db, sizeof(db), "%s/c.db-wal", tmpdir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/c.db-shm", tmpdir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/node.secret", tmpdir);
	unlink(db);
	unlink(conf_path);
	rmdir(tmpdir);
	return check_summary("org_test");
}
