/*
 * check_render_acme.c - the portal's certificate from ACME
 * (provisioning/school/render_acme.c): dehydrated's config and domains.txt
 * only with `portal.certificate: acme`, what they say, the contact e-mail
 * only when given, values that could break out of the config's quotes
 * refused, and avecd's portal.acme_dir.  The school is filled here by
 * hand: the profile's keys are school.c's.
 */
#include <string.h>

#include "school/render.h"
#include "school/school.h"
#include "unit.h"

static const struct render_file *
acme_file(const struct render_set *set, const char *path)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->f[i].path, path) == 0)
			return &set->f[i];
	return NULL;
}

/* @path in @set holds @text (the file's data is not NUL-terminated). */
static bool
acme_has(const struct render_set *set, const char *path, const char *text)
{
	const struct render_file *f = acme_file(set, path);

	return f != NULL && memmem(f->data, f->len, text, strlen(text)) != NULL;
}

static void
acme_school(struct school *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->portal_host, "wifi.lycee-voltaire.fr");
	s->portal_cert = SCHOOL_CERT_ACME;
	strcpy(s->acme_url, "https://acme-v02.api.letsencrypt.org/directory");
	strcpy(s->acme_email, "informatique@lycee-voltaire.fr");
}

START_TEST(acme_provided_renders_nothing)
{
	struct render_set set = { 0 };
	struct avec_err err = { { 0 } };
	struct school s;

	acme_school(&s);
	s.portal_cert = SCHOOL_CERT_PROVIDED;
	ck_assert_int_eq(render_acme(&s, &set, &err), 0);
	ck_assert_uint_eq(set.n, 0);
	ck_assert_ptr_null(render_acme_dir(&s));
	render_set_free(&set);
}
END_TEST

START_TEST(acme_config_and_domains)
{
	static const char *const lines[] = {
		"\nCA='https://acme-v02.api.letsencrypt.org/directory'\n",
		"\nCHALLENGETYPE=http-01\n",
		"\nWELLKNOWN=/var/lib/avec/acme-challenge\n",
		"\nBASEDIR=/var/lib/avec/acme\n",
		"\nDOMAINS_TXT=/etc/avec/acme/domains.txt\n",
		"\nCONTACT_EMAIL='informatique@lycee-voltaire.fr'\n",
		"\nHOOK=/usr/lib/avec/acme-hook\n",
	};
	struct render_set set = { 0 };
	struct avec_err err = { { 0 } };
	const struct render_file *f;
	struct school s;
	unsigned i;

	acme_school(&s);
	ck_assert_int_eq(render_acme(&s, &set, &err), 0);
	ck_assert_uint_eq(set.n, 2);
	f = acme_file(&set, "etc/avec/acme/config");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->mode, 0644);
	ck_assert(!f->secret);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_msg(acme_has(&set, "etc/avec/acme/config", lines[i]),
			      "%s", lines[i]);
	ck_assert(acme_has(&set, "etc/avec/acme/domains.txt",
			   "\nwifi.lycee-voltaire.fr\n"));
	ck_assert_str_eq(render_acme_dir(&s), "/var/lib/avec/acme-challenge");
	render_set_free(&set);

	/* no e-mail: no CONTACT_EMAIL line at all */
	s.acme_email[0] = '\0';
	ck_assert_int_eq(render_acme(&s, &set, &err), 0);
	ck_assert(!acme_has(&set, "etc/avec/acme/config", "CONTACT_EMAIL"));
	render_set_free(&set);
}
END_TEST

START_TEST(acme_refuses_unquotable)
{
	static const char *const urls[] = {
		"", "http://acme.example/dir", "https://", "https://a'b/dir",
		"https://a b/dir", "https://a\\b/dir", "https://a\nb/dir",
		"https://acmé.example/dir",
	};
	struct render_set set = { 0 };
	struct avec_err err = { { 0 } };
	struct school s;
	unsigned i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		acme_school(&s);
		strcpy(s.acme_url, urls[i]);
		ck_assert_int_eq(render_acme(&s, &set, &err), -1);
		ck_assert_msg(strncmp(err.msg, "portal.acme_url: ", 17) == 0,
			      "%s", err.msg);
		ck_assert_uint_eq(set.n, 0);
	}
	acme_school(&s);
	strcpy(s.acme_email, "x'$(reboot)'@example.fr");
	ck_assert_int_eq(render_acme(&s, &set, &err), -1);
	ck_assert(strncmp(err.msg, "portal.acme_email: ", 19) == 0);
	strcpy(s.acme_email, "no-at-sign");
	ck_assert_int_eq(render_acme(&s, &set, &err), -1);
	ck_assert_uint_eq(set.n, 0);
	render_set_free(&set);
}
END_TEST

Suite *
render_acme_suite(void)
{
	Suite *s = suite_create("render_acme");
	TCase *tc = tcase_create("dehydrated");

	tcase_add_test(tc, acme_provided_renders_nothing);
	tcase_add_test(tc, acme_config_and_domains);
	tcase_add_test(tc, acme_refuses_unquotable);
	suite_add_tcase(s, tc);
	return s;
}
