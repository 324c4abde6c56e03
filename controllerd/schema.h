/* The SQL schema, compiled in from schema/NNN_*.sql (SQLite) and
 * schema/postgresql/NNN_*.sql (the same migrations in PostgreSQL's
 * dialect; the build fails unless both sets have the same versions). */
#ifndef CTL_SCHEMA_H
#define CTL_SCHEMA_H

struct schema_migration {
	int version; /* NNN of the file: the schema version after it */
	const char *file;
	const char *sql;
};

/* SQLite: schema/NNN_*.sql, in order */
extern const struct schema_migration schema_migrations[];
extern const int schema_nmigrations;
/* PostgreSQL: schema/postgresql/NNN_*.sql, in order, the same versions */
extern const struct schema_migration schema_pg_migrations[];
extern const int schema_pg_nmigrations;

#endif
