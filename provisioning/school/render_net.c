/*
 * render_net.c - a school profile to the text of the appliance's network
 * and management files, in memory: dnsmasq (DHCP and DNS on the
 * onboarding network and on the VLANs whose gateway the appliance is,
 * the walled garden kept in nftables sets), the nftables ruleset (host
 * firewall, walled garden, NAT, no traffic between onboarding clients),
 * IP forwarding, systemd-networkd's files of the bridges and of the
 * management interface, timesyncd, sshd, the administrators' SSH keys,
 * journald and rsyslog.
 *
 * This file owns what those files say; docs/network.md explains it.  None
 * of them holds a secret.  It must never write a file, run a program or
 * print anything.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "school/netval.h"
#include "school/render.h"

#define EDIT_PROFILE	"# Rendered by `avecctl provision` from the school " \
			"profile: edit the profile,\n# not this file " \
			"(docs/network.md).\n"
#define LEASES		"/var/lib/avec-dnsmasq/dnsmasq.leases"

static const char *const ROLE_NAMES[] = { "student", "teacher", "staff",
					  "parent" };

/* "10m", "8h", "90s": a duration in its largest whole unit. */
static const char *
dur(unsigned sec, char out[16])
{
	if (sec % 3600 == 0)
		snprintf(out, 16, "%uh", sec / 3600);
	else if (sec % 60 == 0)
		snprintf(out, 16, "%um", sec / 60);
	else
		snprintf(out, 16, "%us", sec);
	return out;
}

/* The address of @p, without its length. */
static const char *
ip(const struct school_prefix *p, char out[SCHOOL_PREFIX_STRLEN])
{
	return school_prefix_str(p, false, out);
}

/* The network of @p, "10.30.0.0/22". */
static const char *
net(const struct school_prefix *p, char out[SCHOOL_PREFIX_STRLEN])
{
	struct school_prefix n = school_prefix_net(p);

	return school_prefix_str(&n, true, out);
}

static uint32_t
v4(const struct school_prefix *p)
{
	return (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	       (uint32_t)p->addr[2] << 8 | p->addr[3];
}

/* Is this appliance the gateway of role @r's VLAN? */
static bool
is_gateway(const struct school *s, unsigned r)
{
	return s->gateway[r].family != 0 && s->vlan[r] != 0;
}

static bool
any_gateway(const struct school *s)
{
	unsigned r;

	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (is_gateway(s, r))
			return true;
	return false;
}

/* ---- dnsmasq ---- */

/*
 * One DHCP range tagged @tag for the network of the appliance's address
 * @a: the larger side of the network around @a (the appliance's own
 * address is never handed out), with the appliance as router and DNS.
 */
static void
dhcp_range(FILE *f, const char *tag, const struct school_prefix *a,
	   unsigned lease)
{
	struct school_prefix first, last, mask = { AF_INET, { 255, 255, 255,
							      255 }, 32 };
	char b1[SCHOOL_PREFIX_STRLEN], b2[SCHOOL_PREFIX_STRLEN],
	     b3[SCHOOL_PREFIX_STRLEN], b4[SCHOOL_PREFIX_STRLEN], d[16];
	struct school_prefix n = school_prefix_net(a);
	uint32_t size = (uint32_t)1 << (32 - a->len), off = v4(a) - v4(&n);

	if (off - 1 >= size - 2 - off) {
		first = school_prefix_add4(&n, 1);
		last = school_prefix_add4(a, -1);
	} else {
		first = school_prefix_add4(a, 1);
		last = school_prefix_add4(&n, (long)size - 2);
	}
	mask.len = a->len;
	mask = school_prefix_net(&mask);
	fprintf(f, "dhcp-range=set:%s,%s,%s,%s,%s\n"
		"dhcp-option=tag:%s,option:router,%s\n"
		"dhcp-option=tag:%s,option:dns-server,%s\n", tag,
		ip(&first, b1), ip(&last, b2), ip(&mask, b3), dur(lease, d),
		tag, ip(a, b4), tag, b4);
}

static int
render_dnsmasq(const struct school *s, struct render_set *out,
	       struct avec_err *err)
{
	struct render_text t;
	char b[SCHOOL_PREFIX_STRLEN];
	unsigned r, i;

	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f, "# dnsmasq of the AVEC appliance of %s: DHCP and DNS on "
		"the onboarding\n# network%s.  Run by avec-dnsmasq.service; "
		"no query is logged.\n", s->uai, any_gateway(s) ?
		" and on the VLANs whose gateway the appliance is" : "");
	fputs(EDIT_PROFILE, t.f);
	fputs("\n# These bridges only, never the management side; "
	      "addresses bound as they\n# come and go.\ninterface="
	      SCHOOL_ONBOARDING_BRIDGE "\n", t.f);
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (is_gateway(s, r))
			fprintf(t.f, "interface=%s\n",
				school_role_bridge((enum avec_role)r));
	fputs("except-interface=lo\nbind-dynamic\n"
	      "# DNS: upstream are systemd-resolved's servers (from the "
	      "management side's\n# DHCP or management.dns); a short cache, "
	      "so that the walled garden\n# follows DNS.\n"
	      "no-hosts\nresolv-file=/run/systemd/resolve/resolv.conf\n"
	      "domain-needed\nbogus-priv\nmax-cache-ttl=30\nmax-ttl=30\n"
	      "# DHCP: this appliance is the only server of these "
	      "networks.\ndhcp-authoritative\ndhcp-leasefile=" LEASES
	      "\npid-file=\n", t.f);
	fprintf(t.f, "\n# The onboarding network: short leases, the "
		"portal's API (RFC 8908) in\n# option 114 (RFC 8910), the "
		"portal's name answered with this address.\n");
	dhcp_range(t.f, "onb", &s->onboarding_addr, s->onboarding_lease);
	fprintf(t.f, "dhcp-option=tag:onb,114,\"https://%s/api/captive\"\n"
		"address=/%s/%s\n", s->portal_host, s->portal_host,
		ip(&s->onboarding_addr, b));
	fputs("\n# The walled garden: the addresses these names (and their "
	      "subdomains)\n# resolve to join the nftables sets garden4 and "
	      "garden6 of table inet avec\n# (1 h each), which the onboarding "
	      "network may reach on ports 80 and 443.\n", t.f);
	for (i = 0; i < s->ngarden; i++)
		if (s->garden[i][0] != '\0')
			fprintf(t.f, "nftset=/%s/4#inet#avec#garden4,"
				"6#inet#avec#garden6\n", s->garden[i]);
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		if (!is_gateway(s, r))
			continue;
		fprintf(t.f, "\n# Role %s (VLAN %u, %s): the appliance is its "
			"gateway.\n", ROLE_NAMES[r], s->vlan[r],
			school_role_bridge((enum avec_role)r));
		dhcp_range(t.f, ROLE_NAMES[r], &s->gateway[r],
			   s->gateway_lease[r]);
	}
	return render_text_add(&t, out, RENDER_DNSMASQ, 0644, false, err);
}

/* ---- nftables ---- */

/* The elements of an interval set: each address of @a as its network. */
static void
set_elements(FILE *f, const struct school_prefix *a, unsigned n, int family)
{
	char b[SCHOOL_PREFIX_STRLEN];
	bool first = true;
	unsigned i;

	for (i = 0; i < n; i++)
		if (a[i].family == family) {
			fprintf(f, "%s%s", first ? "\t\telements = { " : ", ",
				net(&a[i], b));
			first = false;
		}
	if (!first)
		fputs(" }\n", f);
}

static void
interval_set(FILE *f, const char *name, int family,
	     const struct school_prefix *a, unsigned n, const char *what)
{
	fprintf(f, "\t# %s\n\tset %s {\n\t\ttype %s\n\t\tflags interval\n"
		"\t\tauto-merge\n", what, name,
		family == AF_INET ? "ipv4_addr" : "ipv6_addr");
	set_elements(f, a, n, family);
	fputs("\t}\n", f);
}

/* iifname of the gateway bridges: "{ "br-teacher", ... }", or NULL. */
static const char *
gateway_bridges(const struct school *s, char out[128])
{
	unsigned r;
	size_t n = 0;

	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (is_gateway(s, r))
			n += (size_t)snprintf(out + n, 128 - n, "%s\"%s\"",
					      n ? ", " : "{ ",
					      school_role_bridge(
						      (enum avec_role)r));
	if (n == 0)
		return NULL;
	snprintf(out + n, 128 - n, " }");
	return out;
}

static void
nft_input(FILE *f, const struct school *s, const struct render_paths *p)
{
	const char *mg = s->mgmt_iface;
	/* without a management block, whatever configures the uplink keeps
	 * its DHCP */
	bool dh4 = !s->mgmt || s->mgmt_v4 == SCHOOL_ADDR_DHCP,
	     dh6 = !s->mgmt || s->mgmt_v6 == SCHOOL_ADDR_DHCP ||
		   s->mgmt_v6 == SCHOOL_ADDR_AUTO;
	char gw[128], ports[32];

	fputs("\n\tchain input {\n\t\ttype filter hook input priority filter; "
	      "policy drop;\n\t\tiif \"lo\" accept\n"
	      "\t\tct state established,related accept\n"
	      "\t\tct state invalid drop\n"
	      "\t\ticmp type { echo-request, destination-unreachable, "
	      "time-exceeded, parameter-problem } accept\n"
	      "\t\ticmpv6 type { echo-request, destination-unreachable, "
	      "packet-too-big, time-exceeded, parameter-problem, "
	      "nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
	      "mld-listener-query } accept\n", f);
	if (dh4 || dh6)
		fputs("\t\t# the management side's DHCP answers\n", f);
	if (dh4)
		fprintf(f, "\t\tiifname \"%s\" udp sport 67 udp dport 68 "
			"accept\n", mg);
	if (dh6)
		fprintf(f, "\t\tiifname \"%s\" ip6 saddr fe80::/10 udp sport "
			"547 udp dport 546 accept\n", mg);
	fputs("\t\t# the onboarding network: DHCP, DNS, the portal\n"
	      "\t\tiifname \"" SCHOOL_ONBOARDING_BRIDGE "\" udp dport 67 "
	      "accept\n\t\tiifname \"" SCHOOL_ONBOARDING_BRIDGE "\" meta "
	      "l4proto { tcp, udp } th dport 53 accept\n\t\tiifname \""
	      SCHOOL_ONBOARDING_BRIDGE "\" tcp dport { 80, 443 } accept\n", f);
	if (gateway_bridges(s, gw) != NULL)
		fprintf(f, "\t\t# the VLANs whose gateway this appliance is: "
			"DHCP, DNS\n\t\tiifname %s udp dport 67 accept\n"
			"\t\tiifname %s meta l4proto { tcp, udp } th dport 53 "
			"accept\n", gw, gw);
	fprintf(f, "\t\t# RADIUS from the declared access points and "
		"controllers only\n"
		"\t\tip saddr @radius4 udp dport { %u, %u } accept\n"
		"\t\tip6 saddr @radius6 udp dport { %u, %u } accept\n",
		p->auth_port, p->acct_port, p->auth_port, p->acct_port);
	if (s->mgmt) {
		if (s->admin_port != 0)
			snprintf(ports, sizeof(ports), "{ 22, %u }",
				 s->admin_port);
		else
			snprintf(ports, sizeof(ports), "22");
		fprintf(f, "\t\t# SSH%s from management.networks only\n"
			"\t\tip saddr @admin4 tcp dport %s accept\n"
			"\t\tip6 saddr @admin6 tcp dport %s accept\n",
			s->admin_port ? " and the admin door" : "", ports,
			ports);
	}
	if (s->portal_cert == SCHOOL_CERT_ACME)
		fprintf(f, "\t\t# ACME's HTTP-01 challenges, answered by "
			"avecd's HTTP door\n\t\tiifname \"%s\" tcp dport 80 "
			"accept\n", mg);
	fputs("\t}\n", f);
}

static void
nft_forward_nat(FILE *f, const struct school *s)
{
	char gw[128], b[SCHOOL_PREFIX_STRLEN];
	unsigned r;

	fputs("\n\tchain forward {\n\t\ttype filter hook forward priority "
	      "filter; policy drop;\n"
	      "\t\tct state established,related accept\n"
	      "\t\t# the onboarding network reaches the walled garden's web "
	      "only\n\t\tiifname \"" SCHOOL_ONBOARDING_BRIDGE "\" ip daddr "
	      "@garden4 tcp dport { 80, 443 } accept\n\t\tiifname \""
	      SCHOOL_ONBOARDING_BRIDGE "\" ip6 daddr @garden6 tcp dport "
	      "{ 80, 443 } accept\n\t\t# the rest fails at once rather "
	      "than after a time-out\n\t\tiifname \"" SCHOOL_ONBOARDING_BRIDGE
	      "\" meta l4proto tcp reject with tcp reset\n\t\tiifname \""
	      SCHOOL_ONBOARDING_BRIDGE "\" reject with icmpx type "
	      "admin-prohibited\n", f);
	if (gateway_bridges(s, gw) != NULL)
		fprintf(f, "\t\t# the VLANs whose gateway this appliance is: "
			"out to the management side\n\t\tiifname %s oifname "
			"\"%s\" accept\n", gw, s->mgmt_iface);
	/* A bridge's own traffic is not routed, but where br_netfilter is
	 * loaded it passes this hook with the bridge as both ends: a role's
	 * network must not die of it. */
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (s->vlan[r] != 0)
			fprintf(f, "\t\tiifname \"%s\" oifname \"%s\" accept"
				"\t# bridged, not routed\n",
				school_role_bridge((enum avec_role)r),
				school_role_bridge((enum avec_role)r));
	fputs("\t}\n", f);
	fprintf(f, "\n\tchain prerouting {\n\t\ttype nat hook prerouting "
		"priority dstnat; policy accept;\n"
		"\t\t# plain HTTP outside the garden: to avecd's probe "
		"listener, so that every\n\t\t# system's captive portal "
		"detection sees the portal\n\t\tiifname \""
		SCHOOL_ONBOARDING_BRIDGE "\" tcp dport 80 ip daddr != "
		"@garden4 fib daddr type != local redirect to :80\n\t}\n");
	fprintf(f, "\n\tchain postrouting {\n\t\ttype nat hook postrouting "
		"priority srcnat; policy accept;\n\t\toifname \"%s\" ip saddr "
		"{ %s", s->mgmt_iface, net(&s->onboarding_addr, b));
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (is_gateway(s, r))
			fprintf(f, ", %s", net(&s->gateway[r], b));
	fputs(" } masquerade\n\t}\n", f);
}

static int
render_firewall(const struct school *s, const struct render_paths *p,
		struct render_set *out, struct avec_err *err)
{
	struct school_prefix radius[SCHOOL_MAX_AUTH];
	struct render_text t;
	char bss[16];
	unsigned i, n = 0;

	for (i = 0; i < s->nauth; i++)
		if (school_prefix_parse(s->auth[i].address, 0, false,
					&radius[n]) == 0)
			n++;
	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f, "#!/usr/sbin/nft -f\n# The host firewall of the AVEC "
		"appliance of %s, its walled garden\n# and NAT.  Loaded by "
		"avec-firewall.service (`nft -f`): the tables are\n# made, "
		"emptied and defined again, so that a reload replaces them "
		"whole.\n", s->uai);
	fputs(EDIT_PROFILE, t.f);
	fputs("\ntable inet avec\nflush table inet avec\n\ntable inet avec {\n"
	      "\t# the walled garden, filled by dnsmasq (nftset) as it "
	      "resolves its names\n"
	      "\tset garden4 {\n\t\ttype ipv4_addr\n\t\tflags timeout\n"
	      "\t\ttimeout 1h\n\t}\n"
	      "\tset garden6 {\n\t\ttype ipv6_addr\n\t\tflags timeout\n"
	      "\t\ttimeout 1h\n\t}\n", t.f);
	interval_set(t.f, "radius4", AF_INET, radius, n,
		     "authenticators.external");
	interval_set(t.f, "radius6", AF_INET6, radius, n,
		     "authenticators.external");
	if (s->mgmt) {
		interval_set(t.f, "admin4", AF_INET, s->mgmt_nets,
			     s->nmgmt_nets, "management.networks");
		interval_set(t.f, "admin6", AF_INET6, s->mgmt_nets,
			     s->nmgmt_nets, "management.networks");
	}
	nft_input(t.f, s, p);
	nft_forward_nat(t.f, s);
	fputs("}\n\n# Onboarding clients never reach each other, whichever "
	      "port of " SCHOOL_ONBOARDING_BRIDGE "\n# they came by (hostapd's "
	      "ap_isolate keeps them apart inside one BSS).\n"
	      "table bridge avec\nflush table bridge avec\n\n"
	      "table bridge avec {\n\tchain forward {\n\t\ttype filter hook "
	      "forward priority filter; policy accept;\n", t.f);
	fprintf(t.f, "\t\tiifname { \"%s.%u\"", s->uplink, s->vlan_onboarding);
	for (i = 0; i < s->nradios; i++) {
		render_bss_name(s->radios[i].iface, "_ob", bss);
		fprintf(t.f, ", \"%s\"", bss);
	}
	fputs(" } drop\n\t}\n}\n", t.f);
	return render_text_add(&t, out, RENDER_FIREWALL, 0644, false, err);
}

/* ---- systemd-networkd, sysctl ---- */

static int
render_bridge_net(const char *bridge, const struct school_prefix *a,
		  struct render_set *out, struct avec_err *err)
{
	struct render_text t;
	char path[128], b[SCHOOL_PREFIX_STRLEN];

	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f, "# The appliance's address on %s (the bridge itself is "
		"made by avecctl\n# provision, not by systemd-networkd).\n"
		EDIT_PROFILE "\n[Match]\nName=%s\n\n[Link]\n"
		"RequiredForOnline=no\n\n[Network]\nAddress=%s\n"
		"ConfigureWithoutCarrier=yes\nIgnoreCarrierLoss=yes\n"
		"LinkLocalAddressing=no\nIPv6AcceptRA=no\n", bridge, bridge,
		school_prefix_str(a, true, b));
	snprintf(path, sizeof(path), "etc/systemd/network/30-avec-%s.network",
		 bridge);
	return render_text_add(&t, out, path, 0644, false, err);
}

static int
render_mgmt_net(const struct school *s, struct render_set *out,
		struct avec_err *err)
{
	static const char *const dhcp[2][2] = { { "no", "ipv6" },
						{ "ipv4", "yes" } };
	bool d4 = s->mgmt_v4 == SCHOOL_ADDR_DHCP,
	     d6 = s->mgmt_v6 == SCHOOL_ADDR_DHCP;
	bool ra = d6 || s->mgmt_v6 == SCHOOL_ADDR_AUTO;
	const char *nodns = s->nmgmt_dns ? "UseDNS=no\n" : "";
	struct render_text t;
	char b[SCHOOL_PREFIX_STRLEN], g[SCHOOL_PREFIX_STRLEN];
	unsigned i;

	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f, "# The management side of the AVEC appliance of %s "
		"(the profile's management\n# block).\n" EDIT_PROFILE
		"\n[Match]\nName=%s\n\n[Link]\nRequiredForOnline=yes\n\n"
		"[Network]\nDHCP=%s\n", s->uai, s->mgmt_iface, dhcp[d4][d6]);
	if (s->mgmt_v4 == SCHOOL_ADDR_STATIC)
		fprintf(t.f, "Address=%s\nGateway=%s\n",
			school_prefix_str(&s->mgmt_addr4, true, b),
			ip(&s->mgmt_gw4, g));
	if (s->mgmt_v6 == SCHOOL_ADDR_STATIC) {
		fprintf(t.f, "Address=%s\n",
			school_prefix_str(&s->mgmt_addr6, true, b));
		if (s->mgmt_gw6.family != 0)
			fprintf(t.f, "Gateway=%s\n", ip(&s->mgmt_gw6, b));
	}
	for (i = 0; i < s->nmgmt_dns; i++)
		fprintf(t.f, "DNS=%s\n", ip(&s->mgmt_dns[i], b));
	fprintf(t.f, "IPv6AcceptRA=%s\nLinkLocalAddressing=%s\n",
		ra ? "yes" : "no",
		s->mgmt_v6 == SCHOOL_ADDR_OFF ? "no" : "ipv6");
	fputs("# time from management.ntp only (timesyncd)\n", t.f);
	if (d4)
		fprintf(t.f, "\n[DHCPv4]\nUseNTP=no\n%s", nodns);
	if (d6)
		fprintf(t.f, "\n[DHCPv6]\nUseNTP=no\nWithoutRA=solicit\n%s",
			nodns);
	if (ra)
		fprintf(t.f, "\n[IPv6AcceptRA]\n%s", s->nmgmt_dns ?
			"UseDNS=no\n" : "UseDNS=yes\n");
	return render_text_add(&t, out,
			       "etc/systemd/network/20-avec-mgmt.network",
			       0644, false, err);
}

/* ---- time, SSH, logs ---- */

static int
render_mgmt_files(const struct school *s, struct render_set *out,
		  struct avec_err *err)
{
	struct render_text t;
	unsigned i;

	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f, "# Time from the region's NTP servers only "
		"(management.ntp).\n" EDIT_PROFILE "\n[Time]\nNTP=");
	for (i = 0; i < s->nntp; i++)
		fprintf(t.f, "%s%s", i ? " " : "", s->ntp[i]);
	fputs("\nFallbackNTP=\n", t.f);
	if (render_text_add(&t, out, "etc/systemd/timesyncd.conf.d/avec.conf",
			    0644, false, err) < 0 ||
	    render_text_open(&t, err) < 0)
		return -1;
	fputs("# Remote access: the administrators' keys only "
	      "(management.ssh_keys), as\n# avecadm, from "
	      "management.networks (the firewall).\n" EDIT_PROFILE
	      "PermitRootLogin no\nPasswordAuthentication no\n"
	      "KbdInteractiveAuthentication no\nAuthenticationMethods "
	      "publickey\nAllowUsers avecadm\nAuthorizedKeysFile "
	      "/etc/avec/ssh/%u.keys\n", t.f);
	if (render_text_add(&t, out, "etc/ssh/sshd_config.d/avec.conf", 0644,
			    false, err) < 0 ||
	    render_text_open(&t, err) < 0)
		return -1;
	fputs("# avecadm's SSH keys (management.ssh_keys).\n" EDIT_PROFILE,
	      t.f);
	for (i = 0; i < s->nssh_keys; i++)
		fprintf(t.f, "%s\n", s->ssh_keys[i]);
	return render_text_add(&t, out, "etc/avec/ssh/avecadm.keys", 0644,
			       false, err);
}

static int
render_logs(const struct school *s, struct render_set *out,
	    struct avec_err *err)
{
	bool fwd = s->log_proto[0] != '\0';
	struct render_text t;

	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f, "# The journal is the appliance's log: kept on disk, "
		"capped in size.\n" EDIT_PROFILE "\n[Journal]\n"
		"Storage=persistent\nSystemMaxUse=200M\nSystemMaxFileSize=20M\n"
		"SystemKeepFree=300M\nForwardToSyslog=%s\n", fwd ? "yes" : "no");
	if (render_text_add(&t, out, "etc/systemd/journald.conf.d/avec.conf",
			    0644, false, err) < 0 ||
	    render_text_open(&t, err) < 0)
		return -1;
	fputs("# Forwarding of the journal to the region's collector "
	      "(management.log_server).\n" EDIT_PROFILE, t.f);
	if (fwd)
		fprintf(t.f, "*.* action(type=\"omfwd\" target=\"%s\" "
			"port=\"%u\" protocol=\"%s\" queue.type=\"LinkedList\" "
			"queue.size=\"10000\" action.resumeRetryCount=\"-1\")\n",
			s->log_host, s->log_port, s->log_proto);
	else
		fputs("# No log_server in the profile: nothing is "
		      "forwarded.\n", t.f);
	return render_text_add(&t, out, "etc/rsyslog.d/60-avec-forward.conf",
			       0644, false, err);
}

/*
 * avec-addrd's bridges: each role's, with its VLAN, so that the connection
 * log says which network an address was given on (docs/addresses.md).
 */
static int
render_addrd_env(const struct school *s, struct render_set *out,
		 struct avec_err *err)
{
	struct render_text t;
	unsigned r, n = 0;

	if (render_text_open(&t, err) < 0)
		return -1;
	fputs("# avec-addrd's options (avec-addrd.service): the role bridges "
	      "it watches.\n" EDIT_PROFILE "AVEC_ADDRD_ARGS=\"", t.f);
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (s->vlan[r] != 0)
			fprintf(t.f, "%s-i %s=%u", n++ == 0 ? "" : " ",
				school_role_bridge((enum avec_role)r),
				s->vlan[r]);
	fputs(n == 0 ? "-a\"\n" : "\"\n", t.f);
	return render_text_add(&t, out, "etc/avec/avec-addrd.env", 0644, false,
			       err);
}

int
render_net(const struct school *s, const struct render_paths *p,
	   struct render_set *out, struct avec_err *err)
{
	struct render_text t;
	unsigned r;

	if (render_dnsmasq(s, out, err) < 0 ||
	    render_firewall(s, p, out, err) < 0 ||
	    render_bridge_net(SCHOOL_ONBOARDING_BRIDGE, &s->onboarding_addr,
			      out, err) < 0)
		return -1;
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (is_gateway(s, r) &&
		    render_bridge_net(school_role_bridge((enum avec_role)r),
				      &s->gateway[r], out, err) < 0)
			return -1;
	if (render_text_open(&t, err) < 0)
		return -1;
	fputs("# The appliance routes its onboarding network (and the VLANs "
	      "whose gateway\n# it is) to the management side.\n" EDIT_PROFILE
	      "net.ipv4.ip_forward=1\n", t.f);
	if (render_text_add(&t, out, "etc/sysctl.d/60-avec.conf", 0644, false,
			    err) < 0)
		return -1;
	if (render_addrd_env(s, out, err) < 0)
		return -1;
	if (s->mgmt && (render_mgmt_net(s, out, err) < 0 ||
			render_mgmt_files(s, out, err) < 0))
		return -1;
	return render_logs(s, out, err);
}
