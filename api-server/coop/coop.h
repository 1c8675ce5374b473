/* coop — FreeCoop (DESIGN §10), the service co-op members use, inside the api-server: its
 * keys, its identity at the core, its routes under /coop/v1/.
 *
 * FreeCoop is a service of the Decision API like any other: set-up registers it and puts
 * its service key in a file (coop_service_key_file); at start it resolves that key through
 * the core interface (core/core.h), the only way it reaches the Decision API, and acts
 * as that service from then on. It signs its group logs with a key of its own
 * (coop_signing_key_file, Ed25519), never the core's, published at /coop/v1/keys.
 * Without those two settings FreeCoop is off and its routes answer 404. */
#ifndef FREECOOP_COOP_H
#define FREECOOP_COOP_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "core/core.h"
#include "db/db.h"
#include "http/routes.h"

struct app;
struct ncache;
struct config;
struct req;

#define COOP_KEY_LEN 32
#define COOP_KID_LEN 43 /* base64url of a SHA-256: the JWK thumbprint (RFC 7638) */

/* FreeCoop's secrets, read before the server drops its privileges. */
struct coop_keys {
	bool enabled;                  /* both files are configured */
	struct credential service;     /* its service key, by kind and hash only */
	EVP_PKEY *signing;             /* its Ed25519 log key (owned) */
	unsigned char pub[COOP_KEY_LEN];
	char kid[COOP_KID_LEN + 1];
};

/* Reads the key files cfg names (none: FreeCoop is off). Returns 0, or -1 with a message in
 * err (never key material). */
int coop_keys_load(struct coop_keys *k, const struct config *cfg, char *err, size_t errlen);

/* Frees the signing key. */
void coop_keys_cleanup(struct coop_keys *k);

/* FreeCoop running in app. */
struct coop {
	struct app *app;
	struct core *core;
	const struct coop_keys *keys;
	bool ready;                 /* its service is resolved: it can act */
	struct principal service;   /* FreeCoop as the core knows it */
	/* The library methods the default charter names, by id (the SHA-256 of the code
	 * this server was built with): yes_no, and yes_no_two_thirds. */
	char yes_no_id[65], two_thirds_id[65];
	struct books_turns *turns; /* books.c: the groups whose books are being written */
	struct ncache *me;         /* groups.c: people's GET /coop/v1/me (NULL: none kept) */
};

/* Starts FreeCoop on app (its service is resolved in the background; until then its
 * routes answer 503). NULL when off or out of memory (off: keys->enabled false). */
struct coop *coop_new(struct app *app, const struct coop_keys *keys);

void coop_free(struct coop *c);

/* FreeCoop's statements, prepared on every connection after the core's. */
extern const struct db_stmt *const coop_statements[];
extern const size_t coop_nstatements;

/* FreeCoop's routes, appended to the HTTP API's. */
extern const struct route coop_routes[];
extern const size_t coop_nroutes;

/* Answers r with an operation's JSON text (parsed, so that every answer is written the
 * same way) and status, or its refusal; a refusal with a pointer (the faulty member of
 * the request) carries it in "pointer". */
void coop_reply(struct req *r, int status, const struct problem *no, const char *pointer,
		const char *json);

/* The same, for JSON text already written as coop_reply writes it (compact). */
void coop_reply_written(struct req *r, int status, const struct problem *no,
			const char *pointer, const char *json);

/* Answers r with text as its body (type, and one header), or its refusal. */
void coop_reply_text(struct req *r, const struct problem *no, const char *text, const char *type,
		     const char *header, const char *value);

/* The query's year (a fiscal year, 1900 to 9998) into *year; 0, or -1 having answered 422. */
int coop_query_year(struct req *r, int *year);

/* The query's after (a log seq, 0 when absent) into *after; 0, or -1 having answered 422. */
int coop_query_after(struct req *r, long long *after);

/* The FreeCoop of r's server, ready to act; otherwise NULL, r already answered (404 when
 * FreeCoop is off, 503 while its service is not resolved). */
struct coop *coop_of(struct req *r);

void h_coop_people_create(struct req *r);
void h_coop_keys(struct req *r);
void h_coop_me(struct req *r);
void h_coop_groups_found(struct req *r);
void h_coop_groups_get(struct req *r);
void h_coop_groups_members(struct req *r);
void h_coop_groups_charter(struct req *r);
void h_coop_groups_log(struct req *r);
void h_coop_groups_apply(struct req *r);
void h_coop_groups_applications(struct req *r);
void h_coop_decisions_start(struct req *r);
void h_coop_decisions_list(struct req *r);
void h_coop_comments_add(struct req *r);
void h_coop_comments_list(struct req *r);
void h_coop_decisions_result(struct req *r);
void h_coop_ledger_accounts(struct req *r);
void h_coop_ledger_post(struct req *r);
void h_coop_ledger_entries(struct req *r);
void h_coop_ledger_account_open(struct req *r);
void h_coop_patronage_record(struct req *r);
void h_coop_patronage(struct req *r);
void h_coop_ledger_surplus(struct req *r);
void h_coop_ledger_export(struct req *r);
void h_coop_balance_sheet(struct req *r);
void h_coop_income_statement(struct req *r);
void h_coop_members_report(struct req *r);
void h_coop_statement(struct req *r);

#endif
