/* Client addresses: parsing as peers and proxies write them, CIDR lists, the client behind
 * trusted proxies (X-Forwarded-For read from the right), and the per-client key (/64). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "netaddr.h"

static struct netaddr
addr(const char *s)
{
	struct netaddr a;

	assert_true(netaddr_parse(s, strlen(s), &a));
	return a;
}

static bool
same(const struct netaddr *a, const char *s)
{
	struct netaddr b = addr(s);

	return memcmp(a->b, b.b, 16) == 0;
}

static bool
parses(const char *s)
{
	struct netaddr a;

	return netaddr_parse(s, strlen(s), &a);
}

static void
test_parse(void **state)
{
	struct netaddr a = addr("192.0.2.1");

	assert_true(netaddr_is_v4(&a));
	/* One client, however it is written. */
	assert_true(same(&a, "::ffff:192.0.2.1"));
	assert_true(same(&a, " 192.0.2.1\t"));
	assert_true(same(&a, "192.0.2.1:8080"));
	a = addr("2001:db8::1");
	assert_false(netaddr_is_v4(&a));
	assert_true(same(&a, "[2001:db8::1]"));
	assert_true(same(&a, "[2001:DB8:0::1]:443"));
	assert_true(same(&a, "2001:db8::1%eth0"));
	/* Anything else is not an address. */
	const char *bad[] = {
		"",           "unknown",     "192.0.2",      "192.0.2.256",  "1.2.3.4.5",
		"01.2.3.4",   "192.0.2.1:",  "192.0.2.1:123456", "192.0.2.1:x", "[192.0.2.1]",
		"[2001:db8::1", "2001:db8::1]", "[::1]x",     "2001:db8::g",  "::1%",
		"192.0.2.1/24", "_obfuscated", "1.2.3.4 5.6.7.8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(parses(bad[i]));
	/* The length bounds the text: the first 9 bytes of "192.0.2.10". */
	assert_true(netaddr_parse("192.0.2.10", 9, &a));
	assert_true(same(&a, "192.0.2.1"));
	assert_false(netaddr_parse("192.0.2.10", 7, &a));
}

static struct netaddr_list *
list(const char *text)
{
	struct netaddr_list *l;
	char err[128];

	assert_int_equal(netaddr_list_parse(text, &l, err, sizeof(err)), 0);
	assert_non_null(l);
	return l;
}

static bool
in(const struct netaddr_list *l, const char *s)
{
	struct netaddr a = addr(s);

	return netaddr_list_contains(l, &a);
}

static void
test_lists(void **state)
{
	struct netaddr_list *l =
		list(" 10.0.0.0/8, 192.0.2.7 fd00::/8,,2001:db8:1::/48 172.16.1.1/12");
	char err[128];

	assert_true(in(l, "10.255.1.2"));
	assert_true(in(l, "::ffff:10.0.0.1"));
	assert_false(in(l, "11.0.0.1"));
	assert_true(in(l, "192.0.2.7"));
	assert_false(in(l, "192.0.2.8"));
	assert_true(in(l, "fdff::1"));
	assert_false(in(l, "fe00::1"));
	assert_true(in(l, "2001:db8:1:ffff::5"));
	assert_false(in(l, "2001:db8:2::5"));
	/* Bits past the prefix are ignored: 172.16.1.1/12 is 172.16.0.0/12. */
	assert_true(in(l, "172.31.255.255"));
	assert_false(in(l, "172.32.0.0"));
	netaddr_list_free(l);

	l = list("");
	assert_false(in(l, "127.0.0.1"));
	netaddr_list_free(l);
	assert_false(netaddr_list_contains(NULL, &(struct netaddr){{0}}));
	l = list("0.0.0.0/0");
	assert_true(in(l, "203.0.113.9"));
	assert_false(in(l, "2001:db8::1"));
	netaddr_list_free(l);

	const char *bad[] = {
		"10.0.0.0/33", "::/129",      "10.0.0.0/",         "10.0.0.0/8x", "10.0.0.0/-1",
		"example.org", "10.0.0.0/8, proxy", "[::1]", "10.0.0.1:80", "/8",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(netaddr_list_parse(bad[i], &l, err, sizeof(err)), -1);
		assert_null(l);
		assert_non_null(strstr(err, "is not an IP address or network"));
	}
	assert_int_equal(netaddr_list_parse("10.0.0.0/8, proxy.example", &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"proxy.example\""));
}

/* The client of a request from peer with the given X-Forwarded-For lines. */
static void
client_is(const char *want, const char *peer, const struct netaddr_list *trusted,
	  const char *const *xff, size_t nxff)
{
	struct netaddr p = addr(peer), c;

	netaddr_client(&p, trusted, xff, nxff, &c);
	assert_true(same(&c, want));
}

static void
test_client(void **state)
{
	struct netaddr_list *t = list("127.0.0.6, 10.0.0.0/8, fd00::/8");
	const char *one[] = {"198.51.100.1"};
	const char *spoof[] = {"203.0.113.66, 198.51.100.1"};
	const char *chain[] = {"198.51.100.3, 10.1.2.3,10.9.9.9"};
	const char *lines[] = {"203.0.113.66", "198.51.100.4, 10.0.0.2", "10.0.0.1"};
	const char *all_trusted[] = {"10.0.0.3, 10.0.0.2"};
	const char *garbage[] = {"198.51.100.5, unknown, 10.0.0.2"};
	const char *empty_elems[] = {"198.51.100.6 , ,", " "};
	const char *v6[] = {"[2001:db8::7]:5555, fd00::1"};

	/* An untrusted peer is the client, whatever it claims. */
	client_is("127.0.0.7", "127.0.0.7", t, one, 1);
	/* A trusted one without the header is the client too. */
	client_is("127.0.0.6", "127.0.0.6", t, NULL, 0);
	client_is("198.51.100.1", "127.0.0.6", t, one, 1);
	/* What the client wrote itself, left of what the proxy saw, is not believed. */
	client_is("198.51.100.1", "127.0.0.6", t, spoof, 1);
	/* Trusted hops are skipped, from the right, across header lines. */
	client_is("198.51.100.3", "127.0.0.6", t, chain, 1);
	client_is("198.51.100.4", "127.0.0.6", t, lines, 3);
	client_is("10.0.0.3", "127.0.0.6", t, all_trusted, 1);
	/* An entry that is no address stops the walk at the hop that wrote it. */
	client_is("10.0.0.2", "127.0.0.6", t, garbage, 1);
	client_is("198.51.100.6", "127.0.0.6", t, empty_elems, 2);
	client_is("2001:db8::7", "::ffff:127.0.0.6", t, v6, 1);
	/* Nothing is trusted by default. */
	netaddr_list_free(t);
	t = list("");
	client_is("127.0.0.6", "127.0.0.6", t, one, 1);
	netaddr_list_free(t);
}

static void
key_of(const char *s, unsigned char key[16])
{
	struct netaddr a = addr(s);

	netaddr_key(&a, key);
}

/* What a webhook may be sent to: each special-purpose network refused at both its ends,
 * and addresses just outside them accepted. */
static void
test_public(void **state)
{
	const char *refused[] = {
		"0.0.0.0",	   "0.255.255.255",  "10.0.0.1",	"10.255.255.255",
		"100.64.0.1",	   "100.127.255.255", "127.0.0.1",	"127.0.0.2",
		"169.254.169.254", "172.16.0.1",     "172.31.255.255", "192.0.0.8",
		"192.0.2.1",	   "192.88.99.1",    "192.168.1.1",	"198.18.0.1",
		"198.19.255.255",  "198.51.100.7",   "203.0.113.9",	"224.0.0.1",
		"239.255.255.250", "240.0.0.1",	     "255.255.255.255", "::",
		"::1",		   "::ffff:127.0.0.1", "::ffff:10.1.2.3", "::127.0.0.1",
		"64:ff9b::a00:1",  "100::1",	     "fc00::1",		"fd12:3456::1",
		"fe80::1",	   "fec0::1",	     "ff02::1",		"2001::1",
		"2001:db8::1",	   "2002:c000:0201::1", "3fff::1",
	};
	const char *accepted[] = {
		"1.1.1.1",	  "9.255.255.255", "11.0.0.0",	     "100.63.255.255",
		"100.128.0.0",	  "126.255.255.255", "128.0.0.1",    "169.253.255.255",
		"172.15.255.255", "172.32.0.0",	   "192.0.3.0",	     "192.167.255.255",
		"192.169.0.0",	  "198.17.255.255", "198.20.0.0",     "223.255.255.255",
		"::ffff:8.8.8.8", "64:ff9b::808:808", "2001:4860:4860::8888", "2a00:1450::1",
		"2606:4700::1111", "2001:200::1",
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct netaddr a = addr(refused[i]);
		if (netaddr_is_public(&a))
			fail_msg("%s counted as public", refused[i]);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		struct netaddr a = addr(accepted[i]);
		if (!netaddr_is_public(&a))
			fail_msg("%s counted as not public", accepted[i]);
	}
}

static void
test_key(void **state)
{
	unsigned char a[16], b[16];

	/* One IPv6 /64 is one client; the next /64 is another. */
	key_of("2001:db8:1:2::1", a);
	key_of("2001:db8:1:2:ffff:eeee:dddd:cccc", b);
	assert_memory_equal(a, b, 16);
	key_of("2001:db8:1:3::1", b);
	assert_memory_not_equal(a, b, 16);
	/* IPv4 counts by the address, mapped or not. */
	key_of("192.0.2.1", a);
	key_of("::ffff:192.0.2.1", b);
	assert_memory_equal(a, b, 16);
	key_of("192.0.2.2", b);
	assert_memory_not_equal(a, b, 16);
	/* ::/64 (::1 among them) is not the key of any IPv4 address. */
	key_of("::1", a);
	key_of("0.0.0.0", b);
	assert_memory_not_equal(a, b, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_client),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_public),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
