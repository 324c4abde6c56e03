/*
 * The shepherd: a small process between pod-agentd and one job, so that
 * the job outlives the agent. It is a fork of the agent (no second
 * binary to install or to find), which at once leaves the agent's session,
 * ignores the signals that stop an agent (HUP, INT, QUIT, TERM), closes the
 * agent's descriptors, and forks the job: the job gets a session and process
 * group of its own, then its user's groups, gid and uid (in that order:
 * once the uid is dropped the rest can no longer be changed), the job's
 * working directory, /dev/null as stdin and output.log (appended) as stdout
 * and stderr unless the job names its own files, which the job's child
 * opens as the job's user, after the chdir (relative names are relative to
 * the working directory, and the user's permissions apply). Then the shepherd
 * records both pids, waits, kills whatever the job left behind in its
 * process group, writes how the job ended to the status file (jobdir.h) and
 * exits. While it waits it fences the job (docs/fencing.md): once the
 * agent's lease (a monotonic time in the lease file) has passed, it sends
 * the job's group SIGTERM, records "fenced" as the stop cause, and sends
 * SIGKILL kill_grace_s later, so a job whose agent died does not run on
 * unconfirmed.
 *
 * An exec that fails comes back over a close-on-exec pipe, so it is a
 * launch_error with its errno rather than a mysterious exit 127. Between the
 * fork and its exit the shepherd only makes system calls and uses the
 * async-signal-safe formatters of job.h: the agent may have had threads
 * (libcurl's resolver) when it forked, and their locks are not the
 * shepherd's to take.
 */
#ifndef AGENT_SHEPHERD_H
#define AGENT_SHEPHERD_H

#include <sys/types.h>

#include "job.h"

/* What a shepherd runs; everything borrowed for the call (the shepherd has
 * its own copy after the fork). */
struct shepherd_args {
	const char *dir;   /* the job's directory, absolute */
	char *const *argv; /* the command, NULL-terminated */
	char *const *envp; /* the job's environment, NULL-terminated */
	const char *lease; /* the agent's lease file; NULL: no fencing */
	int kill_grace_s;  /* SIGTERM to SIGKILL when fencing, s */
	int setids;        /* 1: setgroups, setgid, setuid before the exec */
	uid_t uid;         /* the job's user, when setids */
	gid_t gid;
	const gid_t *groups; /* supplementary groups, when setids */
	int ngroups;
	const char *workdir; /* the job's working directory */
	const char *out;     /* stdout file (appended); NULL: output.log */
	const char *err;     /* stderr file (appended); NULL: with stdout */
	/* What the status file says when a step fails (errno's text is
	 * added by job_end_explain()); NULL: job_end_explain()'s own. */
	const char *fail_msg[JOB_NSTEPS];
};

/* Starts a shepherd for the job. Returns its pid, or -1 (logged) when it
 * could not be forked or the paths do not fit. Everything after the fork,
 * failures included, is reported through the files of the job's directory.
 * The caller reaps the shepherd with waitpid(2) when SIGCHLD says so. */
pid_t shepherd_spawn(const struct shepherd_args *a);

#endif
