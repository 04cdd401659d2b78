/*
 * cas_identity.c - what a CAS success means for AVEC at one school.
 *
 * It owns the mapping of released attributes (names configurable through
 * struct avec_cas_map) to a principal, a role, the school's class groups
 * ("UAI$class", spelled as the policy file and the ENT feed spell them),
 * a join key and a display name, and the verdict: admitted, no known
 * profile, another school, or no school released.
 *
 * It must never admit on a school it cannot read: a structure reference
 * counts only when it plainly names a UAI (the bare code, or a DN whose
 * first component is ENTStructureUAI=); anything else (a SIREN DN, an AAF
 * id) is ignored.  An attribute it maps that came as markup (a structured
 * value the parser skipped) refuses the identity: its meaning is unknown,
 * and guessing could admit or class someone wrongly.  Attributes it does
 * not map are not its business, whatever they held.  It takes no
 * decision on parents (the policy does) and copies nothing that failed
 * its validator.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "avec/ent.h"
#include "avec/ident.h"
#include "avec/policy.h"
#include "cas.h"

_Static_assert(AVEC_OV_TARGET_MAX <= AVEC_PRINCIPAL_MAX,
	       "a class group must fit avec_cas_identity.groups");
_Static_assert(AVEC_JOIN_KEY_MAX + 1 <= 129,
	       "a join key must fit avec_cas_identity.join_key");

void
avec_cas_map_default(struct avec_cas_map *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->role, sizeof(m->role), "ENTPersonProfils");
	snprintf(m->schools[0], sizeof(m->schools[0]), "ESCOUAI");
	snprintf(m->schools[1], sizeof(m->schools[1]), "ESCOUAICourant");
	snprintf(m->schools[2], sizeof(m->schools[2]), "ENTPersonStructRattach");
	snprintf(m->classes[0], sizeof(m->classes[0]), "isMemberOf");
	snprintf(m->classes[1], sizeof(m->classes[1]), "ENTEleveClasses");
	snprintf(m->join, sizeof(m->join), "ENTPersonJointure");
	snprintf(m->display, sizeof(m->display), "displayName");
}


/* Privilege order, most privileged first. */
static const enum avec_role rank[] = {
	AVEC_ROLE_TEACHER, AVEC_ROLE_STAFF, AVEC_ROLE_STUDENT, AVEC_ROLE_PARENT,
};

/* @s (up to @len bytes, or NUL) as an upper-case UAI into @out[9]. */
static bool
uai_of(const char *s, size_t len, char out[9])
{
	size_t i;

	if (len != 8)
		return false;
	for (i = 0; i < 8; i++)
		out[i] = (char)toupper((unsigned char)s[i]);
	out[8] = '\0';
	return avec_uai_valid(out);
}

/*
 * A structure reference that plainly names a school: the bare UAI, or a
 * DN starting "ENTStructureUAI=<UAI>".  @len bytes of @s.
 */
static bool
structure_uai(const char *s, size_t len, char out[9])
{
	static const char rdn[] = "ENTStructureUAI=";
	const char *end;

	if (uai_of(s, len, out))
		return true;
	if (len > sizeof(rdn) - 1 && strncasecmp(s, rdn, sizeof(rdn) - 1) == 0) {
		s += sizeof(rdn) - 1;
		len -= sizeof(rdn) - 1;
		end = memchr(s, ',', len);
		return uai_of(s, end != NULL ? (size_t)(end - s) : len, out);
	}
	return false;
}

static void
add_group(struct avec_cas_identity *id, const char *uai, const char *cls,
	  size_t clen)
{
	char g[AVEC_PRINCIPAL_MAX + 1];
	int n;
	unsigned i;

	if (clen == 0 || id->ngroups >= AVEC_CAS_GROUPS_MAX)
		return;
	n = snprintf(g, sizeof(g), "%s$%.*s", uai, (int)clen, cls);
	if (n < 0 || (size_t)n >= sizeof(g) ||
	    !avec_text_valid(g, AVEC_OV_TARGET_MAX))
		return;
	for (i = 0; i < id->ngroups; i++)
		if (strcmp(id->groups[i], g) == 0)
			return;
	memcpy(id->groups[id->ngroups++], g, (size_t)n + 1);
}

/* "esco:Etablissements:<NAME>_<UAI>:<level>:Eleves_<class>" */
static void
group_member_of(struct avec_cas_identity *id, const char *uai, const char *v)
{
	static const char pfx[] = "esco:Etablissements:";
	static const char eleves[] = "Eleves_";
	const char *seg, *colon, *last, *us;
	char u[9];

	if (strncmp(v, pfx, sizeof(pfx) - 1) != 0)
		return;
	seg = v + sizeof(pfx) - 1;
	if ((colon = strchr(seg, ':')) == NULL)
		return;
	if ((us = memrchr(seg, '_', (size_t)(colon - seg))) == NULL ||
	    !uai_of(us + 1, (size_t)(colon - us - 1), u) || strcmp(u, uai) != 0)
		return;
	last = strrchr(colon, ':');
	if (last == colon)		/* no level between school and class */
		return;
	last++;
	if (strncmp(last, eleves, sizeof(eleves) - 1) != 0)
		return;
	last += sizeof(eleves) - 1;
	add_group(id, uai, last, strlen(last));
}

/* "<structure>$<class>", the structure a UAI or a reference. */
static void
group_classes(struct avec_cas_identity *id, const char *uai, const char *v)
{
	const char *d = strchr(v, '$');
	char u[9];

	if (d == NULL || !structure_uai(v, (size_t)(d - v), u) ||
	    strcmp(u, uai) != 0)
		return;
	add_group(id, uai, d + 1, strlen(d + 1));
}

/* Copy printable UTF-8 @s into @dst[@size], cut on a character boundary. */
static void
copy_text(char *dst, size_t size, const char *s)
{
	size_t o = 0, k;

	while (*s != '\0' && (k = avec_utf8_char(s)) != 0 && o + k < size) {
		memcpy(dst + o, s, k);
		o += k;
		s += k;
	}
	dst[o] = '\0';
}

static const char *
first_value(const struct avec_cas_response *r, const char *name)
{
	const struct avec_cas_attr *a;

	if (name == NULL || name[0] == '\0')
		return NULL;
	a = avec_cas_attr_get(r, name);
	return a != NULL && a->nvalues > 0 ? a->values[0] : NULL;
}

static void
display_name(const struct avec_cas_response *r, const struct avec_cas_map *m,
	     struct avec_cas_identity *id)
{
	const char *d = first_value(r, m->display);
	const char *gn = first_value(r, "givenName");
	const char *sn = first_value(r, "sn");
	char both[2 * AVEC_CAS_VALUE_MAX + 2];

	if (d == NULL && (gn != NULL || sn != NULL)) {
		snprintf(both, sizeof(both), "%s%s%s", gn != NULL ? gn : "",
			 gn != NULL && sn != NULL ? " " : "",
			 sn != NULL ? sn : "");
		d = both;
	}
	if (d != NULL)
		copy_text(id->display_name, sizeof(id->display_name), d);
}

/* The first attribute named in @m that held markup, or NULL. */
static const char *
mapped_markup(const struct avec_cas_response *r, const struct avec_cas_map *m)
{
	const char *names[1 + 4 + 4 + 1 + 1];	/* role, schools, classes, join, display */
	const struct avec_cas_attr *a;
	unsigned i, n = 0;

	names[n++] = m->role;
	for (i = 0; i < 4; i++)
		names[n++] = m->schools[i];
	for (i = 0; i < 4; i++)
		names[n++] = m->classes[i];
	names[n++] = m->join;
	names[n++] = m->display;
	for (i = 0; i < n; i++)
		if (names[i][0] != '\0' &&
		    (a = avec_cas_attr_get(r, names[i])) != NULL && a->markup)
			return names[i];
	return NULL;
}

int
avec_cas_identify(const struct avec_cas_response *r,
		  const struct avec_cas_map *m, const char *uai,
		  struct avec_cas_identity *out, struct avec_err *err)
{
	const struct avec_cas_attr *a;
	char school[9], u[9];
	bool released = false, here = false;
	unsigned i, k, j;
	const char *v;

	memset(out, 0, sizeof(*out));
	if (r == NULL || m == NULL || !r->success)
		return avec_err_set(err, "CAS identity: not a successful "
				    "answer");
	if (uai == NULL || !uai_of(uai, strlen(uai), school))
		return avec_err_set(err, "CAS identity: this school's UAI is "
				    "not a UAI");
	if (!avec_principal_valid(r->user))
		return avec_err_set(err, "CAS identity: the principal is not "
				    "1 to %d of A-Z a-z 0-9 . _ @ $ : -",
				    AVEC_PRINCIPAL_MAX);
	snprintf(out->principal, sizeof(out->principal), "%s", r->user);
	if ((v = mapped_markup(r, m)) != NULL)
		return avec_err_set(err, "CAS identity: attribute %s holds "
				    "markup, not text", v);

	if (m->role[0] != '\0' && (a = avec_cas_attr_get(r, m->role)) != NULL)
		for (i = 0; i < a->nvalues; i++) {
			enum avec_role role;

			if (avec_role_of_profile(a->values[i], &role) == 0)
				out->roles |= 1u << role;
		}
	for (k = 0; k < sizeof(rank) / sizeof(rank[0]); k++) {
		if (out->roles & (1u << rank[k])) {
			out->role = rank[k];
			break;
		}
	}

	for (j = 0; j < 4; j++) {
		if (m->schools[j][0] == '\0' ||
		    (a = avec_cas_attr_get(r, m->schools[j])) == NULL)
			continue;
		for (i = 0; i < a->nvalues; i++) {
			if (!structure_uai(a->values[i], strlen(a->values[i]), u))
				continue;
			released = true;
			if (strcmp(u, school) == 0)
				here = true;
		}
	}

	for (j = 0; j < 4; j++) {
		if (m->classes[j][0] == '\0' ||
		    (a = avec_cas_attr_get(r, m->classes[j])) == NULL)
			continue;
		for (i = 0; i < a->nvalues; i++) {
			if (strncmp(a->values[i], "esco:", 5) == 0)
				group_member_of(out, school, a->values[i]);
			else
				group_classes(out, school, a->values[i]);
		}
	}

	if ((v = first_value(r, m->join)) != NULL && avec_join_key_valid(v))
		snprintf(out->join_key, sizeof(out->join_key), "%s", v);
	display_name(r, m, out);

	if (out->roles == 0)
		return AVEC_CAS_NO_ROLE;
	if (!released)
		return AVEC_CAS_NO_SCHOOL;
	if (!here)
		return AVEC_CAS_OTHER_SCHOOL;
	return AVEC_CAS_ADMITTED;
}
