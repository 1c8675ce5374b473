/* store_methods — SQL for voting methods and their auditor signatures, and reading them. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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

static void
auditor_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_auditor_cb cb = (store_auditor_cb)c->cb;
	unsigned char pub[32];
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), false, NULL, false);
	else if (PQntuples(res->res) != 1)
		cb(c->arg, NULL, false, NULL, false);
	else if (!util_unhex(PQgetvalue(res->res, 0, 0), pub, sizeof(pub)))
		cb(c->arg, problem_set(&no, 500, "internal-error", "The auditor's key is malformed."),
		   false, NULL, false);
	else
		cb(c->arg, NULL, true, pub, strcmp(PQgetvalue(res->res, 0, 1), "t") == 0);
	free(c);
}

void
store_method_auditor(struct db_pool *db, const char *auditor, const char *method_id,
		     store_auditor_cb cb, void *arg)
{
	struct db_param p[] = {db_text(auditor), db_text(method_id)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false, NULL, false));
	db_query(db, &stmt_method_auditor, p, auditor_done, c);
}

typedef void (*added_cb_t)(void *arg, const struct problem *no, bool created);

static void
added_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	added_cb_t cb = (added_cb_t)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), false);
	else
		cb(c->arg, NULL, strcmp(PQgetvalue(res->res, 0, 0), "1") == 0);
	free(c);
}

void
store_method_add(struct db_pool *db, const struct core_method_submission *m, const char *id,
		 const unsigned char sig[64],
		 void (*cb)(void *arg, const struct problem *no, bool created), void *arg)
{
	struct db_param p[] = {db_text(id), db_text(m->name), db_bytes(m->code, (int)m->code_len),
			       db_text(m->auditor), db_bytes(sig, 64)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false));
	/* The code goes as binary text: its exact bytes, already checked to be UTF-8. */
	db_query(db, &stmt_method_add, p, added_done, c);
}

/* The signatures of a method, from the JSON array the statement built: into sigs (n of
 * them, borrowed from json, which the caller puts). -1 without memory. */
static int
signatures_read(const char *text, struct json_object **json, struct core_signature **sigs,
		size_t *n)
{
	struct json_object *v;

	*json = json_tokener_parse(text);
	*n = *json != NULL && json_object_is_type(*json, json_type_array)
		     ? json_object_array_length(*json)
		     : 0;
	*sigs = NULL;
	if (*n > 0 && (*sigs = calloc(*n, sizeof(**sigs))) == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct json_object *s = json_object_array_get_idx(*json, i);
		(*sigs)[i].auditor = json_object_object_get_ex(s, "auditor", &v)
					     ? json_object_get_string(v) : "";
		(*sigs)[i].signature = json_object_object_get_ex(s, "signature", &v)
					       ? json_object_get_string(v) : "";
		(*sigs)[i].created_at = json_object_object_get_ex(s, "created_at", &v)
						? json_object_get_string(v) : "";
		(*sigs)[i].revoked = json_object_object_get_ex(s, "revoked", &v) &&
				     json_object_get_boolean(v);
	}
	return 0;
}

/* The rows of a method statement as methods: id, name, [code,] created_at, signatures. */
static void
methods_done(const struct db_result *res, void *arg, bool has_code, bool one)
{
	struct store_call *c = arg;
	store_methods_cb cb = (store_methods_cb)c->cb;
	struct problem no;
	int n = res->status == DB_OK ? PQntuples(res->res) : 0, col = has_code ? 3 : 2;
	struct core_method *ms = n > 0 ? calloc((size_t)n, sizeof(*ms)) : NULL;
	struct json_object **json = n > 0 ? calloc((size_t)n, sizeof(*json)) : NULL;
	struct core_signature **sigs = n > 0 ? calloc((size_t)n, sizeof(*sigs)) : NULL;
	bool nomem = n > 0 && (ms == NULL || json == NULL || sigs == NULL);

	for (int i = 0; i < n && !nomem; i++) {
		ms[i].id = PQgetvalue(res->res, i, 0);
		ms[i].name = PQgetvalue(res->res, i, 1);
		if (has_code) {
			ms[i].code = PQgetvalue(res->res, i, 2);
			ms[i].code_len = (size_t)PQgetlength(res->res, i, 2);
		}
		ms[i].created_at = PQgetvalue(res->res, i, col);
		nomem = signatures_read(PQgetvalue(res->res, i, col + 1), &json[i], &sigs[i],
					&ms[i].nsignatures) != 0;
		ms[i].signatures = sigs[i];
	}
	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), NULL, 0);
	else if (nomem)
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
	else if (one)
		cb(c->arg, NULL, n == 1 ? ms : NULL, n == 1 ? 1 : 0);
	else
		cb(c->arg, NULL, ms, (size_t)n);
	for (int i = 0; i < n && json != NULL && sigs != NULL; i++) {
		json_object_put(json[i]);
		free(sigs[i]);
	}
	free(json);
	free(sigs);
	free(ms);
	free(c);
}

static void
got_done(const struct db_result *res, void *arg)
{
	methods_done(res, arg, true, true);
}

static void
listed_done(const struct db_result *res, void *arg)
{
	methods_done(res, arg, false, false);
}

/* Sends stmt for a methods callback; out of memory: cb gets a 500. */
static void
methods_query(struct db_pool *db, const struct db_stmt *stmt, const struct db_param *p,
	      db_cb done, store_methods_cb cb, void *arg)
{
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL, 0));
	db_query(db, stmt, p, done, c);
}

void
store_method_get(struct db_pool *db, const char *id, store_methods_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id)};

	methods_query(db, &stmt_method_get, p, got_done, cb, arg);
}

void
store_methods_list(struct db_pool *db, store_methods_cb cb, void *arg)
{
	methods_query(db, &stmt_methods_list, NULL, listed_done, cb, arg);
}
