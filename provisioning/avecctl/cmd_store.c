/*
 * cmd_store.c - "avecctl init": create the store or bring its schema up to
 * date.
 *
 * The schema and its migrations belong to libavec (lib/store.c); this
 * command only asks for the file to be opened with permission to create
 * it.  So do the store's permissions: the library makes a missing
 * directory 0750 and the files 0640, whatever the umask, and leaves an
 * existing directory's mode alone; this command says so when other users
 * may write in that directory (they could replace the store's files).  It
 * must never touch the CA or any other file.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "avecctl.h"

/* A warning on stderr when others may write in @db's directory. */
static void
warn_open_dir(const char *db)
{
	char dir[4096];
	char *slash;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s", db);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == 0 && (sb.st_mode & S_IWOTH))
		fprintf(stderr, "avecctl: warning: other users may write in "
			"%s (mode %04o) and could replace the store's files: "
			"make it 0750\n", dir, (unsigned)(sb.st_mode & 07777));
}

static int
run_init(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct avec_err err = { { 0 } };
	int ch, version;

	while ((ch = ctl_getopt(&ctl_init_cmds[0], argc, argv, "h",
				longopts)) != -1) {
		if (ch == 'h')
			return ctl_help(&ctl_init_cmds[0]);
		return CTL_USAGE;
	}
	if (optind != argc)
		return ctl_usage_fail(&ctl_init_cmds[0], "init takes no "
				      "argument");
	c->st = avec_store_open(c->db_path, AVEC_STORE_CREATE, &err);
	if (c->st == NULL)
		return ctl_fail(CTL_IO, "%s", err.msg);
	warn_open_dir(c->db_path);
	version = avec_store_schema_version(c->st);
	ctl_note(c, "store %s ready (schema version %d)", c->db_path, version);
	return CTL_OK;
}

const struct ctl_cmd ctl_init_cmds[] = {
	{ "init", run_init, "init",
	  "Create the store (-d, $AVEC_DB) if it does not exist, or apply the\n"
	  "schema migrations it lacks.  Safe to run again." },
	{ NULL, NULL, NULL, NULL },
};
