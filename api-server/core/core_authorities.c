/* core_authorities — the authority operations (see the header). */
#include "core_authorities.h"
#include "store_authorities.h"

void
core_authorities_list(struct core *c, core_authorities_cb cb, void *arg)
{
	store_authorities_list(c->db, cb, arg);
}
