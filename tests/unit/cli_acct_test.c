/*
 * podctl's accounting fields (acctfmt.c): the --format names chosen in any
 * case and in their order, unknown ones refused with the valid ones
 * listed, every field of the table shown from a record as sacct would
 * show it, and CSV fields quoted only when they must be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acctfmt.h"
#include "check.h"

/* A record as GET /api/v1/acct gives it. */
static const char record[] =
    "{\"job_id\": 12, \"attempt\": 2, \"name\": \"train, big\","
    " \"user\": \"alice\", \"account\": \"physics\", \"qos\": \"normal\","
    " \"partition\": \"all\", \"nodelist\": \"pod01-n[001-002]\","
    " \"nnodes\": 2, \"accelerators\": 16,"
    " \"submit_time\": \"2026-12-01T10:00:00Z\","
    " \"start_time\": \"2026-12-01T10:00:05Z\", \"end_time\": null,"
    " \"elapsed_s\": 93784, \"state\": \"node_fail\", \"exit_code\": null,"
    " \"energy_j\": 7200000.0, \"accel_hours\": 416.8177777,"
    " \"peak_power_w\": 12450.6, \"reason\": \"lost pod01-n002; requeued\"}";

/* Rows: a field name as typed, and its cell ("" for none: unknown). */
static const struct {
	const char *name;
	const char *want;
} cells[] = {
    {"JobID", "12"},
    {"attempt", "2"},
    {"JOBNAME", "train, big"},
    {"User", "alice"},
    {"Account", "physics"},
    {"QOS", "normal"},
    {"Partition", "all"},
    {"NodeList", "pod01-n[001-002]"},
    {"NNodes", "2"},
    {"Accels", "16"},
    {"Submit", "2026-12-01T10:00:00Z"},
    {"Start", "2026-12-01T10:00:05Z"},
    {"End", ""},
    {"Elapsed", "1-02:03:04"},
    {"State", "NODE_FAIL"},
    {"ExitCode", ""},
    {"ConsumedEnergy", "7200000"},
    {"EnergyKWh", "2.0000"},
    {"AccelHours", "416.8178"},
    {"PeakPowerW", "12451"},
    {"Reason", "lost pod01-n002; requeued"},
};

static int
test_cells(void)
{
	const struct acctfmt_field *f[ACCTFMT_MAX_FIELDS];
	json_t *row = json_loads(record, 0, NULL);
	char err[1024], buf[256];
	const char *got;
	size_t i;

	REQUIRE(row != NULL);
	/* every field of the table has a row here */
	CHECK(acctfmt_nacct == (int)NELEM(cells), "%d fields, %zu rows",
	    acctfmt_nacct, NELEM(cells));
	for (i = 0; i < NELEM(cells); i++) {
		if (!CHECK(acctfmt_select(acctfmt_acct, acctfmt_nacct,
		               cells[i].name, f, err, sizeof(err)) == 1,
		        "%s: %s", cells[i].name, err))
			continue;
		got = acctfmt_cell(buf, sizeof(buf), row, f[0]);
		CHECK(strcmp(got ? got : "", cells[i].want) == 0,
		    "%s: '%s', want '%s'", cells[i].name, got ? got : "(none)",
		    cells[i].want);
	}
	/* an elapsed time under a day has no day part */
	json_object_set_new(row, "elapsed_s", json_integer(61));
	acctfmt_select(
	    acctfmt_acct, acctfmt_nacct, "Elapsed", f, err, sizeof(err));
	CHECK(
	    strcmp(acctfmt_cell(buf, sizeof(buf), row, f[0]), "00:01:01") == 0);
fail:
	json_decref(row);
	return 0;
}

static int
test_select(void)
{
	const struct acctfmt_field *f[ACCTFMT_MAX_FIELDS];
	char err[1024];

	CHECK(acctfmt_select(acctfmt_acct, acctfmt_nacct, "state,JOBID", f, err,
	          sizeof(err)) == 2);
	CHECK(strcmp(f[0]->name, "State") == 0 &&
	      strcmp(f[1]->name, "JobID") == 0);
	CHECK(acctfmt_select(acctfmt_acct, acctfmt_nacct, acctfmt_acct_default,
	          f, err, sizeof(err)) > 5,
	    "%s", err);
	CHECK(acctfmt_select(acctfmt_acct, acctfmt_nacct, "JobID,Colour", f,
	          err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown field 'Colour'") != NULL &&
	          strstr(err, "AccelHours") != NULL,
	    "%s", err);
	CHECK(acctfmt_select(acctfmt_acct, acctfmt_nacct, "JobID,,State", f,
	          err, sizeof(err)) == -1);
	CHECK(strstr(err, "empty field") != NULL, "%s", err);
	CHECK(acctfmt_select(acctfmt_usage, acctfmt_nusage,
	          "User,AccelHours,EnergyKWh,Attempts", f, err,
	          sizeof(err)) == 4);
	return 0;
}

/* Rows: a value, and the CSV field it becomes. */
static const struct {
	const char *in, *out;
} csv[] = {
    {"plain", "plain"},
    {"", ""},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"two\nlines", "\"two\nlines\""},
    {" padded", "\" padded\""},
    {"pod01-n[001-002]", "pod01-n[001-002]"},
};

static int
test_csv(void)
{
	char buf[256];
	size_t i;
	FILE *f;

	for (i = 0; i < NELEM(csv); i++) {
		memset(buf, 0, sizeof(buf));
		REQUIRE((f = fmemopen(buf, sizeof(buf), "w")) != NULL);
		acctfmt_csv(f, csv[i].in);
		fclose(f);
		CHECK(strcmp(buf, csv[i].out) == 0, "row %zu: [%s]", i, buf);
	}
fail:
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"cells", test_cells},
    {"select", test_select},
    {"csv", test_csv},
};

int
main(void)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("cli_acct_test");
}
