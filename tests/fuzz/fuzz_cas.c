/*
 * fuzz_cas.c - libFuzzer harness for the CAS validation answer: the bytes a
 * CAS server (or whoever sits between it and the portal) sends back to
 * avecd, through avec_cas_parse() and then avec_cas_identify() with the
 * regional ENT's attribute map and one fixed school.
 *
 * It owns the invariants the parser promises whatever the input: every
 * string it hands out is NUL-terminated within its array, the principal of
 * an admitted identity passes avec_principal_valid(), counts stay within
 * their bounds.  It must never touch the network (avec_cas_validate is not
 * called) nor keep state between inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avec/ident.h"
#include "cas/cas.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UAI "0290009C"

static struct avec_cas_map map;

/* abort() unless @s holds a NUL within its @n bytes */
static void
bounded(const char *s, size_t n)
{
	if (memchr(s, '\0', n) == NULL)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct avec_err err = { "" };

	(void)argc;
	(void)argv;
	if (avec_cas_global_init(&err) < 0)
		abort();
	avec_cas_map_default(&map);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct avec_cas_response r;
	struct avec_cas_identity id;
	struct avec_err err = { "" };
	unsigned i, j;
	int v;

	memset(&r, 0, sizeof(r));
	if (avec_cas_parse((const char *)data, size, &r, &err) < 0) {
		bounded(err.msg, sizeof(err.msg));
		avec_cas_response_clear(&r);
		return 0;
	}
	bounded(r.code, sizeof(r.code));
	bounded(r.message, sizeof(r.message));
	bounded(r.user, sizeof(r.user));
	if (r.nattrs > AVEC_CAS_ATTRS_MAX)
		abort();
	for (i = 0; i < r.nattrs; i++) {
		if (r.attrs[i].name == NULL ||
		    r.attrs[i].nvalues > AVEC_CAS_VALUES_MAX)
			abort();
		if (avec_cas_attr_get(&r, r.attrs[i].name) == NULL)
			abort();
		for (j = 0; j < r.attrs[i].nvalues; j++)
			if (strlen(r.attrs[i].values[j]) > AVEC_CAS_VALUE_MAX)
				abort();
	}

	memset(&id, 0, sizeof(id));
	v = avec_cas_identify(&r, &map, UAI, &id, &err);
	if (v >= 0) {
		if (!r.success || !avec_principal_valid(id.principal))
			abort();
		if (v > AVEC_CAS_NO_SCHOOL || id.ngroups > AVEC_CAS_GROUPS_MAX)
			abort();
		bounded(id.join_key, sizeof(id.join_key));
		bounded(id.display_name, sizeof(id.display_name));
		for (i = 0; i < id.ngroups; i++) {
			bounded(id.groups[i], sizeof(id.groups[i]));
			if (strncmp(id.groups[i], UAI "$", 9) != 0)
				abort();
		}
	} else {
		bounded(err.msg, sizeof(err.msg));
	}
	avec_cas_response_clear(&r);
	return 0;
}
