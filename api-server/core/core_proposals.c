/* core_proposals — the proposal operations (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "core_proposals.h"
#include "crypto.h"
#include "payload.h"
#include "store_decisions.h"

typedef void (*added_cb_t)(void *arg, const struct problem *no, const char *id,
			   const char *created_at);

struct adding {
	added_cb_t cb;
	void *arg;
	char id[UTIL_UUID_LEN + 1];
};

static void
added_cb(void *arg, const struct problem *no, const char *created_at)
{
	struct adding *a = arg;

	a->cb(a->arg, no, no == NULL ? a->id : NULL, created_at);
	free(a);
}

void
core_proposal_add(struct core *c, const struct principal *caller, const char *decision,
		  const char *payload_b64, size_t len, added_cb_t cb, void *arg)
{
	struct decision_bounds b = {c->cfg->max_document_size, c->cfg->count_result_max};
	const struct problem *why;
	struct problem no;
	unsigned char *payload;
	struct adding *a;
	int n;

	if (caller->kind != PRINCIPAL_ACCOUNT) {
		cb(arg, problem_set(&no, 401, "wrong-credential-kind",
				    "Proposals are made by accounts."), NULL, NULL);
		return;
	}
	if ((why = payload_decode(&no, payload_b64, len, (size_t)c->cfg->max_payload_size,
				  &payload, &n)) != NULL) {
		cb(arg, why, NULL, NULL);
		return;
	}
	if ((a = malloc(sizeof(*a))) == NULL || util_uuid_v4(a->id) != 0) {
		free(a);
		free(payload);
		cb(arg, problem_set(&no, 500, "internal-error", "Could not make a proposal id."),
		   NULL, NULL);
		return;
	}
	a->cb = cb;
	a->arg = arg;
	store_proposal_add(c->db, decision, caller->account_id, a->id, payload, n,
			   c->cfg->max_proposals, &b, added_cb, a);
	free(payload);
}

typedef void (*listed_cb_t)(void *arg, const struct problem *no, const struct core_proposal *ps,
			    size_t n);

struct listing {
	listed_cb_t cb;
	void *arg;
	struct principal caller;
	char decision[UTIL_UUID_LEN + 1];
};

/* Each proposer's account becomes its pseudonym, and what the caller may see of it. */
static void
listed_cb(void *arg, const struct problem *no, bool found, const struct core_proposal *rows,
	  size_t n)
{
	struct listing *l = arg;
	struct core_proposal *ps = n > 0 ? calloc(n, sizeof(*ps)) : NULL;
	char (*pseudonyms)[CRYPTO_PSEUDONYM_LEN + 1] = n > 0 ? calloc(n, sizeof(*pseudonyms)) : NULL;
	bool svc = l->caller.kind == PRINCIPAL_SERVICE;
	struct problem why;

	if (no == NULL && !found)
		no = problem_set(&why, 404, "not-found", "There is no such decision.");
	else if (no == NULL && n > 0 && (ps == NULL || pseudonyms == NULL))
		no = problem_set(&why, 500, "internal-error", "Out of memory.");
	for (size_t i = 0; no == NULL && i < n; i++) {
		const char *account = rows[i].proposer; /* the store's: an account id, or NULL */
		ps[i] = rows[i];
		if (account != NULL)
			crypto_pseudonym(l->decision, account, pseudonyms[i]);
		ps[i].proposer = pseudonyms[i];
		ps[i].proposer_account = svc ? account : NULL;
		ps[i].mine = !svc && account != NULL && strcmp(account, l->caller.account_id) == 0;
	}
	l->cb(l->arg, no, no == NULL ? ps : NULL, no == NULL ? n : 0);
	free(ps);
	free(pseudonyms);
	free(l);
}

void
core_proposals_list(struct core *c, const struct principal *caller, const char *decision,
		    listed_cb_t cb, void *arg)
{
	struct listing *l = malloc(sizeof(*l));
	bool svc = caller->kind == PRINCIPAL_SERVICE;
	struct problem no;

	if (l == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
		return;
	}
	l->cb = cb;
	l->arg = arg;
	l->caller = *caller;
	snprintf(l->decision, sizeof(l->decision), "%s", decision);
	store_proposals_list(c->db, decision, svc ? caller->service_id : NULL,
			     svc ? NULL : caller->account_id, listed_cb, l);
}
