/* store_accounts — SQL for services and accounts. */
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

void
store_service_by_key(struct db_pool *db, const unsigned char key_hash[UTIL_SHA256_LEN],
		     db_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(key_hash, UTIL_SHA256_LEN)};

	db_query(db, &stmt_service_by_key, p, cb, arg);
}

void
store_account_insert(struct db_pool *db, const char *id, const char *service_id,
		     const char *name, db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_text(service_id), db_text(name)};

	db_query(db, &stmt_account_insert, p, cb, arg);
}

void
store_account_get(struct db_pool *db, const char *id, const char *service_id, db_cb cb,
		  void *arg)
{
	struct db_param p[] = {db_text(id), db_text(service_id)};

	db_query(db, &stmt_account_get, p, cb, arg);
}

void
store_account_claim(struct db_pool *db, const char *id,
		    const unsigned char token_hash[UTIL_SHA256_LEN], db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_bytes(token_hash, UTIL_SHA256_LEN)};

	db_query(db, &stmt_account_claim, p, cb, arg);
}
