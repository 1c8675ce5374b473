/* b64 — base64 (RFC 4648 §4, padded) and base64url (§5, unpadded), with strict decoding:
 * one accepted text per byte string, so a decoded token or key compares as its text. */
#include "b64.h"

#include <limits.h>
#include <stdint.h>

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
b64_symbol_value(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

size_t
b64_encoded_len(size_t n, bool url)
{
	static const size_t tail[3] = {0, 2, 3};

	if (url)
		return n / 3 * 4 + tail[n % 3];
	return (n / 3 + (n % 3 != 0)) * 4;
}

size_t
b64_encode(const unsigned char *src, size_t n, char *dst, bool url)
{
	const char *alpha = url ? url_alphabet : std_alphabet;
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = alpha[v >> 18 & 63];
		dst[o++] = alpha[v >> 12 & 63];
		dst[o++] = alpha[v >> 6 & 63];
		dst[o++] = alpha[v & 63];
	}
	if (i < n) {
		v = (uint32_t)src[i] << 16 | (i + 1 < n ? (uint32_t)src[i + 1] << 8 : 0);
		dst[o++] = alpha[v >> 18 & 63];
		dst[o++] = alpha[v >> 12 & 63];
		if (i + 1 < n)
			dst[o++] = alpha[v >> 6 & 63];
		else if (!url)
			dst[o++] = '=';
		if (!url)
			dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

size_t
b64_decoded_max(size_t n)
{
	return n / 4 * 3 + (n % 4 > 1 ? n % 4 - 1 : 0);
}

/* Decodes k (2..4) symbols at s into k - 1 bytes at d. Returns k - 1, or -1 if a symbol is
 * not in the alphabet or the bits below the last whole byte are not zero. */
static int
decode_group(const char *s, size_t k, bool url, unsigned char *d)
{
	uint32_t v = 0;
	size_t i, nbytes = k - 1;
	int sym;

	for (i = 0; i < k; i++) {
		if ((sym = b64_symbol_value((unsigned char)s[i], url)) < 0)
			return -1;
		v = v << 6 | (uint32_t)sym;
	}
	v <<= 6 * (4 - k);
	if ((v & ((UINT32_C(1) << (24 - 8 * nbytes)) - 1)) != 0)
		return -1;
	for (i = 0; i < nbytes; i++)
		d[i] = (unsigned char)(v >> (16 - 8 * i));
	return (int)nbytes;
}

/* Returns how many leading characters of src[0..n) carry data, or (size_t)-1 if the length
 * or the padding is wrong for the variant. Padded text is whole quads ending in at most two
 * '='; unpadded text can never leave a single symbol over. */
static size_t
data_length(const char *src, size_t n, bool url)
{
	size_t body = n;

	if (url)
		return n % 4 == 1 ? (size_t)-1 : n;
	if (n % 4 != 0)
		return (size_t)-1;
	if (body > 0 && src[body - 1] == '=')
		body--;
	if (body > 0 && src[body - 1] == '=')
		body--;
	return body;
}

ssize_t
b64_decode(const char *src, size_t n, unsigned char *dst, size_t dstcap, bool url)
{
	size_t body, i, o = 0, k;
	int r;

	if ((body = data_length(src, n, url)) == (size_t)-1)
		return -1;
	if (b64_decoded_max(body) > dstcap || b64_decoded_max(body) > SSIZE_MAX)
		return -1;
	for (i = 0; i < body; i += k) {
		k = body - i < 4 ? body - i : 4;
		if ((r = decode_group(src + i, k, url, dst + o)) < 0)
			return -1;
		o += (size_t)r;
	}
	return (ssize_t)o;
}
