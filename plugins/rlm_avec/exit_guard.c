/*
 * exit_guard.c - a bound on the server's stop after SIGTERM, for a fault
 * of FreeRADIUS's own.
 *
 * FreeRADIUS 3.2.1 (Debian 12's) does not always stop after SIGTERM.  On
 * the way out it first marks every request it holds "stop processing",
 * the queued ones included, and only then tells its request threads to
 * end and joins them.  A thread that takes a request from the queue in
 * between (it finished the request it had, or woke late on a busy CPU)
 * pops those marked requests; once the queue is empty its request_dequeue
 * loops for ever on the last one it popped (the variable is not reset
 * after a pop that found nothing), spinning a core, and the join never
 * returns.  A backlog at SIGTERM, which a burst of accounting makes, is
 * all it takes.  FreeRADIUS fixed it in 3.2.9 (commit 500488a3e0, "set
 * request to NULL after it's done"); a module cannot reach that loop.
 * docs/freeradius-notes.md tells the whole story.
 *
 * This file owns one thread per module instance that watches
 * main_config.exiting, which FreeRADIUS's SIGTERM handler sets (the
 * server's executable holds main_config, so it is found with dlsym: the
 * module links with --no-undefined).  A stop
 * that works reaches mod_detach well within AVEC_EXIT_HALT_MS of the
 * signal (a few hundred milliseconds measured under load), and
 * exit_guard_stop() ends the watch.  Otherwise:
 *   - at AVEC_EXIT_HALT_MS the writer is halted (avec_writer_halt): the
 *     batch being committed finishes and its callers get its outcome,
 *     every accounting record still queued is refused (no answer, the NAS
 *     resends), the counts are written and the store is closed.  That
 *     alone ends a stop that was only waiting for accounting commits;
 *   - at AVEC_EXIT_LAST_MS, if mod_detach has still not begun, FreeRADIUS
 *     is stuck: the module's own stop is done (the halt; the index only
 *     reads), so the guard logs why and ends the process with _exit(0),
 *     as FreeRADIUS would have after a clean stop.  What was acknowledged
 *     is committed either way: an acknowledgement follows its commit.
 *
 * It must never end a process that is stopping normally (it decides under
 * the lock that exit_guard_stop() takes), nor free the writer (callers
 * may still be racing in: they are refused by the halted writer).
 *
 * Memory: the guard is allocated by exit_guard_start() and freed by
 * exit_guard_stop(); the writer stays its owner's.
 */
#include <freeradius/radiusd.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "exit_guard.h"

#define GUARD_POLL_MS	50	/* how often main_config.exiting is read */

struct exit_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* exit_guard_stop() to the thread */
	bool detaching;			/* the server reached mod_detach */
	bool const *exiting;		/* &main_config.exiting */
	struct avec_writer *writer;	/* the caller's */
	exit_guard_last last;
	void *ctx;
	pthread_t thread;
};

static long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static void *
guard_run(void *arg)
{
	struct exit_guard *g = arg;
	struct timespec signalled, until;
	bool seen = false, halted = false;

	pthread_mutex_lock(&g->lock);
	while (!g->detaching) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += GUARD_POLL_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000;
		until.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
		if (g->detaching)
			break;
		if (!seen) {
			/* set by FreeRADIUS's SIGTERM handler, read only here */
			if (!__atomic_load_n(g->exiting, __ATOMIC_ACQUIRE))
				continue;
			seen = true;
			clock_gettime(CLOCK_MONOTONIC, &signalled);
		}
		if (!halted && ms_since(&signalled) >= AVEC_EXIT_HALT_MS) {
			halted = true;
			pthread_mutex_unlock(&g->lock);
			WARN("rlm_avec: FreeRADIUS has not finished its requests "
			     "%d ms after SIGTERM: accounting not yet committed "
			     "is refused (the NAS resends it)", AVEC_EXIT_HALT_MS);
			avec_writer_halt(g->writer);
			pthread_mutex_lock(&g->lock);
			continue;
		}
		if (halted && ms_since(&signalled) >= AVEC_EXIT_LAST_MS) {
			/* under the lock: exit_guard_stop() cannot begin now */
			ERROR("rlm_avec: FreeRADIUS has not stopped %d ms after "
			      "SIGTERM (a request thread stuck in its queue: a "
			      "fault of FreeRADIUS before 3.2.9, see AVEC's "
			      "docs/freeradius-notes.md); the module's stop is "
			      "done, every acknowledged record is committed: "
			      "ending the process", AVEC_EXIT_LAST_MS);
			g->last(g->ctx);
			_exit(EXIT_SUCCESS);
		}
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct exit_guard *
exit_guard_start(struct avec_writer *w, exit_guard_last last, void *ctx)
{
	main_config_t const *mc = dlsym(RTLD_DEFAULT, "main_config");
	struct exit_guard *g;
	pthread_condattr_t ca;

	if (mc == NULL)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->exiting = &mc->exiting;
	g->writer = w;
	g->last = last;
	g->ctx = ctx;
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&g->thread, NULL, guard_run, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void
exit_guard_stop(struct exit_guard *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->detaching = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->thread, NULL);
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}
