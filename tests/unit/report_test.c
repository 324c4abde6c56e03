/*
 * Agent report parsing: valid reports are taken whole, and every kind of
 * bad member is refused with a message naming it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "jsonx.h"
#include "wire.h"

#define OK NULL

static const struct {
	const char *json;
	const char *error; /* substring of the message, or OK */
} cases[] = {
    {"{\"boot_id\":\"ab\",\"samples\":[]}", OK},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":2,\"t_ms\":5},"
     "{\"seq\":1,\"t_ms\":4,\"power_w\":10,\"accels\":[null,"
     "{\"temp_c\":50}],\"loop\":{\"supply_c\":30,\"leak\":true}}]}",
        OK},
    {"[]", "must be a JSON object"},
    {"{\"samples\":[]}", "boot_id must be a string"},
    {"{\"boot_id\":\"xyz\",\"samples\":[]}", "hex digits"},
    {"{\"boot_id\":\"0123456789abcdef0\",\"samples\":[]}", "at most 16"},
    {"{\"boot_id\":\"ab\"}", "samples must be an array"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"t_ms\":1}]}",
        "samples[0].seq must be a positive integer"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"accels\":[{\"temp_c\":\"hot\"}]}]}",
        "samples[0].accels[0].temp_c must be a number"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"accels\":[{\"util_pct\":150}]}]}",
        "util_pct must be a number in 0..100"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"loop\":{\"leak\":1}}]}",
        "samples[0].loop.leak must be true or false"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"inventory\":{\"accelerators\":"
     "[{\"index\":1}]}}",
        "inventory.accelerators[0].index must be 0"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"inventory\":{\"accelerators\":"
     "[{\"index\":0,\"model\":\"M\",\"tdp_w\":700}]}}",
        OK},
};

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		struct report r;
		json_t *j = jsonx_parse(
		    cases[i].json, strlen(cases[i].json), err, sizeof(err));
		int rc = j ? wire_report_decode(j, &r, err, sizeof(err)) : -1;
		int good =
		    cases[i].error == OK
		        ? rc == 0
		        : rc == -1 && strstr(err, cases[i].error) != NULL;

		if (good && rc == 0 && i == 1)
			/* sorted by seq; null accelerator is all NaN */
			good = r.nsamples == 2 && r.samples[0].seq == 1 &&
			       r.samples[0].power_w == 10 &&
			       isnan(r.samples[0].accels[0].temp_c) &&
			       r.samples[0].accels[1].temp_c == 50 &&
			       r.samples[0].leak == 1 &&
			       isnan(r.samples[0].return_c) &&
			       r.samples[1].has_loop == 0 &&
			       isnan(r.samples[1].power_w);
		if (rc == 0)
			wire_report_free(&r);
		json_decref(j);
		CHECK(good, "case %zu: %s\n  got rc=%d err='%s'", i,
		    cases[i].json, rc, err);
	}
	return check_summary("report_test");
}
