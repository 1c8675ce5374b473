/* document — the signed result document of DESIGN §7: its JSON payload, written directly
 * (a million ballots would make a million json-c objects), and its compact JWS.
 *
 * Pure functions of their inputs, with no event loop and no global state, so the
 * conclusion job runs them on a thread of its own. */
#ifndef FREECOOP_DOCUMENT_H
#define FREECOOP_DOCUMENT_H

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

#endif
