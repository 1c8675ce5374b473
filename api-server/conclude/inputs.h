/* inputs — the count's inputs, prepared from a decision's rows (DESIGN §4, §7).
 *
 * The ballots are opened; every account id is replaced by its pseudonym; the participants
 * are worked out from the ballot slots (a voter took part when the slot of their account
 * id holds a ballot: nothing else in the database says who voted); everything is sorted
 * as the count contract says, so that a re-count sees the same frozensets in the same
 * order. Pure: no event loop and no global state. inputs_prepare runs on a conclusion's
 * thread and splits its work over a second one. */
#ifndef FREECOOP_INPUTS_H
#define FREECOOP_INPUTS_H

#include <stddef.h>

#include "core/crypto.h"
#include "core/store_conclude.h"
#include "wire.h"

/* The rows of one decision (borrowed), as store_conclude reads them. */
struct inputs_rows {
	const char *decision_id;
	const struct crypto_deckey *k;
	int ballot_size;           /* 0: ballots sealed unpadded (before migration 0005) */
	const struct store_rows *ballots;   /* store_conclude_ballots' */
	const struct store_rows *franchise; /* store_conclude_franchise's */
	const struct store_rows *proposals; /* store_conclude_proposals' */
};

/* The prepared inputs. in's method and limits are the caller's to set; its proposal ids
 * point into rows->proposals, which must outlive it. */
struct inputs {
	struct wire_count in;
	unsigned char *plain;     /* opened ballots, one after another */
	size_t plain_len;
	char *pseudonyms;         /* one per franchise row, then one per proposal */
	unsigned char *payloads;  /* decoded proposal payloads */
};

/* Prepares in (zeroed by the caller) from rows. Returns 0, or -1 with the reason in
 * err: memory ran out, a ballot does not open, a ballot's slot is no voter's, a proposal's
 * payload is malformed. inputs_free(in) afterwards in both cases. */
int inputs_prepare(struct inputs *in, const struct inputs_rows *rows, char *err, size_t errlen);

/* Sorts v[0..n), elements of size bytes each holding a struct wire_bytes id at offset
 * id_at, exactly as qsort with cmp would, where cmp orders by those ids as bytes (memcmp,
 * then the shorter first) and ties further in any way: by the ids' first eight bytes in a
 * radix sort, then runs that share them by cmp. A million pseudonyms take tens of
 * milliseconds where qsort took half a second. */
void inputs_sort(void *v, size_t n, size_t size, size_t id_at,
		 int (*cmp)(const void *, const void *));

/* Wipes the opened ballots and frees everything in holds; it is zeroed after. */
void inputs_free(struct inputs *in);

#endif
