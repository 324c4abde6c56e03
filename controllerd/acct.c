/*
 * Accounting (see acct.h): what an attempt's record says, taken from the
 * job in memory at the moment the store writes the job, and what must be
 * tracked between those moments. The energy of an attempt is the job's
 * energy counter (envelope.c adds each report's accelerator energy to it)
 * less its value as the attempt began; the peak draw is watched here, on
 * every report, the same way. Both live in struct job, and a restart takes
 * them back from the running attempts' records.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "hostlist.h"
#include "jobs.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#define MS_PER_HOUR     3600000.0
#define PRUNE_PERIOD_MS (3600 * 1000)
#define FLUSH_PERIOD_MS (60 * 1000) /* running attempts' records */
#define DAY_MS          ((int64_t)86400 * 1000)

double
acct_share(int64_t start_ms, int64_t end_ms, int64_t from_ms, int64_t to_ms)
{
	int64_t lo = start_ms, hi = end_ms;

	if (from_ms > 0 && from_ms > lo)
		lo = from_ms;
	if (to_ms > 0 && to_ms < hi)
		hi = to_ms;
	if (end_ms <= start_ms)
		return start_ms >= (from_ms > 0 ? from_ms : start_ms) &&
		               (to_ms <= 0 || start_ms < to_ms)
		           ? 1
		           : 0;
	if (hi <= lo)
		return 0;
	return (double)(hi - lo) / (double)(end_ms - start_ms);
}

/* The tags a job is accounted under: those admission resolved at submit;
 * a job stored before accounts existed has none, and is the default
 * account's, QOS's and partition's. */
static void
tags(const struct job *j, struct acct_row *out)
{
	snprintf(out->user, sizeof(out->user), "%s",
	    j->user[0] != '\0' ? j->user : j->submitted_by);
	snprintf(out->account, sizeof(out->account), "%s",
	    j->account[0] != '\0' ? j->account : "root");
	snprintf(out->qos, sizeof(out->qos), "%s",
	    j->qos[0] != '\0' ? j->qos : "normal");
	snprintf(out->partition, sizeof(out->partition), "%s",
	    j->partition[0] != '\0' ? j->partition : "all");
}

/* The host list of the nodes of j's ranks of `attempt`, those whose end
 * counts as lost (node failure or leak) only when `lost`. */
static void
attempt_nodes(const struct job *j, const struct fleet *f, int attempt, int lost,
    char *buf, size_t size)
{
	const char **names = calloc(j->nranks + 1, sizeof(*names));
	int i, n = 0;

	buf[0] = '\0';
	if (names == NULL)
		return;
	for (i = 0; i < j->nranks; i++) {
		const struct job_rank *r = &j->ranks[i];

		if (r->attempt != attempt ||
		    (lost && r->cause != CAUSE_NODE_FAIL &&
		        r->cause != CAUSE_LEAK))
			continue;
		names[n++] = f->nodes[r->node].name;
	}
	if (hostlist_compact(names, n, buf, size) == -1)
		log_warnx("%s: job %lld: host list cut to %zu bytes", __func__,
		    (long long)j->id, size);
	free(names);
}

/* 1 when j's current attempt was stopped for another job. */
static int
preempted(const struct job *j)
{
	int i;

	for (i = 0; i < j->nranks; i++)
		if (j->ranks[i].attempt == j->attempt &&
		    j->ranks[i].cause == CAUSE_PREEMPTED)
			return 1;
	return 0;
}

/* Why the attempt ended as it did, in words; "" when its state says all. */
static void
end_reason(const struct job *j, const struct fleet *f, struct acct_row *out)
{
	char lost[ACCT_NODES_MAX / 2];
	int i;

	out->reason[0] = '\0';
	attempt_nodes(j, f, j->attempt, 1, lost, sizeof(lost));
	if (lost[0] != '\0') {
		snprintf(out->reason, sizeof(out->reason), "lost %.200s%s",
		    lost, j->state == JOB_PENDING ? "; requeued" : "");
		return;
	}
	for (i = 0; i < j->nranks; i++)
		if (j->ranks[i].attempt == j->attempt &&
		    j->ranks[i].cause == CAUSE_LAUNCH_ERROR) {
			snprintf(out->reason, sizeof(out->reason),
			    "could not launch on %.64s: %.160s",
			    f->nodes[j->ranks[i].node].name,
			    j->ranks[i].message);
			return;
		}
}

int
acct_row_from_job(const struct job *j, const struct fleet *f, int64_t now_ms,
    struct acct_row *out)
{
	int64_t end;

	/* queued, or requeued and its last attempt already recorded */
	if (j->state == JOB_PENDING && (j->attempt == 0 || j->end_ms == 0))
		return 0;
	memset(out, 0, sizeof(*out));
	out->job_id = j->id;
	out->attempt = j->attempt;
	tags(j, out);
	snprintf(out->name, sizeof(out->name), "%s", j->name);
	out->nnodes = j->nnodes;
	out->accels = j->accels_total;
	out->submit_ms = j->submit_ms;
	out->energy_j = NAN;
	out->peak_power_w = NAN;
	if (j->attempt == 0) {
		/* ended in the queue: a record of no length at its end */
		snprintf(out->state, sizeof(out->state), "%s",
		    job_state_name(j->state));
		out->end_ms = j->end_ms > 0 ? j->end_ms : now_ms;
		return 1;
	}
	attempt_nodes(j, f, j->attempt, 0, out->nodes, sizeof(out->nodes));
	out->start_ms = j->start_ms;
	if (j->state == JOB_RUNNING) {
		snprintf(out->state, sizeof(out->state), "running");
		end = now_ms;
	} else {
		/* a requeued attempt ended as a lost node ends a job, or was
		 * preempted (Slurm's PREEMPTED) */
		snprintf(out->state, sizeof(out->state), "%s",
		    j->state != JOB_PENDING ? job_state_name(j->state)
		    : preempted(j)          ? ACCT_PREEMPTED
		                            : job_state_name(JOB_NODE_FAIL));
		out->end_ms = j->end_ms > 0 ? j->end_ms : now_ms;
		end = out->end_ms;
		out->has_exit = j->has_exit && j->state != JOB_PENDING;
		out->exit_code = j->exit_code;
		end_reason(j, f, out);
		if (out->reason[0] == '\0' && preempted(j))
			snprintf(out->reason, sizeof(out->reason),
			    "preempted; requeued");
	}
	if (end > j->start_ms)
		out->accel_hours =
		    j->accels_total * (double)(end - j->start_ms) / MS_PER_HOUR;
	if (!isnan(j->energy_j))
		out->energy_j = j->energy_j - j->attempt_energy0_j;
	out->peak_power_w = j->peak_power_w;
	return 1;
}

/* The draw of rank r's share of its node, W, or NaN when not known: the
 * node's whole draw when the rank holds all its accelerators, else the
 * draw of the rank's accelerators. */
static double
rank_draw(const struct fleet *f, const struct job_rank *r)
{
	const struct node *n = &f->nodes[r->node];
	int k = fleet_node_accels(f, n), b, known = 0;
	uint64_t all = k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;
	double w = 0;

	if ((r->mask & all) == all)
		return n->power_w;
	for (b = 0; b < n->naccels && b < 64; b++)
		if ((r->mask & ((uint64_t)1 << b)) &&
		    !isnan(n->accels[b].power_w)) {
			w += n->accels[b].power_w;
			known++;
		}
	return known > 0 ? w : NAN;
}

void
acct_sample(struct ctl_state *st, int idx)
{
	int i, k, here, known;
	double sum, w;

	if (st->fleet->nodes[idx].running_jobs == 0)
		return;
	for (i = 0; i < st->jobs.n; i++) {
		struct job *j = st->jobs.v[i];

		if (j->state != JOB_RUNNING)
			continue;
		for (k = here = 0; k < j->nranks && !here; k++)
			here = j->ranks[k].node == idx &&
			       j->ranks[k].attempt == j->attempt &&
			       j->ranks[k].state != RANK_ENDED;
		if (!here)
			continue;
		sum = 0;
		known = 0;
		for (k = 0; k < j->nranks; k++) {
			const struct job_rank *r = &j->ranks[k];

			if (r->attempt != j->attempt || r->state == RANK_ENDED)
				continue;
			if (!isnan(w = rank_draw(st->fleet, r))) {
				sum += w;
				known++;
			}
		}
		if (known > 0 &&
		    (isnan(j->peak_power_w) || sum > j->peak_power_w))
			j->peak_power_w = sum;
	}
}

int
acct_resume(struct ctl_state *st)
{
	struct acct_row row;
	int i, rc;

	for (i = 0; i < st->jobs.n; i++) {
		struct job *j = st->jobs.v[i];

		if (j->state != JOB_RUNNING)
			continue;
		j->attempt_energy0_j = isnan(j->energy_j) ? 0 : j->energy_j;
		rc = store_acct_get(st->store, j->id, j->attempt, &row);
		if (rc == -1)
			return -1;
		if (rc == 0)
			continue;
		/* never measured when last stored: all of it is this
		 * attempt's, from zero */
		if (isnan(j->energy_j) && !isnan(row.energy_j))
			j->energy_j = row.energy_j;
		else if (!isnan(row.energy_j))
			j->attempt_energy0_j -= row.energy_j;
		j->peak_power_w = row.peak_power_w;
	}
	return 0;
}

void
acct_tick(struct ctl_state *st)
{
	static int64_t last_ms, flushed_ms;
	int64_t now = time_wall_ms();
	int n;

	if (now - flushed_ms >= FLUSH_PERIOD_MS) {
		flushed_ms = now;
		(void)store_acct_put_running(
		    st->store, st->jobs.v, st->jobs.n, st->fleet);
	}
	if (last_ms != 0 && now - last_ms < PRUNE_PERIOD_MS)
		return;
	last_ms = now;
	n = store_acct_prune(
	    st->store, now - (int64_t)st->conf->acct_retention_days * DAY_MS);
	if (n > 0)
		log_info("accounting: pruned %d attempts that ended more than "
		         "%d days ago",
		    n, st->conf->acct_retention_days);
}
