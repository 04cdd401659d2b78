/*
 * portal.h - the inside of avecd's portal process: its state (sessions,
 * one-time downloads, rate limits, the clients that just registered), the
 * request being answered, and the page builders.
 *
 * Everything here lives in the unprivileged portal process.  The state is
 * in memory only and guarded by one mutex: it is lost on restart, which
 * logs everyone out and voids pending download links, and nothing else.
 */
#ifndef AVECD_PORTAL_H
#define AVECD_PORTAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "avecd.h"
#include "common/buf.h"

#define TOKEN_LEN		43	/* 32 random bytes, base64url */
#define SESSIONS_MAX		1024
#define SESSION_IDLE		(30 * 60)
#define SESSION_LIFE		(8 * 3600)
#define PENDING_MAX		256
#define PENDING_LIFE		(15 * 60)
#define PENDING_FILES		8
#define RATE_MAX		1024
#define REGISTERED_MAX		1024
#define REGISTERED_LIFE		(10 * 60)
#define BODY_MAX		8192	/* a form is small */
#define VALIDATORS		16	/* threads that wait on CAS (validate.c) */
#define VALIDATE_PENDING_DEFAULT 64	/* cas.max_pending when 0 */

enum lang { LANG_FR = 0, LANG_EN };

enum os {
	OS_IOS = 0, OS_MACOS, OS_ANDROID, OS_WINDOWS, OS_CHROMEOS, OS_LINUX,
	OS_OTHER, OS__COUNT
};

struct session {
	char id[TOKEN_LEN + 1];		/* "" = free slot */
	char csrf[TOKEN_LEN + 1];
	char principal[AVEC_PRINCIPAL_MAX + 1];
	char display_name[AVEC_DISPLAY_NAME_MAX + 1];
	int32_t role;
	int64_t created, last;
};

/* One downloadable file of a pending registration: served once. */
struct pfile {
	char token[TOKEN_LEN + 1];
	const char *kind;		/* "mobileconfig", "eap-config", ... */
	const char *mime;
	char filename[96];
	struct avec_buf body;		/* wiped when freed */
	bool used;
};

/* What the "device ready" page shows, for its owner's session only. */
struct pending {
	char sid[TOKEN_LEN + 1];	/* "" = free slot */
	int64_t device_id;
	int64_t until;
	enum os os;
	int32_t type;
	char name[AVEC_DEVICE_NAME_MAX + 1];
	char username[AVEC_USERNAME_MAX + 1];
	char secret[64];		/* TTLS/PEAP, shown on the page; a
					 * PSK device's key, shown once */
	char mac[AVEC_MAC_STRLEN + 1];	/* PSK */
	bool shown;			/* PSK: the key's page was shown, and
					 * the key wiped */
	char p12_password[64];		/* TLS */
	int64_t expires_at;
	struct pfile files[PENDING_FILES];
	unsigned nfiles;
};

/* The doors that guess secrets, each with its own bucket per address: a
 * class logging in behind one NAT address must not lock the administrators
 * out of the admin API, nor token guessing lock the pupils out. */
enum rate_door { RATE_LOGIN = 0, RATE_ADMIN };

struct rate {
	char addr[48];
	enum rate_door door;
	double tokens;
	int64_t at;
};

/*
 * One open connection of any door, made at accept by MHD's
 * notify-connection callback and freed when MHD closes it: the request
 * deadline (portal.request_timeout) runs from @since_ms (the accept, or
 * the end of the previous answer on a kept-alive connection) until the
 * request's headers and body are all in.  Guarded by portal.conn_lock.
 */
struct conn_track {
	struct conn_track *prev, *next;
	int fd;				/* MHD's; only ever shut down here */
	int64_t since_ms;		/* CLOCK_MONOTONIC */
	bool answering;			/* all in: no deadline until answered */
	bool cut;			/* shut down by the deadline */
	char addr[48];
};

struct registered {
	char addr[48];
	int64_t until;
};

/*
 * One login's ticket validation (validate.c).  Made by routes.c, owned by
 * the request (struct req's cas) and freed with validate_job_free, by
 * routes.c once the page is built or by the request's completion; while
 * it is queued or validated it is the validators', and the request's
 * connection is suspended, so nothing else touches it.
 */
struct cas_job {
	struct cas_job *next;		/* in the queue */
	struct MHD_Connection *conn;	/* suspended until the verdict */
	char service[AVECD_URL_MAX + 64];
	char ticket[AVEC_CAS_TICKET_MAX + 1];	/* wiped once sent */
	int64_t deadline_ms;		/* CLOCK_MONOTONIC: queued + timeout */
	bool done;			/* the verdict below is in */
	enum avec_cas_result res;
	struct avec_cas_response cr;	/* cleared by validate_job_free */
	struct avec_err err;		/* never holds the ticket */
};

/* The validators and their queue; lock guards the fields below it. */
struct validator {
	const struct avec_cas_client *cas;	/* the portal's */
	unsigned timeout_ms;		/* cas.timeout_ms */
	unsigned max;			/* cas.max_pending */
	bool ready;			/* validate_init done */
	pthread_t threads[VALIDATORS];
	unsigned nthreads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct cas_job *head, *tail;	/* queued, oldest first */
	unsigned pending;		/* queued or being validated */
	bool stopping;
};

/* The servers of the portal process: probes, portal, admin API. */
enum door { DOOR_HTTP = 0, DOOR_HTTPS, DOOR_ADMIN, DOOR__COUNT };

struct portal;
struct portal_door {
	struct portal *p;
	enum door door;
};

struct portal {
	const struct avecd_conf *c;
	struct portal_door doors[DOOR__COUNT];
	int engine_fd;
	pthread_mutex_t engine_lock;
	pthread_mutex_t conn_lock;	/* conns and what they point to */
	struct conn_track *conns;	/* every open connection */
	pthread_mutex_t lock;		/* everything below */
	struct session sessions[SESSIONS_MAX];
	struct pending pending[PENDING_MAX];
	struct rate rates[RATE_MAX];
	struct registered registered[REGISTERED_MAX];
	unsigned char *ca_der;		/* the appliance CA (public) */
	size_t ca_len;
	char *cert_pem, *key_pem;	/* the portal's own TLS pair */
	char *cas_ca_pem;		/* what the CAS server is trusted by */
	char cas_origin[AVECD_URL_MAX];
	struct avec_cas_client cas;
	struct validator val;
};

/* The request being answered. */
struct req {
	struct portal *p;
	struct MHD_Connection *conn;
	const char *method, *url;
	char addr[48];
	enum lang lang;
	struct session *s;		/* copy in sess when logged in */
	struct session sess;
	struct avec_buf body;		/* POST body */
	struct conn_track *track;	/* its connection's; NULL in tests */
	struct cas_job *cas;		/* a login's validation, owned */
	bool too_big;
	bool https;
};

/* ---- portal.c ---- */
int portal_engine_call(struct portal *p, uint32_t type, const void *q,
		       size_t qlen, void *r, size_t rlen);
int portal_token(char out[TOKEN_LEN + 1]);
const char *req_arg(struct req *r, const char *name);
const char *req_header(struct req *r, const char *name);
/* Form field @name of a POST body, decoded into @out; false if absent. */
bool req_form(struct req *r, const char *name, char *out, size_t outlen);
/* Responses: each queues one answer and returns MHD's result. */
enum MHD_Result respond_page(struct req *r, unsigned status,
			     struct avec_buf *html);
enum MHD_Result respond_redirect(struct req *r, unsigned status,
				 const char *location, const char *cookie);
enum MHD_Result respond_data(struct req *r, unsigned status,
			     const char *mime, const void *data, size_t len,
			     const char *filename, const char *cookie);
/* Session: a fresh one for @principal (old id dropped); lookup by cookie. */
struct session *session_new(struct portal *p, const char *principal,
			    const char *display_name, int32_t role);
void session_drop(struct portal *p, const char *sid);
/* One attempt at @door from @addr: false when its bucket is empty. */
bool rate_allow(struct portal *p, enum rate_door door, const char *addr);
void registered_add(struct portal *p, const char *addr);
bool registered_has(struct portal *p, const char *addr);

/*
 * avecd_portal_test_daemon - door @door of @p (filled by the caller as
 * avecd_portal_run would) on a daemon of its own for in-process tests:
 * no listening socket (connections come from MHD_add_connection), plain
 * HTTP whatever the door, one internal thread polling with poll(2) (under
 * epoll MHD notices a client's half-close only at the connection timeout
 * while a body is still expected), and the real doors' handler, limits
 * and completion callback.  Not used by avecd itself.  The first call
 * for @p also starts its CAS validators (validate.c).
 * The caller calls validate_stop before it stops the daemon with
 * MHD_stop_daemon; NULL if MHD or the validators cannot start.
 */
struct MHD_Daemon *avecd_portal_test_daemon(struct portal *p,
					    enum door door);

/* ---- validate.c ---- */
/* The queue and its bounds, from p->c; before any daemon starts. */
void validate_init(struct portal *p);
/* The validator threads (after the privilege drop); -1 if none starts. */
int validate_start(struct portal *p);
/*
 * validate_submit - queue @j (service, ticket and conn filled) with its
 * deadline, and suspend its connection; called from the access handler
 * of j->conn.  A validator fills res, cr, err, sets done and resumes the
 * connection.  false (nothing suspended, @j still the caller's) when
 * cas.max_pending jobs already wait or the portal is stopping.
 */
bool validate_submit(struct portal *p, struct cas_job *j);
/* End every job and resume its connection, join the validators; before
 * MHD_stop_daemon.  Safe when validate_init was never called. */
void validate_stop(struct portal *p);
/* Wipe and free @j and what its answer holds; NULL is fine. */
void validate_job_free(struct cas_job *j);

/* ---- routes.c ---- */
enum MHD_Result route_https(struct req *r);
enum MHD_Result route_http(struct req *r);
enum MHD_Result route_admin(struct req *r);
enum os os_detect(const char *ua);
const char *os_name(enum os o);
int os_parse(const char *s, enum os *out);
void pending_free(struct pending *pd);

/* ---- pages.c ---- */
#define T(r, fr, en)	((r)->lang == LANG_EN ? (en) : (fr))
void page_begin(struct req *r, struct avec_buf *b, const char *title);
void page_end(struct req *r, struct avec_buf *b);
/* A whole page with a title and one paragraph of text, and a way back. */
void page_message(struct req *r, struct avec_buf *b, const char *title,
		  const char *text, const char *link, const char *link_text);
void page_welcome(struct req *r, struct avec_buf *b, bool captive);
void page_devices(struct req *r, struct avec_buf *b,
		  const struct avecd_devices *d, enum os guess,
		  const char *notice);
/* The question before a device's credential is revoked: remove it, or
 * install it again (then with the system list, @guess selected). */
enum confirm { CONFIRM_REMOVE = 0, CONFIRM_REINSTALL };
void page_confirm(struct req *r, struct avec_buf *b, enum confirm what,
		  const struct avecd_device_row *x, enum os guess);
void page_ready(struct req *r, struct avec_buf *b, const struct pending *pd);
/* A PSK device's one-time page: its network, MAC, key and a WIFI: QR
 * code of both.  The caller wipes the key from @pd once it is built. */
void page_ready_psk(struct req *r, struct avec_buf *b,
		    const struct pending *pd);
void page_time(struct req *r, struct avec_buf *b, int64_t t);
extern const char portal_css[];

#endif
