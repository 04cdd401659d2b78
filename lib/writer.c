/*
 * writer.c - the single writer behind the RADIUS request path.
 *
 * Request threads call avec_writer_touch(), which copies one record into a
 * bounded ring under a mutex held for a few instructions, and returns: it
 * never waits for SQLite, and when the ring is full it drops the record and
 * counts it (a last-seen time is a hint; the connection log, when it comes
 * through here, must size the ring so that this does not happen).
 *
 * One thread owns the write connection.  It wakes when the ring is half
 * full or every flush_ms, takes everything queued, and commits it in one
 * transaction.  A failed batch is counted and its records are lost: the
 * writer never retries in a loop that could grow without bound.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/writer.h"

struct avec_writer {
	struct avec_store *st;
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* to the drain thread */
	pthread_cond_t drained;		/* to avec_writer_flush() */
	struct avec_touch *ring;
	unsigned cap, head, count;	/* cap is a power of two */
	unsigned flush_ms;
	uint64_t enqueued_seq;		/* records accepted so far */
	uint64_t done_seq;		/* records handled (written or failed) */
	struct avec_writer_stats stats;
	int stopping;
	int flush_wanted;		/* avec_writer_flush() is waiting */
	pthread_t thread;
};

static void
deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	ts->tv_sec += ms / 1000 + ts->tv_nsec / 1000000000;
	ts->tv_nsec %= 1000000000;
}

static void *
drain(void *arg)
{
	struct avec_writer *w = arg;
	struct avec_touch *batch;
	struct timespec until;
	unsigned n, i;
	int stop;

	batch = malloc((size_t)w->cap * sizeof(*batch));
	pthread_mutex_lock(&w->lock);
	for (;;) {
		deadline(&until, w->flush_ms);
		while (!w->stopping && !w->flush_wanted && w->count < w->cap / 2)
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT)
				break;
		if (w->count == 0 && w->stopping)
			break;
		if (w->count == 0) {
			w->flush_wanted = 0;
			continue;
		}
		if (batch == NULL) {	/* cannot stage: account the loss */
			w->stats.failed_batches++;
			w->done_seq += w->count;
			w->head = (w->head + w->count) & (w->cap - 1);
			w->count = 0;
			pthread_cond_broadcast(&w->drained);
			continue;
		}
		n = w->count;
		for (i = 0; i < n; i++)
			batch[i] = w->ring[(w->head + i) & (w->cap - 1)];
		w->head = (w->head + n) & (w->cap - 1);
		w->count = 0;
		stop = w->stopping;
		pthread_mutex_unlock(&w->lock);

		i = avec_store_touch(w->st, batch, n, NULL) == 0;

		pthread_mutex_lock(&w->lock);
		if (i)
			w->stats.written += n;
		else
			w->stats.failed_batches++;
		w->done_seq += n;
		pthread_cond_broadcast(&w->drained);
		if (stop && w->count == 0)
			break;
	}
	pthread_mutex_unlock(&w->lock);
	free(batch);
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
	while (cap < capacity && cap < (1u << 24))
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

int
avec_writer_touch(struct avec_writer *w, const struct avec_touch *t)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (w->count == w->cap || w->stopping) {
		w->stats.dropped++;
		rc = -1;
	} else {
		w->ring[(w->head + w->count) & (w->cap - 1)] = *t;
		w->count++;
		w->enqueued_seq++;
		w->stats.queued++;
		if (w->count == w->cap / 2)
			pthread_cond_signal(&w->wake);
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
