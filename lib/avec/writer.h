/*
 * writer.h - the one writer that drains the request path's writes.
 *
 * A RADIUS thread never writes to SQLite: it hands a small record to the
 * writer, which copies it into a bounded ring.  A single thread drains the
 * ring in batches, one transaction each (group commit).  Two kinds of
 * record share the ring:
 *   - a last-seen touch (avec_writer_touch): returns at once; it is a
 *     hint, so a repeat within a minute is skipped and, when its own ring
 *     (half the capacity) is full, it is dropped and counted, never waited
 *     on; touches are written in small chunks, so that an accounting
 *     record never waits behind thousands of them;
 *   - an accounting record (avec_writer_acct): the caller waits, bounded,
 *     until the batch holding its record is committed, because its answer
 *     (an Accounting-Response) tells the NAS the record is safe.  A full
 *     ring, a failed commit or the end of the wait is reported, so that no
 *     answer goes out and the NAS sends the record again.
 */
#ifndef AVEC_WRITER_H
#define AVEC_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include "avec/connlog.h"
#include "avec/err.h"
#include "avec/store.h"

struct avec_writer;

#define AVEC_WRITER_CAP_MAX	(1u << 18)

/*
 * avec_writer_start - open the store at @path for writing (its own
 * connection) and start the draining thread.  @capacity accounting
 * records may wait at most (rounded up to a power of two, at most
 * AVEC_WRITER_CAP_MAX), and half as many touches;
 * @flush_ms bounds how long a touch waits; an accounting record wakes the
 * thread at once.
 * Returns: a writer stopped with avec_writer_stop(), or NULL.
 */
struct avec_writer *avec_writer_start(const char *path, unsigned capacity,
				      unsigned flush_ms, struct avec_err *err);
/*
 * Drain what is queued, stop the thread, close the store, and free the
 * writer (after avec_writer_halt too).  No caller may still use it.
 */
void avec_writer_stop(struct avec_writer *w);
/*
 * avec_writer_halt - stop now, bounded: the batch being written finishes
 * (its callers learn its outcome), every accounting record still queued
 * is failed at once (AVEC_WRITER_FAILED: not committed), queued touches
 * are dropped, the periodic job runs a last time, the thread ends and the
 * store is closed.  From then on every call is refused (AVEC_WRITER_FULL,
 * touches dropped), so callers still racing in are safe: the writer stays
 * allocated until avec_writer_stop() frees it.  Idempotent; called by the
 * writer's owner, never concurrently with avec_writer_stop().
 */
void avec_writer_halt(struct avec_writer *w);

/*
 * Queue a last-seen update; never blocks.  A device already queued within
 * the last minute from the same MAC is not queued again (counted as
 * coalesced).  Touches wait in a ring of their own, half the capacity, so
 * that they never take room from accounting.  Returns 0, or -1 if dropped.
 */
int avec_writer_touch(struct avec_writer *w, const struct avec_touch *t);
/*
 * avec_writer_healthy - whether the store takes accounting records in
 * time: its last accounting batch committed, and no accounting record has
 * waited more than @within_ms for its batch to start.  A busy store is
 * healthy; a stalled or failing one is not.  Cheap (one lock).
 */
bool avec_writer_healthy(struct avec_writer *w, unsigned within_ms);

/* Block until everything queued before the call is committed (tests). */
int avec_writer_flush(struct avec_writer *w);

/* What avec_writer_acct() says of a record. */
enum avec_writer_result {
	AVEC_WRITER_COMMITTED = 0,	/* in the store, durably */
	AVEC_WRITER_FULL = -1,		/* not queued: ring full, or stopping */
	AVEC_WRITER_FAILED = -2,	/* its transaction failed */
	AVEC_WRITER_TIMEOUT = -3,	/* not committed within @wait_ms; it
					   may still be, later */
};

/*
 * avec_writer_acct - queue a copy of @a and wait up to @wait_ms for the
 * commit of the batch that holds it.  Safe from any number of threads.
 * Returns: an enum avec_writer_result.
 */
int avec_writer_acct(struct avec_writer *w, const struct avec_acct *a,
		     unsigned wait_ms);

/*
 * A job the writer's thread runs with its connection every @every_ms, and
 * once more when the writer stops, after the last batch (rlm_avec adds
 * its authentication counts to the store this way: reports.h).  It runs
 * without the writer's lock and outside any batch; it must not call the
 * writer.  A failure is the job's to report; the writer carries on.
 */
typedef void (*avec_writer_hook)(struct avec_store *st, void *ctx);
/* Set (or, with NULL, remove) the job; @every_ms at least 10. */
void avec_writer_set_hook(struct avec_writer *w, unsigned every_ms,
			  avec_writer_hook fn, void *ctx);

struct avec_writer_stats {
	uint64_t queued, written, dropped, failed_batches;
	uint64_t coalesced;		/* touches skipped: seen within a minute */
	uint64_t batches;		/* transactions committed */
	uint64_t acct_committed, acct_failed, acct_timeouts, acct_refused;
};
void avec_writer_stats(struct avec_writer *w, struct avec_writer_stats *out);

#endif
