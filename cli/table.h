/*
 * Tables for the terminal: columns with a title, an alignment and a
 * priority; cells are added row by row as text. When the table is wider
 * than the terminal, table_layout() first truncates the columns allowed to
 * shrink (free text such as a drain reason), then drops whole columns,
 * least important priority first and all columns of a priority together,
 * and finally gives any room left back to the truncated ones. A column also
 * says which member of a JSON row object it shows, so that a command's whole
 * table is one static declaration. The layout is a pure function of the widths,
 * tested on its own; printing is a thin loop over it.
 *
 * A column is named by its title in lower case ("POWER_W" is power_w), so
 * that an operator can choose the columns of a listing, in their order, as
 * with squeue's --Format; some columns are shown only when asked for, by
 * name or with the wide output.
 */
#ifndef POD_TABLE_H
#define POD_TABLE_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "fmt.h"

#define TABLE_MAX_COLS 32      /* columns in one table */
#define TABLE_MAX_ROWS 1000000 /* rows kept; more is refused */
#define TABLE_SEP      2       /* spaces between two columns */
#define TABLE_NO_FIT   INT_MAX /* a width for table_print(): cut nothing */

enum table_align { TABLE_LEFT, TABLE_RIGHT };

/* The priority of a column shown only when asked for, by name or with the
 * wide output (which does not drop columns). */
#define TABLE_WIDE (-1)

struct table_col {
	const char *title;
	int prio; /* 0: always shown; larger: dropped sooner;
	           * equal: dropped together; TABLE_WIDE */
	enum table_align align;
	int min_w;              /* > 0: may be cut down to this many
	                         * characters before being dropped */
	struct fmt_field field; /* what table_add_row() shows here */
};

struct table {
	const struct table_col *cols; /* borrowed, outlives the table */
	int ncols;
	char **cells; /* row-major, nrows*ncols + cur */
	int nrows;
	int cur;    /* cells in the row being added */
	size_t cap; /* allocated cells */
};

/*
 * Chooses a width for each of the ncols columns from their natural widths
 * (the widest cell or title) so that the row fits in `width` characters.
 * Writes out[i] = 0 for a dropped column. Columns with prio 0 are never
 * dropped, so the result may still be wider than `width`. Returns the
 * width of a row as laid out.
 */
int table_layout(const struct table_col *cols, int ncols, const int *natural,
    int width, int *out);

/* A new empty table, or NULL (logged). Caller frees with table_free(). */
struct table *table_new(const struct table_col *cols, int ncols);

/* Appends one cell (copied) to the current row; a row is complete after
 * ncols cells. Returns 0, or -1 (logged) when out of memory or rows. */
int table_add(struct table *t, const char *text);

/* Appends one row: each column's field of obj. Returns 0 or -1 as
 * table_add(); the row must start on a fresh line. */
int table_add_row(struct table *t, json_t *obj, int64_t now_ms);

/*
 * Chooses the columns to show from all[0..nall-1] into out, which has room
 * for TABLE_MAX_COLS: with `names` (not NULL) the columns it names,
 * comma-separated, in its order, a name matching a title in either case;
 * else every column, less those of priority TABLE_WIDE unless `wide`. Returns
 * how many were chosen, or -1 with one line in err for an empty or unknown name
 * (listing the valid ones) or too many.
 */
int table_select(const struct table_col *all, int nall, const char *names,
    int wide, struct table_col *out, char *err, size_t errlen);

/* Prints the titles (unless `noheader`) and the complete rows, laid out
 * for `width` characters (TABLE_NO_FIT: as wide as they are). Returns 0,
 * or -1 if writing to f failed. */
int table_print(FILE *f, const struct table *t, int width, int noheader);

void table_free(struct table *t);

#endif
