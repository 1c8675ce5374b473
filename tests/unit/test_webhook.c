/* Webhooks: the Standard Webhooks signature against the specification's own example, and
 * which URLs a service may set (the address checks are test_netaddr's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "b64.h"
#include "core/hostcheck.h"
#include "events/client.h"

/* The example of the Standard Webhooks reference libraries (secret, id, timestamp, body,
 * signature): another implementation's answer, not ours. */
static void
test_signature_vector(void **state)
{
	const char *secret = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	unsigned char key[64];
	ssize_t n = b64_decode(secret, strlen(secret), key, sizeof(key), false);
	const char *body = "{\"test\": 2432232314}";
	char sig[CLIENT_SIGNATURE_MAX];

	assert_int_equal(n, 24);
	client_sign(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body),
		    sig);
	assert_string_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	/* One byte of the body, the id or the time changed: another signature. */
	client_sign(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
		    "{\"test\": 2432232315}", strlen(body), sig);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	client_sign(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJel", 1614265330, body, strlen(body),
		    sig);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
	client_sign(key, (size_t)n, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331, body, strlen(body),
		    sig);
	assert_string_not_equal(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

static void
test_parse(void **state)
{
	struct hostcheck_url u;
	char why[256], big[HOSTCHECK_URL_MAX + 16];

	assert_int_equal(hostcheck_parse("https://Hooks.Example.COM/in?x=1", &u, why, sizeof(why)), 0);
	assert_true(u.https);
	assert_string_equal(u.host, "hooks.example.com");
	assert_int_equal(u.port, 443);
	assert_string_equal(u.target, "/in?x=1");
	assert_int_equal(hostcheck_parse("http://[2001:DB8::1]:8080", &u, why, sizeof(why)), 0);
	assert_false(u.https);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(u.port, 8080);
	assert_string_equal(u.target, "/");
	assert_int_equal(hostcheck_parse("HTTP://127.0.0.1:9/a/b", &u, why, sizeof(why)), 0);
	assert_int_equal(u.port, 9);

	const char *bad[] = {
		"ftp://example.com/", "example.com/hook", "http:///nohost", "http://user:pw@example.com/",
		"http://example.com/#frag", "http://example.com:0/", "javascript:alert(1)",
		"http://exa%6dple.com/", "http://exa_mple.com/", "not a url", "",
		"http://example.com:99999/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hostcheck_parse(bad[i], &u, why, sizeof(why)) == 0)
			fail_msg("accepted: %s", bad[i]);
	memset(big, 'a', sizeof(big));
	memcpy(big, "http://example.com/", 19);
	big[HOSTCHECK_URL_MAX + 1] = '\0';
	assert_int_equal(hostcheck_parse(big, &u, why, sizeof(why)), -1);
}

/* What hostcheck_resolve decides without any lookup: IP literals and localhost. */
struct verdict {
	int calls;
	enum hostcheck_verdict v;
	int port;
};

static void
verdict_cb(void *arg, enum hostcheck_verdict v, const struct sockaddr *addr, socklen_t len,
	   const char *why)
{
	struct verdict *out = arg;

	out->calls++;
	out->v = v;
	out->port = addr != NULL ? ntohs(((const struct sockaddr_in *)addr)->sin_port) : 0;
}

static enum hostcheck_verdict
verdict_of(const char *url, const char *allow)
{
	struct hostcheck_url u;
	struct verdict v = {0};
	char why[256];

	assert_int_equal(hostcheck_parse(url, &u, why, sizeof(why)), 0);
	hostcheck_resolve(NULL, allow, &u, verdict_cb, &v);
	assert_int_equal(v.calls, 1); /* at once: no lookup was needed */
	return v.v;
}

static void
test_literals(void **state)
{
	const char *refused[] = {
		"http://localhost:1/", "http://LOCALHOST:1/", "http://a.localhost:1/",
		"http://localhost.:1/", "http://[::1]:1/", "http://127.0.0.2:1/", "http://0.0.0.0:1/",
		"http://10.0.0.1/", "http://169.254.169.254/latest", "http://[fe80::1]/",
		"http://[::ffff:127.0.0.1]/",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (verdict_of(refused[i], "") != HOSTCHECK_NOT_PUBLIC)
			fail_msg("not refused: %s", refused[i]);
	assert_int_equal(verdict_of("http://8.8.8.8/", ""), HOSTCHECK_OK);
	assert_int_equal(verdict_of("https://[2606:4700::1111]/", ""), HOSTCHECK_OK);
	/* The allow list names hosts exactly. */
	assert_int_equal(verdict_of("http://127.0.0.1:8080/", "127.0.0.1"), HOSTCHECK_OK);
	assert_int_equal(verdict_of("http://127.0.0.2:8080/", "127.0.0.1"), HOSTCHECK_NOT_PUBLIC);
	assert_int_equal(verdict_of("http://[::1]:8080/", "127.0.0.1, [::1]"), HOSTCHECK_OK);
	assert_int_equal(verdict_of("http://localhost:8080/", "127.0.0.1 localhost"), HOSTCHECK_OK);
	assert_int_equal(verdict_of("http://a.localhost:8080/", "localhost"), HOSTCHECK_NOT_PUBLIC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_vector),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_literals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
