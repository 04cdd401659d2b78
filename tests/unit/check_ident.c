/*
 * check_ident.c - identifiers from outside: accepted forms and refusals.
 */
#include <string.h>

#include "avec/ident.h"
#include "unit.h"

static bool
uname(const char *s)
{
	return avec_username_valid(s, strlen(s));
}

START_TEST(usernames)
{
	char u[AVEC_USERNAME_MAX + 1], v[AVEC_USERNAME_MAX + 1];

	ck_assert(uname("dv-abcdefghijklmnop"));
	ck_assert(uname("dv-2345672345672345"));
	ck_assert(!uname("dv-abcdefghijklmno"));	/* short */
	ck_assert(!uname("dv-abcdefghijklmnopq"));	/* long */
	ck_assert(!uname("DV-abcdefghijklmnop"));
	ck_assert(!uname("dv-Abcdefghijklmnop"));
	ck_assert(!uname("dv-abcdefghijklmn01"));	/* 0, 1 not base32 */
	ck_assert(!uname("dv-abcdefghijklmn8a"));
	ck_assert(!uname("xx-abcdefghijklmnop"));
	ck_assert(!uname("anonymous@avec"));
	ck_assert(!uname(""));
	ck_assert(!avec_username_valid(NULL, 0));
	/* an embedded NUL is not hidden by the length */
	ck_assert(!avec_username_valid("dv-abcdefgh\0jklmnop", 19));
	ck_assert_int_eq(avec_username_generate(u, sizeof(u)), 0);
	ck_assert_int_eq(avec_username_generate(v, sizeof(v)), 0);
	ck_assert(uname(u));
	ck_assert_str_ne(u, v);
	ck_assert_int_eq(avec_username_generate(u, 10), -1);
}
END_TEST

START_TEST(principals)
{
	char big[AVEC_PRINCIPAL_MAX + 2];

	ck_assert(avec_principal_valid("F1abc"));
	ck_assert(avec_principal_valid("jean.dupont@ac-orleans-tours.fr"));
	ck_assert(avec_principal_valid("AAF$1234:x-y_z"));
	ck_assert(!avec_principal_valid(""));
	ck_assert(!avec_principal_valid(NULL));
	ck_assert(!avec_principal_valid("a b"));
	ck_assert(!avec_principal_valid("a\nb"));
	ck_assert(!avec_principal_valid("x'; DROP TABLE accounts;--"));
	ck_assert(!avec_principal_valid("<script>"));
	ck_assert(!avec_principal_valid("\xc3\xa9l\xc3\xa8ve"));
	memset(big, 'a', sizeof(big));
	big[AVEC_PRINCIPAL_MAX] = '\0';
	ck_assert(avec_principal_valid(big));
	big[AVEC_PRINCIPAL_MAX] = 'a';
	big[AVEC_PRINCIPAL_MAX + 1] = '\0';
	ck_assert(!avec_principal_valid(big));
}
END_TEST

START_TEST(device_names)
{
	char big[AVEC_DEVICE_NAME_MAX + 2];

	ck_assert(avec_device_name_valid("Mon téléphone"));
	ck_assert(avec_device_name_valid("iPhone de Zoé 📱"));
	ck_assert(avec_device_name_valid("<b>x</b>"));	/* escaped on output, not here */
	ck_assert(!avec_device_name_valid(""));
	ck_assert(!avec_device_name_valid("   "));
	ck_assert(!avec_device_name_valid("a\tb"));
	ck_assert(!avec_device_name_valid("a\x7f"));
	ck_assert(!avec_device_name_valid("\xc0\xaf"));		/* overlong '/' */
	ck_assert(!avec_device_name_valid("\xed\xa0\x80"));	/* surrogate */
	ck_assert(!avec_device_name_valid("\xc2\x85"));		/* C1 control */
	ck_assert(!avec_device_name_valid("\xf4\x90\x80\x80"));	/* > U+10FFFF */
	ck_assert(!avec_device_name_valid("abc\xe2\x82"));	/* truncated */
	ck_assert(!avec_device_name_valid("\xff"));
	memset(big, 'x', sizeof(big));
	big[AVEC_DEVICE_NAME_MAX] = '\0';
	ck_assert(avec_device_name_valid(big));
	big[AVEC_DEVICE_NAME_MAX] = 'x';
	big[AVEC_DEVICE_NAME_MAX + 1] = '\0';
	ck_assert(!avec_device_name_valid(big));
}
END_TEST

START_TEST(serials)
{
	char out[AVEC_SERIAL_MAX + 1];

	ck_assert_int_eq(avec_serial_normalize("4A:0b:FF", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "4a0bff");
	ck_assert_int_eq(avec_serial_normalize("0123456789abcdef0123456789abcdef", out,
					       sizeof(out)), 0);
	ck_assert_int_eq(avec_serial_normalize("abc", out, sizeof(out)), -1);
	ck_assert_int_eq(avec_serial_normalize("", out, sizeof(out)), -1);
	ck_assert_int_eq(avec_serial_normalize("zz", out, sizeof(out)), -1);
	ck_assert_int_eq(avec_serial_normalize("0x12", out, sizeof(out)), -1);
	ck_assert_int_eq(avec_serial_normalize(
		"0123456789abcdef0123456789abcdef0123456789", out, sizeof(out)), -1);
	ck_assert_int_eq(avec_serial_normalize("abcd", out, 4), -1);
}
END_TEST

START_TEST(macs)
{
	char out[AVEC_MAC_STRLEN + 1];
	static const char *good[] = {
		"aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f",
		"AABBCCDDEE0F",
	};
	static const char *bad[] = {
		"", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:0g", "aa:bb-cc:dd:ee:0f",
		"aabb.ccdd-ee0f", "aabbccddeef", "aa:bb:cc:dd:ee:0f:11",
		"aa bb cc dd ee 0f", "gggggggggggg",
	};
	unsigned i;

	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		ck_assert_int_eq(avec_mac_normalize(good[i], out), 0);
		ck_assert_str_eq(out, "aa:bb:cc:dd:ee:0f");
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(avec_mac_normalize(bad[i], out) == -1, "%s", bad[i]);
	ck_assert_int_eq(avec_mac_normalize(NULL, out), -1);
}
END_TEST

START_TEST(free_text_and_dns_names)
{
	ck_assert(avec_text_valid("Élève Un", 128));
	ck_assert(!avec_text_valid("Élève Un", 5));	/* bytes, not characters */
	ck_assert(!avec_text_valid("a\x1b[31mred", 128));
	ck_assert(!avec_text_valid("", 128));
	ck_assert_int_eq(avec_utf8_char("é"), 2);
	ck_assert_int_eq(avec_utf8_char("\x01"), 0);
	ck_assert_int_eq(avec_utf8_char("\xc2\x9b"), 0);	/* C1 CSI */
	/* not XML characters: they would break every XML profile */
	ck_assert_int_eq(avec_utf8_char("\xef\xbf\xbe"), 0);
	ck_assert_int_eq(avec_utf8_char("\xef\xbf\xbf"), 0);
	ck_assert_int_eq(avec_utf8_char("\xef\xbf\xbd"), 3);	/* U+FFFD is fine */
	ck_assert(avec_dns_name_valid("radius.lycee-jean-moulin.fr"));
	ck_assert(avec_dns_name_valid("avec"));
	ck_assert(!avec_dns_name_valid("-avec.fr"));
	ck_assert(!avec_dns_name_valid("avec-.fr"));
	ck_assert(!avec_dns_name_valid("avec..fr"));
	ck_assert(!avec_dns_name_valid("avec.fr."));
	ck_assert(!avec_dns_name_valid("av_ec.fr"));
	ck_assert(!avec_dns_name_valid(""));
	ck_assert(!avec_dns_name_valid(NULL));
}
END_TEST

Suite *
ident_suite(void)
{
	Suite *s = suite_create("ident");
	TCase *tc = tcase_create("forms");

	tcase_add_test(tc, usernames);
	tcase_add_test(tc, principals);
	tcase_add_test(tc, device_names);
	tcase_add_test(tc, serials);
	tcase_add_test(tc, macs);
	tcase_add_test(tc, free_text_and_dns_names);
	suite_add_tcase(s, tc);
	return s;
}
