/* store_decisions — SQL for decisions, franchises, proposals, ballots and results. */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "store.h"
#include "store_decisions.h"

const struct db_stmt stmt_decision_create = {
	.sql = "SELECT decision.create_decision($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, "
	"$11, $12::uuid[], $13::uuid[], $14::uuid[], $15::bytea[], $16, $17)",
	.nparams = 17,
};

/* The columns of a decision, in DECISION_COLUMNS order. */
enum decision_col {
	DC_ID, DC_TITLE, DC_STATE, DC_METHOD_ID, DC_METHOD_NAME, DC_PROPOSAL_OPENS,
	DC_PROPOSAL_CLOSES, DC_VOTING_OPENS, DC_VOTING_CLOSES, DC_METADATA, DC_CREATED,
	DC_CONCLUDED, DC_PURGED, DC_SERVICE, DC_BALLOT_SIZE,
	DC_NCOLS
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


/* detail: the problem's text, or NULL for the database's own message. */
static const struct {
	const char *sqlstate;
	int status;
	const char *slug;
	const char *detail;
} rule_problems[] = {
	{"FCNF0", 404, "not-found", "There is no such decision."},
	{"FCFB0", 403, "not-enfranchised", NULL},
	{"FCPH0", 409, "outside-phase", NULL},
	{"FCAC0", 422, "foreign-account", NULL},
	{"FCMT0", 422, "method-not-usable", NULL},
	{"FCLM0", 409, "limit-reached", NULL},
	{"FCDS0", 422, "document-too-large", NULL},
};

/* The problem for a failed statement of this store: its FC* SQLSTATE's (the database's
 * message as the detail), or the database's outcome. Returns no. */
static const struct problem *
store_rule_problem(struct problem *no, const struct db_result *res)
{
	const char *msg;

	if (res->status != DB_FAILED)
		return problem_db(no, res);
	msg = PQresultErrorField(res->res, PG_DIAG_MESSAGE_PRIMARY);
	for (size_t i = 0; i < sizeof(rule_problems) / sizeof(rule_problems[0]); i++) {
		if (strcmp(res->sqlstate, rule_problems[i].sqlstate) != 0)
			continue;
		if (rule_problems[i].detail != NULL)
			return problem_set(no, rule_problems[i].status, rule_problems[i].slug, "%s",
					   rule_problems[i].detail);
		if (msg != NULL && *msg != '\0') /* PostgreSQL style: a capital */
			return problem_set(no, rule_problems[i].status, rule_problems[i].slug,
					   "%c%s.", toupper((unsigned char)*msg), msg + 1);
		return problem_set(no, rule_problems[i].status, rule_problems[i].slug, "Refused.");
	}
	return problem_db(no, res);
}

/* Row i of res as a decision: DC_* columns, then (with_counts) the counts, the caller's
 * franchise and whether it voted. Strings borrowed from res. */
static void
decision_read(const PGresult *res, int i, bool with_counts, struct core_decision *d)
{
#define TEXT(col) (PQgetisnull(res, i, (col)) ? NULL : PQgetvalue(res, i, (col)))
#define FLAG(col) (strcmp(PQgetvalue(res, i, (col)), "t") == 0)
#define COUNT(col) strtoll(PQgetvalue(res, i, (col)), NULL, 10)
	memset(d, 0, sizeof(*d));
	d->id = TEXT(DC_ID);
	d->title = TEXT(DC_TITLE);
	d->state = TEXT(DC_STATE);
	d->method_id = TEXT(DC_METHOD_ID);
	d->method_name = TEXT(DC_METHOD_NAME);
	d->proposal_opens_at = TEXT(DC_PROPOSAL_OPENS);
	d->proposal_closes_at = TEXT(DC_PROPOSAL_CLOSES);
	d->voting_opens_at = TEXT(DC_VOTING_OPENS);
	d->voting_closes_at = TEXT(DC_VOTING_CLOSES);
	d->metadata = TEXT(DC_METADATA);
	d->created_at = TEXT(DC_CREATED);
	d->concluded_at = TEXT(DC_CONCLUDED);
	d->purged = FLAG(DC_PURGED);
	d->service = TEXT(DC_SERVICE);
	d->ballot_size = PQgetisnull(res, i, DC_BALLOT_SIZE) ? 0 : (int)COUNT(DC_BALLOT_SIZE);
	if (!with_counts)
		return;
	d->has_counts = true;
	d->proposer_franchise = COUNT(DC_NCOLS);
	d->voter_franchise = COUNT(DC_NCOLS + 1);
	d->proposals = COUNT(DC_NCOLS + 2);
	d->voted = COUNT(DC_NCOLS + 3);
	if (PQgetisnull(res, i, DC_NCOLS + 4))
		return;
	d->has_you = true;
	d->you_proposer = FLAG(DC_NCOLS + 4);
	d->you_voter = FLAG(DC_NCOLS + 5);
	d->you_voted = FLAG(DC_NCOLS + 6);
#undef TEXT
#undef FLAG
#undef COUNT
}

/* The rows of a decision statement as decisions. */
static void
decisions_done(const struct db_result *res, void *arg, bool one)
{
	struct store_call *c = arg;
	store_decisions_cb cb = (store_decisions_cb)c->cb;
	struct problem no;
	int n = res->status == DB_OK ? PQntuples(res->res) : 0;
	struct core_decision *ds = n > 0 ? calloc((size_t)n, sizeof(*ds)) : NULL;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), NULL, 0);
	else if (n > 0 && ds == NULL)
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
	else {
		for (int i = 0; i < n; i++)
			decision_read(res->res, i, one, &ds[i]);
		if (one)
			cb(c->arg, NULL, n == 1 ? ds : NULL, n == 1 ? 1 : 0);
		else
			cb(c->arg, NULL, ds, (size_t)n);
	}
	free(ds);
	free(c);
}

static void
got_done(const struct db_result *res, void *arg)
{
	decisions_done(res, arg, true);
}

static void
listed_done(const struct db_result *res, void *arg)
{
	decisions_done(res, arg, false);
}

static void
created_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_done_cb cb = (store_done_cb)c->cb;
	struct problem no;

	cb(c->arg, res->status == DB_OK ? NULL : store_rule_problem(&no, res));
	free(c);
}

/* The bounds as text parameters. */
static void
bounds_text(const struct decision_bounds *b, char doc[24], char res[16])
{
	snprintf(doc, 24, "%lld", b->max_document);
	snprintf(res, 16, "%d", b->result_max);
}

void
store_decision_create(struct db_pool *db, const struct decision_new *d, store_done_cb cb,
		      void *arg)
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
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_));
	bounds_text(&d->bounds, doc, res);
	snprintf(bsize, sizeof(bsize), "%d", d->ballot_size);
	db_query(db, &stmt_decision_create, p, created_done, c);
}

void
store_decision_get(struct db_pool *db, const char *id, const char *service, const char *account,
		   const unsigned char *slot, store_decisions_cb cb, void *arg)
{
	struct db_param p[] = {db_text(id), db_text(service), db_text(account),
			       slot != NULL ? db_bytes(slot, 32) : db_text(NULL)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL, 0));
	db_query(db, &stmt_decision_get, p, got_done, c);
}

void
store_decisions_list(struct db_pool *db, bool for_service, const char *who, const char *after_ts,
		     const char *after_id, int limit, store_decisions_cb cb, void *arg)
{
	char lim[16];
	struct db_param p[] = {db_text(who), db_text(after_ts), db_text(after_id), db_text(lim)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL, 0));
	snprintf(lim, sizeof(lim), "%d", limit);
	db_query(db, for_service ? &stmt_decisions_list_service : &stmt_decisions_list_account, p,
		 listed_done, c);
}

static void
franchise_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_franchise_cb cb = (store_franchise_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, store_rule_problem(&no, res), 0, 0);
	else
		cb(c->arg, NULL, strtoll(PQgetvalue(res->res, 0, 0), NULL, 10),
		   strtoll(PQgetvalue(res->res, 0, 1), NULL, 10));
	free(c);
}

void
store_franchise_add(struct db_pool *db, const char *decision, const char *service,
		    const char *proposers, const char *voters, const struct decision_bounds *b,
		    store_franchise_cb cb, void *arg)
{
	char doc[24], res[16];
	struct db_param p[] = {db_text(decision), db_text(service), db_text(proposers),
			       db_text(voters), db_text(doc), db_text(res)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, 0, 0));
	bounds_text(b, doc, res);
	db_query(db, &stmt_franchise_add, p, franchise_done, c);
}

typedef void (*proposal_added_cb)(void *arg, const struct problem *no, const char *created_at);

static void
proposal_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	proposal_added_cb cb = (proposal_added_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, store_rule_problem(&no, res), NULL);
	else
		cb(c->arg, NULL, PQgetvalue(res->res, 0, 0));
	free(c);
}

void
store_proposal_add(struct db_pool *db, const char *decision, const char *account, const char *id,
		   const unsigned char *payload, int len, int max_proposals,
		   const struct decision_bounds *b, proposal_added_cb cb, void *arg)
{
	char max[16], doc[24], res[16];
	struct db_param p[] = {db_text(decision), db_text(account), db_text(id),
			       db_bytes(payload, len), db_text(max), db_text(doc), db_text(res)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	bounds_text(b, doc, res);
	snprintf(max, sizeof(max), "%d", max_proposals);
	db_query(db, &stmt_proposal_add, p, proposal_done, c);
}

/* Rows: id, proposer_id (NULL: the service), payload (base64), created_at; none when the
 * caller may not see the decision, one of NULLs when it has no proposals. */
static void
proposals_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_proposals_cb cb = (store_proposals_cb)c->cb;
	struct problem no;
	int n = res->status == DB_OK ? PQntuples(res->res) : 0, k = 0;
	struct core_proposal *ps = n > 0 ? calloc((size_t)n, sizeof(*ps)) : NULL;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), false, NULL, 0);
	} else if (n > 0 && ps == NULL) {
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), false, NULL, 0);
	} else {
		for (; k < n && !PQgetisnull(res->res, k, 0); k++)
			ps[k] = (struct core_proposal){
			    PQgetvalue(res->res, k, 0),
			    PQgetisnull(res->res, k, 1) ? NULL : PQgetvalue(res->res, k, 1), NULL,
			    false, PQgetvalue(res->res, k, 2), PQgetvalue(res->res, k, 3)};
		cb(c->arg, NULL, n > 0, ps, (size_t)k);
	}
	free(ps);
	free(c);
}

void
store_proposals_list(struct db_pool *db, const char *decision, const char *service,
		     const char *account, store_proposals_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision), db_text(service), db_text(account)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false, NULL, 0));
	db_query(db, &stmt_proposals_list, p, proposals_done, c);
}

static void
key_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_key_cb cb = (store_key_cb)c->cb;
	unsigned char wrapped[CRYPTO_WRAPPED_LEN];
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), false, NULL, 0, 0);
	else if (PQntuples(res->res) != 1)
		cb(c->arg, NULL, false, NULL, 0, 0);
	else if (PQgetisnull(res->res, 0, 0)) /* purged: the key is gone */
		cb(c->arg, NULL, true, NULL, 0, 0);
	else if (!util_unhex(PQgetvalue(res->res, 0, 0), wrapped, sizeof(wrapped)))
		cb(c->arg, problem_set(&no, 500, "internal-error", "The decision's key is malformed."),
		   true, NULL, 0, 0);
	else
		cb(c->arg, NULL, true, wrapped, sizeof(wrapped), atoi(PQgetvalue(res->res, 0, 1)));
	free(c);
}

void
store_decision_key(struct db_pool *db, const char *decision, store_key_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false, NULL, 0, 0));
	db_query(db, &stmt_decision_key, p, key_done, c);
}

static void
cast_done(const struct db_result *res, int row, void *arg)
{
	struct store_call *c = arg;
	store_cast_cb cb = (store_cast_cb)c->cb;
	const PGresult *pg = res->res;
	struct problem no;
	const char *status;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), STORE_CAST_NOT_FOUND, false, NULL, NULL);
	} else if (row < 0) { /* every cast of a batch has its row: a broken invariant */
		log_error("the cast statement returned no row for a cast");
		cb(c->arg, problem_set(&no, 500, "internal-error", "The ballot could not be stored."),
		   STORE_CAST_NOT_FOUND, false, NULL, NULL);
	} else {
		status = PQgetvalue(pg, row, 2);
		cb(c->arg, NULL,
		   strcmp(status, "ok") == 0          ? STORE_CAST_OK
		   : strcmp(status, "not-found") == 0 ? STORE_CAST_NOT_FOUND
		   : strcmp(status, "not-voter") == 0 ? STORE_CAST_NOT_VOTER
		   : strcmp(status, "not-open") == 0  ? STORE_CAST_NOT_OPEN
						      : STORE_CAST_CLOSED,
		   strcmp(PQgetvalue(pg, row, 1), "t") == 0, PQgetvalue(pg, row, 3),
		   PQgetvalue(pg, row, 4));
	}
	free(c);
}

void
store_ballot_cast(struct db_pool *db, const char *decision, const char *account,
		  const unsigned char slot[32], const unsigned char *sealed, int len,
		  store_cast_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision), db_text(account), db_bytes(slot, 32),
			       db_bytes(sealed, len)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, STORE_CAST_NOT_FOUND, false, NULL, NULL));
	db_query_batched(db, &stmt_ballot_cast, p, cast_done, c);
}

static void
ballot_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_ballot_cb cb = (store_ballot_cb)c->cb;
	struct problem no;
	const char *hex;
	unsigned char *sealed = NULL;
	size_t n = 0;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), false, false, false, NULL, 0);
	} else if (PQntuples(res->res) != 1) {
		cb(c->arg, NULL, false, false, false, NULL, 0);
	} else {
		if (!PQgetisnull(res->res, 0, 2)) {
			hex = PQgetvalue(res->res, 0, 2);
			n = strlen(hex) / 2;
			if ((sealed = malloc(n + 1)) != NULL && !util_unhex(hex, sealed, n)) {
				free(sealed);
				sealed = NULL;
			}
		}
		cb(c->arg, NULL, true, strcmp(PQgetvalue(res->res, 0, 0), "t") == 0,
		   strcmp(PQgetvalue(res->res, 0, 1), "t") == 0, sealed, sealed != NULL ? n : 0);
		free(sealed);
	}
	free(c);
}

void
store_ballot_get(struct db_pool *db, const char *decision, const char *account,
		 const unsigned char slot[32], store_ballot_cb cb, void *arg)
{
	struct db_param p[] = {db_text(decision), db_text(account), db_bytes(slot, 32)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false, false, false, NULL, 0));
	db_query(db, &stmt_ballot_get, p, ballot_done, c);
}

/* The columns of stmt_result_get's row (binary format: each is text but the document). */
enum result_col { RC_STATE, RC_PURGED, RC_LENGTH, RC_COUNTED_AT, RC_JWS };

typedef void (*result_cb_t)(void *arg, const struct problem *no, const struct core_result *r);

static void
result_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	result_cb_t cb = (result_cb_t)c->cb;
	const PGresult *pg = res->res;
	struct problem no;
	struct core_result r = {0};

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL);
	} else if (PQntuples(pg) != 1) {
		cb(c->arg, NULL, NULL);
	} else {
		r.state = PQgetvalue(pg, 0, RC_STATE);
		r.purged = strcmp(PQgetvalue(pg, 0, RC_PURGED), "true") == 0;
		r.published = !PQgetisnull(pg, 0, RC_LENGTH);
		if (r.published) {
			r.version.length = strtoull(PQgetvalue(pg, 0, RC_LENGTH), NULL, 10);
			snprintf(r.version.counted_at, sizeof(r.version.counted_at), "%s",
				 PQgetvalue(pg, 0, RC_COUNTED_AT));
		}
		if (!PQgetisnull(pg, 0, RC_JWS)) {
			r.jws = (const unsigned char *)PQgetvalue(pg, 0, RC_JWS);
			r.jws_len = (size_t)PQgetlength(pg, 0, RC_JWS);
		}
		cb(c->arg, NULL, &r);
	}
	free(c);
}

void
store_result_get(struct db_pool *db, const char *decision, size_t inline_max, result_cb_t cb,
		 void *arg)
{
	char max[24];
	struct db_param p[] = {db_text(decision), db_text(max)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	snprintf(max, sizeof(max), "%zu", inline_max);
	db_query(db, &stmt_result_get, p, result_done, c);
}

static void
chunk_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_chunk_cb cb = (store_chunk_cb)c->cb;
	struct problem no;
	PGresult *pg;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), false, NULL, 0, NULL);
	else if (PQntuples(res->res) != 1)
		cb(c->arg, NULL, false, NULL, 0, NULL);
	else if ((pg = db_result_take(res)) == NULL)
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), false, NULL, 0,
		   NULL);
	else
		cb(c->arg, NULL, true, (const unsigned char *)PQgetvalue(pg, 0, 0),
		   (size_t)PQgetlength(pg, 0, 0), pg);
	free(c);
}

void
store_chunk_release(void *owner)
{
	PQclear(owner);
}

void
store_result_chunk(struct db_pool *db, const char *decision, const struct core_result_version *v,
		   uint64_t off, size_t len, store_chunk_cb cb, void *arg)
{
	char from[24], n[24], length[24];
	struct db_param p[] = {db_text(decision), db_text(from), db_text(n), db_text(length),
			       db_text(v->counted_at)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, false, NULL, 0, NULL));

	snprintf(from, sizeof(from), "%" PRIu64, off + 1); /* SQL counts from 1 */
	snprintf(n, sizeof(n), "%zu", len);
	snprintf(length, sizeof(length), "%" PRIu64, v->length);
	db_query(db, &stmt_result_chunk, p, chunk_done, c);
}
