/*
 * A JSON writer: compact JSON text appended to a growing buffer, with no
 * tree in between. For the replies that list thousands of objects
 * (GET /nodes at fabric size), where building a Jansson tree and dumping
 * it cost most of the request: a member there was two allocations and a
 * hash insert, a number a printf. The text is what json_dumps() with
 * JSON_COMPACT and JSON_REAL_PRECISION(10) writes for the same values in
 * the same order; replies that are small keep building Jansson trees.
 *
 * Commas are the writer's: call jsonw_key() before each member's value,
 * nothing between an array's items. An error (no memory, the cap, nesting
 * past JSONW_DEPTH) sticks: later calls do nothing and jsonw_done() says
 * so, so a caller writes the whole reply and checks once.
 */
#ifndef POD_JSONW_H
#define POD_JSONW_H

#include <jansson.h>
#include <stddef.h>

#define JSONW_DEPTH 16

struct jsonw {
	char *buf;  /* the text so far, not NUL-terminated */
	size_t len; /* bytes in buf */
	size_t cap; /* bytes allocated */
	size_t max; /* the text's cap, bytes */
	int err;    /* 1 once something failed: the text is unusable */
	int depth;  /* open objects and arrays */
	/* per open level: no item yet, items, or a key awaiting its value */
	unsigned char items[JSONW_DEPTH];
};

/* An empty writer whose text may grow to max bytes. */
void jsonw_init(struct jsonw *w, size_t max);
/* Releases the text; w may be initialised again. */
void jsonw_free(struct jsonw *w);
/* 0 with the text in w->buf (w->len bytes), or -1 when a call failed or
 * an object or array is still open. The text stays w's. */
int jsonw_done(struct jsonw *w);

void jsonw_object(struct jsonw *w);
void jsonw_object_end(struct jsonw *w);
void jsonw_array(struct jsonw *w);
void jsonw_array_end(struct jsonw *w);
/* The next member's key; its value follows. */
void jsonw_key(struct jsonw *w, const char *key);

/* Values. A NULL string is null. */
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_null(struct jsonw *w);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_int(struct jsonw *w, long long v);
/* v rounded to `decimals` places (0 to 6) as jsonx_set_real() rounds it,
 * or null when v is NaN or infinite. */
void jsonw_real(struct jsonw *w, double v, int decimals);
/* Time ms since the epoch as jsonx_time() writes it; 0 or less is null. */
void jsonw_time(struct jsonw *w, long long ms);
/* A Jansson value, dumped as the rest of the text (borrowed). */
void jsonw_json(struct jsonw *w, const json_t *v);

#endif
