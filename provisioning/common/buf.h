/*
 * buf.h - a growable byte buffer for AVEC's programs: pages, profiles,
 * messages between avecd's processes.
 *
 * A buffer starts zeroed (`struct avec_buf b = { 0 };`) and grows on
 * demand; its data is always NUL-terminated one byte past len, so text can
 * be handed to string functions.  An allocation failure is sticky: every
 * later append is ignored and avec_buf_failed() says so, which lets a
 * caller build a whole document and check once at the end.  Buffers may
 * hold secrets (profiles embed credentials): avec_buf_free() wipes before
 * freeing, and growth wipes the old block.
 */
#ifndef AVEC_BUF_H
#define AVEC_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest buffer allowed: a guard against runaway output. */
#define AVEC_BUF_MAX	(16u << 20)

struct avec_buf {
	char *data;		/* owned; NULL until the first append */
	size_t len;
	size_t cap;
	bool failed;		/* an allocation failed or AVEC_BUF_MAX hit */
};

void avec_buf_append(struct avec_buf *b, const void *p, size_t n);
void avec_buf_puts(struct avec_buf *b, const char *s);
void avec_buf_printf(struct avec_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void avec_buf_vprintf(struct avec_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Base64 (RFC 4648, no line breaks) of @n bytes at @p. */
void avec_buf_base64(struct avec_buf *b, const void *p, size_t n);
/* @s with & < > " ' escaped for HTML and XML text and attribute values. */
void avec_buf_xml(struct avec_buf *b, const char *s);
/* Empty the buffer, keeping its memory (wiped). */
void avec_buf_reset(struct avec_buf *b);
/* Take the data: the caller frees it; the buffer is left empty. */
char *avec_buf_steal(struct avec_buf *b, size_t *len);
/* True if an append was lost. */
bool avec_buf_failed(const struct avec_buf *b);
/* Wipe and free; the buffer is left zeroed and reusable. */
void avec_buf_free(struct avec_buf *b);

#endif
