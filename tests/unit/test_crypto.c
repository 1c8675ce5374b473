/* The server's own primitives against published vectors and each other: HMAC-SHA256
 * (RFC 4231; the slot of every ballot is one), SHA-256 (FIPS 180-2), AES-256-GCM sealing
 * with its additional data, and the UUID receipts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/crypto.h"
#include "util.h"

static void
assert_hex(const unsigned char *got, size_t n, const char *want)
{
	char hex[2 * 64 + 1];

	util_hex(got, n, hex);
	assert_string_equal(hex, want);
}

static void
test_hmac_rfc4231(void **state)
{
	unsigned char key[20], out[32], key2[131];

	/* Test case 1: 20 bytes of 0x0b, "Hi There". */
	memset(key, 0x0b, sizeof(key));
	crypto_hmac(key, sizeof(key), "Hi There", 8, out);
	assert_hex(out, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2: key "Jefe". */
	crypto_hmac("Jefe", 4, "what do ya want for nothing?", 28, out);
	assert_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a key longer than a block (taken by the general path). */
	memset(key2, 0xaa, sizeof(key2));
	crypto_hmac(key2, sizeof(key2), "Test Using Larger Than Block-Size Key - Hash Key First",
		    54, out);
	assert_hex(out, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* A prepared key gives the same MACs as the one-shot function (RFC 4231 case 2 too). */
static void
test_mac_prepared(void **state)
{
	struct crypto_mac *m = crypto_mac_new("Jefe", 4);
	unsigned char a[32], b[32], key[32];

	assert_non_null(m);
	assert_int_equal(crypto_mac_run(m, "what do ya want for nothing?", 28, a), 0);
	assert_hex(a, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	crypto_mac_free(m);
	memset(key, 0x5a, sizeof(key));
	m = crypto_mac_new(key, sizeof(key));
	for (int i = 0; i < 100; i++) { /* many MACs under one key, as a conclusion makes */
		char id[40];
		int n = snprintf(id, sizeof(id), "3f2c1a9e-7b4d-4e21-9c3a-%012d", i);
		assert_int_equal(crypto_mac_run(m, id, (size_t)n, a), 0);
		crypto_hmac(key, sizeof(key), id, (size_t)n, b);
		assert_memory_equal(a, b, 32);
	}
	crypto_mac_free(m);
	assert_null(crypto_mac_new(key, 65)); /* longer than a block: not prepared */
	crypto_mac_free(NULL);
}

static void
test_sha256(void **state)
{
	unsigned char out[32];

	util_sha256("abc", 3, out);
	assert_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_seal_open(void **state)
{
	unsigned char key[CRYPTO_KEY_LEN], sealed[5 + CRYPTO_SEAL_OVERHEAD], again[sizeof(sealed)];
	unsigned char out[5];

	memset(key, 7, sizeof(key));
	assert_int_equal(crypto_seal(NULL, key, "aad", 3, "hello", 5, sealed), 0);
	assert_int_equal(crypto_open(NULL, key, "aad", 3, sealed, sizeof(sealed), out), 5);
	assert_memory_equal(out, "hello", 5);
	/* A fresh nonce each time: the same plaintext seals differently. */
	assert_int_equal(crypto_seal(NULL, key, "aad", 3, "hello", 5, again), 0);
	assert_memory_not_equal(sealed, again, sizeof(sealed));
	/* Other additional data, or one changed byte, does not open. */
	assert_true(crypto_open(NULL, key, "aaD", 3, sealed, sizeof(sealed), out) < 0);
	sealed[CRYPTO_NONCE_LEN + 2] ^= 1;
	assert_true(crypto_open(NULL, key, "aad", 3, sealed, sizeof(sealed), out) < 0);
}

static void
test_uuid_shape(void **state)
{
	char a[UTIL_UUID_LEN + 1], b[UTIL_UUID_LEN + 1];
	unsigned char raw[16];

	assert_int_equal(util_uuid_v4(a), 0);
	assert_int_equal(util_uuid_v4(b), 0);
	assert_true(util_uuid_parse(a, NULL));
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_string_not_equal(a, b);
	memset(raw, 0xff, sizeof(raw));
	util_uuid_from(raw, a);
	assert_string_equal(a, "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

static void
test_uuid_bytes(void **state)
{
	unsigned char raw[16], back[16];
	char text[UTIL_UUID_LEN + 1];

	for (int i = 0; i < 16; i++)
		raw[i] = (unsigned char)(i * 17 + 3);
	util_uuid_from(raw, text); /* sets the version and variant bits in raw */
	assert_true(util_uuid_bytes(text, back));
	assert_memory_equal(raw, back, 16);
	assert_true(util_uuid_bytes("3F2C1A9E-7B4D-4E21-9C3A-1D2E3F4A5B6C", back));
	assert_int_equal(back[0], 0x3f);
	assert_int_equal(back[15], 0x6c);
	assert_false(util_uuid_bytes("3f2c1a9e-7b4d-4e21-9c3a-1d2e3f4a5b6", back));
	assert_false(util_uuid_bytes("3f2c1a9e7b4d-4e21-9c3a-1d2e3f4a5b6c0", back));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_mac_prepared),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_uuid_shape),
		cmocka_unit_test(test_uuid_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
