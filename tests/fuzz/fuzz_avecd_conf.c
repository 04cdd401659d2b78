/*
 * fuzz_avecd_conf.c - libFuzzer harness for avecd's configuration file,
 * avecd_conf_load() (YAML through libyaml, sections of known keys).
 *
 * The loader reads a path, so each input is written to one private file
 * on a memory file system (/dev/shm, else $TMPDIR), removed at exit.  Its
 * error lines go to stderr: during the call the stdio stream stderr points
 * at /dev/null (file descriptor 2 is left alone, so sanitizer reports
 * still show).  A file it accepts must leave every string of the
 * configuration NUL-terminated within its array and the checked fields
 * valid.  Nothing else is started: no portal, no engine.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avec/ident.h"
#include "avecd/avecd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[256];
static FILE *devnull;

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
	snprintf(path, sizeof(path), "%s/avec-fuzz-conf.%ld.yaml", dir,
		 (long)getpid());
	atexit(remove_file);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	return 0;
}

#define BOUNDED(field) \
	do { \
		if (memchr(c.field, '\0', sizeof(c.field)) == NULL) \
			abort(); \
	} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct avecd_conf c;
	FILE *saved;
	unsigned i;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	saved = stderr;
	stderr = devnull;
	rc = avecd_conf_load(path, &c);
	stderr = saved;
	if (rc != 0 && rc != -1)
		abort();
	BOUNDED(path);
	BOUNDED(uai);
	BOUNDED(school_name);
	BOUNDED(portal_url);
	BOUNDED(listen);
	BOUNDED(http_listen);
	BOUNDED(tls_cert);
	BOUNDED(tls_key);
	BOUNDED(user);
	BOUNDED(support_url);
	BOUNDED(support_email);
	BOUNDED(cas_url);
	BOUNDED(cas_ca_file);
	BOUNDED(cas_map.role);
	BOUNDED(cas_map.join);
	BOUNDED(cas_map.display);
	for (i = 0; i < 4; i++) {
		BOUNDED(cas_map.schools[i]);
		BOUNDED(cas_map.classes[i]);
	}
	BOUNDED(ssid);
	BOUNDED(onboarding_ssid);
	BOUNDED(server_name);
	BOUNDED(realm);
	BOUNDED(store);
	BOUNDED(ca_dir);
	if (rc == 0) {
		if (c.uai[0] != '\0' && !avec_uai_valid(c.uai))
			abort();
		if (c.server_name[0] != '\0' &&
		    !avec_dns_name_valid(c.server_name))
			abort();
		if (c.realm[0] != '\0' && !avec_dns_name_valid(c.realm))
			abort();
		if (c.cas_map.role[0] == '\0' || c.method >= AVEC_CRED__COUNT)
			abort();
	}
	return 0;
}
