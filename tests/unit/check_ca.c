/*
 * check_ca.c - the appliance CA (provisioning/ca/ca.c): what it signs, how
 * its files are protected, and what it refuses.  Certificates are checked
 * with OpenSSL itself (X509_verify_cert, PKCS12_parse), never with ca.c's
 * own helpers, so a bug cannot confirm itself.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../provisioning/ca/ca.h"
#include "avec/ident.h"
#include "unit.h"

Suite *ca_suite(void);

#define CLIENT_CN	"dv-abcdefghijklmnop"
#define DAY		86400

/* A directory of its own for this test, holding a CA (and server cert). */
static const char *
new_ca_dir(const char *name, const char *server)
{
	struct avec_err err = { "" };
	const char *dir = unit_path(name);
	static char copy[512];

	snprintf(copy, sizeof(copy), "%s", dir);
	ck_assert_msg(avec_ca_init(copy, server, NULL, &err) == 0, "init: %s",
		      err.msg);
	return copy;
}

static char *
path_in(const char *dir, const char *file)
{
	static char bufs[4][1024];
	static int n;
	char *p = bufs[n++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, file);
	return p;
}

static X509 *
load_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	ck_assert_msg(f != NULL, "open %s", path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_msg(x != NULL, "no certificate in %s", path);
	return x;
}

static EVP_PKEY *
load_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	ck_assert_msg(f != NULL, "open %s", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_msg(k != NULL, "no key in %s", path);
	return k;
}

static unsigned
file_mode(const char *path)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return (unsigned)(sb.st_mode & 07777);
}

static size_t
read_all(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_msg(f != NULL, "open %s", path);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

/* X509_verify_cert of @x against @ca alone, for @purpose. */
static int
verify(X509 *ca, X509 *x, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;

	ck_assert_ptr_nonnull(store);
	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
	ck_assert_int_eq(X509_STORE_CTX_init(ctx, store, x, NULL), 1);
	ck_assert_int_eq(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static void
hex(const unsigned char *in, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
	out[2 * len] = '\0';
}

START_TEST(ca_certificate)
{
	const char *dir = new_ca_dir("ca1", NULL);
	X509 *ca = load_cert(path_in(dir, AVEC_CA_CERT_FILE));
	EVP_PKEY *key = load_key(path_in(dir, AVEC_CA_KEY_FILE));
	BASIC_CONSTRAINTS *bc;
	int crit = -1;

	/* self-signed, a CA, with the key in ca.key */
	ck_assert_int_eq(X509_check_private_key(ca, key), 1);
	ck_assert_int_eq(verify(ca, ca, X509_PURPOSE_ANY), 1);
	bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	ck_assert_ptr_nonnull(bc);
	ck_assert_int_ne(bc->ca, 0);
	ck_assert_int_eq(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	ck_assert_uint_eq(X509_get_key_usage(ca) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN),
			  KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	ck_assert_ptr_nonnull(X509_get0_subject_key_id(ca));
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(ca));
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(X509_get0_subject_key_id(ca),
					       X509_get0_authority_key_id(ca)), 0);
	/* EC P-256, about ten years */
	ck_assert_int_eq(EVP_PKEY_get_base_id(key), EVP_PKEY_EC);
	ck_assert_int_eq(EVP_PKEY_get_bits(key), 256);
	{
		struct avec_ca_certinfo i;
		struct avec_err err = { "" };

		ck_assert_int_eq(avec_ca_certinfo_file(path_in(dir, AVEC_CA_CERT_FILE),
						       &i, &err), 0);
		ck_assert_int_ge(i.not_after - i.not_before, 10 * 365 * DAY);
		ck_assert_int_le(i.not_after - i.not_before, 10 * 366 * DAY);
		ck_assert_ptr_nonnull(strstr(i.subject, "AVEC"));
		ck_assert_str_eq(i.subject, i.issuer);
	}
	X509_free(ca);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(file_and_directory_modes)
{
	const char *dir = new_ca_dir("ca2", "radius.test");

	ck_assert_uint_eq(file_mode(dir), 0700);
	ck_assert_uint_eq(file_mode(path_in(dir, AVEC_CA_KEY_FILE)), 0600);
	ck_assert_uint_eq(file_mode(path_in(dir, AVEC_CA_SERVER_KEY_FILE)), 0600);
	ck_assert_uint_eq(file_mode(path_in(dir, AVEC_CA_CERT_FILE)) & 0022, 0);
}
END_TEST

START_TEST(init_is_idempotent)
{
	struct avec_err err = { "" };
	char before[4096], after[4096], dir[512];
	unsigned created = 99;

	snprintf(dir, sizeof(dir), "%s", unit_path("ca3"));
	ck_assert_int_eq(avec_ca_init(dir, "radius.test", &created, &err), 0);
	ck_assert_uint_eq(created, AVEC_CA_CREATED_CA | AVEC_CA_CREATED_SERVER);
	read_all(path_in(dir, AVEC_CA_KEY_FILE), before, sizeof(before));
	ck_assert_int_eq(avec_ca_init(dir, "other.test", &created, &err), 0);
	ck_assert_uint_eq(created, 0);
	read_all(path_in(dir, AVEC_CA_KEY_FILE), after, sizeof(after));
	ck_assert_str_eq(before, after);
	/* a lone key without its certificate is reported, not repaired */
	ck_assert_int_eq(unlink(path_in(dir, AVEC_CA_SERVER_CERT_FILE)), 0);
	ck_assert_int_eq(avec_ca_init(dir, "radius.test", &created, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, AVEC_CA_SERVER_CERT_FILE));
}
END_TEST

START_TEST(concurrent_init_makes_one_ca)
{
	char dir[512], fp0[AVEC_FINGERPRINT_MAX + 1] = "";
	int i, status, created_ca = 0;
	pid_t pids[6];

	snprintf(dir, sizeof(dir), "%s", unit_path("ca4"));
	for (i = 0; i < 6; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			unsigned created = 0;
			if (avec_ca_init(dir, "radius.test", &created, NULL) < 0)
				_exit(2);
			_exit((created & AVEC_CA_CREATED_CA) ? 1 : 0);
		}
	}
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		ck_assert_int_ne(WEXITSTATUS(status), 2);
		created_ca += WEXITSTATUS(status);
	}
	ck_assert_int_eq(created_ca, 1);
	{
		struct avec_ca *ca = avec_ca_open(dir, NULL);
		struct avec_ca_certinfo i1, i2;

		ck_assert_ptr_nonnull(ca);
		ck_assert_int_eq(avec_ca_info(ca, &i1, NULL), 0);
		ck_assert_int_eq(avec_ca_certinfo_file(path_in(dir, AVEC_CA_SERVER_CERT_FILE),
						       &i2, NULL), 0);
		ck_assert_str_eq(i2.issuer, i1.subject);
		snprintf(fp0, sizeof(fp0), "%s", i1.fingerprint);
		ck_assert_int_eq((int)strlen(fp0), 64);
		avec_ca_close(ca);
	}
}
END_TEST

START_TEST(server_certificate)
{
	const char *dir = new_ca_dir("ca5", "radius.lycee.example");
	X509 *ca = load_cert(path_in(dir, AVEC_CA_CERT_FILE));
	X509 *srv = load_cert(path_in(dir, AVEC_CA_SERVER_CERT_FILE));
	EVP_PKEY *key = load_key(path_in(dir, AVEC_CA_SERVER_KEY_FILE));
	GENERAL_NAMES *san;
	GENERAL_NAME *gn;
	int type;
	ASN1_STRING *s;
	struct avec_ca_certinfo i;

	ck_assert_int_eq(X509_check_private_key(srv, key), 1);
	ck_assert_int_eq(verify(ca, srv, X509_PURPOSE_SSL_SERVER), 1);
	ck_assert_uint_ne(X509_get_extended_key_usage(srv) & XKU_SSL_SERVER, 0);
	ck_assert_int_eq(X509_check_ca(srv), 0);
	san = X509_get_ext_d2i(srv, NID_subject_alt_name, NULL, NULL);
	ck_assert_ptr_nonnull(san);
	ck_assert_int_eq(sk_GENERAL_NAME_num(san), 1);
	gn = sk_GENERAL_NAME_value(san, 0);
	s = GENERAL_NAME_get0_value(gn, &type);
	ck_assert_int_eq(type, GEN_DNS);
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(s),
			 "radius.lycee.example");
	GENERAL_NAMES_free(san);
	ck_assert_int_eq(X509_check_host(srv, "radius.lycee.example", 0, 0, NULL), 1);
	ck_assert_ptr_nonnull(X509_get0_authority_key_id(srv));
	ck_assert_int_eq(avec_ca_certinfo_file(path_in(dir, AVEC_CA_SERVER_CERT_FILE),
					       &i, NULL), 0);
	/* two years (plus the hour of backdating) */
	ck_assert_int_ge(i.not_after - i.not_before, 2 * 365 * DAY);
	ck_assert_int_le(i.not_after - i.not_before, 2 * 365 * DAY + 3600);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(client_certificate)
{
	const char *dir = new_ca_dir("ca6", NULL);
	struct avec_err err = { "" };
	struct avec_ca *ca = avec_ca_open(dir, &err);
	struct avec_ca_cred *cred;
	struct avec_ca_certinfo info;
	char cert[512], key[512], want[2 * EVP_MAX_MD_SIZE + 1];
	char norm[AVEC_SERIAL_MAX + 1], cn[128];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	const ASN1_INTEGER *sn;
	X509 *cax, *x;
	EVP_PKEY *k;
	int64_t now = (int64_t)time(NULL);

	ck_assert_msg(ca != NULL, "open: %s", err.msg);
	cred = avec_ca_issue_client(ca, CLIENT_CN, 30 * DAY, &info, &err);
	ck_assert_msg(cred != NULL, "issue: %s", err.msg);
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/c.key", dir);
	ck_assert_int_eq(avec_ca_cred_write_pem(cred, cert, key, &err), 0);
	ck_assert_uint_eq(file_mode(key), 0600);

	cax = load_cert(path_in(dir, AVEC_CA_CERT_FILE));
	x = load_cert(cert);
	k = load_key(key);
	ck_assert_int_eq(X509_check_private_key(x, k), 1);
	ck_assert_int_eq(EVP_PKEY_get_base_id(k), EVP_PKEY_EC);
	ck_assert_int_eq(EVP_PKEY_get_bits(k), 256);
	ck_assert_int_eq(verify(cax, x, X509_PURPOSE_SSL_CLIENT), 1);
	ck_assert_int_eq(X509_check_ca(x), 0);
	ck_assert_uint_eq(X509_get_extended_key_usage(x), XKU_SSL_CLIENT);
	ck_assert_uint_eq(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
						   NID_commonName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, CLIENT_CN);

	/* serial: 16 bytes, first in 0x01..0x7f, our hex = FreeRADIUS's */
	sn = X509_get0_serialNumber(x);
	ck_assert_int_eq(ASN1_STRING_length(sn), 16);
	ck_assert_int_ge(ASN1_STRING_get0_data(sn)[0], 0x01);
	ck_assert_int_le(ASN1_STRING_get0_data(sn)[0], 0x7f);
	hex(ASN1_STRING_get0_data(sn), 16, want);
	ck_assert_str_eq(info.serial, want);
	ck_assert_int_eq(avec_serial_normalize(info.serial, norm, sizeof(norm)), 0);
	ck_assert_str_eq(norm, info.serial);
	/* fingerprint: SHA-256 of the DER, lowercase */
	ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &mdlen), 1);
	hex(md, mdlen, want);
	ck_assert_str_eq(info.fingerprint, want);
	/* lifetime as asked, backdated one hour for drifting clocks */
	ck_assert_int_le(info.not_before, now - 3000);
	ck_assert_int_ge(info.not_after, now + 30 * DAY - 60);
	ck_assert_int_le(info.not_after, now + 30 * DAY + 60);

	X509_free(cax);
	X509_free(x);
	EVP_PKEY_free(k);
	avec_ca_cred_free(cred);
	avec_ca_close(ca);
}
END_TEST

START_TEST(serials_are_fresh)
{
	const char *dir = new_ca_dir("ca7", NULL);
	struct avec_ca *ca = avec_ca_open(dir, NULL);
	char seen[40][AVEC_SERIAL_MAX + 1];
	int i, j;

	ck_assert_ptr_nonnull(ca);
	for (i = 0; i < 40; i++) {
		struct avec_ca_certinfo info;
		struct avec_ca_cred *c = avec_ca_issue_client(ca, CLIENT_CN, DAY,
							      &info, NULL);
		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq((int)strlen(info.serial), 32);
		ck_assert(strchr("01234567", info.serial[0]) != NULL);
		ck_assert(strncmp(info.serial, "00", 2) != 0);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(seen[j], info.serial);
		snprintf(seen[i], sizeof(seen[i]), "%s", info.serial);
		avec_ca_cred_free(c);
	}
	avec_ca_close(ca);
}
END_TEST

/* The PBES2 cipher and PRF of an encrypted bag or safe's algorithm. */
static void
assert_pbes2_aes256_sha256(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	const void *param;
	int ptype;
	PBE2PARAM *pbe2;
	PBKDF2PARAM *kdf;

	X509_ALGOR_get0(&obj, &ptype, &param, alg);
	ck_assert_int_eq(OBJ_obj2nid(obj), NID_pbes2);
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM),
					 alg->parameter);
	ck_assert_ptr_nonnull(pbe2);
	ck_assert_int_eq(OBJ_obj2nid(pbe2->encryption->algorithm), NID_aes_256_cbc);
	ck_assert_int_eq(OBJ_obj2nid(pbe2->keyfunc->algorithm), NID_id_pbkdf2);
	kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM),
					pbe2->keyfunc->parameter);
	ck_assert_ptr_nonnull(kdf);
	ck_assert_ptr_nonnull(kdf->prf);
	ck_assert_int_eq(OBJ_obj2nid(kdf->prf->algorithm), NID_hmacWithSHA256);
	PBKDF2PARAM_free(kdf);
	PBE2PARAM_free(pbe2);
}

static PKCS12 *
load_p12(const char *path)
{
	BIO *b = BIO_new_file(path, "rb");
	PKCS12 *p12;

	ck_assert_ptr_nonnull(b);
	p12 = d2i_PKCS12_bio(b, NULL);
	BIO_free(b);
	ck_assert_ptr_nonnull(p12);
	return p12;
}

START_TEST(pkcs12_round_trip)
{
	const char *dir = new_ca_dir("ca8", NULL);
	const char *pw = "correct horse battery";
	struct avec_err err = { "" };
	struct avec_ca *ca = avec_ca_open(dir, &err);
	struct avec_ca_cred *cred;
	struct avec_ca_certinfo info;
	char path[512], fp[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	STACK_OF(X509) *chain = NULL;
	STACK_OF(PKCS7) *safes;
	const X509_ALGOR *macalg;
	const ASN1_OBJECT *macobj;
	X509 *cert = NULL, *cax;
	EVP_PKEY *key = NULL;
	PKCS12 *p12;
	int i, j, shrouded = 0, encrypted = 0;

	ck_assert_msg(ca != NULL, "open: %s", err.msg);
	cred = avec_ca_issue_client(ca, CLIENT_CN, 10 * DAY, &info, &err);
	ck_assert_ptr_nonnull(cred);
	snprintf(path, sizeof(path), "%s/c.p12", dir);
	ck_assert_msg(avec_ca_cred_write_p12(cred, ca, path, pw, CLIENT_CN,
					     &err) == 0, "p12: %s", err.msg);
	ck_assert_uint_eq(file_mode(path), 0600);

	/* the right password opens it: key, certificate, and the CA */
	p12 = load_p12(path);
	ck_assert_int_eq(PKCS12_verify_mac(p12, pw, -1), 1);
	ck_assert_int_eq(PKCS12_parse(p12, pw, &key, &cert, &chain), 1);
	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(cert);
	ck_assert_int_eq(X509_check_private_key(cert, key), 1);
	ck_assert_int_eq(X509_digest(cert, EVP_sha256(), md, &mdlen), 1);
	hex(md, mdlen, fp);
	ck_assert_str_eq(fp, info.fingerprint);
	ck_assert_ptr_nonnull(chain);
	ck_assert_int_eq(sk_X509_num(chain), 1);
	cax = load_cert(path_in(dir, AVEC_CA_CERT_FILE));
	ck_assert_int_eq(X509_cmp(sk_X509_value(chain, 0), cax), 0);

	/* modern algorithms: HMAC-SHA256 MAC, PBES2/AES-256-CBC everywhere */
	PKCS12_get0_mac(NULL, &macalg, NULL, NULL, p12);
	X509_ALGOR_get0(&macobj, NULL, NULL, macalg);
	ck_assert_int_eq(OBJ_obj2nid(macobj), NID_sha256);
	safes = PKCS12_unpack_authsafes(p12);
	ck_assert_ptr_nonnull(safes);
	for (i = 0; i < sk_PKCS7_num(safes); i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);
		STACK_OF(PKCS12_SAFEBAG) *bags;

		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted) {
			assert_pbes2_aes256_sha256(
			    p7->d.encrypted->enc_data->algorithm);
			encrypted++;
			bags = PKCS12_unpack_p7encdata(p7, pw, -1);
		} else {
			bags = PKCS12_unpack_p7data(p7);
		}
		ck_assert_ptr_nonnull(bags);
		for (j = 0; j < sk_PKCS12_SAFEBAG_num(bags); j++) {
			PKCS12_SAFEBAG *bag = sk_PKCS12_SAFEBAG_value(bags, j);
			const X509_ALGOR *alg;

			if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag)
				continue;
			X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &alg, NULL);
			assert_pbes2_aes256_sha256(alg);
			shrouded++;
		}
		sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	ck_assert_int_eq(shrouded, 1);
	ck_assert_int_eq(encrypted, 1);

	/* a wrong password does not */
	ck_assert_int_eq(PKCS12_verify_mac(p12, "wrong password", -1), 0);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	key = NULL;
	cert = NULL;
	chain = NULL;
	ck_assert_int_eq(PKCS12_parse(p12, "wrong password", &key, &cert,
				      &chain), 0);
	ck_assert_ptr_null(key);
	ERR_clear_error();

	/* an existing file is never overwritten */
	ck_assert_int_eq(avec_ca_cred_write_p12(cred, ca, path, pw, NULL, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));

	PKCS12_free(p12);
	X509_free(cax);
	avec_ca_cred_free(cred);
	avec_ca_close(ca);
}
END_TEST

START_TEST(refuses_to_overwrite)
{
	const char *dir = new_ca_dir("ca9", NULL);
	struct avec_err err = { "" };
	struct avec_ca *ca;
	struct avec_ca_cred *cred;
	char before[4096], after[4096], cert[512], key[512];
	int fd;

	read_all(path_in(dir, AVEC_CA_KEY_FILE), before, sizeof(before));
	ck_assert_int_eq(avec_ca_create(dir, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
	read_all(path_in(dir, AVEC_CA_KEY_FILE), after, sizeof(after));
	ck_assert_str_eq(before, after);

	ca = avec_ca_open(dir, &err);
	ck_assert_ptr_nonnull(ca);
	cred = avec_ca_issue_client(ca, CLIENT_CN, DAY, NULL, &err);
	ck_assert_ptr_nonnull(cred);
	snprintf(cert, sizeof(cert), "%s/d.pem", dir);
	snprintf(key, sizeof(key), "%s/d.key", dir);

	/* an existing key file: refused, left as it was, no cert written */
	fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "keep", 4), 4);
	close(fd);
	ck_assert_int_eq(avec_ca_cred_write_pem(cred, cert, key, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "already exists"));
	read_all(key, after, sizeof(after));
	ck_assert_str_eq(after, "keep");
	ck_assert_int_ne(access(cert, F_OK), 0);

	/* an existing certificate file: refused, and the new key removed */
	ck_assert_int_eq(unlink(key), 0);
	fd = open(cert, O_WRONLY | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(avec_ca_cred_write_pem(cred, cert, key, &err), -1);
	ck_assert_int_ne(access(key, F_OK), 0);

	/* a symbolic link in place of the key is not followed */
	ck_assert_int_eq(unlink(cert), 0);
	ck_assert_int_eq(symlink("/nonexistent/avec-target", key), 0);
	ck_assert_int_eq(avec_ca_cred_write_pem(cred, cert, key, &err), -1);
	ck_assert_int_ne(access("/nonexistent/avec-target", F_OK), 0);

	avec_ca_cred_free(cred);
	avec_ca_close(ca);
}
END_TEST

START_TEST(bad_inputs_refused)
{
	const char *dir = new_ca_dir("ca10", NULL);
	struct avec_err err = { "" };
	struct avec_ca *ca = avec_ca_open(dir, &err);
	struct avec_ca_cred *cred;
	char path[512], path2[512];

	ck_assert_ptr_nonnull(ca);
	/* common names */
	ck_assert_ptr_null(avec_ca_issue_client(ca, "", DAY, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "name"));
	ck_assert_ptr_null(avec_ca_issue_client(ca, NULL, DAY, NULL, &err));
	ck_assert_ptr_null(avec_ca_issue_client(ca, "a,CN=evil", DAY, NULL, &err));
	ck_assert_ptr_null(avec_ca_issue_client(ca, "x/../y", DAY, NULL, &err));
	ck_assert_ptr_null(avec_ca_issue_client(ca, "a\nb", DAY, NULL, &err));
	ck_assert_ptr_null(avec_ca_issue_client(ca,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    DAY, NULL, &err));
	/* lifetimes */
	ck_assert_ptr_null(avec_ca_issue_client(ca, CLIENT_CN, 0, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "lifetime"));
	ck_assert_ptr_null(avec_ca_issue_client(ca, CLIENT_CN, -5, NULL, &err));
	ck_assert_ptr_null(avec_ca_issue_client(ca, CLIENT_CN,
						AVEC_CA_CLIENT_MAX_LIFETIME + 1,
						NULL, &err));
	/* server names */
	snprintf(path, sizeof(path), "%s/s.pem", dir);
	snprintf(path2, sizeof(path2), "%s/s.key", dir);
	ck_assert_int_eq(avec_ca_issue_server(ca, "bad_name", DAY, path, path2,
					      NULL, &err), -1);
	ck_assert_int_eq(avec_ca_issue_server(ca, "", DAY, path, path2, NULL, &err), -1);
	ck_assert_int_eq(avec_ca_issue_server(ca, "-a.example", DAY, path, path2,
					      NULL, &err), -1);
	ck_assert_int_eq(avec_ca_issue_server(ca, "a..example", DAY, path, path2,
					      NULL, &err), -1);
	ck_assert_int_eq(avec_ca_issue_server(ca, "ok.example", 0, path, path2,
					      NULL, &err), -1);
	ck_assert_int_ne(access(path2, F_OK), 0);
	ck_assert_int_eq(avec_ca_init(dir, "bad name", NULL, &err), -1);
	ck_assert(avec_dns_name_valid("radius.lycee-jean-moulin.fr"));
	/* PKCS#12 passwords */
	cred = avec_ca_issue_client(ca, CLIENT_CN, DAY, NULL, &err);
	ck_assert_ptr_nonnull(cred);
	snprintf(path, sizeof(path), "%s/e.p12", dir);
	ck_assert_int_eq(avec_ca_cred_write_p12(cred, ca, path, "", NULL, &err), -1);
	ck_assert_int_eq(avec_ca_cred_write_p12(cred, ca, path, NULL, NULL, &err), -1);
	ck_assert_int_ne(access(path, F_OK), 0);
	avec_ca_cred_free(cred);
	avec_ca_close(ca);
}
END_TEST

START_TEST(open_refuses_bad_ca_dirs)
{
	const char *dir = new_ca_dir("ca11", NULL);
	struct avec_err err = { "" };
	struct avec_ca *ca;
	char empty[512];

	/* no CA at all */
	snprintf(empty, sizeof(empty), "%s", unit_path("ca11-empty"));
	ck_assert_int_eq(mkdir(empty, 0700), 0);
	ck_assert_ptr_null(avec_ca_open(empty, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, AVEC_CA_CERT_FILE));
	/* a CA key others can read */
	ck_assert_int_eq(chmod(path_in(dir, AVEC_CA_KEY_FILE), 0644), 0);
	ca = avec_ca_open(dir, &err);
	ck_assert_ptr_null(ca);
	ck_assert_ptr_nonnull(strstr(err.msg, "0600"));
	ck_assert_int_eq(chmod(path_in(dir, AVEC_CA_KEY_FILE), 0600), 0);
	ca = avec_ca_open(dir, &err);
	ck_assert_ptr_nonnull(ca);
	avec_ca_close(ca);
	/* a CA directory open to others is closed again by init */
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(avec_ca_init(dir, NULL, NULL, &err), 0);
	ck_assert_uint_eq(file_mode(dir), 0700);
}
END_TEST

START_TEST(der_and_pkcs12_in_memory)
{
	const char *dir = new_ca_dir("ca12", NULL);
	const char *pw = "in memory";
	struct avec_err err = { "" };
	struct avec_ca *ca = avec_ca_open(dir, &err);
	struct avec_ca_cred *cred;
	unsigned char *der = NULL, *der2 = NULL, *p12der = NULL;
	size_t len = 0, len2 = 0, p12len = 0;
	const unsigned char *q;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL, *x, *cax;
	EVP_PKEY *key = NULL;
	PKCS12 *p12;

	ck_assert_msg(ca != NULL, "open: %s", err.msg);
	/* the CA as DER, from the handle and from ca.pem: the same bytes */
	ck_assert_int_eq(avec_ca_cert_der(ca, &der, &len, &err), 0);
	ck_assert_int_eq(avec_ca_cert_der_file(path_in(dir, AVEC_CA_CERT_FILE),
					       &der2, &len2, &err), 0);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(der, der2, len);
	cax = load_cert(path_in(dir, AVEC_CA_CERT_FILE));
	q = der;
	x = d2i_X509(NULL, &q, (long)len);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_cmp(x, cax), 0);
	X509_free(x);
	free(der);
	free(der2);
	ck_assert_int_eq(avec_ca_cert_der_file(path_in(dir, "none.pem"), &der,
					       &len, &err), -1);
	ck_assert_ptr_null(der);
	ck_assert_int_eq(avec_ca_cert_der_file(path_in(dir, AVEC_CA_KEY_FILE),
					       &der, &len, &err), -1);

	/* the PKCS#12 in memory opens with its password, holds the chain */
	cred = avec_ca_issue_client(ca, CLIENT_CN, 10 * DAY, NULL, &err);
	ck_assert_ptr_nonnull(cred);
	ck_assert_int_eq(avec_ca_cred_p12(cred, ca, pw, CLIENT_CN, &p12der,
					  &p12len, &err), 0);
	q = p12der;
	p12 = d2i_PKCS12(NULL, &q, (long)p12len);
	ck_assert_ptr_nonnull(p12);
	ck_assert_int_eq(PKCS12_verify_mac(p12, pw, -1), 1);
	ck_assert_int_eq(PKCS12_parse(p12, pw, &key, &cert, &chain), 1);
	ck_assert_int_eq(X509_check_private_key(cert, key), 1);
	ck_assert_int_eq(sk_X509_num(chain), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(chain, 0), cax), 0);
	PKCS12_free(p12);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	OPENSSL_cleanse(p12der, p12len);
	free(p12der);
	/* a bad password is refused and not quoted */
	ck_assert_int_eq(avec_ca_cred_p12(cred, ca, "", NULL, &p12der, &p12len,
					  &err), -1);
	ck_assert_ptr_null(p12der);
	X509_free(cax);
	avec_ca_cred_free(cred);
	avec_ca_close(ca);
}
END_TEST

Suite *
ca_suite(void)
{
	Suite *s = suite_create("ca");
	TCase *tc = tcase_create("ca");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ca_certificate);
	tcase_add_test(tc, file_and_directory_modes);
	tcase_add_test(tc, init_is_idempotent);
	tcase_add_test(tc, concurrent_init_makes_one_ca);
	tcase_add_test(tc, server_certificate);
	tcase_add_test(tc, client_certificate);
	tcase_add_test(tc, serials_are_fresh);
	tcase_add_test(tc, pkcs12_round_trip);
	tcase_add_test(tc, refuses_to_overwrite);
	tcase_add_test(tc, bad_inputs_refused);
	tcase_add_test(tc, open_refuses_bad_ca_dirs);
	tcase_add_test(tc, der_and_pkcs12_in_memory);
	suite_add_tcase(s, tc);
	return s;
}
