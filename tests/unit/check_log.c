/*
 * check_log.c - log lines: levels filter, and a secret never appears.
 */
#include <stdio.h>
#include <string.h>

#include "avec/log.h"
#include "unit.h"

static char *
capture(void (*emit)(void))
{
	static char buf[4096];
	FILE *f = tmpfile();
	size_t n;

	ck_assert_ptr_nonnull(f);
	avec_log_init("avectest", AVEC_LOG_INFO, f);
	emit();
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	avec_log_init(NULL, AVEC_LOG_INFO, NULL);
	return buf;
}

static void
emit_secret(void)
{
	avec_log_secret(AVEC_LOG_INFO, "device secret", "abcd-efgh-ijkl-mnop-qrst");
}

static void
emit_levels(void)
{
	avec_info("registered device %d", 7);
	avec_debug("hidden at info level");
	avec_warn("quota nearly reached");
}

START_TEST(secrets_are_removed)
{
	const char *out = capture(emit_secret);

	ck_assert_msg(strstr(out, "device secret: [REMOVED]") != NULL, "%s", out);
	ck_assert(strstr(out, "abcd") == NULL);
}
END_TEST

START_TEST(levels_filter_and_lines_are_tagged)
{
	const char *out = capture(emit_levels);

	ck_assert(strstr(out, "avectest[info]: registered device 7\n") != NULL);
	ck_assert(strstr(out, "avectest[warning]: quota nearly reached\n") != NULL);
	ck_assert(strstr(out, "hidden") == NULL);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, secrets_are_removed);
	tcase_add_test(tc, levels_filter_and_lines_are_tagged);
	suite_add_tcase(s, tc);
	return s;
}
