/* conclude — the conclusion job: claim, read, open, count, document, sign, store.
 *
 * A conclusion goes IDLE → CLAIM → READ → PREPARE (thread) → COUNT (the worker) →
 * DOCUMENT (thread: write it, then sign and store it at once, result_store.c) → IDLE;
 * conclusion_set_state makes every transition. Any step may end the attempt early
 * (release), after which the job is IDLE again. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "b64.h"
#include "conclude.h"
#include "crypto.h"
#include "decision_view.h"
#include "document.h"
#include "http.h"
#include "log.h"
#include "result_store.h"
#include "store_conclude.h"
#include "worker.h"

#define RETRY_MAX_MS 60000
#define VALIDATE_DEADLINE_MS 30000

enum cstate { CS_IDLE, CS_CLAIM, CS_READ, CS_PREPARE, CS_COUNT, CS_DOCUMENT };

static const char *const cstate_names[] = {"idle", "claim", "read", "prepare", "count",
					   "document and store"};

enum phase { PH_READ, PH_DECRYPT, PH_COUNT, PH_DOCUMENT, PH_SIGN, PH_STORE, PH_N };
static const char *const phase_names[PH_N] = {"read", "decrypt", "count", "document", "sign",
					      "store"};

/* One attempt at concluding one decision; zeroed between attempts. */
struct attempt {
	char id[UTIL_UUID_LEN + 1];
	int attempts;
	char last_error[512];
	bool give_up;  /* too many attempts: document the failure without counting */
	bool lost;     /* the lease was lost */
	int reads;     /* reads still pending */
	bool read_failed;
	PGresult *dec, *props, *ballots, *franchise;
	struct worker_job *job;
	uint64_t t0, phase_us[PH_N];

	/* PREPARE's output. */
	char error[512]; /* a thread step failed: why */
	struct wire_count in;
	unsigned char *plain;   /* opened ballots: id || payload, one after another */
	size_t plain_len;
	char *pseudonyms;       /* DV_PSEUDONYM_LEN per franchise row, then per proposal */
	unsigned char *payloads; /* decoded proposal payloads */
	char **auditors;
	size_t nauditors;

	/* COUNT's output. */
	char python[32];
	char **libraries;
	size_t nlibraries;
	bool ok;
	unsigned char *result;
	size_t result_len;
	char kind[32];
	char message[WIRE_ERROR_MESSAGE_MAX + 1];
	char counted_at[UTIL_TIME_LEN + 1];

	/* DOCUMENT's output, and STORE's. */
	char *jws;
	size_t jws_len;
	int stored; /* 1: stored; 0: the lease was lost first; -1: not known yet */
};

struct conclusion {
	struct app *app;
	struct db_pool *bulk;
	char authority_id[UTIL_UUID_LEN + 1];
	char owner[UTIL_UUID_LEN + 1]; /* this instance's lease owner id */
	enum cstate state;
	struct event *ev_poll, *ev_renew, *ev_thread;
	int pipe[2]; /* the thread says it is done */
	pthread_t thread;
	bool thread_running;
	bool closing; /* conclude_stop was called: callbacks only clean up */
	void (*thread_work)(struct conclusion *c);
	void (*thread_done)(struct conclusion *c);
	struct conclude_stats stats;

	struct attempt a; /* the decision being concluded */
};

static void conclusion_set_state(struct conclusion *c, enum cstate s);

/* Whether the attempt is over without a result: its lease was lost, or the server stops. */
static bool
abandoned(const struct conclusion *c)
{
	return c->closing || c->a.lost;
}
static void start_document(struct conclusion *c);

static uint64_t
phase_end(struct conclusion *c, enum phase p)
{
	uint64_t now = util_now_us();

	c->a.phase_us[p] += now - c->a.t0;
	c->a.t0 = now;
	return now;
}

static void
free_strings(char **s, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		free(s[i]);
	free(s);
}

/* Drops everything the attempt holds; the job is IDLE afterwards. */
static void
attempt_clear(struct conclusion *c)
{
	struct attempt *a = &c->a;

	if (a->job != NULL)
		worker_job_cancel(a->job);
	PQclear(a->dec);
	PQclear(a->props);
	PQclear(a->ballots);
	PQclear(a->franchise);
	free(a->in.proposals);
	free(a->in.ballots);
	for (int i = 0; i < 3; i++)
		free(a->in.sets[i]);
	if (a->plain != NULL)
		OPENSSL_cleanse(a->plain, a->plain_len);
	free(a->plain);
	free(a->pseudonyms);
	free(a->payloads);
	free_strings(a->auditors, a->nauditors);
	free_strings(a->libraries, a->nlibraries);
	free(a->result);
	free(a->jws);
	memset(a, 0, sizeof(*a));
	event_del(c->ev_renew);
	conclusion_set_state(c, CS_IDLE);
}

static void
conclusion_set_state(struct conclusion *c, enum cstate s)
{
	log_debug("conclusion %s: %s -> %s", c->a.id[0] ? c->a.id : "-", cstate_names[c->state],
		  cstate_names[s]);
	c->state = s;
}

/* ---- a step on the thread ---- */

static void *
thread_main(void *arg)
{
	struct conclusion *c = arg;
	char x = 1;

	c->thread_work(c);
	while (write(c->pipe[1], &x, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void
thread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conclusion *c = arg;
	char x;

	if (read(fd, &x, 1) != 1)
		return;
	pthread_join(c->thread, NULL);
	c->thread_running = false;
	c->thread_done(c);
}

/* Runs work(c) on a thread, then done(c) on the loop. */
static void
run_thread(struct conclusion *c, void (*work)(struct conclusion *),
	   void (*done)(struct conclusion *))
{
	c->thread_work = work;
	c->thread_done = done;
	if (pthread_create(&c->thread, NULL, thread_main, c) != 0) {
		snprintf(c->a.error, sizeof(c->a.error), "could not start a thread");
		done(c);
		return;
	}
	c->thread_running = true;
}

/* ---- ending an attempt without a result ---- */

static void
released_cb(const struct db_result *res, void *arg)
{
	if (res->status != DB_OK)
		log_warn("could not release the claim on a decision; it expires by itself");
}

/* Gives the decision back to be tried again; counted says whether this attempt counts
 * towards conclude_max_attempts. */
static void
release(struct conclusion *c, bool counted, const char *fmt, ...)
{
	struct attempt *a = &c->a;
	int delay = 1000;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->last_error, sizeof(a->last_error), fmt, ap);
	va_end(ap);
	for (int i = 1; i < a->attempts && delay < RETRY_MAX_MS; i++)
		delay *= 2;
	delay = delay < RETRY_MAX_MS ? delay : RETRY_MAX_MS;
	log_warn("could not conclude decision %s (attempt %d): %s; retrying in %d ms", a->id,
		 a->attempts, a->last_error, delay);
	c->stats.retried++;
	if (!abandoned(c))
		store_conclude_release(c->app->db, a->id, c->owner, delay, a->last_error, counted,
				       released_cb, NULL);
	attempt_clear(c);
}

static void
log_conclusion(struct conclusion *c)
{
	struct attempt *a = &c->a;

	if (a->stored != 1) {
		log_warn("decision %s: the claim was lost before the result was stored; "
			 "another instance concludes it", a->id);
		c->stats.lost++;
		return;
	}
	log_info("decision %s %s: %u ballots, %u proposals; read %.0f ms, decrypt %.0f ms, "
		 "count %.0f ms, document %.0f ms, sign %.0f ms beside store %.0f ms; %zu bytes",
		 a->id, a->ok ? "concluded" : "failed", a->in.nballots, a->in.nproposals,
		 a->phase_us[PH_READ] / 1e3, a->phase_us[PH_DECRYPT] / 1e3,
		 a->phase_us[PH_COUNT] / 1e3, a->phase_us[PH_DOCUMENT] / 1e3,
		 a->phase_us[PH_SIGN] / 1e3, a->phase_us[PH_STORE] / 1e3, a->jws_len);
	if (a->ok)
		c->stats.concluded++;
	else
		c->stats.failed++;
}

/* ---- DOCUMENT (thread) ---- */

static void
document_work(struct conclusion *c)
{
	struct attempt *a = &c->a;
	const PGresult *d = a->dec;
	char *payload = NULL;
	size_t len = 0;
	struct document doc = {
		.decision_id = a->id,
		.title = PQgetvalue(d, 0, CC_TITLE),
		.service = PQgetvalue(d, 0, CC_SERVICE),
		.created_at = PQgetvalue(d, 0, CC_CREATED),
		.phases = {PQgetvalue(d, 0, CC_PO), PQgetvalue(d, 0, CC_PC), PQgetvalue(d, 0, CC_VO),
			   PQgetvalue(d, 0, CC_VC)},
		.method_id = PQgetvalue(d, 0, CC_METHOD_ID),
		.method_name = PQgetvalue(d, 0, CC_METHOD_NAME),
		.auditors = (const char *const *)a->auditors,
		.nauditors = a->nauditors,
		.inputs = &a->in,
		.ok = a->ok,
		.result = a->result,
		.result_len = a->result_len,
		.error = a->kind,
		.message = a->message,
		.counted_at = a->counted_at,
		.python = a->python,
		.libraries = (const char *const *)a->libraries,
		.nlibraries = a->nlibraries,
	};

	struct result_store st = {
		.conninfo = c->app->cfg->db_conninfo,
		.timeout_ms = c->app->cfg->conclude_db_timeout_ms,
		.key = c->app->keys->authority,
		.decision_id = a->id,
		.owner = c->owner,
		.counted_at = a->counted_at,
		.ok = a->ok,
		.message = a->ok ? NULL : a->message,
		.phase_names = phase_names,
		.phase_us = a->phase_us,
		.nphases = PH_STORE,
		.sign_phase = PH_SIGN,
	};

	if (document_payload(&doc, &payload, &len) != 0 ||
	    document_jws_new(c->authority_id, payload, len, &a->jws, &st.signing_len) != 0) {
		snprintf(a->error, sizeof(a->error), "out of memory writing the document");
		free(payload);
		return;
	}
	free(payload);
	phase_end(c, PH_DOCUMENT);
	if (abandoned(c))
		return;
	/* Signed while it is stored: the phases up to here go into the row, signing's too. */
	st.jws = a->jws;
	result_store_run(&st);
	a->jws_len = st.jws_len;
	a->phase_us[PH_SIGN] = st.sign_us;
	a->stored = st.stored;
	if (st.stored < 0)
		snprintf(a->error, sizeof(a->error), "%s", st.error);
	phase_end(c, PH_STORE);
}

static void
document_done(struct conclusion *c)
{
	if (abandoned(c)) {
		attempt_clear(c);
		return;
	}
	if (c->a.error[0] != '\0') {
		release(c, true, "%s", c->a.error);
		return;
	}
	log_conclusion(c);
	attempt_clear(c);
}

static void
start_document(struct conclusion *c)
{
	if (abandoned(c)) {
		attempt_clear(c);
		return;
	}
	phase_end(c, PH_COUNT);
	util_time_format(util_realtime_us(), c->a.counted_at);
	conclusion_set_state(c, CS_DOCUMENT);
	run_thread(c, document_work, document_done);
}

/* ---- COUNT: VALIDATE (the runtime), then COUNT ---- */

/* Ends the count with the method's failure: a signed failure document follows. */
static void
count_failed(struct conclusion *c, const char *kind, const char *message)
{
	c->a.ok = false;
	snprintf(c->a.kind, sizeof(c->a.kind), "%s", kind);
	snprintf(c->a.message, sizeof(c->a.message), "%s", message);
	start_document(c);
}

static void
count_cb(const struct worker_answer *w, void *arg)
{
	struct conclusion *c = arg;
	struct attempt *a = &c->a;

	a->job = NULL;
	switch (w->status) {
	case WORKER_OK:
		if ((a->result = malloc(w->result_len + 1)) == NULL) {
			release(c, true, "out of memory keeping the result");
			return;
		}
		memcpy(a->result, w->result, w->result_len);
		a->result_len = w->result_len;
		a->ok = true;
		start_document(c);
		return;
	case WORKER_FAILED:
		if (w->kind == WIRE_ERR_INTERNAL) /* the worker's fault, not the method's */
			release(c, true, "the count-worker failed: %s", w->message);
		else
			count_failed(c, wire_error_kind_name(w->kind), w->message);
		return;
	case WORKER_UNAVAILABLE:
		release(c, w->attempts > 0, "the count-worker did not count: %s", w->message);
		return;
	}
}

/* Keeps the runtime a VALIDATE described ({"libraries":[...],"python":"..."}). */
static int
keep_runtime(struct attempt *a, const unsigned char *p, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *rt = tok != NULL ? json_tokener_parse_ex(tok, (const char *)p, (int)len)
					     : NULL, *py, *libs;
	int r = -1;

	if (rt != NULL && json_object_object_get_ex(rt, "python", &py) &&
	    json_object_object_get_ex(rt, "libraries", &libs) &&
	    json_object_is_type(libs, json_type_array)) {
		snprintf(a->python, sizeof(a->python), "%s", json_object_get_string(py));
		a->nlibraries = json_object_array_length(libs);
		a->libraries = calloc(a->nlibraries + 1, sizeof(char *));
		for (size_t i = 0; a->libraries != NULL && i < a->nlibraries; i++)
			a->libraries[i] = strdup(json_object_get_string(
				json_object_array_get_idx(libs, i)));
		r = a->libraries != NULL ? 0 : -1;
	}
	json_object_put(rt);
	if (tok != NULL)
		json_tokener_free(tok);
	return r;
}

static void
validated_cb(const struct worker_answer *w, void *arg)
{
	struct conclusion *c = arg;
	struct attempt *a = &c->a;
	const struct config *cfg = c->app->cfg;

	a->job = NULL;
	if (w->status == WORKER_UNAVAILABLE) {
		release(c, w->attempts > 0, "the count-worker did not answer: %s", w->message);
		return;
	}
	if (w->status == WORKER_FAILED && w->kind == WIRE_ERR_INTERNAL) {
		release(c, true, "the count-worker failed: %s", w->message);
		return;
	}
	if (w->status == WORKER_FAILED) {
		/* The code passed VALIDATE when it was submitted; this worker refuses it now
		 * (e.g. a library it needs is no longer allowed). The method fails. */
		snprintf(a->python, sizeof(a->python), "unknown");
		count_failed(c, wire_error_kind_name(w->kind), w->message);
		return;
	}
	if (keep_runtime(a, w->result, w->result_len) != 0) {
		release(c, true, "the count-worker described its runtime badly");
		return;
	}
	a->in.limits = (struct wire_limits){(uint32_t)cfg->count_cpu_ms, (uint32_t)cfg->count_wall_ms,
					    (uint32_t)cfg->count_memory_mb,
					    (uint32_t)cfg->count_result_max};
	a->job = worker_count(c->app->worker, &a->in, (uint32_t)cfg->count_wall_ms + 30000, count_cb,
			      c);
	if (a->job == NULL)
		release(c, true, "the count job could not be made (out of memory, or too large)");
}

static void
start_count(struct conclusion *c)
{
	struct attempt *a = &c->a;

	conclusion_set_state(c, CS_COUNT);
	if (a->give_up) {
		snprintf(a->python, sizeof(a->python), "unknown");
		count_failed(c, "internal", a->last_error[0] ? a->last_error
							      : "too many attempts");
		return;
	}
	a->job = worker_validate(c->app->worker, a->in.method.p, a->in.method.len,
				 VALIDATE_DEADLINE_MS, validated_cb, c);
	if (a->job == NULL)
		release(c, true, "out of memory");
}

/* ---- PREPARE (thread): open the ballots, pseudonymise, sort ---- */

static int
bytes_cmp(const struct wire_bytes *x, const struct wire_bytes *y)
{
	uint32_t n = x->len < y->len ? x->len : y->len;
	int r = n > 0 ? memcmp(x->p, y->p, n) : 0;

	return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

static int
set_cmp(const void *x, const void *y)
{
	return bytes_cmp(x, y);
}

static int
ballot_cmp(const void *x, const void *y)
{
	return bytes_cmp(&((const struct wire_ballot *)x)->id, &((const struct wire_ballot *)y)->id);
}

static int
proposal_cmp(const void *x, const void *y)
{
	const struct wire_proposal *p = x, *q = y;
	int r = bytes_cmp(&p->id, &q->id);

	return r != 0 ? r : bytes_cmp(&p->proposer, &q->proposer);
}

/* Opens every ballot into a->plain; returns 0 or -1 with a->error set. */
static int
open_ballots(struct conclusion *c, const struct crypto_deckey *k)
{
	struct attempt *a = &c->a;
	int n = PQntuples(a->ballots);
	size_t total = 0, off = 0;
	unsigned char aad[UTIL_UUID_LEN + 32];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int r = -1;

	if (ctx == NULL || crypto_ctx_key(ctx, k->ballot, false) != 0) {
		snprintf(a->error, sizeof(a->error), "could not set up the ballot key");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		size_t len = (size_t)PQgetlength(a->ballots, i, 1);
		if (len < CRYPTO_SEAL_OVERHEAD + UTIL_UUID_LEN || PQgetlength(a->ballots, i, 0) != 32)
			goto bad;
		total += len - CRYPTO_SEAL_OVERHEAD;
	}
	a->in.ballots = calloc((size_t)n + 1, sizeof(*a->in.ballots));
	a->plain = malloc(total + 1);
	a->plain_len = total;
	if (a->in.ballots == NULL || a->plain == NULL) {
		snprintf(a->error, sizeof(a->error), "out of memory opening %d ballots", n);
		goto out;
	}
	memcpy(aad, a->id, UTIL_UUID_LEN);
	for (int i = 0; i < n; i++) {
		const unsigned char *sealed = (const unsigned char *)PQgetvalue(a->ballots, i, 1);
		size_t len = (size_t)PQgetlength(a->ballots, i, 1);
		int pt;
		memcpy(aad + UTIL_UUID_LEN, PQgetvalue(a->ballots, i, 0), 32);
		if ((pt = crypto_open(ctx, NULL, aad, sizeof(aad), sealed, len, a->plain + off)) <
		    UTIL_UUID_LEN)
			goto bad;
		a->in.ballots[i].id = (struct wire_bytes){a->plain + off, UTIL_UUID_LEN};
		a->in.ballots[i].payload = (struct wire_bytes){a->plain + off + UTIL_UUID_LEN,
							       (uint32_t)pt - UTIL_UUID_LEN};
		off += (size_t)pt;
	}
	a->in.nballots = (uint32_t)n;
	qsort(a->in.ballots, (size_t)n, sizeof(*a->in.ballots), ballot_cmp);
	PQclear(a->ballots); /* opened: the sealed copies are no longer needed */
	a->ballots = NULL;
	r = 0;
	goto out;
bad:
	snprintf(a->error, sizeof(a->error), "a sealed ballot does not open with the decision's key");
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* The three sets of pseudonyms and the proposals; returns 0 or -1 with error set. Runs
 * beside open_ballots (see prepare_work): it touches only its own fields of the attempt. */
static int
build_sets(struct conclusion *c, char *error, size_t errlen)
{
	struct attempt *a = &c->a;
	int nf = PQntuples(a->franchise), np = PQntuples(a->props);
	size_t pay = 0, off = 0;

	for (int i = 0; i < np; i++)
		pay += b64_decoded_max((size_t)PQgetlength(a->props, i, 2));
	a->pseudonyms = malloc((size_t)(nf + np) * DV_PSEUDONYM_LEN + 1);
	a->payloads = malloc(pay + 1);
	a->in.proposals = calloc((size_t)np + 1, sizeof(*a->in.proposals));
	for (int s = 0; s < 3; s++)
		a->in.sets[s] = calloc((size_t)nf + 1, sizeof(struct wire_bytes));
	if (a->pseudonyms == NULL || a->payloads == NULL || a->in.proposals == NULL ||
	    a->in.sets[0] == NULL || a->in.sets[1] == NULL || a->in.sets[2] == NULL) {
		snprintf(error, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < nf; i++) {
		char *ps = a->pseudonyms + (size_t)i * DV_PSEUDONYM_LEN;
		struct wire_bytes b = {(const unsigned char *)ps, DV_PSEUDONYM_LEN};
		dv_pseudonym(a->id, PQgetvalue(a->franchise, i, 0), ps);
		/* columns: account_id, proposer, voter, voted; sets: participants, proposer
		 * franchise, voter franchise */
		for (int s = 0; s < 3; s++)
			if (*PQgetvalue(a->franchise, i, s == 0 ? 3 : s) == 't')
				a->in.sets[s][a->in.nsets[s]++] = b;
	}
	for (int s = 0; s < 3; s++)
		qsort(a->in.sets[s], a->in.nsets[s], sizeof(struct wire_bytes), set_cmp);
	for (int i = 0; i < np; i++) {
		struct wire_proposal *p = &a->in.proposals[i];
		char *ps = a->pseudonyms + (size_t)(nf + i) * DV_PSEUDONYM_LEN;
		const char *b64 = PQgetvalue(a->props, i, 2);
		ssize_t n = b64_decode(b64, strlen(b64), a->payloads + off, pay - off + 1, false);
		if (n < 0) {
			snprintf(error, errlen, "a proposal's payload is malformed");
			return -1;
		}
		p->id = (struct wire_bytes){(const unsigned char *)PQgetvalue(a->props, i, 0),
					    (uint32_t)PQgetlength(a->props, i, 0)};
		if (!PQgetisnull(a->props, i, 1))
			dv_pseudonym(a->id, PQgetvalue(a->props, i, 1), ps);
		p->proposer = (struct wire_bytes){(const unsigned char *)ps,
						  PQgetisnull(a->props, i, 1) ? 0 : DV_PSEUDONYM_LEN};
		p->payload = (struct wire_bytes){a->payloads + off, (uint32_t)n};
		off += (size_t)n;
	}
	a->in.nproposals = (uint32_t)np;
	qsort(a->in.proposals, (size_t)np, sizeof(*a->in.proposals), proposal_cmp);
	PQclear(a->franchise); /* pseudonymised: the account ids are no longer needed */
	a->franchise = NULL;
	return 0;
}

/* The auditors' kids from the text of a uuid[] ("{a,b}"). */
static int
parse_auditors(struct attempt *a, const char *text)
{
	size_t n = text[1] == '}' ? 0 : 1;

	for (const char *p = text; *p; p++)
		n += *p == ',';
	if ((a->auditors = calloc(n + 1, sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		a->auditors[i] = strndup(text + 1 + i * (UTIL_UUID_LEN + 1), UTIL_UUID_LEN);
		if (a->auditors[i] == NULL)
			return -1;
		a->nauditors++;
	}
	return 0;
}

/* build_sets on a thread of its own. */
struct sets_job {
	struct conclusion *c;
	int r;
	char error[512];
};

static void *
sets_main(void *arg)
{
	struct sets_job *j = arg;

	j->r = build_sets(j->c, j->error, sizeof(j->error));
	return NULL;
}

/* Opens the ballots while a second thread pseudonymises the franchise: the two halves
 * of the work share nothing, and a 1M-ballot decision spends seconds in each. */
static void
prepare_work(struct conclusion *c)
{
	struct attempt *a = &c->a;
	unsigned char wrapped[CRYPTO_WRAPPED_LEN];
	struct crypto_deckey k;
	struct sets_job sets = {c, -1, ""};
	pthread_t t;
	bool threaded, opened;

	a->in.method = (struct wire_bytes){(const unsigned char *)PQgetvalue(a->dec, 0, CC_CODE),
					   (uint32_t)PQgetlength(a->dec, 0, CC_CODE)};
	if (parse_auditors(a, PQgetvalue(a->dec, 0, CC_AUDITORS)) != 0) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		return;
	}
	if (!util_unhex(PQgetvalue(a->dec, 0, CC_DATA_KEY), wrapped, sizeof(wrapped)) ||
	    crypto_deckey_open(c->app->keys->master, a->id, wrapped, sizeof(wrapped), &k) != 0) {
		snprintf(a->error, sizeof(a->error), "the decision's data key does not open with "
			 "the master key");
		return;
	}
	threaded = pthread_create(&t, NULL, sets_main, &sets) == 0;
	opened = open_ballots(c, &k) == 0;
	if (threaded)
		pthread_join(t, NULL);
	else if (opened) /* no second thread: one after the other */
		sets_main(&sets);
	if (a->error[0] == '\0' && sets.r != 0)
		snprintf(a->error, sizeof(a->error), "%s", sets.error);
	crypto_deckey_wipe(&k);
	phase_end(c, PH_DECRYPT);
}

static void
prepare_done(struct conclusion *c)
{
	struct attempt *a = &c->a;

	if (abandoned(c)) {
		attempt_clear(c);
		return;
	}
	if (a->error[0] != '\0') {
		release(c, true, "%s", a->error);
		return;
	}
	if (a->in.nballots != a->in.nsets[0]) {
		/* Every vote writes both in one statement: a mismatch is damage, not a count. */
		release(c, true, "%u ballots but %u participants", a->in.nballots, a->in.nsets[0]);
		return;
	}
	start_count(c);
}

/* ---- READ: the decision, its proposals, ballots and franchise, one after another ---- */

/* Takes a read's result into *slot; on failure releases the claim and returns false. */
static bool
take_read(struct conclusion *c, const struct db_result *res, PGresult **slot, const char *what)
{
	if (abandoned(c)) {
		attempt_clear(c);
		return false;
	}
	if (res->status != DB_OK) {
		release(c, false, "could not read the %s: %s", what,
			res->status == DB_FAILED ? PQresultErrorMessage(res->res)
						 : "database unavailable or too slow");
		return false;
	}
	*slot = db_result_take(res);
	return true;
}

static void
read_franchise_cb(const struct db_result *res, void *arg)
{
	struct conclusion *c = arg;

	if (!take_read(c, res, &c->a.franchise, "franchise"))
		return;
	phase_end(c, PH_READ);
	conclusion_set_state(c, CS_PREPARE);
	run_thread(c, prepare_work, prepare_done);
}

static void
read_ballots_cb(const struct db_result *res, void *arg)
{
	struct conclusion *c = arg;

	if (take_read(c, res, &c->a.ballots, "ballots"))
		store_conclude_franchise(c->bulk, c->a.id, read_franchise_cb, c);
}

static void
read_proposals_cb(const struct db_result *res, void *arg)
{
	struct conclusion *c = arg;

	if (take_read(c, res, &c->a.props, "proposals"))
		store_conclude_ballots(c->bulk, c->a.id, read_ballots_cb, c);
}

static void
read_decision_cb(const struct db_result *res, void *arg)
{
	struct conclusion *c = arg;

	if (!take_read(c, res, &c->a.dec, "decision"))
		return;
	if (PQntuples(c->a.dec) != 1) {
		release(c, false, "the decision vanished");
		return;
	}
	store_conclude_proposals(c->bulk, c->a.id, read_proposals_cb, c);
}

/* ---- CLAIM, the lease, the poll ---- */

static void
renewed_cb(const struct db_result *res, void *arg)
{
	struct conclusion *c = arg;

	if (c->state == CS_IDLE || abandoned(c) || res->status != DB_OK ||
	    PQntuples(res->res) == 1)
		return; /* a failed renewal is tried again; the lease still has time */
	log_warn("decision %s: the claim was lost (the lease expired); abandoning this attempt",
		 c->a.id);
	c->a.lost = true;
	c->stats.lost++;
	if (c->a.job != NULL) {
		/* Abandon the count now; the thread steps end by themselves. */
		attempt_clear(c);
	}
}

static void
renew_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conclusion *c = arg;

	if (c->state != CS_IDLE && !c->a.lost)
		store_conclude_renew(c->app->db, c->a.id, c->owner, c->app->cfg->conclude_lease_ms,
				     renewed_cb, c);
}

static void
claim_cb(const struct db_result *res, void *arg)
{
	struct conclusion *c = arg;
	struct attempt *a = &c->a;
	int lease = c->app->cfg->conclude_lease_ms;
	struct timeval tv = {lease / 3000, (lease / 3 % 1000) * 1000};

	if (c->closing || res->status != DB_OK || PQntuples(res->res) != 1) {
		if (res->status != DB_OK && !c->closing)
			log_warn("could not look for decisions to conclude");
		conclusion_set_state(c, CS_IDLE);
		return;
	}
	snprintf(a->id, sizeof(a->id), "%s", PQgetvalue(res->res, 0, 0));
	a->attempts = atoi(PQgetvalue(res->res, 0, 1));
	if (a->attempts > c->app->cfg->conclude_max_attempts) {
		a->give_up = true;
		snprintf(a->last_error, sizeof(a->last_error), "gave up after %d attempts: %s",
			 a->attempts - 1, PQgetvalue(res->res, 0, 2));
	}
	a->t0 = util_now_us();
	log_info("concluding decision %s (attempt %d)", a->id, a->attempts);
	event_add(c->ev_renew, &tv);
	conclusion_set_state(c, CS_READ);
	store_conclude_decision(c->bulk, a->id, read_decision_cb, c);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conclusion *c = arg;

	/* Without a worker this instance could only fail to count: leave the decision to an
	 * instance that has one, or to this one once its worker is back. */
	if (c->state != CS_IDLE || c->app->shutting_down || !db_pool_ready(c->app->db) ||
	    !worker_ready(c->app->worker))
		return;
	conclusion_set_state(c, CS_CLAIM);
	store_conclude_claim(c->app->db, c->owner, c->app->cfg->conclude_lease_ms, claim_cb, c);
}

struct conclusion *
conclude_new(struct app *app, struct db_pool *bulk, const char *authority_id)
{
	struct conclusion *c = calloc(1, sizeof(*c));
	int ms = app->cfg->conclude_poll_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (c == NULL)
		return NULL;
	c->app = app;
	c->bulk = bulk;
	c->pipe[0] = c->pipe[1] = -1;
	snprintf(c->authority_id, sizeof(c->authority_id), "%s", authority_id);
	if (util_uuid_v4(c->owner) != 0 || pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    (c->ev_poll = event_new(app->base, -1, EV_PERSIST, poll_cb, c)) == NULL ||
	    (c->ev_renew = event_new(app->base, -1, EV_PERSIST, renew_cb, c)) == NULL ||
	    (c->ev_thread = event_new(app->base, c->pipe[0], EV_READ | EV_PERSIST, thread_cb, c)) ==
		    NULL) {
		conclude_free(c);
		return NULL;
	}
	event_add(c->ev_poll, &tv);
	event_add(c->ev_thread, NULL);
	return c;
}

void
conclude_stop(struct conclusion *c)
{
	if (c == NULL || c->closing)
		return;
	c->closing = true;
	if (c->ev_poll != NULL)
		event_del(c->ev_poll);
	if (c->thread_running) {
		pthread_join(c->thread, NULL);
		c->thread_running = false;
	}
	if (c->ev_renew != NULL)
		attempt_clear(c);
}

void
conclude_free(struct conclusion *c)
{
	if (c == NULL)
		return;
	conclude_stop(c);
	if (c->ev_poll != NULL)
		event_free(c->ev_poll);
	if (c->ev_renew != NULL)
		event_free(c->ev_renew);
	if (c->ev_thread != NULL)
		event_free(c->ev_thread);
	if (c->pipe[0] >= 0)
		close(c->pipe[0]);
	if (c->pipe[1] >= 0)
		close(c->pipe[1]);
	free(c);
}

void
conclude_get_stats(const struct conclusion *c, struct conclude_stats *st)
{
	*st = c->stats;
}
