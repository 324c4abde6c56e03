/*
 * Who may do what on the REST API (docs/security.md): bearer tokens, each
 * naming a user and a role, and the rule every route declares in api.c's
 * table. Only a token's SHA-256 is kept, in memory and in the store; the
 * token itself is shown once, when it is made. The tokens are few (people
 * and scripts, not nodes: nodes have credentials, nodeauth.h), so they live
 * in one array, loaded at start and changed only through this module after
 * the store has the change.
 */
#ifndef CTL_AUTH_H
#define CTL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_TOKEN_PREFIX "pod_"
#define AUTH_TOKEN_LEN    68 /* "pod_" and 64 hex digits */
#define AUTH_HASH_LEN     32 /* SHA-256, bytes */
#define AUTH_USER_MAX     64 /* a user name, with its NUL */
#define AUTH_COMMENT_MAX  256
#define AUTH_MAX_TOKENS   10000 /* tokens kept, revoked ones included */
#define AUTH_TOUCH_MS     60000 /* last use stored at most this often, ms */

/* Roles, each allowed all a lower one is. */
enum auth_role {
	AUTH_ANONYMOUS, /* no token */
	AUTH_VIEWER,    /* reads; submits and cancels its own jobs */
	AUTH_OPERATOR,  /* drains, resumes, caps, curtails, policies, acks */
	AUTH_ADMIN,     /* tokens and node credentials */
	AUTH_NROLES
};

/* What a route asks of its caller (one per route, in api.c's table). */
enum auth_rule {
	RULE_PUBLIC,   /* anyone: /health, the dashboard's files */
	RULE_READ,     /* a viewer, or anyone when [auth] anonymous_read */
	RULE_USER,     /* any valid token: a user's own jobs */
	RULE_OPERATOR, /* an operator or an admin */
	RULE_ADMIN,    /* an admin */
	RULE_NODE,     /* the node's own credential (nodeauth.h) */
	RULE_NRULES
};

struct auth_token {
	int64_t id;
	unsigned char hash[AUTH_HASH_LEN]; /* SHA-256 of the token */
	char user[AUTH_USER_MAX];
	int role; /* enum auth_role */
	char comment[AUTH_COMMENT_MAX];
	int64_t created_ms;     /* wall clock, ms */
	int64_t expires_ms;     /* 0: never */
	int64_t revoked_ms;     /* 0: not revoked */
	int64_t last_used_ms;   /* 0: never used */
	int64_t stored_used_ms; /* last_used_ms as the store has it */
};

struct auth {
	struct auth_token *tokens;
	int n, cap;
	int64_t refused[2]; /* REST requests answered 401, 403 */
};

/* "viewer", "operator", "admin" ("anonymous" for AUTH_ANONYMOUS). */
const char *auth_role_name(int role);
/* The role named s (viewer, operator, admin), or -1. */
int auth_role_parse(const char *s);
/* "public", "read", "user", "operator", "admin", "node". */
const char *auth_rule_name(int rule);
/*
 * The decision for a caller of `role` on a route of `rule` (RULE_NODE is
 * decided by nodeauth.h, not here): 0 to go on, 401 when a token is needed
 * and none was given, 403 when the role is too low.
 */
int auth_decide(int rule, int role, int anonymous_read);
/* 1 when s is a user name a token may carry: 1 to 32 of [A-Za-z0-9._-],
 * not starting with '-' (what a Unix user name may be). */
int auth_user_valid(const char *s);

/* A new random token into out (AUTH_TOKEN_LEN + 1) and its hash. 0, or -1
 * when the system has no randomness to give (logged). */
int auth_token_make(char *out, unsigned char hash[AUTH_HASH_LEN]);
/* The hash of a token as a client sent it; -1 when it does not have the
 * shape of one (then it cannot be one: no lookup is made). */
int auth_token_hash(const char *token, unsigned char hash[AUTH_HASH_LEN]);
/* hash as 64 lowercase hex digits into out (65 bytes). */
void auth_hash_hex(const unsigned char hash[AUTH_HASH_LEN], char *out);
/* Reads 64 hex digits into hash; -1 when s is not that. */
int auth_hash_unhex(const char *s, unsigned char hash[AUTH_HASH_LEN]);

/* Adds a copy of t. 0, or -1 when full or out of memory (logged). */
int auth_add(struct auth *a, const struct auth_token *t);
/* The token with this hash, compared in constant time against every
 * token kept; NULL when none. Borrowed, valid until the next auth_add(). */
struct auth_token *auth_find(struct auth *a, const unsigned char *hash);
/* The token with this id, or NULL. Borrowed, as auth_find(). */
struct auth_token *auth_by_id(struct auth *a, int64_t id);
/* NULL when t may be used at now_ms, else why not ("revoked", "expired"). */
const char *auth_unusable(const struct auth_token *t, int64_t now_ms);
/* The number of admin tokens usable at now_ms, other than `except` (an
 * id, 0 for none). */
int auth_admins_left(const struct auth *a, int64_t except, int64_t now_ms);
/* Frees the tokens (not a itself). */
void auth_clear(struct auth *a);

#endif
