/*
 * Host lists (see hostlist.h). Compaction splits names into a prefix and
 * a trailing number with its width; names sharing prefix and width are
 * sorted by number and written as ranges in one bracket. Expansion parses
 * each item into literal pieces and bracketed groups, counts the names it
 * makes before making any (so that "n[1-999999999]" is refused at once,
 * not after memory runs out), then walks the groups like an odometer.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

struct host {
	const char *name;
	int plen;  /* prefix length */
	int width; /* digits of the number, 0 without */
	long num;
};

static int
cmp_host(const void *a, const void *b)
{
	const struct host *x = a, *y = b;
	int c;

	if (x->plen != y->plen)
		return x->plen - y->plen;
	if ((c = strncmp(x->name, y->name, x->plen)) != 0)
		return c;
	if (x->width != y->width)
		return x->width - y->width;
	return (x->num > y->num) - (x->num < y->num);
}

static int
same_group(const struct host *a, const struct host *b)
{
	return a->width > 0 && a->plen == b->plen && a->width == b->width &&
	       strncmp(a->name, b->name, a->plen) == 0;
}

/* Appends to buf at *len; -1 when out of room. */
static int put(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len) {
		*len = size;
		return -1;
	}
	*len += n;
	return 0;
}

int
hostlist_compact(const char *const *names, int n, char *buf, size_t size)
{
	struct host *h;
	size_t len = 0;
	int i, k, rc = 0;

	if (size == 0)
		return -1;
	buf[0] = '\0';
	if (n == 0)
		return 0;
	if ((h = calloc(n, sizeof(*h))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		const char *s = names[i];
		int l = (int)strlen(s), d = l;

		while (d > 0 && s[d - 1] >= '0' && s[d - 1] <= '9')
			d--;
		h[i].name = s;
		h[i].plen = d;
		h[i].width = (l - d > 0 && l - d < 10) ? l - d : 0;
		h[i].num = h[i].width ? strtol(s + d, NULL, 10) : 0;
		if (h[i].width == 0)
			h[i].plen = l;
	}
	qsort(h, n, sizeof(*h), cmp_host);
	for (i = 0; i < n && rc == 0; i = k) {
		int ranges = 0;

		for (k = i + 1; k < n && same_group(&h[i], &h[k]); k++)
			;
		if (i > 0)
			rc |= put(buf, size, &len, ",");
		if (k - i == 1) {
			rc |= put(buf, size, &len, "%s", h[i].name);
			continue;
		}
		rc |= put(buf, size, &len, "%.*s[", h[i].plen, h[i].name);
		for (int a = i; a < k && rc == 0;) {
			int b = a;

			while (b + 1 < k && h[b + 1].num <= h[b].num + 1)
				b++;
			rc |= put(buf, size, &len, "%s%0*ld",
			    ranges++ ? "," : "", h[a].width, h[a].num);
			if (h[b].num != h[a].num)
				rc |= put(buf, size, &len, "-%0*ld", h[b].width,
				    h[b].num);
			a = b + 1;
		}
		rc |= put(buf, size, &len, "]");
	}
	free(h);
	return rc;
}

#define MAX_GROUPS 8 /* bracketed groups in one item */
#define MAX_DIGITS 9 /* digits of one number, so that it fits a long */

struct range {
	long lo, hi;
	int width; /* digits of lo: every number is padded to it */
};

/* One literal piece of an item and the bracket after it (none for the
 * last piece). */
struct group {
	const char *text;
	int textlen;
	struct range *r; /* NULL for the last piece */
	int nr;
	int cur; /* odometer: index of the range and value within it */
	long val;
};

static void hl_error(char *err, size_t errlen, const char *expr,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
hl_error(char *err, size_t errlen, const char *expr, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "host list '%.64s%s': %s", expr,
	    strlen(expr) > 64 ? "..." : "", why);
}

/* Reads the digits at *p (before end) into *v and their count into
 * *width. Returns 0, or -1 when there are none or too many. */
static int
read_number(const char **p, const char *end, long *v, int *width)
{
	const char *s = *p;
	long x = 0;

	for (; *p < end && **p >= '0' && **p <= '9'; (*p)++) {
		if (*p - s >= MAX_DIGITS)
			return -1;
		x = x * 10 + (**p - '0');
	}
	if (*p == s)
		return -1;
	*v = x;
	*width = (int)(*p - s);
	return 0;
}

/* Parses the inside of a bracket, s up to end (the ']'), into g. Returns
 * the number of names it gives, or -1 with err filled. */
static long long
parse_bracket(const char *expr, const char *s, const char *end, struct group *g,
    char *err, size_t errlen)
{
	const char *p = s, *start;
	long long count = 0;
	int n = 1, w;
	long hi;

	for (p = s; p < end; p++)
		n += *p == ',';
	if ((g->r = calloc(n, sizeof(*g->r))) == NULL) {
		hl_error(err, errlen, expr, "out of memory");
		return -1;
	}
	for (p = s; g->nr < n; p++) {
		struct range *r = &g->r[g->nr++];

		start = p;
		if (read_number(&p, end, &r->lo, &r->width) == -1)
			goto bad;
		r->hi = r->lo;
		if (p < end && *p == '-') {
			p++;
			if (read_number(&p, end, &hi, &w) == -1)
				goto bad;
			r->hi = hi;
		}
		if (p < end && *p != ',')
			goto bad;
		if (r->hi < r->lo) {
			hl_error(err, errlen, expr, "range '%.*s' goes down",
			    (int)(p - start), start);
			goto fail;
		}
		count += r->hi - r->lo + 1;
		continue;
	bad:
		p = start + strcspn(start, ",]");
		hl_error(err, errlen, expr,
		    "'%.*s' in brackets is not a number or a range such as "
		    "001-004",
		    (int)(p - start), start);
		goto fail;
	}
	return count;

fail:
	/* the caller frees only the groups it has counted: not this one */
	free(g->r);
	g->r = NULL;
	g->nr = 0;
	return -1;
}

/* Appends a copy of name to out, growing it. 0 or -1. */
static int
add_name(struct hostlist *out, int *cap, const char *name)
{
	char **v;
	int ncap;

	if (out->n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if ((v = reallocarray(out->names, ncap, sizeof(*v))) == NULL)
			return -1;
		out->names = v;
		*cap = ncap;
	}
	if ((out->names[out->n] = strdup(name)) == NULL)
		return -1;
	out->n++;
	return 0;
}

/* Expands one item, s up to end, onto out. 0, or -1 with err filled. */
static int
expand_item(const char *expr, const char *s, const char *end, int max,
    struct hostlist *out, int *cap, char *err, size_t errlen)
{
	struct group g[MAX_GROUPS + 1];
	char name[HOSTLIST_NAME_MAX + 1];
	const char *p = s, *open, *close;
	long long total = 1, count;
	size_t len;
	int ng = 0, i, rc = -1, n;

	memset(g, 0, sizeof(g));
	if (s == end) {
		hl_error(err, errlen, expr, "an empty name");
		return -1;
	}
	for (;;) {
		open = memchr(p, '[', end - p);
		if (open == NULL) {
			g[ng].text = p;
			g[ng].textlen = (int)(end - p);
			ng++;
			break;
		}
		if (ng == MAX_GROUPS) {
			hl_error(err, errlen, expr,
			    "more than %d bracketed groups in one name",
			    MAX_GROUPS);
			goto fail;
		}
		close = memchr(open, ']', end - open);
		if (close == NULL) {
			hl_error(err, errlen, expr, "'[' without ']'");
			goto fail;
		}
		g[ng].text = p;
		g[ng].textlen = (int)(open - p);
		if ((count = parse_bracket(
		         expr, open + 1, close, &g[ng], err, errlen)) == -1)
			goto fail;
		g[ng].val = g[ng].r[0].lo;
		ng++;
		/* count <= max first, so that the product cannot overflow */
		if (count > max || (total *= count) > max) {
			hl_error(err, errlen, expr, "more than %d names", max);
			goto fail;
		}
		p = close + 1;
	}
	if (total > max - out->n) {
		hl_error(err, errlen, expr, "more than %d names", max);
		goto fail;
	}

	for (; total > 0; total--) {
		for (i = 0, len = 0; i < ng; i++) {
			n = snprintf(name + len, sizeof(name) - len, "%.*s",
			    g[i].textlen, g[i].text);
			if (n >= 0 && (size_t)n < sizeof(name) - len &&
			    g[i].r != NULL) {
				len += n;
				n = snprintf(name + len, sizeof(name) - len,
				    "%0*ld", g[i].r[g[i].cur].width, g[i].val);
			}
			if (n < 0 || (size_t)n >= sizeof(name) - len) {
				hl_error(err, errlen, expr,
				    "a name is longer than %d bytes",
				    HOSTLIST_NAME_MAX);
				goto fail;
			}
			len += n;
		}
		if (add_name(out, cap, name) == -1) {
			hl_error(err, errlen, expr, "out of memory");
			goto fail;
		}
		/* Advance the odometer, the last bracket fastest. */
		for (i = ng - 1; i >= 0; i--) {
			if (g[i].r == NULL)
				continue;
			if (g[i].val < g[i].r[g[i].cur].hi) {
				g[i].val++;
				break;
			}
			g[i].cur = (g[i].cur + 1) % g[i].nr;
			g[i].val = g[i].r[g[i].cur].lo;
			if (g[i].cur != 0)
				break;
		}
	}
	rc = 0;

fail:
	for (i = 0; i < ng; i++)
		free(g[i].r);
	return rc;
}

/* Orders indices of names by name, then by index; for qsort_r(). */
static int
cmp_index(const void *a, const void *b, void *arg)
{
	char *const *names = arg;
	int x = *(const int *)a, y = *(const int *)b, c;

	if ((c = strcmp(names[x], names[y])) != 0)
		return c;
	return (x > y) - (x < y);
}

/* Drops repeated names, keeping the first of each. 0 or -1. */
static int
dedup(struct hostlist *hl)
{
	int *idx, i, k;
	char *drop;

	if (hl->n < 2)
		return 0;
	if ((idx = calloc(hl->n, sizeof(*idx))) == NULL)
		return -1;
	if ((drop = calloc(hl->n, 1)) == NULL) {
		free(idx);
		return -1;
	}
	for (i = 0; i < hl->n; i++)
		idx[i] = i;
	qsort_r(idx, hl->n, sizeof(*idx), cmp_index, hl->names);
	for (i = 1; i < hl->n; i++)
		if (strcmp(hl->names[idx[i]], hl->names[idx[i - 1]]) == 0)
			drop[idx[i]] = 1;
	for (i = 0, k = 0; i < hl->n; i++) {
		if (drop[i])
			free(hl->names[i]);
		else
			hl->names[k++] = hl->names[i];
	}
	hl->n = k;
	free(drop);
	free(idx);
	return 0;
}

int
hostlist_expand(
    const char *expr, int max, struct hostlist *out, char *err, size_t errlen)
{
	const char *p, *item;
	int depth = 0, cap = 0;

	memset(out, 0, sizeof(*out));
	for (p = item = expr;; p++) {
		if (*p == '[' && depth++ > 0) {
			hl_error(err, errlen, expr, "'[' inside brackets");
			goto fail;
		}
		if (*p == ']' && depth-- == 0) {
			hl_error(err, errlen, expr, "']' without '['");
			goto fail;
		}
		if (*p == '\0' || (*p == ',' && depth == 0)) {
			if (expand_item(expr, item, p, max, out, &cap, err,
			        errlen) == -1)
				goto fail;
			item = p + 1;
		}
		if (*p == '\0')
			break;
	}
	if (dedup(out) == -1) {
		hl_error(err, errlen, expr, "out of memory");
		goto fail;
	}
	return 0;

fail:
	hostlist_free(out);
	return -1;
}

void
hostlist_free(struct hostlist *hl)
{
	int i;

	for (i = 0; i < hl->n; i++)
		free(hl->names[i]);
	free(hl->names);
	hl->names = NULL;
	hl->n = 0;
}
