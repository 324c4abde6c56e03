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
#define JOBREQ_NOPTS      20  /* options of submit */

/* The options of "submit", as podctl's command table and the tests use
 * them: name (-J), nodes (-N), accelerators (-G), accels-per-node, time
 * (-t), priority, within, policy, no-requeue, power-per-accel,
 * allow-capped. */
extern const struct args_opt jobreq_opts[JOBREQ_NOPTS];

/* The job states of the REST contract, as "jobs --state" accepts them. */
#define JOBREQ_STATES                                                          \
	"pending running completed failed cancelled timeout node_fail"

/*
 * Parses a time limit in one of Slurm's forms, minutes ("90"), "M:S",
 * "H:M:S", "D-H", "D-H:M", "D-H:M:S", or as numbers with units from days
 * down to seconds, each unit at most once ("90s", "15m", "2h", "1d",
 * "1h30m"). Sets *secs and returns 0, or returns -1 with one line in err
 * for zero, a sign, a fraction, an unknown unit, units out of order, hours,
 * minutes or seconds past their unit ("1:60", "1-24") or more than
 * JOBREQ_MAX_TIME_S.
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
 * Without --time the body has no time limit, for the server's default.
 * Returns the body, a new reference the caller drops with json_decref(),
 * or NULL with one line in err saying what is wrong with the command line.
 */
json_t *jobreq_body(const struct args *a, char *err, size_t errlen);

/*
 * Writes into buf (size bytes, always terminated) the server's message
 * about a submission with its member names replaced by submit's options,
 * so that an operator reads what to type: "'accels_per_node' must be 1 to
 * 64" becomes "--accels-per-node must be 1 to 64". A member is replaced
 * where it is quoted, or bare when it has an underscore (plain words such
 * as "nodes" are left alone).
 */
void jobreq_explain(const char *msg, char *buf, size_t size);

#endif
