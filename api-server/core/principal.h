/* principal — who calls an operation of the core: a service (by its key) or an account (by
 * one of its tokens), as the HTTP front's auth resolved it, or as FreeCoop names itself. */
#ifndef FREECOOP_PRINCIPAL_H
#define FREECOOP_PRINCIPAL_H

#include <stdbool.h>

#include "util.h"

enum principal_kind { PRINCIPAL_NONE, PRINCIPAL_SERVICE, PRINCIPAL_ACCOUNT };

struct principal {
	enum principal_kind kind;
	char service_id[UTIL_UUID_LEN + 1];
	char service_name[256];
	char account_id[UTIL_UUID_LEN + 1]; /* PRINCIPAL_ACCOUNT */
	char account_name[256];
	bool account_named;
	char account_created_at[40];
};

/* A bearer token presented: its kind and its SHA-256 (the token itself is not kept). */
struct credential {
	char prefix[5];                      /* "svc_", "aut_", "acc_" or "" */
	unsigned char hash[UTIL_SHA256_LEN]; /* SHA-256 of the token */
};

#endif
