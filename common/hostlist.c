/*
 * Host list compaction (see hostlist.h). Names are split into a prefix and
 * a trailing number with its width; names sharing prefix and width are
 * sorted by number and written as ranges in one bracket.
 */
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
