/* auth — admission to a route that takes credentials: the token's shape and kind, its
 * limit, a lookup by SHA-256 (never by the token itself), then the account's and the
 * service's limits (see the header).
 *
 * Tokens are 256-bit random values, so the lookup by hash reveals nothing usable through
 * timing; the hash the database returns is still compared in constant time. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "app.h"
#include "auth.h"
#include "core/store_accounts.h"
#include "core/store_tokens.h"
#include "guard.h"
#include "routes.h"

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

/* Ends c with a refusal of status and slug, its detail formatted printf-style. */
static void __attribute__((format(printf, 4, 5)))
refuse(struct auth_call *c, int status, const char *slug, const char *fmt, ...)
{
	va_list ap;

	memset(&c->v, 0, sizeof(c->v));
	c->v.status = status;
	c->v.slug = slug;
	va_start(ap, fmt);
	vsnprintf(c->v.detail, sizeof(c->v.detail), fmt, ap);
	va_end(ap);
	c->done(c->arg, &c->v);
}

/* Ends c with the database's outcome (not DB_OK). */
static void
refuse_db(struct auth_call *c, const struct db_result *res)
{
	memset(&c->v, 0, sizeof(c->v));
	c->v.db = res;
	c->done(c->arg, &c->v);
}

/* Once c->who is known: the account's limit (an account held back does not drain its
 * service's bucket), the service's, then admitted. */
static void
admit(struct auth_call *c)
{
	struct guard *g = c->app->guard;

	memset(&c->v, 0, sizeof(c->v));
	if ((c->who->kind == PRINCIPAL_ACCOUNT && guard_account(g, c->who->account_id, &c->v) != 0) ||
	    guard_service(g, c->who->service_id, &c->v) != 0) {
		c->done(c->arg, &c->v);
		return;
	}
	c->done(c->arg, NULL);
}

/* c->who from row of an account lookup: columns 1 account id, 2 account name (NULL if
 * none), 3 account created_at, 4 service id, 5 service name. */
static void
set_account(struct principal *who, const PGresult *pg, int row)
{
	who->kind = PRINCIPAL_ACCOUNT;
	copy_field(who->account_id, sizeof(who->account_id), pg, row, 1);
	who->account_named = !PQgetisnull(pg, row, 2);
	copy_field(who->account_name, sizeof(who->account_name), pg, row, 2);
	copy_field(who->account_created_at, sizeof(who->account_created_at), pg, row, 3);
	copy_field(who->service_id, sizeof(who->service_id), pg, row, 4);
	copy_field(who->service_name, sizeof(who->service_name), pg, row, 5);
}

static void
service_cb(const struct db_result *res, void *arg)
{
	struct auth_call *c = arg;

	if (res->status != DB_OK) {
		refuse_db(c, res);
		return;
	}
	if (PQntuples(res->res) != 1 || !hash_matches(PQgetvalue(res->res, 0, 2), c->cred->hash)) {
		refuse(c, 401, "invalid-credentials",
		       "The service key is unknown or its service is disabled.");
		return;
	}
	c->who->kind = PRINCIPAL_SERVICE;
	copy_field(c->who->service_id, sizeof(c->who->service_id), res->res, 0, 0);
	copy_field(c->who->service_name, sizeof(c->who->service_name), res->res, 0, 1);
	admit(c);
}

static void
access_cb(const struct db_result *res, int row, void *arg)
{
	struct auth_call *c = arg;
	const PGresult *pg = res->res;

	if (res->status != DB_OK) {
		refuse_db(c, res);
		return;
	}
	if (row < 0 || !hash_matches(PQgetvalue(pg, row, 8), c->cred->hash)) {
		refuse(c, 401, "invalid-credentials",
		       "The access token is unknown, or its service is disabled.");
		return;
	}
	if (strcmp(PQgetvalue(pg, row, 7), "t") == 0) {
		refuse(c, 401, "token-revoked", "The access token was revoked.");
		return;
	}
	if (strcmp(PQgetvalue(pg, row, 6), "t") == 0) {
		refuse(c, 401, "token-expired",
		       "The access token has expired; get a new one with the authorization "
		       "token.");
		return;
	}
	set_account(c->who, pg, row);
	admit(c);
}

static void
authorization_cb(const struct db_result *res, int row, void *arg)
{
	struct auth_call *c = arg;

	if (res->status != DB_OK) {
		refuse_db(c, res);
		return;
	}
	if (row < 0 || !hash_matches(PQgetvalue(res->res, row, 6), c->cred->hash)) {
		refuse(c, 401, "invalid-credentials",
		       "The authorization token is unknown, or its service is disabled.");
		return;
	}
	set_account(c->who, res->res, row);
	admit(c);
}

/* Parses "Bearer <token>" into c->cred; returns 0, or -1 when it has refused. */
static int
parse_header(struct auth_call *c)
{
	const char *h = c->authorization, *token;

	if (h == NULL) {
		refuse(c, 401, "missing-credentials",
		       "This endpoint needs %s in an Authorization: Bearer header.",
		       wanted_kinds(c->flags));
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0 || !util_token_well_formed(h + 7)) {
		refuse(c, 401, "malformed-credentials",
		       "The Authorization header must be \"Bearer \" followed by a token: a "
		       "svc_, aut_ or acc_ prefix and 43 base64url characters.");
		return -1;
	}
	token = h + 7;
	memcpy(c->cred->prefix, token, 4);
	c->cred->prefix[4] = '\0';
	if ((flag_of(c->cred->prefix) & c->flags) == 0) {
		refuse(c, 401, "wrong-credential-kind", "This endpoint needs %s, not %s.",
		       wanted_kinds(c->flags), kind_name(c->cred->prefix));
		return -1;
	}
	util_sha256(token, UTIL_TOKEN_LEN, c->cred->hash);
	return 0;
}

void
auth_resolve(struct auth_call *c)
{
	if (parse_header(c) != 0)
		return;
	memset(&c->v, 0, sizeof(c->v));
	if (guard_token(c->app->guard, c->cred, &c->v) != 0) {
		c->done(c->arg, &c->v);
		return;
	}
	switch (flag_of(c->cred->prefix)) {
	case ROUTE_SERVICE:
		store_service_by_key(c->app->db, c->cred->hash, service_cb, c);
		break;
	case ROUTE_AUTHZ:
		store_authorization_lookup(c->app->db, c->cred->hash, authorization_cb, c);
		break;
	default:
		store_access_lookup(c->app->db, c->cred->hash, access_cb, c);
	}
}
