/* ballot — sealing and opening a secret ballot, padded to its decision's ballot_size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ballot.h"

/* The additional data: decision id || slot. */
static size_t
ballot_aad(const char *decision, const unsigned char slot[BALLOT_SLOT_LEN], unsigned char *aad)
{
	memcpy(aad, decision, UTIL_UUID_LEN);
	memcpy(aad + UTIL_UUID_LEN, slot, BALLOT_SLOT_LEN);
	return UTIL_UUID_LEN + BALLOT_SLOT_LEN;
}

size_t
ballot_sealed_len(int ballot_size, size_t len)
{
	return ballot_size > 0 ? BALLOT_SEALED_LEN(ballot_size)
			       : BALLOT_ID_LEN + len + CRYPTO_SEAL_OVERHEAD;
}

int
ballot_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *decision,
	    const unsigned char slot[BALLOT_SLOT_LEN], const char *id,
	    const unsigned char *payload, size_t len, int ballot_size, unsigned char *out)
{
	unsigned char aad[UTIL_UUID_LEN + BALLOT_SLOT_LEN], *pt;
	size_t ptlen = ballot_sealed_len(ballot_size, len) - CRYPTO_SEAL_OVERHEAD, off;
	int r;

	if (ballot_size > 0 && len > (size_t)ballot_size)
		return -1;
	if ((pt = calloc(1, ptlen)) == NULL)
		return -1;
	memcpy(pt, id, BALLOT_ID_LEN);
	off = BALLOT_ID_LEN;
	if (ballot_size > 0) {
		for (int i = 0; i < 4; i++)
			pt[off + (size_t)i] = (unsigned char)(len >> (24 - 8 * i));
		off += 4;
	}
	memcpy(pt + off, payload, len);
	r = crypto_seal(NULL, key, aad, ballot_aad(decision, slot, aad), pt, ptlen, out);
	OPENSSL_cleanse(pt, ptlen);
	free(pt);
	return r;
}

/* Whether buf[0..n) is all zero, looking at every byte. */
static bool
all_zero(const unsigned char *buf, size_t n)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= buf[i];
	return acc == 0;
}

int
ballot_open(EVP_CIPHER_CTX *ctx, const unsigned char *key, const char *decision,
	    const unsigned char slot[BALLOT_SLOT_LEN], const unsigned char *sealed,
	    size_t sealed_len, int ballot_size, unsigned char *out, struct ballot_plain *p)
{
	unsigned char aad[UTIL_UUID_LEN + BALLOT_SLOT_LEN];
	uint32_t len;
	int n;

	if (ballot_size > 0 ? sealed_len != BALLOT_SEALED_LEN(ballot_size)
			    : sealed_len < BALLOT_ID_LEN + CRYPTO_SEAL_OVERHEAD)
		return -1;
	n = crypto_open(ctx, key, aad, ballot_aad(decision, slot, aad), sealed, sealed_len, out);
	if (n < 0)
		return -1;
	p->id = (const char *)out;
	p->payload = out + BALLOT_ID_LEN;
	p->len = (size_t)n - BALLOT_ID_LEN;
	if (ballot_size == 0)
		return 0;
	len = (uint32_t)out[BALLOT_ID_LEN] << 24 | (uint32_t)out[BALLOT_ID_LEN + 1] << 16 |
	      (uint32_t)out[BALLOT_ID_LEN + 2] << 8 | out[BALLOT_ID_LEN + 3];
	if (len > (uint32_t)ballot_size ||
	    !all_zero(out + BALLOT_HEAD_LEN + len, (size_t)ballot_size - len))
		return -1;
	p->payload = out + BALLOT_HEAD_LEN;
	p->len = len;
	return 0;
}
