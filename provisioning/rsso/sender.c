/*
 * sender.c - the accounting copies on the wire (sender.h): a ring of
 * copies waiting, a window of requests in flight (each with its own
 * identifier, sent again unchanged on a retry, so that a receiver that
 * answered a copy answers the next one the same way), and the answers,
 * each checked by das/radpkt.c before it retires its request.
 *
 * Copies go in the order they were queued; a window larger than one lets
 * a Start and the Stop of the same binding be in flight together only
 * when the Stop came within one round trip.  It must never block, never
 * keep more than queue_max copies, and never log the secret.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "avec/log.h"
#include "common/mono.h"
#include "das/radpkt.h"
#include "sender.h"

#define CODE_ACCOUNTING_RESPONSE	5
#define WINDOW_MAX	64
#define LOG_EVERY_MS	60000
#define PKT_MAX		1024	/* a copy is about 200 octets */

struct flight {
	bool used;
	uint8_t pkt[PKT_MAX];
	size_t len;
	unsigned tries, wait_ms;
	int64_t deadline;
	char what[48];		/* "Start of binding 12": for the log */
};

struct rsso_sender {
	int fd;
	char peer[64];		/* "address port", for the log */
	uint8_t secret[AVEC_RAD_SECRET_MAX];
	size_t secret_len;
	char nas_id[64];
	unsigned queue_max, window, attempts, timeout_ms;
	struct rsso_copy *ring;
	unsigned head, count;
	struct flight fl[WINDOW_MAX];
	unsigned nfl;
	uint8_t next_id;
	struct rsso_counts n;
	int64_t logged_unanswered, logged_refused, logged_dropped;
};

/* At most once a minute per kind of failure. */
static bool
due(int64_t *last)
{
	int64_t t = avec_mono_ms();

	if (*last != 0 && t - *last < LOG_EVERY_MS)
		return false;
	*last = t;
	return true;
}

struct rsso_sender *
rsso_sender_new(const struct rsso_sender_conf *c)
{
	struct addrinfo hints, *ai = NULL;
	struct rsso_sender *s;
	char ps[8];

	if (c->secret_len == 0 || c->secret_len > AVEC_RAD_SECRET_MAX) {
		avec_err_log("the receiver's shared secret must be 1 to %d "
			     "octets", AVEC_RAD_SECRET_MAX);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->ring = calloc(c->queue_max ? c->queue_max : 1,
			      sizeof(*s->ring))) == NULL) {
		free(s);
		avec_err_log("out of memory");
		return NULL;
	}
	s->fd = -1;
	memcpy(s->secret, c->secret, c->secret_len);
	s->secret_len = c->secret_len;
	snprintf(s->nas_id, sizeof(s->nas_id), "%s", c->nas_id);
	s->queue_max = c->queue_max ? c->queue_max : 1;
	s->window = c->window < 1 ? 1 : c->window > WINDOW_MAX ? WINDOW_MAX :
	    c->window;
	s->attempts = c->attempts ? c->attempts : 3;
	s->timeout_ms = c->timeout_ms ? c->timeout_ms : 1000;
	snprintf(s->peer, sizeof(s->peer), "%s port %u", c->host,
		 (unsigned)c->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", (unsigned)c->port);
	if (getaddrinfo(c->host, ps, &hints, &ai) != 0 || ai == NULL) {
		avec_err_log("receiver %s: not a numeric IP address", c->host);
		goto fail;
	}
	/* connected: the kernel keeps any other source's datagram out */
	s->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (s->fd < 0 || connect(s->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		avec_err_log("receiver %s: %s", s->peer, strerror(errno));
		goto fail;
	}
	freeaddrinfo(ai);
	return s;
fail:
	if (ai != NULL)
		freeaddrinfo(ai);
	rsso_sender_free(s);
	return NULL;
}

void
rsso_sender_free(struct rsso_sender *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	OPENSSL_cleanse(s->secret, sizeof(s->secret));
	OPENSSL_cleanse(s->fl, sizeof(s->fl));
	free(s->ring);
	free(s);
}

int
rsso_sender_fd(const struct rsso_sender *s)
{
	return s->fd;
}

bool
rsso_sender_push(struct rsso_sender *s, const struct rsso_copy *c)
{
	if (s->count == s->queue_max) {
		s->n.dropped++;
		if (due(&s->logged_dropped))
			avec_err_log("receiver %s: %u copies waiting, a new one "
				     "dropped (%llu so far)", s->peer,
				     s->count, (unsigned long long)s->n.dropped);
		return false;
	}
	s->ring[(s->head + s->count) % s->queue_max] = *c;
	s->count++;
	s->n.queued++;
	return true;
}

/* An identifier no request in flight has. */
static uint8_t
free_id(struct rsso_sender *s)
{
	unsigned i;

	for (;;) {
		uint8_t id = s->next_id++;
		bool taken = false;

		for (i = 0; i < WINDOW_MAX && !taken; i++)
			taken = s->fl[i].used && s->fl[i].pkt[1] == id;
		if (!taken)
			return id;
	}
}

static void
transmit(struct rsso_sender *s, struct flight *f)
{
	f->tries++;
	f->deadline = avec_mono_ms() + f->wait_ms;
	if (send(s->fd, f->pkt, f->len, 0) < 0 && errno != EAGAIN &&
	    errno != ECONNREFUSED && due(&s->logged_unanswered))
		avec_err_log("receiver %s: sending: %s", s->peer,
			     strerror(errno));
}

/* Move queued copies into free slots of the window. */
static void
fill(struct rsso_sender *s)
{
	struct avec_err err = { { 0 } };
	unsigned i;

	for (i = 0; i < s->window && s->count > 0; i++) {
		struct flight *f = &s->fl[i];
		const struct rsso_copy *c;
		int len;

		if (f->used)
			continue;
		c = &s->ring[s->head];
		s->head = (s->head + 1) % s->queue_max;
		s->count--;
		len = rsso_copy_encode(c, free_id(s), s->nas_id, s->secret,
				       s->secret_len, f->pkt, sizeof(f->pkt),
				       &err);
		if (len < 0) {
			s->n.failed++;
			avec_err_log("%s", err.msg);
			continue;
		}
		f->used = true;
		f->len = (size_t)len;
		f->tries = 0;
		f->wait_ms = s->timeout_ms;
		snprintf(f->what, sizeof(f->what), "%s of binding %lld",
			 rsso_status_name(c->status), (long long)c->b.id);
		s->nfl++;
		transmit(s, f);
	}
}

static void
retire(struct rsso_sender *s, struct flight *f)
{
	OPENSSL_cleanse(f, sizeof(*f));
	s->nfl--;
}

/* Read every answer queued on the socket. */
static void
answers(struct rsso_sender *s)
{
	uint8_t rep[AVEC_RAD_PACKET_MAX + 1];
	struct avec_err err = { { 0 } };
	struct avec_rad_answer ans;
	ssize_t got;
	unsigned i;

	while ((got = recv(s->fd, rep, sizeof(rep), MSG_TRUNC)) >= 0 ||
	       errno == ECONNREFUSED || errno == EINTR) {
		struct flight *f = NULL;

		if (got < 0)
			continue;	/* an ICMP error for an earlier send */
		for (i = 0; i < WINDOW_MAX && got >= 2; i++)
			if (s->fl[i].used && s->fl[i].pkt[1] == rep[1])
				f = &s->fl[i];
		if (f == NULL)
			continue;	/* late: its request was retired */
		if (avec_rad_check(f->pkt, f->len, rep, (size_t)got, s->secret,
				   s->secret_len, CODE_ACCOUNTING_RESPONSE,
				   CODE_ACCOUNTING_RESPONSE, false, &ans,
				   &err) < 0) {
			s->n.refused++;
			if (due(&s->logged_refused))
				avec_err_log("receiver %s: an answer refused: "
					     "%s (%llu so far)", s->peer, err.msg,
					     (unsigned long long)s->n.refused);
			continue;
		}
		s->n.answered++;
		retire(s, f);
	}
}

/* Send again what timed out, give up what had every try. */
static void
timeouts(struct rsso_sender *s)
{
	int64_t t = avec_mono_ms();
	unsigned i;

	for (i = 0; i < WINDOW_MAX; i++) {
		struct flight *f = &s->fl[i];

		if (!f->used || t < f->deadline)
			continue;
		if (f->tries >= s->attempts) {
			s->n.unanswered++;
			if (due(&s->logged_unanswered))
				avec_err_log("receiver %s: no valid answer to "
					     "the %s after %u tries (the receiver "
					     "down, or not this shared secret); "
					     "%llu copies unanswered so far",
					     s->peer, f->what, f->tries,
					     (unsigned long long)s->n.unanswered);
			retire(s, f);
			continue;
		}
		f->wait_ms *= 2;
		if (f->wait_ms > 8 * s->timeout_ms)
			f->wait_ms = 8 * s->timeout_ms;
		s->n.retried++;
		transmit(s, f);
	}
}

void
rsso_sender_run(struct rsso_sender *s)
{
	answers(s);
	timeouts(s);
	fill(s);
}

int
rsso_sender_wait_ms(const struct rsso_sender *s)
{
	int64_t t = avec_mono_ms(), next = -1;
	unsigned i;

	if (s->count > 0 && s->nfl < s->window)
		return 0;
	for (i = 0; i < WINDOW_MAX; i++)
		if (s->fl[i].used && (next < 0 || s->fl[i].deadline < next))
			next = s->fl[i].deadline;
	if (next < 0)
		return -1;
	return next <= t ? 0 : (int)(next - t);
}

unsigned
rsso_sender_pending(const struct rsso_sender *s)
{
	return s->count + s->nfl;
}

const struct rsso_counts *
rsso_sender_counts(const struct rsso_sender *s)
{
	return &s->n;
}
