/*
 * render.c - a school profile to the text of the appliance's
 * configuration files, in memory.
 *
 * This file owns what each rendered file says: the hostapd configuration
 * of each radio (the 802.1X SSID, the open onboarding SSID as a second
 * BSS, VLAN bridges per role), FreeRADIUS's configuration from AVEC's
 * templates (plugins/raddb, @PLACEHOLDERS@ filled in; clients.conf written
 * here, one client per authenticator), avecd.yaml, and the systemd units
 * (copied as committed).  It also owns the syntax check of hostapd files,
 * and the growing texts the renderers write into (render_text_*); the
 * network's and the management side's files are render_net.c's.
 *
 * It must never write a file, run a program or print anything: the
 * shared secrets it puts in files stay in the render_set, which is wiped
 * when freed, and no error message ever quotes one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avec/secret.h"
#include "school/render.h"

#define TEMPLATE_MAX	(256u * 1024u)

/* ---- the set ---- */

void
render_set_free(struct render_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		if (set->f[i].data != NULL) {
			avec_secret_wipe(set->f[i].data, set->f[i].len);
			free(set->f[i].data);
		}
		free(set->f[i].path);
	}
	free(set->f);
	memset(set, 0, sizeof(*set));
}

/* Add a file, taking @data (malloc'd, @len bytes); frees it on failure. */
static int
add_file(struct render_set *set, const char *path, char *data, size_t len,
	 mode_t mode, bool secret, struct avec_err *err)
{
	struct render_file *f;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;

		f = realloc(set->f, cap * sizeof(*f));
		if (f == NULL)
			goto oom;
		set->f = f;
		set->cap = cap;
	}
	f = &set->f[set->n];
	if ((f->path = strdup(path)) == NULL)
		goto oom;
	f->data = data;
	f->len = len;
	f->mode = mode;
	f->secret = secret;
	set->n++;
	return 0;
oom:
	avec_secret_wipe(data, len);
	free(data);
	return avec_err_set(err, "out of memory rendering %s", path);
}

int
render_set_add(struct render_set *set, const char *path, char *data,
	       size_t len, mode_t mode, bool secret, struct avec_err *err)
{
	return add_file(set, path, data, len, mode, secret, err);
}

int
render_text_open(struct render_text *t, struct avec_err *err)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f == NULL ? avec_err_set(err, "out of memory") : 0;
}

void
render_text_drop(struct render_text *t)
{
	if (t->f != NULL)
		fclose(t->f);
	if (t->buf != NULL) {
		avec_secret_wipe(t->buf, t->len);
		free(t->buf);
	}
	memset(t, 0, sizeof(*t));
}

int
render_text_add(struct render_text *t, struct render_set *set,
		const char *path, mode_t mode, bool secret,
		struct avec_err *err)
{
	int bad = ferror(t->f);

	if (fclose(t->f) != 0 || bad) {
		t->f = NULL;
		render_text_drop(t);
		return avec_err_set(err, "out of memory rendering %s", path);
	}
	t->f = NULL;
	if (add_file(set, path, t->buf, t->len, mode, secret, err) < 0) {
		t->buf = NULL;
		return -1;
	}
	t->buf = NULL;
	return 0;
}

static int
read_whole(const char *path, char **out, size_t *len, struct avec_err *err)
{
	char *buf;
	ssize_t got;
	size_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return avec_err_set(err, "cannot read %s: %s", path,
				    strerror(errno));
	if ((buf = malloc(TEMPLATE_MAX + 1)) == NULL) {
		close(fd);
		return avec_err_set(err, "out of memory");
	}
	while (n <= TEMPLATE_MAX &&
	       (got = read(fd, buf + n, TEMPLATE_MAX + 1 - n)) > 0)
		n += (size_t)got;
	close(fd);
	if (n > TEMPLATE_MAX) {
		free(buf);
		return avec_err_set(err, "%s: too large for a template", path);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* ---- FreeRADIUS ---- */

struct subst {
	const char *key;	/* without the @s */
	const char *value;
};

/*
 * fill - @tpl with every @KEY@ of @subs replaced outside comments; an
 * @WORD@ left without a value is an error naming @name and the line.
 */
static int
fill(const char *name, const char *tpl, const struct subst *subs, size_t n,
     struct render_text *out, struct avec_err *err)
{
	const char *p = tpl;
	unsigned line = 1;

	while (*p != '\0') {
		const char *q;
		size_t i, klen;

		if (p == tpl || p[-1] == '\n') {
			/* comments are copied as they are: they name the
			 * placeholders, and no value belongs there */
			for (q = p; *q == ' ' || *q == '\t'; q++)
				;
			if (*q == '#') {
				q = strchr(q, '\n');
				i = q ? (size_t)(q - p + 1) : strlen(p);
				fwrite(p, 1, i, out->f);
				p += i;
				line += q != NULL;
				continue;
			}
		}
		if (*p == '\n')
			line++;
		if (*p != '@') {
			fputc(*p++, out->f);
			continue;
		}
		for (q = p + 1; (*q >= 'A' && *q <= 'Z') || *q == '_'; q++)
			;
		if (*q != '@' || q == p + 1) {
			fputc(*p++, out->f);
			continue;
		}
		klen = (size_t)(q - p - 1);
		for (i = 0; i < n; i++)
			if (strlen(subs[i].key) == klen &&
			    memcmp(subs[i].key, p + 1, klen) == 0)
				break;
		if (i == n)
			return avec_err_set(err, "%s:%u: no value for %.*s",
					    name, line, (int)(klen + 2), p);
		fputs(subs[i].value, out->f);
		p = q + 1;
	}
	return 0;
}

/* A FreeRADIUS double-quoted string's content. */
static void
fr_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
client_block(FILE *f, const char *name, const char *addr, const char *secret,
	     const char *what)
{
	fprintf(f, "\n# %s\nclient %s {\n\tipaddr = %s\n\tsecret = ", what,
		name, addr);
	fr_quoted(f, secret);
	fprintf(f, "\n\t# Refuse any Access-Request without a "
		"Message-Authenticator\n\t# (Blast-RADIUS, CVE-2024-3596).\n"
		"\trequire_message_authenticator = yes\n\tnas_type = other\n"
		"\tshortname = %s\n}\n", name);
}

/* clients.conf: the template's opening comment, then one client each. */
static int
render_clients(const struct school *s, const char *tpl, struct render_text *t,
	       struct avec_err *err)
{
	const char *p = tpl;
	unsigned i;

	while (*p == '#') {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			break;
		fwrite(p, 1, (size_t)(nl - p + 1), t->f);
		p = nl + 1;
	}
	fputs("#\n# Rendered by `avecctl provision` from the school profile: "
	      "edit the profile,\n# not this file.\n", t->f);
	if (s->radios_secret == NULL)
		return avec_err_set(err, "the radios' shared secret is missing");
	client_block(t->f, "avec_radios", "127.0.0.1", s->radios_secret,
		     "hostapd on this appliance, one per radio");
	for (i = 0; i < s->nauth; i++) {
		char name[48], what[80];

		snprintf(name, sizeof(name), "ext_%s", s->auth[i].name);
		snprintf(what, sizeof(what), "external authenticator %s",
			 s->auth[i].name);
		client_block(t->f, name, s->auth[i].address,
			     s->auth[i].secret, what);
	}
	return 0;
}

static int
walk_templates(const struct school *s, const char *dir, const char *rel,
	       const char *prefix, const struct subst *subs, size_t nsubs,
	       struct render_set *out, struct avec_err *err)
{
	struct dirent **ents = NULL;
	int n, i, rc = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return avec_err_set(err, "cannot read the templates in %s: %s",
				    dir, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		char src[4096], r[1024], dst[1200];
		struct stat st;
		struct render_text t = { 0 };
		char *tpl = NULL;
		size_t tlen;

		if (rc < 0 || nm[0] == '.' || nm[strlen(nm) - 1] == '~')
			continue;
		snprintf(src, sizeof(src), "%s/%s", dir, nm);
		snprintf(r, sizeof(r), "%s%s%s", rel, rel[0] ? "/" : "", nm);
		snprintf(dst, sizeof(dst), "%s/%s", prefix, r);
		if (stat(src, &st) < 0) {
			rc = avec_err_set(err, "%s: %s", src, strerror(errno));
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = walk_templates(s, src, r, prefix, subs, nsubs, out,
					    err);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (read_whole(src, &tpl, &tlen, err) < 0 ||
		    render_text_open(&t, err) < 0) {
			free(tpl);
			rc = -1;
			continue;
		}
		if (strcmp(r, "clients.conf") == 0)
			rc = render_clients(s, tpl, &t, err);
		else
			rc = fill(r, tpl, subs, nsubs, &t, err);
		free(tpl);
		if (rc == 0)
			rc = render_text_add(&t, out, dst, 0640,
				      strcmp(r, "clients.conf") == 0, err);
		else
			render_text_drop(&t);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}

int
render_raddb(const struct school *s, const struct render_paths *p,
	     const char *prefix, struct render_set *out, struct avec_err *err)
{
	char auth[12], acct[12];
	const struct subst subs[] = {
		{ "RADDB", p->raddb },
		{ "LIBDIR", p->module_dir },
		{ "DB", p->db },
		{ "CERTDIR", p->ca_dir },
		{ "LOGDIR", p->log_dir },
		{ "RUNDIR", p->run_dir },
		/* external authenticators reach us over the network */
		{ "LISTEN_ADDR", s->nauth > 0 ? "*" : "127.0.0.1" },
		{ "AUTH_PORT", auth },
		{ "ACCT_PORT", acct },
	};

	snprintf(auth, sizeof(auth), "%u", p->auth_port);
	snprintf(acct, sizeof(acct), "%u", p->acct_port);
	return walk_templates(s, p->templates, "", prefix, subs,
			      sizeof(subs) / sizeof(subs[0]), out, err);
}

/* ---- hostapd ---- */

void
render_bss_name(const char *iface, const char *suffix, char out[16])
{
	snprintf(out, 16, "%.12s%s", iface, suffix);
}

void
render_psk_nas(const struct school *s, unsigned idx, char name[64],
		char addr[16], unsigned *das_port)
{
	snprintf(name, 64, "avec-%s-psk", s->radios[idx].iface);
	snprintf(addr, 16, "127.0.1.%u", idx + 1);
	*das_port = (unsigned)(s->radios_das_port + s->nradios + idx);
}

/*
 * The RADIUS client settings of one BSS (hostapd has them per BSS), and
 * its Disconnect-Request port.  @own_ip: the NAS-IP-Address the BSS
 * reports (its packets still come from 127.0.0.1).
 */
static void
radius_settings(FILE *f, const struct school *s, const char *nas_id,
		const char *own_ip, const struct render_paths *p,
		unsigned das_port)
{
	fprintf(f,
		"own_ip_addr=%s\nnas_identifier=avec-%s\n"
		"auth_server_addr=127.0.0.1\nauth_server_port=%u\n"
		"auth_server_shared_secret=%s\nacct_server_addr=127.0.0.1\n"
		"acct_server_port=%u\nacct_server_shared_secret=%s\n"
		"radius_acct_interim_interval=600\n",
		own_ip, nas_id, p->auth_port, s->radios_secret, p->acct_port,
		s->radios_secret);
	fprintf(f,
		"# Disconnect-Request from AVEC (revocations)\n"
		"radius_das_port=%u\nradius_das_client=127.0.0.1 %s\n"
		"radius_das_require_event_timestamp=0\n", das_port,
		s->radios_secret);
}

/*
 * The VLAN file of BSS @bss of radio @iface: each role's VLAN interface
 * (the radio's name cut to leave room for @tag, '.' and the VLAN id:
 * at most 15 characters) and its bridge.
 */
static int
render_vlans(const struct school *s, const char *bss, const char *iface,
	     const char *tag, struct render_set *out, struct avec_err *err)
{
	char path[256];
	struct render_text v;
	unsigned role;

	if (render_text_open(&v, err) < 0)
		return -1;
	fprintf(v.f, "# VLAN ID, interface, bridge: the roles' VLANs of %s "
		"(avecctl provision)\n", bss);
	for (role = 0; role < AVEC_ROLE__COUNT; role++)
		if (s->vlan[role] != 0)
			fprintf(v.f, "%u %.*s%s.%u %s\n", s->vlan[role],
				9 - (int)strlen(tag), iface, tag, s->vlan[role],
				school_role_bridge(role));
	snprintf(path, sizeof(path), "etc/hostapd/avec-%s.vlan", bss);
	return render_text_add(&v, out, path, 0644, false, err);
}

static int
render_hostapd(const struct school *s, unsigned idx,
	       const struct render_paths *p, struct render_set *out,
	       struct avec_err *err)
{
	const struct school_radio *r = &s->radios[idx];
	struct render_text t;
	char path[256], vpath[256], ob[16];

	if (render_text_open(&t, err) < 0)
		return -1;
	fprintf(t.f,
		"# hostapd for radio %s of the AVEC appliance of %s (%s).\n"
		"# Rendered by `avecctl provision` from the school profile: "
		"edit the profile,\n# not this file.  Run by "
		"avec-hostapd@%s.service.\n\n", r->iface, s->uai,
		s->timezone, r->iface);
	fprintf(t.f,
		"interface=%s\ndriver=nl80211\nctrl_interface=/run/hostapd\n"
		"ctrl_interface_group=0\nlogger_syslog=-1\n"
		"logger_syslog_level=2\nlogger_stdout=-1\n"
		"logger_stdout_level=2\n\n", r->iface);
	fprintf(t.f, "# Radio\ncountry_code=%s\nieee80211d=1\n", r->country);
	if (r->band == SCHOOL_BAND_5G)
		fputs("ieee80211h=1\nhw_mode=a\n", t.f);
	else
		fputs("hw_mode=g\n", t.f);
	fprintf(t.f, "channel=%u\nieee80211n=1\n%swmm_enabled=1\n\n",
		r->channel, r->band == SCHOOL_BAND_5G ? "ieee80211ac=1\n" : "");
	fprintf(t.f,
		"# The secure SSID: WPA2/WPA3-Enterprise, 802.1X against "
		"FreeRADIUS on\n# this appliance, which puts each device in "
		"its role's VLAN.\nssid=%s\nutf8_ssid=1\nauth_algs=1\n"
		"ieee8021x=1\neapol_version=2\nwpa=2\n"
		"wpa_key_mgmt=WPA-EAP WPA-EAP-SHA256\nrsn_pairwise=CCMP\n"
		"ieee80211w=1\n", s->ssid_secure);
	radius_settings(t.f, s, r->iface, "127.0.0.1", p,
			(unsigned)(s->radios_das_port + idx));
	snprintf(vpath, sizeof(vpath), "%s/avec-%s.vlan", p->hostapd_dir,
		 r->iface);
	fprintf(t.f,
		"# Each role's VLAN has its bridge (br-<role>, made by avecctl "
		"provision);\n# hostapd adds the station's VLAN interface to "
		"it.\ndynamic_vlan=2\nvlan_file=%s\nvlan_naming=1\n\n", vpath);
	render_bss_name(r->iface, "_ob", ob);
	fprintf(t.f,
		"# The onboarding SSID: open, isolated, on the onboarding "
		"VLAN's bridge,\n# where only the portal is reachable.\n"
		"bss=%s\nssid=%s\nutf8_ssid=1\nbridge=%s\nauth_algs=1\n"
		"wpa=0\nap_isolate=1\nctrl_interface=/run/hostapd\n", ob,
		s->ssid_onboarding, SCHOOL_ONBOARDING_BRIDGE);
	if (s->ssid_psk[0] != '\0') {
		char pk[16], nas[32], nas_name[64], own[16];
		unsigned das;

		render_bss_name(r->iface, "_pk", pk);
		snprintf(nas, sizeof(nas), "%s-psk", r->iface);
		render_psk_nas(s, idx, nas_name, own, &das);
		snprintf(vpath, sizeof(vpath), "%s/avec-%s.vlan",
			 p->hostapd_dir, pk);
		fprintf(t.f,
			"\n# Devices without 802.1X: WPA2-Personal with a key "
			"per device.  The MAC\n# of each station is asked to "
			"RADIUS first; AVEC answers with that device's\n# own "
			"key (Tunnel-Password) and its role's VLAN, so only the "
			"holder of the\n# key completes the handshake.\n"
			"bss=%s\nssid=%s\nutf8_ssid=1\nauth_algs=1\nwpa=2\n"
			"wpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\n"
			"macaddr_acl=2\nwpa_psk_radius=2\n"
			"ctrl_interface=/run/hostapd\n", pk, s->ssid_psk);
		fputs("# A NAS-IP-Address of its own, so that AVEC's NAS table "
		      "sends a revoked\n# PSK station's Disconnect-Request to "
		      "this BSS's DAS port\n# (`avecctl provision` registers "
		      "it as NAS ", t.f);
		fprintf(t.f, "%s).\n", nas_name);
		radius_settings(t.f, s, nas, own, p, das);
		fprintf(t.f, "dynamic_vlan=2\nvlan_file=%s\nvlan_naming=1\n",
			vpath);
	}
	snprintf(path, sizeof(path), "etc/hostapd/avec-%s.conf", r->iface);
	if (render_text_add(&t, out, path, 0640, true, err) < 0)
		return -1;

	if (render_vlans(s, r->iface, r->iface, "", out, err) < 0)
		return -1;
	if (s->ssid_psk[0] != '\0') {
		render_bss_name(r->iface, "_pk", ob);
		return render_vlans(s, ob, r->iface, "k", out, err);
	}
	return 0;
}

/* hostapd's keys that AVEC writes, for the syntax check. */
static const char *const HOSTAPD_KEYS[] = {
	"interface", "driver", "ctrl_interface", "ctrl_interface_group",
	"logger_syslog", "logger_syslog_level", "logger_stdout",
	"logger_stdout_level", "country_code", "ieee80211d", "ieee80211h",
	"hw_mode", "channel", "ieee80211n", "ieee80211ac", "wmm_enabled",
	"ssid", "utf8_ssid", "auth_algs", "ieee8021x", "eapol_version", "wpa",
	"wpa_key_mgmt", "rsn_pairwise", "ieee80211w", "own_ip_addr",
	"nas_identifier", "auth_server_addr", "auth_server_port",
	"auth_server_shared_secret", "acct_server_addr", "acct_server_port",
	"acct_server_shared_secret", "radius_acct_interim_interval",
	"radius_das_port", "radius_das_client",
	"radius_das_require_event_timestamp", "dynamic_vlan", "vlan_file",
	"vlan_naming", "bss", "bridge", "ap_isolate", "wpa_psk_radius",
	"macaddr_acl", NULL,
};

int
render_hostapd_check(const char *data, size_t len, struct avec_err *err)
{
	const char *p = data, *end = data + len;
	unsigned line = 0, bss = 0;
	bool ssid = false, iface = false, eap = false, server = false,
	     secret = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p), k, i;

		line++;
		if (l == 0 || p[0] == '#')
			goto next;
		eq = memchr(p, '=', l);
		if (eq == NULL || eq == p)
			return avec_err_set(err, "line %u: not KEY=VALUE", line);
		k = (size_t)(eq - p);
		for (i = 0; HOSTAPD_KEYS[i] != NULL; i++)
			if (strlen(HOSTAPD_KEYS[i]) == k &&
			    memcmp(HOSTAPD_KEYS[i], p, k) == 0)
				break;
		if (HOSTAPD_KEYS[i] == NULL)
			return avec_err_set(err, "line %u: unknown key %.*s",
					    line, (int)(k < 40 ? k : 40), p);
		if (memchr(p, '\r', l) != NULL || eq + 1 == p + l)
			return avec_err_set(err, "line %u: %.*s: empty or "
					    "broken value", line, (int)k, p);
		if (k == 3 && memcmp(p, "bss", 3) == 0) {
			if (!ssid)
				return avec_err_set(err, "line %u: the BSS "
						    "before has no ssid", line);
			bss++;
			ssid = false;
		} else if (k == 4 && memcmp(p, "ssid", 4) == 0) {
			ssid = true;
		} else if (k == 9 && memcmp(p, "interface", 9) == 0) {
			iface = true;
		} else if (k == 9 && memcmp(p, "ieee8021x", 9) == 0) {
			eap = eq[1] == '1';
		} else if (k == 16 && memcmp(p, "auth_server_addr", 16) == 0) {
			server = true;
		} else if (k == 25 &&
			   memcmp(p, "auth_server_shared_secret", 25) == 0) {
			secret = true;
		}
next:
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (!iface)
		return avec_err_set(err, "line %u: no interface", line);
	if (!ssid)
		return avec_err_set(err, "line %u: the last BSS has no ssid",
				    line);
	if (!eap || !server || !secret)
		return avec_err_set(err, "line %u: the 802.1X BSS lacks "
				    "ieee8021x, auth_server_addr or its secret",
				    line);
	(void)bss;
	return 0;
}

/* ---- avecd.yaml ---- */

static void
yq(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int
render_avecd(const struct school *s, const struct render_paths *p,
	     struct render_set *out, struct avec_err *err)
{
	struct render_text t;

	if (render_text_open(&t, err) < 0)
		return -1;
	fputs("# avecd's configuration, rendered by `avecctl provision` from "
	      "the school\n# profile: edit the profile, not this file.  "
	      "Local settings go in\n# avecd.yaml.d/*.yaml beside it (read "
	      "after this file; provision never\n# touches them).  "
	      "Fields: docs/avecd.md.\nschool:\n  uai: ", t.f);
	yq(t.f, s->uai);
	fputs("\n  name: ", t.f);
	yq(t.f, s->name);
	fprintf(t.f, "\nportal:\n  url: https://%s\n  listen: 0.0.0.0:443\n"
		"  http_listen: 0.0.0.0:80\n"
		"  certificate: /etc/avec/portal.pem\n"
		"  key: /etc/avec/portal.key\n  user: avec-portal\n",
		s->portal_host);
	if (s->support_url[0] != '\0') {
		fputs("  support_url: ", t.f);
		yq(t.f, s->support_url);
		fputc('\n', t.f);
	}
	if (s->support_email[0] != '\0') {
		fputs("  support_email: ", t.f);
		yq(t.f, s->support_email);
		fputc('\n', t.f);
	}
	fputs("cas:\n  url: ", t.f);
	yq(t.f, s->cas_url);
	fputs("\nwifi:\n  ssid: ", t.f);
	yq(t.f, s->ssid_secure);
	fputs("\n  onboarding_ssid: ", t.f);
	yq(t.f, s->ssid_onboarding);
	if (s->ssid_psk[0] != '\0') {
		fputs("\n  psk_ssid: ", t.f);
		yq(t.f, s->ssid_psk);
	}
	fprintf(t.f, "\nradius:\n  server_name: %s\nstore:\n  database: ",
		s->radius_name);
	yq(t.f, p->db);
	fputs("\n  ca_dir: ", t.f);
	yq(t.f, p->ca_dir);
	fputs("\nadmin:\n  socket: /run/avec/admin.sock\n", t.f);
	/* avecd listens on IPv4 only; the firewall lets in only
	 * management.networks */
	if (s->admin_port != 0)
		fprintf(t.f, "  listen: \"0.0.0.0:%u\"\n", s->admin_port);
	if (s->ent_import_dir[0] != '\0') {
		fputs("schedule:\n  ent_import_dir: ", t.f);
		yq(t.f, s->ent_import_dir);
		fputc('\n', t.f);
	}
	return render_text_add(&t, out, "etc/avec/avecd.yaml", 0644, false, err);
}

/* ---- systemd ---- */

static const char *const UNITS[] = {
	"avec-freeradius.service", "avec-hostapd@.service", "avecd.service",
	"avec-radio-off@.service", "avec-radio-on@.service",
	"avec-firewall.service", "avec-dnsmasq.service", NULL,
};

static int
render_units(const struct school *s, const struct render_paths *p,
	     struct render_set *out, struct avec_err *err)
{
	unsigned i, w;

	for (i = 0; UNITS[i] != NULL; i++) {
		char src[4096], dst[256], *data;
		size_t len;

		snprintf(src, sizeof(src), "%s/%s", p->units, UNITS[i]);
		snprintf(dst, sizeof(dst), "etc/systemd/system/%s", UNITS[i]);
		if (read_whole(src, &data, &len, err) < 0 ||
		    add_file(out, dst, data, len, 0644, false, err) < 0)
			return -1;
	}
	/* radio off hours: a timer stops the radio's hostapd, another
	 * starts it again, in Europe/Paris time */
	for (i = 0; i < s->nradios; i++) {
		const struct school_radio *r = &s->radios[i];
		static const char *const dn[] = { "Mon", "Tue", "Wed", "Thu",
						  "Fri", "Sat", "Sun" };
		struct render_text t;
		char dst[256];
		int pass;

		if (r->noff == 0)
			continue;
		for (pass = 0; pass < 2; pass++) {
			const char *what = pass ? "on" : "off";

			if (render_text_open(&t, err) < 0)
				return -1;
			fprintf(t.f, "# Radio %s %s at the edges of its off "
				"hours (school profile).  At boot\n# inside "
				"off hours the radio is on until the next "
				"edge.\n[Unit]\nDescription=AVEC radio %s "
				"%s\n\n[Timer]\n", r->iface, what, r->iface,
				what);
			for (w = 0; w < r->noff; w++) {
				unsigned d, m, day, w2;

				for (d = 0; d < 7; d++) {
					if (!(r->off[w].days & (1u << d)))
						continue;
					day = d;
					m = r->off[w].start;
					if (pass) {
						/* 24:00 is the next day's
						 * 00:00 */
						m = r->off[w].end % 1440;
						day = r->off[w].end >= 1440 ?
							(d + 1) % 7 : d;
						/* no "on" where an "off"
						 * starts */
						for (w2 = 0; w2 < r->noff; w2++)
							if ((r->off[w2].days &
							     (1u << day)) &&
							    r->off[w2].start == m)
								break;
						if (w2 < r->noff)
							continue;
					}
					fprintf(t.f, "OnCalendar=%s *-*-* "
						"%02u:%02u:00 Europe/Paris\n",
						dn[day], m / 60, m % 60);
				}
			}
			fprintf(t.f, "Unit=avec-radio-%s@%s.service\n\n"
				"[Install]\nWantedBy=timers.target\n", what,
				r->iface);
			snprintf(dst, sizeof(dst), "etc/systemd/system/"
				 "avec-radio-%s@%s.timer", what, r->iface);
			if (render_text_add(&t, out, dst, 0644, false, err) < 0)
				return -1;
		}
	}
	return 0;
}

int
render_all(const struct school *s, const struct render_paths *p,
	   struct render_set *out, struct avec_err *err)
{
	unsigned i;

	if (s->radios_secret == NULL)
		return avec_err_set(err, "the radios' shared secret is missing");
	if (render_raddb(s, p, "etc/freeradius/avec", out, err) < 0)
		return -1;
	for (i = 0; i < s->nradios; i++)
		if (render_hostapd(s, i, p, out, err) < 0)
			return -1;
	if (render_avecd(s, p, out, err) < 0 ||
	    render_units(s, p, out, err) < 0 || render_net(s, p, out, err) < 0)
		return -1;
	return 0;
}
