/*
 * model.c - names of the domain model's enumerations.
 *
 * The store, the command line and JSON all spell roles, statuses and
 * credential types the same way; this file is the one table of those
 * spellings.  Parsing is exact (case-sensitive): "Student" is not a role.
 */
#include <string.h>

#include "avec/model.h"

static const char *const role_names[AVEC_ROLE__COUNT] = {
	[AVEC_ROLE_STUDENT] = "student",
	[AVEC_ROLE_TEACHER] = "teacher",
	[AVEC_ROLE_STAFF] = "staff",
	[AVEC_ROLE_PARENT] = "parent",
};

static const char *const account_status_names[AVEC_ACCOUNT__COUNT] = {
	[AVEC_ACCOUNT_ACTIVE] = "active",
	[AVEC_ACCOUNT_SUSPENDED] = "suspended",
	[AVEC_ACCOUNT_LEFT] = "left",
};

static const char *const device_status_names[AVEC_DEVICE__COUNT] = {
	[AVEC_DEVICE_ACTIVE] = "active",
	[AVEC_DEVICE_REVOKED] = "revoked",
	[AVEC_DEVICE_EXPIRED] = "expired",
};

static const char *const cred_type_names[AVEC_CRED__COUNT] = {
	[AVEC_CRED_TLS] = "tls",
	[AVEC_CRED_TTLS] = "ttls",
	[AVEC_CRED_PEAP] = "peap",
	[AVEC_CRED_PSK] = "psk",
};

static const char *
name_of(const char *const *names, unsigned n, unsigned v)
{
	return v < n ? names[v] : "?";
}

static int
parse_in(const char *const *names, unsigned n, const char *s, unsigned *out)
{
	unsigned i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

const char *
avec_role_name(enum avec_role r)
{
	return name_of(role_names, AVEC_ROLE__COUNT, (unsigned)r);
}

const char *
avec_account_status_name(enum avec_account_status s)
{
	return name_of(account_status_names, AVEC_ACCOUNT__COUNT, (unsigned)s);
}

const char *
avec_device_status_name(enum avec_device_status s)
{
	return name_of(device_status_names, AVEC_DEVICE__COUNT, (unsigned)s);
}

const char *
avec_cred_type_name(enum avec_cred_type t)
{
	return name_of(cred_type_names, AVEC_CRED__COUNT, (unsigned)t);
}

int
avec_role_parse(const char *s, enum avec_role *out)
{
	unsigned v;

	if (parse_in(role_names, AVEC_ROLE__COUNT, s, &v) < 0)
		return -1;
	*out = (enum avec_role)v;
	return 0;
}

/*
 * The ENT's profiles (ENTPersonProfils), in both of their forms, and the
 * AAF's function type codes of national-education staff (PersEducNat's
 * title, and the second field of ENTPersonFonctions
 * "UAI$TYPE$LABEL$DISCIPLINE$LABEL"): teaching (ENS) is a teacher, every
 * other function a member of staff.  docs/aaf.md lists them.
 */
static const struct {
	const char *profile;
	enum avec_role role;
} profiles[] = {
	{ "National_ELV", AVEC_ROLE_STUDENT }, { "National_1", AVEC_ROLE_STUDENT },
	{ "National_TUT", AVEC_ROLE_PARENT }, { "National_2", AVEC_ROLE_PARENT },
	{ "National_ENS", AVEC_ROLE_TEACHER }, { "National_3", AVEC_ROLE_TEACHER },
	{ "National_DOC", AVEC_ROLE_STAFF }, { "National_EVS", AVEC_ROLE_STAFF },
	{ "National_DIR", AVEC_ROLE_STAFF }, { "National_ETA", AVEC_ROLE_STAFF },
	{ "National_ACA", AVEC_ROLE_STAFF }, { "National_COL", AVEC_ROLE_STAFF },
	{ "National_4", AVEC_ROLE_STAFF }, { "National_5", AVEC_ROLE_STAFF },
	{ "National_6", AVEC_ROLE_STAFF }, { "National_7", AVEC_ROLE_STAFF },
	/* function type codes */
	{ "ENS", AVEC_ROLE_TEACHER },	/* enseignement */
	{ "DIR", AVEC_ROLE_STAFF },	/* direction */
	{ "EDU", AVEC_ROLE_STAFF },	/* éducation (CPE) */
	{ "ADF", AVEC_ROLE_STAFF },	/* personnels administratifs */
	{ "DOC", AVEC_ROLE_STAFF },	/* documentation */
	{ "LAB", AVEC_ROLE_STAFF },	/* laboratoire */
	{ "ORI", AVEC_ROLE_STAFF },	/* orientation */
	{ "MDS", AVEC_ROLE_STAFF },	/* médico-social */
	{ "OUV", AVEC_ROLE_STAFF },	/* personnels ouvriers et de service */
};

int
avec_role_of_profile(const char *profile, enum avec_role *out)
{
	size_t k;

	for (k = 0; k < sizeof(profiles) / sizeof(profiles[0]); k++)
		if (strcmp(profile, profiles[k].profile) == 0) {
			*out = profiles[k].role;
			return 0;
		}
	return -1;
}

int
avec_account_status_parse(const char *s, enum avec_account_status *out)
{
	unsigned v;

	if (parse_in(account_status_names, AVEC_ACCOUNT__COUNT, s, &v) < 0)
		return -1;
	*out = (enum avec_account_status)v;
	return 0;
}

int
avec_device_status_parse(const char *s, enum avec_device_status *out)
{
	unsigned v;

	if (parse_in(device_status_names, AVEC_DEVICE__COUNT, s, &v) < 0)
		return -1;
	*out = (enum avec_device_status)v;
	return 0;
}

int
avec_cred_type_parse(const char *s, enum avec_cred_type *out)
{
	unsigned v;

	if (parse_in(cred_type_names, AVEC_CRED__COUNT, s, &v) < 0)
		return -1;
	*out = (enum avec_cred_type)v;
	return 0;
}

int
avec_cred_mask_parse(const char *s, uint32_t *mask)
{
	char word[16];
	uint32_t m = 0;
	enum avec_cred_type t;
	const char *p = s, *e;
	size_t n;

	if (s == NULL || *s == '\0')
		return -1;
	for (;;) {
		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || n >= sizeof(word))
			return -1;
		memcpy(word, p, n);
		word[n] = '\0';
		if (avec_cred_type_parse(word, &t) < 0)
			return -1;
		m |= AVEC_CRED_BIT(t);
		if (e == NULL)
			break;
		p = e + 1;
	}
	*mask = m;
	return 0;
}

char *
avec_cred_mask_format(uint32_t mask, char *buf, unsigned len)
{
	unsigned t, used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (t = 0; t < AVEC_CRED__COUNT; t++) {
		const char *n = cred_type_names[t];
		size_t need = strlen(n) + (used ? 1 : 0);

		if (!(mask & AVEC_CRED_BIT(t)))
			continue;
		if (used + need + 1 > len)
			break;
		if (used)
			buf[used++] = ',';
		memcpy(buf + used, n, strlen(n) + 1);
		used += (unsigned)strlen(n);
	}
	return buf;
}
