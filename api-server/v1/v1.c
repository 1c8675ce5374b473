/* v1 — the map of the HTTP API: every path, method, handler and credential it accepts.
 * main.c hands it to the front (app->routes); the front knows no handler by name. */
#include "v1.h"

const struct route v1_routes[] = {
	{"GET", "/healthz", h_health_live, ROUTE_PUBLIC},
	{"GET", "/readyz", h_health_ready, ROUTE_PUBLIC},
	{"GET", "/metrics", h_health_metrics, ROUTE_PUBLIC},
	{"GET", "/v1/authorities", h_authorities_list, ROUTE_PUBLIC},
	{"POST", "/v1/accounts", h_accounts_create, ROUTE_SERVICE},
	{"GET", "/v1/accounts/{id}", h_accounts_get, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"POST", "/v1/accounts/{id}/authorization-token", h_accounts_claim, ROUTE_LIMIT_ADDRESS},
	{"POST", "/v1/access-tokens", h_access_tokens_create, ROUTE_AUTHZ},
	{"DELETE", "/v1/access-tokens/current", h_access_tokens_revoke, ROUTE_ACCOUNT},
	{"GET", "/v1/me", h_me_get, ROUTE_ACCOUNT},
	{"GET", "/v1/voting-methods", h_methods_list, ROUTE_PUBLIC},
	{"POST", "/v1/voting-methods", h_methods_submit, ROUTE_LIMIT_ADDRESS},
	{"GET", "/v1/voting-methods/{sha}", h_methods_get, ROUTE_PUBLIC},
	{"POST", "/v1/decisions", h_decisions_create, ROUTE_SERVICE},
	{"GET", "/v1/decisions", h_decisions_list, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}", h_decisions_get, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"POST", "/v1/decisions/{id}/franchise", h_decisions_franchise, ROUTE_SERVICE},
	{"POST", "/v1/decisions/{id}/proposals", h_proposals_create, ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}/proposals", h_proposals_list, ROUTE_SERVICE | ROUTE_ACCOUNT},
	{"POST", "/v1/decisions/{id}/ballots", h_ballots_cast, ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}/ballot", h_ballots_mine, ROUTE_ACCOUNT},
	{"GET", "/v1/decisions/{id}/result", h_decisions_result, ROUTE_PUBLIC},
	{"PUT", "/v1/webhook", h_webhook_put, ROUTE_SERVICE},
	{"GET", "/v1/webhook", h_webhook_get, ROUTE_SERVICE},
	{"DELETE", "/v1/webhook", h_webhook_delete, ROUTE_SERVICE},
};

const size_t v1_nroutes = sizeof(v1_routes) / sizeof(v1_routes[0]);
