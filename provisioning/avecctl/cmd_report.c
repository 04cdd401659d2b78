/*
 * cmd_report.c - `avecctl report`: the appliance at a glance, for the
 * administrators of the schools.
 *
 *   report devices [--by role|class|status|school]  devices counted
 *   report sessions                                 sessions open now
 *   report auth [--from T] [--to T]                 accepts and refusals
 *                                                   by reason, per period
 *
 * It owns the presentation of these reports (aligned columns, or JSON
 * with --json); the SQL lives in lib/store_report.c.  It only reads, on a
 * read-only connection, and must never show a secret: nothing it reads
 * holds one.  Authentication counts reach the store from the RADIUS
 * module about once a minute (stats_interval), so the last minute may be
 * missing from `report auth`.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/report.h"
#include "avecctl.h"
#include "common/json.h"

struct out {
	bool json;
	struct avec_json j;
	struct ctl_table t;
	uint64_t total, active;
};

/* Begin the JSON array or the table; 0 or CTL_IO. */
static int
out_begin(struct out *o, size_t ncols, const char *const *headers)
{
	if (o->json) {
		avec_json_init(&o->j, stdout);
		avec_json_obj_begin(&o->j, NULL);
		avec_json_arr_begin(&o->j, "rows");
		return 0;
	}
	return ctl_table_init(&o->t, ncols, headers) < 0 ?
	    ctl_fail(CTL_IO, "out of memory") : 0;
}

/* Finish after a walk that returned @rc; returns the exit status. */
static int
out_end(struct out *o, int rc, const struct avec_err *err, bool totals)
{
	if (o->json) {
		avec_json_arr_end(&o->j);
		if (totals) {
			avec_json_int(&o->j, "total", (int64_t)o->total);
			avec_json_int(&o->j, "active", (int64_t)o->active);
		}
		avec_json_obj_end(&o->j);
		avec_json_finish(&o->j);
	} else {
		if (rc == 0)
			ctl_table_print(&o->t, stdout);
		ctl_table_free(&o->t);
	}
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err->msg);
	return rc == 0 ? CTL_OK : ctl_fail(CTL_IO, "out of memory");
}

/* ---- report devices ---- */

static const char *const by_names[] = { "role", "class", "status", "school" };

static int
device_row(const char *key, uint64_t count, uint64_t active, void *ctx)
{
	struct out *o = ctx;
	char n[24], a[24];

	o->total += count;
	o->active += active;
	if (o->json) {
		avec_json_obj_begin(&o->j, NULL);
		avec_json_str(&o->j, "key", key);
		avec_json_int(&o->j, "devices", (int64_t)count);
		avec_json_int(&o->j, "active", (int64_t)active);
		avec_json_obj_end(&o->j);
		return 0;
	}
	snprintf(n, sizeof(n), "%" PRIu64, count);
	snprintf(a, sizeof(a), "%" PRIu64, active);
	{
		const char *cells[] = { key[0] ? key : "(none)", n, a };

		return ctl_table_add(&o->t, cells) < 0 ? 1 : 0;
	}
}

static int
run_devices(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_report_cmds, "devices");
	struct avec_err err = { { 0 } };
	enum avec_report_by by = AVEC_BY_ROLE;
	const char *headers[] = { "ROLE", "DEVICES", "ACTIVE" };
	const char *upper[] = { "ROLE", "CLASS", "STATUS", "SCHOOL" };
	struct avec_store *st;
	struct out o;
	unsigned i;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = ctl_getopt(cmd, argc, argv, "jh", longopts)) != -1) {
		switch (ch) {
		case 'b':
			for (i = 0; i < 4; i++)
				if (strcmp(optarg, by_names[i]) == 0)
					break;
			if (i == 4)
				return ctl_usage_fail(cmd, "--by: one of role, "
						      "class, status, school");
			by = (enum avec_report_by)i;
			break;
		case 'j': o.json = true; break;
		case 'h': return ctl_help(cmd);
		default: return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_fail(cmd, "report devices takes no argument");
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	headers[0] = upper[by];
	if ((rc = out_begin(&o, 3, headers)) != 0)
		return rc;
	rc = avec_store_report_devices(st, by, device_row, &o, &err);
	if (!o.json && rc == 0) {
		char n[24], a[24];
		const char *cells[] = { "total", n, a };

		snprintf(n, sizeof(n), "%" PRIu64, o.total);
		snprintf(a, sizeof(a), "%" PRIu64, o.active);
		if (by != AVEC_BY_CLASS && by != AVEC_BY_SCHOOL &&
		    ctl_table_add(&o.t, cells) < 0)
			rc = 1;
	}
	return out_end(&o, rc, &err, by != AVEC_BY_CLASS && by != AVEC_BY_SCHOOL);
}

/* ---- report sessions ---- */

static int
session_row(const struct avec_session_rec *s, void *ctx)
{
	struct out *o = ctx;
	char dev[32], since[32];

	o->total++;
	if (o->json) {
		avec_json_obj_begin(&o->j, NULL);
		avec_json_str(&o->j, "account", s->principal);
		avec_json_id(&o->j, "device", s->device_id);
		avec_json_str(&o->j, "device_name", s->device_name);
		avec_json_str(&o->j, "mac", s->mac);
		avec_json_str(&o->j, "nas", s->nas_address);
		avec_json_str(&o->j, "ip", s->framed_ip);
		avec_json_time(&o->j, "since", s->started_at);
		avec_json_obj_end(&o->j);
		return 0;
	}
	snprintf(dev, sizeof(dev), "%" PRId64, s->device_id);
	ctl_utc(s->started_at, since, sizeof(since));
	{
		const char *cells[] = {
			s->principal[0] ? s->principal : NULL,
			s->device_id ? dev : NULL,
			s->device_name[0] ? s->device_name : NULL,
			s->mac[0] ? s->mac : NULL, s->nas_address,
			s->framed_ip[0] ? s->framed_ip : NULL, since };

		return ctl_table_add(&o->t, cells) < 0 ? 1 : 0;
	}
}

static int
run_sessions(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = { "ACCOUNT", "DEVICE", "NAME",
		"MAC", "NAS", "IP", "SINCE (UTC)" };
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_report_cmds, "sessions");
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	struct out o;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	if ((ch = ctl_json_opts(cmd, argc, argv, 0, 0, &o.json)) >= 0)
		return ch;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = out_begin(&o, 7, headers)) != 0)
		return rc;
	rc = avec_store_report_sessions(st, session_row, &o, &err);
	return out_end(&o, rc, &err, false);
}

/* ---- report auth ---- */

static int
auth_row(const char *key, uint64_t count, uint64_t unused, void *ctx)
{
	struct out *o = ctx;
	char n[24];

	(void)unused;
	o->total += count;
	if (strcmp(key, "accept") == 0)
		o->active += count;
	if (o->json) {
		avec_json_obj_begin(&o->j, NULL);
		avec_json_str(&o->j, "reason", key);
		avec_json_int(&o->j, "count", (int64_t)count);
		avec_json_obj_end(&o->j);
		return 0;
	}
	snprintf(n, sizeof(n), "%" PRIu64, count);
	{
		const char *cells[] = { key, n };

		return ctl_table_add(&o->t, cells) < 0 ? 1 : 0;
	}
}

static int
run_auth(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const headers[] = { "OUTCOME", "COUNT" };
	const struct ctl_cmd *cmd = ctl_cmd_named(ctl_report_cmds, "auth");
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	int64_t from = 0, to = 0;
	struct out o;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	while ((ch = ctl_getopt(cmd, argc, argv, "jh", longopts)) != -1) {
		switch (ch) {
		case 'f':
			if (ctl_parse_time("--from", optarg, false, &from) < 0)
				return CTL_USAGE;
			break;
		case 't':
			if (ctl_parse_time("--to", optarg, false, &to) < 0)
				return CTL_USAGE;
			break;
		case 'j': o.json = true; break;
		case 'h': return ctl_help(cmd);
		default: return CTL_USAGE;
		}
	}
	if (optind < argc)
		return ctl_usage_fail(cmd, "report auth takes no argument");
	if (to != 0 && to <= from)
		return ctl_usage_fail(cmd, "--to must come after --from");
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = out_begin(&o, 2, headers)) != 0)
		return rc;
	rc = avec_store_report_auth(st, from, to, auth_row, &o, &err);
	if (o.json) {
		avec_json_arr_end(&o.j);
		avec_json_int(&o.j, "accepted", (int64_t)o.active);
		avec_json_int(&o.j, "refused", (int64_t)(o.total - o.active));
		if (from)
			avec_json_time(&o.j, "from", from);
		if (to)
			avec_json_time(&o.j, "to", to);
		avec_json_obj_end(&o.j);
		avec_json_finish(&o.j);
		if (rc < 0)
			return ctl_fail(CTL_IO, "%s", err.msg);
		return CTL_OK;
	}
	if (rc == 0) {
		char a[24], r[24];
		const char *c1[] = { "total accepted", a };
		const char *c2[] = { "total refused", r };

		snprintf(a, sizeof(a), "%" PRIu64, o.active);
		snprintf(r, sizeof(r), "%" PRIu64, o.total - o.active);
		if (ctl_table_add(&o.t, c1) < 0 || ctl_table_add(&o.t, c2) < 0)
			rc = 1;
	}
	return out_end(&o, rc, &err, false);
}

const struct ctl_cmd ctl_report_cmds[] = {
	{ "devices", run_devices,
	  "report devices [--by role|class|status|school] [--json]",
	  "Devices counted by their owner's role (the default), class group\n"
	  "or school, or by their status; with how many are active.  A device\n"
	  "whose owner is in two groups or schools counts in each; (none)\n"
	  "counts those in none." },
	{ "sessions", run_sessions, "report sessions [--json]",
	  "The sessions open now, from the connection log (accounting): the\n"
	  "account, the device, its MAC (a hint), the NAS, the address it was\n"
	  "given and since when (UTC)." },
	{ "auth", run_auth, "report auth [--from TIME] [--to TIME] [--json]",
	  "Access-Requests decided by the RADIUS module: accepted, and refused\n"
	  "by reason, over the whole hours (UTC) that overlap the period\n"
	  "(default: everything kept).  The module adds its counts to the\n"
	  "store every stats_interval (a minute by default) and at stop.\n"
	  "TIME: YYYY-MM-DD[THH:MM[:SS]] (UTC) or Unix seconds." },
	{ NULL, NULL, NULL, NULL },
};
