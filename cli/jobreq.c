/*
 * Job requests from the command line: see jobreq.h. Numbers are read by
 * hand rather than with strtol(), which would take leading spaces, a sign
 * and "0x", none of which a node count or a time limit should be. The
 * server checks everything again; the client's checks only make the common
 * mistakes cheap and precise.
 */
#include <stdio.h>
#include <string.h>

#include "jobreq.h"
#include "names.h"

#define MAX_PRIORITY 1000000 /* |--priority| at most, as the server */

/* The letters are sbatch's: -J job name, -N nodes, -G (--gpus) GPUs in
 * total, -t time limit. */
const struct args_opt jobreq_opts[JOBREQ_NOPTS] = {
    {"name", 'J', 1},          /* job name; default the command's basename */
    {"nodes", 'N', 1},         /* whole nodes */
    {"accelerators", 'G', 1},  /* accelerators in total */
    {"accels-per-node", 0, 1}, /* accelerators on each node */
    {"time", 't', 1},          /* time limit, "2h", "1-12:00:00" */
    {"priority", 0, 1},        /* larger goes first */
    {"within", 0, 1},          /* group, pod or fabric */
    {"policy", 0, 1},          /* the power policy of the job's nodes */
    {"no-requeue", 0, 0},      /* fail rather than requeue on node loss */
    {"power-per-accel", 0, 1}, /* expected draw per accelerator, W */
    {"allow-capped", 0, 0},    /* may start under a power cap */
    {"chdir", 'D', 1},         /* working directory; default home */
    {"output", 'o', 1},        /* stdout file pattern: %j %u %N %% */
    {"error", 'e', 1},         /* stderr file pattern; default stdout */
    {"account", 'A', 1},       /* who pays; default the user's default */
    {"qos", 'q', 1},           /* quality of service */
    {"partition", 'p', 1},     /* partition */
    {"reservation", 0, 1},     /* run inside this reservation */
    {"dependency", 'd', 1},    /* afterok:ID[:ID…], afterany, afternotok,
                                  singleton */
    {"array", 'a', 1},         /* job array: "0-999%50", "1,3,5-7" */
};

/* The options sent as they are: paths on the nodes (the agent expands
 * their patterns) and names the controller knows; it checks them all. */
static const struct {
	const char *opt;    /* in jobreq_opts */
	const char *member; /* of POST /api/v1/jobs */
} path_opts[] = {
    {"chdir", "chdir"},
    {"output", "output"},
    {"error", "error"},
    {"account", "account"},
    {"qos", "qos"},
    {"partition", "partition"},
    {"reservation", "reservation"},
    {"dependency", "dependency"},
    {"array", "array"},
};

static const char *const job_states[] = {
    "pending",
    "running",
    "completed",
    "failed",
    "cancelled",
    "timeout",
    "node_fail",
};

static const char *const withins[] = {"group", "pod", "fabric"};

/* Time units, largest first: the order they must be written in. */
static const struct {
	char letter;
	int64_t secs;
} units[] = {
    {'d', 86400},
    {'h', 3600},
    {'m', 60},
    {'s', 1},
};

#define NUNITS (sizeof(units) / sizeof(units[0]))

/*
 * Reads the digits at *p into *v, at most max, and advances *p. Returns
 * the number of digits read, or -1 when the value passes max.
 */
static int
read_digits(const char **p, int64_t max, int64_t *v)
{
	int n = 0;

	for (*v = 0; **p >= '0' && **p <= '9'; (*p)++, n++) {
		if (*v > (max - (**p - '0')) / 10)
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return n;
}

#define TIME_FORMS                                                             \
	"minutes, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or with units: 90s, 15m, "  \
	"2h, 1d, 1h30m"

/* Reads one number of a time limit at *p: 0, 1 when there is none, or 2
 * when it is larger than any limit. */
static int
time_number(const char **p, int64_t *v)
{
	int n = read_digits(p, JOBREQ_MAX_TIME_S, v);

	return n == -1 ? 2 : n == 0 ? 1 : 0;
}

/*
 * Slurm's forms: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S". The first
 * number is unbounded (up to the longest limit), the others below their
 * next unit. Returns 0 with *total set, 1 when s is not of these forms, 2
 * when it is longer than any limit, or -1 with err filled for a number out
 * of its unit's range.
 */
static int
slurm_time(const char *s, int64_t *total, char *err, size_t errlen)
{
	static const char *const names[] = {"hours", "minutes", "seconds"};
	static const int64_t bound[] = {24, 60, 60}, secs[] = {3600, 60, 1};
	const char *p = s, *dash = strchr(s, '-');
	int64_t v[3], days = 0, t;
	int n, first, i, r;

	if (dash != NULL) {
		if ((r = time_number(&p, &days)) != 0)
			return r;
		if (*p++ != '-')
			return 1;
	}
	if ((r = time_number(&p, &v[0])) != 0)
		return r;
	for (n = 1; *p == ':' && n < 3; n++) {
		p++;
		if ((r = time_number(&p, &v[n])) != 0)
			return r;
	}
	if (*p != '\0')
		return 1;
	/* The unit of the first number after the days: hours after days or
	 * before two more numbers, else minutes. */
	first = dash != NULL || n == 3 ? 0 : 1;
	if (days > JOBREQ_MAX_TIME_S / 86400)
		return 2;
	t = days * 86400;
	for (i = 0; i < n; i++) {
		if ((i > 0 || dash != NULL) && v[i] >= bound[first + i]) {
			snprintf(err, errlen,
			    "--time '%s': %s must be below %lld", s,
			    names[first + i], (long long)bound[first + i]);
			return -1;
		}
		if (v[i] > (JOBREQ_MAX_TIME_S - t) / secs[first + i])
			return 2;
		t += v[i] * secs[first + i];
	}
	*total = t;
	return 0;
}

/* Numbers with units, "1h30m"; as slurm_time(). */
static int
unit_time(const char *s, int64_t *total)
{
	const char *p = s;
	int64_t v;
	size_t u, next = 0; /* the largest unit still allowed */
	int n;

	*total = 0;
	while (*p != '\0') {
		if ((n = read_digits(&p, JOBREQ_MAX_TIME_S, &v)) == -1)
			return 2;
		if (n == 0)
			return 1;
		for (u = next; u < NUNITS && units[u].letter != *p; u++)
			;
		if (u == NUNITS)
			return 1;
		p++;
		if (v > (JOBREQ_MAX_TIME_S - *total) / units[u].secs)
			return 2;
		*total += v * units[u].secs;
		next = u + 1;
	}
	return 0;
}

int
jobreq_parse_time(const char *s, int64_t *secs, char *err, size_t errlen)
{
	int64_t total = 0;
	int r;

	if (*s == '-') {
		snprintf(err, errlen, "--time must be positive, not '%s'", s);
		return -1;
	}
	/* Digits with ":" or "-" only, or digits alone, are Slurm's. */
	if (*s != '\0' && s[strspn(s, "0123456789:-")] == '\0')
		r = slurm_time(s, &total, err, errlen);
	else if (*s != '\0')
		r = unit_time(s, &total);
	else
		r = 1;
	if (r == -1)
		return -1;
	if (r == 2) {
		snprintf(err, errlen, "--time '%s' is longer than %lld days", s,
		    JOBREQ_MAX_TIME_S / 86400);
		return -1;
	}
	if (r == 1) {
		snprintf(err, errlen,
		    "--time '%s' is not a duration (" TIME_FORMS ")", s);
		return -1;
	}
	if (total == 0) {
		snprintf(
		    err, errlen, "--time must be more than 0, not '%s'", s);
		return -1;
	}
	*secs = total;
	return 0;
}

int
jobreq_parse_count(const char *s, int64_t max, int64_t *out)
{
	const char *p = s;
	int64_t v;

	if (read_digits(&p, max, &v) <= 0 || *p != '\0' || v < 1)
		return -1;
	*out = v;
	return 0;
}

/* A decimal integer with an optional "-" in [-max, max]. */
static int
parse_int(const char *s, int64_t max, int64_t *out)
{
	const char *p = s + (*s == '-');
	int64_t v;

	if (read_digits(&p, max, &v) <= 0 || *p != '\0')
		return -1;
	*out = *s == '-' ? -v : v;
	return 0;
}

static int
one_of(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

int
jobreq_state_valid(const char *s)
{
	return one_of(
	    s, job_states, sizeof(job_states) / sizeof(job_states[0]));
}

/* 1 when a job name is 1–JOBREQ_NAME_MAX bytes without control characters. */
static int
name_valid(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > JOBREQ_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The last component of a path, or the path itself when that is empty. */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL && slash[1] != '\0' ? slash + 1 : path;
}

/* Sets body[key] to a new value; records a failure in *ok. */
static void
set(json_t *body, const char *key, json_t *v, int *ok)
{
	if (v == NULL || json_object_set_new(body, key, v) == -1)
		*ok = 0;
}

/* Reads a count option into body[key] when given. Returns 0, 1 when it was
 * given, or -1 with err filled. */
static int
count_opt(const struct args *a, const char *opt, const char *key, json_t *body,
    int *ok, char *err, size_t errlen)
{
	const char *s = args_get(a, opt);
	int64_t v;

	if (s == NULL)
		return 0;
	if (jobreq_parse_count(s, JOBREQ_MAX_COUNT, &v) == -1) {
		snprintf(err, errlen,
		    "--%s needs a whole number from 1 to %d, not '%s'", opt,
		    JOBREQ_MAX_COUNT, s);
		return -1;
	}
	set(body, key, json_integer(v), ok);
	return 1;
}

/* The command after "--" as a JSON array, or NULL with err filled. */
static json_t *
command_array(const struct args *a, char *err, size_t errlen)
{
	json_t *cmd, *w;
	int i;

	if (a->dashdash == -1) {
		snprintf(err, errlen,
		    "the command to run must follow '--' "
		    "(podctl submit ... -- COMMAND [ARG...])");
		return NULL;
	}
	if (a->dashdash > 0) {
		snprintf(err, errlen, "unexpected argument '%s' before '--'",
		    a->pos[0]);
		return NULL;
	}
	if (a->npos == 0 || a->pos[0][0] == '\0') {
		snprintf(err, errlen, "no command to run after '--'");
		return NULL;
	}
	if ((cmd = json_array()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < a->npos; i++) {
		/* json_string() refuses what is not UTF-8. */
		if ((w = json_string(a->pos[i])) == NULL) {
			snprintf(err, errlen,
			    "argument %d of the command is not UTF-8 text",
			    i + 1);
			goto fail;
		}
		if (json_array_append_new(cmd, w) == -1) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	return cmd;

fail:
	json_decref(cmd);
	return NULL;
}

json_t *
jobreq_body(const struct args *a, char *err, size_t errlen)
{
	const char *name = args_get(a, "name"), *limit = args_get(a, "time");
	const char *prio = args_get(a, "priority"),
	           *within = args_get(a, "within"),
	           *policy = args_get(a, "policy"), *watts;
	json_t *body = NULL, *cmd, *jname;
	int64_t secs, v;
	size_t i;
	int ok = 1, nodes, accels;

	if ((cmd = command_array(a, err, errlen)) == NULL)
		return NULL;
	if ((body = json_object()) == NULL) {
		json_decref(cmd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	set(body, "command", cmd, &ok);
	if (name == NULL)
		name = base_name(a->pos[a->dashdash]);
	if (!name_valid(name)) {
		snprintf(err, errlen,
		    "the job name (--name) must be 1 to %d bytes without "
		    "control characters",
		    JOBREQ_NAME_MAX);
		goto fail;
	}
	if ((jname = json_string(name)) == NULL) {
		snprintf(
		    err, errlen, "the job name (--name) must be UTF-8 text");
		goto fail;
	}
	set(body, "name", jname, &ok);

	if ((nodes = count_opt(a, "nodes", "nodes", body, &ok, err, errlen)) ==
	        -1 ||
	    (accels = count_opt(a, "accelerators", "accelerators", body, &ok,
	         err, errlen)) == -1 ||
	    count_opt(a, "accels-per-node", "accels_per_node", body, &ok, err,
	        errlen) == -1)
		goto fail;
	if (nodes + accels != 1) {
		snprintf(err, errlen,
		    "give exactly one of --nodes N and "
		    "--accelerators A");
		goto fail;
	}

	/* Without --time the server applies its default, or says it has
	 * none. */
	if (limit != NULL) {
		if (jobreq_parse_time(limit, &secs, err, errlen) == -1)
			goto fail;
		set(body, "time_limit_s", json_integer(secs), &ok);
	}

	if (prio != NULL) {
		if (parse_int(prio, MAX_PRIORITY, &v) == -1) {
			snprintf(err, errlen,
			    "--priority needs a whole number from %d to %d, "
			    "not '%s'",
			    -MAX_PRIORITY, MAX_PRIORITY, prio);
			goto fail;
		}
		set(body, "priority", json_integer(v), &ok);
	}
	if (within != NULL) {
		if (!one_of(within, withins,
		        sizeof(withins) / sizeof(withins[0]))) {
			snprintf(err, errlen,
			    "--within is group, pod or fabric, not '%s'",
			    within);
			goto fail;
		}
		set(body, "within", json_string(within), &ok);
	}
	if (policy != NULL) {
		if (!names_valid(policy)) {
			snprintf(err, errlen,
			    "--policy: invalid policy name '%s'", policy);
			goto fail;
		}
		set(body, "policy", json_string(policy), &ok);
	}
	if (args_get(a, "no-requeue") != NULL)
		set(body, "requeue", json_false(), &ok);
	if (args_get(a, "allow-capped") != NULL)
		set(body, "allow_capped", json_true(), &ok);
	for (i = 0; i < sizeof(path_opts) / sizeof(path_opts[0]); i++) {
		const char *p = args_get(a, path_opts[i].opt);

		if (p == NULL)
			continue;
		if (*p == '\0') {
			snprintf(err, errlen, "--%s needs a value",
			    path_opts[i].opt);
			goto fail;
		}
		set(body, path_opts[i].member, json_string(p), &ok);
	}
	if ((watts = args_get(a, "power-per-accel")) != NULL) {
		if (parse_int(watts, 10000, &v) == -1 || v < 1) {
			snprintf(err, errlen,
			    "--power-per-accel needs watts from 1 to 10000, "
			    "not '%s'",
			    watts);
			goto fail;
		}
		set(body, "power_per_accel_w", json_integer(v), &ok);
	}
	if (!ok) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return body;

fail:
	json_decref(body);
	return NULL;
}

/* The members of POST /api/v1/jobs and what podctl calls them. */
static const struct {
	const char *member;
	const char *flag;
} member_flags[] = {
    {"name", "--name"},
    {"command", "the command"},
    {"nodes", "--nodes"},
    {"accelerators", "--accelerators"},
    {"accels_per_node", "--accels-per-node"},
    {"time_limit_s", "--time"},
    {"priority", "--priority"},
    {"within", "--within"},
    {"policy", "--policy"},
    {"requeue", "--no-requeue"},
    {"power_per_accel_w", "--power-per-accel"},
    {"allow_capped", "--allow-capped"},
    {"chdir", "--chdir"},
    {"output", "--output"},
    {"error", "--error"},
    {"account", "--account"},
    {"qos", "--qos"},
    {"partition", "--partition"},
    {"reservation", "--reservation"},
    {"dependency", "--dependency"},
    {"array", "--array"},
};

#define NMEMBERS (sizeof(member_flags) / sizeof(member_flags[0]))

static int
word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

void
jobreq_explain(const char *msg, char *buf, size_t size)
{
	const char *p = msg, *w;
	size_t len = 0, i, n;
	int quoted;

	if (size == 0)
		return;
	while (*p != '\0' && len + 1 < size) {
		/* A word, quoted or not, starting here? */
		quoted = *p == '\'';
		w = p + quoted;
		if ((p == msg || !word_char(p[-1])) && word_char(*w)) {
			for (n = 0; word_char(w[n]); n++)
				;
			for (i = 0; i < NMEMBERS; i++) {
				if (strlen(member_flags[i].member) != n ||
				    strncmp(member_flags[i].member, w, n) != 0)
					continue;
				/* Quoted, or a name no prose has. */
				if (quoted ? w[n] == '\''
				           : memchr(w, '_', n) != NULL)
					break;
			}
			if (i < NMEMBERS) {
				len += snprintf(buf + len, size - len, "%s",
				    member_flags[i].flag);
				if (len >= size)
					len = size - 1;
				p = w + n + quoted;
				continue;
			}
			if (!quoted) {
				/* Copy the whole word: no match inside it. */
				for (; p < w + n && len + 1 < size; p++)
					buf[len++] = *p;
				continue;
			}
		}
		buf[len++] = *p++;
	}
	buf[len] = '\0';
}
