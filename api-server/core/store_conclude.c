/* store_conclude — SQL of the conclusion job. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"
#include "store_conclude.h"

/* FOR UPDATE waits for no one (SKIP LOCKED) and conflicts with the FOR KEY SHARE lock of
 * every ballot still in flight (see stmt_ballot_cast), so a decision is claimed only when
 * none is; closed_at then refuses later ballots. A conclusion runs while its lease has an
 * owner and time (a released claim has no owner): the service with the fewest running
 * goes first. */
const struct db_stmt stmt_conclude_claim = {
	.sql = "WITH running AS (SELECT service_id, count(*) AS n FROM decision.decisions "
	"  WHERE outcome IS NULL AND lease_owner IS NOT NULL AND lease_until > now() "
	"  GROUP BY service_id), "
	"c AS (SELECT d.id FROM decision.decisions d LEFT JOIN running r USING (service_id) "
	"  WHERE d.outcome IS NULL AND d.voting_closes_at <= now() "
	"  AND (d.lease_until IS NULL OR d.lease_until <= now()) "
	"  ORDER BY coalesce(r.n, 0), d.voting_closes_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED) "
	"UPDATE decision.decisions d SET closed_at = coalesce(d.closed_at, now()), "
	"  lease_owner = $1, lease_until = now() + $2 * interval '1 millisecond', "
	"  attempts = d.attempts + 1 FROM c WHERE d.id = c.id "
	"RETURNING d.id, d.attempts, d.last_error",
	.nparams = 2,
};

const struct db_stmt stmt_conclude_decision = {
	.sql = "SELECT d.id, d.title, d.service_id, " STORE_TS("d.created_at") ", "
	STORE_TS("d.proposal_opens_at") ", " STORE_TS("d.proposal_closes_at") ", "
	STORE_TS("d.voting_opens_at") ", " STORE_TS("d.voting_closes_at") ", "
	"m.id, m.name, m.code, decision.method_auditors(m.id), encode(d.data_key, 'hex'), "
	"coalesce(d.ballot_size, 0) "
	"FROM decision.decisions d JOIN decision.voting_methods m ON m.id = d.method_id "
	"WHERE d.id = $1",
	.nparams = 1,
};

const struct db_stmt stmt_conclude_proposals = {
	.sql = "SELECT id, proposer_id, translate(encode(payload, 'base64'), E'\\n', '') "
	"FROM decision.proposals WHERE decision_id = $1 ORDER BY id",
	.nparams = 1,
};

/* Binary results: slot and sealed as raw bytes, half the size of their hex text. */
const struct db_stmt stmt_conclude_ballots = {
	.sql = "SELECT slot, sealed FROM decision.ballots WHERE decision_id = $1",
	.nparams = 1,
	.binary_results = 1,
};

const struct db_stmt stmt_conclude_franchise = {
	.sql = "SELECT account_id, proposer, voter FROM decision.franchise "
	"WHERE decision_id = $1",
	.nparams = 1,
};

/* The lease stays the owner's after its result is stored (only lease_until ends), so a
 * renewal racing the store still finds the claim its own. */
const struct db_stmt stmt_conclude_renew = {
	.sql = "UPDATE decision.decisions SET lease_until = CASE WHEN outcome IS NULL "
	"  THEN now() + $3 * interval '1 millisecond' END "
	"WHERE id = $1 AND lease_owner = $2 RETURNING 1",
	.nparams = 3,
};

/* Storing runs on a blocking connection of the conclusion's thread, in one transaction:
 * the results row streamed with COPY (columns in this order, binary format: the document
 * goes in as it is, with no parsing, 350 MB for a million ballots), then the
 * decision marked, which returns one row only while owner $2 holds the lease and there is
 * no outcome; with none the transaction is rolled back. The decision row is locked only
 * for that last statement, not while hundreds of megabytes are copied. */
const char store_conclude_copy_sql[] =
	"COPY decision.results (decision_id, status, jws, counted_at, phases) FROM STDIN "
	"(FORMAT binary)";

/* $1 decision, $2 lease owner, $3 "ok" or "error", $4 the failure's message. In the same
 * statement, so in the same transaction, the service's event goes to the outbox when the
 * service has an endpoint (store_events.h); the row says how many events were written. */
const char store_conclude_mark_sql[] =
	"WITH m AS (UPDATE decision.decisions SET "
	"  outcome = CASE WHEN $3 = 'ok' THEN 'concluded' ELSE 'failed' END, concluded_at = now(), "
	"  lease_until = NULL, last_error = $4 "
	"  WHERE id = $1 AND lease_owner = $2 AND outcome IS NULL "
	"  RETURNING id, service_id, outcome), "
	"e AS (INSERT INTO decision.events (service_id, type, decision_id, state) "
	"  SELECT m.service_id, 'decision.' || m.outcome, m.id, m.outcome FROM m "
	"  WHERE EXISTS (SELECT 1 FROM decision.webhooks w WHERE w.service_id = m.service_id) "
	"  RETURNING 1) "
	"SELECT (SELECT count(*) FROM e) FROM m";

/* $1 the authority id: a row, locked against revocation until the transaction ends, if
 * it is still an unrevoked decision authority. */
const char store_conclude_authority_sql[] =
	"SELECT 1 FROM decision.authorities WHERE id = $1 AND decision_authority "
	"AND revoked_at IS NULL FOR SHARE";

/* The claim goes back without an owner, to be taken again once lease_until passes. */
const struct db_stmt stmt_conclude_release = {
	.sql = "UPDATE decision.decisions SET lease_until = now() + $3 * interval '1 millisecond', "
	"  lease_owner = NULL, "
	"  last_error = $4, attempts = attempts - CASE WHEN $5 THEN 0 ELSE 1 END "
	"WHERE id = $1 AND lease_owner = $2 AND outcome IS NULL",
	.nparams = 5,
};

const struct db_stmt stmt_decisions_purge = {
	.sql = "SELECT decision.purge_expired()",
	.nparams = 0,
};

typedef void (*claim_cb_t)(void *arg, const struct problem *no, const struct store_claim *k);

static void
claimed_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	claim_cb_t cb = (claim_cb_t)c->cb;
	struct problem no;
	struct store_claim k;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL);
	} else if (PQntuples(res->res) != 1) {
		cb(c->arg, NULL, NULL);
	} else {
		k.id = PQgetvalue(res->res, 0, 0);
		k.attempts = atoi(PQgetvalue(res->res, 0, 1));
		k.last_error = PQgetvalue(res->res, 0, 2);
		cb(c->arg, NULL, &k);
	}
	free(c);
}

void
store_conclude_claim(struct db_pool *db, const char *owner, int lease_ms, claim_cb_t cb,
		     void *arg)
{
	char ms[16];
	struct db_param p[] = {db_text(owner), db_text(ms)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	snprintf(ms, sizeof(ms), "%d", lease_ms);
	db_query(db, &stmt_conclude_claim, p, claimed_done, c);
}

struct store_rows {
	PGresult *res;
};

/* Column order of stmt_conclude_decision. */
enum conclude_col {
	CC_ID, CC_TITLE, CC_SERVICE, CC_CREATED, CC_PO, CC_PC, CC_VO, CC_VC, CC_METHOD_ID,
	CC_METHOD_NAME, CC_CODE, CC_AUDITORS, CC_DATA_KEY, CC_BALLOT_SIZE, CC_NCOLS
};

static void
rows_done(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_rows_cb cb = (store_rows_cb)c->cb;
	struct store_rows *rows = NULL;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), NULL);
	else if ((rows = malloc(sizeof(*rows))) == NULL || (rows->res = db_result_take(res)) == NULL) {
		free(rows);
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
	} else
		cb(c->arg, NULL, rows);
	free(c);
}

static void
by_id(struct db_pool *db, const struct db_stmt *stmt, const char *id, store_rows_cb cb,
      void *arg)
{
	struct db_param p[] = {db_text(id)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	db_query(db, stmt, p, rows_done, c);
}

void
store_conclude_decision(struct db_pool *db, const char *id, store_rows_cb cb, void *arg)
{
	by_id(db, &stmt_conclude_decision, id, cb, arg);
}

void
store_conclude_proposals(struct db_pool *db, const char *id, store_rows_cb cb, void *arg)
{
	by_id(db, &stmt_conclude_proposals, id, cb, arg);
}

void
store_conclude_ballots(struct db_pool *db, const char *id, store_rows_cb cb, void *arg)
{
	by_id(db, &stmt_conclude_ballots, id, cb, arg);
}

void
store_conclude_franchise(struct db_pool *db, const char *id, store_rows_cb cb, void *arg)
{
	by_id(db, &stmt_conclude_franchise, id, cb, arg);
}

void
store_rows_free(struct store_rows *rows)
{
	if (rows == NULL)
		return;
	PQclear(rows->res);
	free(rows);
}

size_t
store_rows_count(const struct store_rows *rows)
{
	return rows != NULL ? (size_t)PQntuples(rows->res) : 0;
}

bool
store_conclusion_of(const struct store_rows *rows, struct store_conclusion *out)
{
	const PGresult *d = rows->res;

	if (PQntuples(d) != 1)
		return false;
	*out = (struct store_conclusion){
	    .title = PQgetvalue(d, 0, CC_TITLE),
	    .service = PQgetvalue(d, 0, CC_SERVICE),
	    .created_at = PQgetvalue(d, 0, CC_CREATED),
	    .phases = {PQgetvalue(d, 0, CC_PO), PQgetvalue(d, 0, CC_PC), PQgetvalue(d, 0, CC_VO),
		       PQgetvalue(d, 0, CC_VC)},
	    .method_id = PQgetvalue(d, 0, CC_METHOD_ID),
	    .method_name = PQgetvalue(d, 0, CC_METHOD_NAME),
	    .code = PQgetvalue(d, 0, CC_CODE),
	    .code_len = (size_t)PQgetlength(d, 0, CC_CODE),
	    .auditors = PQgetvalue(d, 0, CC_AUDITORS),
	    .data_key = PQgetvalue(d, 0, CC_DATA_KEY),
	    .ballot_size = atoi(PQgetvalue(d, 0, CC_BALLOT_SIZE)),
	};
	return true;
}

void
store_ballot_at(const struct store_rows *rows, size_t i, const unsigned char **slot,
		size_t *slot_len, const unsigned char **sealed, size_t *sealed_len)
{
	*slot = (const unsigned char *)PQgetvalue(rows->res, (int)i, 0);
	*slot_len = (size_t)PQgetlength(rows->res, (int)i, 0);
	*sealed = (const unsigned char *)PQgetvalue(rows->res, (int)i, 1);
	*sealed_len = (size_t)PQgetlength(rows->res, (int)i, 1);
}

void
store_member_at(const struct store_rows *rows, size_t i, const char **account, bool *proposer,
		bool *voter)
{
	*account = PQgetvalue(rows->res, (int)i, 0);
	*proposer = *PQgetvalue(rows->res, (int)i, 1) == 't';
	*voter = *PQgetvalue(rows->res, (int)i, 2) == 't';
}

void
store_proposal_at(const struct store_rows *rows, size_t i, const char **id, size_t *id_len,
		  const char **proposer, const char **b64, size_t *b64_len)
{
	*id = PQgetvalue(rows->res, (int)i, 0);
	*id_len = (size_t)PQgetlength(rows->res, (int)i, 0);
	*proposer = PQgetisnull(rows->res, (int)i, 1) ? NULL : PQgetvalue(rows->res, (int)i, 1);
	*b64 = PQgetvalue(rows->res, (int)i, 2);
	*b64_len = (size_t)PQgetlength(rows->res, (int)i, 2);
}

void
store_conclude_renew(struct db_pool *db, const char *id, const char *owner, int lease_ms,
		     store_found_cb cb, void *arg)
{
	char ms[16];
	struct db_param p[] = {db_text(id), db_text(owner), db_text(ms)};

	snprintf(ms, sizeof(ms), "%d", lease_ms);
	store_found(db, &stmt_conclude_renew, p, cb, arg);
}

void
store_conclude_release(struct db_pool *db, const char *id, const char *owner, int delay_ms,
		       const char *error, bool counted, store_done_cb cb, void *arg)
{
	char ms[16];
	struct db_param p[] = {db_text(id), db_text(owner), db_text(ms), db_text(error),
			       db_text(counted ? "t" : "f")};

	snprintf(ms, sizeof(ms), "%d", delay_ms);
	store_exec(db, &stmt_conclude_release, p, cb, arg);
}

int
store_conclude_authority_held(PGconn *conn, const char *authority_id, char *err, size_t errlen)
{
	PGresult *res = PQexecParams(conn, store_conclude_authority_sql, 1, NULL, &authority_id,
				     NULL, NULL, 0);
	int r = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	else
		r = PQntuples(res) > 0;
	PQclear(res);
	return r;
}

int
store_conclude_mark(PGconn *conn, const char *decision, const char *owner, bool ok,
		    const char *message, int *events, char *err, size_t errlen)
{
	const char *params[4] = {decision, owner, ok ? "ok" : "error", message};
	PGresult *res = PQexecParams(conn, store_conclude_mark_sql, 4, NULL, params, NULL, NULL, 0);
	int r = -1;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
	else if ((r = PQntuples(res) > 0))
		*events = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return r;
}

static void
purged_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_purge_cb cb = (store_purge_cb)c->cb;
	struct problem no;

	if (res->status != DB_OK)
		cb(c->arg, problem_db(&no, res), 0);
	else
		cb(c->arg, NULL, strtol(PQgetvalue(res->res, 0, 0), NULL, 10));
	free(c);
}

void
store_decisions_purge(struct db_pool *db, store_purge_cb cb, void *arg)
{
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, 0));
	db_query(db, &stmt_decisions_purge, NULL, purged_cb, c);
}
