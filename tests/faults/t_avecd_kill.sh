#!/bin/bash
# shellcheck disable=SC2154,SC2317 # spawn sets PID_*; functions run through check
# t_avecd_kill.sh - avecd's engine killed (SIGKILL) in the middle of
# registrations.
#
# Four pupils, each in a loop of their own (curl, through the real CAS
# login), register devices and remove one whenever the portal answers
# that the quota is reached, so that registrations and removals keep
# running.  The engine is killed with SIGKILL while they run.  Then, with
# the engine dead and again with avecd restarted:
#   - every device row has its credential (a hash for TTLS/PEAP, a serial
#     and fingerprint for TLS): no half-registered device;
#   - every device the portal announced (303 to /devices/ready?id=N)
#     exists;
#   - no account has more active devices than its role's quota;
#   - PRAGMA integrity_check says ok;
# and the restarted avecd registers a device again.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
# shellcheck source=tests/lib/cas.sh
. "$(dirname "$0")/../lib/cas.sh"
# shellcheck source=tests/lib/portal.sh
. "$(dirname "$0")/../lib/portal.sh"
need curl jq python3 sqlite3
cas_need
radius_setup
QUOTA=3
avecctl policy set student --vlan 20 --max-devices $QUOTA --creds tls,ttls >/dev/null
cas_start || { fail "the CAS server starts"; finish; }
portal_start || { fail "avecd starts"; finish; }
W=$T_SCRATCH/workers
mkdir -p "$W"

# worker LOGIN : log in, then add devices until $W/stop exists or the
# portal stops answering; removes its oldest announced device on a 409
# (the confirmed removal: a first POST only asks).
# Writes "CODE ID" per add to $W/LOGIN.adds.
worker() {
	local login=$1 jar=$W/$1.jar csrf code loc id ids=() i=0
	[ "$(portal_login "$jar" "$login")" = 303 ] || { echo "login-failed" > "$W/$login.adds"; return; }
	csrf=$(portal_csrf "$jar")
	while [ ! -e "$W/stop" ]; do
		i=$((i + 1))
		out=$(pcurl -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 10 \
			-A 'Mozilla/5.0 (X11; Linux x86_64)' --data-urlencode "csrf=$csrf" \
			--data-urlencode "name=k$login-$i" -d os=linux "$P_URL/devices")
		code=${out%% *} loc=${out#* }
		id=
		[ "$code" = 303 ] && id=${loc##*id=} && ids+=("$id")
		echo "$code $id" >> "$W/$login.adds"
		case $code in
		303) ;;
		409) [ ${#ids[@]} -gt 0 ] || return	# nothing of ours to remove
			pcurl -b "$jar" -o /dev/null --max-time 10 --data-urlencode "csrf=$csrf" \
			-d confirm=1 -d "id=${ids[0]}" "$P_URL/devices/remove"; ids=("${ids[@]:1}") ;;
		*) return ;;	# the engine is gone
		esac
	done
}

USERS=(test1 test2 test3 test4)
WPIDS=()
for u in "${USERS[@]}"; do
	worker "$u" &
	T_PIDS+=("$!") WPIDS+=("$!")
done
# let them fill their quotas and go on past them (removals), then kill the
# engine in the middle
wait_for 40 bash -c "[ \$(cat $W/*.adds 2>/dev/null | grep -c '^303 ') -ge $((4 * QUOTA + 2)) ]"
child=$(sed -n 's/.*portal is process \([0-9]*\).*/\1/p' "$T_SCRATCH/avecd.log" | head -n 1)
kill -KILL "$P_PID"
wait "$P_PID" 2>/dev/null
echo "# engine $P_PID killed after $(cat "$W"/*.adds | grep -c '^303 ') registrations"
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
check "the portal process ends with its engine" wait_for 5 gone "$child"
touch "$W/stop"
for p in "${WPIDS[@]}"; do wait "$p" 2>/dev/null; done
check "every pupil logged in and registered" bash -c "! grep -l login-failed $W/*.adds"
n303=$(cat "$W"/*.adds | grep -c '^303 ')
n409=$(cat "$W"/*.adds | grep -c '^409 ')
check "registrations ran, quota refusals included ($n303 added, $n409 over quota)" \
	[ "$n303" -gt $((4 * QUOTA)) -a "$n409" -ge 1 ]

q() { sqlite3 -batch -readonly "$R_DB" "$1"; }
# invariants TAG : the store's state is whole
invariants() {
	local tag=$1 id missing=0 ids
	check "($tag) PRAGMA integrity_check: ok" [ "$(q 'PRAGMA integrity_check')" = ok ]
	check "($tag) PRAGMA foreign_key_check: nothing" [ -z "$(q 'PRAGMA foreign_key_check')" ]
	check "($tag) every device row has its credential" [ "$(q "SELECT count(*) FROM devices d
		LEFT JOIN credentials c ON c.device_id = d.id WHERE c.device_id IS NULL")" = 0 ]
	check "($tag) every credential is whole (hash, or serial and fingerprint)" [ "$(q "SELECT count(*)
		FROM devices d JOIN credentials c ON c.device_id = d.id
		WHERE (d.cred_type = 'tls' AND (c.cert_serial IS NULL OR c.cert_fingerprint = ''))
		   OR (d.cred_type <> 'tls' AND c.secret_hash = '')")" = 0 ]
	ids=$(cat "$W"/*.adds | awk '$1 == 303 { print $2 }')
	for id in $ids; do
		[ "$(q "SELECT count(*) FROM devices d JOIN credentials c ON c.device_id = d.id WHERE d.id = $id")" = 1 ] ||
			missing=$((missing + 1))
	done
	check "($tag) every device the portal announced exists ($(wc -w <<<"$ids") announced, $missing missing)" \
		[ "$missing" = 0 ]
	check "($tag) no account has more than $QUOTA active devices" [ -z "$(q "SELECT account_id FROM devices
		WHERE status = 'active' GROUP BY account_id HAVING count(*) > $QUOTA")" ]
}
invariants "engine dead"

# the same configuration, restarted
spawn avecd2 "$AVECD" -d -f "$P_CONF"
P_PID=$PID_avecd2
check "avecd restarts on the same store" wait_for 10 curl -sf --cacert "$P_CA_FILE" -o /dev/null "$P_URL/"
invariants "restarted"
J=$T_SCRATCH/after.jar
check "a pupil logs in after the restart" [ "$(portal_login "$J" test7)" = 303 ]
csrf=$(portal_csrf "$J")
code=$(pcurl -b "$J" -o /dev/null -w '%{http_code}' -A 'Mozilla/5.0 (X11; Linux x86_64)' \
	--data-urlencode "csrf=$csrf" --data-urlencode "name=after" -d os=linux "$P_URL/devices")
check "... and registers a device (303)" [ "$code" = 303 ]
check "no sanitizer report in avecd's logs" \
	bash -c "! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$T_SCRATCH/avecd.log' '$T_SCRATCH/avecd2.log'"
finish
