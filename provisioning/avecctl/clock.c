/*
 * clock.c - the appliance's clock as `avecctl status` reports it: read
 * from the kernel (adjtimex with no mode set: a read, never a change),
 * judged by a pure function the unit suite checks.  The hours windows,
 * the connection log's times and every certificate's validity hang on
 * this clock, so status counts an unsynchronised one as an error.
 */
#include <stdio.h>
#include <sys/timex.h>

#include "clock.h"

/* @us microseconds in words: "850 us", "1.2 ms", "16.0 s". */
static void
span(long us, char *out, size_t len)
{
	if (us < 0)
		snprintf(out, len, "unknown");
	else if (us < 1000)
		snprintf(out, len, "%ld us", us);
	else if (us < 1000000)
		snprintf(out, len, "%.1f ms", (double)us / 1e3);
	else
		snprintf(out, len, "%.1f s", (double)us / 1e6);
}

bool
ctl_clock_judge(int rc, int status, long esterror, long maxerror,
		char *out, size_t len)
{
	char est[32], max[32];
	bool synced;

	if (rc < 0) {
		snprintf(out, len, "not synchronised (the kernel's NTP state "
			 "cannot be read)");
		return false;
	}
	span(esterror, est, sizeof(est));
	span(maxerror, max, sizeof(max));
	synced = !(status & STA_UNSYNC) && maxerror >= 0 &&
		 maxerror < CTL_CLOCK_MAXERROR_US;
	if (synced)
		snprintf(out, len, "synchronised (estimated error %s, at most "
			 "%s)", est, max);
	else
		snprintf(out, len, "not synchronised (estimated error %s, at "
			 "most %s): no time server reached yet", est, max);
	return synced;
}

bool
ctl_clock_read(char *out, size_t len)
{
	struct timex tx = { 0 };
	int rc = adjtimex(&tx);

	return ctl_clock_judge(rc, tx.status, tx.esterror, tx.maxerror, out,
			       len);
}
