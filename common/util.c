/* util — small helpers over OpenSSL and the clock. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"
#include "util.h"

int
util_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

/* Fetched once for the life of the process: EVP_sha256() makes OpenSSL look the
 * implementation up again on every use, which cost more than hashing a token. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
util_md_sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

/* One digest context per thread, reused (EVP_Digest allocates and frees one each call,
 * which costs more than hashing a token), freed when its thread ends. */
static pthread_key_t ctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;
static bool ctx_key_ok;

static void
ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
ctx_key_make(void)
{
	ctx_key_ok = pthread_key_create(&ctx_key, ctx_free) == 0;
}

void
util_sha256(const void *data, size_t n, unsigned char out[UTIL_SHA256_LEN])
{
	unsigned int len = UTIL_SHA256_LEN;
	EVP_MD_CTX *ctx = NULL;

	pthread_once(&ctx_once, ctx_key_make);
	if (ctx_key_ok && (ctx = pthread_getspecific(ctx_key)) == NULL &&
	    (ctx = EVP_MD_CTX_new()) != NULL && pthread_setspecific(ctx_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	if (ctx == NULL || EVP_DigestInit_ex2(ctx, util_md_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, data, n) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
		EVP_Digest(data, n, out, &len, util_md_sha256(), NULL);
}

size_t
util_json_quote(const char *s, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;

	if (cap < 3)
		return 0;
	out[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		const char *short_form = NULL;

		if (n + 7 > cap) /* the longest escape, the closing quote and the NUL */
			return 0;
		switch (*p) {
		case '"': short_form = "\\\""; break;
		case '\\': short_form = "\\\\"; break;
		case '\b': short_form = "\\b"; break;
		case '\f': short_form = "\\f"; break;
		case '\n': short_form = "\\n"; break;
		case '\r': short_form = "\\r"; break;
		case '\t': short_form = "\\t"; break;
		default:
			if (*p < 0x20) {
				memcpy(out + n, "\\u00", 4);
				out[n + 4] = digits[*p >> 4];
				out[n + 5] = digits[*p & 15];
				n += 6;
			} else {
				out[n++] = (char)*p;
			}
			continue;
		}
		out[n++] = short_form[0];
		out[n++] = short_form[1];
	}
	out[n++] = '"';
	out[n] = '\0';
	return n;
}

void
util_hex(const unsigned char *data, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * n] = '\0';
}

int
util_uuid_v4(char out[UTIL_UUID_LEN + 1])
{
	unsigned char b[16];

	if (util_random(b, sizeof(b)) != 0)
		return -1;
	util_uuid_from(b, out);
	return 0;
}

void
util_uuid_from(unsigned char b[16], char out[UTIL_UUID_LEN + 1])
{
	char hex[33];

	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	util_hex(b, 16, hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

bool
util_uuid_parse(const char *s, char out[UTIL_UUID_LEN + 1])
{
	for (int i = 0; i < UTIL_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	if (s[UTIL_UUID_LEN] != '\0')
		return false;
	if (out != NULL) {
		for (int i = 0; i <= UTIL_UUID_LEN; i++)
			out[i] = (char)tolower((unsigned char)s[i]);
	}
	return true;
}

int
util_token_new(const char *prefix, char out[UTIL_TOKEN_LEN + 1])
{
	unsigned char secret[UTIL_TOKEN_BYTES];

	if (strlen(prefix) != 4 || util_random(secret, sizeof(secret)) != 0)
		return -1;
	memcpy(out, prefix, 4);
	b64_encode(secret, sizeof(secret), out + 4, true);
	OPENSSL_cleanse(secret, sizeof(secret));
	return 0;
}

bool
util_token_well_formed(const char *s)
{
	int v = 0;

	if (strncmp(s, "svc_", 4) != 0 && strncmp(s, "aut_", 4) != 0 &&
	    strncmp(s, "acc_", 4) != 0)
		return false;
	/* 43 digits of base64url without padding are 258 bits for 256: the last digit's two
	 * low bits are 0 in the one encoding of the secret (as b64_decode's strict mode). */
	for (int i = 4; i < UTIL_TOKEN_LEN; i++)
		if ((v = b64_symbol_value((unsigned char)s[i], true)) < 0)
			return false;
	return (v & 3) == 0 && s[UTIL_TOKEN_LEN] == '\0';
}

int64_t
util_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool
util_unhex(const char *hex, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(hex[2 * i]), lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0';
}

bool
util_uuid_bytes(const char *s, unsigned char out[16])
{
	int n = 0;

	for (int i = 0; i < UTIL_UUID_LEN; i++) {
		int v;
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
			continue;
		}
		if ((v = hex_value(s[i])) < 0)
			return false;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(v << 4);
		else
			out[n / 2] |= (unsigned char)v;
		n++;
	}
	return s[UTIL_UUID_LEN] == '\0';
}

/* Reads exactly n digits at *p into *v; advances *p. */
static bool
digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

bool
util_time_parse(const char *s, int64_t *us)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, scale = 1000000;
	struct tm tm = {0};
	const char *p = s;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d) || (*p != 'T' && *p != 't') || !digits((++p, &p), 2, &h) ||
	    *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &sec))
		return false;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			if (n >= 6)
				return false;
			scale /= 10;
			frac += (*p - '0') * scale;
		}
		if (n == 0)
			return false;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
			return false;
	} else {
		return false;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 59 || y < 1970)
		return false;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*us = ((int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60)) * 1000000 + frac;
	return true;
}

void
util_time_format(int64_t us, char *out)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, UTIL_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, UTIL_TIME_LEN + 1 - n, ".%06uZ", (unsigned)(us % 1000000) % 1000000u);
}
