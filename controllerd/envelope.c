/*
 * The power and cooling envelope (see envelope.h).
 *
 * Every second the allocator turns the limits (facility cap, curtailment,
 * pod budgets) and what the nodes draw into a cap per node; a node's power
 * settings go out in its desired state only when they change (a hash of
 * what was sent decides), so steady state costs no new versions. Caps are
 * rounded to 10 W for the same reason.
 *
 * Admission predicts a job's draw per accelerator: what the job declared,
 * else the mean of earlier jobs of the same name, else the accelerators'
 * TDP; a pod takes the job only if its draw plus the increase stays within
 * what the pod may draw and its heat within the CDU's capacity (all the
 * power of a liquid-cooled node ends in its loop).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "alarmview.h"
#include "policyjson.h"
#include "powalloc.h"
#include "queue.h"
#include <pod/wire.h>
#include "sched.h"
#include "store.h"
#include "timeutil.h"
#include "wire.h"

#define ALARMS_KEPT      500   /* cleared alarms kept in memory */
#define DEFAULT_TDP_W    700.0 /* when a node has not said */
#define FLOOR_SHARE      0.2   /* accelerator draw at lowest clocks / TDP */
#define ENERGY_STORE_MS  30000 /* pod energy counters to the store */
#define FALLBACK_AFTER_S 30    /* agent falls back after this silence */

/* Who set the facility limits, stored as the index in this list. */
static const char *const sources[] = {"config", "rest", "bms"};

/* Stores who set a limit (`key`: cap_source or curtail_source), so that a
 * restart still says so. */
static void
put_source(
    struct ctl_state *st, const char *key, const char *source, const char *who)
{
	size_t i;

	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(sources[i], source) == 0)
			(void)store_put_setting(st->store, key, i, who);
}

/* Reads back who set a limit into buf (size 16); `fallback` when unknown. */
static void
get_source(
    struct ctl_state *st, const char *key, const char *fallback, char *buf)
{
	char out[16];
	double v;

	/* fallback may be buf itself */
	snprintf(out, sizeof(out), "%s", fallback);
	if (store_get_setting(st->store, key, &v) == 1 && v >= 0 &&
	    v < sizeof(sources) / sizeof(sources[0]))
		snprintf(out, sizeof(out), "%s", sources[(int)v]);
	memcpy(buf, out, sizeof(out));
}

static void
load_policy(const char *scope, const char *target, const char *name,
    const char *params, void *arg)
{
	struct ctl_state *st = arg;
	struct envelope *e = st->env;
	json_t *pj = json_loads(params, 0, NULL);
	struct node *n;
	int p;

	if (pj == NULL)
		return;
	if (strcmp(scope, "fleet") == 0)
		policyjson_load(&e->fleet, name, pj);
	else if (strcmp(scope, "pod") == 0 &&
	         (p = fleet_pod_index(st->fleet, target)) >= 0)
		policyjson_load(&e->pods[p], name, pj);
	else if (strcmp(scope, "node") == 0 &&
	         (n = fleet_node(st->fleet, target)) != NULL)
		policyjson_load(&e->nodes[n - st->fleet->nodes], name, pj);
	json_decref(pj);
}

int
envelope_init(struct ctl_state *st)
{
	struct envelope *e;
	int nn = st->fleet->nnodes, np = st->fleet->npods;
	double v;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	st->env = e;
	e->st = st;
	e->pods = calloc(np, sizeof(*e->pods));
	e->nodes = calloc(nn, sizeof(*e->nodes));
	e->node_cap_w = calloc(nn, sizeof(double));
	e->pod_alloc_w = calloc(np, sizeof(double));
	e->pod_energy_j = calloc(np, sizeof(double));
	e->power_hash = calloc(nn, sizeof(*e->power_hash));
	if (e->pods == NULL || e->nodes == NULL || e->node_cap_w == NULL ||
	    e->pod_alloc_w == NULL || e->pod_energy_j == NULL ||
	    e->power_hash == NULL)
		return -1;
	snprintf(e->source, sizeof(e->source), "config");
	e->facility_supply_c = e->facility_cooling_w = NAN;
	e->curtail_since_ms = time_mono_ms();
	e->facility_cap_w = st->conf->facility_cap_w;
	if (store_get_setting(st->store, "facility_cap_w", &v) == 1) {
		e->facility_cap_w = v;
		snprintf(e->source, sizeof(e->source), "rest");
	}
	get_source(st, "cap_source", e->source, e->cap_source);
	get_source(st, "curtail_source", "config", e->curtail_source);
	get_source(st, "limit_source", e->source, e->source);
	if (store_get_setting(st->store, "curtail_pct", &v) == 1)
		e->curtail_pct = v;
	if (store_get_setting(st->store, "curtail_base_w", &v) == 1)
		e->curtail_base_w = v;
	if (store_load_policies(st->store, load_policy, st) == -1 ||
	    store_load_alarms(st->store, &e->alarms, ALARMS_KEPT) == -1 ||
	    store_load_pod_energy(st->store, st->fleet, e->pod_energy_j) == -1)
		return -1;
	return 0;
}

void
envelope_free(struct ctl_state *st)
{
	struct envelope *e = st->env;
	int i;

	if (e == NULL)
		return;
	policy_clear(&e->fleet);
	for (i = 0; e->pods && i < st->fleet->npods; i++)
		policy_clear(&e->pods[i]);
	for (i = 0; e->nodes && i < st->fleet->nnodes; i++)
		policy_clear(&e->nodes[i]);
	free(e->pods);
	free(e->nodes);
	free(e->node_cap_w);
	free(e->pod_alloc_w);
	free(e->pod_energy_j);
	free(e->power_hash);
	alarms_clear(&e->alarms);
	alarmview_free(&e->alarmview);
	free(e);
	st->env = NULL;
}

void
envelope_report(struct ctl_state *st, struct node *n, const struct report *r)
{
	int i, k, b, idx = (int)(n - st->fleet->nodes);

	st->env->pod_energy_j[n->pod] += n->energy_delta_j;
	/* Each accelerator's energy goes to the job holding it. */
	for (i = 0; i < st->jobs.n; i++) {
		struct job *j = st->jobs.v[i];

		for (k = 0; k < j->nranks; k++) {
			const struct job_rank *rk = &j->ranks[k];

			if (rk->node != idx || rk->state == RANK_ENDED)
				continue;
			for (b = 0; b < n->naccels && b < 64; b++) {
				if (!(rk->mask & ((uint64_t)1 << b)))
					continue;
				if (isnan(j->energy_j))
					j->energy_j = 0;
				j->energy_j += n->accels[b].energy_delta_j;
			}
		}
	}
	(void)r;
}

/* Host (non-accelerator) power of n, W: measured, else a guess. */
static double
host_w(const struct node *n)
{
	double acc = 0;
	int k, known = 0;

	for (k = 0; k < n->naccels; k++)
		if (!isnan(n->accels[k].power_w)) {
			acc += n->accels[k].power_w;
			known++;
		}
	if (isnan(n->power_w) || known == 0 || n->power_w < acc)
		return 900;
	return n->power_w - acc;
}

static double
accel_tdp(const struct fleet *f, const struct node *n, int k)
{
	if (k < n->naccels && !isnan(n->accels[k].tdp_w) &&
	    n->accels[k].tdp_w > 0)
		return n->accels[k].tdp_w;
	return DEFAULT_TDP_W;
}

/* 1 when job j runs on node idx and outranks *best (NULL: anyone). */
static int
runs_on(const struct job *j, int idx, const struct job *best)
{
	int k;

	if (j->state != JOB_RUNNING ||
	    (best != NULL && j->priority <= best->priority))
		return 0;
	for (k = 0; k < j->nranks; k++)
		if (j->ranks[k].node == idx &&
		    j->ranks[k].state != RANK_ENDED &&
		    j->ranks[k].attempt == j->attempt)
			return 1;
	return 0;
}

/* The highest-priority job running on node idx, or NULL. */
static const struct job *
node_top_job(struct ctl_state *st, int idx)
{
	const struct job *best = NULL;
	int i;

	for (i = 0; i < st->jobs.n; i++)
		if (runs_on(st->jobs.v[i], idx, best))
			best = st->jobs.v[i];
	return best;
}

/* For every node, the highest-priority job running there, into top (a
 * zeroed slot per node), in one pass over the jobs. */
static void
top_jobs(struct ctl_state *st, const struct job **top)
{
	int i, k;

	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		if (j->state != JOB_RUNNING)
			continue;
		for (k = 0; k < j->nranks; k++) {
			const struct job_rank *r = &j->ranks[k];

			if (r->state != RANK_ENDED &&
			    r->attempt == j->attempt &&
			    (top[r->node] == NULL ||
			        j->priority > top[r->node]->priority))
				top[r->node] = j;
		}
	}
}

static void
allocate(struct ctl_state *st)
{
	struct envelope *e = st->env;
	struct fleet *f = st->fleet;
	struct powalloc_node *nodes = calloc(f->nnodes + 1, sizeof(*nodes));
	struct powalloc_pod *pods = calloc(f->npods + 1, sizeof(*pods));
	struct powalloc_input in;
	struct powalloc_result res;
	const struct job **top = calloc(f->nnodes + 1, sizeof(*top));
	int i, k;

	if (nodes == NULL || pods == NULL || top == NULL)
		goto fail;
	top_jobs(st, top);
	for (i = 0; i < f->npods; i++)
		pods[i].budget_w = f->pods[i].conf.power_budget_w;
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];
		int na = fleet_node_accels(f, n);
		double h = host_w(n), floor = h, max = h;

		for (k = 0; k < na; k++) {
			floor += FLOOR_SHARE * accel_tdp(f, n, k);
			max += accel_tdp(f, n, k);
		}
		nodes[i].pod = n->pod;
		nodes[i].up = n->up;
		nodes[i].power_w = n->power_w;
		nodes[i].floor_w = floor;
		nodes[i].max_w = max;
		nodes[i].cap_w = e->node_cap_w[i];
		nodes[i].limiting = n->limiting;
		nodes[i].prio = top[i] != NULL ? top[i]->priority : INT64_MIN;
	}
	memset(&in, 0, sizeof(in));
	in.facility_cap_w = e->facility_cap_w;
	in.curtail_frac = e->curtail_pct / 100;
	in.curtail_base_w = e->curtail_base_w;
	in.pods = pods;
	in.npods = f->npods;
	in.nodes = nodes;
	in.nnodes = f->nnodes;
	if (powalloc_allocate(&in, &res) == -1)
		goto fail;
	e->fabric_limit_w = res.fabric_limit_w;
	memcpy(e->pod_alloc_w, res.pod_alloc_w, f->npods * sizeof(double));
	for (i = 0; i < f->nnodes; i++)
		e->node_cap_w[i] = res.node_cap_w[i] > 0
		                       ? round(res.node_cap_w[i] / 10) * 10
		                       : 0;
	powalloc_result_free(&res);
fail:
	free(nodes);
	free(pods);
	free(top);
}

/* The policy node idx runs and where it comes from; j is the job
 * running there with the highest priority, or NULL. */
static const struct policy *
effective(struct ctl_state *st, int idx, const struct job *j, char *source,
    size_t len, struct policy *scratch)
{
	struct envelope *e = st->env;
	char err[128];

	if (j != NULL && j->policy[0] != '\0' &&
	    policy_check(j->policy, NULL, 0, scratch, err, sizeof(err)) == 0) {
		snprintf(source, len, "job %lld", (long long)j->id);
		return scratch;
	}
	if (e->nodes[idx].name[0] != '\0') {
		snprintf(source, len, "node");
		return &e->nodes[idx];
	}
	if (e->pods[st->fleet->nodes[idx].pod].name[0] != '\0') {
		snprintf(source, len, "pod");
		return &e->pods[st->fleet->nodes[idx].pod];
	}
	if (e->fleet.name[0] != '\0') {
		snprintf(source, len, "fleet");
		return &e->fleet;
	}
	snprintf(source, len, "default");
	policy_set(scratch, "performance", NULL, 0);
	return scratch;
}

/* The power settings of node n, whose top running job is j (or NULL). */
static void
desired_power(struct ctl_state *st, const struct node *n, const struct job *j,
    struct desired_power *out)
{
	struct envelope *e = st->env;
	int idx = (int)(n - st->fleet->nodes), i;
	const struct pod_config *pc = &st->fleet->pods[n->pod].conf;
	struct policy scratch = {0};
	const struct policy *p;
	double fallback = st->conf->fallback_cap_w > 0
	                      ? st->conf->fallback_cap_w
	                      : pc->power_budget_w / pc->nodes;
	char source[32];

	memset(out, 0, sizeof(*out));
	p = effective(st, idx, j, source, sizeof(source), &scratch);
	snprintf(out->policy, sizeof(out->policy), "%s", p->name);
	for (i = 0; i < p->nparams && i < DESIRED_POLICY_PARAMS; i++) {
		snprintf(out->params[i].name, sizeof(out->params[i].name), "%s",
		    p->params[i].name);
		out->params[i].value = p->params[i].value;
	}
	out->nparams = i;
	out->cap_w = e->node_cap_w[idx] > 0 ? e->node_cap_w[idx] : NAN;
	out->fallback_cap_w = round(fallback);
	out->fallback_after_s = FALLBACK_AFTER_S;
	policy_clear(&scratch);
}

void
envelope_desired(
    struct ctl_state *st, const struct node *n, struct desired_power *out)
{
	desired_power(
	    st, n, node_top_job(st, (int)(n - st->fleet->nodes)), out);
}

/* Bumps the desired version of nodes whose power settings changed. */
static void
announce(struct ctl_state *st)
{
	struct envelope *e = st->env;
	const struct job **top = calloc(st->fleet->nnodes + 1, sizeof(*top));
	int i;

	if (top == NULL)
		return;
	top_jobs(st, top);
	for (i = 0; i < st->fleet->nnodes; i++) {
		struct node *n = &st->fleet->nodes[i];
		struct desired_power dp;
		uint64_t h;

		desired_power(st, n, top[i], &dp);
		h = wire_desired_power_hash(&dp);
		if (h != e->power_hash[i]) {
			e->power_hash[i] = h;
			queue_bump(st, n);
		}
	}
	free(top);
}

/* One line per alarm the last evaluation raised, changed or cleared. */
static void
log_alarm_events(const struct alarms *a)
{
	int i;

	for (i = 0; i < a->nev; i++) {
		const struct alarm *al = a->ev[i];
		const char *kind = alarm_kind_name(al->kind);

		switch (al->event) {
		case ALARM_EV_RAISED:
			log_warnx("alarm %lld raised: %s (%s) on %s: %s",
			    (long long)al->id, kind, alarm_severity(al->kind),
			    al->object, al->message);
			break;
		case ALARM_EV_REOPENED:
			log_warnx("alarm %lld raised again (%d times): %s (%s) "
			          "on %s: %s",
			    (long long)al->id, al->count, kind,
			    alarm_severity(al->kind), al->object, al->message);
			break;
		case ALARM_EV_CHANGED:
			log_warnx("alarm %lld changed: %s on %s: %s",
			    (long long)al->id, kind, al->object, al->message);
			break;
		case ALARM_EV_CLEARED:
			log_info("alarm %lld cleared: %s on %s (%s)",
			    (long long)al->id, kind, al->object, al->message);
			break;
		default:
			break;
		}
	}
}

void
envelope_tick(struct ctl_state *st)
{
	struct envelope *e = st->env;
	struct alarm_inputs in;
	int64_t now = time_wall_ms(), t0;
	double *limits;
	int i;

	allocate(st);
	announce(st);
	t0 = time_mono_ms();
	limits = calloc(st->fleet->npods + 1, sizeof(double));
	memset(&in, 0, sizeof(in));
	in.now_ms = now;
	in.min_flow_lpm = st->conf->min_flow_lpm;
	in.pod_limit_w = limits;
	in.uptime_ms = time_mono_ms() - st->start_mono_ms;
	in.heartbeat_ms = (int64_t)st->conf->heartbeat_timeout_s * 1000;
	in.max_supply_c = st->conf->max_supply_c;
	in.curtail_missed = e->curtail_missed;
	in.bms_expired = e->bms_expired;
	in.dwell_ms = (int64_t)st->conf->alarm_dwell_s * 1000;
	in.clear_hold_ms = (int64_t)st->conf->alarm_clear_hold_s * 1000;
	in.overtemp_margin_c = st->conf->overtemp_margin_c;
	in.lowflow_margin_lpm = st->conf->lowflow_margin_lpm;
	in.supply_margin_c = st->conf->supply_margin_c;
	in.pod_notice = st->org.pod_notice; /* resv.c */
	for (i = 0; limits != NULL && i < st->fleet->npods; i++)
		limits[i] =
		    fmin(e->pod_alloc_w[i] > 0 ? e->pod_alloc_w[i] : INFINITY,
		        st->fleet->pods[i].conf.power_budget_w);
	if (limits != NULL)
		(void)alarmview_evaluate(
		    &e->alarmview, &e->alarms, st->fleet, &in);
	free(limits);
	/* stored first, so that every line names the alarm's id */
	(void)store_put_alarms(st->store, &e->alarms);
	log_alarm_events(&e->alarms);
	alarmview_took(&e->alarmview, time_mono_ms() - t0, time_mono_ms());
	alarms_trim(&e->alarms, ALARMS_KEPT);
	if (now - e->last_energy_store_ms > ENERGY_STORE_MS) {
		e->last_energy_store_ms = now;
		(void)store_put_pod_energy(
		    st->store, st->fleet, e->pod_energy_j);
		/* running jobs' energy, so a restart loses little */
		for (i = 0; i < st->jobs.n; i++)
			if (st->jobs.v[i]->state == JOB_RUNNING)
				st->jobs.v[i]->dirty = 1;
	}
}

/* What holds the fabric below its pods' budgets now: "facility_cap",
 * "curtailment" (the lower of the two when both are set), or NULL. */
static const char *
fabric_capped_by(const struct envelope *e)
{
	double cap = e->facility_cap_w > 0 ? e->facility_cap_w : INFINITY;
	double target = e->curtail_pct > 0 && e->curtail_base_w > 0
	                    ? e->curtail_base_w * (1 - e->curtail_pct / 100)
	                    : INFINITY;

	if (isinf(cap) && isinf(target))
		return NULL;
	return target <= cap ? "curtailment" : "facility_cap";
}

/* Sets budget_w (the effective budget), configured_budget_w and
 * budget_capped_by (what holds the effective budget below the configured
 * one, or null) on o. */
static void
set_budget(json_t *o, double effective_w, double configured_w, const char *by)
{
	/* caps are rounded to 10 W: anything closer is the same budget */
	int capped = by != NULL && effective_w < configured_w - 1;

	jsonx_set_real(o, "budget_w", effective_w, 1);
	jsonx_set_real(o, "configured_budget_w", configured_w, 1);
	json_object_set_new(
	    o, "budget_capped_by", capped ? json_string(by) : json_null());
}

json_t *
envelope_power_json(struct ctl_state *st)
{
	struct envelope *e = st->env;
	struct fleet_summary fs;
	json_t *o = json_object(), *pods = json_array();
	const char *by = fabric_capped_by(e);
	double energy = 0, effective = 0;
	int p;

	fleet_summarize(st->fleet, -1, &fs);
	jsonx_set_real(o, "power_w", fs.power_w, 1);
	json_object_set_new(o, "cap_w",
	    e->facility_cap_w > 0 ? json_real(e->facility_cap_w) : json_null());
	jsonx_set_real(o, "curtail_pct", e->curtail_pct, 1);
	if (e->curtail_pct > 0 && e->curtail_base_w > 0) {
		jsonx_set_real(o, "curtail_target_w",
		    e->curtail_base_w * (1 - e->curtail_pct / 100), 1);
		jsonx_set_real(o, "curtail_achieved_pct",
		    isnan(fs.power_w)
		        ? NAN
		        : 100 * (1 - fs.power_w / e->curtail_base_w),
		    1);
	} else {
		json_object_set_new(o, "curtail_target_w", json_null());
		json_object_set_new(o, "curtail_achieved_pct", json_null());
	}
	json_object_set_new(o, "source", json_string(e->source));
	json_object_set_new(o, "cap_source", json_string(e->cap_source));
	json_object_set_new(
	    o, "curtail_source", json_string(e->curtail_source));
	jsonx_set_real(o, "limit_w", e->fabric_limit_w, 1);
	for (p = 0; p < st->fleet->npods; p++) {
		struct fleet_summary s;
		json_t *jp = json_object();
		/* the pod's effective budget: what the allocator gives it */
		double limit =
		    fmin(e->pod_alloc_w[p] > 0 ? e->pod_alloc_w[p] : INFINITY,
		        st->fleet->pods[p].conf.power_budget_w);

		fleet_summarize(st->fleet, p, &s);
		energy += e->pod_energy_j[p];
		effective += limit;
		json_object_set_new(
		    jp, "name", json_string(st->fleet->pods[p].conf.name));
		jsonx_set_real(jp, "power_w", s.power_w, 1);
		set_budget(jp, limit, s.budget_w, by);
		jsonx_set_real(jp, "allocated_w", limit, 1);
		jsonx_set_real(jp, "power_headroom_w",
		    isnan(s.power_w) ? limit : limit - s.power_w, 1);
		jsonx_set_real(jp, "heat_w", s.heat_w, 1);
		jsonx_set_real(
		    jp, "cooling_capacity_w", s.cooling_capacity_w, 1);
		jsonx_set_real(jp, "cooling_headroom_w",
		    isnan(s.heat_w) ? s.cooling_capacity_w
		                    : s.cooling_capacity_w - s.heat_w,
		    1);
		jsonx_set_real(jp, "energy_j", e->pod_energy_j[p], 1);
		json_array_append_new(pods, jp);
	}
	set_budget(o, effective, fs.budget_w, by);
	jsonx_set_real(o, "energy_j", energy, 1);
	json_object_set_new(o, "pods", pods);
	return o;
}

int
envelope_set_cap(struct envelope *e, double cap_w, const char *who,
    const char *source, char *err, size_t errlen)
{
	struct ctl_state *st = e->st;

	if (store_put_setting(st->store, "facility_cap_w", cap_w, who) == -1) {
		snprintf(err, errlen, "could not store the cap");
		return -1;
	}
	e->facility_cap_w = cap_w;
	snprintf(e->source, sizeof(e->source), "%s", source);
	snprintf(e->cap_source, sizeof(e->cap_source), "%s", source);
	put_source(st, "limit_source", source, who);
	put_source(st, "cap_source", source, who);
	log_info("facility power cap %s by %s (%s)",
	    cap_w > 0 ? "set" : "removed", who, source);
	allocate(st);
	announce(st);
	return 0;
}

void
envelope_set_facility_supply(struct envelope *e, double supply_c)
{
	e->facility_supply_c = supply_c;
}

void
envelope_set_facility_cooling(struct envelope *e, double cooling_w)
{
	e->facility_cooling_w = cooling_w;
}

void
envelope_set_bms_expired(struct envelope *e, int expired)
{
	e->bms_expired = expired;
}

void
envelope_set_curtail_missed(struct envelope *e, int missed)
{
	e->curtail_missed = missed;
}

int
envelope_ack_alarms(struct envelope *e, struct alarm *only, const char *who)
{
	struct ctl_state *st = e->st;
	struct alarms *a = &e->alarms;
	struct alarm **acked;
	int64_t now = time_wall_ms();
	int i, n = 0;

	if ((acked = calloc(a->n + 1, sizeof(*acked))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	for (i = 0; i < a->n; i++)
		if ((only == NULL || a->v[i] == only) &&
		    alarm_ack(a->v[i], who, now) == 0)
			acked[n++] = a->v[i];
	if (n > 0 && store_put_alarms(st->store, a) == -1) {
		/* not stored, so not acknowledged: open again */
		for (i = 0; i < n; i++) {
			acked[i]->state = ALARM_OPEN;
			acked[i]->acked_ms = 0;
			acked[i]->acked_by[0] = '\0';
		}
		n = -1;
	}
	for (i = 0; i < n; i++)
		log_info("alarm %lld acknowledged by %s: %s on %s",
		    (long long)acked[i]->id, who,
		    alarm_kind_name(acked[i]->kind), acked[i]->object);
	free(acked);
	return n;
}

int
envelope_set_curtail(struct envelope *e, double pct, const char *who,
    const char *source, char *err, size_t errlen)
{
	struct ctl_state *st = e->st;
	struct fleet_summary fs;
	double base = e->curtail_base_w;

	fleet_summarize(st->fleet, -1, &fs);
	/* A new curtailment measures the draw it curtails. */
	if (pct > 0 && (e->curtail_pct == 0 || base <= 0))
		base = isnan(fs.power_w) ? 0 : fs.power_w;
	/* A new target has its whole ramp time. */
	if (pct > 0 && pct != e->curtail_pct)
		e->curtail_since_ms = time_mono_ms();
	if (store_put_setting(st->store, "curtail_base_w", base, who) == -1 ||
	    store_put_setting(st->store, "curtail_pct", pct, who) == -1) {
		snprintf(err, errlen, "could not store the curtailment");
		return -1;
	}
	e->curtail_pct = pct;
	e->curtail_base_w = pct > 0 ? base : 0;
	snprintf(e->source, sizeof(e->source), "%s", source);
	snprintf(e->curtail_source, sizeof(e->curtail_source), "%s", source);
	put_source(st, "limit_source", source, who);
	put_source(st, "curtail_source", source, who);
	log_info("curtailment %.0f %% of %.1f kW by %s (%s)", pct, base / 1000,
	    who, source);
	allocate(st);
	announce(st);
	return 0;
}

json_t *
envelope_policy_json(struct ctl_state *st, int scope, const char *target)
{
	struct envelope *e = st->env;
	struct policy scratch = {0};
	const struct policy *eff;
	char source[32];
	json_t *o, *pods, *nodes;
	int i;

	if (target == NULL) {
		pods = json_object();
		nodes = json_object();
		for (i = 0; i < st->fleet->npods; i++)
			if (e->pods[i].name[0])
				json_object_set_new(pods,
				    st->fleet->pods[i].conf.name,
				    policyjson(&e->pods[i]));
		for (i = 0; i < st->fleet->nnodes; i++)
			if (e->nodes[i].name[0])
				json_object_set_new(nodes,
				    st->fleet->nodes[i].name,
				    policyjson(&e->nodes[i]));
		o = policyjson(&e->fleet);
		if (json_is_null(o)) {
			json_decref(o);
			o = json_pack(
			    "{s:s,s:{}}", "name", "performance", "params");
		}
		return json_pack(
		    "{s:o,s:o,s:o}", "fleet", o, "pods", pods, "nodes", nodes);
	}
	if (scope == POLICY_POD) {
		i = fleet_pod_index(st->fleet, target);
		return json_pack("{s:s,s:s,s:o}", "scope", "pod", "target",
		    target, "policy", policyjson(&e->pods[i]));
	}
	i = (int)(fleet_node(st->fleet, target) - st->fleet->nodes);
	eff = effective(
	    st, i, node_top_job(st, i), source, sizeof(source), &scratch);
	o = json_pack("{s:s,s:s,s:o,s:{s:s,s:o,s:s}}", "scope", "node",
	    "target", target, "policy", policyjson(&e->nodes[i]), "effective",
	    "name", eff->name, "params", policyjson_params(eff), "source",
	    source);
	policy_clear(&scratch);
	return o;
}

int
envelope_set_policy(struct ctl_state *st, int scope, const char *target,
    const char *name, json_t *params, const char *who, char *err, size_t errlen,
    int *status)
{
	struct envelope *e = st->env;
	struct policy *p = &e->fleet, checked;
	json_t *pj = NULL;
	char *text = NULL;
	int inherit = name == NULL || strcmp(name, "inherit") == 0, rc = -1;

	*status = 400;
	if (scope == POLICY_POD) {
		int i = fleet_pod_index(st->fleet, target);

		if (i < 0) {
			*status = 404;
			snprintf(err, errlen, "no pod '%s'", target);
			return -1;
		}
		p = &e->pods[i];
	} else if (scope == POLICY_NODE) {
		struct node *n = fleet_node(st->fleet, target);

		if (n == NULL) {
			*status = 404;
			snprintf(err, errlen, "no node '%s'", target);
			return -1;
		}
		p = &e->nodes[n - st->fleet->nodes];
	}
	if (inherit && scope == POLICY_FLEET) {
		snprintf(err, errlen, "the fleet has no scope to inherit from");
		return -1;
	}
	if (!inherit &&
	    policyjson_check(name, params, &checked, err, errlen) == -1)
		return -1;
	if (!inherit && (pj = policyjson_params(&checked)) != NULL)
		text = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
	*status = 500;
	if (store_put_policy(st->store, policy_scope_name(scope),
	        scope == POLICY_FLEET ? "" : target, inherit ? NULL : name,
	        text, who) == -1) {
		snprintf(err, errlen, "could not store the policy");
		goto fail;
	}
	if (inherit)
		policy_clear(p);
	else
		*p = checked;
	log_info("policy %s %s: %s by %s", policy_scope_name(scope),
	    scope == POLICY_FLEET ? "" : target, inherit ? "inherit" : name,
	    who);
	announce(st);
	rc = 0;
fail:
	json_decref(pj);
	free(text);
	return rc;
}

/* Mean draw per accelerator of the completed jobs of one name. */
struct name_w {
	const char *name; /* borrowed from the job table */
	double sum_w;
	int n;
};

static int
name_w_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct name_w *)a)->name, ((const struct name_w *)b)->name);
}

/* The history admission predicts from: one entry per name of a completed
 * job that reported its energy, sorted by name. 0, or -1 (out of memory). */
static int
build_history(struct ctl_state *st, struct envelope_admission *a)
{
	int i, k, n = 0;

	a->hist = calloc(st->jobs.n + 1, sizeof(*a->hist));
	if (a->hist == NULL)
		return -1;
	for (i = 0; i < st->jobs.n; i++) {
		const struct job *h = st->jobs.v[i];
		double run_s = (h->end_ms - h->start_ms) / 1000.0;

		if (h->state != JOB_COMPLETED || isnan(h->energy_j) ||
		    h->energy_j <= 0 || run_s < 1 || h->accels_total <= 0)
			continue;
		a->hist[n].name = h->name;
		a->hist[n].sum_w = h->energy_j / run_s / h->accels_total;
		a->hist[n++].n = 1;
	}
	qsort(a->hist, n, sizeof(*a->hist), name_w_cmp);
	for (i = 0, k = 0; i < n; i++) { /* merge equal names */
		if (k > 0 &&
		    strcmp(a->hist[k - 1].name, a->hist[i].name) == 0) {
			a->hist[k - 1].sum_w += a->hist[i].sum_w;
			a->hist[k - 1].n++;
		} else
			a->hist[k++] = a->hist[i];
	}
	a->nhist = k;
	return 0;
}

double
envelope_predict_w(const struct envelope_admission *a, const struct job *j)
{
	struct name_w key = {j->name, 0, 0}, *h;

	if (!isnan(j->power_per_accel_w) && j->power_per_accel_w > 0)
		return j->power_per_accel_w;
	h = bsearch(&key, a->hist, a->nhist, sizeof(*a->hist), name_w_cmp);
	return h != NULL ? h->sum_w / h->n : 0;
}

int
envelope_admission(struct ctl_state *st, struct sched_node *nodes,
    struct envelope_admission *a)
{
	struct envelope *e = st->env;
	struct fleet *f = st->fleet;
	struct fleet_summary s;
	double *w;
	int i, k, p, total = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < f->nnodes; i++)
		total += nodes[i].naccels;
	a->pod_power_w = calloc(f->npods + 1, sizeof(double));
	a->pod_heat_w = calloc(f->npods + 1, sizeof(double));
	a->accel_w = calloc(total + 1, sizeof(double));
	if (a->pod_power_w == NULL || a->pod_heat_w == NULL ||
	    a->accel_w == NULL || build_history(st, a) == -1) {
		log_warnx("%s: out of memory", __func__);
		envelope_admission_free(a);
		return -1;
	}
	for (p = 0; p < f->npods; p++) {
		double limit =
		    fmin(e->pod_alloc_w[p] > 0 ? e->pod_alloc_w[p] : INFINITY,
		        f->pods[p].conf.power_budget_w);

		fleet_summarize(f, p, &s);
		a->pod_power_w[p] = limit - (isnan(s.power_w) ? 0 : s.power_w);
		a->pod_heat_w[p] =
		    s.cooling_capacity_w - (isnan(s.heat_w) ? 0 : s.heat_w);
	}
	a->power.pod_power_w = a->pod_power_w;
	a->power.pod_heat_w = a->pod_heat_w;
	a->power.fabric_heat_w = INFINITY;
	if (!isnan(e->facility_cooling_w)) {
		fleet_summarize(f, -1, &s);
		a->power.fabric_heat_w =
		    e->facility_cooling_w - (isnan(s.heat_w) ? 0 : s.heat_w);
	}
	for (i = 0, w = a->accel_w; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];
		double tdp = 0;

		for (k = 0; k < nodes[i].naccels; k++)
			tdp += accel_tdp(f, n, k);
		nodes[i].tdp_w = nodes[i].naccels > 0 ? tdp / nodes[i].naccels
		                                      : DEFAULT_TDP_W;
		nodes[i].idle_w = FLOOR_SHARE * nodes[i].tdp_w;
		for (k = 0; k < nodes[i].naccels; k++)
			w[k] = k < n->naccels && !isnan(n->accels[k].power_w)
			           ? n->accels[k].power_w
			           : FLOOR_SHARE * accel_tdp(f, n, k);
		nodes[i].accel_w = w;
		w += nodes[i].naccels;
	}
	return 0;
}

void
envelope_admission_free(struct envelope_admission *a)
{
	free(a->pod_power_w);
	free(a->pod_heat_w);
	free(a->accel_w);
	free(a->hist);
	memset(a, 0, sizeof(*a));
}

int
envelope_alarms_open(struct ctl_state *st)
{
	return alarms_open(&st->env->alarms);
}

int
envelope_alarms_unacked(struct ctl_state *st)
{
	const struct alarms *a = &st->env->alarms;
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->v[i]->state == ALARM_OPEN;
	return n;
}
