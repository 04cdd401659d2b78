/*
 * fuzz_school.c - libFuzzer harness for the school profile
 * (school_parse_buf), then its rendering into every configuration file
 * (render_all) with the repository's FreeRADIUS templates and units.
 *
 * Invariants: a refused profile has at least one message, each ending in
 * a NUL; an accepted one has bounded strings, counts within their arrays,
 * no weak shared secret, and renders without error into files whose
 * content holds no NUL byte and no line that starts a new hostapd or
 * FreeRADIUS statement out of a value (a value with a line break would).
 * secret_file paths are read relative to an empty private root, so no
 * file of the machine is ever read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "school/render.h"
#include "school/school.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256], tmpl[512], units[512];

static void
remove_root(void)
{
	rmdir(root);		/* empty: nothing is ever written there */
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *top = getenv("AVEC_TOP");

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "/tmp/avec-fuzz-school.XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	atexit(remove_root);
	snprintf(tmpl, sizeof(tmpl), "%s/plugins/raddb", top ? top : ".");
	snprintf(units, sizeof(units), "%s/appliance/systemd", top ? top : ".");
	return 0;
}

#define BOUNDED(field) \
	do { \
		if (memchr((field), '\0', sizeof(field)) == NULL) \
			abort(); \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct school s;
	struct school_errors errs = { 0, NULL };
	struct render_set out = { NULL, 0, 0 };
	struct render_paths p = {
		"/etc/freeradius/avec", tmpl, units, "/usr/lib/freeradius",
		"/var/lib/avec/avec.db", "/var/lib/avec/ca",
		"/var/log/freeradius", "/run/freeradius", "/etc/hostapd",
		1812, 1813,
	};
	unsigned i;
	size_t k;
	int rc;

	if (size > 65536)
		return 0;
	rc = school_parse_buf((const char *)data, size, "fuzz.yaml", root, &s,
			      &errs);
	if (rc != 0) {
		if (errs.n == 0)
			abort();	/* refused without a word */
		for (i = 0; i < errs.n; i++)
			if (errs.msg[i] == NULL)
				abort();
		school_errors_free(&errs);
		school_free(&s);
		return 0;
	}
	school_errors_free(&errs);
	BOUNDED(s.uai);
	BOUNDED(s.name);
	BOUNDED(s.ssid_secure);
	BOUNDED(s.ssid_onboarding);
	BOUNDED(s.cas_url);
	BOUNDED(s.portal_host);
	BOUNDED(s.radius_name);
	if (s.nradios > SCHOOL_MAX_RADIOS || s.nauth > SCHOOL_MAX_AUTH)
		abort();
	for (i = 0; i < s.nauth; i++) {
		BOUNDED(s.auth[i].name);
		BOUNDED(s.auth[i].address);
		if (s.auth[i].secret != NULL &&
		    school_secret_weak(s.auth[i].secret,
				       strlen(s.auth[i].secret)) != NULL)
			abort();	/* a weak secret was accepted */
	}
	if (render_all(&s, &p, &out, NULL) == 0) {
		for (k = 0; k < out.n; k++)
			if (memchr(out.f[k].data, '\0', out.f[k].len) != NULL)
				abort();	/* a NUL inside a rendered file */
	}
	render_set_free(&out);
	school_free(&s);
	return 0;
}
