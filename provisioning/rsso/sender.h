/*
 * sender.h - the accounting copies on their way to the receiver: a
 * bounded queue, a window of requests in flight on one connected UDP
 * socket, bounded retries, and counts.
 *
 * Nothing here blocks: rsso_sender_fd() is polled with the caller's
 * other work, rsso_sender_run() sends what the window allows, reads the
 * answers and retries what timed out, and rsso_sender_wait_ms() says when
 * it next needs to run.  A copy that finds the queue full is dropped and
 * counted; one unanswered after every try is given up and counted.
 * Failures are logged (at most once a minute each), never the secret.
 */
#ifndef AVEC_RSSO_SENDER_H
#define AVEC_RSSO_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "copy.h"

struct rsso_sender;

struct rsso_sender_conf {
	const char *host;		/* numeric IPv4 or IPv6 address */
	uint16_t port;
	const uint8_t *secret;		/* copied, wiped at free */
	size_t secret_len;
	const char *nas_id;		/* NAS-Identifier */
	unsigned queue_max;		/* copies waiting, at most */
	unsigned window;		/* requests in flight, at most */
	unsigned attempts;		/* sends of one request */
	unsigned timeout_ms;		/* the first wait; doubles after */
};

struct rsso_counts {
	uint64_t queued, answered, retried, unanswered, dropped, refused,
	    failed;
};

/* A sender, its socket connected; NULL (logged) on failure. */
struct rsso_sender *rsso_sender_new(const struct rsso_sender_conf *c);
void rsso_sender_free(struct rsso_sender *s);
int rsso_sender_fd(const struct rsso_sender *s);
/* Queue one copy; false when the queue was full (dropped, counted). */
bool rsso_sender_push(struct rsso_sender *s, const struct rsso_copy *c);
/* Send, read answers, retry: call when the fd is readable or the wait is over. */
void rsso_sender_run(struct rsso_sender *s);
/* Milliseconds until rsso_sender_run() has work (-1: only an answer). */
int rsso_sender_wait_ms(const struct rsso_sender *s);
/* Copies queued or in flight. */
unsigned rsso_sender_pending(const struct rsso_sender *s);
const struct rsso_counts *rsso_sender_counts(const struct rsso_sender *s);

#endif
