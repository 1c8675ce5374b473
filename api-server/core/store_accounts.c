/* store_accounts — SQL for services and accounts, and reading their rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_accounts.h"

const struct db_stmt stmt_service_by_key = {
	.sql = "SELECT id, name, key_hash FROM decision.services "
	"WHERE key_hash = $1 AND disabled_at IS NULL",
	.nparams = 1,
};

const struct db_stmt stmt_account_insert = {
	.sql = "INSERT INTO decision.accounts (id, service_id, name) VALUES ($1, $2, $3) "
	"RETURNING id, name, " STORE_TS("created_at"),
	.nparams = 3,
};

const struct db_stmt stmt_account_get = {
	.sql = "SELECT id, name, " STORE_TS("created_at") ", claimed_at IS NOT NULL "
	"FROM decision.accounts WHERE id = $1 AND service_id = $2",
	.nparams = 2,
};

/* Of two concurrent claims, the second waits for the first's row lock, then re-checks
 * claimed_at IS NULL against the committed row and updates nothing. */
const struct db_stmt stmt_account_claim = {
	.sql = "WITH target AS ("
	"  SELECT a.id FROM decision.accounts a JOIN decision.services s ON s.id = a.service_id"
	"  WHERE a.id = $1 AND s.disabled_at IS NULL),"
	" claimed AS ("
	"  UPDATE decision.accounts SET authorization_token_hash = $2, claimed_at = now()"
	"  WHERE id = (SELECT id FROM target) AND claimed_at IS NULL RETURNING id)"
	"SELECT (SELECT count(*) FROM target), (SELECT count(*) FROM claimed)",
	.nparams = 2,
};

static void
service_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_principal_cb cb = (store_principal_cb)c->cb;
	struct problem no;
	struct principal who = {.kind = PRINCIPAL_SERVICE};

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), CRED_UNKNOWN, NULL, 0);
	else if (PQntuples(res->res) != 1 || !store_hash_matches(PQgetvalue(res->res, 0, 2), c->hash))
		cb(c->arg, NULL, CRED_UNKNOWN, NULL, 0);
	else {
		snprintf(who.service_id, sizeof(who.service_id), "%s", PQgetvalue(res->res, 0, 0));
		snprintf(who.service_name, sizeof(who.service_name), "%s",
			 PQgetvalue(res->res, 0, 1));
		cb(c->arg, NULL, CRED_OK, &who, 0);
	}
	free(c);
}

void
store_service_by_key(struct db_pool *db, const unsigned char key_hash[UTIL_SHA256_LEN],
		     store_principal_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(key_hash, UTIL_SHA256_LEN)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, CRED_UNKNOWN, NULL, 0));
	memcpy(c->hash, key_hash, UTIL_SHA256_LEN);
	db_query(db, &stmt_service_by_key, p, service_cb, c);
}

/* Row 0 of res as an account: columns 0 id, 1 name (NULL: none), 2 created_at, and
 * claimed from claimed_col ("t"/"f"; -1: not read, false). */
static void
account_cb(const struct db_result *res, void *arg, int claimed_col)
{
	struct store_call *c = arg;
	store_account_cb cb = (store_account_cb)c->cb;
	struct problem no;
	struct core_account a;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL);
	} else if (PQntuples(res->res) != 1) {
		cb(c->arg, NULL, NULL);
	} else {
		a.id = PQgetvalue(res->res, 0, 0);
		a.name = PQgetisnull(res->res, 0, 1) ? NULL : PQgetvalue(res->res, 0, 1);
		a.created_at = PQgetvalue(res->res, 0, 2);
		a.claimed = claimed_col >= 0 && strcmp(PQgetvalue(res->res, 0, claimed_col), "t") == 0;
		cb(c->arg, NULL, &a);
	}
	free(c);
}

static void
inserted_cb(const struct db_result *res, void *arg)
{
	account_cb(res, arg, -1);
}

static void
got_cb(const struct db_result *res, void *arg)
{
	account_cb(res, arg, 3);
}

/* Sends stmt with p for an account callback; out of memory: cb gets a 500. */
static void
account_query(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *p,
	      db_cb done, store_account_cb cb, void *arg)
{
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	db_query(db, stmt, p, done, c);
}

void
store_account_insert(struct db_pool *db, const char *id, const char *service_id,
		     const char *name, store_account_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_text(service_id), db_text(name)};

	account_query(db, &stmt_account_insert, p, inserted_cb, cb, arg);
}

void
store_account_get(struct db_pool *db, const char *id, const char *service_id,
		  store_account_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_text(service_id)};

	account_query(db, &stmt_account_get, p, got_cb, cb, arg);
}

static void
claimed_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_claim_cb cb = (store_claim_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), false, false);
	else
		cb(c->arg, NULL, strcmp(PQgetvalue(res->res, 0, 0), "0") != 0,
		   strcmp(PQgetvalue(res->res, 0, 1), "0") != 0);
	free(c);
}

void
store_account_claim(struct db_pool *db, const char *id,
		    const unsigned char token_hash[UTIL_SHA256_LEN], store_claim_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_bytes(token_hash, UTIL_SHA256_LEN)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false, false));
	db_query(db, &stmt_account_claim, p, claimed_cb, c);
}
