/* h_ballots — secret ballots: cast or recast during the voting phase, and "have I voted".
 *
 * The ballot is sealed here, before it reaches the database: its slot is the HMAC of the
 * voter's account id under the decision's slot key, its content the random ballot id and
 * the payload under the decision's ballot key (crypto.h). The additional data binds both
 * to the decision and the slot, so a sealed ballot moved to another row does not open. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "decision_view.h"
#include "log.h"
#include "routes.h"
#include "store_decisions.h"

/* A cast in progress. */
struct cast {
	unsigned char *payload;
	int len;
	char ballot_id[UTIL_UUID_LEN + 1];
};

static void
cast_free(void *p)
{
	struct cast *c = p;

	if (c->payload != NULL)
		OPENSSL_cleanse(c->payload, (size_t)c->len);
	free(c->payload);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* The additional data of a sealed ballot: decision id || slot. */
static size_t
ballot_aad(const char *decision, const unsigned char slot[32], unsigned char *aad)
{
	memcpy(aad, decision, UTIL_UUID_LEN);
	memcpy(aad + UTIL_UUID_LEN, slot, 32);
	return UTIL_UUID_LEN + 32;
}

static void
cast_cb(const struct db_result *res, int row, void *arg)
{
	struct req *r = arg;
	struct cast *c = r->state;
	const char *status;
	struct json_object *o;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (row < 0) { /* every cast of a batch has its row: a broken invariant */
		req_log(r, LOGL_ERROR, "the cast statement returned no row for this cast");
		req_reply_problem(r, 500, "internal-error", "The ballot could not be stored.");
		return;
	}
	status = PQgetvalue(res->res, row, 2);
	if (strcmp(status, "ok") == 0) {
		o = json_object_new_object();
		json_object_object_add(o, "ballot_id", json_object_new_string(c->ballot_id));
		json_object_object_add(o, "replaced", json_object_new_boolean(
							      strcmp(PQgetvalue(res->res, row, 1), "t") == 0));
		req_add_header(r, "Cache-Control", "no-store");
		req_reply_json(r, 201, o);
	} else if (strcmp(status, "not-found") == 0) {
		req_reply_problem(r, 404, "not-found", "There is no such decision.");
	} else if (strcmp(status, "not-voter") == 0) {
		req_reply_problem(r, 403, "not-enfranchised",
				  "This account is not in the voter franchise of the decision.");
	} else {
		req_reply_problem(r, 409, "outside-phase", "Ballots are accepted from %s until %s%s.",
				  PQgetvalue(res->res, row, 3), PQgetvalue(res->res, row, 4),
				  strcmp(status, "closed") == 0 ? "; voting has closed" : "");
	}
}

static void
cast_with_keys(struct req *r, const struct crypto_deckey *k)
{
	struct cast *c = r->state;
	unsigned char slot[32], aad[UTIL_UUID_LEN + 32], *pt, *sealed;
	size_t ptlen = UTIL_UUID_LEN + (size_t)c->len;

	crypto_slot(k, r->who.account_id, slot);
	pt = malloc(ptlen);
	sealed = malloc(ptlen + CRYPTO_SEAL_OVERHEAD);
	if (pt == NULL || sealed == NULL || util_uuid_v4(c->ballot_id) != 0) {
		free(pt);
		free(sealed);
		req_reply_problem(r, 500, "internal-error", "Could not seal the ballot.");
		return;
	}
	memcpy(pt, c->ballot_id, UTIL_UUID_LEN);
	memcpy(pt + UTIL_UUID_LEN, c->payload, (size_t)c->len);
	if (crypto_seal(NULL, k->ballot, aad, ballot_aad(r->param, slot, aad), pt, ptlen,
			sealed) != 0) {
		req_reply_problem(r, 500, "internal-error", "Could not seal the ballot.");
	} else {
		store_ballot_cast(r->app->db, r->param, r->who.account_id, slot, sealed,
				  (int)(ptlen + CRYPTO_SEAL_OVERHEAD), cast_cb, r);
	}
	OPENSSL_cleanse(pt, ptlen);
	free(pt);
	free(sealed);
}

void
h_ballots_cast(struct req *r)
{
	const struct body_field fields[] = {
		{"payload", BODY_STRING, true, false, 0, 0},
	};
	struct json_object *body;
	unsigned char *payload;
	struct cast *c;
	int len;

	if (req_body(r, fields, 1, false, &body) != 0)
		return;
	/* Decoded before r->state is set: a refusal ends the request, and with it the state. */
	payload = dv_payload(r, body, &len);
	json_object_put(body);
	if (payload == NULL)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		OPENSSL_cleanse(payload, (size_t)len);
		free(payload);
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	c->payload = payload;
	c->len = len;
	r->state = c;
	r->state_free = cast_free;
	dv_decision_keys(r, cast_with_keys);
}

/* The caller's ballot, found by its slot; the slot key goes with the request. */
static void
mine_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	unsigned char *slot = r->state, aad[UTIL_UUID_LEN + 32];
	const struct crypto_deckey *k = (const struct crypto_deckey *)(slot + 32);
	struct json_object *o;
	char ballot_id[UTIL_UUID_LEN + 1] = "";

	if (!req_found(r, res, "There is no such decision."))
		return;
	if (!PQgetisnull(res->res, 0, 2)) {
		const char *hex = PQgetvalue(res->res, 0, 2);
		size_t n = strlen(hex) / 2;
		/* Only the ballot id is wanted: open the whole ballot, keep its first bytes. */
		unsigned char *whole = malloc(n + 1), *out = malloc(n + 1);
		if (whole != NULL && out != NULL && util_unhex(hex, whole, n) &&
		    crypto_open(NULL, k->ballot, aad, ballot_aad(r->param, slot, aad), whole, n,
				out) >= UTIL_UUID_LEN)
			snprintf(ballot_id, sizeof(ballot_id), "%.*s", UTIL_UUID_LEN, (char *)out);
		if (out != NULL)
			OPENSSL_cleanse(out, n);
		free(whole);
		free(out);
	}
	o = json_object_new_object();
	json_object_object_add(o, "voter", json_object_new_boolean(
						   strcmp(PQgetvalue(res->res, 0, 0), "t") == 0));
	json_object_object_add(o, "voted", json_object_new_boolean(
						   strcmp(PQgetvalue(res->res, 0, 1), "t") == 0));
	json_object_object_add(o, "ballot_id",
			       ballot_id[0] ? json_object_new_string(ballot_id) : NULL);
	req_add_header(r, "Cache-Control", "no-store");
	req_reply_json(r, 200, o);
}

static void
slot_free(void *p)
{
	OPENSSL_cleanse(p, 32 + sizeof(struct crypto_deckey));
	free(p);
}

static void
mine_with_keys(struct req *r, const struct crypto_deckey *k)
{
	unsigned char *slot = malloc(32 + sizeof(*k));

	if (slot == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	crypto_slot(k, r->who.account_id, slot);
	memcpy(slot + 32, k, sizeof(*k));
	r->state = slot;
	r->state_free = slot_free;
	store_ballot_get(r->app->db, r->param, r->who.account_id, slot, mine_cb, r);
}

void
h_ballots_mine(struct req *r)
{
	dv_decision_keys(r, mine_with_keys);
}
