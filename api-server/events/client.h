/* client — one signed POST of a service event to a webhook (DESIGN §6), from the event
 * loop without blocking: the host resolved and checked (core/hostcheck.h), a connection
 * to the very address checked, TLS verified against the system's trust store for https,
 * the Standard Webhooks headers, one answer read. Redirects are not followed; the whole
 * attempt, lookup included, has one time limit. */
#ifndef FREECOOP_CLIENT_H
#define FREECOOP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#define CLIENT_KEY_LEN 32

struct event_base;
struct evdns_base;
struct ssl_ctx_st;

/* A POST in flight. */
struct client_call;

/* How it ended: a 2xx answer (ok), or why not (error: "HTTP 500", "timed out", ...,
 * valid during the call). Called exactly once, never before client_post returns, and not
 * after client_cancel. */
typedef void (*client_cb)(void *arg, bool ok, const char *error);

/* What to send where. */
struct client_post {
	const char *url;
	const char *allow; /* webhook_allow_hosts */
	int timeout_ms;
	const char *id; /* webhook-id */
	const char *body;
	size_t body_len;
	const unsigned char *key; /* CLIENT_KEY_LEN bytes: the secret's (signs; not kept) */
};

/* Starts the POST; NULL when memory ran out (cb is then not called). tls is the client
 * context https uses (verifying peers against the default trust store). */
struct client_call *client_post(struct event_base *base, struct evdns_base *dns,
				struct ssl_ctx_st *tls, const struct client_post *p, client_cb cb,
				void *arg);

/* Abandons the POST: cb is not called. */
void client_cancel(struct client_call *c);

/* A TLS client context verifying peers against the system's trust store; NULL on
 * failure. Free it with SSL_CTX_free. */
struct ssl_ctx_st *client_tls_new(void);

/* The Standard Webhooks signature of body sent as id at ts: "v1," and the standard base64
 * of HMAC-SHA256(key, id "." ts "." body), into out (at least CLIENT_SIGNATURE_MAX). */
#define CLIENT_SIGNATURE_MAX 64
void client_sign(const unsigned char *key, size_t keylen, const char *id, long long ts,
		 const char *body, size_t body_len, char out[CLIENT_SIGNATURE_MAX]);

#endif
