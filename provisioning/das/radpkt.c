/*
 * radpkt.c - the RADIUS wire of AVEC's clients (radpkt.h): attributes,
 * the request's Message-Authenticator and Request Authenticator, and the
 * checks of an answer.
 *
 * It owns the cryptography of both packets (MD5 and HMAC-MD5 from
 * OpenSSL 3's default provider) and every length check of an answer: an
 * answer is read attribute by attribute, each length checked before it is
 * used.  It must never log, never copy the secret anywhere but into the
 * digests, and never accept an answer it cannot verify.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "radpkt.h"

#define MA_LEN			16
#define ATTR_MESSAGE_AUTH	80
#define ATTR_ERROR_CAUSE	101

/* MD5 over the concatenation of @n pieces. */
static int
md5_parts(const uint8_t *const *p, const size_t *len, int n,
	  uint8_t out[AVEC_RAD_AUTH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int olen = 0;
	int i, ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL);
	for (i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, p[i], len[i]);
	ok = ok && EVP_DigestFinal_ex(ctx, out, &olen) &&
	    olen == AVEC_RAD_AUTH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

static int
hmac_md5(const uint8_t *key, size_t key_len, const uint8_t *data,
	 size_t len, uint8_t out[MA_LEN])
{
	unsigned int olen = 0;

	if (HMAC(EVP_md5(), key, (int)key_len, data, len, out, &olen) ==
	    NULL || olen != MA_LEN)
		return -1;
	return 0;
}

int
avec_rad_put(uint8_t *buf, size_t buflen, size_t *pos, uint8_t type,
	     const void *val, size_t len)
{
	if (len > 253 || *pos + 2 + len > buflen)
		return -1;
	buf[*pos] = type;
	buf[*pos + 1] = (uint8_t)(2 + len);
	if (len > 0)
		memcpy(buf + *pos + 2, val, len);
	*pos += 2 + len;
	return 0;
}

int
avec_rad_put_text(uint8_t *buf, size_t buflen, size_t *pos, uint8_t type,
		  const char *s, const char *pkt, const char *what,
		  struct avec_err *err)
{
	size_t len;

	if (s == NULL || *s == '\0')
		return 0;
	len = strlen(s);
	if (len > 253)
		return avec_err_set(err, "%s: %s is longer than 253 octets",
				    pkt, what);
	if (avec_rad_put(buf, buflen, pos, type, s, len) < 0)
		return avec_err_set(err, "%s: no room for %s", pkt, what);
	return 0;
}

int
avec_rad_put_u32(uint8_t *buf, size_t buflen, size_t *pos, uint8_t type,
		 uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return avec_rad_put(buf, buflen, pos, type, b, 4);
}

int
avec_rad_seal(uint8_t *buf, size_t buflen, size_t *pos,
	      const uint8_t *secret, size_t secret_len, const char *pkt,
	      struct avec_err *err)
{
	static const uint8_t zero[AVEC_RAD_AUTH_LEN];
	const uint8_t *parts[4];
	size_t lens[4], ma_pos;
	uint8_t ma[MA_LEN];

	if (secret == NULL || secret_len == 0 ||
	    secret_len > AVEC_RAD_SECRET_MAX)
		return avec_err_set(err, "%s: the shared secret must be 1 to "
				    "%d octets", pkt, AVEC_RAD_SECRET_MAX);
	if (buflen > AVEC_RAD_PACKET_MAX)
		buflen = AVEC_RAD_PACKET_MAX;
	ma_pos = *pos + 2;
	if (avec_rad_put(buf, buflen, pos, ATTR_MESSAGE_AUTH, zero, MA_LEN) < 0)
		return avec_err_set(err, "%s: no room", pkt);
	buf[2] = (uint8_t)(*pos >> 8);
	buf[3] = (uint8_t)*pos;
	memset(buf + AVEC_RAD_AUTH_OFF, 0, AVEC_RAD_AUTH_LEN);

	/* RFC 3579 3.2, RFC 5176 3.3: HMAC-MD5, authenticator zero */
	if (hmac_md5(secret, secret_len, buf, *pos, ma) < 0)
		return avec_err_set(err, "%s: HMAC-MD5 failed", pkt);
	memcpy(buf + ma_pos, ma, MA_LEN);
	/* RFC 2866 3, RFC 5176 2.3: MD5(Code+Id+Length+16 zeros+attrs+secret) */
	parts[0] = buf;
	lens[0] = AVEC_RAD_AUTH_OFF;
	parts[1] = zero;
	lens[1] = AVEC_RAD_AUTH_LEN;
	parts[2] = buf + AVEC_RAD_HDR_LEN;
	lens[2] = *pos - AVEC_RAD_HDR_LEN;
	parts[3] = secret;
	lens[3] = secret_len;
	if (md5_parts(parts, lens, 4, buf + AVEC_RAD_AUTH_OFF) < 0)
		return avec_err_set(err, "%s: MD5 failed", pkt);
	return (int)*pos;
}

int
avec_rad_check(const uint8_t *req, size_t req_len, const uint8_t *rep,
	       size_t rep_len, const uint8_t *secret, size_t secret_len,
	       uint8_t code_a, uint8_t code_b, bool need_ma,
	       struct avec_rad_answer *ans, struct avec_err *err)
{
	uint8_t pkt[AVEC_RAD_PACKET_MAX], calc[AVEC_RAD_AUTH_LEN], got[MA_LEN];
	const uint8_t *parts[4];
	size_t lens[4], len, pos, ma_pos = 0;
	unsigned nma = 0;
	uint32_t cause = 0;

	if (req == NULL || req_len < AVEC_RAD_HDR_LEN || rep == NULL ||
	    secret == NULL || secret_len == 0)
		return avec_err_set(err, "answer: nothing to check");
	if (rep_len < AVEC_RAD_HDR_LEN)
		return avec_err_set(err, "answer of %zu octets: truncated",
				    rep_len);
	if (rep_len > AVEC_RAD_PACKET_MAX)
		return avec_err_set(err, "answer of %zu octets: oversized",
				    rep_len);
	len = (size_t)rep[2] << 8 | rep[3];
	if (len < AVEC_RAD_HDR_LEN || len > rep_len)
		return avec_err_set(err, "answer says %zu octets, %zu came",
				    len, rep_len);
	if (rep[0] != code_a && rep[0] != code_b)
		return avec_err_set(err, "answer with code %u, not %u or %u",
				    rep[0], code_a, code_b);
	if (rep[1] != req[1])
		return avec_err_set(err, "answer with identifier %u, not %u",
				    rep[1], req[1]);
	for (pos = AVEC_RAD_HDR_LEN; pos < len;) {
		uint8_t type, alen;

		if (len - pos < 2)
			return avec_err_set(err, "answer: truncated "
					    "attribute header");
		type = rep[pos];
		alen = rep[pos + 1];
		if (alen < 2 || alen > len - pos)
			return avec_err_set(err, "answer: attribute %u has a "
					    "bad length", type);
		if (type == ATTR_MESSAGE_AUTH) {
			if (alen != 2 + MA_LEN)
				return avec_err_set(err, "answer: bad "
						    "Message-Authenticator "
						    "length");
			nma++;
			ma_pos = pos + 2;
		} else if (type == ATTR_ERROR_CAUSE) {
			if (alen != 6)
				return avec_err_set(err, "answer: bad "
						    "Error-Cause length");
			cause = (uint32_t)rep[pos + 2] << 24 |
			    (uint32_t)rep[pos + 3] << 16 |
			    (uint32_t)rep[pos + 4] << 8 | rep[pos + 5];
		}
		pos += alen;
	}
	if (nma > 1 || (need_ma && nma != 1))
		return avec_err_set(err, "answer with %u Message-"
				    "Authenticators, %s", nma,
				    need_ma ? "1 required" : "at most 1");

	/* Response Authenticator: MD5(Code+Id+Length+ReqAuth+attrs+secret) */
	parts[0] = rep;
	lens[0] = AVEC_RAD_AUTH_OFF;
	parts[1] = req + AVEC_RAD_AUTH_OFF;
	lens[1] = AVEC_RAD_AUTH_LEN;
	parts[2] = rep + AVEC_RAD_HDR_LEN;
	lens[2] = len - AVEC_RAD_HDR_LEN;
	parts[3] = secret;
	lens[3] = secret_len;
	if (md5_parts(parts, lens, 4, calc) < 0)
		return avec_err_set(err, "answer: MD5 failed");
	if (CRYPTO_memcmp(calc, rep + AVEC_RAD_AUTH_OFF, AVEC_RAD_AUTH_LEN) != 0)
		return avec_err_set(err, "answer: wrong Response Authenticator "
				    "(forged, or another shared secret)");

	/* Message-Authenticator: over the answer with the request's
	 * authenticator in place and itself zeroed (RFC 3579 3.2). */
	if (nma == 1) {
		memcpy(pkt, rep, len);
		memcpy(pkt + AVEC_RAD_AUTH_OFF, req + AVEC_RAD_AUTH_OFF,
		       AVEC_RAD_AUTH_LEN);
		memset(pkt + ma_pos, 0, MA_LEN);
		if (hmac_md5(secret, secret_len, pkt, len, got) < 0)
			return avec_err_set(err, "answer: HMAC-MD5 failed");
		if (CRYPTO_memcmp(got, rep + ma_pos, MA_LEN) != 0)
			return avec_err_set(err, "answer: wrong "
					    "Message-Authenticator");
	}
	ans->code = rep[0];
	ans->error_cause = cause;
	return 0;
}
