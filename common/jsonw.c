/*
 * The JSON writer (jsonw.h). Numbers are formatted by hand where that is
 * exact: a value rounded to a few decimals is an integer count of its
 * last place, so its digits need no floating-point printf; anything
 * longer than %.10g's ten digits goes through snprintf as Jansson does.
 */
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
jsonw_init(struct jsonw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void
jsonw_free(struct jsonw *w)
{
	free(w->buf);
	jsonw_init(w, w->max);
}

int
jsonw_done(struct jsonw *w)
{
	return w->err || w->depth != 0 ? -1 : 0;
}

/* Room for n more bytes: 0, or -1 with the error set. */
static int
jsonw_room(struct jsonw *w, size_t n)
{
	size_t cap;
	char *p;

	if (w->err)
		return -1;
	if (n > w->max || w->len > w->max - n) {
		w->err = 1;
		return -1;
	}
	if (w->len + n <= w->cap)
		return 0;
	cap = w->cap != 0 ? w->cap : 4096;
	while (cap < w->len + n)
		cap *= 2;
	if ((p = realloc(w->buf, cap)) == NULL) {
		w->err = 1;
		return -1;
	}
	w->buf = p;
	w->cap = cap;
	return 0;
}

static void
jsonw_put(struct jsonw *w, const char *s, size_t n)
{
	if (jsonw_room(w, n) == 0) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	}
}

/* Per level: no item yet, items written, or a key waiting for its value. */
enum { JSONW_FIRST, JSONW_MORE, JSONW_AFTER_KEY };

/* Before any value: the comma that separates it from the one before. */
static void
jsonw_value(struct jsonw *w)
{
	unsigned char *st;

	if (w->depth == 0)
		return;
	st = &w->items[w->depth - 1];
	if (*st == JSONW_MORE)
		jsonw_put(w, ",", 1);
	*st = JSONW_MORE;
}

static void
jsonw_open(struct jsonw *w, char c)
{
	jsonw_value(w);
	if (w->depth == JSONW_DEPTH) {
		w->err = 1;
		return;
	}
	jsonw_put(w, &c, 1);
	w->items[w->depth++] = JSONW_FIRST;
}

static void
jsonw_close(struct jsonw *w, char c)
{
	if (w->depth == 0) {
		w->err = 1;
		return;
	}
	w->depth--;
	jsonw_put(w, &c, 1);
}

void
jsonw_object(struct jsonw *w)
{
	jsonw_open(w, '{');
}

void
jsonw_object_end(struct jsonw *w)
{
	jsonw_close(w, '}');
}

void
jsonw_array(struct jsonw *w)
{
	jsonw_open(w, '[');
}

void
jsonw_array_end(struct jsonw *w)
{
	jsonw_close(w, ']');
}

static void
jsonw_text(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s;
	char esc[7];

	jsonw_put(w, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e = NULL;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jsonw_put(w, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
			e = esc;
		}
		jsonw_put(w, e, strlen(e));
	}
	jsonw_put(w, run, (size_t)(s - run));
	jsonw_put(w, "\"", 1);
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	if (w->depth == 0) {
		w->err = 1;
		return;
	}
	jsonw_value(w);
	jsonw_text(w, key);
	jsonw_put(w, ":", 1);
	w->items[w->depth - 1] = JSONW_AFTER_KEY;
}

void
jsonw_string(struct jsonw *w, const char *s)
{
	if (s == NULL) {
		jsonw_null(w);
		return;
	}
	jsonw_value(w);
	jsonw_text(w, s);
}

void
jsonw_null(struct jsonw *w)
{
	jsonw_value(w);
	jsonw_put(w, "null", 4);
}

void
jsonw_bool(struct jsonw *w, int v)
{
	jsonw_value(w);
	if (v)
		jsonw_put(w, "true", 4);
	else
		jsonw_put(w, "false", 5);
}

/* The decimal digits of v, written back from end; returns where they
 * start. */
static char *
jsonw_digits(unsigned long long v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

void
jsonw_int(struct jsonw *w, long long v)
{
	char buf[24], *end = buf + sizeof(buf), *p;
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	jsonw_value(w);
	p = jsonw_digits(u, end);
	if (v < 0)
		*--p = '-';
	jsonw_put(w, p, (size_t)(end - p));
}

/* As Jansson writes a real: %.10g, ".0" added to a whole number, the
 * exponent without its '+' and leading zeros. */
static void
jsonw_real_printf(struct jsonw *w, double v)
{
	char buf[40], *e, *digits;
	int n = snprintf(buf, sizeof(buf) - 2, "%.10g", v);

	if (n < 0 || (size_t)n >= sizeof(buf) - 2) {
		w->err = 1;
		return;
	}
	if ((e = strchr(buf, 'e')) != NULL) {
		digits = e + 1;
		if (*digits == '+')
			memmove(digits, digits + 1, strlen(digits));
		else if (*digits == '-')
			digits++;
		while (*digits == '0' && digits[1] != '\0')
			memmove(digits, digits + 1, strlen(digits));
		n = (int)strlen(buf);
	} else if (strchr(buf, '.') == NULL) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	jsonw_put(w, buf, (size_t)n);
}

/* Digits in v. */
static int
jsonw_ndigits(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

void
jsonw_real(struct jsonw *w, double v, int decimals)
{
	static const unsigned long long pow10[] = {
	    1, 10, 100, 1000, 10000, 100000, 1000000};
	char buf[48], *p = buf + sizeof(buf);
	unsigned long long whole, frac, scale;
	double x;
	int d;

	if (isnan(v) || isinf(v) || decimals < 0 || decimals > 6) {
		jsonw_null(w);
		return;
	}
	jsonw_value(w);
	scale = pow10[decimals];
	x = round(v * (double)scale);
	if (isinf(x)) {
		jsonw_put(w, "null", 4);
		return;
	}
	/* %.10g keeps ten significant digits and writes an exponent below
	 * 1e-4: there, printf decides */
	if (fabs(x) >= 1e15) {
		jsonw_real_printf(w, x / (double)scale);
		return;
	}
	whole = (unsigned long long)fabs(x) / scale;
	frac = (unsigned long long)fabs(x) % scale;
	for (d = decimals; d > 0 && frac % 10 == 0; d--)
		frac /= 10;
	if ((whole > 0 && jsonw_ndigits(whole) + d > 10) ||
	    (x != 0 && fabs(x) < 1e-4 * (double)scale)) {
		jsonw_real_printf(w, x / (double)scale);
		return;
	}
	if (d == 0) {
		*--p = '0';
	} else {
		while (d-- > 0) {
			*--p = (char)('0' + frac % 10);
			frac /= 10;
		}
	}
	*--p = '.';
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole != 0);
	if (signbit(x))
		*--p = '-';
	jsonw_put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void
jsonw_time(struct jsonw *w, long long ms)
{
	char buf[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		jsonw_null(w);
		return;
	}
	jsonw_string(w, buf);
}

void
jsonw_json(struct jsonw *w, const json_t *v)
{
	char *text;

	jsonw_value(w);
	text = json_dumps(
	    v, JSON_COMPACT | JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY);
	if (text == NULL) {
		w->err = 1;
		return;
	}
	jsonw_put(w, text, strlen(text));
	free(text);
}
