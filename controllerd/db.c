/*
 * The database layer (db.h): SQLite here, in thin wrappers over its own
 * calls; every call on a PostgreSQL connection goes to db_pg.c. The
 * store's code above it is the same for both.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_int.h"
#include "log.h"

int
db_is_url(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 ||
	       strncmp(where, "postgres://", 11) == 0;
}

/* Records the outcome of the last SQLite call on db. */
static int
lite_result(struct db *db, int rc)
{
	switch (rc & 0xff) { /* the primary code of an extended one */
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		db->fault = DB_FINE;
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		db->fault = DB_BUSY;
		break;
	case SQLITE_FULL:
		db->fault = DB_FULL;
		break;
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
		db->fault = DB_READONLY;
		break;
	default:
		db->fault = DB_OTHER;
	}
	snprintf(db->msg, sizeof(db->msg), "%s", sqlite3_errmsg(db->lite));
	return -1;
}

struct db *
db_open(const char *where, int busy_ms)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	db->busy_ms = busy_ms;
	if (db_is_url(where)) {
		db->engine = DB_POSTGRESQL;
		if (db_pg_open(db, where) == -1)
			goto fail;
		return db;
	}
	db->engine = DB_SQLITE;
	snprintf(db->where, sizeof(db->where), "%s", where);
	if (sqlite3_open_v2(where, &db->lite,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		log_warnx("store: %s: %s", where,
		    db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db->lite, busy_ms);
	sqlite3_extended_result_codes(db->lite, 1);
	return db;
fail:
	db_close(db);
	return NULL;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->engine == DB_POSTGRESQL)
		db_pg_close(db);
	else
		sqlite3_close(db->lite);
	free(db);
}

enum db_engine
db_engine(const struct db *db)
{
	return db->engine;
}

const char *
db_where(const struct db *db)
{
	return db->where;
}

int
db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int rc;

	if (db->engine == DB_POSTGRESQL)
		return db_pg_exec(db, sql);
	if ((rc = sqlite3_exec(db->lite, sql, NULL, NULL, &msg)) != SQLITE_OK) {
		lite_result(db, rc);
		log_warnx("store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	db->fault = DB_FINE;
	return 0;
}

struct db_stmt *
db_prepare(struct db *db, const char *sql)
{
	struct db_stmt *st = calloc(1, sizeof(*st));
	int rc;

	if (st == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	st->db = db;
	if (db->engine == DB_POSTGRESQL) {
		if (db_pg_prepare(st, sql) == -1) {
			free(st);
			return NULL;
		}
		return st;
	}
	rc = sqlite3_prepare_v2(db->lite, sql, -1, &st->lite, NULL);
	if (rc != SQLITE_OK) {
		lite_result(db, rc);
		log_warnx("store: prepare %s: %s", sql, db->msg);
		free(st);
		return NULL;
	}
	return st;
}

/* The PostgreSQL slot of parameter i, emptied, or NULL out of range. */
static struct db_param *
param(struct db_stmt *st, int i)
{
	struct db_param *p;

	if (i < 1 || i > st->nparams)
		return NULL;
	p = &st->params[i - 1];
	free(p->owned);
	p->owned = NULL;
	return p;
}

/* OIDs of PostgreSQL's int8, float8 and text (pg_type.h) */
#define OID_INT8   20
#define OID_FLOAT8 701
#define OID_TEXT   25

void
db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	struct db_param *p;

	if (st->lite != NULL) {
		sqlite3_bind_int64(st->lite, i, v);
	} else if ((p = param(st, i)) != NULL) {
		snprintf(p->buf, sizeof(p->buf), "%lld", (long long)v);
		p->type = OID_INT8;
		p->text = p->buf;
	}
}

void
db_bind_int(struct db_stmt *st, int i, int v)
{
	db_bind_int64(st, i, v);
}

void
db_bind_double(struct db_stmt *st, int i, double v)
{
	struct db_param *p;

	if (st->lite != NULL) {
		sqlite3_bind_double(st->lite, i, v);
	} else if ((p = param(st, i)) != NULL) {
		if (isnan(v))
			snprintf(p->buf, sizeof(p->buf), "NaN");
		else if (isinf(v))
			snprintf(p->buf, sizeof(p->buf), "%sInfinity",
			    v < 0 ? "-" : "");
		else
			snprintf(p->buf, sizeof(p->buf), "%.17g", v);
		p->type = OID_FLOAT8;
		p->text = p->buf;
	}
}

void
db_bind_text(struct db_stmt *st, int i, const char *v)
{
	struct db_param *p;

	if (v == NULL) {
		db_bind_null(st, i);
	} else if (st->lite != NULL) {
		sqlite3_bind_text(st->lite, i, v, -1, SQLITE_STATIC);
	} else if ((p = param(st, i)) != NULL) {
		p->type = OID_TEXT;
		p->text = v;
	}
}

void
db_bind_text_owned(struct db_stmt *st, int i, char *v)
{
	struct db_param *p;

	if (v == NULL) {
		db_bind_null(st, i);
	} else if (st->lite != NULL) {
		sqlite3_bind_text(st->lite, i, v, -1, free);
	} else if ((p = param(st, i)) != NULL) {
		p->type = OID_TEXT;
		p->text = p->owned = v;
	} else {
		free(v);
	}
}

void
db_bind_null(struct db_stmt *st, int i)
{
	struct db_param *p;

	if (st->lite != NULL) {
		sqlite3_bind_null(st->lite, i);
	} else if ((p = param(st, i)) != NULL) {
		p->type = 0;
		p->text = NULL;
	}
}

int
db_step(struct db_stmt *st)
{
	int rc;

	if (st->lite == NULL)
		return db_pg_step(st);
	rc = sqlite3_step(st->lite);
	if (lite_result(st->db, rc) == -1)
		return -1;
	return rc == SQLITE_ROW ? DB_ROW : DB_DONE;
}

int64_t
db_column_int64(struct db_stmt *st, int i)
{
	const char *t;

	if (st->lite != NULL)
		return sqlite3_column_int64(st->lite, i);
	if ((t = db_pg_column(st, i)) == NULL)
		return 0;
	if (*t == 't' || *t == 'f') /* a boolean */
		return *t == 't';
	/* a whole number, or an average or a sum (numeric) cut to one */
	return strchr(t, '.') || strchr(t, 'e') ? (int64_t)strtod(t, NULL)
	                                        : strtoll(t, NULL, 10);
}

int
db_column_int(struct db_stmt *st, int i)
{
	return (int)db_column_int64(st, i);
}

double
db_column_double(struct db_stmt *st, int i)
{
	const char *t;

	if (st->lite != NULL)
		return sqlite3_column_double(st->lite, i);
	return (t = db_pg_column(st, i)) == NULL ? 0 : strtod(t, NULL);
}

const char *
db_column_text(struct db_stmt *st, int i)
{
	if (st->lite != NULL)
		return (const char *)sqlite3_column_text(st->lite, i);
	return db_pg_column(st, i);
}

int
db_column_is_null(struct db_stmt *st, int i)
{
	if (st->lite != NULL)
		return sqlite3_column_type(st->lite, i) == SQLITE_NULL;
	return db_pg_column_is_null(st, i);
}

void
db_reset(struct db_stmt *st)
{
	if (st->lite != NULL)
		sqlite3_reset(st->lite);
	else
		db_pg_reset(st);
}

void
db_clear_bindings(struct db_stmt *st)
{
	int i;

	if (st->lite != NULL) {
		sqlite3_clear_bindings(st->lite);
		return;
	}
	for (i = 1; i <= st->nparams; i++)
		db_bind_null(st, i);
}

void
db_finalize(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (st->lite != NULL)
		sqlite3_finalize(st->lite);
	else
		db_pg_finalize(st);
	free(st);
}

int64_t
db_changes(struct db *db)
{
	return db->engine == DB_POSTGRESQL ? db->changes
	                                   : sqlite3_changes64(db->lite);
}

const char *
db_errmsg(struct db *db)
{
	return db->fault == DB_FINE ? "no error" : db->msg;
}

enum db_fault
db_fault(const struct db *db)
{
	return db->fault;
}

int
db_in_transaction(struct db *db)
{
	if (db->engine == DB_POSTGRESQL)
		return db_pg_in_transaction(db);
	return !sqlite3_get_autocommit(db->lite);
}

void
db_busy_handler(struct db *db, int (*fn)(void *, int), void *arg, int max_ms)
{
	db->busy_ms = max_ms;
	if (db->engine == DB_SQLITE)
		sqlite3_busy_handler(db->lite, fn, arg);
	else
		(void)db_pg_session(db);
}

int
db_pipeline(struct db *db, int on)
{
	return db->engine == DB_POSTGRESQL ? db_pg_pipeline(db, on) : 0;
}

void
db_checkpoint(struct db *db)
{
	if (db->engine == DB_SQLITE)
		(void)sqlite3_wal_checkpoint_v2(
		    db->lite, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
}

void
db_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

int
db_schema_version(struct db *db)
{
	struct db_stmt *st;
	int v = -1;

	if (db->engine == DB_POSTGRESQL)
		return db_pg_schema_version(db);
	if ((st = db_prepare(db, "PRAGMA user_version")) == NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		v = db_column_int(st, 0);
	db_finalize(st);
	return v;
}

int
db_set_schema_version(struct db *db, int version)
{
	char sql[64];

	if (db->engine == DB_POSTGRESQL)
		return db_pg_set_schema_version(db, version);
	/* PRAGMA takes no parameters; the version is our integer. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return db_exec(db, sql);
}

int
db_table_exists(struct db *db, const char *name)
{
	struct db_stmt *st;
	int rc;

	st = db_prepare(db, db->engine == DB_POSTGRESQL
	                        ? "SELECT 1 FROM pg_tables WHERE schemaname ="
	                          " current_schema() AND tablename = ?"
	                        : "SELECT 1 FROM sqlite_master WHERE type ="
	                          " 'table' AND name = ?");
	if (st == NULL)
		return -1;
	db_bind_text(st, 1, name);
	rc = db_step(st);
	db_finalize(st);
	return rc == -1 ? -1 : rc == DB_ROW;
}
