/*
 * check_calendar.c - Europe/Paris time, weekly windows, holidays and
 * lifetimes in the decision.  Fixed points come from Python's zoneinfo;
 * a sweep over fifteen years compares with the C library's tz database
 * (used here as an oracle only: libavec never reads it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avec/policy.h"
#include "unit.h"

#define MON_1000	1796029200	/* Mon 2026-11-30 10:00 CET */
#define SAT_1200	1795863600	/* Sat 2026-11-28 12:00 CET */
#define SPRING_0130	1774744200	/* Sun 2026-03-29 01:30 CET */
#define FALL_0130	1792884600	/* Sun 2026-10-25 01:30 CEST, first pass */

static struct avec_account owner;
static struct avec_device dev;
static struct avec_policy pol;

static void
setup(void)
{
	memset(&owner, 0, sizeof(owner));
	owner.id = 1;
	owner.status = AVEC_ACCOUNT_ACTIVE;
	memset(&dev, 0, sizeof(dev));
	dev.id = 2;
	dev.account_id = 1;
	dev.cred_type = AVEC_CRED_TLS;
	memset(&pol, 0, sizeof(pol));
	pol.defined = true;
	pol.vlan = 20;
	pol.max_devices = 3;
	pol.allowed_creds = AVEC_CRED_ALL;
}

static void
windows(const char *spec)
{
	char err[128] = "";

	ck_assert_msg(avec_windows_parse(spec, pol.windows, &pol.nwindows, err,
					 sizeof(err)) == 0, "%s: %s", spec, err);
}

static enum avec_reason
decide_at(time_t t, uint32_t *timeout)
{
	struct avec_verdict v;
	enum avec_reason r = avec_decide(&owner, &dev, &pol, t, &v);

	if (timeout)
		*timeout = v.session_timeout;
	return r;
}

START_TEST(paris_fixed_points)
{
	struct avec_localtime lt;

	avec_paris_time(MON_1000, &lt);
	ck_assert_int_eq(lt.date, 20261130);
	ck_assert_int_eq(lt.weekday, 0);
	ck_assert_int_eq(lt.second, 10 * 3600);
	ck_assert_int_eq(lt.utc_offset, 3600);
	avec_paris_time(1774746000 - 1, &lt);	/* a second before the switch */
	ck_assert_int_eq(lt.second, 2 * 3600 - 1);
	ck_assert_int_eq(lt.utc_offset, 3600);
	avec_paris_time(1774746000, &lt);	/* 01:00Z: 03:00 CEST */
	ck_assert_int_eq(lt.second, 3 * 3600);
	ck_assert_int_eq(lt.utc_offset, 7200);
	avec_paris_time(1819749600, &lt);	/* Wed 2027-09-01 00:00 CEST */
	ck_assert_int_eq(lt.date, 20270901);
	ck_assert_int_eq(lt.weekday, 2);
	ck_assert_int_eq(lt.second, 0);
	avec_paris_time(951822000, &lt);	/* Tue 2000-02-29 12:00 */
	ck_assert_int_eq(lt.date, 20000229);
	ck_assert_int_eq(lt.weekday, 1);
	avec_paris_time(-1800, &lt);		/* before the epoch */
	ck_assert_int_eq(lt.date, 19700101);
	ck_assert_int_eq(lt.second, 1800);
	ck_assert_int_eq(lt.weekday, 3);
}
END_TEST

static void
agree_at(time_t t)
{
	struct avec_localtime lt;
	struct tm tm;

	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	avec_paris_time(t, &lt);
	ck_assert_int_eq(lt.utc_offset, tm.tm_gmtoff);
	ck_assert_int_eq(lt.date, (tm.tm_year + 1900) * 10000 +
			 (tm.tm_mon + 1) * 100 + tm.tm_mday);
	ck_assert_int_eq(lt.weekday, (tm.tm_wday + 6) % 7);
	ck_assert_int_eq(lt.second, tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

START_TEST(paris_agrees_with_tzdata_for_fifteen_years)
{
	struct tm tm;
	time_t t, from;
	int y, m;

	if (access("/usr/share/zoneinfo/Europe/Paris", R_OK) != 0)
		return;		/* no oracle on this machine (tzdata) */
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	/* every ~5 hours from 2020 to 2036 ... */
	for (t = 1577836800; t < 2082758400; t += 5 * 3600 - 7)
		agree_at(t);
	/* ... and every 10 minutes through the last week of March and October */
	for (y = 2020; y <= 2036; y++) {
		for (m = 2; m <= 9; m += 7) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = y - 1900;
			tm.tm_mon = m;
			tm.tm_mday = 24;
			from = timegm(&tm);
			for (t = from; t < from + 8 * 86400; t += 600)
				agree_at(t);
		}
	}
}
END_TEST

START_TEST(windows_text)
{
	struct avec_window w[AVEC_WINDOWS_MAX];
	char buf[256], err[128];
	uint8_t n;

	ck_assert_int_eq(avec_windows_parse("mon-fri 07:30-18:00, sat 08:00-12:30",
					    w, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(w[0].days, 0x1f);
	ck_assert_int_eq(w[0].start, 450);
	ck_assert_int_eq(w[0].end, 1080);
	ck_assert_str_eq(avec_windows_format(w, n, buf, sizeof(buf)),
			 "mon-fri 07:30-18:00, sat 08:00-12:30");
	ck_assert_int_eq(avec_windows_parse("sat-mon 00:00-24:00", w, &n, err,
					    sizeof(err)), 0);
	ck_assert_int_eq(w[0].days, 0x61);	/* sat, sun, mon */
	ck_assert_str_eq(avec_windows_format(w, n, buf, sizeof(buf)),
			 "mon+sat-sun 00:00-24:00");
	ck_assert_int_eq(avec_windows_parse("all 08:00-09:00", w, &n, err,
					    sizeof(err)), 0);
	ck_assert_str_eq(avec_windows_format(w, n, buf, sizeof(buf)), "all 08:00-09:00");
	ck_assert_int_eq(avec_windows_parse("", w, &n, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 0);
	static const char *bad[] = {
		"monday 08:00-09:00", "mon 8:00-9:00", "mon 09:00-08:00",
		"mon 08:00-08:00", "mon 24:30-25:00", "mon 08:60-09:00",
		"mon 08:00-09:00,", "mon 08:00-09:00 tue 10:00-11:00",
		"mon08:00-09:00", "mon-xyz 08:00-09:00", "mon 23:00-01:00",
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		ck_assert_msg(avec_windows_parse(bad[i], w, &n, err, sizeof(err)) == -1,
			      "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for %s", bad[i]);
	}
	ck_assert_int_eq(avec_windows_parse("all 00:00-01:00, all 01:00-02:00, "
		"all 02:00-03:00, all 03:00-04:00, all 04:00-05:00, all 05:00-06:00, "
		"all 06:00-07:00, all 07:00-08:00, all 08:00-09:00, all 09:00-10:00, "
		"all 10:00-11:00, all 11:00-12:00, all 12:00-13:00, all 13:00-14:00, "
		"all 14:00-15:00", w, &n, err, sizeof(err)), -1);
}
END_TEST

START_TEST(windows_open_close_and_timeout)
{
	uint32_t to;

	windows("mon-fri 08:00-18:00");
	ck_assert_int_eq(decide_at(MON_1000, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 8 * 3600);
	ck_assert_int_eq(decide_at(MON_1000 - 2 * 3600 - 1, &to), AVEC_REJECT_OUTSIDE_HOURS);
	ck_assert_int_eq(decide_at(MON_1000 - 2 * 3600, &to), AVEC_ACCEPT);	/* 08:00 */
	ck_assert_int_eq(decide_at(MON_1000 + 8 * 3600 - 1, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 1);
	ck_assert_int_eq(decide_at(MON_1000 + 8 * 3600, &to), AVEC_REJECT_OUTSIDE_HOURS);
	ck_assert_int_eq(decide_at(SAT_1200, &to), AVEC_REJECT_OUTSIDE_HOURS);
	/* the shorter of the policy's timeout and the window's end */
	pol.session_timeout = 3600;
	ck_assert_int_eq(decide_at(MON_1000, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 3600);
	ck_assert_int_eq(decide_at(MON_1000 + 7 * 3600 + 1800, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 1800);
	/* no windows: always open, and the policy's timeout alone */
	pol.nwindows = 0;
	ck_assert_int_eq(decide_at(SAT_1200, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 3600);
}
END_TEST

START_TEST(adjacent_windows_and_midnight)
{
	uint32_t to;

	/* Mon 10:00: open until 12:00, then 12:00-14:00 follows at once */
	windows("mon 08:00-12:00, mon 12:00-14:00, tue 09:00-10:00");
	ck_assert_int_eq(decide_at(MON_1000, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 4 * 3600);
	/* open through midnight into Tuesday */
	windows("mon 20:00-24:00, tue 00:00-02:00");
	ck_assert_int_eq(decide_at(MON_1000 + 13 * 3600, &to), AVEC_ACCEPT);	/* 23:00 */
	ck_assert_int_eq(to, 3 * 3600);
	/* always open: bounded to a week of wall-clock time */
	windows("all 00:00-24:00");
	ck_assert_int_eq(decide_at(MON_1000, &to), AVEC_ACCEPT);
	ck_assert_int_le(to, 8 * 86400);
	ck_assert_int_ge(to, 7 * 86400 - 10 * 3600);
}
END_TEST

START_TEST(summer_time_changes)
{
	uint32_t to;

	/* Sunday 00:00-05:00 wall clock; the night loses an hour in March */
	windows("sun 00:00-05:00");
	ck_assert_int_eq(decide_at(SPRING_0130, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 9000);		/* 01:30 CET -> 05:00 CEST */
	/* and gains one in October */
	ck_assert_int_eq(decide_at(FALL_0130, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 16200);		/* 01:30 CEST -> 05:00 CET */
	ck_assert_int_eq(decide_at(1774753200, &to), AVEC_REJECT_OUTSIDE_HOURS);
	ck_assert_int_eq(decide_at(1792900800, &to), AVEC_REJECT_OUTSIDE_HOURS);
	ck_assert_int_eq(decide_at(1792900800 - 1, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 1);
}
END_TEST

START_TEST(holidays_close_windowed_policies)
{
	uint32_t to;

	windows("mon-fri 08:00-18:00");
	pol.nholidays = 1;
	pol.holidays[0].first = 20261130;
	pol.holidays[0].last = 20261201;
	ck_assert_int_eq(decide_at(MON_1000, &to), AVEC_REJECT_HOLIDAY);
	ck_assert_int_eq(decide_at(MON_1000 + 2 * 86400, &to), AVEC_ACCEPT);	/* Wed */
	pol.holidays[0].last = 20261130;
	ck_assert_int_eq(decide_at(MON_1000 + 86400, &to), AVEC_ACCEPT);		/* Tue */
	/* windows ending at midnight stop at a holiday the next day */
	windows("all 00:00-24:00");
	pol.holidays[0].first = pol.holidays[0].last = 20261201;
	ck_assert_int_eq(decide_at(MON_1000, &to), AVEC_ACCEPT);
	ck_assert_int_eq(to, 14 * 3600);
	/* a policy without windows ignores holidays */
	pol.nwindows = 0;
	ck_assert_int_eq(decide_at(MON_1000 + 86400, &to), AVEC_ACCEPT);
}
END_TEST

START_TEST(block_lists)
{
	dev.blocked = true;
	ck_assert_int_eq(decide_at(MON_1000, NULL), AVEC_REJECT_DEVICE_BLOCKED);
	dev.blocked = false;
	owner.blocked = true;
	ck_assert_int_eq(decide_at(MON_1000, NULL), AVEC_REJECT_ACCOUNT_BLOCKED);
	owner.status = AVEC_ACCOUNT_SUSPENDED;	/* the status speaks first */
	ck_assert_int_eq(decide_at(MON_1000, NULL), AVEC_REJECT_ACCOUNT_SUSPENDED);
}
END_TEST

START_TEST(lifetimes)
{
	pol.device_lifetime = 0;
	pol.lifetime_until = 0;
	ck_assert_int_eq(avec_expiry_for(&pol, SAT_1200), 0);
	pol.device_lifetime = 86400;
	ck_assert_int_eq(avec_expiry_for(&pol, SAT_1200), SAT_1200 + 86400);
	pol.device_lifetime = 0;
	pol.lifetime_until = 831;		/* until 31 August */
	ck_assert_int_eq(avec_expiry_for(&pol, SAT_1200), 1819749600);	/* 2027-09-01 00:00 */
	ck_assert_int_eq(avec_expiry_for(&pol, 1819699200), 1819749600);	/* on 31 Aug itself */
	ck_assert_int_eq(avec_expiry_for(&pol, 1819749600), 1851372000);	/* 1 Sep: next year */
	pol.device_lifetime = 86400;		/* the earlier of the two */
	ck_assert_int_eq(avec_expiry_for(&pol, 1819699200), 1819749600);
	ck_assert_int_eq(avec_expiry_for(&pol, SAT_1200), SAT_1200 + 86400);
}
END_TEST

Suite *
calendar_suite(void)
{
	Suite *s = suite_create("calendar");
	TCase *tc = tcase_create("windows");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, paris_fixed_points);
	tcase_add_test(tc, paris_agrees_with_tzdata_for_fifteen_years);
	tcase_add_test(tc, windows_text);
	tcase_add_test(tc, windows_open_close_and_timeout);
	tcase_add_test(tc, adjacent_windows_and_midnight);
	tcase_add_test(tc, summer_time_changes);
	tcase_add_test(tc, holidays_close_windowed_policies);
	tcase_add_test(tc, block_lists);
	tcase_add_test(tc, lifetimes);
	suite_add_tcase(s, tc);
	return s;
}
