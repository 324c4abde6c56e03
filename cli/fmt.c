/*
 * Formatting of REST values: see fmt.h. Times are parsed by hand instead of
 * strptime() so that exactly the one form the API emits is accepted and
 * anything else shows as unknown rather than as a wrong age.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "timeutil.h"
#include "hostlist.h"
#include "log.h"

#define RANGE_LEN 43 /* ",a-b": two 64-bit numbers, two marks, a NUL */

const char *
fmt_num(char *buf, size_t size, json_t *obj, const char *key, double scale,
    int decimals)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (v == NULL || !json_is_number(v)) {
		snprintf(buf, size, "%s", FMT_UNKNOWN);
		return buf;
	}
	d = json_number_value(v) * scale;
	if (!isfinite(d)) {
		snprintf(buf, size, "%s", FMT_UNKNOWN);
		return buf;
	}
	/* Avoid "-0.0" for a tiny negative reading. */
	if (fabs(d) < 0.5 * pow(10, -decimals))
		d = 0;
	snprintf(buf, size, "%.*f", decimals, d);
	return buf;
}

const char *
fmt_ratio(char *buf, size_t size, json_t *obj, const char *a, const char *b,
    double scale, int decimals)
{
	char sa[32], sb[32];

	fmt_num(sa, sizeof(sa), obj, a, scale, decimals);
	fmt_num(sb, sizeof(sb), obj, b, scale, decimals);
	snprintf(buf, size, "%s/%s", sa, sb);
	return buf;
}

const char *
fmt_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || !json_is_string(v))
		return FMT_UNKNOWN;
	return json_string_value(v);
}

const char *
fmt_bool(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || !json_is_boolean(v))
		return FMT_UNKNOWN;
	return json_is_true(v) ? "yes" : "no";
}

const char *
fmt_age(char *buf, size_t size, int64_t age_s)
{
	int64_t s = age_s < 0 ? 0 : age_s;

	if (s < 60)
		snprintf(buf, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	return buf;
}

const char *
fmt_ago(char *buf, size_t size, json_t *obj, const char *key, int64_t now_ms)
{
	json_t *v = json_object_get(obj, key);
	int64_t ms;

	if (v == NULL || !json_is_string(v) ||
	    time_parse_rfc3339(json_string_value(v), &ms) == -1) {
		snprintf(buf, size, "%s", FMT_UNKNOWN);
		return buf;
	}
	return fmt_age(buf, size, (now_ms - ms) / 1000);
}

const char *
fmt_time_ago(
    char *buf, size_t size, json_t *obj, const char *key, int64_t now_ms)
{
	char age[32];
	const char *s = fmt_str(obj, key);
	int64_t ms;

	if (time_parse_rfc3339(s, &ms) == -1)
		snprintf(buf, size, "%s", s);
	else
		snprintf(buf, size, "%s (%s ago)", s,
		    fmt_age(age, sizeof(age), (now_ms - ms) / 1000));
	return buf;
}

/* Energy units, smallest first; a value takes the largest it reaches. */
static const struct {
	const char *name;
	double joules;
} energy_units[] = {
    {"J", 1},
    {"kJ", 1e3},
    {"MJ", 1e6},
    {"kWh", 3.6e6},
    {"MWh", 3.6e9},
};

const char *
fmt_energy(char *buf, size_t size, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	size_t i, u = 0;
	double j;

	if (!json_is_number(v) || !isfinite(j = json_number_value(v))) {
		snprintf(buf, size, "%s", FMT_UNKNOWN);
		return buf;
	}
	for (i = 1; i < sizeof(energy_units) / sizeof(energy_units[0]); i++)
		if (fabs(j) >= energy_units[i].joules)
			u = i;
	snprintf(buf, size, "%.1f %s", j / energy_units[u].joules,
	    energy_units[u].name);
	return buf;
}

char *
fmt_nodelist(json_t *arr)
{
	const char **names;
	char *out = NULL;
	size_t i, n = 0, size = 1;
	json_t *v;

	if ((names = calloc(json_array_size(arr) + 1, sizeof(*names))) ==
	    NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) || n == INT_MAX)
			continue;
		names[n++] = json_string_value(v);
		/* Compaction never writes a name longer than it was, plus a
		 * separator and a pair of brackets. */
		size += json_string_length(v) + 4;
	}
	if ((out = malloc(size)) == NULL)
		log_warn("%s", __func__);
	else if (hostlist_compact(names, (int)n, out, size) == -1)
		log_warnx("%s: %zu names did not fit", __func__, n);
	free(names);
	return out;
}

static int
num_cmp(const void *pa, const void *pb)
{
	const int64_t *a = pa, *b = pb;

	return (*a > *b) - (*a < *b);
}

/* Writes ",a-b" (or "a" alone, without the comma for the first) into dst,
 * which has room for RANGE_LEN bytes. Returns the length. */
static size_t
put_range(char *dst, int64_t a, int64_t b, int comma)
{
	int n;

	if (a == b)
		n = snprintf(
		    dst, RANGE_LEN, "%s%lld", comma ? "," : "", (long long)a);
	else
		n = snprintf(dst, RANGE_LEN, "%s%lld-%lld", comma ? "," : "",
		    (long long)a, (long long)b);
	return n > 0 ? (size_t)n : 0;
}

const char *
fmt_ranges(char *buf, size_t size, const int64_t *v, size_t n)
{
	static const char more[] = "...";
	int64_t *s = NULL;
	char *full = NULL;
	size_t i, start, m = 0, len = 0, cut = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (n == 0)
		return buf;
	if ((s = calloc(n, sizeof(*s))) == NULL ||
	    (full = malloc(n * RANGE_LEN + 1)) == NULL) {
		log_warn("%s", __func__);
		goto fail;
	}
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), num_cmp);
	for (i = 0; i < n; i++)
		if (m == 0 || s[m - 1] != s[i])
			s[m++] = s[i];

	for (i = 0; i < m; i++) {
		for (start = i; i + 1 < m && s[i + 1] == s[i] + 1;)
			i++;
		/* The last piece boundary after which the mark still fits. */
		if (len > 0 && len + sizeof(more) - 1 < size)
			cut = len;
		len += put_range(full + len, s[start], s[i], len > 0);
	}
	if (len < size)
		memcpy(buf, full, len + 1);
	else if (cut + sizeof(more) - 1 < size) {
		memcpy(buf, full, cut);
		memcpy(buf + cut, more, sizeof(more));
	}

fail:
	free(full);
	free(s);
	return buf;
}

const char *
fmt_field(char *buf, size_t size, json_t *obj, const struct fmt_field *f,
    int64_t now_ms)
{
	double scale = f->scale != 0 ? f->scale : 1;

	switch (f->kind) {
	case FMT_STR:
		return fmt_str(obj, f->key);
	case FMT_NUM:
		return fmt_num(buf, size, obj, f->key, scale, f->decimals);
	case FMT_RATIO:
		return fmt_ratio(
		    buf, size, obj, f->key, f->key2, scale, f->decimals);
	case FMT_AGE:
		return fmt_ago(buf, size, obj, f->key, now_ms);
	case FMT_BOOL:
		return fmt_bool(obj, f->key);
	}
	return FMT_UNKNOWN;
}

size_t
fmt_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}
