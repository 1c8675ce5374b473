/* keys — the decision authority's Ed25519 private key and the ballot master key, from files. */
#ifndef FREECOOP_KEYS_H
#define FREECOOP_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

#define KEYS_MASTER_LEN 32
#define KEYS_ED25519_LEN 32

struct keys {
	EVP_PKEY *authority;                          /* owned */
	unsigned char authority_pub[KEYS_ED25519_LEN]; /* its raw public key */
	unsigned char master[KEYS_MASTER_LEN];         /* wraps per-decision data keys */
};

/* Loads the PEM Ed25519 private key at authority_file and the 32 raw bytes at master_file.
 * Returns 0, or -1 with a message in err (never any key material). */
int keys_load(struct keys *k, const char *authority_file, const char *master_file, char *err,
	      size_t errlen);

/* Frees the private key and wipes the master key. */
void keys_cleanup(struct keys *k);

#endif
