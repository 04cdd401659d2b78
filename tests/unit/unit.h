/*
 * unit.h - what AVEC's Check suites share: the suite constructors and a
 * scratch store per test (each test runs in its own forked child).
 */
#ifndef AVEC_UNIT_H
#define AVEC_UNIT_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avec/model.h"
#include "avec/store.h"

Suite *model_suite(void);
Suite *policy_suite(void);
Suite *ident_suite(void);
Suite *secret_suite(void);
Suite *store_suite(void);
Suite *index_suite(void);
Suite *writer_suite(void);
Suite *log_suite(void);
Suite *connlog_suite(void);
Suite *aaf_suite(void);
Suite *calendar_suite(void);
Suite *rules_suite(void);
Suite *das_suite(void);
Suite *policy_file_suite(void);
Suite *report_suite(void);
/* provisioning/profile (weak: present when linked) */
Suite *profile_suite(void) __attribute__((weak));
/* provisioning/cas (weak: present when linked) */
Suite *cas_suite(void) __attribute__((weak));
/* provisioning/school (weak: present when linked) */
Suite *school_suite(void) __attribute__((weak));
Suite *avecd_suite(void) __attribute__((weak));
Suite *clock_suite(void) __attribute__((weak));
Suite *render_acme_suite(void) __attribute__((weak));
Suite *token_suite(void);

/*
 * A reference file (or folder) of the developers' shared folder, which may
 * be absent: writes $AVEC_SHARED/@rel (by default ../shared/@rel, beside
 * the checkout the suites run from) into @path and returns true when it
 * can be read.  Otherwise says on stderr that @what is skipped, and why,
 * and returns false: the caller skips those checks only.
 */
bool unit_shared(char *path, size_t size, const char *rel, const char *what);

/* A fresh directory for this test, removed at exit; returns DIR/name. */
const char *unit_path(const char *name);
/* A migrated store at unit_path("avec.db"), with accounts "alice"
 * (student) and "bob" (teacher).  Caller closes it. */
struct avec_store *unit_store(void);
/* Register a device of @type (with @secret unless TLS; for PSK, @secret
 * is the MAC and the key is UNIT_PSK) for @principal; returns its id, or
 * minus the store's code.  Writes the device's lookup key (username,
 * certificate serial for TLS, MAC for PSK) into @key (may be NULL). */
#define UNIT_PSK "unit-test-psk-0001"
int64_t unit_device(struct avec_store *st, const char *principal,
		    enum avec_cred_type type, const char *secret,
		    char *key, int64_t now);

#endif
