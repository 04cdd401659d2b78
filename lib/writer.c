/*
 * writer.c - the single writer behind the RADIUS request path.
 *
 * Request threads hand records to a bounded ring under a mutex held for a
 * few instructions.  A last-seen touch (avec_writer_touch) returns at once
 * and is dropped and counted when the ring is full: it is a hint.  An
 * accounting record (avec_writer_acct) is an acknowledgement the NAS waits
 * for, so its caller waits, bounded, for the commit of the batch that
 * holds it, and learns whether it was committed; a full ring refuses it at
 * once rather than block.
 *
 * The two kinds wait in two rings.  Accounting records are few (a few
 * thousand a second at most) and each costs a handful of pages; touches
 * follow authentication (tens of thousands a second, each one a device
 * row and an index entry when the MAC changed), and a batch of thousands
 * of them takes tens to hundreds of milliseconds to commit.  Measured with
 * one ring, an accounting record waited behind such batches.  So an
 * accounting batch holds only the accounting records queued, plus the
 * touches queued for the same MAC (an Accounting-Start without AVEC's
 * Class, right after its accept, must find that MAC's device), and while
 * accounting waits touches are written in chunks of at most TOUCH_CHUNK:
 * an accounting record waits for at most one chunk before its own commit.
 * With no accounting waiting, every touch queued goes in one commit.
 *
 * One thread owns the write connection (its own, opened here: the
 * module's index stays read-only).  It wakes at once when an accounting
 * record waits, when the touch ring is half full, or when the oldest touch
 * has waited flush_ms; it commits every accounting record queued in one
 * transaction, so that records arriving during a commit share the next one
 * (group commit), and alternates with touch chunks while touches are due.
 * When a batch fails, its records are tried once more one transaction
 * each, so that one bad record does not refuse its neighbours (unless the
 * first of them fails too: then the store itself is at fault); the writer
 * never retries in a loop that could grow without bound.
 *
 * A waiter is a small heap object shared by the caller and this thread,
 * with its own condition variable (a commit wakes only its own callers):
 * whichever of them is last to let go of it (the caller after reading the
 * result, or this thread for a caller that stopped waiting) frees it, under
 * the lock.  It must never block a touch, and never tell a caller
 * "committed" for a record whose transaction did not commit.
 *
 * It also runs one periodic job of its owner's (avec_writer_set_hook) on
 * this thread and connection, between batches and once more at stop.
 *
 * Two ways to stop.  avec_writer_stop drains: everything queued is
 * written, then the writer is freed; its owner calls it once no caller is
 * left (rlm_avec: from mod_detach, after FreeRADIUS joined its threads).
 * avec_writer_halt is bounded and leaves the object in place: the batch
 * being written finishes and its callers learn its outcome, every
 * accounting record still queued is failed at once (not committed: no
 * answer goes out and the NAS sends it again), touches are dropped, and
 * every later call is refused; callers may still be racing in, so nothing
 * is freed until avec_writer_stop.  rlm_avec halts the writer when
 * FreeRADIUS has not reached mod_detach soon enough after SIGTERM
 * (docs/freeradius-notes.md).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/writer.h"

/* The result a waiter holds. */
enum wait_state { W_PENDING = 0, W_OK, W_FAILED };

struct avec_wait {
	pthread_cond_t done;	/* signalled once, when state is set */
	enum wait_state state;
	bool abandoned;		/* the caller stopped waiting: thread frees */
};

struct wrec {
	struct avec_wait *waiter;	/* NULL for a touch */
	bool acct;
	bool taken;	/* a touch already written with accounting: skip */
	union {
		struct avec_touch t;
		struct avec_acct a;
	} u;
};

#define TOUCH_SLOTS	8192	/* a power of two */
#define TOUCH_EVERY	60	/* seconds */
/*
 * Touches per transaction: a few milliseconds of work on a small
 * appliance, the most an accounting record waits for before its own batch.
 */
#define TOUCH_CHUNK	256

/* A bounded ring of records; cap is a power of two. */
struct ring {
	struct wrec *rec;
	unsigned cap, head, count;
};

struct avec_writer {
	struct avec_store *st;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* to the drain thread */
	pthread_cond_t drained;		/* to flushers (waiters have their own) */
	struct ring acct;		/* accounting records: queue_size */
	struct ring touch;		/* touches: half of it */
	struct timespec touch_since;	/* when the oldest touch queued */
	bool touch_drain;		/* writing touches until none is left */
	bool acct_last;			/* the last batch was accounting */
	struct timespec acct_since;	/* when the oldest accounting queued */
	bool acct_failing;		/* the last accounting batch failed */
	unsigned flush_ms;
	uint64_t enqueued_seq;		/* records accepted so far */
	uint64_t done_seq;		/* records handled (written or failed) */
	struct avec_writer_stats stats;
	int stopping;			/* refuse records; drain, then end */
	int halting;			/* ... or fail what is queued, and end */
	bool joined;			/* the thread ended, the store is closed */
	int flush_wanted;		/* avec_writer_flush() is waiting */
	pthread_t thread;
	avec_writer_hook hook;		/* see avec_writer_set_hook() */
	void *hook_ctx;
	unsigned hook_ms;
	struct timespec hook_next;	/* CLOCK_MONOTONIC */
	/*
	 * The last touch queued per device (hashed; a collision only costs
	 * one extra write): a device seen again within TOUCH_EVERY seconds
	 * from the same MAC is not written again.
	 */
	struct {
		int64_t device_id;
		int64_t seen_at;
		char mac[18];
	} recent[TOUCH_SLOTS];
};

/* The thread's staging area, sized for both rings. */
struct stage {
	struct wrec *recs;
	struct avec_touch *touches;
	struct avec_acct *accts;
	bool *ok;
	const char **macs;	/* open addressing: the MACs of a batch */
	unsigned nmacs;		/* its size, a power of two */
	unsigned *slots;	/* the slots of macs in use */
};

static void
deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000;
	ts->tv_nsec %= 1000000000;
}

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Run the periodic job if it is due (or @force), without the lock;
 * called and returns with the lock held.
 */
static void
run_hook(struct avec_writer *w, bool force)
{
	struct timespec now;
	avec_writer_hook fn = w->hook;
	void *ctx = w->hook_ctx;

	if (fn == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!force && ts_before(&now, &w->hook_next))
		return;
	deadline(&w->hook_next, w->hook_ms);
	pthread_mutex_unlock(&w->lock);
	fn(w->st, ctx);
	pthread_mutex_lock(&w->lock);
}

/*
 * A waiter with its own condition variable, so that a commit wakes only
 * the callers whose records it holds: with hundreds of callers waiting, a
 * shared one woke them all, for nothing, at every batch, and they fought
 * the request threads for the lock.  NULL when out of memory.
 */
static struct avec_wait *
wait_new(void)
{
	struct avec_wait *wt = calloc(1, sizeof(*wt));
	pthread_condattr_t ca;

	if (wt == NULL)
		return NULL;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&wt->done, &ca) != 0) {
		free(wt);
		wt = NULL;
	}
	pthread_condattr_destroy(&ca);
	return wt;
}

static void
wait_free(struct avec_wait *wt)
{
	pthread_cond_destroy(&wt->done);
	free(wt);
}

/*
 * Give the waiter of @r its result, or free it if its caller left; under
 * the lock.
 */
static void
wait_settle(struct wrec *r, bool ok)
{
	if (r->waiter->abandoned) {
		wait_free(r->waiter);
	} else {
		r->waiter->state = ok ? W_OK : W_FAILED;
		pthread_cond_signal(&r->waiter->done);
	}
	r->waiter = NULL;
}

static void
stage_free(struct stage *sg)
{
	free(sg->recs);
	free(sg->touches);
	free(sg->accts);
	free(sg->ok);
	free(sg->macs);
	free(sg->slots);
}

static int
stage_alloc(struct stage *sg, unsigned cap)
{
	sg->recs = calloc(cap, sizeof(*sg->recs));
	sg->touches = calloc(cap, sizeof(*sg->touches));
	sg->accts = calloc(cap, sizeof(*sg->accts));
	sg->ok = calloc(cap, sizeof(*sg->ok));
	for (sg->nmacs = 16; sg->nmacs < 2 * cap; sg->nmacs *= 2)
		;
	sg->macs = calloc(sg->nmacs, sizeof(*sg->macs));
	sg->slots = calloc(cap, sizeof(*sg->slots));
	if (!sg->recs || !sg->touches || !sg->accts || !sg->ok || !sg->macs ||
	    !sg->slots) {
		stage_free(sg);
		memset(sg, 0, sizeof(*sg));
		return -1;
	}
	return 0;
}

/*
 * Write @n staged records: one transaction, or, if it fails, one each.
 * Sets sg->ok[i]; returns the number of transactions committed.  Called
 * without the lock.
 */
static unsigned
write_staged(struct avec_writer *w, struct stage *sg, unsigned n)
{
	unsigned i, nt = 0, na = 0, commits = 0;

	for (i = 0; i < n; i++) {
		if (sg->recs[i].acct)
			sg->accts[na++] = sg->recs[i].u.a;
		else
			sg->touches[nt++] = sg->recs[i].u.t;
	}
	if (avec_store_write_batch(w->st, sg->touches, nt, sg->accts, na,
				   NULL) == 0) {
		for (i = 0; i < n; i++)
			sg->ok[i] = true;
		return 1;
	}
	/* One at a time; if the first fails too, the fault is not a record's. */
	for (i = 0; i < n; i++) {
		const struct wrec *r = &sg->recs[i];

		if (i == 1 && commits == 0) {
			for (; i < n; i++)
				sg->ok[i] = false;
			break;
		}
		sg->ok[i] = (r->acct ?
		    avec_store_write_batch(w->st, NULL, 0, &r->u.a, 1, NULL) :
		    avec_store_write_batch(w->st, &r->u.t, 1, NULL, 0, NULL)) == 0;
		commits += sg->ok[i];
	}
	return commits;
}

/* Hand each waiter of the @n staged records its result; under the lock. */
static void
settle(struct avec_writer *w, struct stage *sg, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct wrec *r = &sg->recs[i];

		if (sg->ok[i])
			w->stats.written++;
		if (r->waiter == NULL)
			continue;
		if (sg->ok[i])
			w->stats.acct_committed++;
		else
			w->stats.acct_failed++;
		wait_settle(r, sg->ok[i]);
	}
}

/* Fail every queued accounting record and drop the touches; under the lock. */
static void
fail_queued(struct avec_writer *w)
{
	unsigned i;

	if (w->acct.count == 0 && w->touch.count == 0)
		return;
	for (i = 0; i < w->acct.count; i++) {
		struct wrec *r = &w->acct.rec[(w->acct.head + i) & (w->acct.cap - 1)];

		w->stats.acct_failed++;
		wait_settle(r, false);
	}
	for (i = 0; i < w->touch.count; i++)
		if (!w->touch.rec[(w->touch.head + i) & (w->touch.cap - 1)].taken)
			w->done_seq++;
	w->stats.failed_batches++;
	w->done_seq += w->acct.count;
	w->acct.head = w->acct.count = 0;
	w->touch.head = w->touch.count = 0;
}

/* The slot of @mac in the staging area's table (FNV-1a). */
static unsigned
mac_slot(const struct stage *sg, const char *mac)
{
	uint32_t h = 2166136261u;
	const char *c;
	unsigned i;

	for (c = mac; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	for (i = h & (sg->nmacs - 1); sg->macs[i] != NULL; i = (i + 1) & (sg->nmacs - 1))
		if (strcmp(sg->macs[i], mac) == 0)
			break;
	return i;
}

/*
 * Stage every queued accounting record, after the touches queued for the
 * MAC of a record without a device (they are marked taken, left in their
 * ring and skipped later): one pass over each ring, under the lock.
 * Returns the records staged.
 */
static unsigned
stage_acct(struct avec_writer *w, struct stage *sg)
{
	unsigned i, n = 0, na = w->acct.count, used = 0;

	for (i = 0; i < na; i++) {
		const struct avec_acct *a =
		    &w->acct.rec[(w->acct.head + i) & (w->acct.cap - 1)].u.a;

		if (a->device_id == 0 && a->mac[0] != '\0') {
			unsigned k = mac_slot(sg, a->mac);

			if (sg->macs[k] == NULL) {
				sg->macs[k] = a->mac;
				sg->slots[used++] = k;
			}
		}
	}
	for (i = 0; used > 0 && i < w->touch.count; i++) {
		struct wrec *t = &w->touch.rec[(w->touch.head + i) & (w->touch.cap - 1)];

		if (!t->taken && t->u.t.mac[0] != '\0' &&
		    sg->macs[mac_slot(sg, t->u.t.mac)] != NULL) {
			sg->recs[n++] = *t;
			t->taken = true;
		}
	}
	for (i = 0; i < used; i++)	/* empty the table again */
		sg->macs[sg->slots[i]] = NULL;
	for (i = 0; i < na; i++)
		sg->recs[n++] = w->acct.rec[(w->acct.head + i) & (w->acct.cap - 1)];
	w->acct.head = (w->acct.head + na) & (w->acct.cap - 1);
	w->acct.count = 0;
	return n;
}

/*
 * Stage touches from the head of their ring, skipping those already
 * written: up to TOUCH_CHUNK while accounting waits (a record then waits
 * for one short commit at most), all of them when none does (one commit
 * for the lot: at a store's worth of devices, every authentication is a
 * first touch within TOUCH_EVERY, and a commit per chunk would cost a
 * sync each).  Under the lock.  Returns the records staged.
 */
static unsigned
stage_touches(struct avec_writer *w, struct stage *sg)
{
	unsigned n = 0, used = 0;
	unsigned limit = w->acct.count > 0 ? TOUCH_CHUNK : w->touch.count;

	while (used < w->touch.count && n < limit) {
		struct wrec *t = &w->touch.rec[(w->touch.head + used) &
					       (w->touch.cap - 1)];

		used++;
		if (!t->taken)
			sg->recs[n++] = *t;
	}
	w->touch.head = (w->touch.head + used) & (w->touch.cap - 1);
	w->touch.count -= used;
	if (w->touch.count > 0)
		clock_gettime(CLOCK_MONOTONIC, &w->touch_since);
	return n;
}

/* Whether touches are to be written now rather than wait; under the lock. */
static bool
touch_due(struct avec_writer *w)
{
	struct timespec due = w->touch_since, now;

	if (w->touch.count == 0)
		return false;
	if (w->touch_drain || w->stopping || w->flush_wanted ||
	    w->touch.count >= w->touch.cap / 2)
		return true;
	due.tv_nsec += (long)(w->flush_ms % 1000) * 1000000;
	due.tv_sec += w->flush_ms / 1000 + due.tv_nsec / 1000000000;
	due.tv_nsec %= 1000000000;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return !ts_before(&now, &due);
}

static void *
drain(void *arg)
{
	struct avec_writer *w = arg;
	struct timespec until;
	struct stage sg;
	unsigned n, i, commits;
	bool allok, touches;
	int stop;

	memset(&sg, 0, sizeof(sg));
	stage_alloc(&sg, w->acct.cap + w->touch.cap);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		deadline(&until, w->flush_ms);
		if (w->touch.count > 0) {
			until = w->touch_since;
			until.tv_nsec += (long)(w->flush_ms % 1000) * 1000000;
			until.tv_sec += w->flush_ms / 1000 + until.tv_nsec / 1000000000;
			until.tv_nsec %= 1000000000;
		}
		if (w->hook != NULL && ts_before(&w->hook_next, &until))
			until = w->hook_next;
		while (!w->stopping && !w->flush_wanted && w->acct.count == 0 &&
		       !touch_due(w))
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
				break;
		if (w->halting) {	/* whatever is left is refused */
			fail_queued(w);
			pthread_cond_broadcast(&w->drained);
			break;
		}
		run_hook(w, false);
		if (w->acct.count == 0 && w->touch.count == 0) {
			w->touch_drain = false;
			if (w->stopping)
				break;
			w->flush_wanted = 0;
			continue;
		}
		if (sg.recs == NULL) {	/* cannot stage: fail what is queued */
			fail_queued(w);
			pthread_cond_broadcast(&w->drained);
			continue;
		}
		/* accounting first, but a due touch chunk in between batches */
		touches = w->acct.count == 0 ||
		    (w->acct_last && touch_due(w));
		n = touches ? stage_touches(w, &sg) : stage_acct(w, &sg);
		w->acct_last = !touches;
		if (touches)
			w->touch_drain = w->touch.count > 0;
		if (n == 0) {	/* only touches already written */
			pthread_cond_broadcast(&w->drained);
			continue;
		}
		stop = w->stopping;
		pthread_mutex_unlock(&w->lock);

		commits = write_staged(w, &sg, n);

		pthread_mutex_lock(&w->lock);
		settle(w, &sg, n);
		w->done_seq += n;
		for (allok = true, i = 0; i < n; i++)
			allok = allok && sg.ok[i];
		if (!touches) {
			w->acct_failing = true;
			for (i = 0; i < n; i++)
				if (sg.recs[i].acct && sg.ok[i])
					w->acct_failing = false;
		}
		if (!allok)
			w->stats.failed_batches++;
		w->stats.batches += commits;
		pthread_cond_broadcast(&w->drained);
		if (stop && w->acct.count == 0 && w->touch.count == 0)
			break;
	}
	run_hook(w, true);	/* the last counts, after the last batch */
	pthread_mutex_unlock(&w->lock);
	stage_free(&sg);
	return NULL;
}

struct avec_writer *
avec_writer_start(const char *path, unsigned capacity, unsigned flush_ms,
		  struct avec_err *err)
{
	struct avec_writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	unsigned cap = 16;

	if (w == NULL) {
		avec_err_set(err, "writer: out of memory");
		return NULL;
	}
	while (cap < capacity && cap < AVEC_WRITER_CAP_MAX)
		cap *= 2;
	w->acct.cap = cap;
	w->touch.cap = cap / 2;
	w->flush_ms = flush_ms ? flush_ms : 1000;
	w->acct.rec = calloc(w->acct.cap, sizeof(*w->acct.rec));
	w->touch.rec = calloc(w->touch.cap, sizeof(*w->touch.rec));
	if (w->acct.rec == NULL || w->touch.rec == NULL) {
		free(w->acct.rec);
		free(w->touch.rec);
		free(w);
		avec_err_set(err, "writer: out of memory");
		return NULL;
	}
	w->st = avec_store_open(path, 0, err);
	if (w->st == NULL) {
		free(w->acct.rec);
		free(w->touch.rec);
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &ca);
	pthread_cond_init(&w->drained, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&w->thread, NULL, drain, w) != 0) {
		avec_err_set(err, "writer: cannot start its thread");
		avec_store_close(w->st);
		pthread_cond_destroy(&w->wake);
		pthread_cond_destroy(&w->drained);
		pthread_mutex_destroy(&w->lock);
		free(w->acct.rec);
		free(w->touch.rec);
		free(w);
		return NULL;
	}
	return w;
}

void
avec_writer_set_hook(struct avec_writer *w, unsigned every_ms,
		     avec_writer_hook fn, void *ctx)
{
	pthread_mutex_lock(&w->lock);
	w->hook = fn;
	w->hook_ctx = ctx;
	w->hook_ms = every_ms < 10 ? 10 : every_ms;
	deadline(&w->hook_next, w->hook_ms);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

/*
 * Set the stop flags (@halt: fail what is queued rather than write it),
 * wake the thread, wait for its end and close the store; once.  The
 * caller is the writer's one owner (it never races another stop).
 */
static void
end_thread(struct avec_writer *w, bool halt)
{
	pthread_mutex_lock(&w->lock);
	if (w->joined) {
		pthread_mutex_unlock(&w->lock);
		return;
	}
	w->stopping = 1;
	if (halt)
		w->halting = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	avec_store_close(w->st);
	pthread_mutex_lock(&w->lock);
	w->st = NULL;
	w->joined = true;
	pthread_mutex_unlock(&w->lock);
}

void
avec_writer_halt(struct avec_writer *w)
{
	if (w != NULL)
		end_thread(w, true);
}

void
avec_writer_stop(struct avec_writer *w)
{
	if (w == NULL)
		return;
	end_thread(w, false);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->drained);
	pthread_mutex_destroy(&w->lock);
	free(w->acct.rec);
	free(w->touch.rec);
	free(w);
}

/* Put @r in @q; under the lock.  Returns 0, or -1 if full/stopping. */
static int
enqueue(struct avec_writer *w, struct ring *q, const struct wrec *r)
{
	if (q->count == q->cap || w->stopping) {
		w->stats.dropped++;
		return -1;
	}
	q->rec[(q->head + q->count) & (q->cap - 1)] = *r;
	q->count++;
	w->enqueued_seq++;
	w->stats.queued++;
	return 0;
}

int
avec_writer_touch(struct avec_writer *w, const struct avec_touch *t)
{
	struct wrec r;
	int rc;

	unsigned slot = (unsigned)((uint64_t)t->device_id * 0x9e3779b97f4a7c15ull >> 51) &
	    (TOUCH_SLOTS - 1);

	memset(&r, 0, sizeof(r));
	r.u.t = *t;
	pthread_mutex_lock(&w->lock);
	if (w->recent[slot].device_id == t->device_id &&
	    t->seen_at - w->recent[slot].seen_at < TOUCH_EVERY &&
	    t->seen_at >= w->recent[slot].seen_at &&
	    strcmp(w->recent[slot].mac, t->mac) == 0) {
		w->stats.coalesced++;
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	/* a hint has its own ring: accounting, which a NAS waits for,
	 * never finds its ring taken by touches */
	rc = enqueue(w, &w->touch, &r);
	if (rc < 0) {
		pthread_cond_signal(&w->wake);
	} else {
		w->recent[slot].device_id = t->device_id;
		w->recent[slot].seen_at = t->seen_at;
		memcpy(w->recent[slot].mac, t->mac, sizeof(t->mac));
		if (w->touch.count == 1)
			clock_gettime(CLOCK_MONOTONIC, &w->touch_since);
		if (w->touch.count == w->touch.cap / 2)
			pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int
avec_writer_acct(struct avec_writer *w, const struct avec_acct *a,
		 unsigned wait_ms)
{
	struct avec_wait *wt = wait_new();
	struct timespec until;
	struct wrec r;
	int rc;

	if (wt == NULL)
		return AVEC_WRITER_FULL;
	memset(&r, 0, sizeof(r));
	r.acct = true;
	r.waiter = wt;
	r.u.a = *a;
	deadline(&until, wait_ms);
	pthread_mutex_lock(&w->lock);
	if (enqueue(w, &w->acct, &r) < 0) {
		w->stats.acct_refused++;
		pthread_mutex_unlock(&w->lock);
		wait_free(wt);
		return AVEC_WRITER_FULL;
	}
	if (w->acct.count == 1)
		clock_gettime(CLOCK_MONOTONIC, &w->acct_since);
	pthread_cond_signal(&w->wake);
	while (wt->state == W_PENDING)
		if (pthread_cond_timedwait(&wt->done, &w->lock, &until) == ETIMEDOUT)
			break;
	switch (wt->state) {
	case W_OK:
		rc = AVEC_WRITER_COMMITTED;
		wait_free(wt);
		break;
	case W_FAILED:
		rc = AVEC_WRITER_FAILED;
		wait_free(wt);
		break;
	case W_PENDING:
	default:
		/* the thread still holds it: it frees it when it settles */
		wt->abandoned = true;
		w->stats.acct_timeouts++;
		rc = AVEC_WRITER_TIMEOUT;
		break;
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

bool
avec_writer_healthy(struct avec_writer *w, unsigned within_ms)
{
	struct timespec due, now;
	bool ok;

	pthread_mutex_lock(&w->lock);
	due = w->acct_since;
	due.tv_nsec += (long)(within_ms % 1000) * 1000000;
	due.tv_sec += within_ms / 1000 + due.tv_nsec / 1000000000;
	due.tv_nsec %= 1000000000;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok = !w->acct_failing && !w->stopping &&
	    (w->acct.count == 0 || ts_before(&now, &due));
	pthread_mutex_unlock(&w->lock);
	return ok;
}

int
avec_writer_flush(struct avec_writer *w)
{
	uint64_t target;
	int ok;

	pthread_mutex_lock(&w->lock);
	target = w->enqueued_seq;
	while (w->done_seq < target) {
		w->flush_wanted = 1;
		pthread_cond_signal(&w->wake);
		pthread_cond_wait(&w->drained, &w->lock);
	}
	ok = w->stats.failed_batches == 0;
	pthread_mutex_unlock(&w->lock);
	return ok ? 0 : -1;
}

void
avec_writer_stats(struct avec_writer *w, struct avec_writer_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}
