/* once — `count-worker --once`: re-run a published count for a verifier.
 *
 * Reads a method file and the `inputs` object of a result document (DESIGN §7; a whole
 * document payload holding "inputs" is accepted too), runs the count in the same jail as
 * the service does, and prints the result in standard base64. */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "jsonv.h"
#include "once.h"
#include "pyrt.h"
#include "util.h"

#define INPUT_MAX_DEPTH 8

/* Decoded base64 payloads, kept until the frame is built. */
struct arena {
	unsigned char **blocks;
	size_t n;
};

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

static int
get_string(json_object *o, const char *key, struct wire_bytes *out)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return -1;
	out->p = (const unsigned char *)json_object_get_string(v);
	out->len = (uint32_t)json_object_get_string_len(v);
	return 0;
}

/* A base64 member decoded into the arena (which has room for one more block). */
static int
get_payload(json_object *o, const char *key, struct arena *a, struct wire_bytes *out)
{
	struct wire_bytes s;
	unsigned char *d;
	ssize_t n;

	if (get_string(o, key, &s) != 0 || (d = malloc(b64_decoded_max(s.len) + 1)) == NULL)
		return -1;
	a->blocks[a->n++] = d;
	if ((n = b64_decode((const char *)s.p, s.len, d, b64_decoded_max(s.len), false)) < 0)
		return -1;
	*out = (struct wire_bytes){d, (uint32_t)n};
	return 0;
}

static json_object *
get_array(json_object *inputs, const char *key, size_t *n)
{
	json_object *v;

	if (!json_object_object_get_ex(inputs, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	*n = json_object_array_length(v);
	return v;
}

/* Fills c from the inputs object; prints what is wrong and returns -1 otherwise. */
static int
decode_inputs(json_object *in, struct wire_count *c, struct arena *a)
{
	static const char *sets[3] = {"participants", "proposer_franchise", "voter_franchise"};
	json_object *arr, *ballots;
	size_t n, nb;

	/* one payload block per proposal and ballot */
	if ((arr = get_array(in, "proposals", &n)) == NULL ||
	    (ballots = get_array(in, "ballots", &nb)) == NULL ||
	    (a->blocks = calloc(n + nb + 1, sizeof(*a->blocks))) == NULL)
		goto bad;
	if (n > 0 && (c->proposals = calloc(n, sizeof(*c->proposals))) == NULL)
		goto bad;
	for (c->nproposals = 0; c->nproposals < n; c->nproposals++) {
		json_object *p = json_object_array_get_idx(arr, c->nproposals);
		struct wire_proposal *w = &c->proposals[c->nproposals];
		if (get_string(p, "id", &w->id) != 0 ||
		    get_string(p, "proposer", &w->proposer) != 0 ||
		    get_payload(p, "payload", a, &w->payload) != 0)
			goto bad;
	}
	if (nb > 0 && (c->ballots = calloc(nb, sizeof(*c->ballots))) == NULL)
		goto bad;
	for (c->nballots = 0; c->nballots < nb; c->nballots++) {
		json_object *b = json_object_array_get_idx(ballots, c->nballots);
		struct wire_ballot *w = &c->ballots[c->nballots];
		if (get_string(b, "id", &w->id) != 0 ||
		    get_payload(b, "payload", a, &w->payload) != 0)
			goto bad;
	}
	for (int s = 0; s < 3; s++) {
		if ((arr = get_array(in, sets[s], &n)) == NULL ||
		    (n > 0 && (c->sets[s] = calloc(n, sizeof(struct wire_bytes))) == NULL))
			goto bad;
		for (c->nsets[s] = 0; c->nsets[s] < n; c->nsets[s]++) {
			json_object *v = json_object_array_get_idx(arr, c->nsets[s]);
			if (!json_object_is_type(v, json_type_string))
				goto bad;
			c->sets[s][c->nsets[s]] =
			    (struct wire_bytes){(const unsigned char *)json_object_get_string(v),
			                        (uint32_t)json_object_get_string_len(v)};
		}
	}
	return 0;
bad:
	fprintf(stderr,
	        "count-worker: the inputs are not an inputs object of a result document "
	        "(proposals, ballots with base64 payloads; participants, proposer_franchise, "
	        "voter_franchise)\n");
	return -1;
}

static json_object *
parse_json(const char *text, size_t len)
{
	struct jsonv_limits lim = {INPUT_MAX_DEPTH, len};
	json_tokener *tok;
	json_object *o = NULL;
	char err[256];

	if (jsonv_check(text, len, &lim, err, sizeof(err)) != 0) {
		fprintf(stderr, "count-worker: the inputs are not valid JSON: %s\n", err);
		return NULL;
	}
	if ((tok = json_tokener_new_ex(INPUT_MAX_DEPTH + 1)) != NULL) {
		o = json_tokener_parse_ex(tok, text, (int)len);
		json_tokener_free(tok);
	}
	return o;
}

/* Runs the job to its end, synchronously; the answer goes into a. */
static void
run(struct job *j, const struct job_env *env, struct wire_buf *a)
{
	if (job_start(j, env) != 0) {
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
	struct wire_count c = {0};
	struct wire_buf frame = {0}, answer = {0};
	struct arena arena = {0};
	struct job j = {0};
	json_object *doc = NULL, *inputs;
	char *method = NULL, *text = NULL;
	size_t mlen, tlen;
	int r = ONCE_EXIT_USAGE;

	if ((method = read_file(args->method, &mlen)) == NULL ||
	    (text = read_file(args->inputs, &tlen)) == NULL ||
	    (doc = parse_json(text, tlen)) == NULL)
		goto out;
	if (!json_object_object_get_ex(doc, "inputs", &inputs))
		inputs = doc;
	if (decode_inputs(inputs, &c, &arena) != 0)
		goto out;
	c.method = (struct wire_bytes){(const unsigned char *)method, (uint32_t)mlen};
	c.limits = args->limits;
	if (wire_encode_count(&frame, &c, SIZE_MAX) != 0 ||
	    job_prepare(&j, env, frame.p, frame.len) != 0) {
		fprintf(stderr, "count-worker: the inputs are too large\n");
		goto out;
	}
	run(&j, env, &answer);
	r = report(&answer);
out:
	job_cleanup(&j);
	free(c.proposals);
	free(c.ballots);
	for (int s = 0; s < 3; s++)
		free(c.sets[s]);
	for (size_t i = 0; i < arena.n; i++)
		free(arena.blocks[i]);
	free(arena.blocks);
	wire_buf_reset(&frame);
	wire_buf_reset(&answer);
	json_object_put(doc);
	free(method);
	free(text);
	return r;
}
