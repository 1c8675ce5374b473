/* store_authorities — SQL for authorities, and reading their rows. */
#include <stdlib.h>
#include <string.h>

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

static void
listed_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_authorities_cb cb = (store_authorities_cb)c->cb;
	struct core_authority *keys = NULL;
	struct problem no;
	int n;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL, 0);
		free(c);
		return;
	}
	n = PQntuples(res->res);
	if (n > 0 && (keys = calloc((size_t)n, sizeof(*keys))) == NULL) {
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
		free(c);
		return;
	}
	for (int i = 0; i < n; i++)
		keys[i] = (struct core_authority){
		    PQgetvalue(res->res, i, 0), PQgetvalue(res->res, i, 1),
		    PQgetvalue(res->res, i, 2), strcmp(PQgetvalue(res->res, i, 3), "t") == 0,
		    strcmp(PQgetvalue(res->res, i, 4), "t") == 0, PQgetvalue(res->res, i, 5)};
	cb(c->arg, NULL, keys, (size_t)n);
	free(keys);
	free(c);
}

void
store_authorities_list(struct db_pool *db, store_authorities_cb cb, void *arg)
{
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL, 0));
	db_query(db, &stmt_authorities_list, NULL, listed_cb, c);
}

void
store_authority_check(struct db_pool *db, const unsigned char pub[32], store_found_cb cb,
		      void *arg)
{
	struct db_param p[] = {db_bytes(pub, 32)};

	store_found(db, &stmt_authority_is_decision, p, cb, arg);
}
