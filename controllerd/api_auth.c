/*
 * The REST API's identity handlers: who the caller is (/whoami, which the
 * dashboard and podctl use to show who is signed in and what they may do)
 * and the admins' tokens (/tokens). A new token is shown once, in the reply
 * that makes it; the store keeps only its hash. Routed, with their rules,
 * by the table in api.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apireq.h"
#include "auth.h"
#include "ctl.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#define TOKEN_MAX_LIFE_S (10LL * 366 * 86400) /* the longest expiry, s */

void
api_whoami(struct api_req *r)
{
	struct auth_token *t = auth_by_id(&r->st->auth, r->token_id);

	if (t == NULL) {
		api_reply_json(r->req, 200,
		    json_pack("{s:n,s:s}", "user", "role", "anonymous"));
		return;
	}
	api_reply_json(r->req, 200,
	    json_pack("{s:s,s:s,s:I,s:I}", "user", t->user, "role",
	        auth_role_name(t->role), "token_id", (json_int_t)t->id,
	        "expires_ms", (json_int_t)t->expires_ms));
}

/* A token as GET /tokens lists it (never its hash). New reference. */
static json_t *
token_json(const struct auth_token *t)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I}", "id",
	    (json_int_t)t->id, "user", t->user, "role", auth_role_name(t->role),
	    "comment", t->comment, "created_ms", (json_int_t)t->created_ms,
	    "expires_ms", (json_int_t)t->expires_ms, "revoked_ms",
	    (json_int_t)t->revoked_ms, "last_used_ms",
	    (json_int_t)t->last_used_ms);
}

void
api_tokens(struct api_req *r)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a != NULL && i < r->st->auth.n; i++)
		json_array_append_new(a, token_json(&r->st->auth.tokens[i]));
	api_reply_json(r->req, 200, json_pack("{s:o}", "tokens", a));
}

/* Fills t from a POST /tokens body; 0, or -1 after a 400 reply. */
static int
token_parse(struct api_req *r, json_t *body, struct auth_token *t)
{
	json_t *user = json_object_get(body, "user"),
	       *role = json_object_get(body, "role"),
	       *exp = json_object_get(body, "expires_s"),
	       *comment = json_object_get(body, "comment");
	const char *key;
	char why[160];
	json_t *v;

	json_object_foreach(body, key, v)
	{
		if (strcmp(key, "user") != 0 && strcmp(key, "role") != 0 &&
		    strcmp(key, "expires_s") != 0 &&
		    strcmp(key, "comment") != 0) {
			api_reply_error(r->req, 400, "bad_request",
			    "token: unknown field '%s' (user, role, "
			    "expires_s, comment)",
			    key);
			return -1;
		}
	}
	if (!json_is_string(user) ||
	    !auth_user_valid(json_string_value(user))) {
		api_reply_error(r->req, 400, "bad_request",
		    "token: user must be a user name: 1 to 32 letters, "
		    "digits, '.', '_' or '-', not starting with '-'");
		return -1;
	}
	if (!json_is_string(role) ||
	    (t->role = auth_role_parse(json_string_value(role))) == -1) {
		api_reply_error(r->req, 400, "bad_request",
		    "token: role must be viewer, operator or admin");
		return -1;
	}
	if (exp != NULL && !json_is_null(exp) &&
	    (!json_is_integer(exp) || json_integer_value(exp) < 0 ||
	        json_integer_value(exp) > TOKEN_MAX_LIFE_S)) {
		api_reply_error(r->req, 400, "bad_request",
		    "token: expires_s must be seconds from now, 0 (never) to "
		    "%lld",
		    TOKEN_MAX_LIFE_S);
		return -1;
	}
	if (comment != NULL && !json_is_null(comment) &&
	    (!json_is_string(comment) ||
	        strlen(json_string_value(comment)) >= sizeof(t->comment))) {
		api_reply_error(r->req, 400, "bad_request",
		    "token: comment must be text of at most %zu bytes without "
		    "control characters",
		    sizeof(t->comment) - 1);
		return -1;
	}
	if (json_is_string(comment) &&
	    api_text_check("comment", json_string_value(comment), why,
	        sizeof(why)) == -1) {
		api_reply_error(r->req, 400, "bad_request", "token: %s", why);
		return -1;
	}
	snprintf(t->user, sizeof(t->user), "%s", json_string_value(user));
	if (json_is_string(comment))
		snprintf(t->comment, sizeof(t->comment), "%s",
		    json_string_value(comment));
	t->created_ms = time_wall_ms();
	if (json_is_integer(exp) && json_integer_value(exp) > 0)
		t->expires_ms =
		    t->created_ms + (int64_t)json_integer_value(exp) * 1000;
	return 0;
}

void
api_token_create(struct api_req *r)
{
	json_t *body = api_read_body(r->req);
	char token[AUTH_TOKEN_LEN + 1];
	struct auth_token t;

	memset(&t, 0, sizeof(t));
	if (body == NULL)
		return;
	if (token_parse(r, body, &t) == -1)
		goto done;
	if (auth_token_make(token, t.hash) == -1) {
		api_reply_error(
		    r->req, 500, "internal", "could not make a token");
		goto done;
	}
	if (store_put_token(r->st->store, &t, r->who) == -1) {
		api_reply_store_error(
		    r, "could not store the token for %s", t.user);
		goto done;
	}
	if (auth_add(&r->st->auth, &t) == -1) {
		/* stored but not usable until a restart loads it: say so */
		api_reply_error(r->req, 500, "internal",
		    "token %lld was stored but cannot be used before the "
		    "controller restarts",
		    (long long)t.id);
		goto done;
	}
	log_info("token %lld made for %s (%s) by %s", (long long)t.id, t.user,
	    auth_role_name(t.role), r->who);
	api_reply_json(r->req, 201,
	    json_pack("{s:I,s:s,s:s,s:s,s:I}", "id", (json_int_t)t.id, "token",
	        token, "user", t.user, "role", auth_role_name(t.role),
	        "expires_ms", (json_int_t)t.expires_ms));
done:
	OPENSSL_cleanse(token, sizeof(token));
	json_decref(body);
}

void
api_token_revoke(struct api_req *r)
{
	struct auth_token *t;
	int64_t now = time_wall_ms();
	char *end;
	long long id = strtoll(r->args[0], &end, 10);

	if (*end != '\0' || id <= 0 ||
	    (t = auth_by_id(&r->st->auth, id)) == NULL) {
		api_reply_error(
		    r->req, 404, "not_found", "no token '%s'", r->args[0]);
		return;
	}
	if (t->revoked_ms == 0) {
		if (t->role == AUTH_ADMIN &&
		    auth_admins_left(&r->st->auth, t->id, now) == 0) {
			api_reply_error(r->req, 409, "conflict",
			    "token %lld is the last usable admin token: make "
			    "another admin token first",
			    id);
			return;
		}
		if (store_revoke_token(r->st->store, t->id, now, r->who) ==
		    -1) {
			api_reply_store_error(r,
			    "could not store the revocation of token %lld", id);
			return;
		}
		t->revoked_ms = now;
		log_info("token %lld (%s) revoked by %s", id, t->user, r->who);
	}
	api_reply_json(r->req, 200,
	    json_pack("{s:I,s:b}", "id", (json_int_t)id, "revoked", 1));
}
