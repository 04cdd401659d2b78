/*
 * check_school_net.c - the school profile's network and management keys:
 * the defaults, the onboarding network and its walled garden, gateway
 * VLANs, the management block, SSH keys, the portal's certificate, every
 * error with its line, overlapping networks; and the rendered dnsmasq,
 * nftables, networkd, sshd, journald and rsyslog files (no secret there).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "school/netval.h"
#include "school_unit.h"
#include "unit.h"

#define S1 "Kp3vQ9zXw2Lm7RtY"		/* 16, strong */
#define S2 "Zb8nH4qWe6Tr1UyI"

/* Public keys made with ssh-keygen for this test. */
#define KEY_ED25519 \
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMarUehiZgas1HLrIUNJWvAZ" \
	"LBATOpEhOiVzs6XdPJey admin@region"
#define KEY_RSA2048 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDhSjRGAWGuVpKLXHafp0ag" \
	"vHJkEXsmm4s8FvAHbreyBGCVX/9SL0vq3tQ24CcLt0w5Ntzrcpje8bTOMTB4" \
	"xY0WvXG/enUPHfwE1KbNIRMEzISFZBfMmISSobnVh0pOAiLbE7Euc/aX3HCk" \
	"1IyfGpf7+tbNqOoqFFBkQXr+D2bbC4xKGgXjbVx7v06n/X88vJSyWaViRgDX" \
	"tWTHxIZuvdVcVj2dBRffdFJekLlR5Wyf9K0D801PoZcL+bAS3O4mTrfQqdxL" \
	"4QnGBWa9Cc8oO8kO0KX26pOFx25ZPUQhHaoz2XN6QFQJpQQce6EwoS6itPB6" \
	"TiwKLlWGZx+NheJWQ0+9 old@region"
#define KEY_RSA3072 \
	"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCjlQDbTgKZ7w1D1XAsTUgD" \
	"BkjlIbe/uj7Yv5wMqL7RqTXSZ4N69SCG7SgmBuLNIYJwPb39Tdikk5pyE3Jt" \
	"A2zv7COxm0XNzWD+uT3HoXk7owusA0pO1IWYTtOqgkbu/QFngSwObvmUj6Bn" \
	"pOOmIK3g/paxj1tmdrVDKHW4uHfMPjYRRes6XOjPHoNpqhlKbzTx9+ImoJNX" \
	"PQDv2BOiJpAUOtEEpQvzR9iHN6UhVDI4GcTM3dDrz9qE39uVGGoXRodGcCqC" \
	"a8wI96o1RIJX8XUxiwqDvnCeZfUUEU9iOViZwfXOEe66TpYDS6hKcAp7LjAt" \
	"BG/0zoyntgkFP08q3r6wnpW+QKAllsP7zJjpBZEN6YhyfvZFzYidR6eW6NER" \
	"Qrba0eqbmyuLSrfWLiUJvu7BZZdf5d1S8cZxRAApIrsyeDg5I2aWHbQB1kcW" \
	"BF6BhIKMsmxoN5plVqY2dQ6SjLLsGGeepBYs6DRIIkbTyCqMqczrS45vy0sW" \
	"5uqSRlOLOpM= ops@region"
#define KEY_ECDSA \
	"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlz" \
	"dHAyNTYAAABBBB11nctgV/OIFGblgQ8Vh8Z/+XVrfo/OmVhDGdzXKzvyNOhP" \
	"Fxhdjfyp5ZldtRg1HtTIjqSNExLXVCl1GDXFmlA= e@r"

/* A valid profile without the new blocks; @tail is appended. */
static int
parse(const char *network, const char *tail, struct school *s,
      struct school_errors *e)
{
	char buf[8192];

	snprintf(buf, sizeof(buf),
		 "school: { uai: 0450822X, name: T, timezone: Europe/Paris }\n"
		 "wifi: { secure_ssid: AVEC, onboarding_ssid: AVEC-B }\n"
		 "radios:\n"
		 "  - { interface: wlan0, country: FR, band: 5GHz, channel: 36 }\n"
		 "authenticators:\n"
		 "  radios: { secret: " S1 " }\n"
		 "  external:\n"
		 "    - { name: ap1, address: 10.45.9.0/24, secret: " S2 " }\n"
		 "ent: { cas_url: \"https://ENT.example.fr/cas\" }\n"
		 "portal: { host: wifi.example.fr }\n"	/* line 10 */
		 "network:\n"
		 "  uplink: eth0\n"
		 "  onboarding_vlan: 10\n"			/* line 13 */
		 "%s%s", network, tail);
	return school_parse_buf(buf, strlen(buf), "p.yaml", "/", s, e);
}

/* Print the messages, to see why a check failed. */
static void
show(const struct school_errors *e)
{
	unsigned i;

	for (i = 0; i < e->n; i++)
		fprintf(stderr, "  %s\n", e->msg[i]);
}

static const char *
str(const struct school_prefix *p)
{
	static char b[SCHOOL_PREFIX_STRLEN];

	return school_prefix_str(p, true, b);
}

START_TEST(defaults)
{
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(parse("  vlans: { student: 20 }\n", "", &s, &e), 0);
	ck_assert_str_eq(str(&s.onboarding_addr), "172.31.0.1/22");
	ck_assert_uint_eq(s.onboarding_lease, 600);
	/* the CAS host, always in the garden, in lower case */
	ck_assert_uint_eq(s.ngarden, 1);
	ck_assert_str_eq(s.garden[0], "ent.example.fr");
	ck_assert_uint_eq(s.gateway[AVEC_ROLE_STUDENT].family, 0);
	ck_assert(!s.mgmt);
	ck_assert_str_eq(s.mgmt_iface, "eth0");
	ck_assert_uint_eq(s.portal_cert, SCHOOL_CERT_PROVIDED);
	ck_assert_str_eq(s.acme_url, "");
	ck_assert_uint_eq(s.admin_port, 0);
	ck_assert_str_eq(s.log_proto, "");
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(good_profile)
{
	struct school s;
	struct school_errors e;
	int rc;

	rc = parse("  onboarding:\n"
		   "    address: 10.10.0.1/22\n"
		   "    lease: 15m\n"
		   "    walled_garden: [static.example.fr, Ent.Example.fr, "
		   "cdn.example.net]\n"
		   "  vlans:\n"
		   "    student: 20\n"
		   "    teacher: { vlan: 30, gateway: 10.30.0.1/22 }\n"
		   "    staff: { vlan: 40, gateway: 10.40.0.254/24, lease: 1d }\n",
		   "management:\n"
		   "  interface: eth1\n"
		   "  ipv4: 192.0.2.10/24\n"
		   "  gateway4: 192.0.2.1\n"
		   "  ipv6: 2001:db8::10/64\n"
		   "  gateway6: 2001:db8::1\n"
		   "  dns: [192.0.2.1, \"2001:db8::53\"]\n"
		   "  ntp: [ntp1.region.fr, 192.0.2.1]\n"
		   "  networks: [192.0.2.0/24, \"2001:db8::/64\", 10.45.0.1]\n"
		   "  ssh_keys:\n"
		   "    - \"" KEY_ED25519 "\"\n"
		   "    - \"" KEY_RSA3072 "\"\n"
		   "    - \"" KEY_ECDSA "\"\n"
		   "  admin_port: 8443\n"
		   "  log_server: \"tcp://[2001:db8::514]:6514\"\n", &s, &e);
	show(&e);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(str(&s.onboarding_addr), "10.10.0.1/22");
	ck_assert_uint_eq(s.onboarding_lease, 900);
	/* the CAS host first, listed again: once */
	ck_assert_uint_eq(s.ngarden, 3);
	ck_assert_str_eq(s.garden[0], "ent.example.fr");
	ck_assert_str_eq(s.garden[1], "static.example.fr");
	ck_assert_str_eq(s.garden[2], "cdn.example.net");
	ck_assert_uint_eq(s.vlan[AVEC_ROLE_TEACHER], 30);
	ck_assert_uint_eq(s.gateway[AVEC_ROLE_STUDENT].family, 0);
	ck_assert_str_eq(str(&s.gateway[AVEC_ROLE_TEACHER]), "10.30.0.1/22");
	ck_assert_uint_eq(s.gateway_lease[AVEC_ROLE_TEACHER], 8 * 3600);
	ck_assert_uint_eq(s.gateway_lease[AVEC_ROLE_STAFF], 86400);
	ck_assert(s.mgmt);
	ck_assert_str_eq(s.mgmt_iface, "eth1");
	ck_assert_uint_eq(s.mgmt_v4, SCHOOL_ADDR_STATIC);
	ck_assert_str_eq(str(&s.mgmt_addr4), "192.0.2.10/24");
	ck_assert_uint_eq(s.mgmt_v6, SCHOOL_ADDR_STATIC);
	ck_assert_uint_eq(s.mgmt_gw6.family, AF_INET6);
	ck_assert_uint_eq(s.nmgmt_dns, 2);
	ck_assert_uint_eq(s.nntp, 2);
	ck_assert_str_eq(s.ntp[1], "192.0.2.1");
	ck_assert_uint_eq(s.nmgmt_nets, 3);
	ck_assert_str_eq(str(&s.mgmt_nets[2]), "10.45.0.1/32");
	ck_assert_uint_eq(s.nssh_keys, 3);
	ck_assert_str_eq(s.ssh_keys[0], KEY_ED25519);
	ck_assert_uint_eq(s.admin_port, 8443);
	ck_assert_str_eq(s.log_proto, "tcp");
	ck_assert_str_eq(s.log_host, "2001:db8::514");
	ck_assert_uint_eq(s.log_port, 6514);
	school_free(&s);
	ck_assert_ptr_null(s.ssh_keys[0]);
	school_errors_free(&e);
}
END_TEST

START_TEST(dhcp_management)
{
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(parse("  vlans: { student: 20 }\n",
			       "management:\n"
			       "  ntp: [ntp.example.fr]\n"
			       "  networks: [10.45.0.0/16]\n"
			       "  log_server: udp://logs.example.fr\n", &s, &e),
			 0);
	ck_assert_uint_eq(s.mgmt_v4, SCHOOL_ADDR_DHCP);
	ck_assert_uint_eq(s.mgmt_v6, SCHOOL_ADDR_AUTO);
	ck_assert_str_eq(s.mgmt_iface, "eth0");	/* network.uplink */
	ck_assert_str_eq(s.log_host, "logs.example.fr");
	ck_assert_uint_eq(s.log_port, 514);
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

/* Every error at its line and column, all of them reported. */
START_TEST(errors_have_lines)
{
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(parse(
		"  onboarding:\n"
		"    address: 10.10.0.0/22\n"			/* 15 */
		"    lease: 1m\n"
		"    walled_garden:\n"
		"      - static.example.fr\n"
		"      - static.example.fr\n"			/* 19 */
		"      - ex ample.fr\n"
		"      - \"*.example.fr\"\n"
		"      - localhost\n"
		"    colour: red\n"				/* 23 */
		"  vlans:\n"
		"    student: { vlan: 20 }\n"
		"    teacher: { vlan: 30, gateway: 10.30.0.1/30, lease: 1m }\n",
		"management:\n"					/* 27 */
		"  ipv4: 192.0.2.10/24\n"
		"  gateway6: 2001:db8::1\n"
		"  ntp: []\n"					/* 30 */
		"  networks: [192.0.2.1/24]\n"
		"  admin_port: 443\n"
		"  log_server: syslog://192.0.2.1\n"
		"  ssh_keys: [ \"ssh-dss AAAA\" ]\n"		/* 34 */
		"portal2: x\n", &s, &e), -1);
	ck_assert(has(&e, "p.yaml:15:14: network.onboarding.address: the "
		      "first or last address"));
	ck_assert(has(&e, "p.yaml:16:12: network.onboarding.lease: expected "
		      "a duration from 2m to 2h"));
	ck_assert(has(&e, "p.yaml:19:9: network.onboarding.walled_garden[1]: "
		      "given twice"));
	ck_assert(has(&e, "p.yaml:20:9: network.onboarding.walled_garden[2]: "
		      "\"ex ample.fr\" is not a DNS name"));
	ck_assert(has(&e, "p.yaml:21:9: network.onboarding.walled_garden[3]: "
		      "\"*.example.fr\" is not a DNS name"));
	ck_assert(has(&e, "p.yaml:22:9: network.onboarding.walled_garden[4]: "
		      "\"localhost\" is not a DNS name"));
	ck_assert(has(&e, "p.yaml:23:5: network.onboarding.colour: unknown "
		      "key"));
	ck_assert(has(&e, "p.yaml:25:14: network.vlans.student.gateway: "
		      "missing"));
	ck_assert(has(&e, "p.yaml:26:35: network.vlans.teacher.gateway: "
		      "expected an IPv4 address with its prefix, /16 to /28"));
	ck_assert(has(&e, "p.yaml:26:56: network.vlans.teacher.lease: "
		      "expected a duration from 10m to 7d"));
	ck_assert(has(&e, "p.yaml:28:3: management.gateway4: missing"));
	ck_assert(has(&e, "p.yaml:29:13: management.gateway6: only with a "
		      "static address"));
	ck_assert(has(&e, "p.yaml:30:8: management.ntp: an empty list"));
	ck_assert(has(&e, "p.yaml:31:14: management.networks[0]: bits set "
		      "past the prefix (the network is 192.0.2.0/24)"));
	ck_assert(has(&e, "p.yaml:32:15: management.admin_port: a port the "
		      "appliance already serves"));
	ck_assert(has(&e, "p.yaml:33:15: management.log_server: expected "
		      "udp://HOST[:PORT]"));
	ck_assert(has(&e, "p.yaml:34:15: management.ssh_keys[0]: expected "
		      "TYPE BASE64 [COMMENT]"));
	ck_assert(has(&e, "p.yaml:35:1: portal2: unknown key"));
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

/* The onboarding and gateway networks overlap nothing of the profile. */
START_TEST(overlaps)
{
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(parse(
		"  onboarding: { address: 10.30.2.1/23 }\n"	/* 14 */
		"  vlans:\n"
		"    teacher: { vlan: 30, gateway: 10.30.0.1/22 }\n"
		"    staff: { vlan: 40, gateway: 172.31.1.1/24 }\n",
		"management:\n"					/* 18 */
		"  ipv4: 10.30.3.9/24\n"
		"  gateway4: 10.30.3.1\n"
		"  ntp: [192.0.2.1]\n"
		"  networks: [10.0.0.0/8, 192.0.2.0/24]\n", &s, &e), -1);
	ck_assert(has(&e, "p.yaml:16:35: network.vlans.teacher.gateway: "
		      "overlaps network.onboarding.address (10.30.2.0/23)"));
	ck_assert(has(&e, "p.yaml:19:9: management.ipv4: overlaps "
		      "network.onboarding.address (10.30.2.0/23)"));
	ck_assert(has(&e, "p.yaml:19:9: management.ipv4: overlaps "
		      "network.vlans.teacher.gateway (10.30.0.0/22)"));
	ck_assert(has(&e, "p.yaml:22:14: management.networks[0]: overlaps "
		      "network.onboarding.address"));
	ck_assert(!has(&e, "management.networks[1]"));
	/* staff's 172.31.1.0/24 is not the default's: an address was given */
	ck_assert(!has(&e, "network.vlans.staff"));
	school_free(&s);
	school_errors_free(&e);

	/* the default onboarding network is named as such */
	ck_assert_int_eq(parse("  vlans:\n"
			       "    staff: { vlan: 40, gateway: 172.31.1.1/24 }\n",
			       "", &s, &e), -1);
	ck_assert(has(&e, "p.yaml:15:33: network.vlans.staff.gateway: "
		      "overlaps network.onboarding.address (172.31.0.0/22, "
		      "the default)"));
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(ssh_keys)
{
	char why[128];
	struct school s;
	struct school_errors e;

	ck_assert_ptr_null(school_ssh_key_bad(KEY_ED25519, why, sizeof(why)));
	ck_assert_ptr_null(school_ssh_key_bad(KEY_ECDSA, why, sizeof(why)));
	ck_assert_ptr_null(school_ssh_key_bad(KEY_RSA3072, why, sizeof(why)));
	ck_assert_ptr_nonnull(school_ssh_key_bad(KEY_RSA2048, why,
						 sizeof(why)));
	ck_assert_str_eq(why, "an ssh-rsa key of 2048 bits (at least 3072)");
	/* no comment is fine; a broken or mislabelled one is not */
	ck_assert_ptr_null(school_ssh_key_bad("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"
					      "AAAAIMarUehiZgas1HLrIUNJWvAZLBAT"
					      "OpEhOiVzs6XdPJey", why,
					      sizeof(why)));
	ck_assert_ptr_nonnull(school_ssh_key_bad("ssh-ed25519 AAAAC3NzaC1lZDI1"
						 "NTE5AAAAIMarUehiZgas1HLrIUNJ"
						 "WvAZLBATOpEhOiVzs6XdPJ", why,
						 sizeof(why)));
	ck_assert_ptr_nonnull(school_ssh_key_bad("ssh-rsa AAAAC3NzaC1lZDI1NTE5"
						 "AAAAIMarUehiZgas1HLrIUNJWvAZ"
						 "LBATOpEhOiVzs6XdPJey", why,
						 sizeof(why)));
	ck_assert_str_eq(why, "its data is not an ssh-rsa key");
	ck_assert_ptr_nonnull(school_ssh_key_bad("ssh-ed25519 AA$A", why,
						 sizeof(why)));
	ck_assert_str_eq(why, "the key's data is not base64");
	ck_assert_ptr_nonnull(school_ssh_key_bad("from=\"10.0.0.1\" "
						 KEY_ED25519, why,
						 sizeof(why)));

	ck_assert_int_eq(parse("  vlans: { student: 20 }\n",
			       "management:\n"				/* 15 */
			       "  ntp: [192.0.2.1]\n"
			       "  networks: [192.0.2.0/24]\n"
			       "  ssh_keys:\n"
			       "    - \"" KEY_ED25519 "\"\n"
			       "    - \"" KEY_RSA2048 "\"\n", &s, &e), -1);
	ck_assert(has(&e, "p.yaml:20:7: management.ssh_keys[1]: an ssh-rsa "
		      "key of 2048 bits (at least 3072)"));
	ck_assert_uint_eq(e.n, 1);
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

/* A profile with @portal as its portal block. */
static int
parse_portal(const char *portal, struct school *s, struct school_errors *e)
{
	char buf[2048];

	snprintf(buf, sizeof(buf),
		 "school: { uai: 0450822X, name: T, timezone: Europe/Paris }\n"
		 "wifi: { secure_ssid: AVEC, onboarding_ssid: AVEC-B }\n"
		 "network: { uplink: eth0, onboarding_vlan: 10, vlans: "
		 "{ student: 20 } }\n"
		 "radios: [ { interface: wlan0, country: FR, band: 5GHz, "
		 "channel: 36 } ]\n"
		 "authenticators: { radios: { secret: " S1 " } }\n"
		 "ent: { cas_url: \"https://ent.example.fr/cas\" }\n"
		 "portal:\n  host: wifi.example.fr\n%s", portal);	/* 8 */
	return school_parse_buf(buf, strlen(buf), "p.yaml", "/", s, e);
}

START_TEST(certificate)
{
	struct school s;
	struct school_errors e;

	ck_assert_int_eq(parse_portal(
		"  certificate: acme\n"
		"  acme_url: https://acme.example.fr:14000/dir\n"
		"  acme_email: it@example.fr\n", &s, &e), 0);
	ck_assert_uint_eq(s.portal_cert, SCHOOL_CERT_ACME);
	ck_assert_str_eq(s.acme_url, "https://acme.example.fr:14000/dir");
	ck_assert_str_eq(s.acme_email, "it@example.fr");
	ck_assert_str_eq(s.portal_host, "wifi.example.fr");
	school_free(&s);
	school_errors_free(&e);

	ck_assert_int_eq(parse_portal("  certificate: provided\n", &s, &e), 0);
	ck_assert_uint_eq(s.portal_cert, SCHOOL_CERT_PROVIDED);
	school_free(&s);
	school_errors_free(&e);

	ck_assert_int_eq(parse_portal("  certificate: acme\n", &s, &e), -1);
	ck_assert(has(&e, "p.yaml:8:3: portal.acme_url: missing"));
	school_free(&s);
	school_errors_free(&e);

	ck_assert_int_eq(parse_portal(
		"  certificate: letsencrypt\n"
		"  acme_url: http://acme.example.fr/dir\n"
		"  acme_email: nobody\n", &s, &e), -1);
	ck_assert(has(&e, "p.yaml:9:16: portal.certificate: expected provided "
		      "or acme"));
	ck_assert(has(&e, "p.yaml:10:13: portal.acme_url: only with "
		      "certificate: acme"));
	ck_assert(has(&e, "p.yaml:11:15: portal.acme_email: only with "
		      "certificate: acme"));
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

START_TEST(values)
{
	struct school_prefix a, b;
	unsigned d;

	ck_assert_int_eq(school_prefix_parse("10.30.0.1/22", AF_INET, true,
					     &a), 0);
	ck_assert_int_eq(school_prefix_parse("10.30.3.255", 0, false, &b), 0);
	ck_assert_uint_eq(b.len, 32);
	ck_assert(school_prefix_overlap(&a, &b));
	ck_assert(school_prefix_contains(&a, &b));
	ck_assert_int_eq(school_prefix_parse("10.30.4.0/24", 0, false, &b), 0);
	ck_assert(!school_prefix_overlap(&a, &b));
	ck_assert_int_eq(school_prefix_parse("10.30.0.1", 0, true, &b), -1);
	ck_assert_int_eq(school_prefix_parse("fd00::1/64", AF_INET, true, &b),
			 -1);
	ck_assert_int_eq(school_prefix_parse("10.0.0.1/33", 0, true, &b), -1);
	ck_assert(!school_prefix_overlap(&a, &b));	/* cleared: family 0 */
	ck_assert_int_eq(school_duration_parse("10m", &d), 0);
	ck_assert_uint_eq(d, 600);
	ck_assert_int_eq(school_duration_parse("7d", &d), 0);
	ck_assert_uint_eq(d, 7 * 86400);
	ck_assert_int_eq(school_duration_parse("10", &d), -1);
	ck_assert_int_eq(school_duration_parse("0m", &d), -1);
	ck_assert_int_eq(school_duration_parse("1hh", &d), -1);
	ck_assert(school_garden_name_ok("ent.example.fr"));
	ck_assert(school_garden_name_ok("a-1.b"));
	ck_assert(!school_garden_name_ok("example"));
	ck_assert(!school_garden_name_ok("example.fr."));
	ck_assert(!school_garden_name_ok("-a.example.fr"));
	ck_assert(!school_garden_name_ok("a_b.example.fr"));
	ck_assert(!school_garden_name_ok("*.example.fr"));
}
END_TEST

/* Does file @path of @set hold the line(s) @text? */
static bool
holds(const struct render_set *set, const char *path, const char *text)
{
	const struct render_file *f = file_of(set, path);
	char want[1024];

	snprintf(want, sizeof(want), "\n%s\n", text);
	if (f == NULL)
		return false;
	return memmem(f->data, f->len, want, strlen(want)) != NULL;
}

static const struct render_paths PATHS = {
	.raddb = "/etc/freeradius/avec", .templates = "plugins/raddb",
	.units = "appliance/systemd", .module_dir = "/usr/lib/x",
	.db = "/var/lib/avec/avec.db", .ca_dir = "/var/lib/avec/ca",
	.log_dir = "/var/log/avec-radius", .run_dir = "/run/avec-radius",
	.hostapd_dir = "/etc/hostapd", .auth_port = 1812, .acct_port = 1813,
};

START_TEST(render_net_files)
{
	static const char D[] = RENDER_DNSMASQ, F[] = RENDER_FIREWALL;
	struct render_set set = { 0 };
	struct school s;
	struct school_errors e;
	struct avec_err err;
	size_t i;

	ck_assert_int_eq(parse(
		"  onboarding: { walled_garden: [static.example.fr] }\n"
		"  vlans:\n"
		"    student: 20\n"
		"    teacher: { vlan: 30, gateway: 10.30.0.1/22, lease: 2h }\n",
		"management:\n"
		"  ipv4: dhcp\n"
		"  ipv6: off\n"
		"  ntp: [ntp1.region.fr, 192.0.2.1]\n"
		"  networks: [192.0.2.0/24, \"2001:db8::/64\"]\n"
		"  ssh_keys: [\"" KEY_ED25519 "\"]\n"
		"  admin_port: 8443\n"
		"  log_server: udp://192.0.2.1\n", &s, &e), 0);
	ck_assert_int_eq(render_all(&s, &PATHS, &set, &err), 0);
	/* dnsmasq: option 114, the garden in nftables sets, the ranges */
	ck_assert(holds(&set, D, "interface=br-onboarding\n"
			"interface=br-teacher"));
	ck_assert(holds(&set, D, "dhcp-range=set:onb,172.31.0.2,172.31.3.254,"
			"255.255.252.0,10m"));
	ck_assert(holds(&set, D, "dhcp-option=tag:onb,114,"
			"\"https://wifi.example.fr/api/captive\""));
	ck_assert(holds(&set, D, "address=/wifi.example.fr/172.31.0.1"));
	ck_assert(holds(&set, D, "nftset=/ent.example.fr/4#inet#avec#garden4,"
			"6#inet#avec#garden6\n"
			"nftset=/static.example.fr/4#inet#avec#garden4,"
			"6#inet#avec#garden6"));
	ck_assert(holds(&set, D, "max-cache-ttl=30"));
	ck_assert(holds(&set, D, "dhcp-range=set:teacher,10.30.0.2,10.30.3.254,"
			"255.255.252.0,2h\n"
			"dhcp-option=tag:teacher,option:router,10.30.0.1"));
	ck_assert(!holds(&set, D, "log-queries"));
	/* nftables: RADIUS from the external address only, SSH and the admin
	 * door from management.networks, the redirect, the masquerade */
	ck_assert(holds(&set, F, "table inet avec\nflush table inet avec"));
	ck_assert(holds(&set, F, "\t\telements = { 10.45.9.0/24 }"));
	ck_assert(holds(&set, F, "\t\tip saddr @radius4 udp dport "
			"{ 1812, 1813 } accept"));
	ck_assert(holds(&set, F, "\t\telements = { 192.0.2.0/24 }"));
	ck_assert(holds(&set, F, "\t\telements = { 2001:db8::/64 }"));
	ck_assert(holds(&set, F, "\t\tip saddr @admin4 tcp dport { 22, 8443 } "
			"accept"));
	ck_assert(holds(&set, F, "\t\tiifname \"eth0\" udp sport 67 udp dport "
			"68 accept"));
	ck_assert(!holds(&set, F, "\t\tiifname \"eth0\" ip6 saddr fe80::/10 "
			 "udp sport 547 udp dport 546 accept"));
	ck_assert(holds(&set, F, "\t\tiifname \"br-onboarding\" ip daddr "
			"@garden4 tcp dport { 80, 443 } accept"));
	ck_assert(holds(&set, F, "\t\tiifname \"br-onboarding\" tcp dport 80 "
			"ip daddr != @garden4 fib daddr type != local redirect "
			"to :80"));
	ck_assert(holds(&set, F, "\t\toifname \"eth0\" ip saddr "
			"{ 172.31.0.0/22, 10.30.0.0/22 } masquerade"));
	ck_assert(holds(&set, F, "\t\tiifname { \"br-teacher\" } oifname "
			"\"eth0\" accept"));
	ck_assert(holds(&set, F, "\t\tiifname { \"eth0.10\", \"wlan0_ob\" } "
			"drop"));
	/* the rest */
	ck_assert(holds(&set, "etc/sysctl.d/60-avec.conf",
			"net.ipv4.ip_forward=1"));
	ck_assert(holds(&set, "etc/systemd/network/30-avec-br-teacher.network",
			"Address=10.30.0.1/22\nConfigureWithoutCarrier=yes"));
	ck_assert(holds(&set, "etc/systemd/network/20-avec-mgmt.network",
			"[Network]\nDHCP=ipv4"));
	ck_assert(holds(&set, "etc/systemd/network/20-avec-mgmt.network",
			"IPv6AcceptRA=no\nLinkLocalAddressing=no"));
	ck_assert(holds(&set, "etc/systemd/timesyncd.conf.d/avec.conf",
			"[Time]\nNTP=ntp1.region.fr 192.0.2.1\nFallbackNTP="));
	ck_assert(holds(&set, "etc/ssh/sshd_config.d/avec.conf",
			"PermitRootLogin no\nPasswordAuthentication no"));
	ck_assert(holds(&set, "etc/ssh/sshd_config.d/avec.conf",
			"AuthorizedKeysFile /etc/avec/ssh/%u.keys"));
	ck_assert(holds(&set, "etc/avec/ssh/avecadm.keys", KEY_ED25519));
	ck_assert(holds(&set, "etc/systemd/journald.conf.d/avec.conf",
			"ForwardToSyslog=yes"));
	ck_assert(holds(&set, "etc/rsyslog.d/60-avec-forward.conf",
			"*.* action(type=\"omfwd\" target=\"192.0.2.1\" "
			"port=\"514\" protocol=\"udp\" queue.type=\"LinkedList\" "
			"queue.size=\"10000\" action.resumeRetryCount=\"-1\")"));
	ck_assert(holds(&set, "etc/avec/avecd.yaml",
			"  listen: \"0.0.0.0:8443\""));
	ck_assert(holds(&set, "etc/systemd/system/avec-dnsmasq.service",
			"ExecStart=/usr/sbin/dnsmasq -k -C "
			"/etc/avec/dnsmasq.conf"));
	/* no secret in any of these files */
	for (i = 0; i < set.n; i++) {
		if (strncmp(set.f[i].path, "etc/freeradius/", 15) == 0 ||
		    strncmp(set.f[i].path, "etc/hostapd/", 12) == 0)
			continue;
		ck_assert(!set.f[i].secret);
		ck_assert_msg(memmem(set.f[i].data, set.f[i].len, S1,
				     strlen(S1)) == NULL &&
			      memmem(set.f[i].data, set.f[i].len, S2,
				     strlen(S2)) == NULL,
			      "a secret in %s", set.f[i].path);
	}
	render_set_free(&set);
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

/* Without a management block: no management file, DHCP kept, no SSH. */
START_TEST(render_without_management)
{
	struct render_set set = { 0 };
	struct school s;
	struct school_errors e;
	struct avec_err err;

	ck_assert_int_eq(parse("  vlans: { student: 20 }\n", "", &s, &e), 0);
	ck_assert_int_eq(render_all(&s, &PATHS, &set, &err), 0);
	ck_assert_ptr_null(file_of(&set, "etc/systemd/network/"
				   "20-avec-mgmt.network"));
	ck_assert_ptr_null(file_of(&set, "etc/ssh/sshd_config.d/avec.conf"));
	ck_assert_ptr_nonnull(file_of(&set, "etc/systemd/network/"
				      "30-avec-br-onboarding.network"));
	ck_assert(holds(&set, RENDER_FIREWALL, "\t\tiifname \"eth0\" udp "
			"sport 67 udp dport 68 accept"));
	ck_assert(!holds(&set, RENDER_FIREWALL, "\t\tip saddr @admin4 tcp "
			 "dport 22 accept"));
	ck_assert(holds(&set, "etc/rsyslog.d/60-avec-forward.conf",
			"# No log_server in the profile: nothing is forwarded."));
	ck_assert(holds(&set, "etc/systemd/journald.conf.d/avec.conf",
			"ForwardToSyslog=no"));
	ck_assert(!holds(&set, "etc/avec/avecd.yaml", "  listen: "
			 "\"0.0.0.0:8443\""));
	render_set_free(&set);
	school_free(&s);
	school_errors_free(&e);
}
END_TEST

Suite *
school_net_suite(void)
{
	Suite *s = suite_create("school_net");
	TCase *tc = tcase_create("network");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, good_profile);
	tcase_add_test(tc, dhcp_management);
	tcase_add_test(tc, errors_have_lines);
	tcase_add_test(tc, overlaps);
	tcase_add_test(tc, ssh_keys);
	tcase_add_test(tc, certificate);
	tcase_add_test(tc, values);
	tcase_add_test(tc, render_net_files);
	tcase_add_test(tc, render_without_management);
	suite_add_tcase(s, tc);
	return s;
}
