/*
 * text.h - checking and showing free text typed by people (display names,
 * revocation reasons) in AVEC's programs.
 *
 * Checking text (identifiers, display names, reasons) is lib/avec/ident.h's
 * job (avec_text_valid); this is for showing any stored string safely.
 */
#ifndef AVEC_TEXT_H
#define AVEC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * avec_text_safe - copy @in into @out (@outlen bytes, always terminated),
 * replacing control characters and invalid UTF-8 by '?', so that stored
 * text can never drive the terminal.  Truncates on a character boundary.
 * Returns: @out.
 */
char *avec_text_safe(const char *in, char *out, size_t outlen);

/* Display width of @s: its number of UTF-8 characters. */
size_t avec_text_width(const char *s);

#endif
