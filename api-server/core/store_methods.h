/* store_methods — SQL for voting methods and their auditor signatures. */
#ifndef FREECOOP_STORE_METHODS_H
#define FREECOOP_STORE_METHODS_H

#include "db/db.h"

extern const struct db_stmt stmt_method_auditor, stmt_method_add, stmt_method_get,
	stmt_methods_list;

/* The auditor's key for a submission: one row (public_key in hex, whether the
 * method exists) if auditor is an unrevoked code auditor, else none. */
void store_method_auditor(struct db_pool *db, const char *auditor, const char *method_id,
			  db_cb cb, void *arg);

/* Stores the method (unless it exists) and the auditor's signature (unless present): one
 * row (methods inserted, signatures inserted). */
void store_method_add(struct db_pool *db, const char *id, const char *name, const char *code,
		      size_t code_len, const char *auditor, const unsigned char sig[64], db_cb cb,
		      void *arg);

/* One method: id, name, code, created_at, signatures (JSON array of {auditor, signature,
 * created_at, revoked}); no row if there is none. */
void store_method_get(struct db_pool *db, const char *id, db_cb cb, void *arg);

/* Every method: id, name, created_at, signatures (as above, without the code). */
void store_methods_list(struct db_pool *db, db_cb cb, void *arg);

#endif
