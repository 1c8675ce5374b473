/* core_decisions — the decision operations (see the header). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "config.h"
#include "core_decisions.h"
#include "crypto.h"
#include "deckeys.h"
#include "keys.h"
#include "store_decisions.h"

#define DEFAULT_BALLOT_SIZE 1024

static const char *const phase_names[4] = {"proposal_phase.opens_at", "proposal_phase.closes_at",
					   "voting_phase.opens_at", "voting_phase.closes_at"};

/* A growing NUL-terminated string; failed once memory ran out. */
struct text {
	char *p;
	size_t len, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p != NULL ? t->p + t->len : NULL, t->p != NULL ? t->cap - t->len : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if (t->p != NULL && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = t->cap == 0 ? 256 : t->cap;
		while (cap <= t->len + (size_t)n)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (p == NULL) {
			t->failed = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
}

/* The method's id, lowercased into method; or the refusal of one that is not 64
 * hexadecimal digits (a name, most likely). */
static const struct problem *
check_method(struct problem *no, const char *v, char method[65])
{
	size_t n = v != NULL ? strlen(v) : 0;

	for (size_t i = 0; i < n && i < 64; i++)
		method[i] = (char)(v[i] >= 'A' && v[i] <= 'F' ? v[i] + 32 : v[i]);
	method[n < 64 ? n : 64] = '\0';
	if (n == 64 && strspn(method, "0123456789abcdef") == 64)
		return NULL;
	return problem_set(no, 422, "invalid-request", "Method must be the id of a voting method: "
			   "the SHA-256 of its code, 64 hexadecimal digits, not its name. "
			   "GET /v1/voting-methods lists every method with its id and name.");
}

/* The two phases as canonical RFC 3339 UTC text; or the refusal of a time missing or
 * malformed, or of phases out of order (DESIGN §5). */
static const struct problem *
check_phases(struct problem *no, const char *const in[4], char out[4][UTIL_TIME_LEN + 1])
{
	int64_t t[4];

	for (int i = 0; i < 4; i++) {
		if (in[i] == NULL || !util_time_parse(in[i], &t[i]))
			return problem_set(no, 422, "invalid-request",
					   "The field %s must be an RFC 3339 time such as "
					   "2026-12-01T09:00:00Z (a phase has exactly opens_at and "
					   "closes_at).", phase_names[i]);
		util_time_format(t[i], out[i]);
	}
	for (int i = 0; i < 3; i++)
		if (i == 1 ? t[1] > t[2] : t[i] >= t[i + 1])
			return problem_set(no, 422, "invalid-phases",
					   "The phases are out of order: %s must be %s %s.",
					   phase_names[i], i == 1 ? "at or before" : "before",
					   phase_names[i + 1]);
	return NULL;
}

/* Account ids as a PostgreSQL array literal ("{...}", caller frees) into *lit; or the
 * refusal of an item that is not a UUID (field names the list). */
static const struct problem *
uuid_array(struct problem *no, const char *const *ids, size_t n, const char *field, char **lit)
{
	char *p;

	if ((*lit = p = malloc(3 + n * (UTIL_UUID_LEN + 1))) == NULL)
		return problem_set(no, 500, "internal-error", "Out of memory.");
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (ids[i] == NULL || !util_uuid_parse(ids[i], p)) {
			free(*lit);
			*lit = NULL;
			return problem_set(no, 422, "invalid-request",
					   "Item %zu of %s is not an account id (a UUID).", i, field);
		}
		p += UTIL_UUID_LEN;
		*p++ = ',';
	}
	if (n > 0)
		p--;
	*p++ = '}';
	*p = '\0';
	return NULL;
}

/* The service's proposals as two array literals (new ids, bytea payloads); or the refusal
 * of a payload that is not base64 of at most max bytes. */
static const struct problem *
proposals_arrays(struct problem *no, const char *const *payloads, size_t n, size_t max,
		 char **ids, char **bytes)
{
	struct text a = {0}, b = {0};
	unsigned char *bin = malloc(max + 3);
	char *hex = malloc(2 * max + 1);
	const struct problem *why = NULL;

	text_add(&a, "{");
	text_add(&b, "{");
	for (size_t i = 0; i < n && bin != NULL && hex != NULL && why == NULL; i++) {
		char id[UTIL_UUID_LEN + 1];
		ssize_t len = payloads[i] == NULL ? -1 : b64_decode(payloads[i], strlen(payloads[i]),
								     bin, max, false);
		if (len < 0) {
			why = problem_set(no, 422, "invalid-request",
					  "Item %zu of proposals must be {\"payload\": base64} of "
					  "at most %zu bytes.", i, max);
			break;
		}
		util_uuid_v4(id);
		util_hex(bin, (size_t)len, hex);
		text_add(&a, "%s%s", i > 0 ? "," : "", id);
		text_add(&b, "%s\"\\\\x%s\"", i > 0 ? "," : "", hex);
	}
	text_add(&a, "}");
	text_add(&b, "}");
	if (why == NULL && (bin == NULL || hex == NULL || a.failed || b.failed))
		why = problem_set(no, 500, "internal-error", "Out of memory.");
	free(bin);
	free(hex);
	if (why != NULL) {
		free(a.p);
		free(b.p);
		return why;
	}
	*ids = a.p;
	*bytes = b.p;
	return NULL;
}

/* What bounds a decision's document, from the configuration. */
static struct decision_bounds
bounds(const struct core *c)
{
	return (struct decision_bounds){c->cfg->max_document_size, c->cfg->count_result_max};
}

/* A creation across its two statements. */
struct creation {
	struct core *c;
	core_decisions_cb cb;
	void *arg;
	char id[UTIL_UUID_LEN + 1];
	char service[UTIL_UUID_LEN + 1];
};

static void
created_read_cb(void *arg, const struct problem *no, const struct core_decision *d, size_t n)
{
	struct creation *k = arg;
	struct problem why;

	if (no == NULL && d == NULL)
		no = problem_set(&why, 500, "internal-error", "The decision vanished once created.");
	k->cb(k->arg, no, d, n);
	free(k);
}

static void
created_cb(void *arg, const struct problem *no)
{
	struct creation *k = arg;

	if (no != NULL) {
		k->cb(k->arg, no, NULL, 0);
		free(k);
		return;
	}
	store_decision_get(k->c->db, k->id, k->service, NULL, NULL, created_read_cb, k);
}

void
core_decision_create(struct core *c, const struct principal *caller,
		     const struct core_decision_new *in, core_decisions_cb cb, void *arg)
{
	char phases[4][UTIL_TIME_LEN + 1], method[65];
	char *proposers = NULL, *voters = NULL, *pids = NULL, *payloads = NULL;
	unsigned char wrapped[CRYPTO_WRAPPED_LEN];
	struct crypto_deckey k;
	struct creation *cr = NULL;
	const struct problem *why = NULL;
	struct problem no;
	int size = in->ballot_size > 0 ? in->ballot_size
		   : c->cfg->max_payload_size < DEFAULT_BALLOT_SIZE ? c->cfg->max_payload_size
								      : DEFAULT_BALLOT_SIZE;

	if (caller->kind != PRINCIPAL_SERVICE)
		why = problem_set(&no, 401, "wrong-credential-kind",
				  "Only a service creates decisions.");
	if (why == NULL)
		why = check_method(&no, in->method, method);
	if (why == NULL)
		why = check_phases(&no, in->phases, phases);
	if (why == NULL)
		why = uuid_array(&no, in->proposers, in->nproposers, "proposer_franchise",
				 &proposers);
	if (why == NULL)
		why = uuid_array(&no, in->voters, in->nvoters, "voter_franchise", &voters);
	if (why == NULL)
		why = proposals_arrays(&no, in->proposals, in->nproposals,
				       (size_t)c->cfg->max_payload_size, &pids, &payloads);
	if (why == NULL && ((cr = calloc(1, sizeof(*cr))) == NULL || util_uuid_v4(cr->id) != 0 ||
			    crypto_deckey_new(c->keys->master, cr->id, wrapped, &k) != 0))
		why = problem_set(&no, 500, "internal-error", "Could not make the decision's key.");
	if (why != NULL) {
		free(cr);
		cb(arg, why, NULL, 0);
	} else {
		struct decision_new d = {
			cr->id, caller->service_id, in->title, method, in->metadata,
			{phases[0], phases[1], phases[2], phases[3]}, wrapped, size,
			proposers, voters, pids, payloads, bounds(c),
		};
		crypto_deckey_wipe(&k);
		cr->c = c;
		cr->cb = cb;
		cr->arg = arg;
		snprintf(cr->service, sizeof(cr->service), "%s", caller->service_id);
		store_decision_create(c->db, &d, created_cb, cr);
	}
	free(proposers);
	free(voters);
	free(pids);
	free(payloads);
}

/* A read whose "no row" is an unknown decision. */
struct read {
	core_decisions_cb cb;
	void *arg;
};

static void
read_cb(void *arg, const struct problem *no, const struct core_decision *d, size_t n)
{
	struct read *rd = arg;
	struct problem why;

	if (no == NULL && d == NULL)
		no = problem_set(&why, 404, "not-found", "There is no such decision.");
	rd->cb(rd->arg, no, d, n);
	free(rd);
}

/* An account's read, once the decision's keys are known: whether it voted is whether its
 * slot holds a ballot. */
struct member_read {
	struct core *c;
	struct read *rd;
	char id[UTIL_UUID_LEN + 1], account[UTIL_UUID_LEN + 1];
};

static void
member_keys_cb(void *arg, const struct problem *no, const struct deckey *k)
{
	struct member_read *m = arg;
	unsigned char slot[32];

	if (no != NULL) {
		m->rd->cb(m->rd->arg, no, NULL, 0);
		free(m->rd);
	} else {
		if (k != NULL)
			crypto_slot(&k->k, m->account, slot);
		store_decision_get(m->c->db, m->id, NULL, m->account, k != NULL ? slot : NULL,
				   read_cb, m->rd);
	}
	free(m);
}

void
core_decision_get(struct core *c, const struct principal *caller, const char *id,
		  core_decisions_cb cb, void *arg)
{
	struct read *rd = malloc(sizeof(*rd));
	struct member_read *m = NULL;
	struct problem no;

	if (rd == NULL || (caller->kind != PRINCIPAL_SERVICE && (m = malloc(sizeof(*m))) == NULL)) {
		free(rd);
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
		return;
	}
	*rd = (struct read){cb, arg};
	if (caller->kind == PRINCIPAL_SERVICE) {
		store_decision_get(c->db, id, caller->service_id, NULL, NULL, read_cb, rd);
		return;
	}
	m->c = c;
	m->rd = rd;
	snprintf(m->id, sizeof(m->id), "%s", id);
	snprintf(m->account, sizeof(m->account), "%s", caller->account_id);
	deckeys_get(c, id, member_keys_cb, m);
}

void
core_decisions_list(struct core *c, const struct principal *caller, const char *after_ts,
		    const char *after_id, int limit, core_decisions_cb cb, void *arg)
{
	bool svc = caller->kind == PRINCIPAL_SERVICE;

	store_decisions_list(c->db, svc, svc ? caller->service_id : caller->account_id, after_ts,
			     after_id, limit, cb, arg);
}

void
core_franchise_add(struct core *c, const struct principal *caller, const char *id,
		   const struct core_franchise_batch *in,
		   void (*cb)(void *arg, const struct problem *no, long long proposers,
			      long long voters),
		   void *arg)
{
	struct decision_bounds b = bounds(c);
	char *proposers = NULL, *voters = NULL;
	const struct problem *why = NULL;
	struct problem no;

	if (caller->kind != PRINCIPAL_SERVICE)
		why = problem_set(&no, 401, "wrong-credential-kind",
				  "Only a service extends a franchise.");
	if (why == NULL)
		why = uuid_array(&no, in->proposers, in->nproposers,
				 in->proposers_field != NULL ? in->proposers_field
							     : "proposer_franchise",
				 &proposers);
	if (why == NULL)
		why = uuid_array(&no, in->voters, in->nvoters,
				 in->voters_field != NULL ? in->voters_field : "voter_franchise",
				 &voters);
	if (why != NULL)
		cb(arg, why, 0, 0);
	else
		store_franchise_add(c->db, id, caller->service_id, proposers, voters, &b, cb, arg);
	free(proposers);
	free(voters);
}

/* A result read: "no row" is an unknown decision; no document yet, or none any more, are
 * refusals too. */
struct result_read {
	void (*cb)(void *arg, const struct problem *no, const struct core_result *r);
	void *arg;
	bool whole; /* the document is wanted whole, not in chunks */
};

static void
result_cb(void *arg, const struct problem *no, const struct core_result *r)
{
	struct result_read *rr = arg;
	struct problem why;

	if (no == NULL && r == NULL)
		no = problem_set(&why, 404, "not-found", "There is no such decision.");
	else if (no == NULL && r->purged)
		no = problem_set(&why, 410, "result-purged", "The result of this decision was "
				 "purged at the end of its retention period.");
	else if (no == NULL && !r->published) {
		no = problem_set(&why, 409, "not-concluded", "The decision is %s; its result is "
				 "published once it is counted.", r->state);
		why.retry_after = 2;
	} else if (no == NULL && rr->whole && r->jws == NULL)
		no = problem_set(&why, 413, "document-too-large", "The result document has %llu "
				 "bytes, more than can be read whole here.",
				 (unsigned long long)r->version.length);
	rr->cb(rr->arg, no, no == NULL ? r : NULL);
	free(rr);
}

/* max 0: inline up to a download chunk, else whole up to max bytes. */
static void
result_lookup(struct core *c, const char *id, size_t max,
	    void (*cb)(void *arg, const struct problem *no, const struct core_result *r),
	    void *arg)
{
	struct result_read *rr = malloc(sizeof(*rr));
	struct problem no;

	if (rr == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	*rr = (struct result_read){cb, arg, max > 0};
	store_result_get(c->db, id, max > 0 ? max : (size_t)c->cfg->download_chunk_size, result_cb,
			 rr);
}

void
core_result_get(struct core *c, const char *id,
		void (*cb)(void *arg, const struct problem *no, const struct core_result *r),
		void *arg)
{
	result_lookup(c, id, 0, cb, arg);
}

void
core_result_document(struct core *c, const char *id, size_t max,
		     void (*cb)(void *arg, const struct problem *no, const struct core_result *r),
		     void *arg)
{
	result_lookup(c, id, max > 0 ? max : 1, cb, arg);
}
