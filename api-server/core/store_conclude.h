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

/* A decision claimed: its id, the attempts so far including this one, the last error. */
struct store_claim {
	const char *id;
	int attempts;
	const char *last_error;
};

/* Claims one decision to conclude for owner (a UUID) for lease_ms: k is NULL when there is
 * none to conclude now. */
void store_conclude_claim(struct db_pool *db, const char *owner, int lease_ms,
			  void (*cb)(void *arg, const struct problem *no,
				     const struct store_claim *k),
			  void *arg);

/* The rows of one of the conclusion's reads, held until store_rows_free (they can be
 * large: a million ballots), read by the accessors below, from any thread. */
struct store_rows;

/* What the conclusion reads of a decision (strings borrowed from its rows). */
struct store_conclusion {
	const char *title, *service, *created_at;
	const char *phases[4]; /* proposal opens, closes, voting opens, closes */
	const char *method_id, *method_name;
	const char *code; /* the method's code, code_len bytes */
	size_t code_len;
	const char *auditors; /* the method's auditors: a uuid[] as text ("{a,b}") */
	const char *data_key; /* wrapped, in hex */
	int ballot_size;      /* 0: ballots sealed unpadded */
};

/* A read's rows, or why not (the caller frees them). */
typedef void (*store_rows_cb)(void *arg, const struct problem *no, struct store_rows *rows);

/* The decision (one row, or none if it vanished), its proposals (ordered by id), its
 * ballots, its franchise. */
void store_conclude_decision(struct db_pool *db, const char *id, store_rows_cb cb, void *arg);
void store_conclude_proposals(struct db_pool *db, const char *id, store_rows_cb cb, void *arg);
void store_conclude_ballots(struct db_pool *db, const char *id, store_rows_cb cb, void *arg);
void store_conclude_franchise(struct db_pool *db, const char *id, store_rows_cb cb, void *arg);

void store_rows_free(struct store_rows *rows);
size_t store_rows_count(const struct store_rows *rows);

/* The decision of store_conclude_decision's rows; false when there is none. */
bool store_conclusion_of(const struct store_rows *rows, struct store_conclusion *out);

/* Ballot i of store_conclude_ballots' rows: its slot and sealed bytes. */
void store_ballot_at(const struct store_rows *rows, size_t i, const unsigned char **slot,
		     size_t *slot_len, const unsigned char **sealed, size_t *sealed_len);

/* Franchise member i: account id, and whether it proposes and votes. */
void store_member_at(const struct store_rows *rows, size_t i, const char **account,
		     bool *proposer, bool *voter);

/* Proposal i: id (id_len bytes), proposer's account (NULL: the service), payload in base64
 * (b64_len bytes). */
void store_proposal_at(const struct store_rows *rows, size_t i, const char **id, size_t *id_len,
		       const char **proposer, const char **b64, size_t *b64_len);

/* Extends the lease: held is whether the claim is still owner's (also once owner has
 * stored the result); a failure says nothing (no != NULL). */
void store_conclude_renew(struct db_pool *db, const char *id, const char *owner, int lease_ms,
			  store_found_cb cb, void *arg);

/* Gives the claim back, to be retried after delay_ms; counted = false also takes back the
 * attempt the claim counted (the count never reached a worker). */
void store_conclude_release(struct db_pool *db, const char *id, const char *owner,
			    int delay_ms, const char *error, bool counted, store_done_cb cb,
			    void *arg);

/* On the result store's own connection (blocking, inside its transaction): whether the
 * decision authority authority_id may still sign (its row then locked until the commit):
 * 1, 0 revoked, -1 on an error (its message in err). */
int store_conclude_authority_held(PGconn *conn, const char *authority_id, char *err,
				  size_t errlen);

/* Marks the decision concluded (ok) or failed with message, and writes its service's
 * event to the outbox (*events: how many, 0 or 1): 1, 0 when the lease was lost (nothing
 * marked), -1 on an error (in err). */
int store_conclude_mark(PGconn *conn, const char *decision, const char *owner, bool ok,
			const char *message, int *events, char *err, size_t errlen);

/* How many decisions were purged, or why not. */
typedef void (*store_purge_cb)(void *arg, const struct problem *no, long purged);

/* Purges what the retention period no longer keeps. */
void store_decisions_purge(struct db_pool *db, store_purge_cb cb, void *arg);

#endif
