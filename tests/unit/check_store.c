/*
 * check_store.c - the SQLite store: migrations, accounts, devices, the
 * quota under concurrency, policies and queued writes.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/connlog.h"
#include "avec/ent.h"
#include "avec/secret.h"
#include "store_sql.h"
#include "unit.h"

#define T0 1800000000

START_TEST(open_creates_and_migrates)
{
	struct avec_err err = { "" };
	struct avec_store *st;

	st = avec_store_open(unit_path("new.db"), 0, &err);
	ck_assert_ptr_null(st);			/* no CREATE flag: refused */
	ck_assert(strstr(err.msg, "cannot open") != NULL);
	st = avec_store_open(unit_path("new.db"), AVEC_STORE_CREATE, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(avec_store_schema_version(st), avec_store_schema_latest());
	ck_assert_int_ge(avec_store_schema_latest(), 1);
	avec_store_close(st);
	/* opening again is a no-op */
	st = avec_store_open(unit_path("new.db"), 0, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	avec_store_close(st);
	st = avec_store_open(unit_path("new.db"), AVEC_STORE_READONLY, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	avec_store_close(st);
}
END_TEST

START_TEST(newer_schema_is_refused_untouched)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	sqlite3 *db;
	sqlite3_stmt *s;

	avec_store_close(st);
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);

	st = avec_store_open(unit_path("avec.db"), 0, &err);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.msg, "schema version 99") &&
		      strstr(err.msg, "upgrade AVEC"), "%s", err.msg);
	st = avec_store_open(unit_path("avec.db"), AVEC_STORE_READONLY, &err);
	ck_assert_ptr_null(st);

	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM accounts", -1,
					    &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 2);	/* data untouched */
	sqlite3_finalize(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(an_older_store_is_upgraded_in_place)
{
	struct avec_err err = { "" };
	struct avec_account_rec a;
	struct avec_store *st;
	sqlite3 *db;

	/* a store as the first AVEC left it: migration 1 only, with data */
	ck_assert_int_eq(sqlite3_open(unit_path("v1.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, avec_migrations[0].sql, 0, 0, 0), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 1;"
		"INSERT INTO accounts (principal, role, created_at, updated_at) "
		"VALUES ('alice', 'student', 1, 1);"
		"INSERT INTO devices (account_id, name, cred_type, created_at) "
		"VALUES (1, 'phone', 'ttls', 1);"
		"INSERT INTO credentials (device_id, username, secret_hash) "
		"VALUES (1, 'dv-abcdefghijklmnop', '{nthash}00');", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);

	st = avec_store_open(unit_path("v1.db"), 0, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(avec_store_schema_version(st), avec_store_schema_latest());
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_int_eq(a.active_devices, 1);
	avec_store_close(st);
}
END_TEST

/*
 * Schema 7 rebuilds the devices table: every row that points at a device
 * (its credential, a session in the connection log) must survive it.
 */
START_TEST(the_devices_rebuild_keeps_what_points_at_them)
{
	struct avec_err err = { "" };
	struct avec_device_rec d;
	struct avec_store *st;
	sqlite3_stmt *s;
	sqlite3 *db;
	int i;

	ck_assert_int_eq(sqlite3_open(unit_path("v6.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA foreign_keys = ON", 0, 0, 0),
			 SQLITE_OK);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(sqlite3_exec(db, avec_migrations[i].sql, 0, 0,
					      0), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 6;"
		"INSERT INTO accounts (principal, role, created_at, updated_at) "
		"VALUES ('alice', 'student', 1, 1);"
		"INSERT INTO devices (account_id, name, cred_type, created_at, "
		"last_mac) VALUES (1, 'phone', 'ttls', 1, 'aa:bb:cc:dd:ee:01');"
		"INSERT INTO credentials (device_id, username, secret_hash) "
		"VALUES (1, 'dv-abcdefghijklmnop', '{nthash}00');"
		"INSERT INTO sessions (nas_address, acct_session_id, account_id, "
		"device_id, started_at, updated_at) "
		"VALUES ('192.0.2.1', 's1', 1, 1, 1, 1);", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);

	st = avec_store_open(unit_path("v6.db"), 0, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	ck_assert_int_eq(avec_store_device_get(st, 1, &d, &err), 0);
	ck_assert_str_eq(d.username, "dv-abcdefghijklmnop");
	ck_assert_str_eq(d.secret_hash, "{nthash}00");
	ck_assert_str_eq(d.last_mac, "aa:bb:cc:dd:ee:01");
	ck_assert_str_eq(d.mac, "");
	avec_store_close(st);

	ck_assert_int_eq(sqlite3_open(unit_path("v6.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT device_id FROM sessions",
					    -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	/* the generation triggers came back with the table */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
		"sqlite_schema WHERE type = 'trigger' AND tbl_name = 'devices' "
		"AND name LIKE 'gen%'", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 3);
	sqlite3_finalize(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(older_schema_needs_a_writer)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	sqlite3 *db;

	avec_store_close(st);
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 0", 0, 0, 0), SQLITE_OK);
	sqlite3_close(db);
	st = avec_store_open(unit_path("avec.db"), AVEC_STORE_READONLY, &err);
	ck_assert_ptr_null(st);
	ck_assert_msg(strstr(err.msg, "avecctl init") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(accounts)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_account_rec a;
	int64_t id1, id2;

	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_str_eq(a.a.principal, "alice");
	ck_assert_int_eq(a.a.role, AVEC_ROLE_STUDENT);
	ck_assert_int_eq(a.a.status, AVEC_ACCOUNT_ACTIVE);
	ck_assert_int_eq(a.created_at, 1000);
	id1 = a.a.id;

	/* put again: same id, role and name updated */
	a.a.role = AVEC_ROLE_STAFF;
	strcpy(a.display_name, "Alice Martin");
	ck_assert_int_eq(avec_store_account_put(st, &a, 2000, &id2, &err), 0);
	ck_assert_int_eq(id1, id2);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_int_eq(a.a.role, AVEC_ROLE_STAFF);
	ck_assert_str_eq(a.display_name, "Alice Martin");
	ck_assert_int_eq(a.created_at, 1000);
	ck_assert_int_eq(a.updated_at, 2000);

	ck_assert_int_eq(avec_store_account_set_status(st, "alice", AVEC_ACCOUNT_LEFT,
						       3000, &err), 0);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_int_eq(a.a.status, AVEC_ACCOUNT_LEFT);
	ck_assert_int_eq(a.ended_at, 3000);
	ck_assert_int_eq(avec_store_account_set_status(st, "alice", AVEC_ACCOUNT_ACTIVE,
						       4000, &err), 0);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_int_eq(a.ended_at, 0);

	ck_assert_int_eq(avec_store_account_get(st, "nobody", &a, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_store_account_set_status(st, "nobody", AVEC_ACCOUNT_LEFT,
						       1, &err), AVEC_STORE_NOTFOUND);
	avec_store_close(st);
}
END_TEST

static int
count_cb(const struct avec_account_rec *a, void *ctx)
{
	(void)a;
	++*(int *)ctx;
	return 0;
}

START_TEST(account_list)
{
	struct avec_store *st = unit_store();
	int n = 0;

	ck_assert_int_eq(avec_store_account_list(st, count_cb, &n, NULL), 0);
	ck_assert_int_eq(n, 2);
	avec_store_close(st);
}
END_TEST

START_TEST(register_and_revoke)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_device_rec d;
	struct avec_account_rec a;
	char user[64];
	int64_t id;

	id = unit_device(st, "alice", AVEC_CRED_TTLS, "s3cret", user, T0);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_str_eq(d.principal, "alice");
	ck_assert_str_eq(d.username, user);
	ck_assert_int_eq(d.d.status, AVEC_DEVICE_ACTIVE);
	ck_assert_int_eq(d.d.cred_type, AVEC_CRED_TTLS);
	ck_assert(avec_secret_verify(d.secret_hash, "s3cret"));
	ck_assert_str_eq(d.cert_serial, "");
	ck_assert_int_eq(d.created_at, T0);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_int_eq(a.active_devices, 1);

	ck_assert_int_eq(avec_store_device_revoke(st, id, "lost", T0 + 5, &err), 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_int_eq(d.d.status, AVEC_DEVICE_REVOKED);
	ck_assert_int_eq(d.revoked_at, T0 + 5);
	ck_assert_str_eq(d.revoke_reason, "lost");
	ck_assert_int_eq(avec_store_device_revoke(st, id, "again", T0 + 6, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_store_device_revoke(st, 9999, NULL, T0, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_store_device_get(st, 9999, &d, &err), AVEC_STORE_NOTFOUND);

	id = unit_device(st, "bob", AVEC_CRED_TLS, NULL, user, T0);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_str_eq(d.cert_serial, user);
	ck_assert_str_eq(d.secret_hash, "");
	avec_store_close(st);
}
END_TEST

START_TEST(registration_refusals)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_account_rec a;
	struct avec_device_rec d;
	struct avec_policy p;

	ck_assert_int_eq(unit_device(st, "nobody", AVEC_CRED_TTLS, "x", NULL, T0),
			 -AVEC_STORE_NOTFOUND);

	ck_assert_int_eq(avec_store_account_set_status(st, "alice",
		AVEC_ACCOUNT_SUSPENDED, T0, &err), 0);
	ck_assert_int_eq(unit_device(st, "alice", AVEC_CRED_TTLS, "x", NULL, T0),
			 -AVEC_STORE_REFUSED);
	ck_assert_int_eq(avec_store_account_set_status(st, "alice",
		AVEC_ACCOUNT_ACTIVE, T0, &err), 0);

	memset(&a, 0, sizeof(a));
	strcpy(a.a.principal, "parent1");
	a.a.role = AVEC_ROLE_PARENT;
	ck_assert_int_eq(avec_store_account_put(st, &a, T0, NULL, &err), 0);
	ck_assert_int_eq(unit_device(st, "parent1", AVEC_CRED_TTLS, "x", NULL, T0),
			 -AVEC_STORE_REFUSED);

	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	p.allowed_creds = AVEC_CRED_BIT(AVEC_CRED_TLS);
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	memset(&d, 0, sizeof(d));
	strcpy(d.principal, "alice");
	strcpy(d.name, "phone");
	strcpy(d.username, "dv-abcdefghijklmnop");
	d.d.cred_type = AVEC_CRED_TTLS;
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, "x", d.secret_hash,
					  sizeof(d.secret_hash)), 0);
	ck_assert_int_eq(avec_store_device_register(st, &d, T0, NULL, &err),
			 AVEC_STORE_REFUSED);
	ck_assert_msg(strstr(err.msg, "does not allow ttls") != NULL, "%s", err.msg);

	/* a device without its credential is refused before any write */
	d.secret_hash[0] = '\0';
	ck_assert_int_eq(avec_store_device_register(st, &d, T0, NULL, &err), -1);

	/* username taken */
	p.allowed_creds = AVEC_CRED_ALL;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, "x", d.secret_hash,
					  sizeof(d.secret_hash)), 0);
	ck_assert_int_eq(avec_store_device_register(st, &d, T0, NULL, &err), 0);
	ck_assert_int_eq(avec_store_device_register(st, &d, T0, NULL, &err),
			 AVEC_STORE_EXISTS);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, &err), 0);
	ck_assert_int_eq(a.active_devices, 1);	/* the failed one left nothing */
	avec_store_close(st);
}
END_TEST

START_TEST(quota_and_lifetime)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_device_rec d;
	struct avec_policy p;
	int64_t id;

	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	ck_assert(p.defined);
	ck_assert_int_eq(p.vlan, 20);
	ck_assert_int_eq(p.max_devices, 3);
	p.max_devices = 2;
	p.device_lifetime = 86400;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);

	id = unit_device(st, "alice", AVEC_CRED_TTLS, "a", NULL, T0);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_int_eq(d.d.expires_at, T0 + 86400);
	ck_assert_int_gt(unit_device(st, "alice", AVEC_CRED_PEAP, "b", NULL, T0), 0);
	ck_assert_int_eq(unit_device(st, "alice", AVEC_CRED_TTLS, "c", NULL, T0),
			 -AVEC_STORE_QUOTA);
	/* a revoked device frees its place */
	ck_assert_int_eq(avec_store_device_revoke(st, id, "", T0, &err), 0);
	ck_assert_int_gt(unit_device(st, "alice", AVEC_CRED_TTLS, "c", NULL, T0), 0);
	/* and so does an expired one, once its date has passed */
	ck_assert_int_eq(unit_device(st, "alice", AVEC_CRED_TTLS, "d", NULL, T0 + 10),
			 -AVEC_STORE_QUOTA);
	ck_assert_int_gt(unit_device(st, "alice", AVEC_CRED_TTLS, "d", NULL,
				     T0 + 86400 + 1), 0);
	avec_store_close(st);
}
END_TEST

#define RACERS 8

static void *
racer(void *arg)
{
	struct avec_err err = { "" };
	struct avec_store *st = avec_store_open(unit_path("avec.db"), 0, &err);
	intptr_t won = 0;

	(void)arg;
	if (st == NULL)
		return (void *)(intptr_t)-1;
	won = unit_device(st, "alice", AVEC_CRED_TTLS, "x", NULL, T0) > 0;
	avec_store_close(st);
	return (void *)won;
}

START_TEST(concurrent_registrations_respect_the_quota)
{
	struct avec_store *st = unit_store();
	struct avec_account_rec a;
	pthread_t t[RACERS];
	void *res;
	int i, won = 0;

	for (i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, racer, NULL), 0);
	for (i = 0; i < RACERS; i++) {
		pthread_join(t[i], &res);
		ck_assert_int_ge((intptr_t)res, 0);
		won += (int)(intptr_t)res;
	}
	ck_assert_int_eq(won, 3);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &a, NULL), 0);
	ck_assert_int_eq(a.active_devices, 3);
	avec_store_close(st);
}
END_TEST

START_TEST(policies)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_policy p;

	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_PARENT, &p, &err), 0);
	ck_assert(!p.defined);
	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_TEACHER, &p, &err), 0);
	ck_assert_int_eq(p.vlan, 30);
	p.vlan = 0;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_TEACHER, &p, &err), -1);
	ck_assert(strstr(err.msg, "VLAN") != NULL);
	p.vlan = 4095;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_TEACHER, &p, &err), -1);
	p.vlan = 31;
	p.allowed_creds = 0;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_TEACHER, &p, &err), -1);
	p.allowed_creds = AVEC_CRED_BIT(AVEC_CRED_TLS);
	p.session_timeout = 7200;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_TEACHER, &p, &err), 0);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_TEACHER, &p, &err), 0);
	ck_assert_int_eq(p.vlan, 31);
	ck_assert_uint_eq(p.allowed_creds, AVEC_CRED_BIT(AVEC_CRED_TLS));
	ck_assert_int_eq(p.session_timeout, 7200);
	p.defined = false;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_TEACHER, &p, &err), 0);
	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_TEACHER, &p, &err), 0);
	ck_assert(!p.defined);
	avec_store_close(st);
}
END_TEST

START_TEST(touch_moves_last_seen_not_the_generation)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_device_rec d;
	struct avec_touch t[2];
	uint64_t g1, g2;
	int64_t id;

	id = unit_device(st, "alice", AVEC_CRED_TTLS, "x", NULL, T0);
	ck_assert_int_eq(avec_store_generation(st, &g1, &err), 0);
	memset(t, 0, sizeof(t));
	t[0].device_id = id;
	t[0].seen_at = T0 + 50;
	strcpy(t[0].mac, "aa:bb:cc:dd:ee:ff");
	t[1].device_id = id;
	t[1].seen_at = T0 + 40;			/* older: does not go back */
	ck_assert_int_eq(avec_store_touch(st, t, 2, &err), 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_int_eq(d.last_seen, T0 + 50);
	ck_assert_str_eq(d.last_mac, "aa:bb:cc:dd:ee:ff");
	ck_assert_int_eq(avec_store_generation(st, &g2, &err), 0);
	ck_assert_uint_eq(g1, g2);
	ck_assert_int_eq(avec_store_device_revoke(st, id, "", T0, &err), 0);
	ck_assert_int_eq(avec_store_generation(st, &g2, &err), 0);
	ck_assert_uint_gt(g2, g1);
	avec_store_close(st);
}
END_TEST

struct delta {
	int64_t changed[8], owner[8];
	unsigned nchanged;
	int64_t want[8];
	size_t nwant;
	int64_t devices[8];
	unsigned ndevices;
};

static int
delta_changed(int64_t id, int64_t account_id, const char *mac, void *ctx)
{
	struct delta *d = ctx;

	ck_assert_uint_lt(d->nchanged, 8);
	ck_assert_str_eq(mac, "");
	d->changed[d->nchanged] = id;
	d->owner[d->nchanged++] = account_id;
	if (account_id != 0)
		d->want[d->nwant++] = account_id;
	return 0;
}

static int
delta_want(void *ctx, const int64_t **accts, size_t *naccts,
	   const char (**macs)[18], size_t *nmacs)
{
	struct delta *d = ctx;

	*accts = d->want;
	*naccts = d->nwant;
	*macs = NULL;
	*nmacs = 0;
	return 0;
}

static int
delta_device(const struct avec_scan_device *sd, void *ctx)
{
	struct delta *d = ctx;

	ck_assert_uint_lt(d->ndevices, 8);
	d->devices[d->ndevices++] = sd->d.id;
	return 0;
}

static int
keep_mark(const struct avec_scan_mark *m, void *ctx)
{
	*(struct avec_scan_mark *)ctx = *m;
	return 0;
}

static const struct avec_delta_cb delta_cb = {
	.changed = delta_changed, .want = delta_want, .device = delta_device,
};

/* The journal names the devices changed since a mark, and only those. */
START_TEST(delta_names_changed_devices)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_scan_cb cb = { .mark = keep_mark };
	struct avec_scan_mark m0, m1, m2;
	struct delta d;
	uint64_t gen;
	int64_t a1, a2, b1;
	sqlite3 *db;

	a1 = unit_device(st, "alice", AVEC_CRED_TTLS, "x", NULL, T0);
	a2 = unit_device(st, "alice", AVEC_CRED_PEAP, "y", NULL, T0 + 1);
	b1 = unit_device(st, "bob", AVEC_CRED_TTLS, "z", NULL, T0);
	ck_assert_int_eq(avec_store_scan(st, &cb, &m0, &gen, &err), 0);
	ck_assert_uint_eq(m0.generation, gen);
	ck_assert_int_gt(m0.seq, 0);

	/* nothing since: no change, no device */
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(avec_store_scan_delta(st, &m0, 10, &delta_cb, &d, &m1,
					       &err), 0);
	ck_assert_uint_eq(d.nchanged, 0);
	ck_assert_int_eq(m1.seq, m0.seq);

	/* a revocation: that device, then every device of its owner */
	ck_assert_int_eq(avec_store_device_revoke(st, a1, "", T0, &err), 0);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(avec_store_scan_delta(st, &m0, 10, &delta_cb, &d, &m1,
					       &err), 0);
	ck_assert_uint_eq(d.nchanged, 1);
	ck_assert_int_eq(d.changed[0], a1);
	ck_assert_int_gt(d.owner[0], 0);
	ck_assert_uint_eq(d.ndevices, 2);
	ck_assert_int_eq(d.devices[0], a1);
	ck_assert_int_eq(d.devices[1], a2);
	ck_assert_uint_gt(m1.generation, m0.generation);
	ck_assert_uint_eq(m1.base_generation, m0.base_generation);
	ck_assert_int_gt(m1.seq, m0.seq);
	/* more devices than allowed: read everything */
	ck_assert_int_eq(avec_store_scan_delta(st, &m0, 0, &delta_cb, &d, &m2,
					       &err), 1);

	/* a device deleted: named, with no owner */
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA foreign_keys = ON", 0, 0, 0),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM devices WHERE id = 3",
				      0, 0, 0), SQLITE_OK);
	ck_assert_int_eq(b1, 3);
	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(avec_store_scan_delta(st, &m1, 10, &delta_cb, &d, &m2,
					       &err), 0);
	ck_assert_uint_eq(d.nchanged, 1);
	ck_assert_int_eq(d.changed[0], b1);
	ck_assert_int_eq(d.owner[0], 0);
	ck_assert_uint_eq(d.ndevices, 0);

	/* rows after the mark trimmed: read everything */
	ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM device_changes WHERE "
		"seq < (SELECT max(seq) FROM device_changes)",
		0, 0, 0), SQLITE_OK);
	ck_assert_int_eq(avec_store_scan_delta(st, &m0, 10, &delta_cb, &d, &m2,
					       &err), 1);

	/* an account changed: read everything */
	ck_assert_int_eq(avec_store_account_set_status(st, "bob",
		AVEC_ACCOUNT_SUSPENDED, T0, &err), 0);
	ck_assert_int_eq(avec_store_scan_delta(st, &m1, 10, &delta_cb, &d, &m2,
					       &err), 1);
	ck_assert_uint_gt(m2.base_generation, m1.base_generation);

	/* the journal keeps its newest 65536 rows, and at most 1024 more */
	ck_assert_int_eq(sqlite3_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 "
		"UNION ALL SELECT i + 1 FROM n WHERE i < 70000) "
		"INSERT INTO device_changes (device_id) SELECT 1 FROM n",
		0, 0, 0), SQLITE_OK);
	{
		sqlite3_stmt *s;

		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*), "
			"max(seq) - min(seq) FROM device_changes", -1, &s,
			NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
		ck_assert_int_ge(sqlite3_column_int(s, 0), 65536);
		ck_assert_int_le(sqlite3_column_int(s, 0), 65536 + 1024);
		ck_assert_int_eq(sqlite3_column_int(s, 1),
				 sqlite3_column_int(s, 0) - 1);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	avec_store_close(st);
}
END_TEST

/* ---- schools and groups: the login's, or the ENT feed's ---- */

static int
join_cb(const char *v, void *ctx)
{
	char *out = ctx;

	if (out[0] != '\0')
		strcat(out, " ");
	strcat(out, v);
	return 0;
}

/* "SCHOOLS|GROUPS" of @principal, each ' '-joined, into @out[256] */
static const char *
members(struct avec_store *st, const char *principal, char out[256])
{
	struct avec_err err = { "" };
	struct avec_account_rec a;
	char g[128] = "";

	out[0] = '\0';
	ck_assert_int_eq(avec_store_account_get(st, principal, &a, &err), 0);
	ck_assert_int_eq(avec_store_account_schools(st, a.a.id, join_cb, out,
						    &err), 0);
	ck_assert_int_eq(avec_store_account_groups(st, a.a.id, join_cb, g,
						   &err), 0);
	strcat(out, "|");
	strcat(out, g);
	return out;
}

/* A Complet feed of one school (0450000A) and one pupil, AC-T$1 in 2NDE1. */
static void
import_feed(struct avec_store *st)
{
	static const char aaf[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR>\n"
		"<addRequest><operationalAttributes><attr name=\"categorie"
		"Structure\"><value>EtabEducNat</value></attr>"
		"</operationalAttributes><identifier><id>4500</id></identifier>"
		"<attributes><attr name=\"ENTStructureUAI\"><value>0450000A"
		"</value></attr><attr name=\"ENTStructureNomCourant\"><value>"
		"LYCEE</value></attr></attributes></addRequest>\n"
		"<addRequest><operationalAttributes><attr name=\"categorie"
		"Personne\"><value>Eleve</value></attr></operationalAttributes>"
		"<identifier><id>1000001</id></identifier><attributes>"
		"<attr name=\"ENTPersonJointure\"><value>AC-T$1</value></attr>"
		"<attr name=\"sn\"><value>Martin</value></attr>"
		"<attr name=\"givenName\"><value>Alice</value></attr>"
		"<attr name=\"ENTPersonStructRattach\"><value>4500</value></attr>"
		"<attr name=\"ENTEleveClasses\"><value>4500$2NDE1</value></attr>"
		"</attributes></addRequest>\n</ficAlimMENESR>\n";
	const char *file = unit_path("ENT_0450000A_Complet_20260901_Eleve_0000.xml");
	struct avec_ent_opts o = { .now = T0, .grace_days = -1 };
	struct avec_err err = { "" };
	FILE *f = fopen(file, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(aaf, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(avec_ent_import(st, &file, 1, &o, NULL, NULL, &err) == 0,
		      "%s", err.msg);
}

/*
 * Linking an account to a join key the feed does not
 * hold (a first login before any import) keeps the schools and groups it
 * has; an import leaves alone the accounts whose person it does not
 * know; the feed's replace them for a person it knows, and go with the
 * link when the account is linked elsewhere.
 */
START_TEST(link_keeps_memberships_the_feed_does_not_give)
{
	static const char *const sch[] = { "0290009C" };
	static const char *const grp[] = { "0290009C$TS2" };
	static const char *const bgrp[] = { "0290009C$PROFS" };
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	char m[256];

	ck_assert_int_eq(avec_store_account_memberships(st, "alice", sch, 1,
							grp, 1, &err), 0);
	ck_assert_int_eq(avec_ent_link(st, "alice", "AC-T$1", &err), 0);
	ck_assert_str_eq(members(st, "alice", m), "0290009C|0290009C$TS2");
	ck_assert_int_eq(avec_store_account_memberships(st, "bob", sch, 1,
							bgrp, 1, &err), 0);
	ck_assert_int_eq(avec_ent_link(st, "bob", "AC-T$2", &err), 0);
	ck_assert_str_eq(members(st, "bob", m), "0290009C|0290009C$PROFS");

	/* the feed knows AC-T$1, not AC-T$2 */
	import_feed(st);
	ck_assert_str_eq(members(st, "alice", m), "0450000A|0450000A$2NDE1");
	ck_assert_str_eq(members(st, "bob", m), "0290009C|0290009C$PROFS");

	/* unlinked from the person the feed knows: its memberships go */
	ck_assert_int_eq(avec_ent_link(st, "alice", NULL, &err), 0);
	ck_assert_str_eq(members(st, "alice", m), "|");
	/* linked to it: they come, replacing the account's */
	ck_assert_int_eq(avec_ent_link(st, "bob", "AC-T$1", &err), 0);
	ck_assert_str_eq(members(st, "bob", m), "0450000A|0450000A$2NDE1");
	/* and go again when it is linked to a key the feed does not hold */
	ck_assert_int_eq(avec_ent_link(st, "bob", "AC-T$3", &err), 0);
	ck_assert_str_eq(members(st, "bob", m), "|");
	ck_assert_int_eq(avec_ent_link(st, "nobody", "AC-T$4", &err),
			 AVEC_STORE_NOTFOUND);
	avec_store_close(st);
}
END_TEST

/* What a login writes: its own lists, unless the feed knows the person. */
START_TEST(login_memberships_yield_to_the_feed)
{
	static const char *const sch[] = { "0290009C" };
	static const char *const grp[] = { "0290009C$TS2" };
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	bool applied = false;
	char m[256];

	/* a first login, no feed: linked, and the login's lists written */
	ck_assert_int_eq(avec_ent_link(st, "alice", "AC-T$1", &err), 0);
	ck_assert_int_eq(avec_ent_login_memberships(st, "alice", sch, 1, grp,
						    1, &applied, &err), 0);
	ck_assert(applied);
	ck_assert_str_eq(members(st, "alice", m), "0290009C|0290009C$TS2");
	/* once the feed knows her, its lists stand at the next login */
	import_feed(st);
	ck_assert_str_eq(members(st, "alice", m), "0450000A|0450000A$2NDE1");
	ck_assert_int_eq(avec_ent_login_memberships(st, "alice", sch, 1, grp,
						    1, &applied, &err), 0);
	ck_assert(!applied);
	ck_assert_str_eq(members(st, "alice", m), "0450000A|0450000A$2NDE1");
	/* an account without a key takes the login's */
	ck_assert_int_eq(avec_ent_login_memberships(st, "bob", sch, 1, NULL, 0,
						    NULL, &err), 0);
	ck_assert_str_eq(members(st, "bob", m), "0290009C|");
	ck_assert_int_eq(avec_ent_login_memberships(st, "nobody", sch, 1, grp,
						    1, &applied, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert(!applied);
	avec_store_close(st);
}
END_TEST

Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("sqlite");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, open_creates_and_migrates);
	tcase_add_test(tc, newer_schema_is_refused_untouched);
	tcase_add_test(tc, the_devices_rebuild_keeps_what_points_at_them);
	tcase_add_test(tc, older_schema_needs_a_writer);
	tcase_add_test(tc, an_older_store_is_upgraded_in_place);
	tcase_add_test(tc, accounts);
	tcase_add_test(tc, account_list);
	tcase_add_test(tc, register_and_revoke);
	tcase_add_test(tc, registration_refusals);
	tcase_add_test(tc, quota_and_lifetime);
	tcase_add_test(tc, concurrent_registrations_respect_the_quota);
	tcase_add_test(tc, policies);
	tcase_add_test(tc, touch_moves_last_seen_not_the_generation);
	tcase_add_test(tc, delta_names_changed_devices);
	tcase_add_test(tc, link_keeps_memberships_the_feed_does_not_give);
	tcase_add_test(tc, login_memberships_yield_to_the_feed);
	suite_add_tcase(s, tc);
	return s;
}
