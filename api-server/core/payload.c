/* payload — decoding a payload (see the header). */
#include <stdlib.h>

#include "b64.h"
#include "payload.h"

const struct problem *
payload_decode(struct problem *no, const char *b64, size_t len, size_t max, unsigned char **out,
	       int *n)
{
	unsigned char *p;
	ssize_t got;

	*out = NULL;
	if (b64_decoded_max(len) > max + 3) /* more than max bytes, whatever the padding */
		return problem_set(no, 413, "payload-too-large",
				   "The payload may hold at most %zu bytes.", max);
	if ((p = malloc(b64_decoded_max(len) + 1)) == NULL)
		return problem_set(no, 500, "internal-error", "Out of memory.");
	got = b64_decode(b64, len, p, b64_decoded_max(len), false);
	if (got < 0 || (size_t)got > max) {
		free(p);
		if (got < 0)
			return problem_set(no, 422, "invalid-request",
					   "The payload must be standard base64 (with padding).");
		return problem_set(no, 413, "payload-too-large",
				   "The payload may hold at most %zu bytes.", max);
	}
	*out = p;
	*n = (int)got;
	return NULL;
}
