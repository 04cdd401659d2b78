/*
 * model.h - AVEC's domain model: accounts, devices, credentials, policies.
 *
 * An account is an ENT identity (the CAS principal this appliance receives),
 * never a login name, an e-mail or a MAC.  A device belongs to one account
 * and holds exactly one credential: an EAP-TLS client certificate (found by
 * serial), a per-device username + secret for EAP-TTLS/PAP or
 * PEAP/MSCHAPv2 (the secret kept only as a hash), or, for a device that
 * cannot do 802.1X, a WPA key of its own bound to its MAC address.  Apart
 * from that binding, MAC addresses are hints for the connection log, never
 * an identity.
 *
 * Everything here is plain data with fixed-size buffers, so records can be
 * copied out of the store or the index without anyone owning heap memory.
 */
#ifndef AVEC_MODEL_H
#define AVEC_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define AVEC_PRINCIPAL_MAX	128	/* bytes, without the NUL */
#define AVEC_DEVICE_NAME_MAX	64
#define AVEC_DISPLAY_NAME_MAX	128	/* a person's name, display only */
#define AVEC_USERNAME_MAX	32	/* device usernames: "dv-" + base32 */
#define AVEC_SERIAL_MAX		40	/* lowercase hex of a certificate serial */
#define AVEC_FINGERPRINT_MAX	64	/* lowercase hex SHA-256 of the DER */
#define AVEC_HASH_MAX		96	/* "{ssha256}base64" or "{nthash}hex" */
#define AVEC_UAI_MAX		8	/* e.g. 0450822X */
#define AVEC_PSK_MAX		63	/* a WPA passphrase: 8..63 printable ASCII */
#define AVEC_REASON_TEXT_MAX	64

enum avec_role {
	AVEC_ROLE_STUDENT = 0,
	AVEC_ROLE_TEACHER,
	AVEC_ROLE_STAFF,
	AVEC_ROLE_PARENT,
	AVEC_ROLE__COUNT
};

enum avec_account_status {
	AVEC_ACCOUNT_ACTIVE = 0,
	AVEC_ACCOUNT_SUSPENDED,
	AVEC_ACCOUNT_LEFT,
	AVEC_ACCOUNT__COUNT
};

enum avec_device_status {
	AVEC_DEVICE_ACTIVE = 0,
	AVEC_DEVICE_REVOKED,
	AVEC_DEVICE_EXPIRED,
	AVEC_DEVICE__COUNT
};

/* A credential type; policies allow a set of them as a bit mask. */
enum avec_cred_type {
	AVEC_CRED_TLS = 0,	/* EAP-TLS, certificate from the appliance CA */
	AVEC_CRED_TTLS,		/* EAP-TTLS/PAP, salted SHA-256 of the secret */
	AVEC_CRED_PEAP,		/* PEAP/MSCHAPv2, NT hash of the secret */
	AVEC_CRED_PSK,		/* WPA-Personal key of its own, for a device
				   without 802.1X: known by its MAC, proven
				   by its key (kept in clear: RADIUS hands
				   it to the access point) */
	AVEC_CRED__COUNT
};
#define AVEC_CRED_BIT(t)	(1u << (t))
#define AVEC_CRED_ALL		((1u << AVEC_CRED__COUNT) - 1)
/* The 802.1X methods (every type but PSK): those with an EAP profile. */
#define AVEC_CRED_EAP		(AVEC_CRED_BIT(AVEC_CRED_TLS) | \
				 AVEC_CRED_BIT(AVEC_CRED_TTLS) | \
				 AVEC_CRED_BIT(AVEC_CRED_PEAP))

/* Names used in the store, on the command line and in JSON. */
const char *avec_role_name(enum avec_role r);
const char *avec_account_status_name(enum avec_account_status s);
const char *avec_device_status_name(enum avec_device_status s);
const char *avec_cred_type_name(enum avec_cred_type t);
/* Parse a name; return 0 and set *out, or -1 if the name is unknown. */
int avec_role_parse(const char *s, enum avec_role *out);
/* The role of an ENT profile (ENTPersonProfils: "National_ELV" or its
 * numeric form "National_1", ...) or of an AAF function type code (a
 * PersEducNat's title, ENTPersonFonctions' second field: "ENS" teacher,
 * "DIR", "EDU", "ADF", "DOC", ... staff): 0, or -1 for a value AVEC does
 * not know.  The one mapping, for CAS logins and the AAF feed alike. */
int avec_role_of_profile(const char *profile, enum avec_role *out);
int avec_account_status_parse(const char *s, enum avec_account_status *out);
int avec_device_status_parse(const char *s, enum avec_device_status *out);
int avec_cred_type_parse(const char *s, enum avec_cred_type *out);
/* "tls,ttls" <-> mask.  Parse returns -1 on an unknown or empty list. */
int avec_cred_mask_parse(const char *s, uint32_t *mask);
/* Writes the names joined by ',' into buf; returns buf. */
char *avec_cred_mask_format(uint32_t mask, char *buf, unsigned len);

/* What the decision needs of an account. */
struct avec_account {
	int64_t id;
	char principal[AVEC_PRINCIPAL_MAX + 1];
	enum avec_role role;
	enum avec_account_status status;
	bool blocked;		/* on the administrator's block list */
};

/* What the decision needs of a device. */
struct avec_device {
	int64_t id;
	int64_t account_id;
	enum avec_cred_type cred_type;
	enum avec_device_status status;
	int64_t expires_at;	/* Unix time; 0 = no expiry */
	/*
	 * 0-based position of this device among its account's active devices,
	 * oldest first.  A device whose rank is at or above the policy's
	 * max_devices is over quota (the quota was lowered after it joined).
	 */
	uint32_t rank;
	bool blocked;		/* on the administrator's block list */
};

/*
 * A weekly window, in Europe/Paris local time: open on the days of @days
 * (bit 0 Monday ... bit 6 Sunday) from @start to @end minutes after local
 * midnight (0 <= start < end <= 1440).
 */
struct avec_window {
	uint8_t days;
	uint16_t start;
	uint16_t end;
};
#define AVEC_WINDOWS_MAX	14

/* Local calendar days, as YYYYMMDD, first and last included. */
struct avec_dayrange {
	int32_t first;
	int32_t last;
};
#define AVEC_HOLIDAYS_MAX	24

/*
 * A policy: a role's, or the result of applying school, class group and
 * account overrides to it.  With no window the network is open at all
 * times (and holidays do not apply); with windows it is open only inside
 * them and never on a holiday.
 */
struct avec_policy {
	bool defined;		/* false: this role is not admitted at all */
	uint16_t vlan;		/* 1..4094 */
	uint32_t max_devices;	/* active devices per account */
	uint32_t allowed_creds;	/* mask of AVEC_CRED_BIT() */
	uint32_t session_timeout;	/* seconds; 0 = none sent */
	uint32_t device_lifetime;	/* seconds from registration; 0 = none */
	uint16_t lifetime_until;	/* MMDD: devices expire at the next such
					   date (e.g. 831); 0 = none */
	uint8_t nwindows;
	uint8_t nholidays;
	struct avec_window windows[AVEC_WINDOWS_MAX];
	struct avec_dayrange holidays[AVEC_HOLIDAYS_MAX];
};

#endif
