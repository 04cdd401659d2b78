/*
 * schedule.c - avecd's daily jobs, in the engine process.
 *
 * Once a day, at the configured Europe/Paris times: the connection log's
 * retention (`avecctl log purge`), and, when schedule.ent_import_dir is
 * set, the ENT feed: every AAF file dropped in that folder is imported in
 * one `avecctl ent import` (one transaction), then moved to done/ or, if
 * the import was refused (a broken file, an incomplete Complet set, too
 * many departures: docs/aaf.md), to failed/ with the reason in
 * failed/NAME.reason and the log, and `avecctl ent expire` revokes the
 * devices of people past their grace period.  The schedule never passes
 * --allow-mass-departure: an administrator decides that.  Each job is an avecctl
 * command, run like the admin API's (admin.c) and recorded in the audit
 * trail as "avecd schedule"; SIGUSR1 runs every job at once.
 *
 * It owns one thread that sleeps between jobs.  It never opens the store
 * itself, and never runs a job twice for the same day.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "avec/log.h"
#include "avec/policy.h"
#include "avecd.h"
#include "common/buf.h"

#define MAX_FILES	(AVECD_ADMIN_ARGS - 4)
/* how `avecctl ent import` starts its refusals (cmd_ent.c) */
#define REFUSED		"import refused, nothing changed: "

static pthread_t thread;
static bool running;
static volatile int stopping;
static volatile int now_requested;

void
avecd_schedule_now(void)
{
	now_requested = 1;
}

/* Minutes since local midnight of "HH:MM". */
static int
minutes(const char *hhmm)
{
	return ((hhmm[0] - '0') * 10 + (hhmm[1] - '0')) * 60 +
	       (hhmm[3] - '0') * 10 + (hhmm[4] - '0');
}

/*
 * Run one avecctl command; its exit status.  @why (may be NULL, @whylen
 * bytes) gets the last line it wrote on stderr (why it refused), made
 * safe for a log line.
 */
static int
run(const struct avecd_conf *c, char **args, unsigned n, char *why,
    size_t whylen)
{
	struct avec_buf out = { 0 };
	unsigned long ex = 4;
	size_t elen = 0;
	int hdr = 0;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (avecd_admin_exec(c, args, n, NULL, "avecd schedule", "avecd",
			     &out) == 0 && out.data != NULL &&
	    sscanf(out.data, "avecctl-result 1\nexit %lu\nstderr %zu\n%n",
		   &ex, &elen, &hdr) == 2 && why != NULL && whylen > 0 &&
	    hdr > 0 && (size_t)hdr + elen <= out.len) {
		const char *e = out.data + hdr, *end = e + elen, *line;
		size_t k = 0;

		while (end > e && (end[-1] == '\n' || end[-1] == '\r'))
			end--;
		for (line = end; line > e && line[-1] != '\n'; line--)
			;
		if ((size_t)(end - line) > 9 && strncmp(line, "avecctl: ", 9) == 0)
			line += 9;
		if ((size_t)(end - line) > sizeof(REFUSED) - 1 &&
		    strncmp(line, REFUSED, sizeof(REFUSED) - 1) == 0)
			line += sizeof(REFUSED) - 1;
		for (; line < end && k + 1 < whylen; line++)
			why[k++] = (unsigned char)*line < 0x20 ? ' ' : *line;
		why[k] = '\0';
	}
	avec_buf_free(&out);
	return (int)ex;
}

/* failed/NAME.reason: why the batch holding NAME was refused. */
static void
write_reason(const char *dir, const char *name, const char *why)
{
	char path[AVECD_PATH_MAX * 2 + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/failed/%s.reason", dir, name);
	if ((f = fopen(path, "we")) == NULL) {
		avec_warn("schedule: cannot write %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%s\n", why[0] ? why : "refused (no reason given)");
	if (fclose(f) != 0)
		avec_warn("schedule: cannot write %s", path);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
move_to(const char *dir, const char *sub, const char *name)
{
	char from[AVECD_PATH_MAX * 2], to[AVECD_PATH_MAX * 2 + 16];

	snprintf(from, sizeof(from), "%s/%s", dir, name);
	snprintf(to, sizeof(to), "%s/%s", dir, sub);
	mkdir(to, 0700);
	snprintf(to, sizeof(to), "%s/%s/%s", dir, sub, name);
	if (rename(from, to) < 0)
		avec_warn("schedule: cannot move %s to %s/: %s", from, sub,
			  strerror(errno));
}

/* The AAF files of the import folder, oldest name first (AAF names sort
 * by date), in one import. */
static void
ent_import(const struct avecd_conf *c)
{
	char *names[MAX_FILES], *args[AVECD_ADMIN_ARGS];
	char paths[MAX_FILES][AVECD_PATH_MAX * 2];
	char why[AVEC_ERR_MAX + 64];
	struct dirent *de;
	unsigned n = 0, i, k = 0;
	DIR *d;
	int ex;

	if ((d = opendir(c->ent_import_dir)) == NULL) {
		avec_warn("schedule: ENT folder %s: %s", c->ent_import_dir,
			  strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && n < MAX_FILES) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 5 ||
		    strcasecmp(de->d_name + len - 4, ".xml") != 0)
			continue;
		if ((names[n] = strdup(de->d_name)) != NULL)
			n++;
	}
	closedir(d);
	if (n > 0) {
		qsort(names, n, sizeof(names[0]), name_cmp);
		args[k++] = (char *)"ent";
		args[k++] = (char *)"import";
		for (i = 0; i < n; i++) {
			snprintf(paths[i], sizeof(paths[i]), "%s/%s",
				 c->ent_import_dir, names[i]);
			args[k++] = paths[i];
		}
		ex = run(c, args, k, why, sizeof(why));
		if (ex == 0)
			avec_info("schedule: ENT import of %u file(s): done", n);
		else
			avec_warn("schedule: ENT import of %u file(s): refused, "
				  "nothing changed: %s", n, why);
		for (i = 0; i < n; i++) {
			move_to(c->ent_import_dir, ex == 0 ? "done" : "failed",
				names[i]);
			if (ex != 0)
				write_reason(c->ent_import_dir, names[i], why);
			free(names[i]);
		}
	}
	args[0] = (char *)"ent";
	args[1] = (char *)"expire";
	run(c, args, 2, NULL, 0);
}

static void
purge(const struct avecd_conf *c)
{
	char *args[] = { (char *)"log", (char *)"purge" };

	if (run(c, args, 2, NULL, 0) == 0)
		avec_info("schedule: connection log retention applied");
}

static void *
loop(void *arg)
{
	const struct avecd_conf *c = arg;
	int32_t purged_on = 0, imported_on = 0;

	while (!stopping) {
		struct avec_localtime lt;
		int m;
		bool all = now_requested;

		now_requested = 0;
		avec_paris_time(time(NULL), &lt);
		m = (int)(lt.second / 60);
		if (c->purge_at[0] &&
		    (all || (m >= minutes(c->purge_at) && purged_on != lt.date))) {
			purge(c);
			purged_on = lt.date;
		}
		if (c->ent_import_dir[0] && c->ent_import_at[0] &&
		    (all || (m >= minutes(c->ent_import_at) &&
			     imported_on != lt.date))) {
			ent_import(c);
			imported_on = lt.date;
		}
		for (int i = 0; i < 20 && !stopping && !now_requested; i++)
			usleep(500 * 1000);
	}
	return NULL;
}

int
avecd_schedule_start(const struct avecd_conf *c)
{
	struct avec_localtime lt;

	if (!c->purge_at[0] && !(c->ent_import_dir[0] && c->ent_import_at[0]))
		return 0;
	stopping = 0;
	if (pthread_create(&thread, NULL, loop, (void *)(uintptr_t)c) != 0) {
		avec_err_log("schedule: cannot start its thread");
		return -1;
	}
	running = true;
	avec_paris_time(time(NULL), &lt);
	avec_info("schedule: log purge at %s%s%s%s (Europe/Paris)",
		  c->purge_at[0] ? c->purge_at : "never",
		  c->ent_import_dir[0] ? ", ENT import from " : "",
		  c->ent_import_dir[0] ? c->ent_import_dir : "",
		  c->ent_import_dir[0] ? (c->ent_import_at[0] ? " daily" : " never") : "");
	return 0;
}

void
avecd_schedule_stop(void)
{
	if (!running)
		return;
	stopping = 1;
	pthread_join(thread, NULL);
	running = false;
}
