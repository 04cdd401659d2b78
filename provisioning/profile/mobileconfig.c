/*
 * mobileconfig.c - Apple configuration profiles (iOS, iPadOS, macOS) and
 * their CMS signature.
 *
 * It owns the property list AVEC gives Apple devices: one root payload per
 * CA (current first, so a rollover can publish the next CA beside the
 * current one), the PKCS#12 payload for EAP-TLS, the secure SSID's Wi-Fi
 * payload pinned to those CAs and to the server name, and the onboarding
 * SSID with AutoJoin off.  Payload UUIDs are derived, never random: the
 * same device's profile downloaded twice has the same identifiers and
 * replaces itself.  One EAP type per Wi-Fi payload (iOS uses only the
 * first).
 *
 * It must never write a Wi-Fi payload without TLSTrustedServerNames and
 * PayloadCertificateAnchorUUID, nor allow trust exceptions; never put text
 * in the plist unescaped; never leave the signing key's file contents in
 * memory it frees; never log.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "profile_int.h"

/* Largest certificate or key file read for signing. */
#define SIGN_FILE_MAX	(256 * 1024)

/* Indentation: @depth tabs (at most 8). */
static const char TABS[] = "\t\t\t\t\t\t\t\t";

static void
key_str(struct avec_buf *b, int depth, const char *key, const char *val)
{
	avec_buf_printf(b, "%.*s<key>%s</key>\n%.*s<string>", depth, TABS, key,
			depth, TABS);
	avec_buf_xml(b, val);
	avec_buf_puts(b, "</string>\n");
}

static void
key_int(struct avec_buf *b, int depth, const char *key, int val)
{
	avec_buf_printf(b, "%.*s<key>%s</key>\n%.*s<integer>%d</integer>\n",
			depth, TABS, key, depth, TABS, val);
}

static void
key_bool(struct avec_buf *b, int depth, const char *key, bool val)
{
	avec_buf_printf(b, "%.*s<key>%s</key>\n%.*s<%s/>\n", depth, TABS, key,
			depth, TABS, val ? "true" : "false");
}

static void
key_data(struct avec_buf *b, int depth, const char *key,
	 const unsigned char *p, size_t n)
{
	avec_buf_printf(b, "%.*s<key>%s</key>\n%.*s<data>", depth, TABS, key,
			depth, TABS);
	avec_buf_base64(b, p, n);
	avec_buf_puts(b, "</data>\n");
}

/* The keys every payload has; @label makes its UUID and identifier. */
static void
payload_head(struct avec_buf *b, const struct avec_profile *p,
	     const char *type, const char *label, const char *display,
	     char uuid[PROFILE_UUID_LEN])
{
	char ident[512];

	profile_uuid(p, label, uuid);
	snprintf(ident, sizeof(ident), "%s.%s.%s", p->org_id, p->username,
		 label);
	avec_buf_puts(b, "\t\t<dict>\n");
	key_str(b, 3, "PayloadType", type);
	key_int(b, 3, "PayloadVersion", 1);
	key_str(b, 3, "PayloadIdentifier", ident);
	key_str(b, 3, "PayloadUUID", uuid);
	key_str(b, 3, "PayloadDisplayName", display);
}

static void
wifi_secure(struct avec_buf *b, const struct avec_profile *p,
	    char ca_uuid[][PROFILE_UUID_LEN], const char *p12_uuid)
{
	char uuid[PROFILE_UUID_LEN], outer[320], display[320];
	unsigned i;

	snprintf(display, sizeof(display), "Wi-Fi %s", p->ssid);
	payload_head(b, p, "com.apple.wifi.managed", "wifi", display, uuid);
	key_str(b, 3, "SSID_STR", p->ssid);
	key_bool(b, 3, "HIDDEN_NETWORK", false);
	key_bool(b, 3, "AutoJoin", true);
	key_str(b, 3, "EncryptionType", "WPA2");
	key_bool(b, 3, "IsHotspot", false);
	if (p->method == AVEC_CRED_TLS)
		key_str(b, 3, "PayloadCertificateUUID", p12_uuid);
	avec_buf_puts(b, "\t\t\t<key>EAPClientConfiguration</key>\n"
		      "\t\t\t<dict>\n"
		      "\t\t\t\t<key>AcceptEAPTypes</key>\n"
		      "\t\t\t\t<array>\n");
	avec_buf_printf(b, "\t\t\t\t\t<integer>%d</integer>\n",
			profile_eap_type(p->method));
	avec_buf_puts(b, "\t\t\t\t</array>\n");
	profile_outer_identity(p, outer, sizeof(outer));
	if (p->method == AVEC_CRED_TTLS)
		key_str(b, 4, "TTLSInnerAuthentication", "PAP");
	key_str(b, 4, "OuterIdentity", outer);
	if (p->method == AVEC_CRED_TLS) {
		/* the certificate identifies the device, not the name */
		key_str(b, 4, "UserName", outer);
	} else {
		key_str(b, 4, "UserName", p->username);
		key_str(b, 4, "UserPassword", p->secret);
	}
	avec_buf_puts(b, "\t\t\t\t<key>TLSTrustedServerNames</key>\n"
		      "\t\t\t\t<array>\n\t\t\t\t\t<string>");
	avec_buf_xml(b, p->server_name);
	avec_buf_puts(b, "</string>\n\t\t\t\t</array>\n"
		      "\t\t\t\t<key>PayloadCertificateAnchorUUID</key>\n"
		      "\t\t\t\t<array>\n");
	for (i = 0; i < p->nca; i++)
		avec_buf_printf(b, "\t\t\t\t\t<string>%s</string>\n",
				ca_uuid[i]);
	avec_buf_puts(b, "\t\t\t\t</array>\n");
	key_bool(b, 4, "TLSAllowTrustExceptions", false);
	avec_buf_puts(b, "\t\t\t</dict>\n\t\t</dict>\n");
}

static void
wifi_onboarding(struct avec_buf *b, const struct avec_profile *p)
{
	char uuid[PROFILE_UUID_LEN], display[320];

	snprintf(display, sizeof(display), "Wi-Fi %s (inscription)",
		 p->onboarding_ssid);
	payload_head(b, p, "com.apple.wifi.managed", "wifi-onboarding",
		     display, uuid);
	key_str(b, 3, "SSID_STR", p->onboarding_ssid);
	key_bool(b, 3, "HIDDEN_NETWORK", false);
	key_bool(b, 3, "AutoJoin", false);
	key_str(b, 3, "EncryptionType", "None");
	key_bool(b, 3, "IsHotspot", false);
	avec_buf_puts(b, "\t\t</dict>\n");
}

int
avec_profile_mobileconfig(const struct avec_profile *p, struct avec_buf *out,
			  struct avec_err *err)
{
	char ca_uuid[AVEC_PROFILE_MAX_CA][PROFILE_UUID_LEN];
	char uuid[PROFILE_UUID_LEN], p12_uuid[PROFILE_UUID_LEN] = "";
	char label[32], display[320], ident[512], when[32];
	unsigned i;

	if (avec_profile_check(p, err) < 0)
		return -1;
	avec_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
		      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
		      "<plist version=\"1.0\">\n<dict>\n");
	profile_uuid(p, "profile", uuid);
	snprintf(ident, sizeof(ident), "%s.%s", p->org_id, p->username);
	key_str(out, 1, "PayloadType", "Configuration");
	key_int(out, 1, "PayloadVersion", 1);
	key_str(out, 1, "PayloadIdentifier", ident);
	key_str(out, 1, "PayloadUUID", uuid);
	snprintf(display, sizeof(display), "Wi-Fi %s", p->school_name);
	key_str(out, 1, "PayloadDisplayName", display);
	key_str(out, 1, "PayloadOrganization", p->school_name);
	avec_buf_puts(out, "\t<key>PayloadDescription</key>\n\t<string>");
	avec_buf_puts(out, "Accès au réseau Wi-Fi ");
	avec_buf_xml(out, p->ssid);
	if (p->device_name != NULL) {
		avec_buf_puts(out, " pour l’appareil « ");
		avec_buf_xml(out, p->device_name);
		avec_buf_puts(out, " »");
	}
	avec_buf_puts(out, ".</string>\n");
	key_bool(out, 1, "PayloadRemovalDisallowed", false);
	if (p->expires_at != 0) {
		profile_time(p->expires_at, when);
		avec_buf_printf(out, "\t<key>RemovalDate</key>\n"
				"\t<date>%s</date>\n", when);
	}
	avec_buf_puts(out, "\t<key>PayloadContent</key>\n\t<array>\n");
	for (i = 0; i < p->nca; i++) {
		snprintf(label, sizeof(label), "ca%u", i);
		snprintf(display, sizeof(display), "%s%s", p->school_name,
			 i == 0 ? " (autorité)" : " (autorité suivante)");
		payload_head(out, p, "com.apple.security.root", label, display,
			     ca_uuid[i]);
		snprintf(label, sizeof(label), "ca%u.cer", i);
		key_str(out, 3, "PayloadCertificateFileName", label);
		key_data(out, 3, "PayloadContent", p->ca_der[i], p->ca_len[i]);
		avec_buf_puts(out, "\t\t</dict>\n");
	}
	if (p->method == AVEC_CRED_TLS) {
		payload_head(out, p, "com.apple.security.pkcs12", "identity",
			     p->username, p12_uuid);
		snprintf(display, sizeof(display), "%s.p12", p->username);
		key_str(out, 3, "PayloadCertificateFileName", display);
		key_str(out, 3, "Password", p->p12_password);
		key_data(out, 3, "PayloadContent", p->p12, p->p12_len);
		avec_buf_puts(out, "\t\t</dict>\n");
	}
	wifi_secure(out, p, ca_uuid, p12_uuid);
	if (p->onboarding_ssid != NULL)
		wifi_onboarding(out, p);
	avec_buf_puts(out, "\t</array>\n</dict>\n</plist>\n");
	if (avec_buf_failed(out))
		return avec_err_set(err, "out of memory writing the profile");
	return 0;
}

/* ---- signing ---- */

/* Fill @err with @what and OpenSSL's oldest queued error; clear the queue. */
static int
ssl_err(struct avec_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	if (reason != NULL)
		return avec_err_set(err, "%s: %s", what, reason);
	return avec_err_set(err, "%s", what);
}

/*
 * read_file - a whole small regular file into a buffer the caller wipes
 * and frees with OPENSSL_clear_free(*out, *len).
 */
static int
read_file(const char *path, char **out, size_t *len, struct avec_err *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t n = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return avec_err_set(err, "cannot open %s: %s", path,
				    strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || sb.st_size > SIGN_FILE_MAX) {
		avec_err_set(err, "%s is not a key or certificate file", path);
		goto out;
	}
	if ((buf = OPENSSL_zalloc((size_t)sb.st_size)) == NULL) {
		avec_err_set(err, "out of memory reading %s", path);
		goto out;
	}
	while (n < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)sb.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			avec_err_set(err, "cannot read %s: %s", path,
				     strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = (size_t)sb.st_size;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, (size_t)sb.st_size);
	close(fd);
	return rc;
}

/* The first certificate of the PEM text in @*signer, the rest in @chain. */
static int
parse_certs(const char *buf, size_t len, X509 **signer, STACK_OF(X509) *chain,
	    struct avec_err *err)
{
	BIO *b;
	X509 *x;
	int rc = -1;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return ssl_err(err, "out of memory");
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*signer == NULL) {
			*signer = x;
		} else if (!sk_X509_push(chain, x)) {
			X509_free(x);
			ssl_err(err, "out of memory");
			goto out;
		}
	}
	ERR_clear_error();	/* the end of the text */
	if (*signer == NULL) {
		avec_err_set(err, "the signer certificate holds no PEM "
			     "certificate");
		goto out;
	}
	rc = 0;
out:
	BIO_free(b);
	return rc;
}

static EVP_PKEY *
parse_key(const char *buf, size_t len, struct avec_err *err)
{
	EVP_PKEY *k = NULL;
	BIO *b;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		ssl_err(err, "out of memory");
		return NULL;
	}
	/* no passphrase callback: a prompt would hang a daemon */
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	if (k == NULL)
		avec_err_set(err, "the signer key holds no usable private key");
	ERR_clear_error();
	BIO_free(b);
	return k;
}

int
avec_profile_sign(const struct avec_buf *in, const char *cert_path,
		  const char *key_path, struct avec_buf *out,
		  struct avec_err *err)
{
	char *cert = NULL, *key = NULL;
	size_t clen = 0, klen = 0;
	int rc = -1;

	if (read_file(cert_path, &cert, &clen, err) == 0 &&
	    read_file(key_path, &key, &klen, err) == 0)
		rc = avec_profile_sign_pem(in, cert, clen, key, klen, out, err);
	if (rc < 0 && err != NULL && strstr(err->msg, "does not match"))
		avec_err_set(err, "%s does not match %s", key_path, cert_path);
	OPENSSL_clear_free(cert, clen);
	OPENSSL_clear_free(key, klen);
	return rc;
}

int
avec_profile_sign_pem(const struct avec_buf *in, const char *cert_pem,
		      size_t cert_len, const char *key_pem, size_t key_len,
		      struct avec_buf *out, struct avec_err *err)
{
	STACK_OF(X509) *chain = NULL;
	X509 *signer = NULL;
	EVP_PKEY *key = NULL;
	CMS_ContentInfo *cms = NULL;
	BIO *data = NULL, *der = NULL;
	BUF_MEM *bm = NULL;
	int rc = -1;

	if (in == NULL || in->data == NULL || in->len == 0 || in->failed)
		return avec_err_set(err, "nothing to sign");
	if (in->len > INT32_MAX)
		return avec_err_set(err, "profile too large to sign");
	if ((chain = sk_X509_new_null()) == NULL) {
		ssl_err(err, "out of memory");
		goto out;
	}
	if (parse_certs(cert_pem, cert_len, &signer, chain, err) < 0 ||
	    (key = parse_key(key_pem, key_len, err)) == NULL)
		goto out;
	if (X509_check_private_key(signer, key) != 1) {
		ERR_clear_error();
		avec_err_set(err, "the signer key does not match its "
			     "certificate");
		goto out;
	}
	if ((data = BIO_new_mem_buf(in->data, (int)in->len)) == NULL) {
		ssl_err(err, "out of memory");
		goto out;
	}
	/* attached content, bytes as they are (no MIME canonicalisation) */
	cms = CMS_sign(signer, key, chain, data, CMS_BINARY);
	if (cms == NULL) {
		ssl_err(err, "cannot sign the profile");
		goto out;
	}
	if ((der = BIO_new(BIO_s_mem())) == NULL ||
	    i2d_CMS_bio(der, cms) <= 0 ||
	    BIO_get_mem_ptr(der, &bm) <= 0 || bm == NULL) {
		ssl_err(err, "cannot encode the signed profile");
		goto out;
	}
	avec_buf_append(out, bm->data, bm->length);
	if (avec_buf_failed(out)) {
		avec_err_set(err, "out of memory writing the signed profile");
		goto out;
	}
	rc = 0;
out:
	/* the signed data holds the profile's secret: wipe our copy */
	if (der != NULL && BIO_get_mem_ptr(der, &bm) > 0 && bm != NULL &&
	    bm->data != NULL)
		OPENSSL_cleanse(bm->data, bm->max);
	BIO_free(der);
	BIO_free(data);
	CMS_ContentInfo_free(cms);
	EVP_PKEY_free(key);
	X509_free(signer);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
