/*
 * Terminal tables: see table.h. Widths are counted in UTF-8 code points,
 * which is right for the names, numbers and mostly-ASCII reasons podctl
 * shows; East Asian double-width characters would misalign a row, and that
 * is accepted rather than pulling in wcwidth() and the locale.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "log.h"
#include "table.h"

#define TRUNC_MARK "..."

/* Width of a row with the given column widths (0 = dropped). */
static int
row_width(const int *w, int ncols)
{
	int i, total = 0, shown = 0;

	for (i = 0; i < ncols; i++) {
		if (w[i] == 0)
			continue;
		total += w[i];
		shown++;
	}
	return shown > 1 ? total + TABLE_SEP * (shown - 1) : total;
}

/*
 * Fills order[] with the indices of the columns that may go, least
 * important first: larger prio first, and the rightmost of equals first.
 */
static int
drop_order(const struct table_col *cols, int ncols, int *order)
{
	int i, j, n = 0, tmp;

	for (i = ncols - 1; i >= 0; i--)
		if (cols[i].prio > 0)
			order[n++] = i;
	/* Insertion sort, stable, so that rightmost-first survives ties. */
	for (i = 1; i < n; i++)
		for (j = i;
		     j > 0 && cols[order[j]].prio > cols[order[j - 1]].prio;
		     j--) {
			tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	return n;
}

int
table_layout(const struct table_col *cols, int ncols, const int *natural,
    int width, int *out)
{
	int order[TABLE_MAX_COLS];
	int i, c, n, cut, excess, room, level;

	if (ncols > TABLE_MAX_COLS)
		ncols = TABLE_MAX_COLS;
	for (i = 0; i < ncols; i++)
		out[i] = natural[i] > 0 ? natural[i] : 1;
	n = drop_order(cols, ncols, order);

	/* 1. Shrink free-text columns, least important first. */
	for (i = 0; i < n && (excess = row_width(out, ncols) - width) > 0;
	     i++) {
		c = order[i];
		if (cols[c].min_w <= 0 || out[c] <= cols[c].min_w)
			continue;
		cut = out[c] - cols[c].min_w;
		out[c] -= cut < excess ? cut : excess;
	}
	/* 2. Drop whole columns, least important first; columns of one
	 * priority go together so that a pair (inlet and outlet) never
	 * loses one half. */
	for (i = 0; i < n && row_width(out, ncols) > width;) {
		level = cols[order[i]].prio;
		for (; i < n && cols[order[i]].prio == level; i++)
			out[order[i]] = 0;
	}
	/* 3. Give room left back to cut columns, most important first. */
	for (i = n - 1; i >= 0; i--) {
		c = order[i];
		room = width - row_width(out, ncols);
		if (room <= 0)
			break;
		if (out[c] == 0 || natural[c] <= out[c])
			continue;
		out[c] +=
		    natural[c] - out[c] < room ? natural[c] - out[c] : room;
	}
	return row_width(out, ncols);
}

struct table *
table_new(const struct table_col *cols, int ncols)
{
	struct table *t;

	if (ncols <= 0 || ncols > TABLE_MAX_COLS) {
		log_warnx("%s: %d columns", __func__, ncols);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

int
table_add(struct table *t, const char *text)
{
	size_t used = (size_t)t->nrows * t->ncols + t->cur, ncap;
	char **v;

	if (t->nrows >= TABLE_MAX_ROWS) {
		log_warnx("%s: more than %d rows", __func__, TABLE_MAX_ROWS);
		return -1;
	}
	if (used == t->cap) {
		ncap = t->cap == 0 ? (size_t)t->ncols * 64 : t->cap * 2;
		if ((v = reallocarray(t->cells, ncap, sizeof(*v))) == NULL) {
			log_warn("%s", __func__);
			return -1;
		}
		t->cells = v;
		t->cap = ncap;
	}
	if ((t->cells[used] = strdup(text)) == NULL) {
		log_warn("%s", __func__);
		return -1;
	}
	if (++t->cur == t->ncols) {
		t->cur = 0;
		t->nrows++;
	}
	return 0;
}

int
table_add_row(struct table *t, json_t *obj, int64_t now_ms)
{
	char buf[128];
	int i;

	if (t->cur != 0) {
		log_warnx("%s: previous row incomplete", __func__);
		return -1;
	}
	for (i = 0; i < t->ncols; i++)
		if (table_add(t, fmt_field(buf, sizeof(buf), obj,
		                     &t->cols[i].field, now_ms)) == -1)
			return -1;
	return 0;
}

/* Prints s in w characters, cut with a mark when longer. */
static void
print_cell(FILE *f, const char *s, int w, enum table_align align, int last)
{
	int len = (int)fmt_width(s), keep, mark, i;
	const char *p;

	if (len <= w) {
		if (align == TABLE_RIGHT)
			fprintf(f, "%*s%s", w - len, "", s);
		else if (last)
			fputs(s, f);
		else
			fprintf(f, "%s%*s", s, w - len, "");
		return;
	}
	mark = w > (int)strlen(TRUNC_MARK) ? (int)strlen(TRUNC_MARK) : 0;
	keep = w - mark;
	/* Find the byte where the keep-th code point ends. */
	for (p = s, i = 0; *p != '\0'; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && i++ == keep)
			break;
	}
	fprintf(f, "%.*s%s", (int)(p - s), s, mark ? TRUNC_MARK : "");
}

static void
print_row(FILE *f, const struct table *t, char *const *row, const int *w)
{
	int i, last = -1, first = 1;

	for (i = 0; i < t->ncols; i++)
		if (w[i] > 0)
			last = i;
	for (i = 0; i < t->ncols; i++) {
		if (w[i] == 0)
			continue;
		if (!first)
			fprintf(f, "%*s", TABLE_SEP, "");
		first = 0;
		print_cell(f, row[i], w[i], t->cols[i].align, i == last);
	}
	fputc('\n', f);
}

int
table_print(FILE *f, const struct table *t, int width, int noheader)
{
	char *titles[TABLE_MAX_COLS];
	int natural[TABLE_MAX_COLS], w[TABLE_MAX_COLS];
	int i, r, len;

	for (i = 0; i < t->ncols; i++) {
		titles[i] = (char *)t->cols[i].title;
		natural[i] = noheader ? 0 : (int)fmt_width(titles[i]);
	}
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			len = (int)fmt_width(t->cells[r * t->ncols + i]);
			if (len > natural[i])
				natural[i] = len;
		}
	table_layout(t->cols, t->ncols, natural, width, w);
	if (!noheader)
		print_row(f, t, titles, w);
	for (r = 0; r < t->nrows; r++)
		print_row(f, t, t->cells + (size_t)r * t->ncols, w);
	return ferror(f) ? -1 : 0;
}

/* Writes the names of the columns, "name, pod, state", into buf. */
static void
column_names(const struct table_col *all, int nall, char *buf, size_t size)
{
	size_t len = 0;
	int i, k;

	buf[0] = '\0';
	for (i = 0; i < nall && len < size; i++) {
		len += snprintf(buf + len, size - len, "%s", i > 0 ? ", " : "");
		for (k = 0; all[i].title[k] != '\0' && len + 1 < size; k++)
			buf[len++] =
			    (char)tolower((unsigned char)all[i].title[k]);
		if (len < size)
			buf[len] = '\0';
	}
}

int
table_select(const struct table_col *all, int nall, const char *names, int wide,
    struct table_col *out, char *err, size_t errlen)
{
	char valid[1024];
	const char *p, *end;
	size_t len;
	int i, n = 0;

	if (names == NULL) {
		for (i = 0; i < nall && n < TABLE_MAX_COLS; i++)
			if (wide || all[i].prio != TABLE_WIDE)
				out[n++] = all[i];
		return n;
	}
	for (p = names;; p = end + 1) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		for (i = 0; i < nall; i++)
			if (len > 0 && strlen(all[i].title) == len &&
			    strncasecmp(all[i].title, p, len) == 0)
				break;
		if (i == nall) {
			column_names(all, nall, valid, sizeof(valid));
			if (len == 0)
				snprintf(err, errlen,
				    "an empty column name in '%s' (columns: "
				    "%s)",
				    names, valid);
			else
				snprintf(err, errlen,
				    "unknown column '%.*s' (columns: %s)",
				    (int)len, p, valid);
			return -1;
		}
		if (n == TABLE_MAX_COLS) {
			snprintf(err, errlen, "more than %d columns",
			    TABLE_MAX_COLS);
			return -1;
		}
		out[n++] = all[i];
		if (*end == '\0')
			break;
	}
	return n;
}

void
table_free(struct table *t)
{
	size_t i, used;

	if (t == NULL)
		return;
	used = (size_t)t->nrows * t->ncols + t->cur;
	for (i = 0; i < used; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
