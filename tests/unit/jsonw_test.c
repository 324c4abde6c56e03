/*
 * The JSON writer: its text must be the very text Jansson dumps for the
 * same values (JSON_COMPACT, JSON_REAL_PRECISION(10), reals rounded by
 * jsonx_set_real()), since the replies it writes were Jansson's before;
 * checked on fixed cases and on many random ones. Then its errors: the
 * cap, nesting, an unclosed object.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonw.h"
#include "jsonx.h"

/* The writer's text against Jansson's dump of tree (stolen). */
static int
same_as_jansson(struct jsonw *w, json_t *tree, const char *what)
{
	char *want = json_dumps(tree, JSON_COMPACT | JSON_REAL_PRECISION(10));
	int ok;

	json_decref(tree);
	ok = CHECK(jsonw_done(w) == 0, "%s: writer failed", what) &&
	     CHECK(want != NULL && strlen(want) == w->len &&
	               memcmp(want, w->buf, w->len) == 0,
	         "%s: got %.*s want %s", what, (int)w->len, w->buf,
	         want ? want : "(null)");
	free(want);
	jsonw_free(w);
	return ok;
}

/* Reals at every magnitude and each number of decimals, one member each. */
static int
case_reals(void)
{
	static const double fixed[] = {0, -0.0, 0.04, -0.04, 0.05, 1, -1, 2.5,
	    37.25, 37.35, 99.95, 250, 250.04, 1e9, 123456789.12, 9999999999.4,
	    1e10, 1e15, 1.5e16, -7e20, 1e-7, 0.00012, 123456.789012, NAN,
	    INFINITY, -INFINITY};
	struct jsonw w;
	json_t *o;
	char key[64];
	size_t i;
	int d, n;

	for (d = 0; d <= 6; d++) {
		jsonw_init(&w, 1 << 20);
		jsonw_object(&w);
		o = json_object();
		for (i = 0; i < NELEM(fixed); i++) {
			snprintf(key, sizeof(key), "k%zu", i);
			jsonw_key(&w, key);
			jsonw_real(&w, fixed[i], d);
			jsonx_set_real(o, key, fixed[i], d);
		}
		jsonw_object_end(&w);
		snprintf(key, sizeof(key), "fixed, %d decimals", d);
		same_as_jansson(&w, o, key);
	}
	srand(42);
	for (n = 0; n < 2000; n++) {
		double mag = pow(10, rand() % 14 - 3);
		double v = (rand() / (double)RAND_MAX - 0.3) * mag;

		d = rand() % 7;
		jsonw_init(&w, 1 << 20);
		jsonw_array(&w);
		jsonw_real(&w, v, d);
		jsonw_array_end(&w);
		o = json_array();
		json_array_append_new(
		    o, json_real(round(v * pow(10, d)) / pow(10, d)));
		snprintf(key, sizeof(key), "%.17g, %d decimals", v, d);
		if (!same_as_jansson(&w, o, key))
			break;
	}
	/* rounding that overflows: Jansson drops the member, the writer
	 * says null */
	jsonw_init(&w, 1 << 10);
	jsonw_array(&w);
	jsonw_real(&w, DBL_MAX, 2);
	jsonw_real(&w, -DBL_MAX, 6);
	jsonw_array_end(&w);
	CHECK(jsonw_done(&w) == 0 && w.len == 11 &&
	          memcmp(w.buf, "[null,null]", 11) == 0,
	    "got %.*s", (int)w.len, w.buf);
	jsonw_free(&w);
	return 0;
}

/* Strings, integers, booleans, null, times, nesting and an embedded
 * Jansson value. */
static int
case_values(void)
{
	static const char *const texts[] = {"", "pod01-n001",
	    "quote \" back \\ slash /", "\b\f\n\r\t", "\x01\x1f\x7f",
	    "Zo\xc3\xab \xe6\xb8\xac \xf0\x9f\x9a\x80"};
	static const long long ints[] = {
	    0, 1, -1, 42, 1000000007, LLONG_MAX, LLONG_MIN};
	struct jsonw w;
	json_t *o, *a, *inner;
	size_t i;

	jsonw_init(&w, 1 << 20);
	o = json_object();
	jsonw_object(&w);
	jsonw_key(&w, "texts");
	jsonw_array(&w);
	a = json_array();
	for (i = 0; i < NELEM(texts); i++) {
		jsonw_string(&w, texts[i]);
		json_array_append_new(a, json_string(texts[i]));
	}
	jsonw_string(&w, NULL);
	json_array_append_new(a, json_null());
	jsonw_array_end(&w);
	json_object_set_new(o, "texts", a);
	jsonw_key(&w, "ints");
	jsonw_array(&w);
	a = json_array();
	for (i = 0; i < NELEM(ints); i++) {
		jsonw_int(&w, ints[i]);
		json_array_append_new(a, json_integer(ints[i]));
	}
	jsonw_array_end(&w);
	json_object_set_new(o, "ints", a);
	jsonw_key(&w, "yes");
	jsonw_bool(&w, 7);
	json_object_set_new(o, "yes", json_true());
	jsonw_key(&w, "no");
	jsonw_bool(&w, 0);
	json_object_set_new(o, "no", json_false());
	jsonw_key(&w, "when");
	jsonw_time(&w, 1764844800123LL);
	json_object_set_new(o, "when", jsonx_time(1764844800123LL));
	jsonw_key(&w, "never");
	jsonw_time(&w, 0);
	json_object_set_new(o, "never", jsonx_time(0));
	jsonw_key(&w, "empty");
	jsonw_object(&w);
	jsonw_object_end(&w);
	json_object_set_new(o, "empty", json_object());
	jsonw_key(&w, "nested");
	jsonw_array(&w);
	jsonw_array(&w);
	jsonw_array_end(&w);
	jsonw_object(&w);
	jsonw_key(&w, "x");
	jsonw_null(&w);
	jsonw_object_end(&w);
	jsonw_array_end(&w);
	json_object_set_new(o, "nested", json_pack("[[],{s:n}]", "x"));
	inner = json_pack("{s:[i,f,s]}", "a", 1, 2.5, "b");
	jsonw_key(&w, "embedded");
	jsonw_json(&w, inner);
	json_object_set_new(o, "embedded", inner);
	jsonw_object_end(&w);
	same_as_jansson(&w, o, "values");
	return 0;
}

/* Errors stick and jsonw_done() says so. */
static int
case_errors(void)
{
	struct jsonw w;
	int i;

	/* the cap: 10 bytes hold {"a":1} but not {"a":12345} */
	jsonw_init(&w, 10);
	jsonw_object(&w);
	jsonw_key(&w, "a");
	jsonw_int(&w, 1);
	jsonw_object_end(&w);
	CHECK(jsonw_done(&w) == 0 && w.len == 7, "len %zu", w.len);
	jsonw_free(&w);
	jsonw_object(&w);
	jsonw_key(&w, "a");
	jsonw_int(&w, 12345);
	jsonw_object_end(&w);
	CHECK(jsonw_done(&w) == -1, "past the cap");
	jsonw_free(&w);
	/* unclosed, closed once too often, a key outside an object */
	jsonw_init(&w, 1 << 10);
	jsonw_array(&w);
	CHECK(jsonw_done(&w) == -1, "unclosed");
	jsonw_array_end(&w);
	CHECK(jsonw_done(&w) == 0);
	jsonw_array_end(&w);
	CHECK(jsonw_done(&w) == -1, "closed twice");
	jsonw_free(&w);
	jsonw_key(&w, "k");
	CHECK(jsonw_done(&w) == -1, "a key at the top");
	jsonw_free(&w);
	/* nesting past JSONW_DEPTH */
	for (i = 0; i <= JSONW_DEPTH; i++)
		jsonw_array(&w);
	for (i = 0; i <= JSONW_DEPTH; i++)
		jsonw_array_end(&w);
	CHECK(jsonw_done(&w) == -1, "too deep");
	jsonw_free(&w);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"reals", case_reals},
    {"values", case_values},
    {"errors", case_errors},
};

int
main(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		if (argc < 2 || strcmp(argv[1], cases[i].name) == 0)
			RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("jsonw_test");
}
