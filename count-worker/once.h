/* once — the one-shot mode for verifiers: a method file and a document's inputs in, the
 * result in base64 out, through the same jail as a served job. */
#ifndef FREECOOP_ONCE_H
#define FREECOOP_ONCE_H

#include "job.h"
#include "wire.h"

#define ONCE_EXIT_ERROR 1 /* the method failed: the kind and message are on stderr */
#define ONCE_EXIT_USAGE 2 /* bad arguments or unreadable inputs */

struct once_args {
	const char *method; /* path of the method's source */
	const char *inputs; /* path of the inputs object, or of a whole result payload */
	struct wire_limits limits;
};

/* Runs the count; returns 0 (result printed), ONCE_EXIT_ERROR or ONCE_EXIT_USAGE. */
int once_run(const struct once_args *args, const struct job_env *env);

#endif
