#!/bin/bash
# tests/stress/sigterm.sh - SIGTERM during a full accounting burst, N times,
# with both cores kept busy.  Not part of `make check` (make stress).
#
#   bash tests/stress/sigterm.sh [N]        (default 20; or STRESS_N=N)
#
# Each run starts FreeRADIUS with rlm_avec on a fresh port set of this
# script's store, sends 2,000 Accounting-Request Starts with 100 in flight
# (tests/lib/burst.py, the sender tests/radius/t_accounting.sh uses) and
# signals the server with SIGTERM after 1,000 acknowledgements.  A run
# passes when the server is gone within 5 s of the signal and every
# acknowledged request is in the store.  STRESS_BUSY (default 2) busy
# loops run beside it the whole time, started and stopped here by pid.
# One line a run: exit time after SIGTERM, acknowledged, stored,
# acknowledged but missing, and "guard" when rlm_avec's exit guard had to
# end a server FreeRADIUS could not stop (docs/freeradius-notes.md); then
# the median and maximum exit times and "N passed, M failed".  A server
# still there after 10 s has the backtraces and CPU use of all its threads
# written to build/test-logs/stress-sigterm-gdb-RUN.txt (when gdb is
# installed) before it is killed.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need python3 sqlite3
radius_setup

runs=${1:-${STRESS_N:-20}}
busy=${STRESS_BUSY:-2}
logs=$AVEC_BUILD/test-logs
mkdir -p "$logs"

busy_pids=()
for i in $(seq 1 "$busy"); do
	spawn "busy$i" sh -c 'while :; do :; done'
	v=PID_busy$i
	busy_pids+=("${!v}")
done
echo "# $runs runs, $busy busy loops (pids ${busy_pids[*]:-none})"

passed=0 failed=0 times=()
for i in $(seq 1 "$runs"); do
	tag=$(printf 'run%02d' "$i")
	if ! start_radiusd -f; then
		echo "$tag: FreeRADIUS did not start"
		failed=$((failed + 1))
		continue
	fi
	pid=$R_PID
	guarded=$(grep -c 'ending the process' "$R_LOGDIR/radius.log")
	acct_burst "$tag" 15 10
	if [ "$BURST_EXIT_MS" -lt 0 ] && command -v gdb >/dev/null; then
		{ ps -L -o tid,pcpu,stat,wchan:24 -p "$pid"
		  gdb -p "$pid" -batch -ex 'thread apply all bt'
		} > "$logs/stress-sigterm-gdb-$tag.txt" 2>&1
		echo "# $tag: still running 10 s after SIGTERM: backtraces in $logs/stress-sigterm-gdb-$tag.txt"
	fi
	guard=
	[ "$(grep -c 'ending the process' "$R_LOGDIR/radius.log")" -gt "$guarded" ] && guard=" (guard)"
	stop_radiusd
	acct_burst_tally "$tag"
	verdict=ok
	if [ "$BURST_EXIT_MS" -lt 0 ] || [ "$BURST_EXIT_MS" -gt 5000 ] ||
	   [ "$BURST_MISSING" != 0 ] || [ "$BURST_ACKED" -lt 1000 ]; then
		verdict=FAILED
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
	[ "$BURST_EXIT_MS" -ge 0 ] && times+=("$BURST_EXIT_MS")
	printf '%s: exit %s ms after SIGTERM%s, acknowledged %d, stored %d, acknowledged but missing %d: %s\n' \
		"$tag" "$([ "$BURST_EXIT_MS" -ge 0 ] && echo "$BURST_EXIT_MS" || echo '>10000')" \
		"$guard" "$BURST_ACKED" "$BURST_STORED" "$BURST_MISSING" "$verdict"
done

for pid in "${busy_pids[@]}"; do
	stop_pid "$pid"
done
if [ ${#times[@]} -gt 0 ]; then
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	echo "# exit after SIGTERM: median $(sed -n "$(( (${#times[@]} + 1) / 2 ))p" <<<"$sorted") ms, max $(tail -n 1 <<<"$sorted") ms"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
