/* h_me — GET /v1/me: the account an access token stands for, with its service (auth
 * resolved it: core_credential_resolve). */
#include "http/http.h"
#include "v1.h"

void
h_me_get(struct req *r)
{
	struct json_object *o = json_object_new_object(), *svc = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(r->who.account_id));
	json_object_object_add(o, "name", r->who.account_named
						  ? json_object_new_string(r->who.account_name)
						  : NULL);
	json_object_object_add(o, "claimed", json_object_new_boolean(true));
	json_object_object_add(o, "created_at",
			       json_object_new_string(r->who.account_created_at));

	json_object_object_add(svc, "id", json_object_new_string(r->who.service_id));
	json_object_object_add(svc, "name", json_object_new_string(r->who.service_name));
	json_object_object_add(o, "service", svc);
	req_reply_json(r, 200, o);
}
