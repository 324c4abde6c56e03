/*
 * rfmap: a CDU's Redfish resources to the cooling/redfish plugin's
 * readings (rfmap.h). Out of rfcdu.c so that the mapping of what a CDU
 * answers can be fuzzed without a CDU. The leak is the reading the agent's
 * guard acts on, so the tally keeps "unknown" apart from "dry".
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <pod/plugin.h>

#include "rfmap.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The connector's sensors. name: the CoolantConnector property (a sensor
 * excerpt with a Reading); flag: the sample's bit; off: the field.
 */
static const struct rfmap_sensor {
	const char *name;
	uint32_t flag;
	size_t off;
} rfmap_sensors[] = {
    {"SupplyTemperatureCelsius", POD_F_SUPPLY,
        offsetof(struct rfcdu_reading, supply_c)},
    {"ReturnTemperatureCelsius", POD_F_RETURN,
        offsetof(struct rfcdu_reading, return_c)},
    {"FlowLitersPerMinute", POD_F_FLOW,
        offsetof(struct rfcdu_reading, flow_lpm)},
    {"DeltaPressurekPa", POD_F_PRESSURE,
        offsetof(struct rfcdu_reading, pressure_kpa)},
};

/* What a DetectorState means. state: the Health value; wet: 1 a leak. */
static const struct rfmap_state {
	const char *state;
	int wet;
} rfmap_states[] = {
    {"OK", 0},
    {"Warning", 1},
    {"Critical", 1},
};

void
rfmap_unit(json_t *unit, struct rfcdu_reading *rd, char *model, size_t len)
{
	const char *p = json_string_value(json_object_get(unit, "Model"));

	if (p != NULL)
		snprintf(model, len, "%s", p);
	if (redfish_number(
	        unit, "CoolingCapacityWatts", NULL, &rd->capacity_w) == 0)
		rd->valid |= POD_F_CAPACITY;
}

const char *
rfmap_member(json_t *coll, const char *id)
{
	const char *p, *slash;
	size_t i, n = redfish_nmembers(coll);

	for (i = 0; i < n; i++) {
		if ((p = redfish_member(coll, i)) == NULL)
			continue;
		slash = strrchr(p, '/');
		if (id[0] == '\0' ||
		    (slash != NULL && strcmp(slash + 1, id) == 0))
			return p;
	}
	return NULL;
}

void
rfmap_connector(json_t *cc, struct rfcdu_reading *rd)
{
	size_t i;

	for (i = 0; i < NELEM(rfmap_sensors); i++)
		if (redfish_number(cc, rfmap_sensors[i].name, "Reading",
		        (double *)((char *)rd + rfmap_sensors[i].off)) == 0)
			rd->valid |= rfmap_sensors[i].flag;
}

void
rfmap_pump(json_t *pump, struct rfmap_tally *t)
{
	double v;

	if (redfish_number(pump, "PumpSpeedPercent", "Reading", &v) == 0) {
		t->pump_sum += v;
		t->pumps++;
	}
}

void
rfmap_detector(json_t *det, struct rfmap_tally *t)
{
	const char *s =
	    json_string_value(json_object_get(det, "DetectorState"));
	size_t i;

	t->seen++;
	for (i = 0; s != NULL && i < NELEM(rfmap_states); i++)
		if (strcmp(s, rfmap_states[i].state) == 0) {
			t->wet |= rfmap_states[i].wet;
			return;
		}
	t->unknown = 1;
}

void
rfmap_leak_groups(json_t *ld, struct rfmap_tally *t)
{
	json_t *grp, *det;
	size_t i, j;

	json_array_foreach(json_object_get(ld, "LeakDetectorGroups"), i, grp)
	{
		json_array_foreach(json_object_get(grp, "Detectors"), j, det)
		{
			rfmap_detector(det, t);
		}
	}
}

void
rfmap_done(const struct rfmap_tally *t, struct rfcdu_reading *rd)
{
	/* Speeds past a double's range add up to infinity: no reading. */
	if (t->pumps > 0 && isfinite(t->pump_sum / t->pumps)) {
		rd->pump_pct = t->pump_sum / t->pumps;
		rd->valid |= POD_F_PUMP;
	}
	if (t->seen > 0 && (t->wet || !t->unknown)) {
		rd->valid |= POD_F_LEAK;
		rd->leak = t->wet;
	}
}
