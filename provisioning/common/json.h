/*
 * json.h - a small streaming JSON writer for AVEC's programs.
 *
 * One writer emits one document to a stdio stream as it is built: objects
 * and arrays are opened and closed explicitly, members are written with
 * their key, array elements with key NULL.  Strings are escaped per RFC
 * 8259; bytes that are not valid UTF-8 are written as U+FFFD, so the
 * output is always valid JSON whatever the store holds.  Output is
 * indented two spaces per level and ends with a newline.
 *
 * The writer owns no heap memory.  Nesting deeper than AVEC_JSON_DEPTH is a
 * programming error and is written flat rather than overflowing.
 */
#ifndef AVEC_JSON_H
#define AVEC_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define AVEC_JSON_DEPTH 16

struct avec_json {
	FILE *f;
	int depth;
	bool first[AVEC_JSON_DEPTH + 1];	/* no member yet at this level */
};

void avec_json_init(struct avec_json *j, FILE *f);
/* Containers: @key is the member name inside an object, NULL elsewhere. */
void avec_json_obj_begin(struct avec_json *j, const char *key);
void avec_json_obj_end(struct avec_json *j);
void avec_json_arr_begin(struct avec_json *j, const char *key);
void avec_json_arr_end(struct avec_json *j);
/* Scalars.  avec_json_str() writes null when @val is NULL. */
void avec_json_str(struct avec_json *j, const char *key, const char *val);
void avec_json_int(struct avec_json *j, const char *key, int64_t val);
void avec_json_bool(struct avec_json *j, const char *key, bool val);
void avec_json_null(struct avec_json *j, const char *key);
/* A time: the integer, or null when @t is 0 ("never", "no expiry"). */
void avec_json_time(struct avec_json *j, const char *key, int64_t t);
/* A row id: the integer, or null when @id is 0 (none). */
void avec_json_id(struct avec_json *j, const char *key, int64_t id);
/* Writes the final newline and flushes; returns 0, or -1 on a write error. */
int avec_json_finish(struct avec_json *j);

/* Write @s as a JSON string literal (with quotes) to @f. */
void avec_json_write_string(FILE *f, const char *s);
/* The same literal, escaped the same way, appended to @b. */
struct avec_buf;
void avec_json_buf_string(struct avec_buf *b, const char *s);

#endif
