/*
 * fuzz_admin_args.c - libFuzzer harness for the admin API's form:
 * avecd_admin_args() on an arbitrary POST body, as both the HTTPS admin
 * door and the engine's local socket call it.
 *
 * It owns the invariants the splitter promises whatever the body: it
 * returns at most @max + 1 (too many); it fills no slot past @max; every
 * argument it hands out is a NUL-terminated string lying wholly inside the
 * body's buffer (it splits and decodes in place, never copies).  The
 * first input byte picks @max (1 to AVECD_ADMIN_ARGS) so the "too many"
 * edge is reached with small bodies.  It must keep no state between
 * inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avecd/avecd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* msg.c, linked beside admin.c, reads it; avecd's main() owns it */
volatile int avecd_stop;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[AVECD_ADMIN_ARGS + 2];
	char *sentinel = (char *)&args;	/* any address not in the body */
	char *body, *end;
	unsigned max, n, i;

	if (size == 0)
		return 0;
	max = 1 + data[0] % AVECD_ADMIN_ARGS;
	data++;
	size--;
	/* the body as the portal holds it: its bytes, then a NUL */
	if ((body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	end = body + strlen(body);	/* a NUL inside ends the form */
	for (i = 0; i < AVECD_ADMIN_ARGS + 2; i++)
		args[i] = sentinel;

	n = avecd_admin_args(body, args, max);
	if (n > max + 1)
		abort();
	for (i = max; i < AVECD_ADMIN_ARGS + 2; i++)
		if (args[i] != sentinel)
			abort();	/* a slot past max was written */
	for (i = 0; i < (n > max ? max : n); i++) {
		if (args[i] < body || args[i] > end)
			abort();
		if (memchr(args[i], '\0', (size_t)(end - args[i]) + 1) == NULL)
			abort();
	}
	free(body);

	/* the same body against the real limit: the same count, or more */
	if ((body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';
	i = avecd_admin_args(body, args, AVECD_ADMIN_ARGS);
	if (i > AVECD_ADMIN_ARGS + 1 || (n <= max && i != n) ||
	    (n > max && i <= max))
		abort();
	free(body);
	/* NULL, as for a POST without a body */
	if (avecd_admin_args(NULL, args, max) != 0)
		abort();
	return 0;
}
