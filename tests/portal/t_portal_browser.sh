#!/bin/bash
# shellcheck disable=SC2154 # PID_* and R_* are set by the sourced helpers
# tests/portal/t_portal_browser.sh - the portal end to end, as people use
# it: a headless phone Chromium (tests/lib/browser.py) goes through avecd's
# pages, logs in on the real CAS server, registers devices, downloads their
# profiles, removes one and installs another again (each after its
# confirmation page); the profiles are then checked as files and used by
# eapol_test against the real FreeRADIUS with rlm_avec (the credential
# replaced by "Installer à nouveau" is refused, the new one accepted).
#
# The journey itself is tests/portal/portal_browser.py; it reports its
# checks as "ok -"/"not ok -" lines, which this script replays, and asks
# for the shell's part with "sync NAME" lines (authenticate the first
# device before it is removed; replay a ticket and stop the CAS server
# before the "ENT unavailable" page).  Everything else is checked here
# after the browser has gone.  Screenshots of every page go to
# $AVEC_BUILD/screenshots/portal/.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
# shellcheck source=tests/lib/cas.sh
. "$(dirname "$0")/../lib/cas.sh"
# shellcheck source=tests/lib/portal.sh
. "$(dirname "$0")/../lib/portal.sh"

need python3 xmllint openssl curl
[ -x /usr/bin/chromedriver ] || skip "chromedriver is not installed (make deps)"
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] ||
	skip "chromium is not installed (make deps)"

DRIVER=$AVEC_TOP/tests/portal/portal_browser.py
export PYTHONDONTWRITEBYTECODE=1
J=$T_SCRATCH/journey
OUT=$J/out
SHOTS=$AVEC_BUILD/screenshots/portal
mkdir -p "$OUT" "$SHOTS"
rm -f "$SHOTS"/*.png

radius_setup
if ! avecctl policy set student --vlan 20 --max-devices 2 --creds tls,ttls >/dev/null ||
	! avecctl policy set teacher --vlan 30 --max-devices 3 --creds ttls,psk >/dev/null; then
	fail "policies: student VLAN 20, teacher VLAN 30: $(tail -n 2 "$T_SCRATCH/avecctl.err")"
	finish
fi
start_radiusd -f || { fail "freeradius starts"; finish; }
cas_start || { fail "the CAS server starts"; finish; }
portal_start || { fail "avecd starts"; finish; }
ok "FreeRADIUS, the CAS server and avecd run"

# ---------------------------------------------------------------- helpers

# not CMD... : succeeds when CMD fails (for check)
# shellcheck disable=SC2317 # called through check
not() { ! "$@"; }

# facts NAME FILE : the eap-config FILE taken apart into $T_SCRATCH/NAME/
facts() {
	python3 "$DRIVER" eapconfig "$2" "$T_SCRATCH/$1" 2>>"$T_SCRATCH/facts.err"
}
# fact NAME KEY
fact() { head -n 1 "$T_SCRATCH/$1/$2" 2>/dev/null; }

# eapol_from_config NAME : a supplicant profile built from the eap-config's
# own values (CA, server name, outer identity, credential) and one
# authentication with it; the PKCS#12 is opened with its passphrase here
eapol_from_config() {
	local n=$1 d=$T_SCRATCH/$1 conf=$T_SCRATCH/eapol-$1.conf
	case $(fact "$n" method) in
	13)
		openssl pkcs12 -in "$d/client.p12" -passin "file:$d/passphrase" -nodes \
			-out "$d/client.pem" 2>>"$T_SCRATCH/openssl.err" || return 1
		cat > "$conf" <<-EOF
			network={
				key_mgmt=IEEE8021X
				eap=TLS
				identity="$(fact "$n" outer)"
				ca_cert="$d/ca.pem"
				domain_suffix_match="$(fact "$n" server_id)"
				client_cert="$d/client.pem"
				private_key="$d/client.pem"
			}
		EOF
		;;
	21)
		cat > "$conf" <<-EOF
			network={
				key_mgmt=IEEE8021X
				eap=TTLS
				anonymous_identity="$(fact "$n" outer)"
				identity="$(fact "$n" username)"
				password="$(fact "$n" password)"
				ca_cert="$d/ca.pem"
				domain_suffix_match="$(fact "$n" server_id)"
				phase2="auth=PAP"
			}
		EOF
		;;
	*) return 1 ;;
	esac
	eapol_run "$n" "$conf"
}

# step 1, while the device still exists: its eap-config, then 802.1X with it
sync_android() {
	local ec=$OUT/android.eap-config
	check "1: the eap-config is well-formed XML" xmllint --noout "$ec"
	xsd_check "1: the eap-config validates against eap-metadata.xsd" "$ec"
	facts android "$ec" || { fail "1: the eap-config can be read"; return; }
	check "1: the eap-config is EAP-TLS with ServerID radius.avec.test" \
		[ "$(fact android method)" = 13 -a "$(fact android server_id)" = radius.avec.test ]
	check "1: the .p12 of the page is the eap-config's ClientCertificate" \
		cmp -s "$OUT/android.p12" "$T_SCRATCH/android/client.p12"
	eapol_from_config android
	check "1: eapol_test with the eap-config's certificate succeeds" [ $? -eq 0 ]
	expect_accept android 20
}

# step 7 by curl, from another loopback address (its own login rate
# bucket): a real ticket for the right service, used twice
replay() {
	local c=(curl -sS --max-time 10 --cacert "$P_CA_FILE" --interface 127.0.0.2)
	local jar=$T_SCRATCH/replay.jar loc service t first second
	loc=$("${c[@]}" -c "$jar" -o /dev/null -w '%{redirect_url}' "$P_URL/login")
	service=$(python3 -c 'import sys, urllib.parse as u
print(u.parse_qs(u.urlparse(sys.argv[1]).query)["service"][0])' "$loc" 2>/dev/null)
	t=$(cas_ticket test1 test "$service") || { fail "7: a CAS ticket for $service"; return; }
	REPLAY_TICKET=$t
	first=$("${c[@]}" -b "$jar" -c "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' \
		"$service&ticket=$t")
	check "7: the ticket's first use: 303 to /devices ($first)" \
		[ "$first" = "303 $P_URL/devices" ]
	REPLAY_SESSION=$(awk '$6 == "avec_session" { print $7 }' "$jar")
	second=$("${c[@]}" -b "$jar" -c "$jar" -o "$T_SCRATCH/replay2.html" -w '%{http_code}' \
		"$service&ticket=$t")
	grep -q 'Connexion expirée' "$T_SCRATCH/replay2.html" || second="$second, no title"
	check "7: the same ticket again: 403, \"Connexion expirée\" ($second)" \
		[ "$second" = 403 ]
}

# ------------------------------------------------------------ the journey
t0=$(date +%s)
mkfifo "$T_SCRATCH/to_py" "$T_SCRATCH/from_py"
# the browser trusts the portal's CA and the CAS server's own certificate
cat "$P_DIR/pki/chain.pem" "$CAS_DIR/server.pem" > "$T_SCRATCH/trust.pem"
P_URL=$P_URL P_HTTP=$P_HTTP P_CA_FILE=$P_CA_FILE TRUST=$T_SCRATCH/trust.pem \
	SHOTS=$SHOTS python3 "$DRIVER" "$J" <"$T_SCRATCH/to_py" >"$T_SCRATCH/from_py" \
	2>"$T_SCRATCH/journey.err" &
PY_PID=$!
T_PIDS+=("$PY_PID")
exec 4>"$T_SCRATCH/to_py" 3<"$T_SCRATCH/from_py"
while IFS= read -r line <&3; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	"sync android") sync_android; echo go >&4 ;;
	"sync cas-stop")
		replay
		cas_stop
		check "8: the CAS server is stopped" \
			not curl -s --max-time 2 --cacert "$CAS_CA_FILE" -o /dev/null "$CAS_URL/login"
		echo go >&4 ;;
	*) echo "$line" ;;
	esac
done
exec 3<&- 4>&-
wait "$PY_PID"
rc=$?
stop_pid "$PY_PID"
[ $rc -eq 0 ] || fail "portal_browser.py exited $rc: $(tail -n 5 "$T_SCRATCH/journey.err")"
echo "# browser journey: $(( $(date +%s) - t0 )) s"

# ---------------------------------------------- step 2: the Apple profile
mc=$OUT/ios.mobileconfig
ios() {
	if openssl cms -verify -noverify -inform DER -in "$mc" -out "$T_SCRATCH/ios.plist" \
		2>"$T_SCRATCH/cms.err"; then
		ok "2: the mobileconfig is a signed CMS"
	else
		fail "2: openssl cms -verify the mobileconfig: $(tail -n 1 "$T_SCRATCH/cms.err")"
	fi
	mkdir -p "$T_SCRATCH/ios"
	python3 - "$T_SCRATCH/ios.plist" "$T_SCRATCH/ios" >"$T_SCRATCH/plist.out" 2>&1 <<-'EOF'
	import plistlib, sys
	d = plistlib.load(open(sys.argv[1], "rb"))
	out = sys.argv[2]
	p = d["PayloadContent"]
	types = [x["PayloadType"] for x in p]
	def say(ok, what):
	    print("%s - 2: %s" % ("ok" if ok else "not ok", what))
	say(sorted(types) == sorted(["com.apple.security.root", "com.apple.security.pkcs12",
	                             "com.apple.wifi.managed", "com.apple.wifi.managed"]),
	    "payloads root, pkcs12 and two wifi.managed (%s)" % ", ".join(types))
	root = [x for x in p if x["PayloadType"] == "com.apple.security.root"]
	pk = [x for x in p if x["PayloadType"] == "com.apple.security.pkcs12"]
	wifi = {x.get("SSID_STR"): x for x in p if x["PayloadType"] == "com.apple.wifi.managed"}
	if pk:
	    open(out + "/client.p12", "wb").write(pk[0]["PayloadContent"])
	    open(out + "/passphrase", "w").write(pk[0]["Password"] + "\n")
	if root:
	    open(out + "/ca.der", "wb").write(root[0]["PayloadContent"])
	a, w = wifi.get("AVEC", {}), wifi.get("AVEC-Bienvenue", {})
	eap = a.get("EAPClientConfiguration", {})
	say(a.get("AutoJoin") is True, "AVEC joins automatically")
	say(eap.get("TLSTrustedServerNames") == ["radius.avec.test"],
	    "AVEC trusts the server name radius.avec.test only (%r)" % eap.get("TLSTrustedServerNames"))
	uuids = {x.get("PayloadUUID") for x in root}
	anchors = eap.get("PayloadCertificateAnchorUUID") or []
	say(anchors and set(anchors) <= uuids, "AVEC's certificate anchor is the root payload")
	say(w and w.get("AutoJoin") is False, "AVEC-Bienvenue is there, without AutoJoin")
	EOF
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		*) fail "2: reading the profile's plist: $line" ;;
		esac
	done <"$T_SCRATCH/plist.out"
	if openssl pkcs12 -in "$T_SCRATCH/ios/client.p12" -passin "file:$T_SCRATCH/ios/passphrase" \
		-nodes -out "$T_SCRATCH/ios/client.pem" 2>>"$T_SCRATCH/openssl.err" &&
		grep -q 'PRIVATE KEY' "$T_SCRATCH/ios/client.pem"; then
		ok "2: the profile's Password opens its PKCS12Data"
	else
		fail "2: the profile's Password opens its PKCS12Data"
	fi
	openssl x509 -inform DER -in "$T_SCRATCH/ios/ca.der" -out "$T_SCRATCH/ios/ca.pem" 2>/dev/null
	cat > "$T_SCRATCH/eapol-ios.conf" <<EOF
	network={
		key_mgmt=IEEE8021X
		eap=TLS
		identity="anonymous@avec.test"
		ca_cert="$T_SCRATCH/ios/ca.pem"
		domain_match="radius.avec.test"
		client_cert="$T_SCRATCH/ios/client.pem"
		private_key="$T_SCRATCH/ios/client.pem"
}
EOF
eapol_run ios "$T_SCRATCH/eapol-ios.conf"
check "2: eapol_test with the mobileconfig's certificate succeeds" [ $? -eq 0 ]
expect_accept ios 20
}
if [ -s "$mc" ]; then ios; else fail "2: the browser brought no mobileconfig (see step 2)"; fi

# ------------------------------------------ step 3: the removed device
dev=$(awk '$1 == "dev_android" { print $2 }' "$OUT/state")
if [ -n "$dev" ] && [ -s "$T_SCRATCH/android/client.pem" ]; then
	eapol_run removed "$T_SCRATCH/eapol-android.conf"
	check "3: the removed device's certificate: eapol_test fails" [ $? -ne 0 ]
	expect_reject removed device-revoked
	check "3: avecctl device list shows device $dev revoked" \
		[ "$(avecctl device list --json | jq -r ".[] | select(.id == $dev) | .status")" = revoked ]
else
	fail "3: the removed device's credential is known"
fi

# -------------------------------- step 4 (and 8): the teacher's TTLS device
wx=$OUT/windows.xml
teacher() {
	check "4: the Windows profile is well-formed XML" xmllint --noout "$wx"
	check "4: the Windows profile names radius.avec.test as ServerNames" \
		grep -q '<ServerNames>radius.avec.test</ServerNames>' "$wx"
	check "4: the Windows profile pins the CA (TrustedRootCA or TrustedRootCAHash)" \
		grep -Eq '<TrustedRootCA(Hash)?>[0-9a-fA-F ]+</TrustedRootCA(Hash)?>' "$wx"
	ec=$OUT/windows.eap-config
	check "4: the teacher's eap-config is well-formed XML" xmllint --noout "$ec"
	xsd_check "4: the teacher's eap-config validates against eap-metadata.xsd" "$ec"
	if facts windows "$ec"; then
		check "4: the teacher's eap-config is TTLS/PAP (the policy allows ttls, and psk)" \
			[ "$(fact windows method)" = 21 -a "$(fact windows inner)" = 1 -a -n "$(fact windows password)" ]
		fact windows password >> "$R_SECRETS"
		# installed again in step 4b: this first credential is revoked
		eapol_from_config windows
		check "4b: the credential from before \"Installer à nouveau\": eapol_test fails" [ $? -ne 0 ]
		expect_reject windows device-revoked
	else
		fail "4: the teacher's eap-config can be read"
	fi
	old=$(awk '$1 == "dev_windows" { print $2 }' "$OUT/state")
	check "4b: avecctl device list shows the first device ($old) revoked" \
		[ "$(avecctl device list --json | jq -r ".[] | select(.id == ${old:-0}) | .status")" = revoked ]
	ec=$OUT/windows2.eap-config
	xsd_check "4b: the new eap-config validates against eap-metadata.xsd" "$ec"
	if facts windows2 "$ec"; then
		check "4b: the new eap-config has a new username and password, TTLS/PAP" \
			[ "$(fact windows2 method)" = 21 -a -n "$(fact windows2 password)" \
			  -a "$(fact windows2 username)" != "$(fact windows username)" ]
		fact windows2 password >> "$R_SECRETS"
		eapol_from_config windows2
		check "4+8: with CAS down, eapol_test TTLS/PAP with the new eap-config's values succeeds" [ $? -eq 0 ]
		expect_accept windows2 30
	else
		fail "4b: the new eap-config can be read"
	fi
}
if [ -s "$wx" ] && [ -s "$OUT/windows.eap-config" ] && [ -s "$OUT/windows2.eap-config" ]; then
	teacher
else
	fail "4: the browser brought no Windows profile or eap-config (see steps 4 and 4b)"
fi

# ------------------------------------------- nothing secret in avecd's log
log=$T_SCRATCH/avecd.log
secrets=()
for v in "$(fact windows password)" "$(fact windows2 password)" "$(fact android passphrase)" \
	"$(head -n 1 "$T_SCRATCH/ios/passphrase" 2>/dev/null)" "${REPLAY_TICKET:-}" \
	"${REPLAY_SESSION:-}" ST-forged-0123456789 ST-1-casdowncasdowncasdown; do
	[ -n "$v" ] && secrets+=("$v")
done
while read -r k v; do
	case $k in session_*|nonce_*) [ "$v" != - ] && secrets+=("$v") ;; esac
done <"$OUT/state"
leaked=0
for v in "${secrets[@]}"; do
	grep -qF -- "$v" "$log" && leaked=$((leaked + 1))
done
check "no password, passphrase, cookie or ticket in avecd.log (${#secrets[@]} values, $leaked found)" \
	[ ${#secrets[@]} -ge 9 -a $leaked = 0 ]
check "no service ticket at all in avecd.log" not grep -q 'ST-' "$log"

n=$(find "$SHOTS" -name '*.png' | wc -l)
check "18 screenshots or more in $SHOTS ($n)" [ "$n" -ge 18 ]
echo "# screenshots:"
find "$SHOTS" -name '*.png' | sort | sed 's/^/#   /'
echo "# whole test: $SECONDS s"
finish
