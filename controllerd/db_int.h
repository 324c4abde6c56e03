/*
 * Inside the database layer (db.h): the connection and statement records
 * both engines fill, and the PostgreSQL side's calls (db_pg.c), which db.c
 * hands every call on a PostgreSQL connection to. Only db*.c include this.
 */
#ifndef CTL_DB_INT_H
#define CTL_DB_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "db.h"

struct pg_conn; /* db_pg.c */

struct db {
	enum db_engine engine;
	enum db_fault fault; /* of the last call */
	char where[512];     /* path, or URL without its password */
	char msg[256];       /* the last failure's message */
	int64_t changes;     /* rows the last write changed (PostgreSQL) */
	int busy_ms;         /* the longest wait for a lock */
	sqlite3 *lite;
	struct pg_conn *pg;
};

/* A bound value, kept until the statement runs (PostgreSQL). */
struct db_param {
	unsigned type; /* the type's OID, 0 for NULL */
	const char *text;
	char *owned;  /* text, when the statement frees it */
	char buf[32]; /* a number, printed */
};

struct db_stmt {
	struct db *db;
	sqlite3_stmt *lite;
	/* PostgreSQL: the SQL with $N, its parameters, the result walked */
	char *sql;
	int nparams;
	struct db_param *params;
	void *res; /* PGresult */
	int row, nrows;
};

/* Each as its db.h namesake, for a PostgreSQL connection. */
int db_pg_open(struct db *db, const char *url);
void db_pg_close(struct db *db);
/* Sets the session's lock wait to busy_ms. 0 or -1 logged. */
int db_pg_session(struct db *db);
int db_pg_exec(struct db *db, const char *sql);
int db_pg_prepare(struct db_stmt *st, const char *sql);
int db_pg_step(struct db_stmt *st);
const char *db_pg_column(struct db_stmt *st, int i);
int db_pg_column_is_null(struct db_stmt *st, int i);
void db_pg_reset(struct db_stmt *st);
void db_pg_finalize(struct db_stmt *st);
int db_pg_in_transaction(struct db *db);
int db_pg_pipeline(struct db *db, int on);
int db_pg_schema_version(struct db *db);
int db_pg_set_schema_version(struct db *db, int version);
/* The SQL with `?` and `?N` outside quotes as `$N`; the highest N in
 * *nparams. Caller frees; NULL when out of memory. */
char *db_pg_placeholders(const char *sql, int *nparams);

#endif
