/*
 * cmd_status.c - `avecctl status`: the appliance at a glance.
 *
 * This file owns the summary an administrator reads first: each AVEC
 * service's state (systemctl is-active, when systemd runs), the expiry of
 * the CA and RADIUS server certificates, registered and active devices,
 * the last ENT import, and the authentication outcomes of the last hour
 * (auth_stats).  It reads only: the store is opened read-only, the CA
 * through its certificates (never its key), and it must never start, stop
 * or change anything.
 */
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = &ctl_status_cmds[0];
	struct avec_err err = { { 0 } };
	struct counts cnt = { 0, 0, 0, 0 };
	struct avec_store *st;
	struct stat sb;
	char path[4200], state[32];
	bool imported = false;
	int ch, rc = CTL_OK;
	unsigned i;

	while ((ch = ctl_getopt(cmd, argc, argv, "h", lo)) != -1) {
		if (ch == 'h')
			return ctl_help(cmd);
		return CTL_USAGE;
	}
	if (argc - optind != 0)
		return ctl_usage_fail(cmd, "no argument expected");

	if (stat("/run/systemd/system", &sb) == 0 && S_ISDIR(sb.st_mode)) {
		for (i = 0; SERVICES[i] != NULL; i++) {
			unit_state(SERVICES[i], state, sizeof(state));
			printf("%-22s %s\n", SERVICES[i], state);
		}
	} else {
		printf("%-22s %s\n", "services", "not under systemd");
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
	printf("%-22s %llu registered, %llu active\n", "devices",
	       (unsigned long long)cnt.total, (unsigned long long)cnt.active);
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
	{ "status", cmd_status, "status",
	  "The appliance at a glance: services (systemctl is-active), the CA "
	  "and RADIUS\ncertificates' expiry, registered and active devices, "
	  "the last ENT import,\nand the authentications of the last hour.\n" },
	{ NULL, NULL, NULL, NULL },
};
