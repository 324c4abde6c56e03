/*
 * wire_test: the wire records' codec (common/wire.c) both ways. Records
 * encoded and decoded again come back equal, and encode to the same text
 * the second time; every kind of bad member is refused with the exact
 * message, naming the member.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "wire.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct report_sample samples_busy[] = {
    {.seq = 7,
        .t_ms = 1700000000123,
        .power_w = 5234.5,
        .naccels = 2,
        .accels = {{612.3, 1e9, 61.3, 1980, 97.5, 40960},
            {NAN, NAN, NAN, NAN, NAN, NAN}},
        .has_loop = 1,
        .supply_c = 30.25,
        .return_c = 41.5,
        .flow_lpm = 12.75,
        .pressure_kpa = 180.5,
        .capacity_w = 250000,
        .pump_pct = 62.5,
        .leak = 0},
    {.seq = 8,
        .t_ms = 1700000001123,
        .power_w = NAN,
        .naccels = 0,
        .has_loop = 1,
        .supply_c = 30.5,
        .return_c = NAN,
        .flow_lpm = NAN,
        .pressure_kpa = NAN,
        .capacity_w = NAN,
        .pump_pct = NAN,
        .leak = -1},
    {.seq = 9,
        .t_ms = 1700000002123,
        .power_w = 100,
        .naccels = 1,
        .accels = {{NAN, NAN, 45, NAN, NAN, NAN}},
        .has_loop = 0,
        .supply_c = NAN,
        .return_c = NAN,
        .flow_lpm = NAN,
        .pressure_kpa = NAN,
        .capacity_w = NAN,
        .pump_pct = NAN,
        .leak = -1},
};

static struct report_job jobs_busy[] = {
    {.id = 12,
        .attempt = 1,
        .state = RJOB_RUNNING,
        .started_ms = 1700000000000,
        .pid = 4242,
        .log = "/var/lib/pod/jobs/12.1/out"},
    {.id = 13,
        .attempt = 2,
        .state = RJOB_ENDED,
        .cause = "exit",
        .has_exit = 1,
        .exit_code = 3,
        .started_ms = 1700000000000,
        .ended_ms = 1700000000999,
        .message = "exited with 3"},
    {.id = 14,
        .attempt = 1,
        .state = RJOB_ENDED,
        .cause = "cancelled",
        .signal = 15,
        .ended_ms = 1700000000500},
};

/* Records that must survive encode → text → decode unchanged. */
static const struct report cases_round[] = {
    /* the least a report says */
    {.boot_id = "ab", .ninventory = -1},
    /* everything: inventory, samples with unknowns, jobs, power */
    {.boot_id = "0123456789abcdef",
        .agent_version = "0.1.0",
        .interval_ms = 1000,
        .desired_version = 42,
        .dropped_samples = 5,
        .ninventory = 2,
        .power_plugin = "sim",
        .cooling_plugin = "modbus",
        .inventory = {{0, "SimAccel-700", 300, 2100, 750, 700, 90, 81920},
            {1, "", NAN, NAN, NAN, NAN, NAN, NAN}},
        .nsamples = N(samples_busy),
        .samples = samples_busy,
        .njobs = N(jobs_busy),
        .jobs = jobs_busy,
        .has_power = 1,
        .power = {.policy = "power_cap",
            .cap_w = 5200.5,
            .limiting = 1,
            .ncaps = 2,
            .clock_caps_mhz = {1410, -1},
            .guard_leak = 1,
            .guard_overtemp = 0x5}},
    /* an empty inventory, power on the fallback cap with no node cap */
    {.boot_id = "ff",
        .ninventory = 0,
        .has_power = 1,
        .power = {.policy = "performance",
            .cap_w = NAN,
            .fallback = 1,
            .guard_lowflow = 1}},
};

/* Bodies the decoder refuses, with the exact message. */
static const struct {
	const char *json;
	const char *error;
} cases_bad[] = {
    {"[]", "a report must be a JSON object"},
    {"{\"samples\":[]}", "boot_id must be a string of at most 16 characters"},
    {"{\"boot_id\":\"xyz\",\"samples\":[]}",
        "boot_id must be 1 to 16 hex digits"},
    {"{\"boot_id\":\"ab\",\"agent_version\":7,\"samples\":[]}",
        "agent_version must be a string of at most 31 characters"},
    {"{\"boot_id\":\"ab\"}", "samples must be an array of at most 600"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"t_ms\":1}]}",
        "samples[0].seq must be a positive integer"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1},"
     "{\"seq\":2,\"t_ms\":-1}]}",
        "samples[1].t_ms must be a non-negative integer"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"power_w\":-3}]}",
        "samples[0].power_w must be a number in 0..1e+06"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"accels\":[{\"temp_c\":\"hot\"}]}]}",
        "samples[0].accels[0].temp_c must be a number in -50..250"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"accels\":[null,3]}]}",
        "samples[0].accels[1] must be an object or null"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"loop\":{\"leak\":1}}]}",
        "samples[0].loop.leak must be true or false"},
    {"{\"boot_id\":\"ab\",\"samples\":[{\"seq\":1,\"t_ms\":1,"
     "\"loop\":{\"pump_pct\":101}}]}",
        "samples[0].loop.pump_pct must be a number in 0..100"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"inventory\":[]}",
        "inventory must be an object"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"inventory\":{\"accelerators\":"
     "[{\"index\":1}]}}",
        "inventory.accelerators[0].index must be 0"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"inventory\":{\"accelerators\":"
     "[{\"index\":0,\"tdp_w\":-1}]}}",
        "inventory.accelerators[0].tdp_w must be a number in 0..100000"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"power\":true}",
        "power must be an object"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":{}}",
        "jobs must be an array of at most 256"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":0}]}",
        "jobs[0].id must be a positive integer"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":0}]}",
        "jobs[0].attempt must be a positive integer"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":1,\"state\":\"gone\"}]}",
        "jobs[0].state must be running or ended"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":1,\"state\":\"ended\",\"cause\":\"crash\"}]}",
        "jobs[0].cause must be exit, cancelled, timeout, launch_error or "
        "fenced"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":1,\"state\":\"ended\",\"cause\":\"exit\","
     "\"exit_code\":\"0\"}]}",
        "jobs[0].exit_code must be an integer"},
    {"{\"boot_id\":\"ab\",\"samples\":[],\"jobs\":[{\"id\":1,"
     "\"attempt\":1,\"state\":\"running\",\"log\":5}]}",
        "jobs[0].log must be a string"},
};

/* Equal numbers, NaN equal to NaN. */
static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static int
same_sample(const struct report_sample *a, const struct report_sample *b)
{
	int i;

	if (a->seq != b->seq || a->t_ms != b->t_ms ||
	    !same(a->power_w, b->power_w) || a->naccels != b->naccels ||
	    a->has_loop != b->has_loop)
		return 0;
	for (i = 0; i < a->naccels; i++) {
		const struct report_accel *x = &a->accels[i],
		                          *y = &b->accels[i];

		if (!same(x->power_w, y->power_w) ||
		    !same(x->energy_j, y->energy_j) ||
		    !same(x->temp_c, y->temp_c) ||
		    !same(x->clock_mhz, y->clock_mhz) ||
		    !same(x->util_pct, y->util_pct) ||
		    !same(x->mem_used_mib, y->mem_used_mib))
			return 0;
	}
	return !a->has_loop ||
	       (same(a->supply_c, b->supply_c) &&
	           same(a->return_c, b->return_c) &&
	           same(a->flow_lpm, b->flow_lpm) &&
	           same(a->pressure_kpa, b->pressure_kpa) &&
	           same(a->capacity_w, b->capacity_w) &&
	           same(a->pump_pct, b->pump_pct) && a->leak == b->leak);
}

static int
same_job(const struct report_job *a, const struct report_job *b)
{
	return a->id == b->id && a->attempt == b->attempt &&
	       a->state == b->state && strcmp(a->cause, b->cause) == 0 &&
	       a->has_exit == b->has_exit &&
	       (!a->has_exit || a->exit_code == b->exit_code) &&
	       a->signal == b->signal && a->started_ms == b->started_ms &&
	       a->ended_ms == b->ended_ms && a->pid == b->pid &&
	       strcmp(a->log, b->log) == 0 &&
	       strcmp(a->message, b->message) == 0;
}

static const char *
differ_power(const struct report_power *a, const struct report_power *b)
{
	int i;

	if (strcmp(a->policy, b->policy) != 0 || !same(a->cap_w, b->cap_w) ||
	    a->limiting != b->limiting || a->fallback != b->fallback ||
	    a->guard_leak != b->guard_leak ||
	    a->guard_lowflow != b->guard_lowflow ||
	    a->guard_overtemp != b->guard_overtemp || a->ncaps != b->ncaps)
		return "power";
	for (i = 0; i < a->ncaps; i++)
		if (a->clock_caps_mhz[i] != b->clock_caps_mhz[i])
			return "clock caps";
	return NULL;
}

/* Which part of two reports differs, or NULL when they are equal. */
static const char *
differ(const struct report *a, const struct report *b)
{
	int i;

	if (strcmp(a->boot_id, b->boot_id) != 0 ||
	    strcmp(a->agent_version, b->agent_version) != 0 ||
	    a->interval_ms != b->interval_ms ||
	    a->desired_version != b->desired_version ||
	    a->dropped_samples != b->dropped_samples)
		return "head";
	if (a->ninventory != b->ninventory)
		return "inventory count";
	if (a->ninventory >= 0 &&
	    (strcmp(a->power_plugin, b->power_plugin) != 0 ||
	        strcmp(a->cooling_plugin, b->cooling_plugin) != 0))
		return "plugins";
	for (i = 0; i < a->ninventory; i++) {
		const struct report_device *x = &a->inventory[i];
		const struct report_device *y = &b->inventory[i];

		if (x->index != y->index || strcmp(x->model, y->model) != 0 ||
		    !same(x->clock_min_mhz, y->clock_min_mhz) ||
		    !same(x->clock_max_mhz, y->clock_max_mhz) ||
		    !same(x->power_max_w, y->power_max_w) ||
		    !same(x->tdp_w, y->tdp_w) ||
		    !same(x->temp_crit_c, y->temp_crit_c) ||
		    !same(x->mem_total_mib, y->mem_total_mib))
			return "inventory";
	}
	if (a->nsamples != b->nsamples)
		return "sample count";
	for (i = 0; i < a->nsamples; i++)
		if (!same_sample(&a->samples[i], &b->samples[i]))
			return "samples";
	if ((a->njobs > 0 ? a->njobs : 0) != b->njobs)
		return "job count";
	for (i = 0; i < a->njobs; i++)
		if (!same_job(&a->jobs[i], &b->jobs[i]))
			return "jobs";
	if (a->has_power != b->has_power)
		return "power member";
	return a->has_power ? differ_power(&a->power, &b->power) : NULL;
}

/* Encodes r to text; NULL on failure. Caller frees with free(). */
static char *
encode(const struct report *r)
{
	json_t *j = wire_report_encode(r);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return text;
}

static int
round_trip(const struct report *want, const char **why)
{
	struct report got;
	char err[256] = "", *text, *again = NULL;
	json_t *j;
	int ok = 0;

	if ((text = encode(want)) == NULL) {
		*why = "encode failed";
		return 0;
	}
	if ((j = jsonx_parse(text, strlen(text), err, sizeof(err))) == NULL ||
	    wire_report_decode(j, &got, err, sizeof(err)) == -1) {
		printf("  %s\n  %s\n", text, err);
		*why = "decode failed";
	} else if ((*why = differ(want, &got)) == NULL) {
		again = encode(&got);
		ok = again != NULL && strcmp(text, again) == 0;
		*why = ok ? NULL : "encodes differently the second time";
		wire_report_free(&got);
	} else {
		printf("  %s\n", text);
		wire_report_free(&got);
	}
	json_decref(j);
	free(again);
	free(text);
	return ok;
}

/* ---- the desired state and the reply ---- */

/* Replies as the controller writes them: decoded, then encoded again,
 * they must come back byte for byte (members in the protocol's order). */
static const char *const replies_round[] = {
    /* back-pressure: the interval asked, before desired */
    "{\"ack_seq\": 9, \"report_interval_ms\": 8000, \"desired\": null}",
    "{\"ack_seq\": 9, \"want_inventory\": true, \"desired\": null}",
    "{\"ack_seq\": 9, \"want_inventory\": false, \"desired\": null}",
    "{\"ack_seq\": 17, \"desired\": {\"version\": 1795900000123, \"jobs\": "
    "[{\"id\": 17, \"attempt\": 1, \"name\": \"train\", \"command\": "
    "[\"sh\", \"-c\", \"python train.py\"], \"nnodes\": 4, \"node_rank\": 2, "
    "\"nodelist\": \"pod01-n[001-004]\", \"accelerators\": [0, 1, 2, 3, 4, "
    "5, 6, 7], \"time_limit_s\": 7200, \"kill_grace_s\": 10, \"cancel\": "
    "false, \"user\": \"alice\", \"chdir\": \"/scratch/alice\", \"output\": "
    "\"train-%j-%N.out\", \"error\": \"/tmp/%u/train.err\"}], \"power\": "
    "{\"policy\": \"energy\", \"params\": "
    "{\"slowdown_pct\": 5.0}, \"cap_w\": 5200.5, \"fallback_cap_w\": 3000.0, "
    "\"fallback_after_s\": 30}}}",
    "{\"ack_seq\": 0, \"desired\": {\"version\": 3, \"jobs\": [], \"power\": "
    "{\"policy\": \"performance\", \"params\": {}, \"cap_w\": null, "
    "\"fallback_cap_w\": null, \"fallback_after_s\": 2.5}, "
    "\"fence_timeout_s\": 30}}",
    "{\"ack_seq\": 9, \"kill\": [{\"id\": 4, \"attempt\": 2}], \"desired\": "
    "{\"version\": 5, \"jobs\": [{\"id\": 5, \"attempt\": 1, \"name\": \"\", "
    "\"command\": [\"true\"], \"nnodes\": 1, \"node_rank\": 0, \"nodelist\": "
    "\"n1\", \"accelerators\": [], \"time_limit_s\": 0, \"kill_grace_s\": 0, "
    "\"cancel\": true, \"user\": \"bob\", \"chdir\": \"\", \"output\": \"\", "
    "\"error\": \"\"}]}}",
    /* an array task: its array's job id and its task id */
    "{\"ack_seq\": 2, \"desired\": {\"version\": 6, \"jobs\": [{\"id\": 47, "
    "\"attempt\": 1, \"name\": \"sweep\", \"command\": [\"true\"], \"nnodes\": "
    "1, \"node_rank\": 0, \"nodelist\": \"n1\", \"accelerators\": [0], "
    "\"time_limit_s\": 60, \"kill_grace_s\": 10, \"cancel\": false, "
    "\"user\": \"bob\", \"chdir\": \"\", \"output\": \"o-%A_%a\", \"error\": "
    "\"\", \"array_job_id\": 40, \"array_task_id\": 7}]}}",
};

/* Desired states with one bad member: `where` says which part refuses it
 * ("whole": the decoder, "jobs": desired.jobs as a whole, "job0": the
 * first entry, "power": desired.power), `error` the exact message. */
static const struct {
	const char *json;
	const char *where;
	const char *error;
} desired_bad[] = {
    {"[]", "whole", "desired needs a non-negative integer version"},
    {"{\"version\": -1}", "whole",
        "desired needs a non-negative integer version"},
    {"{\"version\": 1, \"fence_timeout_s\": 0}", "whole",
        "desired.fence_timeout_s must be an integer in 1..86400"},
    {"{\"version\": 1, \"fence_timeout_s\": \"30\"}", "whole",
        "desired.fence_timeout_s must be an integer in 1..86400"},
    {"{\"version\": 1, \"jobs\": {}}", "jobs", "'jobs' is not an array"},
    {"{\"version\": 1, \"jobs\": [7]}", "job0",
        "a job entry must be an object"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1}]}", "job0",
        "'attempt' must be an integer in 1..1000000"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\", 5]}]}",
        "job0", "'command[1]' must be a string"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 2, \"node_rank\": 2}]}",
        "job0", "'node_rank' must be an integer in 0..1"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [64]}]}",
        "job0", "'accelerators[0]' must be an integer in 0..63"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"cancel\": 1}]}",
        "job0", "'cancel' must be true or false"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"user\": 7}]}",
        "job0", "'user' must be a string"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"user\": \"-rf\"}]}",
        "job0", "'user' is not a user name (letters, digits, . _ -)"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"user\": \"a b\"}]}",
        "job0", "'user' is not a user name (letters, digits, . _ -)"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"user\": "
     "\"a123456789012345678901234567890123456789012345678901234567890123\"}]}",
        "job0", "'user' must be a string of at most 63 bytes without NUL"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"chdir\": \"/tmp/a\\tb\"}]}",
        "job0", "'chdir' contains a control character"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"output\": \"out\\n%j\"}]}",
        "job0", "'output' contains a control character"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"error\": [\"e\"]}]}",
        "job0", "'error' must be a string"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"array_job_id\": 1}]}",
        "job0", "'array_job_id' and 'array_task_id' go together"},
    {"{\"version\": 1, \"jobs\": [{\"id\": 1, \"attempt\": 1, \"name\": "
     "\"x\", \"command\": [\"a\"], \"nnodes\": 1, \"node_rank\": 0, "
     "\"nodelist\": \"n\", \"accelerators\": [], \"array_job_id\": 1, "
     "\"array_task_id\": -2}]}",
        "job0", "'array_task_id' must be an integer in -1..999999999"},
    {"{\"version\": 1, \"power\": 5}", "power", "'power' must be an object"},
    {"{\"version\": 1, \"power\": {\"policy\": 3}}", "power",
        "'policy' must be a string of at most 31 characters"},
    {"{\"version\": 1, \"power\": {\"params\": {\"cap_w\": \"4kW\"}}}", "power",
        "'params.cap_w' must be a number"},
    {"{\"version\": 1, \"power\": {\"cap_w\": 0}}", "power",
        "'cap_w' must be a positive number or null"},
    {"{\"version\": 1, \"power\": {\"fallback_after_s\": 90000}}", "power",
        "'fallback_after_s' must be a number of seconds in [0, 86400] or "
        "null"},
};

/* Reply bodies that are refused whole, with the message. */
static const struct {
	const char *json;
	const char *error;
} replies_bad[] = {
    {"{}", "reply lacks a non-negative ack_seq"},
    {"{\"ack_seq\": 1, \"kill\": {}}",
        "reply's kill must be an array of at most 256 attempts"},
    {"{\"ack_seq\": 1, \"kill\": [{\"id\": 3}]}",
        "reply's kill[0]: 'attempt' must be an integer in 1..1000000"},
    {"{\"ack_seq\": 1, \"desired\": {}}",
        "reply's desired needs a non-negative integer version"},
    {"{\"ack_seq\": 1, \"report_interval_ms\": -1}",
        "reply's report_interval_ms must be 0 to 600000 ms"},
    {"{\"ack_seq\": 1, \"report_interval_ms\": \"8s\"}",
        "reply's report_interval_ms must be 0 to 600000 ms"},
    {"{\"ack_seq\": 1, \"want_inventory\": 1}",
        "reply's want_inventory must be true or false"},
};

static int
reply_round(const char *text)
{
	static struct reply r;
	char err[256] = "", *again = NULL;
	json_t *j, *k = NULL;
	int ok = 0;

	if ((j = jsonx_parse(text, strlen(text), err, sizeof(err))) == NULL ||
	    wire_reply_decode(j, &r, err, sizeof(err)) == -1) {
		printf("  decode: %s\n", err);
		json_decref(j);
		return 0;
	}
	if ((k = wire_reply_encode(&r)) != NULL &&
	    (again = json_dumps(k, JSON_REAL_PRECISION(15))) != NULL)
		ok = strcmp(text, again) == 0;
	if (!ok)
		printf("  sent %s\n  got  %s\n", text, again ? again : "NULL");
	free(again);
	json_decref(k);
	json_decref(j);
	wire_reply_free(&r);
	return ok;
}

/* The typed record first: encoded, decoded, the same fields back. */
static int
desired_typed_round(void)
{
	static char *argv[] = {"sleep", "5", NULL};
	struct desired_job job = {.id = 42,
	    .attempt = 3,
	    .name = "n",
	    .argv = argv,
	    .argc = 2,
	    .nnodes = 2,
	    .node_rank = 1,
	    .nodelist = "a[1-2]",
	    .accel = {1, 5},
	    .naccel = 2,
	    .time_limit_s = 60,
	    .kill_grace_s = 4,
	    .cancel = 0,
	    .user = "carol",
	    .workdir = "work",
	    .output = "%j.out",
	    .errout = "",
	    .array_job_id = 40,
	    .array_task_id = 7};
	struct desired d = {.version = 77,
	    .njobs = 1,
	    .jobs = &job,
	    .has_power = 1,
	    .fence_timeout_s = 12};
	struct desired got;
	char err[256];
	json_t *j;
	int ok;

	snprintf(d.power.policy, sizeof(d.power.policy), "thermal");
	d.power.nparams = 1;
	snprintf(
	    d.power.params[0].name, sizeof(d.power.params[0].name), "target_c");
	d.power.params[0].value = 75;
	d.power.cap_w = NAN;
	d.power.fallback_cap_w = 2500;
	d.power.fallback_after_s = 30;
	if ((j = wire_desired_encode(&d)) == NULL ||
	    wire_desired_decode(j, &got, err, sizeof(err)) == -1) {
		json_decref(j);
		return 0;
	}
	json_decref(j);
	ok = got.version == 77 && got.njobs == 1 && got.fence_timeout_s == 12 &&
	     got.jobs[0].id == 42 && got.jobs[0].attempt == 3 &&
	     got.jobs[0].error[0] == '\0' && got.jobs[0].argc == 2 &&
	     strcmp(got.jobs[0].argv[1], "5") == 0 &&
	     got.jobs[0].argv[2] == NULL &&
	     strcmp(got.jobs[0].nodelist, "a[1-2]") == 0 &&
	     got.jobs[0].naccel == 2 && got.jobs[0].accel[1] == 5 &&
	     got.jobs[0].time_limit_s == 60 && got.jobs[0].kill_grace_s == 4 &&
	     strcmp(got.jobs[0].user, "carol") == 0 &&
	     strcmp(got.jobs[0].workdir, "work") == 0 &&
	     strcmp(got.jobs[0].output, "%j.out") == 0 &&
	     strcmp(got.jobs[0].errout, "") == 0 &&
	     got.jobs[0].array_job_id == 40 && got.jobs[0].array_task_id == 7 &&
	     got.has_power && got.power_error[0] == '\0' &&
	     strcmp(got.power.policy, "thermal") == 0 &&
	     got.power.nparams == 1 && got.power.params[0].value == 75 &&
	     isnan(got.power.cap_w) && got.power.fallback_cap_w == 2500 &&
	     got.power.fallback_after_s == 30;
	wire_desired_free(&got);
	return ok;
}

static const char *
desired_bad_got(const char *json, const char *where, char *err, size_t len)
{
	struct desired d;
	json_t *j = jsonx_parse(json, strlen(json), err, len);
	const char *got = NULL;

	if (j == NULL)
		return NULL;
	if (wire_desired_decode(j, &d, err, len) == -1) {
		json_decref(j);
		return strcmp(where, "whole") == 0 ? err : NULL;
	}
	if (strcmp(where, "jobs") == 0 && d.njobs == -1)
		got = d.jobs_error;
	else if (strcmp(where, "job0") == 0 && d.njobs >= 1 &&
	         d.jobs[0].error[0] != '\0')
		got = d.jobs[0].error;
	else if (strcmp(where, "power") == 0 && d.has_power)
		got = d.power_error;
	if (got != NULL)
		snprintf(err, len, "%s", got);
	wire_desired_free(&d);
	json_decref(j);
	return got != NULL ? err : NULL;
}

/* Changes to a node's power settings, each of which the hash must see
 * (same 0) or not see (same 1): what the controller compares each second
 * to give the node a new desired version. */
static void
tweak_none(struct desired_power *p)
{
	(void)p;
}
static void
tweak_cap(struct desired_power *p)
{
	p->cap_w += 0.001;
}
static void
tweak_cap_null(struct desired_power *p)
{
	p->cap_w = NAN;
}
static void
tweak_policy(struct desired_power *p)
{
	snprintf(p->policy, sizeof(p->policy), "%s", "energy");
}
static void
tweak_param(struct desired_power *p)
{
	p->params[0].value = 0.9;
}
static void
tweak_fallback(struct desired_power *p)
{
	p->fallback_after_s = 31;
}
static void
tweak_other_nan(struct desired_power *p)
{
	p->fallback_cap_w = -NAN;
}
static void
tweak_minus_zero(struct desired_power *p)
{
	p->params[1].value = -0.0;
}

static const struct {
	const char *what;
	void (*tweak)(struct desired_power *);
	int same;
} hash_cases[] = {
    {"unchanged", tweak_none, 1},
    {"cap by a milliwatt", tweak_cap, 0},
    {"cap to none", tweak_cap_null, 0},
    {"another policy", tweak_policy, 0},
    {"a parameter", tweak_param, 0},
    {"the fallback time", tweak_fallback, 0},
    {"another NaN prints null alike", tweak_other_nan, 1},
    {"-0 prints as 0", tweak_minus_zero, 1},
};

static void
hash_cases_run(int *pass, int *fail)
{
	struct desired_power base, p;
	size_t i;

	memset(&base, 0, sizeof(base));
	snprintf(base.policy, sizeof(base.policy), "%s", "power_cap");
	base.nparams = 2;
	snprintf(
	    base.params[0].name, sizeof(base.params[0].name), "%s", "gain");
	base.params[0].value = 0.5;
	snprintf(
	    base.params[1].name, sizeof(base.params[1].name), "%s", "bias");
	base.params[1].value = 0;
	base.cap_w = 4200.5;
	base.fallback_cap_w = NAN;
	base.fallback_after_s = 30;
	for (i = 0; i < N(hash_cases); i++) {
		p = base;
		hash_cases[i].tweak(&p);
		if ((wire_desired_power_hash(&p) ==
		        wire_desired_power_hash(&base)) == hash_cases[i].same) {
			(*pass)++;
		} else {
			(*fail)++;
			printf("FAIL power hash: %s\n", hash_cases[i].what);
		}
	}
}

static void
desired_cases(int *pass, int *fail)
{
	size_t i;

	hash_cases_run(pass, fail);

	for (i = 0; i < N(replies_round); i++) {
		if (reply_round(replies_round[i])) {
			(*pass)++;
		} else {
			(*fail)++;
			printf("FAIL reply round trip %zu\n", i);
		}
	}
	if (desired_typed_round()) {
		(*pass)++;
	} else {
		(*fail)++;
		printf("FAIL typed desired round trip\n");
	}
	for (i = 0; i < N(desired_bad); i++) {
		char err[256] = "";
		const char *got = desired_bad_got(desired_bad[i].json,
		    desired_bad[i].where, err, sizeof(err));

		if (got != NULL && strcmp(got, desired_bad[i].error) == 0) {
			(*pass)++;
		} else {
			(*fail)++;
			printf("FAIL bad desired %zu: %s\n  got '%s' in %s\n"
			       "  want '%s'\n",
			    i, desired_bad[i].json, got ? got : "(accepted)",
			    desired_bad[i].where, desired_bad[i].error);
		}
	}
	for (i = 0; i < N(replies_bad); i++) {
		static struct reply r;
		char err[256] = "";
		json_t *j = jsonx_parse(replies_bad[i].json,
		    strlen(replies_bad[i].json), err, sizeof(err));
		int rc = j ? wire_reply_decode(j, &r, err, sizeof(err)) : 0;

		if (rc == -1 && strcmp(err, replies_bad[i].error) == 0) {
			(*pass)++;
		} else {
			(*fail)++;
			printf(
			    "FAIL bad reply %zu: got rc=%d '%s', want '%s'\n",
			    i, rc, err, replies_bad[i].error);
		}
		if (rc == 0)
			wire_reply_free(&r);
		json_decref(j);
	}
}

int
main(void)
{
	int pass = 0, fail = 0;
	size_t i;

	for (i = 0; i < N(cases_round); i++) {
		const char *why = NULL;

		if (round_trip(&cases_round[i], &why)) {
			pass++;
		} else {
			fail++;
			printf("FAIL round trip %zu: %s\n", i, why);
		}
	}
	for (i = 0; i < N(cases_bad); i++) {
		char err[256] = "";
		struct report r;
		json_t *j = jsonx_parse(cases_bad[i].json,
		    strlen(cases_bad[i].json), err, sizeof(err));
		int rc = j ? wire_report_decode(j, &r, err, sizeof(err)) : -1;

		if (rc == -1 && strcmp(err, cases_bad[i].error) == 0) {
			pass++;
		} else {
			fail++;
			printf("FAIL bad case %zu: %s\n  got rc=%d '%s'\n"
			       "  want '%s'\n",
			    i, cases_bad[i].json, rc, err, cases_bad[i].error);
		}
		if (rc == 0)
			wire_report_free(&r);
		json_decref(j);
	}
	desired_cases(&pass, &fail);
	printf("wire_test: %d passed, %d failed\n", pass, fail);
	return fail != 0 || pass == 0;
}
