/*
 * ident.c - checking identifiers that arrive from outside, and making ours.
 *
 * A RADIUS User-Name, a CAS principal or a device name is attacker-chosen
 * until proven otherwise.  These functions accept exactly the forms AVEC
 * defines and refuse the rest: they never repair, trim or truncate a name,
 * since a repaired name could collide with someone else's.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "avec/ident.h"
#include "avec/model.h"

#define USERNAME_PREFIX		"dv-"
#define USERNAME_RANDOM		16	/* base32 characters = 80 bits */

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static int
is_b32(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7');
}

bool
avec_username_valid(const char *s, size_t len)
{
	size_t i, pre = sizeof(USERNAME_PREFIX) - 1;

	if (s == NULL || len != pre + USERNAME_RANDOM)
		return false;
	if (memcmp(s, USERNAME_PREFIX, pre) != 0)
		return false;
	for (i = pre; i < len; i++)
		if (!is_b32((unsigned char)s[i]))
			return false;
	return true;
}

int
avec_username_generate(char *out, size_t outlen)
{
	unsigned char rnd[USERNAME_RANDOM];
	size_t i, pre = sizeof(USERNAME_PREFIX) - 1;

	if (outlen < pre + USERNAME_RANDOM + 1)
		return -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	memcpy(out, USERNAME_PREFIX, pre);
	for (i = 0; i < USERNAME_RANDOM; i++)
		out[pre + i] = b32[rnd[i] & 31];
	out[pre + USERNAME_RANDOM] = '\0';
	return 0;
}

bool
avec_principal_valid(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n > AVEC_PRINCIPAL_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!(isascii(c) && isalnum(c)) && !strchr("._@$:-", c))
			return false;
	}
	return true;
}

size_t
avec_utf8_char(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned cp;
	size_t n, i;

	if (s[0] < 0x80)
		return s[0] < 0x20 || s[0] == 0x7f ? 0 : 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2; cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3; cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4; cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond Unicode, C1 controls */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0) ||
	    cp == 0xfffe || cp == 0xffff)	/* not XML 1.0 characters */
		return 0;
	return n;
}

bool
avec_text_valid(const char *s, size_t max)
{
	size_t len, i = 0, n;

	if (s == NULL)
		return false;
	len = strlen(s);
	if (len == 0 || len > max)
		return false;
	while (i < len) {
		if ((n = avec_utf8_char(s + i)) == 0)
			return false;
		i += n;
	}
	return true;
}

bool
avec_device_name_valid(const char *s)
{
	/* printable text, and not only blanks */
	return avec_text_valid(s, AVEC_DEVICE_NAME_MAX) &&
	    strspn(s, " ") != strlen(s);
}

bool
avec_uai_valid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 8)
		return false;
	for (i = 0; i < 7; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[7] >= 'A' && s[7] <= 'Z';
}

bool
avec_dns_name_valid(const char *s)
{
	size_t len, label = 0, i;

	if (s == NULL)
		return false;
	len = strlen(s);
	if (len == 0 || len > AVEC_DNS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return false;
		if ((c == '-' && label == 0) || ++label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
avec_serial_normalize(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	const char *p;

	if (in == NULL)
		return -1;
	for (p = in; *p; p++) {
		if (*p == ':')
			continue;
		if (hexval((unsigned char)*p) < 0 || n >= AVEC_SERIAL_MAX ||
		    n + 1 >= outlen)
			return -1;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	if (n < 2 || n % 2)
		return -1;
	out[n] = '\0';
	return 0;
}

int
avec_mac_normalize(const char *in, char out[AVEC_MAC_STRLEN + 1])
{
	int digits[12];
	size_t n = 0, len, i;
	char sep = 0;

	if (in == NULL)
		return -1;
	len = strlen(in);
	if (len == 17) {		/* aa:bb:cc:dd:ee:ff or aa-bb-... */
		sep = in[2];
		if (sep != ':' && sep != '-')
			return -1;
		for (i = 0; i < len; i++) {
			if (i % 3 == 2) {
				if (in[i] != sep)
					return -1;
				continue;
			}
			if ((digits[n++] = hexval((unsigned char)in[i])) < 0)
				return -1;
		}
	} else if (len == 14) {		/* aabb.ccdd.eeff */
		for (i = 0; i < len; i++) {
			if (i % 5 == 4) {
				if (in[i] != '.')
					return -1;
				continue;
			}
			if ((digits[n++] = hexval((unsigned char)in[i])) < 0)
				return -1;
		}
	} else if (len == 12) {		/* aabbccddeeff */
		for (i = 0; i < len; i++)
			if ((digits[n++] = hexval((unsigned char)in[i])) < 0)
				return -1;
	} else {
		return -1;
	}
	for (i = 0; i < 6; i++) {
		out[i * 3] = "0123456789abcdef"[digits[2 * i]];
		out[i * 3 + 1] = "0123456789abcdef"[digits[2 * i + 1]];
		out[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
	return 0;
}

bool
avec_mac_is_station(const char *mac)
{
	/* the low bit of the first octet is the group bit */
	return strlen(mac) == AVEC_MAC_STRLEN &&
	    (strtoul(mac, NULL, 16) & 1) == 0 &&
	    strcmp(mac, "00:00:00:00:00:00") != 0;
}
