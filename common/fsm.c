/* fsm — the transition table check (see fsm.h). */
#include "fsm.h"
#include "log.h"

const char *
fsm_state_name(const struct fsm *m, int s)
{
	return s >= 0 && s < m->nstates ? m->states[s] : "?";
}

bool
fsm_allowed(const struct fsm *m, int from, int to, const char *who)
{
	if (from >= 0 && from < m->nstates && to >= 0 && to < m->nstates &&
	    m->allowed[from * m->nstates + to])
		return true;
	log_error("broken invariant: %s %s made the transition %s -> %s, which its table does "
		  "not allow", m->name, who, fsm_state_name(m, from), fsm_state_name(m, to));
	return false;
}
