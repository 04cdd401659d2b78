/*
 * enrol.c - the registration of a device (enrol.h).
 *
 * It owns the order of a registration and the words of its refusals; the
 * store owns the quota.  It must never let a secret reach the store or an
 * error message: the store sees hashes, serials and fingerprints only.
 */
#include <stdio.h>
#include <string.h>

#include "avec/ident.h"
#include "enrol/enrol.h"

#define ATTEMPTS	3	/* fresh usernames after a collision */

int
avec_enrol_check(struct avec_store *st, const char *principal,
		 enum avec_cred_type type, struct avec_policy *pol,
		 struct avec_err *err)
{
	struct avec_account_rec a;
	char allowed[32];
	int rc;

	rc = avec_store_account_get(st, principal, &a, err);
	if (rc == AVEC_STORE_NOTFOUND) {
		avec_err_set(err, "no account %s", principal);
		return rc;
	}
	if (rc != 0)
		return -1;
	if (a.a.status != AVEC_ACCOUNT_ACTIVE) {
		avec_err_set(err, "account %s is %s: no device can be added",
			     principal, avec_account_status_name(a.a.status));
		return AVEC_STORE_REFUSED;
	}
	/* the account's own policy: its role's with its overrides */
	if (avec_store_policy_effective(st, principal, pol, err) != 0)
		return -1;
	if (!pol->defined) {
		avec_err_set(err, "role %s is not admitted on this network "
			     "(no policy)", avec_role_name(a.a.role));
		return AVEC_STORE_REFUSED;
	}
	if (!(pol->allowed_creds & AVEC_CRED_BIT(type))) {
		avec_err_set(err, "the policy of role %s does not allow %s "
			     "devices (allowed: %s)", avec_role_name(a.a.role),
			     avec_cred_type_name(type),
			     avec_cred_mask_format(pol->allowed_creds, allowed,
						   sizeof(allowed)));
		return AVEC_STORE_REFUSED;
	}
	return 0;
}

static void
fill_rec(struct avec_device_rec *rec, const struct avec_enrol *e)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->principal, sizeof(rec->principal), "%s", e->principal);
	snprintf(rec->name, sizeof(rec->name), "%s", e->name);
	rec->d.cred_type = e->type;
	rec->d.status = AVEC_DEVICE_ACTIVE;
}

/* One attempt's credential: a secret and its hash, or a certificate. */
static int
make_credential(struct avec_ca *ca, struct avec_enrol *e,
		struct avec_device_rec *rec, int64_t lifetime,
		struct avec_err *err)
{
	char serial[AVEC_SERIAL_MAX + 1];

	if (avec_username_generate(rec->username, sizeof(rec->username)) < 0)
		return avec_err_set(err, "the random source failed");
	if (e->type == AVEC_CRED_PSK) {
		if (e->mac == NULL || avec_mac_normalize(e->mac, rec->mac) < 0)
			return avec_err_set(err, "a PSK device needs its MAC "
					    "address (aa:bb:cc:dd:ee:ff)");
		/* the group bit: a broadcast or multicast address */
		if (!avec_mac_is_station(rec->mac))
			return avec_err_set(err, "%s is not the address of one "
					    "device", rec->mac);
		if (avec_secret_generate(e->secret, sizeof(e->secret)) < 0)
			return avec_err_set(err, "the random source failed");
		snprintf(rec->psk, sizeof(rec->psk), "%s", e->secret);
		return 0;
	}
	if (e->type != AVEC_CRED_TLS) {
		if (avec_secret_generate(e->secret, sizeof(e->secret)) < 0)
			return avec_err_set(err, "the random source failed");
		if (avec_secret_hash(e->type, e->secret, rec->secret_hash,
				     sizeof(rec->secret_hash)) < 0)
			return avec_err_set(err, "cannot hash the new secret");
		return 0;
	}
	if (ca == NULL)
		return avec_err_set(err, "no CA to issue the certificate");
	e->cred = avec_ca_issue_client(ca, rec->username, lifetime, &e->info,
				       err);
	if (e->cred == NULL)
		return -1;
	/* The store and FreeRADIUS must see the same serial. */
	if (avec_serial_normalize(e->info.serial, serial, sizeof(serial)) < 0 ||
	    strcmp(serial, e->info.serial) != 0)
		return avec_err_set(err, "internal error: certificate serial "
				    "%s is not in canonical form",
				    e->info.serial);
	snprintf(rec->cert_serial, sizeof(rec->cert_serial), "%s",
		 e->info.serial);
	snprintf(rec->cert_fingerprint, sizeof(rec->cert_fingerprint), "%s",
		 e->info.fingerprint);
	rec->d.expires_at = e->info.not_after;
	return 0;
}

int
avec_enrol_register(struct avec_store *st, struct avec_ca *ca,
		    const struct avec_policy *pol, struct avec_enrol *e,
		    int64_t now, struct avec_err *err)
{
	struct avec_device_rec rec;
	int64_t lifetime = 0, until;
	int attempt, rc = -1;

	e->id = 0;
	if (e->type == AVEC_CRED_TLS) {
		/* the certificate ends when the device does */
		until = avec_expiry_for(pol, (time_t)now);
		lifetime = until ? until - now : AVEC_ENROL_DEFAULT_TLS_LIFETIME;
	}
	for (attempt = 0; attempt < ATTEMPTS; attempt++) {
		avec_enrol_clear(e);
		fill_rec(&rec, e);
		if (make_credential(ca, e, &rec, lifetime, err) < 0) {
			rc = -1;
			break;
		}
		rc = avec_store_device_register(st, &rec, now, &e->id, err);
		if (rc != AVEC_STORE_EXISTS)
			break;
	}
	if (rc == AVEC_STORE_EXISTS)
		avec_err_set(err, "no free username after %d attempts",
			     ATTEMPTS);
	if (rc == 0) {
		snprintf(e->username, sizeof(e->username), "%s", rec.username);
		/* as the store settled it (the role's lifetime, or the cert's) */
		e->expires_at = avec_store_device_get(st, e->id, &rec, NULL) == 0
			? rec.d.expires_at : 0;
	} else {
		avec_enrol_clear(e);
	}
	avec_secret_wipe(&rec, sizeof(rec));
	return rc;
}

void
avec_enrol_clear(struct avec_enrol *e)
{
	avec_secret_wipe(e->secret, sizeof(e->secret));
	avec_ca_cred_free(e->cred);
	e->cred = NULL;
}
