/* result_store — signing a result document and storing it, in one pass (see the header). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/store_conclude.h"
#include "document.h"
#include "result_store.h"
#include "util.h"

#define CHUNK (1 << 20)   /* the document goes to libpq a megabyte at a time */
#define SIGNATURE_B64 86 /* base64url of a 64-byte Ed25519 signature */

/* The signing thread: signs s->jws while the copy streams it. */
struct signer {
	struct result_store *s;
	pthread_t thread;
	bool running;
	int r;
};

static void *
signer_main(void *arg)
{
	struct signer *g = arg;
	struct result_store *s = g->s;
	uint64_t t0 = util_now_us();

	g->r = document_jws_sign(s->key, s->jws, s->signing_len, &s->jws_len);
	s->sign_us = util_now_us() - t0;
	return NULL;
}

/* Waits for the signer; whether it signed. */
static bool
signer_join(struct signer *g)
{
	if (g->running) {
		pthread_join(g->thread, NULL);
		g->running = false;
	}
	return g->r == 0;
}

/* Notes the first failure. */
static void
fail(struct result_store *s, const char *what, const char *why)
{
	if (s->error[0] == '\0')
		snprintf(s->error, sizeof(s->error), "%s: %s", what, why);
	s->stored = -1;
}

/* Runs sql on conn; whether it returned want. */
static bool
exec_ok(PGconn *conn, const char *sql, ExecStatusType want, struct result_store *s)
{
	PGresult *res = PQexec(conn, sql);
	bool ok = PQresultStatus(res) == want;

	if (!ok)
		fail(s, "could not store the result", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/* COPY's binary format (PostgreSQL's "COPY" page): big-endian integers, each field its
 * length then its bytes in the type's binary form. */
static size_t
be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
	return (size_t)bytes;
}

/* A field of n bytes from p (or only its length, p NULL: the bytes follow). */
static size_t
field(unsigned char *out, const void *p, size_t n)
{
	size_t k = be(out, n, 4);

	if (p != NULL)
		memcpy(out + k, p, n);
	return k + (p != NULL ? n : 0);
}

/* The copy's header and the row's fields up to the document's length. */
static bool
put_head(PGconn *conn, struct result_store *s, size_t whole)
{
	static const unsigned char magic[11] = "PGCOPY\n\377\r\n";
	const char *status = s->ok ? "ok" : "error";
	unsigned char head[128], uuid[16];
	char hex[33];
	size_t h = 0;

	for (int i = 0, k = 0; s->decision_id[i] != '\0' && k < 32; i++)
		if (s->decision_id[i] != '-')
			hex[k++] = s->decision_id[i];
	hex[32] = '\0';
	if (!util_unhex(hex, uuid, 16))
		return false;
	memcpy(head, magic, sizeof(magic));
	h = sizeof(magic) + be(head + sizeof(magic), 0, 4) + be(head + sizeof(magic) + 4, 0, 4);
	h += be(head + h, 5, 2); /* decision_id, status, jws, counted_at, phases */
	h += field(head + h, uuid, 16);
	h += field(head + h, status, strlen(status));
	h += field(head + h, NULL, whole);
	return PQputCopyData(conn, (const char *)head, (int)h) == 1;
}

/* The fields after the document: counted_at, the phases; then the end of the data. */
static bool
put_tail(PGconn *conn, struct result_store *s)
{
	unsigned char tail[512];
	char phases[400];
	size_t t, n;
	int64_t counted;

	if (!util_time_parse(s->counted_at, &counted))
		return false;
	/* jsonb's binary form: a version byte (1), then the text. */
	n = (size_t)snprintf(phases, sizeof(phases), "\001{");
	for (int i = 0; i < s->nphases && n < sizeof(phases); i++)
		n += (size_t)snprintf(phases + n, sizeof(phases) - n, "%s\"%s_ms\":%.3f",
				      i > 0 ? "," : "", s->phase_names[i],
				      (i == s->sign_phase ? s->sign_us : s->phase_us[i]) / 1e3);
	if (n + 2 > sizeof(phases))
		return false;
	n += (size_t)snprintf(phases + n, sizeof(phases) - n, "}");
	/* timestamptz: microseconds since 2000-01-01 UTC */
	t = field(tail, NULL, 8);
	t += be(tail + t, (uint64_t)(counted - INT64_C(946684800000000)), 8);
	t += field(tail + t, phases, n);
	t += be(tail + t, 0xffff, 2);
	return PQputCopyData(conn, (const char *)tail, (int)t) == 1;
}

/* Streams the row: its first fields and the signing input while the signer works on it,
 * then, once it has signed, the signature and the last fields. Whether all was sent. */
static bool
copy_row(PGconn *conn, struct result_store *s, struct signer *g)
{
	size_t whole = s->signing_len + 1 + SIGNATURE_B64;

	if (!put_head(conn, s, whole))
		return false;
	for (size_t off = 0; off < s->signing_len; off += CHUNK) {
		size_t len = s->signing_len - off < CHUNK ? s->signing_len - off : CHUNK;
		if (PQputCopyData(conn, s->jws + off, (int)len) != 1)
			return false;
	}
	if (!signer_join(g) || s->jws_len != whole) {
		fail(s, "could not sign the document", "the signing failed");
		return false;
	}
	return PQputCopyData(conn, s->jws + s->signing_len, (int)(whole - s->signing_len)) == 1 &&
	       put_tail(conn, s);
}

/* The copy's outcome: the row is in, or another instance had stored one (a lost lease). */
static bool
copy_finish(PGconn *conn, struct result_store *s, bool sent)
{
	PGresult *res;
	bool ok = false;

	if (PQputCopyEnd(conn, sent ? NULL : "the document was not sent whole") != 1) {
		fail(s, "could not store the result", PQerrorMessage(conn));
		return false;
	}
	res = PQgetResult(conn);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		ok = sent;
	} else {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strcmp(state, "23505") == 0)
			s->stored = 0; /* another instance stored it: this lease was lost */
		else
			fail(s, "could not store the result", PQresultErrorMessage(res));
	}
	PQclear(res);
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
	return ok;
}

/* Whether the key may still sign: its authority row is then locked until the commit. */
static bool
key_valid(PGconn *conn, struct result_store *s)
{
	char err[256];

	switch (store_conclude_authority_held(conn, s->authority_id, err, sizeof(err))) {
	case 1:
		return true;
	case 0:
		fail(s, "could not store the result", "the authority key was revoked");
		s->stored = -2;
		return false;
	default:
		fail(s, "could not store the result", err);
		return false;
	}
}

/* Marks the decision and commits, or rolls back if the lease was lost. */
static void
mark_and_commit(PGconn *conn, struct result_store *s)
{
	char err[256];

	if (!key_valid(conn, s))
		return;
	switch (store_conclude_mark(conn, s->decision_id, s->owner, s->ok, s->message,
				    &s->events, err, sizeof(err))) {
	case 0:
		s->stored = exec_ok(conn, "ROLLBACK", PGRES_COMMAND_OK, s) ? 0 : -1;
		break;
	case 1:
		if (exec_ok(conn, "COMMIT", PGRES_COMMAND_OK, s))
			s->stored = 1;
		break;
	default:
		fail(s, "could not store the result", err);
	}
}

void
result_store_run(struct result_store *s)
{
	const char *keys[] = {"dbname", "options", NULL};
	char options[64];
	const char *values[] = {s->conninfo, options, NULL};
	struct signer g = {s, 0, false, -1};
	PGconn *conn = NULL;

	s->stored = -1;
	s->error[0] = '\0';
	if (pthread_create(&g.thread, NULL, signer_main, &g) != 0) {
		fail(s, "could not sign the document", "no thread for the signing");
		return;
	}
	g.running = true;
	snprintf(options, sizeof(options), "-c statement_timeout=%d", s->timeout_ms);
	conn = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		fail(s, "could not connect to store the result", PQerrorMessage(conn));
	} else if (exec_ok(conn, "BEGIN", PGRES_COMMAND_OK, s) &&
		   exec_ok(conn, store_conclude_copy_sql, PGRES_COPY_IN, s) &&
		   copy_finish(conn, s, copy_row(conn, s, &g))) {
		mark_and_commit(conn, s);
	}
	signer_join(&g);
	PQfinish(conn); /* an open transaction is rolled back */
}
