/* store_methods — SQL for voting methods and their auditor signatures. */
#include "store.h"
#include "store_methods.h"

const struct db_stmt stmt_method_auditor = {
	.sql = "SELECT encode(a.public_key, 'hex'), EXISTS (SELECT 1 FROM decision.voting_methods m "
	"WHERE m.id = $2) FROM decision.authorities a "
	"WHERE a.id = $1 AND a.code_auditor AND a.revoked_at IS NULL",
	.nparams = 2,
};

/* The signature's foreign key is checked at the end of the statement, when the method row
 * the first CTE inserts exists. */
const struct db_stmt stmt_method_add = {
	.sql = "WITH m AS (INSERT INTO decision.voting_methods (id, name, code) "
	"  VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING 1),"
	" s AS (INSERT INTO decision.method_signatures (method_id, authority_id, signature) "
	"  VALUES ($1, $4, $5) ON CONFLICT (method_id, authority_id) DO NOTHING RETURNING 1) "
	"SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM s)",
	.nparams = 5,
};

#define SIGNATURES_JSON                                                                    \
	"coalesce((SELECT json_agg(json_build_object('auditor', s.authority_id, "             \
	"'signature', translate(encode(s.signature, 'base64'), E'\\n', ''), "                 \
	"'created_at', " STORE_TS("s.created_at") ", "                                        \
	"'revoked', a.revoked_at IS NOT NULL OR NOT a.code_auditor) ORDER BY s.authority_id) "  \
	"FROM decision.method_signatures s JOIN decision.authorities a ON a.id = s.authority_id " \
	"WHERE s.method_id = m.id), '[]')"

const struct db_stmt stmt_method_get = {
	.sql = "SELECT m.id, m.name, m.code, " STORE_TS("m.created_at") ", " SIGNATURES_JSON " "
	"FROM decision.voting_methods m WHERE m.id = $1",
	.nparams = 1,
};

const struct db_stmt stmt_methods_list = {
	.sql = "SELECT m.id, m.name, " STORE_TS("m.created_at") ", " SIGNATURES_JSON " "
	"FROM decision.voting_methods m ORDER BY m.created_at, m.id",
	.nparams = 0,
};

void
store_method_auditor(struct db_pool *db, const char *auditor, const char *method_id, db_cb cb,
		     void *arg)
{
	struct db_param p[] = {db_text(auditor), db_text(method_id)};

	db_query(db, &stmt_method_auditor, p, cb, arg);
}

void
store_method_add(struct db_pool *db, const char *id, const char *name, const char *code,
		 size_t code_len, const char *auditor, const unsigned char sig[64], db_cb cb,
		 void *arg)
{
	struct db_param p[] = {db_text(id), db_text(name), db_bytes(code, (int)code_len),
			       db_text(auditor), db_bytes(sig, 64)};

	/* The code goes as binary text: its exact bytes, already checked to be UTF-8. */
	db_query(db, &stmt_method_add, p, cb, arg);
}

void
store_method_get(struct db_pool *db, const char *id, db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id)};

	db_query(db, &stmt_method_get, p, cb, arg);
}

void
store_methods_list(struct db_pool *db, db_cb cb, void *arg)
{
	db_query(db, &stmt_methods_list, NULL, cb, arg);
}
