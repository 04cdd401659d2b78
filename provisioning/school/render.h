/*
 * render.h - a school profile (school.h) to the appliance's configuration
 * files, in memory: hostapd per radio, FreeRADIUS from AVEC's templates,
 * avecd.yaml, the systemd units, and the network and management side
 * (dnsmasq, nftables, systemd-networkd, timesyncd, sshd, journald,
 * rsyslog).  Writing, checking and switching them is `avecctl
 * provision`'s (cmd_provision.c).
 */
#ifndef AVEC_SCHOOL_RENDER_H
#define AVEC_SCHOOL_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "avec/err.h"
#include "school/school.h"

/* Where things are on the appliance, as the rendered files name them. */
struct render_paths {
	const char *raddb;	/* FreeRADIUS configuration directory */
	const char *templates;	/* plugins/raddb, installed */
	const char *units;	/* appliance/systemd, installed */
	const char *module_dir;	/* holds rlm_avec.so */
	const char *db;		/* the store */
	const char *ca_dir;	/* ca.pem, server.pem, server.key */
	const char *log_dir;	/* FreeRADIUS's log */
	const char *run_dir;	/* FreeRADIUS's pid file */
	const char *hostapd_dir;	/* where avec-<radio>.conf go */
	unsigned auth_port, acct_port;	/* RADIUS, normally 1812 and 1813 */
};

/* One rendered file: its path under the provisioning root, and content. */
struct render_file {
	char *path;		/* relative: "etc/hostapd/avec-wlan0.conf" */
	char *data;		/* may hold a shared secret */
	size_t len;
	mode_t mode;
	bool secret;		/* holds a shared secret: 0640, never shown */
};

struct render_set {
	struct render_file *f;
	size_t n, cap;
};

/*
 * render_all - every file for @s with the paths @p into @out (which must
 * be zeroed).  Returns 0 or -1 (@err names the template or file).  The
 * caller frees @out with render_set_free() in every case.
 */
int render_all(const struct school *s, const struct render_paths *p,
	       struct render_set *out, struct avec_err *err);

/*
 * render_raddb - only the FreeRADIUS files, named @prefix/... in @out,
 * with @p->raddb as the directory they say they are in (for a check of a
 * staging copy).  As render_all().
 */
int render_raddb(const struct school *s, const struct render_paths *p,
		 const char *prefix, struct render_set *out,
		 struct avec_err *err);

/*
 * render_hostapd_check - our own syntax check of a rendered hostapd file
 * (hostapd 2.10 has no check-only mode usable without radios): every line
 * a comment or KEY=VALUE with a key we know, each BSS with an ssid, the
 * 802.1X one with its RADIUS server and secret.  Returns 0, or -1 with
 * @err saying "LINE: what" (never a value).
 */
int render_hostapd_check(const char *data, size_t len, struct avec_err *err);

/*
 * render_psk_nas - the NAS of radio @idx's PSK BSS (wifi.psk_ssid): its
 * name "avec-<radio>-psk" into @name, its NAS-IP-Address (hostapd's
 * own_ip_addr, 127.0.1.<idx + 1>: the 802.1X BSSes report 127.0.0.1) into
 * @addr, and its Disconnect-Request port (das_port + radios + @idx).
 * `avecctl provision` registers it in the store's NAS table.
 */
void render_psk_nas(const struct school *s, unsigned idx, char name[64],
		    char addr[16], unsigned *das_port);

/*
 * render_bss_name - the interface of an extra BSS of radio @iface: the
 * onboarding one with @suffix "_ob", the PSK one with "_pk" (the radio's
 * name cut to fit IFNAMSIZ) into @out.
 */
void render_bss_name(const char *iface, const char *suffix, char out[16]);

/*
 * render_set_add - add file @path (relative) to @set, taking @data
 * (malloc'd, @len bytes): the set frees it, and frees it at once when this
 * fails.  For the renderers of other files (render_acme.c).  Returns 0 or
 * -1 (@err: out of memory).
 */
int render_set_add(struct render_set *set, const char *path, char *data,
		   size_t len, mode_t mode, bool secret, struct avec_err *err);

/*
 * render_acme - with portal.certificate: acme (s->portal_cert ==
 * SCHOOL_CERT_ACME), dehydrated's files into @out: etc/avec/acme/config
 * (the CA's directory URL, HTTP-01 answered by avecd from
 * RENDER_ACME_WELLKNOWN, its state in /var/lib/avec/acme, the contact
 * e-mail when given, the hook /usr/lib/avec/acme-hook that installs the
 * certificate as /etc/avec/portal.pem and .key and restarts avecd) and
 * etc/avec/acme/domains.txt (the portal's host).  With a provided
 * certificate, only a config that names no CA (renewals off).  The config is sourced by bash: a URL or e-mail with a
 * character that could break out of its quotes is refused.  Returns 0 or
 * -1 (@err names the profile key).
 */
int render_acme(const struct school *s, struct render_set *out,
		struct avec_err *err);

/* Where dehydrated leaves HTTP-01 answers and avecd reads them
 * (portal.acme_dir). */
#define RENDER_ACME_WELLKNOWN	"/var/lib/avec/acme-challenge"

/*
 * render_acme_dir - avecd's portal.acme_dir for @s: RENDER_ACME_WELLKNOWN
 * with ACME, NULL with a provided certificate (a constant: nothing to
 * free).  For avecd.yaml's portal section.
 */
const char *render_acme_dir(const struct school *s);

/* Wipe (secrets) and free every file of @set. */
void render_set_free(struct render_set *set);

/*
 * A file being rendered: text written to @f (open_memstream), wiped when
 * dropped.  render_text_open() starts one; render_text_add() closes it and
 * hands its text to a set as @path (the set frees it); render_text_drop()
 * wipes and frees it instead.  Each returns 0, or -1 with @err said.
 */
struct render_text {
	char *buf;
	size_t len;
	FILE *f;
};
int render_text_open(struct render_text *t, struct avec_err *err);
int render_text_add(struct render_text *t, struct render_set *set,
		    const char *path, mode_t mode, bool secret,
		    struct avec_err *err);
void render_text_drop(struct render_text *t);

/*
 * render_net - the network's and the management side's files of @s into
 * @out (render_net.c): dnsmasq.conf and firewall.nft under etc/avec/,
 * the sysctl, systemd-networkd's files of the bridges and, with a
 * management block, of the management interface, timesyncd's, sshd's and
 * the administrators' keys; journald's and rsyslog's always.  None holds
 * a secret; @p gives the RADIUS ports.  As render_all(), which calls
 * it.
 */
int render_net(const struct school *s, const struct render_paths *p,
	       struct render_set *out, struct avec_err *err);

/* The paths of the two files `avecctl provision` checks and shows. */
#define RENDER_DNSMASQ	"etc/avec/dnsmasq.conf"
#define RENDER_FIREWALL	"etc/avec/firewall.nft"

#endif
