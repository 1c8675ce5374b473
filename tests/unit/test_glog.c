/* The group log's entries (DESIGN §10.6): their RFC 8785 canonical JSON against vectors
 * computed apart from this code (Debian's python3: json.dumps with sort_keys, compact
 * separators and ensure_ascii=False, which is JCS for these types but for member order,
 * written by hand where UTF-16 order differs from Python's code point order), the RFC's own
 * examples, what the canonical form refuses, and the seal: a fixed key's seal equal to one
 * made by python3-cryptography, checked again with OpenSSL directly over a hand-written
 * canonical text; every tampering found, with its reason; the chain's first link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "coop/glog.h"

/* RFC 8032 §7.1, TEST 1: a fixed key, so that the seal is one known text. */
static const unsigned char test_sk[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
static const unsigned char test_pk[32] = {
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
};

#define KID "test-kid"

static struct json_object *
parse(const char *text)
{
	struct json_object *v = json_tokener_parse(text);

	assert_non_null(v);
	return v;
}

/* Asserts that the canonical JSON of v is exactly want; puts v. */
static void
canon_is(struct json_object *v, const char *want)
{
	char *out = NULL;
	size_t len = 0;

	assert_int_equal(glog_canonical(v, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	assert_int_equal(out[len], '\0');
	free(out);
	json_object_put(v);
}

/* Asserts that the canonical form refuses v; puts v. */
static void
refused(struct json_object *v)
{
	char *out = (char *)"unset";
	size_t len = 7;

	assert_int_equal(glog_canonical(v, &out, &len), -1);
	assert_null(out);
	json_object_put(v);
}

static void
test_strings(void **state)
{
	/* After every control character: '"', '\', '/' (not escaped, unlike json-c's
	 * printer), DEL, é, €, U+2028, U+2029 (raw, as JSON.stringify leaves them), U+1F600,
	 * U+FFFF. */
	static const char rest[] =
	    "\"\\/\x7f\xc3\xa9\xe2\x82\xac\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\xef\xbf\xbf";
	char in[0x20 + sizeof(rest)];
	size_t n = 0;

	(void)state;
	for (int c = 0; c < 0x20; c++)
		in[n++] = (char)c;
	memcpy(in + n, rest, sizeof(rest) - 1);
	n += sizeof(rest) - 1;
	canon_is(
	    json_object_new_string_len(in, (int)n),
	    "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
	    "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
	    "\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\\"\\\\/\x7f\xc3\xa9\xe2\x82\xac"
	    "\xe2\x80\xa8\xe2\x80\xa9\xf0\x9f\x98\x80\xef\xbf\xbf\"");

	/* RFC 8785 §3.2.2's sample without its "numbers" (doubles, which entries never hold):
	 * the literals and the string as the RFC's expected output shows them. */
	canon_is(
	    parse("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
	          " \"literals\": [null, true, false]}"),
	    "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\"
	    "\\\"/\"}");
	canon_is(json_object_new_string(""), "\"\"");
}

static void
test_structures(void **state)
{
	(void)state;
	canon_is(parse("{\"b\": [1, -1, 0, {\"z\": null, \"a\": true}, [], {}],"
	               " \"a\": {\"y\": false, \"x\": []}, \"\": \"empty\","
	               " \"A\": 9007199254740991, \"aa\": -9007199254740991}"),
	         "{\"\":\"empty\",\"A\":9007199254740991,\"a\":{\"x\":[],\"y\":false},"
	         "\"aa\":-9007199254740991,\"b\":[1,-1,0,{\"a\":true,\"z\":null},[],{}]}");
	canon_is(parse("[null, true, false, 0, \"\", \"x\"]"), "[null,true,false,0,\"\",\"x\"]");
	canon_is(json_object_new_object(), "{}");
	canon_is(json_object_new_array(), "[]");
	canon_is(NULL, "null");
	canon_is(json_object_new_int64(-42), "-42");
}

static void
test_numbers(void **state)
{
	struct json_object *o;

	(void)state;
	canon_is(json_object_new_int64(9007199254740991LL), "9007199254740991");
	canon_is(json_object_new_int64(-9007199254740991LL), "-9007199254740991");
	canon_is(json_object_new_uint64(9007199254740991ULL), "9007199254740991");
	refused(json_object_new_int64(9007199254740992LL)); /* 2^53 */
	refused(json_object_new_int64(-9007199254740992LL));
	refused(json_object_new_int64(INT64_MAX));
	refused(json_object_new_int64(INT64_MIN));
	refused(json_object_new_uint64(UINT64_MAX));
	refused(parse("1.5"));
	refused(parse("1.0")); /* a double, however integral: its spelling is not ours to pick */
	refused(parse("1e2"));
	refused(json_object_new_double(0.0));
	/* Deep inside, the whole is refused. */
	refused(parse("{\"a\": [1, {\"b\": [2, 3.25]}]}"));
	refused(parse("{\"a\": [1, {\"b\": [2, 9007199254740992]}]}"));
	/* RFC 8785 §3.2.2's sample whole: its numbers are doubles. */
	refused(parse("{\"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, "
	              "0.000000000000000000000000001], \"string\": \"x\", \"literals\": [null]}"));
	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_double(2.0));
	refused(o);
}

static void
test_sorting(void **state)
{
	(void)state;
	/* Within the basic plane, UTF-16 order is code point order (Python agrees). */
	canon_is(parse("{\"\\u00e9\": 1, \"e\": 2, \"E\": 3, \"\\u00c9\": 4, \"10\": 5, \"1\": 6,"
	               " \"\\u0001\": 7, \"\\u007f\": 8}"),
	         "{\"\\u0001\":7,\"1\":6,\"10\":5,\"E\":3,\"e\":2,\"\x7f\":8,\"\xc3\x89\":4,"
	         "\"\xc3\xa9\":1}");

	/* RFC 8785 §3.2.3's sample: names sort by UTF-16 code units, so U+1F600 (encoded
	 * D83D DE00) comes before U+FB33, though its code point is greater. The expected text is
	 * the RFC's. */
	canon_is(
	    parse("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\","
	          " \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\","
	          " \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\","
	          " \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}"),
	    "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
	    "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
	    "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	    "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");

	/* Written by hand (RFC 8785 §3.2.3: UTF-16 code units; Python's sort_keys, by code
	 * point, would put U+E000 and U+FFFF before U+10000): U+D7FF < every character above
	 * U+FFFF (high surrogates D800..DBFF), ordered among themselves by code point, a name
	 * before its extensions, < U+E000 < U+FFFF. */
	canon_is(parse("{\"\\ue000\": 6, \"\\ud800\\udc00\": 2, \"\\uffff\": 7, \"\\ud7ff\": 1,"
	               " \"a\": 0, \"\\udbff\\udfff\": 5, \"\\ud83d\\ude00x\": 4,"
	               " \"\\ud83d\\ude00\": 3}"),
	         "{\"a\":0,\"\xed\x9f\xbf\":1,\"\xf0\x90\x80\x80\":2,\"\xf0\x9f\x98\x80\":3,"
	         "\"\xf0\x9f\x98\x80x\":4,\"\xf4\x8f\xbf\xbf\":5,\"\xee\x80\x80\":6,"
	         "\"\xef\xbf\xbf\":7}");
}

static void
test_bad_utf8(void **state)
{
	static const char *const bad[] = {
	    "\xc3\x28",         /* a lead byte without its continuation */
	    "a\x80",            /* a stray continuation byte */
	    "\xc0\xaf",         /* overlong '/' */
	    "\xe0\x80\xaf",     /* overlong, three bytes */
	    "\xed\xa0\x80",     /* an encoded surrogate, U+D800 */
	    "\xf4\x90\x80\x80", /* above U+10FFFF */
	    "\xe2\x82",         /* cut short */
	    "\xff",
	};
	struct json_object *o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		refused(json_object_new_string(bad[i]));
		o = json_object_new_object();
		json_object_object_add(o, bad[i], json_object_new_int(1));
		refused(o);
		o = parse("{\"x\": [\"ok\"]}");
		json_object_array_add(json_object_object_get(o, "x"),
		                      json_object_new_string(bad[i]));
		refused(o);
	}
}

/* n arrays, one inside the other. */
static struct json_object *
nest(int n)
{
	struct json_object *v = json_object_new_array();

	while (--n > 0) {
		struct json_object *outer = json_object_new_array();

		json_object_array_add(outer, v);
		v = outer;
	}
	return v;
}

static void
test_limits(void **state)
{
	struct json_object *o;
	char *out;
	size_t len;

	(void)state;
	o = nest(GLOG_DEPTH_MAX);
	assert_int_equal(glog_canonical(o, &out, &len), 0);
	assert_int_equal(len, 2 * GLOG_DEPTH_MAX);
	free(out);
	json_object_put(o);
	refused(nest(GLOG_DEPTH_MAX + 1));

	/* json-c can be made to hold a name twice; I-JSON cannot. */
	o = json_object_new_object();
	json_object_object_add_ex(o, "a", json_object_new_int(1), JSON_C_OBJECT_ADD_KEY_IS_NEW);
	json_object_object_add_ex(o, "a", json_object_new_int(2), JSON_C_OBJECT_ADD_KEY_IS_NEW);
	refused(o);
}

/* ---- the seal ---- */

/* A decision entry whose members come in no sorted order. */
static struct json_object *
an_entry(void)
{
	return parse(
	    "{\"group\": \"6f1c2b7e-2d4a-4c1e-9a53-0b8f3e1d2c4a\", \"seq\": 2,"
	    " \"prev\": \"" GLOG_GENESIS_PREV "\", \"at\": \"2026-03-01T10:00:00.000000Z\","
	    " \"kind\": \"decision\", \"charter_version\": 1,"
	    " \"decision\": \"0b1d9f0e-7c55-4a8e-b1a2-c3d4e5f60718\","
	    " \"result\": \"abababababababababababababababababababababababababababababababab\","
	    " \"applied\": [{\"text\": \"Buy a kettle \\u2615, \\\"cheap\\\"\\n\"}],"
	    " \"refused\": [{\"action\": {\"person\": \"x\"}, \"reason\": \"not a member\"}]}");
}

/* an_entry's canonical text, written out by hand, and its seal by test_sk as
 * python3-cryptography made them (Ed25519 signatures are deterministic). */
static const char entry_text[] =
    "{\"applied\":[{\"text\":\"Buy a kettle \xe2\x98\x95, \\\"cheap\\\"\\n\"}],"
    "\"at\":\"2026-03-01T10:00:00.000000Z\",\"charter_version\":1,"
    "\"decision\":\"0b1d9f0e-7c55-4a8e-b1a2-c3d4e5f60718\","
    "\"group\":\"6f1c2b7e-2d4a-4c1e-9a53-0b8f3e1d2c4a\",\"kind\":\"decision\","
    "\"prev\":\"0000000000000000000000000000000000000000000000000000000000000000\","
    "\"refused\":[{\"action\":{\"person\":\"x\"},\"reason\":\"not a member\"}],"
    "\"result\":\"abababababababababababababababababababababababababababababababab\","
    "\"seq\":2}";
#define ENTRY_HASH "fd6481b216f6afca312b50608d4bc84bb7e9905734ce9624a2c8ce7683bf6b7d"
#define ENTRY_SIG                                                                                  \
	"jEpsfexhu8yt3ZzNkZy25mLWpOzpsygGmBz89gIvqkGEdFEbgVL3SYftTupOtEuTMxmtGy9t5gHeWdb955jQCA"
/* ENTRY_SIG decoded. */
static const unsigned char entry_sig[64] = {
    0x8c, 0x4a, 0x6c, 0x7d, 0xec, 0x61, 0xbb, 0xcc, 0xad, 0xdd, 0x9c, 0xcd, 0x91, 0x9c, 0xb6, 0xe6,
    0x62, 0xd6, 0xa4, 0xec, 0xe9, 0xb3, 0x28, 0x06, 0x98, 0x1c, 0xfc, 0xf6, 0x02, 0x2f, 0xaa, 0x41,
    0x84, 0x74, 0x51, 0x1b, 0x81, 0x52, 0xf7, 0x49, 0x87, 0xed, 0x4e, 0xea, 0x4e, 0xb4, 0x4b, 0x93,
    0x33, 0x19, 0xad, 0x1b, 0x2f, 0x6d, 0xe6, 0x01, 0xde, 0x59, 0xd6, 0xfd, 0xe7, 0x98, 0xd0, 0x08,
};

/* The lowercase hex SHA-256 of text[0..len), by OpenSSL alone. */
static void
sha256_hex(const char *text, size_t len, char hex[65])
{
	unsigned char md[32];

	assert_int_equal(EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL), 1);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static EVP_PKEY *
test_key(void)
{
	EVP_PKEY *k =
	    EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, test_sk, sizeof(test_sk));

	assert_non_null(k);
	return k;
}

static struct json_object *
sealed_entry(void)
{
	EVP_PKEY *k = test_key();
	struct json_object *e = an_entry();

	assert_int_equal(glog_entry_seal(e, k, KID), 0);
	EVP_PKEY_free(k);
	return e;
}

static const char *
member(struct json_object *o, const char *name)
{
	struct json_object *v;

	assert_true(json_object_object_get_ex(o, name, &v));
	return json_object_get_string(v);
}

static void
test_seal_vector(void **state)
{
	struct json_object *e = sealed_entry();
	char hex[65], why[GLOG_WHY_MAX];
	EVP_PKEY *pub;
	EVP_MD_CTX *ctx;

	(void)state;
	assert_string_equal(member(e, "hash"), ENTRY_HASH);
	assert_string_equal(member(e, "kid"), KID);
	assert_string_equal(member(e, "signature"), ENTRY_SIG);
	assert_int_equal(json_object_object_length(e), 13);

	/* The same, with OpenSSL alone over the hand-written text. */
	sha256_hex(entry_text, strlen(entry_text), hex);
	assert_string_equal(hex, ENTRY_HASH);
	pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, test_pk, sizeof(test_pk));
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pub), 1);
	assert_int_equal(EVP_DigestVerify(ctx, entry_sig, sizeof(entry_sig),
	                                  (const unsigned char *)entry_text, strlen(entry_text)),
	                 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pub);

	assert_int_equal(glog_entry_verify(e, test_pk, why, sizeof(why)), 0);
	json_object_put(e);
}

/* Asserts that glog_entry_verify refuses e (put) with key pub for a reason holding about. */
static void
fails_with(struct json_object *e, const unsigned char *pub, const char *about)
{
	char why[GLOG_WHY_MAX] = "";

	assert_int_equal(glog_entry_verify(e, pub, why, sizeof(why)), -1);
	if (strstr(why, about) == NULL)
		fail_msg("reason \"%s\" does not name \"%s\"", why, about);
	assert_int_equal(why[strlen(why) - 1], '.');
	json_object_put(e);
}

static void
fails(struct json_object *e, const char *about)
{
	fails_with(e, test_pk, about);
}

/* A sealed entry with member name set to the JSON text value (NULL: removed). */
static struct json_object *
tampered(const char *name, const char *value)
{
	struct json_object *e = sealed_entry();

	if (value == NULL)
		json_object_object_del(e, name);
	else
		json_object_object_add(e, name, json_tokener_parse(value)); /* "null": NULL */
	return e;
}

/* A copy of e with its members in the reverse order. */
static struct json_object *
reversed(struct json_object *e)
{
	struct json_object *r = json_object_new_object();
	const char *names[32];
	int n = 0;

	json_object_object_foreach(e, name, v)
	{
		(void)v;
		names[n++] = name;
	}
	while (n-- > 0)
		json_object_object_add(r, names[n],
		                       json_object_get(json_object_object_get(e, names[n])));
	return r;
}

static void
test_tampering(void **state)
{
	static const char *const members[][2] = {
	    {"group", "\"6f1c2b7e-2d4a-4c1e-9a53-0b8f3e1d2c4b\""},
	    {"seq", "3"},
	    {"prev", "\"" ENTRY_HASH "\""},
	    {"at", "\"2026-03-01T10:00:00.000001Z\""},
	    {"kind", "\"ledger\""},
	    {"charter_version", "2"},
	    {"applied", "[{\"text\": \"Buy a kettle \\u2615, \\\"cheap\\\"\"}]"},
	    {"refused", "[]"},
	    {"result", "\"abababababababababababababababababababababababababababababababac\""},
	    {"extra", "null"},
	};
	struct json_object *e, *r;
	char sig[GLOG_SIG_LEN + 4], hex[65], why[GLOG_WHY_MAX], *text;
	unsigned char other[32];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		fails(tampered(members[i][0], members[i][1]), "hash");
	fails(tampered("decision", NULL), "hash");
	fails(tampered("hash", "\"" GLOG_GENESIS_PREV "\""), "hash");
	fails(tampered("hash",
	               "\"FD6481B216F6AFCA312B50608D4BC84BB7E9905734CE9624A2C8CE7683BF6B7D\""),
	      "hash");
	fails(tampered("hash", NULL), "hash");
	fails(tampered("hash", "1"), "hash");
	fails(tampered("signature", NULL), "signature");
	fails(tampered("kid", NULL), "kid");
	fails(tampered("kid", "\"\""), "kid");

	/* The signature: one character changed, cut, padded, not base64url at all. */
	snprintf(sig, sizeof(sig), "\"%s", ENTRY_SIG);
	sig[11] = sig[11] == 'A' ? 'B' : 'A';
	fails(tampered("signature", strcat(sig, "\"")), "does not verify");
	fails(tampered("signature", "\"jEpsfexhu8yt3ZzNkZy25mLWpOzpsygGmBz89gIvqkGEdFEbgVL3SYftTupO"
	                            "tEuTMxmtGy9t5gHeWdb955jQ\""),
	      "base64url");
	fails(tampered("signature", "\"" ENTRY_SIG "==\""), "base64url");
	fails(tampered("signature", "\"" GLOG_GENESIS_PREV GLOG_GENESIS_PREV "\""), "base64url");

	/* A member changed and the hash recomputed to match: the signature still catches it. */
	e = tampered("seq", "3");
	json_object_object_del(e, "hash");
	json_object_object_del(e, "kid");
	json_object_object_del(e, "signature");
	assert_int_equal(glog_canonical(e, &text, &len), 0);
	sha256_hex(text, len, hex);
	free(text);
	json_object_object_add(e, "hash", json_object_new_string(hex));
	json_object_object_add(e, "kid", json_object_new_string(KID));
	json_object_object_add(e, "signature", json_object_new_string(ENTRY_SIG));
	fails(e, "does not verify");

	/* Another key's seal. */
	memcpy(other, test_pk, sizeof(other));
	other[0] ^= 1;
	fails_with(sealed_entry(), other, "does not verify");

	/* A double slipped in: no canonical form, no verification. */
	fails(tampered("seq", "2.0"), "canonical");

	/* Neither the members' order nor the kid is part of what is sealed: the kid only names
	 * the key the verifier must pick, and a verifier given another key fails above. */
	e = sealed_entry();
	r = reversed(e);
	assert_int_equal(glog_entry_verify(r, test_pk, why, sizeof(why)), 0);
	json_object_object_add(r, "kid", json_object_new_string("another-kid"));
	assert_int_equal(glog_entry_verify(r, test_pk, why, sizeof(why)), 0);
	json_object_put(r);
	json_object_put(e);

	fails(json_object_new_array(), "not an object");
	/* No room for the reason is fine. */
	e = tampered("seq", "3");
	assert_int_equal(glog_entry_verify(e, test_pk, NULL, 0), -1);
	json_object_put(e);
}

static void
test_seal_refusals(void **state)
{
	EVP_PKEY *k = test_key(), *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	struct json_object *e;

	(void)state;
	assert_non_null(x);
	e = sealed_entry(); /* sealed once only */
	assert_int_equal(glog_entry_seal(e, k, KID), -1);
	assert_string_equal(member(e, "signature"), ENTRY_SIG);
	json_object_put(e);

	e = an_entry();
	json_object_object_add(e, "kid", json_object_new_string(KID));
	assert_int_equal(glog_entry_seal(e, k, KID), -1);
	json_object_put(e);

	/* What cannot be sealed leaves the entry as it came. */
	e = an_entry();
	json_object_object_add(e, "seq", json_object_new_double(2.5));
	assert_int_equal(glog_entry_seal(e, k, KID), -1);
	assert_false(json_object_object_get_ex(e, "hash", NULL));
	json_object_put(e);

	e = an_entry();
	assert_int_equal(glog_entry_seal(e, x, KID), -1); /* not an Ed25519 key */
	assert_int_equal(glog_entry_seal(e, k, ""), -1);
	assert_int_equal(glog_entry_seal(e, k, NULL), -1);
	assert_int_equal(glog_entry_seal(e, NULL, KID), -1);
	assert_int_equal(json_object_object_length(e), 10);
	json_object_put(e);
	assert_int_equal(glog_entry_seal(NULL, k, KID), -1);

	EVP_PKEY_free(x);
	EVP_PKEY_free(k);
}

static void
test_chain(void **state)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct json_object *e1, *e2;
	unsigned char pub[32];
	size_t publen = sizeof(pub);
	char why[GLOG_WHY_MAX];

	(void)state;
	assert_non_null(k);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pub, &publen), 1);
	assert_int_equal(strlen(GLOG_GENESIS_PREV), 64);
	assert_int_equal(strspn(GLOG_GENESIS_PREV, "0"), 64);
	assert_string_equal(glog_prev_of(NULL), GLOG_GENESIS_PREV);

	e1 = parse("{\"group\": \"g\", \"seq\": 1, \"kind\": \"founded\", \"charter_version\": 1}");
	json_object_object_add(e1, "prev", json_object_new_string(glog_prev_of(NULL)));
	assert_null(glog_prev_of(e1)); /* not sealed yet */
	assert_int_equal(glog_entry_seal(e1, k, KID), 0);
	e2 = parse("{\"group\": \"g\", \"seq\": 2, \"kind\": \"ledger\", \"charter_version\": 1,"
	           " \"entry\": {\"memo\": \"rent\"}}");
	assert_non_null(glog_prev_of(e1));
	assert_string_equal(glog_prev_of(e1), member(e1, "hash"));
	json_object_object_add(e2, "prev", json_object_new_string(glog_prev_of(e1)));
	assert_int_equal(glog_entry_seal(e2, k, KID), 0);
	assert_int_equal(glog_entry_verify(e1, pub, why, sizeof(why)), 0);
	assert_int_equal(glog_entry_verify(e2, pub, why, sizeof(why)), 0);
	assert_string_not_equal(member(e1, "hash"), member(e2, "hash"));

	/* A hash of another shape is no link. */
	json_object_object_add(e1, "hash", json_object_new_string("ABC"));
	assert_null(glog_prev_of(e1));
	json_object_object_add(
	    e1, "hash",
	    json_object_new_string(
	        "FD6481B216F6AFCA312B50608D4BC84BB7E9905734CE9624A2C8CE7683BF6B7D"));
	assert_null(glog_prev_of(e1));
	json_object_put(e1);
	json_object_put(e2);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),       cmocka_unit_test(test_structures),
	    cmocka_unit_test(test_numbers),       cmocka_unit_test(test_sorting),
	    cmocka_unit_test(test_bad_utf8),      cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_seal_vector),   cmocka_unit_test(test_tampering),
	    cmocka_unit_test(test_seal_refusals), cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
