/*
 * Command-line arguments: see args.h. Written by hand rather than over
 * getopt_long() because getopt keeps its state in globals, permutes argv
 * under some settings and not others, and reports errors itself in its own
 * words; podctl wants one line in its own voice and a parser it can test.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

static const struct args_opt *
find_long(const struct args_opt *opts, size_t nopts, const char *name,
    size_t len, size_t *idx)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

static const struct args_opt *
find_short(const struct args_opt *opts, size_t nopts, char letter, size_t *idx)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		if (opts[i].letter != 0 && opts[i].letter == letter) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

static int
add_pos(struct args *out, char *arg, char *err, size_t errlen)
{
	if (out->npos >= ARGS_MAX_POS) {
		snprintf(err, errlen, "too many arguments (at most %d)",
		    ARGS_MAX_POS);
		return -1;
	}
	out->posbuf[out->npos++] = arg;
	return 0;
}

int
args_parse(int argc, char **argv, const struct args_opt *opts, size_t nopts,
    int flags, struct args *out, char *err, size_t errlen)
{
	const struct args_opt *o;
	const char *eq;
	char *a;
	size_t idx, len;
	int i;

	memset(out, 0, sizeof(*out));
	if (nopts > ARGS_MAX_OPTS) {
		snprintf(err, errlen, "%s: %zu options, at most %d", __func__,
		    nopts, ARGS_MAX_OPTS);
		return -1;
	}
	out->opts = opts;
	out->nopts = nopts;
	out->pos = out->posbuf;
	out->dashdash = -1;

	for (i = 0; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			out->dashdash = out->npos;
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0' ||
		    (isdigit((unsigned char)a[1]) &&
		        find_short(opts, nopts, a[1], &idx) == NULL)) {
			/* A positional argument; "-" alone is one too, and
			 * so is a negative number ("power cap -1"), so that
			 * the command can say what is wrong with it. */
			if (flags & ARGS_STOP_AT_POSITIONAL)
				break;
			if (add_pos(out, a, err, errlen) == -1)
				return -1;
			continue;
		}
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			len =
			    eq != NULL ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			o = find_long(opts, nopts, a + 2, len, &idx);
			if (o == NULL) {
				snprintf(err, errlen, "unknown option '--%.*s'",
				    (int)len, a + 2);
				return -1;
			}
			if (!o->has_value) {
				if (eq != NULL) {
					snprintf(err, errlen,
					    "option '--%s' takes no value",
					    o->name);
					return -1;
				}
				out->val[idx] = "";
			} else if (eq != NULL)
				out->val[idx] = eq + 1;
			else if (i + 1 < argc)
				out->val[idx] = argv[++i];
			else {
				snprintf(err, errlen,
				    "option '--%s' needs a value", o->name);
				return -1;
			}
			continue;
		}
		o = find_short(opts, nopts, a[1], &idx);
		if (o == NULL) {
			snprintf(err, errlen, "unknown option '-%c'", a[1]);
			return -1;
		}
		if (!o->has_value) {
			if (a[2] != '\0') {
				snprintf(err, errlen,
				    "option '-%c' takes no value", a[1]);
				return -1;
			}
			out->val[idx] = "";
		} else if (a[2] != '\0')
			out->val[idx] = a + 2;
		else if (i + 1 < argc)
			out->val[idx] = argv[++i];
		else {
			snprintf(
			    err, errlen, "option '-%c' needs a value", a[1]);
			return -1;
		}
	}

	/* What is left after "--" or the first positional. */
	if (flags & ARGS_STOP_AT_POSITIONAL) {
		out->pos = argv + i;
		out->npos = argc - i;
		return 0;
	}
	for (; i < argc; i++)
		if (add_pos(out, argv[i], err, errlen) == -1)
			return -1;
	return 0;
}

const char *
args_get(const struct args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].name, name) == 0)
			return a->val[i];
	return NULL;
}

int
args_list_check(
    const char *list, int (*valid)(const char *), char *bad, size_t badlen)
{
	char item[256];
	const char *p, *end;
	size_t len;

	for (p = list;; p = end + 1) {
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		if (len == 0 || len >= sizeof(item) || !valid(item)) {
			snprintf(bad, badlen, "%s", item);
			return -1;
		}
		if (*end == '\0')
			return 0;
	}
}
