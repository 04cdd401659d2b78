/*
 * store_scan.c - the bulk reads that build the RADIUS module's index.
 *
 * One read transaction gives every policy, account and device with the
 * decision generation of that same view.  The generation moves only when
 * something a decision depends on changes (triggers in lib/sql/), and
 * avec_store_changed() is the cheap test (data_version) run before it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

static const char SQL_SCAN_POLICIES[] =
	"SELECT role, vlan, max_devices, allowed_creds, session_timeout, "
	"device_lifetime FROM role_policies";

static const char SQL_SCAN_ACCOUNTS[] =
	"SELECT id, principal, role, status FROM accounts "
	"ORDER BY id";

static const char SQL_SCAN_DEVICES[] =
	"SELECT d.id, d.account_id, d.cred_type, d.status, d.expires_at, "
	"c.username, c.secret_hash, coalesce(c.cert_serial, '') "
	"FROM devices d JOIN credentials c ON c.device_id = d.id "
	"ORDER BY d.account_id, d.created_at, d.id";

static const char SQL_GENERATION[] =
	"SELECT value FROM store_meta WHERE key = 'generation'";

static const char SQL_DATA_VERSION[] =
	"PRAGMA data_version";

static int
generation_locked(struct avec_store *st, uint64_t *gen, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_GENERATION, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*gen = (uint64_t)sqlite3_column_int64(s, 0);
	store_done(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, "reading the generation");
}

int
avec_store_generation(struct avec_store *st, uint64_t *gen, struct avec_err *err)
{
	return generation_locked(st, gen, err);
}

int
avec_store_changed(struct avec_store *st, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_DATA_VERSION, err);
	int64_t v;
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	v = sqlite3_column_int64(s, 0);
	store_done(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, "reading data_version");
	rc = v != st->data_version;
	st->data_version = v;
	return rc;
}

static int
scan_rows(struct avec_store *st, const struct avec_scan_cb *cb, void *ctx,
	  struct avec_err *err)
{
	struct avec_scan_device sd;
	struct avec_account a;
	struct avec_policy p;
	enum avec_role role;
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, SQL_SCAN_POLICIES, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (avec_role_parse((const char *)sqlite3_column_text(s, 0), &role) < 0 ||
		    store_read_policy(s, 1, &p) < 0) {
			store_done(s);
			return avec_err_set(err, "store %s: a policy row is corrupt", st->path);
		}
		if ((rc = cb->policy(role, &p, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading policies");

	if ((s = store_stmt(st, SQL_SCAN_ACCOUNTS, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		store_text(a.principal, sizeof(a.principal), s, 1);
		if (avec_role_parse((const char *)sqlite3_column_text(s, 2), &a.role) < 0 ||
		    avec_account_status_parse((const char *)sqlite3_column_text(s, 3),
					      &a.status) < 0) {
			store_done(s);
			return avec_err_set(err, "store %s: account %" PRId64
					    " is corrupt", st->path, a.id);
		}
		if ((rc = cb->account(&a, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading accounts");

	if ((s = store_stmt(st, SQL_SCAN_DEVICES, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&sd, 0, sizeof(sd));
		sd.d.id = sqlite3_column_int64(s, 0);
		sd.d.account_id = sqlite3_column_int64(s, 1);
		if (avec_cred_type_parse((const char *)sqlite3_column_text(s, 2),
					 &sd.d.cred_type) < 0 ||
		    avec_device_status_parse((const char *)sqlite3_column_text(s, 3),
					     &sd.d.status) < 0) {
			store_done(s);
			return avec_err_set(err, "store %s: device %" PRId64
					    " is corrupt", st->path, sd.d.id);
		}
		sd.d.expires_at = sqlite3_column_int64(s, 4);
		sd.username = (const char *)sqlite3_column_text(s, 5);
		sd.secret_hash = (const char *)sqlite3_column_text(s, 6);
		sd.cert_serial = (const char *)sqlite3_column_text(s, 7);
		if (sd.username == NULL || sd.secret_hash == NULL || sd.cert_serial == NULL) {
			store_done(s);
			return avec_err_set(err, "store %s: out of memory", st->path);
		}
		if ((rc = cb->device(&sd, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading devices");
	return 0;
}

int
avec_store_scan(struct avec_store *st, const struct avec_scan_cb *cb, void *ctx,
		uint64_t *generation, struct avec_err *err)
{
	int rc;

	/* One read transaction: the generation and the rows agree. */
	if (store_exec(st, "BEGIN", err) < 0)
		return -1;
	rc = generation_locked(st, generation, err);
	if (rc == 0)
		rc = scan_rows(st, cb, ctx, err);
	if (store_exec(st, "COMMIT", rc == 0 ? err : NULL) < 0 && rc == 0)
		rc = -1;
	store_rollback(st);
	return rc;
}
