# shellcheck shell=bash
# bench/dhcp.sh - sourced by bench/run.sh: authentication while avec-addrd
# logs DHCP exchanges into the same store.
#
# What it owns: a network namespace with a bridge (br-bench) and a veth
# whose far end injects DHCPACKs (bench/dhcp_load.py) at BENCH_DHCP_RATE
# per second (200) from a server avec-addrd trusts (-t); the real
# avec-addrd watches the bridge and folds them into the avec scenario's
# store, the one FreeRADIUS (rlm_avec, its writer) reads and writes.  Each
# of BENCH_DHCP_ROUNDS rounds (5) runs the authentication load alone and
# the same with the exchanges alongside (in turn first), and compares
# (auth_ratio, target >= 0.95); the bindings written during the round are
# counted from the store.  The stations (BENCH_DHCP_STATIONS, 5000) are
# taken from the first each round: new bindings, then renewals.
# What it must never do: send a frame anywhere but into its own namespace.
# Needs root (a namespace, a packet socket); says so and skips otherwise.

# with_dhcp LABEL : the rounds, against setup avec of scenario LABEL
with_dhcp() {
	local label=$1 rate=${BENCH_DHCP_RATE:-200} stations=${BENCH_DHCP_STATIONS:-5000}
	local db=$T_SCRATCH/$1/avec.db ns=avec-bench-$$ addrd=$AVEC_BUILD/bin/avec-addrd
	local r base json inj n0 n1 t0
	[ "$rate" -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || { say "dhcp: needs root (a network namespace); skipped"; return 0; }
	[ -x "$addrd" ] || { say "dhcp: $addrd is not built; skipped"; return 0; }
	netns_add "$ns" || return 1
	ip -n "$ns" link add br-bench type bridge &&
		ip -n "$ns" link add inj type veth peer name port0 &&
		ip -n "$ns" link set port0 master br-bench &&
		ip -n "$ns" link set inj address 02:be:00:00:00:fe &&
		ip -n "$ns" link set br-bench up && ip -n "$ns" link set port0 up &&
		ip -n "$ns" link set inj up || return 1
	spawn bench_addrd ip netns exec "$ns" "$addrd" -d "$db" -i br-bench=20 -t 10.79.0.1
	wait_for 5 grep -q "watching br-bench" "$T_SCRATCH/bench_addrd.log" ||
		{ say "dhcp: avec-addrd did not start: $(tail -n 3 "$T_SCRATCH/bench_addrd.log")"; return 1; }
	for r in $(seq 1 "${BENCH_DHCP_ROUNDS:-5}"); do
		# alone then alongside, or the other way round: a drift of the
		# machine's speed within a round favours neither
		[ $((r % 2)) = 0 ] || base=$(load avec "$T_SCRATCH/$label/users.txt" "$WINDOW" "$SECS") || return 1
		n0=$(sqlite3 "$db" 'SELECT count(*) FROM addr_bindings')
		t0=$(date +%s)
		ip netns exec "$ns" python3 "$AVEC_TOP/bench/dhcp_load.py" inj 02:be:00:00:00:fe \
			10.79.0.1 "$rate" "$((SECS + 1))" "$stations" > "$T_SCRATCH/dhcp_load.out" &
		inj=$!
		T_PIDS+=("$inj")
		sleep 0.5	# the exchanges under way before the load starts
		json=$(load avec "$T_SCRATCH/$label/users.txt" "$WINDOW" "$SECS") || return 1
		wait "$inj"
		sleep 0.5	# avec-addrd's last batch
		n1=$(sqlite3 "$db" 'SELECT count(*) FROM addr_bindings')
		[ $((r % 2)) = 1 ] || base=$(load avec "$T_SCRATCH/$label/users.txt" "$WINDOW" "$SECS") || return 1
		json=$(jq -c --argjson b "$(jq .rps <<<"$base")" --argjson inj "$(cat "$T_SCRATCH/dhcp_load.out")" \
			--argjson new "$((n1 - n0))" --argjson touched "$(sqlite3 "$db" "SELECT count(*) FROM addr_bindings WHERE seen_at >= $t0")" \
			'. + {auth_rps_alone: $b, auth_ratio: ((.rps / $b * 100 | round) / 100),
			      dhcp_sent: $inj.sent, dhcp_rate: $inj.rate, bindings_new: $new, bindings_seen: $touched}' <<<"$json")
		emit "$(jq -c --arg l "$label" --argjson r "$r" --argjson rate "$rate" \
			'{kind: "dhcp", scenario: $l, setup: "avec", round: $r, dhcp_target_rate: $rate} + .' <<<"$json")"
		say "$label +dhcp $rate/s round $r: $(jq -r '"\(.rps|floor) auth/s (alone \(.auth_rps_alone|floor), ratio \(.auth_ratio)), \(.dhcp_sent) ACKs at \(.dhcp_rate)/s, \(.bindings_new) new bindings (\(.bindings_seen) seen), p99 \(.p99_us) us"' <<<"$json")"
	done
	# shellcheck disable=SC2154 # set by spawn
	kill -USR1 "$PID_bench_addrd"
	sleep 0.3
	say "dhcp: avec-addrd: $(grep "frames [0-9]" "$T_SCRATCH/bench_addrd.log" | tail -n 1 | sed 's/.*: frames/frames/')"
	stop_pid "$PID_bench_addrd"
}
