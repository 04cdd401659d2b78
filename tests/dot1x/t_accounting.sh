#!/bin/bash
# shellcheck disable=SC2154 # phone_*, laptop_*: set by device_add
# tests/dot1x/t_accounting.sh - the connection log fed by a real access
# point: hostapd's own accounting, after a real 802.1X authentication.
#
#   device ──EAPOL──► hostapd ──RADIUS auth + accounting──► FreeRADIUS + rlm_avec
#
# hostapd's Accounting-Requests carry only the anonymous outer identity;
# the device is known through the Class that rlm_avec put in the
# Access-Accept, which hostapd (2.10) echoes.  For two devices of the same
# account (TTLS, then EAP-TLS), one after the other:
#   - hostapd's Accounting-Start echoes the Class and is acknowledged;
#   - the log holds an open session for exactly that device, with its MAC
#     and hostapd's NAS address;
#   - when the device logs off, hostapd's Accounting-Stop ends the session.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$AVEC_TOP/tests/lib/radius.sh"
# shellcheck source=tests/lib/netns.sh
. "$AVEC_TOP/tests/lib/netns.sh"

WHO=eleve.compta@lycee-test
MAC_PHONE=02:a5:ec:00:01:01
MAC_LAPTOP=02:a5:ec:00:01:02
AUTH_WAIT=10

[ "$(id -u)" = 0 ] || skip "network namespaces need root"
need hostapd hostapd_cli wpa_supplicant wpa_cli ip jq
radius_setup

check "avecctl: student account" account_add "$WHO" student
check "avecctl: TTLS device" device_add phone "$WHO" ttls phone
check "avecctl: TLS device" device_add laptop "$WHO" tls laptop
eapol_conf_ttls "$T_SCRATCH/phone.profile" "$phone_user" "$phone_secret"
eapol_conf_tls "$T_SCRATCH/laptop.profile" "$laptop_cert" "$laptop_key"

if ! netns_pair || ! ap_radius_start -f || ! hostapd_start_for_radius; then
	fail "FreeRADIUS and hostapd up in the AP namespace"
	finish
fi

# session_of DEVICE_ID : the device's sessions in the log, as compact JSON
session_of() {
	avecctl log query --account "$WHO" --json |
		jq -c --argjson d "$1" '[.[] | select(.device_id == $d)]'
}
# acct_responses_since MARK : Accounting-Responses hostapd received
acct_responses_since() {
	hapd_log_since "$1" | grep -c 'RADIUS message: code=5 (Accounting-Response)'
}
# one_open DEVICE_ID : exactly one session of the device, still open
# shellcheck disable=SC2317 # called through check / wait_for
one_open() {
	[ "$(session_of "$1" | jq -r 'map(select(.ended == null)) | length')" = 1 ]
}
# ended DEVICE_ID : its session has ended
# shellcheck disable=SC2317 # called through check / wait_for
ended() {
	[ "$(session_of "$1" | jq -r 'map(select(.ended != null)) | length')" = 1 ]
}

# device TAG NAME MAC ID : authenticate, check the Start, log off, check the Stop
device() {
	local tag=$1 name=$2 mac=$3 id=$4 mark r class_hex
	class_hex=$(printf 'avec1:%s' "$id" | xxd -p | tr -d '\n')
	mark=$(hapd_log_mark)
	supplicant_start "$name" "$mac" "$T_SCRATCH/$name.profile" ||
		fail "$tag: wpa_supplicant starts"
	check "$tag: hostapd authorises $mac" hapd_wait_authorized "$mac" "$AUTH_WAIT"
	check "$tag: the Access-Accept carries Class avec1:$id" \
		hapd_log_since_has "$mark" "$class_hex"
	check "$tag: hostapd's Accounting-Start is acknowledged" \
		wait_for 5 bash -c "[ \$(tail -c +$((mark + 1)) '$HAPD_LOG' | grep -c 'code=5 (Accounting-Response)') -ge 1 ]"
	check "$tag: hostapd echoed the Class in its accounting" \
		bash -c "tail -c +$((mark + 1)) '$HAPD_LOG' | awk '/code=4 \\(Accounting-Request\\)/ { a = 1 } a && /Attribute 25 \\(Class\\)/ { f = 1 } END { exit !f }'"
	check "$tag: one open session in the log for device $id" wait_for 3 one_open "$id"
	r=$(session_of "$id")
	echo "# $tag: $r"
	check "$tag: ... of $WHO, MAC $mac, NAS 127.0.0.1" \
		[ "$(jq -r '.[0] | "\(.principal) \(.mac) \(.nas_address)"' <<<"$r")" = "$WHO $mac 127.0.0.1" ]
	mark=$(hapd_log_mark)
	supplicant_stop "$name" "$mac"
	check "$tag: after the logoff, hostapd's Accounting-Stop ends the session" \
		wait_for 5 ended "$id"
	check "$tag: ... and was acknowledged" [ "$(acct_responses_since "$mark")" -ge 1 ]
	echo "# $tag: $(session_of "$id")"
}

device "(a) TTLS" phone "$MAC_PHONE" "$phone_id"
device "(b) TLS" laptop "$MAC_LAPTOP" "$laptop_id"
check "two sessions for the account, one per device" \
	[ "$(avecctl log query --account "$WHO" --json | jq -r '[.[].device_id] | sort | join(",")')" = \
	  "$(printf '%s\n' "$phone_id" "$laptop_id" | sort -n | paste -sd,)" ]
finish
