/* store_authorities — registered Ed25519 authorities. */
#ifndef FREECOOP_STORE_AUTHORITIES_H
#define FREECOOP_STORE_AUTHORITIES_H

#include "store.h"

extern const struct db_stmt stmt_authorities_list, stmt_authority_is_decision;

/* The n keys (valid during the call), or why not (no). */
typedef void (*store_authorities_cb)(void *arg, const struct problem *no,
				     const struct core_authority *keys, size_t n);

/* Unrevoked authorities, oldest first. */
void store_authorities_list(struct db_pool *db, store_authorities_cb cb, void *arg);

/* stmt_authority_is_decision, $1 = raw public key (bytea): one row (id) if that key is an
 * unrevoked decision authority. Run blocking at start-up, and by store_authority_check. */
void store_authority_check(struct db_pool *db, const unsigned char pub[32], store_found_cb cb,
			   void *arg);

#endif
