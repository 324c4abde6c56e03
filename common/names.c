/*
 * Topology names, and the check of free text typed by people: see
 * names.h. The text check decodes UTF-8 itself (strict: no overlong forms,
 * no surrogates, nothing past U+10FFFF) so that what it refuses does not
 * depend on the locale of the daemon.
 */
#include <stdint.h>
#include <stdio.h>

#include "names.h"

static int
width(int n, int min)
{
	int w = 1;

	while (n >= 10) {
		n /= 10;
		w++;
	}
	return w < min ? min : w;
}

void
names_pod(char *buf, size_t size, int index, int npods)
{
	snprintf(buf, size, "pod%0*d", width(npods, 2), index);
}

void
names_node(char *buf, size_t size, const char *pod, int index, int nnodes)
{
	snprintf(buf, size, "%s-n%0*d", pod, width(nnodes, 3), index);
}

int
names_valid(const char *s)
{
	int n = 0;

	for (; *s; s++, n++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		        *s == '.'))
			return 0;
	}
	return n > 0 && n < NAME_MAX_LEN;
}

/* The code points refused in free text besides controls. Columns: first,
 * last, what Unicode calls it. */
static const struct {
	uint32_t first, last;
	const char *what;
} refused_cps[] = {
    {0x061c, 0x061c, "arabic letter mark"},
    {0x200e, 0x200e, "left-to-right mark"},
    {0x200f, 0x200f, "right-to-left mark"},
    {0x202a, 0x202a, "left-to-right embedding"},
    {0x202b, 0x202b, "right-to-left embedding"},
    {0x202c, 0x202c, "pop directional formatting"},
    {0x202d, 0x202d, "left-to-right override"},
    {0x202e, 0x202e, "right-to-left override"},
    {0x2066, 0x2066, "left-to-right isolate"},
    {0x2067, 0x2067, "right-to-left isolate"},
    {0x2068, 0x2068, "first strong isolate"},
    {0x2069, 0x2069, "pop directional isolate"},
    {0x0000, 0x001f, "control character"},
    {0x007f, 0x007f, "delete"},
    {0x0080, 0x009f, "control character"},
};

/* Decodes the UTF-8 sequence at s into *cp; its length, or 0 when it is
 * not one. */
static int
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

int
names_text_check(const char *s, char *why, size_t whylen)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i;
	int len;

	while (*p != '\0') {
		if ((len = utf8_decode(p, &cp)) == 0) {
			snprintf(why, whylen, "invalid UTF-8 at byte %zu",
			    (size_t)(p - (const unsigned char *)s));
			return -1;
		}
		for (i = 0; i < sizeof(refused_cps) / sizeof(refused_cps[0]);
		     i++)
			if (cp >= refused_cps[i].first &&
			    cp <= refused_cps[i].last) {
				snprintf(why, whylen,
				    "U+%04X (%s) is not allowed", (unsigned)cp,
				    refused_cps[i].what);
				return -1;
			}
		p += len;
	}
	return 0;
}
