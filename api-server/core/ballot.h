/* ballot — the sealed form of a secret ballot, as the database stores it (DESIGN §5).
 *
 * A ballot row is (slot, sealed). The slot is HMAC-SHA-256(slot key, account id): a recast
 * finds the earlier ballot, and nothing in the database links a voter to it. sealed is
 * nonce(12) || AES-256-GCM(ballot key, plaintext; aad = decision id || slot) || tag(16),
 * so a sealed ballot moved to another row or decision does not open. The plaintext is the
 * random ballot id (36 ASCII bytes), the payload's length (u32, big-endian), the payload,
 * then zero bytes up to the decision's ballot_size: every sealed ballot of a decision is
 * BALLOT_SEALED_LEN(ballot_size) bytes long, whatever it says.
 *
 * Decisions made before padding (ballot_size 0 here, NULL in the database) were sealed
 * as id || payload; ballot_open still reads those. */
#ifndef FREECOOP_BALLOT_H
#define FREECOOP_BALLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto.h"
#include "util.h"

#define BALLOT_ID_LEN UTIL_UUID_LEN
#define BALLOT_SLOT_LEN 32
#define BALLOT_HEAD_LEN (BALLOT_ID_LEN + 4) /* the id and the payload's length */
#define BALLOT_SEALED_LEN(ballot_size) \
	((size_t)(ballot_size) + BALLOT_HEAD_LEN + CRYPTO_SEAL_OVERHEAD)

/* An opened ballot: id and payload point into the caller's buffer. */
struct ballot_plain {
	const char *id; /* BALLOT_ID_LEN bytes, not NUL-terminated */
	const unsigned char *payload;
	size_t len;
};

/* The sealed length of a payload of len bytes in a decision of ballot_size (0: unpadded). */
size_t ballot_sealed_len(int ballot_size, size_t len);

/* Seals the ballot id (BALLOT_ID_LEN bytes) and payload[0..len) for the slot of a decision
 * (its text UUID) under key (the decision's ballot key), padded to ballot_size (0: not
 * padded), into out (ballot_sealed_len bytes). Returns 0, or -1 when len exceeds
 * ballot_size, memory ran out or the cipher failed. */
int ballot_seal(const unsigned char key[CRYPTO_KEY_LEN], const char *decision,
		const unsigned char slot[BALLOT_SLOT_LEN], const char *id,
		const unsigned char *payload, size_t len, int ballot_size, unsigned char *out);

/* Opens sealed[0..sealed_len) of the slot of a decision into out (sealed_len -
 * CRYPTO_SEAL_OVERHEAD bytes) and points p into it. ctx holds the ballot key
 * (crypto_ctx_key) when key is NULL, else key is used. Returns 0, or -1 when the ballot
 * was altered, belongs elsewhere, or is not of this decision's form (length, padding). */
int ballot_open(EVP_CIPHER_CTX *ctx, const unsigned char *key, const char *decision,
		const unsigned char slot[BALLOT_SLOT_LEN], const unsigned char *sealed,
		size_t sealed_len, int ballot_size, unsigned char *out, struct ballot_plain *p);

#endif
