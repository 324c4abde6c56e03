/*
 * The Modbus register map the controller serves to the building management
 * system: one static table of points (bmsmap.c), the values they show, and
 * the pure conversions between engineering units and 16-bit registers.
 * The server (bms.c) fills a struct bms_values and lets the table place it
 * in the registers; docs/modbus.md's points list is printed from the same
 * table (bmsmap_doc) and a unit test keeps the two equal.
 *
 * The map is a public contract: it changes only by adding points.
 */
#ifndef CTL_BMSMAP_H
#define CTL_BMSMAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mbtcp.h"

#define BMS_MAP_VERSION 1   /* input register 1 */
#define BMS_POD_BASE    100 /* input register of pod01's block */
#define BMS_POD_STRIDE  20  /* registers per pod block */
#define BMS_HOLDING     18  /* holding registers 0-17 */
#define BMS_WRITABLE    8   /* holding registers 0-7 may be written */
#define BMS_DISCRETE    11  /* discrete inputs 0-10 */
#define BMS_COILS       2   /* coils 0-1 */

/* The four Modbus tables, in the order of their reference prefixes: the
 * protocol's (core/mbtcp.h). */
enum bms_table {
	BMS_COIL = MBTCP_COIL,
	BMS_DISCRETE_INPUT = MBTCP_DISCRETE_INPUT,
	BMS_INPUT = MBTCP_INPUT,
	BMS_HOLDING_REG = MBTCP_HOLDING
};

/* Writable points: holding registers 0-7 and the coils. */
#define BMS_NLIMITS (BMS_WRITABLE + BMS_COILS)

/*
 * Register types. u16 and s16 are scaled integers with an "unavailable"
 * marker (0xFFFF, 0x8000) and saturate one short of it; u32 is two
 * registers, most significant word first, marker 0xFFFFFFFF; w16 is a bit
 * word or a wrapping counter, without marker; bit is a coil or input.
 */
enum bms_type { BMS_U16, BMS_S16, BMS_U32, BMS_W16, BMS_BIT };

/* What a write does (bms.c holds one function per value). */
enum bms_setter {
	BMS_SET_NONE, /* read-only */
	BMS_SET_CAP,
	BMS_SET_CURTAIL,
	BMS_SET_DR_MODE,
	BMS_SET_RAMP,
	BMS_SET_HEARTBEAT,
	BMS_SET_WATCHDOG,
	BMS_SET_SUPPLY,
	BMS_SET_COOLING,
	BMS_SET_ACK,
	BMS_SET_RESET,
	BMS_NSETTERS
};

/* Bits of the stale bitmap (input register 4; the first four also in
 * each pod block's status word). */
#define BMS_STALE_POWER    0x01 /* no node reports power */
#define BMS_STALE_TEMP     0x02 /* no coolant temperature reported */
#define BMS_STALE_FLOW     0x04 /* no flow, so no heat either */
#define BMS_STALE_PARTIAL  0x08 /* some nodes are not reporting */
#define BMS_STALE_CURTAIL  0x10 /* curtailment on, achieved unknown */
#define BMS_STALE_SUPPLY   0x20 /* BMS has not set facility supply */
#define BMS_STALE_COOLING  0x40 /* BMS has not set facility cooling */
#define BMS_STALE_STARTING 0x80 /* controller starting: nodes unsettled */

/* Controller state (input register 2). */
enum bms_state {
	BMS_STATE_STARTING,
	BMS_STATE_NORMAL,
	BMS_STATE_WARNING,  /* an alarm open, or nodes not reporting */
	BMS_STATE_CRITICAL, /* a critical alarm open */
	BMS_STATE_FALLBACK, /* BMS watchdog expired, safe defaults */
	BMS_STATE_STANDBY   /* not the acting controller: writes refused */
};

/* Everything fabric-wide the map shows, in engineering units; NaN where
 * unknown. Points name their field by offset. */
struct bms_values {
	/* input registers */
	double heartbeat; /* +1 a second, wraps */
	double map_version;
	double state;                /* enum bms_state */
	double alarm_word;           /* discrete inputs 0-15 as bits */
	double stale;                /* BMS_STALE_* */
	double power_kw;             /* IT power, kW */
	double eff_cap_kw;           /* facility limit in force, kW; 0 none */
	double headroom_kw;          /* fabric limit − draw, kW */
	double curtail_achieved_pct; /* % of the curtailment base shed */
	double nodes_up, nodes_total;
	double accels_up;
	double energy_kwh; /* IT energy, kWh */
	double npods;
	double open_alarms;                    /* alarms not cleared */
	double worst_supply_c, worst_return_c; /* warmest node, °C */
	double flow_lpm;                       /* L/min */
	double heat_kw;                        /* to the liquid, kW */
	double leaks;                          /* nodes reporting a leak */
	double cooling_headroom_kw;            /* capacity − heat, kW */
	double delta_t_k; /* flow-weighted return − supply, K */
	/* holding registers: what the BMS wrote (request) */
	double cap_kw, curtail_pct, dr_mode, ramp_s, bms_heartbeat;
	double watchdog_s, facility_supply_c, facility_cooling_kw;
	/* holding registers: read-backs of what is in force */
	double eff_cap_set_kw, eff_curtail_pct, eff_dr_mode, eff_ramp_s;
	double eff_heartbeat, eff_watchdog_s, eff_supply_c, eff_cooling_kw;
	double watchdog_left_s; /* until expiry; NaN disarmed */
	double source;          /* 0 config, 1 REST, 2 BMS */
	/* discrete inputs */
	double any_alarm, leak, supply_high, low_flow, overtemp;
	double power_over_cap, heat_over_capacity, curtail_missed;
	double watchdog_expired, agents_lost, facility_cooling_exceeded;
	/* coils read 0: they are commands */
	double zero;
};

/* One pod's block. */
struct bms_pod_values {
	double status; /* BMS_STALE_POWER … BMS_STALE_PARTIAL */
	double nodes_up, nodes_total, accels_up;
	double power_kw, allocated_kw, budget_kw, headroom_kw;
	double heat_kw, cooling_kw, cooling_headroom_kw;
	double supply_c, return_c, worst_supply_c, flow_lpm, leaks;
	double hottest_c, energy_kwh;
};

/*
 * A point. Columns: table; 0-based address (an offset in the block for a
 * pod point); whether it repeats in every pod block; name; type; scale
 * (register = value × scale); unit; how a write applies (BMS_SET_NONE:
 * read-only); the writable range in engineering units; whether writing
 * the unavailable marker clears the value; default; what it shows when
 * unavailable or after the watchdog expires; which field of bms_values
 * (or bms_pod_values) it shows; description.
 */
struct bms_point {
	enum bms_table table;
	int addr;
	int per_pod;
	const char *name;
	enum bms_type type;
	double scale;
	const char *unit;
	enum bms_setter set;
	double min, max;
	int clears;
	const char *dflt;
	const char *fallback;
	size_t off;
	const char *desc;
};

/* The table, npoints long. Borrowed, static. */
extern const struct bms_point bms_points[];
extern const size_t bms_npoints;

/* The register (two for u32, in the low 32 bits) showing value v. */
uint32_t bms_encode(enum bms_type type, double scale, double v);
/* The engineering value of a written register; NaN for the marker. */
double bms_decode(enum bms_type type, double scale, uint16_t raw);
/* The point at 0-based address addr of table t (a pod block's point for
 * addresses from BMS_POD_BASE on), or NULL. *pod gets the pod index or -1.
 * npods bounds the pod blocks. */
const struct bms_point *bms_point_at(
    enum bms_table t, int addr, int npods, int *pod);
/* The writable points' ranges as raw register values, for the protocol
 * module (a write of an address in none is answered 02, out of its range
 * 03): fills out[0..max-1] and returns how many it filled. */
size_t bms_limits(struct mbtcp_limit *out, size_t max);
/* Registers (bits) of table t for npods pods. */
int bms_table_size(enum bms_table t, int npods);
/* Places v and pods[0..npods-1] in the four arrays (sized with
 * bms_table_size). */
void bms_fill(const struct bms_values *v, const struct bms_pod_values *pods,
    int npods, uint8_t *coils, uint8_t *discrete, uint16_t *input,
    uint16_t *holding);
/* Prints the points list of docs/modbus.md (Markdown tables). */
void bms_doc(FILE *out);

#endif
