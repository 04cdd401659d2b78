/*
 * store_addr_feed.c - the address bindings as a feed (addr_feed.h): rows
 * added since a mark, the ids of the open ones, one row with its role.
 *
 * It owns these read-only queries and nothing else: it must never write,
 * and never hold a statement (so a read lock) past its call.
 */
#include <string.h>

#include <sqlite3.h>

#include "avec/addr_feed.h"
#include "store_int.h"

#define FEED_COLS \
	"b.id, b.address, b.family, b.mac, b.principal, " \
	"coalesce(a.role, (SELECT p.role FROM role_policies p " \
	"WHERE p.vlan = b.vlan AND b.vlan != 0 LIMIT 1), ''), " \
	"b.bound_at, b.expires_at, b.ended_at, b.end_cause " \
	"FROM addr_bindings b LEFT JOIN accounts a ON a.id = b.account_id "

static const char SQL_FEED_LAST[] =
	"SELECT coalesce(max(id), 0) FROM addr_bindings";
/* ?1 after, ?2 limit */
static const char SQL_FEED_AFTER[] =
	"SELECT " FEED_COLS "WHERE b.id > ?1 ORDER BY b.id LIMIT ?2";
/* ?1 id */
static const char SQL_FEED_GET[] =
	"SELECT " FEED_COLS "WHERE b.id = ?1";
/* ?1 now: the open bindings (index addr_bindings_open) */
static const char SQL_FEED_OPEN[] =
	"SELECT id, expires_at, principal != '' FROM addr_bindings "
	"WHERE ended_at = 0 AND expires_at > ?1 ORDER BY id";

static void
read_rec(sqlite3_stmt *s, struct avec_feed_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	store_text(r->address, sizeof(r->address), s, 1);
	r->family = sqlite3_column_int(s, 2);
	store_text(r->mac, sizeof(r->mac), s, 3);
	store_text(r->principal, sizeof(r->principal), s, 4);
	store_text(r->role, sizeof(r->role), s, 5);
	r->bound_at = sqlite3_column_int64(s, 6);
	r->expires_at = sqlite3_column_int64(s, 7);
	r->ended_at = sqlite3_column_int64(s, 8);
	store_text(r->end_cause, sizeof(r->end_cause), s, 9);
}

int
avec_store_feed_last(struct avec_store *st, int64_t *id, struct avec_err *err)
{
	return store_int64(st, SQL_FEED_LAST, id, "reading bindings", err);
}

int
avec_store_feed_after(struct avec_store *st, int64_t after, unsigned max,
		      avec_feed_cb cb, void *ctx, unsigned *n,
		      struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_FEED_AFTER, err);
	struct avec_feed_rec r;
	int rc;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_rec(s, &r);
		(*n)++;
		if ((rc = cb(&r, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading new bindings");
out:
	store_done(s);
	return rc;
}

int
avec_store_feed_open(struct avec_store *st, int64_t now, avec_feed_open_cb cb,
		     void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_FEED_OPEN, err);
	struct avec_feed_open o;
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, now);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		o.id = sqlite3_column_int64(s, 0);
		o.expires_at = sqlite3_column_int64(s, 1);
		o.has_principal = sqlite3_column_int(s, 2);
		if ((rc = cb(&o, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "reading open bindings");
out:
	store_done(s);
	return rc;
}

int
avec_store_feed_get(struct avec_store *st, int64_t id, struct avec_feed_rec *r,
		    struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_FEED_GET, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_rec(s, r);
	store_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? AVEC_STORE_NOTFOUND :
	    store_fail(st, err, "reading a binding");
}
