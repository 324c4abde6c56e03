/*
 * cmdproc: vendor tools as children of the plugin's I/O thread
 * (cmdproc.h).
 *
 * Why clone() and not fork(): pod-agentd reaps its job shepherds with
 * waitpid(-1, WNOHANG) on SIGCHLD, which would reap a tool too and steal
 * its exit status, and wake the agent's loop for nothing. A child made by
 * clone() with no exit signal is a "clone child": it sends no SIGCHLD and
 * waitpid(-1) without __WALL passes over it, so only this module, waiting
 * on its pid with __WALL, reaps it. Between clone() and execve() the child
 * runs only async-signal-safe system calls on what the parent prepared
 * (the argument and environment vectors, the resolved path), since another
 * thread of the agent may have held any lock at the clone. Signals are
 * blocked across the clone, so that no handler of the agent's runs in the
 * child, whose dispositions go back to the defaults before execve.
 * An execve() that fails sends its errno back over a close-on-exec pipe,
 * so "No such file or directory" is said as such, not as an exit status.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pod/plugin_util.h>

#include "cmdproc.h"

#define CMDPROC_WAIT_STEP_MS 5 /* between looks at a dying child */

int
cmdproc_split(
    const char *line, struct cmdproc_argv *a, char *err, size_t errlen)
{
	const char *p = line;
	size_t o = 0;
	int quoted;

	memset(a, 0, sizeof(*a));
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (a->argc == CMDPROC_ARGS_MAX) {
			snprintf(err, errlen, "more than %d words",
			    CMDPROC_ARGS_MAX);
			return -1;
		}
		a->argv[a->argc++] = a->buf + o;
		quoted = 0;
		while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
			if (*p == '"') {
				quoted = !quoted;
				p++;
				continue;
			}
			if (quoted && *p == '\\' &&
			    (p[1] == '"' || p[1] == '\\'))
				p++;
			if (o + 1 >= sizeof(a->buf))
				goto toolong;
			a->buf[o++] = *p++;
		}
		if (quoted) {
			snprintf(err, errlen, "a double quote is not closed");
			return -1;
		}
		if (o + 1 >= sizeof(a->buf))
			goto toolong;
		a->buf[o++] = '\0';
	}
	if (a->argc == 0) {
		snprintf(err, errlen, "no command");
		return -1;
	}
	a->argv[a->argc] = NULL;
	return 0;
toolong:
	snprintf(
	    err, errlen, "longer than %d characters", CMDPROC_LINE_MAX - 1);
	return -1;
}

/* The executable for name: itself when it has a slash, else the first
 * executable file of that name in envp's PATH. */
static int
cmdproc_resolve(const char *name, char *const envp[], char *out, size_t len)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	                   "/sbin:/bin";
	const char *p, *colon;
	size_t n;
	int i, r;

	if (strchr(name, '/') != NULL) {
		r = snprintf(out, len, "%s", name);
		return r < 0 || (size_t)r >= len ? -1 : 0;
	}
	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	for (p = path; *p != '\0'; p = *colon ? colon + 1 : colon) {
		colon = strchr(p, ':');
		if (colon == NULL)
			colon = p + strlen(p);
		n = (size_t)(colon - p);
		if (n == 0)
			continue;
		r = snprintf(out, len, "%.*s/%s", (int)n, p, name);
		if (r > 0 && (size_t)r < len && access(out, X_OK) == 0)
			return 0;
	}
	errno = ENOENT;
	return -1;
}

/* In the child: fd onto target, close-on-exec off. */
static int
cmdproc_onto(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) == -1 ? -1 : 0;
}

/* In the child, after clone(): async-signal-safe calls only. */
static void __attribute__((noreturn))
cmdproc_child(const char *path, char *const argv[], char *const envp[], int in,
    int out, int errfd, int report)
{
	struct sigaction dfl;
	sigset_t none;
	int sig, e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	(void)setpgid(0, 0);
	if (cmdproc_onto(in, 0) == -1 || cmdproc_onto(out, 1) == -1 ||
	    cmdproc_onto(errfd, 2) == -1)
		goto fail;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
fail:
	e = errno;
	while (write(report, &e, sizeof(e)) == -1 && errno == EINTR)
		;
	_exit(127);
}

static void
cmdproc_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int
cmdproc_start(struct cmdproc *p, char *const argv[], char *const envp[],
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
	int in = -1, e = 0, st;
	sigset_t all, old;
	ssize_t r;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->out_fd = p->err_fd = -1;
	if (cmdproc_resolve(argv[0], envp, path, sizeof(path)) == -1) {
		snprintf(
		    err, errlen, "cannot run %s: not found in PATH", argv[0]);
		return -1;
	}
	if ((in = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1 ||
	    pipe2(out, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1 ||
	    pipe2(rep, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "cannot run %s: pipe: %s", argv[0],
		    strerror(errno));
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* Flags 0: a copy of this process, like fork(), that sends no
	 * signal when it ends (see the top of the file). */
	pid = (pid_t)syscall(SYS_clone, 0UL, NULL, NULL, NULL, NULL);
	if (pid == 0)
		cmdproc_child(path, argv, envp, in, out[1], errp[1], rep[1]);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		snprintf(err, errlen, "cannot run %s: clone: %s", argv[0],
		    strerror(e));
		goto fail;
	}
	cmdproc_close(&in);
	cmdproc_close(&out[1]);
	cmdproc_close(&errp[1]);
	cmdproc_close(&rep[1]);
	/* EOF: execve() worked and closed the report pipe. */
	while ((r = read(rep[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	cmdproc_close(&rep[0]);
	if (r == (ssize_t)sizeof(e)) {
		while (waitpid(pid, &st, __WALL) == -1 && errno == EINTR)
			;
		snprintf(err, errlen, "cannot run %s: %s", path, strerror(e));
		goto fail;
	}
	(void)setpgid(pid, pid); /* the child did, or will; no race on kill */
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	p->pid = pid;
	p->out_fd = out[0];
	p->err_fd = errp[0];
	return 0;
fail:
	cmdproc_close(&in);
	cmdproc_close(&out[0]);
	cmdproc_close(&out[1]);
	cmdproc_close(&errp[0]);
	cmdproc_close(&errp[1]);
	cmdproc_close(&rep[0]);
	cmdproc_close(&rep[1]);
	return -1;
}

int
cmdproc_drain_err(struct cmdproc *p)
{
	char buf[512];
	ssize_t r;
	size_t i;

	if (p->err_fd < 0)
		return 1;
	while ((r = read(p->err_fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)r && !p->errdone; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				if (p->errlen > 0)
					p->errdone = 1;
				continue;
			}
			if (p->errlen + 1 < sizeof(p->errline) &&
			    (unsigned char)buf[i] >= ' ')
				p->errline[p->errlen++] = buf[i];
		}
		p->errline[p->errlen] = '\0';
	}
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
		cmdproc_close(&p->err_fd);
		return 1;
	}
	return 0;
}

/* waitpid() for up to ms; 1 reaped (*st set), 0 still there, -1 error. */
static int
cmdproc_wait(pid_t pid, int ms, int *st)
{
	int64_t until = pod_clock_ms(CLOCK_MONOTONIC) + ms;
	struct timespec step = {0, CMDPROC_WAIT_STEP_MS * 1000000L};
	pid_t r;

	for (;;) {
		r = waitpid(pid, st, WNOHANG | __WALL);
		if (r == pid)
			return 1;
		if (r == -1 && errno != EINTR)
			return -1;
		if (pod_clock_ms(CLOCK_MONOTONIC) >= until)
			return 0;
		nanosleep(&step, NULL);
	}
}

int
cmdproc_end(struct cmdproc *p, int kill_it, int grace_ms,
    struct cmdproc_lost *lost, struct cmdproc_status *st)
{
	struct cmdproc_status dummy;
	int ws = 0, r = -1, i;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	st->timedout = kill_it;
	if (p->pid <= 0)
		goto done;
	if (kill_it) {
		kill(-p->pid, SIGTERM);
		kill(p->pid, SIGTERM);
		r = cmdproc_wait(p->pid, grace_ms, &ws);
		if (r == 0) {
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			r = cmdproc_wait(p->pid, grace_ms, &ws);
		}
	} else {
		r = cmdproc_wait(p->pid, grace_ms, &ws);
		if (r == 0) {
			/* Closed its output and lingers: no more waiting. */
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			st->timedout = 1;
			r = cmdproc_wait(p->pid, grace_ms, &ws);
		}
	}
	/* The group's other members, if any, go with it. */
	if (r == 1)
		kill(-p->pid, SIGKILL);
	if (r == 0 && lost != NULL) {
		for (i = 0; i < CMDPROC_REAP_MAX; i++)
			if (lost->pid[i] == 0) {
				lost->pid[i] = p->pid;
				break;
			}
	}
	p->pid = 0;
	if (r == 1) {
		if (WIFEXITED(ws)) {
			st->exited = 1;
			st->code = WEXITSTATUS(ws);
		} else if (WIFSIGNALED(ws)) {
			st->code = WTERMSIG(ws);
		}
	}
done:
	if (p->err_fd >= 0)
		cmdproc_drain_err(p);
	cmdproc_close(&p->out_fd);
	cmdproc_close(&p->err_fd);
	return r == 1 ? 0 : -1;
}

int
cmdproc_reap_lost(struct cmdproc_lost *lost)
{
	int i, st, left = 0;
	pid_t r;

	for (i = 0; i < CMDPROC_REAP_MAX; i++) {
		if (lost->pid[i] == 0)
			continue;
		r = waitpid(lost->pid[i], &st, WNOHANG | __WALL);
		if (r == lost->pid[i] || (r == -1 && errno == ECHILD))
			lost->pid[i] = 0;
		else
			left++;
	}
	return left;
}

void
cmdproc_status_text(const struct cmdproc_status *st, char *buf, size_t len)
{
	if (st->exited)
		snprintf(buf, len, "exited with status %d", st->code);
	else if (st->code > 0)
		snprintf(buf, len, "killed by signal %d (%s)", st->code,
		    strsignal(st->code));
	else
		snprintf(buf, len, "ended, status unknown");
}
