/*
 * school.c - the school profile: YAML text to a struct school.
 *
 * This file owns the profile's grammar (which keys exist where, how a
 * band, a channel, a VLAN or a secret is spelled) and its messages,
 * "FILE:LINE:COL: path.to.key: what is wrong".  Like the policy file, it
 * loads the whole document with libyaml, walks it once and collects every
 * error, so that an administrator fixes a profile in one round; a profile
 * with any error yields nothing.
 *
 * It also owns the rules on RADIUS shared secrets: read from a file (under
 * the provisioning root) or given inline, refused when short or of low
 * variety, and refused when two authenticators share one.  It must never
 * put a secret in a message, never write a file, and never guess: an
 * unknown key, a key given twice or a value out of range is an error, not
 * a default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>


#include "avec/ident.h"
#include "avec/policy.h"
#include "avec/secret.h"
#include "school/school.h"
#include "school/school_int.h"

#define PROFILE_MAX	(256u * 1024u)

/* ---- errors ---- */

void
school_errors_free(struct school_errors *e)
{
	if (e != NULL)
		yerr_strings_free(&e->msg, &e->n);
}

/* ---- nodes ---- */

yaml_node_t *
sp_node(struct sp *p, int idx)
{
	return yaml_document_get_node(&p->ydoc, idx);
}

const char *
sp_kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a single value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a map";
	case YAML_NO_NODE:
	default:
		return "nothing";
	}
}

/* The text of scalar @n, or NULL after an error naming @want. */
const char *
sp_scalar(struct sp *p, const yaml_node_t *n, const char *path,
	  const char *want)
{
	if (n->type != YAML_SCALAR_NODE) {
		sp_err(p, n, path, "expected %s, found %s", want,
		       sp_kind_name(n));
		return NULL;
	}
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		sp_err(p, n, path, "a NUL byte in the value");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

/*
 * sp_map_fields - the values of the keys @keys (NULL-terminated) of mapping
 * @map into vals[] (NULL when absent); unknown and repeated keys are
 * errors.  Returns 0, or -1 when @map is not a mapping.
 */
int
sp_map_fields(struct sp *p, const yaml_node_t *map, const char *path,
	   const char *const *keys, yaml_node_t **vals)
{
	yaml_node_pair_t *pair;
	size_t nkeys, i;

	for (nkeys = 0; keys[nkeys] != NULL; nkeys++)
		vals[nkeys] = NULL;
	if (map->type != YAML_MAPPING_NODE) {
		sp_err(p, map, path[0] ? path : "(top)",
		       "expected a map, found %s", sp_kind_name(map));
		return -1;
	}
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = sp_node(p, pair->key),
			    *v = sp_node(p, pair->value);
		const char *ks;

		if (k == NULL || v == NULL)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			sp_err(p, k, path[0] ? path : "(top)",
			       "a key must be a single word");
			continue;
		}
		ks = (const char *)k->data.scalar.value;
		for (i = 0; i < nkeys; i++)
			if (strcmp(ks, keys[i]) == 0)
				break;
		if (i == nkeys) {
			char known[256] = "";
			size_t j;

			for (j = 0; j < nkeys; j++) {
				strncat(known, j ? ", " : "",
					sizeof(known) - strlen(known) - 1);
				strncat(known, keys[j],
					sizeof(known) - strlen(known) - 1);
			}
			sp_at(p, k->start_mark.line, k->start_mark.column,
			      "%s%s%.40s: unknown key (known: %s)", path,
			      path[0] ? "." : "", ks, known);
			continue;
		}
		if (vals[i] != NULL) {
			sp_at(p, k->start_mark.line, k->start_mark.column,
			      "%s%s%s: given twice", path, path[0] ? "." : "",
			      keys[i]);
			continue;
		}
		vals[i] = v;
	}
	return 0;
}

void
sp_missing(struct sp *p, const yaml_node_t *map, const char *path,
	const char *key, const char *what)
{
	sp_at(p, map->start_mark.line, map->start_mark.column,
	      "%s%s%s: missing (%s)", path, path[0] ? "." : "", key, what);
}

/* A decimal integer in [min, max] into *out; else an error. */
int
sp_get_uint(struct sp *p, const yaml_node_t *n, const char *path,
	 unsigned long min, unsigned long max, unsigned long *out)
{
	const char *s = sp_scalar(p, n, path, "a number");
	char *end;
	unsigned long v;

	if (s == NULL)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v < min || v > max) {
		sp_err(p, n, path, "expected a whole number from %lu to %lu",
		       min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A text value into @out (size @len, so at most len - 1 bytes). */
int
sp_get_text(struct sp *p, const yaml_node_t *n, const char *path, char *out,
	 size_t len, const char *want)
{
	const char *s = sp_scalar(p, n, path, want);

	if (s == NULL)
		return -1;
	if (s[0] == '\0') {
		sp_err(p, n, path, "empty (expected %s)", want);
		return -1;
	}
	if (strlen(s) >= len) {
		sp_err(p, n, path, "too long (at most %zu bytes)", len - 1);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* ---- secrets ---- */

const char *
school_secret_weak(const char *s, size_t len)
{
	bool seen[128] = { false };
	unsigned distinct = 0, lower = 0, upper = 0, digit = 0, other = 0;
	size_t i;

	if (len < SCHOOL_SECRET_MIN)
		return "shorter than 16 characters";
	if (len > SCHOOL_SECRET_MAX)
		return "longer than 128 characters";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return "not printable ASCII without spaces";
		if (!seen[c]) {
			seen[c] = true;
			distinct++;
		}
		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else
			other = 1;
	}
	if (distinct < 10)
		return "too few different characters (at least 10)";
	if (lower + upper + digit + other < 3)
		return "too little variety (use three of: lower case, upper "
		       "case, digits, punctuation)";
	return NULL;
}

/*
 * read_secret - the secret in ROOT/@rel (a path as written in the
 * profile), without a final newline; malloc'd into *out.  Returns 0, 1
 * when the file does not exist, or -1 with an error (never its content).
 */
static int
read_secret(struct sp *p, const yaml_node_t *n, const char *path,
	    const char *rel, char **out)
{
	char full[4096], buf[SCHOOL_SECRET_MAX + 2];
	struct stat st;
	ssize_t got;
	size_t len = 0;
	int fd;

	*out = NULL;
	if (snprintf(full, sizeof(full), "%s/%s", p->root,
		     rel[0] == '/' ? rel + 1 : rel) >= (int)sizeof(full)) {
		sp_err(p, n, path, "path too long");
		return -1;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0) {
		sp_err(p, n, path, "cannot open %s: %s", rel, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sp_err(p, n, path, "%s is not a regular file", rel);
		close(fd);
		return -1;
	}
	if (st.st_mode & 0077 & ~0040) {
		sp_err(p, n, path, "%s is readable or writable by others "
		       "(chmod 0600 or 0640)", rel);
		close(fd);
		return -1;
	}
	while (len < sizeof(buf) &&
	       (got = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > SCHOOL_SECRET_MAX) {
		avec_secret_wipe(buf, sizeof(buf));
		sp_err(p, n, path, "the secret in %s is longer than 128 "
		       "characters", rel);
		return -1;
	}
	*out = strndup(buf, len);
	avec_secret_wipe(buf, sizeof(buf));
	if (*out == NULL) {
		p->e.oom = true;
		return -1;
	}
	return 0;
}

/*
 * get_secret - "secret" (inline) or "secret_file" (path), exactly one;
 * checked for strength.  @may_be_absent: a missing file is not an error
 * (the appliance's own secret, generated at first provisioning).
 * Sets *where to the node that gave it.
 */
static void
get_secret(struct sp *p, const yaml_node_t *map, const char *path,
	   yaml_node_t *inl, yaml_node_t *file, bool may_be_absent,
	   char **out, const yaml_node_t **where)
{
	char sub[96];
	const char *why;
	int rc;

	*out = NULL;
	*where = NULL;
	if (inl != NULL && file != NULL) {
		snprintf(sub, sizeof(sub), "%s.secret", path);
		sp_err(p, inl, sub, "give secret or secret_file, not both");
		return;
	}
	if (inl == NULL && file == NULL) {
		sp_missing(p, map, path, "secret_file", "the RADIUS shared "
			"secret: a file, or inline as secret");
		return;
	}
	if (inl != NULL) {
		const char *s;

		snprintf(sub, sizeof(sub), "%s.secret", path);
		if ((s = sp_scalar(p, inl, sub, "the shared secret")) == NULL)
			return;
		if ((why = school_secret_weak(s, strlen(s))) != NULL) {
			sp_err(p, inl, sub, "refused: %s", why);
			return;
		}
		if ((*out = strdup(s)) == NULL)
			p->e.oom = true;
		*where = inl;
		return;
	}
	snprintf(sub, sizeof(sub), "%s.secret_file", path);
	{
		const char *rel = sp_scalar(p, file, sub, "a file path");

		if (rel == NULL)
			return;
		if (rel[0] == '\0' || strstr(rel, "..") != NULL) {
			sp_err(p, file, sub, "expected a path without '..'");
			return;
		}
		rc = read_secret(p, file, sub, rel, out);
		if (rc == 1 && !may_be_absent)
			sp_err(p, file, sub, "%.200s: no such file", rel);
		if (rc != 0)
			return;
	}
	if ((why = school_secret_weak(*out, strlen(*out))) != NULL) {
		sp_err(p, file, sub, "the secret in that file is refused: %s",
		       why);
		avec_secret_wipe(*out, strlen(*out));
		free(*out);
		*out = NULL;
		return;
	}
	*where = file;
}

/* ---- sections ---- */

static void
parse_school(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "uai", "name", "timezone", NULL };
	yaml_node_t *v[3];
	struct school *s = p->s;

	if (sp_map_fields(p, n, "school", keys, v) < 0)
		return;
	if (v[0] == NULL)
		sp_missing(p, n, "school", "uai", "the school's UAI, e.g. "
			"0450822X");
	else if (sp_get_text(p, v[0], "school.uai", s->uai, sizeof(s->uai),
			  "a UAI") == 0 && !avec_uai_valid(s->uai))
		sp_err(p, v[0], "school.uai", "not a UAI (7 digits and a "
		       "letter, e.g. 0450822X)");
	if (v[1] == NULL)
		sp_missing(p, n, "school", "name", "shown on the portal");
	else if (sp_get_text(p, v[1], "school.name", s->name, sizeof(s->name),
			  "the school's name") == 0 &&
		 !avec_text_valid(s->name, sizeof(s->name) - 1))
		sp_err(p, v[1], "school.name", "not printable text");
	if (v[2] == NULL)
		sp_missing(p, n, "school", "timezone", "Europe/Paris");
	else if (sp_get_text(p, v[2], "school.timezone", s->timezone,
			  sizeof(s->timezone), "a time zone") == 0 &&
		 strcmp(s->timezone, "Europe/Paris") != 0)
		sp_err(p, v[2], "school.timezone", "only Europe/Paris is "
		       "supported for now");
}

static bool
ssid_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 32 || !avec_text_valid(s, 32))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

static void
parse_wifi(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "secure_ssid", "onboarding_ssid",
					    "psk_ssid", NULL };
	yaml_node_t *v[3];
	struct school *s = p->s;

	if (sp_map_fields(p, n, "wifi", keys, v) < 0)
		return;
	if (v[0] == NULL)
		sp_missing(p, n, "wifi", "secure_ssid", "the 802.1X network");
	else if (sp_get_text(p, v[0], "wifi.secure_ssid", s->ssid_secure,
			  sizeof(s->ssid_secure), "an SSID") == 0 &&
		 !ssid_ok(s->ssid_secure))
		sp_err(p, v[0], "wifi.secure_ssid", "not a usable SSID (1-32 "
		       "bytes of text, no quote or backslash)");
	if (v[1] == NULL)
		sp_missing(p, n, "wifi", "onboarding_ssid", "the open network "
			"of the portal");
	else if (sp_get_text(p, v[1], "wifi.onboarding_ssid", s->ssid_onboarding,
			  sizeof(s->ssid_onboarding), "an SSID") == 0) {
		if (!ssid_ok(s->ssid_onboarding))
			sp_err(p, v[1], "wifi.onboarding_ssid", "not a usable "
			       "SSID (1-32 bytes of text, no quote or "
			       "backslash)");
		else if (strcmp(s->ssid_onboarding, s->ssid_secure) == 0)
			sp_err(p, v[1], "wifi.onboarding_ssid", "the same as "
			       "secure_ssid");
	}
	/* optional: WPA2-Personal with a key per device */
	if (v[2] != NULL &&
	    sp_get_text(p, v[2], "wifi.psk_ssid", s->ssid_psk,
		     sizeof(s->ssid_psk), "an SSID") == 0) {
		if (!ssid_ok(s->ssid_psk))
			sp_err(p, v[2], "wifi.psk_ssid", "not a usable SSID "
			       "(1-32 bytes of text, no quote or backslash)");
		else if (strcmp(s->ssid_psk, s->ssid_secure) == 0 ||
			 strcmp(s->ssid_psk, s->ssid_onboarding) == 0)
			sp_err(p, v[2], "wifi.psk_ssid", "the same as another "
			       "SSID of the profile");
	}
}

bool
sp_ifname_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > SCHOOL_IFNAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_' || (s[i] == '.' && i > 0)))
			return false;
	return true;
}

static void
parse_network(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "uplink", "onboarding_vlan",
					    "vlans", "onboarding", NULL };
	yaml_node_t *v[4];
	struct school *s = p->s;
	unsigned long x;

	if (sp_map_fields(p, n, "network", keys, v) < 0)
		return;
	if (v[0] == NULL)
		sp_missing(p, n, "network", "uplink", "the interface that "
			   "carries the VLANs to the school's switches");
	else if (sp_get_text(p, v[0], "network.uplink", s->uplink,
			     sizeof(s->uplink), "an interface name") == 0 &&
		 !sp_ifname_ok(s->uplink))
		sp_err(p, v[0], "network.uplink", "not an interface name");
	if (v[1] == NULL)
		sp_missing(p, n, "network", "onboarding_vlan", "1-4094");
	else if (sp_get_uint(p, v[1], "network.onboarding_vlan", 1, 4094,
			     &x) == 0)
		s->vlan_onboarding = (uint16_t)x;
	if (v[2] == NULL)
		sp_missing(p, n, "network", "vlans", "a VLAN per admitted "
			   "role");
	else
		sp_parse_vlans(p, v[2]);
	sp_parse_onboarding(p, v[3]);
}

static bool
channel_ok(enum school_band b, unsigned long c)
{
	static const unsigned five[] = { 36, 40, 44, 48, 52, 56, 60, 64, 100,
					 104, 108, 112, 116, 120, 124, 128,
					 132, 136, 140, 144, 149, 153, 157,
					 161, 165 };
	size_t i;

	if (b == SCHOOL_BAND_2G)
		return c >= 1 && c <= 13;
	for (i = 0; i < sizeof(five) / sizeof(five[0]); i++)
		if (five[i] == c)
			return true;
	return false;
}

static void
parse_radio(struct sp *p, const yaml_node_t *n, unsigned idx)
{
	static const char *const keys[] = { "interface", "country", "band",
					    "channel", "off", NULL };
	struct school_radio *r = &p->s->radios[idx];
	yaml_node_t *v[5];
	char path[32], sub[48], werr[128];
	const char *t;
	unsigned long x;
	unsigned q;

	snprintf(path, sizeof(path), "radios[%u]", idx);
	if (sp_map_fields(p, n, path, keys, v) < 0)
		return;
	snprintf(sub, sizeof(sub), "%s.interface", path);
	if (v[0] == NULL)
		sp_missing(p, n, path, "interface", "e.g. wlan0");
	else if (sp_get_text(p, v[0], sub, r->iface, sizeof(r->iface),
			  "an interface name") == 0) {
		if (!sp_ifname_ok(r->iface) || strlen(r->iface) > 12)
			sp_err(p, v[0], sub, "not an interface name of at "
			       "most 12 characters");
		for (q = 0; q < idx; q++)
			if (strcmp(p->s->radios[q].iface, r->iface) == 0)
				sp_err(p, v[0], sub, "radios[%u] has the same "
				       "interface", q);
	}
	snprintf(sub, sizeof(sub), "%s.country", path);
	if (v[1] == NULL)
		sp_missing(p, n, path, "country", "FR");
	else if (sp_get_text(p, v[1], sub, r->country, sizeof(r->country),
			  "a country code") == 0 &&
		 (strlen(r->country) != 2 || r->country[0] < 'A' ||
		  r->country[0] > 'Z' || r->country[1] < 'A' ||
		  r->country[1] > 'Z'))
		sp_err(p, v[1], sub, "expected two capital letters (FR)");
	snprintf(sub, sizeof(sub), "%s.band", path);
	if (v[2] == NULL) {
		sp_missing(p, n, path, "band", "2.4GHz or 5GHz");
	} else if ((t = sp_scalar(p, v[2], sub, "a band")) != NULL) {
		if (strcmp(t, "2.4GHz") == 0)
			r->band = SCHOOL_BAND_2G;
		else if (strcmp(t, "5GHz") == 0)
			r->band = SCHOOL_BAND_5G;
		else
			sp_err(p, v[2], sub, "expected 2.4GHz or 5GHz");
		snprintf(sub, sizeof(sub), "%s.channel", path);
		if (v[3] == NULL)
			sp_missing(p, n, path, "channel", "e.g. 1, 6, 11 or 36");
		else if (sp_get_uint(p, v[3], sub, 1, 196, &x) == 0) {
			if (!channel_ok(r->band, x))
				sp_err(p, v[3], sub, "channel %lu is not a "
				       "20 MHz channel of the %s band", x, t);
			r->channel = (unsigned)x;
		}
	}
	if (v[4] != NULL) {
		snprintf(sub, sizeof(sub), "%s.off", path);
		t = sp_scalar(p, v[4], sub, "weekly windows");
		if (t != NULL && avec_windows_parse(t, r->off, &r->noff, werr,
						    sizeof(werr)) < 0)
			sp_err(p, v[4], sub, "%s", werr);
	}
}

static void
parse_radios(struct sp *p, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	unsigned i = 0;

	if (n->type != YAML_SEQUENCE_NODE) {
		sp_err(p, n, "radios", "expected a list, found %s",
		       sp_kind_name(n));
		return;
	}
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *r = sp_node(p, *it);

		if (r == NULL)
			continue;
		if (i == SCHOOL_MAX_RADIOS) {
			sp_err(p, r, "radios", "at most %d radios",
			       SCHOOL_MAX_RADIOS);
			return;
		}
		parse_radio(p, r, i++);
	}
	p->s->nradios = i;
}

static bool
address_ok(const char *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	const char *slash = strchr(a, '/');
	size_t hl = slash ? (size_t)(slash - a) : strlen(a);
	int fam;
	char *end;
	long bits;

	if (hl == 0 || hl >= sizeof(host))
		return false;
	memcpy(host, a, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, bin) == 1)
		fam = 32;
	else if (inet_pton(AF_INET6, host, bin) == 1)
		fam = 128;
	else
		return false;
	if (slash == NULL)
		return true;
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	return slash[1] >= '0' && slash[1] <= '9' && *end == '\0' &&
	       errno == 0 && bits >= (fam == 32 ? 8 : 32) && bits <= fam;
}

static bool
name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 32 || s[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static void
parse_external(struct sp *p, const yaml_node_t *n, unsigned idx)
{
	static const char *const keys[] = { "name", "address", "secret",
					    "secret_file", "das_port", NULL };
	struct school_auth *a = &p->s->auth[idx];
	yaml_node_t *v[5];
	char path[48], sub[64];
	unsigned long x;
	unsigned q;

	snprintf(path, sizeof(path), "authenticators.external[%u]", idx);
	if (sp_map_fields(p, n, path, keys, v) < 0)
		return;
	snprintf(sub, sizeof(sub), "%s.name", path);
	if (v[0] == NULL)
		sp_missing(p, n, path, "name", "lower case letters, digits, -");
	else if (sp_get_text(p, v[0], sub, a->name, sizeof(a->name),
			  "a name") == 0) {
		if (!name_ok(a->name) || strcmp(a->name, "radios") == 0)
			sp_err(p, v[0], sub, "expected lower case letters, "
			       "digits and '-' (not \"radios\")");
		for (q = 0; q < idx; q++)
			if (strcmp(p->s->auth[q].name, a->name) == 0)
				sp_err(p, v[0], sub, "external[%u] has the "
				       "same name", q);
	}
	snprintf(sub, sizeof(sub), "%s.address", path);
	if (v[1] == NULL)
		sp_missing(p, n, path, "address", "an IP address or network");
	else if (sp_get_text(p, v[1], sub, a->address, sizeof(a->address),
			  "an address") == 0 && !address_ok(a->address))
		sp_err(p, v[1], sub, "expected an IPv4 or IPv6 address, "
		       "optionally /prefix");
	get_secret(p, n, path, v[2], v[3], false, &a->secret,
		   &p->auth_secret_node[idx]);
	if (v[4] != NULL) {
		snprintf(sub, sizeof(sub), "%s.das_port", path);
		if (sp_get_uint(p, v[4], sub, 1, 65535, &x) == 0)
			a->das_port = (uint16_t)x;
	}
}

static void
parse_authenticators(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "radios", "external", NULL };
	static const char *const rkeys[] = { "secret", "secret_file",
					     "das_port", NULL };
	yaml_node_t *v[2], *rv[3];
	struct school *s = p->s;
	unsigned long x;

	if (sp_map_fields(p, n, "authenticators", keys, v) < 0)
		return;
	if (v[0] == NULL) {
		sp_missing(p, n, "authenticators", "radios", "the secret between "
			"this appliance's radios and its RADIUS server");
	} else if (sp_map_fields(p, v[0], "authenticators.radios", rkeys,
			      rv) == 0) {
		get_secret(p, v[0], "authenticators.radios", rv[0], rv[1], true,
			   &s->radios_secret, &p->radios_secret_node);
		s->radios_das_port = 3799;
		if (rv[1] != NULL && rv[1]->type == YAML_SCALAR_NODE &&
		    rv[1]->data.scalar.length < sizeof(s->radios_secret_file))
			memcpy(s->radios_secret_file, rv[1]->data.scalar.value,
			       rv[1]->data.scalar.length + 1);
		if (rv[2] != NULL &&
		    sp_get_uint(p, rv[2], "authenticators.radios.das_port", 1024,
			     65535 - SCHOOL_MAX_RADIOS, &x) == 0)
			s->radios_das_port = (uint16_t)x;
	}
	if (v[1] != NULL) {
		yaml_node_item_t *it;
		unsigned i = 0;

		if (v[1]->type != YAML_SEQUENCE_NODE) {
			sp_err(p, v[1], "authenticators.external", "expected a "
			       "list, found %s", sp_kind_name(v[1]));
			return;
		}
		for (it = v[1]->data.sequence.items.start;
		     it < v[1]->data.sequence.items.top; it++) {
			yaml_node_t *e = sp_node(p, *it);

			if (e == NULL)
				continue;
			if (i == SCHOOL_MAX_AUTH) {
				sp_err(p, e, "authenticators.external", "at "
				       "most %d", SCHOOL_MAX_AUTH);
				break;
			}
			parse_external(p, e, i++);
		}
		s->nauth = i;
	}
}

/* No two authenticators share a secret. */
static void
check_reuse(struct sp *p)
{
	struct school *s = p->s;
	unsigned i, j;

	for (i = 0; i < s->nauth; i++) {
		if (s->auth[i].secret == NULL)
			continue;
		if (s->radios_secret != NULL &&
		    strcmp(s->radios_secret, s->auth[i].secret) == 0)
			sp_err(p, p->auth_secret_node[i], "authenticators",
			       "external[%u] (%s) has the same secret as the "
			       "radios: each authenticator needs its own", i,
			       s->auth[i].name);
		for (j = 0; j < i; j++)
			if (s->auth[j].secret != NULL &&
			    strcmp(s->auth[j].secret, s->auth[i].secret) == 0)
				sp_err(p, p->auth_secret_node[i],
				       "authenticators", "external[%u] (%s) has "
				       "the same secret as external[%u] (%s): "
				       "each authenticator needs its own", i,
				       s->auth[i].name, j, s->auth[j].name);
	}
}

static bool
https_url_ok(const char *u)
{
	const char *host;
	char h[254];
	size_t n;

	if (strncmp(u, "https://", 8) != 0)
		return false;
	host = u + 8;
	n = strcspn(host, "/:?#");
	if (n == 0 || n >= sizeof(h) || strpbrk(u, " \"'<>\\") != NULL)
		return false;
	memcpy(h, host, n);
	h[n] = '\0';
	return avec_dns_name_valid(h) && u[strlen(u) - 1] != '/';
}

/*
 * One word of printable ASCII without quotes, backslash or angle brackets:
 * a path, URL or address written as is into avecd.yaml and on its pages.
 */
static bool
plain_word(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~' || strchr("\"'\\<>", *s) != NULL)
			return false;
	return true;
}

/* An optional plain word at @n (may be NULL) into @out; @ok checks it. */
static void
get_word(struct sp *p, const yaml_node_t *n, const char *path, char *out,
	 size_t len, const char *want, bool (*ok)(const char *))
{
	if (n == NULL || sp_get_text(p, n, path, out, len, want) < 0)
		return;
	if (!plain_word(out) || !ok(out)) {
		sp_err(p, n, path, "expected %s", want);
		out[0] = '\0';
	}
}

static bool
abs_path_ok(const char *s)
{
	return s[0] == '/' && strstr(s, "/../") == NULL;
}

static bool
web_url_ok(const char *s)
{
	const char *h = strncmp(s, "https://", 8) == 0 ? s + 8 :
		strncmp(s, "http://", 7) == 0 ? s + 7 : NULL;

	return h != NULL && *h != '\0' && *h != '/';
}

static bool
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at > s && strchr(at + 1, '@') == NULL &&
	       strchr(at + 1, '.') != NULL;
}

static void
parse_ent(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "cas_url", "import_dir", NULL };
	yaml_node_t *v[2];

	if (sp_map_fields(p, n, "ent", keys, v) < 0)
		return;
	if (v[0] == NULL)
		sp_missing(p, n, "ent", "cas_url", "the ENT's CAS base URL");
	else if (sp_get_text(p, v[0], "ent.cas_url", p->s->cas_url,
			  sizeof(p->s->cas_url), "a URL") == 0 &&
		 !https_url_ok(p->s->cas_url))
		sp_err(p, v[0], "ent.cas_url", "expected https://HOST/PATH "
		       "without a final /");
	get_word(p, v[1], "ent.import_dir", p->s->ent_import_dir,
		 sizeof(p->s->ent_import_dir), "an absolute path",
		 abs_path_ok);
}

/* portal.certificate and, with ACME, its directory URL and e-mail. */
static void
parse_certificate(struct sp *p, const yaml_node_t *map, yaml_node_t *cert,
		  yaml_node_t *url, yaml_node_t *email)
{
	struct school *s = p->s;
	const char *t;

	if (cert != NULL &&
	    (t = sp_scalar(p, cert, "portal.certificate", "provided or "
			   "acme")) != NULL) {
		if (strcmp(t, "acme") == 0)
			s->portal_cert = SCHOOL_CERT_ACME;
		else if (strcmp(t, "provided") != 0)
			sp_err(p, cert, "portal.certificate", "expected "
			       "provided or acme");
	}
	if (s->portal_cert != SCHOOL_CERT_ACME) {
		if (url != NULL)
			sp_err(p, url, "portal.acme_url", "only with "
			       "certificate: acme");
		if (email != NULL)
			sp_err(p, email, "portal.acme_email", "only with "
			       "certificate: acme");
		return;
	}
	if (url == NULL)
		sp_missing(p, map, "portal", "acme_url", "the ACME server's "
			   "directory URL");
	else if (sp_get_text(p, url, "portal.acme_url", s->acme_url,
			     sizeof(s->acme_url), "a URL") == 0 &&
		 (!plain_word(s->acme_url) || !https_url_ok(s->acme_url)))
		sp_err(p, url, "portal.acme_url", "expected https://HOST/PATH "
		       "without a final /");
	get_word(p, email, "portal.acme_email", s->acme_email,
		 sizeof(s->acme_email), "an e-mail address", email_ok);
}

static void
parse_portal(struct sp *p, const yaml_node_t *n)
{
	static const char *const keys[] = { "host", "radius_name",
					    "support_url", "support_email",
					    "certificate", "acme_url",
					    "acme_email", NULL };
	yaml_node_t *v[7];
	struct school *s = p->s;

	if (sp_map_fields(p, n, "portal", keys, v) < 0)
		return;
	if (v[0] == NULL)
		sp_missing(p, n, "portal", "host", "the portal's DNS name");
	else if (sp_get_text(p, v[0], "portal.host", s->portal_host,
			  sizeof(s->portal_host), "a host name") == 0 &&
		 !avec_dns_name_valid(s->portal_host))
		sp_err(p, v[0], "portal.host", "not a DNS name");
	if (v[1] != NULL) {
		if (sp_get_text(p, v[1], "portal.radius_name", s->radius_name,
			     sizeof(s->radius_name), "a host name") == 0 &&
		    !avec_dns_name_valid(s->radius_name))
			sp_err(p, v[1], "portal.radius_name", "not a DNS name");
	} else if (s->portal_host[0] != '\0') {
		if (snprintf(s->radius_name, sizeof(s->radius_name),
			     "radius.%s", s->portal_host) >=
		    (int)sizeof(s->radius_name))
			sp_err(p, v[0], "portal.host", "too long");
	}
	get_word(p, v[2], "portal.support_url", s->support_url,
		 sizeof(s->support_url), "an http(s) URL", web_url_ok);
	get_word(p, v[3], "portal.support_email", s->support_email,
		 sizeof(s->support_email), "an e-mail address", email_ok);
	parse_certificate(p, n, v[4], v[5], v[6]);
}

static void
walk(struct sp *p, const yaml_node_t *root)
{
	static const char *const keys[] = { "school", "wifi", "network",
					    "radios", "authenticators", "ent",
					    "portal", "management", NULL };
	static const char *const what[] = {
		"uai, name, timezone", "secure_ssid, onboarding_ssid",
		"uplink, onboarding_vlan, vlans", "the appliance's radios",
		"radios' secret, external access points", "cas_url",
		"host",
	};
	void (*const parse[])(struct sp *, const yaml_node_t *) = {
		parse_school, parse_wifi, parse_network, parse_radios,
		parse_authenticators, parse_ent, parse_portal,
	};
	yaml_node_t *v[8];
	unsigned i;

	if (sp_map_fields(p, root, "", keys, v) < 0)
		return;
	for (i = 0; i < 7; i++) {
		if (v[i] == NULL)
			sp_missing(p, root, "", keys[i], what[i]);
		else
			parse[i](p, v[i]);
	}
	if (v[7] != NULL)	/* optional */
		sp_parse_management(p, v[7]);
	check_reuse(p);
	sp_net_finish(p);
	/* the radios' DAS ports must not collide with an external one on
	 * loopback: they are ours alone, nothing to check */
}

static void
syntax_error(struct sp *p, const yaml_parser_t *yp)
{
	const char *problem = yp->problem ? yp->problem : "unreadable YAML";

	if (yp->error == YAML_MEMORY_ERROR)
		p->e.oom = true;
	else if (yp->error == YAML_READER_ERROR)
		sp_at(p, 0, 0, "not valid UTF-8 text: %s", problem);
	else if (yp->context != NULL)
		sp_at(p, yp->problem_mark.line, yp->problem_mark.column,
		      "YAML syntax: %s %s (line %zu)", problem, yp->context,
		      yp->context_mark.line + 1);
	else
		sp_at(p, yp->problem_mark.line, yp->problem_mark.column,
		      "YAML syntax: %s", problem);
}

void
school_free(struct school *s)
{
	unsigned i;

	if (s == NULL)
		return;
	if (s->radios_secret != NULL) {
		avec_secret_wipe(s->radios_secret, strlen(s->radios_secret));
		free(s->radios_secret);
	}
	for (i = 0; i < SCHOOL_MAX_AUTH; i++)
		if (s->auth[i].secret != NULL) {
			avec_secret_wipe(s->auth[i].secret,
					 strlen(s->auth[i].secret));
			free(s->auth[i].secret);
		}
	for (i = 0; i < SCHOOL_MAX_SSH_KEYS; i++)
		free(s->ssh_keys[i]);
	memset(s, 0, sizeof(*s));
}

static int
finish(struct sp *p, struct school_errors *errs)
{
	return yerr_finish(&p->e, &errs->msg, &errs->n);
}

int
school_parse_buf(const char *buf, size_t len, const char *name,
		 const char *root, struct school *s,
		 struct school_errors *errs)
{
	yaml_parser_t yp;
	yaml_node_t *rootn;
	struct sp p;
	int rc;

	memset(&p, 0, sizeof(p));
	memset(s, 0, sizeof(*s));
	errs->n = 0;
	errs->msg = NULL;
	p.e.name = name != NULL ? name : "-";
	p.root = root != NULL && root[0] != '\0' ? root : "/";
	p.s = s;
	if (!yaml_parser_initialize(&yp)) {
		p.e.oom = true;
		return finish(&p, errs);
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&yp, &p.ydoc)) {
		syntax_error(&p, &yp);
		yaml_parser_delete(&yp);
		return finish(&p, errs);
	}
	rootn = yaml_document_get_root_node(&p.ydoc);
	if (rootn == NULL) {
		sp_at(&p, 0, 0, "the file is empty");
	} else {
		yaml_document_t next;

		walk(&p, rootn);
		if (!yaml_parser_load(&yp, &next)) {
			syntax_error(&p, &yp);
		} else {
			if (yaml_document_get_root_node(&next) != NULL)
				sp_at(&p, next.start_mark.line,
				      next.start_mark.column, "a second YAML "
				      "document: the profile is one document");
			yaml_document_delete(&next);
		}
	}
	yaml_document_delete(&p.ydoc);
	yaml_parser_delete(&yp);
	rc = finish(&p, errs);
	if (rc < 0)
		school_free(s);
	return rc;
}

int
school_parse(const char *path, const char *name, const char *root,
	     struct school *s, struct school_errors *errs)
{
	char *buf, *msg = NULL;
	size_t len = 0;
	ssize_t got;
	int fd, rc;

	memset(s, 0, sizeof(*s));
	errs->n = 0;
	errs->msg = NULL;
	if (name == NULL)
		name = path;
	if ((buf = malloc(PROFILE_MAX + 1)) == NULL)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (len <= PROFILE_MAX &&
		       (got = read(fd, buf + len, PROFILE_MAX + 1 - len)) > 0)
			len += (size_t)got;
		close(fd);
		if (len > PROFILE_MAX)
			errno = EFBIG;
		else {
			rc = school_parse_buf(buf, len, name, root, s, errs);
			free(buf);
			return rc;
		}
	}
	free(buf);
	if (asprintf(&msg, "%s: cannot read: %s", name, strerror(errno)) < 0)
		return -1;
	if ((errs->msg = malloc(sizeof(char *))) == NULL) {
		free(msg);
		return -1;
	}
	errs->msg[0] = msg;
	errs->n = 1;
	return -1;
}

const char *
school_role_bridge(enum avec_role r)
{
	switch (r) {
	case AVEC_ROLE_STUDENT:
		return "br-student";
	case AVEC_ROLE_TEACHER:
		return "br-teacher";
	case AVEC_ROLE_STAFF:
		return "br-staff";
	case AVEC_ROLE_PARENT:
		return "br-parent";
	case AVEC_ROLE__COUNT:
	default:
		return "br-unknown";
	}
}
