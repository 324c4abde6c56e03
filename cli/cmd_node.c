/*
 * Node commands: "nodes" lists them, "node show" details nodes with their
 * accelerators, "node drain" and "node resume" take nodes out of and back
 * into service. Names and states are checked here before anything is sent,
 * so that a typo is a usage error (exit 2) with a precise message rather
 * than a 404 from the server.
 *
 * Nodes are named by host list expressions, "pod01-n[001-004,010]", as in
 * Slurm; each node is one request, so that one that fails (unknown, not
 * drained) is reported on its own line and the others still happen. The
 * exit status is that of the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "hostlist.h"
#include "names.h"
#include "podctl.h"
#include "rest.h"
#include "table.h"

#define PATH_MAX_LEN  4096  /* longest request path built here */
#define MAX_NODES_ARG 65536 /* nodes one command may name */

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
 * TABLE_WIDE columns are shown with -o wide or when named by --format.
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
    {"HEALTH", 2, TABLE_LEFT, 0, FMT_FIELD_STR("health")},
    {"ACCELS", TABLE_WIDE, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("accelerators_total", 1, 0)},
    {"HEAT_W", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("heat_w", 1, 0)},
    {"LEAK", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_BOOL("leak")},
    {"DRAINED", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_BOOL("drained")},
};

#define NNODE_COLS ((int)(sizeof(node_cols) / sizeof(node_cols[0])))

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

/*
 * Expands the NODES argument into hl, every name checked. Returns
 * PODCTL_OK, or PODCTL_EUSAGE after saying what is wrong (hl is then
 * empty). The caller frees hl with hostlist_free().
 */
static int
expand_nodes(const char *expr, struct hostlist *hl)
{
	char err[256];
	int i;

	if (hostlist_expand(expr, MAX_NODES_ARG, hl, err, sizeof(err)) == -1)
		return podctl_usage_error("%s", err);
	for (i = 0; i < hl->n; i++)
		if (!names_valid(hl->names[i])) {
			podctl_usage_error(
			    "invalid node name '%s'", hl->names[i]);
			hostlist_free(hl);
			return PODCTL_EUSAGE;
		}
	return PODCTL_OK;
}

/* Keeps the first failure as the exit status; 1 when the rest should be
 * given up (the server cannot be reached). */
static int
note_result(int *rc, int r)
{
	if (*rc == PODCTL_OK)
		*rc = r;
	return r == PODCTL_EUNREACHABLE;
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

/* The node problems of GET /nodes?problem=, as "--problem" accepts them. */
static const char *const node_problems[] = {"leak", "hot", "down", "unhealthy"};

static int
problem_valid(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(node_problems) / sizeof(node_problems[0]); i++)
		if (strcmp(node_problems[i], s) == 0)
			return 1;
	return 0;
}

/* Nodes a page when podctl pages through all of them: the server's most. */
#define NODES_PAGE 5000

/*
 * Filters of "nodes", each an option and the query parameter it becomes,
 * with the check of each item and what a bad one is called.
 */
static const struct {
	const char *opt;
	int (*valid)(const char *);
	const char *what;
} node_filters[] = {
    {"pod", names_valid, "invalid pod name"},
    {"group", names_valid, "invalid group name"},
    {"state", state_valid,
        "unknown node state (one of: idle mixed allocated down draining "
        "drained)"},
    {"problem", problem_valid,
        "unknown problem (one of: leak hot down unhealthy)"},
};

/* Appends "&KEY=escaped value" to q (len bytes); 0, or -1 when it does not
 * fit or cannot be escaped. */
static int
query_add(
    struct podctl *pc, char *q, size_t len, const char *key, const char *value)
{
	char *esc = rest_escape(pc->rest, value);
	size_t used = strlen(q);
	int n;

	if (esc == NULL)
		return -1;
	n = snprintf(q + used, len - used, "&%s=%s", key, esc);
	free(esc);
	return n < 0 || (size_t)n >= len - used ? -1 : 0;
}

/*
 * "nodes": GET /nodes with the filters. With --limit N, the first N; else
 * all of them, a page of NODES_PAGE at a time (after= the last name), so
 * that no one reply of a fabric is larger than a page; -o json prints the
 * pages' nodes as one {"nodes": […]}.
 */
int
cmd_nodes(struct podctl *pc, const struct args *a)
{
	const char *limit = args_get(a, "limit"), *v;
	enum podctl_output output = pc->output;
	json_t *all = json_array(), *reply = NULL, *nodes, *last;
	char q[PATH_MAX_LEN] = "", path[PATH_MAX_LEN + 64], bad[64];
	long want = 0;
	size_t i, got;
	char *end;
	int rc;

	for (i = 0; i < sizeof(node_filters) / sizeof(node_filters[0]); i++) {
		if ((v = args_get(a, node_filters[i].opt)) == NULL)
			continue;
		if (args_list_check(
		        v, node_filters[i].valid, bad, sizeof(bad)) == -1) {
			rc = podctl_usage_error("--%s: %s '%s'",
			    node_filters[i].opt, node_filters[i].what, bad);
			goto fail;
		}
		if (query_add(pc, q, sizeof(q), node_filters[i].opt, v) == -1) {
			rc = podctl_usage_error(
			    "--%s: too long a list", node_filters[i].opt);
			goto fail;
		}
	}
	if (limit != NULL) {
		want = strtol(limit, &end, 10);
		if (*limit < '0' || *limit > '9' || *end != '\0' || want < 1 ||
		    want > NODES_PAGE) {
			rc = podctl_usage_error(
			    "--limit: '%s' is not a whole number from 1 to %d",
			    limit, NODES_PAGE);
			goto fail;
		}
	}
	if ((rc = podctl_check_columns(pc, node_cols, NNODE_COLS)) != PODCTL_OK)
		goto fail;
	/* the pages come back parsed; -o json prints them merged below */
	pc->output = OUTPUT_TABLE;
	snprintf(path, sizeof(path), "/api/v1/nodes?limit=%ld%s",
	    want > 0 ? want : (long)NODES_PAGE, q);
	for (;;) {
		rc = podctl_call(pc, "GET", path, NULL, &reply);
		if (rc != PODCTL_OK || reply == NULL)
			goto fail;
		if (!json_is_array(nodes = json_object_get(reply, "nodes"))) {
			rc = podctl_bad_reply("no 'nodes' array");
			goto fail;
		}
		json_array_extend(all, nodes);
		got = json_array_size(nodes);
		last = json_array_get(nodes, got - 1);
		if (want > 0 || got < NODES_PAGE ||
		    !json_is_string(json_object_get(last, "name")))
			break;
		snprintf(path, sizeof(path), "/api/v1/nodes?limit=%d%s",
		    NODES_PAGE, q);
		if (query_add(pc, path, sizeof(path), "after",
		        json_string_value(json_object_get(last, "name"))) ==
		    -1) {
			rc =
			    podctl_bad_reply("a node name too long to page on");
			goto fail;
		}
		json_decref(reply);
		reply = NULL;
	}
	pc->output = output;
	if (output == OUTPUT_JSON) {
		json_t *o = json_pack("{s:O}", "nodes", all);

		if (o == NULL ||
		    json_dumpf(o, stdout,
		        JSON_COMPACT | JSON_REAL_PRECISION(10)) == -1) {
			json_decref(o);
			rc = podctl_bad_reply("out of memory");
			goto fail;
		}
		fputc('\n', stdout);
		json_decref(o);
	} else
		rc = podctl_print_table(pc, node_cols, NNODE_COLS, all);
fail:
	pc->output = output;
	json_decref(reply);
	json_decref(all);
	return rc;
}

/* "Health: ok", or each condition with since when and whether an
 * operator resumed the node over it, on one line. */
static void
print_health(struct podctl *pc, json_t *node)
{
	json_t *conds = json_object_get(node, "health_conditions"), *c;
	char line[512] = "", ago[64];
	size_t i, len;

	if (json_array_size(conds) == 0) {
		podctl_line("Health", "%s", fmt_str(node, "health"));
		return;
	}
	json_array_foreach(conds, i, c)
	{
		len = strlen(line);
		snprintf(line + len, sizeof(line) - len, "%s%s since %s%s",
		    i > 0 ? "; " : "", fmt_str(c, "condition"),
		    fmt_time_ago(ago, sizeof(ago), c, "since", pc->now_ms),
		    json_is_true(json_object_get(c, "forced"))
		        ? " (resumed over it with --force)"
		        : "");
	}
	podctl_line("Health", "%s", line);
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
	print_health(pc, node);
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
	struct hostlist hl;
	json_t *node;
	char path[PATH_MAX_LEN];
	int rc = PODCTL_OK, r, i;

	if ((r = expand_nodes(a->pos[0], &hl)) != PODCTL_OK)
		return r;
	for (i = 0; i < hl.n; i++) {
		node = NULL;
		if ((r = node_path(pc, path, sizeof(path), hl.names[i], "")) ==
		        PODCTL_OK &&
		    (r = podctl_call(pc, "GET", path, NULL, &node)) ==
		        PODCTL_OK &&
		    node != NULL) {
			/* Nodes after the first are set apart by a line. */
			if (i > 0)
				putchar('\n');
			if (!json_is_object(node))
				r = podctl_bad_reply("not an object");
			else
				r = print_node(pc, node);
		}
		json_decref(node);
		if (r != PODCTL_OK && note_result(&rc, r))
			break;
	}
	hostlist_free(&hl);
	return rc;
}

/* node credential NODE: the credential to install on the node
 * (docs/security.md); only it on stdout, so that it can go to a file. */
int
cmd_node_credential(struct podctl *pc, const struct args *a)
{
	json_t *reply = NULL, *cred;
	char path[PATH_MAX_LEN];
	int rc;

	if ((rc = node_path(pc, path, sizeof(path), a->pos[0],
	         "/credential")) != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		goto fail;
	cred = json_object_get(reply, "credential");
	if (!json_is_string(cred))
		rc = podctl_bad_reply("no 'credential'");
	else
		printf("%s\n", json_string_value(cred));
fail:
	json_decref(reply);
	return rc;
}

/*
 * Prints "pod01-n003 draining: reason" from a node detail reply, with what
 * a drain replaced: " (replaced reason 'old' set by alice at TIME)", or
 * that it was there already.
 */
static int
print_transition(json_t *node)
{
	json_t *reason, *old;

	if (!json_is_object(node))
		return podctl_bad_reply("not an object");
	reason = json_object_get(node, "reason");
	printf("%s %s%s%s", fmt_str(node, "name"), fmt_str(node, "state"),
	    json_is_string(reason) ? ": " : "",
	    json_is_string(reason) ? json_string_value(reason) : "");
	old = json_object_get(node, "replaced");
	if (json_is_object(old)) {
		printf(" (replaced reason '%s'", fmt_str(old, "reason"));
		if (json_is_string(json_object_get(old, "drained_by")))
			printf(" set by %s", fmt_str(old, "drained_by"));
		if (json_is_string(json_object_get(old, "drained_at")))
			printf(" at %s", fmt_str(old, "drained_at"));
		putchar(')');
	}
	if (json_is_true(json_object_get(node, "unchanged")))
		printf(" (already drained so by %s at %s: nothing changed)",
		    fmt_str(node, "drained_by"), fmt_str(node, "drained_at"));
	putchar('\n');
	return PODCTL_OK;
}

/* Sends `method` to path `suffix` of every node of hl, with body, and
 * prints each new state. Returns the first failure, or PODCTL_OK. */
static int
each_node(struct podctl *pc, const struct hostlist *hl, const char *suffix,
    json_t *body)
{
	json_t *node;
	char path[PATH_MAX_LEN];
	int rc = PODCTL_OK, r, i;

	for (i = 0; i < hl->n; i++) {
		node = NULL;
		if ((r = node_path(pc, path, sizeof(path), hl->names[i],
		         suffix)) == PODCTL_OK &&
		    (r = podctl_call(pc, "POST", path, body, &node)) ==
		        PODCTL_OK &&
		    node != NULL)
			r = print_transition(node);
		json_decref(node);
		if (r != PODCTL_OK && note_result(&rc, r))
			break;
	}
	return rc;
}

int
cmd_node_drain(struct podctl *pc, const struct args *a)
{
	const char *reason = args_get(a, "reason");
	struct hostlist hl;
	json_t *body;
	int rc;

	if (reason == NULL || reason[strspn(reason, " \t")] == '\0')
		return podctl_usage_error("node drain: --reason TEXT is "
		                          "required");
	if ((body = json_pack("{s:s}", "reason", reason)) == NULL) {
		/* json_pack() refuses a string that is not UTF-8. */
		return podctl_usage_error("node drain: the reason must be "
		                          "UTF-8 text");
	}
	if ((rc = expand_nodes(a->pos[0], &hl)) == PODCTL_OK) {
		rc = each_node(pc, &hl, "/drain", body);
		hostlist_free(&hl);
	}
	json_decref(body);
	return rc;
}

int
cmd_node_resume(struct podctl *pc, const struct args *a)
{
	struct hostlist hl;
	json_t *body = NULL;
	int rc;

	if ((rc = expand_nodes(a->pos[0], &hl)) != PODCTL_OK)
		return rc;
	/* --force: the server resumes the node over the conditions its
	 * guard reports, and audits it */
	if (args_get(a, "force") != NULL)
		body = json_pack("{s:b}", "force", 1);
	rc = each_node(pc, &hl, "/resume", body);
	json_decref(body);
	hostlist_free(&hl);
	return rc;
}
