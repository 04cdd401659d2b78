/*
 * netval.c - the values of the school profile's network and management
 * keys: addresses with a prefix (parsed, compared, printed), durations,
 * walled garden names and OpenSSH public keys.
 *
 * This file owns what makes such a value acceptable; school.c owns where
 * it stands in the profile and the message around the reason.  It reads
 * no file and keeps nothing: every function works on its arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "avec/ident.h"
#include "school/netval.h"

/* ---- addresses ---- */

int
school_prefix_parse(const char *s, int family, bool need_len,
		    struct school_prefix *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max;
	char *end;
	long bits;

	memset(out, 0, sizeof(*out));
	if (hl == 0 || hl >= sizeof(host) || (need_len && slash == NULL))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (family != AF_INET6 && inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (family != AF_INET &&
		 inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -1;
	max = out->family == AF_INET ? 32 : 128;
	out->len = max;
	if (slash == NULL)
		return 0;
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 ||
	    bits < 0 || bits > (long)max) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->len = (unsigned)bits;
	return 0;
}

/* The byte @i of the mask of a prefix of length @len. */
static unsigned char
mask_byte(unsigned len, unsigned i)
{
	if (len >= (i + 1) * 8)
		return 0xff;
	if (len <= i * 8)
		return 0;
	return (unsigned char)(0xff << (8 - (len - i * 8)));
}

static unsigned
addr_bytes(const struct school_prefix *p)
{
	return p->family == AF_INET ? 4 : 16;
}

bool
school_prefix_host_bits(const struct school_prefix *p)
{
	unsigned i;

	for (i = 0; i < addr_bytes(p); i++)
		if (p->addr[i] & (unsigned char)~mask_byte(p->len, i))
			return true;
	return false;
}

struct school_prefix
school_prefix_net(const struct school_prefix *p)
{
	struct school_prefix n = *p;
	unsigned i;

	for (i = 0; i < addr_bytes(p); i++)
		n.addr[i] &= mask_byte(p->len, i);
	return n;
}

/* Do @a and @b agree on their first @len bits? */
static bool
same_bits(const struct school_prefix *a, const struct school_prefix *b,
	  unsigned len)
{
	unsigned i;

	for (i = 0; i < addr_bytes(a); i++)
		if ((a->addr[i] ^ b->addr[i]) & mask_byte(len, i))
			return false;
	return true;
}

bool
school_prefix_overlap(const struct school_prefix *a,
		      const struct school_prefix *b)
{
	if (a->family == 0 || a->family != b->family)
		return false;
	return same_bits(a, b, a->len < b->len ? a->len : b->len);
}

bool
school_prefix_contains(const struct school_prefix *net,
		       const struct school_prefix *addr)
{
	if (net->family == 0 || net->family != addr->family)
		return false;
	return same_bits(net, addr, net->len);
}

char *
school_prefix_str(const struct school_prefix *p, bool with_len,
		  char out[SCHOOL_PREFIX_STRLEN])
{
	char a[INET6_ADDRSTRLEN];

	out[0] = '\0';
	if (p->family == 0 ||
	    inet_ntop(p->family, p->addr, a, sizeof(a)) == NULL)
		return out;
	if (with_len)
		snprintf(out, SCHOOL_PREFIX_STRLEN, "%s/%u", a, p->len);
	else
		snprintf(out, SCHOOL_PREFIX_STRLEN, "%s", a);
	return out;
}

struct school_prefix
school_prefix_add4(const struct school_prefix *p, long delta)
{
	struct school_prefix r = *p;
	uint32_t v;

	v = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
	    (uint32_t)p->addr[2] << 8 | p->addr[3];
	v = (uint32_t)((int64_t)v + delta);
	r.addr[0] = (unsigned char)(v >> 24);
	r.addr[1] = (unsigned char)(v >> 16);
	r.addr[2] = (unsigned char)(v >> 8);
	r.addr[3] = (unsigned char)v;
	return r;
}

/* ---- durations and names ---- */

int
school_duration_parse(const char *s, unsigned *out)
{
	unsigned long v, unit;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end[0] == '\0' || end[1] != '\0' || v == 0 ||
	    v > 1000000)
		return -1;
	switch (end[0]) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -1;
	}
	if (v > 100u * 86400u / unit)
		return -1;
	*out = (unsigned)(v * unit);
	return 0;
}

bool
school_garden_name_ok(const char *s)
{
	return avec_dns_name_valid(s) && strchr(s, '.') != NULL &&
	       strlen(s) <= 253;
}

/* ---- OpenSSH public keys ---- */

/* The next SSH wire string of the blob at *@p (@end): 0, or -1. */
static int
wire_string(const unsigned char **p, const unsigned char *end,
	    const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (end - *p < 4)
		return -1;
	n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	    (uint32_t)(*p)[2] << 8 | (*p)[3];
	*p += 4;
	if ((size_t)(end - *p) < n)
		return -1;
	*s = *p;
	*len = n;
	*p += n;
	return 0;
}

/* Bits of the positive mpint @m of @len bytes. */
static unsigned
mpint_bits(const unsigned char *m, size_t len)
{
	unsigned bits;

	while (len > 0 && m[0] == 0) {
		m++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (unsigned)(len * 8);
	for (unsigned char top = m[0]; !(top & 0x80); top <<= 1)
		bits--;
	return bits;
}

/* Is the decoded key @blob (@len bytes) one of type @type?  Sets @why. */
static const char *
key_blob_bad(const char *type, const unsigned char *blob, size_t len,
	     char *why, size_t wlen)
{
	const unsigned char *p = blob, *end = blob + len, *a, *b;
	size_t al, bl;

	if (wire_string(&p, end, &a, &al) < 0 || al != strlen(type) ||
	    memcmp(a, type, al) != 0) {
		snprintf(why, wlen, "its data is not an %s key", type);
		return why;
	}
	if (wire_string(&p, end, &a, &al) < 0)
		goto short_key;
	if (strcmp(type, "ssh-ed25519") == 0) {
		if (al != 32)
			goto short_key;
	} else if (strncmp(type, "ecdsa-sha2-", 11) == 0) {
		static const size_t point[] = { 65, 97, 133 };
		size_t i = strcmp(type + 11, "nistp256") == 0 ? 0 :
			   strcmp(type + 11, "nistp384") == 0 ? 1 : 2;

		if (al != strlen(type + 11) || memcmp(a, type + 11, al) != 0 ||
		    wire_string(&p, end, &b, &bl) < 0 || bl != point[i] ||
		    b[0] != 4)
			goto short_key;
	} else {
		unsigned bits;

		/* ssh-rsa: e, then n */
		if (wire_string(&p, end, &b, &bl) < 0)
			goto short_key;
		bits = mpint_bits(b, bl);
		if (bits < 3072) {
			snprintf(why, wlen, "an ssh-rsa key of %u bits (at "
				 "least 3072)", bits);
			return why;
		}
	}
	if (p != end)
		goto short_key;
	return NULL;
short_key:
	snprintf(why, wlen, "its data is not a whole %s key", type);
	return why;
}

const char *
school_ssh_key_bad(const char *line, char *why, size_t wlen)
{
	static const char *const types[] = {
		"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "ssh-rsa", NULL,
	};
	const char *sp, *b64, *p;
	unsigned char *blob;
	size_t tl, bl, i, pad = 0;
	int n;

	if (strlen(line) > SCHOOL_SSH_KEY_MAX) {
		snprintf(why, wlen, "longer than %d bytes", SCHOOL_SSH_KEY_MAX);
		return why;
	}
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(why, wlen, "a control character (one key "
				 "a line)");
			return why;
		}
	sp = strchr(line, ' ');
	tl = sp ? (size_t)(sp - line) : strlen(line);
	for (i = 0; types[i] != NULL; i++)
		if (strlen(types[i]) == tl && memcmp(types[i], line, tl) == 0)
			break;
	if (types[i] == NULL) {
		snprintf(why, wlen, "expected TYPE BASE64 [COMMENT], TYPE "
			 "ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa "
			 "(no options)");
		return why;
	}
	b64 = sp ? sp + 1 : "";
	bl = strcspn(b64, " ");
	if (bl >= 4)
		pad = (b64[bl - 1] == '=') + (b64[bl - 1] == '=' &&
					      b64[bl - 2] == '=');
	if (bl == 0 || bl % 4 != 0 ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789+/") != bl - pad) {
		snprintf(why, wlen, "the key's data is not base64");
		return why;
	}
	if ((blob = malloc(bl)) == NULL) {
		snprintf(why, wlen, "out of memory");
		return why;
	}
	n = EVP_DecodeBlock(blob, (const unsigned char *)b64, (int)bl);
	if (n < (int)pad) {
		free(blob);
		snprintf(why, wlen, "the key's data is not base64");
		return why;
	}
	p = key_blob_bad(types[i], blob, (size_t)n - pad, why, wlen);
	free(blob);
	return p;
}
