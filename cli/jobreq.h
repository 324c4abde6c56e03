/*
 * Job requests from the command line: the pure part of "podctl submit",
 * "job show" and "cancel". It turns the options of submit into the body of
 * POST /api/v1/jobs and checks every value before anything is sent, so that
 * a typo is a usage error naming the option rather than a 400 from the
 * server, and so that the whole translation is tested without a server.
 */
#ifndef POD_JOBREQ_H
#define POD_JOBREQ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"

#define JOBREQ_MAX_TIME_S (366 * 86400LL) /* longest --time, as the server */
#define JOBREQ_MAX_COUNT  1000000         /* most nodes or accelerators asked */
#define JOBREQ_NAME_MAX   127 /* longest job name, bytes, as the server */
#define JOBREQ_NOPTS      11  /* options of submit */

/* The options of "submit", as podctl's command table and the tests use
 * them: name, nodes, accelerators, accels-per-node, time, priority,
 * within, policy, no-requeue. */
extern const struct args_opt jobreq_opts[JOBREQ_NOPTS];

/* The job states of the REST contract, as "jobs --state" accepts them. */
#define JOBREQ_STATES                                                          \
	"pending running completed failed cancelled timeout node_fail"

/*
 * Parses a time limit: whole seconds ("90"), or numbers with units from
 * days down to seconds, each unit at most once ("90s", "15m", "2h", "1d",
 * "1h30m"). Sets *secs and returns 0, or returns -1 with one line in err
 * for zero, a sign, a fraction, an unknown unit, units out of order or more
 * than JOBREQ_MAX_TIME_S.
 */
int jobreq_parse_time(const char *s, int64_t *secs, char *err, size_t errlen);

/*
 * Parses a decimal integer without sign or spaces in [1, max]. Returns 0
 * with *out set, or -1 when s is anything else.
 */
int jobreq_parse_count(const char *s, int64_t max, int64_t *out);

/* 1 when s is a job state of the REST contract. */
int jobreq_state_valid(const char *s);

/*
 * Builds the body of POST /api/v1/jobs from a parse of submit's options
 * (args_parse() over jobreq_opts): the words after "--" are the command.
 * Returns the body, a new reference the caller drops with json_decref(),
 * or NULL with one line in err saying what is wrong with the command line.
 */
json_t *jobreq_body(const struct args *a, char *err, size_t errlen);

#endif
