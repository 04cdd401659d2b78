/*
 * profile_sample.c - write every device profile format for every EAP
 * method into a directory, from a throwaway CA made there, so that
 * tests/profile/t_profiles.sh can check them with the platforms' own
 * tools (xmllint against eap-metadata.xsd, openssl cms and pkcs12,
 * python3's plistlib and json).
 *
 *   profile-sample DIR
 *
 * DIR must exist and be empty.  It receives ca/ (ca.pem, server.pem and
 * their keys; the server certificate also signs the Apple profiles),
 * METHOD.mobileconfig, METHOD.signed.mobileconfig, METHOD.eap-config,
 * METHOD.wlan.xml and METHOD.onc for tls, ttls and peap, qr.svg,
 * secret.txt and p12-password.txt (the credentials the profiles embed,
 * for the checks), and errors.txt: the messages of refused profiles,
 * which must never quote a credential.  Test use only: it writes secrets
 * to files in DIR.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/secret.h"
#include "ca/ca.h"
#include "profile/profile.h"

#define SERVER	"radius.lycee-voltaire.example"
#define SECRET	"S3cret<&>'\"-ttls-peap"
#define P12PW	"P12&pass<word>\"'"
#define USER	"dv-abcdefghijklmnop"

static const char *dir;

static int
die(const char *what, const struct avec_err *err)
{
	fprintf(stderr, "profile-sample: %s: %s\n", what, err->msg);
	exit(1);
}

static void
write_file(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wx")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

typedef int (*writer)(const struct avec_profile *, struct avec_buf *,
		      struct avec_err *);

static void
emit(writer w, const struct avec_profile *p, const char *name)
{
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };

	if (w(p, &b, &err) < 0)
		die(name, &err);
	write_file(name, b.data, b.len);
	avec_buf_free(&b);
}

/* Refuse a few broken variants of @good; record every message. */
static void
refusals(const struct avec_profile *good, FILE *errs)
{
	static const writer ws[] = { avec_profile_mobileconfig,
		avec_profile_eapconfig, avec_profile_wlan_xml,
		avec_profile_onc };
	struct avec_profile bad;
	struct avec_buf b = { 0 };
	struct avec_err err;
	unsigned i, v;

	for (v = 0; v < 6; v++) {
		bad = *good;
		switch (v) {
		case 0: bad.nca = 0; break;
		case 1: bad.server_name = "not a name"; break;
		case 2: bad.ssid = ""; break;
		case 3: bad.school_name = "bad\001name"; break;
		case 4:
			if (bad.method == AVEC_CRED_TLS)
				bad.p12 = NULL;
			else
				bad.secret = "bad\nsecret";
			break;
		default: bad.username = "root"; break;
		}
		for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
			snprintf(err.msg, sizeof(err.msg), "(none)");
			if (ws[i](&bad, &b, &err) == 0) {
				fprintf(stderr, "profile-sample: variant %u "
					"accepted\n", v);
				exit(1);
			}
			fprintf(errs, "%s\n", err.msg);
			avec_buf_free(&b);
		}
	}
}

int
main(int argc, char **argv)
{
	static const char *const names[] = { "tls", "ttls", "peap" };
	char cadir[4096], cert[4200], key[4200], name[64];
	struct avec_err err = { "" };
	struct avec_ca *ca;
	struct avec_ca_cred *cred;
	unsigned char *ca_der = NULL, *p12 = NULL;
	size_t ca_der_len = 0, p12_len = 0;
	const unsigned char *cas[1];
	size_t ca_lens[1];
	struct avec_profile p;
	struct avec_buf in = { 0 }, out = { 0 };
	FILE *errs;
	int m;

	if (argc != 2) {
		fprintf(stderr, "usage: profile-sample DIR\n");
		return 2;
	}
	dir = argv[1];
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	if (avec_ca_init(cadir, SERVER, NULL, &err) < 0)
		die("CA", &err);
	if ((ca = avec_ca_open(cadir, &err)) == NULL)
		die("CA", &err);
	if (avec_ca_cert_der(ca, &ca_der, &ca_der_len, &err) < 0)
		die("CA DER", &err);
	if ((cred = avec_ca_issue_client(ca, USER, 86400 * 30, NULL,
					 &err)) == NULL)
		die("client certificate", &err);
	if (avec_ca_cred_p12(cred, ca, P12PW, USER, &p12, &p12_len, &err) < 0)
		die("PKCS#12", &err);
	write_file("secret.txt", SECRET, strlen(SECRET));
	write_file("p12-password.txt", P12PW, strlen(P12PW));
	snprintf(cert, sizeof(cert), "%s/errors.txt", dir);
	if ((errs = fopen(cert, "wx")) == NULL) {
		perror(cert);
		return 1;
	}

	cas[0] = ca_der;
	ca_lens[0] = ca_der_len;
	snprintf(cert, sizeof(cert), "%s/%s", cadir, AVEC_CA_SERVER_CERT_FILE);
	snprintf(key, sizeof(key), "%s/%s", cadir, AVEC_CA_SERVER_KEY_FILE);
	for (m = 0; m < AVEC_CRED_PSK; m++) {	/* the EAP methods */
		memset(&p, 0, sizeof(p));
		p.school_name = "Lycée <Voltaire> & \"Fils\" l'école";
		p.org_id = "fr.avec.0450822x";
		p.ssid = "AVEC-Élèves";
		p.onboarding_ssid = "AVEC-Inscription";
		p.method = (enum avec_cred_type)m;
		p.server_name = SERVER;
		p.realm = "lycee-voltaire.example";
		p.ca_der = cas;
		p.ca_len = ca_lens;
		p.nca = 1;
		p.username = USER;
		if (m == AVEC_CRED_TLS) {
			p.p12 = p12;
			p.p12_len = p12_len;
			p.p12_password = P12PW;
		} else {
			p.secret = SECRET;
		}
		p.expires_at = 1830297600;	/* 2028-01-01 */
		p.device_name = "iPhone de <b>Zoé</b> & \"moi\"";
		p.support_url = "https://support.lycee-voltaire.example/wifi?a=1&b=2";
		p.support_email = "support@lycee-voltaire.example";

		snprintf(name, sizeof(name), "%s.mobileconfig", names[m]);
		if (avec_profile_mobileconfig(&p, &in, &err) < 0)
			die(name, &err);
		write_file(name, in.data, in.len);
		if (avec_profile_sign(&in, cert, key, &out, &err) < 0)
			die("sign", &err);
		snprintf(name, sizeof(name), "%s.signed.mobileconfig",
			 names[m]);
		write_file(name, out.data, out.len);
		avec_buf_free(&in);
		avec_buf_free(&out);
		snprintf(name, sizeof(name), "%s.eap-config", names[m]);
		emit(avec_profile_eapconfig, &p, name);
		snprintf(name, sizeof(name), "%s.wlan.xml", names[m]);
		emit(avec_profile_wlan_xml, &p, name);
		snprintf(name, sizeof(name), "%s.onc", names[m]);
		emit(avec_profile_onc, &p, name);
		refusals(&p, errs);
	}
	if (avec_qr_svg("https://wifi.lycee-voltaire.example/e/abc?x=1&y=2",
			"Code QR : ouvrir <la page> d'inscription", &out,
			&err) < 0)
		die("QR", &err);
	write_file("qr.svg", out.data, out.len);
	avec_buf_free(&out);
	/* nothing to sign: refused, and the message names no secret */
	if (avec_profile_sign(&in, cert, key, &out, &err) == 0)
		die("signing an empty profile was accepted", &err);
	fprintf(errs, "%s\n", err.msg);
	if (fclose(errs) != 0)
		return 1;
	avec_secret_wipe(p12, p12_len);
	free(p12);
	free(ca_der);
	avec_ca_cred_free(cred);
	avec_ca_close(ca);
	return 0;
}
