/*
 * profile.h - the Wi-Fi configuration files AVEC hands to a device.
 *
 * One description of a device's access (struct avec_profile) is written in
 * each platform's own format: an Apple configuration profile
 * (.mobileconfig, optionally signed), an EAP metadata file (.eap-config,
 * read by geteduroam on Android and elsewhere), a Windows WLAN profile and
 * a ChromeOS ONC file.  Every format names the CA that signed the RADIUS
 * server certificate and the server's name: none of them ever turns server
 * validation off, and a profile without them is refused.
 *
 * The output is a secret (it embeds the device's secret or PKCS#12): the
 * caller serves it once, then frees the buffer with avec_buf_free(), which
 * wipes it.  The writers append to @out; on failure @out may hold a partial
 * document, which the caller discards.  Nothing here logs, and no error
 * message ever holds the secret or the PKCS#12 password.
 */
#ifndef AVEC_PROFILE_H
#define AVEC_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "avec/err.h"
#include "avec/model.h"
#include "common/buf.h"

struct avec_profile {
	const char *school_name;	/* shown to the user, UTF-8 */
	const char *org_id;		/* reverse-DNS prefix, "fr.avec.0450822x" */
	const char *ssid;		/* the secure SSID */
	const char *onboarding_ssid;	/* the open onboarding SSID, or NULL */
	enum avec_cred_type method;	/* TLS, TTLS (inner PAP), PEAP (MSCHAPv2) */
	const char *server_name;	/* the RADIUS server certificate's DNS name */
	const char *realm;		/* outer identity "anonymous@" realm */
	const unsigned char *const *ca_der;	/* CA certificates, current first */
	const size_t *ca_len;
	unsigned nca;
	const char *username;		/* the device username, dv-... */
	const char *secret;		/* TTLS/PEAP secret; NULL for TLS */
	const unsigned char *p12;	/* TLS only: the device's PKCS#12 ... */
	size_t p12_len;
	const char *p12_password;	/* ... and its password */
	int64_t expires_at;		/* credential expiry, Unix time; 0 = none */
	const char *device_name;	/* the owner's name for it, or NULL */
	const char *support_url;	/* helpdesk page, or NULL */
	const char *support_email;	/* or NULL */
};

/* Most CA certificates a profile carries (current, next, previous). */
#define AVEC_PROFILE_MAX_CA	4

enum avec_profile_format {
	AVEC_PROFILE_MOBILECONFIG = 0,
	AVEC_PROFILE_EAPCONFIG,
	AVEC_PROFILE_WLAN_XML,
	AVEC_PROFILE_ONC,
	AVEC_PROFILE__COUNT
};

/* The MIME type a format is served with ("application/eap-config"...):
 * a static string, or NULL for an unknown format. */
const char *avec_profile_mime(enum avec_profile_format f);
/* The file extension without the dot ("mobileconfig", "xml"...): a
 * static string, or NULL for an unknown format. */
const char *avec_profile_ext(enum avec_profile_format f);

/*
 * avec_profile_check - refuse a profile the writers cannot make safe: a
 * missing or malformed field (names must be printable UTF-8, the server
 * name and realm DNS names, the username a dv-... name), no CA, TLS
 * without a PKCS#12 and its password, TTLS/PEAP without a secret.  Every
 * writer calls it first.  The message names the field, never its value
 * when the field is secret.
 * Returns: 0 or -1.
 */
int avec_profile_check(const struct avec_profile *p, struct avec_err *err);

/*
 * avec_profile_mobileconfig - an Apple configuration profile (XML plist):
 * the CA(s), the PKCS#12 for TLS, the secure SSID's Wi-Fi payload and, when
 * given, an onboarding SSID payload with AutoJoin off.  Payload UUIDs are
 * derived from org_id, username and the payload, so a second download
 * replaces the installed profile.  Appended to @out (caller frees).
 * Returns: 0 or -1.
 */
int avec_profile_mobileconfig(const struct avec_profile *p,
			      struct avec_buf *out, struct avec_err *err);

/*
 * avec_profile_sign - CMS (PKCS#7) SignedData, DER, with @in attached as
 * its content: what Apple devices show as a verified profile.
 * @cert_path: the signer's PEM certificate, then optionally its chain.
 * @key_path: the signer's PEM private key (unencrypted); its file contents
 * are wiped after use.  The result is appended to @out (caller frees).
 * Returns: 0 or -1.
 */
int avec_profile_sign(const struct avec_buf *in, const char *cert_path,
		      const char *key_path, struct avec_buf *out,
		      struct avec_err *err);
/* The same with the PEM texts in memory (a daemon that read them before
 * dropping its privileges); the caller keeps and wipes them. */
int avec_profile_sign_pem(const struct avec_buf *in, const char *cert_pem,
			  size_t cert_len, const char *key_pem, size_t key_len,
			  struct avec_buf *out, struct avec_err *err);

/*
 * avec_profile_eapconfig - an EAP metadata file (eap-metadata.xsd): one
 * AuthenticationMethod with the CA(s), the server name and the client
 * credential, the SSID with CCMP, the school as provider.  Appended to
 * @out (caller frees).  Returns: 0 or -1.
 */
int avec_profile_eapconfig(const struct avec_profile *p, struct avec_buf *out,
			   struct avec_err *err);

/*
 * avec_profile_wlan_xml - a Windows WLANProfile for the secure SSID with
 * server validation (ServerNames and the CAs' SHA-1 thumbprints).  It holds
 * no credential: the user imports the CA (and, for TLS, the PKCS#12) and
 * types the secret at the first connection.  Appended to @out (caller
 * frees).  Returns: 0 or -1.
 */
int avec_profile_wlan_xml(const struct avec_profile *p, struct avec_buf *out,
			  struct avec_err *err);

/*
 * avec_profile_onc - a ChromeOS Open Network Configuration (JSON): the
 * CA(s) as Authority certificates, the PKCS#12 as a Client certificate for
 * TLS, and the WiFi network with its EAP settings.  Appended to @out
 * (caller frees).  Returns: 0 or -1.
 */
int avec_profile_onc(const struct avec_profile *p, struct avec_buf *out,
		     struct avec_err *err);

/*
 * avec_qr_svg - an SVG QR code (libqrencode, error correction level M) of
 * @text (at most AVEC_QR_TEXT_MAX bytes), with width and height attributes
 * and @title (UTF-8, escaped) as its accessible name.  Appended to @out
 * (caller frees).  Returns: 0 or -1.
 */
#define AVEC_QR_TEXT_MAX	1024
int avec_qr_svg(const char *text, const char *title, struct avec_buf *out,
		struct avec_err *err);

/*
 * avec_qr_wifi_text - the text of a WPA network's QR code, as phones
 * read it: "WIFI:T:WPA;S:<ssid>;P:<key>;;", with \ ; , : " in the SSID
 * and key escaped by a backslash.  Appended to @out (caller frees; it
 * holds the key: wipe it).  Returns 0, or -1 (an SSID not of 1 to 32
 * bytes, a key not of 8 to 63 characters, out of memory).
 */
int avec_qr_wifi_text(const char *ssid, const char *key, struct avec_buf *out,
		      struct avec_err *err);

#endif
