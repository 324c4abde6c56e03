/*
 * Names of the topology: pods "pod01"…, nodes "pod01-n001"…. Numbers are
 * zero-padded to a width fixed by the largest number, so names sort in
 * topology order.
 */
#ifndef POD_NAMES_H
#define POD_NAMES_H

#include <stddef.h>

#define NAME_MAX_LEN 64 /* longest pod or node name, with its NUL */

/* Writes the name of pod `index` (1-based) among `npods`. */
void names_pod(char *buf, size_t size, int index, int npods);
/* Writes the name of node `index` (1-based) of pod `pod` with `nnodes`. */
void names_node(char *buf, size_t size, const char *pod, int index, int nnodes);
/* 1 when s is a plausible pod or node name: 1–63 of [a-z0-9-_.]. */
int names_valid(const char *s);
/*
 * Free text a person typed (a job name, a drain reason, a comment): 0 when
 * s is valid UTF-8 without control characters (C0, DEL, C1) or the Unicode
 * bidirectional controls that make a text read other than it is stored
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069). Else -1 with
 * what and where in why: "U+202E (right-to-left override) is not allowed",
 * "invalid UTF-8 at byte 3".
 */
int names_text_check(const char *s, char *why, size_t whylen);

#endif
