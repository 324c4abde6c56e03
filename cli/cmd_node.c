/*
 * Node commands: "nodes" lists them, "node show" details one with its
 * accelerators, "node drain" and "node resume" take one out of and back
 * into service. Names and states are checked here before anything is sent,
 * so that a typo is a usage error (exit 2) with a precise message rather
 * than a 404 from the server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "names.h"
#include "podctl.h"
#include "rest.h"
#include "table.h"

#define PATH_MAX_LEN 512 /* longest request path built here */

/* The node states of the REST contract, as "--state" accepts them. */
static const char *const node_states[] = {
    "idle",
    "mixed",
    "allocated",
    "down",
    "draining",
    "drained",
};

/*
 * Columns of "nodes". Per column: title; priority (0 always shown, larger
 * dropped sooner when the terminal is narrow); alignment; how far free text
 * may be cut (0 never); then the field shown: kind, member, second member
 * of a ratio, scale, decimal places. POD is redundant with the name and
 * goes early; the reason is what an operator looks for in a narrow window.
 */
static const struct table_col node_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"POD", 6, TABLE_LEFT, 0, FMT_FIELD_STR("pod")},
    {"GROUP", 5, TABLE_LEFT, 0, FMT_FIELD_STR("group")},
    {"STATE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("state")},
    {"POWER_W", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("power_w", 1, 0)},
    {"HOTTEST_C", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("hottest_c", 1, 1)},
    {"INLET_C", 4, TABLE_RIGHT, 0, FMT_FIELD_NUM("inlet_c", 1, 1)},
    {"OUTLET_C", 4, TABLE_RIGHT, 0, FMT_FIELD_NUM("outlet_c", 1, 1)},
    {"FLOW_LPM", 7, TABLE_RIGHT, 0, FMT_FIELD_NUM("flow_lpm", 1, 1)},
    {"LAST_SEEN", 3, TABLE_RIGHT, 0, FMT_FIELD_AGE("last_seen")},
    {"REASON", 2, TABLE_LEFT, 24, FMT_FIELD_STR("reason")},
};

/* Columns of the accelerators of "node show", as node_cols. */
static const struct table_col accel_cols[] = {
    {"INDEX", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("index", 1, 0)},
    {"MODEL", 3, TABLE_LEFT, 8, FMT_FIELD_STR("model")},
    {"POWER_W", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("power_w", 1, 0)},
    {"TEMP_C", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("temp_c", 1, 1)},
    {"CLOCK_MHZ", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("clock_mhz", 1, 0)},
    {"UTIL_%", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("util_pct", 1, 0)},
    {"MEM_USED_GIB", 2, TABLE_RIGHT, 0,
        FMT_FIELD_RATIO("mem_used_mib", "mem_total_mib", 1.0 / 1024, 1)},
};

static int
state_valid(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(node_states) / sizeof(node_states[0]); i++)
		if (strcmp(node_states[i], s) == 0)
			return 1;
	return 0;
}

/* Checks a node name from the command line; returns PODCTL_OK or reports. */
static int
check_node(const char *name)
{
	if (!names_valid(name))
		return podctl_usage_error("invalid node name '%s'", name);
	return PODCTL_OK;
}

/*
 * Writes "/api/v1/nodes/<name><suffix>" into buf with the name encoded.
 * Returns PODCTL_OK, or PODCTL_EAPI (reported).
 */
static int
node_path(struct podctl *pc, char *buf, size_t size, const char *name,
    const char *suffix)
{
	char *esc;
	int n;

	if ((esc = rest_escape(pc->rest, name)) == NULL)
		return PODCTL_EAPI;
	n = snprintf(buf, size, "/api/v1/nodes/%s%s", esc, suffix);
	free(esc);
	if (n < 0 || (size_t)n >= size) {
		podctl_error("node name too long");
		return PODCTL_EAPI;
	}
	return PODCTL_OK;
}

int
cmd_nodes(struct podctl *pc, const struct args *a)
{
	const char *pod = args_get(a, "pod"), *state = args_get(a, "state");
	json_t *reply = NULL, *nodes;
	char path[PATH_MAX_LEN], *epod = NULL, *estate = NULL;
	int rc = PODCTL_EAPI, n;

	if (pod != NULL && !names_valid(pod))
		return podctl_usage_error("invalid pod name '%s'", pod);
	if (state != NULL && !state_valid(state))
		return podctl_usage_error(
		    "unknown node state '%s' (one of: "
		    "idle mixed allocated down draining drained)",
		    state);
	if ((pod != NULL && (epod = rest_escape(pc->rest, pod)) == NULL) ||
	    (state != NULL && (estate = rest_escape(pc->rest, state)) == NULL))
		goto fail;
	n = snprintf(path, sizeof(path), "/api/v1/nodes%s%s%s%s%s",
	    pod != NULL || state != NULL ? "?" : "", pod != NULL ? "pod=" : "",
	    pod != NULL ? epod : "",
	    pod != NULL && state != NULL ? "&state="
	    : state != NULL              ? "state="
	                                 : "",
	    state != NULL ? estate : "");
	if (n < 0 || (size_t)n >= sizeof(path)) {
		podctl_error("request path too long");
		goto fail;
	}
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		goto fail;
	if (!json_is_array(nodes = json_object_get(reply, "nodes")))
		rc = podctl_bad_reply("no 'nodes' array");
	else
		rc = podctl_print_table(pc, node_cols,
		    sizeof(node_cols) / sizeof(node_cols[0]), nodes);

fail:
	json_decref(reply);
	free(estate);
	free(epod);
	return rc;
}

static int
print_node(struct podctl *pc, json_t *node)
{
	json_t *accels = json_object_get(node, "accelerators");
	const char *by;
	char b1[64], b2[64], b3[64];

	podctl_line("Node", "%s", fmt_str(node, "name"));
	podctl_line("Pod", "%s, group %s", fmt_str(node, "pod"),
	    fmt_str(node, "group"));
	podctl_line("State", "%s", fmt_str(node, "state"));
	podctl_line("Reason", "%s", fmt_str(node, "reason"));
	by = fmt_str(node, "drained_by");
	fmt_time_ago(b1, sizeof(b1), node, "drained_at", pc->now_ms);
	if (strcmp(by, FMT_UNKNOWN) == 0)
		podctl_line("Drained", "%s", b1);
	else
		podctl_line("Drained", "%s by %s", b1, by);
	podctl_line(
	    "Power", "%s W", fmt_num(b1, sizeof(b1), node, "power_w", 1, 0));
	podctl_line("Coolant", "inlet %s °C, outlet %s °C, flow %s L/min",
	    fmt_num(b1, sizeof(b1), node, "inlet_c", 1, 1),
	    fmt_num(b2, sizeof(b2), node, "outlet_c", 1, 1),
	    fmt_num(b3, sizeof(b3), node, "flow_lpm", 1, 1));
	podctl_line("Leak", "%s", fmt_bool(node, "leak"));
	podctl_line("Last report", "%s",
	    fmt_time_ago(b1, sizeof(b1), node, "last_seen", pc->now_ms));
	podctl_line("Agent", "%s, boot %s", fmt_str(node, "agent_version"),
	    fmt_str(node, "boot_id"));
	if (!json_is_array(accels))
		return podctl_bad_reply("no 'accelerators' array");
	putchar('\n');
	return podctl_print_table(
	    pc, accel_cols, sizeof(accel_cols) / sizeof(accel_cols[0]), accels);
}

int
cmd_node_show(struct podctl *pc, const struct args *a)
{
	json_t *node = NULL;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = check_node(a->pos[0])) != PODCTL_OK ||
	    (rc = node_path(pc, path, sizeof(path), a->pos[0], "")) !=
	        PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", path, NULL, &node);
	if (rc != PODCTL_OK || node == NULL)
		return rc;
	if (!json_is_object(node))
		rc = podctl_bad_reply("not an object");
	else
		rc = print_node(pc, node);
	json_decref(node);
	return rc;
}

/* Prints "pod01-n003 draining: reason" from a node detail reply. */
static int
print_transition(json_t *node)
{
	json_t *reason;

	if (!json_is_object(node))
		return podctl_bad_reply("not an object");
	reason = json_object_get(node, "reason");
	printf("%s %s%s%s\n", fmt_str(node, "name"), fmt_str(node, "state"),
	    json_is_string(reason) ? ": " : "",
	    json_is_string(reason) ? json_string_value(reason) : "");
	return PODCTL_OK;
}

int
cmd_node_drain(struct podctl *pc, const struct args *a)
{
	const char *reason = args_get(a, "reason");
	json_t *body = NULL, *node = NULL;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = check_node(a->pos[0])) != PODCTL_OK)
		return rc;
	if (reason == NULL || reason[strspn(reason, " \t")] == '\0')
		return podctl_usage_error("node drain: --reason TEXT is "
		                          "required");
	if ((rc = node_path(pc, path, sizeof(path), a->pos[0], "/drain")) !=
	    PODCTL_OK)
		return rc;
	if ((body = json_pack("{s:s}", "reason", reason)) == NULL) {
		/* json_pack() refuses a string that is not UTF-8. */
		return podctl_usage_error("node drain: the reason must be "
		                          "UTF-8 text");
	}
	rc = podctl_call(pc, "POST", path, body, &node);
	if (rc == PODCTL_OK && node != NULL)
		rc = print_transition(node);
	json_decref(node);
	json_decref(body);
	return rc;
}

int
cmd_node_resume(struct podctl *pc, const struct args *a)
{
	json_t *node = NULL;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = check_node(a->pos[0])) != PODCTL_OK ||
	    (rc = node_path(pc, path, sizeof(path), a->pos[0], "/resume")) !=
	        PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "POST", path, NULL, &node);
	if (rc == PODCTL_OK && node != NULL)
		rc = print_transition(node);
	json_decref(node);
	return rc;
}
