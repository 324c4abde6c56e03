/*
 * Job records in state_dir: see jobdir.h. The files are small and local,
 * so they are read and written with plain blocking calls from the loop;
 * the only slow thing is fsync(2), which happens on a launch and a stop,
 * not per tick. A batch of launches is claimed first and synced once after
 * (jobdir_claim_lazy(), then jobdir_sync_claims()): the fsyncs of a batch
 * then ride one journal commit instead of three each, which is what a node
 * given eight jobs at once waits for. A tombstone is written without
 * fsync: the attempt's directory, already durable, is what keeps it from
 * starting again; a tombstone lost in a crash only has the ended attempt
 * adopted and reported once more. A tombstone's directory is removed with
 * everything a job left in it, which is why nftw(3) walks it without following
 * links or crossing mounts.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobdir.h"
#include "log.h"

struct jobdir {
	char root[PATH_MAX]; /* absolute state_dir/jobs */
};

/* mkdir -p, one component at a time. 0, or -1 with errno set. */
static int
mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len == 0 || len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

struct jobdir *
jobdir_open(const char *state_dir)
{
	struct jobdir *jd;
	char real[PATH_MAX];

	if ((jd = calloc(1, sizeof(*jd))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if (mkdir_parents(state_dir) == -1) {
		log_warn("state_dir %s: cannot create it", state_dir);
		goto fail;
	}
	if (realpath(state_dir, real) == NULL) {
		log_warn("state_dir %s", state_dir);
		goto fail;
	}
	if ((size_t)snprintf(jd->root, sizeof(jd->root), "%s/jobs", real) >=
	    sizeof(jd->root) - NAME_MAX) {
		log_warnx("state_dir %s: path too long", state_dir);
		goto fail;
	}
	if (mkdir(jd->root, 0755) == -1 && errno != EEXIST) {
		log_warn("state_dir %s: cannot create %s", state_dir, jd->root);
		goto fail;
	}
	if (access(jd->root, W_OK | X_OK) == -1) {
		log_warn(
		    "state_dir %s: cannot write in %s", state_dir, jd->root);
		goto fail;
	}
	return jd;
fail:
	free(jd);
	return NULL;
}

int
jobdir_check(const char *state_dir)
{
	struct stat sb;
	char buf[PATH_MAX], *slash;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", state_dir) >=
	    sizeof(buf) - NAME_MAX) {
		log_warnx("state_dir %s: path too long", state_dir);
		return -1;
	}
	for (;;) {
		if (stat(buf, &sb) == 0) {
			if (!S_ISDIR(sb.st_mode)) {
				log_warnx("state_dir %s: %s is not a directory",
				    state_dir, buf);
				return -1;
			}
			if (access(buf, W_OK | X_OK) == -1) {
				log_warn("state_dir %s: cannot write in %s",
				    state_dir, buf);
				return -1;
			}
			return 0;
		}
		if (errno != ENOENT) {
			log_warn("state_dir %s: %s", state_dir, buf);
			return -1;
		}
		/* Missing: would be made in its parent. */
		while ((slash = strrchr(buf, '/')) != NULL && slash[1] == '\0')
			*slash = '\0';
		if (slash == NULL)
			snprintf(buf, sizeof(buf), ".");
		else if (slash == buf)
			buf[1] = '\0';
		else
			*slash = '\0';
	}
}

void
jobdir_close(struct jobdir *jd)
{
	free(jd);
}

const char *
jobdir_root(const struct jobdir *jd)
{
	return jd->root;
}

int
jobdir_path(const struct jobdir *jd, int64_t id, int attempt, const char *file,
    char *buf, size_t size)
{
	int n;

	if (file != NULL)
		n = snprintf(buf, size, "%s/%lld.%d/%s", jd->root,
		    (long long)id, attempt, file);
	else
		n = snprintf(
		    buf, size, "%s/%lld.%d", jd->root, (long long)id, attempt);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* fsync(2) of a directory, so that a name made in it survives a crash. */
static int
sync_dir(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes all of buf to fd. 0, or -1 with errno set. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* jobdir_write(), and without the fsyncs when !sync. */
static int
write_file(struct jobdir *jd, int64_t id, int attempt, const char *file,
    const char *text, size_t len, int sync)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd = -1;

	if (jobdir_path(jd, id, attempt, NULL, dir, sizeof(dir)) == -1 ||
	    jobdir_path(jd, id, attempt, file, path, sizeof(path)) == -1) {
		log_warnx("%s: job %lld.%d: path too long", __func__,
		    (long long)id, attempt);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	        -1 ||
	    write_all(fd, text, len) == -1 || (sync && fsync(fd) == -1)) {
		log_warn("%s: %s", __func__, tmp);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("%s: %s", __func__, tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1 || (sync && sync_dir(dir) == -1)) {
		log_warn("%s: %s", __func__, path);
		goto fail;
	}
	return 0;
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return -1;
}

int
jobdir_write(struct jobdir *jd, int64_t id, int attempt, const char *file,
    const char *text, size_t len)
{
	return write_file(jd, id, attempt, file, text, len, 1);
}

int
jobdir_claim(
    struct jobdir *jd, int64_t id, int attempt, const char *record, size_t len)
{
	int rc = jobdir_claim_lazy(jd, id, attempt, record, len);

	if (rc == 1 && jobdir_sync_claims(jd, &id, &attempt, 1) == -1)
		return -1;
	return rc;
}

int
jobdir_sync_claims(
    struct jobdir *jd, const int64_t *id, const int *attempt, int n)
{
	char path[PATH_MAX];
	int i, fd, rc;

	for (i = 0; i < n; i++) {
		if (jobdir_path(jd, id[i], attempt[i], JOBDIR_RECORD, path,
		        sizeof(path)) == -1)
			goto fail;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			goto fail;
		rc = fsync(fd);
		close(fd);
		if (rc == -1 ||
		    jobdir_path(jd, id[i], attempt[i], NULL, path,
		        sizeof(path)) == -1 ||
		    sync_dir(path) == -1)
			goto fail;
	}
	if (n > 0 && sync_dir(jd->root) == -1) {
		snprintf(path, sizeof(path), "%s", jd->root);
		goto fail;
	}
	return 0;
fail:
	log_warn("%s: fsync %s", __func__, path);
	return -1;
}

int
jobdir_claim_lazy(
    struct jobdir *jd, int64_t id, int attempt, const char *record, size_t len)
{
	char dir[PATH_MAX];

	if (jobdir_path(jd, id, attempt, NULL, dir, sizeof(dir)) == -1) {
		log_warnx("%s: job %lld.%d: path too long", __func__,
		    (long long)id, attempt);
		return -1;
	}
	if (mkdir(dir, 0755) == -1) {
		if (errno == EEXIST)
			return 0;
		log_warn("%s: %s", __func__, dir);
		return -1;
	}
	return write_file(jd, id, attempt, JOBDIR_RECORD, record, len, 0) == -1
	           ? -1
	           : 1;
}

int
jobdir_read(const struct jobdir *jd, int64_t id, int attempt, const char *file,
    char **out, size_t *len)
{
	char path[PATH_MAX], *buf = NULL;
	size_t n = 0, size = 256;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	if (jobdir_path(jd, id, attempt, file, path, sizeof(path)) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s: %s", __func__, path);
		return -1;
	}
	if ((buf = malloc(size)) == NULL) {
		log_warn("%s: malloc", __func__);
		goto fail;
	}
	for (;;) {
		if (n + 1 >= size) {
			char *p;

			if (size >= JOBDIR_READ_MAX) {
				log_warnx("%s: %s: longer than %d bytes",
				    __func__, path, JOBDIR_READ_MAX - 1);
				goto fail;
			}
			size *= 2;
			if ((p = realloc(buf, size)) == NULL) {
				log_warn("%s: realloc", __func__);
				goto fail;
			}
			buf = p;
		}
		if ((r = read(fd, buf + n, size - n - 1)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("%s: %s", __func__, path);
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 1;
fail:
	close(fd);
	free(buf);
	return -1;
}

int
jobdir_forget(struct jobdir *jd, int64_t id, int attempt, int64_t now_ms)
{
	char text[48];
	int n;

	n = snprintf(
	    text, sizeof(text), "forgotten_ms %lld\n", (long long)now_ms);
	return write_file(
	    jd, id, attempt, JOBDIR_FORGOTTEN, text, (size_t)n, 0);
}

int
jobdir_name_parse(const char *name, int64_t *id, int *attempt)
{
	const char *dot = strchr(name, '.');
	char *end;
	long long i;
	long a;

	if (dot == NULL || dot == name || name[0] < '1' || name[0] > '9' ||
	    dot[1] < '1' || dot[1] > '9')
		return -1;
	errno = 0;
	i = strtoll(name, &end, 10);
	if (end != dot || errno == ERANGE)
		return -1;
	a = strtol(dot + 1, &end, 10);
	if (*end != '\0' || errno == ERANGE || a > 1000000)
		return -1;
	*id = i;
	*attempt = (int)a;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (remove(path) == -1 && errno != ENOENT)
		log_warn("%s: %s", __func__, path);
	return 0;
}

/* When the tombstone in `dir` was laid, ms; -1 when it is not one. */
static int64_t
tombstone_ms(const struct jobdir *jd, int64_t id, int attempt)
{
	char *text;
	size_t len;
	long long v;
	int64_t ms = -1;

	if (jobdir_read(jd, id, attempt, JOBDIR_FORGOTTEN, &text, &len) != 1)
		return -1;
	/* A torn or odd file is still a tombstone: keep it a full period. */
	if (sscanf(text, "forgotten_ms %lld", &v) == 1 && v >= 0)
		ms = v;
	else
		ms = INT64_MAX - JOBDIR_KEEP_MS;
	free(text);
	return ms;
}

int
jobdir_scan(struct jobdir *jd, int64_t now_ms,
    void (*cb)(void *arg, int64_t id, int attempt), void *arg)
{
	struct dirent *de;
	char path[PATH_MAX];
	int64_t id, ms;
	DIR *d;
	int attempt;

	if ((d = opendir(jd->root)) == NULL) {
		log_warn("%s: %s", __func__, jd->root);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (jobdir_name_parse(de->d_name, &id, &attempt) == -1)
			continue;
		if ((ms = tombstone_ms(jd, id, attempt)) < 0) {
			cb(arg, id, attempt);
			continue;
		}
		if (now_ms - ms < JOBDIR_KEEP_MS)
			continue;
		if (jobdir_path(jd, id, attempt, NULL, path, sizeof(path)) ==
		    0) {
			log_debug("%s: removing tombstone %s", __func__, path);
			nftw(
			    path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		}
	}
	closedir(d);
	return 0;
}
