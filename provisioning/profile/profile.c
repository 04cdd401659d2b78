/*
 * profile.c - what every profile format shares: the check that refuses an
 * unsafe or malformed profile before any byte is written, the formats'
 * MIME types and extensions, and the stable identifiers and dates the
 * writers put in their documents.
 *
 * The check is the single gate: each writer calls avec_profile_check()
 * first and may then rely on every field it uses being present and free
 * of control characters and invalid UTF-8 (so escaped text is always
 * well-formed XML and JSON).  It must never put the secret, the PKCS#12 or
 * its password in an error message, and it never logs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "avec/ident.h"
#include "profile_int.h"

/* Longest display strings accepted (bytes). */
#define TEXT_MAX	256
#define SSID_MAX	32
#define SECRET_MAX	128

static const struct {
	const char *mime;
	const char *ext;
} formats[AVEC_PROFILE__COUNT] = {
	[AVEC_PROFILE_MOBILECONFIG] = { "application/x-apple-aspen-config",
					"mobileconfig" },
	[AVEC_PROFILE_EAPCONFIG] = { "application/eap-config", "eap-config" },
	[AVEC_PROFILE_WLAN_XML] = { "application/xml", "xml" },
	[AVEC_PROFILE_ONC] = { "application/x-onc", "onc" },
};

const char *
avec_profile_mime(enum avec_profile_format f)
{
	return (unsigned)f < AVEC_PROFILE__COUNT ? formats[f].mime : NULL;
}

const char *
avec_profile_ext(enum avec_profile_format f)
{
	return (unsigned)f < AVEC_PROFILE__COUNT ? formats[f].ext : NULL;
}

/* An optional display string: NULL, or printable UTF-8 text. */
static bool
opt_text(const char *s, size_t max)
{
	return s == NULL || avec_text_valid(s, max);
}

static bool
cert_valid(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	X509 *x;

	if (der == NULL || len == 0 || len > 65536)
		return false;
	x = d2i_X509(NULL, &q, (long)len);
	if (x == NULL)
		return false;
	X509_free(x);
	return q == der + len;
}

int
avec_profile_check(const struct avec_profile *p, struct avec_err *err)
{
	unsigned i;

	if (p == NULL)
		return avec_err_set(err, "no profile");
	if (!avec_text_valid(p->school_name, TEXT_MAX))
		return avec_err_set(err, "profile: school_name is missing or "
				    "not printable UTF-8");
	if (p->org_id == NULL || !avec_dns_name_valid(p->org_id))
		return avec_err_set(err, "profile: org_id must be a reverse-DNS "
				    "name such as fr.avec.0450822x");
	if (!avec_text_valid(p->ssid, SSID_MAX))
		return avec_err_set(err, "profile: ssid needs 1 to %d bytes of "
				    "printable UTF-8", SSID_MAX);
	if (!opt_text(p->onboarding_ssid, SSID_MAX))
		return avec_err_set(err, "profile: onboarding_ssid needs 1 to "
				    "%d bytes of printable UTF-8", SSID_MAX);
	if (p->onboarding_ssid != NULL && strcmp(p->onboarding_ssid,
						 p->ssid) == 0)
		return avec_err_set(err, "profile: the onboarding SSID is the "
				    "secure SSID");
	if ((unsigned)p->method >= AVEC_CRED__COUNT ||
	    !(AVEC_CRED_EAP & AVEC_CRED_BIT(p->method)))
		return avec_err_set(err, "profile: unknown EAP method");
	if (p->server_name == NULL || !avec_dns_name_valid(p->server_name))
		return avec_err_set(err, "profile: server_name must be the "
				    "RADIUS server certificate's DNS name");
	if (p->realm == NULL || !avec_dns_name_valid(p->realm))
		return avec_err_set(err, "profile: realm must be a DNS name");
	if (p->nca == 0 || p->nca > AVEC_PROFILE_MAX_CA || p->ca_der == NULL ||
	    p->ca_len == NULL)
		return avec_err_set(err, "profile: 1 to %d CA certificates are "
				    "needed", AVEC_PROFILE_MAX_CA);
	for (i = 0; i < p->nca; i++)
		if (!cert_valid(p->ca_der[i], p->ca_len[i]))
			return avec_err_set(err, "profile: CA certificate %u is "
					    "not one DER certificate", i + 1);
	if (p->username == NULL ||
	    !avec_username_valid(p->username, strlen(p->username)))
		return avec_err_set(err, "profile: username is not a device "
				    "username (dv-...)");
	if (p->method == AVEC_CRED_TLS) {
		if (p->secret != NULL)
			return avec_err_set(err, "profile: an EAP-TLS profile "
					    "takes no secret");
		if (p->p12 == NULL || p->p12_len == 0 || p->p12_len > 65536)
			return avec_err_set(err, "profile: EAP-TLS needs the "
					    "device's PKCS#12");
		if (!avec_text_valid(p->p12_password, SECRET_MAX))
			return avec_err_set(err, "profile: the PKCS#12 password "
					    "is missing or not printable "
					    "text");
	} else {
		if (!avec_text_valid(p->secret, SECRET_MAX))
			return avec_err_set(err, "profile: the secret is "
					    "missing or not printable text");
		if (p->p12 != NULL || p->p12_password != NULL)
			return avec_err_set(err, "profile: only EAP-TLS takes "
					    "a PKCS#12");
	}
	if (p->expires_at < 0)
		return avec_err_set(err, "profile: expires_at is negative");
	if (!opt_text(p->device_name, TEXT_MAX))
		return avec_err_set(err, "profile: device_name is not "
				    "printable UTF-8");
	if (!opt_text(p->support_url, TEXT_MAX) ||
	    (p->support_url != NULL &&
	     strncmp(p->support_url, "https://", 8) != 0 &&
	     strncmp(p->support_url, "http://", 7) != 0))
		return avec_err_set(err, "profile: support_url must be an "
				    "http(s) URL");
	if (!opt_text(p->support_email, TEXT_MAX) ||
	    (p->support_email != NULL && strchr(p->support_email, '@') == NULL))
		return avec_err_set(err, "profile: support_email is not an "
				    "e-mail address");
	return 0;
}

void
profile_uuid(const struct avec_profile *p, const char *label,
	     char out[PROFILE_UUID_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok;

	/* NUL separators: ("a.b", "c") and ("a", "b.c") differ */
	ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, "avec-profile", 13) &&
	    EVP_DigestUpdate(c, p->org_id, strlen(p->org_id) + 1) &&
	    EVP_DigestUpdate(c, p->username, strlen(p->username) + 1) &&
	    EVP_DigestUpdate(c, label, strlen(label) + 1) &&
	    EVP_DigestFinal_ex(c, md, &mdlen) && mdlen >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)	/* SHA-256 cannot fail short of memory: still unique */
		memset(md, 0, 16);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(out, PROFILE_UUID_LEN,
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		 "%02X%02X%02X%02X%02X%02X",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7],
		 md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
}

void
profile_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

void
profile_outer_identity(const struct avec_profile *p, char *out,
		       size_t outlen)
{
	snprintf(out, outlen, "anonymous@%s", p->realm);
}

int
profile_eap_type(enum avec_cred_type m)
{
	switch (m) {
	case AVEC_CRED_TLS:
		return 13;
	case AVEC_CRED_TTLS:
		return 21;
	case AVEC_CRED_PEAP:
		return 25;
	case AVEC_CRED_PSK:
	case AVEC_CRED__COUNT:
		break;
	}
	return 0;
}
