/*
 * Job array specifications (see arrayspec.h). One pass reads the text into
 * at most ARRAYSPEC_TEXT_MAX / 2 ranges (every range takes two characters
 * at least), counting tasks as it goes, so that the size cap is checked
 * before anything is allocated: "0-999999999" is refused, not expanded.
 * The ids are then written out, sorted and made unique.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrayspec.h"

struct range {
	long lo, hi, step;
};

struct parser {
	const char *text;
	size_t at; /* index of the next character */
	char *err;
	size_t errlen;
};

/* Writes "array 'TEXT': WHAT at COL" for the character at index `at`;
 * returns -1. */
static int
fail_at(struct parser *p, size_t at, const char *what)
{
	snprintf(
	    p->err, p->errlen, "array '%s': %s at %zu", p->text, what, at + 1);
	return -1;
}

/* The error for the character at p->at, which the grammar does not allow
 * there. Returns -1. */
static int
unexpected(struct parser *p, const char *wanted)
{
	unsigned char c = (unsigned char)p->text[p->at];
	char what[64];

	if (c == '\0')
		snprintf(what, sizeof(what), "%s expected", wanted);
	else if (c >= 0x20 && c < 0x7f)
		snprintf(what, sizeof(what), "unexpected '%c'", c);
	else
		snprintf(what, sizeof(what), "unexpected byte 0x%02x", c);
	return fail_at(p, p->at, what);
}

/* Reads a decimal number at p->at into *v (at most ARRAYSPEC_ID_MAX).
 * 0 or -1 (err set). */
static int
number(struct parser *p, long *v, const char *wanted)
{
	size_t start = p->at;
	long n = 0;

	if (p->text[p->at] < '0' || p->text[p->at] > '9')
		return unexpected(p, wanted);
	while (p->text[p->at] >= '0' && p->text[p->at] <= '9') {
		n = n * 10 + (p->text[p->at] - '0');
		if (n > ARRAYSPEC_ID_MAX)
			return fail_at(p, start, "number too large");
		p->at++;
	}
	*v = n;
	return 0;
}

static int
cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int
arrayspec_parse(const char *text, int max_tasks, struct arrayspec *out,
    char *err, size_t errlen)
{
	struct parser p = {text, 0, err, errlen};
	struct range r[ARRAYSPEC_TEXT_MAX / 2];
	long total = 0, limit = 0, v;
	int nr = 0, i, n;

	memset(out, 0, sizeof(*out));
	if (strlen(text) >= ARRAYSPEC_TEXT_MAX) {
		snprintf(err, errlen, "array: longer than %d characters",
		    ARRAYSPEC_TEXT_MAX - 1);
		return -1;
	}
	if (text[0] == '\0') {
		snprintf(err, errlen, "array '': empty");
		return -1;
	}
	for (;;) {
		size_t start = p.at;

		if (number(&p, &r[nr].lo, "a task id") < 0)
			return -1;
		r[nr].hi = r[nr].lo;
		r[nr].step = 1;
		if (text[p.at] == '-') {
			p.at++;
			if (number(&p, &r[nr].hi, "a task id") < 0)
				return -1;
			if (r[nr].hi < r[nr].lo)
				return fail_at(
				    &p, start, "range ends before it starts");
			if (text[p.at] == ':') {
				size_t at = ++p.at;

				if (number(&p, &r[nr].step, "a step") < 0)
					return -1;
				if (r[nr].step == 0)
					return fail_at(&p, at, "step 0");
			}
		}
		total += (r[nr].hi - r[nr].lo) / r[nr].step + 1;
		nr++;
		if (total > max_tasks) {
			snprintf(err, errlen,
			    "array '%s': more than %d tasks, the most one "
			    "array may have",
			    text, max_tasks);
			return -2;
		}
		if (text[p.at] != ',')
			break;
		p.at++;
	}
	if (text[p.at] == '%') {
		size_t at = ++p.at;

		if (number(&p, &limit, "a limit") < 0)
			return -1;
		if (limit == 0)
			return fail_at(&p, at, "limit %0");
	}
	if (text[p.at] != '\0')
		return unexpected(&p, "the end");

	out->ids = malloc((size_t)total * sizeof(*out->ids));
	if (out->ids == NULL) {
		snprintf(err, errlen, "array '%s': out of memory", text);
		return -1;
	}
	n = 0;
	for (i = 0; i < nr; i++)
		for (v = r[i].lo; v <= r[i].hi; v += r[i].step)
			out->ids[n++] = (int)v;
	qsort(out->ids, (size_t)n, sizeof(*out->ids), cmp_int);
	out->n = 0;
	for (i = 0; i < n; i++)
		if (out->n == 0 || out->ids[out->n - 1] != out->ids[i])
			out->ids[out->n++] = out->ids[i];
	out->max_running = (int)limit;
	return 0;
}

void
arrayspec_free(struct arrayspec *a)
{
	free(a->ids);
	memset(a, 0, sizeof(*a));
}

/* Appends piece to buf[len] at *used, as much as fits; *used counts the
 * whole text. */
static void
put(char *buf, size_t len, size_t *used, const char *piece)
{
	for (; *piece != '\0'; piece++, (*used)++)
		if (*used + 1 < len)
			buf[*used] = *piece;
}

size_t
arrayspec_format(const int *ids, int n, int max_running, char *buf, size_t len)
{
	size_t used = 0;
	char piece[48];
	int i = 0, j;

	while (i < n) {
		for (j = i; j + 1 < n && ids[j + 1] == ids[j] + 1; j++)
			;
		if (i > 0)
			put(buf, len, &used, ",");
		if (j > i)
			snprintf(piece, sizeof(piece), "%d-%d", ids[i], ids[j]);
		else
			snprintf(piece, sizeof(piece), "%d", ids[i]);
		put(buf, len, &used, piece);
		i = j + 1;
	}
	if (max_running > 0) {
		snprintf(piece, sizeof(piece), "%%%d", max_running);
		put(buf, len, &used, piece);
	}
	if (len > 0)
		buf[used < len ? used : len - 1] = '\0';
	return used;
}
