/*
 * Fleet-wide views: "status", one screen for the whole installation, and
 * "pods", one row per pod. Both only render what the controller computed;
 * the client adds no arithmetic beyond unit conversion and percentages, so
 * podctl and the dashboard cannot disagree. "top" shows the same summary
 * and pods, through cmd_status_print() and cmd_pods_print().
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "podctl.h"
#include "table.h"

/* Node states in the order "status" lists them. */
static const char *const node_states[] = {
    "idle",
    "mixed",
    "allocated",
    "draining",
    "drained",
    "down",
};

/* Writes " (81%)" for part of whole, or "" when either is unknown. */
static const char *
percent(
    char *buf, size_t size, json_t *obj, const char *part, const char *whole)
{
	json_t *p = json_object_get(obj, part),
	       *w = json_object_get(obj, whole);

	buf[0] = '\0';
	if (json_is_number(p) && json_is_number(w) && json_number_value(w) > 0)
		snprintf(buf, size, " (%.0f%%)",
		    100 * json_number_value(p) / json_number_value(w));
	return buf;
}

void
cmd_status_print(FILE *f, json_t *st)
{
	json_t *nodes, *acc, *hot;
	char b1[32], b2[32], b3[32], pct[16], states[256];
	size_t i, len = 0;

	nodes = json_object_get(st, "nodes");
	acc = json_object_get(st, "accelerators");
	hot = json_object_get(st, "hottest");

	/* Only the states some node is in, to keep the line short. */
	states[0] = '\0';
	for (i = 0; i < sizeof(node_states) / sizeof(node_states[0]); i++) {
		json_t *n = json_object_get(nodes, node_states[i]);

		if (!json_is_integer(n) || json_integer_value(n) == 0)
			continue;
		len += snprintf(states + len, sizeof(states) - len, "%s%lld %s",
		    len == 0 ? ": " : ", ", (long long)json_integer_value(n),
		    node_states[i]);
		if (len >= sizeof(states))
			len = sizeof(states) - 1;
	}

	podctl_fline(
	    f, "Pods", "%s", fmt_num(b1, sizeof(b1), st, "pods_total", 1, 0));
	podctl_fline(f, "Nodes", "%s up of %s%s",
	    fmt_num(b1, sizeof(b1), nodes, "up", 1, 0),
	    fmt_num(b2, sizeof(b2), nodes, "total", 1, 0), states);
	podctl_fline(f, "Accelerators", "%s up of %s",
	    fmt_num(b1, sizeof(b1), acc, "up", 1, 0),
	    fmt_num(b2, sizeof(b2), acc, "total", 1, 0));
	podctl_fline(f, "IT power", "%s kW of %s kW budget%s",
	    fmt_num(b1, sizeof(b1), st, "power_w", 1e-3, 1),
	    fmt_num(b2, sizeof(b2), st, "budget_w", 1e-3, 1),
	    percent(pct, sizeof(pct), st, "power_w", "budget_w"));
	podctl_fline(f, "Heat to coolant", "%s kW of %s kW cooling capacity%s",
	    fmt_num(b1, sizeof(b1), st, "heat_w", 1e-3, 1),
	    fmt_num(b2, sizeof(b2), st, "cooling_capacity_w", 1e-3, 1),
	    percent(pct, sizeof(pct), st, "heat_w", "cooling_capacity_w"));
	podctl_fline(f, "Coolant", "supply %s °C, return %s °C, flow %s L/min",
	    fmt_num(b1, sizeof(b1), st, "supply_c", 1, 1),
	    fmt_num(b2, sizeof(b2), st, "return_c", 1, 1),
	    fmt_num(b3, sizeof(b3), st, "flow_lpm", 1, 1));
	if (json_is_object(hot))
		podctl_fline(f, "Hottest", "%s accelerator %s at %s °C",
		    fmt_str(hot, "node"),
		    fmt_num(b1, sizeof(b1), hot, "index", 1, 0),
		    fmt_num(b2, sizeof(b2), hot, "temp_c", 1, 1));
	else
		podctl_fline(f, "Hottest", "%s", FMT_UNKNOWN);
	podctl_fline(
	    f, "Leaks", "%s", fmt_num(b1, sizeof(b1), st, "leaks", 1, 0));
}

/* The controller's own numbers (/status "controller"): what it takes in
 * and how far behind it is, over the last minute. Nothing when the server
 * sends none (an older controller). */
static void
print_controller(FILE *f, json_t *st)
{
	json_t *c = json_object_get(st, "controller"), *why;
	char b1[32], b2[32], b3[32], b4[32], b5[32];
	json_int_t ask, floor;

	if (!json_is_object(c))
		return;
	why = json_object_get(c, "behind");
	ask = json_integer_value(json_object_get(c, "report_interval_ms"));
	floor =
	    json_integer_value(json_object_get(c, "report_interval_floor_ms"));
	fprintf(f, "Controller (last %s s)\n",
	    fmt_num(b1, sizeof(b1), c, "window_s", 1, 0));
	podctl_fline(f, "  Reports", "%s/s, handled in p50 %s ms, p99 %s ms",
	    fmt_num(b1, sizeof(b1), c, "reports_per_s", 1, 1),
	    fmt_num(b2, sizeof(b2), c, "report_p50_ms", 1, 2),
	    fmt_num(b3, sizeof(b3), c, "report_p99_ms", 1, 2));
	podctl_fline(f, "  Samples",
	    "%s/s; lost %s, duplicate %s, dropped %s, stored %s",
	    fmt_num(b1, sizeof(b1), c, "samples_per_s", 1, 1),
	    fmt_num(b2, sizeof(b2), c, "samples_lost", 1, 0),
	    fmt_num(b3, sizeof(b3), c, "samples_duplicate", 1, 0),
	    fmt_num(b4, sizeof(b4), c, "samples_dropped", 1, 0),
	    fmt_num(b5, sizeof(b5), c, "samples_stored", 1, 0));
	podctl_fline(f, "  Loop",
	    "lag p50 %s ms, p99 %s ms; CPU %s %% of a core; pass p99 %s ms",
	    fmt_num(b1, sizeof(b1), c, "loop_lag_p50_ms", 1, 1),
	    fmt_num(b2, sizeof(b2), c, "loop_lag_p99_ms", 1, 1),
	    fmt_num(b4, sizeof(b4), c, "loop_cpu_pct", 1, 1),
	    fmt_num(b3, sizeof(b3), c, "sched_pass_p99_ms", 1, 2));
	podctl_fline(f, "  HTTP", "%s/s, p99 %s ms",
	    fmt_num(b1, sizeof(b1), c, "http_per_s", 1, 1),
	    fmt_num(b2, sizeof(b2), c, "http_p99_ms", 1, 2));
	podctl_fline(f, "  Store queue", "%s of %s samples",
	    fmt_num(b1, sizeof(b1), c, "store_queue_samples", 1, 0),
	    fmt_num(b2, sizeof(b2), c, "store_queue_max", 1, 0));
	if (json_is_string(why))
		podctl_fline(f, "  Interval",
		    "reports every %s ms asked: behind, %s",
		    fmt_num(b1, sizeof(b1), c, "report_interval_ms", 1, 0),
		    json_string_value(why));
	else if (ask > 0)
		podctl_fline(f, "  Interval", "reports every %s ms asked: %s",
		    fmt_num(b1, sizeof(b1), c, "report_interval_ms", 1, 0),
		    ask == floor ? "the fabric's size (report_rate_max)"
		                 : "easing");
	else
		podctl_fline(f, "  Interval", "agents report at their own");
}

int
cmd_status(struct podctl *pc, const struct args *a)
{
	json_t *st = NULL;
	char b1[32];
	int rc;

	rc = podctl_call(pc, "GET", "/api/v1/status", NULL, &st);
	if (rc != PODCTL_OK || st == NULL)
		return rc;
	if (!json_is_object(st))
		rc = podctl_bad_reply("not an object");
	else {
		cmd_status_print(stdout, st);
		podctl_line("Open alarms", "%s",
		    fmt_num(b1, sizeof(b1), st, "alarms_open", 1, 0));
		print_controller(stdout, st);
	}
	json_decref(st);
	return rc;
}

/*
 * Columns of "pods". Per column: title; priority (0 always shown, larger
 * dropped sooner when the terminal is narrow); alignment; how far free text
 * may be cut (0 never); then the field shown: kind, member, second member
 * of a ratio, scale, decimal places. TABLE_WIDE columns are shown with
 * -o wide or when named by --format.
 */
static const struct table_col pod_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"NODES", 0, TABLE_RIGHT, 0,
        FMT_FIELD_RATIO("nodes_up", "nodes_total", 1, 0)},
    {"ACCELS", 3, TABLE_RIGHT, 0,
        FMT_FIELD_RATIO("accelerators_up", "accelerators_total", 1, 0)},
    {"POWER_KW", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("power_w", 1e-3, 1)},
    {"BUDGET_KW", 2, TABLE_RIGHT, 0, FMT_FIELD_NUM("budget_w", 1e-3, 1)},
    {"HEAT_KW", 3, TABLE_RIGHT, 0, FMT_FIELD_NUM("heat_w", 1e-3, 1)},
    {"COOLING_KW", 4, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("cooling_capacity_w", 1e-3, 1)},
    {"SUPPLY_C", 4, TABLE_RIGHT, 0, FMT_FIELD_NUM("supply_c", 1, 1)},
    {"RETURN_C", 4, TABLE_RIGHT, 0, FMT_FIELD_NUM("return_c", 1, 1)},
    {"FLOW_LPM", 5, TABLE_RIGHT, 0, FMT_FIELD_NUM("flow_lpm", 1, 1)},
    {"HOTTEST_C", 2, TABLE_RIGHT, 0, FMT_FIELD_NUM("hottest_c", 1, 1)},
    {"GROUPS", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("groups", 1, 0)},
    {"LEAKS", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("leaks", 1, 0)},
};

#define NPOD_COLS ((int)(sizeof(pod_cols) / sizeof(pod_cols[0])))

int
cmd_pods_print(struct podctl *pc, FILE *f, json_t *pods)
{
	return podctl_fprint_table(pc, f, pod_cols, NPOD_COLS, pods);
}

int
cmd_pods(struct podctl *pc, const struct args *a)
{
	json_t *reply = NULL, *pods;
	int rc;

	if ((rc = podctl_check_columns(pc, pod_cols, NPOD_COLS)) != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", "/api/v1/pods", NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(pods = json_object_get(reply, "pods")))
		rc = podctl_bad_reply("no 'pods' array");
	else
		rc = cmd_pods_print(pc, stdout, pods);
	json_decref(reply);
	return rc;
}
