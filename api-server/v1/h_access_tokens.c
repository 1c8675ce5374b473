/* h_access_tokens — access tokens: issue one for an authorization token, revoke the current one
 * (core/core_tokens.h). */
#include "core/core_tokens.h"
#include "http/http.h"
#include "v1.h"

static void
issued_cb(void *arg, const struct problem *no, const struct core_access_token *t)
{
	struct req *r = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(t->token));
	json_object_object_add(o, "expires_at", json_object_new_string(t->expires_at));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 201, o);
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
	core_access_token_issue(&r->app->core, &r->who, issued_cb, r);
}

void
h_access_tokens_revoke(struct req *r)
{
	core_access_token_revoke(&r->app->core, r->cred.hash, req_reply_done, r);
}
