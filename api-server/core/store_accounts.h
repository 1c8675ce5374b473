/* store_accounts — services and accounts. The store reads the rows; callers get structs
 * (types.h), or a problem for a database outcome other than DB_OK. */
#ifndef FREECOOP_STORE_ACCOUNTS_H
#define FREECOOP_STORE_ACCOUNTS_H

#include <stdbool.h>

#include "store.h"

extern const struct db_stmt stmt_service_by_key, stmt_account_insert, stmt_account_get,
	stmt_account_claim;

/* An account, or NULL when there is no such row; no != NULL when the database failed. */
typedef void (*store_account_cb)(void *arg, const struct problem *no,
				 const struct core_account *a);

/* The enabled service whose key hashes to key_hash (compared in constant time): a
 * PRINCIPAL_SERVICE, or CRED_UNKNOWN (unknown, or disabled). */
void store_service_by_key(struct db_pool *db, const unsigned char key_hash[UTIL_SHA256_LEN],
			  store_principal_cb cb, void *arg);

/* Creates account id for service_id with name (NULL: none). */
void store_account_insert(struct db_pool *db, const char *id, const char *service_id,
			  const char *name, store_account_cb cb, void *arg);

/* The account id if service_id owns it; NULL when not found or another service's. */
void store_account_get(struct db_pool *db, const char *id, const char *service_id,
		       store_account_cb cb, void *arg);

/* found: account id exists and its service is enabled; claimed: its authorization token
 * was set now (false when it had been claimed before). */
typedef void (*store_claim_cb)(void *arg, const struct problem *no, bool found, bool claimed);

/* Claims account id (of an enabled service) with the hash of its new authorization token,
 * unless it was claimed before. */
void store_account_claim(struct db_pool *db, const char *id,
			 const unsigned char token_hash[UTIL_SHA256_LEN], store_claim_cb cb,
			 void *arg);

#endif
