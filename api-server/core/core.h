/* core — the Decision API's operations as C calls: the interface the HTTP API's handlers
 * (v1/) translate to, and the only one FreeCoop (coop/) may call (DESIGN §10.1).
 *
 * Every operation is asynchronous in the event loop's style: it takes the core (types.h),
 * who calls (principal.h; operations open to anyone take none), its input, and a callback
 * that runs exactly once — at once or later, from the event loop — with either a problem
 * (problem.h: the status, type and detail the HTTP API would answer) or the result as
 * plain structs (types.h), borrowed for the duration of the callback.
 */
#ifndef FREECOOP_CORE_H
#define FREECOOP_CORE_H

#include "core_accounts.h"
#include "core_authorities.h"
#include "core_ballots.h"
#include "core_decisions.h"
#include "core_events.h"
#include "core_methods.h"
#include "core_proposals.h"
#include "core_tokens.h"
#include "core_webhooks.h"
#include "principal.h"
#include "problem.h"
#include "types.h"

#endif
