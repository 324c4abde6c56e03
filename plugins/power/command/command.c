/*
 * power/command: accelerators whose vendor ships a management tool and no
 * library (npu-smi, hl-smi, xpu-smi, nvidia-smi --query-gpu). The plugin
 * runs a configured command every period_ms (mode oneshot) or keeps one
 * running that prints a record per period (mode stream), maps its JSON or
 * CSV output to accelerators and metrics through the config (keys:
 * cmdconf.c; mapping: cmdmap.c), and applies clock caps and power limits
 * through configured commands with placeholders.
 *
 * Shape: a tool can hang in its driver for seconds, and the agent's loop
 * must never wait on it, so every child runs on the plugin's I/O thread
 * (plugins/common/worker.h): read() copies the last values under the
 * worker's lock and clears those older than stale_ms; control() only queues
 * the newest request per device, which the thread runs between samples.
 * Tools are started without a shell (cmdproc.c: words split on blanks,
 * double quotes), with a clean environment (PATH, LC_ALL=C), every
 * descriptor close-on-exec, output capped, and a deadline after which the
 * child's process group gets SIGTERM then SIGKILL and is reaped.
 *
 * The device set is fixed at init: `accels = N`, or what one run of the
 * command in init() prints (bounded by timeout_ms). A device's values all
 * come from its latest record: a metric the record lacks, or says N/A for,
 * is absent at once; a device missing from a whole output is absent at
 * once; a run that fails changes nothing, and its values age out after
 * stale_ms. Each trouble (the run, one device, one control) has its own
 * say-once memory, so it is said when it starts or changes and its end
 * once, never per sample. Energy is the tool's counter when mapped (rebased
 * to the plugin's start, never going back), else power integrated over
 * time (trapezoids, not across gaps longer than stale_ms).
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#include "cmdconf.h"
#include "cmdmap.h"
#include "cmdproc.h"
#include "worker.h"

#define NELEM(a)           (sizeof(a) / sizeof((a)[0]))
#define CMD_GRACE_MS       500   /* SIGTERM to SIGKILL, and SIGKILL to reaped */
#define CMD_IDLE_STEP_MS   20    /* between looks at the control queue */
#define CMD_CTL_OUT_MAX    4096  /* a set command's stdout, read and dropped */
#define CMD_RESTART_MAX_MS 30000 /* longest wait to restart a stream */
#define CMD_CTL_RETRY_MS   10000 /* a failed set is tried again after */

/* One device's values as published, under the worker's lock. */
struct cmd_dev {
	uint32_t valid;           /* POD_F_* */
	int64_t mono_ms;          /* when measured, monotonic; 0 never */
	int64_t wall_ms;          /* same, ms since the epoch */
	double v[CMDMAP_NMETRIC]; /* by metric; energy rebased */
};

/* The thread's energy state of one device. */
struct cmd_energy {
	double acc_j;    /* since the plugin started, J */
	double vendor_j; /* the tool's counter last seen; NAN none */
	double power_w;  /* the power last seen; NAN none */
	int64_t mono_ms; /* when */
};

/* A control waiting for the thread: the newest per device and kind. */
struct cmd_pending {
	int set[CMDCONF_NCTL];
	double value[CMDCONF_NCTL];  /* MHz, W */
	int64_t at_ms[CMDCONF_NCTL]; /* not before, monotonic; 0 at once */
};

struct cmd {
	const struct pod_host *host; /* borrowed until fini */
	struct cmdconf conf;
	char envbuf[3][CMDCONF_PATH_MAX + 8];
	char *envp[4];
	int ndev;
	int tool_index[POD_MAX_DEVICES]; /* the tool's number of each device */
	char name[64];                   /* argv[0], for messages */
	struct worker *w;

	/* The thread's own once it runs (init()'s before). */
	char *out; /* max_output + 1 bytes */
	struct cmdmap_rec rec[POD_MAX_DEVICES];
	struct cmd_dev cur[POD_MAX_DEVICES];
	struct cmd_energy energy[POD_MAX_DEVICES];
	struct pod_said said_run;                  /* the command */
	struct pod_said said_dev[POD_MAX_DEVICES]; /* one device */
	struct pod_said said_extra;                /* records unplaced */
	struct pod_said said_ctl[POD_MAX_DEVICES][CMDCONF_NCTL];
	struct cmdproc_lost lost;
	/* mode stream */
	struct cmdproc child;    /* pid 0: not running */
	struct cmdmap_cols cols; /* CSV header of this child */
	size_t linelen;          /* bytes of out[] held */
	int discarding;          /* 1: the line is over the cap */
	int64_t last_rec_ms;     /* child start or last record, monotonic */
	int64_t restart_ms;      /* when to start again, monotonic */
	unsigned failures;       /* starts since the last record */

	/* Under the worker's lock. */
	struct cmd_dev pub[POD_MAX_DEVICES];
	struct cmd_pending pend[POD_MAX_DEVICES];
};

#define CMD_LOG(c, lvl, ...) (c)->host->log((c)->host, (lvl), __VA_ARGS__)

/* ---- running children, on the thread (or in init) ---- */

struct cmd_run {
	char *out;   /* stdout, NUL-terminated */
	size_t cap;  /* most bytes kept */
	size_t len;  /* bytes kept */
	int toobig;  /* 1: it printed more than cap: killed */
	int stopped; /* 1: the plugin is stopping: killed */
	struct cmdproc_status st;
	char errline[CMDPROC_ERR_MAX];
	char err[192]; /* could not start: why */
};

static int
cmd_stopping(struct cmd *c)
{
	return c->w != NULL && worker_stopping(c->w);
}

/*
 * Runs argv to its end or timeout_ms, stdout into r->out. 0 when it ran
 * (r->st, r->toobig say how it ended), -1 when it could not start.
 */
static int
cmd_exec(struct cmd *c, char *const argv[], struct cmd_run *r)
{
	struct cmdproc p;
	struct pollfd pfd[2];
	int64_t deadline, left;
	ssize_t n;
	char sink[4096];
	int np, kill_it = 0, out_open = 1, err_open = 1;

	r->len = 0;
	r->out[0] = '\0';
	r->toobig = r->stopped = 0;
	r->errline[0] = '\0';
	memset(&r->st, 0, sizeof(r->st));
	if (cmdproc_start(&p, argv, c->envp, r->err, sizeof(r->err)) == -1)
		return -1;
	deadline = pod_clock_ms(CLOCK_MONOTONIC) + c->conf.timeout_ms;
	while (out_open || err_open) {
		left = deadline - pod_clock_ms(CLOCK_MONOTONIC);
		if (left <= 0) {
			kill_it = 1;
			break;
		}
		if (cmd_stopping(c)) {
			kill_it = r->stopped = 1;
			break;
		}
		np = 0;
		if (out_open) {
			pfd[np].fd = p.out_fd;
			pfd[np++].events = POLLIN;
		}
		if (err_open) {
			pfd[np].fd = p.err_fd;
			pfd[np++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)np, left > 100 ? 100 : (int)left) == -1 &&
		    errno != EINTR)
			break;
		if (out_open) {
			for (;;) {
				if (r->len < r->cap)
					n = read(p.out_fd, r->out + r->len,
					    r->cap - r->len);
				else
					n = read(p.out_fd, sink, sizeof(sink));
				if (n > 0 && r->len >= r->cap)
					r->toobig = 1;
				else if (n > 0)
					r->len += (size_t)n;
				if (n <= 0)
					break;
			}
			if (n == 0 ||
			    (n == -1 && errno != EAGAIN && errno != EINTR))
				out_open = 0;
		}
		if (err_open && cmdproc_drain_err(&p))
			err_open = 0;
		if (r->toobig) {
			kill_it = 1;
			break;
		}
	}
	r->out[r->len] = '\0';
	left = deadline - pod_clock_ms(CLOCK_MONOTONIC);
	cmdproc_end(&p, kill_it,
	    kill_it ? CMD_GRACE_MS : (int)(left > 0 ? left : 0) + CMD_GRACE_MS,
	    &c->lost, &r->st);
	if (r->toobig)
		r->st.timedout = 0;
	snprintf(r->errline, sizeof(r->errline), "%s", p.errline);
	if (r->st.exec_errno != 0) {
		snprintf(r->err, sizeof(r->err), "cannot run %s: %s", argv[0],
		    strerror(r->st.exec_errno));
		return -1;
	}
	return 0;
}

/* "exited with status 3: first stderr line" and the like: why a run
 * failed, or "" when it did not. */
static void
cmd_run_why(const struct cmd *c, const struct cmd_run *r, char *why, size_t len)
{
	char st[64];

	why[0] = '\0';
	if (r->toobig)
		snprintf(why, len,
		    "printed more than max_output_bytes (%ld): "
		    "killed",
		    c->conf.max_output);
	else if (r->st.timedout)
		snprintf(why, len, "timed out after %d ms: killed",
		    c->conf.timeout_ms);
	else if (!r->st.exited || r->st.code != 0) {
		cmdproc_status_text(&r->st, st, sizeof(st));
		snprintf(why, len, "%s%s%s", st, r->errline[0] ? ": " : "",
		    r->errline);
	}
}

/* ---- records to devices ---- */

/* The slot of a record: by the tool's index when the map has one, else
 * by its place in the output. -1 when it has none. */
static int
cmd_slot(const struct cmd *c, const struct cmdmap_rec *rec, int ord)
{
	int i;

	if (rec->index < 0)
		return c->conf.map.name[CMDMAP_INDEX][0] != '\0' ||
		               c->conf.map.column[CMDMAP_INDEX] > 0
		           ? -1
		           : (ord < c->ndev ? ord : -1);
	for (i = 0; i < c->ndev; i++)
		if (c->tool_index[i] == rec->index)
			return i;
	return -1;
}

/* The energy counter of slot i after a record. */
static void
cmd_energy(struct cmd *c, int i, struct cmd_dev *d)
{
	struct cmd_energy *e = &c->energy[i];
	double dt_s;

	if (c->conf.map.name[CMDMAP_ENERGY][0] != '\0' ||
	    c->conf.map.column[CMDMAP_ENERGY] > 0) {
		if (!(d->valid & POD_F_ENERGY))
			return;
		if (!isnan(e->vendor_j) && d->v[CMDMAP_ENERGY] >= e->vendor_j)
			e->acc_j += d->v[CMDMAP_ENERGY] - e->vendor_j;
		/* A counter that went back (reset, wrap) is rebased. */
		e->vendor_j = d->v[CMDMAP_ENERGY];
		d->v[CMDMAP_ENERGY] = e->acc_j;
		return;
	}
	if (!(d->valid & POD_F_POWER))
		return;
	dt_s = (double)(d->mono_ms - e->mono_ms) / 1000.0;
	if (!isnan(e->power_w) && dt_s > 0 &&
	    d->mono_ms - e->mono_ms <= c->conf.stale_ms)
		e->acc_j += (e->power_w + d->v[CMDMAP_POWER]) / 2 * dt_s;
	e->power_w = d->v[CMDMAP_POWER];
	e->mono_ms = d->mono_ms;
	d->v[CMDMAP_ENERGY] = e->acc_j;
	d->valid |= POD_F_ENERGY;
}

/* One record into its slot's current values; says its trouble once. */
static void
cmd_take(struct cmd *c, int i, const struct cmdmap_rec *rec, int64_t mono,
    int64_t wall)
{
	struct cmd_dev *d = &c->cur[i];

	d->valid = rec->valid;
	memcpy(d->v, rec->v, sizeof(d->v));
	d->mono_ms = mono;
	d->wall_ms = wall;
	cmd_energy(c, i, d);
	if (rec->bad[0] != '\0')
		worker_trouble(c->w, &c->said_dev[i], "accel%d: %s",
		    c->tool_index[i], rec->bad);
	else
		worker_fine(c->w, &c->said_dev[i],
		    "accel%d: readings whole again", c->tool_index[i]);
}

/* A record that fits no device. */
static void
cmd_unplaced(struct cmd *c, const struct cmdmap_rec *rec)
{
	if (rec->index < 0)
		worker_trouble(c->w, &c->said_extra,
		    "a record without a device number: %s",
		    rec->bad[0] ? rec->bad : "more devices than at start");
	else
		worker_trouble(c->w, &c->said_extra,
		    "device %d in the output is not one of the %d found at "
		    "start: ignored",
		    rec->index, c->ndev);
}

static void
cmd_publish(struct cmd *c)
{
	worker_lock(c->w);
	memcpy(c->pub, c->cur, sizeof(c->pub));
	worker_unlock(c->w);
}

/* A whole output's records: the devices it lacks lose their values. */
static void
cmd_apply(struct cmd *c, int nrec, int more)
{
	int64_t mono = pod_clock_ms(CLOCK_MONOTONIC);
	int64_t wall = pod_clock_ms(CLOCK_REALTIME);
	int seen[POD_MAX_DEVICES] = {0};
	int i, s, placed = 1;

	for (i = 0; i < nrec; i++) {
		if ((s = cmd_slot(c, &c->rec[i], i)) < 0 || seen[s]) {
			cmd_unplaced(c, &c->rec[i]);
			placed = 0;
			continue;
		}
		seen[s] = 1;
		cmd_take(c, s, &c->rec[i], mono, wall);
	}
	if (more > 0) {
		worker_trouble(c->w, &c->said_extra,
		    "more than %d devices in the output: the rest ignored",
		    POD_MAX_DEVICES);
		placed = 0;
	}
	if (placed)
		worker_fine(c->w, &c->said_extra,
		    "every record in the output is a device again");
	for (i = 0; i < c->ndev; i++) {
		if (seen[i])
			continue;
		c->cur[i].valid = 0;
		c->cur[i].mono_ms = mono;
		c->cur[i].wall_ms = wall;
		worker_trouble(c->w, &c->said_dev[i],
		    "accel%d: missing from the output", c->tool_index[i]);
	}
	cmd_publish(c);
}

/* ---- mode oneshot ---- */

/* One run of the command, its records into c->rec. The count, or -1
 * with why in `why`. */
static int
cmd_run_once(struct cmd *c, int *more, char *why, size_t len)
{
	struct cmd_run r;
	char perr[160];
	int n;

	memset(&r, 0, sizeof(r));
	r.out = c->out;
	r.cap = (size_t)c->conf.max_output;
	if (cmd_exec(c, c->conf.argv.argv, &r) == -1) {
		snprintf(why, len, "%s", r.err);
		return -1;
	}
	if (r.stopped)
		return -1;
	cmd_run_why(c, &r, why, len);
	if (r.toobig || r.st.timedout)
		return -1;
	/* A tool that failed on one device may still print the others. */
	n = cmdmap_parse(&c->conf.map, r.out, r.len, c->rec, POD_MAX_DEVICES,
	    more, perr, sizeof(perr));
	if (n <= 0 && why[0] == '\0') {
		if (n == 0)
			snprintf(why, len, "printed no device");
		else
			snprintf(why, len, "%s", perr);
	}
	if (why[0] != '\0' && n <= 0)
		return -1;
	return n;
}

static void
cmd_sample(struct cmd *c)
{
	char why[256];
	int n, more = 0;

	n = cmd_run_once(c, &more, why, sizeof(why));
	if (cmd_stopping(c))
		return;
	if (n >= 0)
		cmd_apply(c, n, more);
	if (why[0] != '\0')
		worker_trouble(c->w, &c->said_run, "%s: %s", c->name, why);
	else
		worker_fine(c->w, &c->said_run, "%s: readings again", c->name);
}

/* ---- controls ---- */

/* word with the placeholders replaced, into out. */
static int
cmd_expand(const char *word, int index, double value, char *out, size_t len)
{
	char num[32];
	const char *p = word, *q;
	size_t o = 0, n;
	int r;

	while (*p != '\0') {
		if (*p == '{' && (q = strchr(p, '}')) != NULL) {
			n = (size_t)(q - p + 1);
			if (n == 7 && strncmp(p, "{index}", n) == 0)
				r = snprintf(num, sizeof(num), "%d", index);
			else if (strncmp(p, "{milliwatts}", n) == 0)
				r = snprintf(
				    num, sizeof(num), "%.0f", value * 1000);
			else
				r = snprintf(num, sizeof(num), "%.0f", value);
			if (r < 0 || o + (size_t)r >= len)
				return -1;
			memcpy(out + o, num, (size_t)r);
			o += (size_t)r;
			p = q + 1;
			continue;
		}
		if (o + 1 >= len)
			return -1;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return 0;
}

/* Runs one control command for slot i; 0 done (or stopping), -1 failed. */
static int
cmd_control_run(struct cmd *c, int i, int ctl, double value)
{
	struct cmdproc_argv a;
	char words[CMDPROC_ARGS_MAX][256], err[128], why[256],
	    sink[CMD_CTL_OUT_MAX + 1];
	char *argv[CMDPROC_ARGS_MAX + 1];
	struct cmd_run r;
	const char *unit = ctl == CMDCONF_CLOCK ? "MHz" : "W";
	int k;

	if (cmdproc_split(c->conf.set[ctl], &a, err, sizeof(err)) == -1)
		return 0; /* checked at init */
	for (k = 0; k < a.argc; k++) {
		if (cmd_expand(a.argv[k], c->tool_index[i], value, words[k],
		        sizeof(words[k])) == -1) {
			worker_trouble(c->w, &c->said_ctl[i][ctl],
			    "accel%d: %s: word %d too long", c->tool_index[i],
			    cmdconf_ctls[ctl].key, k + 1);
			return 0;
		}
		argv[k] = words[k];
	}
	argv[a.argc] = NULL;
	memset(&r, 0, sizeof(r));
	r.out = sink;
	r.cap = CMD_CTL_OUT_MAX;
	if (cmd_exec(c, argv, &r) == -1) {
		worker_trouble(c->w, &c->said_ctl[i][ctl],
		    "accel%d: %s %.0f %s: %s", c->tool_index[i],
		    cmdconf_ctls[ctl].key, value, unit, r.err);
		return -1;
	}
	if (r.stopped)
		return 0;
	cmd_run_why(c, &r, why, sizeof(why));
	if (r.toobig)
		why[0] = '\0'; /* its chatter is not our business */
	if (why[0] != '\0') {
		worker_trouble(c->w, &c->said_ctl[i][ctl],
		    "accel%d: %s %.0f %s failed: %s", c->tool_index[i],
		    cmdconf_ctls[ctl].key, value, unit, why);
		return -1;
	}
	worker_fine(c->w, &c->said_ctl[i][ctl], "accel%d: %s works again",
	    c->tool_index[i], cmdconf_ctls[ctl].key);
	worker_log(c->w, POD_LOG_DEBUG, "accel%d: %s %.0f %s applied",
	    c->tool_index[i], cmdconf_ctls[ctl].what, value, unit);
	return 0;
}

/* Runs the controls queued since the last call whose time has come. A
 * set that failed is tried again after CMD_CTL_RETRY_MS, unless a newer
 * value came: control() returned 0, so the host will not. */
static void
cmd_controls(struct cmd *c)
{
	struct cmd_pending p[POD_MAX_DEVICES];
	int64_t now = pod_clock_ms(CLOCK_MONOTONIC);
	int i, k;

	memset(p, 0, sizeof(p));
	worker_lock(c->w);
	for (i = 0; i < c->ndev; i++)
		for (k = 0; k < CMDCONF_NCTL; k++)
			if (c->pend[i].set[k] && c->pend[i].at_ms[k] <= now) {
				p[i].set[k] = 1;
				p[i].value[k] = c->pend[i].value[k];
				c->pend[i].set[k] = 0;
			}
	worker_unlock(c->w);
	for (i = 0; i < c->ndev && !cmd_stopping(c); i++)
		for (k = 0; k < CMDCONF_NCTL; k++) {
			if (!p[i].set[k] ||
			    cmd_control_run(c, i, k, p[i].value[k]) == 0)
				continue;
			worker_lock(c->w);
			if (!c->pend[i].set[k]) {
				c->pend[i].set[k] = 1;
				c->pend[i].value[k] = p[i].value[k];
				c->pend[i].at_ms[k] =
				    pod_clock_ms(CLOCK_MONOTONIC) +
				    CMD_CTL_RETRY_MS;
			}
			worker_unlock(c->w);
		}
	cmdproc_reap_lost(&c->lost);
}

/* ---- mode stream ---- */

static void
cmd_stream_stop(struct cmd *c, int kill_it, const char *why)
{
	struct cmdproc_status st;
	char text[64];
	int64_t delay;

	cmdproc_end(&c->child, kill_it, CMD_GRACE_MS, &c->lost, &st);
	if (why == NULL && st.exec_errno != 0) {
		worker_trouble(c->w, &c->said_run, "%s: cannot run %s: %s",
		    c->name, c->conf.argv.argv[0], strerror(st.exec_errno));
	} else if (why == NULL) {
		cmdproc_status_text(&st, text, sizeof(text));
		worker_trouble(c->w, &c->said_run, "%s: %s%s%s", c->name, text,
		    c->child.errline[0] ? ": " : "", c->child.errline);
	} else
		worker_trouble(c->w, &c->said_run, "%s: %s", c->name, why);
	delay = pod_backoff_ms(
	    c->failures, c->conf.period_ms, CMD_RESTART_MAX_MS, 0, 0.5);
	c->restart_ms = pod_clock_ms(CLOCK_MONOTONIC) + delay;
}

/* One line of the stream's output. */
static void
cmd_stream_line(struct cmd *c, const char *line, size_t len)
{
	struct cmdmap_rec rec;
	char err[160];
	int n, more = 0, rc, s;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	if (c->conf.map.format == CMDMAP_JSON) {
		if (len == 0)
			return;
		n = cmdmap_parse(&c->conf.map, line, len, c->rec,
		    POD_MAX_DEVICES, &more, err, sizeof(err));
		if (n < 0) {
			worker_trouble(
			    c->w, &c->said_run, "%s: %s", c->name, err);
			return;
		}
		cmd_apply(c, n, more);
	} else {
		rc = cmdmap_csv_line(
		    &c->conf.map, &c->cols, line, len, &rec, err, sizeof(err));
		if (rc == 0)
			return;
		if (rc == -1 || (rec.valid == 0 && rec.bad[0] != '\0')) {
			worker_trouble(c->w, &c->said_run, "%s: %s", c->name,
			    rc == -1 ? err : rec.bad);
			return;
		}
		if ((s = cmd_slot(c, &rec, 0)) < 0) {
			cmd_unplaced(c, &rec);
			return;
		}
		cmd_take(c, s, &rec, pod_clock_ms(CLOCK_MONOTONIC),
		    pod_clock_ms(CLOCK_REALTIME));
		cmd_publish(c);
	}
	c->last_rec_ms = pod_clock_ms(CLOCK_MONOTONIC);
	c->failures = 0;
	worker_fine(c->w, &c->said_run, "%s: readings again", c->name);
}

/* Reads what the stream printed; lines over the cap are dropped. 1 at
 * the end of its output. */
static int
cmd_stream_read(struct cmd *c)
{
	size_t cap = (size_t)c->conf.max_output, start;
	char *nl;
	ssize_t n;

	for (;;) {
		if (c->linelen == cap) {
			if (!c->discarding)
				worker_trouble(c->w, &c->said_run,
				    "%s: a line longer than max_output_bytes "
				    "(%ld): dropped",
				    c->name, c->conf.max_output);
			c->discarding = 1;
			c->linelen = 0;
		}
		n = read(
		    c->child.out_fd, c->out + c->linelen, cap - c->linelen);
		if (n == 0)
			return 1;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : 1;
		start = 0;
		c->linelen += (size_t)n;
		while ((nl = memchr(c->out + start, '\n',
		            c->linelen - start)) != NULL) {
			if (!c->discarding)
				cmd_stream_line(c, c->out + start,
				    (size_t)(nl - (c->out + start)));
			c->discarding = 0;
			start = (size_t)(nl - c->out) + 1;
		}
		memmove(c->out, c->out + start, c->linelen - start);
		c->linelen -= start;
	}
}

/* The stream's loop: keeps the child running and reads it until the
 * plugin stops, running the controls in between. */
static void
cmd_stream(struct cmd *c)
{
	struct pollfd pfd[2];
	char err[192];
	int64_t now;
	int np;

	while (!cmd_stopping(c)) {
		now = pod_clock_ms(CLOCK_MONOTONIC);
		if (c->child.pid == 0 && now >= c->restart_ms) {
			c->failures++;
			memset(&c->cols, 0, sizeof(c->cols));
			c->linelen = 0;
			c->discarding = 0;
			if (cmdproc_start(&c->child, c->conf.argv.argv, c->envp,
			        err, sizeof(err)) == -1) {
				c->child.pid = 0;
				cmd_stream_stop(c, 0, err);
				continue;
			}
			c->last_rec_ms = now;
		}
		if (c->child.pid == 0) {
			cmd_controls(c);
			worker_sleep(c->w, CMD_IDLE_STEP_MS * 5);
			continue;
		}
		np = 0;
		pfd[np].fd = c->child.out_fd;
		pfd[np++].events = POLLIN;
		if (c->child.err_fd >= 0) {
			pfd[np].fd = c->child.err_fd;
			pfd[np++].events = POLLIN;
		}
		poll(pfd, (nfds_t)np, CMD_IDLE_STEP_MS * 5);
		if (c->child.err_fd >= 0)
			cmdproc_drain_err(&c->child);
		if (cmd_stream_read(c)) {
			cmd_stream_stop(c, 0, NULL);
		} else if (pod_clock_ms(CLOCK_MONOTONIC) - c->last_rec_ms >
		           c->conf.timeout_ms) {
			snprintf(err, sizeof(err),
			    "no record for %d ms (timeout_ms): killed, "
			    "restarting",
			    c->conf.timeout_ms);
			cmd_stream_stop(c, 1, err);
		}
		cmd_controls(c);
	}
	if (c->child.pid != 0)
		cmdproc_end(&c->child, 1, CMD_GRACE_MS, &c->lost, NULL);
}

/* ---- the thread ---- */

static void
cmd_poll(struct worker *w, void *arg)
{
	struct cmd *c = arg;
	int64_t until = pod_clock_ms(CLOCK_MONOTONIC) + c->conf.period_ms, left;

	(void)w;
	if (c->conf.stream) {
		cmd_stream(c);
		return;
	}
	cmd_sample(c);
	/* Until the next sample, controls as they come. */
	do {
		cmd_controls(c);
		left = until - pod_clock_ms(CLOCK_MONOTONIC);
	} while (left > 0 &&
	         !worker_sleep(c->w,
	             left < CMD_IDLE_STEP_MS ? (int)left : CMD_IDLE_STEP_MS));
}

/* ---- the ABI ---- */

static void
cmd_free(struct cmd *c)
{
	if (c == NULL)
		return;
	worker_free(c->w, c->host);
	cmdproc_reap_lost(&c->lost);
	free(c->out);
	free(c);
}

/* The devices: accels = N, or one run of the command now. */
static int
cmd_enumerate(struct cmd *c)
{
	char why[256], w[96];
	int n, more = 0, i, j, t, s;

	if (c->conf.accels > 0) {
		c->ndev = c->conf.accels;
		for (i = 0; i < c->ndev; i++)
			c->tool_index[i] = i;
		return 0;
	}
	if ((n = cmd_run_once(c, &more, why, sizeof(why))) <= 0) {
		CMD_LOG(c, POD_LOG_ERROR,
		    "%s%s: finding the devices: %s (accels = N starts "
		    "without the tool)",
		    cmdconf_where(c->host, "command", w, sizeof(w)), c->name,
		    n == 0 ? "printed no device" : why);
		return -1;
	}
	if (why[0] != '\0')
		CMD_LOG(c, POD_LOG_WARN, "%s: %s", c->name, why);
	for (i = 0; i < n; i++) {
		t = c->rec[i].index >= 0 ? c->rec[i].index : i;
		if (c->rec[i].index < 0 &&
		    (c->conf.map.name[CMDMAP_INDEX][0] != '\0' ||
		        c->conf.map.column[CMDMAP_INDEX] > 0))
			continue; /* no number: said by cmd_apply */
		for (j = 0; j < c->ndev && c->tool_index[j] != t; j++)
			;
		if (j < c->ndev)
			continue;
		/* Sorted by the tool's number. */
		for (s = c->ndev; s > 0 && c->tool_index[s - 1] > t; s--)
			c->tool_index[s] = c->tool_index[s - 1];
		c->tool_index[s] = t;
		c->ndev++;
	}
	if (c->ndev == 0) {
		CMD_LOG(c, POD_LOG_ERROR,
		    "%s%s: finding the devices: no record has a device "
		    "number",
		    cmdconf_where(c->host, "command", w, sizeof(w)), c->name);
		return -1;
	}
	if (more > 0)
		CMD_LOG(c, POD_LOG_WARN,
		    "%s: more than %d devices: the rest "
		    "ignored",
		    c->name, POD_MAX_DEVICES);
	return 0;
}

/* The tool's name for messages: the command's first word, or the script
 * an interpreter runs ("python3 /opt/x/vendor-smi.py" is vendor-smi.py). */
static void
cmd_name(const struct cmdproc_argv *a, char *out, size_t len)
{
	static const char *const interp[] = {
	    "python", "python3", "perl", "bash", "sh", "env", "ruby", "node"};
	const char *w = a->argv[0], *base;
	size_t i;

	base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
	for (i = 0; i < NELEM(interp) && a->argc > 1; i++)
		if (strcmp(base, interp[i]) == 0 && a->argv[1][0] != '-') {
			w = a->argv[1];
			base = strrchr(w, '/') ? strrchr(w, '/') + 1 : w;
			break;
		}
	snprintf(out, len, "%s", base);
}

static int
cmd_init(const struct pod_host *host, void **ctx)
{
	struct cmd *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		return -1;
	}
	c->host = host;
	if (cmdconf_parse(host, &c->conf) == -1)
		goto fail;
	if ((c->out = malloc((size_t)c->conf.max_output + 1)) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: malloc: %s", __func__,
		    strerror(errno));
		goto fail;
	}
	cmd_name(&c->conf.argv, c->name, sizeof(c->name));
	snprintf(c->envbuf[0], sizeof(c->envbuf[0]), "PATH=%s", c->conf.path);
	snprintf(c->envbuf[1], sizeof(c->envbuf[1]), "LC_ALL=C");
	snprintf(c->envbuf[2], sizeof(c->envbuf[2]), "LANG=C");
	c->envp[0] = c->envbuf[0];
	c->envp[1] = c->envbuf[1];
	c->envp[2] = c->envbuf[2];
	c->envp[3] = NULL;
	for (int i = 0; i < POD_MAX_DEVICES; i++) {
		c->energy[i].vendor_j = NAN;
		c->energy[i].power_w = NAN;
	}
	if (cmd_enumerate(c) == -1)
		goto fail;
	if ((c->w = worker_new(c->conf.period_ms, cmd_poll, c)) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: worker: %s", __func__,
		    strerror(errno));
		goto fail;
	}
	CMD_LOG(c, POD_LOG_INFO,
	    "%s: %d accelerators, %s %s every %d ms, timeout %d ms, stale "
	    "after %d ms%s%s",
	    c->name, c->ndev, c->conf.stream ? "stream" : "oneshot",
	    c->conf.map.format == CMDMAP_JSON ? "JSON" : "CSV",
	    c->conf.period_ms, c->conf.timeout_ms, c->conf.stale_ms,
	    c->conf.set[CMDCONF_CLOCK][0] ? ", sets clocks" : "",
	    c->conf.set[CMDCONF_POWER][0] ? ", sets power limits" : "");
	*ctx = c;
	return 0;
fail:
	cmd_free(c);
	return -1;
}

static void
cmd_fini(void *ctx)
{
	cmd_free(ctx);
}

static int
cmd_devices(void *ctx, struct pod_device *out, int max)
{
	struct cmd *c = ctx;
	const struct cmdconf *cf = &c->conf;
	uint32_t caps = POD_F_ENERGY;
	int i, m;

	if (max < c->ndev) {
		CMD_LOG(c, POD_LOG_ERROR, "%s: room for %d of %d devices",
		    __func__, max, c->ndev);
		return -1;
	}
	for (m = 0; m < CMDMAP_NMETRIC; m++)
		if (cf->map.name[m][0] != '\0' || cf->map.column[m] > 0)
			caps |= cmdmap_metrics[m].flag;
	if (!(caps & POD_F_POWER) && cf->map.name[CMDMAP_ENERGY][0] == '\0' &&
	    cf->map.column[CMDMAP_ENERGY] == 0)
		caps &= ~POD_F_ENERGY;
	for (i = 0; i < CMDCONF_NCTL; i++)
		if (cf->set[i][0] != '\0')
			caps |= cmdconf_ctls[i].flag;
	for (i = 0; i < c->ndev; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].name, sizeof(out[i].name), "accel%d",
		    c->tool_index[i]);
		snprintf(out[i].model, sizeof(out[i].model), "%s", cf->model);
		out[i].domain = POD_DOMAIN_ACCEL;
		out[i].index = c->tool_index[i];
		out[i].caps = caps;
		out[i].clock_min_mhz =
		    isnan(cf->clock_min_mhz) ? 0 : cf->clock_min_mhz;
		out[i].clock_max_mhz =
		    isnan(cf->clock_max_mhz) ? 0 : cf->clock_max_mhz;
		out[i].power_min_w =
		    isnan(cf->power_min_w) ? 0 : cf->power_min_w;
		out[i].power_max_w =
		    isnan(cf->power_max_w) ? 0 : cf->power_max_w;
		out[i].tdp_w =
		    isnan(cf->tdp_w) ? out[i].power_max_w : cf->tdp_w;
	}
	return c->ndev;
}

/* The last values, those older than stale_ms cleared. Age is judged on
 * the plugin's own monotonic clock, not now_ms: a host may run virtual
 * time, the tool does not. */
static int
cmd_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct cmd *c = ctx;
	struct cmd_dev snap[POD_MAX_DEVICES];
	int64_t mono;
	int i;

	(void)now_ms;
	worker_flush(c->w, c->host);
	if (n > c->ndev)
		n = c->ndev;
	worker_lock(c->w);
	memcpy(snap, c->pub, (size_t)n * sizeof(snap[0]));
	worker_unlock(c->w);
	mono = pod_clock_ms(CLOCK_MONOTONIC);
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].t_ms = snap[i].wall_ms;
		if (snap[i].mono_ms == 0 ||
		    mono - snap[i].mono_ms > c->conf.stale_ms)
			continue;
		out[i].valid = snap[i].valid;
		out[i].power_w = snap[i].v[CMDMAP_POWER];
		out[i].energy_j = snap[i].v[CMDMAP_ENERGY];
		out[i].temp_c = snap[i].v[CMDMAP_TEMP];
		out[i].clock_mhz = snap[i].v[CMDMAP_CLOCK];
		out[i].util_pct = snap[i].v[CMDMAP_UTIL];
		out[i].mem_used_mib = snap[i].v[CMDMAP_MEM];
	}
	return 0;
}

/* Queues the control for the thread; the newest of each kind wins. */
static int
cmd_control(void *ctx, int dev, const struct pod_control *ctl)
{
	struct cmd *c = ctx;
	const struct cmdconf *cf = &c->conf;
	double v[CMDCONF_NCTL] = {ctl->clock_max_mhz, ctl->power_limit_w};
	double lo[CMDCONF_NCTL] = {cf->clock_min_mhz, cf->power_min_w};
	double hi[CMDCONF_NCTL] = {cf->clock_max_mhz, cf->power_max_w};
	int k;

	if (dev < 0 || dev >= c->ndev) {
		CMD_LOG(c, POD_LOG_ERROR, "%s: no device %d", __func__, dev);
		return -1;
	}
	for (k = 0; k < CMDCONF_NCTL; k++) {
		if (!(ctl->set & cmdconf_ctls[k].flag))
			continue;
		if (cf->set[k][0] == '\0') {
			CMD_LOG(c, POD_LOG_ERROR,
			    "accel%d: no %s: %s is not configured",
			    c->tool_index[dev], cmdconf_ctls[k].what,
			    cmdconf_ctls[k].key);
			return -1;
		}
		if (!isfinite(v[k])) {
			CMD_LOG(c, POD_LOG_ERROR, "accel%d: %s: not a number",
			    c->tool_index[dev], cmdconf_ctls[k].what);
			return -1;
		}
	}
	worker_lock(c->w);
	for (k = 0; k < CMDCONF_NCTL; k++)
		if (ctl->set & cmdconf_ctls[k].flag) {
			c->pend[dev].set[k] = 1;
			c->pend[dev].at_ms[k] = 0;
			c->pend[dev].value[k] = v[k] < lo[k]   ? lo[k]
			                        : v[k] > hi[k] ? hi[k]
			                                       : v[k];
		}
	worker_unlock(c->w);
	return 0;
}

static const struct pod_plugin_ops cmd_ops = {
    .devices = cmd_devices,
    .read = cmd_read,
    .control = cmd_control,
    .environ = NULL,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "power",
    .name = "command",
    .description = "accelerators through a vendor's command-line tool",
    .init = cmd_init,
    .fini = cmd_fini,
    .ops = &cmd_ops,
};
