/*
 * cmd_status.c - `avecctl status`: the appliance at a glance.
 *
 * This file owns the summary an administrator reads first: each AVEC
 * service's state (systemctl is-active, when systemd runs), each radio's
 * (one avec-hostapd@ unit per hostapd file that `avecctl provision`
 * rendered), the clock (synchronised or not, from the kernel: clock.c),
 * the expiry of the CA and RADIUS server certificates,
 * registered, active and connected devices (open sessions of the
 * connection log), the last ENT import, and the authentication outcomes
 * of the last hour (auth_stats).  It reads only: the store is opened read-only, the CA
 * through its certificates (never its key), and it must never start, stop
 * or change anything.
 *
 * An error line (today: an unsynchronised clock, which the hours windows,
 * the connection log's times and every certificate's validity depend on)
 * says "error:" after its name, is repeated on stderr, and makes status
 * exit CTL_IO once everything is printed.  --allow-unsynced-clock prints
 * the clock's line as a warning instead, for a machine whose clock is not
 * AVEC's to set (a test host's container).
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "avec/ent.h"
#include "avec/report.h"
#include "avecctl.h"
#include "ca/ca.h"
#include "clock.h"

static const char *const SERVICES[] = {
	"avec-freeradius.service", "avecd.service", NULL,
};

/* `systemctl is-active UNIT` into @out ("active", "inactive", ...). */
static void
unit_state(const char *unit, char *out, size_t len)
{
	int pfd[2], st;
	ssize_t n;
	pid_t pid;

	snprintf(out, len, "unknown");
	if (pipe(pfd) < 0)
		return;
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		dup2(pfd[1], 1);
		execlp("systemctl", "systemctl", "is-active", "--", unit,
		       (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	n = read(pfd[0], out, len - 1);
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (n <= 0) {
		snprintf(out, len, "unknown");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static void
cert_line(const char *what, const char *path)
{
	struct avec_ca_certinfo ci;
	struct avec_err err = { { 0 } };
	char when[32];
	time_t now = time(NULL);

	if (avec_ca_certinfo_file(path, &ci, &err) < 0) {
		printf("%-22s %s\n", what, "missing or unreadable");
		return;
	}
	printf("%-22s expires %s (%lld days)\n", what,
	       ctl_time(ci.not_after, when, sizeof(when)),
	       (long long)((ci.not_after - (int64_t)now) / 86400));
}

struct counts {
	uint64_t total, active;
	uint64_t accept, refused;
};

/*
 * The radios: each @root/etc/hostapd/avec-<radio>.conf is one radio and
 * its avec-hostapd@<radio> unit.  Returns how many were found.
 */
static unsigned
radio_lines(const char *root, bool systemd)
{
	char dir[4096], unit[300], state[32];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/etc/hostapd", root);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (len <= 10 || strncmp(de->d_name, "avec-", 5) != 0 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		/* one .conf per radio (its BSSes inside); VLAN files: .vlan */
		snprintf(unit, sizeof(unit), "avec-hostapd@%.*s.service",
			 (int)(len - 10), de->d_name + 5);
		if (systemd)
			unit_state(unit, state, sizeof(state));
		else
			snprintf(state, sizeof(state), "configured");
		printf("%-22s %s (%s)\n", "radio", state, unit);
		n++;
	}
	closedir(d);
	return n;
}

static int
session_cb(const struct avec_session_rec *r, void *ctx)
{
	(void)r;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int
device_cb(const char *key, uint64_t count, uint64_t active, void *ctx)
{
	struct counts *c = ctx;

	(void)key;
	c->total += count;
	c->active += active;
	return 0;
}

static int
auth_cb(const char *key, uint64_t count, uint64_t active, void *ctx)
{
	struct counts *c = ctx;

	(void)active;
	if (strcmp(key, "accept") == 0)
		c->accept += count;
	else
		c->refused += count;
	return 0;
}

static int
import_cb(const struct avec_ent_import_rec *r, void *ctx)
{
	char when[32];

	*(bool *)ctx = true;
	printf("%-22s %s, %s %s (%s)\n", "last ENT import",
	       ctl_time(r->finished_at ? r->finished_at : r->started_at, when,
			sizeof(when)), r->kind, r->result,
	       r->files[0] ? r->files : "-");
	return 0;
}

static int
cmd_status(struct ctl *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "allow-unsynced-clock", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "";
	const struct ctl_cmd *cmd = &ctl_status_cmds[0];
	struct avec_err err = { { 0 } };
	struct counts cnt = { 0, 0, 0, 0 };
	struct avec_store *st;
	struct stat sb;
	char path[4200], state[32], clock[160];
	uint64_t connected = 0;
	bool imported = false, systemd, unsynced_ok = false;
	int ch, rc = CTL_OK;
	unsigned i;

	while ((ch = ctl_getopt(cmd, argc, argv, "r:h", lo)) != -1) {
		if (ch == 'r') {
			root = optarg;
			continue;
		}
		if (ch == 'U') {
			unsynced_ok = true;
			continue;
		}
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (argc - optind != 0)
		return ctl_usage_fail(cmd, "no argument expected");

	systemd = stat("/run/systemd/system", &sb) == 0 && S_ISDIR(sb.st_mode);
	if (systemd) {
		for (i = 0; SERVICES[i] != NULL; i++) {
			unit_state(SERVICES[i], state, sizeof(state));
			printf("%-22s %s\n", SERVICES[i], state);
		}
	} else {
		printf("%-22s %s\n", "services", "not under systemd");
	}
	if (radio_lines(root, systemd) == 0)
		printf("%-22s none provisioned (%s/etc/hostapd)\n", "radios",
		       root);
	if (ctl_clock_read(clock, sizeof(clock))) {
		printf("%-22s %s\n", "clock", clock);
	} else if (unsynced_ok) {
		printf("%-22s warning: %s\n", "clock", clock);
	} else {
		printf("%-22s error: %s\n", "clock", clock);
		fflush(stdout);
		ctl_fail(CTL_IO, "status: the clock is %s", clock);
		rc = CTL_IO;
	}
	snprintf(path, sizeof(path), "%s/ca.pem", c->ca_dir);
	cert_line("CA certificate", path);
	snprintf(path, sizeof(path), "%s/server.pem", c->ca_dir);
	cert_line("RADIUS certificate", path);

	if ((st = ctl_store(c, true)) == NULL)
		return CTL_IO;
	if (avec_store_report_devices(st, AVEC_BY_STATUS, device_cb, &cnt,
				      &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (avec_store_report_sessions(st, session_cb, &connected, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	printf("%-22s %llu registered, %llu active, %llu connected (open "
	       "sessions)\n", "devices", (unsigned long long)cnt.total,
	       (unsigned long long)cnt.active, (unsigned long long)connected);
	if (avec_ent_imports_list(st, 1, import_cb, &imported, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	if (!imported)
		printf("%-22s %s\n", "last ENT import", "never");
	if (avec_store_report_auth(st, (int64_t)time(NULL) - 3600, 0, auth_cb,
				   &cnt, &err) < 0)
		return ctl_fail(CTL_IO, "%s", err.msg);
	printf("%-22s %llu accepted, %llu refused (last hour, counted "
	       "every minute)\n", "RADIUS",
	       (unsigned long long)cnt.accept, (unsigned long long)cnt.refused);
	return rc;
}

const struct ctl_cmd ctl_status_cmds[] = {
	{ "status", cmd_status, "status [--root DIR] [--allow-unsynced-clock]",
	  "The appliance at a glance: services and radios (systemctl "
	  "is-active), the clock\n(synchronised or not, with its estimated "
	  "error), the CA and RADIUS certificates'\nexpiry, registered, "
	  "active and connected devices, the last ENT import, and the\n"
	  "authentications of the last hour.  --root: where `avecctl "
	  "provision --root`\nwrote the radios' files (default /).  An "
	  "unsynchronised clock is an error (exit 4);\n"
	  "--allow-unsynced-clock makes it a warning (a machine whose clock "
	  "is not AVEC's).\n" },
	{ NULL, NULL, NULL, NULL },
};
