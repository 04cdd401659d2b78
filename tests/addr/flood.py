#!/usr/bin/env python3
"""flood.py - hostile DHCP and neighbour-discovery frames for t_addrd.sh.

    flood.py IFACE SRC_MAC VICTIM_MAC COUNT

Sends COUNT frames from IFACE (an AF_PACKET socket, so root, in the
station's network namespace), cycling through kinds a listener must refuse:
a station playing DHCP server, a RELEASE of another station's lease, cut
frames, options past their area, an option overload pointing at itself,
lengths that lie, garbage, and neighbour advertisements with a zero-length
option, an off-link hop limit or another MAC's link-layer address.  Prints
the number of frames sent.  Only ever sends on IFACE (a test veth).
"""
import random
import socket
import struct
import sys


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4_udp(src, dst, sport, dport, payload, total_fix=0):
    # a correct header checksum: a bridge with br_netfilter drops the rest
    # before any listener sees it, and an attacker can compute one
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + total_fix, 0, 0,
                     64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def bootp(op, chaddr, yiaddr="0.0.0.0", ciaddr="0.0.0.0", opts=b"",
          file=b"", sname=b""):
    b = struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, random.getrandbits(32),
                    0, 0, socket.inet_aton(ciaddr), socket.inet_aton(yiaddr),
                    b"\0" * 4, b"\0" * 4)
    b += chaddr + b"\0" * 10 + sname.ljust(64, b"\0") + file.ljust(128, b"\0")
    return b + b"\x63\x82\x53\x63" + opts


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def na(src_mac, target, opts=b"", hop=255, flags=0x20):
    icmp = struct.pack("!BBHB3x", 136, 0, 0, flags) + target + opts
    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, hop) + target + \
        socket.inet_pton(socket.AF_INET6, "ff02::1")
    return eth(b"\x33\x33\0\0\0\1", src_mac, 0x86dd, ip6 + icmp)


def main():
    iface, src, victim, count = sys.argv[1], mac(sys.argv[2]), mac(sys.argv[3]), int(sys.argv[4])
    bcast = b"\xff" * 6
    ack = bytes([53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 255])
    target = socket.inet_pton(socket.AF_INET6, "2001:db8:77::dead")
    rnd = random.Random(77)
    kinds = [
        # a station playing server: an ACK for a made-up station
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.66", "255.255.255.255", 67, 68,
                    bootp(2, b"\x02\xbb\0\0\0\x01", yiaddr="10.77.0.99", opts=ack))),
        # a RELEASE of the victim's lease, sent from another MAC
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.50", "10.77.0.1", 68, 67,
                    bootp(1, victim, ciaddr="10.77.0.50", opts=bytes([53, 1, 7, 255])))),
        # cut anywhere
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.66", "255.255.255.255", 67, 68,
                    bootp(2, src, yiaddr="10.77.0.98", opts=ack)))[:rnd.randrange(14, 300)],
        # an option running past the end, no end option
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.50", "10.77.0.1", 68, 67,
                    bootp(1, src, ciaddr="10.77.0.50", opts=bytes([53, 1, 7, 12, 250, 65])))),
        # an overload whose file field overloads again
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.50", "10.77.0.1", 68, 67,
                    bootp(1, src, ciaddr="10.77.0.50", opts=bytes([52, 1, 3, 255]),
                          file=bytes([52, 1, 3, 53, 1, 7, 255]), sname=bytes([52, 1, 1, 255])))),
        # an IP total length past the frame
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.50", "10.77.0.1", 68, 67,
                    bootp(1, src, ciaddr="10.77.0.50", opts=bytes([53, 1, 7, 255])), 400)),
        # garbage to the DHCP ports
        lambda: eth(bcast, src, 0x800, ipv4_udp("10.77.0.50", "10.77.0.1", 68, 67,
                    bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 600))))),
        # advertisements: a zero-length option, off-link, another's MAC
        lambda: na(src, target, opts=bytes([2, 0]) + b"\0" * 6),
        lambda: na(src, target, hop=64),
        lambda: na(src, target, opts=bytes([2, 1]) + victim),
    ]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    sent = 0
    for i in range(count):
        s.send(kinds[i % len(kinds)]())
        sent += 1
    print(sent)


if __name__ == "__main__":
    main()
