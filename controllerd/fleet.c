/*
 * The fleet in memory (see fleet.h). Nodes live in one array sorted by name,
 * pod after pod, so a pod is a contiguous slice and a lookup is a binary
 * search. Accelerator arrays are allocated per node to the size the agent
 * reports, since real nodes may differ from the configured count.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fence.h"
#include "fleet.h"
#include <pod/wire.h>

#define PUMP_STOPPED_PCT 1.0 /* a pump reading under this has stopped, % */

static const char *const state_names[NODE_NSTATES] = {
    [NODE_IDLE] = "idle",
    [NODE_MIXED] = "mixed",
    [NODE_ALLOCATED] = "allocated",
    [NODE_DOWN] = "down",
    [NODE_DRAINING] = "draining",
    [NODE_DRAINED] = "drained",
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(
	    ((const struct node *)a)->name, ((const struct node *)b)->name);
}

static void
clear_telemetry(struct node *n)
{
	n->power_w = n->inlet_c = n->outlet_c = NAN;
	n->flow_lpm = n->pressure_kpa = NAN;
	n->cdu_capacity_w = n->pump_pct = NAN;
	n->leak = -1;
}

struct fleet *
fleet_new(const struct config *c)
{
	struct fleet *f;
	int p, i, total = 0, k = 0, g0 = 0;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->coolant_density_kg_l = c->coolant_density_kg_l;
	f->coolant_cp_j_kgk = c->coolant_cp_j_kgk;
	f->hot_margin_c = c->overtemp_margin_c;
	for (p = 0; p < c->npods; p++)
		total += c->pods[p].nodes;
	if ((f->pods = calloc(c->npods, sizeof(*f->pods))) == NULL ||
	    (f->nodes = calloc(total, sizeof(*f->nodes))) == NULL ||
	    (f->recent = calloc(c->npods + 1, sizeof(*f->recent))) == NULL)
		goto fail;
	f->npods = c->npods;
	f->nnodes = total;
	for (p = 0; p < c->npods; p++) {
		struct pod *pod = &f->pods[p];
		const struct pod_config *pc = &c->pods[p];
		int gw = pc->groups >= 100 ? 3 : 2;

		pod->conf = *pc;
		pod->first = k;
		pod->nnodes = pc->nodes;
		for (i = 0; i < pc->nodes; i++, k++) {
			struct node *n = &f->nodes[k];
			int g = i * pc->groups / pc->nodes + 1;

			names_node(n->name, sizeof(n->name), pc->name, i + 1,
			    pc->nodes);
			snprintf(n->group, sizeof(n->group), "%.40s-g%0*d",
			    pc->name, gw, g);
			n->pod = p;
			n->gindex = g0 + g - 1;
			clear_telemetry(n);
		}
		g0 += pc->groups;
	}
	f->ngroups = g0;
	/* Names are generated in order; sorting guards the lookup anyway. */
	qsort(f->nodes, f->nnodes, sizeof(*f->nodes), by_name);
	return f;
fail:
	fleet_free(f);
	return NULL;
}

void
fleet_configure(struct fleet *f, const struct config *c)
{
	int p;

	fleet_summary_stale(f);
	for (p = 0; p < f->npods && p < c->npods; p++)
		f->pods[p].conf = c->pods[p];
	f->coolant_density_kg_l = c->coolant_density_kg_l;
	f->coolant_cp_j_kgk = c->coolant_cp_j_kgk;
	f->hot_margin_c = c->overtemp_margin_c;
}

void
fleet_free(struct fleet *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nnodes; i++)
		free(f->nodes[i].accels);
	free(f->nodes);
	free(f->pods);
	free(f->recent);
	free(f);
}

struct node *
fleet_node(struct fleet *f, const char *name)
{
	struct node key;

	if (strlen(name) >= sizeof(key.name))
		return NULL;
	snprintf(key.name, sizeof(key.name), "%s", name);
	return bsearch(&key, f->nodes, f->nnodes, sizeof(*f->nodes), by_name);
}

int
fleet_pod_index(const struct fleet *f, const char *name)
{
	int p;

	for (p = 0; p < f->npods; p++)
		if (strcmp(f->pods[p].conf.name, name) == 0)
			return p;
	return -1;
}

int
fleet_node_accels(const struct fleet *f, const struct node *n)
{
	return n->naccels > 0 ? n->naccels
	                      : f->pods[n->pod].conf.accels_per_node;
}

enum node_state
fleet_node_state(const struct fleet *f, const struct node *n)
{
	int k = fleet_node_accels(f, n);
	uint64_t all = k >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << k) - 1;

	if (!n->up)
		return NODE_DOWN;
	if (n->drained)
		return n->running_jobs > 0 ? NODE_DRAINING : NODE_DRAINED;
	if (n->running_jobs == 0)
		return NODE_IDLE;
	return (n->alloc_mask & all) == all ? NODE_ALLOCATED : NODE_MIXED;
}

const char *
fleet_state_name(enum node_state s)
{
	return (s >= 0 && s < NODE_NSTATES) ? state_names[s] : "unknown";
}

int
fleet_state_parse(const char *name)
{
	int s;

	for (s = 0; s < NODE_NSTATES; s++)
		if (strcmp(state_names[s], name) == 0)
			return s;
	return -1;
}

const char *
fleet_node_reason(const struct node *n)
{
	if (n->drained)
		return n->reason;
	if (!n->up)
		return "Not responding";
	return NULL;
}

double
fleet_node_heat_w(const struct fleet *f, const struct node *n)
{
	double kg_s = n->flow_lpm / 60.0 * f->coolant_density_kg_l;

	return kg_s * f->coolant_cp_j_kgk * (n->outlet_c - n->inlet_c);
}

double
fleet_node_hottest_c(const struct node *n)
{
	double t = NAN;
	int i;

	for (i = 0; i < n->naccels; i++)
		if (!isnan(n->accels[i].temp_c) &&
		    (isnan(t) || n->accels[i].temp_c > t))
			t = n->accels[i].temp_c;
	return t;
}

/* Resizes the accelerator array to `count`, keeping what fits. */
static int
resize_accels(struct node *n, int count)
{
	struct accel *a;
	int i;

	if (count == n->naccels)
		return 0;
	if ((a = calloc(count > 0 ? count : 1, sizeof(*a))) == NULL)
		return -1;
	for (i = 0; i < count; i++) {
		if (i < n->naccels) {
			a[i] = n->accels[i];
			continue;
		}
		a[i].index = i;
		a[i].clock_min_mhz = a[i].clock_max_mhz = NAN;
		a[i].power_max_w = a[i].tdp_w = a[i].temp_crit_c = NAN;
		a[i].mem_total_mib = NAN;
		a[i].power_w = a[i].energy_j = a[i].temp_c = NAN;
		a[i].clock_mhz = a[i].util_pct = a[i].mem_used_mib = NAN;
	}
	free(n->accels);
	n->accels = a;
	n->naccels = count;
	n->inventory_dirty = 1;
	return 0;
}

static void
apply_inventory(struct node *n, const struct report *r)
{
	int i;

	if (resize_accels(n, r->ninventory) == -1)
		return;
	for (i = 0; i < r->ninventory; i++) {
		const struct report_device *d = &r->inventory[i];
		struct accel *a = &n->accels[i];

		if (strcmp(a->model, d->model) != 0 ||
		    !(a->clock_max_mhz == d->clock_max_mhz) ||
		    !(a->tdp_w == d->tdp_w) ||
		    !(a->mem_total_mib == d->mem_total_mib))
			n->inventory_dirty = 1;
		snprintf(a->model, sizeof(a->model), "%s", d->model);
		a->clock_min_mhz = d->clock_min_mhz;
		a->clock_max_mhz = d->clock_max_mhz;
		a->power_max_w = d->power_max_w;
		a->tdp_w = d->tdp_w;
		a->temp_crit_c = d->temp_crit_c;
		a->mem_total_mib = d->mem_total_mib;
	}
}

static void
apply_sample(struct node *n, const struct report_sample *s)
{
	int i;

	if (n->naccels < s->naccels)
		(void)resize_accels(n, s->naccels);
	/* Energy: accelerator counters' increase, node power × time. */
	if (n->sample_t_ms > 0 && !isnan(n->power_w) && !isnan(s->power_w) &&
	    s->t_ms > n->sample_t_ms && s->t_ms - n->sample_t_ms <= 10000) {
		double e = (n->power_w + s->power_w) / 2 *
		           (s->t_ms - n->sample_t_ms) / 1000.0;

		n->energy_j += e;
		n->energy_delta_j += e;
	}
	for (i = 0; i < s->naccels && i < n->naccels; i++) {
		const struct report_accel *ra = &s->accels[i];
		struct accel *a = &n->accels[i];

		if (!isnan(a->energy_j) && !isnan(ra->energy_j) &&
		    ra->energy_j >= a->energy_j)
			a->energy_delta_j += ra->energy_j - a->energy_j;

		a->power_w = ra->power_w;
		a->energy_j = ra->energy_j;
		a->temp_c = ra->temp_c;
		a->clock_mhz = ra->clock_mhz;
		a->util_pct = ra->util_pct;
		a->mem_used_mib = ra->mem_used_mib;
	}
	n->power_w = s->power_w;
	n->inlet_c = s->supply_c;
	n->outlet_c = s->return_c;
	n->flow_lpm = s->flow_lpm;
	n->pressure_kpa = s->pressure_kpa;
	n->cdu_capacity_w = s->capacity_w;
	n->pump_pct = s->pump_pct;
	n->leak = s->leak;
	n->sample_t_ms = s->t_ms;
}

/* The node's health conditions from its guard's word (a report without a
 * power member keeps what the last one said) and its latest leak reading,
 * so an agent that sends no guard state still gates work on a leak. */
static void
apply_health(struct node *n, const struct report *r, int64_t mono_ms)
{
	unsigned conds = n->health.conds & ~HEALTH_BIT(HEALTH_LEAK);

	if (r->has_power) {
		conds = 0;
		if (r->power.guard_leak)
			conds |= HEALTH_BIT(HEALTH_LEAK);
		if (r->power.guard_lowflow)
			conds |= HEALTH_BIT(HEALTH_LOWFLOW);
		if (r->power.guard_overtemp != 0)
			conds |= HEALTH_BIT(HEALTH_OVERTEMP);
	}
	if (n->leak == 1)
		conds |= HEALTH_BIT(HEALTH_LEAK);
	health_update(&n->health, conds, mono_ms);
}

int
fleet_apply_report(struct fleet *f, struct node *n, const struct report *r,
    int64_t now_ms, int64_t mono_ms,
    void (*on_sample)(struct node *n, const struct report_sample *s, void *arg),
    void *arg)
{
	int came_up = !n->up;
	int i;

	n->energy_delta_j = 0;
	for (i = 0; i < n->naccels; i++)
		n->accels[i].energy_delta_j = 0;
	if (strcmp(n->boot_id, r->boot_id) != 0) {
		snprintf(n->boot_id, sizeof(n->boot_id), "%s", r->boot_id);
		holder_took(&n->intruder, r->boot_id);
		n->ack_seq = 0;
		n->seen_dirty = 1;
		/* counters restart with the agent */
		for (i = 0; i < n->naccels; i++)
			n->accels[i].energy_j = NAN;
		n->sample_t_ms = 0;
	}
	if (r->has_power)
		n->limiting = r->power.limiting;
	if (strcmp(n->agent_version, r->agent_version) != 0) {
		snprintf(n->agent_version, sizeof(n->agent_version), "%s",
		    r->agent_version);
		n->seen_dirty = 1;
	}
	if (r->ninventory >= 0) {
		apply_inventory(n, r);
		snprintf(n->inventory_boot, sizeof(n->inventory_boot), "%s",
		    r->boot_id);
	}
	for (i = 0; i < r->nsamples; i++) {
		if (r->samples[i].seq <= n->ack_seq)
			continue;
		apply_sample(n, &r->samples[i]);
		n->ack_seq = r->samples[i].seq;
		if (on_sample != NULL)
			on_sample(n, &r->samples[i], arg);
	}
	apply_health(n, r, mono_ms);
	if (!n->up)
		fleet_summary_stale(f);
	n->up = 1;
	n->last_seen_ms = now_ms;
	n->last_seen_mono_ms = mono_ms;
	n->last_seen_watch_ms = mono_ms - f->lag_total_ms;
	n->seen_dirty = 1;
	return came_up;
}

int
fleet_wants_inventory(const struct node *n)
{
	return n->inventory_boot[0] == '\0' ||
	       strcmp(n->inventory_boot, n->boot_id) != 0;
}

enum holder_verdict
fleet_judge_boot(const struct fleet *f, const struct node *n, const char *boot,
    int64_t mono_ms, int64_t timeout_ms)
{
	int64_t silent = n->last_seen_mono_ms == 0
	                     ? -1
	                     : fleet_node_silent_ms(f, n, mono_ms);

	return holder_judge(n->boot_id, silent, timeout_ms, boot);
}

int64_t
fleet_node_silent_ms(
    const struct fleet *f, const struct node *n, int64_t mono_ms)
{
	int64_t watch = mono_ms - f->lag_total_ms;

	if (n->last_seen_mono_ms == 0)
		return watch - f->start_watch_ms;
	return watch - n->last_seen_watch_ms;
}

int
fleet_check_liveness(struct fleet *f, int64_t mono_ms, int64_t timeout_ms,
    void (*cb)(struct node *n, void *arg), void *arg)
{
	int i, count = 0;

	f->lag_ms = 0;
	if (f->tick_mono_ms != 0) {
		(void)fence_credit_ms(
		    mono_ms - f->tick_mono_ms, FLEET_TICK_MS, &f->lag_ms);
		f->lag_total_ms += f->lag_ms;
	} else {
		f->start_watch_ms = mono_ms;
	}
	f->tick_mono_ms = mono_ms;
	for (i = 0; i < f->nnodes; i++) {
		struct node *n = &f->nodes[i];

		if (!n->up || fleet_node_silent_ms(f, n, mono_ms) <= timeout_ms)
			continue;
		n->up = 0;
		fleet_summary_stale(f);
		clear_telemetry(n);
		for (int k = 0; k < n->naccels; k++) {
			struct accel *a = &n->accels[k];

			a->power_w = a->temp_c = a->clock_mhz = NAN;
			a->util_pct = a->mem_used_mib = NAN;
		}
		count++;
		if (cb != NULL)
			cb(n, arg);
	}
	return count;
}

double
fleet_pod_capacity_w(const struct fleet *f, int pod)
{
	const struct pod *p = &f->pods[pod];
	double cap = p->conf.cooling_capacity_w;
	int i;

	for (i = p->first; i < p->first + p->nnodes; i++) {
		const struct node *n = &f->nodes[i];

		if (!n->up)
			continue;
		/* A stopped pump removes no heat, whatever was configured. */
		if (!isnan(n->pump_pct) && n->pump_pct < PUMP_STOPPED_PCT)
			return 0;
		if (!isnan(n->cdu_capacity_w) && n->cdu_capacity_w < cap)
			cap = n->cdu_capacity_w;
	}
	return cap;
}

void
fleet_summarize(const struct fleet *f, int pod, struct fleet_summary *s)
{
	double flow_supply = 0, flow_return = 0, flow_heat = 0;
	int first = 0, last = f->nnodes, i, p, hot;

	memset(s, 0, sizeof(*s));
	s->power_w = s->heat_w = s->flow_lpm = 0;
	s->hottest_c = NAN;
	s->hottest_node = -1;
	if (pod >= 0) {
		first = f->pods[pod].first;
		last = first + f->pods[pod].nnodes;
		s->budget_w = f->pods[pod].conf.power_budget_w;
		s->cooling_capacity_w = f->pods[pod].conf.cooling_capacity_w;
	} else {
		for (p = 0; p < f->npods; p++) {
			s->budget_w += f->pods[p].conf.power_budget_w;
			s->cooling_capacity_w +=
			    f->pods[p].conf.cooling_capacity_w;
		}
	}
	for (i = first; i < last; i++) {
		const struct node *n = &f->nodes[i];
		int k, expect = f->pods[n->pod].conf.accels_per_node;

		s->nodes_total++;
		s->by_state[fleet_node_state(f, n)]++;
		s->accels_total += n->naccels > 0 ? n->naccels : expect;
		if (!n->up)
			continue;
		s->nodes_up++;
		if (!isnan(n->power_w))
			s->power_w += n->power_w;
		if (n->leak == 1)
			s->leaks++;
		if (!isnan(n->flow_lpm) && !isnan(n->inlet_c) &&
		    !isnan(n->outlet_c)) {
			s->flow_lpm += n->flow_lpm;
			flow_supply += n->flow_lpm * n->inlet_c;
			flow_return += n->flow_lpm * n->outlet_c;
			flow_heat += fleet_node_heat_w(f, n);
		}
		hot = 0;
		for (k = 0; k < n->naccels; k++) {
			const struct accel *a = &n->accels[k];

			if (isnan(a->temp_c))
				continue;
			s->accels_up++;
			hot |= a->temp_c >= (isnan(a->temp_crit_c)
			                            ? FLEET_TEMP_CRIT_C
			                            : a->temp_crit_c) -
			                        f->hot_margin_c;
			if (isnan(s->hottest_c) || a->temp_c > s->hottest_c) {
				s->hottest_c = a->temp_c;
				s->hottest_node = i;
				s->hottest_index = k;
			}
		}
		s->nodes_hot += hot;
	}
	s->heat_w = flow_heat;
	/* A CDU plugin reads the pod loop's capacity: the lower one counts. */
	if (pod >= 0) {
		s->cooling_capacity_w = fleet_pod_capacity_w(f, pod);
	} else {
		s->cooling_capacity_w = 0;
		for (p = 0; p < f->npods; p++)
			s->cooling_capacity_w += fleet_pod_capacity_w(f, p);
	}
	if (s->flow_lpm > 0) {
		s->supply_c = flow_supply / s->flow_lpm;
		s->return_c = flow_return / s->flow_lpm;
	} else {
		s->supply_c = s->return_c = NAN;
	}
	if (s->nodes_up == 0)
		s->power_w = s->heat_w = s->flow_lpm = NAN;
}

const struct fleet_summary *
fleet_summary_recent(struct fleet *f, int pod, int64_t now_mono_ms)
{
	int p;

	if (f->recent_mono_ms == 0 ||
	    now_mono_ms - f->recent_mono_ms > FLEET_SUMMARY_MAX_AGE_MS ||
	    now_mono_ms < f->recent_mono_ms) {
		for (p = 0; p < f->npods; p++)
			fleet_summarize(f, p, &f->recent[p]);
		fleet_summarize(f, -1, &f->recent[f->npods]);
		f->recent_mono_ms = now_mono_ms > 0 ? now_mono_ms : 1;
	}
	return &f->recent[pod >= 0 ? pod : f->npods];
}

void
fleet_summary_stale(struct fleet *f)
{
	f->recent_mono_ms = 0;
}
