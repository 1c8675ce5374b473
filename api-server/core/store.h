/* store — every SQL statement the server runs, one store module per resource.
 *
 * Each store function sends one prepared statement and calls cb with its result; the
 * header of each module documents the columns. Handlers never hold SQL. */
#ifndef FREECOOP_STORE_H
#define FREECOOP_STORE_H

#include <stddef.h>

#include "db/db.h"

/* RFC 3339 UTC text of a timestamptz column, for SELECT lists. */
#define STORE_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Every statement, to prepare on each connection (store.c). */
extern const struct db_stmt *const store_statements[];
extern const size_t store_nstatements;

#endif
