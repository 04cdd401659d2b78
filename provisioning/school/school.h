/*
 * school.h - the school profile: one YAML file that says how one lycée's
 * appliance is set up (identity, SSIDs, radios, VLANs, RADIUS clients, the
 * ENT's CAS, the portal's name, radio off hours, the onboarding network,
 * the gateway VLANs, the management side).  Described field by field in
 * docs/school-profile.md; `avecctl provision` renders it (render.h).
 */
#ifndef AVEC_SCHOOL_H
#define AVEC_SCHOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avec/model.h"

#define SCHOOL_MAX_RADIOS	8
#define SCHOOL_MAX_AUTH		64
#define SCHOOL_SECRET_MIN	16	/* bytes */
#define SCHOOL_SECRET_MAX	128	/* bytes (RADIUS allows more; we do not) */
#define SCHOOL_IFNAME_MAX	15	/* IFNAMSIZ - 1 */
#define SCHOOL_MAX_GARDEN	16
#define SCHOOL_MAX_NTP		4
#define SCHOOL_MAX_MGMT_NETS	8
#define SCHOOL_MAX_SSH_KEYS	16
#define SCHOOL_MAX_DNS		4

struct school_prefix {		/* an address with its prefix length */
	int family;		/* AF_INET or AF_INET6; 0: not set */
	unsigned char addr[16];
	unsigned len;
};

enum school_cert { SCHOOL_CERT_PROVIDED = 0, SCHOOL_CERT_ACME };
enum school_addr_mode {
	SCHOOL_ADDR_OFF = 0, SCHOOL_ADDR_DHCP, SCHOOL_ADDR_AUTO,
	SCHOOL_ADDR_STATIC
};

enum school_band {
	SCHOOL_BAND_2G = 0,	/* 2.4 GHz, hw_mode=g */
	SCHOOL_BAND_5G,		/* 5 GHz, hw_mode=a */
};

/* One radio of the appliance, run by its own hostapd. */
struct school_radio {
	char iface[SCHOOL_IFNAME_MAX + 1];
	char country[3];		/* ISO 3166 alpha-2, upper case */
	enum school_band band;
	unsigned channel;
	uint16_t das_port;		/* hostapd's Disconnect-Request port */
	struct avec_window off[AVEC_WINDOWS_MAX];	/* radio off hours */
	uint8_t noff;
};

/* An external access point or controller: a RADIUS client of ours. */
struct school_auth {
	char name[33];			/* [a-z0-9-], for clients.conf */
	char address[50];		/* IPv4/IPv6 address, optional /prefix */
	char *secret;			/* owned, wiped by school_free() */
	uint16_t das_port;		/* 0: the NAS takes no Disconnect */
};

struct school {
	char uai[9];
	char name[129];
	char timezone[16];		/* "Europe/Paris" only, for now */
	char ssid_secure[33];
	char ssid_onboarding[33];
	char ssid_psk[33];		/* "": no PSK network */
	char uplink[SCHOOL_IFNAME_MAX + 1];	/* VLAN trunk to the network */
	uint16_t vlan_onboarding;
	uint16_t vlan[AVEC_ROLE__COUNT];	/* 0: role not on the Wi-Fi */
	char cas_url[257];
	char ent_import_dir[256];	/* AAF files dropped here; "" = none */
	char portal_host[254];
	char support_url[257];		/* "" = none */
	char support_email[128];	/* "" = none */
	char radius_name[254];		/* RADIUS server certificate's name */
	char *radios_secret;		/* hostapd <-> FreeRADIUS on 127.0.0.1;
					 * NULL: its file is still to make */
	char radios_secret_file[256];	/* as written ("" when inline) */
	uint16_t radios_das_port;	/* first radio's; radio i: + i */
	struct school_radio radios[SCHOOL_MAX_RADIOS];
	unsigned nradios;
	struct school_auth auth[SCHOOL_MAX_AUTH];
	unsigned nauth;

	/* the onboarding network: always served by the appliance */
	struct school_prefix onboarding_addr;	/* the appliance on br-onboarding */
	unsigned onboarding_lease;		/* seconds */
	char garden[SCHOOL_MAX_GARDEN][254];	/* walled garden names, the CAS
						 * host first, lower case */
	unsigned ngarden;
	/* the roles' VLANs whose gateway the appliance is */
	struct school_prefix gateway[AVEC_ROLE__COUNT];	/* family 0: the
							 * school's router */
	unsigned gateway_lease[AVEC_ROLE__COUNT];	/* seconds */

	/* the management side */
	bool mgmt;				/* a management block was given */
	char mgmt_iface[SCHOOL_IFNAME_MAX + 1];	/* network.uplink by default,
						 * also without the block */
	enum school_addr_mode mgmt_v4, mgmt_v6;
	struct school_prefix mgmt_addr4, mgmt_addr6;
	struct school_prefix mgmt_gw4, mgmt_gw6;	/* len unused */
	struct school_prefix mgmt_dns[SCHOOL_MAX_DNS];
	unsigned nmgmt_dns;
	char ntp[SCHOOL_MAX_NTP][254];
	unsigned nntp;
	struct school_prefix mgmt_nets[SCHOOL_MAX_MGMT_NETS];	/* host bits 0 */
	unsigned nmgmt_nets;
	char *ssh_keys[SCHOOL_MAX_SSH_KEYS];	/* owned: school_free() */
	unsigned nssh_keys;
	uint16_t admin_port;			/* 0: no admin door on TCP */
	char log_proto[4];			/* "udp", "tcp"; "": none */
	char log_host[254];			/* a name or an address */
	uint16_t log_port;

	/* the portal's certificate */
	enum school_cert portal_cert;
	char acme_url[257];			/* "" unless ACME */
	char acme_email[128];			/* "" = none */
};

/* Every problem found in a profile, each "FILE:LINE:COL: message". */
struct school_errors {
	unsigned n;
	char **msg;		/* n strings, owned: school_errors_free() */
};
void school_errors_free(struct school_errors *e);

/*
 * school_parse - read the school profile at @path into @s.
 * @name: the file's name in messages (NULL: @path)
 * @root: the directory that secret_file paths are relative to ("/" on the
 *        appliance, a staging root in tests; NULL means "/")
 * @s: filled on success; on failure left cleared.  Holds secrets: the
 *     caller releases it with school_free() in every case.
 * @errs: every error found; the caller frees it with school_errors_free()
 *        in every case.  Messages never quote a secret.
 * Returns: 0, or -1 if anything is wrong (the profile is refused whole).
 */
int school_parse(const char *path, const char *name, const char *root,
		 struct school *s, struct school_errors *errs);
/* The same from @len bytes at @buf (need not be NUL-terminated). */
int school_parse_buf(const char *buf, size_t len, const char *name,
		     const char *root, struct school *s,
		     struct school_errors *errs);

/* Wipe and free the secrets of @s, free its SSH keys and clear it.  NULL
 * is allowed. */
void school_free(struct school *s);

/*
 * school_secret_weak - why the shared secret @s (of @len bytes) is too
 * weak, or NULL when it is acceptable: at least SCHOOL_SECRET_MIN bytes,
 * printable ASCII, at least 10 distinct characters and three of the four
 * classes (lower, upper, digit, other).
 */
const char *school_secret_weak(const char *s, size_t len);

/* The hostapd bridge for role @r or the onboarding network: "br-student". */
const char *school_role_bridge(enum avec_role r);
#define SCHOOL_ONBOARDING_BRIDGE "br-onboarding"

#endif
