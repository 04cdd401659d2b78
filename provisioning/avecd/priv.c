/*
 * priv.c - how each of avecd's processes gives up root.
 *
 * Started as root (systemd, with a capability bounding set of setuid,
 * setgid and binding low ports only), each process opens what it needs,
 * then becomes its own user for good: the engine "avec" (store.user), who
 * owns the store and the CA; the portal "avec-portal" (portal.user), who
 * owns nothing.  Started as another user (development, tests), nothing
 * changes.  It must never leave a way back: the change is checked.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "avec/log.h"
#include "avecd.h"

int
avecd_drop_to(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		avec_err_log("user %s does not exist", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		avec_err_log("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		avec_err_log("privileges could be regained: stopping");
		return -1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
