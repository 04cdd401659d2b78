/*
 * store_device.c - devices and their credentials, and the last-seen
 * updates queued from the request path.
 *
 * Registration is the one write that must be atomic with a check: the
 * account's status, its role's policy and its count of active devices are
 * read and the device inserted inside one BEGIN IMMEDIATE transaction, so
 * two registrations at once cannot exceed the quota.  A credential is a
 * username with a secret's hash, a certificate's serial and fingerprint,
 * or, for a PSK device, its MAC and its key (in clear: RADIUS hands the
 * key to the access point); an 802.1X secret itself never reaches this
 * file.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/policy.h"
#include "store_int.h"

#define DEVICE_COLS \
	"d.id, d.account_id, d.cred_type, d.status, d.expires_at, " \
	"a.principal, d.name, c.username, c.secret_hash, " \
	"coalesce(c.cert_serial, ''), c.cert_fingerprint, d.created_at, " \
	"d.last_seen, d.last_mac, d.revoked_at, d.revoke_reason, " \
	"coalesce(c.mac, ''), c.psk " \
	"FROM devices d JOIN accounts a ON a.id = d.account_id " \
	"JOIN credentials c ON c.device_id = d.id "

static const char SQL_ACCOUNT_FOR_REG[] =
	"SELECT id, role, status FROM accounts WHERE principal = ?1";

static const char SQL_ACTIVE_COUNT[] =
	"SELECT count(*) FROM devices WHERE account_id = ?1 AND "
	"status = 'active' AND (expires_at = 0 OR expires_at > ?2)";

static const char SQL_DEVICE_INSERT[] =
	"INSERT INTO devices (account_id, name, cred_type, created_at, "
	"expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";

static const char SQL_CRED_INSERT[] =
	"INSERT INTO credentials (device_id, username, secret_hash, "
	"cert_serial, cert_fingerprint, mac, psk) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static const char SQL_MAC_TAKEN[] =
	"SELECT d.id FROM credentials c JOIN devices d ON d.id = c.device_id "
	"WHERE c.mac = ?1 AND d.status = 'active' AND "
	"(d.expires_at = 0 OR d.expires_at > ?2) LIMIT 1";

static const char SQL_DEVICE_REVOKE[] =
	"UPDATE devices SET status = 'revoked', revoked_at = ?2, "
	"revoke_reason = ?3 WHERE id = ?1 AND status = 'active'";

static const char SQL_DEVICE_GET[] =
	"SELECT " DEVICE_COLS "WHERE d.id = ?1";

static const char SQL_DEVICE_LIST_ALL[] =
	"SELECT " DEVICE_COLS "ORDER BY d.created_at, d.id";

static const char SQL_DEVICE_LIST_OWNER[] =
	"SELECT " DEVICE_COLS "WHERE a.principal = ?1 "
	"ORDER BY d.created_at, d.id";

/* Two statements, so that a touch moves the MAC index only when the MAC
 * itself changed, and writes nothing when it brings nothing newer. */
static const char SQL_TOUCH[] =
	"UPDATE devices SET last_seen = ?2 WHERE id = ?1 AND last_seen < ?2";
static const char SQL_TOUCH_MAC[] =
	"UPDATE devices SET last_mac = ?2 WHERE id = ?1 AND ?2 != '' AND "
	"last_mac != ?2";

static int
read_device(sqlite3_stmt *s, struct avec_device_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->d.id = sqlite3_column_int64(s, 0);
	out->d.account_id = sqlite3_column_int64(s, 1);
	if (avec_cred_type_parse((const char *)sqlite3_column_text(s, 2),
				 &out->d.cred_type) < 0 ||
	    avec_device_status_parse((const char *)sqlite3_column_text(s, 3),
				     &out->d.status) < 0)
		return -1;
	out->d.expires_at = sqlite3_column_int64(s, 4);
	store_text(out->principal, sizeof(out->principal), s, 5);
	store_text(out->name, sizeof(out->name), s, 6);
	store_text(out->username, sizeof(out->username), s, 7);
	store_text(out->secret_hash, sizeof(out->secret_hash), s, 8);
	store_text(out->cert_serial, sizeof(out->cert_serial), s, 9);
	store_text(out->cert_fingerprint, sizeof(out->cert_fingerprint), s, 10);
	out->created_at = sqlite3_column_int64(s, 11);
	out->last_seen = sqlite3_column_int64(s, 12);
	store_text(out->last_mac, sizeof(out->last_mac), s, 13);
	out->revoked_at = sqlite3_column_int64(s, 14);
	store_text(out->revoke_reason, sizeof(out->revoke_reason), s, 15);
	store_text(out->mac, sizeof(out->mac), s, 16);
	store_text(out->psk, sizeof(out->psk), s, 17);
	return 0;
}

/* Inside the registration transaction: may this account add a device? */
static int
registration_allowed(struct avec_store *st, const struct avec_device_rec *in,
		     int64_t now, int64_t *account_id, int64_t *expires_at,
		     struct avec_err *err)
{
	struct avec_policy pol;
	enum avec_role role;
	enum avec_account_status status;
	sqlite3_stmt *s;
	int64_t active;
	int rc;

	if ((s = store_stmt(st, SQL_ACCOUNT_FOR_REG, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, in->principal, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		store_done(s);
		avec_err_set(err, "no account %s", in->principal);
		return AVEC_STORE_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		store_done(s);
		return store_fail(st, err, "reading an account");
	}
	*account_id = sqlite3_column_int64(s, 0);
	rc = avec_role_parse((const char *)sqlite3_column_text(s, 1), &role) |
	    avec_account_status_parse((const char *)sqlite3_column_text(s, 2), &status);
	store_done(s);
	if (rc < 0)
		return avec_err_set(err, "store %s: account row is corrupt", st->path);
	if (status != AVEC_ACCOUNT_ACTIVE) {
		avec_err_set(err, "account %s is %s: no device can be added",
			     in->principal, avec_account_status_name(status));
		return AVEC_STORE_REFUSED;
	}
	/* the account's own policy: its role's, with its overrides */
	if (store_effective_policy(st, *account_id, role, in->principal, &pol,
				   err) < 0)
		return -1;
	if (!pol.defined) {
		avec_err_set(err, "role %s is not admitted on this network",
			     avec_role_name(role));
		return AVEC_STORE_REFUSED;
	}
	if (!(pol.allowed_creds & AVEC_CRED_BIT(in->d.cred_type))) {
		avec_err_set(err, "the policy of role %s does not allow %s "
			     "credentials", avec_role_name(role),
			     avec_cred_type_name(in->d.cred_type));
		return AVEC_STORE_REFUSED;
	}

	if ((s = store_stmt(st, SQL_ACTIVE_COUNT, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, *account_id);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	active = sqlite3_column_int64(s, 0);
	store_done(s);
	if (rc != SQLITE_ROW)
		return store_fail(st, err, "counting devices");
	if (active >= (int64_t)pol.max_devices) {
		avec_err_set(err, "account %s already has %" PRId64 " active "
			     "device%s (maximum %u for role %s)", in->principal,
			     active, active == 1 ? "" : "s", pol.max_devices,
			     avec_role_name(role));
		return AVEC_STORE_QUOTA;
	}
	if (in->d.cred_type == AVEC_CRED_PSK) {
		if ((s = store_stmt(st, SQL_MAC_TAKEN, err)) == NULL)
			return -1;
		sqlite3_bind_text(s, 1, in->mac, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now);
		rc = sqlite3_step(s);
		active = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
		store_done(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return store_fail(st, err, "reading MAC addresses");
		if (rc == SQLITE_ROW) {
			avec_err_set(err, "MAC address %s is already the "
				     "address of active device %" PRId64,
				     in->mac, active);
			return AVEC_STORE_REFUSED;
		}
	}
	*expires_at = in->d.expires_at;
	if (*expires_at == 0)
		*expires_at = avec_expiry_for(&pol, (time_t)now);
	return 0;
}

/* Is @in's credential whole, and only what its type holds? */
static bool
credential_complete(const struct avec_device_rec *in)
{
	switch (in->d.cred_type) {
	case AVEC_CRED_TLS:
		return in->cert_serial[0] != '\0';
	case AVEC_CRED_TTLS:
	case AVEC_CRED_PEAP:
		return in->secret_hash[0] != '\0';
	case AVEC_CRED_PSK:
		return in->psk[0] != '\0' && strlen(in->mac) == 17 &&
		    in->secret_hash[0] == '\0';
	case AVEC_CRED__COUNT:
		break;
	}
	return false;
}

int
avec_store_device_register(struct avec_store *st,
			   const struct avec_device_rec *in, int64_t now,
			   int64_t *id, struct avec_err *err)
{
	int64_t account_id = 0, expires_at = 0, dev_id;
	sqlite3_stmt *s;
	int rc;

	if ((unsigned)in->d.cred_type >= AVEC_CRED__COUNT)
		return avec_err_set(err, "unknown credential type");
	if (!credential_complete(in))
		return avec_err_set(err, "device %s has no credential", in->name);
	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	rc = registration_allowed(st, in, now, &account_id, &expires_at, err);
	if (rc != 0)
		goto fail;

	rc = -1;
	if ((s = store_stmt(st, SQL_DEVICE_INSERT, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_text(s, 2, in->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, avec_cred_type_name(in->d.cred_type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, expires_at);
	if (sqlite3_step(s) != SQLITE_DONE) {
		store_done(s);
		store_fail(st, err, "adding a device");
		goto fail;
	}
	store_done(s);
	dev_id = sqlite3_last_insert_rowid(st->db);

	if ((s = store_stmt(st, SQL_CRED_INSERT, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, dev_id);
	sqlite3_bind_text(s, 2, in->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, in->secret_hash, -1, SQLITE_STATIC);
	if (in->cert_serial[0])
		sqlite3_bind_text(s, 4, in->cert_serial, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_text(s, 5, in->cert_fingerprint, -1, SQLITE_STATIC);
	if (in->d.cred_type == AVEC_CRED_PSK)
		sqlite3_bind_text(s, 6, in->mac, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 6);
	sqlite3_bind_text(s, 7, in->psk, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		avec_err_set(err, "a device with this username or certificate "
			     "serial already exists");
		rc = AVEC_STORE_EXISTS;
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		rc = store_fail(st, err, "adding a credential");
		goto fail;
	}
	if ((rc = store_exec(st, "COMMIT", err)) < 0)
		goto fail;
	if (id != NULL)
		*id = dev_id;
	return 0;
fail:
	store_rollback(st);
	return rc;
}

int
avec_store_device_revoke(struct avec_store *st, int64_t id, const char *reason,
			 int64_t now, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_DEVICE_REVOKE, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, reason ? reason : "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = store_fail(st, err, "revoking a device");
	else if (sqlite3_changes(st->db) == 0) {
		avec_err_set(err, "no active device %" PRId64, id);
		rc = AVEC_STORE_NOTFOUND;
	} else {
		rc = 0;
	}
	store_done(s);
	return rc;
}

int
avec_store_device_get(struct avec_store *st, int64_t id,
		      struct avec_device_rec *out, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_DEVICE_GET, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		rc = read_device(s, out) == 0 ? 0 :
		    avec_err_set(err, "store %s: device row is corrupt", st->path);
	else if (rc == SQLITE_DONE)
		rc = AVEC_STORE_NOTFOUND;
	else
		rc = store_fail(st, err, "reading a device");
	store_done(s);
	return rc;
}

int
avec_store_device_list(struct avec_store *st, const char *principal,
		       avec_device_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s;
	struct avec_device_rec d;
	int rc;

	s = store_stmt(st, principal ? SQL_DEVICE_LIST_OWNER : SQL_DEVICE_LIST_ALL, err);
	if (s == NULL)
		return -1;
	if (principal != NULL)
		sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (read_device(s, &d) < 0) {
			rc = avec_err_set(err, "store %s: device row is corrupt", st->path);
			goto out;
		}
		if ((rc = cb(&d, ctx)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? 0 : store_fail(st, err, "listing devices");
out:
	store_done(s);
	return rc;
}

/* ---- queued writes ---- */

int
store_touch_rows(struct avec_store *st, const struct avec_touch *t, unsigned n,
		 struct avec_err *err)
{
	sqlite3_stmt *s, *m;
	unsigned i;

	if (n == 0)
		return 0;
	if ((s = store_stmt(st, SQL_TOUCH, err)) == NULL ||
	    (m = store_stmt(st, SQL_TOUCH_MAC, err)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, t[i].device_id);
		sqlite3_bind_int64(s, 2, t[i].seen_at);
		sqlite3_reset(m);
		sqlite3_bind_int64(m, 1, t[i].device_id);
		sqlite3_bind_text(m, 2, t[i].mac, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE ||
		    sqlite3_step(m) != SQLITE_DONE) {
			store_done(s);
			store_done(m);
			return store_fail(st, err, "recording last-seen times");
		}
	}
	store_done(s);
	store_done(m);
	return 0;
}

int
avec_store_touch(struct avec_store *st, const struct avec_touch *t, unsigned n,
		 struct avec_err *err)
{
	if (n == 0)
		return 0;
	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (store_touch_rows(st, t, n, err) < 0 ||
	    store_exec(st, "COMMIT", err) < 0) {
		store_rollback(st);
		return -1;
	}
	return 0;
}

