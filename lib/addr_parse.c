/*
 * addr_parse.c - one Ethernet frame read into address events (addr.h):
 * DHCPv4 (RFC 2131, option overload RFC 2131 4.1), DHCPv6 Reply
 * (RFC 8415, IA_NA and IA_TA addresses) and IPv6 neighbour discovery
 * (RFC 4861, RFC 4862's duplicate address detection).
 *
 * The frame comes from any station on a bridge, so it is hostile input:
 * every length is checked against the bytes there before it is read, the
 * option walks are flat loops over a bounded area (the overloaded fields
 * are walked once each, never again from inside themselves), and nothing
 * is allocated.  Checksums are not verified: frames this machine sends are
 * captured before the network card fills them in.
 *
 * This file owns the rules of what a frame may claim: a server's message
 * counts only from a server (the caller says where the frame came from), a
 * station's only for the MAC that sent it, and only addresses a station
 * can hold are reported.  It must stay a pure function: no I/O, no state.
 */
#include <string.h>

#include "avec/addr.h"

#define ETH_HLEN	14
#define ETHERTYPE_IP	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88a8

#define DHCP_FIXED	236	/* BOOTP header before the magic cookie */
#define DHCP_OPTS	240	/* options start after the cookie */
#define DHCP_SNAME	44
#define DHCP_FILE	108

enum {
	DHCPDECLINE = 4, DHCPACK = 5, DHCPNAK = 6, DHCPRELEASE = 7,
};

/* Walk state: a frame must be parsed in one call. */
struct parse {
	const uint8_t *eth_dst, *eth_src;
	enum avec_addr_dir dir;
	struct avec_addr_event *out;
	unsigned max, n;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static bool
mac_is_station(const uint8_t *m)
{
	static const uint8_t zero[6];

	return (m[0] & 1) == 0 && memcmp(m, zero, 6) != 0;
}

static bool
ipv4_station(const uint8_t *a)
{
	if (a[0] == 0 || a[0] == 127 || a[0] >= 224)	/* this net, loop, multicast, E */
		return false;
	if (a[0] == 169 && a[1] == 254)		/* link-local */
		return false;
	return true;
}

/* 1: a station's global or unique-local address; 0: link-local (not
 * logged, not an error); -1: no station's address. */
static int
ipv6_station(const uint8_t *a)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (a[0] == 0xff)			/* multicast */
		return -1;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return 0;
	if (memcmp(a, zero, 15) == 0)		/* :: and ::1 */
		return -1;
	if (memcmp(a, mapped, 12) == 0)
		return -1;
	return 1;
}

static enum avec_addr_reject
emit(struct parse *p, enum avec_addr_op op, enum avec_addr_source src,
     const uint8_t *mac, const uint8_t *addr, int family, uint32_t lifetime)
{
	struct avec_addr_event *e;

	if (p->n >= p->max)
		return AVEC_ADDR_OK;	/* the rest of the frame is dropped */
	e = &p->out[p->n++];
	memset(e, 0, sizeof(*e));
	e->op = op;
	e->source = src;
	e->family = family;
	memcpy(e->mac, mac, 6);
	if (addr != NULL)
		memcpy(e->addr, addr, family == 4 ? 4 : 16);
	e->lifetime = lifetime > AVEC_ADDR_LIFETIME_MAX ?
	    AVEC_ADDR_LIFETIME_MAX : lifetime;
	return AVEC_ADDR_OK;
}

/* ---- DHCPv4 ---- */

struct dhcp4_opts {
	int type;		/* 53; 0: absent */
	bool have_lease;
	uint32_t lease;		/* 51 */
	int overload;		/* 52 */
	bool have_req;
	uint8_t req[4];		/* 50 */
};

/* Walk one options area; @top: the options field (where 52 may be). */
static enum avec_addr_reject
dhcp4_walk(const uint8_t *p, size_t len, bool top, struct dhcp4_opts *o)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i], l;

		if (code == 0) {		/* pad */
			i++;
			continue;
		}
		if (code == 255)		/* end */
			return AVEC_ADDR_OK;
		if (i + 2 > len)
			return AVEC_ADDR_TRUNCATED;
		l = p[i + 1];
		if (i + 2 + l > len)
			return AVEC_ADDR_TRUNCATED;
		switch (code) {
		case 53:
			if (l != 1 || p[i + 2] == 0 ||
			    (o->type != 0 && o->type != p[i + 2]))
				return AVEC_ADDR_MALFORMED;
			o->type = p[i + 2];
			break;
		case 51:
			if (l != 4 || o->have_lease)
				return AVEC_ADDR_MALFORMED;
			o->have_lease = true;
			o->lease = get32(p + i + 2);
			break;
		case 52:
			/* only in the options field, once, 1 to 3 */
			if (!top || l != 1 || o->overload != 0 ||
			    p[i + 2] < 1 || p[i + 2] > 3)
				return AVEC_ADDR_MALFORMED;
			o->overload = p[i + 2];
			break;
		case 50:
			if (l != 4 || o->have_req)
				return AVEC_ADDR_MALFORMED;
			o->have_req = true;
			memcpy(o->req, p + i + 2, 4);
			break;
		default:
			break;
		}
		i += 2u + l;
	}
	return AVEC_ADDR_TRUNCATED;	/* no end option */
}

static enum avec_addr_reject
parse_dhcp4(struct parse *p, const uint8_t *d, size_t len, uint16_t sport,
	    uint16_t dport)
{
	static const uint8_t cookie[4] = { 99, 130, 83, 99 };
	struct dhcp4_opts o;
	enum avec_addr_reject r;
	const uint8_t *chaddr = d + 28;
	bool from_server = sport == 67 && dport == 68;

	if (!from_server && !(sport == 68 && dport == 67))
		return AVEC_ADDR_IGNORED;
	if (len < DHCP_OPTS)
		return AVEC_ADDR_TRUNCATED;
	if (memcmp(d + DHCP_FIXED, cookie, 4) != 0 || d[1] != 1 || d[2] != 6 ||
	    d[0] != (from_server ? 2 : 1))
		return AVEC_ADDR_MALFORMED;
	memset(&o, 0, sizeof(o));
	if ((r = dhcp4_walk(d + DHCP_OPTS, len - DHCP_OPTS, true, &o)) != AVEC_ADDR_OK)
		return r;
	if ((o.overload & 1) &&
	    (r = dhcp4_walk(d + DHCP_FILE, 128, false, &o)) != AVEC_ADDR_OK)
		return r;
	if ((o.overload & 2) &&
	    (r = dhcp4_walk(d + DHCP_SNAME, 64, false, &o)) != AVEC_ADDR_OK)
		return r;
	if (o.type == 0)
		return AVEC_ADDR_MALFORMED;
	if (!mac_is_station(chaddr))
		return AVEC_ADDR_MALFORMED;

	if (from_server) {
		if (o.type != DHCPACK && o.type != DHCPNAK)
			return AVEC_ADDR_IGNORED;
		if (p->dir == AVEC_ADDR_FROM_STATION)
			return AVEC_ADDR_UNTRUSTED;
		/* sent to one station: that one */
		if ((p->eth_dst[0] & 1) == 0 && memcmp(p->eth_dst, chaddr, 6) != 0)
			return AVEC_ADDR_SPOOFED;
		if (o.type == DHCPNAK)
			return emit(p, AVEC_ADDR_NAK, AVEC_ADDR_DHCP4, chaddr,
				    NULL, 4, 0);
		/* an ACK to an INFORM gives no address and no lease */
		if (!o.have_lease && d[16] == 0 && d[17] == 0 && d[18] == 0 &&
		    d[19] == 0)
			return AVEC_ADDR_IGNORED;
		if (!o.have_lease || o.lease == 0)
			return AVEC_ADDR_MALFORMED;
		if (!ipv4_station(d + 16))
			return AVEC_ADDR_BAD_ADDRESS;
		return emit(p, AVEC_ADDR_BIND, AVEC_ADDR_DHCP4, chaddr, d + 16,
			    4, o.lease);
	}
	if (o.type != DHCPRELEASE && o.type != DHCPDECLINE)
		return AVEC_ADDR_IGNORED;
	if (p->dir != AVEC_ADDR_FROM_STATION)
		return AVEC_ADDR_IGNORED;
	if (memcmp(p->eth_src, chaddr, 6) != 0)
		return AVEC_ADDR_SPOOFED;
	if (o.type == DHCPRELEASE) {
		if (!ipv4_station(d + 12))
			return AVEC_ADDR_BAD_ADDRESS;
		return emit(p, AVEC_ADDR_RELEASE, AVEC_ADDR_DHCP4, chaddr,
			    d + 12, 4, 0);
	}
	if (!o.have_req)
		return AVEC_ADDR_MALFORMED;
	if (!ipv4_station(o.req))
		return AVEC_ADDR_BAD_ADDRESS;
	return emit(p, AVEC_ADDR_DECLINE, AVEC_ADDR_DHCP4, chaddr, o.req, 4, 0);
}

static enum avec_addr_reject
parse_ipv4(struct parse *p, const uint8_t *ip, size_t len)
{
	size_t ihl, total, ulen;

	if (len < 20)
		return AVEC_ADDR_TRUNCATED;
	if ((ip[0] >> 4) != 4 || (ihl = (size_t)(ip[0] & 0x0f) * 4) < 20)
		return AVEC_ADDR_MALFORMED;
	total = get16(ip + 2);
	if (total < ihl + 8)
		return ip[9] == 17 ? AVEC_ADDR_MALFORMED : AVEC_ADDR_IGNORED;
	if (total > len)
		return AVEC_ADDR_TRUNCATED;
	if (ip[9] != 17)
		return AVEC_ADDR_IGNORED;
	if ((get16(ip + 6) & 0x3fff) != 0)	/* a fragment: MF or an offset */
		return AVEC_ADDR_MALFORMED;
	ulen = get16(ip + ihl + 4);
	if (ulen < 8 || ulen > total - ihl)
		return AVEC_ADDR_MALFORMED;
	return parse_dhcp4(p, ip + ihl + 8, ulen - 8, get16(ip + ihl),
			   get16(ip + ihl + 2));
}

/* ---- IPv6: neighbour discovery ---- */

/*
 * The link-layer address option of type @want in @opt..@len, if any: its
 * six bytes into @mac.  Returns OK (found or not: *@found), TRUNCATED or
 * MALFORMED (a zero length, which would loop).
 */
static enum avec_addr_reject
nd_lla(const uint8_t *opt, size_t len, uint8_t want, uint8_t *mac, bool *found)
{
	size_t i = 0;

	*found = false;
	while (i < len) {
		size_t l;

		if (i + 2 > len)
			return AVEC_ADDR_TRUNCATED;
		if ((l = (size_t)opt[i + 1] * 8) == 0)
			return AVEC_ADDR_MALFORMED;
		if (i + l > len)
			return AVEC_ADDR_TRUNCATED;
		if (opt[i] == want) {
			if (l != 8 || *found)
				return AVEC_ADDR_MALFORMED;
			memcpy(mac, opt + i + 2, 6);
			*found = true;
		}
		i += l;
	}
	return AVEC_ADDR_OK;
}

static enum avec_addr_reject
parse_nd(struct parse *p, const uint8_t *ip6, const uint8_t *icmp, size_t len)
{
	static const uint8_t zero[16];
	static const uint8_t snm[13] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	const uint8_t *src = ip6 + 8, *dst = ip6 + 24, *target = icmp + 8;
	uint8_t lla[6];
	bool found;
	enum avec_addr_reject r;
	int kind;

	if (len < 24)
		return AVEC_ADDR_TRUNCATED;
	if (icmp[1] != 0 || ip6[7] != 255)	/* code 0; hop limit 255: on-link */
		return AVEC_ADDR_MALFORMED;
	if (p->dir != AVEC_ADDR_FROM_STATION)
		return AVEC_ADDR_IGNORED;	/* this machine's own addresses */
	if (!mac_is_station(p->eth_src))
		return AVEC_ADDR_SPOOFED;
	if (icmp[0] == 135) {
		r = nd_lla(icmp + 24, len - 24, 1, lla, &found);
		if (r != AVEC_ADDR_OK)
			return r;
		if (memcmp(src, zero, 16) == 0) {
			/* DAD: no source option; to the target's solicited node */
			if (found || memcmp(dst, snm, 13) != 0 ||
			    memcmp(dst + 13, target + 13, 3) != 0)
				return AVEC_ADDR_MALFORMED;
			if ((kind = ipv6_station(target)) <= 0)
				return kind == 0 ? AVEC_ADDR_IGNORED : AVEC_ADDR_BAD_ADDRESS;
			return emit(p, AVEC_ADDR_CLAIM, AVEC_ADDR_ND, p->eth_src,
				    target, 6, 0);
		}
		if (found && memcmp(lla, p->eth_src, 6) != 0)
			return AVEC_ADDR_SPOOFED;
		if ((kind = ipv6_station(src)) <= 0)
			return kind == 0 ? AVEC_ADDR_IGNORED : AVEC_ADDR_BAD_ADDRESS;
		return emit(p, AVEC_ADDR_USE, AVEC_ADDR_ND, p->eth_src, src, 6, 0);
	}
	/* 136: an advertisement, for the target */
	if (icmp[4] & 0x80)			/* from a router */
		return AVEC_ADDR_IGNORED;
	if ((icmp[4] & 0x40) && dst[0] == 0xff)	/* solicited, to a group */
		return AVEC_ADDR_MALFORMED;
	r = nd_lla(icmp + 24, len - 24, 2, lla, &found);
	if (r != AVEC_ADDR_OK)
		return r;
	if (found && memcmp(lla, p->eth_src, 6) != 0)
		return AVEC_ADDR_SPOOFED;
	if ((kind = ipv6_station(target)) <= 0)
		return kind == 0 ? AVEC_ADDR_IGNORED : AVEC_ADDR_BAD_ADDRESS;
	return emit(p, AVEC_ADDR_USE, AVEC_ADDR_ND, p->eth_src, target, 6, 0);
}

/* ---- IPv6: DHCPv6 Reply ---- */

/*
 * The option at @i of @o..@len: its code and length into *@code and *@l
 * (its data at @o + @i + 4).  AVEC_ADDR_OK, or AVEC_ADDR_TRUNCATED when
 * its header or its data runs past @len.
 */
static enum avec_addr_reject
dhcp6_opt(const uint8_t *o, size_t len, size_t i, uint16_t *code, uint16_t *l)
{
	if (i + 4 > len)
		return AVEC_ADDR_TRUNCATED;
	*code = get16(o + i);
	*l = get16(o + i + 2);
	return i + 4 + *l > len ? AVEC_ADDR_TRUNCATED : AVEC_ADDR_OK;
}

/* The IAADDR options inside one IA's options (@o..@len). */
static enum avec_addr_reject
dhcp6_ia(struct parse *p, const uint8_t *o, size_t len)
{
	size_t i = 0;
	unsigned start = p->n;

	while (i < len) {
		uint16_t code, l;

		if (dhcp6_opt(o, len, i, &code, &l) != AVEC_ADDR_OK)
			return AVEC_ADDR_TRUNCATED;
		if (code == 13 && l >= 2 && get16(o + i + 4) != 0) {
			p->n = start;	/* the IA failed: none of its addresses */
			return AVEC_ADDR_OK;
		}
		if (code == 5) {		/* IAADDR */
			const uint8_t *a = o + i + 4;
			uint32_t valid;

			if (l < 24)
				return AVEC_ADDR_MALFORMED;
			valid = get32(a + 20);
			if (ipv6_station(a) <= 0)
				return AVEC_ADDR_BAD_ADDRESS;
			emit(p, valid == 0 ? AVEC_ADDR_RELEASE : AVEC_ADDR_BIND,
			     AVEC_ADDR_DHCP6, p->eth_dst, a, 6, valid);
		}
		i += 4u + l;
	}
	return AVEC_ADDR_OK;
}

static enum avec_addr_reject
parse_dhcp6(struct parse *p, const uint8_t *d, size_t len)
{
	enum avec_addr_reject r;
	size_t i = 4;

	if (len < 4)
		return AVEC_ADDR_TRUNCATED;
	if (d[0] != 7)				/* Reply */
		return AVEC_ADDR_IGNORED;
	if (p->dir == AVEC_ADDR_FROM_STATION)
		return AVEC_ADDR_UNTRUSTED;
	if (!mac_is_station(p->eth_dst))	/* to one station */
		return AVEC_ADDR_MALFORMED;
	while (i < len) {
		uint16_t code, l;

		if (dhcp6_opt(d, len, i, &code, &l) != AVEC_ADDR_OK)
			return AVEC_ADDR_TRUNCATED;
		if (code == 3 || code == 4) {	/* IA_NA: 12 bytes; IA_TA: 4 */
			size_t head = code == 3 ? 12 : 4;

			if (l < head)
				return AVEC_ADDR_MALFORMED;
			r = dhcp6_ia(p, d + i + 4 + head, l - head);
			if (r != AVEC_ADDR_OK)
				return r;
		}
		i += 4u + l;
	}
	return p->n > 0 ? AVEC_ADDR_OK : AVEC_ADDR_IGNORED;
}

static enum avec_addr_reject
parse_ipv6(struct parse *p, const uint8_t *ip6, size_t len)
{
	size_t plen;
	const uint8_t *u;

	if (len < 40)
		return AVEC_ADDR_TRUNCATED;
	if ((ip6[0] >> 4) != 6)
		return AVEC_ADDR_MALFORMED;
	plen = get16(ip6 + 4);
	if (40 + plen > len)
		return AVEC_ADDR_TRUNCATED;
	if (ip6[6] == 58) {
		if (plen < 1)
			return AVEC_ADDR_TRUNCATED;
		if (ip6[40] != 135 && ip6[40] != 136)
			return AVEC_ADDR_IGNORED;
		return parse_nd(p, ip6, ip6 + 40, plen);
	}
	if (ip6[6] != 17)
		return AVEC_ADDR_IGNORED;	/* extension headers: not ours */
	if (plen < 8)
		return AVEC_ADDR_TRUNCATED;
	u = ip6 + 40;
	if (get16(u) != 547 || get16(u + 2) != 546)
		return AVEC_ADDR_IGNORED;
	if (get16(u + 4) < 8 || get16(u + 4) > plen)
		return AVEC_ADDR_MALFORMED;
	return parse_dhcp6(p, u + 8, get16(u + 4) - 8u);
}

enum avec_addr_reject
avec_addr_parse(const uint8_t *frame, size_t len, enum avec_addr_dir dir,
		struct avec_addr_event *out, unsigned max, unsigned *n)
{
	struct parse p;
	enum avec_addr_reject r;
	size_t off = 12;
	uint16_t type;

	*n = 0;
	if (frame == NULL || len < ETH_HLEN)
		return AVEC_ADDR_TRUNCATED;
	type = get16(frame + off);
	if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
		if (len < ETH_HLEN + 4)
			return AVEC_ADDR_TRUNCATED;
		off += 4;
		type = get16(frame + off);
	}
	off += 2;
	memset(&p, 0, sizeof(p));
	p.eth_dst = frame;
	p.eth_src = frame + 6;
	p.dir = dir;
	p.out = out;
	p.max = max;
	if (type == ETHERTYPE_IP)
		r = parse_ipv4(&p, frame + off, len - off);
	else if (type == ETHERTYPE_IPV6)
		r = parse_ipv6(&p, frame + off, len - off);
	else
		r = AVEC_ADDR_IGNORED;
	if (r == AVEC_ADDR_OK && p.n == 0)
		r = AVEC_ADDR_IGNORED;
	*n = r == AVEC_ADDR_OK ? p.n : 0;
	return r;
}

const char *
avec_addr_reject_name(enum avec_addr_reject r)
{
	switch (r) {
	case AVEC_ADDR_OK: return "ok";
	case AVEC_ADDR_IGNORED: return "ignored";
	case AVEC_ADDR_TRUNCATED: return "truncated";
	case AVEC_ADDR_MALFORMED: return "malformed";
	case AVEC_ADDR_UNTRUSTED: return "untrusted";
	case AVEC_ADDR_SPOOFED: return "spoofed";
	case AVEC_ADDR_BAD_ADDRESS: return "bad-address";
	case AVEC_ADDR_REJECT_MAX: break;
	}
	return "?";
}

const char *
avec_addr_source_name(enum avec_addr_source s)
{
	switch (s) {
	case AVEC_ADDR_DHCP4: return "dhcp";
	case AVEC_ADDR_DHCP6: return "dhcpv6";
	case AVEC_ADDR_ND: return "nd";
	}
	return "?";
}
