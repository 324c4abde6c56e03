/*
 * podctl's accounting fields, as sacct's --format names them: one static
 * table from a field name ("JobID", "AccelHours") to the member of a
 * GET /api/v1/acct record it shows and how ("elapsed_s" as
 * [D-]HH:MM:SS, "energy_j" in kWh, a state in capitals), and the same for
 * the rows of GET /api/v1/usage. Pure functions over Jansson values, so
 * that the table and each formatter are tested without a server; CSV
 * quoting lives here too.
 */
#ifndef POD_ACCTFMT_H
#define POD_ACCTFMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define ACCTFMT_MAX_FIELDS 32 /* fields in one --format */

/* How a member is shown. */
enum acctfmt_kind {
	ACCTFMT_STR,     /* a string as it is */
	ACCTFMT_UPPER,   /* a string in capitals: a state, "COMPLETED" */
	ACCTFMT_NUM,     /* a number × scale with `decimals` places */
	ACCTFMT_ELAPSED, /* seconds as [D-]HH:MM:SS */
};

struct acctfmt_field {
	const char *name;   /* as --format names it; any case matches */
	const char *member; /* of the JSON row */
	enum acctfmt_kind kind;
	double scale; /* ACCTFMT_NUM: 1/3.6e6 for J to kWh */
	int decimals; /* ACCTFMT_NUM: places after the point */
	int right;    /* 1: aligned right in a table */
};

/* The fields of a GET /acct record, and those shown without --format. */
extern const struct acctfmt_field acctfmt_acct[];
extern const int acctfmt_nacct;
extern const char acctfmt_acct_default[];
/* The fields of a GET /usage row ("Account" or "User" first). */
extern const struct acctfmt_field acctfmt_usage[];
extern const int acctfmt_nusage;

/*
 * Chooses fields of all[0..nall-1] by the comma-separated names (any case)
 * into out (room for ACCTFMT_MAX_FIELDS). Returns how many, or -1 with one
 * line in err naming an empty or unknown field (and the valid ones) or too
 * many.
 */
int acctfmt_select(const struct acctfmt_field *all, int nall, const char *names,
    const struct acctfmt_field **out, char *err, size_t errlen);
/* Writes row's member as f says into buf; NULL when it is missing or null
 * (the caller shows "-" in a table, nothing in CSV). */
const char *acctfmt_cell(
    char *buf, size_t size, json_t *row, const struct acctfmt_field *f);
/* Writes s as one CSV field (RFC 4180): in double quotes, inner quotes
 * doubled, when it holds a comma, a quote, a line break or white space at
 * either end. */
void acctfmt_csv(FILE *out, const char *s);

#endif
