/* inputs — opening the ballots, pseudonyms, participants from slots, the count's order. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "core/ballot.h"
#include "core/crypto.h"
#include "inputs.h"

/* A voter's slot, and their row in the franchise. */
struct voter_slot {
	unsigned char slot[BALLOT_SLOT_LEN];
	size_t row;
};

/* The work of the second thread, and what it leaves for the matching: the voters, and a
 * table of them by slot (open addressing; 0 is empty, else a voter's index + 1). */
struct sets_job {
	struct inputs *in;
	const struct inputs_rows *rows;
	struct voter_slot *voters;
	size_t nvoters;
	uint32_t *by_slot;
	size_t mask;
	int r;
	char error[256];
};

static int
bytes_cmp(const struct wire_bytes *x, const struct wire_bytes *y)
{
	uint32_t n = x->len < y->len ? x->len : y->len;
	int r = n > 0 ? memcmp(x->p, y->p, n) : 0;

	return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

static int
set_cmp(const void *x, const void *y)
{
	return bytes_cmp(x, y);
}

static int
ballot_cmp(const void *x, const void *y)
{
	return bytes_cmp(&((const struct wire_ballot *)x)->id, &((const struct wire_ballot *)y)->id);
}

static int
proposal_cmp(const void *x, const void *y)
{
	const struct wire_proposal *p = x, *q = y;
	int r = bytes_cmp(&p->id, &q->id);

	return r != 0 ? r : bytes_cmp(&p->proposer, &q->proposer);
}

/* ---- sorting a million ids: by their first eight bytes, the rest only on a tie ---- */

/* An element's first eight bytes as a big-endian number (shorter: padded with zeros), so
 * that numbers compare as bytes_cmp compares, up to ties; and where the element is. */
struct keyed {
	uint64_t key;
	size_t at;
};

static uint64_t
prefix_key(const struct wire_bytes *b)
{
	uint64_t k = 0;

	for (uint32_t i = 0; i < 8; i++)
		k = k << 8 | (i < b->len ? b->p[i] : 0);
	return k;
}

/* Sorts v[0..n) (elements of size bytes whose id is at offset id_at) as qsort with cmp
 * would: a least-significant-digit radix sort of the keys, a byte a pass (a pass where
 * every key has the same byte is skipped), then runs of equal keys by cmp. Returns 0, or
 * -1 without memory (v unchanged). */
static int
prefix_sort(void *v, size_t n, size_t size, size_t id_at, int (*cmp)(const void *, const void *))
{
	struct keyed *a = malloc((n + 1) * sizeof(*a)), *b = malloc((n + 1) * sizeof(*b)), *t;
	unsigned char *out = malloc(n * size + 1), *in = v;

	if (a == NULL || b == NULL || out == NULL) {
		free(a);
		free(b);
		free(out);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = (struct keyed){prefix_key((const struct wire_bytes *)(in + i * size + id_at)),
				      i};
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = {0};
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift & 0xff) + 1]++;
		if (n == 0 || count[(a[0].key >> shift & 0xff) + 1] == n)
			continue;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			b[count[a[i].key >> shift & 0xff]++] = a[i];
		t = a, a = b, b = t;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * size, in + a[i].at * size, size);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].key == a[i].key; j++)
			;
		if (j - i > 1)
			qsort(out + i * size, j - i, size, cmp);
	}
	memcpy(v, out, n * size);
	free(a);
	free(b);
	free(out);
	return 0;
}

void
inputs_sort(void *v, size_t n, size_t size, size_t id_at, int (*cmp)(const void *, const void *))
{
	if (prefix_sort(v, n, size, id_at, cmp) != 0)
		qsort(v, n, size, cmp); /* no memory for the fast way: the slow one needs none */
}

/* The table slot of a voter's slot: its first bytes (an HMAC: uniform, and nobody without
 * the decision's slot key chooses them). */
static size_t
slot_hash(const unsigned char slot[BALLOT_SLOT_LEN], size_t mask)
{
	uint64_t h;

	memcpy(&h, slot, sizeof(h));
	return (size_t)h & mask;
}

/* Opens every ballot into in->plain; returns 0 or -1 with err set. */
static int
open_ballots(struct inputs *in, const struct inputs_rows *rows, char *err, size_t errlen)
{
	size_t n = store_rows_count(rows->ballots), total = 0, off = 0, slot_len, len;
	const unsigned char *slot, *sealed;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int r = -1;

	if (ctx == NULL || crypto_ctx_key(ctx, rows->k->ballot, false) != 0) {
		snprintf(err, errlen, "could not set up the ballot key");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		store_ballot_at(rows->ballots, i, &slot, &slot_len, &sealed, &len);
		if (len < CRYPTO_SEAL_OVERHEAD + BALLOT_ID_LEN || slot_len != BALLOT_SLOT_LEN)
			goto bad;
		total += len - CRYPTO_SEAL_OVERHEAD;
	}
	in->in.ballots = calloc(n + 1, sizeof(*in->in.ballots));
	in->plain = malloc(total + 1);
	in->plain_len = total;
	if (in->in.ballots == NULL || in->plain == NULL) {
		snprintf(err, errlen, "out of memory opening %zu ballots", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct ballot_plain p;
		store_ballot_at(rows->ballots, i, &slot, &slot_len, &sealed, &len);
		if (ballot_open(ctx, NULL, rows->decision_id, slot, sealed, len, rows->ballot_size,
				in->plain + off, &p) != 0)
			goto bad;
		in->in.ballots[i].id = (struct wire_bytes){(const unsigned char *)p.id, BALLOT_ID_LEN};
		in->in.ballots[i].payload = (struct wire_bytes){p.payload, (uint32_t)p.len};
		off += len - CRYPTO_SEAL_OVERHEAD;
	}
	in->in.nballots = (uint32_t)n;
	r = 0;
	goto out;
bad:
	snprintf(err, errlen, "a sealed ballot does not open with the decision's key");
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* The pseudonyms of the franchise, the proposer and voter sets (sorted), and every
 * voter's slot (in j->voters, found by slot through j->by_slot); returns 0 or -1 with
 * j->error set. */
static int
franchise_sets(struct sets_job *j)
{
	struct inputs *in = j->in;
	size_t nf = store_rows_count(j->rows->franchise);
	struct crypto_mac *mac = crypto_mac_new(j->rows->k->slot, CRYPTO_KEY_LEN);
	int r = -1;

	for (j->mask = 15; j->mask < 2 * nf; j->mask = j->mask * 2 + 1)
		;
	j->by_slot = calloc(j->mask + 1, sizeof(*j->by_slot));
	j->voters = calloc(nf + 1, sizeof(*j->voters));
	for (int s = 0; s < 3; s++)
		in->in.sets[s] = calloc(nf + 1, sizeof(struct wire_bytes));
	if (mac == NULL || j->voters == NULL || j->by_slot == NULL || in->in.sets[0] == NULL ||
	    in->in.sets[1] == NULL || in->in.sets[2] == NULL) {
		snprintf(j->error, sizeof(j->error), "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nf; i++) {
		char *ps = in->pseudonyms + i * CRYPTO_PSEUDONYM_LEN;
		const char *account;
		bool proposer, voter;
		struct wire_bytes b = {(const unsigned char *)ps, CRYPTO_PSEUDONYM_LEN};
		size_t h;
		store_member_at(j->rows->franchise, i, &account, &proposer, &voter);
		crypto_pseudonym(j->rows->decision_id, account, ps);
		if (proposer)
			in->in.sets[1][in->in.nsets[1]++] = b;
		if (!voter)
			continue;
		in->in.sets[2][in->in.nsets[2]++] = b;
		if (crypto_mac_run(mac, account, strlen(account), j->voters[j->nvoters].slot) != 0) {
			snprintf(j->error, sizeof(j->error), "could not compute a slot");
			goto out;
		}
		j->voters[j->nvoters].row = i;
		h = slot_hash(j->voters[j->nvoters].slot, j->mask);
		while (j->by_slot[h] != 0)
			h = (h + 1) & j->mask;
		j->by_slot[h] = (uint32_t)++j->nvoters;
	}
	for (int s = 1; s < 3; s++)
		inputs_sort(in->in.sets[s], in->in.nsets[s], sizeof(struct wire_bytes), 0, set_cmp);
	r = 0;
out:
	crypto_mac_free(mac);
	return r;
}

/* The proposals with their proposers' pseudonyms, sorted; returns 0 or -1. */
static int
proposal_list(struct sets_job *j)
{
	struct inputs *in = j->in;
	size_t nf = store_rows_count(j->rows->franchise), np = store_rows_count(j->rows->proposals);
	size_t pay = 0, off = 0, id_len, b64_len;
	const char *id, *proposer, *b64;

	for (size_t i = 0; i < np; i++) {
		store_proposal_at(j->rows->proposals, i, &id, &id_len, &proposer, &b64, &b64_len);
		pay += b64_decoded_max(b64_len);
	}
	in->payloads = malloc(pay + 1);
	in->in.proposals = calloc(np + 1, sizeof(*in->in.proposals));
	if (in->payloads == NULL || in->in.proposals == NULL) {
		snprintf(j->error, sizeof(j->error), "out of memory");
		return -1;
	}
	for (size_t i = 0; i < np; i++) {
		struct wire_proposal *p = &in->in.proposals[i];
		char *ps = in->pseudonyms + (nf + i) * CRYPTO_PSEUDONYM_LEN;
		ssize_t n;
		store_proposal_at(j->rows->proposals, i, &id, &id_len, &proposer, &b64, &b64_len);
		n = b64_decode(b64, b64_len, in->payloads + off, pay - off + 1, false);
		if (n < 0) {
			snprintf(j->error, sizeof(j->error), "a proposal's payload is malformed");
			return -1;
		}
		p->id = (struct wire_bytes){(const unsigned char *)id, (uint32_t)id_len};
		if (proposer != NULL)
			crypto_pseudonym(j->rows->decision_id, proposer, ps);
		p->proposer = (struct wire_bytes){(const unsigned char *)ps,
						  proposer == NULL ? 0 : CRYPTO_PSEUDONYM_LEN};
		p->payload = (struct wire_bytes){in->payloads + off, (uint32_t)n};
		off += (size_t)n;
	}
	in->in.nproposals = (uint32_t)np;
	qsort(in->in.proposals, np, sizeof(*in->in.proposals), proposal_cmp);
	return 0;
}

static void *
sets_main(void *arg)
{
	struct sets_job *j = arg;

	j->r = franchise_sets(j) == 0 && proposal_list(j) == 0 ? 0 : -1;
	return NULL;
}

/* The participants: the voters whose slot holds a ballot, in pseudonym order (the voter
 * set's, already sorted, with the others left out). Every ballot's slot must be exactly
 * one voter's: a ballot without a voter is damage. */
static int
participants(struct inputs *in, const struct inputs_rows *rows, struct sets_job *j, char *err,
	     size_t errlen)
{
	size_t n = store_rows_count(rows->ballots), nf = store_rows_count(rows->franchise);
	size_t slot_len, len;
	const unsigned char *slot, *sealed;
	unsigned char *voted = calloc(nf + 1, 1);

	if (voted == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct voter_slot *v = NULL;
		size_t h;

		store_ballot_at(rows->ballots, i, &slot, &slot_len, &sealed, &len);
		for (h = slot_hash(slot, j->mask); j->by_slot[h] != 0; h = (h + 1) & j->mask) {
			v = &j->voters[j->by_slot[h] - 1];
			if (memcmp(v->slot, slot, BALLOT_SLOT_LEN) == 0)
				break;
			v = NULL;
		}
		if (v == NULL || voted[v->row]) {
			snprintf(err, errlen, "a ballot's slot is %s", v == NULL ? "no voter's"
										  : "taken twice");
			free(voted);
			return -1;
		}
		voted[v->row] = 1;
	}
	for (uint32_t i = 0; i < in->in.nsets[2]; i++) {
		const struct wire_bytes *b = &in->in.sets[2][i];
		if (voted[((const char *)b->p - in->pseudonyms) / CRYPTO_PSEUDONYM_LEN])
			in->in.sets[0][in->in.nsets[0]++] = *b;
	}
	free(voted);
	inputs_sort(in->in.ballots, in->in.nballots, sizeof(*in->in.ballots),
		 offsetof(struct wire_ballot, id), ballot_cmp);
	return 0;
}

int
inputs_prepare(struct inputs *in, const struct inputs_rows *rows, char *err, size_t errlen)
{
	size_t nps = store_rows_count(rows->franchise) + store_rows_count(rows->proposals);
	struct sets_job j = {.in = in, .rows = rows, .r = -1};
	pthread_t t;
	bool threaded;
	int r = -1;

	err[0] = '\0';
	if ((in->pseudonyms = malloc(nps * CRYPTO_PSEUDONYM_LEN + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The two halves share nothing; a million-voter decision spends seconds in each. */
	threaded = pthread_create(&t, NULL, sets_main, &j) == 0;
	if (open_ballots(in, rows, err, errlen) == 0 && !threaded)
		sets_main(&j);
	if (threaded)
		pthread_join(t, NULL);
	if (err[0] == '\0' && j.r != 0)
		snprintf(err, errlen, "%s", j.error);
	if (err[0] == '\0')
		r = participants(in, rows, &j, err, errlen);
	if (j.voters != NULL)
		OPENSSL_cleanse(j.voters, j.nvoters * sizeof(*j.voters));
	free(j.voters);
	free(j.by_slot);
	return r;
}

void
inputs_free(struct inputs *in)
{
	free(in->in.proposals);
	free(in->in.ballots);
	for (int i = 0; i < 3; i++)
		free(in->in.sets[i]);
	if (in->plain != NULL)
		OPENSSL_cleanse(in->plain, in->plain_len);
	free(in->plain);
	free(in->pseudonyms);
	free(in->payloads);
	memset(in, 0, sizeof(*in));
}
