/*
 * "prio": the queue's priorities as sprio shows them, from GET
 * /api/v1/priority (every pending job, or one user's) or GET
 * /api/v1/jobs/{id}/priority (one job). The factors come nested in the
 * reply; the table flattens them into columns.
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "podctl.h"
#include "table.h"

/* Columns of "prio": the weighted factors, each in priority points. */
static const struct table_col prio_cols[] = {
    {"JOBID", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("id", 1, 0)},
    {"USER", 0, TABLE_LEFT, 0, FMT_FIELD_STR("user")},
    {"ACCOUNT", 0, TABLE_LEFT, 0, FMT_FIELD_STR("account")},
    {"QOS", 1, TABLE_LEFT, 0, FMT_FIELD_STR("qos")},
    {"PRIORITY", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("priority", 1, 0)},
    {"AGE", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("factor_age", 1, 0)},
    {"FAIRSHARE", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("factor_fairshare", 1, 0)},
    {"JOBSIZE", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("factor_jobsize", 1, 0)},
    {"QOSPRIO", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("factor_qos", 1, 0)},
    {"OPERATOR", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("factor_operator", 1, 0)},
    {"FS", TABLE_WIDE, TABLE_RIGHT, 0, FMT_FIELD_NUM("fairshare_factor", 1, 3)},
    {"STARVED", TABLE_WIDE, TABLE_LEFT, 0, FMT_FIELD_BOOL("starved")},
};

/* Copies row's "factors" members into it as factor_NAME. */
static void
flatten(json_t *row)
{
	const char *k;
	json_t *v, *f = json_object_get(row, "factors");
	char key[64];

	json_object_foreach(f, k, v)
	{
		snprintf(key, sizeof(key), "factor_%s", k);
		json_object_set(row, key, v);
	}
}

int
cmd_prio(struct podctl *pc, const struct args *a)
{
	char path[256] = "/api/v1/priority";
	const char *user = args_get(a, "user");
	json_t *reply = NULL, *rows, *one = NULL;
	size_t i;
	int rc;

	if (a->npos == 1 &&
	    strspn(a->pos[0], "0123456789") != strlen(a->pos[0]))
		return podctl_usage_error("'%s' is not a job id", a->pos[0]);
	if (a->npos == 1)
		snprintf(
		    path, sizeof(path), "/api/v1/jobs/%s/priority", a->pos[0]);
	else if (user != NULL && (rc = podctl_add_query(pc, path, sizeof(path),
	                              "user", user)) != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (a->npos == 1) {
		rows = one = json_array();
		json_array_append(one, reply);
	} else
		rows = json_object_get(reply, "jobs");
	if (!json_is_array(rows)) {
		rc = podctl_bad_reply("no 'jobs' array");
		goto done;
	}
	for (i = 0; i < json_array_size(rows); i++)
		flatten(json_array_get(rows, i));
	rc = podctl_print_table(
	    pc, prio_cols, sizeof(prio_cols) / sizeof(prio_cols[0]), rows);
done:
	json_decref(one);
	json_decref(reply);
	return rc;
}
