/*
 * priv.c - how each of avecd's processes gives up root.
 *
 * Started as root (systemd, with a capability bounding set of setuid,
 * setgid and binding low ports only), each process opens what it needs,
 * then becomes its own user for good: the engine "avec" (store.user), who
 * owns the store and the CA; the portal "avec-portal" (portal.user), who
 * owns nothing.  Started as another user (development, tests), nothing
 * changes.  The change itself is common/priv.c's, checked there.
 */
#include "avecd.h"
#include "common/priv.h"

int
avecd_drop_to(const char *user)
{
	return avec_priv_drop(user);
}
