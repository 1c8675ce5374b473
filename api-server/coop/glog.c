/* glog — a group log entry's canonical JSON and seal (see the header).
 *
 * The canonical text is written by hand rather than by json-c's printer, whose escaping
 * (it escapes '/' and, in some versions, more) and member order (insertion) are not
 * RFC 8785's. The seal and its check share one function, entry_bytes, for the bytes that
 * are hashed and signed: what one signs the other recomputes identically. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "glog.h"
#include "utf8.h"
#include "util.h"

#define SIG_BYTES 64 /* an Ed25519 signature */

/* The members the seal adds, left out of the bytes it covers. */
static const char *const seal_members[] = {"hash", "kid", "signature"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- a growable text ---- */

struct buf {
	char *p;
	size_t len, cap; /* cap counts the NUL's byte */
};

/* Appends s[0..n); returns 0, or -2 without memory. */
static int
buf_put(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (n >= b->cap - b->len) {
		cap = b->cap < 256 ? 256 : b->cap;
		while (n >= cap - b->len)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -2;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
buf_str(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

/* ---- strings and names ---- */

/* The code point of the well-formed sequence of n bytes at p. */
static uint32_t
decode(const unsigned char *p, size_t n)
{
	static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = p[0] & lead_mask[n];

	for (size_t i = 1; i < n; i++)
		cp = cp << 6 | (p[i] & 0x3f);
	return cp;
}

/* A key under which code points sort as their UTF-16 code units do (RFC 8785 §3.2.3):
 * a character above U+FFFF is encoded from a high surrogate (D800..DBFF), so it sorts after
 * U+0000..U+D7FF but before U+E000..U+FFFF, which code point order would put first. Valid
 * UTF-8 holds no surrogate code points, so the ranges below are the only ones. */
static uint32_t
utf16_rank(uint32_t cp)
{
	return cp >= 0xe000 && cp <= 0xffff ? cp + 0x110000 : cp;
}

/* Orders two member names, well-formed NUL-terminated UTF-8, by their UTF-16 code units.
 * UTF-8 is self-synchronising, so the first byte that differs lies in the first code point
 * that differs, which starts at the last lead byte at or before it in either name. */
static int
utf16_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	size_t i = 0, n, m;

	while (x[i] == y[i] && x[i] != '\0')
		i++;
	if (x[i] == '\0' || y[i] == '\0') /* one is a prefix of the other: it comes first */
		return (int)x[i] - (int)y[i];
	while (i > 0 && (x[i] & 0xc0) == 0x80)
		i--;
	n = utf8_seq_len(x + i, strlen(a + i));
	m = utf8_seq_len(y + i, strlen(b + i));
	return utf16_rank(decode(x + i, n)) < utf16_rank(decode(y + i, m)) ? -1 : 1;
}

/* Writes s[0..n), well-formed UTF-8, as a JSON string the way ECMAScript's JSON.stringify
 * does (RFC 8785 §3.2.2.2): runs needing no escape are copied whole. */
static int
put_string(struct buf *b, const char *s, size_t n)
{
	/* The control characters with a two-character escape; the others take \u00xx. */
	static const char short_escape[0x20] = {
	    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r',
	};
	static const char hex[] = "0123456789abcdef";
	size_t run = 0, i;
	char esc[7];
	int r;

	if ((r = buf_put(b, "\"", 1)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((r = buf_put(b, s + run, i - run)) != 0)
			return r;
		run = i + 1;
		if (c >= 0x20 || short_escape[c] != '\0')
			snprintf(esc, sizeof(esc), "\\%c", c >= 0x20 ? c : short_escape[c]);
		else
			snprintf(esc, sizeof(esc), "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
		if ((r = buf_str(b, esc)) != 0)
			return r;
	}
	if ((r = buf_put(b, s + run, n - run)) != 0)
		return r;
	return buf_put(b, "\"", 1);
}

/* ---- values ---- */

struct member {
	const char *name;
	struct json_object *v;
};

static int
member_cmp(const void *a, const void *b)
{
	return utf16_cmp(((const struct member *)a)->name, ((const struct member *)b)->name);
}

static bool
is_seal_member(const char *name)
{
	for (size_t i = 0; i < COUNT(seal_members); i++)
		if (strcmp(name, seal_members[i]) == 0)
			return true;
	return false;
}

static int put_value(struct buf *b, struct json_object *v, unsigned depth, bool unsealed);

/* Collects o's members (but the seal's when unsealed), checks their names and sorts them
 * into *out (heap, the caller frees; NULL when there are none). Returns how many, -1 for a
 * name that is not UTF-8 or is there twice, -2 without memory. */
static int
sorted_members(struct json_object *o, bool unsealed, struct member **out)
{
	size_t cap = (size_t)json_object_object_length(o), n = 0;
	struct member *m;

	*out = NULL;
	if (cap == 0)
		return 0;
	if ((m = calloc(cap, sizeof(*m))) == NULL)
		return -2;
	json_object_object_foreach(o, name, v)
	{
		if (unsealed && is_seal_member(name))
			continue;
		if (!utf8_valid(name, strlen(name))) {
			free(m);
			return -1;
		}
		m[n].name = name;
		m[n++].v = v;
	}
	qsort(m, n, sizeof(*m), member_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(m[i - 1].name, m[i].name) == 0) {
			free(m);
			return -1;
		}
	*out = m;
	return (int)n;
}

static int
put_object(struct buf *b, struct json_object *o, unsigned depth, bool unsealed)
{
	struct member *m;
	int n, r, i;

	if ((n = sorted_members(o, unsealed, &m)) < 0)
		return n;
	r = buf_put(b, "{", 1);
	for (i = 0; i < n && r == 0; i++) {
		if (i > 0 && (r = buf_put(b, ",", 1)) != 0)
			break;
		if ((r = put_string(b, m[i].name, strlen(m[i].name))) != 0 ||
		    (r = buf_put(b, ":", 1)) != 0)
			break;
		r = put_value(b, m[i].v, depth + 1, false);
	}
	free(m);
	return r != 0 ? r : buf_put(b, "}", 1);
}

static int
put_array(struct buf *b, struct json_object *a, unsigned depth)
{
	size_t n = json_object_array_length(a), i;
	int r = buf_put(b, "[", 1);

	for (i = 0; i < n && r == 0; i++) {
		if (i > 0 && (r = buf_put(b, ",", 1)) != 0)
			break;
		r = put_value(b, json_object_array_get_idx(a, i), depth + 1, false);
	}
	return r != 0 ? r : buf_put(b, "]", 1);
}

/* Writes v, inside depth arrays and objects; unsealed leaves out the seal's members of the
 * object v. Returns 0, -1 for what the canonical form refuses, -2 without memory. json-c
 * clamps a uint64 above INT64_MAX to INT64_MAX, so the range check refuses those too. */
static int
put_value(struct buf *b, struct json_object *v, unsigned depth, bool unsealed)
{
	char num[24];
	int64_t i;
	size_t n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return buf_str(b, "null");
	case json_type_boolean:
		return buf_str(b, json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
		i = json_object_get_int64(v);
		if (i > GLOG_INT_MAX || i < -GLOG_INT_MAX)
			return -1;
		snprintf(num, sizeof(num), "%lld", (long long)i);
		return buf_str(b, num);
	case json_type_string:
		n = (size_t)json_object_get_string_len(v);
		if (!utf8_valid(json_object_get_string(v), n))
			return -1;
		return put_string(b, json_object_get_string(v), n);
	case json_type_array:
		return depth >= GLOG_DEPTH_MAX ? -1 : put_array(b, v, depth);
	case json_type_object:
		return depth >= GLOG_DEPTH_MAX ? -1 : put_object(b, v, depth, unsealed);
	case json_type_double:
	default:
		return -1;
	}
}

/* The canonical text of v (unsealed: without the seal's members), as glog_canonical. */
static int
canonical(struct json_object *v, bool unsealed, char **out, size_t *len)
{
	struct buf b = {NULL, 0, 0};
	int r = put_value(&b, v, 0, unsealed);

	if (r != 0) {
		free(b.p);
		b.p = NULL;
		b.len = 0;
	}
	*out = b.p;
	*len = b.len;
	return r;
}

int
glog_canonical(struct json_object *v, char **out, size_t *len)
{
	return canonical(v, false, out, len);
}

/* ---- the seal ---- */

/* The bytes the seal covers: the canonical text of entry without hash, kid and signature,
 * and its hex SHA-256 into hash. Returns 0, -1 or -2 as glog_canonical. */
static int
entry_bytes(struct json_object *entry, char **text, size_t *len, char hash[GLOG_HASH_LEN + 1])
{
	unsigned char md[UTIL_SHA256_LEN];
	unsigned int mdlen = sizeof(md);
	int r;

	if ((r = canonical(entry, true, text, len)) != 0)
		return r;
	if (EVP_Digest(*text, *len, md, &mdlen, util_md_sha256(), NULL) != 1) {
		free(*text);
		*text = NULL;
		return -2;
	}
	util_hex(md, sizeof(md), hash);
	return 0;
}

/* Signs text[0..len) with key into sig, base64url. Returns 0 or -1. */
static int
sign(EVP_PKEY *key, const char *text, size_t len, char sig[GLOG_SIG_LEN + 1])
{
	unsigned char raw[SIG_BYTES];
	size_t rawlen = sizeof(raw);
	EVP_MD_CTX *md = NULL;
	int r = -1;

	if (!EVP_PKEY_is_a(key, "ED25519") || (md = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, raw, &rawlen, (const unsigned char *)text, len) != 1 ||
	    rawlen != SIG_BYTES)
		goto out;
	b64_encode(raw, rawlen, sig, true);
	r = 0;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/* Adds name: s to o; returns 0 or -2. */
static int
add_string(struct json_object *o, const char *name, const char *s)
{
	struct json_object *v = json_object_new_string(s);

	if (v == NULL || json_object_object_add(o, name, v) != 0) {
		json_object_put(v);
		return -2;
	}
	return 0;
}

int
glog_entry_seal(struct json_object *entry, EVP_PKEY *key, const char *kid)
{
	char hash[GLOG_HASH_LEN + 1], sig[GLOG_SIG_LEN + 1], *text = NULL;
	size_t len, i;
	int r;

	if (!json_object_is_type(entry, json_type_object) || key == NULL || kid == NULL ||
	    kid[0] == '\0')
		return -1;
	for (i = 0; i < COUNT(seal_members); i++)
		if (json_object_object_get_ex(entry, seal_members[i], NULL))
			return -1;
	if ((r = entry_bytes(entry, &text, &len, hash)) != 0)
		return r;
	if ((r = sign(key, text, len, sig)) != 0)
		goto out;
	if ((r = add_string(entry, "hash", hash)) != 0 ||
	    (r = add_string(entry, "kid", kid)) != 0 ||
	    (r = add_string(entry, "signature", sig)) != 0) {
		for (i = 0; i < COUNT(seal_members); i++)
			json_object_object_del(entry, seal_members[i]);
	}
out:
	free(text);
	return r;
}

static int why_set(char *why, size_t whylen, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the reason into why; returns r. */
static int
why_set(char *why, size_t whylen, int r, const char *fmt, ...)
{
	va_list ap;

	if (whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return r;
}

/* The string member name of entry, or NULL when it is missing or not a string. */
static const char *
string_member(struct json_object *entry, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(entry, name, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Checks that sig (base64url) is a signature by pub over text[0..len): returns 0, or -1
 * (-2 without memory) with the reason in why. */
static int
signature_ok(const unsigned char pub[GLOG_KEY_LEN], const char *sig, const char *text, size_t len,
             char *why, size_t whylen)
{
	unsigned char raw[SIG_BYTES];
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	int r;

	if (strlen(sig) != GLOG_SIG_LEN ||
	    b64_decode(sig, GLOG_SIG_LEN, raw, sizeof(raw), true) != SIG_BYTES)
		return why_set(why, whylen, -1, "the signature is not base64url of %d bytes.",
		               SIG_BYTES);
	pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, GLOG_KEY_LEN);
	md = EVP_MD_CTX_new();
	if (pk == NULL || md == NULL || EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) != 1)
		r = why_set(why, whylen, -2, "out of memory");
	else if (EVP_DigestVerify(md, raw, sizeof(raw), (const unsigned char *)text, len) != 1)
		r = why_set(why, whylen, -1, "the signature does not verify with the key.");
	else
		r = 0;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return r;
}

int
glog_entry_verify(struct json_object *entry, const unsigned char pub[GLOG_KEY_LEN], char *why,
                  size_t whylen)
{
	char hash[GLOG_HASH_LEN + 1], *text = NULL;
	const char *stored, *sig, *kid;
	size_t len;
	int r;

	if (!json_object_is_type(entry, json_type_object))
		return why_set(why, whylen, -1, "the entry is not an object.");
	stored = string_member(entry, "hash");
	kid = string_member(entry, "kid");
	sig = string_member(entry, "signature");
	if (stored == NULL || kid == NULL || kid[0] == '\0' || sig == NULL)
		return why_set(why, whylen, -1, "the entry lacks its %s.",
		               stored == NULL ? "hash"
		               : sig == NULL  ? "signature"
		                              : "kid");
	if ((r = entry_bytes(entry, &text, &len, hash)) != 0)
		return r == -2 ? why_set(why, whylen, -2, "out of memory")
		               : why_set(why, whylen, -1,
		                         "the entry holds a value that has no canonical JSON.");
	if (strcmp(stored, hash) != 0)
		r = why_set(why, whylen, -1,
		            "the hash is not the SHA-256 of the entry's canonical JSON.");
	else
		r = signature_ok(pub, sig, text, len, why, whylen);
	free(text);
	return r;
}

const char *
glog_prev_of(struct json_object *last)
{
	const char *h;
	size_t i;

	if (last == NULL)
		return GLOG_GENESIS_PREV;
	if (!json_object_is_type(last, json_type_object) ||
	    (h = string_member(last, "hash")) == NULL || strlen(h) != GLOG_HASH_LEN)
		return NULL;
	for (i = 0; i < GLOG_HASH_LEN; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return NULL;
	return h;
}
