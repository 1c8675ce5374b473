/* store_tokens — SQL for access tokens.
 *
 * Issuance and lookup are the hot paths, so they are batched: every request made in one
 * turn of the event loop travels in one statement, whose $1 is the requests' hashes laid
 * end to end; issuing a batch costs one durable commit, not one per token. */
#include <string.h>

#include "store.h"
#include "store_tokens.h"

/* Splits $1 into (i, 32-byte key) rows, or (i, key a, key b) for 64-byte items. */
#define KEYS32                                                                                \
	"k AS (SELECT i, substring($1::bytea FROM i * 32 + 1 FOR 32) AS h "                     \
	"FROM generate_series(0, length($1::bytea) / 32 - 1) AS i)"
#define KEYS64                                                                                \
	"k AS (SELECT i, substring($1::bytea FROM i * 64 + 1 FOR 32) AS new_hash, "             \
	"substring($1::bytea FROM i * 64 + 33 FOR 32) AS aut_hash "                             \
	"FROM generate_series(0, length($1::bytea) / 64 - 1) AS i)"

/* Each key is resolved in a LATERAL subquery with LIMIT 1 (the keys are unique anyway):
 * the planner cannot flatten it, so every key is one unique-index probe whatever the
 * statistics or the guessed size of the key list say. Joined flat, a misestimate once drove
 * the lookup from accounts through all of their tokens: 60 ms per batch at 45k tokens. */
const struct db_stmt stmt_access_issue = {
	.sql = "WITH " KEYS64 ", "
	       "ins AS (INSERT INTO decision.access_tokens (token_hash, account_id, expires_at) "
	       "  SELECT k.new_hash, x.id, now() + make_interval(secs => $2::int) FROM k "
	       "  CROSS JOIN LATERAL (SELECT a.id FROM decision.accounts a "
	       "    JOIN decision.services s ON s.id = a.service_id "
	       "    WHERE a.authorization_token_hash = k.aut_hash AND s.disabled_at IS NULL "
	       "    LIMIT 1) x "
	       "  RETURNING token_hash, expires_at) "
	       "SELECT k.i, " STORE_TS("ins.expires_at") " "
	       "FROM k JOIN ins ON ins.token_hash = k.new_hash",
	.nparams = 2,
	.batch_key_len = 2 * UTIL_SHA256_LEN,
};

const struct db_stmt stmt_access_lookup = {
	.sql = "WITH " KEYS32 " "
	       "SELECT k.i, x.* FROM k CROSS JOIN LATERAL ("
	       "  SELECT a.id, a.name, " STORE_TS("a.created_at") ", s.id, s.name, "
	       "  t.expires_at <= now(), t.revoked_at IS NOT NULL, t.token_hash "
	       "  FROM decision.access_tokens t "
	       "  JOIN decision.accounts a ON a.id = t.account_id "
	       "  JOIN decision.services s ON s.id = a.service_id "
	       "  WHERE t.token_hash = k.h AND s.disabled_at IS NULL LIMIT 1) x",
	.nparams = 1,
	.batch_key_len = UTIL_SHA256_LEN,
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
	unsigned char key[2 * UTIL_SHA256_LEN];
	char ttl_text[16];
	struct db_param shared[1];

	memcpy(key, new_hash, UTIL_SHA256_LEN);
	memcpy(key + UTIL_SHA256_LEN, aut_hash, UTIL_SHA256_LEN);
	snprintf(ttl_text, sizeof(ttl_text), "%d", ttl);
	shared[0] = db_text(ttl_text);
	db_query_batched(db, &stmt_access_issue, key, shared, cb, arg);
}

void
store_access_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
		    db_batch_cb cb, void *arg)
{
	db_query_batched(db, &stmt_access_lookup, hash, NULL, cb, arg);
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
