/* auth — admission to a route: the client address's limit, then bearer tokens: shape,
 * kind, the token's limit, a lookup by SHA-256 (never by the token itself), then the
 * account's and the service's limits.
 *
 * Tokens are 256-bit random values, so the lookup by hash reveals nothing usable through
 * timing; the hash the database returns is still compared in constant time. */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "guard.h"
#include "log.h"
#include "store_accounts.h"
#include "store_tokens.h"

static const char *
kind_name(const char *prefix)
{
	if (strcmp(prefix, "svc_") == 0)
		return "a service key";
	if (strcmp(prefix, "aut_") == 0)
		return "an authorization token";
	return "an access token";
}

static const char *
wanted_kinds(int flags)
{
	flags &= ROUTE_CREDENTIALS;
	if (flags == (ROUTE_SERVICE | ROUTE_ACCOUNT))
		return "a service key or an access token";
	if (flags & ROUTE_SERVICE)
		return "a service key";
	if (flags & ROUTE_AUTHZ)
		return "an authorization token";
	return "an access token";
}

static int
flag_of(const char *prefix)
{
	if (strcmp(prefix, "svc_") == 0)
		return ROUTE_SERVICE;
	if (strcmp(prefix, "aut_") == 0)
		return ROUTE_AUTHZ;
	return ROUTE_ACCOUNT;
}

/* Whether the hex text "\x..." the database returned equals hash, in constant time. */
static int
hash_matches(const char *db_hex, const unsigned char hash[UTIL_SHA256_LEN])
{
	char want[2 + 2 * UTIL_SHA256_LEN + 1] = "\\x";

	util_hex(hash, UTIL_SHA256_LEN, want + 2);
	return strlen(db_hex) == sizeof(want) - 1 &&
	       CRYPTO_memcmp(db_hex, want, sizeof(want) - 1) == 0;
}

static void
copy_field(char *dst, size_t len, const PGresult *res, int row, int col)
{
	snprintf(dst, len, "%s", PQgetvalue(res, row, col));
}

/* Once r->who is known: the account's limit (an account held back does not drain its
 * service's bucket), the service's, then the handler. */
static void
admit(struct req *r)
{
	if (r->who.kind == PRINCIPAL_ACCOUNT && guard_account(r) != 0)
		return;
	if (guard_service(r) != 0)
		return;
	routes[r->route_idx].handler(r);
}

/* r->who from row of an account lookup: columns 1 account id, 2 account name (NULL if
 * none), 3 account created_at, 4 service id, 5 service name. */
static void
set_account(struct req *r, const PGresult *pg, int row)
{
	r->who.kind = PRINCIPAL_ACCOUNT;
	copy_field(r->who.account_id, sizeof(r->who.account_id), pg, row, 1);
	r->who.account_named = !PQgetisnull(pg, row, 2);
	copy_field(r->who.account_name, sizeof(r->who.account_name), pg, row, 2);
	copy_field(r->who.account_created_at, sizeof(r->who.account_created_at), pg, row, 3);
	copy_field(r->who.service_id, sizeof(r->who.service_id), pg, row, 4);
	copy_field(r->who.service_name, sizeof(r->who.service_name), pg, row, 5);
}

static void
service_cb(const struct db_result *res, void *arg)
{
	struct req *r = arg;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (PQntuples(res->res) != 1 || !hash_matches(PQgetvalue(res->res, 0, 2), r->cred_hash)) {
		req_reply_problem(r, 401, "invalid-credentials",
				  "The service key is unknown or its service is disabled.");
		return;
	}
	r->who.kind = PRINCIPAL_SERVICE;
	copy_field(r->who.service_id, sizeof(r->who.service_id), res->res, 0, 0);
	copy_field(r->who.service_name, sizeof(r->who.service_name), res->res, 0, 1);
	admit(r);
}

static void
access_cb(const struct db_result *res, int row, void *arg)
{
	struct req *r = arg;
	const PGresult *pg = res->res;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (row < 0 || !hash_matches(PQgetvalue(pg, row, 8), r->cred_hash)) {
		req_reply_problem(r, 401, "invalid-credentials",
				  "The access token is unknown, or its service is disabled.");
		return;
	}
	if (strcmp(PQgetvalue(pg, row, 7), "t") == 0) {
		req_reply_problem(r, 401, "token-revoked", "The access token was revoked.");
		return;
	}
	if (strcmp(PQgetvalue(pg, row, 6), "t") == 0) {
		req_reply_problem(r, 401, "token-expired",
				  "The access token has expired; get a new one with the "
				  "authorization token.");
		return;
	}
	set_account(r, pg, row);
	admit(r);
}

static void
authorization_cb(const struct db_result *res, int row, void *arg)
{
	struct req *r = arg;

	if (res->status != DB_OK) {
		req_reply_db_error(r, res);
		return;
	}
	if (row < 0 || !hash_matches(PQgetvalue(res->res, row, 6), r->cred_hash)) {
		req_reply_problem(r, 401, "invalid-credentials",
				  "The authorization token is unknown, or its service is "
				  "disabled.");
		return;
	}
	set_account(r, res->res, row);
	admit(r);
}

/* Parses "Bearer <token>" into r->cred_*; returns 0, or -1 when it has replied. */
static int
parse_header(struct req *r, int flags)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(r->ev),
					   "Authorization");
	const char *token;

	if (h == NULL) {
		req_reply_problem(r, 401, "missing-credentials",
				  "This endpoint needs %s in an Authorization: Bearer header.",
				  wanted_kinds(flags));
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0 || !util_token_well_formed(h + 7)) {
		req_reply_problem(r, 401, "malformed-credentials",
				  "The Authorization header must be \"Bearer \" followed by a "
				  "token: a svc_, aut_ or acc_ prefix and 43 base64url characters.");
		return -1;
	}
	token = h + 7;
	memcpy(r->cred_prefix, token, 4);
	r->cred_prefix[4] = '\0';
	if ((flag_of(r->cred_prefix) & flags) == 0) {
		req_reply_problem(r, 401, "wrong-credential-kind",
				  "This endpoint needs %s, not %s.", wanted_kinds(flags),
				  kind_name(r->cred_prefix));
		return -1;
	}
	util_sha256(token, UTIL_TOKEN_LEN, r->cred_hash);
	return 0;
}

void
auth_resolve(struct req *r)
{
	const struct route *rt = &routes[r->route_idx];

	if ((rt->flags & ROUTE_LIMIT_ADDRESS) != 0 && guard_address(r) != 0)
		return;
	if ((rt->flags & ROUTE_CREDENTIALS) == 0) {
		rt->handler(r);
		return;
	}
	if (parse_header(r, rt->flags) != 0 || guard_token(r) != 0)
		return;
	switch (flag_of(r->cred_prefix)) {
	case ROUTE_SERVICE:
		store_service_by_key(r->app->db, r->cred_hash, service_cb, r);
		break;
	case ROUTE_AUTHZ:
		store_authorization_lookup(r->app->db, r->cred_hash, authorization_cb, r);
		break;
	default:
		store_access_lookup(r->app->db, r->cred_hash, access_cb, r);
	}
}
