/*
 * podctl's credentials: see cred.h. The checks follow OpenSSH's for a
 * private key ("UNPROTECTED PRIVATE KEY FILE"): any permission bit for the
 * group or others refuses the file, whatever its content, because a token
 * that others could read must be taken as known to them and the operator
 * should hear of it rather than have podctl quietly go on. The file is
 * opened once and checked through its descriptor, so that a file swapped
 * between the check and the read is not read unchecked.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cred.h"

int
cred_token_valid(const char *s)
{
	size_t i, plen = strlen(CRED_TOKEN_PREFIX);

	if (strncmp(s, CRED_TOKEN_PREFIX, plen) != 0)
		return 0;
	for (i = 0; i < CRED_TOKEN_HEX; i++) {
		char c = s[plen + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return 0;
	}
	return s[plen + CRED_TOKEN_HEX] == '\0';
}

int
cred_check_stat(const char *path, const struct stat *st, uid_t uid, char *err,
    size_t errlen)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(
		    err, errlen, "token file %s is not a regular file", path);
		return -1;
	}
	if (st->st_uid != uid) {
		snprintf(err, errlen,
		    "token file %s belongs to uid %lu, not to you (uid %lu); "
		    "use a token file of your own",
		    path, (unsigned long)st->st_uid, (unsigned long)uid);
		return -1;
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		snprintf(err, errlen,
		    "token file %s may be read or written by others (mode "
		    "%04o); run: chmod 600 %s",
		    path, (unsigned)(st->st_mode & 07777), path);
		return -1;
	}
	return 0;
}

int
cred_parse_token(const char *path, const char *buf, size_t len, char *tok,
    size_t toksize, char *err, size_t errlen)
{
	if (len > 0 && buf[len - 1] == '\n') {
		len--;
		if (len > 0 && buf[len - 1] == '\r')
			len--;
	}
	if (len == 0) {
		snprintf(err, errlen, "token file %s is empty", path);
		return -1;
	}
	if (len != CRED_TOKEN_LEN || len >= toksize ||
	    memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen,
		    "token file %s does not hold a token (one line: %s and %d "
		    "lowercase hex digits)",
		    path, CRED_TOKEN_PREFIX, CRED_TOKEN_HEX);
		return -1;
	}
	memcpy(tok, buf, len);
	tok[len] = '\0';
	if (!cred_token_valid(tok)) {
		snprintf(err, errlen,
		    "token file %s does not hold a token (one line: %s and %d "
		    "lowercase hex digits)",
		    path, CRED_TOKEN_PREFIX, CRED_TOKEN_HEX);
		tok[0] = '\0';
		return -1;
	}
	return 0;
}

int
cred_read_file(const char *path, int optional, char *tok, size_t toksize,
    char *err, size_t errlen)
{
	char buf[CRED_FILE_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		if (optional && errno == ENOENT)
			return 1;
		snprintf(err, errlen, "cannot open token file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(
		    err, errlen, "token file %s: %s", path, strerror(errno));
		goto fail;
	}
	if (cred_check_stat(path, &st, getuid(), err, errlen) == -1)
		goto fail;
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "cannot read token file %s: %s",
			    path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CRED_FILE_MAX) {
		snprintf(err, errlen,
		    "token file %s does not hold a token (larger than %d "
		    "bytes)",
		    path, CRED_FILE_MAX);
		goto fail;
	}
	rc = cred_parse_token(path, buf, len, tok, toksize, err, errlen);

fail:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
cred_default_path(char *buf, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(buf, size, "%s/pod/token", xdg);
	else {
		if (home == NULL || home[0] == '\0') {
			if ((pw = getpwuid(getuid())) == NULL ||
			    pw->pw_dir == NULL)
				return -1;
			home = pw->pw_dir;
		}
		n = snprintf(buf, size, "%s/.config/pod/token", home);
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
cred_parse_duration(const char *s, int64_t *secs, char *err, size_t errlen)
{
	/* Each unit and its seconds. */
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {
	    {'s', 1},
	    {'m', 60},
	    {'h', 3600},
	    {'d', 86400},
	    {'w', 7 * 86400},
	};
	const char *p = s;
	int64_t v = 0;
	size_t i;

	if (*p < '0' || *p > '9') {
		snprintf(err, errlen,
		    "not a duration (a whole number and a "
		    "unit: 3600s, 90m, 12h, 30d, 2w)");
		return -1;
	}
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > CRED_MAX_EXPIRES_S) {
			snprintf(err, errlen, "too long (at most 100 years)");
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (*p == '\0' || p[1] != '\0') {
		snprintf(err, errlen,
		    "needs one unit after the number: s, m, "
		    "h, d or w (3600s, 12h, 30d)");
		return -1;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].unit == *p)
			break;
	if (i == sizeof(units) / sizeof(units[0])) {
		snprintf(
		    err, errlen, "unknown unit '%c' (s, m, h, d or w)", *p);
		return -1;
	}
	if (v == 0) {
		snprintf(err, errlen, "must be at least 1s");
		return -1;
	}
	if (v > CRED_MAX_EXPIRES_S / units[i].secs) {
		snprintf(err, errlen, "too long (at most 100 years)");
		return -1;
	}
	*secs = v * units[i].secs;
	return 0;
}
