/*
 * check_index.c - the in-memory index: lookups by username and serial,
 * decisions, refresh on change (and only on change), incremental
 * refreshes when only devices changed, and lookups racing with refreshes.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "avec/index.h"
#include "unit.h"

#define T0 1800000000

static struct avec_index *
open_index(unsigned refresh_ms)
{
	struct avec_err err = { "" };
	struct avec_index *idx = avec_index_open(unit_path("avec.db"), refresh_ms, &err);

	ck_assert_msg(idx != NULL, "%s", err.msg);
	return idx;
}

static enum avec_reason
decide(struct avec_index *idx, enum avec_key_kind k, const char *key,
       struct avec_lookup *out)
{
	return avec_index_decide(idx, k, key, strlen(key), T0 + 100, out);
}

START_TEST(accept_by_username_with_hash_and_vlan)
{
	struct avec_store *st = unit_store();
	struct avec_lookup l;
	struct avec_index *idx;
	char user[64];
	int64_t id = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", user, T0);

	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, user, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 20);
	ck_assert_int_eq(l.device_id, id);
	ck_assert_str_eq(l.principal, "alice");
	ck_assert_int_eq(l.cred_type, AVEC_CRED_TTLS);
	ck_assert(strncmp(l.secret_hash, "{ssha256}", 9) == 0);
	/* the username is not a serial */
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, user, &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(accept_by_serial_any_spelling)
{
	struct avec_store *st = unit_store();
	struct avec_lookup l;
	struct avec_index *idx;
	char serial[64], spelled[96];
	unsigned i, o = 0;

	ck_assert_int_gt(unit_device(st, "bob", AVEC_CRED_TLS, NULL, serial, T0), 0);
	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, serial, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 30);
	ck_assert_str_eq(l.secret_hash, "");	/* TLS has none */
	for (i = 0; serial[i]; i++) {	/* "AB:CD:..." */
		if (i && i % 2 == 0)
			spelled[o++] = ':';
		spelled[o++] = (char)(serial[i] >= 'a' ? serial[i] - 32 : serial[i]);
	}
	spelled[o] = '\0';
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, spelled, &l), AVEC_ACCEPT);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, "0102030405", &l),
			 AVEC_REJECT_UNKNOWN_DEVICE);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

/* A policy for @role that also allows PSK devices. */
static void
allow_psk(struct avec_store *st, enum avec_role role)
{
	struct avec_err err = { "" };
	struct avec_policy p;

	ck_assert_int_eq(avec_store_policy_get(st, role, &p, &err), 0);
	p.allowed_creds |= AVEC_CRED_BIT(AVEC_CRED_PSK);
	ck_assert_msg(avec_store_policy_set(st, role, &p, &err) == 0, "%s",
		      err.msg);
}

START_TEST(psk_device_by_mac_gives_its_key)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_lookup l;
	struct avec_index *idx;
	char mac[32];
	int64_t id, id2;

	/* not allowed by the default policy */
	ck_assert_int_eq(unit_device(st, "bob", AVEC_CRED_PSK,
				     "02:00:00:00:01:00", mac, T0),
			 -AVEC_STORE_REFUSED);
	allow_psk(st, AVEC_ROLE_TEACHER);
	id = unit_device(st, "bob", AVEC_CRED_PSK, "02:00:00:00:01:00", mac,
			 T0);
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(mac, "02:00:00:00:01:00");
	/* one active device per MAC */
	ck_assert_int_eq(unit_device(st, "bob", AVEC_CRED_PSK,
				     "02:00:00:00:01:00", NULL, T0),
			 -AVEC_STORE_REFUSED);

	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000100", &l),
			 AVEC_ACCEPT);
	ck_assert_int_eq(l.device_id, id);
	ck_assert_int_eq(l.cred_type, AVEC_CRED_PSK);
	ck_assert_int_eq(l.verdict.vlan, 30);
	ck_assert_str_eq(l.psk, UNIT_PSK);
	ck_assert_str_eq(l.secret_hash, "");
	ck_assert(strncmp(l.username, "dv-", 3) == 0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "02-00-00-00-01-00", &l),
			 AVEC_ACCEPT);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000101", &l),
			 AVEC_REJECT_UNKNOWN_DEVICE);
	ck_assert_str_eq(l.psk, "");
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "02000000010", &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "bob", &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	/* a TTLS device's MAC hint is not a key */
	ck_assert_int_gt(unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL,
				     T0), 0);

	/* revoked: refused, and the MAC may be registered again */
	ck_assert_int_eq(avec_store_device_revoke(st, id, "lost", T0 + 10,
						  &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000100", &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	id2 = unit_device(st, "bob", AVEC_CRED_PSK, "02:00:00:00:01:00",
			  NULL, T0 + 20);
	ck_assert_int_gt(id2, id);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000100", &l),
			 AVEC_ACCEPT);
	ck_assert_int_eq(l.device_id, id2);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(malformed_and_unknown_identities)
{
	struct avec_store *st = unit_store();
	struct avec_lookup l;
	struct avec_index *idx;
	char big[300];

	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, "dv-abcdefghijklmnop", &l),
			 AVEC_REJECT_UNKNOWN_DEVICE);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, "anonymous@lycee.fr", &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, "", &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME,
		"dv-abcdefgh\0jklmnop", 19, T0, &l), AVEC_REJECT_MALFORMED_IDENTITY);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, big, &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, big, &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, NULL, 0, T0, &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(avec_index_decide(idx, (enum avec_key_kind)9, "x", 1, T0, &l),
			 AVEC_REJECT_MALFORMED_IDENTITY);
	ck_assert_int_eq(l.device_id, 0);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(refresh_sees_changes_and_only_changes)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_index_stats s1, s2;
	struct avec_lookup l;
	struct avec_touch t;
	struct avec_index *idx;
	char user[64];
	int64_t id = unit_device(st, "alice", AVEC_CRED_PEAP, "pw", user, T0);

	idx = open_index(0);
	avec_index_stats(idx, &s1);
	ck_assert_int_eq(s1.devices, 1);
	ck_assert_int_eq(s1.accounts, 2);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 0);	/* nothing new */

	memset(&t, 0, sizeof(t));
	t.device_id = id;
	t.seen_at = T0 + 1;
	ck_assert_int_eq(avec_store_touch(st, &t, 1, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 0);	/* last-seen only */
	avec_index_stats(idx, &s2);
	ck_assert_uint_eq(s1.generation, s2.generation);

	ck_assert_int_eq(avec_store_device_revoke(st, id, "stolen", T0, &err), 0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, user, &l), AVEC_ACCEPT);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, user, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	ck_assert_int_eq(l.device_id, id);

	ck_assert_int_eq(avec_store_account_set_status(st, "bob",
		AVEC_ACCOUNT_SUSPENDED, T0, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(account_and_policy_rules_through_the_index)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_policy p;
	struct avec_lookup l;
	struct avec_index *idx;
	char u1[64], u2[64], u3[64];

	unit_device(st, "alice", AVEC_CRED_TTLS, "1", u1, T0);
	unit_device(st, "alice", AVEC_CRED_TTLS, "2", u2, T0 + 1);
	unit_device(st, "alice", AVEC_CRED_PEAP, "3", u3, T0 + 2);
	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u3, &l), AVEC_ACCEPT);

	/* quota lowered after registration: the newest device is over it */
	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	p.max_devices = 2;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l), AVEC_ACCEPT);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l), AVEC_ACCEPT);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u3, &l), AVEC_REJECT_OVER_QUOTA);

	/* PEAP no longer allowed */
	p.max_devices = 3;
	p.allowed_creds = AVEC_CRED_BIT(AVEC_CRED_TTLS);
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u3, &l),
			 AVEC_REJECT_CREDENTIAL_TYPE);

	ck_assert_int_eq(avec_store_account_set_status(st, "alice",
		AVEC_ACCOUNT_LEFT, T0, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l), AVEC_REJECT_ACCOUNT_LEFT);

	/* students no longer admitted at all */
	ck_assert_int_eq(avec_store_account_set_status(st, "alice",
		AVEC_ACCOUNT_ACTIVE, T0, &err), 0);
	p.defined = false;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l),
			 AVEC_REJECT_ROLE_NOT_ADMITTED);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(refresher_thread_picks_up_a_revocation)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_lookup l;
	struct avec_index *idx;
	char user[64];
	int64_t id = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", user, T0);
	int i;

	idx = open_index(20);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, user, &l), AVEC_ACCEPT);
	ck_assert_int_eq(avec_store_device_revoke(st, id, "", T0, &err), 0);
	/* bounded wait: at most 5 s, normally one refresh period */
	for (i = 0; i < 500; i++) {
		if (decide(idx, AVEC_KEY_USERNAME, user, &l) == AVEC_REJECT_DEVICE_REVOKED)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(l.verdict.reason, AVEC_REJECT_DEVICE_REVOKED);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

struct race {
	struct avec_index *idx;
	char user[64];
	volatile int stop;
	long lookups;
};

static void *
reader(void *arg)
{
	struct race *r = arg;
	struct avec_lookup l;
	enum avec_reason why;

	while (!r->stop) {
		why = decide(r->idx, AVEC_KEY_USERNAME, r->user, &l);
		if (why != AVEC_ACCEPT && why != AVEC_REJECT_DEVICE_REVOKED)
			return (void *)1;
		r->lookups++;
	}
	return NULL;
}

START_TEST(lookups_race_with_refreshes)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct race r[4];
	pthread_t t[4];
	void *res;
	int i;

	unit_device(st, "alice", AVEC_CRED_TTLS, "pw", r[0].user, T0);
	r[0].idx = open_index(1);
	r[0].stop = 0;
	r[0].lookups = 0;
	for (i = 1; i < 4; i++)
		r[i] = r[0];
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &r[i]), 0);
	for (i = 0; i < 40; i++) {	/* churn: every change forces a reload */
		ck_assert_int_gt(unit_device(st, "bob", AVEC_CRED_TTLS, "x", NULL, T0), 0);
		ck_assert_int_eq(avec_store_account_set_status(st, "bob",
			i % 2 ? AVEC_ACCOUNT_ACTIVE : AVEC_ACCOUNT_ACTIVE, T0 + i, &err), 0);
		avec_index_refresh(r[0].idx, NULL);
		if (i % 5 == 4) {	/* keep bob under his quota */
			struct avec_policy p;

			avec_store_policy_get(st, AVEC_ROLE_TEACHER, &p, &err);
			p.max_devices = 1000;
			avec_store_policy_set(st, AVEC_ROLE_TEACHER, &p, &err);
		}
	}
	for (i = 0; i < 4; i++)
		r[i].stop = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &res);
		ck_assert_ptr_null(res);
		ck_assert_int_gt(r[i].lookups, 0);
	}
	avec_index_close(r[0].idx);
	avec_store_close(st);
}
END_TEST

/* Refresh, and say whether it was incremental (1) or a full load (0). */
static int
refresh_kind(struct avec_index *idx)
{
	struct avec_err err = { "" };
	struct avec_index_stats a, b;

	avec_index_stats(idx, &a);
	ck_assert_msg(avec_index_refresh(idx, &err) == 1, "%s", err.msg);
	avec_index_stats(idx, &b);
	ck_assert_uint_eq(b.generation, a.generation + 1);
	ck_assert_uint_eq(b.full_loads + b.incremental_loads,
			  a.full_loads + a.incremental_loads + 1);
	return b.incremental_loads == a.incremental_loads + 1;
}

/* Run @sql on the store file through a connection of its own. */
static void
store_sql(const char *sql)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA foreign_keys = ON", 0, 0, 0),
			 SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, 0, 0, 0) == SQLITE_OK, "%s",
		      sqlite3_errmsg(db));
	sqlite3_close(db);
}

START_TEST(device_changes_apply_incrementally)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_index_stats s;
	struct avec_lookup l;
	struct avec_index *idx;
	char u1[64], u2[64], u3[64], u4[64], sql[128];
	int64_t id1, id3;

	id1 = unit_device(st, "alice", AVEC_CRED_TTLS, "1", u1, T0);
	unit_device(st, "alice", AVEC_CRED_TTLS, "2", u2, T0 + 1);
	id3 = unit_device(st, "bob", AVEC_CRED_TLS, NULL, u3, T0);
	idx = open_index(0);
	avec_index_stats(idx, &s);
	ck_assert_uint_eq(s.full_loads, 1);
	ck_assert_uint_eq(s.incremental_loads, 0);

	/* a revocation: refused after an incremental refresh */
	ck_assert_int_eq(avec_store_device_revoke(st, id1, "", T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	ck_assert_int_eq(l.device_id, id1);
	ck_assert_str_eq(l.principal, "alice");
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l), AVEC_ACCEPT);
	ck_assert(strncmp(l.secret_hash, "{ssha256}", 9) == 0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, u3, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 30);
	avec_index_stats(idx, &s);
	ck_assert_uint_eq(s.overlay_devices, 2);	/* alice's two */

	/* a new device: accepted, and the earlier change still holds */
	ck_assert_int_gt(unit_device(st, "bob", AVEC_CRED_PEAP, "4", u4, T0 + 5), 0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u4, &l),
			 AVEC_REJECT_UNKNOWN_DEVICE);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u4, &l), AVEC_ACCEPT);
	ck_assert_str_eq(l.principal, "bob");
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, u3, &l), AVEC_ACCEPT);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 0);	/* nothing new */

	/* a device deleted: unknown, through the overlay's tombstone */
	snprintf(sql, sizeof(sql), "DELETE FROM devices WHERE id = %lld",
		 (long long)id3);
	store_sql(sql);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, u3, &l),
			 AVEC_REJECT_UNKNOWN_DEVICE);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u4, &l), AVEC_ACCEPT);

	/* a device blocked, then unblocked */
	snprintf(sql, sizeof(sql), "INSERT INTO blocks (kind, target, "
		 "created_at) VALUES ('device', '%lld', 1)", (long long)id1 + 1);
	store_sql(sql);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l),
			 AVEC_REJECT_DEVICE_BLOCKED);
	store_sql("DELETE FROM blocks");
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l), AVEC_ACCEPT);

	/* an account or a policy change: a full load, which keeps it all */
	ck_assert_int_eq(avec_store_account_set_status(st, "bob",
		AVEC_ACCOUNT_SUSPENDED, T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 0);
	avec_index_stats(idx, &s);
	ck_assert_uint_eq(s.overlay_devices, 0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u4, &l),
			 AVEC_REJECT_ACCOUNT_SUSPENDED);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	ck_assert_int_eq(decide(idx, AVEC_KEY_SERIAL, u3, &l),
			 AVEC_REJECT_UNKNOWN_DEVICE);
	allow_psk(st, AVEC_ROLE_STUDENT);
	ck_assert_int_eq(refresh_kind(idx), 0);
	/* and the next device change is incremental again */
	ck_assert_int_eq(avec_store_device_revoke(st, id1 + 1, "", T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

/* The quota rank comes from all of the owner's devices, read again. */
START_TEST(incremental_refresh_reranks_the_owner)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_policy p;
	struct avec_lookup l;
	struct avec_index *idx;
	char u1[64], u2[64], u3[64];
	int64_t id1;

	id1 = unit_device(st, "alice", AVEC_CRED_TTLS, "1", u1, T0);
	unit_device(st, "alice", AVEC_CRED_TTLS, "2", u2, T0 + 1);
	unit_device(st, "alice", AVEC_CRED_PEAP, "3", u3, T0 + 2);
	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	p.max_devices = 2;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u3, &l),
			 AVEC_REJECT_OVER_QUOTA);
	/* the oldest goes: the newest is within the quota again */
	ck_assert_int_eq(avec_store_device_revoke(st, id1, "", T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u3, &l), AVEC_ACCEPT);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l), AVEC_ACCEPT);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(psk_by_mac_through_the_overlay)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_lookup l;
	struct avec_index *idx;
	char sql[128];
	int64_t a, b;

	allow_psk(st, AVEC_ROLE_STUDENT);
	allow_psk(st, AVEC_ROLE_TEACHER);
	a = unit_device(st, "alice", AVEC_CRED_PSK, "02:00:00:00:02:00", NULL, T0);
	ck_assert_int_gt(a, 0);
	idx = open_index(0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000200", &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.device_id, a);

	/* a new PSK device: found by its MAC in the overlay, with its key */
	ck_assert_int_gt(unit_device(st, "bob", AVEC_CRED_PSK,
				     "02:00:00:00:02:01", NULL, T0), 0);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "02-00-00-00-02-01", &l),
			 AVEC_ACCEPT);
	ck_assert_str_eq(l.psk, UNIT_PSK);
	ck_assert_str_eq(l.principal, "bob");

	/* the MAC passes from alice's revoked device to a device of bob's */
	ck_assert_int_eq(avec_store_device_revoke(st, a, "", T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000200", &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	b = unit_device(st, "bob", AVEC_CRED_PSK, "02:00:00:00:02:00", NULL, T0 + 9);
	ck_assert_int_gt(b, a);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000200", &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.device_id, b);

	/* a full load (bob's account is in it), then bob's device deleted:
	   alice's revoked device answers for the MAC again, as it would in a
	   full load */
	store_sql("UPDATE accounts SET status = 'active'");
	ck_assert_int_eq(refresh_kind(idx), 0);
	snprintf(sql, sizeof(sql), "DELETE FROM devices WHERE id = %lld",
		 (long long)b);
	store_sql(sql);
	ck_assert_int_eq(refresh_kind(idx), 1);
	ck_assert_int_eq(decide(idx, AVEC_KEY_MAC, "020000000200", &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	ck_assert_int_eq(l.device_id, a);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(overlay_over_its_limit_means_a_full_load)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_lookup l;
	struct avec_index *idx;
	char u1[64], u2[64];
	int64_t id1, id2;

	id1 = unit_device(st, "alice", AVEC_CRED_TTLS, "1", u1, T0);
	id2 = unit_device(st, "bob", AVEC_CRED_TTLS, "2", u2, T0);
	idx = open_index(0);
	avec_index_set_overlay_limit(idx, 1);
	ck_assert_int_eq(avec_store_device_revoke(st, id1, "", T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 1);
	/* two devices changed since the last full load: over the limit */
	ck_assert_int_eq(avec_store_device_revoke(st, id2, "", T0, &err), 0);
	ck_assert_int_eq(refresh_kind(idx), 0);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u1, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	ck_assert_int_eq(decide(idx, AVEC_KEY_USERNAME, u2, &l),
			 AVEC_REJECT_DEVICE_REVOKED);
	/* 0: every refresh is a full load */
	avec_index_set_overlay_limit(idx, 0);
	ck_assert_int_gt(unit_device(st, "bob", AVEC_CRED_TTLS, "3", NULL, T0), 0);
	ck_assert_int_eq(refresh_kind(idx), 0);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

/* Readers never see a half-built view while overlays come and go. */
START_TEST(lookups_race_with_incremental_refreshes)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_index_stats s;
	struct race r[4];
	pthread_t t[4];
	void *res;
	int64_t id;
	int i;

	unit_device(st, "alice", AVEC_CRED_TTLS, "pw", r[0].user, T0);
	unit_device(st, "alice", AVEC_CRED_TTLS, "pw", r[1].user, T0 + 1);
	r[0].idx = open_index(1);
	for (i = 0; i < 4; i++) {
		r[i].idx = r[0].idx;
		r[i].stop = 0;
		r[i].lookups = 0;
		if (i >= 2)
			memcpy(r[i].user, r[i - 2].user, sizeof(r[i].user));
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &r[i]), 0);
	for (i = 0; i < 60; i++) {	/* churn: devices only */
		id = unit_device(st, "bob", AVEC_CRED_TTLS, "x", NULL, T0 + i);
		ck_assert_int_gt(id, 0);
		avec_index_refresh(r[0].idx, NULL);
		ck_assert_int_eq(avec_store_device_revoke(st, id, "", T0, &err), 0);
		if (i == 30)	/* alice's second device: accepted, then revoked */
			ck_assert_int_eq(avec_store_device_revoke(st, 2, "", T0,
								  &err), 0);
		avec_index_refresh(r[0].idx, NULL);
	}
	for (i = 0; i < 4; i++)
		r[i].stop = 1;
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &res);
		ck_assert_ptr_null(res);
		ck_assert_int_gt(r[i].lookups, 0);
	}
	avec_index_stats(r[0].idx, &s);
	ck_assert_uint_gt(s.incremental_loads, 0);
	ck_assert_uint_eq(s.refresh_errors, 0);
	avec_index_close(r[0].idx);
	avec_store_close(st);
}
END_TEST

START_TEST(open_refuses_a_missing_store)
{
	struct avec_err err = { "" };

	ck_assert_ptr_null(avec_index_open(unit_path("absent.db"), 0, &err));
	ck_assert(strstr(err.msg, "absent.db") != NULL);
}
END_TEST

Suite *
index_suite(void)
{
	Suite *s = suite_create("index");
	TCase *tc = tcase_create("lookups");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, accept_by_username_with_hash_and_vlan);
	tcase_add_test(tc, accept_by_serial_any_spelling);
	tcase_add_test(tc, malformed_and_unknown_identities);
	tcase_add_test(tc, psk_device_by_mac_gives_its_key);
	tcase_add_test(tc, refresh_sees_changes_and_only_changes);
	tcase_add_test(tc, account_and_policy_rules_through_the_index);
	tcase_add_test(tc, refresher_thread_picks_up_a_revocation);
	tcase_add_test(tc, lookups_race_with_refreshes);
	tcase_add_test(tc, device_changes_apply_incrementally);
	tcase_add_test(tc, incremental_refresh_reranks_the_owner);
	tcase_add_test(tc, psk_by_mac_through_the_overlay);
	tcase_add_test(tc, overlay_over_its_limit_means_a_full_load);
	tcase_add_test(tc, lookups_race_with_incremental_refreshes);
	tcase_add_test(tc, open_refuses_a_missing_store);
	suite_add_tcase(s, tc);
	return s;
}
