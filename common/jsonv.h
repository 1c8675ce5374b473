/* jsonv — strict RFC 8259 validation of a JSON text, run before json-c parses it.
 *
 * json-c is lenient even in strict mode (it accepts duplicate keys, NaN, overlong UTF-8,
 * lone surrogates, raw control characters); this scanner rejects all of that, and enforces
 * the depth and string-length limits, in one pass without allocating a tree. */
#ifndef FREECOOP_JSONV_H
#define FREECOOP_JSONV_H

#include <stddef.h>

struct jsonv_limits {
	unsigned max_depth; /* nesting of arrays and objects; a top-level object is depth 1 */
	size_t max_string;  /* bytes of one string or key, after unescaping */
};

/* Checks that buf[0..len) is exactly one JSON text (surrounding whitespace allowed) that
 * is strict RFC 8259 and within lim: no duplicate keys in an object (compared after
 * unescaping), valid UTF-8 only (no overlong forms, no encoded surrogates, nothing above
 * U+10FFFF), \u escapes that pair surrogates correctly, no \u0000, no raw control
 * characters, no leading zeros, no NaN/Infinity, no trailing commas or garbage.
 * Both limits are exact (0 allows no container, or only empty strings); lim must not be NULL.
 * Returns 0 when valid. Otherwise returns -1 and writes a NUL-terminated, printable-ASCII
 * message saying what is wrong and at which byte offset, e.g. `duplicate key "name" at
 * byte 17` (keys quoted in messages are escaped and cut to 40 bytes), into err (truncated
 * to errlen; err may be NULL when errlen is 0). Returns -2 with the message "out of memory"
 * when an allocation fails, which says nothing about the text. Never reads past len. Uses
 * memory proportional to len and time O(len log len) whatever the keys. */
int jsonv_check(const char *buf, size_t len, const struct jsonv_limits *lim, char *err,
		size_t errlen);

/* A number of a JSON text that not every reader holds exactly. */
struct jsonv_number {
	size_t at, len;  /* its text: buf[at..at+len) */
	const char *why; /* e.g. "a whole number beyond +/-9007199254740991 (2^53 - 1)" (static) */
};

/* Finds, in buf[0..len), a text jsonv_check accepted, the first number at or after offset
 * from (0, or the end of a number found before) that not every JSON reader holds exactly
 * (RFC 7493, I-JSON): a whole number beyond +/-(2^53 - 1), however it is written
 * (9007199254740993, 1e20, 123456789012345678901234567890), or a number beyond a double's
 * range (1e400), or too small for one and not zero (1e-400). Whatever else passes is a
 * value PostgreSQL's jsonb and json-c keep exactly (its value, not its spelling: 1e2 may
 * come back as 100, -0 as 0). Returns 1 with *out filled, 0 when there is none, -2 when
 * memory ran out (which says nothing about the text). Time O(len - from). */
int jsonv_unsafe_number(const char *buf, size_t len, size_t from, struct jsonv_number *out);

#endif
