/*
 * JSON helpers: see jsonx.h. Numbers are rounded on the way out so that the
 * API does not print 61.300000000000004 for a temperature.
 */
#include <math.h>
#include <stdio.h>
#include <time.h>

#include "jsonx.h"

json_t *
jsonx_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	json_error_t e;
	json_t *j;

	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL)
		snprintf(err, errlen, "line %d column %d: %s", e.line, e.column,
		    e.text);
	return j;
}

int
jsonx_number(
    json_t *obj, const char *key, double *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v)) {
		snprintf(err, errlen, "'%s' must be a number", key);
		return -1;
	}
	*out = json_number_value(v);
	return 1;
}

int
jsonx_integer(
    json_t *obj, const char *key, long long *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "'%s' must be an integer", key);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

int
jsonx_string(
    json_t *obj, const char *key, const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "'%s' must be a string", key);
		return -1;
	}
	*out = json_string_value(v);
	return 1;
}

int
jsonx_bool(json_t *obj, const char *key, int *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(err, errlen, "'%s' must be true or false", key);
		return -1;
	}
	*out = json_is_true(v);
	return 1;
}

json_t *
jsonx_real_or_null(double v)
{
	if (isnan(v) || isinf(v))
		return json_null();
	return json_real(v);
}

void
jsonx_set_real(json_t *obj, const char *key, double v, int decimals)
{
	double scale = pow(10, decimals);

	if (isnan(v) || isinf(v))
		json_object_set_new(obj, key, json_null());
	else
		json_object_set_new(
		    obj, key, json_real(round(v * scale) / scale));
}

json_t *
jsonx_time(long long ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0)
		return json_null();
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}
