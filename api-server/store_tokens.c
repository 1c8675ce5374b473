/* store_tokens — SQL for access tokens.
 *
 * Issuance and lookup are the hot paths, so they are batched: every request made in one
 * turn of the event loop travels in one statement, whose parameters are arrays of the
 * requests' hashes; issuing a batch costs one durable commit, not one per token. */
#include <string.h>

#include "store.h"
#include "store_tokens.h"

/* At most max_access_tokens live tokens per account, exactly, however many instances and
 * batches issue at once. Issuing serialises on the account's row, and a statement's
 * snapshot must have seen every token issued before it, but one statement has one
 * snapshot, taken before it waits for a lock. So the statement compares each account's
 * row as its snapshot saw it (seen) with the row it locked (lk: in READ COMMITTED, a row
 * changed meanwhile is locked in its newest version): the same xmin means no issuance for
 * the account committed since the snapshot, and the account's tokens are counted and
 * trimmed (ok); every issuance gives the row a new version (bump: a no-op update), so a
 * concurrent one sees the change. The requests of a changed account are answered "again"
 * (a NULL expires_at) and go in the next batch, after the statement that changed it
 * committed. Rows are locked in id order, so two batches cannot deadlock; FOR NO KEY
 * UPDATE leaves foreign-key checks (FOR KEY SHARE: casts, franchise lists) unblocked.
 *
 * Of an account's new tokens (n) and its live ones, the newest cap (max_live) stay live:
 * older live tokens are revoked, and new ones past cap in one batch are stored revoked.
 *
 * Counting live tokens reads every stored token of the account, as the only index is on
 * account_id alone (revoked and expired ones stay until the purge, a day after expiry). */
const struct db_stmt stmt_access_issue = {
	.sql = "WITH k AS (SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[]) "
	       "  WITH ORDINALITY AS u(new_hash, account, ttl, cap, i)), "
	       "seen AS MATERIALIZED (SELECT a.id, a.xmin AS v FROM decision.accounts a "
	       "  JOIN decision.services s ON s.id = a.service_id "
	       "  WHERE a.id IN (SELECT k.account::uuid FROM k) AND s.disabled_at IS NULL), "
	       "lk AS MATERIALIZED (SELECT a.id, a.xmin AS v FROM decision.accounts a "
	       "  WHERE a.id IN (SELECT id FROM seen) ORDER BY a.id FOR NO KEY UPDATE), "
	       "ok AS MATERIALIZED (SELECT lk.id FROM lk "
	       "  JOIN seen ON seen.id = lk.id AND seen.v = lk.v), "
	       "bump AS (UPDATE decision.accounts a SET claimed_at = a.claimed_at "
	       "  FROM ok WHERE a.id = ok.id), "
	       "n AS MATERIALIZED (SELECT k.new_hash, k.account::uuid AS account, "
	       "  k.ttl::int AS ttl, k.cap::int AS cap, "
	       "  row_number() OVER (PARTITION BY k.account ORDER BY k.i DESC) AS nth, "
	       "  count(*) OVER (PARTITION BY k.account) AS fresh "
	       "  FROM k WHERE k.account::uuid IN (SELECT id FROM ok)), "
	       "live AS (SELECT t.token_hash, f.fresh, f.cap, row_number() OVER ("
	       "    PARTITION BY t.account_id ORDER BY t.created_at DESC, t.token_hash DESC) "
	       "    AS nth "
	       "  FROM decision.access_tokens t JOIN (SELECT account, max(fresh) AS fresh, "
	       "    min(cap) AS cap FROM n GROUP BY account) f ON f.account = t.account_id "
	       "  WHERE t.revoked_at IS NULL AND t.expires_at > now()), "
	       "old AS (UPDATE decision.access_tokens t SET revoked_at = now() FROM live "
	       "  WHERE t.token_hash = live.token_hash AND live.fresh + live.nth > live.cap), "
	       "ins AS (INSERT INTO decision.access_tokens (token_hash, account_id, expires_at, "
	       "    revoked_at) "
	       "  SELECT n.new_hash, n.account, now() + make_interval(secs => n.ttl), "
	       "    CASE WHEN n.nth > n.cap THEN now() END FROM n "
	       "  RETURNING token_hash, expires_at) "
	       "SELECT k.i, " STORE_TS("ins.expires_at") " "
	       "FROM k LEFT JOIN ins ON ins.token_hash = k.new_hash "
	       "WHERE ins.token_hash IS NOT NULL OR k.account::uuid IN (SELECT id FROM seen)",
	.nparams = 4,
	.batched = 1,
};

/* Each key is resolved in a LATERAL subquery with LIMIT 1 (the keys are unique anyway):
 * the planner cannot flatten it, so every key is one unique-index probe whatever the
 * statistics or the guessed size of the key list say. Joined flat, a misestimate once drove
 * the lookup from accounts through all of their tokens: 60 ms per batch at 45k tokens. */
const struct db_stmt stmt_authorization_lookup = {
	.sql = "WITH k AS (SELECT * FROM unnest($1::bytea[]) WITH ORDINALITY AS u(h, i)) "
	       "SELECT k.i, x.* FROM k CROSS JOIN LATERAL ("
	       "  SELECT a.id, a.name, " STORE_TS("a.created_at") ", s.id, s.name, "
	       "  a.authorization_token_hash "
	       "  FROM decision.accounts a JOIN decision.services s ON s.id = a.service_id "
	       "  WHERE a.authorization_token_hash = k.h AND s.disabled_at IS NULL LIMIT 1) x",
	.nparams = 1,
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
		   const char *account_id, int ttl, int max_live, db_batch_cb cb, void *arg)
{
	char ttl_text[16], max_text[16];
	struct db_param p[4];

	snprintf(ttl_text, sizeof(ttl_text), "%d", ttl);
	snprintf(max_text, sizeof(max_text), "%d", max_live);
	p[0] = db_bytes(new_hash, UTIL_SHA256_LEN);
	p[1] = db_text(account_id);
	p[2] = db_text(ttl_text);
	p[3] = db_text(max_text);
	db_query_batched(db, &stmt_access_issue, p, cb, arg);
}

void
store_authorization_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
			   db_batch_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(hash, UTIL_SHA256_LEN)};

	db_query_batched(db, &stmt_authorization_lookup, p, cb, arg);
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
