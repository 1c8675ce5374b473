/* core_proposals — proposals: made by members of a decision's proposer franchise during
 * its proposal phase; seen by its service and its franchise. */
#ifndef FREECOOP_CORE_PROPOSALS_H
#define FREECOOP_CORE_PROPOSALS_H

#include <stddef.h>

#include "principal.h"
#include "problem.h"
#include "types.h"

/* The new proposal's id and created_at, or why not: the payload (413, 422), then the
 * database's rules (404 not-found, 403 not-enfranchised, 409 outside-phase or
 * limit-reached, 422 document-too-large). */
void core_proposal_add(struct core *c, const struct principal *caller, const char *decision,
		       const char *payload_b64, size_t len,
		       void (*cb)(void *arg, const struct problem *no, const char *id,
				  const char *created_at),
		       void *arg);

/* The proposals of decision, as the caller sees them (proposers by pseudonym; the service
 * sees their accounts too, an account which are its own); 404 when it may not see it. */
void core_proposals_list(struct core *c, const struct principal *caller, const char *decision,
			 void (*cb)(void *arg, const struct problem *no,
				    const struct core_proposal *ps, size_t n),
			 void *arg);

#endif
