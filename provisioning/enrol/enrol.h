/*
 * enrol.h - registering a device with a fresh credential: the one path
 * avecctl ("device add") and avecd (the portal's "add a device") share.
 *
 * A registration is: check the account and its policy (for a clear
 * refusal before any key is made), make the credential (a random TTLS or
 * PEAP secret, an EAP-TLS certificate from the appliance CA, or a random
 * WPA key for a PSK device bound to its MAC address), and ask
 * the store, whose one transaction is the authority on quota.  Only the
 * hash of a secret, or a certificate's serial and fingerprint, reaches
 * the store (a PSK device's key excepted: the access point needs it, so
 * the store keeps it); the secret, key or private key is handed to the
 * caller once, in struct avec_enrol, and wiped by avec_enrol_clear().
 *
 * Return convention as in avec/store.h: 0, an AVEC_STORE_* refusal code
 * (QUOTA, NOTFOUND, REFUSED, EXISTS) with @err saying why in words a
 * person understands, or -1 for an I/O or crypto failure.
 */
#ifndef AVEC_ENROL_H
#define AVEC_ENROL_H

#include <stdint.h>

#include "avec/model.h"
#include "avec/policy.h"
#include "avec/secret.h"
#include "avec/store.h"
#include "ca/ca.h"

/* Client certificate lifetime when the role's policy sets none. */
#define AVEC_ENROL_DEFAULT_TLS_LIFETIME	(365 * 86400L)

struct avec_enrol {
	/* in */
	const char *principal;
	const char *name;		/* the device's name, checked text */
	enum avec_cred_type type;
	const char *mac;		/* PSK only: the device's MAC address,
					   any form avec_mac_normalize reads */
	/* out */
	int64_t id;
	char username[AVEC_USERNAME_MAX + 1];
	char secret[AVEC_SECRET_LEN + 1];	/* TTLS/PEAP, and the PSK;
						   wiped by clear */
	struct avec_ca_cred *cred;		/* TLS; freed by clear */
	struct avec_ca_certinfo info;		/* TLS */
	int64_t expires_at;			/* 0: never */
};

/*
 * avec_enrol_check - may @principal register a device of @type now?
 * Fills @pol with the account's effective policy on success.
 */
int avec_enrol_check(struct avec_store *st, const char *principal,
		     enum avec_cred_type type, struct avec_policy *pol,
		     struct avec_err *err);

/*
 * avec_enrol_register - make the credential and register the device of
 * e->principal, e->name, e->type under @pol (from avec_enrol_check) at
 * @now.  @ca: the opened appliance CA, needed for TLS only.  A username
 * or serial collision is retried with fresh ones.  On failure nothing is
 * left in the store and e holds no secret.
 */
int avec_enrol_register(struct avec_store *st, struct avec_ca *ca,
			const struct avec_policy *pol, struct avec_enrol *e,
			int64_t now, struct avec_err *err);

/* Wipe the secret and free the credential of @e. */
void avec_enrol_clear(struct avec_enrol *e);

#endif
