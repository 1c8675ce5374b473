/* jsonv — one-pass strict RFC 8259 validation.
 *
 * A small state machine (value, key, after-value) walks the text with an explicit stack of
 * open containers, so depth costs heap, not C stack. Each open object keeps its decoded keys
 * in a shared arena; when the object closes its keys are sorted and adjacent ones compared,
 * which finds duplicates in O(k log k) whatever keys an attacker picks. The arena is never
 * larger than the input (unescaping never grows a string), and a closed object's keys are
 * popped, so memory stays proportional to the input. */
#include "jsonv.h"
#include "utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_SHOWN 40 /* bytes of a key quoted in a message; the rest becomes "..." */

struct key {
	const char *p; /* decoded bytes, in the arena */
	size_t len;
	size_t at; /* offset of the key's opening quote */
};

struct frame {
	char close;    /* '}' or ']' */
	size_t key0;   /* this object's first key in keys[] */
	size_t arena0; /* arena bytes in use when it opened */
};

struct scan {
	const char *buf;
	size_t len;
	size_t pos;
	const struct jsonv_limits *lim;
	char *err;
	size_t errlen;
	bool nomem;
	char *arena; /* len bytes, allocated at the first key */
	size_t arena_used;
	struct key *keys; /* keys of the open objects, innermost last */
	size_t nkeys, keycap;
	struct frame *stack;
	size_t depth, stackcap;
};

enum state { ST_VALUE, ST_KEY, ST_AFTER, ST_DONE };

/* Writes the message into s->err (if there is room for one); returns -1. */
static int fail(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(s->err, s->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Fails for an allocation failure; jsonv_check then returns -2. */
static int
fail_nomem(struct scan *s)
{
	s->nomem = true;
	return fail(s, "out of memory");
}

/* Fails for the byte at offset at, which no rule allows there (or the end of input). */
static int
fail_unexpected(struct scan *s, size_t at)
{
	unsigned char c;

	if (at >= s->len)
		return fail(s, "unexpected end of input at byte %zu", s->len);
	c = (unsigned char)s->buf[at];
	if (c > 0x20 && c < 0x7f)
		return fail(s, "unexpected character '%c' at byte %zu", c, at);
	return fail(s, "unexpected character 0x%02x at byte %zu", c, at);
}

/* Copies at most KEY_SHOWN bytes of p[0..n) into out as printable ASCII: '"' and '\' are
 * backslash-escaped, other bytes outside 0x20..0x7e become \xNN, and a longer key ends
 * in "...". */
static void
quote_key(const char *p, size_t n, char out[KEY_SHOWN * 4 + 4])
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < n && i < KEY_SHOWN; i++) {
		c = (unsigned char)p[i];
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
		} else {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", c);
		}
	}
	if (n > KEY_SHOWN) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* Doubles an array of *cap elements of size sz (to 8 at first). Returns the new array, or
 * NULL with the old one untouched. */
static void *
grow(void *v, size_t *cap, size_t sz)
{
	size_t n = *cap ? *cap * 2 : 8;
	void *p;

	if (n > SIZE_MAX / sz || (p = realloc(v, n * sz)) == NULL)
		return NULL;
	*cap = n;
	return p;
}

static void
skip_ws(struct scan *s)
{
	while (s->pos < s->len) {
		char c = s->buf[s->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return;
		s->pos++;
	}
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Encodes code point cp (not a surrogate, at most U+10FFFF) as UTF-8; returns its length. */
static size_t
put_utf8(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads the escape "\uXXXX" at offset at (the backslash) into *cp. Returns 0, or -1. */
static int
read_u(struct scan *s, size_t at, unsigned *cp)
{
	size_t i;
	char c;

	*cp = 0;
	for (i = at + 2; i < at + 6; i++) {
		if (i >= s->len)
			return fail_unexpected(s, i);
		c = s->buf[i];
		if (is_digit(c))
			*cp = *cp << 4 | (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			*cp = *cp << 4 | (unsigned)((c | 0x20) - 'a' + 10);
		else
			return fail(s, "invalid \\u escape at byte %zu", at);
	}
	return 0;
}

/* Decodes the \u escape at s->pos, or the surrogate pair of two escapes starting there, into
 * UTF-8 at out (*k bytes). Rejects \u0000 and any surrogate that is not part of a pair. */
static int
scan_unicode(struct scan *s, char *out, size_t *k)
{
	size_t at = s->pos;
	unsigned cp, lo;

	if (read_u(s, at, &cp) != 0)
		return -1;
	if (cp == 0)
		return fail(s, "escape \\u0000 (NUL) is not allowed at byte %zu", at);
	if (cp >= 0xd800 && cp <= 0xdfff) {
		if (cp >= 0xdc00 || at + 8 > s->len || s->buf[at + 6] != '\\' ||
		    s->buf[at + 7] != 'u')
			return fail(s, "lone surrogate \\u%04x at byte %zu", cp, at);
		if (read_u(s, at + 6, &lo) != 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(s, "lone surrogate \\u%04x at byte %zu", cp, at);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		s->pos += 6;
	}
	s->pos += 6;
	*k = put_utf8(cp, out);
	return 0;
}

/* Decodes the escape at s->pos (a backslash) into out (*k bytes). */
static int
scan_escape(struct scan *s, char *out, size_t *k)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	char c;

	if (s->pos + 1 >= s->len)
		return fail_unexpected(s, s->pos + 1);
	c = s->buf[s->pos + 1];
	if (c == 'u')
		return scan_unicode(s, out, k);
	if (c == '\0' || (hit = strchr(from, c)) == NULL) {
		if (c > 0x20 && c < 0x7f)
			return fail(s, "invalid escape '\\%c' at byte %zu", c, s->pos);
		return fail_unexpected(s, s->pos + 1);
	}
	out[0] = to[hit - from];
	*k = 1;
	s->pos += 2;
	return 0;
}

/* Reads one character of a string body at s->pos into out (*k bytes). Returns 0, 1 after
 * consuming the closing quote, or -1. */
static int
scan_char(struct scan *s, char *out, size_t *k)
{
	const unsigned char *p = (const unsigned char *)s->buf + s->pos;

	if (s->pos >= s->len)
		return fail_unexpected(s, s->pos);
	if (*p == '"') {
		s->pos++;
		return 1;
	}
	if (*p == '\\')
		return scan_escape(s, out, k);
	if (*p < 0x20)
		return fail(s, "unescaped control character 0x%02x at byte %zu", *p, s->pos);
	if ((*k = utf8_seq_len(p, s->len - s->pos)) == 0)
		return fail(s, "invalid UTF-8 at byte %zu", s->pos);
	memcpy(out, p, *k);
	s->pos += *k;
	return 0;
}

/* Scans the string at s->pos (its opening quote). When out is not NULL, writes the decoded
 * bytes there; stores their count in *outlen. Fails past lim->max_string decoded bytes. */
static int
scan_string(struct scan *s, char *out, size_t *outlen)
{
	size_t start = s->pos, n = 0, k = 0;
	char ch[4];
	int r;

	s->pos++;
	while ((r = scan_char(s, ch, &k)) == 0) {
		if (k > s->lim->max_string - n)
			return fail(s, "string longer than %zu bytes at byte %zu",
				    s->lim->max_string, start);
		if (out != NULL)
			memcpy(out + n, ch, k);
		n += k;
	}
	*outlen = n;
	return r < 0 ? -1 : 0;
}

/* Advances *p over decimal digits; returns how many there were. */
static size_t
skip_digits(const struct scan *s, size_t *p)
{
	size_t start = *p;

	while (*p < s->len && is_digit(s->buf[*p]))
		(*p)++;
	return *p - start;
}

/* Scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at s->pos. */
static int
scan_number(struct scan *s)
{
	size_t p = s->pos;

	if (s->buf[p] == '-')
		p++;
	if (p < s->len && s->buf[p] == '0') {
		if (++p < s->len && is_digit(s->buf[p]))
			return fail(s, "leading zero in number at byte %zu", s->pos);
	} else if (skip_digits(s, &p) == 0) {
		return fail_unexpected(s, p);
	}
	if (p < s->len && s->buf[p] == '.' && (++p, skip_digits(s, &p) == 0))
		return fail_unexpected(s, p);
	if (p < s->len && (s->buf[p] == 'e' || s->buf[p] == 'E')) {
		p++;
		if (p < s->len && (s->buf[p] == '+' || s->buf[p] == '-'))
			p++;
		if (skip_digits(s, &p) == 0)
			return fail_unexpected(s, p);
	}
	s->pos = p;
	return 0;
}

/* Scans exactly the literal word (true, false or null) at s->pos. */
static int
scan_literal(struct scan *s, const char *word)
{
	size_t i;

	for (i = 0; word[i] != '\0'; i++)
		if (s->pos + i >= s->len || s->buf[s->pos + i] != word[i])
			return fail_unexpected(s, s->pos + i);
	s->pos += i;
	return 0;
}

/* Orders keys by bytes, then by position, so equal keys sit together, earliest first. */
static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->p, y->p, n) : 0;

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* Fails if two of keys[first..nkeys) are equal, naming the earliest repeated occurrence. */
static int
check_dups(struct scan *s, size_t first)
{
	struct key *k, *dup = NULL;
	size_t n = s->nkeys - first, i;
	char shown[KEY_SHOWN * 4 + 4];

	if (n < 2)
		return 0;
	k = s->keys + first; /* only now: keys is NULL until an object has a key */
	qsort(k, n, sizeof *k, key_cmp);
	for (i = 1; i < n; i++)
		if (k[i].len == k[i - 1].len && memcmp(k[i].p, k[i - 1].p, k[i].len) == 0 &&
		    (dup == NULL || k[i].at < dup->at))
			dup = &k[i];
	if (dup == NULL)
		return 0;
	quote_key(dup->p, dup->len, shown);
	return fail(s, "duplicate key \"%s\" at byte %zu", shown, dup->at);
}

/* Pops the innermost container, whose closing bracket is at s->pos; an object's keys are
 * checked for duplicates and released. */
static int
close_container(struct scan *s)
{
	struct frame *f = &s->stack[--s->depth];

	if (f->close == '}' && check_dups(s, f->key0) != 0)
		return -1;
	s->nkeys = f->key0;
	s->arena_used = f->arena0;
	s->pos++;
	return 0;
}

/* Opens the container whose bracket is at s->pos; sets *next to what must follow. */
static int
open_container(struct scan *s, char close, enum state *next)
{
	struct frame *f;

	if (s->depth >= s->lim->max_depth)
		return fail(s, "nesting deeper than %u at byte %zu", s->lim->max_depth, s->pos);
	if (s->depth == s->stackcap) {
		if ((f = grow(s->stack, &s->stackcap, sizeof *f)) == NULL)
			return fail_nomem(s);
		s->stack = f;
	}
	f = &s->stack[s->depth++];
	*f = (struct frame){.close = close, .key0 = s->nkeys, .arena0 = s->arena_used};
	s->pos++;
	skip_ws(s);
	*next = close == '}' ? ST_KEY : ST_VALUE;
	if (s->pos < s->len && s->buf[s->pos] == close) {
		*next = ST_AFTER;
		return close_container(s);
	}
	return 0;
}

/* Scans one value; containers are only opened here and finished by later steps. */
static int
step_value(struct scan *s, enum state *next)
{
	size_t n;

	skip_ws(s);
	*next = ST_AFTER;
	if (s->pos >= s->len)
		return fail_unexpected(s, s->pos);
	switch (s->buf[s->pos]) {
	case '{':
		return open_container(s, '}', next);
	case '[':
		return open_container(s, ']', next);
	case '"':
		return scan_string(s, NULL, &n);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (s->buf[s->pos] == '-' || is_digit(s->buf[s->pos]))
			return scan_number(s);
		return fail_unexpected(s, s->pos);
	}
}

/* Scans a member's key and the colon after it, keeping the decoded key in the arena. */
static int
step_key(struct scan *s, enum state *next)
{
	struct key *k;

	skip_ws(s);
	if (s->pos >= s->len || s->buf[s->pos] != '"')
		return fail_unexpected(s, s->pos);
	if (s->arena == NULL && (s->arena = malloc(s->len)) == NULL)
		return fail_nomem(s);
	if (s->nkeys == s->keycap) {
		if ((k = grow(s->keys, &s->keycap, sizeof *k)) == NULL)
			return fail_nomem(s);
		s->keys = k;
	}
	k = &s->keys[s->nkeys];
	*k = (struct key){.p = s->arena + s->arena_used, .at = s->pos};
	if (scan_string(s, s->arena + s->arena_used, &k->len) != 0)
		return -1;
	s->nkeys++;
	s->arena_used += k->len;
	skip_ws(s);
	if (s->pos >= s->len || s->buf[s->pos] != ':')
		return fail_unexpected(s, s->pos);
	s->pos++;
	*next = ST_VALUE;
	return 0;
}

/* After a value: a comma or the closing bracket of the container, or, at the top level,
 * nothing but whitespace. */
static int
step_after(struct scan *s, enum state *next)
{
	char close;

	skip_ws(s);
	if (s->depth == 0) {
		*next = ST_DONE;
		return s->pos < s->len ? fail(s, "trailing data at byte %zu", s->pos) : 0;
	}
	close = s->stack[s->depth - 1].close;
	if (s->pos < s->len && s->buf[s->pos] == ',') {
		s->pos++;
		*next = close == '}' ? ST_KEY : ST_VALUE;
		return 0;
	}
	if (s->pos < s->len && s->buf[s->pos] == close) {
		*next = ST_AFTER;
		return close_container(s);
	}
	return fail_unexpected(s, s->pos);
}

int
jsonv_check(const char *buf, size_t len, const struct jsonv_limits *lim, char *err, size_t errlen)
{
	struct scan s = {.buf = buf, .len = len, .lim = lim, .err = err, .errlen = errlen};
	enum state st = ST_VALUE;
	int r = 0;

	if (errlen > 0)
		err[0] = '\0';
	while (r == 0 && st != ST_DONE) {
		if (st == ST_VALUE)
			r = step_value(&s, &st);
		else if (st == ST_KEY)
			r = step_key(&s, &st);
		else
			r = step_after(&s, &st);
	}
	if (r != 0 && s.nomem)
		r = -2;
	free(s.arena);
	free(s.keys);
	free(s.stack);
	return r;
}

/* ---- numbers every reader holds (jsonv_unsafe_number) ----
 *
 * A number's text is read as digits (integer part, then fraction) times a power of ten, its
 * significant digits (from the first non-zero one to the last) as n digits times 10^p: it is
 * whole when p >= 0, and lies in [10^m, 10^(m+1)) with m = n + p - 1. That decides every
 * case from the text alone but two borders, a value of magnitude 10^308 (DBL_MAX is
 * 1.79...e308) or 10^-324 (the smallest double is 4.94...e-324): there strtod decides. */

#define SAFE_MAX "9007199254740991" /* 2^53 - 1 */
#define EXP_CAP 1000000000LL        /* exponents are clamped there: far past either border */
#define SHORT_NUMBER 128            /* a number this long is copied on the stack for strtod */

static const char why_whole[] = "a whole number beyond +/-9007199254740991 (2^53 - 1)";
static const char why_huge[] = "beyond the range of a double (about 1.8e308)";
static const char why_tiny[] = "not zero, but below the smallest double (about 4.9e-324)";

struct number {
	const char *ip, *fp; /* integer and fraction digits */
	size_t ni, nf;
	long long exp; /* the exponent, clamped to +/-EXP_CAP */
};

static char
digit_at(const struct number *x, size_t i)
{
	return i < x->ni ? x->ip[i] : x->fp[i - x->ni];
}

/* Reads the number p[0..n), valid JSON, into *x. */
static void
number_read(const char *p, size_t n, struct number *x)
{
	size_t i = p[0] == '-';
	bool neg = false;

	*x = (struct number){.ip = p + i};
	while (i < n && is_digit(p[i]))
		i++, x->ni++;
	if (i < n && p[i] == '.') {
		x->fp = p + ++i;
		while (i < n && is_digit(p[i]))
			i++, x->nf++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		if (++i < n && (p[i] == '+' || p[i] == '-'))
			neg = p[i++] == '-';
		for (; i < n; i++)
			if (x->exp < EXP_CAP)
				x->exp = x->exp * 10 + (p[i] - '0');
	}
	if (neg)
		x->exp = -x->exp;
}

/* Whether a whole number of n significant digits (from digit lz) times 10^p is within
 * +/-(2^53 - 1). */
static bool
whole_is_safe(const struct number *x, size_t lz, long long n, long long p)
{
	char d[sizeof(SAFE_MAX)];
	size_t k = sizeof(SAFE_MAX) - 1;

	if (n + p != (long long)k)
		return n + p < (long long)k;
	for (size_t i = 0; i < k; i++)
		d[i] = (long long)i < n ? digit_at(x, lz + i) : '0';
	return memcmp(d, SAFE_MAX, k) <= 0;
}

/* At a border of a double's range: whether strtod reads p[0..n) as a finite number that is
 * not zero. Returns 1 or 0, or -2 when memory ran out. */
static int
double_holds(const char *p, size_t n)
{
	char small[SHORT_NUMBER], *z = n < sizeof(small) ? small : malloc(n + 1);
	double v;

	if (z == NULL)
		return -2;
	memcpy(z, p, n);
	z[n] = '\0';
	v = strtod(z, NULL);
	if (z != small)
		free(z);
	return isfinite(v) && v != 0.0;
}

/* Returns NULL if every reader holds the number p[0..n) exactly, else why not; *nomem is set
 * when memory ran out. */
static const char *
number_problem(const char *p, size_t n, bool *nomem)
{
	struct number x;
	size_t t, lz, last;
	long long sig, pow, mag;
	int r;

	number_read(p, n, &x);
	t = x.ni + x.nf;
	for (lz = 0; lz < t && digit_at(&x, lz) == '0'; lz++)
		;
	if (lz == t) /* zero */
		return NULL;
	for (last = t - 1; digit_at(&x, last) == '0'; last--)
		;
	sig = (long long)(last - lz + 1);
	pow = x.exp - (long long)x.nf + (long long)(t - 1 - last);
	mag = sig + pow - 1;
	if (mag > 308)
		return why_huge;
	if (pow >= 0)
		return whole_is_safe(&x, lz, sig, pow) ? NULL : why_whole;
	if (mag < -324)
		return why_tiny;
	if (mag < 308 && mag > -324)
		return NULL;
	if ((r = double_holds(p, n)) < 0)
		*nomem = true;
	return r == 0 ? (mag > 0 ? why_huge : why_tiny) : NULL;
}

int
jsonv_unsafe_number(const char *buf, size_t len, size_t from, struct jsonv_number *out)
{
	size_t i = from, start;
	bool nomem = false;

	while (i < len) {
		if (buf[i] == '"') {
			for (i++; i < len && buf[i] != '"'; i++)
				i += buf[i] == '\\';
			i++;
			continue;
		}
		if (buf[i] != '-' && !is_digit(buf[i])) {
			i++;
			continue;
		}
		for (start = i; i < len && buf[i] != '\0' && strchr("+-.eE0123456789", buf[i]); i++)
			;
		out->why = number_problem(buf + start, i - start, &nomem);
		if (nomem)
			return -2;
		if (out->why != NULL) {
			out->at = start;
			out->len = i - start;
			return 1;
		}
	}
	return 0;
}
