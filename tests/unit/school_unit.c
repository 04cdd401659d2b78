/*
 * school_unit.c - the school suites' shared look-ups (school_unit.h).
 */
#include <string.h>

#include "school_unit.h"

bool
has(const struct school_errors *e, const char *needle)
{
	unsigned i;

	for (i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle) != NULL)
			return true;
	return false;
}

const struct render_file *
file_of(const struct render_set *set, const char *path)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->f[i].path, path) == 0)
			return &set->f[i];
	return NULL;
}

bool
contains(const struct render_set *set, const char *path, const char *text)
{
	const struct render_file *f = file_of(set, path);

	return f != NULL && (text == NULL ||
			     memmem(f->data, f->len, text, strlen(text)) != NULL);
}
