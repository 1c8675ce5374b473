/* glog — the entries of a group's log (DESIGN §10.6): their RFC 8785 canonical JSON, their
 * seal (hash, kid and Ed25519 signature) and its check, and the chain's first link.
 *
 * Pure: json-c objects and keys in, text out; no I/O, no core. The canonical form covers
 * only what a log entry holds (objects, arrays, strings, integers of at most 2^53 - 1 in
 * magnitude, true, false, null), so that what scripts/verify-log recomputes with stock tools
 * is the very bytes signed here: a double would need ECMAScript's number formatting, which
 * no entry should ever hold, and is refused rather than guessed at. */
#ifndef FREECOOP_GLOG_H
#define FREECOOP_GLOG_H

#include <stddef.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#define GLOG_HASH_LEN 64                /* lowercase hex SHA-256 */
#define GLOG_SIG_LEN 86                 /* base64url, unpadded, of a 64-byte signature */
#define GLOG_KEY_LEN 32                 /* an Ed25519 public key, raw */
#define GLOG_INT_MAX 9007199254740991LL /* 2^53 - 1: the largest integer an entry holds */
#define GLOG_DEPTH_MAX 64               /* nesting of arrays and objects in an entry */
#define GLOG_WHY_MAX 128                /* holds any reason glog_entry_verify gives */

/* The prev of a group's first entry (seq 1): 64 zeros. */
#define GLOG_GENESIS_PREV "0000000000000000000000000000000000000000000000000000000000000000"

/* The RFC 8785 canonical JSON of v (NULL is JSON null): no whitespace, object members
 * sorted by their names' UTF-16 code units, strings escaping only '"', '\' and the control
 * characters below U+0020 (\b \t \n \f \r, else \u00xx in lowercase hex), everything else
 * raw UTF-8. Returns 0 with *out a NUL-terminated heap string the caller frees with free()
 * and *len its length (the text itself may hold no NUL: U+0000 is escaped); -1 when v holds
 * a double (even an integral one: 1.0, 1e2), an integer beyond +/-GLOG_INT_MAX, a string or
 * a member name that is not well-formed UTF-8, two members of one name, or nesting deeper
 * than GLOG_DEPTH_MAX; -2 when memory ran out. *out is NULL on failure. */
int glog_canonical(struct json_object *v, char **out, size_t *len);

/* Seals entry, an object holding every member of a log entry but hash, kid and signature:
 * adds "hash" (hex SHA-256 of the entry's canonical JSON), "kid" (kid, a non-empty string)
 * and "signature" (base64url, unpadded, of the Ed25519 signature by key over those same
 * bytes). key must be an Ed25519 private key; it is borrowed. Returns 0; -1 when entry is
 * not an object, already holds one of the three, holds what glog_canonical refuses, or key
 * cannot sign; -2 when memory ran out. On failure entry is left as it came. */
int glog_entry_seal(struct json_object *entry, EVP_PKEY *key, const char *kid);

/* Checks a sealed entry against the Ed25519 public key pub (the one its kid names; the kid
 * itself is not covered by the seal, as §10.6 signs the entry without it): that hash is the
 * hex SHA-256 of the canonical JSON of the entry without hash, kid and signature, and that
 * signature is a valid signature by pub over those bytes. Returns 0; -1 with a sentence in
 * why (cut to whylen; why may be NULL when whylen is 0) saying what does not hold; -2 with
 * "out of memory", which says nothing about the entry. Does not check the chain (seq, prev):
 * that takes the entry before it (glog_prev_of). */
int glog_entry_verify(struct json_object *entry, const unsigned char pub[GLOG_KEY_LEN], char *why,
                      size_t whylen);

/* The prev of the entry that follows last: last's hash (borrowed from last), or
 * GLOG_GENESIS_PREV (static) when last is NULL, the group having no entry yet. NULL when
 * last holds no hash of GLOG_HASH_LEN lowercase hex digits (an entry never sealed). */
const char *glog_prev_of(struct json_object *last);

#endif
