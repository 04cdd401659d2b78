/*
 * check_policy.c - every rule of avec_decide() and every reason.
 */
#include <string.h>

#include "avec/policy.h"
#include "unit.h"

#define NOW 1800000000

static struct avec_account acct;
static struct avec_device dev;
static struct avec_policy pol;

static void
setup(void)
{
	memset(&acct, 0, sizeof(acct));
	acct.id = 7;
	strcpy(acct.principal, "F1abc");
	acct.role = AVEC_ROLE_STUDENT;
	acct.status = AVEC_ACCOUNT_ACTIVE;
	memset(&dev, 0, sizeof(dev));
	dev.id = 42;
	dev.account_id = 7;
	dev.cred_type = AVEC_CRED_TTLS;
	dev.status = AVEC_DEVICE_ACTIVE;
	dev.rank = 0;
	memset(&pol, 0, sizeof(pol));
	pol.defined = true;
	pol.vlan = 20;
	pol.max_devices = 3;
	pol.allowed_creds = AVEC_CRED_ALL;
	pol.session_timeout = 3600;
}

static enum avec_reason
decide(void)
{
	struct avec_verdict v;
	enum avec_reason r = avec_decide(&acct, &dev, &pol, NOW, &v);

	ck_assert_int_eq(r, v.reason);
	if (r != AVEC_ACCEPT) {
		ck_assert_int_eq(v.vlan, 0);
		ck_assert_int_eq(v.session_timeout, 0);
	}
	return r;
}

START_TEST(accept_gives_vlan_and_timeout)
{
	struct avec_verdict v;

	ck_assert_int_eq(avec_decide(&acct, &dev, &pol, NOW, &v), AVEC_ACCEPT);
	ck_assert_int_eq(v.vlan, 20);
	ck_assert_int_eq(v.session_timeout, 3600);
	pol.vlan = 4094;
	pol.session_timeout = 0;
	ck_assert_int_eq(avec_decide(&acct, &dev, &pol, NOW, &v), AVEC_ACCEPT);
	ck_assert_int_eq(v.vlan, 4094);
	ck_assert_int_eq(v.session_timeout, 0);
}
END_TEST

START_TEST(unknown_device)
{
	struct avec_verdict v;

	ck_assert_int_eq(avec_decide(NULL, NULL, NULL, NOW, &v), AVEC_REJECT_UNKNOWN_DEVICE);
	ck_assert_int_eq(avec_decide(&acct, NULL, &pol, NOW, &v), AVEC_REJECT_UNKNOWN_DEVICE);
	ck_assert_int_eq(avec_decide(NULL, &dev, &pol, NOW, &v), AVEC_REJECT_UNKNOWN_DEVICE);
	dev.account_id = 8;	/* a device never decides under another's account */
	ck_assert_int_eq(decide(), AVEC_REJECT_UNKNOWN_DEVICE);
}
END_TEST

START_TEST(revoked_device)
{
	dev.status = AVEC_DEVICE_REVOKED;
	ck_assert_int_eq(decide(), AVEC_REJECT_DEVICE_REVOKED);
}
END_TEST

START_TEST(expired_by_status_or_date)
{
	dev.status = AVEC_DEVICE_EXPIRED;
	ck_assert_int_eq(decide(), AVEC_REJECT_DEVICE_EXPIRED);
	dev.status = AVEC_DEVICE_ACTIVE;
	dev.expires_at = NOW + 1;
	ck_assert_int_eq(decide(), AVEC_ACCEPT);
	dev.expires_at = NOW;		/* the expiry instant itself is past */
	ck_assert_int_eq(decide(), AVEC_REJECT_DEVICE_EXPIRED);
	dev.expires_at = NOW - 86400;
	ck_assert_int_eq(decide(), AVEC_REJECT_DEVICE_EXPIRED);
	dev.expires_at = 0;		/* no expiry */
	ck_assert_int_eq(decide(), AVEC_ACCEPT);
}
END_TEST

START_TEST(suspended_and_left_accounts)
{
	acct.status = AVEC_ACCOUNT_SUSPENDED;
	ck_assert_int_eq(decide(), AVEC_REJECT_ACCOUNT_SUSPENDED);
	acct.status = AVEC_ACCOUNT_LEFT;
	ck_assert_int_eq(decide(), AVEC_REJECT_ACCOUNT_LEFT);
}
END_TEST

START_TEST(role_not_admitted)
{
	struct avec_verdict v;

	pol.defined = false;
	ck_assert_int_eq(decide(), AVEC_REJECT_ROLE_NOT_ADMITTED);
	pol.defined = true;
	ck_assert_int_eq(avec_decide(&acct, &dev, NULL, NOW, &v),
			 AVEC_REJECT_ROLE_NOT_ADMITTED);
}
END_TEST

START_TEST(credential_type_not_allowed)
{
	pol.allowed_creds = AVEC_CRED_BIT(AVEC_CRED_TLS);
	ck_assert_int_eq(decide(), AVEC_REJECT_CREDENTIAL_TYPE);
	dev.cred_type = AVEC_CRED_TLS;
	ck_assert_int_eq(decide(), AVEC_ACCEPT);
	dev.cred_type = AVEC_CRED_PEAP;
	ck_assert_int_eq(decide(), AVEC_REJECT_CREDENTIAL_TYPE);
	dev.cred_type = (enum avec_cred_type)99;	/* corrupt input */
	pol.allowed_creds = 0xffffffffu;
	ck_assert_int_eq(decide(), AVEC_REJECT_CREDENTIAL_TYPE);
}
END_TEST

START_TEST(over_quota_by_rank)
{
	dev.rank = 2;			/* third device, max 3 */
	ck_assert_int_eq(decide(), AVEC_ACCEPT);
	dev.rank = 3;			/* fourth */
	ck_assert_int_eq(decide(), AVEC_REJECT_OVER_QUOTA);
	pol.max_devices = 0;
	dev.rank = 0;
	ck_assert_int_eq(decide(), AVEC_REJECT_OVER_QUOTA);
}
END_TEST

START_TEST(rules_apply_in_order)
{
	/* everything wrong at once: the device's own state speaks first */
	dev.status = AVEC_DEVICE_REVOKED;
	acct.status = AVEC_ACCOUNT_LEFT;
	pol.defined = false;
	dev.rank = 10;
	ck_assert_int_eq(decide(), AVEC_REJECT_DEVICE_REVOKED);
	dev.status = AVEC_DEVICE_ACTIVE;
	ck_assert_int_eq(decide(), AVEC_REJECT_ACCOUNT_LEFT);
	acct.status = AVEC_ACCOUNT_ACTIVE;
	ck_assert_int_eq(decide(), AVEC_REJECT_ROLE_NOT_ADMITTED);
	pol.defined = true;
	pol.allowed_creds = 0;
	ck_assert_int_eq(decide(), AVEC_REJECT_CREDENTIAL_TYPE);
	pol.allowed_creds = AVEC_CRED_ALL;
	ck_assert_int_eq(decide(), AVEC_REJECT_OVER_QUOTA);
}
END_TEST

START_TEST(every_reason_has_distinct_words)
{
	int i, j;

	for (i = 0; i < AVEC_REASON__COUNT; i++) {
		ck_assert_ptr_nonnull(avec_reason_text((enum avec_reason)i));
		ck_assert_ptr_nonnull(avec_reason_code((enum avec_reason)i));
		for (j = 0; j < i; j++) {
			ck_assert_str_ne(avec_reason_text((enum avec_reason)i),
					 avec_reason_text((enum avec_reason)j));
			ck_assert_str_ne(avec_reason_code((enum avec_reason)i),
					 avec_reason_code((enum avec_reason)j));
		}
	}
	ck_assert_str_eq(avec_reason_code(AVEC_REJECT_DEVICE_REVOKED), "device-revoked");
	ck_assert_str_eq(avec_reason_text(AVEC_REJECT_UNKNOWN_DEVICE), "unknown device");
	ck_assert_str_eq(avec_reason_code((enum avec_reason)99), "unknown");
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("decide");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, accept_gives_vlan_and_timeout);
	tcase_add_test(tc, unknown_device);
	tcase_add_test(tc, revoked_device);
	tcase_add_test(tc, expired_by_status_or_date);
	tcase_add_test(tc, suspended_and_left_accounts);
	tcase_add_test(tc, role_not_admitted);
	tcase_add_test(tc, credential_type_not_allowed);
	tcase_add_test(tc, over_quota_by_rank);
	tcase_add_test(tc, rules_apply_in_order);
	tcase_add_test(tc, every_reason_has_distinct_words);
	suite_add_tcase(s, tc);
	return s;
}
