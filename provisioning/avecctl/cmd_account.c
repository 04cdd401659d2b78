/*
 * cmd_account.c - "avecctl account": ENT accounts in the store.
 *
 * An account is keyed by its CAS principal, checked with ident.h before
 * the store is opened; a principal that fails the check is refused, never
 * cleaned, and never echoed back raw.  This file owns how accounts look on
 * the terminal and in JSON; the store owns what they are.  It must never
 * change a device: suspending an account leaves its devices as they are
 * (the decision rejects them while the account is not active); after a
 * suspension or a departure has committed, revoke_das.c ends the open
 * sessions of its devices with Disconnect-Requests.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "avec/ent.h"
#include "avec/ident.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"
#include "policy/policy_file.h"

#define CTL_MEMBERS_MAX 32	/* --school and --group, each */


static int run_add(struct ctl *c, int argc, char **argv);
static int run_status(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);
static int run_show(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_account_cmds[] = {
	{ "add", run_add,
	  "account add PRINCIPAL --role ROLE [--name DISPLAY] [--join-key K] "
	  "[--school UAI]... [--group GROUP]...",
	  "Create the account of a CAS principal, or update its role and\n"
	  "display name.  --role is needed to create; an update keeps the\n"
	  "status and whatever is not given.  --join-key links the account\n"
	  "to its person in the ENT feed (ENTPersonJointure; \"\" unlinks).\n"
	  "--school and --group (each repeatable) replace the account's\n"
	  "schools, or its class groups, whichever is given; they decide the\n"
	  "policy overrides that apply to it (docs/policy-file.md).  For an\n"
	  "account linked to a person the ENT feed knows, each import\n"
	  "rewrites both; relinking drops those that person gave." },
	{ "suspend", run_status, "account suspend PRINCIPAL [--no-disconnect]",
	  "Refuse the account's devices until 'account activate'.\n"
	  "Their open sessions are ended with Disconnect-Requests (RFC 5176)\n"
	  "unless --no-disconnect; a failed disconnection is reported on\n"
	  "stderr, and the exit status stays 0 once the account is changed." },
	{ "leave", run_status, "account leave PRINCIPAL [--no-disconnect]",
	  "Mark the account as gone from the school: its devices are refused.\n"
	  "Their open sessions are ended as for 'account suspend'." },
	{ "activate", run_status, "account activate PRINCIPAL",
	  "Make a suspended or departed account active again." },
	{ "list", run_list, "account list [--json]", NULL },
	{ "show", run_show, "account show PRINCIPAL [--json]",
	  "The account and its devices." },
	{ "export", ctl_account_export, "account export PRINCIPAL",
	  "Everything the store holds about the person, as JSON: the account,\n"
	  "its schools and groups, its devices (never a secret or its hash),\n"
	  "the audit trail's rows about it and its connection log sessions\n"
	  "(the right of access)." },
	{ "erase", ctl_account_erase, "account erase PRINCIPAL [--yes]",
	  "Delete the account, its devices and their credentials for good\n"
	  "(--yes is required), and pseudonymise its audit trail rows: the\n"
	  "principal becomes erased-N (the same in each row, this command's\n"
	  "included), its display name, device names and MACs [erased]; who\n"
	  "acted, what and when stay.  The connection log keeps its sessions,\n"
	  "with the principal, until their own retention ends\n"
	  "(log_retention_days): French law requires them for that period;\n"
	  "'log purge' deletes them then." },
	{ NULL, NULL, NULL, NULL },
};

static int
run_add(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "join-key", required_argument, NULL, 'J' },
		{ "school", required_argument, NULL, 'S' },
		{ "group", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_account_cmds, "add");
	const char *join_key = NULL;
	const char *schools[CTL_MEMBERS_MAX], *groups[CTL_MEMBERS_MAX];
	unsigned nschools = 0, ngroups = 0;
	struct avec_err err = { { 0 } };
	struct avec_account_rec rec;
	const char *principal, *role_s = NULL, *name = NULL;
	enum avec_role role = AVEC_ROLE_STUDENT;
	struct avec_store *st;
	int64_t id = 0;
	int ch, rc;
	bool exists;

	while ((ch = ctl_getopt(cmd, argc, argv, "r:n:h", longopts)) != -1) {
		switch (ch) {
		case 'r':
			role_s = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'J':
			join_key = optarg;
			break;
		case 'S':
			if (nschools == CTL_MEMBERS_MAX)
				return ctl_fail(CTL_USAGE, "more than %d --school",
						CTL_MEMBERS_MAX);
			if (!avec_uai_valid(optarg))
				return ctl_fail(CTL_USAGE, "invalid --school: "
						"expected a UAI, 7 digits and a "
						"capital letter (0450822X)");
			schools[nschools++] = optarg;
			break;
		case 'G':
			if (ngroups == CTL_MEMBERS_MAX)
				return ctl_fail(CTL_USAGE, "more than %d --group",
						CTL_MEMBERS_MAX);
			if (!avec_text_valid(optarg, AVEC_OV_TARGET_MAX))
				return ctl_fail(CTL_USAGE, "invalid --group: "
						"expected 1 to %d bytes of text "
						"without control characters",
						AVEC_OV_TARGET_MAX);
			groups[ngroups++] = optarg;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "account add needs one PRINCIPAL");
	principal = argv[optind];
	if (ctl_check_principal(principal) < 0)
		return CTL_USAGE;
	if (role_s != NULL && ctl_check_role(role_s, &role) < 0)
		return CTL_USAGE;
	if (name != NULL && !avec_text_valid(name, AVEC_DISPLAY_NAME_MAX))
		return ctl_fail(CTL_USAGE, "invalid display name: expected 1 "
				"to %d bytes of UTF-8 text without control "
				"characters", AVEC_DISPLAY_NAME_MAX);
	if (join_key != NULL && *join_key != '\0' && !avec_join_key_valid(join_key))
		return ctl_fail(CTL_USAGE, "invalid join key: expected 1 to %d "
				"bytes of printable ASCII without blanks",
				AVEC_JOIN_KEY_MAX);

	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_store_account_get(st, principal, &rec, &err);
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	exists = rc == 0;
	if (join_key != NULL && *join_key != '\0') {
		char owner[AVEC_PRINCIPAL_MAX + 1];

		rc = avec_ent_join_key_owner(st, join_key, owner, &err);
		if (rc < 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		if (rc == 0 && strcmp(owner, principal) != 0)
			return ctl_fail(CTL_REFUSED, "join key %s is already "
					"linked to account %s", join_key, owner);
	}
	if (!exists) {
		if (role_s == NULL)
			return ctl_usage_fail(cmd, "account %s does not exist: "
					      "--role is needed to create it",
					      principal);
		memset(&rec, 0, sizeof(rec));
		snprintf(rec.a.principal, sizeof(rec.a.principal), "%s",
			 principal);
		rec.a.status = AVEC_ACCOUNT_ACTIVE;
	}
	if (role_s != NULL)
		rec.a.role = role;
	if (name != NULL)
		snprintf(rec.display_name, sizeof(rec.display_name), "%s",
			 name);
	if (avec_store_account_put(st, &rec, (int64_t)time(NULL), &id,
				   &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (join_key != NULL) {
		rc = avec_ent_link(st, principal, *join_key ? join_key : NULL, &err);
		if (rc == AVEC_STORE_EXISTS)
			return ctl_fail(CTL_REFUSED, "%s", err.msg);
		if (rc != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		/* the link may have suspended it (its person has left) */
		if (avec_store_account_get(st, principal, &rec, &err) != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
	}
	if ((nschools > 0 || ngroups > 0) &&
	    avec_store_account_memberships(st, principal,
					   nschools ? schools : NULL, nschools,
					   ngroups ? groups : NULL, ngroups,
					   &err) != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "account %s %s (%s, %s)", principal,
		 exists ? "updated" : "created", avec_role_name(rec.a.role),
		 avec_account_status_name(rec.a.status));
	return CTL_OK;
}

static int
run_status(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-disconnect", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_account_cmds, argv[0]);
	struct avec_err err = { { 0 } };
	enum avec_account_status status;
	const char *principal;
	struct avec_store *st;
	bool disconnect = true;
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'N') {	/* activate: nothing to disconnect */
			disconnect = false;
			continue;
		}
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "account %s needs one PRINCIPAL",
				      cmd->name);
	principal = argv[optind];
	if (ctl_check_principal(principal) < 0)
		return CTL_USAGE;
	if (strcmp(cmd->name, "suspend") == 0)
		status = AVEC_ACCOUNT_SUSPENDED;
	else if (strcmp(cmd->name, "leave") == 0)
		status = AVEC_ACCOUNT_LEFT;
	else
		status = AVEC_ACCOUNT_ACTIVE;

	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_store_account_set_status(st, principal, status,
					   (int64_t)time(NULL), &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no account %s", principal);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "account %s is %s", principal,
		 avec_account_status_name(status));
	if (disconnect && status != AVEC_ACCOUNT_ACTIVE)
		ctl_disconnect_account(c, principal);
	return CTL_OK;
}

static void
json_account(struct avec_json *j, const struct avec_account_rec *a)
{
	avec_json_int(j, "id", a->a.id);
	avec_json_str(j, "principal", a->a.principal);
	avec_json_str(j, "role", avec_role_name(a->a.role));
	avec_json_str(j, "status", avec_account_status_name(a->a.status));
	avec_json_str(j, "display_name", a->display_name);
	avec_json_int(j, "active_devices", a->active_devices);
	avec_json_time(j, "created_at", a->created_at);
	avec_json_time(j, "updated_at", a->updated_at);
	avec_json_time(j, "ended_at", a->ended_at);
}

struct list_ctx {
	bool json;
	struct avec_json j;
	struct ctl_table t;
};

static int
list_one(const struct avec_account_rec *a, void *arg)
{
	struct list_ctx *lc = arg;
	char created[32], ndev[16];
	const char *cells[6];

	if (lc->json) {
		avec_json_obj_begin(&lc->j, NULL);
		json_account(&lc->j, a);
		avec_json_obj_end(&lc->j);
		return 0;
	}
	snprintf(ndev, sizeof(ndev), "%" PRIu32, a->active_devices);
	cells[0] = a->a.principal;
	cells[1] = avec_role_name(a->a.role);
	cells[2] = avec_account_status_name(a->a.status);
	cells[3] = ndev;
	cells[4] = ctl_time(a->created_at, created, sizeof(created));
	cells[5] = a->display_name;
	return ctl_table_add(&lc->t, cells) < 0 ? -1 : 0;
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"PRINCIPAL", "ROLE", "STATUS", "DEVICES", "CREATED", "NAME",
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_account_cmds, "list");
	struct avec_err err = { { 0 } };
	struct list_ctx lc;
	struct avec_store *st;
	int rc;

	memset(&lc, 0, sizeof(lc));
	if ((rc = ctl_json_opts(cmd, argc, argv, 0, 0, &lc.json)) >= 0)
		return rc;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = ctl_list_begin(lc.json, &lc.j, &lc.t, 6, headers)) != CTL_OK)
		return rc;
	rc = avec_store_account_list(st, list_one, &lc, &err);
	return ctl_list_end(lc.json, &lc.j, &lc.t, rc, &err, "accounts");
}

/* Devices of the account shown, for "account show". */
struct dev_ctx {
	bool json;
	struct avec_json *j;
	struct ctl_table t;
};

static int
show_device(const struct avec_device_rec *d, void *arg)
{
	struct dev_ctx *dc = arg;
	char id[24], created[32], expires[32];
	const char *cells[6];

	if (dc->json) {
		avec_json_obj_begin(dc->j, NULL);
		avec_json_int(dc->j, "id", d->d.id);
		avec_json_str(dc->j, "name", d->name);
		avec_json_str(dc->j, "type", avec_cred_type_name(d->d.cred_type));
		avec_json_str(dc->j, "status",
			      avec_device_status_name(d->d.status));
		avec_json_str(dc->j, "username", d->username);
		avec_json_time(dc->j, "created_at", d->created_at);
		avec_json_time(dc->j, "expires_at", d->d.expires_at);
		avec_json_obj_end(dc->j);
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, d->d.id);
	cells[0] = id;
	cells[1] = d->name;
	cells[2] = avec_cred_type_name(d->d.cred_type);
	cells[3] = avec_device_status_name(d->d.status);
	cells[4] = ctl_time(d->created_at, created, sizeof(created));
	cells[5] = ctl_time(d->d.expires_at, expires, sizeof(expires));
	return ctl_table_add(&dc->t, cells) < 0 ? -1 : 0;
}

static int
run_show(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"ID", "NAME", "TYPE", "STATUS", "CREATED", "EXPIRES",
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_account_cmds, "show");
	struct avec_err err = { { 0 } };
	struct avec_account_rec a;
	struct avec_json j;
	struct dev_ctx dc;
	struct avec_store *st;
	char t1[32], t2[32], safe[sizeof(a.display_name)];
	const char *principal;
	bool json = false;
	int ch, rc;

	if ((ch = ctl_json_opts(cmd, argc, argv, 1, 1, &json)) >= 0)
		return ch;
	principal = argv[optind];
	if (ctl_check_principal(principal) < 0)
		return CTL_USAGE;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	rc = avec_store_account_get(st, principal, &a, &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no account %s", principal);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);

	memset(&dc, 0, sizeof(dc));
	dc.json = json;
	dc.j = &j;
	if (json) {
		avec_json_init(&j, stdout);
		avec_json_obj_begin(&j, NULL);
		json_account(&j, &a);
		avec_json_arr_begin(&j, "devices");
	} else {
		printf("principal:  %s\n", a.a.principal);
		printf("role:       %s\n", avec_role_name(a.a.role));
		printf("status:     %s\n", avec_account_status_name(a.a.status));
		printf("name:       %s\n",
		       avec_text_safe(a.display_name, safe, sizeof(safe)));
		printf("created:    %s\n", ctl_time(a.created_at, t1, sizeof(t1)));
		printf("updated:    %s\n", ctl_time(a.updated_at, t2, sizeof(t2)));
		if (a.ended_at != 0)
			printf("ended:      %s\n",
			       ctl_time(a.ended_at, t1, sizeof(t1)));
		printf("devices:    %" PRIu32 " active\n", a.active_devices);
		if (ctl_table_init(&dc.t, 6, headers) < 0)
			return ctl_fail(CTL_IO, "out of memory");
	}
	rc = avec_store_device_list(st, principal, show_device, &dc, &err);
	if (rc != 0) {
		ctl_table_free(&dc.t);
		if (rc < 0 && err.msg[0] != '\0')
			return ctl_fail(CTL_IO, "%s", err.msg);
		return ctl_fail(CTL_IO, "out of memory listing devices");
	}
	if (json) {
		avec_json_arr_end(&j);
		avec_json_obj_end(&j);
		avec_json_finish(&j);
	} else if (dc.t.nrows > 1) {
		putchar('\n');
		ctl_table_print(&dc.t, stdout);
	} else {
		ctl_table_free(&dc.t);
	}
	return CTL_OK;
}
