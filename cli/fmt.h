/*
 * Formatting of REST values for people: numbers that may be null (unknown,
 * shown as "-"), unit conversions (W to kW, MiB to GiB), and the age of a
 * timestamp ("42s", "5m12s", "3h05m"). Pure functions over Jansson values
 * and plain numbers, so that each rule is tested once and every command
 * shows an unknown value the same way.
 */
#ifndef POD_FMT_H
#define POD_FMT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define FMT_UNKNOWN "-" /* what a null or missing value prints as */

/*
 * Writes obj[key] × scale with `decimals` places into buf, or "-" when the
 * member is missing, null or not a number. Returns buf.
 */
const char *fmt_num(char *buf, size_t size, json_t *obj, const char *key,
    double scale, int decimals);

/* Writes "a/b" from two number members as fmt_num() would each; "-" for an
 * unknown side ("12/-"). Returns buf. */
const char *fmt_ratio(char *buf, size_t size, json_t *obj, const char *a,
    const char *b, double scale, int decimals);

/* Borrowed string obj[key], or "-" when missing, null or not a string. */
const char *fmt_str(json_t *obj, const char *key);

/* "yes", "no", or "-" for obj[key]. */
const char *fmt_bool(json_t *obj, const char *key);

/* Writes an age of age_s seconds as "42s", "5m12s", "3h05m" or "2d04h";
 * negative ages (a clock ahead of ours) print as "0s". Returns buf. */
const char *fmt_age(char *buf, size_t size, int64_t age_s);

/* Writes the age of the time in obj[key] at now_ms ("42s"), or "-" when it
 * is missing, null or unparsable. Returns buf. */
const char *fmt_ago(
    char *buf, size_t size, json_t *obj, const char *key, int64_t now_ms);

/* Writes the time in obj[key] with its age at now_ms,
 * "2026-11-27T21:05:03Z (3s ago)"; the text as it is when it is not a time
 * (or "-" when missing). Returns buf. */
const char *fmt_time_ago(
    char *buf, size_t size, json_t *obj, const char *key, int64_t now_ms);

/* Writes the energy obj[key] in joules with a unit that suits its size:
 * "812.0 J", "45.3 kJ", "2.1 MJ", "12.5 kWh", "3.2 MWh"; "-" when unknown.
 * Returns buf. */
const char *fmt_energy(char *buf, size_t size, json_t *obj, const char *key);

/*
 * The node names in the array arr as a compact host list (hostlist.h),
 * "pod01-n[001-004]"; members that are not strings are skipped; "" when
 * there are none. Caller frees with free(); NULL (logged) when memory runs
 * out.
 */
char *fmt_nodelist(json_t *arr);

/*
 * Writes the numbers v[0..n-1] into buf as sorted ranges without
 * duplicates, "0-3,5" ("" for none), for accelerator indices. When buf is
 * too small it holds the ranges that fit followed by "...". Returns buf.
 */
const char *fmt_ranges(char *buf, size_t size, const int64_t *v, size_t n);

/* How one member of a JSON object is shown: the columns of a table. */
enum fmt_kind {
	FMT_STR,   /* string key */
	FMT_NUM,   /* number key × scale with `decimals` places */
	FMT_RATIO, /* "key/key2", both × scale with `decimals` places */
	FMT_AGE,   /* age of the time in key, "5m12s" */
	FMT_BOOL,  /* "yes" or "no" */
};

struct fmt_field {
	enum fmt_kind kind;
	const char *key;  /* member of the object */
	const char *key2; /* FMT_RATIO: the member after the "/" */
	double scale;     /* FMT_NUM, FMT_RATIO: 1e-3 for W to kW; 0 means 1 */
	int decimals;     /* FMT_NUM, FMT_RATIO: places after the point */
};

/* Initialisers of struct fmt_field, complete so that tables stay short. */
#define FMT_FIELD_STR(k)                                                       \
	{                                                                      \
		FMT_STR, (k), NULL, 1, 0                                       \
	}
#define FMT_FIELD_NUM(k, sc, dp)                                               \
	{                                                                      \
		FMT_NUM, (k), NULL, (sc), (dp)                                 \
	}
#define FMT_FIELD_RATIO(a, b, sc, dp)                                          \
	{                                                                      \
		FMT_RATIO, (a), (b), (sc), (dp)                                \
	}
#define FMT_FIELD_AGE(k)                                                       \
	{                                                                      \
		FMT_AGE, (k), NULL, 1, 0                                       \
	}
#define FMT_FIELD_BOOL(k)                                                      \
	{                                                                      \
		FMT_BOOL, (k), NULL, 1, 0                                      \
	}

/* Writes obj as f says into buf, "-" for what is unknown; now_ms is the
 * wall clock for FMT_AGE. Returns buf or a borrowed string of obj. */
const char *fmt_field(char *buf, size_t size, json_t *obj,
    const struct fmt_field *f, int64_t now_ms);

/* Number of characters (UTF-8 code points) in s. */
size_t fmt_width(const char *s);

#endif
