/*
 * Node credentials: the derivation against HMAC-SHA256 vectors computed
 * with `openssl dgst -sha256 -mac HMAC -macopt hexkey:SECRET` (the command
 * docs/security.md gives administrators), the secret's parsing, and the
 * file reader's refusals.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nodecred.h"

#define KEY1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY2 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* Per case: the secret as hex, the node name, the credential openssl
 * computed. */
static const struct {
	const char *secret, *name, *want;
} derive_cases[] = {
    {KEY1, "pod01-n001",
        "e3e14b1705c1a570a738eac3c2b7549003c4dc80cfa8fb33b493a153280c468d"},
    {KEY1, "pod01-n002", NULL},
    {KEY2, "pod01-n001", NULL},
};

/* Per case: the text, whether it is a secret. */
static const struct {
	const char *text;
	int ok;
} parse_cases[] = {
    {KEY1, 1},
    {"  " KEY1 "\n", 1},
    {"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", 1},
    {"00", 0},
    {KEY1 "00", 0},
    {"g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 0},
    {"", 0},
};

/* Per case: the file's text, its mode, strict, whether it is read, a
 * fragment of the refusal. */
static const struct {
	const char *text;
	mode_t mode;
	int strict, ok;
	const char *err;
} file_cases[] = {
    {KEY1 "\n", 0600, 1, 1, NULL},
    {KEY1 "\n", 0400, 1, 1, NULL},
    {KEY1 "\n", 0640, 1, 0, "the group or others"},
    {KEY1 "\n", 0640, 0, 1, NULL},
    {KEY1 "\n", 0604, 0, 0, "mode 0604"},
    {"not hex\n", 0600, 0, 0, "64 hexadecimal digits"},
    {KEY1 "                                                                "
          "                                                                "
          "                                                                "
          "                                                                "
          "trailing",
        0600, 0, 0, "64 hexadecimal digits"},
};

static void
test_derive(void)
{
	unsigned char secret[NODECRED_SECRET_LEN];
	char got[NODECRED_BUF], first[NODECRED_BUF] = "";
	size_t i;

	for (i = 0; i < NELEM(derive_cases); i++) {
		CHECK(
		    nodecred_parse_secret(derive_cases[i].secret, secret) == 0,
		    "case %zu: secret", i);
		CHECK(nodecred_derive(secret, derive_cases[i].name, got) == 0 &&
		          strlen(got) == NODECRED_HEX_LEN,
		    "case %zu: derive", i);
		if (derive_cases[i].want != NULL)
			CHECK(strcmp(got, derive_cases[i].want) == 0,
			    "case %zu: got %s", i, got);
		/* another name or another secret: another credential */
		if (i == 0)
			snprintf(first, sizeof(first), "%s", got);
		else
			CHECK(strcmp(got, first) != 0, "case %zu: same", i);
	}
}

static void
test_parse(void)
{
	unsigned char secret[NODECRED_SECRET_LEN];
	size_t i;

	for (i = 0; i < NELEM(parse_cases); i++)
		CHECK((nodecred_parse_secret(parse_cases[i].text, secret) ==
		          0) == parse_cases[i].ok,
		    "case %zu: '%s'", i, parse_cases[i].text);
	CHECK(nodecred_parse_secret(KEY1, secret) == 0 && secret[0] == 0 &&
	          secret[31] == 0x1f,
	    "bytes");
}

static void
test_files(void)
{
	char path[] = "/tmp/nodecred_testXXXXXX", got[NODECRED_BUF], err[512];
	size_t i;
	int fd;

	for (i = 0; i < NELEM(file_cases); i++) {
		if ((fd = mkstemp(path)) == -1) {
			CHECK(0, "mkstemp");
			return;
		}
		CHECK(write(fd, file_cases[i].text,
		          strlen(file_cases[i].text)) > 0,
		    "write");
		close(fd);
		chmod(path, file_cases[i].mode);
		err[0] = '\0';
		CHECK((nodecred_read_file(path, file_cases[i].strict, got, err,
		           sizeof(err)) == 0) == file_cases[i].ok,
		    "case %zu: %s", i, err);
		if (file_cases[i].ok)
			CHECK(strcmp(got, KEY1) == 0, "case %zu: %s", i, got);
		else
			CHECK(strstr(err, file_cases[i].err) != NULL,
			    "case %zu: '%s'", i, err);
		unlink(path);
		snprintf(path, sizeof(path), "/tmp/nodecred_testXXXXXX");
	}
	CHECK(nodecred_read_file(
	          "/nonexistent/cred", 0, got, err, sizeof(err)) == -1 &&
	          strstr(err, "No such file") != NULL,
	    "missing: %s", err);
}

int
main(void)
{
	test_derive();
	test_parse();
	test_files();
	return check_summary("nodecred_test");
}
