/*
 * acme.c - the ACME HTTP-01 challenges avecd answers on its plain-HTTP
 * door: GET /.well-known/acme-challenge/TOKEN is the file TOKEN of
 * portal.acme_dir, where the ACME client (dehydrated) writes the key
 * authorisation while the CA checks that this appliance answers for the
 * portal's name.
 *
 * It owns the two checks every challenge goes through: the token's shape
 * (base64url, 1 to 128 characters, so no "/" nor ".." ever reaches the
 * file system) and the file's (opened inside the directory without
 * following a symbolic link, a regular file of at most AVECD_ACME_MAX
 * bytes).  The engine reads the file (engine.c): the portal process opens
 * no file once it has dropped its privileges.  A challenge holds no
 * secret (the CA fetches it over plain HTTP), so it may be logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avecd.h"

bool
avecd_acme_token_valid(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	for (n = 0; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= AVECD_ACME_TOKEN_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return n > 0;
}

int
avecd_acme_read(const char *dir, const char *token, char *out, size_t cap,
		size_t *len)
{
	struct stat sb;
	ssize_t r;
	size_t got = 0;
	int dfd, fd;

	*len = 0;
	if (dir == NULL || dir[0] != '/' || !avecd_acme_token_valid(token))
		return -1;
	/* the directory itself may not be a link either */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	/* O_NONBLOCK: a FIFO planted there must not hold the engine */
	fd = openat(dfd, token, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0 ||
	    (size_t)sb.st_size > cap) {
		close(fd);
		return -1;
	}
	while (got < cap) {
		r = read(fd, out + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	/* grown past the cap since fstat: refused, not cut */
	if (got == cap && read(fd, &(char){ 0 }, 1) > 0) {
		close(fd);
		return -1;
	}
	close(fd);
	*len = got;
	return 0;
}
