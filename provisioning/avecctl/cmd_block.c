/*
 * cmd_block.c - "avecctl block": the administrator's block lists.
 *
 * A blocked account or device is refused whatever the policy says, until
 * it is removed from the list; the RADIUS module sees the change within a
 * second (its index reloads on store changes).  This file checks the
 * target (a principal, or a device id) before the store is opened and
 * prints the lists; the store owns them.  It must never revoke a device
 * or change an account: a block is undone by "block remove" and leaves
 * nothing else behind.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/ident.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"

static int run_add(struct ctl *c, int argc, char **argv);
static int run_remove(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_block_cmds[] = {
	{ "add", run_add,
	  "block add account PRINCIPAL | device ID [--reason TEXT]",
	  "Refuse an account's devices, or one device, whatever the policy\n"
	  "says, until 'block remove'.  --reason is kept for the list.\n"
	  "Live sessions are ended at once with Disconnect-Requests\n"
	  "(RFC 5176), as on revoke; a failed disconnect is reported, and\n"
	  "the device is refused at its next authentication all the same." },
	{ "remove", run_remove, "block remove account PRINCIPAL | device ID",
	  "Take an account or a device off the block list." },
	{ "list", run_list, "block list [--json]", NULL },
	{ NULL, NULL, NULL, NULL },
};

/* "account PRINCIPAL" or "device ID" at argv[optind..]; -1 if printed. */
static int
parse_target(const struct ctl_cmd *cmd, int argc, char **argv,
	     enum avec_block_kind *kind, char *target, size_t len)
{
	int64_t id;

	if (argc - optind != 2)
		return ctl_usage_fail(cmd, "expected 'account PRINCIPAL' or "
				      "'device ID'"), -1;
	if (strcmp(argv[optind], "account") == 0) {
		if (ctl_check_principal(argv[optind + 1]) < 0)
			return -1;
		*kind = AVEC_BLOCK_ACCOUNT;
		snprintf(target, len, "%s", argv[optind + 1]);
		return 0;
	}
	if (strcmp(argv[optind], "device") == 0) {
		if (ctl_parse_num("device id", argv[optind + 1], 1, INT64_MAX,
				  &id) < 0)
			return -1;
		*kind = AVEC_BLOCK_DEVICE;
		snprintf(target, len, "%" PRId64, id);
		return 0;
	}
	return ctl_usage_fail(cmd, "expected 'account' or 'device' before "
			      "the target"), -1;
}

static const char *
kind_name(enum avec_block_kind k)
{
	return k == AVEC_BLOCK_DEVICE ? "device" : "account";
}

static int
run_add(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_block_cmds[0];
	struct avec_err err = { { 0 } };
	char target[AVEC_PRINCIPAL_MAX + 1];
	enum avec_block_kind kind;
	const char *reason = "";
	struct avec_store *st;
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "r:h", longopts)) != -1) {
		switch (ch) {
		case 'r':
			reason = optarg;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (parse_target(cmd, argc, argv, &kind, target, sizeof(target)) < 0)
		return CTL_USAGE;
	if (reason[0] != '\0' && !avec_text_valid(reason, AVEC_REASON_TEXT_MAX))
		return ctl_fail(CTL_USAGE, "invalid reason: expected 1 to %d "
				"bytes of text without control characters",
				AVEC_REASON_TEXT_MAX);
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	if (kind == AVEC_BLOCK_ACCOUNT) {
		struct avec_account_rec rec;

		rc = avec_store_account_get(st, target, &rec, &err);
		if (rc < 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		if (rc == AVEC_STORE_NOTFOUND)
			return ctl_fail(CTL_NOTFOUND, "no account %s", target);
	} else {
		struct avec_device_rec dev;

		rc = avec_store_device_get(st, strtoll(target, NULL, 10), &dev,
					   &err);
		if (rc < 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		if (rc == AVEC_STORE_NOTFOUND)
			return ctl_fail(CTL_NOTFOUND, "no device %s", target);
	}
	rc = avec_store_block(st, kind, target, reason, (int64_t)time(NULL),
			      &err);
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (rc == AVEC_STORE_EXISTS) {
		ctl_note(c, "%s %s was already blocked", kind_name(kind),
			 target);
		return CTL_OK;
	}
	ctl_note(c, "%s %s blocked", kind_name(kind), target);
	/* a block acts now: live sessions are ended (RFC 5176), as on revoke */
	if (kind == AVEC_BLOCK_DEVICE)
		ctl_disconnect_device(c, strtoll(target, NULL, 10));
	else
		ctl_disconnect_account(c, target);
	return CTL_OK;
}

static int
run_remove(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_block_cmds[1];
	struct avec_err err = { { 0 } };
	char target[AVEC_PRINCIPAL_MAX + 1];
	enum avec_block_kind kind;
	struct avec_store *st;
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (parse_target(cmd, argc, argv, &kind, target, sizeof(target)) < 0)
		return CTL_USAGE;
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_store_unblock(st, kind, target, &err);
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "%s %s is not blocked",
				kind_name(kind), target);
	ctl_note(c, "%s %s unblocked", kind_name(kind), target);
	return CTL_OK;
}

struct list_ctx {
	bool json;
	struct avec_json j;
	struct ctl_table t;
};

static int
list_one(const struct avec_block_rec *b, void *ctx)
{
	struct list_ctx *lc = ctx;
	const char *cells[4];
	char when[32];

	if (lc->json) {
		avec_json_obj_begin(&lc->j, NULL);
		avec_json_str(&lc->j, "kind", kind_name(b->kind));
		avec_json_str(&lc->j, "target", b->target);
		avec_json_str(&lc->j, "reason", b->reason);
		avec_json_time(&lc->j, "created_at", b->created_at);
		avec_json_obj_end(&lc->j);
		return 0;
	}
	cells[0] = kind_name(b->kind);
	cells[1] = b->target;
	cells[2] = ctl_time(b->created_at, when, sizeof(when));
	cells[3] = b->reason[0] ? b->reason : NULL;
	return ctl_table_add(&lc->t, cells) < 0 ? -1 : 0;
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = { "KIND", "TARGET", "SINCE",
					       "REASON" };
	const struct ctl_cmd *cmd = &ctl_block_cmds[2];
	struct avec_err err = { { 0 } };
	struct list_ctx lc;
	struct avec_store *st;
	int rc;

	memset(&lc, 0, sizeof(lc));
	if ((rc = ctl_json_opts(cmd, argc, argv, 0, 0, &lc.json)) >= 0)
		return rc;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = ctl_list_begin(lc.json, &lc.j, &lc.t, 4, headers)) != CTL_OK)
		return rc;
	rc = avec_store_block_list(st, list_one, &lc, &err);
	return ctl_list_end(lc.json, &lc.j, &lc.t, rc, &err, "blocks");
}
