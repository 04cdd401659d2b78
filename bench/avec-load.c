/*
 * avec-load.c - AVEC's RADIUS load generator for `make bench`.
 *
 * What it owns: one process, one epoll loop, a closed loop of PAP
 * Access-Requests over UDP to one server on loopback.  It keeps a window of
 * requests outstanding; each answer (or timeout) frees a slot, which is
 * refilled at once with a request for a randomly chosen user of the users
 * file ("username password" per line).  Each request carries a
 * Message-Authenticator (the server requires it) and the User-Password
 * hidden as RFC 2865 5.2 says.  Optionally some requests are MAC
 * authentication style (User-Name = User-Password = a MAC address), and
 * Accounting-Requests are sent alongside at a fixed rate to the accounting
 * port (over eight sockets, so that no id is reused while it is pending;
 * they get up to the timeout to be answered once the load stops).  It
 * counts accepts, rejects and timeouts, keeps every latency, and prints
 * one key=value line and one JSON line on stdout.  Its own CPU use
 * (cpu=, in cores) is printed so that a run shows whether the server or
 * the generator was the limit.
 *
 * A "poll" mode sends one request at a time for one user until the first
 * reject and prints when that request was sent: `make bench` measures with
 * it how soon a revocation reaches the module.
 *
 * An EAP-TLS mode (--eap-tls) runs whole EAP-TLS conversations instead,
 * still in one process and one loop: a window of conversations in flight,
 * each on its own UDP socket, each a client certificate of the directory
 * it is given (NAME.pem with NAME.key, as `avec-benchgen --tls` writes
 * them).  A conversation is EAP-Response/Identity, a Nak towards EAP-TLS
 * when the server proposes another method, then the TLS handshake of an
 * OpenSSL client over memory BIOs, carried in EAP-TLS fragments of at
 * most --frag TLS bytes (1398 by default, the size supplicants commonly
 * use; L and M flags, fragment acknowledgements both ways), the RADIUS
 * State echoed and the EAP-Message split in 253-byte attributes, until
 * Access-Accept or Reject.  The server certificate is verified against the CA given; a
 * handshake that fails is counted (tls_fail), never retried.  Its latency
 * is the whole conversation's.  -n bounds the number of conversations
 * (one per certificate, in order) and --rate the conversations (or, in
 * PAP mode, the requests) started per second.
 *
 * What it must never do: retransmit (a timeout is counted, never retried;
 * retries would hide a saturated server), send anything but to the address
 * it is given (the bench uses 127.0.0.1 only), or print a password, a
 * private key or the shared secret.  The secret is read from a file, never
 * from the command line.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define PER_SOCK	128	/* outstanding requests per socket (ids 0..255) */
#define MAX_PKT		4096
#define SECRET_MAX	128
#define ACCT_SOCKS	8	/* 2048 accounting ids: none reused while pending */

#define CODE_ACCESS_REQUEST	1
#define CODE_ACCESS_ACCEPT	2
#define CODE_ACCESS_REJECT	3
#define CODE_ACCT_REQUEST	4
#define CODE_ACCT_RESPONSE	5
#define CODE_ACCESS_CHALLENGE	11

#define A_USER_NAME		1
#define A_USER_PASSWORD		2
#define A_NAS_IP_ADDRESS	4
#define A_NAS_PORT		5
#define A_FRAMED_MTU		12
#define A_STATE			24
#define A_CALLED_STATION_ID	30
#define A_CALLING_STATION_ID	31
#define A_ACCT_STATUS_TYPE	40
#define A_ACCT_SESSION_ID	44
#define A_NAS_PORT_TYPE		61
#define A_EAP_MESSAGE		79
#define A_MESSAGE_AUTHENTICATOR	80

#define EAP_REQUEST		1
#define EAP_RESPONSE		2
#define EAP_SUCCESS		3
#define EAP_FAILURE		4
#define EAP_T_IDENTITY		1
#define EAP_T_NAK		3
#define EAP_T_TLS		13
#define EAPTLS_L		0x80	/* length included */
#define EAPTLS_M		0x40	/* more fragments */
#define EAPTLS_S		0x20	/* start */
#define EAPTLS_FRAG		1398	/* TLS bytes in one fragment we send, by
					 * default: what supplicants commonly use */
#define EAPTLS_FRAG_MAX		2048
#define EAPTLS_MSG_MAX		65536	/* a reassembled TLS flight, at most */

struct user {
	char *name;	/* both point into one allocation, freed at exit */
	char *pass;
};

struct slot {
	bool busy;
	bool mac;
	uint64_t sent_ns;
	uint8_t auth[16];	/* request authenticator, to check the answer */
};

struct sock {
	int fd;
	unsigned outstanding;
	uint8_t freeq[256];	/* FIFO of free ids: an id comes back late */
	unsigned head, count;
	struct slot slot[256];
};

static struct {
	struct sockaddr_in auth_addr, acct_addr;
	uint8_t secret[SECRET_MAX];
	size_t secret_len;
	struct user *users;
	size_t nusers;
	unsigned window;
	double duration;
	double timeout;
	unsigned mac_pct;
	double acct_rate;
	bool acct;
	const char *poll_user;
	double poll_max;
	double rate;		/* starts per second (0: as fast as answered) */
	uint64_t count;		/* EAP-TLS conversations to run (0: until -d) */
	size_t frag;		/* EAP-TLS: TLS bytes in one fragment we send */
	bool eap_tls;
	const char *ca_file, *cert_dir, *server_name;
	const EVP_MD *md5;
	EVP_MD_CTX *ctx;
	uint64_t rng;
} cfg = {
	.window = 64, .duration = 5, .timeout = 3, .poll_max = 10,
	.frag = EAPTLS_FRAG,
};

static struct {
	uint64_t sent, accepts, rejects, timeouts, bad, mac_sent, sendfail;
	uint64_t acct_sent, acct_ok;
	uint64_t acct_sent_ns[ACCT_SOCKS][256];	/* 0: not pending */
	uint64_t acct_lat_max_ns;
	uint64_t started, tls_fail, round_trips;	/* EAP-TLS */
	char tls_version[16], tls_cipher[64];
	uint64_t next_start_ns;	/* --rate: when the next start is due */
	unsigned inflight;	/* requests outstanding over all sockets */
	uint32_t *lat_us;	/* every latency; freed at exit */
	size_t nlat, caplat;
} st;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd64(void)
{
	uint64_t x = cfg.rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return cfg.rng = x;
}

static void die(const char *what)
{
	fprintf(stderr, "avec-load: %s\n", what);
	exit(2);
}

/* MD5 over up to three pieces into @out (16 bytes). */
static void md5_3(const void *a, size_t al, const void *b, size_t bl,
		  const void *c, size_t cl, uint8_t *out)
{
	if (EVP_DigestInit_ex(cfg.ctx, cfg.md5, NULL) != 1 ||
	    EVP_DigestUpdate(cfg.ctx, a, al) != 1 ||
	    (bl && EVP_DigestUpdate(cfg.ctx, b, bl) != 1) ||
	    (cl && EVP_DigestUpdate(cfg.ctx, c, cl) != 1) ||
	    EVP_DigestFinal_ex(cfg.ctx, out, NULL) != 1)
		die("MD5 failed");
}

/* HMAC-MD5 (RFC 2104) of @msg with the shared secret (at most 64 bytes). */
static void hmac_md5(const uint8_t *msg, size_t len, uint8_t *out)
{
	uint8_t k[64], inner[16];
	size_t i;

	memset(k, 0, sizeof(k));
	memcpy(k, cfg.secret, cfg.secret_len);
	for (i = 0; i < 64; i++) k[i] ^= 0x36;
	md5_3(k, 64, msg, len, NULL, 0, inner);
	for (i = 0; i < 64; i++) k[i] ^= 0x36 ^ 0x5c;
	md5_3(k, 64, inner, 16, NULL, 0, out);
}

static size_t put_attr(uint8_t *p, size_t off, uint8_t type,
		       const void *val, size_t len)
{
	if (len > 253 || off + 2 + len > MAX_PKT) die("attribute too long");
	p[off] = type;
	p[off + 1] = (uint8_t)(len + 2);
	memcpy(p + off + 2, val, len);
	return off + 2 + len;
}

static size_t put_u32(uint8_t *p, size_t off, uint8_t type, uint32_t v)
{
	uint32_t n = htonl(v);

	return put_attr(p, off, type, &n, 4);
}

/* User-Password hidden with the secret and the request authenticator. */
static size_t put_password(uint8_t *p, size_t off, const char *pw,
			   const uint8_t *ra)
{
	uint8_t buf[128], b[16];
	size_t len = strlen(pw), padded, i, j;
	const uint8_t *prev = ra;

	if (len > sizeof(buf)) die("password too long");
	padded = len ? (len + 15) / 16 * 16 : 16;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, pw, len);
	for (i = 0; i < padded; i += 16) {
		md5_3(cfg.secret, cfg.secret_len, prev, 16, NULL, 0, b);
		for (j = 0; j < 16; j++) buf[i + j] ^= b[j];
		prev = buf + i;
	}
	off = put_attr(p, off, A_USER_PASSWORD, buf, padded);
	memset(buf, 0, sizeof(buf));
	return off;
}

/* A MAC address made from @n, in the two usual spellings. */
static void mac_of(uint64_t n, char *plain, char *dashed)
{
	uint8_t m[6];
	int i;

	for (i = 0; i < 6; i++) m[i] = (uint8_t)(n >> (8 * (5 - i)));
	m[0] = (uint8_t)((m[0] & 0xfc) | 0x02);	/* locally administered */
	sprintf(plain, "%02x%02x%02x%02x%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	sprintf(dashed, "%02X-%02X-%02X-%02X-%02X-%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The MAC of user @u's device: the same in every request, as a real one. */
static uint64_t user_mac_seed(const struct user *u)
{
	uint64_t x = (uint64_t)(u - cfg.users) + 0x9e3779b97f4a7c15ull;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Builds an Access-Request for user @u (or a MAC request) into @p. */
static size_t build_access(uint8_t *p, uint8_t id, const struct user *u,
			   bool mac, uint8_t *ra)
{
	static const uint8_t zero[16];
	uint8_t ma[16];
	char plain[13], dashed[18];
	size_t off = 20, ma_off;
	/* a device keeps its MAC; a MAC request is any station's */
	uint64_t r = mac ? rnd64() : user_mac_seed(u);

	p[0] = CODE_ACCESS_REQUEST;
	p[1] = id;
	for (int i = 0; i < 2; i++) {
		uint64_t x = rnd64();
		memcpy(ra + 8 * i, &x, 8);
	}
	memcpy(p + 4, ra, 16);
	/* Message-Authenticator first (Blast-RADIUS advice), filled last */
	ma_off = off;
	off = put_attr(p, off, A_MESSAGE_AUTHENTICATOR, zero, 16);
	mac_of(r, plain, dashed);
	if (mac) {
		off = put_attr(p, off, A_USER_NAME, plain, 12);
		off = put_password(p, off, plain, ra);
	} else {
		off = put_attr(p, off, A_USER_NAME, u->name, strlen(u->name));
		off = put_password(p, off, u->pass, ra);
	}
	off = put_attr(p, off, A_CALLING_STATION_ID, dashed, 17);
	off = put_attr(p, off, A_CALLED_STATION_ID, "02-00-00-00-00-01:AVEC", 22);
	off = put_u32(p, off, A_NAS_IP_ADDRESS, 0x7f000001);
	off = put_u32(p, off, A_NAS_PORT, 1);
	off = put_u32(p, off, A_NAS_PORT_TYPE, 19);	/* Wireless-802.11 */
	p[2] = (uint8_t)(off >> 8);
	p[3] = (uint8_t)off;
	hmac_md5(p, off, ma);
	memcpy(p + ma_off + 2, ma, 16);
	return off;
}

/* An Accounting-Request (Interim-Update) for a random user. */
static size_t build_acct(uint8_t *p, uint8_t id)
{
	static const uint8_t zero[16];
	const struct user *u = &cfg.users[rnd64() % cfg.nusers];
	char plain[13], dashed[18], sid[24];
	uint8_t ra[16];
	size_t off = 20;
	uint64_t r = rnd64();

	p[0] = CODE_ACCT_REQUEST;
	p[1] = id;
	memset(p + 4, 0, 16);
	mac_of(user_mac_seed(u), plain, dashed);
	snprintf(sid, sizeof(sid), "%016" PRIx64, r);
	off = put_attr(p, off, A_USER_NAME, u->name, strlen(u->name));
	off = put_u32(p, off, A_ACCT_STATUS_TYPE, 3);	/* Interim-Update */
	off = put_attr(p, off, A_ACCT_SESSION_ID, sid, 16);
	off = put_attr(p, off, A_CALLING_STATION_ID, dashed, 17);
	off = put_u32(p, off, A_NAS_IP_ADDRESS, 0x7f000001);
	p[2] = (uint8_t)(off >> 8);
	p[3] = (uint8_t)off;
	md5_3(p, off, zero, 0, cfg.secret, cfg.secret_len, ra);
	memcpy(p + 4, ra, 16);
	return off;
}

/* The Response Authenticator of @p (length @len) fits request auth @ra. */
static bool response_ok(uint8_t *p, size_t len, const uint8_t *ra)
{
	uint8_t got[16], want[16];

	memcpy(got, p + 4, 16);
	memcpy(p + 4, ra, 16);
	md5_3(p, len, cfg.secret, cfg.secret_len, NULL, 0, want);
	return memcmp(got, want, 16) == 0;
}

static int udp_socket(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int sz = 4 << 20;

	if (fd < 0) die("socket failed");
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0)
		die("connect failed");
	return fd;
}

static void lat_add(uint64_t ns)
{
	if (st.nlat == st.caplat) {
		st.caplat = st.caplat ? st.caplat * 2 : 65536;
		st.lat_us = realloc(st.lat_us, st.caplat * sizeof(*st.lat_us));
		if (!st.lat_us) die("out of memory");
	}
	st.lat_us[st.nlat++] = (uint32_t)(ns / 1000u > UINT32_MAX ? UINT32_MAX : ns / 1000u);
}

/* --rate: true when a start is due at @t (and takes it); starts that fall
 * behind are made up at once, within the window (no coordinated omission). */
static bool rate_ok(uint64_t t)
{
	if (cfg.rate <= 0) return true;
	if (t < st.next_start_ns) return false;
	st.next_start_ns += (uint64_t)(1e9 / cfg.rate);
	return true;
}

/* Sends one request on socket @s with its oldest free id. */
static bool send_one(struct sock *s, uint64_t t)
{
	uint8_t pkt[MAX_PKT];
	uint8_t id = s->freeq[s->head];
	struct slot *sl = &s->slot[id];
	bool mac = cfg.mac_pct && rnd64() % 100 < cfg.mac_pct;
	const struct user *u = &cfg.users[rnd64() % cfg.nusers];
	size_t len;

	if (cfg.poll_user) u = &cfg.users[0];
	len = build_access(pkt, id, u, mac, sl->auth);
	if (send(s->fd, pkt, len, 0) != (ssize_t)len) {
		/* a full socket buffer: counted, never retried */
		st.sendfail++;
		return false;
	}
	s->head = (s->head + 1) & 255;
	s->count--;
	s->outstanding++;
	st.inflight++;
	sl->busy = true;
	sl->mac = mac;
	sl->sent_ns = t;
	st.sent++;
	if (mac) st.mac_sent++;
	return true;
}

static void release(struct sock *s, uint8_t id)
{
	s->slot[id].busy = false;
	s->freeq[(s->head + s->count) & 255] = id;
	s->count++;
	s->outstanding--;
	st.inflight--;
}

/* Reads every pending answer of @s; returns the code of the last one. */
static int drain(struct sock *s, uint64_t *sent_of_last)
{
	uint8_t pkt[MAX_PKT];
	ssize_t n;
	int last = 0;

	while ((n = recv(s->fd, pkt, sizeof(pkt), 0)) >= 0) {
		struct slot *sl;
		size_t len;
		uint64_t t;

		if (n < 20) { st.bad++; continue; }
		len = (size_t)pkt[2] << 8 | pkt[3];
		sl = &s->slot[pkt[1]];
		if (len < 20 || len > (size_t)n || !sl->busy ||
		    !response_ok(pkt, len, sl->auth)) {
			st.bad++;
			continue;
		}
		t = now_ns();
		lat_add(t - sl->sent_ns);
		if (pkt[0] == CODE_ACCESS_ACCEPT) st.accepts++;
		else if (pkt[0] == CODE_ACCESS_REJECT) st.rejects++;
		else st.bad++;
		last = pkt[0];
		if (sent_of_last) *sent_of_last = sl->sent_ns;
		release(s, pkt[1]);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
		die("recv failed");
	return last;
}

static void drain_acct(int fd, unsigned k)
{
	uint8_t pkt[MAX_PKT];
	ssize_t n;

	while ((n = recv(fd, pkt, sizeof(pkt), 0)) >= 0) {
		uint64_t *sent = &st.acct_sent_ns[k][pkt[1]];

		if (n < 20 || pkt[0] != CODE_ACCT_RESPONSE || !*sent) continue;
		st.acct_ok++;
		if (now_ns() - *sent > st.acct_lat_max_ns)
			st.acct_lat_max_ns = now_ns() - *sent;
		*sent = 0;
	}
}

static void expire(struct sock *s, uint64_t t, uint64_t tmo)
{
	for (unsigned id = 0; id < 256; id++)
		if (s->slot[id].busy && t - s->slot[id].sent_ns > tmo) {
			st.timeouts++;
			release(s, (uint8_t)id);
		}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t pct(double q)
{
	size_t i;

	if (!st.nlat) return 0;
	i = (size_t)(q * (double)(st.nlat - 1) + 0.5);
	return st.lat_us[i];
}

static void report(double secs)
{
	struct rusage ru;
	double cpu, rps;

	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (st.nlat) qsort(st.lat_us, st.nlat, sizeof(*st.lat_us), cmp_u32);
	rps = (double)(st.accepts + st.rejects) / secs;
	printf("window=%u secs=%.3f sent=%" PRIu64 " accepts=%" PRIu64
	       " rejects=%" PRIu64 " timeouts=%" PRIu64 " sendfail=%" PRIu64 " bad=%" PRIu64
	       " mac_sent=%" PRIu64 " acct_sent=%" PRIu64 " acct_ok=%" PRIu64 " acct_max_us=%" PRIu64
	       " rps=%.0f p50_us=%u p99_us=%u p999_us=%u cpu=%.3f\n",
	       cfg.window, secs, st.sent, st.accepts, st.rejects, st.timeouts,
	       st.sendfail, st.bad, st.mac_sent, st.acct_sent, st.acct_ok, st.acct_lat_max_ns / 1000u, rps, pct(0.50),
	       pct(0.99), pct(0.999), cpu / secs);
	printf("{\"window\":%u,\"secs\":%.3f,\"sent\":%" PRIu64 ",\"accepts\":%" PRIu64
	       ",\"rejects\":%" PRIu64 ",\"timeouts\":%" PRIu64 ",\"sendfail\":%" PRIu64 ",\"bad\":%" PRIu64
	       ",\"mac_sent\":%" PRIu64 ",\"acct_sent\":%" PRIu64 ",\"acct_ok\":%" PRIu64 ",\"acct_max_us\":%" PRIu64
	       ",\"rps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,\"p999_us\":%u,\"cpu\":%.3f}\n",
	       cfg.window, secs, st.sent, st.accepts, st.rejects, st.timeouts,
	       st.sendfail, st.bad, st.mac_sent, st.acct_sent, st.acct_ok, st.acct_lat_max_ns / 1000u, rps, pct(0.50),
	       pct(0.99), pct(0.999), cpu / secs);
}

/* The closed loop: keeps cfg.window requests outstanding for cfg.duration. */
static void run_load(void)
{
	unsigned nsock = (cfg.window + PER_SOCK - 1) / PER_SOCK, i;
	struct sock *socks = calloc(nsock, sizeof(*socks));
	uint64_t t0, t, end, tmo = (uint64_t)(cfg.timeout * 1e9), next_exp;
	uint64_t acct_step = 0, acct_next = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC), acct_fd[ACCT_SOCKS];
	unsigned acct_n = 0, acct_seq = 0;
	struct epoll_event ev[64];
	int k;

	if (!socks || ep < 0) die("out of memory");
	for (i = 0; i < nsock; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		socks[i].fd = udp_socket(&cfg.auth_addr);
		for (unsigned id = 0; id < 256; id++) socks[i].freeq[id] = (uint8_t)id;
		socks[i].count = 256;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, socks[i].fd, &e) < 0) die("epoll_ctl failed");
	}
	if (cfg.acct) {
		for (acct_n = 0; acct_n < ACCT_SOCKS; acct_n++) {
			struct epoll_event e = { .events = EPOLLIN,
						 .data.u32 = UINT32_MAX - acct_n };

			acct_fd[acct_n] = udp_socket(&cfg.acct_addr);
			if (epoll_ctl(ep, EPOLL_CTL_ADD, acct_fd[acct_n], &e) < 0)
				die("epoll_ctl failed");
		}
		acct_step = (uint64_t)(1e9 / cfg.acct_rate);
	}
	t0 = now_ns();
	end = t0 + (uint64_t)(cfg.duration * 1e9);
	next_exp = t0 + 10000000u;
	acct_next = t0;
	st.next_start_ns = t0;
	for (i = 0; i < cfg.window; i++) {
		struct sock *s = &socks[i % nsock];
		if (s->outstanding < PER_SOCK && rate_ok(t0)) (void)send_one(s, t0);
	}
	for (;;) {
		int n, wait_ms = 10;

		t = now_ns();
		if (t >= end) break;
		/* accounting goes out in 1 ms batches: no busy wait */
		if (acct_n)
			wait_ms = acct_next > t + 1000000u ?
				(int)((acct_next - t) / 1000000u) : 1;
		if (cfg.rate > 0 && st.inflight < cfg.window) wait_ms = 1;
		n = epoll_wait(ep, ev, 64, wait_ms);
		if (n < 0 && errno != EINTR) die("epoll_wait failed");
		t = now_ns();
		for (k = 0; k < n; k++) {
			struct sock *s;

			if (ev[k].data.u32 > UINT32_MAX - ACCT_SOCKS) {
				unsigned a = UINT32_MAX - ev[k].data.u32;

				drain_acct(acct_fd[a], a);
				continue;
			}
			s = &socks[ev[k].data.u32];
			drain(s, NULL);
			while (s->outstanding < PER_SOCK &&
			       st.inflight < cfg.window &&
			       t < end && rate_ok(t) && send_one(s, t))
				;
		}
		if (t >= next_exp || (cfg.rate > 0 && st.inflight < cfg.window)) {
			for (i = 0; i < nsock; i++) {
				expire(&socks[i], t, tmo);
				while (socks[i].outstanding < PER_SOCK &&
				       st.inflight < cfg.window &&
				       rate_ok(t) && send_one(&socks[i], t))
					;
			}
			next_exp = t + 10000000u;
		}
		while (acct_n && acct_next <= t) {
			uint8_t pkt[MAX_PKT];
			unsigned a = acct_seq % ACCT_SOCKS;
			uint8_t id = (uint8_t)(acct_seq / ACCT_SOCKS);
			size_t len = build_acct(pkt, id);

			acct_seq++;
			acct_next += acct_step;
			if (st.acct_sent_ns[a][id]) continue;	/* still pending: skip */
			if (send(acct_fd[a], pkt, len, 0) == (ssize_t)len) {
				st.acct_sent++;
				st.acct_sent_ns[a][id] = t;
			}
		}
	}
	/* auth requests still outstanding when the time is up are not
	 * counted; accounting answers get up to the timeout to arrive (a
	 * server may answer only once the record is committed) */
	if (acct_n) {
		uint64_t g = now_ns() + tmo;

		while (st.acct_ok < st.acct_sent && now_ns() < g) {
			struct pollfd pf[ACCT_SOCKS];

			for (k = 0; k < (int)acct_n; k++)
				pf[k] = (struct pollfd){ .fd = acct_fd[k], .events = POLLIN };
			if (poll(pf, acct_n, 10) > 0)
				for (k = 0; k < (int)acct_n; k++)
					if (pf[k].revents & POLLIN) drain_acct(acct_fd[k], (unsigned)k);
		}
	}
	report((double)(t - t0) / 1e9);
	for (i = 0; i < nsock; i++) close(socks[i].fd);
	for (k = 0; k < (int)acct_n; k++) close(acct_fd[k]);
	close(ep);
	free(socks);
}

/*
 * Poll mode: one request at a time for the first user of the file until a
 * reject.  Prints the wall-clock time (Unix seconds) at which the first
 * rejected request was sent, and that of the last accepted one.
 */
static int run_poll(void)
{
	struct sock s;
	struct timespec rt0;
	uint64_t m0 = now_ns(), deadline = m0 + (uint64_t)(cfg.poll_max * 1e9);
	uint64_t last_accept = 0, sent_of_last = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event e = { .events = EPOLLIN }, ev;
	double base;

	clock_gettime(CLOCK_REALTIME, &rt0);
	base = (double)rt0.tv_sec + (double)rt0.tv_nsec / 1e9;
	memset(&s, 0, sizeof(s));
	s.fd = udp_socket(&cfg.auth_addr);
	for (unsigned id = 0; id < 256; id++) s.freeq[id] = (uint8_t)id;
	s.count = 256;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &e) < 0) die("epoll failed");
	while (now_ns() < deadline) {
		uint64_t t = now_ns();
		int code = 0;

		(void)send_one(&s, t);
		while (s.outstanding && now_ns() - t < (uint64_t)(cfg.timeout * 1e9)) {
			if (epoll_wait(ep, &ev, 1, 5) > 0)
				code = drain(&s, &sent_of_last);
		}
		if (s.outstanding) expire(&s, now_ns(), 0);
		if (code == CODE_ACCESS_ACCEPT) last_accept = sent_of_last;
		if (code == CODE_ACCESS_REJECT) {
			printf("first_reject_sent=%.6f last_accept_sent=%.6f accepts=%" PRIu64 "\n",
			       base + (double)(sent_of_last - m0) / 1e9,
			       last_accept ? base + (double)(last_accept - m0) / 1e9 : 0.0,
			       st.accepts);
			close(s.fd);
			close(ep);
			return 0;
		}
		usleep(2000);
	}
	printf("first_reject_sent=0 accepts=%" PRIu64 "\n", st.accepts);
	close(s.fd);
	close(ep);
	return 1;
}

/* ---- EAP-TLS ------------------------------------------------------------ */

/* A client credential: both owned here, freed at exit. */
struct cred {
	X509 *cert;
	EVP_PKEY *key;
	char name[72];		/* the file name without .pem: the identity */
};

/* One conversation slot: its socket is kept from one conversation to the
 * next, the rest is per conversation. */
struct conv {
	int fd;
	bool busy;
	uint8_t rid;		/* RADIUS id of the request in flight */
	uint8_t auth[16];
	uint64_t start_ns, sent_ns, seq;
	size_t cred;
	SSL *ssl;		/* owns its two memory BIOs */
	BIO *rbio, *wbio;
	uint8_t state[253];	/* the last State, echoed */
	size_t state_len;
	uint8_t *out;		/* TLS bytes to send, out_off already sent */
	size_t out_len, out_off, out_cap;
	uint8_t *in;		/* TLS bytes received, until a flight is whole */
	size_t in_len, in_cap;
};

static struct cred *creds;
static size_t ncreds, next_cred;
static SSL_CTX *tls_ctx;

static void grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap) return;
	if (need > EAPTLS_MSG_MAX) die("TLS flight too long");
	*cap = need < 4096 ? 4096 : need;
	*buf = realloc(*buf, *cap);
	if (!*buf) die("out of memory");
}

/* Builds an Access-Request carrying @eap for conversation @c into @p. */
static size_t build_eap_access(uint8_t *p, struct conv *c, const uint8_t *eap,
			       size_t eaplen)
{
	static const uint8_t zero[16];
	const struct cred *cr = &creds[c->cred];
	uint8_t ma[16];
	char plain[13], dashed[18];
	size_t off = 20, ma_off, k;

	p[0] = CODE_ACCESS_REQUEST;
	p[1] = ++c->rid;
	for (int i = 0; i < 2; i++) {
		uint64_t x = rnd64();
		memcpy(c->auth + 8 * i, &x, 8);
	}
	memcpy(p + 4, c->auth, 16);
	ma_off = off;
	off = put_attr(p, off, A_MESSAGE_AUTHENTICATOR, zero, 16);
	off = put_attr(p, off, A_USER_NAME, cr->name, strlen(cr->name));
	for (k = 0; k < eaplen; k += 253)
		off = put_attr(p, off, A_EAP_MESSAGE, eap + k,
			       eaplen - k > 253 ? 253 : eaplen - k);
	if (c->state_len)
		off = put_attr(p, off, A_STATE, c->state, c->state_len);
	mac_of(c->seq, plain, dashed);
	off = put_attr(p, off, A_CALLING_STATION_ID, dashed, 17);
	off = put_attr(p, off, A_CALLED_STATION_ID, "02-00-00-00-00-01:AVEC", 22);
	off = put_u32(p, off, A_NAS_IP_ADDRESS, 0x7f000001);
	off = put_u32(p, off, A_NAS_PORT, 1);
	off = put_u32(p, off, A_NAS_PORT_TYPE, 19);
	off = put_u32(p, off, A_FRAMED_MTU, 1400);
	p[2] = (uint8_t)(off >> 8);
	p[3] = (uint8_t)off;
	hmac_md5(p, off, ma);
	memcpy(p + ma_off + 2, ma, 16);
	return off;
}

/* Sends @eap in one Access-Request; false when the socket refused it. */
static bool eap_send(struct conv *c, const uint8_t *eap, size_t len, uint64_t t)
{
	uint8_t pkt[MAX_PKT];
	size_t n = build_eap_access(pkt, c, eap, len);

	if (send(c->fd, pkt, n, 0) != (ssize_t)n) {
		st.sendfail++;
		return false;
	}
	c->sent_ns = t;
	st.round_trips++;
	return true;
}

static void conv_end(struct conv *c)
{
	SSL_free(c->ssl);	/* frees both BIOs */
	c->ssl = NULL;
	c->rbio = c->wbio = NULL;
	c->busy = false;
	c->state_len = 0;
	c->out_len = c->out_off = c->in_len = 0;
	st.inflight--;
}

/* Starts a conversation with the next certificate in slot @c. */
static bool conv_start(struct conv *c, uint64_t t)
{
	const struct cred *cr;
	uint8_t eap[128];
	size_t len;

	if (cfg.count && st.started >= cfg.count) return false;
	if (!rate_ok(t)) return false;
	c->cred = next_cred++ % ncreds;
	cr = &creds[c->cred];
	c->seq = st.started++;
	c->busy = true;
	c->start_ns = t;
	c->state_len = 0;
	st.inflight++;
	len = strlen(cr->name);
	eap[0] = EAP_RESPONSE;
	eap[1] = 0;
	eap[2] = (uint8_t)((5 + len) >> 8);
	eap[3] = (uint8_t)(5 + len);
	eap[4] = EAP_T_IDENTITY;
	memcpy(eap + 5, cr->name, len);
	if (!eap_send(c, eap, 5 + len, t)) {
		c->busy = false;
		st.inflight--;
		return false;
	}
	return true;
}

/* The TLS client of slot @c, on memory BIOs; false on failure. */
static bool tls_begin(struct conv *c)
{
	const struct cred *cr = &creds[c->cred];

	c->ssl = SSL_new(tls_ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		return false;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set_connect_state(c->ssl);
	if (SSL_use_certificate(c->ssl, cr->cert) != 1 ||
	    SSL_use_PrivateKey(c->ssl, cr->key) != 1)
		return false;
	if (cfg.server_name && SSL_set1_host(c->ssl, cfg.server_name) != 1)
		return false;
	return true;
}

/* Feeds what was received to the handshake and takes what it wrote;
 * false when the handshake failed (a bad certificate, an alert). */
static bool tls_step(struct conv *c)
{
	uint8_t junk[512];
	size_t pend;

	if (c->in_len && BIO_write(c->rbio, c->in, (int)c->in_len) != (int)c->in_len)
		return false;
	c->in_len = 0;
	if (!SSL_is_init_finished(c->ssl)) {
		int r = SSL_do_handshake(c->ssl);

		if (r <= 0 && SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
			ERR_clear_error();
			return false;
		}
		if (r == 1 && !st.tls_version[0]) {
			snprintf(st.tls_version, sizeof(st.tls_version), "%s",
				 SSL_get_version(c->ssl));
			snprintf(st.tls_cipher, sizeof(st.tls_cipher), "%s",
				 SSL_get_cipher_name(c->ssl));
		}
	}
	/* after the handshake: tickets, the server's commitment byte */
	if (SSL_is_init_finished(c->ssl))
		while (SSL_read(c->ssl, junk, sizeof(junk)) > 0)
			;
	ERR_clear_error();
	pend = BIO_ctrl_pending(c->wbio);
	if (pend) {
		grow(&c->out, &c->out_cap, pend);
		if (BIO_read(c->wbio, c->out, (int)pend) != (int)pend) return false;
	}
	c->out_len = pend;
	c->out_off = 0;
	return true;
}

/* The next EAP-TLS fragment of c->out (or an empty acknowledgement). */
static size_t tls_fragment(struct conv *c, uint8_t id, uint8_t *eap)
{
	size_t rest = c->out_len - c->out_off, n = rest, off = 6;
	uint8_t flags = 0;

	if (n > cfg.frag) {
		n = cfg.frag;
		flags |= EAPTLS_M;
	}
	if (c->out_off == 0 && (flags & EAPTLS_M)) {
		flags |= EAPTLS_L;
		eap[6] = (uint8_t)(c->out_len >> 24);
		eap[7] = (uint8_t)(c->out_len >> 16);
		eap[8] = (uint8_t)(c->out_len >> 8);
		eap[9] = (uint8_t)c->out_len;
		off = 10;
	}
	eap[0] = EAP_RESPONSE;
	eap[1] = id;
	eap[4] = EAP_T_TLS;
	eap[5] = flags;
	if (n) memcpy(eap + off, c->out + c->out_off, n);
	c->out_off += n;
	off += n;
	if (c->out_off == c->out_len) c->out_len = c->out_off = 0;
	eap[2] = (uint8_t)(off >> 8);
	eap[3] = (uint8_t)off;
	return off;
}

/* One Access-Challenge: the next step of the conversation; false ends it
 * as a failure (counted by the caller). */
static bool on_challenge(struct conv *c, const uint8_t *pkt, size_t len,
			 uint64_t t)
{
	uint8_t eap[MAX_PKT], out[EAPTLS_FRAG_MAX + 16];
	size_t elen = 0, off = 20, dlen, n;
	const uint8_t *d;
	uint8_t id, flags;

	c->state_len = 0;
	while (off + 2 <= len) {
		uint8_t type = pkt[off], alen = pkt[off + 1];

		if (alen < 2 || off + alen > len) return false;
		if (type == A_EAP_MESSAGE) {
			memcpy(eap + elen, pkt + off + 2, alen - 2u);
			elen += alen - 2u;
		} else if (type == A_STATE) {
			memcpy(c->state, pkt + off + 2, alen - 2u);
			c->state_len = alen - 2u;
		}
		off += alen;
	}
	if (elen < 5 || eap[0] != EAP_REQUEST ||
	    ((size_t)eap[2] << 8 | eap[3]) != elen)
		return false;
	id = eap[1];
	if (eap[4] == EAP_T_IDENTITY) {	/* asked again: answer again */
		n = strlen(creds[c->cred].name);
		out[0] = EAP_RESPONSE;
		out[1] = id;
		out[2] = (uint8_t)((5 + n) >> 8);
		out[3] = (uint8_t)(5 + n);
		out[4] = EAP_T_IDENTITY;
		memcpy(out + 5, creds[c->cred].name, n);
		return eap_send(c, out, 5 + n, t);
	}
	if (eap[4] != EAP_T_TLS) {	/* another method offered: Nak */
		const uint8_t nak[6] = { EAP_RESPONSE, id, 0, 6, EAP_T_NAK, EAP_T_TLS };

		if (c->ssl) return false;	/* no switching mid-handshake */
		return eap_send(c, nak, sizeof(nak), t);
	}
	if (elen < 6) return false;
	flags = eap[5];
	d = eap + 6;
	dlen = elen - 6;
	if (flags & EAPTLS_L) {
		if (dlen < 4) return false;
		d += 4;
		dlen -= 4;
	}
	if (flags & EAPTLS_S) {
		if (c->ssl || !tls_begin(c) || !tls_step(c) || !c->out_len)
			return false;
	} else if (!c->ssl) {
		return false;
	} else if (c->out_len) {
		/* the server acknowledged our fragment: the next one */
		if (dlen) return false;
	} else {
		grow(&c->in, &c->in_cap, c->in_len + dlen);
		memcpy(c->in + c->in_len, d, dlen);
		c->in_len += dlen;
		if (!(flags & EAPTLS_M)) {
			if (!tls_step(c)) return false;
		}
		/* more to come (M): an empty response acknowledges it */
	}
	n = tls_fragment(c, id, out);
	return eap_send(c, out, n, t);
}

/* Reads what came for slot @c and moves its conversation on. */
static void conv_input(struct conv *c, uint64_t *done_ns)
{
	uint8_t pkt[MAX_PKT];
	ssize_t n;

	while ((n = recv(c->fd, pkt, sizeof(pkt), 0)) >= 0) {
		size_t len;
		uint64_t t;

		if (n < 20 || !c->busy) { st.bad++; continue; }
		len = (size_t)pkt[2] << 8 | pkt[3];
		if (len < 20 || len > (size_t)n || pkt[1] != c->rid ||
		    !response_ok(pkt, len, c->auth)) {
			st.bad++;	/* late or forged: dropped */
			continue;
		}
		t = now_ns();
		switch (pkt[0]) {
		case CODE_ACCESS_CHALLENGE:
			if (on_challenge(c, pkt, len, t)) continue;
			st.tls_fail++;
			break;
		case CODE_ACCESS_ACCEPT:
			if (c->ssl && SSL_is_init_finished(c->ssl) &&
			    SSL_get_verify_result(c->ssl) == X509_V_OK) {
				st.accepts++;
				lat_add(t - c->start_ns);
			} else {
				st.bad++;	/* accepted without a handshake */
			}
			break;
		case CODE_ACCESS_REJECT:
			st.rejects++;
			lat_add(t - c->start_ns);
			break;
		default:
			st.bad++;
			break;
		}
		*done_ns = t;
		conv_end(c);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED)
		die("recv failed");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every NAME.pem with its NAME.key from cfg.cert_dir, in name order. */
static void load_creds(void)
{
	DIR *dir = opendir(cfg.cert_dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;

	if (!dir) die("cannot open the certificate directory");
	while ((e = readdir(dir)) != NULL) {
		size_t l = strlen(e->d_name);

		if (l < 5 || l - 4 >= sizeof(creds[0].name) ||
		    strcmp(e->d_name + l - 4, ".pem") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			names = realloc(names, cap * sizeof(*names));
			if (!names) die("out of memory");
		}
		if (!(names[n++] = strndup(e->d_name, l - 4))) die("out of memory");
	}
	closedir(dir);
	if (!n) die("no NAME.pem in the certificate directory");
	qsort(names, n, sizeof(*names), cmp_str);
	creds = calloc(n, sizeof(*creds));
	if (!creds) die("out of memory");
	for (i = 0; i < n; i++) {
		FILE *f;

		snprintf(creds[i].name, sizeof(creds[i].name), "%s", names[i]);
		snprintf(path, sizeof(path), "%s/%s.pem", cfg.cert_dir, names[i]);
		if (!(f = fopen(path, "r")) ||
		    !(creds[i].cert = PEM_read_X509(f, NULL, NULL, NULL)))
			die("cannot read a client certificate");
		fclose(f);
		snprintf(path, sizeof(path), "%s/%s.key", cfg.cert_dir, names[i]);
		if (!(f = fopen(path, "r")) ||
		    !(creds[i].key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
			die("cannot read the key of a client certificate");
		fclose(f);
		free(names[i]);
	}
	free(names);
	ncreds = n;
}

static void tls_setup(void)
{
	tls_ctx = SSL_CTX_new(TLS_client_method());
	if (!tls_ctx) die("SSL_CTX_new failed");
	if (SSL_CTX_load_verify_file(tls_ctx, cfg.ca_file) != 1)
		die("cannot load the CA certificate");
	SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_PEER, NULL);
	/* every handshake a full one, as for a device seen the first time */
	SSL_CTX_set_session_cache_mode(tls_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(tls_ctx, SSL_OP_NO_TICKET);
	load_creds();
}

/* CPU seconds this process has used so far. */
static double cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* @cpu0: the CPU used before the loop (loading the certificates), left out */
static void report_eap(double secs, double cpu0)
{
	double cpu = cpu_secs() - cpu0, hs;
	uint64_t done = st.accepts + st.rejects + st.timeouts + st.tls_fail;

	if (st.nlat) qsort(st.lat_us, st.nlat, sizeof(*st.lat_us), cmp_u32);
	hs = (double)(st.accepts + st.rejects) / secs;
	printf("mode=eap-tls window=%u secs=%.3f started=%" PRIu64 " accepts=%" PRIu64
	       " rejects=%" PRIu64 " timeouts=%" PRIu64 " tls_fail=%" PRIu64
	       " sendfail=%" PRIu64 " bad=%" PRIu64 " round_trips=%.1f rate=%.0f"
	       " rps=%.0f p50_us=%u p99_us=%u p999_us=%u cpu=%.3f tls=%s cipher=%s\n",
	       cfg.window, secs, st.started, st.accepts, st.rejects, st.timeouts,
	       st.tls_fail, st.sendfail, st.bad,
	       done ? (double)st.round_trips / (double)done : 0.0, cfg.rate, hs,
	       pct(0.50), pct(0.99), pct(0.999), cpu / secs,
	       st.tls_version[0] ? st.tls_version : "-",
	       st.tls_cipher[0] ? st.tls_cipher : "-");
	printf("{\"mode\":\"eap-tls\",\"window\":%u,\"secs\":%.3f,\"started\":%" PRIu64
	       ",\"accepts\":%" PRIu64 ",\"rejects\":%" PRIu64 ",\"timeouts\":%" PRIu64
	       ",\"tls_fail\":%" PRIu64 ",\"sendfail\":%" PRIu64 ",\"bad\":%" PRIu64
	       ",\"round_trips\":%.2f,\"rate\":%.1f,\"rps\":%.1f,\"handshakes_per_s\":%.1f"
	       ",\"p50_us\":%u,\"p99_us\":%u,\"p999_us\":%u,\"cpu\":%.3f"
	       ",\"tls_version\":\"%s\",\"cipher\":\"%s\"}\n",
	       cfg.window, secs, st.started, st.accepts, st.rejects, st.timeouts,
	       st.tls_fail, st.sendfail, st.bad,
	       done ? (double)st.round_trips / (double)done : 0.0, cfg.rate, hs, hs,
	       pct(0.50), pct(0.99), pct(0.999), cpu / secs, st.tls_version,
	       st.tls_cipher);
}

/*
 * The EAP-TLS loop: cfg.window conversations in flight, each slot on its
 * own socket, until cfg.count conversations are over or cfg.duration has
 * passed.  A round trip without an answer within cfg.timeout ends its
 * conversation as a timeout.
 */
static void run_eap(void)
{
	struct conv *cv = calloc(cfg.window, sizeof(*cv));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev[64];
	uint64_t t0, t, end, last_done, next_exp;
	uint64_t tmo = (uint64_t)(cfg.timeout * 1e9);
	double cpu0;
	unsigned i;

	if (!cv || ep < 0) die("out of memory");
	tls_setup();
	cpu0 = cpu_secs();
	for (i = 0; i < cfg.window; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		cv[i].fd = udp_socket(&cfg.auth_addr);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cv[i].fd, &e) < 0) die("epoll_ctl failed");
	}
	t0 = t = last_done = now_ns();
	end = t0 + (uint64_t)(cfg.duration * 1e9);
	next_exp = t0 + 10000000u;
	st.next_start_ns = t0;
	for (;;) {
		int n, k, wait_ms = 10;

		for (i = 0; i < cfg.window; i++)
			if (!cv[i].busy && t < end && !conv_start(&cv[i], t)) break;
		if (t >= end ||
		    (cfg.count && st.started >= cfg.count && st.inflight == 0))
			break;
		/* --rate: sleep until the next start is due, rounded up to
		 * the millisecond (a start is then at most 1 ms late, and
		 * rate_ok() keeps the average); never a busy wait, which
		 * would take from the server the CPU it shares with us */
		if (cfg.rate > 0 && st.inflight < cfg.window &&
		    (!cfg.count || st.started < cfg.count)) {
			wait_ms = st.next_start_ns > t ?
				(int)((st.next_start_ns - t + 999999u) / 1000000u) : 0;
			if (wait_ms > 10) wait_ms = 10;
		}
		n = epoll_wait(ep, ev, 64, wait_ms);
		if (n < 0 && errno != EINTR) die("epoll_wait failed");
		for (k = 0; k < n; k++)
			conv_input(&cv[ev[k].data.u32], &last_done);
		t = now_ns();
		if (t >= next_exp) {
			for (i = 0; i < cfg.window; i++)
				if (cv[i].busy && t - cv[i].sent_ns > tmo) {
					st.timeouts++;
					last_done = t;
					conv_end(&cv[i]);
				}
			next_exp = t + 10000000u;
		}
	}
	/* with -n the run is over with its last conversation; else at -d */
	if (cfg.count && last_done > t0) t = last_done;
	report_eap(t > t0 ? (double)(t - t0) / 1e9 : 1e-9, cpu0);
	for (i = 0; i < cfg.window; i++) {
		if (cv[i].busy) conv_end(&cv[i]);
		free(cv[i].out);
		free(cv[i].in);
		close(cv[i].fd);
	}
	close(ep);
	free(cv);
	for (size_t j = 0; j < ncreds; j++) {
		X509_free(creds[j].cert);
		EVP_PKEY_free(creds[j].key);
	}
	free(creds);
	SSL_CTX_free(tls_ctx);
}

/* Reads "username password" lines; a line's two words are kept. */
static void load_users(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	ssize_t n;

	if (!f) die("cannot open the users file");
	while ((n = getline(&line, &cap, f)) > 0) {
		char *name, *pass, *sv;

		name = strtok_r(line, " \t\r\n", &sv);
		pass = name ? strtok_r(NULL, " \t\r\n", &sv) : NULL;
		if (!pass) continue;
		if (cfg.poll_user && strcmp(name, cfg.poll_user) != 0) continue;
		if (cfg.nusers == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			cfg.users = realloc(cfg.users, alloc * sizeof(*cfg.users));
			if (!cfg.users) die("out of memory");
		}
		cfg.users[cfg.nusers].name = strdup(name);
		cfg.users[cfg.nusers].pass = strdup(pass);
		if (!cfg.users[cfg.nusers].name || !cfg.users[cfg.nusers].pass)
			die("out of memory");
		cfg.nusers++;
		if (cfg.poll_user) break;
	}
	free(line);
	fclose(f);
	if (!cfg.nusers) die("no usable user in the users file");
}

static void load_secret(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[SECRET_MAX + 2];
	size_t n;

	if (!f || !fgets(buf, sizeof(buf), f)) die("cannot read the secret file");
	fclose(f);
	n = strcspn(buf, "\r\n");
	if (n == 0 || n > 64) die("the shared secret must be 1 to 64 bytes");
	memcpy(cfg.secret, buf, n);
	cfg.secret_len = n;
	memset(buf, 0, sizeof(buf));
}

static void set_addr(struct sockaddr_in *a, const char *host, const char *port)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (*end || p <= 0 || p > 65535) die("bad port");
	a->sin_port = htons((uint16_t)p);
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1) die("bad IPv4 address");
}

static void usage(void)
{
	fputs("usage: avec-load -p AUTH_PORT -S SECRET_FILE -u USERS_FILE\n"
	      "         [-H 127.0.0.1] [-w WINDOW] [-d SECONDS] [-t TIMEOUT]\n"
	      "         [-m MAC_PERCENT] [-a ACCT_PORT -r ACCT_PER_SEC]\n"
	      "         [--rate REQUESTS_PER_SEC] [--poll USER [--poll-max SECONDS]]\n"
	      "       avec-load --eap-tls -p AUTH_PORT -S SECRET_FILE --ca CA.pem\n"
	      "         --cert-dir DIR [--server-name NAME] [-n CONVERSATIONS]\n"
	      "         [--rate HANDSHAKES_PER_SEC] [-w WINDOW] [-d SECONDS] [-t TIMEOUT]\n"
	      "         [--frag TLS_BYTES_PER_FRAGMENT (1398)]\n"
	      "Closed-loop PAP load; prints one key=value line and one JSON line.\n"
	      "--poll: one request at a time for USER until the first reject.\n"
	      "--eap-tls: whole EAP-TLS conversations, a window of them in flight,\n"
	      "  with the certificates DIR/NAME.pem + DIR/NAME.key, in name order.\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "poll", required_argument, NULL, 'P' },
		{ "poll-max", required_argument, NULL, 'M' },
		{ "eap-tls", no_argument, NULL, 'E' },
		{ "ca", required_argument, NULL, 'C' },
		{ "cert-dir", required_argument, NULL, 'D' },
		{ "server-name", required_argument, NULL, 'N' },
		{ "rate", required_argument, NULL, 'R' },
		{ "frag", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = "127.0.0.1", *port = NULL, *acct_port = NULL;
	const char *secret_file = NULL, *users_file = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "H:p:S:u:w:d:t:m:a:r:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'p': port = optarg; break;
		case 'S': secret_file = optarg; break;
		case 'u': users_file = optarg; break;
		case 'w': cfg.window = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': cfg.duration = strtod(optarg, NULL); break;
		case 't': cfg.timeout = strtod(optarg, NULL); break;
		case 'm': cfg.mac_pct = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'a': acct_port = optarg; break;
		case 'r': cfg.acct_rate = strtod(optarg, NULL); break;
		case 'P': cfg.poll_user = optarg; break;
		case 'M': cfg.poll_max = strtod(optarg, NULL); break;
		case 'E': cfg.eap_tls = true; break;
		case 'C': cfg.ca_file = optarg; break;
		case 'D': cfg.cert_dir = optarg; break;
		case 'N': cfg.server_name = optarg; break;
		case 'R': cfg.rate = strtod(optarg, NULL); break;
		case 'n': cfg.count = strtoull(optarg, NULL, 10); break;
		case 'F': cfg.frag = strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!port || !secret_file || optind != argc) usage();
	if (cfg.eap_tls ? !cfg.ca_file || !cfg.cert_dir || users_file ||
			  cfg.poll_user || acct_port || cfg.window > 1000
			: !users_file || cfg.count)
		usage();
	if (cfg.window < 1 || cfg.window > 65536 || cfg.duration <= 0 ||
	    cfg.timeout <= 0 || cfg.mac_pct > 100 || cfg.rate < 0 ||
	    cfg.frag < 64 || cfg.frag > EAPTLS_FRAG_MAX)
		usage();
	set_addr(&cfg.auth_addr, host, port);
	if (acct_port) {
		if (cfg.acct_rate <= 0) usage();
		set_addr(&cfg.acct_addr, host, acct_port);
		cfg.acct = true;
	}
	load_secret(secret_file);
	if (!cfg.eap_tls) load_users(users_file);
	if (RAND_bytes((unsigned char *)&cfg.rng, sizeof(cfg.rng)) != 1 || !cfg.rng)
		cfg.rng = 0x9e3779b97f4a7c15u;
	cfg.md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	cfg.ctx = EVP_MD_CTX_new();
	if (!cfg.md5 || !cfg.ctx) die("OpenSSL has no MD5");

	if (cfg.poll_user) rc = run_poll();
	else if (cfg.eap_tls) run_eap();
	else run_load();

	OPENSSL_cleanse(cfg.secret, sizeof(cfg.secret));
	for (size_t i = 0; i < cfg.nusers; i++) {
		OPENSSL_cleanse(cfg.users[i].pass, strlen(cfg.users[i].pass));
		free(cfg.users[i].name);
		free(cfg.users[i].pass);
	}
	free(cfg.users);
	free(st.lat_us);
	EVP_MD_CTX_free(cfg.ctx);
	EVP_MD_free((EVP_MD *)(uintptr_t)cfg.md5);
	return rc;
}
