/* core_authorities — the instance's registered authorities: the public keys that sign
 * results (decision authorities) and vouch for voting methods (code auditors). */
#ifndef FREECOOP_CORE_AUTHORITIES_H
#define FREECOOP_CORE_AUTHORITIES_H

#include <stddef.h>

#include "problem.h"
#include "types.h"

/* The n keys (valid during the call), or why not (no). */
typedef void (*core_authorities_cb)(void *arg, const struct problem *no,
				    const struct core_authority *keys, size_t n);

/* The unrevoked authorities, oldest first: what the JWKS lists. Public: needs no caller. */
void core_authorities_list(struct core *c, core_authorities_cb cb, void *arg);

#endif
