/* store_methods — voting methods and their auditor signatures. */
#ifndef FREECOOP_STORE_METHODS_H
#define FREECOOP_STORE_METHODS_H

#include "store.h"

extern const struct db_stmt stmt_method_auditor, stmt_method_add, stmt_method_get,
	stmt_methods_list;

/* An auditor's key for a submission: found when the auditor is an unrevoked code auditor
 * (pub its Ed25519 public key), and whether the method is stored already. */
typedef void (*store_auditor_cb)(void *arg, const struct problem *no, bool found,
				 const unsigned char pub[32], bool method_exists);

void store_method_auditor(struct db_pool *db, const char *auditor, const char *method_id,
			  store_auditor_cb cb, void *arg);

/* Stores the method (unless it exists) and the auditor's signature (unless present);
 * created says whether the method is new. */
void store_method_add(struct db_pool *db, const struct core_method_submission *m,
		      const char *id, const unsigned char sig[64],
		      void (*cb)(void *arg, const struct problem *no, bool created), void *arg);

/* One method (m NULL when there is none), or the n methods of a list (without their code),
 * oldest first. */
typedef void (*store_methods_cb)(void *arg, const struct problem *no,
				 const struct core_method *m, size_t n);

void store_method_get(struct db_pool *db, const char *id, store_methods_cb cb, void *arg);
void store_methods_list(struct db_pool *db, store_methods_cb cb, void *arg);

#endif
