/* core_webhooks — setting, reading and removing a service's webhook (see the header). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "config.h"
#include "core_webhooks.h"
#include "crypto.h"
#include "hostcheck.h"
#include "keys.h"
#include "store_events.h"

#define SECRET_PREFIX "whsec_"

static bool
is_service(const struct principal *caller, core_webhook_cb cb, void *arg)
{
	struct problem no;

	if (caller->kind == PRINCIPAL_SERVICE)
		return true;
	cb(arg, problem_set(&no, 401, "wrong-credential-kind", "Only a service has a webhook."),
	   NULL);
	return false;
}

/* A webhook being set: its URL checked, then stored with a new secret. */
struct setting {
	struct core *core;
	core_webhook_cb cb;
	void *arg;
	char service[UTIL_UUID_LEN + 1];
	char *url;
	struct hostcheck_url u;
	char secret[sizeof(SECRET_PREFIX) + 48];
};

static void
setting_free(struct setting *s)
{
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	free(s->url);
	free(s);
}

static void
stored_cb(void *arg, const struct problem *no, const struct core_webhook *w)
{
	struct setting *s = arg;
	struct core_webhook out;

	if (no != NULL) {
		s->cb(s->arg, no, NULL);
	} else {
		out = *w;
		out.secret = s->secret;
		s->cb(s->arg, NULL, &out);
	}
	setting_free(s);
}

static void
checked_cb(void *arg, enum hostcheck_verdict v, const struct sockaddr *addr, socklen_t len,
	   const char *why)
{
	struct setting *s = arg;
	unsigned char key[CRYPTO_KEY_LEN], sealed[CRYPTO_WRAPPED_LEN];
	struct problem no;

	if (v != HOSTCHECK_OK) {
		s->cb(s->arg,
		      problem_set(&no, 422,
				  v == HOSTCHECK_NOT_PUBLIC ? "webhook-url-not-public"
							    : "invalid-webhook-url",
				  "%s", why),
		      NULL);
		setting_free(s);
		return;
	}
	if (util_random(key, sizeof(key)) != 0 ||
	    crypto_webhook_seal(s->core->keys->master, s->service, key, sealed) != 0) {
		OPENSSL_cleanse(key, sizeof(key));
		s->cb(s->arg, problem_set(&no, 500, "internal-error", "Could not make a secret."),
		      NULL);
		setting_free(s);
		return;
	}
	memcpy(s->secret, SECRET_PREFIX, strlen(SECRET_PREFIX));
	b64_encode(key, sizeof(key), s->secret + strlen(SECRET_PREFIX), false);
	OPENSSL_cleanse(key, sizeof(key));
	store_webhook_put(s->core->db, s->service, s->url, sealed, sizeof(sealed), stored_cb, s);
}

void
core_webhook_set(struct core *c, const struct principal *caller, const char *url,
		 core_webhook_cb cb, void *arg)
{
	struct setting *s;
	struct problem no;
	char why[256];

	if (!is_service(caller, cb, arg))
		return;
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->url = strdup(url)) == NULL) {
		free(s);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	s->core = c;
	s->cb = cb;
	s->arg = arg;
	memcpy(s->service, caller->service_id, sizeof(s->service));
	if (hostcheck_parse(url, &s->u, why, sizeof(why)) != 0) {
		cb(arg, problem_set(&no, 422, "invalid-webhook-url", "%s", why), NULL);
		setting_free(s);
		return;
	}
	hostcheck_resolve(c->dns, c->cfg->webhook_allow_hosts, &s->u, checked_cb, s);
}

/* A store answer of no row is no webhook. */
struct reading {
	core_webhook_cb cb;
	void *arg;
};

static void
read_cb(void *arg, const struct problem *no, const struct core_webhook *w)
{
	struct reading *g = arg;
	struct problem none;

	if (no == NULL && w == NULL)
		no = problem_set(&none, 404, "not-found", "This service has no webhook.");
	g->cb(g->arg, no, w);
	free(g);
}

void
core_webhook_get(struct core *c, const struct principal *caller, core_webhook_cb cb, void *arg)
{
	struct reading *g;
	struct problem no;

	if (!is_service(caller, cb, arg))
		return;
	if ((g = malloc(sizeof(*g))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	*g = (struct reading){cb, arg};
	store_webhook_get(c->db, caller->service_id, read_cb, g);
}

struct removal {
	void (*cb)(void *arg, const struct problem *no);
	void *arg;
};

static void
removed_cb(void *arg, const struct problem *no, bool found)
{
	struct removal *d = arg;
	struct problem none;

	if (no == NULL && !found)
		no = problem_set(&none, 404, "not-found", "This service has no webhook.");
	d->cb(d->arg, no);
	free(d);
}

void
core_webhook_delete(struct core *c, const struct principal *caller,
		    void (*cb)(void *arg, const struct problem *no), void *arg)
{
	struct removal *d;
	struct problem no;

	if (caller->kind != PRINCIPAL_SERVICE) {
		cb(arg, problem_set(&no, 401, "wrong-credential-kind", "Only a service has a webhook."));
		return;
	}
	if ((d = malloc(sizeof(*d))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."));
		return;
	}
	*d = (struct removal){cb, arg};
	store_webhook_delete(c->db, caller->service_id, removed_cb, d);
}
