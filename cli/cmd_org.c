/*
 * The site's organisation: "account", "user", "qos", "partition" and
 * "reservation" (/api/v1/accounts, /users, /qos, /partitions,
 * /reservations). Listings are tables like the others (-o json prints the
 * server's reply as it came); a change prints the object the server
 * made, as "show" does. Names go into paths, so podctl takes only the
 * characters the server allows in them (A-Z a-z 0-9 - _ .) and says so
 * before sending anything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cred.h"
#include "fmt.h"
#include "podctl.h"
#include "table.h"

#define ORG_NAME_MAX 63   /* longest account, user or reservation name */
#define ORG_PATH_MAX 160  /* "/api/v1/accounts/NAME" */
#define ORG_LIST_MAX 4096 /* a joined list shown in one cell */

/* Columns of the listings (see cmd_alarm.c for what each one means).
 * Array members are shown joined by commas (joined()). */
static const struct table_col account_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"PARENT", 0, TABLE_LEFT, 0, FMT_FIELD_STR("parent")},
    {"SHARES", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("shares", 1, 0)},
    {"USERS", 2, TABLE_LEFT, 12, FMT_FIELD_STR("users")},
    {"DESCRIPTION", 3, TABLE_LEFT, 12, FMT_FIELD_STR("description")},
};
static const struct table_col user_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"DEFAULT", 0, TABLE_LEFT, 0, FMT_FIELD_STR("default_account")},
    {"ACCOUNTS", 1, TABLE_LEFT, 12, FMT_FIELD_STR("accounts")},
};
static const struct table_col qos_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"DEFAULT", 2, TABLE_LEFT, 0, FMT_FIELD_BOOL("default")},
    {"PRIORITY", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("priority", 1, 0)},
    {"MAX_WALL_S", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("max_wall_s", 1, 0)},
    {"JOBS/USER", 3, TABLE_RIGHT, 0, FMT_FIELD_NUM("max_jobs_per_user", 1, 0)},
    {"ACCELS/USER", 3, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("max_accels_per_user", 1, 0)},
    {"JOBS/ACCOUNT", 4, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("max_jobs_per_account", 1, 0)},
    {"ACCELS/ACCOUNT", 4, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("max_accels_per_account", 1, 0)},
    {"PREEMPT", 5, TABLE_LEFT, 8, FMT_FIELD_STR("preempt")},
};
static const struct table_col partition_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"DEFAULT", 2, TABLE_LEFT, 0, FMT_FIELD_BOOL("default")},
    {"NODES", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("nodes_total", 1, 0)},
    {"DEFAULT_TIME_S", 3, TABLE_RIGHT, 0,
        FMT_FIELD_NUM("default_time_s", 1, 0)},
    {"MAX_TIME_S", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("max_time_s", 1, 0)},
    {"ACCOUNTS", 4, TABLE_LEFT, 8, FMT_FIELD_STR("accounts")},
    {"NODELIST", 5, TABLE_LEFT, 12, FMT_FIELD_STR("nodes")},
};
static const struct table_col resv_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"STATE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("state")},
    {"START", 0, TABLE_LEFT, 0, FMT_FIELD_STR("start")},
    {"END", 1, TABLE_LEFT, 0, FMT_FIELD_STR("end")},
    {"MAINT", 2, TABLE_LEFT, 0, FMT_FIELD_BOOL("maint")},
    {"ACCOUNT", 2, TABLE_LEFT, 0, FMT_FIELD_STR("account")},
    {"NODES", 3, TABLE_RIGHT, 0, FMT_FIELD_NUM("nodes_total", 1, 0)},
    {"NODELIST", 4, TABLE_LEFT, 12, FMT_FIELD_STR("nodes")},
    {"CREATED_BY", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_STR("created_by")},
};

#define NCOLS(c) ((int)(sizeof(c) / sizeof(c[0])))

/* 1 when s may be an account, user or reservation name. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= ORG_NAME_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789-_.") == n;
}

/* PREFIX NAME into path after checking NAME; a PODCTL_* code. */
static int
name_path(char *path, size_t size, const char *what, const char *prefix,
    const char *name)
{
	if (!name_ok(name))
		return podctl_usage_error("%s: invalid name '%s' (1 to %d "
		                          "characters A-Z a-z 0-9 - _ .)",
		    what, name, ORG_NAME_MAX);
	snprintf(path, size, "%s%s", prefix, name);
	return PODCTL_OK;
}

/* A copy of obj whose array members are strings joined by commas, for a
 * table's cell. NULL when out of memory. */
static json_t *
joined(json_t *obj)
{
	json_t *row = json_deep_copy(obj), *v, *x;
	const char *key;
	char buf[ORG_LIST_MAX];
	size_t i, len;

	if (row == NULL)
		return NULL;
	json_object_foreach(row, key, v)
	{
		if (!json_is_array(v))
			continue;
		buf[0] = '\0';
		json_array_foreach(v, i, x)
		{
			len = strlen(buf);
			snprintf(buf + len, sizeof(buf) - len, "%s%s",
			    i ? "," : "",
			    json_is_string(x) ? json_string_value(x) : "?");
		}
		if (json_object_set_new(row, key, json_string(buf)) == -1) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

/* GET path, then the table of its member `member` (an array). */
static int
list(struct podctl *pc, const char *path, const char *member,
    const struct table_col *cols, int ncols)
{
	json_t *reply = NULL, *v, *rows = NULL, *row;
	size_t i;
	int rc;

	if ((rc = podctl_check_columns(pc, cols, ncols)) != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(v = json_object_get(reply, member))) {
		char what[64];

		snprintf(what, sizeof(what), "no '%s' array", member);
		rc = podctl_bad_reply(what);
		goto done;
	}
	if ((rows = json_array()) == NULL)
		goto oom;
	for (i = 0; i < json_array_size(v); i++)
		if ((row = joined(json_array_get(v, i))) == NULL ||
		    json_array_append_new(rows, row) == -1)
			goto oom;
	rc = podctl_print_table(pc, cols, ncols, rows);
	goto done;
oom:
	podctl_error("out of memory");
	rc = PODCTL_EAPI;
done:
	json_decref(rows);
	json_decref(reply);
	return rc;
}

/* Prints every member of obj as "Label: value", arrays joined. */
static void
print_object(json_t *obj)
{
	json_t *row = joined(obj), *v;
	const char *key;
	char label[64];
	size_t i;

	if (row == NULL) {
		podctl_error("out of memory");
		return;
	}
	json_object_foreach(row, key, v)
	{
		snprintf(label, sizeof(label), "%s", key);
		label[0] = (char)(label[0] >= 'a' && label[0] <= 'z'
		                      ? label[0] - 'a' + 'A'
		                      : label[0]);
		for (i = 0; label[i] != '\0'; i++)
			if (label[i] == '_')
				label[i] = ' ';
		if (json_is_string(v))
			podctl_line(label, "%s", json_string_value(v));
		else if (json_is_null(v))
			podctl_line(label, "-");
		else if (json_is_boolean(v))
			podctl_line(
			    label, "%s", json_is_true(v) ? "yes" : "no");
		else if (json_is_integer(v))
			podctl_line(
			    label, "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			podctl_line(label, "%g", json_real_value(v));
	}
	json_decref(row);
}

/* Sends method path body and prints the object of the reply. */
static int
change(struct podctl *pc, const char *method, const char *path, json_t *body)
{
	json_t *reply = NULL;
	int rc = podctl_call(pc, method, path, body, &reply);

	if (rc == PODCTL_OK && reply != NULL) {
		if (json_is_object(reply))
			print_object(reply);
		else
			rc = podctl_bad_reply("not an object");
	}
	json_decref(reply);
	json_decref(body);
	return rc;
}

/* A comma-separated list as a JSON array of strings, each checked as a
 * name; NULL after a usage error (*rc set). */
static json_t *
name_array(const char *what, const char *list, int *rc)
{
	json_t *a = json_array();
	char item[ORG_NAME_MAX + 2];
	const char *p = list, *end;
	size_t len;

	while (a != NULL) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		snprintf(item, sizeof(item), "%.*s",
		    (int)(len < sizeof(item) ? len : sizeof(item) - 1), p);
		if (len == 0 || len > ORG_NAME_MAX || !name_ok(item)) {
			*rc = podctl_usage_error("%s: invalid name '%.*s' in "
			                         "the list",
			    what, (int)len, p);
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, json_string(item));
		if (*end == '\0')
			return a;
		p = end + 1;
	}
	*rc = PODCTL_EAPI;
	podctl_error("out of memory");
	return NULL;
}

/* ---- accounts ---- */

int
cmd_account_list(struct podctl *pc, const struct args *a)
{
	(void)a;
	return list(pc, "/api/v1/accounts", "accounts", account_cols,
	    NCOLS(account_cols));
}

int
cmd_account_show(struct podctl *pc, const struct args *a)
{
	char path[ORG_PATH_MAX];
	int rc = name_path(
	    path, sizeof(path), "account show", "/api/v1/accounts/", a->pos[0]);

	return rc != PODCTL_OK ? rc : change(pc, "GET", path, NULL);
}

/* The body of "account add" and "account modify". NULL after a usage
 * error (*rc set). */
static json_t *
account_body(const char *what, const struct args *a, int *rc)
{
	const char *parent = args_get(a, "parent"),
	           *shares = args_get(a, "shares"),
	           *desc = args_get(a, "description");
	json_t *body = json_object();
	char *end;
	double s;

	if (parent != NULL && !name_ok(parent)) {
		*rc = podctl_usage_error(
		    "%s: invalid --parent '%s'", what, parent);
		goto fail;
	}
	if (shares != NULL) {
		s = strtod(shares, &end);
		if (*shares == '\0' || *end != '\0' || !(s > 0) || s > 1e9) {
			*rc = podctl_usage_error("%s: --shares '%s' is not a "
			                         "number over 0",
			    what, shares);
			goto fail;
		}
		json_object_set_new(body, "shares", json_real(s));
	}
	if (parent != NULL)
		json_object_set_new(body, "parent", json_string(parent));
	if (desc != NULL) {
		json_t *d = json_string(desc);

		if (d == NULL) {
			*rc = podctl_usage_error(
			    "%s: --description is not valid UTF-8", what);
			goto fail;
		}
		json_object_set_new(body, "description", d);
	}
	return body;
fail:
	json_decref(body);
	return NULL;
}

int
cmd_account_add(struct podctl *pc, const struct args *a)
{
	json_t *body;
	int rc = PODCTL_OK;

	if (!name_ok(a->pos[0]))
		return podctl_usage_error(
		    "account add: invalid name '%s'", a->pos[0]);
	if ((body = account_body("account add", a, &rc)) == NULL)
		return rc;
	json_object_set_new(body, "name", json_string(a->pos[0]));
	return change(pc, "POST", "/api/v1/accounts", body);
}

int
cmd_account_modify(struct podctl *pc, const struct args *a)
{
	char path[ORG_PATH_MAX];
	json_t *body;
	int rc = name_path(path, sizeof(path), "account modify",
	    "/api/v1/accounts/", a->pos[0]);

	if (rc != PODCTL_OK)
		return rc;
	if ((body = account_body("account modify", a, &rc)) == NULL)
		return rc;
	if (json_object_size(body) == 0) {
		json_decref(body);
		return podctl_usage_error("account modify: nothing to change "
		                          "(--parent, --shares, "
		                          "--description)");
	}
	return change(pc, "PATCH", path, body);
}

/* ---- users ---- */

int
cmd_user_list(struct podctl *pc, const struct args *a)
{
	(void)a;
	return list(pc, "/api/v1/users", "users", user_cols, NCOLS(user_cols));
}

int
cmd_user_show(struct podctl *pc, const struct args *a)
{
	char path[ORG_PATH_MAX];
	int rc = name_path(
	    path, sizeof(path), "user show", "/api/v1/users/", a->pos[0]);

	return rc != PODCTL_OK ? rc : change(pc, "GET", path, NULL);
}

/* "user add" and "user modify". */
static int
user_write(struct podctl *pc, const struct args *a, int modify)
{
	const char *what = modify ? "user modify" : "user add";
	const char *accounts = args_get(a, "account"),
	           *dflt = args_get(a, "default-account");
	char path[ORG_PATH_MAX];
	json_t *body, *arr;
	int rc =
	    name_path(path, sizeof(path), what, "/api/v1/users/", a->pos[0]);

	if (rc != PODCTL_OK)
		return rc;
	if (!modify && accounts == NULL)
		return podctl_usage_error(
		    "user add: --account ACCOUNT[,ACCOUNT...] is required");
	if (modify && accounts == NULL && dflt == NULL)
		return podctl_usage_error("user modify: nothing to change "
		                          "(--account, --default-account)");
	if (dflt != NULL && !name_ok(dflt))
		return podctl_usage_error(
		    "%s: invalid --default-account '%s'", what, dflt);
	body = json_object();
	if (accounts != NULL) {
		if ((arr = name_array(what, accounts, &rc)) == NULL) {
			json_decref(body);
			return rc;
		}
		json_object_set_new(body, "accounts", arr);
	}
	if (dflt != NULL)
		json_object_set_new(body, "default_account", json_string(dflt));
	if (modify)
		return change(pc, "PATCH", path, body);
	json_object_set_new(body, "name", json_string(a->pos[0]));
	return change(pc, "POST", "/api/v1/users", body);
}

int
cmd_user_add(struct podctl *pc, const struct args *a)
{
	return user_write(pc, a, 0);
}

int
cmd_user_modify(struct podctl *pc, const struct args *a)
{
	return user_write(pc, a, 1);
}

/* ---- QOS and partitions ---- */

int
cmd_qos_list(struct podctl *pc, const struct args *a)
{
	(void)a;
	return list(pc, "/api/v1/qos", "qos", qos_cols, NCOLS(qos_cols));
}

int
cmd_partition_list(struct podctl *pc, const struct args *a)
{
	(void)a;
	return list(pc, "/api/v1/partitions", "partitions", partition_cols,
	    NCOLS(partition_cols));
}

/* ---- reservations ---- */

int
cmd_reservation_list(struct podctl *pc, const struct args *a)
{
	(void)a;
	return list(pc, "/api/v1/reservations", "reservations", resv_cols,
	    NCOLS(resv_cols));
}

/*
 * A time for the server: an RFC 3339 time as given, or one without
 * seconds or zone ("2026-12-04T08:00", "2026-12-04T08:00:30") taken as
 * UTC, or "now". Into buf; -1 when it is none of these.
 */
static int
resv_time(const char *s, char *buf, size_t size)
{
	size_t n = strlen(s);

	if (strcmp(s, "now") == 0) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
		return 0;
	}
	if (n < 16 || n > 40 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':')
		return -1;
	if (n == 16)
		snprintf(buf, size, "%s:00Z", s);
	else if (n == 19)
		snprintf(buf, size, "%sZ", s);
	else
		snprintf(buf, size, "%s", s);
	return 0;
}

int
cmd_reservation_add(struct podctl *pc, const struct args *a)
{
	const char *start = args_get(a, "start"),
	           *dur = args_get(a, "duration"), *end = args_get(a, "end"),
	           *pods = args_get(a, "pods"), *nodes = args_get(a, "nodes"),
	           *account = args_get(a, "account");
	int maint = args_get(a, "maint") != NULL, rc = PODCTL_OK;
	char t[64], err[128];
	int64_t secs = 0;
	json_t *body, *arr;

	if (!name_ok(a->pos[0]))
		return podctl_usage_error(
		    "reservation add: invalid name '%s'", a->pos[0]);
	if ((dur == NULL) == (end == NULL))
		return podctl_usage_error(
		    "reservation add: give --duration or --end");
	if ((pods == NULL) == (nodes == NULL))
		return podctl_usage_error(
		    "reservation add: give --pods or --nodes");
	if (maint == (account != NULL))
		return podctl_usage_error("reservation add: give --maint (a "
		                          "maintenance window) or --account");
	if (account != NULL && !name_ok(account))
		return podctl_usage_error(
		    "reservation add: invalid --account '%s'", account);
	if (dur != NULL &&
	    cred_parse_duration(dur, &secs, err, sizeof(err)) == -1)
		return podctl_usage_error(
		    "reservation add: --duration %s: %s", dur, err);
	body = json_pack("{s:s,s:b}", "name", a->pos[0], "maint", maint);
	if (start != NULL) {
		if (resv_time(start, t, sizeof(t)) == -1) {
			json_decref(body);
			return podctl_usage_error(
			    "reservation add: --start '%s' is not a time "
			    "(2026-12-04T08:00 in UTC, an RFC 3339 time, or "
			    "now)",
			    start);
		}
		json_object_set_new(body, "start", json_string(t));
	}
	if (end != NULL) {
		if (resv_time(end, t, sizeof(t)) == -1) {
			json_decref(body);
			return podctl_usage_error(
			    "reservation add: --end '%s' is not a time", end);
		}
		json_object_set_new(body, "end", json_string(t));
	}
	if (secs > 0)
		json_object_set_new(body, "duration_s", json_integer(secs));
	if (account != NULL)
		json_object_set_new(body, "account", json_string(account));
	if (nodes != NULL)
		json_object_set_new(body, "nodes", json_string(nodes));
	if (pods != NULL) {
		if ((arr = name_array("reservation add", pods, &rc)) == NULL) {
			json_decref(body);
			return rc;
		}
		json_object_set_new(body, "pods", arr);
	}
	return change(pc, "POST", "/api/v1/reservations", body);
}

int
cmd_reservation_delete(struct podctl *pc, const struct args *a)
{
	char path[ORG_PATH_MAX];
	json_t *reply = NULL;
	int rc = name_path(path, sizeof(path), "reservation delete",
	    "/api/v1/reservations/", a->pos[0]);

	if (rc != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "DELETE", path, NULL, &reply);
	if (rc == PODCTL_OK && reply != NULL)
		printf("reservation %s deleted\n", a->pos[0]);
	json_decref(reply);
	return rc;
}
