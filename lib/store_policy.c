/*
 * store_policy.c - role policies.
 *
 * A role without a row is not admitted.  Values are checked here before
 * they are written, with messages that say which bound was crossed, so that
 * every writer (avecctl, later avecd) refuses the same things.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"

static const char SQL_POLICY_GET[] =
	"SELECT vlan, max_devices, allowed_creds, session_timeout, "
	"device_lifetime FROM role_policies WHERE role = ?1";

static const char SQL_POLICY_PUT[] =
	"INSERT OR REPLACE INTO role_policies (role, vlan, max_devices, "
	"allowed_creds, session_timeout, device_lifetime) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

static const char SQL_POLICY_DEL[] =
	"DELETE FROM role_policies WHERE role = ?1";

int
store_read_policy(sqlite3_stmt *s, int col, struct avec_policy *p)
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
	sqlite3_stmt *s = store_stmt(st, SQL_POLICY_GET, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, avec_role_name(role), -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = store_read_policy(s, 0, out) == 0 ? 0 :
		    avec_err_set(err, "store %s: policy of role %s is corrupt",
				 st->path, avec_role_name(role));
	} else if (rc == SQLITE_DONE) {
		memset(out, 0, sizeof(*out));
		rc = 0;
	} else {
		rc = store_fail(st, err, "reading a policy");
	}
	store_done(s);
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
	s = store_stmt(st, p->defined ? SQL_POLICY_PUT : SQL_POLICY_DEL, err);
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
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, err, "saving a policy");
	store_done(s);
	return rc;
}

