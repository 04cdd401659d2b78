/*
 * store_account.c - accounts: ENT identities, their role and status.
 *
 * An account is keyed by its CAS principal.  Putting an account twice
 * updates it in place; its status history lives in ended_at (when it last
 * stopped being active).  Nothing here touches devices.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

#define ACCOUNT_COLS \
	"a.id, a.principal, a.role, a.status, a.display_name, a.created_at, " \
	"a.updated_at, a.ended_at, (SELECT count(*) FROM devices d " \
	"WHERE d.account_id = a.id AND d.status = 'active') FROM accounts a "

static const char SQL_ACCOUNT_PUT[] =
	"INSERT INTO accounts (principal, role, status, display_name, "
	"created_at, updated_at, ended_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, "
	"CASE WHEN ?3 = 'active' THEN 0 ELSE ?5 END) "
	"ON CONFLICT (principal) DO UPDATE SET role = excluded.role, "
	"display_name = excluded.display_name, updated_at = excluded.updated_at, "
	"ended_at = CASE WHEN excluded.status = 'active' THEN 0 "
	"WHEN accounts.status = 'active' THEN excluded.updated_at "
	"ELSE accounts.ended_at END, status = excluded.status "
	"RETURNING id";

static const char SQL_ACCOUNT_GET[] =
	"SELECT " ACCOUNT_COLS "WHERE a.principal = ?1";

static const char SQL_ACCOUNT_STATUS[] =
	"UPDATE accounts SET updated_at = ?2, "
	"ended_at = CASE WHEN ?1 = 'active' THEN 0 "
	"WHEN status = 'active' THEN ?2 ELSE ended_at END, status = ?1 "
	"WHERE principal = ?3";

static const char SQL_ACCOUNT_LIST[] =
	"SELECT " ACCOUNT_COLS "ORDER BY a.principal";

static int
read_account(sqlite3_stmt *s, struct avec_account_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->a.id = sqlite3_column_int64(s, 0);
	store_text(out->a.principal, sizeof(out->a.principal), s, 1);
	if (avec_role_parse((const char *)sqlite3_column_text(s, 2), &out->a.role) < 0 ||
	    avec_account_status_parse((const char *)sqlite3_column_text(s, 3),
				      &out->a.status) < 0)
		return -1;
	store_text(out->display_name, sizeof(out->display_name), s, 4);
	out->created_at = sqlite3_column_int64(s, 5);
	out->updated_at = sqlite3_column_int64(s, 6);
	out->ended_at = sqlite3_column_int64(s, 7);
	out->active_devices = (uint32_t)sqlite3_column_int64(s, 8);
	return 0;
}

int
avec_store_account_put(struct avec_store *st, const struct avec_account_rec *a,
		       int64_t now, int64_t *id, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ACCOUNT_PUT, err);
	int rc = -1;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, a->a.principal, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, avec_role_name(a->a.role), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, avec_account_status_name(a->a.status), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->display_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	if (sqlite3_step(s) == SQLITE_ROW) {
		if (id != NULL)
			*id = sqlite3_column_int64(s, 0);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, err, "saving an account");
	} else {
		store_fail(st, err, "saving an account");
	}
	store_done(s);
	return rc;
}

int
avec_store_account_get(struct avec_store *st, const char *principal,
		       struct avec_account_rec *out, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ACCOUNT_GET, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = read_account(s, out) == 0 ? 0 :
		    avec_err_set(err, "store %s: account row is corrupt", st->path);
	else if (rc == SQLITE_DONE)
		rc = AVEC_STORE_NOTFOUND;
	else
		rc = store_fail(st, err, "reading an account");
	store_done(s);
	return rc;
}

int
avec_store_account_set_status(struct avec_store *st, const char *principal,
			      enum avec_account_status status, int64_t now,
			      struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ACCOUNT_STATUS, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, avec_account_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, principal, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, "changing an account's status");
	else
		rc = sqlite3_changes(st->db) ? 0 : AVEC_STORE_NOTFOUND;
	store_done(s);
	return rc;
}

int
avec_store_account_list(struct avec_store *st, avec_account_cb cb, void *ctx,
			struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ACCOUNT_LIST, err);
	struct avec_account_rec a;
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_account(s, &a) < 0) {
			rc = avec_err_set(err, "store %s: account row is corrupt", st->path);
			goto out;
		}
		if ((rc = cb(&a, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing accounts");
out:
	store_done(s);
	return rc;
}

