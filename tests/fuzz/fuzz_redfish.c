/*
 * Fuzzes what the Redfish plugins take from a BMC's or a CDU's replies:
 * the headers the client reads (X-Auth-Token, Location and its path:
 * plugins/common/redfish.c), and the body as redfish_get() accepts it (a
 * JSON object) mapped by every function of power/redfish's bmcmap.c and
 * cooling/redfish's rfmap.c, as if it were each resource in turn: the
 * members each looks at differ, so one document reaches them all. What
 * they map must be what the plugins may publish: paths and names
 * NUL-terminated, only their own valid bits, finite readings, a leak only
 * from a detector seen, a power limit range that is one.
 */
#include <math.h>

#include <jansson.h>

#include <pod/plugin.h>

#include "bmcmap.h"
#include "fuzz.h"
#include "redfish.h"
#include "rfmap.h"

#define FUZZ_FITS(s) (strnlen((s), sizeof(s)) < sizeof(s))

/* Every line as a header line (its "\n" included, as libcurl gives it). */
static void
fuzz_headers(const char *p, size_t size)
{
	char token[512], loc[REDFISH_PATH_MAX];
	const char *end = p + size, *nl, *path;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl ? nl + 1 : end;
		token[0] = loc[0] = '\0';
		redfish_header_value(
		    p, (size_t)(nl - p), "X-Auth-Token", token, sizeof(token));
		redfish_header_value(
		    p, (size_t)(nl - p), "Location", loc, sizeof(loc));
		if (!FUZZ_FITS(token) || !FUZZ_FITS(loc))
			abort();
		/* What the session's DELETE would go to: a path in loc. */
		path = redfish_path_of(loc);
		if (path[0] != '\0' &&
		    (path < loc || path >= loc + strlen(loc) || path[0] != '/'))
			abort();
		p = nl;
	}
}

static void
fuzz_bmc(json_t *j)
{
	struct bmc_layout lay;
	struct bmc_reading rd;

	memset(&lay, 0, sizeof(lay));
	memset(&rd, 0, sizeof(rd));
	bmcmap_chassis(j, &lay);
	bmcmap_capacity(j, &lay);
	bmcmap_env_limit(j, &lay);
	if (lay.limit == BMC_LIMIT_NONE)
		bmcmap_legacy_limit(j, &lay);
	bmcmap_env(j, &rd);
	bmcmap_power(j, &rd);
	bmcmap_thermal(j, &rd);
	if (!FUZZ_FITS(lay.env) || !FUZZ_FITS(lay.power) ||
	    !FUZZ_FITS(lay.thermal) || !FUZZ_FITS(lay.model))
		abort();
	if (lay.limit != BMC_LIMIT_NONE &&
	    (!(lay.limit_min_w <= lay.limit_max_w) ||
	        !isfinite(lay.limit_min_w) || !isfinite(lay.limit_max_w)))
		abort();
	if ((rd.valid & ~(uint32_t)(POD_F_POWER | POD_F_ENERGY | POD_F_TEMP)) ||
	    !isfinite(rd.power_w) || !isfinite(rd.energy_kwh) ||
	    !isfinite(rd.temp_c) || !isfinite(lay.capacity_w))
		abort();
}

static void
fuzz_cdu(json_t *j)
{
	const uint32_t loop = POD_F_SUPPLY | POD_F_RETURN | POD_F_FLOW |
	                      POD_F_PRESSURE | POD_F_PUMP | POD_F_LEAK |
	                      POD_F_CAPACITY;
	struct rfcdu_reading rd;
	struct rfmap_tally t;
	char model[64] = "";
	const char *first, *again, *slash;

	memset(&rd, 0, sizeof(rd));
	memset(&t, 0, sizeof(t));
	rfmap_unit(j, &rd, model, sizeof(model));
	if ((first = rfmap_member(j, "")) != NULL &&
	    (slash = strrchr(first, '/')) != NULL && slash[1] != '\0') {
		/* The first member found by its Id: some member, the first
		 * one of that Id. */
		if ((again = rfmap_member(j, slash + 1)) == NULL)
			abort();
	}
	rfmap_connector(j, &rd);
	rfmap_pump(j, &t); /* two pumps that answer alike */
	rfmap_pump(j, &t);
	rfmap_leak_groups(j, &t);
	if (t.seen == 0)
		rfmap_detector(j, &t);
	rfmap_done(&t, &rd);
	if (!FUZZ_FITS(model) || (rd.valid & ~loop) ||
	    ((rd.valid & POD_F_LEAK) && t.seen == 0) ||
	    (rd.leak && !(rd.valid & POD_F_LEAK)))
		abort();
	if (!isfinite(rd.supply_c) || !isfinite(rd.return_c) ||
	    !isfinite(rd.flow_lpm) || !isfinite(rd.pressure_kpa) ||
	    !isfinite(rd.pump_pct) || !isfinite(rd.capacity_w)) {
		fprintf(stderr, "a loop reading is not finite\n");
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j;

	fuzz_headers((const char *)data, size);
	/* As redfish_get() takes a body: a JSON object, or nothing. */
	j = json_loadb((const char *)data, size, 0, NULL);
	if (j != NULL && json_is_object(j)) {
		fuzz_bmc(j);
		fuzz_cdu(j);
	}
	json_decref(j);
	return 0;
}
