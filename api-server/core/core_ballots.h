/* core_ballots — secret ballots: cast or recast during the voting phase, and "have I
 * voted". A ballot is sealed here, before it reaches the database (ballot.h): its slot is
 * the HMAC of the voter's account id under the decision's slot key, its content the random
 * ballot id and the payload, padded to the decision's ballot_size, under its ballot key. */
#ifndef FREECOOP_CORE_BALLOTS_H
#define FREECOOP_CORE_BALLOTS_H

#include <stddef.h>

#include "principal.h"
#include "problem.h"
#include "types.h"

/* Casts the calling account's ballot (replacing an earlier one): its receipt, or why not:
 * the payload (413, 422), 404 not-found, 409 outside-phase (the phase's times; closed,
 * or concluded and purged), 413 payload-too-large past the decision's ballot_size, 403
 * not-enfranchised. */
void core_ballot_cast(struct core *c, const struct principal *caller, const char *decision,
		      const char *payload_b64, size_t len,
		      void (*cb)(void *arg, const struct problem *no, const struct core_cast *r),
		      void *arg);

/* Whether the calling account may vote in decision and did, with its receipt; 404 when it
 * is not in its franchise, or when the decision's ballots were purged. */
void core_ballot_mine(struct core *c, const struct principal *caller, const char *decision,
		      void (*cb)(void *arg, const struct problem *no,
				 const struct core_ballot_status *s),
		      void *arg);

#endif
