/*
 * podctl: the operator's command-line client of pod-controllerd's REST API.
 *
 * The driver parses the global options up to the command words, picks the
 * command from one static table (noun, optional verb) and parses the rest
 * against the command's options and the global ones together, so that
 * "podctl jobs -o json" works as an operator used to Slurm types it; only
 * then does it set up the client. usage() and per-command help are
 * generated from the same table, so a new command is one row and one
 * function. Every failure ends in one line on stderr and a distinct exit
 * status (see enum podctl_exit).
 */
#include <sys/ioctl.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acctfmt.h"
#include "args.h"
#include "cred.h"
#include "jobreq.h"
#include "log.h"
#include "podctl.h"
#include "rest.h"
#include "table.h"
#include "timeutil.h"

#define DEFAULT_SERVER  "http://127.0.0.1:8470"
#define DEFAULT_COLUMNS 100 /* table width when nothing says otherwise */
#define MAX_COLUMNS     10000
#define LABEL_W         17 /* labels of detail views, with their colon */
#define USAGE_W         79 /* usage() wraps a synopsis before this column */
#define SYNOPSIS_W      34 /* usage(): room for a command before its help */

struct cmd {
	const char *noun;
	const char *verb;
	const char *synopsis;
	int min_args;
	int max_args;
	const struct args_opt *opts;
	size_t nopts;
	int (*run)(struct podctl *, const struct args *);
	const char *help;
};

static int cmd_help(struct podctl *, const struct args *);

/* Accepted before the command words and among the command's own options;
 * where both give one, the later wins. */
static const struct args_opt global_opts[] = {
    {"server", 0, 1},     /* URL of the controller, or URL,URL... */
    {"token", 0, 1},      /* bearer token */
    {"token-file", 0, 1}, /* a file holding the bearer token */
    {"cacert", 0, 1},     /* CA certificates to verify an https server */
    {"output", 'o', 1},   /* table, wide, json or csv */
    {"help", 'h', 0},     /* usage on stdout */
    {"version", 0, 0},    /* version on stdout */
};

#define NGLOBAL (sizeof(global_opts) / sizeof(global_opts[0]))

/* Every listing takes --noheader (rows only) and --format or -O (the
 * columns, "name,state,power_w"); podctl_print_table() reads them. */
static const struct args_opt list_opts[] = {
    {"noheader", 0, 0},
    {"format", 'O', 1},
};

static const struct args_opt nodes_opts[] = {
    {"pod", 0, 1},     /* pods, comma-separated */
    {"group", 0, 1},   /* leaf groups, comma-separated */
    {"state", 0, 1},   /* states, comma-separated */
    {"problem", 0, 1}, /* leak, hot, down, unhealthy, comma-separated */
    {"limit", 0, 1},   /* the first N; else all, a page at a time */
    {"noheader", 0, 0},
    {"format", 'O', 1},
};

static const struct args_opt drain_opts[] = {
    {"reason", 0, 1},
};

static const struct args_opt resume_opts[] = {
    {"force", 0, 0}, /* over a leak, low flow or overheating it reports */
};

static const struct args_opt jobs_opts[] = {
    {"state", 0, 1},   /* states, comma-separated */
    {"array", 'r', 0}, /* one row per array task (squeue -r) */
    {"noheader", 0, 0},
    {"format", 'O', 1},
};

static const struct args_opt target_opts[] = {
    {"pod", 0, 1},  /* a pod's policy */
    {"node", 0, 1}, /* a node's policy */
};

static const struct args_opt alarms_opts[] = {
    {"all", 0, 0}, /* cleared alarms too */
    {"noheader", 0, 0},
    {"format", 'O', 1},
};

static const struct args_opt audit_opts[] = {
    {"since", 0, 1},  /* RFC 3339 time, or an age: 2h */
    {"until", 0, 1},  /* likewise */
    {"actor", 0, 1},  /* who made the change */
    {"action", 0, 1}, /* drain, resume, set, policy, … */
    {"limit", 0, 1},  /* newest lines shown, 100 by default */
};

static const struct args_opt acct_opts[] = {
    {"user", 'u', 1},      /* users, comma-separated */
    {"account", 'A', 1},   /* accounts, comma-separated */
    {"state", 's', 1},     /* states, comma-separated */
    {"starttime", 'S', 1}, /* attempts running at or after this time */
    {"endtime", 'E', 1},   /* attempts running before this time */
    {"jobs", 'j', 1},      /* job ids, comma-separated */
    {"noheader", 0, 0},
    {"format", 'O', 1}, /* fields, sacct's names: JobID,State,… */
};

static const struct args_opt usage_opts[] = {
    {"starttime", 'S', 1}, /* the period's start */
    {"endtime", 'E', 1},   /* its end, now by default */
    {"by", 0, 1},          /* account or user */
    {"noheader", 0, 0},
    {"format", 'O', 1},
};

static const struct args_opt token_create_opts[] = {
    {"user", 0, 1},    /* whom the token names */
    {"role", 0, 1},    /* viewer, operator or admin */
    {"expires", 0, 1}, /* a duration: 30d, 12h, 3600s */
    {"comment", 0, 1}, /* free text kept with the token */
};

static const struct args_opt prio_opts[] = {
    {"user", 'u', 1}, /* one user's pending jobs */
    {"noheader", 0, 0},
    {"format", 'O', 1},
};

static const struct args_opt account_opts[] = {
    {"parent", 0, 1},      /* the account it is under; root by default */
    {"shares", 0, 1},      /* among its siblings; 1 by default */
    {"description", 0, 1}, /* free text */
};

static const struct args_opt user_opts[] = {
    {"account", 'A', 1},       /* accounts it may charge, comma-separated */
    {"default-account", 0, 1}, /* the one its jobs charge by default */
};

static const struct args_opt resv_opts[] = {
    {"start", 0, 1},     /* a time; now by default */
    {"duration", 0, 1},  /* 4h, 90m, 2d */
    {"end", 0, 1},       /* a time, instead of --duration */
    {"pods", 0, 1},      /* pods, comma-separated */
    {"nodes", 0, 1},     /* a host list: pod01-n[001-004] */
    {"maint", 0, 0},     /* a maintenance window: the nodes drain */
    {"account", 'A', 1}, /* the account it is for */
};

static const struct args_opt top_opts[] = {
    {"interval", 0, 1}, /* seconds between frames */
    {"once", 0, 0},     /* one frame, then exit */
};

#define OPTS(o) o, sizeof(o) / sizeof(o[0])
#define NOOPTS  NULL, 0

/*
 * The commands, in the order usage() lists them. Columns:
 *   noun, verb  the words that name the command; verb NULL when the noun
 *               alone is the command. Rows sharing a noun are its verbs.
 *   synopsis    the arguments and options as usage() shows them
 *   min, max    how many positional arguments follow the words
 *   opts        the command's options (args.h), or NOOPTS
 *   run         the function doing it; returns an enum podctl_exit
 *   help        one line for usage()
 */
static const struct cmd cmds[] = {
    {"status", NULL, "", 0, 0, NOOPTS, cmd_status,
        "nodes, power, cooling, alarms at a glance"},
    {"pods", NULL, "[--noheader] [-O|--format COLUMNS]", 0, 0, OPTS(list_opts),
        cmd_pods, "list the pods with their power and coolant"},
    {"nodes", NULL,
        "[--pod POD[,POD...]] [--group GROUP[,GROUP...]] "
        "[--state STATE[,STATE...]] [--problem PROBLEM[,PROBLEM...]] "
        "[--limit N] [--noheader] [-O|--format COLUMNS]",
        0, 0, OPTS(nodes_opts), cmd_nodes, "list the nodes"},
    {"node", "show", "NODES", 1, 1, NOOPTS, cmd_node_show,
        "nodes and their accelerators"},
    {"node", "drain", "NODES --reason TEXT", 1, 1, OPTS(drain_opts),
        cmd_node_drain, "stop placing jobs on nodes"},
    {"node", "resume", "NODES [--force]", 1, 1, OPTS(resume_opts),
        cmd_node_resume, "return drained nodes to service"},
    {"node", "credential", "NODE", 1, 1, NOOPTS, cmd_node_credential,
        "the credential to install on a node (admin)"},
    {"submit", NULL,
        "[-J|--name NAME] (-N|--nodes N | -G|--accelerators A) "
        "[--accels-per-node K] [-t|--time TIME] [--priority P] "
        "[--within group|pod|fabric] [--policy POLICY] [--no-requeue] "
        "[--power-per-accel W] [--allow-capped] [-D|--chdir DIR] "
        "[-o|--output PATTERN] [-e|--error PATTERN] [-A|--account NAME] "
        "[-q|--qos NAME] [-p|--partition NAME] [--reservation NAME] "
        "[-d|--dependency DEPS] [-a|--array SPEC] -- COMMAND [ARG...]",
        0, ARGS_MAX_POS, OPTS(jobreq_opts), cmd_submit,
        "queue a job; prints its id"},
    {"jobs", NULL,
        "[--state STATE[,STATE...]] [-r|--array] [--noheader] "
        "[-O|--format COLUMNS]",
        0, 0, OPTS(jobs_opts), cmd_jobs, "list the jobs, queued first"},
    {"job", "show", "ID", 1, 1, NOOPTS, cmd_job_show, "one job and its ranks"},
    {"cancel", NULL, "ID", 1, 1, NOOPTS, cmd_cancel,
        "cancel a queued or running job, or an array (ID or ID_TASK)"},
    {"prio", NULL, "[JOB] [-u|--user USER] [--noheader] [-O|--format COLUMNS]",
        0, 1, OPTS(prio_opts), cmd_prio,
        "the priority factors of pending jobs (as sprio)"},
    {"policy", "get", "[--pod POD | --node NODE]", 0, 0, OPTS(target_opts),
        cmd_policy_get, "the power policies, or one target's"},
    {"policy", "set", "[--pod POD | --node NODE] POLICY [KEY=VALUE...]", 1,
        ARGS_MAX_POS, OPTS(target_opts), cmd_policy_set,
        "set the fleet, pod or node policy"},
    {"power", "get", "", 0, 0, NOOPTS, cmd_power_get,
        "facility power, cap, curtailment and pods"},
    {"power", "cap", "KW|none", 1, 1, NOOPTS, cmd_power_cap,
        "set or remove the facility power cap"},
    {"power", "curtail", "PERCENT", 1, 1, NOOPTS, cmd_power_curtail,
        "curtail IT power by PERCENT; 0 ends it"},
    {"alarms", NULL, "[--all] [--noheader] [-O|--format COLUMNS]", 0, 0,
        OPTS(alarms_opts), cmd_alarms, "list the open and acknowledged alarms"},
    {"alarm", "ack", "ID", 1, 1, NOOPTS, cmd_alarm_ack, "acknowledge an alarm"},
    {"audit", NULL,
        "[--since TIME] [--until TIME] [--actor WHO] [--action ACTION] "
        "[--limit N]",
        0, 0, OPTS(audit_opts), cmd_audit, "who changed what, and when"},
    {"acct", NULL,
        "[-u|--user USER[,USER...]] [-A|--account ACCOUNT[,ACCOUNT...]] "
        "[-s|--state STATE[,STATE...]] [-S|--starttime TIME] "
        "[-E|--endtime TIME] [-j|--jobs ID[,ID...]] [--noheader] "
        "[-O|--format FIELDS]",
        0, 0, OPTS(acct_opts), cmd_acct,
        "accounting: every attempt of the jobs, as sacct"},
    {"usage", NULL,
        "[-S|--starttime TIME] [-E|--endtime TIME] [--by account|user] "
        "[--noheader] [-O|--format FIELDS]",
        0, 0, OPTS(usage_opts), cmd_usage,
        "accelerator-hours and kWh per account or user, as sreport"},
    {"top", NULL, "[--interval SECONDS] [--once]", 0, 0, OPTS(top_opts),
        cmd_top, "a live view of the fleet, refreshed"},
    {"whoami", NULL, "", 0, 0, NOOPTS, cmd_whoami,
        "the user and role of the token podctl sends"},
    {"token", "create",
        "--user NAME --role viewer|operator|admin [--expires DURATION] "
        "[--comment TEXT]",
        0, 0, OPTS(token_create_opts), cmd_token_create,
        "issue a token; prints it (admin)"},
    {"token", "list", "[--noheader] [-O|--format COLUMNS]", 0, 0,
        OPTS(list_opts), cmd_token_list, "list the tokens (admin)"},
    {"account", "add",
        "NAME [--parent ACCOUNT] [--shares N] [--description TEXT]", 1, 1,
        OPTS(account_opts), cmd_account_add, "add an account (admin)"},
    {"account", "list", "[--noheader] [-O|--format COLUMNS]", 0, 0,
        OPTS(list_opts), cmd_account_list, "list the account tree"},
    {"account", "show", "NAME", 1, 1, NOOPTS, cmd_account_show,
        "one account, its users and sub-accounts"},
    {"account", "modify",
        "NAME [--parent ACCOUNT] [--shares N] [--description TEXT]", 1, 1,
        OPTS(account_opts), cmd_account_modify,
        "move an account or change its shares (admin)"},
    {"user", "add",
        "NAME -A|--account ACCOUNT[,ACCOUNT...] [--default-account ACCOUNT]", 1,
        1, OPTS(user_opts), cmd_user_add, "let a user charge accounts (admin)"},
    {"user", "list", "[--noheader] [-O|--format COLUMNS]", 0, 0,
        OPTS(list_opts), cmd_user_list, "list the users and their accounts"},
    {"user", "show", "NAME", 1, 1, NOOPTS, cmd_user_show,
        "one user and its accounts"},
    {"user", "modify",
        "NAME [-A|--account ACCOUNT[,ACCOUNT...]] [--default-account "
        "ACCOUNT]",
        1, 1, OPTS(user_opts), cmd_user_modify,
        "change a user's accounts or default (admin)"},
    {"qos", "list", "[--noheader] [-O|--format COLUMNS]", 0, 0, OPTS(list_opts),
        cmd_qos_list, "list the QOS and their limits"},
    {"partition", "list", "[--noheader] [-O|--format COLUMNS]", 0, 0,
        OPTS(list_opts), cmd_partition_list,
        "list the partitions and their nodes"},
    {"reservation", "add",
        "NAME [--start TIME] (--duration DURATION | --end TIME) "
        "(--pods POD[,POD...] | --nodes HOSTLIST) (--maint | -A|--account "
        "ACCOUNT)",
        1, 1, OPTS(resv_opts), cmd_reservation_add,
        "reserve nodes for a time (operator)"},
    {"reservation", "list", "[--noheader] [-O|--format COLUMNS]", 0, 0,
        OPTS(list_opts), cmd_reservation_list,
        "list the reservations and maintenance windows"},
    {"reservation", "delete", "NAME", 1, 1, NOOPTS, cmd_reservation_delete,
        "delete a reservation; its nodes come back (operator)"},
    {"token", "revoke", "ID", 1, 1, NOOPTS, cmd_token_revoke,
        "revoke a token at once (admin)"},
    {"help", NULL, "", 0, 0, NOOPTS, cmd_help, "show this help"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
vmessage(const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(stderr, "podctl: %s%s\n", line, suffix);
}

void
podctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, "");
	va_end(ap);
}

int
podctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap, "; see 'podctl help'");
	va_end(ap);
	return PODCTL_EUSAGE;
}

int
podctl_bad_reply(const char *what)
{
	podctl_error("unexpected reply from the server: %s", what);
	return PODCTL_EAPI;
}

int
podctl_add_query(struct podctl *pc, char *path, size_t size, const char *key,
    const char *value)
{
	size_t len = strlen(path);
	char *esc;
	int n;

	if ((esc = rest_escape(pc->rest, value)) == NULL)
		return PODCTL_EAPI;
	n = snprintf(path + len, size - len, "%s%s=%s",
	    strchr(path, '?') ? "&" : "?", key, esc);
	free(esc);
	if (n < 0 || (size_t)n >= size - len) {
		podctl_error("request path too long");
		return PODCTL_EAPI;
	}
	return PODCTL_OK;
}

int
podctl_call_on_id(struct podctl *pc, const char *what, const char *id_arg,
    const char *method, const char *prefix, const char *suffix,
    const char *done)
{
	json_t *reply = NULL;
	char path[256]; /* the prefix and suffix are short constants */
	int64_t id;
	int rc;

	if (jobreq_parse_count(id_arg, INT64_MAX, &id) == -1)
		return podctl_usage_error(
		    "invalid %s id '%s' (a positive whole number)", what,
		    id_arg);
	snprintf(path, sizeof(path), "%s%lld%s", prefix, (long long)id, suffix);
	rc = podctl_call(pc, method, path, NULL, &reply);
	if (rc == PODCTL_OK && reply != NULL)
		printf("%s %lld %s\n", what, (long long)id, done);
	json_decref(reply);
	return rc;
}

int
podctl_call(struct podctl *pc, const char *method, const char *path,
    json_t *body, json_t **out)
{
	return podctl_call_explained(pc, method, path, body, out, NULL);
}

int
podctl_call_explained(struct podctl *pc, const char *method, const char *path,
    json_t *body, json_t **out,
    void (*explain)(const char *msg, char *buf, size_t size))
{
	struct rest_reply reply;
	enum rest_result res;
	/* text has room for err and where the token came from: a refusal
	 * says both */
	char err[1024], text[1024 + CRED_PATH_MAX + 128];
	int rc = PODCTL_OK;

	*out = NULL;
	res = rest_call(pc->rest, method, path, body, &reply, err, sizeof(err));
	switch (res) {
	case REST_OK:
		break;
	case REST_UNREACHABLE:
		podctl_error("%s", err);
		rc = PODCTL_EUNREACHABLE;
		goto fail;
	case REST_API_ERROR:
		if (reply.http_status == 401 || reply.http_status == 403) {
			podctl_error("%s", podctl_refusal(pc, reply.http_status,
			                       err, text, sizeof(text)));
		} else if (explain != NULL) {
			explain(err, text, sizeof(text));
			podctl_error("%s", text);
		} else
			podctl_error("%s", err);
		rc = PODCTL_EAPI;
		goto fail;
	}
	if (pc->output == OUTPUT_JSON) {
		fwrite(reply.body, 1, reply.len, stdout);
		if (reply.len == 0 || reply.body[reply.len - 1] != '\n')
			fputc('\n', stdout);
	} else
		*out = json_incref(reply.json);

fail:
	rest_reply_free(&reply);
	return rc;
}

const char *
podctl_refusal(
    struct podctl *pc, long status, const char *msg, char *buf, size_t size)
{
	if (status == 401 && pc->token_from[0] == '\0')
		snprintf(buf, size,
		    "not signed in: the server wants a token (--token-file, "
		    "POD_TOKEN or ~/.config/pod/token)");
	else if (status == 401)
		snprintf(buf, size,
		    "not signed in: the server refused the token from %s "
		    "(%s); it may be revoked or expired",
		    pc->token_from, msg);
	else if (status == 403)
		snprintf(buf, size, "forbidden: %s", msg);
	else
		snprintf(buf, size, "%s", msg);
	return buf;
}

static void
vline(FILE *f, const char *label, const char *fmt, va_list ap)
{
	int pad = LABEL_W - (int)strlen(label) - 1;

	fprintf(f, "%s:%*s", label, pad > 1 ? pad : 1, "");
	vfprintf(f, fmt, ap);
	fputc('\n', f);
}

void
podctl_line(const char *label, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(stdout, label, fmt, ap);
	va_end(ap);
}

void
podctl_fline(FILE *f, const char *label, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(f, label, fmt, ap);
	va_end(ap);
}

int
podctl_print_table(
    struct podctl *pc, const struct table_col *cols, int ncols, json_t *rows)
{
	return podctl_fprint_table(pc, stdout, cols, ncols, rows);
}

int
podctl_check_columns(struct podctl *pc, const struct table_col *cols, int ncols)
{
	struct table_col shown[TABLE_MAX_COLS];
	char err[1024];

	if (table_select(cols, ncols, pc->format, pc->output == OUTPUT_WIDE,
	        shown, err, sizeof(err)) == -1)
		return podctl_usage_error("--format: %s", err);
	return PODCTL_OK;
}

/* Prints t's titles (unless noheader) and rows as CSV. */
static void
print_csv(FILE *f, const struct table *t, int noheader)
{
	int r, i;

	for (i = 0; !noheader && i < t->ncols; i++) {
		acctfmt_csv(f, t->cols[i].title);
		fputc(i + 1 < t->ncols ? ',' : '\n', f);
	}
	for (r = 0; r < t->nrows; r++)
		for (i = 0; i < t->ncols; i++) {
			acctfmt_csv(f, t->cells[r * t->ncols + i]);
			fputc(i + 1 < t->ncols ? ',' : '\n', f);
		}
}

int
podctl_fprint_table(struct podctl *pc, FILE *f, const struct table_col *cols,
    int ncols, json_t *rows)
{
	struct table_col shown[TABLE_MAX_COLS];
	struct table *t;
	json_t *row;
	size_t i;
	char err[1024];
	int rc = PODCTL_EAPI, n, fit;

	fit = pc->output != OUTPUT_WIDE && pc->format == NULL;
	if ((n = table_select(
	         cols, ncols, pc->format, !fit, shown, err, sizeof(err))) == -1)
		return podctl_usage_error("--format: %s", err);
	if ((t = table_new(shown, n)) == NULL)
		return PODCTL_EAPI;
	for (i = 0; i < json_array_size(rows); i++) {
		row = json_array_get(rows, i);
		if (!json_is_object(row)) {
			rc = podctl_bad_reply("a row is not an object");
			goto fail;
		}
		if (table_add_row(t, row, pc->now_ms) == -1)
			goto fail;
	}
	if (pc->output == OUTPUT_CSV)
		print_csv(f, t, pc->noheader);
	else
		table_print(
		    f, t, fit ? pc->columns : TABLE_NO_FIT, pc->noheader);
	rc = PODCTL_OK;

fail:
	table_free(t);
	return rc;
}

/*
 * Prints s from column `indent` wrapped before `width`, breaking only at
 * spaces outside brackets and not after "--", so that "[--name NAME]" and
 * "-- COMMAND" stay whole; lines after the first are indented four more.
 * Returns the column reached.
 */
static int
print_wrapped(FILE *f, const char *s, int indent, int width)
{
	const char *p, *word;
	int col = indent, depth, len;

	for (p = s; *p != '\0';) {
		/* The next unbreakable piece: up to a space at depth 0. */
		for (word = p, depth = 0; *p != '\0'; p++) {
			if (*p == '[' || *p == '(')
				depth++;
			else if ((*p == ']' || *p == ')') && depth > 0)
				depth--;
			else if (*p == ' ' && depth == 0 &&
			         (p - word != 2 || strncmp(word, "--", 2) != 0))
				break;
		}
		len = (int)(p - word);
		if (col > indent && col + 1 + len > width) {
			fprintf(f, "\n%*s", indent + 4, "");
			col = indent + 4;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, word);
		col += len;
		while (*p == ' ')
			p++;
	}
	return col;
}

static void
usage(FILE *f)
{
	char words[512];
	size_t i;
	int col;

	fprintf(f,
	    "usage: podctl [--server URL[,URL...]] [--token TOKEN | "
	    "--token-file PATH]\n"
	    "              [--cacert PATH] [-o table|wide|json|csv] COMMAND "
	    "[ARGS]\n"
	    "       podctl --help | --version\n\n"
	    "The global options may also follow the command.\n\n"
	    "commands:\n");
	for (i = 0; i < NCMDS; i++) {
		snprintf(words, sizeof(words), "%s%s%s%s%s", cmds[i].noun,
		    cmds[i].verb != NULL ? " " : "",
		    cmds[i].verb != NULL ? cmds[i].verb : "",
		    cmds[i].synopsis[0] != '\0' ? " " : "", cmds[i].synopsis);
		fputs("  ", f);
		col = print_wrapped(f, words, 2, USAGE_W);
		/* The help in its column, or under it after a long synopsis. */
		if (col > 2 + SYNOPSIS_W)
			fprintf(f, "\n%*s", 3 + SYNOPSIS_W, "");
		else
			fprintf(f, "%*s", 3 + SYNOPSIS_W - col, "");
		fprintf(f, "%s\n", cmds[i].help);
	}
	fprintf(f, "\nenvironment: POD_SERVER (default " DEFAULT_SERVER
	           "; URL,URL... for an\n"
	           "  active controller and its standbys), POD_TOKEN, "
	           "POD_TOKEN_FILE, POD_CACERT;\n"
	           "  token file by default $XDG_CONFIG_HOME/pod/token or "
	           "~/.config/pod/token\n"
	           "exit status: 0 done, 1 refused by the server, 2 usage, "
	           "3 server unreachable or\n"
	           "  no active controller\n");
}

static int
cmd_help(struct podctl *pc, const struct args *a)
{
	usage(stdout);
	return PODCTL_OK;
}

/* "node show" for messages. */
static const char *
cmd_name(const struct cmd *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->noun, c->verb != NULL ? " " : "",
	    c->verb != NULL ? c->verb : "");
	return buf;
}

/*
 * Finds the command named by the first words of argv. Returns it with
 * *used set to the number of words, or NULL after saying why.
 */
static const struct cmd *
find_cmd(int argc, char **argv, int *used)
{
	char verbs[256];
	size_t i, len = 0;
	int noun_known = 0;

	for (i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].noun, argv[0]) != 0)
			continue;
		noun_known = 1;
		if (cmds[i].verb == NULL) {
			*used = 1;
			return &cmds[i];
		}
		if (argc > 1 && strcmp(cmds[i].verb, argv[1]) == 0) {
			*used = 2;
			return &cmds[i];
		}
		len += snprintf(verbs + len, sizeof(verbs) - len, "%s%s",
		    len > 0 ? ", " : "", cmds[i].verb);
		if (len >= sizeof(verbs))
			len = sizeof(verbs) - 1;
	}
	if (!noun_known)
		podctl_usage_error("unknown command '%s'", argv[0]);
	else if (argc < 2)
		podctl_usage_error("'%s' needs one of: %s", argv[0], verbs);
	else
		podctl_usage_error("unknown command '%s %s' (one of: %s)",
		    argv[0], argv[1], verbs);
	return NULL;
}

/* 1 when argv holds -h or --help before any "--". */
static int
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

/* The global options as given: before the command, then among its own. */
struct globals {
	const char *server, *token, *token_file, *cacert, *output;
	int help, version;
};

/* Takes the global options of a parse into gl, replacing earlier ones. */
static void
take_globals(const struct args *a, struct globals *gl)
{
	const char *v;

	if ((v = args_get(a, "server")) != NULL)
		gl->server = v;
	if ((v = args_get(a, "token")) != NULL)
		gl->token = v;
	if ((v = args_get(a, "token-file")) != NULL)
		gl->token_file = v;
	if ((v = args_get(a, "cacert")) != NULL)
		gl->cacert = v;
	if ((v = args_get(a, "output")) != NULL)
		gl->output = v;
	if (args_get(a, "help") != NULL)
		gl->help = 1;
	if (args_get(a, "version") != NULL)
		gl->version = 1;
}

static int term_columns(void);
static int token_valid(const char *s);

/*
 * Finds the token, the first of: --token, --token-file, POD_TOKEN,
 * POD_TOKEN_FILE, the per-user file (only when it exists). Writes it into
 * tok ("" for none) and where it came from into pc->token_from. Returns
 * PODCTL_OK, or PODCTL_EUSAGE after saying why a file was refused.
 */
static int
find_token(
    struct podctl *pc, const struct globals *gl, char *tok, size_t toksize)
{
	const char *v, *file = NULL;
	char path[CRED_PATH_MAX], err[CRED_PATH_MAX + 256];
	int optional = 0, rc;

	tok[0] = '\0';
	pc->token_from[0] = '\0';
	if ((v = gl->token) != NULL ||
	    (gl->token_file == NULL && (v = getenv("POD_TOKEN")) != NULL &&
	        *v != '\0')) {
		if (*v == '\0' || !token_valid(v) || strlen(v) >= toksize)
			return podctl_usage_error("the token must be printable "
			                          "ASCII without spaces");
		snprintf(tok, toksize, "%s", v);
		snprintf(pc->token_from, sizeof(pc->token_from), "%s",
		    gl->token != NULL ? "--token" : "POD_TOKEN");
		return PODCTL_OK;
	}
	if (gl->token_file != NULL)
		file = gl->token_file;
	else if ((v = getenv("POD_TOKEN_FILE")) != NULL && *v != '\0')
		file = v;
	else if (cred_default_path(path, sizeof(path)) == 0) {
		file = path;
		optional = 1;
	} else
		return PODCTL_OK;
	if (*file == '\0')
		return podctl_usage_error("--token-file needs a path");
	rc = cred_read_file(file, optional, tok, toksize, err, sizeof(err));
	if (rc == 1)
		return PODCTL_OK;
	if (rc == -1) {
		podctl_error("%s", err);
		return PODCTL_EUSAGE;
	}
	snprintf(pc->token_from, sizeof(pc->token_from), "%s", file);
	return PODCTL_OK;
}

/* Sets up pc from the global options and the environment. Returns
 * PODCTL_OK, or an exit status after saying why. */
static int
setup(struct podctl *pc, const struct globals *gl)
{
	const char *server = gl->server, *cacert = gl->cacert;
	const char *from = "--server";
	struct ctllist servers;
	char token[CRED_FILE_MAX + 1], err[CTLLIST_URL_MAX + 128];
	int rc;

	if (server == NULL) {
		from = "POD_SERVER";
		if ((server = getenv("POD_SERVER")) == NULL || *server == '\0')
			server = DEFAULT_SERVER;
	}
	if (*server == '\0')
		return podctl_usage_error("--server needs a URL");
	/* one controller, or an active one and its standbys */
	if (ctllist_parse(server, &servers, err, sizeof(err)) == -1)
		return podctl_usage_error("%s: %s", from, err);
	if (cacert == NULL && (cacert = getenv("POD_CACERT")) != NULL &&
	    *cacert == '\0')
		cacert = NULL;
	if (cacert != NULL && *cacert == '\0')
		return podctl_usage_error("--cacert needs a path");
	if (cacert != NULL && access(cacert, R_OK) == -1) {
		podctl_error(
		    "cannot read the CA file %s: %s", cacert, strerror(errno));
		return PODCTL_EUSAGE;
	}
	if (gl->output == NULL || strcmp(gl->output, "table") == 0)
		pc->output = OUTPUT_TABLE;
	else if (strcmp(gl->output, "wide") == 0)
		pc->output = OUTPUT_WIDE;
	else if (strcmp(gl->output, "json") == 0)
		pc->output = OUTPUT_JSON;
	else if (strcmp(gl->output, "csv") == 0)
		pc->output = OUTPUT_CSV;
	else
		return podctl_usage_error(
		    "unknown output '%s' (table, wide, json or csv)",
		    gl->output);
	if ((rc = find_token(pc, gl, token, sizeof(token))) != PODCTL_OK)
		return rc;
	pc->columns = term_columns();
	pc->now_ms = time_wall_ms();
	pc->rest = rest_new(&servers, token[0] != '\0' ? token : NULL, cacert);
	explicit_bzero(token, sizeof(token));
	if (pc->rest == NULL)
		return PODCTL_EAPI;
	return PODCTL_OK;
}

static int
run_cmd(struct podctl *pc, struct globals *gl, int argc, char **argv)
{
	struct args_opt opts[ARGS_MAX_OPTS];
	const struct cmd *c;
	struct args a;
	char err[256], name[64], line[512];
	const char *out;
	size_t nopts, i;
	int used, rc;

	if ((c = find_cmd(argc, argv, &used)) == NULL)
		return PODCTL_EUSAGE;
	cmd_name(c, name, sizeof(name));
	if (wants_help(argc - used, argv + used)) {
		snprintf(line, sizeof(line), "podctl %s%s%s", name,
		    c->synopsis[0] != '\0' ? " " : "", c->synopsis);
		fputs("usage: ", stdout);
		print_wrapped(stdout, line, 7, USAGE_W);
		printf("\n  %s\n", c->help);
		return PODCTL_OK;
	}
	/* The command's options and the global ones, in one table. */
	nopts = c->nopts + NGLOBAL;
	if (nopts > ARGS_MAX_OPTS) {
		podctl_error(
		    "%s: %zu options, at most %d", name, nopts, ARGS_MAX_OPTS);
		return PODCTL_EUSAGE;
	}
	if (c->nopts > 0)
		memcpy(opts, c->opts, c->nopts * sizeof(opts[0]));
	memcpy(opts + c->nopts, global_opts, sizeof(global_opts));
	if (args_parse(argc - used, argv + used, opts, nopts, 0, &a, err,
	        sizeof(err)) == -1)
		return podctl_usage_error("%s: %s", name, err);
	/* A command's own option of a global name (submit --output, the
	 * job's stdout) shadows the global one, given before the command. */
	out = gl->output;
	take_globals(&a, gl);
	for (i = 0; i < c->nopts; i++)
		if (strcmp(c->opts[i].name, "output") == 0)
			gl->output = out;
	if (gl->version) {
		printf("podctl %s\n", POD_VERSION);
		return PODCTL_OK;
	}
	if (a.npos < c->min_args)
		return podctl_usage_error("%s: missing argument (usage: "
		                          "podctl %s %s)",
		    name, name, c->synopsis);
	if (a.npos > c->max_args)
		return podctl_usage_error(
		    "%s: unexpected argument '%s'", name, a.pos[c->max_args]);
	if ((rc = setup(pc, gl)) != PODCTL_OK)
		return rc;
	pc->noheader = args_get(&a, "noheader") != NULL;
	pc->format = args_get(&a, "format");
	return c->run(pc, &a);
}

/* Width for tables: the terminal's, else $COLUMNS, else DEFAULT_COLUMNS. */
static int
term_columns(void)
{
	struct winsize ws;
	const char *s;
	char *end;
	long v;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	if ((s = getenv("COLUMNS")) != NULL && *s != '\0') {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0 && v <= MAX_COLUMNS)
			return (int)v;
	}
	return DEFAULT_COLUMNS;
}

/* 1 when s is usable in an HTTP header: printable ASCII, no spaces. */
static int
token_valid(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~')
			return 0;
	return 1;
}

int
main(int argc, char *argv[])
{
	struct podctl pc = {0};
	struct globals gl = {0};
	struct args g;
	char err[256];
	int rc;

	log_init("podctl", LOG_LVL_WARN);
	if (args_parse(argc - 1, argv + 1, global_opts, NGLOBAL,
	        ARGS_STOP_AT_POSITIONAL, &g, err, sizeof(err)) == -1)
		return podctl_usage_error("%s", err);
	take_globals(&g, &gl);
	if (gl.version) {
		printf("podctl %s\n", POD_VERSION);
		return PODCTL_OK;
	}
	if (gl.help) {
		usage(stdout);
		return PODCTL_OK;
	}
	if (g.npos == 0)
		return podctl_usage_error("no command given");

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		podctl_error("cannot initialise libcurl");
		return PODCTL_EAPI;
	}
	rc = run_cmd(&pc, &gl, g.npos, g.pos);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		podctl_error("standard output: %s", strerror(errno));
		if (rc == PODCTL_OK)
			rc = PODCTL_EAPI;
	}
	rest_free(pc.rest);
	curl_global_cleanup();
	return rc;
}
