/* fuzz_b64 — common/b64.c, which decodes tokens, keys, signatures and payloads that clients
 * send. Input: a flags byte (bit 0: base64url, else standard), a capacity byte, then bytes
 * used both as data to encode and as text to decode.
 *
 * Properties: encoding writes exactly b64_encoded_len symbols of the alphabet and a NUL,
 * and decodes back to the data, into exactly as many bytes and not one fewer; decoding
 * never writes past dstcap (every buffer is an exact heap block, so ASan sees one byte
 * over), gives the same bytes whatever the room as long as they fit, and what it accepts
 * is canonical: it re-encodes to the very text (one text per byte string, b64.h).
 * `--write-seeds DIR` writes the seed corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "b64.h"
#include "fuzz.h"

static bool
in_alphabet(char c, bool url)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == (url ? '-' : '+') || c == (url ? '_' : '/');
}

/* Whether text[0..n) is made of the variant's symbols, then (standard only) padding. */
static bool
well_formed(const char *text, size_t n, bool url)
{
	size_t i = 0;

	while (i < n && in_alphabet(text[i], url))
		i++;
	if (!url)
		while (i < n && text[i] == '=' && n - i <= 2)
			i++;
	return i == n;
}

/* Decodes text[0..n) into an exact heap block of cap bytes; returns the result, and the
 * decoded bytes in *out (the caller frees). */
static ssize_t
decode(const char *text, size_t n, size_t cap, bool url, unsigned char **out)
{
	ssize_t k;

	*out = malloc(cap);
	FUZZ_CHECK(*out != NULL || cap == 0);
	k = b64_decode(text, n, *out, cap, url);
	FUZZ_CHECK(k >= -1 && (k < 0 || (size_t)k <= cap));
	return k;
}

static void
check_encode(const unsigned char *data, size_t n, bool url)
{
	size_t len = b64_encoded_len(n, url);
	char *text = malloc(len + 1);
	unsigned char *back;

	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(b64_encode(data, n, text, url) == len && text[len] == '\0');
	FUZZ_CHECK(well_formed(text, len, url) && len % 4 != 1 && (url || len % 4 == 0));
	FUZZ_CHECK(b64_decoded_max(len) >= n);
	FUZZ_CHECK(decode(text, len, n, url, &back) == (ssize_t)n);
	FUZZ_CHECK(n == 0 || memcmp(back, data, n) == 0);
	free(back);
	if (n > 0) {
		FUZZ_CHECK(decode(text, len, n - 1, url, &back) == -1);
		free(back);
	}
	free(text);
}

static void
check_decode(const char *text, size_t n, size_t cap, bool url)
{
	size_t max = b64_decoded_max(n);
	unsigned char *full, *part;
	ssize_t k = decode(text, n, max, url, &full), k2;
	char *again;

	k2 = decode(text, n, cap, url, &part);
	if (k < 0 || (size_t)k > cap) {
		FUZZ_CHECK(k2 == -1);
	} else {
		FUZZ_CHECK(k2 == k && (k == 0 || memcmp(part, full, (size_t)k) == 0));
	}
	if (k >= 0) {
		FUZZ_CHECK(well_formed(text, n, url));
		again = malloc(b64_encoded_len((size_t)k, url) + 1);
		FUZZ_CHECK(again != NULL);
		FUZZ_CHECK(b64_encode(full, (size_t)k, again, url) == n);
		FUZZ_CHECK(memcmp(again, text, n) == 0);
		free(again);
	}
	free(full);
	free(part);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool url;
	size_t n, cap;
	char *text;

	if (size < 2)
		return 0;
	url = data[0] & 1;
	n = size - 2;
	/* a small room, or all b64_decoded_max promises */
	cap = data[1] < 0x80 ? data[1] : b64_decoded_max(n);
	text = (char *)fuzz_dup(data + 2, n);
	check_encode((const unsigned char *)text, n, false);
	check_encode((const unsigned char *)text, n, true);
	check_decode(text, n, cap, url);
	free(text);
	return 0;
}

/* ---- seeds ---- */

static void
seed(const char *name, bool url, uint8_t cap, const char *text)
{
	size_t n = strlen(text);
	unsigned char *p = malloc(n + 2);

	FUZZ_CHECK(p != NULL);
	p[0] = url;
	p[1] = cap;
	memcpy(p + 2, text, n);
	fuzz_seed(name, p, n + 2);
	free(p);
}

static void
write_seeds(void)
{
	unsigned char sig[64];
	char text[89];

	/* RFC 4648 §10 */
	seed("std-f", false, 0xff, "Zg==");
	seed("std-fo", false, 0xff, "Zm8=");
	seed("std-foobar", false, 0xff, "Zm9vYmFy");
	seed("url-fooba", true, 0xff, "Zm9vYmE");
	seed("url-symbols", true, 0xff, "-_-_");
	seed("std-symbols", false, 0xff, "+/+/");
	/* a 64-byte Ed25519 signature as auditors send it, with one byte too little room */
	for (size_t i = 0; i < sizeof(sig); i++)
		sig[i] = (unsigned char)(0xde + 37 * i);
	b64_encode(sig, sizeof(sig), text, false);
	seed("std-signature", false, 63, text);
	/* a page cursor and a JWS header from api-server/openapi.yaml */
	seed("url-cursor", true, 0xff,
	     "MjAyNi0xMS0yM1QyMToyNjoxNC4xMjM0NTZaIGMyZTRh"
	     "NmI4LTBkMWYtNGEzYy05ZTViLTdkOGYwYTJjNGU2Yg");
	seed("url-jws-header", true, 0xff,
	     "eyJhbGciOiJFZERTQSIsImtpZCI6IjZmMWMyYTVlLTdiMWQtNGUwYS05YzNmLTJiOGQ0ZTZhMWYwMCIsInR5"
	     "cCI6IkpPU0UiLCJjdHkiOiJkZWNpc2lvbi1yZXN1bHQranNvbiJ9");
	/* refused: bits set below the last byte, padding inside, a length no text has,
	 * whitespace, padding in base64url, the other alphabet */
	seed("std-stray-bits", false, 0xff, "Zh==");
	seed("std-pad-inside", false, 0xff, "Zm9v=mFy");
	seed("std-short", false, 0xff, "Zm9");
	seed("url-one-over", true, 0xff, "Zm9vY");
	seed("std-newline", false, 0xff, "Zm9v\nYmFy");
	seed("url-padded", true, 0xff, "Zg==");
	seed("url-std-symbols", true, 0xff, "+/+/");
	seed("empty", false, 0, "");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_seeds_mode(*argc, *argv, write_seeds);
	return 0;
}
