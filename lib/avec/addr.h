/*
 * addr.h - which device held which address, learnt from the network itself:
 * the frames that give a station an address (DHCPv4, DHCPv6, IPv6
 * neighbour discovery), read into events, and the events folded into
 * address bindings in the store.
 *
 * avec_addr_parse() is a pure function of one Ethernet frame: it never
 * allocates, never logs, and reads nothing beyond @len, whatever the frame
 * holds.  avec_store_addr_apply() folds events into table addr_bindings
 * (one row per address held by one MAC on one bridge, from the moment it
 * was given until it ended), inside one transaction.  The device and the
 * person come from the open RADIUS session of that MAC (the connection
 * log, connlog.h), copied into the row so that they outlive an erased
 * account.  Records are fixed-size and owned by the caller; times are Unix
 * seconds.
 */
#ifndef AVEC_ADDR_H
#define AVEC_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avec/connlog.h"
#include "avec/err.h"
#include "avec/store.h"

/* How an address was learnt. */
enum avec_addr_source {
	AVEC_ADDR_DHCP4 = 1,	/* a DHCPv4 server's ACK (yiaddr, lease) */
	AVEC_ADDR_DHCP6,	/* a DHCPv6 server's Reply (IA address) */
	AVEC_ADDR_ND,		/* IPv6 neighbour discovery (SLAAC, privacy) */
};

/* What a frame says of an address. */
enum avec_addr_op {
	AVEC_ADDR_BIND = 1,	/* a server gave it, for @lifetime seconds */
	AVEC_ADDR_USE,		/* the station answers for it (NA, NS) */
	AVEC_ADDR_CLAIM,	/* the station tries it (DAD): tentative */
	AVEC_ADDR_RELEASE,	/* the station gives it back */
	AVEC_ADDR_DECLINE,	/* the station found it taken: not its own */
	AVEC_ADDR_NAK,		/* the server refused the station (no address):
				   its DHCPv4 leases on that bridge end */
};

/* Why the frame was not an event; counted by the listener. */
enum avec_addr_reject {
	AVEC_ADDR_OK = 0,
	AVEC_ADDR_IGNORED,	/* well-formed, but nothing about a binding */
	AVEC_ADDR_TRUNCATED,	/* a header or an option runs past the end */
	AVEC_ADDR_MALFORMED,	/* a field out of its rules */
	AVEC_ADDR_UNTRUSTED,	/* a server's message not from a server */
	AVEC_ADDR_SPOOFED,	/* the MACs of the frame disagree */
	AVEC_ADDR_BAD_ADDRESS,	/* an address no station can hold */
	AVEC_ADDR_REJECT_MAX
};

#define AVEC_ADDR_EVENTS_MAX	8	/* events one frame may give */
#define AVEC_ADDR_LIFETIME_MAX	(365 * 86400)	/* infinite leases, capped */

struct avec_addr_event {
	enum avec_addr_op op;
	enum avec_addr_source source;
	int family;			/* 4 or 6 */
	uint8_t mac[6];			/* the station's */
	uint8_t addr[16];		/* 4 bytes for IPv4; none for NAK */
	uint32_t lifetime;		/* seconds, for BIND; 0 otherwise */
};

/* Where a frame was seen: AF_PACKET's packet type, reduced. */
enum avec_addr_dir {
	AVEC_ADDR_FROM_STATION = 0,	/* received on the bridge */
	AVEC_ADDR_FROM_HOST,		/* sent by this machine (its DHCP server) */
	AVEC_ADDR_FROM_TRUSTED,		/* received from a trusted DHCP server */
};

/*
 * avec_addr_parse - the events in one Ethernet frame (an optional 802.1Q
 * tag is skipped): a DHCPv4 ACK or NAK (server to client), RELEASE or
 * DECLINE (client to server), a DHCPv6 Reply, an ICMPv6 Neighbour
 * Solicitation or Advertisement.  A server's message counts only when
 * @dir is FROM_HOST or FROM_TRUSTED; a station's only when FROM_STATION,
 * and only for the MAC it was sent from.  Writes at most @max events into
 * @out and their number into *@n.
 * Returns: AVEC_ADDR_OK (with *@n >= 1), or why not (*@n is 0).
 */
enum avec_addr_reject avec_addr_parse(const uint8_t *frame, size_t len,
				      enum avec_addr_dir dir,
				      struct avec_addr_event *out,
				      unsigned max, unsigned *n);

/* A short name for a reject reason ("truncated", ...), for counters. */
const char *avec_addr_reject_name(enum avec_addr_reject r);
/* "dhcp", "dhcpv6", "nd" */
const char *avec_addr_source_name(enum avec_addr_source s);

/* An event as the store takes it: where and when it was seen. */
struct avec_addr_rec {
	struct avec_addr_event ev;
	char bridge[16];		/* IFNAMSIZ */
	int vlan;			/* 0: unknown */
	int64_t at;
};

/*
 * avec_store_addr_apply - fold @n events into the bindings, in order, in
 * one transaction (the caller's, when one is open).  @nd_lifetime is how
 * long an IPv6 address learnt by neighbour discovery stays bound after it
 * was last seen.  For each (address, bridge):
 *   - BIND and USE: a binding of another MAC still open ends ("replaced");
 *     the MAC's own open binding is extended (a renewed lease), else one
 *     starts, tied to the MAC's open RADIUS session;
 *   - CLAIM: the same, unless another MAC holds the address (it defends
 *     it: the claim is ignored);
 *   - RELEASE, DECLINE: the MAC's binding ends; NAK: all the MAC's DHCPv4
 *     bindings on that bridge end.
 * A binding past its expiry ends there ("expiry") before anything else.
 * Returns: 0, or -1 with nothing applied.
 */
int avec_store_addr_apply(struct avec_store *st,
			  const struct avec_addr_rec *r, unsigned n,
			  uint32_t nd_lifetime, struct avec_err *err);

/*
 * avec_store_addr_expire - end, as of @now, the open bindings whose lease
 * (or neighbour-discovery lifetime) ran out, at that expiry.  Queries do
 * not depend on it (they read the expiry); it keeps ended_at true.
 * *@ended (may be NULL) gets the number of bindings ended.
 */
int avec_store_addr_expire(struct avec_store *st, int64_t now,
			   uint64_t *ended, struct avec_err *err);

/* One binding, as a query returns it. */
struct avec_binding_rec {
	int64_t id;
	char address[AVEC_ADDR_MAX + 1];
	int family;
	char mac[18];
	char source[8];			/* "dhcp", "dhcpv6", "nd" */
	char bridge[16];
	int vlan;
	int64_t bound_at, seen_at, expires_at;
	int64_t ended_at;		/* 0: open until expires_at */
	char end_cause[16];		/* "", "expiry", "release", "decline",
					   "nak", "replaced", "session-stop" */
	int64_t session_id;		/* the connection log's row; 0: none */
	int64_t account_id;		/* 0 once the account is erased */
	int64_t device_id;		/* 0 once the device is erased */
	char principal[AVEC_PRINCIPAL_MAX + 1];	/* kept after erasure */
	char device_name[AVEC_DEVICE_NAME_MAX + 1];	/* "" if erased */
};

typedef int (*avec_binding_cb)(const struct avec_binding_rec *b, void *ctx);
/*
 * avec_store_binding_query - the bindings of address @ip (canonical text)
 * that covered instant @at: bound at or before it, and ended (or expired)
 * at or after it; oldest first.  With @principal instead (and @ip NULL),
 * every binding of that person overlapping [@at, @to] (@to 0: open).
 * A non-zero return of @cb stops the walk and is returned.
 */
int avec_store_binding_query(struct avec_store *st, const char *ip,
			     const char *principal, int64_t at, int64_t to,
			     avec_binding_cb cb, void *ctx,
			     struct avec_err *err);

#endif
