/*
 * buf.c - the growable buffer of buf.h.
 *
 * It owns one heap block per buffer and nothing else.  Growth doubles the
 * capacity, copies, and wipes the old block before freeing it, because
 * buffers carry profiles with device secrets in them.  It never logs and
 * never aborts: failure is recorded in the buffer for the caller to check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/secret.h"
#include "buf.h"

static bool
grow(struct avec_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return false;
	if (extra > AVEC_BUF_MAX || b->len + extra + 1 > AVEC_BUF_MAX) {
		b->failed = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if ((p = malloc(cap)) == NULL) {
		b->failed = true;
		return false;
	}
	if (b->data != NULL) {
		memcpy(p, b->data, b->len);
		avec_secret_wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return true;
}

void
avec_buf_append(struct avec_buf *b, const void *p, size_t n)
{
	if (!grow(b, n))
		return;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
avec_buf_puts(struct avec_buf *b, const char *s)
{
	avec_buf_append(b, s, strlen(s));
}

void
avec_buf_vprintf(struct avec_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!grow(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
avec_buf_printf(struct avec_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	avec_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
avec_buf_base64(struct avec_buf *b, const void *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	size_t i;
	char q[4];

	if (n > AVEC_BUF_MAX || !grow(b, (n + 2) / 3 * 4))
		return;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		avec_buf_append(b, q, 4);
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		q[3] = '=';
		avec_buf_append(b, q, 4);
	}
}

void
avec_buf_xml(struct avec_buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		avec_buf_append(b, run, (size_t)(s - run));
		avec_buf_puts(b, rep);
		run = s + 1;
	}
	avec_buf_append(b, run, (size_t)(s - run));
}

void
avec_buf_reset(struct avec_buf *b)
{
	if (b->data != NULL) {
		avec_secret_wipe(b->data, b->cap);
		b->data[0] = '\0';
	}
	b->len = 0;
	b->failed = false;
}

char *
avec_buf_steal(struct avec_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL && !b->failed)
		p = calloc(1, 1);
	if (len != NULL)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
	return p;
}

bool
avec_buf_failed(const struct avec_buf *b)
{
	return b->failed;
}

void
avec_buf_free(struct avec_buf *b)
{
	if (b->data != NULL) {
		avec_secret_wipe(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}
