/*
 * The wire records' codec, the controller's side (see wire.h): the desired
 * state of a node and the reply to a report, both ways. Decoding, in the
 * agent, refuses a record it could misread (a job without a key, a user
 * name with a control character, a cap out of range) with a message that
 * names the member; encoding, in the controller, writes every member the
 * agent needs. The desired power settings also hash to a number, so the
 * controller sees a change without printing the record. The report's side
 * is in wire.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "wire.h"

/*
 * An integer member of a desired.jobs entry: `required` says whether
 * absence is an error, else *out gets `def`. 0, or -1 with why in err.
 */
static int
dj_int(json_t *o, const char *key, long long min, long long max, int required,
    long long def, long long *out, char *err, size_t errlen)
{
	char e[128];
	int rc;

	rc = jsonx_integer(o, key, out, e, sizeof(e));
	if (rc == 0 && !required) {
		*out = def;
		return 0;
	}
	if (rc != 1 || *out < min || *out > max) {
		snprintf(err, errlen, "'%s' must be an integer in %lld..%lld",
		    key, min, max);
		return -1;
	}
	return 0;
}

/* A string member, required, at most max - 1 bytes, without a NUL. */
static int
dj_str(json_t *o, const char *key, size_t max, int nonempty, char **out,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	size_t len;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "'%s' must be a string", key);
		return -1;
	}
	len = json_string_length(v);
	if (len >= max || strlen(json_string_value(v)) != len ||
	    (nonempty && len == 0)) {
		snprintf(err, errlen,
		    "'%s' must be a%s string of at most %zu bytes without NUL",
		    key, nonempty ? " non-empty" : "", max - 1);
		return -1;
	}
	if ((*out = strdup(json_string_value(v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * An optional text member: absent or null is "", else a string of at most
 * max - 1 bytes with no NUL and no control character (a path or a name
 * that ends up in a file name, an environment variable and a log line).
 * For the user name, `name` also asks for the portable user name
 * characters (letters, digits, . _ -, not first -; a final $ allowed).
 */
static int
dj_text(json_t *o, const char *key, size_t max, int name, char **out, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(o, key);
	const unsigned char *p;
	size_t len;

	if (v == NULL || json_is_null(v)) {
		if ((*out = strdup("")) == NULL)
			goto nomem;
		return 0;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "'%s' must be a string", key);
		return -1;
	}
	len = json_string_length(v);
	if (len >= max || strlen(json_string_value(v)) != len) {
		snprintf(err, errlen,
		    "'%s' must be a string of at most %zu bytes without NUL",
		    key, max - 1);
		return -1;
	}
	for (p = (const unsigned char *)json_string_value(v); *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen,
			    "'%s' contains a control character", key);
			return -1;
		}
		if (name &&
		    !(isalnum(*p) || *p == '.' || *p == '_' ||
		        (*p == '-' &&
		            p != (const unsigned char *)json_string_value(v)) ||
		        (*p == '$' && p[1] == '\0'))) {
			snprintf(err, errlen,
			    "'%s' is not a user name (letters, digits, . _ -)",
			    key);
			return -1;
		}
	}
	if ((*out = strdup(json_string_value(v))) == NULL)
		goto nomem;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
dj_command(json_t *entry, struct desired_job *s, char *err, size_t errlen)
{
	json_t *cmd = json_object_get(entry, "command"), *v;
	size_t i, n, len, total = 0;

	if (!json_is_array(cmd) || (n = json_array_size(cmd)) == 0) {
		snprintf(err, errlen,
		    "'command' must be a non-empty array of strings");
		return -1;
	}
	if (n > DESIRED_MAX_ARGS) {
		snprintf(err, errlen, "'command' has more than %d arguments",
		    DESIRED_MAX_ARGS);
		return -1;
	}
	if ((s->argv = calloc(n + 1, sizeof(*s->argv))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(cmd, i, v)
	{
		if (!json_is_string(v)) {
			snprintf(
			    err, errlen, "'command[%zu]' must be a string", i);
			return -1;
		}
		len = json_string_length(v);
		if (strlen(json_string_value(v)) != len) {
			snprintf(
			    err, errlen, "'command[%zu]' contains a NUL", i);
			return -1;
		}
		if (i == 0 && len == 0) {
			snprintf(err, errlen, "'command[0]' is empty");
			return -1;
		}
		total += len + 1;
		if (total > DESIRED_COMMAND_MAX) {
			snprintf(err, errlen,
			    "'command' is longer than %d bytes",
			    DESIRED_COMMAND_MAX);
			return -1;
		}
		if ((s->argv[i] = strdup(json_string_value(v))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		s->argc = (int)i + 1;
	}
	return 0;
}

static int
dj_accels(json_t *entry, struct desired_job *s, char *err, size_t errlen)
{
	json_t *arr = json_object_get(entry, "accelerators"), *v;
	uint64_t seen = 0;
	long long k;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > REPORT_MAX_ACCELS) {
		snprintf(err, errlen,
		    "'accelerators' must be an array of at most %d indices",
		    REPORT_MAX_ACCELS);
		return -1;
	}
	json_array_foreach(arr, i, v)
	{
		if (!json_is_integer(v) || (k = json_integer_value(v)) < 0 ||
		    k >= REPORT_MAX_ACCELS) {
			snprintf(err, errlen,
			    "'accelerators[%zu]' must be an integer in "
			    "0..%d",
			    i, REPORT_MAX_ACCELS - 1);
			return -1;
		}
		if (seen & (1ULL << k)) {
			snprintf(
			    err, errlen, "accelerator %lld is listed twice", k);
			return -1;
		}
		seen |= 1ULL << k;
		s->accel[s->naccel++] = (int)k;
	}
	return 0;
}

int
wire_desired_job_key(
    json_t *entry, int64_t *id, int *attempt, char *err, size_t errlen)
{
	long long v;

	if (!json_is_object(entry)) {
		snprintf(err, errlen, "a job entry must be an object");
		return -1;
	}
	if (dj_int(entry, "id", 1, INT64_MAX, 1, 0, &v, err, errlen) == -1)
		return -1;
	*id = v;
	if (dj_int(entry, "attempt", 1, 1000000, 1, 0, &v, err, errlen) == -1)
		return -1;
	*attempt = (int)v;
	return 0;
}

int
wire_desired_job_decode(json_t *entry, struct desired_job *out)
{
	char *err = out->error;
	size_t errlen = sizeof(out->error);
	int64_t id;
	int attempt;
	json_t *c;
	long long v;

	memset(out, 0, sizeof(*out));
	if (wire_desired_job_key(entry, &out->id, &out->attempt, err, errlen) ==
	    -1)
		return -1;
	out->key_ok = 1;
	if (dj_str(entry, "name", DESIRED_NAME_MAX, 0, &out->name, err,
	        errlen) == -1 ||
	    dj_command(entry, out, err, errlen) == -1)
		goto fail;
	if (dj_int(entry, "nnodes", 1, DESIRED_MAX_NODES, 1, 0, &v, err,
	        errlen) == -1)
		goto fail;
	out->nnodes = (int)v;
	if (dj_int(entry, "node_rank", 0, out->nnodes - 1, 1, 0, &v, err,
	        errlen) == -1)
		goto fail;
	out->node_rank = (int)v;
	if (dj_str(entry, "nodelist", DESIRED_NODELIST_MAX, 1, &out->nodelist,
	        err, errlen) == -1 ||
	    dj_accels(entry, out, err, errlen) == -1)
		goto fail;
	if (dj_int(entry, "time_limit_s", 0, DESIRED_TIME_LIMIT_MAX_S, 0, 0, &v,
	        err, errlen) == -1)
		goto fail;
	out->time_limit_s = v;
	if (dj_int(entry, "kill_grace_s", 0, DESIRED_KILL_GRACE_MAX_S, 0,
	        DESIRED_KILL_GRACE_DEF_S, &v, err, errlen) == -1)
		goto fail;
	out->kill_grace_s = v;
	c = json_object_get(entry, "cancel");
	if (c != NULL && !json_is_null(c) && !json_is_boolean(c)) {
		snprintf(err, errlen, "'cancel' must be true or false");
		goto fail;
	}
	out->cancel = json_is_true(c);
	if (dj_text(entry, "user", DESIRED_USER_MAX, 1, &out->user, err,
	        errlen) == -1 ||
	    dj_text(entry, "chdir", DESIRED_PATH_MAX, 0, &out->workdir, err,
	        errlen) == -1 ||
	    dj_text(entry, "output", DESIRED_PATH_MAX, 0, &out->output, err,
	        errlen) == -1 ||
	    dj_text(entry, "error", DESIRED_PATH_MAX, 0, &out->errout, err,
	        errlen) == -1)
		goto fail;
	/* An array task carries both ids; other jobs neither. */
	if (dj_int(entry, "array_job_id", 0, INT64_MAX, 0, 0, &v, err,
	        errlen) == -1)
		goto fail;
	out->array_job_id = v;
	if (dj_int(entry, "array_task_id", -1, DESIRED_ARRAY_TASK_MAX, 0, -1,
	        &v, err, errlen) == -1)
		goto fail;
	out->array_task_id = (int)v;
	if ((out->array_job_id > 0) != (out->array_task_id >= 0)) {
		snprintf(err, errlen,
		    "'array_job_id' and 'array_task_id' go together");
		goto fail;
	}
	return 0;
fail:
	/* Keep the key and the reason: the agent names the attempt in its
	 * refusal. */
	id = out->id;
	attempt = out->attempt;
	wire_desired_job_clear(out);
	out->id = id;
	out->attempt = attempt;
	out->key_ok = 1;
	if (out->error[0] == '\0')
		snprintf(out->error, sizeof(out->error), "invalid entry");
	return -1;
}

void
wire_desired_job_clear(struct desired_job *s)
{
	char error[sizeof(s->error)];
	int i;

	memcpy(error, s->error, sizeof(error));
	if (s->argv != NULL)
		for (i = 0; s->argv[i] != NULL; i++)
			free(s->argv[i]);
	free(s->argv);
	free(s->name);
	free(s->nodelist);
	free(s->user);
	free(s->workdir);
	free(s->output);
	free(s->errout);
	memset(s, 0, sizeof(*s));
	memcpy(s->error, error, sizeof(error));
}

json_t *
wire_desired_job_json(const struct desired_job *s)
{
	json_t *o, *cmd, *acc;
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(s->id));
	json_object_set_new(o, "attempt", json_integer(s->attempt));
	json_object_set_new(o, "name", json_string(s->name ? s->name : ""));
	if ((cmd = json_array()) == NULL ||
	    json_object_set_new(o, "command", cmd) == -1)
		goto fail;
	for (i = 0; i < s->argc; i++)
		if (json_array_append_new(cmd, json_string(s->argv[i])) == -1)
			goto fail;
	json_object_set_new(o, "nnodes", json_integer(s->nnodes));
	json_object_set_new(o, "node_rank", json_integer(s->node_rank));
	json_object_set_new(
	    o, "nodelist", json_string(s->nodelist ? s->nodelist : ""));
	if ((acc = json_array()) == NULL ||
	    json_object_set_new(o, "accelerators", acc) == -1)
		goto fail;
	for (i = 0; i < s->naccel; i++)
		if (json_array_append_new(acc, json_integer(s->accel[i])) == -1)
			goto fail;
	json_object_set_new(o, "time_limit_s", json_integer(s->time_limit_s));
	json_object_set_new(o, "kill_grace_s", json_integer(s->kill_grace_s));
	json_object_set_new(o, "cancel", json_boolean(s->cancel));
	json_object_set_new(o, "user", json_string(s->user ? s->user : ""));
	json_object_set_new(
	    o, "chdir", json_string(s->workdir ? s->workdir : ""));
	json_object_set_new(
	    o, "output", json_string(s->output ? s->output : ""));
	json_object_set_new(
	    o, "error", json_string(s->errout ? s->errout : ""));
	if (s->array_job_id > 0) {
		json_object_set_new(
		    o, "array_job_id", json_integer(s->array_job_id));
		json_object_set_new(
		    o, "array_task_id", json_integer(s->array_task_id));
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A cap member: a positive number, or null/absent (NaN). 0 or -1. */
static int
dp_cap(json_t *obj, const char *key, double *out, char *err, size_t errlen)
{
	char e[128];
	int rc;

	*out = NAN;
	if ((rc = jsonx_number(obj, key, out, e, sizeof(e))) == -1 ||
	    (rc == 1 && !(*out > 0 && *out < 1e7))) {
		snprintf(
		    err, errlen, "'%s' must be a positive number or null", key);
		return -1;
	}
	if (rc == 0)
		*out = NAN;
	return 0;
}

int
wire_desired_power_decode(
    json_t *obj, struct desired_power *out, char *err, size_t errlen)
{
	const char *name = "performance", *key;
	json_t *pr, *v;
	char e[128];
	int rc;

	memset(out, 0, sizeof(*out));
	out->cap_w = out->fallback_cap_w = out->fallback_after_s = NAN;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "'power' must be an object");
		return -1;
	}
	if (jsonx_string(obj, "policy", &name, e, sizeof(e)) == -1 ||
	    strlen(name) >= sizeof(out->policy)) {
		snprintf(err, errlen,
		    "'policy' must be a string of at most %zu characters",
		    sizeof(out->policy) - 1);
		return -1;
	}
	snprintf(out->policy, sizeof(out->policy), "%s", name);
	pr = json_object_get(obj, "params");
	if (pr != NULL && !json_is_null(pr) && !json_is_object(pr)) {
		snprintf(err, errlen, "'params' must be an object");
		return -1;
	}
	json_object_foreach(pr, key, v)
	{
		if (!json_is_number(v)) {
			snprintf(
			    err, errlen, "'params.%s' must be a number", key);
			return -1;
		}
		if (out->nparams == DESIRED_POLICY_PARAMS ||
		    strlen(key) >= sizeof(out->params[0].name)) {
			snprintf(err, errlen,
			    "'params' holds at most %d members of at most "
			    "%zu characters",
			    DESIRED_POLICY_PARAMS,
			    sizeof(out->params[0].name) - 1);
			return -1;
		}
		snprintf(out->params[out->nparams].name,
		    sizeof(out->params[0].name), "%s", key);
		out->params[out->nparams++].value = json_number_value(v);
	}
	if (dp_cap(obj, "cap_w", &out->cap_w, err, errlen) == -1 ||
	    dp_cap(obj, "fallback_cap_w", &out->fallback_cap_w, err, errlen) ==
	        -1)
		return -1;
	if ((rc = jsonx_number(obj, "fallback_after_s", &out->fallback_after_s,
	         e, sizeof(e))) == -1 ||
	    (rc == 1 && !(out->fallback_after_s >= 0 &&
	                    out->fallback_after_s <= DESIRED_FALLBACK_MAX_S))) {
		snprintf(err, errlen,
		    "'fallback_after_s' must be a number of seconds in [0, %g] "
		    "or null",
		    DESIRED_FALLBACK_MAX_S);
		return -1;
	}
	if (rc == 0)
		out->fallback_after_s = NAN;
	return 0;
}

/* A number as JSON: an integer when it is a whole one, so that 30 s is
 * written 30 as the controller always did; null when NaN. */
static json_t *
whole_or_real(double v)
{
	if (isnan(v) || isinf(v))
		return json_null();
	if (v == floor(v) && fabs(v) < 9e15)
		return json_integer((json_int_t)v);
	return json_real(v);
}

json_t *
wire_desired_power_json(const struct desired_power *p)
{
	json_t *o, *params;
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "policy", json_string(p->policy));
	if ((params = json_object()) == NULL ||
	    json_object_set_new(o, "params", params) == -1)
		goto fail;
	for (i = 0; i < p->nparams; i++)
		json_object_set_new(
		    params, p->params[i].name, json_real(p->params[i].value));
	json_object_set_new(o, "cap_w", jsonx_real_or_null(p->cap_w));
	json_object_set_new(
	    o, "fallback_cap_w", jsonx_real_or_null(p->fallback_cap_w));
	json_object_set_new(
	    o, "fallback_after_s", whole_or_real(p->fallback_after_s));
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* FNV-1a over n bytes, from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

/* A double into the hash: every NaN alike (they all print null), and 0
 * and -0 alike (they print the same number). */
static uint64_t
fnv_double(uint64_t h, double v)
{
	static const char null_mark[] = "null";

	if (isnan(v))
		return fnv(h, null_mark, sizeof(null_mark));
	if (v == 0)
		v = 0;
	return fnv(h, &v, sizeof(v));
}

uint64_t
wire_desired_power_hash(const struct desired_power *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	h = fnv(h, p->policy, strnlen(p->policy, sizeof(p->policy)) + 1);
	for (i = 0; i < p->nparams; i++) {
		h = fnv(h, p->params[i].name,
		    strnlen(p->params[i].name, sizeof(p->params[i].name)) + 1);
		h = fnv_double(h, p->params[i].value);
	}
	h = fnv_double(h, p->cap_w);
	h = fnv_double(h, p->fallback_cap_w);
	return fnv_double(h, p->fallback_after_s);
}

int
wire_desired_decode(json_t *root, struct desired *d, char *err, size_t errlen)
{
	json_t *jobs, *e, *pw;
	long long v;
	char ebuf[128];
	size_t i;

	memset(d, 0, sizeof(*d));
	d->njobs = -1;
	if (!json_is_object(root) ||
	    jsonx_integer(root, "version", &v, ebuf, sizeof(ebuf)) != 1 ||
	    v < 0) {
		snprintf(err, errlen,
		    "desired needs a non-negative integer version");
		return -1;
	}
	d->version = v;
	switch (
	    jsonx_integer(root, "fence_timeout_s", &v, ebuf, sizeof(ebuf))) {
	case -1:
		snprintf(err, errlen,
		    "desired.fence_timeout_s must be an integer in 1..%d",
		    DESIRED_FENCE_MAX_S);
		return -1;
	case 1:
		if (v < 1 || v > DESIRED_FENCE_MAX_S) {
			snprintf(err, errlen,
			    "desired.fence_timeout_s must be an integer in "
			    "1..%d",
			    DESIRED_FENCE_MAX_S);
			return -1;
		}
		d->fence_timeout_s = (int)v;
	}
	jobs = json_object_get(root, "jobs");
	if (jobs != NULL && !json_is_array(jobs))
		snprintf(d->jobs_error, sizeof(d->jobs_error),
		    "'jobs' is not an array");
	else if (json_array_size(jobs) > DESIRED_MAX_JOBS)
		snprintf(d->jobs_error, sizeof(d->jobs_error),
		    "'jobs' has more than %d entries", DESIRED_MAX_JOBS);
	else if (jobs != NULL) {
		if (json_array_size(jobs) > 0 &&
		    (d->jobs = calloc(
		         json_array_size(jobs), sizeof(*d->jobs))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		d->njobs = 0;
		json_array_foreach(jobs, i, e)
		{
			(void)wire_desired_job_decode(e, &d->jobs[i]);
			d->njobs++;
		}
	}
	pw = json_object_get(root, "power");
	if (pw != NULL && !json_is_null(pw)) {
		d->has_power = 1;
		if (wire_desired_power_decode(pw, &d->power, d->power_error,
		        sizeof(d->power_error)) == -1 &&
		    d->power_error[0] == '\0')
			snprintf(
			    d->power_error, sizeof(d->power_error), "invalid");
	}
	return 0;
}

void
wire_desired_free(struct desired *d)
{
	int i;

	for (i = 0; i < d->njobs; i++)
		wire_desired_job_clear(&d->jobs[i]);
	free(d->jobs);
	d->jobs = NULL;
	d->njobs = -1;
}

json_t *
wire_desired_encode(const struct desired *d)
{
	json_t *root, *arr, *v;
	int i;

	if ((root = json_object()) == NULL)
		return NULL;
	json_object_set_new(root, "version", json_integer(d->version));
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(root, "jobs", arr) == -1)
		goto fail;
	for (i = 0; i < d->njobs; i++)
		if ((v = wire_desired_job_json(&d->jobs[i])) == NULL ||
		    json_array_append_new(arr, v) == -1)
			goto fail;
	if (d->has_power && ((v = wire_desired_power_json(&d->power)) == NULL ||
	                        json_object_set_new(root, "power", v) == -1))
		goto fail;
	if (d->fence_timeout_s > 0)
		json_object_set_new(
		    root, "fence_timeout_s", json_integer(d->fence_timeout_s));
	return root;
fail:
	json_decref(root);
	return NULL;
}

int
wire_reply_decode(json_t *root, struct reply *r, char *err, size_t errlen)
{
	json_t *kill, *k, *desired;
	long long v;
	char e[128];
	size_t i;

	memset(r, 0, sizeof(*r));
	r->desired.njobs = -1;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "reply is not a JSON object");
		return -1;
	}
	if (jsonx_integer(root, "ack_seq", &v, e, sizeof(e)) != 1 || v < 0) {
		snprintf(err, errlen, "reply lacks a non-negative ack_seq");
		return -1;
	}
	r->ack_seq = v;
	kill = json_object_get(root, "kill");
	if (kill != NULL &&
	    (!json_is_array(kill) || json_array_size(kill) > REPLY_MAX_KILLS)) {
		snprintf(err, errlen,
		    "reply's kill must be an array of at "
		    "most %d attempts",
		    REPLY_MAX_KILLS);
		return -1;
	}
	json_array_foreach(kill, i, k)
	{
		char why[128];

		if (wire_desired_job_key(k, &r->kill[i].id, &r->kill[i].attempt,
		        why, sizeof(why)) == -1) {
			snprintf(err, errlen, "reply's kill[%zu]: %s", i, why);
			return -1;
		}
		r->nkill++;
	}
	switch (jsonx_integer(root, "report_interval_ms", &v, e, sizeof(e))) {
	case 1:
		if (v >= 0 && v <= WIRE_MAX_REPORT_INTERVAL_MS)
			break;
		/* FALLTHROUGH */
	case -1:
		snprintf(err, errlen,
		    "reply's report_interval_ms must be 0 to %d ms",
		    WIRE_MAX_REPORT_INTERVAL_MS);
		return -1;
	default: /* absent: none asked */
		v = 0;
		break;
	}
	r->report_interval_ms = v;
	r->want_inventory = -1; /* absent: unsaid */
	if (jsonx_bool(root, "want_inventory", &r->want_inventory, e,
	        sizeof(e)) == -1) {
		snprintf(err, errlen,
		    "reply's want_inventory must be true or false");
		return -1;
	}
	desired = json_object_get(root, "desired");
	if (desired == NULL || json_is_null(desired))
		return 0;
	if (wire_desired_decode(desired, &r->desired, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "reply's %s", e);
		return -1;
	}
	r->has_desired = 1;
	return 0;
}

void
wire_reply_free(struct reply *r)
{
	wire_desired_free(&r->desired);
	r->has_desired = 0;
}

json_t *
wire_reply_encode(const struct reply *r)
{
	json_t *root, *arr, *k, *d;
	int i;

	if ((root = json_object()) == NULL)
		return NULL;
	json_object_set_new(root, "ack_seq", json_integer(r->ack_seq));
	if (r->nkill > 0) {
		if ((arr = json_array()) == NULL ||
		    json_object_set_new(root, "kill", arr) == -1)
			goto fail;
		for (i = 0; i < r->nkill; i++)
			if ((k = json_pack("{s:I,s:i}", "id",
			         (json_int_t)r->kill[i].id, "attempt",
			         r->kill[i].attempt)) == NULL ||
			    json_array_append_new(arr, k) == -1)
				goto fail;
	}
	if (r->report_interval_ms > 0)
		json_object_set_new(root, "report_interval_ms",
		    json_integer((json_int_t)r->report_interval_ms));
	if (r->want_inventory >= 0)
		json_object_set_new(
		    root, "want_inventory", json_boolean(r->want_inventory));
	d = r->has_desired ? wire_desired_encode(&r->desired) : json_null();
	if (d == NULL || json_object_set_new(root, "desired", d) == -1)
		goto fail;
	return root;
fail:
	json_decref(root);
	return NULL;
}
