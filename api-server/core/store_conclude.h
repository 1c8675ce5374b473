/* store_conclude — SQL of the conclusion job: claim a closed decision with a lease, read
 * its inputs, renew the lease, store the signed result (store_conclude_copy_sql and
 * store_conclude_mark_sql, run by result_store.c on a connection of its own) or release
 * the claim.
 *
 * The lease makes the job safe to run on every instance: a claim takes a decision whose
 * voting phase has closed, with no outcome and no live lease (FOR UPDATE SKIP LOCKED, so
 * instances never wait on each other); only the lease's owner can store a result, and
 * only once (outcome IS NULL), so a decision is never concluded twice. Claims are fair
 * across services: the next decision is one of the service with the fewest conclusions
 * running (on any instance), the longest closed first, so one service's many or heavy
 * decisions cannot hold up the others'. */
#ifndef FREECOOP_STORE_CONCLUDE_H
#define FREECOOP_STORE_CONCLUDE_H

#include <stdbool.h>

#include "store.h"

extern const struct db_stmt stmt_conclude_claim, stmt_conclude_decision,
	stmt_conclude_proposals, stmt_conclude_ballots, stmt_conclude_franchise,
	stmt_conclude_renew, stmt_conclude_release, stmt_decisions_purge;

/* The COPY that streams the results row, and the statement that then marks the decision
 * (see store_conclude.c); not prepared on the pool. */
extern const char store_conclude_copy_sql[], store_conclude_mark_sql[],
	store_conclude_authority_sql[];

#define STORE_CONCLUDE_STATEMENTS                                                            \
	&stmt_conclude_claim, &stmt_conclude_decision, &stmt_conclude_proposals,             \
		&stmt_conclude_ballots, &stmt_conclude_franchise, &stmt_conclude_renew,      \
		&stmt_conclude_release, &stmt_decisions_purge

/* Claims one decision to conclude for owner (a UUID) for lease_ms: one row (id,
 * attempts so far including this one, last_error) or none. */
void store_conclude_claim(struct db_pool *db, const char *owner, int lease_ms, db_cb cb,
			  void *arg);

/* Column order of stmt_conclude_decision. */
enum conclude_col {
	CC_ID, CC_TITLE, CC_SERVICE, CC_CREATED, CC_PO, CC_PC, CC_VO, CC_VC, CC_METHOD_ID,
	CC_METHOD_NAME, CC_CODE, CC_AUDITORS, CC_DATA_KEY, CC_BALLOT_SIZE, CC_NCOLS
};

/* The decision, its method and auditors (uuid[] text), its wrapped data key (hex), its
 * ballot_size (0: ballots sealed unpadded). */
void store_conclude_decision(struct db_pool *db, const char *id, db_cb cb, void *arg);
/* Proposals: id, proposer_id or NULL, payload (base64), ordered by id. */
void store_conclude_proposals(struct db_pool *db, const char *id, db_cb cb, void *arg);
/* Ballots: slot, sealed, as raw bytes (binary results). */
void store_conclude_ballots(struct db_pool *db, const char *id, db_cb cb, void *arg);
/* Franchise: account_id, proposer, voter. */
void store_conclude_franchise(struct db_pool *db, const char *id, db_cb cb, void *arg);

/* Extends the lease: one row if the claim is still owner's (also once owner has stored
 * the result), none if it was lost. */
void store_conclude_renew(struct db_pool *db, const char *id, const char *owner, int lease_ms,
			  db_cb cb, void *arg);

/* Gives the claim back, to be retried after delay_ms; counted = false also takes back the
 * attempt the claim counted (the count never reached a worker). */
void store_conclude_release(struct db_pool *db, const char *id, const char *owner,
			    int delay_ms, const char *error, bool counted, db_cb cb, void *arg);

/* How many decisions were purged, or why not. */
typedef void (*store_purge_cb)(void *arg, const struct problem *no, long purged);

/* Purges what the retention period no longer keeps. */
void store_decisions_purge(struct db_pool *db, store_purge_cb cb, void *arg);

#endif
