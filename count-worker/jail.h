/* jail — what a job's child does to itself before it touches method code or job data.
 *
 * The filter is built once in the supervisor (jail_filter_build): an architecture check,
 * then an allow-list of the system calls CPython needs to compute in memory and hand back
 * its answer — write() to the result descriptor only, memory management without
 * executable mappings, exit_group, two clocks — and KILL_PROCESS for everything else
 * (sandbox-study §1, §5). jail_enter applies it in the child after closing every other
 * descriptor and setting resource limits. */
#ifndef FREECOOP_JAIL_H
#define FREECOOP_JAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define JAIL_RESULT_FD 3 /* the only descriptor a child may write to */

struct jail_filter {
	void *insns; /* struct sock_filter[len] */
	unsigned short len;
};

struct jail_limits {
	uint32_t cpu_ms;        /* CPU time (user + system) */
	uint64_t address_space; /* bytes of virtual memory in all */
};

/* Builds the seccomp program into f. Returns 0, or -1 with a message. */
int jail_filter_build(struct jail_filter *f, char *err, size_t errlen);

/* Frees f's program. */
void jail_filter_cleanup(struct jail_filter *f);

/* In the child: points 0-2 at devnull, result_fd at JAIL_RESULT_FD, closes every other
 * descriptor, dies with the supervisor (whose pid it is given), sets the limits (CPU,
 * address space, no files, no processes, no core), sets no_new_privs and loads the
 * filter. Returns 0, or -1 if any step failed (the child must then _exit without running
 * anything). */
int jail_enter(const struct jail_filter *f, pid_t supervisor, int result_fd, int devnull,
               const struct jail_limits *l);

#endif
