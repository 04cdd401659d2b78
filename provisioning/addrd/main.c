/*
 * main.c - avec-addrd: which device holds which address, from the moment
 * it is given, read off the appliance's role bridges.
 *
 *   avec-addrd -d STORE [-u USER] (-i BRIDGE[=VLAN]... | -a) [-t SERVER]...
 *              [-l ND_LIFETIME] [-f FLUSH_MS] [-P]
 *
 * As root it opens one filtered packet socket per bridge (capture.c),
 * then becomes USER for good (common/priv.c: no capability left) before
 * it reads a single frame, and only then opens the store (owned by that
 * user).  Each frame is parsed by libavec's pure parser (addr.h); the
 * events are rate-limited per station, deduplicated, and folded into
 * the store in one transaction per batch (every FLUSH_MS, or sooner
 * when the batch is full).  Once a minute, bindings whose lease ran out
 * are ended, and the counts of frames taken and refused are logged when
 * they moved (and at once on SIGUSR1): never an address or a MAC (the store is the log; this
 * program's log is not kept a year, nor purged).
 *
 * This file owns the loop, the options and the limits; it must never
 * parse a frame itself, never write a binding outside avec_store_addr_apply,
 * and never stop on a frame, however malformed.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_packet.h>

#include "avec/addr.h"
#include "avec/log.h"
#include "capture.h"
#include "common/priv.h"
#include "common/signals.h"

#define BRIDGES_MAX	16
#define TRUSTED_MAX	8
#define BATCH_MAX	1024
#define READS_PER_WAKE	256	/* frames per socket before the others */
#define SWEEP_S		60
/* a station's events: a burst of RATE_BURST, then one per RATE_EVERY s */
#define RATE_SLOTS	4096
#define RATE_BURST	20
#define RATE_EVERY	3
/* the same station answering for the same address: written once per */
#define ND_QUIET_S	60
#define QUIET_SLOTS	4096

struct bridge {
	char name[16];
	int vlan;
	int fd;
};

struct addrd {
	const char *db, *user;
	struct bridge br[BRIDGES_MAX];
	unsigned nbr;
	uint8_t trusted[TRUSTED_MAX][16];
	unsigned ntrusted;
	uint32_t nd_lifetime;
	unsigned flush_ms;
	bool promisc, all_bridges;
	struct avec_store *st;
	struct avec_addr_rec batch[BATCH_MAX];
	unsigned nbatch;
	struct timespec batch_since;
	/* counters, logged when they move */
	uint64_t frames, reject[AVEC_ADDR_REJECT_MAX], limited, quiet,
	    written, lost;
	uint64_t logged_sum;
	struct { uint8_t mac[6]; int64_t at; unsigned tokens; } rate[RATE_SLOTS];
	struct { uint8_t mac[6], addr[16]; int64_t at; } recent[QUIET_SLOTS];
	uint8_t frame[65536];
};

static uint32_t
hash(const uint8_t *p, size_t n, uint32_t h)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int64_t
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* A station's frame within its budget?  (A slot shared by two MACs
 * only makes them share a budget.) */
static bool
rate_ok(struct addrd *d, const uint8_t *mac, int64_t now)
{
	unsigned i = hash(mac, 6, 2166136261u) & (RATE_SLOTS - 1);

	if (memcmp(d->rate[i].mac, mac, 6) != 0) {
		memcpy(d->rate[i].mac, mac, 6);
		d->rate[i].at = now;
		d->rate[i].tokens = RATE_BURST;
	}
	if (now > d->rate[i].at) {
		uint64_t add = (uint64_t)(now - d->rate[i].at) / RATE_EVERY;

		if (add > 0) {
			d->rate[i].tokens = (unsigned)(d->rate[i].tokens + add >
			    RATE_BURST ? RATE_BURST : d->rate[i].tokens + add);
			d->rate[i].at += (int64_t)add * RATE_EVERY;
		}
	}
	if (d->rate[i].tokens == 0)
		return false;
	d->rate[i].tokens--;
	return true;
}

/* The same station answering for the same address again, within
 * ND_QUIET_S: nothing new to write (another MAC in between is). */
static bool
nd_repeat(struct addrd *d, const struct avec_addr_event *e, int64_t now)
{
	unsigned i = hash(e->addr, 16, 2166136261u) & (QUIET_SLOTS - 1);
	bool same = memcmp(d->recent[i].addr, e->addr, 16) == 0 &&
	    memcmp(d->recent[i].mac, e->mac, 6) == 0 &&
	    now >= d->recent[i].at && now - d->recent[i].at < ND_QUIET_S;

	if (!same) {
		memcpy(d->recent[i].addr, e->addr, 16);
		memcpy(d->recent[i].mac, e->mac, 6);
		d->recent[i].at = now;
	}
	return same;
}

static void
flush(struct addrd *d)
{
	struct avec_err err = { { 0 } };
	unsigned i;

	if (d->nbatch == 0)
		return;
	if (avec_store_addr_apply(d->st, d->batch, d->nbatch, d->nd_lifetime,
				  &err) == 0) {
		d->written += d->nbatch;
	} else {
		/* one at a time, so that one bad event costs only itself */
		avec_err_log("%s: writing them one by one", err.msg);
		for (i = 0; i < d->nbatch; i++) {
			if (avec_store_addr_apply(d->st, &d->batch[i], 1,
						  d->nd_lifetime, &err) == 0)
				d->written++;
			else
				d->lost++;
		}
	}
	d->nbatch = 0;
}

static void
take(struct addrd *d, const struct bridge *b, const struct avec_addr_event *e,
     enum avec_addr_dir dir, int64_t now)
{
	struct avec_addr_rec *r;

	if (dir == AVEC_ADDR_FROM_STATION && !rate_ok(d, e->mac, now)) {
		d->limited++;
		return;
	}
	if (e->source == AVEC_ADDR_ND && nd_repeat(d, e, now)) {
		d->quiet++;
		return;
	}
	if (d->nbatch == BATCH_MAX)
		flush(d);
	if (d->nbatch == 0)
		clock_gettime(CLOCK_MONOTONIC, &d->batch_since);
	r = &d->batch[d->nbatch++];
	memset(r, 0, sizeof(*r));
	r->ev = *e;
	memcpy(r->bridge, b->name, sizeof(r->bridge));
	r->vlan = b->vlan;
	r->at = now;
}

/* Read what one bridge has queued, READS_PER_WAKE frames at most. */
static void
drain(struct addrd *d, const struct bridge *b)
{
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct sockaddr_ll sll;
	enum avec_addr_dir dir;
	enum avec_addr_reject r;
	unsigned i, k, n;

	for (i = 0; i < READS_PER_WAKE; i++) {
		socklen_t sl = sizeof(sll);
		ssize_t got = recvfrom(b->fd, d->frame, sizeof(d->frame), MSG_TRUNC,
				       (struct sockaddr *)&sll, &sl);
		size_t len;

		if (got < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				avec_err_log("%s: %s", b->name, strerror(errno));
			return;
		}
		d->frames++;
		/* a frame larger than the buffer is seen cut: the parser
		 * finds its lengths lying and refuses it */
		len = (size_t)got > sizeof(d->frame) ? sizeof(d->frame) : (size_t)got;
		dir = addrd_frame_dir(d->frame, len,
				      sll.sll_pkttype == PACKET_OUTGOING,
				      (const uint8_t (*)[16])d->trusted, d->ntrusted);
		r = avec_addr_parse(d->frame, len, dir, ev, AVEC_ADDR_EVENTS_MAX, &n);
		d->reject[r]++;
		for (k = 0; k < n; k++)
			take(d, b, &ev[k], dir, (int64_t)time(NULL));
	}
}

static void
log_counts(struct addrd *d, bool force)
{
	uint64_t sum = d->frames + d->written + d->lost + d->limited + d->quiet;

	if (!force && sum == d->logged_sum)
		return;
	d->logged_sum = sum;
	avec_info("frames %" PRIu64 ": taken %" PRIu64 ", ignored %" PRIu64
		  ", truncated %" PRIu64 ", malformed %" PRIu64 ", untrusted %"
		  PRIu64 ", spoofed %" PRIu64 ", bad address %" PRIu64
		  "; events rate-limited %" PRIu64 ", repeated %" PRIu64
		  ", written %" PRIu64 ", lost %" PRIu64, d->frames,
		  d->reject[AVEC_ADDR_OK], d->reject[AVEC_ADDR_IGNORED],
		  d->reject[AVEC_ADDR_TRUNCATED], d->reject[AVEC_ADDR_MALFORMED],
		  d->reject[AVEC_ADDR_UNTRUSTED], d->reject[AVEC_ADDR_SPOOFED],
		  d->reject[AVEC_ADDR_BAD_ADDRESS], d->limited, d->quiet,
		  d->written, d->lost);
}

static void
sweep(struct addrd *d)
{
	struct avec_err err = { { 0 } };

	if (avec_store_addr_expire(d->st, (int64_t)time(NULL), NULL, &err) < 0)
		avec_err_log("%s", err.msg);
	log_counts(d, false);
}

static int
run(struct addrd *d)
{
	struct pollfd pfd[BRIDGES_MAX];
	struct timespec last_sweep;
	unsigned i;
	int timeout;

	for (i = 0; i < d->nbr; i++) {
		pfd[i].fd = d->br[i].fd;
		pfd[i].events = POLLIN;
	}
	clock_gettime(CLOCK_MONOTONIC, &last_sweep);
	sweep(d);
	while (!avec_sig_stop) {
		timeout = 1000;
		if (d->nbatch > 0) {
			int64_t left = d->flush_ms - ms_since(&d->batch_since);

			timeout = left < 0 ? 0 : (int)left;
		}
		if (poll(pfd, d->nbr, timeout) < 0 && errno != EINTR) {
			avec_err_log("poll: %s", strerror(errno));
			return -1;
		}
		for (i = 0; i < d->nbr; i++)
			if (pfd[i].revents & POLLIN)
				drain(d, &d->br[i]);
		if (d->nbatch > 0 && ms_since(&d->batch_since) >= d->flush_ms)
			flush(d);
		if (avec_sig_counts) {	/* SIGUSR1: the counts now */
			avec_sig_counts = 0;
			flush(d);
			log_counts(d, true);
		}
		if (ms_since(&last_sweep) >= SWEEP_S * 1000) {
			clock_gettime(CLOCK_MONOTONIC, &last_sweep);
			sweep(d);
		}
	}
	flush(d);
	log_counts(d, true);
	return 0;
}

/* ---- options ---- */

static int
add_bridge(struct addrd *d, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	struct bridge *b;
	char *end;
	long vlan = 0;

	if (len == 0 || len >= sizeof(b->name) || d->nbr == BRIDGES_MAX) {
		avec_err_log("-i %s: a bridge name (at most 15 characters, "
			     "%d bridges)", arg, BRIDGES_MAX);
		return -1;
	}
	if (eq != NULL) {
		errno = 0;
		vlan = strtol(eq + 1, &end, 10);
		if (errno || *end != '\0' || vlan < 1 || vlan > 4094) {
			avec_err_log("-i %s: the VLAN is 1 to 4094", arg);
			return -1;
		}
	}
	b = &d->br[d->nbr++];
	memcpy(b->name, arg, len);
	b->name[len] = '\0';
	b->vlan = (int)vlan;
	b->fd = -1;
	return 0;
}

/* -a: every bridge named br-* (provisioning's role bridges) */
static int
all_bridges(struct addrd *d)
{
	DIR *dir = opendir("/sys/class/net");
	struct dirent *e;
	char path[300];

	if (dir == NULL) {
		avec_err_log("/sys/class/net: %s", strerror(errno));
		return -1;
	}
	while ((e = readdir(dir)) != NULL) {
		if (strncmp(e->d_name, "br-", 3) != 0)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", e->d_name);
		if (access(path, F_OK) == 0 && add_bridge(d, e->d_name) < 0) {
			closedir(dir);
			return -1;
		}
	}
	closedir(dir);
	return 0;
}

static int
add_trusted(struct addrd *d, const char *arg)
{
	uint8_t *t;

	if (d->ntrusted == TRUSTED_MAX) {
		avec_err_log("-t: at most %d trusted DHCP servers", TRUSTED_MAX);
		return -1;
	}
	t = d->trusted[d->ntrusted];
	memset(t, 0, 16);
	if (inet_pton(AF_INET, arg, t + 12) == 1) {
		t[10] = t[11] = 0xff;
	} else if (inet_pton(AF_INET6, arg, t) != 1) {
		avec_err_log("-t %s: not an IPv4 or IPv6 address", arg);
		return -1;
	}
	d->ntrusted++;
	return 0;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: avec-addrd -d STORE [-u USER] (-i BRIDGE[=VLAN]... | -a)\n"
		"                  [-t SERVER]... [-l SECONDS] [-f MS] [-P] [-v]\n"
		"  -d STORE   the AVEC store (opened as USER)\n"
		"  -u USER    the user to become after opening the sockets (root only)\n"
		"  -i BRIDGE  a role bridge to watch, with its VLAN (br-student=20)\n"
		"  -a         every bridge named br-*\n"
		"  -t SERVER  a DHCP server on a bridge port whose ACKs count\n"
		"             (this machine's own always do)\n"
		"  -l SECONDS how long an IPv6 address seen by neighbour discovery\n"
		"             stays bound after it was last seen (default 3600)\n"
		"  -f MS      how long an event waits before its batch is written (200)\n"
		"  -P         leave the bridges out of promiscuous mode\n"
		"  -v         debug messages\n");
}

static int
parse_args(struct addrd *d, int argc, char **argv)
{
	char *end;
	long v;
	int ch;

	d->user = "";
	d->nd_lifetime = 3600;
	d->flush_ms = 200;
	d->promisc = true;
	while ((ch = getopt(argc, argv, "d:u:i:at:l:f:Pvh")) != -1) {
		switch (ch) {
		case 'd': d->db = optarg; break;
		case 'u': d->user = optarg; break;
		case 'i': if (add_bridge(d, optarg) < 0) return -1; break;
		case 'a': d->all_bridges = true; break;
		case 't': if (add_trusted(d, optarg) < 0) return -1; break;
		case 'l':
		case 'f':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end != '\0' || v < 1 ||
			    v > (ch == 'l' ? AVEC_ADDR_LIFETIME_MAX : 10000)) {
				avec_err_log("-%c %s: out of bounds", ch, optarg);
				return -1;
			}
			if (ch == 'l')
				d->nd_lifetime = (uint32_t)v;
			else
				d->flush_ms = (unsigned)v;
			break;
		case 'P': d->promisc = false; break;
		case 'v': avec_log_init("avec-addrd", AVEC_LOG_DEBUG, NULL); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || d->db == NULL) {
		usage(stderr);
		return -1;
	}
	if (d->all_bridges && all_bridges(d) < 0)
		return -1;
	if (d->nbr == 0) {
		avec_err_log("no bridge to watch (-i, or -a found none)");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct addrd d;
	struct avec_err err = { { 0 } };
	unsigned i;
	int rc;

	avec_log_init("avec-addrd", AVEC_LOG_INFO, NULL);
	if (parse_args(&d, argc, argv) < 0)
		return 2;
	for (i = 0; i < d.nbr; i++)
		if ((d.br[i].fd = addrd_capture_open(d.br[i].name, d.promisc)) < 0)
			return 1;
	/* nothing has been read yet: now give up root for good */
	if (avec_priv_drop(d.user) < 0)
		return 1;
	if ((d.st = avec_store_open(d.db, 0, &err)) == NULL) {
		avec_err_log("%s", err.msg);
		return 1;
	}
	avec_signals_init();
	for (i = 0; i < d.nbr; i++)
		avec_info("watching %s (VLAN %d)%s", d.br[i].name, d.br[i].vlan,
			  d.promisc ? ", promiscuous" : "");
	rc = run(&d);
	avec_store_close(d.st);
	for (i = 0; i < d.nbr; i++)
		close(d.br[i].fd);
	avec_info("stopped");
	return rc < 0 ? 1 : 0;
}
