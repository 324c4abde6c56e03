/*
 * Alarm commands: "alarms" lists the open and acknowledged alarms (all of
 * them with --all), severity first in the column and the order (the
 * controller sorts: critical, then major, then info, newest first within),
 * "alarm ack" acknowledges one. The controller raises,
 * counts and clears alarms by its rules; podctl only shows them and passes
 * on an operator's acknowledgement, which the server refuses (409) for an
 * alarm already acknowledged or cleared.
 */
#include <stdint.h>
#include <stdio.h>

#include "fmt.h"
#include "podctl.h"
#include "table.h"

/*
 * Columns of "alarms". Per column: title; priority (0 always shown, larger
 * dropped sooner when the terminal is narrow); alignment; how far free text
 * may be cut (0 never); then the field shown: kind, member, second member
 * of a ratio, scale, decimal places. MESSAGE is the only column that may be
 * cut, so it is cut first; the columns go after it has shrunk to its
 * minimum. SINCE is the age of the first occurrence, LAST_SEEN of the
 * last. TABLE_WIDE columns are shown with -o wide or when named by
 * --format.
 */
static const struct table_col alarm_cols[] = {
    {"SEVERITY", 0, TABLE_LEFT, 0, FMT_FIELD_STR("severity")},
    {"ID", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("id", 1, 0)},
    {"KIND", 3, TABLE_LEFT, 0, FMT_FIELD_STR("kind")},
    {"OBJECT", 0, TABLE_LEFT, 0, FMT_FIELD_STR("object")},
    {"STATE", 2, TABLE_LEFT, 0, FMT_FIELD_STR("state")},
    {"SINCE", 4, TABLE_RIGHT, 0, FMT_FIELD_AGE("first_seen")},
    {"COUNT", 5, TABLE_RIGHT, 0, FMT_FIELD_NUM("count", 1, 0)},
    {"MESSAGE", 1, TABLE_LEFT, 16, FMT_FIELD_STR("message")},
    {"LAST_SEEN", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_AGE("last_seen")},
    {"ACKED_BY", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("acked_by")},
};

#define NALARM_COLS ((int)(sizeof(alarm_cols) / sizeof(alarm_cols[0])))

int
cmd_alarms(struct podctl *pc, const struct args *a)
{
	json_t *reply = NULL, *alarms;
	int rc;

	if ((rc = podctl_check_columns(pc, alarm_cols, NALARM_COLS)) !=
	    PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET",
	    args_get(a, "all") != NULL ? "/api/v1/alarms?state=all"
	                               : "/api/v1/alarms",
	    NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(alarms = json_object_get(reply, "alarms")))
		rc = podctl_bad_reply("no 'alarms' array");
	else
		rc = podctl_print_table(pc, alarm_cols, NALARM_COLS, alarms);
	json_decref(reply);
	return rc;
}

int
cmd_alarm_ack(struct podctl *pc, const struct args *a)
{
	return podctl_call_on_id(pc, "alarm", a->pos[0], "POST",
	    "/api/v1/alarms/", "/ack", "acknowledged");
}
