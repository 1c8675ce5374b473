/* once — `count-worker --once`: re-run a published count for a verifier.
 *
 * Reads a method file and the `inputs` object of a result document (DESIGN §7; a whole
 * document payload holding "inputs" is accepted too), runs the count in the same jail as
 * the service does, and prints the result in standard base64.
 *
 * At a million ballots the inputs are hundreds of MiB, so each form of them is held only
 * while it is needed: the text (mapped) is checked by jsonv and scanned straight into the
 * COUNT frame (published.c), then unmapped; the child starts from the frame alone, which the
 * supervisor lets go of once the child has its copy, and the child gives it back as it
 * builds the Python objects (pyrt.c). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "published.h"
#include "jsonv.h"
#include "once.h"
#include "pyrt.h"
#include "util.h"

#define INPUT_MAX_DEPTH 8

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (f == NULL) {
		fprintf(stderr, "count-worker: could not open \"%s\": %s\n", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)size + 1)) != NULL &&
	    fread(buf, 1, (size_t)size, f) == (size_t)size) {
		buf[size] = '\0';
		*len = (size_t)size;
	} else {
		fprintf(stderr, "count-worker: could not read \"%s\"\n", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* The inputs' text: a regular file is mapped (the scanners read the page cache, nothing
 * is copied), anything else read into memory. */
struct text {
	char *p;
	size_t len;
	bool mapped;
};

static int
text_open(struct text *t, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *p = MAP_FAILED;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (fd >= 0)
		close(fd);
	if (p != MAP_FAILED) {
		*t = (struct text){p, (size_t)st.st_size, true};
		return 0;
	}
	t->mapped = false;
	return (t->p = read_file(path, &t->len)) != NULL ? 0 : -1;
}

static void
text_close(struct text *t)
{
	if (t->mapped)
		munmap(t->p, t->len);
	else
		free(t->p);
	*t = (struct text){NULL, 0, false};
}

/* The COUNT frame of the method and the inputs in t; prints what is wrong and returns -1
 * otherwise. */
static int
encode(struct wire_buf *frame, const struct text *t, const char *method, size_t mlen,
       const struct wire_limits *limits)
{
	struct jsonv_limits lim = {INPUT_MAX_DEPTH, t->len};
	char err[256];
	int r;

	if (jsonv_check(t->p, t->len, &lim, err, sizeof(err)) != 0) {
		fprintf(stderr, "count-worker: the inputs are not valid JSON: %s\n", err);
		return -1;
	}
	if (mlen > UINT32_MAX)
		r = PUBLISHED_TOO_LARGE;
	else
		r = published_encode_count(
		    frame, t->p, t->len,
		    (struct wire_bytes){(const unsigned char *)method, (uint32_t)mlen}, limits);
	if (r == PUBLISHED_BAD)
		fprintf(
		    stderr,
		    "count-worker: the inputs are not an inputs object of a result document "
		    "(proposals, ballots with base64 payloads; participants, proposer_franchise, "
		    "voter_franchise)\n");
	else if (r != 0)
		fprintf(stderr, "count-worker: the inputs are too large\n");
	return r == 0 ? 0 : -1;
}

/* Runs the job to its end, synchronously; the answer goes into a. Once the child has
 * started, the supervisor lets go of the request (frame, which the child has its own copy
 * of): the two would otherwise hold it twice while the child counts. */
static void
run(struct job *j, const struct job_env *env, struct wire_buf *frame, struct wire_buf *a)
{
	int started = job_start(j, env);

	job_release_request(j);
	wire_buf_reset(frame);
	if (started != 0) {
		wire_encode_error(a, pyrt_runtime(), WIRE_ERR_INTERNAL,
		                  j->refused != NULL ? j->refused : "could not start the job",
		                  WIRE_ERROR_MESSAGE_MAX + WIRE_ANSWER_OVERHEAD);
		return;
	}
	while (j->state == JOB_RUNNING) {
		uint64_t now = util_now_us();
		struct pollfd pf = {j->fd, POLLIN, 0};
		int timeout = now >= j->deadline_us ? 0 : (int)((j->deadline_us - now) / 1000 + 1);
		if (poll(&pf, 1, timeout) > 0)
			job_read(j);
		else if (util_now_us() >= j->deadline_us)
			job_kill(j, JOB_KILL_DEADLINE);
	}
	job_finish(j, a);
}

/* Prints the answer; returns the exit status. */
static int
report(const struct wire_buf *a)
{
	struct wire_result res;
	struct wire_error e;
	char *text;

	if (wire_decode_result(a->p, a->len, &res) == 0) {
		if ((text = malloc(b64_encoded_len(res.result.len, false) + 1)) == NULL)
			return ONCE_EXIT_USAGE;
		b64_encode(res.result.p, res.result.len, text, false);
		printf("%s\n", text);
		free(text);
		return fflush(stdout) == 0 ? 0 : ONCE_EXIT_USAGE;
	}
	if (wire_decode_error(a->p, a->len, &e) == 0)
		fprintf(stderr, "count-worker: %s: %.*s\n", wire_error_kind_name(e.kind),
		        (int)e.message.len, (const char *)e.message.p);
	return ONCE_EXIT_ERROR;
}

int
once_run(const struct once_args *args, const struct job_env *env)
{
	struct wire_buf frame = {0}, answer = {0};
	struct text text = {NULL, 0, false};
	struct job j = {0};
	char *method = NULL;
	size_t mlen;
	int r = ONCE_EXIT_USAGE;

	if ((method = read_file(args->method, &mlen)) == NULL ||
	    text_open(&text, args->inputs) != 0 ||
	    encode(&frame, &text, method, mlen, &args->limits) != 0)
		goto out;
	/* the frame holds everything now: the child starts without the rest, and with free
	 * pages of its own rather than copies of the supervisor's */
	text_close(&text);
	free(method);
	method = NULL;
	malloc_trim(0);
	if (job_prepare(&j, env, frame.p, frame.len) != 0) {
		fprintf(stderr, "count-worker: the inputs are too large\n");
		goto out;
	}
	run(&j, env, &frame, &answer);
	r = report(&answer);
out:
	job_cleanup(&j);
	wire_buf_reset(&frame);
	wire_buf_reset(&answer);
	text_close(&text);
	free(method);
	return r;
}
