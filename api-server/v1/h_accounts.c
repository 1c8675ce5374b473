/* h_accounts — accounts: creation by a service, reading, and the one-time claim:
 * HTTP and JSON in, the core's account operations (core/core_accounts.h), JSON out. */
#include <string.h>

#include <openssl/crypto.h>

#include "core/core_accounts.h"
#include "http/http.h"
#include "v1.h"

static const struct body_field create_fields[] = {
	{"name", BODY_STRING, false, true, 1, 200},
};

/* {"id","name","created_at"}, with "claimed" when with_claimed. */
static struct json_object *
account_json(const struct core_account *a, bool with_claimed)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(a->id));
	json_object_object_add(o, "name", a->name == NULL ? NULL : json_object_new_string(a->name));
	if (with_claimed)
		json_object_object_add(o, "claimed", json_object_new_boolean(a->claimed));
	json_object_object_add(o, "created_at", json_object_new_string(a->created_at));
	return o;
}

static void
created_cb(void *arg, const struct problem *no, const struct core_account *a)
{
	struct req *r = arg;
	char location[64];

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	snprintf(location, sizeof(location), "/v1/accounts/%s", a->id);
	req_add_header(r, "Location", location);
	req_reply_json(r, 201, account_json(a, false));
}

void
h_accounts_create(struct req *r)
{
	struct json_object *body;

	if (req_body(r, create_fields, 1, true, &body) != 0)
		return;
	core_account_create(&r->app->core, &r->who, body_get_string(body, "name"), created_cb, r);
	json_object_put(body);
}

static void
got_cb(void *arg, const struct problem *no, const struct core_account *a)
{
	struct req *r = arg;

	if (no != NULL)
		req_reply_refusal(r, no);
	else
		req_reply_json(r, 200, account_json(a, true));
}

void
h_accounts_get(struct req *r)
{
	core_account_get(&r->app->core, &r->who, r->param, got_cb, r);
}

static void
claimed_cb(void *arg, const struct problem *no, const char *token)
{
	struct req *r = arg;
	struct json_object *o;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "authorization_token", json_object_new_string(token));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 201, o);
}

void
h_accounts_claim(struct req *r)
{
	struct json_object *body;

	if (req_body(r, NULL, 0, true, &body) != 0)
		return;
	json_object_put(body);
	core_account_claim(&r->app->core, r->param, claimed_cb, r);
}
