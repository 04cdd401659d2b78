/*
 * signals.c - a daemon's stop and counts signals (signals.h): the
 * handler only sets a flag, the daemon's loop acts on it.
 */
#include <string.h>

#include "common/signals.h"

volatile sig_atomic_t avec_sig_stop, avec_sig_counts;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		avec_sig_counts = 1;
	else
		avec_sig_stop = 1;
}

void
avec_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
