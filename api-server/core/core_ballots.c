/* core_ballots — the ballot operations (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ballot.h"
#include "config.h"
#include "core_ballots.h"
#include "deckeys.h"
#include "payload.h"
#include "store_decisions.h"

typedef void (*cast_cb_t)(void *arg, const struct problem *no, const struct core_cast *r);

/* A cast in progress: the payload (wiped when it ends) and the ballot's id. */
struct cast {
	struct core *c;
	cast_cb_t cb;
	void *arg;
	unsigned char *payload;
	int len;
	char decision[UTIL_UUID_LEN + 1], account[UTIL_UUID_LEN + 1];
	char ballot_id[UTIL_UUID_LEN + 1];
};

static void
cast_end(struct cast *k, const struct problem *no, bool replaced)
{
	struct core_cast r = {k->ballot_id, replaced};

	k->cb(k->arg, no, no == NULL ? &r : NULL);
	if (k->payload != NULL)
		OPENSSL_cleanse(k->payload, (size_t)k->len);
	free(k->payload);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

static void
stored_cb(void *arg, const struct problem *no, enum store_cast done, bool replaced,
	  const char *opens_at, const char *closes_at)
{
	struct cast *k = arg;
	struct problem why;

	if (no == NULL) {
		switch (done) {
		case STORE_CAST_OK:
			break;
		case STORE_CAST_NOT_FOUND:
			no = problem_set(&why, 404, "not-found", "There is no such decision.");
			break;
		case STORE_CAST_NOT_VOTER:
			no = problem_set(&why, 403, "not-enfranchised",
					 "This account is not in the voter franchise of the "
					 "decision.");
			break;
		case STORE_CAST_NOT_OPEN:
		case STORE_CAST_CLOSED:
			no = problem_set(&why, 409, "outside-phase",
					 "Ballots are accepted from %s until %s%s.", opens_at,
					 closes_at, done == STORE_CAST_CLOSED ? "; voting has closed"
									     : "");
			break;
		}
	}
	cast_end(k, no, replaced);
}

static void
keys_cb(void *arg, const struct problem *no, const struct deckey *k)
{
	struct cast *c = arg;
	unsigned char slot[BALLOT_SLOT_LEN], *sealed = NULL;
	struct problem why;
	size_t len;

	if (no != NULL) {
		cast_end(c, no, false);
		return;
	}
	if (k == NULL) {
		cast_end(c, problem_set(&why, 409, "outside-phase", "Voting has closed: the "
					"decision was concluded, and its ballots purged."), false);
		return;
	}
	if (k->ballot_size > 0 && c->len > k->ballot_size) {
		cast_end(c, problem_set(&why, 413, "payload-too-large", "A ballot of this decision "
					"holds at most %d bytes (its ballot_size); this one has %d.",
					k->ballot_size, c->len), false);
		return;
	}
	len = ballot_sealed_len(k->ballot_size, (size_t)c->len);
	crypto_slot(&k->k, c->account, slot);
	if ((sealed = malloc(len)) == NULL || util_uuid_v4(c->ballot_id) != 0 ||
	    ballot_seal(k->k.ballot, c->decision, slot, c->ballot_id, c->payload, (size_t)c->len,
			k->ballot_size, sealed) != 0) {
		free(sealed);
		cast_end(c, problem_set(&why, 500, "internal-error", "Could not seal the ballot."),
			 false);
		return;
	}
	store_ballot_cast(c->c->db, c->decision, c->account, slot, sealed, (int)len, stored_cb, c);
	free(sealed);
}

void
core_ballot_cast(struct core *c, const struct principal *caller, const char *decision,
		 const char *payload_b64, size_t len, cast_cb_t cb, void *arg)
{
	const struct problem *why;
	struct problem no;
	struct cast *k;
	unsigned char *payload;
	int n;

	if (caller->kind != PRINCIPAL_ACCOUNT) {
		cb(arg, problem_set(&no, 401, "wrong-credential-kind", "Ballots are cast by "
				    "accounts."), NULL);
		return;
	}
	if ((why = payload_decode(&no, payload_b64, len, (size_t)c->cfg->max_payload_size,
				  &payload, &n)) != NULL) {
		cb(arg, why, NULL);
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		OPENSSL_cleanse(payload, (size_t)n);
		free(payload);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	k->c = c;
	k->cb = cb;
	k->arg = arg;
	k->payload = payload;
	k->len = n;
	snprintf(k->decision, sizeof(k->decision), "%s", decision);
	snprintf(k->account, sizeof(k->account), "%s", caller->account_id);
	deckeys_get(c, decision, keys_cb, k);
}

typedef void (*mine_cb_t)(void *arg, const struct problem *no, const struct core_ballot_status *s);

/* "Have I voted" across its query: the caller's slot and the decision's keys. */
struct mine {
	struct core *c;
	mine_cb_t cb;
	void *arg;
	char decision[UTIL_UUID_LEN + 1], account[UTIL_UUID_LEN + 1];
	unsigned char slot[BALLOT_SLOT_LEN];
	struct deckey k;
};

static void
mine_end(struct mine *m, const struct problem *no, const struct core_ballot_status *s)
{
	m->cb(m->arg, no, no == NULL ? s : NULL);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

static void
ballot_cb(void *arg, const struct problem *no, bool found, bool voter, bool voted,
	  const unsigned char *sealed, size_t n)
{
	struct mine *m = arg;
	struct core_ballot_status s = {voter, voted, NULL};
	char id[UTIL_UUID_LEN + 1] = "";
	unsigned char *out = NULL;
	struct ballot_plain p;
	struct problem why;

	if (no == NULL && !found)
		no = problem_set(&why, 404, "not-found", "There is no such decision.");
	if (no == NULL && sealed != NULL && (out = malloc(n + 1)) != NULL &&
	    ballot_open(NULL, m->k.k.ballot, m->decision, m->slot, sealed, n, m->k.ballot_size,
			out, &p) == 0) {
		snprintf(id, sizeof(id), "%.*s", BALLOT_ID_LEN, p.id);
		s.ballot_id = id;
	}
	if (out != NULL)
		OPENSSL_cleanse(out, n);
	free(out);
	mine_end(m, no, &s);
}

static void
mine_keys_cb(void *arg, const struct problem *no, const struct deckey *k)
{
	struct mine *m = arg;
	struct problem why;

	if (no == NULL && k == NULL)
		no = problem_set(&why, 404, "not-found", "There is no such decision: its ballots "
				 "were purged at the end of its retention period.");
	if (no != NULL) {
		mine_end(m, no, NULL);
		return;
	}
	m->k = *k;
	crypto_slot(&k->k, m->account, m->slot);
	store_ballot_get(m->c->db, m->decision, m->account, m->slot, ballot_cb, m);
}

void
core_ballot_mine(struct core *c, const struct principal *caller, const char *decision,
		 mine_cb_t cb, void *arg)
{
	struct mine *m;
	struct problem no;

	if (caller->kind != PRINCIPAL_ACCOUNT) {
		cb(arg, problem_set(&no, 401, "wrong-credential-kind", "Only an account has a "
				    "ballot."), NULL);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	m->c = c;
	m->cb = cb;
	m->arg = arg;
	snprintf(m->decision, sizeof(m->decision), "%s", decision);
	snprintf(m->account, sizeof(m->account), "%s", caller->account_id);
	deckeys_get(c, decision, mine_keys_cb, m);
}
