/* util — small helpers over OpenSSL and the clock. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"
#include "util.h"

int
util_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void
util_sha256(const void *data, size_t n, unsigned char out[UTIL_SHA256_LEN])
{
	unsigned int len = UTIL_SHA256_LEN;

	EVP_Digest(data, n, out, &len, EVP_sha256(), NULL);
}

void
util_hex(const unsigned char *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * n] = '\0';
}

int
util_uuid_v4(char out[UTIL_UUID_LEN + 1])
{
	unsigned char b[16];
	char hex[33];

	if (util_random(b, sizeof(b)) != 0)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	util_hex(b, sizeof(b), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
	return 0;
}

bool
util_uuid_parse(const char *s, char out[UTIL_UUID_LEN + 1])
{
	for (int i = 0; i < UTIL_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	if (s[UTIL_UUID_LEN] != '\0')
		return false;
	if (out != NULL) {
		for (int i = 0; i <= UTIL_UUID_LEN; i++)
			out[i] = (char)tolower((unsigned char)s[i]);
	}
	return true;
}

int
util_token_new(const char *prefix, char out[UTIL_TOKEN_LEN + 1])
{
	unsigned char secret[UTIL_TOKEN_BYTES];

	if (strlen(prefix) != 4 || util_random(secret, sizeof(secret)) != 0)
		return -1;
	memcpy(out, prefix, 4);
	b64_encode(secret, sizeof(secret), out + 4, true);
	OPENSSL_cleanse(secret, sizeof(secret));
	return 0;
}

bool
util_token_well_formed(const char *s)
{
	unsigned char secret[UTIL_TOKEN_BYTES + 3];

	if (strncmp(s, "svc_", 4) != 0 && strncmp(s, "aut_", 4) != 0 &&
	    strncmp(s, "acc_", 4) != 0)
		return false;
	if (strlen(s) != UTIL_TOKEN_LEN)
		return false;
	return b64_decode(s + 4, UTIL_TOKEN_LEN - 4, secret, sizeof(secret), true) ==
	       UTIL_TOKEN_BYTES;
}

uint64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
