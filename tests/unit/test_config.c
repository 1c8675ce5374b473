/* Configuration: defaults, file, environment precedence, and clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char path[64];

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/fc-test-config-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	setenv("FREECOOP_DB_CONNINFO", "dbname=x", 1);
	setenv("FREECOOP_AUTHORITY_KEY_FILE", "/k", 1);
	setenv("FREECOOP_MASTER_KEY_FILE", "/m", 1);
	setenv("FREECOOP_WORKER_SOCKET", "/w", 1);
	unsetenv("FREECOOP_PORT");
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	return 0;
}

static void
test_defaults(void **state)
{
	struct config c;
	char err[256];

	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	assert_int_equal(c.port, 8080);
	assert_string_equal(c.listen_address, "127.0.0.1");
	assert_int_equal(c.access_token_ttl, 3600);
	assert_int_equal(c.max_body_size, 1048576);
	assert_int_equal(c.max_header_size, 16384);
	assert_int_equal(c.linger_timeout, 2);
	assert_int_equal(c.max_access_tokens, 20);
	assert_int_equal(c.rate_limit_account, 40);
	assert_int_equal(c.rate_limit_address, 5);
	assert_string_equal(c.trusted_proxies, ""); /* no proxy is trusted */
	config_cleanup(&c);
}

static void
test_file_then_env(void **state)
{
	struct config c;
	char err[256];

	write_file("# comment\n port = 9000 \naccess_token_ttl=60\n\nlisten_address = 0.0.0.0\n");
	setenv("FREECOOP_PORT", "9100", 1);
	assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.port, 9100);
	assert_int_equal(c.access_token_ttl, 60);
	assert_string_equal(c.listen_address, "0.0.0.0");
	config_cleanup(&c);
	unsetenv("FREECOOP_PORT");
}

static void
test_errors_name_the_key(void **state)
{
	struct config c;
	char err[256];

	write_file("port = eighty\n");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "port must be an integer"));
	assert_non_null(strstr(err, ":1"));
	config_cleanup(&c);

	write_file("\ncolour = blue\n");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key \"colour\""));
	config_cleanup(&c);

	write_file("port = 70000\n");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "from 0 to 65535"));
	config_cleanup(&c);
}

static void
test_trusted_proxies(void **state)
{
	struct config c;
	char err[256];

	write_file("trusted_proxies = 10.0.0.0/8, ::1 192.0.2.7\n");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), 0);
	config_cleanup(&c);

	/* A host name (or a typo) stops the start, naming the key and the entry. */
	write_file("trusted_proxies = 10.0.0.0/8, proxy.example\n");
	assert_int_equal(config_load(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "trusted_proxies: \"proxy.example\" is not an IP address"));
	config_cleanup(&c);

	setenv("FREECOOP_TRUSTED_PROXIES", "10.0.0.0/33", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"10.0.0.0/33\""));
	config_cleanup(&c);
	unsetenv("FREECOOP_TRUSTED_PROXIES");
}

static void
test_required(void **state)
{
	struct config c;
	char err[256];

	unsetenv("FREECOOP_DB_CONNINFO");
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "db_conninfo is required (config file or FREECOOP_DB_CONNINFO)"));
	config_cleanup(&c);
	setenv("FREECOOP_DB_CONNINFO", "dbname=x", 1);
}

static void
test_print_masks_password(void **state)
{
	struct config c;
	char err[256], buf[4096] = "";
	FILE *f;

	setenv("FREECOOP_DB_CONNINFO", "host=/tmp password=hunter2 dbname=x", 1);
	assert_int_equal(config_load(&c, NULL, err, sizeof(err)), 0);
	f = fmemopen(buf, sizeof(buf) - 1, "w");
	config_print(&c, f);
	fclose(f);
	assert_null(strstr(buf, "hunter2"));
	assert_non_null(strstr(buf, "password=*** dbname=x"));
	config_cleanup(&c);
	setenv("FREECOOP_DB_CONNINFO", "dbname=x", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_then_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trusted_proxies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_the_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_masks_password, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
