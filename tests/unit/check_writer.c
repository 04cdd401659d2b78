/*
 * check_writer.c - the request path's writer: queued last-seen updates
 * reach the store, a full queue drops instead of blocking, accounting
 * never waits behind touches, a stalled store is seen as such, and a halt
 * releases every caller waiting for a commit (the batch being written
 * with its outcome, the rest with a failure) without a deadlock.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "avec/connlog.h"
#include "avec/writer.h"
#include "unit.h"

#define T0 1800000000

START_TEST(touches_reach_the_store)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_writer_stats ws;
	struct avec_device_rec d;
	struct avec_writer *w;
	struct avec_touch t;
	int64_t id = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	int i;

	w = avec_writer_start(unit_path("avec.db"), 64, 50, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	memset(&t, 0, sizeof(t));
	t.device_id = id;
	/* re-authentications within a minute: written once */
	for (i = 0; i < 10; i++) {
		t.seen_at = T0 + i;
		ck_assert_int_eq(avec_writer_touch(w, &t), 0);
	}
	/* a new MAC, and later the same MAC a minute on: written again */
	strcpy(t.mac, "02:00:00:00:00:01");
	ck_assert_int_eq(avec_writer_touch(w, &t), 0);
	ck_assert_int_eq(avec_writer_flush(w), 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_int_eq(d.last_seen, T0 + 9);
	ck_assert_str_eq(d.last_mac, "02:00:00:00:00:01");
	t.seen_at = T0 + 9 + 60;
	ck_assert_int_eq(avec_writer_touch(w, &t), 0);
	ck_assert_int_eq(avec_writer_flush(w), 0);
	avec_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.queued, 3);
	ck_assert_uint_eq(ws.coalesced, 9);
	ck_assert_uint_eq(ws.written, 3);
	ck_assert_uint_eq(ws.dropped, 0);
	ck_assert_int_eq(avec_store_device_get(st, id, &d, &err), 0);
	ck_assert_int_eq(d.last_seen, T0 + 69);
	avec_writer_stop(w);
	avec_store_close(st);
}
END_TEST

START_TEST(full_queue_drops_and_counts)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_writer_stats ws;
	struct avec_writer *w;
	struct avec_touch t;
	int i, dropped = 0;

	sqlite3 *lockdb;

	w = avec_writer_start(unit_path("avec.db"), 16, 10000, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	/* hold the write lock: the writer takes one batch, then waits on it */
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &lockdb), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(lockdb, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 100000; i++) {
		t.device_id = i + 1;	/* distinct devices: nothing coalesces */
		dropped += avec_writer_touch(w, &t) < 0;
	}
	avec_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.queued + ws.dropped + ws.coalesced, 100000);
	ck_assert_uint_eq(ws.dropped, (uint64_t)dropped);
	ck_assert_int_ge(dropped, 100000 - 32);	/* at most two rings' worth */
	sqlite3_exec(lockdb, "ROLLBACK", 0, 0, 0);
	sqlite3_close(lockdb);
	avec_writer_stop(w);
	avec_store_close(st);
}
END_TEST

/* An Interim-Update without AVEC's Class, for session @sid from @mac. */
static struct avec_acct
interim(const char *sid, const char *mac)
{
	struct avec_acct a;

	memset(&a, 0, sizeof(a));
	a.kind = AVEC_ACCT_INTERIM;
	strcpy(a.nas_address, "192.0.2.1");
	strcpy(a.session_id, sid);
	strcpy(a.mac, mac);
	a.event_time = a.started_at = T0 + 5;
	return a;
}

static int
last_device(const struct avec_session_rec *r, void *ctx)
{
	*(int64_t *)ctx = r->device_id;
	return 0;
}

START_TEST(accounting_does_not_wait_for_touches)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	int64_t id = unit_device(st, "alice", AVEC_CRED_TTLS, "pw", NULL, T0);
	struct avec_session_query q;
	struct avec_writer_stats ws;
	struct avec_writer *w;
	struct avec_touch t;
	struct avec_acct a;
	int64_t found = 0;
	int i;

	/* touches wait up to 10 s: only accounting wakes the writer */
	w = avec_writer_start(unit_path("avec.db"), 4096, 10000, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert(avec_writer_healthy(w, 100));
	memset(&t, 0, sizeof(t));
	for (i = 0; i < 100; i++) {
		t.device_id = 1000 + i;		/* no such devices: cheap */
		t.seen_at = T0;
		ck_assert_int_eq(avec_writer_touch(w, &t), 0);
	}
	/* the touch for the MAC of the record goes first, in its batch */
	t.device_id = id;
	strcpy(t.mac, "02:00:00:00:00:07");
	ck_assert_int_eq(avec_writer_touch(w, &t), 0);
	a = interim("w1", "02:00:00:00:00:07");
	ck_assert_int_eq(avec_writer_acct(w, &a, 5000), AVEC_WRITER_COMMITTED);
	avec_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.written, 2);	/* not the 100 others */
	ck_assert_uint_eq(ws.acct_committed, 1);
	memset(&q, 0, sizeof(q));
	q.mac = "02:00:00:00:00:07";
	ck_assert_int_eq(avec_store_session_query(st, &q, last_device, &found,
						  &err), 0);
	ck_assert_int_eq(found, id);
	ck_assert_int_eq(avec_writer_flush(w), 0);
	avec_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.written, 102);	/* each touch once */
	ck_assert(avec_writer_healthy(w, 100));
	avec_writer_stop(w);
	avec_store_close(st);
}
END_TEST

START_TEST(a_stalled_store_is_not_healthy)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_writer *w;
	struct avec_acct a;
	sqlite3 *lockdb;

	w = avec_writer_start(unit_path("avec.db"), 16, 10000, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &lockdb), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(lockdb, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);
	/* the first is taken and waits on the lock, the second waits in the
	 * queue: the store no longer takes records */
	a = interim("s1", "");
	ck_assert_int_eq(avec_writer_acct(w, &a, 150), AVEC_WRITER_TIMEOUT);
	a = interim("s2", "");
	ck_assert_int_eq(avec_writer_acct(w, &a, 150), AVEC_WRITER_TIMEOUT);
	ck_assert(!avec_writer_healthy(w, 100));
	sqlite3_exec(lockdb, "ROLLBACK", 0, 0, 0);
	sqlite3_close(lockdb);
	avec_writer_stop(w);
	avec_store_close(st);
}
END_TEST

/* One accounting caller on its own thread, as a FreeRADIUS worker. */
struct acct_call {
	struct avec_writer *w;
	struct avec_acct a;
	unsigned wait_ms;
	int rc;
	pthread_t th;
};

static void *
acct_call_run(void *arg)
{
	struct acct_call *c = arg;

	c->rc = avec_writer_acct(c->w, &c->a, c->wait_ms);
	return NULL;
}

static void
acct_call_start(struct acct_call *c, struct avec_writer *w, const char *sid)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->a = interim(sid, "");
	c->wait_ms = 30000;	/* far beyond the test: only a result ends it */
	ck_assert_int_eq(pthread_create(&c->th, NULL, acct_call_run, c), 0);
}

/* Poll until @w has queued @n records (their callers wait on them). */
static void
wait_queued(struct avec_writer *w, uint64_t n)
{
	struct avec_writer_stats ws;
	const struct timespec ms = { 0, 1000000 };

	for (;;) {
		avec_writer_stats(w, &ws);
		if (ws.queued >= n)
			return;
		nanosleep(&ms, NULL);
	}
}

/* Ends the store's lock once the writer is halting (it then refuses). */
struct unlocker {
	struct avec_writer *w;
	sqlite3 *lockdb;
	pthread_t th;
};

static void *
unlock_when_halting(void *arg)
{
	struct unlocker *u = arg;
	const struct timespec ms = { 0, 1000000 };

	/* healthy within a minute unless stopping: the halt has begun */
	while (avec_writer_healthy(u->w, 60000))
		nanosleep(&ms, NULL);
	sqlite3_exec(u->lockdb, "ROLLBACK", 0, 0, 0);
	return NULL;
}

static int
sessions_stored(const char *sids)
{
	char sql[256];
	sqlite3 *db;
	sqlite3_stmt *q;
	int n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM sessions "
		 "WHERE acct_session_id IN (%s)", sids);
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void
count_hook(struct avec_store *st, void *ctx)
{
	(void)st;
	__atomic_add_fetch((int *)ctx, 1, __ATOMIC_RELAXED);
}

START_TEST(halt_releases_every_waiter)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct acct_call first, second, third;
	struct avec_writer_stats ws;
	struct timespec t0, t1;
	struct avec_writer *w;
	struct unlocker u;
	struct avec_acct a;
	struct avec_touch t;
	int hooked = 0;

	w = avec_writer_start(unit_path("avec.db"), 16, 10000, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	avec_writer_set_hook(w, 3600000, count_hook, &hooked);
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &u.lockdb), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(u.lockdb, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);
	/* the first is taken and its commit waits on the lock ... */
	acct_call_start(&first, w, "h1");
	wait_queued(w, 1);
	while (!avec_writer_healthy(w, 0))	/* taken: none queued */
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	/* ... the two others wait in the queue behind it */
	acct_call_start(&second, w, "h2");
	acct_call_start(&third, w, "h3");
	wait_queued(w, 3);

	u.w = w;
	ck_assert_int_eq(pthread_create(&u.th, NULL, unlock_when_halting, &u), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	avec_writer_halt(w);	/* returns once the first batch is settled */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(u.th, NULL);
	pthread_join(first.th, NULL);
	pthread_join(second.th, NULL);
	pthread_join(third.th, NULL);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);	/* one batch, no busy wait */

	/* the batch being written finished and says so; the queued failed */
	ck_assert_int_eq(first.rc, AVEC_WRITER_COMMITTED);
	ck_assert_int_eq(second.rc, AVEC_WRITER_FAILED);
	ck_assert_int_eq(third.rc, AVEC_WRITER_FAILED);
	ck_assert_int_eq(sessions_stored("'h1'"), 1);
	ck_assert_int_eq(sessions_stored("'h2', 'h3'"), 0);
	ck_assert_int_eq(__atomic_load_n(&hooked, __ATOMIC_RELAXED), 1);
	avec_writer_stats(w, &ws);
	ck_assert_uint_eq(ws.acct_committed, 1);
	ck_assert_uint_eq(ws.acct_failed, 2);

	/* halted: callers still racing in are refused, not blocked */
	a = interim("h4", "");
	ck_assert_int_eq(avec_writer_acct(w, &a, 30000), AVEC_WRITER_FULL);
	memset(&t, 0, sizeof(t));
	t.device_id = 1;
	ck_assert_int_eq(avec_writer_touch(w, &t), -1);
	ck_assert(!avec_writer_healthy(w, 60000));
	ck_assert_int_eq(avec_writer_flush(w), -1);	/* a batch failed */
	avec_writer_halt(w);				/* again: nothing */
	avec_writer_stop(w);
	ck_assert_int_eq(sessions_stored("'h4'"), 0);
	sqlite3_close(u.lockdb);
	avec_store_close(st);
}
END_TEST

START_TEST(stop_after_an_idle_halt)
{
	struct avec_err err = { "" };
	struct avec_store *st = unit_store();
	struct avec_writer *w;
	struct avec_acct a;

	w = avec_writer_start(unit_path("avec.db"), 16, 10, &err);
	ck_assert_msg(w != NULL, "%s", err.msg);
	a = interim("i1", "");
	ck_assert_int_eq(avec_writer_acct(w, &a, 5000), AVEC_WRITER_COMMITTED);
	avec_writer_halt(w);
	ck_assert_int_eq(avec_writer_flush(w), 0);	/* nothing failed */
	avec_writer_stop(w);
	ck_assert_int_eq(sessions_stored("'i1'"), 1);
	avec_store_close(st);
}
END_TEST

START_TEST(start_refuses_a_missing_store)
{
	struct avec_err err = { "" };

	ck_assert_ptr_null(avec_writer_start(unit_path("absent.db"), 16, 10, &err));
	ck_assert(err.msg[0] != '\0');
}
END_TEST

Suite *
writer_suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("queue");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, touches_reach_the_store);
	tcase_add_test(tc, full_queue_drops_and_counts);
	tcase_add_test(tc, start_refuses_a_missing_store);
	tcase_add_test(tc, accounting_does_not_wait_for_touches);
	tcase_add_test(tc, a_stalled_store_is_not_healthy);
	tcase_add_test(tc, halt_releases_every_waiter);
	tcase_add_test(tc, stop_after_an_idle_halt);
	suite_add_tcase(s, tc);
	return s;
}
