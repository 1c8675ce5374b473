/* payload — a proposal's or a ballot's payload as the API carries it: standard base64 of
 * at most max_payload_size bytes. */
#ifndef FREECOOP_PAYLOAD_H
#define FREECOOP_PAYLOAD_H

#include <stddef.h>

#include "problem.h"

/* Decodes b64 (len bytes) into a new buffer (*out, caller wipes and frees; *n its
 * bytes); or the refusal: 413 payload-too-large past max bytes, 422 invalid-request when it
 * is not base64 (500 without memory). */
const struct problem *payload_decode(struct problem *no, const char *b64, size_t len, size_t max,
				     unsigned char **out, int *n);

#endif
