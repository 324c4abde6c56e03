/*
 * The controller's database connection, SQLite or PostgreSQL: the store's
 * only way to an engine (store*.c). Its shape is SQLite's (prepare, bind,
 * step, column, reset, finalize), so that one store speaks to both; the
 * PostgreSQL side (db_pg.c) turns `?` and `?N` into `$N`, sends the bound
 * values with their types, and walks the result row by row.
 *
 * SQL given here must mean the same in both dialects: upserts as ON
 * CONFLICT, new ids by RETURNING, the column `user` quoted. What cannot be
 * written once (the schema's types, a table's existence, the schema's
 * version) has its own call here or its own migrations (schema/).
 */
#ifndef CTL_DB_H
#define CTL_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_engine { DB_SQLITE, DB_POSTGRESQL };

/* Why the last call failed, as far as the caller has to tell a client. */
enum db_fault {
	DB_FINE,        /* the last call succeeded */
	DB_BUSY,        /* another holds the lock, or a timeout ran out */
	DB_FULL,        /* the disk under the database is full */
	DB_READONLY,    /* the database cannot be written */
	DB_UNREACHABLE, /* the server is down or the connection lost */
	DB_OTHER        /* a bug, a bad statement, a constraint */
};

#define DB_ROW  1 /* db_step(): a row is there to read */
#define DB_DONE 0 /* db_step(): no (more) rows */

struct db;
struct db_stmt;

/* Whether where names a PostgreSQL server (postgresql:// or postgres://)
 * rather than an SQLite file. */
int db_is_url(const char *where);
/* 0 if url is a libpq URL that parses, else -1 with why in err. */
int db_url_check(const char *url, char *err, size_t errlen);
/* Connects to where (an SQLite file, created if missing, or a libpq URL).
 * A call waits at most busy_ms for a lock another holds. NULL logged. */
struct db *db_open(const char *where, int busy_ms);
void db_close(struct db *db);
enum db_engine db_engine(const struct db *db);
/* where without its password, for logs and replies; borrowed. */
const char *db_where(const struct db *db);

/* Runs sql, which may hold several statements and no parameters. "BEGIN
 * IMMEDIATE" (SQLite's write transaction) is BEGIN on PostgreSQL. 0 or -1
 * logged. */
int db_exec(struct db *db, const char *sql);
/* A statement; caller frees with db_finalize(). NULL logged. */
struct db_stmt *db_prepare(struct db *db, const char *sql);
/* Bindings, 1-based as in SQL. A text must stay valid until the statement
 * is stepped, reset or finalized. */
void db_bind_int64(struct db_stmt *st, int i, int64_t v);
void db_bind_int(struct db_stmt *st, int i, int v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_text(struct db_stmt *st, int i, const char *v);
void db_bind_null(struct db_stmt *st, int i);
/* As db_bind_text(), handing v over: the statement frees it. */
void db_bind_text_owned(struct db_stmt *st, int i, char *v);
/* DB_ROW, DB_DONE, or -1 (not logged: the caller says what it was). */
int db_step(struct db_stmt *st);
/* Columns of the current row, 0-based. A text is borrowed until the next
 * step, reset or finalize; NULL for SQL NULL. */
int64_t db_column_int64(struct db_stmt *st, int i);
int db_column_int(struct db_stmt *st, int i);
double db_column_double(struct db_stmt *st, int i);
const char *db_column_text(struct db_stmt *st, int i);
int db_column_is_null(struct db_stmt *st, int i);
/* Makes st ready to run again, keeping its bindings. */
void db_reset(struct db_stmt *st);
void db_clear_bindings(struct db_stmt *st);
void db_finalize(struct db_stmt *st);

/* Rows changed by the last statement that wrote. */
int64_t db_changes(struct db *db);
/* The engine's message for the last failure; borrowed. */
const char *db_errmsg(struct db *db);
enum db_fault db_fault(const struct db *db);
/* Whether a transaction is open (or failed and not yet rolled back). */
int db_in_transaction(struct db *db);

/* The wait for a lock another holds, from now on: on SQLite the handler
 * fn, asked with how many tries so far whether to wait once more; on
 * PostgreSQL at most max_ms, server side. */
void db_busy_handler(
    struct db *db, int (*fn)(void *, int), void *arg, int max_ms);
/* PostgreSQL (nothing on SQLite): with on, a write whose result is not
 * read (INSERT, UPDATE, DELETE without RETURNING) is sent without waiting
 * for it, in libpq's pipeline mode; the next statement that waits (a
 * query, COMMIT) reads what was sent first, and fails if any of it did.
 * For a connection that writes many rows in a transaction: a round trip
 * a transaction instead of one a row. Off: 0, or -1 if what was held
 * failed. */
int db_pipeline(struct db *db, int on);
/* SQLite's checkpoint of its write-ahead log, waiting for nobody; nothing
 * on PostgreSQL. */
void db_checkpoint(struct db *db);
void db_sleep_ms(int ms);

/* The number of the last schema migration applied (0: none), or -1. */
int db_schema_version(struct db *db);
/* Inside the migration's transaction. 0 or -1 logged. */
int db_set_schema_version(struct db *db, int version);
/* 1 if the table exists, 0 if not, -1 logged. */
int db_table_exists(struct db *db, const char *name);

#endif
