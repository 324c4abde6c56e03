/*
 * "top": a live view of the fleet. Each frame is the "status" summary, the
 * job and alarm counts, the pods and the hottest nodes, fetched afresh from
 * the same REST routes the other commands use.
 *
 * A frame is rendered into memory first and written with one write, the
 * screen cleared just before, so that a refresh does not flicker; on a
 * terminal it is also cut to the window, since a frame taller than the
 * window would scroll its top, the summary, out of sight. Without a
 * terminal (a pipe, a test) there is one frame, no escape sequences and no
 * cutting. In a live view a failed request is shown in the frame and
 * retried at the next refresh, because a controller restarting is no
 * reason to stop watching; Ctrl-C ends the view with status 0.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fmt.h"
#include "log.h"
#include "podctl.h"
#include "powreq.h"
#include "rest.h"
#include "table.h"
#include "timeutil.h"

#define TOP_INTERVAL_S     2.0             /* default time between frames */
#define TOP_MIN_INTERVAL_S 0.5             /* --interval range, seconds */
#define TOP_MAX_INTERVAL_S 3600.0          /* an hour */
#define TOP_HOT_NODES      10              /* nodes in the hottest list */
#define TOP_CLEAR          "\033[H\033[2J" /* cursor home, clear screen */
#define TOP_STDOUT_BUF     (256 * 1024)    /* bytes; more than a frame */

/* Set by SIGINT and SIGTERM: leave the loop. */
static volatile sig_atomic_t top_quit;

/* The replies a frame is made of, in the order they are fetched. */
enum top_slot {
	SLOT_STATUS,
	SLOT_PODS,
	SLOT_NODES,
	SLOT_RUNNING,
	SLOT_PENDING,
	SLOT_ALARMS,
	NSLOTS
};

/*
 * The requests of one frame. Per row: the path; the member of the reply
 * that must be an array, or NULL when the reply itself is what is shown
 * (an object); the slot the reply goes to. Jobs are counted by state so
 * that the ended jobs of months are not fetched every two seconds.
 */
static const struct {
	const char *path;
	const char *array;
	enum top_slot slot;
} top_reqs[] = {
    {"/api/v1/status", NULL, SLOT_STATUS},
    {"/api/v1/pods", "pods", SLOT_PODS},
    {"/api/v1/nodes", "nodes", SLOT_NODES},
    {"/api/v1/jobs?state=running", "jobs", SLOT_RUNNING},
    {"/api/v1/jobs?state=pending", "jobs", SLOT_PENDING},
    {"/api/v1/alarms", "alarms", SLOT_ALARMS},
};

/*
 * Columns of the hottest nodes. Per column: title; priority (0 always
 * shown, larger dropped sooner when the terminal is narrow); alignment;
 * how far free text may be cut (0 never); then the field shown: kind,
 * member, second member of a ratio, scale, decimal places.
 */
static const struct table_col hot_cols[] = {
    {"NAME", 0, TABLE_LEFT, 0, FMT_FIELD_STR("name")},
    {"STATE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("state")},
    {"HOTTEST_C", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("hottest_c", 1, 1)},
    {"POWER_W", 1, TABLE_RIGHT, 0, FMT_FIELD_NUM("power_w", 1, 0)},
    {"INLET_C", 3, TABLE_RIGHT, 0, FMT_FIELD_NUM("inlet_c", 1, 1)},
    {"OUTLET_C", 2, TABLE_RIGHT, 0, FMT_FIELD_NUM("outlet_c", 1, 1)},
    {"FLOW_LPM", 4, TABLE_RIGHT, 0, FMT_FIELD_NUM("flow_lpm", 1, 1)},
    {"LAST_SEEN", 5, TABLE_RIGHT, 0, FMT_FIELD_AGE("last_seen")},
};

/* One frame's replies, owned, and what went wrong fetching them. */
struct top_frame {
	json_t *reply[NSLOTS]; /* NULL until fetched */
	int rc;                /* PODCTL_OK or the first failure */
	char err[1024];        /* the failure, one line */
};

static void
top_on_signal(int sig)
{
	top_quit = 1;
}

static void
frame_clear(struct top_frame *fr)
{
	size_t i;

	for (i = 0; i < NSLOTS; i++) {
		json_decref(fr->reply[i]);
		fr->reply[i] = NULL;
	}
	fr->rc = PODCTL_OK;
	fr->err[0] = '\0';
}

/* 1 when reply j is an object with an array `array`, or only an object
 * when array is NULL. */
static int
shaped(json_t *j, const char *array)
{
	if (array == NULL)
		return json_is_object(j);
	return json_is_array(json_object_get(j, array));
}

/* Fetches every reply of a frame, stopping at the first failure, which
 * fr->rc and fr->err then hold. */
static void
frame_fetch(struct podctl *pc, struct top_frame *fr)
{
	struct rest_reply reply;
	enum rest_result res;
	json_t *j;
	size_t i;

	frame_clear(fr);
	for (i = 0; i < sizeof(top_reqs) / sizeof(top_reqs[0]); i++) {
		res = rest_call(pc->rest, "GET", top_reqs[i].path, NULL, &reply,
		    fr->err, sizeof(fr->err));
		j = reply.json;
		if (res == REST_API_ERROR &&
		    (reply.http_status == 401 || reply.http_status == 403)) {
			char msg[sizeof(fr->err)];

			snprintf(msg, sizeof(msg), "%s", fr->err);
			podctl_refusal(pc, reply.http_status, msg, fr->err,
			    sizeof(fr->err));
		}
		if (res == REST_OK && !shaped(j, top_reqs[i].array)) {
			res = REST_API_ERROR;
			snprintf(fr->err, sizeof(fr->err),
			    "unexpected reply from the server to %s",
			    top_reqs[i].path);
		}
		if (res == REST_OK)
			fr->reply[top_reqs[i].slot] = json_incref(j);
		rest_reply_free(&reply);
		if (res != REST_OK) {
			fr->rc = res == REST_UNREACHABLE ? PODCTL_EUNREACHABLE
			                                 : PODCTL_EAPI;
			return;
		}
	}
}

/* Orders nodes hottest first; unknown temperatures last; then by name. */
static int
hotter(const void *pa, const void *pb)
{
	json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_t *ta = json_object_get(a, "hottest_c"),
	       *tb = json_object_get(b, "hottest_c");
	int ka = json_is_number(ta), kb = json_is_number(tb);
	double va = json_number_value(ta), vb = json_number_value(tb);

	if (ka != kb)
		return kb - ka;
	if (ka && va != vb)
		return va > vb ? -1 : 1;
	return strcmp(fmt_str(a, "name"), fmt_str(b, "name"));
}

/* The TOP_HOT_NODES hottest of the array nodes, a new array (borrowing
 * its members), or NULL (logged). */
static json_t *
hottest(json_t *nodes)
{
	json_t **v, *out = NULL;
	size_t i, n = json_array_size(nodes);

	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		log_warn("%s", __func__);
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = json_array_get(nodes, i);
	qsort(v, n, sizeof(*v), hotter);
	if ((out = json_array()) == NULL)
		goto fail;
	for (i = 0; i < n && i < TOP_HOT_NODES; i++)
		if (json_array_append(out, v[i]) == -1) {
			json_decref(out);
			out = NULL;
			goto fail;
		}

fail:
	if (out == NULL)
		log_warnx("%s: out of memory", __func__);
	free(v);
	return out;
}

/* The alarms line: "2 open (1 critical), 1 acknowledged". */
static void
print_alarms(FILE *f, json_t *alarms)
{
	json_t *al;
	size_t i, open = 0, critical = 0, acked = 0;
	char crit[48] = "";

	json_array_foreach(alarms, i, al)
	{
		if (strcmp(fmt_str(al, "state"), "open") == 0) {
			open++;
			if (strcmp(fmt_str(al, "severity"), "critical") == 0)
				critical++;
		} else if (strcmp(fmt_str(al, "state"), "acked") == 0)
			acked++;
	}
	if (critical > 0)
		snprintf(crit, sizeof(crit), " (%zu critical)", critical);
	podctl_fline(
	    f, "Alarms", "%zu open%s, %zu acknowledged", open, crit, acked);
}

/* Renders a fetched frame on f. Returns PODCTL_OK or PODCTL_EAPI. */
static int
frame_print(struct podctl *pc, FILE *f, const struct top_frame *fr)
{
	json_t *nodes = json_object_get(fr->reply[SLOT_NODES], "nodes"), *hot;
	int rc;

	cmd_status_print(f, fr->reply[SLOT_STATUS]);
	podctl_fline(f, "Jobs", "%zu running, %zu pending",
	    json_array_size(json_object_get(fr->reply[SLOT_RUNNING], "jobs")),
	    json_array_size(json_object_get(fr->reply[SLOT_PENDING], "jobs")));
	print_alarms(f, json_object_get(fr->reply[SLOT_ALARMS], "alarms"));
	fputc('\n', f);
	if ((rc = cmd_pods_print(pc, f,
	         json_object_get(fr->reply[SLOT_PODS], "pods"))) != PODCTL_OK)
		return rc;
	if ((hot = hottest(nodes)) == NULL)
		return PODCTL_EAPI;
	fprintf(f, "\nHottest nodes (%zu of %zu):\n", json_array_size(hot),
	    json_array_size(nodes));
	rc = podctl_fprint_table(
	    pc, f, hot_cols, sizeof(hot_cols) / sizeof(hot_cols[0]), hot);
	json_decref(hot);
	return rc;
}

/*
 * Writes the frame text to stdout, each line cut to `cols` code points and
 * at most `rows` lines, the last of which says so when lines were left
 * out; rows 0 means no cut.
 */
static void
frame_write(const char *text, int cols, int rows)
{
	const char *p = text, *nl, *q;
	int line, n;

	for (line = 0; *p != '\0'; line++, p = *nl != '\0' ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		if (rows > 0 && line == rows - 1 && *nl != '\0' &&
		    nl[1] != '\0') {
			fputs("... (a taller window shows more)\n", stdout);
			return;
		}
		/* The byte where the cols-th code point ends. */
		for (q = p, n = 0; q < nl; q++)
			if (((unsigned char)*q & 0xc0) != 0x80 && n++ == cols)
				break;
		fwrite(p, 1, (size_t)((cols > 0 ? q : nl) - p), stdout);
		fputc('\n', stdout);
	}
}

/* The size of the terminal on stdout; 0 and 0 when it is not one. */
static void
window(int *cols, int *rows)
{
	struct winsize ws;

	*cols = *rows = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

/*
 * Fetches and shows one frame. live: a refreshing view on a terminal
 * (clear, cut, failures shown in the frame). Returns PODCTL_OK, or the
 * failure, which outside a live view has been reported on stderr.
 */
static int
top_show(struct podctl *pc, struct top_frame *fr, int live, double interval)
{
	char *text = NULL, stamp[32];
	size_t len;
	time_t now;
	struct tm tm;
	FILE *f;
	int rc, cols = 0, rows = 0;

	frame_fetch(pc, fr);
	if (fr->rc != PODCTL_OK && !live) {
		podctl_error("%s", fr->err);
		return fr->rc;
	}
	pc->now_ms = time_wall_ms();
	if (live) {
		window(&cols, &rows);
		if (cols > 0)
			pc->columns = cols;
	}
	if ((f = open_memstream(&text, &len)) == NULL) {
		podctl_error("top: %s", strerror(errno));
		return PODCTL_EAPI;
	}
	now = (time_t)(pc->now_ms / 1000);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "%s", FMT_UNKNOWN);
	fprintf(f, "podctl top: %s at %s", rest_base(pc->rest), stamp);
	if (live)
		fprintf(f, ", every %gs", interval);
	fputs("\n\n", f);
	if (fr->rc != PODCTL_OK) {
		fprintf(f, "podctl: %s\n", fr->err);
		rc = fr->rc;
	} else
		rc = frame_print(pc, f, fr);
	if (fclose(f) == EOF) {
		podctl_error("top: %s", strerror(errno));
		free(text);
		return PODCTL_EAPI;
	}
	if (live)
		fputs(TOP_CLEAR, stdout);
	/* One line fewer than the window: the newline after the last one
	 * would scroll the first away. */
	frame_write(text, live ? cols : 0, live && rows > 1 ? rows - 1 : 0);
	fflush(stdout);
	free(text);
	return rc;
}

/* Waits `secs` seconds or until a signal asks to quit. */
static void
top_wait(double secs)
{
	struct timespec ts;
	int64_t end = time_mono_ms() + (int64_t)(secs * 1000), left;

	while (!top_quit && (left = end - time_mono_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

int
cmd_top(struct podctl *pc, const struct args *a)
{
	const char *s = args_get(a, "interval");
	struct top_frame fr;
	struct sigaction sa;
	double interval = TOP_INTERVAL_S;
	int live, rc;

	if (pc->output == OUTPUT_JSON)
		return podctl_usage_error("top: no JSON output; use the "
		                          "commands it is made of");
	if (s != NULL &&
	    (powreq_parse_number(s, &interval) == -1 ||
	        interval < TOP_MIN_INTERVAL_S || interval > TOP_MAX_INTERVAL_S))
		return podctl_usage_error("top: --interval is a number of "
		                          "seconds from %g to %g, not '%s'",
		    TOP_MIN_INTERVAL_S, TOP_MAX_INTERVAL_S, s);
	memset(&fr, 0, sizeof(fr));
	live = args_get(a, "once") == NULL && isatty(STDOUT_FILENO);
	if (!live) {
		rc = top_show(pc, &fr, 0, interval);
		frame_clear(&fr);
		return rc;
	}

	/* A frame leaves in one write rather than line by line, as a
	 * terminal's stdout would; nothing has been written yet. */
	setvbuf(stdout, NULL, _IOFBF, TOP_STDOUT_BUF);
	/* No SA_RESTART, so that Ctrl-C cuts a wait short. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!top_quit) {
		top_show(pc, &fr, 1, interval);
		top_wait(interval);
	}
	frame_clear(&fr);
	return PODCTL_OK;
}
