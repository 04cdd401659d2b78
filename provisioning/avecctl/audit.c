/*
 * audit.c - the audit trail of avecctl: who changed what, from where, and
 * how it ended; `avecctl audit list`; and what a command run for avecd's
 * admin API may not do (ctl_api_check, ctl_api_check_option: the one
 * place where the API's refusals are listed).
 *
 * It owns the one place where a state-changing command is recorded, and
 * the list of those commands (changing[] below: a new command that
 * changes state must be added there): the dispatchers (main.c for "init",
 * util.c's ctl_dispatch for the others) call ctl_audit_begin before every
 * command and ctl_audit_end after one it noted.  Begin takes its note before the command
 * runs, because getopt permutes argv and some commands wipe a password
 * they were given.  End records done ("ok"), refused (exit 3), not found
 * (exit 2) and failed (exit 4) attempts, through a connection of its own,
 * so that a command which opened the store read-only, or not at all, is
 * recorded all the same; a usage error (exit 1) and -h are not recorded:
 * nothing was attempted.  A trail that cannot be written is reported on
 * stderr; the exit status stays the command's (what it did is done).
 *
 * It must never record a secret: the values of --p12-password (-p) and of
 * any option named after a password or a secret are replaced by
 * [REMOVED] before they are copied, and a --secret-file is recorded by its
 * path, never its contents, which this file never reads.  Everything
 * recorded is made terminal-safe first.
 */
#include <sys/stat.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "avec/report.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"

#define REMOVED "[REMOVED]"

struct ctl_audit {
	struct avec_audit_rec rec;
};

/* The commands that change state: recorded. */
static const char *const changing[] = {
	"init", "ca init",
	"account add", "account suspend", "account leave", "account activate",
	"account erase",
	"policy set", "policy unset", "policy apply",
	"device add", "device revoke",
	"log purge", "settings set",
	"nas add", "nas remove",
	"ent import", "ent expire",
	"block add", "block remove",
	"token add", "token revoke",
	"provision",
	NULL,
};

/*
 * What avecctl does when avecd runs it for its admin API (avecctl
 * --api-child, AVEC_API_SCOPE set): one command, on avecd's store and CA,
 * with the caller's arguments, and nothing that names a file.  Everything
 * it refuses is here, checked by ctl_api_check before the command runs
 * and by ctl_api_check_option as the command reads its options
 * (ctl_getopt):
 *
 * - the commands the API may not run at all: those that read or write
 *   files of the appliance by a path given in the request (as an
 *   argument), or make the store, the CA or tokens themselves.
 *   Administrators run them on the appliance.
 */
static const char *const api_denied[] = {
	"init", "ca init", "policy apply", "policy check", "ent import",
	"nas add", "token add", "token revoke", "provision",
	NULL,
};

/*
 * - avecctl's global options, anywhere in the arguments: avecd gives the
 *   store and the CA, and the command never runs as an API client
 *   (--api-child ends the global options, so these could only reach the
 *   command, which has none of them: they are refused by name, plainly).
 */
static const char *const api_global_opts[] = {
	"db", "ca-dir", "api", "api-ca", "token-file", "api-child",
	NULL,
};

/*
 * - the command options whose value is a file or a folder of the
 *   appliance (by their long name; a short form or an abbreviation is
 *   the same option to getopt).
 */
static const char *const api_path_opts[] = {
	"out", "secret-file", "root", "module-dir", "templates", "units",
	"freeradius",
	NULL,
};

static bool
listed(const char *const *list, const char *action)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], action) == 0)
			return true;
	return false;
}

/* The name of avecctl's global option @a ("-d", "--db", "--db=X", ...),
 * in @out; false when @a is none. */
static bool
global_opt(const char *a, char *out, size_t len)
{
	size_t n;

	if (a[0] == '-' && a[1] == 'd') {		/* -d, -dDB */
		snprintf(out, len, "-d");
		return true;
	}
	if (strncmp(a, "--", 2) != 0)
		return false;
	n = strcspn(a + 2, "=");
	for (size_t i = 0; api_global_opts[i] != NULL; i++)
		if (strlen(api_global_opts[i]) == n &&
		    strncmp(api_global_opts[i], a + 2, n) == 0) {
			snprintf(out, len, "--%s", api_global_opts[i]);
			return true;
		}
	return false;
}

int
ctl_api_check(const char *group, const struct ctl_cmd *cmd, int argc,
	      char **argv)
{
	const char *scope = getenv("AVEC_API_SCOPE");
	char action[AVEC_AUDIT_ACTION_MAX + 1], opt[32];
	int i;

	if (scope == NULL)
		return CTL_OK;		/* not through the API */
	if (strcmp(group, cmd->name) == 0)
		snprintf(action, sizeof(action), "%s", group);
	else
		snprintf(action, sizeof(action), "%s %s", group, cmd->name);
	if (listed(api_denied, action))
		return ctl_fail(CTL_REFUSED, "%s is not available through the "
				"admin API: run it on the appliance", action);
	for (i = 1; i < argc; i++)
		if (global_opt(argv[i], opt, sizeof(opt)))
			return ctl_fail(CTL_REFUSED, "%s is a global option: "
					"through the admin API a command runs "
					"on the appliance's own store and CA, "
					"never as an API client", opt);
	if (strcmp(scope, "write") != 0 && listed(changing, action))
		return ctl_fail(CTL_REFUSED, "this token may only read: %s "
				"changes the appliance", action);
	return CTL_OK;
}

int
ctl_api_check_option(const char *name)
{
	if (getenv("AVEC_API_SCOPE") == NULL || !listed(api_path_opts, name))
		return CTL_OK;
	return ctl_fail(CTL_REFUSED, "--%s names a file on the appliance: "
			"not available through the admin API", name);
}

/* Long options that take a value, over every command (a missing one only
 * makes a value look like a target). */
static const char *const value_opts[] = {
	"account", "at", "ca-dir", "creds", "das", "db", "from", "grace-days",
	"group", "ip", "join-key", "lifetime-days", "mac", "max-devices",
	"name", "nas-address", "now", "out", "p12-password", "reason", "role",
	"school", "secret-file", "server-name", "session-timeout", "to",
	"type", "vlan", "since", "by", NULL,
};
/* Short options that take a value, over every command. */
static const char value_shorts[] = "rnsgtopD";

static bool
takes_value(const char *name, size_t len)
{
	size_t i;

	for (i = 0; value_opts[i] != NULL; i++)
		if (strlen(value_opts[i]) == len &&
		    strncmp(value_opts[i], name, len) == 0)
			return true;
	return false;
}

/* Is the value of long option @name (@len bytes) a secret? */
static bool
secret_opt(const char *name, size_t len)
{
	char buf[64];

	if (len >= sizeof(buf))
		return true;	/* odd: keep nothing */
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (strcmp(buf, "secret-file") == 0)	/* a path: its contents are */
		return false;			/* never read here */
	return strstr(buf, "password") != NULL || strstr(buf, "secret") != NULL ||
	    strstr(buf, "passphrase") != NULL || strcmp(buf, "key") == 0;
}

/* Append " @s" (made safe) to @dst, within its size. */
static void
append(char *dst, size_t size, const char *s)
{
	char safe[256];
	size_t len = strlen(dst);

	avec_text_safe(s, safe, sizeof(safe));
	snprintf(dst + len, size - len, "%s%s", len ? " " : "", safe);
}

/* The running command's note (one command per process). */
static struct ctl_audit note;

/* @s (@size bytes) with each whole word @from replaced by @to, in place. */
static void
replace_word(char *s, size_t size, const char *from, const char *to)
{
	char out[AVEC_AUDIT_DETAIL_MAX + 1];

	if (size > sizeof(out))
		return;
	avec_audit_replace_word(s, from, to, out, size);
	memcpy(s, out, strlen(out) + 1);
}

void
ctl_audit_pseudonymise(const char *principal, const char *pseudonym)
{
	struct avec_audit_rec *r = &note.rec;

	replace_word(r->target, sizeof(r->target), principal, pseudonym);
	replace_word(r->detail, sizeof(r->detail), principal, pseudonym);
}

struct ctl_audit *
ctl_audit_begin(const char *group, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	struct avec_audit_rec *r = &note.rec;
	const struct passwd *pw;
	const char *sudo, *ssh, *tty;
	char who[64], safe[64];
	int i, ntarget = 0, want_target;
	bool opts_done = false;

	memset(&note, 0, sizeof(note));
	if (strcmp(group, cmd->name) == 0)
		snprintf(r->action, sizeof(r->action), "%s", group);
	else
		snprintf(r->action, sizeof(r->action), "%s %s", group, cmd->name);
	if (!listed(changing, r->action))
		return NULL;	/* reads only */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return NULL;	/* help: nothing is attempted */

	/* run by avecd (its admin API, its schedule): it says who and where */
	if (getenv("AVEC_API_ACTOR") != NULL) {
		const char *actor = getenv("AVEC_API_ACTOR");
		const char *origin = getenv("AVEC_API_ORIGIN");

		avec_text_safe(actor ? actor : "?", r->actor, sizeof(r->actor));
		avec_text_safe(origin ? origin : "admin api", r->origin,
			       sizeof(r->origin));
		goto who_done;
	}
	/* actor: the Unix user, and who ran sudo */
	pw = getpwuid(getuid());
	if (pw != NULL)
		avec_text_safe(pw->pw_name, who, sizeof(who));
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned)getuid());
	sudo = getenv("SUDO_USER");
	if (sudo != NULL && *sudo != '\0')
		snprintf(r->actor, sizeof(r->actor), "%s via sudo as %s",
			 avec_text_safe(sudo, safe, sizeof(safe)), who);
	else
		snprintf(r->actor, sizeof(r->actor), "%s", who);

	/* origin: the SSH client's address, else the terminal */
	ssh = getenv("SSH_CONNECTION");
	tty = ttyname(STDIN_FILENO);
	if (ssh != NULL && *ssh != '\0') {
		char addr[64];
		size_t n = strcspn(ssh, " ");

		if (n >= sizeof(addr))
			n = sizeof(addr) - 1;
		memcpy(addr, ssh, n);
		addr[n] = '\0';
		snprintf(r->origin, sizeof(r->origin), "cli ssh %s",
			 avec_text_safe(addr, safe, sizeof(safe)));
	} else if (tty != NULL) {
		snprintf(r->origin, sizeof(r->origin), "cli tty %s",
			 avec_text_safe(tty, safe, sizeof(safe)));
	} else {
		snprintf(r->origin, sizeof(r->origin), "cli");
	}
who_done:

	/* target: the first argument ("account X" / "device N" for blocks);
	 * detail: the others, secrets removed */
	want_target = strcmp(group, "block") == 0 ? 2 : 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!opts_done && strcmp(a, "--") == 0) {
			opts_done = true;
			continue;
		}
		if (!opts_done && strncmp(a, "--", 2) == 0) {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			char opt[80];

			snprintf(opt, sizeof(opt), "--%.*s", (int)(len < 60 ? len : 60),
				 name);
			append(r->detail, sizeof(r->detail), opt);
			if (eq != NULL) {
				append(r->detail, sizeof(r->detail),
				       secret_opt(name, len) ? REMOVED : eq + 1);
			} else if (takes_value(name, len) && i + 1 < argc) {
				i++;
				append(r->detail, sizeof(r->detail),
				       secret_opt(name, len) ? REMOVED : argv[i]);
			} else if (secret_opt(name, len) && i + 1 < argc) {
				i++;	/* unknown, but named like a secret */
				append(r->detail, sizeof(r->detail), REMOVED);
			}
			continue;
		}
		if (!opts_done && a[0] == '-' && a[1] != '\0') {
			char opt[3] = { '-', a[1], '\0' };
			bool secret = a[1] == 'p';

			append(r->detail, sizeof(r->detail), opt);
			if (strchr(value_shorts, a[1]) == NULL)
				continue;
			if (a[2] != '\0')
				append(r->detail, sizeof(r->detail),
				       secret ? REMOVED : a + 2);
			else if (i + 1 < argc)
				append(r->detail, sizeof(r->detail),
				       secret ? REMOVED : argv[++i]);
			continue;
		}
		if (ntarget < want_target) {
			append(r->target, sizeof(r->target), a);
			ntarget++;
		} else {
			append(r->detail, sizeof(r->detail), a);
		}
	}
	return &note;
}

int
ctl_audit_end(struct ctl *c, struct ctl_audit *a, int rc)
{
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	struct stat sb;
	const char *outcome;

	switch (rc) {
	case CTL_OK:		outcome = "ok"; break;
	case CTL_REFUSED:	outcome = "refused"; break;
	case CTL_NOTFOUND:	outcome = "not found"; break;
	case CTL_IO:		outcome = "failed"; break;
	default:		return rc;	/* usage: nothing attempted */
	}
	if (stat(c->db_path, &sb) < 0)
		return rc;	/* no store (ca init before init): nowhere to write */
	snprintf(a->rec.outcome, sizeof(a->rec.outcome), "%s", outcome);
	a->rec.at = (int64_t)time(NULL);
	st = avec_store_open(c->db_path, 0, &err);
	if (st == NULL || avec_store_audit_add(st, &a->rec, &err) < 0)
		ctl_fail(rc, "%s was %s but not recorded in the audit trail: %s",
			 a->rec.action, rc == CTL_OK ? "done" : "attempted",
			 err.msg);
	avec_store_close(st);
	return rc;
}

/* ---- avecctl audit list ---- */

struct list_ctx {
	bool json;
	struct avec_json j;
	struct ctl_table t;
};

static int
list_row(const struct avec_audit_rec *a, void *ctx)
{
	struct list_ctx *l = ctx;
	char when[32];
	struct tm tm;
	time_t t = (time_t)a->at;

	if (l->json) {
		avec_json_obj_begin(&l->j, NULL);
		avec_json_int(&l->j, "id", a->id);
		avec_json_time(&l->j, "at", a->at);
		avec_json_str(&l->j, "actor", a->actor);
		avec_json_str(&l->j, "origin", a->origin);
		avec_json_str(&l->j, "action", a->action);
		avec_json_str(&l->j, "target", a->target);
		avec_json_str(&l->j, "detail", a->detail);
		avec_json_str(&l->j, "outcome", a->outcome);
		avec_json_obj_end(&l->j);
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	{
		const char *cells[] = { when, a->actor, a->origin, a->action,
			a->target[0] ? a->target : NULL, a->outcome,
			a->detail[0] ? a->detail : NULL };

		return ctl_table_add(&l->t, cells) < 0 ? CTL_IO : 0;
	}
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "AT", "ACTOR", "ORIGIN",
		"ACTION", "TARGET", "OUTCOME", "DETAIL" };
	const struct ctl_cmd *cmd = &ctl_audit_cmds[0];
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	struct list_ctx l;
	int64_t since = 0;
	int ch, rc;

	memset(&l, 0, sizeof(l));
	while ((ch = ctl_getopt(cmd, argc, argv, "s:jh", longopts)) != -1) {
		switch (ch) {
		case 's':
			if (ctl_parse_time("--since", optarg, false, &since) < 0)
				return CTL_USAGE;
			break;
		case 'j': l.json = true; break;
		case 'h': return ctl_help(cmd);
		default: return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_fail(cmd, "audit list takes no argument");
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (l.json) {
		avec_json_init(&l.j, stdout);
		avec_json_arr_begin(&l.j, NULL);
	} else if (ctl_table_init(&l.t, 7, headers) < 0) {
		return ctl_fail(CTL_IO, "out of memory");
	}
	rc = avec_store_audit_list(st, since, list_row, &l, &err);
	if (l.json) {
		avec_json_arr_end(&l.j);
		avec_json_finish(&l.j);
	} else {
		if (rc == 0)
			ctl_table_print(&l.t, stdout);
		ctl_table_free(&l.t);
	}
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	return rc == 0 ? CTL_OK : ctl_fail(CTL_IO, "out of memory");
}

const struct ctl_cmd ctl_audit_cmds[] = {
	{ "list", run_list, "audit list [--since TIME] [--json]",
	  "The administrators' commands that changed (or tried to change) the\n"
	  "appliance, oldest first: when (UTC), who (Unix user; with sudo, who\n"
	  "ran it), from where (terminal or SSH client address), what, on\n"
	  "what, how it ended (ok, refused, not found, failed) and the other\n"
	  "arguments, every secret shown as [REMOVED].  Rows name people:\n"
	  "'log purge' deletes them with the connection log, after\n"
	  "log_retention_days.\n"
	  "TIME: YYYY-MM-DD[THH:MM[:SS]] (UTC) or Unix seconds." },
	{ NULL, NULL, NULL, NULL },
};
