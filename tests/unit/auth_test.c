/*
 * Tokens and roles (controllerd/auth.c): the decision for every rule and
 * role, with anonymous reads on and off; the shape a token must have; its
 * hash against SHA-256 computed elsewhere; lookups, expiry, revocation and
 * the last admin.
 */
#include <string.h>

#include "auth.h"
#include "check.h"

/* rule, role, anonymous_read, the decision */
static const struct {
	int rule, role, anon, want;
} decisions[] = {
    {RULE_PUBLIC, AUTH_ANONYMOUS, 0, 0},
    {RULE_READ, AUTH_ANONYMOUS, 0, 401},
    {RULE_READ, AUTH_ANONYMOUS, 1, 0},
    {RULE_READ, AUTH_VIEWER, 0, 0},
    {RULE_USER, AUTH_ANONYMOUS, 1, 401},
    {RULE_USER, AUTH_VIEWER, 0, 0},
    {RULE_OPERATOR, AUTH_ANONYMOUS, 1, 401},
    {RULE_OPERATOR, AUTH_VIEWER, 1, 403},
    {RULE_OPERATOR, AUTH_OPERATOR, 0, 0},
    {RULE_OPERATOR, AUTH_ADMIN, 0, 0},
    {RULE_ADMIN, AUTH_OPERATOR, 0, 403},
    {RULE_ADMIN, AUTH_ADMIN, 0, 0},
    {RULE_NODE, AUTH_ADMIN, 1, 403}, /* never by role */
    {RULE_NRULES, AUTH_ADMIN, 1, 403},
};

static int
t_decide(void)
{
	size_t i;

	for (i = 0; i < NELEM(decisions); i++)
		CHECK(auth_decide(decisions[i].rule, decisions[i].role,
		          decisions[i].anon) == decisions[i].want,
		    "decision row %zu", i);
	CHECK(auth_role_parse("operator") == AUTH_OPERATOR);
	CHECK(auth_role_parse("anonymous") == -1);
	CHECK(auth_role_parse("Admin") == -1);
	CHECK(strcmp(auth_rule_name(RULE_NODE), "node") == 0);
	return 0;
}

static const struct {
	const char *name;
	int ok;
} users[] = {
    {"alice", 1},
    {"svc.batch_2", 1},
    {"a-b", 1},
    {"", 0},
    {"-x", 0},
    {"al ice", 0},
    {"root;", 0},
    {"abcdefghijklmnopqrstuvwxyz0123456", 0},
    {"abcdefghijklmnopqrstuvwxyz012345", 1},
    {"ü", 0},
};

static int
t_users(void)
{
	size_t i;

	for (i = 0; i < NELEM(users); i++)
		CHECK(auth_user_valid(users[i].name) == users[i].ok, "user %s",
		    users[i].name);
	return 0;
}

static int
t_tokens(void)
{
	char tok[AUTH_TOKEN_LEN + 1], other[AUTH_TOKEN_LEN + 1], hex[65];
	unsigned char h[AUTH_HASH_LEN], h2[AUTH_HASH_LEN];
	/* SHA-256 of "pod_" and 64 zeros, from `printf %s TOKEN | sha256sum` */
	const char *zeros = "pod_00000000000000000000000000000000"
	                    "00000000000000000000000000000000";
	CHECK(auth_token_make(tok, h) == 0);
	CHECK(strlen(tok) == AUTH_TOKEN_LEN && strncmp(tok, "pod_", 4) == 0);
	CHECK(auth_token_hash(tok, h2) == 0 && memcmp(h, h2, sizeof(h)) == 0);
	CHECK(auth_token_make(other, h2) == 0 && strcmp(tok, other) != 0);
	CHECK(auth_token_hash(zeros, h) == 0);
	auth_hash_hex(h, hex);
	CHECK(strcmp(hex, "df435e70ef3f7b4c2c3e864469e57883"
	                  "358985d3d791329ae219ae3874754164") == 0,
	    "sha256 %s", hex);
	/* not the shape of a token: no hash */
	CHECK(auth_token_hash("pod_123", h) == -1);
	CHECK(auth_token_hash("", h) == -1);
	tok[10] = 'G';
	CHECK(auth_token_hash(tok, h) == -1);
	tok[10] = 'A'; /* upper-case hex is not how tokens are written */
	CHECK(auth_token_hash(tok, h) == -1);
	CHECK(auth_hash_unhex(hex, h2) == 0 && memcmp(h, h2, sizeof(h)) == 0);
	CHECK(auth_hash_unhex("abc", h2) == -1);
	return 0;
}

static int
t_table(void)
{
	struct auth a = {0};
	struct auth_token t = {0};
	unsigned char h[AUTH_HASH_LEN];
	char tok[AUTH_TOKEN_LEN + 1];
	int i;

	for (i = 1; i <= 40; i++) {
		memset(&t, 0, sizeof(t));
		t.id = i;
		t.role = i % 2 ? AUTH_VIEWER : AUTH_ADMIN;
		CHECK(auth_token_make(tok, t.hash) == 0);
		CHECK(auth_add(&a, &t) == 0);
	}
	CHECK(auth_token_hash(tok, h) == 0);
	CHECK(auth_find(&a, h) == auth_by_id(&a, 40));
	h[31] ^= 1;
	CHECK(auth_find(&a, h) == NULL);
	CHECK(auth_by_id(&a, 41) == NULL);
	CHECK(auth_unusable(auth_by_id(&a, 1), 5) == NULL);
	auth_by_id(&a, 1)->expires_ms = 5;
	CHECK(auth_unusable(auth_by_id(&a, 1), 4) == NULL);
	CHECK(strcmp(auth_unusable(auth_by_id(&a, 1), 5), "expired") == 0);
	auth_by_id(&a, 1)->revoked_ms = 2;
	CHECK(strcmp(auth_unusable(auth_by_id(&a, 1), 1), "revoked") == 0);
	CHECK(auth_admins_left(&a, 0, 0) == 20);
	CHECK(auth_admins_left(&a, 2, 0) == 19);
	for (i = 2; i <= 38; i += 2)
		auth_by_id(&a, i)->revoked_ms = 1;
	CHECK(auth_admins_left(&a, 40, 0) == 0);
	CHECK(auth_admins_left(&a, 0, 0) == 1);
	auth_clear(&a);
	CHECK(a.n == 0 && a.tokens == NULL);
	return 0;
}

int
main(void)
{
	t_decide();
	t_users();
	t_tokens();
	t_table();
	return check_summary("auth_test");
}
