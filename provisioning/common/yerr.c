/*
 * yerr.c - the error list of yerr.h.
 *
 * It owns the messages until yerr_finish() hands them over; it never
 * prints.  Callers must not put a secret in a message: the list keeps
 * what it is given.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "yerr.h"

/* Record "NAME:LINE:COL: [PATH: ]TEXT" (@path NULL or "": none). */
static void
add(struct yerr *e, size_t line, size_t col, const char *path,
    const char *text)
{
	bool p = path != NULL && path[0] != '\0';
	struct yerr_item *it;
	char *msg = NULL;

	if (asprintf(&msg, "%s:%zu:%zu: %s%s%s", e->name, line + 1, col + 1,
		     p ? path : "", p ? ": " : "", text) < 0) {
		e->oom = true;
		return;
	}
	if (e->n == e->cap) {
		unsigned cap = e->cap ? e->cap * 2 : 8;

		it = realloc(e->item, cap * sizeof(*it));
		if (it == NULL) {
			free(msg);
			e->oom = true;
			return;
		}
		e->item = it;
		e->cap = cap;
	}
	it = &e->item[e->n];
	it->line = line;
	it->col = col;
	it->seq = e->n++;
	it->msg = msg;
}

/* Format @fmt once and record it at @line, @col, after "@path: " if any. */
static void __attribute__((format(printf, 5, 0)))
vadd(struct yerr *e, size_t line, size_t col, const char *path,
     const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0) {
		e->oom = true;
		return;
	}
	add(e, line, col, path, text);
	free(text);
}

void
yerr_at(struct yerr *e, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(e, line, col, NULL, fmt, ap);
	va_end(ap);
}

void
yerr_node(struct yerr *e, const yaml_node_t *n, const char *path,
	  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd(e, n->start_mark.line, n->start_mark.column, path, fmt, ap);
	va_end(ap);
}

static int
cmp(const void *a, const void *b)
{
	const struct yerr_item *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
yerr_finish(struct yerr *e, char ***msg, unsigned *n)
{
	unsigned i;
	int rc = -1;

	if (e->oom)
		yerr_at(e, 0, 0, "out of memory");
	*msg = NULL;
	*n = 0;
	if (e->n == 0) {
		rc = 0;
	} else {
		qsort(e->item, e->n, sizeof(e->item[0]), cmp);
		if ((*msg = calloc(e->n, sizeof(char *))) == NULL) {
			for (i = 0; i < e->n; i++)
				free(e->item[i].msg);
		} else {
			for (i = 0; i < e->n; i++)
				(*msg)[i] = e->item[i].msg;
			*n = e->n;
		}
	}
	free(e->item);
	e->item = NULL;
	e->n = e->cap = 0;
	return rc;
}

void
yerr_strings_free(char ***msg, unsigned *n)
{
	unsigned i;

	if (*msg != NULL)
		for (i = 0; i < *n; i++)
			free((*msg)[i]);
	free(*msg);
	*msg = NULL;
	*n = 0;
}
