/* core_tokens — the credential and access token operations (see the header). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "core_tokens.h"
#include "store_accounts.h"
#include "store_tokens.h"

/* Times an issuance is sent again because another instance's issuance for the same
 * account committed while it ran (each retry follows such a commit, so this bounds only a
 * livelock). Within this instance, the account's key (core->issuing) keeps them apart. */
#define ISSUE_ATTEMPTS 32

/* ---- resolving ---- */

struct resolve {
	core_principal_cb cb;
	void *arg;
	char prefix[5];
};

static void
found_cb(void *arg, const struct problem *no, enum core_credential found,
	 const struct principal *who)
{
	struct resolve *v = arg;
	struct problem why;

	if (no == NULL) {
		switch (found) {
		case CRED_OK:
			break;
		case CRED_REVOKED:
			no = problem_set(&why, 401, "token-revoked", "The access token was revoked.");
			break;
		case CRED_EXPIRED:
			no = problem_set(&why, 401, "token-expired",
					 "The access token has expired; get a new one with the "
					 "authorization token.");
			break;
		case CRED_UNKNOWN:
			if (strcmp(v->prefix, "svc_") == 0)
				no = problem_set(&why, 401, "invalid-credentials",
						 "The service key is unknown or its service is "
						 "disabled.");
			else
				no = problem_set(&why, 401, "invalid-credentials",
						 "The %s token is unknown, or its service is "
						 "disabled.",
						 strcmp(v->prefix, "aut_") == 0 ? "authorization"
										: "access");
			break;
		}
	}
	v->cb(v->arg, no, no == NULL ? who : NULL);
	free(v);
}

void
core_credential_resolve(struct core *c, const struct credential *cred, core_principal_cb cb,
			void *arg)
{
	struct resolve *v = malloc(sizeof(*v));
	struct problem no;

	if (v == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	v->cb = cb;
	v->arg = arg;
	memcpy(v->prefix, cred->prefix, sizeof(v->prefix));
	if (strcmp(cred->prefix, "svc_") == 0)
		store_service_by_key(c->db, cred->hash, found_cb, v);
	else if (strcmp(cred->prefix, "aut_") == 0)
		store_authorization_lookup(c->db, cred->hash, found_cb, v);
	else
		store_access_lookup(c->db, cred->hash, found_cb, v);
}

/* ---- issuing ---- */

/* An issuance in progress, holding or waiting for its account's key. */
struct issuance {
	struct keylock_waiter w; /* first: the key's callback finds the issuance */
	struct core *c;
	core_token_cb cb;
	void *arg;
	char account_id[UTIL_UUID_LEN + 1];
	char token[UTIL_TOKEN_LEN + 1];
	int attempts;
};

static void issued_cb(void *arg, const struct problem *no, enum store_issue done,
		      const char *expires_at);

static void
send_issue(struct issuance *is)
{
	unsigned char hash[UTIL_SHA256_LEN];
	const struct config *cfg = is->c->cfg;

	util_sha256(is->token, UTIL_TOKEN_LEN, hash);
	store_access_issue(is->c->db, hash, is->account_id, cfg->access_token_ttl,
			   cfg->max_access_tokens, issued_cb, is);
}

/* The issuance holds its account's key: the statement may go. */
static void
granted_cb(struct keylock_waiter *w)
{
	send_issue((struct issuance *)w);
}

static void
issued_cb(void *arg, const struct problem *no, enum store_issue done, const char *expires_at)
{
	struct issuance *is = arg;
	struct problem why;
	struct core_access_token t = {is->token, expires_at};

	if (no == NULL && done == STORE_ISSUE_AGAIN && ++is->attempts < ISSUE_ATTEMPTS) {
		send_issue(is); /* another instance issued for the account meanwhile: again */
		return;
	}
	/* The next issuance for the account may go (it is sent from inside this call). */
	keylock_give(&is->c->issuing, &is->w);
	if (no == NULL && done == STORE_ISSUE_GONE)
		no = problem_set(&why, 401, "invalid-credentials",
				 "The authorization token is unknown, or its service is disabled.");
	else if (no == NULL && done == STORE_ISSUE_AGAIN)
		no = problem_set(&why, 503, "service-unavailable",
				 "Too many access tokens are being issued to this account at once; "
				 "try again shortly.");
	is->cb(is->arg, no, no == NULL ? &t : NULL);
	OPENSSL_cleanse(is, sizeof(*is));
	free(is);
}

void
core_access_token_issue(struct core *c, const struct principal *caller, core_token_cb cb,
			void *arg)
{
	struct issuance *is = calloc(1, sizeof(*is));
	struct problem no;

	if (caller->kind != PRINCIPAL_ACCOUNT) {
		free(is);
		cb(arg, problem_set(&no, 401, "wrong-credential-kind",
				    "Access tokens are issued to an account."), NULL);
		return;
	}
	if (is == NULL || util_token_new("acc_", is->token) != 0) {
		free(is);
		cb(arg, problem_set(&no, 500, "internal-error", "Could not make a token."), NULL);
		return;
	}
	is->c = c;
	is->cb = cb;
	is->arg = arg;
	snprintf(is->account_id, sizeof(is->account_id), "%s", caller->account_id);
	is->w.granted = granted_cb;
	util_uuid_bytes(caller->account_id, is->w.key);
	keylock_take(&c->issuing, &is->w);
}

void
core_access_token_revoke(struct core *c, const unsigned char hash[UTIL_SHA256_LEN],
			 void (*cb)(void *arg, const struct problem *no), void *arg)
{
	store_access_revoke(c->db, hash, cb, arg);
}
