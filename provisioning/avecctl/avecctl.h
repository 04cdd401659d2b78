/*
 * avecctl.h - what avecctl's command files share.
 *
 * avecctl is a thin program: each cmd_*.c parses one command's arguments,
 * checks every one of them (lib/avec/ident.h, common/text.h) before the
 * store is opened, calls libavec or the CA, and prints the result as
 * aligned columns or, with --json, through common/json.h.  Errors are one
 * line on stderr, "avecctl: ...", and an exit status from enum ctl_exit.
 */
#ifndef AVECCTL_H
#define AVECCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "avec/err.h"
#include "avec/model.h"
#include "avec/store.h"

#define CTL_DEFAULT_DB		"/var/lib/avec/avec.db"
#define CTL_DEFAULT_CA_DIR	"/var/lib/avec/ca"

/* Exit statuses, part of avecctl's contract with scripts and tests. */
enum ctl_exit {
	CTL_OK = 0,
	CTL_USAGE = 1,		/* bad usage or invalid input */
	CTL_NOTFOUND = 2,	/* no such account, device, CA */
	CTL_REFUSED = 3,	/* refused by policy or quota */
	CTL_IO = 4,		/* store, CA or I/O failure */
};

/* The program's state, shared by every command. */
struct ctl {
	const char *db_path;
	const char *ca_dir;
	bool quiet;
	struct avec_store *st;	/* opened by ctl_store(), closed by main */
};

/* One command or subcommand. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *usage;	/* "account add PRINCIPAL --role ROLE ..." */
	const char *help;	/* details printed by -h, or NULL */
};

/*
 * The commands, each a table of subcommands ended by a NULL name.  "init"
 * has no subcommand: its table holds the one entry that main runs.  A
 * run() gets argv[0] = its own name, and optind reset for getopt.
 */
extern const struct ctl_cmd ctl_init_cmds[];
extern const struct ctl_cmd ctl_token_cmds[];		/* cmd_token.c */
extern const struct ctl_cmd ctl_ca_cmds[];
extern const struct ctl_cmd ctl_account_cmds[];
extern const struct ctl_cmd ctl_policy_cmds[];
extern const struct ctl_cmd ctl_device_cmds[];
extern const struct ctl_cmd ctl_log_cmds[];		/* cmd_log.c */
extern const struct ctl_cmd ctl_settings_cmds[];	/* cmd_log.c */
/* "account export|erase", listed in ctl_account_cmds (cmd_log.c). */
int ctl_account_export(struct ctl *c, int argc, char **argv);
int ctl_account_erase(struct ctl *c, int argc, char **argv);
extern const struct ctl_cmd ctl_nas_cmds[];
extern const struct ctl_cmd ctl_ent_cmds[];
extern const struct ctl_cmd ctl_block_cmds[];
extern const struct ctl_cmd ctl_report_cmds[];		/* cmd_report.c */
extern const struct ctl_cmd ctl_audit_cmds[];		/* audit.c */
extern const struct ctl_cmd ctl_provision_cmds[];	/* cmd_provision.c */
extern const struct ctl_cmd ctl_status_cmds[];		/* cmd_status.c */

/*
 * The audit trail (audit.c).  ctl_audit_begin, before any command runs,
 * returns NULL unless the command changes state (audit.c's list of them:
 * add a new state-changing command there) or -h is asked; otherwise it
 * notes who, from where, what and on what, with every secret already
 * removed from the arguments (argv may be permuted or wiped by the
 * command).  ctl_audit_end records it with the outcome of @rc (usage
 * errors are not recorded) and returns @rc.  The note is static: one
 * command per process.
 */
struct ctl_audit;
struct ctl_audit *ctl_audit_begin(const char *group, const struct ctl_cmd *cmd,
				  int argc, char **argv);
int ctl_audit_end(struct ctl *c, struct ctl_audit *a, int rc);
/* After an erasure: the running command's own audit row names
 * @pseudonym wherever its note holds the word @principal. */
void ctl_audit_pseudonymise(const char *principal, const char *pseudonym);
/*
 * ctl_api_check - when avecd runs this command for its admin API
 * (avecctl --api-child, AVEC_API_SCOPE set), refuse what the API may not
 * do (a command that names files, avecctl's global options anywhere in
 * @argv, the command's own arguments), and any change for a read-only
 * token.  Returns CTL_OK, or CTL_REFUSED (message printed).
 */
int ctl_api_check(const char *group, const struct ctl_cmd *cmd, int argc,
		  char **argv);
/*
 * ctl_api_check_option - under the admin API, refuse the command option
 * called @name (its long name) when its value is a path on the appliance.
 * ctl_getopt calls it for each option it returns.  Returns CTL_OK, or
 * CTL_REFUSED (message printed).
 */
int ctl_api_check_option(const char *name);
/*
 * ctl_api_run - run the command @argv on the appliance through avecd's
 * admin API at @url ("unix:PATH" or "https://HOST:PORT"), relaying its
 * stdout, stderr and exit status (api_client.c).
 */
int ctl_api_run(const char *url, const char *token_file, const char *ca_file,
		int argc, char **argv);
/*
 * TIME of a report option (@opt names it in the error):
 * YYYY-MM-DD[THH:MM[:SS]][Z] in UTC, or Unix seconds.  Prints the error
 * and returns -1 when bad (audit.c).
 */
/*
 * ctl_parse_time - a time given on the command line: Unix seconds, or ISO
 * 8601 "YYYY-MM-DD[THH:MM[:SS[.f]]]" with "Z" or "+HH:MM"/"-HHMM".  With
 * @zone_required (a requisition must not depend on a guessed zone) a
 * date-time without a zone, or a date alone, is refused; otherwise they
 * mean UTC.  Prints the error naming @what; returns 0 or -1.
 */
int ctl_parse_time(const char *what, const char *s, bool zone_required,
		   int64_t *out);

/*
 * ctl_run - run one command: its audit note, the admin API's checks, then
 * @cmd->run(@c, @argc, @argv) with argv[0] its own name.  An option the
 * admin API refuses (ctl_getopt) makes it CTL_REFUSED.  Returns the exit
 * status.
 */
int ctl_run(struct ctl *c, const char *group, const struct ctl_cmd *cmd,
	    int argc, char **argv);
/*
 * ctl_dispatch - run (ctl_run) the subcommand of @group named by argv[1]
 * from @cmds (NULL-terminated); handles "-h" and unknown names.
 */
int ctl_dispatch(struct ctl *c, const char *group, const struct ctl_cmd *cmds,
		 int argc, char **argv);
/* Print "usage: avecctl ..." for @cmd to @f. */
void ctl_cmd_usage(FILE *f, const struct ctl_cmd *cmd);
/* For -h: the usage line and the details on stdout; returns CTL_OK. */
int ctl_help(const struct ctl_cmd *cmd);

/*
 * ctl_getopt - getopt_long over a command's own arguments, with avecctl's
 * messages: returns the option, -1 at the end, or '?' after printing what
 * was wrong (the caller returns CTL_USAGE; ctl_run makes it CTL_REFUSED
 * when the admin API refused the option: ctl_api_check_option).
 */
struct option;
int ctl_getopt(const struct ctl_cmd *cmd, int argc, char **argv,
	       const char *shortopts, const struct option *longopts);

/* "avecctl: <message>" on stderr; returns @code for tail calls. */
int ctl_fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A usage error: the message, then the command's usage line; CTL_USAGE. */
int ctl_usage_fail(const struct ctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Confirmation on stdout unless -q. */
void ctl_note(const struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * ctl_store - the store, opened on first use (read-only when @readonly
 * and not yet opened).  Prints the error and returns NULL on failure (the
 * caller exits CTL_IO).  main closes it.
 */
struct avec_store *ctl_store(struct ctl *c, bool readonly);

/*
 * After a revocation has committed (revoke_das.c): send a
 * Disconnect-Request for each open session of the device, or of every
 * device of the account, record and print each outcome.  Never fails the
 * command: an outcome other than ACK is reported on stderr.
 */
void ctl_disconnect_device(struct ctl *c, int64_t device_id);
void ctl_disconnect_account(struct ctl *c, const char *principal);

/* Argument checks; each prints its own error and returns -1 when bad. */
int ctl_check_principal(const char *s);
int ctl_check_role(const char *s, enum avec_role *out);
/* Decimal integer in [min, max], nothing else. */
int ctl_parse_num(const char *what, const char *s, int64_t min, int64_t max,
		  int64_t *out);

/* "YYYY-MM-DD HH:MM" (local time), or "-" for 0.  Returns @buf. */
char *ctl_time(int64_t t, char *buf, size_t len);
/* "2026-11-28T14:05:00Z" (UTC), or "-" for 0.  Returns @buf. */
char *ctl_utc(int64_t t, char *buf, size_t len);
/* A device column: "ID NAME", or "-" when @device_id is 0.  Returns @buf. */
char *ctl_device_cell(int64_t device_id, const char *name, char *buf,
		      size_t len);

/* ---- address bindings (cmd_log_addr.c) ---- */

struct avec_json;
struct avec_binding_rec;
/* One binding as a JSON object ("source": "dhcp", "dhcpv6" or "nd"). */
void ctl_json_binding(struct avec_json *j, const struct avec_binding_rec *b);
/*
 * The bindings of @ip that covered @at: into @j when not NULL, else a
 * table on stdout (nothing when there is none); *@n their number.
 * Returns CTL_OK, or CTL_IO (printed).
 */
int ctl_log_bindings(struct avec_store *st, const char *ip, int64_t at,
		     struct avec_json *j, uint64_t *n);
/* Every binding of @principal into @j; CTL_OK or CTL_IO (printed). */
int ctl_export_bindings(struct avec_store *st, const char *principal,
			struct avec_json *j);
/* How many bindings name @principal; 0 or -1. */
int ctl_count_bindings(struct avec_store *st, const char *principal,
		       uint64_t *n, struct avec_err *err);

/* ---- aligned columns ---- */

#define CTL_TABLE_MAXCOLS 12

struct ctl_table {
	size_t ncols, nrows, cap;
	char **cells;		/* row-major, terminal-safe copies */
	size_t width[CTL_TABLE_MAXCOLS];
};

/* Headers are the first row.  Returns 0 or -1 (out of memory). */
int ctl_table_init(struct ctl_table *t, size_t ncols,
		   const char *const *headers);
/* Copies @cells (ncols strings; NULL prints "-").  Returns 0 or -1 (OOM). */
int ctl_table_add(struct ctl_table *t, const char *const *cells);
/* Prints and frees the rows. */
void ctl_table_print(struct ctl_table *t, FILE *f);
void ctl_table_free(struct ctl_table *t);

/*
 * A listing prints a JSON array (--json) or an aligned table.
 * ctl_list_begin opens the one chosen (@j on stdout, or @t with @headers);
 * ctl_list_end closes and prints it, or, when the walk between them
 * returned @rc != 0, frees the table and reports @err (or "out of memory
 * listing @what").  Both return CTL_OK or the exit code to return.
 */
struct avec_json;
int ctl_list_begin(bool json, struct avec_json *j, struct ctl_table *t,
		   size_t ncols, const char *const *headers);
int ctl_list_end(bool json, struct avec_json *j, struct ctl_table *t, int rc,
		 const struct avec_err *err, const char *what);
/*
 * The options of a command that takes only --json and -h, then between
 * @min_args and @max_args arguments (at argv[optind]).  Returns -1 to go
 * on (with *json set), or the exit code.
 */
int ctl_json_opts(const struct ctl_cmd *cmd, int argc, char **argv,
		  int min_args, int max_args, bool *json);
/* The command called @name in the table @cmds (a name of its own). */
const struct ctl_cmd *ctl_cmd_named(const struct ctl_cmd *cmds,
				    const char *name);

#endif
