/* conf — table-driven settings: defaults, then a key = value file, then environment
 * variables <PREFIX><KEY> (upper case), then range and presence checks.
 *
 * A program describes its settings struct with a table of conf_key (CONF_STR, CONF_INT,
 * CONF_CONNINFO); conf_load fills the struct from it. Strings are heap copies owned by the
 * struct and released by conf_cleanup. */
#ifndef FREECOOP_CONF_H
#define FREECOOP_CONF_H

#include <stddef.h>
#include <stdio.h>

enum conf_type {
	CONF_TYPE_STRING,
	CONF_TYPE_INT,
	CONF_TYPE_CONNINFO, /* a string whose password=... is masked when printed */
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def; /* NULL: required */
	long min, max;   /* CONF_TYPE_INT only */
};

#define CONF_STR(s, f, d)                                                                          \
	{                                                                                          \
#f, CONF_TYPE_STRING, offsetof(s, f), d, 0, 0                                      \
	}
#define CONF_CONNINFO(s, f, d)                                                                     \
	{                                                                                          \
#f, CONF_TYPE_CONNINFO, offsetof(s, f), d, 0, 0                                    \
	}
#define CONF_INT(s, f, d, lo, hi)                                                                  \
	{                                                                                          \
#f, CONF_TYPE_INT, offsetof(s, f), d, lo, hi                                       \
	}

/* Fills cfg (zeroed first) from keys[0..n): defaults, the file at path (if not NULL),
 * then environment variables env_prefix + KEY. Unknown keys in the file are errors.
 * Returns 0, or -1 with a message in err; call conf_cleanup afterwards in both cases. */
int conf_load(const struct conf_key *keys, size_t n, void *cfg, const char *path,
              const char *env_prefix, char *err, size_t errlen);

/* Frees the strings of cfg. */
void conf_cleanup(const struct conf_key *keys, size_t n, void *cfg);

/* Writes every key = value to out, conninfo passwords masked. */
void conf_print(const struct conf_key *keys, size_t n, const void *cfg, FILE *out);

#endif
