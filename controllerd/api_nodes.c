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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "alarmview.h"
#include "apireq.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "health.h"
#include "jobs.h"
#include "jsonw.h"
#include "jsonx.h"
#include "log.h"
#include "selfstat.h"
#include "store.h"
#include "timeutil.h"

/* ---- JSON views of the fleet ---- */

/* The summary's numbers, in the replies' order: key, the double's offset
 * in struct fleet_summary, decimals. One table for the Jansson replies
 * (GET /status) and the written ones (GET /pods). */
static const struct summary_real {
	const char *key;
	size_t off;
	int decimals;
} summary_reals[] = {
    {"power_w", offsetof(struct fleet_summary, power_w), 1},
    {"budget_w", offsetof(struct fleet_summary, budget_w), 1},
    {"heat_w", offsetof(struct fleet_summary, heat_w), 1},
    {"cooling_capacity_w", offsetof(struct fleet_summary, cooling_capacity_w),
        1},
    {"supply_c", offsetof(struct fleet_summary, supply_c), 2},
    {"return_c", offsetof(struct fleet_summary, return_c), 2},
    {"flow_lpm", offsetof(struct fleet_summary, flow_lpm), 2},
};

#define SUMMARY_NREALS (sizeof(summary_reals) / sizeof(summary_reals[0]))

static double
summary_real(const struct fleet_summary *s, size_t i)
{
	return *(const double *)((const char *)s + summary_reals[i].off);
}

static json_t *
summary_json(const struct fleet_summary *s, json_t *o)
{
	size_t i;

	for (i = 0; i < SUMMARY_NREALS; i++)
		jsonx_set_real(o, summary_reals[i].key, summary_real(s, i),
		    summary_reals[i].decimals);
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
	/* an accelerator within the overtemp alarm's clear margin of its
	 * critical temperature: where the alarm, once raised, would not
	 * clear (fleet_summary.nodes_hot) */
	int nodes_hot;
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

/* Fills t[0..npods-1] but the node counts, which pod_rank() takes from
 * the fleet's recent summary: one pass over the running jobs and the
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

/* Completes t from the pod's recent summary (into s): its node counts,
 * then its rank. */
static void
pod_rank(struct fleet *f, int p, struct pod_trouble *t, struct fleet_summary *s)
{
	*s = *fleet_summary_recent(f, p, time_mono_ms());
	t->nodes_down = s->by_state[NODE_DOWN];
	t->nodes_hot = s->nodes_hot;
	/* a leaking node that stopped reporting still leaks until its alarm
	 * clears */
	t->trouble = pod_trouble_rank(
	    t, s->leaks > t->leak_alarms ? s->leaks : t->leak_alarms);
}

/* One pod's object, after pod_rank(). */
static void
pod_write(struct jsonw *w, const struct fleet *f, int p,
    const struct pod_trouble *t, const struct fleet_summary *s)
{
	size_t i;
	int c;

	jsonw_object(w);
	jsonw_key(w, "name");
	jsonw_string(w, f->pods[p].conf.name);
	jsonw_key(w, "nodes_total");
	jsonw_int(w, s->nodes_total);
	jsonw_key(w, "nodes_up");
	jsonw_int(w, s->nodes_up);
	jsonw_key(w, "accelerators_total");
	jsonw_int(w, s->accels_total);
	jsonw_key(w, "accelerators_up");
	jsonw_int(w, s->accels_up);
	for (i = 0; i < SUMMARY_NREALS; i++) {
		jsonw_key(w, summary_reals[i].key);
		jsonw_real(w, summary_real(s, i), summary_reals[i].decimals);
	}
	jsonw_key(w, "hottest_c");
	jsonw_real(w, s->hottest_c, 1);
	jsonw_key(w, "groups");
	jsonw_int(w, f->pods[p].conf.groups);
	jsonw_key(w, "leaks");
	jsonw_int(w, s->leaks);
	jsonw_key(w, "nodes_by_state");
	jsonw_object(w);
	for (c = 0; c < NODE_NSTATES; c++) {
		jsonw_key(w, fleet_state_name(c));
		jsonw_int(w, s->by_state[c]);
	}
	jsonw_object_end(w);
	jsonw_key(w, "nodes_down");
	jsonw_int(w, t->nodes_down);
	jsonw_key(w, "nodes_hot");
	jsonw_int(w, t->nodes_hot);
	jsonw_key(w, "jobs_running");
	jsonw_int(w, t->jobs_running);
	jsonw_key(w, "alarms");
	jsonw_object(w);
	for (c = 0; c < ALARMVIEW_NCLASSES; c++) {
		jsonw_key(w, alarmview_class_name(c));
		jsonw_int(w, t->alarms[c]);
	}
	jsonw_object_end(w);
	jsonw_key(w, "trouble");
	jsonw_int(w, t->trouble);
	jsonw_object_end(w);
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

/*
 * A node's summary, one key a row: its name, the kind of its value (and
 * the decimals of a number), and what reads the value from the node. The
 * list's rows are the order of the keys; GET /nodes?fields= picks rows
 * from it by name, so that a view asking for three keys of 12,800 nodes
 * writes three, not sixteen. One table serves both writers: Jansson's for
 * a node's detail, the tree-less jsonw for the list (docs/benchmarks.md,
 * "REST API at fabric size").
 */
enum node_kind {
	NK_STRING, /* s; NULL is null */
	NK_BOOL,   /* i */
	NK_INT,    /* i */
	NK_REAL,   /* d, rounded to the row's decimals; NaN is null */
	NK_TIME,   /* i, ms since the epoch; 0 is null */
	NK_LEAK,   /* i: -1 unknown (null), 0, 1 */
};

struct node_value {
	const char *s; /* borrowed from the node, the fleet or buf */
	double d;
	long long i;
};

typedef void (*node_value_fn)(const struct fleet *f, const struct node *n,
    struct node_value *v, char *buf, size_t len);

static void
f_name(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->s = n->name;
}

static void
f_pod(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->s = f->pods[n->pod].conf.name;
}

static void
f_group(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->s = n->group;
}

static void
f_state(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->s = fleet_state_name(fleet_node_state(f, n));
}

static void
f_reason(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->s = fleet_node_reason(n);
}

static void
f_drained(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->i = n->drained;
}

static void
f_power(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->d = n->power_w;
}

static void
f_seen(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->i = n->last_seen_ms;
}

static void
f_accels(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->i =
	    n->naccels > 0 ? n->naccels : f->pods[n->pod].conf.accels_per_node;
}

static void
f_hottest(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->d = fleet_node_hottest_c(n);
}

static void
f_inlet(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->d = n->inlet_c;
}

static void
f_outlet(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->d = n->outlet_c;
}

static void
f_flow(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->d = n->flow_lpm;
}

static void
f_heat(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->d = fleet_node_heat_w(f, n);
}

static void
f_leak(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->i = n->leak;
}

static void
f_health(const struct fleet *f, const struct node *n, struct node_value *v,
    char *buf, size_t len)
{
	v->s = health_names(n->health.conds, buf, len);
}

static const struct node_field {
	const char *key;
	enum node_kind kind;
	int decimals; /* of an NK_REAL */
	node_value_fn fn;
} node_fields[] = {
    {"name", NK_STRING, 0, f_name},
    {"pod", NK_STRING, 0, f_pod},
    {"group", NK_STRING, 0, f_group},
    {"state", NK_STRING, 0, f_state},
    {"reason", NK_STRING, 0, f_reason},
    {"drained", NK_BOOL, 0, f_drained},
    {"power_w", NK_REAL, 1, f_power},
    {"last_seen", NK_TIME, 0, f_seen},
    {"accelerators_total", NK_INT, 0, f_accels},
    {"hottest_c", NK_REAL, 1, f_hottest},
    {"inlet_c", NK_REAL, 2, f_inlet},
    {"outlet_c", NK_REAL, 2, f_outlet},
    {"flow_lpm", NK_REAL, 2, f_flow},
    {"heat_w", NK_REAL, 1, f_heat},
    {"leak", NK_LEAK, 0, f_leak},
    {"health", NK_STRING, 0, f_health},
};

#define NODE_NFIELDS (sizeof(node_fields) / sizeof(node_fields[0]))

/* The summary keys picked by pick (NODE_NFIELDS flags), or all of them
 * when pick is NULL, into o. */
static void
node_summary_set(json_t *o, const struct fleet *f, const struct node *n,
    const unsigned char *pick)
{
	struct node_value v;
	char buf[64];
	size_t i;

	for (i = 0; i < NODE_NFIELDS; i++) {
		const struct node_field *nf = &node_fields[i];
		json_t *j = NULL;

		if (pick != NULL && !pick[i])
			continue;
		memset(&v, 0, sizeof(v));
		nf->fn(f, n, &v, buf, sizeof(buf));
		switch (nf->kind) {
		case NK_STRING:
			j = v.s != NULL ? json_string(v.s) : json_null();
			break;
		case NK_BOOL:
			j = json_boolean(v.i);
			break;
		case NK_INT:
			j = json_integer(v.i);
			break;
		case NK_REAL:
			jsonx_set_real(o, nf->key, v.d, nf->decimals);
			continue;
		case NK_TIME:
			j = jsonx_time(v.i);
			break;
		case NK_LEAK:
			j = leak_json((int)v.i);
			break;
		}
		json_object_set_new(o, nf->key, j);
	}
}

/* As node_summary_set(), one object written by w. */
static void
node_summary_write(struct jsonw *w, const struct fleet *f, const struct node *n,
    const unsigned char *pick)
{
	struct node_value v;
	char buf[64];
	size_t i;

	jsonw_object(w);
	for (i = 0; i < NODE_NFIELDS; i++) {
		const struct node_field *nf = &node_fields[i];

		if (pick != NULL && !pick[i])
			continue;
		memset(&v, 0, sizeof(v));
		nf->fn(f, n, &v, buf, sizeof(buf));
		jsonw_key(w, nf->key);
		switch (nf->kind) {
		case NK_STRING:
			jsonw_string(w, v.s);
			break;
		case NK_BOOL:
			jsonw_bool(w, (int)v.i);
			break;
		case NK_INT:
			jsonw_int(w, v.i);
			break;
		case NK_REAL:
			jsonw_real(w, v.d, nf->decimals);
			break;
		case NK_TIME:
			jsonw_time(w, v.i);
			break;
		case NK_LEAK:
			if (v.i < 0)
				jsonw_null(w);
			else
				jsonw_bool(w, (int)v.i);
			break;
		}
	}
	jsonw_object_end(w);
}

static json_t *
node_json(const struct fleet *f, const struct node *n, int detail)
{
	json_t *o = json_object(), *accels;
	int i;

	node_summary_set(o, f, n, NULL);
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
	const struct fleet_summary s =
	    *fleet_summary_recent(r->st->fleet, -1, time_mono_ms());

	const struct leader *l = &r->st->lead;
	const struct ctllist *cl = &r->st->conf->controllers;
	json_t *all = json_array();
	int i;

	/* the site's controllers, for the dashboard to find the active one
	 * among: as configured, else this one */
	for (i = 0; i < cl->n; i++)
		json_array_append_new(all, json_string(cl->url[i]));
	if (cl->n == 0)
		json_array_append_new(all, json_string(l->url));
	/* public, and read by the dashboard of another controller */
	evhttp_add_header(evhttp_request_get_output_headers(r->req),
	    "Access-Control-Allow-Origin", "*");
	/* a standby has loaded no state: it says so, and who leads */
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:s,s:I,s:i,s:i,s:i,s:s,s:s,s:o}", "status", "ok",
	        "version", POD_VERSION, "uptime_s",
	        (json_int_t)((time_mono_ms() - r->st->start_mono_ms) / 1000),
	        "schema_version", store_schema_version(r->st->store),
	        "nodes_total", s.nodes_total, "nodes_up", s.nodes_up, "role",
	        leader_role_name(leader_shown(l, !r->st->standby)), "active",
	        l->active_url, "controllers", all));
}

void
api_status(struct api_req *r)
{
	const struct fleet *f = r->st->fleet;
	/* a summary up to 100 ms old: a walk over 12,800 nodes for every
	 * request was what held the loop when many clients asked */
	const struct fleet_summary s =
	    *fleet_summary_recent(r->st->fleet, -1, time_mono_ms());
	json_t *o = json_object(), *hot = json_null();

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
	struct fleet_summary s; /* pod_rank()'s */
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
	struct fleet *f = r->st->fleet;
	struct pod_trouble *t = NULL;
	struct pod_row *rows = NULL;
	struct evkeyvalq q;
	const char *sort;
	struct jsonw w;
	int p, by_rank = 0;

	jsonw_init(&w, API_REPLY_MAX);
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
		pod_rank(f, p, &t[p], &rows[p].s);
		rows[p].trouble = t[p].trouble;
		rows[p].p = p;
	}
	if (by_rank)
		qsort(rows, (size_t)f->npods, sizeof(*rows), by_trouble);
	jsonw_object(&w);
	jsonw_key(&w, "pods");
	jsonw_array(&w);
	for (p = 0; p < f->npods; p++)
		pod_write(&w, f, rows[p].p, &t[rows[p].p], &rows[p].s);
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	api_reply_jsonw(r->req, 200, &w);
done:
	jsonw_free(&w);
	free(rows);
	free(t);
	evhttp_clear_headers(&q);
}

void
api_pod(struct api_req *r)
{
	struct fleet *f = r->st->fleet;
	int p = fleet_pod_index(f, r->args[0]);
	struct pod_trouble *t;
	struct fleet_summary s;
	struct jsonw w;

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
	pod_rank(f, p, &t[p], &s);
	jsonw_init(&w, API_REPLY_MAX);
	pod_write(&w, f, p, &t[p], &s);
	api_reply_jsonw(r->req, 200, &w);
	jsonw_free(&w);
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

/* GET /nodes?limit= bounds. */
#define NODES_LIMIT_MAX 5000

/* A problem a node can have, for GET /nodes?problem=: its name, and
 * whether n has it (conf gives the thresholds). */
typedef int (*node_problem_fn)(
    const struct fleet *f, const struct config *c, const struct node *n);

static int
p_leak(const struct fleet *f, const struct config *c, const struct node *n)
{
	return n->leak == 1;
}

/* Hot: an accelerator within [alarms] overtemp_margin_c of its critical
 * temperature or over it, the band where an overtemp alarm, once raised,
 * would not yet clear. */
static int
p_hot(const struct fleet *f, const struct config *c, const struct node *n)
{
	int i;

	for (i = 0; i < n->naccels; i++) {
		const struct accel *a = &n->accels[i];

		if (!isnan(a->temp_c) && !isnan(a->temp_crit_c) &&
		    a->temp_c >= a->temp_crit_c - c->overtemp_margin_c)
			return 1;
	}
	return 0;
}

static int
p_down(const struct fleet *f, const struct config *c, const struct node *n)
{
	return fleet_node_state(f, n) == NODE_DOWN;
}

static int
p_unhealthy(const struct fleet *f, const struct config *c, const struct node *n)
{
	return n->health.conds != 0;
}

static const struct node_problem {
	const char *name;
	node_problem_fn fn;
} node_problems[] = {
    {"leak", p_leak},
    {"hot", p_hot},
    {"down", p_down},
    {"unhealthy", p_unhealthy},
};

#define NODE_NPROBLEMS (sizeof(node_problems) / sizeof(node_problems[0]))

/* What GET /nodes was asked: each set NULL when its parameter is absent
 * (anything matches); limit 0 for no limit; after "" for the start. */
struct nodes_query {
	unsigned char *pods;                    /* per pod */
	unsigned char *groups;                  /* per gindex */
	unsigned char states[NODE_NSTATES];     /* any of */
	unsigned char problems[NODE_NPROBLEMS]; /* any of */
	unsigned char fields[NODE_NFIELDS];     /* keys to write */
	int any_state, any_problem, some_fields;
	int limit;
	const char *after;
};

static int
lookup_group(void *ctx, const char *name)
{
	const struct fleet *f = ctx;
	int i;

	for (i = 0; i < f->nnodes; i++)
		if (strcmp(f->nodes[i].group, name) == 0)
			return f->nodes[i].gindex;
	return -1;
}

static int
lookup_problem(void *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < NODE_NPROBLEMS; i++)
		if (strcmp(node_problems[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
lookup_field(void *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < NODE_NFIELDS; i++)
		if (strcmp(node_fields[i].key, name) == 0)
			return (int)i;
	return -1;
}

/* Reads the query into nq; -1 after the error reply (400 naming the
 * parameter, 404 for a pod or group that does not exist). */
static int
nodes_parse(struct api_req *r, struct evkeyvalq *q, struct nodes_query *nq)
{
	const struct fleet *f = r->st->fleet;
	const char *v;
	char bad[128], *end;
	size_t i;
	long l;

	if ((v = evhttp_find_header(q, "pod")) != NULL && *v) {
		if ((nq->pods = calloc(f->npods + 1, 1)) == NULL)
			goto oom;
		if (api_parse_list(v, lookup_pod, (void *)f, nq->pods, f->npods,
		        bad, sizeof(bad)) == -1) {
			api_reply_error(
			    r->req, 404, "not_found", "no pod '%s'", bad);
			return -1;
		}
	}
	if ((v = evhttp_find_header(q, "group")) != NULL && *v) {
		if ((nq->groups = calloc(f->ngroups + 1, 1)) == NULL)
			goto oom;
		if (api_parse_list(v, lookup_group, (void *)f, nq->groups,
		        f->ngroups, bad, sizeof(bad)) == -1) {
			api_reply_error(
			    r->req, 404, "not_found", "no group '%s'", bad);
			return -1;
		}
	}
	if ((v = evhttp_find_header(q, "state")) != NULL && *v) {
		nq->any_state = 1;
		if (api_parse_list(v, lookup_node_state, NULL, nq->states,
		        NODE_NSTATES, bad, sizeof(bad)) == -1) {
			api_reply_error(r->req, 400, "bad_request",
			    "state: unknown node state '%s' (idle, mixed, "
			    "allocated, down, draining, drained)",
			    bad);
			return -1;
		}
	}
	if ((v = evhttp_find_header(q, "problem")) != NULL) {
		nq->any_problem = 1;
		if (api_parse_list(v, lookup_problem, NULL, nq->problems,
		        NODE_NPROBLEMS, bad, sizeof(bad)) == -1) {
			api_reply_error(r->req, 400, "bad_request",
			    "problem: unknown problem '%s' (leak, hot, down, "
			    "unhealthy)",
			    bad);
			return -1;
		}
	}
	if ((v = evhttp_find_header(q, "fields")) != NULL) {
		nq->some_fields = 1;
		if (api_parse_list(v, lookup_field, NULL, nq->fields,
		        NODE_NFIELDS, bad, sizeof(bad)) == -1) {
			char known[512] = "";
			size_t len;

			for (i = 0; i < NODE_NFIELDS; i++) {
				len = strlen(known);
				snprintf(known + len, sizeof(known) - len,
				    "%s%s", i ? ", " : "", node_fields[i].key);
			}
			api_reply_error(r->req, 400, "bad_request",
			    "fields: unknown field '%s' (%s)", bad, known);
			return -1;
		}
	}
	if ((v = evhttp_find_header(q, "limit")) != NULL) {
		l = strtol(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || l < 1 ||
		    l > NODES_LIMIT_MAX) {
			api_reply_error(r->req, 400, "bad_request",
			    "limit: '%.64s' is not a whole number from 1 to %d",
			    v, NODES_LIMIT_MAX);
			return -1;
		}
		nq->limit = (int)l;
	}
	if ((v = evhttp_find_header(q, "after")) != NULL) {
		if (*v == '\0' || strlen(v) >= NAME_MAX_LEN ||
		    !api_printable(v)) {
			api_reply_error(r->req, 400, "bad_request",
			    "after: expected a node name (the last of the "
			    "previous page), 1 to %d printable characters",
			    NAME_MAX_LEN - 1);
			return -1;
		}
		nq->after = v;
	}
	return 0;
oom:
	api_reply_error(r->req, 500, "internal", "out of memory");
	return -1;
}

static int
nodes_match(const struct fleet *f, const struct config *c,
    const struct nodes_query *nq, const struct node *n)
{
	size_t i;
	int hit;

	if ((nq->pods != NULL && !nq->pods[n->pod]) ||
	    (nq->groups != NULL && !nq->groups[n->gindex]) ||
	    (nq->any_state && !nq->states[fleet_node_state(f, n)]))
		return 0;
	if (!nq->any_problem)
		return 1;
	for (hit = 0, i = 0; i < NODE_NPROBLEMS && !hit; i++)
		hit = nq->problems[i] && node_problems[i].fn(f, c, n);
	return hit;
}

/* Adds Link: </api/v1/nodes?…&after=LAST>; rel="next", the request's query
 * with `after` replaced. */
static void
nodes_link_next(struct api_req *r, struct evkeyvalq *q, const char *last)
{
	struct evbuffer *b = evbuffer_new();
	struct evkeyval *kv;
	char *enc, *text;
	size_t len;

	if (b == NULL)
		return;
	evbuffer_add_printf(b, "</api/v1/nodes?");
	TAILQ_FOREACH(kv, q, next)
	{
		if (strcmp(kv->key, "after") == 0 ||
		    (enc = evhttp_encode_uri(kv->value)) == NULL)
			continue;
		evbuffer_add_printf(b, "%s=%s&", kv->key, enc);
		free(enc);
	}
	if ((enc = evhttp_encode_uri(last)) != NULL) {
		evbuffer_add_printf(b, "after=%s>; rel=\"next\"", enc);
		free(enc);
		len = evbuffer_get_length(b);
		if ((text = malloc(len + 1)) != NULL) {
			evbuffer_remove(b, text, len);
			text[len] = '\0';
			evhttp_add_header(
			    evhttp_request_get_output_headers(r->req), "Link",
			    text);
			free(text);
		}
	}
	evbuffer_free(b);
}

/*
 * GET /nodes?pod=&group=&state=&problem=&fields=&limit=&after=: the nodes
 * in name order. pod, group, state and problem each take a comma list,
 * any item of which matches; given several, a node must match each.
 * fields= picks the summary's keys. limit= and after= page: X-Total-Count
 * is how many match the filters (whatever the page), and a Link rel="next"
 * header is there when more follow this page.
 */
void
api_nodes(struct api_req *r)
{
	static const char *const allowed[] = {"pod", "group", "state",
	    "problem", "fields", "limit", "after", NULL};
	const struct fleet *f = r->st->fleet;
	const struct config *c = r->st->conf;
	struct nodes_query nq;
	struct evkeyvalq q;
	const struct node *last = NULL;
	int i, lo, hi, total = 0, shown = 0, more = 0;
	char count[32];
	struct jsonw w;

	jsonw_init(&w, API_REPLY_MAX);
	memset(&nq, 0, sizeof(nq));
	if (api_read_query(r->req, &q, allowed) == -1 ||
	    nodes_parse(r, &q, &nq) == -1)
		goto done;
	/* the first node after the cursor: nodes are sorted by name */
	for (lo = 0, hi = f->nnodes; nq.after != NULL && lo < hi;) {
		int mid = lo + (hi - lo) / 2;

		if (strcmp(f->nodes[mid].name, nq.after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	jsonw_object(&w);
	jsonw_key(&w, "nodes");
	jsonw_array(&w);
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];

		if (!nodes_match(f, c, &nq, n))
			continue;
		total++;
		if (i < lo)
			continue;
		if (nq.limit > 0 && shown == nq.limit) {
			more = 1;
			continue;
		}
		node_summary_write(&w, f, n, nq.some_fields ? nq.fields : NULL);
		shown++;
		last = n;
	}
	jsonw_array_end(&w);
	jsonw_object_end(&w);
	snprintf(count, sizeof(count), "%d", total);
	evhttp_add_header(
	    evhttp_request_get_output_headers(r->req), "X-Total-Count", count);
	if (more && last != NULL)
		nodes_link_next(r, &q, last->name);
	api_reply_jsonw(r->req, 200, &w);
done:
	jsonw_free(&w);
	free(nq.pods);
	free(nq.groups);
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
	fleet_summary_stale(r->st->fleet);
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
	fleet_summary_stale(r->st->fleet);
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
