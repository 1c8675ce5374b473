/* store_decisions — SQL for decisions, franchises, proposals, ballots and results. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "store.h"
#include "store_decisions.h"

const struct db_stmt stmt_decision_create = {
	.sql = "SELECT decision.create_decision($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, "
	"$11, $12::uuid[], $13::uuid[], $14::uuid[], $15::bytea[], $16, $17)",
	.nparams = 17,
};

/* In enum decision_col order. */
#define DECISION_COLUMNS                                                                   \
	"d.id, d.title, decision.state(d), d.method_id, m.name, " STORE_TS("d.proposal_opens_at") \
	", " STORE_TS("d.proposal_closes_at") ", " STORE_TS("d.voting_opens_at") ", "           \
	STORE_TS("d.voting_closes_at") ", d.metadata, " STORE_TS("d.created_at") ", "            \
	STORE_TS("d.concluded_at") ", d.purged_at IS NOT NULL, d.service_id, d.ballot_size"

/* The counts: the franchise's sizes are kept in the decision's row; turnout is the number
 * of ballot rows; whether the caller voted is its slot's row ($4, NULL for a service). */
const struct db_stmt stmt_decision_get = {
	.sql = "SELECT " DECISION_COLUMNS ", d.proposer_count, d.voter_count, "
	"(SELECT count(*) FROM decision.proposals p WHERE p.decision_id = d.id), "
	"(SELECT count(*) FROM decision.ballots b WHERE b.decision_id = d.id), "
	"f.proposer, f.voter, "
	"EXISTS (SELECT 1 FROM decision.ballots b WHERE b.decision_id = d.id AND b.slot = $4) "
	"FROM decision.decisions d JOIN decision.voting_methods m ON m.id = d.method_id "
	"LEFT JOIN decision.franchise f ON f.decision_id = d.id AND f.account_id = $3 "
	"WHERE d.id = $1 AND (d.service_id = $2 OR f.account_id IS NOT NULL)",
	.nparams = 4,
};

const struct db_stmt stmt_decisions_list_service = {
	.sql = "SELECT " DECISION_COLUMNS " "
	"FROM decision.decisions d JOIN decision.voting_methods m ON m.id = d.method_id "
	"WHERE d.service_id = $1 AND ($2::timestamptz IS NULL OR (d.created_at, d.id) > ($2, $3)) "
	"ORDER BY d.created_at, d.id LIMIT $4",
	.nparams = 4,
};

const struct db_stmt stmt_decisions_list_account = {
	.sql = "SELECT " DECISION_COLUMNS " "
	"FROM decision.franchise f JOIN decision.decisions d ON d.id = f.decision_id "
	"JOIN decision.voting_methods m ON m.id = d.method_id "
	"WHERE f.account_id = $1 AND ($2::timestamptz IS NULL OR (d.created_at, d.id) > ($2, $3)) "
	"ORDER BY d.created_at, d.id LIMIT $4",
	.nparams = 4,
};

const struct db_stmt stmt_franchise_add = {
	.sql = "SELECT * FROM decision.add_franchise($1, $2, $3::uuid[], $4::uuid[], $5, $6)",
	.nparams = 6,
};

const struct db_stmt stmt_proposal_add = {
	.sql = "SELECT decision.add_proposal($1, $2, $3, $4, $5, $6, $7)",
	.nparams = 7,
};

const struct db_stmt stmt_proposals_list = {
	.sql = "SELECT p.id, p.proposer_id, translate(encode(p.payload, 'base64'), E'\\n', ''), "
	STORE_TS("p.created_at") " "
	"FROM decision.decisions d LEFT JOIN decision.proposals p ON p.decision_id = d.id "
	"WHERE d.id = $1 AND (d.service_id = $2 OR EXISTS (SELECT 1 FROM decision.franchise f "
	"  WHERE f.decision_id = d.id AND f.account_id = $3)) ORDER BY p.id",
	.nparams = 3,
};

const struct db_stmt stmt_decision_key = {
	.sql = "SELECT CASE WHEN purged_at IS NULL THEN encode(data_key, 'hex') END, "
	"coalesce(ballot_size, 0) FROM decision.decisions WHERE id = $1",
	.nparams = 1,
};

/* Casts are batched: every cast of one turn of the event loop is one statement and one
 * commit. The statement writes only ballot rows, keyed by their slots: no row naming a
 * voter is written or locked, so no transaction id links a voter to a ballot (the
 * franchise is read, never locked: it is final before voting opens).
 *
 * Each decision row is locked FOR KEY SHARE while its phase is open and no instance has
 * claimed the conclusion (closed_at): the claim locks it FOR UPDATE, so it waits for
 * every batch in flight to commit, and a batch that waited for the claim re-reads
 * closed_at and is refused. So no acknowledged ballot is ever left out of the count.
 *
 * Ballot rows are written in (decision, slot) order, so concurrent batches cannot
 * deadlock. A voter casting twice in one batch: the later cast is the one stored (as if
 * the two had come one after the other), and both are answered. */
const struct db_stmt stmt_ballot_cast = {
	.sql = "WITH r AS MATERIALIZED (SELECT i, d::uuid AS decision_id, a::uuid AS account_id, "
	"  slot, sealed FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bytea[]) "
	"  WITH ORDINALITY AS u(d, a, slot, sealed, i)),"
	" d AS MATERIALIZED (SELECT x.id FROM (SELECT DISTINCT decision_id FROM r) k "
	"  CROSS JOIN LATERAL (SELECT id FROM decision.decisions WHERE id = k.decision_id "
	"  AND closed_at IS NULL AND now() >= voting_opens_at AND now() < voting_closes_at "
	"  FOR KEY SHARE) x),"
	" v AS MATERIALIZED (SELECT r.i, r.decision_id, r.slot, r.sealed FROM r "
	"  WHERE r.decision_id IN (SELECT id FROM d) AND EXISTS (SELECT 1 FROM decision.franchise f "
	"  WHERE f.decision_id = r.decision_id AND f.account_id = r.account_id AND f.voter)),"
	" b AS MATERIALIZED (INSERT INTO decision.ballots (decision_id, slot, sealed) "
	"  SELECT DISTINCT ON (decision_id, slot) decision_id, slot, sealed FROM v "
	"  ORDER BY decision_id, slot, i DESC "
	"  ON CONFLICT (decision_id, slot) DO UPDATE SET sealed = excluded.sealed "
	"  RETURNING decision_id, slot, xmax <> 0 AS replaced) "
	"SELECT r.i, b.replaced OR EXISTS (SELECT 1 FROM r e WHERE e.decision_id = r.decision_id "
	"  AND e.slot = r.slot AND e.i < r.i), "
	"CASE WHEN b.slot IS NOT NULL THEN 'ok' ELSE coalesce(z.why, 'not-found') END, "
	"z.opens, z.closes "
	"FROM r LEFT JOIN b ON b.decision_id = r.decision_id AND b.slot = r.slot "
	/* why a cast was refused, looked up only for those */
	"LEFT JOIN LATERAL (SELECT CASE WHEN x.account_id IS NULL THEN 'not-found' "
	"  WHEN NOT x.voter THEN 'not-voter' WHEN now() < y.voting_opens_at THEN 'not-open' "
	"  ELSE 'closed' END AS why, " STORE_TS("y.voting_opens_at") " AS opens, "
	STORE_TS("y.voting_closes_at") " AS closes "
	"  FROM decision.decisions y LEFT JOIN decision.franchise x ON x.decision_id = y.id "
	"  AND x.account_id = r.account_id WHERE y.id = r.decision_id AND b.slot IS NULL) z "
	"ON true",
	.nparams = 4,
	.batched = 1,
};

const struct db_stmt stmt_ballot_get = {
	.sql = "SELECT f.voter, b.slot IS NOT NULL, encode(b.sealed, 'hex') "
	"FROM decision.franchise f LEFT JOIN decision.ballots b "
	"ON b.decision_id = f.decision_id AND b.slot = $3 "
	"WHERE f.decision_id = $1 AND f.account_id = $2",
	.nparams = 3,
};

/* The result statements answer in binary: the document comes as its raw bytes, and every
 * other column is cast to text, whose binary form is its text. */
const struct db_stmt stmt_result_get = {
	.sql = "SELECT decision.state(d), (d.purged_at IS NOT NULL)::text, "
	"octet_length(r.jws)::text, " STORE_TS("r.counted_at") ", "
	"CASE WHEN octet_length(r.jws) <= $2 THEN r.jws END "
	"FROM decision.decisions d LEFT JOIN decision.results r ON r.decision_id = d.id "
	"WHERE d.id = $1",
	.nparams = 2,
	.binary_results = 1,
};

/* A document is replaced only by deleting its row and storing another (a re-queued
 * failure, counted again), which has another counted_at; the length is checked too.
 *
 * jws is bytea stored uncompressed (migration 0005), so substring reads only the TOAST
 * chunks the slice needs. As text in a UTF-8 database, PostgreSQL could not tell which byte
 * a character offset starts at without reading the value from its start: the chunk at byte
 * k cost O(k), a whole download O(n^2 / c) (a 33 MB document: 7.4 s of the database's
 * CPU in 126 chunks, against 12 ms as bytea). */
const struct db_stmt stmt_result_chunk = {
	/* (typed: with unknown parameters, substring would be SQL's regular-expression form) */
	.sql = "SELECT substring(jws FROM $2::integer FOR $3::integer) FROM decision.results "
	"WHERE decision_id = $1 AND octet_length(jws) = $4 AND counted_at = $5::timestamptz",
	.nparams = 5,
	.binary_results = 1,
};

/* The bounds as text parameters. */
static void
bounds_text(const struct decision_bounds *b, char doc[24], char res[16])
{
	snprintf(doc, 24, "%lld", b->max_document);
	snprintf(res, 16, "%d", b->result_max);
}

void
store_decision_create(struct db_pool *db, const struct decision_new *d, db_cb cb, void *arg)
{
	char bsize[16], doc[24], res[16];
	struct db_param p[] = {
		db_text(d->id),        db_text(d->service),   db_text(d->title),
		db_text(d->method),    db_text(d->metadata),  db_text(d->phases[0]),
		db_text(d->phases[1]), db_text(d->phases[2]), db_text(d->phases[3]),
		db_bytes(d->data_key, 60), db_text(bsize), db_text(d->proposers),
		db_text(d->voters), db_text(d->proposal_ids), db_text(d->proposal_payloads),
		db_text(doc), db_text(res),
	};

	bounds_text(&d->bounds, doc, res);
	snprintf(bsize, sizeof(bsize), "%d", d->ballot_size);
	db_query(db, &stmt_decision_create, p, cb, arg);
}

void
store_decision_get(struct db_pool *db, const char *id, const char *service, const char *account,
		   const unsigned char *slot, db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_text(service), db_text(account),
			       slot != NULL ? db_bytes(slot, 32) : db_text(NULL)};

	db_query(db, &stmt_decision_get, p, cb, arg);
}

void
store_decisions_list(struct db_pool *db, bool for_service, const char *who, const char *after_ts,
		     const char *after_id, int limit, db_cb cb, void *arg)
{
	char lim[16];
	struct db_param p[] = {db_text(who), db_text(after_ts), db_text(after_id), db_text(lim)};

	snprintf(lim, sizeof(lim), "%d", limit);
	db_query(db, for_service ? &stmt_decisions_list_service : &stmt_decisions_list_account, p,
		 cb, arg);
}

void
store_franchise_add(struct db_pool *db, const char *decision, const char *service,
		    const char *proposers, const char *voters, const struct decision_bounds *b,
		    db_cb cb, void *arg)
{
	char doc[24], res[16];
	struct db_param p[] = {db_text(decision), db_text(service), db_text(proposers),
			       db_text(voters), db_text(doc), db_text(res)};

	bounds_text(b, doc, res);
	db_query(db, &stmt_franchise_add, p, cb, arg);
}

void
store_proposal_add(struct db_pool *db, const char *decision, const char *account, const char *id,
		   const unsigned char *payload, int len, int max_proposals,
		   const struct decision_bounds *b, db_cb cb, void *arg)
{
	char max[16], doc[24], res[16];
	struct db_param p[] = {db_text(decision), db_text(account), db_text(id),
			       db_bytes(payload, len), db_text(max), db_text(doc), db_text(res)};

	bounds_text(b, doc, res);
	snprintf(max, sizeof(max), "%d", max_proposals);
	db_query(db, &stmt_proposal_add, p, cb, arg);
}

void
store_proposals_list(struct db_pool *db, const char *decision, const char *service,
		     const char *account, db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision), db_text(service), db_text(account)};

	db_query(db, &stmt_proposals_list, p, cb, arg);
}

void
store_decision_key(struct db_pool *db, const char *decision, db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision)};

	db_query(db, &stmt_decision_key, p, cb, arg);
}

void
store_ballot_cast(struct db_pool *db, const char *decision, const char *account,
		  const unsigned char slot[32], const unsigned char *sealed, int len,
		  db_batch_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision), db_text(account), db_bytes(slot, 32),
			       db_bytes(sealed, len)};

	db_query_batched(db, &stmt_ballot_cast, p, cb, arg);
}

void
store_ballot_get(struct db_pool *db, const char *decision, const char *account,
		 const unsigned char slot[32], db_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision), db_text(account), db_bytes(slot, 32)};

	db_query(db, &stmt_ballot_get, p, cb, arg);
}

void
store_result_get(struct db_pool *db, const char *decision, size_t inline_max, db_cb cb, void *arg)
{
	char max[24];
	struct db_param p[] = {db_text(decision), db_text(max)};

	snprintf(max, sizeof(max), "%zu", inline_max);
	db_query(db, &stmt_result_get, p, cb, arg);
}

void
store_result_chunk(struct db_pool *db, const char *decision, const struct store_result_version *v,
		   uint64_t off, size_t len, db_cb cb, void *arg)
{
	char from[24], n[24], length[24];
	struct db_param p[] = {db_text(decision), db_text(from), db_text(n), db_text(length),
			       db_text(v->counted_at)};

	snprintf(from, sizeof(from), "%" PRIu64, off + 1); /* SQL counts from 1 */
	snprintf(n, sizeof(n), "%zu", len);
	snprintf(length, sizeof(length), "%" PRIu64, v->length);
	db_query(db, &stmt_result_chunk, p, cb, arg);
}
