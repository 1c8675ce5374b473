/* store_events — SQL of service events: endpoints and the outbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_events.h"

#define EVENT_COLS 11 /* the columns stmt_events_claim returns */

/* A new URL starts a new delivery history. */
const struct db_stmt stmt_webhook_put = {
	.sql = "INSERT INTO decision.webhooks (service_id, url, secret_sealed) VALUES ($1, $2, $3) "
	"ON CONFLICT (service_id) DO UPDATE SET url = EXCLUDED.url, "
	"  secret_sealed = EXCLUDED.secret_sealed, created_at = now(), last_success_at = NULL, "
	"  last_failure_at = NULL, last_failure = NULL "
	"RETURNING (xmax = 0), url, " STORE_TS("created_at"),
	.nparams = 3,
};

const struct db_stmt stmt_webhook_get = {
	.sql = "SELECT w.url, " STORE_TS("w.created_at") ", " STORE_TS("w.last_success_at") ", "
	STORE_TS("w.last_failure_at") ", w.last_failure, "
	"(SELECT count(*) FROM decision.events e "
	"  WHERE e.service_id = w.service_id AND e.status = 'pending'), "
	"(SELECT count(*) FROM decision.events e "
	"  WHERE e.service_id = w.service_id AND e.status = 'failed') "
	"FROM decision.webhooks w WHERE w.service_id = $1 AND w.url IS NOT NULL",
	.nparams = 1,
};

/* An attempt still in flight settles nothing afterwards: it is no longer pending. */
const struct db_stmt stmt_webhook_delete = {
	.sql = "WITH d AS (DELETE FROM decision.webhooks WHERE service_id = $1 AND url IS NOT NULL "
	"  RETURNING service_id), "
	"c AS (UPDATE decision.events SET status = 'cancelled', settled_at = now(), "
	"  lease_owner = NULL, lease_until = NULL "
	"  WHERE service_id IN (SELECT service_id FROM d) AND status = 'pending') "
	"SELECT 1 FROM d",
	.nparams = 1,
};

const struct db_stmt stmt_consumer_register = {
	.sql = "INSERT INTO decision.webhooks (service_id) VALUES ($1) "
	"ON CONFLICT (service_id) DO UPDATE SET url = NULL, secret_sealed = NULL "
	"WHERE decision.webhooks.url IS NOT NULL",
	.nparams = 1,
};

/* $1 owner, $2 lease in ms, $3 this instance's in-process consumers, $4 how many. Only
 * the head of each service's queue (its oldest pending event, found from the endpoint
 * through events_pending: one probe per service, however long the queues) can be due.
 * The heads are then locked, skipping any another instance holds, and re-checked against
 * their latest version (still pending, no live lease) before they are leased. */
const struct db_stmt stmt_events_claim = {
	/* The heads go from one step to the next as arrays of seq (= ANY: probes of the
	 * primary key; the lock's re-checks come after it, so that events_pending is not
	 * scanned for them), and no plan, generic or stale, scans the outbox: a claim costs
	 * a probe per service, however long the queues. */
	.sql = "WITH due AS (SELECT h.seq FROM decision.webhooks w "
	"  CROSS JOIN LATERAL (SELECT e.seq, e.next_attempt_at, e.lease_until "
	"    FROM decision.events e WHERE e.service_id = w.service_id AND e.status = 'pending' "
	"    ORDER BY e.seq LIMIT 1) h "
	"  WHERE (w.url IS NOT NULL OR w.service_id = ANY ($3::uuid[])) "
	"  AND h.next_attempt_at <= now() AND (h.lease_until IS NULL OR h.lease_until <= now()) "
	"  ORDER BY h.next_attempt_at, h.seq LIMIT $4), "
	"locked AS (SELECT e.seq, e.status, e.lease_until FROM decision.events e "
	"  WHERE e.seq = ANY (ARRAY(SELECT seq FROM due)) FOR UPDATE SKIP LOCKED) "
	"UPDATE decision.events e SET lease_owner = $1, "
	"  lease_until = now() + $2 * interval '1 millisecond', attempts = e.attempts + 1 "
	"FROM decision.webhooks w "
	"WHERE e.seq = ANY (ARRAY(SELECT seq FROM locked WHERE status = 'pending' "
	"  AND (lease_until IS NULL OR lease_until <= now()))) AND w.service_id = e.service_id "
	"RETURNING e.seq, e.id, e.type, " STORE_TS("e.created_at") ", e.service_id, "
	"  e.decision_id, e.state, e.attempts, "
	"  extract(epoch FROM clock_timestamp() - e.created_at), w.url, w.secret_sealed",
	.nparams = 4,
};

const struct db_stmt stmt_events_delivered = {
	.sql = "WITH e AS (UPDATE decision.events SET status = 'delivered', settled_at = now(), "
	"  lease_owner = NULL, lease_until = NULL, last_error = NULL "
	"  WHERE seq = $1 AND lease_owner = $2 AND status = 'pending' RETURNING service_id) "
	"UPDATE decision.webhooks w SET last_success_at = now() FROM e "
	"WHERE w.service_id = e.service_id RETURNING 1",
	.nparams = 2,
};

/* $3 why, $4 the delay before the next attempt in ms; negative: none, the event failed. */
const struct db_stmt stmt_events_failed = {
	.sql = "WITH e AS (UPDATE decision.events SET "
	"  status = CASE WHEN $4::int < 0 THEN 'failed' ELSE 'pending' END, "
	"  settled_at = CASE WHEN $4::int < 0 THEN now() END, "
	"  next_attempt_at = now() + greatest($4::int, 0) * interval '1 millisecond', "
	"  lease_owner = NULL, lease_until = NULL, last_error = $3 "
	"  WHERE seq = $1 AND lease_owner = $2 AND status = 'pending' RETURNING service_id) "
	"UPDATE decision.webhooks w SET last_failure_at = now(), last_failure = $3 FROM e "
	"WHERE w.service_id = e.service_id RETURNING 1",
	.nparams = 4,
};

const struct db_stmt stmt_events_purge = {
	.sql = "DELETE FROM decision.events WHERE status IN ('delivered', 'cancelled') "
	"AND settled_at < now() - interval '30 days'",
	.nparams = 0,
};

/* NULL for a NULL column. */
static const char *
value(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void
put_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_webhook_cb cb = (store_webhook_cb)c->cb;
	struct problem no;
	struct core_webhook w = {0};

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL);
	} else {
		w.created = *PQgetvalue(res->res, 0, 0) == 't';
		w.url = PQgetvalue(res->res, 0, 1);
		w.created_at = PQgetvalue(res->res, 0, 2);
		cb(c->arg, NULL, &w);
	}
	free(c);
}

void
store_webhook_put(struct db_pool *db, const char *service, const char *url,
		  const unsigned char *sealed, size_t sealed_len, store_webhook_cb cb, void *arg)
{
	struct db_param p[] = {db_text(service), db_text(url), db_bytes(sealed, (int)sealed_len)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	db_query(db, &stmt_webhook_put, p, put_cb, c);
}

static void
get_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_webhook_cb cb = (store_webhook_cb)c->cb;
	struct problem no;
	const PGresult *r = res->res;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL);
	} else if (PQntuples(r) != 1) {
		cb(c->arg, NULL, NULL);
	} else {
		struct core_webhook w = {
		    .url = PQgetvalue(r, 0, 0),
		    .created_at = PQgetvalue(r, 0, 1),
		    .last_success_at = value(r, 0, 2),
		    .last_failure_at = value(r, 0, 3),
		    .last_failure = value(r, 0, 4),
		    .queued = strtoll(PQgetvalue(r, 0, 5), NULL, 10),
		    .failed = strtoll(PQgetvalue(r, 0, 6), NULL, 10),
		};
		cb(c->arg, NULL, &w);
	}
	free(c);
}

void
store_webhook_get(struct db_pool *db, const char *service, store_webhook_cb cb, void *arg)
{
	struct db_param p[] = {db_text(service)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL));
	db_query(db, &stmt_webhook_get, p, get_cb, c);
}

void
store_webhook_delete(struct db_pool *db, const char *service, store_found_cb cb, void *arg)
{
	struct db_param p[] = {db_text(service)};

	store_found(db, &stmt_webhook_delete, p, cb, arg);
}

void
store_consumer_register(struct db_pool *db, const char *service, store_done_cb cb, void *arg)
{
	struct db_param p[] = {db_text(service)};

	store_exec(db, &stmt_consumer_register, p, cb, arg);
}

static void
claim_cb(const struct db_result *res, void *arg)
{
	struct store_call *c = arg;
	store_events_claim_cb cb = (store_events_claim_cb)c->cb;
	struct store_delivery *d = NULL;
	struct problem no;
	const PGresult *r = res->res;
	size_t n;

	if (res->status != DB_OK) {
		cb(c->arg, problem_db(&no, res), NULL, 0);
		free(c);
		return;
	}
	n = (size_t)PQntuples(r);
	if (n > 0 && (d = calloc(n, sizeof(*d))) == NULL) {
		cb(c->arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL, 0);
		free(c);
		return;
	}
	/* The sealed secret comes as bytea's hex text, decoded in place ("\x...": 2 digits
	 * a byte), so the rows stay the only copy. */
	for (size_t i = 0; i < n; i++) {
		int row = (int)i;
		char *hex = PQgetisnull(r, row, 10) ? NULL : PQgetvalue(r, row, 10);
		size_t hexlen = hex != NULL ? strlen(hex) : 0;

		d[i].seq = strtoll(PQgetvalue(r, row, 0), NULL, 10);
		d[i].ev = (struct core_event){
		    .id = PQgetvalue(r, row, 1),
		    .type = PQgetvalue(r, row, 2),
		    .timestamp = PQgetvalue(r, row, 3),
		    .service = PQgetvalue(r, row, 4),
		    .decision = PQgetvalue(r, row, 5),
		    .state = PQgetvalue(r, row, 6),
		    .attempt = atoi(PQgetvalue(r, row, 7)),
		};
		d[i].age_s = strtod(PQgetvalue(r, row, 8), NULL);
		d[i].url = value(r, row, 9);
		if (hex != NULL && hexlen >= 2 && hex[0] == '\\' && hex[1] == 'x' &&
		    util_unhex(hex + 2, (unsigned char *)hex, (hexlen - 2) / 2)) {
			d[i].sealed = (const unsigned char *)hex;
			d[i].sealed_len = (hexlen - 2) / 2;
		}
	}
	cb(c->arg, NULL, d, n);
	free(d);
	free(c);
}

void
store_events_claim(struct db_pool *db, const char *owner, int lease_ms, const char *consumers,
		   int limit, store_events_claim_cb cb, void *arg)
{
	char ms[16], lim[16];
	struct db_param p[] = {db_text(owner), db_text(ms), db_text(consumers), db_text(lim)};
	struct store_call *c;

	STORE_CALL(c, cb, arg, cb(arg, p_, NULL, 0));
	snprintf(ms, sizeof(ms), "%d", lease_ms);
	snprintf(lim, sizeof(lim), "%d", limit);
	db_query(db, &stmt_events_claim, p, claim_cb, c);
}

void
store_events_delivered(struct db_pool *db, long long seq, const char *owner, store_found_cb cb,
		       void *arg)
{
	char s[24] = "";
	struct db_param p[] = {db_text(s), db_text(owner)};

	snprintf(s, sizeof(s), "%lld", seq);
	store_found(db, &stmt_events_delivered, p, cb, arg);
}

void
store_events_failed(struct db_pool *db, long long seq, const char *owner, const char *error,
		    int delay_ms, store_found_cb cb, void *arg)
{
	char s[24] = "", ms[16] = "";
	struct db_param p[] = {db_text(s), db_text(owner), db_text(error), db_text(ms)};

	snprintf(s, sizeof(s), "%lld", seq);
	snprintf(ms, sizeof(ms), "%d", delay_ms < 0 ? -1 : delay_ms);
	store_found(db, &stmt_events_failed, p, cb, arg);
}

void
store_events_purge(struct db_pool *db, store_done_cb cb, void *arg)
{
	store_exec(db, &stmt_events_purge, NULL, cb, arg);
}
