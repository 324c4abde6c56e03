/*
 * Node credentials (see nodecred.h). The derivation is libcrypto's one-shot
 * HMAC(), which OpenSSL 3.0 keeps (it is the EVP_MAC machinery underneath);
 * the file reader is shared by the controller (the site secret) and the
 * agent (its credential) so that both refuse the same loose files with the
 * same words.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nodecred.h"

int
nodecred_derive(const unsigned char secret[NODECRED_SECRET_LEN],
    const char *name, char out_hex[NODECRED_BUF])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	out_hex[0] = '\0';
	if (HMAC(EVP_sha256(), secret, NODECRED_SECRET_LEN,
	        (const unsigned char *)name, strlen(name), mac, &len) == NULL ||
	    len != NODECRED_SECRET_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		out_hex[2 * i] = hex[mac[i] >> 4];
		out_hex[2 * i + 1] = hex[mac[i] & 15];
	}
	out_hex[2 * len] = '\0';
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Copies the 64 hex chars of text, white space around them dropped, into
 * out (NODECRED_BUF bytes, lowercased). 0 or -1. */
static int
trim_hex(const char *text, char out[NODECRED_BUF])
{
	size_t len;
	int i;

	while (isspace((unsigned char)*text))
		text++;
	len = strlen(text);
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len != NODECRED_HEX_LEN)
		return -1;
	for (i = 0; i < NODECRED_HEX_LEN; i++) {
		if (hexval((unsigned char)text[i]) < 0)
			return -1;
		out[i] = (char)tolower((unsigned char)text[i]);
	}
	out[NODECRED_HEX_LEN] = '\0';
	return 0;
}

int
nodecred_parse_secret(
    const char *text, unsigned char secret[NODECRED_SECRET_LEN])
{
	char h[NODECRED_BUF];
	int i;

	if (trim_hex(text, h) == -1)
		return -1;
	for (i = 0; i < NODECRED_SECRET_LEN; i++)
		secret[i] = (unsigned char)(hexval(h[2 * i]) << 4 |
		                            hexval(h[2 * i + 1]));
	return 0;
}

int
nodecred_read_file(const char *path, int strict, char out_hex[NODECRED_BUF],
    char *err, size_t errlen)
{
	char buf[256];
	struct stat sb;
	ssize_t n;
	int fd;

	out_hex[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((sb.st_mode & (strict ? 077 : 007)) != 0) {
		snprintf(err, errlen,
		    "%s: mode %04o lets %s read or change it; it must be "
		    "0600 (chmod 600 %s)",
		    path, (unsigned)(sb.st_mode & 07777),
		    strict ? "the group or others" : "others", path);
		goto fail;
	}
	if ((n = read(fd, buf, sizeof(buf) - 1)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	buf[n] = '\0';
	if ((size_t)n == sizeof(buf) - 1 || trim_hex(buf, out_hex) == -1) {
		snprintf(err, errlen, "%s: does not hold %d hexadecimal digits",
		    path, NODECRED_HEX_LEN);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	close(fd);
	out_hex[0] = '\0';
	return -1;
}
