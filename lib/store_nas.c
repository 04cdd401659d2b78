/*
 * store_nas.c - authenticators that accept a Disconnect-Request
 * (nas_clients), the open sessions a revocation looks for (sessions, read
 * only here: accounting owns that table), and the audit of each
 * Disconnect-Request sent (disconnects).
 *
 * A NAS's DAS secret is stored as given (it must be, to sign requests);
 * this file copies it only into the caller's record, wipes the copies it
 * makes itself, and never puts it in an error message.  It never writes
 * a session and never sends anything: the network is the caller's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/secret.h"
#include "avec/store_nas.h"
#include "store_int.h"

#define NAS_COLS "id, name, nas_address, das_address, das_port, das_secret "

static const char SQL_NAS_INSERT[] =
	"INSERT INTO nas_clients (name, nas_address, das_address, das_port, "
	"das_secret) VALUES (?1, ?2, ?3, ?4, ?5)";

static const char SQL_NAS_DELETE[] =
	"DELETE FROM nas_clients WHERE name = ?1";

static const char SQL_NAS_BY_ADDR[] =
	"SELECT " NAS_COLS "FROM nas_clients WHERE nas_address = ?1";

static const char SQL_NAS_LIST[] =
	"SELECT " NAS_COLS "FROM nas_clients ORDER BY name";

#define SESSION_COLS \
	"SELECT s.id, coalesce(s.device_id, 0), s.nas_address, " \
	"s.acct_session_id, s.mac FROM sessions s "

static const char SQL_OPEN_BY_DEVICE[] =
	SESSION_COLS "WHERE s.device_id = ?1 AND s.ended_at = 0 "
	"ORDER BY s.started_at, s.id";

static const char SQL_OPEN_BY_ACCOUNT[] =
	SESSION_COLS "WHERE s.ended_at = 0 AND s.device_id IN "
	"(SELECT d.id FROM devices d JOIN accounts a ON a.id = d.account_id "
	"WHERE a.principal = ?1) ORDER BY s.device_id, s.started_at, s.id";

static const char SQL_DISCONNECT_INSERT[] =
	"INSERT INTO disconnects (session_id, device_id, nas_name, sent_at, "
	"attempts, result, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

int
avec_store_nas_add(struct avec_store *st, const struct avec_nas_rec *n,
		   int64_t *id, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_NAS_INSERT, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, n->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, n->nas_address, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, n->das_address, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, n->das_port);
	sqlite3_bind_text(s, 5, n->das_secret, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	/* the bound secret is not kept: SQLITE_STATIC, and cleared here */
	sqlite3_clear_bindings(s);
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		avec_err_set(err, "a NAS named %s or with NAS address %s "
			     "exists already", n->name, n->nas_address);
		return AVEC_STORE_EXISTS;
	}
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "adding a NAS");
	if (id != NULL)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int
avec_store_nas_remove(struct avec_store *st, const char *name,
		      struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_NAS_DELETE, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "removing a NAS");
	return sqlite3_changes(st->db) == 0 ? AVEC_STORE_NOTFOUND : 0;
}

static void
read_nas(sqlite3_stmt *s, struct avec_nas_rec *out)
{
	int port = sqlite3_column_int(s, 4);

	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(s, 0);
	store_text(out->name, sizeof(out->name), s, 1);
	store_text(out->nas_address, sizeof(out->nas_address), s, 2);
	store_text(out->das_address, sizeof(out->das_address), s, 3);
	out->das_port = port > 0 && port < 65536 ? (uint16_t)port : 0;
	store_text(out->das_secret, sizeof(out->das_secret), s, 5);
}

int
avec_store_nas_by_address(struct avec_store *st, const char *nas_address,
			  struct avec_nas_rec *out, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_NAS_BY_ADDR, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, nas_address, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_nas(s, out);
	store_done(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return AVEC_STORE_NOTFOUND;
	return store_fail(st, err, "looking up a NAS");
}

int
avec_store_nas_list(struct avec_store *st, avec_nas_cb cb, void *ctx,
		    struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_NAS_LIST, err);
	struct avec_nas_rec n;
	int rc, stop = 0;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		read_nas(s, &n);
		stop = cb(&n, ctx);
		avec_secret_wipe(&n, sizeof(n));
		if (stop != 0)
			break;
	}
	store_done(s);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "listing the NAS");
	return 0;
}

static int
walk_sessions(struct avec_store *st, sqlite3_stmt *s, avec_open_session_cb cb,
	      void *ctx, struct avec_err *err)
{
	struct avec_open_session o;
	int rc, stop = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		o.id = sqlite3_column_int64(s, 0);
		o.device_id = sqlite3_column_int64(s, 1);
		store_text(o.nas_address, sizeof(o.nas_address), s, 2);
		store_text(o.acct_session_id, sizeof(o.acct_session_id), s, 3);
		store_text(o.mac, sizeof(o.mac), s, 4);
		if ((stop = cb(&o, ctx)) != 0)
			break;
	}
	store_done(s);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading open sessions");
	return 0;
}

int
avec_store_sessions_open_device(struct avec_store *st, int64_t device_id,
				avec_open_session_cb cb, void *ctx,
				struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_OPEN_BY_DEVICE, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, device_id);
	return walk_sessions(st, s, cb, ctx, err);
}

int
avec_store_sessions_open_account(struct avec_store *st,
				 const char *principal, avec_open_session_cb cb,
				 void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_OPEN_BY_ACCOUNT, err);

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	return walk_sessions(st, s, cb, ctx, err);
}

int
avec_store_disconnect_record(struct avec_store *st,
			     const struct avec_disconnect_rec *d,
			     struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_DISCONNECT_INSERT, err);
	int rc;

	if (s == NULL)
		return -1;
	if (d->session_id > 0)
		sqlite3_bind_int64(s, 1, d->session_id);
	else
		sqlite3_bind_null(s, 1);
	if (d->device_id > 0)
		sqlite3_bind_int64(s, 2, d->device_id);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_text(s, 3, d->nas_name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, d->sent_at);
	sqlite3_bind_int(s, 5, (int)d->attempts);
	sqlite3_bind_text(s, 6, d->result, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, d->detail, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "recording a Disconnect-Request");
	return 0;
}
