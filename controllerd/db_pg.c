/*
 * The database layer on PostgreSQL (db.h), over libpq.
 *
 * A statement is sent with its bound values in text form and their types
 * (PQexecParams: one round trip), and its result read row by row. libpq's
 * calls block: the connection's options bound every wait (connect_timeout,
 * TCP keepalives and tcp_user_timeout for a peer gone silent, lock_timeout
 * as SQLite's busy wait), unless the URL sets them itself.
 *
 * A lost connection is not retried in a loop: each call on a broken one
 * advances a non-blocking reset (PQresetStart, PQresetPoll) and fails at
 * once with DB_UNREACHABLE until the server answers again, so the event
 * loop goes on serving from memory while the database is away.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "log.h"

struct pg_conn {
	PGconn *c;
	int resetting; /* a PQresetStart() is under way */
	int down;      /* the loss was logged; "connected again" is due */
	int pipeline;  /* writes may be sent without waiting (db_pipeline) */
	int queued;    /* statements sent whose results are not read yet */
};

/* Statements a pipeline holds before it reads their results: few enough
 * that their replies fit in the sockets' buffers. */
#define PIPELINE_MAX 256

static int pg_drain(struct db *db);

/* Options set unless the URL sets them: every wait has an end. */
static const struct {
	const char *key, *value;
} pg_defaults[] = {
    {"connect_timeout", "5"},
    {"keepalives", "1"},
    {"keepalives_idle", "5"},
    {"keepalives_interval", "2"},
    {"keepalives_count", "2"},
    {"tcp_user_timeout", "9000"},
    {"application_name", "pod-controllerd"},
};
#define NDEFAULTS (sizeof(pg_defaults) / sizeof(pg_defaults[0]))

/* libpq's message in buf on one line: its newlines and tabs as spaces, no
 * trailing space, the server's "FATAL:  " kept. */
static void
one_line(char *buf, size_t size, const char *msg)
{
	size_t n = 0;

	for (; *msg != '\0' && n + 1 < size; msg++)
		if (*msg == '\n' || *msg == '\t' || *msg == '\r') {
			if (n > 0 && buf[n - 1] != ' ')
				buf[n++] = ' ';
		} else {
			buf[n++] = *msg;
		}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* Records the failure of the last call: its class from the SQLSTATE. */
static void
pg_fail(struct db *db, const PGresult *res)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : "";

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(db->pg->c);
	one_line(db->msg, sizeof(db->msg), msg);
	if (PQstatus(db->pg->c) != CONNECTION_OK || state == NULL ||
	    strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		db->fault = DB_UNREACHABLE;
	else if (strcmp(state, "53100") == 0)
		db->fault = DB_FULL;
	else if (strcmp(state, "25006") == 0 || strncmp(state, "42501", 5) == 0)
		db->fault = DB_READONLY; /* a replica, or no right to */
	else if (strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 ||
	         strcmp(state, "40P01") == 0 || strcmp(state, "57014") == 0)
		db->fault = DB_BUSY;
	else
		db->fault = DB_OTHER;
}

/* Whether the connection is up; on a broken one, one non-blocking step of
 * its reset. */
static int
pg_ready(struct db *db)
{
	struct pg_conn *p = db->pg;
	PostgresPollingStatusType ps;

	if (PQstatus(p->c) == CONNECTION_OK && !p->resetting)
		return 1;
	if (!p->down) {
		char why[256];

		p->down = 1;
		one_line(why, sizeof(why), PQerrorMessage(p->c));
		log_warnx("store: %s: the connection is lost (%s); connecting "
		          "again in the background",
		    db->where, why[0] ? why : "no answer");
	}
	if (!p->resetting) {
		p->queued = 0; /* a new session: what was sent is lost */
		if (!PQresetStart(p->c))
			goto down;
		p->resetting = 1;
	}
	ps = PQresetPoll(p->c);
	if (ps == PGRES_POLLING_OK) {
		p->resetting = 0;
		p->down = 0;
		log_info("store: %s: connected again", db->where);
		return db_pg_session(db) == 0;
	}
	if (ps == PGRES_POLLING_FAILED)
		p->resetting = 0; /* start over on the next call */
down:
	db->fault = DB_UNREACHABLE;
	snprintf(
	    db->msg, sizeof(db->msg), "no connection to %.200s", db->where);
	return 0;
}

int
db_pg_session(struct db *db)
{
	char sql[96];

	snprintf(sql, sizeof(sql),
	    "SET lock_timeout = %d; SET client_min_messages = warning",
	    db->busy_ms);
	return db_pg_exec(db, sql);
}

int
db_url_check(const char *url, char *err, size_t errlen)
{
	PQconninfoOption *opts;
	char *why = NULL, line[256];

	if ((opts = PQconninfoParse(url, &why)) == NULL) {
		one_line(line, sizeof(line), why ? why : "out of memory");
		snprintf(err, errlen, "not a PostgreSQL URL: %s", line);
		PQfreemem(why);
		return -1;
	}
	PQconninfoFree(opts);
	return 0;
}

int
db_pg_open(struct db *db, const char *url)
{
	PQconninfoOption *opts, *o;
	const char *keys[64], *vals[64];
	char *err = NULL;
	size_t n = 0, i;

	if ((db->pg = calloc(1, sizeof(*db->pg))) == NULL) {
		log_warn("%s: calloc", __func__);
		return -1;
	}
	if ((opts = PQconninfoParse(url, &err)) == NULL) {
		log_warnx(
		    "store: database URL: %s", err ? err : "out of memory");
		PQfreemem(err);
		return -1;
	}
	for (o = opts; o->keyword != NULL && n < 64 - NDEFAULTS - 1; o++)
		if (o->val != NULL) {
			keys[n] = o->keyword;
			vals[n++] = o->val;
		}
	for (i = 0; i < NDEFAULTS; i++) {
		for (o = opts; o->keyword != NULL; o++)
			if (strcmp(o->keyword, pg_defaults[i].key) == 0)
				break;
		if (o->keyword == NULL || o->val == NULL) {
			keys[n] = pg_defaults[i].key;
			vals[n++] = pg_defaults[i].value;
		}
	}
	keys[n] = vals[n] = NULL;
	/* the URL for logs, without the password */
	{
		const char *host = "", *port = "", *dbname = "", *user = "";

		for (o = opts; o->keyword != NULL; o++) {
			if (o->val == NULL)
				continue;
			if (strcmp(o->keyword, "host") == 0)
				host = o->val;
			else if (strcmp(o->keyword, "port") == 0)
				port = o->val;
			else if (strcmp(o->keyword, "dbname") == 0)
				dbname = o->val;
			else if (strcmp(o->keyword, "user") == 0)
				user = o->val;
		}
		snprintf(db->where, sizeof(db->where),
		    "postgresql://%.64s%s%.128s%s%.16s/%.64s", user,
		    *user ? "@" : "", host, *port ? ":" : "", port, dbname);
	}
	db->pg->c = PQconnectdbParams(keys, vals, 0);
	PQconninfoFree(opts);
	if (db->pg->c == NULL || PQstatus(db->pg->c) != CONNECTION_OK) {
		log_warnx("store: %s: %s", db->where,
		    db->pg->c ? PQerrorMessage(db->pg->c) : "out of memory");
		return -1;
	}
	return db_pg_session(db);
}

void
db_pg_close(struct db *db)
{
	if (db->pg != NULL)
		PQfinish(db->pg->c);
	free(db->pg);
}

int
db_pg_exec(struct db *db, const char *sql)
{
	PGresult *res;
	ExecStatusType rs;

	if (strcmp(sql, "BEGIN IMMEDIATE") == 0)
		sql = "BEGIN";
	if (!pg_ready(db))
		return -1; /* the loss was logged once, by pg_ready() */
	/* what a pipeline holds goes first; a ROLLBACK is still sent after
	 * one of its statements failed */
	if (pg_drain(db) == -1 && strcmp(sql, "ROLLBACK") != 0) {
		log_warnx("store: %s: %s", sql, db->msg);
		return -1;
	}
	res = PQexec(db->pg->c, sql);
	rs = PQresultStatus(res);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
		pg_fail(db, res);
		log_warnx("store: %s: %s", sql, db->msg);
		PQclear(res);
		return -1;
	}
	/* a COMMIT of a transaction that failed earlier rolls it back and
	 * says so only in its tag: what SQLite would have kept is lost */
	if (strcmp(sql, "COMMIT") == 0 &&
	    strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
		db->fault = DB_OTHER;
		snprintf(db->msg, sizeof(db->msg),
		    "a statement failed earlier: the transaction was rolled "
		    "back");
		log_warnx("store: COMMIT: %s", db->msg);
		PQclear(res);
		return -1;
	}
	db->fault = DB_FINE;
	PQclear(res);
	return 0;
}

char *
db_pg_placeholders(const char *sql, int *nparams)
{
	size_t len = strlen(sql);
	char *out = malloc(len * 5 + 1), *o = out; /* "?" → "$NNNN" */
	const char *p = sql;
	char quote = 0;
	int hi = 0;

	if (out == NULL)
		return NULL;
	while (*p) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			*o++ = *p++;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p++;
		} else if (*p == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				*o++ = *p++;
		} else if (*p == '?') {
			int n = 0;

			p++;
			if (*p >= '0' && *p <= '9')
				while (*p >= '0' && *p <= '9')
					n = n * 10 + (*p++ - '0');
			else
				n = hi + 1; /* SQLite: one past the highest */
			if (n > hi)
				hi = n;
			o += snprintf(o, 6, "$%d", n % 10000);
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	*nparams = hi;
	return out;
}

int
db_pg_prepare(struct db_stmt *st, const char *sql)
{
	if ((st->sql = db_pg_placeholders(sql, &st->nparams)) == NULL ||
	    (st->nparams > 0 && (st->params = calloc(st->nparams,
	                             sizeof(*st->params))) == NULL)) {
		log_warn("%s: calloc", __func__);
		free(st->sql);
		return -1;
	}
	st->row = -1;
	return 0;
}

/* Reads the results of the statements a pipeline holds and leaves
 * pipeline mode: 0, or -1 if one of them failed (the first failure's
 * message kept; the transaction is then aborted). */
static int
pg_drain(struct db *db)
{
	struct pg_conn *p = db->pg;
	PGresult *res;
	int failed = 0, synced = 0;

	if (PQpipelineStatus(p->c) == PQ_PIPELINE_OFF)
		return 0;
	if (p->queued > 0 && !PQpipelineSync(p->c))
		failed = -1;
	while (p->queued > 0 && !synced && failed != -1) {
		if ((res = PQgetResult(p->c)) == NULL) {
			if (PQstatus(p->c) != CONNECTION_OK)
				failed = -1;
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_PIPELINE_SYNC:
			synced = 1;
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			break;
		case PGRES_PIPELINE_ABORTED: /* after the failure kept */
			failed = 1;
			break;
		default:
			if (!failed)
				pg_fail(db, res);
			failed = 1;
		}
		PQclear(res);
	}
	if (failed == -1)
		pg_fail(db, NULL);
	p->queued = 0;
	if (failed != -1 && !PQexitPipelineMode(p->c))
		failed = -1;
	return failed ? -1 : 0;
}

/* A write whose result the caller does not read: an INSERT, UPDATE or
 * DELETE without RETURNING, which a pipeline may hold. */
static int
pipelinable(const char *sql)
{
	return (strncmp(sql, "INSERT", 6) == 0 ||
	           strncmp(sql, "UPDATE", 6) == 0 ||
	           strncmp(sql, "DELETE", 6) == 0) &&
	       strstr(sql, "RETURNING") == NULL;
}

/* Sends the statement into the pipeline without waiting for it: DB_DONE,
 * its failure told by the next statement that waits (pg_drain). */
static int
pg_send(struct db_stmt *st, const char *const *vals, const Oid *types)
{
	struct pg_conn *p = st->db->pg;

	if (PQpipelineStatus(p->c) == PQ_PIPELINE_OFF &&
	    !PQenterPipelineMode(p->c)) {
		pg_fail(st->db, NULL);
		return -1;
	}
	if (!PQsendQueryParams(
	        p->c, st->sql, st->nparams, types, vals, NULL, NULL, 0)) {
		pg_fail(st->db, NULL);
		(void)pg_drain(st->db);
		return -1;
	}
	st->db->fault = DB_FINE;
	st->db->changes = 0; /* not known until it is read */
	if (++p->queued >= PIPELINE_MAX && pg_drain(st->db) == -1)
		return -1;
	st->nrows = 0;
	st->row = 0; /* done: no rows to read */
	return 1;
}

int
db_pg_pipeline(struct db *db, int on)
{
	db->pg->pipeline = on;
	return on ? 0 : pg_drain(db);
}

/* Runs the statement with its bound values. */
static int
pg_run(struct db_stmt *st)
{
	struct db *db = st->db;
	const char *vals[64];
	Oid types[64];
	PGresult *res;
	ExecStatusType rs;
	int i;

	if (st->nparams > 64) {
		db->fault = DB_OTHER;
		snprintf(db->msg, sizeof(db->msg), "more than 64 parameters");
		return -1;
	}
	if (!pg_ready(db))
		return -1;
	for (i = 0; i < st->nparams; i++) {
		vals[i] = st->params[i].text;
		types[i] = st->params[i].type;
	}
	if (db->pg->pipeline && pipelinable(st->sql))
		return pg_send(st, vals, types);
	if (pg_drain(db) == -1)
		return -1;
	res = PQexecParams(
	    db->pg->c, st->sql, st->nparams, types, vals, NULL, NULL, 0);
	rs = PQresultStatus(res);
	if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK) {
		pg_fail(db, res);
		PQclear(res);
		return -1;
	}
	db->fault = DB_FINE;
	if (rs == PGRES_COMMAND_OK) {
		const char *n = PQcmdTuples(res);

		db->changes = *n ? strtoll(n, NULL, 10) : 0;
	}
	st->res = res;
	st->nrows = PQntuples(res);
	st->row = -1;
	return 0;
}

int
db_pg_step(struct db_stmt *st)
{
	int rc;

	if (st->res == NULL && st->row < 0) {
		if ((rc = pg_run(st)) == -1)
			return -1;
		if (rc == 1) /* sent into the pipeline */
			return DB_DONE;
	}
	if (st->row + 1 >= st->nrows) {
		st->row = st->nrows; /* stays done until reset */
		return DB_DONE;
	}
	st->row++;
	return DB_ROW;
}

const char *
db_pg_column(struct db_stmt *st, int i)
{
	PGresult *res = st->res;

	if (res == NULL || st->row < 0 || st->row >= st->nrows ||
	    i >= PQnfields(res) || PQgetisnull(res, st->row, i))
		return NULL;
	return PQgetvalue(res, st->row, i);
}

int
db_pg_column_is_null(struct db_stmt *st, int i)
{
	return db_pg_column(st, i) == NULL;
}

void
db_pg_reset(struct db_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->nrows = 0;
}

void
db_pg_finalize(struct db_stmt *st)
{
	int i;

	db_pg_reset(st);
	for (i = 0; i < st->nparams; i++)
		free(st->params[i].owned);
	free(st->params);
	free(st->sql);
}

int
db_pg_in_transaction(struct db *db)
{
	PGTransactionStatusType ts = PQtransactionStatus(db->pg->c);

	return ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR ||
	       ts == PQTRANS_ACTIVE;
}

/* PostgreSQL has no PRAGMA user_version: a table of one row holds it. */
int
db_pg_schema_version(struct db *db)
{
	struct db_stmt *st;
	int v = -1, rc = db_table_exists(db, "schema_version");

	if (rc != 1)
		return rc == 0 ? 0 : -1; /* a new database */
	if ((st = db_prepare(db, "SELECT max(version) FROM schema_version")) ==
	    NULL)
		return -1;
	if (db_step(st) == DB_ROW)
		v = db_column_int(st, 0); /* NULL, no row yet: 0 */
	db_finalize(st);
	return v;
}

int
db_pg_set_schema_version(struct db *db, int version)
{
	struct db_stmt *st;
	int rc = -1;

	if (db_pg_exec(db, "CREATE TABLE IF NOT EXISTS schema_version"
	                   " (version BIGINT NOT NULL)") == -1 ||
	    db_pg_exec(db, "DELETE FROM schema_version") == -1 ||
	    (st = db_prepare(db, "INSERT INTO schema_version (version)"
	                         " VALUES (?)")) == NULL)
		return -1;
	db_bind_int(st, 1, version);
	if (db_step(st) != -1)
		rc = 0;
	else
		log_warnx("store: schema version: %s", db->msg);
	db_finalize(st);
	return rc;
}
