/*
 * Job attempts' pure parts: see job.h. Validation is strict and names the
 * member at fault, because a bad entry is the controller's bug and the one
 * line saying so (in the log, and as the attempt's launch_error message)
 * is all an operator gets. Every string from the network is bounded and
 * checked for an embedded NUL, which would otherwise cut a command short
 * without anybody noticing.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "jsonx.h"
#include "log.h"
#include "wire.h"

/* The variables of the protocol, in the order they are added. */
static const char *const pod_vars[] = {
    "POD_JOB_ID",
    "POD_JOB_ATTEMPT",
    "POD_JOB_NAME",
    "POD_NNODES",
    "POD_NODE_RANK",
    "POD_NODELIST",
    "POD_ACCELERATORS",
};
#define NPOD_VARS (sizeof(pod_vars) / sizeof(pod_vars[0]))
/* POD_ARRAY_JOB_ID and POD_ARRAY_TASK_ID, for an array task only. */
#define NARRAY_VARS 2

/* Cause names, indexed by enum job_cause. */
static const char *const cause_names[] = {
    NULL, "exit", "cancelled", "timeout", "launch_error", "fenced"};

/* Status-file names of the launch steps, indexed by enum job_step. */
static const char *const step_names[] = {"none", "fork", "setsid", "chdir",
    "output", "exec", "user", "workdir", "stdout", "stderr"};

int
job_spec_check(
    const struct desired_job *s, int naccel, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < s->naccel; i++) {
		if (s->accel[i] >= naccel) {
			snprintf(err, errlen,
			    "accelerator %d is not on this node (it has %d)",
			    s->accel[i], naccel);
			return -1;
		}
	}
	return 0;
}

int
job_spec_parse(json_t *entry, int naccel, struct desired_job *out, char *err,
    size_t errlen)
{
	int64_t id;
	int attempt;

	if (wire_desired_job_decode(entry, out) == -1) {
		snprintf(err, errlen, "%s", out->error);
		out->error[0] = '\0';
		return -1;
	}
	if (job_spec_check(out, naccel, err, errlen) == -1) {
		id = out->id;
		attempt = out->attempt;
		job_spec_clear(out);
		out->id = id;
		out->attempt = attempt;
		return -1;
	}
	return 0;
}

void
job_spec_clear(struct desired_job *s)
{
	wire_desired_job_clear(s);
	s->error[0] = '\0';
}

/*
 * "5", "1.5", "2m": seconds, or -1 if it is not what sleep(1) takes. Only
 * digits, one point and one suffix: strtod() would take "inf", "1e9" and
 * hex, which no operator means by a sleep.
 */
static double
sleep_arg_s(const char *p, const char *end)
{
	double v = 0, scale = 1;
	int digits = 0, point = 0;

	for (; p < end && (isdigit((unsigned char)*p) || *p == '.'); p++) {
		if (*p == '.') {
			if (point++)
				return -1;
			continue;
		}
		digits++;
		if (point)
			v += (*p - '0') * (scale /= 10);
		else if (v < 1e12)
			v = v * 10 + (*p - '0');
	}
	if (digits == 0)
		return -1;
	if (p < end) {
		switch (*p++) {
		case 's':
			break;
		case 'm':
			v *= 60;
			break;
		case 'h':
			v *= 3600;
			break;
		case 'd':
			v *= 86400;
			break;
		default:
			return -1;
		}
	}
	return p == end ? v : -1;
}

/* "sleep N" with blanks around, as a shell would see it. */
static double
sleep_line_s(const char *s)
{
	const char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "sleep", 5) != 0 || (s[5] != ' ' && s[5] != '\t'))
		return -1;
	s += 5;
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return sleep_arg_s(s, end);
}

double
job_sim_duration_s(const struct desired_job *s)
{
	const char *sh;
	double v = -1;

	if (s->argv == NULL)
		return JOB_SIM_DEFAULT_S;
	if (s->argc == 2 && strcmp(s->argv[0], "sleep") == 0)
		v = sleep_arg_s(s->argv[1], s->argv[1] + strlen(s->argv[1]));
	else if (s->argc == 3 && strcmp(s->argv[1], "-c") == 0) {
		sh = s->argv[0];
		if (strcmp(sh, "sh") == 0 || strcmp(sh, "/bin/sh") == 0)
			v = sleep_line_s(s->argv[2]);
	}
	if (v < 0)
		return JOB_SIM_DEFAULT_S;
	return v > JOB_SIM_MAX_S ? JOB_SIM_MAX_S : v;
}

double
job_membound(const struct desired_job *s)
{
	int i;

	for (i = 0; s->argv != NULL && i < s->argc; i++)
		if (strcasestr(s->argv[i], "mem") != NULL)
			return JOB_MEMBOUND_MEMORY;
	return JOB_MEMBOUND_COMPUTE;
}

/* "NAME=value" in a fresh allocation. */
static char *
env_var(const char *name, const char *value)
{
	size_t len = strlen(name) + strlen(value) + 2;
	char *p;

	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s=%s", name, value);
	return p;
}

/* The variables of a job's account, in the order they are added. */
#define NUSER_VARS 6 /* PATH HOME USER LOGNAME SHELL LANG */

char **
job_env_build(
    const struct desired_job *s, const struct job_user *u, const char *lang)
{
	char num[4][24], accels[JOB_MAX_ACCELS * 4 + 1];
	const char *values[NPOD_VARS];
	const struct {
		const char *name;
		const char *value; /* NULL: left out */
	} account[NUSER_VARS] = {
	    {"PATH", JOB_SAFE_PATH},
	    {"HOME", u->home},
	    {"USER", u->name},
	    {"LOGNAME", u->name},
	    {"SHELL", u->shell[0] ? u->shell : "/bin/sh"},
	    {"LANG", lang},
	};
	char **env;
	size_t n = 0, i, off = 0;

	if ((env = calloc(NUSER_VARS + NPOD_VARS + NARRAY_VARS + 1,
	         sizeof(*env))) == NULL)
		goto fail;
	for (i = 0; i < NUSER_VARS; i++)
		if (account[i].value != NULL &&
		    (env[n++] = env_var(account[i].name, account[i].value)) ==
		        NULL)
			goto fail;
	snprintf(num[0], sizeof(num[0]), "%lld", (long long)s->id);
	snprintf(num[1], sizeof(num[1]), "%d", s->attempt);
	snprintf(num[2], sizeof(num[2]), "%d", s->nnodes);
	snprintf(num[3], sizeof(num[3]), "%d", s->node_rank);
	accels[0] = '\0';
	for (i = 0; i < (size_t)s->naccel; i++)
		off += snprintf(accels + off, sizeof(accels) - off, "%s%d",
		    i ? "," : "", s->accel[i]);
	values[0] = num[0];
	values[1] = num[1];
	values[2] = s->name ? s->name : "";
	values[3] = num[2];
	values[4] = num[3];
	values[5] = s->nodelist ? s->nodelist : "";
	values[6] = accels;
	for (i = 0; i < NPOD_VARS; i++)
		if ((env[n++] = env_var(pod_vars[i], values[i])) == NULL)
			goto fail;
	if (s->array_job_id > 0) {
		snprintf(
		    num[0], sizeof(num[0]), "%lld", (long long)s->array_job_id);
		snprintf(num[1], sizeof(num[1]), "%d", s->array_task_id);
		if ((env[n++] = env_var("POD_ARRAY_JOB_ID", num[0])) == NULL ||
		    (env[n++] = env_var("POD_ARRAY_TASK_ID", num[1])) == NULL)
			goto fail;
	}
	return env;
fail:
	log_warnx("%s: out of memory", __func__);
	job_env_free(env);
	return NULL;
}

int
job_pattern_expand(const char *pat, const struct desired_job *s,
    const char *user, const char *node, char *out, size_t size)
{
	char num[24], array[24], task[24], one[2] = "";
	const char *add;
	size_t len = 0, n;

	snprintf(num, sizeof(num), "%lld", (long long)s->id);
	snprintf(array, sizeof(array), "%lld",
	    (long long)(s->array_job_id > 0 ? s->array_job_id : s->id));
	snprintf(task, sizeof(task), "%d",
	    s->array_job_id > 0 ? s->array_task_id : 0);
	for (; *pat != '\0'; pat++) {
		add = NULL;
		if (pat[0] == '%') {
			switch (pat[1]) {
			case 'j':
				add = num;
				break;
			case 'A':
				add = array;
				break;
			case 'a':
				add = task;
				break;
			case 'u':
				add = user;
				break;
			case 'N':
				add = node;
				break;
			case '%':
				add = "%";
				break;
			}
		}
		if (add != NULL) {
			pat++;
		} else {
			one[0] = pat[0];
			add = one;
		}
		n = strlen(add);
		if (len + n >= size)
			return -1;
		memcpy(out + len, add, n);
		len += n;
	}
	if (size == 0)
		return -1;
	out[len] = '\0';
	return 0;
}

void
job_env_free(char **env)
{
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

const char *
job_cause_name(enum job_cause c)
{
	if ((unsigned)c >= sizeof(cause_names) / sizeof(cause_names[0]))
		return NULL;
	return cause_names[c];
}

enum job_cause
job_cause_parse(const char *s)
{
	size_t i;

	for (i = 1; i < sizeof(cause_names) / sizeof(cause_names[0]); i++)
		if (strcmp(s, cause_names[i]) == 0)
			return (enum job_cause)i;
	return JOB_CAUSE_NONE;
}

/* An async-signal-safe text buffer: appends until full, then remembers. */
struct sbuf {
	char *p;
	size_t size;
	size_t len;
	int full;
};

static void
sbuf_put(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->full || b->len + n >= b->size) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sbuf_i64(struct sbuf *b, int64_t v)
{
	char tmp[24], *q = tmp + sizeof(tmp) - 1;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	*q = '\0';
	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--q = '-';
	sbuf_put(b, q);
}

/* A "key value\n" line with an integer value. */
static void
sbuf_line(struct sbuf *b, const char *key, int64_t v)
{
	sbuf_put(b, key);
	sbuf_put(b, " ");
	sbuf_i64(b, v);
	sbuf_put(b, "\n");
}

size_t
job_end_format(const struct job_end *e, char *buf, size_t size)
{
	struct sbuf b = {buf, size, 0, size == 0};
	const char *cause = job_cause_name(e->cause);
	char one[2] = {0, 0};
	size_t i;

	if (size > 0)
		buf[0] = '\0';
	sbuf_put(&b, "cause ");
	sbuf_put(&b, cause ? cause : "exit");
	sbuf_put(&b, "\n");
	if (e->exit_code >= 0)
		sbuf_line(&b, "exit_code", e->exit_code);
	if (e->signal > 0)
		sbuf_line(&b, "signal", e->signal);
	if (e->err_step != JOB_STEP_NONE) {
		sbuf_put(&b, "error ");
		sbuf_put(&b, step_names[e->err_step]);
		sbuf_put(&b, " ");
		sbuf_i64(&b, e->err_errno);
		sbuf_put(&b, "\n");
	}
	sbuf_line(&b, "ended_ms", e->ended_ms);
	if (e->message[0] != '\0') {
		sbuf_put(&b, "message ");
		for (i = 0; e->message[i] != '\0' && i < JOB_MESSAGE_MAX; i++) {
			one[0] = e->message[i] == '\n' ? ' ' : e->message[i];
			sbuf_put(&b, one);
		}
		sbuf_put(&b, "\n");
	}
	return b.full ? 0 : b.len;
}

/* A decimal in [min, max] filling [p, end). 0 or -1. */
static int
parse_i64(
    const char *p, const char *end, int64_t min, int64_t max, int64_t *out)
{
	char buf[24], *e;
	long long v;
	size_t n = end - p;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	errno = 0;
	v = strtoll(buf, &e, 10);
	if (*e != '\0' || errno == ERANGE || v < min || v > max ||
	    !(isdigit((unsigned char)buf[0]) || buf[0] == '-'))
		return -1;
	*out = v;
	return 0;
}

/* One "key value" line of a status file into out. 0 or -1. */
static int
end_line(const char *key, size_t klen, const char *val, const char *vend,
    struct job_end *out, int *have)
{
	int64_t v;
	size_t i, n;
	const char *sp;
	char word[32];

#define KEY(k) (klen == strlen(k) && strncmp(key, k, klen) == 0)
	if (KEY("cause")) {
		n = vend - val;
		if (n >= sizeof(word))
			return -1;
		memcpy(word, val, n);
		word[n] = '\0';
		if ((out->cause = job_cause_parse(word)) == JOB_CAUSE_NONE)
			return -1;
		*have |= 1;
	} else if (KEY("exit_code")) {
		if (parse_i64(val, vend, 0, 255, &v) == -1)
			return -1;
		out->exit_code = (int)v;
	} else if (KEY("signal")) {
		if (parse_i64(val, vend, 1, 127, &v) == -1)
			return -1;
		out->signal = (int)v;
	} else if (KEY("ended_ms")) {
		if (parse_i64(val, vend, 0, INT64_MAX, &out->ended_ms) == -1)
			return -1;
		*have |= 2;
	} else if (KEY("error")) {
		if ((sp = memchr(val, ' ', vend - val)) == NULL)
			return -1;
		for (i = 1; i < sizeof(step_names) / sizeof(step_names[0]); i++)
			if ((size_t)(sp - val) == strlen(step_names[i]) &&
			    strncmp(val, step_names[i], sp - val) == 0)
				break;
		if (i == sizeof(step_names) / sizeof(step_names[0]) ||
		    parse_i64(sp + 1, vend, 0, 4095, &v) == -1)
			return -1;
		out->err_step = (enum job_step)i;
		out->err_errno = (int)v;
	} else if (KEY("message")) {
		n = vend - val;
		if (n >= sizeof(out->message))
			n = sizeof(out->message) - 1;
		memcpy(out->message, val, n);
		out->message[n] = '\0';
	}
#undef KEY
	return 0;
}

int
job_end_parse(
    const char *text, size_t len, struct job_end *out, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl, *sp;
	int have = 0;

	memset(out, 0, sizeof(*out));
	out->exit_code = -1;
	while (p < end) {
		if ((nl = memchr(p, '\n', end - p)) == NULL) {
			snprintf(err, errlen, "the last line is not complete");
			return -1;
		}
		if ((sp = memchr(p, ' ', nl - p)) == NULL ||
		    end_line(p, sp - p, sp + 1, nl, out, &have) == -1) {
			snprintf(err, errlen, "bad line '%.*s'",
			    (int)(nl - p > 60 ? 60 : nl - p), p);
			return -1;
		}
		p = nl + 1;
	}
	if (have != 3) {
		snprintf(
		    err, errlen, "no %s", (have & 1) ? "ended_ms" : "cause");
		return -1;
	}
	return 0;
}

void
job_end_explain(struct job_end *e, const char *argv0)
{
	const char *why;

	if (e->err_step == JOB_STEP_NONE)
		return;
	why = strerror(e->err_errno);
	if (e->message[0] != '\0') {
		if (e->err_step >= JOB_STEP_USER && e->err_errno != 0 &&
		    strstr(e->message, why) == NULL)
			snprintf(e->message + strlen(e->message),
			    sizeof(e->message) - strlen(e->message), ": %s",
			    why);
		return;
	}
	switch (e->err_step) {
	case JOB_STEP_EXEC:
		snprintf(e->message, sizeof(e->message),
		    "cannot execute '%s': %s", argv0 ? argv0 : "?", why);
		break;
	case JOB_STEP_CHDIR:
		snprintf(e->message, sizeof(e->message),
		    "cannot enter the job's directory: %s", why);
		break;
	case JOB_STEP_OUTPUT:
		snprintf(e->message, sizeof(e->message),
		    "cannot open /dev/null or output.log: %s", why);
		break;
	case JOB_STEP_USER:
		snprintf(e->message, sizeof(e->message),
		    "cannot become the job's user: %s", why);
		break;
	case JOB_STEP_WORKDIR:
		snprintf(e->message, sizeof(e->message),
		    "cannot enter the job's working directory: %s", why);
		break;
	case JOB_STEP_STDOUT:
	case JOB_STEP_STDERR:
		snprintf(e->message, sizeof(e->message),
		    "cannot open the job's %s file: %s",
		    e->err_step == JOB_STEP_STDOUT ? "output" : "error", why);
		break;
	default:
		snprintf(e->message, sizeof(e->message), "cannot %s: %s",
		    step_names[e->err_step], why);
		break;
	}
}

size_t
job_pids_format(pid_t shepherd, pid_t job, char *buf, size_t size)
{
	struct sbuf b = {buf, size, 0, size == 0};

	sbuf_i64(&b, shepherd);
	sbuf_put(&b, " ");
	sbuf_i64(&b, job);
	sbuf_put(&b, "\n");
	return b.full ? 0 : b.len;
}

int
job_pids_parse(const char *text, size_t len, pid_t *shepherd, pid_t *job)
{
	const char *sp, *nl;
	int64_t a, b;

	if ((nl = memchr(text, '\n', len)) == NULL ||
	    (sp = memchr(text, ' ', nl - text)) == NULL ||
	    parse_i64(text, sp, 1, INT32_MAX, &a) == -1 ||
	    parse_i64(sp + 1, nl, 1, INT32_MAX, &b) == -1)
		return -1;
	*shepherd = (pid_t)a;
	*job = (pid_t)b;
	return 0;
}

json_t *
job_json(const struct job *j)
{
	const struct job_end *e = &j->end;
	struct report_job w;

	memset(&w, 0, sizeof(w));
	w.id = j->spec.id;
	w.attempt = j->spec.attempt;
	w.state = j->state == JOB_RUNNING ? RJOB_RUNNING : RJOB_ENDED;
	if (j->state == JOB_ENDED) {
		snprintf(w.cause, sizeof(w.cause), "%s",
		    job_cause_name(e->cause) ? job_cause_name(e->cause)
		                             : "exit");
		w.has_exit = e->exit_code >= 0;
		w.exit_code = e->exit_code;
		w.signal = e->signal > 0 ? e->signal : 0;
		w.ended_ms = e->ended_ms;
		snprintf(w.message, sizeof(w.message), "%s", e->message);
	}
	w.pid = j->pid > 0 ? (int)j->pid : 0;
	w.started_ms = j->started_ms > 0 ? j->started_ms : 0;
	if (j->log != NULL)
		snprintf(w.log, sizeof(w.log), "%s", j->log);
	return wire_job_json(&w);
}
