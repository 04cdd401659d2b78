/*
 * cmd_policy.c - "avecctl policy": the device policy of each role.
 *
 * A role with a policy is admitted on the secure network with that VLAN,
 * device quota, credential types, session timeout and device lifetime; a
 * role without one is refused (parents, by default).  This file turns
 * options into a struct avec_policy and back into text and JSON; bounds
 * are checked here, before the store is opened, and again by the store.
 * It must never touch accounts or devices: lowering a quota leaves the
 * devices in place, and the decision rejects those over it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/policy.h"
#include "avecctl.h"
#include "common/json.h"
#include "policy/policy_file.h"

#define DAY		86400
#define MAX_LIFETIME_DAYS	3660		/* ten years */
#define MAX_SESSION_TIMEOUT	(366 * DAY)

static int run_set(struct ctl *c, int argc, char **argv);
static int run_unset(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);
static int run_check(struct ctl *c, int argc, char **argv);
static int run_apply(struct ctl *c, int argc, char **argv);
static int run_show(struct ctl *c, int argc, char **argv);
static int run_effective(struct ctl *c, int argc, char **argv);

const struct ctl_cmd ctl_policy_cmds[] = {
	{ "set", run_set,
	  "policy set ROLE [--vlan N] [--max-devices N] [--creds LIST] "
	  "[--session-timeout S] [--lifetime-days D]",
	  "Admit ROLE with this policy, or change it.  For a role without a\n"
	  "policy --vlan, --max-devices and --creds are needed; otherwise\n"
	  "options not given keep their value.\n"
	  "  --vlan N             VLAN of the role's devices, 1-4094\n"
	  "  --max-devices N      active devices per account, 0-1000\n"
	  "  --creds LIST         allowed credentials: tls, ttls, peap, "
	  "comma-separated\n"
	  "  --session-timeout S  seconds sent as Session-Timeout, 0 = none\n"
	  "  --lifetime-days D    days a new device stays valid, 0 = no "
	  "limit" },
	{ "unset", run_unset, "policy unset ROLE",
	  "Remove ROLE's policy: its accounts' devices are refused." },
	{ "list", run_list, "policy list [--json]", NULL },
	{ "check", run_check, "policy check FILE",
	  "Validate a policy file (docs/policy-file.md) without applying it;\n"
	  "every error is printed as FILE:LINE:COL: message." },
	{ "apply", run_apply, "policy apply FILE",
	  "Validate FILE, then make it the whole policy in one transaction:\n"
	  "roles, holidays and overrides (block lists are kept).  Nothing\n"
	  "changes if anything in the file is wrong." },
	{ "show", run_show, "policy show [--json]",
	  "The whole policy, as a file 'policy apply' accepts, or JSON." },
	{ "effective", run_effective, "policy effective PRINCIPAL [--json]",
	  "The policy that applies to one account: its role's, with the\n"
	  "overrides of its schools, class groups and its own, in the order\n"
	  "they were applied." },
	{ NULL, NULL, NULL, NULL },
};

static int
run_set(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vlan", required_argument, NULL, 'v' },
		{ "max-devices", required_argument, NULL, 'm' },
		{ "creds", required_argument, NULL, 'c' },
		{ "session-timeout", required_argument, NULL, 's' },
		{ "lifetime-days", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_policy_cmds[0];
	const char *vlan_s = NULL, *max_s = NULL, *creds_s = NULL;
	const char *timeout_s = NULL, *life_s = NULL;
	struct avec_err err = { { 0 } };
	struct avec_policy pol;
	struct avec_store *st;
	enum avec_role role;
	int64_t vlan = 0, max = 0, timeout = 0, days = 0;
	uint32_t creds = 0;
	char buf[32];
	bool existed;
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'v':
			vlan_s = optarg;
			break;
		case 'm':
			max_s = optarg;
			break;
		case 'c':
			creds_s = optarg;
			break;
		case 's':
			timeout_s = optarg;
			break;
		case 'l':
			life_s = optarg;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "policy set needs one ROLE");
	if (ctl_check_role(argv[optind], &role) < 0)
		return CTL_USAGE;
	if (vlan_s != NULL &&
	    ctl_parse_num("VLAN", vlan_s, 1, 4094, &vlan) < 0)
		return CTL_USAGE;
	if (max_s != NULL &&
	    ctl_parse_num("maximum of devices", max_s, 0, 1000, &max) < 0)
		return CTL_USAGE;
	if (creds_s != NULL && avec_cred_mask_parse(creds_s, &creds) < 0)
		return ctl_fail(CTL_USAGE, "invalid --creds: expected a "
				"comma-separated list of tls, ttls, peap");
	if (timeout_s != NULL &&
	    ctl_parse_num("session timeout", timeout_s, 0,
			  MAX_SESSION_TIMEOUT, &timeout) < 0)
		return CTL_USAGE;
	if (life_s != NULL &&
	    ctl_parse_num("lifetime in days", life_s, 0, MAX_LIFETIME_DAYS,
			  &days) < 0)
		return CTL_USAGE;

	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	if (avec_store_policy_get(st, role, &pol, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	existed = pol.defined;
	if (!existed && (vlan_s == NULL || max_s == NULL || creds_s == NULL))
		return ctl_usage_fail(cmd, "role %s has no policy yet: give "
				      "--vlan, --max-devices and --creds",
				      avec_role_name(role));
	if (!existed)
		memset(&pol, 0, sizeof(pol));
	pol.defined = true;
	if (vlan_s != NULL)
		pol.vlan = (uint16_t)vlan;
	if (max_s != NULL)
		pol.max_devices = (uint32_t)max;
	if (creds_s != NULL)
		pol.allowed_creds = creds;
	if (timeout_s != NULL)
		pol.session_timeout = (uint32_t)timeout;
	if (life_s != NULL)
		pol.device_lifetime = (uint32_t)(days * DAY);
	if (avec_store_policy_set(st, role, &pol, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "policy of role %s %s: vlan %u, at most %" PRIu32
		 " devices, %s", avec_role_name(role),
		 existed ? "updated" : "set", pol.vlan, pol.max_devices,
		 avec_cred_mask_format(pol.allowed_creds, buf, sizeof(buf)));
	return CTL_OK;
}

static int
run_unset(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_policy_cmds[1];
	struct avec_err err = { { 0 } };
	struct avec_policy pol;
	struct avec_store *st;
	enum avec_role role;
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "policy unset needs one ROLE");
	if (ctl_check_role(argv[optind], &role) < 0)
		return CTL_USAGE;
	if ((st = ctl_store(c, false)) == NULL)
		return CTL_IO;
	memset(&pol, 0, sizeof(pol));
	pol.defined = false;
	if (avec_store_policy_set(st, role, &pol, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	ctl_note(c, "role %s is no longer admitted", avec_role_name(role));
	return CTL_OK;
}

/* "365d", or seconds when not a whole number of days, or "-" for none. */
static const char *
lifetime_text(uint32_t secs, char *buf, size_t len)
{
	if (secs == 0)
		snprintf(buf, len, "-");
	else if (secs % DAY == 0)
		snprintf(buf, len, "%" PRIu32 "d", secs / DAY);
	else
		snprintf(buf, len, "%" PRIu32 "s", secs);
	return buf;
}

static int
run_list(struct ctl *c, int argc, char **argv)
{
	static const char *const headers[] = {
		"ROLE", "ADMITTED", "VLAN", "MAX-DEVICES", "CREDS",
		"SESSION-TIMEOUT", "LIFETIME",
	};
	const struct ctl_cmd *cmd = &ctl_policy_cmds[2];
	struct avec_err err = { { 0 } };
	struct avec_policy pol;
	struct avec_store *st;
	struct ctl_table t;
	struct avec_json j;
	bool json = false;
	unsigned r, k;
	int rc;

	if ((rc = ctl_json_opts(cmd, argc, argv, 0, 0, &json)) >= 0)
		return rc;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if ((rc = ctl_list_begin(json, &j, &t, 7, headers)) != CTL_OK)
		return rc;
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		char vlan[8], max[16], creds[32], timeout[16], life[16];
		const char *cells[7];

		if (avec_store_policy_get(st, (enum avec_role)r, &pol,
					  &err) < 0) {
			if (!json)
				ctl_table_free(&t);
			return ctl_fail(CTL_IO, "%s", err.msg);
		}
		if (json) {
			avec_json_obj_begin(&j, NULL);
			avec_json_str(&j, "role", avec_role_name(r));
			avec_json_bool(&j, "admitted", pol.defined);
			if (pol.defined) {
				avec_json_int(&j, "vlan", pol.vlan);
				avec_json_int(&j, "max_devices",
					      pol.max_devices);
				avec_json_arr_begin(&j, "creds");
				for (k = 0; k < AVEC_CRED__COUNT; k++)
					if (pol.allowed_creds &
					    AVEC_CRED_BIT(k))
						avec_json_str(&j, NULL,
						    avec_cred_type_name(k));
				avec_json_arr_end(&j);
				avec_json_int(&j, "session_timeout",
					      pol.session_timeout);
				avec_json_int(&j, "device_lifetime",
					      pol.device_lifetime);
			}
			avec_json_obj_end(&j);
			continue;
		}
		cells[0] = avec_role_name(r);
		cells[1] = pol.defined ? "yes" : "no";
		if (pol.defined) {
			snprintf(vlan, sizeof(vlan), "%u", pol.vlan);
			snprintf(max, sizeof(max), "%" PRIu32,
				 pol.max_devices);
			snprintf(timeout, sizeof(timeout), "%" PRIu32,
				 pol.session_timeout);
			cells[2] = vlan;
			cells[3] = max;
			cells[4] = avec_cred_mask_format(pol.allowed_creds,
							 creds, sizeof(creds));
			cells[5] = pol.session_timeout ? timeout : "-";
			cells[6] = lifetime_text(pol.device_lifetime, life,
						 sizeof(life));
		} else {
			cells[2] = cells[3] = cells[4] = cells[5] =
			    cells[6] = NULL;
		}
		if (ctl_table_add(&t, cells) < 0) {
			ctl_table_free(&t);
			return ctl_fail(CTL_IO, "out of memory");
		}
	}
	return ctl_list_end(json, &j, &t, 0, NULL, "policies");
}

/* ---- the policy file: check, apply, show, effective ---- */

/* Print every error of a refused file; returns CTL_USAGE. */
static int
file_refused(const char *path, struct policy_file_errors *errs)
{
	unsigned i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	if (errs->n == 0)
		ctl_fail(CTL_USAGE, "%s: cannot be read (out of memory)", path);
	else
		ctl_fail(CTL_USAGE, "%s: %u error%s, nothing applied", path,
			 errs->n, errs->n == 1 ? "" : "s");
	policy_file_errors_free(errs);
	return CTL_USAGE;
}

/*
 * Parse the one FILE argument of check and apply into @doc (released by
 * the caller with avec_policy_doc_clear() on CTL_OK).  Returns CTL_OK, an
 * exit status after printing why, or -1 after printing the help.
 */
static int
load_file(const struct ctl_cmd *cmd, int argc, char **argv,
	  struct avec_policy_doc *doc)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct policy_file_errors errs;
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (ch == 'h')
			return ctl_help(cmd), -1;
		return CTL_USAGE;
	}
	if (argc - optind != 1)
		return ctl_usage_fail(cmd, "expected one FILE");
	if (policy_file_parse(argv[optind], NULL, doc, &errs) < 0)
		return file_refused(argv[optind], &errs);
	policy_file_errors_free(&errs);
	return CTL_OK;
}

static void
doc_summary(const struct avec_policy_doc *doc, char *buf, size_t len)
{
	size_t used = 0;
	unsigned r, n = 0;

	used += (size_t)snprintf(buf, len, "roles admitted:");
	for (r = 0; r < AVEC_ROLE__COUNT && used < len; r++)
		if (doc->roles[r].defined)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 n++ ? ", " : " ",
						 avec_role_name(r));
	if (used < len)
		snprintf(buf + used, len - used, "%s; %u holiday%s; %u "
			 "override%s", n ? "" : " none", doc->nholidays,
			 doc->nholidays == 1 ? "" : "s", doc->noverrides,
			 doc->noverrides == 1 ? "" : "s");
}

static int
run_check(struct ctl *c, int argc, char **argv)
{
	struct avec_policy_doc doc;
	char sum[160];
	int rc;

	rc = load_file(&ctl_policy_cmds[3], argc, argv, &doc);
	if (rc != CTL_OK)
		return rc < 0 ? CTL_OK : rc;
	doc_summary(&doc, sum, sizeof(sum));
	ctl_note(c, "%s: valid (%s)", argv[optind], sum);
	avec_policy_doc_clear(&doc);
	return CTL_OK;
}

/* The settings of a role policy, as the AVEC_OV_* bits the file shows. */
static uint32_t
role_set(const struct avec_policy *p)
{
	return AVEC_OV_ADMITTED | AVEC_OV_VLAN | AVEC_OV_MAX_DEVICES |
	    AVEC_OV_CREDS | AVEC_OV_SESSION_TIMEOUT | AVEC_OV_LIFETIME |
	    AVEC_OV_LIFETIME_UNTIL | (p->nwindows ? AVEC_OV_WINDOWS : 0);
}

/* The bits of @set whose values differ between @a and @b. */
static uint32_t
settings_diff(const struct avec_policy *a, const struct avec_policy *b,
	      uint32_t set)
{
	uint32_t d = 0;

	if ((set & AVEC_OV_ADMITTED) && a->defined != b->defined)
		d |= AVEC_OV_ADMITTED;
	if ((set & AVEC_OV_VLAN) && a->vlan != b->vlan)
		d |= AVEC_OV_VLAN;
	if ((set & AVEC_OV_MAX_DEVICES) && a->max_devices != b->max_devices)
		d |= AVEC_OV_MAX_DEVICES;
	if ((set & AVEC_OV_CREDS) && a->allowed_creds != b->allowed_creds)
		d |= AVEC_OV_CREDS;
	if ((set & AVEC_OV_SESSION_TIMEOUT) &&
	    a->session_timeout != b->session_timeout)
		d |= AVEC_OV_SESSION_TIMEOUT;
	if ((set & AVEC_OV_LIFETIME) && a->device_lifetime != b->device_lifetime)
		d |= AVEC_OV_LIFETIME | AVEC_OV_LIFETIME_UNTIL;
	if ((set & AVEC_OV_LIFETIME_UNTIL) &&
	    a->lifetime_until != b->lifetime_until)
		d |= AVEC_OV_LIFETIME | AVEC_OV_LIFETIME_UNTIL;
	if ((set & AVEC_OV_WINDOWS) && (a->nwindows != b->nwindows ||
	    memcmp(a->windows, b->windows,
		   a->nwindows * sizeof(a->windows[0])) != 0))
		d |= AVEC_OV_WINDOWS;
	return d;
}

static const struct avec_override *
find_override(const struct avec_policy_doc *doc, const struct avec_override *o)
{
	unsigned i;

	for (i = 0; i < doc->noverrides; i++)
		if (doc->overrides[i].scope == o->scope &&
		    doc->overrides[i].role == o->role &&
		    strcmp(doc->overrides[i].target, o->target) == 0)
			return &doc->overrides[i];
	return NULL;
}

static bool
has_holiday(const struct avec_policy_doc *doc, unsigned i,
	    const struct avec_policy_doc *in)
{
	unsigned k;

	for (k = 0; k < in->nholidays; k++)
		if (in->holidays[k].first == doc->holidays[i].first &&
		    in->holidays[k].last == doc->holidays[i].last &&
		    strcmp(in->holiday_names[k], doc->holiday_names[i]) == 0)
			return true;
	return false;
}

/* What applying @new over @old changes, one line per subject. */
static void
print_changes(const struct ctl *c, const struct avec_policy_doc *old,
	      const struct avec_policy_doc *new)
{
	unsigned r, i, added = 0, removed = 0, changed = 0;

	if (c->quiet)
		return;
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		const struct avec_policy *a = &old->roles[r], *b = &new->roles[r];
		uint32_t d;

		if (!a->defined && !b->defined)
			continue;
		printf("role %s: ", avec_role_name(r));
		if (!b->defined) {
			printf("no longer admitted\n");
			continue;
		}
		if (!a->defined) {
			printf("admitted: ");
			policy_file_settings(stdout, b, role_set(b) &
					     ~AVEC_OV_ADMITTED);
			printf("\n");
			continue;
		}
		d = settings_diff(a, b, role_set(a) | role_set(b));
		if (d == 0) {
			printf("unchanged\n");
			continue;
		}
		printf("now ");
		policy_file_settings(stdout, b, d);
		printf("\n");
	}
	for (i = 0; i < new->nholidays; i++)
		added += !has_holiday(new, i, old);
	for (i = 0; i < old->nholidays; i++)
		removed += !has_holiday(old, i, new);
	printf("holidays: %u (%u added, %u removed)\n", new->nholidays, added,
	       removed);
	added = removed = 0;
	for (i = 0; i < new->noverrides; i++) {
		const struct avec_override *o = &new->overrides[i];
		const struct avec_override *p = find_override(old, o);

		if (p == NULL)
			added++;
		else if (p->set != o->set || settings_diff(&p->v, &o->v, o->set))
			changed++;
	}
	for (i = 0; i < old->noverrides; i++)
		removed += find_override(new, &old->overrides[i]) == NULL;
	printf("overrides: %u (%u added, %u removed, %u changed)\n",
	       new->noverrides, added, removed, changed);
}

static int
run_apply(struct ctl *c, int argc, char **argv)
{
	struct avec_policy_doc doc, old;
	struct avec_err err = { { 0 } };
	struct avec_store *st;
	int rc;

	rc = load_file(&ctl_policy_cmds[4], argc, argv, &doc);
	if (rc != CTL_OK)
		return rc < 0 ? CTL_OK : rc;
	if ((st = ctl_store(c, false)) == NULL) {
		avec_policy_doc_clear(&doc);
		return CTL_IO;
	}
	if (avec_store_policy_doc(st, &old, &err) < 0) {
		avec_policy_doc_clear(&doc);
		return ctl_fail(CTL_IO, "%s", err.msg);
	}
	if (avec_store_policy_replace(st, &doc, &err) < 0) {
		avec_policy_doc_clear(&doc);
		avec_policy_doc_clear(&old);
		return ctl_fail(CTL_IO, "%s: not applied: %s", argv[optind],
				err.msg);
	}
	ctl_note(c, "%s applied", argv[optind]);
	print_changes(c, &old, &doc);
	avec_policy_doc_clear(&doc);
	avec_policy_doc_clear(&old);
	return CTL_OK;
}

static void
json_date(struct avec_json *j, const char *key, int32_t d)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int)(d / 10000),
		 (int)(d / 100 % 100), (int)(d % 100));
	avec_json_str(j, key, buf);
}

/* The settings of @v in @set as JSON members (durations in seconds). */
static void
json_settings(struct avec_json *j, const struct avec_policy *v, uint32_t set)
{
	char buf[AVEC_WINDOWS_MAX * 48];
	unsigned k;

	if (set & AVEC_OV_ADMITTED)
		avec_json_bool(j, "admitted", v->defined);
	if (set & AVEC_OV_VLAN)
		avec_json_int(j, "vlan", v->vlan);
	if (set & AVEC_OV_MAX_DEVICES)
		avec_json_int(j, "max_devices", v->max_devices);
	if (set & AVEC_OV_CREDS) {
		avec_json_arr_begin(j, "credentials");
		for (k = 0; k < AVEC_CRED__COUNT; k++)
			if (v->allowed_creds & AVEC_CRED_BIT(k))
				avec_json_str(j, NULL, avec_cred_type_name(k));
		avec_json_arr_end(j);
	}
	if (set & AVEC_OV_SESSION_TIMEOUT)
		avec_json_int(j, "session_timeout", v->session_timeout);
	if (set & AVEC_OV_LIFETIME)
		avec_json_int(j, "device_lifetime", v->device_lifetime);
	if (set & AVEC_OV_LIFETIME_UNTIL) {
		if (v->lifetime_until) {
			snprintf(buf, sizeof(buf), "%02u-%02u",
				 v->lifetime_until / 100u,
				 v->lifetime_until % 100u);
			avec_json_str(j, "lifetime_until", buf);
		} else {
			avec_json_null(j, "lifetime_until");
		}
	}
	if (set & AVEC_OV_WINDOWS) {
		if (v->nwindows)
			avec_json_str(j, "windows",
				      avec_windows_format(v->windows,
							  v->nwindows, buf,
							  sizeof(buf)));
		else
			avec_json_null(j, "windows");
	}
}

static void
json_override(struct avec_json *j, const struct avec_override *o)
{
	avec_json_obj_begin(j, NULL);
	avec_json_str(j, "scope", avec_scope_name(o->scope));
	avec_json_str(j, "target", o->target);
	avec_json_str(j, "role", o->role >= 0 ?
		      avec_role_name((enum avec_role)o->role) : NULL);
	json_settings(j, &o->v, o->set);
	avec_json_obj_end(j);
}

static int
run_show(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = &ctl_policy_cmds[5];
	struct avec_err err = { { 0 } };
	struct avec_policy_doc doc;
	struct avec_store *st;
	struct avec_json j;
	bool json = false;
	unsigned i, r;
	int ch;

	if ((ch = ctl_json_opts(cmd, argc, argv, 0, 0, &json)) >= 0)
		return ch;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (avec_store_policy_doc(st, &doc, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (!json) {
		policy_file_write(stdout, &doc);
		avec_policy_doc_clear(&doc);
		return CTL_OK;
	}
	avec_json_init(&j, stdout);
	avec_json_obj_begin(&j, NULL);
	avec_json_arr_begin(&j, "holidays");
	for (i = 0; i < doc.nholidays; i++) {
		avec_json_obj_begin(&j, NULL);
		avec_json_str(&j, "name", doc.holiday_names[i]);
		json_date(&j, "from", doc.holidays[i].first);
		json_date(&j, "to", doc.holidays[i].last);
		avec_json_obj_end(&j);
	}
	avec_json_arr_end(&j);
	avec_json_obj_begin(&j, "roles");
	for (r = 0; r < AVEC_ROLE__COUNT; r++) {
		const struct avec_policy *p = &doc.roles[r];

		avec_json_obj_begin(&j, avec_role_name(r));
		json_settings(&j, p, p->defined ? role_set(p) |
			      AVEC_OV_WINDOWS : AVEC_OV_ADMITTED);
		avec_json_obj_end(&j);
	}
	avec_json_obj_end(&j);
	avec_json_arr_begin(&j, "overrides");
	for (i = 0; i < doc.noverrides; i++)
		json_override(&j, &doc.overrides[i]);
	avec_json_arr_end(&j);
	avec_json_obj_end(&j);
	avec_json_finish(&j);
	avec_policy_doc_clear(&doc);
	return CTL_OK;
}

/* The memberships of one account, found by a scan of the store. */
#define EFF_MEMBERS_MAX 64
struct members {
	const char *principal;
	int64_t id;
	unsigned nschools, ngroups;
	char schools[EFF_MEMBERS_MAX][AVEC_OV_TARGET_MAX + 1];
	char groups[EFF_MEMBERS_MAX][AVEC_OV_TARGET_MAX + 1];
};

static int
members_account(const struct avec_account *a, void *ctx)
{
	struct members *m = ctx;

	if (strcmp(a->principal, m->principal) == 0)
		m->id = a->id;
	return 0;
}

static int
members_one(int64_t account_id, enum avec_scope scope, const char *target,
	    void *ctx)
{
	struct members *m = ctx;

	if (account_id != m->id || m->id == 0)
		return 0;
	if (scope == AVEC_SCOPE_SCHOOL && m->nschools < EFF_MEMBERS_MAX)
		snprintf(m->schools[m->nschools++], sizeof(m->schools[0]),
			 "%s", target);
	else if (scope == AVEC_SCOPE_GROUP && m->ngroups < EFF_MEMBERS_MAX)
		snprintf(m->groups[m->ngroups++], sizeof(m->groups[0]), "%s",
			 target);
	return 0;
}

static bool
is_member(const struct members *m, const struct avec_override *o)
{
	unsigned i;

	switch (o->scope) {
	case AVEC_SCOPE_SCHOOL:
		for (i = 0; i < m->nschools; i++)
			if (strcmp(m->schools[i], o->target) == 0)
				return true;
		return false;
	case AVEC_SCOPE_GROUP:
		for (i = 0; i < m->ngroups; i++)
			if (strcmp(m->groups[i], o->target) == 0)
				return true;
		return false;
	case AVEC_SCOPE_ACCOUNT:
		return strcmp(m->principal, o->target) == 0;
	case AVEC_SCOPE__COUNT:
	default:
		return false;
	}
}

/* "365d", "until 08-31", "365d or until 08-31, the earlier", or "none". */
static const char *
expiry_rule(const struct avec_policy *p, char *buf, size_t len)
{
	char dur[24];

	policy_file_duration(p->device_lifetime, dur, sizeof(dur));
	if (p->device_lifetime && p->lifetime_until)
		snprintf(buf, len, "%s or until %02u-%02u, whichever comes "
			 "first", dur, p->lifetime_until / 100u,
			 p->lifetime_until % 100u);
	else if (p->lifetime_until)
		snprintf(buf, len, "until %02u-%02u", p->lifetime_until / 100u,
			 p->lifetime_until % 100u);
	else if (p->device_lifetime)
		snprintf(buf, len, "%s after registration", dur);
	else
		snprintf(buf, len, "none");
	return buf;
}

static void
print_effective(const struct members *m, enum avec_role role,
		const struct avec_policy *p, const struct avec_override **ovs,
		unsigned n, int64_t expiry)
{
	char buf[AVEC_WINDOWS_MAX * 48], when[32];
	unsigned i;

	printf("account:         %s (%s)\n", m->principal, avec_role_name(role));
	printf("schools:        ");
	for (i = 0; i < m->nschools; i++)
		printf(" %s", m->schools[i]);
	printf("%s\ngroups:         ", m->nschools ? "" : " -");
	for (i = 0; i < m->ngroups; i++)
		printf(" \"%s\"", m->groups[i]);
	printf("%s\n", m->ngroups ? "" : " -");
	printf("admitted:        %s\n", p->defined ? "yes" : "no");
	if (p->defined) {
		printf("vlan:            %u\n", p->vlan);
		printf("max_devices:     %" PRIu32 "\n", p->max_devices);
		printf("credentials:     %s\n",
		       avec_cred_mask_format(p->allowed_creds, buf,
					     sizeof(buf)));
		printf("session_timeout: %s\n", p->session_timeout ?
		       policy_file_duration(p->session_timeout, buf,
					    sizeof(buf)) : "none");
		printf("expiry:          %s", expiry_rule(p, buf, sizeof(buf)));
		if (expiry)
			printf(" (a device registered now: %s)",
			       ctl_time(expiry, when, sizeof(when)));
		printf("\nwindows:         %s\n", p->nwindows ?
		       avec_windows_format(p->windows, p->nwindows, buf,
					   sizeof(buf)) : "always open");
		if (p->nwindows)
			printf("holidays:        %u (closed then)\n",
			       p->nholidays);
	}
	printf("overrides:       %s\n", n ? "(applied in this order)" :
	       "none");
	for (i = 0; i < n; i++) {
		printf("  %s \"%s\"", avec_scope_name(ovs[i]->scope),
		       ovs[i]->target);
		if (ovs[i]->role >= 0)
			printf(" (%s)", avec_role_name((enum avec_role)
						       ovs[i]->role));
		printf(": ");
		policy_file_settings(stdout, &ovs[i]->v, ovs[i]->set);
		printf("\n");
	}
}

static void
json_effective(const struct members *m, enum avec_role role,
	       const struct avec_policy *p, const struct avec_override **ovs,
	       unsigned n, int64_t expiry)
{
	struct avec_json j;
	unsigned i;

	avec_json_init(&j, stdout);
	avec_json_obj_begin(&j, NULL);
	avec_json_str(&j, "principal", m->principal);
	avec_json_str(&j, "role", avec_role_name(role));
	avec_json_arr_begin(&j, "schools");
	for (i = 0; i < m->nschools; i++)
		avec_json_str(&j, NULL, m->schools[i]);
	avec_json_arr_end(&j);
	avec_json_arr_begin(&j, "groups");
	for (i = 0; i < m->ngroups; i++)
		avec_json_str(&j, NULL, m->groups[i]);
	avec_json_arr_end(&j);
	json_settings(&j, p, p->defined ? role_set(p) | AVEC_OV_WINDOWS :
		      AVEC_OV_ADMITTED);
	if (p->defined) {
		avec_json_int(&j, "holidays", p->nholidays);
		avec_json_time(&j, "expires_if_registered_now", expiry);
	}
	avec_json_arr_begin(&j, "overrides");
	for (i = 0; i < n; i++)
		json_override(&j, ovs[i]);
	avec_json_arr_end(&j);
	avec_json_obj_end(&j);
	avec_json_finish(&j);
}

static int
run_effective(struct ctl *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd = &ctl_policy_cmds[6];
	struct avec_scan_cb cb = { 0 };
	struct avec_err err = { { 0 } };
	const struct avec_override **ovs = NULL;
	struct avec_policy pol, check;
	struct avec_account_rec rec;
	struct avec_policy_doc doc;
	struct members *m;
	struct avec_store *st;
	bool json = false;
	uint64_t gen;
	unsigned i, n = 0;
	int ch, rc;

	if ((ch = ctl_json_opts(cmd, argc, argv, 1, 1, &json)) >= 0)
		return ch;
	if (ctl_check_principal(argv[optind]) < 0)
		return CTL_USAGE;
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	rc = avec_store_account_get(st, argv[optind], &rec, &err);
	if (rc < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (rc == AVEC_STORE_NOTFOUND)
		return ctl_fail(CTL_NOTFOUND, "no account %s", argv[optind]);
	if (avec_store_policy_effective(st, argv[optind], &pol, &err) != 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ctl_fail(CTL_IO, "out of memory");
	m->principal = argv[optind];
	cb.account = members_account;
	cb.membership = members_one;
	if (avec_store_scan(st, &cb, m, &gen, &err) < 0 ||
	    avec_store_policy_doc(st, &doc, &err) < 0) {
		free(m);
		return ctl_fail(CTL_IO, "%s", err.msg);
	}
	/* which overrides applied, in the order the resolution used */
	if (doc.noverrides > 0 &&
	    (ovs = calloc(doc.noverrides, sizeof(*ovs))) == NULL) {
		avec_policy_doc_clear(&doc);
		free(m);
		return ctl_fail(CTL_IO, "out of memory");
	}
	for (i = 0; i < doc.noverrides; i++) {
		const struct avec_override *o = &doc.overrides[i];

		if ((o->role < 0 || o->role == (int)rec.a.role) &&
		    is_member(m, o))
			ovs[n++] = o;
	}
	avec_policy_resolve(&doc.roles[rec.a.role], ovs, n, &check);
	if (memcmp(&check, &pol, sizeof(pol)) != 0 && !c->quiet)
		fprintf(stderr, "avecctl: note: the store changed while "
			"reading; run again for a consistent view\n");
	if (json)
		json_effective(m, rec.a.role, &pol, ovs, n,
			       pol.defined ? avec_expiry_for(&pol, time(NULL))
			       : 0);
	else
		print_effective(m, rec.a.role, &pol, ovs, n,
				pol.defined ? avec_expiry_for(&pol, time(NULL))
				: 0);
	free(ovs);
	avec_policy_doc_clear(&doc);
	free(m);
	return CTL_OK;
}
