/* v1 — the HTTP API's route table and its handlers, one file per resource
 * (h_<resource>.c). Each handler translates between HTTP and JSON and the operations
 * below it, and answers exactly once (http.h). */
#ifndef FREECOOP_V1_H
#define FREECOOP_V1_H

#include <stddef.h>

#include "http/routes.h"

/* The routes, in the order /metrics lists them. */
extern const struct route v1_routes[];
extern const size_t v1_nroutes;

void h_health_live(struct req *r);
void h_health_ready(struct req *r);
void h_health_metrics(struct req *r);
void h_authorities_list(struct req *r);
void h_accounts_create(struct req *r);
void h_accounts_get(struct req *r);
void h_accounts_claim(struct req *r);
void h_me_get(struct req *r);
void h_access_tokens_create(struct req *r);
void h_access_tokens_revoke(struct req *r);
void h_methods_list(struct req *r);
void h_methods_submit(struct req *r);
void h_methods_get(struct req *r);
void h_decisions_create(struct req *r);
void h_decisions_list(struct req *r);
void h_decisions_get(struct req *r);
void h_decisions_franchise(struct req *r);
void h_decisions_result(struct req *r);
void h_proposals_create(struct req *r);
void h_proposals_list(struct req *r);
void h_ballots_cast(struct req *r);
void h_ballots_mine(struct req *r);
void h_webhook_put(struct req *r);
void h_webhook_get(struct req *r);
void h_webhook_delete(struct req *r);

#endif
