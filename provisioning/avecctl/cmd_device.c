/*
 * cmd_device.c - "avecctl device": registering devices with a fresh
 * credential, listing them, revoking them.
 *
 * This file owns the command's side of a registration: its arguments, its
 * exit codes, and for EAP-TLS the files under --out.  The registration
 * itself (checks, credential, the store's quota transaction) is
 * provisioning/enrol, shared with avecd.  A certificate whose files cannot
 * be written is revoked at once.
 *
 * It must never let a secret out other than as the command's result on
 * stdout: a TTLS/PEAP secret or a PKCS#12 password is printed once there,
 * never to stderr, and every buffer that held one is wiped before return
 * (including the --p12-password argument, wiped in argv).  Only the hash
 * of a secret reaches the store.
 */
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avec/ident.h"
#include "avec/policy.h"
#include "avec/secret.h"
#include "avecctl.h"
#include "ca/ca.h"
#include "common/json.h"
#include "common/text.h"
#include "enrol/enrol.h"

#define P12_PASSWORD_MIN	8
#define DEFAULT_REASON		"revoked by an administrator"

static int run_add(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);
static int run_revoke(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_device_cmds[] = {
	{ "add", run_add,
	  "device add PRINCIPAL --name NAME --type tls|ttls|peap|psk "
	  "[--mac MAC] [--out DIR] [--p12-password PW] [--json]",
	  "Register a device for PRINCIPAL with a new credential, shown once.\n"
	  "  ttls, peap  a username and a random secret, printed on stdout;\n"
	  "              only a hash of the secret is stored.\n"
	  "  psk         for a device without 802.1X: a WPA key of its own,\n"
	  "              printed on stdout, for the PSK network; the device\n"
	  "              is known by its MAC address (--mac, required).\n"
	  "  tls         a client certificate from the appliance CA (created\n"
	  "              if missing), written to DIR (default: the current\n"
	  "              directory) as USERNAME.pem, USERNAME.key (0600) and\n"
	  "              USERNAME.p12 (0600), protected by PW or by a generated\n"
	  "              password printed on stdout.\n"
	  "Exit status 3 when the account's role does not allow it, or the\n"
	  "account already has its maximum of active devices." },
	{ "list", run_list, "device list [PRINCIPAL] [--json]",
	  "Devices of PRINCIPAL, or of every account, oldest first." },
	{ "revoke", run_revoke,
	  "device revoke ID [--reason TEXT] [--no-disconnect]",
	  "Revoke an active device: its credential is refused from now on.\n"
	  "Then each of its open sessions is ended with a Disconnect-Request\n"
	  "(RFC 5176) to the NAS it came from ('avecctl nas add'), unless\n"
	  "--no-disconnect; each outcome is printed and recorded.  A failed\n"
	  "disconnection is reported on stderr but is not an error: the exit\n"
	  "status is 0 once the revocation is committed." },
	{ NULL, NULL, NULL, NULL },
};

struct add_req {
	const char *principal;
	const char *name;
	enum avec_cred_type type;
	const char *mac;
	const char *out;
	bool json;
	bool pw_given;
	char pw[AVEC_CA_P12_PASSWORD_MAX + 1];	/* wiped by run_add */
};

/* The exit code for a registration refused with @rc. */
static int
refused(const struct add_req *r, int rc, const struct avec_err *err)
{
	switch (rc) {
	case AVEC_STORE_QUOTA:
	case AVEC_STORE_REFUSED:
		return ctl_fail(CTL_REFUSED, "%s", err->msg);
	case AVEC_STORE_NOTFOUND:
		return ctl_fail(CTL_NOTFOUND, "no account %s", r->principal);
	default:
		return ctl_fail(CTL_IO, "%s", err->msg);
	}
}

/*
 * TTLS or PEAP: a username and a secret, of which the store keeps a hash.
 * PSK: the device's key, for its MAC address.
 */
static int
add_secret(struct ctl *c, struct avec_store *st, const struct add_req *r,
	   const struct avec_policy *pol)
{
	struct avec_err err = { { 0 } };
	struct avec_enrol e = { .principal = r->principal, .name = r->name,
				.type = r->type, .mac = r->mac };
	bool psk = r->type == AVEC_CRED_PSK;
	char mac[AVEC_MAC_STRLEN + 1] = "";
	int rc;

	rc = avec_enrol_register(st, NULL, pol, &e, (int64_t)time(NULL), &err);
	if (rc != 0)
		return refused(r, rc, &err);
	if (psk)
		(void)avec_mac_normalize(r->mac, mac);

	/* The one place the secret is shown: stdout, once. */
	if (r->json) {
		struct avec_json j;

		avec_json_init(&j, stdout);
		avec_json_obj_begin(&j, NULL);
		avec_json_int(&j, "id", e.id);
		avec_json_str(&j, "username", e.username);
		avec_json_str(&j, psk ? "psk" : "secret", e.secret);
		avec_json_str(&j, "type", avec_cred_type_name(r->type));
		if (psk)
			avec_json_str(&j, "mac", mac);
		avec_json_obj_end(&j);
		avec_json_finish(&j);
	} else {
		ctl_note(c, "device %" PRId64 " added for %s (%s)", e.id,
			 r->principal, avec_cred_type_name(r->type));
		printf("username: %s\n", e.username);
		if (psk) {
			printf("mac:      %s\n", mac);
			printf("psk:      %s\n", e.secret);
		} else {
			printf("secret:   %s\n", e.secret);
		}
	}
	fflush(stdout);
	avec_enrol_clear(&e);
	return CTL_OK;
}

struct tls_paths {
	char cert[PATH_MAX];
	char key[PATH_MAX];
	char p12[PATH_MAX];
};

static int
make_paths(struct tls_paths *p, const char *dir, const char *username)
{
	int a, b, d;

	a = snprintf(p->cert, sizeof(p->cert), "%s/%s.pem", dir, username);
	b = snprintf(p->key, sizeof(p->key), "%s/%s.key", dir, username);
	d = snprintf(p->p12, sizeof(p->p12), "%s/%s.p12", dir, username);
	if (a < 0 || b < 0 || d < 0 || (size_t)a >= sizeof(p->cert) ||
	    (size_t)b >= sizeof(p->key) || (size_t)d >= sizeof(p->p12))
		return -1;
	return 0;
}

/* The credential of a registered device, as PEM pair and PKCS#12; on
 * failure nothing is left on disk. */
static int
write_files(struct avec_ca *ca, const struct avec_enrol *e, const char *pw,
	    const struct tls_paths *p, struct avec_err *err)
{
	if (avec_ca_cred_write_pem(e->cred, p->cert, p->key, err) < 0)
		return -1;
	if (avec_ca_cred_write_p12(e->cred, ca, p->p12, pw, e->username,
				   err) < 0) {
		unlink(p->key);
		unlink(p->cert);
		return -1;
	}
	return 0;
}

/* EAP-TLS: a certificate from the appliance CA, in files under --out.  A
 * device whose files cannot be written is revoked at once. */
static int
add_tls(struct ctl *c, struct avec_store *st, struct add_req *r,
	const struct avec_policy *pol)
{
	struct avec_err err = { { 0 } };
	struct avec_enrol e = { .principal = r->principal, .name = r->name,
				.type = r->type };
	struct avec_ca *ca = NULL;
	struct tls_paths p;
	char dir[PATH_MAX], t[32];
	unsigned created = 0;
	int rc, code;

	if (realpath(r->out, dir) == NULL)
		return ctl_fail(CTL_IO, "cannot use --out %s: %s", r->out,
				strerror(errno));
	if (!r->pw_given && avec_secret_generate(r->pw, sizeof(r->pw)) < 0)
		return ctl_fail(CTL_IO, "the random source failed");
	if (avec_ca_init(c->ca_dir, NULL, &created, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if ((created & AVEC_CA_CREATED_CA) && !r->json)
		ctl_note(c, "CA created in %s", c->ca_dir);
	if ((ca = avec_ca_open(c->ca_dir, &err)) == NULL)
		return ctl_fail(CTL_IO, "%s", err.msg);

	rc = avec_enrol_register(st, ca, pol, &e, (int64_t)time(NULL), &err);
	if (rc != 0) {
		code = refused(r, rc, &err);
		goto out;
	}
	if (make_paths(&p, dir, e.username) < 0 ||
	    write_files(ca, &e, r->pw, &p, &err) < 0) {
		struct avec_err rerr = { { 0 } };

		if (err.msg[0] == '\0')
			avec_err_set(&err, "--out path is too long");
		avec_store_device_revoke(st, e.id, "credential files could "
					 "not be written", (int64_t)time(NULL),
					 &rerr);
		code = ctl_fail(CTL_IO, "%s (device %" PRId64 " revoked)",
				err.msg, e.id);
		goto out;
	}

	if (r->json) {
		struct avec_json j;

		avec_json_init(&j, stdout);
		avec_json_obj_begin(&j, NULL);
		avec_json_int(&j, "id", e.id);
		avec_json_str(&j, "username", e.username);
		avec_json_str(&j, "type", avec_cred_type_name(r->type));
		avec_json_str(&j, "serial", e.info.serial);
		avec_json_str(&j, "fingerprint", e.info.fingerprint);
		avec_json_int(&j, "expires_at", e.info.not_after);
		avec_json_str(&j, "cert", p.cert);
		avec_json_str(&j, "key", p.key);
		avec_json_str(&j, "p12", p.p12);
		avec_json_str(&j, "p12_password", r->pw);
		avec_json_obj_end(&j);
		avec_json_finish(&j);
	} else {
		ctl_note(c, "device %" PRId64 " added for %s (tls)", e.id,
			 r->principal);
		printf("username:     %s\n", e.username);
		printf("serial:       %s\n", e.info.serial);
		printf("fingerprint:  %s\n", e.info.fingerprint);
		printf("expires:      %s\n", ctl_time(e.info.not_after, t,
						      sizeof(t)));
		printf("certificate:  %s\n", p.cert);
		printf("key:          %s\n", p.key);
		printf("pkcs12:       %s\n", p.p12);
		if (!r->pw_given)
			printf("p12 password: %s\n", r->pw);
	}
	fflush(stdout);
	code = CTL_OK;
out:
	avec_enrol_clear(&e);
	avec_ca_close(ca);
	return code;
}

/* A PKCS#12 password people can type on a phone: printable ASCII. */
static bool
p12_password_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len < P12_PASSWORD_MIN || len > AVEC_CA_P12_PASSWORD_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

static int
run_add(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "mac", required_argument, NULL, 'm' },
		{ "out", required_argument, NULL, 'o' },
		{ "p12-password", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_device_cmds[0];
	struct add_req r;
	struct avec_policy pol;
	struct avec_store *st;
	const char *type_s = NULL;
	bool pw_bad = false;
	struct stat sb;
	char safe[24];
	int ch, code;

	memset(&r, 0, sizeof(r));
	r.out = ".";
	while ((ch = ctl_getopt(cmd, argc, argv, "n:t:m:o:p:jh",
				longopts)) != -1) {
		switch (ch) {
		case 'n':
			r.name = optarg;
			break;
		case 'm':
			r.mac = optarg;
			break;
		case 't':
			type_s = optarg;
			break;
		case 'o':
			r.out = optarg;
			break;
		case 'p':
			/* Keep a copy, then wipe it from argv (ps, /proc). */
			pw_bad = !p12_password_ok(optarg);
			snprintf(r.pw, sizeof(r.pw), "%s", optarg);
			avec_secret_wipe(optarg, strlen(optarg));
			r.pw_given = true;
			break;
		case 'j':
			r.json = true;
			break;
		case 'h':
			code = ctl_help(cmd);
			goto out;
		default:
			code = CTL_USAGE;
			goto out;
		}
	}
	if (argc - optind != 1) {
		code = ctl_usage_fail(cmd, "device add needs one PRINCIPAL");
		goto out;
	}
	r.principal = argv[optind];
	if (ctl_check_principal(r.principal) < 0) {
		code = CTL_USAGE;
		goto out;
	}
	if (r.name == NULL || type_s == NULL) {
		code = ctl_usage_fail(cmd, "device add needs --name and "
				      "--type");
		goto out;
	}
	if (!avec_device_name_valid(r.name)) {
		code = ctl_fail(CTL_USAGE, "invalid device name: expected 1 "
				"to %d bytes of UTF-8 text without control "
				"characters", AVEC_DEVICE_NAME_MAX);
		goto out;
	}
	if (avec_cred_type_parse(type_s, &r.type) < 0) {
		code = ctl_fail(CTL_USAGE, "unknown device type '%s': "
				"expected tls, ttls, peap or psk",
				avec_text_safe(type_s, safe, sizeof(safe)));
		goto out;
	}
	if ((r.type == AVEC_CRED_PSK) != (r.mac != NULL)) {
		code = ctl_fail(CTL_USAGE, r.mac ? "--mac is for psk devices "
				"only" : "a psk device needs --mac: the "
				"device's MAC address");
		goto out;
	}
	if (r.mac != NULL) {
		char mac[AVEC_MAC_STRLEN + 1];

		if (avec_mac_normalize(r.mac, mac) < 0 ||
		    !avec_mac_is_station(mac)) {
			code = ctl_fail(CTL_USAGE, "invalid --mac '%s': "
					"expected the address of one device, "
					"such as 02:00:00:00:01:00",
					avec_text_safe(r.mac, safe,
						       sizeof(safe)));
			goto out;
		}
	}
	if (r.type == AVEC_CRED_TLS) {
		/* files on the appliance, where --out says: not for the API */
		if (getenv("AVEC_API_SCOPE") != NULL) {
			code = ctl_fail(CTL_REFUSED, "EAP-TLS devices are "
					"added through the portal or on the "
					"appliance");
			goto out;
		}
		if (pw_bad) {
			code = ctl_fail(CTL_USAGE, "invalid --p12-password: "
					"expected %d to %d printable ASCII "
					"characters", P12_PASSWORD_MIN,
					AVEC_CA_P12_PASSWORD_MAX);
			goto out;
		}
		if (stat(r.out, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
			code = ctl_fail(CTL_USAGE, "--out %s is not a "
					"directory", r.out);
			goto out;
		}
	}

	if ((st = ctl_store(c, false)) == NULL) {
		code = CTL_IO;
		goto out;
	}
	{
		struct avec_err err = { { 0 } };
		int rc = avec_enrol_check(st, r.principal, r.type, &pol, &err);

		if (rc != 0) {
			code = refused(&r, rc, &err);
			goto out;
		}
	}
	if (r.type == AVEC_CRED_TLS)
		code = add_tls(c, st, &r, &pol);
	else
		code = add_secret(c, st, &r, &pol);
out:
	avec_secret_wipe(r.pw, sizeof(r.pw));
	return code;
}

struct list_ctx {
	bool json;
	int64_t now;
	struct avec_json j;
	struct ctl_table t;
};

/* The status as the decision sees it: an active device past its date is
 * expired even before anything rewrites its row. */
static const char *
effective_status(const struct avec_device_rec *d, int64_t now)
{
	if (d->d.status == AVEC_DEVICE_ACTIVE && d->d.expires_at != 0 &&
	    d->d.expires_at <= now)
		return avec_device_status_name(AVEC_DEVICE_EXPIRED);
	return avec_device_status_name(d->d.status);
}

static int
list_one(const struct avec_device_rec *d, void *arg)
{
	struct list_ctx *lc = arg;
	char id[24], created[32], expires[32], seen[32];
	const char *cells[9];
	bool tls = d->d.cred_type == AVEC_CRED_TLS;
	bool psk = d->d.cred_type == AVEC_CRED_PSK;

	if (lc->json) {
		struct avec_json *j = &lc->j;

		avec_json_obj_begin(j, NULL);
		avec_json_int(j, "id", d->d.id);
		avec_json_str(j, "owner", d->principal);
		avec_json_str(j, "name", d->name);
		avec_json_str(j, "type", avec_cred_type_name(d->d.cred_type));
		avec_json_str(j, "status", effective_status(d, lc->now));
		avec_json_time(j, "created_at", d->created_at);
		avec_json_time(j, "expires_at", d->d.expires_at);
		avec_json_time(j, "last_seen", d->last_seen);
		avec_json_str(j, "last_mac", d->last_mac[0] ? d->last_mac :
			      NULL);
		avec_json_str(j, "username", d->username);
		avec_json_str(j, "mac", psk ? d->mac : NULL);
		avec_json_str(j, "serial", tls ? d->cert_serial : NULL);
		avec_json_str(j, "fingerprint", tls ? d->cert_fingerprint :
			      NULL);
		avec_json_time(j, "revoked_at", d->revoked_at);
		avec_json_str(j, "revoke_reason", d->revoked_at ?
			      d->revoke_reason : NULL);
		avec_json_obj_end(j);
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, d->d.id);
	cells[0] = id;
	cells[1] = d->principal;
	cells[2] = d->name;
	cells[3] = avec_cred_type_name(d->d.cred_type);
	cells[4] = effective_status(d, lc->now);
	cells[5] = ctl_time(d->created_at, created, sizeof(created));
	cells[6] = ctl_time(d->d.expires_at, expires, sizeof(expires));
	cells[7] = ctl_time(d->last_seen, seen, sizeof(seen));
	cells[8] = tls ? d->cert_serial : psk ? d->mac : d->username;
	return ctl_table_add(&lc->t, cells) < 0 ? -1 : 0;
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"ID", "OWNER", "NAME", "TYPE", "STATUS", "CREATED", "EXPIRES",
		"LAST-SEEN", "USERNAME/SERIAL/MAC",
	};
	const struct ctl_cmd *cmd = &ctl_device_cmds[1];
	struct avec_err err = { { 0 } };
	struct avec_account_rec a;
	struct avec_store *st;
	struct list_ctx lc;
	const char *principal = NULL;
	int ch, rc;

	memset(&lc, 0, sizeof(lc));
	if ((ch = ctl_json_opts(cmd, argc, argv, 0, 1, &lc.json)) >= 0)
		return ch;
	if (argc - optind == 1) {
		principal = argv[optind];
		if (ctl_check_principal(principal) < 0)
			return CTL_USAGE;
	}
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (principal != NULL) {
		rc = avec_store_account_get(st, principal, &a, &err);
		if (rc == AVEC_STORE_NOTFOUND)
			return ctl_fail(CTL_NOTFOUND, "no account %s",
					principal);
		if (rc != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
	}
	lc.now = (int64_t)time(NULL);
	if ((rc = ctl_list_begin(lc.json, &lc.j, &lc.t, 9, headers)) != CTL_OK)
		return rc;
	rc = avec_store_device_list(st, principal, list_one, &lc, &err);
	return ctl_list_end(lc.json, &lc.j, &lc.t, rc, &err, "devices");
}

static int
run_revoke(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "no-disconnect", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_device_cmds[2];
	bool disconnect = true;
	struct avec_err err = { { 0 } };
	struct avec_device_rec d;
	struct avec_store *st;
	const char *reason = DEFAULT_REASON;
	char safe[AVEC_DEVICE_NAME_MAX + 1];
	int64_t id;
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "r:h", longopts)) != -1) {
		switch (ch) {
		case 'r':
			reason = optarg;
			break;
		case 'N':
			disconnect = false;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "device revoke needs one ID");
	if (ctl_parse_num("device id", argv[optind], 1, INT64_MAX, &id) < 0)
		return CTL_USAGE;
	if (!avec_text_valid(reason, AVEC_REASON_TEXT_MAX))
		return ctl_fail(CTL_USAGE, "invalid reason: expected 1 to %d "
				"bytes of UTF-8 text without control "
				"characters", AVEC_REASON_TEXT_MAX);
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_store_device_get(st, id, &d, &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no device %" PRId64, id);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (d.d.status != AVEC_DEVICE_ACTIVE)
		return ctl_fail(CTL_NOTFOUND, "device %" PRId64 " is not "
				"active (%s)", id,
				avec_device_status_name(d.d.status));
	rc = avec_store_device_revoke(st, id, reason, (int64_t)time(NULL),
				      &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no active device %" PRId64, id);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "device %" PRId64 " (%s of %s) revoked", id,
		 avec_text_safe(d.name, safe, sizeof(safe)), d.principal);
	if (disconnect)
		ctl_disconnect_device(c, id);
	return CTL_OK;
}
