/* document — the result document's payload and its compact JWS. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "core/crypto.h"
#include "document.h"

/* A writer's payload is encoded into its JWS whenever this much of it gathered. */
#define DRAIN_AT (1 << 20)
/* How often (in ballots, or members of a set) a writer looks whether it should stop. */
#define STOP_EVERY 4096

struct document_writer;

/* A growing string; failed once an allocation failed. A writer's payload (sink set) does
 * not grow past about DRAIN_AT: what gathered is encoded into the JWS first. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
	struct document_writer *sink;
};

/* A JWS being written: the signing input so far, base64url(header) "." base64url(the
 * payload up to its last whole three bytes drained), and the payload's rest in payload. */
struct document_writer {
	struct sbuf payload;
	char *jws;
	size_t len, cap;
	const atomic_bool *stop;
};

static bool drain(struct document_writer *w, bool all);

static bool
reserve(struct sbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->sink != NULL && b->len + n > DRAIN_AT && !drain(b->sink, false))
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap > 0 ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void
put(struct sbuf *b, const void *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A JSON string of the UTF-8 text s[0..n) (valid UTF-8: it came from the database or was
 * checked by the worker client): quotes, backslashes and control characters escaped. */
static void
put_str(struct sbuf *b, const char *s, size_t n)
{
	size_t run = 0; /* s[run..i) needs no escape: copied in one go */

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		put(b, s + run, i - run);
		run = i + 1;
		if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
		} else {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		}
	}
	put(b, s + run, n - run);
	put(b, "\"", 1);
}

static void
put_cstr(struct sbuf *b, const char *s)
{
	put_str(b, s, strlen(s));
}

static void
put_b64(struct sbuf *b, const unsigned char *p, size_t n)
{
	size_t len = b64_encoded_len(n, false);

	put(b, "\"", 1);
	if (reserve(b, len)) {
		b64_encode(p, n, b->p + b->len, false);
		b->len += len;
	}
	put(b, "\"", 1);
}

static void
put_strings(struct sbuf *b, const char *const *s, size_t n)
{
	put(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			put(b, ",", 1);
		put_cstr(b, s[i]);
	}
	put(b, "]", 1);
}

/* Whether the writer of b was told to stop (it fails then). */
static bool
stopped(struct sbuf *b)
{
	if (b->sink != NULL && b->sink->stop != NULL && atomic_load(b->sink->stop))
		b->failed = true;
	return b->failed;
}

static void
put_set(struct sbuf *b, const struct wire_bytes *s, uint32_t n)
{
	put(b, "[", 1);
	for (uint32_t i = 0; i < n; i++) {
		if (i % STOP_EVERY == 0 && stopped(b))
			return;
		if (i > 0)
			put(b, ",", 1);
		put_str(b, (const char *)s[i].p, s[i].len);
	}
	put(b, "]", 1);
}

static void
put_inputs(struct sbuf *b, const struct wire_count *in)
{
	static const char *const sets[3] = {"participants", "proposer_franchise",
					    "voter_franchise"};

	puts_(b, "\"inputs\":{\"proposals\":[");
	for (uint32_t i = 0; i < in->nproposals; i++) {
		const struct wire_proposal *p = &in->proposals[i];
		puts_(b, i > 0 ? ",{\"id\":" : "{\"id\":");
		put_str(b, (const char *)p->id.p, p->id.len);
		puts_(b, ",\"proposer\":");
		put_str(b, (const char *)p->proposer.p, p->proposer.len);
		puts_(b, ",\"payload\":");
		put_b64(b, p->payload.p, p->payload.len);
		put(b, "}", 1);
	}
	puts_(b, "],\"ballots\":[");
	for (uint32_t i = 0; i < in->nballots; i++) {
		const struct wire_ballot *x = &in->ballots[i];

		if (i % STOP_EVERY == 0 && stopped(b))
			return;
		puts_(b, i > 0 ? ",{\"id\":" : "{\"id\":");
		put_str(b, (const char *)x->id.p, x->id.len);
		puts_(b, ",\"payload\":");
		put_b64(b, x->payload.p, x->payload.len);
		put(b, "}", 1);
	}
	put(b, "]", 1);
	for (int s = 0; s < 3; s++) {
		puts_(b, ",\"");
		puts_(b, sets[s]);
		puts_(b, "\":");
		put_set(b, in->sets[s], in->nsets[s]);
	}
	put(b, "}", 1);
}

/* The payload up to the end of its inputs: all a count does not change. */
static void
put_head(struct sbuf *b, const struct document *d)
{
	puts_(b, "{\"version\":1,\"decision\":{\"id\":");
	put_cstr(b, d->decision_id);
	puts_(b, ",\"title\":");
	put_cstr(b, d->title);
	puts_(b, ",\"service\":");
	put_cstr(b, d->service);
	puts_(b, ",\"created_at\":");
	put_cstr(b, d->created_at);
	for (int i = 0; i < 4; i++) {
		puts_(b, i == 0   ? ",\"proposal_phase\":{\"opens_at\":"
			  : i == 2 ? ",\"voting_phase\":{\"opens_at\":"
				   : ",\"closes_at\":");
		put_cstr(b, d->phases[i]);
		if (i % 2 == 1)
			put(b, "}", 1);
	}
	puts_(b, "},\"method\":{\"id\":");
	put_cstr(b, d->method_id);
	puts_(b, ",\"name\":");
	put_cstr(b, d->method_name);
	puts_(b, ",\"auditors\":");
	put_strings(b, d->auditors, d->nauditors);
	puts_(b, "},");
	put_inputs(b, d->inputs);
}

/* The payload after its inputs: the outcome, and the runtime that counted. */
static void
put_rest(struct sbuf *b, const struct document *d)
{
	if (d->ok) {
		puts_(b, ",\"outcome\":{\"status\":\"ok\",\"result\":");
		put_b64(b, d->result, d->result_len);
	} else {
		puts_(b, ",\"outcome\":{\"status\":\"error\",\"error\":");
		put_cstr(b, d->error);
		puts_(b, ",\"message\":");
		put_cstr(b, d->message);
	}
	puts_(b, "},\"counted_at\":");
	put_cstr(b, d->counted_at);
	puts_(b, ",\"runtime\":{\"python\":");
	put_cstr(b, d->python);
	puts_(b, ",\"hash_seed\":0,\"libraries\":");
	put_strings(b, d->libraries, d->nlibraries);
	puts_(b, "}}");
}

int
document_payload(const struct document *d, char **out, size_t *len)
{
	struct sbuf b = {0};

	put_head(&b, d);
	put_rest(&b, d);
	if (b.failed) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}

/* Whether kid can stand in the header's JSON string as it is: printable ASCII other than
 * '"' and '\' (an authority id is a UUID). */
static bool
kid_is_plain(const char *kid)
{
	for (; *kid != '\0'; kid++)
		if (*kid < 0x20 || *kid > 0x7e || *kid == '"' || *kid == '\\')
			return false;
	return true;
}

/* Appends base64url(p[0..n)) to the JWS (unpadded: n is a multiple of three, or the
 * payload's end). */
static bool
encode(struct document_writer *w, const void *p, size_t n)
{
	size_t add = b64_encoded_len(n, true);

	if (w->len + add + 1 > w->cap) {
		/* Doubling: a big block is moved by remapping its pages, not copied. */
		size_t cap = w->cap * 2 > w->len + add + 1 ? w->cap * 2 : w->len + add + 1;
		char *grown = realloc(w->jws, cap);
		if (grown == NULL) {
			w->payload.failed = true;
			return false;
		}
		w->jws = grown;
		w->cap = cap;
	}
	w->len += b64_encode(p, n, w->jws + w->len, true);
	return true;
}

/* Encodes the payload gathered into the JWS: its whole three-byte groups, or all of it
 * (the end: the last group unpadded, as RFC 7515 wants). */
static bool
drain(struct document_writer *w, bool all)
{
	struct sbuf *b = &w->payload;
	size_t n = all ? b->len : b->len / 3 * 3;

	if (n == 0)
		return true;
	if (!encode(w, b->p, n))
		return false;
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	return true;
}

struct document_writer *
document_writer_new(const char *kid, const atomic_bool *stop)
{
	char header[160];
	int hn = snprintf(header, sizeof(header),
			  "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"JOSE\","
			  "\"cty\":\"decision-result+json\"}", kid);
	struct document_writer *w;

	/* else the header would be cut short (and encoded from past its end) or not JSON */
	if (!kid_is_plain(kid) || hn < 0 || (size_t)hn >= sizeof(header) ||
	    (w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->stop = stop;
	w->cap = 1 << 16;
	if ((w->jws = malloc(w->cap)) == NULL) {
		free(w);
		return NULL;
	}
	w->len = b64_encode((const unsigned char *)header, (size_t)hn, w->jws, true);
	w->jws[w->len++] = '.';
	w->payload.sink = w;
	return w;
}

int
document_writer_head(struct document_writer *w, const struct document *d)
{
	put_head(&w->payload, d);
	return w->payload.failed ? -1 : 0;
}

/* Hands the signing input over, with room for "." and the signature. */
static int
take(struct document_writer *w, char **jws, size_t *signing_len)
{
	char *grown;

	if (w->payload.failed || !drain(w, true) ||
	    (grown = realloc(w->jws, w->len + 1 + b64_encoded_len(CRYPTO_SIG_LEN, true) + 1)) ==
		    NULL)
		return -1;
	*jws = grown;
	*signing_len = w->len;
	w->jws = NULL;
	return 0;
}

int
document_writer_finish(struct document_writer *w, const struct document *d, char **jws,
		       size_t *signing_len)
{
	put_rest(&w->payload, d);
	return take(w, jws, signing_len);
}

int
document_jws_new(const char *kid, const char *payload, size_t len, char **jws,
		 size_t *signing_len)
{
	struct document_writer *w = document_writer_new(kid, NULL);
	int r = w != NULL && encode(w, payload, len) ? take(w, jws, signing_len) : -1;

	document_writer_free(w);
	return r;
}

void
document_writer_free(struct document_writer *w)
{
	if (w == NULL)
		return;
	free(w->payload.p);
	free(w->jws);
	free(w);
}

int
document_jws_sign(EVP_PKEY *key, char *jws, size_t signing_len, size_t *jws_len)
{
	unsigned char sig[CRYPTO_SIG_LEN];

	/* The signing input is the ASCII of header "." payload (RFC 7515 §5.1). */
	if (crypto_ed25519_sign(key, jws, signing_len, sig) != 0)
		return -1;
	jws[signing_len] = '.';
	*jws_len = signing_len + 1 + b64_encode(sig, sizeof(sig), jws + signing_len + 1, true);
	return 0;
}
