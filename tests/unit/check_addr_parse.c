/*
 * check_addr_parse.c - frames read into address events (lib/addr_parse.c):
 * DHCPv4 ACK, NAK, RELEASE and DECLINE, DHCPv6 Reply, neighbour
 * solicitations and advertisements; and hostile frames: every truncation
 * of a good one (each copied to a buffer of exactly that size, so that the
 * sanitizer build sees any read past it), options that run past their
 * area, an overload that points back at itself, lengths that lie, forged
 * servers and MACs, and mutated frames by the thousand.
 */
#include <stdlib.h>
#include <string.h>

#include "avec/addr.h"
#include "unit.h"

static const uint8_t STA[6] = { 0x02, 0xa5, 0xec, 0, 0, 0x11 };
static const uint8_t SRV[6] = { 0x02, 0xa5, 0xec, 0, 0, 0x01 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

struct frame {
	uint8_t b[2048];
	size_t len;
};

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
eth(struct frame *f, const uint8_t *dst, const uint8_t *src, unsigned type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put16(f->b + 12, type);
	f->len = 14;
}

/*
 * A DHCPv4 message in IPv4/UDP: @op 2 from the server (67 -> 68), 1 from
 * the client; @opts the options field (without the cookie).
 */
static void
dhcp4(struct frame *f, const uint8_t *dst, const uint8_t *src, int op,
      const uint8_t *ciaddr, const uint8_t *yiaddr, const uint8_t *opts,
      size_t optlen)
{
	uint8_t *ip, *u, *d;
	size_t dlen = 240 + optlen;

	eth(f, dst, src, 0x0800);
	ip = f->b + 14;
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + 8 + dlen));
	ip[8] = 64;
	ip[9] = 17;
	u = ip + 20;
	put16(u, op == 2 ? 67 : 68);
	put16(u + 2, op == 2 ? 68 : 67);
	put16(u + 4, (unsigned)(8 + dlen));
	d = u + 8;
	d[0] = (uint8_t)op;
	d[1] = 1;
	d[2] = 6;
	if (ciaddr)
		memcpy(d + 12, ciaddr, 4);
	if (yiaddr)
		memcpy(d + 16, yiaddr, 4);
	memcpy(d + 28, op == 2 ? (dst[0] & 1 ? STA : dst) : src, 6);
	d[236] = 99; d[237] = 130; d[238] = 83; d[239] = 99;
	memcpy(d + 240, opts, optlen);
	f->len = 14 + 20 + 8 + dlen;
}

static const uint8_t YI[4] = { 10, 20, 0, 50 };
/* type ACK, lease 3600, server id, end */
static const uint8_t ACK_OPTS[] = { 53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10,
	54, 4, 10, 20, 0, 1, 255 };

static enum avec_addr_reject
parse(const struct frame *f, enum avec_addr_dir dir,
      struct avec_addr_event *ev, unsigned *n)
{
	/* an exact-size copy: the sanitizer sees any read past the end */
	uint8_t *copy = malloc(f->len ? f->len : 1);
	enum avec_addr_reject r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, f->b, f->len);
	r = avec_addr_parse(copy, f->len, dir, ev, AVEC_ADDR_EVENTS_MAX, n);
	free(copy);
	return r;
}

static enum avec_addr_reject
verdict(const struct frame *f, enum avec_addr_dir dir)
{
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	unsigned n;

	return parse(f, dir, ev, &n);
}

START_TEST(dhcp4_ack_from_the_host)
{
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame f;
	unsigned n;

	dhcp4(&f, BCAST, SRV, 2, NULL, YI, ACK_OPTS, sizeof(ACK_OPTS));
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_BIND);
	ck_assert_int_eq(ev[0].source, AVEC_ADDR_DHCP4);
	ck_assert_int_eq(ev[0].family, 4);
	ck_assert_mem_eq(ev[0].mac, STA, 6);
	ck_assert_mem_eq(ev[0].addr, YI, 4);
	ck_assert_uint_eq(ev[0].lifetime, 3600);
	/* unicast to the station itself, and from a trusted server */
	dhcp4(&f, STA, SRV, 2, NULL, YI, ACK_OPTS, sizeof(ACK_OPTS));
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_TRUSTED), AVEC_ADDR_OK);
	/* one 802.1Q tag is skipped */
	memmove(f.b + 16, f.b + 12, f.len - 12);
	put16(f.b + 12, 0x8100);
	put16(f.b + 14, 20);
	f.len += 4;
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
}
END_TEST

START_TEST(dhcp4_forged_and_refused)
{
	static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	static const uint8_t inform[] = { 53, 1, 5, 255 };
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame f;
	unsigned n;

	dhcp4(&f, BCAST, SRV, 2, NULL, YI, ACK_OPTS, sizeof(ACK_OPTS));
	/* a station playing server */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_UNTRUSTED);
	/* unicast to another MAC than the one it names */
	memcpy(f.b, other, 6);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_SPOOFED);
	/* addresses no station holds */
	{
		static const uint8_t bad[][4] = { { 0, 0, 0, 0 }, { 127, 0, 0, 1 },
			{ 224, 0, 0, 1 }, { 255, 255, 255, 255 }, { 169, 254, 1, 1 } };
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			dhcp4(&f, BCAST, SRV, 2, NULL, bad[i], ACK_OPTS, sizeof(ACK_OPTS));
			ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST),
					 AVEC_ADDR_BAD_ADDRESS);
		}
	}
	/* an ACK to an INFORM: no address, no lease */
	dhcp4(&f, BCAST, SRV, 2, NULL, NULL, inform, sizeof(inform));
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_IGNORED);
	/* an address without a lease */
	dhcp4(&f, BCAST, SRV, 2, NULL, YI, inform, sizeof(inform));
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	/* a NAK ends the station's leases */
	{
		static const uint8_t nak[] = { 53, 1, 6, 255 };
		dhcp4(&f, BCAST, SRV, 2, NULL, NULL, nak, sizeof(nak));
		ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
		ck_assert_int_eq(ev[0].op, AVEC_ADDR_NAK);
		ck_assert_mem_eq(ev[0].mac, STA, 6);
		ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_UNTRUSTED);
	}
	/* an infinite lease is capped */
	{
		uint8_t o[sizeof(ACK_OPTS)];
		memcpy(o, ACK_OPTS, sizeof(o));
		memset(o + 5, 0xff, 4);
		dhcp4(&f, BCAST, SRV, 2, NULL, YI, o, sizeof(o));
		ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
		ck_assert_uint_eq(ev[0].lifetime, AVEC_ADDR_LIFETIME_MAX);
		o[5] = o[6] = o[7] = o[8] = 0;	/* lease 0 */
		dhcp4(&f, BCAST, SRV, 2, NULL, YI, o, sizeof(o));
		ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	}
}
END_TEST

START_TEST(dhcp4_release_and_decline)
{
	static const uint8_t rel[] = { 53, 1, 7, 255 };
	static const uint8_t dec[] = { 53, 1, 4, 50, 4, 10, 20, 0, 51, 255 };
	static const uint8_t dec_noreq[] = { 53, 1, 4, 255 };
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame f;
	unsigned n;

	dhcp4(&f, SRV, STA, 1, YI, NULL, rel, sizeof(rel));
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_STATION, ev, &n), AVEC_ADDR_OK);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_RELEASE);
	ck_assert_mem_eq(ev[0].addr, YI, 4);
	ck_assert_mem_eq(ev[0].mac, STA, 6);
	/* the host's own client messages are not stations' */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_IGNORED);
	/* releasing another station's lease: chaddr is not the sender */
	f.b[14 + 20 + 8 + 28 + 5] ^= 1;
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_SPOOFED);

	dhcp4(&f, SRV, STA, 1, NULL, NULL, dec, sizeof(dec));
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_STATION, ev, &n), AVEC_ADDR_OK);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_DECLINE);
	ck_assert_uint_eq(ev[0].addr[3], 51);
	dhcp4(&f, SRV, STA, 1, NULL, NULL, dec_noreq, sizeof(dec_noreq));
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
}
END_TEST

START_TEST(dhcp4_bad_options)
{
	static const struct {
		uint8_t o[16];
		size_t len;
		enum avec_addr_reject want;
	} cases[] = {
		/* an option running past the end */
		{ { 53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 12, 200, 'x' }, 12, AVEC_ADDR_TRUNCATED },
		/* a length byte missing */
		{ { 53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 12 }, 10, AVEC_ADDR_TRUNCATED },
		/* no end option */
		{ { 53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10 }, 9, AVEC_ADDR_TRUNCATED },
		/* a lease of 3 bytes */
		{ { 53, 1, 5, 51, 3, 0, 0x0e, 0x10, 255 }, 9, AVEC_ADDR_MALFORMED },
		/* two message types that disagree */
		{ { 53, 1, 5, 53, 1, 6, 51, 4, 0, 0, 0x0e, 0x10, 255 }, 13, AVEC_ADDR_MALFORMED },
		/* two leases */
		{ { 53, 1, 5, 51, 4, 0, 0, 0, 9, 51, 4, 0, 0, 0, 9, 255 }, 16, AVEC_ADDR_MALFORMED },
		/* no message type */
		{ { 51, 4, 0, 0, 0x0e, 0x10, 255 }, 7, AVEC_ADDR_MALFORMED },
		/* a message type of 2 bytes */
		{ { 53, 2, 5, 5, 51, 4, 0, 0, 0x0e, 0x10, 255 }, 11, AVEC_ADDR_MALFORMED },
		/* an overload value out of range */
		{ { 52, 1, 4, 53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 255 }, 13, AVEC_ADDR_MALFORMED },
		/* only pads */
		{ { 0, 0, 0, 0 }, 4, AVEC_ADDR_TRUNCATED },
	};
	struct frame f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dhcp4(&f, BCAST, SRV, 2, NULL, YI, cases[i].o, cases[i].len);
		ck_assert_msg(verdict(&f, AVEC_ADDR_FROM_HOST) == cases[i].want,
			      "case %zu: %s", i,
			      avec_addr_reject_name(verdict(&f, AVEC_ADDR_FROM_HOST)));
	}
}
END_TEST

START_TEST(dhcp4_overload)
{
	static const uint8_t top[] = { 52, 1, 3, 255 };
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame f;
	uint8_t *d;
	unsigned n;

	/* type and lease in the file field, the server name in sname */
	dhcp4(&f, BCAST, SRV, 2, NULL, YI, top, sizeof(top));
	d = f.b + 14 + 20 + 8;
	memcpy(d + 108, ACK_OPTS, sizeof(ACK_OPTS));
	memcpy(d + 44, (const uint8_t[]){ 66, 3, 'a', 'b', 'c', 255 }, 6);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
	ck_assert_uint_eq(ev[0].lifetime, 3600);
	/* an overload inside the overloaded field: refused, not followed */
	memcpy(d + 108, (const uint8_t[]){ 52, 1, 3, 53, 1, 5, 255 }, 7);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	/* an overloaded field without its end option */
	memset(d + 108, 53, 128);
	ck_assert_int_ne(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
	memset(d + 108, 0, 128);		/* pads to the end: no end option */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_TRUNCATED);
	/* sname's option running into file */
	memcpy(d + 108, ACK_OPTS, sizeof(ACK_OPTS));
	memcpy(d + 44 + 60, (const uint8_t[]){ 66, 20 }, 2);
	memset(d + 44, 0, 60);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_TRUNCATED);
}
END_TEST

START_TEST(dhcp4_lengths_that_lie)
{
	struct frame f;
	uint8_t *ip;

	dhcp4(&f, BCAST, SRV, 2, NULL, YI, ACK_OPTS, sizeof(ACK_OPTS));
	ip = f.b + 14;
	put16(ip + 2, (unsigned)(f.len - 14 + 1));	/* IP longer than the frame */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_TRUNCATED);
	put16(ip + 2, (unsigned)(f.len - 14));
	put16(ip + 24, (unsigned)(f.len - 14 - 20 + 1));	/* UDP longer than IP */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	put16(ip + 24, 7);				/* UDP shorter than its header */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	put16(ip + 24, (unsigned)(f.len - 14 - 20));
	ip[0] = 0x4f;					/* IHL past the UDP header */
	ck_assert_int_ne(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
	ip[0] = 0x44;					/* IHL below 20 */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	ip[0] = 0x45;
	put16(ip + 6, 0x2000);				/* a first fragment */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
	put16(ip + 6, 0x4000);				/* don't fragment: fine */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
}
END_TEST

/* Every prefix of a good frame: none is an event, none reads past it. */
static void
every_prefix(const struct frame *good, enum avec_addr_dir dir)
{
	struct frame f = *good;

	for (f.len = 0; f.len < good->len; f.len++)
		ck_assert_msg(verdict(&f, dir) != AVEC_ADDR_OK,
			      "a frame cut at %zu of %zu bytes was taken", f.len,
			      good->len);
	f.len = good->len;
	ck_assert_int_eq(verdict(&f, dir), AVEC_ADDR_OK);
}

START_TEST(dhcp4_every_truncation)
{
	struct frame f;

	dhcp4(&f, BCAST, SRV, 2, NULL, YI, ACK_OPTS, sizeof(ACK_OPTS));
	every_prefix(&f, AVEC_ADDR_FROM_HOST);
}
END_TEST

/* ---- IPv6 ---- */

static const uint8_t G1[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x20, 0, 0, 0x12,
	0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
static const uint8_t LL[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

/* An ICMPv6 ND message; @src NULL is "::", @dst NULL the target's
 * solicited-node group; @opt appended as is. */
static void
nd(struct frame *f, int type, uint8_t flags, const uint8_t *src,
   const uint8_t *dst, const uint8_t *target, const uint8_t *opt,
   size_t optlen)
{
	uint8_t *ip, *icmp;
	size_t plen = 24 + optlen;

	eth(f, (const uint8_t[]){ 0x33, 0x33, 0xff, target[13], target[14],
		target[15] }, STA, 0x86dd);
	ip = f->b + 14;
	ip[0] = 0x60;
	put16(ip + 4, (unsigned)plen);
	ip[6] = 58;
	ip[7] = 255;
	if (src)
		memcpy(ip + 8, src, 16);
	if (dst) {
		memcpy(ip + 24, dst, 16);
	} else {
		static const uint8_t snm[13] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 1, 0xff };
		memcpy(ip + 24, snm, 13);
		memcpy(ip + 37, target + 13, 3);
	}
	icmp = ip + 40;
	icmp[0] = (uint8_t)type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	if (optlen > 0)
		memcpy(icmp + 24, opt, optlen);
	f->len = 14 + 40 + plen;
}

static const uint8_t ALL_NODES[16] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

START_TEST(nd_dad_and_advertisements)
{
	uint8_t slla[8] = { 1, 1 }, tlla[8] = { 2, 1 };
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame f;
	unsigned n;

	memcpy(slla + 2, STA, 6);
	memcpy(tlla + 2, STA, 6);
	/* DAD: from ::, to the solicited-node group */
	nd(&f, 135, 0, NULL, NULL, G1, NULL, 0);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_STATION, ev, &n), AVEC_ADDR_OK);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_CLAIM);
	ck_assert_int_eq(ev[0].source, AVEC_ADDR_ND);
	ck_assert_int_eq(ev[0].family, 6);
	ck_assert_mem_eq(ev[0].addr, G1, 16);
	ck_assert_mem_eq(ev[0].mac, STA, 6);
	every_prefix(&f, AVEC_ADDR_FROM_STATION);
	/* this machine's own DAD is not a station's */
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_IGNORED);
	/* DAD with a source link-layer option: refused (RFC 4861) */
	nd(&f, 135, 0, NULL, NULL, G1, slla, 8);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
	/* DAD to another group than the target's */
	nd(&f, 135, 0, NULL, ALL_NODES, G1, NULL, 0);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
	/* a solicitation from an address in use: that address */
	nd(&f, 135, 0, G1, NULL, LL, slla, 8);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_STATION, ev, &n), AVEC_ADDR_OK);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_USE);
	ck_assert_mem_eq(ev[0].addr, G1, 16);
	/* an unsolicited advertisement, with the station's own MAC */
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, tlla, 8);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_STATION, ev, &n), AVEC_ADDR_OK);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_USE);
	every_prefix(&f, AVEC_ADDR_FROM_STATION);
	/* ... claiming another MAC */
	tlla[7] ^= 1;
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, tlla, 8);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_SPOOFED);
	/* a router's advertisement, a link-local one: not logged */
	nd(&f, 136, 0xa0, G1, ALL_NODES, G1, NULL, 0);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_IGNORED);
	nd(&f, 136, 0x20, LL, ALL_NODES, LL, NULL, 0);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_IGNORED);
	/* solicited, to a group */
	nd(&f, 136, 0x40, G1, ALL_NODES, G1, NULL, 0);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
	/* multicast and unspecified targets */
	nd(&f, 136, 0x20, G1, ALL_NODES, ALL_NODES, NULL, 0);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_BAD_ADDRESS);
}
END_TEST

START_TEST(nd_hostile)
{
	uint8_t opts[32] = { 0 };
	struct frame f;

	/* from off-link: hop limit below 255 */
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, NULL, 0);
	f.b[14 + 7] = 64;
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
	/* an option of length 0 (a walk that would never end) */
	opts[0] = 14;
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, opts, 8);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
	/* an option longer than the message */
	opts[1] = 4;
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, opts, 8);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_TRUNCATED);
	/* two target link-layer options */
	memset(opts, 0, sizeof(opts));
	opts[0] = 2; opts[1] = 1; memcpy(opts + 2, STA, 6);
	memcpy(opts + 8, opts, 8);
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, opts, 16);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_MALFORMED);
	/* a payload length past the frame */
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, NULL, 0);
	put16(f.b + 14 + 4, 200);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_TRUNCATED);
	/* a group MAC as the sender */
	nd(&f, 136, 0x20, G1, ALL_NODES, G1, NULL, 0);
	f.b[6] |= 1;
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_SPOOFED);
}
END_TEST

/* A DHCPv6 Reply to STA with one IA_NA holding @naddr addresses. */
static void
dhcp6_reply(struct frame *f, int naddr, uint32_t valid, uint16_t status)
{
	uint8_t *ip, *u, *d, *ia;
	size_t ialen = 12 + (size_t)naddr * 28 + (status ? 6 : 0), dlen;
	int i;

	eth(f, STA, SRV, 0x86dd);
	ip = f->b + 14;
	ip[0] = 0x60;
	ip[6] = 17;
	ip[7] = 255;
	u = ip + 40;
	put16(u, 547);
	put16(u + 2, 546);
	d = u + 8;
	d[0] = 7;
	put16(d + 4, 3);			/* IA_NA */
	put16(d + 6, (unsigned)ialen);
	ia = d + 8 + 12;
	for (i = 0; i < naddr; i++, ia += 28) {
		put16(ia, 5);
		put16(ia + 2, 24);
		memcpy(ia + 4, G1, 16);
		ia[4 + 15] = (uint8_t)(0x10 + i);
		ia[4 + 16 + 3] = 100;		/* preferred */
		ia[4 + 20] = (uint8_t)(valid >> 24);
		ia[4 + 21] = (uint8_t)(valid >> 16);
		ia[4 + 22] = (uint8_t)(valid >> 8);
		ia[4 + 23] = (uint8_t)valid;
	}
	if (status) {
		put16(ia, 13);
		put16(ia + 2, 2);
		put16(ia + 4, status);
	}
	dlen = 4 + 4 + ialen;
	put16(u + 4, (unsigned)(8 + dlen));
	put16(ip + 4, (unsigned)(8 + dlen));
	f->len = 14 + 40 + 8 + dlen;
}

START_TEST(dhcp6_reply_addresses)
{
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame f;
	unsigned n;

	dhcp6_reply(&f, 2, 7200, 0);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_BIND);
	ck_assert_int_eq(ev[0].source, AVEC_ADDR_DHCP6);
	ck_assert_mem_eq(ev[0].mac, STA, 6);
	ck_assert_uint_eq(ev[1].addr[15], 0x11);
	ck_assert_uint_eq(ev[1].lifetime, 7200);
	every_prefix(&f, AVEC_ADDR_FROM_HOST);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_STATION), AVEC_ADDR_UNTRUSTED);
	/* more addresses than a frame may report: the first ones */
	dhcp6_reply(&f, 20, 7200, 0);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
	ck_assert_uint_eq(n, AVEC_ADDR_EVENTS_MAX);
	/* valid lifetime 0: the server takes it back */
	dhcp6_reply(&f, 1, 0, 0);
	ck_assert_int_eq(parse(&f, AVEC_ADDR_FROM_HOST, ev, &n), AVEC_ADDR_OK);
	ck_assert_int_eq(ev[0].op, AVEC_ADDR_RELEASE);
	/* an IA that failed (NoAddrsAvail): none of its addresses */
	dhcp6_reply(&f, 1, 7200, 2);
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_IGNORED);
	/* an IAADDR too short, an IA shorter than its header */
	dhcp6_reply(&f, 1, 7200, 0);
	put16(f.b + 14 + 40 + 8 + 8 + 12 + 2, 20);
	ck_assert_int_ne(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
	dhcp6_reply(&f, 1, 7200, 0);
	put16(f.b + 14 + 40 + 8 + 6, 8);
	ck_assert_int_ne(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_OK);
	/* to a group */
	dhcp6_reply(&f, 1, 7200, 0);
	f.b[0] = 0x33;
	ck_assert_int_eq(verdict(&f, AVEC_ADDR_FROM_HOST), AVEC_ADDR_MALFORMED);
}
END_TEST

/* Good frames with random bytes changed, cut or grown: the parser never
 * crashes (the sanitizer build watches), and whatever it takes is sane. */
START_TEST(mutated_frames)
{
	struct avec_addr_event ev[AVEC_ADDR_EVENTS_MAX];
	struct frame good[4], f;
	unsigned seed = 12345, i, k, n, taken = 0;

	dhcp4(&good[0], BCAST, SRV, 2, NULL, YI, ACK_OPTS, sizeof(ACK_OPTS));
	nd(&good[1], 135, 0, NULL, NULL, G1, NULL, 0);
	nd(&good[2], 136, 0x20, G1, ALL_NODES, G1, NULL, 0);
	dhcp6_reply(&good[3], 3, 600, 0);
	for (i = 0; i < 40000; i++) {
		f = good[i % 4];
		for (k = 0; k < 1 + (i % 7); k++) {
			seed = seed * 1103515245u + 12345u;
			f.b[(seed >> 8) % f.len] = (uint8_t)(seed >> 20);
		}
		if (i % 5 == 0) {
			seed = seed * 1103515245u + 12345u;
			f.len = (seed >> 8) % sizeof(f.b);
		}
		if (parse(&f, i % 3 == 0 ? AVEC_ADDR_FROM_STATION :
			  AVEC_ADDR_FROM_HOST, ev, &n) != AVEC_ADDR_OK) {
			ck_assert_uint_eq(n, 0);
			continue;
		}
		taken++;
		ck_assert_uint_ge(n, 1);
		ck_assert_uint_le(n, AVEC_ADDR_EVENTS_MAX);
		for (k = 0; k < n; k++) {
			ck_assert(ev[k].family == 4 || ev[k].family == 6);
			ck_assert_uint_eq(ev[k].mac[0] & 1, 0);
			ck_assert_uint_le(ev[k].lifetime, AVEC_ADDR_LIFETIME_MAX);
			if (ev[k].op != AVEC_ADDR_NAK)
				ck_assert(ev[k].family == 6 ? ev[k].addr[0] != 0xff :
					  ev[k].addr[0] != 0 && ev[k].addr[0] < 224);
		}
	}
	/* some mutations leave a valid frame (a changed lease, say) */
	ck_assert_uint_gt(taken, 0);
}
END_TEST

Suite *
addr_parse_suite(void)
{
	Suite *s = suite_create("addr_parse");
	TCase *tc = tcase_create("frames");

	tcase_add_test(tc, dhcp4_ack_from_the_host);
	tcase_add_test(tc, dhcp4_forged_and_refused);
	tcase_add_test(tc, dhcp4_release_and_decline);
	tcase_add_test(tc, dhcp4_bad_options);
	tcase_add_test(tc, dhcp4_overload);
	tcase_add_test(tc, dhcp4_lengths_that_lie);
	tcase_add_test(tc, dhcp4_every_truncation);
	tcase_add_test(tc, nd_dad_and_advertisements);
	tcase_add_test(tc, nd_hostile);
	tcase_add_test(tc, dhcp6_reply_addresses);
	tcase_add_test(tc, mutated_frames);
	suite_add_tcase(s, tc);
	return s;
}
