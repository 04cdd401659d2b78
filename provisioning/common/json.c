/*
 * json.c - a small streaming JSON writer.
 *
 * Owns the JSON syntax of everything avecctl prints with --json: commas,
 * nesting, indentation and string escaping.  It must never emit invalid
 * JSON, whatever bytes it is given: quotes, backslashes and control
 * characters are escaped, and invalid UTF-8 (overlong forms, surrogates,
 * truncated sequences, code points above U+10FFFF; see text.c) becomes
 * U+FFFD.  It must never buffer: everything goes straight to the caller's
 * stream, so a secret written here lives only in stdio's buffer (which
 * avecctl wipes), never in a copy of ours.  The same escaper writes into a
 * caller's avec_buf for the documents built in memory (device profiles),
 * so there is one JSON string syntax in AVEC, not two.
 */
#include <inttypes.h>
#include <string.h>

#include "avec/ident.h"
#include "buf.h"
#include "json.h"
#include "text.h"

void
avec_json_init(struct avec_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->first[0] = true;
}

static void
indent(struct avec_json *j)
{
	int i;

	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/*
 * escape - the one JSON string escaper: @str as a string literal (quotes
 * included), handed to @put in pieces.  The stdio writer and the buffer
 * writer (profiles) differ only in their @put.
 */
static void
escape(const char *str, void (*put)(void *ctx, const char *p, size_t n),
       void *ctx)
{
	const unsigned char *s = (const unsigned char *)str;
	char u[8];
	size_t n;

	put(ctx, "\"", 1);
	while (*s != '\0') {
		const char *rep = NULL;

		switch (*s) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\r': rep = "\\r"; break;
		case '\t': rep = "\\t"; break;
		default: break;
		}
		if (rep != NULL) {
			put(ctx, rep, 2);
			s++;
			continue;
		}
		if (*s < 0x20 || *s == 0x7f) {
			snprintf(u, sizeof(u), "\\u%04x", *s);
			put(ctx, u, 6);
			s++;
			continue;
		}
		n = avec_utf8_char((const char *)s);
		if (n == 0) {
			put(ctx, "\\ufffd", 6);
			s++;
			continue;
		}
		put(ctx, (const char *)s, n);
		s += n;
	}
	put(ctx, "\"", 1);
}

static void
put_file(void *ctx, const char *p, size_t n)
{
	fwrite(p, 1, n, ctx);
}

static void
put_buf(void *ctx, const char *p, size_t n)
{
	avec_buf_append(ctx, p, n);
}

void
avec_json_write_string(FILE *f, const char *str)
{
	escape(str, put_file, f);
}

void
avec_json_buf_string(struct avec_buf *b, const char *str)
{
	escape(str, put_buf, b);
}

/* Separator, newline, indentation and key before a new value. */
static void
member(struct avec_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->depth > 0) {
		fputc('\n', j->f);
		indent(j);
	}
	if (key != NULL) {
		avec_json_write_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void
open_container(struct avec_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	if (j->depth < AVEC_JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_container(struct avec_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc(c, j->f);
}

void
avec_json_obj_begin(struct avec_json *j, const char *key)
{
	open_container(j, key, '{');
}

void
avec_json_obj_end(struct avec_json *j)
{
	close_container(j, '}');
}

void
avec_json_arr_begin(struct avec_json *j, const char *key)
{
	open_container(j, key, '[');
}

void
avec_json_arr_end(struct avec_json *j)
{
	close_container(j, ']');
}

void
avec_json_str(struct avec_json *j, const char *key, const char *val)
{
	member(j, key);
	if (val == NULL)
		fputs("null", j->f);
	else
		avec_json_write_string(j->f, val);
}

void
avec_json_int(struct avec_json *j, const char *key, int64_t val)
{
	member(j, key);
	fprintf(j->f, "%" PRId64, val);
}

void
avec_json_bool(struct avec_json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void
avec_json_null(struct avec_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void
avec_json_time(struct avec_json *j, const char *key, int64_t t)
{
	if (t == 0)
		avec_json_null(j, key);
	else
		avec_json_int(j, key, t);
}

void
avec_json_id(struct avec_json *j, const char *key, int64_t id)
{
	avec_json_time(j, key, id);
}

int
avec_json_finish(struct avec_json *j)
{
	fputc('\n', j->f);
	if (fflush(j->f) != 0 || ferror(j->f))
		return -1;
	return 0;
}
