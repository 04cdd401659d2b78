/*
 * portal.c - avecd's unprivileged process: two HTTP servers
 * (libmicrohttpd), the portal over HTTPS and the captive-portal probes
 * over plain HTTP, and the in-memory state behind them.
 *
 * It owns the process's life (bind, load the TLS pair, drop privileges,
 * serve, stop), the plumbing every route uses (arguments, form fields,
 * cookies, responses with their security headers), and the state tables:
 * sessions, pending downloads, per-address rate limits (one bucket per
 * door: logins, admin API), and the addresses that just registered a
 * device (for the probes).  The routes themselves are routes.c; the HTML
 * is pages.c.
 *
 * It also bounds what a client may hold.  libmicrohttpd drops a client
 * that stays silent for client_timeout, and keeps at most 32 connections
 * per address on each door; a client that trickles (one byte a second)
 * is never silent, so every connection is tracked from its accept, and a
 * request whose headers and body are not all in after request_timeout
 * seconds has its socket shut down by the main loop (deadline_sweep).
 *
 * A login's ticket is validated by validate.c's threads, never in a page
 * worker: the login's connection is suspended meanwhile, so a slow ENT
 * holds no page, and the daemons allow suspension for that.
 *
 * It must never hold the CA key or open the store: whatever needs them is
 * a message to the engine (portal_engine_call).  Every response carries
 * Cache-Control: no-store (pages show secrets) and a restrictive
 * Content-Security-Policy; no session id, CSRF token, ticket or secret
 * is ever logged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "avec/log.h"
#include "avec/secret.h"
#include "ca/ca.h"
#include "common/mono.h"
#include "portal.h"

/* ---- engine ---- */

int
portal_engine_call(struct portal *p, uint32_t type, const void *q,
		   size_t qlen, void *rep, size_t rlen)
{
	uint32_t t = type;
	int rc;

	pthread_mutex_lock(&p->engine_lock);
	rc = avecd_msg_send(p->engine_fd, type, q, qlen);
	if (rc == 0)
		rc = avecd_msg_recv(p->engine_fd, &t, rep, rlen);
	pthread_mutex_unlock(&p->engine_lock);
	if (rc < 0)
		avec_err_log("the engine does not answer");
	return rc;
}

/* ---- tokens ---- */

int
portal_token(char out[TOKEN_LEN + 1])
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[TOKEN_LEN];
	unsigned i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	for (i = 0; i < TOKEN_LEN; i++)
		out[i] = tab[raw[i] & 63];
	out[TOKEN_LEN] = '\0';
	avec_secret_wipe(raw, sizeof(raw));
	return 0;
}

static bool
token_eq(const char *a, const char *b)
{
	return a[0] != '\0' && strlen(b) == TOKEN_LEN &&
	       CRYPTO_memcmp(a, b, TOKEN_LEN) == 0;
}

/* ---- request helpers ---- */

const char *
req_arg(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *
req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

bool
req_form(struct req *r, const char *name, char *out, size_t outlen)
{
	const char *s = r->body.data, *end;
	size_t nlen = strlen(name), vlen, n;

	if (s == NULL || outlen == 0)
		return false;
	while (*s != '\0') {
		end = strchr(s, '&');
		if (end == NULL)
			end = s + strlen(s);
		if ((size_t)(end - s) > nlen && strncmp(s, name, nlen) == 0 &&
		    s[nlen] == '=') {
			vlen = (size_t)(end - s) - nlen - 1;
			if (vlen >= outlen)
				return false;
			memcpy(out, s + nlen + 1, vlen);
			out[vlen] = '\0';
			for (char *c = out; *c; c++)
				if (*c == '+')
					*c = ' ';
			n = MHD_http_unescape(out);
			out[n] = '\0';
			return strlen(out) == n;	/* no %00 inside */
		}
		s = *end ? end + 1 : end;
	}
	return false;
}

static void
security_headers(struct req *r, struct MHD_Response *resp)
{
	char csp[AVECD_URL_MAX + 200];

	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	/* same-origin, not no-referrer: under no-referrer browsers send
	 * "Origin: null" on our own forms, which post_ok() refuses */
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	snprintf(csp, sizeof(csp), "default-src 'none'; style-src 'self'; "
		 "img-src 'self' data:; form-action 'self'; "
		 "frame-ancestors 'none'; base-uri 'none'");
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	if (r->https)
		MHD_add_response_header(resp, "Strict-Transport-Security",
					"max-age=31536000");
}

enum MHD_Result
respond_data(struct req *r, unsigned status, const char *mime,
	     const void *data, size_t len, const char *filename,
	     const char *cookie)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char cd[160];

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data,
					       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	security_headers(r, resp);
	if (mime != NULL)
		MHD_add_response_header(resp, "Content-Type", mime);
	if (filename != NULL) {
		snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"",
			 filename);
		MHD_add_response_header(resp, "Content-Disposition", cd);
	}
	if (cookie != NULL)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
respond_page(struct req *r, unsigned status, struct avec_buf *html)
{
	enum MHD_Result ret;

	if (avec_buf_failed(html)) {
		avec_buf_free(html);
		return MHD_NO;
	}
	ret = respond_data(r, status, "text/html; charset=utf-8", html->data,
			   html->len, NULL, NULL);
	avec_buf_free(html);
	return ret;
}

enum MHD_Result
respond_redirect(struct req *r, unsigned status, const char *location,
		 const char *cookie)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(0, NULL,
					       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	security_headers(r, resp);
	MHD_add_response_header(resp, "Location", location);
	if (cookie != NULL)
		MHD_add_response_header(resp, "Set-Cookie", cookie);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- sessions ---- */

static bool
session_live(const struct session *s, int64_t now)
{
	return s->id[0] != '\0' && now - s->last < SESSION_IDLE &&
	       now - s->created < SESSION_LIFE;
}

struct session *
session_new(struct portal *p, const char *principal,
	    const char *display_name, int32_t role)
{
	int64_t now = (int64_t)time(NULL);
	struct session *s = NULL, *oldest = NULL;
	unsigned i;

	for (i = 0; i < SESSIONS_MAX; i++) {
		struct session *x = &p->sessions[i];

		if (!session_live(x, now)) {
			s = x;
			break;
		}
		if (oldest == NULL || x->last < oldest->last)
			oldest = x;
	}
	if (s == NULL)
		s = oldest;	/* full: the least recently used goes */
	memset(s, 0, sizeof(*s));
	if (portal_token(s->id) < 0 || portal_token(s->csrf) < 0) {
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	snprintf(s->principal, sizeof(s->principal), "%s", principal);
	snprintf(s->display_name, sizeof(s->display_name), "%s",
		 display_name);
	s->role = role;
	s->created = s->last = now;
	return s;
}

/* Copy the live session of the request's cookie into r->sess. */
static void
session_find(struct req *r)
{
	const char *sid = MHD_lookup_connection_value(r->conn,
						      MHD_COOKIE_KIND,
						      "avec_session");
	int64_t now = (int64_t)time(NULL);
	unsigned i;

	r->s = NULL;
	if (sid == NULL || strlen(sid) != TOKEN_LEN)
		return;
	pthread_mutex_lock(&r->p->lock);
	for (i = 0; i < SESSIONS_MAX; i++) {
		struct session *s = &r->p->sessions[i];

		if (token_eq(s->id, sid) && session_live(s, now)) {
			s->last = now;
			r->sess = *s;
			r->s = &r->sess;
			break;
		}
	}
	pthread_mutex_unlock(&r->p->lock);
}

void
session_drop(struct portal *p, const char *sid)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < SESSIONS_MAX; i++)
		if (token_eq(p->sessions[i].id, sid))
			memset(&p->sessions[i], 0, sizeof(p->sessions[i]));
	for (i = 0; i < PENDING_MAX; i++)
		if (token_eq(p->pending[i].sid, sid))
			pending_free(&p->pending[i]);
	pthread_mutex_unlock(&p->lock);
}

/* ---- rate limits and the captive registry ---- */

bool
rate_allow(struct portal *p, enum rate_door door, const char *addr)
{
	int64_t now = (int64_t)time(NULL);
	struct rate *e = NULL, *oldest = NULL;
	bool ok;
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < RATE_MAX; i++) {
		struct rate *x = &p->rates[i];

		if (x->door == door && strcmp(x->addr, addr) == 0) {
			e = x;
			break;
		}
		if (oldest == NULL || x->at < oldest->at)
			oldest = x;
	}
	if (e == NULL) {
		e = oldest;
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
		e->door = door;
		e->tokens = p->c->login_burst;
		e->at = now;
	}
	e->tokens += (double)(now - e->at) / p->c->login_refill;
	if (e->tokens > p->c->login_burst)
		e->tokens = p->c->login_burst;
	e->at = now;
	ok = e->tokens >= 1.0;
	if (ok)
		e->tokens -= 1.0;
	pthread_mutex_unlock(&p->lock);
	return ok;
}

void
registered_add(struct portal *p, const char *addr)
{
	int64_t now = (int64_t)time(NULL);
	struct registered *e = &p->registered[0];
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < REGISTERED_MAX; i++) {
		struct registered *x = &p->registered[i];

		if (strcmp(x->addr, addr) == 0) {
			e = x;
			break;
		}
		if (x->until < e->until)
			e = x;
	}
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->until = now + REGISTERED_LIFE;
	pthread_mutex_unlock(&p->lock);
}

bool
registered_has(struct portal *p, const char *addr)
{
	int64_t now = (int64_t)time(NULL);
	bool found = false;
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < REGISTERED_MAX && !found; i++)
		found = strcmp(p->registered[i].addr, addr) == 0 &&
			p->registered[i].until > now;
	pthread_mutex_unlock(&p->lock);
	return found;
}

/* ---- the request deadline ---- */

static void client_addr(struct MHD_Connection *conn, char *out, size_t len);

/* The connection's tracker, made at accept (NULL for the test daemons). */
static struct conn_track *
track_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* MHD's notify-connection callback: a tracker per open connection.  MHD
 * calls it with CLOSED before it closes the socket, so the sweep, which
 * holds conn_lock, never shuts down a descriptor already reused. */
static void
conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
	    enum MHD_ConnectionNotificationCode code)
{
	struct portal *p = cls;
	struct conn_track *t = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
					     MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL)
			return;
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			/* no deadline without a tracker: not kept at all */
			shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		t->fd = ci->connect_fd;
		client_addr(conn, t->addr, sizeof(t->addr));
		pthread_mutex_lock(&p->conn_lock);
		t->since_ms = avec_mono_ms();
		t->next = p->conns;
		if (p->conns != NULL)
			p->conns->prev = t;
		p->conns = t;
		pthread_mutex_unlock(&p->conn_lock);
		*socket_context = t;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || t == NULL)
		return;
	pthread_mutex_lock(&p->conn_lock);
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		p->conns = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	pthread_mutex_unlock(&p->conn_lock);
	free(t);
	*socket_context = NULL;
}

/* Is the request on @t past its deadline (or already cut)? */
static bool
past_deadline(struct portal *p, struct conn_track *t)
{
	bool late;

	if (t == NULL)
		return false;
	pthread_mutex_lock(&p->conn_lock);
	late = t->cut || (!t->answering && avec_mono_ms() - t->since_ms >
			  (int64_t)p->c->request_timeout * 1000);
	pthread_mutex_unlock(&p->conn_lock);
	return late;
}

/* The request on @t is all in (true: no deadline while it is answered),
 * or answered (false: the next request's clock starts now). */
static void
track_answering(struct portal *p, struct conn_track *t, bool answering)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&p->conn_lock);
	t->answering = answering;
	if (!answering)
		t->since_ms = avec_mono_ms();
	pthread_mutex_unlock(&p->conn_lock);
}

/*
 * Every second, from the main loop: shut down the socket of each request
 * that is not all in after request_timeout seconds.  libmicrohttpd sees
 * the socket end, and closes and frees the connection in its own thread.
 */
static void
deadline_sweep(struct portal *p)
{
	int64_t now = avec_mono_ms(), limit = (int64_t)p->c->request_timeout * 1000;
	struct conn_track *t;

	pthread_mutex_lock(&p->conn_lock);
	for (t = p->conns; t != NULL; t = t->next) {
		if (t->answering || t->cut || now - t->since_ms <= limit)
			continue;
		t->cut = true;
		shutdown(t->fd, SHUT_RDWR);
		avec_warn("a client at %s did not send its request within "
			  "%u s: dropped", t->addr, p->c->request_timeout);
	}
	pthread_mutex_unlock(&p->conn_lock);
}

/* ---- the servers ---- */

static void
client_addr(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(out, len, "?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			  out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)len);
}

static enum lang
pick_lang(struct MHD_Connection *conn)
{
	const char *l = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
						    "avec_lang");
	const char *al;

	if (l != NULL)
		return strcmp(l, "en") == 0 ? LANG_EN : LANG_FR;
	al = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 "Accept-Language");
	/* French first: English only when the browser puts it first */
	if (al != NULL && strncasecmp(al, "en", 2) == 0)
		return LANG_EN;
	return LANG_FR;
}

/* MHD's handler for every door: cls is the door's struct portal_door. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
       const char *method, const char *version, const char *upload,
       size_t *upload_size, void **con_cls)
{
	const struct portal_door *d = cls;
	enum door door = d->door;
	bool https = door != DOOR_HTTP;
	struct req *r = *con_cls;
	enum MHD_Result ret;

	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->p = d->p;
		r->conn = conn;
		r->https = https;
		r->track = track_of(conn);
		*con_cls = r;
		/* headers that took too long: closed, not answered */
		return past_deadline(r->p, r->track) ? MHD_NO : MHD_YES;
	}
	if (past_deadline(r->p, r->track))
		return MHD_NO;		/* and so is a body */
	if (*upload_size > 0) {
		if (r->body.len + *upload_size > BODY_MAX)
			r->too_big = true;
		else
			avec_buf_append(&r->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	track_answering(r->p, r->track, true);
	r->method = method;
	r->url = url;
	client_addr(conn, r->addr, sizeof(r->addr));
	r->lang = pick_lang(conn);
	if (r->too_big) {
		struct avec_buf b = { 0 };

		page_message(r, &b, T(r, "Requête trop grande",
				      "Request too large"),
			     T(r, "Le formulaire envoyé est trop grand.",
			       "The form sent is too large."), "/",
			     T(r, "Accueil", "Home"));
		return respond_page(r, 413, &b);
	}
	if (door == DOOR_ADMIN) {
		ret = route_admin(r);
	} else if (https) {
		session_find(r);
		ret = route_https(r);
	} else {
		ret = route_http(r);
	}
	avec_secret_wipe(&r->sess, sizeof(r->sess));
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct portal *p = cls;
	struct req *r = *con_cls;

	(void)toe;
	track_answering(p, track_of(conn), false);
	if (r != NULL) {
		validate_job_free(r->cas);
		avec_buf_free(&r->body);
		free(r);
		*con_cls = NULL;
	}
}

static int
parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	long port;
	char *end;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct avec_buf b = { 0 };
	char chunk[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		avec_buf_append(&b, chunk, n);
	fclose(f);
	avec_secret_wipe(chunk, sizeof(chunk));
	if (avec_buf_failed(&b)) {
		avec_buf_free(&b);
		return NULL;
	}
	return avec_buf_steal(&b, NULL);
}

static struct MHD_Daemon *
start(struct portal *p, const char *listen, enum door door)
{
	bool https = door != DOOR_HTTP;
	struct sockaddr_in sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if (parse_listen(listen, &sa) < 0) {
		avec_err_log("cannot listen on '%s': expected IPv4:PORT",
			     listen);
		return NULL;
	}
	if (https)
		flags |= MHD_USE_TLS;
	p->doors[door].p = p;
	p->doors[door].door = door;
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, &p->doors[door],
			MHD_OPTION_SOCK_ADDR, &sa,
			MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)p->c->client_timeout,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			MHD_OPTION_NOTIFY_COMPLETED, completed, p,
			MHD_OPTION_NOTIFY_CONNECTION, conn_notify, p,
			https ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
			p->cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, p->key_pem,
			MHD_OPTION_HTTPS_PRIORITIES,
			"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
			MHD_OPTION_END);
}

struct MHD_Daemon *
avecd_portal_test_daemon(struct portal *p, enum door door)
{
	p->doors[door].p = p;
	p->doors[door].door = door;
	/* the validators, once for all the doors of @p */
	if (!p->val.ready) {
		validate_init(p);
		if (validate_start(p) < 0)
			return NULL;
	}
	return MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET |
			MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			MHD_ALLOW_SUSPEND_RESUME,
			0, NULL, NULL, handle, &p->doors[door],
			MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)p->c->client_timeout,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			MHD_OPTION_NOTIFY_COMPLETED, completed, p,
			MHD_OPTION_END);
}

int
avecd_portal_run(const struct avecd_conf *c, int fd)
{
	struct MHD_Daemon *https = NULL, *http = NULL, *admin = NULL;
	struct avec_err err = { { 0 } };
	struct portal *p;
	const char *slash;
	int rc = -1;
	unsigned i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->c = c;
	p->engine_fd = fd;
	pthread_mutex_init(&p->engine_lock, NULL);
	pthread_mutex_init(&p->conn_lock, NULL);
	pthread_mutex_init(&p->lock, NULL);
	/* the CAS origin: scheme://host[:port] of the CAS URL */
	slash = strchr(c->cas_url + (strncmp(c->cas_url, "https", 5) == 0 ? 8 : 7), '/');
	snprintf(p->cas_origin, sizeof(p->cas_origin), "%.*s",
		 slash ? (int)(slash - c->cas_url) : (int)strlen(c->cas_url),
		 c->cas_url);
	p->cas.base = c->cas_url;
	p->cas.ca_file = c->cas_ca_file[0] ? c->cas_ca_file : NULL;
	p->cas.v2_fallback = c->cas_v2_fallback;
	p->cas.allow_http = c->cas_allow_http;
	p->cas.timeout_ms = c->cas_timeout_ms;
	validate_init(p);

	/* read everything a dropped user could not; the CA certificate
	 * comes from the engine, the only one with the CA directory */
	{
		struct avecd_who w;
		char *der = NULL;
		size_t len = 0;

		memset(&w, 0, sizeof(w));
		if (avecd_msg_send(fd, AVECD_MSG_CA, &w, sizeof(w)) < 0 ||
		    avecd_msg_recv_var(fd, AVECD_MSG_CA, &der, &len,
				       65536) < 0 || len == 0) {
			free(der);
			avec_err_log("the engine gave no CA certificate");
			goto out;
		}
		p->ca_der = (unsigned char *)der;
		p->ca_len = len;
	}
	if (c->cas_ca_file[0] &&
	    (p->cas_ca_pem = slurp(c->cas_ca_file)) == NULL) {
		avec_err_log("cannot read cas.ca_file %s", c->cas_ca_file);
		goto out;
	}
	p->cas.ca_pem = p->cas_ca_pem;
	if ((p->cert_pem = slurp(c->tls_cert)) == NULL ||
	    (p->key_pem = slurp(c->tls_key)) == NULL) {
		avec_err_log("cannot read the portal certificate %s or key %s",
			     c->tls_cert, c->tls_key);
		goto out;
	}
	if (avec_cas_global_init(&err) < 0) {
		avec_err_log("%s", err.msg);
		goto out;
	}
	if ((https = start(p, c->listen, DOOR_HTTPS)) == NULL) {
		avec_err_log("cannot serve HTTPS on %s", c->listen);
		goto out;
	}
	if (c->http_listen[0] && (http = start(p, c->http_listen, DOOR_HTTP)) == NULL) {
		avec_err_log("cannot serve HTTP on %s", c->http_listen);
		goto out;
	}
	if (c->admin_listen[0] &&
	    (admin = start(p, c->admin_listen, DOOR_ADMIN)) == NULL) {
		avec_err_log("cannot serve the admin API on %s", c->admin_listen);
		goto out;
	}
	if (avecd_drop_to(c->user) < 0)
		goto out;
	/* a change of user cleared the parent-death signal */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* after the drop: the validators are born unprivileged */
	if (validate_start(p) < 0)
		goto out;
	avec_info("portal %s on %s%s%s%s%s", c->portal_url, c->listen,
		  http ? ", probes on " : "", http ? c->http_listen : "",
		  admin ? ", admin API on " : "", admin ? c->admin_listen : "");
	/* until told to stop, or the engine goes away */
	while (!avecd_stop) {
		struct pollfd pf = { p->engine_fd, POLLRDHUP, 0 };

		if (poll(&pf, 1, 1000) > 0 &&
		    (pf.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			avec_err_log("the engine went away: stopping");
			break;
		}
		deadline_sweep(p);
	}
	rc = 0;
out:
	/* every login resumed: MHD must find no suspended connection */
	validate_stop(p);
	if (admin)
		MHD_stop_daemon(admin);
	if (http)
		MHD_stop_daemon(http);
	if (https)
		MHD_stop_daemon(https);
	for (i = 0; i < PENDING_MAX; i++)
		pending_free(&p->pending[i]);
	if (p->key_pem) {
		avec_secret_wipe(p->key_pem, strlen(p->key_pem));
		free(p->key_pem);
	}
	free(p->cert_pem);
	free(p->cas_ca_pem);
	free(p->ca_der);
	avec_secret_wipe(p->sessions, sizeof(p->sessions));
	free(p);
	return rc;
}
