/*
 * The database layer's pure parts (controllerd/db.c, db_pg.c): SQLite's
 * placeholders turned into PostgreSQL's, outside quotes and comments, with
 * SQLite's numbering of a bare `?` (one past the highest so far), and the
 * URLs the configuration takes or refuses. Each group is a static table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "db.h"
#include "db_int.h"

/* Per case: SQLite's SQL, PostgreSQL's, and the highest parameter. */
static const struct {
	const char *sql;
	const char *want;
	int n;
} placeholder_cases[] = {
    {"SELECT 1", "SELECT 1", 0},
    {"SELECT ? + ?", "SELECT $1 + $2", 2},
    {"x = ?1 AND (?2 IS NULL OR y = ?2)", "x = $1 AND ($2 IS NULL OR y = $2)",
        2},
    /* a bare ? after ?5 is ?6, as in SQLite */
    {"a = ?5, b = ?", "a = $5, b = $6", 6},
    {"VALUES (?, ?, ?10)", "VALUES ($1, $2, $10)", 10},
    /* not parameters: inside strings, quoted names and comments */
    {"SELECT '?', \"a?b\" FROM t WHERE x = ?",
        "SELECT '?', \"a?b\" FROM t "
        "WHERE x = $1",
        1},
    {"SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || $1", 1},
    {"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2},
    {"INSERT INTO t (a) VALUES (?) ON CONFLICT DO NOTHING",
        "INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING", 1},
};

static void
test_placeholders(void)
{
	size_t i;

	for (i = 0; i < NELEM(placeholder_cases); i++) {
		int n = -1;
		char *got = db_pg_placeholders(placeholder_cases[i].sql, &n);

		CHECK(
		    got != NULL && strcmp(got, placeholder_cases[i].want) == 0,
		    "case %zu: '%s'", i, got ? got : "(null)");
		CHECK(n == placeholder_cases[i].n, "case %zu: %d parameters", i,
		    n);
		free(got);
	}
}

/* Per case: a [controller] database value, whether it names a server,
 * and for a server whether libpq takes it. */
static const struct {
	const char *where;
	int url, ok;
} url_cases[] = {
    {"state/controller.db", 0, 1},
    {"/var/lib/pod/controller.db", 0, 1},
    {"postgresql://pod@db.example:5432/pod", 1, 1},
    {"postgres://pod@db1,db2/pod?target_session_attrs=read-write", 1, 1},
    {"postgresql://pod@db/pod?connect_timeout=3", 1, 1},
    {"postgresql://pod@db/pod?no_such_option=1", 1, 0},
    {"postgresql://pod@db/pod?sslmode=%zz", 1, 0},
};

static void
test_urls(void)
{
	char err[256];
	size_t i;

	for (i = 0; i < NELEM(url_cases); i++) {
		CHECK(db_is_url(url_cases[i].where) == url_cases[i].url,
		    "case %zu", i);
		if (!url_cases[i].url)
			continue;
		err[0] = '\0';
		CHECK((db_url_check(url_cases[i].where, err, sizeof(err)) ==
		          0) == url_cases[i].ok,
		    "case %zu: %s", i, err);
		CHECK(url_cases[i].ok ||
		          strncmp(err, "not a PostgreSQL URL: ", 22) == 0,
		    "case %zu: '%s'", i, err);
	}
}

int
main(void)
{
	test_placeholders();
	test_urls();
	return check_summary("db_test");
}
