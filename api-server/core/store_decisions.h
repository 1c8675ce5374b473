/* store_decisions — SQL for decisions, franchises, proposals, ballots and results.
 *
 * The rules of DESIGN §5 that depend on the clock or on concurrent writers are checked in
 * the database, at its clock, in the statement that writes: a phase is open when the
 * database says so, whichever server instance runs the request. Functions of migration
 * 0003 raise these SQLSTATEs, which handlers map to problems:
 *   FCNF0 no such decision (for this caller)     FCFB0 not in the needed franchise
 *   FCPH0 outside the phase                       FCAC0 an account of another service
 *   FCMT0 the method is unknown or unsigned       FCLM0 a limit (e.g. max_proposals)
 *   FCDS0 the result document could exceed max_document_size */
#ifndef FREECOOP_STORE_DECISIONS_H
#define FREECOOP_STORE_DECISIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

extern const struct db_stmt stmt_decision_create, stmt_decision_get, stmt_decisions_list_service,
	stmt_decisions_list_account, stmt_franchise_add, stmt_proposal_add, stmt_proposals_list,
	stmt_decision_key, stmt_ballot_cast, stmt_ballot_get, stmt_result_get, stmt_result_chunk;

/* The columns of a decision, for stmt_decision_get and the lists (see DECISION_COLUMNS). */
enum decision_col {
	DC_ID, DC_TITLE, DC_STATE, DC_METHOD_ID, DC_METHOD_NAME, DC_PROPOSAL_OPENS,
	DC_PROPOSAL_CLOSES, DC_VOTING_OPENS, DC_VOTING_CLOSES, DC_METADATA, DC_CREATED,
	DC_CONCLUDED, DC_PURGED, DC_SERVICE, DC_BALLOT_SIZE,
	DC_NCOLS
};

/* What bounds a decision's result document (the database refuses, FCDS0 or FCLM0, a
 * decision, franchise batch or proposal that could make it longer than max_document). */
struct decision_bounds {
	long long max_document; /* bytes of the compact JWS */
	int result_max;         /* bytes a count may return */
};

/* create_decision's arguments; arrays are PostgreSQL array literals ("{...}"). */
struct decision_new {
	const char *id, *service, *title, *method, *metadata; /* metadata: JSON text or NULL */
	const char *phases[4]; /* proposal opens, closes, voting opens, closes (RFC 3339) */
	const unsigned char *data_key; /* CRYPTO_WRAPPED_LEN bytes */
	int ballot_size;
	const char *proposers, *voters, *proposal_ids, *proposal_payloads;
	struct decision_bounds bounds;
};

void store_decision_create(struct db_pool *db, const struct decision_new *d, db_cb cb, void *arg);

/* One decision, as seen by its service (service set, account NULL) or by a franchise
 * member (account set, service NULL; slot its ballot slot, or NULL when the decision's key
 * is gone): DC_* columns, then counts (proposer franchise, voter franchise, proposals,
 * ballots), then the account's franchise (proposer, voter; NULL for a service) and
 * whether its slot holds a ballot. No row when the caller may not see it. */
void store_decision_get(struct db_pool *db, const char *id, const char *service,
			const char *account, const unsigned char *slot, db_cb cb, void *arg);

/* A page of decisions after the keyset (after_ts, after_id) (both NULL: from the start),
 * DC_* columns, at most limit rows. */
void store_decisions_list(struct db_pool *db, bool for_service, const char *who,
			  const char *after_ts, const char *after_id, int limit, db_cb cb,
			  void *arg);

/* Appends a franchise batch (arrays as literals): one row (proposers, voters) in all. */
void store_franchise_add(struct db_pool *db, const char *decision, const char *service,
			 const char *proposers, const char *voters, const struct decision_bounds *b,
			 db_cb cb, void *arg);

/* A proposal: one row (created_at). */
void store_proposal_add(struct db_pool *db, const char *decision, const char *account,
			const char *id, const unsigned char *payload, int len, int max_proposals,
			const struct decision_bounds *b, db_cb cb, void *arg);

/* The proposals of a decision the caller may see (as store_decision_get): id,
 * proposer_id (NULL: the service), payload (base64), created_at; ordered by id. No row
 * when the caller may not see the decision; one row of NULLs when it has no proposals. */
void store_proposals_list(struct db_pool *db, const char *decision, const char *service,
			  const char *account, db_cb cb, void *arg);

/* The wrapped data key of a decision (bytea hex; NULL once it is purged) and its
 * ballot_size (0: ballots sealed unpadded, before migration 0005); no row if none. */
void store_decision_key(struct db_pool *db, const char *decision, db_cb cb, void *arg);

/* Casts or replaces a ballot, batched with the other casts of this turn: its row is
 * (ordinal, replaced, status) where status is "ok", "not-found", "not-voter", "not-open"
 * or "closed", then the voting phase's opens_at, closes_at (when refused). */
void store_ballot_cast(struct db_pool *db, const char *decision, const char *account,
		       const unsigned char slot[32], const unsigned char *sealed, int len,
		       db_batch_cb cb, void *arg);

/* The account's franchise and ballot in a decision: one row (voter, whether its slot holds
 * a ballot, the sealed ballot in hex or NULL) or none if the account is not in its
 * franchise. */
void store_ballot_get(struct db_pool *db, const char *decision, const char *account,
		      const unsigned char slot[32], db_cb cb, void *arg);

/* The columns of store_result_get's row. */
enum result_col { RC_STATE, RC_PURGED, RC_LENGTH, RC_COUNTED_AT, RC_JWS };

/* Which stored document a download reads: a new one (re-counted) differs in both. */
struct store_result_version {
	uint64_t length;     /* bytes */
	char counted_at[40]; /* RFC 3339, microseconds */
};

/* The result of a decision, in binary format (see stmt_result_get): one row, RC_* columns
 * (state; purged, "true" or "false"; the document's length in bytes and its counted_at,
 * both NULL when there is no document; the document's bytes when it has at most
 * inline_max of them, else NULL), or none if there is no decision. */
void store_result_get(struct db_pool *db, const char *decision, size_t inline_max, db_cb cb,
		      void *arg);

/* len bytes of the result document from byte off (counted from 0), provided the stored
 * document is still version v: one row, its one column the bytes (binary format; fewer
 * than len at the end), or no row when the document changed or was withdrawn. */
void store_result_chunk(struct db_pool *db, const char *decision,
			const struct store_result_version *v, uint64_t off, size_t len, db_cb cb,
			void *arg);

#endif
