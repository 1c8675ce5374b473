/* h_accounts — accounts: creation by a service, reading, the one-time claim, and /v1/me. */
#include <string.h>

#include "core/store_accounts.h"
#include "http/http.h"
#include "v1.h"

static const struct body_field create_fields[] = {
	{"name", BODY_STRING, false, true, 1, 200},
};

/* {"id","name","created_at"} from columns 0..2 of row 0, plus "claimed" from column
 * claimed_col unless it is negative. */
static struct json_object *
account_json(const PGresult *res, int claimed_col)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(PQgetvalue(res, 0, 0)));
	json_object_object_add(o, "name", PQgetisnull(res, 0, 1)
						  ? NULL
						  : json_object_new_string(PQgetvalue(res, 0, 1)));
	if (claimed_col >= 0)
		json_object_object_add(
			o, "claimed",
			json_object_new_boolean(strcmp(PQgetvalue(res, 0, claimed_col), "t") == 0));
	json_object_object_add(o, "created_at", json_object_new_string(PQgetvalue(res, 0, 2)));
	return o;
}

static void
create_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	char location[64];

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	snprintf(location, sizeof(location), "/v1/accounts/%s", PQgetvalue(res->res, 0, 0));
	req_add_header(r, "Location", location);
	req_reply_json(r, 201, account_json(res->res, -1));
}

void
h_accounts_create(struct req *r)
{
	struct json_object *body;
	char id[UTIL_UUID_LEN + 1];

	if (req_body(r, create_fields, 1, true, &body) != 0)
		return;
	if (util_uuid_v4(id) != 0) {
		json_object_put(body);
		req_reply_problem(r, 500, "internal-error", "Could not make an account id.");
		return;
	}
	store_account_insert(r->app->db, id, r->who.service_id, body_get_string(body, "name"),
			     create_cb, r);
	json_object_put(body);
}

static void
get_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;

	if (!req_found(r, res, "There is no such account."))
		return;
	req_reply_json(r, 200, account_json(res->res, 3));
}

/* The account as its own access token sees it (from the token lookup). */
static struct json_object *
principal_json(const struct principal *who)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(who->account_id));
	json_object_object_add(o, "name", who->account_named
						  ? json_object_new_string(who->account_name)
						  : NULL);
	json_object_object_add(o, "claimed", json_object_new_boolean(true));
	json_object_object_add(o, "created_at", json_object_new_string(who->account_created_at));
	return o;
}

void
h_accounts_get(struct req *r)
{
	if (r->who.kind == PRINCIPAL_SERVICE) {
		store_account_get(r->app->db, r->param, r->who.service_id, get_cb, r);
		return;
	}
	/* An account sees only itself; any other id is as absent as an unknown one. */
	if (strcmp(r->param, r->who.account_id) != 0) {
		req_reply_problem(r, 404, "not-found", "There is no such account.");
		return;
	}
	req_reply_json(r, 200, principal_json(&r->who));
}

void
h_me_get(struct req *r)
{
	struct json_object *o = principal_json(&r->who), *svc = json_object_new_object();

	json_object_object_add(svc, "id", json_object_new_string(r->who.service_id));
	json_object_object_add(svc, "name", json_object_new_string(r->who.service_name));
	json_object_object_add(o, "service", svc);
	req_reply_json(r, 200, o);
}

static void
claim_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (strcmp(PQgetvalue(res->res, 0, 0), "0") == 0) {
		req_reply_problem(r, 404, "not-found", "There is no such account.");
		return;
	}
	if (strcmp(PQgetvalue(res->res, 0, 1), "0") == 0) {
		req_reply_problem(r, 409, "already-claimed",
				  "The authorization token of this account was issued before; "
				  "it is never issued twice.");
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "authorization_token", json_object_new_string(r->secret));
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 201, o);
}

void
h_accounts_claim(struct req *r)
{
	unsigned char hash[UTIL_SHA256_LEN];
	struct json_object *body;

	if (req_body(r, NULL, 0, true, &body) != 0)
		return;
	json_object_put(body);
	if (util_token_new("aut_", r->secret) != 0) {
		req_reply_problem(r, 500, "internal-error", "Could not make a token.");
		return;
	}
	util_sha256(r->secret, UTIL_TOKEN_LEN, hash);
	store_account_claim(r->app->db, r->param, hash, claim_cb, r);
}
