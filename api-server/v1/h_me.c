/* h_me — GET /v1/me: the account an access token stands for, with its service (auth
 * resolved it: core_credential_resolve). The most frequent read of all: written straight
 * into its buffer, the same bytes as json-c would write. */
#include <stdio.h>

#include <event2/buffer.h>

#include "http/http.h"
#include "v1.h"

/* The longest a name (255 bytes) can be written, escapes and quotes included. */
#define QUOTED_MAX (6 * 256 + 3)

void
h_me_get(struct req *r)
{
	char name[QUOTED_MAX], service[QUOTED_MAX];
	struct evbuffer *buf = evbuffer_new();

	if (buf == NULL || util_json_quote(r->who.service_name, service, sizeof(service)) == 0 ||
	    (r->who.account_named &&
	     util_json_quote(r->who.account_name, name, sizeof(name)) == 0)) {
		if (buf != NULL)
			evbuffer_free(buf);
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	evbuffer_add_printf(buf,
			    "{\"id\":\"%s\",\"name\":%s,\"claimed\":true,\"created_at\":\"%s\","
			    "\"service\":{\"id\":\"%s\",\"name\":%s}}\n",
			    r->who.account_id, r->who.account_named ? name : "null",
			    r->who.account_created_at, r->who.service_id, service);
	req_reply_buffer(r, 200, "application/json", buf);
	evbuffer_free(buf);
}
