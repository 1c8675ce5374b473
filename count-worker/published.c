/* published — a published inputs object, scanned once into a COUNT frame.
 *
 * The text has passed jsonv_check, so it is strict JSON; the scanner below relies on that
 * for meaning (it does not validate again) but not for safety: every read is bounded by
 * the end of the text, and anything unexpected is PUBLISHED_BAD. The JSON members of an
 * object may come in any order and the frame has a fixed one, so an object is first walked
 * to find where the members it needs start, then each is read from there. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "published.h"

#define KEY_RAW_MAX 128 /* raw bytes of a key worth comparing: ours are short even escaped */

/* A position in the text. */
struct cur {
	const char *p, *end;
};

/* A string's raw text between its quotes; escaped when it holds a backslash. */
struct str {
	const char *p;
	size_t n;
	bool escaped;
};

/* A member an object must have, and where its value starts once found (else NULL). */
struct member {
	const char *name;
	const char *at;
};

/* The frame being built, and a scratch buffer for unescaped and decoded strings. */
struct enc {
	struct wire_buf *b;
	unsigned char *tmp;
	size_t cap;
	int err;
};

static void
skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
		c->p++;
}

/* Consumes ch after optional whitespace; false if the next character is another. */
static bool
eat(struct cur *c, char ch)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* Reads the string at c into s, leaving c after its closing quote; -1 if there is none. */
static int
string_token(struct cur *c, struct str *s)
{
	const char *q;
	size_t k;

	if (!eat(c, '"'))
		return -1;
	for (q = c->p;; q++) {
		if ((q = memchr(q, '"', (size_t)(c->end - q))) == NULL)
			return -1;
		/* a quote closes the string unless an odd run of backslashes escapes it */
		for (k = 0; q - k > c->p && q[-1 - (ptrdiff_t)k] == '\\'; k++)
			;
		if (k % 2 == 0)
			break;
	}
	*s = (struct str){c->p, (size_t)(q - c->p), memchr(c->p, '\\', (size_t)(q - c->p)) != NULL};
	c->p = q + 1;
	return 0;
}

/* Skips one value of any type. */
static int
skip_value(struct cur *c)
{
	struct str s;
	long depth = 0;

	skip_ws(c);
	if (c->p < c->end && *c->p != '{' && *c->p != '[' && *c->p != '"') {
		/* a number or a literal */
		while (c->p < c->end && strchr(",]} \n\r\t", *c->p) == NULL)
			c->p++;
		return 0;
	}
	do {
		if (c->p >= c->end)
			return -1;
		if (*c->p == '"') {
			if (string_token(c, &s) != 0)
				return -1;
			continue;
		}
		depth += *c->p == '{' || *c->p == '[';
		depth -= *c->p == '}' || *c->p == ']';
		c->p++;
	} while (depth > 0);
	return 0;
}

static unsigned
hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char h = p[i];
		v = v << 4 | (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
	}
	return v & 0xffff;
}

static size_t
put_utf8(unsigned cp, unsigned char *out)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escape at p (a backslash, end - p >= 2) into out; returns how many bytes of text it
 * took, *o advanced by what it wrote (never more than it took). A surrogate pair (which
 * jsonv_check made sure is whole) becomes one code point. */
static size_t
unescape_one(const char *p, const char *end, unsigned char *out, size_t *o)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = strchr(from, p[1]);
	unsigned cp, lo;

	if (p[1] != 'u' || end - p < 6) {
		out[(*o)++] = (unsigned char)(e != NULL && p[1] != '\0' ? to[e - from] : p[1]);
		return 2;
	}
	cp = hex4(p + 2);
	if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 12 && p[6] == '\\' && p[7] == 'u' &&
	    (lo = hex4(p + 8)) >= 0xdc00 && lo < 0xe000) {
		*o += put_utf8(0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00), out + *o);
		return 12;
	}
	*o += put_utf8(cp, out + *o);
	return 6;
}

/* Unescapes s into out (room for s->n bytes: unescaping never lengthens); returns the
 * length. */
static size_t
unescape(const struct str *s, unsigned char *out)
{
	const char *p = s->p, *end = s->p + s->n, *bs;
	size_t o = 0, run;

	while (p < end) {
		bs = memchr(p, '\\', (size_t)(end - p));
		run = (size_t)((bs != NULL ? bs : end) - p);
		memcpy(out + o, p, run);
		o += run;
		p += run;
		if (bs != NULL)
			p += end - p >= 2 ? unescape_one(p, end, out, &o) : 1;
	}
	return o;
}

static bool
key_is(const struct str *k, const char *name)
{
	unsigned char buf[KEY_RAW_MAX];
	size_t n = strlen(name);

	if (!k->escaped)
		return k->n == n && memcmp(k->p, name, n) == 0;
	return k->n <= sizeof(buf) && unescape(k, buf) == n && memcmp(buf, name, n) == 0;
}

/* Walks the object at c (leaving c after it), noting where the values of the members
 * named in m[0..n) start. -1 if c is not at an object. */
static int
find_members(struct cur *c, struct member *m, size_t n)
{
	struct str key;
	bool first = true;

	if (!eat(c, '{'))
		return -1;
	while (!eat(c, '}')) {
		if ((!first && !eat(c, ',')) || string_token(c, &key) != 0 || !eat(c, ':'))
			return -1;
		first = false;
		skip_ws(c);
		for (size_t i = 0; i < n; i++)
			if (m[i].at == NULL && key_is(&key, m[i].name))
				m[i].at = c->p;
		if (skip_value(c) != 0)
			return -1;
	}
	return 0;
}

/* The next element of the array being walked (c after its '[' or an element): 1 with c
 * at the element, 0 after the closing bracket, -1 if malformed. */
static int
next_element(struct cur *c, bool *first)
{
	if (eat(c, ']'))
		return 0;
	if (!*first && !eat(c, ','))
		return -1;
	*first = false;
	skip_ws(c);
	return c->p < c->end ? 1 : -1;
}

/* Room for n bytes in e->tmp. */
static int
reserve_tmp(struct enc *e, size_t n)
{
	unsigned char *p;

	if (n <= e->cap)
		return 0;
	if ((p = realloc(e->tmp, n)) == NULL) {
		e->err = PUBLISHED_TOO_LARGE;
		return -1;
	}
	e->tmp = p;
	e->cap = n;
	return 0;
}

/* Puts the bytes of s, decoded from base64 when payload, into the frame. e->tmp holds
 * the unescaped text, if s has escapes, then the decoded payload. */
static int
put_string(struct enc *e, const struct str *s, bool payload)
{
	const unsigned char *p = (const unsigned char *)s->p;
	size_t n = s->n;
	ssize_t d;

	if ((s->escaped || payload) && reserve_tmp(e, s->n + b64_decoded_max(s->n)) != 0)
		return -1;
	if (s->escaped) {
		n = unescape(s, e->tmp);
		p = e->tmp;
	}
	if (payload) {
		unsigned char *out = e->tmp + s->n;
		if ((d = b64_decode((const char *)p, n, out, b64_decoded_max(n), false)) < 0) {
			e->err = PUBLISHED_BAD;
			return -1;
		}
		p = out;
		n = (size_t)d;
	}
	if (n > UINT32_MAX) {
		e->err = PUBLISHED_TOO_LARGE;
		return -1;
	}
	wire_put_bytes(e->b, p, (uint32_t)n);
	return 0;
}

/* Puts the strings that members m[0..n) (all found) hold; the payload is the last. */
static int
put_members(struct enc *e, const struct member *m, size_t n, const char *end)
{
	struct str s;

	for (size_t i = 0; i < n; i++) {
		struct cur v = {m[i].at, end};
		if (m[i].at == NULL || string_token(&v, &s) != 0 ||
		    put_string(e, &s, i == n - 1) != 0) {
			e->err = e->err != 0 ? e->err : PUBLISHED_BAD;
			return -1;
		}
	}
	return 0;
}

static int
put_proposal(struct enc *e, struct cur *c)
{
	struct member m[] = {{"id", NULL}, {"proposer", NULL}, {"payload", NULL}};

	return find_members(c, m, 3) == 0 ? put_members(e, m, 3, c->end) : -1;
}

static int
put_ballot(struct enc *e, struct cur *c)
{
	struct member m[] = {{"id", NULL}, {"payload", NULL}};

	return find_members(c, m, 2) == 0 ? put_members(e, m, 2, c->end) : -1;
}

static int
put_pseudonym(struct enc *e, struct cur *c)
{
	struct str s;

	return string_token(c, &s) == 0 ? put_string(e, &s, false) : -1;
}

/* Puts the array at `at` as a count and its elements, each put by put_one. */
static int
put_array(struct enc *e, const char *at, const char *end,
          int (*put_one)(struct enc *, struct cur *))
{
	struct cur c = {at, end};
	size_t count_at = e->b->len;
	uint64_t n = 0;
	bool first = true;
	int r;

	if (!eat(&c, '['))
		return -1;
	wire_put_u32(e->b, 0);
	while ((r = next_element(&c, &first)) == 1) {
		if (put_one(e, &c) != 0)
			return -1;
		n++;
	}
	if (r < 0 || n > UINT32_MAX)
		return -1;
	if (!e->b->failed) {
		unsigned char *p = e->b->p + count_at;
		p[0] = (unsigned char)(n >> 24);
		p[1] = (unsigned char)(n >> 16);
		p[2] = (unsigned char)(n >> 8);
		p[3] = (unsigned char)n;
	}
	return 0;
}

int
published_encode_count(struct wire_buf *b, const char *text, size_t len, struct wire_bytes method,
                       const struct wire_limits *limits)
{
	static int (*const put[5])(struct enc *, struct cur *) = {
	    put_proposal, put_ballot, put_pseudonym, put_pseudonym, put_pseudonym};
	struct member top = {"inputs", NULL};
	struct member m[5] = {{"proposals", NULL},
	                      {"ballots", NULL},
	                      {"participants", NULL},
	                      {"proposer_franchise", NULL},
	                      {"voter_franchise", NULL}};
	struct cur c = {text, text + len};
	struct enc e = {b, NULL, 0, 0};

	if (find_members(&c, &top, 1) != 0)
		return PUBLISHED_BAD;
	c = (struct cur){top.at != NULL ? top.at : text, text + len};
	if (find_members(&c, m, 5) != 0)
		return PUBLISHED_BAD;
	wire_begin(b, WIRE_COUNT);
	wire_put_bytes(b, method.p, method.len);
	wire_put_u32(b, limits->cpu_ms);
	wire_put_u32(b, limits->wall_ms);
	wire_put_u32(b, limits->memory_mb);
	wire_put_u32(b, limits->result_max);
	for (int i = 0; i < 5 && e.err == 0; i++)
		if (m[i].at == NULL || put_array(&e, m[i].at, text + len, put[i]) != 0)
			e.err = e.err != 0 ? e.err : PUBLISHED_BAD;
	free(e.tmp);
	if (e.err != 0)
		return e.err;
	return wire_finish(b, SIZE_MAX) == 0 ? 0 : PUBLISHED_TOO_LARGE;
}
