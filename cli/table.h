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
 */
#ifndef POD_TABLE_H
#define POD_TABLE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "fmt.h"

#define TABLE_MAX_COLS 32      /* columns in one table */
#define TABLE_MAX_ROWS 1000000 /* rows kept; more is refused */
#define TABLE_SEP      2       /* spaces between two columns */

enum table_align { TABLE_LEFT, TABLE_RIGHT };

struct table_col {
	const char *title;
	int prio; /* 0: always shown; larger: dropped sooner;
	           * equal: dropped together */
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

/* Prints the titles and complete rows, laid out for `width` characters.
 * Returns 0, or -1 if writing to f failed. */
int table_print(FILE *f, const struct table *t, int width);

void table_free(struct table *t);

#endif
