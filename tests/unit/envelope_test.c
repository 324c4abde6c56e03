/*
 * Admission as the controller decides it today, through its public
 * function envelope_admit() (controllerd/envelope.c): a job's predicted
 * draw (declared per accelerator, else the mean of completed jobs of the
 * same name, else the TDP) less what its accelerators draw now (the idle
 * share of the TDP while unknown) is set against each pod's power limit
 * (the pod budget, or its allocation when lower) and cooling capacity, and
 * the fabric's heat against the facility's available cooling. Every case
 * is a row of the static table below, on a two-pod fabric whose nodes are
 * down until a row brings one up.
 *
 * The function takes the controller's whole state; the test builds the
 * least of it that admission reads (the fleet, the envelope's allocations
 * and facility cooling, the job table), with no event base, database or
 * socket. calloc is wrapped (-Wl,--wrap=calloc) so that a row can make
 * admission's one allocation fail: today it then admits.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "jobs.h"
#include "sched.h"

/* Two pods of four nodes with 8 accelerators, 20 kW and 30 kW of cooling
 * each. */
static const char conf_text[] = "[controller]\n"
                                "[fabric]\n"
                                "pods = 2\n"
                                "nodes_per_pod = 4\n"
                                "groups_per_pod = 1\n"
                                "accels_per_node = 8\n"
                                "power_budget_kw = 20\n"
                                "cooling_capacity_kw = 30\n";

#define N      NAN
#define IDLE_W 140.0 /* 0.2 of the 700 W TDP assumed when unknown */

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static int fail_calloc; /* the next calloc fails */

/* Every calloc of the linked code comes here (-Wl,--wrap=calloc): NULL
 * once when fail_calloc is set, else the real one's result. */
void *
__wrap_calloc(size_t n, size_t size)
{
	if (fail_calloc) {
		fail_calloc = 0;
		return NULL;
	}
	return __real_calloc(n, size);
}

/*
 * Columns: what the row is; whole nodes (8 accelerators each) the job gets
 * in pod 0 and in pod 1; its declared draw per accelerator (NaN: none);
 * allow_capped; the power pod 0 has already admitted this pass (used_w);
 * pod 0's allocation (0: none); the facility's available cooling (NaN:
 * unknown); the draw of one up node of pod 0 outside the job (0: all
 * down); whether that node's pump has stopped; whether a completed job of
 * the same name drew 500 W per accelerator; whether calloc fails; then the
 * reason wanted (NULL: admitted) and pod 0's used_w after.
 */
static const struct admit_case {
	const char *what;
	int nodes0, nodes1;
	double per_accel_w;
	int allow_capped;
	double used0_w, alloc0_w, facility_w, up_draw_w;
	int pump_stopped, history, no_memory;
	const char *want;
	double used0_after_w;
} cases[] = {
    {"one node within the budget", 1, 0, 650, 0, 0, 0, N, 0, 0, 0, 0, NULL,
        8 * (650 - IDLE_W)},
    {"a whole pod just within", 4, 0, 700, 0, 0, 0, N, 0, 0, 0, 0, NULL,
        32 * (700 - IDLE_W)},
    {"a whole pod over the budget", 4, 0, 800, 0, 0, 0, N, 0, 0, 0, 0,
        "PowerBudget", 0},
    {"allow_capped skips the power limit", 4, 0, 800, 1, 0, 0, N, 0, 0, 0, 0,
        NULL, 32 * (800 - IDLE_W)},
    {"allow_capped still bounded by cooling", 4, 0, 1100, 1, 0, 0, N, 0, 0, 0,
        0, "CoolingCapacity", 0},
    {"no declared draw: the TDP", 1, 0, N, 0, 0, 0, N, 0, 0, 0, 0, NULL,
        8 * (700 - IDLE_W)},
    {"no declared draw: the history of its name", 1, 0, N, 0, 0, 0, N, 0, 0, 1,
        0, NULL, 8 * (500 - IDLE_W)},
    {"what this pass admitted counts", 1, 0, 650, 0, 10000, 0, N, 0, 0, 0, 0,
        NULL, 10000 + 8 * (650 - IDLE_W)},
    {"what this pass admitted fills the pod", 1, 0, 650, 0, 16000, 0, N, 0, 0,
        0, 0, "PowerBudget", 16000},
    {"an allocation below the budget binds", 1, 0, 650, 0, 0, 4000, N, 0, 0, 0,
        0, "PowerBudget", 0},
    {"an allocation above the need", 1, 0, 650, 0, 0, 5000, N, 0, 0, 0, 0, NULL,
        8 * (650 - IDLE_W)},
    {"the draw a pod reports counts", 1, 0, 650, 0, 0, 0, N, 16000, 0, 0, 0,
        "PowerBudget", 0},
    {"a stopped pump leaves no cooling", 1, 0, 650, 0, 0, 0, N, 1000, 1, 0, 0,
        "CoolingCapacity", 0},
    {"the facility's cooling bounds the fabric", 1, 0, 650, 0, 0, 0, 4000, 0, 0,
        0, 0, "CoolingCapacity", 0},
    {"the facility's cooling when it suffices", 1, 0, 650, 0, 0, 0, 5000, 0, 0,
        0, 0, NULL, 8 * (650 - IDLE_W)},
    {"each pod on its own: the other over", 1, 4, 800, 0, 0, 0, N, 0, 0, 0, 0,
        "PowerBudget", 0},
    {"below the idle draw adds nothing: admitted even over", 1, 0, 100, 0,
        25000, 0, N, 0, 0, 0, 0, NULL, 25000},
    {"no memory: admitted, nothing counted", 4, 0, 800, 0, 0, 0, N, 0, 0, 0, 1,
        NULL, 0},
};

/* The configuration above, from a temporary file. NULL on error. */
static struct config *
load_conf(void)
{
	char path[] = "/tmp/pod-envelope-test-XXXXXX", err[256];
	struct config *c = NULL;
	int fd;

	if ((fd = mkstemp(path)) == -1)
		return NULL;
	if (write(fd, conf_text, strlen(conf_text)) ==
	    (ssize_t)strlen(conf_text))
		c = config_load(path, err, sizeof(err));
	if (c == NULL)
		printf("config: %s\n", err);
	close(fd);
	unlink(path);
	return c;
}

/* A completed job "train" that drew 500 W per accelerator for an hour. */
static struct job *
history_job(void)
{
	struct job *h = job_new();

	if (h == NULL)
		return NULL;
	snprintf(h->name, sizeof(h->name), "%s", "train");
	h->state = JOB_COMPLETED;
	h->accels_total = 8;
	h->start_ms = 1000;
	h->end_ms = 1000 + 3600 * 1000;
	h->energy_j = 8 * 500.0 * 3600;
	return h;
}

static int
run_case(const struct config *c, const struct admit_case *k)
{
	struct ctl_state st;
	struct envelope env;
	struct sched_slot slots[8];
	struct job *j = NULL;
	double used_w[2], alloc_w[2] = {0, 0};
	const char *why;
	int i, nslots = 0, rc = -1;

	memset(&st, 0, sizeof(st));
	memset(&env, 0, sizeof(env));
	REQUIRE((st.fleet = fleet_new(c)) != NULL);
	REQUIRE(st.fleet->npods == 2 && st.fleet->nnodes == 8);
	st.env = &env;
	env.pod_alloc_w = alloc_w;
	env.facility_cooling_w = k->facility_w;
	alloc_w[0] = k->alloc0_w;
	if (k->up_draw_w > 0) {
		struct node *n = &st.fleet->nodes[3]; /* pod 0, not in a slot */

		n->up = 1;
		n->power_w = k->up_draw_w;
		n->pump_pct = k->pump_stopped ? 0 : NAN;
	}
	if (k->history)
		REQUIRE(jobs_add(&st.jobs, history_job()) == 0);
	REQUIRE((j = job_new()) != NULL);
	snprintf(j->name, sizeof(j->name), "%s", "train");
	j->power_per_accel_w = k->per_accel_w;
	j->allow_capped = k->allow_capped;
	for (i = 0; i < k->nodes0; i++)
		slots[nslots++] = (struct sched_slot){i, 0xff};
	for (i = 0; i < k->nodes1; i++)
		slots[nslots++] = (struct sched_slot){4 + i, 0xff};
	j->nnodes = nslots;
	j->accels_total = 8 * nslots;
	used_w[0] = k->used0_w;
	used_w[1] = 0;
	fail_calloc = k->no_memory;
	why = envelope_admit(&st, j, slots, nslots, used_w);
	fail_calloc = 0;
	CHECK(why == k->want ||
	          (why != NULL && k->want != NULL && strcmp(why, k->want) == 0),
	    "%s: %s, want %s", k->what, why ? why : "admitted",
	    k->want ? k->want : "admitted");
	CHECK(fabs(used_w[0] - k->used0_after_w) < 1e-6,
	    "%s: used_w %.1f, want %.1f", k->what, used_w[0], k->used0_after_w);
	rc = 0;
fail:
	job_free(j);
	jobs_clear(&st.jobs);
	free(st.jobs.v);
	fleet_free(st.fleet);
	return rc;
}

int
main(void)
{
	struct config *c = load_conf();
	size_t i;

	if (CHECK(c != NULL, "the test's configuration"))
		for (i = 0; i < NELEM(cases); i++)
			RUN_CASE(cases[i].what, run_case(c, &cases[i]));
	config_free(c);
	return check_summary("envelope_test");
}
