/*
 * The fencing decisions of core/fence.c over a timeline (docs/fencing.md):
 * the agent's lease, when the controller may requeue, how much of a late
 * tick counts, and which reported attempts are answered "kill it". The
 * ordering the guarantee rests on is checked too: for every silence, the
 * agent's lease has run out (and its kill grace passed) before the
 * controller may requeue.
 */
#include <string.h>

#include "check.h"
#include "fence.h"

static const struct {
	int64_t sent_ms;
	int own_s, said_s;
	int64_t until_ms;
} leases[] = {
    {1000, 30, 0, 31000},  /* nothing announced: its own */
    {1000, 30, 10, 11000}, /* the controller's, when lower */
    {1000, 5, 10, 6000},   /* its own, when lower */
    {0, 1, 86400, 1000},
};

static int
t_lease(void)
{
	size_t i;

	for (i = 0; i < NELEM(leases); i++)
		CHECK(fence_lease_until(leases[i].sent_ms, leases[i].own_s,
		          leases[i].said_s) == leases[i].until_ms,
		    "lease row %zu", i);
	CHECK(!fence_agent_due(31000, 31000));
	CHECK(fence_agent_due(31001, 31000));
	return 0;
}

static const struct {
	int64_t silent_ms;
	int due;
} requeues[] = {
    /* timeout 30, grace 10, margin 5: 45 s */
    {0, 0},
    {10001, 0}, /* past the heartbeat: down, not yet requeued */
    {30001, 0}, /* the agent is fencing */
    {45000, 0},
    {45001, 1},
};

static int
t_requeue(void)
{
	const struct fence_conf c = {30, 10, 5};
	size_t i;

	CHECK(fence_requeue_after_ms(&c) == 45000);
	for (i = 0; i < NELEM(requeues); i++)
		CHECK(fence_requeue_due(requeues[i].silent_ms, &c) ==
		          requeues[i].due,
		    "requeue row %zu", i);
	return 0;
}

/* For every silence the controller may requeue at, an agent whose last
 * answered report was sent no later than the controller received it has
 * fenced and its grace has passed. */
static int
t_order(void)
{
	const struct fence_conf c = {3, 2, 1};
	int64_t recv_ms, sent_ms, silent, until;

	for (recv_ms = 0; recv_ms <= 2000; recv_ms += 250)
		for (sent_ms = recv_ms - 1500; sent_ms <= recv_ms;
		     sent_ms += 500) {
			until = fence_lease_until(sent_ms, 3, 3);
			for (silent = 0; silent < 20000; silent += 100) {
				if (!fence_requeue_due(silent, &c))
					continue;
				CHECK(fence_agent_due(recv_ms + silent -
				                          c.kill_grace_s * 1000,
				          until),
				    "recv %lld sent %lld silent %lld",
				    (long long)recv_ms, (long long)sent_ms,
				    (long long)silent);
				break;
			}
		}
	return 0;
}

static const struct {
	int64_t elapsed_ms;
	int64_t credit_ms, lag_ms;
} credits[] = {
    {1000, 1000, 0},
    {1500, 1500, 0},
    {2000, 2000, 0},
    {20000, 2000, 18000}, /* the loop stalled 20 s: 2 s count */
    {-5, 0, 0},
};

static int
t_credit(void)
{
	int64_t lag;
	size_t i;

	for (i = 0; i < NELEM(credits); i++) {
		CHECK(fence_credit_ms(credits[i].elapsed_ms, 1000, &lag) ==
		          credits[i].credit_ms,
		    "credit row %zu", i);
		CHECK(lag == credits[i].lag_ms, "lag row %zu", i);
	}
	return 0;
}

static int
t_superseded(void)
{
	struct report_job rep[4];
	struct desired_job listed[2];
	struct reply_kill out[4];
	int n;

	memset(rep, 0, sizeof(rep));
	memset(listed, 0, sizeof(listed));
	rep[0] = (struct report_job){.id = 7,
	    .attempt = 1,
	    .state = RJOB_RUNNING}; /* requeued: attempt 2 elsewhere */
	rep[1] = (struct report_job){
	    .id = 8, .attempt = 1, .state = RJOB_RUNNING}; /* still listed */
	rep[2] = (struct report_job){.id = 9,
	    .attempt = 1,
	    .state = RJOB_ENDED}; /* ended: nothing to kill */
	rep[3] = (struct report_job){
	    .id = 10, .attempt = 3, .state = RJOB_RUNNING}; /* unknown here */
	listed[0].id = 8;
	listed[0].attempt = 1;
	listed[1].id = 7;
	listed[1].attempt = 2;
	n = fence_superseded(rep, 4, listed, 2, out, 4);
	CHECK(n == 2, "got %d", n);
	CHECK(out[0].id == 7 && out[0].attempt == 1);
	CHECK(out[1].id == 10 && out[1].attempt == 3);
	CHECK(fence_superseded(rep, 4, listed, 2, out, 1) == 1);
	CHECK(fence_superseded(rep, 0, listed, 2, out, 4) == 0);
	return 0;
}

int
main(void)
{
	RUN_CASE("lease", t_lease());
	RUN_CASE("requeue", t_requeue());
	RUN_CASE("agent fenced before requeue", t_order());
	RUN_CASE("loop lag", t_credit());
	RUN_CASE("superseded attempts", t_superseded());
	return check_summary("fence_test");
}
