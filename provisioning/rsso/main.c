/*
 * main.c - avec-rsso: tells a firewall (or a web filter) who holds each
 * address, by RADIUS accounting ("RADIUS single sign-on").
 *
 *   avec-rsso -d STORE -r RECEIVER [-P PORT] -s SECRET_FILE [-R ROLE,...]
 *             [-n NAS_ID] [-I SECONDS] [-q QUEUE] [-w WINDOW] [-p MS]
 *             [-u USER] [-v]
 *
 * It reads the address bindings that avec-addrd and FreeRADIUS's writer
 * commit to the store (watch.c, read-only) and sends the receiver a
 * Start when one opens, a Stop when it ends (sender.c).  The shared
 * secret is read from a file, as root if started so, before it becomes
 * USER; it is never logged, and never on the command line.
 *
 * This file owns the options, the secret file and the loop; it must
 * never write the store and never stop on the receiver's silence.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "avec/log.h"
#include "avec/store.h"
#include "common/mono.h"
#include "common/priv.h"
#include "common/signals.h"
#include "das/radpkt.h"
#include "sender.h"
#include "watch.h"

#define COUNTS_EVERY_S	60
#define DRAIN_MS	2000	/* on SIGTERM: what is queued, this long */

/* The first line of @path: the secret, 1 to AVEC_RAD_SECRET_MAX octets. */
static int
read_secret(const char *path, uint8_t *out, size_t *len)
{
	char buf[AVEC_RAD_SECRET_MAX + 2];
	FILE *f = fopen(path, "re");
	int rc = -1;

	if (f == NULL) {
		avec_err_log("the secret file %s: %s", path, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IONBF, 0);	/* no stdio buffer keeps a copy */
	if (fgets(buf, sizeof(buf), f) != NULL) {
		*len = strcspn(buf, "\r\n");
		if (*len > 0 && *len <= AVEC_RAD_SECRET_MAX) {
			memcpy(out, buf, *len);
			rc = 0;
		}
	}
	if (rc < 0)
		avec_err_log("the secret file %s: one line of 1 to %d "
			     "characters expected", path, AVEC_RAD_SECRET_MAX);
	OPENSSL_cleanse(buf, sizeof(buf));
	fclose(f);
	return rc;
}

static void
log_counts(struct rsso_sender *s, struct rsso_watch *w, bool force)
{
	static uint64_t last = UINT64_MAX;
	const struct rsso_counts *n = rsso_sender_counts(s);
	uint64_t sum = n->queued + n->answered + n->retried + n->unanswered +
	    n->dropped + n->refused + n->failed;
	unsigned followed, announced;

	if (!force && sum == last)
		return;
	last = sum;
	rsso_watch_size(w, &followed, &announced);
	avec_info("copies queued %" PRIu64 ", answered %" PRIu64 ", retried %"
		  PRIu64 ", unanswered %" PRIu64 ", dropped %" PRIu64
		  ", answers refused %" PRIu64 ", not encoded %" PRIu64
		  "; bindings followed %u, announced %u", n->queued,
		  n->answered, n->retried, n->unanswered, n->dropped,
		  n->refused, n->failed, followed, announced);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: avec-rsso -d STORE -r RECEIVER [-P PORT] -s SECRET_FILE\n"
		"                 [-R ROLE,...] [-n NAS_ID] [-I SECONDS] [-q QUEUE]\n"
		"                 [-w WINDOW] [-p MS] [-u USER] [-v]\n"
		"  -d STORE       the AVEC store (read only)\n"
		"  -r RECEIVER    the accounting receiver's IPv4 or IPv6 address\n"
		"  -P PORT        its port (1813)\n"
		"  -s FILE        the shared secret, its first line\n"
		"  -R ROLES       only these roles (student,teacher,staff,parent)\n"
		"  -n NAS_ID      the NAS-Identifier of the copies (avec)\n"
		"  -I SECONDS     an Interim-Update for each open binding this often (0)\n"
		"  -q QUEUE       copies waiting at most, then dropped (4096)\n"
		"  -w WINDOW      requests in flight at most (16)\n"
		"  -p MS          how often the store is read (200)\n"
		"  -u USER        the user to become after reading the secret (root only)\n"
		"  -v             debug messages\n");
}

/* A whole number within [lo, hi], or -1 (logged). */
static long
number(int opt, const char *arg, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end != '\0' || v < lo || v > hi) {
		avec_err_log("-%c %s: %ld to %ld", opt, arg, lo, hi);
		return -1;
	}
	return v;
}

struct opts {
	const char *db, *user, *secret_file;
	struct rsso_sender_conf sc;
	struct rsso_watch_conf wc;
	unsigned poll_ms;
	char roles[64];
};

static int
parse_roles(struct opts *o, const char *arg)
{
	unsigned n = 0;
	char *p, *save = NULL;

	snprintf(o->roles, sizeof(o->roles), "%s", arg);
	for (p = strtok_r(o->roles, ",", &save); p != NULL;
	     p = strtok_r(NULL, ",", &save)) {
		if (strcmp(p, "student") != 0 && strcmp(p, "teacher") != 0 &&
		    strcmp(p, "staff") != 0 && strcmp(p, "parent") != 0) {
			avec_err_log("-R: %s is not a role", p);
			return -1;
		}
		if (n == RSSO_ROLES_MAX)
			return -1;
		o->wc.roles[n++] = p;
	}
	o->wc.roles[n] = NULL;
	return 0;
}

static int
parse_args(struct opts *o, int argc, char **argv)
{
	long v;
	int ch;

	o->user = "";
	o->sc.port = 1813;
	o->sc.nas_id = "avec";
	o->sc.queue_max = 4096;
	o->sc.window = 16;
	o->sc.attempts = 3;
	o->sc.timeout_ms = 1000;
	o->wc.track_max = 262144;
	o->poll_ms = 200;
	while ((ch = getopt(argc, argv, "d:r:P:s:R:n:I:q:w:p:u:vh")) != -1) {
		v = 0;
		switch (ch) {
		case 'd': o->db = optarg; break;
		case 'r': o->sc.host = optarg; break;
		case 's': o->secret_file = optarg; break;
		case 'n': o->sc.nas_id = optarg; break;
		case 'u': o->user = optarg; break;
		case 'R': if (parse_roles(o, optarg) < 0) return -1; break;
		case 'P': v = number(ch, optarg, 1, 65535); o->sc.port = (uint16_t)v; break;
		case 'I': v = number(ch, optarg, 0, 86400); o->wc.interim_s = (unsigned)v; break;
		case 'q': v = number(ch, optarg, 1, 1000000); o->sc.queue_max = (unsigned)v; break;
		case 'w': v = number(ch, optarg, 1, 64); o->sc.window = (unsigned)v; break;
		case 'p': v = number(ch, optarg, 10, 10000); o->poll_ms = (unsigned)v; break;
		case 'v': avec_log_init("avec-rsso", AVEC_LOG_DEBUG, NULL); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
		if (v < 0)
			return -1;
	}
	if (optind != argc || o->db == NULL || o->sc.host == NULL ||
	    o->secret_file == NULL) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static void
run(struct rsso_sender *s, struct rsso_watch *w, unsigned poll_ms)
{
	struct pollfd pfd = { .fd = rsso_sender_fd(s), .events = POLLIN };
	int64_t next_tick = 0, next_counts = avec_mono_ms() + COUNTS_EVERY_S * 1000;
	int64_t drain_until = 0;

	for (;;) {
		int64_t t = avec_mono_ms();
		int timeout = next_tick > t ? (int)(next_tick - t) : 0;
		int sw = rsso_sender_wait_ms(s);

		if (avec_sig_stop && drain_until == 0)
			drain_until = t + DRAIN_MS;
		if (drain_until != 0 &&
		    (rsso_sender_pending(s) == 0 || t >= drain_until))
			return;
		if (sw >= 0 && sw < timeout)
			timeout = sw;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR) {
			avec_err_log("poll: %s", strerror(errno));
			return;
		}
		rsso_sender_run(s);
		t = avec_mono_ms();
		if (drain_until == 0 && t >= next_tick) {
			rsso_watch_tick(w, (int64_t)time(NULL));
			rsso_sender_run(s);
			next_tick = t + poll_ms;
		}
		if (avec_sig_counts || t >= next_counts) {
			log_counts(s, w, avec_sig_counts);
			avec_sig_counts = 0;
			next_counts = t + COUNTS_EVERY_S * 1000;
		}
	}
}

int
main(int argc, char **argv)
{
	static struct opts o;
	struct avec_err err = { { 0 } };
	uint8_t secret[AVEC_RAD_SECRET_MAX];
	struct rsso_sender *s = NULL;
	struct rsso_watch *w = NULL;
	struct avec_store *st = NULL;
	int rc = 1;

	avec_log_init("avec-rsso", AVEC_LOG_INFO, NULL);
	if (parse_args(&o, argc, argv) < 0)
		return 2;
	if (read_secret(o.secret_file, secret, &o.sc.secret_len) < 0)
		return 1;
	o.sc.secret = secret;
	s = rsso_sender_new(&o.sc);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (s == NULL || avec_priv_drop(o.user) < 0)
		goto out;
	if ((st = avec_store_open(o.db, AVEC_STORE_READONLY, &err)) == NULL) {
		avec_err_log("%s", err.msg);
		goto out;
	}
	if ((w = rsso_watch_new(&o.wc, st, s)) == NULL) {
		avec_err_log("out of memory");
		goto out;
	}
	avec_signals_init();
	avec_info("copies to %s port %u%s%s", o.sc.host, (unsigned)o.sc.port,
		  o.roles[0] ? ", roles " : "", o.roles);
	run(s, w, o.poll_ms);
	log_counts(s, w, true);
	avec_info("stopped");
	rc = 0;
out:
	rsso_watch_free(w);
	if (st != NULL)
		avec_store_close(st);
	rsso_sender_free(s);
	return rc;
}
