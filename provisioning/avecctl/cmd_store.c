/*
 * cmd_store.c - "avecctl init": create the store or bring its schema up to
 * date.
 *
 * The schema and its migrations belong to libavec (lib/store.c); this
 * command only asks for the file to be opened with permission to create
 * it.  It must never touch the CA or any other file.
 */
#include <getopt.h>
#include <stddef.h>

#include "avecctl.h"

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
