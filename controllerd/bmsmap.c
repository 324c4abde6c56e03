/*
 * The BMS register map (see bmsmap.h): the points table, the encoding of
 * values into registers, and the points list of docs/modbus.md.
 *
 * Every point is one row, and a row holds all a reader needs: where the
 * point is, how its value is scaled, what a write may carry, and which
 * field of struct bms_values it shows. The server never places a register
 * by hand, so the map cannot drift from its documentation. Addresses not in
 * the table (reserved, 27-99, the last of each pod block) read 0.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bmsmap.h"

#define F(x) offsetof(struct bms_values, x)
#define P(x) offsetof(struct bms_pod_values, x)
#define RO   BMS_SET_NONE, 0, 0, 0 /* read-only: no setter, range, clear */

const struct bms_point bms_points[] = {
    /* coils: commands, read 0 */
    {BMS_COIL, 0, 0, "ack_alarms", BMS_BIT, 1, "", BMS_SET_ACK, 0, 1, 0, "0",
        "", F(zero), "write 1: acknowledge every open alarm (as \"bms PEER\")"},
    {BMS_COIL, 1, 0, "reset_watchdog", BMS_BIT, 1, "", BMS_SET_RESET, 0, 1, 0,
        "0", "", F(zero),
        "write 1: clear an expired watchdog and its alarm; it re-arms at the "
        "next heartbeat"},

    /* discrete inputs: alarm conditions */
    {BMS_DISCRETE_INPUT, 0, 0, "any_alarm", BMS_BIT, 1, "", RO, "", "",
        F(any_alarm), "an alarm is open or acknowledged (not cleared)"},
    {BMS_DISCRETE_INPUT, 1, 0, "leak", BMS_BIT, 1, "", RO, "", "", F(leak),
        "a `leak` alarm: a node's loop reports a leak"},
    {BMS_DISCRETE_INPUT, 2, 0, "supply_high", BMS_BIT, 1, "", RO, "", "",
        F(supply_high),
        "a `supply_high` alarm: a pod's coolant supply above `[alarms] "
        "max_supply_c`"},
    {BMS_DISCRETE_INPUT, 3, 0, "low_flow", BMS_BIT, 1, "", RO, "", "",
        F(low_flow), "a `lowflow` alarm: a node's coolant flow too low"},
    {BMS_DISCRETE_INPUT, 4, 0, "overtemp", BMS_BIT, 1, "", RO, "", "",
        F(overtemp),
        "an `overtemp` alarm: an accelerator above its critical "
        "temperature"},
    {BMS_DISCRETE_INPUT, 5, 0, "power_over_cap", BMS_BIT, 1, "", RO, "", "",
        F(power_over_cap),
        "a `power_over_cap` alarm: a pod over what it may draw"},
    {BMS_DISCRETE_INPUT, 6, 0, "heat_over_capacity", BMS_BIT, 1, "", RO, "", "",
        F(heat_over_capacity),
        "a `heat_over_capacity` alarm: a pod's heat over its CDU's capacity"},
    {BMS_DISCRETE_INPUT, 7, 0, "curtail_missed", BMS_BIT, 1, "", RO, "", "",
        F(curtail_missed),
        "the curtailment target not met within the ramp time (alarm "
        "`curtail_missed`)"},
    {BMS_DISCRETE_INPUT, 8, 0, "watchdog_expired", BMS_BIT, 1, "", RO, "", "",
        F(watchdog_expired),
        "no heartbeat within the watchdog time (alarm `bms_watchdog`); "
        "the next heartbeat clears it"},
    {BMS_DISCRETE_INPUT, 9, 0, "agents_lost", BMS_BIT, 1, "", RO, "", "",
        F(agents_lost),
        "a `node_down` alarm: a node's agent stopped "
        "reporting"},
    {BMS_DISCRETE_INPUT, 10, 0, "facility_cooling_exceeded", BMS_BIT, 1, "", RO,
        "", "", F(facility_cooling_exceeded),
        "heat to the liquid above the available facility cooling (holding "
        "7)"},

    /* input registers: fabric */
    {BMS_INPUT, 0, 0, "heartbeat", BMS_W16, 1, "", RO, "", "—", F(heartbeat),
        "+1 every second, wraps at 65535"},
    {BMS_INPUT, 1, 0, "map_version", BMS_U16, 1, "", RO, "", "—",
        F(map_version),
        "version of this map (1); grows when points are "
        "added"},
    {BMS_INPUT, 2, 0, "controller_state", BMS_U16, 1, "", RO, "", "—", F(state),
        "0 starting, 1 normal, 2 warning (alarm open or nodes not "
        "reporting), 3 critical alarm open, 4 fallback (BMS watchdog "
        "expired), 5 standby (another controller is active, or this one "
        "cannot confirm it still is: writes get exception 06)"},
    {BMS_INPUT, 3, 0, "alarm_word", BMS_W16, 1, "", RO, "", "—", F(alarm_word),
        "discrete inputs 0-10 as bits 0-10"},
    {BMS_INPUT, 4, 0, "stale_bitmap", BMS_W16, 1, "", RO, "", "—", F(stale),
        "bit 0 IT power unknown, 1 coolant temperatures unknown, "
        "2 flow and heat unknown, 3 some nodes not reporting, 4 curtailment "
        "achieved unknown, 5 facility supply not set, 6 facility cooling not "
        "set, 7 controller starting"},
    {BMS_INPUT, 5, 0, "it_power_kw", BMS_U16, 1, "kW", RO, "", "", F(power_kw),
        "IT power of the nodes that report"},
    {BMS_INPUT, 6, 0, "effective_cap_kw", BMS_U16, 1, "kW", RO, "", "",
        F(eff_cap_kw),
        "the facility limit in force: the cap or the curtailment target, "
        "whichever is lower; 0 none"},
    {BMS_INPUT, 7, 0, "headroom_kw", BMS_S16, 1, "kW", RO, "", "",
        F(headroom_kw),
        "the fabric's limit (facility limit and pod budgets) minus IT power"},
    {BMS_INPUT, 8, 0, "curtail_achieved_pct", BMS_U16, 10, "%", RO, "", "",
        F(curtail_achieved_pct),
        "share of the curtailment base shed now, 0-100.0; 0 without a "
        "curtailment"},
    {BMS_INPUT, 9, 0, "nodes_online", BMS_U16, 1, "", RO, "", "—", F(nodes_up),
        "nodes reporting"},
    {BMS_INPUT, 10, 0, "nodes_total", BMS_U16, 1, "", RO, "", "—",
        F(nodes_total), "nodes configured"},
    {BMS_INPUT, 11, 0, "accelerators_online", BMS_U16, 1, "", RO, "", "—",
        F(accels_up),
        "accelerators on reporting nodes (saturates; see "
        "16-17)"},
    {BMS_INPUT, 12, 0, "it_energy_kwh", BMS_U32, 1, "kWh", RO, "", "",
        F(energy_kwh), "IT energy since the database began"},
    {BMS_INPUT, 14, 0, "it_power_kw_32", BMS_U32, 1, "kW", RO, "", "",
        F(power_kw), "IT power, for fabrics above 65 MW"},
    {BMS_INPUT, 16, 0, "accelerators_online_32", BMS_U32, 1, "", RO, "", "—",
        F(accels_up), "accelerators on reporting nodes"},
    {BMS_INPUT, 18, 0, "pods", BMS_U16, 1, "", RO, "", "—", F(npods),
        "pod blocks that follow from input register 100"},
    {BMS_INPUT, 19, 0, "open_alarms", BMS_U16, 1, "", RO, "", "—",
        F(open_alarms), "alarms not cleared"},
    {BMS_INPUT, 20, 0, "worst_supply_c", BMS_S16, 10, "°C", RO, "", "",
        F(worst_supply_c), "warmest coolant supply of a reporting node"},
    {BMS_INPUT, 21, 0, "worst_return_c", BMS_S16, 10, "°C", RO, "", "",
        F(worst_return_c), "warmest coolant return of a reporting node"},
    {BMS_INPUT, 22, 0, "coolant_flow_lpm", BMS_U16, 1, "L/min", RO, "", "",
        F(flow_lpm), "total coolant flow"},
    {BMS_INPUT, 23, 0, "heat_to_liquid_kw", BMS_U16, 1, "kW", RO, "", "",
        F(heat_kw), "heat the coolant carries away"},
    {BMS_INPUT, 24, 0, "active_leaks", BMS_U16, 1, "", RO, "", "—", F(leaks),
        "nodes reporting a leak"},
    {BMS_INPUT, 25, 0, "cooling_headroom_kw", BMS_S16, 1, "kW", RO, "", "",
        F(cooling_headroom_kw),
        "CDU capacity minus heat, bounded by the available facility cooling "
        "(holding 7) minus heat"},
    {BMS_INPUT, 26, 0, "coolant_delta_t_k", BMS_S16, 10, "K", RO, "", "",
        F(delta_t_k), "flow-weighted return minus supply"},

    /* input registers: one block per pod, from BMS_POD_BASE */
    {BMS_INPUT, 0, 1, "pod_status", BMS_W16, 1, "", RO, "", "—", P(status),
        "stale bits 0-3 as in input register 4, for this pod"},
    {BMS_INPUT, 1, 1, "pod_nodes_online", BMS_U16, 1, "", RO, "", "—",
        P(nodes_up), "nodes reporting"},
    {BMS_INPUT, 2, 1, "pod_nodes_total", BMS_U16, 1, "", RO, "", "—",
        P(nodes_total), "nodes configured"},
    {BMS_INPUT, 3, 1, "pod_accelerators_online", BMS_U16, 1, "", RO, "", "—",
        P(accels_up), "accelerators on reporting nodes"},
    {BMS_INPUT, 4, 1, "pod_power_kw", BMS_U16, 1, "kW", RO, "", "", P(power_kw),
        "IT power"},
    {BMS_INPUT, 5, 1, "pod_allocated_kw", BMS_U16, 1, "kW", RO, "", "",
        P(allocated_kw), "what the pod may draw now"},
    {BMS_INPUT, 6, 1, "pod_budget_kw", BMS_U16, 1, "kW", RO, "", "—",
        P(budget_kw), "configured power budget"},
    {BMS_INPUT, 7, 1, "pod_headroom_kw", BMS_S16, 1, "kW", RO, "", "",
        P(headroom_kw), "allocated minus power"},
    {BMS_INPUT, 8, 1, "pod_heat_kw", BMS_U16, 1, "kW", RO, "", "", P(heat_kw),
        "heat to the liquid"},
    {BMS_INPUT, 9, 1, "pod_cooling_capacity_kw", BMS_U16, 1, "kW", RO, "", "—",
        P(cooling_kw), "what the CDU loop can carry"},
    {BMS_INPUT, 10, 1, "pod_cooling_headroom_kw", BMS_S16, 1, "kW", RO, "", "",
        P(cooling_headroom_kw), "capacity minus heat"},
    {BMS_INPUT, 11, 1, "pod_supply_c", BMS_S16, 10, "°C", RO, "", "",
        P(supply_c), "flow-weighted coolant supply"},
    {BMS_INPUT, 12, 1, "pod_return_c", BMS_S16, 10, "°C", RO, "", "",
        P(return_c), "flow-weighted coolant return"},
    {BMS_INPUT, 13, 1, "pod_worst_supply_c", BMS_S16, 10, "°C", RO, "", "",
        P(worst_supply_c), "warmest supply of a reporting node"},
    {BMS_INPUT, 14, 1, "pod_flow_lpm", BMS_U16, 1, "L/min", RO, "", "",
        P(flow_lpm), "coolant flow"},
    {BMS_INPUT, 15, 1, "pod_leaks", BMS_U16, 1, "", RO, "", "—", P(leaks),
        "nodes reporting a leak"},
    {BMS_INPUT, 16, 1, "pod_hottest_accelerator_c", BMS_S16, 10, "°C", RO, "",
        "", P(hottest_c), "hottest accelerator"},
    {BMS_INPUT, 18, 1, "pod_energy_kwh", BMS_U32, 1, "kWh", RO, "", "",
        P(energy_kwh), "IT energy since the database began"},

    /* holding registers 0-7: what the BMS sets */
    {BMS_HOLDING_REG, 0, 0, "facility_cap_kw", BMS_U16, 1, "kW", BMS_SET_CAP, 0,
        65000, 0, "0 (none)",
        "kept; lowered to `[modbus] safe_cap_kw` when set", F(cap_kw),
        "facility power cap, 0 none; applied as `podctl power cap`"},
    {BMS_HOLDING_REG, 1, 0, "curtailment_pct", BMS_U16, 1, "%", BMS_SET_CURTAIL,
        0, 100, 0, "0", "0 (curtailment removed)", F(curtail_pct),
        "shed this share of the draw when written: the fabric goes to "
        "(1 - X/100) of it within the ramp time"},
    {BMS_HOLDING_REG, 2, 0, "demand_response_mode", BMS_U16, 1, "",
        BMS_SET_DR_MODE, 0, 1, 0, "1", "kept", F(dr_mode),
        "1 the curtailment applies, 0 it is held back (register 1 kept)"},
    {BMS_HOLDING_REG, 3, 0, "ramp_time_s", BMS_U16, 1, "s", BMS_SET_RAMP, 5,
        3600, 0, "`[modbus] ramp_s` (30)", "kept", F(ramp_s),
        "time a curtailment may take before `curtail_missed`"},
    {BMS_HOLDING_REG, 4, 0, "bms_heartbeat", BMS_W16, 1, "", BMS_SET_HEARTBEAT,
        0, 65535, 0, "0", "—", F(bms_heartbeat),
        "write any value, more often than the watchdog time; not audited"},
    {BMS_HOLDING_REG, 5, 0, "watchdog_s", BMS_U16, 1, "s", BMS_SET_WATCHDOG, 0,
        3600, 0, "`[modbus] watchdog_s` (60)", "kept", F(watchdog_s),
        "heartbeat watchdog, 0 off; armed by the first heartbeat write"},
    {BMS_HOLDING_REG, 6, 0, "facility_supply_c", BMS_S16, 10, "°C",
        BMS_SET_SUPPLY, -10, 100, 1, "0x8000 (unknown)", "kept",
        F(facility_supply_c),
        "facility water supply temperature, informational; 0x8000 clears"},
    {BMS_HOLDING_REG, 7, 0, "facility_cooling_kw", BMS_U16, 1, "kW",
        BMS_SET_COOLING, 0, 65000, 1, "0xFFFF (unknown)", "kept",
        F(facility_cooling_kw),
        "cooling the facility can still provide; bounds job admission; "
        "0xFFFF clears"},

    /* holding registers 8-17: read-backs of what is in force */
    {BMS_HOLDING_REG, 8, 0, "effective_facility_cap_kw", BMS_U16, 1, "kW", RO,
        "", "", F(eff_cap_set_kw),
        "facility cap in force, whoever set it; 0 none"},
    {BMS_HOLDING_REG, 9, 0, "effective_curtailment_pct", BMS_U16, 1, "%", RO,
        "", "", F(eff_curtail_pct), "curtailment in force, whoever set it"},
    {BMS_HOLDING_REG, 10, 0, "effective_demand_response_mode", BMS_U16, 1, "",
        RO, "", "", F(eff_dr_mode), "mode in force"},
    {BMS_HOLDING_REG, 11, 0, "effective_ramp_time_s", BMS_U16, 1, "s", RO, "",
        "", F(eff_ramp_s), "ramp time in force"},
    {BMS_HOLDING_REG, 12, 0, "last_bms_heartbeat", BMS_W16, 1, "", RO, "", "—",
        F(eff_heartbeat), "the last heartbeat value received"},
    {BMS_HOLDING_REG, 13, 0, "effective_watchdog_s", BMS_U16, 1, "s", RO, "",
        "", F(eff_watchdog_s), "watchdog time in force"},
    {BMS_HOLDING_REG, 14, 0, "effective_facility_supply_c", BMS_S16, 10, "°C",
        RO, "", "", F(eff_supply_c), "facility supply the controller uses"},
    {BMS_HOLDING_REG, 15, 0, "effective_facility_cooling_kw", BMS_U16, 1, "kW",
        RO, "", "", F(eff_cooling_kw), "facility cooling the controller uses"},
    {BMS_HOLDING_REG, 16, 0, "watchdog_remaining_s", BMS_U16, 1, "s", RO, "",
        "0xFFFF (disarmed)", F(watchdog_left_s),
        "seconds until the watchdog expires"},
    {BMS_HOLDING_REG, 17, 0, "power_settings_source", BMS_U16, 1, "", RO, "",
        "", F(source),
        "who set the cap or curtailment last: 0 config, 1 REST, 2 BMS"},
};

const size_t bms_npoints = sizeof(bms_points) / sizeof(bms_points[0]);

/*
 * Register types. Columns: name in the documentation; lowest and highest
 * register value a number may take (values beyond saturate); the
 * unavailable marker; registers used.
 */
static const struct {
	const char *name;
	double lo, hi;
	uint32_t marker;
	int words;
} types[] = {
    [BMS_U16] = {"uint16", 0, 65534, 0xFFFF, 1},
    [BMS_S16] = {"int16", -32767, 32767, 0x8000, 1},
    [BMS_U32] = {"uint32", 0, 4294967294.0, 0xFFFFFFFF, 2},
    [BMS_W16] = {"word", 0, 65535, 0, 1},
    [BMS_BIT] = {"bit", 0, 1, 0, 1},
};

/* Table names, function codes and reference prefixes for the doc. */
static const struct {
	const char *title;
	const char *fc_read, *fc_write;
	int prefix;
} tables[] = {
    [BMS_COIL] = {"Coils", "01", "01, 05, 15", 0},
    [BMS_DISCRETE_INPUT] = {"Discrete inputs", "02", "", 1},
    [BMS_INPUT] = {"Input registers", "04", "", 3},
    [BMS_HOLDING_REG] = {"Holding registers", "03", "03, 06, 16", 4},
};

uint32_t
bms_encode(enum bms_type type, double scale, double v)
{
	double r;

	if (isnan(v))
		return types[type].marker;
	r = round(v * scale);
	if (r < types[type].lo)
		r = types[type].lo;
	if (r > types[type].hi)
		r = types[type].hi;
	if (type == BMS_S16)
		return (uint16_t)(int16_t)r;
	return (uint32_t)r;
}

double
bms_decode(enum bms_type type, double scale, uint16_t raw)
{
	if (type == BMS_BIT)
		return raw != 0;
	if (type == BMS_W16)
		return raw;
	if (raw == types[type].marker)
		return NAN;
	if (type == BMS_S16)
		return (int16_t)raw / scale;
	return raw / scale;
}

const struct bms_point *
bms_point_at(enum bms_table t, int addr, int npods, int *pod)
{
	size_t i;
	int per_pod = 0;

	*pod = -1;
	if (t == BMS_INPUT && addr >= BMS_POD_BASE) {
		if (addr >= BMS_POD_BASE + BMS_POD_STRIDE * npods)
			return NULL;
		*pod = (addr - BMS_POD_BASE) / BMS_POD_STRIDE;
		addr = (addr - BMS_POD_BASE) % BMS_POD_STRIDE;
		per_pod = 1;
	}
	for (i = 0; i < bms_npoints; i++) {
		const struct bms_point *p = &bms_points[i];

		if (p->table == t && p->per_pod == per_pod && addr >= p->addr &&
		    addr < p->addr + types[p->type].words)
			return p;
	}
	return NULL;
}

size_t
bms_limits(struct mbtcp_limit *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < bms_npoints && n < max; i++) {
		const struct bms_point *p = &bms_points[i];
		struct mbtcp_limit *l = &out[n];

		if (p->set == BMS_SET_NONE)
			continue;
		l->table = (enum mbtcp_table)p->table;
		l->addr = p->addr;
		l->n = types[p->type].words;
		l->is_signed = p->type == BMS_S16;
		l->lo = (int32_t)ceil(p->min * p->scale - 1e-9);
		l->hi = (int32_t)floor(p->max * p->scale + 1e-9);
		l->marker_ok = p->clears;
		l->marker = (uint16_t)types[p->type].marker;
		n++;
	}
	return n;
}

int
bms_table_size(enum bms_table t, int npods)
{
	static const int fixed[] = {
	    [BMS_COIL] = BMS_COILS,
	    [BMS_DISCRETE_INPUT] = BMS_DISCRETE,
	    [BMS_INPUT] = BMS_POD_BASE,
	    [BMS_HOLDING_REG] = BMS_HOLDING,
	};

	return fixed[t] + (t == BMS_INPUT ? BMS_POD_STRIDE * npods : 0);
}

static void
place(const struct bms_point *p, int addr, double v, uint8_t *coils,
    uint8_t *discrete, uint16_t *input, uint16_t *holding)
{
	uint32_t r = bms_encode(p->type, p->scale, v);
	uint16_t *regs = p->table == BMS_INPUT ? input : holding;

	if (p->table == BMS_COIL)
		coils[addr] = r != 0;
	else if (p->table == BMS_DISCRETE_INPUT)
		discrete[addr] = r != 0;
	else if (p->type == BMS_U32) {
		regs[addr] = (uint16_t)(r >> 16);
		regs[addr + 1] = (uint16_t)(r & 0xFFFF);
	} else
		regs[addr] = (uint16_t)r;
}

void
bms_fill(const struct bms_values *v, const struct bms_pod_values *pods,
    int npods, uint8_t *coils, uint8_t *discrete, uint16_t *input,
    uint16_t *holding)
{
	size_t i;
	int k;

	memset(input, 0, bms_table_size(BMS_INPUT, npods) * sizeof(*input));
	for (i = 0; i < bms_npoints; i++) {
		const struct bms_point *p = &bms_points[i];

		if (!p->per_pod) {
			place(p, p->addr,
			    *(const double *)((const char *)v + p->off), coils,
			    discrete, input, holding);
			continue;
		}
		for (k = 0; k < npods; k++)
			place(p, BMS_POD_BASE + BMS_POD_STRIDE * k + p->addr,
			    *(const double *)((const char *)&pods[k] + p->off),
			    coils, discrete, input, holding);
	}
}

/* One row of the points list. */
static void
doc_row(FILE *out, const struct bms_point *p)
{
	const char *fc = p->set != BMS_SET_NONE ? tables[p->table].fc_write
	                                        : tables[p->table].fc_read;
	char addr[64], ref[64], range[64], scale[16];
	const char *fallback = p->fallback;
	int pre = tables[p->table].prefix;

	if (p->per_pod) {
		snprintf(addr, sizeof(addr), "%d + 20·(p−1)",
		    BMS_POD_BASE + p->addr);
		snprintf(ref, sizeof(ref), "%d + 20·(p−1)",
		    pre * 10000 + BMS_POD_BASE + p->addr + 1);
	} else {
		snprintf(addr, sizeof(addr), "%d", p->addr);
		if (types[p->type].words == 2)
			snprintf(
			    addr, sizeof(addr), "%d–%d", p->addr, p->addr + 1);
		snprintf(ref, sizeof(ref), "%d%04d", pre, p->addr + 1);
	}
	if (p->set != BMS_SET_NONE)
		snprintf(range, sizeof(range), "%g–%g%s", p->min, p->max,
		    p->clears ? ", or the marker" : "");
	else
		snprintf(range, sizeof(range), "—");
	snprintf(scale, sizeof(scale), p->scale == 1 ? "1" : "×%g", p->scale);
	if (fallback[0] == '\0')
		fallback = p->type == BMS_U16   ? "0xFFFF"
		           : p->type == BMS_S16 ? "0x8000"
		           : p->type == BMS_U32 ? "0xFFFFFFFF"
		                                : "—";
	fprintf(out,
	    "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
	    "| %s |\n",
	    p->name, fc, addr, ref, types[p->type].name, scale,
	    p->unit[0] ? p->unit : "—", p->set != BMS_SET_NONE ? "R/W" : "R",
	    range, p->dflt[0] ? p->dflt : "—", fallback, p->desc);
}

void
bms_doc(FILE *out)
{
	static const enum bms_table order[] = {
	    BMS_INPUT, BMS_HOLDING_REG, BMS_DISCRETE_INPUT, BMS_COIL};
	size_t t, i;
	int pass;

	for (t = 0; t < sizeof(order) / sizeof(order[0]); t++)
		for (pass = 0; pass < 2; pass++) {
			if (pass == 1 && order[t] != BMS_INPUT)
				continue;
			fprintf(out, "%s### %s%s\n\n", t + pass > 0 ? "\n" : "",
			    tables[order[t]].title,
			    pass ? ": one block per pod (p = 1, 2, …)" : "");
			fprintf(out,
			    "| name | FC | address | reference | type | scale "
			    "| unit | R/W | range | default | unavailable / "
			    "fallback | meaning |\n"
			    "|---|---|---|---|---|---|---|---|---|---|---|---|"
			    "\n");
			for (i = 0; i < bms_npoints; i++)
				if (bms_points[i].table == order[t] &&
				    bms_points[i].per_pod == pass)
					doc_row(out, &bms_points[i]);
		}
}
