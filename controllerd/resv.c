/*
 * Maintenance windows (see resv.h). The tick is stateless about drains:
 * a node drained by a window says so in its drain ("maintenance NAME", by
 * RESV_DRAINER), and each tick compares the nodes so drained with the
 * windows under way. A window deleted, ended or cut short is undone by the
 * next tick, and a restarted controller picks up where it was. An
 * operator's own drain (another reason or another drainer) is never
 * touched: the node stays drained after the window, as the operator left
 * it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl.h"
#include "fleet.h"
#include "log.h"
#include "org.h"
#include "queue.h"
#include "resv.h"
#include "store.h"
#include "timeutil.h"

#define RESV_DRAINER   "maintenance" /* drained_by of a window's drains */
#define RESV_REASON    "maintenance "
#define RESV_KEEP_MS   (24LL * 3600 * 1000) /* ended ones kept this long */
#define RESV_LOG_NODES 8                    /* nodes named one a line */

/* ms since the epoch as the API shows times. */
static void
fmt_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether node k's drain is a window's. */
static int
drained_by_window(const struct node *n)
{
	return n->drained && strcmp(n->drained_by, RESV_DRAINER) == 0 &&
	       strncmp(n->reason, RESV_REASON, strlen(RESV_REASON)) == 0;
}

/* The notices of the windows announced and not ended, per pod: the
 * soonest window touching the pod. */
static void
notices(struct ctl_state *st, int64_t now)
{
	struct org *o = &st->org;
	struct fleet *f = st->fleet;
	int64_t ahead = (int64_t)st->conf->maint_notice_h * 3600 * 1000;
	int64_t *soonest;
	char from[32], to[32];
	int i, k, p;

	if (o->pod_notice == NULL) {
		o->pod_notice = calloc(f->npods, sizeof(*o->pod_notice));
		o->notice_text = calloc(f->npods, ORG_NOTICE_MAX);
		if (o->pod_notice == NULL || o->notice_text == NULL) {
			log_warnx("%s: out of memory", __func__);
			free(o->pod_notice);
			free(o->notice_text);
			o->pod_notice = NULL;
			o->notice_text = NULL;
			return;
		}
	}
	if ((soonest = calloc(f->npods, sizeof(*soonest))) == NULL)
		return;
	for (p = 0; p < f->npods; p++)
		o->pod_notice[p] = NULL;
	for (i = 0; i < o->nresvs; i++) {
		struct org_resv *r = &o->resvs[i];

		if (!r->maint || r->nodes == NULL || now >= r->end_ms ||
		    now < r->start_ms - ahead)
			continue;
		if (!r->announced) {
			r->announced = 1;
			fmt_time(r->start_ms, from, sizeof(from));
			fmt_time(r->end_ms, to, sizeof(to));
			log_info("maintenance %s announced: %s to %s on %s",
			    r->name, from, to, r->nodes_text);
		}
		for (k = 0; k < f->nnodes; k++) {
			p = f->nodes[k].pod;
			if (!r->nodes[k] ||
			    (soonest[p] != 0 && soonest[p] <= r->start_ms))
				continue;
			soonest[p] = r->start_ms;
			fmt_time(r->start_ms, from, sizeof(from));
			fmt_time(r->end_ms, to, sizeof(to));
			snprintf(o->notice_text + (size_t)p * ORG_NOTICE_MAX,
			    ORG_NOTICE_MAX,
			    "maintenance %s from %s to %s on %.300s: the nodes "
			    "drain at its start and come back at its end",
			    r->name, from, to, r->nodes_text);
			o->pod_notice[p] =
			    o->notice_text + (size_t)p * ORG_NOTICE_MAX;
		}
	}
	free(soonest);
}

/* The maintenance window under way on node k at now, or NULL. */
static const struct org_resv *
window_on(const struct org *o, int k, int64_t now)
{
	int i;

	for (i = 0; i < o->nresvs; i++) {
		const struct org_resv *r = &o->resvs[i];

		if (r->maint && r->nodes != NULL && r->nodes[k] &&
		    r->start_ms <= now && now < r->end_ms)
			return r;
	}
	return NULL;
}

/* Drains or resumes node n for window r (NULL: none now); 1 when it
 * changed. */
static int
apply(
    struct ctl_state *st, struct node *n, const struct org_resv *r, int64_t now)
{
	struct node saved = *n;
	char reason[sizeof(n->reason)];

	if (r != NULL) {
		snprintf(reason, sizeof(reason), RESV_REASON "%s", r->name);
		if (n->drained &&
		    (!drained_by_window(n) || strcmp(n->reason, reason) == 0))
			return 0; /* the operator's, or done */
		n->drained = 1;
		snprintf(n->reason, sizeof(n->reason), "%s", reason);
		snprintf(n->drained_by, sizeof(n->drained_by), RESV_DRAINER);
		n->drained_at_ms = now;
		if (store_put_drain(st->store, n, RESV_DRAINER, "drain") == -1)
			goto fail;
		return 1;
	}
	if (!drained_by_window(n))
		return 0;
	n->drained = 0;
	n->reason[0] = n->drained_by[0] = '\0';
	n->drained_at_ms = 0;
	if (store_put_drain_detail(
	        st->store, n, RESV_DRAINER, "resume", saved.reason) == -1)
		goto fail;
	return 1;
fail:
	*n = saved; /* tried again next tick */
	return 0;
}

void
resv_tick(struct ctl_state *st)
{
	struct org *o = &st->org;
	struct fleet *f = st->fleet;
	int64_t now = time_wall_ms();
	int k, i, drained = 0, resumed = 0;

	notices(st, now);
	for (k = 0; k < f->nnodes; k++) {
		struct node *n = &f->nodes[k];
		const struct org_resv *r = window_on(o, k, now);
		int was = n->drained;

		if (r == NULL && !drained_by_window(n))
			continue; /* the common case: nothing to do */
		if (!apply(st, n, r, now))
			continue;
		if (r != NULL && !was) {
			if (drained++ < RESV_LOG_NODES)
				log_info("node %s drained for maintenance %s",
				    n->name, r->name);
		} else if (r == NULL) {
			if (resumed++ < RESV_LOG_NODES)
				log_info(
				    "node %s back from maintenance", n->name);
		}
	}
	if (drained > RESV_LOG_NODES)
		log_info("%d more nodes drained for maintenance",
		    drained - RESV_LOG_NODES);
	if (resumed > RESV_LOG_NODES)
		log_info("%d more nodes back from maintenance",
		    resumed - RESV_LOG_NODES);
	if (resumed > 0)
		queue_kick(st);
	/* a reservation ended a day ago is deleted, as Slurm purges them:
	 * until then GET /reservations shows what was reserved */
	for (i = 0; i < o->nresvs; i++)
		if (now - o->resvs[i].end_ms > RESV_KEEP_MS) {
			char name[ORG_NAME_MAX], err[256];
			int status;

			snprintf(name, sizeof(name), "%s", o->resvs[i].name);
			if (org_resv_delete(st, name, "controller", err,
			        sizeof(err), &status) == 0)
				i--;
			break; /* one a tick is plenty */
		}
}
