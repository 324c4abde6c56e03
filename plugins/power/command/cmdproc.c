/*
 * cmdproc: vendor tools as grandchildren of the plugin's I/O thread
 * (cmdproc.h).
 *
 * Why a keeper process between the plugin and the tool: pod-agentd reaps
 * its job shepherds with waitpid(-1, WNOHANG) on SIGCHLD, which would reap
 * a tool too and steal its exit status. So the thread clone()s a keeper
 * with no exit signal: a "clone child", which sends no SIGCHLD and which
 * waitpid(-1) without __WALL passes over; it never calls execve() (which
 * would make its exit signal SIGCHLD again). The keeper starts the tool as
 * its own child, tells the plugin the tool's pid over a pipe, waits for it
 * and sends its wait status over the same pipe, then exits; the plugin
 * reaps the keeper with __WALL. The tool runs in a process group of its
 * own, which the plugin signals at the deadline.
 *
 * The keeper and the tool's child side are copies of a threaded process:
 * between clone() and execve() they make only async-signal-safe system
 * calls on what the parent prepared (vectors, the resolved path), since
 * another thread may have held any lock at the clone. Signals stay blocked
 * in the keeper for its life, so no handler of the agent's runs there; the
 * tool gets default dispositions and an empty mask. The keeper closes
 * every descriptor but its pipe to the plugin; the tool keeps only 0, 1
 * and 2 across execve(). An execve() that fails sends its errno over the
 * same pipe, so "No such file or directory" is said as such.
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

#define CMDPROC_WAIT_STEP_MS 5 /* between looks at a dying keeper */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* What the keeper and the tool's child side tell the plugin. */
enum cmdproc_msgtype {
	CMDPROC_MSG_PID = 'P',  /* value: the tool's pid */
	CMDPROC_MSG_EXEC = 'E', /* value: errno of a failed clone/execve */
	CMDPROC_MSG_WAIT = 'S', /* value: the tool's wait status */
};
struct cmdproc_msg {
	int type;
	int value;
};
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

static void
cmdproc_send(int fd, int type, int value)
{
	struct cmdproc_msg m = {type, value};

	while (write(fd, &m, sizeof(m)) == -1 && errno == EINTR)
		;
}

/* The tool's side, after the keeper's clone(): async-signal-safe calls. */
static void __attribute__((noreturn))
cmdproc_tool(const char *path, char *const argv[], char *const envp[], int in,
    int out, int errfd, int report)
{
	struct sigaction dfl;
	sigset_t none;
	int sig;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &dfl, NULL);
	(void)setpgid(0, 0);
	if (cmdproc_onto(in, 0) == -1 || cmdproc_onto(out, 1) == -1 ||
	    cmdproc_onto(errfd, 2) == -1)
		goto fail;
	/* Whatever the agent left open without close-on-exec stays here. */
	(void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
fail:
	cmdproc_send(report, CMDPROC_MSG_EXEC, errno);
	_exit(127);
}

/* The keeper: starts the tool, says its pid, waits, says its status. */
static void __attribute__((noreturn))
cmdproc_keeper(const char *path, char *const argv[], char *const envp[], int in,
    int out, int errfd, int report)
{
	pid_t tool;
	int st = 0;

	tool = (pid_t)syscall(
	    SYS_clone, (unsigned long)SIGCHLD, NULL, NULL, NULL, NULL);
	if (tool == 0)
		cmdproc_tool(path, argv, envp, in, out, errfd, report);
	if (tool == -1) {
		cmdproc_send(report, CMDPROC_MSG_EXEC, errno);
		_exit(126);
	}
	/* The tool's output ends when the tool (and its children) close it,
	 * not when the keeper does. */
	if (report > 0)
		(void)syscall(SYS_close_range, 0U, (unsigned)report - 1, 0U);
	(void)syscall(SYS_close_range, (unsigned)report + 1, ~0U, 0U);
	cmdproc_send(report, CMDPROC_MSG_PID, (int)tool);
	while (waitpid(tool, &st, 0) == -1 && errno == EINTR)
		;
	cmdproc_send(report, CMDPROC_MSG_WAIT, st);
	_exit(0);
}

static void
cmdproc_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Reads the messages there are; 1 at EOF. */
static int
cmdproc_take_msgs(struct cmdproc *p)
{
	struct cmdproc_msg m;
	ssize_t r;

	while (p->rep_fd >= 0) {
		r = read(p->rep_fd, &m, sizeof(m));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			return 0;
		if (r != (ssize_t)sizeof(m)) {
			cmdproc_close(&p->rep_fd);
			return 1;
		}
		if (m.type == CMDPROC_MSG_PID)
			p->pid = m.value;
		else if (m.type == CMDPROC_MSG_EXEC)
			p->exec_errno = m.value;
		else if (m.type == CMDPROC_MSG_WAIT) {
			p->wstatus = m.value;
			p->waited = 1;
		}
	}
	return 1;
}

int
cmdproc_start(struct cmdproc *p, char *const argv[], char *const envp[],
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	int out[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
	int in = -1, e;
	struct pollfd pfd;
	sigset_t all, old;
	pid_t keeper;

	memset(p, 0, sizeof(*p));
	p->out_fd = p->err_fd = p->rep_fd = -1;
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
	keeper = (pid_t)syscall(SYS_clone, 0UL, NULL, NULL, NULL, NULL);
	if (keeper == 0)
		cmdproc_keeper(path, argv, envp, in, out[1], errp[1], rep[1]);
	e = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (keeper == -1) {
		snprintf(err, errlen, "cannot run %s: clone: %s", argv[0],
		    strerror(e));
		goto fail;
	}
	p->keeper = keeper;
	cmdproc_close(&in);
	cmdproc_close(&out[1]);
	cmdproc_close(&errp[1]);
	cmdproc_close(&rep[1]);
	p->out_fd = out[0];
	p->err_fd = errp[0];
	p->rep_fd = rep[0];
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->rep_fd, F_SETFL, O_NONBLOCK);
	/* The keeper says the tool's pid at once. */
	pfd.fd = p->rep_fd;
	pfd.events = POLLIN;
	while (p->pid == 0 && p->rep_fd >= 0 && poll(&pfd, 1, 1000) != 0)
		cmdproc_take_msgs(p);
	if (p->pid == 0) {
		snprintf(err, errlen, "cannot run %s: %s", argv[0],
		    strerror(p->exec_errno ? p->exec_errno : ECHILD));
		cmdproc_end(p, 1, 100, NULL, NULL);
		return -1;
	}
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

/* Waits up to ms for the keeper's word on the tool's end; 1 when it came
 * (or the keeper is gone), 0 when not yet. */
static int
cmdproc_wait_tool(struct cmdproc *p, int ms)
{
	int64_t until = pod_clock_ms(CLOCK_MONOTONIC) + ms, left;
	struct pollfd pfd;

	for (;;) {
		if (cmdproc_take_msgs(p) || p->waited)
			return 1;
		left = until - pod_clock_ms(CLOCK_MONOTONIC);
		if (left <= 0)
			return 0;
		pfd.fd = p->rep_fd;
		pfd.events = POLLIN;
		poll(&pfd, 1, (int)left);
	}
}

/* waitpid() on the keeper for up to ms; 1 reaped, 0 still there. */
static int
cmdproc_wait_keeper(pid_t pid, int ms)
{
	int64_t until = pod_clock_ms(CLOCK_MONOTONIC) + ms;
	struct timespec step = {0, CMDPROC_WAIT_STEP_MS * 1000000L};
	pid_t r;
	int st;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG | __WALL);
		if (r == pid || (r == -1 && errno == ECHILD))
			return 1;
		if (pod_clock_ms(CLOCK_MONOTONIC) >= until)
			return 0;
		nanosleep(&step, NULL);
	}
}

/* SIGNAL to the tool's process group and the tool. */
static void
cmdproc_signal(const struct cmdproc *p, int sig)
{
	if (p->pid > 0) {
		kill(-p->pid, sig);
		kill(p->pid, sig);
	}
}

int
cmdproc_end(struct cmdproc *p, int kill_it, int grace_ms,
    struct cmdproc_lost *lost, struct cmdproc_status *st)
{
	struct cmdproc_status dummy;
	int done, i;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	st->timedout = kill_it;
	if (p->keeper <= 0)
		goto close;
	if (kill_it)
		cmdproc_signal(p, SIGTERM);
	done = cmdproc_wait_tool(p, grace_ms);
	if (!done) {
		/* Closed its output and lingers, or ignores SIGTERM. */
		st->timedout = 1;
		cmdproc_signal(p, SIGKILL);
		done = cmdproc_wait_tool(p, grace_ms);
	}
	/* What is left of its group goes with it. */
	if (done && p->pid > 0)
		kill(-p->pid, SIGKILL);
	if (p->waited) {
		if (WIFEXITED(p->wstatus)) {
			st->exited = 1;
			st->code = WEXITSTATUS(p->wstatus);
		} else if (WIFSIGNALED(p->wstatus)) {
			st->code = WTERMSIG(p->wstatus);
		}
	}
	st->exec_errno = p->exec_errno;
	if (!cmdproc_wait_keeper(p->keeper, done ? grace_ms : 0) &&
	    lost != NULL) {
		for (i = 0; i < CMDPROC_REAP_MAX; i++)
			if (lost->pid[i] == 0) {
				lost->pid[i] = p->keeper;
				break;
			}
	}
	p->keeper = 0;
	p->pid = 0;
close:
	if (p->err_fd >= 0)
		cmdproc_drain_err(p);
	cmdproc_close(&p->out_fd);
	cmdproc_close(&p->err_fd);
	cmdproc_close(&p->rep_fd);
	return p->waited ? 0 : -1;
}

int
cmdproc_reap_lost(struct cmdproc_lost *lost)
{
	int i, left = 0;

	for (i = 0; i < CMDPROC_REAP_MAX; i++) {
		if (lost->pid[i] == 0)
			continue;
		if (cmdproc_wait_keeper(lost->pid[i], 0))
			lost->pid[i] = 0;
		else
			left++;
	}
	return left;
}

void
cmdproc_status_text(const struct cmdproc_status *st, char *buf, size_t len)
{
	if (st->exec_errno != 0)
		snprintf(
		    buf, len, "could not start: %s", strerror(st->exec_errno));
	else if (st->exited)
		snprintf(buf, len, "exited with status %d", st->code);
	else if (st->code > 0)
		snprintf(buf, len, "killed by signal %d (%s)", st->code,
		    strsignal(st->code));
	else
		snprintf(buf, len, "ended, status unknown");
}
