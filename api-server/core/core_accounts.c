/* core_accounts — the account operations (see the header). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core_accounts.h"
#include "store_accounts.h"

void
core_account_create(struct core *c, const struct principal *caller, const char *name,
		    core_account_cb cb, void *arg)
{
	char id[UTIL_UUID_LEN + 1];
	struct problem no;

	if (caller->kind != PRINCIPAL_SERVICE) {
		cb(arg, problem_set(&no, 401, "wrong-credential-kind",
				    "Only a service creates accounts."), NULL);
		return;
	}
	if (util_uuid_v4(id) != 0) {
		cb(arg, problem_set(&no, 500, "internal-error", "Could not make an account id."), NULL);
		return;
	}
	store_account_insert(c->db, id, caller->service_id, name, cb, arg);
}

/* A store answer of no row is an unknown account. */
struct get_call {
	core_account_cb cb;
	void *arg;
};

static void
got_cb(void *arg, const struct problem *no, const struct core_account *a)
{
	struct get_call *g = arg;
	struct problem none;

	if (no == NULL && a == NULL)
		no = problem_set(&none, 404, "not-found", "There is no such account.");
	g->cb(g->arg, no, a);
	free(g);
}

void
core_account_get(struct core *c, const struct principal *caller, const char *id,
		 core_account_cb cb, void *arg)
{
	struct problem no;
	struct core_account self;
	struct get_call *g;

	if (caller->kind == PRINCIPAL_ACCOUNT) {
		/* An account sees only itself; any other id is as absent as an unknown one. */
		if (strcmp(id, caller->account_id) != 0) {
			cb(arg, problem_set(&no, 404, "not-found", "There is no such account."),
			   NULL);
			return;
		}
		self = (struct core_account){caller->account_id,
					     caller->account_named ? caller->account_name : NULL,
					     caller->account_created_at, true};
		cb(arg, NULL, &self);
		return;
	}
	if ((g = malloc(sizeof(*g))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	*g = (struct get_call){cb, arg};
	store_account_get(c->db, id, caller->service_id, got_cb, g);
}

/* A claim in flight: the token made for it, wiped when it ends. */
struct claim {
	core_claim_cb cb;
	void *arg;
	char token[UTIL_TOKEN_LEN + 1];
};

static void
claimed_cb(void *arg, const struct problem *no, bool found, bool claimed)
{
	struct claim *k = arg;
	struct problem why;

	if (no == NULL && !found)
		no = problem_set(&why, 404, "not-found", "There is no such account.");
	else if (no == NULL && !claimed)
		no = problem_set(&why, 409, "already-claimed",
				 "The authorization token of this account was issued before; it "
				 "is never issued twice.");
	k->cb(k->arg, no, no == NULL ? k->token : NULL);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

void
core_account_claim(struct core *c, const char *id, core_claim_cb cb, void *arg)
{
	unsigned char hash[UTIL_SHA256_LEN];
	struct problem no;
	struct claim *k = calloc(1, sizeof(*k));

	if (k == NULL || util_token_new("aut_", k->token) != 0) {
		free(k);
		cb(arg, problem_set(&no, 500, "internal-error", "Could not make a token."), NULL);
		return;
	}
	k->cb = cb;
	k->arg = arg;
	util_sha256(k->token, UTIL_TOKEN_LEN, hash);
	store_account_claim(c->db, id, hash, claimed_cb, k);
}
