/*
 * store_sql.h - the compiled-in migrations (generated from lib/sql/).
 * Private to store.c.
 */
#ifndef AVEC_STORE_SQL_H
#define AVEC_STORE_SQL_H

struct avec_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct avec_migration avec_migrations[];
extern const int avec_migrations_count;

#endif
