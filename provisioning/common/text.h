/*
 * text.h - checking and showing free text typed by people (display names,
 * revocation reasons) in AVEC's programs.
 *
 * Identifiers (principals, usernames, device names) are checked by
 * lib/avec/ident.h; this is for the few free-text fields it does not
 * cover, and for making any stored string safe to print on a terminal.
 */
#ifndef AVEC_TEXT_H
#define AVEC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * avec_utf8_seq - length (1..4) of the valid UTF-8 sequence at @s, or 0 if
 * the bytes there are not one (overlong, surrogate, beyond U+10FFFF,
 * truncated).  @s must be NUL-terminated.
 */
size_t avec_utf8_seq(const char *s);

/*
 * avec_text_valid - true if @s is 1..@max bytes of valid UTF-8 with no
 * control character (C0, DEL or C1).
 */
bool avec_text_valid(const char *s, size_t max);

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
