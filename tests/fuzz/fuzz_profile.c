/*
 * fuzz_profile.c - libFuzzer harness for the profile writers with hostile
 * strings: the school's name, the device's name (typed by its owner in
 * the portal), the SSIDs, the support links and the RADIUS names go into
 * an Apple configuration profile, an EAP metadata file, a Windows WLAN
 * profile and an ONC file.
 *
 * Input: one byte choosing the EAP method and whether the onboarding SSID
 * is given, then NUL-separated fields: school name, device name, SSID,
 * onboarding SSID, support URL, support e-mail, server name, realm (a
 * missing or empty field keeps a plain default).  The CA and the device's
 * credential are made once, at start, in a temporary directory that is
 * removed at once; the secret is a constant of this file.
 *
 * Invariants: whatever avec_profile_check() accepts, every writer writes;
 * the three XML documents are well-formed with their expected root (read
 * back with libxml2, no network, no entity) and the ONC file is one valid
 * JSON object (a small validator below).  Buffers are freed with
 * avec_buf_free(), which wipes them.
 *
 * It found U+FFFE and U+FFFF passing avec_text_valid() into XML, which
 * forbids them: the validator now refuses them (regress/profile/nonchar).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "avec/ident.h"
#include "avec/secret.h"
#include "ca/ca.h"
#include "profile/profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define USER	"dv-abcdefghijklmnop"
#define SECRET	"fuzz-Secr3t<&>\"'"
#define P12PW	"fuzz-p12<&>pw"
#define NFIELDS	8

static unsigned char *ca_der, *p12;
static size_t ca_len, p12_len;
static const unsigned char *cas[1];
static size_t lens[1];

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void
free_credentials(void)
{
	avec_secret_wipe(p12, p12_len);
	free(p12);
	free(ca_der);
}

static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct avec_err err = { "" };
	struct avec_ca_cred *cred;
	struct avec_ca *ca;
	const char *tmp = getenv("TMPDIR");
	char dir[512];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/avec-fuzz-ca.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	if (avec_ca_init(dir, "radius.lycee.example", NULL, &err) < 0 ||
	    (ca = avec_ca_open(dir, &err)) == NULL ||
	    avec_ca_cert_der(ca, &ca_der, &ca_len, &err) < 0 ||
	    (cred = avec_ca_issue_client(ca, USER, 86400, NULL, &err)) ==
		NULL ||
	    avec_ca_cred_p12(cred, ca, P12PW, USER, &p12, &p12_len,
			     &err) < 0) {
		fprintf(stderr, "fuzz_profile: CA: %s\n", err.msg);
		abort();
	}
	avec_ca_cred_free(cred);
	avec_ca_close(ca);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	cas[0] = ca_der;
	lens[0] = ca_len;
	atexit(free_credentials);
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, quiet);
	return 0;
}

/* ---- a small JSON validator (RFC 8259), enough to refuse a bad writer */

struct js {
	const char *p, *end;
	unsigned depth;
};

static void
ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
lit(struct js *j, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
		return -1;
	j->p += n;
	return 0;
}

static int
str(struct js *j)
{
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;

		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (++j->p >= j->end)
				return -1;
			if (*j->p == 'u') {
				int k;

				for (k = 1; k <= 4; k++)
					if (j->p + k >= j->end ||
					    !strchr("0123456789abcdefABCDEF",
						    j->p[k]) || j->p[k] == 0)
						return -1;
				j->p += 5;
			} else if (strchr("\"\\/bfnrt", *j->p) && *j->p) {
				j->p++;
			} else {
				return -1;
			}
		} else if (c >= 0x80) {
			size_t k = avec_utf8_char(j->p);

			if (k == 0 || k > (size_t)(j->end - j->p))
				return -1;
			j->p += k;
		} else {
			j->p++;
		}
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return 0;
}

static int value(struct js *j);

static int
num(struct js *j)
{
	const char *s = j->p;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return -1;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return j->p > s ? 0 : -1;
}

static int
value(struct js *j)
{
	int first = 1;

	if (++j->depth > 64)
		return -1;
	ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		j->p++;
		for (ws(j); j->p < j->end && *j->p != '}'; first = 0) {
			if (!first && *j->p++ != ',')
				return -1;
			ws(j);
			if (str(j) < 0)
				return -1;
			ws(j);
			if (j->p >= j->end || *j->p++ != ':' || value(j) < 0)
				return -1;
			ws(j);
		}
		if (j->p >= j->end)
			return -1;
		j->p++;
		break;
	case '[':
		j->p++;
		for (ws(j); j->p < j->end && *j->p != ']'; first = 0) {
			if (!first && *j->p++ != ',')
				return -1;
			if (value(j) < 0)
				return -1;
			ws(j);
		}
		if (j->p >= j->end)
			return -1;
		j->p++;
		break;
	case '"':
		if (str(j) < 0)
			return -1;
		break;
	case 't':
		return j->depth--, lit(j, "true");
	case 'f':
		return j->depth--, lit(j, "false");
	case 'n':
		return j->depth--, lit(j, "null");
	default:
		if (num(j) < 0)
			return -1;
		break;
	}
	j->depth--;
	return 0;
}

static void
check_json(const struct avec_buf *b)
{
	struct js j = { b->data, b->data + b->len, 0 };

	ws(&j);
	if (j.p >= j.end || *j.p != '{' || value(&j) < 0 ||
	    (ws(&j), j.p != j.end)) {
		fprintf(stderr, "ONC is not JSON near offset %zu:\n%.*s\n",
			(size_t)(j.p - b->data), (int)b->len, b->data);
		abort();
	}
}

static void
check_xml(const struct avec_buf *b, const char *root, const char *what)
{
	xmlDocPtr doc;
	xmlNodePtr r;

	doc = xmlReadMemory(b->data, (int)b->len, what, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (doc == NULL || (r = xmlDocGetRootElement(doc)) == NULL ||
	    xmlStrcmp(r->name, (const xmlChar *)root) != 0) {
		fprintf(stderr, "%s is not well-formed (or not <%s>):\n%.*s\n",
			what, root, (int)b->len, b->data);
		abort();
	}
	xmlFreeDoc(doc);
}

/* a writer refused what avec_profile_check() accepted */
static void
refused(const char *what, const struct avec_err *err)
{
	fprintf(stderr, "%s writer refused a checked profile: %s\n", what,
		err->msg);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dflt[NFIELDS] = {
		"Lycée Voltaire", "Téléphone", "AVEC", "AVEC-Bienvenue",
		"https://aide.lycee.example/", "aide@lycee.example",
		"radius.lycee.example", "lycee.example",
	};
	const char *f[NFIELDS];
	struct avec_profile p;
	struct avec_buf b = { 0 };
	struct avec_err err = { "" };
	char *copy;
	size_t off = 1, i;

	if (size < 1 || size > 4096)
		return 0;
	copy = malloc(size);
	if (copy == NULL)
		abort();
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	for (i = 0; i < NFIELDS; i++) {
		f[i] = dflt[i];
		if (off <= size - 1) {
			const char *s = copy + (off - 1);

			if (*s != '\0')
				f[i] = s;
			off += strlen(s) + 1;
		}
	}

	memset(&p, 0, sizeof(p));
	p.school_name = f[0];
	p.device_name = (data[0] & 0x10) ? NULL : f[1];
	p.ssid = f[2];
	p.onboarding_ssid = (data[0] & 0x04) ? f[3] : NULL;
	p.support_url = (data[0] & 0x08) ? NULL : f[4];
	p.support_email = (data[0] & 0x08) ? NULL : f[5];
	p.server_name = f[6];
	p.realm = f[7];
	p.org_id = "fr.avec.0450822x";
	p.method = (enum avec_cred_type)(data[0] % 3);
	p.ca_der = cas;
	p.ca_len = lens;
	p.nca = 1;
	p.username = USER;
	if (p.method == AVEC_CRED_TLS) {
		p.p12 = p12;
		p.p12_len = p12_len;
		p.p12_password = P12PW;
	} else {
		p.secret = SECRET;
	}
	p.expires_at = (data[0] & 0x20) ? 0 : 1830297600;

	if (avec_profile_check(&p, &err) < 0)
		goto out;
	if (avec_profile_mobileconfig(&p, &b, &err) < 0)
		refused("mobileconfig", &err);
	check_xml(&b, "plist", "mobileconfig");
	avec_buf_free(&b);
	if (avec_profile_eapconfig(&p, &b, &err) < 0)
		refused("eap-config", &err);
	check_xml(&b, "EAPIdentityProviderList", "eap-config");
	avec_buf_free(&b);
	if (avec_profile_wlan_xml(&p, &b, &err) < 0)
		refused("WLAN profile", &err);
	check_xml(&b, "WLANProfile", "WLAN profile");
	avec_buf_free(&b);
	if (avec_profile_onc(&p, &b, &err) < 0)
		refused("ONC", &err);
	check_json(&b);
	avec_buf_free(&b);
out:
	free(copy);
	return 0;
}
