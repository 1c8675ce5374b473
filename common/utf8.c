/* utf8 — well-formedness checks and boundary-safe copies. */
#include "utf8.h"

size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

bool
utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t k;

	for (size_t i = 0; i < n; i += k)
		if ((k = utf8_seq_len(s + i, n - i)) == 0)
			return false;
	return true;
}

size_t
utf8_sanitize(const void *p, size_t n, char *out, size_t outsize)
{
	const unsigned char *s = p;
	size_t i = 0, o = 0, k;

	while (i < n) {
		k = utf8_seq_len(s + i, n - i);
		if (o + (k == 0 ? 1 : k) > outsize - 1)
			break;
		if (k == 0 || s[i] == '\0') {
			out[o++] = '?';
			i++;
			continue;
		}
		for (size_t j = 0; j < k; j++)
			out[o++] = (char)s[i + j];
		i += k;
	}
	out[o] = '\0';
	return o;
}
