/*
 * fuzz_das.c - libFuzzer harness for the check of an RFC 5176 answer,
 * avec_das_check_reply(): the datagram a NAS (or anyone who can reach
 * avecctl's socket) sends back to a Disconnect-Request.
 *
 * The request is fixed (built once by avec_das_encode() with a fixed
 * secret).  The first input byte chooses a mode: raw, the rest of the
 * input is the answer as it came; signed, the harness first gives the
 * answer the request's identifier and correct Message-Authenticator and
 * Response Authenticator (when the attributes leave room for them), so
 * that the checks after the cryptography are reached too.  Invariants: a
 * raw answer is never believed (it cannot know the secret); an answer
 * that is believed names ACK or NAK, and changing any one of its octets
 * within its Length makes it refused.  The secret is a constant of this
 * file; nothing is sent on a network.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "das/das.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR	20
#define AUTH	4
#define MA_TYPE	80

static const uint8_t secret[] = "fuzz-das-shared-secret";
static uint8_t req[AVEC_DAS_PACKET_MAX];
static size_t req_len;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct avec_das_session s = {
		.user_name = "dv-abcdefghijklmnop",
		.calling_station_id = "AA-BB-CC-DD-EE-FF",
		.acct_session_id = "5F3A00C1-00000007",
		.nas_address = "127.0.0.1",
		.event_timestamp = 1700000000,
	};
	struct avec_err err = { "" };
	int n;

	(void)argc;
	(void)argv;
	n = avec_das_encode(&s, 42, secret, sizeof(secret) - 1, req,
			    sizeof(req), &err);
	if (n < HDR)
		abort();
	req_len = (size_t)n;
	return 0;
}

/* Sign @rep (@len octets used, as its Length field says) for the request:
 * identifier, Message-Authenticator (last one found), then the Response
 * Authenticator. */
static void
sign(uint8_t *rep, size_t len)
{
	uint8_t pkt[AVEC_DAS_PACKET_MAX], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	size_t pos, ma = 0;
	EVP_MD_CTX *ctx;

	rep[1] = req[1];
	for (pos = HDR; pos + 2 <= len && rep[pos + 1] >= 2 &&
	     rep[pos + 1] <= len - pos; pos += rep[pos + 1])
		if (rep[pos] == MA_TYPE && rep[pos + 1] == 18)
			ma = pos + 2;
	if (ma != 0) {
		memcpy(pkt, rep, len);
		memcpy(pkt + AUTH, req + AUTH, 16);
		memset(pkt + ma, 0, 16);
		if (HMAC(EVP_md5(), secret, (int)(sizeof(secret) - 1), pkt,
			 len, md, &mdlen) == NULL || mdlen != 16)
			abort();
		memcpy(rep + ma, md, 16);
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL) ||
	    !EVP_DigestUpdate(ctx, rep, AUTH) ||
	    !EVP_DigestUpdate(ctx, req + AUTH, 16) ||
	    !EVP_DigestUpdate(ctx, rep + HDR, len - HDR) ||
	    !EVP_DigestUpdate(ctx, secret, sizeof(secret) - 1) ||
	    !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 16)
		abort();
	EVP_MD_CTX_free(ctx);
	memcpy(rep + AUTH, md, 16);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum avec_das_result result = AVEC_DAS_ERROR;
	struct avec_err err = { "" };
	uint32_t cause = 0;
	uint8_t *rep;
	size_t len, n;
	int mode, rc;

	if (size < 1)
		return 0;
	mode = data[0] & 3;
	n = size - 1;
	/* an exact-size heap copy: a read past the datagram is reported */
	rep = malloc(n ? n : 1);
	if (rep == NULL)
		abort();
	memcpy(rep, data + 1, n);
	if (mode != 0 && n >= HDR && n <= AVEC_DAS_PACKET_MAX) {
		if (mode == 2) {	/* also make the Length field right */
			rep[2] = (uint8_t)(n >> 8);
			rep[3] = (uint8_t)n;
		}
		len = (size_t)rep[2] << 8 | rep[3];
		if (len >= HDR && len <= n)
			sign(rep, len);
	}
	rc = avec_das_check_reply(req, req_len, rep, n, secret,
				  sizeof(secret) - 1, &result, &cause, &err);
	if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
		abort();
	if (rc == 0) {
		if (mode == 0)
			abort();	/* believed without the secret */
		if ((result != AVEC_DAS_ACK || rep[0] != 41) &&
		    (result != AVEC_DAS_NAK || rep[0] != 42))
			abort();
		/* any one octet changed under the Length: refused */
		len = (size_t)rep[2] << 8 | rep[3];
		n = data[0] % len;
		rep[n] ^= (uint8_t)(1u << (data[0] >> 5));
		if (avec_das_check_reply(req, req_len, rep, size - 1, secret,
					 sizeof(secret) - 1, &result, &cause,
					 &err) == 0)
			abort();
	} else if (rc != -1) {
		abort();
	}
	free(rep);
	return 0;
}
