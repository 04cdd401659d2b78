/*
 * authcount.c - authentication outcomes counted in memory, per UTC hour
 * and reason, for the RADIUS module's request threads.
 *
 * It owns the counters' arithmetic: a request thread adds one with two
 * relaxed atomic increments (no lock, no allocation, no I/O), and the
 * writer's thread takes the counts away about once a minute to add them
 * to the store.  An hour's slot is relabelled by the first request of a
 * later hour that maps to it; by then it has been harvested many times
 * (the harvest runs at least hourly, slots come back every
 * AVEC_AUTH_SLOTS hours).  A harvest that races that relabel reads the
 * label again after taking the counts and files them under the new hour,
 * where they almost surely belong.
 *
 * It must never block, allocate or write anything: it runs on the
 * request path.  What it holds at a crash is lost (at most one harvest
 * interval of counts), which the reports accept.
 */
#include <string.h>

#include "avec/report.h"

void
avec_auth_count(struct avec_auth_counter *c, int64_t now, enum avec_reason r)
{
	int64_t hour, old;
	unsigned i;

	if ((unsigned)r >= AVEC_REASON__COUNT || now < 3600)
		return;
	hour = now / 3600;
	i = (unsigned)(hour % AVEC_AUTH_SLOTS);
	old = __atomic_load_n(&c->slot[i].hour, __ATOMIC_ACQUIRE);
	while (old < hour &&
	       !__atomic_compare_exchange_n(&c->slot[i].hour, &old, hour, false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	__atomic_add_fetch(&c->total[r], 1, __ATOMIC_RELAXED);
	/* a timestamp from AVEC_AUTH_SLOTS hours ago: in the totals only */
	if (old > hour)
		return;
	__atomic_add_fetch(&c->slot[i].n[r], 1, __ATOMIC_RELAXED);
}

unsigned
avec_auth_harvest(struct avec_auth_counter *c, struct avec_auth_stat *out)
{
	unsigned i, r, k = 0, first;
	int64_t hour, again;
	uint64_t v;

	for (i = 0; i < AVEC_AUTH_SLOTS; i++) {
		hour = __atomic_load_n(&c->slot[i].hour, __ATOMIC_ACQUIRE);
		if (hour == 0)
			continue;
		first = k;
		for (r = 0; r < AVEC_REASON__COUNT; r++) {
			v = __atomic_exchange_n(&c->slot[i].n[r], 0,
						__ATOMIC_ACQ_REL);
			if (v == 0)
				continue;
			out[k].hour = hour;
			out[k].reason = (enum avec_reason)r;
			out[k].count = v;
			k++;
		}
		again = __atomic_load_n(&c->slot[i].hour, __ATOMIC_ACQUIRE);
		for (; again != hour && first < k; first++)
			out[first].hour = again;
	}
	return k;
}
