/* h_tokens — access tokens: issue one for an authorization token, revoke the current one. */
#include <stdbool.h>
#include <stdlib.h>

#include "core/keylock.h"
#include "core/store_tokens.h"
#include "http/http.h"
#include "v1.h"

static void issue_cb(const struct db_result *res, int row, void *arg);

/* Times an issuance is sent again because another instance's issuance for the same
 * account committed while it ran (each retry follows such a commit, so this bounds only a
 * livelock). Within this instance, the account's key (app->issuing) keeps them apart. */
#define ISSUE_ATTEMPTS 32

/* An issuance in progress: the request, holding or waiting for its account's key. */
struct issuance {
	struct keylock_waiter w; /* first: the key's callback finds the issuance */
	struct req *r;
	int attempts;
};

static void
send_issue(struct req *r)
{
	unsigned char hash[UTIL_SHA256_LEN];
	const struct config *cfg = r->app->cfg;

	util_sha256(r->secret, UTIL_TOKEN_LEN, hash);
	store_access_issue(r->app->db, hash, r->who.account_id, cfg->access_token_ttl,
			   cfg->max_access_tokens, issue_cb, r);
}

/* The issuance holds its account's key: the statement may go. */
static void
granted_cb(struct keylock_waiter *w)
{
	send_issue(((struct issuance *)w)->r);
}

/* Answers an issuance that is over (the account's key given up). */
static void
reply_issued(struct req *r, const struct db_result *res, int row, bool raced)
{
	struct json_object *o;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (row < 0) {
		req_reply_problem(r, 401, "invalid-credentials",
				  "The authorization token is unknown, or its service is "
				  "disabled.");
		return;
	}
	if (raced) {
		req_reply_problem(r, 503, "service-unavailable",
				  "Too many access tokens are being issued to this account at "
				  "once; try again shortly.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(r->secret));
	json_object_object_add(o, "expires_at",
			       json_object_new_string(PQgetvalue(res->res, row, 1)));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 201, o);
}

static void
issue_cb(const struct db_result *res, int row, void *arg)
{
	struct req *r = arg;
	struct issuance *is = r->state;
	bool raced = res->status == DB_OK && row >= 0 && PQgetisnull(res->res, row, 1);

	if (raced && ++is->attempts < ISSUE_ATTEMPTS) {
		send_issue(r); /* another instance issued for the account meanwhile: again */
		return;
	}
	/* The next issuance for the account may go (it is sent from inside this call). */
	keylock_give(&r->app->issuing, &is->w);
	reply_issued(r, res, row, raced);
}

/* The account is the authorization token's (auth_resolve looked it up, and its token,
 * account and service limits let the request through). */
void
h_access_tokens_create(struct req *r)
{
	struct json_object *body;
	struct issuance *is;

	if (req_body(r, NULL, 0, true, &body) != 0)
		return;
	json_object_put(body);
	if ((is = calloc(1, sizeof(*is))) == NULL || util_token_new("acc_", r->secret) != 0) {
		free(is);
		req_reply_problem(r, 500, "internal-error", "Could not make a token.");
		return;
	}
	r->state = is;
	r->state_free = free;
	is->r = r;
	is->w.granted = granted_cb;
	util_uuid_bytes(r->who.account_id, is->w.key);
	keylock_take(&r->app->issuing, &is->w);
}

static void
revoke_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	req_reply_empty(r, 204);
}

void
h_access_tokens_revoke(struct req *r)
{
	store_access_revoke(r->app->db, r->cred.hash, revoke_cb, r);
}
