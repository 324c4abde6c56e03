/*
 * Alarms as the controller sees them (see alarmview.h). The rules' view of
 * the fleet is built afresh for each evaluation, once a second: a node
 * array, one accelerator array for all nodes, and a pod array with each
 * pod's summary computed once. A pod's alarm over many nodes lists them as
 * a host list (common/hostlist.c), and gives them to the API as an array.
 *
 * The API lists alarms by class, most urgent first (a leak must not sink
 * under a hundred pods' node_down alarms), and counts them per pod; the
 * classes and the pod an alarm belongs to are defined here, once.
 */
#include <stdlib.h>
#include <string.h>

#include "alarmview.h"
#include "fleet.h"
#include "hostlist.h"
#include "jsonx.h"
#include "log.h"
#include "names.h"

_Static_assert(ALARM_OBJECT_MAX >= NAME_MAX_LEN,
    "an alarm's object holds any pod or node name");

/* Grows *v to hold n elements of size sz; 0 or -1. */
static int
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	void *p;

	if (n <= *cap)
		return 0;
	if ((p = realloc(*v, (n + 1) * sz)) == NULL)
		return -1;
	*v = p;
	*cap = n + 1;
	return 0;
}

int
alarmview_evaluate(struct alarmview *v, struct alarms *a, const struct fleet *f,
    const struct alarm_inputs *in)
{
	struct alarm_inputs view = *in;
	struct alarm_accel *next;
	size_t naccels = 0, cn = (size_t)v->cap_nodes, cp = (size_t)v->cap_pods;
	int i, k, rc;

	for (i = 0; i < f->nnodes; i++)
		naccels += (size_t)f->nodes[i].naccels;
	rc = grow((void **)&v->nodes, &cn, (size_t)f->nnodes,
	         sizeof(*v->nodes)) |
	     grow((void **)&v->accels, &v->cap_accels, naccels,
	         sizeof(*v->accels)) |
	     grow((void **)&v->pods, &cp, (size_t)f->npods, sizeof(*v->pods));
	v->cap_nodes = (int)cn;
	v->cap_pods = (int)cp;
	if (rc != 0) {
		log_warnx("%s: out of memory", __func__);
		return -1;
	}
	next = v->accels;
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];
		struct alarm_node *an = &v->nodes[i];

		an->name = n->name;
		an->up = n->up;
		an->drained = n->drained;
		an->leak = n->leak;
		an->last_seen_ms = n->last_seen_ms;
		an->flow_lpm = n->flow_lpm;
		an->inlet_c = n->inlet_c;
		an->naccels = n->naccels;
		an->accels = next;
		an->boot_id = n->boot_id;
		an->intruder = n->intruder.last_ms != 0 ? &n->intruder : NULL;
		an->auth_refused_ms = n->auth_refused_ms;
		an->auth_from = n->auth_from;
		for (k = 0; k < n->naccels; k++, next++) {
			next->temp_c = n->accels[k].temp_c;
			next->temp_crit_c = n->accels[k].temp_crit_c;
		}
	}
	for (i = 0; i < f->npods; i++) {
		struct fleet_summary s;

		fleet_summarize(f, i, &s);
		v->pods[i].name = f->pods[i].conf.name;
		v->pods[i].first = f->pods[i].first;
		v->pods[i].nnodes = f->pods[i].nnodes;
		v->pods[i].power_w = s.power_w;
		v->pods[i].budget_w = f->pods[i].conf.power_budget_w;
		v->pods[i].heat_w = s.heat_w;
		v->pods[i].cooling_capacity_w = s.cooling_capacity_w;
	}
	view.nodes = v->nodes;
	view.nnodes = f->nnodes;
	view.pods = v->pods;
	view.npods = f->npods;
	view.compact = hostlist_compact;
	view.duplicate_window_ms = HOLDER_EPISODE_MS;
	if ((rc = alarms_evaluate(a, &view)) == -1)
		log_warnx("%s: out of memory", __func__);
	return rc;
}

void
alarmview_took(struct alarmview *v, int64_t took_ms, int64_t now_ms)
{
	if (took_ms > ALARMVIEW_SLOW_MS) {
		v->slow++;
		if (took_ms > v->slow_max_ms)
			v->slow_max_ms = took_ms;
	}
	if (v->slow > 0 && now_ms - v->slow_logged_ms >= 60000) {
		log_warnx("alarms: %d evaluation%s over %d ms in the last "
		          "minute, the slowest %lld ms",
		    v->slow, v->slow == 1 ? "" : "s", ALARMVIEW_SLOW_MS,
		    (long long)v->slow_max_ms);
		v->slow = 0;
		v->slow_max_ms = 0;
		v->slow_logged_ms = now_ms;
	}
}

void
alarmview_free(struct alarmview *v)
{
	free(v->nodes);
	free(v->accels);
	free(v->pods);
	memset(v, 0, sizeof(*v));
}

json_t *
alarm_nodes_json(const struct alarm *al)
{
	json_t *arr = json_array();
	struct hostlist hl = {NULL, 0};
	char err[128];
	int i;

	if (al->nodes[0] != '\0') {
		/* written by hostlist_compact(): expands unless truncated */
		if (hostlist_expand(
		        al->nodes, 1 << 20, &hl, err, sizeof(err)) == -1)
			log_warnx("%s: alarm %lld: %s", __func__,
			    (long long)al->id, err);
		for (i = 0; i < hl.n; i++)
			json_array_append_new(arr, json_string(hl.names[i]));
		hostlist_free(&hl);
	} else if (alarm_kind_of_nodes(al->kind) &&
	           !alarm_kind_grouped(al->kind)) {
		json_array_append_new(arr, json_string(al->object));
	}
	return arr;
}

json_t *
alarm_json(const struct alarm *al)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(al->id));
	json_object_set_new(o, "kind", json_string(alarm_kind_name(al->kind)));
	json_object_set_new(
	    o, "severity", json_string(alarm_severity(al->kind)));
	json_object_set_new(o, "object", json_string(al->object));
	json_object_set_new(o, "message", json_string(al->message));
	json_object_set_new(
	    o, "state", json_string(alarm_state_name(al->state)));
	json_object_set_new(o, "first_seen", jsonx_time(al->first_ms));
	json_object_set_new(o, "last_seen", jsonx_time(al->last_ms));
	json_object_set_new(o, "cleared_at", jsonx_time(al->cleared_ms));
	json_object_set_new(o, "acked_by",
	    al->acked_by[0] ? json_string(al->acked_by) : json_null());
	json_object_set_new(o, "acked_at", jsonx_time(al->acked_ms));
	json_object_set_new(o, "count", json_integer(al->count));
	json_object_set_new(o, "nodes", alarm_nodes_json(al));
	return o;
}

/* The class of each severity the rules use. */
static const struct {
	const char *severity; /* the rule table's word */
	enum alarmview_class class;
} severity_class[] = {
    {"critical", ALARMVIEW_CRITICAL},
    {"major", ALARMVIEW_WARNING},
    {"warning", ALARMVIEW_WARNING},
    {"info", ALARMVIEW_INFO},
};

static const char *const class_names[ALARMVIEW_NCLASSES] = {
    "critical", "warning", "info"};

int
alarmview_class_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(severity_class) / sizeof(severity_class[0]); i++)
		if (strcmp(severity_class[i].severity, name) == 0)
			return severity_class[i].class;
	return -1;
}

enum alarmview_class
alarmview_class_of(enum alarm_kind k)
{
	int c = alarmview_class_parse(alarm_severity(k));

	return c < 0 ? ALARMVIEW_WARNING : (enum alarmview_class)c;
}

const char *
alarmview_class_name(enum alarmview_class c)
{
	return c >= 0 && c < ALARMVIEW_NCLASSES ? class_names[c] : "warning";
}

int
alarmview_pod(const struct fleet *f, const struct alarm *al)
{
	const struct node *n;
	int p;

	if ((p = fleet_pod_index(f, al->object)) >= 0)
		return p;
	/* a node: fleet_node() only reads, its prototype predates const */
	n = fleet_node((struct fleet *)f, al->object);
	return n != NULL ? n->pod : -1;
}
