/* core_methods — the voting method operations (see the header). */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "config.h"
#include "core_methods.h"
#include "crypto.h"
#include "log.h"
#include "store_methods.h"
#include "worker/worker.h"

typedef void (*submitted_cb_t)(void *arg, const struct problem *no, const struct core_method *m,
			       bool created);

/* A submission across its steps: a copy of what was submitted. */
struct submission {
	struct core *c;
	submitted_cb_t cb;
	void *arg;
	struct core_method_submission in;
	char id[2 * UTIL_SHA256_LEN + 1];
	char auditor[UTIL_UUID_LEN + 1];
	char *name, *code;
	unsigned char sig[CRYPTO_SIG_LEN];
	bool created;
};

/* Ends s with no, or with the method m. */
static void
finish(struct submission *s, const struct problem *no, const struct core_method *m)
{
	s->cb(s->arg, no, m, s->created);
	free(s->name);
	free(s->code);
	free(s);
}

static void
reread_cb(void *arg, const struct problem *no, const struct core_method *m, size_t n)
{
	struct submission *s = arg;
	struct problem why;

	if (no == NULL && m == NULL)
		no = problem_set(&why, 500, "internal-error", "The method vanished once stored.");
	finish(s, no, m);
}

static void
added_cb(void *arg, const struct problem *no, bool created)
{
	struct submission *s = arg;

	if (no != NULL) {
		finish(s, no, NULL);
		return;
	}
	s->created = created;
	log_info("voting method %s %s, signed by auditor %s", s->id,
		 created ? "stored" : "already known", s->auditor);
	store_method_get(s->c->db, s->id, reread_cb, s);
}

static void
validated_cb(const struct worker_answer *a, void *arg)
{
	struct submission *s = arg;
	struct problem no;

	switch (a->status) {
	case WORKER_OK:
		store_method_add(s->c->db, &s->in, s->id, s->sig, added_cb, s);
		return;
	case WORKER_FAILED:
		if (a->kind == WIRE_ERR_INTERNAL)
			break; /* the worker's trouble, not the code's */
		finish(s, problem_set(&no, 422, "invalid-method",
				      "The count-worker rejected the code (%s): %s",
				      wire_error_kind_name(a->kind), a->message), NULL);
		return;
	case WORKER_UNAVAILABLE:
		break;
	}
	finish(s, problem_set(&no, 503, "worker-unavailable",
			      "The count-worker could not check the code now; try again."), NULL);
}

static void
auditor_cb(void *arg, const struct problem *no, bool found, const unsigned char pub[32],
	   bool method_exists)
{
	struct submission *s = arg;
	struct problem why;

	if (no != NULL) {
		finish(s, no, NULL);
		return;
	}
	if (!found) {
		finish(s, problem_set(&why, 422, "unknown-auditor",
				      "Authority %s is not an unrevoked code auditor.", s->auditor),
		       NULL);
		return;
	}
	if (!crypto_ed25519_verify(pub, s->code, s->in.code_len, s->sig)) {
		finish(s, problem_set(&why, 422, "invalid-signature",
				      "The signature is not auditor %s's Ed25519 signature of the "
				      "exact UTF-8 bytes of the code.", s->auditor), NULL);
		return;
	}
	if (method_exists) { /* known code: it was checked when first submitted */
		store_method_add(s->c->db, &s->in, s->id, s->sig, added_cb, s);
		return;
	}
	if (worker_validate(s->c->worker, s->code, s->in.code_len,
			    (uint32_t)s->c->cfg->method_validate_ms, validated_cb, s) == NULL)
		finish(s, problem_set(&why, 500, "internal-error", "Could not queue the code check."),
		       NULL);
}

void
core_method_submit(struct core *c, const struct core_method_submission *in,
		   submitted_cb_t cb, void *arg)
{
	unsigned char digest[UTIL_SHA256_LEN];
	struct problem no;
	struct submission *s;

	if (in->code_len > (size_t)c->cfg->max_method_size) {
		cb(arg, problem_set(&no, 413, "method-too-large", "The code is %zu bytes; at most "
				    "%d are accepted.", in->code_len, c->cfg->max_method_size),
		   NULL, false);
		return;
	}
	if (memchr(in->code, '\0', in->code_len) != NULL) {
		cb(arg, problem_set(&no, 422, "invalid-method", "The code contains a NUL character."),
		   NULL, false);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) != NULL &&
	    b64_decode(in->signature, strlen(in->signature), s->sig, sizeof(s->sig), false) !=
		    CRYPTO_SIG_LEN) {
		free(s);
		cb(arg, problem_set(&no, 422, "invalid-signature", "The signature must be the "
				    "standard base64 of a 64-byte Ed25519 signature."), NULL, false);
		return;
	}
	if (s == NULL || (s->name = strdup(in->name)) == NULL ||
	    (s->code = malloc(in->code_len + 1)) == NULL) {
		if (s != NULL)
			free(s->name);
		free(s);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, false);
		return;
	}
	s->c = c;
	s->cb = cb;
	s->arg = arg;
	memcpy(s->code, in->code, in->code_len);
	s->code[in->code_len] = '\0';
	snprintf(s->auditor, sizeof(s->auditor), "%s", in->auditor);
	s->in = *in;
	s->in.name = s->name;
	s->in.code = s->code;
	s->in.auditor = s->auditor;
	s->in.signature = NULL; /* decoded into s->sig */
	util_sha256(s->code, in->code_len, digest);
	util_hex(digest, sizeof(digest), s->id);
	store_method_auditor(c->db, s->auditor, s->id, auditor_cb, s);
}

void
core_methods_list(struct core *c, core_methods_cb cb, void *arg)
{
	store_methods_list(c->db, cb, arg);
}

/* A store answer of no row is an unknown method. */
struct get_call {
	core_methods_cb cb;
	void *arg;
};

static void
got_cb(void *arg, const struct problem *no, const struct core_method *m, size_t n)
{
	struct get_call *g = arg;
	struct problem none;

	if (no == NULL && m == NULL)
		no = problem_set(&none, 404, "not-found", "There is no voting method with this id.");
	g->cb(g->arg, no, m, n);
	free(g);
}

void
core_method_get(struct core *c, const char *id, core_methods_cb cb, void *arg)
{
	struct get_call *g = malloc(sizeof(*g));
	struct problem no;

	if (g == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
		return;
	}
	*g = (struct get_call){cb, arg};
	store_method_get(c->db, id, got_cb, g);
}
