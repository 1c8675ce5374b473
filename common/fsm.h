/* fsm — the transitions a state machine may make, as a table, and the one check of them.
 *
 * Each machine (a database connection, a worker connection, a job, a conclusion) keeps
 * its state in an enum and changes it only in its own *_set_state(), which asks
 * fsm_allowed first. A transition outside the table is a broken invariant: it is logged
 * as an error (the machine's name, who, from and to) and still made, so the program goes
 * on as it did before the check; tests fail on such a log line. */
#ifndef FREECOOP_FSM_H
#define FREECOOP_FSM_H

#include <stdbool.h>

struct fsm {
	const char *name;             /* "database connection", for the log */
	int nstates;                  /* states are 0 .. nstates - 1 */
	const char *const *states;    /* their names */
	const unsigned char *allowed; /* nstates x nstates: allowed[from * nstates + to] */
};

/* Whether from -> to is in m's table (staying in a state is not a transition: callers
 * do not ask). Logs the broken invariant when it is not; who names the instance. */
bool fsm_allowed(const struct fsm *m, int from, int to, const char *who);

/* The name of state s of m ("?" when out of range). */
const char *fsm_state_name(const struct fsm *m, int s);

#endif
