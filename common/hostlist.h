/*
 * Host lists, as Slurm writes them: pod01-n001, pod01-n002, pod01-n003,
 * pod01-n007 ↔ "pod01-n[001-003,007]". Compaction is for showing node
 * lists; expansion is for taking them from an operator, so it is strict:
 * every malformed piece is refused with one line saying which.
 */
#ifndef POD_HOSTLIST_H
#define POD_HOSTLIST_H

#include <stddef.h>

#define HOSTLIST_NAME_MAX 255 /* longest expanded name, bytes */

/* Names expanded from an expression; hostlist_free() releases them. */
struct hostlist {
	char **names; /* n names, each allocated */
	int n;
};

/* Writes the compact form of names[0..n-1] (any order; each a prefix and a
 * zero-padded number, or a plain name) into buf. Returns 0, or -1 if it did
 * not fit (buf then holds a truncated, still NUL-terminated list). */
int hostlist_compact(const char *const *names, int n, char *buf, size_t size);

/*
 * Expands a host list expression into out: items separated by commas,
 * each plain text with any number of bracketed groups of numbers and
 * ranges, "pod01-n[001-004,010]", "pod[01-02]-n[001-128]" (every
 * combination, the last bracket varying fastest). A range's numbers are
 * padded to the width of its first ("[01-10]" gives "01".."10"). Names
 * keep the order of the expression; a repeated name is kept once. Returns
 * 0, or -1 with one line in err for a malformed expression, a name longer
 * than HOSTLIST_NAME_MAX, more than `max` names, or memory running out
 * (out is then empty). Caller frees out with hostlist_free().
 */
int hostlist_expand(
    const char *expr, int max, struct hostlist *out, char *err, size_t errlen);

/* Releases what hostlist_expand() filled; hl may be empty. */
void hostlist_free(struct hostlist *hl);

#endif
