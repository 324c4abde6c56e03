/*
 * JSON helpers over Jansson: parsing with an error that says where, and
 * typed getters that tell a missing member from a wrongly typed one, so that
 * a handler can refuse bad input with one clear message.
 */
#ifndef POD_JSONX_H
#define POD_JSONX_H

#include <jansson.h>
#include <stddef.h>

/* Parses len bytes. Returns a new reference, or NULL with
 * "line L column C: why" in err. */
json_t *jsonx_parse(const char *buf, size_t len, char *err, size_t errlen);

/* Getters: 1 found and converted, 0 absent or null, -1 wrong type (message in
 * err naming the member). */
int jsonx_number(
    json_t *obj, const char *key, double *out, char *err, size_t errlen);
int jsonx_integer(
    json_t *obj, const char *key, long long *out, char *err, size_t errlen);
int jsonx_string(
    json_t *obj, const char *key, const char **out, char *err, size_t errlen);
int jsonx_bool(
    json_t *obj, const char *key, int *out, char *err, size_t errlen);

/* A JSON number, or null when v is NaN (unknown). New reference. */
json_t *jsonx_real_or_null(double v);
/* Sets obj[key] to a number rounded to `decimals` places, or null for NaN. */
void jsonx_set_real(json_t *obj, const char *key, double v, int decimals);
/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SSZ"; 0 gives null. */
json_t *jsonx_time(long long ms);

#endif
