/* crypto — the server's uses of OpenSSL: Ed25519 signatures, sealing ballots with
 * AES-256-GCM, and the per-decision keys (DESIGN §4, §5).
 *
 * A decision's data key is 32 random bytes, stored only wrapped by the master key:
 * nonce(12) || AES-256-GCM(master, data key; aad = "freecoop-data-key:v1:" || decision id)
 * || tag(16). Two keys derive from it with HMAC-SHA-256: the ballot key (seals ballots) and
 * the slot key (turns an account id into the ballot's slot, so a recast finds the earlier
 * ballot while nothing in the database links a voter to a ballot). */
#ifndef FREECOOP_CRYPTO_H
#define FREECOOP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#define CRYPTO_KEY_LEN 32
#define CRYPTO_NONCE_LEN 12
#define CRYPTO_TAG_LEN 16
#define CRYPTO_SEAL_OVERHEAD (CRYPTO_NONCE_LEN + CRYPTO_TAG_LEN)
#define CRYPTO_WRAPPED_LEN (CRYPTO_KEY_LEN + CRYPTO_SEAL_OVERHEAD)
#define CRYPTO_SIG_LEN 64
#define CRYPTO_PSEUDONYM_LEN 64
#define CRYPTO_PUB_LEN 32

/* The keys of one decision, derived from its data key. Wipe with crypto_deckey_wipe. */
struct crypto_deckey {
	unsigned char ballot[CRYPTO_KEY_LEN];
	unsigned char slot[CRYPTO_KEY_LEN];
};

/* Whether sig is a valid Ed25519 signature of msg[0..len) by the raw public key pub. */
bool crypto_ed25519_verify(const unsigned char pub[CRYPTO_PUB_LEN], const void *msg,
			   size_t len, const unsigned char sig[CRYPTO_SIG_LEN]);

/* Signs msg[0..len) with the Ed25519 private key; returns 0 or -1. */
int crypto_ed25519_sign(EVP_PKEY *key, const void *msg, size_t len,
			unsigned char sig[CRYPTO_SIG_LEN]);

/* Seals pt[0..len) with key under a fresh random nonce, binding aad[0..aadlen). out gets
 * len + CRYPTO_SEAL_OVERHEAD bytes. ctx is a cipher context the caller owns (reused
 * across calls; NULL makes a temporary one). Returns 0 or -1. */
int crypto_seal(EVP_CIPHER_CTX *ctx, const unsigned char key[CRYPTO_KEY_LEN], const void *aad,
		size_t aadlen, const void *pt, size_t len, unsigned char *out);

/* Sets up ctx to open (enc false) or seal many texts under one key: crypto_open and
 * crypto_seal then take key NULL and only set each nonce. Returns 0 or -1. */
int crypto_ctx_key(EVP_CIPHER_CTX *ctx, const unsigned char key[CRYPTO_KEY_LEN], bool enc);

/* Opens what crypto_seal made: in[0..inlen) into out (inlen - CRYPTO_SEAL_OVERHEAD bytes).
 * Returns the plaintext length, or -1 if it is too short, or was altered, or the key or
 * aad differ. */
int crypto_open(EVP_CIPHER_CTX *ctx, const unsigned char key[CRYPTO_KEY_LEN], const void *aad,
		size_t aadlen, const unsigned char *in, size_t inlen, unsigned char *out);

/* HMAC-SHA-256 of data[0..len) under key[0..keylen). */
void crypto_hmac(const void *key, size_t keylen, const void *data, size_t len,
		 unsigned char out[32]);

/* An HMAC-SHA-256 key prepared for many MACs (the padded key's digest states are kept):
 * each MAC then costs two digest finishes. One thread at a time per crypto_mac. */
struct crypto_mac;

/* Prepares key[0..keylen) (at most 64 bytes); NULL when memory ran out. */
struct crypto_mac *crypto_mac_new(const void *key, size_t keylen);

/* HMAC-SHA-256 of data[0..len) under m's key into out; returns 0 or -1. */
int crypto_mac_run(struct crypto_mac *m, const void *data, size_t len, unsigned char out[32]);

/* Wipes and frees m; NULL-safe. */
void crypto_mac_free(struct crypto_mac *m);

/* Makes a new data key for the decision decision_id (text UUID), wraps it with master into
 * wrapped, and derives k. Returns 0 or -1. */
int crypto_deckey_new(const unsigned char master[CRYPTO_KEY_LEN], const char *decision_id,
		      unsigned char wrapped[CRYPTO_WRAPPED_LEN], struct crypto_deckey *k);

/* Unwraps a decision's data key and derives k. Returns 0, or -1 if wrapped was not made
 * for this decision under this master key. */
int crypto_deckey_open(const unsigned char master[CRYPTO_KEY_LEN], const char *decision_id,
		       const unsigned char *wrapped, size_t len, struct crypto_deckey *k);

/* The ballot slot of account_id (text UUID) in a decision: HMAC(k->slot, account_id). */
void crypto_slot(const struct crypto_deckey *k, const char *account_id, unsigned char out[32]);

void crypto_deckey_wipe(struct crypto_deckey *k);

/* A webhook's signing key (the secret's bytes) sealed under the master key for the
 * service service_id (text UUID): nonce(12) || AES-256-GCM(master, key; aad =
 * "freecoop-webhook-secret:v1:" || service_id) || tag(16). Returns 0 or -1. */
int crypto_webhook_seal(const unsigned char master[CRYPTO_KEY_LEN], const char *service_id,
			const unsigned char key[CRYPTO_KEY_LEN],
			unsigned char sealed[CRYPTO_WRAPPED_LEN]);

/* Opens what crypto_webhook_seal made. Returns 0, or -1 if it was not made for this
 * service under this master key. */
int crypto_webhook_open(const unsigned char master[CRYPTO_KEY_LEN], const char *service_id,
			const unsigned char *sealed, size_t len, unsigned char key[CRYPTO_KEY_LEN]);

/* An account's pseudonym in a decision, the name proposals and the result document give
 * it: hex(SHA-256("decision-pseudonym:v1:" || decision_id || ":" || account_id)) (DESIGN
 * §7), NUL-terminated in out. */
void crypto_pseudonym(const char *decision_id, const char *account_id,
		      char out[CRYPTO_PSEUDONYM_LEN + 1]);

#endif
