/*
 * policy_file.h - the administrator's policy file (YAML) to and from a
 * struct avec_policy_doc.  No store access: avecctl reads the file here,
 * then hands the document to avec_store_policy_replace().  The format is
 * described field by field in docs/policy-file.md.
 */
#ifndef AVEC_POLICY_FILE_H
#define AVEC_POLICY_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "avec/store.h"

/* Every problem found in a file, each "FILE:LINE:COL: message". */
struct policy_file_errors {
	unsigned n;
	char **msg;		/* n strings, owned; see policy_file_errors_free */
};
void policy_file_errors_free(struct policy_file_errors *e);

/*
 * policy_file_parse - read the policy file at @path into @doc.
 * @name: the file's name in messages (NULL: @path)
 * @doc: filled on success; on failure left cleared.  doc->overrides is
 *       malloc'd: release it with avec_policy_doc_clear().
 * @errs: every error found (on success, n == 0); the caller frees it with
 *        policy_file_errors_free() in every case.
 * Returns: 0, or -1 if anything is wrong (the file is refused as a whole).
 */
int policy_file_parse(const char *path, const char *name,
		      struct avec_policy_doc *doc,
		      struct policy_file_errors *errs);
/* The same from @len bytes at @buf, which need not be NUL-terminated. */
int policy_file_parse_buf(const char *buf, size_t len, const char *name,
			  struct avec_policy_doc *doc,
			  struct policy_file_errors *errs);

/*
 * policy_file_write - @doc as a policy file that policy_file_parse()
 * accepts and reads back to an equal document.
 * Returns: 0, or -1 on a write error.
 */
int policy_file_write(FILE *f, const struct avec_policy_doc *doc);

/*
 * policy_file_settings - the settings of @v named by @set (AVEC_OV_* bits)
 * as the file spells them, "vlan: 22, windows: \"...\"", on one line.
 */
void policy_file_settings(FILE *f, const struct avec_policy *v, uint32_t set);


/* "8h", "365d", "90s": a number of seconds in the file's duration form. */
char *policy_file_duration(uint32_t secs, char *buf, size_t len);

#endif
