#!/bin/bash
# tests/fuzz/fuzz.sh - `make fuzz`: run every libFuzzer harness for a while.
#
#   fuzz.sh FUZZDIR NAME...     (FUZZ_TIME seconds each, FUZZ_JOBS at once)
#
# Each harness FUZZDIR/bin/fuzz_NAME works on FUZZDIR/corpus-work/NAME, a
# copy of tests/fuzz/corpus/NAME that keeps growing from run to run (the
# repository's corpus stays small: copy a unit back by hand when it is
# worth keeping), also reads tests/fuzz/regress/NAME, and uses
# tests/fuzz/NAME.dict when there is one.  A crash, leak or timeout is
# written under FUZZDIR/crashes/NAME/ and stops that harness.  At the end
# a table: harness, executions, wall and CPU seconds, new corpus units,
# crash files.  Exit status 1 when any harness left a crash file.
set -u
here=$(cd "$(dirname "$0")" && pwd)
fuzzdir=$1; shift
time_s=${FUZZ_TIME:-60}
jobs=${FUZZ_JOBS:-1}
logs=$fuzzdir/logs
mkdir -p "$logs"

run_one() {
	local name=$1 bin=$fuzzdir/bin/fuzz_$1 work=$fuzzdir/corpus-work/$1
	local crashes=$fuzzdir/crashes/$1 log=$logs/$1.log
	local before after execs start cpu
	local args=()

	mkdir -p "$work" "$crashes"
	cp -n "$here/corpus/$name"/* "$work"/ 2>/dev/null
	before=$(find "$work" -type f | wc -l)
	args=(-max_total_time="$time_s" -print_final_stats=1 -timeout=10
	      -rss_limit_mb=2048 -artifact_prefix="$crashes/")
	[ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")
	start=$SECONDS
	cpu=$( { TIMEFORMAT='%U %S'; time "$bin" "${args[@]}" "$work" \
		$( [ -d "$here/regress/$name" ] && echo "$here/regress/$name" ) \
		>"$log" 2>&1; } 2>&1 | awk '{ printf "%d", $1 + $2 }')
	after=$(find "$work" -type f | wc -l)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	printf '%s %s %s %s %s %s\n' "$name" "${execs:-?}" \
		$((SECONDS - start)) "${cpu:-?}" $((after - before)) \
		"$(find "$crashes" -type f | wc -l)" > "$logs/$name.row"
}

rm -f "$logs"/*.row
running=0
for name in "$@"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "fuzz: $name for ${time_s}s (log: $logs/$name.log)"
	run_one "$name" &
	running=$((running + 1))
done
wait

status=0
printf '\n%-14s %12s %8s %8s %10s %8s\n' harness executions seconds cpu-s \
	new-units crashes
for name in "$@"; do
	if [ -f "$logs/$name.row" ]; then
		read -r n execs secs cpu new crashes < "$logs/$name.row"
	else
		n=$name execs='?' secs='?' cpu='?' new='?' crashes='?'
	fi
	printf '%-14s %12s %8s %8s %10s %8s\n' "$n" "$execs" "$secs" "$cpu" \
		"$new" "$crashes"
	[ "$crashes" = 0 ] || status=1
done
[ "$status" = 0 ] || echo "crash files: $fuzzdir/crashes/ (replay one: $fuzzdir/bin/fuzz_NAME FILE)"
exit $status
