/* core_methods — voting methods: submission with a code auditor's signature, listing and
 * reading. A method's id is the SHA-256 of its code. */
#ifndef FREECOOP_CORE_METHODS_H
#define FREECOOP_CORE_METHODS_H

#include <stdbool.h>

#include "problem.h"
#include "types.h"

/* One method (n 1), the n methods of a list, or why not. */
typedef void (*core_methods_cb)(void *arg, const struct problem *no,
				const struct core_method *m, size_t n);

/* Submits a method. Checked in order: its size (413 method-too-large past
 * max_method_size) and that the code holds no NUL (422 invalid-method), the auditor (422
 * unknown-auditor unless an unrevoked code auditor), the signature over the exact code
 * bytes (422 invalid-signature), then, for code not stored yet, the count-worker's check
 * (422 invalid-method, or 503 worker-unavailable). Only then is anything stored. The
 * method comes back with created (new) or not (known: the auditor's signature added).
 * Public: the auditor's signature is the credential. */
void core_method_submit(struct core *c, const struct core_method_submission *in,
			void (*cb)(void *arg, const struct problem *no,
				   const struct core_method *m, bool created),
			void *arg);

/* Every method, oldest first, without code. Public. */
void core_methods_list(struct core *c, core_methods_cb cb, void *arg);

/* Method id (64 lowercase hex digits), with its code and signatures; 404 if unknown.
 * Public. */
void core_method_get(struct core *c, const char *id, core_methods_cb cb, void *arg);

#endif
