/*
 * The process runner of pod-agentd: see runner.h. Attempts live in
 * state_dir/jobs/ID.ATTEMPT/ (jobdir.h) and run under shepherds
 * (shepherd.h), so everything this file knows about a job it can learn
 * again from those files after a restart.
 *
 * Ends are found without blocking, in two ways. SIGCHLD (through
 * libevent) reaps and pokes the core for the shepherds this process
 * forked; every poll, on a poke or a tick, reads the status file and asks
 * whether the shepherd is still there, which is all there is to know of a
 * shepherd adopted from an earlier agent (not our child): kill(pid, 0), and
 * its working directory, since after a reboot or a long time the pid may be
 * some other process's, and a zombie has none.
 *
 * The reaping is waitpid(-1): pod-agentd has no children but shepherds,
 * and after a SIGHUP reload the shepherds the previous runner forked are
 * still this process's children, known to nobody but their files.
 *
 * A job runs as its user (the entry's `user`), looked up here in the node's
 * user database before the fork, since NSS (files, LDAP, sssd) is no thing
 * for a forked child to call. Everything that can be refused before a
 * process exists is refused here, with the reason the controller shows:
 * an unknown user, root without [jobs] allow_root, another user's job when
 * the agent is not root. The paths the job's child opens are expanded
 * here too; it opens them itself, as the job's user.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "jobdir.h"
#include "jsonx.h"
#include "log.h"
#include "names.h"
#include "runner.h"
#include "shepherd.h"
#include "timeutil.h"
#include "wire.h"

#define PROC_RETRY_MS 20    /* looking again for the job's pid */
#define PROC_START_MS 10000 /* a record without pids: a start cut short */

struct proc {
	struct event_base *base; /* borrowed */
	struct jobdir *jd;
	char lease[PATH_MAX];     /* state_dir/lease */
	char lease_tmp[PATH_MAX]; /* state_dir/lease.tmp */
	char node[NAME_MAX_LEN];  /* for %N and the reasons */
	int allow_root;           /* [jobs] allow_root */
	struct event *sigchld;
	runner_poke_cb poke;
	void *arg;
	int64_t *claim_id;  /* claims not yet synced: ids, */
	int *claim_attempt; /* their attempts, */
	int nclaims;        /* how many, */
	int claims_cap;     /* room in both */
};

/* A job's state in this runner, j->rp. */
struct proc_job {
	struct proc *p;
	char *dir;           /* the attempt's directory */
	pid_t shepherd;      /* 0 while unknown */
	int forked;          /* this process forked it: it is our child */
	int pending_sig;     /* to send once the job's pid is known; 0 */
	struct event *retry; /* delivers pending_sig */
};

static void
on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct proc *p = arg;
	int st;

	while (waitpid(-1, &st, WNOHANG) > 0)
		;
	p->poke(p->arg);
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct proc_job *pj = arg;

	pj->p->poke(pj->p->arg);
}

/* j->rp, made on first use. NULL (logged) when out of memory. */
static struct proc_job *
proc_job(struct proc *p, struct job *j)
{
	struct proc_job *pj = j->rp;
	char dir[PATH_MAX];

	if (pj != NULL)
		return pj;
	if (jobdir_path(p->jd, j->spec.id, j->spec.attempt, NULL, dir,
	        sizeof(dir)) == -1) {
		log_warnx("%s: job %lld.%d: path too long", __func__,
		    (long long)j->spec.id, j->spec.attempt);
		return NULL;
	}
	if ((pj = calloc(1, sizeof(*pj))) == NULL ||
	    (pj->dir = strdup(dir)) == NULL ||
	    (pj->retry = evtimer_new(p->base, on_retry, pj)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		if (pj != NULL)
			free(pj->dir);
		free(pj);
		return NULL;
	}
	pj->p = p;
	j->rp = pj;
	return pj;
}

static int
proc_scan(void *ctx, int64_t now_ms,
    void (*cb)(void *arg, int64_t id, int attempt), void *arg)
{
	struct proc *p = ctx;

	return jobdir_scan(p->jd, now_ms, cb, arg);
}

static void
noop_cb(void *arg, int64_t id, int attempt)
{
}

static void
proc_housekeep(void *ctx, int64_t now_ms)
{
	struct proc *p = ctx;

	jobdir_scan(p->jd, now_ms, noop_cb, NULL);
}

/* The log path of j, if the file is there. */
static void
set_log(struct proc_job *pj, struct job *j, int must_exist)
{
	char path[PATH_MAX];

	if (j->log != NULL)
		return;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", pj->dir,
	        JOBDIR_LOG) >= sizeof(path))
		return;
	if (must_exist && access(path, F_OK) == -1)
		return;
	j->log = strdup(path);
}

static void adopt_own_log(struct proc *p, struct job *j);

static int
proc_adopt(void *ctx, struct job *j)
{
	struct proc *p = ctx;
	struct proc_job *pj;
	json_t *rec = NULL;
	int64_t id = j->spec.id, recorded = 0;
	int attempt = j->spec.attempt;
	long long ms;
	char *text = NULL, err[256];
	size_t len;

	if ((pj = proc_job(p, j)) == NULL)
		return -1;
	if (jobdir_read(p->jd, id, attempt, JOBDIR_RECORD, &text, &len) == 1 &&
	    (rec = jsonx_parse(text, len, err, sizeof(err))) != NULL) {
		if (jsonx_integer(rec, "recorded_ms", &ms, err, sizeof(err)) ==
		        1 &&
		    ms > 0)
			recorded = ms;
		/* Accelerators are checked against the protocol's limit
		 * only: the node's count may have changed since. */
		if (job_spec_parse(rec, JOB_MAX_ACCELS, &j->spec, err,
		        sizeof(err)) == -1) {
			log_debug("%s: job %lld.%d: record: %s", __func__,
			    (long long)id, attempt, err);
			job_spec_clear(&j->spec);
		}
		j->spec.id = id;
		j->spec.attempt = attempt;
	}
	free(text);
	json_decref(rec);
	j->started_ms = recorded;
	if (jobdir_read(p->jd, id, attempt, JOBDIR_STOP, &text, &len) == 1) {
		text[strcspn(text, "\n")] = '\0';
		j->stop_cause = job_cause_parse(text);
		if (j->stop_cause != JOB_CAUSE_CANCELLED &&
		    j->stop_cause != JOB_CAUSE_TIMEOUT &&
		    j->stop_cause != JOB_CAUSE_FENCED)
			j->stop_cause = JOB_CAUSE_NONE;
		free(text);
	}
	adopt_own_log(p, j);
	set_log(pj, j, 1);
	return 0;
}

/* Room for more unsynced claims. 0, or -1 (logged). */
static int
claims_grow(struct proc *p)
{
	int cap = p->claims_cap ? 2 * p->claims_cap : 16;
	int64_t *id;
	int *att;

	if ((id = realloc(p->claim_id, cap * sizeof(*id))) == NULL) {
		log_warn("%s: realloc", __func__);
		return -1;
	}
	p->claim_id = id;
	if ((att = realloc(p->claim_attempt, cap * sizeof(*att))) == NULL) {
		log_warn("%s: realloc", __func__);
		return -1;
	}
	p->claim_attempt = att;
	p->claims_cap = cap;
	return 0;
}

static int
proc_claim(void *ctx, struct job *j)
{
	struct proc *p = ctx;
	json_t *rec;
	char *text;
	int rc;

	if ((rec = wire_desired_job_json(&j->spec)) == NULL ||
	    json_object_set_new(
	        rec, "recorded_ms", json_integer(j->started_ms)) == -1 ||
	    (text = json_dumps(rec, JSON_COMPACT)) == NULL) {
		log_warnx("%s: out of memory", __func__);
		json_decref(rec);
		return -1;
	}
	json_decref(rec);
	if (p->nclaims == p->claims_cap && claims_grow(p) == -1) {
		free(text);
		return -1;
	}
	rc = jobdir_claim_lazy(
	    p->jd, j->spec.id, j->spec.attempt, text, strlen(text));
	free(text);
	if (rc == 1) {
		p->claim_id[p->nclaims] = j->spec.id;
		p->claim_attempt[p->nclaims++] = j->spec.attempt;
	}
	return rc;
}

static int
proc_commit(void *ctx)
{
	struct proc *p = ctx;
	int rc;

	rc = jobdir_sync_claims(
	    p->jd, p->claim_id, p->claim_attempt, p->nclaims);
	p->nclaims = 0;
	return rc;
}

/*
 * The job's user from the node's user database, with its groups, as this
 * agent may run it. 0, or -1 with the reason in err.
 */
static int
user_lookup(struct proc *p, const char *name, struct job_user *u, char *err,
    size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int n = JOB_MAX_GROUPS, rc;

	if (name == NULL || name[0] == '\0') {
		snprintf(err, errlen, "the job names no user to run as");
		return -1;
	}
	if ((rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res)) != 0) {
		snprintf(err, errlen, "cannot look up user '%s' on %s: %s",
		    name, p->node, strerror(rc));
		return -1;
	}
	if (res == NULL) {
		snprintf(
		    err, errlen, "user '%s' is not known on %s", name, p->node);
		return -1;
	}
	if (pw.pw_uid == 0 && !p->allow_root) {
		snprintf(err, errlen,
		    "jobs may not run as root on %s ([jobs] allow_root is "
		    "false)",
		    p->node);
		return -1;
	}
	if (geteuid() != 0 && geteuid() != pw.pw_uid) {
		snprintf(err, errlen,
		    "pod-agentd on %s is not root (uid %ld): it runs jobs "
		    "only as its own user, not as '%s'",
		    p->node, (long)geteuid(), name);
		return -1;
	}
	if (strlen(pw.pw_dir) >= sizeof(u->home) ||
	    strlen(pw.pw_shell) >= sizeof(u->shell)) {
		snprintf(err, errlen,
		    "user '%s' on %s: home or shell path too long", name,
		    p->node);
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	snprintf(u->home, sizeof(u->home), "%s", pw.pw_dir);
	snprintf(u->shell, sizeof(u->shell), "%s", pw.pw_shell);
	if (getgrouplist(name, pw.pw_gid, u->groups, &n) == -1) {
		snprintf(err, errlen,
		    "user '%s' on %s is in more than %d groups", name, p->node,
		    JOB_MAX_GROUPS);
		return -1;
	}
	u->ngroups = n;
	return 0;
}

/* Where a job starts and writes, in the paths struct the shepherd borrows. */
struct job_paths {
	char workdir[PATH_MAX];
	char out[PATH_MAX]; /* "": output.log */
	char err[PATH_MAX]; /* "": with stdout */
	char msg[JOB_NSTEPS][JOB_MESSAGE_MAX];
};

/*
 * The working directory (the entry's chdir, relative to the user's home;
 * default the home) and the output files (relative to the working
 * directory, so they are opened after the chdir). 0, or -1 with why.
 */
static int
job_paths_make(struct proc *p, const struct desired_job *s,
    const struct job_user *u, struct job_paths *jp, char *err, size_t errlen)
{
	const char *wd = s->workdir ? s->workdir : "";

	memset(jp, 0, sizeof(*jp));
	if (wd[0] == '\0')
		wd = u->home;
	if ((wd[0] == '/' ? snprintf(jp->workdir, sizeof(jp->workdir), "%s", wd)
	                  : snprintf(jp->workdir, sizeof(jp->workdir), "%s/%s",
	                        u->home, wd)) >= (int)sizeof(jp->workdir) ||
	    (s->output && s->output[0] &&
	        job_pattern_expand(s->output, s, u->name, p->node, jp->out,
	            sizeof(jp->out)) == -1) ||
	    (s->errout && s->errout[0] &&
	        job_pattern_expand(s->errout, s, u->name, p->node, jp->err,
	            sizeof(jp->err)) == -1)) {
		snprintf(err, errlen, "the job's paths are too long");
		return -1;
	}
	snprintf(jp->msg[JOB_STEP_USER], JOB_MESSAGE_MAX,
	    "cannot become user '%s' (uid %ld) on %s", u->name, (long)u->uid,
	    p->node);
	/* Paths cut to fit beside the errno's text in a message. */
	snprintf(jp->msg[JOB_STEP_WORKDIR], JOB_MESSAGE_MAX,
	    "user '%s' cannot enter the working directory '%.120s'", u->name,
	    jp->workdir);
	snprintf(jp->msg[JOB_STEP_STDOUT], JOB_MESSAGE_MAX,
	    "user '%s' cannot open the output file '%.120s'", u->name, jp->out);
	snprintf(jp->msg[JOB_STEP_STDERR], JOB_MESSAGE_MAX,
	    "user '%s' cannot open the error file '%.120s'", u->name, jp->err);
	return 0;
}

/* Sets j->log to the job's own stdout file, absolute, when it has one:
 * the log the controller shows. */
static void
set_own_log(struct job *j, const struct job_paths *jp)
{
	char path[PATH_MAX];

	if (j->log != NULL || jp->out[0] == '\0')
		return;
	if ((size_t)snprintf(path, sizeof(path), "%s%s%s",
	        jp->out[0] == '/' ? "" : jp->workdir,
	        jp->out[0] == '/' ? "" : "/", jp->out) < sizeof(path))
		j->log = strdup(path);
}

/* For an attempt adopted from an earlier agent: its own stdout file, as
 * proc_start() named it, if its user can still be looked up. */
static void
adopt_own_log(struct proc *p, struct job *j)
{
	struct job_user *u;
	struct job_paths *jp;
	char err[JOB_MESSAGE_MAX];

	if (j->spec.output == NULL || j->spec.output[0] == '\0')
		return;
	u = calloc(1, sizeof(*u));
	jp = calloc(1, sizeof(*jp));
	if (u != NULL && jp != NULL &&
	    user_lookup(p, j->spec.user, u, err, sizeof(err)) == 0 &&
	    job_paths_make(p, &j->spec, u, jp, err, sizeof(err)) == 0)
		set_own_log(j, jp);
	free(jp);
	free(u);
}

static int
proc_start(void *ctx, struct job *j, char *err, size_t errlen)
{
	struct proc *p = ctx;
	struct shepherd_args args;
	struct timeval tv = {0, PROC_RETRY_MS * 1000};
	struct proc_job *pj;
	struct job_user *u = NULL;
	struct job_paths *jp = NULL;
	char **env = NULL;
	pid_t pid;
	int i;

	if ((pj = proc_job(p, j)) == NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL ||
	    (jp = calloc(1, sizeof(*jp))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (user_lookup(p, j->spec.user, u, err, errlen) == -1 ||
	    job_paths_make(p, &j->spec, u, jp, err, errlen) == -1)
		goto fail;
	if ((env = job_env_build(&j->spec, u, getenv("LANG"))) == NULL) {
		snprintf(err, errlen, "cannot build the environment");
		goto fail;
	}
	memset(&args, 0, sizeof(args));
	args.dir = pj->dir;
	args.argv = j->spec.argv;
	args.envp = env;
	args.lease = p->lease;
	args.kill_grace_s = (int)j->spec.kill_grace_s;
	args.setids = geteuid() == 0;
	args.uid = u->uid;
	args.gid = u->gid;
	args.groups = u->groups;
	args.ngroups = u->ngroups;
	args.workdir = jp->workdir;
	args.out = jp->out[0] ? jp->out : NULL;
	args.err = jp->err[0] ? jp->err : NULL;
	for (i = JOB_STEP_USER; i < JOB_NSTEPS; i++)
		args.fail_msg[i] = jp->msg[i];
	pid = shepherd_spawn(&args);
	job_env_free(env);
	env = NULL;
	if (pid == -1) {
		snprintf(
		    err, errlen, "cannot fork a shepherd: %s", strerror(errno));
		goto fail;
	}
	pj->shepherd = pid;
	pj->forked = 1;
	set_own_log(j, jp);
	set_log(pj, j, 0);
	evtimer_add(pj->retry, &tv);
	free(jp);
	free(u);
	return 0;
fail:
	job_env_free(env);
	free(jp);
	free(u);
	return -1;
}

static void
deliver(struct proc_job *pj, struct job *j, int sig)
{
	if (kill(-(pid_t)j->pid, sig) == -1 && errno != ESRCH)
		log_warn("job %lld.%d: kill -%d -%ld", (long long)j->spec.id,
		    j->spec.attempt, sig, j->pid);
}

/* Reads the pid file when the pids are not known yet. */
static void
read_pids(struct proc *p, struct proc_job *pj, struct job *j)
{
	pid_t shepherd, job;
	char *text;
	size_t len;

	if (j->pid > 0 || jobdir_read(p->jd, j->spec.id, j->spec.attempt,
	                      JOBDIR_PIDS, &text, &len) != 1)
		return;
	if (job_pids_parse(text, len, &shepherd, &job) == 0) {
		if (pj->shepherd == 0)
			pj->shepherd = shepherd;
		j->pid = job;
		if (pj->pending_sig != 0) {
			deliver(pj, j, pj->pending_sig);
			pj->pending_sig = 0;
		}
	}
	free(text);
}

/* 1 while the shepherd `pid` is alive and is ours. A child this process
 * forked is ours until reaped (it may not have changed to the job's
 * directory yet); an adopted one must be in the job's directory, which
 * guards against a reused pid. */
static int
shepherd_alive(pid_t pid, const char *dir, int forked)
{
	char link[64], cwd[PATH_MAX];
	ssize_t n;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	if (forked)
		return 1;
	snprintf(link, sizeof(link), "/proc/%ld/cwd", (long)pid);
	if ((n = readlink(link, cwd, sizeof(cwd) - 1)) == -1)
		return errno == EACCES || errno == EPERM;
	cwd[n] = '\0';
	return strcmp(cwd, dir) == 0;
}

/* The end of an attempt whose shepherd is gone without a word. */
static void
lost_end(struct job_end *end, const char *why)
{
	memset(end, 0, sizeof(*end));
	end->cause = JOB_CAUSE_EXIT;
	end->exit_code = -1;
	end->ended_ms = time_wall_ms();
	snprintf(end->message, sizeof(end->message), "%s", why);
}

/* Records an end found here, so that the next agent reports the same. */
static void
save_status(struct proc *p, struct job *j, const struct job_end *end)
{
	char text[JOB_STATUS_MAX];
	size_t len;

	if ((len = job_end_format(end, text, sizeof(text))) > 0)
		jobdir_write(p->jd, j->spec.id, j->spec.attempt, JOBDIR_STATUS,
		    text, len);
}

static int
proc_poll(void *ctx, struct job *j, struct job_end *end)
{
	struct proc *p = ctx;
	struct proc_job *pj;
	struct timeval tv = {0, PROC_RETRY_MS * 1000};
	char *text, err[128];
	size_t len;
	int dead = 0, rc;

	if ((pj = proc_job(p, j)) == NULL)
		return 0;
	read_pids(p, pj, j);
	/* Before the status: a shepherd writes it, then exits. */
	if (pj->shepherd > 0)
		dead = !shepherd_alive(pj->shepherd, pj->dir, pj->forked);
	rc = jobdir_read(
	    p->jd, j->spec.id, j->spec.attempt, JOBDIR_STATUS, &text, &len);
	if (rc == 1) {
		if (job_end_parse(text, len, end, err, sizeof(err)) == -1) {
			log_warnx("job %lld.%d: status file: %s",
			    (long long)j->spec.id, j->spec.attempt, err);
			lost_end(end, "the shepherd's status file is "
			              "unreadable");
		}
		free(text);
		job_end_explain(end, j->spec.argv ? j->spec.argv[0] : NULL);
		/* The shepherd fenced it before the agent did. */
		if (j->stop_cause == JOB_CAUSE_NONE &&
		    jobdir_read(p->jd, j->spec.id, j->spec.attempt, JOBDIR_STOP,
		        &text, &len) == 1) {
			if (strncmp(text, "fenced", 6) == 0)
				j->stop_cause = JOB_CAUSE_FENCED;
			free(text);
		}
		return 1;
	}
	if (dead) {
		lost_end(end, "the shepherd ended without recording the "
		              "exit status");
		save_status(p, j, end);
		return 1;
	}
	if (pj->shepherd == 0 &&
	    time_wall_ms() - j->started_ms > PROC_START_MS) {
		lost_end(end, "no shepherd ever started: the agent stopped "
		              "while launching it");
		end->cause = JOB_CAUSE_LAUNCH_ERROR;
		save_status(p, j, end);
		return 1;
	}
	/* Our own shepherd names the job within milliseconds: look again
	 * soon rather than at the next tick, for the pid in the report and
	 * for a signal waiting on it. */
	if (j->pid == 0 || pj->pending_sig != 0)
		evtimer_add(pj->retry, &tv);
	return 0;
}

static void
proc_signal(void *ctx, struct job *j, int sig)
{
	struct proc *p = ctx;
	struct proc_job *pj;
	struct timeval tv = {0, PROC_RETRY_MS * 1000};

	if ((pj = proc_job(p, j)) == NULL)
		return;
	read_pids(p, pj, j);
	if (j->pid > 0) {
		deliver(pj, j, sig);
		return;
	}
	/* The job has no session yet: as soon as it has. SIGKILL wins. */
	if (pj->pending_sig != SIGKILL)
		pj->pending_sig = sig;
	evtimer_add(pj->retry, &tv);
}

static int
proc_lease(void *ctx, int64_t until_ms)
{
	struct proc *p = ctx;
	char text[32];
	int fd, n, rc = -1;

	n = snprintf(text, sizeof(text), "%lld\n", (long long)until_ms);
	if ((fd = open(p->lease_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	         0644)) == -1) {
		log_warn("%s: %s", __func__, p->lease_tmp);
		return -1;
	}
	if (write(fd, text, (size_t)n) != n)
		log_warn("%s: write %s", __func__, p->lease_tmp);
	else if (rename(p->lease_tmp, p->lease) == -1)
		log_warn("%s: rename to %s", __func__, p->lease);
	else
		rc = 0;
	close(fd);
	return rc;
}

static int64_t
proc_lease_get(void *ctx)
{
	struct proc *p = ctx;
	char text[32], *end;
	long long v;
	ssize_t n;
	int fd;

	if ((fd = open(p->lease, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	v = strtoll(text, &end, 10);
	return (end != text && v > 0) ? v : 0;
}

static int
proc_save_stop(void *ctx, struct job *j)
{
	struct proc *p = ctx;
	char text[32];
	int n;

	n = snprintf(text, sizeof(text), "%s\n", job_cause_name(j->stop_cause));
	return jobdir_write(
	    p->jd, j->spec.id, j->spec.attempt, JOBDIR_STOP, text, (size_t)n);
}

static int
proc_save_end(void *ctx, struct job *j)
{
	char text[JOB_STATUS_MAX];
	struct proc *p = ctx;
	size_t len;

	if ((len = job_end_format(&j->end, text, sizeof(text))) == 0)
		return -1;
	return jobdir_write(
	    p->jd, j->spec.id, j->spec.attempt, JOBDIR_STATUS, text, len);
}

static void
proc_forget(void *ctx, struct job *j, int64_t now_ms)
{
	struct proc *p = ctx;

	jobdir_forget(p->jd, j->spec.id, j->spec.attempt, now_ms);
}

static void
proc_release(void *ctx, struct job *j)
{
	struct proc_job *pj = j->rp;

	if (pj == NULL)
		return;
	event_free(pj->retry);
	free(pj->dir);
	free(pj);
	j->rp = NULL;
}

static void
proc_free(void *ctx)
{
	struct proc *p = ctx;

	if (p == NULL)
		return;
	if (p->sigchld != NULL)
		event_free(p->sigchld);
	jobdir_close(p->jd);
	free(p->claim_id);
	free(p->claim_attempt);
	free(p);
}

static const struct runner_ops proc_ops = {
    .scan = proc_scan,
    .adopt = proc_adopt,
    .claim = proc_claim,
    .commit = proc_commit,
    .start = proc_start,
    .poll = proc_poll,
    .signal = proc_signal,
    .save_stop = proc_save_stop,
    .save_end = proc_save_end,
    .forget = proc_forget,
    .housekeep = proc_housekeep,
    .lease = proc_lease,
    .lease_get = proc_lease_get,
    .release = proc_release,
    .free = proc_free,
};

int
runner_proc_new(struct runner *r, struct event_base *base,
    const char *state_dir, const char *node, int allow_root,
    runner_poke_cb poke, void *arg)
{
	struct proc *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	p->base = base;
	snprintf(p->node, sizeof(p->node), "%s", node);
	p->allow_root = allow_root;
	p->poke = poke;
	p->arg = arg;
	if ((p->jd = jobdir_open(state_dir)) == NULL)
		goto fail;
	if ((size_t)snprintf(p->lease, sizeof(p->lease), "%s/lease",
	        state_dir) >= sizeof(p->lease) ||
	    (size_t)snprintf(p->lease_tmp, sizeof(p->lease_tmp), "%s/lease.tmp",
	        state_dir) >= sizeof(p->lease_tmp)) {
		log_warnx("%s: %s: path too long", __func__, state_dir);
		goto fail;
	}
	if ((p->sigchld = evsignal_new(base, SIGCHLD, on_sigchld, p)) == NULL ||
	    evsignal_add(p->sigchld, NULL) == -1) {
		log_warnx("%s: cannot watch SIGCHLD", __func__);
		goto fail;
	}
	r->ops = &proc_ops;
	r->ctx = p;
	r->simulated = 0;
	return 0;
fail:
	proc_free(p);
	return -1;
}
