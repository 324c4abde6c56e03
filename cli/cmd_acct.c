/*
 * "acct" and "usage": accounting as sacct and sreport give it, from
 * GET /api/v1/acct and GET /api/v1/usage. The options are sacct's (-u,
 * -A, -s, -S, -E, -j, --format); -o json prints the reply as it came, -o
 * csv one header line and a line per record, a table otherwise. Times may
 * be given as sacct takes them: a date, an RFC 3339 time, "now", or an age
 * ("2h", "now-1d"), which podctl turns into milliseconds since the epoch so
 * that the server has one format to check.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "acctfmt.h"
#include "fmt.h"
#include "jobreq.h"
#include "podctl.h"
#include "table.h"
#include "timeutil.h"

#define PATH_MAX_LEN 4096 /* longest request path built here */
#define CELL_MAX     1024 /* longest cell shown */

/* The server's form of a time option's value into out: an age ("2h",
 * "now-2h") or "now" as ms since the epoch, a date as its midnight UTC,
 * anything else as given (ms, RFC 3339). 0, or an enum podctl_exit. */
static int
time_value(
    const char *opt, const char *v, int64_t now_ms, char *out, size_t size)
{
	const char *age = v;
	char err[128];
	int64_t secs = 0;
	size_t len = strlen(v);

	if (strncmp(v, "now", 3) == 0) {
		if (v[3] == '\0') {
			snprintf(out, size, "%lld", (long long)now_ms);
			return PODCTL_OK;
		}
		if (v[3] != '-')
			goto bad;
		age = v + 4;
	} else if (len == 10 && v[4] == '-' && v[7] == '-') {
		snprintf(out, size, "%sT00:00:00Z", v);
		return PODCTL_OK;
	} else if (len == 0 || strchr("smhd", v[len - 1]) == NULL ||
	           strchr(v, ':') != NULL) {
		snprintf(out, size, "%s", v);
		return PODCTL_OK;
	}
	if (jobreq_parse_time(age, &secs, err, sizeof(err)) == -1)
		goto bad;
	snprintf(out, size, "%lld", (long long)(now_ms - secs * 1000));
	return PODCTL_OK;
bad:
	return podctl_usage_error("--%s %s: give a date (2026-12-01), an RFC "
	                          "3339 time, now, or an age (2h, now-1d)",
	    opt, v);
}

/* Builds the path from the options in query (NULL ended pairs of option
 * and query key; a key starting with '@' takes a time). */
static int
build_path(struct podctl *pc, const struct args *a, const char *const *query,
    char *path, size_t size)
{
	char t[64], lower[1024];
	const char *v;
	size_t i;
	int rc;

	for (; query[0] != NULL; query += 2) {
		const char *key = query[1];

		if ((v = args_get(a, query[0])) == NULL)
			continue;
		if (key[0] == '@') {
			key++;
			if ((rc = time_value(query[0], v, pc->now_ms, t,
			         sizeof(t))) != PODCTL_OK)
				return rc;
			v = t;
		} else if (strcmp(key, "state") == 0) {
			/* sacct's states are in capitals */
			for (i = 0; v[i] != '\0' && i + 1 < sizeof(lower); i++)
				lower[i] = (char)(v[i] >= 'A' && v[i] <= 'Z'
				                      ? v[i] - 'A' + 'a'
				                      : v[i]);
			lower[i] = '\0';
			v = lower;
		}
		if ((rc = podctl_add_query(pc, path, size, key, v)) !=
		    PODCTL_OK)
			return rc;
	}
	return PODCTL_OK;
}

/* Prints rows in the fields f as a table or as CSV. */
static int
print_rows(
    struct podctl *pc, const struct acctfmt_field **f, int nf, json_t *rows)
{
	struct table_col cols[ACCTFMT_MAX_FIELDS];
	struct table *t = NULL;
	char buf[CELL_MAX];
	const char *cell;
	json_t *row;
	size_t r;
	int i, csv = pc->output == OUTPUT_CSV;

	if (csv && !pc->noheader)
		for (i = 0; i < nf; i++) {
			acctfmt_csv(stdout, f[i]->name);
			fputc(i + 1 < nf ? ',' : '\n', stdout);
		}
	if (!csv) {
		memset(cols, 0, sizeof(cols));
		for (i = 0; i < nf; i++) {
			cols[i].title = f[i]->name;
			cols[i].align = f[i]->right ? TABLE_RIGHT : TABLE_LEFT;
		}
		if ((t = table_new(cols, nf)) == NULL)
			return PODCTL_EAPI;
	}
	json_array_foreach(rows, r, row)
	{
		for (i = 0; i < nf; i++) {
			cell = acctfmt_cell(buf, sizeof(buf), row, f[i]);
			if (csv) {
				acctfmt_csv(stdout, cell ? cell : "");
				fputc(i + 1 < nf ? ',' : '\n', stdout);
			} else if (table_add(t, cell ? cell : FMT_UNKNOWN) ==
			           -1) {
				table_free(t);
				return PODCTL_EAPI;
			}
		}
	}
	if (t != NULL) {
		table_print(stdout, t, TABLE_NO_FIT, pc->noheader);
		table_free(t);
	}
	return PODCTL_OK;
}

int
cmd_acct(struct podctl *pc, const struct args *a)
{
	static const char *const query[] = {"user", "user", "account",
	    "account", "state", "state", "starttime", "@start", "endtime",
	    "@end", "jobs", "job", NULL};
	const struct acctfmt_field *f[ACCTFMT_MAX_FIELDS];
	char path[PATH_MAX_LEN] = "/api/v1/acct", err[1024];
	json_t *reply = NULL, *rows;
	int nf, rc;

	if ((nf = acctfmt_select(acctfmt_acct, acctfmt_nacct,
	         pc->format ? pc->format : acctfmt_acct_default, f, err,
	         sizeof(err))) == -1)
		return podctl_usage_error("--format: %s", err);
	if ((rc = build_path(pc, a, query, path, sizeof(path))) != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(rows = json_object_get(reply, "acct")))
		rc = podctl_bad_reply("no 'acct' array");
	else
		rc = print_rows(pc, f, nf, rows);
	json_decref(reply);
	return rc;
}

int
cmd_usage(struct podctl *pc, const struct args *a)
{
	static const char *const query[] = {
	    "starttime", "@start", "endtime", "@end", "by", "by", NULL};
	const struct acctfmt_field *f[ACCTFMT_MAX_FIELDS];
	const char *by = args_get(a, "by");
	char path[PATH_MAX_LEN] = "/api/v1/usage", err[1024];
	json_t *reply = NULL, *rows, *total;
	int nf, rc, user = by != NULL && strcmp(by, "user") == 0;

	if (by != NULL && !user && strcmp(by, "account") != 0)
		return podctl_usage_error(
		    "usage: --by account or --by user, not '%s'", by);
	if ((nf = acctfmt_select(acctfmt_usage, acctfmt_nusage,
	         pc->format ? pc->format
	         : user     ? "User,AccelHours,EnergyKWh,Attempts"
	                    : "Account,AccelHours,EnergyKWh,Attempts",
	         f, err, sizeof(err))) == -1)
		return podctl_usage_error("--format: %s", err);
	if ((rc = build_path(pc, a, query, path, sizeof(path))) != PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", path, NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(rows = json_object_get(reply, "usage")) ||
	    !json_is_object(total = json_object_get(reply, "total"))) {
		json_decref(reply);
		return podctl_bad_reply("no 'usage' array or 'total'");
	}
	if (pc->output != OUTPUT_CSV &&
	    json_is_string(json_object_get(reply, "start")))
		printf("Usage from %s to %s\n", fmt_str(reply, "start"),
		    fmt_str(reply, "end"));
	else if (pc->output != OUTPUT_CSV)
		printf("Usage up to %s\n", fmt_str(reply, "end"));
	rc = print_rows(pc, f, nf, rows);
	if (rc == PODCTL_OK && pc->output != OUTPUT_CSV)
		printf("Total: %.4f accelerator-hours, %.4f kWh, %lld "
		       "attempts\n",
		    json_number_value(json_object_get(total, "accel_hours")),
		    json_number_value(json_object_get(total, "energy_kwh")),
		    (long long)json_integer_value(
		        json_object_get(total, "attempts")));
	json_decref(reply);
	return rc;
}
