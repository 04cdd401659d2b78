/*
 * check_profile.c - the device profiles (provisioning/profile/): every
 * format for every EAP method, read back by independent parsers: the
 * eap-config against eap-metadata.xsd with libxml2's schema validator
 * (a reference file of the developers' shared folder: skipped without it),
 * the plist and the Windows XML through libxml2 and XPath, the ONC through
 * a strict JSON reader here, the signature through OpenSSL's CMS_verify.
 * Hostile names must come out escaped and read back unchanged; refused
 * profiles must never quote a credential in the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "avec/secret.h"
#include "ca/ca.h"
#include "profile/profile.h"
#include "unit.h"

#define XSD_REL		"reference/profiles/eap-metadata.xsd"
#define SERVER		"radius.lycee.example"
#define REALM		"lycee.example"
#define USER		"dv-abcdefghijklmnop"
#define SECRET		"Secr3t<&>\"'-xyz"
#define P12PW		"p12<&>\"'pw"
#define SCHOOL		"Lycée <Voltaire> & \"Fils\" d'Orléans"
#define DEVICE		"Tablette </string><b>é & ' \" ☃"

/* One CA, one client credential: built once per test (forked child). */
struct fixture {
	char dir[512];
	struct avec_ca *ca;
	unsigned char *ca_der, *p12;
	size_t ca_len, p12_len;
	const unsigned char *cas[1];
	size_t lens[1];
};

static struct fixture fx;

static void
fixture_setup(void)
{
	struct avec_err err = { "" };
	struct avec_ca_cred *cred;

	snprintf(fx.dir, sizeof(fx.dir), "%s", unit_path("ca"));
	ck_assert_msg(avec_ca_init(fx.dir, SERVER, NULL, &err) == 0, "%s",
		      err.msg);
	fx.ca = avec_ca_open(fx.dir, &err);
	ck_assert_msg(fx.ca != NULL, "%s", err.msg);
	ck_assert_int_eq(avec_ca_cert_der(fx.ca, &fx.ca_der, &fx.ca_len,
					  &err), 0);
	cred = avec_ca_issue_client(fx.ca, USER, 86400, NULL, &err);
	ck_assert_msg(cred != NULL, "%s", err.msg);
	ck_assert_int_eq(avec_ca_cred_p12(cred, fx.ca, P12PW, USER, &fx.p12,
					  &fx.p12_len, &err), 0);
	avec_ca_cred_free(cred);
	fx.cas[0] = fx.ca_der;
	fx.lens[0] = fx.ca_len;
}

static void
fixture_teardown(void)
{
	avec_secret_wipe(fx.p12, fx.p12_len);
	free(fx.p12);
	free(fx.ca_der);
	avec_ca_close(fx.ca);
	memset(&fx, 0, sizeof(fx));
}

static struct avec_profile
profile(enum avec_cred_type m)
{
	struct avec_profile p;

	memset(&p, 0, sizeof(p));
	p.school_name = SCHOOL;
	p.org_id = "fr.avec.0450822x";
	p.ssid = "AVEC-Élèves";
	p.onboarding_ssid = "AVEC-Inscription";
	p.method = m;
	p.server_name = SERVER;
	p.realm = REALM;
	p.ca_der = fx.cas;
	p.ca_len = fx.lens;
	p.nca = 1;
	p.username = USER;
	if (m == AVEC_CRED_TLS) {
		p.p12 = fx.p12;
		p.p12_len = fx.p12_len;
		p.p12_password = P12PW;
	} else {
		p.secret = SECRET;
	}
	p.expires_at = 1830297600;	/* 2028-01-01T00:00:00Z */
	p.device_name = DEVICE;
	p.support_url = "https://aide.lycee.example/?a=1&b=2";
	p.support_email = "aide@lycee.example";
	return p;
}

static xmlDocPtr
parse_xml(const struct avec_buf *b)
{
	xmlDocPtr d = xmlReadMemory(b->data, (int)b->len, "profile.xml", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);

	ck_assert_msg(d != NULL, "not well-formed XML:\n%.2000s", b->data);
	return d;
}

/* The string values of @expr (namespace "w" = WLAN, "x" = 802.1X). */
static int
xpath_strings(xmlDocPtr d, const char *expr, char out[][256], int max)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o;
	int i, n = 0;

	ck_assert_ptr_nonnull(ctx);
	xmlXPathRegisterNs(ctx, BAD_CAST "w", BAD_CAST
			   "http://www.microsoft.com/networking/WLAN/profile/v1");
	o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	ck_assert_msg(o != NULL, "xpath %s", expr);
	if (o->nodesetval != NULL)
		for (i = 0; i < o->nodesetval->nodeNr && n < max; i++) {
			xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[i]);

			snprintf(out[n++], 256, "%s", s ? (char *)s : "");
			xmlFree(s);
		}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

/* How many times plist key @key is followed by the value @value (any if NULL). */
static int
plist_count(xmlDocPtr d, const char *key, const char *value)
{
	char vals[16][256], expr[256];
	int i, n, c = 0;

	snprintf(expr, sizeof(expr),
		 "//key[.='%s']/following-sibling::*[1]", key);
	n = xpath_strings(d, expr, vals, 16);
	for (i = 0; i < n; i++)
		if (value == NULL || strcmp(vals[i], value) == 0)
			c++;
	return c;
}

/* ---- a strict JSON reader, enough to say the ONC is valid JSON ---- */

static const char *json_value(const char *s, int depth);

static const char *
ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *
json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    s[i]) || s[i] == '\0')
						return NULL;
				s += 4;
			} else if (!strchr("\"\\/bfnrt", *s) || *s == '\0') {
				return NULL;
			}
		}
		s++;
	}
	return s + 1;
}

static const char *
json_value(const char *s, int depth)
{
	s = ws(s);
	if (depth > 32)
		return NULL;
	if (*s == '"')
		return json_string(s);
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';

		s = ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (close == '}') {
				if ((s = json_string(ws(s))) == NULL)
					return NULL;
				s = ws(s);
				if (*s++ != ':')
					return NULL;
			}
			if ((s = json_value(s, depth + 1)) == NULL)
				return NULL;
			s = ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	if (strncmp(s, "true", 4) == 0 || strncmp(s, "null", 4) == 0)
		return s + 4;
	if (strncmp(s, "false", 5) == 0)
		return s + 5;
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		s++;
		while (*s >= '0' && *s <= '9')
			s++;
		return s;
	}
	return NULL;
}

static bool
json_valid(const char *s)
{
	s = json_value(s, 0);
	return s != NULL && *ws(s) == '\0';
}

/* ---- the tests ---- */

START_TEST(ca_der_forms)
{
	struct avec_err err = { "" };
	unsigned char *der = NULL;
	const unsigned char *q;
	char path[600];
	size_t len = 0;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s", fx.dir, AVEC_CA_CERT_FILE);
	ck_assert_int_eq(avec_ca_cert_der_file(path, &der, &len, &err), 0);
	ck_assert_uint_eq(len, fx.ca_len);
	ck_assert_mem_eq(der, fx.ca_der, len);
	q = der;
	x = d2i_X509(NULL, &q, (long)len);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_check_ca(x), 1);
	X509_free(x);
	free(der);
	ck_assert_int_eq(avec_ca_cert_der_file("/nonexistent/ca.pem", &der,
					       &len, &err), -1);
	ck_assert_ptr_null(der);
}
END_TEST

START_TEST(eapconfig_validates)
{
	enum avec_cred_type m = (enum avec_cred_type)_i;
	struct avec_profile p = profile(m);
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaValidCtxtPtr vc;
	xmlSchemaPtr schema;
	xmlDocPtr d;
	char v[4][256], xsd[512], what[128];

	ck_assert_msg(avec_profile_eapconfig(&p, &b, &err) == 0, "%s",
		      err.msg);
	d = parse_xml(&b);
	snprintf(what, sizeof(what), "check_profile: %s eap-config validated "
		 "against eap-metadata.xsd", avec_cred_type_name(m));
	if (unit_shared(xsd, sizeof(xsd), XSD_REL, what)) {
		pc = xmlSchemaNewParserCtxt(xsd);
		ck_assert_ptr_nonnull(pc);
		schema = xmlSchemaParse(pc);
		ck_assert_msg(schema != NULL, "cannot read %s", xsd);
		vc = xmlSchemaNewValidCtxt(schema);
		ck_assert_msg(xmlSchemaValidateDoc(vc, d) == 0, "%s does not "
			      "validate:\n%.3000s", avec_cred_type_name(m),
			      b.data);
		xmlSchemaFreeValidCtxt(vc);
		xmlSchemaFree(schema);
		xmlSchemaFreeParserCtxt(pc);
	}

	ck_assert_int_eq(xpath_strings(d, "//EAPIdentityProvider/@ID", v, 4), 1);
	ck_assert_str_eq(v[0], REALM);
	ck_assert_int_eq(xpath_strings(d, "//ValidUntil", v, 4), 1);
	ck_assert_str_eq(v[0], "2028-01-01T00:00:00Z");
	ck_assert_int_eq(xpath_strings(d, "//AuthenticationMethod", v, 4), 1);
	ck_assert_int_eq(xpath_strings(d, "//AuthenticationMethod/EAPMethod/"
				       "Type", v, 4), 1);
	ck_assert_int_eq(atoi(v[0]), m == AVEC_CRED_TLS ? 13 :
			 m == AVEC_CRED_TTLS ? 21 : 25);
	ck_assert_int_eq(xpath_strings(d, "//ServerID", v, 4), 1);
	ck_assert_str_eq(v[0], SERVER);
	ck_assert_int_eq(xpath_strings(d, "//ServerSideCredential/CA", v, 4), 1);
	ck_assert_int_eq(xpath_strings(d, "//OuterIdentity", v, 4), 1);
	ck_assert_str_eq(v[0], "anonymous@" REALM);
	ck_assert_int_eq(xpath_strings(d, "//ProviderInfo/DisplayName", v, 4),
			 1);
	ck_assert_str_eq(v[0], SCHOOL);
	ck_assert_int_eq(xpath_strings(d, "//IEEE80211/MinRSNProto", v, 4), 1);
	ck_assert_str_eq(v[0], "CCMP");
	if (m == AVEC_CRED_TLS) {
		ck_assert_int_eq(xpath_strings(d, "//Passphrase", v, 4), 1);
		ck_assert_str_eq(v[0], P12PW);
		ck_assert_int_eq(xpath_strings(d, "//InnerAuthenticationMethod",
					       v, 4), 0);
	} else {
		ck_assert_int_eq(xpath_strings(d, "//Password", v, 4), 1);
		ck_assert_str_eq(v[0], SECRET);
		ck_assert_int_eq(xpath_strings(d, m == AVEC_CRED_TTLS ?
			"//InnerAuthenticationMethod/NonEAPAuthMethod/Type" :
			"//InnerAuthenticationMethod/EAPMethod/Type", v, 4), 1);
		ck_assert_str_eq(v[0], m == AVEC_CRED_TTLS ? "1" : "26");
	}
	xmlFreeDoc(d);
	avec_buf_free(&b);
}
END_TEST

START_TEST(mobileconfig_payloads)
{
	enum avec_cred_type m = (enum avec_cred_type)_i;
	struct avec_profile p = profile(m);
	struct avec_buf b = { 0 }, again = { 0 };
	struct avec_err err = { "" };
	char v[8][256], anchor[8][256], uuids[16][256];
	xmlDocPtr d;
	int n, i, j, found;

	ck_assert_msg(avec_profile_mobileconfig(&p, &b, &err) == 0, "%s",
		      err.msg);
	d = parse_xml(&b);
	ck_assert_int_eq(plist_count(d, "PayloadType", "Configuration"), 1);
	ck_assert_int_eq(plist_count(d, "PayloadType",
				     "com.apple.security.root"), 1);
	ck_assert_int_eq(plist_count(d, "PayloadType",
				     "com.apple.security.pkcs12"),
			 m == AVEC_CRED_TLS ? 1 : 0);
	ck_assert_int_eq(plist_count(d, "PayloadType",
				     "com.apple.wifi.managed"), 2);
	ck_assert_int_eq(plist_count(d, "SSID_STR", "AVEC-Élèves"), 1);
	ck_assert_int_eq(plist_count(d, "SSID_STR", "AVEC-Inscription"), 1);
	ck_assert_int_eq(plist_count(d, "EncryptionType", "WPA2"), 1);
	ck_assert_int_eq(plist_count(d, "TLSAllowTrustExceptions", NULL), 1);
	ck_assert_int_eq(xpath_strings(d, "//key[.='TLSAllowTrustExceptions']"
				       "/following-sibling::*[1][self::false]",
				       v, 8), 1);
	ck_assert_int_eq(xpath_strings(d, "//key[.='AutoJoin']"
				       "/following-sibling::*[1][self::true]",
				       v, 8), 1);
	ck_assert_int_eq(xpath_strings(d, "//key[.='AutoJoin']"
				       "/following-sibling::*[1][self::false]",
				       v, 8), 1);
	/* exactly one EAP type */
	n = xpath_strings(d, "//key[.='AcceptEAPTypes']/following-sibling::"
			  "array[1]/integer", v, 8);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(atoi(v[0]), m == AVEC_CRED_TLS ? 13 :
			 m == AVEC_CRED_TTLS ? 21 : 25);
	ck_assert_int_eq(xpath_strings(d, "//key[.='TLSTrustedServerNames']/"
				       "following-sibling::array[1]/string",
				       v, 8), 1);
	ck_assert_str_eq(v[0], SERVER);
	ck_assert_int_eq(plist_count(d, "OuterIdentity", "anonymous@" REALM),
			 1);
	ck_assert_int_eq(plist_count(d, "TTLSInnerAuthentication", "PAP"),
			 m == AVEC_CRED_TTLS ? 1 : 0);
	ck_assert_int_eq(plist_count(d, "UserPassword", SECRET),
			 m == AVEC_CRED_TLS ? 0 : 1);
	ck_assert_int_eq(plist_count(d, "Password", P12PW),
			 m == AVEC_CRED_TLS ? 1 : 0);
	ck_assert_int_eq(plist_count(d, "PayloadCertificateUUID", NULL),
			 m == AVEC_CRED_TLS ? 1 : 0);
	ck_assert_int_eq(plist_count(d, "RemovalDate", "2028-01-01T00:00:00Z"),
			 1);
	/* hostile names read back unchanged */
	ck_assert_int_eq(plist_count(d, "PayloadOrganization", SCHOOL), 1);
	ck_assert_int_eq(xpath_strings(d, "/plist/dict/key[.='PayloadDescription']"
				       "/following-sibling::string[1]", v, 8),
			 1);
	ck_assert_ptr_nonnull(strstr(v[0], DEVICE));
	/* the anchors are the CA payload's UUID; all UUIDs differ */
	n = xpath_strings(d, "//key[.='PayloadCertificateAnchorUUID']/"
			  "following-sibling::array[1]/string", anchor, 8);
	ck_assert_int_eq(n, 1);
	n = xpath_strings(d, "//key[.='PayloadUUID']/following-sibling::"
			  "string[1]", uuids, 16);
	ck_assert_int_eq(n, m == AVEC_CRED_TLS ? 5 : 4);
	for (i = 0, found = 0; i < n; i++) {
		ck_assert_int_eq(strlen(uuids[i]), 36);
		ck_assert_int_eq(uuids[i][14], '5');
		found += strcmp(uuids[i], anchor[0]) == 0;
		for (j = i + 1; j < n; j++)
			ck_assert_str_ne(uuids[i], uuids[j]);
	}
	ck_assert_int_eq(found, 1);
	xmlFreeDoc(d);

	/* deterministic: the same device gets the same document */
	ck_assert_int_eq(avec_profile_mobileconfig(&p, &again, &err), 0);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert_mem_eq(again.data, b.data, b.len);
	avec_buf_free(&again);
	/* another device: other UUIDs */
	p.username = "dv-zzzzzzzzzzzzzzzz";
	ck_assert_int_eq(avec_profile_mobileconfig(&p, &again, &err), 0);
	ck_assert_ptr_null(strstr(again.data, uuids[0]));
	avec_buf_free(&again);
	/* no expiry, no onboarding SSID */
	p.expires_at = 0;
	p.onboarding_ssid = NULL;
	ck_assert_int_eq(avec_profile_mobileconfig(&p, &again, &err), 0);
	d = parse_xml(&again);
	ck_assert_int_eq(plist_count(d, "RemovalDate", NULL), 0);
	ck_assert_int_eq(plist_count(d, "PayloadType",
				     "com.apple.wifi.managed"), 1);
	xmlFreeDoc(d);
	avec_buf_free(&again);
	avec_buf_free(&b);
}
END_TEST

START_TEST(mobileconfig_rollover)
{
	struct avec_profile p = profile(AVEC_CRED_TTLS);
	const unsigned char *cas[2] = { fx.ca_der, fx.ca_der };
	size_t lens[2] = { fx.ca_len, fx.ca_len };
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };
	char v[8][256];
	xmlDocPtr d;

	p.ca_der = cas;
	p.ca_len = lens;
	p.nca = 2;
	ck_assert_int_eq(avec_profile_mobileconfig(&p, &b, &err), 0);
	d = parse_xml(&b);
	ck_assert_int_eq(plist_count(d, "PayloadType",
				     "com.apple.security.root"), 2);
	ck_assert_int_eq(xpath_strings(d, "//key[.='PayloadCertificateAnchorUUID']/"
				       "following-sibling::array[1]/string",
				       v, 8), 2);
	xmlFreeDoc(d);
	avec_buf_free(&b);
	ck_assert_int_eq(avec_profile_eapconfig(&p, &b, &err), 0);
	d = parse_xml(&b);
	ck_assert_int_eq(xpath_strings(d, "//ServerSideCredential/CA", v, 8),
			 2);
	xmlFreeDoc(d);
	avec_buf_free(&b);
	ck_assert_int_eq(avec_profile_wlan_xml(&p, &b, &err), 0);
	d = parse_xml(&b);
	ck_assert_int_eq(xpath_strings(d, "//*[local-name()='TrustedRootCAHash']",
				       v, 8), 2);
	xmlFreeDoc(d);
	avec_buf_free(&b);
}
END_TEST

START_TEST(wlan_xml_validates_server)
{
	enum avec_cred_type m = (enum avec_cred_type)_i;
	struct avec_profile p = profile(m);
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char v[4][256], hex[64] = "";
	xmlDocPtr d;

	ck_assert_msg(avec_profile_wlan_xml(&p, &b, &err) == 0, "%s", err.msg);
	d = parse_xml(&b);
	ck_assert_int_eq(xpath_strings(d, "/w:WLANProfile/w:SSIDConfig/w:SSID/"
				       "w:name", v, 4), 1);
	ck_assert_str_eq(v[0], "AVEC-Élèves");
	ck_assert_int_eq(xpath_strings(d, "//*[local-name()='ServerNames']",
				       v, 4), 1);
	ck_assert_str_eq(v[0], SERVER);
	ck_assert_int_eq(xpath_strings(d, m == AVEC_CRED_TTLS ?
		"//*[local-name()='TrustedRootCAHash']" :
		"//*[local-name()='TrustedRootCA']", v, 4), 1);
	ck_assert_int_eq(EVP_Digest(fx.ca_der, fx.ca_len, md, &mdlen,
				    EVP_sha1(), NULL), 1);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 3 * i, 4, "%02x%s", md[i], i + 1 < mdlen ? " " : "");
	ck_assert_str_eq(v[0], hex);
	ck_assert_int_eq(xpath_strings(d, "//*[local-name()='AuthorId']", v,
				       4), 1);
	ck_assert_str_eq(v[0], m == AVEC_CRED_TTLS ? "311" : "0");
	if (m == AVEC_CRED_TTLS) {
		ck_assert_int_eq(xpath_strings(d, "//*[local-name()="
			"'PAPAuthentication']", v, 4), 1);
	}
	/* the outer identity carries the realm, as in every other profile */
	if (m == AVEC_CRED_TTLS || m == AVEC_CRED_PEAP) {
		ck_assert_int_eq(xpath_strings(d, m == AVEC_CRED_TTLS ?
			"//*[local-name()='AnonymousIdentity']" :
			"//*[local-name()='AnonymousUserName']", v, 4), 1);
		ck_assert_str_eq(v[0], "anonymous@" REALM);
	}
	/* no credential in a Windows profile */
	ck_assert_ptr_null(strstr(b.data, "Secr3t"));
	ck_assert_ptr_null(strstr(b.data, "p12"));
	xmlFreeDoc(d);
	avec_buf_free(&b);
}
END_TEST

START_TEST(onc_is_json)
{
	enum avec_cred_type m = (enum avec_cred_type)_i;
	struct avec_profile p = profile(m);
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };

	ck_assert_msg(avec_profile_onc(&p, &b, &err) == 0, "%s", err.msg);
	ck_assert_msg(json_valid(b.data), "not JSON:\n%.3000s", b.data);
	ck_assert_ptr_nonnull(strstr(b.data, "\"Type\": \"Authority\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"ServerCARefs\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"UseSystemCAs\": false"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"DomainSuffixMatch\": [\""
				     SERVER "\"]"));
	if (m == AVEC_CRED_TLS) {
		/* never an unprotected key: the .p12 is imported apart */
		ck_assert_ptr_null(strstr(b.data, "\"PKCS12\""));
		ck_assert_ptr_nonnull(strstr(b.data, "\"ClientCertType\": "
					     "\"Pattern\""));
		ck_assert_ptr_nonnull(strstr(b.data, "\"IssuerCARef\""));
	} else {
		/* the secret's quote is escaped, the rest as it is */
		ck_assert_ptr_nonnull(strstr(b.data, "\"Password\": "
					     "\"Secr3t<&>\\\"'-xyz\""));
		ck_assert_ptr_nonnull(strstr(b.data, m == AVEC_CRED_TTLS ?
					     "\"Inner\": \"PAP\"" :
					     "\"Inner\": \"MSCHAPv2\""));
	}
	avec_buf_free(&b);
	/* a hostile SSID stays one JSON string */
	p.ssid = "a\"b\\c}],{";
	ck_assert_int_eq(avec_profile_onc(&p, &b, &err), 0);
	ck_assert_msg(json_valid(b.data), "not JSON:\n%.3000s", b.data);
	ck_assert_ptr_nonnull(strstr(b.data, "\"SSID\": \"a\\\"b\\\\c}],{\""));
	avec_buf_free(&b);
}
END_TEST

START_TEST(hostile_text_escaped)
{
	struct avec_profile p = profile(AVEC_CRED_PEAP);
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };
	char v[4][256];
	xmlDocPtr d;

	p.ssid = "<ssid>&\"'";
	p.onboarding_ssid = "é</string>";
	ck_assert_int_eq(avec_profile_mobileconfig(&p, &b, &err), 0);
	ck_assert_ptr_null(strstr(b.data, "<b>"));
	ck_assert_ptr_null(strstr(b.data, "<ssid>"));
	d = parse_xml(&b);
	ck_assert_int_eq(plist_count(d, "SSID_STR", "<ssid>&\"'"), 1);
	ck_assert_int_eq(plist_count(d, "SSID_STR", "é</string>"), 1);
	xmlFreeDoc(d);
	avec_buf_free(&b);
	ck_assert_int_eq(avec_profile_eapconfig(&p, &b, &err), 0);
	d = parse_xml(&b);
	ck_assert_int_eq(xpath_strings(d, "//Description", v, 4), 1);
	ck_assert_ptr_nonnull(strstr(v[0], DEVICE));
	ck_assert_int_eq(xpath_strings(d, "//SSID", v, 4), 1);
	ck_assert_str_eq(v[0], "<ssid>&\"'");
	xmlFreeDoc(d);
	avec_buf_free(&b);
	ck_assert_int_eq(avec_profile_wlan_xml(&p, &b, &err), 0);
	d = parse_xml(&b);
	ck_assert_int_eq(xpath_strings(d, "/w:WLANProfile/w:name", v, 4), 1);
	ck_assert_str_eq(v[0], "<ssid>&\"'");
	xmlFreeDoc(d);
	avec_buf_free(&b);
}
END_TEST

START_TEST(refusals_name_no_secret)
{
	typedef int (*writer)(const struct avec_profile *, struct avec_buf *,
			      struct avec_err *);
	static const writer ws[] = { avec_profile_mobileconfig,
		avec_profile_eapconfig, avec_profile_wlan_xml,
		avec_profile_onc };
	static const char *const bad_text[] = { "", "a\001b", "a\nb",
		"\xff\xfe", "\xc3\x28" };
	struct avec_profile good, p;
	struct avec_buf b = { 0 };
	struct avec_err err;
	unsigned w, v, t;

	for (w = 0; w < 4; w++) {
		for (v = 0; v < 22; v++) {
			for (t = 0; t < 5; t++) {
				const char *bad = bad_text[t];

				good = profile(v < 16 ? AVEC_CRED_TTLS :
					       AVEC_CRED_TLS);
				p = good;
				switch (v) {
				case 0: p.school_name = NULL; break;
				case 1: p.school_name = bad; break;
				case 2: p.ssid = bad; break;
				case 3: p.ssid = "0123456789012345678901234567890123"; break;
				case 4: p.server_name = NULL; break;
				case 5: p.server_name = "bad name"; break;
				case 6: p.realm = "@"; break;
				case 7: p.nca = 0; break;
				case 8: p.ca_len = NULL; break;
				case 9: p.username = "alice"; break;
				case 10: p.secret = NULL; break;
				case 11: p.secret = t ? bad : SECRET "\n"; break;
				case 12: p.p12 = fx.p12; p.p12_len = fx.p12_len; break;
				case 13: p.method = AVEC_CRED__COUNT; break;
				case 14: p.device_name = t ? bad : "x\ty"; break;
				case 15: p.org_id = "fr avec"; break;
				case 16: p.p12 = NULL; break;
				case 17: p.p12_len = 0; break;
				case 18: p.p12_password = NULL; break;
				case 19: p.p12_password = t ? bad : P12PW "\n"; break;
				case 20: p.secret = SECRET; break;
				default: p.onboarding_ssid = p.ssid; break;
				}
				snprintf(err.msg, sizeof(err.msg), "(none)");
				ck_assert_msg(ws[w](&p, &b, &err) == -1,
					      "writer %u variant %u text %u "
					      "accepted", w, v, t);
				ck_assert_str_ne(err.msg, "(none)");
				ck_assert_ptr_null(strstr(err.msg, "Secr3t"));
				ck_assert_ptr_null(strstr(err.msg, "p12<"));
				avec_buf_free(&b);
			}
		}
	}
	/* a bad CA certificate */
	p = profile(AVEC_CRED_PEAP);
	{
		static const unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
		const unsigned char *cas[1] = { junk };
		size_t lens[1] = { sizeof(junk) };

		p.ca_der = cas;
		p.ca_len = lens;
		ck_assert_int_eq(avec_profile_eapconfig(&p, &b, &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "CA certificate 1"));
	}
	/* minimal valid profiles are accepted */
	p = profile(AVEC_CRED_PEAP);
	p.device_name = p.support_url = p.support_email = NULL;
	p.onboarding_ssid = NULL;
	ck_assert_int_eq(avec_profile_check(&p, &err), 0);
	ck_assert_int_eq(avec_profile_eapconfig(&p, &b, &err), 0);
	ck_assert_ptr_null(strstr(b.data, "Helpdesk"));
	avec_buf_free(&b);
}
END_TEST

START_TEST(signed_mobileconfig_verifies)
{
	struct avec_profile p = profile(AVEC_CRED_TLS);
	struct avec_buf in = { 0 }, out = { 0 };
	struct avec_err err = { "" };
	char cert[600], key[600], ca[600];
	CMS_ContentInfo *cms;
	X509_STORE *store;
	X509 *cax;
	BIO *bin, *content;
	BUF_MEM *bm;
	FILE *f;

	snprintf(cert, sizeof(cert), "%s/%s", fx.dir, AVEC_CA_SERVER_CERT_FILE);
	snprintf(key, sizeof(key), "%s/%s", fx.dir, AVEC_CA_SERVER_KEY_FILE);
	snprintf(ca, sizeof(ca), "%s/%s", fx.dir, AVEC_CA_CERT_FILE);
	ck_assert_int_eq(avec_profile_mobileconfig(&p, &in, &err), 0);
	ck_assert_msg(avec_profile_sign(&in, cert, key, &out, &err) == 0,
		      "%s", err.msg);

	bin = BIO_new_mem_buf(out.data, (int)out.len);
	cms = d2i_CMS_bio(bin, NULL);
	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_type(cms)), NID_pkcs7_signed);
	f = fopen(ca, "r");
	ck_assert_ptr_nonnull(f);
	cax = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	store = X509_STORE_new();
	X509_STORE_add_cert(store, cax);
	/* a TLS server certificate signs: any purpose, as Apple accepts */
	X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
	content = BIO_new(BIO_s_mem());
	ck_assert_msg(CMS_verify(cms, NULL, store, NULL, content,
				 CMS_BINARY) == 1, "CMS_verify: %s",
		      ERR_reason_error_string(ERR_get_error()));
	BIO_get_mem_ptr(content, &bm);
	ck_assert_uint_eq(bm->length, in.len);
	ck_assert_mem_eq(bm->data, in.data, in.len);
	BIO_free(content);
	X509_STORE_free(store);
	X509_free(cax);
	CMS_ContentInfo_free(cms);
	BIO_free(bin);
	avec_buf_free(&out);

	/* a key that is not the certificate's, a missing file: refused */
	ck_assert_int_eq(avec_profile_sign(&in, ca, key, &out, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not match"));
	ck_assert_int_eq(avec_profile_sign(&in, cert, "/nonexistent", &out,
					   &err), -1);
	avec_buf_free(&in);
	ck_assert_int_eq(avec_profile_sign(&in, cert, key, &out, &err), -1);
	avec_buf_free(&out);
}
END_TEST

START_TEST(qr_svg)
{
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };
	char v[4][256];
	xmlDocPtr d;
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr o;
	int w;

	ck_assert_int_eq(avec_qr_svg("https://wifi.lycee.example/e/x?a=1&b=2",
				     "Lien <d'inscription> & \"é\"", &b, &err),
			 0);
	d = parse_xml(&b);
	ctx = xmlXPathNewContext(d);
	xmlXPathRegisterNs(ctx, BAD_CAST "s", BAD_CAST "http://www.w3.org/2000/svg");
	o = xmlXPathEvalExpression(BAD_CAST "/s:svg/s:title", ctx);
	ck_assert_int_eq(o->nodesetval ? o->nodesetval->nodeNr : 0, 1);
	xmlXPathFreeObject(o);
	o = xmlXPathEvalExpression(BAD_CAST "/s:svg/s:path", ctx);
	ck_assert_int_eq(o->nodesetval ? o->nodesetval->nodeNr : 0, 1);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	ck_assert_int_eq(xpath_strings(d, "/*/@width", v, 4), 1);
	w = atoi(v[0]);
	ck_assert_int_ge(w, (21 + 8) * 4);
	ck_assert_int_eq(xpath_strings(d, "/*/@height", v, 4), 1);
	ck_assert_int_eq(atoi(v[0]), w);
	ck_assert_int_eq(xpath_strings(d, "/*/*[local-name()='title']", v, 4), 1);
	ck_assert_str_eq(v[0], "Lien <d'inscription> & \"é\"");
	/* the link is drawn, not written */
	ck_assert_ptr_null(strstr(b.data, "wifi.lycee.example"));
	xmlFreeDoc(d);
	avec_buf_free(&b);
	ck_assert_int_eq(avec_qr_svg("", "t", &b, &err), -1);
	ck_assert_int_eq(avec_qr_svg("x", "a\nb", &b, &err), -1);
	avec_buf_free(&b);
}
END_TEST

/* The WIFI: text of a PSK network: \ ; , : " escaped in SSID and key. */
START_TEST(qr_wifi_text)
{
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };

	ck_assert_int_eq(avec_qr_wifi_text("AVEC-Objets", "abcd-efgh-ijkl",
					   &b, &err), 0);
	ck_assert_str_eq(b.data, "WIFI:T:WPA;S:AVEC-Objets;P:abcd-efgh-ijkl;;");
	avec_buf_free(&b);
	ck_assert_int_eq(avec_qr_wifi_text("a;b,c:d\\e\"f", "k;e,y:1\\2\"3",
					   &b, &err), 0);
	ck_assert_str_eq(b.data, "WIFI:T:WPA;S:a\\;b\\,c\\:d\\\\e\\\"f;"
			 "P:k\\;e\\,y\\:1\\\\2\\\"3;;");
	avec_buf_free(&b);
	ck_assert_int_eq(avec_qr_wifi_text("", "abcdefgh", &b, &err), -1);
	ck_assert_int_eq(avec_qr_wifi_text("x", "short", &b, &err), -1);
	ck_assert_int_eq(avec_qr_wifi_text("123456789012345678901234567890123",
					   "abcdefgh", &b, &err), -1);
	avec_buf_free(&b);
}
END_TEST

START_TEST(formats_table)
{
	ck_assert_str_eq(avec_profile_mime(AVEC_PROFILE_MOBILECONFIG),
			 "application/x-apple-aspen-config");
	ck_assert_str_eq(avec_profile_mime(AVEC_PROFILE_EAPCONFIG),
			 "application/eap-config");
	ck_assert_str_eq(avec_profile_ext(AVEC_PROFILE_EAPCONFIG),
			 "eap-config");
	ck_assert_str_eq(avec_profile_ext(AVEC_PROFILE_WLAN_XML), "xml");
	ck_assert_str_eq(avec_profile_ext(AVEC_PROFILE_ONC), "onc");
	ck_assert_ptr_null(avec_profile_mime(AVEC_PROFILE__COUNT));
	ck_assert_ptr_null(avec_profile_ext(AVEC_PROFILE__COUNT));
}
END_TEST

Suite *
profile_suite(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, ca_der_forms);
	tcase_add_loop_test(tc, eapconfig_validates, 0, AVEC_CRED_PSK);
	tcase_add_loop_test(tc, mobileconfig_payloads, 0, AVEC_CRED_PSK);
	tcase_add_test(tc, mobileconfig_rollover);
	tcase_add_loop_test(tc, wlan_xml_validates_server, 0, AVEC_CRED_PSK);
	tcase_add_loop_test(tc, onc_is_json, 0, AVEC_CRED_PSK);
	tcase_add_test(tc, hostile_text_escaped);
	tcase_add_test(tc, refusals_name_no_secret);
	tcase_add_test(tc, signed_mobileconfig_verifies);
	tcase_add_test(tc, qr_svg);
	tcase_add_test(tc, qr_wifi_text);
	tcase_add_test(tc, formats_table);
	suite_add_tcase(s, tc);
	return s;
}
