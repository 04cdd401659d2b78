/*
 * text.c - UTF-8 checks and terminal-safe copies of free text.
 *
 * Owns the one UTF-8 decoder of AVEC's programs (json.c uses it too).  It
 * must never accept what it cannot show: overlong forms, surrogates and
 * control characters are refused by avec_text_valid() and replaced by
 * avec_text_safe().  It allocates nothing.
 */
#include <stdint.h>
#include <string.h>

#include "text.h"

size_t
avec_utf8_seq(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* True if the character of @n bytes at @s is a control character. */
static bool
is_control(const unsigned char *s, size_t n)
{
	if (n == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	/* C1 controls U+0080..U+009F are encoded C2 80..C2 9F. */
	return n == 2 && s[0] == 0xc2 && s[1] < 0xa0;
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
		n = avec_utf8_seq(s + i);
		if (n == 0 || is_control((const unsigned char *)s + i, n))
			return false;
		i += n;
	}
	return true;
}

char *
avec_text_safe(const char *in, char *out, size_t outlen)
{
	size_t i = 0, o = 0, n;

	if (outlen == 0)
		return out;
	while (in[i] != '\0') {
		n = avec_utf8_seq(in + i);
		if (n == 0 || is_control((const unsigned char *)in + i, n)) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

size_t
avec_text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}
