/*
 * What the libFuzzer targets share: the entry point's prototype, the input
 * as a C string, and the input as a file for parsers that read a path.
 * Header-only, so each target stays one file beside it.
 */
#ifndef POD_FUZZ_H
#define POD_FUZZ_H

#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libFuzzer calls this once per input; it returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated copy (it stops at an embedded NUL, as a C
 * string would). Caller frees. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The input as the contents of an in-memory file, by a path that open()
 * takes ("/proc/self/fd/N"); the same file is reused for every input. */
static inline const char *
fuzz_path(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd == -1) {
		if ((fd = memfd_create("fuzz", 0)) == -1)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

#endif
