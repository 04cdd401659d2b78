/*
 * conf.c - avecd's configuration file (YAML): sections and keys, their
 * defaults, and the checks that make a bad file fail at start-up rather
 * than on a student's phone.
 *
 * This file owns the grammar of the file: a mapping of sections (school,
 * portal, cas, wifi, radius, store), each a mapping of known keys.  Every
 * error is collected and printed as "FILE:LINE:COL: section.key: what",
 * so that `avecd -n` shows them all at once.  An unknown key is an error,
 * never ignored: a misspelt setting must not fall back silently to its
 * default.  It reads files and nothing else: no store, no network.
 *
 * It also owns the order of the files.  avecd.yaml is provisioning's
 * (`avecctl provision` rewrites it from the school profile); the drop-in
 * directory beside it, avecd.yaml.d/, is the administrator's, and
 * provisioning never writes there.  Each file goes through the same walk
 * into the same settings, the main file first and then the drop-ins'
 * "*.yaml" sorted by name, so a later file's key wins.  Each value keeps
 * the file and line it came from: the checks made once all are read name
 * the file that holds the mistake, and `avecd -n -v` tells where each
 * setting in effect was set.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "avec/ident.h"
#include "avecd.h"

#define CONF_FILE_MAX	(64u << 10)

/* One load: the file being read, and the errors of all of them. */
struct cf {
	struct avecd_conf *c;
	unsigned file;		/* index in c->files of the file being read */
	yaml_document_t doc;
	unsigned nerr;
};

static int key_index(const char *path);

static void
cf_err(struct cf *f, const yaml_node_t *n, const char *key, const char *fmt,
       ...) __attribute__((format(printf, 4, 5)));

/*
 * An error at node @n of the file being read; without a node, at the
 * value of setting @key wherever it was set (else the current file).
 */
static void
cf_err(struct cf *f, const yaml_node_t *n, const char *key, const char *fmt,
       ...)
{
	const struct avecd_conf_origin *o = NULL;
	size_t line = 1, col = 1;
	unsigned file = f->file;
	va_list ap;
	int i;

	if (n != NULL) {
		line = n->start_mark.line + 1;
		col = n->start_mark.column + 1;
	} else if ((i = key_index(key)) >= 0 && f->c->from[i].line != 0) {
		o = &f->c->from[i];
		file = o->file;
		line = o->line;
		col = o->col;
	}
	fprintf(stderr, "%s:%zu:%zu: %s: ", f->c->files[file], line, col,
		key);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	f->nerr++;
}

enum kind { K_STR, K_BOOL, K_UINT, K_METHOD, K_LIST4 };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t off, size;
	bool required;
	unsigned long min, max;		/* K_UINT */
};

#define S(sec, k, field, req) \
	{ sec, k, K_STR, offsetof(struct avecd_conf, field), \
	  sizeof(((struct avecd_conf *)0)->field), req, 0, 0 }
#define MAPS(k, field) \
	{ "cas.attributes", k, K_STR, offsetof(struct avecd_conf, cas_map.field), \
	  sizeof(((struct avecd_conf *)0)->cas_map.field), false, 0, 0 }
#define MAPL(k, field) \
	{ "cas.attributes", k, K_LIST4, offsetof(struct avecd_conf, cas_map.field), \
	  sizeof(((struct avecd_conf *)0)->cas_map.field), false, 0, 0 }

static const struct key keys[] = {
	S("school", "uai", uai, true),
	S("school", "name", school_name, true),
	S("portal", "url", portal_url, true),
	S("portal", "listen", listen, false),
	S("portal", "http_listen", http_listen, false),
	S("portal", "acme_dir", acme_dir, false),
	S("portal", "certificate", tls_cert, true),
	S("portal", "key", tls_key, true),
	S("portal", "user", user, false),
	S("portal", "support_url", support_url, false),
	S("portal", "support_email", support_email, false),
	S("cas", "url", cas_url, true),
	S("cas", "ca_file", cas_ca_file, false),
	{ "cas", "v2_fallback", K_BOOL, offsetof(struct avecd_conf, cas_v2_fallback), sizeof(bool), false, 0, 0 },
	{ "cas", "allow_http", K_BOOL, offsetof(struct avecd_conf, cas_allow_http), sizeof(bool), false, 0, 0 },
	{ "cas", "timeout_ms", K_UINT, offsetof(struct avecd_conf, cas_timeout_ms), sizeof(uint32_t), false, 100, 60000 },
	{ "cas", "max_pending", K_UINT, offsetof(struct avecd_conf, cas_max_pending), sizeof(uint32_t), false, 1, 4096 },
	{ "portal", "client_timeout", K_UINT, offsetof(struct avecd_conf, client_timeout), sizeof(uint32_t), false, 2, 300 },
	{ "portal", "request_timeout", K_UINT, offsetof(struct avecd_conf, request_timeout), sizeof(uint32_t), false, 2, 600 },
	{ "portal", "login_burst", K_UINT, offsetof(struct avecd_conf, login_burst), sizeof(uint32_t), false, 1, 10000 },
	{ "portal", "login_refill", K_UINT, offsetof(struct avecd_conf, login_refill), sizeof(uint32_t), false, 1, 3600 },
	MAPS("role", role),
	MAPL("schools", schools),
	MAPL("classes", classes),
	MAPS("join", join),
	MAPS("display", display),
	S("wifi", "ssid", ssid, true),
	S("wifi", "onboarding_ssid", onboarding_ssid, false),
	S("wifi", "psk_ssid", psk_ssid, false),
	{ "wifi", "method", K_METHOD, offsetof(struct avecd_conf, method), sizeof(enum avec_cred_type), false, 0, 0 },
	S("radius", "server_name", server_name, true),
	S("radius", "realm", realm, false),
	S("store", "database", store, false),
	S("store", "ca_dir", ca_dir, false),
	S("store", "user", engine_user, false),
	S("admin", "socket", admin_socket, false),
	S("admin", "listen", admin_listen, false),
	S("admin", "avecctl", admin_avecctl, false),
	S("schedule", "purge_at", purge_at, false),
	S("schedule", "ent_import_dir", ent_import_dir, false),
	S("schedule", "ent_import_at", ent_import_at, false),
};

_Static_assert(sizeof(keys) / sizeof(keys[0]) <= AVECD_CONF_KEYS,
	       "struct avecd_conf's from[] holds every key");

/* The index in keys[] of "section.key" (@path), or -1. */
static int
key_index(const char *path)
{
	size_t i, l;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		l = strlen(keys[i].section);
		if (strncmp(path, keys[i].section, l) == 0 && path[l] == '.' &&
		    strcmp(path + l + 1, keys[i].name) == 0)
			return (int)i;
	}
	return -1;
}

static const char *const sections[] = {
	"school", "portal", "cas", "wifi", "radius", "store", "admin",
	"schedule",
};

static yaml_node_t *
node(struct cf *f, int i)
{
	return yaml_document_get_node(&f->doc, i);
}

static const char *
scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE
		? (const char *)n->data.scalar.value : NULL;
}

static void
set_value(struct cf *f, struct avecd_conf *c, const struct key *k,
	  const char *path, yaml_node_t *v)
{
	char *dst = (char *)c + k->off;
	const char *s = scalar(v);
	unsigned long u;
	char *end;

	if (k->kind == K_LIST4) {
		yaml_node_item_t *it;
		unsigned i = 0;
		char (*list)[64] = (char (*)[64])dst;

		if (v->type != YAML_SEQUENCE_NODE) {
			cf_err(f, v, path, "expected a list of attribute names");
			return;
		}
		memset(dst, 0, k->size);
		for (it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++, i++) {
			const char *e = scalar(node(f, *it));

			if (i >= 4) {
				cf_err(f, v, path, "at most 4 attribute names");
				return;
			}
			if (e == NULL || *e == '\0' || strlen(e) >= 64) {
				cf_err(f, node(f, *it), path, "expected an "
				       "attribute name of 1 to 63 bytes");
				return;
			}
			snprintf(list[i], 64, "%s", e);
		}
		return;
	}
	if (s == NULL) {
		cf_err(f, v, path, "expected a single value");
		return;
	}
	switch (k->kind) {
	case K_STR:
		if (strlen(s) >= k->size) {
			cf_err(f, v, path, "longer than %zu bytes", k->size - 1);
			return;
		}
		if (!avec_text_valid(s, k->size - 1) && *s != '\0') {
			cf_err(f, v, path, "not valid UTF-8 text");
			return;
		}
		snprintf(dst, k->size, "%s", s);
		break;
	case K_BOOL:
		if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0)
			*(bool *)(void *)dst = true;
		else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0)
			*(bool *)(void *)dst = false;
		else
			cf_err(f, v, path, "expected true or false");
		break;
	case K_UINT:
		errno = 0;
		u = strtoul(s, &end, 10);
		if (errno || end == s || *end || *s == '-' || u < k->min ||
		    u > k->max)
			cf_err(f, v, path, "expected a whole number from %lu "
			       "to %lu", k->min, k->max);
		else
			*(uint32_t *)(void *)dst = (uint32_t)u;
		break;
	case K_METHOD:
		if (avec_cred_type_parse(s, (enum avec_cred_type *)(void *)dst) < 0 ||
		    !(AVEC_CRED_EAP &
		      AVEC_CRED_BIT(*(enum avec_cred_type *)(void *)dst)))
			cf_err(f, v, path, "expected tls, ttls or peap");
		break;
	case K_LIST4:
		break;
	}
}

static void
walk_section(struct cf *f, struct avecd_conf *c, const char *sec,
	     yaml_node_t *map)
{
	yaml_node_pair_t *p;
	char path[96];
	size_t i;

	if (map->type != YAML_MAPPING_NODE) {
		cf_err(f, map, sec, "expected a mapping of settings");
		return;
	}
	for (p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(f, p->key), *vn = node(f, p->value);
		const char *k = scalar(kn);
		bool found = false;

		if (k == NULL) {
			cf_err(f, kn, sec, "expected a key");
			continue;
		}
		snprintf(path, sizeof(path), "%s.%s", sec, k);
		if (strcmp(sec, "cas") == 0 && strcmp(k, "attributes") == 0) {
			walk_section(f, c, "cas.attributes", vn);
			continue;
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strcmp(keys[i].section, sec) == 0 &&
			    strcmp(keys[i].name, k) == 0) {
				c->from[i].file = (uint8_t)f->file;
				c->from[i].line = (uint32_t)vn->start_mark.line + 1;
				c->from[i].col = (uint32_t)vn->start_mark.column + 1;
				set_value(f, c, &keys[i], path, vn);
				found = true;
				break;
			}
		}
		if (!found)
			cf_err(f, kn, path, "unknown setting");
	}
}

static void
defaults(struct avecd_conf *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->files[0], sizeof(c->files[0]), "%s", path);
	c->nfiles = 1;
	snprintf(c->listen, sizeof(c->listen), "0.0.0.0:443");
	snprintf(c->store, sizeof(c->store), "/var/lib/avec/avec.db");
	snprintf(c->ca_dir, sizeof(c->ca_dir), "/var/lib/avec/ca");
	snprintf(c->user, sizeof(c->user), "avec-portal");
	snprintf(c->engine_user, sizeof(c->engine_user), "avec");
	snprintf(c->admin_socket, sizeof(c->admin_socket),
		 "/run/avec/admin.sock");
	{
		/* the avecctl beside this avecd */
		char self[AVECD_PATH_MAX - 16];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *slash;

		if (n > 0) {
			self[n] = '\0';
			if ((slash = strrchr(self, '/')) != NULL)
				*slash = '\0';
			snprintf(c->admin_avecctl, sizeof(c->admin_avecctl),
				 "%s/avecctl", self);
		} else {
			snprintf(c->admin_avecctl, sizeof(c->admin_avecctl),
				 "/usr/sbin/avecctl");
		}
	}
	c->cas_timeout_ms = 5000;
	c->cas_max_pending = 64;
	snprintf(c->purge_at, sizeof(c->purge_at), "03:30");
	snprintf(c->ent_import_at, sizeof(c->ent_import_at), "05:00");
	c->login_burst = 10;
	c->client_timeout = 15;
	c->request_timeout = 30;
	c->login_refill = 6;
	c->method = AVEC_CRED_TLS;
	avec_cas_map_default(&c->cas_map);
}

/* An http(s) URL of a host with an optional port and no path. */
static bool
base_url_ok(const char *u, bool https_only, bool path_allowed)
{
	const char *h;

	if (strncmp(u, "https://", 8) == 0)
		h = u + 8;
	else if (!https_only && strncmp(u, "http://", 7) == 0)
		h = u + 7;
	else
		return false;
	if (*h == '\0' || *h == '/' || strpbrk(u, " \t\"'<>\\?#") != NULL)
		return false;
	if (!path_allowed && strchr(h, '/') != NULL)
		return false;
	return u[strlen(u) - 1] != '/';
}

static bool
hhmm_ok(const char *s)
{
	return strlen(s) == 5 && s[2] == ':' &&
	       s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' &&
	       s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9' &&
	       (s[0] - '0') * 10 + (s[1] - '0') < 24;
}

static void
check(struct cf *f, struct avecd_conf *c)
{
	char upper[AVEC_UAI_MAX + 1];
	size_t i;

	if (c->uai[0] && !avec_uai_valid(c->uai))
		cf_err(f, NULL, "school.uai", "not a UAI (7 digits and a letter)");
	for (i = 0; c->uai[i]; i++)
		upper[i] = (char)(c->uai[i] >= 'a' && c->uai[i] <= 'z'
				  ? c->uai[i] - 32 : c->uai[i]);
	upper[i] = '\0';
	memcpy(c->uai, upper, i + 1);
	if (c->portal_url[0] && !base_url_ok(c->portal_url, true, false))
		cf_err(f, NULL, "portal.url", "expected https://HOST[:PORT] "
		       "without a path or a final /");
	if (c->cas_url[0] && !base_url_ok(c->cas_url, !c->cas_allow_http, true))
		cf_err(f, NULL, "cas.url", c->cas_allow_http
		       ? "expected http(s)://HOST[:PORT]/PATH without a final /"
		       : "expected https://HOST[:PORT]/PATH without a final / "
			 "(plain http only with allow_http, for tests)");
	if (c->server_name[0] && !avec_dns_name_valid(c->server_name))
		cf_err(f, NULL, "radius.server_name", "not a DNS name");
	if (c->realm[0] == '\0')
		snprintf(c->realm, sizeof(c->realm), "%s", c->server_name);
	else if (!avec_dns_name_valid(c->realm))
		cf_err(f, NULL, "radius.realm", "not a DNS name");
	if (c->onboarding_ssid[0] && strcmp(c->onboarding_ssid, c->ssid) == 0)
		cf_err(f, NULL, "wifi.onboarding_ssid", "must differ from "
		       "wifi.ssid");
	if (c->psk_ssid[0] && (strcmp(c->psk_ssid, c->ssid) == 0 ||
			       strcmp(c->psk_ssid, c->onboarding_ssid) == 0))
		cf_err(f, NULL, "wifi.psk_ssid", "must differ from wifi.ssid "
		       "and wifi.onboarding_ssid");
	if (c->purge_at[0] && !hhmm_ok(c->purge_at))
		cf_err(f, NULL, "schedule.purge_at", "expected HH:MM");
	if (c->ent_import_at[0] && !hhmm_ok(c->ent_import_at))
		cf_err(f, NULL, "schedule.ent_import_at", "expected HH:MM");
	if (c->ent_import_dir[0] && c->ent_import_dir[0] != '/')
		cf_err(f, NULL, "schedule.ent_import_dir", "expected an "
		       "absolute path");
	if (c->acme_dir[0] && c->acme_dir[0] != '/')
		cf_err(f, NULL, "portal.acme_dir", "expected an absolute path");
	if (c->admin_socket[0] && c->admin_socket[0] != '/')
		cf_err(f, NULL, "admin.socket", "expected an absolute path");
	if (c->admin_avecctl[0] != '/')
		cf_err(f, NULL, "admin.avecctl", "expected an absolute path");
	if (c->cas_map.role[0] == '\0')
		cf_err(f, NULL, "cas.attributes.role", "an attribute name is "
		       "needed");
}

/*
 * The line and column (from 1) of byte OFFSET of FP: libyaml gives a
 * reader error (bad UTF-8, a control character) as an offset only, with
 * no mark.
 */
static void
offset_position(FILE *fp, size_t offset, size_t *line, size_t *col)
{
	size_t i;
	int ch;

	*line = 1;
	*col = 1;
	if (fseek(fp, 0, SEEK_SET) != 0)
		return;
	for (i = 0; i < offset && (ch = getc(fp)) != EOF; i++) {
		if (ch == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/*
 * Read file number @file of f->c->files into the settings: false when it
 * could not be read or is not YAML (said on stderr), so that the checks
 * of the whole are not run on a half-read configuration.
 */
static bool
load_file(struct cf *f, unsigned file)
{
	struct avecd_conf *c = f->c;
	const char *path = c->files[file];
	yaml_parser_t yp;
	yaml_node_t *root;
	yaml_node_pair_t *p;
	FILE *fp;
	size_t i;
	bool seen[sizeof(sections) / sizeof(sections[0])] = { false };
	int loaded;

	f->file = file;
	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
		f->nerr++;
		return false;
	}
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_file(&yp, fp);
	loaded = yaml_parser_load(&yp, &f->doc);
	if (!loaded) {
		size_t line = yp.problem_mark.line + 1;
		size_t col = yp.problem_mark.column + 1;

		if (yp.error == YAML_READER_ERROR)
			offset_position(fp, yp.problem_offset, &line, &col);
		fprintf(stderr, "%s:%zu:%zu: %s\n", path, line, col,
			yp.problem ? yp.problem : "not YAML");
		yaml_parser_delete(&yp);
		fclose(fp);
		f->nerr++;
		return false;
	}
	yaml_parser_delete(&yp);
	if (ftell(fp) > (long)CONF_FILE_MAX)
		cf_err(f, NULL, "file", "larger than %u bytes", CONF_FILE_MAX);
	fclose(fp);

	root = yaml_document_get_root_node(&f->doc);
	if (root == NULL && file > 0) {
		/* an empty drop-in (comments only) sets nothing */
	} else if (root == NULL || root->type != YAML_MAPPING_NODE) {
		cf_err(f, root, "file", "expected a mapping of sections");
	} else {
		for (p = root->data.mapping.pairs.start;
		     p < root->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = node(f, p->key);
			const char *k = scalar(kn);

			for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
				if (k != NULL && strcmp(k, sections[i]) == 0)
					break;
			if (i == sizeof(sections) / sizeof(sections[0])) {
				cf_err(f, kn, k ? k : "?", "unknown section");
				continue;
			}
			if (seen[i])
				cf_err(f, kn, k, "section given twice");
			seen[i] = true;
			walk_section(f, c, k, node(f, p->value));
		}
	}
	yaml_document_delete(&f->doc);
	return true;
}

/* Byte order of the names, whatever the locale. */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* A drop-in's name: "*.yaml", not hidden (an editor's or a package's). */
static int
is_dropin(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	return d->d_name[0] != '.' && l > 5 &&
	       strcmp(d->d_name + l - 5, ".yaml") == 0;
}

/*
 * The drop-in files of "@path.d/" appended to f->c->files, sorted; none
 * when the directory does not exist.  Errors are counted in f.
 */
static void
list_dropins(struct cf *f, const char *path)
{
	struct avecd_conf *c = f->c;
	struct dirent **list = NULL;
	char dir[AVECD_PATH_MAX];
	struct stat st;
	int n, i, all;

	if ((size_t)snprintf(dir, sizeof(dir), "%s.d", path) >= sizeof(dir)) {
		fprintf(stderr, "%s.d: path too long\n", path);
		f->nerr++;
		return;
	}
	if (stat(dir, &st) < 0 && errno == ENOENT)
		return;
	/* scandir frees nothing of ours; each entry and the list are ours */
	if ((n = scandir(dir, &list, is_dropin, by_name)) < 0) {
		fprintf(stderr, "%s: cannot read the drop-in directory: %s\n",
			dir, strerror(errno));
		f->nerr++;
		return;
	}
	all = n;
	if (n > AVECD_CONF_DROPINS) {
		fprintf(stderr, "%s: %d drop-in files, more than %u\n", dir, n,
			AVECD_CONF_DROPINS);
		f->nerr++;
		n = AVECD_CONF_DROPINS;	/* still read, for their errors */
	}
	for (i = 0; i < n; i++) {
		char *dst = c->files[c->nfiles];

		if ((size_t)snprintf(dst, AVECD_PATH_MAX, "%s/%s", dir,
				     list[i]->d_name) >= AVECD_PATH_MAX) {
			fprintf(stderr, "%s/%s: path too long\n", dir,
				list[i]->d_name);
			f->nerr++;
		} else if (stat(dst, &st) < 0 || !S_ISREG(st.st_mode)) {
			fprintf(stderr, "%s: not a regular file\n", dst);
			f->nerr++;
		} else {
			c->nfiles++;
		}
	}
	for (i = 0; i < all; i++)
		free(list[i]);
	free(list);
}

int
avecd_conf_load(const char *path, struct avecd_conf *c)
{
	struct cf f;
	size_t j;
	unsigned i;
	bool whole = true;

	memset(&f, 0, sizeof(f));
	f.c = c;
	defaults(c, path);
	if (strlen(path) >= sizeof(c->path)) {
		fprintf(stderr, "%s: path too long\n", path);
		return -1;
	}
	whole = load_file(&f, 0);
	list_dropins(&f, path);
	for (i = 1; i < c->nfiles; i++)
		whole = load_file(&f, i) && whole;
	if (!whole)
		return -1;
	f.file = 0;
	for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
		const struct key *k = &keys[j];

		if (k->required && k->kind == K_STR &&
		    ((char *)c + k->off)[0] == '\0')
			cf_err(&f, NULL, k->section, "%s is required", k->name);
	}
	check(&f, c);
	return f.nerr ? -1 : 0;
}

void
avecd_conf_where(const struct avecd_conf *c, const char *key, char *buf,
		 size_t len)
{
	int i = key_index(key);
	const struct avecd_conf_origin *o;

	if (i < 0 || c->from[i].line == 0) {
		snprintf(buf, len, "%s", c->path);
		return;
	}
	o = &c->from[i];
	snprintf(buf, len, "%s:%u:%u", c->files[o->file], (unsigned)o->line,
		 (unsigned)o->col);
}

void
avecd_conf_print(const struct avecd_conf *c, FILE *fp)
{
	unsigned i, n;
	size_t j;

	for (i = 0; i < c->nfiles; i++)
		fprintf(fp, "# read %s\n", c->files[i]);
	for (j = 0; j < sizeof(keys) / sizeof(keys[0]); j++) {
		const struct key *k = &keys[j];
		const char *v = (const char *)c + k->off;

		fprintf(fp, "%s.%s: ", k->section, k->name);
		switch (k->kind) {
		case K_STR:
			fputs(*v ? v : "\"\"", fp);
			break;
		case K_BOOL:
			fputs(*(const bool *)(const void *)v ? "true" : "false",
			      fp);
			break;
		case K_UINT:
			fprintf(fp, "%u", *(const uint32_t *)(const void *)v);
			break;
		case K_METHOD:
			fputs(avec_cred_type_name(
				*(const enum avec_cred_type *)(const void *)v), fp);
			break;
		case K_LIST4:
			fputc('[', fp);
			for (n = 0; n < 4 && v[n * 64] != '\0'; n++)
				fprintf(fp, "%s%s", n ? ", " : "", v + n * 64);
			fputc(']', fp);
			break;
		}
		if (c->from[j].line == 0)
			fputs("  # default\n", fp);
		else
			fprintf(fp, "  # %s:%u\n", c->files[c->from[j].file],
				(unsigned)c->from[j].line);
	}
}
