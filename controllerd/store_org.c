/*
 * The store's organisation (see store.h and org.h): accounts, users with
 * their associations, and reservations. Every change is one transaction
 * with its audit line; everything is loaded once at start into the
 * organisation in memory, which the submit path and the scheduling passes
 * read. QOS and partitions are the config's and are not stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "org.h"
#include "store.h"
#include "store_int.h"

/* Rows of `table` (a constant), or -1. */
static int
count_rows(struct store *s, const char *sql)
{
	struct db_stmt *st = store_prepare(s, sql);
	int n = -1;

	if (st != NULL && db_step(st) == DB_ROW)
		n = db_column_int(st, 0);
	db_finalize(st);
	return n;
}

/* The index of the account with row id `id` among o's, or -1. */
static int
account_by_id(const struct org *o, int64_t id)
{
	int i;

	for (i = 0; i < o->naccounts; i++)
		if (o->accounts[i].id == id)
			return i;
	return -1;
}

static int
load_accounts(struct store *s, struct org *o)
{
	struct db_stmt *st = store_prepare(s,
	    "SELECT id, name, parent, shares, description FROM accounts"
	    " ORDER BY id");
	int64_t *parent = NULL;
	int n, i, rc = -1, step = DB_DONE;

	if (st == NULL ||
	    (n = count_rows(s, "SELECT count(*) FROM accounts")) < 0)
		goto fail;
	if ((o->accounts = calloc(n + 1, sizeof(*o->accounts))) == NULL ||
	    (parent = calloc(n + 1, sizeof(*parent))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	while (o->naccounts < n && (step = db_step(st)) == DB_ROW) {
		struct org_account *a = &o->accounts[o->naccounts];

		a->id = db_column_int64(st, 0);
		store_column_text(st, 1, a->name, sizeof(a->name));
		parent[o->naccounts] = db_column_int64(st, 2);
		a->shares = db_column_double(st, 3);
		store_column_text(
		    st, 4, a->description, sizeof(a->description));
		o->naccounts++;
	}
	for (i = 0; i < o->naccounts; i++)
		o->accounts[i].parent =
		    parent[i] == 0 ? -1 : account_by_id(o, parent[i]);
	rc = store_read_end(s, step, "load the accounts");
fail:
	free(parent);
	db_finalize(st);
	return rc;
}

static int
load_users(struct store *s, struct org *o)
{
	struct db_stmt *us = store_prepare(
	    s, "SELECT name, default_account FROM users ORDER BY name");
	struct db_stmt *as =
	    store_prepare(s, "SELECT \"user\", account, shares FROM"
	                     " associations ORDER BY \"user\", account");
	int nu, na, rc = -1, step = DB_DONE;

	if (us == NULL || as == NULL ||
	    (nu = count_rows(s, "SELECT count(*) FROM users")) < 0 ||
	    (na = count_rows(s, "SELECT count(*) FROM associations")) < 0)
		goto fail;
	if ((o->users = calloc(nu + 1, sizeof(*o->users))) == NULL ||
	    (o->assocs = calloc(na + 1, sizeof(*o->assocs))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	while (o->nusers < nu && (step = db_step(us)) == DB_ROW) {
		struct org_user *u = &o->users[o->nusers];

		store_column_text(us, 0, u->name, sizeof(u->name));
		u->default_account = account_by_id(o, db_column_int64(us, 1));
		o->nusers++;
	}
	if (store_read_end(s, step, "load the users") == -1)
		goto fail;
	while (o->nassocs < na && (step = db_step(as)) == DB_ROW) {
		struct org_assoc *a = &o->assocs[o->nassocs];

		store_column_text(as, 0, a->user, sizeof(a->user));
		if ((a->account = account_by_id(o, db_column_int64(as, 1))) < 0)
			continue;
		a->shares = db_column_double(as, 2);
		o->nassocs++;
	}
	rc = store_read_end(s, step, "load the associations");
fail:
	db_finalize(us);
	db_finalize(as);
	return rc;
}

static int
load_resvs(struct store *s, struct org *o)
{
	struct db_stmt *st = store_prepare(s,
	    "SELECT id, name, start_ms, end_ms, maint, account, nodes,"
	    " created_by, created_ms FROM reservations ORDER BY start_ms, id");
	char account[ORG_NAME_MAX];
	const char *nodes;
	int n, rc = -1, step = DB_DONE;

	if (st == NULL ||
	    (n = count_rows(s, "SELECT count(*) FROM reservations")) < 0)
		goto fail;
	if ((o->resvs = calloc(n + 1, sizeof(*o->resvs))) == NULL) {
		log_warnx("%s: out of memory", __func__);
		goto fail;
	}
	while (o->nresvs < n && (step = db_step(st)) == DB_ROW) {
		struct org_resv *r = &o->resvs[o->nresvs];

		r->id = db_column_int64(st, 0);
		store_column_text(st, 1, r->name, sizeof(r->name));
		r->start_ms = db_column_int64(st, 2);
		r->end_ms = db_column_int64(st, 3);
		r->maint = db_column_int(st, 4);
		store_column_text(st, 5, account, sizeof(account));
		r->account = account[0] ? org_account_find(o, account) : -1;
		nodes = db_column_text(st, 6);
		if ((r->nodes_text =
		            strdup(nodes ? (const char *)nodes : "")) == NULL) {
			log_warnx("%s: out of memory", __func__);
			goto fail;
		}
		store_column_text(st, 7, r->created_by, sizeof(r->created_by));
		r->created_ms = db_column_int64(st, 8);
		o->nresvs++;
	}
	rc = store_read_end(s, step, "load the reservations");
fail:
	db_finalize(st);
	return rc;
}

int
store_load_org(struct store *s, struct org *o)
{
	if (load_accounts(s, o) == -1 || load_users(s, o) == -1 ||
	    load_resvs(s, o) == -1)
		return -1;
	return 0;
}

int
store_put_account(struct store *s, int64_t *id, const char *name,
    int64_t parent_id, double shares, const char *description, const char *who,
    const char *action, const char *detail)
{
	struct db_stmt *st = store_prepare(
	    s, *id == 0 ? "INSERT INTO accounts (parent, shares, description,"
	                  " name) VALUES (?, ?, ?, ?) RETURNING id"
	                : "UPDATE accounts SET parent = ?, shares = ?,"
	                  " description = ? WHERE name = ?");
	char object[96];
	int rc = -1;

	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	store_bind_opt_int64(st, 1, parent_id);
	db_bind_double(st, 2, shares);
	db_bind_text(st, 3, description);
	db_bind_text(st, 4, name);
	if (*id == 0 ? (*id = store_insert_id(s, st, "insert account")) == 0
	             : store_step_done(s, st, "put account") == -1) {
		store_rollback(s);
		goto fail;
	}
	snprintf(object, sizeof(object), "account %s", name);
	if (store_commit_audit(s, who, action, object, detail) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_put_user(struct store *s, const char *name, int64_t default_id,
    const int64_t *accounts, const double *shares, int n, const char *who,
    const char *action, const char *detail)
{
	struct db_stmt *up = store_prepare(s,
	    "INSERT INTO users (name, default_account) VALUES (?1, ?2)"
	    " ON CONFLICT (name) DO UPDATE SET default_account = ?2");
	struct db_stmt *del =
	    store_prepare(s, "DELETE FROM associations WHERE \"user\" = ?");
	struct db_stmt *ins = store_prepare(s,
	    "INSERT INTO associations (\"user\", account, shares) "
	    "VALUES (?, ?, ?)");
	char object[96];
	int i, rc = -1;

	if (up == NULL || del == NULL || ins == NULL ||
	    store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_text(up, 1, name);
	db_bind_int64(up, 2, default_id);
	db_bind_text(del, 1, name);
	if (store_step_done(s, up, "put user") == -1 ||
	    store_step_done(s, del, "clear associations") == -1)
		goto rollback;
	for (i = 0; i < n; i++) {
		db_bind_text(ins, 1, name);
		db_bind_int64(ins, 2, accounts[i]);
		db_bind_double(ins, 3, shares[i]);
		if (store_step_done(s, ins, "put association") == -1)
			goto rollback;
	}
	snprintf(object, sizeof(object), "user %s", name);
	if (store_commit_audit(s, who, action, object, detail) == -1)
		goto fail;
	rc = 0;
	goto fail;
rollback:
	store_rollback(s);
fail:
	db_finalize(up);
	db_finalize(del);
	db_finalize(ins);
	return rc;
}

int
store_put_resv(struct store *s, struct org_resv *r, const char *account,
    const char *who, const char *detail)
{
	struct db_stmt *st = store_prepare(s,
	    "INSERT INTO reservations (name, start_ms, end_ms, maint,"
	    " account, nodes, created_by, created_ms)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
	char object[96];
	int rc = -1;

	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_text(st, 1, r->name);
	db_bind_int64(st, 2, r->start_ms);
	db_bind_int64(st, 3, r->end_ms);
	db_bind_int(st, 4, r->maint);
	db_bind_text(st, 5, account);
	db_bind_text(st, 6, r->nodes_text);
	db_bind_text(st, 7, r->created_by);
	db_bind_int64(st, 8, r->created_ms);
	if ((r->id = store_insert_id(s, st, "insert reservation")) == 0) {
		store_rollback(s);
		goto fail;
	}
	snprintf(object, sizeof(object), "reservation %s", r->name);
	if (store_commit_audit(s, who, "reservation add", object, detail) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}

int
store_delete_resv(
    struct store *s, int64_t id, const char *name, const char *who)
{
	struct db_stmt *st =
	    store_prepare(s, "DELETE FROM reservations WHERE id = ?");
	char object[96];
	int rc = -1;

	if (st == NULL || store_exec(s, "BEGIN IMMEDIATE") == -1)
		goto fail;
	db_bind_int64(st, 1, id);
	snprintf(object, sizeof(object), "reservation %s", name);
	if (store_commit_audited(s, st, "delete reservation", who,
	        "reservation delete", object, NULL) == -1)
		goto fail;
	rc = 0;
fail:
	db_finalize(st);
	return rc;
}
