/* migrate — applying and checking the embedded migrations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migrate.h"
#include "util.h"

/* Any constant will do, as long as nothing else in the database uses it. */
#define MIGRATE_LOCK_KEY "7412093865221"

const struct db_stmt stmt_migrations_list = {
	.sql = "SELECT version, sha256 FROM public.schema_migrations ORDER BY version",
	.nparams = 0,
};

static void
file_sha256(const struct migration *m, char hex[2 * UTIL_SHA256_LEN + 1])
{
	unsigned char d[UTIL_SHA256_LEN];

	util_sha256(m->sql, m->len, d);
	util_hex(d, sizeof(d), hex);
}

/* Runs sql on conn; returns 0, or -1 with the server's message in err. */
static int
exec(PGconn *conn, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int r = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		r = -1;
	}
	PQclear(res);
	return r;
}

static int
apply_one(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
	char hex[2 * UTIL_SHA256_LEN + 1], version[16];
	const char *params[3] = {version, m->name, hex};
	PGresult *res;
	int r;

	file_sha256(m, hex);
	snprintf(version, sizeof(version), "%d", m->version);
	if (exec(conn, "BEGIN", err, errlen) != 0)
		return -1;
	if (exec(conn, m->sql, err, errlen) != 0) {
		exec(conn, "ROLLBACK", err + strlen(err), errlen - strlen(err));
		return -1;
	}
	res = PQexecParams(conn,
			   "INSERT INTO public.schema_migrations (version, name, sha256) "
			   "VALUES ($1, $2, $3)",
			   3, NULL, params, NULL, NULL, 0);
	r = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (r != 0)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	PQclear(res);
	if (r != 0 || exec(conn, "COMMIT", err, errlen) != 0) {
		exec(conn, "ROLLBACK", err + strlen(err), errlen - strlen(err));
		return -1;
	}
	log_info("applied migration %04d_%s", m->version, m->name);
	return 0;
}

/* Checks res (version, sha256 rows) against the embedded files, allowing the recorded
 * set to be a prefix when prefix_ok. Returns the number recorded, or -1 with err. */
static int
compare(const PGresult *res, int prefix_ok, char *err, size_t errlen)
{
	int n = PQntuples(res);
	char hex[2 * UTIL_SHA256_LEN + 1];

	for (int i = 0; i < n; i++) {
		int v = atoi(PQgetvalue(res, i, 0));
		if ((size_t)i >= migrate_nfiles) {
			snprintf(err, errlen, "the database has migration %d, which this server "
				 "does not know (the schema is newer than the server)", v);
			return -1;
		}
		if (migrate_files[i].version != v) {
			snprintf(err, errlen, "the database has migration %d where migration %d "
				 "was expected", v, migrate_files[i].version);
			return -1;
		}
		file_sha256(&migrate_files[i], hex);
		if (strcmp(hex, PQgetvalue(res, i, 1)) != 0) {
			snprintf(err, errlen, "migration %04d_%s was changed after it was applied "
				 "(checksum mismatch)", v, migrate_files[i].name);
			return -1;
		}
	}
	if (!prefix_ok && (size_t)n != migrate_nfiles) {
		snprintf(err, errlen, "the database schema is at migration %d but this server "
			 "needs %d; run api-server --migrate", n > 0 ? atoi(PQgetvalue(res, n - 1, 0)) : 0,
			 migrate_files[migrate_nfiles - 1].version);
		return -1;
	}
	return n;
}

int
migrate_compare(const PGresult *res, char *err, size_t errlen)
{
	return compare(res, 0, err, errlen) < 0 ? -1 : 0;
}

int
migrate_apply(PGconn *conn, char *err, size_t errlen)
{
	PGresult *res = NULL;
	int done, applied = -1;

	if (exec(conn, "SET client_min_messages = warning", err, errlen) != 0 ||
	    exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", err, errlen) != 0)
		return -1;
	if (exec(conn,
		 "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
		 " version int PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
		 " applied_at timestamptz NOT NULL DEFAULT now())",
		 err, errlen) != 0)
		goto out;
	res = PQexec(conn, stmt_migrations_list.sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		goto out;
	}
	if ((done = compare(res, 1, err, errlen)) < 0)
		goto out;
	applied = 0;
	for (size_t i = (size_t)done; i < migrate_nfiles; i++, applied++) {
		if (apply_one(conn, &migrate_files[i], err, errlen) != 0) {
			applied = -1;
			goto out;
		}
	}
out:
	PQclear(res);
	PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
	return applied;
}
