#!/bin/bash
# t_clients.sh - RADIUS hygiene at the door: a request from an address
# that is not a configured client gets no answer at all, even with the
# right shared secret and a Message-Authenticator; the same request from
# the configured client is answered; a request without
# Message-Authenticator is dropped (Blast-RADIUS).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/radius.sh"
need python3 radclient
radius_setup
account_add eleve.door student
avecctl policy set student --vlan 20 --creds ttls >/dev/null
device_add d eleve.door ttls || { fail "register a device"; finish; }
# listen on every loopback address, so that 127.0.0.2 reaches the server
sed -i "s/ipaddr = $R_HOST/ipaddr = */" "$R_RADDB"/sites-enabled/avec 2>/dev/null
start_radiusd -X || { fail "freeradius starts"; finish; }

# send FROM SECRET MA : an Access-Request (PAP, the device's own
# credential) from source address FROM; MA=1 adds a Message-Authenticator.
# Prints the answer's code, or "none".
send() {
	python3 - "$1" "$R_AUTH_PORT" "$2" "$3" "$d_user" "$d_secret" <<'PY'
import hashlib, hmac, os, socket, struct, sys
src, port, secret, ma, user, pw = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4] == "1", sys.argv[5].encode(), sys.argv[6].encode()
auth = os.urandom(16)
p = pw + b"\0" * (-len(pw) % 16)
out, last = b"", auth
for i in range(0, len(p), 16):
    b = hashlib.md5(secret + last).digest()
    c = bytes(x ^ y for x, y in zip(p[i:i + 16], b))
    out += c
    last = c
attrs = bytes([1, 2 + len(user)]) + user + bytes([2, 2 + len(out)]) + out
if ma:
    attrs += bytes([80, 18]) + b"\0" * 16
pkt = bytearray(struct.pack("!BBH", 1, 7, 20 + len(attrs)) + auth + attrs)
if ma:
    mac = hmac.new(secret, bytes(pkt), hashlib.md5).digest()
    pkt[-16:] = mac
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(2)
s.sendto(bytes(pkt), ("127.0.0.1", port))
try:
    r, _ = s.recvfrom(4096)
    print({2: "Access-Accept", 3: "Access-Reject"}.get(r[0], str(r[0])))
except socket.timeout:
    print("none")
PY
}
check "the configured client with Message-Authenticator: Access-Accept" \
	[ "$(send 127.0.0.1 "$R_SECRET" 1)" = Access-Accept ]
check "the configured client without Message-Authenticator: no answer" \
	[ "$(send 127.0.0.1 "$R_SECRET" 0)" = none ]
check "an unknown client, right secret and Message-Authenticator: no answer" \
	[ "$(send 127.0.0.2 "$R_SECRET" 1)" = none ]
check "... and FreeRADIUS says it ignored an unknown client" \
	wait_for 3 grep -q 'unknown client 127.0.0.2' "$T_SCRATCH/radiusd.log"
finish
