/* Topology names: see names.h. */
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
