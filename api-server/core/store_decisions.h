/* store_decisions — SQL for decisions, franchises, proposals, ballots and results.
 *
 * The rules of DESIGN §5 that depend on the clock or on concurrent writers are checked in
 * the database, at its clock, in the statement that writes: a phase is open when the
 * database says so, whichever server instance runs the request. Functions of migration
 * 0003 raise these SQLSTATEs, which the store gives as problems:
 *   FCNF0 no such decision (for this caller)     FCFB0 not in the needed franchise
 *   FCPH0 outside the phase                       FCAC0 an account of another service
 *   FCMT0 the method is unknown or unsigned       FCLM0 a limit (e.g. max_proposals)
 *   FCDS0 the result document could exceed max_document_size */
#ifndef FREECOOP_STORE_DECISIONS_H
#define FREECOOP_STORE_DECISIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

extern const struct db_stmt stmt_decision_create, stmt_decision_get, stmt_decisions_list_service,
	stmt_decisions_list_account, stmt_franchise_add, stmt_proposal_add, stmt_proposals_list,
	stmt_decision_key, stmt_ballot_cast, stmt_ballot_get, stmt_result_get, stmt_result_chunk;

/* One decision (NULL: none the caller may see), or the n of a list; or why not. */
typedef void (*store_decisions_cb)(void *arg, const struct problem *no,
				   const struct core_decision *d, size_t n);

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

/* Creates the decision; refusals are the rule problems (FC*). */
void store_decision_create(struct db_pool *db, const struct decision_new *d, store_done_cb cb,
			   void *arg);

/* One decision with its counts, as seen by its service (service set, account NULL) or by
 * a franchise member (account set, service NULL; slot its ballot slot, or NULL when the
 * decision's key is gone: then it has not voted, as far as anyone can tell). */
void store_decision_get(struct db_pool *db, const char *id, const char *service,
			const char *account, const unsigned char *slot, store_decisions_cb cb,
			void *arg);

/* A page of decisions after the keyset (after_ts, after_id) (both NULL: from the start),
 * at most limit, without counts. */
void store_decisions_list(struct db_pool *db, bool for_service, const char *who,
			  const char *after_ts, const char *after_id, int limit,
			  store_decisions_cb cb, void *arg);

/* The franchise's sizes after a batch, or why not. */
typedef void (*store_franchise_cb)(void *arg, const struct problem *no, long long proposers,
				   long long voters);

/* Appends a franchise batch (arrays as literals); refusals are the rule problems. */
void store_franchise_add(struct db_pool *db, const char *decision, const char *service,
			 const char *proposers, const char *voters, const struct decision_bounds *b,
			 store_franchise_cb cb, void *arg);

/* Adds a proposal: its created_at, or why not (the rule problems). */
void store_proposal_add(struct db_pool *db, const char *decision, const char *account,
			const char *id, const unsigned char *payload, int len, int max_proposals,
			const struct decision_bounds *b,
			void (*cb)(void *arg, const struct problem *no, const char *created_at),
			void *arg);

/* The n proposals of a decision the caller may see (as store_decision_get), ordered by id,
 * with proposer set to the proposer's account id (NULL: the service); found is false when
 * the caller may not see the decision. */
typedef void (*store_proposals_cb)(void *arg, const struct problem *no, bool found,
				   const struct core_proposal *ps, size_t n);

void store_proposals_list(struct db_pool *db, const char *decision, const char *service,
			  const char *account, store_proposals_cb cb, void *arg);

/* A decision's wrapped data key (NULL once it is purged) and its ballot_size (0: ballots
 * sealed unpadded, before migration 0005); found false when there is no such decision. */
typedef void (*store_key_cb)(void *arg, const struct problem *no, bool found,
			     const unsigned char *wrapped, size_t len, int ballot_size);

void store_decision_key(struct db_pool *db, const char *decision, store_key_cb cb, void *arg);

/* What became of a cast. */
enum store_cast { STORE_CAST_OK, STORE_CAST_NOT_FOUND, STORE_CAST_NOT_VOTER,
		  STORE_CAST_NOT_OPEN, STORE_CAST_CLOSED };

/* The outcome of a cast: stored (replaced says whether a ballot was there), or refused,
 * with the voting phase's opens_at and closes_at (for NOT_OPEN and CLOSED). */
typedef void (*store_cast_cb)(void *arg, const struct problem *no, enum store_cast done,
			      bool replaced, const char *opens_at, const char *closes_at);

/* Casts or replaces a ballot, batched with the other casts of this turn. */
void store_ballot_cast(struct db_pool *db, const char *decision, const char *account,
		       const unsigned char slot[32], const unsigned char *sealed, int len,
		       store_cast_cb cb, void *arg);

/* The account's franchise and ballot in a decision: found false when the account is not
 * in its franchise; else voter, whether its slot holds a ballot, and that sealed ballot
 * (NULL if it could not be copied). */
typedef void (*store_ballot_cb)(void *arg, const struct problem *no, bool found, bool voter,
				bool voted, const unsigned char *sealed, size_t len);

void store_ballot_get(struct db_pool *db, const char *decision, const char *account,
		      const unsigned char slot[32], store_ballot_cb cb, void *arg);


/* The result of a decision (NULL when there is no such decision), with the document's
 * bytes when it has at most inline_max of them. */
void store_result_get(struct db_pool *db, const char *decision, size_t inline_max,
		      void (*cb)(void *arg, const struct problem *no, const struct core_result *r),
		      void *arg);

/* A chunk of a document: its bytes (len; fewer than asked at the end), held by owner
 * until store_chunk_release(owner), so that they can be written out without a copy;
 * current is false when the document changed or was withdrawn (no bytes then). */
typedef void (*store_chunk_cb)(void *arg, const struct problem *no, bool current,
			       const unsigned char *bytes, size_t len, void *owner);

/* len bytes of the result document from byte off (counted from 0), provided the stored
 * document is still version v. */
void store_result_chunk(struct db_pool *db, const char *decision,
			const struct core_result_version *v, uint64_t off, size_t len,
			store_chunk_cb cb, void *arg);

/* Frees what holds a chunk's bytes. */
void store_chunk_release(void *owner);

#endif
