/*
 * watch.h - following the address bindings as the store commits them,
 * and turning each change into accounting copies: a binding that opens
 * (with a person of a chosen role) gives a Start, one that ends or runs
 * out gives a Stop, and, if asked, an open one gives an Interim-Update
 * every so often.
 *
 * It reads only what is committed, whoever committed it (avec-addrd's
 * fold, FreeRADIUS's writer tying a late session or ending the bindings
 * of a stopped one, the expiry sweep), so only committed bindings are
 * announced; and at start it announces every binding open then.
 */
#ifndef AVEC_RSSO_WATCH_H
#define AVEC_RSSO_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "avec/store.h"
#include "sender.h"

#define RSSO_ROLES_MAX	4

struct rsso_watch_conf {
	const char *roles[RSSO_ROLES_MAX + 1];	/* NULL-terminated; none: all */
	unsigned interim_s;		/* 0: no Interim-Update */
	unsigned track_max;		/* open bindings followed, at most */
};

struct rsso_watch;

struct rsso_watch *rsso_watch_new(const struct rsso_watch_conf *c,
				  struct avec_store *st,
				  struct rsso_sender *out);
void rsso_watch_free(struct rsso_watch *w);
/*
 * rsso_watch_tick - read what changed since the last tick (nothing, when
 * no commit came and no binding ran out) and queue the copies.  Returns
 * 0, or -1 (logged) when the store could not be read: the next tick
 * tries again.
 */
int rsso_watch_tick(struct rsso_watch *w, int64_t now);
/* Open bindings followed, and those announced among them. */
void rsso_watch_size(const struct rsso_watch *w, unsigned *followed,
		     unsigned *announced);

#endif
