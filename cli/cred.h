/*
 * podctl's credentials: where its bearer token comes from and whether a
 * token file is safe to use. A token is as good as a password, so a file
 * holding one must be a regular file of the invoking user that neither the
 * group nor others may read or write, as ssh demands of a private key; a
 * file that is not is refused with the command that fixes it, never used.
 * Also the durations of "token create --expires" (30d, 12h, 3600s).
 *
 * Pure functions over strings and a struct stat, so that every rule is
 * tested without a server; cred_read_file() is the one that touches the
 * file system, and it checks the descriptor it reads (fstat), not the name.
 */
#ifndef POD_CRED_H
#define POD_CRED_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define CRED_TOKEN_PREFIX  "pod_"
#define CRED_TOKEN_HEX     64 /* lowercase hex digits after the prefix */
#define CRED_TOKEN_LEN     (sizeof(CRED_TOKEN_PREFIX) - 1 + CRED_TOKEN_HEX)
#define CRED_FILE_MAX      4096 /* a token file larger than this is refused */
#define CRED_PATH_MAX      1024 /* longest token file path */
#define CRED_MAX_EXPIRES_S ((int64_t)100 * 366 * 86400) /* 100 years */

/* 1 when s is a token as the controller issues them: "pod_" and 64
 * lowercase hex digits, nothing else. */
int cred_token_valid(const char *s);

/*
 * Checks what fstat() said of a token file at `path` (for the message) for
 * a reader of uid `uid`: a regular file, owned by uid, no permission bits
 * for group or others. Returns 0, or -1 with one line in err naming the
 * file and the fix ("chmod 600 PATH").
 */
int cred_check_stat(const char *path, const struct stat *st, uid_t uid,
    char *err, size_t errlen);

/*
 * The token in the `len` bytes of a token file's content: one trailing
 * newline is dropped ("\r\n" too). Writes it NUL-terminated into tok
 * (CRED_TOKEN_LEN + 1 bytes at least) and returns 0, or returns -1 with one
 * line in err for an empty file or one that does not hold exactly a token.
 */
int cred_parse_token(const char *path, const char *buf, size_t len, char *tok,
    size_t toksize, char *err, size_t errlen);

/*
 * Opens, checks (cred_check_stat() with the real uid) and reads the token
 * file at path into tok. Returns 0; 1 when `optional` and the file does
 * not exist (no token, no message); -1 with one line in err otherwise.
 */
int cred_read_file(const char *path, int optional, char *tok, size_t toksize,
    char *err, size_t errlen);

/*
 * The per-user token file: $XDG_CONFIG_HOME/pod/token when that is set to
 * an absolute path, else $HOME/.config/pod/token (HOME from the password
 * database when unset). Writes it into buf; returns 0, or -1 when there is
 * no home to find or it does not fit.
 */
int cred_default_path(char *buf, size_t size);

/*
 * Parses a duration of one whole number and a unit: s, m, h, d or w
 * ("30d", "12h", "3600s"). Writes the seconds, from 1 to
 * CRED_MAX_EXPIRES_S, into *secs and returns 0, or returns -1 with what is
 * wrong in err.
 */
int cred_parse_duration(const char *s, int64_t *secs, char *err, size_t errlen);

#endif
