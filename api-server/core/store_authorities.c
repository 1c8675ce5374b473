/* store_authorities — SQL for authorities. */
#include "store.h"
#include "store_authorities.h"

const struct db_stmt stmt_authorities_list = {
	.sql = "SELECT id, name, rtrim(translate(encode(public_key, 'base64'), '+/', '-_'), '='), "
	"decision_authority, code_auditor, " STORE_TS("created_at") " "
	"FROM decision.authorities WHERE revoked_at IS NULL ORDER BY created_at, id",
	.nparams = 0,
};

const struct db_stmt stmt_authority_is_decision = {
	.sql = "SELECT id FROM decision.authorities "
	"WHERE public_key = $1 AND decision_authority AND revoked_at IS NULL",
	.nparams = 1,
};

void
store_authorities_list(struct db_pool *db, db_cb cb, void *arg)
{
	db_query(db, &stmt_authorities_list, NULL, cb, arg);
}

void
store_authority_check(struct db_pool *db, const unsigned char pub[32], db_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(pub, 32)};

	db_query(db, &stmt_authority_is_decision, p, cb, arg);
}
