#!/bin/bash
# tests/dot1x/t_wired.sh - AVEC's 802.1X path through real hostapd and a
# real wpa_supplicant, wired, in two network namespaces.
#
#   device ──(EAPOL on a veth)──► hostapd ──RADIUS, 127.0.0.1──► FreeRADIUS
#   wpa_supplicant -Dwired        driver=wired                 + rlm_avec
#   (station namespace)           (AP namespace, with FreeRADIUS)
#
# The store, the CA and the devices come from avecctl; FreeRADIUS runs
# AVEC's own template with rlm_avec.  This host has no 802.1Q and no
# radios, so hostapd runs without dynamic_vlan: what is asserted is
# hostapd's view (the port state from hostapd_cli, the RADIUS answer it
# received, dumped in its debug log), never the supplicant's word.
#
#   (a) a student's EAP-TTLS/PAP device: port authorised, Access-Accept
#       with the student VLAN (20);
#   (b) the same for an EAP-TLS device with an avecctl certificate; then
#       hostapd's DAS (RFC 5176, for avecd's revocations) closes its port;
#   (c) both devices revoked with avecctl: each reconnects, is refused
#       with libavec's reason, and the port stays unauthorised.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$AVEC_TOP/tests/lib/radius.sh"
# shellcheck source=tests/lib/netns.sh
. "$AVEC_TOP/tests/lib/netns.sh"

STUDENT=eleve.wired@lycee-test
STUDENT_VLAN=20
MAC_PHONE=02:a5:ec:00:00:01
MAC_LAPTOP=02:a5:ec:00:00:02
# A wired authentication: a few hundred ms once hostapd asks, ~2 s when
# the supplicant's EAPOL-Start has to start it, 1 s more for a reject
# (reject_delay).  Each wait below is bounded well above that.
AUTH_WAIT=10

T_START=$(date +%s%N)

# elapsed : time since the start, for the log
elapsed() { echo "$(( ($(date +%s%N) - T_START) / 1000000 )) ms"; }

# expect_port_accept TAG MAC MARK EAP_TYPE : the checks of an accepted
# device, from hostapd's side
expect_port_accept() {
	local tag=$1 mac=$2 mark=$3 eap=$4
	check "$tag: hostapd authorises the port of $mac" \
		hapd_wait_authorized "$mac" "$AUTH_WAIT"
	echo "# $tag: authorised after $(elapsed)"
	check "$tag: hostapd received an Access-Accept" \
		[ "$(hapd_radius_reply "$mark")" = Access-Accept ]
	check "$tag: Tunnel-Private-Group-Id = $STUDENT_VLAN (student VLAN)" \
		[ "$(hapd_vlan_since "$mark")" = "$STUDENT_VLAN" ]
	check "$tag: Tunnel-Type = VLAN (13), Tunnel-Medium-Type = IEEE-802 (6)" \
		[ "$(hapd_reply_attr "$mark" Tunnel-Type)/$(hapd_reply_attr "$mark" Tunnel-Medium-Type)" = 13/6 ]
	check "$tag: hostapd saw EAP method $eap" \
		hapd_sta_has "$mac" "last_eap_type_as=$eap"
}

# expect_port_refused TAG MAC MARK : the checks of a refused device
expect_port_refused() {
	local tag=$1 mac=$2 mark=$3 text
	text=$(reason_text device-revoked)
	check "$tag: hostapd received an answer" hapd_wait_reply "$mark" "$AUTH_WAIT"
	echo "# $tag: answered after $(elapsed)"
	check "$tag: it is an Access-Reject" \
		[ "$(hapd_radius_reply "$mark")" = Access-Reject ]
	check "$tag: Reply-Message = \"$text\"" \
		[ "$(hapd_reply_attr "$mark" Reply-Message)" = "$text" ]
	check "$tag: no VLAN in the reject" \
		[ -z "$(hapd_reply_attrs "$mark" | grep '^Tunnel-')" ]
	check "$tag: hostapd logs the EAP failure for $mac" \
		hapd_log_since_has "$mark" "CTRL-EVENT-EAP-FAILURE2 $mac"
	# The supplicant has had time to retry, had it been let in.
	sleep 1
	check "$tag: hostapd still answers" wait_for 2 hapd_cli ping
	check "$tag: the port of $mac stays unauthorised" hapd_unauthorized "$mac"
	check "$tag: hostapd never authorised $mac after the revocation" \
		hapd_log_since_lacks "$mark" "AP-STA-CONNECTED $mac"
}

# no_secret_in FILE... : none of this run's secrets (radius.sh keeps them
# in $R_SECRETS: the RADIUS shared secret, every device secret) appears
# shellcheck disable=SC2317 # called through check
no_secret_in() {
	local sec
	while IFS= read -r sec; do
		[ -n "$sec" ] || continue
		if grep -qF -- "$sec" "$@"; then
			echo "# a secret of this run appears in: $(grep -lF -- "$sec" "$@" | tr '\n' ' ')"
			return 1
		fi
	done <"$R_SECRETS"
}

[ "$(id -u)" = 0 ] || skip "network namespaces need root"
need hostapd hostapd_cli wpa_supplicant wpa_cli ip
radius_setup

check "avecctl: student account" account_add "$STUDENT" student
check "avecctl: TTLS device registered" device_add phone "$STUDENT" ttls phone
check "avecctl: TLS device registered (certificate)" \
	device_add laptop "$STUDENT" tls laptop
# shellcheck disable=SC2154 # phone_* and laptop_* are set by device_add
{
	eapol_conf_ttls "$T_SCRATCH/phone.profile" "$phone_user" "$phone_secret"
	eapol_conf_tls "$T_SCRATCH/laptop.profile" "$laptop_cert" "$laptop_key"
}

if ! netns_pair; then
	fail "two network namespaces joined by a veth"
	finish
fi
if ! ap_radius_start -X; then
	fail "FreeRADIUS with rlm_avec starts in the AP namespace"
	finish
fi
if ! hostapd_start_for_radius; then
	fail "hostapd (driver=wired) starts in the AP namespace"
	finish
fi
ok "FreeRADIUS + rlm_avec and hostapd up in $NS_AP, station in $NS_STA ($(elapsed))"

# (a) EAP-TTLS/PAP
mark=$(hapd_log_mark)
supplicant_start phone "$MAC_PHONE" "$T_SCRATCH/phone.profile" ||
	fail "(a) wpa_supplicant starts for the TTLS device"
expect_port_accept "(a) TTLS" "$MAC_PHONE" "$mark" "21 (TTLS)"
supplicant_stop phone "$MAC_PHONE"
check "(a) the port closes when the device logs off" \
	wait_for 5 hapd_unauthorized "$MAC_PHONE"

# (b) EAP-TLS with avecctl's certificate
mark=$(hapd_log_mark)
supplicant_start laptop "$MAC_LAPTOP" "$T_SCRATCH/laptop.profile" ||
	fail "(b) wpa_supplicant starts for the TLS device"
expect_port_accept "(b) TLS" "$MAC_LAPTOP" "$mark" "13 (TLS)"
# hostapd's DAS, which avecd will use on a revocation, is live
das=$(hapd_disconnect "$MAC_LAPTOP")
echo "# (b) DAS: $das"
check "(b) hostapd's DAS answers a Disconnect-Request with Disconnect-ACK" \
	[ "${das#Received Disconnect-ACK}" != "$das" ]
check "(b) ... and closes the port" wait_for 2 hapd_unauthorized "$MAC_LAPTOP"
supplicant_stop laptop "$MAC_LAPTOP"

# (c) revoked: the store changes, FreeRADIUS is not restarted
# shellcheck disable=SC2154
{
	check "(c) avecctl revokes the TTLS device" \
		avecctl -q device revoke "$phone_id" --reason "lost phone"
	check "(c) avecctl revokes the TLS device" \
		avecctl -q device revoke "$laptop_id" --reason "stolen laptop"
}
# rlm_avec reloads its index within refresh_interval (200 ms).
sleep 0.5
check "(c) the same FreeRADIUS process still runs (no restart)" kill -0 "$R_PID"

mark=$(hapd_log_mark)
supplicant_start phone "$MAC_PHONE" "$T_SCRATCH/phone.profile" ||
	fail "(c) wpa_supplicant restarts for the TTLS device"
expect_port_refused "(c) revoked TTLS" "$MAC_PHONE" "$mark"
supplicant_stop phone "$MAC_PHONE"

mark=$(hapd_log_mark)
supplicant_start laptop "$MAC_LAPTOP" "$T_SCRATCH/laptop.profile" ||
	fail "(c) wpa_supplicant restarts for the TLS device"
expect_port_refused "(c) revoked TLS" "$MAC_LAPTOP" "$mark"
supplicant_stop laptop "$MAC_LAPTOP"

check "no device secret in hostapd's or the supplicants' logs" \
	no_secret_in "$HAPD_LOG" "$SUPP_DIR"/*.log
echo "# total $(elapsed)"
finish
