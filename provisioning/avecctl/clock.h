/*
 * clock.h - is the appliance's clock synchronised?  `avecctl status`'s
 * clock line, from the kernel's NTP state (adjtimex), the source of
 * timedatectl's NTPSynchronized.
 */
#ifndef AVECCTL_CLOCK_H
#define AVECCTL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* The kernel's limit on the maximum error (NTP_PHASE_LIMIT): 16 s. */
#define CTL_CLOCK_MAXERROR_US	16000000L

/*
 * ctl_clock_judge - the clock's state from what adjtimex() answered: @rc
 * its return (a TIME_* state, or -1 when it failed), @status its status
 * bits, @esterror and @maxerror its estimated and maximum errors in
 * microseconds.  Synchronised when the call worked, STA_UNSYNC is clear
 * and the maximum error is under CTL_CLOCK_MAXERROR_US (systemd's rule
 * too).  @out (the caller's, @len bytes) gets the line's text:
 * "synchronised (estimated error 1.2 ms)" or "not synchronised (...)".
 * Pure: no system call.  Returns true when synchronised.
 */
bool ctl_clock_judge(int rc, int status, long esterror, long maxerror,
		     char *out, size_t len);

/* ctl_clock_read - the same for this machine's clock (adjtimex, read
 * only: modes 0). */
bool ctl_clock_read(char *out, size_t len);

#endif
