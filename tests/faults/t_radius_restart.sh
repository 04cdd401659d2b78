#!/bin/bash
# shellcheck disable=SC2154,SC2317 # ok_*, rv_*, late_*: set by device_add; spawn sets PID_*; functions run through check
# t_radius_restart.sh - FreeRADIUS restarted (SIGTERM, then SIGKILL) while
# devices authenticate and access points send accounting.
#
# Three loops run against the server the whole time: plain PAP for a
# registered device, for a device revoked before the start and for one
# revoked while the server is down; EAP-TTLS (eapol_test) for the revoked
# ones; and Accounting Starts, each with its own Acct-Session-Id.  The
# server is stopped and started again twice in the middle.  Then:
#   - a revoked device never got an Access-Accept (the one revoked while
#     the server was down: none after its revocation);
#   - the registered device was accepted again after each restart;
#   - every Accounting-Request that got an Accounting-Response is in the
#     sessions table;
#   - PRAGMA integrity_check says ok.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need sqlite3
radius_setup
account_add eleve.rs student && avecctl policy set student --vlan 20 --max-devices 5 --creds ttls >/dev/null ||
	{ fail "account and policy"; finish; }
device_add ok eleve.rs ttls && device_add rv eleve.rs ttls && device_add late eleve.rs ttls ||
	{ fail "register devices"; finish; }
avecctl device revoke "$rv_id" >/dev/null || { fail "revoke a device"; finish; }
start_radiusd -f || { fail "freeradius starts"; finish; }
L=$T_SCRATCH/loops
mkdir -p "$L"

# pap_code USER SECRET : Access-Accept, Access-Reject or none
pap_code() {
	local c
	c=$(printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' "$1" "$2" |
		radclient -r 1 -t 2 "$R_HOST:$R_AUTH_PORT" auth "$R_SECRET" 2>/dev/null |
		sed -n 's/^Received \(Access-[A-Za-z]*\) Id .*/\1/p' | tail -n 1)
	echo "${c:-none}"
}
# each loop line: "NANOSECONDS_AT_SEND WHO CODE"
loop_pap() {
	while [ ! -e "$L/stop" ]; do
		echo "$(date +%s%N) ok $(pap_code "$ok_user" "$ok_secret")" >> "$L/pap"
		echo "$(date +%s%N) rv $(pap_code "$rv_user" "$rv_secret")" >> "$L/pap"
		echo "$(date +%s%N) late $(pap_code "$late_user" "$late_secret")" >> "$L/pap"
	done
}
loop_eap() {
	local i=0 t who
	while [ ! -e "$L/stop" ]; do
		i=$((i + 1))
		for who in rv late; do
			t=$(date +%s%N)
			if [ $who = rv ]; then
				eapol_auth "loop-$who" ttls "$rv_user" "$rv_secret"
			else
				eapol_auth "loop-$who" ttls "$late_user" "$late_secret"
			fi
			echo "$t $who $(reply_code "loop-$who")" >> "$L/eap"
		done
	done
}
loop_acct() {
	local i=0
	while [ ! -e "$L/stop" ]; do
		i=$((i + 1))
		printf 'User-Name = "anonymous"\nNAS-IP-Address = 192.0.2.20\nAcct-Session-Id = "RS-%05d"\nAcct-Status-Type = Start\nFramed-IP-Address = 10.7.%d.%d\n' \
			"$i" $((i / 250)) $((i % 250 + 1)) |
			radclient -r 1 -t 2 "$R_HOST:$R_ACCT_PORT" acct "$R_SECRET" 2>/dev/null |
			grep -q '^Received Accounting-Response' && printf 'RS-%05d\n' "$i" >> "$L/acked"
		echo "RS-$i" >> "$L/sent"
	done
}
LP=()
for f in loop_pap loop_eap loop_acct; do
	"$f" & T_PIDS+=("$!") LP+=("$!")
done

sleep 3
stop_radiusd	# SIGTERM
avecctl device revoke "$late_id" >/dev/null || fail "revoke a device while the server is down"
revoked_at=$(date +%s%N)
start_radiusd -f || { fail "freeradius restarts after SIGTERM"; finish; }
t_restart1=$(date +%s%N)
sleep 4
kill -KILL "$R_PID"; wait "$R_PID" 2>/dev/null
start_radiusd -f || { fail "freeradius restarts after SIGKILL"; finish; }
t_restart2=$(date +%s%N)
sleep 4
touch "$L/stop"
for p in "${LP[@]}"; do wait "$p" 2>/dev/null; done
stop_radiusd	# flushes the writer

cat "$L/pap" "$L/eap" > "$L/all"
echo "# answers: $(awk '{ print $2, $3 }' "$L/all" | sort | uniq -c | tr '\n' ';')"
check "the device revoked before the start never got an Access-Accept" \
	[ "$(awk '$2 == "rv" && $3 ~ /Accept|^2$/' "$L/all" | wc -l)" = 0 ]
check "the device revoked while the server was down: no Access-Accept after" \
	[ "$(awk -v t="$revoked_at" '$2 == "late" && $1 > t && $3 ~ /Accept|^2$/' "$L/all" | wc -l)" = 0 ]
check "... and it was refused after the restarts" \
	[ "$(awk -v t="$t_restart2" '$2 == "late" && $1 > t && $3 ~ /Reject|^3$/' "$L/all" | wc -l)" -ge 1 ]
check "the registered device was accepted after the first restart" \
	[ "$(awk -v a="$t_restart1" -v b="$t_restart2" '$2 == "ok" && $1 > a && $1 < b && $3 == "Access-Accept"' "$L/pap" | wc -l)" -ge 1 ]
check "... and after the second" \
	[ "$(awk -v t="$t_restart2" '$2 == "ok" && $1 > t && $3 == "Access-Accept"' "$L/pap" | wc -l)" -ge 1 ]
sqlite3 -readonly "$R_DB" "SELECT acct_session_id FROM sessions WHERE acct_session_id LIKE 'RS-%'" |
	sort > "$L/stored"
acked=$(wc -l < "$L/acked")
missing=$(sort "$L/acked" | comm -23 - "$L/stored" | wc -l)
echo "# accounting: sent $(wc -l < "$L/sent"), acknowledged $acked, stored $(wc -l < "$L/stored")"
check "accounting acknowledged during the run ($acked)" [ "$acked" -ge 10 ]
check "every acknowledged accounting record is in the sessions table ($missing missing)" [ "$missing" = 0 ]
check "PRAGMA integrity_check: ok" [ "$(sqlite3 -readonly "$R_DB" 'PRAGMA integrity_check')" = ok ]
finish
