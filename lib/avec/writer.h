/*
 * writer.h - the one writer that drains the request path's writes.
 *
 * A RADIUS thread never writes to SQLite: it hands a small record to
 * avec_writer_touch(), which copies it into a bounded ring and returns at
 * once.  A single thread drains the ring in batches, one transaction each.
 * When the ring is full the record is dropped and counted, never waited on.
 */
#ifndef AVEC_WRITER_H
#define AVEC_WRITER_H

#include <stdint.h>
#include "avec/err.h"
#include "avec/store.h"

struct avec_writer;

/*
 * avec_writer_start - open the store at @path for writing and start the
 * draining thread.  @capacity records may wait at most (rounded up to a
 * power of two); @flush_ms bounds how long one waits.
 * Returns: a writer stopped with avec_writer_stop(), or NULL.
 */
struct avec_writer *avec_writer_start(const char *path, unsigned capacity,
				      unsigned flush_ms, struct avec_err *err);
/* Drain what is queued, stop the thread, close the store. */
void avec_writer_stop(struct avec_writer *w);

/* Queue a last-seen update; never blocks.  Returns 0, or -1 if dropped. */
int avec_writer_touch(struct avec_writer *w, const struct avec_touch *t);
/* Block until everything queued before the call is committed (tests). */
int avec_writer_flush(struct avec_writer *w);

struct avec_writer_stats {
	uint64_t queued, written, dropped, failed_batches;
};
void avec_writer_stats(struct avec_writer *w, struct avec_writer_stats *out);

#endif
