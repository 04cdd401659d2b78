#!/bin/bash
# tests/demo.sh - the AVEC demo on one machine (`make demo`).
#
# Builds, in a private scratch directory and two network namespaces, what
# a lycée's appliance runs: the store and the appliance CA, FreeRADIUS
# with rlm_avec, hostapd as the 802.1X authenticator, avecd (the
# onboarding portal) in front of a real CAS server holding demo ENT
# accounts (slapd + django-cas-server), and one student device simulated
# by wpa_supplicant.  Then it plays a short journey and says, step by
# step, what it observed:
#
#   1. the policy                       4. the device is revoked (avecctl):
#                                          disconnected at once (RFC 5176)
#   2. a student onboards a device      5. the device comes back: refused,
#      through the portal (ENT login)      with the reason
#   3. the device connects: VLAN 20
#
# Stdin a terminal: the stack then stays up for you to try things, until
# Ctrl-C.  Otherwise the demo exits after the journey: 0 when every step
# passed, 1 if one failed.  Everything it started is stopped by process id
# and the namespaces are deleted on exit, Ctrl-C included.
#
# This host has no radios and no 802.1Q: the device is wired (a veth),
# and the VLAN is the one in the RADIUS answer hostapd received.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$AVEC_TOP/tests/lib/radius.sh"
# shellcheck source=tests/lib/netns.sh
. "$AVEC_TOP/tests/lib/netns.sh"
# shellcheck source=tests/lib/cas.sh
. "$AVEC_TOP/tests/lib/cas.sh"
# shellcheck source=tests/lib/portal.sh
. "$AVEC_TOP/tests/lib/portal.sh"

STUDENT_LOGIN=test1		# the demo ENT's pupil (tests/cas/README.md)
STUDENT=F1abc			# the principal CAS gives for this login
DEVICE_NAME="Téléphone de Camille"
DEVICE_MAC=02:a5:ec:de:00:01
REVOKE_REASON="téléphone perdu"
AUTH_WAIT=15

if [ -t 1 ]; then
	C_OK=$'\e[32m' C_BAD=$'\e[31m' C_B=$'\e[1m' C_DIM=$'\e[2m' C_0=$'\e[0m'
else
	C_OK='' C_BAD='' C_B='' C_DIM='' C_0=''
fi
STEP=0
STEP_FAILED=0
STEPS_FAILED=0

# step TITLE : start a numbered step (closing the previous one)
step() {
	step_end
	STEP=$((STEP + 1))
	STEP_FAILED=0
	printf '\n%s%d) %s%s\n' "$C_B" "$STEP" "$1" "$C_0"
}
step_end() {
	[ "$STEP" -gt 0 ] && [ "$STEP_FAILED" -gt 0 ] && STEPS_FAILED=$((STEPS_FAILED + 1))
	STEP_FAILED=0
}
# yes TEXT / no TEXT : what was observed, good or bad
yes() { printf '   %s✓%s %s\n' "$C_OK" "$C_0" "$*"; }
no() { printf '   %s✗%s %s\n' "$C_BAD" "$C_0" "$*"; STEP_FAILED=$((STEP_FAILED + 1)); }
# expect TEXT_OK TEXT_BAD CMD... : yes or no by CMD's status
expect() {
	local good=$1 bad=$2; shift 2
	if "$@"; then yes "$good"; else no "$bad"; fi
}
# show ARGS... : print an avecctl command as the administrator types it,
# then its output, indented; its error, if it fails
show() {
	local a line="avecctl"
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9._@,:/=-]*|'') line+=" \"$a\"" ;;
		*) line+=" $a" ;;
		esac
	done
	printf '   %s$ %s%s\n' "$C_DIM" "$line" "$C_0"
	if avecctl "$@" >"$T_SCRATCH/show.out"; then
		sed 's/^/     /' "$T_SCRATCH/show.out"
	else
		sed 's/^/     /' "$T_SCRATCH/show.out"
		printf '     %s\n' "$(tail -n 1 "$T_SCRATCH/avecctl.err")"
		return 1
	fi
}
# json_of ARGS... -- FILTER : a jq FILTER on avecctl's --json output
json_of() {
	local args=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	avecctl "${args[@]}" --json | jq -r "$1"
}
say() { printf '   %s\n' "$*"; }

# die TEXT : the stack could not be built; show the logs that say why
die() {
	printf '   %s✗%s %s\n' "$C_BAD" "$C_0" "$1"
	local f
	for f in "$T_SCRATCH/radiusd.log" "${R_LOGDIR:-/nonexistent}/radius.log" \
		"$HAPD_LOG" "$T_SCRATCH/avecctl.err" "$T_SCRATCH/avecd.log"; do
		[ -s "$f" ] || continue
		echo "   --- end of $f"
		tail -n 15 "$f" | sed 's/^/   | /'
	done
	exit 1
}

demo_exit() {
	local rc=$?
	t_cleanup
	echo
	if [ "${T_KEEP:-0}" = 1 ]; then
		echo "AVEC demo: processes stopped, namespaces removed; scratch kept."
	else
		echo "AVEC demo: processes stopped, namespaces removed, scratch deleted."
	fi
	exit "$rc"
}
trap demo_exit EXIT

printf '%sAVEC demo%s: the onboarding portal with ENT login, FreeRADIUS + rlm_avec,\n' "$C_B" "$C_0"
echo "hostapd (802.1X) and a student device, on this machine and two network"
echo "namespaces.  Scratch: $T_SCRATCH"

[ "$(id -u)" = 0 ] || die "the demo needs root (network namespaces)"
need hostapd hostapd_cli wpa_supplicant wpa_cli ip
printf '\n%sSetting up%s\n' "$C_B" "$C_0"
radius_setup
say "store $R_DB, appliance CA $R_CA"
netns_pair || die "network namespaces $NS_AP / $NS_STA"
ap_radius_start -f || die "FreeRADIUS with rlm_avec did not start in $NS_AP"
say "FreeRADIUS + rlm_avec on 127.0.0.1:$R_AUTH_PORT in namespace $NS_AP (pid $R_PID)"
# hostapd's Dynamic Authorization Server, for Disconnect-Requests on revoke
HAPD_DAS_SECRET=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
(umask 077; printf '%s\n' "$HAPD_DAS_SECRET" >"$T_SCRATCH/das.secret")
hostapd_start_for_radius || die "hostapd did not start in $NS_AP"
say "hostapd (wired 802.1X authenticator) on $NS_AP_IF in $NS_AP (pid $HAPD_PID)"
show nas add ap-demo --nas-address 127.0.0.1 --das "127.0.0.1:$HAPD_DAS_PORT" \
	--secret-file "$T_SCRATCH/das.secret" >/dev/null ||
	die "avecctl nas add failed"
say "hostapd registered as NAS ap-demo: its DAS (RFC 5176) on 127.0.0.1:$HAPD_DAS_PORT"
say "the student's device will be wpa_supplicant on $NS_STA_IF in $NS_STA"
cas_start || die "the demo ENT (CAS server) did not start"
say "demo ENT: CAS server $CAS_URL (django-cas-server, slapd with ENT accounts)"
P_METHOD=ttls portal_start || die "avecd (the portal) did not start"
say "avecd: portal $P_URL, captive-portal probes $P_HTTP (pid $P_PID)"

# --- 1 ----------------------------------------------------------------------
step "The policy"
show policy set student --vlan 20 --max-devices 3 --creds tls,ttls,peap ||
	no "avecctl policy set failed"
show policy list
vlan=$(json_of policy list -- '.[] | select(.role == "student") | .vlan')
expect "students go to VLAN 20, up to 3 devices each" \
	"the student policy says VLAN '$vlan', not 20" [ "$vlan" = 20 ]

# --- 2 ----------------------------------------------------------------------
step "A student onboards a phone through the portal"
J=$T_SCRATCH/phone.cookies
probe=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$P_HTTP/generate_204")
expect "the phone's captive-portal probe is sent to the portal ($probe)" \
	"the probe got '$probe'" [ "$probe" = "302 $P_URL/?captive=1" ]
code=$(portal_login "$J" "$STUDENT_LOGIN")
expect "ENT login as $STUDENT_LOGIN at the CAS server, ticket validated: logged in as $STUDENT" \
	"the ENT login gave HTTP '$code', expected 303" [ "$code" = 303 ]
show account show "$STUDENT"
csrf=$(portal_csrf "$J")
code=$(pcurl -b "$J" -o /dev/null -w '%{http_code}' -A 'Mozilla/5.0 (Linux; Android 14)' \
	--data-urlencode "csrf=$csrf" --data-urlencode "name=$DEVICE_NAME" -d os=android \
	"$P_URL/devices")
phone_id=$(json_of device list "$STUDENT" -- '[.[] | select(.status == "active")][0].id // empty')
if [ "$code" = 303 ] && [ -n "$phone_id" ]; then
	yes "device #$phone_id \"$DEVICE_NAME\" registered, EAP-TTLS/PAP"
	tok=$(pcurl -b "$J" "$P_URL/devices/ready?id=$phone_id" |
		grep -o 'data-kind="eap-config" href="/dl/[^"]*"' | head -n 1 | sed 's/.*\/dl\///; s/"$//')
	pcurl -b "$J" -o "$T_SCRATCH/phone.eap-config" "$P_URL/dl/$tok"
	if read -r phone_user phone_secret < <(python3 - "$T_SCRATCH/phone.eap-config" <<'PY'
import sys, xml.etree.ElementTree as E
d = E.parse(sys.argv[1]).getroot()
f = lambda n: d.find(".//{*}" + n).text
print(f("UserName"), f("Password"))
PY
	); then
		echo "$phone_secret" >> "$R_SECRETS"
		yes "profile downloaded once (eap-config, served no-store): CA and server name radius.avec.test pinned"
		say "  username: $phone_user"
		say "  secret:   [REMOVED] (in the profile only)"
		eapol_conf_ttls "$T_SCRATCH/phone.profile" "$phone_user" "$phone_secret"
	else
		no "the eap-config could not be read"
	fi
else
	no "the portal did not register the device (HTTP '$code'): see $T_SCRATCH/avecd.log"
fi
show device list "$STUDENT"

# --- 3 ----------------------------------------------------------------------
step "The device connects to the secure network"
mark=$(hapd_log_mark)
if [ -n "${phone_id:-}" ] && supplicant_start phone "$DEVICE_MAC" "$T_SCRATCH/phone.profile"; then
	say "wpa_supplicant started as the device ($DEVICE_MAC)"
	if hapd_wait_authorized "$DEVICE_MAC" "$AUTH_WAIT"; then
		yes "hostapd: port of $DEVICE_MAC AUTHORIZED, by $(hapd_cli sta "$DEVICE_MAC" |
			sed -n 's/^last_eap_type_as=[0-9]* (\(.*\))/EAP-\1/p')"
	else
		no "hostapd did not authorise the port within $AUTH_WAIT s (flags: '$(hapd_sta_flags "$DEVICE_MAC")')"
	fi
	reply=$(hapd_radius_reply "$mark")
	vlan=$(hapd_vlan_since "$mark")
	expect "RADIUS: $reply with Tunnel-Private-Group-Id $vlan (the student VLAN)" \
		"RADIUS: '${reply:-no answer}' with VLAN '$vlan', expected Access-Accept with 20" \
		[ "$reply/$vlan" = Access-Accept/20 ]
	say "(no 802.1Q on this machine: the VLAN is read from the answer hostapd got;"
	say " real VLANs and radios are tested in a VM booted from the appliance image)"
else
	no "the device could not be started"
fi

# --- 4 ----------------------------------------------------------------------
step "The device is revoked (lost phone)"
show device revoke "${phone_id:-0}" --reason "$REVOKE_REASON" ||
	no "avecctl device revoke failed"
st=$(json_of device list "$STUDENT" -- ".[] | select(.id == ${phone_id:-0}) | .status")
expect "the store says: $st" "the store says '$st', not revoked" [ "$st" = revoked ]
expect "hostapd: port of $DEVICE_MAC closed at once (Disconnect-Request, RFC 5176)" \
	"hostapd still has $DEVICE_MAC authorised after the revoke" \
	wait_for 3 hapd_unauthorized "$DEVICE_MAC"
say "rlm_avec sees the change within its refresh interval (200 ms), without a restart."
# rlm_avec reloads its index every 200 ms
sleep 0.5

# --- 5 ----------------------------------------------------------------------
step "The device leaves and comes back"
if [ -n "${phone_id:-}" ]; then
	supplicant_stop phone "$DEVICE_MAC"
	wait_for 5 hapd_unauthorized "$DEVICE_MAC" &&
		say "it left: hostapd closed its port"
	mark=$(hapd_log_mark)
	if supplicant_start phone "$DEVICE_MAC" "$T_SCRATCH/phone.profile"; then
		say "wpa_supplicant started again as the device ($DEVICE_MAC)"
		hapd_wait_reply "$mark" "$AUTH_WAIT"
		reply=$(hapd_radius_reply "$mark")
		why=$(hapd_reply_attr "$mark" Reply-Message)
		want=$(reason_text device-revoked)
		expect "RADIUS: $reply, Reply-Message \"$why\" (the administrator's note stays in the store: \"$REVOKE_REASON\")" \
			"RADIUS: '${reply:-no answer}' (Reply-Message '$why'), expected Access-Reject, \"$want\"" \
			[ "$reply/$why" = "Access-Reject/$want" ]
		logged=$(grep -F 'Login incorrect' "$R_LOGDIR/radius.log" 2>/dev/null | tail -n 1 |
			sed 's/^.*Login incorrect/Login incorrect/')
		[ -n "$logged" ] && say "FreeRADIUS's log: $logged"
		sleep 1
		expect "hostapd: port of $DEVICE_MAC not authorised (the device had 1 s more to try)" \
			"hostapd authorised $DEVICE_MAC" hapd_unauthorized "$DEVICE_MAC"
		supplicant_stop phone "$DEVICE_MAC"
	else
		no "the device could not be started again"
	fi
else
	no "no device to reconnect"
fi
step_end

# --- the end ----------------------------------------------------------------
echo
if [ "$STEPS_FAILED" -eq 0 ]; then
	printf '%s%d/%d steps passed.%s\n' "$C_OK" "$STEP" "$STEP" "$C_0"
	DEMO_RC=0
else
	printf '%s%d of %d steps failed.%s\n' "$C_BAD" "$STEPS_FAILED" "$STEP" "$C_0"
	DEMO_RC=1
	echo "--- end of $R_LOGDIR/radius.log"
	tail -n 8 "$R_LOGDIR/radius.log" 2>/dev/null | sed 's/^/   | /'
	echo "--- hostapd on $DEVICE_MAC ($HAPD_LOG)"
	grep -F "$DEVICE_MAC" "$HAPD_LOG" 2>/dev/null | grep -E 'IEEE 802.1X:|AP-STA|EAP-' |
		tail -n 12 | sed 's/^/   | /'
	echo "(T_KEEP=1 make demo keeps the scratch directory, logs included)"
fi

if [ ! -t 0 ]; then
	exit "$DEMO_RC"
fi

cat <<EOF

${C_B}The stack stays up until Ctrl-C.${C_0}
  avecctl:     $AVECCTL -d $R_DB --ca-dir $R_CA device list
               (account list, policy list, device add $STUDENT --name X --type ttls --json, ...)
  FreeRADIUS:  pid $R_PID in $NS_AP, 127.0.0.1:$R_AUTH_PORT (acct $R_ACCT_PORT)
               log $R_LOGDIR/radius.log, configuration $R_RADDB
  hostapd:     pid $HAPD_PID in $NS_AP, log $HAPD_LOG
               ip netns exec $NS_AP hostapd_cli -p $HAPD_CTRL -i $NS_AP_IF all_sta
               Disconnect-Request (RFC 5176) listener: 127.0.0.1:$HAPD_DAS_PORT
  the device:  profile $SUPP_DIR/phone.conf, log $SUPP_DIR/phone.log
               run it again (it is revoked, so it is refused):
               ip netns exec $NS_STA wpa_supplicant -Dwired -i $NS_STA_IF -c $SUPP_DIR/phone.conf
               hostapd asks within ~2 s; to ask at once:
               ip netns exec $NS_AP hostapd_cli -p $HAPD_CTRL -i $NS_AP_IF new_sta $DEVICE_MAC
               a new device: avecctl device add, then a copy of that profile with
               its username and secret, and another MAC (ip -n $NS_STA link set $NS_STA_IF address ...)
EOF
trap 'echo; exit "$DEMO_RC"' INT TERM
while :; do sleep 1; done
