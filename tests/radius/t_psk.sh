#!/bin/bash
# Per-device PSK through RADIUS, for devices without 802.1X.
#
# radclient sends exactly what an access point's MAC query sends before a
# WPA-Personal handshake (hostapd with macaddr_acl=2, wpa_psk_radius=2):
# User-Name and User-Password "aabbccddeeff", Calling-Station-Id
# "AA-BB-CC-DD-EE-FF", Message-Authenticator.  A registered PSK device gets
# an Access-Accept with its own key in Tunnel-Password (which radclient
# decrypts with the shared secret), its role's VLAN, its device username
# and AVEC's Class.  Everything else is refused with its reason, and the
# key reaches no server log, not even the debug trace.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

account_add prof.psk teacher
account_add eleve.psk student
avecctl policy set teacher --vlan 30 --max-devices 5 --creds tls,ttls,peap,psk >/dev/null

psk_add() { device_add "$1" "$2" psk "console $1" --mac "$3"; }	# VAR PRINCIPAL MAC

psk_add tv prof.psk 02:00:00:00:0A:01 || fail "register a PSK device"
# shellcheck disable=SC2154 # tv_*: set by psk_add
{
	check "the key is a WPA passphrase (8..63 printable characters)" \
		[ "${#tv_psk}" -ge 8 -a "${#tv_psk}" -le 63 ]
	check "the MAC is stored in one form" [ "$tv_mac" = 02:00:00:00:0a:01 ]
	check "device list shows the MAC, not the key" \
		sh -c "'$AVECCTL' -d '$R_DB' device list prof.psk | grep -q 02:00:00:00:0a:01 &&
			! '$AVECCTL' -d '$R_DB' device list prof.psk --json | grep -qF '$tv_psk'"
}
avecctl device add prof.psk --name x --type psk >/dev/null 2>&1
check "psk without --mac: usage error (exit 1)" [ $? -eq 1 ]
avecctl device add prof.psk --name x --type ttls --mac 02:00:00:00:0a:02 >/dev/null 2>&1
check "--mac on a ttls device: usage error (exit 1)" [ $? -eq 1 ]
avecctl device add prof.psk --name x --type psk --mac 01:00:5e:00:00:01 >/dev/null 2>&1
check "a multicast MAC: usage error (exit 1)" [ $? -eq 1 ]
avecctl device add prof.psk --name x --type psk --mac 02:00:00:00:0A:01 >/dev/null 2>&1
check "the MAC of an active PSK device: refused (exit 3)" [ $? -eq 3 ]
avecctl device add eleve.psk --name x --type psk --mac 02:00:00:00:0a:03 >/dev/null 2>&1
check "a role whose policy has no psk: refused (exit 3)" [ $? -eq 3 ]
device_add tt prof.psk ttls || fail "register a TTLS device"

start_radiusd -X || { fail "freeradius starts"; finish; }

# mac_auth NAME USERNAME [CALLING-STATION-ID [PASSWORD]] : the AP's query
mac_auth() {
	local u=$1 c=${2:-} p=${3:-$1}
	{
		printf 'User-Name = "%s"\nUser-Password = "%s"\n' "$u" "$p"
		[ -n "$c" ] && printf 'Calling-Station-Id = "%s"\n' "$c"
		printf 'NAS-Port-Type = Wireless-802.11\nMessage-Authenticator = 0x00\n'
	}
}
one() { [ "$(rad_attr "$1" "$2")" = "$3" ]; }

mac_auth 020000000a01 02-00-00-00-0A-01 | rad_send ok
check "MAC query of a PSK device: Access-Accept" [ "$(rad_code ok)" = Access-Accept ]
check "accept: Tunnel-Password is the device's key, exactly once" one ok Tunnel-Password "\"$tv_psk\""
check "accept: the role's VLAN (30)" one ok Tunnel-Private-Group-Id '"30"'
check "accept: User-Name names the device" one ok User-Name "\"$tv_username\""
check "accept: AVEC's Class" one ok Class "0x$(printf 'avec1:%s' "$tv_id" | od -An -tx1 | tr -d ' \n')"

mac_auth 020000000a01 | rad_send no-csid
check "MAC query without Calling-Station-Id: Access-Accept" [ "$(rad_code no-csid)" = Access-Accept ]

# reject NAME REASON : the reply is a reject with that reason and no key
rejected() {
	check "$1: Access-Reject" [ "$(rad_code "$1")" = Access-Reject ]
	check "$1: Reply-Message \"$(reason_text "$2")\"" one "$1" Reply-Message "\"$(reason_text "$2")\""
	check "$1: no key, no VLAN in the reject" \
		[ -z "$(rad_attr "$1" Tunnel-Password)$(rad_attr "$1" Tunnel-Private-Group-Id)" ]
}
pids=()
mac_auth 020000000a09 02-00-00-00-0A-09 | rad_send unknown & pids+=($!)
mac_auth 020000000a01 02-00-00-00-0A-01 wrong-password | rad_send wrong-pw & pids+=($!)
# a User-Name that is not the station's MAC is not a MAC query
mac_auth 020000000a01 02-00-00-00-0A-07 | rad_send mismatch & pids+=($!)
# a TTLS device's username and secret: never a key
# shellcheck disable=SC2154 # tt_*: set by device_add
printf 'User-Name = "%s"\nUser-Password = "%s"\nCalling-Station-Id = "02-00-00-00-0A-05"\nMessage-Authenticator = 0x00\n' \
	"$tt_user" "$tt_secret" | rad_send ttls-pap & pids+=($!)
wait "${pids[@]}"
rejected unknown unknown-device
rejected wrong-pw wrong-secret
rejected mismatch malformed-identity
check "ttls-pap: the TTLS device itself is accepted" [ "$(rad_code ttls-pap)" = Access-Accept ]
check "ttls-pap: with no Tunnel-Password" [ -z "$(rad_attr ttls-pap Tunnel-Password)" ]

# The TTLS device was seen from 02:00:00:00:0a:05: a MAC hint, not a key.
sleep 0.5
mac_auth 020000000a05 02-00-00-00-0A-05 | rad_send hint
rejected hint unknown-device

# Revocation: refused at once (the index refreshes within its interval);
# the MAC can then be given to a new device, with a new key.
# until_code NAME CODE : ask for 02:00:00:00:0a:01 until the answer is CODE (3 s)
until_code() {
	local n=30
	while :; do
		mac_auth 020000000a01 02-00-00-00-0A-01 | rad_send "$1"
		[ "$(rad_code "$1")" = "$2" ] || [ $n -le 0 ] && break
		n=$((n - 1)); sleep 0.1
	done
}
avecctl device revoke "$tv_id" --no-disconnect >/dev/null
until_code revoked Access-Reject
rejected revoked device-revoked
psk_add tv2 prof.psk 02-00-00-00-0a-01 || fail "register the MAC again after revocation"
# shellcheck disable=SC2154 # tv2_*: set by psk_add
check "the new device has a new key" [ -n "$tv2_psk" -a "$tv2_psk" != "$tv_psk" ]
until_code again Access-Accept
check "the new device is accepted with its own key" one again Tunnel-Password "\"$tv2_psk\""

check "the server is still up" radius_alive
stop_radiusd
leaked=0
while read -r s; do
	[ -n "$s" ] && grep -rqF -- "$s" "$T_SCRATCH/radiusd.log" "$R_LOGDIR" && leaked=1
done < "$R_SECRETS"
check "no key, secret or shared secret in the debug trace or the logs" [ $leaked = 0 ]

finish
