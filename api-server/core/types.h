/* types — what the core's operations take and give their callers (core.h), and what the
 * store returns them from: plain structs whose strings are borrowed for the duration of
 * the callback that hands them over. */
#ifndef FREECOOP_TYPES_H
#define FREECOOP_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "keylock.h"

struct config;
struct db_pool;

/* What the operations work with: set up by main.c, one per process. */
struct core {
	struct db_pool *db;
	const struct config *cfg;
	struct keylock issuing; /* access tokens: one issuance per account in flight */
};

/* A new access token (the secret, valid during the callback: the caller wipes its
 * copies) and when it expires. */
struct core_access_token {
	const char *token;
	const char *expires_at; /* RFC 3339 */
};

/* An account of a service. */
struct core_account {
	const char *id;
	const char *name;       /* NULL: none */
	const char *created_at; /* RFC 3339 */
	bool claimed;           /* its authorization token was issued */
};

/* A registered authority's public key, as the JWKS lists it. */
struct core_authority {
	const char *id;         /* the JWK's kid */
	const char *name;
	const char *public_key; /* Ed25519, base64url */
	bool decision_authority;
	bool code_auditor;
	const char *created_at;
};

/* What a credential lookup found (the principal it stands for, when CRED_OK). */
enum core_credential { CRED_OK, CRED_UNKNOWN, CRED_REVOKED, CRED_EXPIRED };

#endif
