/*
 * cmdproc: a vendor tool as a child process of the power/command plugin,
 * run from the plugin's I/O thread: split a command line into words, start
 * it without a shell, read its output with a cap and a deadline, end it
 * (its whole process group, SIGTERM then SIGKILL) and reap it.
 */
#ifndef CMDPROC_H
#define CMDPROC_H

#include <stddef.h>
#include <sys/types.h>

#define CMDPROC_ARGS_MAX 64   /* words of one command */
#define CMDPROC_LINE_MAX 1024 /* one command line, NUL included */
#define CMDPROC_ERR_MAX  160  /* the first line of stderr kept */
#define CMDPROC_REAP_MAX 8    /* children that would not die, kept */

/* A command line split into words (cmdproc_split). */
struct cmdproc_argv {
	char buf[CMDPROC_LINE_MAX];
	char *argv[CMDPROC_ARGS_MAX + 1]; /* into buf, NULL-terminated */
	int argc;
};

/* One running tool. */
struct cmdproc {
	pid_t keeper;                  /* our child, waiting for the tool; 0 */
	pid_t pid;                     /* the tool, the keeper's child; 0 */
	int rep_fd;                    /* the keeper's messages; -1 */
	int exec_errno;                /* the tool could not start: why */
	int waited;                    /* 1: wstatus holds the tool's end */
	int wstatus;                   /* as waitpid() says it */
	int out_fd;                    /* its stdout, non-blocking; -1 */
	int err_fd;                    /* its stderr, non-blocking; -1 */
	char errline[CMDPROC_ERR_MAX]; /* first non-blank stderr line */
	size_t errlen;
	int errdone; /* 1: errline is whole */
};

/* How a child ended (cmdproc_end). */
struct cmdproc_status {
	int exited;     /* 1: exit status in code */
	int code;       /* exit status, or the signal that ended it */
	int timedout;   /* 1: ended by us at its deadline */
	int exec_errno; /* not 0: it could not start (execve's errno) */
};

/* Keepers whose tool outlived SIGKILL (stuck in the kernel), tried
 * again by cmdproc_reap_lost(). */
struct cmdproc_lost {
	pid_t pid[CMDPROC_REAP_MAX];
};

/*
 * Splits line into words on blanks; "double quotes" keep blanks in a word
 * and \" or \\ inside them stand for the character. 0, or -1 (unbalanced
 * quote, no word, too many words, too long) with why in err.
 */
int cmdproc_split(
    const char *line, struct cmdproc_argv *a, char *err, size_t errlen);

/*
 * Starts argv[0] (a path, or a name looked up in the PATH of envp) with
 * envp, stdin from /dev/null, stdout and stderr to pipes, in a process
 * group of its own, under a keeper process (see cmdproc.c) that the
 * host's waitpid(-1) cannot reap: only cmdproc_end() does. Every
 * descriptor is close-on-exec. 0, or -1 with why in err (not found, no
 * pipe or process). An execve() that fails shows at cmdproc_end(), in
 * the status's exec_errno.
 */
int cmdproc_start(struct cmdproc *p, char *const argv[], char *const envp[],
    char *err, size_t errlen);

/* Reads what is there of stderr into errline (the rest is drained). 1 at
 * its end, 0 otherwise. */
int cmdproc_drain_err(struct cmdproc *p);

/*
 * Ends p: when `kill_it`, SIGTERM to the tool's group at once, else a wait
 * of grace_ms for it to end by itself; SIGKILL to the group when it has
 * not ended after grace_ms; then the keeper is reaped (a keeper whose tool
 * will not die is put on lost) and the descriptors closed. *st (may be
 * NULL) says how it ended. 0, or -1 when the status is unknown.
 */
int cmdproc_end(struct cmdproc *p, int kill_it, int grace_ms,
    struct cmdproc_lost *lost, struct cmdproc_status *st);

/* Tries once more to reap the lost children; how many are left. */
int cmdproc_reap_lost(struct cmdproc_lost *lost);

/* "exited with status 3", "killed by signal 9": the end for a message. */
void cmdproc_status_text(
    const struct cmdproc_status *st, char *buf, size_t len);

#endif
