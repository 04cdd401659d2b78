/*
 * policy_file.c - the administrator's policy file: YAML text to a
 * struct avec_policy_doc, and a document back to YAML.
 *
 * This file owns the file's grammar: which keys exist where, how
 * durations, dates, lifetimes and windows are spelled, and the messages
 * that say what is wrong where ("FILE:LINE:COL: roles.student.vlan: ...").
 * It reads the whole file with libyaml's document loader, then walks the
 * node tree once, collecting every error rather than stopping at the
 * first, so that an administrator fixes a file in one round.  A file with
 * any error yields no document at all: nothing half-read ever reaches the
 * store.
 *
 * It must never open the store, and never guess: an unknown key, a key
 * given twice, a value out of range or of the wrong shape is an error,
 * not a default.  libyaml resolves no types, so every scalar is read here
 * as text, whatever its quoting.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common/yerr.h"

#include "avec/ident.h"
#include "avec/policy.h"
#include "common/text.h"
#include "policy/policy_file.h"

#define DAY			86400u
#define MAX_SESSION_TIMEOUT	(366u * DAY)
#define MAX_LIFETIME		(3660u * DAY)	/* ten years */
#define MAX_OVERRIDES		10000u
#define PATH_MAX_LEN		192
#define POLICY_FILE_MAX		(1u << 20)	/* bytes: a policy is small */


struct pf {
	const char *name;
	yaml_document_t ydoc;
	struct avec_policy_doc *doc;
	unsigned ovcap;
	struct yerr e;			/* every problem found */
};

/* ---- errors ---- */

#define pf_at(p, line, col, ...)	yerr_at(&(p)->e, line, col, __VA_ARGS__)
#define pf_err(p, n, path, ...)	yerr_node(&(p)->e, n, path, __VA_ARGS__)

void
policy_file_errors_free(struct policy_file_errors *e)
{
	if (e != NULL)
		yerr_strings_free(&e->msg, &e->n);
}

/* ---- scalars ---- */

static yaml_node_t *
node(struct pf *p, int idx)
{
	return yaml_document_get_node(&p->ydoc, idx);
}

/* A scalar as text shown in a message: at most 40 terminal-safe bytes. */
static const char *
shown(const char *s, char *buf, size_t len)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%.40s", s);
	return avec_text_safe(tmp, buf, len);
}

static const char *
kind_name(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return "nothing";
}

/* The text of scalar @n, or NULL after reporting that it is not one. */
static const char *
scalar(struct pf *p, const yaml_node_t *n, const char *path, const char *want)
{
	if (n->type != YAML_SCALAR_NODE) {
		pf_err(p, n, path, "expected %s, not %s", want, kind_name(n));
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/* Decimal digits only, at most 10 of them. */
static int
parse_uint(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 10)
		return -1;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "90", "90s", "15m", "8h", "365d": seconds, at most @max. */
static int
parse_duration(const char *s, uint32_t max, uint32_t *out)
{
	char num[16];
	size_t len = strlen(s);
	uint64_t v, mult = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 's': mult = 1; num[--len] = '\0'; break;
	case 'm': mult = 60; num[--len] = '\0'; break;
	case 'h': mult = 3600; num[--len] = '\0'; break;
	case 'd': mult = DAY; num[--len] = '\0'; break;
	default: break;
	}
	if (parse_uint(num, &v) < 0 || v * mult > max)
		return -1;
	*out = (uint32_t)(v * mult);
	return 0;
}

char *
policy_file_duration(uint32_t secs, char *buf, size_t len)
{
	if (secs == 0)
		snprintf(buf, len, "0");
	else if (secs % DAY == 0)
		snprintf(buf, len, "%" PRIu32 "d", secs / DAY);
	else if (secs % 3600 == 0)
		snprintf(buf, len, "%" PRIu32 "h", secs / 3600);
	else if (secs % 60 == 0)
		snprintf(buf, len, "%" PRIu32 "m", secs / 60);
	else
		snprintf(buf, len, "%" PRIu32 "s", secs);
	return buf;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				      30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static bool
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "YYYY-MM-DD" to YYYYMMDD. */
static int
parse_date(const char *s, int32_t *out)
{
	int y, m, d;

	if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' ||
	    !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
		return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 2000 || y > 2199 || m < 1 || m > 12 || d < 1 ||
	    d > days_in_month(y, m))
		return -1;
	*out = y * 10000 + m * 100 + d;
	return 0;
}

/* "until MM-DD" to MMDD; 02-29 is refused (not a date every year). */
static int
parse_until(const char *s, uint16_t *out)
{
	int m, d;

	if (strncmp(s, "until ", 6) != 0)
		return -1;
	s += 6;
	while (*s == ' ')
		s++;
	if (strlen(s) != 5 || !digits(s, 2) || s[2] != '-' ||
	    !digits(s + 3, 2))
		return -1;
	m = atoi(s);
	d = atoi(s + 3);
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(2001, m))
		return -1;
	*out = (uint16_t)(m * 100 + d);
	return 0;
}

/* ---- mappings ---- */

/*
 * map_fields - check the keys of mapping @map against @keys (NULL-ended):
 * vals[i] is set to the value of keys[i], or NULL when absent.  Unknown
 * and repeated keys are reported.  Returns 0, or -1 when @map is not a
 * mapping (reported).
 */
static int
map_fields(struct pf *p, const yaml_node_t *map, const char *path,
	   const char *const *keys, yaml_node_t **vals, yaml_node_t **knodes)
{
	const yaml_node_pair_t *pair;
	char expect[256] = "", sbuf[64];
	size_t used = 0;
	unsigned i;

	for (i = 0; keys[i] != NULL; i++) {
		vals[i] = NULL;
		knodes[i] = NULL;
		used += (size_t)snprintf(expect + used, sizeof(expect) - used,
					 "%s%s", i ? ", " : "", keys[i]);
		if (used >= sizeof(expect))
			used = sizeof(expect) - 1;
	}
	if (map->type != YAML_MAPPING_NODE) {
		if (map->type == YAML_SCALAR_NODE &&
		    map->data.scalar.value[0] == '\0')
			pf_err(p, map, path, "expected a mapping of %s, "
			       "not nothing", expect);
		else
			pf_err(p, map, path, "expected a mapping of %s, "
			       "not %s", expect, map->type == YAML_SCALAR_NODE ?
			       "a single value" : kind_name(map));
		return -1;
	}
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = node(p, pair->key), *v = node(p, pair->value);
		const char *ks;
		char sub[PATH_MAX_LEN];

		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			pf_err(p, k, path, "a key must be a name, not %s",
			       kind_name(k));
			continue;
		}
		ks = (const char *)k->data.scalar.value;
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], ks) == 0)
				break;
		snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "",
			 shown(ks, sbuf, sizeof(sbuf)));
		if (keys[i] == NULL) {
			pf_err(p, k, sub, "unknown key (expected %s)", expect);
			continue;
		}
		if (vals[i] != NULL) {
			pf_err(p, k, sub, "duplicate key (first given at "
			       "line %zu)", knodes[i]->start_mark.line + 1);
			continue;
		}
		vals[i] = v;
		knodes[i] = k;
	}
	return 0;
}

/* ---- settings shared by roles and overrides ---- */

enum {
	K_ADMITTED = 0, K_VLAN, K_MAX_DEVICES, K_CREDENTIALS,
	K_SESSION_TIMEOUT, K_LIFETIME, K_WINDOWS, K__SETTINGS,
	/* overrides only */
	K_SCHOOL = K__SETTINGS, K_GROUP, K_ACCOUNT, K_ROLE, K__OVERRIDE
};
#define SETTING_KEYS \
	"admitted", "vlan", "max_devices", "credentials", \
	"session_timeout", "lifetime", "windows"
static const char *const role_keys[] = { SETTING_KEYS, NULL };
static const char *const override_keys[] = {
	SETTING_KEYS, "school", "group", "account", "role", NULL
};
static const char *const holiday_keys[] = { "name", "from", "to", NULL };
static const char *const top_keys[] = { "holidays", "roles", "overrides",
					NULL };
static const char *const role_names[] = { "student", "teacher", "staff",
					  "parent", NULL };

static void
sub_path(char *out, const char *path, const char *key)
{
	if (snprintf(out, PATH_MAX_LEN, "%s.%s", path, key) >= PATH_MAX_LEN)
		out[PATH_MAX_LEN - 1] = '\0';	/* paths are short: never */
}

static void
parse_credentials(struct pf *p, const yaml_node_t *n, const char *path,
		  uint32_t *mask)
{
	const yaml_node_item_t *it;
	char sbuf[64];
	bool bad = false;

	*mask = 0;
	if (n->type != YAML_SEQUENCE_NODE) {
		pf_err(p, n, path, "expected a list of tls, ttls, peap "
		       "(e.g. [tls, ttls])");
		return;
	}
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		const yaml_node_t *c = node(p, *it);
		enum avec_cred_type t;
		const char *s;

		if (c == NULL || (s = scalar(p, c, path, "tls, ttls or peap"))
		    == NULL) {
			bad = true;
			continue;
		}
		if (avec_cred_type_parse(s, &t) < 0) {
			pf_err(p, c, path, "\"%s\" is not a credential type "
			       "(tls, ttls, peap)", shown(s, sbuf, sizeof(sbuf)));
			bad = true;
		} else if (*mask & AVEC_CRED_BIT(t)) {
			pf_err(p, c, path, "%s is listed twice", s);
			bad = true;
		} else {
			*mask |= AVEC_CRED_BIT(t);
		}
	}
	if (*mask == 0 && !bad)
		pf_err(p, n, path, "the list is empty: allow at least one of "
		       "tls, ttls, peap (or say admitted: false)");
}

static void
parse_lifetime(struct pf *p, const yaml_node_t *n, const char *path,
	       uint32_t *life, uint16_t *until)
{
	const yaml_node_item_t *it, *start, *top;
	yaml_node_item_t one;
	bool have_life = false, have_until = false;
	char sbuf[64];

	*life = 0;
	*until = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		start = n->data.sequence.items.start;
		top = n->data.sequence.items.top;
		if (start == top) {
			pf_err(p, n, path, "the list is empty: give a duration, "
			       "\"until MM-DD\", or both");
			return;
		}
	} else if (n->type == YAML_SCALAR_NODE) {
		one = 0;	/* not used: the scalar is @n itself */
		start = &one;
		top = start + 1;
	} else {
		pf_err(p, n, path, "expected a duration (365d), \"until "
		       "MM-DD\", or a list of both");
		return;
	}
	for (it = start; it < top; it++) {
		const yaml_node_t *c = n->type == YAML_SCALAR_NODE ? n :
		    node(p, *it);
		const char *s;

		if (c == NULL || (s = scalar(p, c, path, "a duration or "
					     "\"until MM-DD\"")) == NULL)
			continue;
		if (strncmp(s, "until", 5) == 0) {
			if (have_until) {
				pf_err(p, c, path, "two \"until\" dates");
				continue;
			}
			if (parse_until(s, until) < 0) {
				pf_err(p, c, path, "\"%s\" is not \"until MM-DD\" "
				       "(a day of the year, not 02-29)",
				       shown(s, sbuf, sizeof(sbuf)));
				continue;
			}
			have_until = true;
		} else {
			if (have_life) {
				pf_err(p, c, path, "two durations");
				continue;
			}
			if (parse_duration(s, MAX_LIFETIME, life) < 0) {
				pf_err(p, c, path, "\"%s\" is not a lifetime (a "
				       "number with s, m, h or d, up to 3660d; "
				       "or \"until MM-DD\")",
				       shown(s, sbuf, sizeof(sbuf)));
				continue;
			}
			have_life = true;
		}
	}
}

/*
 * The column of the window a windows error is about: avec_windows_parse()
 * quotes the text where it stopped (at "..."); when the scalar is on one
 * line and written without escapes or wide characters, that text's column
 * in the file is known.  Otherwise, the value's own column.
 */
static size_t
windows_error_column(const yaml_node_t *n, const char *werr)
{
	const char *s = (const char *)n->data.scalar.value, *q, *at;
	size_t quotes = 0, span, len = n->data.scalar.length;
	char snippet[32];

	if (n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)
		quotes = 1;
	else if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return n->start_mark.column;
	span = n->end_mark.column - n->start_mark.column;
	if (n->end_mark.line != n->start_mark.line || span != len + 2 * quotes ||
	    strncmp(werr, "at \"", 4) != 0 ||
	    (q = strchr(werr + 4, '"')) == NULL ||
	    (size_t)(q - (werr + 4)) >= sizeof(snippet) || q == werr + 4)
		return n->start_mark.column;
	memcpy(snippet, werr + 4, (size_t)(q - (werr + 4)));
	snippet[q - (werr + 4)] = '\0';
	if ((at = strstr(s, snippet)) == NULL)
		return n->start_mark.column;
	return n->start_mark.column + quotes + (size_t)(at - s);
}

/*
 * parse_settings - the settings among vals[0..K__SETTINGS) into @v; the
 * bits of those given into *set (AVEC_OV_*).
 */
static void
parse_settings(struct pf *p, yaml_node_t *const *vals, const char *path,
	       struct avec_policy *v, uint32_t *set)
{
	char sub[PATH_MAX_LEN], sbuf[64], werr[160];
	uint64_t num;
	uint32_t secs;
	const char *s;

	*set = 0;
	if (vals[K_ADMITTED] != NULL) {
		sub_path(sub, path, "admitted");
		if ((s = scalar(p, vals[K_ADMITTED], sub, "true or false"))) {
			if (strcmp(s, "true") == 0)
				v->defined = true;
			else if (strcmp(s, "false") == 0)
				v->defined = false;
			else
				pf_err(p, vals[K_ADMITTED], sub, "\"%s\" is not "
				       "true or false",
				       shown(s, sbuf, sizeof(sbuf)));
			*set |= AVEC_OV_ADMITTED;
		}
	}
	if (vals[K_VLAN] != NULL) {
		sub_path(sub, path, "vlan");
		if ((s = scalar(p, vals[K_VLAN], sub, "a VLAN number"))) {
			if (parse_uint(s, &num) < 0 || num < 1 || num > 4094)
				pf_err(p, vals[K_VLAN], sub, "%s is not a VLAN "
				       "(1-4094)", shown(s, sbuf, sizeof(sbuf)));
			else
				v->vlan = (uint16_t)num;
			*set |= AVEC_OV_VLAN;
		}
	}
	if (vals[K_MAX_DEVICES] != NULL) {
		sub_path(sub, path, "max_devices");
		if ((s = scalar(p, vals[K_MAX_DEVICES], sub,
				"a number of devices"))) {
			if (parse_uint(s, &num) < 0 || num > 1000)
				pf_err(p, vals[K_MAX_DEVICES], sub, "%s is not "
				       "a number of devices (0-1000)",
				       shown(s, sbuf, sizeof(sbuf)));
			else
				v->max_devices = (uint32_t)num;
			*set |= AVEC_OV_MAX_DEVICES;
		}
	}
	if (vals[K_CREDENTIALS] != NULL) {
		sub_path(sub, path, "credentials");
		parse_credentials(p, vals[K_CREDENTIALS], sub,
				  &v->allowed_creds);
		*set |= AVEC_OV_CREDS;
	}
	if (vals[K_SESSION_TIMEOUT] != NULL) {
		sub_path(sub, path, "session_timeout");
		if ((s = scalar(p, vals[K_SESSION_TIMEOUT], sub,
				"a duration"))) {
			if (parse_duration(s, MAX_SESSION_TIMEOUT, &secs) < 0)
				pf_err(p, vals[K_SESSION_TIMEOUT], sub, "\"%s\" "
				       "is not a session timeout (a number with "
				       "s, m, h or d, up to 366d; 0 = none)",
				       shown(s, sbuf, sizeof(sbuf)));
			else
				v->session_timeout = secs;
			*set |= AVEC_OV_SESSION_TIMEOUT;
		}
	}
	if (vals[K_LIFETIME] != NULL) {
		sub_path(sub, path, "lifetime");
		parse_lifetime(p, vals[K_LIFETIME], sub, &v->device_lifetime,
			       &v->lifetime_until);
		*set |= AVEC_OV_LIFETIME | AVEC_OV_LIFETIME_UNTIL;
	}
	if (vals[K_WINDOWS] != NULL) {
		sub_path(sub, path, "windows");
		if ((s = scalar(p, vals[K_WINDOWS], sub, "windows such as "
				"\"mon-fri 08:00-18:00\""))) {
			if (strcmp(s, "always") == 0) {
				v->nwindows = 0;
			} else if (s[0] == '\0') {
				pf_err(p, vals[K_WINDOWS], sub, "empty: give "
				       "windows such as \"mon-fri 08:00-18:00\", "
				       "or always");
			} else if (avec_windows_parse(s, v->windows,
						      &v->nwindows, werr,
						      sizeof(werr)) < 0) {
				pf_at(p, vals[K_WINDOWS]->start_mark.line,
				      windows_error_column(vals[K_WINDOWS], werr),
				      "%s: %s", sub, werr);
			}
			*set |= AVEC_OV_WINDOWS;
		}
	}
}

/* ---- the three sections ---- */

static void
parse_roles(struct pf *p, const yaml_node_t *n)
{
	yaml_node_t *vals[AVEC_ROLE__COUNT + 1], *kn[AVEC_ROLE__COUNT + 1];
	unsigned r, k;

	if (map_fields(p, n, "roles", role_names, vals, kn) < 0)
		return;
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		yaml_node_t *rv[K__SETTINGS + 1], *rk[K__SETTINGS + 1];
		struct avec_policy *pol = &p->doc->roles[r];
		char path[PATH_MAX_LEN];
		uint32_t set;

		if (vals[r] == NULL)
			continue;	/* absent: not admitted */
		snprintf(path, sizeof(path), "roles.%s", role_names[r]);
		if (map_fields(p, vals[r], path, role_keys, rv, rk) < 0)
			continue;
		memset(pol, 0, sizeof(*pol));
		pol->defined = true;
		parse_settings(p, rv, path, pol, &set);
		if ((set & AVEC_OV_ADMITTED) && !pol->defined) {
			for (k = K_VLAN; k < K__SETTINGS; k++) {
				char sub[PATH_MAX_LEN];

				if (rv[k] == NULL)
					continue;
				sub_path(sub, path, role_keys[k]);
				pf_err(p, rk[k], sub, "a role that is not "
				       "admitted takes no other setting");
			}
			memset(pol, 0, sizeof(*pol));
			continue;
		}
		if (rv[K_VLAN] == NULL)
			pf_err(p, vals[r], path, "vlan is missing (an admitted "
			       "role needs vlan, max_devices and credentials)");
		if (rv[K_MAX_DEVICES] == NULL)
			pf_err(p, vals[r], path, "max_devices is missing (an "
			       "admitted role needs vlan, max_devices and "
			       "credentials)");
		if (rv[K_CREDENTIALS] == NULL)
			pf_err(p, vals[r], path, "credentials is missing (an "
			       "admitted role needs vlan, max_devices and "
			       "credentials)");
	}
}

static int
holiday_cmp(const void *a, const void *b)
{
	const struct avec_dayrange *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : (x->last > y->last);
}

static void
parse_holidays(struct pf *p, const yaml_node_t *n)
{
	struct avec_policy_doc *d = p->doc;
	const yaml_node_item_t *it;
	char sbuf[64];
	unsigned i, j;

	if (n->type != YAML_SEQUENCE_NODE) {
		pf_err(p, n, "holidays", "expected a list of { name, from, to }");
		return;
	}
	for (it = n->data.sequence.items.start, i = 0;
	     it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *h = node(p, *it), *hv[4], *hk[4];
		char path[PATH_MAX_LEN], sub[PATH_MAX_LEN];
		struct avec_dayrange r = { 0, 0 };
		const char *s, *name = "";
		bool ok = true;

		snprintf(path, sizeof(path), "holidays[%u]", i);
		if (h == NULL || map_fields(p, h, path, holiday_keys, hv, hk) < 0)
			continue;
		if (hv[0] != NULL) {
			sub_path(sub, path, "name");
			if ((s = scalar(p, hv[0], sub, "a name")) == NULL) {
				ok = false;
			} else if (!avec_text_valid(s, AVEC_REASON_TEXT_MAX)) {
				pf_err(p, hv[0], sub, "expected 1 to %d bytes of "
				       "text without control characters",
				       AVEC_REASON_TEXT_MAX);
				ok = false;
			} else {
				name = s;
			}
		}
		for (j = 1; j <= 2; j++) {
			int32_t *date = j == 1 ? &r.first : &r.last;

			sub_path(sub, path, holiday_keys[j]);
			if (hv[j] == NULL) {
				pf_err(p, h, path, "%s is missing (a holiday "
				       "needs from and to, both included)",
				       holiday_keys[j]);
				ok = false;
			} else if ((s = scalar(p, hv[j], sub, "a date "
					       "YYYY-MM-DD")) == NULL) {
				ok = false;
			} else if (parse_date(s, date) < 0) {
				pf_err(p, hv[j], sub, "\"%s\" is not a date "
				       "(YYYY-MM-DD)",
				       shown(s, sbuf, sizeof(sbuf)));
				ok = false;
			}
		}
		if (!ok)
			continue;
		if (r.first > r.last) {
			sub_path(sub, path, "to");
			pf_err(p, hv[2], sub, "before from: a holiday ends on "
			       "or after its first day");
			continue;
		}
		for (j = 0; j < d->nholidays; j++)
			if (d->holidays[j].first == r.first &&
			    d->holidays[j].last == r.last)
				break;
		if (j < d->nholidays) {
			pf_err(p, h, path, "the same dates as another holiday");
			continue;
		}
		if (d->nholidays == AVEC_HOLIDAYS_MAX) {
			pf_err(p, h, path, "more than %d holidays",
			       AVEC_HOLIDAYS_MAX);
			continue;
		}
		d->holidays[d->nholidays] = r;
		snprintf(d->holiday_names[d->nholidays],
			 sizeof(d->holiday_names[0]), "%s", name);
		d->nholidays++;
	}
}

static const char *const target_keys[] = { "school", "group", "account" };

static void
parse_override(struct pf *p, yaml_node_t *o, unsigned idx)
{
	yaml_node_t *vals[K__OVERRIDE + 1], *kn[K__OVERRIDE + 1];
	struct avec_override ov;
	struct avec_policy_doc *d = p->doc;
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN], sbuf[64];
	unsigned ntargets = 0, k, r;
	const char *s;
	bool ok = true;
	unsigned before = p->e.n;

	snprintf(path, sizeof(path), "overrides[%u]", idx);
	if (map_fields(p, o, path, override_keys, vals, kn) < 0)
		return;
	memset(&ov, 0, sizeof(ov));
	ov.role = -1;
	for (k = K_SCHOOL; k <= K_ACCOUNT; k++) {
		if (vals[k] == NULL)
			continue;
		if (ntargets++ > 0) {
			pf_err(p, kn[k], path, "give only one of school, group "
			       "or account");
			ok = false;
			continue;
		}
		ov.scope = (enum avec_scope)(k - K_SCHOOL);
		sub_path(sub, path, target_keys[k - K_SCHOOL]);
		if ((s = scalar(p, vals[k], sub, "a name")) == NULL) {
			ok = false;
			continue;
		}
		switch (ov.scope) {
		case AVEC_SCOPE_SCHOOL:
			if (!avec_uai_valid(s)) {
				pf_err(p, vals[k], sub, "\"%s\" is not a UAI "
				       "(7 digits and a capital letter, e.g. "
				       "0450822X)", shown(s, sbuf, sizeof(sbuf)));
				ok = false;
			}
			break;
		case AVEC_SCOPE_GROUP:
			if (!avec_text_valid(s, AVEC_OV_TARGET_MAX)) {
				pf_err(p, vals[k], sub, "expected a class group: "
				       "1 to %d bytes of text without control "
				       "characters", AVEC_OV_TARGET_MAX);
				ok = false;
			}
			break;
		case AVEC_SCOPE_ACCOUNT:
		case AVEC_SCOPE__COUNT:
		default:
			if (!avec_principal_valid(s)) {
				pf_err(p, vals[k], sub, "\"%s\" is not an ENT "
				       "principal (1 to %d of A-Z a-z 0-9 . _ @ "
				       "$ : -)", shown(s, sbuf, sizeof(sbuf)),
				       AVEC_PRINCIPAL_MAX);
				ok = false;
			}
			break;
		}
		snprintf(ov.target, sizeof(ov.target), "%s", s);
	}
	if (ntargets == 0) {
		pf_err(p, o, path, "says whom it is for: give one of school, "
		       "group or account");
		ok = false;
	}
	if (vals[K_ROLE] != NULL) {
		enum avec_role role;

		sub_path(sub, path, "role");
		if ((s = scalar(p, vals[K_ROLE], sub, "a role")) == NULL) {
			ok = false;
		} else if (avec_role_parse(s, &role) < 0) {
			pf_err(p, vals[K_ROLE], sub, "\"%s\" is not a role "
			       "(student, teacher, staff, parent)",
			       shown(s, sbuf, sizeof(sbuf)));
			ok = false;
		} else {
			ov.role = (int)role;
		}
	}
	parse_settings(p, vals, path, &ov.v, &ov.set);
	if (ov.set == 0) {
		pf_err(p, o, path, "changes nothing: give at least one of "
		       "admitted, vlan, max_devices, credentials, "
		       "session_timeout, lifetime, windows");
		ok = false;
	}
	if (!ok || p->e.n != before)
		return;
	/* admitting a role the roles section refuses needs its settings */
	if ((ov.set & AVEC_OV_ADMITTED) && ov.v.defined &&
	    (ov.set & (AVEC_OV_VLAN | AVEC_OV_MAX_DEVICES | AVEC_OV_CREDS)) !=
	    (AVEC_OV_VLAN | AVEC_OV_MAX_DEVICES | AVEC_OV_CREDS)) {
		for (r = 0; r < AVEC_ROLE__COUNT; r++)
			if ((ov.role < 0 || ov.role == (int)r) &&
			    !d->roles[r].defined)
				break;
		if (r < AVEC_ROLE__COUNT) {
			pf_err(p, vals[K_ADMITTED], path, "admits role %s, "
			       "which the roles section does not: give vlan, "
			       "max_devices and credentials too",
			       role_names[r]);
			return;
		}
	}
	for (k = 0; k < d->noverrides; k++) {
		const struct avec_override *x = &d->overrides[k];

		if (x->scope == ov.scope && x->role == ov.role &&
		    strcmp(x->target, ov.target) == 0) {
			pf_err(p, o, path, "the same %s, target and role as "
			       "another override", avec_scope_name(ov.scope));
			return;
		}
	}
	if (d->noverrides == MAX_OVERRIDES) {
		pf_err(p, o, path, "more than %u overrides", MAX_OVERRIDES);
		return;
	}
	if (d->noverrides == p->ovcap) {
		unsigned cap = p->ovcap ? p->ovcap * 2 : 8;
		struct avec_override *n = realloc(d->overrides,
						  cap * sizeof(*n));

		if (n == NULL) {
			p->e.oom = true;
			return;
		}
		d->overrides = n;
		p->ovcap = cap;
	}
	d->overrides[d->noverrides++] = ov;
}

static void
parse_overrides(struct pf *p, const yaml_node_t *n)
{
	const yaml_node_item_t *it;
	unsigned i;

	if (n->type != YAML_SEQUENCE_NODE) {
		pf_err(p, n, "overrides", "expected a list of overrides, each "
		       "{ school|group|account: ..., [role: ...], settings }");
		return;
	}
	for (it = n->data.sequence.items.start, i = 0;
	     it < n->data.sequence.items.top; it++, i++) {
		yaml_node_t *o = node(p, *it);

		if (o != NULL)
			parse_override(p, o, i);
	}
}

/* ---- the whole file ---- */

static size_t
line_of_offset(const char *buf, size_t len, size_t off)
{
	size_t i, line = 0;

	for (i = 0; i < off && i < len; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

static void
syntax_error(struct pf *p, const yaml_parser_t *yp, const char *buf,
	     size_t len)
{
	const char *problem = yp->problem ? yp->problem : "unreadable YAML";

	if (yp->error == YAML_READER_ERROR) {
		pf_at(p, line_of_offset(buf, len, yp->problem_offset), 0,
		      "not valid UTF-8 text: %s", problem);
	} else if (yp->error == YAML_MEMORY_ERROR) {
		p->e.oom = true;
	} else if (yp->context != NULL) {
		pf_at(p, yp->problem_mark.line, yp->problem_mark.column,
		      "YAML syntax: %s %s (line %zu)", problem, yp->context,
		      yp->context_mark.line + 1);
	} else {
		pf_at(p, yp->problem_mark.line, yp->problem_mark.column,
		      "YAML syntax: %s", problem);
	}
}

/* Sort holidays with their names (a small insertion sort keeps pairs). */
static void
sort_holidays(struct avec_policy_doc *d)
{
	unsigned i, j;

	for (i = 1; i < d->nholidays; i++) {
		struct avec_dayrange h = d->holidays[i];
		char name[AVEC_REASON_TEXT_MAX + 1];

		memcpy(name, d->holiday_names[i], sizeof(name));
		for (j = i; j > 0 && holiday_cmp(&d->holidays[j - 1], &h) > 0;
		     j--) {
			d->holidays[j] = d->holidays[j - 1];
			memcpy(d->holiday_names[j], d->holiday_names[j - 1],
			       sizeof(name));
		}
		d->holidays[j] = h;
		memcpy(d->holiday_names[j], name, sizeof(name));
	}
}

static void
walk(struct pf *p, const yaml_node_t *root)
{
	yaml_node_t *vals[4], *kn[4];
	unsigned r;

	if (map_fields(p, root, "", top_keys, vals, kn) < 0)
		return;
	/* roles first: overrides that admit a role look at them */
	if (vals[1] != NULL)
		parse_roles(p, vals[1]);
	else
		pf_at(p, 0, 0, "roles: missing (list the admitted roles; "
		      "roles: {} refuses every role)");
	if (vals[0] != NULL)
		parse_holidays(p, vals[0]);
	if (vals[2] != NULL)
		parse_overrides(p, vals[2]);
	sort_holidays(p->doc);
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		struct avec_policy *pol = &p->doc->roles[r];

		pol->nholidays = p->doc->nholidays;
		memcpy(pol->holidays, p->doc->holidays,
		       sizeof(pol->holidays[0]) * p->doc->nholidays);
	}
}

static int
finish(struct pf *p, struct policy_file_errors *errs)
{
	return yerr_finish(&p->e, &errs->msg, &errs->n);
}

int
policy_file_parse_buf(const char *buf, size_t len, const char *name,
		      struct avec_policy_doc *doc,
		      struct policy_file_errors *errs)
{
	yaml_parser_t yp;
	yaml_node_t *root;
	struct pf p;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(doc, 0, sizeof(*doc));
	errs->n = 0;
	errs->msg = NULL;
	p.e.name = name != NULL ? name : "-";
	p.doc = doc;
	if (!yaml_parser_initialize(&yp)) {
		p.e.oom = true;
		return finish(&p, errs);
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &p.ydoc)) {
		syntax_error(&p, &yp, buf, len);
		yaml_parser_delete(&yp);
		return finish(&p, errs);
	}
	root = yaml_document_get_root_node(&p.ydoc);
	if (root == NULL) {
		pf_at(&p, 0, 0, "the file is empty (a policy needs at least "
		      "roles:)");
	} else {
		yaml_document_t next;

		walk(&p, root);
		if (!yaml_parser_load(&yp, &next)) {
			syntax_error(&p, &yp, buf, len);
		} else {
			if (yaml_document_get_root_node(&next) != NULL)
				pf_at(&p, next.start_mark.line,
				      next.start_mark.column, "a second YAML "
				      "document: the policy is one document");
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&p.ydoc);
	yaml_parser_delete(&yp);
	rc = finish(&p, errs);
	if (rc < 0) {
		free(doc->overrides);
		memset(doc, 0, sizeof(*doc));
	}
	return rc;
}

int
policy_file_parse(const char *path, const char *name,
		  struct avec_policy_doc *doc, struct policy_file_errors *errs)
{
	char *buf = NULL, *msg = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	memset(doc, 0, sizeof(*doc));
	errs->n = 0;
	errs->msg = NULL;
	if (name == NULL)
		name = path;
	f = fopen(path, "r");
	if (f != NULL) {
		FILE *m = open_memstream(&buf, &len);
		char chunk[4096];
		size_t got;

		if (m == NULL) {
			fclose(f);
			goto fail;
		}
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, got, m);
		rc = ferror(f) ? -1 : 0;
		fclose(f);
		if (fclose(m) != 0 || rc < 0) {
			free(buf);
			goto fail;
		}
		if (len > POLICY_FILE_MAX) {
			free(buf);
			errno = EFBIG;
			goto fail;
		}
		rc = policy_file_parse_buf(buf, len, name, doc, errs);
		free(buf);
		return rc;
	}
fail:
	if (asprintf(&msg, "%s: cannot read: %s", name, strerror(errno)) < 0)
		return -1;
	errs->msg = malloc(sizeof(char *));
	if (errs->msg == NULL) {
		free(msg);
		return -1;
	}
	errs->msg[0] = msg;
	errs->n = 1;
	return -1;
}

/* ---- writing ---- */

static void
put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
put_creds(FILE *f, uint32_t mask)
{
	unsigned k, n = 0;

	fputc('[', f);
	for (k = 0; k < AVEC_CRED__COUNT; k++)
		if (mask & AVEC_CRED_BIT(k))
			fprintf(f, "%s%s", n++ ? ", " : "",
				avec_cred_type_name((enum avec_cred_type)k));
	fputc(']', f);
}

static void
put_lifetime(FILE *f, uint32_t life, uint16_t until)
{
	char dur[24];

	if (life && until)
		fprintf(f, "[%s, \"until %02u-%02u\"]",
			policy_file_duration(life, dur, sizeof(dur)),
			until / 100u, until % 100u);
	else if (until)
		fprintf(f, "\"until %02u-%02u\"", until / 100u, until % 100u);
	else
		fputs(policy_file_duration(life, dur, sizeof(dur)), f);
}

/*
 * The settings of @v in @set as "key: value" items: one per line after
 * @indent in block style, or ", key: value" in flow style (@indent NULL).
 */
static void
put_settings(FILE *f, const struct avec_policy *v, uint32_t set,
	     const char *indent)
{
	char buf[AVEC_WINDOWS_MAX * 48], dur[24];
	const char *sep = indent != NULL ? indent : ", ";
	const char *end = indent != NULL ? "\n" : "";

	if (set & AVEC_OV_ADMITTED)
		fprintf(f, "%sadmitted: %s%s", sep, v->defined ? "true" :
			"false", end);
	if (set & AVEC_OV_VLAN)
		fprintf(f, "%svlan: %u%s", sep, v->vlan, end);
	if (set & AVEC_OV_MAX_DEVICES)
		fprintf(f, "%smax_devices: %" PRIu32 "%s", sep, v->max_devices,
			end);
	if (set & AVEC_OV_CREDS) {
		fprintf(f, "%scredentials: ", sep);
		put_creds(f, v->allowed_creds);
		fputs(end, f);
	}
	if (set & AVEC_OV_SESSION_TIMEOUT)
		fprintf(f, "%ssession_timeout: %s%s", sep,
			policy_file_duration(v->session_timeout, dur,
					     sizeof(dur)), end);
	if (set & (AVEC_OV_LIFETIME | AVEC_OV_LIFETIME_UNTIL)) {
		fprintf(f, "%slifetime: ", sep);
		put_lifetime(f, (set & AVEC_OV_LIFETIME) ? v->device_lifetime : 0,
			     (set & AVEC_OV_LIFETIME_UNTIL) ? v->lifetime_until
			     : 0);
		fputs(end, f);
	}
	if (set & AVEC_OV_WINDOWS) {
		fprintf(f, "%swindows: ", sep);
		if (v->nwindows == 0)
			fputs("always", f);
		else
			put_string(f, avec_windows_format(v->windows,
							  v->nwindows, buf,
							  sizeof(buf)));
		fputs(end, f);
	}
}

void
policy_file_settings(FILE *f, const struct avec_policy *v, uint32_t set)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m == NULL)
		return;
	put_settings(m, v, set, NULL);
	if (fclose(m) == 0 && len >= 2)
		fputs(buf + 2, f);	/* without the leading ", " */
	free(buf);
}

static void
put_date(FILE *f, int32_t d)
{
	fprintf(f, "%04d-%02d-%02d", (int)(d / 10000), (int)(d / 100 % 100),
		(int)(d % 100));
}

int
policy_file_write(FILE *f, const struct avec_policy_doc *doc)
{
	unsigned i, r;

	fputs("# AVEC policy (avecctl policy show); docs/policy-file.md "
	      "describes each key.\n", f);
	if (doc->nholidays == 0)
		fputs("holidays: []\n", f);
	else
		fputs("holidays:\n", f);
	for (i = 0; i < doc->nholidays && i < AVEC_HOLIDAYS_MAX; i++) {
		fputs("  - { ", f);
		if (doc->holiday_names[i][0] != '\0') {
			fputs("name: ", f);
			put_string(f, doc->holiday_names[i]);
			fputs(", ", f);
		}
		fputs("from: ", f);
		put_date(f, doc->holidays[i].first);
		fputs(", to: ", f);
		put_date(f, doc->holidays[i].last);
		fputs(" }\n", f);
	}
	fputs("roles:\n", f);
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		const struct avec_policy *pol = &doc->roles[r];
		uint32_t set = AVEC_OV_VLAN | AVEC_OV_MAX_DEVICES |
		    AVEC_OV_CREDS;

		fprintf(f, "  %s:\n", avec_role_name((enum avec_role)r));
		if (!pol->defined) {
			fputs("    admitted: false\n", f);
			continue;
		}
		if (pol->session_timeout)
			set |= AVEC_OV_SESSION_TIMEOUT;
		if (pol->device_lifetime || pol->lifetime_until)
			set |= AVEC_OV_LIFETIME | AVEC_OV_LIFETIME_UNTIL;
		if (pol->nwindows)
			set |= AVEC_OV_WINDOWS;
		put_settings(f, pol, set, "    ");
	}
	if (doc->noverrides == 0)
		fputs("overrides: []\n", f);
	else
		fputs("overrides:\n", f);
	for (i = 0; i < doc->noverrides; i++) {
		const struct avec_override *o = &doc->overrides[i];

		fprintf(f, "  - { %s: ", avec_scope_name(o->scope));
		put_string(f, o->target);
		if (o->role >= 0 && o->role < AVEC_ROLE__COUNT)
			fprintf(f, ", role: %s",
				avec_role_name((enum avec_role)o->role));
		put_settings(f, &o->v, o->set, NULL);
		fputs(" }\n", f);
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
