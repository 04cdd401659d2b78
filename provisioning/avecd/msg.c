/*
 * msg.c - the wire between avecd's portal and its engine.
 *
 * A message is a header (type, payload length, both 32-bit host order:
 * the two ends are the same binary on the same machine) and a payload
 * that is one of the fixed-size structs of avecd.h.  The receiver states
 * the size it expects and refuses anything else, so a payload is never
 * read past its end or interpreted as the wrong struct; strings inside are
 * re-terminated by the receiver (AVECD_TERMINATE).  This file owns framing
 * only: it never looks inside a payload, and never logs one (replies carry
 * device secrets).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "avecd.h"

struct hdr {
	uint32_t type;
	uint32_t len;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, void *p, size_t n)
{
	char *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR && !avecd_stop)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int
avecd_msg_send(int fd, uint32_t type, const void *p, size_t len)
{
	struct hdr h = { type, (uint32_t)len };

	if (write_all(fd, &h, sizeof(h)) < 0)
		return -1;
	return write_all(fd, p, len);
}

int
avecd_msg_recv(int fd, uint32_t *type, void *p, size_t len)
{
	struct hdr h;

	if (read_all(fd, &h, sizeof(h)) < 0)
		return -1;
	if (*type == 0) {
		len = avecd_msg_request_size(h.type);
		*type = h.type;
	}
	if (h.type != *type || h.len != len || len == 0)
		return -1;
	return read_all(fd, p, len);
}

size_t
avecd_msg_request_size(uint32_t type)
{
	switch (type) {
	case AVECD_MSG_LOGIN:
		return sizeof(struct avecd_login);
	case AVECD_MSG_DEVICES:
		return sizeof(struct avecd_who);
	case AVECD_MSG_ADD:
		return sizeof(struct avecd_add);
	case AVECD_MSG_REMOVE:
		return sizeof(struct avecd_remove);
	case AVECD_MSG_ADMIN:
		return sizeof(struct avecd_admin);
	case AVECD_MSG_CA:
		return sizeof(struct avecd_who);
	case AVECD_MSG_REINSTALL:
		return sizeof(struct avecd_reinstall);
	case AVECD_MSG_ACME:
		return sizeof(struct avecd_acme);
	default:
		return 0;
	}
}

int
avecd_msg_recv_var(int fd, uint32_t type, char **out, size_t *len, size_t cap)
{
	struct hdr h;
	char *p;

	*out = NULL;
	*len = 0;
	if (read_all(fd, &h, sizeof(h)) < 0 || h.type != type || h.len > cap)
		return -1;
	if ((p = malloc(h.len + 1)) == NULL)
		return -1;
	if (h.len > 0 && read_all(fd, p, h.len) < 0) {
		free(p);
		return -1;
	}
	p[h.len] = '\0';
	*out = p;
	*len = h.len;
	return 0;
}
