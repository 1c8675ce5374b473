/* conf — a table of keys drives defaults, file parsing, environment overrides and checks. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static const struct conf_key *
key_find(const struct conf_key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Stores value into cfg for key k; returns 0, or -1 with a message in err. */
static int
key_set(void *cfg, const struct conf_key *k, const char *value, const char *origin, char *err,
        size_t errlen)
{
	void *field = (char *)cfg + k->offset;
	char *end;
	long v;

	if (k->type != CONF_TYPE_INT) {
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
		snprintf(err, errlen, "%s: %s must be an integer from %ld to %ld", origin, k->name,
		         k->min, k->max);
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
load_file(const struct conf_key *keys, size_t n, void *cfg, const char *path, char *err,
          size_t errlen)
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
		const struct conf_key *k;

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
		if ((k = key_find(keys, n, trim(s))) == NULL) {
			snprintf(err, errlen, "%s: unknown key \"%s\"", origin, trim(s));
			r = -1;
			break;
		}
		r = key_set(cfg, k, trim(eq + 1), origin, err, errlen);
	}
	fclose(f);
	return r;
}

/* The environment variable of a key: prefix and the key in capitals (FREECOOP_PORT). */
static const char *
env_name(const char *prefix, const char *key, char *buf, size_t len)
{
	size_t plen = strlen(prefix);

	snprintf(buf, len, "%s%s", prefix, key);
	for (size_t j = plen; j < len && buf[j] != '\0'; j++)
		buf[j] = (char)toupper((unsigned char)buf[j]);
	return buf;
}

static int
load_env(const struct conf_key *keys, size_t n, void *cfg, const char *prefix, char *err,
         size_t errlen)
{
	char name[96];

	for (size_t i = 0; i < n; i++) {
		const char *v;

		if ((v = getenv(env_name(prefix, keys[i].name, name, sizeof(name)))) == NULL)
			continue;
		if (key_set(cfg, &keys[i], v, name, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int
conf_load(const struct conf_key *keys, size_t n, void *cfg, const char *path,
          const char *env_prefix, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].def != NULL &&
		    key_set(cfg, &keys[i], keys[i].def, "default", err, errlen) != 0)
			return -1;
	}
	if (path != NULL && load_file(keys, n, cfg, path, err, errlen) != 0)
		return -1;
	if (load_env(keys, n, cfg, env_prefix, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char **s = (char **)((char *)cfg + keys[i].offset);
		if (keys[i].def == NULL && keys[i].type != CONF_TYPE_INT &&
		    (*s == NULL || **s == '\0')) {
			char env[96];

			snprintf(err, errlen, "%s is required (config file or %s)", keys[i].name,
			         env_name(env_prefix, keys[i].name, env, sizeof(env)));
			return -1;
		}
	}
	return 0;
}

void
conf_cleanup(const struct conf_key *keys, size_t n, void *cfg)
{
	for (size_t i = 0; i < n; i++) {
		if (keys[i].type != CONF_TYPE_INT) {
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
conf_print(const struct conf_key *keys, size_t n, const void *cfg, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const void *field = (const char *)cfg + keys[i].offset;
		fprintf(out, "%s = ", keys[i].name);
		if (keys[i].type == CONF_TYPE_INT)
			fprintf(out, "%d", *(const int *)field);
		else if (keys[i].type == CONF_TYPE_CONNINFO)
			print_conninfo(*(char *const *)field, out);
		else
			fputs(*(char *const *)field, out);
		fputc('\n', out);
	}
}
