#!/bin/bash
# shellcheck disable=SC2154 # x_user, x_secret, x_cert...: set by device_add
# Plain RADIUS with radclient: a PAP request with a device's username and
# secret is accepted with the VLAN attributes; malformed and oversized
# User-Names are refused and the server keeps answering; a request without
# Message-Authenticator gets no answer at all (Blast-RADIUS).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

account_add prof.pap teacher
device_add pp prof.pap ttls && device_add pk prof.pap peap && device_add pt prof.pap tls ||
	{ fail "register devices"; finish; }
start_radiusd -X || { fail "freeradius starts"; finish; }

# pap NAME USER PASSWORD : one Access-Request with Message-Authenticator;
# USER is in radclient's quoting (octal escapes allowed)
pap() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$2" "$3" | rad_send "$1"
}
# sent_len NAME : the length of the Access-Request radclient put on the wire
sent_len() { sed -n 's/^Sent Access-Request .* length \([0-9]*\)$/\1/p' "$T_SCRATCH/radclient-$1.log"; }
# one NAME ATTR VALUE : ATTR is in the reply exactly once, with VALUE
one() { [ "$(rad_attr "$1" "$2")" = "$3" ]; }

pap pap-ttls "$pp_user" "$pp_secret"
check "PAP with a TTLS device's secret: Access-Accept" [ "$(rad_code pap-ttls)" = Access-Accept ]
check "PAP accept: Tunnel-Type = VLAN, exactly once" one pap-ttls Tunnel-Type VLAN
check "PAP accept: Tunnel-Medium-Type = IEEE-802, exactly once" one pap-ttls Tunnel-Medium-Type IEEE-802
check "PAP accept: Tunnel-Private-Group-Id = \"30\", exactly once" \
	one pap-ttls Tunnel-Private-Group-Id '"30"'
check "PAP accept: no Reply-Message" [ -z "$(rad_attr pap-ttls Reply-Message)" ]

pap pap-peap "$pk_user" "$pk_secret"
check "PAP with a PEAP device's secret (NT hash): Access-Accept, VLAN 30" \
	[ "$(rad_code pap-peap)" = Access-Accept -a "$(rad_attr pap-peap Tunnel-Private-Group-Id)" = '"30"' ]

# reject NAME REASON USER PASSWORD ... : in the background (reject_delay)
pids=() names=() reasons=()
rj() {
	local n=$1 r=$2; shift 2
	pap "$n" "$@" &
	pids+=("$!") names+=("$n") reasons+=("$r")
}
rj pap-wrong wrong-secret "$pp_user" "not-${pp_secret:4}"
rj pap-tls-device wrong-secret "$pt_user" "anything"
rj pap-unknown unknown-device dv-bbbbbbbbbbbbbbbb "abcd-efgh-ijkl-mnop-qrst"
rj ctrl-chars malformed-identity 'dv-\001\033[2Jaaaaaaaaaa' x
rj not-utf8 malformed-identity 'dv-\377\376\300\257aaaaaaaaaaaa' x
# A valid device username, its right secret, and a NUL then one more byte:
# whoever reads the name as a C string would let it in.
rj nul-byte malformed-identity "${pp_user}\\000x" "$pp_secret"
long=$(printf 'dv-%0250d' 0 | tr 0 a)
rj oversized malformed-identity "$long" x
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	n=${names[$i]}
	check "$n: Access-Reject" [ "$(rad_code "$n")" = Access-Reject ]
	check "$n: Reply-Message \"$(reason_text "${reasons[$i]}")\", exactly once" \
		one "$n" Reply-Message "\"$(reason_text "${reasons[$i]}")\""
	check "$n: no VLAN in the reject" [ -z "$(rad_attr "$n" Tunnel-Private-Group-Id)" ]
done
# What radclient put on the wire: 20 (header) + User-Name + 18
# (User-Password) + 18 (Message-Authenticator).
check "ctrl-chars: User-Name sent as 18 raw bytes" [ "$(sent_len ctrl-chars)" = $((20 + 20 + 36)) ]
check "nul-byte: User-Name sent as 21 raw bytes, NUL included" \
	[ "$(sent_len nul-byte)" = $((20 + 23 + 2 + (${#pp_secret} + 15) / 16 * 16 + 18)) ]
check "not-utf8: User-Name sent as 19 raw bytes" [ "$(sent_len not-utf8)" = $((20 + 21 + 36)) ]
check "oversized: User-Name sent as 253 bytes" [ "$(sent_len oversized)" = $((20 + 255 + 36)) ]
check "the server answers after the malformed requests" radius_alive

printf 'User-Name = "%s"\nUser-Password = "%s"\n' "$pp_user" "$pp_secret" | rad_send no-ma
check "no Message-Authenticator: no answer at all" [ "$(rad_code no-ma)" = none ]
check "no Message-Authenticator: the server says why" \
	grep -q "does not contain required Message-Authenticator" "$T_SCRATCH/radiusd.log"
pap after "$pp_user" "$pp_secret"
check "the same device is accepted right after" [ "$(rad_code after)" = Access-Accept ]

finish
