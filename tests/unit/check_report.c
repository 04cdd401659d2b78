/*
 * check_report.c - the reports and the audit trail: outcome counters per
 * hour and reason (exact under concurrent counting and harvesting), their
 * upsert into auth_stats and the period report's hour boundaries, devices
 * counted by role / class / status / school, open sessions only, the
 * audit trail in order, from an instant and purged with the connection
 * log after log_retention_days, and the writer's periodic job
 * (run on its thread, and once more at stop).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "avec/connlog.h"
#include "avec/report.h"
#include "avec/writer.h"
#include "unit.h"

#define H0	500000			/* a UTC hour */
#define T0	((int64_t)H0 * 3600)	/* its first second */

struct kv {
	int n;
	char key[8][64];
	uint64_t count[8], active[8];
};

static int
kv_add(const char *key, uint64_t count, uint64_t active, void *ctx)
{
	struct kv *k = ctx;

	ck_assert_int_lt(k->n, 8);
	snprintf(k->key[k->n], sizeof(k->key[0]), "%s", key);
	k->count[k->n] = count;
	k->active[k->n] = active;
	k->n++;
	return 0;
}

static uint64_t
sum_of(const struct avec_auth_stat *rows, unsigned n, int64_t hour,
       enum avec_reason r)
{
	uint64_t s = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		if (rows[i].hour == hour && rows[i].reason == r)
			s += rows[i].count;
	return s;
}

START_TEST(counter_hours_and_reasons)
{
	static struct avec_auth_counter c;
	struct avec_auth_stat rows[AVEC_AUTH_HARVEST_MAX];
	unsigned n;

	memset(&c, 0, sizeof(c));
	avec_auth_count(&c, T0, AVEC_ACCEPT);
	avec_auth_count(&c, T0 + 3599, AVEC_ACCEPT);
	avec_auth_count(&c, T0 + 10, AVEC_REJECT_WRONG_SECRET);
	avec_auth_count(&c, T0 + 3600, AVEC_REJECT_DEVICE_REVOKED);
	avec_auth_count(&c, T0, AVEC_REASON__COUNT);	/* ignored */
	n = avec_auth_harvest(&c, rows);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(sum_of(rows, n, H0, AVEC_ACCEPT), 2);
	ck_assert_uint_eq(sum_of(rows, n, H0, AVEC_REJECT_WRONG_SECRET), 1);
	ck_assert_uint_eq(sum_of(rows, n, H0 + 1, AVEC_REJECT_DEVICE_REVOKED), 1);
	ck_assert_uint_eq(avec_auth_harvest(&c, rows), 0);	/* taken */
	/* four hours later the first slot is reused for the new hour */
	avec_auth_count(&c, T0 + 4 * 3600, AVEC_ACCEPT);
	/* and a late timestamp of the old hour goes to the totals only */
	avec_auth_count(&c, T0, AVEC_ACCEPT);
	n = avec_auth_harvest(&c, rows);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(sum_of(rows, n, H0 + 4, AVEC_ACCEPT), 1);
	ck_assert_uint_eq(c.total[AVEC_ACCEPT], 4);
	ck_assert_uint_eq(c.total[AVEC_REJECT_WRONG_SECRET], 1);
}
END_TEST

#define THREADS	4
#define PER	200000

static struct avec_auth_counter shared;
static volatile int counting;

static void *
counter_thread(void *arg)
{
	long id = (long)arg;
	int i;

	for (i = 0; i < PER; i++)
		avec_auth_count(&shared, T0 + (i & 1) * 3600,
				(enum avec_reason)((id + i) % 3));
	return NULL;
}

START_TEST(counter_exact_under_concurrency)
{
	struct avec_auth_stat rows[AVEC_AUTH_HARVEST_MAX];
	pthread_t t[THREADS];
	uint64_t got = 0, accepts = 0;
	unsigned n, i;
	long k;

	memset(&shared, 0, sizeof(shared));
	counting = 1;
	for (k = 0; k < THREADS; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, counter_thread,
						(void *)k), 0);
	/* harvest while they count: nothing lost, nothing twice */
	for (i = 0; i < 200; i++) {
		n = avec_auth_harvest(&shared, rows);
		while (n-- > 0) {
			got += rows[n].count;
			if (rows[n].reason == AVEC_ACCEPT)
				accepts += rows[n].count;
		}
	}
	for (k = 0; k < THREADS; k++)
		pthread_join(t[k], NULL);
	n = avec_auth_harvest(&shared, rows);
	while (n-- > 0) {
		ck_assert(rows[n].hour == H0 || rows[n].hour == H0 + 1);
		got += rows[n].count;
		if (rows[n].reason == AVEC_ACCEPT)
			accepts += rows[n].count;
	}
	ck_assert_uint_eq(got, (uint64_t)THREADS * PER);
	ck_assert_uint_eq(accepts, shared.total[AVEC_ACCEPT]);
}
END_TEST

START_TEST(auth_stats_upsert_and_period)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_auth_stat rows[] = {
		{ H0, AVEC_REJECT_WRONG_SECRET, 2 },
		{ H0, AVEC_ACCEPT, 5 },
		{ H0 + 1, AVEC_ACCEPT, 1 },
		{ H0 + 2, AVEC_REJECT_UNKNOWN_DEVICE, 7 },
	};
	struct kv k;

	ck_assert_msg(avec_store_auth_stats_add(st, rows, 4, &err) == 0, "%s", err.msg);
	ck_assert_msg(avec_store_auth_stats_add(st, rows, 2, &err) == 0, "%s", err.msg);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_auth(st, 0, 0, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 3);
	ck_assert_str_eq(k.key[0], "accept");	/* accept first */
	ck_assert_uint_eq(k.count[0], 11);
	ck_assert_str_eq(k.key[1], "unknown-device");
	ck_assert_uint_eq(k.count[1], 7);
	ck_assert_str_eq(k.key[2], "wrong-secret");
	ck_assert_uint_eq(k.count[2], 4);
	/* [T0, T0+3600): hour H0 only; [T0+3599, T0+3601): H0 and H0+1 */
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_auth(st, T0, T0 + 3600, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 2);
	ck_assert_uint_eq(k.count[0], 10);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_auth(st, T0 + 3599, T0 + 3601, kv_add, &k, &err), 0);
	ck_assert_uint_eq(k.count[0], 11);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_auth(st, T0 + 7200, 0, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 1);
	ck_assert_str_eq(k.key[0], "unknown-device");
	avec_store_close(st);
}
END_TEST

START_TEST(devices_by_role_class_status_school)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	const char *groups[] = { "2A", "LV1-ESP" };
	const char *schools[] = { "0750001A" };
	int64_t d1, d2, d3;
	struct kv k;

	d1 = unit_device(st, "alice", AVEC_CRED_TTLS, "s3cret-one-xx", NULL, T0);
	d2 = unit_device(st, "alice", AVEC_CRED_PEAP, "s3cret-two-xx", NULL, T0);
	d3 = unit_device(st, "bob", AVEC_CRED_TTLS, "s3cret-three-x", NULL, T0);
	ck_assert(d1 > 0 && d2 > 0 && d3 > 0);
	ck_assert_int_eq(avec_store_device_revoke(st, d2, "lost", T0, &err), 0);
	ck_assert_int_eq(avec_store_account_memberships(st, "alice", schools, 1,
							groups, 2, &err), 0);

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_devices(st, AVEC_BY_ROLE, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 2);
	ck_assert_str_eq(k.key[0], "student");
	ck_assert_uint_eq(k.count[0], 2);
	ck_assert_uint_eq(k.active[0], 1);
	ck_assert_str_eq(k.key[1], "teacher");
	ck_assert_uint_eq(k.count[1], 1);

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_devices(st, AVEC_BY_CLASS, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 3);	/* "" (bob), 2A, LV1-ESP */
	ck_assert_str_eq(k.key[0], "");
	ck_assert_uint_eq(k.count[0], 1);
	ck_assert_str_eq(k.key[1], "2A");
	ck_assert_uint_eq(k.count[1], 2);
	ck_assert_str_eq(k.key[2], "LV1-ESP");
	ck_assert_uint_eq(k.active[2], 1);

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_devices(st, AVEC_BY_STATUS, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 2);
	ck_assert_str_eq(k.key[0], "active");
	ck_assert_uint_eq(k.count[0], 2);
	ck_assert_str_eq(k.key[1], "revoked");
	ck_assert_uint_eq(k.count[1], 1);

	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_devices(st, AVEC_BY_SCHOOL, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 2);
	ck_assert_str_eq(k.key[1], "0750001A");
	ck_assert_uint_eq(k.count[1], 2);
	avec_store_close(st);
}
END_TEST

struct sess {
	int n;
	struct avec_session_rec r[4];
};

static int
sess_add(const struct avec_session_rec *s, void *ctx)
{
	struct sess *x = ctx;

	ck_assert_int_lt(x->n, 4);
	x->r[x->n++] = *s;
	return 0;
}

static struct avec_acct
acct_rec(enum avec_acct_kind kind, const char *sid, int64_t dev, int64_t t)
{
	struct avec_acct a;

	memset(&a, 0, sizeof(a));
	a.kind = kind;
	strcpy(a.nas_address, "192.0.2.1");
	snprintf(a.session_id, sizeof(a.session_id), "%s", sid);
	a.device_id = dev;
	a.event_time = t;
	a.started_at = t;
	strcpy(a.mac, "02:00:00:00:00:01");
	strcpy(a.framed_ip, "10.20.0.5");
	return a;
}

START_TEST(open_sessions_only)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_acct a[3];
	struct sess x;
	int64_t d1, d2;

	d1 = unit_device(st, "alice", AVEC_CRED_TTLS, "s3cret-one-xx", NULL, T0);
	d2 = unit_device(st, "bob", AVEC_CRED_TTLS, "s3cret-two-xx", NULL, T0);
	a[0] = acct_rec(AVEC_ACCT_START, "s1", d1, T0 + 10);
	a[1] = acct_rec(AVEC_ACCT_START, "s2", d2, T0 + 5);
	a[2] = acct_rec(AVEC_ACCT_STOP, "s2", d2, T0 + 50);
	ck_assert_msg(avec_store_acct_apply(st, a, 3, &err) == 0, "%s", err.msg);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(avec_store_report_sessions(st, sess_add, &x, &err), 0);
	ck_assert_int_eq(x.n, 1);
	ck_assert_str_eq(x.r[0].principal, "alice");
	ck_assert_int_eq(x.r[0].device_id, d1);
	ck_assert_str_eq(x.r[0].framed_ip, "10.20.0.5");
	ck_assert_str_eq(x.r[0].mac, "02:00:00:00:00:01");
	ck_assert_str_eq(x.r[0].nas_address, "192.0.2.1");
	ck_assert_int_eq(x.r[0].started_at, T0 + 10);
	ck_assert_int_eq(x.r[0].ended_at, 0);
	avec_store_close(st);
}
END_TEST

struct aud {
	int n;
	struct avec_audit_rec r[4];
};

static int
aud_add(const struct avec_audit_rec *a, void *ctx)
{
	struct aud *x = ctx;

	ck_assert_int_lt(x->n, 4);
	x->r[x->n++] = *a;
	return 0;
}

START_TEST(audit_in_order_and_since)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_audit_rec a;
	struct aud x;

	memset(&a, 0, sizeof(a));
	a.at = T0 + 20;
	strcpy(a.actor, "alice via sudo as root");
	strcpy(a.origin, "cli ssh 192.0.2.9");
	strcpy(a.action, "device revoke");
	strcpy(a.target, "12");
	strcpy(a.detail, "--reason lost");
	ck_assert_int_eq(avec_store_audit_add(st, &a, &err), 0);
	a.at = T0 + 10;
	strcpy(a.action, "account suspend");
	strcpy(a.outcome, "not found");
	ck_assert_int_eq(avec_store_audit_add(st, &a, &err), 0);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(avec_store_audit_list(st, 0, aud_add, &x, &err), 0);
	ck_assert_int_eq(x.n, 2);
	ck_assert_str_eq(x.r[0].action, "account suspend");	/* by time */
	ck_assert_str_eq(x.r[0].outcome, "not found");
	ck_assert_str_eq(x.r[1].outcome, "ok");			/* default */
	ck_assert_str_eq(x.r[1].actor, "alice via sudo as root");
	ck_assert_str_eq(x.r[1].detail, "--reason lost");
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(avec_store_audit_list(st, T0 + 11, aud_add, &x, &err), 0);
	ck_assert_int_eq(x.n, 1);
	ck_assert_str_eq(x.r[0].target, "12");
	/* the trail names principals: 'log purge' drops it with the log */
	ck_assert_int_eq(avec_store_purge(st, T0 + 11 + 365 * 86400, NULL, &err), 0);
	memset(&x, 0, sizeof(x));
	ck_assert_int_eq(avec_store_audit_list(st, 0, aud_add, &x, &err), 0);
	ck_assert_int_eq(x.n, 1);	/* T0+10 is past a year; T0+20 not yet */
	ck_assert_str_eq(x.r[0].action, "device revoke");
	avec_store_close(st);
}
END_TEST

/* The writer's periodic job: what rlm_avec does with its counters. */
struct job {
	struct avec_auth_counter c;
	int runs;
};

static void
job_run(struct avec_store *st, void *ctx)
{
	struct job *j = ctx;
	struct avec_auth_stat rows[AVEC_AUTH_HARVEST_MAX];
	unsigned n = avec_auth_harvest(&j->c, rows);

	__atomic_add_fetch(&j->runs, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(avec_store_auth_stats_add(st, rows, n, NULL), 0);
}

START_TEST(writer_job_periodic_and_at_stop)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_writer *w;
	static struct job j;
	struct kv k;
	int i;

	avec_store_close(st);
	memset(&j, 0, sizeof(j));
	w = avec_writer_start(unit_path("avec.db"), 64, 1000, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	avec_writer_set_hook(w, 20, job_run, &j);
	avec_auth_count(&j.c, T0, AVEC_ACCEPT);
	for (i = 0; i < 200 && __atomic_load_n(&j.runs, __ATOMIC_RELAXED) < 2; i++)
		usleep(10000);
	ck_assert_int_ge(j.runs, 2);	/* every 20 ms, not every flush (1 s) */
	avec_auth_count(&j.c, T0, AVEC_REJECT_OVER_QUOTA);
	avec_auth_count(&j.c, T0, AVEC_ACCEPT);
	/* a long period: only the stop writes these */
	avec_writer_set_hook(w, 600000, job_run, &j);
	avec_auth_count(&j.c, T0, AVEC_ACCEPT);
	avec_writer_stop(w);

	st = avec_store_open(unit_path("avec.db"), AVEC_STORE_READONLY, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	memset(&k, 0, sizeof(k));
	ck_assert_int_eq(avec_store_report_auth(st, 0, 0, kv_add, &k, &err), 0);
	ck_assert_int_eq(k.n, 2);
	ck_assert_str_eq(k.key[0], "accept");
	ck_assert_uint_eq(k.count[0], 3);
	ck_assert_str_eq(k.key[1], "over-quota");
	ck_assert_uint_eq(k.count[1], 1);
	avec_store_close(st);
}
END_TEST

Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, counter_hours_and_reasons);
	tcase_add_test(tc, counter_exact_under_concurrency);
	tcase_add_test(tc, auth_stats_upsert_and_period);
	tcase_add_test(tc, devices_by_role_class_status_school);
	tcase_add_test(tc, open_sessions_only);
	tcase_add_test(tc, audit_in_order_and_since);
	tcase_add_test(tc, writer_job_periodic_and_at_stop);
	suite_add_tcase(s, tc);
	return s;
}
