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
#include <string.h>

#include "avecctl.h"
#include "common/json.h"

#define DAY		86400
#define MAX_LIFETIME_DAYS	3660		/* ten years */
#define MAX_SESSION_TIMEOUT	(366 * DAY)

static int run_set(struct ctl *c, int argc, char **argv);
static int run_unset(struct ctl *c, int argc, char **argv);
static int run_list(struct ctl *c, int argc, char **argv);

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
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
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
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "jh", longopts)) != -1) {
		switch (ch) {
		case 'j':
			json = true;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc != optind)
		return ctl_usage_fail(cmd, "policy list takes no argument");
	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (json) {
		avec_json_init(&j, stdout);
		avec_json_arr_begin(&j, NULL);
	} else if (ctl_table_init(&t, 7, headers) < 0) {
		return ctl_fail(CTL_IO, "out of memory");
	}
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
	if (json) {
		avec_json_arr_end(&j);
		avec_json_finish(&j);
	} else {
		ctl_table_print(&t, stdout);
	}
	return CTL_OK;
}
