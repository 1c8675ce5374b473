/* keys — loading and wiping the server's key material. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "keys.h"
#include "log.h"

static int
load_authority(struct keys *k, const char *path, char *err, size_t errlen)
{
	size_t len = KEYS_ED25519_LEN;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "could not open authority key \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	k->authority = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k->authority == NULL || EVP_PKEY_get_base_id(k->authority) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "authority key \"%s\" is not a PEM Ed25519 private key",
			 path);
		return -1;
	}
	if (EVP_PKEY_get_raw_public_key(k->authority, k->authority_pub, &len) != 1 ||
	    len != KEYS_ED25519_LEN) {
		snprintf(err, errlen, "could not derive the public key of \"%s\"", path);
		return -1;
	}
	return 0;
}

static int
load_master(struct keys *k, const char *path, char *err, size_t errlen)
{
	unsigned char extra;
	struct stat st;
	FILE *f;
	int r = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "could not open master key \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	if (fread(k->master, 1, KEYS_MASTER_LEN, f) != KEYS_MASTER_LEN ||
	    fread(&extra, 1, 1, f) != 0) {
		snprintf(err, errlen, "master key \"%s\" must hold exactly %d bytes", path,
			 KEYS_MASTER_LEN);
		goto out;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("master key \"%s\" is readable by group or others; chmod 600 it", path);
	r = 0;
out:
	fclose(f);
	return r;
}

int
keys_load(struct keys *k, const char *authority_file, const char *master_file, char *err,
	  size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (load_authority(k, authority_file, err, errlen) != 0 ||
	    load_master(k, master_file, err, errlen) != 0) {
		keys_cleanup(k);
		return -1;
	}
	return 0;
}

void
keys_cleanup(struct keys *k)
{
	EVP_PKEY_free(k->authority);
	k->authority = NULL;
	OPENSSL_cleanse(k->master, sizeof(k->master));
}
