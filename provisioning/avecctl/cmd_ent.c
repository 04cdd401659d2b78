/*
 * cmd_ent.c - "avecctl ent": the ENT account feed (AAF files).
 *
 * This file owns the feed's command line: import (with its summary and,
 * on a terminal, a progress bar on stderr), expire, status and the people
 * listing, as columns or JSON.  What an import means (who left, which
 * accounts are suspended, which devices revoked) is the store's
 * (lib/store_ent.c); reading the files is aaf.c's.  It must never print a
 * person's data beyond the listing's columns, and never change the store
 * outside the library's calls.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avec/ent.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"

static int run_import(struct ctl *c, int argc, char **argv);
static int run_expire(struct ctl *c, int argc, char **argv);
static int run_status(struct ctl *c, int argc, char **argv);
static int run_people(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_ent_cmds[] = {
	{ "import", run_import,
	  "ent import [--delta|--complet] [--grace-days N] [--now TIME]\n"
	  "           [--no-disconnect] [--allow-mass-departure] FILE...",
	  "Import AAF files (ficAlimMENESR) in one transaction: any error\n"
	  "changes nothing.  The kind comes from the names (_Complet_, _Delta_)\n"
	  "unless given.  Complet: the people of the schools and categories\n"
	  "covered who are missing have left.  Delta: add, modify, delete.\n"
	  "A Complet split in parts (..._Eleve_0000.xml, _0001, ...) is\n"
	  "imported whole: a kind whose parts are not numbered from 0000\n"
	  "without a gap is refused.  An import that would mark more than\n"
	  "the setting ent_max_departure_pct (5 %) of a school's people as\n"
	  "departed is refused unless --allow-mass-departure (they did leave:\n"
	  "the end of a school year).  Linked accounts of people who left are\n"
	  "suspended at once; their devices are revoked after the grace\n"
	  "period (setting ent_grace_days).  Their live sessions are ended at\n"
	  "once with Disconnect-Requests (RFC 5176) unless --no-disconnect.\n"
	  "TIME: Unix seconds or ISO 8601 (UTC unless a zone is given)." },
	{ "expire", run_expire, "ent expire [--grace-days N] [--now TIME]",
	  "Revoke the devices of accounts whose person left more than the\n"
	  "grace period ago (also done by every import)." },
	{ "status", run_status, "ent status [--json]",
	  "People present and left, linked accounts, the last imports." },
	{ "people", run_people, "ent people [--left] [--json]", NULL },
	{ NULL, NULL, NULL, NULL },
};

/* The progress bar: on a terminal, for imports of more than 4 MB. */
#define BAR_MIN_BYTES (4u << 20)
struct bar {
	bool on;
	int last;
};

static void
on_progress(uint64_t done, uint64_t total, void *arg)
{
	struct bar *b = arg;
	int pct, i;
	char line[64];

	if (!b->on || total < BAR_MIN_BYTES)
		return;
	pct = (int)(done * 100 / total);
	if (pct > 100)
		pct = 100;
	if (pct == b->last)
		return;
	b->last = pct;
	for (i = 0; i < 40; i++)
		line[i] = i < pct * 40 / 100 ? '#' : '.';
	line[40] = '\0';
	fprintf(stderr, "\r[%s] %3d%% %" PRIu64 " MB", line, pct,
		done >> 20);
}

static void
on_warn(const char *msg, void *arg)
{
	struct bar *b = arg;

	fprintf(stderr, "%savecctl: warning: %s\n", b->on ? "\n" : "", msg);
}

static void
print_counts(const struct avec_ent_counts *n)
{
	printf("records %" PRIu64 ", added %" PRIu64 ", changed %" PRIu64
	       ", left %" PRIu64 ", unchanged %" PRIu64 ", errors %" PRIu64
	       "; accounts suspended %" PRIu64 ", reactivated %" PRIu64
	       "; devices revoked %" PRIu64 "\n", n->records, n->added,
	       n->changed, n->left, n->unchanged, n->errors, n->suspended,
	       n->reactivated, n->revoked);
}

static int
common_opts(const struct ctl_cmd *cmd, int ch, int64_t *now, int64_t *grace)
{
	switch (ch) {
	case 'n':
		return ctl_parse_time("--now", optarg, false, now) < 0 ? CTL_USAGE : -1;
	case 'g':
		return ctl_parse_num("grace period", optarg, 0, 36500, grace) < 0 ?
		    CTL_USAGE : -1;
	case 'h':
		return ctl_help(cmd);
	default:
		return CTL_USAGE;
	}
}

/* End the open sessions (RFC 5176) of a person's account who has left. */
static int
disconnect_left(const struct avec_ent_person *p, void *arg)
{
	if (p->principal[0] != '\0')
		ctl_disconnect_account(arg, p->principal);
	return 0;
}

static int
run_import(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "delta", no_argument, NULL, 'D' },
		{ "complet", no_argument, NULL, 'C' },
		{ "grace-days", required_argument, NULL, 'g' },
		{ "now", required_argument, NULL, 'n' },
		{ "no-disconnect", no_argument, NULL, 'N' },
		{ "allow-mass-departure", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_ent_cmds, "import");
	bool no_disconnect = false;
	struct avec_err err = { { 0 } };
	struct avec_ent_opts o;
	struct avec_ent_counts n;
	struct avec_store *st;
	struct bar b = { false, -1 };
	int64_t now = (int64_t)time(NULL), grace = -1, id = 0;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = ctl_getopt(cmd, argc, argv, "g:n:h", longopts)) != -1) {
		if (ch == 'D' || ch == 'C') {
			o.kind = ch == 'D' ? AVEC_ENT_DELTA : AVEC_ENT_COMPLET;
			continue;
		}
		if (ch == 'N') {
			no_disconnect = true;
			continue;
		}
		if (ch == 'M') {
			o.allow_mass_departure = true;
			continue;
		}
		if ((rc = common_opts(cmd, ch, &now, &grace)) >= 0)
			return rc;
	}
	if (argc - optind < 1)
		return ctl_usage_fail(cmd, "ent import needs at least one FILE");
	for (int i = optind; i < argc; i++)
		if (access(argv[i], R_OK) != 0)
			return ctl_fail(CTL_NOTFOUND, "%s: cannot read it",
					argv[i]);
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	b.on = isatty(STDERR_FILENO) == 1;
	o.now = now;
	o.grace_days = (int)grace;
	o.progress = on_progress;
	o.warn = on_warn;
	o.ctx = &b;
	rc = avec_ent_import(st, (const char *const *)argv + optind,
			     (unsigned)(argc - optind), &o, &n, &id, &err);
	if (b.on && b.last >= 0)
		fputc('\n', stderr);
	if (rc != 0)
		return ctl_fail(CTL_USAGE, "import refused, nothing changed: %s",
				err.msg);
	ctl_note(c, "import %" PRId64 " done", id);
	print_counts(&n);
	/* those who left lose their live sessions now, not at re-auth */
	if (n.suspended > 0 && !no_disconnect)
		avec_ent_people_list(st, true, disconnect_left, c, NULL);
	return CTL_OK;
}

static int
run_expire(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "grace-days", required_argument, NULL, 'g' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_ent_cmds, "expire");
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	int64_t now = (int64_t)time(NULL), grace = -1;
	uint64_t revoked = 0;
	int ch, rc;

	while ((ch = ctl_getopt(cmd, argc, argv, "g:n:h", longopts)) != -1)
		if ((rc = common_opts(cmd, ch, &now, &grace)) >= 0)
			return rc;
	if (argc != optind)
		return ctl_usage_fail(cmd, "ent expire takes no argument");
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	if (avec_ent_expire(st, now, (int)grace, &revoked, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	printf("devices revoked %" PRIu64 "\n", revoked);
	return CTL_OK;
}

struct list_ctx {
	bool json;
	struct avec_json j;
	struct ctl_table t;
};

static int
import_one(const struct avec_ent_import_rec *r, void *arg)
{
	struct list_ctx *lc = arg;
	char id[24], when[32], nums[128];
	const char *cells[6];

	if (lc->json) {
		avec_json_obj_begin(&lc->j, NULL);
		avec_json_int(&lc->j, "id", r->id);
		avec_json_str(&lc->j, "kind", r->kind);
		avec_json_str(&lc->j, "result", r->result);
		avec_json_time(&lc->j, "started_at", r->started_at);
		avec_json_time(&lc->j, "finished_at", r->finished_at);
		avec_json_str(&lc->j, "files", r->files);
		avec_json_int(&lc->j, "records", (int64_t)r->c.records);
		avec_json_int(&lc->j, "added", (int64_t)r->c.added);
		avec_json_int(&lc->j, "changed", (int64_t)r->c.changed);
		avec_json_int(&lc->j, "left", (int64_t)r->c.left);
		avec_json_int(&lc->j, "unchanged", (int64_t)r->c.unchanged);
		avec_json_int(&lc->j, "errors", (int64_t)r->c.errors);
		avec_json_int(&lc->j, "suspended", (int64_t)r->c.suspended);
		avec_json_int(&lc->j, "reactivated", (int64_t)r->c.reactivated);
		avec_json_int(&lc->j, "revoked", (int64_t)r->c.revoked);
		avec_json_str(&lc->j, "detail", r->detail);
		avec_json_obj_end(&lc->j);
		return 0;
	}
	snprintf(id, sizeof(id), "%" PRId64, r->id);
	snprintf(nums, sizeof(nums), "+%" PRIu64 " ~%" PRIu64 " -%" PRIu64
		 " =%" PRIu64 " !%" PRIu64 " susp %" PRIu64 " rev %" PRIu64,
		 r->c.added, r->c.changed, r->c.left, r->c.unchanged,
		 r->c.errors, r->c.suspended, r->c.revoked);
	cells[0] = id;
	cells[1] = ctl_time(r->started_at, when, sizeof(when));
	cells[2] = r->kind;
	cells[3] = r->result;
	cells[4] = nums;
	cells[5] = r->detail[0] ? r->detail : r->files;
	return ctl_table_add(&lc->t, cells) < 0 ? -1 : 0;
}

static int
run_status(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"IMPORT", "STARTED", "KIND", "RESULT", "COUNTS", "FILES/ERROR",
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_ent_cmds, "status");
	struct avec_err err = { { 0 } };
	struct avec_ent_totals t;
	struct list_ctx lc;
	struct avec_store *st;
	int ch, rc;

	memset(&lc, 0, sizeof(lc));
	if ((ch = ctl_json_opts(cmd, argc, argv, 0, 0, &lc.json)) >= 0)
		return ch;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (avec_ent_totals(st, &t, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (lc.json) {
		avec_json_init(&lc.j, stdout);
		avec_json_obj_begin(&lc.j, NULL);
		avec_json_int(&lc.j, "present", (int64_t)t.present);
		avec_json_int(&lc.j, "left", (int64_t)t.left);
		avec_json_int(&lc.j, "linked_accounts", (int64_t)t.linked);
		avec_json_int(&lc.j, "structures", (int64_t)t.structures);
		avec_json_int(&lc.j, "grace_days", t.grace_days);
		avec_json_arr_begin(&lc.j, "imports");
	} else {
		printf("people:     %" PRIu64 " present, %" PRIu64 " left\n",
		       t.present, t.left);
		printf("accounts:   %" PRIu64 " linked\n", t.linked);
		printf("structures: %" PRIu64 "\n", t.structures);
		printf("grace:      %d days\n\n", t.grace_days);
		if (ctl_table_init(&lc.t, 6, headers) < 0)
			return ctl_fail(CTL_IO, "out of memory");
	}
	rc = avec_ent_imports_list(st, 10, import_one, &lc, &err);
	if (rc != 0) {
		ctl_table_free(&lc.t);
		return ctl_fail(CTL_IO, "%s", rc < 0 ? err.msg : "out of memory");
	}
	if (lc.json) {
		avec_json_arr_end(&lc.j);
		avec_json_obj_end(&lc.j);
		avec_json_finish(&lc.j);
	} else {
		ctl_table_print(&lc.t, stdout);
	}
	return CTL_OK;
}

static int
person_one(const struct avec_ent_person *p, void *arg)
{
	struct list_ctx *lc = arg;
	char left[32];
	const char *cells[9];

	if (lc->json) {
		avec_json_obj_begin(&lc->j, NULL);
		avec_json_str(&lc->j, "id", p->id);
		avec_json_str(&lc->j, "category", p->category);
		avec_json_str(&lc->j, "role", avec_role_name(p->role));
		avec_json_str(&lc->j, "join_key", p->join_key);
		avec_json_str(&lc->j, "status", p->left ? "left" : "present");
		avec_json_str(&lc->j, "display_name", p->display_name);
		avec_json_str(&lc->j, "uai", p->uais);
		avec_json_str(&lc->j, "groups", p->groups);
		avec_json_str(&lc->j, "account", p->principal);
		avec_json_int(&lc->j, "first_seen", p->first_seen);
		avec_json_int(&lc->j, "last_seen", p->last_seen);
		avec_json_time(&lc->j, "left_at", p->left_at);
		avec_json_obj_end(&lc->j);
		return 0;
	}
	cells[0] = p->id;
	cells[1] = avec_role_name(p->role);
	cells[2] = p->left ? "left" : "present";
	cells[3] = ctl_time(p->left_at, left, sizeof(left));
	cells[4] = p->join_key[0] ? p->join_key : NULL;
	cells[5] = p->principal[0] ? p->principal : NULL;
	cells[6] = p->uais[0] ? p->uais : NULL;
	cells[7] = p->groups[0] ? p->groups : NULL;
	cells[8] = p->display_name;
	return ctl_table_add(&lc->t, cells) < 0 ? -1 : 0;
}

static int
run_people(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "left", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = {
		"ID", "ROLE", "STATUS", "LEFT", "JOIN KEY", "ACCOUNT", "UAI",
		"GROUPS", "NAME",
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_ent_cmds, "people");
	struct avec_err err = { { 0 } };
	struct list_ctx lc;
	struct avec_store *st;
	bool left = false;
	int ch, rc;

	memset(&lc, 0, sizeof(lc));
	while ((ch = ctl_getopt(cmd, argc, argv, "jlh", longopts)) != -1) {
		if (ch == 'j')
			lc.json = true;
		else if (ch == 'l')
			left = true;
		else if (ch == 'h')
			return ctl_help(cmd);
		else
			return CTL_USAGE;
	}
	if (argc != optind)
		return ctl_usage_fail(cmd, "ent people takes no argument");
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = ctl_list_begin(lc.json, &lc.j, &lc.t, 9, headers)) != CTL_OK)
		return rc;
	rc = avec_ent_people_list(st, left, person_one, &lc, &err);
	return ctl_list_end(lc.json, &lc.j, &lc.t, rc, &err, "people");
}
