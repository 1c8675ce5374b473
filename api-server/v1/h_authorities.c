/* h_authorities — the JWKS of registered, unrevoked authorities. */
#include <string.h>

#include "core/store_authorities.h"
#include "http/http.h"
#include "v1.h"

static struct json_object *
jwk_from_row(const PGresult *res, int i)
{
	struct json_object *k = json_object_new_object();

	json_object_object_add(k, "kty", json_object_new_string("OKP"));
	json_object_object_add(k, "crv", json_object_new_string("Ed25519"));
	json_object_object_add(k, "x", json_object_new_string(PQgetvalue(res, i, 2)));
	json_object_object_add(k, "kid", json_object_new_string(PQgetvalue(res, i, 0)));
	json_object_object_add(k, "alg", json_object_new_string("EdDSA"));
	json_object_object_add(k, "use", json_object_new_string("sig"));
	json_object_object_add(k, "name", json_object_new_string(PQgetvalue(res, i, 1)));
	json_object_object_add(k, "decision_authority",
			       json_object_new_boolean(strcmp(PQgetvalue(res, i, 3), "t") == 0));
	json_object_object_add(k, "code_auditor",
			       json_object_new_boolean(strcmp(PQgetvalue(res, i, 4), "t") == 0));
	json_object_object_add(k, "created_at", json_object_new_string(PQgetvalue(res, i, 5)));
	return k;
}

static void
list_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o, *keys;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	keys = json_object_new_array();
	for (int i = 0; i < PQntuples(res->res); i++)
		json_object_array_add(keys, jwk_from_row(res->res, i));
	o = json_object_new_object();
	json_object_object_add(o, "keys", keys);
	req_reply_json_type(r, 200, "application/jwk-set+json", o);
}

void
h_authorities_list(struct req *r)
{
	store_authorities_list(r->app->db, list_cb, r);
}
