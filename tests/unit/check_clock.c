/*
 * check_clock.c - `avecctl status`'s clock line (provisioning/avecctl/
 * clock.c): synchronised only when adjtimex worked, STA_UNSYNC is clear
 * and the maximum error is under the kernel's 16 s; the errors in words.
 */
#include <string.h>
#include <sys/timex.h>

#include "avecctl/clock.h"
#include "unit.h"

START_TEST(clock_synchronised)
{
	char line[160];

	ck_assert(ctl_clock_judge(TIME_OK, STA_PLL, 1234, 56000, line,
				  sizeof(line)));
	ck_assert_str_eq(line, "synchronised (estimated error 1.2 ms, at most "
			 "56.0 ms)");
	ck_assert(ctl_clock_judge(TIME_OK, 0, 500, 900, line, sizeof(line)));
	ck_assert_str_eq(line, "synchronised (estimated error 500 us, at most "
			 "900 us)");
	/* a leap second announced is still a synchronised clock */
	ck_assert(ctl_clock_judge(TIME_INS, STA_INS, 10, 20, line,
				  sizeof(line)));
}
END_TEST

START_TEST(clock_not_synchronised)
{
	char line[160];

	/* what a clock no NTP client has set shows (this kernel's default) */
	ck_assert(!ctl_clock_judge(TIME_ERROR, STA_UNSYNC | STA_NANO,
				   16000000, 16000000, line, sizeof(line)));
	ck_assert_str_eq(line, "not synchronised (estimated error 16.0 s, at "
			 "most 16.0 s): no time server reached yet");
	/* STA_UNSYNC alone, with small errors */
	ck_assert(!ctl_clock_judge(TIME_OK, STA_UNSYNC, 10, 20, line,
				   sizeof(line)));
	ck_assert(strncmp(line, "not synchronised", 16) == 0);
	/* the flag clear, but the maximum error at the kernel's limit */
	ck_assert(!ctl_clock_judge(TIME_OK, 0, 10, CTL_CLOCK_MAXERROR_US,
				   line, sizeof(line)));
	ck_assert(ctl_clock_judge(TIME_OK, 0, 10, CTL_CLOCK_MAXERROR_US - 1,
				  line, sizeof(line)));
	/* adjtimex failed: unknown, so not synchronised */
	ck_assert(!ctl_clock_judge(-1, 0, 0, 0, line, sizeof(line)));
	ck_assert_str_eq(line, "not synchronised (the kernel's NTP state "
			 "cannot be read)");
}
END_TEST

Suite *
clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("judge");

	tcase_add_test(tc, clock_synchronised);
	tcase_add_test(tc, clock_not_synchronised);
	suite_add_tcase(s, tc);
	return s;
}
