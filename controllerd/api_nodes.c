/*
 * The REST API's fleet handlers: health, status, pods and nodes as JSON
 * views of the fleet in memory, and the operator's drain and resume,
 * stored before the reply. Routed by the table in api.c.
 *
 * A pod's summary also says what is wrong in it (nodes down and hot, open
 * alarms by class, running jobs) and ranks it by trouble, so that a
 * dashboard of a hundred pods asks one request and shows the leak first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "alarmview.h"
#include "apireq.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "health.h"
#include "jobs.h"
#include "jsonx.h"
#include "log.h"
#include "selfstat.h"
#include "store.h"
#include "timeutil.h"

/* ---- JSON views of the fleet ---- */

static json_t *
summary_json(const struct fleet_summary *s, json_t *o)
{
	jsonx_set_real(o, "power_w", s->power_w, 1);
	jsonx_set_real(o, "budget_w", s->budget_w, 1);
	jsonx_set_real(o, "heat_w", s->heat_w, 1);
	jsonx_set_real(o, "cooling_capacity_w", s->cooling_capacity_w, 1);
	jsonx_set_real(o, "supply_c", s->supply_c, 2);
	jsonx_set_real(o, "return_c", s->return_c, 2);
	jsonx_set_real(o, "flow_lpm", s->flow_lpm, 2);
	return o;
}

static json_t *
by_state_json(const struct fleet_summary *s)
{
	json_t *o = json_object();
	int k;

	for (k = 0; k < NODE_NSTATES; k++)
		json_object_set_new(
		    o, fleet_state_name(k), json_integer(s->by_state[k]));
	return o;
}

/* What is wrong in a pod, for the operator's eye and the trouble rank. */
struct pod_trouble {
	int nodes_down; /* state down: not reporting */
	int nodes_hot;  /* an accelerator at or above the warning temperature */
	int jobs_running;
	int alarms[ALARMVIEW_NCLASSES]; /* not cleared, by class */
	int leak_alarms;                /* leak alarms not cleared */
	int64_t trouble;                /* pod_trouble_rank() */
};

/* Each count weighs in the rank as one decimal field of this many values
 * (capped), so that the rank stays exact in a JavaScript number (2^53). */
#define TROUBLE_FIELD 1000

/* The pod's trouble as one integer, higher worse: leaks (nodes reporting
 * one, or leak alarms not cleared, whichever is more) above critical
 * alarms above nodes down above hot nodes above warnings, each count
 * capped at TROUBLE_FIELD - 1. */
static int64_t
pod_trouble_rank(const struct pod_trouble *t, int leaks)
{
	const int by[] = {leaks, t->alarms[ALARMVIEW_CRITICAL], t->nodes_down,
	    t->nodes_hot, t->alarms[ALARMVIEW_WARNING]};
	int64_t rank = 0;
	size_t i;

	for (i = 0; i < sizeof(by) / sizeof(by[0]); i++)
		rank = rank * TROUBLE_FIELD +
		       (by[i] < TROUBLE_FIELD ? by[i] : TROUBLE_FIELD - 1);
	return rank;
}

/* A node is hot when an accelerator is within the overtemp alarm's clear
 * margin of its critical temperature (90 °C when unknown): where the alarm,
 * once raised, would not clear. */
static int
node_hot(const struct node *n, double margin_c)
{
	int k;

	if (!n->up)
		return 0;
	for (k = 0; k < n->naccels; k++) {
		const struct accel *a = &n->accels[k];
		double crit = isnan(a->temp_crit_c) ? 90 : a->temp_crit_c;

		if (!isnan(a->temp_c) && a->temp_c >= crit - margin_c)
			return 1;
	}
	return 0;
}

/* Fills t[0..npods-1]: one pass over the nodes, the running jobs and the
 * alarms, whatever the number of pods asked. */
static int
pods_trouble(const struct ctl_state *st, struct pod_trouble *t)
{
	const struct fleet *f = st->fleet;
	const struct alarms *al = &st->env->alarms;
	int64_t *last_job; /* per pod: the job last counted there */
	int i, k;

	if ((last_job = calloc((size_t)f->npods + 1, sizeof(*last_job))) ==
	    NULL)
		return -1;
	memset(t, 0, sizeof(*t) * (size_t)f->npods);
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];

		t[n->pod].nodes_down += fleet_node_state(f, n) == NODE_DOWN;
		t[n->pod].nodes_hot += node_hot(n, st->conf->overtemp_margin_c);
	}
	for (i = 0; i < st->jobs.n; i++) {
		const struct job *j = st->jobs.v[i];

		if (j->state != JOB_RUNNING)
			continue;
		for (k = 0; k < j->nranks; k++) {
			const struct job_rank *rk = &j->ranks[k];
			int p;

			if (rk->attempt != j->attempt || rk->node < 0 ||
			    rk->node >= f->nnodes)
				continue;
			p = f->nodes[rk->node].pod;
			if (last_job[p] != j->id) {
				last_job[p] = j->id;
				t[p].jobs_running++;
			}
		}
	}
	for (i = 0; i < al->n; i++) {
		int p;

		if (al->v[i]->id == 0 || al->v[i]->state == ALARM_CLEARED ||
		    (p = alarmview_pod(f, al->v[i])) < 0)
			continue;
		t[p].alarms[alarmview_class_of(al->v[i]->kind)]++;
		t[p].leak_alarms += al->v[i]->kind == ALARM_LEAK;
	}
	free(last_job);
	return 0;
}

static json_t *
pod_json(const struct fleet *f, int p, struct pod_trouble *t)
{
	struct fleet_summary s;
	json_t *o = json_object(), *counts = json_object();
	int c;

	fleet_summarize(f, p, &s);
	json_object_set_new(o, "name", json_string(f->pods[p].conf.name));
	json_object_set_new(o, "nodes_total", json_integer(s.nodes_total));
	json_object_set_new(o, "nodes_up", json_integer(s.nodes_up));
	json_object_set_new(
	    o, "accelerators_total", json_integer(s.accels_total));
	json_object_set_new(o, "accelerators_up", json_integer(s.accels_up));
	summary_json(&s, o);
	jsonx_set_real(o, "hottest_c", s.hottest_c, 1);
	json_object_set_new(o, "groups", json_integer(f->pods[p].conf.groups));
	json_object_set_new(o, "leaks", json_integer(s.leaks));
	json_object_set_new(o, "nodes_by_state", by_state_json(&s));
	json_object_set_new(o, "nodes_down", json_integer(t->nodes_down));
	json_object_set_new(o, "nodes_hot", json_integer(t->nodes_hot));
	json_object_set_new(o, "jobs_running", json_integer(t->jobs_running));
	for (c = 0; c < ALARMVIEW_NCLASSES; c++)
		json_object_set_new(counts, alarmview_class_name(c),
		    json_integer(t->alarms[c]));
	json_object_set_new(o, "alarms", counts);
	/* a leaking node that stopped reporting still leaks until its alarm
	 * clears */
	t->trouble = pod_trouble_rank(
	    t, s.leaks > t->leak_alarms ? s.leaks : t->leak_alarms);
	json_object_set_new(o, "trouble", json_integer(t->trouble));
	return o;
}

static json_t *
leak_json(int leak)
{
	return leak < 0 ? json_null() : json_boolean(leak);
}

/* The conditions holding on n, each with since when (wall clock, from the
 * monotonic time it began) and whether an operator resumed over it. */
static json_t *
health_json(const struct node *n)
{
	int64_t wall = time_wall_ms(), mono = time_mono_ms();
	json_t *a = json_array();
	int c;

	for (c = 0; c < HEALTH_NCONDS; c++) {
		if (!(n->health.conds & HEALTH_BIT(c)))
			continue;
		json_array_append_new(
		    a, json_pack("{s:s,s:o,s:b}", "condition",
		           health_cond_name(c), "since",
		           jsonx_time(wall - (mono - n->health.since_ms[c])),
		           "forced", (n->health.forced & HEALTH_BIT(c)) != 0));
	}
	return a;
}

static json_t *
node_json(const struct fleet *f, const struct node *n, int detail)
{
	const char *reason = fleet_node_reason(n);
	json_t *o = json_object(), *accels;
	char health[64];
	int i;

	json_object_set_new(o, "name", json_string(n->name));
	json_object_set_new(o, "pod", json_string(f->pods[n->pod].conf.name));
	json_object_set_new(o, "group", json_string(n->group));
	json_object_set_new(
	    o, "state", json_string(fleet_state_name(fleet_node_state(f, n))));
	json_object_set_new(
	    o, "reason", reason ? json_string(reason) : json_null());
	json_object_set_new(o, "drained", json_boolean(n->drained));
	jsonx_set_real(o, "power_w", n->power_w, 1);
	json_object_set_new(o, "last_seen", jsonx_time(n->last_seen_ms));
	json_object_set_new(o, "accelerators_total",
	    json_integer(n->naccels > 0
	                     ? n->naccels
	                     : f->pods[n->pod].conf.accels_per_node));
	jsonx_set_real(o, "hottest_c", fleet_node_hottest_c(n), 1);
	jsonx_set_real(o, "inlet_c", n->inlet_c, 2);
	jsonx_set_real(o, "outlet_c", n->outlet_c, 2);
	jsonx_set_real(o, "flow_lpm", n->flow_lpm, 2);
	jsonx_set_real(o, "heat_w", fleet_node_heat_w(f, n), 1);
	json_object_set_new(o, "leak", leak_json(n->leak));
	json_object_set_new(o, "health",
	    json_string(health_names(n->health.conds, health, sizeof(health))));
	if (!detail)
		return o;
	json_object_set_new(o, "health_conditions", health_json(n));
	json_object_set_new(o, "drained_at",
	    n->drained ? jsonx_time(n->drained_at_ms) : json_null());
	json_object_set_new(o, "drained_by",
	    n->drained && n->drained_by[0] ? json_string(n->drained_by)
	                                   : json_null());
	jsonx_set_real(o, "pressure_kpa", n->pressure_kpa, 1);
	jsonx_set_real(o, "pump_pct", n->pump_pct, 1);
	json_object_set_new(o, "sample_time", jsonx_time(n->sample_t_ms));
	json_object_set_new(o, "agent_version",
	    n->agent_version[0] ? json_string(n->agent_version) : json_null());
	json_object_set_new(o, "boot_id",
	    n->boot_id[0] ? json_string(n->boot_id) : json_null());
	accels = json_array();
	for (i = 0; i < n->naccels; i++) {
		const struct accel *a = &n->accels[i];
		json_t *ja = json_object();

		json_object_set_new(ja, "index", json_integer(i));
		json_object_set_new(ja, "model",
		    a->model[0] ? json_string(a->model) : json_null());
		jsonx_set_real(ja, "power_w", a->power_w, 1);
		jsonx_set_real(ja, "temp_c", a->temp_c, 1);
		jsonx_set_real(ja, "clock_mhz", a->clock_mhz, 0);
		jsonx_set_real(ja, "clock_max_mhz", a->clock_max_mhz, 0);
		jsonx_set_real(ja, "util_pct", a->util_pct, 1);
		jsonx_set_real(ja, "mem_used_mib", a->mem_used_mib, 0);
		jsonx_set_real(ja, "mem_total_mib", a->mem_total_mib, 0);
		jsonx_set_real(ja, "energy_j", a->energy_j, 1);
		jsonx_set_real(ja, "tdp_w", a->tdp_w, 1);
		jsonx_set_real(ja, "temp_crit_c", a->temp_crit_c, 1);
		json_array_append_new(accels, ja);
	}
	json_object_set_new(o, "accelerators", accels);
	return o;
}

/* ---- handlers ---- */

void
api_health(struct api_req *r)
{
	struct fleet_summary s;

	fleet_summarize(r->st->fleet, -1, &s);
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:s,s:I,s:i,s:i,s:i}", "status", "ok", "version",
	        POD_VERSION, "uptime_s",
	        (json_int_t)((time_mono_ms() - r->st->start_mono_ms) / 1000),
	        "schema_version", store_schema_version(r->st->store),
	        "nodes_total", s.nodes_total, "nodes_up", s.nodes_up));
}

void
api_status(struct api_req *r)
{
	const struct fleet *f = r->st->fleet;
	struct fleet_summary s;
	json_t *o = json_object(), *hot = json_null();

	fleet_summarize(f, -1, &s);
	json_object_set_new(o, "pods_total", json_integer(f->npods));
	json_object_set_new(o, "nodes",
	    json_pack("{s:i,s:i}", "total", s.nodes_total, "up", s.nodes_up));
	json_object_update_new(json_object_get(o, "nodes"), by_state_json(&s));
	json_object_set_new(o, "accelerators",
	    json_pack("{s:i,s:i}", "total", s.accels_total, "up", s.accels_up));
	summary_json(&s, o);
	if (s.hottest_node >= 0) {
		hot = json_pack("{s:s,s:i}", "node",
		    f->nodes[s.hottest_node].name, "index", s.hottest_index);
		jsonx_set_real(hot, "temp_c", s.hottest_c, 1);
	}
	json_object_set_new(o, "hottest", hot);
	json_object_set_new(o, "leaks", json_integer(s.leaks));
	json_object_set_new(
	    o, "alarms_open", json_integer(envelope_alarms_open(r->st)));
	json_object_set_new(
	    o, "alarms_unacked", json_integer(envelope_alarms_unacked(r->st)));
	if (r->st->self != NULL)
		json_object_set_new(o, "controller",
		    selfstat_json(r->st->self, time_mono_ms()));
	api_reply_json(r->req, 200, o);
}

/* Pods in the order of GET /pods?sort=trouble: most trouble first, then
 * by name (the configured order). */
struct pod_row {
	json_t *o;
	int64_t trouble;
	int p;
};

static int
by_trouble(const void *a, const void *b)
{
	const struct pod_row *x = a, *y = b;

	if (x->trouble != y->trouble)
		return x->trouble > y->trouble ? -1 : 1;
	return x->p - y->p;
}

/* GET /pods?sort=name|trouble: every pod with its summary; sort=trouble
 * puts the pods that need an operator first. */
void
api_pods(struct api_req *r)
{
	static const char *const allowed[] = {"sort", NULL};
	const struct fleet *f = r->st->fleet;
	struct pod_trouble *t = NULL;
	struct pod_row *rows = NULL;
	struct evkeyvalq q;
	const char *sort;
	json_t *a;
	int p, by_rank = 0;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	sort = evhttp_find_header(&q, "sort");
	if (sort != NULL && strcmp(sort, "trouble") == 0)
		by_rank = 1;
	else if (sort != NULL && *sort && strcmp(sort, "name") != 0) {
		api_reply_error(r->req, 400, "bad_request",
		    "'sort' must be name or trouble, not '%s'", sort);
		goto done;
	}
	if ((t = calloc((size_t)f->npods + 1, sizeof(*t))) == NULL ||
	    (rows = calloc((size_t)f->npods + 1, sizeof(*rows))) == NULL ||
	    pods_trouble(r->st, t) == -1) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		goto done;
	}
	for (p = 0; p < f->npods; p++) {
		rows[p].o = pod_json(f, p, &t[p]);
		rows[p].trouble = t[p].trouble;
		rows[p].p = p;
	}
	if (by_rank)
		qsort(rows, (size_t)f->npods, sizeof(*rows), by_trouble);
	a = json_array();
	for (p = 0; p < f->npods; p++)
		json_array_append_new(a, rows[p].o);
	api_reply_json(r->req, 200, json_pack("{s:o}", "pods", a));
done:
	free(rows);
	free(t);
	evhttp_clear_headers(&q);
}

void
api_pod(struct api_req *r)
{
	const struct fleet *f = r->st->fleet;
	int p = fleet_pod_index(f, r->args[0]);
	struct pod_trouble *t;

	if (p < 0) {
		api_reply_error(
		    r->req, 404, "not_found", "no pod '%s'", r->args[0]);
		return;
	}
	if ((t = calloc((size_t)f->npods + 1, sizeof(*t))) == NULL ||
	    pods_trouble(r->st, t) == -1) {
		api_reply_error(r->req, 500, "internal", "out of memory");
		free(t);
		return;
	}
	api_reply_json(r->req, 200, pod_json(f, p, &t[p]));
	free(t);
}

static int
lookup_pod(void *ctx, const char *name)
{
	return fleet_pod_index(ctx, name);
}

static int
lookup_node_state(void *ctx, const char *name)
{
	return fleet_state_parse(name);
}

/* GET /nodes?pod=&state=: each a comma-separated list, any of which
 * matches. */
void
api_nodes(struct api_req *r)
{
	static const char *const allowed[] = {"pod", "state", NULL};
	const struct fleet *f = r->st->fleet;
	unsigned char states[NODE_NSTATES] = {0}, *pods = NULL;
	struct evkeyvalq q;
	const char *pod, *state;
	char bad[128];
	int i;
	json_t *a;

	if (api_read_query(r->req, &q, allowed) == -1)
		goto done;
	pod = evhttp_find_header(&q, "pod");
	state = evhttp_find_header(&q, "state");
	if (pod != NULL && *pod) {
		if ((pods = calloc(f->npods + 1, 1)) == NULL) {
			api_reply_error(
			    r->req, 500, "internal", "out of memory");
			goto done;
		}
		if (api_parse_list(pod, lookup_pod, (void *)f, pods, f->npods,
		        bad, sizeof(bad)) == -1) {
			api_reply_error(
			    r->req, 404, "not_found", "no pod '%s'", bad);
			goto done;
		}
	}
	if (state != NULL && *state &&
	    api_parse_list(state, lookup_node_state, NULL, states, NODE_NSTATES,
	        bad, sizeof(bad)) == -1) {
		api_reply_error(r->req, 400, "bad_request",
		    "unknown node state '%s' (idle, mixed, allocated, down, "
		    "draining, drained)",
		    bad);
		goto done;
	}
	a = json_array();
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];

		if ((pods != NULL && !pods[n->pod]) ||
		    (state != NULL && *state &&
		        !states[fleet_node_state(f, n)]))
			continue;
		json_array_append_new(a, node_json(f, n, 0));
	}
	api_reply_json(r->req, 200, json_pack("{s:o}", "nodes", a));
done:
	free(pods);
	evhttp_clear_headers(&q);
}

static struct node *
find_node(struct api_req *r)
{
	struct node *n = fleet_node(r->st->fleet, r->args[0]);

	if (n == NULL)
		api_reply_error(
		    r->req, 404, "not_found", "no node '%s'", r->args[0]);
	return n;
}

/* Attempts listed in a node's detail. */
#define NODE_RECENT_ATTEMPTS 10

/* GET /nodes/{name}: the detail, with the attempts that ran there last
 * (from the store, lost ones included). */
void
api_node(struct api_req *r)
{
	struct node *n = find_node(r);
	json_t *o, *recent;

	if (n == NULL)
		return;
	recent = store_node_attempts(r->st->store, n->id, NODE_RECENT_ATTEMPTS);
	if (recent == NULL) {
		api_reply_error(r->req, 500, "internal",
		    "could not read the recent attempts on %s", n->name);
		return;
	}
	o = node_json(r->st->fleet, n, 1);
	json_object_set_new(o, "recent_attempts", recent);
	api_reply_json(r->req, 200, o);
}

/* POST /nodes/{name}/drain. The reply is the node's detail with
 * "replaced": the reason, who and when of the drain it replaced, or null
 * when the node was not drained. */
void
api_drain(struct api_req *r)
{
	struct node *n, saved;
	const char *reason = NULL;
	json_t *body, *reply, *replaced;
	char err[128];

	if ((n = find_node(r)) == NULL)
		return;
	if ((body = api_read_body(r->req)) == NULL)
		return;
	if (!json_is_object(body) ||
	    jsonx_string(body, "reason", &reason, err, sizeof(err)) != 1 ||
	    reason[strspn(reason, " \t")] == '\0' ||
	    strlen(reason) >= sizeof(n->reason)) {
		api_reply_error(r->req, 400, "bad_request",
		    "drain needs {\"reason\": TEXT}, 1 to %zu printable "
		    "characters",
		    sizeof(n->reason) - 1);
		goto done;
	}
	if (api_text_check("reason", reason, err, sizeof(err)) == -1) {
		api_reply_error(r->req, 400, "bad_request", "%s", err);
		goto done;
	}
	if (n->drained && strcmp(n->reason, reason) == 0) {
		/* the same drain again changes nothing: no store, no audit */
		reply = node_json(r->st->fleet, n, 1);
		json_object_set_new(reply, "replaced", json_null());
		json_object_set_new(reply, "unchanged", json_true());
		api_reply_json(r->req, 200, reply);
		goto done;
	}
	saved = *n;
	n->drained = 1;
	snprintf(n->reason, sizeof(n->reason), "%s", reason);
	n->drained_at_ms = time_wall_ms();
	snprintf(n->drained_by, sizeof(n->drained_by), "%s", r->who);
	if (store_put_drain(r->st->store, n, r->who, "drain") == -1) {
		*n = saved;
		api_reply_store_error(
		    r, "could not store the drain of %s", n->name);
		goto done;
	}
	if (saved.drained) {
		replaced = json_object();
		json_object_set_new(replaced, "reason",
		    saved.reason[0] ? json_string(saved.reason) : json_null());
		json_object_set_new(replaced, "drained_by",
		    saved.drained_by[0] ? json_string(saved.drained_by)
		                        : json_null());
		json_object_set_new(
		    replaced, "drained_at", jsonx_time(saved.drained_at_ms));
		log_info("node %s drained by %s: %s (replaced: %s)", n->name,
		    r->who, n->reason, saved.reason);
	} else {
		replaced = json_null();
		log_info(
		    "node %s drained by %s: %s", n->name, r->who, n->reason);
	}
	reply = node_json(r->st->fleet, n, 1);
	json_object_set_new(reply, "replaced", replaced);
	json_object_set_new(reply, "unchanged", json_false());
	api_reply_json(r->req, 200, reply);
done:
	json_decref(body);
}

/* POST /nodes/{name}/resume, body empty or {"force": BOOL}. A node whose
 * guard reports a leak, low flow or an overheated accelerator is not
 * resumed (409, saying why) unless forced; a forced resume is audited with
 * what it overrode, and the node still takes no work until the conditions
 * clear (core/health.h). */
void
api_resume(struct api_req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	struct node *n, saved;
	json_t *body = NULL;
	char err[128], what[192], detail[224];
	int force = 0;

	if ((n = find_node(r)) == NULL)
		return;
	if (evbuffer_get_length(in) > 0) {
		if ((body = api_read_body(r->req)) == NULL)
			return;
		if (!json_is_object(body) ||
		    jsonx_bool(body, "force", &force, err, sizeof(err)) == -1) {
			api_reply_error(r->req, 400, "bad_request",
			    "resume takes no body or {\"force\": true|false}");
			goto done;
		}
	}
	if (!n->drained) {
		api_reply_error(r->req, 409, "conflict",
		    "node '%s' is not drained or draining", n->name);
		goto done;
	}
	health_describe(n->health.conds, 0, what, sizeof(what));
	if (n->health.conds != 0 && !force) {
		api_reply_error(r->req, 409, "conflict",
		    "%s reports %s; resume with --force to override", n->name,
		    what);
		goto done;
	}
	saved = *n;
	n->drained = 0;
	n->reason[0] = n->drained_by[0] = '\0';
	n->drained_at_ms = 0;
	snprintf(detail, sizeof(detail), "forced over %s", what);
	if (store_put_drain_detail(r->st->store, n, r->who, "resume",
	        n->health.conds != 0 ? detail : NULL) == -1) {
		*n = saved;
		api_reply_store_error(
		    r, "could not store the resume of %s", n->name);
		goto done;
	}
	if (n->health.conds != 0) {
		health_force(&n->health);
		log_warnx("node %s resumed by %s, forced over %s; it takes no "
		          "work until that clears",
		    n->name, r->who, what);
	} else
		log_info("node %s resumed by %s", n->name, r->who);
	api_reply_json(r->req, 200, node_json(r->st->fleet, n, 1));
done:
	json_decref(body);
}
