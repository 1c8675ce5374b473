/* decision_view — what the proposal and ballot handlers still share until they translate
 * to core operations too: the rule problems, the payload, the decision's keys. */
#ifndef FREECOOP_DECISION_VIEW_H
#define FREECOOP_DECISION_VIEW_H

#include <stdbool.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "core/deckeys.h"
#include "http/http.h"

/* Replies for a failed statement of the decision store: the FC* SQLSTATEs become their
 * problems (the database's message as the detail), anything else req_reply_db_error. */
void dv_reply_error(struct req *r, const struct db_result *res);

/* Decodes the body's base64 "payload" member into a new buffer (caller frees); replies
 * 422 or 413 (or 500) and returns NULL when it is not base64 of at most max_payload_size
 * bytes. */
unsigned char *dv_payload(struct req *r, struct json_object *body, int *len);

/* The keys of the decision r->param (core/deckeys.h). cb gets them (borrowed, valid
 * during the call), or NULL when the decision was purged (its key is gone); when there is
 * no such decision or the key cannot be read, the reply is sent (404, or an error) and cb
 * is not called. */
typedef void (*dv_key_cb)(struct req *r, const struct deckey *k);
void dv_decision_keys(struct req *r, dv_key_cb cb);

#endif
