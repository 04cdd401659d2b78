/*
 * md4.c - MD4 (RFC 1320), written from the RFC for one purpose: the NT
 * hash that PEAP/MSCHAPv2 verifies.  OpenSSL 3 keeps MD4 in its legacy
 * provider, and loading that provider would change every OpenSSL user in
 * the process; this file keeps the weak digest contained instead.
 * Never use it for anything but avec_secret_hash(AVEC_CRED_PEAP).
 */
#include <stdint.h>
#include <string.h>

#include "avec/secret.h"

#define ROTL(x, n)	(((x) << (n)) | ((x) >> (32 - (n))))
#define F(x, y, z)	(((x) & (y)) | (~(x) & (z)))
#define G(x, y, z)	(((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z)	((x) ^ (y) ^ (z))

static void
md4_block(uint32_t st[4], const unsigned char blk[64])
{
	static const int r2[16] = { 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 };
	static const int r3[16] = { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 };
	static const int s1[4] = { 3, 7, 11, 19 }, s2[4] = { 3, 5, 9, 13 }, s3[4] = { 3, 9, 11, 15 };
	uint32_t x[16], a = st[0], b = st[1], c = st[2], d = st[3], t;
	int i;

	for (i = 0; i < 16; i++)
		x[i] = (uint32_t)blk[4 * i] | (uint32_t)blk[4 * i + 1] << 8 |
		    (uint32_t)blk[4 * i + 2] << 16 | (uint32_t)blk[4 * i + 3] << 24;
	for (i = 0; i < 16; i++) {
		t = a + F(b, c, d) + x[i];
		a = d; d = c; c = b; b = ROTL(t, s1[i % 4]);
	}
	for (i = 0; i < 16; i++) {
		t = a + G(b, c, d) + x[r2[i]] + 0x5a827999u;
		a = d; d = c; c = b; b = ROTL(t, s2[i % 4]);
	}
	for (i = 0; i < 16; i++) {
		t = a + H(b, c, d) + x[r3[i]] + 0x6ed9eba1u;
		a = d; d = c; c = b; b = ROTL(t, s3[i % 4]);
	}
	st[0] += a; st[1] += b; st[2] += c; st[3] += d;
}

void
avec_md4(const void *data, size_t len, unsigned char out[16])
{
	uint32_t st[4] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u };
	const unsigned char *p = data;
	unsigned char tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, pad, i;

	for (; len >= 64; p += 64, len -= 64)
		md4_block(st, p);
	rest = len;
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	pad = rest < 56 ? 64 : 128;
	memset(tail + rest + 1, 0, pad - rest - 1);
	for (i = 0; i < 8; i++)
		tail[pad - 8 + i] = (unsigned char)(bits >> (8 * i));
	md4_block(st, tail);
	if (pad == 128)
		md4_block(st, tail + 64);
	for (i = 0; i < 16; i++)
		out[i] = (unsigned char)(st[i / 4] >> (8 * (i % 4)));
	avec_secret_wipe(tail, sizeof(tail));
}
