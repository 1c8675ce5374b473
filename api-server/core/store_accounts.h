/* store_accounts — services and accounts. */
#ifndef FREECOOP_STORE_ACCOUNTS_H
#define FREECOOP_STORE_ACCOUNTS_H

#include "db/db.h"
#include "util.h"

extern const struct db_stmt stmt_service_by_key, stmt_account_insert, stmt_account_get,
	stmt_account_claim;

/* The enabled service whose key hashes to key_hash.
 * Columns: 0 id, 1 name, 2 key_hash (bytea hex text). No row: unknown or disabled. */
void store_service_by_key(struct db_pool *db, const unsigned char key_hash[UTIL_SHA256_LEN],
			  db_cb cb, void *arg);

/* Creates account id for service_id with name (NULL: none).
 * Columns: 0 id, 1 name (NULL if none), 2 created_at (RFC 3339). */
void store_account_insert(struct db_pool *db, const char *id, const char *service_id,
			  const char *name, db_cb cb, void *arg);

/* The account id if service_id owns it. Columns: 0 id, 1 name (NULL if none),
 * 2 created_at, 3 claimed ("t"/"f"). No row: not found or another service's. */
void store_account_get(struct db_pool *db, const char *id, const char *service_id, db_cb cb,
		       void *arg);

/* Claims account id (of an enabled service) with the hash of its new authorization token,
 * unless it was claimed before. One row: 0 found ("1"/"0"), 1 claimed now ("1"/"0"). */
void store_account_claim(struct db_pool *db, const char *id,
			 const unsigned char token_hash[UTIL_SHA256_LEN], db_cb cb, void *arg);

#endif
