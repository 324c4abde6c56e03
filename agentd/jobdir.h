/*
 * The job records of pod-agentd in state_dir: one directory per attempt,
 * state_dir/jobs/ID.ATTEMPT/, which is at once the attempt's durable record
 * (its existence is what stops a second start), its working directory and
 * the place its shepherd leaves word of it:
 *
 *	job		the desired-state entry as received, plus recorded_ms;
 *			written and fsync'd before anything starts
 *	pid		"SHEPHERD JOB", from the shepherd once the job has its
 *			own session
 *	status		how it ended (job_end_format()), written atomically
 *	stop		"cancelled" or "timeout": why the agent is stopping it,
 *			written before the first signal
 *	forgotten	"forgotten_ms N": the controller has stored the end; the
 *			directory is a tombstone, removed JOBDIR_KEEP_MS later
 *	output.log	the job's stdout and stderr
 *
 * mkdir(2) is the claim: it succeeds once per name, across restarts of the
 * agent, so exactly-once needs no index that could disagree with the
 * directories. Writes go through a temporary file and rename(2), with
 * fsync(2) of the file and of its directory where a crash must not lose them.
 */
#ifndef AGENT_JOBDIR_H
#define AGENT_JOBDIR_H

#include <stddef.h>
#include <stdint.h>

#define JOBDIR_KEEP_MS   (24LL * 3600 * 1000) /* tombstones, after forgetting */
#define JOBDIR_READ_MAX  (512 * 1024) /* longest file read back, bytes */
#define JOBDIR_RECORD    "job"
#define JOBDIR_PIDS      "pid"
#define JOBDIR_STATUS    "status"
#define JOBDIR_STOP      "stop"
#define JOBDIR_FORGOTTEN "forgotten"
#define JOBDIR_LOG       "output.log"

struct jobdir;

/* Makes state_dir (with its parents) and state_dir/jobs if missing and
 * checks that the agent may write there. Returns NULL with one line saying
 * why (logged), so that the agent refuses to start. Caller frees with
 * jobdir_close(). */
struct jobdir *jobdir_open(const char *state_dir);
/* Checks, without making anything, that jobdir_open() would succeed:
 * state_dir is a directory the agent may write in, or could be made in the
 * nearest directory that exists. 0, or -1 with one line saying why
 * (logged). For `pod-agentd -n`. */
int jobdir_check(const char *state_dir);
/* Frees jd (NULL is fine); the files stay. */
void jobdir_close(struct jobdir *jd);
/* The absolute path of state_dir/jobs; borrowed. */
const char *jobdir_root(const struct jobdir *jd);
/* Writes the path of an attempt's directory, or of `file` in it when file
 * is not NULL, into buf. 0, or -1 when it does not fit. */
int jobdir_path(const struct jobdir *jd, int64_t id, int attempt,
    const char *file, char *buf, size_t size);
/* Claims (id, attempt): creates its directory and writes `record` (len
 * bytes) as its job file, durably. Returns 1 when claimed, 0 when the
 * attempt has a record already (running, ended or a tombstone), -1
 * (logged) on an error; the directory, if made, then stays as a record. */
int jobdir_claim(
    struct jobdir *jd, int64_t id, int attempt, const char *record, size_t len);
/* jobdir_claim() but not yet durable: nothing may start before
 * jobdir_sync_claims() has returned 0 for it. */
int jobdir_claim_lazy(
    struct jobdir *jd, int64_t id, int attempt, const char *record, size_t len);
/* Makes the n claims (id[i], attempt[i]) of jobdir_claim_lazy() durable:
 * their job files, their directories, then the jobs directory. 0, or -1
 * (logged): then none may start. */
int jobdir_sync_claims(
    struct jobdir *jd, const int64_t *id, const int *attempt, int n);
/* Replaces `file` of an attempt with len bytes of text, atomically and
 * durably. 0, or -1 (logged). */
int jobdir_write(struct jobdir *jd, int64_t id, int attempt, const char *file,
    const char *text, size_t len);
/* Reads `file` of an attempt, at most JOBDIR_READ_MAX bytes. Returns 1 with
 * a NUL-terminated copy in *out (caller frees with free()) and its length
 * in *len, 0 when there is no such file, -1 (logged) on an error. */
int jobdir_read(const struct jobdir *jd, int64_t id, int attempt,
    const char *file, char **out, size_t *len);
/* Turns an attempt's directory into a tombstone, without fsync (the
 * directory is the durable record). 0, or -1 (logged). */
int jobdir_forget(struct jobdir *jd, int64_t id, int attempt, int64_t now_ms);
/* Calls cb for every attempt with a directory and no tombstone, and removes
 * the tombstones older than JOBDIR_KEEP_MS at now_ms (wall clock). 0, or -1
 * (logged) when state_dir/jobs cannot be read. */
int jobdir_scan(struct jobdir *jd, int64_t now_ms,
    void (*cb)(void *arg, int64_t id, int attempt), void *arg);
/* Parses a directory name "ID.ATTEMPT". 0, or -1. */
int jobdir_name_parse(const char *name, int64_t *id, int *attempt);

#endif
