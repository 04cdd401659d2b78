/*
 * check_school.c - the school profile: the committed example, every error
 * with its line and column, the shared-secret rules (strength, files,
 * reuse, never quoted in a message), and the rendered files (hostapd with
 * its syntax check, clients.conf, avecd.yaml).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "school_unit.h"
#include "unit.h"

#define S1 "Kp3vQ9zXw2Lm7RtY"		/* 16, strong */
#define S2 "Zb8nH4qWe6Tr1UyI"
#define S3 "Mx5cV7bN9aS2dF4g"

static char root[64];

static void
write_secret(const char *rel, const char *value, mode_t mode)
{
	char path[256], dir[256], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (s = dir + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(dir, 0700);
		*s = '/';
	}
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(value, f);
	fputc('\n', f);
	fclose(f);
	chmod(path, mode);
}

static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/avec-school.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* A small valid profile; @extra replaces the authenticators' externals. */
static const char *
base(void)
{
	return "school: { uai: 0450822X, name: \"Lycée T\", timezone: "
	       "Europe/Paris }\n"
	       "wifi: { secure_ssid: AVEC, onboarding_ssid: AVEC-B }\n"
	       "network: { uplink: eth0, onboarding_vlan: 10, vlans: "
	       "{ student: 20, teacher: 30 } }\n"
	       "radios:\n"
	       "  - { interface: wlan0, country: FR, band: 5GHz, channel: 36,"
	       " off: \"sat+sun 00:00-24:00\" }\n"
	       "ent: { cas_url: \"https://ent.example.fr/cas\" }\n"
	       "portal: { host: wifi.example.fr }\n";
}

static int
parse_with(const char *auth, struct school *s, struct school_errors *e)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s%s", base(), auth);
	return school_parse_buf(buf, strlen(buf), "p.yaml", root, s, e);
}

START_TEST(example_parses)
{
	struct school s;
	struct school_errors e;

	write_secret("etc/avec/secrets/ap-cdi", S1, 0600);
	write_secret("etc/avec/secrets/wlc-batiment-b", S2, 0640);
	ck_assert_int_eq(school_parse("appliance/school.yaml", NULL, root, &s,
				      &e), 0);
	ck_assert_uint_eq(e.n, 0);
	ck_assert_str_eq(s.uai, "0450822X");
	ck_assert_str_eq(s.timezone, "Europe/Paris");
	ck_assert_uint_eq(s.nradios, 2);
	ck_assert_uint_eq(s.radios[0].band, SCHOOL_BAND_5G);
	ck_assert_uint_eq(s.radios[1].channel, 6);
	ck_assert_uint_eq(s.radios[1].noff, 1);
	ck_assert_uint_eq(s.vlan[AVEC_ROLE_STUDENT], 20);
	ck_assert_uint_eq(s.vlan[AVEC_ROLE_PARENT], 0);
	ck_assert_uint_eq(s.vlan_onboarding, 10);
	ck_assert_uint_eq(s.nauth, 2);
	ck_assert_str_eq(s.auth[0].secret, S1);	/* final newline dropped */
	ck_assert_uint_eq(s.auth[0].das_port, 3799);
	ck_assert_uint_eq(s.auth[1].das_port, 0);
	/* the radios' secret file is made at the first provisioning */
	ck_assert_ptr_null(s.radios_secret);
	ck_assert_str_eq(s.radios_secret_file, "/etc/avec/secrets/radios");
	ck_assert_str_eq(s.radius_name, "radius.lycee-voltaire.fr");
	/* the onboarding network, the management side */
	ck_assert_uint_eq(s.onboarding_lease, 600);
	ck_assert_uint_eq(s.ngarden, 2);
	ck_assert_str_eq(s.garden[0], "ent.netocentre.fr");
	ck_assert_str_eq(s.garden[1], "static.netocentre.fr");
	ck_assert(s.mgmt);
	ck_assert_str_eq(s.mgmt_iface, "eth0");
	ck_assert_uint_eq(s.mgmt_v4, SCHOOL_ADDR_DHCP);
	ck_assert_uint_eq(s.nntp, 2);
	ck_assert_uint_eq(s.nmgmt_nets, 1);
	ck_assert_uint_eq(s.portal_cert, SCHOOL_CERT_PROVIDED);
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(errors_have_line_and_column)
{
	static const char bad[] =
		"school: { uai: 0450822X, name: T, timezone: Europe/London }\n"
		"wifi: { secure_ssid: AVEC, onboarding_ssid: AVEC }\n"
		"network:\n"
		"  uplink: eth0\n"
		"  onboarding_vlan: 5000\n"
		"  vlans: { student: 20, teacher: 20 }\n"
		"radios:\n"
		"  - { interface: wlan0, country: fr, band: 5GHz, channel: 6 }\n"
		"  - { interface: wlan0, country: FR, band: 2.4GHz, channel: 6,"
		" colour: red }\n"
		"authenticators: { radios: { secret: " S1 " } }\n"
		"ent: { cas_url: \"http://ent.example.fr/cas\" }\n";
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(school_parse_buf(bad, strlen(bad), "p.yaml", root,
					  &s, &e), -1);
	ck_assert(has(&e, "p.yaml:1:45: school.timezone: only Europe/Paris"));
	ck_assert(has(&e, "p.yaml:2:45: wifi.onboarding_ssid: the same"));
	ck_assert(has(&e, "p.yaml:5:20: network.onboarding_vlan:"));
	ck_assert(has(&e, "p.yaml:6:34: network.vlans.teacher: the same VLAN "
		      "as student"));
	ck_assert(has(&e, "p.yaml:8:34: radios[0].country:"));
	ck_assert(has(&e, "p.yaml:8:59: radios[0].channel: channel 6 is not"));
	ck_assert(has(&e, "p.yaml:9:18: radios[1].interface: radios[0] has"));
	ck_assert(has(&e, "p.yaml:9:64: radios[1].colour: unknown key"));
	ck_assert(has(&e, "p.yaml:11:17: ent.cas_url:"));
	ck_assert(has(&e, "portal: missing"));
	/* sorted by line */
	ck_assert_ptr_nonnull(strstr(e.msg[0], "p.yaml:1:"));
	ck_assert_ptr_nonnull(strstr(e.msg[e.n - 1], "p.yaml:11:"));
	/* nothing half-read */
	ck_assert_str_eq(s.uai, "");
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(yaml_syntax_error)
{
	static const char bad[] = "school: { uai: 0450822X\nwifi: [\n";
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(school_parse_buf(bad, strlen(bad), "p.yaml", root,
					  &s, &e), -1);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_ptr_nonnull(strstr(e.msg[0], "YAML syntax"));
	ck_assert_ptr_nonnull(strstr(e.msg[0], "p.yaml:2:"));
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(secret_strength)
{
	ck_assert_ptr_null(school_secret_weak(S1, strlen(S1)));
	ck_assert_ptr_nonnull(school_secret_weak("Ab1!Ab1!Ab1!Ab1", 15));
	/* long but few different characters */
	ck_assert_ptr_nonnull(school_secret_weak("abababababababababab", 20));
	/* ten different, but one class only */
	ck_assert_ptr_nonnull(school_secret_weak("abcdefghijklmnopq", 17));
	/* two classes */
	ck_assert_ptr_nonnull(school_secret_weak("abcdefghij0123456", 17));
	ck_assert_ptr_nonnull(school_secret_weak("Abc defghij012345", 17));
	ck_assert_ptr_null(school_secret_weak("abcdefghij012345-", 17));
}
END_TEST

START_TEST(weak_and_reused_secrets)
{
	struct school s;
	struct school_errors e;
	unsigned i;

	ck_assert_int_eq(parse_with(
		"authenticators:\n"
		"  radios: { secret: testing123testing }\n"
		"  external:\n"
		"    - { name: ap1, address: 10.0.0.1, secret: " S1 " }\n"
		"    - { name: ap2, address: 10.0.0.2, secret: " S1 " }\n"
		"    - { name: ap3, address: 10.0.0.3, secret: " S2 ",\n"
		"        secret_file: x }\n"
		"    - { name: ap4, address: 10.0.0.400, secret_file: "
		"/etc/none }\n", &s, &e), -1);
	ck_assert(has(&e, ":9:21: authenticators.radios.secret: refused: "));
	ck_assert(has(&e, ":12:47: authenticators: external[1] (ap2) has the "
		      "same secret as external[0] (ap1)"));
	ck_assert(has(&e, "external[2].secret: give secret or secret_file"));
	ck_assert(has(&e, "external[3].address: expected an IPv4"));
	ck_assert(has(&e, "external[3].secret_file: /etc/none: no such "
		      "file"));
	for (i = 0; i < e.n; i++) {
		ck_assert_ptr_null(strstr(e.msg[i], S1));
		ck_assert_ptr_null(strstr(e.msg[i], "testing123"));
	}
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(secret_files)
{
	struct school s;
	struct school_errors e;

	write_secret("etc/r", S1, 0600);
	write_secret("etc/a", S1, 0600);	/* the radios' own */
	write_secret("etc/weak", "tiny", 0600);
	write_secret("etc/open", S3, 0644);
	ck_assert_int_eq(parse_with(
		"authenticators:\n"
		"  radios: { secret_file: /etc/r, das_port: 4000 }\n"
		"  external:\n"
		"    - { name: ap1, address: 10.0.0.0/24, secret_file: etc/a }\n"
		"    - { name: ap2, address: \"fd00::1\", secret_file: "
		"/etc/weak }\n"
		"    - { name: ap3, address: 10.0.0.3, secret_file: "
		"/etc/open }\n", &s, &e), -1);
	ck_assert(has(&e, "external[0] (ap1) has the same secret as the "
		      "radios"));
	ck_assert(has(&e, "external[1].secret_file: the secret in that file "
		      "is refused: shorter than 16"));
	ck_assert(has(&e, "external[2].secret_file: /etc/open is readable or "
		      "writable by others"));
	ck_assert(!has(&e, S1) && !has(&e, S3) && !has(&e, "tiny"));
	school_free(&s);
	school_errors_free(&e);

	write_secret("etc/a", S2, 0600);
	write_secret("etc/open", S3, 0600);
	ck_assert_int_eq(parse_with(
		"authenticators:\n"
		"  radios: { secret_file: /etc/r, das_port: 4000 }\n"
		"  external:\n"
		"    - { name: ap1, address: 10.0.0.0/24, secret_file: etc/a }\n"
		"    - { name: ap3, address: \"fd00::1\", secret_file: "
		"/etc/open, das_port: 3799 }\n", &s, &e), 0);
	ck_assert_str_eq(s.radios_secret, S1);
	ck_assert_uint_eq(s.radios_das_port, 4000);
	ck_assert_str_eq(s.auth[1].address, "fd00::1");
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(render)
{
	struct school s;
	struct school_errors e;
	struct render_set set = { 0 };
	struct render_paths p = {
		.raddb = "/etc/freeradius/avec", .templates = "plugins/raddb",
		.units = "appliance/systemd", .module_dir = "/usr/lib/x",
		.db = "/var/lib/avec/avec.db", .ca_dir = "/var/lib/avec/ca",
		.log_dir = "/var/log/avec-radius", .run_dir = "/run/avec-radius",
		.hostapd_dir = "/etc/hostapd", .auth_port = 1812,
		.acct_port = 1813,
	};
	struct avec_err err;
	const struct render_file *f;
	const char *at;
	unsigned n = 0;

	ck_assert_int_eq(parse_with(
		"authenticators:\n"
		"  radios: { secret: " S1 " }\n"
		"  external:\n"
		"    - { name: ap1, address: 10.0.0.0/24, secret: " S2 " }\n",
		&s, &e), 0);
	ck_assert_int_eq(render_all(&s, &p, &set, &err), 0);
	f = file_of(&set, "etc/hostapd/avec-wlan0.conf");
	ck_assert_ptr_nonnull(f);
	ck_assert(f->secret);
	ck_assert_int_eq(render_hostapd_check(f->data, f->len, &err), 0);
	ck_assert(contains(&set, "etc/hostapd/avec-wlan0.conf",
			   "\nwpa_key_mgmt=WPA-EAP WPA-EAP-SHA256\n"));
	ck_assert(contains(&set, "etc/hostapd/avec-wlan0.conf",
			   "\nradius_das_port=3799\n"));
	ck_assert(contains(&set, "etc/hostapd/avec-wlan0.conf",
			   "\nbss=wlan0_ob\nssid=AVEC-B\n"));
	ck_assert(contains(&set, "etc/hostapd/avec-wlan0.vlan",
			   "20 wlan0.20 br-student\n30 wlan0.30 br-teacher\n"));
	/* one client per authenticator, each requiring the
	 * Message-Authenticator */
	f = file_of(&set, "etc/freeradius/avec/clients.conf");
	ck_assert_ptr_nonnull(f);
	for (at = f->data; (at = strstr(at, "\trequire_message_authenticator "
					"= yes")) != NULL; at++)
		n++;
	ck_assert_uint_eq(n, 2);
	ck_assert(contains(&set, "etc/freeradius/avec/clients.conf",
			   "ipaddr = 10.0.0.0/24\n\tsecret = \"" S2 "\""));
	ck_assert(contains(&set, "etc/freeradius/avec/radiusd.conf",
			   "libdir = /usr/lib/x:"));
	ck_assert(contains(&set, "etc/freeradius/avec/sites-available/avec",
			   "ipaddr = *\n"));
	ck_assert(contains(&set, "etc/avec/avecd.yaml", "uai: \"0450822X\""));
	/* no local setting in the profile: none in avecd.yaml */
	ck_assert(!contains(&set, "etc/avec/avecd.yaml", "support_"));
	ck_assert(!contains(&set, "etc/avec/avecd.yaml", "schedule:"));
	ck_assert(contains(&set, "etc/systemd/system/avecd.service",
			   "RuntimeDirectory=avec"));
	/* sat+sun 00:00-24:00: off at Sat 00:00, on at Mon 00:00 only */
	ck_assert(contains(&set, "etc/systemd/system/avec-radio-off@wlan0.timer",
			   "OnCalendar=Sat *-*-* 00:00:00 Europe/Paris\n"
			   "OnCalendar=Sun *-*-* 00:00:00 Europe/Paris\n"));
	ck_assert(contains(&set, "etc/systemd/system/avec-radio-on@wlan0.timer",
			   "[Timer]\nOnCalendar=Mon *-*-* 00:00:00 Europe/Paris\n"
			   "Unit="));
	render_set_free(&set);
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

/* The ENT feed's folder and the support address: profile to avecd.yaml. */
START_TEST(portal_settings)
{
	static const char head[] =
		"school: { uai: 0450822X, name: T, timezone: Europe/Paris }\n"
		"wifi: { secure_ssid: AVEC, onboarding_ssid: AVEC-B }\n"
		"network: { uplink: eth0, onboarding_vlan: 10, vlans: "
		"{ student: 20 } }\n"
		"radios:\n"
		"  - { interface: wlan0, country: FR, band: 5GHz, channel: 36 }\n"
		"authenticators: { radios: { secret: " S1 " } }\n";
	struct render_paths p = {
		.raddb = "/etc/freeradius/avec", .templates = "plugins/raddb",
		.units = "appliance/systemd", .module_dir = "/usr/lib/x",
		.db = "/var/lib/avec/avec.db", .ca_dir = "/var/lib/avec/ca",
		.log_dir = "/var/log/avec-radius", .run_dir = "/run/avec-radius",
		.hostapd_dir = "/etc/hostapd", .auth_port = 1812,
		.acct_port = 1813,
	};
	struct render_set set = { 0 };
	struct school s;
	struct school_errors e;
	struct avec_err err;
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s%s", head,
		 "ent: { cas_url: \"https://ent.example.fr/cas\",\n"
		 "       import_dir: /var/lib/avec/aaf }\n"
		 "portal:\n"
		 "  host: wifi.example.fr\n"
		 "  support_url: https://www.example.fr/wifi\n"
		 "  support_email: it@example.fr\n");
	ck_assert_int_eq(school_parse_buf(buf, strlen(buf), "p.yaml", root,
					  &s, &e), 0);
	ck_assert_str_eq(s.ent_import_dir, "/var/lib/avec/aaf");
	ck_assert_str_eq(s.support_url, "https://www.example.fr/wifi");
	ck_assert_str_eq(s.support_email, "it@example.fr");
	ck_assert_int_eq(render_all(&s, &p, &set, &err), 0);
	ck_assert(contains(&set, "etc/avec/avecd.yaml",
			   "\n  support_url: \"https://www.example.fr/wifi\"\n"
			   "  support_email: \"it@example.fr\"\n"));
	ck_assert(contains(&set, "etc/avec/avecd.yaml",
			   "\nschedule:\n  ent_import_dir: \"/var/lib/avec/aaf\"\n"));
	render_set_free(&set);
	school_free(&s);
	school_errors_free(&e);

	snprintf(buf, sizeof(buf), "%s%s", head,
		 "ent: { cas_url: \"https://ent.example.fr/cas\",\n"
		 "       import_dir: var/lib/aaf }\n"
		 "portal:\n"
		 "  host: wifi.example.fr\n"
		 "  support_url: \"www.example.fr/\\\"x\"\n"
		 "  support_email: it.example.fr\n");
	ck_assert_int_eq(school_parse_buf(buf, strlen(buf), "p.yaml", root,
					  &s, &e), -1);
	ck_assert(has(&e, "p.yaml:8:20: ent.import_dir: expected an absolute "
		      "path"));
	ck_assert(has(&e, "p.yaml:11:16: portal.support_url: expected an "
		      "http(s) URL"));
	ck_assert(has(&e, "p.yaml:12:18: portal.support_email: expected an "
		      "e-mail address"));
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(hostapd_check)
{
	static const char good[] = "interface=wlan0\nssid=A\nieee8021x=1\n"
				   "auth_server_addr=127.0.0.1\n"
				   "auth_server_shared_secret=x\n";
	static const char unknown[] = "interface=wlan0\nssid=A\ncolour=red\n";
	static const char nossid[] = "interface=wlan0\nssid=A\nieee8021x=1\n"
				     "auth_server_addr=1\n"
				     "auth_server_shared_secret=x\nbss=b\n";
	struct avec_err err;

	ck_assert_int_eq(render_hostapd_check(good, strlen(good), &err), 0);
	ck_assert_int_eq(render_hostapd_check(unknown, strlen(unknown), &err),
			 -1);
	ck_assert_str_eq(err.msg, "line 3: unknown key colour");
	ck_assert_int_eq(render_hostapd_check(nossid, strlen(nossid), &err),
			 -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no ssid"));
}
END_TEST

Suite *
school_suite(void)
{
	Suite *s = suite_create("school");
	TCase *tc = tcase_create("profile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, example_parses);
	tcase_add_test(tc, errors_have_line_and_column);
	tcase_add_test(tc, yaml_syntax_error);
	tcase_add_test(tc, secret_strength);
	tcase_add_test(tc, weak_and_reused_secrets);
	tcase_add_test(tc, secret_files);
	tcase_add_test(tc, render);
	tcase_add_test(tc, portal_settings);
	tcase_add_test(tc, hostapd_check);
	suite_add_tcase(s, tc);
	return s;
}
