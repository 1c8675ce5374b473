/* hostcheck — a webhook URL, and whether the server may send requests to its host
 * (DESIGN §6: no server-side request forgery).
 *
 * A URL must be http or https with a host, no user information and no fragment, at most
 * HOSTCHECK_URL_MAX bytes. Its host must be, and resolve only to, public addresses
 * (netaddr_is_public): a name that resolves to any other address is refused whole, since
 * a resolver may rotate among them. "localhost" and its subdomains are loopback without a
 * lookup (RFC 6761). The operator's allow list (webhook_allow_hosts: host names or IP
 * literals, matched exactly, case-insensitively) lifts the refusal for its hosts. The
 * check runs when a webhook is set and again before each delivery, which then connects to
 * the very address that was checked. */
#ifndef FREECOOP_HOSTCHECK_H
#define FREECOOP_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/socket.h>

#define HOSTCHECK_URL_MAX 2048

struct evdns_base;

struct hostcheck_url {
	bool https;
	char host[256]; /* lowercased; an IPv6 literal without its brackets */
	int port;
	char target[HOSTCHECK_URL_MAX + 1]; /* path and query, for the request line */
};

/* Parses url into u. Returns 0, or -1 with the reason in why. */
int hostcheck_parse(const char *url, struct hostcheck_url *u, char *why, size_t whylen);

enum hostcheck_verdict {
	HOSTCHECK_OK,         /* addr is where to connect */
	HOSTCHECK_NOT_PUBLIC, /* refused: why says which address */
	HOSTCHECK_UNRESOLVED, /* the name did not resolve: why says how */
};

/* The verdict; addr (with u's port) is valid during the call when HOSTCHECK_OK. */
typedef void (*hostcheck_cb)(void *arg, enum hostcheck_verdict v, const struct sockaddr *addr,
			     socklen_t addrlen, const char *why);

/* Looks up u's host with dns (at once for an IP literal or localhost) and calls cb, always
 * exactly once, maybe before returning. allow is webhook_allow_hosts. */
void hostcheck_resolve(struct evdns_base *dns, const char *allow, const struct hostcheck_url *u,
		       hostcheck_cb cb, void *arg);

#endif
