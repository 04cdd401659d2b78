/*
 * cmd_token.c - "avecctl token": the admin API's tokens.
 *
 * A token is made here and shown once, on stdout; the store keeps its
 * hash only (lib/store_token.c).  Tokens are made and revoked on the
 * appliance, never through the API itself.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "avec/secret.h"
#include "avec/token.h"
#include "avecctl.h"
#include "common/json.h"

static int run_add(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);
static int run_revoke(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_token_cmds[] = {
	{ "add", run_add, "token add NAME --scope read|write [--json]",
	  "Make a token for avecd's admin API and print it once: keep it in a\n"
	  "file readable by its user only ('avecctl --api URL --token-file\n"
	  "FILE ...').  The store keeps its SHA-256 only.  A read token runs\n"
	  "the commands that change nothing; a write token, the others too." },
	{ "list", run_list, "token list [--json]", NULL },
	{ "revoke", run_revoke, "token revoke NAME",
	  "The token stops working at once." },
	{ NULL, NULL, NULL, NULL },
};

static int
run_add(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "scope", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_token_cmds[0];
	struct avec_err err = { { 0 } };
	enum avec_token_scope scope = AVEC_TOKEN_READ;
	struct avec_store *st;
	const char *scope_s = NULL;
	char token[AVEC_TOKEN_LEN + 1];
	bool json = false;
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "s:jh", longopts)) != -1) {
		switch (ch) {
		case 's':
			scope_s = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1 || scope_s == NULL)
		return ctl_usage_fail(cmd, "token add needs a NAME and --scope");
	if (avec_token_scope_parse(scope_s, &scope) < 0)
		return ctl_fail(CTL_USAGE, "--scope is read or write");
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_token_create(st, argv[optind], scope, (int64_t)time(NULL),
			       token, &err);
	if (rc == AVEC_STORE_EXISTS)
		return ctl_fail(CTL_REFUSED, "%s", err.msg);
	if (rc != 0)
		return ctl_fail(rc < 0 && strstr(err.msg, "invalid") ? CTL_USAGE
							     : CTL_IO,
				"%s", err.msg);
	/* the one place the token is shown: stdout, once */
	if (json) {
		struct avec_json j;

		avec_json_init(&j, stdout);
		avec_json_obj_begin(&j, NULL);
		avec_json_str(&j, "name", argv[optind]);
		avec_json_str(&j, "scope", avec_token_scope_name(scope));
		avec_json_str(&j, "token", token);
		avec_json_obj_end(&j);
		avec_json_finish(&j);
	} else {
		ctl_note(c, "token %s (%s) made: it is shown once", argv[optind],
			 avec_token_scope_name(scope));
		printf("%s\n", token);
	}
	fflush(stdout);
	avec_secret_wipe(token, sizeof(token));
	return CTL_OK;
}

struct list_ctx {
	bool json;
	struct avec_json j;
	struct ctl_table t;
};

static int
list_one(const struct avec_token_rec *t, void *arg)
{
	struct list_ctx *l = arg;
	char created[32], used[32], revoked[32];

	if (l->json) {
		avec_json_obj_begin(&l->j, NULL);
		avec_json_str(&l->j, "name", t->name);
		avec_json_str(&l->j, "scope", avec_token_scope_name(t->scope));
		avec_json_int(&l->j, "created_at", t->created_at);
		avec_json_time(&l->j, "last_used", t->last_used);
		avec_json_time(&l->j, "revoked_at", t->revoked_at);
		avec_json_obj_end(&l->j);
		return 0;
	}
	{
		const char *cells[] = {
			t->name, avec_token_scope_name(t->scope),
			ctl_time(t->created_at, created, sizeof(created)),
			ctl_time(t->last_used, used, sizeof(used)),
			ctl_time(t->revoked_at, revoked, sizeof(revoked)),
		};

		return ctl_table_add(&l->t, cells);
	}
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"NAME", "SCOPE", "CREATED", "LAST-USED", "REVOKED",
	};
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	struct list_ctx lc;
	int rc;

	memset(&lc, 0, sizeof(lc));
	if ((rc = ctl_json_opts(&ctl_token_cmds[1], argc, argv, 0, 0,
				&lc.json)) >= 0)
		return rc;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = ctl_list_begin(lc.json, &lc.j, &lc.t, 5, headers)) != CTL_OK)
		return rc;
	rc = avec_token_list(st, list_one, &lc, &err);
	return ctl_list_end(lc.json, &lc.j, &lc.t, rc, &err, "the tokens");
}

static int
run_revoke(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = &ctl_token_cmds[2];
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	bool unused;
	int rc;

	if ((rc = ctl_json_opts(cmd, argc, argv, 1, 1, &unused)) >= 0)
		return rc;
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_token_revoke(st, argv[optind], (int64_t)time(NULL), &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "%s", err.msg);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "token %s revoked", argv[optind]);
	return CTL_OK;
}
