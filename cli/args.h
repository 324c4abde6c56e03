/*
 * Command-line arguments: a small parser driven by a table of options, so
 * that every podctl command declares what it accepts in one place and the
 * parsing itself can be tested without a server.
 *
 * Long options are written "--name VALUE" or "--name=VALUE", short ones
 * "-x VALUE" or "-xVALUE"; "--" ends the options. A word beginning with
 * "-" and a digit is a positional argument (a negative number) unless an
 * option has that digit for its letter. Options may follow the
 * positional arguments ("node drain NAME --reason TEXT") unless the caller
 * asks to stop at the first positional, as the global options do so that
 * the command's own options are left for the command.
 */
#ifndef POD_ARGS_H
#define POD_ARGS_H

#include <stddef.h>

/* Options in one table, and positional arguments kept when intermixed:
 * a job's command line is among them, as long as the server takes. */
#define ARGS_MAX_OPTS 32
#define ARGS_MAX_POS  1024

#define ARGS_STOP_AT_POSITIONAL 0x01 /* the rest of argv is positional */

struct args_opt {
	const char *name; /* long name, without the leading "--" */
	char letter;      /* short name, or 0 for none */
	int has_value;    /* 1 takes a value, 0 is a flag */
};

struct args {
	const struct args_opt *opts; /* borrowed from the caller */
	size_t nopts;
	const char *val[ARGS_MAX_OPTS]; /* value per option; "" for a flag
	                                 * given; NULL when absent */
	char **pos;                     /* positional arguments */
	int npos;
	int dashdash; /* positionals before "--", or -1 when there was none:
	               * pos[dashdash..] are the words after it */
	char *posbuf[ARGS_MAX_POS]; /* pos points here when intermixed */
};

/*
 * Parses argv[0..argc-1] (no program name) against opts. Returns 0, or -1
 * with one line in err ("unknown option '--x'"). A later occurrence of an
 * option replaces an earlier one. Values and positionals point into argv.
 * out->dashdash tells positionals after "--" from those before it.
 */
int args_parse(int argc, char **argv, const struct args_opt *opts, size_t nopts,
    int flags, struct args *out, char *err, size_t errlen);

/* The value of option `name`, "" for a flag, or NULL when it was not given
 * or is not in the table. Borrowed from argv. */
const char *args_get(const struct args *a, const char *name);

/*
 * Checks every item of a comma-separated list ("drained,down") with
 * valid(). Returns 0, or -1 with the first empty or invalid item copied
 * into bad (cut to badlen).
 */
int args_list_check(
    const char *list, int (*valid)(const char *), char *bad, size_t badlen);

#endif
