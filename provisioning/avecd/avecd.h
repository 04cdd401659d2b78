/*
 * avecd.h - the provisioning agent: its configuration, and the messages
 * between its two processes.
 *
 * avecd runs as two processes, the OpenBSD way.  The engine (the parent)
 * holds the store and the appliance CA: it is the only part that writes
 * accounts and devices or signs a certificate.  The portal (the child)
 * talks to browsers and to the ENT's CAS server; it drops to an
 * unprivileged user before it reads a single request, holds no CA key and
 * no database handle, and asks the engine for everything through a
 * socketpair of fixed-size, length-checked messages (msg.c).  A
 * compromised portal can therefore ask for what a logged-in user could,
 * and nothing more: it never sees the CA key, other people's secrets, or
 * the store.
 */
#ifndef AVECD_H
#define AVECD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "avec/ident.h"
#include "avec/model.h"
#include "avec/policy.h"
#include "cas/cas.h"

#define AVECD_URL_MAX		256
#define AVECD_PATH_MAX		256
#define AVECD_NAME_MAX		128
#define AVECD_SSID_MAX		32	/* IEEE 802.11 */
#define AVECD_DEVICES_MAX	32	/* listed per account */
#define AVECD_P12_MAX		8192
#define AVECD_MSG_TEXT		256

#define AVECD_CONF_DROPINS	32	/* *.yaml files in FILE.d/ at most */
#define AVECD_CONF_KEYS		64	/* settings known (conf.c's table) */

/* Where a setting's value comes from: a file's line and column (from 1). */
struct avecd_conf_origin {
	uint8_t file;				/* index in files[] */
	uint32_t line, col;			/* 0: the default */
};

struct avecd_conf {
	char path[AVECD_PATH_MAX];		/* the main file (avecd.yaml) */
	/* school */
	char uai[AVEC_UAI_MAX + 1];
	char school_name[AVECD_NAME_MAX];
	/* portal */
	char portal_url[AVECD_URL_MAX];		/* https://host[:port], no path */
	char listen[64];			/* ADDR:PORT of HTTPS */
	char http_listen[64];			/* ADDR:PORT of captive probes, "" */
	char acme_dir[AVECD_PATH_MAX];		/* ACME HTTP-01 files, "" = none */
	char tls_cert[AVECD_PATH_MAX];		/* portal certificate (PEM) */
	char tls_key[AVECD_PATH_MAX];
	char user[64];				/* the portal's user, as root */
	char support_url[AVECD_URL_MAX];
	char support_email[AVECD_NAME_MAX];
	uint32_t client_timeout;		/* seconds a quiet client is kept */
	uint32_t request_timeout;		/* seconds for a request's headers
						 * and body, in all */
	uint32_t login_burst;			/* logins in a row per address */
	uint32_t login_refill;			/* seconds per login regained */
	/* cas */
	char cas_url[AVECD_URL_MAX];
	char cas_ca_file[AVECD_PATH_MAX];	/* "" = system store */
	bool cas_v2_fallback;
	bool cas_allow_http;			/* tests only */
	uint32_t cas_timeout_ms;
	uint32_t cas_max_pending;		/* logins waiting on CAS at most */
	struct avec_cas_map cas_map;
	/* wifi */
	char ssid[AVECD_SSID_MAX + 1];
	char onboarding_ssid[AVECD_SSID_MAX + 1];
	char psk_ssid[AVECD_SSID_MAX + 1];	/* devices without 802.1X; "" =
						 * the portal offers no PSK */
	enum avec_cred_type method;		/* offered first */
	/* radius */
	char server_name[AVECD_NAME_MAX];	/* the RADIUS certificate's name */
	char realm[AVECD_NAME_MAX];		/* outer identity anonymous@realm */
	/* engine */
	char store[AVECD_PATH_MAX];
	char ca_dir[AVECD_PATH_MAX];
	char engine_user[64];			/* the engine's user, as root */
	/* admin API */
	char admin_socket[AVECD_PATH_MAX];	/* unix socket, "" = none */
	char admin_listen[64];			/* HTTPS ADDR:PORT, "" = none */
	char admin_avecctl[AVECD_PATH_MAX];	/* the avecctl it runs */
	/* schedule: daily jobs, Europe/Paris time; "" = never */
	char purge_at[8];			/* "HH:MM" */
	char ent_import_dir[AVECD_PATH_MAX];	/* AAF files dropped here */
	char ent_import_at[8];			/* "HH:MM" */
	/* the files read, in order: path, then PATH.d/ *.yaml by name */
	char files[1 + AVECD_CONF_DROPINS][AVECD_PATH_MAX];
	unsigned nfiles;
	struct avecd_conf_origin from[AVECD_CONF_KEYS];	/* by key */
};

/*
 * avecd_conf_load - read the configuration file @path into @c, with every
 * default filled, then each "*.yaml" of the drop-in directory "@path.d/"
 * (when it exists) in byte order of their names: a key a later file sets
 * replaces the value an earlier one gave.  @path is provisioning's (avecctl
 * provision renders it); the drop-in directory is the administrator's.
 * Errors go to stderr as "FILE:LINE:COL: key: what", all of them, naming
 * the file that holds the mistake; then -1.  Returns 0 when every file is
 * whole and the settings together are valid.  @c holds no pointer: nothing
 * to free.
 */
int avecd_conf_load(const char *path, struct avecd_conf *c);

/*
 * avecd_conf_where - "FILE:LINE:COL" of the value of @key ("portal.key")
 * in @buf, or "FILE" (the main file) for a default.  The configuration
 * holds paths, never a secret.
 */
void avecd_conf_where(const struct avecd_conf *c, const char *key,
		      char *buf, size_t len);

/*
 * avecd_conf_print - the files read, then every setting in effect, one a
 * line: "section.key: value  # FILE:LINE" (or "# default").  For
 * `avecd -n -v`; the configuration holds no secret (only paths to them).
 */
void avecd_conf_print(const struct avecd_conf *c, FILE *fp);

/* ---- messages between the portal and the engine (msg.c) ---- */

enum avecd_msg_type {
	AVECD_MSG_LOGIN = 1,		/* struct avecd_login -> avecd_login_reply */
	AVECD_MSG_DEVICES,		/* struct avecd_who -> avecd_devices */
	AVECD_MSG_ADD,			/* struct avecd_add -> avecd_added */
	AVECD_MSG_REMOVE,		/* struct avecd_remove -> avecd_status */
	AVECD_MSG_ADMIN,		/* struct avecd_admin -> result bytes */
	AVECD_MSG_CA,			/* struct avecd_who -> the CA's DER */
	AVECD_MSG_REINSTALL,		/* struct avecd_reinstall -> avecd_added */
	AVECD_MSG_ACME,			/* struct avecd_acme -> avecd_acme_reply */
};

/* What every reply starts with. */
enum avecd_status_code {
	AVECD_OK = 0,
	AVECD_NOTFOUND,		/* no such account or device of this owner */
	AVECD_QUOTA,		/* the account has its maximum of devices */
	AVECD_REFUSED,		/* the policy or the account's state says no */
	AVECD_FAILED,		/* the engine could not do it (store, CA) */
	AVECD_MAC_TAKEN,	/* a PSK device's MAC is another active
				   device's */
};

struct avecd_status {
	int32_t code;			/* enum avecd_status_code */
	char message[AVECD_MSG_TEXT];	/* for the log, never a secret */
};

struct avecd_login {
	struct avec_cas_identity id;
	char addr[48];			/* the browser's address, for the audit */
};
struct avecd_login_reply {
	struct avecd_status st;
	int32_t role;
	int32_t account_status;		/* enum avec_account_status */
};

struct avecd_who {
	char principal[AVEC_PRINCIPAL_MAX + 1];
};

struct avecd_device_row {
	int64_t id;
	char name[AVEC_DEVICE_NAME_MAX + 1];
	int32_t type;			/* enum avec_cred_type */
	int32_t status;			/* enum avec_device_status */
	int64_t created_at, last_seen, expires_at;
	char mac[AVEC_MAC_STRLEN + 1];	/* PSK: its MAC; else "" */
};
struct avecd_devices {
	struct avecd_status st;
	uint32_t ndev;			/* active devices listed */
	uint32_t max_devices;		/* 0 = no limit; the quota */
	uint32_t allowed_creds;		/* AVEC_CRED_BIT mask */
	int32_t policy_defined;
	struct avecd_device_row dev[AVECD_DEVICES_MAX];
};

struct avecd_add {
	char addr[48];
	char principal[AVEC_PRINCIPAL_MAX + 1];
	char name[AVEC_DEVICE_NAME_MAX + 1];
	int32_t type;
	char mac[AVEC_MAC_STRLEN + 1];	/* PSK only: the device's MAC */
};
struct avecd_added {
	struct avecd_status st;
	int64_t id;
	int32_t type;
	char username[AVEC_USERNAME_MAX + 1];
	char secret[64];			/* TTLS/PEAP; a PSK device's
						 * key */
	char p12_password[64];			/* TLS */
	uint32_t p12_len;
	unsigned char p12[AVECD_P12_MAX];	/* TLS */
	int64_t expires_at;
};

struct avecd_remove {
	char addr[48];
	char principal[AVEC_PRINCIPAL_MAX + 1];
	int64_t id;
};

/* "Install again": device @id of @principal revoked, and the same device
 * (its name) registered anew with a fresh credential of @type. */
struct avecd_reinstall {
	char addr[48];
	char principal[AVEC_PRINCIPAL_MAX + 1];
	int64_t id;
	int32_t type;
};

/* An ACME HTTP-01 challenge asked on the plain-HTTP door: the engine
 * reads file @token of portal.acme_dir (acme.c).  Nothing secret. */
#define AVECD_ACME_TOKEN_MAX	128
#define AVECD_ACME_MAX		1024	/* a key authorisation is ~90 bytes */
struct avecd_acme {
	char token[AVECD_ACME_TOKEN_MAX + 1];
};
struct avecd_acme_reply {
	struct avecd_status st;		/* AVECD_NOTFOUND: answer 404 */
	uint32_t len;
	char body[AVECD_ACME_MAX];
};

/* An admin API call that came in over HTTPS, for the engine to judge. */
#define AVECD_ADMIN_ARGS	32
#define AVECD_ADMIN_ARG_MAX	512
struct avecd_admin {
	char token[64];			/* as presented; checked by the engine */
	char origin[64];		/* "admin api 192.0.2.1" */
	uint32_t nargs;
	char args[AVECD_ADMIN_ARGS][AVECD_ADMIN_ARG_MAX];
};
/* The reply: an HTTP status, then (200 only) the result bytes. */
#define AVECD_ADMIN_RESULT_MAX	(8u << 20)

/*
 * avecd_msg_send / avecd_msg_recv - one message of @type with @len bytes
 * of payload over @fd.  recv fails unless the header announces exactly
 * @len bytes of the @type expected (or any type when *type is 0: it is
 * then set), so a short or oversized message is never read as a struct.
 * Both return 0 or -1 (peer gone, I/O error, wrong message).
 */
int avecd_msg_send(int fd, uint32_t type, const void *p, size_t len);
int avecd_msg_recv(int fd, uint32_t *type, void *p, size_t len);
/* A reply of any size up to @cap into a malloc'd *out (*len bytes). */
int avecd_msg_recv_var(int fd, uint32_t type, char **out, size_t *len,
		       size_t cap);
/* The payload size of requests of @type, 0 if unknown. */
size_t avecd_msg_request_size(uint32_t type);
/* Force every fixed string of a received struct to end in a NUL. */
#define AVECD_TERMINATE(s)	((s)[sizeof(s) - 1] = '\0')

/*
 * avecd_drop_to - when running as root, become @user (its groups reset,
 * no way back, no_new_privs); "" stays as is.  Returns 0 or -1 (logged).
 */
int avecd_drop_to(const char *user);

/* engine.c: serve the portal on @fd until it goes away; returns 0/-1. */
int avecd_engine_run(const struct avecd_conf *c, int fd);

/* portal.c: the HTTP side; returns when told to stop. */
int avecd_portal_run(const struct avecd_conf *c, int fd);

/*
 * admin.c: run one avecctl command for the admin API, as avecctl itself
 * (config admin.avecctl) on this store and CA, with AVEC_API_SCOPE
 * ("read" or "write"; NULL for avecd's own jobs, which the API's limits
 * do not bind), AVEC_API_ACTOR and AVEC_API_ORIGIN for its scope check
 * and audit trail.  @args (@nargs of them, the caller's, owned by the
 * caller) are a command and its arguments: with a scope, args[0] must be
 * a command word the API runs, else the result is a refusal (exit 3) and
 * nothing is run; they follow avecctl's --api-child, which ends its
 * global options ("--" for avecd's own jobs).  @out (the caller's, to
 * free) gets the wire result (api_client.c).
 * Returns 0, or -1 if it could not be run.
 */
struct avec_buf;
int avecd_admin_exec(const struct avecd_conf *c, char *const *args,
		     unsigned nargs, const char *scope, const char *actor,
		     const char *origin, struct avec_buf *out);

/*
 * schedule.c: the engine's daily jobs (connection log retention, the ENT
 * feed's import and grace-period revocations), each run as an avecctl
 * command like the admin API's; SIGUSR1 runs them all at once.
 */
int avecd_schedule_start(const struct avecd_conf *c);
void avecd_schedule_stop(void);
void avecd_schedule_now(void);		/* async-signal-safe */
/* Split a form body (modified in place) into its "arg" fields; returns
 * their number, or @max + 1 when there are too many. */
unsigned avecd_admin_args(char *body, char **args, unsigned max);
/* The engine's local admin socket (admin.socket); 0 when none is set. */
int avecd_admin_socket_start(const struct avecd_conf *c);
void avecd_admin_socket_stop(void);

/*
 * redirect.c: where a request may send the browser back to.  Returns @s
 * itself when it is a plain local path ("/devices", "/devices?x=1"), else
 * the constant "/"; never allocates (nothing to free).  @s is the value as
 * received, already percent-decoded once by libmicrohttpd.
 */
const char *avecd_local_path(const char *s);

/*
 * acme.c: an ACME HTTP-01 token is 1 to AVECD_ACME_TOKEN_MAX characters
 * of base64url ([A-Za-z0-9_-]); anything else is never looked up.
 */
bool avecd_acme_token_valid(const char *s);
/*
 * avecd_acme_read - file @token (checked as above) of directory @dir (an
 * absolute path) into @out (the caller's, @cap bytes, not terminated),
 * its size in *@len.  Neither @dir nor the file may be a symbolic link;
 * the file must be a regular one of at most @cap bytes.  Returns 0, or -1
 * for anything else (absent, refused, unreadable): the caller answers 404.
 */
int avecd_acme_read(const char *dir, const char *token, char *out,
		    size_t cap, size_t *len);

/* set by the signal handlers */
extern volatile int avecd_stop;

#endif
