/*
 * check_model.c - names of roles, statuses and credential types.
 */
#include "unit.h"

START_TEST(names_round_trip)
{
	enum avec_role r;
	enum avec_account_status as;
	enum avec_device_status ds;
	enum avec_cred_type ct;
	int i;

	for (i = 0; i < AVEC_ROLE__COUNT; i++) {
		ck_assert_int_eq(avec_role_parse(avec_role_name((enum avec_role)i), &r), 0);
		ck_assert_int_eq(r, i);
	}
	for (i = 0; i < AVEC_ACCOUNT__COUNT; i++) {
		ck_assert_int_eq(avec_account_status_parse(
			avec_account_status_name((enum avec_account_status)i), &as), 0);
		ck_assert_int_eq(as, i);
	}
	for (i = 0; i < AVEC_DEVICE__COUNT; i++) {
		ck_assert_int_eq(avec_device_status_parse(
			avec_device_status_name((enum avec_device_status)i), &ds), 0);
		ck_assert_int_eq(ds, i);
	}
	for (i = 0; i < AVEC_CRED__COUNT; i++) {
		ck_assert_int_eq(avec_cred_type_parse(
			avec_cred_type_name((enum avec_cred_type)i), &ct), 0);
		ck_assert_int_eq(ct, i);
	}
	ck_assert_int_eq(avec_role_parse("Student", &r), -1);
	ck_assert_int_eq(avec_role_parse("", &r), -1);
	ck_assert_int_eq(avec_role_parse(NULL, &r), -1);
	ck_assert_str_eq(avec_role_name((enum avec_role)42), "?");
}
END_TEST

START_TEST(credential_masks)
{
	uint32_t m;
	char buf[32];

	ck_assert_int_eq(avec_cred_mask_parse("tls,ttls,peap", &m), 0);
	ck_assert_uint_eq(m, AVEC_CRED_EAP);
	ck_assert_int_eq(avec_cred_mask_parse("tls,ttls,peap,psk", &m), 0);
	ck_assert_uint_eq(m, AVEC_CRED_ALL);
	ck_assert_int_eq(avec_cred_mask_parse("peap", &m), 0);
	ck_assert_uint_eq(m, AVEC_CRED_BIT(AVEC_CRED_PEAP));
	ck_assert_str_eq(avec_cred_mask_format(AVEC_CRED_EAP, buf, sizeof(buf)),
			 "tls,ttls,peap");
	ck_assert_str_eq(avec_cred_mask_format(AVEC_CRED_ALL, buf, sizeof(buf)),
			 "tls,ttls,peap,psk");
	ck_assert_str_eq(avec_cred_mask_format(AVEC_CRED_BIT(AVEC_CRED_TTLS), buf,
					       sizeof(buf)), "ttls");
	ck_assert_str_eq(avec_cred_mask_format(0, buf, sizeof(buf)), "");
	ck_assert_str_eq(avec_cred_mask_format(AVEC_CRED_ALL, buf, 5), "tls");
	ck_assert_int_eq(avec_cred_mask_parse("", &m), -1);
	ck_assert_int_eq(avec_cred_mask_parse("tls,", &m), -1);
	ck_assert_int_eq(avec_cred_mask_parse(",tls", &m), -1);
	ck_assert_int_eq(avec_cred_mask_parse("tls,wep", &m), -1);
	ck_assert_int_eq(avec_cred_mask_parse("ttls,psk", &m), 0);
	ck_assert_uint_eq(m, AVEC_CRED_BIT(AVEC_CRED_TTLS) |
			  AVEC_CRED_BIT(AVEC_CRED_PSK));
	ck_assert_int_eq(avec_cred_mask_parse("tlstlstlstlstlstlstls", &m), -1);
}
END_TEST

/* The one role mapping: ENT profiles and the AAF's function type codes
 * (a PersEducNat's title, ENTPersonFonctions' TYPE field). */
START_TEST(roles_of_profiles_and_functions)
{
	static const char *const staff[] = {
		"DIR", "EDU", "ADF", "DOC", "LAB", "ORI", "MDS", "OUV",
		"National_DIR", "National_EVS",
	};
	enum avec_role r;
	size_t i;

	ck_assert_int_eq(avec_role_of_profile("National_ENS", &r), 0);
	ck_assert_int_eq(r, AVEC_ROLE_TEACHER);
	ck_assert_int_eq(avec_role_of_profile("ENS", &r), 0);
	ck_assert_int_eq(r, AVEC_ROLE_TEACHER);
	for (i = 0; i < sizeof(staff) / sizeof(staff[0]); i++) {
		r = AVEC_ROLE_TEACHER;
		ck_assert_msg(avec_role_of_profile(staff[i], &r) == 0 &&
			      r == AVEC_ROLE_STAFF, "%s", staff[i]);
	}
	ck_assert_int_eq(avec_role_of_profile("ens", &r), -1);
	ck_assert_int_eq(avec_role_of_profile("", &r), -1);
}
END_TEST

Suite *
model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, names_round_trip);
	tcase_add_test(tc, credential_masks);
	tcase_add_test(tc, roles_of_profiles_and_functions);
	suite_add_tcase(s, tc);
	return s;
}
