/* store_authorities — registered Ed25519 authorities. */
#ifndef FREECOOP_STORE_AUTHORITIES_H
#define FREECOOP_STORE_AUTHORITIES_H

#include "db/db.h"

extern const struct db_stmt stmt_authorities_list, stmt_authority_is_decision;

/* Unrevoked authorities, oldest first. Columns: 0 id, 1 name, 2 public key (base64url),
 * 3 decision_authority ("t"/"f"), 4 code_auditor ("t"/"f"), 5 created_at. */
void store_authorities_list(struct db_pool *db, db_cb cb, void *arg);

/* stmt_authority_is_decision, $1 = raw public key (bytea): one row (id) if that key is an
 * unrevoked decision authority. Run blocking at start-up, and by store_authority_check. */
void store_authority_check(struct db_pool *db, const unsigned char pub[32], db_cb cb, void *arg);

#endif
