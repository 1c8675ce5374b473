/* A decision's result as FreeCoop reads it (coop/result.h): what counts as an action (the
 * payloads scripts/verify-log reads as actions, and no others: a member named twice, a
 * number with a fraction or beyond 2^53, anything but exactly one UTF-8 JSON value), and
 * the JWS check — a document signed here with RFC 8032's test key is read back with its
 * adopted proposals in proposal-id order; every forgery (another key, a key that is no
 * decision authority, a changed payload, another decision or service, a bad header) is
 * refused; a failed count adopts nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "b64.h"
#include "coop/result.h"

/* RFC 8032 §7.1, TEST 1. */
static const unsigned char test_sk[32] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};
#define TEST_PK "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" /* its public key, base64url */
/* TEST 2's public key: another authority's. */
#define OTHER_PK "PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw"

#define DECISION "6f1c2a5e-7b1d-4e0a-9c3f-2b8d4e6a1f00"
#define SERVICE "4c1d9e2f-8a3b-4c5d-9e6f-7a8b9c0d1e2f"
#define HEADER "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"JOSE\",\"cty\":\"decision-result+json\"}"

static bool
is_action(const char *payload)
{
	struct json_object *v = result_action((const unsigned char *)payload, strlen(payload));
	bool ok = v != NULL;

	json_object_put(v);
	return ok;
}

static void
test_actions(void **state)
{
	(void)state;
	assert_true(is_action("{\"person\":\"p\"}"));
	assert_true(is_action(" {\"a\": [1, -2, true, null, {\"b\": \"c:d\"}]}\n"));
	assert_true(is_action("{\"a\":\"quote \\\" then : colon\",\"b\":\"\\\\\"}"));
	assert_true(is_action("{\"text\":\"\xc3\xa9t\xc3\xa9\"}"));
	assert_true(is_action("9007199254740991"));
	assert_false(is_action("{\"a\":1,\"a\":2}"));            /* a member named twice */
	assert_false(is_action("{\"x\":{\"a\":1,\"a\":1}}"));      /* ... however deep */
	assert_false(is_action("{\"text\":1.5}"));                /* a fraction */
	assert_false(is_action("1e2"));                           /* an exponent */
	assert_false(is_action("1.0"));
	assert_false(is_action("9007199254740992"));              /* beyond 2^53 - 1 */
	assert_false(is_action("NaN"));
	assert_false(is_action("{\"a\":1} {\"b\":2}"));           /* two values */
	assert_false(is_action("{'a':1}"));                       /* not JSON */
	assert_false(is_action("{\"a\":\"\xff\"}"));              /* not UTF-8 */
	assert_false(is_action("{\"a\":\"\xed\xa0\x80\"}"));      /* a surrogate */
	assert_false(is_action(""));
	assert_false(is_action("not json at all"));
	assert_false(is_action("{\"a\":\"\\u0000\"}")); /* U+0000 */
	assert_false(is_action("{\"a\":\"\\ud800\"}")); /* a lone surrogate */
	/* Nesting: an entry holds an action three levels down, entries nest at most 64. */
	{
		char deep[2 * 62 + 1];
		for (int n = 60; n <= 62; n++) {
			memset(deep, '[', (size_t)n);
			memset(deep + n, ']', (size_t)n);
			deep[2 * n] = '\0';
			assert_int_equal(is_action(deep), n <= RESULT_ACTION_DEPTH_MAX);
		}
		assert_int_equal(RESULT_ACTION_DEPTH_MAX, 61);
	}
}

static char *
b64url(const char *s)
{
	char *out = malloc(b64_encoded_len(strlen(s), true) + 1);

	b64_encode((const unsigned char *)s, strlen(s), out, true);
	return out;
}

static char *
b64std(const char *s)
{
	char *out = malloc(b64_encoded_len(strlen(s), false) + 1);

	b64_encode((const unsigned char *)s, strlen(s), out, false);
	return out;
}

/* A compact JWS of payload under header, signed with RFC 8032's test key. */
static char *
jws(const char *header, const char *payload)
{
	char *h = b64url(header), *p = b64url(payload), *out;
	unsigned char sig[64];
	char sig64[90];
	size_t siglen = sizeof(sig), n;
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, test_sk, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	n = strlen(h) + 1 + strlen(p);
	out = malloc(n + 1 + sizeof(sig64));
	snprintf(out, n + 1, "%s.%s", h, p);
	assert_int_equal(EVP_DigestSignInit(md, NULL, NULL, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)out, n), 1);
	b64_encode(sig, siglen, sig64, true);
	strcat(out, ".");
	strcat(out, sig64);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	free(h);
	free(p);
	return out;
}

/* A result document: three proposals (p2's payload is no JSON), and outcome. */
static char *
document(const char *decision, const char *service, const char *outcome)
{
	char *a = b64std("{\"person\":\"a\"}"), *b = b64std("hello"), *c = b64std("{\"person\":\"c\"}");
	char *doc = malloc(4096);

	snprintf(doc, 4096,
		 "{\"version\":1,\"decision\":{\"id\":\"%s\",\"title\":\"t\",\"service\":\"%s\"},"
		 "\"method\":{\"id\":\"m\",\"name\":\"yes_no\",\"auditors\":[]},"
		 "\"inputs\":{\"proposals\":[{\"id\":\"p1\",\"proposer\":\"\",\"payload\":\"%s\"},"
		 "{\"id\":\"p2\",\"proposer\":\"x\",\"payload\":\"%s\"},"
		 "{\"id\":\"p3\",\"proposer\":\"\",\"payload\":\"%s\"}],\"ballots\":[]},"
		 "\"outcome\":%s,\"counted_at\":\"2026-12-07T00:00:00.000000Z\"}",
		 decision, service, a, b, c, outcome);
	free(a);
	free(b);
	free(c);
	return doc;
}

static char *
outcome_ok(const char *result)
{
	char *r = b64std(result), *out = malloc(strlen(r) + 64);

	sprintf(out, "{\"status\":\"ok\",\"result\":\"%s\"}", r);
	free(r);
	return out;
}

static const struct core_authority keys[] = {
    {.id = "k0", .public_key = OTHER_PK, .decision_authority = true},
    {.id = "k1", .public_key = TEST_PK, .decision_authority = true},
    {.id = "k2", .public_key = TEST_PK, .code_auditor = true},
};

static int
read_it(const char *text, size_t nkeys, struct result *r, char *why)
{
	return result_read((const unsigned char *)text, strlen(text), keys, nkeys, DECISION,
			   SERVICE, r, why);
}

static void
test_read(void **state)
{
	char *o = outcome_ok("{\"adopted\":[\"p3\",\"p2\",\"nope\"],\"x\":1}");
	char *doc = document(DECISION, SERVICE, o), *t = jws(HEADER, doc);
	struct result r;
	char why[RESULT_WHY_MAX];
	unsigned char h[32];
	char hex[65];
	unsigned int hl = 0;

	(void)state;
	assert_int_equal(read_it(t, 3, &r, why), 0);
	assert_true(r.ok);
	/* in proposal-id order whatever the order of "adopted"; p2 stands for itself */
	assert_string_equal(json_object_to_json_string_ext(r.adopted, JSON_C_TO_STRING_PLAIN),
			    "[{\"id\":\"p2\",\"action\":\"aGVsbG8=\"},"
			    "{\"id\":\"p3\",\"action\":{\"person\":\"c\"}}]");
	EVP_Digest(t, strlen(t), h, &hl, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < hl; i++)
		sprintf(hex + 2 * i, "%02x", h[i]);
	assert_string_equal(r.sha256, hex);
	result_free(&r);

	/* Without the signing authority among the keys, or with it only as an auditor. */
	assert_int_equal(result_read((const unsigned char *)t, strlen(t), keys, 1, DECISION,
				     SERVICE, &r, why), -1);
	assert_non_null(strstr(why, "not a decision authority"));
	{
		char *t2 = jws("{\"alg\":\"EdDSA\",\"kid\":\"k2\",\"typ\":\"JOSE\","
			       "\"cty\":\"decision-result+json\"}", doc);
		assert_int_equal(read_it(t2, 3, &r, why), -1);
		free(t2);
	}
	/* Signed by another key than kid's: k0 claims it. */
	{
		char *t2 = jws("{\"alg\":\"EdDSA\",\"kid\":\"k0\",\"typ\":\"JOSE\","
			       "\"cty\":\"decision-result+json\"}", doc);
		assert_int_equal(read_it(t2, 3, &r, why), -1);
		assert_non_null(strstr(why, "signature"));
		free(t2);
	}
	/* A payload changed after signing: one character of the middle part. */
	{
		char *t2 = strdup(t), *dot = strchr(t2, '.');
		dot[5] = dot[5] == 'A' ? 'B' : 'A';
		assert_int_equal(read_it(t2, 3, &r, why), -1);
		free(t2);
	}
	/* Not a compact JWS; a header other than §7's. */
	assert_int_equal(read_it("a.b", 3, &r, why), -1);
	{
		char *t2 = jws("{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"JOSE\"}", doc);
		assert_int_equal(read_it(t2, 3, &r, why), -1);
		free(t2);
	}
	/* Another decision's result, or another service's. */
	{
		char *d2 = document("00000000-0000-4000-8000-000000000000", SERVICE, o);
		char *t2 = jws(HEADER, d2);
		assert_int_equal(read_it(t2, 3, &r, why), -1);
		assert_non_null(strstr(why, DECISION));
		free(t2);
		free(d2);
		d2 = document(DECISION, "00000000-0000-4000-8000-000000000000", o);
		t2 = jws(HEADER, d2);
		assert_int_equal(read_it(t2, 3, &r, why), -1);
		free(t2);
		free(d2);
	}
	free(t);
	free(doc);
	free(o);
}

static void
test_nothing_adopted(void **state)
{
	const char *outcomes[] = {
	    "{\"status\":\"error\",\"error\":\"exception\",\"message\":\"no\"}",
	    NULL, /* ok, but not {"adopted": [...]} */
	};
	struct result r;
	char why[RESULT_WHY_MAX];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *o = outcomes[i] != NULL ? strdup(outcomes[i]) : outcome_ok("[\"p1\"]");
		char *doc = document(DECISION, SERVICE, o), *t = jws(HEADER, doc);
		assert_int_equal(read_it(t, 3, &r, why), 0);
		assert_int_equal(r.ok, i == 1);
		assert_int_equal(json_object_array_length(r.adopted), 0);
		result_free(&r);
		free(t);
		free(doc);
		free(o);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_read),
	    cmocka_unit_test(test_nothing_adopted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
