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
 * batches issue at once. An account's tokens are numbered as they are issued (migration
 * 0016) and a token numbered below its account's live_from is revoked: issuing n tokens
 * adds n to the account's count and moves live_from to issued + n - cap + 1, in one update
 * of the account's row (up). That update is exact whatever runs beside it: it waits for
 * the row's lock and, in READ COMMITTED, applies itself to the row's newest version (the
 * numbers it returns are those it wrote). Rows are updated in id order (c is sorted), so
 * two batches cannot deadlock; a no-key update leaves foreign-key checks (casts,
 * franchise lists) unblocked.
 *
 * The tokens an issuance pushes out (numbered between the old live_from and the new one,
 * unexpired, not revoked already) are read by number, a short range of the (account_id,
 * number) index (gone), and returned, so that the instances keeping them in memory forget
 * them. One statement has one snapshot, taken before it waits for a lock: should another
 * statement have issued to the account in between (the row's count moved past what the
 * snapshot saw), tokens it issued are invisible here, and the answer says "*" instead:
 * some tokens pushed out are unknown. Within one instance core_tokens sends one issuance
 * per account at a time, so this happens only between instances.
 *
 * Every step is a probe by key (LATERAL per account, = ANY of an array), whatever the
 * planner guesses of the tables (see db.c). */
const struct db_stmt stmt_access_issue = {
	.sql = "WITH k AS MATERIALIZED (SELECT u.new_hash, u.account::uuid AS account, "
	       "  u.ttl::int AS ttl, u.cap::int AS cap, u.i "
	       "  FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[]) "
	       "  WITH ORDINALITY AS u(new_hash, account, ttl, cap, i)), "
	       "c AS MATERIALIZED (SELECT account AS id, count(*) AS fresh, min(cap) AS cap "
	       "  FROM k GROUP BY account ORDER BY account), "
	       "seen AS MATERIALIZED (SELECT x.* FROM c CROSS JOIN LATERAL ("
	       "  SELECT a.id, a.access_tokens_issued AS issued, a.access_tokens_live_from AS lo "
	       "  FROM decision.accounts a JOIN decision.services s ON s.id = a.service_id "
	       "  WHERE a.id = c.id AND s.disabled_at IS NULL LIMIT 1) x), "
	       "up AS MATERIALIZED (UPDATE decision.accounts a "
	       "  SET access_tokens_issued = a.access_tokens_issued + c.fresh, "
	       "    access_tokens_live_from = greatest(a.access_tokens_live_from, "
	       "      a.access_tokens_issued + c.fresh - c.cap + 1) "
	       "  FROM c WHERE a.id = ANY (ARRAY(SELECT id FROM seen)) AND a.id = c.id "
	       "  RETURNING a.id, a.access_tokens_issued - c.fresh AS before, "
	       "    a.access_tokens_live_from AS hi), "
	       "r AS MATERIALIZED (SELECT up.id, seen.lo, up.hi FROM up "
	       "  JOIN seen ON seen.id = up.id AND seen.issued = up.before WHERE up.hi > seen.lo), "
	       "gone AS MATERIALIZED (SELECT r.id, x.token_hash FROM r CROSS JOIN LATERAL ("
	       "  SELECT t.token_hash FROM decision.access_tokens t "
	       "  WHERE t.account_id = r.id AND t.number >= r.lo AND t.number < r.hi "
	       "    AND t.revoked_at IS NULL AND t.expires_at > now()) x), "
	       "ins AS (INSERT INTO decision.access_tokens (token_hash, account_id, number, "
	       "    expires_at) "
	       "  SELECT k.new_hash, k.account, "
	       "    up.before + row_number() OVER (PARTITION BY k.account ORDER BY k.i), "
	       "    now() + make_interval(secs => k.ttl) FROM k JOIN up ON up.id = k.account "
	       "  RETURNING token_hash, account_id, expires_at) "
	       "SELECT k.i, " STORE_TS("ins.expires_at") ", "
	       "  CASE WHEN EXISTS (SELECT FROM up JOIN seen ON seen.id = up.id "
	       "      WHERE up.id = k.account AND seen.issued <> up.before) THEN '*' "
	       "    ELSE (SELECT string_agg(encode(g.token_hash, 'hex'), ',') FROM gone g "
	       "      WHERE g.id = k.account) END "
	       "FROM k JOIN ins ON ins.token_hash = k.new_hash",
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
	       "  t.expires_at <= now(), "
	       "  t.revoked_at IS NOT NULL OR t.number < a.access_tokens_live_from, t.token_hash, "
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

const struct db_stmt stmt_credentials_notify = {
	.sql = "SELECT pg_notify($1, $2)",
	.nparams = 2,
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
store_credentials_notify(struct db_pool *db, const char *channel, const char *payload,
			 store_done_cb cb, void *arg)
{
	struct db_param p[] = {db_text(channel), db_text(payload)};

	store_exec(db, &stmt_credentials_notify, p, cb, arg);
}

void
store_access_purge(struct db_pool *db, store_done_cb cb, void *arg)
{
	store_exec(db, &stmt_access_purge, NULL, cb, arg);
}
