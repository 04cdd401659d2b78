/*
 * priv.h - how a program started as root gives it up for good: avecd's
 * two processes, avec-addrd after opening its packet sockets, avec-rsso.
 */
#ifndef AVEC_PRIV_H
#define AVEC_PRIV_H

/*
 * avec_priv_drop - when running as root, become @user for good: its
 * primary group only (supplementary groups reset), real, effective and
 * saved ids changed, every capability gone (checked), no_new_privs set.
 * Not root, or @user "": nothing changes.  Returns 0, or -1 (logged:
 * the caller stops).
 */
int avec_priv_drop(const char *user);

#endif
