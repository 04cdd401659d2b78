/*
 * cmd_nas.c - "avecctl nas": the authenticators (access points, hostapd,
 * controllers) whose Dynamic Authorization Server AVEC may ask to end a
 * session (RFC 5176 Disconnect-Request) when a device or an account is
 * revoked.
 *
 * This file owns the checks of a NAS's name, its addresses and its DAS
 * shared secret, and how the NAS are shown.  The secret is read from a
 * file or from stdin, never from argv (ps and /proc show argv to every
 * user), is refused when weak (short or of little variety), goes to the
 * store and nowhere else: listings print it as [REMOVED], errors never
 * quote it, and every buffer that held it is wiped before return.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "avec/secret.h"
#include "avec/store_nas.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"
#include "das/das.h"

#define SECRET_VARIETY_MIN	8	/* distinct characters */

static int run_add(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);
static int run_remove(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_nas_cmds[] = {
	{ "add", run_add,
	  "nas add NAME --nas-address ADDR --das ADDR[:PORT] "
	  "--secret-file FILE|-",
	  "Register an authenticator whose DAS (RFC 5176) ends sessions on\n"
	  "request.  --nas-address is the NAS-IP-Address it sends in its\n"
	  "accounting (how its sessions are found); --das is where its DAS\n"
	  "listens (an IP address, port 3799 unless given; IPv6 as\n"
	  "[ADDR]:PORT).  The shared secret is read from FILE, or from stdin\n"
	  "with '-', first line: 16 to 128 printable characters, at least 8\n"
	  "of them different.  It is never taken from the command line and\n"
	  "never shown again.\n"
	  "Exit status 1 when a NAS of that name or NAS address exists." },
	{ "list", run_list, "nas list [--json]",
	  "The authenticators AVEC can disconnect sessions on (secrets are\n"
	  "shown as [REMOVED])." },
	{ "remove", run_remove, "nas remove NAME",
	  "Forget an authenticator: its sessions are no longer disconnected\n"
	  "on a revocation (they are still refused at their next\n"
	  "authentication)." },
	{ NULL, NULL, NULL, NULL },
};

/* A NAS name: 1 to 63 of A-Z a-z 0-9 . _ -, starting with a letter or
 * digit. */
static bool
name_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > AVEC_NAS_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');

		if (!alnum && (i == 0 || (ch != '.' && ch != '_' &&
					  ch != '-')))
			return false;
	}
	return true;
}

/* An IPv4 or IPv6 literal, copied canonical into @out. */
static bool
ip_ok(const char *s, char *out, size_t outlen)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)outlen) != NULL;
	if (inet_pton(AF_INET6, s, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)outlen) != NULL;
	return false;
}

/* "A", "A:PORT", "V6", "[V6]", "[V6]:PORT" into the record. */
static int
parse_das(const char *s, struct avec_nas_rec *n)
{
	char host[AVEC_NAS_ADDR_MAX + 3];
	const char *port = NULL, *colon;
	int64_t p = AVEC_DAS_PORT;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL)
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
	} else if ((colon = strchr(s, ':')) != NULL &&
		   strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		port = colon + 1;
	} else {
		if (strlen(s) >= sizeof(host))
			return -1;
		snprintf(host, sizeof(host), "%s", s);
	}
	if (!ip_ok(host, n->das_address, sizeof(n->das_address)))
		return -1;
	if (port != NULL && ctl_parse_num("DAS port", port, 1, 65535, &p) < 0)
		return -2;
	n->das_port = (uint16_t)p;
	return 0;
}

/*
 * read_secret - the first line of @path ("-": stdin) into @out (size
 * AVEC_NAS_SECRET_MAX + 1), its line end removed.  Prints the error and
 * returns an exit code, or CTL_OK.  Never quotes the secret.
 */
static int
read_secret(const char *path, char *out)
{
	char buf[AVEC_NAS_SECRET_MAX + 3];
	unsigned char seen[256];
	FILE *f;
	size_t len, i, variety = 0;
	int code = CTL_OK;

	memset(buf, 0, sizeof(buf));
	if (strcmp(path, "-") == 0) {
		f = stdin;
	} else if ((f = fopen(path, "re")) == NULL) {
		return ctl_fail(CTL_IO, "cannot read the secret file %s: %s",
				path, strerror(errno));
	}
	/* no stdio buffer of ours keeps a copy */
	setvbuf(f, NULL, _IONBF, 0);
	if (fgets(buf, sizeof(buf), f) == NULL) {
		code = ctl_fail(CTL_USAGE, "the DAS secret is empty");
		goto out;
	}
	len = strcspn(buf, "\r\n");
	if (len > AVEC_NAS_SECRET_MAX) {
		code = ctl_fail(CTL_USAGE, "the DAS secret is longer than %d "
				"characters", AVEC_NAS_SECRET_MAX);
		goto out;
	}
	buf[len] = '\0';
	if (len < AVEC_NAS_SECRET_MIN) {
		code = ctl_fail(CTL_USAGE, "the DAS secret is too short: at "
				"least %d characters", AVEC_NAS_SECRET_MIN);
		goto out;
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch < 0x21 || ch > 0x7e) {
			code = ctl_fail(CTL_USAGE, "the DAS secret must be "
					"printable ASCII without spaces");
			goto out;
		}
		if (!seen[ch]++)
			variety++;
	}
	if (variety < SECRET_VARIETY_MIN) {
		code = ctl_fail(CTL_USAGE, "the DAS secret is too weak: at "
				"least %d different characters",
				SECRET_VARIETY_MIN);
		goto out;
	}
	memcpy(out, buf, len + 1);
out:
	avec_secret_wipe(buf, sizeof(buf));
	avec_secret_wipe(seen, sizeof(seen));
	if (f != stdin)
		fclose(f);
	return code;
}

static int
run_add(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nas-address", required_argument, NULL, 'n' },
		{ "das", required_argument, NULL, 'D' },
		{ "secret-file", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_nas_cmds[0];
	struct avec_err err = { { 0 } };
	struct avec_nas_rec n;
	struct avec_store *st;
	const char *nas_s = NULL, *das_s = NULL, *secret_path = NULL;
	char safe[48];
	int64_t id = 0;
	int ch, rc, code;

	memset(&n, 0, sizeof(n));
	while ((ch = ctl_getopt(cmd, argc, argv, "n:D:s:h", longopts)) != -1) {
		switch (ch) {
		case 'n':
			nas_s = optarg;
			break;
		case 'D':
			das_s = optarg;
			break;
		case 's':
			secret_path = optarg;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "nas add needs one NAME");
	if (!name_ok(argv[optind]))
		return ctl_fail(CTL_USAGE, "invalid NAS name '%s': expected 1 "
				"to %d of A-Z a-z 0-9 . _ -",
				avec_text_safe(argv[optind], safe,
					       sizeof(safe)),
				AVEC_NAS_NAME_MAX);
	snprintf(n.name, sizeof(n.name), "%s", argv[optind]);
	if (nas_s == NULL || das_s == NULL || secret_path == NULL)
		return ctl_usage_fail(cmd, "nas add needs --nas-address, --das "
				      "and --secret-file");
	if (!ip_ok(nas_s, n.nas_address, sizeof(n.nas_address)))
		return ctl_fail(CTL_USAGE, "invalid --nas-address '%s': "
				"expected an IPv4 or IPv6 address",
				avec_text_safe(nas_s, safe, sizeof(safe)));
	rc = parse_das(das_s, &n);
	if (rc == -1)
		return ctl_fail(CTL_USAGE, "invalid --das '%s': expected "
				"ADDR[:PORT] with an IP address",
				avec_text_safe(das_s, safe, sizeof(safe)));
	if (rc < 0)
		return CTL_USAGE;
	if ((code = read_secret(secret_path, n.das_secret)) != CTL_OK)
		goto out;

	if ((st = ctl_store(c, false)) == NULL) {
		code = CTL_IO;
		goto out;
	}
	rc = avec_store_nas_add(st, &n, &id, &err);
	if (rc == AVEC_STORE_EXISTS) {
		code = ctl_fail(CTL_USAGE, "%s", err.msg);
		goto out;
	}
	if (rc != 0) {
		code = ctl_fail(CTL_IO, "%s", err.msg);
		goto out;
	}
	ctl_note(c, "NAS %s added: sessions from %s are disconnected "
		 "through %s port %u", n.name, n.nas_address, n.das_address,
		 (unsigned)n.das_port);
	code = CTL_OK;
out:
	avec_secret_wipe(&n, sizeof(n));
	return code;
}

struct list_ctx {
	bool json;
	struct avec_json j;
	struct ctl_table t;
};

static int
list_one(const struct avec_nas_rec *n, void *arg)
{
	struct list_ctx *lc = arg;
	char das[AVEC_NAS_ADDR_MAX + 16];
	const char *cells[4];
	bool v6 = strchr(n->das_address, ':') != NULL;

	if (lc->json) {
		avec_json_obj_begin(&lc->j, NULL);
		avec_json_int(&lc->j, "id", n->id);
		avec_json_str(&lc->j, "name", n->name);
		avec_json_str(&lc->j, "nas_address", n->nas_address);
		avec_json_str(&lc->j, "das_address", n->das_address);
		avec_json_int(&lc->j, "das_port", n->das_port);
		avec_json_str(&lc->j, "secret", "[REMOVED]");
		avec_json_obj_end(&lc->j);
		return 0;
	}
	snprintf(das, sizeof(das), "%s%s%s:%u", v6 ? "[" : "",
		 n->das_address, v6 ? "]" : "", (unsigned)n->das_port);
	cells[0] = n->name;
	cells[1] = n->nas_address;
	cells[2] = das;
	cells[3] = "[REMOVED]";
	return ctl_table_add(&lc->t, cells) < 0 ? -1 : 0;
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"NAME", "NAS-ADDRESS", "DAS", "SECRET",
	};
	const struct ctl_cmd *cmd = &ctl_nas_cmds[1];
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	struct list_ctx lc;
	int rc;

	memset(&lc, 0, sizeof(lc));
	if ((rc = ctl_json_opts(cmd, argc, argv, 0, 0, &lc.json)) >= 0)
		return rc;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = ctl_list_begin(lc.json, &lc.j, &lc.t, 4, headers)) != CTL_OK)
		return rc;
	rc = avec_store_nas_list(st, list_one, &lc, &err);
	return ctl_list_end(lc.json, &lc.j, &lc.t, rc, &err, "the NAS");
}

static int
run_remove(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_nas_cmds[2];
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	char safe[48];
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "nas remove needs one NAME");
	if (!name_ok(argv[optind]))
		return ctl_fail(CTL_USAGE, "invalid NAS name '%s'",
				avec_text_safe(argv[optind], safe,
					       sizeof(safe)));
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_store_nas_remove(st, argv[optind], &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no NAS %s", argv[optind]);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "NAS %s removed", argv[optind]);
	return CTL_OK;
}
