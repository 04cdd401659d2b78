/*
 * check_aaf.c - the AAF reader: the repository's sample files
 * (tests/data/aaf/), the shared reference samples when the developers'
 * shared folder is there, encodings, line ends, modifications and
 * deletions, malformed files (each with the line named), and an external
 * entity that must never be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avec/aaf.h"
#include "unit.h"

#define REPO_AAF "tests/data/aaf"

/* What the callback saw: a few records' fields, copied. */
struct seen {
	int n;
	char id[8][32];
	char cat[8][16];
	int op[8];
	char sn[8][64];
	char given[8][64];
	unsigned nclasses[8];
	int mod_sn[8];
	unsigned nattrs[8];
	long line[8];
	int stop_at;		/* return 7 at this record (1-based), 0: never */
	bool saw_root;		/* a value held "root:" (the XXE payload) */
};

static int
collect(const struct avec_aaf_rec *r, void *arg, struct avec_err *err)
{
	struct seen *s = arg;
	const struct avec_aaf_attr *a;
	unsigned i, k;
	int n = s->n++;

	(void)err;
	for (i = 0; i < r->nattrs; i++)
		for (k = 0; k < r->attrs[i].nvalues; k++)
			if (strstr(r->attrs[i].values[k], "root:") != NULL)
				s->saw_root = true;
	if (n < 8) {
		snprintf(s->id[n], sizeof(s->id[n]), "%s", r->id);
		snprintf(s->cat[n], sizeof(s->cat[n]), "%s", r->category);
		s->op[n] = (int)r->op;
		snprintf(s->sn[n], sizeof(s->sn[n]), "%s",
			 avec_aaf_first(r, "sn") ? avec_aaf_first(r, "sn") : "");
		snprintf(s->given[n], sizeof(s->given[n]), "%s",
			 avec_aaf_first(r, "givenName") ?
			 avec_aaf_first(r, "givenName") : "");
		a = avec_aaf_attr(r, "ENTEleveClasses");
		s->nclasses[n] = a ? a->nvalues : 0;
		a = avec_aaf_attr(r, "sn");
		s->mod_sn[n] = a ? (int)a->mod : -1;
		s->nattrs[n] = r->nattrs;
		s->line[n] = r->line;
	}
	return s->stop_at != 0 && s->n == s->stop_at ? 7 : 0;
}

static const char *
write_file(const char *name, const char *body, size_t len)
{
	const char *path = unit_path(name);
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(body, 1, len, f), len);
	fclose(f);
	return path;
}

#define WRITE(name, lit) write_file(name, lit, sizeof(lit) - 1)

static int
parse(const char *path, struct seen *s, struct avec_err *err)
{
	memset(err, 0, sizeof(*err));
	return avec_aaf_parse_file(path, collect, s, NULL, NULL, err);
}

#define PERSON(id, inner) \
	"<addRequest>\n<operationalAttributes><attr name=\"categoriePersonne\">" \
	"<value>Eleve</value></attr></operationalAttributes>\n" \
	"<identifier><id>" id "</id></identifier>\n<attributes>\n" inner \
	"</attributes>\n</addRequest>\n"

/* The repository's own samples (run from the repository's top). */
START_TEST(repo_samples)
{
	struct avec_err err;
	struct seen s;

	/* declared ISO-8859-15, CRLF, a leading AAF-VE comment, two schools */
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(REPO_AAF "/ENT_0290009C_Complet_20250901_"
			    "EtabEducNat_0000.xml", &s, &err) == 0,
		      "%s (run from the repository)", err.msg);
	ck_assert_int_eq(s.n, 2);
	ck_assert_str_eq(s.cat[0], "EtabEducNat");
	ck_assert_str_eq(s.id[0], "7001");
	ck_assert_int_eq(s.op[0], AVEC_AAF_ADD);
	ck_assert_uint_eq(s.nattrs[0], 4);
	ck_assert_int_eq(s.line[0], 5);
	ck_assert_str_eq(s.id[1], "7002");
	ck_assert_int_eq(s.line[1], 15);

	/* no XML declaration, UTF-8 accents, add, modify and delete */
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(REPO_AAF "/ENT_0290009C_Delta_20250902_"
			    "PersRelEleve_0000.xml", &s, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.cat[0], "PersRelEleve");
	ck_assert_str_eq(s.id[0], "9301");
	ck_assert_str_eq(s.sn[0], "PARENT");
	ck_assert_str_eq(s.given[0], "H\xc3\xa9l\xc3\xa8ne");
	ck_assert_int_eq(s.op[1], AVEC_AAF_MODIFY);
	ck_assert_str_eq(s.sn[1], "PARENT-DEUX");
	ck_assert_int_eq(s.mod_sn[1], AVEC_AAF_REPLACE);
	ck_assert_int_eq(s.op[2], AVEC_AAF_DELETE);
	ck_assert_str_eq(s.id[2], "9303");
	ck_assert_int_eq(s.line[2], 19);
}
END_TEST

/* The shared folder's reference samples, when it is there. */
START_TEST(shared_samples)
{
	struct avec_err err;
	struct seen s;
	char dir[512], p[768];

	if (!unit_shared(dir, sizeof(dir), "reference/ent/aaf",
			 "check_aaf: the shared AAF reference samples"))
		return;
#define SHARED(name) (snprintf(p, sizeof(p), "%s/%s", dir, name), p)
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(SHARED("ENT_Complet_20200101_Eleve_0000.xml"),
			    &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.id[0], "2000000");
	ck_assert_str_eq(s.cat[0], "Eleve");
	ck_assert_int_eq(s.op[0], AVEC_AAF_ADD);
	ck_assert_str_eq(s.sn[0], "NOM");
	ck_assert_uint_eq(s.nclasses[0], 1);
	ck_assert_int_eq(s.line[0], 4);

	/* declared ISO-8859-15, a structure */
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(SHARED("ENT_Complet_20200101_EtabEducNat_0000.xml"),
			    &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.cat[0], "EtabEducNat");
	ck_assert_str_eq(s.id[0], "1");

	/* CRLF, a leading AAF-VE comment, several requests */
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(SHARED("FULL_ENTTSSERVICES_Complet_20130117_"
			    "EtabEducNat_0000.xml"), &s, &err) == 0, "%s", err.msg);
	ck_assert_int_gt(s.n, 3);
	ck_assert_str_eq(s.id[0], "52000");
	ck_assert_int_eq(s.line[0], 6);

	/* no XML declaration, UTF-8 accents, CRLF */
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(SHARED("clean-FULL_ENTTSSERVICES_Complet_20130117_"
			    "PersRelEleve_0002.xml"), &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.n, 1);
	ck_assert_str_eq(s.cat[0], "PersRelEleve");
	ck_assert_str_eq(s.given[0], "S\xc3\xa9l\xc3\xa8ne");
#undef SHARED
}
END_TEST

START_TEST(encodings)
{
	struct avec_err err;
	struct seen s;
	const char *p;

	/* declared ISO-8859-15 with CRLF: è and the euro sign (0xa4) */
	p = WRITE("latin.xml",
		  "<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\r\n"
		  "<!DOCTYPE ficAlimMENESR SYSTEM \"ficAlimMENESR.dtd\">\r\n"
		  "<ficAlimMENESR>\r\n<!-- versionAF=\"AAF-VE1301\" -->\r\n"
		  PERSON("11", "<attr name=\"sn\"><value>Lef\xe8vre \xa4</value></attr>\r\n")
		  "</ficAlimMENESR>\r\n");
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.sn[0], "Lef\xc3\xa8vre \xe2\x82\xac");
	ck_assert_int_eq(s.line[0], 5);

	/* undeclared, not UTF-8: read as ISO-8859-15 */
	p = WRITE("undeclared-latin.xml",
		  "<ficAlimMENESR>\n"
		  PERSON("12", "<attr name=\"sn\"><value>Z\xf6\xe9 \xa4</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.sn[0], "Z\xc3\xb6\xc3\xa9 \xe2\x82\xac");

	/* undeclared, valid UTF-8: read as UTF-8 */
	p = WRITE("undeclared-utf8.xml",
		  "<ficAlimMENESR>\n"
		  PERSON("13", "<attr name=\"sn\"><value>Z\xc3\xb6\xc3\xa9</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.sn[0], "Z\xc3\xb6\xc3\xa9");

	/* declared UTF-8 but not: an error, with its line */
	p = WRITE("lying.xml",
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ficAlimMENESR>\n"
		  PERSON("14", "<attr name=\"sn\"><value>Z\xf6</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &s, &err), -1);
	ck_assert_msg(strstr(err.msg, "lying.xml:7:") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(requests)
{
	struct avec_err err;
	struct seen s;
	const char *p;

	p = WRITE("delta.xml",
		  "<ficAlimMENESR>\n"
		  "<modifyRequest>\n<operationalAttributes><attr name=\"categoriePersonne\">"
		  "<value>Eleve</value></attr></operationalAttributes>\n"
		  "<identifier><id> 21 </id></identifier>\n<modifications>\n"
		  "<modification name=\"sn\" operation=\"replace\"><value>Neuf</value></modification>\n"
		  "<modification name=\"ENTEleveClasses\" operation=\"add\"><value>1$A</value><value>1$B</value></modification>\n"
		  "</modifications>\n</modifyRequest>\n"
		  "<deleteRequest>\n<operationalAttributes><attr name=\"categoriePersonne\">"
		  "<value>Eleve</value></attr></operationalAttributes>\n"
		  "<identifier><id>22</id></identifier>\n</deleteRequest>\n"
		  PERSON("23", "<attr name=\"sn\"><value/></attr><attr name=\"givenName\"><value>A &amp; B</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.op[0], AVEC_AAF_MODIFY);
	ck_assert_str_eq(s.id[0], "21");	/* trimmed */
	ck_assert_str_eq(s.sn[0], "Neuf");
	ck_assert_int_eq(s.mod_sn[0], AVEC_AAF_REPLACE);
	ck_assert_uint_eq(s.nclasses[0], 2);
	ck_assert_int_eq(s.line[0], 2);
	ck_assert_int_eq(s.op[1], AVEC_AAF_DELETE);
	ck_assert_str_eq(s.id[1], "22");
	ck_assert_uint_eq(s.nattrs[1], 0);
	ck_assert_int_eq(s.op[2], AVEC_AAF_ADD);
	ck_assert_str_eq(s.sn[2], "");		/* <value/>: no first value */
	ck_assert_str_eq(s.given[2], "A & B");

	/* the callback's value stops the parse and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(avec_aaf_parse_file(p, collect, &s, NULL, NULL, &err), 7);
	ck_assert_int_eq(s.n, 2);
}
END_TEST

/* A malformed file must fail with "FILE:LINE: ELEMENT: ..." */
static void
refused(const char *name, const char *body, const char *where, const char *what)
{
	char want[128];
	struct avec_err err;
	struct seen s;
	const char *p = write_file(name, body, strlen(body));

	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == -1, "%s accepted", name);
	snprintf(want, sizeof(want), "%s:%s", name, where);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s: wanted '%s' in: %s",
		      name, want, err.msg);
	ck_assert_msg(strstr(err.msg, what) != NULL, "%s: wanted '%s' in: %s",
		      name, what, err.msg);
}

START_TEST(malformed)
{
	refused("truncated.xml", "<ficAlimMENESR>\n"
		"<addRequest>\n<operationalAttributes><attr name=\"categoriePersonne\">"
		"<value>Eleve</value></attr></operationalAttributes>\n"
		"<identifier><id>9</id></identifier>\n<attributes><attr name=\"sn\">",
		"5: ", "not well-formed");
	refused("mismatch.xml", "<ficAlimMENESR>\n"
		PERSON("9", "<attr name=\"sn\"><value>X</vlue></attr>\n")
		"</ficAlimMENESR>\n", "6: ", "not well-formed");
	refused("root.xml", "<?xml version=\"1.0\"?>\n<ficAlim/>\n", "2: ficAlim:",
		"root");
	refused("element.xml", "<ficAlimMENESR>\n"
		PERSON("9", "<attr name=\"sn\"><value>X</value></attr>\n<bogus/>\n")
		"</ficAlimMENESR>\n", "7: bogus:", "unexpected");
	refused("request.xml", "<ficAlimMENESR>\n\n<renameRequest/>\n</ficAlimMENESR>\n",
		"3: renameRequest:", "unknown request");
	refused("noid.xml", "<ficAlimMENESR>\n<deleteRequest>\n"
		"<operationalAttributes><attr name=\"categoriePersonne\"><value>Eleve"
		"</value></attr></operationalAttributes>\n</deleteRequest>\n"
		"</ficAlimMENESR>\n", "2: deleteRequest:", "identifier");
	refused("emptyid.xml", "<ficAlimMENESR>\n"
		PERSON("", "<attr name=\"sn\"><value>X</value></attr>\n")
		"</ficAlimMENESR>\n", "2: addRequest:", "identifier");
	refused("nocat.xml", "<ficAlimMENESR>\n<deleteRequest>\n"
		"<identifier><id>4</id></identifier></deleteRequest>\n"
		"</ficAlimMENESR>\n", "2: deleteRequest:", "category");
	refused("operation.xml", "<ficAlimMENESR>\n<modifyRequest>\n"
		"<operationalAttributes><attr name=\"categoriePersonne\"><value>Eleve"
		"</value></attr></operationalAttributes>\n"
		"<identifier><id>4</id></identifier>\n<modifications>\n"
		"<modification name=\"sn\" operation=\"rename\"><value>X</value>"
		"</modification>\n</modifications></modifyRequest>\n</ficAlimMENESR>\n",
		"6: modification:", "unknown operation");
	refused("noname.xml", "<ficAlimMENESR>\n"
		PERSON("9", "\n<attr><value>X</value></attr>\n")
		"</ficAlimMENESR>\n", "7: attr:", "without a name");
	refused("empty.xml", "", "1: ", "");
}
END_TEST

/*
 * No value is longer than AVEC_AAF_VALUE_MAX: a 100 KB one (which libxml2
 * alone would take: its cap is 10 MB) refuses the file with its line, and
 * so does an identifier or a name one byte too long; a value of exactly
 * the limit is read whole.
 */
START_TEST(values_are_capped)
{
	size_t big = 100 * 1024, n;
	char *body, *v;
	struct avec_err err;
	struct seen s;
	const char *p;

	body = malloc(big + 4096);
	v = malloc(big + 1);
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(v);
	memset(v, 'x', big);
	v[big] = '\0';
	n = (size_t)snprintf(body, big + 4096, "<ficAlimMENESR>\n"
		PERSON("9", "<attr name=\"sn\"><value>X</value></attr>\n"
		       "<attr name=\"givenName\">\n<value>%s</value></attr>\n")
		"</ficAlimMENESR>\n", v);
	p = write_file("long.xml", body, n);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &s, &err), -1);
	ck_assert_int_eq(s.n, 0);
	ck_assert_msg(strstr(err.msg, "long.xml:8: value: value of givenName "
			     "longer than 1024 bytes") != NULL, "%s", err.msg);

	/* exactly the limit: read whole */
	v[AVEC_AAF_VALUE_MAX] = '\0';
	n = (size_t)snprintf(body, big + 4096, "<ficAlimMENESR>\n"
		PERSON("9", "<attr name=\"givenName\"><value>%s</value></attr>\n")
		"</ficAlimMENESR>\n", v);
	p = write_file("limit.xml", body, n);
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.n, 1);

	/* one byte more, in an identifier */
	v[AVEC_AAF_VALUE_MAX] = 'x';
	v[AVEC_AAF_VALUE_MAX + 1] = '\0';
	n = (size_t)snprintf(body, big + 4096, "<ficAlimMENESR>\n"
		PERSON("%s", "<attr name=\"sn\"><value>X</value></attr>\n")
		"</ficAlimMENESR>\n", v);
	p = write_file("longid.xml", body, n);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &s, &err), -1);
	ck_assert_msg(strstr(err.msg, "longid.xml:4: id: value of id longer")
		      != NULL, "%s", err.msg);

	/* and in an attribute's name */
	n = (size_t)snprintf(body, big + 4096, "<ficAlimMENESR>\n"
		PERSON("9", "<attr name=\"%s\"><value>X</value></attr>\n")
		"</ficAlimMENESR>\n", v);
	p = write_file("longname.xml", body, n);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &s, &err), -1);
	ck_assert_msg(strstr(err.msg, "longname.xml:6: attr: name longer than "
			     "1024 bytes") != NULL, "%s", err.msg);
	free(body);
	free(v);
}
END_TEST

START_TEST(no_external_entities)
{
	struct avec_err err;
	struct seen s;
	const char *p;

	p = WRITE("xxe.xml",
		  "<?xml version=\"1.0\"?>\n"
		  "<!DOCTYPE ficAlimMENESR [\n"
		  "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
		  "<ficAlimMENESR>\n"
		  PERSON("9", "<attr name=\"sn\"><value>&xxe;</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &s, &err), -1);
	ck_assert(!s.saw_root);
	ck_assert_msg(strstr(err.msg, "xxe.xml:10: xxe: entity reference refused")
		      != NULL, "%s", err.msg);

	/* an internal entity is refused too (no expansion, no "laughs") */
	p = WRITE("lol.xml",
		  "<!DOCTYPE ficAlimMENESR [<!ENTITY a \"aaaaaaaaaa\">]>\n"
		  "<ficAlimMENESR>\n"
		  PERSON("9", "<attr name=\"sn\"><value>&a;&a;</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(parse(p, &s, &err), -1);
	ck_assert_int_eq(s.n, 0);

	/* a DOCTYPE naming an absent DTD is fine: nothing is loaded */
	p = WRITE("dtd.xml",
		  "<!DOCTYPE ficAlimMENESR SYSTEM \"http://127.0.0.1:9/x.dtd\">\n"
		  "<ficAlimMENESR>\n"
		  PERSON("9", "<attr name=\"sn\"><value>X</value></attr>\n")
		  "</ficAlimMENESR>\n");
	memset(&s, 0, sizeof(s));
	ck_assert_msg(parse(p, &s, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(s.n, 1);
}
END_TEST

Suite *
aaf_suite(void)
{
	Suite *s = suite_create("aaf");
	TCase *tc = tcase_create("aaf");

	tcase_add_test(tc, repo_samples);
	tcase_add_test(tc, shared_samples);
	tcase_add_test(tc, encodings);
	tcase_add_test(tc, requests);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, no_external_entities);
	tcase_add_test(tc, values_are_capped);
	suite_add_tcase(s, tc);
	return s;
}
