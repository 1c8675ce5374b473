/* h_ballots — secret ballots: cast or recast during the voting phase, and "have I voted".
 *
 * The ballot is sealed here, before it reaches the database (ballot.h): its slot is the
 * HMAC of the voter's account id under the decision's slot key, its content the random
 * ballot id and the payload, padded to the decision's ballot_size, under the decision's
 * ballot key. Whether a person voted is whether their slot holds a ballot. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/ballot.h"
#include "core/store_decisions.h"
#include "decision_view.h"
#include "http/http.h"
#include "log.h"
#include "v1.h"

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
cast_with_keys(struct req *r, const struct deckey *k)
{
	struct cast *c = r->state;
	unsigned char slot[BALLOT_SLOT_LEN], *sealed;
	size_t len;

	if (k == NULL) {
		req_reply_problem(r, 409, "outside-phase", "Voting has closed: the decision was "
				  "concluded, and its ballots purged.");
		return;
	}
	if (k->ballot_size > 0 && c->len > k->ballot_size) {
		req_reply_problem(r, 413, "payload-too-large", "A ballot of this decision holds at "
				  "most %d bytes (its ballot_size); this one has %d.",
				  k->ballot_size, c->len);
		return;
	}
	len = ballot_sealed_len(k->ballot_size, (size_t)c->len);
	crypto_slot(&k->k, r->who.account_id, slot);
	if ((sealed = malloc(len)) == NULL || util_uuid_v4(c->ballot_id) != 0 ||
	    ballot_seal(k->k.ballot, r->param, slot, c->ballot_id, c->payload, (size_t)c->len,
			k->ballot_size, sealed) != 0)
		req_reply_problem(r, 500, "internal-error", "Could not seal the ballot.");
	else
		store_ballot_cast(r->app->db, r->param, r->who.account_id, slot, sealed, (int)len,
				  cast_cb, r);
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

/* What "have I voted" needs across its query: the caller's slot and the decision's keys. */
struct mine {
	unsigned char slot[BALLOT_SLOT_LEN];
	struct deckey k;
};

static void
mine_free(void *p)
{
	OPENSSL_cleanse(p, sizeof(struct mine));
	free(p);
}

/* The ballot id of the sealed ballot in hex, into id (empty if it does not open). */
static void
receipt(struct req *r, const struct mine *m, const char *hex, char id[UTIL_UUID_LEN + 1])
{
	size_t n = strlen(hex) / 2;
	unsigned char *sealed = malloc(n + 1), *out = malloc(n + 1);
	struct ballot_plain p;

	id[0] = '\0';
	if (sealed != NULL && out != NULL && util_unhex(hex, sealed, n) &&
	    ballot_open(NULL, m->k.k.ballot, r->param, m->slot, sealed, n, m->k.ballot_size, out,
			&p) == 0)
		snprintf(id, UTIL_UUID_LEN + 1, "%.*s", BALLOT_ID_LEN, p.id);
	if (out != NULL)
		OPENSSL_cleanse(out, n);
	free(sealed);
	free(out);
}

static void
mine_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;
	struct json_object *o;
	char ballot_id[UTIL_UUID_LEN + 1] = "";

	if (!req_found(r, res, "There is no such decision."))
		return;
	if (!PQgetisnull(res->res, 0, 2))
		receipt(r, r->state, PQgetvalue(res->res, 0, 2), ballot_id);
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
mine_with_keys(struct req *r, const struct deckey *k)
{
	struct mine *m;

	if (k == NULL) {
		req_reply_problem(r, 404, "not-found", "There is no such decision: its ballots "
				  "were purged at the end of its retention period.");
		return;
	}
	if ((m = malloc(sizeof(*m))) == NULL) {
		req_reply_problem(r, 500, "internal-error", "Out of memory.");
		return;
	}
	crypto_slot(&k->k, r->who.account_id, m->slot);
	m->k = *k;
	r->state = m;
	r->state_free = mine_free;
	store_ballot_get(r->app->db, r->param, r->who.account_id, m->slot, mine_cb, r);
}

void
h_ballots_mine(struct req *r)
{
	dv_decision_keys(r, mine_with_keys);
}
