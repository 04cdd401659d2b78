/*
 * store_scan.c - the bulk reads that build the RADIUS module's index.
 *
 * One read transaction gives every policy, account and device with the
 * decision generation of that same view.  The generation moves only when
 * something a decision depends on changes (triggers in lib/sql/), and
 * avec_store_changed() is the cheap test (data_version) run before it.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

static const char SQL_SCAN_HOLIDAYS[] =
	"SELECT first_day, last_day FROM holidays ORDER BY first_day";

static const char SQL_SCAN_POLICIES[] =
	"SELECT role, vlan, max_devices, allowed_creds, session_timeout, "
	"device_lifetime, windows, lifetime_until FROM role_policies";

static const char SQL_SCAN_OVERRIDES[] =
	"SELECT scope, target, role, admitted, vlan, max_devices, allowed_creds, "
	"session_timeout, device_lifetime, lifetime_until, windows "
	"FROM policy_overrides ORDER BY id";

static const char SQL_SCAN_ACCOUNTS[] =
	"SELECT a.id, a.principal, a.role, a.status, EXISTS (SELECT 1 FROM "
	"blocks b WHERE b.kind = 'account' AND b.target = a.principal) "
	"FROM accounts a ORDER BY a.id";

static const char SQL_SCAN_MEMBERSHIPS[] =
	"SELECT account_id, 0, uai FROM account_schools "
	"UNION ALL SELECT account_id, 1, grp FROM account_groups "
	"ORDER BY 1, 2, 3";

static const char SQL_SCAN_DEVICES[] =
	"SELECT d.id, d.account_id, d.cred_type, d.status, d.expires_at, "
	"c.username, c.secret_hash, coalesce(c.cert_serial, ''), "
	"coalesce(c.mac, ''), c.psk, "
	"EXISTS (SELECT 1 FROM blocks b WHERE b.kind = 'device' AND "
	"b.target = CAST(d.id AS TEXT)) "
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

/* Run @sql and hand each row to @row; stops at the first non-zero. */
static int
each_row(struct avec_store *st, const char *sql, const char *what,
	 int (*row)(struct avec_store *, sqlite3_stmt *, const struct avec_scan_cb *,
		    void *, struct avec_err *),
	 const struct avec_scan_cb *cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, sql, err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = row(st, s, cb, ctx, err)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, what);
}

static int
corrupt(struct avec_store *st, struct avec_err *err, const char *what, int64_t id)
{
	return avec_err_set(err, "store %s: %s %" PRId64 " is corrupt", st->path,
			    what, id);
}

static int
holiday_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	    void *ctx, struct avec_err *err)
{
	struct avec_dayrange h;

	(void)st; (void)err;
	h.first = sqlite3_column_int(s, 0);
	h.last = sqlite3_column_int(s, 1);
	return cb->holiday(&h, ctx);
}

static int
policy_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	   void *ctx, struct avec_err *err)
{
	struct avec_policy p;
	enum avec_role role;

	if (avec_role_parse((const char *)sqlite3_column_text(s, 0), &role) < 0 ||
	    store_read_policy(s, 1, &p) < 0)
		return avec_err_set(err, "store %s: a policy row is corrupt", st->path);
	return cb->policy(role, &p, ctx);
}

static int
override_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	     void *ctx, struct avec_err *err)
{
	struct avec_override o;

	if (store_read_override(s, &o) < 0)
		return avec_err_set(err, "store %s: an override is corrupt", st->path);
	return cb->override(&o, ctx);
}

static int
account_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	    void *ctx, struct avec_err *err)
{
	struct avec_account a;

	memset(&a, 0, sizeof(a));
	a.id = sqlite3_column_int64(s, 0);
	store_text(a.principal, sizeof(a.principal), s, 1);
	if (avec_role_parse((const char *)sqlite3_column_text(s, 2), &a.role) < 0 ||
	    avec_account_status_parse((const char *)sqlite3_column_text(s, 3),
				      &a.status) < 0)
		return corrupt(st, err, "account", a.id);
	a.blocked = sqlite3_column_int(s, 4) != 0;
	return cb->account(&a, ctx);
}

static int
membership_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	       void *ctx, struct avec_err *err)
{
	const char *target = (const char *)sqlite3_column_text(s, 2);

	if (target == NULL)
		return avec_err_set(err, "store %s: out of memory", st->path);
	return cb->membership(sqlite3_column_int64(s, 0),
			      sqlite3_column_int(s, 1) ? AVEC_SCOPE_GROUP :
			      AVEC_SCOPE_SCHOOL, target, ctx);
}

static int
device_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	   void *ctx, struct avec_err *err)
{
	struct avec_scan_device sd;

	memset(&sd, 0, sizeof(sd));
	sd.d.id = sqlite3_column_int64(s, 0);
	sd.d.account_id = sqlite3_column_int64(s, 1);
	if (avec_cred_type_parse((const char *)sqlite3_column_text(s, 2),
				 &sd.d.cred_type) < 0 ||
	    avec_device_status_parse((const char *)sqlite3_column_text(s, 3),
				     &sd.d.status) < 0)
		return corrupt(st, err, "device", sd.d.id);
	sd.d.expires_at = sqlite3_column_int64(s, 4);
	sd.username = (const char *)sqlite3_column_text(s, 5);
	sd.secret_hash = (const char *)sqlite3_column_text(s, 6);
	sd.cert_serial = (const char *)sqlite3_column_text(s, 7);
	sd.mac = (const char *)sqlite3_column_text(s, 8);
	sd.psk = (const char *)sqlite3_column_text(s, 9);
	sd.d.blocked = sqlite3_column_int(s, 10) != 0;
	if (sd.username == NULL || sd.secret_hash == NULL ||
	    sd.cert_serial == NULL || sd.mac == NULL || sd.psk == NULL)
		return avec_err_set(err, "store %s: out of memory", st->path);
	return cb->device(&sd, ctx);
}

static int
scan_rows(struct avec_store *st, const struct avec_scan_cb *cb, void *ctx,
	  struct avec_err *err)
{
	static const struct {
		const char *sql, *what;
		int (*row)(struct avec_store *, sqlite3_stmt *,
			   const struct avec_scan_cb *, void *, struct avec_err *);
	} steps[] = {
		{ SQL_SCAN_HOLIDAYS, "reading holidays", holiday_row },
		{ SQL_SCAN_POLICIES, "reading policies", policy_row },
		{ SQL_SCAN_OVERRIDES, "reading overrides", override_row },
		{ SQL_SCAN_ACCOUNTS, "reading accounts", account_row },
		{ SQL_SCAN_MEMBERSHIPS, "reading memberships", membership_row },
		{ SQL_SCAN_DEVICES, "reading devices", device_row },
	};
	/* a caller without a callback for a table skips that table */
	const bool wanted[] = {
		cb->holiday != NULL, cb->policy != NULL, cb->override != NULL,
		cb->account != NULL, cb->membership != NULL, cb->device != NULL,
	};
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		if (!wanted[i])
			continue;
		rc = each_row(st, steps[i].sql, steps[i].what, steps[i].row, cb,
			      ctx, err);
		if (rc != 0)
			return rc;
	}
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
