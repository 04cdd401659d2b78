/*
 * addr_feed.h - the address bindings as a feed: what a reader outside the
 * fold (avec-rsso, which tells a firewall who holds each address) needs
 * to follow them as they are committed: the bindings added since a row,
 * the ones open now, and one binding with its holder's role.
 *
 * Read-only: nothing here writes the store.  A binding's role is its
 * account's, or, once the account is erased or when it has none, the
 * role whose VLAN is the binding's.
 */
#ifndef AVEC_ADDR_FEED_H
#define AVEC_ADDR_FEED_H

#include <stdint.h>

#include "avec/addr.h"

struct avec_feed_rec {
	int64_t id;
	char address[AVEC_ADDR_MAX + 1];
	int family;			/* 4 or 6 */
	char mac[18];
	char principal[AVEC_PRINCIPAL_MAX + 1];	/* "" when nobody's */
	char role[16];			/* "" when unknown */
	int64_t bound_at, expires_at, ended_at;	/* ended_at 0: open */
	char end_cause[16];
};

/* An open binding: its row, when it runs out, whether it names someone. */
struct avec_feed_open {
	int64_t id, expires_at;
	int has_principal;
};

typedef int (*avec_feed_cb)(const struct avec_feed_rec *r, void *ctx);
typedef int (*avec_feed_open_cb)(const struct avec_feed_open *o, void *ctx);

/* The last row of addr_bindings (0 when empty) into *@id; 0 or -1. */
int avec_store_feed_last(struct avec_store *st, int64_t *id,
			 struct avec_err *err);
/*
 * avec_store_feed_after - the bindings whose row comes after @after, in
 * row order, @max at most.  *@n gets how many were given.  A non-zero
 * return of @cb stops the walk and is returned.
 */
int avec_store_feed_after(struct avec_store *st, int64_t after, unsigned max,
			  avec_feed_cb cb, void *ctx, unsigned *n,
			  struct avec_err *err);
/* The bindings open at @now (not ended, not expired), in row order. */
int avec_store_feed_open(struct avec_store *st, int64_t now,
			 avec_feed_open_cb cb, void *ctx, struct avec_err *err);
/* Binding @id: 0, AVEC_STORE_NOTFOUND (purged), or -1. */
int avec_store_feed_get(struct avec_store *st, int64_t id,
			struct avec_feed_rec *r, struct avec_err *err);

#endif
