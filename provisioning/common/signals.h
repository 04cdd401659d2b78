/*
 * signals.h - a daemon's signals, as avec-addrd and avec-rsso take them:
 * SIGTERM and SIGINT ask it to stop, SIGUSR1 to log its counts at once,
 * SIGPIPE is ignored.
 */
#ifndef AVEC_SIGNALS_H
#define AVEC_SIGNALS_H

#include <signal.h>

/* Set by SIGTERM or SIGINT; never cleared. */
extern volatile sig_atomic_t avec_sig_stop;
/* Set by SIGUSR1; the daemon's loop clears it when it has logged. */
extern volatile sig_atomic_t avec_sig_counts;

/*
 * Install the handlers, without SA_RESTART: a blocking call (poll) ends
 * with EINTR, so that the loop sees a flag at once.
 */
void avec_signals_init(void);

#endif
