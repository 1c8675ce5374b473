/* decision_view — what the proposal and ballot handlers still share (see the header). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "core/deckeys.h"
#include "core/store_decisions.h"
#include "decision_view.h"
#include "log.h"

void
dv_reply_error(struct req *r, const struct db_result *res)
{
	struct problem no;

	req_reply_refusal(r, store_rule_problem(&no, res));
}

/* Decodes the body's base64 "payload" member into a new buffer (caller frees); replies
 * 422 (or 500) and returns NULL when it is not base64 of at most max_payload_size bytes. */
unsigned char *
dv_payload(struct req *r, struct json_object *body, int *len)
{
	struct json_object *v = json_object_object_get(body, "payload");
	size_t max = (size_t)r->app->cfg->max_payload_size;
	size_t slen = (size_t)json_object_get_string_len(v);
	unsigned char *p;
	ssize_t n;

	if (b64_decoded_max(slen) > max + 3) { /* more than max bytes, whatever the padding */
		req_reply_problem(r, 413, "payload-too-large",
				  "The payload may hold at most %zu bytes.", max);
		return NULL;
	}
	if ((p = malloc(b64_decoded_max(slen) + 1)) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return NULL;
	}
	n = b64_decode(json_object_get_string(v), slen, p, b64_decoded_max(slen), false);
	if (n < 0 || (size_t)n > max) {
		free(p);
		if (n < 0)
			req_reply_problem(r, 422, "invalid-request",
					  "The payload must be standard base64 (with padding).");
		else
			req_reply_problem(r, 413, "payload-too-large",
					  "The payload may hold at most %zu bytes.", max);
		return NULL;
	}
	*len = (int)n;
	return p;
}

/* ---- the decision's keys (core/deckeys.h) ---- */

struct key_wait {
	struct req *r;
	dv_key_cb cb;
};

static void
key_cb(void *arg, const struct problem *no, const struct deckey *k)
{
	struct key_wait *w = arg;
	struct req *r = w->r;
	dv_key_cb cb = w->cb;

	free(w);
	if (no != NULL)
		req_reply_refusal(r, no);
	else
		cb(r, k);
}

void
dv_decision_keys(struct req *r, dv_key_cb cb)
{
	struct key_wait *w = malloc(sizeof(*w));

	if (w == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	*w = (struct key_wait){r, cb};
	deckeys_get(&r->app->core, r->param, key_cb, w);
}
