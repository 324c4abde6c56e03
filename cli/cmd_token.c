/*
 * Who podctl is to the server, and the tokens an admin issues: "whoami"
 * (GET /api/v1/whoami), "token create", "token list" and "token revoke"
 * (/api/v1/tokens). The server shows a new token once, in the reply to its
 * creation, and keeps only its hash; so "token create" prints the token
 * alone on stdout, for "podctl token create ... > file", and nothing a
 * script would have to cut away. The server's times are ms since the epoch
 * with 0 for "none"; the table turns them into RFC 3339 times and ages.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cred.h"
#include "fmt.h"
#include "podctl.h"
#include "table.h"

#define NAME_MAX_LEN 64 /* longest user name sent */

/* The roles, lowest first, as the server names them. */
static const char *const roles[] = {"viewer", "operator", "admin"};

/*
 * Columns of "token list" (see cmd_alarm.c for what each one means). The
 * times are the strings token_row() makes of the server's milliseconds.
 */
static const struct table_col token_cols[] = {
    {"ID", 0, TABLE_RIGHT, 0, FMT_FIELD_NUM("id", 1, 0)},
    {"USER", 0, TABLE_LEFT, 0, FMT_FIELD_STR("user")},
    {"ROLE", 0, TABLE_LEFT, 0, FMT_FIELD_STR("role")},
    {"CREATED", 4, TABLE_LEFT, 0, FMT_FIELD_STR("created")},
    {"EXPIRES", 2, TABLE_LEFT, 0, FMT_FIELD_STR("expires")},
    {"REVOKED", 0, TABLE_LEFT, 0, FMT_FIELD_STR("revoked")},
    {"LAST_USED", 3, TABLE_RIGHT, 0, FMT_FIELD_STR("last_used")},
    {"COMMENT", 1, TABLE_LEFT, 12, FMT_FIELD_STR("comment")},
};

#define NTOKEN_COLS ((int)(sizeof(token_cols) / sizeof(token_cols[0])))

/* Writes ms since the epoch as "2026-12-03T06:31:44Z", or `none` for 0 or
 * a value that is not a positive number. Returns buf. */
static const char *
ms_time(char *buf, size_t size, json_t *v, const char *none)
{
	struct tm tm;
	time_t t;

	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		snprintf(buf, size, "%s", none);
		return buf;
	}
	t = (time_t)(json_integer_value(v) / 1000);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%s", FMT_UNKNOWN);
	return buf;
}

/* A row of the table for one token of the reply: its own members, with
 * the times as text. NULL when out of memory. */
static json_t *
token_row(json_t *tok, int64_t now_ms)
{
	char created[32], expires[32], revoked[32], used[48], age[32];
	json_t *last = json_object_get(tok, "last_used_ms"), *row;

	if (json_is_integer(last) && json_integer_value(last) > 0)
		snprintf(used, sizeof(used), "%s ago",
		    fmt_age(age, sizeof(age),
		        (now_ms - json_integer_value(last)) / 1000));
	else
		snprintf(used, sizeof(used), "never");
	if ((row = json_deep_copy(tok)) == NULL)
		return NULL;
	if (json_object_set_new(row, "created",
	        json_string(ms_time(created, sizeof(created),
	            json_object_get(tok, "created_ms"), FMT_UNKNOWN))) ||
	    json_object_set_new(row, "expires",
	        json_string(ms_time(expires, sizeof(expires),
	            json_object_get(tok, "expires_ms"), "never"))) ||
	    json_object_set_new(row, "revoked",
	        json_string(ms_time(revoked, sizeof(revoked),
	            json_object_get(tok, "revoked_ms"), "no"))) ||
	    json_object_set_new(row, "last_used", json_string(used))) {
		json_decref(row);
		return NULL;
	}
	return row;
}

int
cmd_whoami(struct podctl *pc, const struct args *a)
{
	json_t *reply = NULL, *user;
	char when[32];
	int rc;

	(void)a;
	rc = podctl_call(pc, "GET", "/api/v1/whoami", NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	user = json_object_get(reply, "user");
	if (!json_is_string(json_object_get(reply, "role"))) {
		rc = podctl_bad_reply("no 'role'");
		goto fail;
	}
	if (!json_is_string(user)) {
		podctl_line("User", "anonymous (no token sent; reads only)");
		podctl_line("Role", "%s", fmt_str(reply, "role"));
		goto fail;
	}
	podctl_line("User", "%s", json_string_value(user));
	podctl_line("Role", "%s", fmt_str(reply, "role"));
	if (json_is_integer(json_object_get(reply, "token_id")))
		podctl_line("Token", "%lld",
		    (long long)json_integer_value(
		        json_object_get(reply, "token_id")));
	podctl_line("Expires", "%s",
	    ms_time(when, sizeof(when), json_object_get(reply, "expires_ms"),
	        "never"));
	if (pc->token_from[0] != '\0')
		podctl_line("Token from", "%s", pc->token_from);

fail:
	json_decref(reply);
	return rc;
}

/* 1 when s is valid UTF-8, as JSON strings must be. */
static int
utf8_valid(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return j != NULL;
}

/* 1 when s names a role. */
static int
role_valid(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(s, roles[i]) == 0)
			return 1;
	return 0;
}

/* 1 when s is a user name the server may take: 1 to NAME_MAX_LEN
 * printable ASCII characters without spaces. */
static int
user_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

int
cmd_token_create(struct podctl *pc, const struct args *a)
{
	const char *user = args_get(a, "user"), *role = args_get(a, "role"),
	           *expires = args_get(a, "expires"),
	           *comment = args_get(a, "comment");
	json_t *body = NULL, *reply = NULL, *tok;
	int64_t secs = 0;
	char err[128];
	int rc = PODCTL_EAPI;

	if (user == NULL || role == NULL)
		return podctl_usage_error("token create: --user and --role are "
		                          "required");
	if (!user_valid(user))
		return podctl_usage_error(
		    "token create: invalid --user '%s' (1 "
		    "to %d characters, no spaces)",
		    user, NAME_MAX_LEN);
	if (!role_valid(role))
		return podctl_usage_error("token create: unknown --role '%s' "
		                          "(viewer, operator or admin)",
		    role);
	if (expires != NULL &&
	    cred_parse_duration(expires, &secs, err, sizeof(err)) == -1)
		return podctl_usage_error(
		    "token create: --expires %s: %s", expires, err);

	if (comment != NULL && !utf8_valid(comment))
		return podctl_usage_error(
		    "token create: --comment is not valid UTF-8");
	if ((body = json_pack("{s:s, s:s}", "user", user, "role", role)) ==
	        NULL ||
	    (secs > 0 && json_object_set_new(
	                     body, "expires_s", json_integer(secs)) == -1) ||
	    (comment != NULL && json_object_set_new(body, "comment",
	                            json_string(comment)) == -1)) {
		podctl_error("out of memory");
		goto fail;
	}
	rc = podctl_call(pc, "POST", "/api/v1/tokens", body, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		goto fail;
	tok = json_object_get(reply, "token");
	if (!json_is_string(tok))
		rc = podctl_bad_reply("no 'token'");
	else
		printf("%s\n", json_string_value(tok));

fail:
	json_decref(reply);
	json_decref(body);
	return rc;
}

int
cmd_token_list(struct podctl *pc, const struct args *a)
{
	json_t *reply = NULL, *tokens, *rows = NULL, *row;
	size_t i;
	int rc;

	(void)a;
	if ((rc = podctl_check_columns(pc, token_cols, NTOKEN_COLS)) !=
	    PODCTL_OK)
		return rc;
	rc = podctl_call(pc, "GET", "/api/v1/tokens", NULL, &reply);
	if (rc != PODCTL_OK || reply == NULL)
		return rc;
	if (!json_is_array(tokens = json_object_get(reply, "tokens"))) {
		rc = podctl_bad_reply("no 'tokens' array");
		goto fail;
	}
	if ((rows = json_array()) == NULL)
		goto oom;
	for (i = 0; i < json_array_size(tokens); i++) {
		if (!json_is_object(json_array_get(tokens, i))) {
			rc = podctl_bad_reply("a token is not an object");
			goto fail;
		}
		if ((row = token_row(json_array_get(tokens, i), pc->now_ms)) ==
		        NULL ||
		    json_array_append_new(rows, row) == -1)
			goto oom;
	}
	rc = podctl_print_table(pc, token_cols, NTOKEN_COLS, rows);
	goto fail;

oom:
	podctl_error("out of memory");
	rc = PODCTL_EAPI;
fail:
	json_decref(rows);
	json_decref(reply);
	return rc;
}

int
cmd_token_revoke(struct podctl *pc, const struct args *a)
{
	return podctl_call_on_id(
	    pc, "token", a->pos[0], "DELETE", "/api/v1/tokens/", "", "revoked");
}
