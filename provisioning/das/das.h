/*
 * das.h - AVEC's Dynamic Authorization client (RFC 5176): a
 * Disconnect-Request to an authenticator's DAS, and its verified answer.
 *
 * Used by avecctl on a revocation (and by avecd later).  One call sends
 * one Disconnect-Request for one session, retries it a bounded number of
 * times, and returns what came back: ACK, NAK (with its Error-Cause),
 * timeout, or a local error.  An answer is believed only when it comes
 * from the address and port the request went to, carries the request's
 * identifier, a correct Response Authenticator and a correct
 * Message-Authenticator; anything else is dropped and the wait goes on.
 *
 * The shared secret is the caller's: this code reads it, never copies it
 * into a message, and never logs (it does not log at all).
 */
#ifndef AVEC_DAS_H
#define AVEC_DAS_H

#include <stddef.h>
#include <stdint.h>

#include "avec/err.h"

#define AVEC_DAS_PORT		3799	/* RFC 5176 */
#define AVEC_DAS_PACKET_MAX	4096	/* RFC 2865 */
#define AVEC_DAS_SECRET_MAX	128
#define AVEC_DAS_DETAIL_MAX	160

/* RADIUS codes (RFC 5176) */
#define AVEC_DAS_CODE_DISCONNECT_REQUEST	40
#define AVEC_DAS_CODE_DISCONNECT_ACK		41
#define AVEC_DAS_CODE_DISCONNECT_NAK		42

enum avec_das_result {
	AVEC_DAS_ACK,		/* the NAS ended the session */
	AVEC_DAS_NAK,		/* the NAS refused; see error_cause */
	AVEC_DAS_TIMEOUT,	/* no valid answer after every attempt */
	AVEC_DAS_ERROR,		/* nothing could be sent (address, socket) */
};

/*
 * The session to end, as the NAS knows it.  A NULL or empty string is
 * not sent.  At least one of calling_station_id, acct_session_id and
 * user_name must be given.  Strings are borrowed for the call.
 */
struct avec_das_session {
	const char *user_name;		/* the User-Name the NAS saw */
	const char *calling_station_id;	/* as the NAS sends it */
	const char *acct_session_id;
	const char *nas_address;	/* IPv4 or IPv6 literal */
	uint32_t event_timestamp;	/* 0: now */
};

/* Retries: zero fields take the defaults (3 attempts, 1000 ms, 2000 ms). */
struct avec_das_opts {
	unsigned attempts;		/* sends of the same request */
	unsigned timeout_ms;		/* wait after the first send */
	unsigned max_timeout_ms;	/* the wait doubles up to this */
};

struct avec_das_outcome {
	enum avec_das_result result;
	unsigned attempts;		/* requests sent */
	uint32_t error_cause;		/* Error-Cause of the answer, 0 none */
	unsigned refused;		/* answers dropped as invalid */
	char detail[AVEC_DAS_DETAIL_MAX];	/* one line, never a secret */
};

/*
 * avec_das_encode - a Disconnect-Request for @s with identifier @id, in
 * @buf: Event-Timestamp, the session's attributes, Message-Authenticator
 * (HMAC-MD5 over the packet with a zero authenticator), then the Request
 * Authenticator (MD5 of the packet with 16 zero octets, then the secret).
 * Returns: the packet's length, or -1 with @err set (bad or missing
 * attributes, a secret of 0 or more than AVEC_DAS_SECRET_MAX octets, a
 * buffer too small, a crypto failure).
 */
int avec_das_encode(const struct avec_das_session *s, uint8_t id,
		    const uint8_t *secret, size_t secret_len,
		    uint8_t *buf, size_t buflen, struct avec_err *err);

/*
 * avec_das_check_reply - is @rep a valid answer to the request @req?
 * Checks the length (20 octets up to AVEC_DAS_PACKET_MAX, the Length
 * field within the datagram; octets after it are padding), the code (ACK
 * or NAK), the identifier, every attribute's length, exactly one
 * Message-Authenticator, the Response Authenticator and the
 * Message-Authenticator.  Returns 0 with *result (AVEC_DAS_ACK or _NAK)
 * and *error_cause (0 when absent), or -1 with @err saying why the
 * answer is not to be trusted.
 */
int avec_das_check_reply(const uint8_t *req, size_t req_len,
			 const uint8_t *rep, size_t rep_len,
			 const uint8_t *secret, size_t secret_len,
			 enum avec_das_result *result, uint32_t *error_cause,
			 struct avec_err *err);

/*
 * avec_das_disconnect - send a Disconnect-Request for @s to @host
 * (numeric IPv4 or IPv6 address) port @port, with up to opts->attempts
 * sends of the same packet, waiting timeout_ms after the first and twice
 * as long after each next one (up to max_timeout_ms).  @opts may be NULL.
 * Blocks for at most the sum of the waits.  Fills @out in every case.
 * Returns: out->result.
 */
enum avec_das_result avec_das_disconnect(const char *host, uint16_t port,
					 const uint8_t *secret,
					 size_t secret_len,
					 const struct avec_das_session *s,
					 const struct avec_das_opts *opts,
					 struct avec_das_outcome *out);

/* "ack", "nak", "timeout", "error" (the store's words). */
const char *avec_das_result_name(enum avec_das_result r);
/* RFC 5176's name for an Error-Cause value, or "unknown error cause". */
const char *avec_das_error_cause_name(uint32_t cause);

/*
 * avec_das_calling_station_id - a MAC address in any form ident.h reads,
 * written as RFC 3580 recommends and hostapd sends it:
 * "AA-BB-CC-DD-EE-FF" into out[18].  Returns 0, or -1 if @mac is none.
 */
int avec_das_calling_station_id(const char *mac, char out[18]);

#endif
