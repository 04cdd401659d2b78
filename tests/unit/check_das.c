/*
 * check_das.c - the Disconnect-Request client (provisioning/das): the
 * packet against a vector computed independently (python3's hashlib and
 * hmac, see the comment on REQ_HEX), the checks an answer must pass, and
 * the retries against a fake DAS on loopback.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../provisioning/das/das.h"
#include "unit.h"

static const uint8_t SECRET[] = "avec-das-unit-secret-0123";
#define SECRET_LEN (sizeof(SECRET) - 1)

/*
 * Computed with python3 (hashlib.md5, hmac) by tests/unit/das_vectors.py,
 * independently of das.c: id 0x2a; User-Name
 * "anonymous", Calling-Station-Id "02-A5-EC-00-00-01", Acct-Session-Id
 * "1A2B3C4D5E6F7081", NAS-IP-Address 127.0.0.1, Event-Timestamp
 * 1700000000, then Message-Authenticator = HMAC-MD5(secret, packet with
 * a zero authenticator), then the Request Authenticator =
 * MD5(code, id, length, 16 zero octets, attributes, secret).  The answers
 * are signed the same way with the request's authenticator.
 */
static const char REQ_HEX[] =
	"282a00626663318f3ad952bb15d5f1b5f987c94c010b616e6f6e796d6f75731f"
	"1330322d41352d45432d30302d30302d30312c12314132423343344435453646"
	"3730383104067f00000137066553f100501283a7e62b88ec38ad5f1269251ee4"
	"51ea";
static const char ACK_HEX[] =
	"292a00269198b9c21faa97ac4449e54913cc2423501201f2e4151d3bc78708bf"
	"67b07cb99af4";
/* NAK with Error-Cause 503 (Session Context Not Found) */
static const char NAK_HEX[] =
	"2a2a002c73d1ea0a96eb37c45b7b98c11c0dc9e56506000001f7501225270a95"
	"545b7e9ed33efa7e91c0e888";
/* a correct Response Authenticator but no Message-Authenticator */
static const char ACK_NOMA_HEX[] =
	"292a0014b90327c13cd870da5b824414d2392e9b";
/* a correct Response Authenticator, a wrong Message-Authenticator */
static const char ACK_BADMA_HEX[] =
	"292a00262efd0da818b422b1aa947edcda81d91b5012111111111111111111111111"
	"11111111111111";

static size_t
unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = strlen(h) / 2, i;
	unsigned v;

	ck_assert_uint_le(n, max);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static const struct avec_das_session VEC_SESSION = {
	.user_name = "anonymous",
	.calling_station_id = "02-A5-EC-00-00-01",
	.acct_session_id = "1A2B3C4D5E6F7081",
	.nas_address = "127.0.0.1",
	.event_timestamp = 1700000000u,
};

START_TEST(encode_vector)
{
	uint8_t want[256], got[AVEC_DAS_PACKET_MAX];
	size_t wn = unhex(REQ_HEX, want, sizeof(want));
	int n;

	n = avec_das_encode(&VEC_SESSION, 0x2a, SECRET, SECRET_LEN, got,
			    sizeof(got), NULL);
	ck_assert_int_eq(n, (int)wn);
	ck_assert_mem_eq(got, want, wn);
}
END_TEST

START_TEST(encode_refusals)
{
	struct avec_das_session s = VEC_SESSION;
	struct avec_err err = { { 0 } };
	uint8_t buf[AVEC_DAS_PACKET_MAX];
	char longname[300];

	/* nothing identifies the session */
	memset(&s, 0, sizeof(s));
	s.nas_address = "127.0.0.1";
	ck_assert_int_eq(avec_das_encode(&s, 1, SECRET, SECRET_LEN, buf,
					 sizeof(buf), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "identifies"));
	s = VEC_SESSION;
	ck_assert_int_eq(avec_das_encode(&s, 1, SECRET, 0, buf, sizeof(buf),
					 NULL), -1);
	s.nas_address = "ap-1.lycee";
	ck_assert_int_eq(avec_das_encode(&s, 1, SECRET, SECRET_LEN, buf,
					 sizeof(buf), NULL), -1);
	s = VEC_SESSION;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	s.user_name = longname;
	ck_assert_int_eq(avec_das_encode(&s, 1, SECRET, SECRET_LEN, buf,
					 sizeof(buf), NULL), -1);
	/* a buffer too small */
	ck_assert_int_eq(avec_das_encode(&VEC_SESSION, 1, SECRET, SECRET_LEN,
					 buf, 60, NULL), -1);
	/* IPv6 NAS address: NAS-IPv6-Address (95), 18 octets */
	s = VEC_SESSION;
	s.user_name = NULL;
	s.nas_address = "fd00::1";
	ck_assert_int_gt(avec_das_encode(&s, 1, SECRET, SECRET_LEN, buf,
					 sizeof(buf), NULL), 0);
	ck_assert_uint_eq(buf[20], 31);
	/* the secret appears nowhere in an error */
	ck_assert_ptr_null(strstr(err.msg, (const char *)SECRET));
}
END_TEST

/* The request of the vector, and a reply buffer. */
struct fixture {
	uint8_t req[256], rep[AVEC_DAS_PACKET_MAX + 64];
	size_t req_len, rep_len;
};

static void
fixture(struct fixture *f, const char *rep_hex)
{
	f->req_len = unhex(REQ_HEX, f->req, sizeof(f->req));
	f->rep_len = unhex(rep_hex, f->rep, sizeof(f->rep));
}

static int
check(const struct fixture *f, size_t rep_len, enum avec_das_result *r,
      uint32_t *cause, struct avec_err *err)
{
	return avec_das_check_reply(f->req, f->req_len, f->rep, rep_len,
				    SECRET, SECRET_LEN, r, cause, err);
}

START_TEST(replies_verified)
{
	struct fixture f;
	enum avec_das_result r = AVEC_DAS_ERROR;
	uint32_t cause = 99;

	fixture(&f, ACK_HEX);
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, NULL), 0);
	ck_assert_int_eq(r, AVEC_DAS_ACK);
	ck_assert_uint_eq(cause, 0);
	/* octets after Length are padding (RFC 2865 3) */
	memset(f.rep + f.rep_len, 0xee, 10);
	ck_assert_int_eq(check(&f, f.rep_len + 10, &r, &cause, NULL), 0);

	fixture(&f, NAK_HEX);
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, NULL), 0);
	ck_assert_int_eq(r, AVEC_DAS_NAK);
	ck_assert_uint_eq(cause, 503);
	ck_assert_str_eq(avec_das_error_cause_name(cause),
			 "Session Context Not Found");
}
END_TEST

START_TEST(forged_replies_refused)
{
	struct avec_err err = { { 0 } };
	struct fixture f;
	enum avec_das_result r;
	uint32_t cause;

	/* a flipped bit in the Response Authenticator */
	fixture(&f, ACK_HEX);
	f.rep[5] ^= 0x01;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "Response Authenticator"));
	/* a flipped bit in the Message-Authenticator */
	fixture(&f, ACK_HEX);
	f.rep[f.rep_len - 1] ^= 0x80;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* a NAK turned into an ACK */
	fixture(&f, NAK_HEX);
	f.rep[0] = AVEC_DAS_CODE_DISCONNECT_ACK;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* another identifier */
	fixture(&f, ACK_HEX);
	f.rep[1] = 0x2b;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "identifier"));
	/* a CoA-ACK (44) is not an answer to a Disconnect-Request */
	fixture(&f, ACK_HEX);
	f.rep[0] = 44;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* another secret */
	fixture(&f, ACK_HEX);
	ck_assert_int_eq(avec_das_check_reply(f.req, f.req_len, f.rep,
					      f.rep_len,
					      (const uint8_t *)"another-secret"
					      "-0123456789", 25, &r, &cause,
					      &err), -1);
	/* the answer to another request (authenticator differs) */
	fixture(&f, ACK_HEX);
	f.req[10] ^= 0x10;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* only the Message-Authenticator is wrong */
	fixture(&f, ACK_BADMA_HEX);
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "wrong Message-Authenticator"));
	/* no Message-Authenticator: refused (Blast-RADIUS) */
	fixture(&f, ACK_NOMA_HEX);
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "Message-Authenticator"));
}
END_TEST

START_TEST(malformed_replies_refused)
{
	struct avec_err err = { { 0 } };
	struct fixture f;
	enum avec_das_result r;
	uint32_t cause;

	fixture(&f, NAK_HEX);
	/* shorter than a header */
	ck_assert_int_eq(check(&f, 19, &r, &cause, &err), -1);
	ck_assert_int_eq(check(&f, 0, &r, &cause, &err), -1);
	/* Length says more than came */
	ck_assert_int_eq(check(&f, f.rep_len - 1, &r, &cause, &err), -1);
	/* oversized datagram */
	memset(f.rep + f.rep_len, 0, sizeof(f.rep) - f.rep_len);
	ck_assert_int_eq(check(&f, AVEC_DAS_PACKET_MAX + 1, &r, &cause, &err),
			 -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "oversized"));
	/* Length below the header */
	fixture(&f, NAK_HEX);
	f.rep[2] = 0;
	f.rep[3] = 19;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* an attribute running past Length */
	fixture(&f, NAK_HEX);
	f.rep[21] = 200;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* an attribute of length 0 or 1 */
	fixture(&f, NAK_HEX);
	f.rep[21] = 1;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* Length cutting an attribute header in two */
	fixture(&f, ACK_HEX);
	f.rep[3] = 21;
	ck_assert_int_eq(check(&f, f.rep_len, &r, &cause, &err), -1);
	/* a request too short to have an authenticator */
	fixture(&f, ACK_HEX);
	ck_assert_int_eq(avec_das_check_reply(f.req, 10, f.rep, f.rep_len,
					      SECRET, SECRET_LEN, &r, &cause,
					      &err), -1);
}
END_TEST

START_TEST(calling_station_id)
{
	char out[18];

	ck_assert_int_eq(avec_das_calling_station_id("02:a5:ec:00:00:0f",
						     out), 0);
	ck_assert_str_eq(out, "02-A5-EC-00-00-0F");
	ck_assert_int_eq(avec_das_calling_station_id("02a5ec00000f", out), 0);
	ck_assert_str_eq(out, "02-A5-EC-00-00-0F");
	ck_assert_int_eq(avec_das_calling_station_id("not a mac", out), -1);
	ck_assert_str_eq(avec_das_result_name(AVEC_DAS_TIMEOUT), "timeout");
}
END_TEST

/* ---- a fake DAS on loopback ---- */

enum fake_mode { FAKE_SILENT, FAKE_LOSE_THEN_FORGE_THEN_ACK, FAKE_NAK };

struct fake_das {
	int fd;
	uint16_t port;
	enum fake_mode mode;
	unsigned expect;	/* requests to read before the thread ends */
	unsigned received;
	bool same;		/* every request identical to the first */
	uint8_t first[AVEC_DAS_PACKET_MAX];
	size_t first_len;
	pthread_t th;
};

static void
md5(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	ck_assert_ptr_nonnull(c);
	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, a, alen);
	EVP_DigestUpdate(c, b, blen);
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

/* An answer to @req signed as a NAS would (the test's own code). */
static size_t
sign_answer(const uint8_t *req, uint8_t code, uint32_t cause, uint8_t *out)
{
	uint8_t tmp[128];
	size_t len = 20, ma;
	unsigned int n = 0;

	out[0] = code;
	out[1] = req[1];
	if (cause) {
		out[len++] = 101;
		out[len++] = 6;
		out[len++] = (uint8_t)(cause >> 24);
		out[len++] = (uint8_t)(cause >> 16);
		out[len++] = (uint8_t)(cause >> 8);
		out[len++] = (uint8_t)cause;
	}
	out[len++] = 80;
	out[len++] = 18;
	ma = len;
	memset(out + len, 0, 16);
	len += 16;
	out[2] = 0;
	out[3] = (uint8_t)len;
	memcpy(out + 4, req + 4, 16);
	HMAC(EVP_md5(), SECRET, SECRET_LEN, out, len, out + ma, &n);
	/* MD5(code..length, request authenticator, attributes, secret) */
	memcpy(tmp, out, len);
	memcpy(tmp + len, SECRET, SECRET_LEN);
	md5(tmp, len + SECRET_LEN, NULL, 0, out + 4);
	return len;
}

static void *
fake_run(void *arg)
{
	struct fake_das *fd = arg;
	uint8_t req[AVEC_DAS_PACKET_MAX], rep[128];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	size_t len;

	while (fd->received < fd->expect) {
		fl = sizeof(from);
		n = recvfrom(fd->fd, req, sizeof(req), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 20)
			break;
		if (fd->received++ == 0) {
			memcpy(fd->first, req, (size_t)n);
			fd->first_len = (size_t)n;
			fd->same = true;
		} else if ((size_t)n != fd->first_len ||
			   memcmp(req, fd->first, (size_t)n) != 0) {
			fd->same = false;
		}
		switch (fd->mode) {
		case FAKE_SILENT:
			break;
		case FAKE_LOSE_THEN_FORGE_THEN_ACK:
			if (fd->received == 1)
				break;
			/* a right answer from another port: not believed */
			len = sign_answer(req, 41, 0, rep);
			{
				int other = socket(AF_INET, SOCK_DGRAM, 0);

				sendto(other, rep, len, 0,
				       (struct sockaddr *)&from, fl);
				close(other);
			}
			/* a forged answer: right id, bad signature */
			len = sign_answer(req, 41, 0, rep);
			rep[7] ^= 0xff;
			sendto(fd->fd, rep, len, 0, (struct sockaddr *)&from,
			       fl);
			len = sign_answer(req, 41, 0, rep);
			sendto(fd->fd, rep, len, 0, (struct sockaddr *)&from,
			       fl);
			break;
		case FAKE_NAK:
			len = sign_answer(req, 42, 503, rep);
			sendto(fd->fd, rep, len, 0, (struct sockaddr *)&from,
			       fl);
			break;
		}
	}
	OPENSSL_thread_stop();	/* this thread's OpenSSL state */
	return NULL;
}

static void
fake_start(struct fake_das *f, enum fake_mode mode, unsigned expect)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	f->expect = expect;
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(f->fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
	f->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&f->th, NULL, fake_run, f), 0);
}

/* Wait for the fake DAS to have read all it expected, and close it. */
static void
fake_stop(struct fake_das *f)
{
	ck_assert_int_eq(pthread_join(f->th, NULL), 0);
	close(f->fd);
}

static double
secs_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static const struct avec_das_opts FAST = { 3, 100, 200 };
/* For the cases that count attempts: a wait no loaded machine outlasts,
 * so that an answer is never taken for a loss. */
static const struct avec_das_opts PATIENT = { 3, 1500, 1500 };

START_TEST(exchange_retry_and_forgery)
{
	struct avec_das_session s = VEC_SESSION;
	struct avec_das_outcome out;
	struct fake_das f;

	s.event_timestamp = 0;
	fake_start(&f, FAKE_LOSE_THEN_FORGE_THEN_ACK, 2);
	ck_assert_int_eq(avec_das_disconnect("127.0.0.1", f.port, SECRET,
					     SECRET_LEN, &s, &PATIENT, &out),
			 AVEC_DAS_ACK);
	ck_assert_uint_eq(out.attempts, 2);
	ck_assert_uint_eq(out.refused, 2);
	ck_assert_str_eq(out.detail, "Disconnect-ACK");
	fake_stop(&f);
	ck_assert(f.same);
}
END_TEST

START_TEST(exchange_nak)
{
	struct avec_das_outcome out;
	struct fake_das f;

	fake_start(&f, FAKE_NAK, 1);
	ck_assert_int_eq(avec_das_disconnect("127.0.0.1", f.port, SECRET,
					     SECRET_LEN, &VEC_SESSION, &PATIENT,
					     &out), AVEC_DAS_NAK);
	ck_assert_uint_eq(out.attempts, 1);
	ck_assert_uint_eq(out.error_cause, 503);
	ck_assert_ptr_nonnull(strstr(out.detail, "Session Context Not Found"));
	fake_stop(&f);
}
END_TEST

START_TEST(exchange_timeout_bounded)
{
	struct avec_das_outcome out;
	struct timespec t0;
	struct fake_das f;
	double el;

	fake_start(&f, FAKE_SILENT, 3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(avec_das_disconnect("127.0.0.1", f.port, SECRET,
					     SECRET_LEN, &VEC_SESSION, &FAST,
					     &out), AVEC_DAS_TIMEOUT);
	el = secs_since(&t0);
	ck_assert_uint_eq(out.attempts, 3);
	/* waits of 100, 200, 200 ms */
	ck_assert(el >= 0.45 && el < 2.0);
	ck_assert_ptr_null(strstr(out.detail, (const char *)SECRET));
	/* the same packet each time */
	fake_stop(&f);
	ck_assert_uint_eq(f.received, 3);
	ck_assert(f.same);
	/* an address that is not numeric: an error, nothing sent */
	ck_assert_int_eq(avec_das_disconnect("localhost", f.port, SECRET,
					     SECRET_LEN, &VEC_SESSION, &FAST,
					     &out), AVEC_DAS_ERROR);
	ck_assert_uint_eq(out.attempts, 0);
}
END_TEST

Suite *
das_suite(void)
{
	Suite *s = suite_create("das");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, encode_vector);
	tcase_add_test(tc, encode_refusals);
	tcase_add_test(tc, replies_verified);
	tcase_add_test(tc, forged_replies_refused);
	tcase_add_test(tc, malformed_replies_refused);
	tcase_add_test(tc, calling_station_id);
	tcase_add_test(tc, exchange_retry_and_forgery);
	tcase_add_test(tc, exchange_nak);
	tcase_add_test(tc, exchange_timeout_bounded);
	suite_add_tcase(s, tc);
	return s;
}
