/* b64 — base64 (RFC 4648 §4, padded) and base64url (§5, unpadded) encoding. */
#ifndef FREECOOP_B64_H
#define FREECOOP_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Length of the encoding of n bytes, without the terminating NUL. url selects base64url
 * without padding; otherwise standard base64 with '=' padding. */
size_t b64_encoded_len(size_t n, bool url);

/* Encodes src[0..n) into dst, which must hold b64_encoded_len(n, url) + 1 bytes;
 * NUL-terminates it and returns the encoded length. */
size_t b64_encode(const unsigned char *src, size_t n, char *dst, bool url);

/* Largest decoded length an n-character input can give. */
size_t b64_decoded_max(size_t n);

/* Decodes src[0..n) strictly: with url, the base64url alphabet and no padding; otherwise the
 * standard alphabet with the exact '=' padding. No whitespace, no stray characters, and the
 * unused low bits of the last symbol must be zero (one text per byte string). Writes at most
 * dstcap bytes; returns the decoded length, or -1 on any malformed input or if dstcap is too
 * small. */
/* The 6-bit value of symbol c in the chosen alphabet, or -1 if c is not in it ('=' is
 * never a symbol). */
int b64_symbol_value(unsigned char c, bool url);

ssize_t b64_decode(const char *src, size_t n, unsigned char *dst, size_t dstcap, bool url);

#endif
