/*
 * Prometheus metrics (see metrics.h). One table lists the families with
 * their help and type; the writers below emit the samples of each, in the
 * table's order, so every family has exactly one HELP and TYPE line before
 * its samples. Unknown values (NaN) are left out rather than written as NaN,
 * so a node that stopped reporting drops out of sums instead of poisoning
 * them. Units are Prometheus base units: watts, joules, degrees Celsius,
 * hertz, bytes.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "alarms.h"
#include "config.h"
#include "ctl.h"
#include "envelope.h"
#include "fleet.h"
#include "jobs.h"
#include "metrics.h"
#include "timeutil.h"

/* The families: name, type, help. */
static const struct family {
	const char *name;
	const char *type;
	const char *help;
} families[] = {
    {"pod_controller_up_seconds", "gauge",
        "Seconds since the controller started."},
    {"pod_nodes", "gauge", "Nodes by pod and state."},
    {"pod_accelerators_up", "gauge", "Accelerators reporting, by pod."},
    {"pod_power_watts", "gauge", "IT power drawn by a pod's reporting nodes."},
    {"pod_power_budget_watts", "gauge", "A pod's configured power budget."},
    {"pod_power_allocated_watts", "gauge",
        "What a pod may draw now under the facility limits."},
    {"pod_heat_watts", "gauge", "Heat carried by a pod's coolant."},
    {"pod_cooling_capacity_watts", "gauge",
        "Heat a pod's coolant loop can remove."},
    {"pod_coolant_supply_celsius", "gauge",
        "Flow-weighted coolant supply temperature of a pod."},
    {"pod_coolant_return_celsius", "gauge",
        "Flow-weighted coolant return temperature of a pod."},
    {"pod_coolant_flow_litres_per_minute", "gauge",
        "Coolant flow through a pod's nodes."},
    {"pod_energy_joules_total", "counter",
        "IT energy of a pod since the database began."},
    {"pod_facility_cap_watts", "gauge",
        "The facility power cap, when one is set."},
    {"pod_curtailment_ratio", "gauge", "Share of the draw being shed, 0 to 1."},
    {"pod_jobs", "gauge", "Jobs in memory by state."},
    {"pod_alarms_open", "gauge", "Alarms not cleared."},
    {"pod_node_up", "gauge", "1 when the node's agent reports."},
    {"pod_node_power_watts", "gauge", "A node's electrical power."},
    {"pod_node_coolant_inlet_celsius", "gauge", "Coolant entering a node."},
    {"pod_node_coolant_outlet_celsius", "gauge", "Coolant leaving a node."},
    {"pod_node_leak", "gauge", "1 when a node's loop reports a leak."},
    {"pod_accelerator_power_watts", "gauge", "An accelerator's power."},
    {"pod_accelerator_temperature_celsius", "gauge",
        "An accelerator's hottest sensor."},
    {"pod_accelerator_clock_hertz", "gauge", "An accelerator's core clock."},
    {"pod_accelerator_utilization_ratio", "gauge",
        "An accelerator's busy share, 0 to 1."},
};

/* The per-accelerator families, in the order metrics_write() fills them. */
static const char *const accel_families[] = {
    "pod_accelerator_power_watts",
    "pod_accelerator_temperature_celsius",
    "pod_accelerator_clock_hertz",
    "pod_accelerator_utilization_ratio",
};

static void __attribute__((format(printf, 2, 3)))
put(struct evbuffer *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
}

static void
header(struct evbuffer *out, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].name, name) == 0)
			put(out, "# HELP %s %s\n# TYPE %s %s\n", name,
			    families[i].help, name, families[i].type);
}

/* One sample with up to two labels; NaN writes nothing. */
static void
sample(struct evbuffer *out, const char *name, const char *l1, const char *v1,
    const char *l2, const char *v2, double value)
{
	if (isnan(value))
		return;
	if (l1 == NULL)
		put(out, "%s %.10g\n", name, value);
	else if (l2 == NULL)
		put(out, "%s{%s=\"%s\"} %.10g\n", name, l1, v1, value);
	else
		put(out, "%s{%s=\"%s\",%s=\"%s\"} %.10g\n", name, l1, v1, l2,
		    v2, value);
}

/* A per-pod family: the value of each pod's summary through get(). */
static void
per_pod(struct ctl_state *st, struct evbuffer *out, const char *name,
    double (*get)(struct ctl_state *, int, const struct fleet_summary *))
{
	struct fleet_summary s;
	int p;

	header(out, name);
	for (p = 0; p < st->fleet->npods; p++) {
		fleet_summarize(st->fleet, p, &s);
		sample(out, name, "pod", st->fleet->pods[p].conf.name, NULL,
		    NULL, get(st, p, &s));
	}
}

static double
g_accels(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->accels_up;
}

static double
g_power(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->power_w;
}

static double
g_budget(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->budget_w;
}

static double
g_alloc(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return st->env->pod_alloc_w[p] > 0 ? st->env->pod_alloc_w[p] : NAN;
}

static double
g_heat(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->heat_w;
}

static double
g_capacity(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->cooling_capacity_w;
}

static double
g_supply(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->supply_c;
}

static double
g_return(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->return_c;
}

static double
g_flow(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return s->flow_lpm;
}

static double
g_energy(struct ctl_state *st, int p, const struct fleet_summary *s)
{
	return st->env->pod_energy_j[p];
}

void
metrics_write(struct ctl_state *st, struct evbuffer *out)
{
	const struct fleet *f = st->fleet;
	struct fleet_summary s;
	int p, i, k, count[JOB_NSTATES] = {0};
	char idx[16];

	header(out, "pod_controller_up_seconds");
	sample(out, "pod_controller_up_seconds", NULL, NULL, NULL, NULL,
	    (time_mono_ms() - st->start_mono_ms) / 1000.0);
	header(out, "pod_nodes");
	for (p = 0; p < f->npods; p++) {
		fleet_summarize(f, p, &s);
		for (k = 0; k < NODE_NSTATES; k++)
			sample(out, "pod_nodes", "pod", f->pods[p].conf.name,
			    "state", fleet_state_name(k), s.by_state[k]);
	}
	per_pod(st, out, "pod_accelerators_up", g_accels);
	per_pod(st, out, "pod_power_watts", g_power);
	per_pod(st, out, "pod_power_budget_watts", g_budget);
	per_pod(st, out, "pod_power_allocated_watts", g_alloc);
	per_pod(st, out, "pod_heat_watts", g_heat);
	per_pod(st, out, "pod_cooling_capacity_watts", g_capacity);
	per_pod(st, out, "pod_coolant_supply_celsius", g_supply);
	per_pod(st, out, "pod_coolant_return_celsius", g_return);
	per_pod(st, out, "pod_coolant_flow_litres_per_minute", g_flow);
	per_pod(st, out, "pod_energy_joules_total", g_energy);
	header(out, "pod_facility_cap_watts");
	if (st->env->facility_cap_w > 0)
		sample(out, "pod_facility_cap_watts", NULL, NULL, NULL, NULL,
		    st->env->facility_cap_w);
	header(out, "pod_curtailment_ratio");
	sample(out, "pod_curtailment_ratio", NULL, NULL, NULL, NULL,
	    st->env->curtail_pct / 100);
	for (i = 0; i < st->jobs.n; i++)
		count[st->jobs.v[i]->state]++;
	header(out, "pod_jobs");
	for (k = 0; k < JOB_NSTATES; k++)
		sample(out, "pod_jobs", "state", job_state_name(k), NULL, NULL,
		    count[k]);
	header(out, "pod_alarms_open");
	sample(out, "pod_alarms_open", NULL, NULL, NULL, NULL,
	    alarms_open(&st->env->alarms));

	/* Per node, then per accelerator: a family's samples together. */
	header(out, "pod_node_up");
	for (i = 0; i < f->nnodes; i++)
		sample(out, "pod_node_up", "node", f->nodes[i].name, NULL, NULL,
		    f->nodes[i].up);
	header(out, "pod_node_power_watts");
	for (i = 0; i < f->nnodes; i++)
		sample(out, "pod_node_power_watts", "node", f->nodes[i].name,
		    NULL, NULL, f->nodes[i].power_w);
	header(out, "pod_node_coolant_inlet_celsius");
	for (i = 0; i < f->nnodes; i++)
		sample(out, "pod_node_coolant_inlet_celsius", "node",
		    f->nodes[i].name, NULL, NULL, f->nodes[i].inlet_c);
	header(out, "pod_node_coolant_outlet_celsius");
	for (i = 0; i < f->nnodes; i++)
		sample(out, "pod_node_coolant_outlet_celsius", "node",
		    f->nodes[i].name, NULL, NULL, f->nodes[i].outlet_c);
	header(out, "pod_node_leak");
	for (i = 0; i < f->nnodes; i++)
		if (f->nodes[i].leak >= 0)
			sample(out, "pod_node_leak", "node", f->nodes[i].name,
			    NULL, NULL, f->nodes[i].leak);
	for (p = 0; p < 4; p++) {
		header(out, accel_families[p]);
		for (i = 0; i < f->nnodes; i++) {
			const struct node *n = &f->nodes[i];

			for (k = 0; k < n->naccels; k++) {
				const struct accel *a = &n->accels[k];
				double v = p == 0   ? a->power_w
				           : p == 1 ? a->temp_c
				           : p == 2 ? a->clock_mhz * 1e6
				                    : a->util_pct / 100;

				snprintf(idx, sizeof(idx), "%d", k);
				sample(out, accel_families[p], "node", n->name,
				    "accelerator", idx, v);
			}
		}
	}
}
