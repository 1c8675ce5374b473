/* netaddr — IP addresses and CIDR lists: parsing, matching, and which address a request
 * counts against (its client's, as the peer or a trusted proxy reports it).
 *
 * An address is kept as 16 bytes: IPv6 as is, IPv4 as its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d), so that one comparison serves both and ::ffff:192.0.2.1 is the same
 * client as 192.0.2.1. */
#ifndef FREECOOP_NETADDR_H
#define FREECOOP_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

struct netaddr {
	unsigned char b[16];
};

/* A list of networks (address/prefix), e.g. the trusted proxies. Opaque. */
struct netaddr_list;

/* Parses s[0..n) as one address: IPv4 dotted quad, or IPv6 text (a %zone suffix is
 * ignored), optionally as a proxy writes it with a port: "192.0.2.1:8080",
 * "[2001:db8::1]" or "[2001:db8::1]:8080". Surrounding spaces and tabs are ignored.
 * Returns whether s was exactly that; *out is set only then. */
bool netaddr_parse(const char *s, size_t n, struct netaddr *out);

/* Whether a is an IPv4 address (an IPv4-mapped one included). */
bool netaddr_is_v4(const struct netaddr *a);

/* Whether a is an address of the public internet: not loopback, private (RFC 1918, ULA),
 * shared (CGNAT, 100.64/10), link-local, multicast, unspecified, broadcast, reserved,
 * benchmarking, documentation, or an IPv6 transition form (6to4, Teredo) that could reach
 * one of those; an IPv4-mapped or NAT64 (64:ff9b::/96) address is judged by the IPv4
 * address it embeds. What a server may be asked to send requests to (webhooks). */
bool netaddr_is_public(const struct netaddr *a);

/* Parses text: entries separated by commas and/or spaces, each an address ("192.0.2.7",
 * "::1") or a network in CIDR form ("10.0.0.0/8", "fd00::/8"; bits set past the prefix
 * are ignored). Empty text is an empty list. Returns 0 with *out set (free it with
 * netaddr_list_free), or -1 with *out NULL and a message naming the bad entry in err
 * (or saying memory ran out). */
int netaddr_list_parse(const char *text, struct netaddr_list **out, char *err, size_t errlen);

/* Frees l; NULL is a no-op. */
void netaddr_list_free(struct netaddr_list *l);

/* Whether a lies in one of l's networks (false for an empty or NULL list). */
bool netaddr_list_contains(const struct netaddr_list *l, const struct netaddr *a);

/* The client of a request that came from peer with the X-Forwarded-For header lines
 * xff[0..nxff) in the order received (one line may list several addresses, comma
 * separated). A peer outside trusted is the client, whatever its headers say. A trusted
 * peer's X-Forwarded-For is read from the right: the first address that is not itself a
 * trusted proxy is the client; when every address is trusted, the left-most is; when an
 * entry cannot be parsed, the trusted hop that reported it is. Entries left of the client
 * are the client's own claims and are never looked at. */
void netaddr_client(const struct netaddr *peer, const struct netaddr_list *trusted,
		    const char *const *xff, size_t nxff, struct netaddr *client);

/* What a per-client limit counts by: an IPv4 address itself, an IPv6 address's /64 (one
 * subscriber's network: any host in it is the same client). Two addresses get the same
 * 16 bytes exactly when they are the same client. */
void netaddr_key(const struct netaddr *a, unsigned char key[16]);

#endif
