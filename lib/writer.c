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
 * One thread owns the write connection (its own, opened here: the
 * module's index stays read-only).  It wakes at once when an accounting
 * record waits, when the ring is half full, or every flush_ms; it takes
 * everything queued and commits it in one transaction, so that records
 * arriving during a commit share the next one (group commit).  When a
 * batch fails, its records are tried once more one transaction each, so
 * that one bad record does not refuse its neighbours (unless the first of
 * them fails too: then the store itself is at fault); the writer never
 * retries in a loop that could grow without bound.
 *
 * A waiter is a small heap object shared by the caller and this thread:
 * whichever of them is last to let go of it (the caller after reading the
 * result, or this thread for a caller that stopped waiting) frees it, under
 * the lock.  It must never block a touch, and never tell a caller
 * "committed" for a record whose transaction did not commit.
 *
 * It also runs one periodic job of its owner's (avec_writer_set_hook) on
 * this thread and connection, between batches and once more at stop.
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
	enum wait_state state;
	bool abandoned;		/* the caller stopped waiting: thread frees */
};

struct wrec {
	struct avec_wait *waiter;	/* NULL for a touch */
	bool acct;
	union {
		struct avec_touch t;
		struct avec_acct a;
	} u;
};

#define TOUCH_SLOTS	8192	/* a power of two */
#define TOUCH_EVERY	60	/* seconds */

struct avec_writer {
	struct avec_store *st;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* to the drain thread */
	pthread_cond_t drained;		/* to flushers and waiters */
	struct wrec *ring;
	unsigned cap, head, count;	/* cap is a power of two */
	unsigned waiting;		/* queued records with a waiter */
	unsigned flush_ms;
	uint64_t enqueued_seq;		/* records accepted so far */
	uint64_t done_seq;		/* records handled (written or failed) */
	struct avec_writer_stats stats;
	int stopping;
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

/* The thread's staging area, sized for a whole ring. */
struct stage {
	struct wrec *recs;
	struct avec_touch *touches;
	struct avec_acct *accts;
	bool *ok;
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

static void
stage_free(struct stage *sg)
{
	free(sg->recs);
	free(sg->touches);
	free(sg->accts);
	free(sg->ok);
}

static int
stage_alloc(struct stage *sg, unsigned cap)
{
	sg->recs = calloc(cap, sizeof(*sg->recs));
	sg->touches = calloc(cap, sizeof(*sg->touches));
	sg->accts = calloc(cap, sizeof(*sg->accts));
	sg->ok = calloc(cap, sizeof(*sg->ok));
	if (!sg->recs || !sg->touches || !sg->accts || !sg->ok) {
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
		if (r->waiter->abandoned)
			free(r->waiter);
		else
			r->waiter->state = sg->ok[i] ? W_OK : W_FAILED;
		r->waiter = NULL;
	}
}

static void *
drain(void *arg)
{
	struct avec_writer *w = arg;
	struct timespec until;
	struct stage sg;
	unsigned n, i, commits;
	bool allok;
	int stop;

	memset(&sg, 0, sizeof(sg));
	stage_alloc(&sg, w->cap);
	pthread_mutex_lock(&w->lock);
	for (;;) {
		deadline(&until, w->flush_ms);
		if (w->hook != NULL && ts_before(&w->hook_next, &until))
			until = w->hook_next;
		while (!w->stopping && !w->flush_wanted && w->waiting == 0 &&
		       w->count < w->cap / 2)
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
				break;
		run_hook(w, false);
		if (w->count == 0 && w->stopping)
			break;
		if (w->count == 0) {
			w->flush_wanted = 0;
			continue;
		}
		n = w->count;
		if (sg.recs == NULL) {	/* cannot stage: fail what is queued */
			for (i = 0; i < n; i++) {
				struct wrec *r = &w->ring[(w->head + i) & (w->cap - 1)];

				if (r->waiter == NULL)
					continue;
				w->stats.acct_failed++;
				if (r->waiter->abandoned)
					free(r->waiter);
				else
					r->waiter->state = W_FAILED;
				r->waiter = NULL;
			}
			w->stats.failed_batches++;
			w->done_seq += n;
			w->head = (w->head + n) & (w->cap - 1);
			w->count = 0;
			w->waiting = 0;
			pthread_cond_broadcast(&w->drained);
			continue;
		}
		for (i = 0; i < n; i++)
			sg.recs[i] = w->ring[(w->head + i) & (w->cap - 1)];
		w->head = (w->head + n) & (w->cap - 1);
		w->count = 0;
		w->waiting = 0;
		stop = w->stopping;
		pthread_mutex_unlock(&w->lock);

		commits = write_staged(w, &sg, n);

		pthread_mutex_lock(&w->lock);
		settle(w, &sg, n);
		for (allok = true, i = 0; i < n; i++)
			allok = allok && sg.ok[i];
		if (!allok)
			w->stats.failed_batches++;
		w->stats.batches += commits;
		w->done_seq += n;
		pthread_cond_broadcast(&w->drained);
		if (stop && w->count == 0)
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
	w->cap = cap;
	w->flush_ms = flush_ms ? flush_ms : 1000;
	w->ring = calloc(cap, sizeof(*w->ring));
	if (w->ring == NULL) {
		free(w);
		avec_err_set(err, "writer: out of memory");
		return NULL;
	}
	w->st = avec_store_open(path, 0, err);
	if (w->st == NULL) {
		free(w->ring);
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
		free(w->ring);
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

void
avec_writer_stop(struct avec_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	avec_store_close(w->st);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->drained);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w);
}

/* Put @r in the ring; under the lock.  Returns 0, or -1 if full/stopping. */
static int
enqueue(struct avec_writer *w, const struct wrec *r)
{
	if (w->count == w->cap || w->stopping) {
		w->stats.dropped++;
		return -1;
	}
	w->ring[(w->head + w->count) & (w->cap - 1)] = *r;
	w->count++;
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
	/* a hint never takes the second half of the ring: that is kept for
	 * accounting records, which a NAS waits for */
	if (w->count >= w->cap / 2) {
		w->stats.dropped++;
		pthread_cond_signal(&w->wake);
		pthread_mutex_unlock(&w->lock);
		return -1;
	}
	rc = enqueue(w, &r);
	if (rc == 0) {
		w->recent[slot].device_id = t->device_id;
		w->recent[slot].seen_at = t->seen_at;
		memcpy(w->recent[slot].mac, t->mac, sizeof(t->mac));
		if (w->count == w->cap / 4)
			pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

int
avec_writer_acct(struct avec_writer *w, const struct avec_acct *a,
		 unsigned wait_ms)
{
	struct avec_wait *wt = calloc(1, sizeof(*wt));
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
	if (enqueue(w, &r) < 0) {
		w->stats.acct_refused++;
		pthread_mutex_unlock(&w->lock);
		free(wt);
		return AVEC_WRITER_FULL;
	}
	w->waiting++;
	pthread_cond_signal(&w->wake);
	while (wt->state == W_PENDING)
		if (pthread_cond_timedwait(&w->drained, &w->lock, &until) == ETIMEDOUT)
			break;
	switch (wt->state) {
	case W_OK:
		rc = AVEC_WRITER_COMMITTED;
		free(wt);
		break;
	case W_FAILED:
		rc = AVEC_WRITER_FAILED;
		free(wt);
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
