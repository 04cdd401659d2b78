/*
 * copy.h - one accounting copy for a firewall's RADIUS single sign-on: an
 * Accounting-Request saying that an address is now held by a person of a
 * role (Start, Interim-Update) or no longer (Stop).
 *
 * The attributes (RFC 2865, 2866, 6911): Acct-Status-Type, User-Name (the
 * principal), Framed-IP-Address or Framed-IPv6-Address, Class and
 * Filter-Id (the role), Calling-Station-Id (the MAC), Acct-Session-Id
 * ("avec-addr-" and the binding's row), NAS-Identifier, Event-Timestamp;
 * a Stop adds Acct-Session-Time and Acct-Terminate-Cause.  The packet is
 * sealed by das/radpkt.c, Message-Authenticator included.
 */
#ifndef AVEC_RSSO_COPY_H
#define AVEC_RSSO_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "avec/addr_feed.h"
#include "avec/err.h"

enum rsso_status {
	RSSO_START = 1,		/* Acct-Status-Type values (RFC 2866) */
	RSSO_STOP = 2,
	RSSO_INTERIM = 3,
};

struct rsso_copy {
	enum rsso_status status;
	struct avec_feed_rec b;	/* the binding, as read from the store */
	int64_t at;		/* Event-Timestamp */
};

/* "Start", "Stop", "Interim-Update" */
const char *rsso_status_name(enum rsso_status s);

/*
 * rsso_copy_encode - the Accounting-Request for @c with identifier @id,
 * NAS-Identifier @nas_id, sealed with the secret, into @buf.  Returns
 * its length, or -1 with @err (never the secret).
 */
int rsso_copy_encode(const struct rsso_copy *c, uint8_t id,
		     const char *nas_id, const uint8_t *secret,
		     size_t secret_len, uint8_t *buf, size_t buflen,
		     struct avec_err *err);

#endif
