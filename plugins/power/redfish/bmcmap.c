/*
 * bmcmap: a chassis' Redfish resources to the power/redfish plugin's
 * layout and readings (bmcmap.h). Out of bmc.c so that the mapping of what
 * a BMC answers can be fuzzed without a BMC; every look-up goes through
 * Jansson's getters, which take NULL and the wrong type as "absent".
 */
#include <stdio.h>
#include <string.h>

#include <pod/plugin.h>

#include "bmcmap.h"

static void
bmcmap_copy_path(char *dst, const char *src)
{
	snprintf(dst, REDFISH_PATH_MAX, "%s", src ? src : "");
}

void
bmcmap_chassis(json_t *ch, struct bmc_layout *lay)
{
	const char *model = json_string_value(json_object_get(ch, "Model"));

	bmcmap_copy_path(lay->env, redfish_link(ch, "EnvironmentMetrics"));
	bmcmap_copy_path(lay->power, redfish_link(ch, "Power"));
	bmcmap_copy_path(lay->thermal, redfish_link(ch, "Thermal"));
	snprintf(lay->model, sizeof(lay->model), "%s",
	    model != NULL ? model : BMC_MODEL);
}

void
bmcmap_capacity(json_t *ps, struct bmc_layout *lay)
{
	(void)redfish_number(ps, "CapacityWatts", NULL, &lay->capacity_w);
}

void
bmcmap_env_limit(json_t *env, struct bmc_layout *lay)
{
	double min, max;

	if (redfish_number(env, "PowerLimitWatts", "AllowableMin", &min) == 0 &&
	    redfish_number(env, "PowerLimitWatts", "AllowableMax", &max) == 0 &&
	    min <= max) {
		lay->limit = BMC_LIMIT_ENV;
		lay->limit_min_w = min;
		lay->limit_max_w = max;
	}
}

void
bmcmap_legacy_limit(json_t *pw, struct bmc_layout *lay)
{
	json_t *pc = json_array_get(json_object_get(pw, "PowerControl"), 0);
	double max;

	/* Legacy PowerControl has no floor: 0 W up to the capacity. */
	if (json_object_get(pc, "PowerLimit") != NULL &&
	    redfish_number(pc, "PowerCapacityWatts", NULL, &max) == 0 &&
	    max > 0) {
		lay->limit = BMC_LIMIT_LEGACY;
		lay->limit_min_w = 0;
		lay->limit_max_w = max;
	}
}

void
bmcmap_env(json_t *env, struct bmc_reading *rd)
{
	if (redfish_number(env, "PowerWatts", "Reading", &rd->power_w) == 0)
		rd->valid |= POD_F_POWER;
	if (redfish_number(env, "EnergykWh", "Reading", &rd->energy_kwh) == 0)
		rd->valid |= POD_F_ENERGY;
	if (redfish_number(env, "TemperatureCelsius", "Reading", &rd->temp_c) ==
	    0)
		rd->valid |= POD_F_TEMP;
}

void
bmcmap_power(json_t *pw, struct bmc_reading *rd)
{
	json_t *pc = json_array_get(json_object_get(pw, "PowerControl"), 0);

	if (redfish_number(pc, "PowerConsumedWatts", NULL, &rd->power_w) == 0)
		rd->valid |= POD_F_POWER;
}

void
bmcmap_thermal(json_t *th, struct bmc_reading *rd)
{
	json_t *t;
	size_t i;
	double v;
	int any = 0;

	json_array_foreach(json_object_get(th, "Temperatures"), i, t)
	{
		if (redfish_number(t, "ReadingCelsius", NULL, &v) == 0 &&
		    (!any || v > rd->temp_c)) {
			rd->temp_c = v;
			any = 1;
		}
	}
	if (any)
		rd->valid |= POD_F_TEMP;
}
