/*
 * main.c - runs every Check suite of libavec (and the provisioning code's,
 * when linked in).  Check forks a child per test, so a crash fails one
 * test, not the run; the summary line is read by tests/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>

#include "avec/ident.h"
#include "avec/secret.h"
#include "unit.h"

/* Suites from other parts of the tree, present when they are linked. */
Suite *ca_suite(void) __attribute__((weak));
Suite *profile_suite(void) __attribute__((weak));
Suite *cas_suite(void) __attribute__((weak));
Suite *school_suite(void) __attribute__((weak));

static char unit_dir[256];

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

static void
unit_cleanup(void)
{
	if (unit_dir[0])
		nftw(unit_dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

const char *
unit_path(const char *name)
{
	static char path[512];

	if (!unit_dir[0]) {
		snprintf(unit_dir, sizeof(unit_dir), "%s/avec-unit.XXXXXX",
			 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		ck_assert_ptr_nonnull(mkdtemp(unit_dir));
		atexit(unit_cleanup);
	}
	snprintf(path, sizeof(path), "%s/%s", unit_dir, name);
	return path;
}

bool
unit_shared(char *path, size_t size, const char *rel, const char *what)
{
	const char *dir = getenv("AVEC_SHARED");

	snprintf(path, size, "%s/%s", dir != NULL && dir[0] != '\0' ? dir :
		 "../shared", rel);
	if (access(path, R_OK) == 0)
		return true;
	fprintf(stderr, "skip: %s (no %s: a check against a reference file "
		"of the developers' shared folder)\n", what, path);
	return false;
}

struct avec_store *
unit_store(void)
{
	struct avec_account_rec a;
	struct avec_err err = { "" };
	struct avec_store *st;

	st = avec_store_open(unit_path("avec.db"), AVEC_STORE_CREATE, &err);
	ck_assert_msg(st != NULL, "open: %s", err.msg);
	memset(&a, 0, sizeof(a));
	strcpy(a.a.principal, "alice");
	a.a.role = AVEC_ROLE_STUDENT;
	ck_assert_int_eq(avec_store_account_put(st, &a, 1000, NULL, &err), 0);
	strcpy(a.a.principal, "bob");
	a.a.role = AVEC_ROLE_TEACHER;
	ck_assert_int_eq(avec_store_account_put(st, &a, 1000, NULL, &err), 0);
	return st;
}

int64_t
unit_device(struct avec_store *st, const char *principal,
	    enum avec_cred_type type, const char *secret, char *key,
	    int64_t now)
{
	struct avec_device_rec d;
	struct avec_err err = { "" };
	int64_t id = 0;
	int rc;

	memset(&d, 0, sizeof(d));
	snprintf(d.principal, sizeof(d.principal), "%s", principal);
	snprintf(d.name, sizeof(d.name), "device of %s", principal);
	d.d.cred_type = type;
	ck_assert_int_eq(avec_username_generate(d.username, sizeof(d.username)), 0);
	if (type == AVEC_CRED_TLS) {
		/* a serial from the username's random part: unique per device */
		for (unsigned i = 0; i < 16; i++)
			snprintf(d.cert_serial + 2 * i, 3, "%02x",
				 (unsigned char)d.username[3 + i] & 0x7f);
		strcpy(d.cert_fingerprint, "00");
	} else if (type == AVEC_CRED_PSK) {
		/* @secret is the MAC; the key is fixed */
		snprintf(d.mac, sizeof(d.mac), "%s", secret);
		strcpy(d.psk, UNIT_PSK);
	} else {
		ck_assert_int_eq(avec_secret_hash(type, secret, d.secret_hash,
						  sizeof(d.secret_hash)), 0);
	}
	rc = avec_store_device_register(st, &d, now, &id, &err);
	if (rc != 0)
		return -rc;
	if (key)
		strcpy(key, type == AVEC_CRED_TLS ? d.cert_serial :
		       type == AVEC_CRED_PSK ? d.mac : d.username);
	return id;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(model_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, ident_suite());
	srunner_add_suite(sr, secret_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, index_suite());
	srunner_add_suite(sr, writer_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, connlog_suite());
	srunner_add_suite(sr, aaf_suite());
	srunner_add_suite(sr, calendar_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, das_suite());
	srunner_add_suite(sr, policy_file_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, token_suite());
	if (ca_suite)
		srunner_add_suite(sr, ca_suite());
	if (avecd_suite)
		srunner_add_suite(sr, avecd_suite());
	if (profile_suite)
		srunner_add_suite(sr, profile_suite());
	if (cas_suite)
		srunner_add_suite(sr, cas_suite());
	if (school_suite)
		srunner_add_suite(sr, school_suite());
	if (clock_suite)
		srunner_add_suite(sr, clock_suite());
	if (render_acme_suite)
		srunner_add_suite(sr, render_acme_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
