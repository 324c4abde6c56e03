/*
 * Configuration files: an INI dialect shared by every daemon.
 *
 *	# comment (also ';')
 *	[controller]
 *	listen = 127.0.0.1:8470
 *	[pod pod02]		a section with an argument
 *	power_budget_kw = 900
 *
 * conf_parse() only splits the text into entries and remembers where each
 * came from; the daemon then walks the entries against its own keyword table
 * and converts values with conf_int() and friends, which word their errors
 * as "file:line: key: what is wrong".
 */
#ifndef POD_CONF_H
#define POD_CONF_H

#include <stddef.h>

#define CONF_MAX_BYTES (1024 * 1024) /* larger files are refused */

struct conf_entry {
	const char *section; /* "controller" */
	const char *arg;     /* "pod02" in "[pod pod02]", "" without */
	const char *key;
	const char *value; /* quotes removed */
	const char *where; /* "file:line" */
};

struct conf {
	struct conf_entry *v;
	size_t n;
};

/* Reads and splits a file. Returns NULL with a message in err on error.
 * Caller frees with conf_free(). */
struct conf *conf_load(const char *path, char *err, size_t errlen);
/* Splits text; `name` stands for the file in messages. As conf_load(). */
struct conf *conf_parse(
    const char *text, const char *name, char *err, size_t errlen);
void conf_free(struct conf *c);

/* Value converters: 0 on success, -1 with "where: key: why" in err. */
int conf_int(const struct conf_entry *e, long min, long max, long *out,
    char *err, size_t errlen);
int conf_double(const struct conf_entry *e, double min, double max, double *out,
    char *err, size_t errlen);
int conf_bool(const struct conf_entry *e, int *out, char *err, size_t errlen);
/* Copies a non-empty string of at most size-1 bytes. */
int conf_str(const struct conf_entry *e, char *out, size_t size, char *err,
    size_t errlen);
/* Formats "where: key: message" into err. */
void conf_error(char *err, size_t errlen, const struct conf_entry *e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
