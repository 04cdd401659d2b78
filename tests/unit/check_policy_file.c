/*
 * check_policy_file.c - the administrator's policy file
 * (provisioning/policy/policy_file.c): the example parses to the expected
 * document; every kind of error is reported at its exact line and column,
 * all of them in one pass, and refuses the whole file; what `policy show`
 * writes reads back to the same document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/policy.h"
#include "unit.h"
#include "../../provisioning/policy/policy_file.h"

static const char example[] =
	"holidays:                       # dates in Europe/Paris\n"
	"  - { name: \"Vacances de Noël\", from: 2026-12-19, to: 2027-01-03 }\n"
	"roles:\n"
	"  student:\n"
	"    vlan: 20\n"
	"    max_devices: 3\n"
	"    credentials: [tls, ttls, peap]\n"
	"    session_timeout: 8h\n"
	"    lifetime: 365d\n"
	"    windows: \"mon-fri 07:30-18:30, sat 08:00-12:30\"\n"
	"  teacher: { vlan: 30, max_devices: 5, credentials: [tls, ttls, peap] }\n"
	"  staff: { vlan: 40, max_devices: 5, credentials: [tls, ttls] }\n"
	"  parent: { admitted: false }\n"
	"overrides:\n"
	"  - { school: 0450822X, role: student, vlan: 22 }\n"
	"  - { group: \"1AQUA\", windows: \"mon-fri 08:00-17:00\" }\n"
	"  - { account: F1abc, max_devices: 5 }\n";

/* Parse @text; on failure the errors joined by '\n' into @out. */
static int
parse(const char *text, struct avec_policy_doc *doc, char *out, size_t len)
{
	struct policy_file_errors errs;
	size_t used = 0;
	unsigned i;
	int rc;

	rc = policy_file_parse_buf(text, strlen(text), "policy.yaml", doc,
				   &errs);
	out[0] = '\0';
	for (i = 0; i < errs.n && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s",
					 i ? "\n" : "", errs.msg[i]);
	ck_assert_int_eq(rc == 0, errs.n == 0);
	policy_file_errors_free(&errs);
	return rc;
}

/* The one error of @text must be @want. */
static void
expect_error(const char *text, const char *want)
{
	struct avec_policy_doc doc;
	char got[4096];

	ck_assert_int_eq(parse(text, &doc, got, sizeof(got)), -1);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(doc.noverrides, 0);
	ck_assert_ptr_null(doc.overrides);
}

START_TEST(test_example)
{
	struct avec_policy_doc doc;
	const struct avec_policy *st;
	char got[4096];

	ck_assert_msg(parse(example, &doc, got, sizeof(got)) == 0, "%s", got);
	ck_assert_uint_eq(doc.nholidays, 1);
	ck_assert_int_eq(doc.holidays[0].first, 20261219);
	ck_assert_int_eq(doc.holidays[0].last, 20270103);
	ck_assert_str_eq(doc.holiday_names[0], "Vacances de Noël");

	st = &doc.roles[AVEC_ROLE_STUDENT];
	ck_assert(st->defined);
	ck_assert_uint_eq(st->vlan, 20);
	ck_assert_uint_eq(st->max_devices, 3);
	ck_assert_uint_eq(st->allowed_creds, AVEC_CRED_EAP);
	ck_assert_uint_eq(st->session_timeout, 8 * 3600);
	ck_assert_uint_eq(st->device_lifetime, 365 * 86400);
	ck_assert_uint_eq(st->lifetime_until, 0);
	ck_assert_uint_eq(st->nwindows, 2);
	ck_assert_uint_eq(st->windows[0].days, 0x1f);
	ck_assert_uint_eq(st->windows[0].start, 7 * 60 + 30);
	ck_assert_uint_eq(st->windows[0].end, 18 * 60 + 30);
	ck_assert_uint_eq(st->windows[1].days, 0x20);
	ck_assert_uint_eq(st->nholidays, 1);
	ck_assert_int_eq(st->holidays[0].first, 20261219);

	ck_assert(doc.roles[AVEC_ROLE_TEACHER].defined);
	ck_assert_uint_eq(doc.roles[AVEC_ROLE_TEACHER].vlan, 30);
	ck_assert_uint_eq(doc.roles[AVEC_ROLE_TEACHER].nwindows, 0);
	ck_assert_uint_eq(doc.roles[AVEC_ROLE_STAFF].allowed_creds,
			  AVEC_CRED_BIT(AVEC_CRED_TLS) |
			  AVEC_CRED_BIT(AVEC_CRED_TTLS));
	ck_assert(!doc.roles[AVEC_ROLE_PARENT].defined);

	ck_assert_uint_eq(doc.noverrides, 3);
	ck_assert_int_eq(doc.overrides[0].scope, AVEC_SCOPE_SCHOOL);
	ck_assert_str_eq(doc.overrides[0].target, "0450822X");
	ck_assert_int_eq(doc.overrides[0].role, AVEC_ROLE_STUDENT);
	ck_assert_uint_eq(doc.overrides[0].set, AVEC_OV_VLAN);
	ck_assert_uint_eq(doc.overrides[0].v.vlan, 22);
	ck_assert_int_eq(doc.overrides[1].scope, AVEC_SCOPE_GROUP);
	ck_assert_str_eq(doc.overrides[1].target, "1AQUA");
	ck_assert_int_eq(doc.overrides[1].role, -1);
	ck_assert_uint_eq(doc.overrides[1].set, AVEC_OV_WINDOWS);
	ck_assert_uint_eq(doc.overrides[1].v.nwindows, 1);
	ck_assert_uint_eq(doc.overrides[1].v.windows[0].start, 8 * 60);
	ck_assert_int_eq(doc.overrides[2].scope, AVEC_SCOPE_ACCOUNT);
	ck_assert_str_eq(doc.overrides[2].target, "F1abc");
	ck_assert_uint_eq(doc.overrides[2].set, AVEC_OV_MAX_DEVICES);
	ck_assert_uint_eq(doc.overrides[2].v.max_devices, 5);
	avec_policy_doc_clear(&doc);
}
END_TEST

/* Many errors at once, each at its line and column, in file order. */
START_TEST(test_errors_all_at_once)
{
	static const char text[] =
		"holidays:\n"
		"  - { name: Noël, from: 2026-12-32, to: 2027-01-03 }\n"
		"  - { from: 2027-02-20, to: 2027-02-13 }\n"
		"roles:\n"
		"  student:\n"
		"    vlan: 5000\n"
		"    max_devices: -1\n"
		"    credentials: [tls, wep]\n"
		"    session_timeout: 8w\n"
		"    lifetime: \"until 02-30\"\n"
		"    windows: \"mon-fri 07:30-18:30, sat 12:00-08:00\"\n"
		"  teacher: { vlan: 30, credentials: [] }\n"
		"  parent: { admitted: false, vlan: 50 }\n"
		"  guest: { vlan: 60 }\n"
		"overrides:\n"
		"  - { school: 450822X, vlan: 22 }\n"
		"  - { group: \"1AQUA\", account: F1abc, vlan: 23 }\n"
		"  - { account: \"bad principal\", role: pupil }\n"
		"  - { vlan: 24 }\n";
	static const char want[] =
		"policy.yaml:2:25: holidays[0].from: \"2026-12-32\" is not a "
		"date (YYYY-MM-DD)\n"
		"policy.yaml:3:29: holidays[1].to: before from: a holiday "
		"ends on or after its first day\n"
		"policy.yaml:6:11: roles.student.vlan: 5000 is not a VLAN "
		"(1-4094)\n"
		"policy.yaml:7:18: roles.student.max_devices: -1 is not a "
		"number of devices (0-1000)\n"
		"policy.yaml:8:24: roles.student.credentials: \"wep\" is not a "
		"credential type (tls, ttls, peap)\n"
		"policy.yaml:9:22: roles.student.session_timeout: \"8w\" is not "
		"a session timeout (a number with s, m, h or d, up to 366d; "
		"0 = none)\n"
		"policy.yaml:10:15: roles.student.lifetime: \"until 02-30\" is "
		"not \"until MM-DD\" (a day of the year, not 02-29)\n"
		"policy.yaml:11:36: roles.student.windows: at \"sat 12:00-08\": "
		"a window must end after it starts (split one that crosses "
		"midnight in two)\n"
		"policy.yaml:12:12: roles.teacher: max_devices is missing (an "
		"admitted role needs vlan, max_devices and credentials)\n"
		"policy.yaml:12:37: roles.teacher.credentials: the list is "
		"empty: allow at least one of tls, ttls, peap (or say "
		"admitted: false)\n"
		"policy.yaml:13:30: roles.parent.vlan: a role that is not "
		"admitted takes no other setting\n"
		"policy.yaml:14:3: roles.guest: unknown key (expected student, "
		"teacher, staff, parent)\n"
		"policy.yaml:16:15: overrides[0].school: \"450822X\" is not a "
		"UAI (7 digits and a capital letter, e.g. 0450822X)\n"
		"policy.yaml:17:23: overrides[1]: give only one of school, "
		"group or account\n"
		"policy.yaml:18:5: overrides[2]: changes nothing: give at least "
		"one of admitted, vlan, max_devices, credentials, "
		"session_timeout, lifetime, windows\n"
		"policy.yaml:18:16: overrides[2].account: \"bad principal\" is "
		"not an ENT principal (1 to 128 of A-Z a-z 0-9 . _ @ $ : -)\n"
		"policy.yaml:18:39: overrides[2].role: \"pupil\" is not a role "
		"(student, teacher, staff, parent)\n"
		"policy.yaml:19:5: overrides[3]: says whom it is for: give one "
		"of school, group or account";

	expect_error(text, want);
}
END_TEST

START_TEST(test_unknown_key)
{
	expect_error("roles:\n"
		     "  student:\n"
		     "    vlan: 20\n"
		     "    max_device: 3\n"
		     "    max_devices: 3\n"
		     "    credentials: [tls]\n",
		     "policy.yaml:4:5: roles.student.max_device: unknown key "
		     "(expected admitted, vlan, max_devices, credentials, "
		     "session_timeout, lifetime, windows)");
	expect_error("roles: {}\nholiday: []\n",
		     "policy.yaml:2:1: holiday: unknown key (expected "
		     "holidays, roles, overrides)");
}
END_TEST

START_TEST(test_duplicate_key)
{
	expect_error("roles:\n"
		     "  student:\n"
		     "    vlan: 20\n"
		     "    max_devices: 3\n"
		     "    credentials: [tls]\n"
		     "    vlan: 21\n",
		     "policy.yaml:6:5: roles.student.vlan: duplicate key "
		     "(first given at line 3)");
	expect_error("roles: {}\nroles: {}\n",
		     "policy.yaml:2:1: roles: duplicate key (first given at "
		     "line 1)");
	expect_error("roles: {}\n"
		     "overrides:\n"
		     "  - { account: F1abc, vlan: 22 }\n"
		     "  - { account: F1abc, vlan: 23 }\n",
		     "policy.yaml:4:5: overrides[1]: the same account, target "
		     "and role as another override");
}
END_TEST

START_TEST(test_syntax_error)
{
	struct avec_policy_doc doc;
	char got[1024];

	ck_assert_int_eq(parse("roles:\n"
			       "  student:\n"
			       "    vlan: 20\n"
			       "   max_devices: 3\n",
			       &doc, got, sizeof(got)), -1);
	ck_assert_msg(strncmp(got, "policy.yaml:4:", 14) == 0, "%s", got);
	ck_assert_ptr_nonnull(strstr(got, "YAML syntax"));
	ck_assert_ptr_null(strchr(got, '\n'));	/* one message */

	ck_assert_int_eq(parse("roles: {}\n"
			       "overrides: [ { vlan: 2 }\n",
			       &doc, got, sizeof(got)), -1);
	ck_assert_msg(strncmp(got, "policy.yaml:3:", 14) == 0, "%s", got);

	expect_error("", "policy.yaml:1:1: the file is empty (a policy needs "
		     "at least roles:)");
	expect_error("holidays: []\n",
		     "policy.yaml:1:1: roles: missing (list the admitted "
		     "roles; roles: {} refuses every role)");
	expect_error("- roles\n", "policy.yaml:1:1: expected a mapping of "
		     "holidays, roles, overrides, not a list");
	expect_error("roles: {}\n---\nroles: {}\n",
		     "policy.yaml:2:1: a second YAML document: the policy is "
		     "one document");
}
END_TEST

START_TEST(test_durations_and_dates)
{
	static const struct {
		const char *text;
		uint32_t secs;
	} good[] = {
		{ "0", 0 }, { "90", 90 }, { "90s", 90 }, { "15m", 900 },
		{ "8h", 28800 }, { "2d", 172800 }, { "366d", 366 * 86400 },
	};
	static const char *const bad[] = {
		"", "h", "8H", "-1", "1.5h", "8 h", "367d", "99999999999",
		"8hm",
	};
	static const char prefix[] =
		"policy.yaml:2:76: roles.student.session_timeout: ";
	struct avec_policy_doc doc;
	char text[512], got[1024];
	unsigned i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "roles:\n  student: { vlan: 2, "
			 "max_devices: 1, credentials: [tls], "
			 "session_timeout: \"%s\" }\n", good[i].text);
		ck_assert_msg(parse(text, &doc, got, sizeof(got)) == 0,
			      "%s: %s", good[i].text, got);
		ck_assert_uint_eq(doc.roles[0].session_timeout, good[i].secs);
		avec_policy_doc_clear(&doc);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "roles:\n  student: { vlan: 2, "
			 "max_devices: 1, credentials: [tls], "
			 "session_timeout: \"%s\" }\n", bad[i]);
		ck_assert_msg(parse(text, &doc, got, sizeof(got)) == -1,
			      "%s accepted", bad[i]);
		ck_assert_msg(strncmp(got, prefix, strlen(prefix)) == 0,
			      "%s", got);
	}

	/* lifetimes: a duration, a date, both; the lifetime's own bound */
	ck_assert_int_eq(parse("roles:\n  student: { vlan: 2, max_devices: 1, "
			       "credentials: [tls], lifetime: [\"until 08-31\", "
			       "3660d] }\n", &doc, got, sizeof(got)), 0);
	ck_assert_uint_eq(doc.roles[0].lifetime_until, 831);
	ck_assert_uint_eq(doc.roles[0].device_lifetime, 3660u * 86400u);
	avec_policy_doc_clear(&doc);
	ck_assert_int_eq(parse("roles:\n  student: { vlan: 2, max_devices: 1, "
			       "credentials: [tls], lifetime: until 12-31 }\n",
			       &doc, got, sizeof(got)), 0);
	ck_assert_uint_eq(doc.roles[0].lifetime_until, 1231);
	ck_assert_uint_eq(doc.roles[0].device_lifetime, 0);
	avec_policy_doc_clear(&doc);
	expect_error("roles:\n  student: { vlan: 2, max_devices: 1, "
		     "credentials: [tls], lifetime: [1d, 2d] }\n",
		     "policy.yaml:2:74: roles.student.lifetime: two durations");
	expect_error("roles:\n  student: { vlan: 2, max_devices: 1, "
		     "credentials: [tls], lifetime: \"until 02-29\" }\n",
		     "policy.yaml:2:69: roles.student.lifetime: \"until 02-29\" "
		     "is not \"until MM-DD\" (a day of the year, not 02-29)");

	/* dates: leap years, month lengths, the form */
	ck_assert_int_eq(parse("roles: {}\nholidays:\n"
			       "  - { from: 2028-02-29, to: 2028-03-01 }\n",
			       &doc, got, sizeof(got)), 0);
	ck_assert_int_eq(doc.holidays[0].first, 20280229);
	ck_assert_str_eq(doc.holiday_names[0], "");
	avec_policy_doc_clear(&doc);
	expect_error("roles: {}\nholidays:\n"
		     "  - { from: 2027-02-29, to: 2027-03-01 }\n",
		     "policy.yaml:3:13: holidays[0].from: \"2027-02-29\" is not "
		     "a date (YYYY-MM-DD)");
	expect_error("roles: {}\nholidays:\n"
		     "  - { from: 2027-4-1, to: 2027-04-30 }\n",
		     "policy.yaml:3:13: holidays[0].from: \"2027-4-1\" is not "
		     "a date (YYYY-MM-DD)");
	expect_error("roles: {}\nholidays:\n  - { from: 2027-04-01 }\n",
		     "policy.yaml:3:5: holidays[0]: to is missing (a holiday "
		     "needs from and to, both included)");
}
END_TEST

/* Holidays sorted by date keep their names. */
START_TEST(test_holidays_sorted)
{
	struct avec_policy_doc doc;
	char got[1024];

	ck_assert_int_eq(parse("roles: {}\nholidays:\n"
			       "  - { name: B, from: 2027-04-10, to: 2027-04-26 }\n"
			       "  - { name: A, from: 2026-12-19, to: 2027-01-03 }\n",
			       &doc, got, sizeof(got)), 0);
	ck_assert_int_eq(doc.holidays[0].first, 20261219);
	ck_assert_str_eq(doc.holiday_names[0], "A");
	ck_assert_str_eq(doc.holiday_names[1], "B");
	avec_policy_doc_clear(&doc);
}
END_TEST

static void
assert_docs_equal(const struct avec_policy_doc *a,
		  const struct avec_policy_doc *b)
{
	unsigned i;

	ck_assert_int_eq(memcmp(a->roles, b->roles, sizeof(a->roles)), 0);
	ck_assert_uint_eq(a->nholidays, b->nholidays);
	ck_assert_int_eq(memcmp(a->holidays, b->holidays,
				sizeof(a->holidays)), 0);
	for (i = 0; i < a->nholidays; i++)
		ck_assert_str_eq(a->holiday_names[i], b->holiday_names[i]);
	ck_assert_uint_eq(a->noverrides, b->noverrides);
	for (i = 0; i < a->noverrides; i++) {
		ck_assert_int_eq(a->overrides[i].scope, b->overrides[i].scope);
		ck_assert_str_eq(a->overrides[i].target,
				 b->overrides[i].target);
		ck_assert_int_eq(a->overrides[i].role, b->overrides[i].role);
		ck_assert_uint_eq(a->overrides[i].set, b->overrides[i].set);
		ck_assert_int_eq(memcmp(&a->overrides[i].v,
					&b->overrides[i].v,
					sizeof(a->overrides[i].v)), 0);
	}
}

/* doc -> YAML (the writer of `policy show`) -> doc: equal. */
START_TEST(test_round_trip)
{
	static const char more[] =
		"holidays:\n"
		"  - { name: \"Say \\\"cheese\\\" \\\\ Noël\", from: 2026-12-19, "
		"to: 2027-01-03 }\n"
		"  - { from: 2027-04-10, to: 2027-04-26 }\n"
		"roles:\n"
		"  student:\n"
		"    vlan: 20\n"
		"    max_devices: 0\n"
		"    credentials: [peap, tls]\n"
		"    session_timeout: 90\n"
		"    lifetime: [400d, until 08-31]\n"
		"    windows: \"mon+wed 08:00-12:00, sat-mon 00:00-24:00\"\n"
		"  staff: { admitted: true, vlan: 40, max_devices: 5, "
		"credentials: [ttls], lifetime: until 07-14 }\n"
		"overrides:\n"
		"  - { school: 0450822X, role: student, vlan: 22, "
		"session_timeout: 0 }\n"
		"  - { group: \"T STI2D \\\"1\\\"\", windows: always, "
		"lifetime: 0 }\n"
		"  - { group: \"1AQUA\", windows: \"all 08:00-17:00\", "
		"credentials: [tls] }\n"
		"  - { account: F1abc, role: parent, admitted: true, vlan: 50, "
		"max_devices: 1, credentials: [tls] }\n"
		"  - { account: \"x.y@z\", admitted: false }\n"
		"  - { account: a1, lifetime: 90m }\n";
	const char *const texts[] = { example, more };
	struct avec_policy_doc a, b;
	char got[4096], *buf;
	size_t len;
	unsigned t;
	FILE *f;

	for (t = 0; t < 2; t++) {
		ck_assert_msg(parse(texts[t], &a, got, sizeof(got)) == 0, "%s",
			      got);
		buf = NULL;
		f = open_memstream(&buf, &len);
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(policy_file_write(f, &a), 0);
		fclose(f);
		ck_assert_msg(parse(buf, &b, got, sizeof(got)) == 0,
			      "%s\n---\n%s", got, buf);
		assert_docs_equal(&a, &b);
		if (t == 1) {
			ck_assert_ptr_nonnull(strstr(buf, "lifetime: [400d, "
						     "\"until 08-31\"]"));
			ck_assert_ptr_nonnull(strstr(buf, "windows: \"mon+wed "
						     "08:00-12:00, mon+sat-sun "
						     "00:00-24:00\""));
			ck_assert_ptr_nonnull(strstr(buf, "windows: always"));
			ck_assert_ptr_nonnull(strstr(buf, "parent:\n    "
						     "admitted: false\n"));
		}
		free(buf);
		avec_policy_doc_clear(&a);
		avec_policy_doc_clear(&b);
	}
}
END_TEST

Suite *
policy_file_suite(void)
{
	Suite *s = suite_create("policy_file");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_example);
	tcase_add_test(tc, test_errors_all_at_once);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_syntax_error);
	tcase_add_test(tc, test_durations_and_dates);
	tcase_add_test(tc, test_holidays_sorted);
	tcase_add_test(tc, test_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
