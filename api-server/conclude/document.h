/* document — the signed result document of DESIGN §7: its JSON payload, written directly
 * (a million ballots would make a million json-c objects), and its compact JWS.
 *
 * Pure functions of their inputs, with no event loop and no global state, so the
 * conclusion job runs them on a thread of its own. */
#ifndef FREECOOP_DOCUMENT_H
#define FREECOOP_DOCUMENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "wire.h"

struct document {
	const char *decision_id, *title, *service, *created_at;
	const char *phases[4]; /* proposal opens, closes, voting opens, closes */
	const char *method_id, *method_name;
	const char *const *auditors; /* kids, sorted */
	size_t nauditors;
	const struct wire_count *inputs; /* sorted as §7 says; proposers are pseudonyms */
	bool ok;
	const unsigned char *result; /* ok */
	size_t result_len;
	const char *error, *message; /* !ok: the kind and its text */
	const char *counted_at;
	const char *python;               /* e.g. "3.11.2" */
	const char *const *libraries;
	size_t nlibraries;
};

/* Writes the JSON payload of d into a new NUL-terminated buffer *out (caller frees) of
 * *len bytes. Returns 0, or -1 when memory ran out. */
int document_payload(const struct document *d, char **out, size_t *len);

/* The compact JWS of payload[0..len) with the protected header of DESIGN §7 (kid is the
 * authority id), in two steps, so that the signing can run while the signing input is
 * already being stored. document_jws_new writes the signing input, base64url(header) "."
 * base64url(payload), into a new buffer *jws (caller frees) with room for the rest, and
 * its length into *signing_len; returns 0, or -1 when memory ran out or kid is not
 * printable ASCII without '"' and '\' of at most 93 bytes. document_jws_sign signs it
 * and appends "." and the signature, NUL-terminated: *jws_len is then the whole length;
 * returns 0 or -1. The signing input is not changed by the second step. */
int document_jws_new(const char *kid, const char *payload, size_t len, char **jws,
		     size_t *signing_len);
int document_jws_sign(EVP_PKEY *key, char *jws, size_t signing_len, size_t *jws_len);

/* The same signing input as document_payload then document_jws_new, written in two steps
 * without the payload ever held whole: the head (everything up to the end of the inputs,
 * which the count does not change) while the worker counts, then the rest. A writer
 * encodes its payload into the JWS a megabyte at a time.
 *
 * document_writer_new starts one for kid (NULL: no memory, or kid as document_jws_new
 * refuses); while *stop (may be NULL) becomes true, the writing fails soon (within a few
 * thousand ballots). document_writer_head writes d's head; document_writer_finish writes
 * d's rest (d's head is not read again) and hands the signing input over as
 * document_jws_new does, for document_jws_sign. Each returns 0, or -1 (no memory, or
 * stopped). document_writer_free frees the writer, any time. */
struct document_writer;
struct document_writer *document_writer_new(const char *kid, const atomic_bool *stop);
int document_writer_head(struct document_writer *w, const struct document *d);
int document_writer_finish(struct document_writer *w, const struct document *d, char **jws,
			   size_t *signing_len);
void document_writer_free(struct document_writer *w);

#endif
