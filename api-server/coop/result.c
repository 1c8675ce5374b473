/* result — a decision's result as FreeCoop reads it (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "glog.h"
#include "result.h"
#include "jsonv.h"
#include "util.h"

#define ED25519_KEY 32
#define ED25519_SIG 64

/* Exactly one JSON value in text[0..len), whitespace around it allowed; NULL otherwise. */
static struct json_object *
parse_one(const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *v;
	size_t end;

	if (len > (size_t)INT32_MAX || (tok = json_tokener_new_ex(GLOG_DEPTH_MAX + 1)) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (v == NULL && json_tokener_get_error(tok) == json_tokener_continue && end == len)
		v = json_tokener_parse_ex(tok, "", 1); /* the end: a number may stop here */
	else if (json_tokener_get_error(tok) != json_tokener_success)
		end = 0;
	json_tokener_free(tok);
	if (v == NULL)
		return NULL;
	while (end < len && strchr(" \t\r\n", text[end]) != NULL && text[end] != '\0')
		end++;
	if (end != len) {
		json_object_put(v);
		return NULL;
	}
	return v;
}

struct json_object *
result_action(const unsigned char *payload, size_t len)
{
	const struct jsonv_limits lim = {RESULT_ACTION_DEPTH_MAX, len};
	struct json_object *v;
	char *canon = NULL;
	size_t clen;

	if (jsonv_check((const char *)payload, len, &lim, NULL, 0) != 0 ||
	    (v = parse_one((const char *)payload, len)) == NULL)
		return NULL;
	if (glog_canonical(v, &canon, &clen) != 0) {
		json_object_put(v);
		return NULL;
	}
	free(canon);
	return v;
}

/* base64url text[0..n) decoded into a new buffer (*out, *outlen), NUL-terminated. */
static int
b64url(const char *text, size_t n, unsigned char **out, size_t *outlen)
{
	ssize_t k;

	if ((*out = malloc(b64_decoded_max(n) + 1)) == NULL)
		return -1;
	if ((k = b64_decode(text, n, *out, b64_decoded_max(n), true)) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	(*out)[k] = '\0';
	*outlen = (size_t)k;
	return 0;
}

static const char *
str(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Whether header is exactly {"alg": "EdDSA", "kid", "typ": "JOSE", "cty":
 * "decision-result+json"}; its kid. */
static const char *
header_kid(struct json_object *header)
{
	const char *alg = str(header, "alg"), *typ = str(header, "typ"), *cty = str(header, "cty");

	if (json_object_object_length(header) != 4 || alg == NULL || strcmp(alg, "EdDSA") != 0 ||
	    typ == NULL || strcmp(typ, "JOSE") != 0 || cty == NULL ||
	    strcmp(cty, "decision-result+json") != 0)
		return NULL;
	return str(header, "kid");
}

static bool
signature_holds(const char *public_key, const unsigned char *sig, size_t siglen,
		const char *signed_part, size_t n)
{
	unsigned char pub[ED25519_KEY + 2];
	EVP_PKEY *key;
	EVP_MD_CTX *md;
	bool ok = false;

	if (siglen != ED25519_SIG ||
	    b64_decode(public_key, strlen(public_key), pub, sizeof(pub), true) != ED25519_KEY)
		return false;
	if ((key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_KEY)) == NULL)
		return false;
	if ((md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1)
		ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)signed_part, n) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok;
}

/* The adopted proposals of a verified document, in its (proposal-id) order. */
static int
adopted_of(struct json_object *doc, struct json_object *out)
{
	struct json_object *outcome = json_object_object_get(doc, "outcome"), *set, *r, *list;
	struct json_object *proposals;
	const char *b64 = str(outcome, "result");
	unsigned char *bytes;
	ssize_t n;

	if (b64 == NULL)
		return 0;
	if ((bytes = malloc(b64_decoded_max(strlen(b64)) + 1)) == NULL)
		return -1;
	n = b64_decode(b64, strlen(b64), bytes, b64_decoded_max(strlen(b64)), false);
	r = n >= 0 ? result_action(bytes, (size_t)n) : NULL;
	free(bytes);
	list = json_object_object_get(r, "adopted");
	if (!json_object_is_type(list, json_type_array)) {
		json_object_put(r);
		return 0; /* not {"adopted": [...]}: nothing adopted */
	}
	set = json_object_new_object();
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *id = json_object_array_get_idx(list, i);
		if (json_object_is_type(id, json_type_string))
			json_object_object_add(set, json_object_get_string(id), NULL);
	}
	proposals = json_object_object_get(json_object_object_get(doc, "inputs"), "proposals");
	for (size_t i = 0; json_object_is_type(proposals, json_type_array) &&
			   i < json_object_array_length(proposals); i++) {
		struct json_object *p = json_object_array_get_idx(proposals, i), *item, *action;
		const char *id = str(p, "id"), *payload = str(p, "payload");
		unsigned char *raw;
		if (id == NULL || payload == NULL || !json_object_object_get_ex(set, id, NULL))
			continue;
		if ((raw = malloc(b64_decoded_max(strlen(payload)) + 1)) == NULL)
			break;
		n = b64_decode(payload, strlen(payload), raw, b64_decoded_max(strlen(payload)),
			       false);
		action = n >= 0 ? result_action(raw, (size_t)n) : NULL;
		free(raw);
		if (action == NULL)
			action = json_object_new_string(payload);
		item = json_object_new_object();
		json_object_object_add(item, "id", json_object_new_string(id));
		json_object_object_add(item, "action", action);
		json_object_array_add(out, item);
	}
	json_object_put(set);
	json_object_put(r);
	return 0;
}

int
result_read(const unsigned char *jws, size_t len, const struct core_authority *keys,
	    size_t nkeys, const char *decision, const char *service, struct result *out,
	    char why[RESULT_WHY_MAX])
{
	const char *text = (const char *)jws, *dot1, *dot2, *kid, *status;
	unsigned char *part = NULL, *sig = NULL, h[UTIL_SHA256_LEN];
	size_t partlen, siglen;
	struct json_object *header = NULL, *d;
	const struct core_authority *key = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	util_sha256(jws, len, h);
	util_hex(h, sizeof(h), out->sha256);
	dot1 = memchr(text, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - text)) != NULL) {
		snprintf(why, RESULT_WHY_MAX, "the result is not a compact JWS");
		return -1;
	}
	if (b64url(text, (size_t)(dot1 - text), &part, &partlen) != 0 ||
	    (header = parse_one((const char *)part, partlen)) == NULL ||
	    (kid = header_kid(header)) == NULL) {
		snprintf(why, RESULT_WHY_MAX, "the result's JWS header is not DESIGN §7's");
		goto out;
	}
	for (size_t i = 0; i < nkeys && key == NULL; i++)
		if (keys[i].decision_authority && strcmp(keys[i].id, kid) == 0)
			key = &keys[i];
	if (key == NULL) {
		snprintf(why, RESULT_WHY_MAX, "the result is signed by %.64s, not a decision "
			 "authority of the core", kid);
		goto out;
	}
	if (b64url(dot2 + 1, len - (size_t)(dot2 + 1 - text), &sig, &siglen) != 0 ||
	    !signature_holds(key->public_key, sig, siglen, text, (size_t)(dot2 - text))) {
		snprintf(why, RESULT_WHY_MAX, "the result's signature does not verify");
		goto out;
	}
	free(part);
	part = NULL;
	if (b64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), &part, &partlen) != 0 ||
	    (out->doc = parse_one((const char *)part, partlen)) == NULL) {
		snprintf(why, RESULT_WHY_MAX, "the result's payload is not JSON");
		goto out;
	}
	d = json_object_object_get(out->doc, "decision");
	status = str(json_object_object_get(out->doc, "outcome"), "status");
	if (json_object_get_int(json_object_object_get(out->doc, "version")) != 1 ||
	    str(d, "id") == NULL || strcmp(str(d, "id"), decision) != 0 ||
	    str(d, "service") == NULL || strcmp(str(d, "service"), service) != 0 ||
	    status == NULL) {
		snprintf(why, RESULT_WHY_MAX, "the result is not of decision %s by FreeCoop's "
			 "service", decision);
		goto out;
	}
	out->ok = strcmp(status, "ok") == 0;
	if ((out->adopted = json_object_new_array()) == NULL ||
	    (out->ok && adopted_of(out->doc, out->adopted) != 0)) {
		snprintf(why, RESULT_WHY_MAX, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(part);
	free(sig);
	json_object_put(header);
	if (rc != 0)
		result_free(out);
	return rc;
}

void
result_free(struct result *r)
{
	json_object_put(r->doc);
	json_object_put(r->adopted);
	r->doc = r->adopted = NULL;
}
