/*
 * school_unit.h - what the school profile's suites share
 * (check_school.c, check_school_net.c, check_render_acme.c): a parse's
 * messages and a rendered set's files, looked up.
 */
#ifndef AVEC_SCHOOL_UNIT_H
#define AVEC_SCHOOL_UNIT_H

#include <stdbool.h>

#include "school/render.h"
#include "school/school.h"

/* Does any of @e's messages contain @needle? */
bool has(const struct school_errors *e, const char *needle);
/* File @path of @set, or NULL; the set keeps it. */
const struct render_file *file_of(const struct render_set *set,
				  const char *path);
/* Is file @path in @set, holding @text (NULL: anything)?  The file's
 * data need not be NUL-terminated. */
bool contains(const struct render_set *set, const char *path,
	      const char *text);

#endif
