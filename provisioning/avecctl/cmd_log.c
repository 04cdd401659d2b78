/*
 * cmd_log.c - "avecctl log", "avecctl settings", and the person's rights
 * of "avecctl account export|erase": the connection log as a requisition
 * sees it, how long the store keeps what it knows, and what it holds
 * about one person.
 *
 * A requisition asks who held an address at an instant; "log query --ip
 * --at" answers with the address binding that covered it
 * (cmd_log_addr.c) and exactly the sessions whose Framed-IP-Address held
 * it then (started at or before, ended at or after, or still open), in
 * UTC, or says that none did.  "log purge" is
 * the retention the law asks for (log_retention_days for the log,
 * account_retention_days for ended accounts), and leaves no copy of the
 * deleted bytes in the files.  "account erase" removes the person's
 * account, devices and credentials and pseudonymises their audit rows
 * (its own row included), but not the connection log, which the law
 * requires for its own period; the help says so.  "account export" holds
 * their audit rows too.
 *
 * This file owns the arguments (times in ISO 8601 or Unix seconds,
 * addresses and MACs normalised before the store is opened) and how the
 * results look.  It must never print a secret or a stored hash (an export
 * lists devices without them), and never delete anything without --yes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/connlog.h"
#include "avec/ident.h"
#include "avec/ent.h"
#include "avec/report.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"

static int run_query(struct ctl *c, int argc, char **argv);
static int run_purge(struct ctl *c, int argc, char **argv);
static int run_get(struct ctl *c, int argc, char **argv);
static int run_set(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_log_cmds[] = {
	{ "query", run_query,
	  "log query (--ip ADDR --at TIME | --account PRINCIPAL | --mac MAC) "
	  "[--from TIME] [--to TIME] [--json]",
	  "The connection log, for a legal requisition.\n"
	  "  --ip ADDR --at TIME  who held ADDR at that instant: the binding\n"
	  "                       seen on the appliance's bridges (a DHCP lease,\n"
	  "                       a DHCPv6 or neighbour-discovery address), then\n"
	  "                       the RADIUS session(s) whose access point sent\n"
	  "                       ADDR as Framed-IP-Address\n"
	  "  --account PRINCIPAL  the sessions of a person (kept after erasure)\n"
	  "  --mac MAC            the sessions from a MAC address (a hint only:\n"
	  "                       phones change it per network)\n"
	  "  --from/--to TIME     only sessions overlapping that period\n"
	  "TIME is ISO 8601 with Z or an offset (2026-11-28T14:05:00Z,\n"
	  "2026-11-28T15:05:00+01:00) or Unix seconds.  Times are shown in UTC." },
	{ "purge", run_purge, "log purge [--now TIME]",
	  "Delete the sessions that ended (or, still open, were last heard of)\n"
	  "more than log_retention_days ago, the address bindings that ended\n"
	  "(or expired) that long ago, the audit trail's rows older than\n"
	  "that too, and the accounts that ended more than\n"
	  "account_retention_days ago with their devices.  The deleted\n"
	  "bytes are overwritten and the write-ahead log truncated.  --now\n"
	  "purges as of another instant (tests, catching up)." },
	{ NULL, NULL, NULL, NULL },
};

const struct ctl_cmd ctl_settings_cmds[] = {
	{ "get", run_get, "settings get [KEY] [--json]",
	  "The store's settings: log_retention_days (connection log, days,\n"
	  "1-3650, 365 by default: one year, French law),\n"
	  "account_retention_days (identity data after an account ends, days,\n"
	  "1-3650, 1825 by default) and ent_max_departure_pct (the share of a\n"
	  "school's people one ENT import may mark as departed without\n"
	  "--allow-mass-departure, percent, 0-100, 5 by default)." },
	{ "set", run_set, "settings set KEY VALUE",
	  "Change a setting within its bounds (see 'settings get -h')." },
	{ NULL, NULL, NULL, NULL },
};

/* ---- sessions, as text and JSON ---- */

static void
json_session(struct avec_json *j, const struct avec_session_rec *s)
{
	char t[32];

	avec_json_obj_begin(j, NULL);
	avec_json_str(j, "source", "radius");
	avec_json_int(j, "id", s->id);
	avec_json_str(j, "principal", s->principal);
	avec_json_id(j, "account_id", s->account_id);
	avec_json_id(j, "device_id", s->device_id);
	avec_json_str(j, "device_name", s->device_name);
	avec_json_str(j, "mac", s->mac);
	avec_json_str(j, "framed_ip", s->framed_ip);
	avec_json_str(j, "nas_address", s->nas_address);
	avec_json_str(j, "nas_port", s->nas_port);
	avec_json_str(j, "acct_session_id", s->session_id);
	avec_json_time(j, "started_at", s->started_at);
	avec_json_str(j, "started", ctl_utc(s->started_at, t, sizeof(t)));
	avec_json_time(j, "ended_at", s->ended_at);
	if (s->ended_at)
		avec_json_str(j, "ended", ctl_utc(s->ended_at, t, sizeof(t)));
	else
		avec_json_null(j, "ended");
	avec_json_time(j, "updated_at", s->updated_at);
	avec_json_int(j, "input_bytes", (int64_t)s->input_bytes);
	avec_json_int(j, "output_bytes", (int64_t)s->output_bytes);
	avec_json_str(j, "terminate_cause", s->terminate_cause);
	avec_json_obj_end(j);
}

struct sess_ctx {
	bool json;
	struct avec_json *j;
	struct ctl_table t;
	uint64_t n;
};

static int
sess_one(const struct avec_session_rec *s, void *arg)
{
	struct sess_ctx *sc = arg;
	char start[32], end[32], dev[96], in[24], out[24];
	const char *cells[10];

	sc->n++;
	if (sc->json) {
		json_session(sc->j, s);
		return 0;
	}
	snprintf(in, sizeof(in), "%" PRIu64, s->input_bytes);
	snprintf(out, sizeof(out), "%" PRIu64, s->output_bytes);
	cells[0] = ctl_utc(s->started_at, start, sizeof(start));
	cells[1] = s->ended_at ? ctl_utc(s->ended_at, end, sizeof(end)) :
		   "open";
	cells[2] = s->framed_ip[0] ? s->framed_ip : "-";
	cells[3] = s->principal[0] ? s->principal : "-";
	cells[4] = ctl_device_cell(s->device_id, s->device_name, dev,
				   sizeof(dev));
	cells[5] = s->mac[0] ? s->mac : "-";
	cells[6] = s->nas_address;
	cells[7] = in;
	cells[8] = out;
	cells[9] = s->terminate_cause[0] ? s->terminate_cause : "-";
	return ctl_table_add(&sc->t, cells) < 0 ? -1 : 0;
}

static const char *const sess_headers[] = {
	"START (UTC)", "END (UTC)", "IP", "PRINCIPAL", "DEVICE", "MAC", "NAS",
	"IN", "OUT", "CAUSE",
};

/* ---- log query ---- */

static int
run_query(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ip", required_argument, NULL, 'i' },
		{ "at", required_argument, NULL, 'a' },
		{ "account", required_argument, NULL, 'p' },
		{ "mac", required_argument, NULL, 'm' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_log_cmds, "query");
	struct avec_err err = { { 0 } };
	struct avec_session_query q;
	struct sess_ctx sc;
	struct avec_json j;
	struct avec_store *st;
	uint64_t nbind = 0;
	char when[32];
	const char *ip = NULL, *at = NULL, *who = NULL, *mac = NULL;
	const char *from = NULL, *to = NULL;
	char ipbuf[INET6_ADDRSTRLEN], macbuf[AVEC_MAC_STRLEN + 1], safe[48];
	unsigned char bin[16];
	int ch, rc, kinds;

	memset(&q, 0, sizeof(q));
	memset(&sc, 0, sizeof(sc));
	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'i': ip = optarg; break;
		case 'a': at = optarg; break;
		case 'p': who = optarg; break;
		case 'm': mac = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'j': sc.json = true; break;
		case 'h': return ctl_help(cmd);
		default: return CTL_USAGE;
		}
	}
	if (argc != optind)
		return ctl_usage_fail(cmd, "log query takes options only");
	kinds = (ip != NULL) + (who != NULL) + (mac != NULL);
	if (kinds != 1)
		return ctl_usage_fail(cmd, "give one of --ip (with --at), "
				      "--account or --mac");
	if ((ip != NULL) != (at != NULL))
		return ctl_usage_fail(cmd, "--ip and --at go together");
	if (ip != NULL && (from != NULL || to != NULL))
		return ctl_usage_fail(cmd, "--from/--to do not apply to --ip --at");
	if (ip != NULL) {
		if (inet_pton(AF_INET, ip, bin) == 1)
			inet_ntop(AF_INET, bin, ipbuf, sizeof(ipbuf));
		else if (inet_pton(AF_INET6, ip, bin) == 1)
			inet_ntop(AF_INET6, bin, ipbuf, sizeof(ipbuf));
		else
			return ctl_fail(CTL_USAGE, "invalid address '%s'",
					avec_text_safe(ip, safe, sizeof(safe)));
		q.ip = ipbuf;
		if (ctl_parse_time("--at", at, true, &q.at) < 0)
			return CTL_USAGE;
	}
	if (who != NULL) {
		if (ctl_check_principal(who) < 0)
			return CTL_USAGE;
		q.principal = who;
	}
	if (mac != NULL) {
		if (avec_mac_normalize(mac, macbuf) < 0)
			return ctl_fail(CTL_USAGE, "invalid MAC address '%s'",
					avec_text_safe(mac, safe, sizeof(safe)));
		q.mac = macbuf;
	}
	if ((from != NULL && ctl_parse_time("--from", from, true, &q.from) < 0) ||
	    (to != NULL && ctl_parse_time("--to", to, true, &q.to) < 0))
		return CTL_USAGE;
	if (to != NULL && q.to < q.from)
		return ctl_fail(CTL_USAGE, "--to is before --from");

	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	sc.j = &j;
	if (sc.json) {
		avec_json_init(&j, stdout);
		avec_json_arr_begin(&j, NULL);
	} else if (ctl_table_init(&sc.t, 10, sess_headers) < 0) {
		return ctl_fail(CTL_IO, "out of memory");
	}
	if (q.ip != NULL && (rc = ctl_log_bindings(st, q.ip, q.at,
						    sc.json ? &j : NULL,
						    &nbind)) != CTL_OK) {
		ctl_table_free(&sc.t);
		return rc;
	}
	rc = avec_store_session_query(st, &q, sess_one, &sc, &err);
	if (rc != 0) {
		ctl_table_free(&sc.t);
		return ctl_fail(CTL_IO, "%s", err.msg[0] ? err.msg :
				"out of memory listing sessions");
	}
	if (sc.json) {
		avec_json_arr_end(&j);
		avec_json_finish(&j);
	} else if (sc.n == 0) {
		ctl_table_free(&sc.t);
		if (q.ip != NULL && nbind == 0)
			ctl_note(c, "no binding and no session held %s at %s",
				 q.ip, ctl_utc(q.at, when, sizeof(when)));
		else if (q.ip == NULL)
			ctl_note(c, "no session");
	} else {
		if (nbind > 0)
			printf("RADIUS sessions with that Framed-IP-Address:\n");
		ctl_table_print(&sc.t, stdout);
	}
	return CTL_OK;
}

/* ---- log purge ---- */

static int
run_purge(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_log_cmds, "purge");
	struct avec_err err = { { 0 } };
	struct avec_purge_stats ps;
	struct avec_store *st;
	int64_t now = (int64_t)time(NULL);
	char t[32];
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'n':
			if (ctl_parse_time("--now", optarg, false, &now) < 0)
				return CTL_USAGE;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc != optind)
		return ctl_usage_fail(cmd, "log purge takes options only");
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	memset(&ps, 0, sizeof(ps));
	if (avec_store_purge(st, now, &ps, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "purged as of %s: %" PRIu64 " sessions, %" PRIu64
		 " address bindings, %" PRIu64 " accounts with %" PRIu64
		 " devices", ctl_utc(now, t, sizeof(t)), ps.sessions,
		 ps.bindings, ps.accounts, ps.devices);
	return CTL_OK;
}

/* ---- settings ---- */

static int
check_key(const char *key)
{
	int64_t min, max;
	char safe[40];

	if (avec_setting_bounds(key, &min, &max) == 0)
		return 0;
	ctl_fail(CTL_USAGE, "unknown setting '%s': expected "
		 "log_retention_days, account_retention_days or "
		 "ent_max_departure_pct", avec_text_safe(key, safe, sizeof(safe)));
	return -1;
}

static int
run_get(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_settings_cmds, "get");
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	struct avec_json j;
	const char *one = NULL;
	bool json = false;
	int64_t v;
	int ch, rc;
	size_t i;

	if ((ch = ctl_json_opts(cmd, argc, argv, 0, 1, &json)) >= 0)
		return ch;
	if (argc - optind == 1) {
		one = argv[optind];
		if (check_key(one) < 0)
			return CTL_USAGE;
	}
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (json) {
		avec_json_init(&j, stdout);
		avec_json_obj_begin(&j, NULL);
	}
	for (i = 0; avec_setting_keys[i] != NULL; i++) {
		const char *key = avec_setting_keys[i];

		if (one != NULL && strcmp(one, key) != 0)
			continue;
		rc = avec_store_setting_get(st, key, &v, &err);
		if (rc != 0)
			return ctl_fail(rc < 0 ? CTL_IO : CTL_NOTFOUND, "%s",
					rc < 0 ? err.msg : "setting missing from the store");
		if (json)
			avec_json_int(&j, key, v);
		else if (one != NULL)
			printf("%" PRId64 "\n", v);
		else
			printf("%-24s %" PRId64 "\n", key, v);
	}
	if (json) {
		avec_json_obj_end(&j);
		avec_json_finish(&j);
	}
	return CTL_OK;
}

static int
run_set(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_settings_cmds, "set");
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	int64_t min, max, v;
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (argc - optind != 2)
		return ctl_usage_fail(cmd, "settings set needs KEY and VALUE");
	if (check_key(argv[optind]) < 0)
		return CTL_USAGE;
	avec_setting_bounds(argv[optind], &min, &max);
	if (ctl_parse_num(argv[optind], argv[optind + 1], min, max, &v) < 0)
		return CTL_USAGE;
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	if (avec_store_setting_set(st, argv[optind], v, &err) != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "%s = %" PRId64, argv[optind], v);
	return CTL_OK;
}

/* ---- account export / erase (listed in cmd_account.c) ---- */

static int
text_one(const char *value, void *arg)
{
	avec_json_str(arg, NULL, value);
	return 0;
}

static int
export_device(const struct avec_device_rec *d, void *arg)
{
	struct avec_json *j = arg;

	/* Never the secret's hash: it is a credential, not data about them. */
	avec_json_obj_begin(j, NULL);
	avec_json_int(j, "id", d->d.id);
	avec_json_str(j, "name", d->name);
	avec_json_str(j, "type", avec_cred_type_name(d->d.cred_type));
	avec_json_str(j, "status", avec_device_status_name(d->d.status));
	avec_json_str(j, "username", d->username);
	avec_json_str(j, "cert_serial", d->cert_serial);
	avec_json_time(j, "created_at", d->created_at);
	avec_json_time(j, "expires_at", d->d.expires_at);
	avec_json_time(j, "last_seen", d->last_seen);
	avec_json_str(j, "last_mac", d->last_mac);
	avec_json_time(j, "revoked_at", d->revoked_at);
	avec_json_str(j, "revoke_reason", d->revoke_reason);
	avec_json_obj_end(j);
	return 0;
}

/* One PRINCIPAL and the --yes flag, parsed for export and erase. */
static int
principal_arg(const struct ctl_cmd *cmd, int argc, char **argv, bool *yes,
	      const char **principal)
{
	static const struct option longopts[] = {
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, yes ? "yh" : "h",
				longopts)) != -1) {
		if (ch == 'y' && yes != NULL) {
			*yes = true;
			continue;
		}
		if (ch == 'h')
			return ctl_help(cmd) == CTL_OK ? 1 : -1;
		return -1;
	}
	if (argc - optind != 1) {
		ctl_usage_fail(cmd, "account %s needs one PRINCIPAL", cmd->name);
		return -1;
	}
	*principal = argv[optind];
	return ctl_check_principal(*principal) < 0 ? -1 : 0;
}

/* One ENT feed record, for the export. */
static int
export_person(const struct avec_ent_person *p, void *arg)
{
	struct avec_json *j = arg;

	avec_json_obj_begin(j, NULL);
	avec_json_str(j, "aaf_id", p->id);
	avec_json_str(j, "category", p->category);
	avec_json_str(j, "join_key", p->join_key);
	avec_json_str(j, "role", avec_role_name(p->role));
	avec_json_str(j, "name", p->display_name);
	avec_json_str(j, "status", p->left ? "left" : "present");
	avec_json_time(j, "left_at", p->left_at);
	avec_json_str(j, "schools", p->uais);
	avec_json_str(j, "groups", p->groups);
	avec_json_obj_end(j);
	return 0;
}

struct export_audit_ctx {
	struct avec_json *j;
	uint64_t n;
};

/* One audit row about the person, for the export. */
static int
export_audit(const struct avec_audit_rec *a, void *arg)
{
	struct export_audit_ctx *ea = arg;

	ea->n++;
	avec_json_obj_begin(ea->j, NULL);
	avec_json_time(ea->j, "at", a->at);
	avec_json_str(ea->j, "actor", a->actor);
	avec_json_str(ea->j, "origin", a->origin);
	avec_json_str(ea->j, "action", a->action);
	avec_json_str(ea->j, "target", a->target);
	avec_json_str(ea->j, "detail", a->detail);
	avec_json_str(ea->j, "outcome", a->outcome);
	avec_json_obj_end(ea->j);
	return 0;
}

int
ctl_account_export(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_account_cmds, "export");
	struct avec_err err = { { 0 } };
	struct avec_session_query q;
	struct avec_account_rec a;
	struct avec_store *st;
	struct avec_json j;
	struct sess_ctx sc;
	struct export_audit_ctx ea = { &j, 0 };
	const char *principal = NULL;
	int64_t v;
	int rc, rc2;
	size_t i;

	rc = principal_arg(cmd, argc, argv, NULL, &principal);
	if (rc != 0)
		return rc > 0 ? CTL_OK : CTL_USAGE;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	rc = avec_store_account_get(st, principal, &a, &err);
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	avec_json_init(&j, stdout);
	avec_json_obj_begin(&j, NULL);
	avec_json_str(&j, "principal", principal);
	if (rc == AVEC_STORE_NOTFOUND) {
		avec_json_null(&j, "account");
	} else {
		avec_json_obj_begin(&j, "account");
		avec_json_int(&j, "id", a.a.id);
		avec_json_str(&j, "principal", a.a.principal);
		avec_json_str(&j, "role", avec_role_name(a.a.role));
		avec_json_str(&j, "status", avec_account_status_name(a.a.status));
		avec_json_str(&j, "display_name", a.display_name);
		avec_json_time(&j, "created_at", a.created_at);
		avec_json_time(&j, "updated_at", a.updated_at);
		avec_json_time(&j, "ended_at", a.ended_at);
		avec_json_obj_end(&j);
		avec_json_arr_begin(&j, "schools");
		if (avec_store_account_schools(st, a.a.id, text_one, &j, &err) != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		avec_json_arr_end(&j);
		avec_json_arr_begin(&j, "groups");
		if (avec_store_account_groups(st, a.a.id, text_one, &j, &err) != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		avec_json_arr_end(&j);
		avec_json_arr_begin(&j, "devices");
		if (avec_store_device_list(st, principal, export_device, &j,
					   &err) != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		avec_json_arr_end(&j);
		/* what the ENT feed says of the person, when linked */
		avec_json_arr_begin(&j, "ent_feed");
		if (avec_ent_person_of(st, principal, export_person, &j, &err) != 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		avec_json_arr_end(&j);
	}
	/* what the administrators (and the person, through the portal) did
	 * about them: the audit trail's rows */
	avec_json_arr_begin(&j, "audit");
	rc2 = avec_store_account_audit(st, principal, export_audit, &ea, &err);
	if (rc2 != 0)
		return ctl_fail(CTL_IO, "%s", rc2 < 0 ? err.msg : "out of memory");
	avec_json_arr_end(&j);
	memset(&q, 0, sizeof(q));
	memset(&sc, 0, sizeof(sc));
	q.principal = principal;
	sc.json = true;
	sc.j = &j;
	avec_json_arr_begin(&j, "sessions");
	if (avec_store_session_query(st, &q, sess_one, &sc, &err) != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	avec_json_arr_end(&j);
	/* the addresses the appliance saw their devices take */
	avec_json_arr_begin(&j, "addresses");
	if (ctl_export_bindings(st, principal, &j) != CTL_OK)
		return CTL_IO;
	avec_json_arr_end(&j);
	avec_json_obj_begin(&j, "retention_days");
	for (i = 0; avec_setting_keys[i] != NULL; i++)
		if (strstr(avec_setting_keys[i], "_retention_days") != NULL &&
		    avec_store_setting_get(st, avec_setting_keys[i], &v, &err) == 0)
			avec_json_int(&j, avec_setting_keys[i], v);
	avec_json_obj_end(&j);
	avec_json_obj_end(&j);
	if (avec_json_finish(&j) < 0)
		return ctl_fail(CTL_IO, "cannot write the export");
	if (rc == AVEC_STORE_NOTFOUND && sc.n == 0 && ea.n == 0)
		return ctl_fail(CTL_NOTFOUND, "nothing is held about %s",
				principal);
	return CTL_OK;
}

static int
count_one(const struct avec_session_rec *s, void *arg)
{
	(void)s;
	(*(uint64_t *)arg)++;
	return 0;
}

int
ctl_account_erase(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_account_cmds, "erase");
	struct avec_err err = { { 0 } };
	struct avec_session_query q;
	struct avec_store *st;
	const char *principal = NULL;
	struct avec_erasure er;
	uint64_t nsess = 0, nbind = 0;
	int64_t days = 0;
	bool yes = false;
	int rc;

	rc = principal_arg(cmd, argc, argv, &yes, &principal);
	if (rc != 0)
		return rc > 0 ? CTL_OK : CTL_USAGE;
	if (!yes)
		return ctl_usage_fail(cmd, "this deletes the account %s, its "
				      "devices and credentials for good: add "
				      "--yes", principal);
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	rc = avec_store_account_erase(st, principal, &er, &err);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no account %s", principal);
	if (rc != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	/* this command's own audit row names the pseudonym, not the person */
	ctl_audit_pseudonymise(principal, er.pseudonym);
	memset(&q, 0, sizeof(q));
	q.principal = principal;
	if (avec_store_session_query(st, &q, count_one, &nsess, &err) != 0 ||
	    ctl_count_bindings(st, principal, &nbind, &err) != 0 ||
	    avec_store_setting_get(st, "log_retention_days", &days, &err) != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "account %s erased with %" PRIu64 " devices; it is %s in "
		 "the audit trail (%" PRIu64 " rows); its %" PRIu64
		 " connection log sessions and %" PRIu64 " address bindings are "
		 "kept until their retention ends (%" PRId64 " days), as the "
		 "law requires", principal, er.devices, er.pseudonym,
		 er.audit_rows, nsess, nbind, days);
	return CTL_OK;
}
