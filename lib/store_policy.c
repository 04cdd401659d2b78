/*
 * store_policy.c - the device policy: role policies, holidays, overrides
 * per school, class group and account, and accounts' memberships.
 *
 * A role without a row is not admitted.  Values are checked here before
 * they are written, with messages that say which bound was crossed and
 * where, so that every writer (avecctl, later avecd) refuses the same
 * things.  The whole policy is replaced in one transaction: a reader sees
 * the old policy or the new one, never a mix.  How overrides combine is
 * not decided here but in avec_policy_resolve(), which the RADIUS index
 * uses too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/ident.h"
#include "avec/policy.h"
#include "store_int.h"

#define POLICY_COLS \
	"vlan, max_devices, allowed_creds, session_timeout, device_lifetime, " \
	"windows, lifetime_until"
#define OVERRIDE_COLS \
	"scope, target, role, admitted, vlan, max_devices, allowed_creds, " \
	"session_timeout, device_lifetime, lifetime_until, windows"

static const char SQL_POLICY_GET[] =
	"SELECT " POLICY_COLS " FROM role_policies WHERE role = ?1";

static const char SQL_POLICY_PUT[] =
	"INSERT OR REPLACE INTO role_policies (role, " POLICY_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

static const char SQL_POLICY_DEL[] =
	"DELETE FROM role_policies WHERE role = ?1";

static const char SQL_POLICY_ALL[] =
	"SELECT role, " POLICY_COLS " FROM role_policies";

static const char SQL_HOLIDAYS[] =
	"SELECT first_day, last_day, name FROM holidays ORDER BY first_day";

static const char SQL_HOLIDAY_PUT[] =
	"INSERT INTO holidays (first_day, last_day, name) VALUES (?1, ?2, ?3)";

static const char SQL_OVERRIDES[] =
	"SELECT " OVERRIDE_COLS " FROM policy_overrides ORDER BY id";

static const char SQL_OVERRIDE_PUT[] =
	"INSERT INTO policy_overrides (" OVERRIDE_COLS ") "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

/* The overrides that apply to one account (role, schools, groups, itself). */
static const char SQL_OVERRIDES_FOR[] =
	"SELECT " OVERRIDE_COLS " FROM policy_overrides o "
	"WHERE (o.role = '' OR o.role = ?2) AND ("
	"(o.scope = 'school' AND o.target IN "
	"(SELECT uai FROM account_schools WHERE account_id = ?1)) OR "
	"(o.scope = 'group' AND o.target IN "
	"(SELECT grp FROM account_groups WHERE account_id = ?1)) OR "
	"(o.scope = 'account' AND o.target = ?3))";

static const char SQL_ACCOUNT_ROLE[] =
	"SELECT id, role FROM accounts WHERE principal = ?1";

static const char SQL_SCHOOLS_DEL[] =
	"DELETE FROM account_schools WHERE account_id = ?1";
static const char SQL_SCHOOL_PUT[] =
	"INSERT OR IGNORE INTO account_schools (account_id, uai) VALUES (?1, ?2)";
static const char SQL_GROUPS_DEL[] =
	"DELETE FROM account_groups WHERE account_id = ?1";
static const char SQL_GROUP_PUT[] =
	"INSERT OR IGNORE INTO account_groups (account_id, grp) VALUES (?1, ?2)";

static int
read_windows(const unsigned char *text, struct avec_window *w, uint8_t *n)
{
	char msg[128];

	return avec_windows_parse(text ? (const char *)text : "", w, n, msg,
				  sizeof(msg));
}

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
	if (read_windows(sqlite3_column_text(s, col + 5), p->windows, &p->nwindows) < 0)
		return -1;
	p->lifetime_until = (uint16_t)sqlite3_column_int(s, col + 6);
	return 0;
}

int
store_read_override(sqlite3_stmt *s, struct avec_override *o)
{
	enum avec_role role;
	const char *r;

	memset(o, 0, sizeof(*o));
	if (avec_scope_parse((const char *)sqlite3_column_text(s, 0), &o->scope) < 0)
		return -1;
	store_text(o->target, sizeof(o->target), s, 1);
	r = (const char *)sqlite3_column_text(s, 2);
	o->role = -1;
	if (r != NULL && *r) {
		if (avec_role_parse(r, &role) < 0)
			return -1;
		o->role = (int)role;
	}
#define SET(bit, col) (sqlite3_column_type(s, col) != SQLITE_NULL && (o->set |= (bit)))
	if (SET(AVEC_OV_ADMITTED, 3))
		o->v.defined = sqlite3_column_int(s, 3) != 0;
	if (SET(AVEC_OV_VLAN, 4))
		o->v.vlan = (uint16_t)sqlite3_column_int(s, 4);
	if (SET(AVEC_OV_MAX_DEVICES, 5))
		o->v.max_devices = (uint32_t)sqlite3_column_int64(s, 5);
	if (SET(AVEC_OV_CREDS, 6) &&
	    avec_cred_mask_parse((const char *)sqlite3_column_text(s, 6),
				 &o->v.allowed_creds) < 0)
		return -1;
	if (SET(AVEC_OV_SESSION_TIMEOUT, 7))
		o->v.session_timeout = (uint32_t)sqlite3_column_int64(s, 7);
	if (SET(AVEC_OV_LIFETIME, 8))
		o->v.device_lifetime = (uint32_t)sqlite3_column_int64(s, 8);
	if (SET(AVEC_OV_LIFETIME_UNTIL, 9))
		o->v.lifetime_until = (uint16_t)sqlite3_column_int(s, 9);
	if (SET(AVEC_OV_WINDOWS, 10) &&
	    read_windows(sqlite3_column_text(s, 10), o->v.windows, &o->v.nwindows) < 0)
		return -1;
#undef SET
	return 0;
}

/* MMDD of a real day of the year (29 February allowed); 0 is "none". */
static bool
mmdd_valid(unsigned v)
{
	static const unsigned days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned m = v / 100, d = v % 100;

	return v == 0 || (m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1]);
}

/* Check the fields of @p selected by @set; @what names it in messages. */
static int
check_fields(const struct avec_policy *p, uint32_t set, const char *what,
	     struct avec_err *err)
{
	if ((set & AVEC_OV_VLAN) && (p->vlan < 1 || p->vlan > 4094))
		return avec_err_set(err, "%s: VLAN %u is out of range (1-4094)",
				    what, p->vlan);
	if ((set & AVEC_OV_CREDS) &&
	    (p->allowed_creds == 0 || (p->allowed_creds & ~AVEC_CRED_ALL)))
		return avec_err_set(err, "%s: a policy must allow at least one "
				    "credential type", what);
	if ((set & AVEC_OV_MAX_DEVICES) && p->max_devices > 1000)
		return avec_err_set(err, "%s: max devices %u is out of range "
				    "(0-1000)", what, p->max_devices);
	if ((set & AVEC_OV_LIFETIME_UNTIL) && !mmdd_valid(p->lifetime_until))
		return avec_err_set(err, "%s: %04u is not a day of the year (MMDD)",
				    what, p->lifetime_until);
	if ((set & AVEC_OV_WINDOWS) && p->nwindows > AVEC_WINDOWS_MAX)
		return avec_err_set(err, "%s: more than %d windows", what,
				    AVEC_WINDOWS_MAX);
	return 0;
}

#define ROLE_FIELDS (AVEC_OV_VLAN | AVEC_OV_MAX_DEVICES | AVEC_OV_CREDS | \
	AVEC_OV_SESSION_TIMEOUT | AVEC_OV_LIFETIME | AVEC_OV_LIFETIME_UNTIL | \
	AVEC_OV_WINDOWS)

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

/* Write one role's policy (or remove it); no transaction of its own. */
static int
put_role(struct avec_store *st, enum avec_role role, const struct avec_policy *p,
	 struct avec_err *err)
{
	char creds[32], windows[512], what[32];
	sqlite3_stmt *s;
	int rc;

	snprintf(what, sizeof(what), "role %s", avec_role_name(role));
	if (p->defined && check_fields(p, ROLE_FIELDS, what, err) < 0)
		return -1;
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
		sqlite3_bind_text(s, 7, avec_windows_format(p->windows, p->nwindows,
							    windows, sizeof(windows)),
				  -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 8, p->lifetime_until);
	}
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : store_fail(st, err, "saving a policy");
	store_done(s);
	return rc;
}

int
avec_store_policy_set(struct avec_store *st, enum avec_role role,
		      const struct avec_policy *p, struct avec_err *err)
{
	return put_role(st, role, p, err);
}

static int
put_override(struct avec_store *st, const struct avec_override *o, unsigned i,
	     struct avec_err *err)
{
	char creds[32], windows[512], what[AVEC_OV_TARGET_MAX + 48];
	sqlite3_stmt *s;
	bool ok;
	int rc;

	snprintf(what, sizeof(what), "override %u (%s %s)", i + 1,
		 avec_scope_name(o->scope), o->target);
	switch (o->scope) {
	case AVEC_SCOPE_SCHOOL:
	case AVEC_SCOPE_GROUP:
		ok = avec_text_valid(o->target, AVEC_OV_TARGET_MAX);
		break;
	case AVEC_SCOPE_ACCOUNT:
		ok = avec_principal_valid(o->target);
		break;
	case AVEC_SCOPE__COUNT:
	default:
		ok = false;
		break;
	}
	if (!ok)
		return avec_err_set(err, "%s: not a valid %s", what,
				    avec_scope_name(o->scope));
	if (o->role >= AVEC_ROLE__COUNT || o->role < -1)
		return avec_err_set(err, "%s: unknown role", what);
	if (check_fields(&o->v, o->set, what, err) < 0)
		return -1;
	if ((s = store_stmt(st, SQL_OVERRIDE_PUT, err)) == NULL)
		return -1;
	sqlite3_bind_text(s, 1, avec_scope_name(o->scope), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, o->target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, o->role < 0 ? "" :
			  avec_role_name((enum avec_role)o->role), -1, SQLITE_STATIC);
	if (o->set & AVEC_OV_ADMITTED)
		sqlite3_bind_int(s, 4, o->v.defined);
	if (o->set & AVEC_OV_VLAN)
		sqlite3_bind_int(s, 5, o->v.vlan);
	if (o->set & AVEC_OV_MAX_DEVICES)
		sqlite3_bind_int64(s, 6, o->v.max_devices);
	if (o->set & AVEC_OV_CREDS)
		sqlite3_bind_text(s, 7, avec_cred_mask_format(o->v.allowed_creds, creds,
							      sizeof(creds)), -1, SQLITE_STATIC);
	if (o->set & AVEC_OV_SESSION_TIMEOUT)
		sqlite3_bind_int64(s, 8, o->v.session_timeout);
	if (o->set & AVEC_OV_LIFETIME)
		sqlite3_bind_int64(s, 9, o->v.device_lifetime);
	if (o->set & AVEC_OV_LIFETIME_UNTIL)
		sqlite3_bind_int(s, 10, o->v.lifetime_until);
	if (o->set & AVEC_OV_WINDOWS)
		sqlite3_bind_text(s, 11, avec_windows_format(o->v.windows, o->v.nwindows,
							     windows, sizeof(windows)),
				  -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return avec_err_set(err, "%s: a second override for the same %s "
				    "and role", what, avec_scope_name(o->scope));
	return rc == SQLITE_DONE ? 0 : store_fail(st, err, what);
}

int
avec_store_policy_replace(struct avec_store *st, const struct avec_policy_doc *doc,
			  struct avec_err *err)
{
	sqlite3_stmt *s;
	unsigned i;
	int r;

	if (doc->nholidays > AVEC_HOLIDAYS_MAX)
		return avec_err_set(err, "more than %d holidays", AVEC_HOLIDAYS_MAX);
	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (store_exec(st, "DELETE FROM role_policies; DELETE FROM holidays; "
		       "DELETE FROM policy_overrides", err) < 0)
		goto fail;
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (doc->roles[r].defined &&
		    put_role(st, (enum avec_role)r, &doc->roles[r], err) < 0)
			goto fail;
	for (i = 0; i < doc->nholidays; i++) {
		const struct avec_dayrange *h = &doc->holidays[i];

		if (h->first > h->last || h->first < 19700101 || h->last > 99991231) {
			avec_err_set(err, "holiday %u: %d..%d is not a date range",
				     i + 1, h->first, h->last);
			goto fail;
		}
		if ((s = store_stmt(st, SQL_HOLIDAY_PUT, err)) == NULL)
			goto fail;
		sqlite3_bind_int(s, 1, h->first);
		sqlite3_bind_int(s, 2, h->last);
		sqlite3_bind_text(s, 3, doc->holiday_names[i], -1, SQLITE_STATIC);
		r = sqlite3_step(s);
		store_done(s);
		if (r != SQLITE_DONE) {
			store_fail(st, err, "saving a holiday");
			goto fail;
		}
	}
	for (i = 0; i < doc->noverrides; i++)
		if (put_override(st, &doc->overrides[i], i, err) < 0)
			goto fail;
	if (store_exec(st, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	store_rollback(st);
	return -1;
}

void
avec_policy_doc_clear(struct avec_policy_doc *doc)
{
	free(doc->overrides);
	memset(doc, 0, sizeof(*doc));
}

static int
read_holidays(struct avec_store *st, struct avec_policy_doc *doc,
	      struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_HOLIDAYS, err);
	int rc;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && doc->nholidays < AVEC_HOLIDAYS_MAX) {
		doc->holidays[doc->nholidays].first = sqlite3_column_int(s, 0);
		doc->holidays[doc->nholidays].last = sqlite3_column_int(s, 1);
		store_text(doc->holiday_names[doc->nholidays],
			   sizeof(doc->holiday_names[0]), s, 2);
		doc->nholidays++;
	}
	store_done(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	    store_fail(st, err, "reading holidays");
}

static void
add_holidays(struct avec_policy *p, const struct avec_policy_doc *doc)
{
	p->nholidays = doc->nholidays;
	memcpy(p->holidays, doc->holidays, sizeof(p->holidays));
}

int
avec_store_policy_doc(struct avec_store *st, struct avec_policy_doc *doc,
		      struct avec_err *err)
{
	struct avec_override *more;
	enum avec_role role;
	sqlite3_stmt *s;
	unsigned cap = 0;
	int rc, r;

	memset(doc, 0, sizeof(*doc));
	if (read_holidays(st, doc, err) < 0)
		return -1;
	if ((s = store_stmt(st, SQL_POLICY_ALL, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (avec_role_parse((const char *)sqlite3_column_text(s, 0), &role) < 0 ||
		    store_read_policy(s, 1, &doc->roles[role]) < 0) {
			store_done(s);
			return avec_err_set(err, "store %s: a role policy is corrupt",
					    st->path);
		}
	}
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "reading policies");
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		add_holidays(&doc->roles[r], doc);

	if ((s = store_stmt(st, SQL_OVERRIDES, err)) == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (doc->noverrides == cap) {
			cap = cap ? cap * 2 : 16;
			more = realloc(doc->overrides, cap * sizeof(*more));
			if (more == NULL) {
				rc = avec_err_set(err, "store: out of memory");
				goto fail;
			}
			doc->overrides = more;
		}
		if (store_read_override(s, &doc->overrides[doc->noverrides]) < 0) {
			rc = avec_err_set(err, "store %s: an override is corrupt", st->path);
			goto fail;
		}
		doc->noverrides++;
	}
	store_done(s);
	if (rc == SQLITE_DONE)
		return 0;
	rc = store_fail(st, err, "reading overrides");
fail:
	store_done(s);
	avec_policy_doc_clear(doc);
	return rc;
}

int
store_effective_policy(struct avec_store *st, int64_t account_id,
		       enum avec_role role, const char *principal,
		       struct avec_policy *out, struct avec_err *err)
{
	struct avec_override ovs[32];
	const struct avec_override *ptr[32];
	struct avec_policy_doc hol;
	struct avec_policy base;
	sqlite3_stmt *s;
	unsigned n = 0;
	int rc;

	memset(&hol, 0, sizeof(hol));
	if (avec_store_policy_get(st, role, &base, err) < 0 ||
	    read_holidays(st, &hol, err) < 0)
		return -1;
	add_holidays(&base, &hol);
	if ((s = store_stmt(st, SQL_OVERRIDES_FOR, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_text(s, 2, avec_role_name(role), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, principal, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < 32) {
		if (store_read_override(s, &ovs[n]) < 0) {
			store_done(s);
			return avec_err_set(err, "store %s: an override is corrupt", st->path);
		}
		ptr[n] = &ovs[n];
		n++;
	}
	store_done(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, err, "reading overrides");
	avec_policy_resolve(&base, ptr, n, out);
	return 0;
}

/* The id and role of @principal's account: 0, AVEC_STORE_NOTFOUND or -1. */
static int
account_role(struct avec_store *st, const char *principal, int64_t *id,
	     enum avec_role *role, struct avec_err *err)
{
	sqlite3_stmt *s = store_stmt(st, SQL_ACCOUNT_ROLE, err);
	int rc;

	if (s == NULL)
		return -1;
	sqlite3_bind_text(s, 1, principal, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		rc = avec_role_parse((const char *)sqlite3_column_text(s, 1), role) < 0 ?
		    avec_err_set(err, "store %s: account row is corrupt", st->path) : 0;
	} else if (rc == SQLITE_DONE) {
		avec_err_set(err, "no account %s", principal);
		rc = AVEC_STORE_NOTFOUND;
	} else {
		rc = store_fail(st, err, "reading an account");
	}
	store_done(s);
	return rc;
}

int
avec_store_policy_effective(struct avec_store *st, const char *principal,
			    struct avec_policy *out, struct avec_err *err)
{
	enum avec_role role;
	int64_t id;
	int rc;

	if ((rc = account_role(st, principal, &id, &role, err)) != 0)
		return rc;
	return store_effective_policy(st, id, role, principal, out, err);
}

static int
put_members(struct avec_store *st, const char *del_sql, const char *put_sql,
	    int64_t id, const char *const *names, unsigned n, struct avec_err *err)
{
	sqlite3_stmt *s;
	unsigned i;
	int rc;

	if ((s = store_stmt(st, del_sql, err)) == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	store_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, err, "clearing memberships");
	for (i = 0; i < n; i++) {
		if (!avec_text_valid(names[i], AVEC_OV_TARGET_MAX))
			return avec_err_set(err, "membership %u is not valid text", i + 1);
		if ((s = store_stmt(st, put_sql, err)) == NULL)
			return -1;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_text(s, 2, names[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		store_done(s);
		if (rc != SQLITE_DONE)
			return store_fail(st, err, "saving a membership");
	}
	return 0;
}

int
store_put_memberships(struct avec_store *st, int64_t id,
		      const char *const *schools, unsigned nschools,
		      const char *const *groups, unsigned ngroups,
		      struct avec_err *err)
{
	if (schools != NULL &&
	    put_members(st, SQL_SCHOOLS_DEL, SQL_SCHOOL_PUT, id, schools,
			nschools, err) < 0)
		return -1;
	if (groups != NULL &&
	    put_members(st, SQL_GROUPS_DEL, SQL_GROUP_PUT, id, groups,
			ngroups, err) < 0)
		return -1;
	return 0;
}

int
avec_store_account_memberships(struct avec_store *st, const char *principal,
			       const char *const *schools, unsigned nschools,
			       const char *const *groups, unsigned ngroups,
			       struct avec_err *err)
{
	enum avec_role role;
	int64_t id;
	int rc;

	if (store_exec(st, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	rc = account_role(st, principal, &id, &role, err);
	if (rc == 0)
		rc = store_put_memberships(st, id, schools, nschools, groups,
					   ngroups, err);
	if (rc == 0 && (rc = store_exec(st, "COMMIT", err)) == 0)
		return 0;
	store_rollback(st);
	return rc;
}
