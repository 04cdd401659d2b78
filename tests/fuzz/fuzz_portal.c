/*
 * fuzz_portal.c - libFuzzer harness for avecd's portal: one raw HTTP/1.1
 * request (request line, headers, cookies, body) through libmicrohttpd and
 * the portal's own handler, routes and pages, in process.
 *
 * At start it builds what avecd_portal_run would: a configuration for one
 * school, a throw-away EC key and self-signed certificate (the portal's
 * TLS pair for profile signing, and the "CA" certificate served at
 * /ca.pem), one live session with a known id and CSRF token (so the
 * seeds reach the personal pages), and an engine: a thread on the other
 * end of a socketpair that answers every request message with a canned
 * reply of the right size (AVECD_OK, or the status a request header
 * "X-Fuzz-Engine: D" asks for).  Each door (HTTPS portal, HTTP probes, admin
 * API) gets a daemon with no listening socket; the request's Host header
 * picks one ("probe.test", "admin.test", anything else is the portal).
 * CAS validation goes to https://127.0.0.1:1, refused at once.
 *
 * Per input it hands one end of a fresh socketpair to the daemon
 * (MHD_add_connection, a made-up 10.0.0.x peer), writes the input, shuts
 * the writing side and reads the answer to EOF.  It owns the invariants a
 * browser relies on: an answer is HTTP/1.x with a three-digit status (or
 * nothing, for a request cut short); the portal's answers carry
 * Cache-Control: no-store; an HTML page has no raw "<script" and never
 * the canary "<zq" (the dictionary and seeds put it in URLs, headers and
 * forms; the canned device list holds it too); a POST without the
 * session's CSRF token never leads to /devices/ready; no request hangs
 * (2 s without progress aborts).  FUZZ_PORTAL_SHOW=1 in the environment
 * prints each answer (its first 4 KiB) to stderr.  It must never touch a
 * real network: the only sockets are socketpairs and a refused loopback
 * connect.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "avec/log.h"
#include "avecd/portal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* msg.c reads it; avecd's main() owns it, not linked here */
volatile int avecd_stop;

/* the seeds' session: 43 characters of the token alphabet each */
#define FUZZ_SID	"sessionSESSIONsessionSESSIONsessionSESSION1"
#define FUZZ_CSRF	"csrfCSRFcsrfCSRFcsrfCSRFcsrfCSRFcsrfCSRFxyz"
#define CANARY		"<zq"
#define OUT_MAX		(256u << 10)	/* of an answer, kept for checks */

static struct avecd_conf conf;
static struct portal *P;
static struct MHD_Daemon *daemons[DOOR__COUNT];
static _Atomic uint32_t reply_seed;	/* this input's hash */
static _Atomic int32_t reply_status;	/* what the engine answers */
static bool show;			/* FUZZ_PORTAL_SHOW=1: print answers */

/* ---- the engine's canned replies ---- */

static int32_t
reply_code(uint32_t h)
{
	(void)h;
	return atomic_load(&reply_status);
}

static void
fill_devices(struct avecd_devices *d, uint32_t h)
{
	static const char *const names[] = {
		"Téléphone", CANARY "><script>x</script>", "a&b\"c'd",
	};
	unsigned i;

	memset(d, 0, sizeof(*d));
	d->st.code = reply_code(h);
	d->ndev = (h >> 3) % 4;
	d->max_devices = (h >> 5) % 4;
	d->allowed_creds = (h >> 7) % 8;
	if (d->allowed_creds == 0)
		d->allowed_creds = AVEC_CRED_ALL;
	d->policy_defined = 1;
	for (i = 0; i < d->ndev; i++) {
		d->dev[i].id = (int64_t)i + 1;
		snprintf(d->dev[i].name, sizeof(d->dev[i].name), "%s",
			 names[i % 3]);
		d->dev[i].type = (int32_t)(i % 3);
		d->dev[i].status = 0;
		d->dev[i].created_at = 1700000000;
		d->dev[i].last_seen = i ? 1700003600 : 0;
		d->dev[i].expires_at = 1800000000;
	}
}

static void
fill_added(struct avecd_added *a, uint32_t h)
{
	memset(a, 0, sizeof(*a));
	a->st.code = reply_code(h);
	a->id = 7;
	a->type = (int32_t)((h >> 9) % 3);
	snprintf(a->username, sizeof(a->username), "dv-abcdefghijklmn23");
	snprintf(a->secret, sizeof(a->secret), "secret-" CANARY "-&\"");
	snprintf(a->p12_password, sizeof(a->p12_password), "p12-pass");
	a->p12_len = 64;
	memset(a->p12, 0x30, a->p12_len);
	a->expires_at = 1800000000;
}

/* Answer each message until the portal side goes away. */
static void *
engine(void *arg)
{
	static unsigned char q[65536];
	struct avecd_devices *dv = calloc(1, sizeof(*dv));
	struct avecd_added *ad = calloc(1, sizeof(*ad));
	int fd = (int)(intptr_t)arg;

	if (dv == NULL || ad == NULL)
		abort();
	for (;;) {
		uint32_t type = 0, h = atomic_load(&reply_seed);
		int rc = -1;

		if (avecd_msg_recv(fd, &type, q, sizeof(q)) < 0)
			break;
		switch (type) {
		case AVECD_MSG_LOGIN: {
			struct avecd_login_reply a;

			memset(&a, 0, sizeof(a));
			a.st.code = reply_code(h);
			a.role = AVEC_ROLE_STUDENT;
			rc = avecd_msg_send(fd, type, &a, sizeof(a));
			break;
		}
		case AVECD_MSG_DEVICES:
			fill_devices(dv, h);
			rc = avecd_msg_send(fd, type, dv, sizeof(*dv));
			break;
		case AVECD_MSG_ADD:
			fill_added(ad, h);
			rc = avecd_msg_send(fd, type, ad, sizeof(*ad));
			break;
		case AVECD_MSG_REMOVE: {
			struct avecd_status a;

			memset(&a, 0, sizeof(a));
			a.code = reply_code(h);
			rc = avecd_msg_send(fd, type, &a, sizeof(a));
			break;
		}
		case AVECD_MSG_ADMIN: {
			static const char *const res[] = {
				"200\nok " CANARY "\n", "401\n", "403\n",
				"garbage", "200\n",
			};
			const char *s = res[h % 5];

			rc = avecd_msg_send(fd, type, s, strlen(s));
			break;
		}
		case AVECD_MSG_CA:
			rc = avecd_msg_send(fd, type, P->ca_der, P->ca_len);
			break;
		case AVECD_MSG_ACME: {
			struct avecd_acme_reply a;

			/* a file's answer, none, or a length that lies */
			memset(&a, 0, sizeof(a));
			a.st.code = reply_code(h);
			a.len = h % 5 == 4 ? (uint32_t)sizeof(a.body) + 1 : 8;
			memcpy(a.body, "tok.abcd", 8);
			rc = avecd_msg_send(fd, type, &a, sizeof(a));
			break;
		}
		default:
			break;
		}
		if (rc < 0)
			break;
	}
	free(dv);
	free(ad);
	return NULL;
}

/* ---- start: a key, its certificate, the portal, the daemons ---- */

static char *
bio_string(BIO *bio)
{
	char *data, *s;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || (s = malloc((size_t)n + 1)) == NULL)
		abort();
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

static void
make_pair(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm;
	BIO *bc = BIO_new(BIO_s_mem()), *bk = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	int len;

	if (key == NULL || x == NULL || bc == NULL || bk == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, key);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
				   (const unsigned char *)"portal.test", -1,
				   -1, 0);
	X509_set_issuer_name(x, nm);
	if (X509_sign(x, key, EVP_sha256()) <= 0 ||
	    PEM_write_bio_X509(bc, x) != 1 ||
	    PEM_write_bio_PrivateKey(bk, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = i2d_X509(x, &der)) <= 0)
		abort();
	P->cert_pem = bio_string(bc);
	P->key_pem = bio_string(bk);
	if ((P->ca_der = malloc((size_t)len)) == NULL)
		abort();
	memcpy(P->ca_der, der, (size_t)len);
	P->ca_len = (size_t)len;
	OPENSSL_free(der);
	BIO_free(bc);
	BIO_free(bk);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
make_conf(struct avecd_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->uai, sizeof(c->uai), "0290009C");
	snprintf(c->school_name, sizeof(c->school_name),
		 "Lycée de l'Élorn & <Test>");
	snprintf(c->portal_url, sizeof(c->portal_url), "https://portal.test");
	snprintf(c->support_url, sizeof(c->support_url),
		 "https://support.test/wifi?a=1&b=2");
	snprintf(c->support_email, sizeof(c->support_email),
		 "wifi@lycee.test");
	/* the engine reads the challenges: the canned one answers */
	snprintf(c->acme_dir, sizeof(c->acme_dir), "/nonexistent/acme");
	c->client_timeout = 5;
	c->request_timeout = 30;
	c->login_burst = 1000;
	c->login_refill = 1;
	snprintf(c->cas_url, sizeof(c->cas_url), "https://cas.test/cas");
	c->cas_allow_http = false;
	c->cas_timeout_ms = 100;
	avec_cas_map_default(&c->cas_map);
	snprintf(c->ssid, sizeof(c->ssid), "AVEC");
	snprintf(c->onboarding_ssid, sizeof(c->onboarding_ssid),
		 "AVEC-Inscription");
	c->method = AVEC_CRED_TTLS;
	snprintf(c->server_name, sizeof(c->server_name), "radius.lycee.test");
	snprintf(c->realm, sizeof(c->realm), "lycee.test");
}

/* The seeds' session, live again before every input (logout drops it). */
static void
session_reset(void)
{
	struct session *s = &P->sessions[0];
	int64_t now = (int64_t)time(NULL);

	pthread_mutex_lock(&P->lock);
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", FUZZ_SID);
	snprintf(s->csrf, sizeof(s->csrf), "%s", FUZZ_CSRF);
	snprintf(s->principal, sizeof(s->principal), "F-0290009C-eleve1");
	snprintf(s->display_name, sizeof(s->display_name),
		 "Élève " CANARY " Un");
	s->role = AVEC_ROLE_STUDENT;
	s->created = s->last = now;
	pthread_mutex_unlock(&P->lock);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct avec_err err = { "" };
	pthread_t t;
	int sv[2];
	unsigned d;

	(void)argc;
	(void)argv;
	/* warnings (refused posts, CAS down) are the expected path here */
	avec_log_init("fuzz_portal", AVEC_LOG_ERR, NULL);
	show = getenv("FUZZ_PORTAL_SHOW") != NULL;
	make_conf(&conf);
	if ((P = calloc(1, sizeof(*P))) == NULL)
		abort();
	P->c = &conf;
	pthread_mutex_init(&P->engine_lock, NULL);
	pthread_mutex_init(&P->conn_lock, NULL);
	pthread_mutex_init(&P->lock, NULL);
	snprintf(P->cas_origin, sizeof(P->cas_origin), "https://cas.test");
	/* validation goes where nothing listens: refused at once */
	P->cas.base = "https://127.0.0.1:1/cas";
	P->cas.allow_http = conf.cas_allow_http;
	P->cas.timeout_ms = conf.cas_timeout_ms;
	make_pair();
	if (avec_cas_global_init(&err) < 0)
		abort();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	P->engine_fd = sv[0];
	if (pthread_create(&t, NULL, engine, (void *)(intptr_t)sv[1]) != 0)
		abort();
	pthread_detach(t);
	for (d = 0; d < DOOR__COUNT; d++)
		if ((daemons[d] = avecd_portal_test_daemon(P, (enum door)d)) ==
		    NULL) {
			fprintf(stderr, "fuzz_portal: MHD does not start\n");
			abort();
		}
	session_reset();
	return 0;
}

/* ---- one request ---- */

static uint32_t
fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* The engine answers AVECD_OK unless the request has a header
 * "X-Fuzz-Engine: D" (not the portal's: MHD just keeps it): then D % 5
 * for a digit D. */
static int32_t
engine_status(const uint8_t *data, size_t size)
{
	const uint8_t *p = memmem(data, size, "\nX-Fuzz-Engine: ", 16);

	if (p == NULL || p + 16 >= data + size)
		return AVECD_OK;
	return (int32_t)((uint8_t)(p[16] - '0') % 5);
}

static enum door
pick_door(const uint8_t *data, size_t size)
{
	if (memmem(data, size, "\nHost: probe.test", 17) != NULL)
		return DOOR_HTTP;
	if (memmem(data, size, "\nHost: admin.test", 17) != NULL)
		return DOOR_ADMIN;
	return DOOR_HTTPS;
}

static void
hang(const char *what, size_t sent, size_t size)
{
	fprintf(stderr, "fuzz_portal: no progress for 2 s while %s "
		"(%zu of %zu bytes sent)\n", what, sent, size);
	abort();
}

/* Write @data to @fd while reading what comes back into @out, to EOF. */
static size_t
exchange(int fd, const uint8_t *data, size_t size, char *out, size_t cap)
{
	size_t sent = 0, got = 0;
	bool wr = true, eof = false;
	char sink[4096];

	if (size == 0) {
		shutdown(fd, SHUT_WR);
		wr = false;
	}
	while (!eof) {
		struct pollfd pf = { fd, (short)(POLLIN | (wr ? POLLOUT : 0)),
				     0 };
		int n = poll(&pf, 1, 2000);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			hang(wr ? "sending" : "waiting for the answer", sent,
			     size);
		if (n < 0)
			abort();
		if (wr && (pf.revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = send(fd, data + sent, size - sent,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w > 0)
				sent += (size_t)w;
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    sent == size) {
				shutdown(fd, SHUT_WR);
				wr = false;
			}
		}
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			char *dst = got < cap ? out + got : sink;
			size_t room = got < cap ? cap - got : sizeof(sink);
			ssize_t r = recv(fd, dst, room, MSG_DONTWAIT);

			if (r > 0)
				got += got < cap ? (size_t)r : 0;
			else if (r == 0 || (errno != EAGAIN && errno != EINTR))
				eof = true;
		}
	}
	return got < cap ? got : cap;
}

/* The value of header @name in the head @h (NUL-terminated), or NULL. */
static const char *
header(const char *h, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	const char *p = strstr(h, "\r\n");

	while (p != NULL && p[2] != '\0') {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			*len = e ? (size_t)(e - v) : strlen(v);
			return v;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

/* Wait for MHD to let go of the connection (and free its request), so
 * that an input's allocations are balanced when it returns. */
static void
settle(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *di;
	int i;

	for (i = 0; i < 2000; i++) {
		di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (di == NULL || di->num_connections == 0)
			return;
		usleep(1000);
	}
	fprintf(stderr, "fuzz_portal: a connection outlives its EOF by 2 s\n");
	abort();
}

static void
violation(const char *what, const char *out, size_t n)
{
	fprintf(stderr, "fuzz_portal: %s; answer:\n%.*s\n", what,
		(int)(n > 2048 ? 2048 : n), out);
	abort();
}

/* MHD's own answers to a request it could not parse: not the portal's. */
static bool
mhd_own(unsigned status, const char *head)
{
	size_t l;

	return (status == 400 || status == 413 || status == 414 ||
		status == 431 || status == 500 || status == 501 ||
		status == 505) && header(head, "Content-Security-Policy", &l) ==
		NULL;
}

static void
check(const uint8_t *data, size_t size, char *out, size_t n)
{
	char *end, *head;
	const char *v;
	size_t vl, hl, bl;
	unsigned status;
	bool html;

again:
	if (n == 0)
		return;		/* a request cut short: closed unanswered */
	if (n < 13 || strncmp(out, "HTTP/1.", 7) != 0 ||
	    (out[7] != '0' && out[7] != '1') || out[8] != ' ' ||
	    out[9] < '1' || out[9] > '5' || out[10] < '0' || out[10] > '9' ||
	    out[11] < '0' || out[11] > '9' || out[12] != ' ')
		violation("not an HTTP/1.x status line", out, n);
	status = (unsigned)((out[9] - '0') * 100 + (out[10] - '0') * 10 +
			    (out[11] - '0'));
	if ((end = memmem(out, n, "\r\n\r\n", 4)) == NULL)
		violation("headers without their end", out, n);
	if (status < 200) {
		/* MHD's interim "100 Continue": the answer follows */
		n -= (size_t)(end + 4 - out);
		out = end + 4;
		goto again;
	}
	hl = (size_t)(end - out) + 2;
	if ((head = malloc(hl + 1)) == NULL)
		abort();
	memcpy(head, out, hl);
	head[hl] = '\0';
	bl = n - (hl + 2);
	if ((v = header(head, "Content-Length", &vl)) != NULL) {
		size_t cl = strtoul(v, NULL, 10);

		if (cl < bl)
			bl = cl;	/* what follows is a second answer */
	}
	if (!mhd_own(status, head)) {
		if ((v = header(head, "Cache-Control", &vl)) == NULL ||
		    vl != 8 || memcmp(v, "no-store", 8) != 0)
			violation("no Cache-Control: no-store", out, n);
	}
	v = header(head, "Content-Type", &vl);
	html = v != NULL && vl >= 9 && strncasecmp(v, "text/html", 9) == 0;
	if (html && bl > 0) {
		const char *body = end + 4;
		size_t i;

		for (i = 0; i + 7 <= bl; i++)
			if (strncasecmp(body + i, "<script", 7) == 0)
				violation("a raw <script in a page", out, n);
		if (memmem(body, bl, CANARY, 3) != NULL)
			violation("the canary <zq unescaped in a page", out,
				  n);
	}
	if (status == 303 && (v = header(head, "Location", &vl)) != NULL &&
	    vl >= 14 && memcmp(v, "/devices/ready", 14) == 0 &&
	    (memmem(data, size, "csrf=" FUZZ_CSRF, 5 + TOKEN_LEN) == NULL ||
	     memmem(data, size, FUZZ_SID, TOKEN_LEN) == NULL))
		violation("a device added without the session's CSRF token",
			  out, n);
	free(head);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *out;
	uint32_t h = fnv(data, size);
	struct sockaddr_in peer;
	int sv[2];
	size_t n;

	if (out == NULL && (out = malloc(OUT_MAX)) == NULL)
		abort();
	atomic_store(&reply_seed, h);
	atomic_store(&reply_status, engine_status(data, size));
	session_reset();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons((uint16_t)(40000 + (h & 0xfff)));
	peer.sin_addr.s_addr = htonl(0x0a000000u | (1 + (h >> 12) % 250));
	/* MHD owns sv[0] from here, closing it even when it refuses it */
	if (MHD_add_connection(daemons[pick_door(data, size)], sv[0],
			       (const struct sockaddr *)&peer,
			       sizeof(peer)) != MHD_YES) {
		close(sv[1]);
		return 0;
	}
	n = exchange(sv[1], data, size, out, OUT_MAX);
	close(sv[1]);
	settle(daemons[pick_door(data, size)]);
	if (show)
		fprintf(stderr, "%.*s\n----\n", (int)(n > 4096 ? 4096 : n), out);
	check(data, size, out, n);
	return 0;
}
