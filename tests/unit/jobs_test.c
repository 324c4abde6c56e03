/*
 * The job lifecycle of jobs.c: how ranks' reports settle a job's fate,
 * failure stopping the other ranks, node failure, leak and requeue, cancel,
 * preemption, timeout, and stale reports.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "jobs.h"
#include <pod/wire.h>

static const struct sched_slot two_nodes[] = {{3, 0xff}, {4, 0xff}};

static struct job *
started(int requeue)
{
	struct job *j = job_new();

	j->id = 7;
	j->nnodes = 2;
	j->requeue = requeue;
	j->submit_ms = 1000;
	job_start(j, two_nodes, 2, 5000);
	return j;
}

static struct report_job
said(int attempt, int running, const char *cause, int has_exit, int code,
    int sig)
{
	struct report_job rj;

	memset(&rj, 0, sizeof(rj));
	rj.id = 7;
	rj.attempt = attempt;
	rj.state = running ? RJOB_RUNNING : RJOB_ENDED;
	snprintf(rj.cause, sizeof(rj.cause), "%s", cause);
	rj.has_exit = has_exit;
	rj.exit_code = code;
	rj.signal = sig;
	rj.ended_ms = 9000;
	return rj;
}

static void
test_completed(void)
{
	struct job *j = started(1);
	struct report_job rj = said(1, 1, "", 0, 0, 0);

	CHECK(j->state == JOB_RUNNING && j->attempt == 1 && j->nranks == 2);
	CHECK(j->ranks[0].state == RANK_STARTING);
	CHECK(job_rank_report(j, 3, &rj) == 1);
	CHECK(j->ranks[0].state == RANK_RUNNING);
	CHECK(job_settle(j, 9500) == 0);
	rj = said(1, 0, "exit", 1, 0, 0);
	CHECK(job_rank_report(j, 3, &rj) == 1);
	CHECK(job_settle(j, 9500) == 0 && j->state == JOB_RUNNING);
	CHECK(job_rank_report(j, 4, &rj) == 1);
	CHECK(job_settle(j, 9500) == 1);
	CHECK(j->state == JOB_COMPLETED && j->has_exit && j->exit_code == 0);
	CHECK(j->end_ms == 9000);
	job_free(j);
}

static void
test_failure_stops_the_others(void)
{
	struct job *j = started(1);
	struct report_job rj = said(1, 0, "exit", 1, 3, 0);

	job_rank_report(j, 4, &rj);
	CHECK(job_settle(j, 9500) == 1 && j->state == JOB_RUNNING);
	CHECK(j->ending == CAUSE_EXIT);
	CHECK(job_rank_cancel(j, &j->ranks[0]) == 1);
	rj = said(1, 0, "cancelled", 0, 0, 15);
	job_rank_report(j, 3, &rj);
	job_settle(j, 9500);
	CHECK(j->state == JOB_FAILED && j->exit_code == 3);
	job_free(j);
}

static void
test_node_fail_requeues(void)
{
	struct job *j = started(1);
	struct report_job rj;
	static const struct sched_slot other[] = {{5, 0xff}, {6, 0xff}};

	CHECK(job_node_down(j, 4, 8000) == 1);
	CHECK(job_node_down(j, 4, 8000) == 0);
	job_settle(j, 8000);
	CHECK(j->state == JOB_RUNNING && j->ending == CAUSE_NODE_FAIL);
	CHECK(job_rank_cancel(j, &j->ranks[0]));
	rj = said(1, 0, "cancelled", 0, 0, 15);
	job_rank_report(j, 3, &rj);
	CHECK(job_settle(j, 9500) == 1);
	CHECK(j->state == JOB_PENDING && j->attempt == 1);
	CHECK(j->submit_ms == 1000 && !j->has_exit);
	/* the next attempt; the old ranks go once stored */
	j->ranks[0].dirty = j->ranks[1].dirty = 0;
	CHECK(job_start(j, other, 2, 10000) == 0);
	CHECK(j->attempt == 2 && j->nranks == 2 && j->ranks[0].node == 5);
	/* a late report of attempt 1 changes nothing */
	rj = said(1, 0, "exit", 1, 0, 0);
	CHECK(job_rank_report(j, 3, &rj) == 0);
	job_free(j);
}

static void
test_node_fail_without_requeue(void)
{
	struct job *j = started(0);

	job_node_down(j, 3, 8000);
	job_node_down(j, 4, 8000);
	CHECK(job_settle(j, 8000) == 1 && j->state == JOB_NODE_FAIL);
	job_free(j);
}

/* A leak on a node stops its ranks with cause leak: requeued like a lost
 * node, and the rank remembers why. */
static void
test_leak_requeues(void)
{
	struct job *j = started(1);
	struct report_job rj;

	CHECK(job_node_leak(j, 3, 8000) == 1);
	CHECK(j->ranks[0].cause == CAUSE_LEAK && j->ranks[0].ended_ms == 8000);
	CHECK(strcmp(job_cause_name(j->ranks[0].cause), "leak") == 0);
	job_settle(j, 8000);
	CHECK(j->state == JOB_RUNNING && j->ending == CAUSE_LEAK);
	rj = said(1, 0, "cancelled", 0, 0, 15);
	job_rank_report(j, 4, &rj);
	CHECK(job_settle(j, 9500) == 1 && j->state == JOB_PENDING);
	job_free(j);
	j = started(0);
	job_node_leak(j, 3, 8000);
	job_node_down(j, 4, 8000);
	CHECK(job_settle(j, 8000) == 1 && j->state == JOB_NODE_FAIL);
	job_free(j);
}

static void
test_cancel(void)
{
	struct job *j = job_new();
	struct report_job rj;

	CHECK(job_cancel(j, 100) == 0 && j->state == JOB_CANCELLED);
	CHECK(job_cancel(j, 200) == -1);
	job_free(j);
	j = started(1);
	CHECK(job_cancel(j, 6000) == 0 && j->state == JOB_RUNNING);
	CHECK(job_rank_cancel(j, &j->ranks[1]));
	rj = said(1, 0, "cancelled", 0, 0, 15);
	job_rank_report(j, 3, &rj);
	job_rank_report(j, 4, &rj);
	job_settle(j, 9500);
	CHECK(j->state == JOB_CANCELLED);
	job_free(j);
}

/* Preempted: the ranks are told to stop, and once they have the job is
 * pending again with its ranks' cause preempted; a job that may not be
 * requeued is not preempted; a cancel during it wins. */
static void
test_preempt(void)
{
	struct job *j = started(1);
	struct report_job rj;

	CHECK(job_preempt(j) == 0 && j->ending == CAUSE_PREEMPTED);
	CHECK(job_preempt(j) == -1);
	CHECK(job_rank_cancel(j, &j->ranks[0]));
	rj = said(1, 0, "cancelled", 0, 0, 15);
	job_rank_report(j, 3, &rj);
	CHECK(job_settle(j, 9000) == 0 && j->state == JOB_RUNNING);
	job_rank_report(j, 4, &rj);
	CHECK(job_settle(j, 9500) == 1 && j->state == JOB_PENDING);
	CHECK(j->ranks[0].cause == CAUSE_PREEMPTED &&
	      strcmp(job_cause_name(j->ranks[1].cause), "preempted") == 0);
	job_free(j);
	j = started(0);
	CHECK(job_preempt(j) == -1 && j->ending == CAUSE_NONE);
	job_free(j);
	j = started(1);
	CHECK(job_preempt(j) == 0 && job_cancel(j, 6000) == 0);
	rj = said(1, 0, "cancelled", 0, 0, 15);
	job_rank_report(j, 3, &rj);
	job_rank_report(j, 4, &rj);
	job_settle(j, 9500);
	CHECK(j->state == JOB_CANCELLED);
	job_free(j);
}

static void
test_timeout_and_launch_error(void)
{
	struct job *j = started(1);
	struct report_job rj = said(1, 0, "timeout", 0, 0, 9);

	job_rank_report(j, 3, &rj);
	job_rank_report(j, 4, &rj);
	job_settle(j, 9500);
	CHECK(j->state == JOB_TIMEOUT);
	job_free(j);
	j = started(1);
	rj = said(1, 0, "launch_error", 0, 0, 0);
	job_rank_report(j, 3, &rj);
	job_rank_report(j, 4, &rj);
	job_settle(j, 9500);
	CHECK(j->state == JOB_FAILED && !j->has_exit);
	job_free(j);
}

static void
test_names(void)
{
	CHECK(job_state_parse("node_fail") == JOB_NODE_FAIL);
	CHECK(job_state_parse("done") == -1);
	CHECK(strcmp(job_state_name(JOB_TIMEOUT), "timeout") == 0);
	CHECK(job_cause_parse("launch_error") == CAUSE_LAUNCH_ERROR);
	CHECK(job_cause_parse("leak") == CAUSE_LEAK);
	CHECK(job_within_parse("group") == SCHED_WITHIN_GROUP);
	CHECK(job_within_parse("rack") == -1);
}

int
main(void)
{
	test_completed();
	test_failure_stops_the_others();
	test_node_fail_requeues();
	test_node_fail_without_requeue();
	test_leak_requeues();
	test_cancel();
	test_preempt();
	test_timeout_and_launch_error();
	test_names();
	return check_summary("jobs_test");
}
