/* utf8 — well-formedness (Unicode table 3-7) and safe cutting of UTF-8 text. */
#ifndef FREECOOP_UTF8_H
#define FREECOOP_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length of the well-formed sequence at p, of which avail (> 0) bytes may be read: no
 * overlong forms, no surrogates, nothing above U+10FFFF; 0 if ill-formed or cut short. */
size_t utf8_seq_len(const unsigned char *p, size_t avail);

/* Whether p[0..n) is well-formed UTF-8. */
bool utf8_valid(const void *p, size_t n);

/* Copies p[0..n) into out (outsize > 0 bytes, NUL-terminated), replacing each ill-formed
 * byte and each NUL by '?' and cutting at a character boundary so that it fits. Returns
 * the length written. */
size_t utf8_sanitize(const void *p, size_t n, char *out, size_t outsize);

#endif
