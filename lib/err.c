/*
 * err.c - filling a struct avec_err.
 *
 * The only place that formats an error for a caller.  It never allocates,
 * so it works when memory is what failed.
 */
#include <stdarg.h>
#include <stdio.h>

#include "avec/err.h"

int
avec_err_set(struct avec_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
