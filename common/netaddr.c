/* netaddr — addresses, CIDR lists and the client behind trusted proxies (see netaddr.h). */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

/* Longer than any address text, zone included, that inet_pton takes. */
#define TEXT_MAX 64

struct net {
	struct netaddr addr; /* bits past the prefix cleared */
	int bits;            /* prefix length over the 16 bytes (IPv4: 96 + its own) */
};

struct netaddr_list {
	size_t n;
	struct net nets[];
};

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..n) without the spaces and tabs around it: moves *s, returns the length left. */
static size_t
trim(const char **s, size_t n)
{
	while (n > 0 && is_blank(**s)) {
		(*s)++;
		n--;
	}
	while (n > 0 && is_blank((*s)[n - 1]))
		n--;
	return n;
}

/* An address with neither brackets nor port; IPv6 may carry a %zone, ignored. */
static bool
parse_plain(const char *s, size_t n, struct netaddr *out)
{
	char buf[TEXT_MAX];
	unsigned char v4[4];
	char *zone;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, v4) == 1) {
		memcpy(out->b, v4_mapped, sizeof(v4_mapped));
		memcpy(out->b + 12, v4, 4);
		return true;
	}
	if ((zone = strchr(buf, '%')) != NULL) {
		if (zone[1] == '\0')
			return false;
		*zone = '\0';
	}
	return inet_pton(AF_INET6, buf, out->b) == 1;
}

/* Whether s[0..n) is empty or ":" and 1 to 5 digits. */
static bool
port_ok(const char *s, size_t n)
{
	if (n == 0)
		return true;
	if (s[0] != ':' || n < 2 || n > 6)
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Non-public IPv4 networks (IANA special-purpose registry), as address and prefix. */
static const struct {
	unsigned char a[4];
	int bits;
} v4_special[] = {
	{{0, 0, 0, 0}, 8},	   /* "this network" */
	{{10, 0, 0, 0}, 8},	   /* private */
	{{100, 64, 0, 0}, 10},	   /* shared address space (CGNAT) */
	{{127, 0, 0, 0}, 8},	   /* loopback */
	{{169, 254, 0, 0}, 16},	   /* link-local */
	{{172, 16, 0, 0}, 12},	   /* private */
	{{192, 0, 0, 0}, 24},	   /* IETF protocol assignments */
	{{192, 0, 2, 0}, 24},	   /* documentation */
	{{192, 88, 99, 0}, 24},	   /* 6to4 relay anycast */
	{{192, 168, 0, 0}, 16},	   /* private */
	{{198, 18, 0, 0}, 15},	   /* benchmarking */
	{{198, 51, 100, 0}, 24},   /* documentation */
	{{203, 0, 113, 0}, 24},	   /* documentation */
	{{224, 0, 0, 0}, 4},	   /* multicast */
	{{240, 0, 0, 0}, 4},	   /* reserved, broadcast */
};

/* Whether the first bits of a and net agree. */
static bool
prefix_eq(const unsigned char *a, const unsigned char *net, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, net, (size_t)whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ net[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static bool
v4_public(const unsigned char *v4)
{
	for (size_t i = 0; i < sizeof(v4_special) / sizeof(v4_special[0]); i++)
		if (prefix_eq(v4, v4_special[i].a, v4_special[i].bits))
			return false;
	return true;
}

bool
netaddr_is_public(const struct netaddr *a)
{
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
	static const struct {
		unsigned char a[4];
		int bits;
	} v6_special[] = {
		{{0x20, 0x01, 0x00, 0x00}, 23}, /* IETF protocol assignments, Teredo */
		{{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
		{{0x20, 0x02, 0x00, 0x00}, 16}, /* 6to4 */
		{{0x3f, 0xff, 0x00, 0x00}, 20}, /* documentation (RFC 9637) */
	};

	if (netaddr_is_v4(a))
		return v4_public(a->b + 12);
	if (memcmp(a->b, nat64, sizeof(nat64)) == 0)
		return v4_public(a->b + 12);
	/* Only global unicast (2000::/3) is public: this leaves out ::, ::1, the IPv4-
	 * compatible forms, 100::/64, ULA (fc00::/7), link-local, site-local, multicast. */
	if ((a->b[0] & 0xe0) != 0x20)
		return false;
	for (size_t i = 0; i < sizeof(v6_special) / sizeof(v6_special[0]); i++)
		if (prefix_eq(a->b, v6_special[i].a, v6_special[i].bits))
			return false;
	return true;
}

bool
netaddr_is_v4(const struct netaddr *a)
{
	return memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0;
}

bool
netaddr_parse(const char *s, size_t n, struct netaddr *out)
{
	struct netaddr a;
	const char *colon;

	n = trim(&s, n);
	if (n > 0 && s[0] == '[') { /* [IPv6] or [IPv6]:port */
		const char *close = memchr(s, ']', n);
		if (close == NULL || !port_ok(close + 1, (size_t)(s + n - close - 1)) ||
		    !parse_plain(s + 1, (size_t)(close - s - 1), &a) || netaddr_is_v4(&a))
			return false;
	} else if ((colon = memchr(s, ':', n)) != NULL &&
		   memchr(colon + 1, ':', (size_t)(s + n - colon - 1)) == NULL) {
		/* One colon: IPv4:port (IPv6 text has at least two) */
		if (!port_ok(colon, (size_t)(s + n - colon)) ||
		    !parse_plain(s, (size_t)(colon - s), &a) || !netaddr_is_v4(&a))
			return false;
	} else if (!parse_plain(s, n, &a)) {
		return false;
	}
	*out = a;
	return true;
}

/* Clears the bits of a past the first bits. */
static void
mask(struct netaddr *a, int bits)
{
	for (int i = 0; i < 16; i++) {
		int keep = bits - 8 * i;
		if (keep <= 0)
			a->b[i] = 0;
		else if (keep < 8)
			a->b[i] &= (unsigned char)(0xff << (8 - keep));
	}
}

/* One list entry: an address, or address/prefix. */
static bool
parse_net(const char *s, size_t n, struct net *out)
{
	const char *slash = memchr(s, '/', n);
	size_t alen = slash != NULL ? (size_t)(slash - s) : n;
	long bits = 0;

	if (!parse_plain(s, alen, &out->addr))
		return false;
	if (slash == NULL) {
		out->bits = 128;
		return true;
	}
	if (n - alen < 2 || n - alen > 4)
		return false;
	for (const char *p = slash + 1; p < s + n; p++) {
		if (*p < '0' || *p > '9')
			return false;
		bits = bits * 10 + (*p - '0');
	}
	if (netaddr_is_v4(&out->addr))
		bits = bits <= 32 ? bits + 96 : 999;
	if (bits > 128)
		return false;
	out->bits = (int)bits;
	mask(&out->addr, out->bits);
	return true;
}

static bool
is_separator(char c)
{
	return c == ',' || is_blank(c);
}

int
netaddr_list_parse(const char *text, struct netaddr_list **out, char *err, size_t errlen)
{
	struct netaddr_list *l;
	size_t max = 1;
	const char *p = text;

	*out = NULL;
	for (const char *q = text; *q != '\0'; q++)
		max += is_separator(*q);
	if ((l = calloc(1, sizeof(*l) + max * sizeof(struct net))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		size_t n;

		while (is_separator(*p))
			p++;
		if (*p == '\0')
			break;
		for (n = 0; p[n] != '\0' && !is_separator(p[n]); n++)
			;
		if (!parse_net(p, n, &l->nets[l->n])) {
			snprintf(err, errlen,
				 "\"%.*s\" is not an IP address or network (like 10.0.0.0/8)",
				 n > 64 ? 64 : (int)n, p);
			free(l);
			return -1;
		}
		l->n++;
		p += n;
	}
	*out = l;
	return 0;
}

void
netaddr_list_free(struct netaddr_list *l)
{
	free(l);
}

static bool
in_net(const struct net *net, const struct netaddr *a)
{
	int whole = net->bits / 8, rest = net->bits % 8;

	if (memcmp(net->addr.b, a->b, (size_t)whole) != 0)
		return false;
	return rest == 0 ||
	       ((a->b[whole] ^ net->addr.b[whole]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

bool
netaddr_list_contains(const struct netaddr_list *l, const struct netaddr *a)
{
	for (size_t i = 0; l != NULL && i < l->n; i++)
		if (in_net(&l->nets[i], a))
			return true;
	return false;
}

/* Walks one X-Forwarded-For line from the right (see netaddr_client). Returns true once
 * the client is decided, false to go on with the line before. */
static bool
walk_line(const char *line, const struct netaddr_list *trusted, struct netaddr *client)
{
	size_t end = strlen(line);

	for (;;) {
		size_t start = end;
		const char *s;

		while (start > 0 && line[start - 1] != ',')
			start--;
		s = line + start;
		if (trim(&s, end - start) > 0) { /* empty list elements are allowed */
			struct netaddr a;
			if (!netaddr_parse(line + start, end - start, &a))
				return true;
			*client = a;
			if (!netaddr_list_contains(trusted, &a))
				return true;
		}
		if (start == 0)
			return false;
		end = start - 1;
	}
}

void
netaddr_client(const struct netaddr *peer, const struct netaddr_list *trusted,
	       const char *const *xff, size_t nxff, struct netaddr *client)
{
	*client = *peer;
	if (!netaddr_list_contains(trusted, peer))
		return;
	for (size_t i = nxff; i-- > 0;)
		if (walk_line(xff[i], trusted, client))
			return;
}

void
netaddr_key(const struct netaddr *a, unsigned char key[16])
{
	memcpy(key, a->b, 16);
	if (!netaddr_is_v4(a))
		memset(key + 8, 0, 8);
}
