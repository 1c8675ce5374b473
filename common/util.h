/* util — randomness, hashing, UUIDs, tokens and clocks used across the project. */
#ifndef FREECOOP_UTIL_H
#define FREECOOP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define UTIL_UUID_LEN 36   /* text form, without NUL */
#define UTIL_SHA256_LEN 32
#define UTIL_TOKEN_BYTES 32 /* 256-bit secrets */
/* prefix (4) + base64url of 32 bytes (43) */
#define UTIL_TOKEN_LEN 47

/* Fills buf with n bytes from the OpenSSL CSPRNG; returns 0 or -1. */
int util_random(void *buf, size_t n);

/* SHA-256 of data[0..n) into out. */
void util_sha256(const void *data, size_t n, unsigned char out[UTIL_SHA256_LEN]);

/* OpenSSL's SHA-256, fetched once for the process (borrowed; never freed). Thread-safe. */
const EVP_MD *util_md_sha256(void);

/* s as a JSON string literal (quotes included, escaped as json-c writes it with
 * JSON_C_TO_STRING_NOSLASHESCAPE) into out, NUL-terminated: its length, or 0 when it does
 * not fit in cap bytes (6 a byte, plus 3, always do). */
size_t util_json_quote(const char *s, char *out, size_t cap);

/* Lowercase hex of data[0..n) into out (2n + 1 bytes, NUL-terminated). */
void util_hex(const unsigned char *data, size_t n, char *out);

/* Decodes exactly 2 * n hex digits (any case) of hex into out[0..n); returns whether hex
 * was exactly that. */
bool util_unhex(const char *hex, unsigned char *out, size_t n);

/* Parses an RFC 3339 date-time ("2026-11-24T10:00:00Z", "...T10:00:00.5+01:00"; 'T' and
 * 'Z' in any case, at most 6 fraction digits) into microseconds since the epoch, checking
 * every field's range (no February 30). Returns whether s is exactly one such time. */
bool util_time_parse(const char *s, int64_t *us);

/* Formats microseconds since the epoch as RFC 3339 UTC with 6 fraction digits into out
 * (at least UTIL_TIME_LEN + 1 bytes). */
#define UTIL_TIME_LEN 27
void util_time_format(int64_t us, char *out);

/* A random (version 4) UUID in lowercase text form into out (37 bytes); 0 or -1. */
int util_uuid_v4(char out[UTIL_UUID_LEN + 1]);

/* The same from 16 random bytes the caller drew (b is changed: version and variant). */
void util_uuid_from(unsigned char b[16], char out[UTIL_UUID_LEN + 1]);

/* Whether s is a UUID in 8-4-4-4-12 hex form (either case); if so and out is not NULL,
 * writes its lowercase form into out (37 bytes). */
bool util_uuid_parse(const char *s, char out[UTIL_UUID_LEN + 1]);

/* The 16 bytes of the UUID s (text form, either case); returns whether s is one. */
bool util_uuid_bytes(const char *s, unsigned char out[16]);

/* A new secret token: prefix (4 characters, e.g. "acc_") + base64url of 32 random bytes,
 * into out (UTIL_TOKEN_LEN + 1 bytes); 0 or -1. */
int util_token_new(const char *prefix, char out[UTIL_TOKEN_LEN + 1]);

/* Whether s has the shape of a token: a 4-character prefix from "svc_", "aut_", "acc_"
 * followed by exactly 43 base64url characters. */
bool util_token_well_formed(const char *s);

/* Monotonic clock in microseconds. */
uint64_t util_now_us(void);

/* Wall-clock time: microseconds since the epoch. */
int64_t util_realtime_us(void);

#endif
