/* h_authorities — the JWKS of registered, unrevoked authorities (core/core_authorities.h). */
#include "core/core_authorities.h"
#include "http/http.h"
#include "v1.h"

static struct json_object *
jwk_json(const struct core_authority *a)
{
	struct json_object *k = json_object_new_object();

	json_object_object_add(k, "kty", json_object_new_string("OKP"));
	json_object_object_add(k, "crv", json_object_new_string("Ed25519"));
	json_object_object_add(k, "x", json_object_new_string(a->public_key));
	json_object_object_add(k, "kid", json_object_new_string(a->id));
	json_object_object_add(k, "alg", json_object_new_string("EdDSA"));
	json_object_object_add(k, "use", json_object_new_string("sig"));
	json_object_object_add(k, "name", json_object_new_string(a->name));
	json_object_object_add(k, "decision_authority",
			       json_object_new_boolean(a->decision_authority));
	json_object_object_add(k, "code_auditor", json_object_new_boolean(a->code_auditor));
	json_object_object_add(k, "created_at", json_object_new_string(a->created_at));
	return k;
}

static void
listed_cb(void *arg, const struct problem *no, const struct core_authority *keys, size_t n)
{
	struct req *r = arg;
	struct json_object *o, *list;

	if (no != NULL) {
		req_reply_refusal(r, no);
		return;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(list, jwk_json(&keys[i]));
	o = json_object_new_object();
	json_object_object_add(o, "keys", list);
	req_reply_json_type(r, 200, "application/jwk-set+json", o);
}

void
h_authorities_list(struct req *r)
{
	core_authorities_list(&r->app->core, listed_cb, r);
}
