/*
 * text.c - terminal-safe copies of free text.
 *
 * Text is checked by lib/avec/ident.h (avec_utf8_char, the one UTF-8
 * decoder); this file only makes stored text safe to show: anything
 * avec_utf8_char() refuses becomes '?'.  It allocates nothing.
 */
#include <stdint.h>
#include <string.h>

#include "avec/ident.h"
#include "text.h"

char *
avec_text_safe(const char *in, char *out, size_t outlen)
{
	size_t i = 0, o = 0, n;

	if (outlen == 0)
		return out;
	while (in[i] != '\0') {
		n = avec_utf8_char(in + i);
		if (n == 0) {
			if (o + 1 >= outlen)
				break;
			out[o++] = '?';
			i++;
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
