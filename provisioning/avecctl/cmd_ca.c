/*
 * cmd_ca.c - "avecctl ca": the appliance CA and the RADIUS server
 * certificate.
 *
 * All of the cryptography and every file is ca/ca.c's; this command
 * chooses the server name, reports what was created and what already
 * existed, and describes the certificates.  It must never replace an
 * existing CA or server key (ca.c refuses to), and never reads the CA's
 * private key just to show the certificates.
 */
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "avec/ident.h"
#include "avecctl.h"
#include "ca/ca.h"
#include "common/json.h"

#define DEFAULT_SERVER_NAME "avec"

static int run_init(struct ctl *c, int argc, char **argv);
static int run_show(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_ca_cmds[] = {
	{ "init", run_init, "ca init [--server-name NAME]",
	  "Create, in the CA directory (--ca-dir, $AVEC_CA_DIR), what is\n"
	  "missing of: the CA (ca.pem, ca.key) and the RADIUS server\n"
	  "certificate (server.pem, server.key) for the DNS name NAME (default:\n"
	  "this host's name).  Existing files are never replaced; running it\n"
	  "again changes nothing." },
	{ "show", run_show, "ca show [--json]",
	  "Subject, serial, SHA-256 fingerprint and validity of the CA and\n"
	  "server certificates." },
	{ NULL, NULL, NULL, NULL },
};

/* This host's name if it is a DNS name, else DEFAULT_SERVER_NAME. */
static const char *
default_server_name(char *buf, size_t len)
{
	if (gethostname(buf, len) == 0) {
		buf[len - 1] = '\0';
		if (avec_dns_name_valid(buf))
			return buf;
	}
	return DEFAULT_SERVER_NAME;
}

static int
run_init(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server-name", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_ca_cmds[0];
	struct avec_err err = { { 0 } };
	struct avec_ca_certinfo info;
	char host[HOST_NAME_MAX + 1], path[PATH_MAX];
	const char *name = NULL;
	unsigned created = 0;
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "s:h", longopts)) != -1) {
		switch (ch) {
		case 's':
			name = optarg;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc != optind)
		return ctl_usage_fail(cmd, "ca init takes no argument");
	if (name == NULL)
		name = default_server_name(host, sizeof(host));
	else if (!avec_dns_name_valid(name))
		return ctl_fail(CTL_USAGE, "invalid server name: expected a "
				"DNS name such as radius.lycee.example");
	if (avec_ca_init(c->ca_dir, name, &created, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);

	ctl_note(c, "CA %s in %s", (created & AVEC_CA_CREATED_CA) ?
		 "created" : "already present", c->ca_dir);
	if (created & AVEC_CA_CREATED_SERVER) {
		ctl_note(c, "server certificate created for %s", name);
	} else {
		snprintf(path, sizeof(path), "%s/%s", c->ca_dir,
			 AVEC_CA_SERVER_CERT_FILE);
		if (avec_ca_certinfo_file(path, &info, &err) < 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		ctl_note(c, "server certificate already present (%s)",
			 info.subject);
	}
	return CTL_OK;
}

static void
show_text(const char *title, const struct avec_ca_certinfo *i)
{
	char t1[32], t2[32];

	printf("%s\n", title);
	printf("  subject:     %s\n", i->subject);
	printf("  issuer:      %s\n", i->issuer);
	printf("  serial:      %s\n", i->serial);
	printf("  sha256:      %s\n", i->fingerprint);
	printf("  valid from:  %s\n", ctl_time(i->not_before, t1, sizeof(t1)));
	printf("  expires:     %s\n", ctl_time(i->not_after, t2, sizeof(t2)));
}

static void
show_json(struct avec_json *j, const char *key, const char *path,
	  const struct avec_ca_certinfo *i)
{
	avec_json_obj_begin(j, key);
	avec_json_str(j, "path", path);
	avec_json_str(j, "subject", i->subject);
	avec_json_str(j, "issuer", i->issuer);
	avec_json_str(j, "serial", i->serial);
	avec_json_str(j, "fingerprint", i->fingerprint);
	avec_json_int(j, "not_before", i->not_before);
	avec_json_int(j, "not_after", i->not_after);
	avec_json_obj_end(j);
}

static int
run_show(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = &ctl_ca_cmds[1];
	struct avec_err err = { { 0 } };
	struct avec_ca_certinfo ca, srv;
	char ca_path[PATH_MAX], srv_path[PATH_MAX];
	struct avec_json j;
	bool json = false, have_srv;
	int ch;

	if ((ch = ctl_json_opts(cmd, argc, argv, 0, 0, &json)) >= 0)
		return ch;
	snprintf(ca_path, sizeof(ca_path), "%s/%s", c->ca_dir,
		 AVEC_CA_CERT_FILE);
	snprintf(srv_path, sizeof(srv_path), "%s/%s", c->ca_dir,
		 AVEC_CA_SERVER_CERT_FILE);
	if (access(ca_path, F_OK) < 0)
		return ctl_fail(CTL_NOTFOUND, "no CA in %s (run 'avecctl ca "
				"init')", c->ca_dir);
	if (avec_ca_certinfo_file(ca_path, &ca, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	have_srv = access(srv_path, F_OK) == 0;
	if (have_srv && avec_ca_certinfo_file(srv_path, &srv, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);

	if (json) {
		avec_json_init(&j, stdout);
		avec_json_obj_begin(&j, NULL);
		show_json(&j, "ca", ca_path, &ca);
		if (have_srv)
			show_json(&j, "server", srv_path, &srv);
		else
			avec_json_null(&j, "server");
		avec_json_obj_end(&j);
		avec_json_finish(&j);
		return CTL_OK;
	}
	show_text("CA", &ca);
	if (have_srv)
		show_text("server", &srv);
	else
		printf("server\n  (none: run 'avecctl ca init')\n");
	return CTL_OK;
}
