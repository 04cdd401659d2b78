/*
 * das.c - AVEC's Disconnect-Request client (RFC 5176, with RFC 3579's
 * Message-Authenticator), over UDP.
 *
 * This file owns the Disconnect-Request: its attributes, the wait and
 * retries, and which answers it waits for (radpkt.c seals the packet and
 * checks an answer before it is believed).  A request is built once and
 * sent again unchanged on each retry (same identifier, same
 * authenticator), so that a NAS that answered a copy
 * answers the next one the same way.  The answer is read into a buffer
 * larger than any valid RADIUS packet, so an oversized one is seen and
 * dropped; every length is checked before it is used.
 *
 * It must never trust an answer it cannot verify (source, identifier,
 * code, lengths, both authenticators), never let the shared secret out
 * (no logging at all here; the outcome's detail names what failed, never
 * a key), and never block beyond the bounded wait its caller chose.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "avec/ident.h"
#include "common/mono.h"
#include "das.h"
#include "radpkt.h"

/* Attribute types (RFC 2865, 2866, 2869, 3162, 5176) */
#define ATTR_USER_NAME		1
#define ATTR_NAS_IP_ADDRESS	4
#define ATTR_CALLING_STATION_ID	31
#define ATTR_ACCT_SESSION_ID	44
#define ATTR_EVENT_TIMESTAMP	55
#define ATTR_NAS_IPV6_ADDRESS	95

#define DEFAULT_ATTEMPTS	3
#define DEFAULT_TIMEOUT_MS	1000
#define DEFAULT_MAX_TIMEOUT_MS	2000
#define MAX_ATTEMPTS		10
#define MAX_WAIT_MS		30000

static const char PKT[] = "Disconnect-Request";

static bool
given(const char *s)
{
	return s != NULL && *s != '\0';
}

int
avec_das_encode(const struct avec_das_session *s, uint8_t id,
		const uint8_t *secret, size_t secret_len,
		uint8_t *buf, size_t buflen, struct avec_err *err)
{
	size_t pos = AVEC_RAD_HDR_LEN;
	uint8_t ip6[16];
	struct in_addr ip4;
	uint32_t t;

	if (s == NULL || buf == NULL)
		return avec_err_set(err, "Disconnect-Request: no session");
	if (secret == NULL || secret_len == 0 ||
	    secret_len > AVEC_DAS_SECRET_MAX)
		return avec_err_set(err, "Disconnect-Request: the shared "
				    "secret must be 1 to %d octets",
				    AVEC_DAS_SECRET_MAX);
	if (!given(s->calling_station_id) && !given(s->acct_session_id) &&
	    !given(s->user_name))
		return avec_err_set(err, "Disconnect-Request: nothing "
				    "identifies the session");
	if (buflen < AVEC_RAD_HDR_LEN || buflen > 65535)
		return avec_err_set(err, "Disconnect-Request: bad buffer");
	if (buflen > AVEC_DAS_PACKET_MAX)
		buflen = AVEC_DAS_PACKET_MAX;

	memset(buf, 0, AVEC_RAD_HDR_LEN);
	buf[0] = AVEC_DAS_CODE_DISCONNECT_REQUEST;
	buf[1] = id;

	t = s->event_timestamp ? s->event_timestamp : (uint32_t)time(NULL);
	if (avec_rad_put_text(buf, buflen, &pos, ATTR_USER_NAME, s->user_name,
			      PKT, "User-Name", err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_CALLING_STATION_ID,
			      s->calling_station_id, PKT, "Calling-Station-Id",
			      err) < 0 ||
	    avec_rad_put_text(buf, buflen, &pos, ATTR_ACCT_SESSION_ID,
			      s->acct_session_id, PKT, "Acct-Session-Id",
			      err) < 0)
		return -1;
	if (given(s->nas_address)) {
		int rc;

		if (inet_pton(AF_INET, s->nas_address, &ip4) == 1)
			rc = avec_rad_put(buf, buflen, &pos,
					  ATTR_NAS_IP_ADDRESS, &ip4.s_addr, 4);
		else if (inet_pton(AF_INET6, s->nas_address, ip6) == 1)
			rc = avec_rad_put(buf, buflen, &pos,
					  ATTR_NAS_IPV6_ADDRESS, ip6, 16);
		else
			return avec_err_set(err, "Disconnect-Request: NAS "
					    "address is not an IP address");
		if (rc < 0)
			return avec_err_set(err, "Disconnect-Request: no "
					    "room for the NAS address");
	}
	if (avec_rad_put_u32(buf, buflen, &pos, ATTR_EVENT_TIMESTAMP, t) < 0)
		return avec_err_set(err, "Disconnect-Request: no room");
	return avec_rad_seal(buf, buflen, &pos, secret, secret_len, PKT, err);
}

int
avec_das_check_reply(const uint8_t *req, size_t req_len,
		     const uint8_t *rep, size_t rep_len,
		     const uint8_t *secret, size_t secret_len,
		     enum avec_das_result *result, uint32_t *error_cause,
		     struct avec_err *err)
{
	struct avec_rad_answer ans;

	if (avec_rad_check(req, req_len, rep, rep_len, secret, secret_len,
			   AVEC_DAS_CODE_DISCONNECT_ACK,
			   AVEC_DAS_CODE_DISCONNECT_NAK, true, &ans, err) < 0)
		return -1;
	*result = ans.code == AVEC_DAS_CODE_DISCONNECT_ACK ? AVEC_DAS_ACK :
	    AVEC_DAS_NAK;
	*error_cause = ans.error_cause;
	return 0;
}

/* Same address and port as the target? */
static bool
same_peer(const struct sockaddr_storage *a, const struct sockaddr *b,
	  socklen_t blen)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return blen >= sizeof(*y) &&
		    x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return blen >= sizeof(*y) &&
		    x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

static void
outcome(struct avec_das_outcome *out, enum avec_das_result r,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
outcome(struct avec_das_outcome *out, enum avec_das_result r,
	const char *fmt, ...)
{
	va_list ap;

	out->result = r;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
	va_end(ap);
}

enum avec_das_result
avec_das_disconnect(const char *host, uint16_t port, const uint8_t *secret,
		    size_t secret_len, const struct avec_das_session *s,
		    const struct avec_das_opts *opts,
		    struct avec_das_outcome *out)
{
	struct avec_err err = { { 0 } };
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	/* larger than any valid packet: an oversized one is seen as such */
	uint8_t req[AVEC_DAS_PACKET_MAX], rep[AVEC_DAS_PACKET_MAX + 1];
	char why[AVEC_ERR_MAX] = "";
	unsigned attempts, wait_ms, max_ms;
	uint8_t id;
	int fd = -1, len, rc;

	memset(out, 0, sizeof(*out));
	attempts = opts && opts->attempts ? opts->attempts : DEFAULT_ATTEMPTS;
	wait_ms = opts && opts->timeout_ms ? opts->timeout_ms :
	    DEFAULT_TIMEOUT_MS;
	max_ms = opts && opts->max_timeout_ms ? opts->max_timeout_ms :
	    DEFAULT_MAX_TIMEOUT_MS;
	if (attempts > MAX_ATTEMPTS)
		attempts = MAX_ATTEMPTS;
	if (wait_ms > MAX_WAIT_MS)
		wait_ms = MAX_WAIT_MS;
	if (max_ms < wait_ms)
		max_ms = wait_ms;
	if (max_ms > MAX_WAIT_MS)
		max_ms = MAX_WAIT_MS;

	if (host == NULL || port == 0) {
		outcome(out, AVEC_DAS_ERROR, "no DAS address");
		return out->result;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	{
		char ps[8];

		snprintf(ps, sizeof(ps), "%u", (unsigned)port);
		if (getaddrinfo(host, ps, &hints, &ai) != 0 || ai == NULL ||
		    ai->ai_addrlen > sizeof(peer)) {
			outcome(out, AVEC_DAS_ERROR, "DAS address is not a "
				"numeric IP address");
			goto done;
		}
	}
	memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
	peer_len = ai->ai_addrlen;

	if (RAND_bytes(&id, 1) != 1) {
		outcome(out, AVEC_DAS_ERROR, "the random source failed");
		goto done;
	}
	len = avec_das_encode(s, id, secret, secret_len, req, sizeof(req),
			      &err);
	if (len < 0) {
		outcome(out, AVEC_DAS_ERROR, "%s", err.msg);
		goto done;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		outcome(out, AVEC_DAS_ERROR, "socket: %s", strerror(errno));
		goto done;
	}

	for (out->attempts = 0; out->attempts < attempts;) {
		int64_t deadline;

		if (sendto(fd, req, (size_t)len, 0, (struct sockaddr *)&peer,
			   peer_len) != len) {
			outcome(out, AVEC_DAS_ERROR, "sending: %s",
				strerror(errno));
			goto done;
		}
		out->attempts++;
		deadline = avec_mono_ms() + wait_ms;
		for (;;) {
			struct sockaddr_storage from;
			socklen_t from_len = sizeof(from);
			struct pollfd pfd = { .fd = fd, .events = POLLIN };
			enum avec_das_result r;
			int64_t left = deadline - avec_mono_ms();
			ssize_t n;

			if (left <= 0)
				break;
			rc = poll(&pfd, 1, (int)left);
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc < 0) {
				outcome(out, AVEC_DAS_ERROR, "poll: %s",
					strerror(errno));
				goto done;
			}
			if (rc == 0)
				break;
			/* MSG_TRUNC: the datagram's real length */
			n = recvfrom(fd, rep, sizeof(rep), MSG_TRUNC,
				     (struct sockaddr *)&from, &from_len);
			if (n < 0) {
				/* an ICMP error from a previous send: lost */
				if (errno == EINTR || errno == ECONNREFUSED ||
				    errno == EAGAIN)
					continue;
				outcome(out, AVEC_DAS_ERROR, "receiving: %s",
					strerror(errno));
				goto done;
			}
			if (!same_peer(&peer, (struct sockaddr *)&from,
				       from_len)) {
				out->refused++;
				snprintf(why, sizeof(why), "an answer from "
					 "another address or port");
				continue;
			}
			if (avec_das_check_reply(req, (size_t)len, rep,
						 (size_t)n, secret,
						 secret_len, &r,
						 &out->error_cause,
						 &err) < 0) {
				out->refused++;
				snprintf(why, sizeof(why), "%s", err.msg);
				continue;
			}
			if (r == AVEC_DAS_ACK)
				outcome(out, r, "Disconnect-ACK");
			else if (out->error_cause)
				outcome(out, r, "Disconnect-NAK: %s (%u)",
					avec_das_error_cause_name(
						out->error_cause),
					out->error_cause);
			else
				outcome(out, r, "Disconnect-NAK");
			goto done;
		}
		wait_ms = wait_ms * 2 > max_ms ? max_ms : wait_ms * 2;
	}
	if (out->refused)
		outcome(out, AVEC_DAS_TIMEOUT, "no valid answer after %u "
			"tries; %u answer(s) dropped, last: %.100s",
			out->attempts, out->refused, why);
	else
		outcome(out, AVEC_DAS_TIMEOUT, "no answer after %u tries",
			out->attempts);
done:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	OPENSSL_cleanse(req, sizeof(req));
	return out->result;
}

const char *
avec_das_result_name(enum avec_das_result r)
{
	switch (r) {
	case AVEC_DAS_ACK:
		return "ack";
	case AVEC_DAS_NAK:
		return "nak";
	case AVEC_DAS_TIMEOUT:
		return "timeout";
	case AVEC_DAS_ERROR:
		break;
	}
	return "error";
}

const char *
avec_das_error_cause_name(uint32_t cause)
{
	switch (cause) {
	case 201: return "Residual Session Context Removed";
	case 202: return "Invalid EAP Packet (Ignored)";
	case 401: return "Unsupported Attribute";
	case 402: return "Missing Attribute";
	case 403: return "NAS Identification Mismatch";
	case 404: return "Invalid Request";
	case 405: return "Unsupported Service";
	case 406: return "Unsupported Extension";
	case 407: return "Invalid Attribute Value";
	case 501: return "Administratively Prohibited";
	case 502: return "Request Not Routable (Proxy)";
	case 503: return "Session Context Not Found";
	case 504: return "Session Context Not Removable";
	case 505: return "Other Proxy Processing Error";
	case 506: return "Resources Unavailable";
	case 507: return "Request Initiated";
	case 508: return "Multiple Session Selection Unsupported";
	default: return "unknown error cause";
	}
}

int
avec_das_calling_station_id(const char *mac, char out[18])
{
	char norm[AVEC_MAC_STRLEN + 1];
	size_t i;

	if (mac == NULL || avec_mac_normalize(mac, norm) < 0)
		return -1;
	for (i = 0; i < AVEC_MAC_STRLEN; i++) {
		char ch = norm[i];

		if (ch == ':')
			ch = '-';
		else if (ch >= 'a' && ch <= 'f')
			ch = (char)(ch - 'a' + 'A');
		out[i] = ch;
	}
	out[AVEC_MAC_STRLEN] = '\0';
	return 0;
}
