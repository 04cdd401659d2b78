/*
 * check_secret.c - secrets, their hashes (the forms FreeRADIUS reads) and
 * MD4 against RFC 1320's own test vectors.
 */
#include <stdio.h>
#include <string.h>

#include "avec/secret.h"
#include "unit.h"

static void
md4_hex(const char *in, char out[33])
{
	unsigned char md[16];
	int i;

	avec_md4(in, strlen(in), md);
	for (i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

START_TEST(md4_rfc1320_vectors)
{
	static const struct { const char *in, *md; } v[] = {
		{ "", "31d6cfe0d16ae931b73c59d7e0c089c0" },
		{ "a", "bde52cb31de33e46245e05fbdbd6fb24" },
		{ "abc", "a448017aaf21d8525fc10ae87aa6729d" },
		{ "message digest", "d9130a8164549fe818874806e1c7014b" },
		{ "abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "043f8582f241db351ce627e153e7f0e4" },
		{ "1234567890123456789012345678901234567890123456789012345678901234"
		  "5678901234567890", "e33b4ddc9c38f2199c3e7b164fcc0536" },
	};
	char hex[33];
	unsigned i;

	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		md4_hex(v[i].in, hex);
		ck_assert_str_eq(hex, v[i].md);
	}
}
END_TEST

START_TEST(generated_secrets)
{
	char a[AVEC_SECRET_LEN + 1], b[AVEC_SECRET_LEN + 1];
	int i;

	ck_assert_int_eq(avec_secret_generate(a, sizeof(a)), 0);
	ck_assert_int_eq(avec_secret_generate(b, sizeof(b)), 0);
	ck_assert_int_eq(strlen(a), AVEC_SECRET_LEN);
	ck_assert_str_ne(a, b);
	for (i = 0; i < AVEC_SECRET_LEN; i++) {
		if (i % 5 == 4)
			ck_assert_int_eq(a[i], '-');
		else
			ck_assert(strchr("abcdefghijklmnopqrstuvwxyz234567", a[i]));
	}
	ck_assert_int_eq(avec_secret_generate(a, AVEC_SECRET_LEN), -1);
}
END_TEST

START_TEST(ttls_hash_is_salted_sha256)
{
	char h1[AVEC_HASH_MAX + 1], h2[AVEC_HASH_MAX + 1];

	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, "abcd-efgh", h1, sizeof(h1)), 0);
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, "abcd-efgh", h2, sizeof(h2)), 0);
	ck_assert(strncmp(h1, "{ssha256}", 9) == 0);
	ck_assert_int_eq(strlen(h1), 9 + 64);	/* base64 of 32 + 16 bytes */
	ck_assert_str_ne(h1, h2);		/* a fresh salt each time */
	ck_assert(avec_secret_verify(h1, "abcd-efgh"));
	ck_assert(avec_secret_verify(h2, "abcd-efgh"));
	ck_assert(!avec_secret_verify(h1, "abcd-efgi"));
	ck_assert(!avec_secret_verify(h1, ""));
	ck_assert(strstr(h1, "abcd") == NULL);
}
END_TEST

START_TEST(peap_hash_is_nt_hash)
{
	char h[AVEC_HASH_MAX + 1];

	/* the well-known NT hash of "password" */
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_PEAP, "password", h, sizeof(h)), 0);
	ck_assert_str_eq(h, "{nthash}8846f7eaee8fb117ad06bdd830b7586c");
	ck_assert(avec_secret_verify(h, "password"));
	ck_assert(!avec_secret_verify(h, "Password"));
	/* non-ASCII secrets are not ours: refused rather than mis-encoded */
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_PEAP, "\xc3\xa9", h, sizeof(h)), -1);
}
END_TEST

START_TEST(refusals)
{
	char h[AVEC_HASH_MAX + 1];

	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TLS, "x", h, sizeof(h)), -1);
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, "", h, sizeof(h)), -1);
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, NULL, h, sizeof(h)), -1);
	ck_assert_int_eq(avec_secret_hash(AVEC_CRED_TTLS, "x", h, 10), -1);
	ck_assert(!avec_secret_verify("{ssha256}", "x"));
	ck_assert(!avec_secret_verify("{ssha256}!!!!", "x"));
	ck_assert(!avec_secret_verify("{ssha256}YQ==", "x"));	/* too short */
	ck_assert(!avec_secret_verify("{nthash}8846", "password"));
	ck_assert(!avec_secret_verify("{cleartext}x", "x"));
	ck_assert(!avec_secret_verify("x", "x"));
	ck_assert(!avec_secret_verify(NULL, "x"));
}
END_TEST

Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("hashes");

	tcase_add_test(tc, md4_rfc1320_vectors);
	tcase_add_test(tc, generated_secrets);
	tcase_add_test(tc, ttls_hash_is_salted_sha256);
	tcase_add_test(tc, peap_hash_is_nt_hash);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}
