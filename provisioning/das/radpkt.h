/*
 * radpkt.h - the RADIUS wire that AVEC's clients share: attributes, the
 * Message-Authenticator (RFC 3579) and the Request Authenticator of a
 * request whose authenticator is computed (RFC 2866 Accounting-Request,
 * RFC 5176 Disconnect-Request: the same rule), and the checks an answer
 * must pass before it is believed.
 *
 * das.c (Disconnect-Requests) and rsso/ (accounting copies for a
 * firewall) build and check their packets here; nothing else writes
 * RADIUS.  Nothing here logs or keeps the shared secret.
 */
#ifndef AVEC_RADPKT_H
#define AVEC_RADPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avec/err.h"

#define AVEC_RAD_HDR_LEN	20
#define AVEC_RAD_AUTH_OFF	4
#define AVEC_RAD_AUTH_LEN	16
#define AVEC_RAD_PACKET_MAX	4096	/* RFC 2865 */
#define AVEC_RAD_SECRET_MAX	128

/*
 * avec_rad_put - append one attribute (type, length, @len octets of @val)
 * at *@pos of @buf.  Returns 0, or -1 if it is longer than 253 octets or
 * does not fit.
 */
int avec_rad_put(uint8_t *buf, size_t buflen, size_t *pos, uint8_t type,
		 const void *val, size_t len);

/*
 * avec_rad_put_text - a text attribute from a C string: nothing when @s
 * is NULL or empty; -1 with @err ("@what is longer than 253 octets", "no
 * room for @what", prefixed with @pkt) otherwise.
 */
int avec_rad_put_text(uint8_t *buf, size_t buflen, size_t *pos, uint8_t type,
		      const char *s, const char *pkt, const char *what,
		      struct avec_err *err);

/* A 32-bit integer attribute (Event-Timestamp, Acct-Status-Type...). */
int avec_rad_put_u32(uint8_t *buf, size_t buflen, size_t *pos, uint8_t type,
		     uint32_t v);

/*
 * avec_rad_seal - finish the request whose header (code, identifier) and
 * attributes are in @buf[0..*pos): append a Message-Authenticator,
 * set the Length, compute the Message-Authenticator (HMAC-MD5 over the
 * packet, authenticator zero) and then the Request Authenticator (MD5 of
 * the packet with 16 zero octets in its place, then the secret).
 * Returns the packet's length, or -1 with @err (a secret of 0 or more
 * than AVEC_RAD_SECRET_MAX octets, no room, a crypto failure).
 */
int avec_rad_seal(uint8_t *buf, size_t buflen, size_t *pos,
		  const uint8_t *secret, size_t secret_len, const char *pkt,
		  struct avec_err *err);

/* What an answer must be, and what it carried. */
struct avec_rad_answer {
	uint8_t code;			/* the answer's code */
	uint32_t error_cause;		/* Error-Cause (RFC 5176), 0 none */
};

/*
 * avec_rad_check - is @rep a valid answer to the request @req?  Its
 * code must be @code_a or @code_b; its length (20 to AVEC_RAD_PACKET_MAX
 * octets, the Length field within the datagram), identifier, every
 * attribute's length, the Response Authenticator and, when present (and
 * it must be when @need_ma), exactly one correct Message-Authenticator.
 * Returns 0 with @ans filled, or -1 with @err saying why the answer is
 * not to be trusted (never the secret).
 */
int avec_rad_check(const uint8_t *req, size_t req_len, const uint8_t *rep,
		   size_t rep_len, const uint8_t *secret, size_t secret_len,
		   uint8_t code_a, uint8_t code_b, bool need_ma,
		   struct avec_rad_answer *ans, struct avec_err *err);

#endif
