/*
 * The store's tokens (see store.h and auth.h): made and revoked with an
 * audit line in one transaction, loaded once at start. Only hashes are
 * written; a token's last use is written at most once a minute (the
 * caller decides), so that reads cost no write each.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "store.h"
#include "store_int.h"

int
store_load_tokens(struct store *s, struct auth *a)
{
	struct db_stmt *st =
	    store_prepare(s, "SELECT id, hash, \"user\", role, comment,"
	                     " created_ms, expires_ms, revoked_ms, last_used_ms"
	                     " FROM tokens ORDER BY id");
	struct auth_token t;
	char hex[2 * AUTH_HASH_LEN + 1], role[16];
	int rc = -1, step;

	if (st == NULL)
		return -1;
	while ((step = db_step(st)) == DB_ROW) {
		memset(&t, 0, sizeof(t));
		t.id = db_column_int64(st, 0);
		store_column_text(st, 1, hex, sizeof(hex));
		store_column_text(st, 2, t.user, sizeof(t.user));
		store_column_text(st, 3, role, sizeof(role));
		store_column_text(st, 4, t.comment, sizeof(t.comment));
		t.created_ms = db_column_int64(st, 5);
		t.expires_ms = db_column_int64(st, 6);
		t.revoked_ms = db_column_int64(st, 7);
		t.last_used_ms = t.stored_used_ms = db_column_int64(st, 8);
		if (auth_hash_unhex(hex, t.hash) == -1 ||
		    (t.role = auth_role_parse(role)) == -1) {
			log_warnx("%s: token %lld is damaged (hash or role); "
			          "it is ignored",
			    __func__, (long long)t.id);
			continue;
		}
		if (auth_add(a, &t) == -1)
			goto fail;
	}
	/* a read cut short is not every token (a standby reads them again) */
	if (store_read_end(s, step, "read tokens") == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_put_token(struct store *s, struct auth_token *t, const char *who)
{
	struct db_stmt *st = store_prepare(s,
	    "INSERT INTO tokens (hash, \"user\", role, comment,"
	    " created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
	char hex[2 * AUTH_HASH_LEN + 1], object[32], detail[160];
	int rc = -1;

	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	auth_hash_hex(t->hash, hex);
	db_bind_text(st, 1, hex);
	db_bind_text(st, 2, t->user);
	db_bind_text(st, 3, auth_role_name(t->role));
	db_bind_text(st, 4, t->comment);
	db_bind_int64(st, 5, t->created_ms);
	db_bind_int64(st, 6, t->expires_ms);
	/* the id is known once the row is in: the audit line names it */
	if ((t->id = store_insert_id(s, st, "insert token")) == 0) {
		store_rollback(s);
		goto fail;
	}
	snprintf(object, sizeof(object), "token %lld", (long long)t->id);
	snprintf(
	    detail, sizeof(detail), "%s %s", t->user, auth_role_name(t->role));
	if (store_commit_audit(s, who, "token create", object, detail) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_revoke_token(
    struct store *s, int64_t id, int64_t when_ms, const char *who)
{
	struct db_stmt *st =
	    store_prepare(s, "UPDATE tokens SET revoked_ms = ? WHERE id = ?");
	char object[32];
	int rc = -1;

	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_int64(st, 1, when_ms);
	db_bind_int64(st, 2, id);
	snprintf(object, sizeof(object), "token %lld", (long long)id);
	if (store_commit_audited(
	        s, st, "revoke token", who, "token revoke", object, NULL) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_touch_token(struct store *s, int64_t id, int64_t used_ms)
{
	struct db_stmt *st =
	    store_prepare(s, "UPDATE tokens SET last_used_ms = ? WHERE id = ?");
	int rc;

	if (st == NULL)
		return -1;
	db_bind_int64(st, 1, used_ms);
	db_bind_int64(st, 2, id);
	rc = store_step_done(s, st, "token last use");
	db_finalize(st);
	return rc;
}
