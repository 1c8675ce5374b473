/* client — a signed webhook POST (see the header). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "client.h"
#include "core/hostcheck.h"
#include "netaddr.h"

#define ANSWER_MAX 65536   /* an answer's body is read and dropped: at most this much */
#define HEADERS_MAX 16384

struct client_call {
	struct event_base *base;
	struct ssl_ctx_st *tls;
	client_cb cb;
	void *arg;
	struct hostcheck_url u;
	struct event *deadline; /* the attempt's time limit */
	struct event *finish;   /* ends the call outside libevent's callbacks */
	struct evhttp_connection *evcon;
	struct bufferevent *bev;
	char *body; /* the request: body, headers' values */
	size_t body_len;
	char id[128];
	char signature[CLIENT_SIGNATURE_MAX];
	char ts[24];
	bool resolving; /* hostcheck has not called back yet: it frees the call then */
	bool ended;     /* the outcome is known (or the call was cancelled) */
	bool cancelled;
	bool ok;
	char error[256];
};

void
client_sign(const unsigned char *key, size_t keylen, const char *id, long long ts,
	    const char *body, size_t body_len, char out[CLIENT_SIGNATURE_MAX])
{
	unsigned char mac[32];
	unsigned int maclen = sizeof(mac);
	char prefix[160];
	int n = snprintf(prefix, sizeof(prefix), "%s.%lld.", id, ts);
	unsigned char *msg = malloc((size_t)n + body_len);

	snprintf(out, CLIENT_SIGNATURE_MAX, "v1,");
	if (msg == NULL)
		return; /* an empty signature: the receiver refuses it, and it is retried */
	memcpy(msg, prefix, (size_t)n);
	memcpy(msg + n, body, body_len);
	if (HMAC(EVP_sha256(), key, (int)keylen, msg, (size_t)n + body_len, mac, &maclen) != NULL)
		b64_encode(mac, sizeof(mac), out + 3, false);
	free(msg);
	OPENSSL_cleanse(mac, sizeof(mac));
}

static void
call_free(struct client_call *c)
{
	if (c->evcon != NULL)
		evhttp_connection_free(c->evcon); /* frees bev (and its SSL) too */
	else if (c->bev != NULL)
		bufferevent_free(c->bev);
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->finish != NULL)
		event_free(c->finish);
	free(c->body);
	free(c);
}

/* The outcome is known: reported from the finish event, where freeing the connection is
 * safe. */
static void
end(struct client_call *c, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
end(struct client_call *c, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (c->ended)
		return;
	c->ended = true;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	event_del(c->deadline);
	event_active(c->finish, EV_TIMEOUT, 0);
}

static void
finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client_call *c = arg;

	if (!c->cancelled)
		c->cb(c->arg, c->ok, c->ok ? NULL : c->error);
	if (c->resolving) {
		/* the lookup's answer frees it */
		c->cancelled = true;
		return;
	}
	call_free(c);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client_call *c = arg;

	if (c->evcon != NULL) {
		evhttp_connection_free(c->evcon); /* no callback of its requests runs */
		c->evcon = NULL;
		c->bev = NULL;
	}
	end(c, false, "timed out");
}

/* Why a TLS connection failed, if it did at the TLS layer. */
static bool
tls_failure(struct client_call *c)
{
	SSL *ssl = c->bev != NULL && c->u.https ? bufferevent_openssl_get_ssl(c->bev) : NULL;
	long v;

	if (ssl == NULL)
		return false;
	if ((v = SSL_get_verify_result(ssl)) != X509_V_OK) {
		end(c, false, "certificate verification failed: %s",
		    X509_verify_cert_error_string(v));
		return true;
	}
	if (bufferevent_get_openssl_error(c->bev) != 0) {
		end(c, false, "TLS failed");
		return true;
	}
	return false;
}

static void
error_cb(enum evhttp_request_error err, void *arg)
{
	struct client_call *c = arg;

	if (c->ended || tls_failure(c))
		return;
	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		end(c, false, "timed out");
		break;
	case EVREQ_HTTP_EOF:
		end(c, false, "connection closed without an answer");
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		end(c, false, "the answer is too large");
		break;
	case EVREQ_HTTP_INVALID_HEADER:
	case EVREQ_HTTP_BUFFER_ERROR:
		end(c, false, "malformed answer");
		break;
	default:
		end(c, false, "could not connect");
	}
}

static void
answer_cb(struct evhttp_request *req, void *arg)
{
	struct client_call *c = arg;
	int code;

	if (c->ended)
		return;
	if (req == NULL || (code = evhttp_request_get_response_code(req)) == 0) {
		if (!tls_failure(c))
			end(c, false, "could not connect");
		return;
	}
	if (code >= 200 && code < 300)
		end(c, true, "HTTP %d", code);
	else
		end(c, false, "HTTP %d", code);
}

/* Connects to addr (the checked address) and sends the request. */
static void
send_request(struct client_call *c, const struct sockaddr *addr)
{
	struct evhttp_request *req;
	struct evkeyvalq *h;
	char ip[INET6_ADDRSTRLEN], hostport[300];
	const void *bytes = addr->sa_family == AF_INET
				    ? (const void *)&((const struct sockaddr_in *)addr)->sin_addr
				    : (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr;
	struct netaddr literal;
	bool ip_host = netaddr_parse(c->u.host, strlen(c->u.host), &literal);

	inet_ntop(addr->sa_family, bytes, ip, sizeof(ip));
	if (c->u.https) {
		SSL *ssl = SSL_new(c->tls);
		if (ssl == NULL) {
			end(c, false, "TLS failed");
			return;
		}
		/* The name the certificate must carry (or the IP address), and SNI. */
		if (ip_host) {
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->u.host);
		} else {
			SSL_set_tlsext_host_name(ssl, c->u.host);
			SSL_set1_host(ssl, c->u.host);
		}
		c->bev = bufferevent_openssl_socket_new(c->base, -1, ssl,
							BUFFEREVENT_SSL_CONNECTING,
							BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (c->bev == NULL)
			SSL_free(ssl);
	} else {
		c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c->bev == NULL ||
	    (c->evcon = evhttp_connection_base_bufferevent_new(c->base, NULL, c->bev, ip,
							       (unsigned short)c->u.port)) == NULL ||
	    (req = evhttp_request_new(answer_cb, c)) == NULL) {
		end(c, false, "out of memory");
		return;
	}
	evhttp_connection_set_retries(c->evcon, 0);
	evhttp_connection_set_max_body_size(c->evcon, ANSWER_MAX);
	evhttp_connection_set_max_headers_size(c->evcon, HEADERS_MAX);
	evhttp_request_set_error_cb(req, error_cb);
	h = evhttp_request_get_output_headers(req);
	if ((c->u.https && c->u.port == 443) || (!c->u.https && c->u.port == 80))
		snprintf(hostport, sizeof(hostport), strchr(c->u.host, ':') ? "[%s]" : "%s",
			 c->u.host);
	else
		snprintf(hostport, sizeof(hostport), strchr(c->u.host, ':') ? "[%s]:%d" : "%s:%d",
			 c->u.host, c->u.port);
	evhttp_add_header(h, "Host", hostport);
	evhttp_add_header(h, "User-Agent", "FreeCoop-Webhooks/1");
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Connection", "close");
	evhttp_add_header(h, "webhook-id", c->id);
	evhttp_add_header(h, "webhook-timestamp", c->ts);
	evhttp_add_header(h, "webhook-signature", c->signature);
	evbuffer_add(evhttp_request_get_output_buffer(req), c->body, c->body_len);
	if (evhttp_make_request(c->evcon, req, EVHTTP_REQ_POST, c->u.target) != 0)
		end(c, false, "could not connect"); /* req was freed */
}

static void
checked_cb(void *arg, enum hostcheck_verdict v, const struct sockaddr *addr, socklen_t len,
	   const char *why)
{
	struct client_call *c = arg;

	c->resolving = false;
	if (c->cancelled) { /* ended, and reported, while the lookup ran */
		call_free(c);
		return;
	}
	if (c->ended)
		return;
	if (v != HOSTCHECK_OK)
		end(c, false, "%s", why);
	else
		send_request(c, addr);
}

struct client_call *
client_post(struct event_base *base, struct evdns_base *dns, struct ssl_ctx_st *tls,
	    const struct client_post *p, client_cb cb, void *arg)
{
	struct client_call *c = calloc(1, sizeof(*c));
	struct timeval tv = {p->timeout_ms / 1000, (p->timeout_ms % 1000) * 1000};
	char why[256];

	if (c == NULL)
		return NULL;
	c->base = base;
	c->tls = tls;
	c->cb = cb;
	c->arg = arg;
	c->body_len = p->body_len;
	snprintf(c->id, sizeof(c->id), "%s", p->id);
	snprintf(c->ts, sizeof(c->ts), "%lld", (long long)time(NULL));
	client_sign(p->key, CLIENT_KEY_LEN, c->id, atoll(c->ts), p->body, p->body_len, c->signature);
	if ((c->body = malloc(p->body_len + 1)) == NULL ||
	    (c->deadline = evtimer_new(base, deadline_cb, c)) == NULL ||
	    (c->finish = event_new(base, -1, 0, finish_cb, c)) == NULL) {
		call_free(c);
		return NULL;
	}
	memcpy(c->body, p->body, p->body_len);
	event_add(c->deadline, &tv);
	if (hostcheck_parse(p->url, &c->u, why, sizeof(why)) != 0) {
		end(c, false, "%s", why);
		return c;
	}
	c->resolving = true;
	hostcheck_resolve(dns, p->allow, &c->u, checked_cb, c);
	return c;
}

void
client_cancel(struct client_call *c)
{
	if (c == NULL)
		return;
	if (!c->ended) {
		c->ended = true;
		event_del(c->deadline);
	}
	event_del(c->finish);
	if (c->resolving) {
		c->cancelled = true; /* the lookup's answer frees it */
		return;
	}
	call_free(c);
}

struct ssl_ctx_st *
client_tls_new(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
