/* h_tokens — access tokens: issue one for an authorization token, revoke the current one. */
#include "routes.h"
#include "store_tokens.h"

static void
issue_cb(const struct db_result *res, int row, void *arg)
{
	struct req *r = arg;
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
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(r->secret));
	json_object_object_add(o, "expires_at",
			       json_object_new_string(PQgetvalue(res->res, row, 1)));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 201, o);
}

void
h_access_tokens_create(struct req *r)
{
	unsigned char hash[UTIL_SHA256_LEN];
	struct json_object *body;

	if (req_body(r, NULL, 0, true, &body) != 0)
		return;
	json_object_put(body);
	if (util_token_new("acc_", r->secret) != 0) {
		req_reply_problem(r, 500, "internal-error", "Could not make a token.");
		return;
	}
	util_sha256(r->secret, UTIL_TOKEN_LEN, hash);
	store_access_issue(r->app->db, hash, r->cred_hash, r->app->cfg->access_token_ttl,
			   issue_cb, r);
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
