/*
 * bmcmap: what the power/redfish plugin takes from each Redfish resource
 * of a chassis (the Chassis itself, PowerSubsystem, EnvironmentMetrics, the
 * legacy Power and Thermal), as pure functions of the parsed reply: no
 * request, no lock, no log. The plugin (bmc.c) GETs, these map; so does
 * the fuzz target tests/fuzz/fuzz_redfish.c, with whatever a BMC may
 * answer. A member that is absent, null or of the wrong type is simply not
 * taken.
 */
#ifndef BMCMAP_H
#define BMCMAP_H

#include <stdint.h>

#include <jansson.h>

#include "redfish.h"

#define BMC_MODEL "Redfish BMC" /* when the chassis names none */

/* Where the power limit is set. */
enum bmc_limit { BMC_LIMIT_NONE, BMC_LIMIT_ENV, BMC_LIMIT_LEGACY };

/* What one poll read; published under the worker's lock. */
struct bmc_reading {
	uint32_t valid;    /* POD_F_POWER, _ENERGY, _TEMP */
	double power_w;    /* W */
	double energy_kwh; /* the BMC's counter, kWh */
	double temp_c;     /* hottest, °C */
	int64_t mono_ms;   /* when read, monotonic ms; 0 never */
	int64_t wall_ms;   /* same, ms since the epoch */
};

/* What the chassis offers, learnt on the thread. */
struct bmc_layout {
	char env[REDFISH_PATH_MAX];     /* EnvironmentMetrics; "" none */
	char power[REDFISH_PATH_MAX];   /* legacy Power; "" none */
	char thermal[REDFISH_PATH_MAX]; /* legacy Thermal; "" none */
	char model[64];
	double capacity_w;    /* PowerSubsystem CapacityWatts; 0 unknown */
	enum bmc_limit limit; /* where the limit is set */
	double limit_min_w, limit_max_w;
	int known; /* 1: the paths above are from this chassis */
};

/* The Chassis ch (borrowed): the paths of its EnvironmentMetrics, Power and
 * Thermal ("" when it links none) and its Model into *lay. */
void bmcmap_chassis(json_t *ch, struct bmc_layout *lay);
/* PowerSubsystem ps: CapacityWatts into lay->capacity_w, when a number. */
void bmcmap_capacity(json_t *ps, struct bmc_layout *lay);
/* EnvironmentMetrics env: a settable limit (PowerLimitWatts with
 * AllowableMin <= AllowableMax) sets lay->limit to BMC_LIMIT_ENV. */
void bmcmap_env_limit(json_t *env, struct bmc_layout *lay);
/* Legacy Power pw: PowerControl[0] with a PowerLimit and a positive
 * PowerCapacityWatts sets lay->limit to BMC_LIMIT_LEGACY, 0 W up to it. */
void bmcmap_legacy_limit(json_t *pw, struct bmc_layout *lay);
/* EnvironmentMetrics env: PowerWatts, EnergykWh and TemperatureCelsius
 * Readings into *rd, each with its valid bit. */
void bmcmap_env(json_t *env, struct bmc_reading *rd);
/* Legacy Power pw: PowerControl[0].PowerConsumedWatts into rd->power_w. */
void bmcmap_power(json_t *pw, struct bmc_reading *rd);
/* Legacy Thermal th: the highest Temperatures[].ReadingCelsius into
 * rd->temp_c. */
void bmcmap_thermal(json_t *th, struct bmc_reading *rd);

#endif
