/*
 * check_addr.c - address bindings folded in the store (lib/store_addr.c):
 * a lease found at an instant and not outside it, a renewal that extends,
 * the same frame twice, another MAC taking the address, release, NAK,
 * expiry, a DAD claim against a holder, one bridge against another; the
 * holder from the MAC's RADIUS session (also when the session comes
 * second), a Stop that ends the bindings and a roam that binds them
 * again; and the bindings under erasure and retention.
 */
#include <stdio.h>
#include <string.h>

#include "avec/addr.h"
#include "avec/connlog.h"
#include "unit.h"

#define T0	1800000000
#define DAY	86400
#define ND_LIFE	3600

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static struct avec_addr_rec
ev4(enum avec_addr_op op, const uint8_t *mac, int last, uint32_t lease,
    int64_t at)
{
	struct avec_addr_rec r;

	memset(&r, 0, sizeof(r));
	r.ev.op = op;
	r.ev.source = AVEC_ADDR_DHCP4;
	r.ev.family = 4;
	memcpy(r.ev.mac, mac, 6);
	r.ev.addr[0] = 10;
	r.ev.addr[1] = 20;
	r.ev.addr[3] = (uint8_t)last;
	r.ev.lifetime = lease;
	strcpy(r.bridge, "br-student");
	r.vlan = 20;
	r.at = at;
	return r;
}

static void
put(struct avec_store *st, struct avec_addr_rec r)
{
	struct avec_err err = { "" };

	ck_assert_msg(avec_store_addr_apply(st, &r, 1, ND_LIFE, &err) == 0,
		      "%s", err.msg);
}

struct seen {
	int n;
	struct avec_binding_rec last;
};

static int
seen_one(const struct avec_binding_rec *b, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->last = *b;
	return 0;
}

static struct seen
at(struct avec_store *st, const char *ip, int64_t t)
{
	struct avec_err err = { "" };
	struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_msg(avec_store_binding_query(st, ip, NULL, t, 0, seen_one, &s,
					       &err) == 0, "%s", err.msg);
	return s;
}

static struct seen
of(struct avec_store *st, const char *who)
{
	struct avec_err err = { "" };
	struct seen s;

	memset(&s, 0, sizeof(s));
	ck_assert_msg(avec_store_binding_query(st, NULL, who, 0, 0, seen_one, &s,
					       &err) == 0, "%s", err.msg);
	return s;
}

static int64_t
rows(struct avec_store *st)
{
	return of(st, "").n + of(st, "alice").n + of(st, "bob").n;
}

static void
acct(struct avec_store *st, enum avec_acct_kind kind, const char *sid,
     int64_t dev, const char *mac, int64_t t)
{
	struct avec_err err = { "" };
	struct avec_acct a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	strcpy(a.nas_address, "192.0.2.1");
	snprintf(a.session_id, sizeof(a.session_id), "%s", sid);
	a.device_id = dev;
	snprintf(a.mac, sizeof(a.mac), "%s", mac);
	a.event_time = t;
	a.started_at = t;
	ck_assert_msg(avec_store_acct_apply(st, &a, 1, &err) == 0, "%s", err.msg);
}

START_TEST(lease_found_at_its_instant)
{
	struct avec_store *st = unit_store();
	struct seen s;

	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0));
	s = at(st, "10.20.0.50", T0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.last.mac, "02:00:00:00:00:0a");
	ck_assert_str_eq(s.last.source, "dhcp");
	ck_assert_str_eq(s.last.bridge, "br-student");
	ck_assert_int_eq(s.last.vlan, 20);
	ck_assert_int_eq(s.last.family, 4);
	ck_assert_int_eq(s.last.bound_at, T0);
	ck_assert_int_eq(s.last.expires_at, T0 + 3600);
	ck_assert_int_eq(s.last.ended_at, 0);
	ck_assert_int_eq(at(st, "10.20.0.50", T0 - 1).n, 0);
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 3599).n, 1);
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 3600).n, 0);
	ck_assert_int_eq(at(st, "10.20.0.51", T0).n, 0);
	/* renewed at half time: the same binding, further */
	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0 + 1800));
	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0 + 1800));	/* twice */
	s = at(st, "10.20.0.50", T0 + 5000);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.last.bound_at, T0);
	ck_assert_int_eq(s.last.seen_at, T0 + 1800);
	ck_assert_int_eq(s.last.expires_at, T0 + 5400);
	ck_assert_int_eq(rows(st), 1);
	avec_store_close(st);
}
END_TEST

START_TEST(another_mac_ends_the_binding)
{
	struct avec_store *st = unit_store();
	struct seen s;

	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0));
	put(st, ev4(AVEC_ADDR_BIND, MAC_B, 50, 3600, T0 + 100));
	s = at(st, "10.20.0.50", T0 + 99);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.last.mac, "02:00:00:00:00:0a");
	ck_assert_int_eq(s.last.ended_at, T0 + 100);
	ck_assert_str_eq(s.last.end_cause, "replaced");
	s = at(st, "10.20.0.50", T0 + 100);	/* exactly one at the handover */
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.last.mac, "02:00:00:00:00:0b");
	/* the same address on another bridge is another binding */
	{
		struct avec_addr_rec r = ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0 + 200);

		strcpy(r.bridge, "br-staff");
		put(st, r);
	}
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 300).n, 2);
	avec_store_close(st);
}
END_TEST

START_TEST(release_nak_decline_expiry)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	uint64_t ended = 9;
	struct seen s;

	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0));
	/* another station's release does nothing */
	put(st, ev4(AVEC_ADDR_RELEASE, MAC_B, 50, 0, T0 + 10));
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 20).n, 1);
	put(st, ev4(AVEC_ADDR_RELEASE, MAC_A, 50, 0, T0 + 60));
	s = at(st, "10.20.0.50", T0 + 59);
	ck_assert_int_eq(s.last.ended_at, T0 + 60);
	ck_assert_str_eq(s.last.end_cause, "release");
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 60).n, 0);

	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 51, 3600, T0 + 100));
	put(st, ev4(AVEC_ADDR_NAK, MAC_A, 0, 0, T0 + 200));
	s = at(st, "10.20.0.51", T0 + 150);
	ck_assert_str_eq(s.last.end_cause, "nak");
	ck_assert_int_eq(s.last.ended_at, T0 + 200);

	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 52, 3600, T0 + 300));
	put(st, ev4(AVEC_ADDR_DECLINE, MAC_A, 52, 0, T0 + 301));
	ck_assert_str_eq(at(st, "10.20.0.52", T0 + 300).last.end_cause, "decline");

	/* a lease that ran out ends at its expiry, before the next holder */
	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 53, 100, T0));
	put(st, ev4(AVEC_ADDR_BIND, MAC_B, 53, 100, T0 + 500));
	s = at(st, "10.20.0.53", T0 + 50);
	ck_assert_int_eq(s.last.ended_at, T0 + 100);
	ck_assert_str_eq(s.last.end_cause, "expiry");
	ck_assert_int_eq(at(st, "10.20.0.53", T0 + 200).n, 0);
	/* the sweep ends what ran out, at its expiry */
	ck_assert_int_eq(avec_store_addr_expire(st, T0 + 700, &ended, &err), 0);
	ck_assert_uint_eq(ended, 1);
	s = at(st, "10.20.0.53", T0 + 550);
	ck_assert_int_eq(s.last.ended_at, T0 + 600);
	ck_assert_str_eq(s.last.end_cause, "expiry");
	avec_store_close(st);
}
END_TEST

START_TEST(neighbour_discovery)
{
	struct avec_store *st = unit_store();
	struct avec_addr_rec r;
	struct seen s;

	memset(&r, 0, sizeof(r));
	r.ev.source = AVEC_ADDR_ND;
	r.ev.family = 6;
	r.ev.addr[0] = 0x20;
	r.ev.addr[1] = 0x01;
	r.ev.addr[15] = 7;
	strcpy(r.bridge, "br-student");
	/* A's DAD, then B's DAD for the same address: A defends it */
	r.ev.op = AVEC_ADDR_CLAIM;
	memcpy(r.ev.mac, MAC_A, 6);
	r.at = T0;
	put(st, r);
	memcpy(r.ev.mac, MAC_B, 6);
	r.at = T0 + 10;
	put(st, r);
	s = at(st, "2001::7", T0 + 20);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.last.mac, "02:00:00:00:00:0a");
	ck_assert_str_eq(s.last.source, "nd");
	ck_assert_int_eq(s.last.family, 6);
	ck_assert_int_eq(s.last.expires_at, T0 + ND_LIFE);
	/* A answers again later: extended from that frame */
	memcpy(r.ev.mac, MAC_A, 6);
	r.ev.op = AVEC_ADDR_USE;
	r.at = T0 + 1000;
	put(st, r);
	ck_assert_int_eq(at(st, "2001::7", T0 + 1000 + ND_LIFE - 1).n, 1);
	/* B advertises it as its own: it has taken it, the log says so */
	memcpy(r.ev.mac, MAC_B, 6);
	r.at = T0 + 2000;
	put(st, r);
	s = at(st, "2001::7", T0 + 1999);
	ck_assert_str_eq(s.last.end_cause, "replaced");
	s = at(st, "2001::7", T0 + 2000);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.last.mac, "02:00:00:00:00:0b");
	avec_store_close(st);
}
END_TEST

START_TEST(holder_from_the_session)
{
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	int64_t dev2 = unit_device(st, "bob", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct seen s;

	/* the session first: the binding names alice's device */
	acct(st, AVEC_ACCT_START, "s1", dev, "02:00:00:00:00:0a", T0);
	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0 + 5));
	s = at(st, "10.20.0.50", T0 + 10);
	ck_assert_str_eq(s.last.principal, "alice");
	ck_assert_int_eq(s.last.device_id, dev);
	ck_assert_int_ne(s.last.account_id, 0);
	ck_assert_int_ne(s.last.session_id, 0);
	ck_assert_str_eq(s.last.device_name, "device of alice");
	/* the address first, the session after: it is filled in */
	put(st, ev4(AVEC_ADDR_BIND, MAC_B, 60, 3600, T0));
	ck_assert_str_eq(at(st, "10.20.0.60", T0 + 1).last.principal, "");
	acct(st, AVEC_ACCT_START, "s2", dev2, "02:00:00:00:00:0b", T0 + 2);
	s = at(st, "10.20.0.60", T0 + 3);
	ck_assert_str_eq(s.last.principal, "bob");
	ck_assert_int_eq(s.last.device_id, dev2);

	/* alice's session stops: her binding ends with it */
	acct(st, AVEC_ACCT_STOP, "s1", dev, "02:00:00:00:00:0a", T0 + 100);
	s = at(st, "10.20.0.50", T0 + 99);
	ck_assert_int_eq(s.last.ended_at, T0 + 100);
	ck_assert_str_eq(s.last.end_cause, "session-stop");
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 100).n, 0);
	/* she roams to another access point within the lease: bound again */
	acct(st, AVEC_ACCT_START, "s3", dev, "02:00:00:00:00:0a", T0 + 103);
	s = at(st, "10.20.0.50", T0 + 103);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.last.bound_at, T0 + 103);
	ck_assert_int_eq(s.last.expires_at, T0 + 5 + 3600);
	ck_assert_str_eq(s.last.principal, "alice");
	/* an Interim of that session binds nothing more */
	acct(st, AVEC_ACCT_INTERIM, "s3", dev, "02:00:00:00:00:0a", T0 + 200);
	ck_assert_int_eq(of(st, "alice").n, 2);
	avec_store_close(st);
}
END_TEST

START_TEST(erasure_and_retention)
{
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_purge_stats ps;
	struct avec_err err = { "" };
	struct seen s;

	acct(st, AVEC_ACCT_START, "s1", dev, "02:00:00:00:00:0a", T0);
	put(st, ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0));
	put(st, ev4(AVEC_ADDR_RELEASE, MAC_A, 50, 0, T0 + 60));
	ck_assert_int_eq(avec_store_account_erase(st, "alice", NULL, &err), 0);
	s = at(st, "10.20.0.50", T0 + 30);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.last.principal, "alice");	/* the law keeps it */
	ck_assert_int_eq(s.last.device_id, 0);
	ck_assert_int_eq(s.last.account_id, 0);
	/* a year after its end: kept; a second more: gone */
	ck_assert_int_eq(avec_store_purge(st, T0 + 60 + 365 * DAY, &ps, &err), 0);
	ck_assert_uint_eq(ps.bindings, 0);
	ck_assert_int_eq(avec_store_purge(st, T0 + 61 + 365 * DAY, &ps, &err), 0);
	ck_assert_uint_eq(ps.bindings, 1);
	ck_assert_int_eq(at(st, "10.20.0.50", T0 + 30).n, 0);
	/* a binding still held is purged a year after its expiry */
	put(st, ev4(AVEC_ADDR_BIND, MAC_B, 70, 3600, T0));
	ck_assert_int_eq(avec_store_purge(st, T0 + 3600 + 365 * DAY, &ps, &err), 0);
	ck_assert_uint_eq(ps.bindings, 0);
	ck_assert_int_eq(avec_store_purge(st, T0 + 3601 + 365 * DAY, &ps, &err), 0);
	ck_assert_uint_eq(ps.bindings, 1);
	avec_store_close(st);
}
END_TEST

START_TEST(a_batch_is_one_transaction)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_addr_rec r[3];

	r[0] = ev4(AVEC_ADDR_BIND, MAC_A, 50, 3600, T0);
	r[1] = ev4(AVEC_ADDR_BIND, MAC_B, 51, 3600, T0);
	r[2] = r[1];
	r[2].ev.family = 5;		/* no such family: the batch fails */
	ck_assert_int_eq(avec_store_addr_apply(st, r, 3, ND_LIFE, &err), -1);
	ck_assert_int_eq(rows(st), 0);
	ck_assert_int_eq(avec_store_addr_apply(st, r, 2, ND_LIFE, &err), 0);
	ck_assert_int_eq(rows(st), 2);
	avec_store_close(st);
}
END_TEST

Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("bindings");

	tcase_add_test(tc, lease_found_at_its_instant);
	tcase_add_test(tc, another_mac_ends_the_binding);
	tcase_add_test(tc, release_nak_decline_expiry);
	tcase_add_test(tc, neighbour_discovery);
	tcase_add_test(tc, holder_from_the_session);
	tcase_add_test(tc, erasure_and_retention);
	tcase_add_test(tc, a_batch_is_one_transaction);
	suite_add_tcase(s, tc);
	return s;
}
