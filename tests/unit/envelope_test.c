/*
 * Admission's input as the controller builds it, through its public
 * function envelope_admission() (controllerd/envelope.c), and the pass
 * deciding on it (core/sched.c): each pod's power room (the pod budget, or
 * its allocation when lower, less its draw now) and heat room (cooling
 * capacity less the heat its loop carries), the fabric's heat room under
 * the facility's available cooling, each accelerator's draw now (the idle
 * share of the TDP while unknown), and a job's predicted draw (declared per
 * accelerator, else the mean of completed jobs of the same name, else the
 * TDP). Every case is a row of the static table below, on a two-pod fabric
 * whose nodes are down until a row brings one up; the row's job asks for
 * whole nodes of pod 0 (and of pod 1) and the pass must start it or give
 * the reason.
 *
 * The function takes the controller's whole state; the test builds the
 * least of it that admission reads (the fleet, the envelope's allocations
 * and facility cooling, the job table), with no event base, database or
 * socket. calloc is wrapped (-Wl,--wrap=calloc) so that a row can make
 * admission's allocation fail: it must then say so, and nothing starts.
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
 * Columns: what the row is; whole nodes (8 accelerators each) the job asks
 * for in pod 0 and in pod 1 (two jobs of one name when both); its declared
 * draw per accelerator (NaN: none); allow_capped; a second job of 8
 * accelerators ahead of it in the queue declaring this draw per
 * accelerator (0: none); pod 0's allocation (0: none); the facility's
 * available cooling (NaN: unknown); the draw of one up node of pod 0
 * outside the job (0: all down); whether that node's pump has stopped;
 * whether a completed job of the same name drew 500 W per accelerator;
 * whether calloc fails; then the reason wanted (NULL: started) and pod 0's
 * power room as admission sees it (NaN: not checked).
 */
static const struct admit_case {
	const char *what;
	int nodes0, nodes1;
	double per_accel_w;
	int allow_capped;
	double ahead_w, alloc0_w, facility_w, up_draw_w;
	int pump_stopped, history, no_memory;
	const char *want;
	double room0_w;
} cases[] = {
    {"one node within the budget", 1, 0, 650, 0, 0, 0, N, 0, 0, 0, 0, NULL,
        20000},
    {"a whole pod just within", 4, 0, 700, 0, 0, 0, N, 0, 0, 0, 0, NULL, 20000},
    {"a whole pod over the budget", 4, 0, 800, 0, 0, 0, N, 0, 0, 0, 0,
        "PowerBudget", 20000},
    {"allow_capped skips the power limit", 4, 0, 800, 1, 0, 0, N, 0, 0, 0, 0,
        NULL, 20000},
    {"allow_capped still bounded by cooling", 4, 0, 1100, 1, 0, 0, N, 0, 0, 0,
        0, "CoolingCapacity", 20000},
    {"no declared draw: the TDP", 1, 0, N, 0, 0, 0, N, 0, 0, 0, 0, NULL, 20000},
    {"no declared draw: the TDP, a whole pod over", 4, 0, N, 0, 0, 0, 15000, 0,
        0, 0, 0, "CoolingCapacity", 20000},
    {"no declared draw: the history of its name", 4, 0, N, 0, 0, 0, 15000, 0, 0,
        1, 0, NULL, 20000},
    {"a job ahead in the pass counts", 1, 0, 650, 0, 650, 0, N, 0, 0, 0, 0,
        NULL, 20000},
    {"a job ahead in the pass fills the pod", 3, 0, 650, 0, 1900, 0, N, 0, 0, 0,
        0, "PowerBudget", 20000},
    {"an allocation below the budget binds", 1, 0, 650, 0, 0, 4000, N, 0, 0, 0,
        0, "PowerBudget", 4000},
    {"an allocation above the need", 1, 0, 650, 0, 0, 5000, N, 0, 0, 0, 0, NULL,
        5000},
    {"the draw a pod reports counts", 1, 0, 650, 0, 0, 0, N, 16000, 0, 0, 0,
        "PowerBudget", 4000},
    {"a stopped pump leaves no cooling", 1, 0, 650, 0, 0, 0, N, 1000, 1, 0, 0,
        "CoolingCapacity", 19000},
    {"the facility's cooling bounds the fabric", 1, 0, 650, 0, 0, 0, 4000, 0, 0,
        0, 0, "CoolingCapacity", 20000},
    {"the facility's cooling when it suffices", 1, 0, 650, 0, 0, 0, 5000, 0, 0,
        0, 0, NULL, 20000},
    {"each pod on its own: the other over", 1, 4, 800, 0, 0, 0, N, 0, 0, 0, 0,
        "PowerBudget", 20000},
    {"below the idle draw adds nothing: started even over", 1, 0, 100, 0, 0, 0,
        N, 25000, 0, 0, 0, NULL, -5000},
    {"no memory: nothing starts", 1, 0, 650, 0, 0, 0, N, 0, 0, 0, 1, "memory",
        N},
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

/* A pending job of name "train" on whole nodes of one pod, 8
 * accelerators each, drawing per_accel_w. NULL on allocation failure. */
static struct job *
pending_job(int64_t id, int nodes, double per_accel_w, int allow_capped)
{
	struct job *j = job_new();

	if (j == NULL)
		return NULL;
	j->id = id;
	snprintf(j->name, sizeof(j->name), "%s", "train");
	j->state = JOB_PENDING;
	j->nnodes = nodes;
	j->accels_per_node = 8;
	j->exclusive = 1;
	j->within = SCHED_WITHIN_POD;
	j->time_limit_s = 600;
	j->power_per_accel_w = per_accel_w;
	j->allow_capped = allow_capped;
	return j;
}

/* The pass of queue.c in small: the nodes as the scheduler sees them, the
 * admission input, the pending jobs (the first is pod 1's when nodes1 is
 * set, made to fit there only by taking pod 0's nodes away); returns what
 * happened to the row's job: NULL started, a reason, or "memory". */
static const char *
decide(struct ctl_state *st, const struct admit_case *k, struct job **v, int nv,
    double *room0)
{
	struct sched_node nodes[8];
	struct sched_pending pend[3];
	struct sched_input in;
	struct sched_result res;
	struct envelope_admission adm;
	const char *why = "memory";
	int i, last = nv - 1;

	memset(nodes, 0, sizeof(nodes));
	for (i = 0; i < 8; i++) {
		nodes[i].pod = i / 4;
		nodes[i].group = i / 4;
		nodes[i].naccels = 8;
		nodes[i].usable = 1;
		/* node 3: the up node outside the job, held busy; also
		 * busy to send a pod-1 job to pod 1 */
		nodes[i].free_mask =
		    i == 3 && (k->up_draw_w > 0 || k->nodes1 > 0) ? 0 : 0xff;
	}
	fail_calloc = k->no_memory;
	if (envelope_admission(st, nodes, &adm) == -1) {
		fail_calloc = 0;
		return why;
	}
	fail_calloc = 0;
	*room0 = adm.pod_power_w[0];
	memset(pend, 0, sizeof(pend));
	for (i = 0; i < nv; i++) {
		pend[i].id = v[i]->id;
		pend[i].prio = 100 - i; /* in table order */
		pend[i].req.nnodes = v[i]->nnodes;
		pend[i].req.accels_per_node = v[i]->accels_per_node;
		pend[i].req.exclusive = v[i]->exclusive;
		pend[i].req.within = v[i]->within;
		pend[i].req.time_limit_ms = v[i]->time_limit_s * 1000;
		pend[i].power_per_accel_w = envelope_predict_w(&adm, v[i]);
		pend[i].power_exempt = v[i]->allow_capped;
	}
	memset(&in, 0, sizeof(in));
	in.now_ms = 1000;
	in.policy = SCHED_FCFS;
	in.nodes = nodes;
	in.nnodes = 8;
	in.npods = 2;
	in.ngroups = 2;
	in.pending = pend;
	in.npending = nv;
	in.power = &adm.power;
	if (sched_pass(&in, &res) == 0) {
		why = res.d[last].reason == SCHED_R_NONE
		          ? NULL
		          : sched_reason_name(res.d[last].reason);
		/* the row's pod-1 job decides for the whole row */
		for (i = 0; i < last && why == NULL; i++)
			if (res.d[i].reason != SCHED_R_NONE && k->nodes1 > 0)
				why = sched_reason_name(res.d[i].reason);
		sched_result_free(&res);
	}
	envelope_admission_free(&adm);
	return why;
}

static int
run_case(const struct config *c, const struct admit_case *k)
{
	struct ctl_state st;
	struct envelope env;
	struct job *v[3] = {NULL, NULL, NULL};
	double alloc_w[2] = {0, 0}, room0 = NAN;
	const char *why;
	int i, nv = 0, rc = -1;

	memset(&st, 0, sizeof(st));
	memset(&env, 0, sizeof(env));
	REQUIRE((st.fleet = fleet_new(c)) != NULL);
	REQUIRE(st.fleet->npods == 2 && st.fleet->nnodes == 8);
	st.env = &env;
	env.pod_alloc_w = alloc_w;
	env.facility_cooling_w = k->facility_w;
	alloc_w[0] = k->alloc0_w;
	if (k->up_draw_w > 0) {
		struct node *n = &st.fleet->nodes[3]; /* pod 0 */

		n->up = 1;
		n->power_w = k->up_draw_w;
		n->pump_pct = k->pump_stopped ? 0 : NAN;
	}
	if (k->history)
		REQUIRE(jobs_add(&st.jobs, history_job()) == 0);
	if (k->nodes1 > 0)
		REQUIRE((v[nv++] = pending_job(1, k->nodes1, k->per_accel_w,
		             k->allow_capped)) != NULL);
	if (k->ahead_w > 0)
		REQUIRE((v[nv++] = pending_job(2, 1, k->ahead_w, 0)) != NULL);
	REQUIRE((v[nv++] = pending_job(
	             3, k->nodes0, k->per_accel_w, k->allow_capped)) != NULL);
	why = decide(&st, k, v, nv, &room0);
	CHECK(why == k->want ||
	          (why != NULL && k->want != NULL && strcmp(why, k->want) == 0),
	    "%s: %s, want %s", k->what, why ? why : "started",
	    k->want ? k->want : "started");
	CHECK(
	    isnan(k->room0_w) ? isnan(room0) : fabs(room0 - k->room0_w) < 1e-6,
	    "%s: pod 0's power room %.1f W, want %.1f", k->what, room0,
	    k->room0_w);
	rc = 0;
fail:
	for (i = 0; i < 3; i++)
		job_free(v[i]);
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
