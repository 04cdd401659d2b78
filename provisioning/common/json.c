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
 * avecctl wipes), never in a copy of ours.
 */
#include <inttypes.h>
#include <string.h>

#include "avec/ident.h"
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

void
avec_json_write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	fputc('"', f);
	while (*s != '\0') {
		switch (*s) {
		case '"':
			fputs("\\\"", f);
			s++;
			continue;
		case '\\':
			fputs("\\\\", f);
			s++;
			continue;
		case '\n':
			fputs("\\n", f);
			s++;
			continue;
		case '\r':
			fputs("\\r", f);
			s++;
			continue;
		case '\t':
			fputs("\\t", f);
			s++;
			continue;
		default:
			break;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\u%04x", *s);
			s++;
			continue;
		}
		n = avec_utf8_char((const char *)s);
		if (n == 0) {
			fputs("\\ufffd", f);
			s++;
			continue;
		}
		fwrite(s, 1, n, f);
		s += n;
	}
	fputc('"', f);
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

int
avec_json_finish(struct avec_json *j)
{
	fputc('\n', j->f);
	if (fflush(j->f) != 0 || ferror(j->f))
		return -1;
	return 0;
}
