/*
 * main.c - avecctl, the administrator's command line for an AVEC appliance.
 *
 * This file owns the global options (-d, --ca-dir, -q, the --api client's
 * options), their defaults from the environment, dispatching to a
 * command, and the program's exit: the store is closed and stdout flushed
 * before the status is returned.
 *
 * When avecd runs a command for its admin API, it gives the store and the
 * CA, then --api-child, then the caller's command and arguments.
 * --api-child ends the global options: nothing after it is read as one,
 * so a caller can name a command and its arguments and nothing else; the
 * command then runs here, never as an API client, under the caller's
 * scope ($AVEC_API_SCOPE, which avecd sets, and which means nothing
 * without --api-child), and audit.c refuses what the API may not do.
 *
 * stdout writes through a buffer of ours, which is wiped at exit: device
 * secrets and PKCS#12 passwords are deliberately printed there, once, and
 * must not linger in freed memory afterwards.  Nothing here ever writes a
 * secret to stderr.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/secret.h"
#include "avecctl.h"
#include "common/text.h"

struct group {
	const char *name;
	const struct ctl_cmd *cmds;
	bool single;		/* no subcommand: run cmds[0] */
};

static const struct group groups[] = {
	{ "init", ctl_init_cmds, true },
	{ "ca", ctl_ca_cmds, false },
	{ "account", ctl_account_cmds, false },
	{ "policy", ctl_policy_cmds, false },
	{ "device", ctl_device_cmds, false },
	{ "log", ctl_log_cmds, false },
	{ "settings", ctl_settings_cmds, false },
	{ "nas", ctl_nas_cmds, false },
	{ "ent", ctl_ent_cmds, false },
	{ "block", ctl_block_cmds, false },
	{ "report", ctl_report_cmds, false },
	{ "audit", ctl_audit_cmds, false },
	{ "token", ctl_token_cmds, false },
	{ "provision", ctl_provision_cmds, true },
	{ "status", ctl_status_cmds, true },
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static void
usage(FILE *f)
{
	const struct ctl_cmd *cmd;
	size_t i;

	fputs("usage: avecctl [-q] [-d DB] [--ca-dir DIR] COMMAND [ARGS...]\n"
	      "       avecctl --api URL [--token-file FILE] [--api-ca PEM] "
	      "COMMAND [ARGS...]\n"
	      "\n"
	      "Administration of an AVEC appliance: its store and CA, here or\n"
	      "through avecd's admin API.\n"
	      "\n"
	      "Options:\n"
	      "  -d, --db DB       the store (default: $AVEC_DB, else "
	      CTL_DEFAULT_DB ")\n"
	      "      --ca-dir DIR  the CA directory (default: $AVEC_CA_DIR, "
	      "else " CTL_DEFAULT_CA_DIR ")\n"
	      "  -q, --quiet       no confirmations, only results\n"
	      "      --api URL     run the command through avecd's admin API:\n"
	      "                    unix:/run/avec/admin.sock or https://HOST:PORT\n"
	      "                    (default: $AVEC_API)\n"
	      "      --token-file FILE  the API token for https (else "
	      "$AVEC_API_TOKEN)\n"
	      "      --api-ca PEM  the CA that signed the API's certificate\n"
	      "  -h, --help        this text; 'avecctl COMMAND -h' details "
	      "one command\n"
	      "\n"
	      "Commands:\n", f);
	for (i = 0; i < NGROUPS; i++)
		for (cmd = groups[i].cmds; cmd->name != NULL; cmd++)
			fprintf(f, "  avecctl %s\n", cmd->usage);
	fputs("\n"
	      "ROLE is student, teacher, staff or parent.  Every listing "
	      "takes --json.\n"
	      "Exit status: 0 done, 1 usage or invalid input, 2 not found,\n"
	      "3 refused by policy or quota, 4 store, CA or I/O failure.\n",
	      f);
}

int
main(int argc, char **argv)
{
	static char outbuf[8192];
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "ca-dir", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "api", required_argument, NULL, 'A' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "api-ca", required_argument, NULL, 'K' },
		{ "api-child", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c;
	const struct group *g = NULL;
	const char *env, *api = NULL, *token_file = NULL, *api_ca = NULL;
	const char *scope = getenv("AVEC_API_SCOPE");
	bool api_child = false;
	size_t i;
	int ch, rc;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	memset(&c, 0, sizeof(c));
	env = getenv("AVEC_DB");
	c.db_path = env != NULL && *env != '\0' ? env : CTL_DEFAULT_DB;
	env = getenv("AVEC_CA_DIR");
	c.ca_dir = env != NULL && *env != '\0' ? env : CTL_DEFAULT_CA_DIR;

	opterr = 0;
	/* '+': stop at the command; its options are its own.  --api-child
	 * stops here too: what follows is the API caller's. */
	while (!api_child &&
	       (ch = getopt_long(argc, argv, "+:d:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			c.db_path = optarg;
			break;
		case 'C':
			c.ca_dir = optarg;
			break;
		case 'q':
			c.quiet = true;
			break;
		case 'A':
			api = optarg;
			break;
		case 'T':
			token_file = optarg;
			break;
		case 'K':
			api_ca = optarg;
			break;
		case 'X':
			api_child = true;
			break;
		case 'h':
			usage(stdout);
			rc = CTL_OK;
			goto out;
		case ':':
			rc = ctl_fail(CTL_USAGE, "option %s needs a value "
				      "(avecctl -h for help)",
				      argv[optind - 1]);
			goto out;
		default:
			rc = ctl_fail(CTL_USAGE, "unknown option %s "
				      "(avecctl -h for help)",
				      argv[optind - 1]);
			goto out;
		}
	}
	if (*c.db_path == '\0' || *c.ca_dir == '\0') {
		rc = ctl_fail(CTL_USAGE, "empty path for the store or the CA");
		goto out;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		rc = CTL_USAGE;
		goto out;
	}
	if (api_child || scope != NULL) {
		/* run by avecd for its admin API: a command here, no client */
		if (!api_child || (strcmp(scope ? scope : "", "read") != 0 &&
				   strcmp(scope ? scope : "", "write") != 0)) {
			rc = ctl_fail(CTL_USAGE, "--api-child and "
				      "$AVEC_API_SCOPE (read or write) are "
				      "avecd's, set together when it runs a "
				      "command for its admin API");
			goto out;
		}
		if (api != NULL || token_file != NULL || api_ca != NULL) {
			rc = ctl_fail(CTL_USAGE, "--api-child: a command of "
				      "the admin API never runs as an API "
				      "client");
			goto out;
		}
	} else if (api == NULL) {
		api = getenv("AVEC_API");
	}
	if (api != NULL && *api != '\0') {
		rc = ctl_api_run(api, token_file, api_ca, argc, argv);
		goto out;
	}
	for (i = 0; i < NGROUPS; i++)
		if (strcmp(argv[0], groups[i].name) == 0)
			g = &groups[i];
	if (g == NULL) {
		char safe[40];
		rc = ctl_fail(CTL_USAGE, "unknown command '%s' (avecctl -h "
			      "lists them)",
			      avec_text_safe(argv[0], safe, sizeof(safe)));
		goto out;
	}
	if (g->single)
		rc = ctl_run(&c, g->name, &g->cmds[0], argc, argv);
	else
		rc = ctl_dispatch(&c, g->name, g->cmds, argc, argv);
out:
	avec_store_close(c.st);
	if (fflush(stdout) != 0 && rc == CTL_OK)
		rc = ctl_fail(CTL_IO, "cannot write the output");
	avec_secret_wipe(outbuf, sizeof(outbuf));
	return rc;
}
