/*
 * check_cas.c - the CAS v3 client: the repository's sample answers
 * (tests/data/cas/), the shared reference answers when the developers'
 * shared folder is there, the three attribute shapes, hostile answers (DTD, entities, sizes, encodings),
 * the mapping to an AVEC identity, tickets and URLs, and validation
 * against an HTTP server on loopback run by the test itself (and a TLS
 * one whose certificate the client must refuse under a foreign CA).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../../provisioning/cas/cas.h"
#include "avec/ident.h"
#include "unit.h"

#define REPO_CAS "tests/data/cas"
#define NS "xmlns:cas=\"http://www.yale.edu/tp/cas\""

static const char GOOD[] =
	"<cas:serviceResponse " NS "><cas:authenticationSuccess>"
	"<cas:user>F1abc</cas:user><cas:attributes>"
	"<cas:ENTPersonProfils>National_ENS</cas:ENTPersonProfils>"
	"<cas:ESCOUAI>0290009C</cas:ESCOUAI>"
	"</cas:attributes></cas:authenticationSuccess></cas:serviceResponse>";

/* GOOD with a vendor's structured attributes, in cas:attributes and
 * directly under authenticationSuccess, and known ones around them. */
static const char NESTED[] =
	"<cas:serviceResponse " NS "><cas:authenticationSuccess>"
	"<cas:user>F1abc</cas:user>"
	"<cas:vendorThing><nested>x</nested></cas:vendorThing>"
	"<cas:attributes>"
	"<cas:vendorThing><nested>x</nested></cas:vendorThing>"
	"<cas:ENTPersonProfils>National_ELV</cas:ENTPersonProfils>"
	"<cas:preferences><cas:lang><v a=\"1\">fr</v></cas:lang>"
	"</cas:preferences>"
	"<cas:ESCOUAI>0290009C</cas:ESCOUAI>"
	"</cas:attributes></cas:authenticationSuccess></cas:serviceResponse>";

static const char FAIL[] =
	"<cas:serviceResponse " NS "><cas:authenticationFailure "
	"code=\"INVALID_SERVICE\">no</cas:authenticationFailure>"
	"</cas:serviceResponse>";

static int
parse(const char *xml, struct avec_cas_response *r, struct avec_err *err)
{
	return avec_cas_parse(xml, strlen(xml), r, err);
}

/* The whole file @path, NUL-terminated; its length in @len. */
static char *
read_all(const char *path, size_t *len)
{
	FILE *f;
	char *s;
	long n;

	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s (run from the repository)",
		      path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return s;
}

/* An answer of the shared reference folder; NULL (skipped) if absent. */
static char *
slurp(const char *name, size_t *len)
{
	char rel[256], what[320], path[768];

	snprintf(rel, sizeof(rel), "reference/ent/cas/%s", name);
	snprintf(what, sizeof(what), "check_cas: the reference answer %s",
		 name);
	if (!unit_shared(path, sizeof(path), rel, what))
		return NULL;
	return read_all(path, len);
}

static unsigned
nvalues(const struct avec_cas_response *r, const char *name)
{
	const struct avec_cas_attr *a = avec_cas_attr_get(r, name);

	return a != NULL ? a->nvalues : 0;
}

static const char *
value(const struct avec_cas_response *r, const char *name, unsigned i)
{
	const struct avec_cas_attr *a = avec_cas_attr_get(r, name);

	return a != NULL && i < a->nvalues ? a->values[i] : NULL;
}

/* The repository's test CAS server's answer: both shapes at once. */
START_TEST(repo_django)
{
	struct avec_cas_response r;
	struct avec_cas_identity id;
	struct avec_cas_map m;
	struct avec_err err;
	size_t len;
	char *x = read_all(REPO_CAS "/django-p3-test1.xml", &len);

	ck_assert_int_eq(avec_cas_parse(x, len, &r, &err), 0);
	ck_assert(r.success);
	ck_assert_str_eq(r.user, "F1abc");
	/* sent in two shapes: each value kept once */
	ck_assert_uint_eq(nvalues(&r, "ENTPersonProfils"), 2);
	ck_assert_str_eq(value(&r, "ENTPersonProfils", 1), "National_1");
	ck_assert_uint_eq(nvalues(&r, "isMemberOf"), 4);
	ck_assert_uint_eq(nvalues(&r, "ESCOUAI"), 1);
	ck_assert_str_eq(value(&r, "ESCOUAICourant", 0), "0290009C");
	ck_assert_str_eq(value(&r, "isFromNewLogin", 0), "true");
	avec_cas_map_default(&m);
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009c", &id, &err),
			 AVEC_CAS_ADMITTED);
	ck_assert_str_eq(id.principal, "F1abc");
	ck_assert_int_eq(id.role, AVEC_ROLE_STUDENT);
	ck_assert_uint_eq(id.ngroups, 1);
	ck_assert_str_eq(id.groups[0], "0290009C$TS2");
	ck_assert_str_eq(id.join_key, "AC-RENNES$1");
	ck_assert_str_eq(id.display_name, "Un ELEVE");
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0379999Z", &id, &err),
			 AVEC_CAS_OTHER_SCHOOL);
	avec_cas_response_clear(&r);
	free(x);
}
END_TEST

/* A failure quoting the ticket: the ticket never comes out. */
START_TEST(repo_failure)
{
	struct avec_cas_response r;
	struct avec_err err;
	size_t len;
	char *x = read_all(REPO_CAS "/failure-echoed-ticket.xml", &len);

	ck_assert_int_eq(avec_cas_parse(x, len, &r, &err), 0);
	ck_assert(!r.success);
	ck_assert_str_eq(r.code, "INVALID_TICKET");
	ck_assert_str_eq(r.user, "");
	ck_assert_str_eq(r.message, "Ticket ST-*** not recognized");
	avec_cas_response_clear(&r);
	free(x);
}
END_TEST

START_TEST(reference_netocentre)
{
	struct avec_cas_response r;
	struct avec_cas_identity id;
	struct avec_cas_map m;
	struct avec_err err;
	size_t len;
	char *x = slurp("cas3-p3-serviceValidate-netocentre-style-ELEVE.xml",
			&len);

	if (x == NULL)
		return;
	ck_assert_int_eq(avec_cas_parse(x, len, &r, &err), 0);
	ck_assert(r.success);
	ck_assert_str_eq(r.code, "");
	ck_assert_str_eq(r.user, "F1abc");
	ck_assert_uint_eq(nvalues(&r, "ENTPersonProfils"), 2);
	ck_assert_str_eq(value(&r, "ENTPersonProfils", 1), "National_1");
	ck_assert_uint_eq(nvalues(&r, "isMemberOf"), 3);
	ck_assert_str_eq(value(&r, "ESCOUAI", 0), "0290009C");
	ck_assert_str_eq(value(&r, "ENTPersonJointure", 0), "AC-RENNES$2");
	ck_assert_str_eq(value(&r, "authenticationDate", 0),
			 "2025-09-02T07:58:12.123Z");
	ck_assert_ptr_null(avec_cas_attr_get(&r, "entpersonprofils"));
	ck_assert_ptr_null(avec_cas_attr_get(&r, "cas:ESCOUAI"));

	avec_cas_map_default(&m);
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009C", &id, &err),
			 AVEC_CAS_ADMITTED);
	ck_assert_str_eq(id.principal, "F1abc");
	ck_assert_int_eq(id.role, AVEC_ROLE_STUDENT);
	ck_assert_uint_eq(id.roles, 1u << AVEC_ROLE_STUDENT);
	ck_assert_uint_eq(id.ngroups, 1);
	ck_assert_str_eq(id.groups[0], "0290009C$TS2");
	ck_assert_str_eq(id.join_key, "AC-RENNES$2");
	ck_assert_str_eq(id.display_name, "Test TEST");
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0450822X", &id, &err),
			 AVEC_CAS_OTHER_SCHOOL);
	ck_assert_uint_eq(id.ngroups, 0);
	avec_cas_response_clear(&r);
	free(x);
}
END_TEST

START_TEST(reference_django)
{
	struct avec_cas_response r;
	struct avec_cas_identity id;
	struct avec_cas_map m;
	struct avec_err err;
	size_t len;
	char *x = slurp("django-cas-server_p3_serviceValidate_F3abc.xml", &len);

	if (x == NULL)
		return;
	ck_assert_int_eq(avec_cas_parse(x, len, &r, &err), 0);
	ck_assert(r.success);
	ck_assert_str_eq(r.user, "F3abc");
	/* sent in two shapes: each value kept once */
	ck_assert_uint_eq(nvalues(&r, "ENTPersonProfils"), 2);
	ck_assert_uint_eq(nvalues(&r, "isMemberOf"), 6);
	ck_assert_str_eq(value(&r, "ESCOUAICourant", 0), "0290009C");
	avec_cas_map_default(&m);
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009c", &id, &err),
			 AVEC_CAS_ADMITTED);
	ck_assert_uint_eq(id.ngroups, 1);
	ck_assert_str_eq(id.groups[0], "0290009C$TS2");
	ck_assert_str_eq(id.join_key, "AC-RENNES$3");
	ck_assert_str_eq(id.display_name, "Test TEST");
	avec_cas_response_clear(&r);
	free(x);
}
END_TEST

START_TEST(reference_failure)
{
	struct avec_cas_response r;
	struct avec_err err;
	size_t len;
	char *x = slurp("cas3-p3-serviceValidate-failure.xml", &len);

	if (x == NULL)
		return;
	ck_assert_int_eq(avec_cas_parse(x, len, &r, &err), 0);
	ck_assert(!r.success);
	ck_assert_str_eq(r.code, "INVALID_TICKET");
	ck_assert_str_eq(r.user, "");
	/* the echoed ticket is masked */
	ck_assert_str_eq(r.message, "Ticket ST-*** not recognized");
	avec_cas_response_clear(&r);
	free(x);
}
END_TEST

START_TEST(three_shapes)
{
	struct avec_cas_response r;
	struct avec_err err;

	/* 1: inside cas:attributes, another prefix, unknown elements */
	ck_assert_int_eq(parse("<?xml version=\"1.0\"?>"
		"<c:serviceResponse xmlns:c=\"http://www.yale.edu/tp/cas\" "
		"xmlns:x=\"urn:other\"><c:authenticationSuccess>"
		"<c:user>\n  alice  \n</c:user><x:user>mallory</x:user>"
		"<c:attributes><c:a>1</c:a><c:a>2</c:a><x:a>3</x:a>"
		"<c:b><![CDATA[<b&>]]></c:b><!-- note --><c:e></c:e>"
		"</c:attributes></c:authenticationSuccess>"
		"<c:somethingNew/></c:serviceResponse>", &r, &err), 0);
	ck_assert(r.success);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_uint_eq(r.nattrs, 2);
	ck_assert_uint_eq(nvalues(&r, "a"), 2);
	ck_assert_str_eq(value(&r, "a", 1), "2");
	ck_assert_str_eq(value(&r, "b", 0), "<b&>");
	avec_cas_response_clear(&r);

	/* 2: directly under authenticationSuccess (default namespace) */
	ck_assert_int_eq(parse("<serviceResponse "
		"xmlns=\"http://www.yale.edu/tp/cas\"><authenticationSuccess>"
		"<user>bob</user><proxyGrantingTicket>PGTIOU-1</proxyGrantingTicket>"
		"<proxies><proxy>https://p</proxy></proxies>"
		"<ESCOUAI>0450822X</ESCOUAI><ESCOUAI>0290009C</ESCOUAI>"
		"<displayName>Bob &amp; Co</displayName>"
		"</authenticationSuccess></serviceResponse>", &r, &err), 0);
	ck_assert_str_eq(r.user, "bob");
	ck_assert_uint_eq(r.nattrs, 2);
	ck_assert_uint_eq(nvalues(&r, "ESCOUAI"), 2);
	ck_assert_str_eq(value(&r, "displayName", 0), "Bob & Co");
	ck_assert_ptr_null(avec_cas_attr_get(&r, "proxyGrantingTicket"));
	avec_cas_response_clear(&r);

	/* 3: name/value pairs */
	ck_assert_int_eq(parse("<cas:serviceResponse " NS
		"><cas:authenticationSuccess><cas:user>carol</cas:user>"
		"<cas:attribute name=\"sn\" value=\"Dupont\"/>"
		"<cas:attribute name=\"g\" value=\"x\"/>"
		"<cas:attribute name=\"g\" value=\"y\"/>"
		"</cas:authenticationSuccess></cas:serviceResponse>", &r,
		&err), 0);
	ck_assert_str_eq(value(&r, "sn", 0), "Dupont");
	ck_assert_uint_eq(nvalues(&r, "g"), 2);
	avec_cas_response_clear(&r);

	/* v2: no attributes at all */
	ck_assert_int_eq(parse("<cas:serviceResponse " NS
		"><cas:authenticationSuccess><cas:user>dave</cas:user>"
		"</cas:authenticationSuccess></cas:serviceResponse>", &r,
		&err), 0);
	ck_assert(r.success);
	ck_assert_uint_eq(r.nattrs, 0);
	avec_cas_response_clear(&r);

	/* a failure with a control character and no code */
	ck_assert_int_eq(parse("<cas:serviceResponse " NS
		"><cas:authenticationFailure>bad\tthing \xc3\xa9"
		"</cas:authenticationFailure></cas:serviceResponse>", &r,
		&err), 0);
	ck_assert(!r.success);
	ck_assert_str_eq(r.code, "UNKNOWN");
	ck_assert_str_eq(r.message, "bad?thing \xc3\xa9");
	avec_cas_response_clear(&r);
	avec_cas_response_clear(&r);	/* twice is harmless */
}
END_TEST

/* A parse that must fail, without echoing @needle in the message. */
static void
refused(const char *xml, size_t len, const char *needle)
{
	struct avec_cas_response r;
	struct avec_err err = { "" };

	ck_assert_int_eq(avec_cas_parse(xml, len, &r, &err), -1);
	ck_assert_msg(err.msg[0] != '\0', "no message");
	if (needle != NULL)
		ck_assert_ptr_null(strstr(err.msg, needle));
	ck_assert_uint_eq(r.nattrs, 0);
	ck_assert_ptr_null(r.attrs);
	avec_cas_response_clear(&r);
}

static void
refused_s(const char *xml)
{
	refused(xml, strlen(xml), NULL);
}

START_TEST(hostile_answers)
{
	char user[300], *big;
	struct avec_buf b = { 0 };
	size_t i;

	/* external entity: must not be read */
	refused_s("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
		  "\"file:///etc/passwd\">]><cas:serviceResponse " NS
		  "><cas:authenticationSuccess><cas:user>u</cas:user>"
		  "<cas:attributes><cas:a>&e;</cas:a></cas:attributes>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
	/* entity expansion */
	refused_s("<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		  "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c "
		  "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><cas:serviceResponse "
		  NS "><cas:authenticationSuccess><cas:user>&c;</cas:user>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
	/* an undeclared entity */
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>&e;</cas:user></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	refused_s("not xml at all");
	refused_s("<html><body>CAS is down</body></html>");
	refused("", 0, NULL);
	refused(NULL, 0, NULL);
	{
		static const char nul[] = "<cas:serviceResponse " NS ">\0"
			"</cas:serviceResponse>";

		refused(nul, sizeof(nul) - 1, NULL);
	}
	/* the wrong namespace, or none */
	refused_s("<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/CAS\">"
		  "<cas:authenticationSuccess><cas:user>u</cas:user>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
	refused_s("<serviceResponse><authenticationSuccess><user>u</user>"
		  "</authenticationSuccess></serviceResponse>");
	/* the right names in another namespace under the right root */
	refused_s("<cas:serviceResponse " NS "><x:authenticationSuccess "
		  "xmlns:x=\"urn:x\"><x:user>u</x:user>"
		  "</x:authenticationSuccess></cas:serviceResponse>");
	/* two results */
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>u</cas:user></cas:authenticationSuccess>"
		  "<cas:authenticationSuccess><cas:user>v</cas:user>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>u</cas:user></cas:authenticationSuccess>"
		  "<cas:authenticationFailure code=\"X\">no"
		  "</cas:authenticationFailure></cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "/>");
	/* the user: missing, empty, two, too long, control characters */
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:attributes><cas:a>1</cas:a></cas:attributes>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user> </cas:user></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>u</cas:user><cas:user>v</cas:user>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>a\tb</cas:user></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>a\x01" "b</cas:user></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>a<b/></cas:user></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	memset(user, 'u', 129);
	user[129] = '\0';
	avec_buf_printf(&b, "<cas:serviceResponse " NS "><cas:authentication"
			"Success><cas:user>%s</cas:user></cas:authentication"
			"Success></cas:serviceResponse>", user);
	refused(b.data, b.len, user);
	avec_buf_reset(&b);
	/* values: invalid UTF-8, too long, too many */
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>u</cas:user><cas:attributes><cas:a>\xff\xfe"
		  "</cas:a></cas:attributes></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>u</cas:user><cas:attribute name=\"a\" value="
		  "\"\xc0\xaf\"/></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	avec_buf_printf(&b, "<cas:serviceResponse " NS "><cas:authentication"
			"Success><cas:user>u</cas:user><cas:a>");
	for (i = 0; i < AVEC_CAS_VALUE_MAX + 1; i++)
		avec_buf_puts(&b, "v");
	avec_buf_puts(&b, "</cas:a></cas:authenticationSuccess>"
		      "</cas:serviceResponse>");
	refused(b.data, b.len, NULL);
	avec_buf_reset(&b);
	avec_buf_printf(&b, "<cas:serviceResponse " NS "><cas:authentication"
			"Success><cas:user>u</cas:user><cas:attributes>");
	for (i = 0; i < AVEC_CAS_ATTRS_MAX + 1; i++)
		avec_buf_printf(&b, "<cas:a%zu>v</cas:a%zu>", i, i);
	avec_buf_puts(&b, "</cas:attributes></cas:authenticationSuccess>"
		      "</cas:serviceResponse>");
	refused(b.data, b.len, NULL);
	avec_buf_reset(&b);
	avec_buf_printf(&b, "<cas:serviceResponse " NS "><cas:authentication"
			"Success><cas:user>u</cas:user>");
	for (i = 0; i < AVEC_CAS_VALUES_MAX + 1; i++)
		avec_buf_printf(&b, "<cas:attribute name=\"a\" value=\"%zu\"/>",
				i);
	avec_buf_puts(&b, "</cas:authenticationSuccess></cas:serviceResponse>");
	refused(b.data, b.len, NULL);
	avec_buf_free(&b);

	/* 65 KiB: refused by size even though well formed */
	big = malloc(65 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', 65 * 1024);
	memcpy(big, GOOD, strlen(GOOD));
	big[65 * 1024] = '\0';
	refused(big, 65 * 1024, NULL);
	/* the same at 64 KiB is read */
	{
		struct avec_cas_response r;
		struct avec_err err;

		ck_assert_int_eq(avec_cas_parse(big, 64 * 1024, &r, &err), 0);
		ck_assert_str_eq(r.user, "F1abc");
		avec_cas_response_clear(&r);
	}
	free(big);
}
END_TEST

/* @depth nested <n> elements around "x" inside cas:deep, into @b */
static void
deep_answer(struct avec_buf *b, unsigned depth)
{
	unsigned i;

	avec_buf_reset(b);
	avec_buf_puts(b, "<cas:serviceResponse " NS "><cas:authentication"
		      "Success><cas:user>u</cas:user><cas:attributes>"
		      "<cas:a>1</cas:a><cas:deep>");
	for (i = 0; i < depth; i++)
		avec_buf_puts(b, "<n>");
	avec_buf_puts(b, "x");
	for (i = 0; i < depth; i++)
		avec_buf_puts(b, "</n>");
	avec_buf_puts(b, "</cas:deep></cas:attributes></cas:authentication"
		      "Success></cas:serviceResponse>");
	ck_assert(!avec_buf_failed(b));
}

/*
 * An attribute AVEC does not use, holding elements,
 * is skipped wherever it is and however deep; the known ones are still
 * read.  One AVEC does use, holding elements, refuses the identity with
 * a message naming it; a malformed document is still refused.
 */
START_TEST(structured_unknown_elements)
{
	struct avec_cas_response r;
	struct avec_cas_identity id;
	struct avec_cas_map m;
	struct avec_err err = { "" };
	struct avec_buf b = { 0 };
	const struct avec_cas_attr *a;

	avec_cas_map_default(&m);
	/* one level, in cas:attributes and directly under the success */
	ck_assert_msg(parse(NESTED, &r, &err) == 0, "%s", err.msg);
	ck_assert(r.success);
	ck_assert_str_eq(r.user, "F1abc");
	ck_assert_str_eq(value(&r, "ENTPersonProfils", 0), "National_ELV");
	ck_assert_str_eq(value(&r, "ESCOUAI", 0), "0290009C");
	ck_assert_ptr_nonnull(a = avec_cas_attr_get(&r, "vendorThing"));
	ck_assert(a->markup);
	ck_assert_uint_eq(a->nvalues, 0);
	ck_assert_ptr_nonnull(a = avec_cas_attr_get(&r, "preferences"));
	ck_assert(a->markup);
	ck_assert_ptr_null(avec_cas_attr_get(&r, "nested"));
	ck_assert_ptr_null(avec_cas_attr_get(&r, "lang"));
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009C", &id, &err),
			 AVEC_CAS_ADMITTED);
	ck_assert_int_eq(id.role, AVEC_ROLE_STUDENT);
	avec_cas_response_clear(&r);

	/* several depths and places; mixed content; a cas:user inside one
	 * is not the user; a name both plain and structured keeps its text */
	ck_assert_msg(parse("<cas:serviceResponse " NS " xmlns:v=\"urn:v\">"
		"<cas:authenticationSuccess>"
		"<cas:wrapper><cas:user>mallory</cas:user></cas:wrapper>"
		"<cas:user>alice</cas:user>"
		"<cas:attributes>"
		"<cas:deep3><a><b><c>x</c></b></a></cas:deep3>"
		"<cas:mixed>text<b/>more</cas:mixed>"
		"<cas:ns><v:thing><v:part>1</v:part></v:thing></cas:ns>"
		"<cas:empty><e/></cas:empty>"
		"<cas:ENTPersonProfils>National_ELV</cas:ENTPersonProfils>"
		"<cas:twice>plain</cas:twice>"
		"<cas:twice><sub>deep</sub></cas:twice>"
		"<cas:ENTEleveClasses>0290009C$TS2</cas:ENTEleveClasses>"
		"<cas:attribute name=\"ESCOUAI\" value=\"0290009C\"/>"
		"</cas:attributes>"
		"<cas:deep6><a><b><c><d><e>x</e></d></c></b></a></cas:deep6>"
		"<cas:ENTPersonJointure>AC-RENNES$2</cas:ENTPersonJointure>"
		"</cas:authenticationSuccess></cas:serviceResponse>", &r,
		&err) == 0, "%s", err.msg);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_uint_eq(r.nattrs, 11);
	ck_assert_str_eq(value(&r, "twice", 0), "plain");
	ck_assert_uint_eq(nvalues(&r, "twice"), 1);
	ck_assert(avec_cas_attr_get(&r, "twice")->markup);
	ck_assert(avec_cas_attr_get(&r, "deep3")->markup);
	ck_assert(avec_cas_attr_get(&r, "deep6")->markup);
	ck_assert(avec_cas_attr_get(&r, "mixed")->markup);
	ck_assert(avec_cas_attr_get(&r, "ns")->markup);
	ck_assert(avec_cas_attr_get(&r, "wrapper")->markup);
	ck_assert(!avec_cas_attr_get(&r, "ESCOUAI")->markup);
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009C", &id, &err),
			 AVEC_CAS_ADMITTED);
	ck_assert_str_eq(id.principal, "alice");
	ck_assert_uint_eq(id.ngroups, 1);
	ck_assert_str_eq(id.groups[0], "0290009C$TS2");
	ck_assert_str_eq(id.join_key, "AC-RENNES$2");
	avec_cas_response_clear(&r);

	/* deep but within libxml2's nesting limit: read */
	deep_answer(&b, 200);
	ck_assert_msg(avec_cas_parse(b.data, b.len, &r, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(value(&r, "a", 0), "1");
	ck_assert(avec_cas_attr_get(&r, "deep")->markup);
	avec_cas_response_clear(&r);
	/* past it (and so never unbounded): refused as a whole */
	deep_answer(&b, 5000);
	refused(b.data, b.len, NULL);
	avec_buf_free(&b);

	/* an attribute AVEC maps, structured: the identity is refused */
	ck_assert_int_eq(parse("<cas:serviceResponse " NS
		"><cas:authenticationSuccess><cas:user>u</cas:user>"
		"<cas:attributes><cas:ESCOUAI>0290009C</cas:ESCOUAI>"
		"<cas:ENTPersonProfils><p>National_ELV</p></cas:ENTPersonProfils>"
		"</cas:attributes></cas:authenticationSuccess>"
		"</cas:serviceResponse>", &r, &err), 0);
	err.msg[0] = '\0';
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009C", &id, &err), -1);
	ck_assert_msg(strstr(err.msg, "ENTPersonProfils") != NULL &&
		      strstr(err.msg, "markup") != NULL, "%s", err.msg);
	avec_cas_response_clear(&r);

	/* truly malformed: still "not well-formed", nothing kept */
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user>u</cas:user><cas:attributes>"
		  "<cas:vendorThing><nested>x</cas:vendorThing>"
		  "</cas:attributes></cas:authenticationSuccess>"
		  "</cas:serviceResponse>");
	ck_assert_int_eq(parse("<cas:serviceResponse " NS "><cas:authentication"
		"Success><cas:user>u</cas:user><cas:v><n>x</cas:v>"
		"</cas:authenticationSuccess></cas:serviceResponse>", &r, &err),
		-1);
	ck_assert_msg(strstr(err.msg, "not well-formed") != NULL, "%s",
		      err.msg);
	/* and the user itself may never hold markup */
	refused_s("<cas:serviceResponse " NS "><cas:authenticationSuccess>"
		  "<cas:user><nested>u</nested></cas:user>"
		  "</cas:authenticationSuccess></cas:serviceResponse>");
}
END_TEST

/* Parse an inline success with @attrs (cas:attributes content). */
static int
identify(const char *user, const char *attrs, const char *uai,
	 struct avec_cas_identity *id)
{
	struct avec_buf b = { 0 };
	struct avec_cas_response r;
	struct avec_cas_map m;
	struct avec_err err;
	int rc;

	avec_buf_printf(&b, "<cas:serviceResponse " NS "><cas:authentication"
			"Success><cas:user>%s</cas:user><cas:attributes>%s"
			"</cas:attributes></cas:authenticationSuccess>"
			"</cas:serviceResponse>", user, attrs);
	ck_assert_int_eq(avec_cas_parse(b.data, b.len, &r, &err), 0);
	avec_cas_map_default(&m);
	rc = avec_cas_identify(&r, &m, uai, id, &err);
	avec_cas_response_clear(&r);
	avec_buf_free(&b);
	return rc;
}

#define SCHOOL "<cas:ESCOUAI>0290009C</cas:ESCOUAI>"
#define P(x) "<cas:ENTPersonProfils>" x "</cas:ENTPersonProfils>"

START_TEST(identify_roles)
{
	static const struct {
		const char *profile;
		enum avec_role role;
	} forms[] = {
		{ "National_ELV", AVEC_ROLE_STUDENT }, { "National_1", AVEC_ROLE_STUDENT },
		{ "National_TUT", AVEC_ROLE_PARENT }, { "National_2", AVEC_ROLE_PARENT },
		{ "National_ENS", AVEC_ROLE_TEACHER }, { "National_3", AVEC_ROLE_TEACHER },
		{ "National_DOC", AVEC_ROLE_STAFF }, { "National_EVS", AVEC_ROLE_STAFF },
		{ "National_DIR", AVEC_ROLE_STAFF }, { "National_ETA", AVEC_ROLE_STAFF },
		{ "National_ACA", AVEC_ROLE_STAFF }, { "National_COL", AVEC_ROLE_STAFF },
		{ "National_4", AVEC_ROLE_STAFF }, { "National_5", AVEC_ROLE_STAFF },
		{ "National_6", AVEC_ROLE_STAFF }, { "National_7", AVEC_ROLE_STAFF },
	};
	struct avec_cas_identity id;
	char attrs[256];
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(attrs, sizeof(attrs), SCHOOL P("%s"), forms[i].profile);
		ck_assert_int_eq(identify("u1", attrs, "0290009C", &id),
				 AVEC_CAS_ADMITTED);
		ck_assert_msg(id.role == forms[i].role, "%s", forms[i].profile);
		ck_assert_uint_eq(id.roles, 1u << forms[i].role);
	}
	/* unknown or differently spelled profiles are ignored */
	ck_assert_int_eq(identify("u1", SCHOOL P("National_8") P("national_ens")
				  P("ELEVE"), "0290009C", &id),
			 AVEC_CAS_NO_ROLE);
	ck_assert_uint_eq(id.roles, 0);
	ck_assert_int_eq(identify("u1", SCHOOL, "0290009C", &id),
			 AVEC_CAS_NO_ROLE);
	/* the most privileged wins: teacher > staff > student > parent */
	ck_assert_int_eq(identify("u1", SCHOOL P("National_TUT") P("National_ELV")
				  P("National_ENS") P("National_DOC"),
				  "0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_int_eq(id.role, AVEC_ROLE_TEACHER);
	ck_assert_uint_eq(id.roles, (1u << AVEC_ROLE_TEACHER) |
			  (1u << AVEC_ROLE_STAFF) | (1u << AVEC_ROLE_STUDENT) |
			  (1u << AVEC_ROLE_PARENT));
	ck_assert_int_eq(identify("u1", SCHOOL P("National_TUT") P("National_EVS")
				  P("National_1"), "0290009C", &id),
			 AVEC_CAS_ADMITTED);
	ck_assert_int_eq(id.role, AVEC_ROLE_STAFF);
	ck_assert_int_eq(identify("u1", SCHOOL P("National_2") P("National_1"),
				  "0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_int_eq(id.role, AVEC_ROLE_STUDENT);
	/* a parent alone is admitted as a parent: the policy decides */
	ck_assert_int_eq(identify("u1", SCHOOL P("National_TUT"), "0290009C",
				  &id), AVEC_CAS_ADMITTED);
	ck_assert_int_eq(id.role, AVEC_ROLE_PARENT);
}
END_TEST

START_TEST(identify_schools)
{
	struct avec_cas_identity id;
	struct avec_cas_response r = { 0 };
	struct avec_cas_map m;
	struct avec_err err;

	ck_assert_int_eq(identify("u1", P("National_ELV"), "0290009C", &id),
			 AVEC_CAS_NO_SCHOOL);
	ck_assert_int_eq(identify("u1", P("National_ELV")
				  "<cas:ESCOUAI>0450822X</cas:ESCOUAI>",
				  "0290009C", &id), AVEC_CAS_OTHER_SCHOOL);
	/* one of several, any school attribute, either case */
	ck_assert_int_eq(identify("u1", P("National_ENS")
				  "<cas:ESCOUAI>0450822X</cas:ESCOUAI>"
				  "<cas:ESCOUAICourant>0290009c</cas:ESCOUAICourant>",
				  "0290009C", &id), AVEC_CAS_ADMITTED);
	/* a reference: only when it plainly names a UAI */
	ck_assert_int_eq(identify("u1", P("National_ELV")
				  "<cas:ENTPersonStructRattach>ENTStructureSIREN="
				  "19290009000015,ou=structures,dc=esco-centre,"
				  "dc=fr</cas:ENTPersonStructRattach>",
				  "0290009C", &id), AVEC_CAS_NO_SCHOOL);
	ck_assert_int_eq(identify("u1", P("National_ELV")
				  "<cas:ENTPersonStructRattach>1000"
				  "</cas:ENTPersonStructRattach>",
				  "0290009C", &id), AVEC_CAS_NO_SCHOOL);
	ck_assert_int_eq(identify("u1", P("National_ELV")
				  "<cas:ENTPersonStructRattach>ENTStructureUAI="
				  "0290009C,ou=structures,dc=esco-centre,dc=fr"
				  "</cas:ENTPersonStructRattach>",
				  "0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_int_eq(identify("u1", P("National_ELV")
				  "<cas:ENTPersonStructRattach>0291595B"
				  "</cas:ENTPersonStructRattach>",
				  "0290009C", &id), AVEC_CAS_OTHER_SCHOOL);
	/* the principal and the school are checked */
	ck_assert_int_eq(identify("a b", SCHOOL P("National_ELV"), "0290009C",
				  &id), -1);
	ck_assert_int_eq(identify("u1", SCHOOL P("National_ELV"), "290009C",
				  &id), -1);
	avec_cas_map_default(&m);
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009C", &id, &err), -1);
	/* configured names */
	memset(&m, 0, sizeof(m));
	snprintf(m.role, sizeof(m.role), "profil");
	snprintf(m.schools[3], sizeof(m.schools[3]), "rne");
	ck_assert_int_eq(parse("<cas:serviceResponse " NS
		"><cas:authenticationSuccess><cas:user>u</cas:user>"
		"<cas:profil>National_ENS</cas:profil><cas:rne>0290009C</cas:rne>"
		"<cas:ESCOUAI>0450822X</cas:ESCOUAI>"
		"</cas:authenticationSuccess></cas:serviceResponse>", &r,
		&err), 0);
	ck_assert_int_eq(avec_cas_identify(&r, &m, "0290009C", &id, &err),
			 AVEC_CAS_ADMITTED);
	ck_assert_int_eq(id.role, AVEC_ROLE_TEACHER);
	avec_cas_response_clear(&r);
}
END_TEST

START_TEST(identify_groups)
{
	struct avec_cas_identity id;

	ck_assert_int_eq(identify("u1", SCHOOL P("National_ELV")
		"<cas:isMemberOf>esco:Etablissements:DE L IROISE_0290009C:"
		"TERMINALE:Eleves_TS2</cas:isMemberOf>"
		"<cas:isMemberOf>esco:Etablissements:DE L IROISE_0290009C:"
		"Eleves</cas:isMemberOf>"
		"<cas:isMemberOf>esco:Etablissements:DE L IROISE_0290009C:"
		"Tous_DE L IROISE</cas:isMemberOf>"
		"<cas:isMemberOf>esco:Etablissements:AUTRE_0450822X:"
		"SECONDE:Eleves_2A</cas:isMemberOf>"
		"<cas:isMemberOf>esco:Applications:Folios:DE L IROISE_0290009C"
		"</cas:isMemberOf>"
		"<cas:ENTEleveClasses>0290009C$TS2</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009c$1ES 3</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0450822X$2B</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>ENTStructureUAI=0290009C,ou=structures,"
		"dc=fr$TS5</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>ENTStructureSIREN=19290009000015,"
		"ou=structures,dc=fr$TS6</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>1000$TS7</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$</cas:ENTEleveClasses>",
		"0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_uint_eq(id.ngroups, 3);
	ck_assert_str_eq(id.groups[0], "0290009C$TS2");
	ck_assert_str_eq(id.groups[1], "0290009C$1ES 3");
	ck_assert_str_eq(id.groups[2], "0290009C$TS5");
	/* at most AVEC_CAS_GROUPS_MAX */
	ck_assert_int_eq(identify("u1", SCHOOL P("National_ENS")
		"<cas:ENTEleveClasses>0290009C$A1</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A2</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A3</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A4</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A5</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A6</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A7</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A8</cas:ENTEleveClasses>"
		"<cas:ENTEleveClasses>0290009C$A9</cas:ENTEleveClasses>",
		"0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_uint_eq(id.ngroups, AVEC_CAS_GROUPS_MAX);
}
END_TEST

START_TEST(identify_names)
{
	struct avec_cas_identity id;
	char attrs[1200];
	size_t n;

	ck_assert_int_eq(identify("u1", SCHOOL P("National_ELV")
		"<cas:displayName>Zo\xc3\xa9 Martin</cas:displayName>"
		"<cas:givenName>X</cas:givenName><cas:sn>Y</cas:sn>"
		"<cas:ENTPersonJointure>AC-ORLEANS-TOURS$1234</cas:ENTPersonJointure>",
		"0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_str_eq(id.display_name, "Zo\xc3\xa9 Martin");
	ck_assert_str_eq(id.join_key, "AC-ORLEANS-TOURS$1234");
	ck_assert_int_eq(identify("u1", SCHOOL P("National_ELV")
		"<cas:sn>Martin</cas:sn>"
		"<cas:ENTPersonJointure>has blank</cas:ENTPersonJointure>",
		"0290009C", &id), AVEC_CAS_ADMITTED);
	ck_assert_str_eq(id.display_name, "Martin");
	ck_assert_str_eq(id.join_key, "");
	ck_assert_int_eq(identify("u1", SCHOOL P("National_ELV"), "0290009C",
				  &id), AVEC_CAS_ADMITTED);
	ck_assert_str_eq(id.display_name, "");
	/* truncated on a character boundary: 'a' then 'é' x 100 */
	n = (size_t)snprintf(attrs, sizeof(attrs), SCHOOL P("National_ELV")
			     "<cas:displayName>a");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(attrs + n, sizeof(attrs) - n, "\xc3\xa9");
	snprintf(attrs + n, sizeof(attrs) - n, "</cas:displayName>");
	ck_assert_int_eq(identify("u1", attrs, "0290009C", &id),
			 AVEC_CAS_ADMITTED);
	ck_assert_uint_eq(strlen(id.display_name), 127);
	ck_assert(avec_text_valid(id.display_name, AVEC_DISPLAY_NAME_MAX));
}
END_TEST

START_TEST(tickets_and_urls)
{
	struct avec_buf b = { 0 };
	char t[300];

	ck_assert(avec_cas_ticket_valid("ST-1"));
	ck_assert(avec_cas_ticket_valid("ST-1-AbC.d_e~f-cas"));
	ck_assert(!avec_cas_ticket_valid("ST-"));
	ck_assert(!avec_cas_ticket_valid(""));
	ck_assert(!avec_cas_ticket_valid(NULL));
	ck_assert(!avec_cas_ticket_valid("PT-1"));
	ck_assert(!avec_cas_ticket_valid("st-1"));
	ck_assert(!avec_cas_ticket_valid("ST-1&x=y"));
	ck_assert(!avec_cas_ticket_valid("ST-1 2"));
	ck_assert(!avec_cas_ticket_valid("ST-1%20"));
	ck_assert(!avec_cas_ticket_valid("ST-\xc3\xa9"));
	memcpy(t, "ST-", 3);
	memset(t + 3, 'a', 253);
	t[256] = '\0';
	ck_assert(avec_cas_ticket_valid(t));
	t[256] = 'a';
	t[257] = '\0';
	ck_assert(!avec_cas_ticket_valid(t));

	avec_cas_url_encode(&b, "aZ09-._~ /?&=%+#\xc3\xa9");
	ck_assert_str_eq(b.data, "aZ09-._~%20%2F%3F%26%3D%25%2B%23%C3%A9");
	avec_buf_reset(&b);
	avec_cas_url_encode(&b, "");
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(avec_cas_login_url("https://ent.example/cas",
		"https://wifi.lycee.example/portal/cas?next=/a b", &b), 0);
	ck_assert_str_eq(b.data, "https://ent.example/cas/login?service="
		"https%3A%2F%2Fwifi.lycee.example%2Fportal%2Fcas%3Fnext%3D"
		"%2Fa%20b");
	avec_buf_reset(&b);
	ck_assert_int_eq(avec_cas_login_url("", "s", &b), -1);
	ck_assert_int_eq(avec_cas_login_url("https://e/cas", "", &b), -1);
	avec_buf_free(&b);
}
END_TEST

/* ---- a loopback HTTP server, one thread, a fixed number of requests ---- */

enum mode {
	M_GOOD, M_FAIL, M_500, M_FALLBACK, M_GARBAGE, M_BIG, M_REDIRECT,
	M_NESTED, M_BROKEN,
};

struct srv {
	int fd;
	int port;
	enum mode mode;
	int expect;
	int nreq;
	char line[4][2048];
	pthread_t th;
	SSL_CTX *tls;		/* answer over TLS when set */
};

static void
send_all(int fd, SSL *ssl, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (ssl != NULL)
			w = SSL_write(ssl, p, (int)n);
		else
			w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
answer(int fd, SSL *ssl, int code, const char *extra, const char *body,
       size_t blen)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
		     "text/xml\r\nContent-Length: %zu\r\nConnection: close\r\n"
		     "%s\r\n", code, blen, extra);
	send_all(fd, ssl, head, (size_t)n);
	send_all(fd, ssl, body, blen);
}

static void *
serve(void *arg)
{
	struct srv *s = arg;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	char req[4096], *big;
	size_t len;
	ssize_t r;
	SSL *ssl;
	int c;

	while (s->nreq < s->expect) {
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		if ((c = accept(s->fd, NULL, NULL)) < 0)
			break;
		ssl = NULL;
		if (s->tls != NULL) {
			ssl = SSL_new(s->tls);
			SSL_set_fd(ssl, c);
			if (SSL_accept(ssl) <= 0) {	/* the client refused us */
				SSL_free(ssl);
				close(c);
				s->nreq++;
				continue;
			}
		}
		len = 0;
		while (len < sizeof(req) - 1) {
			r = ssl != NULL ? SSL_read(ssl, req + len,
						   (int)(sizeof(req) - 1 - len))
				: recv(c, req + len, sizeof(req) - 1 - len, 0);
			if (r <= 0)
				break;
			len += (size_t)r;
			req[len] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		req[len] = '\0';
		snprintf(s->line[s->nreq % 4], sizeof(s->line[0]), "%.*s",
			 (int)strcspn(req, "\r\n"), req);
		s->nreq++;
		switch (s->mode) {
		case M_GOOD:
			answer(c, ssl, 200, "", GOOD, strlen(GOOD));
			break;
		case M_FAIL:
			answer(c, ssl, 200, "", FAIL, strlen(FAIL));
			break;
		case M_500:
			answer(c, ssl, 500, "", "oops", 4);
			break;
		case M_FALLBACK:
			if (strstr(req, "/p3/") != NULL)
				answer(c, ssl, 404, "", "none", 4);
			else
				answer(c, ssl, 200, "", GOOD, strlen(GOOD));
			break;
		case M_GARBAGE:
			answer(c, ssl, 200, "", "<html>hello</html>", 18);
			break;
		case M_BIG:
			big = malloc(70 * 1024);
			memset(big, ' ', 70 * 1024);
			memcpy(big, GOOD, strlen(GOOD));
			answer(c, ssl, 200, "", big, 70 * 1024);
			free(big);
			break;
		case M_REDIRECT:
			answer(c, ssl, 302, "Location: http://127.0.0.1:1/x\r\n",
			       "", 0);
			break;
		case M_NESTED:
			answer(c, ssl, 200, "", NESTED, strlen(NESTED));
			break;
		case M_BROKEN:	/* NESTED cut short: not well-formed */
			answer(c, ssl, 200, "", NESTED, strlen(NESTED) / 2);
			break;
		default:
			break;
		}
		if (ssl != NULL) {
			SSL_shutdown(ssl);
			SSL_free(ssl);
		}
		close(c);
	}
	return NULL;
}

static void
srv_listen(struct srv *s)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s->fd, 0);
	ck_assert_int_eq(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(s->fd, 4), 0);
	ck_assert_int_eq(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
}

static void
srv_start(struct srv *s, enum mode mode, int expect)
{
	memset(s, 0, sizeof(*s));
	srv_listen(s);
	s->mode = mode;
	s->expect = expect;
	ck_assert_int_eq(pthread_create(&s->th, NULL, serve, s), 0);
}

static void
srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
}

#define SERVICE "https://wifi.lycee.example/portal/cas?x=1&y=\xc3\xa9"
#define SERVICE_ENC "https%3A%2F%2Fwifi.lycee.example%2Fportal%2Fcas%3Fx%3D1" \
	"%26y%3D%C3%A9"
#define TICKET "ST-12-aB_c.d~e-cas1"

/* One validation against @s; the client's base is http://127.0.0.1:P/cas. */
static enum avec_cas_result
run(struct srv *s, bool fallback, long timeout_ms,
    struct avec_cas_response *r, struct avec_err *err)
{
	char base[64];
	struct avec_cas_client c = { .base = base, .allow_http = true,
				     .v2_fallback = fallback,
				     .timeout_ms = timeout_ms };
	enum avec_cas_result res;

	snprintf(base, sizeof(base), "http://127.0.0.1:%d/cas", s->port);
	err->msg[0] = '\0';
	res = avec_cas_validate(&c, SERVICE, TICKET, r, err);
	ck_assert_ptr_null(strstr(err->msg, TICKET));
	ck_assert_ptr_null(strstr(err->msg, "12-aB_c"));
	return res;
}

START_TEST(validate_over_http)
{
	struct avec_cas_response r;
	struct avec_err err;
	struct srv s;

	ck_assert_int_eq(avec_cas_global_init(&err), 0);

	srv_start(&s, M_GOOD, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_VALID);
	srv_stop(&s);
	ck_assert_str_eq(r.user, "F1abc");
	ck_assert_str_eq(s.line[0], "GET /cas/p3/serviceValidate?service="
			 SERVICE_ENC "&ticket=" TICKET " HTTP/1.1");
	avec_cas_response_clear(&r);

	srv_start(&s, M_FAIL, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_REFUSED);
	srv_stop(&s);
	ck_assert_str_eq(r.code, "INVALID_SERVICE");
	avec_cas_response_clear(&r);

	srv_start(&s, M_500, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_UNAVAILABLE);
	srv_stop(&s);
	ck_assert_ptr_nonnull(strstr(err.msg, "500"));
	avec_cas_response_clear(&r);

	/* a 404 on /p3: with the fallback, /serviceValidate is asked */
	srv_start(&s, M_FALLBACK, 2);
	ck_assert_int_eq(run(&s, true, 2000, &r, &err), AVEC_CAS_VALID);
	srv_stop(&s);
	ck_assert_int_eq(s.nreq, 2);
	ck_assert_str_eq(s.line[1], "GET /cas/serviceValidate?service="
			 SERVICE_ENC "&ticket=" TICKET " HTTP/1.1");
	ck_assert_str_eq(r.user, "F1abc");
	avec_cas_response_clear(&r);
	/* without it, the 404 stands */
	srv_start(&s, M_FALLBACK, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_UNAVAILABLE);
	srv_stop(&s);
	ck_assert_int_eq(s.nreq, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "404"));

	srv_start(&s, M_GARBAGE, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_GARBAGE);
	srv_stop(&s);

	srv_start(&s, M_BIG, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_GARBAGE);
	srv_stop(&s);

	/* a vendor's structured attribute: valid; the same cut short: the
	 * answer is unreadable (AVEC_CAS_GARBAGE), not the ENT unavailable */
	srv_start(&s, M_NESTED, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_VALID);
	srv_stop(&s);
	ck_assert_str_eq(r.user, "F1abc");
	ck_assert_str_eq(value(&r, "ESCOUAI", 0), "0290009C");
	avec_cas_response_clear(&r);
	srv_start(&s, M_BROKEN, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_GARBAGE);
	srv_stop(&s);
	ck_assert_msg(strstr(err.msg, "not well-formed") != NULL, "%s",
		      err.msg);

	srv_start(&s, M_REDIRECT, 1);
	ck_assert_int_eq(run(&s, false, 2000, &r, &err), AVEC_CAS_UNAVAILABLE);
	srv_stop(&s);
	ck_assert_int_eq(s.nreq, 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "redirect"));
	avec_cas_response_clear(&r);
}
END_TEST

START_TEST(validate_timeout_and_refusals)
{
	struct avec_cas_response r;
	struct avec_err err;
	struct avec_cas_client c = { .base = "http://127.0.0.1:1/cas" };
	struct timespec t0, t1;
	struct srv s;
	long ms;

	ck_assert_int_eq(avec_cas_global_init(&err), 0);
	/* a server that accepts the connection and never answers */
	memset(&s, 0, sizeof(s));
	srv_listen(&s);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(run(&s, false, 300, &r, &err), AVEC_CAS_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(s.fd);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 1500);
	ck_assert_ptr_nonnull(strstr(err.msg, "waiting"));

	/* plain HTTP without allow_http, a bad ticket, a bad service */
	ck_assert_int_eq(avec_cas_validate(&c, SERVICE, TICKET, &r, &err),
			 AVEC_CAS_UNAVAILABLE);
	ck_assert_ptr_nonnull(strstr(err.msg, "https"));
	c.base = "ftp://127.0.0.1/cas";
	c.allow_http = true;
	ck_assert_int_eq(avec_cas_validate(&c, SERVICE, TICKET, &r, &err),
			 AVEC_CAS_UNAVAILABLE);
	c.base = "http://127.0.0.1:1/cas";
	ck_assert_int_eq(avec_cas_validate(&c, SERVICE, "ST-1&ticket=x", &r,
					   &err), AVEC_CAS_REFUSED);
	ck_assert_str_eq(r.code, "INVALID_TICKET_SPEC");
	ck_assert_ptr_null(strstr(err.msg, "ticket=x"));
	ck_assert_int_eq(avec_cas_validate(&c, "", TICKET, &r, &err),
			 AVEC_CAS_UNAVAILABLE);
	/* nothing listening: unavailable, the ticket not in the message */
	ck_assert_int_eq(avec_cas_validate(&c, SERVICE, TICKET, &r, &err),
			 AVEC_CAS_UNAVAILABLE);
	ck_assert_ptr_null(strstr(err.msg, TICKET));
}
END_TEST

/* ---- TLS: a self-signed certificate for 127.0.0.1 ---- */

static X509 *
self_signed(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	ck_assert_ptr_nonnull(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "IP:127.0.0.1");
	ck_assert_ptr_nonnull(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
				  "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	return x;
}

static void
write_pem(const char *path, X509 *x)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
}

START_TEST(validate_over_tls)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *cert, *foreign;
	struct avec_cas_response r;
	struct avec_err err;
	struct avec_cas_client c = { .timeout_ms = 3000 };
	char base[64], good_ca[512], bad_ca[512];
	struct srv s;

	ck_assert_int_eq(avec_cas_global_init(&err), 0);
	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(other);
	cert = self_signed(key, "cas test");
	foreign = self_signed(other, "cas test");
	snprintf(good_ca, sizeof(good_ca), "%s", unit_path("good.pem"));
	snprintf(bad_ca, sizeof(bad_ca), "%s", unit_path("bad.pem"));
	write_pem(good_ca, cert);
	write_pem(bad_ca, foreign);

	/* a CA that did not sign the server's certificate: refused */
	srv_start(&s, M_GOOD, 0);
	pthread_join(s.th, NULL);	/* not started yet: set TLS first */
	s.tls = SSL_CTX_new(TLS_server_method());
	ck_assert_ptr_nonnull(s.tls);
	ck_assert_int_eq(SSL_CTX_use_certificate(s.tls, cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(s.tls, key), 1);
	s.expect = 1;
	ck_assert_int_eq(pthread_create(&s.th, NULL, serve, &s), 0);
	snprintf(base, sizeof(base), "https://127.0.0.1:%d/cas", s.port);
	c.base = base;
	c.ca_file = bad_ca;
	ck_assert_int_eq(avec_cas_validate(&c, SERVICE, TICKET, &r, &err),
			 AVEC_CAS_UNAVAILABLE);
	pthread_join(s.th, NULL);
	ck_assert_ptr_null(strstr(err.msg, TICKET));

	/* the right CA: the same server is accepted */
	s.nreq = 0;
	ck_assert_int_eq(pthread_create(&s.th, NULL, serve, &s), 0);
	c.ca_file = good_ca;
	ck_assert_int_eq(avec_cas_validate(&c, SERVICE, TICKET, &r, &err),
			 AVEC_CAS_VALID);
	ck_assert_str_eq(r.user, "F1abc");
	avec_cas_response_clear(&r);
	srv_stop(&s);

	SSL_CTX_free(s.tls);
	X509_free(cert);
	X509_free(foreign);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}
END_TEST

Suite *
cas_suite(void)
{
	Suite *s = suite_create("cas");
	TCase *tc = tcase_create("cas");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, repo_django);
	tcase_add_test(tc, repo_failure);
	tcase_add_test(tc, reference_netocentre);
	tcase_add_test(tc, reference_django);
	tcase_add_test(tc, reference_failure);
	tcase_add_test(tc, three_shapes);
	tcase_add_test(tc, hostile_answers);
	tcase_add_test(tc, structured_unknown_elements);
	tcase_add_test(tc, identify_roles);
	tcase_add_test(tc, identify_schools);
	tcase_add_test(tc, identify_groups);
	tcase_add_test(tc, identify_names);
	tcase_add_test(tc, tickets_and_urls);
	tcase_add_test(tc, validate_over_http);
	tcase_add_test(tc, validate_timeout_and_refusals);
	tcase_add_test(tc, validate_over_tls);
	suite_add_tcase(s, tc);
	return s;
}
