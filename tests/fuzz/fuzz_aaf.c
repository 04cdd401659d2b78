/*
 * fuzz_aaf.c - libFuzzer harness for the academic directory's account feed
 * (AAF) reader, avec_aaf_parse_file(): the XML files the rectorat's
 * export drops on the appliance.
 *
 * The reader only reads files, so each input is written to one private
 * file on a memory file system (/dev/shm, else $TMPDIR) and parsed from
 * there; the file is removed at exit.  The callback checks what every
 * record promises (an operation, a category, a non-empty identifier,
 * named attributes whose values are strings) and that avec_aaf_attr()
 * finds each attribute by its name.  It never touches a store.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avec/aaf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];

static void
remove_file(void)
{
	if (path[0] != '\0')
		unlink(path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	if (access("/dev/shm", W_OK) == 0)
		dir = "/dev/shm";
	else if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	snprintf(path, sizeof(path), "%s/avec-fuzz-aaf.%ld.xml", dir,
		 (long)getpid());
	atexit(remove_file);
	return 0;
}

static int
on_record(const struct avec_aaf_rec *rec, void *ctx, struct avec_err *err)
{
	unsigned i, j, *count = ctx;

	(void)err;
	if (rec->op > AVEC_AAF_DELETE || rec->category == NULL ||
	    rec->id == NULL || rec->id[0] == '\0' || rec->line < 1)
		abort();
	for (i = 0; i < rec->nattrs; i++) {
		const struct avec_aaf_attr *a = &rec->attrs[i];

		if (a->name == NULL || a->mod > AVEC_AAF_DELETE_VALUES)
			abort();
		for (j = 0; j < a->nvalues; j++)
			if (a->values[j] == NULL)
				abort();
		if (avec_aaf_attr(rec, a->name) == NULL)
			abort();
		(void)avec_aaf_first(rec, a->name);
	}
	(*count)++;
	/* a callback's refusal must stop the parse cleanly */
	return *count >= 50 ? 7 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct avec_err err = { "" };
	unsigned count = 0;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	rc = avec_aaf_parse_file(path, on_record, &count, NULL, NULL, &err);
	if (rc != 0 && rc != -1 && rc != 7)
		abort();
	if (rc == 7 && count != 50)
		abort();
	if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
		abort();
	return 0;
}
