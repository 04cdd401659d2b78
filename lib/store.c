/*
 * store.c - every SQL statement AVEC runs, and the schema's migrations.
 *
 * The store is one SQLite file in WAL mode: readers (the RADIUS module's
 * index) never wait for the writer, and the writer never waits for readers.
 * This file owns the connection settings, applies the numbered migrations
 * compiled in from lib/sql/ (refusing a file from a newer AVEC), and turns
 * records into bound parameters of prepared statements.  It never builds
 * SQL text from data, never logs, and leaves no transaction open when it
 * returns, whatever the path.
 *
 * Statements are prepared once per connection, on first use, from the table
 * below and reset after each use.  Every write that must be atomic (device
 * registration and its quota check above all) runs in BEGIN IMMEDIATE, so
 * that the check and the insert see the same database.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/store.h"
#include "store_sql.h"

#define BUSY_TIMEOUT_MS 5000

enum stmt_id {
	S_ACCOUNT_PUT,
	S_ACCOUNT_GET,
	S_ACCOUNT_STATUS,
	S_ACCOUNT_LIST,
	S_ACCOUNT_FOR_REG,
	S_ACTIVE_COUNT,
	S_DEVICE_INSERT,
	S_CRED_INSERT,
	S_DEVICE_REVOKE,
	S_DEVICE_GET,
	S_DEVICE_LIST_ALL,
	S_DEVICE_LIST_OWNER,
	S_POLICY_GET,
	S_POLICY_PUT,
	S_POLICY_DEL,
	S_TOUCH,
	S_SCAN_POLICIES,
	S_SCAN_ACCOUNTS,
	S_SCAN_DEVICES,
	S_GENERATION,
	S_DATA_VERSION,
	S__COUNT
};

#define DEVICE_COLS \
	"d.id, d.account_id, d.cred_type, d.status, d.expires_at, " \
	"a.principal, d.name, c.username, c.secret_hash, " \
	"coalesce(c.cert_serial, ''), c.cert_fingerprint, d.created_at, " \
	"d.last_seen, d.last_mac, d.revoked_at, d.revoke_reason " \
	"FROM devices d JOIN accounts a ON a.id = d.account_id " \
	"JOIN credentials c ON c.device_id = d.id "

#define ACCOUNT_COLS \
	"a.id, a.principal, a.role, a.status, a.display_name, a.created_at, " \
	"a.updated_at, a.ended_at, (SELECT count(*) FROM devices d " \
	"WHERE d.account_id = a.id AND d.status = 'active') FROM accounts a "

static const char *const stmt_sql[S__COUNT] = {
	[S_ACCOUNT_PUT] =
	    "INSERT INTO accounts (principal, role, status, display_name, "
	    "created_at, updated_at, ended_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, "
	    "CASE WHEN ?3 = 'active' THEN 0 ELSE ?5 END) "
	    "ON CONFLICT (principal) DO UPDATE SET role = excluded.role, "
	    "display_name = excluded.display_name, updated_at = excluded.updated_at, "
	    "ended_at = CASE WHEN excluded.status = 'active' THEN 0 "
	    "WHEN accounts.status = 'active' THEN excluded.updated_at "
	    "ELSE accounts.ended_at END, status = excluded.status "
	    "RETURNING id",
	[S_ACCOUNT_GET] = "SELECT " ACCOUNT_COLS "WHERE a.principal = ?1",
	[S_ACCOUNT_STATUS] =
	    "UPDATE accounts SET updated_at = ?2, "
	    "ended_at = CASE WHEN ?1 = 'active' THEN 0 "
	    "WHEN status = 'active' THEN ?2 ELSE ended_at END, status = ?1 "
	    "WHERE principal = ?3",
	[S_ACCOUNT_LIST] = "SELECT " ACCOUNT_COLS "ORDER BY a.principal",
	[S_ACCOUNT_FOR_REG] =
	    "SELECT id, role, status FROM accounts WHERE principal = ?1",
	[S_ACTIVE_COUNT] =
	    "SELECT count(*) FROM devices WHERE account_id = ?1 AND "
	    "status = 'active' AND (expires_at = 0 OR expires_at > ?2)",
	[S_DEVICE_INSERT] =
	    "INSERT INTO devices (account_id, name, cred_type, created_at, "
	    "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_CRED_INSERT] =
	    "INSERT INTO credentials (device_id, username, secret_hash, "
	    "cert_serial, cert_fingerprint) VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_DEVICE_REVOKE] =
	    "UPDATE devices SET status = 'revoked', revoked_at = ?2, "
	    "revoke_reason = ?3 WHERE id = ?1 AND status = 'active'",
	[S_DEVICE_GET] = "SELECT " DEVICE_COLS "WHERE d.id = ?1",
	[S_DEVICE_LIST_ALL] = "SELECT " DEVICE_COLS "ORDER BY d.created_at, d.id",
	[S_DEVICE_LIST_OWNER] =
	    "SELECT " DEVICE_COLS "WHERE a.principal = ?1 "
	    "ORDER BY d.created_at, d.id",
	[S_POLICY_GET] =
	    "SELECT vlan, max_devices, allowed_creds, session_timeout, "
	    "device_lifetime FROM role_policies WHERE role = ?1",
	[S_POLICY_PUT] =
	    "INSERT OR REPLACE INTO role_policies (role, vlan, max_devices, "
	    "allowed_creds, session_timeout, device_lifetime) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[S_POLICY_DEL] = "DELETE FROM role_policies WHERE role = ?1",
	[S_TOUCH] =
	    "UPDATE devices SET last_seen = max(last_seen, ?2), "
	    "last_mac = CASE WHEN ?3 = '' THEN last_mac ELSE ?3 END WHERE id = ?1",
	[S_SCAN_POLICIES] =
	    "SELECT role, vlan, max_devices, allowed_creds, session_timeout, "
	    "device_lifetime FROM role_policies",
	[S_SCAN_ACCOUNTS] = "SELECT id, principal, role, status FROM accounts "
	    "ORDER BY id",
	[S_SCAN_DEVICES] =
	    "SELECT d.id, d.account_id, d.cred_type, d.status, d.expires_at, "
	    "c.username, c.secret_hash, coalesce(c.cert_serial, '') "
	    "FROM devices d JOIN credentials c ON c.device_id = d.id "
	    "ORDER BY d.account_id, d.created_at, d.id",
	[S_GENERATION] = "SELECT value FROM store_meta WHERE key = 'generation'",
	[S_DATA_VERSION] = "PRAGMA data_version",
};

struct avec_store {
	sqlite3 *db;
	char *path;
	int readonly;
	int64_t data_version;	/* last seen by avec_store_changed() */
	sqlite3_stmt *stmt[S__COUNT];
};

static int
db_fail(struct avec_store *st, struct avec_err *err, const char *what)
{
	return avec_err_set(err, "store %s: %s: %s", st->path, what,
			    sqlite3_errmsg(st->db));
}

/* The prepared statement @id, reset and unbound.  NULL on error. */
static sqlite3_stmt *
stmt(struct avec_store *st, enum stmt_id id, struct avec_err *err)
{
	sqlite3_stmt *s = st->stmt[id];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1,
				       SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) {
			db_fail(st, err, "preparing a statement");
			return NULL;
		}
		st->stmt[id] = s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void
done(sqlite3_stmt *s)
{
	if (s != NULL)
		sqlite3_reset(s);
}

static int
exec(struct avec_store *st, const char *sql, struct avec_err *err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(st, err, sql);
	return 0;
}

static void
rollback(struct avec_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static void
copy_text(char *dst, size_t dstlen, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, dstlen, "%s", t ? (const char *)t : "");
}

static int
user_version(struct avec_store *st, int *v, struct avec_err *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return db_fail(st, err, "reading the schema version");
	rc = sqlite3_step(s);
	*v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, err, "reading the schema version");
	return 0;
}

int
avec_store_schema_latest(void)
{
	return avec_migrations_count;
}

int
avec_store_schema_version(struct avec_store *st)
{
	int v;

	return user_version(st, &v, NULL) < 0 ? -1 : v;
}

static int
newer_schema(struct avec_store *st, int v, struct avec_err *err)
{
	return avec_err_set(err, "store %s has schema version %d, newer than this "
			    "AVEC build understands (%d): upgrade AVEC; the store "
			    "was left untouched", st->path, v, avec_migrations_count);
}

/* Bring the schema up to date, one transaction for all missing steps. */
static int
migrate(struct avec_store *st, struct avec_err *err)
{
	char setv[64];
	int v, i;

	if (exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (user_version(st, &v, err) < 0)
		goto fail;
	if (v > avec_migrations_count) {
		newer_schema(st, v, err);
		goto fail;
	}
	for (i = v; i < avec_migrations_count; i++) {
		const struct avec_migration *m = &avec_migrations[i];

		if (sqlite3_exec(st->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
			avec_err_set(err, "store %s: migration %s failed: %s",
				     st->path, m->name, sqlite3_errmsg(st->db));
			goto fail;
		}
		snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", m->version);
		if (exec(st, setv, err) < 0)
			goto fail;
	}
	if (exec(st, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

struct avec_store *
avec_store_open(const char *path, int flags, struct avec_err *err)
{
	struct avec_store *st;
	int oflags, v;

	st = calloc(1, sizeof(*st));
	if (st == NULL || (st->path = strdup(path)) == NULL) {
		free(st);
		avec_err_set(err, "store %s: out of memory", path);
		return NULL;
	}
	st->readonly = !!(flags & AVEC_STORE_READONLY);
	st->data_version = -1;
	oflags = SQLITE_OPEN_NOMUTEX;
	if (st->readonly)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE |
		    ((flags & AVEC_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &st->db, oflags, NULL) != SQLITE_OK) {
		avec_err_set(err, "store %s: cannot open: %s", path,
			     st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (exec(st, "PRAGMA foreign_keys = ON", err) < 0)
		goto fail;
	if (st->readonly) {
		if (user_version(st, &v, err) < 0)
			goto fail;
		if (v > avec_migrations_count) {
			newer_schema(st, v, err);
			goto fail;
		}
		if (v < avec_migrations_count) {
			avec_err_set(err, "store %s has schema version %d, this AVEC "
				     "needs %d: run 'avecctl init' to upgrade it",
				     path, v, avec_migrations_count);
			goto fail;
		}
		return st;
	}
	/* WAL: readers never block the writer; FULL: a commit survives power loss. */
	if (exec(st, "PRAGMA journal_mode = WAL", err) < 0 ||
	    exec(st, "PRAGMA synchronous = FULL", err) < 0 ||
	    migrate(st, err) < 0)
		goto fail;
	return st;
fail:
	avec_store_close(st);
	return NULL;
}

void
avec_store_close(struct avec_store *st)
{
	int i;

	if (st == NULL)
		return;
	for (i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* ---- accounts ---- */

static int
read_account(sqlite3_stmt *s, struct avec_account_rec *out)
{
	memset(out, 0, sizeof(*out));
	out->a.id = sqlite3_column_int64(s, 0);
	copy_text(out->a.principal, sizeof(out->a.principal), s, 1);
	if (avec_role_parse((const char *)sqlite3_column_text(s, 2), &out->a.role) < 0 ||
	    avec_account_status_parse((const char *)sqlite3_column_text(s, 3),
				      &out->a.status) < 0)
		return -1;
	copy_text(out->display_name, sizeof(out->display_name), s, 4);
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
	sqlite3_stmt *s = stmt(st, S_ACCOUNT_PUT, err);
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
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_fail(st, err, "saving an account");
	} else {
		db_fail(st, err, "saving an account");
	}
	done(s);
	return rc;
}

int
avec_store_account_get(struct avec_store *st, const char *principal,
		       struct avec_account_rec *out, struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_ACCOUNT_GET, err);
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
		rc = db_fail(st, err, "reading an account");
	done(s);
	return rc;
}

int
avec_store_account_set_status(struct avec_store *st, const char *principal,
			      enum avec_account_status status, int64_t now,
			      struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_ACCOUNT_STATUS, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, avec_account_status_name(status), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, principal, -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(st, err, "changing an account's status");
	else
		rc = sqlite3_changes(st->db) ? 0 : AVEC_STORE_NOTFOUND;
	done(s);
	return rc;
}

int
avec_store_account_list(struct avec_store *st, avec_account_cb cb, void *ctx,
			struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_ACCOUNT_LIST, err);
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
	rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "listing accounts");
out:
	done(s);
	return rc;
}

/* ---- policies ---- */

static int
read_policy(sqlite3_stmt *s, int col, struct avec_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->defined = true;
	p->vlan = (uint16_t)sqlite3_column_int(s, col);
	p->max_devices = (uint32_t)sqlite3_column_int64(s, col + 1);
	if (avec_cred_mask_parse((const char *)sqlite3_column_text(s, col + 2),
				 &p->allowed_creds) < 0)
		return -1;
	p->session_timeout = (uint32_t)sqlite3_column_int64(s, col + 3);
	p->device_lifetime = (uint32_t)sqlite3_column_int64(s, col + 4);
	return 0;
}

int
avec_store_policy_get(struct avec_store *st, enum avec_role role,
		      struct avec_policy *out, struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_POLICY_GET, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, avec_role_name(role), -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = read_policy(s, 0, out) == 0 ? 0 :
		    avec_err_set(err, "store %s: policy of role %s is corrupt",
				 st->path, avec_role_name(role));
	} else if (rc == SQLITE_DONE) {
		memset(out, 0, sizeof(*out));
		rc = 0;
	} else {
		rc = db_fail(st, err, "reading a policy");
	}
	done(s);
	return rc;
}

int
avec_store_policy_set(struct avec_store *st, enum avec_role role,
		      const struct avec_policy *p, struct avec_err *err)
{
	char creds[32];
	sqlite3_stmt *s;
	int rc;

	if (p->defined && (p->vlan < 1 || p->vlan > 4094))
		return avec_err_set(err, "VLAN %u is out of range (1-4094)", p->vlan);
	if (p->defined && (p->allowed_creds == 0 || (p->allowed_creds & ~AVEC_CRED_ALL)))
		return avec_err_set(err, "a policy must allow at least one credential type");
	if (p->defined && p->max_devices > 1000)
		return avec_err_set(err, "max devices %u is out of range (0-1000)",
				    p->max_devices);
	s = stmt(st, p->defined ? S_POLICY_PUT : S_POLICY_DEL, err);
	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, avec_role_name(role), -1, SQLITE_STATIC);
	if (p->defined) {
		sqlite3_bind_int(s, 2, p->vlan);
		sqlite3_bind_int64(s, 3, p->max_devices);
		sqlite3_bind_text(s, 4, avec_cred_mask_format(p->allowed_creds, creds,
							      sizeof(creds)), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, p->session_timeout);
		sqlite3_bind_int64(s, 6, p->device_lifetime);
	}
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : db_fail(st, err, "saving a policy");
	done(s);
	return rc;
}

/* ---- devices ---- */

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
	copy_text(out->principal, sizeof(out->principal), s, 5);
	copy_text(out->name, sizeof(out->name), s, 6);
	copy_text(out->username, sizeof(out->username), s, 7);
	copy_text(out->secret_hash, sizeof(out->secret_hash), s, 8);
	copy_text(out->cert_serial, sizeof(out->cert_serial), s, 9);
	copy_text(out->cert_fingerprint, sizeof(out->cert_fingerprint), s, 10);
	out->created_at = sqlite3_column_int64(s, 11);
	out->last_seen = sqlite3_column_int64(s, 12);
	copy_text(out->last_mac, sizeof(out->last_mac), s, 13);
	out->revoked_at = sqlite3_column_int64(s, 14);
	copy_text(out->revoke_reason, sizeof(out->revoke_reason), s, 15);
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

	if ((s = stmt(st, S_ACCOUNT_FOR_REG, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, in->principal, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		done(s);
		avec_err_set(err, "no account %s", in->principal);
		return AVEC_STORE_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		done(s);
		return db_fail(st, err, "reading an account");
	}
	*account_id = sqlite3_column_int64(s, 0);
	rc = avec_role_parse((const char *)sqlite3_column_text(s, 1), &role) |
	    avec_account_status_parse((const char *)sqlite3_column_text(s, 2), &status);
	done(s);
	if (rc < 0)
		return avec_err_set(err, "store %s: account row is corrupt", st->path);
	if (status != AVEC_ACCOUNT_ACTIVE) {
		avec_err_set(err, "account %s is %s: no device can be added",
			     in->principal, avec_account_status_name(status));
		return AVEC_STORE_REFUSED;
	}
	if (avec_store_policy_get(st, role, &pol, err) < 0)
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

	if ((s = stmt(st, S_ACTIVE_COUNT, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, *account_id);
	sqlite3_bind_int64(s, 2, now);
	rc = sqlite3_step(s);
	active = sqlite3_column_int64(s, 0);
	done(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, err, "counting devices");
	if (active >= (int64_t)pol.max_devices) {
		avec_err_set(err, "account %s already has %" PRId64 " active "
			     "device%s (maximum %u for role %s)", in->principal,
			     active, active == 1 ? "" : "s", pol.max_devices,
			     avec_role_name(role));
		return AVEC_STORE_QUOTA;
	}
	*expires_at = in->d.expires_at;
	if (*expires_at == 0 && pol.device_lifetime > 0)
		*expires_at = now + pol.device_lifetime;
	return 0;
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
	if (in->d.cred_type == AVEC_CRED_TLS ? in->cert_serial[0] == '\0' :
	    in->secret_hash[0] == '\0')
		return avec_err_set(err, "device %s has no credential", in->name);
	if (exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	rc = registration_allowed(st, in, now, &account_id, &expires_at, err);
	if (rc != 0)
		goto fail;

	rc = -1;
	if ((s = stmt(st, S_DEVICE_INSERT, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_text(s, 2, in->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, avec_cred_type_name(in->d.cred_type), -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now);
	sqlite3_bind_int64(s, 5, expires_at);
	if (sqlite3_step(s) != SQLITE_DONE) {
		done(s);
		db_fail(st, err, "adding a device");
		goto fail;
	}
	done(s);
	dev_id = sqlite3_last_insert_rowid(st->db);

	if ((s = stmt(st, S_CRED_INSERT, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(s, 1, dev_id);
	sqlite3_bind_text(s, 2, in->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, in->secret_hash, -1, SQLITE_STATIC);
	if (in->cert_serial[0])
		sqlite3_bind_text(s, 4, in->cert_serial, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 4);
	sqlite3_bind_text(s, 5, in->cert_fingerprint, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		avec_err_set(err, "a device with this username or certificate "
			     "serial already exists");
		rc = AVEC_STORE_EXISTS;
		goto fail;
	}
	if (rc != SQLITE_DONE) {
		rc = db_fail(st, err, "adding a credential");
		goto fail;
	}
	if ((rc = exec(st, "COMMIT", err)) < 0)
		goto fail;
	if (id != NULL)
		*id = dev_id;
	return 0;
fail:
	rollback(st);
	return rc;
}

int
avec_store_device_revoke(struct avec_store *st, int64_t id, const char *reason,
			 int64_t now, struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_DEVICE_REVOKE, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	sqlite3_bind_text(s, 3, reason ? reason : "", -1, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = db_fail(st, err, "revoking a device");
	else if (sqlite3_changes(st->db) == 0) {
		avec_err_set(err, "no active device %" PRId64, id);
		rc = AVEC_STORE_NOTFOUND;
	} else {
		rc = 0;
	}
	done(s);
	return rc;
}

int
avec_store_device_get(struct avec_store *st, int64_t id,
		      struct avec_device_rec *out, struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_DEVICE_GET, err);
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
		rc = db_fail(st, err, "reading a device");
	done(s);
	return rc;
}

int
avec_store_device_list(struct avec_store *st, const char *principal,
		       avec_device_cb cb, void *ctx, struct avec_err *err)
{
	sqlite3_stmt *s;
	struct avec_device_rec d;
	int rc;

	s = stmt(st, principal ? S_DEVICE_LIST_OWNER : S_DEVICE_LIST_ALL, err);
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
	rc = rc == SQLITE_DONE ? 0 : db_fail(st, err, "listing devices");
out:
	done(s);
	return rc;
}

/* ---- queued writes ---- */

int
avec_store_touch(struct avec_store *st, const struct avec_touch *t, unsigned n,
		 struct avec_err *err)
{
	sqlite3_stmt *s;
	unsigned i;

	if (n == 0)
		return 0;
	if (exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if ((s = stmt(st, S_TOUCH, err)) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, t[i].device_id);
		sqlite3_bind_int64(s, 2, t[i].seen_at);
		sqlite3_bind_text(s, 3, t[i].mac, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE) {
			done(s);
			db_fail(st, err, "recording last-seen times");
			goto fail;
		}
	}
	done(s);
	if (exec(st, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	rollback(st);
	return -1;
}

/* ---- bulk reads for the index ---- */

static int
generation_locked(struct avec_store *st, uint64_t *gen, struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_GENERATION, err);
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*gen = (uint64_t)sqlite3_column_int64(s, 0);
	done(s);
	return rc == SQLITE_ROW ? 0 : db_fail(st, err, "reading the generation");
}

int
avec_store_generation(struct avec_store *st, uint64_t *gen, struct avec_err *err)
{
	return generation_locked(st, gen, err);
}

int
avec_store_changed(struct avec_store *st, struct avec_err *err)
{
	sqlite3_stmt *s = stmt(st, S_DATA_VERSION, err);
	int64_t v;
	int rc;

	if (s == NULL)
		return -1;
	rc = sqlite3_step(s);
	v = sqlite3_column_int64(s, 0);
	done(s);
	if (rc != SQLITE_ROW)
		return db_fail(st, err, "reading data_version");
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

	if ((s = stmt(st, S_SCAN_POLICIES, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (avec_role_parse((const char *)sqlite3_column_text(s, 0), &role) < 0 ||
		    read_policy(s, 1, &p) < 0) {
			done(s);
			return avec_err_set(err, "store %s: a policy row is corrupt", st->path);
		}
		if ((rc = cb->policy(role, &p, ctx)) != 0) {
			done(s);
			return rc;
		}
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "reading policies");

	if ((s = stmt(st, S_SCAN_ACCOUNTS, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&a, 0, sizeof(a));
		a.id = sqlite3_column_int64(s, 0);
		copy_text(a.principal, sizeof(a.principal), s, 1);
		if (avec_role_parse((const char *)sqlite3_column_text(s, 2), &a.role) < 0 ||
		    avec_account_status_parse((const char *)sqlite3_column_text(s, 3),
					      &a.status) < 0) {
			done(s);
			return avec_err_set(err, "store %s: account %" PRId64
					    " is corrupt", st->path, a.id);
		}
		if ((rc = cb->account(&a, ctx)) != 0) {
			done(s);
			return rc;
		}
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "reading accounts");

	if ((s = stmt(st, S_SCAN_DEVICES, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&sd, 0, sizeof(sd));
		sd.d.id = sqlite3_column_int64(s, 0);
		sd.d.account_id = sqlite3_column_int64(s, 1);
		if (avec_cred_type_parse((const char *)sqlite3_column_text(s, 2),
					 &sd.d.cred_type) < 0 ||
		    avec_device_status_parse((const char *)sqlite3_column_text(s, 3),
					     &sd.d.status) < 0) {
			done(s);
			return avec_err_set(err, "store %s: device %" PRId64
					    " is corrupt", st->path, sd.d.id);
		}
		sd.d.expires_at = sqlite3_column_int64(s, 4);
		sd.username = (const char *)sqlite3_column_text(s, 5);
		sd.secret_hash = (const char *)sqlite3_column_text(s, 6);
		sd.cert_serial = (const char *)sqlite3_column_text(s, 7);
		if (sd.username == NULL || sd.secret_hash == NULL || sd.cert_serial == NULL) {
			done(s);
			return avec_err_set(err, "store %s: out of memory", st->path);
		}
		if ((rc = cb->device(&sd, ctx)) != 0) {
			done(s);
			return rc;
		}
	}
	done(s);
	if (rc != SQLITE_DONE)
		return db_fail(st, err, "reading devices");
	return 0;
}

int
avec_store_scan(struct avec_store *st, const struct avec_scan_cb *cb, void *ctx,
		uint64_t *generation, struct avec_err *err)
{
	int rc;

	/* One read transaction: the generation and the rows agree. */
	if (exec(st, "BEGIN", err) < 0)
		return -1;
	rc = generation_locked(st, generation, err);
	if (rc == 0)
		rc = scan_rows(st, cb, ctx, err);
	if (exec(st, "COMMIT", rc == 0 ? err : NULL) < 0 && rc == 0)
		rc = -1;
	rollback(st);
	return rc;
}
