/* pyrt — the embedded CPython of the count-worker.
 *
 * The supervisor calls pyrt_init once: CPython starts isolated (no site, no environment,
 * no signal handlers, hash seed 0), runs the worker's own runtime.py, imports the allowed
 * libraries and builds the globals template every method starts from. Method code never
 * runs in the supervisor; it is neither executed nor compiled there.
 *
 * A job's child calls pyrt_child_validate or pyrt_child_count after it has locked itself
 * down: they build the inputs, compile and run the method, and write exactly one answer
 * frame (wire RESULT or ERROR) to the result descriptor, then _exit. */
#ifndef FREECOOP_PYRT_H
#define FREECOOP_PYRT_H

#include <stddef.h>

#include "wire.h"

/* libraries: names separated by spaces or commas. Returns 0, or -1 with a message. */
int pyrt_init(const char *libraries, char *err, size_t errlen);

/* "3.11.2": the interpreter's version (static storage). */
const char *pyrt_version(void);

/* The allowed libraries actually loaded, space separated (static storage). */
/* The runtime a VALIDATE's RESULT describes (WIRE_RUNTIME_MAX): the version and the
 * allowed libraries as JSON, made by the supervisor, never by a child. */
const char *pyrt_runtime(void);

const char *pyrt_libraries(void);

/* Wrap fork(): before, then after in the parent or in the child (the child's must run
 * before the seccomp filter is loaded: it makes system calls). */
void pyrt_before_fork(void);
void pyrt_after_fork_parent(void);
void pyrt_after_fork_child(void);

/* In a locked-down child: check a method (VALIDATE) or run a count (COUNT: c->limits.
 * result_max bounds the bytes count() may return), write the answer frame to fd, and
 * _exit(0). A count consumes its request: it sorts c's arrays in place and frees them, and
 * unmaps the pages of the frame they point into (between its first and last input) once
 * their objects are built, so that the child does not hold its inputs twice; the frame
 * must be an allocation of its own (e.g. malloc), which the child never frees. */
_Noreturn void pyrt_child_validate(struct wire_bytes source, int fd);
_Noreturn void pyrt_child_count(struct wire_count *c, int fd);

#endif
