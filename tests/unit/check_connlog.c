/*
 * check_connlog.c - the connection log: accounting records folded into
 * sessions whatever their order, counters with Gigawords, Accounting-On,
 * the device found by Class or MAC, queries by address and instant,
 * retention at its exact boundaries with a fixed clock (and the bytes gone
 * from the file), erasure, settings, and the writer's acknowledged path.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/connlog.h"
#include "avec/report.h"
#include "avec/writer.h"
#include "unit.h"

#define T0	1800000000
#define DAY	86400
#define NAS	"192.0.2.1"

static struct avec_acct
rec(enum avec_acct_kind kind, const char *sid, int64_t dev, int64_t t,
    uint32_t session_time)
{
	struct avec_acct a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	strcpy(a.nas_address, NAS);
	snprintf(a.session_id, sizeof(a.session_id), "%s", sid);
	a.device_id = dev;
	a.event_time = t;
	a.started_at = t - session_time;
	return a;
}

static void
apply(struct avec_store *st, const struct avec_acct *a)
{
	struct avec_err err = { "" };

	ck_assert_msg(avec_store_acct_apply(st, a, 1, &err) == 0, "%s", err.msg);
}

struct found {
	int n;
	struct avec_session_rec last;
};

static int
found_one(const struct avec_session_rec *s, void *arg)
{
	struct found *f = arg;

	f->n++;
	f->last = *s;
	return 0;
}

static struct found
by_ip(struct avec_store *st, const char *ip, int64_t at)
{
	struct avec_err err = { "" };
	struct avec_session_query q;
	struct found f;

	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	q.ip = ip;
	q.at = at;
	ck_assert_msg(avec_store_session_query(st, &q, found_one, &f, &err) == 0,
		      "%s", err.msg);
	return f;
}

static struct found
by_principal(struct avec_store *st, const char *who)
{
	struct avec_err err = { "" };
	struct avec_session_query q;
	struct found f;

	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	q.principal = who;
	ck_assert_msg(avec_store_session_query(st, &q, found_one, &f, &err) == 0,
		      "%s", err.msg);
	return f;
}

START_TEST(start_interim_stop)
{
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_acct a;
	struct found f;

	a = rec(AVEC_ACCT_START, "s1", dev, T0, 0);
	strcpy(a.framed_ip, "10.0.0.5");
	strcpy(a.mac, "02:00:00:00:00:05");
	strcpy(a.nas_port, "7");
	apply(st, &a);
	a = rec(AVEC_ACCT_INTERIM, "s1", dev, T0 + 60, 60);
	a.input_bytes = 100;
	a.output_bytes = 200;
	apply(st, &a);
	a = rec(AVEC_ACCT_STOP, "s1", dev, T0 + 120, 120);
	a.input_bytes = 150;
	a.output_bytes = 300;
	strcpy(a.terminate_cause, "User-Request");
	apply(st, &a);

	f = by_ip(st, "10.0.0.5", T0 + 30);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.last.principal, "alice");
	ck_assert_int_eq(f.last.device_id, dev);
	ck_assert_int_ne(f.last.account_id, 0);
	ck_assert_str_eq(f.last.mac, "02:00:00:00:00:05");
	ck_assert_str_eq(f.last.nas_port, "7");
	ck_assert_int_eq(f.last.started_at, T0);
	ck_assert_int_eq(f.last.ended_at, T0 + 120);
	ck_assert_uint_eq(f.last.input_bytes, 150);
	ck_assert_uint_eq(f.last.output_bytes, 300);
	ck_assert_str_eq(f.last.terminate_cause, "User-Request");
	avec_store_close(st);
}
END_TEST

START_TEST(out_of_order_keeps_earliest_and_largest)
{
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_acct a;
	struct found f;

	/* the Stop first, then a late Interim, then the Start, then a retry */
	a = rec(AVEC_ACCT_STOP, "s2", dev, T0 + 120, 120);
	strcpy(a.framed_ip, "10.0.0.6");
	a.input_bytes = 500;
	a.output_bytes = 700;
	strcpy(a.terminate_cause, "Lost-Carrier");
	apply(st, &a);
	a = rec(AVEC_ACCT_INTERIM, "s2", dev, T0 + 60, 60);
	a.input_bytes = 100;
	a.output_bytes = 900;	/* larger: kept */
	apply(st, &a);
	a = rec(AVEC_ACCT_START, "s2", dev, T0 - 5, 0);
	apply(st, &a);
	a = rec(AVEC_ACCT_START, "s2", dev, T0 + 10, 0);	/* a late retry */
	apply(st, &a);

	f = by_principal(st, "alice");
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.last.started_at, T0 - 5);
	ck_assert_int_eq(f.last.ended_at, T0 + 120);
	ck_assert_int_eq(f.last.updated_at, T0 + 120);
	ck_assert_uint_eq(f.last.input_bytes, 500);
	ck_assert_uint_eq(f.last.output_bytes, 900);
	ck_assert_str_eq(f.last.terminate_cause, "Lost-Carrier");
	ck_assert_str_eq(f.last.framed_ip, "10.0.0.6");
	/* a Stop without a Start: its start from Acct-Session-Time */
	a = rec(AVEC_ACCT_STOP, "s3", dev, T0 + 1000, 400);
	apply(st, &a);
	f = by_principal(st, "alice");
	ck_assert_int_eq(f.n, 2);
	ck_assert_int_eq(f.last.started_at, T0 + 600);
	ck_assert_int_eq(f.last.ended_at, T0 + 1000);
	avec_store_close(st);
}
END_TEST

START_TEST(counters_carry_gigawords)
{
	struct avec_store *st = unit_store();
	struct avec_acct a;
	struct found f;
	uint64_t big = ((uint64_t)3 << 32) + 17;

	a = rec(AVEC_ACCT_INTERIM, "s4", 0, T0, 10);
	a.input_bytes = big;
	a.output_bytes = big * 2;
	strcpy(a.framed_ip, "10.0.0.7");
	apply(st, &a);
	f = by_ip(st, "10.0.0.7", T0);
	ck_assert_int_eq(f.n, 1);
	ck_assert_uint_eq(f.last.input_bytes, big);
	ck_assert_uint_eq(f.last.output_bytes, big * 2);
	ck_assert_int_eq(f.last.device_id, 0);	/* no Class, no MAC */
	ck_assert_str_eq(f.last.principal, "");
	avec_store_close(st);
}
END_TEST

START_TEST(accounting_on_closes_that_nas)
{
	struct avec_store *st = unit_store();
	struct avec_acct a;
	struct found f;

	a = rec(AVEC_ACCT_START, "o1", 0, T0, 0);
	strcpy(a.framed_ip, "10.1.0.1");
	apply(st, &a);
	a = rec(AVEC_ACCT_START, "o2", 0, T0 + 5, 0);
	strcpy(a.nas_address, "192.0.2.2");	/* another NAS */
	strcpy(a.framed_ip, "10.1.0.2");
	apply(st, &a);
	a = rec(AVEC_ACCT_NAS_ON, "", 0, T0 + 100, 0);
	apply(st, &a);

	f = by_ip(st, "10.1.0.1", T0 + 50);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.last.ended_at, T0 + 100);
	ck_assert_str_eq(f.last.terminate_cause, "NAS-Reboot");
	ck_assert_int_eq(by_ip(st, "10.1.0.1", T0 + 101).n, 0);
	f = by_ip(st, "10.1.0.2", T0 + 1000);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.last.ended_at, 0);	/* still open */
	avec_store_close(st);
}
END_TEST

START_TEST(device_by_mac_without_class)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	int64_t d1 = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	int64_t d2 = unit_device(st, "bob", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_touch t[2];
	struct avec_acct a;
	struct found f;

	memset(t, 0, sizeof(t));
	t[0].device_id = d1;
	t[0].seen_at = T0;
	strcpy(t[0].mac, "02:00:00:00:00:09");
	t[1].device_id = d2;	/* the same MAC later: the latest accept wins */
	t[1].seen_at = T0 + 10;
	strcpy(t[1].mac, "02:00:00:00:00:09");
	a = rec(AVEC_ACCT_START, "m1", 0, T0 + 20, 0);
	strcpy(a.mac, "02:00:00:00:00:09");
	strcpy(a.framed_ip, "10.2.0.1");
	ck_assert_msg(avec_store_write_batch(st, t, 2, &a, 1, &err) == 0, "%s",
		      err.msg);
	f = by_ip(st, "10.2.0.1", T0 + 20);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.last.device_id, d2);
	ck_assert_str_eq(f.last.principal, "bob");
	/* a Class wins over the MAC */
	a = rec(AVEC_ACCT_START, "m2", d1, T0 + 30, 0);
	strcpy(a.mac, "02:00:00:00:00:09");
	strcpy(a.framed_ip, "10.2.0.2");
	apply(st, &a);
	ck_assert_str_eq(by_ip(st, "10.2.0.2", T0 + 30).last.principal, "alice");
	avec_store_close(st);
}
END_TEST

START_TEST(query_by_ip_and_instant)
{
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_acct a;

	/* the same address, two sessions one after the other, then an open one */
	a = rec(AVEC_ACCT_STOP, "q1", dev, T0 + 100, 100);
	strcpy(a.framed_ip, "10.3.0.1");
	apply(st, &a);
	a = rec(AVEC_ACCT_STOP, "q2", 0, T0 + 300, 100);
	strcpy(a.framed_ip, "10.3.0.1");
	apply(st, &a);
	a = rec(AVEC_ACCT_START, "q3", dev, T0 + 500, 0);
	strcpy(a.framed_ip, "10.3.0.1");
	apply(st, &a);

	ck_assert_int_eq(by_ip(st, "10.3.0.1", T0 - 1).n, 0);
	ck_assert_int_eq(by_ip(st, "10.3.0.1", T0).n, 1);	/* start: in */
	ck_assert_str_eq(by_ip(st, "10.3.0.1", T0 + 100).last.session_id, "q1");
	ck_assert_int_eq(by_ip(st, "10.3.0.1", T0 + 101).n, 0);	/* gap */
	ck_assert_str_eq(by_ip(st, "10.3.0.1", T0 + 250).last.session_id, "q2");
	ck_assert_int_eq(by_ip(st, "10.3.0.1", T0 + 499).n, 0);
	ck_assert_str_eq(by_ip(st, "10.3.0.1", T0 + 10 * DAY).last.session_id, "q3");
	ck_assert_int_eq(by_ip(st, "10.3.0.2", T0 + 250).n, 0);
	avec_store_close(st);
}
END_TEST

/* Does the file at @path hold @needle anywhere? */
static int
file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, cap = 1 << 20, n;
	char *buf = malloc(cap);
	int found;

	if (f == NULL) {
		free(buf);
		return 0;
	}
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	found = memmem(buf, len, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

START_TEST(purge_at_the_boundaries)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_purge_stats ps;
	struct avec_device_rec d;
	struct avec_acct a;
	int64_t E = T0 + 1000, keep = 365 * (int64_t)DAY;

	a = rec(AVEC_ACCT_STOP, "p1", dev, E, 1000);
	strcpy(a.framed_ip, "10.98.76.54");
	apply(st, &a);
	a = rec(AVEC_ACCT_INTERIM, "p2", dev, E + 50, 10);	/* open */
	strcpy(a.framed_ip, "10.98.76.55");
	apply(st, &a);
	/* bob leaves at E; his account goes after 1825 days */
	ck_assert_int_eq(avec_store_account_set_status(st, "bob", AVEC_ACCOUNT_LEFT,
						       E, &err), 0);

	ck_assert_int_eq(avec_store_purge(st, E + keep, &ps, &err), 0);
	ck_assert_uint_eq(ps.sessions, 0);		/* exactly a year: kept */
	ck_assert_int_eq(avec_store_purge(st, E + keep + 1, &ps, &err), 0);
	ck_assert_uint_eq(ps.sessions, 1);		/* one second more: gone */
	ck_assert_int_eq(by_ip(st, "10.98.76.54", E).n, 0);
	ck_assert_int_eq(by_ip(st, "10.98.76.55", E + 50).n, 1);
	ck_assert_int_eq(avec_store_purge(st, E + 50 + keep + 1, &ps, &err), 0);
	ck_assert_uint_eq(ps.sessions, 1);		/* open: by last update */
	ck_assert_uint_eq(ps.accounts, 0);
	avec_store_close(st);
	/* the bytes are gone from the files, not only unlinked */
	ck_assert(!file_has(unit_path("avec.db"), "10.98.76.54"));
	ck_assert(!file_has(unit_path("avec.db"), "10.98.76.55"));
	ck_assert(!file_has(unit_path("avec.db-wal"), "10.98.76.54"));

	st = avec_store_open(unit_path("avec.db"), 0, &err);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(avec_store_purge(st, E + 1825 * (int64_t)DAY, &ps, &err), 0);
	ck_assert_uint_eq(ps.accounts, 0);
	ck_assert_int_eq(avec_store_purge(st, E + 1825 * (int64_t)DAY + 1, &ps, &err), 0);
	ck_assert_uint_eq(ps.accounts, 1);		/* bob, who left */
	ck_assert_uint_eq(ps.devices, 0);
	ck_assert_int_eq(avec_store_device_get(st, dev, &d, &err), 0);	/* alice stays */
	ck_assert_int_eq(avec_store_setting_set(st, "log_retention_days", 30, &err), 0);
	avec_store_close(st);
}
END_TEST

START_TEST(erase_keeps_the_log)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_account_rec ar;
	struct avec_device_rec d;
	struct avec_acct a;
	struct found f;
	struct avec_erasure er;

	a = rec(AVEC_ACCT_STOP, "e1", dev, T0 + 100, 100);
	strcpy(a.framed_ip, "10.4.0.1");
	apply(st, &a);
	ck_assert_int_eq(avec_store_account_erase(st, "alice", &er, &err), 0);
	ck_assert_uint_eq(er.devices, 1);
	ck_assert_int_eq(avec_store_account_get(st, "alice", &ar, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_store_device_get(st, dev, &d, &err),
			 AVEC_STORE_NOTFOUND);
	f = by_ip(st, "10.4.0.1", T0 + 50);
	ck_assert_int_eq(f.n, 1);
	ck_assert_str_eq(f.last.principal, "alice");	/* the law's record */
	ck_assert_int_eq(f.last.account_id, 0);
	ck_assert_int_eq(f.last.device_id, 0);
	ck_assert_int_eq(avec_store_account_erase(st, "alice", NULL, &err),
			 AVEC_STORE_NOTFOUND);
	avec_store_close(st);
}
END_TEST

static void
audit_row(struct avec_store *st, const char *actor, const char *action,
	  const char *target, const char *detail)
{
	struct avec_err err = { "" };
	struct avec_audit_rec a;

	memset(&a, 0, sizeof(a));
	a.at = T0;
	snprintf(a.actor, sizeof(a.actor), "%s", actor);
	snprintf(a.origin, sizeof(a.origin), "cli");
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.target, sizeof(a.target), "%s", target);
	snprintf(a.detail, sizeof(a.detail), "%s", detail);
	snprintf(a.outcome, sizeof(a.outcome), "ok");
	ck_assert_int_eq(avec_store_audit_add(st, &a, &err), 0);
}

struct rows {
	int n;
	char line[8][600];	/* "actor|action|target|detail" */
};

static int
row_of(const struct avec_audit_rec *a, void *arg)
{
	struct rows *r = arg;

	if (r->n < 8)
		snprintf(r->line[r->n], sizeof(r->line[0]), "%.60s|%.40s|%.60s|%.300s",
			 a->actor, a->action, a->target, a->detail);
	r->n++;
	return 0;
}

/*
 * Erasure pseudonymises the person's audit rows (by principal, as actor
 * or target, and by their devices), and an export lists those rows.
 */
START_TEST(erase_pseudonymises_the_audit_trail)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	int64_t dev = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_account_rec ar;
	struct avec_erasure er, er2;
	struct rows r;
	char t[32];

	ck_assert_int_eq(avec_store_account_get(st, "alice", &ar, &err), 0);
	snprintf(ar.display_name, sizeof(ar.display_name), "Alice Liddell");
	ck_assert_int_eq(avec_store_account_put(st, &ar, T0, NULL, &err), 0);
	snprintf(t, sizeof(t), "%" PRId64, dev);
	audit_row(st, "root", "account add", "alice",
		  "--role student --name Alice Liddell --role student");
	audit_row(st, "root", "device add", "alice",
		  "--name device of alice --type ttls --mac 02:00:00:00:0a:01");
	audit_row(st, "alice", "portal device add", "alice", "ttls device 1");
	audit_row(st, "root", "device revoke", t, "--reason lost by Alice Liddell");
	audit_row(st, "root", "block add", "account alice", "--reason alice again");
	audit_row(st, "root", "account add", "bob", "--name Alice Liddell");

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(avec_store_account_audit(st, "alice", row_of, &r, &err), 0);
	ck_assert_int_eq(r.n, 5);	/* not bob's */

	ck_assert_int_eq(avec_store_account_erase(st, "alice", &er, &err), 0);
	ck_assert_str_eq(er.pseudonym, "erased-1");
	ck_assert_uint_eq(er.audit_rows, 5);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(avec_store_audit_list(st, 0, row_of, &r, &err), 0);
	ck_assert_int_eq(r.n, 6);
	ck_assert_str_eq(r.line[0], "root|account add|erased-1|--role student "
			 "--name [erased] --role student");
	ck_assert_str_eq(r.line[1], "root|device add|erased-1|--name [erased] "
			 "--type ttls --mac [erased]");
	ck_assert_str_eq(r.line[2], "erased-1|portal device add|erased-1|ttls "
			 "device 1");
	ck_assert_msg(strstr(r.line[3], "|device revoke|") != NULL &&
		      strstr(r.line[3], "|--reason lost by [erased]") != NULL,
		      "%s", r.line[3]);
	ck_assert_str_eq(r.line[4], "root|block add|account erased-1|--reason "
			 "erased-1 again");
	/* another person's row is theirs: untouched */
	ck_assert_str_eq(r.line[5], "root|account add|bob|--name Alice Liddell");

	/* nothing left under the principal; the next erasure is another */
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(avec_store_account_audit(st, "alice", row_of, &r, &err), 0);
	ck_assert_int_eq(r.n, 0);
	ck_assert_int_eq(avec_store_account_erase(st, "bob", &er2, &err), 0);
	ck_assert_str_eq(er2.pseudonym, "erased-2");
	avec_store_close(st);
}
END_TEST

START_TEST(settings_are_bounded)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	int64_t v = 0;

	ck_assert_int_eq(avec_store_setting_get(st, "log_retention_days", &v, &err), 0);
	ck_assert_int_eq(v, 365);
	ck_assert_int_eq(avec_store_setting_get(st, "account_retention_days", &v, &err), 0);
	ck_assert_int_eq(v, 1825);
	ck_assert_int_eq(avec_store_setting_set(st, "log_retention_days", 0, &err), -1);
	ck_assert(strstr(err.msg, "between 1 and 3650") != NULL);
	ck_assert_int_eq(avec_store_setting_set(st, "log_retention_days", 3651, &err), -1);
	ck_assert_int_eq(avec_store_setting_set(st, "nope", 1, &err), AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_store_setting_set(st, "log_retention_days", 400, &err), 0);
	ck_assert_int_eq(avec_store_setting_get(st, "log_retention_days", &v, &err), 0);
	ck_assert_int_eq(v, 400);
	avec_store_close(st);
}
END_TEST

START_TEST(writer_acknowledges_after_commit)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_writer_stats ws;
	struct avec_writer *w;
	struct avec_acct a;
	sqlite3 *lockdb;
	int i, full = 0;

	w = avec_writer_start(unit_path("avec.db"), 16, 1000, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	a = rec(AVEC_ACCT_START, "w1", 0, T0, 0);
	strcpy(a.framed_ip, "10.5.0.1");
	ck_assert_int_eq(avec_writer_acct(w, &a, 2000), AVEC_WRITER_COMMITTED);
	/* committed means visible to another connection, at once */
	ck_assert_int_eq(by_ip(st, "10.5.0.1", T0).n, 1);

	/* a held write lock: the record is not acknowledged in time */
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &lockdb), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(lockdb, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);
	a = rec(AVEC_ACCT_START, "w2", 0, T0, 0);
	strcpy(a.framed_ip, "10.5.0.2");
	ck_assert_int_eq(avec_writer_acct(w, &a, 200), AVEC_WRITER_TIMEOUT);
	/* touches cannot take the room accounting needs: past half the
	 * ring they are dropped, and the accounting record still queues (and,
	 * the lock being held, times out rather than being refused) */
	for (i = 0; i < 64; i++) {
		struct avec_touch t = { .device_id = i + 1, .seen_at = T0 };

		avec_writer_touch(w, &t);
	}
	a = rec(AVEC_ACCT_START, "w3", 0, T0, 0);
	full = avec_writer_acct(w, &a, 100);
	ck_assert_int_eq(full, AVEC_WRITER_TIMEOUT);
	sqlite3_exec(lockdb, "ROLLBACK", 0, 0, 0);
	sqlite3_close(lockdb);
	avec_writer_flush(w);
	/* the timed-out record was committed later: the NAS's retry is a no-op */
	ck_assert_int_eq(by_ip(st, "10.5.0.2", T0).n, 1);
	avec_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.acct_timeouts, 2);
	ck_assert_uint_eq(ws.acct_refused, 0);
	ck_assert_uint_gt(ws.dropped, 0);	/* the touches past half the ring */
	ck_assert_uint_ge(ws.acct_committed, 2);
	avec_writer_stop(w);
	avec_store_close(st);
}
END_TEST

Suite *
connlog_suite(void)
{
	Suite *s = suite_create("connlog");
	TCase *tc = tcase_create("sessions");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, start_interim_stop);
	tcase_add_test(tc, out_of_order_keeps_earliest_and_largest);
	tcase_add_test(tc, counters_carry_gigawords);
	tcase_add_test(tc, accounting_on_closes_that_nas);
	tcase_add_test(tc, device_by_mac_without_class);
	tcase_add_test(tc, query_by_ip_and_instant);
	tcase_add_test(tc, purge_at_the_boundaries);
	tcase_add_test(tc, erase_keeps_the_log);
	tcase_add_test(tc, erase_pseudonymises_the_audit_trail);
	tcase_add_test(tc, settings_are_bounded);
	tcase_add_test(tc, writer_acknowledges_after_commit);
	suite_add_tcase(s, tc);
	return s;
}
