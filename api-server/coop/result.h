/* result — a decision's result as FreeCoop reads it (DESIGN §7, §10.6): the compact JWS the
 * core published, verified as any service would verify it, and what it adopted.
 *
 * Pure: bytes and keys in, JSON out; no I/O. What counts as an action is what
 * scripts/verify-log counts as one, so that the log FreeCoop writes is the log a member
 * verifies (result_action says what that is); any other payload stands for itself as its
 * standard base64 and can only be refused. */
#ifndef FREECOOP_COOP_RESULT_H
#define FREECOOP_COOP_RESULT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "core/core.h"
#include "glog.h"

#define RESULT_WHY_MAX 200

/* A verified result. */
struct result {
	bool ok;                  /* the count succeeded (else the decision failed) */
	struct json_object *doc;  /* the signed document (owned) */
	/* The adopted proposals in proposal-id order: [{"id", "action"}], action being the
	 * payload's JSON, or its base64 when it is not an action (owned; [] when failed, or
	 * when the result is not {"adopted": [...]}). */
	struct json_object *adopted;
	char sha256[65]; /* hex SHA-256 of the JWS as published */
};

/* Verifies jws[0..len): a compact JWS with DESIGN §7's header whose kid is a decision
 * authority among keys (the core's unrevoked authorities) and whose Ed25519 signature
 * holds, carrying a version 1 document of decision decision created by service service.
 * Returns 0 with *out filled (result_free it); -1 with a sentence in why. */
int result_read(const unsigned char *jws, size_t len, const struct core_authority *keys,
		size_t nkeys, const char *decision, const char *service, struct result *out,
		char why[RESULT_WHY_MAX]);

void result_free(struct result *r);

/* The nesting an action may have: its log entry holds it three levels down (entry,
 * refused, item), within GLOG_DEPTH_MAX. */
#define RESULT_ACTION_DEPTH_MAX (GLOG_DEPTH_MAX - 3)

/* The action in payload[0..len) (a proposal's decoded payload): its JSON (the caller puts
 * it), or NULL when it is not one: not exactly one strict RFC 8259 JSON text in UTF-8
 * (jsonv.h: no member named twice, no lone surrogate, no U+0000), nested deeper than
 * RESULT_ACTION_DEPTH_MAX, or holding a number RFC 8785 cannot write here (a fraction, an
 * exponent, an integer beyond 2^53 - 1). */
struct json_object *result_action(const unsigned char *payload, size_t len);

#endif
