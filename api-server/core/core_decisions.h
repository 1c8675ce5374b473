/* core_decisions — decisions: creation by a service, franchise batches, reading, listing,
 * and the signed result. The rules of DESIGN §5 that depend on the clock or on concurrent
 * writers are checked by the database (store_decisions.h). */
#ifndef FREECOOP_CORE_DECISIONS_H
#define FREECOOP_CORE_DECISIONS_H

#include <stddef.h>

#include "principal.h"
#include "problem.h"
#include "types.h"

/* One decision (n 1), a page of n, or why not. */
typedef void (*core_decisions_cb)(void *arg, const struct problem *no,
				  const struct core_decision *d, size_t n);

/* Creates a decision of the calling service and gives it back with its counts. Checked in
 * order: the method id (422 invalid-request), each phase time and their order (422
 * invalid-request, invalid-phases), the franchise's account ids (422 invalid-request),
 * the proposals' payloads (422 invalid-request); then by the database: the method usable
 * (422 method-not-usable), accounts of the service (422 foreign-account), the document
 * bound (422 document-too-large). */
void core_decision_create(struct core *c, const struct principal *caller,
			  const struct core_decision_new *in, core_decisions_cb cb, void *arg);

/* Decision id as the caller sees it (with counts; for a franchise member, what it may do
 * and whether it voted); 404 not-found when it may not see it. */
void core_decision_get(struct core *c, const struct principal *caller, const char *id,
		       core_decisions_cb cb, void *arg);

/* A page of at most limit decisions the caller sees (its service's, or those whose
 * franchise it is in), oldest first, after the one created at after_ts with id after_id
 * (both NULL: from the start). */
void core_decisions_list(struct core *c, const struct principal *caller, const char *after_ts,
			 const char *after_id, int limit, core_decisions_cb cb, void *arg);

/* Appends a franchise batch to the calling service's decision id (during its proposal
 * phase): the franchise's sizes after it, or why not (422 invalid-request for an item
 * that is not an account id; the database's rule problems). */
void core_franchise_add(struct core *c, const struct principal *caller, const char *id,
			const struct core_franchise_batch *in,
			void (*cb)(void *arg, const struct problem *no, long long proposers,
				   long long voters),
			void *arg);

/* Decision id's result, with the document when it has at most download_chunk_size bytes:
 * 404 not-found, 410 result-purged, or 409 not-concluded (Retry-After) when there is none
 * yet. Public: results are published. */
void core_result_get(struct core *c, const char *id,
		     void (*cb)(void *arg, const struct problem *no, const struct core_result *r),
		     void *arg);

/* Decision id's result document whole (r->jws always set), as core_result_get answers it,
 * for a service in this process that reads it at once (FreeCoop): 413 document-too-large
 * when it has more than max bytes. */
void core_result_document(struct core *c, const char *id, size_t max,
			  void (*cb)(void *arg, const struct problem *no,
				     const struct core_result *r),
			  void *arg);

#endif
