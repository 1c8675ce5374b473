/* conclude — the conclusion job: claim, read, prepare, count, document, sign, store.
 *
 * An instance runs up to conclude_concurrency conclusions at once, one per runner. A
 * runner goes IDLE → CLAIM → READ → PREPARE (thread) → COUNT (the worker; meanwhile a
 * thread writes the document's head, all of it but the outcome) → DOCUMENT (thread:
 * finish it, then sign and store it at once, result_store.c) → IDLE;
 * runner_set_state makes and checks every transition (common/fsm.h). Any step may end
 * the attempt early (release), after which the runner is IDLE again. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "app.h"
#include "conclude.h"
#include "config.h"
#include "core/crypto.h"
#include "core/keys.h"
#include "core/store_authorities.h"
#include "core/store_conclude.h"
#include "db/db.h"
#include "document.h"
#include "events/events.h"
#include "fsm.h"
#include "inputs.h"
#include "log.h"
#include "result_store.h"
#include "util.h"
#include "worker/worker.h"

#define RETRY_MAX_MS 60000

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
	struct store_rows *dec, *props, *ballots, *franchise;
	struct store_conclusion d; /* of dec */
	struct worker_job *job;
	uint64_t t0, phase_us[PH_N];

	/* PREPARE's output. */
	char error[512]; /* a thread step failed: why */
	struct inputs inputs;
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

	/* The document being written: its head while the worker counts, the rest in
	 * DOCUMENT. */
	struct document_writer *writer;
	atomic_bool stop; /* the head's thread should stop: the attempt ends */
	bool counted;     /* the count ended while the head was still being written */

	/* DOCUMENT's output, and STORE's. */
	char *jws;
	size_t jws_len;
	int events; /* service events written with the result */
	int stored; /* 1: stored; 0: the lease was lost first; -1 failed; -2 key revoked */
};

struct conclusion;

/* Runs one conclusion at a time, with a thread for its CPU-heavy steps. */
struct runner {
	struct conclusion *c;
	enum cstate state;
	struct event *ev_renew, *ev_thread;
	int pipe[2]; /* the thread says it is done */
	pthread_t thread;
	bool thread_running;
	void (*thread_work)(struct runner *u);
	void (*thread_done)(struct runner *u);
	struct attempt a; /* the decision being concluded */
};

struct conclusion {
	struct app *app;
	struct db_pool *bulk;
	char authority_id[UTIL_UUID_LEN + 1];
	char owner[UTIL_UUID_LEN + 1]; /* this instance's lease owner id */
	struct event *ev_poll, *ev_authority;
	bool claiming;      /* a claim is in flight (one at a time) */
	bool authority_ok;  /* the key is still a registered, unrevoked decision authority */
	bool closing;       /* conclude_stop was called: callbacks only clean up */
	struct conclude_stats stats;
	int nrunners;
	struct runner *runners;
};

/* The transitions a runner may make: the steps in order, and back to idle from any step
 * (an attempt may end at any of them). */
static const unsigned char runner_moves[6][6] = {
	/*             idle claim read prepare count document */
	/* idle */     {0, 1, 0, 0, 0, 0},
	/* claim */    {1, 0, 1, 0, 0, 0},
	/* read */     {1, 0, 0, 1, 0, 0},
	/* prepare */  {1, 0, 0, 0, 1, 0},
	/* count */    {1, 0, 0, 0, 0, 1},
	/* document */ {1, 0, 0, 0, 0, 0},
};
static const struct fsm runner_fsm = {"conclusion runner", 6, cstate_names,
				      &runner_moves[0][0]};

static void
runner_set_state(struct runner *u, enum cstate s)
{
	const char *who = u->a.id[0] ? u->a.id : "-";

	if (s == u->state)
		return;
	fsm_allowed(&runner_fsm, (int)u->state, (int)s, who);
	log_debug("conclusion %s: %s -> %s", who, cstate_names[u->state], cstate_names[s]);
	u->state = s;
}

/* Whether the attempt is over without a result: its lease was lost, or the server stops. */
static bool
abandoned(const struct runner *u)
{
	return u->c->closing || u->a.lost;
}

static void start_document(struct runner *u);
static void try_claim(struct conclusion *c);
static void thread_stop(struct runner *u);

static uint64_t
phase_end(struct runner *u, enum phase p)
{
	uint64_t now = util_now_us();

	u->a.phase_us[p] += now - u->a.t0;
	u->a.t0 = now;
	return now;
}

static void
free_strings(char **s, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		free(s[i]);
	free(s);
}

/* Drops everything the attempt holds; the runner is IDLE afterwards, and another claim is
 * tried at once if there is work waiting. */
static void
attempt_clear(struct runner *u)
{
	struct attempt *a = &u->a;

	thread_stop(u); /* the head's thread, when the attempt ends while the worker counts */
	if (a->job != NULL)
		worker_job_cancel(a->job);
	store_rows_free(a->dec);
	store_rows_free(a->props);
	store_rows_free(a->ballots);
	store_rows_free(a->franchise);
	inputs_free(&a->inputs);
	free_strings(a->auditors, a->nauditors);
	free_strings(a->libraries, a->nlibraries);
	free(a->result);
	document_writer_free(a->writer);
	free(a->jws);
	memset(a, 0, sizeof(*a));
	event_del(u->ev_renew);
	runner_set_state(u, CS_IDLE);
}

/* ---- a step on the thread ---- */

static void *
thread_main(void *arg)
{
	struct runner *u = arg;
	char x = 1;

	u->thread_work(u);
	while (write(u->pipe[1], &x, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void
thread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *u = arg;
	char x;

	if (read(fd, &x, 1) != 1 || !u->thread_running) /* thread_stop joined it */
		return;
	pthread_join(u->thread, NULL);
	u->thread_running = false;
	u->thread_done(u);
	try_claim(u->c);
}

/* Runs work(u) on a thread, then done(u) on the loop. */
static void
run_thread(struct runner *u, void (*work)(struct runner *), void (*done)(struct runner *))
{
	u->thread_work = work;
	u->thread_done = done;
	if (pthread_create(&u->thread, NULL, thread_main, u) != 0) {
		snprintf(u->a.error, sizeof(u->a.error), "could not start a thread");
		done(u);
		return;
	}
	u->thread_running = true;
}

/* Stops the thread step and waits for it: the head's thread stops within a few thousand
 * ballots (the other steps' threads run while nothing else can end the attempt; at
 * shutdown they are waited for). */
static void
thread_stop(struct runner *u)
{
	char x;

	if (!u->thread_running)
		return;
	atomic_store(&u->a.stop, true);
	pthread_join(u->thread, NULL);
	u->thread_running = false;
	/* Its "done" is not the next step's. */
	while (read(u->pipe[0], &x, 1) < 0 && errno == EINTR)
		;
}

/* ---- ending an attempt without a result ---- */

static void
released_cb(void *arg, const struct problem *no)
{
	if (no != NULL)
		log_warn("could not release the claim on a decision; it expires by itself");
}

/* Gives the decision back to be tried again; counted says whether this attempt counts
 * towards conclude_max_attempts. */
static void
release(struct runner *u, bool counted, const char *fmt, ...)
{
	struct attempt *a = &u->a;
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
	u->c->stats.retried++;
	if (!abandoned(u))
		store_conclude_release(u->c->app->db, a->id, u->c->owner, delay, a->last_error,
				       counted, released_cb, NULL);
	attempt_clear(u);
}

static void
log_conclusion(struct runner *u)
{
	struct attempt *a = &u->a;
	const struct wire_count *in = &a->inputs.in;

	if (a->stored != 1) {
		log_warn("decision %s: the claim was lost before the result was stored; "
			 "another instance concludes it", a->id);
		u->c->stats.lost++;
		return;
	}
	log_info("decision %s %s: %u ballots, %u proposals; read %.0f ms, decrypt %.0f ms, "
		 "count %.0f ms, document %.0f ms, sign %.0f ms beside store %.0f ms; %zu bytes",
		 a->id, a->ok ? "concluded" : "failed", in->nballots, in->nproposals,
		 a->phase_us[PH_READ] / 1e3, a->phase_us[PH_DECRYPT] / 1e3,
		 a->phase_us[PH_COUNT] / 1e3, a->phase_us[PH_DOCUMENT] / 1e3,
		 a->phase_us[PH_SIGN] / 1e3, a->phase_us[PH_STORE] / 1e3, a->jws_len);
	if (a->ok)
		u->c->stats.concluded++;
	else
		u->c->stats.failed++;
	if (a->events > 0) {
		u->c->stats.events += (uint64_t)a->events;
		events_kick(u->c->app->events); /* deliver it now, not at the next poll */
	}
}

/* ---- DOCUMENT (thread) ---- */

/* What the document says before its outcome: the decision, its method, the inputs. */
static void
document_head(struct runner *u, struct document *doc)
{
	struct attempt *a = &u->a;
	const struct store_conclusion *d = &a->d;

	*doc = (struct document){
		.decision_id = a->id,
		.title = d->title,
		.service = d->service,
		.created_at = d->created_at,
		.phases = {d->phases[0], d->phases[1], d->phases[2], d->phases[3]},
		.method_id = d->method_id,
		.method_name = d->method_name,
		.auditors = (const char *const *)a->auditors,
		.nauditors = a->nauditors,
		.inputs = &a->inputs.in,
	};
}

/* While the worker counts: the document up to its outcome (reads only what the count
 * does not change). Should it fail, DOCUMENT writes the whole document. */
static void
head_work(struct runner *u)
{
	struct attempt *a = &u->a;
	struct document doc;

	document_head(u, &doc);
	if ((a->writer = document_writer_new(u->c->authority_id, &a->stop)) != NULL &&
	    document_writer_head(a->writer, &doc) != 0) {
		document_writer_free(a->writer);
		a->writer = NULL;
	}
}

static void
head_done(struct runner *u)
{
	if (u->a.counted)
		start_document(u); /* the count's answer waited for the head */
}

static void
document_work(struct runner *u)
{
	struct attempt *a = &u->a;
	struct conclusion *c = u->c;
	struct document doc;
	struct result_store st = {
		.conninfo = c->app->cfg->db_conninfo,
		.timeout_ms = c->app->cfg->conclude_db_timeout_ms,
		.key = c->app->keys->authority,
		.authority_id = c->authority_id,
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

	document_head(u, &doc);
	doc.ok = a->ok;
	doc.result = a->result;
	doc.result_len = a->result_len;
	doc.error = a->kind;
	doc.message = a->message;
	doc.counted_at = a->counted_at;
	doc.python = a->python;
	doc.libraries = (const char *const *)a->libraries;
	doc.nlibraries = a->nlibraries;
	if (a->writer == NULL && /* no head yet: the count failed early, or the head did */
	    ((a->writer = document_writer_new(c->authority_id, NULL)) == NULL ||
	     document_writer_head(a->writer, &doc) != 0)) {
		snprintf(a->error, sizeof(a->error), "out of memory writing the document");
		return;
	}
	if (document_writer_finish(a->writer, &doc, &a->jws, &st.signing_len) != 0) {
		snprintf(a->error, sizeof(a->error), "out of memory writing the document");
		return;
	}
	document_writer_free(a->writer);
	a->writer = NULL;
	phase_end(u, PH_DOCUMENT);
	if (abandoned(u))
		return;
	/* Signed while it is stored: the phases up to here go into the row, signing's too. */
	st.jws = a->jws;
	result_store_run(&st);
	a->jws_len = st.jws_len;
	a->phase_us[PH_SIGN] = st.sign_us;
	a->stored = st.stored;
	a->events = st.stored == 1 ? st.events : 0;
	if (st.stored < 0)
		snprintf(a->error, sizeof(a->error), "%s", st.error);
	phase_end(u, PH_STORE);
}

static void
document_done(struct runner *u)
{
	if (abandoned(u)) {
		attempt_clear(u);
		return;
	}
	if (u->a.stored == -2) {
		/* Revoked since the last check: sign nothing more until it is valid again. */
		u->c->authority_ok = false;
		release(u, false, "%s", u->a.error);
		return;
	}
	if (u->a.error[0] != '\0') {
		release(u, true, "%s", u->a.error);
		return;
	}
	log_conclusion(u);
	attempt_clear(u);
}

static void
start_document(struct runner *u)
{
	if (abandoned(u)) {
		attempt_clear(u);
		return;
	}
	runner_set_state(u, CS_DOCUMENT);
	run_thread(u, document_work, document_done);
}

/* The count's answer is kept: the document follows, once its head is written. */
static void
count_ended(struct runner *u)
{
	phase_end(u, PH_COUNT);
	util_time_format(util_realtime_us(), u->a.counted_at);
	if (u->thread_running)
		u->a.counted = true; /* head_done goes on */
	else
		start_document(u);
}

/* ---- COUNT: the worker counts, and describes its runtime with the answer ---- */

/* Keeps the runtime the worker described with its answer
 * ({"libraries":[...],"python":"..."}). */
static int
keep_runtime(struct attempt *a, const char *text)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *rt = tok != NULL ? json_tokener_parse_ex(tok, text, (int)strlen(text))
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


/* Ends the count with the method's failure: a signed failure document follows. */
static void
count_failed(struct runner *u, const char *kind, const char *message)
{
	u->a.ok = false;
	snprintf(u->a.kind, sizeof(u->a.kind), "%s", kind);
	snprintf(u->a.message, sizeof(u->a.message), "%s", message);
	count_ended(u);
}

static void
count_cb(const struct worker_answer *w, void *arg)
{
	struct runner *u = arg;
	struct attempt *a = &u->a;

	a->job = NULL;
	if (w->status != WORKER_UNAVAILABLE &&
	    !(w->status == WORKER_FAILED && w->kind == WIRE_ERR_INTERNAL) &&
	    keep_runtime(a, w->runtime) != 0) {
		release(u, true, "the count-worker described its runtime badly");
		return;
	}
	switch (w->status) {
	case WORKER_OK:
		if ((a->result = malloc(w->result_len + 1)) == NULL) {
			release(u, true, "out of memory keeping the result");
			return;
		}
		memcpy(a->result, w->result, w->result_len);
		a->result_len = w->result_len;
		a->ok = true;
		count_ended(u);
		return;
	case WORKER_FAILED:
		if (w->kind == WIRE_ERR_INTERNAL) /* the worker's fault, not the method's */
			release(u, true, "the count-worker failed: %s", w->message);
		else
			count_failed(u, wire_error_kind_name(w->kind), w->message);
		return;
	case WORKER_UNAVAILABLE:
		release(u, w->attempts > 0, "the count-worker did not count: %s", w->message);
		return;
	}
}

static void
start_count(struct runner *u)
{
	struct attempt *a = &u->a;
	const struct config *cfg = u->c->app->cfg;
	struct wire_count *in = &a->inputs.in;

	runner_set_state(u, CS_COUNT);
	if (a->give_up) {
		snprintf(a->python, sizeof(a->python), "unknown");
		count_failed(u, "internal", a->last_error[0] ? a->last_error
							      : "too many attempts");
		return;
	}
	in->limits = (struct wire_limits){(uint32_t)cfg->count_cpu_ms, (uint32_t)cfg->count_wall_ms,
					  (uint32_t)cfg->count_memory_mb,
					  (uint32_t)cfg->count_result_max};
	a->job = worker_count(u->c->app->worker, in, (uint32_t)cfg->count_wall_ms + 30000, count_cb,
			      u);
	if (a->job == NULL) {
		release(u, true, "the count job could not be made (out of memory, or too large)");
		return;
	}
	run_thread(u, head_work, head_done);
	if (!u->thread_running)
		a->error[0] = '\0'; /* no thread for the head: DOCUMENT writes it all */
}

/* ---- PREPARE (thread): open the ballots, pseudonymise, work out who took part ---- */

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

static void
prepare_work(struct runner *u)
{
	struct attempt *a = &u->a;
	unsigned char wrapped[CRYPTO_WRAPPED_LEN];
	struct crypto_deckey k;
	struct inputs_rows rows = {a->id, &k, a->d.ballot_size, a->ballots, a->franchise,
				   a->props};

	if (parse_auditors(a, a->d.auditors) != 0) {
		snprintf(a->error, sizeof(a->error), "out of memory");
		return;
	}
	if (!util_unhex(a->d.data_key, wrapped, sizeof(wrapped)) ||
	    crypto_deckey_open(u->c->app->keys->master, a->id, wrapped, sizeof(wrapped), &k) != 0) {
		snprintf(a->error, sizeof(a->error), "the decision's data key does not open with "
			 "the master key");
		return;
	}
	inputs_prepare(&a->inputs, &rows, a->error, sizeof(a->error));
	a->inputs.in.method =
		(struct wire_bytes){(const unsigned char *)a->d.code, (uint32_t)a->d.code_len};
	crypto_deckey_wipe(&k);
	phase_end(u, PH_DECRYPT);
}

static void
prepare_done(struct runner *u)
{
	struct attempt *a = &u->a;

	if (abandoned(u)) {
		attempt_clear(u);
		return;
	}
	if (a->error[0] != '\0') {
		release(u, true, "%s", a->error);
		return;
	}
	/* Opened and pseudonymised: the sealed copies and the account ids are no longer
	 * needed (the proposals' rows hold the proposal ids the inputs point to). */
	store_rows_free(a->ballots);
	a->ballots = NULL;
	store_rows_free(a->franchise);
	a->franchise = NULL;
	start_count(u);
}

/* ---- READ: the decision, its proposals, ballots and franchise, one after another ---- */

/* Takes a read's rows into *slot; on failure releases the claim and returns false. */
static bool
take_read(struct runner *u, const struct problem *no, struct store_rows *rows,
	  struct store_rows **slot, const char *what)
{
	if (abandoned(u)) {
		store_rows_free(rows);
		attempt_clear(u);
		return false;
	}
	if (no != NULL) {
		release(u, false, "could not read the %s: %s", what,
			no->db == NULL                     ? no->detail
			: no->db->status == DB_FAILED ? PQresultErrorMessage(no->db->res)
						      : "database unavailable or too slow");
		return false;
	}
	*slot = rows;
	return true;
}

static void
read_franchise_cb(void *arg, const struct problem *no, struct store_rows *rows)
{
	struct runner *u = arg;

	if (!take_read(u, no, rows, &u->a.franchise, "franchise"))
		return;
	phase_end(u, PH_READ);
	runner_set_state(u, CS_PREPARE);
	run_thread(u, prepare_work, prepare_done);
}

static void
read_ballots_cb(void *arg, const struct problem *no, struct store_rows *rows)
{
	struct runner *u = arg;

	if (take_read(u, no, rows, &u->a.ballots, "ballots"))
		store_conclude_franchise(u->c->bulk, u->a.id, read_franchise_cb, u);
}

static void
read_proposals_cb(void *arg, const struct problem *no, struct store_rows *rows)
{
	struct runner *u = arg;

	if (take_read(u, no, rows, &u->a.props, "proposals"))
		store_conclude_ballots(u->c->bulk, u->a.id, read_ballots_cb, u);
}

static void
read_decision_cb(void *arg, const struct problem *no, struct store_rows *rows)
{
	struct runner *u = arg;

	if (!take_read(u, no, rows, &u->a.dec, "decision"))
		return;
	if (!store_conclusion_of(u->a.dec, &u->a.d)) {
		release(u, false, "the decision vanished");
		return;
	}
	store_conclude_proposals(u->c->bulk, u->a.id, read_proposals_cb, u);
}

/* ---- CLAIM, the lease, the poll ---- */

static void
renewed_cb(void *arg, const struct problem *no, bool held)
{
	struct runner *u = arg;

	if (u->state == CS_IDLE || abandoned(u) || no != NULL || held)
		return; /* a failed renewal is tried again; the lease still has time */
	log_warn("decision %s: the claim was lost (the lease expired); abandoning this attempt",
		 u->a.id);
	u->a.lost = true;
	u->c->stats.lost++;
	if (u->a.job != NULL) {
		/* Abandon the count now; the thread steps end by themselves. */
		attempt_clear(u);
	}
}

static void
renew_cb(evutil_socket_t fd, short what, void *arg)
{
	struct runner *u = arg;

	if (u->state != CS_IDLE && !u->a.lost)
		store_conclude_renew(u->c->app->db, u->a.id, u->c->owner,
				     u->c->app->cfg->conclude_lease_ms, renewed_cb, u);
}

static struct runner *
idle_runner(struct conclusion *c)
{
	for (int i = 0; i < c->nrunners; i++)
		if (c->runners[i].state == CS_IDLE)
			return &c->runners[i];
	return NULL;
}

static void
claim_cb(void *arg, const struct problem *no, const struct store_claim *k)
{
	struct runner *u = arg;
	struct conclusion *c = u->c;
	struct attempt *a = &u->a;
	int lease = c->app->cfg->conclude_lease_ms;
	struct timeval tv = {lease / 3000, (lease / 3 % 1000) * 1000};

	c->claiming = false;
	if (c->closing || no != NULL || k == NULL) {
		if (no != NULL && !c->closing)
			log_warn("could not look for decisions to conclude");
		runner_set_state(u, CS_IDLE);
		return;
	}
	snprintf(a->id, sizeof(a->id), "%s", k->id);
	a->attempts = k->attempts;
	if (a->attempts > c->app->cfg->conclude_max_attempts) {
		a->give_up = true;
		snprintf(a->last_error, sizeof(a->last_error), "gave up after %d attempts: %s",
			 a->attempts - 1, k->last_error);
	}
	a->t0 = util_now_us();
	log_info("concluding decision %s (attempt %d)", a->id, a->attempts);
	event_add(u->ev_renew, &tv);
	runner_set_state(u, CS_READ);
	store_conclude_decision(c->bulk, a->id, read_decision_cb, u);
	try_claim(c); /* another runner may take another decision at once */
}

/* Claims a decision for an idle runner, if this instance may conclude now. */
static void
try_claim(struct conclusion *c)
{
	struct runner *u;

	/* Without a worker this instance could only fail to count, and without a valid key
	 * it could not sign: leave the decision to an instance that can, or to this one
	 * later. */
	if (c->closing || c->claiming || !c->authority_ok || c->app->shutting_down ||
	    !db_pool_ready(c->app->db) || !worker_ready(c->app->worker) ||
	    (u = idle_runner(c)) == NULL)
		return;
	c->claiming = true;
	runner_set_state(u, CS_CLAIM);
	store_conclude_claim(c->app->db, c->owner, c->app->cfg->conclude_lease_ms, claim_cb, u);
}

static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
	try_claim(arg);
}

/* ---- the authority key, checked again from time to time ---- */

static void
authority_cb(void *arg, const struct problem *no, bool ok)
{
	struct conclusion *c = arg;

	if (c->closing || no != NULL)
		return; /* unknown: keep what we knew */
	if (!ok)
		log_error("the authority key %s is no longer a registered, unrevoked decision "
			  "authority: no result is signed until it is registered again",
			  c->app->cfg->authority_key_file);
	else if (!c->authority_ok)
		log_info("the authority key is a valid decision authority again; concluding");
	c->authority_ok = ok;
}

static void
authority_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conclusion *c = arg;

	store_authority_check(c->app->db, c->app->keys->authority_pub, authority_cb, c);
}

/* ---- set-up ---- */

static int
runner_init(struct runner *u, struct conclusion *c)
{
	u->c = c;
	u->pipe[0] = u->pipe[1] = -1;
	if (pipe2(u->pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    (u->ev_renew = event_new(c->app->base, -1, EV_PERSIST, renew_cb, u)) == NULL ||
	    (u->ev_thread = event_new(c->app->base, u->pipe[0], EV_READ | EV_PERSIST, thread_cb,
				      u)) == NULL)
		return -1;
	event_add(u->ev_thread, NULL);
	return 0;
}

struct conclusion *
conclude_new(struct app *app, struct db_pool *bulk, const char *authority_id)
{
	struct conclusion *c = calloc(1, sizeof(*c));
	int ms = app->cfg->conclude_poll_ms, ams = app->cfg->authority_check_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000}, atv = {ams / 1000, (ams % 1000) * 1000};

	if (c == NULL)
		return NULL;
	c->app = app;
	c->bulk = bulk;
	c->authority_ok = true; /* checked at start-up */
	snprintf(c->authority_id, sizeof(c->authority_id), "%s", authority_id);
	c->nrunners = app->cfg->conclude_concurrency;
	if ((c->runners = calloc((size_t)c->nrunners, sizeof(*c->runners))) == NULL) {
		free(c);
		return NULL;
	}
	for (int i = 0; i < c->nrunners; i++)
		c->runners[i].pipe[0] = c->runners[i].pipe[1] = -1;
	if (util_uuid_v4(c->owner) != 0 ||
	    (c->ev_poll = event_new(app->base, -1, EV_PERSIST, poll_cb, c)) == NULL ||
	    (c->ev_authority = event_new(app->base, -1, EV_PERSIST, authority_check_cb, c)) ==
		    NULL) {
		conclude_free(c);
		return NULL;
	}
	for (int i = 0; i < c->nrunners; i++) {
		if (runner_init(&c->runners[i], c) != 0) {
			conclude_free(c);
			return NULL;
		}
	}
	event_add(c->ev_poll, &tv);
	event_add(c->ev_authority, &atv);
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
	if (c->ev_authority != NULL)
		event_del(c->ev_authority);
	for (int i = 0; i < c->nrunners; i++) {
		struct runner *u = &c->runners[i];
		thread_stop(u);
		if (u->ev_renew != NULL)
			attempt_clear(u);
	}
}

void
conclude_free(struct conclusion *c)
{
	if (c == NULL)
		return;
	conclude_stop(c);
	if (c->ev_poll != NULL)
		event_free(c->ev_poll);
	if (c->ev_authority != NULL)
		event_free(c->ev_authority);
	for (int i = 0; i < c->nrunners; i++) {
		struct runner *u = &c->runners[i];
		if (u->ev_renew != NULL)
			event_free(u->ev_renew);
		if (u->ev_thread != NULL)
			event_free(u->ev_thread);
		if (u->pipe[0] >= 0)
			close(u->pipe[0]);
		if (u->pipe[1] >= 0)
			close(u->pipe[1]);
	}
	free(c->runners);
	free(c);
}

void
conclude_get_stats(const struct conclusion *c, struct conclude_stats *st)
{
	*st = c->stats;
	st->authority_valid = c->authority_ok;
	st->running = 0;
	for (int i = 0; i < c->nrunners; i++)
		st->running += c->runners[i].state != CS_IDLE;
}
