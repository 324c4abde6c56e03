/*
 * Prometheus metrics (see metrics.h). One table lists the families with
 * their help and type; the writers below emit the samples of each, in the
 * table's order, so every family has exactly one HELP and TYPE line before
 * its samples. Unknown values (NaN) are left out rather than written as NaN,
 * so a node that stopped reporting drops out of sums instead of poisoning
 * them. Units are Prometheus base units: watts, joules, degrees Celsius,
 * hertz, litres per minute.
 *
 * The per-accelerator families are written only when [controller]
 * metrics_accelerators = true: at a fabric's size (100,000 accelerators)
 * they are 400,000 series, and each agent serves its own.
 *
 * Node and accelerator series carry the node's pod and group, so that a
 * query can sum by pod or by leaf group without a join. A node's state is
 * one series per state, 1 for the state it is in and 0 for the others (as
 * kube-state-metrics does for a pod's phase), so that a change of state is
 * a change of value rather than a series that ends and one that begins.
 * Ended jobs are counters read from the database, never from memory,
 * which forgets old jobs: a counter must not go down, restarts included.
 *
 * The alert rules in packaging/prometheus/ judge what the controller
 * judges, so the inputs of its own alarms are here too: the limit a pod is
 * held to, the low-flow threshold, whether a node was drained (a drained
 * node that stops reporting is not "down" to an operator), when it last
 * reported, and the BMS watchdog's and the curtailment's verdicts.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "alarms.h"
#include "config.h"
#include "envelope.h"
#include "fleet.h"
#include "jobs.h"
#include "leader.h"
#include "metrics.h"
#include "selfstat.h"
#include "store.h"
#include "timeutil.h"

/* The families: name, type, help. */
static const struct family {
	const char *name;
	const char *type;
	const char *help;
} families[] = {
    {"pod_controller_up_seconds", "gauge",
        "Seconds since the controller started."},
    {"pod_controller_role", "gauge",
        "This controller's part among the controllers sharing its "
        "database: 1 for its role, 0 for the others (on SQLite always "
        "active)."},
    {"pod_controller_lead_epoch", "gauge",
        "The epoch this controller claimed when it last took the lead; 0 "
        "before it has led, and on SQLite."},
    {"pod_api_auth_refused_total", "counter",
        "REST requests refused for their token since the controller "
        "started: 401 (none, unknown, expired or revoked), 403 (a role "
        "too low)."},
    {"pod_node_auth_refused_total", "counter",
        "Agents' requests refused for a missing or wrong node credential "
        "since the controller started."},
    {"pod_ingest_reports_total", "counter",
        "Agents' reports taken (accepted) or refused (unknown node, bad "
        "body, credential, another agent holds the node)."},
    {"pod_ingest_samples_received_total", "counter",
        "New samples accepted: above the highest seq the controller held "
        "for the agent's boot id."},
    {"pod_ingest_samples_duplicate_total", "counter",
        "Samples at or below the acknowledged seq: retries of samples "
        "already held."},
    {"pod_ingest_samples_lost_total", "counter",
        "Samples that never arrived: gaps in a boot id's seq, or the "
        "growth of the agent's dropped_samples when larger."},
    {"pod_ingest_samples_stored_total", "counter",
        "Sample rows the writer committed to SQLite (one per node per "
        "store_interval_s)."},
    {"pod_ingest_samples_dropped_total", "counter",
        "Samples the controller threw away: its store queue was full."},
    {"pod_ingest_report_seconds", "histogram",
        "A report's handling time on the event loop."},
    {"pod_ingest_sample_delay_seconds", "histogram",
        "Receipt time minus the newest sample's time, per report."},
    {"pod_ingest_report_interval_seconds", "gauge",
        "The report interval the controller asks agents for now; 0 when "
        "it asks for none (back-pressure)."},
    {"pod_loop_lag_seconds", "histogram",
        "How late a 100 ms timer on the controller's event loop fires."},
    {"pod_loop_cpu_seconds_total", "counter",
        "CPU time used by the controller's event-loop thread (read once a "
        "second)."},
    {"pod_sched_pass_seconds", "histogram",
        "A scheduling pass's time, its store writes included."},
    {"pod_http_request_seconds", "histogram",
        "Time a request held the event loop: routing, authorization and "
        "the handler (a long poll's wait is not in it)."},
    {"pod_http_requests_total", "counter",
        "Requests answered, by method, route pattern and status code."},
    {"pod_modbus_requests_total", "counter",
        "BMS Modbus requests by function and result."},
    {"pod_store_queue_samples", "gauge",
        "Samples queued for the store's writer thread."},
    {"pod_store_batch_seconds", "histogram",
        "The writer thread's time for one batch."},
    {"pod_nodes", "gauge", "Nodes by pod and state."},
    {"pod_accelerators_up", "gauge", "Accelerators reporting, by pod."},
    {"pod_power_watts", "gauge", "IT power drawn by a pod's reporting nodes."},
    {"pod_power_budget_watts", "gauge", "A pod's configured power budget."},
    {"pod_power_allocated_watts", "gauge",
        "What a pod may draw now under the facility limits."},
    {"pod_power_limit_watts", "gauge",
        "The limit a pod is held to now: the lower of its budget and its "
        "allocation."},
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
    {"pod_curtailment_missed", "gauge",
        "1 when the fabric missed its curtailment target after the ramp "
        "time."},
    {"pod_bms_watchdog_expired", "gauge",
        "1 when the BMS stopped writing its heartbeat and the controller "
        "fell back to safe defaults."},
    {"pod_coolant_flow_min_litres_per_minute", "gauge",
        "The node coolant flow under which the lowflow alarm is raised."},
    {"pod_jobs", "gauge", "Jobs waiting or running, by state."},
    {"pod_jobs_ended_total", "counter",
        "Jobs that ended, by how they ended, as the database counts them."},
    {"pod_alarms_open", "gauge",
        "Alarms not cleared (open or acknowledged), by kind and severity."},
    {"pod_node_up", "gauge", "1 when the node's agent reports."},
    {"pod_node_state", "gauge",
        "1 for the state a node is in, 0 for the others."},
    {"pod_node_drained", "gauge",
        "1 when a drain of the node was asked for, whether or not it "
        "reports."},
    {"pod_node_last_seen_timestamp_seconds", "gauge",
        "Wall-clock time of the node's last report, seconds since the "
        "epoch."},
    {"pod_node_power_watts", "gauge", "A node's electrical power."},
    {"pod_node_coolant_inlet_celsius", "gauge", "Coolant entering a node."},
    {"pod_node_coolant_outlet_celsius", "gauge", "Coolant leaving a node."},
    {"pod_node_coolant_flow_litres_per_minute", "gauge",
        "Coolant flow through a node."},
    {"pod_node_leak", "gauge", "1 when a node's loop reports a leak."},
    {"pod_accelerator_power_watts", "gauge", "An accelerator's power."},
    {"pod_accelerator_temperature_celsius", "gauge",
        "An accelerator's hottest sensor."},
    {"pod_accelerator_clock_hertz", "gauge", "An accelerator's core clock."},
    {"pod_accelerator_utilization_ratio", "gauge",
        "An accelerator's busy share, 0 to 1."},
};

/* A node's labels: node="…",pod="…",group="…", each value escaped. */
#define NODE_LABELS_LEN (3 * 2 * NAME_MAX_LEN + 32)

/* The job states counted as gauges (the rest are ended, counted in
 * pod_jobs_ended_total). */
static const enum job_state active_states[] = {JOB_PENDING, JOB_RUNNING};

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

/* Appends v to buf (at *len, of size) escaped as a label value: \\, \"
 * and \n. Stops short rather than overrunning. */
static void
escape(char *buf, size_t size, size_t *len, const char *v)
{
	for (; *v != '\0' && *len + 3 < size; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n')
			buf[(*len)++] = '\\';
		buf[(*len)++] = *v == '\n' ? 'n' : *v;
	}
	buf[*len] = '\0';
}

/* Writes label pairs (names[i]="values[i]") into buf, comma-separated.
 * Returns buf. */
static const char *
labels(char *buf, size_t size, int n, const char *const *names,
    const char *const *values)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && len + 1 < size; i++) {
		len += snprintf(buf + len, size - len, "%s%s=\"",
		    i > 0 ? "," : "", names[i]);
		if (len >= size) {
			len = size - 1;
			break;
		}
		escape(buf, size, &len, values[i]);
		if (len + 1 < size) {
			buf[len++] = '"';
			buf[len] = '\0';
		}
	}
	return buf;
}

/* Writes node n's labels into buf (NODE_LABELS_LEN). Returns buf. */
static const char *
node_labels(char *buf, size_t size, const struct fleet *f, const struct node *n)
{
	static const char *const names[] = {"node", "pod", "group"};
	const char *values[] = {n->name, f->pods[n->pod].conf.name, n->group};

	return labels(buf, size, 3, names, values);
}

/* One sample with the labels text l (NULL or "": none); NaN writes
 * nothing. */
static void
sample_l(struct evbuffer *out, const char *name, const char *l, double value)
{
	if (isnan(value))
		return;
	if (l == NULL || l[0] == '\0')
		put(out, "%s %.10g\n", name, value);
	else
		put(out, "%s{%s} %.10g\n", name, l, value);
}

/* One sample with up to two labels; NaN writes nothing. */
static void
sample(struct evbuffer *out, const char *name, const char *l1, const char *v1,
    const char *l2, const char *v2, double value)
{
	const char *names[] = {l1, l2}, *values[] = {v1, v2};
	char buf[4 * NAME_MAX_LEN + 32];

	sample_l(out, name,
	    labels(buf, sizeof(buf),
	        l1 == NULL   ? 0
	        : l2 == NULL ? 1
	                     : 2,
	        names, values),
	    value);
}

/* A histogram's samples, after its header: cumulative buckets with the
 * labels l (NULL or "": none) and le, then _sum and _count. */
static void
histogram(struct evbuffer *out, const char *name, const char *l,
    const struct selfstat_hist *h)
{
	const char *comma = l != NULL && l[0] != '\0' ? "," : "";
	uint64_t cum = 0;
	int b;

	if (l == NULL)
		l = "";
	for (b = 0; b < h->nbounds; b++) {
		cum += h->bucket[b];
		put(out, "%s_bucket{%s%sle=\"%.10g\"} %llu\n", name, l, comma,
		    h->bounds[b], (unsigned long long)cum);
	}
	cum += h->bucket[h->nbounds];
	put(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, l, comma,
	    (unsigned long long)cum);
	put(out, "%s_sum%s%s%s %.10g\n", name, l[0] ? "{" : "", l,
	    l[0] ? "}" : "", h->sum);
	put(out, "%s_count%s%s%s %llu\n", name, l[0] ? "{" : "", l,
	    l[0] ? "}" : "", (unsigned long long)h->count);
}

/* A counter without labels. */
static void
counter(struct evbuffer *out, const char *name, uint64_t v)
{
	header(out, name);
	put(out, "%s %llu\n", name, (unsigned long long)v);
}

/* The controller's own work (selfstat.h). */
static void
write_self(const struct selfstat *s, struct evbuffer *out)
{
	static const char *const mb_names[] = {"function", "result"};
	static const char *const http_names[] = {"method", "route", "code"};
	char l[4 * SELFSTAT_ROUTE_LEN], fc[16], code[16];
	int i, k;

	header(out, "pod_ingest_reports_total");
	put(out, "pod_ingest_reports_total{result=\"accepted\"} %llu\n",
	    (unsigned long long)s->reports_accepted.total);
	put(out, "pod_ingest_reports_total{result=\"refused\"} %llu\n",
	    (unsigned long long)s->reports_refused.total);
	counter(out, "pod_ingest_samples_received_total",
	    s->samples_received.total);
	counter(out, "pod_ingest_samples_duplicate_total",
	    s->samples_duplicate.total);
	counter(out, "pod_ingest_samples_lost_total", s->samples_lost.total);
	counter(
	    out, "pod_ingest_samples_stored_total", s->samples_stored.total);
	counter(
	    out, "pod_ingest_samples_dropped_total", s->samples_dropped.total);
	header(out, "pod_ingest_report_seconds");
	histogram(out, "pod_ingest_report_seconds", NULL, &s->report_s.h);
	header(out, "pod_ingest_sample_delay_seconds");
	histogram(
	    out, "pod_ingest_sample_delay_seconds", NULL, &s->sample_delay_s.h);
	header(out, "pod_ingest_report_interval_seconds");
	put(out, "pod_ingest_report_interval_seconds %.10g\n",
	    s->ask_ms / 1000.0);
	header(out, "pod_loop_lag_seconds");
	histogram(out, "pod_loop_lag_seconds", NULL, &s->loop_lag_s.h);
	header(out, "pod_loop_cpu_seconds_total");
	put(out, "pod_loop_cpu_seconds_total %.6f\n", s->loop_cpu_s);
	header(out, "pod_sched_pass_seconds");
	histogram(out, "pod_sched_pass_seconds", NULL, &s->sched_pass_s.h);
	/* HTTP: the series that saw a request */
	header(out, "pod_http_request_seconds");
	for (i = 0; i < SELFSTAT_HTTP_KEYS; i++) {
		const struct selfstat_http *h = &s->http[i];
		const char *v[] = {h->method, h->route};

		if (h->method[0] == '\0' || h->seconds.count == 0)
			continue;
		histogram(out, "pod_http_request_seconds",
		    labels(l, sizeof(l), 2, http_names, v), &h->seconds);
	}
	header(out, "pod_http_requests_total");
	for (i = 0; i < SELFSTAT_HTTP_KEYS; i++) {
		const struct selfstat_http *h = &s->http[i];

		for (k = 0; h->method[0] != '\0' && k < SELFSTAT_HTTP_CODES;
		     k++) {
			const char *v[] = {h->method, h->route, code};

			if (h->codes[k].n == 0)
				continue;
			if (h->codes[k].code > 0)
				snprintf(
				    code, sizeof(code), "%d", h->codes[k].code);
			else
				snprintf(code, sizeof(code), "other");
			sample_l(out, "pod_http_requests_total",
			    labels(l, sizeof(l), 3, http_names, v),
			    (double)h->codes[k].n);
		}
	}
	header(out, "pod_modbus_requests_total");
	for (i = 0; i < 256; i++)
		for (k = 0; k < 2; k++) {
			const char *name = selfstat_modbus_name(i);
			const char *v[] = {name, k ? "exception" : "ok"};

			if (s->modbus[i][k] == 0)
				continue;
			if (name == NULL) { /* no name: its number */
				snprintf(fc, sizeof(fc), "%d", i);
				v[0] = fc;
			}
			sample_l(out, "pod_modbus_requests_total",
			    labels(l, sizeof(l), 2, mb_names, v),
			    (double)s->modbus[i][k]);
		}
	header(out, "pod_store_queue_samples");
	put(out, "pod_store_queue_samples %d\n", s->store_queue);
	header(out, "pod_store_batch_seconds");
	histogram(out, "pod_store_batch_seconds", NULL, &s->store_batch_s.h);
}

/* A per-node family: one sample per node, of get(n). */
static void
per_node(const struct fleet *f, struct evbuffer *out, const char *name,
    double (*get)(const struct node *))
{
	char l[NODE_LABELS_LEN];
	int i;

	header(out, name);
	for (i = 0; i < f->nnodes; i++)
		sample_l(out, name, node_labels(l, sizeof(l), f, &f->nodes[i]),
		    get(&f->nodes[i]));
}

static double
n_up(const struct node *n)
{
	return n->up;
}

static double
n_drained(const struct node *n)
{
	return n->drained != 0;
}

static double
n_last_seen(const struct node *n)
{
	return n->last_seen_ms > 0 ? n->last_seen_ms / 1000.0 : NAN;
}

static double
n_power(const struct node *n)
{
	return n->power_w;
}

static double
n_inlet(const struct node *n)
{
	return n->inlet_c;
}

static double
n_outlet(const struct node *n)
{
	return n->outlet_c;
}

static double
n_flow(const struct node *n)
{
	return n->flow_lpm;
}

static double
n_leak(const struct node *n)
{
	return n->leak >= 0 ? n->leak : NAN;
}

/* A per-pod family: the value of each pod's summary through get(). */
static void
per_pod(const struct metrics_view *v, struct evbuffer *out, const char *name,
    double (*get)(
        const struct metrics_view *, int, const struct fleet_summary *))
{
	struct fleet_summary s;
	int p;

	header(out, name);
	for (p = 0; p < v->fleet->npods; p++) {
		fleet_summarize(v->fleet, p, &s);
		sample(out, name, "pod", v->fleet->pods[p].conf.name, NULL,
		    NULL, get(v, p, &s));
	}
}

static double
g_accels(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->accels_up;
}

static double
g_power(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->power_w;
}

static double
g_budget(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->budget_w;
}

static double
g_alloc(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return v->env->pod_alloc_w[p] > 0 ? v->env->pod_alloc_w[p] : NAN;
}

/* As the power_over_cap alarm judges it (envelope_tick()). */
static double
g_limit(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	double alloc_w = v->env->pod_alloc_w[p];

	return fmin(alloc_w > 0 ? alloc_w : INFINITY, s->budget_w);
}

static double
g_heat(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->heat_w;
}

static double
g_capacity(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->cooling_capacity_w;
}

static double
g_supply(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->supply_c;
}

static double
g_return(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->return_c;
}

static double
g_flow(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return s->flow_lpm;
}

static double
g_energy(const struct metrics_view *v, int p, const struct fleet_summary *s)
{
	return v->env->pod_energy_j[p];
}

/* 1 when job state k is one of active_states. */
static int
active(int k)
{
	size_t i;

	for (i = 0; i < sizeof(active_states) / sizeof(active_states[0]); i++)
		if ((int)active_states[i] == k)
			return 1;
	return 0;
}

/* Jobs: waiting and running from memory, which holds every one of them;
 * ended ones from the database. */
static void
write_jobs(const struct metrics_view *v, struct evbuffer *out)
{
	int64_t stored[JOB_NSTATES];
	int i, k, count[JOB_NSTATES] = {0};

	for (i = 0; i < v->jobs->n; i++)
		count[v->jobs->v[i]->state]++;
	header(out, "pod_jobs");
	for (k = 0; k < (int)(sizeof(active_states) / sizeof(active_states[0]));
	     k++)
		sample(out, "pod_jobs", "state",
		    job_state_name(active_states[k]), NULL, NULL,
		    count[active_states[k]]);
	header(out, "pod_jobs_ended_total");
	/* a failed read leaves the counters out rather than at 0, which
	 * Prometheus would take for a reset */
	if (store_count_jobs(v->store, stored, JOB_NSTATES) == -1)
		return;
	for (k = 0; k < JOB_NSTATES; k++)
		if (!active(k))
			sample(out, "pod_jobs_ended_total", "state",
			    job_state_name(k), NULL, NULL, (double)stored[k]);
}

/* Alarms not cleared, by kind and severity: every kind, 0 when none. */
static void
write_alarms(const struct metrics_view *v, struct evbuffer *out)
{
	const struct alarms *a = &v->env->alarms;
	int i, k, count[ALARM_NKINDS] = {0};

	for (i = 0; i < a->n; i++)
		if (a->v[i]->state != ALARM_CLEARED)
			count[a->v[i]->kind]++;
	header(out, "pod_alarms_open");
	for (k = 0; k < ALARM_NKINDS; k++)
		sample(out, "pod_alarms_open", "kind", alarm_kind_name(k),
		    "severity", alarm_severity(k), count[k]);
}

/* Per node: a family's samples together. */
static void
write_nodes(const struct fleet *f, struct evbuffer *out)
{
	char l[NODE_LABELS_LEN];
	int i, k;

	per_node(f, out, "pod_node_up", n_up);
	header(out, "pod_node_state");
	for (i = 0; i < f->nnodes; i++) {
		const struct node *n = &f->nodes[i];
		enum node_state now = fleet_node_state(f, n);

		node_labels(l, sizeof(l), f, n);
		for (k = 0; k < NODE_NSTATES; k++)
			put(out, "pod_node_state{%s,state=\"%s\"} %d\n", l,
			    fleet_state_name(k), k == (int)now);
	}
	per_node(f, out, "pod_node_drained", n_drained);
	per_node(f, out, "pod_node_last_seen_timestamp_seconds", n_last_seen);
	per_node(f, out, "pod_node_power_watts", n_power);
	per_node(f, out, "pod_node_coolant_inlet_celsius", n_inlet);
	per_node(f, out, "pod_node_coolant_outlet_celsius", n_outlet);
	per_node(f, out, "pod_node_coolant_flow_litres_per_minute", n_flow);
	per_node(f, out, "pod_node_leak", n_leak);
}

/* Per accelerator, a family at a time. */
static void
write_accels(const struct fleet *f, struct evbuffer *out)
{
	char l[NODE_LABELS_LEN];
	int p, i, k;

	for (p = 0; p < 4; p++) {
		header(out, accel_families[p]);
		for (i = 0; i < f->nnodes; i++) {
			const struct node *n = &f->nodes[i];

			node_labels(l, sizeof(l), f, n);
			for (k = 0; k < n->naccels; k++) {
				const struct accel *a = &n->accels[k];
				double v = p == 0   ? a->power_w
				           : p == 1 ? a->temp_c
				           : p == 2 ? a->clock_mhz * 1e6
				                    : a->util_pct / 100;

				if (!isnan(v))
					put(out,
					    "%s{%s,accelerator=\"%d\"} "
					    "%.10g\n",
					    accel_families[p], l, k, v);
			}
		}
	}
}

void
metrics_write(const struct metrics_view *v, struct evbuffer *out)
{
	const struct fleet *f = v->fleet;
	struct fleet_summary s;
	int p, k;

	header(out, "pod_controller_up_seconds");
	sample(out, "pod_controller_up_seconds", NULL, NULL, NULL, NULL,
	    (time_mono_ms() - v->start_mono_ms) / 1000.0);
	if (v->lead != NULL) {
		int shown = leader_shown(v->lead, !*v->standby);

		header(out, "pod_controller_role");
		for (k = 0; k < LEADER_NROLES; k++)
			sample(out, "pod_controller_role", "role",
			    leader_role_name(k), NULL, NULL, k == shown);
		header(out, "pod_controller_lead_epoch");
		sample(out, "pod_controller_lead_epoch", NULL, NULL, NULL, NULL,
		    (double)v->lead->epoch);
	}
	header(out, "pod_api_auth_refused_total");
	sample(out, "pod_api_auth_refused_total", "code", "401", NULL, NULL,
	    v->api_refused != NULL ? (double)v->api_refused[0] : 0);
	sample(out, "pod_api_auth_refused_total", "code", "403", NULL, NULL,
	    v->api_refused != NULL ? (double)v->api_refused[1] : 0);
	header(out, "pod_node_auth_refused_total");
	sample(out, "pod_node_auth_refused_total", NULL, NULL, NULL, NULL,
	    v->node_auth_refused != NULL ? (double)*v->node_auth_refused : 0);
	if (v->self != NULL)
		write_self(v->self, out);
	if (v->env == NULL) /* a standby: no state loaded */
		return;
	header(out, "pod_nodes");
	for (p = 0; p < f->npods; p++) {
		fleet_summarize(f, p, &s);
		for (k = 0; k < NODE_NSTATES; k++)
			sample(out, "pod_nodes", "pod", f->pods[p].conf.name,
			    "state", fleet_state_name(k), s.by_state[k]);
	}
	per_pod(v, out, "pod_accelerators_up", g_accels);
	per_pod(v, out, "pod_power_watts", g_power);
	per_pod(v, out, "pod_power_budget_watts", g_budget);
	per_pod(v, out, "pod_power_allocated_watts", g_alloc);
	per_pod(v, out, "pod_power_limit_watts", g_limit);
	per_pod(v, out, "pod_heat_watts", g_heat);
	per_pod(v, out, "pod_cooling_capacity_watts", g_capacity);
	per_pod(v, out, "pod_coolant_supply_celsius", g_supply);
	per_pod(v, out, "pod_coolant_return_celsius", g_return);
	per_pod(v, out, "pod_coolant_flow_litres_per_minute", g_flow);
	per_pod(v, out, "pod_energy_joules_total", g_energy);
	header(out, "pod_facility_cap_watts");
	if (v->env->facility_cap_w > 0)
		sample(out, "pod_facility_cap_watts", NULL, NULL, NULL, NULL,
		    v->env->facility_cap_w);
	header(out, "pod_curtailment_ratio");
	sample(out, "pod_curtailment_ratio", NULL, NULL, NULL, NULL,
	    v->env->curtail_pct / 100);
	header(out, "pod_curtailment_missed");
	sample(out, "pod_curtailment_missed", NULL, NULL, NULL, NULL,
	    v->env->curtail_missed != 0);
	header(out, "pod_bms_watchdog_expired");
	sample(out, "pod_bms_watchdog_expired", NULL, NULL, NULL, NULL,
	    v->env->bms_expired != 0);
	header(out, "pod_coolant_flow_min_litres_per_minute");
	if (v->conf != NULL && *v->conf != NULL)
		sample(out, "pod_coolant_flow_min_litres_per_minute", NULL,
		    NULL, NULL, NULL, (*v->conf)->min_flow_lpm);
	write_jobs(v, out);
	write_alarms(v, out);
	write_nodes(f, out);
	/* at 12,800 nodes x 8 these are 409,600 series, built here at every
	 * scrape; the agents serve them, so the controller's are asked for */
	if (v->conf != NULL && *v->conf != NULL &&
	    (*v->conf)->metrics_accelerators)
		write_accels(f, out);
}
