/*
 * Power commands: "policy get|set" show and change the DVFS policy of the
 * fleet, a pod or a node; "power get|cap|curtail" show the facility's
 * power and change its cap and curtailment. What an operator types is
 * checked by powreq.c before a request goes out; this file sends it and
 * renders the answer, adding no arithmetic beyond unit conversion, so that
 * podctl and the dashboard cannot disagree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "log.h"
#include "podctl.h"
#include "powreq.h"
#include "table.h"

#define PATH_MAX_LEN 128 /* longest request path built here */
#define TEXT_LEN     256 /* a policy with its parameters, "power_cap …" */
#define J_PER_KWH    3.6e6

/*
 * Columns of the overrides of "policy get". Per column: title; priority
 * (0 always shown, larger dropped sooner when the terminal is narrow);
 * alignment; how far free text may be cut (0 never); then the field shown:
 * kind, member, second member of a ratio, scale, decimal places. "_params"
 * comes from add_overrides().
 */
static const struct table_col override_cols[] = {
    {"SCOPE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("scope")},
    {"TARGET", 0, TABLE_LEFT, 0, FMT_FIELD_STR("target")},
    {"POLICY", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"PARAMS", 1, TABLE_LEFT, 12, FMT_FIELD_STR("_params")},
};

/* Columns of the pods of "power get", as override_cols. BUDGET_KW is
 * what the pod may draw now, CAPPED_BY what holds it below CONFIGURED_KW
 * ("_capped_by" comes from add_capped_by()); HEADROOM_KW is the power
 * headroom under BUDGET_KW; the cooling pair goes together. */
static const struct table_col power_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"POWER_KW", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("power_w", 1e-3, 1)},
    {"BUDGET_KW", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("budget_w", 1e-3, 1)},
    {"HEADROOM_KW", 1, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("power_headroom_w", 1e-3, 1)},
    {"CAPPED_BY", 1, TABLE_LEFT, 0, FMT_FIELD_STR("_capped_by")},
    {"CONFIGURED_KW", 2, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("configured_budget_w", 1e-3, 1)},
    {"HEAT_KW", 2, TABLE_RIGHT, 0, FMT_FIELD_NUM("heat_w", 1e-3, 1)},
    {"COOLING_KW", 3, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("cooling_capacity_w", 1e-3, 1)},
    {"COOLING_HEADROOM_KW", 3, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("cooling_headroom_w", 1e-3, 1)},
    {"ENERGY_KWH", 4, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("energy_j", 1 / J_PER_KWH, 1)},
};

static int
str_cmp(const void *pa, const void *pb)
{
	const char *const *a = pa, *const *b = pb;

	return strcmp(*a, *b);
}

/*
 * Appends one row {scope, target, name, _params} to rows per member of
 * the object overrides ({"pod01": {"name", "params"}}), by target name.
 * A missing or null object has none. Returns PODCTL_OK, or PODCTL_EAPI
 * (reported).
 */
static int
add_overrides(json_t *rows, const char *scope, json_t *overrides)
{
	const char **keys = NULL, *k;
	char params[TEXT_LEN];
	json_t *v, *row;
	size_t i, n = 0;
	int rc = PODCTL_EAPI;

	if (overrides == NULL || json_is_null(overrides))
		return PODCTL_OK;
	if (!json_is_object(overrides))
		return podctl_bad_reply("overrides are not an object");
	if ((keys = calloc(json_object_size(overrides) + 1, sizeof(*keys))) ==
	    NULL) {
		log_warn("%s", __func__);
		return PODCTL_EAPI;
	}
	json_object_foreach(overrides, k, v)
	{
		keys[n++] = k;
	}
	qsort(keys, n, sizeof(*keys), str_cmp);
	for (i = 0; i < n; i++) {
		v = json_object_get(overrides, keys[i]);
		powreq_params_text(
		    params, sizeof(params), json_object_get(v, "params"));
		row = json_pack("{s:s,s:s,s:s,s:s}", "scope", scope, "target",
		    keys[i], "name", fmt_str(v, "name"), "_params",
		    params[0] != '\0' ? params : FMT_UNKNOWN);
		if (row == NULL || json_array_append_new(rows, row) == -1) {
			log_warnx("%s: cannot add %s", __func__, keys[i]);
			goto fail;
		}
	}
	rc = PODCTL_OK;

fail:
	free(keys);
	return rc;
}

/* "policy get" without a target: the fleet's policy, then the overrides. */
static int
print_policies(struct podctl *pc, json_t *reply)
{
	json_t *rows;
	char text[TEXT_LEN];
	int rc;

	podctl_line("Fleet policy", "%s",
	    powreq_policy_text(
	        text, sizeof(text), json_object_get(reply, "fleet")));
	if ((rows = json_array()) == NULL) {
		log_warnx("%s: out of memory", __func__);
		return PODCTL_EAPI;
	}
	if ((rc = add_overrides(rows, "pod", json_object_get(reply, "pods"))) !=
	        PODCTL_OK ||
	    (rc = add_overrides(
	         rows, "node", json_object_get(reply, "nodes"))) != PODCTL_OK)
		goto fail;
	if (json_array_size(rows) == 0)
		podctl_line("Overrides", "none");
	else {
		putchar('\n');
		rc = podctl_print_table(pc, override_cols,
		    sizeof(override_cols) / sizeof(override_cols[0]), rows);
	}

fail:
	json_decref(rows);
	return rc;
}

/* "policy get" of a pod or a node: its own policy and, when the reply
 * says, the one in force. */
static void
print_policy(json_t *reply)
{
	json_t *own = json_object_get(reply, "policy"),
	       *eff = json_object_get(reply, "effective");
	const char *source = fmt_str(eff, "source");
	char text[TEXT_LEN];

	podctl_line("Scope", "%s", fmt_str(reply, "scope"));
	podctl_line("Target", "%s", fmt_str(reply, "target"));
	if (json_is_object(own))
		podctl_line("Policy", "%s",
		    powreq_policy_text(text, sizeof(text), own));
	else
		podctl_line("Policy", "none, inherited");
	if (!json_is_object(eff))
		return;
	powreq_policy_text(text, sizeof(text), eff);
	if (strcmp(source, FMT_UNKNOWN) == 0)
		podctl_line("Effective", "%s", text);
	else
		podctl_line("Effective", "%s (from %s)", text, source);
}

int
cmd_policy_get(struct podctl *pc, const struct args *a)
{
	const char *scope, *target;
	json_t *reply = NULL;
	char path[PATH_MAX_LEN], err[256];
	int rc;

	if (powreq_scope(args_get(a, "pod"), args_get(a, "node"), &scope,
	        &target, err, sizeof(err)) == -1)
		return podctl_usage_error("policy get: %s", err);
	/* A valid name is [a-z0-9-_.]: nothing to encode. */
	if (target == NULL)
		snprintf(path, sizeof(path), "/api/v1/policy");
	else
		snprintf(
		    path, sizeof(path), "/api/v1/policy?%s=%s", scope, target);
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_object(reply))
		rc = podctl_bad_reply("not an object");
	else if (target == NULL)
		rc = print_policies(pc, reply);
	else
		print_policy(reply);
	json_decref(reply);
	return rc;
}

int
cmd_policy_set(struct podctl *pc, const struct args *a)
{
	json_t *body, *reply = NULL, *eff, *set;
	const char *target;
	char err[512], who[128], text[TEXT_LEN];
	int rc;

	if ((body = powreq_policy_body(args_get(a, "pod"), args_get(a, "node"),
	         a->pos, a->npos, err, sizeof(err))) == NULL)
		return podctl_usage_error("policy set: %s", err);
	rc = podctl_call(pc, "PUT", "/api/v1/policy", body, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		goto fail;
	target = fmt_str(body, "target");
	if (strcmp(target, FMT_UNKNOWN) == 0)
		snprintf(who, sizeof(who), "fleet");
	else
		snprintf(
		    who, sizeof(who), "%s %s", fmt_str(body, "scope"), target);
	if (strcmp(fmt_str(body, "name"), POWREQ_INHERIT) != 0) {
		/* The policy as the server stored it, defaults filled in:
		 * a pod's or node's "policy", or the overview's "fleet". */
		set = json_object_get(reply, "policy");
		if (!json_is_object(set))
			set = json_object_get(reply, "fleet");
		if (!json_is_object(set) ||
		    json_object_get(set, "name") == NULL)
			set = body;
		printf("%s: policy %s\n", who,
		    powreq_policy_text(text, sizeof(text), set));
		goto fail;
	}
	/* What the pod or node has now, when the reply says. */
	eff = json_object_get(reply, "effective");
	if (json_is_object(eff))
		printf("%s: override removed, now %s (from %s)\n", who,
		    powreq_policy_text(text, sizeof(text), eff),
		    fmt_str(eff, "source"));
	else
		printf("%s: override removed\n", who);

fail:
	json_decref(reply);
	json_decref(body);
	return rc;
}

/* Writes the energy obj[key] in joules as kWh, or MWh from 1000 kWh on;
 * "-" when unknown. Returns buf. */
static const char *
energy_kwh(char *buf, size_t size, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	double kwh;

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		snprintf(buf, size, "%s", FMT_UNKNOWN);
	else if (fabs(kwh = json_number_value(v) / J_PER_KWH) < 1000)
		snprintf(buf, size, "%.1f kWh", kwh);
	else
		snprintf(buf, size, "%.2f MWh", kwh / 1000);
	return buf;
}

/* Writes a percentage obj[key] without decimals when whole ("20"), else
 * with one ("12.5"); "-" when unknown. Returns buf. */
static const char *
pct_text(char *buf, size_t size, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	double d = json_number_value(v);

	return fmt_num(
	    buf, size, obj, key, 1, json_is_number(v) && d == floor(d) ? 0 : 1);
}

/* 1 when obj[key] is a number other than 0. */
static int
nonzero(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_number(v) && json_number_value(v) != 0;
}

/* "20% (target 650.0 kW, achieved 18.0%)", leaving out what the server
 * does not know yet (no power reading to curtail from). Returns buf. */
static const char *
curtailment(char *buf, size_t size, json_t *p)
{
	char pct[32], kw[32], got[32];
	int known_kw = json_is_number(json_object_get(p, "curtail_target_w")),
	    known_got =
	        json_is_number(json_object_get(p, "curtail_achieved_pct"));

	pct_text(pct, sizeof(pct), p, "curtail_pct");
	fmt_num(kw, sizeof(kw), p, "curtail_target_w", 1e-3, 1);
	fmt_num(got, sizeof(got), p, "curtail_achieved_pct", 1, 1);
	if (known_kw && known_got)
		snprintf(buf, size, "%s%% (target %s kW, achieved %s%%)", pct,
		    kw, got);
	else if (known_kw)
		snprintf(buf, size, "%s%% (target %s kW)", pct, kw);
	else
		snprintf(buf, size, "%s%%", pct);
	return buf;
}

/* Adds "_capped_by" to every pod of pods, in words ("-" when nothing
 * holds its budget down), for the CAPPED_BY column. Returns PODCTL_OK, or
 * PODCTL_EAPI (reported). */
static int
add_capped_by(json_t *pods)
{
	const char *by;
	json_t *pod;
	size_t i;

	json_array_foreach(pods, i, pod)
	{
		if (!json_is_object(pod))
			return podctl_bad_reply("a pod is not an object");
		by = powreq_capped_by_text(pod);
		if (json_object_set_new(pod, "_capped_by",
		        json_string(by[0] != '\0' ? by : FMT_UNKNOWN)) == -1) {
			log_warnx("%s: out of memory", __func__);
			return PODCTL_EAPI;
		}
	}
	return PODCTL_OK;
}

int
cmd_power_get(struct podctl *pc, const struct args *a)
{
	json_t *p = NULL, *pods;
	char b1[32], text[TEXT_LEN];
	int rc;

	rc = podctl_call(pc, "GET", "/api/v1/power", NULL, &p);
	if (rc != PODCTL_OK || p == NULL)
		return rc;
	if (!json_is_object(p)) {
		rc = podctl_bad_reply("not an object");
		goto fail;
	}
	podctl_line("IT power", "%s kW of %s",
	    fmt_num(b1, sizeof(b1), p, "power_w", 1e-3, 1),
	    powreq_budget_text(text, sizeof(text), p));
	if (json_is_number(json_object_get(p, "cap_w")))
		podctl_line("Facility cap", "%s kW",
		    fmt_num(b1, sizeof(b1), p, "cap_w", 1e-3, 1));
	else
		podctl_line("Facility cap", "none");
	if (nonzero(p, "curtail_pct"))
		podctl_line(
		    "Curtailment", "%s", curtailment(text, sizeof(text), p));
	else
		podctl_line("Curtailment", "none");
	podctl_line("Limits set by", "%s", fmt_str(p, "source"));
	podctl_line("Energy", "%s", energy_kwh(b1, sizeof(b1), p, "energy_j"));
	if (!json_is_array(pods = json_object_get(p, "pods"))) {
		rc = podctl_bad_reply("no 'pods' array");
		goto fail;
	}
	if ((rc = add_capped_by(pods)) != PODCTL_OK)
		goto fail;
	putchar('\n');
	rc = podctl_print_table(
	    pc, power_cols, sizeof(power_cols) / sizeof(power_cols[0]), pods);

fail:
	json_decref(p);
	return rc;
}

/* The reply when it has member key, else what was sent: the state as the
 * server reports it, or as asked when it does not say. */
static json_t *
either(json_t *reply, json_t *sent, const char *key)
{
	return json_object_get(reply, key) != NULL ? reply : sent;
}

/* " (IT power 812.3 kW)" from the reply, or "" when it has no power. */
static const char *
it_power(char *buf, size_t size, json_t *reply)
{
	char kw[32];

	buf[0] = '\0';
	if (json_is_number(json_object_get(reply, "power_w")))
		snprintf(buf, size, " (IT power %s kW)",
		    fmt_num(kw, sizeof(kw), reply, "power_w", 1e-3, 1));
	return buf;
}

/* Sends body to PUT /api/v1/power. Returns as podctl_call(), with *reply
 * an object or NULL (-o json). */
static int
put_power(struct podctl *pc, json_t *body, json_t **reply)
{
	int rc;

	rc = podctl_call(pc, "PUT", "/api/v1/power", body, reply);
	if (rc == PODCTL_OK && *reply != NULL && !json_is_object(*reply)) {
		json_decref(*reply);
		*reply = NULL;
		rc = podctl_bad_reply("not an object");
	}
	return rc;
}

int
cmd_power_cap(struct podctl *pc, const struct args *a)
{
	json_t *body, *reply = NULL, *src;
	char err[256], kw[32], pw[64];
	int rc;

	if ((body = powreq_cap_body(a->pos[0], err, sizeof(err))) == NULL)
		return podctl_usage_error("power cap: %s", err);
	rc = put_power(pc, body, &reply);
	if (rc == PODCTL_OK && reply != NULL) {
		src = either(reply, body, "cap_w");
		it_power(pw, sizeof(pw), reply);
		if (json_is_number(json_object_get(src, "cap_w")))
			printf("facility cap %s kW%s\n",
			    fmt_num(kw, sizeof(kw), src, "cap_w", 1e-3, 1), pw);
		else
			printf("facility cap removed%s\n", pw);
	}
	json_decref(reply);
	json_decref(body);
	return rc;
}

int
cmd_power_curtail(struct podctl *pc, const struct args *a)
{
	json_t *body, *reply = NULL, *src;
	char err[256], pct[32], kw[32], pw[64];
	int rc;

	if ((body = powreq_curtail_body(a->pos[0], err, sizeof(err))) == NULL)
		return podctl_usage_error("power curtail: %s", err);
	rc = put_power(pc, body, &reply);
	if (rc == PODCTL_OK && reply != NULL) {
		src = either(reply, body, "curtail_pct");
		it_power(pw, sizeof(pw), reply);
		if (!nonzero(src, "curtail_pct"))
			printf("curtailment ended%s\n", pw);
		else if (json_is_number(
		             json_object_get(reply, "curtail_target_w")))
			printf("curtailment %s%%, target %s kW%s\n",
			    pct_text(pct, sizeof(pct), src, "curtail_pct"),
			    fmt_num(kw, sizeof(kw), reply, "curtail_target_w",
			        1e-3, 1),
			    pw);
		else
			printf("curtailment %s%%%s\n",
			    pct_text(pct, sizeof(pct), src, "curtail_pct"), pw);
	}
	json_decref(reply);
	json_decref(body);
	return rc;
}
