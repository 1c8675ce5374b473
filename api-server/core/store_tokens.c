/* store_tokens — SQL for access tokens.
 *
 * Issuance and lookup are the hot paths, so they are batched: every request made in one
 * turn of the event loop travels in one statement, whose parameters are arrays of the
 * requests' hashes; issuing a batch costs one durable commit, not one per token. */
#include <stdlib.h>
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
 * committed (within one instance core_tokens sends one issuance per account at a time, so
 * this happens between instances). Rows are locked in id order, so two batches cannot
 * deadlock; FOR NO KEY UPDATE leaves foreign-key checks (FOR KEY SHARE: casts, franchise
 * lists) unblocked.
 *
 * Of an account's new tokens (n) and its live ones, the newest cap (max_live) stay live:
 * older live tokens are revoked (live: those past the newest cap - fresh), and new ones
 * past cap in one batch are stored revoked.
 *
 * Every step is a probe by key (LATERAL per account, = ANY of an array), whatever the
 * planner guesses of the tables (see db.c): joined plainly, a plan prepared while the
 * table was nearly empty walked all of access_tokens for each batch. An account's tokens
 * are read by account_id through access_tokens_unrevoked_idx (migration 0005: revoked
 * tokens stay until the purge, a day after they expire, and are not read); OFFSET 0 keeps
 * the expiry test out of the scan, or an estimate from an empty table may pick the
 * expires_at index: every live token of everyone, per account. */
const struct db_stmt stmt_access_issue = {
	.sql = "WITH k AS MATERIALIZED (SELECT u.new_hash, u.account::uuid AS account, "
	       "  u.ttl::int AS ttl, u.cap::int AS cap, u.i "
	       "  FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[]) "
	       "  WITH ORDINALITY AS u(new_hash, account, ttl, cap, i)), "
	       "seen AS MATERIALIZED (SELECT x.* FROM (SELECT DISTINCT account AS id FROM k) d "
	       "  CROSS JOIN LATERAL (SELECT a.id, a.xmin AS v FROM decision.accounts a "
	       "    JOIN decision.services s ON s.id = a.service_id "
	       "    WHERE a.id = d.id AND s.disabled_at IS NULL LIMIT 1) x), "
	       "lk AS MATERIALIZED (SELECT a.id, a.xmin AS v FROM decision.accounts a "
	       "  WHERE a.id = ANY (ARRAY(SELECT id FROM seen)) ORDER BY a.id FOR NO KEY UPDATE), "
	       "ok AS MATERIALIZED (SELECT lk.id FROM lk "
	       "  JOIN seen ON seen.id = lk.id AND seen.v = lk.v), "
	       "bump AS (UPDATE decision.accounts a SET claimed_at = a.claimed_at "
	       "  WHERE a.id = ANY (ARRAY(SELECT id FROM ok))), "
	       "n AS MATERIALIZED (SELECT k.*, "
	       "  row_number() OVER (PARTITION BY k.account ORDER BY k.i DESC) AS nth, "
	       "  count(*) OVER (PARTITION BY k.account) AS fresh "
	       "  FROM k WHERE k.account = ANY (ARRAY(SELECT id FROM ok))), "
	       "live AS MATERIALIZED (SELECT x.token_hash "
	       "  FROM (SELECT account, max(fresh) AS fresh, min(cap) AS cap FROM n "
	       "    GROUP BY account) f "
	       "  CROSS JOIN LATERAL (SELECT t.token_hash "
	       "    FROM (SELECT * FROM decision.access_tokens t "
	       "      WHERE t.account_id = f.account AND t.revoked_at IS NULL OFFSET 0) t "
	       "    WHERE t.expires_at > now() "
	       "    ORDER BY t.created_at DESC, t.token_hash DESC "
	       "    OFFSET greatest(f.cap - f.fresh, 0)) x), "
	       "old AS (UPDATE decision.access_tokens t SET revoked_at = now() "
	       "  WHERE t.token_hash = ANY (ARRAY(SELECT token_hash FROM live)) "
	       "  RETURNING t.token_hash, t.account_id), "
	       "ins AS (INSERT INTO decision.access_tokens (token_hash, account_id, expires_at, "
	       "    revoked_at) "
	       "  SELECT n.new_hash, n.account, now() + make_interval(secs => n.ttl), "
	       "    CASE WHEN n.nth > n.cap THEN now() END FROM n "
	       "  RETURNING token_hash, expires_at) "
	       "SELECT k.i, " STORE_TS("ins.expires_at") ", "
	       "  (SELECT string_agg(encode(o.token_hash, 'hex'), ',') FROM old o "
	       "    WHERE o.account_id = k.account) "
	       "FROM k LEFT JOIN ins ON ins.token_hash = k.new_hash "
	       "WHERE ins.token_hash IS NOT NULL OR k.account = ANY (ARRAY(SELECT id FROM seen))",
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
	       "  t.expires_at <= now(), t.revoked_at IS NOT NULL, t.token_hash, "
	       "  greatest(extract(epoch FROM t.expires_at - now()) * 1000000, 0)::bigint "
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

static void
issued_cb(const struct db_result *res, int row, void *arg)
{
	struct store_call *c = arg;
	store_issue_cb cb = (store_issue_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), STORE_ISSUE_GONE, NULL, NULL);
	else if (row < 0)
		cb(c->arg, NULL, STORE_ISSUE_GONE, NULL, NULL);
	else if (PQgetisnull(res->res, row, 1))
		cb(c->arg, NULL, STORE_ISSUE_AGAIN, NULL, NULL);
	else
		cb(c->arg, NULL, STORE_ISSUED, PQgetvalue(res->res, row, 1),
		   PQgetisnull(res->res, row, 2) ? NULL : PQgetvalue(res->res, row, 2));
	free(c);
}

void
store_access_issue(struct db_pool *db, const unsigned char new_hash[UTIL_SHA256_LEN],
		   const char *account_id, int ttl, int max_live, store_issue_cb cb, void *arg)
{
	char ttl_text[16], max_text[16];
	struct db_param p[4];
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, STORE_ISSUE_GONE, NULL, NULL));

	snprintf(ttl_text, sizeof(ttl_text), "%d", ttl);
	snprintf(max_text, sizeof(max_text), "%d", max_live);
	p[0] = db_bytes(new_hash, UTIL_SHA256_LEN);
	p[1] = db_text(account_id);
	p[2] = db_text(ttl_text);
	p[3] = db_text(max_text);
	db_query_batched(db, &stmt_access_issue, p, issued_cb, c);
}

/* A lookup's answer: the account of row, if its hash is the one asked for (constant time);
 * for an access token, also whether it expired (column 6) or was revoked (column 7), and
 * the microseconds it had left (column 9). */
static void
lookup_done(const struct db_result *res, int row, void *arg, int hash_col, bool access)
{
	struct store_call *c = arg;
	store_principal_cb cb = (store_principal_cb)c->cb;
	struct problem no;
	struct principal who;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), CRED_UNKNOWN, NULL, 0);
	else if (row < 0 || !store_hash_matches(PQgetvalue(res->res, row, hash_col), c->hash))
		cb(c->arg, NULL, CRED_UNKNOWN, NULL, 0);
	else if (access && strcmp(PQgetvalue(res->res, row, 7), "t") == 0)
		cb(c->arg, NULL, CRED_REVOKED, NULL, 0);
	else if (access && strcmp(PQgetvalue(res->res, row, 6), "t") == 0)
		cb(c->arg, NULL, CRED_EXPIRED, NULL, 0);
	else {
		store_account_principal(res->res, row, &who);
		cb(c->arg, NULL, CRED_OK, &who,
		   access ? strtoull(PQgetvalue(res->res, row, 9), NULL, 10) : 0);
	}
	free(c);
}

static void
authorization_done(const struct db_result *res, int row, void *arg)
{
	lookup_done(res, row, arg, 6, false);
}

static void
access_done(const struct db_result *res, int row, void *arg)
{
	lookup_done(res, row, arg, 8, true);
}

/* Queues a batched lookup of hash; out of memory: cb gets a 500. */
static void
lookup(struct db_pool *db, const struct db_stmt *stmt, const unsigned char hash[UTIL_SHA256_LEN],
       db_batch_cb done, store_principal_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(hash, UTIL_SHA256_LEN)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, CRED_UNKNOWN, NULL, 0));
	memcpy(c->hash, hash, UTIL_SHA256_LEN);
	db_query_batched(db, stmt, p, done, c);
}

void
store_authorization_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
			   store_principal_cb cb, void *arg)
{
	lookup(db, &stmt_authorization_lookup, hash, authorization_done, cb, arg);
}

void
store_access_lookup(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
		    store_principal_cb cb, void *arg)
{
	lookup(db, &stmt_access_lookup, hash, access_done, cb, arg);
}

void
store_access_revoke(struct db_pool *db, const unsigned char hash[UTIL_SHA256_LEN],
		    store_done_cb cb, void *arg)
{
	struct db_param p[] = {db_bytes(hash, UTIL_SHA256_LEN)};

	store_exec(db, &stmt_access_revoke, p, cb, arg);
}

void
store_access_purge(struct db_pool *db, store_done_cb cb, void *arg)
{
	store_exec(db, &stmt_access_purge, NULL, cb, arg);
}
