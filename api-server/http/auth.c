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


#include "app.h"
#include "auth.h"
#include "core/core_tokens.h"
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

/* Ends c with a refusal of status and slug, its detail formatted printf-style. */
static void __attribute__((format(printf, 4, 5)))
refuse(struct auth_call *c, int status, const char *slug, const char *fmt, ...)
{
	va_list ap;

	memset(&c->refusal, 0, sizeof(c->refusal));
	c->refusal.status = status;
	c->refusal.slug = slug;
	va_start(ap, fmt);
	vsnprintf(c->refusal.detail, sizeof(c->refusal.detail), fmt, ap);
	va_end(ap);
	c->done(c->arg, &c->refusal);
}

/* Once c->who is known: the account's limit (an account held back does not drain its
 * service's bucket), the service's, then admitted. */
static void
admit(struct auth_call *c)
{
	struct guard *g = c->app->guard;

	memset(&c->refusal, 0, sizeof(c->refusal));
	if ((c->who->kind == PRINCIPAL_ACCOUNT && guard_account(g, c->who->account_id, &c->refusal) != 0) ||
	    guard_service(g, c->who->service_id, &c->refusal) != 0) {
		c->done(c->arg, &c->refusal);
		return;
	}
	c->done(c->arg, NULL);
}

/* The credential's principal, or the refusal; then the account's and the service's
 * limits. */
static void
resolved_cb(void *arg, const struct problem *no, const struct principal *who)
{
	struct auth_call *c = arg;

	if (no != NULL) {
		c->done(c->arg, no);
		return;
	}
	*c->who = *who;
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
	memset(&c->refusal, 0, sizeof(c->refusal));
	if (guard_token(c->app->guard, c->cred, &c->refusal) != 0) {
		c->done(c->arg, &c->refusal);
		return;
	}
	core_credential_resolve(&c->app->core, c->cred, resolved_cb, c);
}
