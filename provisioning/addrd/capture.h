/*
 * capture.h - avec-addrd's packet sockets: one AF_PACKET socket per role
 * bridge, with a classic BPF filter that lets through only the frames
 * that give or take an address, opened while the program is still root.
 */
#ifndef AVEC_ADDRD_CAPTURE_H
#define AVEC_ADDRD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "avec/addr.h"

/*
 * addrd_capture_open - a non-blocking packet socket on the interface
 * @ifname (a bridge), filtered before it is bound (no unfiltered frame is
 * ever queued), the filter locked; with @promisc, the bridge in
 * promiscuous mode while the socket lives, so that frames between two of
 * its ports (an external DHCP server's unicast ACK) come up too.
 * Returns the descriptor (the caller closes it), or -1 (logged).
 */
int addrd_capture_open(const char *ifname, bool promisc);

/*
 * addrd_frame_dir - where a received frame came from: sent by this
 * machine (@outgoing: AF_PACKET's PACKET_OUTGOING), from one of the
 * @ntrusted DHCP servers (its IP source address is one of @trusted, 16
 * bytes each, IPv4 as ::ffff:a.b.c.d), or from a station.
 */
enum avec_addr_dir addrd_frame_dir(const uint8_t *frame, size_t len,
				   bool outgoing, const uint8_t (*trusted)[16],
				   unsigned ntrusted);

#endif
