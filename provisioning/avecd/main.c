/*
 * main.c - avecd, the provisioning agent: the onboarding portal in front,
 * the store and the appliance CA behind.
 *
 * It owns the process layout: read the configuration, avecd.yaml and its
 * drop-ins (-n: check it and exit; -n -v: also print the settings in
 * effect and where each was set), create a socketpair, fork the portal (child) and run the engine
 * (parent).  Each side exits when the other goes away, so a supervisor
 * (systemd) restarts both.  SIGTERM and SIGINT stop both cleanly; SIGUSR1
 * runs the engine's daily jobs at once (schedule.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "avec/log.h"
#include "avecd.h"
#include "ca/ca.h"

#define DEFAULT_CONF	"/etc/avec/avecd.yaml"

volatile int avecd_stop;

static void
on_signal(int sig)
{
	(void)sig;
	avecd_stop = 1;
}

static void
on_usr1(int sig)
{
	(void)sig;
	avecd_schedule_now();
}

static void
usage(void)
{
	fprintf(stderr, "usage: avecd [-n [-v]] [-d] [-f CONFIG]\n"
		"  -f CONFIG  configuration file (default " DEFAULT_CONF "),\n"
		"             then each *.yaml of CONFIG.d/ by name\n"
		"  -n         check the configuration and exit\n"
		"  -v         with -n: print the settings in effect, each "
		"with its file\n"
		"  -d         log debug messages\n");
}

/* What -n checks beyond the file's grammar: the files it names. */
static int
check_files(const struct avecd_conf *c)
{
	struct avec_ca_certinfo info;
	struct avec_err err = { { 0 } };
	char at[AVECD_PATH_MAX + 32];
	int bad = 0;

	if (avec_ca_certinfo_file(c->tls_cert, &info, &err) < 0) {
		avecd_conf_where(c, "portal.certificate", at, sizeof(at));
		fprintf(stderr, "%s: portal.certificate: %s\n", at, err.msg);
		bad++;
	}
	if (access(c->tls_key, R_OK) < 0) {
		avecd_conf_where(c, "portal.key", at, sizeof(at));
		fprintf(stderr, "%s: portal.key: %s: %s\n", at, c->tls_key,
			strerror(errno));
		bad++;
	}
	if (c->cas_ca_file[0] && access(c->cas_ca_file, R_OK) < 0) {
		avecd_conf_where(c, "cas.ca_file", at, sizeof(at));
		fprintf(stderr, "%s: cas.ca_file: %s: %s\n", at,
			c->cas_ca_file, strerror(errno));
		bad++;
	}
	return bad ? -1 : 0;
}

int
main(int argc, char **argv)
{
	static struct avecd_conf conf;
	const char *path = DEFAULT_CONF;
	enum avec_log_level level = AVEC_LOG_INFO;
	struct sigaction sa;
	bool check_only = false, verbose = false;
	int sv[2], ch, rc, status;
	pid_t child;

	while ((ch = getopt(argc, argv, "f:nvdh")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'n':
			check_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'd':
			level = AVEC_LOG_DEBUG;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (optind != argc || (verbose && !check_only)) {
		usage();
		return 1;
	}
	avec_log_init("avecd", level, NULL);
	if (avecd_conf_load(path, &conf) < 0 || check_files(&conf) < 0)
		return 1;
	if (check_only) {
		if (verbose)
			avecd_conf_print(&conf, stdout);
		printf("%s: configuration OK", path);
		if (conf.nfiles > 1)
			printf(" (and %u drop-in file%s)", conf.nfiles - 1,
			       conf.nfiles > 2 ? "s" : "");
		putchar('\n');
		return 0;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: reads end on stop */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_usr1;	/* run the daily jobs now */
	sigaction(SIGUSR1, &sa, NULL);
	umask(077);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		avec_err_log("socketpair: %s", strerror(errno));
		return 1;
	}
	child = fork();
	if (child < 0) {
		avec_err_log("fork: %s", strerror(errno));
		return 1;
	}
	if (child == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		avec_log_init("avecd-portal", level, NULL);
		rc = avecd_portal_run(&conf, sv[1]);
		_exit(rc == 0 ? 0 : 1);
	}
	close(sv[1]);
	avec_info("engine started (store %s, CA %s); portal is process %d",
		  conf.store, conf.ca_dir, (int)child);
	rc = avecd_engine_run(&conf, sv[0]);
	close(sv[0]);
	kill(child, SIGTERM);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (!avecd_stop && WIFEXITED(status) && WEXITSTATUS(status) != 0)
		rc = -1;
	avec_info("stopped");
	return rc == 0 ? 0 : 1;
}
