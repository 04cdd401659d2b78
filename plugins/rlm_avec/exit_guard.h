/*
 * exit_guard.h - a bound on the server's stop after SIGTERM (exit_guard.c,
 * docs/freeradius-notes.md).
 */
#ifndef RLM_AVEC_EXIT_GUARD_H
#define RLM_AVEC_EXIT_GUARD_H

#include "avec/writer.h"

/* After SIGTERM, without mod_detach: halt the writer, then end the process. */
#define AVEC_EXIT_HALT_MS	2000
#define AVEC_EXIT_LAST_MS	3000

struct exit_guard;

/* Called once, on the guard's thread, just before it ends the process. */
typedef void (*exit_guard_last)(void *ctx);

/*
 * exit_guard_start - watch for the server's SIGTERM on a thread of its
 * own.  If the server has not called exit_guard_stop() AVEC_EXIT_HALT_MS
 * after the signal, halt @w (avec_writer_halt); if still not by
 * AVEC_EXIT_LAST_MS, call @last(@ctx) and end the process (_exit(0)).
 * @w stays the caller's (the guard never frees it).
 * Returns: a guard the caller ends with exit_guard_stop(), or NULL (not
 * loaded by FreeRADIUS's executable, no memory, no thread).
 */
struct exit_guard *exit_guard_start(struct avec_writer *w, exit_guard_last last,
				    void *ctx) __attribute__((visibility("hidden")));

/*
 * The server reached the module's detach: stop watching, wait for the
 * guard's thread (and a halt it began) to end, free the guard.  NULL is a
 * no-op.
 */
void exit_guard_stop(struct exit_guard *g) __attribute__((visibility("hidden")));

#endif
