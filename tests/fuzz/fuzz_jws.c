/* fuzz_jws — signatures the server makes and checks: the result document's compact JWS
 * (api-server/conclude/document.c) and an auditor's signature on a voting method (h_methods.c has no
 * function of its own for it: submission_init() base64-decodes the signature with b64_decode
 * into exactly 64 bytes, auditor_cb() checks it with crypto_ed25519_verify over the exact
 * code bytes; both steps are run here as the handler runs them).
 *
 * Input: a mode byte, then for an even one a kid, a NUL and the payload (without a NUL the
 * kid is an authority id like the server's and all the rest is payload). The JWS must have
 * three dot-separated base64url parts; the header must be DESIGN §7's JSON naming that kid;
 * the payload part must decode to the payload exactly; the signature must verify with
 * EVP_DigestVerify over "header.payload" and fail once one byte of that changes.
 * document_jws_new may refuse (-1) a kid only if it is not printable ASCII without '"' and
 * '\', or is longer than a UUID.
 * For an odd mode byte: a count of edits (0-3), that many (position, byte) pairs, then the
 * code. The code is signed with the auditor's key and the base64 of the signature edited
 * (byte 0 deletes, another replaces or appends): the server's check must accept exactly the
 * unedited text — base64 being strict, a signature has one text.
 *
 * The Ed25519 key is generated once per process with EVP_PKEY_keygen. `--write-seeds DIR`
 * writes the seed corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "b64.h"
#include "conclude/document.h"
#include "core/crypto.h"
#include "fuzz.h"
#include "jsonv.h"

#define AUTHORITY_ID "6f1c2a5e-7b1d-4e0a-9c3f-2b8d4e6a1f00" /* openapi.yaml's example kid */
#define SIG_TEXT_LEN 88 /* standard base64 of CRYPTO_SIG_LEN bytes */

static EVP_PKEY *key;
static unsigned char pub[CRYPTO_PUB_LEN];

static bool
printable_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Decodes the base64url text p[0..n) into a new block (the caller frees) with room for a
 * NUL after the bytes; returns their count, or -1. */
static ssize_t
decode_url(const char *p, size_t n, unsigned char **out)
{
	*out = malloc(b64_decoded_max(n) + 1);
	FUZZ_CHECK(*out != NULL);
	return b64_decode(p, n, *out, b64_decoded_max(n), true);
}

static const char *
member(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The protected header of DESIGN §7, strict JSON, naming kid. */
static void
check_header(const char *p, size_t n, const char *kid)
{
	static const struct jsonv_limits lim = {1, 4096};
	struct json_object *o;
	unsigned char *h;
	ssize_t k = decode_url(p, n, &h);
	const char *v;

	FUZZ_CHECK(k > 0);
	FUZZ_CHECK(jsonv_check((const char *)h, (size_t)k, &lim, NULL, 0) == 0);
	h[k] = '\0';
	FUZZ_CHECK((o = json_tokener_parse((const char *)h)) != NULL);
	FUZZ_CHECK(json_object_object_length(o) == 4);
	FUZZ_CHECK((v = member(o, "alg")) != NULL && strcmp(v, "EdDSA") == 0);
	FUZZ_CHECK((v = member(o, "kid")) != NULL && strcmp(v, kid) == 0);
	FUZZ_CHECK((v = member(o, "typ")) != NULL && strcmp(v, "JOSE") == 0);
	FUZZ_CHECK((v = member(o, "cty")) != NULL && strcmp(v, "decision-result+json") == 0);
	json_object_put(o);
	free(h);
}

static bool
verifies(const unsigned char *sig, const char *msg, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	FUZZ_CHECK(md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1);
	ok = EVP_DigestVerify(md, sig, CRYPTO_SIG_LEN, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

static void
check_jws(const char *kid, const unsigned char *payload, size_t plen)
{
	size_t signing_len = 0, jws_len = 0, hlen;
	unsigned char *back, *sig;
	char *jws = NULL, *dot1, *dot2;

	if (document_jws_new(kid, (const char *)payload, plen, &jws, &signing_len) != 0) {
		FUZZ_CHECK(!printable_plain(kid) || strlen(kid) > strlen(AUTHORITY_ID));
		return;
	}
	FUZZ_CHECK(document_jws_sign(key, jws, signing_len, &jws_len) == 0);
	FUZZ_CHECK(strlen(jws) == jws_len);
	FUZZ_CHECK((dot1 = strchr(jws, '.')) != NULL && (dot2 = strchr(dot1 + 1, '.')) != NULL);
	FUZZ_CHECK(strchr(dot2 + 1, '.') == NULL && (size_t)(dot2 - jws) == signing_len);
	hlen = (size_t)(dot1 - jws);
	check_header(jws, hlen, kid);
	FUZZ_CHECK(decode_url(dot1 + 1, (size_t)(dot2 - dot1 - 1), &back) == (ssize_t)plen);
	FUZZ_CHECK(plen == 0 || memcmp(back, payload, plen) == 0);
	free(back);
	FUZZ_CHECK(decode_url(dot2 + 1, jws_len - signing_len - 1, &sig) == CRYPTO_SIG_LEN);
	FUZZ_CHECK(verifies(sig, jws, signing_len));
	jws[signing_len - 1] ^= 1;
	FUZZ_CHECK(!verifies(sig, jws, signing_len));
	free(sig);
	free(jws);
}

static void
jws_mode(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	unsigned char *payload;
	char *kid;
	size_t at = nul != NULL ? (size_t)(nul - data) + 1 : 0;

	kid = nul != NULL ? fuzz_strdup(data, at - 1)
	                  : fuzz_strdup(AUTHORITY_ID, strlen(AUTHORITY_ID));
	payload = fuzz_dup(data + at, size - at);
	check_jws(kid, payload, size - at);
	free(payload);
	free(kid);
}

/* Applies the edit (pos, c) to text[0..*len) (room for cap bytes with the NUL). */
static void
edit(char *text, size_t *len, size_t cap, uint8_t pos, uint8_t c)
{
	size_t i;

	if (c == 0) {
		if (*len > 0) {
			i = pos % *len;
			memmove(text + i, text + i + 1, *len - i);
			(*len)--;
		}
		return;
	}
	i = pos % (*len + 1);
	if (i == *len && *len + 1 < cap)
		text[(*len)++] = (char)c;
	else if (i < *len)
		text[i] = (char)c;
	text[*len] = '\0';
}

/* auditor_cb() after submission_init(): the signature as the handler reads it. */
static bool
server_accepts(const char *text, const unsigned char *code, size_t len)
{
	unsigned char sig[CRYPTO_SIG_LEN];

	if (b64_decode(text, strlen(text), sig, sizeof(sig), false) != CRYPTO_SIG_LEN)
		return false;
	return crypto_ed25519_verify(pub, code, len, sig);
}

static void
auditor_mode(const uint8_t *data, size_t size)
{
	char text[SIG_TEXT_LEN + 8], orig[SIG_TEXT_LEN + 1];
	unsigned char sig[CRYPTO_SIG_LEN], *code;
	size_t nedits, len, clen;

	if (size < 1 || size < 1 + 2 * (size_t)(data[0] % 4))
		return;
	nedits = data[0] % 4;
	clen = size - 1 - 2 * nedits;
	code = fuzz_dup(data + 1 + 2 * nedits, clen);
	FUZZ_CHECK(crypto_ed25519_sign(key, code, clen, sig) == 0);
	FUZZ_CHECK(b64_encode(sig, sizeof(sig), orig, false) == SIG_TEXT_LEN);
	memcpy(text, orig, sizeof(orig));
	len = SIG_TEXT_LEN;
	for (size_t i = 0; i < nedits; i++)
		edit(text, &len, sizeof(text), data[1 + 2 * i], data[2 + 2 * i]);
	FUZZ_CHECK(server_accepts(text, code, clen) == (strcmp(text, orig) == 0));
	free(code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		jws_mode(data + 1, size - 1);
	else
		auditor_mode(data + 1, size - 1);
	return 0;
}

/* ---- seeds ---- */

static void
seed(const char *name, uint8_t mode, const char *kid, const void *p, size_t n)
{
	size_t klen = kid != NULL ? strlen(kid) + 1 : 0;
	unsigned char *s = malloc(1 + klen + n);

	FUZZ_CHECK(s != NULL);
	s[0] = mode;
	if (klen > 0)
		memcpy(s + 1, kid, klen);
	memcpy(s + 1 + klen, p, n);
	fuzz_seed(name, s, 1 + klen + n);
	free(s);
}

static const char payload[] =
    "{\"version\":1,\"decision\":{\"id\":\"9d2c4b1e-5f3a-4c8d-8e7f-1a2b3c4d5e6f\","
    "\"title\":\"Opening hours\"},\"outcome\":{\"status\":\"ok\",\"result\":\"e30=\"}}";

#define CODE                                                                                       \
	"def count(proposals, ballots, participants, proposer_franchise, voter_franchise):\n"      \
	"    return b'{}'\n"

/* An auditor seed: the edit count, the (position, byte) edits, the code; in octal escapes,
 * which end after three digits. */
#define AUDITOR(name, lit) seed(name, 1, NULL, lit, sizeof(lit) - 1)

static void
write_seeds(void)
{
	seed("jws-document", 0, AUTHORITY_ID, payload, sizeof(payload) - 1);
	seed("jws-default-kid", 0, NULL, payload, sizeof(payload) - 1);
	/* base64url's three tails: payloads of 1, 2 and 3 bytes, and none */
	seed("jws-payload-1", 0, AUTHORITY_ID, "{", 1);
	seed("jws-payload-2", 0, AUTHORITY_ID, "{}", 2);
	seed("jws-payload-3", 0, AUTHORITY_ID, "[1]", 3);
	seed("jws-payload-empty", 0, AUTHORITY_ID, "", 0);
	seed("jws-payload-binary", 0, AUTHORITY_ID, "\xff\x00\xfe\x80", 4);
	seed("jws-kid-empty", 0, "", payload, sizeof(payload) - 1);
	/* kids no authority has: too long for the header, and needing escapes */
	seed("jws-kid-long", 0, AUTHORITY_ID AUTHORITY_ID AUTHORITY_ID, "{}", 2);
	seed("jws-kid-quote", 0, "a\"b\\c", "{}", 2);
	/* auditor signatures: as made; the padding replaced; the last data symbol replaced
	 * (the same byte with stray low bits, or another byte); a symbol deleted; padding
	 * appended; two edits */
	AUDITOR("auditor-intact", "\000" CODE);
	AUDITOR("auditor-intact-empty", "\000");
	AUDITOR("auditor-bad-padding", "\001\127A" CODE);
	AUDITOR("auditor-stray-bits", "\001\125B" CODE);
	AUDITOR("auditor-deleted", "\001\020\000" CODE);
	AUDITOR("auditor-appended", "\001\130=" CODE);
	AUDITOR("auditor-two-edits", "\002\000A\001B" CODE);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY_CTX *ctx;
	size_t n = sizeof(pub);

	fuzz_seeds_mode(*argc, *argv, write_seeds);
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	FUZZ_CHECK(ctx != NULL && EVP_PKEY_keygen_init(ctx) == 1 &&
	           EVP_PKEY_keygen(ctx, &key) == 1);
	FUZZ_CHECK(EVP_PKEY_get_raw_public_key(key, pub, &n) == 1 && n == sizeof(pub));
	EVP_PKEY_CTX_free(ctx);
	return 0;
}
