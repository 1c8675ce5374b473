/* core_tokens — the credential and access token operations (see the header). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "core_tokens.h"
#include "credcache.h"
#include "db/db.h"
#include "log.h"
#include "store_accounts.h"
#include "store_tokens.h"

/* ---- resolving ---- */

struct resolve {
	struct core *c;
	core_principal_cb cb;
	void *arg;
	struct credential cred;
	uint64_t ticket;  /* the credential cache's, when the lookup was sent */
	uint64_t sent_us;
};

static void
found_cb(void *arg, const struct problem *no, enum core_credential found,
	 const struct principal *who, uint64_t left_us)
{
	struct resolve *v = arg;
	struct problem why;
	const char *prefix = v->cred.prefix;

	if (no == NULL) {
		switch (found) {
		case CRED_OK:
			/* An access token's expiry counted from when it was asked for: early, never
			 * late. An authorization token is kept too: it is used only to issue, whose
			 * statement checks its account and service again. */
			if (left_us > 0 || strcmp(prefix, "acc_") != 0)
				credcache_put(v->c->creds, v->ticket, &v->cred, who,
					      left_us > 0 ? v->sent_us + left_us : 0, util_now_us());
			break;
		case CRED_REVOKED:
			no = problem_set(&why, 401, "token-revoked", "The access token was revoked.");
			break;
		case CRED_EXPIRED:
			no = problem_set(&why, 401, "token-expired",
					 "The access token has expired; get a new one with the "
					 "authorization token.");
			break;
		case CRED_UNKNOWN:
			if (strcmp(prefix, "svc_") == 0)
				no = problem_set(&why, 401, "invalid-credentials",
						 "The service key is unknown or its service is "
						 "disabled.");
			else
				no = problem_set(&why, 401, "invalid-credentials",
						 "The %s token is unknown, or its service is "
						 "disabled.",
						 strcmp(prefix, "aut_") == 0 ? "authorization"
										: "access");
			break;
		}
	}
	v->cb(v->arg, no, no == NULL ? who : NULL);
	free(v);
}

void
core_credential_resolve(struct core *c, const struct credential *cred, core_principal_cb cb,
			void *arg)
{
	struct principal known;
	struct resolve *v;
	struct problem no;

	if (credcache_get(c->creds, cred, util_now_us(), &known)) {
		cb(arg, NULL, &known);
		return;
	}
	if ((v = malloc(sizeof(*v))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	v->c = c;
	v->cb = cb;
	v->arg = arg;
	v->cred = *cred;
	v->ticket = ncache_ticket(c->creds);
	v->sent_us = util_now_us();
	if (strcmp(cred->prefix, "svc_") == 0)
		store_service_by_key(c->db, cred->hash, found_cb, v);
	else if (strcmp(cred->prefix, "aut_") == 0)
		store_authorization_lookup(c->db, cred->hash, found_cb, v);
	else
		store_access_lookup(c->db, cred->hash, found_cb, v);
}

/* The pool's notifications: revocations to forget, and whether they are being received. */
static void
notified_cb(void *arg, const char *payload, int listening)
{
	struct ncache *nc = arg;

	if (payload != NULL) {
		credcache_notified(nc, payload);
		return;
	}
	ncache_listening(nc, listening);
	if (listening)
		log_info("credential cache: listening for revocations");
	else
		log_warn("credential cache: not listening for revocations; not used until it is");
}

int
core_credentials_cache(struct core *c, size_t n, int ttl_ms)
{
	if ((c->creds = ncache_new(n, ttl_ms)) == NULL)
		return -1;
	if (n > 0 && ttl_ms > 0)
		return db_pool_listen(c->db, CREDCACHE_CHANNEL, notified_cb, c->creds);
	return 0;
}

void
core_credentials_free(struct core *c)
{
	ncache_free(c->creds);
	c->creds = NULL;
	free(c->pushed.hex);
	c->pushed = (struct core_pushed){0};
}

/* ---- telling the other instances of tokens pushed out ---- */

/* Hashes told in one notification: a payload holds at most 8000 bytes, 65 a hash. */
#define PUSHED_PER_NOTICE 100
/* Gathered while one is sent, at most; past it the other instances forget everything. */
#define PUSHED_MAX (64 * 1024)

static void pushed_send(struct core *c);

static void
pushed_sent_cb(void *arg, const struct problem *no)
{
	struct core *c = arg;

	c->pushed.sending = false;
	if (no != NULL)
		log_warn("could not tell other instances of access tokens revoked past "
			 "max_access_tokens: they refuse them within cache_ttl_ms");
	pushed_send(c);
}

/* Sends what was gathered, the first PUSHED_PER_NOTICE hashes (or "all"), unless a
 * notification is on its way. */
static void
pushed_send(struct core *c)
{
	struct core_pushed *p = &c->pushed;
	char payload[2 + PUSHED_PER_NOTICE * (2 * UTIL_SHA256_LEN + 1)];
	size_t n = 0, take = 0;

	if (p->sending || (p->len == 0 && !p->overflowed))
		return;
	if (p->overflowed) {
		snprintf(payload, sizeof(payload), "all");
		p->overflowed = false;
		p->len = 0;
	} else {
		while (take < p->len && n < PUSHED_PER_NOTICE) {
			char *comma = memchr(p->hex + take, ',', p->len - take);
			take = comma != NULL ? (size_t)(comma - p->hex) + 1 : p->len;
			n++;
		}
		snprintf(payload, sizeof(payload), "t:%.*s",
			 (int)(take - (p->hex[take - 1] == ',')), p->hex);
		memmove(p->hex, p->hex + take, p->len - take);
		p->len -= take;
	}
	p->sending = true;
	store_credentials_notify(c->db, CREDCACHE_CHANNEL, payload, pushed_sent_cb, c);
}

/* Tells the other instances that the tokens in hex (as store_access_issue lists them) are
 * revoked. Not in the issuance's transaction: PostgreSQL lets one notifying transaction
 * commit at a time, so notifying there made issuances take turns at the disk. The
 * notification follows the commit by a round trip; should this instance stop in between,
 * the others keep what they hold no longer than cache_ttl_ms. */
static void
pushed_tell(struct core *c, const char *hex)
{
	struct core_pushed *p = &c->pushed;
	size_t n = strlen(hex), need = p->len + n + 1;

	if (need > PUSHED_MAX || strcmp(hex, "*") == 0) {
		p->overflowed = true;
	} else if (!p->overflowed) {
		char *grown = need > p->cap ? realloc(p->hex, need * 2) : p->hex;
		if (grown == NULL) {
			p->overflowed = true;
		} else {
			if (need > p->cap)
				p->cap = need * 2;
			p->hex = grown;
			if (p->len > 0)
				p->hex[p->len++] = ',';
			memcpy(p->hex + p->len, hex, n);
			p->len += n;
		}
	}
	pushed_send(c);
}

/* ---- issuing ---- */

/* An issuance in progress, holding or waiting for its account's key. */
struct issuance {
	struct keylock_waiter w; /* first: the key's callback finds the issuance */
	struct core *c;
	core_token_cb cb;
	void *arg;
	char token[UTIL_TOKEN_LEN + 1];
	struct credential cred; /* the new token's */
	struct principal who;   /* the caller: whom the new token stands for */
	uint64_t ticket;        /* the credential cache's, when the statement was sent */
	uint64_t sent_us;
};

static void issued_cb(void *arg, const struct problem *no, enum store_issue done,
		      const char *expires_at, const char *revoked);

static void
send_issue(struct issuance *is)
{
	const struct config *cfg = is->c->cfg;

	snprintf(is->cred.prefix, sizeof(is->cred.prefix), "acc_");
	util_sha256(is->token, UTIL_TOKEN_LEN, is->cred.hash);
	is->ticket = ncache_ticket(is->c->creds);
	is->sent_us = util_now_us();
	store_access_issue(is->c->db, is->cred.hash, is->who.account_id, cfg->access_token_ttl,
			   cfg->max_access_tokens, issued_cb, is);
}

/* The issuance holds its account's key: the statement may go. */
static void
granted_cb(struct keylock_waiter *w)
{
	send_issue((struct issuance *)w);
}

static void
issued_cb(void *arg, const struct problem *no, enum store_issue done, const char *expires_at,
	  const char *revoked)
{
	struct issuance *is = arg;
	struct problem why;
	struct core_access_token t = {is->token, expires_at};

	/* The oldest tokens past the cap: refused from now on, here at once ("*": some are
	 * unknown, everything kept is forgotten). */
	if (revoked != NULL) {
		credcache_forget_hex(is->c->creds, revoked);
		pushed_tell(is->c, revoked);
	}
	/* The new token is kept as if it had been resolved (its first use here needs no
	 * lookup), until its expiry counted from when it was asked for: early, never late. */
	if (no == NULL && done == STORE_ISSUED)
		credcache_put(is->c->creds, is->ticket, &is->cred, &is->who,
			      is->sent_us + (uint64_t)is->c->cfg->access_token_ttl * 1000000u,
			      util_now_us());
	/* The next issuance for the account may go (it is sent from inside this call). */
	keylock_give(&is->c->issuing, &is->w);
	if (no == NULL && done == STORE_ISSUE_GONE)
		no = problem_set(&why, 401, "invalid-credentials",
				 "The authorization token is unknown, or its service is disabled.");
	is->cb(is->arg, no, no == NULL ? &t : NULL);
	OPENSSL_cleanse(is, sizeof(*is));
	free(is);
}

void
core_access_token_issue(struct core *c, const struct principal *caller, core_token_cb cb,
			void *arg)
{
	struct issuance *is = calloc(1, sizeof(*is));
	struct problem no;

	if (caller->kind != PRINCIPAL_ACCOUNT) {
		free(is);
		cb(arg, problem_set(&no, 401, "wrong-credential-kind",
				    "Access tokens are issued to an account."), NULL);
		return;
	}
	if (is == NULL || util_token_new("acc_", is->token) != 0) {
		free(is);
		cb(arg, problem_set(&no, 500, "internal-error", "Could not make a token."), NULL);
		return;
	}
	is->c = c;
	is->cb = cb;
	is->arg = arg;
	is->who = *caller;
	is->w.granted = granted_cb;
	util_uuid_bytes(caller->account_id, is->w.key);
	keylock_take(&c->issuing, &is->w);
}

struct revocation {
	struct core *c;
	unsigned char hash[UTIL_SHA256_LEN];
	void (*cb)(void *arg, const struct problem *no);
	void *arg;
};

/* Revoked (committed): forgotten here before the holder hears of it; other instances
 * forget it when the database's notification reaches them. */
static void
revoked_cb(void *arg, const struct problem *no)
{
	struct revocation *r = arg;

	if (no == NULL)
		ncache_forget(r->c->creds, r->hash);
	r->cb(r->arg, no);
	free(r);
}

void
core_access_token_revoke(struct core *c, const unsigned char hash[UTIL_SHA256_LEN],
			 void (*cb)(void *arg, const struct problem *no), void *arg)
{
	struct revocation *r = malloc(sizeof(*r));
	struct problem no;

	if (r == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."));
		return;
	}
	r->c = c;
	memcpy(r->hash, hash, UTIL_SHA256_LEN);
	r->cb = cb;
	r->arg = arg;
	/* Lookups in flight now may have read it live: none of them is kept. */
	ncache_forget(c->creds, hash);
	store_access_revoke(c->db, hash, revoked_cb, r);
}
