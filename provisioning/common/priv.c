/*
 * priv.c - giving up root for good (priv.h).
 *
 * A process opens as root what only root may open (ports, packet sockets,
 * an admin socket), then becomes its own user before it reads anything a
 * stranger sent.  The change must leave no way back: root cannot be
 * regained, and no capability is left (the kernel clears them when every
 * uid leaves 0; that is checked, not assumed).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

#include "avec/log.h"
#include "common/priv.h"

/* Whether any capability is still permitted or effective. */
static bool
caps_left(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return true;
	return (d[0].permitted | d[1].permitted | d[0].effective |
		d[1].effective) != 0;
}

int
avec_priv_drop(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0 || user[0] == '\0')
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		avec_err_log("user %s does not exist", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		avec_err_log("cannot become %s: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || caps_left())) {
		avec_err_log("privileges could be regained: stopping");
		return -1;
	}
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
