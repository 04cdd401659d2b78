#!/usr/bin/env python3
# tests/unit/das_vectors.py - the known vectors of check_das.c, computed
# independently of AVEC's C code with python3's hashlib and hmac
# (RFC 5176 Disconnect-Request, RFC 3579 Message-Authenticator).
# Run it to see them again; nothing runs it in the build.
import hashlib
import hmac
import socket
import struct

SECRET = b"avec-das-unit-secret-0123"
ID = 0x2A


def attr(t, v):
    return bytes([t, len(v) + 2]) + v


# Disconnect-Request: attributes in the order das.c writes them
attrs = (attr(1, b"anonymous") + attr(31, b"02-A5-EC-00-00-01")
         + attr(44, b"1A2B3C4D5E6F7081") + attr(4, socket.inet_aton("127.0.0.1"))
         + attr(55, struct.pack(">I", 1700000000)))
zeroed = attrs + attr(80, b"\0" * 16)
hdr = bytes([40, ID]) + struct.pack(">H", 20 + len(zeroed))
# Message-Authenticator over the packet with a zero authenticator
ma = hmac.new(SECRET, hdr + b"\0" * 16 + zeroed, hashlib.md5).digest()
final = attrs + attr(80, ma)
# Request Authenticator = MD5(Code+Id+Length+16 zero octets+attrs+secret)
req_auth = hashlib.md5(hdr + b"\0" * 16 + final + SECRET).digest()
print("REQ      ", (hdr + req_auth + final).hex())


def reply(code, rattrs):
    zeroed = rattrs + attr(80, b"\0" * 16)
    h = bytes([code, ID]) + struct.pack(">H", 20 + len(zeroed))
    m = hmac.new(SECRET, h + req_auth + zeroed, hashlib.md5).digest()
    fa = rattrs + attr(80, m)
    return h + hashlib.md5(h + req_auth + fa + SECRET).digest() + fa


print("ACK      ", reply(41, b"").hex())
print("NAK      ", reply(42, attr(101, struct.pack(">I", 503))).hex())
h = bytes([41, ID]) + struct.pack(">H", 20)
print("ACK_NOMA ", (h + hashlib.md5(h + req_auth + SECRET).digest()).hex())
h = bytes([41, ID]) + struct.pack(">H", 38)
fa = attr(80, b"\x11" * 16)
print("ACK_BADMA", (h + hashlib.md5(h + req_auth + fa + SECRET).digest() + fa).hex())
