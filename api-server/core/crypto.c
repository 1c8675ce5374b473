/* crypto — Ed25519, AES-256-GCM sealing and the per-decision keys, with OpenSSL 3. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "util.h"

#define WRAP_AAD "freecoop-data-key:v1:"

/* AES-256-GCM, fetched once for the process: EVP_aes_256_gcm() makes OpenSSL look the
 * implementation up again on every use (measurable on every ballot cast). */
static EVP_CIPHER *aes_gcm_cipher;
static pthread_once_t aes_gcm_once = PTHREAD_ONCE_INIT;

static void
aes_gcm_fetch(void)
{
	aes_gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *
aes_gcm(void)
{
	pthread_once(&aes_gcm_once, aes_gcm_fetch);
	return aes_gcm_cipher != NULL ? aes_gcm_cipher : EVP_aes_256_gcm();
}

bool
crypto_ed25519_verify(const unsigned char pub[CRYPTO_PUB_LEN], const void *msg, size_t len,
		      const unsigned char sig[CRYPTO_SIG_LEN])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, CRYPTO_PUB_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = false;

	if (pk != NULL && md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		ok = EVP_DigestVerify(md, sig, CRYPTO_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

int
crypto_ed25519_sign(EVP_PKEY *key, const void *msg, size_t len, unsigned char sig[CRYPTO_SIG_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = CRYPTO_SIG_LEN;
	int r = -1;

	if (md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == CRYPTO_SIG_LEN)
		r = 0;
	EVP_MD_CTX_free(md);
	return r;
}

/* Runs one AES-256-GCM operation (enc 1 seal, 0 open) on ctx, or a temporary one. */
static int
gcm(EVP_CIPHER_CTX *ctx, int enc, const unsigned char *key, const unsigned char *nonce,
    const void *aad, size_t aadlen, const unsigned char *in, size_t len, unsigned char *out,
    unsigned char *tag)
{
	EVP_CIPHER_CTX *own = NULL;
	int n = 0, fin = 0, r = -1;

	if (len > INT32_MAX || aadlen > INT32_MAX)
		return -1;
	if (ctx == NULL && (ctx = own = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	/* key NULL: ctx holds it (crypto_ctx_key); only the nonce changes */
	if ((key != NULL ? EVP_CipherInit_ex(ctx, aes_gcm(), NULL, key, nonce, enc)
			 : EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, enc)) != 1 ||
	    (aadlen > 0 && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG_LEN, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(own);
	return r;
}

int
crypto_ctx_key(EVP_CIPHER_CTX *ctx, const unsigned char key[CRYPTO_KEY_LEN], bool enc)
{
	return EVP_CipherInit_ex(ctx, aes_gcm(), NULL, key, NULL, enc) == 1 ? 0 : -1;
}

int
crypto_seal(EVP_CIPHER_CTX *ctx, const unsigned char key[CRYPTO_KEY_LEN], const void *aad,
	    size_t aadlen, const void *pt, size_t len, unsigned char *out)
{
	if (RAND_bytes(out, CRYPTO_NONCE_LEN) != 1)
		return -1;
	return gcm(ctx, 1, key, out, aad, aadlen, pt, len, out + CRYPTO_NONCE_LEN,
		   out + CRYPTO_NONCE_LEN + len);
}

int
crypto_open(EVP_CIPHER_CTX *ctx, const unsigned char key[CRYPTO_KEY_LEN], const void *aad,
	    size_t aadlen, const unsigned char *in, size_t inlen, unsigned char *out)
{
	size_t len;
	unsigned char tag[CRYPTO_TAG_LEN];

	if (inlen < CRYPTO_SEAL_OVERHEAD)
		return -1;
	len = inlen - CRYPTO_SEAL_OVERHEAD;
	memcpy(tag, in + CRYPTO_NONCE_LEN + len, CRYPTO_TAG_LEN);
	if (gcm(ctx, 0, key, in, aad, aadlen, in + CRYPTO_NONCE_LEN, len, out, tag) != 0) {
		OPENSSL_cleanse(out, len);
		return -1;
	}
	return (int)len;
}

void
crypto_hmac(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[32])
{
	/* RFC 2104 over the prefetched SHA-256: HMAC() would look up both the MAC and the
	 * digest by name on every call. Keys are at most one block (ours are 32 bytes). */
	unsigned char pad[64], inner[32];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const EVP_MD *sha = util_md_sha256();

	if (md == NULL || keylen > sizeof(pad)) { /* no memory, or a long key */
		unsigned int n = 32;
		HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n);
		EVP_MD_CTX_free(md);
		return;
	}
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < keylen; i++)
		pad[i] ^= ((const unsigned char *)key)[i];
	EVP_DigestInit_ex(md, sha, NULL);
	EVP_DigestUpdate(md, pad, sizeof(pad));
	EVP_DigestUpdate(md, data, len);
	EVP_DigestFinal_ex(md, inner, NULL);
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	EVP_DigestInit_ex(md, sha, NULL);
	EVP_DigestUpdate(md, pad, sizeof(pad));
	EVP_DigestUpdate(md, inner, sizeof(inner));
	EVP_DigestFinal_ex(md, out, NULL);
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	EVP_MD_CTX_free(md);
}

struct crypto_mac {
	EVP_MD_CTX *inner, *outer, *tmp; /* after the ipad and opad blocks; a scratch copy */
};

struct crypto_mac *
crypto_mac_new(const void *key, size_t keylen)
{
	struct crypto_mac *m = calloc(1, sizeof(*m));
	unsigned char pad[64];
	const EVP_MD *sha = util_md_sha256();
	int ok;

	if (m == NULL || keylen > sizeof(pad))
		goto fail;
	m->inner = EVP_MD_CTX_new();
	m->outer = EVP_MD_CTX_new();
	m->tmp = EVP_MD_CTX_new();
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < keylen; i++)
		pad[i] ^= ((const unsigned char *)key)[i];
	ok = m->inner != NULL && m->outer != NULL && m->tmp != NULL &&
	     EVP_DigestInit_ex(m->inner, sha, NULL) == 1 &&
	     EVP_DigestUpdate(m->inner, pad, sizeof(pad)) == 1;
	for (size_t i = 0; i < sizeof(pad); i++)
		pad[i] ^= 0x36 ^ 0x5c;
	ok = ok && EVP_DigestInit_ex(m->outer, sha, NULL) == 1 &&
	     EVP_DigestUpdate(m->outer, pad, sizeof(pad)) == 1;
	OPENSSL_cleanse(pad, sizeof(pad));
	if (ok)
		return m;
fail:
	crypto_mac_free(m);
	return NULL;
}

int
crypto_mac_run(struct crypto_mac *m, const void *data, size_t len, unsigned char out[32])
{
	unsigned char inner[32];
	int ok = EVP_MD_CTX_copy_ex(m->tmp, m->inner) == 1 &&
		 EVP_DigestUpdate(m->tmp, data, len) == 1 &&
		 EVP_DigestFinal_ex(m->tmp, inner, NULL) == 1 &&
		 EVP_MD_CTX_copy_ex(m->tmp, m->outer) == 1 &&
		 EVP_DigestUpdate(m->tmp, inner, sizeof(inner)) == 1 &&
		 EVP_DigestFinal_ex(m->tmp, out, NULL) == 1;

	OPENSSL_cleanse(inner, sizeof(inner));
	return ok ? 0 : -1;
}

void
crypto_mac_free(struct crypto_mac *m)
{
	if (m == NULL)
		return;
	EVP_MD_CTX_free(m->inner);
	EVP_MD_CTX_free(m->outer);
	EVP_MD_CTX_free(m->tmp);
	free(m);
}

static void
derive(const unsigned char dk[CRYPTO_KEY_LEN], struct crypto_deckey *k)
{
	crypto_hmac(dk, CRYPTO_KEY_LEN, "ballot-key:v1", 13, k->ballot);
	crypto_hmac(dk, CRYPTO_KEY_LEN, "ballot-slot:v1", 14, k->slot);
}

int
crypto_deckey_new(const unsigned char master[CRYPTO_KEY_LEN], const char *decision_id,
		  unsigned char wrapped[CRYPTO_WRAPPED_LEN], struct crypto_deckey *k)
{
	unsigned char dk[CRYPTO_KEY_LEN], aad[sizeof(WRAP_AAD) + 40];
	int aadlen = snprintf((char *)aad, sizeof(aad), WRAP_AAD "%s", decision_id);
	int r = -1;

	if (RAND_bytes(dk, sizeof(dk)) == 1 &&
	    crypto_seal(NULL, master, aad, (size_t)aadlen, dk, sizeof(dk), wrapped) == 0) {
		derive(dk, k);
		r = 0;
	}
	OPENSSL_cleanse(dk, sizeof(dk));
	return r;
}

int
crypto_deckey_open(const unsigned char master[CRYPTO_KEY_LEN], const char *decision_id,
		   const unsigned char *wrapped, size_t len, struct crypto_deckey *k)
{
	unsigned char dk[CRYPTO_KEY_LEN], aad[sizeof(WRAP_AAD) + 40];
	int aadlen = snprintf((char *)aad, sizeof(aad), WRAP_AAD "%s", decision_id);
	int r = -1;

	if (len == CRYPTO_WRAPPED_LEN &&
	    crypto_open(NULL, master, aad, (size_t)aadlen, wrapped, len, dk) == CRYPTO_KEY_LEN) {
		derive(dk, k);
		r = 0;
	}
	OPENSSL_cleanse(dk, sizeof(dk));
	return r;
}

void
crypto_slot(const struct crypto_deckey *k, const char *account_id, unsigned char out[32])
{
	crypto_hmac(k->slot, CRYPTO_KEY_LEN, account_id, strlen(account_id), out);
}

void
crypto_deckey_wipe(struct crypto_deckey *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

void
crypto_pseudonym(const char *decision_id, const char *account_id,
		 char out[CRYPTO_PSEUDONYM_LEN + 1])
{
	char buf[128];
	unsigned char h[UTIL_SHA256_LEN];
	int n = snprintf(buf, sizeof(buf), "decision-pseudonym:v1:%s:%s", decision_id, account_id);

	util_sha256(buf, (size_t)n, h);
	util_hex(h, sizeof(h), out);
}

#define WEBHOOK_AAD "freecoop-webhook-secret:v1:"

int
crypto_webhook_seal(const unsigned char master[CRYPTO_KEY_LEN], const char *service_id,
		    const unsigned char key[CRYPTO_KEY_LEN], unsigned char sealed[CRYPTO_WRAPPED_LEN])
{
	char aad[sizeof(WEBHOOK_AAD) + 64];
	int n = snprintf(aad, sizeof(aad), WEBHOOK_AAD "%s", service_id);

	return crypto_seal(NULL, master, aad, (size_t)n, key, CRYPTO_KEY_LEN, sealed);
}

int
crypto_webhook_open(const unsigned char master[CRYPTO_KEY_LEN], const char *service_id,
		    const unsigned char *sealed, size_t len, unsigned char key[CRYPTO_KEY_LEN])
{
	char aad[sizeof(WEBHOOK_AAD) + 64];
	int n = snprintf(aad, sizeof(aad), WEBHOOK_AAD "%s", service_id);

	if (len != CRYPTO_WRAPPED_LEN)
		return -1;
	return crypto_open(NULL, master, aad, (size_t)n, sealed, len, key) == CRYPTO_KEY_LEN ? 0
											   : -1;
}
