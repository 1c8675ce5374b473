/* jail — the seccomp allow-list and the child's lock-down sequence. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "jail.h"

/* The allow-list. Every entry is needed by some method the study ran (sandbox-study §1);
 * anything else — open, socket, clone, execve, kill, getppid, nanosleep, getrandom,
 * mprotect — ends the child with SIGSYS. */
struct rule {
	int nr;
	unsigned nargs;
	struct scmp_arg_cmp arg;
};

static const struct rule rules[] = {
    /* the answer, on the result pipe only */
    {SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, JAIL_RESULT_FD, 0)},
    {SCMP_SYS(exit_group), 0, {0}},
    /* malloc and pymalloc: heap, arenas, large blocks; never executable memory */
    {SCMP_SYS(brk), 0, {0}},
    {SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)},
    {SCMP_SYS(munmap), 0, {0}},
    {SCMP_SYS(mremap), 0, {0}},
    /* the CPU time of count(), and the monotonic clock where the vDSO cannot serve it */
    {SCMP_SYS(clock_gettime), 1, SCMP_A0(SCMP_CMP_EQ, CLOCK_PROCESS_CPUTIME_ID, 0)},
    {SCMP_SYS(clock_gettime), 1, SCMP_A0(SCMP_CMP_EQ, CLOCK_MONOTONIC, 0)},
};

/* Reads the whole of fd (from offset 0) into a new buffer. */
static int
read_program(int fd, struct jail_filter *f)
{
	off_t size = lseek(fd, 0, SEEK_END);
	ssize_t n;

	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS ||
	    (f->insns = malloc((size_t)size)) == NULL)
		return -1;
	if ((n = pread(fd, f->insns, (size_t)size, 0)) != size)
		return -1;
	f->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

int
jail_filter_build(struct jail_filter *f, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int fd = -1, r = -1;

	memset(f, 0, sizeof(*f));
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		snprintf(err, errlen, "could not create the seccomp filter");
		return -1;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		const struct rule *ru = &rules[i];
		if ((ru->nargs == 0
		         ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ru->nr, 0)
		         : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ru->nr, 1, ru->arg)) != 0)
			goto out;
	}
	if ((fd = memfd_create("seccomp-bpf", MFD_CLOEXEC)) < 0 ||
	    seccomp_export_bpf(ctx, fd) != 0 || read_program(fd, f) != 0)
		goto out;
	r = 0;
out:
	if (r != 0) {
		snprintf(err, errlen, "could not build the seccomp filter");
		jail_filter_cleanup(f);
	}
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return r;
}

void
jail_filter_cleanup(struct jail_filter *f)
{
	free(f->insns);
	memset(f, 0, sizeof(*f));
}

static int
limit(int resource, rlim_t soft, rlim_t hard)
{
	struct rlimit rl = {soft, hard};

	return setrlimit(resource, &rl);
}

/* Descriptors 0-2 on /dev/null, the result pipe on 3, nothing else. */
static int
arrange_descriptors(int result_fd, int devnull)
{
	for (int fd = 0; fd < 3; fd++)
		if (dup2(devnull, fd) < 0)
			return -1;
	if (result_fd != JAIL_RESULT_FD && dup2(result_fd, JAIL_RESULT_FD) < 0)
		return -1;
	return close_range(JAIL_RESULT_FD + 1, ~0U, 0);
}

/* RLIMIT_CPU has whole seconds: the profiling timer enforces cpu_ms exactly (SIGPROF,
 * which the child can neither catch nor block without a forbidden system call), and the
 * rlimit is the backstop a second later. */
static int
set_limits(const struct jail_limits *l)
{
	struct itimerval it = {{0, 0}, {l->cpu_ms / 1000, (l->cpu_ms % 1000) * 1000}};
	rlim_t cpu_s = l->cpu_ms / 1000 + 1;

	if (limit(RLIMIT_CORE, 0, 0) != 0 || limit(RLIMIT_FSIZE, 0, 0) != 0 ||
	    limit(RLIMIT_NOFILE, JAIL_RESULT_FD + 1, JAIL_RESULT_FD + 1) != 0 ||
	    limit(RLIMIT_NPROC, 0, 0) != 0 || limit(RLIMIT_MEMLOCK, 0, 0) != 0 ||
	    limit(RLIMIT_AS, l->address_space, l->address_space) != 0 ||
	    limit(RLIMIT_CPU, cpu_s, cpu_s + 1) != 0)
		return -1;
	return setitimer(ITIMER_PROF, &it, NULL);
}

int
jail_enter(const struct jail_filter *f, pid_t supervisor, int result_fd, int devnull,
           const struct jail_limits *l)
{
	struct sock_fprog prog = {f->len, f->insns};
	sigset_t none;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
	    getppid() != supervisor || prctl(PR_SET_DUMPABLE, 0) != 0 ||
	    arrange_descriptors(result_fd, devnull) != 0 || set_limits(l) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
