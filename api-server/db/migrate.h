/* migrate — the numbered SQL migrations under sql/, embedded at build time.
 *
 * Applied in order, each in its own transaction, under an advisory lock, and recorded in
 * public.schema_migrations with the SHA-256 of the file. A server checks at start-up (and
 * in /readyz) that the recorded set equals its embedded set exactly. */
#ifndef FREECOOP_MIGRATE_H
#define FREECOOP_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "db.h"

struct migration {
	int version;
	const char *name;
	const char *sql; /* NUL-terminated; len bytes */
	size_t len;
};

/* Generated from sql/ by cmake/embed_sql.cmake, in version order. */
extern const struct migration migrate_files[];
extern const size_t migrate_nfiles;

/* SELECT version, sha256 FROM public.schema_migrations ORDER BY version. */
extern const struct db_stmt stmt_migrations_list;

/* Applies every pending migration over conn (blocking; a superuser connection), logging
 * each. Refuses if an applied file's checksum differs from the embedded one. Returns the
 * number applied, or -1 with a message in err. */
int migrate_apply(PGconn *conn, char *err, size_t errlen);

/* Compares the rows of stmt_migrations_list with the embedded set. Returns 0 when equal,
 * or -1 with a message in err saying how they differ. */
int migrate_compare(const PGresult *res, char *err, size_t errlen);

#endif
