/*
 * check_rules.c - the stored policy as the RADIUS index applies it:
 * overrides by school, class group and account, holidays, lifetimes to a
 * date, block lists; and the all-or-nothing replacement of the policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/index.h"
#include "avec/store.h"
#include "unit.h"

#define MON_1000 1796029200	/* Mon 2026-11-30 10:00 Paris */

static struct avec_override *
add_ov(struct avec_policy_doc *doc, enum avec_scope scope, const char *target,
       int role)
{
	static struct avec_override pool[16];
	struct avec_override *o = &pool[doc->noverrides];

	memset(o, 0, sizeof(*o));
	o->scope = scope;
	strcpy(o->target, target);
	o->role = role;
	doc->overrides = pool;
	doc->noverrides++;
	return o;
}

/* The store's current policy, with one override per scope. */
static void
overrides(struct avec_store *st)
{
	struct avec_err err = { "" };
	struct avec_policy_doc doc;
	struct avec_override *o;
	char msg[64];

	ck_assert_int_eq(avec_store_policy_doc(st, &doc, &err), 0);
	avec_policy_doc_clear(&doc);	/* keep roles only (overrides empty) */
	ck_assert_int_eq(avec_store_policy_doc(st, &doc, &err), 0);
	free(doc.overrides);
	doc.overrides = NULL;
	doc.noverrides = 0;
	o = add_ov(&doc, AVEC_SCOPE_SCHOOL, "0450822X", AVEC_ROLE_STUDENT);
	o->set = AVEC_OV_VLAN;
	o->v.vlan = 22;
	o = add_ov(&doc, AVEC_SCOPE_GROUP, "1AQUA", -1);
	o->set = AVEC_OV_VLAN | AVEC_OV_WINDOWS;
	o->v.vlan = 25;
	ck_assert_int_eq(avec_windows_parse("mon-fri 08:00-17:00", o->v.windows,
					    &o->v.nwindows, msg, sizeof(msg)), 0);
	o = add_ov(&doc, AVEC_SCOPE_ACCOUNT, "alice", -1);
	o->set = AVEC_OV_MAX_DEVICES;
	o->v.max_devices = 1;
	ck_assert_msg(avec_store_policy_replace(st, &doc, &err) == 0, "%s", err.msg);
}

START_TEST(document_round_trip_and_all_or_nothing)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_policy_doc doc, back;
	char msg[64];

	memset(&doc, 0, sizeof(doc));
	doc.roles[AVEC_ROLE_STUDENT].defined = true;
	doc.roles[AVEC_ROLE_STUDENT].vlan = 20;
	doc.roles[AVEC_ROLE_STUDENT].max_devices = 2;
	doc.roles[AVEC_ROLE_STUDENT].allowed_creds = AVEC_CRED_ALL;
	doc.roles[AVEC_ROLE_STUDENT].lifetime_until = 831;
	ck_assert_int_eq(avec_windows_parse("mon-fri 07:30-18:00",
		doc.roles[AVEC_ROLE_STUDENT].windows,
		&doc.roles[AVEC_ROLE_STUDENT].nwindows, msg, sizeof(msg)), 0);
	doc.nholidays = 1;
	doc.holidays[0].first = 20261219;
	doc.holidays[0].last = 20270103;
	strcpy(doc.holiday_names[0], "Noël");
	ck_assert_msg(avec_store_policy_replace(st, &doc, &err) == 0, "%s", err.msg);

	ck_assert_int_eq(avec_store_policy_doc(st, &back, &err), 0);
	ck_assert(back.roles[AVEC_ROLE_STUDENT].defined);
	ck_assert(!back.roles[AVEC_ROLE_TEACHER].defined);	/* replaced: gone */
	ck_assert_int_eq(back.roles[AVEC_ROLE_STUDENT].lifetime_until, 831);
	ck_assert_int_eq(back.roles[AVEC_ROLE_STUDENT].nwindows, 1);
	ck_assert_int_eq(back.roles[AVEC_ROLE_STUDENT].windows[0].start, 450);
	ck_assert_int_eq(back.nholidays, 1);
	ck_assert_str_eq(back.holiday_names[0], "Noël");
	ck_assert_int_eq(back.roles[AVEC_ROLE_STUDENT].nholidays, 1);
	avec_policy_doc_clear(&back);

	/* one bad override: refused whole, the policy stays as it was */
	doc.roles[AVEC_ROLE_TEACHER] = doc.roles[AVEC_ROLE_STUDENT];
	add_ov(&doc, AVEC_SCOPE_GROUP, "TS2", -1)->set = AVEC_OV_VLAN;
	doc.overrides[0].v.vlan = 5000;
	ck_assert_int_eq(avec_store_policy_replace(st, &doc, &err), -1);
	ck_assert_msg(strstr(err.msg, "override 1 (group TS2)") &&
		      strstr(err.msg, "5000"), "%s", err.msg);
	ck_assert_int_eq(avec_store_policy_doc(st, &back, &err), 0);
	ck_assert(!back.roles[AVEC_ROLE_TEACHER].defined);
	ck_assert_int_eq(back.noverrides, 0);
	avec_policy_doc_clear(&back);
	avec_store_close(st);
}
END_TEST

START_TEST(overrides_by_school_group_and_account)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	const char *school[] = { "0450822X" }, *group[] = { "1AQUA" };
	struct avec_account_rec a;
	struct avec_index *idx;
	struct avec_lookup l;
	struct avec_policy p;
	char u_alice[64], u_carol[64], u_dan[64], u_bob[64];

	memset(&a, 0, sizeof(a));
	a.a.role = AVEC_ROLE_STUDENT;
	strcpy(a.a.principal, "carol");
	ck_assert_int_eq(avec_store_account_put(st, &a, 1, NULL, &err), 0);
	strcpy(a.a.principal, "dan");
	ck_assert_int_eq(avec_store_account_put(st, &a, 1, NULL, &err), 0);
	overrides(st);
	/* alice: school + group + her own; carol: school only; dan: nothing */
	ck_assert_int_eq(avec_store_account_memberships(st, "alice", school, 1,
							group, 1, &err), 0);
	ck_assert_int_eq(avec_store_account_memberships(st, "carol", school, 1,
							NULL, 0, &err), 0);
	ck_assert_int_eq(avec_store_account_memberships(st, "bob", school, 1,
							group, 1, &err), 0);
	ck_assert_int_gt(unit_device(st, "alice", AVEC_CRED_TTLS, "x", u_alice, MON_1000), 0);
	ck_assert_int_eq(unit_device(st, "alice", AVEC_CRED_TTLS, "x", NULL, MON_1000),
			 -AVEC_STORE_QUOTA);	/* her own max_devices 1 */
	ck_assert_int_gt(unit_device(st, "carol", AVEC_CRED_TTLS, "x", u_carol, MON_1000), 0);
	ck_assert_int_gt(unit_device(st, "dan", AVEC_CRED_TTLS, "x", u_dan, MON_1000), 0);
	ck_assert_int_gt(unit_device(st, "bob", AVEC_CRED_TTLS, "x", u_bob, MON_1000), 0);

	ck_assert_int_eq(avec_store_policy_effective(st, "alice", &p, &err), 0);
	ck_assert_int_eq(p.vlan, 25);		/* the group wins over the school */
	ck_assert_int_eq(p.max_devices, 1);
	ck_assert_int_eq(p.nwindows, 1);
	ck_assert_int_eq(avec_store_policy_effective(st, "nobody", &p, &err),
			 AVEC_STORE_NOTFOUND);

	idx = avec_index_open(unit_path("avec.db"), 0, &err);
	ck_assert_msg(idx != NULL, "%s", err.msg);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u_alice,
		strlen(u_alice), MON_1000, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 25);
	ck_assert_int_eq(l.verdict.session_timeout, 7 * 3600);	/* group window */
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u_alice,
		strlen(u_alice), MON_1000 + 8 * 3600, &l), AVEC_REJECT_OUTSIDE_HOURS);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u_carol,
		strlen(u_carol), MON_1000, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 22);	/* school, students only */
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u_dan,
		strlen(u_dan), MON_1000, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 20);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u_bob,
		strlen(u_bob), MON_1000, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 25);	/* teacher: group (all roles) */

	/* leaving the class (an empty list; NULL would keep the groups)
	 * takes effect at the next refresh */
	ck_assert_int_eq(avec_store_account_memberships(st, "alice", NULL, 0,
							group, 0, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u_alice,
		strlen(u_alice), MON_1000, &l), AVEC_ACCEPT);
	ck_assert_int_eq(l.verdict.vlan, 22);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(blocks_refuse_and_release)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_index *idx;
	struct avec_lookup l;
	char u[64], id[24];
	int64_t dev = unit_device(st, "alice", AVEC_CRED_PEAP, "x", u, MON_1000);

	idx = avec_index_open(unit_path("avec.db"), 0, &err);
	ck_assert_msg(idx != NULL, "%s", err.msg);
	snprintf(id, sizeof(id), "%lld", (long long)dev);
	ck_assert_int_eq(avec_store_block(st, AVEC_BLOCK_DEVICE, id, "stolen", 1, &err), 0);
	ck_assert_int_eq(avec_store_block(st, AVEC_BLOCK_DEVICE, id, "", 1, &err),
			 AVEC_STORE_EXISTS);
	ck_assert_int_eq(avec_store_block(st, AVEC_BLOCK_DEVICE, "x1", "", 1, &err), -1);
	ck_assert_int_eq(avec_store_block(st, AVEC_BLOCK_ACCOUNT, "a b", "", 1, &err), -1);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u, strlen(u),
		MON_1000, &l), AVEC_REJECT_DEVICE_BLOCKED);
	ck_assert_int_eq(avec_store_unblock(st, AVEC_BLOCK_DEVICE, id, &err), 0);
	ck_assert_int_eq(avec_store_unblock(st, AVEC_BLOCK_DEVICE, id, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_store_block(st, AVEC_BLOCK_ACCOUNT, "alice", "", 1, &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u, strlen(u),
		MON_1000, &l), AVEC_REJECT_ACCOUNT_BLOCKED);
	ck_assert_int_eq(avec_store_unblock(st, AVEC_BLOCK_ACCOUNT, "alice", &err), 0);
	ck_assert_int_eq(avec_index_refresh(idx, &err), 1);
	ck_assert_int_eq(avec_index_decide(idx, AVEC_KEY_USERNAME, u, strlen(u),
		MON_1000, &l), AVEC_ACCEPT);
	avec_index_close(idx);
	avec_store_close(st);
}
END_TEST

START_TEST(lifetime_until_a_date_at_registration)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_device_rec d;
	struct avec_policy p;
	int64_t id;

	ck_assert_int_eq(avec_store_policy_get(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	p.lifetime_until = 831;
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), 0);
	id = unit_device(st, "alice", AVEC_CRED_TTLS, "x", NULL, MON_1000);
	ck_assert_int_gt(id, 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_int_eq(d.d.expires_at, 1819749600);	/* 2027-09-01 00:00 Paris */
	p.lifetime_until = 230;				/* 30 February */
	ck_assert_int_eq(avec_store_policy_set(st, AVEC_ROLE_STUDENT, &p, &err), -1);
	avec_store_close(st);
}
END_TEST

Suite *
rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("stored");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, document_round_trip_and_all_or_nothing);
	tcase_add_test(tc, overrides_by_school_group_and_account);
	tcase_add_test(tc, blocks_refuse_and_release);
	tcase_add_test(tc, lifetime_until_a_date_at_registration);
	suite_add_tcase(s, tc);
	return s;
}
