/*
 * Unit tests of podctl's credentials (cli/cred.c): the token's shape, the
 * checks of a token file's owner and mode (over a made-up struct stat),
 * reading its content, the per-user file's path, and the durations of
 * "token create --expires". cred_read_file() is tested on real files in
 * a temporary directory, since the refusal of a file others can read is
 * the point. Each group is a static table of cases; the last line says
 * how many passed.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cred.h"

#define TOK_A                                                                  \
	"pod_0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"     \
	"cdef"

/* --- token shape ------------------------------------------------------ */

static const struct {
	const char *s;
	int valid;
} token_cases[] = {
    {TOK_A, 1},
    {"pod_"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "ff",
        1},
    {"pod_"
     "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
        0},
    {"pod_"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        0},
    {TOK_A "0", 0},
    {"pot_"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        0},
    {"", 0},
    {"pod_", 0},
    {"pod_"
     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
        0},
};

static void
test_token_valid(void)
{
	size_t i;

	for (i = 0; i < NELEM(token_cases); i++)
		CHECK(
		    cred_token_valid(token_cases[i].s) == token_cases[i].valid,
		    "token %zu: '%s'", i, token_cases[i].s);
}

/* --- owner and mode --------------------------------------------------- */

/* Per case: name; file type and permission bits; owner; the reader's uid;
 * NULL when accepted, else a fragment of the message. */
static const struct {
	const char *name;
	mode_t mode;
	uid_t owner, reader;
	const char *err;
} stat_cases[] = {
    {"0600 own", S_IFREG | 0600, 1000, 1000, NULL},
    {"0400 own", S_IFREG | 0400, 1000, 1000, NULL},
    {"0700 own", S_IFREG | 0700, 1000, 1000, NULL},
    {"0644", S_IFREG | 0644, 1000, 1000, "run: chmod 600 /t/token"},
    {"0640", S_IFREG | 0640, 1000, 1000, "(mode 0640)"},
    {"0604", S_IFREG | 0604, 1000, 1000, "chmod 600"},
    {"0620 group write", S_IFREG | 0620, 1000, 1000, "chmod 600"},
    {"0602 others write", S_IFREG | 0602, 1000, 1000, "chmod 600"},
    {"0610 group exec", S_IFREG | 0610, 1000, 1000, "chmod 600"},
    {"other owner", S_IFREG | 0600, 0, 1000, "belongs to uid 0"},
    {"root reading a user's", S_IFREG | 0600, 1000, 0, "not to you"},
    {"directory", S_IFDIR | 0700, 1000, 1000, "not a regular file"},
    {"fifo", S_IFIFO | 0600, 1000, 1000, "not a regular file"},
};

static void
test_check_stat(void)
{
	struct stat st;
	char err[512];
	size_t i;
	int rc;

	for (i = 0; i < NELEM(stat_cases); i++) {
		memset(&st, 0, sizeof(st));
		st.st_mode = stat_cases[i].mode;
		st.st_uid = stat_cases[i].owner;
		err[0] = '\0';
		rc = cred_check_stat(
		    "/t/token", &st, stat_cases[i].reader, err, sizeof(err));
		if (stat_cases[i].err == NULL)
			CHECK(rc == 0, "%s: refused: %s", stat_cases[i].name,
			    err);
		else
			CHECK(rc == -1 && strstr(err, stat_cases[i].err) &&
			          strstr(err, "/t/token"),
			    "%s: rc %d, '%s'", stat_cases[i].name, rc, err);
	}
}

/* --- content ---------------------------------------------------------- */

/* Per case: name; content (len -1: strlen); the token, or NULL with a
 * fragment of the message. */
static const struct {
	const char *name;
	const char *content;
	int len;
	const char *tok, *err;
} parse_cases[] = {
    {"with newline", TOK_A "\n", -1, TOK_A, NULL},
    {"without newline", TOK_A, -1, TOK_A, NULL},
    {"crlf", TOK_A "\r\n", -1, TOK_A, NULL},
    {"two newlines", TOK_A "\n\n", -1, NULL, "does not hold a token"},
    {"empty", "", -1, NULL, "is empty"},
    {"newline only", "\n", -1, NULL, "is empty"},
    {"leading space", " " TOK_A, -1, NULL, "does not hold a token"},
    {"trailing space", TOK_A " \n", -1, NULL, "does not hold a token"},
    {"second line", TOK_A "\nx\n", -1, NULL, "does not hold a token"},
    {"not a token", "hunter2\n", -1, NULL, "pod_ and 64"},
    {"upper case",
        "POD_0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
        "0123456789ABCDEF\n",
        -1, NULL, "does not hold a token"},
    {"nul inside", TOK_A, 10, NULL, "does not hold a token"},
};

static void
test_parse_token(void)
{
	char tok[CRED_TOKEN_LEN + 1], err[512];
	size_t i, len;
	int rc;

	for (i = 0; i < NELEM(parse_cases); i++) {
		len = parse_cases[i].len >= 0 ? (size_t)parse_cases[i].len
		                              : strlen(parse_cases[i].content);
		err[0] = tok[0] = '\0';
		rc = cred_parse_token("/t/token", parse_cases[i].content, len,
		    tok, sizeof(tok), err, sizeof(err));
		if (parse_cases[i].tok != NULL)
			CHECK(rc == 0 && strcmp(tok, parse_cases[i].tok) == 0,
			    "%s: rc %d, '%s', '%s'", parse_cases[i].name, rc,
			    tok, err);
		else
			CHECK(rc == -1 && strstr(err, parse_cases[i].err) &&
			          strstr(err, "/t/token"),
			    "%s: rc %d, '%s'", parse_cases[i].name, rc, err);
	}
	/* a NUL inside the token's length */
	{
		char buf[] = TOK_A;

		buf[20] = '\0';
		CHECK(cred_parse_token("/t/token", buf, CRED_TOKEN_LEN, tok,
		          sizeof(tok), err, sizeof(err)) == -1,
		    "a NUL inside");
	}
}

/* --- files on disk ---------------------------------------------------- */

/* Per case: name; content (NULL: no file); mode; optional; the result
 * (0, 1 or -1) and a fragment of the message when -1. */
static const struct {
	const char *name;
	const char *content;
	mode_t mode;
	int optional, rc;
	const char *err;
} file_cases[] = {
    {"0600", TOK_A "\n", 0600, 0, 0, NULL},
    {"0400", TOK_A "\n", 0400, 0, 0, NULL},
    {"0644", TOK_A "\n", 0644, 0, -1, "chmod 600"},
    {"0644 optional", TOK_A "\n", 0644, 1, -1, "chmod 600"},
    {"missing", NULL, 0, 0, -1, "No such file"},
    {"missing optional", NULL, 0, 1, 1, NULL},
    {"empty", "", 0600, 0, -1, "is empty"},
    {"junk", "not a token\n", 0600, 0, -1, "does not hold a token"},
};

static void
test_read_file(void)
{
	char dir[] = "/tmp/cli_cred_test.XXXXXX", path[256], tok[128];
	char err[512];
	size_t i;
	int fd, rc;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp");
		return;
	}
	for (i = 0; i < NELEM(file_cases); i++) {
		snprintf(path, sizeof(path), "%s/token%zu", dir, i);
		if (file_cases[i].content != NULL) {
			fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
			if (!CHECK(fd != -1, "%s: create", file_cases[i].name))
				continue;
			CHECK(write(fd, file_cases[i].content,
			          strlen(file_cases[i].content)) ==
			          (ssize_t)strlen(file_cases[i].content),
			    "%s: write", file_cases[i].name);
			close(fd);
			chmod(path, file_cases[i].mode);
		}
		err[0] = tok[0] = '\0';
		rc = cred_read_file(path, file_cases[i].optional, tok,
		    sizeof(tok), err, sizeof(err));
		CHECK(rc == file_cases[i].rc, "%s: rc %d, want %d ('%s')",
		    file_cases[i].name, rc, file_cases[i].rc, err);
		if (rc == 0)
			CHECK(strcmp(tok, TOK_A) == 0, "%s: token '%s'",
			    file_cases[i].name, tok);
		if (file_cases[i].err != NULL)
			CHECK(strstr(err, file_cases[i].err) != NULL &&
			          strstr(err, path) != NULL,
			    "%s: '%s'", file_cases[i].name, err);
		unlink(path);
	}
	rmdir(dir);
}

/* --- the per-user file ------------------------------------------------ */

static const struct {
	const char *xdg, *home, *want;
} path_cases[] = {
    {"/x/cfg", "/home/a", "/x/cfg/pod/token"},
    {NULL, "/home/a", "/home/a/.config/pod/token"},
    {"", "/home/a", "/home/a/.config/pod/token"},
    {"relative", "/home/a", "/home/a/.config/pod/token"},
};

static void
test_default_path(void)
{
	char buf[256];
	size_t i;

	for (i = 0; i < NELEM(path_cases); i++) {
		if (path_cases[i].xdg != NULL)
			setenv("XDG_CONFIG_HOME", path_cases[i].xdg, 1);
		else
			unsetenv("XDG_CONFIG_HOME");
		setenv("HOME", path_cases[i].home, 1);
		buf[0] = '\0';
		CHECK(cred_default_path(buf, sizeof(buf)) == 0 &&
		          strcmp(buf, path_cases[i].want) == 0,
		    "path %zu: '%s', want '%s'", i, buf, path_cases[i].want);
	}
	CHECK(cred_default_path(buf, 8) == -1, "too small a buffer");
}

/* --- durations -------------------------------------------------------- */

/* Per case: the text; the seconds, or -1 with a fragment of the message. */
static const struct {
	const char *s;
	int64_t secs;
	const char *err;
} duration_cases[] = {
    {"3600s", 3600, NULL},
    {"1s", 1, NULL},
    {"90m", 5400, NULL},
    {"12h", 43200, NULL},
    {"30d", 30 * 86400LL, NULL},
    {"2w", 14 * 86400LL, NULL},
    {"36600d", 36600 * 86400LL, NULL},
    {"36601d", -1, "too long"},
    {"99999999999999999999999s", -1, "too long"},
    {"0s", -1, "at least 1s"},
    {"0d", -1, "at least 1s"},
    {"30", -1, "needs one unit"},
    {"30dd", -1, "needs one unit"},
    {"1h30m", -1, "needs one unit"},
    {"3x", -1, "unknown unit 'x'"},
    {"30D", -1, "unknown unit 'D'"},
    {"", -1, "not a duration"},
    {"d", -1, "not a duration"},
    {"-1d", -1, "not a duration"},
    {" 1d", -1, "not a duration"},
};

static void
test_duration(void)
{
	char err[256];
	int64_t secs;
	size_t i;
	int rc;

	for (i = 0; i < NELEM(duration_cases); i++) {
		secs = -7;
		err[0] = '\0';
		rc = cred_parse_duration(
		    duration_cases[i].s, &secs, err, sizeof(err));
		if (duration_cases[i].err == NULL)
			CHECK(rc == 0 && secs == duration_cases[i].secs,
			    "'%s': rc %d, %lld s, '%s'", duration_cases[i].s,
			    rc, (long long)secs, err);
		else
			CHECK(rc == -1 && strstr(err, duration_cases[i].err),
			    "'%s': rc %d, '%s'", duration_cases[i].s, rc, err);
	}
}

int
main(void)
{
	test_token_valid();
	test_check_stat();
	test_parse_token();
	test_read_file();
	test_default_path();
	test_duration();
	return check_summary("cli_cred_test");
}
