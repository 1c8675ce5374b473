/* The notified cache (common/ncache.h) as the credentials use it (core/credcache.h):
 * nothing answered while not listening; an entry good until its TTL or its token's expiry,
 * whichever is first; a revocation (local, or notified as hex hashes) forgets exactly that
 * token; "all" or a payload not understood forgets everything; an answer whose lookup
 * started before a change was heard is not kept; listening again starts empty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/credcache.h"
#include "ncache.h"

#define TTL_MS 1000
#define NOW 5000000u

static struct credential
cred(const char *prefix, int seed)
{
	struct credential c;

	memset(&c, 0, sizeof(c));
	snprintf(c.prefix, sizeof(c.prefix), "%s", prefix);
	for (int i = 0; i < UTIL_SHA256_LEN; i++)
		c.hash[i] = (unsigned char)(seed * 37 + i * 11);
	return c;
}

static struct principal
person(const char *name)
{
	struct principal p;

	memset(&p, 0, sizeof(p));
	p.kind = PRINCIPAL_ACCOUNT;
	snprintf(p.account_name, sizeof(p.account_name), "%s", name);
	return p;
}

static struct principal got;

static const char *
name_of(struct ncache *cc, const struct credential *c, uint64_t now)
{
	return credcache_get(cc, c, now, &got) ? got.account_name : NULL;
}

static struct ncache *
listening(size_t n)
{
	struct ncache *cc = ncache_new(n, TTL_MS);

	assert_non_null(cc);
	ncache_listening(cc, 1);
	return cc;
}

static void
test_only_while_listening(void **state)
{
	struct ncache *cc = ncache_new(64, TTL_MS);
	struct credential a = cred("acc_", 1);
	struct principal ada = person("Ada");

	(void)state;
	credcache_put(cc, ncache_ticket(cc), &a, &ada, 0, NOW);
	assert_null(name_of(cc, &a, NOW)); /* not listening: nothing kept */
	ncache_listening(cc, 1);
	credcache_put(cc, ncache_ticket(cc), &a, &ada, 0, NOW);
	assert_string_equal(name_of(cc, &a, NOW), "Ada");
	ncache_listening(cc, 0);
	assert_null(name_of(cc, &a, NOW)); /* stopped: not trusted */
	ncache_listening(cc, 1);
	assert_null(name_of(cc, &a, NOW)); /* listening again: starts empty */
	ncache_free(cc);
}

static void
test_ttl_and_expiry(void **state)
{
	struct ncache *cc = listening(64);
	struct credential a = cred("acc_", 1), b = cred("acc_", 2);
	struct principal ada = person("Ada"), bob = person("Bob");

	(void)state;
	credcache_put(cc, ncache_ticket(cc), &a, &ada, 0, NOW);
	assert_string_equal(name_of(cc, &a, NOW + TTL_MS * 1000u - 1), "Ada");
	assert_null(name_of(cc, &a, NOW + TTL_MS * 1000u));
	/* A token expiring before the TTL: gone at its expiry. */
	credcache_put(cc, ncache_ticket(cc), &b, &bob, NOW + 300, NOW);
	assert_string_equal(name_of(cc, &b, NOW + 299), "Bob");
	assert_null(name_of(cc, &b, NOW + 300));
	/* Already expired: not kept. */
	struct credential c = cred("acc_", 3);
	credcache_put(cc, ncache_ticket(cc), &c, &bob, NOW, NOW);
	assert_null(name_of(cc, &c, NOW));
	ncache_free(cc);
}

static void
test_forget_one(void **state)
{
	struct ncache *cc = listening(1024);
	struct credential a = cred("acc_", 1), b = cred("acc_", 2);
	struct principal ada = person("Ada"), bob = person("Bob");

	(void)state;
	credcache_put(cc, ncache_ticket(cc), &a, &ada, 0, NOW);
	credcache_put(cc, ncache_ticket(cc), &b, &bob, 0, NOW);
	ncache_forget(cc, a.hash);
	assert_null(name_of(cc, &a, NOW));
	assert_string_equal(name_of(cc, &b, NOW), "Bob");
	ncache_free(cc);
}

static void
test_notified(void **state)
{
	struct ncache *cc = listening(1024);
	struct credential c[3] = {cred("acc_", 1), cred("acc_", 2), cred("acc_", 3)};
	struct principal who = person("X");
	char payload[2 + 2 * (2 * UTIL_SHA256_LEN + 1)] = "t:";

	(void)state;
	for (int i = 0; i < 3; i++)
		credcache_put(cc, ncache_ticket(cc), &c[i], &who, 0, NOW);
	util_hex(c[0].hash, UTIL_SHA256_LEN, payload + 2);
	strcat(payload, ",");
	util_hex(c[2].hash, UTIL_SHA256_LEN, payload + strlen(payload));
	credcache_notified(cc, payload);
	assert_null(name_of(cc, &c[0], NOW));
	assert_non_null(name_of(cc, &c[1], NOW));
	assert_null(name_of(cc, &c[2], NOW));
	/* Not understood: everything goes. */
	credcache_notified(cc, "t:12zz");
	assert_null(name_of(cc, &c[1], NOW));
	for (int i = 0; i < 3; i++)
		credcache_put(cc, ncache_ticket(cc), &c[i], &who, 0, NOW);
	credcache_notified(cc, "all");
	for (int i = 0; i < 3; i++)
		assert_null(name_of(cc, &c[i], NOW));
	ncache_free(cc);
}

/* A lookup that started before a revocation may have read the token live. */
static void
test_stale_answer_dropped(void **state)
{
	struct ncache *cc = listening(64);
	struct credential a = cred("acc_", 1), b = cred("acc_", 2);
	struct principal ada = person("Ada");
	uint64_t before = ncache_ticket(cc);

	(void)state;
	ncache_forget(cc, b.hash); /* any revocation, even of another token */
	credcache_put(cc, before, &a, &ada, 0, NOW);
	assert_null(name_of(cc, &a, NOW));
	credcache_put(cc, ncache_ticket(cc), &a, &ada, 0, NOW);
	assert_string_equal(name_of(cc, &a, NOW), "Ada");
	ncache_free(cc);
}

static void
test_size_zero_keeps_nothing(void **state)
{
	struct ncache *cc = listening(0);
	struct credential a = cred("acc_", 1);
	struct principal ada = person("Ada");

	(void)state;
	credcache_put(cc, ncache_ticket(cc), &a, &ada, 0, NOW);
	assert_null(name_of(cc, &a, NOW));
	credcache_notified(cc, "all");
	ncache_free(cc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_while_listening),
		cmocka_unit_test(test_ttl_and_expiry),
		cmocka_unit_test(test_forget_one),
		cmocka_unit_test(test_notified),
		cmocka_unit_test(test_stale_answer_dropped),
		cmocka_unit_test(test_size_zero_keeps_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
