/*
 * ca.h - the appliance's own certificate authority.
 *
 * AVEC signs two kinds of certificates: the RADIUS server's (so that
 * devices can pin the appliance CA and the server's DNS name) and one
 * client certificate per EAP-TLS device (CN = the device username "dv-...",
 * found again at authentication time by its serial).  The CA lives in one
 * directory, mode 0700:
 *
 *   ca.pem  ca.key          the CA (EC P-256, self-signed, 10 years)
 *   server.pem server.key   the RADIUS server certificate (2 years)
 *   .lock                   serialises creation between processes
 *
 * Private keys are created with O_CREAT|O_EXCL and mode 0600, so they are
 * never readable by others, not even for a moment, and an existing key is
 * never overwritten.  Buffers that held key material are wiped before they
 * are freed.
 *
 * The interface hides OpenSSL's types: callers get paths, strings and
 * numbers.  Every fallible function returns 0 (or a pointer) on success and
 * -1 (or NULL) on failure with @err filled (err may be NULL).  Nothing here
 * logs, and no message ever holds a password or key.
 */
#ifndef AVEC_CA_H
#define AVEC_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "avec/err.h"
#include "avec/model.h"

#define AVEC_CA_CERT_FILE	"ca.pem"
#define AVEC_CA_KEY_FILE	"ca.key"
#define AVEC_CA_SERVER_CERT_FILE "server.pem"
#define AVEC_CA_SERVER_KEY_FILE	"server.key"

#define AVEC_CA_LIFETIME	(10 * 365 * 86400L + 2 * 86400L)	/* 10 y */
#define AVEC_CA_SERVER_LIFETIME	(2 * 365 * 86400L)			/* 2 y */
/* Longest client lifetime accepted (the CA's own life is the other bound). */
#define AVEC_CA_CLIENT_MAX_LIFETIME (5 * 366 * 86400L)
/* Longest common name / DNS name accepted. */
#define AVEC_CA_CN_MAX		64
/* PKCS#12 passwords: 1..AVEC_CA_P12_PASSWORD_MAX bytes. */
#define AVEC_CA_P12_PASSWORD_MAX 128

/* What callers learn about a certificate. */
struct avec_ca_certinfo {
	char subject[256];		/* RFC 2253, e.g. "CN=dv-...,O=AVEC" */
	char issuer[256];
	char serial[AVEC_SERIAL_MAX + 1];	/* lowercase hex, as FreeRADIUS */
	char fingerprint[AVEC_FINGERPRINT_MAX + 1]; /* SHA-256 of the DER */
	int64_t not_before;		/* Unix time */
	int64_t not_after;
};

/* Flags set by avec_ca_init() in *created. */
#define AVEC_CA_CREATED_CA	0x1
#define AVEC_CA_CREATED_SERVER	0x2

/*
 * avec_ca_init - make sure @dir holds a CA and, if @server_name is not
 * NULL, a server certificate; create what is missing, leave what exists.
 * @dir is created (0700) if missing.  Creation is serialised with other
 * processes by an exclusive lock on DIR/.lock, so concurrent first uses
 * create one CA.  A half-present pair (a key without its certificate or the
 * reverse) is reported, never repaired.
 * @server_name: DNS name for the server certificate's CN and SAN, or NULL.
 * @created: if not NULL, set to a mask of AVEC_CA_CREATED_*.
 * Returns: 0 or -1.
 */
int avec_ca_init(const char *dir, const char *server_name, unsigned *created,
		 struct avec_err *err);

/*
 * avec_ca_create - create a new CA in the existing directory @dir.
 * Refuses if ca.key or ca.pem already exists there.  No locking: callers
 * that may race use avec_ca_init().
 * Returns: 0 or -1 (nothing left behind on failure).
 */
int avec_ca_create(const char *dir, struct avec_err *err);

/* A loaded CA: its certificate and private key, owned by the handle. */
struct avec_ca;

/*
 * avec_ca_open - load DIR/ca.pem and DIR/ca.key and check they match.
 * Returns: a handle the caller frees with avec_ca_close(), or NULL.
 */
struct avec_ca *avec_ca_open(const char *dir, struct avec_err *err);
/* Wipe and free the CA's key and certificate.  NULL is allowed. */
void avec_ca_close(struct avec_ca *ca);
/* Fill @out about the CA certificate itself. */
int avec_ca_info(const struct avec_ca *ca, struct avec_ca_certinfo *out,
		 struct avec_err *err);

/*
 * avec_ca_issue_server - issue the RADIUS server certificate for
 * @dns_name (CN and SAN dNSName; EKU serverAuth) valid @lifetime seconds,
 * and write its key to @key_path (0600) and certificate to @cert_path
 * (0644).  Both files must not exist.
 * @info: filled on success when not NULL.
 * Returns: 0 or -1 (no file left behind on failure).
 */
int avec_ca_issue_server(struct avec_ca *ca, const char *dns_name,
			 int64_t lifetime, const char *cert_path,
			 const char *key_path, struct avec_ca_certinfo *info,
			 struct avec_err *err);

/* A device credential in memory: a fresh key and its certificate. */
struct avec_ca_cred;

/*
 * avec_ca_issue_client - generate an EC P-256 key for a device and sign a
 * client certificate for it: CN = @cn (1..AVEC_CA_CN_MAX bytes of
 * [A-Za-z0-9._@-]), EKU clientAuth, keyUsage digitalSignature, a serial of
 * 16 random bytes whose first byte is 0x01..0x7f (so that its hex is the
 * same with or without DER's sign rule).  Valid from one hour ago (device
 * clocks drift) for @lifetime seconds (1..AVEC_CA_CLIENT_MAX_LIFETIME),
 * never beyond the CA's own expiry.
 * @info: filled on success when not NULL.
 * Returns: a credential the caller frees with avec_ca_cred_free(), or NULL.
 */
struct avec_ca_cred *avec_ca_issue_client(struct avec_ca *ca, const char *cn,
					  int64_t lifetime,
					  struct avec_ca_certinfo *info,
					  struct avec_err *err);
/* Wipe and free a credential.  NULL is allowed. */
void avec_ca_cred_free(struct avec_ca_cred *cred);

/*
 * avec_ca_cred_write_pem - write the key (PKCS#8 PEM, 0600) to @key_path and
 * the certificate (PEM, 0644) to @cert_path.  Neither may exist.
 * Returns: 0 or -1 (no file left behind on failure).
 */
int avec_ca_cred_write_pem(const struct avec_ca_cred *cred,
			   const char *cert_path, const char *key_path,
			   struct avec_err *err);

/*
 * avec_ca_cred_write_p12 - write key, certificate and the CA certificate as
 * PKCS#12 (0600) to @path, which must not exist.  Encryption is PBES2:
 * PBKDF2-HMAC-SHA256 with AES-256-CBC for both the key and the
 * certificates, and the MAC is HMAC-SHA256: what OpenSSL 3, current
 * Android, iOS/macOS and Windows read; no RC2 or 3DES.
 * @password: 1..AVEC_CA_P12_PASSWORD_MAX bytes; the caller keeps and wipes
 * it.  @friendly_name: the bag's label (e.g. the device username), or NULL.
 * Returns: 0 or -1 (no file left behind on failure).
 */
int avec_ca_cred_write_p12(const struct avec_ca_cred *cred,
			   const struct avec_ca *ca, const char *path,
			   const char *password, const char *friendly_name,
			   struct avec_err *err);

/* Read the PEM certificate at @path and describe it. */
int avec_ca_certinfo_file(const char *path, struct avec_ca_certinfo *out,
			  struct avec_err *err);

/* True if @s is a common name avec_ca_issue_client() accepts. */
bool avec_ca_cn_valid(const char *s);

/*
 * avec_ca_cred_p12 - the PKCS#12 of avec_ca_cred_write_p12(), in memory
 * (same contents, same encryption), for profiles that embed it.
 * @der: set to a malloc'd block of @len bytes that the caller wipes
 * (avec_secret_wipe) and frees: it holds the device's private key.
 * Returns: 0 or -1 (*der NULL).
 */
int avec_ca_cred_p12(const struct avec_ca_cred *cred, const struct avec_ca *ca,
		     const char *password, const char *friendly_name,
		     unsigned char **der, size_t *len, struct avec_err *err);

/*
 * avec_ca_cert_der - the DER of the CA certificate, for profiles.
 * @der: set to a malloc'd block of @len bytes; the caller frees it.
 * Returns: 0 or -1 (*der NULL).
 */
int avec_ca_cert_der(const struct avec_ca *ca, unsigned char **der,
		     size_t *len, struct avec_err *err);
/*
 * avec_ca_cert_der_file - the DER of the first certificate in the PEM file
 * @path (ca.pem: the portal has the certificate, not the key).
 * @der: set to a malloc'd block of @len bytes; the caller frees it.
 * Returns: 0 or -1 (*der NULL).
 */
int avec_ca_cert_der_file(const char *path, unsigned char **der, size_t *len,
			  struct avec_err *err);

#endif
