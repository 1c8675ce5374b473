/* privs — never serving as root: a process started as root becomes the dedicated user it
 * is configured to run as (and can never become root again), and refuses to go on as
 * root without one. */
#ifndef FREECOOP_PRIVS_H
#define FREECOOP_PRIVS_H

#include <stddef.h>

/* When the process runs as root: becomes user, with its primary group and the groups
 * /etc/group gives it, and checks that root cannot be taken back; with user empty, fails
 * ("refusing to run as root"; setting names the setting to give, e.g. "user =
 * (FREECOOP_USER)"). When it does not run as root: does nothing. Returns 0, or -1 with a
 * message in err. */
int privs_drop(const char *user, const char *setting, char *err, size_t errlen);

#endif
