/*
 * The INI dialect of conf.h. Parsing copies each entry's strings into one
 * allocation per entry, so entries stay valid until conf_free() whatever the
 * caller does with the text.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"

static char *
trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
		    *s != '.')
			return 0;
	return 1;
}

static int
add_entry(struct conf *c, const char *section, const char *arg, const char *key,
    const char *value, const char *where)
{
	size_t ls = strlen(section) + 1, la = strlen(arg) + 1;
	size_t lk = strlen(key) + 1, lv = strlen(value) + 1;
	size_t lw = strlen(where) + 1;
	struct conf_entry *v, *e;
	char *p;

	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	c->v = v;
	p = malloc(ls + la + lk + lv + lw);
	if (p == NULL)
		return -1;
	e = &c->v[c->n++];
	e->section = memcpy(p, section, ls);
	e->arg = memcpy(p += ls, arg, la);
	e->key = memcpy(p += la, key, lk);
	e->value = memcpy(p += lk, value, lv);
	e->where = memcpy(p += lv, where, lw);
	return 0;
}

struct conf *
conf_parse(const char *text, const char *name, char *err, size_t errlen)
{
	struct conf *c;
	char section[64] = "", arg[64] = "", where[512];
	char *copy, *line, *next, *s, *eq, *key, *val;
	int lineno = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (copy = strdup(text)) == NULL) {
		free(c);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%s:%d", name, lineno);
		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']'), *sp;

			if (close == NULL || *trim(close + 1) != '\0') {
				snprintf(err, errlen,
				    "%s: section header needs a closing ']'",
				    where);
				goto fail;
			}
			*close = '\0';
			s = trim(s + 1);
			sp = s + strcspn(s, " \t");
			arg[0] = '\0';
			if (*sp != '\0') {
				*sp = '\0';
				snprintf(arg, sizeof(arg), "%s", trim(sp + 1));
				if (!valid_name(arg)) {
					snprintf(err, errlen,
					    "%s: bad section argument '%s'",
					    where, arg);
					goto fail;
				}
			}
			if (!valid_name(s) || strlen(s) >= sizeof(section)) {
				snprintf(err, errlen,
				    "%s: bad section name '%s'", where, s);
				goto fail;
			}
			snprintf(section, sizeof(section), "%s", s);
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(
			    err, errlen, "%s: expected 'key = value'", where);
			goto fail;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		if (!valid_name(key)) {
			snprintf(err, errlen, "%s: bad key '%s'", where, key);
			goto fail;
		}
		if (section[0] == '\0') {
			snprintf(err, errlen,
			    "%s: %s: key outside any [section]", where, key);
			goto fail;
		}
		if (*val == '"') {
			size_t l = strlen(val);

			if (l < 2 || val[l - 1] != '"') {
				snprintf(err, errlen,
				    "%s: %s: unterminated quoted value", where,
				    key);
				goto fail;
			}
			val[l - 1] = '\0';
			val++;
		}
		if (add_entry(c, section, arg, key, val, where) == -1) {
			snprintf(err, errlen, "%s: out of memory", where);
			goto fail;
		}
	}
	free(copy);
	return c;
fail:
	free(copy);
	conf_free(c);
	return NULL;
}

struct conf *
conf_load(const char *path, char *err, size_t errlen)
{
	struct conf *c = NULL;
	FILE *f;
	char *buf = NULL;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CONF_MAX_BYTES + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	n = fread(buf, 1, CONF_MAX_BYTES + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (n > CONF_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONF_MAX_BYTES);
		goto fail;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto fail;
	}
	buf[n] = '\0';
	c = conf_parse(buf, path, err, errlen);
fail:
	free(buf);
	fclose(f);
	return c;
}

void
conf_free(struct conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free((char *)c->v[i].section);
	free(c->v);
	free(c);
}

void
conf_error(
    char *err, size_t errlen, const struct conf_entry *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "%s: %s: ", e->where, e->key);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

int
conf_int(const struct conf_entry *e, long min, long max, long *out, char *err,
    size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(e->value, &end, 10);
	if (e->value[0] == '\0' || *end != '\0' || errno == ERANGE) {
		conf_error(err, errlen, e, "'%s' is not an integer", e->value);
		return -1;
	}
	if (v < min || v > max) {
		conf_error(
		    err, errlen, e, "%ld is outside %ld..%ld", v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_double(const struct conf_entry *e, double min, double max, double *out,
    char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(e->value, &end);
	if (e->value[0] == '\0' || *end != '\0' || errno == ERANGE ||
	    !isfinite(v)) {
		conf_error(err, errlen, e, "'%s' is not a number", e->value);
		return -1;
	}
	if (v < min || v > max) {
		conf_error(err, errlen, e, "%g is outside %g..%g", v, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
conf_bool(const struct conf_entry *e, int *out, char *err, size_t errlen)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(e->value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(e->value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	conf_error(err, errlen, e, "'%s' is not yes or no", e->value);
	return -1;
}

int
conf_str(const struct conf_entry *e, char *out, size_t size, char *err,
    size_t errlen)
{
	size_t l = strlen(e->value);

	if (l == 0 || l >= size) {
		conf_error(err, errlen, e,
		    "needs a value of 1 to %zu characters", size - 1);
		return -1;
	}
	memcpy(out, e->value, l + 1);
	return 0;
}
