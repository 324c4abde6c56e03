/*
 * Unit tests of the agent's jobs (agentd/job.c, jobdir.c, jobs.c with the
 * simulation runner): desired-state entries parsed and refused with a
 * message, the duration of simulated commands, the job environment, the
 * shepherd's status and pid files, the exactly-once records in a state_dir,
 * and the core's convergence: nothing started twice, cancel, launch errors,
 * and ends forgotten only once a report carrying them was answered. Cases
 * are static tables or functions in the table at the bottom.
 */
#include <sys/stat.h>

#include <errno.h>
#include <event2/event.h>
#include <ftw.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agentconf.h"
#include "check.h"
#include "job.h"
#include "jobdir.h"
#include "jobtable.h"
#include "jsonx.h"
#include "log.h"
#include "wire.h"

/* A valid entry; most cases below change one member of it. */
#define GOOD_ENTRY                                                             \
	"{\"id\":17,\"attempt\":2,\"name\":\"train\","                         \
	"\"command\":[\"sh\",\"-c\",\"echo hi\"],\"nnodes\":4,"                \
	"\"node_rank\":2,\"nodelist\":\"pod01-n[001-004]\","                   \
	"\"accelerators\":[0,1,7],\"time_limit_s\":7200,"                      \
	"\"kill_grace_s\":10,\"cancel\":false}"

/* Entries: `patch` merged over GOOD_ENTRY (or the whole entry when
 * `whole`), `drop` a member removed, the node's accelerators, and NULL when
 * it must be accepted or the start of the message of its refusal. */
static const struct {
	int whole;
	const char *patch;
	const char *drop;
	int naccel;
	const char *err;
} entries[] = {
    {0, "{}", NULL, 8, NULL},
    {0, "{\"name\":\"\",\"accelerators\":[]}", NULL, 0, NULL},
    {0, "{\"time_limit_s\":null,\"cancel\":null}", "kill_grace_s", 8, NULL},
    {1, "[1]", NULL, 8, "a job entry must be an object"},
    {0, "{}", "id", 8, "'id' must be an integer in 1.."},
    {0, "{\"id\":0}", NULL, 8, "'id' must be an integer in 1.."},
    {0, "{\"id\":\"17\"}", NULL, 8, "'id' must be an integer"},
    {0, "{}", "attempt", 8, "'attempt' must be an integer in 1..1000000"},
    {0, "{}", "command", 8, "'command' must be a non-empty array"},
    {0, "{\"command\":[]}", NULL, 8,
        "'command' must be a non-empty array of strings"},
    {0, "{\"command\":\"sleep 5\"}", NULL, 8,
        "'command' must be a non-empty array of strings"},
    {0, "{\"command\":[\"sleep\",5]}", NULL, 8,
        "'command[1]' must be a string"},
    {0, "{\"command\":[\"\"]}", NULL, 8, "'command[0]' is empty"},
    {0, "{\"name\":7}", NULL, 8, "'name' must be a string"},
    {0, "{}", "name", 8, "'name' must be a string"},
    {0, "{\"nnodes\":0}", NULL, 8, "'nnodes' must be an integer"},
    {0, "{}", "node_rank", 8, "'node_rank' must be an integer in 0..3"},
    {0, "{\"node_rank\":4}", NULL, 8, "'node_rank' must be an integer in 0..3"},
    {0, "{\"nodelist\":\"\"}", NULL, 8,
        "'nodelist' must be a non-empty string"},
    {0, "{\"accelerators\":[0,8]}", NULL, 8,
        "accelerator 8 is not on this node (it has 8)"},
    {0, "{\"accelerators\":[3,3]}", NULL, 8, "accelerator 3 is listed twice"},
    {0, "{\"accelerators\":[-1]}", NULL, 8,
        "'accelerators[0]' must be an integer in 0..63"},
    {0, "{\"accelerators\":{}}", NULL, 8, "'accelerators' must be an array"},
    {0, "{}", "accelerators", 8, "'accelerators' must be an array"},
    {0, "{\"time_limit_s\":-5}", NULL, 8, "'time_limit_s' must be an integer"},
    {0, "{\"time_limit_s\":1.5}", NULL, 8, "'time_limit_s' must be an integer"},
    {0, "{\"kill_grace_s\":3601}", NULL, 8,
        "'kill_grace_s' must be an integer in 0..3600"},
    {0, "{\"cancel\":\"yes\"}", NULL, 8, "'cancel' must be true or false"},
};

/* Entry i of the table as JSON; new reference, NULL on a bad case. */
static json_t *
entry_json(size_t i)
{
	const char *good = GOOD_ENTRY;
	json_t *e = NULL, *patch;
	char err[128];

	if ((patch = jsonx_parse(entries[i].patch, strlen(entries[i].patch),
	         err, sizeof(err))) == NULL)
		goto fail;
	if (entries[i].whole)
		return patch;
	if ((e = jsonx_parse(good, strlen(good), err, sizeof(err))) == NULL ||
	    json_object_update(e, patch) == -1)
		goto fail;
	if (entries[i].drop != NULL)
		json_object_del(e, entries[i].drop);
	json_decref(patch);
	return e;
fail:
	fprintf(stderr, "case %zu: bad test JSON: %s\n", i, err);
	json_decref(patch);
	json_decref(e);
	return NULL;
}

static int
t_entry_parse(void)
{
	struct desired_job s;
	json_t *j = NULL;
	char err[256];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(entries); i++) {
		if ((j = entry_json(i)) == NULL)
			return -1;
		err[0] = '\0';
		rc = job_spec_parse(j, entries[i].naccel, &s, err, sizeof(err));
		if (entries[i].err == NULL
		        ? rc != 0
		        : rc != -1 || strncmp(err, entries[i].err,
		                          strlen(entries[i].err)) != 0) {
			fprintf(stderr, "case %zu: %s: got %d '%s'\n", i,
			    entries[i].patch, rc, err);
			job_spec_clear(&s);
			goto fail;
		}
		/* A refusal leaves nothing to free; argv says "unknown". */
		REQUIRE(rc == 0 || (s.argv == NULL && s.name == NULL &&
		                       s.nodelist == NULL));
		job_spec_clear(&s);
		json_decref(j);
		j = NULL;
	}
	return 0;
fail:
	json_decref(j);
	return -1;
}

static int
t_entry_fields(void)
{
	const char *text = GOOD_ENTRY;
	struct desired_job s;
	json_t *j;
	char err[256];
	int rc = -1;

	memset(&s, 0, sizeof(s));
	if ((j = jsonx_parse(text, strlen(text), err, sizeof(err))) == NULL)
		return -1;
	REQUIRE(job_spec_parse(j, 8, &s, err, sizeof(err)) == 0);
	REQUIRE(s.id == 17 && s.attempt == 2 && strcmp(s.name, "train") == 0);
	REQUIRE(s.argc == 3 && strcmp(s.argv[2], "echo hi") == 0 &&
	        s.argv[3] == NULL);
	REQUIRE(s.nnodes == 4 && s.node_rank == 2);
	REQUIRE(strcmp(s.nodelist, "pod01-n[001-004]") == 0);
	REQUIRE(s.naccel == 3 && s.accel[0] == 0 && s.accel[2] == 7);
	REQUIRE(s.time_limit_s == 7200 && s.kill_grace_s == 10 && !s.cancel);
	job_spec_clear(&s);
	json_decref(j);

	/* Defaults; and a refusal keeps the key for the message. */
	text = "{\"id\":5,\"attempt\":3,\"name\":\"n\",\"command\":[\"true\"],"
	       "\"nnodes\":1,\"node_rank\":0,\"nodelist\":\"n1\","
	       "\"accelerators\":[9],\"cancel\":true}";
	if ((j = jsonx_parse(text, strlen(text), err, sizeof(err))) == NULL)
		return -1;
	REQUIRE(job_spec_parse(j, 16, &s, err, sizeof(err)) == 0);
	REQUIRE(s.time_limit_s == 0 && s.kill_grace_s == JOB_KILL_GRACE_DEF_S &&
	        s.cancel);
	job_spec_clear(&s);
	REQUIRE(job_spec_parse(j, 8, &s, err, sizeof(err)) == -1);
	REQUIRE(s.id == 5 && s.attempt == 3 && s.argv == NULL);
	rc = 0;
fail:
	job_spec_clear(&s);
	json_decref(j);
	return rc;
}

static int
t_entry_caps(void)
{
	json_t *e = NULL, *cmd;
	struct desired_job s;
	char err[256], *big = NULL;
	int i, rc = -1;

	memset(&s, 0, sizeof(s));
	if ((e = json_pack("{s:i,s:i,s:s,s:[],s:i,s:i,s:s,s:[]}", "id", 1,
	         "attempt", 1, "name", "x", "command", "nnodes", 1, "node_rank",
	         0, "nodelist", "n1", "accelerators")) == NULL)
		return -1;
	cmd = json_object_get(e, "command");
	for (i = 0; i <= JOB_MAX_ARGS; i++)
		json_array_append_new(cmd, json_string("a"));
	REQUIRE(job_spec_parse(e, 8, &s, err, sizeof(err)) == -1 &&
	        strstr(err, "more than 1024 arguments") != NULL);
	json_array_clear(cmd);
	if ((big = malloc(JOB_COMMAND_MAX + 1)) == NULL)
		goto fail;
	memset(big, 'x', JOB_COMMAND_MAX);
	big[JOB_COMMAND_MAX] = '\0';
	json_array_append_new(cmd, json_string(big));
	REQUIRE(job_spec_parse(e, 8, &s, err, sizeof(err)) == -1 &&
	        strstr(err, "longer than") != NULL);
	/* Jansson refuses \u0000 in text, but not in a built value. */
	json_array_clear(cmd);
	json_array_append_new(cmd, json_string("sh"));
	json_array_append_new(cmd, json_stringn("a\0b", 3));
	REQUIRE(job_spec_parse(e, 8, &s, err, sizeof(err)) == -1 &&
	        strcmp(err, "'command[1]' contains a NUL") == 0);
	big[JOB_NAME_MAX] = '\0';
	json_array_clear(cmd);
	json_array_append_new(cmd, json_string("true"));
	json_object_set_new(e, "name", json_string(big));
	REQUIRE(job_spec_parse(e, 8, &s, err, sizeof(err)) == -1 &&
	        strstr(err, "'name' must be a string of at most 255") != NULL);
	rc = 0;
fail:
	job_spec_clear(&s);
	free(big);
	json_decref(e);
	return rc;
}

/* Simulated durations: a command (up to 3 words) and its seconds. */
static const struct {
	const char *argv[4];
	double want_s;
} sims[] = {
    {{"sleep", "5"}, 5},
    {{"sleep", "0"}, 0},
    {{"sleep", "1.5"}, 1.5},
    {{"sleep", "2m"}, 120},
    {{"sleep", "1h"}, 3600},
    {{"sleep", "1d"}, 86400},
    {{"sh", "-c", "sleep 7"}, 7},
    {{"sh", "-c", "  sleep\t 3  "}, 3},
    {{"/bin/sh", "-c", "sleep 4s"}, 4},
    {{"sleep", "inf"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "1e3"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "-1"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "0x10"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "."}, JOB_SIM_DEFAULT_S},
    {{"sleep", "1.2.3"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "5x"}, JOB_SIM_DEFAULT_S},
    {{"sleep", ""}, JOB_SIM_DEFAULT_S},
    {{"sleep"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "5", "6"}, JOB_SIM_DEFAULT_S},
    {{"sh", "-c", "sleep 5; echo"}, JOB_SIM_DEFAULT_S},
    {{"sh", "-c", "sleepy 5"}, JOB_SIM_DEFAULT_S},
    {{"bash", "-c", "sleep 5"}, JOB_SIM_DEFAULT_S},
    {{"python", "train.py"}, JOB_SIM_DEFAULT_S},
    {{"sleep", "99999999999"}, JOB_SIM_MAX_S},
};

static int
t_sim_duration(void)
{
	struct desired_job s;
	size_t i;
	double got;

	for (i = 0; i < NELEM(sims); i++) {
		memset(&s, 0, sizeof(s));
		s.argv = (char **)sims[i].argv;
		while (s.argv[s.argc] != NULL)
			s.argc++;
		got = job_sim_duration_s(&s);
		if (fabs(got - sims[i].want_s) > 1e-9) {
			fprintf(stderr, "case %zu (%s %s): got %g, want %g\n",
			    i, sims[i].argv[0],
			    sims[i].argv[1] ? sims[i].argv[1] : "", got,
			    sims[i].want_s);
			return -1;
		}
	}
	memset(&s, 0, sizeof(s)); /* an adopted job without a record */
	REQUIRE(job_sim_duration_s(&s) == JOB_SIM_DEFAULT_S);
	return 0;
fail:
	return -1;
}

/* Counts entries of env equal to `var`, and of those starting "NAME=". */
static int
env_count(char **env, const char *var, int prefix)
{
	size_t len =
	    prefix ? (size_t)(strchr(var, '=') - var + 1) : strlen(var) + 1;
	int i, n = 0;

	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], var, len) == 0)
			n++;
	return n;
}

/* A job's environment is built clean: its account, LANG when the agent
 * has one, the protocol's variables, and nothing else. */
static int
t_env(void)
{
	static char *argv[] = {"true", NULL};
	static const char *const want[] = {"PATH=" JOB_SAFE_PATH,
	    "HOME=/home/alice", "USER=alice", "LOGNAME=alice",
	    "SHELL=/bin/bash", "LANG=C.UTF-8", "POD_JOB_ID=17",
	    "POD_JOB_ATTEMPT=2", "POD_JOB_NAME=train", "POD_NNODES=4",
	    "POD_NODE_RANK=3", "POD_NODELIST=pod01-n[001-004]",
	    "POD_ACCELERATORS=0,1,7", NULL};
	struct job_user u;
	struct desired_job s;
	char **env = NULL;
	int rc = -1, i;

	memset(&s, 0, sizeof(s));
	memset(&u, 0, sizeof(u));
	snprintf(u.name, sizeof(u.name), "alice");
	snprintf(u.home, sizeof(u.home), "/home/alice");
	snprintf(u.shell, sizeof(u.shell), "/bin/bash");
	s.id = 17;
	s.attempt = 2;
	s.name = "train";
	s.argv = argv;
	s.argc = 1;
	s.nnodes = 4;
	s.node_rank = 3;
	s.nodelist = "pod01-n[001-004]";
	s.accel[0] = 0;
	s.accel[1] = 1;
	s.accel[2] = 7;
	s.naccel = 3;
	if ((env = job_env_build(&s, &u, "C.UTF-8")) == NULL)
		return -1;
	for (i = 0; want[i] != NULL; i++) {
		REQUIRE(env[i] != NULL);
		REQUIRE(strcmp(env[i], want[i]) == 0);
	}
	REQUIRE(env[i] == NULL);
	job_env_free(env);
	/* No LANG, no shell (/bin/sh), no accelerators (there, empty). */
	s.naccel = 0;
	u.shell[0] = '\0';
	if ((env = job_env_build(&s, &u, NULL)) == NULL)
		return -1;
	REQUIRE(env_count(env, "LANG=", 1) == 0);
	REQUIRE(env_count(env, "SHELL=/bin/sh", 0) == 1);
	REQUIRE(env_count(env, "POD_ACCELERATORS=", 0) == 1);
	REQUIRE(env[12] == NULL);
	job_env_free(env);
	/* An array task: its two ids last. */
	s.array_job_id = 15;
	s.array_task_id = 2;
	if ((env = job_env_build(&s, &u, NULL)) == NULL)
		return -1;
	REQUIRE(env[12] != NULL && strcmp(env[12], "POD_ARRAY_JOB_ID=15") == 0);
	REQUIRE(env[13] != NULL && strcmp(env[13], "POD_ARRAY_TASK_ID=2") == 0);
	REQUIRE(env[14] == NULL);
	rc = 0;
fail:
	job_env_free(env);
	return rc;
}

/* Output patterns: the pattern, the buffer size, the result (NULL: it
 * does not fit). Job 42, user bob, node pod01-n003; task `task` of array
 * `array` when that is not 0. */
static const struct {
	const char *pat;
	size_t size;
	const char *want;
	int array, task;
} patterns[] = {
    {"slurm-%j.out", 64, "slurm-42.out", 0, 0},
    {"/scratch/%u/%N-%j.log", 64, "/scratch/bob/pod01-n003-42.log", 0, 0},
    {"100%%-%j", 64, "100%-42", 0, 0},
    {"%%j", 64, "%j", 0, 0},
    {"%x%", 64, "%x%", 0, 0},
    {"plain", 64, "plain", 0, 0},
    {"", 64, "", 0, 0},
    {"%j%j%j", 7, "424242", 0, 0},
    {"%j%j%j", 6, NULL, 0, 0},
    {"%N", 10, NULL, 0, 0},
    {"a", 1, NULL, 0, 0},
    {"out-%A_%a.txt", 64, "out-40_7.txt", 40, 7},
    {"%j-%a", 64, "42-0", 40, 0},
    {"%A.%a.%j", 64, "42.0.42", 0, 0}, /* not an array task */
    {"%%a%a", 64, "%a3", 40, 3},
};

static int
t_patterns(void)
{
	struct desired_job s;
	char out[64];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(patterns); i++) {
		memset(&s, 0, sizeof(s));
		s.id = 42;
		s.array_job_id = patterns[i].array;
		s.array_task_id = patterns[i].array ? patterns[i].task : -1;
		rc = job_pattern_expand(patterns[i].pat, &s, "bob",
		    "pod01-n003", out, patterns[i].size);
		if (rc != (patterns[i].want ? 0 : -1) ||
		    (rc == 0 && strcmp(out, patterns[i].want) != 0)) {
			fprintf(stderr, "pattern %zu: '%s' gave %d '%s'\n", i,
			    patterns[i].pat, rc, rc == 0 ? out : "");
			return -1;
		}
	}
	return 0;
}

/* Status files: text, 0 or -1, and what it says. */
static const struct {
	const char *text;
	int rc;
	enum job_cause cause;
	int exit_code;
	int sig;
	const char *message; /* after job_end_explain(argv0 "foo") */
} statuses[] = {
    {"cause exit\nexit_code 3\nended_ms 1795899990000\n", 0, JOB_CAUSE_EXIT, 3,
        0, ""},
    {"cause exit\nsignal 9\nended_ms 5\n", 0, JOB_CAUSE_EXIT, -1, 9, ""},
    {"cause launch_error\nerror exec 2\nended_ms 5\n", 0,
        JOB_CAUSE_LAUNCH_ERROR, -1, 0,
        "cannot execute 'foo': No such file or directory"},
    {"cause launch_error\nerror chdir 13\nended_ms 5\n", 0,
        JOB_CAUSE_LAUNCH_ERROR, -1, 0,
        "cannot enter the job's directory: Permission denied"},
    {"cause launch_error\nended_ms 5\nmessage bad entry\n", 0,
        JOB_CAUSE_LAUNCH_ERROR, -1, 0, "bad entry"},
    {"cause launch_error\nerror workdir 2\nended_ms 5\nmessage user 'bob' "
     "cannot enter the working directory '/x'\n",
        0, JOB_CAUSE_LAUNCH_ERROR, -1, 0,
        "user 'bob' cannot enter the working directory '/x': No such file or "
        "directory"},
    {"cause launch_error\nerror user 1\nended_ms 5\n", 0,
        JOB_CAUSE_LAUNCH_ERROR, -1, 0,
        "cannot become the job's user: "
        "Operation not permitted"},
    {"cause exit\nexit_code 0\nended_ms 5\nfuture_key 1 2 3\n", 0,
        JOB_CAUSE_EXIT, 0, 0, ""},
    {"cause exit\nexit_code 3\n", -1, 0, 0, 0, NULL},
    {"exit_code 3\nended_ms 5\n", -1, 0, 0, 0, NULL},
    {"cause exploded\nended_ms 5\n", -1, 0, 0, 0, NULL},
    {"cause exit\nexit_code 300\nended_ms 5\n", -1, 0, 0, 0, NULL},
    {"cause exit\nexit_code 3x\nended_ms 5\n", -1, 0, 0, 0, NULL},
    {"cause exit\nerror warp 2\nended_ms 5\n", -1, 0, 0, 0, NULL},
    {"cause exit\nended_ms 5", -1, 0, 0, 0, NULL},
    {"cause exit\nnospace\nended_ms 5\n", -1, 0, 0, 0, NULL},
    {"", -1, 0, 0, 0, NULL},
};

static int
t_status(void)
{
	struct job_end e, back;
	char err[128], text[JOB_STATUS_MAX];
	size_t i, len;

	for (i = 0; i < NELEM(statuses); i++) {
		err[0] = '\0';
		if (job_end_parse(statuses[i].text, strlen(statuses[i].text),
		        &e, err, sizeof(err)) != statuses[i].rc) {
			fprintf(stderr, "case %zu: '%s' (%s)\n", i,
			    statuses[i].text, err);
			return -1;
		}
		if (statuses[i].rc == -1) {
			REQUIRE(err[0] != '\0');
			continue;
		}
		job_end_explain(&e, "foo");
		REQUIRE(e.cause == statuses[i].cause);
		REQUIRE(e.exit_code == statuses[i].exit_code);
		REQUIRE(e.signal == statuses[i].sig);
		REQUIRE(strcmp(e.message, statuses[i].message) == 0);
		/* Format and parse again: the same. */
		REQUIRE((len = job_end_format(&e, text, sizeof(text))) > 0);
		REQUIRE(job_end_parse(text, len, &back, err, sizeof(err)) == 0);
		REQUIRE(
		    back.cause == e.cause && back.exit_code == e.exit_code &&
		    back.signal == e.signal && back.ended_ms == e.ended_ms &&
		    back.err_step == e.err_step &&
		    back.err_errno == e.err_errno &&
		    strcmp(back.message, e.message) == 0);
	}
	/* A newline in a message stays on its line; too small a buffer is
	 * refused, not cut. */
	memset(&e, 0, sizeof(e));
	e.cause = JOB_CAUSE_LAUNCH_ERROR;
	e.exit_code = -1;
	snprintf(e.message, sizeof(e.message), "two\nlines");
	REQUIRE((len = job_end_format(&e, text, sizeof(text))) > 0);
	REQUIRE(job_end_parse(text, len, &back, err, sizeof(err)) == 0);
	REQUIRE(strcmp(back.message, "two lines") == 0);
	REQUIRE(job_end_format(&e, text, 10) == 0);
	return 0;
fail:
	return -1;
}

static int
t_pids(void)
{
	static const struct {
		const char *text;
		int rc;
	} cases[] = {
	    {"12 34\n", 0},
	    {"12 34", -1},
	    {"12\n", -1},
	    {"0 34\n", -1},
	    {"12 -3\n", -1},
	    {"a b\n", -1},
	    {"99999999999 1\n", -1},
	};
	char text[64];
	pid_t s, j;
	size_t i, len;

	for (i = 0; i < NELEM(cases); i++)
		if (job_pids_parse(cases[i].text, strlen(cases[i].text), &s,
		        &j) != cases[i].rc) {
			fprintf(stderr, "case %zu: '%s'\n", i, cases[i].text);
			return -1;
		}
	REQUIRE((len = job_pids_format(4242, 4243, text, sizeof(text))) > 0);
	REQUIRE(
	    job_pids_parse(text, len, &s, &j) == 0 && s == 4242 && j == 4243);
	return 0;
fail:
	return -1;
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* A fresh temporary directory; removed with rm_tree(). */
static int
make_tmp(char *buf, size_t size)
{
	snprintf(buf, size, "/tmp/agent_jobs_test.XXXXXX");
	return mkdtemp(buf) == NULL ? -1 : 0;
}

static void
rm_tree(const char *path)
{
	nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

struct seen {
	int n;
	int64_t id[8];
	int attempt[8];
};

static void
seen_cb(void *arg, int64_t id, int attempt)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->id[s->n] = id;
		s->attempt[s->n] = attempt;
	}
	s->n++;
}

static int
t_jobdir_once(void)
{
	const int64_t t0 = 1795900000000LL, hour = 3600 * 1000LL;
	struct jobdir *jd = NULL;
	struct seen seen;
	char tmp[64], state[128], path[1024], *text = NULL;
	size_t len;
	int rc = -1;

	if (make_tmp(tmp, sizeof(tmp)) == -1)
		return -1;
	/* state_dir with a missing parent: checked without being made,
	 * then made. */
	snprintf(state, sizeof(state), "%s/var/lib/pod-agent", tmp);
	REQUIRE(jobdir_check(state) == 0 && access(state, F_OK) == -1);
	REQUIRE((jd = jobdir_open(state)) != NULL);
	REQUIRE(jobdir_check(state) == 0);
	REQUIRE(jobdir_claim(jd, 17, 1, "{\"id\":17}", 9) == 1);
	REQUIRE(jobdir_claim(jd, 17, 1, "{\"id\":17}", 9) == 0);
	REQUIRE(jobdir_claim(jd, 17, 2, "{}", 2) == 1);
	REQUIRE(jobdir_read(jd, 17, 1, JOBDIR_RECORD, &text, &len) == 1);
	REQUIRE(len == 9 && strcmp(text, "{\"id\":17}") == 0);
	free(text);
	text = NULL;
	REQUIRE(jobdir_read(jd, 17, 1, JOBDIR_STATUS, &text, &len) == 0);
	REQUIRE(jobdir_write(jd, 17, 1, JOBDIR_STATUS, "x\n", 2) == 0);
	REQUIRE(jobdir_read(jd, 17, 1, JOBDIR_STATUS, &text, &len) == 1);
	REQUIRE(len == 2);
	free(text);
	text = NULL;
	REQUIRE(jobdir_path(
	            jd, 17, 1, JOBDIR_STATUS ".tmp", path, sizeof(path)) == 0 &&
	        access(path, F_OK) == -1);

	/* A fresh agent sees both; a tombstone hides 17.1 but still
	 * refuses a claim until a day has passed. */
	memset(&seen, 0, sizeof(seen));
	REQUIRE(jobdir_scan(jd, t0, seen_cb, &seen) == 0 && seen.n == 2);
	REQUIRE(jobdir_forget(jd, 17, 1, t0) == 0);
	memset(&seen, 0, sizeof(seen));
	REQUIRE(jobdir_scan(jd, t0 + hour, seen_cb, &seen) == 0 && seen.n == 1);
	REQUIRE(seen.id[0] == 17 && seen.attempt[0] == 2);
	REQUIRE(jobdir_claim(jd, 17, 1, "{}", 2) == 0);
	REQUIRE(jobdir_scan(jd, t0 + 23 * hour, seen_cb, &seen) == 0);
	REQUIRE(jobdir_claim(jd, 17, 1, "{}", 2) == 0);
	memset(&seen, 0, sizeof(seen));
	REQUIRE(jobdir_scan(jd, t0 + 25 * hour, seen_cb, &seen) == 0 &&
	        seen.n == 1);
	REQUIRE(jobdir_path(jd, 17, 1, NULL, path, sizeof(path)) == 0 &&
	        access(path, F_OK) == -1);
	REQUIRE(jobdir_claim(jd, 17, 1, "{}", 2) == 1);
	jobdir_close(jd);
	jd = NULL;

	/* A batch: claimed without a sync, refused a second time at once,
	 * synced in one go; a sync of a claim never made fails. */
	snprintf(state, sizeof(state), "%s/batch", tmp);
	REQUIRE((jd = jobdir_open(state)) != NULL);
	{
		int64_t ids[2] = {18, 19};
		int atts[2] = {1, 1};

		REQUIRE(jobdir_claim_lazy(jd, 18, 1, "{}", 2) == 1);
		REQUIRE(jobdir_claim_lazy(jd, 19, 1, "{}", 2) == 1);
		REQUIRE(jobdir_claim_lazy(jd, 18, 1, "{}", 2) == 0);
		REQUIRE(jobdir_sync_claims(jd, ids, atts, 2) == 0);
		REQUIRE(jobdir_claim(jd, 19, 1, "{}", 2) == 0);
		ids[0] = 20;
		REQUIRE(jobdir_sync_claims(jd, ids, atts, 1) == -1);
	}
	jobdir_close(jd);
	jd = NULL;

	/* A state_dir that cannot be made is refused. */
	snprintf(state, sizeof(state), "%s/file", tmp);
	REQUIRE(fclose(fopen(state, "w")) == 0);
	snprintf(state, sizeof(state), "%s/file/sub", tmp);
	REQUIRE(jobdir_open(state) == NULL);
	REQUIRE(jobdir_check(state) == -1);
	snprintf(state, sizeof(state), "%s/file", tmp);
	REQUIRE(jobdir_check(state) == -1);
	rc = 0;
fail:
	free(text);
	jobdir_close(jd);
	rm_tree(tmp);
	return rc;
}

static int
t_jobdir_names(void)
{
	static const struct {
		const char *name;
		int rc;
		int64_t id;
		int attempt;
	} cases[] = {
	    {"17.1", 0, 17, 1},
	    {"9223372036854775807.1000000", 0, INT64_MAX, 1000000},
	    {"17.0", -1, 0, 0},
	    {"0.1", -1, 0, 0},
	    {"17.1.tmp", -1, 0, 0},
	    {"17", -1, 0, 0},
	    {".1", -1, 0, 0},
	    {"-1.1", -1, 0, 0},
	    {"17.1000001", -1, 0, 0},
	    {"99999999999999999999.1", -1, 0, 0},
	    {"jobs", -1, 0, 0},
	};
	int64_t id;
	size_t i;
	int attempt, rc;

	for (i = 0; i < NELEM(cases); i++) {
		rc = jobdir_name_parse(cases[i].name, &id, &attempt);
		if (rc != cases[i].rc ||
		    (rc == 0 &&
		        (id != cases[i].id || attempt != cases[i].attempt))) {
			fprintf(stderr, "case %zu: '%s'\n", i, cases[i].name);
			return -1;
		}
	}
	return 0;
}

/* The core with the simulation runner, and what its hooks heard. */
struct core {
	struct event_base *base;
	struct jobtable *js;
	int news;
	int busy[JOB_MAX_ACCELS];
	json_t *report; /* last jobtable_report() */
};

static void
core_news(void *arg)
{
	((struct core *)arg)->news++;
}

static void
core_accel(void *arg, int index, int busy, double membound)
{
	((struct core *)arg)->busy[index] += busy ? 1 : -1;
}

/* Applies desired {"version": v, "jobs": [jobs]} and runs the loop's
 * ready events. */
static int
core_apply(struct core *c, int64_t v, const char *jobs)
{
	char text[4096], err[128];
	struct desired des;
	json_t *d;

	snprintf(text, sizeof(text), "{\"version\":%lld,\"jobs\":%s}",
	    (long long)v, jobs);
	if ((d = jsonx_parse(text, strlen(text), err, sizeof(err))) == NULL) {
		fprintf(stderr, "bad test JSON %s: %s\n", text, err);
		return -1;
	}
	if (wire_desired_decode(d, &des, err, sizeof(err)) == -1) {
		fprintf(stderr, "bad test desired %s: %s\n", text, err);
		json_decref(d);
		return -1;
	}
	jobtable_apply(c->js, &des);
	wire_desired_free(&des);
	json_decref(d);
	event_base_loop(c->base, EVLOOP_NONBLOCK);
	return 0;
}

/* Builds a report (marking ends in flight) and finds (id, attempt). */
static json_t *
core_find(struct core *c, int64_t id)
{
	json_t *o;
	size_t i;

	json_decref(c->report);
	c->report = jobtable_report(c->js);
	json_array_foreach(c->report, i, o)
	{
		if (json_integer_value(json_object_get(o, "id")) == id)
			return o;
	}
	return NULL;
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

#define SIM_JOB(id, cmd, accels, extra)                                        \
	"{\"id\":" #id ",\"attempt\":1,\"name\":\"j" #id "\",\"command\":" cmd \
	",\"nnodes\":1,\"node_rank\":0,\"nodelist\":\"pod01-n001\","           \
	"\"accelerators\":" accels extra "}"

static int
t_core(void)
{
	struct agent_conf conf;
	struct jobs_hooks hooks = {core_news, core_accel, NULL};
	struct core c;
	json_t *o, *d = NULL;
	int running, ended, rc = -1;
	char list[2048];

	memset(&c, 0, sizeof(c));
	agentconf_init(&conf);
	snprintf(conf.name, sizeof(conf.name), "pod01-n001");
	conf.job_runner = AGENT_JOBS_SIMULATED;
	hooks.arg = &c;
	if ((c.base = event_base_new()) == NULL ||
	    (c.js = jobtable_new(c.base, &conf, 2, &hooks)) == NULL)
		goto fail;

	/* 1 ends at once, 2 runs, 3 is malformed, the 4th names nothing,
	 * 5 asks for an accelerator the node lacks, 6 is cancelled before
	 * it started: it ends at once, cancelled, without running. */
	snprintf(list, sizeof(list), "[%s,%s,%s,%s,%s,%s]",
	    SIM_JOB(1, "[\"sleep\",\"0\"]", "[0]", ""),
	    SIM_JOB(2, "[\"sleep\",\"100\"]", "[0,1]", ""),
	    SIM_JOB(3, "[\"sleep\",5]", "[]", ""), "{\"attempt\":1}",
	    SIM_JOB(5, "[\"true\"]", "[2]", ""),
	    SIM_JOB(6, "[\"true\"]", "[]", ",\"cancel\":true"));
	REQUIRE(core_apply(&c, 1, list) == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(running == 1 && ended == 4);
	REQUIRE((o = core_find(&c, 6)) != NULL &&
	        strcmp(str(o, "cause"), "cancelled") == 0);
	REQUIRE((o = core_find(&c, 1)) != NULL);
	REQUIRE(strcmp(str(o, "state"), "ended") == 0 &&
	        strcmp(str(o, "cause"), "exit") == 0 &&
	        json_integer_value(json_object_get(o, "exit_code")) == 0 &&
	        json_is_null(json_object_get(o, "signal")));
	REQUIRE((o = core_find(&c, 2)) != NULL &&
	        strcmp(str(o, "state"), "running") == 0);
	REQUIRE(c.busy[0] == 1 && c.busy[1] == 1);
	REQUIRE(
	    (o = core_find(&c, 3)) != NULL &&
	    strcmp(str(o, "cause"), "launch_error") == 0 &&
	    strcmp(str(o, "message"), "'command[1]' must be a string") == 0);
	REQUIRE((o = core_find(&c, 5)) != NULL &&
	        strstr(str(o, "message"),
	            "accelerator 2 is not on this node") != NULL);
	REQUIRE(c.news >= 4);

	/* The same desired state again, and again: nothing new. */
	c.news = 0;
	REQUIRE(core_apply(&c, 1, list) == 0);
	REQUIRE(core_apply(&c, 2, list) == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(running == 1 && ended == 4 && c.news == 0);

	/* Cancel 2: SIGTERM ends a simulated job at once. */
	snprintf(list, sizeof(list), "[%s,%s,%s,%s]",
	    SIM_JOB(1, "[\"sleep\",\"0\"]", "[0]", ""),
	    SIM_JOB(2, "[\"sleep\",\"100\"]", "[0,1]", ",\"cancel\":true"),
	    SIM_JOB(3, "[\"sleep\",5]", "[]", ""),
	    SIM_JOB(5, "[\"true\"]", "[2]", ""));
	REQUIRE(core_apply(&c, 3, list) == 0);
	REQUIRE((o = core_find(&c, 2)) != NULL &&
	        strcmp(str(o, "cause"), "cancelled") == 0 &&
	        json_integer_value(json_object_get(o, "signal")) == SIGTERM &&
	        json_is_null(json_object_get(o, "exit_code")));
	REQUIRE(c.busy[0] == 0 && c.busy[1] == 0);

	/* Dropped from desired, but no answered report carried the ends
	 * yet (core_find's report is still "in flight"): kept. */
	REQUIRE(core_apply(&c, 4, "[]") == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(running == 0 && ended == 5);
	/* A failed report changes nothing either. */
	jobtable_report_done(c.js, 0);
	REQUIRE(core_apply(&c, 5, "[]") == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(ended == 5);
	/* Answered: forgotten at the next desired state without them. */
	core_find(&c, 1);
	jobtable_report_done(c.js, 1);
	REQUIRE(core_apply(&c, 6, "[]") == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(running == 0 && ended == 0);

	/* A forgotten attempt asked again (a delayed reply): tombstone. */
	snprintf(list, sizeof(list), "[%s]",
	    SIM_JOB(2, "[\"sleep\",\"100\"]", "[0,1]", ""));
	REQUIRE(core_apply(&c, 7, list) == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(running == 0 && ended == 0 && c.busy[0] == 0);

	/* A running job dropped from desired is stopped as cancelled. */
	snprintf(list, sizeof(list), "[%s]",
	    SIM_JOB(8, "[\"sh\",\"-c\",\"sleep 60\"]", "[1]", ""));
	REQUIRE(core_apply(&c, 8, list) == 0);
	REQUIRE(c.busy[1] == 1);
	REQUIRE(core_apply(&c, 9, "[]") == 0);
	REQUIRE((o = core_find(&c, 8)) != NULL &&
	        strcmp(str(o, "cause"), "cancelled") == 0);
	REQUIRE(c.busy[1] == 0);

	/* A desired state without "jobs", or with a bad one, changes
	 * nothing. */
	REQUIRE(core_apply(&c, 10, "{}") == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(ended == 1);
	core_find(&c, 8);
	jobtable_report_done(c.js, 1);
	if ((d = json_pack("{s:i}", "version", 11)) == NULL)
		goto fail;
	{
		struct desired des;
		char err[128];

		REQUIRE(wire_desired_decode(d, &des, err, sizeof(err)) == 0);
		jobtable_apply(c.js, &des);
		wire_desired_free(&des);
	}
	jobtable_count(c.js, &running, &ended);
	REQUIRE(ended == 1);
	REQUIRE(core_apply(&c, 12, "[]") == 0);
	jobtable_count(c.js, &running, &ended);
	REQUIRE(ended == 0);
	rc = 0;
fail:
	json_decref(d);
	json_decref(c.report);
	jobtable_free(c.js);
	if (c.base != NULL)
		event_base_free(c.base);
	agentconf_free(&conf);
	return rc;
}

/* The cases: a name for the report, and the function (0 pass, -1 fail). */
static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
    {"desired entries parsed or refused", t_entry_parse},
    {"desired entry fields and defaults", t_entry_fields},
    {"desired entry caps", t_entry_caps},
    {"simulated durations", t_sim_duration},
    {"job environment", t_env},
    {"output patterns", t_patterns},
    {"status files", t_status},
    {"pid files", t_pids},
    {"state_dir records: exactly once, tombstones", t_jobdir_once},
    {"state_dir names", t_jobdir_names},
    {"core converges, never starts twice", t_core},
};

int
main(void)
{
	size_t i;

	log_init("agent_jobs_test", LOG_LVL_ERROR);
	for (i = 0; i < NELEM(cases); i++)
		RUN_CASE(cases[i].name, cases[i].fn());
	return check_summary("agent_jobs_test");
}
