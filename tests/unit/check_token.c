/*
 * check_token.c - the admin API's tokens in the store: made once, kept as
 * a hash, checked, revoked.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "avec/token.h"
#include "unit.h"

START_TEST(token_lifecycle)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	struct avec_token_rec t;
	char tok[AVEC_TOKEN_LEN + 1], tok2[AVEC_TOKEN_LEN + 1];

	ck_assert_int_eq(avec_token_create(st, "helpdesk", AVEC_TOKEN_WRITE,
					   1000, tok, &err), 0);
	ck_assert(avec_token_valid(tok));
	ck_assert_int_eq(strncmp(tok, "avt_", 4), 0);
	ck_assert_int_eq(avec_token_create(st, "helpdesk", AVEC_TOKEN_READ,
					   1000, tok2, &err), AVEC_STORE_EXISTS);
	ck_assert_int_eq(avec_token_check(st, tok, 2000, &t, &err), 0);
	ck_assert_str_eq(t.name, "helpdesk");
	ck_assert_int_eq(t.scope, AVEC_TOKEN_WRITE);
	ck_assert_int_eq(t.last_used, 2000);
	/* one character off, or malformed: unknown */
	tok[10] = tok[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(avec_token_check(st, tok, 2000, &t, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_token_check(st, "avt_short", 2000, &t, &err),
			 AVEC_STORE_NOTFOUND);
	tok[10] = tok[10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(avec_token_revoke(st, "helpdesk", 3000, &err), 0);
	ck_assert_int_eq(avec_token_check(st, tok, 4000, &t, &err),
			 AVEC_STORE_NOTFOUND);
	ck_assert_int_eq(avec_token_revoke(st, "helpdesk", 3000, &err),
			 AVEC_STORE_NOTFOUND);
	avec_store_close(st);
}
END_TEST

START_TEST(token_not_in_clear)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	char tok[AVEC_TOKEN_LEN + 1], sql[160];
	sqlite3 *db;
	sqlite3_stmt *s;

	ck_assert_int_eq(avec_token_create(st, "r", AVEC_TOKEN_READ, 1, tok,
					   &err), 0);
	avec_store_close(st);
	ck_assert_int_eq(sqlite3_open(unit_path("avec.db"), &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM admin_tokens WHERE "
		 "instr(name || scope || hash, '%s') > 0", tok + 4);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(token_names)
{
	struct avec_store *st = unit_store();
	struct avec_err err = { "" };
	char tok[AVEC_TOKEN_LEN + 1];

	ck_assert_int_eq(avec_token_create(st, "", AVEC_TOKEN_READ, 1, tok,
					   &err), -1);
	ck_assert_int_eq(avec_token_create(st, "a b", AVEC_TOKEN_READ, 1, tok,
					   &err), -1);
	ck_assert_int_eq(avec_token_create(st, "<x>", AVEC_TOKEN_READ, 1, tok,
					   &err), -1);
	ck_assert_int_eq(avec_token_create(st, "ops.team-1_a", AVEC_TOKEN_READ,
					   1, tok, &err), 0);
	avec_store_close(st);
}
END_TEST

Suite *
token_suite(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("store");

	tcase_add_test(tc, token_lifecycle);
	tcase_add_test(tc, token_not_in_clear);
	tcase_add_test(tc, token_names);
	suite_add_tcase(s, tc);
	return s;
}
