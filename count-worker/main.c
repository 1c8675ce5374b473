/* count-worker — runs auditor-signed voting methods in a seccomp jail (DESIGN §2, §4, §8).
 *
 *   count-worker [--config FILE] [--socket PATH]          serve jobs on a Unix socket
 *   count-worker --once --method FILE --inputs FILE ...    re-run one count, for verifiers
 *
 * Start-up: settings; bind the socket; drop to the configured user; start CPython and
 * import the allowed libraries; build the seccomp filter; listen. A successful connect()
 * therefore means the worker is ready. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "jail.h"
#include "job.h"
#include "log.h"
#include "once.h"
#include "privs.h"
#include "pyrt.h"
#include "serve.h"

#define DEFAULT_LIBRARIES                                                                          \
	"json math fractions itertools functools collections statistics heapq bisect operator"

struct settings {
	char *socket;
	int jobs;
	int max_connections;
	char *libraries;
	char *user;
	char *socket_group;
	int max_cpu_ms;
	int max_wall_ms;
	int max_memory_mb;
	int max_result_bytes;
	int max_job_mb;
	int validate_cpu_ms;
	int validate_wall_ms;
	int validate_memory_mb;
	char *log_level;
};

#define QUOTE(x) #x
#define QUOTE_VALUE(x) QUOTE(x) /* a macro's value as a string literal */
#define STR(f, d) CONF_STR(struct settings, f, d)
#define INT(f, d, lo, hi) CONF_INT(struct settings, f, d, lo, hi)

static const struct conf_key keys[] = {
    STR(socket, ""),
    INT(jobs, "0", 0, 1024), /* 0: one per CPU */
    INT(max_connections, "64", 1, 4096),
    STR(libraries, DEFAULT_LIBRARIES),
    STR(user, ""), /* when started as root, become this user after binding (required) */
    STR(socket_group, ""), /* the group that may connect (the api-server's); else owner-only */
    /* ceilings on what a COUNT may ask for */
    INT(max_cpu_ms, "600000", 10, 24 * 3600 * 1000),
    INT(max_wall_ms, "1200000", 10, 24 * 3600 * 1000),
    INT(max_memory_mb, "16384", 16, 1024 * 1024),
    INT(max_result_bytes, "67108864", 1, 1024 * 1024 * 1024),
    INT(max_job_mb, QUOTE_VALUE(WIRE_JOB_MAX_MB_DEFAULT), 1, 1024 * 1024),
    /* the limits of a VALIDATE (compiling a method, checking its syntax tree) */
    INT(validate_cpu_ms, "2000", 10, 600000),
    INT(validate_wall_ms, "5000", 10, 600000),
    INT(validate_memory_mb, "256", 16, 65536),
    STR(log_level, "info"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void
usage(void)
{
	fprintf(stderr,
	        "usage: count-worker [--config FILE] [--socket PATH]\n"
	        "       count-worker --once --method FILE --inputs FILE [--libraries LIST]\n"
	        "                    [--cpu-ms N] [--wall-ms N] [--memory-mb N] [--result-max N]\n"
	        "settings: config file keys, or FREECOOP_WORKER_<KEY> in the environment\n");
}

/* Lets the members of group connect to the socket at path (mode 0660). */
static int
share_socket(const char *path, const char *group)
{
	struct group *gr;

	if (*group == '\0')
		return 0;
	if ((gr = getgrnam(group)) == NULL) {
		log_error("unknown group \"%s\" (socket_group)", group);
		return -1;
	}
	if (chown(path, (uid_t)-1, gr->gr_gid) != 0 || chmod(path, 0660) != 0) {
		log_error("could not give group \"%s\" the socket \"%s\": %s", group, path,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* Binds a Unix socket at path (replacing a stale one), owner-only, or for its owner and
 * group when group is set. */
static int
bind_socket(const char *path, const char *group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_error("socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0) {
		log_error("could not bind \"%s\": %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (share_socket(path, group) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Descriptors 0-2 stay taken, so nothing the worker opens lands on them. */
static int
open_devnull(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && fd <= 2)
		fcntl(fd, F_SETFD, 0);
	return fd;
}

static int
start_python(const struct settings *s, struct jail_filter *filter)
{
	char err[512];

	if (pyrt_init(s->libraries, err, sizeof(err)) != 0 ||
	    jail_filter_build(filter, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

static struct job_env
job_env(const struct settings *s, const struct jail_filter *filter, int devnull)
{
	return (struct job_env){
	    .filter = filter,
	    .devnull = devnull,
	    .supervisor = getpid(),
	    .max = {(uint32_t)s->max_cpu_ms, (uint32_t)s->max_wall_ms, (uint32_t)s->max_memory_mb,
	            (uint32_t)s->max_result_bytes},
	    .validate = {(uint32_t)s->validate_cpu_ms, (uint32_t)s->validate_wall_ms,
	                 (uint32_t)s->validate_memory_mb, WIRE_RUNTIME_MAX},
	};
}

static int
serve(const struct settings *s, int devnull)
{
	struct jail_filter filter;
	struct job_env env;
	struct serve_config sc;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char err[256];
	int fd, r;

	if (*s->socket == '\0') {
		log_error("socket is required (config file or FREECOOP_WORKER_SOCKET)");
		return 1;
	}
	if ((fd = bind_socket(s->socket, s->socket_group)) < 0)
		return 1;
	if (privs_drop(s->user, "user (FREECOOP_WORKER_USER)", err, sizeof(err)) != 0) {
		log_error("%s", err);
		close(fd);
		return 1;
	}
	if (chdir("/") != 0 || start_python(s, &filter) != 0)
		return 1;
	env = job_env(s, &filter, devnull);
	sc = (struct serve_config){fd, s->jobs > 0 ? s->jobs : (int)(ncpu > 0 ? ncpu : 1),
	                           s->max_connections, (size_t)s->max_job_mb << 20, &env};
	log_info("count-worker %s: Python %s, libraries: %s", s->socket, pyrt_version(),
	         pyrt_libraries());
	r = serve_run(&sc);
	close(fd);
	jail_filter_cleanup(&filter);
	return r == 0 ? 0 : 1;
}

static int
once(struct settings *s, struct once_args *a, int devnull)
{
	struct jail_filter filter;
	struct job_env env;
	int r;

	if (a->method == NULL || a->inputs == NULL) {
		usage();
		return ONCE_EXIT_USAGE;
	}
	if (start_python(s, &filter) != 0)
		return ONCE_EXIT_USAGE;
	env = job_env(s, &filter, devnull);
	r = once_run(a, &env);
	jail_filter_cleanup(&filter);
	return r;
}

/* Parses a positive number option; returns -1 if it is not one. */
static int
number(const char *v, uint32_t *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n == 0 || n > UINT32_MAX)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

int
main(int argc, char **argv)
{
	struct settings s = {0};
	struct once_args a = {0};
	const char *config = NULL, *socket_path = NULL, *libraries = NULL;
	char err[512] = "";
	enum log_level level;
	int is_once = 0, devnull, r;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;
		if (strcmp(o, "--once") == 0) {
			is_once = 1;
			continue;
		}
		if (v == NULL)
			bad = 1;
		else if (strcmp(o, "--config") == 0)
			config = v;
		else if (strcmp(o, "--socket") == 0)
			socket_path = v;
		else if (strcmp(o, "--method") == 0)
			a.method = v;
		else if (strcmp(o, "--inputs") == 0)
			a.inputs = v;
		else if (strcmp(o, "--libraries") == 0)
			libraries = v;
		else if (strcmp(o, "--cpu-ms") == 0)
			bad = number(v, &a.limits.cpu_ms);
		else if (strcmp(o, "--wall-ms") == 0)
			bad = number(v, &a.limits.wall_ms);
		else if (strcmp(o, "--memory-mb") == 0)
			bad = number(v, &a.limits.memory_mb);
		else if (strcmp(o, "--result-max") == 0)
			bad = number(v, &a.limits.result_max);
		else
			bad = 1;
		if (bad) {
			usage();
			return 2;
		}
		i++;
	}
	if (conf_load(keys, NKEYS, &s, config, "FREECOOP_WORKER_", err, sizeof(err)) != 0 ||
	    log_parse_level(s.log_level, &level) != 0) {
		fprintf(stderr, "count-worker: %s\n", *err != '\0' ? err : "bad log_level");
		conf_cleanup(keys, NKEYS, &s);
		return 2;
	}
	log_set_level(level);
	if (socket_path != NULL) {
		free(s.socket);
		s.socket = strdup(socket_path);
	}
	if (libraries != NULL) {
		free(s.libraries);
		s.libraries = strdup(libraries);
	}
	if ((devnull = open_devnull()) < 0) {
		fprintf(stderr, "count-worker: could not open /dev/null\n");
		return 2;
	}
	r = is_once ? once(&s, &a, devnull) : serve(&s, devnull);
	conf_cleanup(keys, NKEYS, &s);
	return r;
}
