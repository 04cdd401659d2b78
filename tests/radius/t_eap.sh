#!/bin/bash
# shellcheck disable=SC2154 # x_user, x_secret, x_cert...: set by device_add
# EAP-TTLS/PAP, PEAP/MSCHAPv2 and EAP-TLS against the real server: a
# student's and a teacher's devices are accepted, and the Access-Accept
# that eapol_test received puts each in its role's VLAN (Tunnel-Type,
# Tunnel-Medium-Type, Tunnel-Private-Group-Id, each exactly once).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

account_add eleve.martin student
account_add prof.durand teacher
for who in s:eleve.martin t:prof.durand; do
	for type in ttls peap tls; do
		device_add "${who%%:*}_$type" "${who#*:}" "$type" ||
			{ fail "register a $type device for ${who#*:}"; finish; }
	done
done
start_radiusd -X || { fail "freeradius starts"; finish; }

for who in s:student:20 t:teacher:30; do
	p=${who%%:*}; role=${who#*:}; role=${role%:*}; vlan=${who##*:}
	u=${p}_ttls_user s=${p}_ttls_secret
	eapol_auth "$role-ttls" ttls "${!u}" "${!s}"
	check "$role EAP-TTLS/PAP: eapol_test succeeds" [ $? -eq 0 ]
	expect_accept "$role-ttls" "$vlan"

	u=${p}_peap_user s=${p}_peap_secret
	eapol_auth "$role-peap" peap "${!u}" "${!s}"
	check "$role PEAP/MSCHAPv2: eapol_test succeeds" [ $? -eq 0 ]
	expect_accept "$role-peap" "$vlan"

	c=${p}_tls_cert k=${p}_tls_key
	eapol_auth "$role-tls" tls "${!c}" "${!k}"
	check "$role EAP-TLS: eapol_test succeeds" [ $? -eq 0 ]
	expect_accept "$role-tls" "$vlan"
done

# Outside the tunnel only the anonymous identity crossed the wire: the
# decision was made on the inner one.
outer_names() {
	grep -A1 '^   Attribute 1 (User-Name)' "$T_SCRATCH/eapol-$1.log" |
		sed -n "s/^      Value: //p" | sort -u
}
for n in student-ttls student-peap teacher-ttls teacher-peap; do
	check "$n: every User-Name on the wire was 'anonymous'" \
		[ "$(outer_names "$n")" = "'anonymous'" ]
done

finish
