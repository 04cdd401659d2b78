/*
 * ca.c - the appliance CA: keys, certificates and PKCS#12 files.
 *
 * This file owns everything AVEC does with OpenSSL's X.509 machinery: it
 * generates EC P-256 keys, builds and signs the CA, server and device
 * certificates with the extensions each needs, writes keys and PKCS#12
 * files, and describes certificates (serial, fingerprint, subject, dates)
 * in the exact forms the store and FreeRADIUS use.
 *
 * It must never:
 *  - overwrite a file: every output is created with O_CREAT|O_EXCL, and a
 *    file it created is unlinked again if a later step fails;
 *  - let a private key be readable by others, even briefly: key files are
 *    born 0600 (never chmod-ed down afterwards), the CA directory is 0700;
 *  - leave key material in memory it frees: keys are encoded into memory
 *    BIOs that are wiped (OPENSSL_cleanse) before being freed, and keys
 *    are read through a buffer that is wiped the same way;
 *  - log, or put a password or a key in an error message.
 * It uses only OpenSSL 3's non-deprecated EVP and X509 interfaces.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "avec/ident.h"
#include "ca.h"

#define SERIAL_BYTES	16
#define BACKDATE	3600		/* device clocks drift */
#define KEY_FILE_MAX	(64 * 1024)	/* a PEM key is a few hundred bytes */
#define P12_ITER	PKCS12_DEFAULT_ITER	/* 2048, as openssl pkcs12 */
#define ORG_NAME	"AVEC"
#define LOCK_FILE	".lock"

struct avec_ca {
	X509 *cert;
	EVP_PKEY *key;
	int64_t not_after;
};

struct avec_ca_cred {
	X509 *cert;
	EVP_PKEY *key;
};

/* One X.509v3 extension in OpenSSL's configuration syntax. */
struct ext {
	int nid;
	const char *value;
};

static const struct ext ca_exts[] = {
	{ NID_basic_constraints, "critical,CA:TRUE" },
	{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
};

static const struct ext client_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "clientAuth" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
};

/* The server's SAN is added separately: it depends on the name. */
static const struct ext server_exts[] = {
	{ NID_basic_constraints, "critical,CA:FALSE" },
	{ NID_key_usage, "critical,digitalSignature" },
	{ NID_ext_key_usage, "serverAuth" },
	{ NID_subject_key_identifier, "hash" },
	{ NID_authority_key_identifier, "keyid:always" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Fill @err with @what and OpenSSL's oldest queued error; clear the queue. */
static int
ssl_err(struct avec_err *err, const char *what)
{
	unsigned long e = ERR_get_error();
	const char *reason;

	if (e == 0)
		return avec_err_set(err, "%s", what);
	reason = ERR_reason_error_string(e);
	ERR_clear_error();
	if (reason != NULL)
		return avec_err_set(err, "%s: %s", what, reason);
	return avec_err_set(err, "%s: OpenSSL error %lx", what, e);
}

static int
join_path(char *out, size_t outlen, const char *dir, const char *file,
	  struct avec_err *err)
{
	int n = snprintf(out, outlen, "%s/%s", dir, file);

	if (n < 0 || (size_t)n >= outlen)
		return avec_err_set(err, "path too long: %s/%s", dir, file);
	return 0;
}

static void
hex_lower(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

bool
avec_ca_cn_valid(const char *s)
{
	size_t i, len;

	if (s == NULL)
		return false;
	len = strlen(s);
	if (len == 0 || len > AVEC_CA_CN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '-'))
			return false;
	}
	return true;
}

/*
 * write_new_file - create @path (which must not exist) with @mode and write
 * @len bytes to it, synced.  On failure nothing is left at @path.
 */
static int
write_new_file(const char *path, const void *data, size_t len, mode_t mode,
	       struct avec_err *err)
{
	const unsigned char *p = data;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return avec_err_set(err, "%s already exists; "
					    "refusing to overwrite it", path);
		return avec_err_set(err, "cannot create %s: %s", path,
				    strerror(errno));
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	return avec_err_set(err, "cannot write %s: %s", path, strerror(saved));
}

/* Wipe a memory BIO's contents, then free it.  NULL is allowed. */
static void
bio_free_wiped(BIO *b)
{
	BUF_MEM *bm = NULL;

	if (b == NULL)
		return;
	if (BIO_get_mem_ptr(b, &bm) > 0 && bm != NULL && bm->data != NULL)
		OPENSSL_cleanse(bm->data, bm->max);
	BIO_free(b);
}

/* Write a memory BIO's contents to a new file. */
static int
write_bio_file(BIO *b, const char *path, mode_t mode, struct avec_err *err)
{
	BUF_MEM *bm = NULL;

	if (BIO_get_mem_ptr(b, &bm) <= 0 || bm == NULL)
		return avec_err_set(err, "cannot encode %s", path);
	return write_new_file(path, bm->data, bm->length, mode, err);
}

static int
write_key_file(EVP_PKEY *key, const char *path, struct avec_err *err)
{
	BIO *b;
	int rc = -1;

	b = BIO_new(BIO_s_secmem());
	if (b == NULL) {
		ssl_err(err, "cannot allocate a buffer");
		goto out;
	}
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) {
		ssl_err(err, "cannot encode a private key");
		goto out;
	}
	rc = write_bio_file(b, path, 0600, err);
out:
	bio_free_wiped(b);
	return rc;
}

static int
write_cert_file(X509 *x, const char *path, struct avec_err *err)
{
	BIO *b;
	int rc = -1;

	b = BIO_new(BIO_s_mem());
	if (b == NULL) {
		ssl_err(err, "cannot allocate a buffer");
		goto out;
	}
	if (!PEM_write_bio_X509(b, x)) {
		ssl_err(err, "cannot encode a certificate");
		goto out;
	}
	rc = write_bio_file(b, path, 0644, err);
out:
	BIO_free(b);
	return rc;
}

/*
 * write_pair - the key first (0600), then the certificate; if the second
 * write fails, the key written by the first is removed.
 */
static int
write_pair(EVP_PKEY *key, X509 *x, const char *cert_path,
	   const char *key_path, struct avec_err *err)
{
	if (write_key_file(key, key_path, err) < 0)
		return -1;
	if (write_cert_file(x, cert_path, err) < 0) {
		unlink(key_path);
		return -1;
	}
	return 0;
}

/*
 * read_small_file - read a whole regular file into a new buffer (NUL
 * terminated), which the caller wipes and frees.  @private refuses a file
 * that group or others can read.
 */
static int
read_small_file(const char *path, bool private, char **out, size_t *outlen,
		struct avec_err *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return avec_err_set(err, "cannot open %s: %s", path,
				    strerror(errno));
	if (fstat(fd, &sb) < 0) {
		avec_err_set(err, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > KEY_FILE_MAX) {
		avec_err_set(err, "%s is not a key or certificate file", path);
		goto out;
	}
	if (private && (sb.st_mode & 077) != 0) {
		avec_err_set(err, "%s is accessible to other users (mode %04o); "
			     "it must be 0600", path,
			     (unsigned)(sb.st_mode & 07777));
		goto out;
	}
	buf = OPENSSL_zalloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		avec_err_set(err, "out of memory reading %s", path);
		goto out;
	}
	while (len < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			avec_err_set(err, "cannot read %s: %s", path,
				     strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, (size_t)sb.st_size + 1);
	close(fd);
	return rc;
}

/*
 * Read the PEM file at @path and parse one object from it: a certificate,
 * or (@key) a private key, whose file buffer is read and wiped as a
 * secret.  The caller frees the object.  NULL with @err set.
 */
static void *
read_pem_file(const char *path, bool key, struct avec_err *err)
{
	char what[PATH_MAX + 64];
	void *obj = NULL;
	char *buf = NULL;
	size_t len = 0;
	BIO *b;

	if (read_small_file(path, key, &buf, &len, err) < 0)
		return NULL;
	b = BIO_new_mem_buf(buf, (int)len);
	if (b == NULL) {
		ssl_err(err, "cannot allocate a buffer");
		goto out;
	}
	/* No passphrase callback: a prompt would hang a daemon. */
	obj = key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") :
	    (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (obj == NULL) {
		snprintf(what, sizeof(what), "%s holds no %s", path,
			 key ? "usable private key" : "PEM certificate");
		ssl_err(err, what);
	}
out:
	BIO_free(b);
	if (key)
		OPENSSL_clear_free(buf, len + 1);
	else
		OPENSSL_free(buf);
	return obj;
}

static X509 *
read_cert_file(const char *path, struct avec_err *err)
{
	return read_pem_file(path, false, err);
}

static EVP_PKEY *
read_key_file(const char *path, struct avec_err *err)
{
	return read_pem_file(path, true, err);
}

static EVP_PKEY *
new_key(struct avec_err *err)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (k == NULL)
		ssl_err(err, "cannot generate an EC P-256 key");
	return k;
}

/* 16 random bytes, the first in 0x01..0x7f: positive, and no DER padding. */
static int
set_random_serial(X509 *x, struct avec_err *err)
{
	unsigned char b[SERIAL_BYTES];
	ASN1_INTEGER *ai = NULL;
	int rc = -1;

	if (RAND_bytes(b, sizeof(b)) != 1) {
		ssl_err(err, "the random source failed");
		goto out;
	}
	b[0] &= 0x7f;
	if (b[0] == 0)
		b[0] = 0x01;
	ai = ASN1_INTEGER_new();
	if (ai == NULL || !ASN1_STRING_set(ai, b, sizeof(b)) ||
	    !X509_set_serialNumber(x, ai)) {
		ssl_err(err, "cannot set a certificate serial");
		goto out;
	}
	rc = 0;
out:
	ASN1_INTEGER_free(ai);
	return rc;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value,
	struct avec_err *err)
{
	X509_EXTENSION *e;
	int ok;

	e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	if (e == NULL) {
		char what[128];
		snprintf(what, sizeof(what), "cannot build extension %s",
			 OBJ_nid2sn(nid));
		return ssl_err(err, what);
	}
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (!ok)
		return ssl_err(err, "cannot add an extension");
	return 0;
}

/*
 * build_cert - a signed X.509v3 certificate for @key with subject
 * O=AVEC, CN=@cn, valid [@not_before, @not_after], carrying @exts (and a
 * SAN dNSName when @dns_name is not NULL).  Signed by @issuer_key with
 * @issuer's name, or self-signed when @issuer is NULL.
 * Returns: a certificate the caller frees with X509_free(), or NULL.
 */
static X509 *
build_cert(EVP_PKEY *key, const char *cn, int64_t not_before,
	   int64_t not_after, const struct ext *exts, size_t nexts,
	   const char *dns_name, X509 *issuer, EVP_PKEY *issuer_key,
	   struct avec_err *err)
{
	X509 *x = NULL;
	X509_NAME *name = NULL;
	X509V3_CTX ctx;
	size_t i;

	x = X509_new();
	name = X509_NAME_new();
	if (x == NULL || name == NULL) {
		ssl_err(err, "out of memory building a certificate");
		goto fail;
	}
	if (set_random_serial(x, err) < 0)
		goto fail;
	if (!X509_set_version(x, X509_VERSION_3) ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					(const unsigned char *)ORG_NAME,
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ?
				  X509_get_subject_name(issuer) : name) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) == NULL ||
	    !X509_set_pubkey(x, key)) {
		ssl_err(err, "cannot build the certificate");
		goto fail;
	}

	/* SKI before AKI: a self-signed AKI copies the subject's own SKI. */
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	for (i = 0; i < nexts; i++)
		if (add_ext(x, &ctx, exts[i].nid, exts[i].value, err) < 0)
			goto fail;
	if (dns_name != NULL) {
		char san[AVEC_DNS_NAME_MAX + 8];
		snprintf(san, sizeof(san), "DNS:%s", dns_name);
		if (add_ext(x, &ctx, NID_subject_alt_name, san, err) < 0)
			goto fail;
	}
	if (X509_sign(x, issuer_key, EVP_sha256()) <= 0) {
		ssl_err(err, "cannot sign the certificate");
		goto fail;
	}
	X509_NAME_free(name);
	return x;
fail:
	X509_NAME_free(name);
	X509_free(x);
	return NULL;
}

static int64_t
asn1_time_unix(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void
name_text(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
		n = BIO_read(b, out, (int)outlen - 1);
		if (n < 0)
			n = 0;
	}
	out[n] = '\0';
	BIO_free(b);
}

static int
certinfo(const X509 *x, struct avec_ca_certinfo *out, struct avec_err *err)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int snlen;

	memset(out, 0, sizeof(*out));
	name_text(X509_get_subject_name(x), out->subject, sizeof(out->subject));
	name_text(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
	snlen = sn != NULL ? ASN1_STRING_length(sn) : 0;
	if (snlen <= 0 || (size_t)snlen * 2 > AVEC_SERIAL_MAX)
		return avec_err_set(err, "certificate serial of %d bytes is "
				    "not one AVEC can record", snlen);
	/* As FreeRADIUS prints TLS-Client-Cert-Serial: the integer's bytes. */
	hex_lower(ASN1_STRING_get0_data(sn), (size_t)snlen, out->serial);
	if (!X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
		return ssl_err(err, "cannot compute the certificate fingerprint");
	hex_lower(md, mdlen, out->fingerprint);
	out->not_before = asn1_time_unix(X509_get0_notBefore(x));
	out->not_after = asn1_time_unix(X509_get0_notAfter(x));
	return 0;
}

int
avec_ca_certinfo_file(const char *path, struct avec_ca_certinfo *out,
		      struct avec_err *err)
{
	X509 *x = read_cert_file(path, err);
	int rc;

	if (x == NULL)
		return -1;
	rc = certinfo(x, out, err);
	X509_free(x);
	return rc;
}

int
avec_ca_create(const char *dir, struct avec_err *err)
{
	char key_path[PATH_MAX], cert_path[PATH_MAX], cn[AVEC_CA_CN_MAX + 1];
	unsigned char tag[4];
	char taghex[2 * sizeof(tag) + 1];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	struct stat sb;
	int64_t now = (int64_t)time(NULL);
	int rc = -1;

	if (join_path(key_path, sizeof(key_path), dir, AVEC_CA_KEY_FILE,
		      err) < 0 ||
	    join_path(cert_path, sizeof(cert_path), dir, AVEC_CA_CERT_FILE,
		      err) < 0)
		return -1;
	if (lstat(key_path, &sb) == 0 || lstat(cert_path, &sb) == 0)
		return avec_err_set(err, "a CA already exists in %s; "
				    "refusing to overwrite it", dir);
	/* A per-appliance tag tells devices' CA lists apart. */
	if (RAND_bytes(tag, sizeof(tag)) != 1)
		return ssl_err(err, "the random source failed");
	hex_lower(tag, sizeof(tag), taghex);
	snprintf(cn, sizeof(cn), "AVEC appliance CA %s", taghex);

	if ((key = new_key(err)) == NULL)
		goto out;
	x = build_cert(key, cn, now - BACKDATE, now + AVEC_CA_LIFETIME,
		       ca_exts, NELEM(ca_exts), NULL, NULL, key, err);
	if (x == NULL)
		goto out;
	rc = write_pair(key, x, cert_path, key_path, err);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

struct avec_ca *
avec_ca_open(const char *dir, struct avec_err *err)
{
	char key_path[PATH_MAX], cert_path[PATH_MAX];
	struct avec_ca *ca;

	if (join_path(key_path, sizeof(key_path), dir, AVEC_CA_KEY_FILE,
		      err) < 0 ||
	    join_path(cert_path, sizeof(cert_path), dir, AVEC_CA_CERT_FILE,
		      err) < 0)
		return NULL;
	ca = OPENSSL_zalloc(sizeof(*ca));
	if (ca == NULL) {
		avec_err_set(err, "out of memory");
		return NULL;
	}
	if ((ca->cert = read_cert_file(cert_path, err)) == NULL)
		goto fail;
	if ((ca->key = read_key_file(key_path, err)) == NULL)
		goto fail;
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		ERR_clear_error();
		avec_err_set(err, "%s does not match %s", key_path, cert_path);
		goto fail;
	}
	if (X509_check_ca(ca->cert) == 0) {
		avec_err_set(err, "%s is not a CA certificate", cert_path);
		goto fail;
	}
	ca->not_after = asn1_time_unix(X509_get0_notAfter(ca->cert));
	return ca;
fail:
	avec_ca_close(ca);
	return NULL;
}

void
avec_ca_close(struct avec_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	OPENSSL_free(ca);
}

int
avec_ca_info(const struct avec_ca *ca, struct avec_ca_certinfo *out,
	     struct avec_err *err)
{
	return certinfo(ca->cert, out, err);
}

/* The end of a new certificate's life: now + lifetime, capped by the CA's. */
static int
cert_not_after(const struct avec_ca *ca, int64_t now, int64_t lifetime,
	       int64_t *out, struct avec_err *err)
{
	if (ca->not_after <= now)
		return avec_err_set(err, "the CA certificate has expired");
	*out = now + lifetime;
	if (*out > ca->not_after)
		*out = ca->not_after;
	return 0;
}

int
avec_ca_issue_server(struct avec_ca *ca, const char *dns_name,
		     int64_t lifetime, const char *cert_path,
		     const char *key_path, struct avec_ca_certinfo *info,
		     struct avec_err *err)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int64_t now = (int64_t)time(NULL), not_after = 0;
	int rc = -1;

	if (!avec_dns_name_valid(dns_name))
		return avec_err_set(err, "invalid server name: expected a DNS "
				    "name such as radius.lycee.example");
	if (lifetime <= 0 || lifetime > AVEC_CA_LIFETIME)
		return avec_err_set(err, "invalid server certificate lifetime");
	if (cert_not_after(ca, now, lifetime, &not_after, err) < 0)
		return -1;
	if ((key = new_key(err)) == NULL)
		goto out;
	x = build_cert(key, dns_name, now - BACKDATE, not_after, server_exts,
		       NELEM(server_exts), dns_name, ca->cert, ca->key, err);
	if (x == NULL)
		goto out;
	if (info != NULL && certinfo(x, info, err) < 0)
		goto out;
	rc = write_pair(key, x, cert_path, key_path, err);
out:
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

struct avec_ca_cred *
avec_ca_issue_client(struct avec_ca *ca, const char *cn, int64_t lifetime,
		     struct avec_ca_certinfo *info, struct avec_err *err)
{
	struct avec_ca_cred *cred = NULL;
	int64_t now = (int64_t)time(NULL), not_after = 0;

	if (!avec_ca_cn_valid(cn)) {
		avec_err_set(err, "invalid certificate name: expected 1 to %d "
			     "characters of [A-Za-z0-9._@-]", AVEC_CA_CN_MAX);
		return NULL;
	}
	if (lifetime <= 0 || lifetime > AVEC_CA_CLIENT_MAX_LIFETIME) {
		avec_err_set(err, "invalid certificate lifetime %lld s: "
			     "expected 1 to %ld", (long long)lifetime,
			     (long)AVEC_CA_CLIENT_MAX_LIFETIME);
		return NULL;
	}
	if (cert_not_after(ca, now, lifetime, &not_after, err) < 0)
		return NULL;
	cred = OPENSSL_zalloc(sizeof(*cred));
	if (cred == NULL) {
		avec_err_set(err, "out of memory");
		return NULL;
	}
	if ((cred->key = new_key(err)) == NULL)
		goto fail;
	cred->cert = build_cert(cred->key, cn, now - BACKDATE, not_after,
				client_exts, NELEM(client_exts), NULL,
				ca->cert, ca->key, err);
	if (cred->cert == NULL)
		goto fail;
	if (info != NULL && certinfo(cred->cert, info, err) < 0)
		goto fail;
	return cred;
fail:
	avec_ca_cred_free(cred);
	return NULL;
}

void
avec_ca_cred_free(struct avec_ca_cred *cred)
{
	if (cred == NULL)
		return;
	EVP_PKEY_free(cred->key);
	X509_free(cred->cert);
	OPENSSL_free(cred);
}

int
avec_ca_cred_write_pem(const struct avec_ca_cred *cred, const char *cert_path,
		       const char *key_path, struct avec_err *err)
{
	return write_pair(cred->key, cred->cert, cert_path, key_path, err);
}

int
avec_ca_cred_p12(const struct avec_ca_cred *cred, const struct avec_ca *ca,
		 const char *password, const char *friendly_name,
		 unsigned char **der, size_t *len, struct avec_err *err)
{
	STACK_OF(X509) *chain = NULL;
	PKCS12 *p12 = NULL;
	BUF_MEM *bm = NULL;
	BIO *b = NULL;
	size_t pwlen;
	int rc = -1;

	*der = NULL;
	*len = 0;
	pwlen = password != NULL ? strlen(password) : 0;
	if (pwlen == 0 || pwlen > AVEC_CA_P12_PASSWORD_MAX)
		return avec_err_set(err, "a PKCS#12 password needs 1 to %d "
				    "bytes", AVEC_CA_P12_PASSWORD_MAX);
	chain = sk_X509_new_null();
	if (chain == NULL || !sk_X509_push(chain, ca->cert)) {
		ssl_err(err, "out of memory");
		goto out;
	}
	/* No MAC here (mac_iter -1): it is added below with SHA-256. */
	p12 = PKCS12_create_ex(password, friendly_name, cred->key, cred->cert,
			       chain, NID_aes_256_cbc, NID_aes_256_cbc,
			       P12_ITER, -1, 0, NULL, NULL);
	if (p12 == NULL) {
		ssl_err(err, "cannot build the PKCS#12 file");
		goto out;
	}
	if (!PKCS12_set_mac(p12, password, -1, NULL, 0, P12_ITER,
			    EVP_sha256())) {
		ssl_err(err, "cannot add the PKCS#12 MAC");
		goto out;
	}
	b = BIO_new(BIO_s_secmem());
	if (b == NULL || i2d_PKCS12_bio(b, p12) <= 0 ||
	    BIO_get_mem_ptr(b, &bm) <= 0 || bm == NULL || bm->length == 0) {
		ssl_err(err, "cannot encode the PKCS#12 file");
		goto out;
	}
	if ((*der = malloc(bm->length)) == NULL) {
		avec_err_set(err, "out of memory");
		goto out;
	}
	memcpy(*der, bm->data, bm->length);
	*len = bm->length;
	rc = 0;
out:
	bio_free_wiped(b);
	PKCS12_free(p12);
	sk_X509_free(chain);	/* the CA keeps its certificate */
	return rc;
}

int
avec_ca_cred_write_p12(const struct avec_ca_cred *cred,
		       const struct avec_ca *ca, const char *path,
		       const char *password, const char *friendly_name,
		       struct avec_err *err)
{
	unsigned char *der;
	size_t len;
	int rc;

	if (avec_ca_cred_p12(cred, ca, password, friendly_name, &der, &len,
			     err) < 0)
		return -1;
	rc = write_new_file(path, der, len, 0600, err);
	OPENSSL_cleanse(der, len);
	free(der);
	return rc;
}

/* ---- certificates as DER, for the device profiles ---- */

/* The DER of @x in a malloc'd block. */
static int
cert_der(X509 *x, unsigned char **der, size_t *len, struct avec_err *err)
{
	unsigned char *p;
	int n;

	*der = NULL;
	*len = 0;
	if ((n = i2d_X509(x, NULL)) <= 0)
		return ssl_err(err, "cannot encode a certificate");
	if ((*der = malloc((size_t)n)) == NULL)
		return avec_err_set(err, "out of memory");
	p = *der;
	if (i2d_X509(x, &p) != n) {
		free(*der);
		*der = NULL;
		return ssl_err(err, "cannot encode a certificate");
	}
	*len = (size_t)n;
	return 0;
}

int
avec_ca_cert_der(const struct avec_ca *ca, unsigned char **der, size_t *len,
		 struct avec_err *err)
{
	return cert_der(ca->cert, der, len, err);
}

int
avec_ca_cert_der_file(const char *path, unsigned char **der, size_t *len,
		      struct avec_err *err)
{
	X509 *x;
	int rc;

	*der = NULL;
	*len = 0;
	if ((x = read_cert_file(path, err)) == NULL)
		return -1;
	rc = cert_der(x, der, len, err);
	X509_free(x);
	return rc;
}

/* ---- the CA directory ---- */

/* Make @dir exist as a directory that only its owner can enter. */
static int
ca_dir_prepare(const char *dir, struct avec_err *err)
{
	struct stat sb;

	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno != EEXIST)
		return avec_err_set(err, "cannot create %s: %s", dir,
				    strerror(errno));
	if (stat(dir, &sb) < 0)
		return avec_err_set(err, "cannot stat %s: %s", dir,
				    strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return avec_err_set(err, "%s is not a directory", dir);
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) < 0)
		return avec_err_set(err, "%s is open to other users and "
				    "cannot be made 0700: %s", dir,
				    strerror(errno));
	return 0;
}

/* 1 if @path exists, 0 if not, -1 on another error. */
static int
exists(const char *path, struct avec_err *err)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return avec_err_set(err, "cannot stat %s: %s", path, strerror(errno));
}

/* Both files present: 1; both absent: 0; one of them, or an error: -1. */
static int
pair_state(const char *dir, const char *cert_file, const char *key_file,
	   struct avec_err *err)
{
	char cp[PATH_MAX], kp[PATH_MAX];
	int c, k;

	if (join_path(cp, sizeof(cp), dir, cert_file, err) < 0 ||
	    join_path(kp, sizeof(kp), dir, key_file, err) < 0)
		return -1;
	if ((c = exists(cp, err)) < 0 || (k = exists(kp, err)) < 0)
		return -1;
	if (c != k)
		return avec_err_set(err, "%s holds %s without %s; restore the "
				    "missing file or move the directory away",
				    dir, c ? cert_file : key_file,
				    c ? key_file : cert_file);
	return c;
}

int
avec_ca_init(const char *dir, const char *server_name, unsigned *created,
	     struct avec_err *err)
{
	char lock_path[PATH_MAX], cp[PATH_MAX], kp[PATH_MAX];
	struct avec_ca *ca = NULL;
	int fd = -1, st, rc = -1;

	if (created != NULL)
		*created = 0;
	if (server_name != NULL && !avec_dns_name_valid(server_name))
		return avec_err_set(err, "invalid server name: expected a DNS "
				    "name such as radius.lycee.example");
	if (ca_dir_prepare(dir, err) < 0)
		return -1;
	if (join_path(lock_path, sizeof(lock_path), dir, LOCK_FILE, err) < 0)
		return -1;
	fd = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return avec_err_set(err, "cannot open %s: %s", lock_path,
				    strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			avec_err_set(err, "cannot lock %s: %s", lock_path,
				     strerror(errno));
			goto out;
		}
	}

	if ((st = pair_state(dir, AVEC_CA_CERT_FILE, AVEC_CA_KEY_FILE,
			     err)) < 0)
		goto out;
	if (st == 0) {
		if (avec_ca_create(dir, err) < 0)
			goto out;
		if (created != NULL)
			*created |= AVEC_CA_CREATED_CA;
	}
	if (server_name != NULL) {
		if ((st = pair_state(dir, AVEC_CA_SERVER_CERT_FILE,
				     AVEC_CA_SERVER_KEY_FILE, err)) < 0)
			goto out;
		if (st == 0) {
			if (join_path(cp, sizeof(cp), dir,
				      AVEC_CA_SERVER_CERT_FILE, err) < 0 ||
			    join_path(kp, sizeof(kp), dir,
				      AVEC_CA_SERVER_KEY_FILE, err) < 0)
				goto out;
			if ((ca = avec_ca_open(dir, err)) == NULL)
				goto out;
			if (avec_ca_issue_server(ca, server_name,
						 AVEC_CA_SERVER_LIFETIME, cp,
						 kp, NULL, err) < 0)
				goto out;
			if (created != NULL)
				*created |= AVEC_CA_CREATED_SERVER;
		}
	}
	rc = 0;
out:
	avec_ca_close(ca);
	close(fd);		/* releases the lock */
	return rc;
}
