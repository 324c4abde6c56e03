/* The SQL schema, compiled in from schema/NNN_*.sql. */
#ifndef CTL_SCHEMA_H
#define CTL_SCHEMA_H

struct schema_migration {
	int version; /* NNN of the file; PRAGMA user_version after it */
	const char *file;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const int schema_nmigrations;

#endif
