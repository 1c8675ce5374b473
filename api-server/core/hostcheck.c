/* hostcheck — webhook URLs and their hosts (see the header). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/dns.h>
#include <event2/http.h>
#include <event2/util.h>

#include "hostcheck.h"
#include "netaddr.h"

/* The host may only be a DNS name or an IP literal. */
static bool
host_chars_ok(const char *h)
{
	for (; *h != '\0'; h++)
		if (!isalnum((unsigned char)*h) && *h != '.' && *h != '-' && *h != ':')
			return false;
	return true;
}

int
hostcheck_parse(const char *url, struct hostcheck_url *u, char *why, size_t whylen)
{
	struct evhttp_uri *p;
	const char *scheme, *host, *path, *query;
	size_t n;
	int r = -1;

	memset(u, 0, sizeof(*u));
	if (strlen(url) > HOSTCHECK_URL_MAX) {
		snprintf(why, whylen, "The URL is longer than %d bytes.", HOSTCHECK_URL_MAX);
		return -1;
	}
	if ((p = evhttp_uri_parse_with_flags(url, 0)) == NULL) {
		snprintf(why, whylen, "The URL cannot be parsed.");
		return -1;
	}
	scheme = evhttp_uri_get_scheme(p);
	host = evhttp_uri_get_host(p);
	path = evhttp_uri_get_path(p);
	query = evhttp_uri_get_query(p);
	if (scheme == NULL || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
		snprintf(why, whylen, "A webhook URL is http or https.");
	else if (host == NULL || host[0] == '\0')
		snprintf(why, whylen, "The URL has no host.");
	else if (evhttp_uri_get_userinfo(p) != NULL)
		snprintf(why, whylen, "The URL may not carry a user name or password.");
	else if (evhttp_uri_get_fragment(p) != NULL)
		snprintf(why, whylen, "The URL may not have a fragment.");
	else if (evhttp_uri_get_port(p) == 0)
		snprintf(why, whylen, "The URL's port may not be 0.");
	else {
		n = strlen(host);
		if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
			host++;
			n -= 2;
		}
		if (n >= sizeof(u->host) || n == 0) {
			snprintf(why, whylen, "The URL's host is too long.");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			u->host[i] = (char)tolower((unsigned char)host[i]);
		if (!host_chars_ok(u->host)) {
			snprintf(why, whylen, "The URL's host is neither a DNS name nor an IP address.");
			goto out;
		}
		u->https = strcasecmp(scheme, "https") == 0;
		u->port = evhttp_uri_get_port(p) > 0 ? evhttp_uri_get_port(p) : u->https ? 443 : 80;
		snprintf(u->target, sizeof(u->target), "%s%s%s",
			 path != NULL && path[0] != '\0' ? path : "/", query != NULL ? "?" : "",
			 query != NULL ? query : "");
		r = 0;
	}
out:
	evhttp_uri_free(p);
	return r;
}

/* Whether host is in the allow list (entries separated by commas or spaces; an IPv6
 * literal with or without brackets). */
static bool
allowed(const char *allow, const char *host)
{
	size_t hn = strlen(host);

	for (const char *s = allow; *s != '\0';) {
		size_t n;
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		n = strcspn(s, ", \t");
		if (n == 0)
			break;
		const char *e = s;
		size_t en = n;
		if (en > 2 && e[0] == '[' && e[en - 1] == ']') {
			e++;
			en -= 2;
		}
		if (en == hn && strncasecmp(e, host, hn) == 0)
			return true;
		s += n;
	}
	return false;
}

/* "localhost", "localhost.", "x.localhost" (RFC 6761: always loopback). */
static bool
is_localhost(const char *host)
{
	size_t n = strlen(host);

	if (n > 0 && host[n - 1] == '.')
		n--;
	return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
	       (n > 10 && strncmp(host + n - 10, ".localhost", 10) == 0);
}

static struct netaddr
netaddr_of(const struct sockaddr *sa)
{
	struct netaddr a;

	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		a.b[10] = a.b[11] = 0xff;
		memcpy(a.b + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else {
		memcpy(a.b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	return a;
}

/* a as a socket address with port. */
static socklen_t
sockaddr_of(const struct netaddr *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (netaddr_is_v4(a)) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		memcpy(&in->sin_addr, a->b + 12, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	memcpy(&in6->sin6_addr, a->b, 16);
	return sizeof(*in6);
}

/* A lookup in flight. */
struct lookup {
	hostcheck_cb cb;
	void *arg;
	bool allowed;
	int port;
	char host[256];
};

static void
refuse_address(struct lookup *l, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN] = "?", why[512];
	const void *bytes = sa->sa_family == AF_INET
				    ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
				    : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	inet_ntop(sa->sa_family, bytes, text, sizeof(text));
	snprintf(why, sizeof(why), "The host %s is or resolves to %s, which is not a public "
				   "address.", l->host, text);
	l->cb(l->arg, HOSTCHECK_NOT_PUBLIC, NULL, 0, why);
}

static void
resolved_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct lookup *l = arg;
	const struct evutil_addrinfo *use = NULL;
	char why[512];

	if (err != 0 || res == NULL) {
		snprintf(why, sizeof(why), "The host %s does not resolve: %s.", l->host,
			 err != 0 ? evutil_gai_strerror(err) : "no address");
		l->cb(l->arg, HOSTCHECK_UNRESOLVED, NULL, 0, why);
		goto out;
	}
	for (const struct evutil_addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		struct netaddr a;
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		a = netaddr_of(ai->ai_addr);
		if (!l->allowed && !netaddr_is_public(&a)) {
			refuse_address(l, ai->ai_addr);
			goto out;
		}
		if (use == NULL)
			use = ai;
	}
	if (use == NULL) {
		snprintf(why, sizeof(why), "The host %s has no IP address.", l->host);
		l->cb(l->arg, HOSTCHECK_UNRESOLVED, NULL, 0, why);
	} else {
		struct sockaddr_storage ss;
		memcpy(&ss, use->ai_addr, use->ai_addrlen);
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)l->port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)l->port);
		l->cb(l->arg, HOSTCHECK_OK, (struct sockaddr *)&ss, (socklen_t)use->ai_addrlen, NULL);
	}
out:
	if (res != NULL)
		evutil_freeaddrinfo(res);
	free(l);
}

void
hostcheck_resolve(struct evdns_base *dns, const char *allow, const struct hostcheck_url *u,
		  hostcheck_cb cb, void *arg)
{
	struct evutil_addrinfo hints;
	struct lookup *l;
	struct netaddr literal;
	bool ok = allowed(allow != NULL ? allow : "", u->host);
	char port[8];

	if (is_localhost(u->host) ? netaddr_parse("127.0.0.1", 9, &literal)
				  : netaddr_parse(u->host, strlen(u->host), &literal)) {
		/* No lookup: an IP literal is itself; localhost is loopback. */
		char why[512];
		if (!ok && (is_localhost(u->host) || !netaddr_is_public(&literal))) {
			snprintf(why, sizeof(why), "The host %s is not a public address.", u->host);
			cb(arg, HOSTCHECK_NOT_PUBLIC, NULL, 0, why);
		} else {
			struct sockaddr_storage ss;
			socklen_t len = sockaddr_of(&literal, u->port, &ss);
			cb(arg, HOSTCHECK_OK, (struct sockaddr *)&ss, len, NULL);
		}
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		cb(arg, HOSTCHECK_UNRESOLVED, NULL, 0, "Out of memory.");
		return;
	}
	*l = (struct lookup){cb, arg, ok, u->port, ""};
	snprintf(l->host, sizeof(l->host), "%s", u->host);
	if (dns == NULL) {
		resolved_cb(EVUTIL_EAI_FAIL, NULL, l);
		return;
	}
	snprintf(port, sizeof(port), "%d", u->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	evdns_getaddrinfo(dns, u->host, port, &hints, resolved_cb, l);
}
