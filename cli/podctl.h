/*
 * podctl: what the command modules share with the driver in podctl.c. A
 * command is a function from its parsed arguments to an exit status; it
 * fetches through podctl_call(), which prints the reply verbatim under
 * "-o json" and reports every failure in one line, so that a command only
 * renders the happy path.
 */
#ifndef POD_PODCTL_H
#define POD_PODCTL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "args.h"
#include "cred.h"

/* Exit statuses: a contract with scripts, documented in podctl(1). */
enum podctl_exit {
	PODCTL_OK = 0,          /* done */
	PODCTL_EAPI = 1,        /* the server refused or answered nonsense */
	PODCTL_EUSAGE = 2,      /* bad command line */
	PODCTL_EUNREACHABLE = 3 /* no answer from the server */
};

enum podctl_output {
	OUTPUT_TABLE, /* text fitted to the terminal */
	OUTPUT_WIDE,  /* text with every column, nothing cut */
	OUTPUT_JSON,  /* the server's reply as it came */
	OUTPUT_CSV    /* listings as comma-separated values, a header first */
};

struct rest;

struct podctl {
	struct rest *rest;
	enum podctl_output output;
	int columns;        /* width available for tables, characters */
	int64_t now_ms;     /* wall clock at start, ms since the epoch */
	int noheader;       /* --noheader: tables without their titles */
	const char *format; /* --format: the columns of a listing, or NULL;
	                     * borrowed from argv */
	char token_from[CRED_PATH_MAX]; /* where the token came from:
	                                 * "--token", "POD_TOKEN" or a file's
	                                 * path; "" when none is sent */
};

/*
 * Sends a request (path under the server, e.g. "/api/v1/pods", already
 * URL-encoded). On success returns PODCTL_OK and either prints the body as
 * received (-o json; *out is then NULL) or sets *out to the parsed body, a
 * new reference the caller drops with json_decref(). On failure prints one
 * line on stderr and returns PODCTL_EAPI or PODCTL_EUNREACHABLE.
 */
int podctl_call(struct podctl *pc, const char *method, const char *path,
    json_t *body, json_t **out);

/*
 * As podctl_call(), but a refusal's message from the server goes through
 * `explain` (when not NULL), which writes the text to print into buf, such
 * as the server's member names turned into podctl's options.
 */
int podctl_call_explained(struct podctl *pc, const char *method,
    const char *path, json_t *body, json_t **out,
    void (*explain)(const char *msg, char *buf, size_t size));

/*
 * The line for a refusal of HTTP `status` whose message from the server is
 * msg: for 401 "not signed in: ..." saying where a token goes or which one
 * was refused, for 403 "forbidden: msg", else msg. Writes it into buf and
 * returns buf.
 */
const char *podctl_refusal(
    struct podctl *pc, long status, const char *msg, char *buf, size_t size);

/* Prints "podctl: <message>" on stderr. */
void podctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As podctl_error() with a pointer to "podctl help"; returns PODCTL_EUSAGE. */
int podctl_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Reports a reply that lacks what the command needs; returns PODCTL_EAPI. */
int podctl_bad_reply(const char *what);
/* METHOD PREFIX ID SUFFIX for an id given on the command line (what:
 * "alarm", "token"), then "WHAT ID DONE" on success ("alarm 3
 * acknowledged"). A PODCTL_* code; a bad id is a usage error. */
int podctl_call_on_id(struct podctl *pc, const char *what, const char *id_arg,
    const char *method, const char *prefix, const char *suffix,
    const char *done);

/* Appends "?key=value" or "&key=value", the value escaped, to path (size
 * bytes). A PODCTL_* code: PODCTL_EAPI when it does not fit. */
int podctl_add_query(struct podctl *pc, char *path, size_t size,
    const char *key, const char *value);

/* Prints "Label:   value" with values aligned, for detail views. */
void podctl_line(const char *label, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* As podctl_line() on f. */
void podctl_fline(FILE *f, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct table_col;

/* Checks the --format of a listing against its columns before anything is
 * sent. Returns PODCTL_OK, or PODCTL_EUSAGE after naming the valid ones. */
int podctl_check_columns(
    struct podctl *pc, const struct table_col *cols, int ncols);

/* Prints one row per object of `rows` in the given columns: fitted to the
 * terminal, or with -o wide every column and nothing cut, or with --format
 * the columns it names (table_select()); without titles after --noheader.
 * Returns PODCTL_OK, PODCTL_EUSAGE (reported) for a bad --format, or
 * PODCTL_EAPI (reported) when a row is not an object or memory runs out. */
int podctl_print_table(
    struct podctl *pc, const struct table_col *cols, int ncols, json_t *rows);
/* As podctl_print_table() on f. */
int podctl_fprint_table(struct podctl *pc, FILE *f,
    const struct table_col *cols, int ncols, json_t *rows);

/* Commands: each returns an enum podctl_exit. */
int cmd_status(struct podctl *pc, const struct args *a); /* cmd_fleet.c */
int cmd_pods(struct podctl *pc, const struct args *a);
/* Prints on f the summary of "status" from a GET /api/v1/status object,
 * all but the alarm count; for "top". */
void cmd_status_print(FILE *f, json_t *st);
/* Prints on f the table of "pods" from the array of GET /api/v1/pods;
 * returns as podctl_print_table(). */
int cmd_pods_print(struct podctl *pc, FILE *f, json_t *pods);
int cmd_nodes(struct podctl *pc, const struct args *a); /* cmd_node.c */
int cmd_node_show(struct podctl *pc, const struct args *a);
int cmd_node_drain(struct podctl *pc, const struct args *a);
int cmd_node_resume(struct podctl *pc, const struct args *a);
int cmd_node_credential(struct podctl *pc, const struct args *a);
int cmd_submit(struct podctl *pc, const struct args *a); /* cmd_job.c */
int cmd_jobs(struct podctl *pc, const struct args *a);
int cmd_job_show(struct podctl *pc, const struct args *a);
int cmd_cancel(struct podctl *pc, const struct args *a);
int cmd_policy_get(struct podctl *pc, const struct args *a); /* cmd_power.c */
int cmd_policy_set(struct podctl *pc, const struct args *a);
int cmd_power_get(struct podctl *pc, const struct args *a);
int cmd_power_cap(struct podctl *pc, const struct args *a);
int cmd_power_curtail(struct podctl *pc, const struct args *a);
int cmd_alarms(struct podctl *pc, const struct args *a); /* cmd_alarm.c */
int cmd_alarm_ack(struct podctl *pc, const struct args *a);
int cmd_audit(struct podctl *pc, const struct args *a); /* cmd_audit.c */
int cmd_top(struct podctl *pc, const struct args *a);   /* cmd_top.c */
int cmd_acct(struct podctl *pc, const struct args *a);  /* cmd_acct.c */
int cmd_usage(struct podctl *pc, const struct args *a);
int cmd_whoami(struct podctl *pc, const struct args *a); /* cmd_token.c */
int cmd_prio(struct podctl *pc, const struct args *a);   /* cmd_prio.c */
int cmd_token_create(struct podctl *pc, const struct args *a);
int cmd_token_list(struct podctl *pc, const struct args *a);
int cmd_token_revoke(struct podctl *pc, const struct args *a);
int cmd_account_add(struct podctl *pc, const struct args *a); /* cmd_org.c */
int cmd_account_list(struct podctl *pc, const struct args *a);
int cmd_account_show(struct podctl *pc, const struct args *a);
int cmd_account_modify(struct podctl *pc, const struct args *a);
int cmd_user_add(struct podctl *pc, const struct args *a);
int cmd_user_list(struct podctl *pc, const struct args *a);
int cmd_user_show(struct podctl *pc, const struct args *a);
int cmd_user_modify(struct podctl *pc, const struct args *a);
int cmd_qos_list(struct podctl *pc, const struct args *a);
int cmd_partition_list(struct podctl *pc, const struct args *a);
int cmd_reservation_add(struct podctl *pc, const struct args *a);
int cmd_reservation_list(struct podctl *pc, const struct args *a);
int cmd_reservation_delete(struct podctl *pc, const struct args *a);

#endif
