/*
 * capture.c - avec-addrd's packet sockets and their filter (capture.h).
 *
 * The filter is classic BPF, run by the kernel on every frame of the
 * bridge; only what passes is copied to this process:
 *   - IPv4 UDP, not a fragment, to port 68 (a server to a client) or from
 *     68 to 67 (a client's RELEASE or DECLINE);
 *   - IPv6 ICMPv6 Neighbour Solicitation (135) and Advertisement (136);
 *   - IPv6 UDP from 547 to 546 (a DHCPv6 server's Reply).
 * Frames with an 802.1Q tag on the bridge itself are not matched (a role
 * bridge carries untagged frames).  Whatever passes is still parsed as
 * hostile (lib/addr_parse.c): the filter saves work, it proves nothing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "avec/log.h"
#include "capture.h"

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER 44
#endif

/* Jump targets are relative: ACCEPT and DROP are the last two. */
static struct sock_filter filter[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),		/* ethertype */
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 11),	/* -> 13 */
	/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),		/* protocol */
	/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 21),	/* -> 25 drop */
	/* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),		/* fragment */
	/* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 19, 0),	/* -> 25 */
	/* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),		/* X = IHL*4 */
	/* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),		/* dst port */
	/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 15, 0),	/* -> 24 */
	/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 0, 15),	/* -> 25 */
	/* 10 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14),		/* src port */
	/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 12, 13),	/* 24 / 25 */
	/* 12 */ BPF_STMT(BPF_RET | BPF_K, 0),
	/* 13 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 11),	/* -> 25 */
	/* 14 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),		/* next header */
	/* 15 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),	/* -> 19 */
	/* 16 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),		/* ICMPv6 type */
	/* 17 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 6, 0),	/* -> 24 */
	/* 18 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 5, 6),	/* 24 / 25 */
	/* 19 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 5),	/* -> 25 */
	/* 20 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),		/* dst port */
	/* 21 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 546, 0, 3),	/* -> 25 */
	/* 22 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 54),		/* src port */
	/* 23 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 547, 0, 1),	/* 24 / 25 */
	/* 24 */ BPF_STMT(BPF_RET | BPF_K, 65535),			/* accept */
	/* 25 */ BPF_STMT(BPF_RET | BPF_K, 0),				/* drop */
};

int
addrd_capture_open(const char *ifname, bool promisc)
{
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]), filter };
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	unsigned idx = if_nametoindex(ifname);
	int fd, one = 1, rcvbuf = 4 << 20;

	if (idx == 0) {
		avec_err_log("%s: no such interface", ifname);
		return -1;
	}
	/* protocol 0: nothing is queued until bind, after the filter */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		avec_err_log("%s: packet socket: %s", ifname, strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0) {
		avec_err_log("%s: filter: %s", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	/* room for a burst; a smaller buffer is no error */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		avec_err_log("%s: bind: %s", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	if (promisc) {
		memset(&mr, 0, sizeof(mr));
		mr.mr_ifindex = (int)idx;
		mr.mr_type = PACKET_MR_PROMISC;
		if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) < 0) {
			avec_err_log("%s: promiscuous mode: %s", ifname,
				     strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

enum avec_addr_dir
addrd_frame_dir(const uint8_t *frame, size_t len, bool outgoing,
		const uint8_t (*trusted)[16], unsigned ntrusted)
{
	uint8_t src[16];
	size_t off = 12;
	unsigned type, i;

	if (outgoing)
		return AVEC_ADDR_FROM_HOST;
	if (ntrusted == 0 || len < off + 2)
		return AVEC_ADDR_FROM_STATION;
	type = (unsigned)frame[off] << 8 | frame[off + 1];
	if ((type == 0x8100 || type == 0x88a8) && len >= off + 6) {
		off += 4;
		type = (unsigned)frame[off] << 8 | frame[off + 1];
	}
	off += 2;
	memset(src, 0, sizeof(src));
	if (type == ETH_P_IP && len >= off + 16) {
		src[10] = src[11] = 0xff;
		memcpy(src + 12, frame + off + 12, 4);
	} else if (type == ETH_P_IPV6 && len >= off + 24) {
		memcpy(src, frame + off + 8, 16);
	} else {
		return AVEC_ADDR_FROM_STATION;
	}
	for (i = 0; i < ntrusted; i++)
		if (memcmp(src, trusted[i], 16) == 0)
			return AVEC_ADDR_FROM_TRUSTED;
	return AVEC_ADDR_FROM_STATION;
}
