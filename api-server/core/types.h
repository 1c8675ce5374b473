/* types — what the core's operations take and give their callers (core.h), and what the
 * store returns them from: plain structs whose strings are borrowed for the duration of
 * the callback that hands them over. */
#ifndef FREECOOP_TYPES_H
#define FREECOOP_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keylock.h"
#include "util.h"

struct ncache;
struct config;
struct core_event;
struct db_pool;
struct evdns_base;
struct deckeys;
struct keys;
struct worker;

#define CORE_MAX_CONSUMERS 4

/* An in-process consumer's answer for an event: NULL once it has applied it durably
 * (the event is then delivered), or why not (it is retried on the webhook schedule). */
typedef void (*core_event_done)(void *token, const char *error);

/* A service whose events are delivered in this process (core_events.h). */
struct core_consumer {
	char service[UTIL_UUID_LEN + 1];
	void (*deliver)(void *arg, const struct core_event *ev, core_event_done done,
			void *token);
	void *arg;
};

/* What the operations work with: set up by main.c, one per process. */
/* Hashes (hex, comma-separated) of access tokens that issuances pushed past
 * max_access_tokens, gathered while a notification telling the other instances is sent. */
struct core_pushed {
	char *hex;
	size_t len, cap;
	bool sending;
	bool overflowed; /* too many gathered: tell "all" instead */
};

struct core {
	struct db_pool *db;
	const struct config *cfg;
	struct worker *worker;  /* the count-worker's client: it checks submitted methods */
	const struct keys *keys; /* the master key wraps each decision's data key */
	struct deckeys *deckeys; /* the decisions' keys, unwrapped (deckeys.h) */
	struct keylock issuing; /* access tokens: one issuance per account in flight */
	struct ncache *creds;   /* credentials resolved (credcache.h); NULL: none kept */
	struct core_pushed pushed; /* tokens pushed past max_access_tokens, to tell (core_tokens.c) */
	struct evdns_base *dns; /* resolves webhook hosts */
	struct core_consumer consumers[CORE_MAX_CONSUMERS]; /* in-process event consumers */
	size_t nconsumers;
};

/* A new access token (the secret, valid during the callback: the caller wipes its
 * copies) and when it expires. */
struct core_access_token {
	const char *token;
	const char *expires_at; /* RFC 3339 */
};

/* An account of a service. */
struct core_account {
	const char *id;
	const char *name;       /* NULL: none */
	const char *created_at; /* RFC 3339 */
	bool claimed;           /* its authorization token was issued */
};

/* A registered authority's public key, as the JWKS lists it. */
struct core_authority {
	const char *id;         /* the JWK's kid */
	const char *name;
	const char *public_key; /* Ed25519, base64url */
	bool decision_authority;
	bool code_auditor;
	const char *created_at;
};

/* An auditor's signature of a voting method. */
struct core_signature {
	const char *auditor;    /* the authority's id */
	const char *signature;  /* Ed25519, standard base64 */
	const char *created_at;
	bool revoked; /* the auditor was revoked, or is no longer a code auditor */
};

/* A voting method: its id is the SHA-256 of its code, in hex. */
struct core_method {
	const char *id;
	const char *name;
	const char *code; /* NULL in a list */
	size_t code_len;
	const char *created_at;
	const struct core_signature *signatures; /* by auditor id */
	size_t nsignatures;
};

/* A method as submitted: code and the auditor's Ed25519 signature of its exact bytes. */
struct core_method_submission {
	const char *name;
	const char *code; /* UTF-8 (the caller checked), code_len bytes */
	size_t code_len;
	const char *auditor;   /* the authority's id */
	const char *signature; /* standard base64 */
};

/* A decision as its service, or a member of its franchise, sees it. */
struct core_decision {
	const char *id;
	const char *title;
	const char *state; /* DESIGN §5: proposing, voting, counting, concluded, failed, ... */
	const char *method_id;
	const char *method_name;
	const char *proposal_opens_at, *proposal_closes_at; /* RFC 3339 */
	const char *voting_opens_at, *voting_closes_at;
	const char *metadata; /* JSON text; NULL: none */
	const char *service;
	const char *created_at;
	const char *concluded_at; /* NULL until concluded */
	bool purged;              /* its ballots and result are gone (retention) */
	int ballot_size;          /* 0: none (ballots unpadded, made before migration 0005) */
	bool has_counts;          /* a single decision's read has them: */
	long long proposer_franchise, voter_franchise, proposals, voted;
	bool has_you; /* read by a member of its franchise: */
	bool you_proposer, you_voter, you_voted;
};

/* A new decision, as its service asks for it: values as the HTTP API takes them, checked
 * by core_decision_create. A NULL phase time, franchise item or proposal payload is one
 * that was missing or not a string. */
struct core_decision_new {
	const char *title;
	const char *method;   /* the method's id, 64 hex digits in any case */
	int ballot_size;      /* 0: the default */
	const char *phases[4]; /* proposal opens, closes, voting opens, closes (RFC 3339) */
	const char *const *proposers; /* account ids */
	size_t nproposers;
	const char *const *voters;
	size_t nvoters;
	const char *const *proposals; /* payloads, standard base64 */
	size_t nproposals;
	const char *metadata; /* a JSON object's text, or NULL */
};

/* A franchise batch: account ids as given (NULL: not a string), and the names of the
 * fields that carried them, for refusals. */
struct core_franchise_batch {
	const char *const *proposers;
	size_t nproposers;
	const char *const *voters;
	size_t nvoters;
	const char *proposers_field, *voters_field;
};

/* Which stored result document a download reads: a new one (re-counted) differs in both. */
struct core_result_version {
	uint64_t length;     /* bytes */
	char counted_at[40]; /* RFC 3339, microseconds */
};

/* A decision's result document: whether there is one yet, and the compact JWS itself when
 * it is small enough to hand over at once (else it is read in chunks of version). */
struct core_result {
	const char *state; /* the decision's state */
	bool purged;       /* gone at the end of the retention period */
	bool published;    /* a document is stored (concluded, or failed) */
	struct core_result_version version;
	const unsigned char *jws; /* the document, when it has at most inline_max bytes */
	size_t jws_len;
};

/* A proposal, as its decision's service or a member of its franchise sees it. */
struct core_proposal {
	const char *id;
	const char *proposer;         /* its proposer's pseudonym; "" when by the service */
	const char *proposer_account; /* for the service: the account (NULL: by the service) */
	bool mine;                    /* for an account: its own */
	const char *payload;          /* standard base64 */
	const char *created_at;
};

/* A ballot accepted: its id (the voter's receipt) and whether it replaced an earlier one. */
struct core_cast {
	const char *ballot_id;
	bool replaced;
};

/* Whether an account may vote in a decision and did, with its receipt. */
struct core_ballot_status {
	bool voter;
	bool voted;
	const char *ballot_id; /* NULL when none (or when it no longer opens) */
};

/* A service's webhook, as its service sees it (core_webhooks.h). */
struct core_webhook {
	const char *url;
	const char *created_at;
	const char *secret; /* "whsec_...": only in the answer to core_webhook_set */
	bool created;       /* core_webhook_set: the service had none before */
	long long queued;   /* events waiting or being retried */
	long long failed;   /* events given up on */
	const char *last_success_at, *last_failure_at; /* RFC 3339; NULL: never */
	const char *last_failure;                      /* why the last attempt failed */
};

/* A service event (DESIGN §6): a decision of the service concluded or failed. */
struct core_event {
	const char *id;        /* the same on every delivery of the event */
	const char *type;      /* "decision.concluded" or "decision.failed" */
	const char *timestamp; /* RFC 3339: when it was written */
	const char *service;
	const char *decision;
	const char *state; /* "concluded" or "failed" */
	int attempt;       /* 1 on the first delivery */
};

/* What a credential lookup found (the principal it stands for, when CRED_OK). */
enum core_credential { CRED_OK, CRED_UNKNOWN, CRED_REVOKED, CRED_EXPIRED };

#endif
