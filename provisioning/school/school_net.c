/*
 * school_net.c - the school profile's network keys beyond the VLAN ids:
 * network.vlans (a VLAN, or a VLAN whose gateway the appliance is),
 * network.onboarding (the appliance's address there, the lease, the
 * walled garden) and the management block (address, DNS, NTP, where SSH
 * and the admin door are allowed from, SSH keys, log forwarding).
 *
 * This file owns those keys' grammar and their cross-checks: the
 * onboarding and gateway networks may not overlap each other, the
 * management address's network or management.networks.  Like school.c it
 * reports every error at its line and never guesses; the defaults it
 * fills in are the documented ones (docs/school-profile.md).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "avec/ident.h"
#include "school/netval.h"
#include "school/school_int.h"

#define ONBOARDING_DEFAULT	"172.31.0.1/22"
#define ONBOARDING_LEASE	600		/* 10m */
#define GATEWAY_LEASE		(8 * 3600)	/* 8h */

static const char *const ROLE_NAMES[] = { "student", "teacher", "staff",
					  "parent", NULL };

/*
 * Is @a a host's address in its network: host bits neither all clear nor,
 * for IPv4, all set?
 */
static bool
is_host(const struct school_prefix *a)
{
	struct school_prefix next = school_prefix_add4(a, 1);

	return school_prefix_host_bits(a) &&
	       (a->family == AF_INET6 || school_prefix_host_bits(&next));
}

/*
 * The appliance's address on a bridge: IPv4 with its prefix, /16 to /28,
 * neither the first nor the last address of its network.
 */
static int
get_bridge_addr(struct sp *p, const yaml_node_t *n, const char *path,
		struct school_prefix *out)
{
	const char *t = sp_scalar(p, n, path, "an address/prefix");

	if (t == NULL)
		return -1;
	if (school_prefix_parse(t, AF_INET, true, out) < 0 || out->len < 16 ||
	    out->len > 28) {
		sp_err(p, n, path, "expected an IPv4 address with its prefix, "
		       "/16 to /28 (10.30.0.1/22)");
		goto bad;
	}
	if (!is_host(out)) {
		sp_err(p, n, path, "the first or last address of its network, "
		       "not a host's");
		goto bad;
	}
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* A lease duration from @min to @max seconds (spelled @range). */
static void
get_lease(struct sp *p, const yaml_node_t *n, const char *path,
	  unsigned min, unsigned max, const char *range, unsigned *out)
{
	const char *t = sp_scalar(p, n, path, "a duration");
	unsigned d;

	if (t == NULL)
		return;
	if (school_duration_parse(t, &d) < 0 || d < min || d > max)
		sp_err(p, n, path, "expected a duration from %s (s, m, h, d: "
		       "10m, 8h)", range);
	else
		*out = d;
}

/*
 * The items of list @n at @path, at most @max, into @items (@n may not be
 * a list: said).  Returns the count, or -1.
 */
static int
list_items(struct sp *p, const yaml_node_t *n, const char *path,
	   unsigned max, const yaml_node_t **items)
{
	yaml_node_item_t *it;
	unsigned i = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		sp_err(p, n, path, "expected a list, found %s",
		       sp_kind_name(n));
		return -1;
	}
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		const yaml_node_t *e = sp_node(p, *it);

		if (e == NULL)
			continue;
		if (i == max) {
			sp_err(p, e, path, "at most %u", max);
			break;
		}
		items[i++] = e;
	}
	return (int)i;
}

/* ---- network.vlans ---- */

/* network.vlans.ROLE as a map: { vlan, gateway, lease }. */
static int
parse_gateway_vlan(struct sp *p, const yaml_node_t *n, unsigned r,
		   const char *path, unsigned long *vid)
{
	static const char *const keys[] = { "vlan", "gateway", "lease", NULL };
	struct school *s = p->s;
	yaml_node_t *v[3];
	char sub[64];
	int rc = -1;

	if (sp_map_fields(p, n, path, keys, v) < 0)
		return -1;
	snprintf(sub, sizeof(sub), "%s.vlan", path);
	if (v[0] == NULL)
		sp_missing(p, n, path, "vlan", "1-4094");
	else
		rc = sp_get_uint(p, v[0], sub, 1, 4094, vid);
	snprintf(sub, sizeof(sub), "%s.gateway", path);
	if (v[1] == NULL)
		sp_missing(p, n, path, "gateway", "the appliance's address on "
			   "the role's bridge, e.g. 10.30.0.1/22");
	else if (get_bridge_addr(p, v[1], sub, &s->gateway[r]) == 0)
		p->gateway_node[r] = v[1];
	s->gateway_lease[r] = GATEWAY_LEASE;
	if (v[2] != NULL) {
		snprintf(sub, sizeof(sub), "%s.lease", path);
		get_lease(p, v[2], sub, 600, 7 * 86400, "10m to 7d",
			  &s->gateway_lease[r]);
	}
	return rc;
}

void
sp_parse_vlans(struct sp *p, const yaml_node_t *n)
{
	struct school *s = p->s;
	yaml_node_t *rv[AVEC_ROLE__COUNT];
	unsigned long x;
	unsigned r, q;
	char path[40];
	int rc;

	if (sp_map_fields(p, n, "network.vlans", ROLE_NAMES, rv) < 0)
		return;
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		if (rv[r] == NULL)
			continue;
		snprintf(path, sizeof(path), "network.vlans.%s", ROLE_NAMES[r]);
		if (rv[r]->type == YAML_MAPPING_NODE)
			rc = parse_gateway_vlan(p, rv[r], r, path, &x);
		else
			rc = sp_get_uint(p, rv[r], path, 1, 4094, &x);
		if (rc < 0)
			continue;
		if (x == s->vlan_onboarding) {
			sp_err(p, rv[r], path, "the onboarding VLAN");
			continue;
		}
		for (q = 0; q < r; q++)
			if (s->vlan[q] == x)
				break;
		if (q < r) {
			sp_err(p, rv[r], path, "the same VLAN as %s",
			       ROLE_NAMES[q]);
			continue;
		}
		s->vlan[r] = (uint16_t)x;
	}
	for (r = 0; r < AVEC_ROLE__COUNT && s->vlan[r] == 0; r++)
		;
	if (r == AVEC_ROLE__COUNT && p->e.n == 0)
		sp_err(p, n, "network.vlans", "no role has a VLAN");
}

/* ---- network.onboarding ---- */

static void
parse_garden(struct sp *p, const yaml_node_t *n)
{
	static const char path[] = "network.onboarding.walled_garden";
	const yaml_node_t *items[SCHOOL_MAX_GARDEN - 1];
	struct school *s = p->s;
	char sub[64], name[254];
	int cnt, i;
	unsigned q;

	cnt = list_items(p, n, path, SCHOOL_MAX_GARDEN - 1, items);
	for (i = 0; i < cnt; i++) {
		const char *t;
		size_t k;

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if ((t = sp_scalar(p, items[i], sub, "a DNS name")) == NULL)
			continue;
		if (!school_garden_name_ok(t)) {
			sp_err(p, items[i], sub, "\"%.80s\" is not a DNS name",
			       t);
			continue;
		}
		for (k = 0; t[k] != '\0'; k++)
			name[k] = (char)tolower((unsigned char)t[k]);
		name[k] = '\0';
		for (q = 1; q < s->ngarden; q++)
			if (strcmp(s->garden[q], name) == 0)
				break;
		if (q < s->ngarden) {
			sp_err(p, items[i], sub, "given twice");
			continue;
		}
		memcpy(s->garden[s->ngarden++], name, k + 1);
	}
}

void
sp_parse_onboarding(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "address", "lease",
					    "walled_garden", NULL };
	struct school *s = p->s;
	yaml_node_t *v[3] = { NULL, NULL, NULL };

	s->ngarden = 1;		/* [0]: the CAS host, at the end */
	s->onboarding_lease = ONBOARDING_LEASE;
	if (n != NULL && sp_map_fields(p, n, "network.onboarding", keys,
				       v) < 0)
		return;
	if (v[0] == NULL)
		school_prefix_parse(ONBOARDING_DEFAULT, AF_INET, true,
				    &s->onboarding_addr);
	else if (get_bridge_addr(p, v[0], "network.onboarding.address",
				 &s->onboarding_addr) == 0)
		p->onboarding_node = v[0];
	if (v[1] != NULL)
		get_lease(p, v[1], "network.onboarding.lease", 120, 7200,
			  "2m to 2h", &s->onboarding_lease);
	if (v[2] != NULL)
		parse_garden(p, v[2]);
}

/* ---- management ---- */

/* management.ipv4 / ipv6: dhcp, off, auto (IPv6), or ADDRESS/PREFIX. */
static void
get_addr_mode(struct sp *p, const yaml_node_t *n, const char *path,
	      int family, enum school_addr_mode *mode,
	      struct school_prefix *addr)
{
	const char *t = sp_scalar(p, n, path, "an address mode");

	if (t == NULL)
		return;
	if (strcmp(t, "dhcp") == 0) {
		*mode = SCHOOL_ADDR_DHCP;
	} else if (strcmp(t, "off") == 0) {
		*mode = SCHOOL_ADDR_OFF;
	} else if (strcmp(t, "auto") == 0 && family == AF_INET6) {
		*mode = SCHOOL_ADDR_AUTO;
	} else if (school_prefix_parse(t, family, true, addr) == 0 &&
		   addr->len >= 8 &&
		   addr->len <= (family == AF_INET ? 30u : 127u) &&
		   is_host(addr)) {
		*mode = SCHOOL_ADDR_STATIC;
	} else {
		memset(addr, 0, sizeof(*addr));
		sp_err(p, n, path, family == AF_INET ?
		       "expected dhcp, off or a host's ADDRESS/PREFIX "
		       "(192.0.2.10/24)" :
		       "expected auto, dhcp, off or a host's ADDRESS/PREFIX "
		       "(2001:db8::10/64)");
	}
}

/* management.gateway4 / gateway6: only with a static address, in its
 * network. */
static void
get_gateway(struct sp *p, const yaml_node_t *map, const yaml_node_t *n,
	    const char *key, enum school_addr_mode mode,
	    const struct school_prefix *addr, struct school_prefix *out)
{
	char path[40];
	const char *t;

	snprintf(path, sizeof(path), "management.%s", key);
	if (n == NULL) {
		if (mode == SCHOOL_ADDR_STATIC && addr->family == AF_INET)
			sp_missing(p, map, "management", key, "the router of "
				   "a static ipv4");
		return;
	}
	if (mode != SCHOOL_ADDR_STATIC) {
		sp_err(p, n, path, "only with a static address");
		return;
	}
	if ((t = sp_scalar(p, n, path, "an address")) == NULL)
		return;
	if (school_prefix_parse(t, addr->family, false, out) < 0 ||
	    out->len != (addr->family == AF_INET ? 32u : 128u))
		sp_err(p, n, path, "expected an %s address",
		       addr->family == AF_INET ? "IPv4" : "IPv6");
	else if (addr->family == AF_INET &&
		 !school_prefix_contains(addr, out))
		sp_err(p, n, path, "not in the network of the management "
		       "address");
}

/* A list of addresses (dns) or of names and addresses (ntp). */
static void
parse_hosts(struct sp *p, const yaml_node_t *n, const char *path,
	    unsigned max, struct school_prefix *addrs, char (*names)[254],
	    unsigned *count)
{
	const yaml_node_t *items[SCHOOL_MAX_NTP > SCHOOL_MAX_DNS ?
				 SCHOOL_MAX_NTP : SCHOOL_MAX_DNS];
	struct school_prefix a;
	char sub[48];
	int cnt, i;

	cnt = list_items(p, n, path, max, items);
	if (cnt == 0)
		sp_err(p, n, path, "an empty list");
	for (i = 0; i < cnt; i++) {
		const char *t;

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if ((t = sp_scalar(p, items[i], sub, "an address")) == NULL)
			continue;
		if (school_prefix_parse(t, 0, false, &a) == 0 &&
		    a.len == (a.family == AF_INET ? 32u : 128u)) {
			if (addrs != NULL)
				addrs[(*count)++] = a;
			else
				snprintf(names[(*count)++], 254, "%s", t);
		} else if (names != NULL && avec_dns_name_valid(t)) {
			snprintf(names[(*count)++], 254, "%s", t);
		} else {
			sp_err(p, items[i], sub, "expected an IP address%s",
			       names != NULL ? " or a host name" : "");
		}
	}
}

static void
parse_mgmt_nets(struct sp *p, const yaml_node_t *n)
{
	static const char path[] = "management.networks";
	const yaml_node_t *items[SCHOOL_MAX_MGMT_NETS];
	struct school *s = p->s;
	struct school_prefix a, net;
	char sub[48], buf[SCHOOL_PREFIX_STRLEN];
	int cnt, i;

	cnt = list_items(p, n, path, SCHOOL_MAX_MGMT_NETS, items);
	if (cnt == 0)
		sp_err(p, n, path, "an empty list: SSH would be allowed from "
		       "nowhere");
	for (i = 0; i < cnt; i++) {
		const char *t;

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if ((t = sp_scalar(p, items[i], sub, "a network")) == NULL)
			continue;
		if (school_prefix_parse(t, 0, false, &a) < 0) {
			sp_err(p, items[i], sub, "expected an address or a "
			       "network (192.0.2.0/24, 2001:db8::/64)");
			continue;
		}
		if (school_prefix_host_bits(&a)) {
			net = school_prefix_net(&a);
			sp_err(p, items[i], sub, "bits set past the prefix "
			       "(the network is %s)",
			       school_prefix_str(&net, true, buf));
			continue;
		}
		p->mgmt_net_node[s->nmgmt_nets] = items[i];
		s->mgmt_nets[s->nmgmt_nets++] = a;
	}
}

static void
parse_ssh_keys(struct sp *p, const yaml_node_t *n)
{
	static const char path[] = "management.ssh_keys";
	const yaml_node_t *items[SCHOOL_MAX_SSH_KEYS];
	struct school *s = p->s;
	char sub[48], why[128];
	int cnt, i;

	cnt = list_items(p, n, path, SCHOOL_MAX_SSH_KEYS, items);
	for (i = 0; i < cnt; i++) {
		const char *t;

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if ((t = sp_scalar(p, items[i], sub, "an OpenSSH public "
				   "key")) == NULL)
			continue;
		if (school_ssh_key_bad(t, why, sizeof(why)) != NULL) {
			sp_err(p, items[i], sub, "%s", why);
			continue;
		}
		if ((s->ssh_keys[s->nssh_keys] = strdup(t)) == NULL) {
			p->e.oom = true;
			return;
		}
		s->nssh_keys++;
	}
}

/* udp://HOST[:PORT] or tcp://HOST[:PORT], HOST a name, IPv4 or [IPv6]. */
static void
parse_log_server(struct sp *p, const yaml_node_t *n)
{
	static const char path[] = "management.log_server";
	struct school *s = p->s;
	struct school_prefix a;
	const char *t = sp_scalar(p, n, path, "a URL"), *h, *rest;
	unsigned long port = 514;
	char host[254], *end;
	size_t hl;

	if (t == NULL)
		return;
	if (strncmp(t, "udp://", 6) != 0 && strncmp(t, "tcp://", 6) != 0)
		goto bad;
	h = t + 6;
	if (*h == '[') {
		rest = strchr(h, ']');
		hl = rest ? (size_t)(rest - h - 1) : 0;
		if (rest == NULL || hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, h + 1, hl);
		host[hl] = '\0';
		rest++;
		if (school_prefix_parse(host, AF_INET6, false, &a) < 0)
			goto bad;
	} else {
		hl = strcspn(h, ":/");
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, h, hl);
		host[hl] = '\0';
		rest = h + hl;
		if (!avec_dns_name_valid(host))
			goto bad;
	}
	if (*rest == ':') {
		port = strtoul(rest + 1, &end, 10);
		if (rest[1] < '0' || rest[1] > '9' || *end != '\0' ||
		    port < 1 || port > 65535)
			goto bad;
	} else if (*rest != '\0') {
		goto bad;
	}
	memcpy(s->log_proto, t, 3);
	s->log_proto[3] = '\0';
	memcpy(s->log_host, host, hl + 1);
	s->log_port = (uint16_t)port;
	return;
bad:
	sp_err(p, n, path, "expected udp://HOST[:PORT] or tcp://HOST[:PORT] "
	       "(an IPv6 address in brackets)");
}

void
sp_parse_management(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = {
		"interface", "ipv4", "gateway4", "ipv6", "gateway6", "dns",
		"ntp", "networks", "ssh_keys", "admin_port", "log_server", NULL,
	};
	struct school *s = p->s;
	yaml_node_t *v[11];
	unsigned long x;

	s->mgmt = true;
	s->mgmt_v4 = SCHOOL_ADDR_DHCP;
	s->mgmt_v6 = SCHOOL_ADDR_AUTO;
	if (sp_map_fields(p, n, "management", keys, v) < 0)
		return;
	if (v[0] != NULL &&
	    sp_get_text(p, v[0], "management.interface", s->mgmt_iface,
			sizeof(s->mgmt_iface), "an interface name") == 0 &&
	    !sp_ifname_ok(s->mgmt_iface)) {
		sp_err(p, v[0], "management.interface", "not an interface "
		       "name");
		s->mgmt_iface[0] = '\0';
	}
	if (v[1] != NULL) {
		get_addr_mode(p, v[1], "management.ipv4", AF_INET, &s->mgmt_v4,
			      &s->mgmt_addr4);
		if (s->mgmt_v4 == SCHOOL_ADDR_STATIC)
			p->mgmt_addr4_node = v[1];
	}
	get_gateway(p, n, v[2], "gateway4", s->mgmt_v4, &s->mgmt_addr4,
		    &s->mgmt_gw4);
	if (v[3] != NULL)
		get_addr_mode(p, v[3], "management.ipv6", AF_INET6,
			      &s->mgmt_v6, &s->mgmt_addr6);
	get_gateway(p, n, v[4], "gateway6", s->mgmt_v6, &s->mgmt_addr6,
		    &s->mgmt_gw6);
	if (v[5] != NULL)
		parse_hosts(p, v[5], "management.dns", SCHOOL_MAX_DNS,
			    s->mgmt_dns, NULL, &s->nmgmt_dns);
	else if ((s->mgmt_v4 == SCHOOL_ADDR_STATIC ||
		  s->mgmt_v4 == SCHOOL_ADDR_OFF) &&
		 (s->mgmt_v6 == SCHOOL_ADDR_STATIC ||
		  s->mgmt_v6 == SCHOOL_ADDR_OFF))
		sp_missing(p, n, "management", "dns", "no address comes by "
			   "DHCP or router advertisement to bring one");
	if (v[6] == NULL)
		sp_missing(p, n, "management", "ntp", "1 to 4 NTP servers");
	else
		parse_hosts(p, v[6], "management.ntp", SCHOOL_MAX_NTP, NULL,
			    s->ntp, &s->nntp);
	if (v[7] == NULL)
		sp_missing(p, n, "management", "networks", "where SSH and the "
			   "admin door are allowed from");
	else
		parse_mgmt_nets(p, v[7]);
	if (v[8] != NULL)
		parse_ssh_keys(p, v[8]);
	if (v[9] != NULL &&
	    sp_get_uint(p, v[9], "management.admin_port", 1, 65535, &x) == 0) {
		if (x == 22 || x == 53 || x == 80 || x == 443)
			sp_err(p, v[9], "management.admin_port", "a port the "
			       "appliance already serves (22 SSH, 53 DNS, 80 "
			       "and 443 the portal)");
		else
			s->admin_port = (uint16_t)x;
	}
	if (v[10] != NULL)
		parse_log_server(p, v[10]);
}

/* ---- after the walk ---- */

/* The CAS host of ent.cas_url first in the garden; listed again: once. */
static void
garden_cas_first(struct school *s)
{
	const char *h;
	size_t n, i;
	unsigned q;

	if (s->ngarden == 0)
		s->ngarden = 1;
	if (strncmp(s->cas_url, "https://", 8) != 0)
		return;
	h = s->cas_url + 8;
	n = strcspn(h, "/:?#");
	if (n == 0 || n >= sizeof(s->garden[0]))
		return;
	for (i = 0; i < n; i++)
		s->garden[0][i] = (char)tolower((unsigned char)h[i]);
	s->garden[0][n] = '\0';
	for (q = 1; q < s->ngarden; q++)
		if (strcmp(s->garden[q], s->garden[0]) == 0) {
			memmove(s->garden[q], s->garden[q + 1],
				(s->ngarden - q - 1) * sizeof(s->garden[0]));
			s->ngarden--;
			break;
		}
}

/* A network of the profile, for the overlap check. */
struct net_use {
	const struct school_prefix *net;
	const yaml_node_t *node;	/* NULL: a default */
	char what[48];
	bool served;			/* the onboarding or a gateway network */
};

/*
 * The onboarding and gateway networks may not overlap each other, the
 * management address's network, nor management.networks: each overlap
 * is reported once, at the later of the two (or at the one given).
 */
static void
check_overlaps(struct sp *p)
{
	struct school *s = p->s;
	struct net_use u[2 + AVEC_ROLE__COUNT + SCHOOL_MAX_MGMT_NETS];
	char buf[SCHOOL_PREFIX_STRLEN];
	unsigned n = 0, i, j, r;

	u[n] = (struct net_use){ &s->onboarding_addr, p->onboarding_node,
				 "network.onboarding.address", true };
	n++;
	for (r = 0; r < AVEC_ROLE__COUNT; r++)
		if (s->gateway[r].family != 0) {
			u[n] = (struct net_use){ &s->gateway[r],
						 p->gateway_node[r], "", true };
			snprintf(u[n++].what, sizeof(u[0].what),
				 "network.vlans.%s.gateway", ROLE_NAMES[r]);
		}
	if (s->mgmt_v4 == SCHOOL_ADDR_STATIC)
		u[n++] = (struct net_use){ &s->mgmt_addr4, p->mgmt_addr4_node,
					   "management.ipv4", false };
	for (i = 0; i < s->nmgmt_nets; i++) {
		u[n] = (struct net_use){ &s->mgmt_nets[i], p->mgmt_net_node[i],
					 "", false };
		snprintf(u[n++].what, sizeof(u[0].what),
			 "management.networks[%u]", i);
	}
	for (j = 1; j < n; j++)
		for (i = 0; i < j; i++) {
			const struct net_use *at, *other;
			struct school_prefix net;

			at = u[j].node ? &u[j] : &u[i];
			other = at == &u[j] ? &u[i] : &u[j];
			if ((!u[i].served && !u[j].served) ||
			    !school_prefix_overlap(u[i].net, u[j].net) ||
			    at->node == NULL)
				continue;
			net = school_prefix_net(other->net);
			sp_err(p, at->node, at->what, "overlaps %s (%s%s)",
			       other->what, school_prefix_str(&net, true, buf),
			       other->node ? "" : ", the default");
		}
}

void
sp_net_finish(struct sp *p)
{
	struct school *s = p->s;

	garden_cas_first(s);
	if (s->mgmt_iface[0] == '\0')
		memcpy(s->mgmt_iface, s->uplink, sizeof(s->mgmt_iface));
	check_overlaps(p);
}
