/*
 * store_block.c - the administrator's block lists.
 *
 * A block refuses one account (by principal) or one device (by id) at the
 * next authentication, whatever the policy says, without touching the
 * account's or the device's own status: removing the block restores
 * exactly what was there.  A block on something that does not exist yet
 * is allowed (an account may be blocked before its first login).
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/ident.h"
#include "store_int.h"

static const char SQL_BLOCK_PUT[] =
	"INSERT INTO blocks (kind, target, reason, created_at) "
	"VALUES (?1, ?2, ?3, ?4)";
static const char SQL_BLOCK_DEL[] =
	"DELETE FROM blocks WHERE kind = ?1 AND target = ?2";
static const char SQL_BLOCK_LIST[] =
	"SELECT kind, target, reason, created_at FROM blocks "
	"ORDER BY kind, created_at, target";

static const char *
kind_name(enum avec_block_kind k)
{
	return k == AVEC_BLOCK_DEVICE ? "device" : "account";
}

static int
check_target(enum avec_block_kind kind, const char *target, struct avec_err *err)
{
	size_t i, n = target ? strlen(target) : 0;

	if (kind == AVEC_BLOCK_ACCOUNT) {
		if (!avec_principal_valid(target))
			return avec_err_set(err, "not a valid principal");
		return 0;
	}
	if (n == 0 || n > 18 || target[0] == '0')
		return avec_err_set(err, "a device is blocked by its id");
	for (i = 0; i < n; i++)
		if (target[i] < '0' || target[i] > '9')
			return avec_err_set(err, "a device is blocked by its id");
	return 0;
}

int
avec_store_block(struct avec_store *st, enum avec_block_kind kind,
		 const char *target, const char *reason, int64_t now,
		 struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (check_target(kind, target, err) < 0)
		return -1;
	if ((s = store_stmt(st, SQL_BLOCK_PUT, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, reason ? reason : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		avec_err_set(err, "%s %s is already blocked", kind_name(kind), target);
		return AVEC_STORE_EXISTS;
	}
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "saving a block");
}

int
avec_store_unblock(struct avec_store *st, enum avec_block_kind kind,
		   const char *target, struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, SQL_BLOCK_DEL, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, target ? target : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "removing a block");
	if (sqlite3_changes(st->db) == 0) {
		avec_err_set(err, "%s %s is not blocked", kind_name(kind),
			     target ? target : "");
		return AVEC_STORE_NOTFOUND;
	}
	return 0;
}

int
avec_store_block_list(struct avec_store *st, avec_block_cb cb, void *ctx,
		      struct avec_err *err)
{
	struct avec_block_rec b;
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, SQL_BLOCK_LIST, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&b, 0, sizeof(b));
		b.kind = strcmp((const char *)sqlite3_column_text(s, 0), "device") == 0 ?
		    AVEC_BLOCK_DEVICE : AVEC_BLOCK_ACCOUNT;
		store_text(b.target, sizeof(b.target), s, 1);
		store_text(b.reason, sizeof(b.reason), s, 2);
		b.created_at = sqlite3_column_int64(s, 3);
		if ((rc = cb(&b, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing blocks");
}
