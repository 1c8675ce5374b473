/* result_store — signing a result document and storing it, in one pass.
 *
 * Runs on the conclusion's thread and blocks. It uses a blocking connection of its own: a
 * document of hundreds of megabytes sent through a non-blocking connection costs libpq a
 * move of the unsent rest after every partial write, which is quadratic. The results row
 * goes by a binary COPY, streamed while a second thread signs the same bytes; the
 * signature goes last. Then, in the same transaction, the decision is marked — only while
 * owner holds the lease and there is no outcome (store_conclude.c), and while the signing
 * key is still an unrevoked decision authority (its row locked against revocation until
 * the commit) — and the transaction commits; otherwise it is rolled back and nothing of
 * the attempt stays. The decision row
 * is locked for that last statement only, not for the copy. */
#ifndef FREECOOP_RESULT_STORE_H
#define FREECOOP_RESULT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

struct result_store {
	/* In. */
	const char *conninfo;
	int timeout_ms; /* statement_timeout of the connection */
	EVP_PKEY *key;  /* the decision authority's */
	const char *authority_id; /* key's kid */
	const char *decision_id, *owner, *counted_at;
	bool ok;
	const char *message; /* !ok: the failure's text, kept as the decision's last_error */
	char *jws;           /* from document_jws_new: signed and completed here (borrowed) */
	size_t signing_len;
	/* The phases recorded with the row, as {"<name>_ms": ...}: names[0..nphases) with
	 * their microseconds; the one at sign_phase is the signing measured here. */
	const char *const *phase_names;
	const uint64_t *phase_us;
	int nphases, sign_phase;

	/* Out. */
	size_t jws_len;   /* the whole JWS, once signed */
	uint64_t sign_us; /* how long the signing took (beside the copy) */
	int events;       /* service events written with it (0 or 1) */
	int stored;       /* 1 stored; 0 the lease was lost (nothing stored); -1 see error;
			   * -2 the key was revoked (nothing stored; see error) */
	char error[512];
};

/* Signs s->jws and stores the result (see above), filling in the out fields. */
void result_store_run(struct result_store *s);

#endif
