/* store — the list of statements every database connection prepares, and what the store
 * modules share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "db/migrate.h"
#include "log.h"
#include "store.h"
#include "store_accounts.h"
#include "store_authorities.h"
#include "store_conclude.h"
#include "store_decisions.h"
#include "store_events.h"
#include "store_methods.h"
#include "store_tokens.h"

const struct db_stmt *const store_statements[] = {
	&stmt_service_by_key, &stmt_account_insert, &stmt_account_get,  &stmt_account_claim,
	&stmt_access_issue,   &stmt_authorization_lookup, &stmt_access_lookup,
	&stmt_access_revoke,  &stmt_access_purge, &stmt_credentials_notify,
	&stmt_authorities_list, &stmt_authority_is_decision, &stmt_migrations_list,
	&stmt_method_auditor, &stmt_method_add, &stmt_method_get, &stmt_methods_list,
	&stmt_decision_create, &stmt_decision_get, &stmt_decisions_list_service,
	&stmt_decisions_list_account, &stmt_franchise_add, &stmt_proposal_add,
	&stmt_proposals_list, &stmt_decision_key, &stmt_ballot_cast, &stmt_ballot_get,
	&stmt_result_get, &stmt_result_chunk, STORE_CONCLUDE_STATEMENTS,
	STORE_EVENTS_STATEMENTS,
};

const size_t store_nstatements = sizeof(store_statements) / sizeof(store_statements[0]);

struct store_call *
store_call_new(void (*cb)(void), void *arg)
{
	struct store_call *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->cb = cb;
		c->arg = arg;
	}
	return c;
}

bool
store_hash_matches(const char *db_hex, const unsigned char hash[UTIL_SHA256_LEN])
{
	char want[2 + 2 * UTIL_SHA256_LEN + 1] = "\\x";

	util_hex(hash, UTIL_SHA256_LEN, want + 2);
	return strlen(db_hex) == sizeof(want) - 1 &&
	       CRYPTO_memcmp(db_hex, want, sizeof(want) - 1) == 0;
}

void
store_account_principal(const PGresult *res, int row, struct principal *who)
{
	memset(who, 0, sizeof(*who));
	who->kind = PRINCIPAL_ACCOUNT;
	snprintf(who->account_id, sizeof(who->account_id), "%s", PQgetvalue(res, row, 1));
	who->account_named = !PQgetisnull(res, row, 2);
	snprintf(who->account_name, sizeof(who->account_name), "%s", PQgetvalue(res, row, 2));
	snprintf(who->account_created_at, sizeof(who->account_created_at), "%s",
		 PQgetvalue(res, row, 3));
	snprintf(who->service_id, sizeof(who->service_id), "%s", PQgetvalue(res, row, 4));
	snprintf(who->service_name, sizeof(who->service_name), "%s", PQgetvalue(res, row, 5));
}

static void
exec_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_done_cb cb = (store_done_cb)c->cb;
	struct problem no;

	cb(c->arg, res->status == DB_OK ? NULL : problem_db(&no, res));
	free(c);
}

void
store_exec(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *params,
	   store_done_cb cb, void *arg)
{
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_));
	db_query(db, stmt, params, exec_done, c);
}

/* Connects (blocking) with retries for up to wait_s seconds. */
static PGconn *
connect_wait(const char *conninfo, int wait_s)
{
	for (int i = 0;; i++) {
		PGconn *conn = PQconnectdb(conninfo);
		if (PQstatus(conn) == CONNECTION_OK)
			return conn;
		if (i >= wait_s) {
			log_error("could not connect to database: %s", PQerrorMessage(conn));
			PQfinish(conn);
			return NULL;
		}
		if (i == 0)
			log_warn("waiting for the database: %s", PQerrorMessage(conn));
		PQfinish(conn);
		sleep(1);
	}
}

int
store_startup_check(const char *conninfo, int wait_s, const unsigned char authority_pub[32],
		    const char *key_file, char authority_id[UTIL_UUID_LEN + 1])
{
	const char *params[1] = {(const char *)authority_pub};
	const int lengths[1] = {32}, formats[1] = {1};
	PGconn *conn = connect_wait(conninfo, wait_s);
	PGresult *res = NULL;
	char err[512];
	int r = -1;

	if (conn == NULL)
		return -1;
	res = PQexec(conn, stmt_migrations_list.sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("could not read the schema version: %s", PQresultErrorMessage(res));
		goto out;
	}
	if (migrate_compare(res, err, sizeof(err)) != 0) {
		log_error("refusing to start: %s", err);
		goto out;
	}
	for (size_t i = 0; i < store_nstatements; i++) {
		/* A statement the schema cannot take is a bug: find it now, not per request. */
		PQclear(res);
		res = PQprepare(conn, "", store_statements[i]->sql, 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			log_error("refusing to start: statement %zu does not prepare: %s", i,
				  PQresultErrorMessage(res));
			goto out;
		}
	}
	PQclear(res);
	res = PQexecParams(conn, stmt_authority_is_decision.sql, 1, NULL, params, lengths, formats,
			   0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("could not check the authority key: %s", PQresultErrorMessage(res));
		goto out;
	}
	if (PQntuples(res) != 1) {
		log_error("refusing to start: the key in %s is not a registered, unrevoked "
			  "decision authority (register it with admin.add_authority)",
			  key_file);
		goto out;
	}
	log_info("signing as decision authority %s", PQgetvalue(res, 0, 0));
	snprintf(authority_id, UTIL_UUID_LEN + 1, "%s", PQgetvalue(res, 0, 0));
	r = 0;
out:
	PQclear(res);
	PQfinish(conn);
	return r;
}

static void
found_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_found_cb cb = (store_found_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), false);
	else
		cb(c->arg, NULL, PQntuples(res->res) == 1);
	free(c);
}

void
store_found(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *params,
	    store_found_cb cb, void *arg)
{
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false));
	db_query(db, stmt, params, found_done, c);
}
