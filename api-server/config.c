/* config — a table of keys drives defaults, file parsing, environment overrides and checks. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

enum key_type { KEY_STRING, KEY_INT };

struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	const char *def; /* NULL: required */
	long min, max;   /* KEY_INT only */
};

#define STR(f, d) {#f, KEY_STRING, offsetof(struct config, f), d, 0, 0}
#define INT(f, d, lo, hi) {#f, KEY_INT, offsetof(struct config, f), d, lo, hi}

static const struct key keys[] = {
	STR(listen_address, "127.0.0.1"),
	INT(port, "8080", 0, 65535),
	STR(db_conninfo, NULL),
	INT(db_pool_size, "8", 1, 256),
	INT(db_query_timeout_ms, "5000", 100, 600000),
	INT(db_reconnect_min_ms, "100", 10, 60000),
	INT(db_reconnect_max_ms, "5000", 10, 600000),
	INT(db_queue_max, "4096", 1, 1000000),
	INT(db_pipeline_depth, "32", 1, 1024),
	STR(authority_key_file, NULL),
	STR(master_key_file, NULL),
	INT(access_token_ttl, "3600", 1, 31 * 24 * 3600),
	INT(max_body_size, "65536", 64, 64 * 1024 * 1024),
	INT(max_json_depth, "16", 1, 256),
	INT(max_string_length, "4096", 16, 64 * 1024 * 1024),
	INT(connection_timeout, "30", 1, 3600),
	INT(shutdown_timeout, "10", 0, 3600),
	INT(startup_db_wait, "30", 0, 3600),
	STR(log_level, "info"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key *
key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Stores value into cfg for key k; returns 0, or -1 with a message in err. */
static int
key_set(struct config *cfg, const struct key *k, const char *value, const char *origin,
	char *err, size_t errlen)
{
	void *field = (char *)cfg + k->offset;
	char *end;
	long v;

	if (k->type == KEY_STRING) {
		char **s = field;
		free(*s);
		if ((*s = strdup(value)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < k->min || v > k->max) {
		snprintf(err, errlen, "%s: %s must be an integer from %ld to %ld", origin,
			 k->name, k->min, k->max);
		return -1;
	}
	*(int *)field = (int)v;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char line[4096], origin[300];
	FILE *f;
	int lineno = 0, r = 0;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "could not open config file \"%s\": %s", path,
			 strerror(errno));
		return -1;
	}
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *s = trim(line), *eq;
		const struct key *k;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s: expected key = value", origin);
			r = -1;
			break;
		}
		*eq = '\0';
		if ((k = key_find(trim(s))) == NULL) {
			snprintf(err, errlen, "%s: unknown key \"%s\"", origin, trim(s));
			r = -1;
			break;
		}
		r = key_set(cfg, k, trim(eq + 1), origin, err, errlen);
	}
	fclose(f);
	return r;
}

static int
load_env(struct config *cfg, char *err, size_t errlen)
{
	char name[64];

	for (size_t i = 0; i < NKEYS; i++) {
		const char *v;
		size_t j;

		snprintf(name, sizeof(name), "FREECOOP_%s", keys[i].name);
		for (j = 9; name[j] != '\0'; j++)
			name[j] = (char)toupper((unsigned char)name[j]);
		if ((v = getenv(name)) == NULL)
			continue;
		if (key_set(cfg, &keys[i], v, name, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].def != NULL &&
		    key_set(cfg, &keys[i], keys[i].def, "default", err, errlen) != 0)
			return -1;
	}
	if (path != NULL && load_file(cfg, path, err, errlen) != 0)
		return -1;
	if (load_env(cfg, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < NKEYS; i++) {
		char **s = (char **)((char *)cfg + keys[i].offset);
		if (keys[i].type == KEY_STRING && (*s == NULL || **s == '\0')) {
			snprintf(err, errlen, "%s is required (config file or FREECOOP_%s)",
				 keys[i].name, keys[i].name);
			return -1;
		}
	}
	if (cfg->db_reconnect_min_ms > cfg->db_reconnect_max_ms) {
		snprintf(err, errlen, "db_reconnect_min_ms exceeds db_reconnect_max_ms");
		return -1;
	}
	return 0;
}

void
config_cleanup(struct config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == KEY_STRING) {
			char **s = (char **)((char *)cfg + keys[i].offset);
			free(*s);
			*s = NULL;
		}
	}
}

/* Prints a conninfo with any password=... value replaced by ***. */
static void
print_conninfo(const char *ci, FILE *out)
{
	const char *p = strstr(ci, "password");

	if (p == NULL) {
		fputs(ci, out);
		return;
	}
	fwrite(ci, 1, (size_t)(p - ci), out);
	fputs("password=***", out);
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	fputs(p, out);
}

void
config_print(const struct config *cfg, FILE *out)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const void *field = (const char *)cfg + keys[i].offset;
		fprintf(out, "%s = ", keys[i].name);
		if (keys[i].type == KEY_INT)
			fprintf(out, "%d", *(const int *)field);
		else if (strcmp(keys[i].name, "db_conninfo") == 0)
			print_conninfo(*(char *const *)field, out);
		else
			fputs(*(char *const *)field, out);
		fputc('\n', out);
	}
}
