#!/usr/bin/env python3
"""dhcp_load.py - DHCP exchanges at a steady rate, for `make bench`.

    dhcp_load.py IFACE SERVER_MAC SERVER_IP RATE SECONDS STATIONS

Sends, from IFACE (an AF_PACKET socket: root, in the bench's network
namespace, on a veth whose other end is a port of the bridge avec-addrd
watches), RATE DHCPACKs per second for SECONDS, each from the server
SERVER_IP (which avec-addrd is told to trust) to the next of STATIONS
made-up stations (02:be:nc:..), each given its own address in 10.79/16
for an hour: the first round of the stations binds, the next ones renew,
as a network's DHCP does.  The ACK is what avec-addrd logs of an
exchange (DISCOVER, OFFER and REQUEST are filtered before it).  Paced
against the clock, not by sleeps alone, so that a late wake-up is made up.
Prints one JSON line: sent, seconds, rate.  Only ever sends on IFACE.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "addr"))
from flood import bootp, eth, ipv4_udp, mac  # noqa: E402  (the frame builders)


def station(i):
    return bytes([0x02, 0xbe, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff, 0x01])


def address(i):
    return "10.79.%d.%d" % (1 + i // 250, 1 + i % 250)


def main():
    iface, smac, sip = sys.argv[1], mac(sys.argv[2]), sys.argv[3]
    rate, secs, n = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
    # DHCPACK, lease 3600 s, server identifier
    opts = bytes([53, 1, 5, 51, 4, 0, 0, 0x0e, 0x10, 54, 4]) + \
        socket.inet_aton(sip) + bytes([255])
    frames = [eth(station(i), smac, 0x800,
                  ipv4_udp(sip, address(i), 67, 68,
                           bootp(2, station(i), yiaddr=address(i), opts=opts)))
              for i in range(n)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    t0 = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic() - t0
        if now >= secs:
            break
        due = int(now * rate) + 1
        while sent < due:
            s.send(frames[sent % n])
            sent += 1
        time.sleep(max(0.0, (sent / rate) - (time.monotonic() - t0)))
    took = time.monotonic() - t0
    print(json.dumps({"sent": sent, "seconds": round(took, 3),
                      "rate": round(sent / took, 1)}))


if __name__ == "__main__":
    main()
