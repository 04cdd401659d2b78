#!/bin/bash
# shellcheck disable=SC2154,SC2317,SC2034,SC2016 # *_id set by device_add; helpers and variables used through check and eval (single-quoted on purpose)
# tests/dot1x/t_disconnect.sh - a revocation that acts: avecctl's own
# Disconnect-Request client (provisioning/das, RFC 5176) against the real
# hostapd's DAS, in the network namespaces of tests/lib/netns.sh.
#
#   avecctl device revoke / account suspend
#     └─ store commit, then for each open session (table sessions):
#        NAS by nas_address (avecctl nas add) ─ Disconnect-Request ─► hostapd DAS
#        outcome ─► table disconnects, and printed
#
# What is asserted is hostapd's own view of the port (hostapd_cli) and
# the store, never avecctl's word alone:
#   (a) a TTLS device authenticates through hostapd; its accounting
#       session is in the store (from rlm_avec's accounting; see SESSION
#       below for the fallback);
#   (b) a NAS registered with the wrong DAS secret: hostapd drops the
#       request; avecctl retries (3 sends), records "timeout", the
#       revocation is committed, exit 0, the port stays open (the device
#       will be refused at its next authentication);
#   (c) the right secret: Disconnect-ACK, hostapd closes the port within
#       a few seconds, the store records "ack" after 1 send;
#   (d) a session hostapd does not know: Disconnect-NAK with Error-Cause
#       503, recorded;
#   (e) a NAS whose DAS port has nothing listening: 3 sends, 1+2+2 s,
#       "timeout", revocation committed, exit 0;
#   (f) --no-disconnect sends nothing and records nothing;
#   (g) account suspend disconnects every live device of the account
#       (one through hostapd, ACK; one on an access point AVEC has no DAS
#       for, recorded as an error) and exits 0;
#   and no DAS secret appears in anything avecctl printed or recorded.
#
# SESSION: rlm_avec records hostapd's Accounting-Start in the sessions
# table, and the test waits for that row.  If it never comes, that is a
# failure; the test then inserts the row itself from the Acct-Session-Id
# hostapd logged, and says so, so that the disconnection is still
# exercised.  Sessions on other access points ((d), (e), (g)) are rows
# the test writes: there is one hostapd here.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$AVEC_TOP/tests/lib/radius.sh"
# shellcheck source=tests/lib/netns.sh
. "$AVEC_TOP/tests/lib/netns.sh"

STUDENT=eleve.das@lycee-test
STUDENT2=eleve.das2@lycee-test
STUDENT3=eleve.das3@lycee-test
MAC_TABLET=02:a5:ec:00:01:01
MAC_PHONE=02:a5:ec:00:01:02
MAC_LAPTOP=02:a5:ec:00:01:03
AUTH_WAIT=10

T_START=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - T_START) / 1000000 )) ms"; }
now_ms() { echo "$(( $(date +%s%N) / 1000000 ))"; }

[ "$(id -u)" = 0 ] || skip "network namespaces need root"
need hostapd hostapd_cli wpa_supplicant wpa_cli ip sqlite3
radius_setup

# The DAS secret of this run, and a wrong one; both must stay out of
# everything avecctl prints or records.
DAS_SECRET=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
WRONG_SECRET=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
printf '%s\n%s\n' "$DAS_SECRET" "$WRONG_SECRET" >>"$R_SECRETS"
HAPD_DAS_SECRET=$DAS_SECRET
(umask 077
 printf '%s\n' "$DAS_SECRET" >"$T_SCRATCH/das.secret"
 printf '%s\n' "$WRONG_SECRET" >"$T_SCRATCH/wrong.secret")
OUT=$T_SCRATCH/avecctl.out	# everything avecctl printed, both streams

# db SQL : one query on the store
db() { sqlite3 -batch -noheader "$R_DB" "$1"; }

# ctl_ap ARGS... : avecctl inside the AP namespace, where hostapd's DAS
# listens on 127.0.0.1; stdout and stderr appended to $OUT and kept in
# $T_SCRATCH/last.out; returns avecctl's status
ctl_ap() {
	local rc
	ns_ap_exec "$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" "$@" \
		>"$T_SCRATCH/last.out" 2>&1
	rc=$?
	cat "$T_SCRATCH/last.out" >>"$OUT"
	return "$rc"
}
last_has() { grep -qF -- "$1" "$T_SCRATCH/last.out"; }

# disc FIELD DEVICE_ID : a field of the last disconnects row of a device
disc() { db "SELECT $1 FROM disconnects WHERE device_id = $2 ORDER BY id DESC LIMIT 1"; }
disc_count() { db "SELECT count(*) FROM disconnects WHERE device_id = $1"; }
dev_status() { db "SELECT status FROM devices WHERE id = $1"; }

# open_session DEVICE_ID : the device has an open session in the store
open_session() {
	[ "$(db "SELECT count(*) FROM sessions WHERE device_id = $1 AND ended_at = 0")" -ge 1 ]
}

# hapd_acct_session_id MAC : the Acct-Session-Id hostapd gave the
# station, from its Accounting-Request as dumped in its debug log
hapd_acct_session_id() {
	awk -v mac="$(echo "$1" | tr 'a-f:' 'A-F-')" '
		/RADIUS message: code=4 / { inmsg = 1; id = ""; csid = ""; next }
		inmsg && /Attribute 44 \(Acct-Session-Id\)/ { want = "id"; next }
		inmsg && /Attribute 31 \(Calling-Station-Id\)/ { want = "csid"; next }
		inmsg && want != "" && /Value: / {
			v = $0; sub(/.*Value: /, "", v); gsub(/'\''/, "", v)
			if (want == "id") id = v; else csid = v
			want = ""
			if (id != "" && csid == mac) found = id
			next
		}
		/RADIUS message: code=/ { inmsg = 0 }
		END { print found }' "$HAPD_LOG"
}

# session_row DEVICE_ID PRINCIPAL NAS_ADDRESS ACCT_ID MAC : a row as
# accounting writes it
session_row() {
	local now
	now=$(date +%s)
	db "INSERT INTO sessions (nas_address, acct_session_id, account_id,
		device_id, principal, mac, started_at, updated_at)
	    VALUES ('$3', '$4', (SELECT account_id FROM devices WHERE id = $1),
		$1, '$2', '$5', $now, $now)"
}

# live_session TAG DEVICE_ID PRINCIPAL MAC : wait for the accounting
# session of a device hostapd authorised; insert it only if rlm_avec's
# accounting never writes it
SESSIONS_INSERTED=0
live_session() {
	local tag=$1 id=$2 who=$3 mac=$4 acct
	if wait_for 3 open_session "$id"; then
		ok "$tag: the accounting session of device $id is in the store (rlm_avec)"
		return 0
	fi
	fail "$tag: the accounting session of device $id is in the store (rlm_avec)"
	acct=$(hapd_acct_session_id "$mac")
	echo "# $tag: session row inserted by the test, to go on (Acct-Session-Id $acct)"
	SESSIONS_INSERTED=$((SESSIONS_INSERTED + 1))
	check "$tag: hostapd sent an Accounting-Start with an Acct-Session-Id" \
		[ -n "$acct" ]
	session_row "$id" "$who" 127.0.0.1 "$acct" "$mac"
	check "$tag: the session row of device $id is in the store" open_session "$id"
}

# join NAME MAC : a device authenticates through hostapd
join() {
	supplicant_start "$1" "$2" "$T_SCRATCH/$1.profile" || return 1
	hapd_wait_authorized "$2" "$AUTH_WAIT"
}

# no_secret_in FILE... : no secret of this run (RADIUS, devices, DAS)
no_secret_in() {
	local sec
	while IFS= read -r sec; do
		[ -n "$sec" ] || continue
		grep -qF -- "$sec" "$@" && return 1
	done <"$R_SECRETS"
	return 0
}

check "avecctl: student accounts" account_add "$STUDENT" student
check "avecctl: second student account" account_add "$STUDENT2" student
check "avecctl: third student account" account_add "$STUDENT3" student
{
	check "avecctl: tablet, phone, laptop, ghost, spare registered" eval '
		device_add tablet "$STUDENT" ttls &&
		device_add phone "$STUDENT" ttls &&
		device_add laptop "$STUDENT" ttls &&
		device_add ghost "$STUDENT3" ttls &&
		device_add spare "$STUDENT3" ttls'
	check "avecctl: the second account's two devices registered" eval '
		device_add pc "$STUDENT2" ttls &&
		device_add watch "$STUDENT2" ttls'
	eapol_conf_ttls "$T_SCRATCH/tablet.profile" "$tablet_user" "$tablet_secret"
	eapol_conf_ttls "$T_SCRATCH/phone.profile" "$phone_user" "$phone_secret"
	eapol_conf_ttls "$T_SCRATCH/pc.profile" "$pc_user" "$pc_secret"
}

# hostapd must insist on Event-Timestamp (RFC 5176 replay protection)
# within 30 s of its clock; netns.sh's default is not to.
HAPD_EXTRA=("radius_das_require_event_timestamp=1" "radius_das_time_window=30")
if ! netns_pair || ! ap_radius_start -X || ! hostapd_start_for_radius; then
	fail "FreeRADIUS + rlm_avec and hostapd (with a DAS) start in the AP namespace"
	finish
fi
ok "FreeRADIUS + rlm_avec and hostapd (DAS on port $HAPD_DAS_PORT) up ($(elapsed))"

check "nas add refuses a weak secret (exit 1)" eval '
	printf "aaaaaaaaaaaaaaaaaaaa\n" | ctl_ap nas add weak --nas-address 10.9.9.9 \
		--das 127.0.0.1 --secret-file - ; [ $? = 1 ]'
check "nas add refuses a short secret (exit 1)" eval '
	printf "Ab1-x9\n" | ctl_ap nas add weak --nas-address 10.9.9.9 \
		--das 127.0.0.1 --secret-file - ; [ $? = 1 ]'

# (b) the wrong secret
check "(b) nas add ap-1 with the wrong secret" \
	ctl_ap nas add ap-1 --nas-address 127.0.0.1 \
		--das "127.0.0.1:$HAPD_DAS_PORT" --secret-file "$T_SCRATCH/wrong.secret"
check "(a) the tablet authenticates through hostapd" join tablet "$MAC_TABLET"
live_session "(a)" "$tablet_id" "$STUDENT" "$MAC_TABLET"
mark=$(hapd_log_mark)
t0=$(now_ms)
check "(b) revoke with a wrong DAS secret still exits 0" ctl_ap device revoke "$tablet_id"
echo "# (b) revoke took $(( $(now_ms) - t0 )) ms"
check "(b) the revocation is committed" [ "$(dev_status "$tablet_id")" = revoked ]
check "(b) avecctl says there was no answer after 3 tries" \
	last_has "device $tablet_id: no answer from ap-1 after 3 tries: it will be refused at its next authentication"
check "(b) disconnects: timeout, 3 attempts" \
	[ "$(disc result "$tablet_id")/$(disc attempts "$tablet_id")" = timeout/3 ]
check "(b) hostapd dropped each of the 3 requests (invalid authenticator)" \
	[ "$(hapd_log_since "$mark" | grep -c "DAS: Invalid authenticator or Message-Authenticator in packet from 127.0.0.1")" = 3 ]
check "(b) the port stays open until the device authenticates again" \
	hapd_authorized "$MAC_TABLET"
supplicant_stop tablet "$MAC_TABLET"

# (c) the right secret
check "nas remove ap-1" ctl_ap nas remove ap-1
check "(c) nas add ap-1 with hostapd's DAS secret (from stdin)" eval '
	ctl_ap nas add ap-1 --nas-address 127.0.0.1 \
		--das "127.0.0.1:$HAPD_DAS_PORT" --secret-file - <"$T_SCRATCH/das.secret"'
check "(c) nas list shows the secret as [REMOVED]" eval '
	ctl_ap nas list && last_has "[REMOVED]" && ! last_has "$DAS_SECRET"'
check "(c) the phone authenticates through hostapd" join phone "$MAC_PHONE"
live_session "(c)" "$phone_id" "$STUDENT" "$MAC_PHONE"
mark=$(hapd_log_mark)
t0=$(now_ms)
check "(c) avecctl device revoke exits 0" ctl_ap device revoke "$phone_id" --reason "lost"
t1=$(now_ms)
check "(c) avecctl says: disconnected from ap-1 (ACK)" \
	last_has "device $phone_id: disconnected from ap-1 (ACK)"
check "(c) hostapd shows the port unauthorised within 3 s" \
	wait_for 3 hapd_unauthorized "$MAC_PHONE"
echo "# (c) revoke + Disconnect-ACK in $(( t1 - t0 )) ms; port closed by $(( $(now_ms) - t0 )) ms"
check "(c) hostapd matched the session by Calling-Station-Id and Acct-Session-Id" eval '
	hapd_log_since_has "$mark" "RADIUS DAS: Calling-Station-Id match" &&
	hapd_log_since_has "$mark" "RADIUS DAS: Acct-Session-Id match" &&
	hapd_log_since_has "$mark" "Found a matching session $MAC_PHONE - disconnecting"'
check "(c) disconnects: ack, 1 attempt, on ap-1, for its session" \
	[ "$(disc "result || '/' || attempts || '/' || nas_name || '/' || (session_id IS NOT NULL)" "$phone_id")" = "ack/1/ap-1/1" ]
check "(c) the device is revoked" [ "$(dev_status "$phone_id")" = revoked ]
if [ "$SESSIONS_INSERTED" = 0 ]; then
	check "(c) hostapd's Accounting-Stop closes the session in the store" \
		wait_for 3 eval '! open_session "$phone_id"'
fi
supplicant_stop phone "$MAC_PHONE"

# (d) a session hostapd does not have
session_row "$ghost_id" "$STUDENT3" 127.0.0.1 0123456789ABCDEF 02:a5:ec:00:01:99
check "(d) revoke of a device hostapd does not know exits 0" ctl_ap device revoke "$ghost_id"
check "(d) disconnects: nak with Error-Cause 503" eval '
	[ "$(disc result "$ghost_id")" = nak ] &&
	disc detail "$ghost_id" | grep -q "Session Context Not Found (503)"'
check "(d) avecctl reports the NAK" last_has "ap-1 refused the disconnection"

# (e) a NAS with nothing listening on its DAS port
dead_port=$(free_port udp)
check "(e) nas add ap-dead (nothing listens on its DAS port)" \
	ctl_ap nas add ap-dead --nas-address 10.0.0.99 \
		--das "127.0.0.1:$dead_port" --secret-file "$T_SCRATCH/das.secret"
session_row "$laptop_id" "$STUDENT" 10.0.0.99 00000000000000A1 "$MAC_LAPTOP"
t0=$(now_ms)
check "(e) revoke exits 0 though the NAS does not answer" ctl_ap device revoke "$laptop_id"
dt=$(( $(now_ms) - t0 ))
echo "# (e) 3 unanswered sends took $dt ms"
check "(e) bounded retries: 1 + 2 + 2 s (between 4.5 and 8 s)" \
	eval '[ "$dt" -ge 4500 ] && [ "$dt" -lt 8000 ]'
check "(e) the revocation is committed" [ "$(dev_status "$laptop_id")" = revoked ]
check "(e) disconnects: timeout, 3 attempts, ap-dead" \
	[ "$(disc "result || '/' || attempts || '/' || nas_name" "$laptop_id")" = timeout/3/ap-dead ]
check "(e) avecctl says so" \
	last_has "device $laptop_id: no answer from ap-dead after 3 tries: it will be refused at its next authentication"

# (f) --no-disconnect
session_row "$spare_id" "$STUDENT3" 10.0.0.99 00000000000000B2 02:a5:ec:00:01:98
n_before=$(db "SELECT count(*) FROM disconnects")
t0=$(now_ms)
check "(f) revoke --no-disconnect exits 0" ctl_ap device revoke "$spare_id" --no-disconnect
check "(f) ... sends nothing and records nothing" eval '
	[ "$(db "SELECT count(*) FROM disconnects")" = "$n_before" ] &&
	[ $(( $(now_ms) - t0 )) -lt 1000 ]'

# (g) account suspend: the live pc through hostapd, and a session on an
# access point AVEC has no DAS for
check "(g) the second account's pc authenticates through hostapd" join pc "$MAC_LAPTOP"
live_session "(g)" "$pc_id" "$STUDENT2" "$MAC_LAPTOP"
session_row "$watch_id" "$STUDENT2" 10.0.0.77 00000000000000C3 02:a5:ec:00:01:97
check "(g) avecctl account suspend exits 0" ctl_ap account suspend "$STUDENT2"
check "(g) the account is suspended" \
	[ "$(db "SELECT status FROM accounts WHERE principal = '$STUDENT2'")" = suspended ]
check "(g) hostapd shows the pc's port unauthorised within 3 s" \
	wait_for 3 hapd_unauthorized "$MAC_LAPTOP"
check "(g) the pc: disconnected from ap-1 (ACK), recorded" eval '
	last_has "device $pc_id: disconnected from ap-1 (ACK)" &&
	[ "$(disc result "$pc_id")" = ack ]'
check "(g) the watch: no NAS for 10.0.0.77, recorded as an error" eval '
	last_has "device $watch_id: session on NAS 10.0.0.77 not disconnected" &&
	[ "$(disc result "$watch_id")" = error ]'
supplicant_stop pc "$MAC_LAPTOP"

check "no secret in avecctl's output or in the disconnects table" eval '
	db "SELECT * FROM disconnects" >"$T_SCRATCH/disconnects.txt" &&
	no_secret_in "$OUT" "$T_SCRATCH/disconnects.txt"'
[ "$SESSIONS_INSERTED" = 0 ] ||
	echo "# live sessions inserted by the test (no accounting row): $SESSIONS_INSERTED"
echo "# total $(elapsed)"
finish
