/* store_tokens — SQL for access tokens.
 *
 * Issuance and lookup are the hot paths, so they are batched: every request made in one
 * turn of the event loop travels in one statement, whose parameters are arrays of the
 * requests' hashes; issuing a batch costs one durable commit, not one per token. */
#include <string.h>

#include "store.h"
#include "store_tokens.h"

/* Each key is resolved in a LATERAL subquery with LIMIT 1 (the keys are unique anyway):
 * the planner cannot flatten it, so every key is one unique-index probe whatever the
 * statistics or the guessed size of the key list say. Joined flat, a misestimate once drove
 * the lookup from accounts through all of their tokens: 60 ms per batch at 45k tokens. */
const struct db_stmt stmt_access_issue = {
	.sql = "WITH k AS (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::text[]) "
	       "  WITH ORDINALITY AS u(new_hash, aut_hash, ttl, i)), "
	       "ins AS (INSERT INTO decision.access_tokens (token_hash, account_id, expires_at) "
	       "  SELECT k.new_hash, x.id, now() + make_interval(secs => k.ttl::int) FROM k "
	       "  CROSS JOIN LATERAL (SELECT a.id FROM decision.accounts a "
	       "    JOIN decision.services s ON s.id = a.service_id "
	       "    WHERE a.authorization_token_hash = k.aut_hash AND s.disabled_at IS NULL "
	       "    LIMIT 1) x "
	       "  RETURNING token_hash, expires_at) "
	       "SELECT k.i, " STORE_TS("ins.expires_at") " "
	       "FROM k JOIN ins ON ins.token_hash = k.new_hash",
	.nparams = 3,
	.batched = 1,
};

const struct db_stmt stmt_access_lookup = {
	.sql = "WITH k AS (SELECT * FROM unnest($1::bytea[]) WITH ORDINALITY AS u(h, i)) "
	       "SELECT k.i, x.* FROM k CROSS JOIN LATERAL ("
	       "  SELECT a.id, a.name, " STORE_TS("a.created_at") ", s.id, s.name, "
	       "  t.expires_at <= now(), t.revoked_at IS NOT NULL, t.token_hash "
	       "  FROM decision.access_tokens t "
	       "  JOIN decision.accounts a ON a.id = t.account_id "
	       "  JOIN decision.services s ON s.id = a.service_id "
	       "  WHERE t.token_hash = k.h AND s.disabled_at IS NULL LIMIT 1) x",
	.nparams = 1,
	.batched = 1,
};

const struct db_stmt stmt_access_revoke = {
	.sql = "UPDATE decision.access_tokens SET revoked_at = now() "
	       "WHERE token_hash = $1 AND revoked_at IS NULL",
	.nparams = 1,
};

const struct db_stmt stmt_access_purge = {
	.sql = "DELETE FROM decision.access_tokens WHERE expires_at < now() - interval '1 day'",
	.nparams = 0,
};

void
store_access_issue(struct db_pool *db, const unsigned char new_hash[UTIL_SHA256_LEN],
		   const unsigned char aut_hash[UTIL_SHA256_LEN], int ttl, db_batch_cb cb,
		   void *arg)
{
	char ttl_text[16];
	struct db_param p[3];

	snprintf(ttl_text, sizeof(ttl_text), "%d", ttl);
	p[0] = db_bytes(new_hash, UTIL_SHA256_LEN);
	p[1] = db_bytes(aut_hash, UTIL_SHA256_LEN);
	p[2] = db_text(ttl_text);
	db_query_batched(db, &stmt_access_issue, p, cb, arg);
}

void
store_access_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
		    db_batch_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(hash, UTIL_SHA256_LEN)};

	db_query_batched(db, &stmt_access_lookup, p, cb, arg);
}

void
store_access_revoke(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN], db_cb cb,
		    void *arg)
{
	struct db_param p[] = {db_bytes(hash, UTIL_SHA256_LEN)};

	db_query(db, &stmt_access_revoke, p, cb, arg);
}

void
store_access_purge(struct db_pool *db, db_cb cb, void *arg)
{
	db_query(db, &stmt_access_purge, NULL, cb, arg);
}
