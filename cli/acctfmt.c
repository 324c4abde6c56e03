/*
 * Accounting fields for podctl (see acctfmt.h). The names are sacct's
 * where sacct has one (JobID, JobName, NodeList, Elapsed, ConsumedEnergy,
 * ExitCode), and speak for themselves where it has none (AccelHours,
 * EnergyKWh, PeakPowerW).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "acctfmt.h"

#define J_PER_KWH 3.6e6

/*
 * The fields of an accounting record. Columns: the name --format takes,
 * the record's member, how it is shown, scale and decimal places (numbers),
 * and whether a table aligns it right.
 */
const struct acctfmt_field acctfmt_acct[] = {
    {"JobID", "job_id", ACCTFMT_NUM, 1, 0, 1},
    {"Attempt", "attempt", ACCTFMT_NUM, 1, 0, 1},
    {"JobName", "name", ACCTFMT_STR, 1, 0, 0},
    {"User", "user", ACCTFMT_STR, 1, 0, 0},
    {"Account", "account", ACCTFMT_STR, 1, 0, 0},
    {"QOS", "qos", ACCTFMT_STR, 1, 0, 0},
    {"Partition", "partition", ACCTFMT_STR, 1, 0, 0},
    {"NodeList", "nodelist", ACCTFMT_STR, 1, 0, 0},
    {"NNodes", "nnodes", ACCTFMT_NUM, 1, 0, 1},
    {"Accels", "accelerators", ACCTFMT_NUM, 1, 0, 1},
    {"Submit", "submit_time", ACCTFMT_STR, 1, 0, 0},
    {"Start", "start_time", ACCTFMT_STR, 1, 0, 0},
    {"End", "end_time", ACCTFMT_STR, 1, 0, 0},
    {"Elapsed", "elapsed_s", ACCTFMT_ELAPSED, 1, 0, 1},
    {"State", "state", ACCTFMT_UPPER, 1, 0, 0},
    {"ExitCode", "exit_code", ACCTFMT_NUM, 1, 0, 1},
    {"ConsumedEnergy", "energy_j", ACCTFMT_NUM, 1, 0, 1},
    {"EnergyKWh", "energy_j", ACCTFMT_NUM, 1 / J_PER_KWH, 4, 1},
    {"AccelHours", "accel_hours", ACCTFMT_NUM, 1, 4, 1},
    {"PeakPowerW", "peak_power_w", ACCTFMT_NUM, 1, 0, 1},
    {"Reason", "reason", ACCTFMT_STR, 1, 0, 0},
};
const int acctfmt_nacct = sizeof(acctfmt_acct) / sizeof(acctfmt_acct[0]);
const char acctfmt_acct_default[] = "JobID,Attempt,JobName,User,Account,"
                                    "State,Start,Elapsed,Accels,AccelHours,"
                                    "EnergyKWh,ExitCode";

/* The fields of a usage row: the same columns. */
const struct acctfmt_field acctfmt_usage[] = {
    {"Account", "account", ACCTFMT_STR, 1, 0, 0},
    {"User", "user", ACCTFMT_STR, 1, 0, 0},
    {"AccelHours", "accel_hours", ACCTFMT_NUM, 1, 4, 1},
    {"EnergyKWh", "energy_kwh", ACCTFMT_NUM, 1, 4, 1},
    {"Attempts", "attempts", ACCTFMT_NUM, 1, 0, 1},
};
const int acctfmt_nusage = sizeof(acctfmt_usage) / sizeof(acctfmt_usage[0]);

int
acctfmt_select(const struct acctfmt_field *all, int nall, const char *names,
    const struct acctfmt_field **out, char *err, size_t errlen)
{
	char name[64];
	const char *p, *end;
	size_t len, used;
	int i, n = 0;

	for (p = names;; p = end + 1) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		snprintf(name, sizeof(name), "%.*s", (int)len, p);
		for (i = 0; len > 0 && len < sizeof(name) && i < nall; i++)
			if (strcasecmp(all[i].name, name) == 0)
				break;
		if (len == 0 || len >= sizeof(name) || i == nall) {
			used = (size_t)snprintf(err, errlen,
			    "%s field '%s' (one of:", len ? "unknown" : "empty",
			    name);
			for (i = 0; i < nall && used < errlen; i++)
				used += (size_t)snprintf(err + used,
				    errlen - used, " %s", all[i].name);
			if (used < errlen)
				snprintf(err + used, errlen - used, ")");
			return -1;
		}
		if (n == ACCTFMT_MAX_FIELDS) {
			snprintf(err, errlen, "more than %d fields",
			    ACCTFMT_MAX_FIELDS);
			return -1;
		}
		out[n++] = &all[i];
		if (*end == '\0')
			return n;
	}
}

const char *
acctfmt_cell(char *buf, size_t size, json_t *row, const struct acctfmt_field *f)
{
	json_t *v = json_object_get(row, f->member);
	long long s;
	size_t i;

	if (v == NULL || json_is_null(v))
		return NULL;
	switch (f->kind) {
	case ACCTFMT_STR:
	case ACCTFMT_UPPER:
		if (!json_is_string(v))
			return NULL;
		snprintf(buf, size, "%s", json_string_value(v));
		for (i = 0; f->kind == ACCTFMT_UPPER && buf[i] != '\0'; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		return buf;
	case ACCTFMT_NUM:
		if (!json_is_number(v))
			return NULL;
		snprintf(buf, size, "%.*f", f->decimals,
		    json_number_value(v) * f->scale);
		return buf;
	case ACCTFMT_ELAPSED:
		if (!json_is_number(v))
			return NULL;
		s = (long long)json_number_value(v);
		if (s < 0)
			s = 0;
		if (s >= 86400)
			snprintf(buf, size, "%lld-%02lld:%02lld:%02lld",
			    s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
		else
			snprintf(buf, size, "%02lld:%02lld:%02lld", s / 3600,
			    s / 60 % 60, s % 60);
		return buf;
	}
	return NULL;
}

void
acctfmt_csv(FILE *out, const char *s)
{
	size_t len = strlen(s);

	if (strpbrk(s, ",\"\r\n") == NULL &&
	    (len == 0 || (!isspace((unsigned char)s[0]) &&
	                     !isspace((unsigned char)s[len - 1])))) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}
