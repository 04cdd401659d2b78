/*
 * store_scan.c - the bulk reads that build the RADIUS module's index.
 *
 * One read transaction gives every policy, account and device with the
 * decision generation of that same view.  The generation moves only when
 * something a decision depends on changes (triggers in lib/sql/), and
 * avec_store_changed() is the cheap test (data_version) run before it.
 *
 * The delta read (avec_store_scan_delta) serves the index's incremental
 * path: in one read transaction, the mark (generation, base generation,
 * newest journal seq), the devices journalled since an earlier mark, and
 * the devices of the accounts the caller then asks for.  It says "read
 * everything" whenever the journal cannot prove that devices alone
 * changed: the base generation moved, the rows after the earlier mark were
 * trimmed, or the journal went backwards (another store file).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

static const char SQL_MARK[] =
	"SELECT (SELECT value FROM store_meta WHERE key = 'generation'), "
	"(SELECT value FROM store_meta WHERE key = 'base_generation'), "
	"(SELECT coalesce(max(seq), 0) FROM device_changes), "
	"(SELECT coalesce(min(seq), 0) FROM device_changes)";

static const char SQL_DELTA_CHANGED[] =
	"SELECT ch.device_id, coalesce(d.account_id, 0), coalesce(c.mac, '') "
	"FROM (SELECT DISTINCT device_id FROM device_changes WHERE seq > ?1) ch "
	"LEFT JOIN devices d ON d.id = ch.device_id "
	"LEFT JOIN credentials c ON c.device_id = d.id "
	"ORDER BY ch.device_id LIMIT ?2";

static const char SQL_DELTA_MAC_OWNERS[] =
	"SELECT DISTINCT d.account_id FROM credentials c "
	"JOIN devices d ON d.id = c.device_id WHERE c.mac = ?1";

static const char SQL_DELTA_DEVICES[] =
	"SELECT d.id, d.account_id, d.cred_type, d.status, d.expires_at, "
	"c.username, c.secret_hash, coalesce(c.cert_serial, ''), "
	"coalesce(c.mac, ''), c.psk, "
	"EXISTS (SELECT 1 FROM blocks b WHERE b.kind = 'device' AND "
	"b.target = CAST(d.id AS TEXT)) "
	"FROM devices d JOIN credentials c ON c.device_id = d.id "
	"WHERE d.account_id = ?1 ORDER BY d.created_at, d.id";

static const char SQL_DATA_VERSION[] =
	"PRAGMA data_version";

static int
generation_locked(struct avec_store *st, uint64_t *gen, struct avec_err *err)
{
	int64_t v;

	if (store_int64(st, SQL_GENERATION, &v, "reading the generation",
			err) < 0)
		return -1;
	*gen = (uint64_t)v;
	return 0;
}

/* The mark, and the oldest journal row kept (0: none).  In a transaction. */
static int
mark_locked(struct avec_store *st, struct avec_scan_mark *m, int64_t *oldest,
	    struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_MARK, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		m->generation = (uint64_t)sqlite3_column_int64(s, 0);
		m->base_generation = (uint64_t)sqlite3_column_int64(s, 1);
		m->seq = sqlite3_column_int64(s, 2);
		if (oldest != NULL)
			*oldest = sqlite3_column_int64(s, 3);
	}
	store_done(s);
	return rc == SQLITE_ROW ? 0 : store_fail(st, err, "reading the mark");
}

int
avec_store_generation(struct avec_store *st, uint64_t *gen, struct avec_err *err)
{
	return generation_locked(st, gen, err);
}

int
avec_store_changed(struct avec_store *st, struct avec_err *err)
{
	int64_t v;
	int rc;

	if (store_int64(st, SQL_DATA_VERSION, &v, "reading data_version",
			err) < 0)
		return -1;
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

/* One device row (SQL_SCAN_DEVICES's columns) to @device. */
static int
device_of(struct avec_store *st, sqlite3_stmt *s,
	  int (*device)(const struct avec_scan_device *, void *), void *ctx,
	  struct avec_err *err)
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
	return device(&sd, ctx);
}

static int
device_row(struct avec_store *st, sqlite3_stmt *s, const struct avec_scan_cb *cb,
	   void *ctx, struct avec_err *err)
{
	return device_of(st, s, cb->device, ctx, err);
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
	if (rc == 0 && cb->mark != NULL) {
		struct avec_scan_mark m;

		rc = mark_locked(st, &m, NULL, err);
		if (rc == 0)
			rc = cb->mark(&m, ctx);
	}
	if (rc == 0)
		rc = scan_rows(st, cb, ctx, err);
	if (store_exec(st, "COMMIT", rc == 0 ? err : NULL) < 0 && rc == 0)
		rc = -1;
	store_rollback(st);
	return rc;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Append @id to the growing array *v (*n used, *cap allocated). */
static int
ids_add(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		int64_t *p = realloc(*v, ncap * sizeof(**v));

		if (p == NULL)
			return -1;
		*v = p;
		*cap = ncap;
	}
	(*v)[(*n)++] = id;
	return 0;
}

/* The changes since @since, then the devices the caller wants. */
static int
delta_rows(struct avec_store *st, const struct avec_scan_mark *since,
	   uint32_t max_changes, const struct avec_delta_cb *cb, void *ctx,
	   struct avec_err *err)
{
	const int64_t *want = NULL;
	const char (*macs)[18] = NULL;
	size_t nwant = 0, nmacs = 0, n = 0, cap = 0, i;
	int64_t *accts = NULL;
	uint32_t nchanged = 0;
	sqlite3_stmt *s;
	int rc;

	if ((s = store_stmt(st, SQL_DELTA_CHANGED, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, since->seq);
	sqlite3_bind_int64(s, 2, (int64_t)max_changes + 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *mac = (const char *)sqlite3_column_text(s, 2);

		if (++nchanged > max_changes) {
			store_done(s);
			return 1;
		}
		if (mac == NULL) {
			store_done(s);
			return avec_err_set(err, "store %s: out of memory", st->path);
		}
		if ((rc = cb->changed(sqlite3_column_int64(s, 0),
				      sqlite3_column_int64(s, 1), mac, ctx)) != 0) {
			store_done(s);
			return rc;
		}
	}
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading the device journal");
	if ((rc = cb->want(ctx, &want, &nwant, &macs, &nmacs)) != 0)
		return rc;

	/* the accounts asked for, and every owner of a device on those MACs */
	for (i = 0; i < nwant; i++)
		if (ids_add(&accts, &n, &cap, want[i]) < 0)
			goto oom;
	for (i = 0; i < nmacs; i++) {
		if ((s = store_stmt(st, SQL_DELTA_MAC_OWNERS, err)) == NULL)
			goto fail;
		sqlite3_bind_text(s, 1, macs[i], -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			if (ids_add(&accts, &n, &cap, sqlite3_column_int64(s, 0)) < 0) {
				store_done(s);
				goto oom;
			}
		store_done(s);
		if (rc != SQLITE_DONE) {
			store_fail(st, err, "reading the owners of a MAC");
			goto fail;
		}
	}
	if (n > 0)
		qsort(accts, n, sizeof(*accts), id_cmp);

	for (i = 0; i < n; i++) {
		if (i > 0 && accts[i] == accts[i - 1])
			continue;
		if ((s = store_stmt(st, SQL_DELTA_DEVICES, err)) == NULL)
			goto fail;
		sqlite3_bind_int64(s, 1, accts[i]);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW)
			if ((rc = device_of(st, s, cb->device, ctx, err)) != 0) {
				store_done(s);
				free(accts);
				return rc;
			}
		store_done(s);
		if (rc != SQLITE_DONE) {
			store_fail(st, err, "reading an account's devices");
			goto fail;
		}
	}
	free(accts);
	return 0;
oom:
	avec_err_set(err, "store %s: out of memory", st->path);
fail:
	free(accts);
	return -1;
}

int
avec_store_scan_delta(struct avec_store *st, const struct avec_scan_mark *since,
		      uint32_t max_changes, const struct avec_delta_cb *cb,
		      void *ctx, struct avec_scan_mark *now, struct avec_err *err)
{
	int64_t oldest = 0;
	int rc;

	/* One read transaction: the mark and the rows agree. */
	if (store_exec(st, "BEGIN", err) < 0)
		return -1;
	rc = mark_locked(st, now, &oldest, err);
	if (rc == 0 && (now->base_generation != since->base_generation ||
			now->seq < since->seq ||
			(now->seq > since->seq && oldest > since->seq + 1)))
		rc = 1;
	if (rc == 0)
		rc = delta_rows(st, since, max_changes, cb, ctx, err);
	if (store_exec(st, "COMMIT", rc >= 0 ? err : NULL) < 0 && rc >= 0)
		rc = -1;
	store_rollback(st);
	return rc;
}
