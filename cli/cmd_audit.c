/*
 * "audit": who changed what, from GET /api/v1/audit. A time window may be
 * given as RFC 3339 times or as an age ("--since 2h": the last two hours),
 * which podctl turns into milliseconds since the epoch, so the server has
 * one time format to check.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "jobreq.h"
#include "podctl.h"
#include "table.h"
#include "timeutil.h"

#define PATH_MAX_LEN 1024 /* longest request path built here */

/* Columns of "audit" (see cmd_alarm.c for what each one means). */
static const struct table_col audit_cols[] = {
    {"TIME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("time")},
    {"AGE", 3, TABLE_RIGHT, 0, FMT_FIELD_AGE("time")},
    {"ACTOR", 0, TABLE_LEFT, 0, FMT_FIELD_STR("actor")},
    {"ACTION", 0, TABLE_LEFT, 0, FMT_FIELD_STR("action")},
    {"OBJECT", 0, TABLE_LEFT, 0, FMT_FIELD_STR("object")},
    {"DETAIL", 1, TABLE_LEFT, 12, FMT_FIELD_STR("detail")},
};

/* Appends "&key=value" (escaped) to path; an age ("2h") in a time option
 * becomes the time that long ago, in ms. 0, or an enum podctl_exit. */
static int
add_query(struct podctl *pc, char *path, size_t size, const char *key,
    const char *value, int is_time)
{
	char ms[32], err[128];
	int64_t secs;

	if (value == NULL)
		return PODCTL_OK;
	if (is_time && value[0] >= '0' && value[0] <= '9' &&
	    strchr(value, '-') == NULL && strchr(value, ':') == NULL) {
		if (jobreq_parse_time(value, &secs, err, sizeof(err)) == -1)
			return podctl_usage_error("--%s %s: %s (give an age "
			                          "such as 30m, 2h, 1d, or an "
			                          "RFC 3339 time)",
			    key, value, err);
		snprintf(ms, sizeof(ms), "%lld",
		    (long long)(time_wall_ms() - secs * 1000));
		value = ms;
	}
	return podctl_add_query(pc, path, size, key, value);
}

int
cmd_audit(struct podctl *pc, const struct args *a)
{
	static const struct {
		const char *opt;
		int is_time;
	} query[] = {
	    {"since", 1},
	    {"until", 1},
	    {"actor", 0},
	    {"action", 0},
	    {"limit", 0},
	};
	char path[PATH_MAX_LEN] = "/api/v1/audit";
	json_t *reply = NULL, *lines;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(query) / sizeof(query[0]); i++)
		if ((rc = add_query(pc, path, sizeof(path), query[i].opt,
		         args_get(a, query[i].opt), query[i].is_time)) !=
		    PODCTL_OK)
			return rc;
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(lines = json_object_get(reply, "audit")))
		rc = podctl_bad_reply("no 'audit' array");
	else
		rc = podctl_print_table(pc, audit_cols,
		    sizeof(audit_cols) / sizeof(audit_cols[0]), lines);
	json_decref(reply);
	return rc;
}
