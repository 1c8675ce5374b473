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
struct worker;

/* What the operations work with: set up by main.c, one per process. */
struct core {
	struct db_pool *db;
	const struct config *cfg;
	struct worker *worker;  /* the count-worker's client: it checks submitted methods */
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

/* An auditor's signature of a voting method. */
struct core_signature {
	const char *auditor;    /* the authority's id */
	const char *signature;  /* Ed25519, standard base64 */
	const char *created_at;
	bool revoked; /* the auditor was revoked, or is no longer a code auditor */
};

/* A voting method: its id is the SHA-256 of its code, in hex. */
struct core_method {
	const char *id;
	const char *name;
	const char *code; /* NULL in a list */
	size_t code_len;
	const char *created_at;
	const struct core_signature *signatures; /* by auditor id */
	size_t nsignatures;
};

/* A method as submitted: code and the auditor's Ed25519 signature of its exact bytes. */
struct core_method_submission {
	const char *name;
	const char *code; /* UTF-8 (the caller checked), code_len bytes */
	size_t code_len;
	const char *auditor;   /* the authority's id */
	const char *signature; /* standard base64 */
};

/* What a credential lookup found (the principal it stands for, when CRED_OK). */
enum core_credential { CRED_OK, CRED_UNKNOWN, CRED_REVOKED, CRED_EXPIRED };

#endif
