/*
 * Alarms as the controller sees them (see alarmview.h). The rules' view of
 * the fleet is built afresh for each evaluation, once a second: a node
 * array, one accelerator array for all nodes, and a pod array with each
 * pod's summary computed once. A pod's alarm over many nodes lists them as
 * a host list (common/hostlist.c), and gives them to the API as an array.
 */
#include <stdlib.h>

#include "alarmview.h"
#include "fleet.h"
#include "hostlist.h"
#include "jsonx.h"
#include "log.h"
#include "names.h"

_Static_assert(ALARM_OBJECT_MAX >= NAME_MAX_LEN,
    "an alarm's object holds any pod or node name");

int
alarmview_evaluate(
    struct alarms *a, const struct fleet *f, const struct alarm_inputs *in)
{
	struct alarm_inputs view = *in;
	struct alarm_node *nodes = NULL;
	struct alarm_accel *accels = NULL, *next;
	struct alarm_pod *pods = NULL;
	size_t naccels = 0;
	int i, k, rc = -1;

	for (i = 0; i < f->nnodes; i++)
		naccels += (size_t)f->nodes[i].naccels;
	if ((nodes = calloc(f->nnodes + 1, sizeof(*nodes))) == NULL ||
	    (accels = calloc(naccels + 1, sizeof(*accels))) == NULL ||
	    (pods = calloc(f->npods + 1, sizeof(*pods))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	next = accels;
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];
		struct alarm_node *v = &nodes[i];

		v->name = n->name;
		v->up = n->up;
		v->drained = n->drained;
		v->leak = n->leak;
		v->last_seen_ms = n->last_seen_ms;
		v->flow_lpm = n->flow_lpm;
		v->inlet_c = n->inlet_c;
		v->naccels = n->naccels;
		v->accels = next;
		for (k = 0; k < n->naccels; k++, next++) {
			next->temp_c = n->accels[k].temp_c;
			next->temp_crit_c = n->accels[k].temp_crit_c;
		}
	}
	for (i = 0; i < f->npods; i++) {
		struct fleet_summary s;

		fleet_summarize(f, i, &s);
		pods[i].name = f->pods[i].conf.name;
		pods[i].first = f->pods[i].first;
		pods[i].nnodes = f->pods[i].nnodes;
		pods[i].power_w = s.power_w;
		pods[i].budget_w = f->pods[i].conf.power_budget_w;
		pods[i].heat_w = s.heat_w;
		pods[i].cooling_capacity_w = s.cooling_capacity_w;
	}
	view.nodes = nodes;
	view.nnodes = f->nnodes;
	view.pods = pods;
	view.npods = f->npods;
	view.compact = hostlist_compact;
	if ((rc = alarms_evaluate(a, &view)) == -1)
		log_warnx("%s: out of memory", __func__);
fail:
	free(pods);
	free(accels);
	free(nodes);
	return rc;
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
