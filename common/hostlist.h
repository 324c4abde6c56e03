/*
 * Compact host lists, as Slurm writes them: pod01-n001, pod01-n002,
 * pod01-n003, pod01-n007 → "pod01-n[001-003,007]".
 */
#ifndef POD_HOSTLIST_H
#define POD_HOSTLIST_H

#include <stddef.h>

/* Writes the compact form of names[0..n-1] (any order; each a prefix and a
 * zero-padded number, or a plain name) into buf. Returns 0, or -1 if it did
 * not fit (buf then holds a truncated, still NUL-terminated list). */
int hostlist_compact(const char *const *names, int n, char *buf, size_t size);

#endif
