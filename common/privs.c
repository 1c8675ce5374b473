/* privs — becoming the configured user when started as root. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

int
privs_drop(const char *user, const char *setting, char *err, size_t errlen)
{
	struct passwd *pw;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	if (user == NULL || *user == '\0') {
		snprintf(err, errlen, "refusing to run as root: set %s to the dedicated user to "
			 "run as", setting);
		return -1;
	}
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "unknown user \"%s\" (%s)", user, setting);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "refusing to run as root: %s names user \"%s\", which is "
			 "root", setting, user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "could not become user \"%s\": %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		snprintf(err, errlen, "could become root again after becoming \"%s\"", user);
		return -1;
	}
	return 0;
}
