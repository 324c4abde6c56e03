/*
 * rfmap: what the cooling/redfish plugin takes from each Redfish resource
 * of a CDU (the CoolingUnit, a collection, a CoolantConnector, a Pump,
 * LeakDetection and its detectors), as pure functions of the parsed reply:
 * no request, no lock, no log. The plugin (rfcdu.c) GETs, these map; so
 * does the fuzz target tests/fuzz/fuzz_redfish.c, with whatever a CDU may
 * answer. A member that is absent, null or of the wrong type is not taken.
 * (Named apart from cooling/modbus's cdumap.)
 */
#ifndef RFMAP_H
#define RFMAP_H

#include <stdint.h>

#include <jansson.h>

#include "redfish.h"

/* One poll's readings; published under the worker's lock. */
struct rfcdu_reading {
	uint32_t valid;            /* POD_F_* of the loop */
	double supply_c, return_c; /* °C */
	double flow_lpm;           /* L/min */
	double pressure_kpa;       /* kPa */
	double pump_pct;           /* % */
	double capacity_w;         /* W */
	int leak;                  /* 1 wet, with POD_F_LEAK */
	int64_t mono_ms;           /* when read, monotonic ms; 0 never */
	int64_t wall_ms;           /* same, ms since the epoch */
};

/* What the pumps and leak detectors of one poll added up to. */
struct rfmap_tally {
	double pump_sum; /* PumpSpeedPercent Readings, % */
	int pumps;       /* pumps with a reading */
	int seen;        /* detectors looked at */
	int wet;         /* 1: one of them says Warning or Critical */
	int unknown;     /* 1: one of them says something else or nothing */
};

/* The CoolingUnit unit (borrowed): CoolingCapacityWatts into *rd, and its
 * Model into model[len] when it names one (else model is left alone). */
void rfmap_unit(
    json_t *unit, struct rfcdu_reading *rd, char *model, size_t len);
/* The @odata.id of the member of collection coll whose last path
 * component is id ("": the first member with an @odata.id), or NULL.
 * Borrowed from coll. */
const char *rfmap_member(json_t *coll, const char *id);
/* A CoolantConnector cc: its sensors' Readings into *rd, each with its
 * valid bit. */
void rfmap_connector(json_t *cc, struct rfcdu_reading *rd);
/* A Pump: its PumpSpeedPercent Reading into the tally. */
void rfmap_pump(json_t *pump, struct rfmap_tally *t);
/* LeakDetection ld: the detectors it lists inline
 * (LeakDetectorGroups[].Detectors[]) into the tally. */
void rfmap_leak_groups(json_t *ld, struct rfmap_tally *t);
/* One leak detector's DetectorState into the tally. */
void rfmap_detector(json_t *det, struct rfmap_tally *t);
/* The tally into *rd: the pumps' mean speed when one had a reading (and
 * it is finite); the leak when a detector says wet or every one seen says
 * OK. */
void rfmap_done(const struct rfmap_tally *t, struct rfcdu_reading *rd);

#endif
