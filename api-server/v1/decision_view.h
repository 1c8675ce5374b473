/* decision_view — what the decision handlers share: the JSON of a decision,
 * the problems the database's rule checks map to, and the per-decision key cache. */
#ifndef FREECOOP_DECISION_VIEW_H
#define FREECOOP_DECISION_VIEW_H

#include <stdbool.h>

#include <json-c/json.h>
#include <libpq-fe.h>

#include "core/crypto.h"
#include "http/http.h"

/* The decision in row i of res (columns in enum decision_col order); with counts, the
 * columns after them are the counts and the caller's franchise (stmt_decision_get). */
struct json_object *dv_decision_json(const PGresult *res, int i, bool with_counts);

/* Replies for a failed statement of the decision store: the FC* SQLSTATEs become their
 * problems (the database's message as the detail), anything else req_reply_db_error. */
void dv_reply_error(struct req *r, const struct db_result *res);

/* Reads a JSON array of UUID strings of at most max items into a PostgreSQL array literal
 * ("{...}", caller frees). arr may be NULL (an empty literal). Returns NULL after replying
 * with a 422 naming field when an item is not a UUID, or with 500 when memory ran out. */
char *dv_uuid_array(struct req *r, struct json_object *arr, const char *field);

/* Decodes the body's base64 "payload" member into a new buffer (caller frees); replies
 * 422 or 413 (or 500) and returns NULL when it is not base64 of at most max_payload_size
 * bytes. */
unsigned char *dv_payload(struct req *r, struct json_object *body, int *len);

/* A decision's keys and the size its ballots are padded to (0: unpadded, made before
 * migration 0005). */
struct dv_keys {
	struct crypto_deckey k;
	int ballot_size;
};

/* The keys of the decision r->param: from the cache, or by reading and unwrapping its
 * data key. cb gets the keys (borrowed, valid during the call), or NULL when the decision
 * was purged (its key is gone); when there is no such decision or the key cannot be read,
 * the reply is sent (404, or an error) and cb is not called. */
typedef void (*dv_key_cb)(struct req *r, const struct dv_keys *k);
void dv_decision_keys(struct req *r, dv_key_cb cb);

/* Frees the key cache (wiping the keys); at exit. */
void dv_keys_cleanup(void);

#endif
