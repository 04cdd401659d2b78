/*
 * store_nas.h - the store's authenticators with a Dynamic Authorization
 * Server (table nas_clients), the open sessions a revocation must end,
 * and the record of each Disconnect-Request (table disconnects).
 *
 * Same conventions as store.h: 0 on success, -1 with @err filled,
 * AVEC_STORE_NOTFOUND / AVEC_STORE_EXISTS where said; records are
 * fixed-size and owned by the caller.  A record holding das_secret is
 * secret: the caller wipes it (avec_secret_wipe) when done, and never
 * prints the field.
 */
#ifndef AVEC_STORE_NAS_H
#define AVEC_STORE_NAS_H

#include <stdint.h>

#include "avec/err.h"
#include "avec/store.h"

#define AVEC_NAS_NAME_MAX	63
#define AVEC_NAS_ADDR_MAX	45	/* an IPv6 literal */
#define AVEC_NAS_SECRET_MAX	128
#define AVEC_NAS_SECRET_MIN	16

struct avec_nas_rec {
	int64_t id;				/* output only */
	char name[AVEC_NAS_NAME_MAX + 1];
	char nas_address[AVEC_NAS_ADDR_MAX + 1];	/* its NAS-IP-Address */
	char das_address[AVEC_NAS_ADDR_MAX + 1];
	uint16_t das_port;
	char das_secret[AVEC_NAS_SECRET_MAX + 1];	/* secret */
};

/* Add a NAS; AVEC_STORE_EXISTS when its name or nas_address is taken. */
int avec_store_nas_add(struct avec_store *st, const struct avec_nas_rec *n,
		       int64_t *id, struct avec_err *err);
/* Remove the NAS named @name; AVEC_STORE_NOTFOUND if none. */
int avec_store_nas_remove(struct avec_store *st, const char *name,
			  struct avec_err *err);
/* The NAS whose NAS-IP-Address is @nas_address; AVEC_STORE_NOTFOUND. */
int avec_store_nas_by_address(struct avec_store *st, const char *nas_address,
			      struct avec_nas_rec *out, struct avec_err *err);
/* Every NAS by name; the record passed to @cb holds the secret, valid
 * during the call only (wiped after).  A non-zero return of @cb stops the
 * walk and is returned. */
typedef int (*avec_nas_cb)(const struct avec_nas_rec *n, void *ctx);
int avec_store_nas_list(struct avec_store *st, avec_nas_cb cb, void *ctx,
			struct avec_err *err);

/* An open accounting session (sessions.ended_at = 0). */
struct avec_open_session {
	int64_t id;
	int64_t device_id;			/* 0 when unknown */
	char nas_address[AVEC_NAS_ADDR_MAX + 1];
	char acct_session_id[254];
	char mac[18];				/* as stored; "" none */
};
typedef int (*avec_open_session_cb)(const struct avec_open_session *s,
			       void *ctx);
/* Open sessions of device @device_id, oldest first. */
int avec_store_sessions_open_device(struct avec_store *st, int64_t device_id,
				    avec_open_session_cb cb, void *ctx,
				    struct avec_err *err);
/* Open sessions of every device of the account @principal. */
int avec_store_sessions_open_account(struct avec_store *st,
				     const char *principal,
				     avec_open_session_cb cb, void *ctx,
				     struct avec_err *err);

/* One Disconnect-Request's outcome, for the audit of a revocation. */
struct avec_disconnect_rec {
	int64_t session_id;			/* 0: none */
	int64_t device_id;			/* 0: none */
	char nas_name[AVEC_NAS_NAME_MAX + 1];
	int64_t sent_at;
	unsigned attempts;
	const char *result;		/* "ack", "nak", "timeout", "error" */
	char detail[256];
};
int avec_store_disconnect_record(struct avec_store *st,
				 const struct avec_disconnect_rec *d,
				 struct avec_err *err);

#endif
