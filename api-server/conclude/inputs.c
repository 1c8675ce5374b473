/* inputs — opening the ballots, pseudonyms, participants from slots, the count's order. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "core/ballot.h"
#include "core/crypto.h"
#include "inputs.h"

/* A voter's slot, and where their pseudonym is. */
struct voter_slot {
	unsigned char slot[BALLOT_SLOT_LEN];
	const char *pseudonym;
	bool voted;
};

/* The work of the second thread, and what it leaves for the matching. */
struct sets_job {
	struct inputs *in;
	const struct inputs_rows *rows;
	struct voter_slot *voters;
	size_t nvoters;
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

static int
slot_cmp(const void *x, const void *y)
{
	return memcmp(((const struct voter_slot *)x)->slot, ((const struct voter_slot *)y)->slot,
		      BALLOT_SLOT_LEN);
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
 * voter's slot (sorted by slot); returns 0 or -1 with j->error set. */
static int
franchise_sets(struct sets_job *j)
{
	struct inputs *in = j->in;
	size_t nf = store_rows_count(j->rows->franchise);
	struct crypto_mac *mac = crypto_mac_new(j->rows->k->slot, CRYPTO_KEY_LEN);
	int r = -1;

	j->voters = calloc(nf + 1, sizeof(*j->voters));
	for (int s = 0; s < 3; s++)
		in->in.sets[s] = calloc(nf + 1, sizeof(struct wire_bytes));
	if (mac == NULL || j->voters == NULL || in->in.sets[0] == NULL ||
	    in->in.sets[1] == NULL || in->in.sets[2] == NULL) {
		snprintf(j->error, sizeof(j->error), "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nf; i++) {
		char *ps = in->pseudonyms + i * CRYPTO_PSEUDONYM_LEN;
		const char *account;
		bool proposer, voter;
		struct wire_bytes b = {(const unsigned char *)ps, CRYPTO_PSEUDONYM_LEN};
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
		j->voters[j->nvoters++].pseudonym = ps;
	}
	for (int s = 1; s < 3; s++)
		qsort(in->in.sets[s], in->in.nsets[s], sizeof(struct wire_bytes), set_cmp);
	qsort(j->voters, j->nvoters, sizeof(*j->voters), slot_cmp);
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

/* The participants: the voters whose slot holds a ballot, in pseudonym order. Every
 * ballot's slot must be exactly one voter's: a ballot without a voter is damage. */
static int
participants(struct inputs *in, const struct inputs_rows *rows, struct sets_job *j, char *err,
	     size_t errlen)
{
	size_t n = store_rows_count(rows->ballots), slot_len, len;
	const unsigned char *slot, *sealed;

	for (size_t i = 0; i < n; i++) {
		struct voter_slot key, *v;
		store_ballot_at(rows->ballots, i, &slot, &slot_len, &sealed, &len);
		memcpy(key.slot, slot, BALLOT_SLOT_LEN);
		v = bsearch(&key, j->voters, j->nvoters, sizeof(*v), slot_cmp);
		if (v == NULL || v->voted) {
			snprintf(err, errlen, "a ballot's slot is %s", v == NULL ? "no voter's"
										  : "taken twice");
			return -1;
		}
		v->voted = true;
	}
	for (size_t i = 0; i < j->nvoters; i++)
		if (j->voters[i].voted)
			in->in.sets[0][in->in.nsets[0]++] = (struct wire_bytes){
				(const unsigned char *)j->voters[i].pseudonym, CRYPTO_PSEUDONYM_LEN};
	qsort(in->in.sets[0], in->in.nsets[0], sizeof(struct wire_bytes), set_cmp);
	qsort(in->in.ballots, in->in.nballots, sizeof(*in->in.ballots), ballot_cmp);
	return 0;
}

int
inputs_prepare(struct inputs *in, const struct inputs_rows *rows, char *err, size_t errlen)
{
	size_t nps = store_rows_count(rows->franchise) + store_rows_count(rows->proposals);
	struct sets_job j = {in, rows, NULL, 0, -1, ""};
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
