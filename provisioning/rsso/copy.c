/*
 * copy.c - the attributes of an accounting copy (copy.h).  It owns the
 * mapping of a binding to RADIUS accounting, and nothing of the wire's
 * cryptography (das/radpkt.c) or of when copies are sent (sender.c).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "copy.h"
#include "das/das.h"
#include "das/radpkt.h"

#define CODE_ACCOUNTING_REQUEST	4

#define ATTR_USER_NAME		1
#define ATTR_FRAMED_IP		8
#define ATTR_FILTER_ID		11
#define ATTR_CLASS		25
#define ATTR_CALLING_STATION_ID	31
#define ATTR_NAS_IDENTIFIER	32
#define ATTR_ACCT_STATUS_TYPE	40
#define ATTR_ACCT_SESSION_ID	44
#define ATTR_ACCT_SESSION_TIME	46
#define ATTR_ACCT_TERMINATE	49
#define ATTR_EVENT_TIMESTAMP	55
#define ATTR_FRAMED_IPV6	168	/* RFC 6911 */

static const char PKT[] = "Accounting-Request";

const char *
rsso_status_name(enum rsso_status s)
{
	switch (s) {
	case RSSO_START: return "Start";
	case RSSO_STOP: return "Stop";
	case RSSO_INTERIM: return "Interim-Update";
	}
	return "?";
}

/* Acct-Terminate-Cause (RFC 2866 5.10) for a binding's end */
static uint32_t
terminate_cause(const char *end_cause)
{
	if (strcmp(end_cause, "release") == 0 ||
	    strcmp(end_cause, "decline") == 0)
		return 1;	/* User-Request */
	if (strcmp(end_cause, "session-stop") == 0)
		return 2;	/* Lost-Carrier: the device left the network */
	if (strcmp(end_cause, "expiry") == 0 || end_cause[0] == '\0')
		return 5;	/* Session-Timeout: the lease ran out */
	return 10;		/* NAS-Request: replaced, refused */
}

int
rsso_copy_encode(const struct rsso_copy *c, uint8_t id, const char *nas_id,
		 const uint8_t *secret, size_t secret_len, uint8_t *buf,
		 size_t buflen, struct avec_err *err)
{
	const struct avec_feed_rec *b = &c->b;
	char sid[40], csid[18];
	uint8_t ip[16];
	size_t pos = AVEC_RAD_HDR_LEN;
	int rc;

	if (buflen < AVEC_RAD_HDR_LEN)
		return avec_err_set(err, "%s: bad buffer", PKT);
	memset(buf, 0, AVEC_RAD_HDR_LEN);
	buf[0] = CODE_ACCOUNTING_REQUEST;
	buf[1] = id;
	snprintf(sid, sizeof(sid), "avec-addr-%lld", (long long)b->id);
	if (avec_das_calling_station_id(b->mac, csid) < 0)
		return avec_err_set(err, "%s: binding %lld has no MAC", PKT,
				    (long long)b->id);
	if (inet_pton(b->family == 4 ? AF_INET : AF_INET6, b->address, ip) != 1)
		return avec_err_set(err, "%s: binding %lld has no address",
				    PKT, (long long)b->id);
	rc = avec_rad_put_u32(buf, buflen, &pos, ATTR_ACCT_STATUS_TYPE,
			      (uint32_t)c->status);
	if (rc == 0)
		rc = b->family == 4 ?
		    avec_rad_put(buf, buflen, &pos, ATTR_FRAMED_IP, ip, 4) :
		    avec_rad_put(buf, buflen, &pos, ATTR_FRAMED_IPV6, ip, 16);
	if (rc < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_USER_NAME, b->principal,
			      PKT, "User-Name", err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_CLASS, b->role, PKT,
			      "Class", err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_FILTER_ID, b->role, PKT,
			      "Filter-Id", err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_CALLING_STATION_ID, csid,
			      PKT, "Calling-Station-Id", err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_ACCT_SESSION_ID, sid, PKT,
			      "Acct-Session-Id", err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_NAS_IDENTIFIER, nas_id,
			      PKT, "NAS-Identifier", err) < 0)
		return rc < 0 ? avec_err_set(err, "%s: no room", PKT) : -1;
	if (avec_rad_put_u32(buf, buflen, &pos, ATTR_EVENT_TIMESTAMP,
			     (uint32_t)c->at) < 0)
		return avec_err_set(err, "%s: no room", PKT);
	if (c->status == RSSO_STOP) {
		int64_t end = b->ended_at ? b->ended_at : b->expires_at;

		if (avec_rad_put_u32(buf, buflen, &pos, ATTR_ACCT_SESSION_TIME,
				     (uint32_t)(end > b->bound_at ?
						end - b->bound_at : 0)) < 0 ||
		    avec_rad_put_u32(buf, buflen, &pos, ATTR_ACCT_TERMINATE,
				     terminate_cause(b->end_cause)) < 0)
			return avec_err_set(err, "%s: no room", PKT);
	}
	return avec_rad_seal(buf, buflen, &pos, secret, secret_len, PKT, err);
}
