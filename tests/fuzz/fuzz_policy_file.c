/*
 * fuzz_policy_file.c - libFuzzer harness for the administrator's policy
 * file (YAML through libyaml), policy_file_parse_buf().
 *
 * Whatever the bytes, the parser returns 0 with no error message or -1
 * with at least one; every message is a string.  A document it accepts
 * is written back with policy_file_write() and must read back to a file
 * that writes out identically (the round trip avecctl's `policy show`
 * relies on).  Nothing here opens a store.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avec/store.h"
#include "policy/policy_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* @doc written as a policy file into a malloc'd buffer (caller frees) */
static char *
write_doc(const struct avec_policy_doc *doc, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		abort();
	if (policy_file_write(f, doc) < 0)
		abort();
	if (fclose(f) != 0)
		abort();
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct avec_policy_doc doc, again;
	struct policy_file_errors errs = { 0, NULL };
	char *one, *two;
	size_t len1, len2;
	unsigned i;
	int rc;

	memset(&doc, 0, sizeof(doc));
	rc = policy_file_parse_buf((const char *)data, size, "fuzz.yaml", &doc,
				   &errs);
	for (i = 0; i < errs.n; i++)
		if (errs.msg[i] == NULL)
			abort();
	if ((rc == 0) != (errs.n == 0))
		abort();
	policy_file_errors_free(&errs);
	if (rc < 0) {
		avec_policy_doc_clear(&doc);
		return 0;
	}

	one = write_doc(&doc, &len1);
	memset(&again, 0, sizeof(again));
	memset(&errs, 0, sizeof(errs));
	if (policy_file_parse_buf(one, len1, "written.yaml", &again,
				  &errs) < 0) {
		fprintf(stderr, "written policy refused: %s\n---\n%s---\n",
			errs.n ? errs.msg[0] : "?", one);
		abort();
	}
	policy_file_errors_free(&errs);
	two = write_doc(&again, &len2);
	if (len1 != len2 || memcmp(one, two, len1) != 0) {
		fprintf(stderr, "policy round trip differs:\n%s---\n%s---\n",
			one, two);
		abort();
	}
	free(one);
	free(two);
	avec_policy_doc_clear(&again);
	avec_policy_doc_clear(&doc);
	return 0;
}
