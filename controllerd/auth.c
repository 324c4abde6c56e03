/*
 * Tokens and roles (see auth.h). A token is "pod_" and 32 random bytes in
 * hex: long enough that guessing is hopeless, so a fast hash (SHA-256)
 * suffices to keep the stored copies useless to whoever reads the
 * database; a slow password hash would only slow every request. Lookups
 * compare the presented hash with every kept one through CRYPTO_memcmp(),
 * whose time does not depend on where two hashes differ, so answers take
 * the same time for any wrong token.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "log.h"

static const char *const role_names[AUTH_NROLES] = {
    "anonymous", "viewer", "operator", "admin"};

/* The least role each rule admits, by enum auth_rule (RULE_NODE: none). */
static const struct {
	const char *name;
	int min_role;
} rules[RULE_NRULES] = {
    {"public", AUTH_ANONYMOUS},
    {"read", AUTH_VIEWER},
    {"user", AUTH_VIEWER},
    {"operator", AUTH_OPERATOR},
    {"admin", AUTH_ADMIN},
    {"node", AUTH_NROLES},
};

const char *
auth_role_name(int role)
{
	return role >= 0 && role < AUTH_NROLES ? role_names[role] : "?";
}

int
auth_role_parse(const char *s)
{
	int i;

	for (i = AUTH_VIEWER; i < AUTH_NROLES; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

const char *
auth_rule_name(int rule)
{
	return rule >= 0 && rule < RULE_NRULES ? rules[rule].name : "?";
}

int
auth_decide(int rule, int role, int anonymous_read)
{
	if (rule < 0 || rule >= RULE_NRULES || rule == RULE_NODE)
		return 403;
	if (rule == RULE_PUBLIC)
		return 0;
	if (role == AUTH_ANONYMOUS)
		return rule == RULE_READ && anonymous_read ? 0 : 401;
	return role >= rules[rule].min_role ? 0 : 403;
}

int
auth_user_valid(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= 32 && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789._-") == len;
}

void
auth_hash_hex(const unsigned char hash[AUTH_HASH_LEN], char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < AUTH_HASH_LEN; i++) {
		out[2 * i] = hex[hash[i] >> 4];
		out[2 * i + 1] = hex[hash[i] & 15];
	}
	out[2 * AUTH_HASH_LEN] = '\0';
}

/* The value of one lowercase hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
auth_hash_unhex(const char *s, unsigned char hash[AUTH_HASH_LEN])
{
	int i, hi, lo;

	if (strlen(s) != 2 * AUTH_HASH_LEN)
		return -1;
	for (i = 0; i < AUTH_HASH_LEN; i++) {
		if ((hi = hexval(s[2 * i])) < 0 ||
		    (lo = hexval(s[2 * i + 1])) < 0)
			return -1;
		hash[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* SHA-256 of len bytes of s into hash; -1 logged. */
static int
sha256(const char *s, size_t len, unsigned char hash[AUTH_HASH_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(s, len, hash, &n, EVP_sha256(), NULL) != 1 ||
	    n != AUTH_HASH_LEN) {
		log_warnx("%s: SHA-256 failed", __func__);
		return -1;
	}
	return 0;
}

int
auth_token_make(char *out, unsigned char hash[AUTH_HASH_LEN])
{
	unsigned char raw[AUTH_HASH_LEN];
	size_t plen = strlen(AUTH_TOKEN_PREFIX);

	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		log_warnx("%s: no randomness for a token", __func__);
		return -1;
	}
	memcpy(out, AUTH_TOKEN_PREFIX, plen);
	auth_hash_hex(raw, out + plen);
	OPENSSL_cleanse(raw, sizeof(raw));
	return sha256(out, AUTH_TOKEN_LEN, hash);
}

int
auth_token_hash(const char *token, unsigned char hash[AUTH_HASH_LEN])
{
	size_t plen = strlen(AUTH_TOKEN_PREFIX);
	unsigned char raw[AUTH_HASH_LEN];

	if (strlen(token) != AUTH_TOKEN_LEN ||
	    strncmp(token, AUTH_TOKEN_PREFIX, plen) != 0 ||
	    auth_hash_unhex(token + plen, raw) == -1)
		return -1;
	return sha256(token, AUTH_TOKEN_LEN, hash);
}

int
auth_add(struct auth *a, const struct auth_token *t)
{
	struct auth_token *grown;
	int cap;

	if (a->n == AUTH_MAX_TOKENS) {
		log_warnx("%s: already %d tokens", __func__, AUTH_MAX_TOKENS);
		return -1;
	}
	if (a->n == a->cap) {
		cap = a->cap ? 2 * a->cap : 16;
		if ((grown = realloc(a->tokens, cap * sizeof(*grown))) ==
		    NULL) {
			log_warnx("%s: out of memory", __func__);
			return -1;
		}
		a->tokens = grown;
		a->cap = cap;
	}
	a->tokens[a->n++] = *t;
	return 0;
}

struct auth_token *
auth_find(struct auth *a, const unsigned char *hash)
{
	struct auth_token *found = NULL;
	int i;

	/* no early exit: every kept hash is compared */
	for (i = 0; i < a->n; i++)
		if (CRYPTO_memcmp(a->tokens[i].hash, hash, AUTH_HASH_LEN) == 0)
			found = &a->tokens[i];
	return found;
}

struct auth_token *
auth_by_id(struct auth *a, int64_t id)
{
	int i;

	for (i = 0; i < a->n; i++)
		if (a->tokens[i].id == id)
			return &a->tokens[i];
	return NULL;
}

const char *
auth_unusable(const struct auth_token *t, int64_t now_ms)
{
	if (t->revoked_ms != 0)
		return "revoked";
	if (t->expires_ms != 0 && now_ms >= t->expires_ms)
		return "expired";
	return NULL;
}

int
auth_admins_left(const struct auth *a, int64_t except, int64_t now_ms)
{
	int i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->tokens[i].id != except &&
		     a->tokens[i].role == AUTH_ADMIN &&
		     auth_unusable(&a->tokens[i], now_ms) == NULL;
	return n;
}

void
auth_clear(struct auth *a)
{
	if (a->tokens != NULL)
		OPENSSL_cleanse(a->tokens, a->cap * sizeof(*a->tokens));
	free(a->tokens);
	a->tokens = NULL;
	a->n = a->cap = 0;
}
