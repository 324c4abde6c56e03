/*
 * The wire records' codec, the agent's side (see wire.h): the report, both
 * ways (the desired state and the reply are in wire_desired.c). Decoding checks
 * every member for type and range; a missing optional number becomes NaN.
 * Samples are sorted by sequence number so the fleet can take the last one as
 * "now" whatever order they came in. Encoding rounds numbers to what the
 * sensors can tell (a tenth of a watt or degree, a whole MHz or MiB) before
 * Jansson prints them, and writes a value that was not read as null rather than
 * leaving it out, so a reader sees what the agent did not know.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "wire.h"

/* An optional number within [min, max]; NaN when absent or null. */
static int
get_num(json_t *obj, const char *key, double min, double max, double *out,
    const char *path, char *err, size_t errlen)
{
	char e[128];
	int r;

	*out = NAN;
	r = jsonx_number(obj, key, out, e, sizeof(e));
	if (r == -1 || (r == 1 && (*out < min || *out > max))) {
		snprintf(err, errlen, "%s.%s must be a number in %g..%g", path,
		    key, min, max);
		return -1;
	}
	return 0;
}

static int
get_str(json_t *obj, const char *key, char *out, size_t size, int required,
    const char *path, char *err, size_t errlen)
{
	const char *s = NULL;
	char e[128];
	int r;

	r = jsonx_string(obj, key, &s, e, sizeof(e));
	if (r == -1 || (r == 0 && required) || (r == 1 && strlen(s) >= size)) {
		snprintf(err, errlen,
		    "%s%s%s must be a string of at most %zu "
		    "characters",
		    path, *path ? "." : "", key, size - 1);
		return -1;
	}
	snprintf(out, size, "%s", r == 1 ? s : "");
	return 0;
}

/* An optional free text, truncated to size - 1 bytes. */
static int
get_text(json_t *obj, const char *key, char *out, size_t size, const char *path,
    char *err, size_t errlen)
{
	const char *s = "";
	char e[128];

	if (jsonx_string(obj, key, &s, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "%s.%s must be a string", path, key);
		return -1;
	}
	snprintf(out, size, "%s", s);
	return 0;
}

/* An informative string, truncated; left "" when absent or not a string,
 * as the controller only shows it. */
static void
get_opt(json_t *obj, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
}

static int
parse_inventory(json_t *inv, struct report *r, char *err, size_t errlen)
{
	json_t *accels, *a;
	size_t i;
	char path[64];

	if (!json_is_object(inv)) {
		snprintf(err, errlen, "inventory must be an object");
		return -1;
	}
	accels = json_object_get(inv, "accelerators");
	if (!json_is_array(accels) ||
	    json_array_size(accels) > REPORT_MAX_ACCELS) {
		snprintf(err, errlen,
		    "inventory.accelerators must be an array "
		    "of at most %d",
		    REPORT_MAX_ACCELS);
		return -1;
	}
	json_array_foreach(accels, i, a)
	{
		struct report_device *d = &r->inventory[i];
		long long idx;
		char e[128];

		snprintf(path, sizeof(path), "inventory.accelerators[%zu]", i);
		if (!json_is_object(a) ||
		    jsonx_integer(a, "index", &idx, e, sizeof(e)) != 1 ||
		    idx != (long long)i) {
			snprintf(err, errlen, "%s.index must be %zu", path, i);
			return -1;
		}
		d->index = (int)idx;
		if (get_str(a, "model", d->model, sizeof(d->model), 0, path,
		        err, errlen) ||
		    get_num(a, "clock_min_mhz", 0, 1e5, &d->clock_min_mhz, path,
		        err, errlen) ||
		    get_num(a, "clock_max_mhz", 0, 1e5, &d->clock_max_mhz, path,
		        err, errlen) ||
		    get_num(a, "power_max_w", 0, 1e5, &d->power_max_w, path,
		        err, errlen) ||
		    get_num(a, "tdp_w", 0, 1e5, &d->tdp_w, path, err, errlen) ||
		    get_num(a, "temp_crit_c", -50, 250, &d->temp_crit_c, path,
		        err, errlen) ||
		    get_num(a, "mem_total_mib", 0, 1e8, &d->mem_total_mib, path,
		        err, errlen))
			return -1;
	}
	r->ninventory = (int)json_array_size(accels);
	get_opt(inv, "power_plugin", r->power_plugin, sizeof(r->power_plugin));
	get_opt(inv, "cooling_plugin", r->cooling_plugin,
	    sizeof(r->cooling_plugin));
	return 0;
}

static int
parse_sample(json_t *js, struct report_sample *s, const char *path, char *err,
    size_t errlen)
{
	json_t *accels, *a, *loop;
	long long v;
	size_t i;
	char p[96], e[128];
	int leak;

	if (!json_is_object(js)) {
		snprintf(err, errlen, "%s must be an object", path);
		return -1;
	}
	if (jsonx_integer(js, "seq", &v, e, sizeof(e)) != 1 || v < 1) {
		snprintf(
		    err, errlen, "%s.seq must be a positive integer", path);
		return -1;
	}
	s->seq = v;
	if (jsonx_integer(js, "t_ms", &v, e, sizeof(e)) != 1 || v < 0) {
		snprintf(err, errlen, "%s.t_ms must be a non-negative integer",
		    path);
		return -1;
	}
	s->t_ms = v;
	if (get_num(js, "power_w", 0, 1e6, &s->power_w, path, err, errlen))
		return -1;
	accels = json_object_get(js, "accels");
	if (accels != NULL && !json_is_null(accels) &&
	    (!json_is_array(accels) ||
	        json_array_size(accels) > REPORT_MAX_ACCELS)) {
		snprintf(err, errlen,
		    "%s.accels must be an array of at most %d", path,
		    REPORT_MAX_ACCELS);
		return -1;
	}
	s->naccels = 0;
	json_array_foreach(accels, i, a)
	{
		struct report_accel *ra = &s->accels[i];

		snprintf(p, sizeof(p), "%s.accels[%zu]", path, i);
		if (json_is_null(a)) {
			ra->power_w = ra->energy_j = ra->temp_c = NAN;
			ra->clock_mhz = ra->util_pct = ra->mem_used_mib = NAN;
			continue;
		}
		if (!json_is_object(a)) {
			snprintf(
			    err, errlen, "%s must be an object or null", p);
			return -1;
		}
		if (get_num(
		        a, "power_w", 0, 1e5, &ra->power_w, p, err, errlen) ||
		    get_num(a, "energy_j", 0, 1e18, &ra->energy_j, p, err,
		        errlen) ||
		    get_num(
		        a, "temp_c", -50, 250, &ra->temp_c, p, err, errlen) ||
		    get_num(a, "clock_mhz", 0, 1e5, &ra->clock_mhz, p, err,
		        errlen) ||
		    get_num(
		        a, "util_pct", 0, 100, &ra->util_pct, p, err, errlen) ||
		    get_num(a, "mem_used_mib", 0, 1e8, &ra->mem_used_mib, p,
		        err, errlen))
			return -1;
	}
	s->naccels = (int)json_array_size(accels);
	loop = json_object_get(js, "loop");
	s->has_loop = 0;
	s->supply_c = s->return_c = s->flow_lpm = s->pressure_kpa = NAN;
	s->capacity_w = s->pump_pct = NAN;
	s->leak = -1;
	if (loop == NULL || json_is_null(loop))
		return 0;
	snprintf(p, sizeof(p), "%s.loop", path);
	if (!json_is_object(loop)) {
		snprintf(err, errlen, "%s must be an object or null", p);
		return -1;
	}
	if (get_num(loop, "supply_c", -50, 250, &s->supply_c, p, err, errlen) ||
	    get_num(loop, "return_c", -50, 250, &s->return_c, p, err, errlen) ||
	    get_num(loop, "flow_lpm", 0, 1e5, &s->flow_lpm, p, err, errlen) ||
	    get_num(loop, "pressure_kpa", -1e4, 1e5, &s->pressure_kpa, p, err,
	        errlen) ||
	    get_num(
	        loop, "capacity_w", 0, 1e8, &s->capacity_w, p, err, errlen) ||
	    get_num(loop, "pump_pct", 0, 100, &s->pump_pct, p, err, errlen))
		return -1;
	switch (jsonx_bool(loop, "leak", &leak, e, sizeof(e))) {
	case -1:
		snprintf(err, errlen, "%s.leak must be true or false", p);
		return -1;
	case 1:
		s->leak = leak;
		break;
	}
	s->has_loop = 1;
	return 0;
}

static int
parse_job(json_t *jj, struct report_job *j, const char *path, char *err,
    size_t errlen)
{
	static const char *const causes[] = {
	    "exit", "cancelled", "timeout", "launch_error", "fenced", NULL};
	const char *state = NULL;
	char e[128];
	long long v;
	int i;

	if (!json_is_object(jj)) {
		snprintf(err, errlen, "%s must be an object", path);
		return -1;
	}
	if (jsonx_integer(jj, "id", &v, e, sizeof(e)) != 1 || v < 1) {
		snprintf(err, errlen, "%s.id must be a positive integer", path);
		return -1;
	}
	j->id = v;
	if (jsonx_integer(jj, "attempt", &v, e, sizeof(e)) != 1 || v < 1 ||
	    v > 1000000) {
		snprintf(
		    err, errlen, "%s.attempt must be a positive integer", path);
		return -1;
	}
	j->attempt = (int)v;
	if (jsonx_string(jj, "state", &state, e, sizeof(e)) != 1 ||
	    (strcmp(state, "running") != 0 && strcmp(state, "ended") != 0)) {
		snprintf(
		    err, errlen, "%s.state must be running or ended", path);
		return -1;
	}
	j->state = strcmp(state, "running") == 0 ? RJOB_RUNNING : RJOB_ENDED;
	if (get_str(jj, "cause", j->cause, sizeof(j->cause), 0, path, err,
	        errlen) ||
	    get_text(jj, "log", j->log, sizeof(j->log), path, err, errlen) ||
	    get_text(jj, "message", j->message, sizeof(j->message), path, err,
	        errlen))
		return -1;
	if (j->state == RJOB_ENDED) {
		for (i = 0; causes[i] != NULL; i++)
			if (strcmp(j->cause, causes[i]) == 0)
				break;
		if (causes[i] == NULL) {
			snprintf(err, errlen,
			    "%s.cause must be exit, cancelled, "
			    "timeout, launch_error or fenced",
			    path);
			return -1;
		}
	}
	switch (jsonx_integer(jj, "exit_code", &v, e, sizeof(e))) {
	case -1:
		snprintf(err, errlen, "%s.exit_code must be an integer", path);
		return -1;
	case 1:
		if (v < -1000 || v > 1000) {
			snprintf(
			    err, errlen, "%s.exit_code out of range", path);
			return -1;
		}
		j->has_exit = 1;
		j->exit_code = (int)v;
	}
	if (jsonx_integer(jj, "signal", &v, e, sizeof(e)) == 1 && v > 0 &&
	    v < 128)
		j->signal = (int)v;
	if (jsonx_integer(jj, "started_ms", &v, e, sizeof(e)) == 1 && v > 0)
		j->started_ms = v;
	if (jsonx_integer(jj, "ended_ms", &v, e, sizeof(e)) == 1 && v > 0)
		j->ended_ms = v;
	if (jsonx_integer(jj, "pid", &v, e, sizeof(e)) == 1 && v > 0 &&
	    v <= INT32_MAX)
		j->pid = (int)v;
	return 0;
}

/* The optional power member: what the agent applied and its guard. Only
 * its type is checked: the rest is informative, taken when well formed. */
static int
parse_power(json_t *pw, struct report *r, char *err, size_t errlen)
{
	struct report_power *p = &r->power;
	json_t *guard, *caps, *v;
	char e[128];
	size_t k;
	int b;

	if (!json_is_object(pw)) {
		snprintf(err, errlen, "power must be an object");
		return -1;
	}
	r->has_power = 1;
	get_opt(pw, "policy", p->policy, sizeof(p->policy));
	p->cap_w = NAN;
	if (jsonx_number(pw, "cap_w", &p->cap_w, e, sizeof(e)) != 1)
		p->cap_w = NAN;
	if (jsonx_bool(pw, "limiting", &b, e, sizeof(e)) == 1)
		p->limiting = b;
	if (jsonx_bool(pw, "fallback", &b, e, sizeof(e)) == 1)
		p->fallback = b;
	caps = json_object_get(pw, "clock_caps_mhz");
	json_array_foreach(caps, k, v)
	{
		if (k == REPORT_MAX_ACCELS)
			break;
		p->clock_caps_mhz[k] = json_is_integer(v) &&
		                               json_integer_value(v) >= 0 &&
		                               json_integer_value(v) <= 1000000
		                           ? (int)json_integer_value(v)
		                           : -1;
		p->ncaps = (int)k + 1;
	}
	guard = json_object_get(pw, "guard");
	if (json_is_object(guard)) {
		if (jsonx_bool(guard, "leak", &b, e, sizeof(e)) == 1)
			p->guard_leak = b;
		if (jsonx_bool(guard, "lowflow", &b, e, sizeof(e)) == 1)
			p->guard_lowflow = b;
		json_array_foreach(json_object_get(guard, "overtemp"), k, v)
		{
			if (json_is_integer(v) && json_integer_value(v) >= 0 &&
			    json_integer_value(v) < 64)
				p->guard_overtemp |= (uint64_t)1
				                     << json_integer_value(v);
		}
	}
	return 0;
}

static int
by_seq(const void *a, const void *b)
{
	const struct report_sample *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

int
wire_report_decode(json_t *root, struct report *r, char *err, size_t errlen)
{
	json_t *samples, *js, *inv, *jobs, *pw;
	long long v;
	size_t i;
	char path[32], e[128];

	memset(r, 0, sizeof(*r));
	r->ninventory = -1;
	r->njobs = -1;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "a report must be a JSON object");
		return -1;
	}
	if (get_str(root, "boot_id", r->boot_id, sizeof(r->boot_id), 1, "", err,
	        errlen) ||
	    get_str(root, "agent_version", r->agent_version,
	        sizeof(r->agent_version), 0, "", err, errlen))
		goto fail;
	if (r->boot_id[0] == '\0' ||
	    strspn(r->boot_id, "0123456789abcdefABCDEF") !=
	        strlen(r->boot_id)) {
		snprintf(err, errlen, "boot_id must be 1 to 16 hex digits");
		goto fail;
	}
	if (jsonx_integer(root, "interval_ms", &v, e, sizeof(e)) == 1)
		r->interval_ms = v;
	if (jsonx_integer(root, "desired_version", &v, e, sizeof(e)) == 1)
		r->desired_version = v;
	if (jsonx_integer(root, "dropped_samples", &v, e, sizeof(e)) == 1)
		r->dropped_samples = v;
	inv = json_object_get(root, "inventory");
	if (inv != NULL && !json_is_null(inv) &&
	    parse_inventory(inv, r, err, errlen) == -1)
		goto fail;
	samples = json_object_get(root, "samples");
	if (!json_is_array(samples) ||
	    json_array_size(samples) > REPORT_MAX_SAMPLES) {
		snprintf(err, errlen, "samples must be an array of at most %d",
		    REPORT_MAX_SAMPLES);
		goto fail;
	}
	if (json_array_size(samples) > 0 &&
	    (r->samples = calloc(
	         json_array_size(samples), sizeof(*r->samples))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	json_array_foreach(samples, i, js)
	{
		snprintf(path, sizeof(path), "samples[%zu]", i);
		if (parse_sample(js, &r->samples[i], path, err, errlen) == -1)
			goto fail;
		r->nsamples++;
	}
	if (r->nsamples > 1) /* samples is NULL when there are none */
		qsort(r->samples, r->nsamples, sizeof(*r->samples), by_seq);
	pw = json_object_get(root, "power");
	if (pw != NULL && !json_is_null(pw) &&
	    parse_power(pw, r, err, errlen) == -1)
		goto fail;
	jobs = json_object_get(root, "jobs");
	if (jobs == NULL || json_is_null(jobs))
		return 0;
	if (!json_is_array(jobs) || json_array_size(jobs) > REPORT_MAX_JOBS) {
		snprintf(err, errlen, "jobs must be an array of at most %d",
		    REPORT_MAX_JOBS);
		goto fail;
	}
	if (json_array_size(jobs) > 0 &&
	    (r->jobs = calloc(json_array_size(jobs), sizeof(*r->jobs))) ==
	        NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->njobs = 0;
	json_array_foreach(jobs, i, js)
	{
		snprintf(path, sizeof(path), "jobs[%zu]", i);
		if (parse_job(js, &r->jobs[i], path, err, errlen) == -1)
			goto fail;
		r->njobs++;
	}
	return 0;
fail:
	wire_report_free(r);
	return -1;
}

void
wire_report_free(struct report *r)
{
	free(r->samples);
	free(r->jobs);
	r->samples = NULL;
	r->jobs = NULL;
	r->nsamples = 0;
	r->njobs = -1;
}

/* Sets obj[key] to a boolean, or null when v is -1 (unknown). */
static void
set_bool(json_t *obj, const char *key, int v)
{
	json_object_set_new(obj, key, v < 0 ? json_null() : json_boolean(v));
}

/* Sets obj[key] to an integer, or null when !known. */
static void
set_int(json_t *obj, const char *key, int known, long long v)
{
	json_object_set_new(obj, key, known ? json_integer(v) : json_null());
}

/* Sets obj[key] to a string, or null when s is "". */
static void
set_str(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, s[0] ? json_string(s) : json_null());
}

static json_t *
device_json(const struct report_device *d)
{
	json_t *o;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "index", json_integer(d->index));
	json_object_set_new(o, "model", json_string(d->model));
	jsonx_set_real(o, "clock_min_mhz", d->clock_min_mhz, 0);
	jsonx_set_real(o, "clock_max_mhz", d->clock_max_mhz, 0);
	jsonx_set_real(o, "power_max_w", d->power_max_w, 1);
	jsonx_set_real(o, "tdp_w", d->tdp_w, 1);
	jsonx_set_real(o, "temp_crit_c", d->temp_crit_c, 1);
	jsonx_set_real(o, "mem_total_mib", d->mem_total_mib, 0);
	return o;
}

json_t *
wire_inventory_json(const char *power_plugin, const char *cooling_plugin,
    const struct report_device *d, int n)
{
	json_t *inv, *arr, *v;
	int i;

	if ((inv = json_object()) == NULL)
		return NULL;
	set_str(inv, "power_plugin", power_plugin);
	set_str(inv, "cooling_plugin", cooling_plugin);
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(inv, "accelerators", arr) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if ((v = device_json(&d[i])) == NULL ||
		    json_array_append_new(arr, v) == -1)
			goto fail;
	return inv;
fail:
	json_decref(inv);
	return NULL;
}

/* An accelerator of a sample; null when nothing of it was read. */
static json_t *
accel_json(const struct report_accel *a)
{
	json_t *o;

	if (isnan(a->power_w) && isnan(a->energy_j) && isnan(a->temp_c) &&
	    isnan(a->clock_mhz) && isnan(a->util_pct) && isnan(a->mem_used_mib))
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	jsonx_set_real(o, "power_w", a->power_w, 1);
	jsonx_set_real(o, "energy_j", a->energy_j, 1);
	jsonx_set_real(o, "temp_c", a->temp_c, 1);
	jsonx_set_real(o, "clock_mhz", a->clock_mhz, 0);
	jsonx_set_real(o, "util_pct", a->util_pct, 1);
	jsonx_set_real(o, "mem_used_mib", a->mem_used_mib, 0);
	return o;
}

/* The coolant loop of a sample; pump and capacity only when known. */
static json_t *
loop_json(const struct report_sample *s)
{
	json_t *o;

	if (!s->has_loop)
		return json_null();
	if ((o = json_object()) == NULL)
		return NULL;
	jsonx_set_real(o, "supply_c", s->supply_c, 2);
	jsonx_set_real(o, "return_c", s->return_c, 2);
	jsonx_set_real(o, "flow_lpm", s->flow_lpm, 2);
	jsonx_set_real(o, "pressure_kpa", s->pressure_kpa, 1);
	if (!isnan(s->pump_pct))
		jsonx_set_real(o, "pump_pct", s->pump_pct, 1);
	if (!isnan(s->capacity_w))
		jsonx_set_real(o, "capacity_w", s->capacity_w, 0);
	set_bool(o, "leak", s->leak);
	return o;
}

json_t *
wire_sample_json(const struct report_sample *s)
{
	json_t *o, *arr, *a;
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "seq", json_integer(s->seq));
	json_object_set_new(o, "t_ms", json_integer(s->t_ms));
	jsonx_set_real(o, "power_w", s->power_w, 1);
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(o, "accels", arr) == -1)
		goto fail;
	for (i = 0; i < s->naccels; i++)
		if ((a = accel_json(&s->accels[i])) == NULL ||
		    json_array_append_new(arr, a) == -1)
			goto fail;
	if ((a = loop_json(s)) == NULL ||
	    json_object_set_new(o, "loop", a) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
wire_job_json(const struct report_job *j)
{
	json_t *o;
	int ended = j->state == RJOB_ENDED;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(j->id));
	json_object_set_new(o, "attempt", json_integer(j->attempt));
	json_object_set_new(
	    o, "state", json_string(ended ? "ended" : "running"));
	if (ended) {
		json_object_set_new(o, "cause", json_string(j->cause));
		set_int(o, "exit_code", j->has_exit, j->exit_code);
		set_int(o, "signal", j->signal > 0, j->signal);
	}
	set_int(o, "pid", j->pid > 0, j->pid);
	set_int(o, "started_ms", j->started_ms > 0, j->started_ms);
	if (ended) {
		set_int(o, "ended_ms", j->ended_ms > 0, j->ended_ms);
		set_str(o, "message", j->message);
	}
	set_str(o, "log", j->log);
	return o;
}

json_t *
wire_power_json(const struct report_power *p)
{
	json_t *o, *caps, *guard, *hot;
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	json_object_set_new(o, "policy", json_string(p->policy));
	jsonx_set_real(o, "cap_w", p->cap_w, 1);
	json_object_set_new(o, "limiting", json_boolean(p->limiting));
	json_object_set_new(o, "fallback", json_boolean(p->fallback));
	if ((caps = json_array()) == NULL ||
	    json_object_set_new(o, "clock_caps_mhz", caps) == -1)
		goto fail;
	for (i = 0; i < p->ncaps && i < REPORT_MAX_ACCELS; i++)
		if (json_array_append_new(
		        caps, p->clock_caps_mhz[i] >= 0
		                  ? json_integer(p->clock_caps_mhz[i])
		                  : json_null()) == -1)
			goto fail;
	if ((guard = json_object()) == NULL ||
	    json_object_set_new(o, "guard", guard) == -1)
		goto fail;
	json_object_set_new(guard, "leak", json_boolean(p->guard_leak));
	if ((hot = json_array()) == NULL ||
	    json_object_set_new(guard, "overtemp", hot) == -1)
		goto fail;
	for (i = 0; i < 64; i++)
		if ((p->guard_overtemp >> i & 1) &&
		    json_array_append_new(hot, json_integer(i)) == -1)
			goto fail;
	json_object_set_new(guard, "lowflow", json_boolean(p->guard_lowflow));
	return o;
fail:
	json_decref(o);
	return NULL;
}

json_t *
wire_report_encode(const struct report *r)
{
	json_t *root, *arr, *v;
	int i;

	if ((root = json_object()) == NULL)
		return NULL;
	json_object_set_new(root, "boot_id", json_string(r->boot_id));
	json_object_set_new(
	    root, "agent_version", json_string(r->agent_version));
	json_object_set_new(root, "interval_ms", json_integer(r->interval_ms));
	json_object_set_new(
	    root, "desired_version", json_integer(r->desired_version));
	json_object_set_new(
	    root, "dropped_samples", json_integer(r->dropped_samples));
	v = r->ninventory < 0
	        ? json_null()
	        : wire_inventory_json(r->power_plugin, r->cooling_plugin,
	              r->inventory, r->ninventory);
	if (v == NULL || json_object_set_new(root, "inventory", v) == -1)
		goto fail;
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(root, "jobs", arr) == -1)
		goto fail;
	for (i = 0; i < r->njobs; i++)
		if ((v = wire_job_json(&r->jobs[i])) == NULL ||
		    json_array_append_new(arr, v) == -1)
			goto fail;
	if (r->has_power && ((v = wire_power_json(&r->power)) == NULL ||
	                        json_object_set_new(root, "power", v) == -1))
		goto fail;
	if ((arr = json_array()) == NULL ||
	    json_object_set_new(root, "samples", arr) == -1)
		goto fail;
	for (i = 0; i < r->nsamples; i++)
		if ((v = wire_sample_json(&r->samples[i])) == NULL ||
		    json_array_append_new(arr, v) == -1)
			goto fail;
	return root;
fail:
	json_decref(root);
	return NULL;
}
