/*
 * The shepherd: see shepherd.h. Everything the shepherd and the job's
 * child need (paths, argv, envp) is prepared in the agent before the
 * fork; after it, only system calls.
 *
 * The child tells the shepherd two things over a pipe that is closed on
 * exec, each a fixed-size record: "I have my own session" (the shepherd
 * then writes the pid file, so the agent never signals a process group that
 * does not exist yet) and, if it gets that far, "step S failed with errno
 * E". End of file without the second record means the exec happened.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "jobdir.h"
#include "log.h"
#include "shepherd.h"
#include "timeutil.h"

/* What the job's child sends its shepherd. */
struct shepherd_msg {
	int kind; /* SHEPHERD_MSG_* */
	int step; /* enum job_step, for an error */
	int errnum;
};
#define SHEPHERD_MSG_SESSION 1 /* the job has its own session */
#define SHEPHERD_MSG_ERROR   2 /* a launch step failed */

/* Paths made before the fork. */
struct shepherd_paths {
	char lease[PATH_MAX]; /* "": no fencing */
	char stop[PATH_MAX];
	char stop_tmp[PATH_MAX];
	int kill_grace_s;
	char dir[PATH_MAX];
	char log[PATH_MAX];
	char pids[PATH_MAX];
	char pids_tmp[PATH_MAX];
	char status[PATH_MAX];
	char status_tmp[PATH_MAX];
};

/* Signals a shepherd ignores: those that stop an agent or follow it from a
 * terminal. */
static const int shepherd_ignored[] = {
    SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};

/* Every catchable signal to `how` (SIG_DFL or SIG_IGN). */
static void
signals_all(void (*how)(int))
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = how;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
}

static void
signals_unblock(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replaces `path` by `text` through `tmp`; `sync` adds the fsyncs that make
 * it survive a crash. Errors are ignored: nobody is left to tell. */
static void
put_file(const char *tmp, const char *path, const char *dir, const char *text,
    size_t len, int sync)
{
	int fd;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return;
	if (write_full(fd, text, len) == -1 || (sync && fsync(fd) == -1)) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		return;
	}
	if (sync &&
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

static void
child_fail(int fd, enum job_step step, int errnum)
{
	struct shepherd_msg m = {SHEPHERD_MSG_ERROR, (int)step, errnum};

	write_full(fd, &m, sizeof(m));
	_exit(127);
}

/* Becomes the job's user: groups, then gid, then uid (after setuid the
 * others are no longer ours to change), each checked, and then checked
 * again from the other side: a uid that could be taken back would be no
 * drop at all. 0, or -1 with errno. */
static int
drop_ids(const struct shepherd_args *a)
{
	if (setgroups((size_t)a->ngroups, a->groups) == -1 ||
	    setgid(a->gid) == -1 || setuid(a->uid) == -1)
		return -1;
	if (getuid() != a->uid || geteuid() != a->uid || getgid() != a->gid ||
	    getegid() != a->gid || (a->uid != 0 && setuid(0) != -1)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Opens `path` for appending, as whoever this process is by now, and puts
 * it on descriptor to1, and on to2 unless that is -1. 0, or -1 with
 * errno. */
static int
open_output(const char *path, int to1, int to2)
{
	int fd;

	if ((fd = open(
	         path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666)) == -1)
		return -1;
	if (dup2(fd, to1) == -1 || (to2 != -1 && dup2(fd, to2) == -1))
		return -1;
	close(fd);
	return 0;
}

/* The job's side of the second fork. */
static _Noreturn void
child_main(const struct shepherd_args *a, int fd)
{
	extern char **environ;
	struct shepherd_msg m = {SHEPHERD_MSG_SESSION, 0, 0};

	signals_all(SIG_DFL);
	signals_unblock();
	if (setsid() == -1)
		child_fail(fd, JOB_STEP_SETSID, errno);
	write_full(fd, &m, sizeof(m));
	if (a->setids && drop_ids(a) == -1)
		child_fail(fd, JOB_STEP_USER, errno);
	if (chdir(a->workdir) == -1)
		child_fail(fd, JOB_STEP_WORKDIR, errno);
	/* Whatever the agent was started with, a job starts with the usual
	 * umask: its files readable by all, writable by its user. */
	umask(022);
	if (a->out != NULL &&
	    open_output(a->out, 1, a->err == NULL ? 2 : -1) == -1)
		child_fail(fd, JOB_STEP_STDOUT, errno);
	if (a->err != NULL && open_output(a->err, 2, -1) == -1)
		child_fail(fd, JOB_STEP_STDERR, errno);
	/* execvp searches the job's PATH, not the agent's. */
	environ = (char **)a->envp;
	execvp(a->argv[0], a->argv);
	child_fail(fd, JOB_STEP_EXEC, errno);
	_exit(127);
}

/* Copies a prepared failure text into the end's message.
 * Async-signal-safe. */
static void
set_message(struct job_end *end, const char *msg)
{
	size_t i;

	for (i = 0;
	     msg != NULL && msg[i] != '\0' && i < sizeof(end->message) - 1; i++)
		end->message[i] = msg[i];
	end->message[i] = '\0';
}

/* stdin from /dev/null, stdout and stderr to output.log, nothing else
 * open. output.log is the job's output when it names no file of its own:
 * its user's alone (mode 0600, given to the user when the job runs as
 * another), as a file the job made itself would be. 0, or -1 with
 * errno. */
static int
setup_fds(const struct shepherd_args *a, const struct shepherd_paths *p)
{
	int fd;

	if ((fd = open("/dev/null", O_RDONLY)) == -1)
		return -1;
	if (fd != 0 && (dup2(fd, 0) == -1 || close(fd) == -1))
		return -1;
	if ((fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1)
		return -1;
	if (a->setids && a->out == NULL && fchown(fd, a->uid, a->gid) == -1)
		return -1;
	if (dup2(fd, 1) == -1 || dup2(fd, 2) == -1)
		return -1;
	if (fd > 2)
		close(fd);
	/* The agent's sockets, its epoll and its signal pipe are not ours
	 * to keep open, least of all a listening socket a restarted agent
	 * wants back. */
	close_range(3, ~0U, 0);
	return 0;
}

/* The lease file's monotonic ms; 0 when it cannot be read (no fencing:
 * an agent that never wrote one has not been confirmed either, but then
 * it never started a job from a desired state). Async-signal-safe. */
static int64_t
lease_ms(const char *path)
{
	char text[32];
	int64_t v = 0;
	ssize_t n, i;
	int fd;

	if (path[0] == '\0' || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, text, sizeof(text));
	close(fd);
	for (i = 0; i < n && text[i] >= '0' && text[i] <= '9'; i++)
		v = v * 10 + (text[i] - '0');
	return v;
}

/*
 * Waits for the job, fencing it when the agent's lease passes: SIGTERM to
 * its group and "fenced" recorded, SIGKILL kill_grace_s later. Polls
 * twice a second, which the controller's fence margin covers.
 */
static pid_t
wait_fenced(const struct shepherd_paths *p, pid_t child, int session, int *st)
{
	const struct timespec half = {0, 500000000};
	int64_t until, now, term_ms = 0;
	pid_t w;

	for (;;) {
		w = waitpid(child, st, WNOHANG);
		if (w == -1 && errno == EINTR)
			continue;
		if (w != 0)
			return w;
		now = time_mono_ms();
		if (session && term_ms == 0 &&
		    (until = lease_ms(p->lease)) > 0 && now > until) {
			put_file(
			    p->stop_tmp, p->stop, p->dir, "fenced\n", 7, 1);
			kill(-child, SIGTERM);
			term_ms = now;
		} else if (term_ms > 0 &&
		           now - term_ms >= (int64_t)p->kill_grace_s * 1000) {
			kill(-child, SIGKILL);
		}
		nanosleep(&half, NULL);
	}
}

static _Noreturn void
shepherd_main(const struct shepherd_args *a, const struct shepherd_paths *p)
{
	const int *sig;
	struct job_end end;
	struct shepherd_msg m;
	char text[JOB_STATUS_MAX];
	pid_t child = -1, w;
	ssize_t n;
	size_t len;
	int fds[2], st, session = 0;

	setsid();
	prctl(PR_SET_NAME, "pod-shepherd", 0, 0, 0);
	signals_all(SIG_DFL);
	for (sig = shepherd_ignored;
	     sig < shepherd_ignored +
	               sizeof(shepherd_ignored) / sizeof(shepherd_ignored[0]);
	     sig++)
		signal(*sig, SIG_IGN);
	signals_unblock();
	memset(&end, 0, sizeof(end));
	end.exit_code = -1;
	end.cause = JOB_CAUSE_EXIT;
	if (chdir(p->dir) == -1)
		end.err_step = JOB_STEP_CHDIR;
	else if (setup_fds(a, p) == -1)
		end.err_step = JOB_STEP_OUTPUT;
	if (end.err_step != JOB_STEP_NONE) {
		end.cause = JOB_CAUSE_LAUNCH_ERROR;
		end.err_errno = errno;
		close_range(3, ~0U, 0);
		goto done;
	}
	if (pipe2(fds, O_CLOEXEC) == -1 || (child = fork()) == -1) {
		end.cause = JOB_CAUSE_LAUNCH_ERROR;
		end.err_step = JOB_STEP_FORK;
		end.err_errno = errno;
		goto done;
	}
	if (child == 0) {
		close(fds[0]);
		child_main(a, fds[1]);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], &m, sizeof(m));
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(m))
			break;
		if (m.kind == SHEPHERD_MSG_SESSION && !session) {
			session = 1;
			len = job_pids_format(
			    getpid(), child, text, sizeof(text));
			put_file(p->pids_tmp, p->pids, p->dir, text, len, 0);
		} else if (m.kind == SHEPHERD_MSG_ERROR) {
			end.cause = JOB_CAUSE_LAUNCH_ERROR;
			end.err_step = (enum job_step)m.step;
			end.err_errno = m.errnum;
			if (m.step > JOB_STEP_NONE && m.step < JOB_NSTEPS)
				set_message(&end, a->fail_msg[m.step]);
		}
	}
	close(fds[0]);
	w = wait_fenced(p, child, session, &st);
	/* What the job started in its group ends with it. */
	if (session)
		kill(-child, SIGKILL);
	if (w == child && end.cause != JOB_CAUSE_LAUNCH_ERROR) {
		if (WIFEXITED(st))
			end.exit_code = WEXITSTATUS(st);
		else if (WIFSIGNALED(st))
			end.signal = WTERMSIG(st);
	}
done:
	end.ended_ms = time_wall_ms();
	if ((len = job_end_format(&end, text, sizeof(text))) > 0)
		put_file(p->status_tmp, p->status, p->dir, text, len, 1);
	_exit(0);
}

/* Every path a shepherd writes, made before the fork. 0, or -1 when one
 * does not fit. */
static int
make_paths(const char *dir, struct shepherd_paths *p)
{
	const struct {
		char *buf;        /* PATH_MAX bytes in p */
		const char *file; /* in the job's directory */
	} v[] = {
	    {p->log, JOBDIR_LOG},
	    {p->pids, JOBDIR_PIDS},
	    {p->pids_tmp, JOBDIR_PIDS ".tmp"},
	    {p->status, JOBDIR_STATUS},
	    {p->status_tmp, JOBDIR_STATUS ".tmp"},
	};
	size_t i;

	if ((size_t)snprintf(p->dir, sizeof(p->dir), "%s", dir) >=
	        sizeof(p->dir) ||
	    (size_t)snprintf(p->stop, sizeof(p->stop), "%s/%s", dir,
	        JOBDIR_STOP) >= sizeof(p->stop) ||
	    (size_t)snprintf(p->stop_tmp, sizeof(p->stop_tmp), "%s/%s.tmp", dir,
	        JOBDIR_STOP) >= sizeof(p->stop_tmp))
		return -1;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if ((size_t)snprintf(v[i].buf, PATH_MAX, "%s/%s", dir,
		        v[i].file) >= PATH_MAX)
			return -1;
	return 0;
}

pid_t
shepherd_spawn(const struct shepherd_args *a)
{
	struct shepherd_paths p;
	sigset_t all, old;
	pid_t pid;
	int saved;

	if (make_paths(a->dir, &p) == -1 ||
	    (size_t)snprintf(p.lease, sizeof(p.lease), "%s",
	        a->lease ? a->lease : "") >= sizeof(p.lease)) {
		log_warnx("%s: %s: path too long", __func__, a->dir);
		return -1;
	}
	p.kill_grace_s = a->kill_grace_s;
	/* No signal handler of the agent may run in the shepherd before it
	 * has reset them all. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		shepherd_main(a, &p);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		errno = saved;
		log_warn("%s: fork", __func__);
	}
	return pid;
}
