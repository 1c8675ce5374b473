/* published — the inputs object of a published result document (DESIGN §7) read straight
 * into a COUNT frame, for `count-worker --once`: no tree, no block per string. */
#ifndef FREECOOP_PUBLISHED_H
#define FREECOOP_PUBLISHED_H

#include <stddef.h>

#include "wire.h"

#define PUBLISHED_BAD (-1)       /* not an inputs object (or a document holding one) */
#define PUBLISHED_TOO_LARGE (-2) /* the frame could not be built: no memory, or over 4 GiB */

/* Appends to b a COUNT frame of method, limits and the inputs in text[0..len): a JSON
 * text that jsonv_check accepted, either the inputs object itself or an object with a
 * member "inputs" holding it (a result document's payload). The inputs object must have
 * the arrays proposals (objects with string members id, proposer and payload), ballots
 * (objects with string members id and payload), participants, proposer_franchise and
 * voter_franchise (strings); other members are ignored. Strings are unescaped; payloads
 * are strict standard base64 and go into the frame decoded. Elements keep their order.
 * Returns 0, PUBLISHED_BAD or PUBLISHED_TOO_LARGE (b then holds an incomplete frame: reset it).
 * Never reads outside text[0..len), whatever the text. */
int published_encode_count(struct wire_buf *b, const char *text, size_t len,
                           struct wire_bytes method, const struct wire_limits *limits);

#endif
