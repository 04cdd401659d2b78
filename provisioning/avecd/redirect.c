/*
 * redirect.c - the one rule for where the portal may send a browser back
 * to when the target comes from the request (the language switch's
 * "next", and the link to it that every page carries).
 *
 * A target is accepted only as a plain local path: it starts with one
 * "/", is at most 200 bytes of printable ASCII from the characters a URL
 * path and query may hold (RFC 3986: letters, digits, -._~ !$&'()*+,;=
 * :@ /?#%), and has no "//" and no backslash anywhere.  Browsers drop tab,
 * CR and LF from a URL and read "\" as "/", so "/\t/evil.example" or
 * "/\evil.example" is "//evil.example", another site; each of these is
 * refused.  The same holds for every further percent-decoding of the
 * value (libmicrohttpd has decoded it once already): "/%2509/x" or
 * "/%2F/x" decode to what the rule refuses, so they are refused too, as
 * is any encoded control character, DEL or non-ASCII byte.  Whatever is
 * refused becomes "/", never an error page: the language switch still
 * works.  The file owns no state and allocates nothing.
 */
#include <stdbool.h>
#include <string.h>

#include "avecd.h"

#define LOCAL_PATH_MAX	200
#define DECODE_ROUNDS	4

/* Characters of a path and query (RFC 3986, pchar / "/" / "?" / "#"). */
static bool
url_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:@/?#%", c);
}

static int
hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * What a browser or a server could take as another host or a header
 * break, in one decoded form: not starting with "/", "//" or "\"
 * anywhere, a control character (C0, DEL) or any byte outside ASCII.
 */
static bool
dangerous(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] != '/')
		return true;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '\\' ||
		    (c == '/' && i + 1 < len && s[i + 1] == '/'))
			return true;
	}
	return false;
}

/* One round of percent-decoding of @s (@len bytes) into @out; returns the
 * decoded length, or -1 for a "%" not followed by two hex digits. */
static long
decode(const char *s, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hex((unsigned char)s[i + 1]);
			lo = hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[n++] = s[i];
		}
	}
	return (long)n;
}

const char *
avecd_local_path(const char *s)
{
	char a[LOCAL_PATH_MAX + 1], b[LOCAL_PATH_MAX + 1];
	size_t len, i;
	long n;
	unsigned round;

	if (s == NULL || (len = strlen(s)) > LOCAL_PATH_MAX)
		return "/";
	/* the value as it will be sent: a strict character set */
	if (dangerous(s, len))
		return "/";
	for (i = 0; i < len; i++)
		if (!url_char((unsigned char)s[i]))
			return "/";
	/* and whatever decoding it again and again would give */
	memcpy(a, s, len);
	for (round = 0; round < DECODE_ROUNDS; round++) {
		if (memchr(a, '%', len) == NULL)
			return s;
		if ((n = decode(a, len, b)) < 0 || dangerous(b, (size_t)n))
			return "/";
		len = (size_t)n;
		memcpy(a, b, len);
	}
	return memchr(a, '%', len) == NULL ? s : "/";
}
