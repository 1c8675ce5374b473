/* h_tokens — access tokens: issue one for an authorization token, revoke the current one. */
#include <stdlib.h>

#include "routes.h"
#include "store_tokens.h"

/* Times an issuance is sent again because another one for the same account committed
 * while it ran (each retry follows such a commit, so this bounds only a livelock). */
#define ISSUE_ATTEMPTS 32

static void issue(struct req *r);

static void
issue_cb(const struct db_result *res, int row, void *arg)
{
	struct req *r = arg;
	int *attempts = r->state;
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
	if (PQgetisnull(res->res, row, 1)) { /* another issuance for the account came first */
		if (++*attempts < ISSUE_ATTEMPTS) {
			issue(r);
			return;
		}
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
issue(struct req *r)
{
	unsigned char hash[UTIL_SHA256_LEN];
	const struct config *cfg = r->app->cfg;

	util_sha256(r->secret, UTIL_TOKEN_LEN, hash);
	store_access_issue(r->app->db, hash, r->who.account_id, cfg->access_token_ttl,
			   cfg->max_access_tokens, issue_cb, r);
}

/* The account is the authorization token's (auth_resolve looked it up, and its token,
 * account and service limits let the request through). */
void
h_access_tokens_create(struct req *r)
{
	struct json_object *body;

	if (req_body(r, NULL, 0, true, &body) != 0)
		return;
	json_object_put(body);
	if ((r->state = calloc(1, sizeof(int))) == NULL ||
	    util_token_new("acc_", r->secret) != 0) {
		req_reply_problem(r, 500, "internal-error", "Could not make a token.");
		return;
	}
	r->state_free = free;
	issue(r);
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
	store_access_revoke(r->app->db, r->cred_hash, revoke_cb, r);
}
